//! What a run measured, epoch by epoch and update by update, and its CSV/JSON export.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::device::DeviceKind;
use crate::error::{Error, Result};
use crate::files::write_file;
use crate::model::Weights;
use crate::numbers::{as_given, thousands};

/// A run's history and the weights it ended with.
#[derive(Clone, Debug)]
pub struct Run {
    /// What the run measured.
    pub history: History,
    /// The weights after the last update.
    pub weights: Weights,
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based, as the lecture prints it.
    pub epoch: usize,
    /// The epoch's loss as the lecture prints it: for 24a the mean over every sample of the set
    /// (the loss its one update differentiates), for 24b the mean of the minibatch losses, for
    /// 24c the mean of the per-sample losses; each loss is taken before its own update.
    pub train_loss: f64,
    /// Percentage of the test images classified correctly after the epoch.
    pub test_accuracy: f64,
    /// Training seconds of this epoch, evaluation excluded.
    pub seconds: f64,
    /// Seconds spent measuring test accuracy.
    pub eval_seconds: f64,
    /// Updates made since the start of the run.
    pub updates: usize,
    /// Training samples this epoch went through (fewer than the set if it was stopped).
    pub samples: usize,
    /// Stopped before the end of the set (Stop, a time budget): its figures cover `samples`.
    #[serde(default)]
    pub partial: bool,
}

impl EpochRecord {
    /// The lecture's two log lines: `At Epoch N: Loss = x , Acc = y` and
    /// `Epoch completed in Xm Ys` (training and evaluation, as the lecture times it). An epoch
    /// that was stopped says so instead: `Epoch 3 stopped after 27,000 of 60,000 samples (0m
    /// 0.7s)`; `samples_total` is the training set's size.
    pub fn log_lines(&self, samples_total: usize) -> String {
        let total = self.seconds + self.eval_seconds;
        let time = format!("{}m {:.1}s", (total / 60.0).floor(), total % 60.0);
        let first = format!(
            "At Epoch {}: Loss = {:.6} , Acc = {:.2}%",
            self.epoch, self.train_loss, self.test_accuracy
        );
        if self.partial {
            format!(
                "{first}\nEpoch {} stopped after {} of {} samples ({time})",
                self.epoch,
                thousands(self.samples as u64),
                thousands(samples_total as u64)
            )
        } else {
            format!("{first}\nEpoch completed in {time}")
        }
    }

    /// Where the epoch ends on an axis of epochs: its number, or less for a partial epoch
    /// (2.45 for an epoch 3 stopped after 45 % of the set).
    pub fn position(&self, samples_total: usize) -> f64 {
        if self.partial {
            (self.epoch - 1) as f64 + self.samples as f64 / samples_total.max(1) as f64
        } else {
            self.epoch as f64
        }
    }
}

/// Which implementation trained a run, on which device: what a comparison groups runs by.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineUsed {
    /// `Fused` or `Burn`: what `Auto` chose.
    pub engine: Engine,
    /// Where the tensors were.
    pub device: DeviceKind,
    /// As a person reads it: `fused CPU (AVX2+FMA, 2 threads)`, `burn (Flex)`.
    pub detail: String,
}

impl fmt::Display for EngineUsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// A test-accuracy measurement, taken at the end of every epoch and, with
/// `evaluations_per_epoch > 1`, within epochs too.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Epochs done, fractional within an epoch (2.5: half-way through the third).
    pub epochs: f64,
    /// Updates made so far.
    pub updates: usize,
    /// Training seconds so far, evaluation excluded.
    pub seconds: f64,
    /// Percentage of the test images classified correctly at this point.
    pub test_accuracy: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// The settings of the run.
    pub config: TrainingConfig,
    /// `mnist` or `fashion-mnist`.
    pub dataset: String,
    /// Number of training samples used.
    pub train_samples: usize,
    /// Which implementation trained, on which device.
    pub engine: EngineUsed,
    /// One record per epoch.
    pub epochs: Vec<EpochRecord>,
    /// Every test-accuracy measurement, in order; the last of each epoch is that epoch's.
    pub checkpoints: Vec<Checkpoint>,
    /// The loss of every update, in order (24b/24c's jittery curve); for the per-epoch rule,
    /// one value per epoch.
    pub update_losses: Vec<f32>,
    /// Why the run ended before its last epoch, if it did: Stop, the time budget, divergence.
    #[serde(default)]
    pub stopped: Option<Stopped>,
}

