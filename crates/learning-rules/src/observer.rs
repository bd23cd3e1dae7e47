//! Who hears about a run as it goes: the lecture's log in a notebook, a progress bar in the
//! terminal, nothing in a benchmark. The library itself prints only through an observer.

use std::io::Write as _;
use std::time::Instant;

use crate::history::{History, Stopped};
use crate::live::LiveView;

/// Told what a training run does, as it does it.
pub trait Observer {
    /// After every gradient computation.
    fn batch(&mut self, _progress: &BatchProgress) {}
    /// After every epoch, its record (test accuracy included) the last of `history.epochs`.
    fn epoch(&mut self, _history: &History) {}
    /// When the run ends early.
    fn stopped(&mut self, _stopped: &Stopped) {}
    /// When the run ends, early or not, with everything it recorded.
    fn finish(&mut self, _history: &History) {}
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
    fn finish(&mut self, history: &History) {
        (**self).finish(history);
    }
}

/// Where a run is, after a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs the run is set to train (`usize::MAX` when only a time budget ends it).
    pub epochs: usize,
    /// Samples of this epoch done so far.
    pub samples_done: usize,
    /// Samples in an epoch.
    pub samples_total: usize,
    /// Updates made so far.
    pub updates: usize,
    /// Mean loss of the batch just computed.
    pub loss: f32,
    /// Seconds of training so far, evaluation excluded.
    pub training_seconds: f64,
    /// Seconds of training still to go at the pace so far (or the time budget's rest, if that
    /// ends the run sooner); `None` when there is no telling.
    pub seconds_left: Option<f64>,
}

impl BatchProgress {
    /// Training samples gone through per second of training so far.
    pub fn samples_per_second(&self) -> f64 {
        let done = (self.epoch - 1) * self.samples_total + self.samples_done;
        done as f64 / self.training_seconds.max(1e-9)
    }
}

/// The lecture's log: `At Epoch N: Loss = x , Acc = y` and `Epoch completed in Xm Ys` after
/// every epoch, and why a run stopped early. In the project's kernel, above the log, a progress
/// line and the chart of the loss so far are redrawn in place (see `live.rs`); elsewhere a line
/// every 15 s within a long epoch says how far it is.
pub struct LectureLog {
    last_line: Instant,
    live: Option<LiveView>,
}

impl Default for LectureLog {
    fn default() -> LectureLog {
        LectureLog {
            last_line: Instant::now(),
            live: LiveView::if_supported(),
        }
    }
}

impl Observer for LectureLog {
    fn batch(&mut self, p: &BatchProgress) {
        if let Some(live) = &mut self.live {
            live.batch(p);
        } else if self.last_line.elapsed().as_secs() >= 15 {
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
        if let Some(live) = &mut self.live {
            live.epoch(history);
        }
        let _ = std::io::stdout().flush();
        self.last_line = Instant::now();
    }

    fn stopped(&mut self, stopped: &Stopped) {
        println!("{stopped}");
    }

    fn finish(&mut self, history: &History) {
        if let Some(live) = &mut self.live {
            live.finish(history);
        }
    }
}
