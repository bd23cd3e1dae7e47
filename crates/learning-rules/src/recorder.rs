//! What a training loop reports while it runs: the lecture's log, the [`History`] that the
//! plots use, the clock, the time budget and Stop.
//!
//! A [`Recorder`] is told what happened (`batch`, `update`, `end_epoch`) and answers whether to
//! stop (`should_stop`: Stop pressed, time budget used up, or the loss no longer a number). The
//! epoch clock leaves evaluation out, as the lecture's timing of training does. What it prints
//! is up to its [`Observer`]: [`LectureLog`] prints the lecture's two lines per epoch, `()` prints
//! nothing, the CLI draws a progress bar.

use crate::clock::EpochClock;
use crate::config::{LearningRule, TrainingConfig};
use crate::data::Split;
use crate::error::Result;
use crate::history::{Checkpoint, EpochRecord, History, Run, StopReason, Stopped};
use crate::learner::Learner;
use crate::observer::{BatchProgress, LectureLog, Observer};
use crate::stop::{StopSignal, Watch};

/// Keeps a training loop's books: see the module documentation.
pub struct Recorder<O: Observer = LectureLog> {
    history: History,
    observer: O,
    learning_rate: f64,
    time_budget: Option<f64>,
    /// Batches between two mid-epoch accuracy measurements (`usize::MAX`: none).
    evaluate_every: usize,
    clock: EpochClock,
    epoch: EpochSums,
    /// Loss × samples and samples since the last update: that update's loss.
    pending: (f64, usize),
    updates: usize,
    stopped: Option<Stopped>,
    /// This run's stop request, and SIGINT handled while the recorder lives (see `stop.rs`).
    watch: Watch,
}

/// The current epoch's running sums.
#[derive(Default)]
struct EpochSums {
    number: usize,
    /// One term per batch: the lecture's epoch loss for 24b and 24c.
    loss_sum: f64,
    /// One term per sample: the per-epoch rule's loss, the mean over the whole set.
    sample_loss_sum: f64,
    batches: usize,
    samples: usize,
}

impl Recorder<LectureLog> {
    /// Starts the books and the clock for `learner` trained under `config`, printing the
    /// lecture's log. From now on Stop (■) or Ctrl-C ends training at the next batch.
    pub fn new(config: &TrainingConfig, learner: &Learner) -> Recorder<LectureLog> {
        Recorder::with_observer(config, learner, LectureLog::default())
    }
}

impl<O: Observer> Recorder<O> {
    /// [`Recorder::new`] reporting to `observer` instead of printing.
    pub fn with_observer(config: &TrainingConfig, learner: &Learner, observer: O) -> Recorder<O> {
        Recorder::watching(config, learner, observer, Watch::start())
    }

    /// [`Recorder::with_observer`] for a run whose `watch` started earlier: [`crate::train()`]
    /// starts it before building the learner, so that Stop while a GPU starts up (seconds)
    /// ends the run at its first batch instead of the process.
    pub(crate) fn watching(
        config: &TrainingConfig,
        learner: &Learner,
        observer: O,
        watch: Watch,
    ) -> Recorder<O> {
        let n = learner.train_len();
        let evaluate_every = match config.rule {
            LearningRule::PerEpoch => usize::MAX,
            _ => n
                .div_ceil(config.batch_size)
                .div_ceil(config.evaluations_per_epoch.max(1)),
        };
        let mut recorder = Recorder {
            history: History {
                config: config.clone(),
                dataset: learner.dataset().name().to_string(),
                train_samples: n,
                engine: learner.engine(),
                epochs: Vec::new(),
                checkpoints: Vec::new(),
                update_losses: Vec::new(),
                stopped: None,
            },
            observer,
            learning_rate: config.learning_rate,
            time_budget: config.time_budget_seconds,
            evaluate_every,
            clock: EpochClock::new(),
            epoch: EpochSums {
                number: 1,
                ..EpochSums::default()
            },
            pending: (0.0, 0),
            updates: 0,
            stopped: None,
            watch,
        };
        recorder.observer.start(&recorder.history);
        recorder
    }

    /// A gradient was computed over `samples` samples whose mean loss was `loss`.
    pub fn batch(&mut self, loss: f32, samples: usize) {
        let e = &mut self.epoch;
        e.loss_sum += f64::from(loss);
        e.sample_loss_sum += f64::from(loss) * samples as f64;
        e.batches += 1;
        e.samples += samples;
        self.pending.0 += f64::from(loss) * samples as f64;
        self.pending.1 += samples;
        let (epoch, samples_done) = (e.number, e.samples);
        let training_seconds = self.clock.training_seconds();
        let progress = BatchProgress {
            epoch,
            epochs: self.history.config.epochs,
            samples_done,
            samples_total: self.history.train_samples,
            updates: self.updates,
            loss,
            training_seconds,
            seconds_left: self.seconds_left(epoch, samples_done, training_seconds),
        };
        self.observer.batch(&progress);
    }

