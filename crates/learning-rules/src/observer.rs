//! Who hears about a run as it goes: the lecture's log in a notebook, a progress bar in the
//! terminal, nothing in a benchmark. The library itself prints only through an observer.

use std::io::Write as _;
use std::time::Instant;

use crate::history::{History, Stopped};

/// Told what a training run does, as it does it.
pub trait Observer {
    /// After every gradient computation.
    fn batch(&mut self, _progress: &BatchProgress) {}
    /// After every epoch, its record (test accuracy included) the last of `history.epochs`.
    fn epoch(&mut self, _history: &History) {}
    /// When the run ends early.
    fn stopped(&mut self, _stopped: &Stopped) {}
}

/// Prints nothing.
impl Observer for () {}

impl<O: Observer + ?Sized> Observer for &mut O {
    fn batch(&mut self, progress: &BatchProgress) {
        (**self).batch(progress);
    }
    fn epoch(&mut self, history: &History) {
        (**self).epoch(history);
    }
    fn stopped(&mut self, stopped: &Stopped) {
        (**self).stopped(stopped);
    }
}

/// Where a run is, after a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// Samples of this epoch done so far.
    pub samples_done: usize,
    /// Samples in an epoch.
    pub samples_total: usize,
    /// Mean loss of the batch just computed.
    pub loss: f32,
    /// Seconds of training so far, evaluation excluded.
    pub training_seconds: f64,
}

/// The lecture's log: `At Epoch N: Loss = x , Acc = y` and `Epoch completed in Xm Ys` after
/// every epoch, a line every 15 s within a long one, and why a run stopped early.
pub struct LectureLog {
    last_line: Instant,
}

impl Default for LectureLog {
    fn default() -> LectureLog {
        LectureLog {
            last_line: Instant::now(),
        }
    }
}

impl Observer for LectureLog {
    fn batch(&mut self, p: &BatchProgress) {
        if self.last_line.elapsed().as_secs() >= 15 {
            println!(
                "  epoch {}: {}/{} samples, {:.0} s of training so far",
                p.epoch, p.samples_done, p.samples_total, p.training_seconds
            );
            self.last_line = Instant::now();
        }
    }

    fn epoch(&mut self, history: &History) {
        if let Some(record) = history.epochs.last() {
            println!("{}", record.log_lines());
        }
        let _ = std::io::stdout().flush();
        self.last_line = Instant::now();
    }

    fn stopped(&mut self, stopped: &Stopped) {
        println!("{stopped}");
    }
}
