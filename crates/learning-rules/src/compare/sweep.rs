//! The batch size swept from one sample to the whole set: the three rules as points of one
//! continuum, each trained for a fixed number of epochs and for a fixed time.

use std::path::{Path, PathBuf};

use super::Table;
use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::plot::Figure;
use crate::train::train;

/// Settings of the batch-size sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepConfig {
    /// What every batch size shares: seed, `train_samples`, device and engine (the rule, learning
    /// rate, batch size, epochs and time budget here are not used: see the fields below).
    pub training: TrainingConfig,
    /// Batch sizes to train with. 1 is the per-sample rule (lr 0.01), the whole training set
    /// the per-epoch rule; the rest are minibatches (lr 0.1).
    pub batch_sizes: Vec<usize>,
    /// Every batch size trains this many epochs for the first measurement …
    pub epochs: usize,
    /// … and this many seconds for the second.
    pub seconds: f64,
}

impl Default for SweepConfig {
    fn default() -> SweepConfig {
        SweepConfig {
            training: TrainingConfig::default(),
            batch_sizes: vec![1, 10, 100, 1000, 60_000],
            epochs: 3,
            seconds: 5.0,
        }
    }
}

/// One batch size's results.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    /// Samples per update.
    pub batch_size: usize,
    /// The rule that batch size amounts to.
    pub rule: LearningRule,
    /// Its learning rate.
    pub learning_rate: f64,
    /// Test accuracy after `epochs` epochs.
    pub accuracy_after_epochs: f64,
    /// Updates those epochs made.
    pub updates_after_epochs: usize,
    /// Test accuracy after `seconds` of training.
    pub accuracy_after_seconds: f64,
    /// Updates made in those seconds.
    pub updates_after_seconds: usize,
}

/// The sweep's points, smallest batch first.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The settings it ran with.
    pub config: SweepConfig,
    /// One point per batch size.
    pub points: Vec<SweepPoint>,
    /// Which implementation trained (`None` if the sweep was stopped before its first point).
    pub engine: Option<Engine>,
}

/// Trains every batch size of `config` twice: for a fixed number of epochs and for a fixed time.
pub fn sweep_batch_sizes(data: &Dataset, config: &SweepConfig) -> Result<Sweep> {
    if config.batch_sizes.is_empty() {
        return Err(Error::InvalidConfig(
            "the sweep needs at least one batch size".into(),
        ));
    }
    let n = config
        .training
        .train_samples
        .unwrap_or(data.train.len())
        .min(data.train.len());
    let mut sizes: Vec<usize> = config.batch_sizes.iter().map(|&b| b.min(n)).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let (mut points, mut engine) = (Vec::new(), None);
    for batch_size in sizes {
        // Stop (■) ends the sweep: the points measured in full are the result.
        match measure(data, config, batch_size, n)? {
            Some((point, trained_by)) => {
                points.push(point);
                engine = Some(trained_by);
            }
            None => break,
        }
    }
    Ok(Sweep {
        config: config.clone(),
        points,
        engine,
    })
}

/// The rule a batch size amounts to on `n` samples: 1 is per-sample, `n` per-epoch.
fn rule_for(batch_size: usize, n: usize) -> LearningRule {
    match batch_size {
        1 => LearningRule::PerSample,
        b if b >= n => LearningRule::PerEpoch,
        _ => LearningRule::PerMinibatch,
    }
}

/// One batch size trained for `config.epochs` epochs, then for `config.seconds`, and the engine
/// that trained it; `None` when Stop ended either run.
fn measure(
    data: &Dataset,
    config: &SweepConfig,
    batch_size: usize,
    n: usize,
) -> Result<Option<(SweepPoint, Engine)>> {
    let rule = rule_for(batch_size, n);
    let lecture = TrainingConfig::lecture(rule);
    let sized = TrainingConfig {
        batch_size: if rule == LearningRule::PerMinibatch {
            batch_size
        } else {
            lecture.batch_size
        },
        ..lecture
    };
    // The sweep sets how long each batch size trains, and measures once per epoch.
    let base = TrainingConfig {
        time_budget_seconds: None,
        evaluations_per_epoch: 1,
        ..sized.with_shared_settings(&config.training)
    };
    let by_epochs = train(
        data,
        &TrainingConfig {
            epochs: config.epochs,
            ..base.clone()
        },
    )?
    .history;
    if by_epochs.was_interrupted() {
        return Ok(None);
    }
    let by_time = train(data, &base.clone().for_seconds(config.seconds))?.history;
    if by_time.was_interrupted() {
        return Ok(None);
    }
    let point = SweepPoint {
        batch_size,
        rule,
        learning_rate: base.learning_rate,
        accuracy_after_epochs: by_epochs.final_accuracy().unwrap_or(0.0),
        updates_after_epochs: by_epochs.updates(),
        accuracy_after_seconds: by_time.final_accuracy().unwrap_or(0.0),
        updates_after_seconds: by_time.updates(),
    };
    Ok(Some((point, by_epochs.engine.engine)))
}

impl Sweep {
    /// Test accuracy against batch size (log scale): after a fixed number of epochs and after
    /// a fixed time.
    pub fn figure(&self) -> Figure {
        let line = |f: fn(&SweepPoint) -> f64| -> Vec<(f64, f64)> {
            self.points
                .iter()
                .map(|p| (p.batch_size as f64, f(p)))
                .collect()
        };
        Figure::new(
            &match self.engine {
                Some(engine) => format!("Batch size: from one sample to the whole set ({engine})"),
                None => "Batch size: from one sample to the whole set".into(),
            },
            "samples per update (log scale)",
            "test accuracy (%)",
        )
        .log_x()
        .line(
            &format!("after {}", epochs(self.config.epochs)),
            line(|p| p.accuracy_after_epochs),
        )
        .line(
            &format!("after {} s of training", self.config.seconds),
            line(|p| p.accuracy_after_seconds),
        )
    }

    /// One row per batch size: its rule, learning rate and both accuracies. Prints as Markdown.
    pub fn table(&self) -> Table {
        let header = [
            "batch size".to_string(),
            "rule".into(),
            "lr".into(),
            format!("acc after {} (%)", epochs(self.config.epochs)),
            "updates".into(),
            format!("acc after {} s (%)", self.config.seconds),
            "updates".into(),
        ];
        Table {
            header: header.to_vec(),
            rows: self.rows(),
        }
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.points
            .iter()
            .map(|p| {
                vec![
                    p.batch_size.to_string(),
                    p.rule.to_string(),
                    p.learning_rate.to_string(),
                    format!("{:.2}", p.accuracy_after_epochs),
                    p.updates_after_epochs.to_string(),
                    format!("{:.2}", p.accuracy_after_seconds),
                    p.updates_after_seconds.to_string(),
                ]
            })
            .collect()
    }

    /// Writes the chart (PNG and SVG) and the table (CSV and Markdown) into `dir`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let fig = self.figure();
        let mut files = vec![
            fig.save_for_slides(dir.join("batch-size-sweep.png"))?,
            fig.save(dir.join("batch-size-sweep.svg"))?,
        ];
        files.extend(self.table().save(dir, "batch-size-sweep")?);
        Ok(files)
    }
}

fn epochs(n: usize) -> String {
    if n == 1 {
        "1 epoch".into()
    } else {
        format!("{n} epochs")
    }
}
