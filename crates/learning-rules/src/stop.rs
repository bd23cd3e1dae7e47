//! Stop (■) in JupyterLab and Ctrl-C in a terminal: both send SIGINT, which ends training at
//! the next batch instead of killing the process, so that the run so far is kept.
//!
//! The project's kernel (scripts/setup.sh) is evcxr with a patch that turns Jupyter's interrupt
//! into SIGINT for the process running the cells; without a handler that process would die,
//! losing every variable. While a training loop runs, a [`StopGuard`] has a handler installed
//! that only raises a flag; the loop asks [`requested`] between batches. A second SIGINT before
//! the loop has noticed the first restores the default action and ends the process, so code
//! that never checks can still be stopped. evcxr links a fresh copy of this crate into every
//! cell, statics included, so each loop installs the handler for its own flag.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// True once SIGINT arrived since the last [`StopGuard`] was made. It stays true after the
/// guard is gone, so that a race or a sweep can tell that Stop ended its last run.
pub(crate) fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// While it lives, SIGINT asks the training loop to stop instead of ending the process. Dropped
/// (when the run finishes, or when an error returns early from the loop), it puts back whatever
/// handled SIGINT before.
pub(crate) struct StopGuard {
    previous: platform::Handler,
}

impl StopGuard {
    /// Clears an earlier request and installs the handler.
    pub(crate) fn install() -> StopGuard {
        REQUESTED.store(false, Ordering::SeqCst);
        StopGuard {
            previous: platform::install(),
        }
    }
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        platform::restore(&self.previous);
    }
}

#[cfg(unix)]
mod platform {
    use super::{Ordering, REQUESTED};

    pub(super) type Handler = libc::sigaction;

    extern "C" fn on_sigint(_: libc::c_int) {
        // Only async-signal-safe calls here: an atomic swap, signal() and raise().
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // SAFETY: restoring the default action and re-raising are async-signal-safe.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::raise(libc::SIGINT);
            }
        }
    }

    /// Installs `on_sigint`; returns the handler it replaced.
    pub(super) fn install() -> Handler {
        // SAFETY: sigaction structs are plain data, valid when zeroed; the handler only touches
        // an atomic and async-signal-safe functions.
        unsafe {
            let mut ours: libc::sigaction = std::mem::zeroed();
            ours.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut ours.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &ours, &mut previous);
            previous
        }
    }

    pub(super) fn restore(previous: &Handler) {
        // SAFETY: `previous` is what sigaction returned for SIGINT.
        unsafe { libc::sigaction(libc::SIGINT, previous, std::ptr::null_mut()) };
    }
}

#[cfg(not(unix))]
mod platform {
    pub(super) type Handler = ();
    pub(super) fn install() {}
    pub(super) fn restore(_: &Handler) {}
}