// The charts of a run are methods too, in plot/charts.rs.
impl History {
    /// The rule that was trained.
    pub fn rule(&self) -> LearningRule {
        self.config.rule
    }

    /// Whether Stop (■), Ctrl-C or a [`StopSignal`](crate::StopSignal) ended the run: what makes
    /// a race or a sweep stop too, where a time budget or divergence ends only the one run.
    pub fn was_interrupted(&self) -> bool {
        self.stopped
            .as_ref()
            .is_some_and(|stopped| stopped.reason == StopReason::Interrupted)
    }

    /// The last epoch's test accuracy in percent, `None` before the first epoch.
    pub fn final_accuracy(&self) -> Option<f64> {
        self.epochs.last().map(|e| e.test_accuracy)
    }

    /// The epoch with the highest test accuracy (the earliest of ties): where a run that
    /// starts to overfit turns. A copy, so that a notebook cell can keep it in a variable
    /// (`let best: Option<EpochRecord> = …`): evcxr cannot keep one that borrows another.
    pub fn best_epoch(&self) -> Option<EpochRecord> {
        self.epochs
            .iter()
            .fold(None, |best: Option<&EpochRecord>, e| match best {
                Some(b) if b.test_accuracy >= e.test_accuracy => Some(b),
                _ => Some(e),
            })
            .cloned()
    }

    /// Training seconds of all epochs, evaluation excluded.
    pub fn training_seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.seconds).sum()
    }

    /// The first measurement at or above `accuracy` percent: how long and how many updates
    /// the run needed to get there. `None` if it never did. A copy, as for [`best_epoch`].
    ///
    /// [`best_epoch`]: History::best_epoch
    pub fn first_reaching(&self, accuracy: f64) -> Option<Checkpoint> {
        self.checkpoints
            .iter()
            .find(|c| c.test_accuracy >= accuracy)
            .cloned()
    }

    /// `24b (minibatch)`: the lecture's notebook and the rule, as charts and tables name a run.
    pub fn label(&self) -> String {
        format!("{} ({})", self.rule().lecture_part(), self.rule())
    }

    /// Updates made in the whole run.
    pub fn updates(&self) -> usize {
        self.epochs.last().map_or(0, |e| e.updates)
    }

    /// The epoch table as the notebooks print it, with the run's totals: the trade-off between
    /// updates, seconds and accuracy in one place.
    pub fn summary(&self) -> String {
        let mut table = format!(
            "{} ({}), {} training samples, {}\n",
            self.rule().lecture_part(),
            self.rule(),
            self.train_samples,
            self.engine
        );
        table.push_str("epoch   train loss   test acc   train s   updates\n");
        for e in &self.epochs {
            let _ = writeln!(
                table,
                "{:>5}{}  {:>10.4}   {:>7.2}%   {:>7.2}   {:>7}",
                e.epoch,
                if e.partial { "*" } else { " " },
                e.train_loss,
                e.test_accuracy,
                e.seconds,
                e.updates
            );
        }
        if let Some(e) = self.epochs.iter().find(|e| e.partial) {
            let _ = writeln!(
                table,
                "    * partial: stopped after {} of {} samples",
                thousands(e.samples as u64),
                thousands(self.train_samples as u64)
            );
        }
        let seconds = self.training_seconds();
        let _ = write!(
            table,
            "{} updates in {:.1} s of training ({:.0} updates/s)",
            self.updates(),
            seconds,
            self.updates() as f64 / seconds.max(1e-9)
        );
        if let Some(best) = self.best_epoch() {
            let _ = write!(
                table,
                "; best test accuracy {:.2}% at epoch {}",
                best.test_accuracy, best.epoch
            );
        }
        table
    }

    /// The epoch table as CSV: `epoch,train_loss,test_accuracy,seconds,eval_seconds,updates,samples`.
    pub fn epochs_csv(&self) -> String {
        let mut csv =
            String::from("epoch,train_loss,test_accuracy,seconds,eval_seconds,updates,samples\n");
        for e in &self.epochs {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                e.epoch,
                e.train_loss,
                e.test_accuracy,
                e.seconds,
                e.eval_seconds,
                e.updates,
                e.samples
            );
        }
        csv
    }

    /// Every update's loss as CSV: `update,loss`.
    pub fn update_losses_csv(&self) -> String {
        let mut csv = String::from("update,loss\n");
        for (i, loss) in self.update_losses.iter().enumerate() {
            let _ = writeln!(csv, "{},{loss}", i + 1);
        }
        csv
    }

    /// The whole history as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            what: "the history".into(),
            source,
        })
    }

    /// Reads a history written by [`History::save`].
    pub fn from_json(json: &str) -> Result<History> {
        serde_json::from_str(json).map_err(Error::InvalidHistory)
    }

    /// Writes `<stem>.csv` (epochs), `<stem>-updates.csv` and `<stem>.json` into `dir`
    /// (created if needed), with `stem` the rule's name; returns the three paths.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let stem = self.rule().name();
        Ok(vec![
            write_file(dir.join(format!("{stem}.csv")), self.epochs_csv())?,
            write_file(
                dir.join(format!("{stem}-updates.csv")),
                self.update_losses_csv(),
            )?,
            write_file(dir.join(format!("{stem}.json")), self.to_json()?)?,
        ])
    }
}

