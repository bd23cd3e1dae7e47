//! Where a run is after each batch: what an observer's progress bar, or the notebook's live
//! progress line, shows.

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
