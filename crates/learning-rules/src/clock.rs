//! A training loop's clock: training seconds, with the time spent measuring accuracy left out,
//! as the lecture's timing of training does.

use std::time::Instant;

/// Training time, evaluation left out.
pub(crate) struct EpochClock {
    started: Instant,
    /// Seconds of the current epoch spent measuring accuracy.
    evaluating: f64,
    /// Training seconds of the epochs before.
    before: f64,
}

impl EpochClock {
    pub(crate) fn new() -> EpochClock {
        EpochClock {
            started: Instant::now(),
            evaluating: 0.0,
            before: 0.0,
        }
    }

    pub(crate) fn epoch_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64() - self.evaluating
    }

    pub(crate) fn training_seconds(&self) -> f64 {
        self.before + self.epoch_seconds()
    }

    /// Training seconds of the epochs before this one.
    pub(crate) fn before(&self) -> f64 {
        self.before
    }

    /// Seconds of this epoch spent measuring accuracy.
    pub(crate) fn evaluating(&self) -> f64 {
        self.evaluating
    }

    /// Runs `f` off the clock: its seconds count as evaluation, not training.
    pub(crate) fn off_clock<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.evaluating += start.elapsed().as_secs_f64();
        value
    }

    pub(crate) fn next_epoch(&mut self, seconds: f64) {
        self.before += seconds;
        self.evaluating = 0.0;
        self.started = Instant::now();
    }
}