/// Why a run ended before its last epoch.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// The configured seconds of training were used up.
    TimeBudget {
        /// The budget.
        seconds: f64,
    },
    /// Stop (■) in JupyterLab, or Ctrl-C.
    Interrupted,
    /// An update's loss was no longer a finite number.
    Diverged {
        /// The loss that was NaN or infinite.
        #[serde(with = "non_finite")]
        loss: f32,
        /// The learning rate that led there.
        learning_rate: f64,
    },
}

impl StopReason {
    /// A few words for a summary line.
    pub fn short(&self) -> &'static str {
        match self {
            StopReason::TimeBudget { .. } => "time budget used up",
            StopReason::Interrupted => "Stop pressed",
            StopReason::Diverged { .. } => "the loss diverged",
        }
    }
}

/// A loss in JSON, which has no NaN or infinity: a number, else its text ("NaN", "inf").
mod non_finite {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f32(*v)
        } else {
            s.serialize_str(&v.to_string())
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(f32),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(v),
            Repr::Text(t) => t.parse().map_err(D::Error::custom),
        }
    }
}

/// Where and why a run stopped early; the history holds everything before that point.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stopped {
    /// Why.
    pub reason: StopReason,
    /// The epoch it stopped in (1-based).
    pub epoch: usize,
    /// Updates made, the one that diverged included.
    pub update: usize,
    /// Samples of that epoch gone through.
    pub samples: usize,
    /// Samples in an epoch.
    pub samples_total: usize,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (epoch, update, done, n) = (self.epoch, self.update, self.samples, self.samples_total);
        match &self.reason {
            StopReason::TimeBudget { seconds } => write!(
                f,
                "Time budget of {} s used up: stopped after {} of {} samples of epoch {epoch}.",
                as_given(*seconds),
                thousands(done as u64),
                thousands(n as u64)
            ),
            StopReason::Interrupted => write!(
                f,
                "Interrupted at epoch {epoch}, update {update} ({} of {} samples): the history and weights so far are kept.",
                thousands(done as u64),
                thousands(n as u64)
            ),
            StopReason::Diverged {
                loss,
                learning_rate,
            } => write!(
                f,
                "Training diverged at epoch {epoch}, update {update}: the loss became {loss}. The learning rate {learning_rate} is too large for this rule; try {} or smaller. The history before that update is kept.",
                learning_rate / 10.0
            ),
        }
    }
}
