//! Stop (■) in JupyterLab and Ctrl-C in a terminal: both send SIGINT, which ends training at
//! the next batch instead of killing the process, so that the run so far is kept.
//!
//! A stop request belongs to a run, as burn's `Interrupter` does: every [`Recorder`] holds a
//! [`StopSignal`] that it asks between batches, and a clone of it ([`Recorder::stop_signal`])
//! stops that run and no other, from another thread for instance. SIGINT is a request to every
//! run alive when it arrives. The SIGINT handler is installed while at least one run is alive,
//! and whatever handled SIGINT before is put back when the last one ends; a second SIGINT
//! before any run has noticed the first ends the process, so code that never checks can still
//! be stopped.
//!
//! The project's kernel (scripts/setup.sh) is evcxr with a patch that turns Jupyter's interrupt
//! into SIGINT for the process running the cells (patch 0001); during a cell without a handler
//! that process dies, losing every variable (between cells it ignores SIGINT: patch 0014).
//! evcxr links a fresh copy of this crate into every cell, statics included: the runs of one
//! cell share one copy of the counts below.
//!
//! [`Recorder`]: crate::Recorder
//! [`Recorder::stop_signal`]: crate::Recorder::stop_signal

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Runs alive (each holds a [`Watch`]).
static ALIVE: AtomicUsize = AtomicUsize::new(0);
/// SIGINTs that arrived while runs were alive.
static SIGINTS: AtomicUsize = AtomicUsize::new(0);
/// The count of SIGINTs some run has acted on.
static NOTICED: AtomicUsize = AtomicUsize::new(0);
/// What handled SIGINT before the first run alive installed ours; also serialises installing.
static PREVIOUS: Mutex<Option<platform::Handler>> = Mutex::new(None);

/// A run's stop request: raised by [`StopSignal::stop`] or by a SIGINT that arrives while the
/// run is alive. Clones share the request.
#[derive(Clone, Debug)]
pub struct StopSignal {
    requested: Arc<AtomicBool>,
    sigints_before: usize,
}

impl StopSignal {
    fn new() -> StopSignal {
        StopSignal {
            requested: Arc::new(AtomicBool::new(false)),
            sigints_before: SIGINTS.load(Ordering::SeqCst),
        }
    }

    /// Asks the run to stop at its next batch (the per-epoch rule: its next epoch).
    pub fn stop(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    /// Whether the run was asked to stop, by [`StopSignal::stop`] or by SIGINT.
    pub fn is_requested(&self) -> bool {
        let sigints = SIGINTS.load(Ordering::SeqCst);
        if sigints > self.sigints_before {
            NOTICED.fetch_max(sigints, Ordering::SeqCst);
            return true;
        }
        self.requested.load(Ordering::SeqCst)
    }
}

/// Held by a run while it is alive: the run's [`StopSignal`], and the SIGINT handler installed.
#[derive(Debug)]
pub(crate) struct Watch {
    signal: StopSignal,
}

impl Watch {
    pub(crate) fn start() -> Watch {
        let mut previous = PREVIOUS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if ALIVE.fetch_add(1, Ordering::SeqCst) == 0 {
            NOTICED.store(SIGINTS.load(Ordering::SeqCst), Ordering::SeqCst);
            *previous = Some(platform::install());
        }
        Watch {
            signal: StopSignal::new(),
        }
    }

    pub(crate) fn signal(&self) -> &StopSignal {
        &self.signal
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut previous = PREVIOUS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if ALIVE.fetch_sub(1, Ordering::SeqCst) == 1
            && let Some(handler) = previous.take()
        {
            platform::restore(&handler);
        }
    }
}

#[cfg(unix)]
mod platform {
    use super::{ALIVE, NOTICED, Ordering, SIGINTS};

    pub(super) type Handler = libc::sigaction;

    extern "C" fn on_sigint(_: libc::c_int) {
        // Only async-signal-safe calls here: atomics, signal() and raise().
        let unnoticed = SIGINTS.load(Ordering::SeqCst) > NOTICED.load(Ordering::SeqCst);
        if ALIVE.load(Ordering::SeqCst) == 0 || unnoticed {
            // Nobody is listening, or an earlier Stop is still waiting: end as without us.
            // SAFETY: restoring the default action and re-raising are async-signal-safe.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::raise(libc::SIGINT);
            }
        } else {
            SIGINTS.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Installs `on_sigint`; returns the handler it replaced.
    pub(super) fn install() -> Handler {
        // SAFETY: sigaction structs are plain data, valid when zeroed; the handler only touches
        // atomics and async-signal-safe functions.
        unsafe {
            let mut ours: libc::sigaction = std::mem::zeroed();
            ours.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut ours.sa_mask);
            // A system call the signal lands in resumes instead of failing with EINTR: a GPU
            // driver waiting on the device, or a file being written, carries on unharmed.
            ours.sa_flags = libc::SA_RESTART;
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
