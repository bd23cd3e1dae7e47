//! Stop (■) in JupyterLab and Ctrl-C in a terminal: both send SIGINT, which ends training at
//! the next batch instead of killing the process, so that the run so far is kept.
//!
//! The project's kernel (scripts/setup.sh) is evcxr with a small patch that turns Jupyter's
//! interrupt into SIGINT for the process running the cells; without a handler that process
//! would die, losing every variable. While a training loop runs, `watch` installs a handler
//! that only raises a flag; the loop asks [`requested`] between batches. A second SIGINT before
//! the loop has noticed the first restores the default action and ends the process, so code
//! that never checks can still be stopped. evcxr links a fresh copy of this crate into every
//! cell, statics included, so the handler is installed again by each loop, for that loop's flag.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// True once SIGINT arrived since the running training loop started watching.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Starts watching for SIGINT: clears an earlier request and installs the handler.
pub(crate) fn watch() {
    REQUESTED.store(false, Ordering::SeqCst);
    platform::install();
}

/// Stops watching: SIGINT ends the process again, as it would without this crate.
pub(crate) fn unwatch() {
    platform::restore();
}

#[cfg(unix)]
mod platform {
    use super::{Ordering, REQUESTED};

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

    pub(super) fn install() {
        let handler = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only touches an atomic and async-signal-safe functions.
        unsafe { libc::signal(libc::SIGINT, handler) };
    }

    pub(super) fn restore() {
        // SAFETY: the default action needs no handler.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    }
}

#[cfg(not(unix))]
mod platform {
    pub(super) fn install() {}
    pub(super) fn restore() {}
}