    /// Seconds of training to go at the pace so far, or the rest of the time budget if that
    /// is sooner; `None` before there is a pace, or with neither an epoch count nor a budget.
    fn seconds_left(&self, epoch: usize, samples: usize, seconds: f64) -> Option<f64> {
        let n = self.history.train_samples as f64;
        let done = (epoch - 1) as f64 * n + samples as f64;
        let planned = self.history.config.epochs as f64 * n;
        let by_pace = (done > 0.0 && self.history.config.epochs != usize::MAX)
            .then(|| seconds / done * (planned - done));
        let by_budget = self.time_budget.map(|budget| (budget - seconds).max(0.0));
        match (by_pace, by_budget) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The weights were updated from the batches since the last update; that update's loss is
    /// their mean loss. A loss that is not a number stops the run (see [`should_stop`]).
    ///
    /// [`should_stop`]: Recorder::should_stop
    pub fn update(&mut self) {
        let (sum, samples) = std::mem::take(&mut self.pending);
        let loss = (sum / samples.max(1) as f64) as f32;
        self.updates += 1;
        if loss.is_finite() {
            self.history.update_losses.push(loss);
        } else if self.stopped.is_none() {
            self.stop(StopReason::Diverged {
                loss,
                learning_rate: self.learning_rate,
            });
        }
    }

    /// True once the run must end: Stop was pressed, the time budget is used up, or the loss
    /// diverged. Ask between batches (the per-epoch rule: between epochs).
    pub fn should_stop(&mut self) -> bool {
        if self.stopped.is_none() {
            if self.watch.signal().is_requested() {
                self.stop(StopReason::Interrupted);
            } else if let Some(seconds) = self.time_budget
                && self.clock.training_seconds() >= seconds
            {
                self.stop(StopReason::TimeBudget { seconds });
            }
        }
        self.stopped.is_some()
    }

    fn stop(&mut self, reason: StopReason) {
        self.stopped = Some(Stopped {
            reason,
            epoch: self.epoch.number,
            update: self.updates,
            samples: self.epoch.samples,
            samples_total: self.history.train_samples,
        });
    }

    /// Measures test accuracy, off the clock, when a mid-epoch measurement is due
    /// (`evaluations_per_epoch` > 1 asks for them): the accuracy-against-time curves'
    /// resolution. The measurement at an epoch's end is `end_epoch`'s.
    pub fn checkpoint_if_due(&mut self, learner: &mut Learner, test: &Split) -> Result<()> {
        let due = self.epoch.batches.is_multiple_of(self.evaluate_every)
            && self.epoch.samples < self.history.train_samples;
        if due {
            let accuracy = self.clock.off_clock(|| learner.accuracy(test));
            self.push_checkpoint(accuracy?, self.clock.training_seconds());
        }
        Ok(())
    }

    fn push_checkpoint(&mut self, test_accuracy: f64, seconds: f64) {
        let n = self.history.train_samples as f64;
        self.history.checkpoints.push(Checkpoint {
            epochs: (self.epoch.number - 1) as f64 + self.epoch.samples as f64 / n,
            updates: self.updates,
            seconds,
            test_accuracy,
        });
    }

    /// Ends the epoch: stops its clock, measures test accuracy, records and reports the epoch.
    /// An epoch in which the loss diverged is not recorded.
    pub fn end_epoch(&mut self, learner: &mut Learner, test: &Split) -> Result<()> {
        if matches!(
            self.stopped,
            Some(Stopped {
                reason: StopReason::Diverged { .. },
                ..
            })
        ) {
            return Ok(());
        }
        let seconds = self.clock.epoch_seconds();
        let accuracy = self.clock.off_clock(|| learner.accuracy(test));
        let test_accuracy = accuracy?;
        let e = &self.epoch;
        let record = EpochRecord {
            epoch: e.number,
            train_loss: match self.history.config.rule {
                LearningRule::PerEpoch => e.sample_loss_sum / e.samples.max(1) as f64,
                _ => e.loss_sum / e.batches.max(1) as f64,
            },
            test_accuracy,
            seconds,
            eval_seconds: self.clock.evaluating(),
            updates: self.updates,
            samples: e.samples,
            partial: e.samples < self.history.train_samples,
        };
        self.push_checkpoint(test_accuracy, self.clock.before() + seconds);
        self.history.epochs.push(record);
        // Between the epoch's clock and the next one's: a live chart drawn here is not timed.
        self.observer.epoch(&self.history);
        self.clock.next_epoch(seconds);
        self.epoch = EpochSums {
            number: self.epoch.number + 1,
            ..EpochSums::default()
        };
        Ok(())
    }

    /// This run's stop request: [`StopSignal::stop`] on it (or a clone of it, from another
    /// thread) ends this run at its next batch and no other. SIGINT ends every run alive.
    pub fn stop_signal(&self) -> StopSignal {
        self.watch.signal().clone()
    }

    /// What has been recorded so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Ends the books: the history, why the run stopped early if it did, and the weights.
    pub fn finish(mut self, learner: &Learner) -> Result<Run> {
        if let Some(stopped) = &self.stopped {
            self.observer.stopped(stopped);
        }
        self.history.stopped = self.stopped;
        self.observer.finish(&self.history);
        Ok(Run {
            history: self.history,
            weights: learner.weights()?,
        })
    }
}
