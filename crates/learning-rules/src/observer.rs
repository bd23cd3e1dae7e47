//! Who hears about a run as it goes: the lecture's log in a notebook, a progress bar in the
//! terminal, nothing in a benchmark. The library itself prints only through an observer.

use std::io::Write as _;
use std::time::Instant;

use crate::history::{History, Stopped};
use crate::live::LiveView;
pub use crate::progress::BatchProgress;

/// Told what a training run does, as it does it.
pub trait Observer {
    /// When the run starts, with its (still empty) history: its settings, data and engine.
    fn start(&mut self, _history: &History) {}
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
    fn start(&mut self, history: &History) {
        (**self).start(history);
    }
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

/// The lecture's log: `At Epoch N: Loss = x , Acc = y` and `Epoch completed in Xm Ys` after
/// every epoch (`Epoch N stopped after … samples` for one that was stopped), and why a run
/// stopped early. In the project's kernel, above the log, a progress
/// line and the chart of the loss so far are redrawn in place (see `live.rs`); elsewhere a line
/// every 15 s within a long epoch says how far it is.
pub struct LectureLog {
    last_line: Instant,
    live: Option<LiveView>,
    heading: Option<String>,
}

impl Default for LectureLog {
    fn default() -> LectureLog {
        LectureLog {
            last_line: Instant::now(),
            live: LiveView::if_supported(),
            heading: None,
        }
    }
}

impl LectureLog {
    /// The lecture's log under a heading line, printed when the run starts (a race prints which
    /// rule and engine each log is).
    pub fn with_heading(heading: impl Into<String>) -> LectureLog {
        LectureLog {
            heading: Some(heading.into()),
            ..LectureLog::default()
        }
    }
}

impl Observer for LectureLog {
    fn start(&mut self, _history: &History) {
        if let Some(heading) = &self.heading {
            println!("{heading}");
        }
    }

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
            println!("{}", record.log_lines(history.train_samples));
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
