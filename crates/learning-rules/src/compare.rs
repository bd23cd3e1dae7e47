//! The lecture's conclusion in numbers: the three rules raced on test accuracy against
//! wall-clock seconds, updates and epochs, and a batch-size sweep that shows them as points of
//! one continuum.

use std::path::{Path, PathBuf};

use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::data::Mnist;
use crate::error::{Error, Result, write_file};
use crate::history::History;
use crate::plot::{Figure, SeriesLabelPosition};
use crate::train::train;

/// Settings of a race between the three rules; each rule keeps its lecture learning rate and
/// batch size.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonConfig {
    /// Epochs per rule.
    pub epochs: usize,
    /// Train on the first N samples only; `None` uses all 60,000.
    pub train_samples: Option<usize>,
    /// Stop each rule after this many seconds of training.
    pub time_budget_seconds: Option<f64>,
    /// Test-accuracy measurements per epoch: the resolution of the time and update axes.
    pub evaluations_per_epoch: usize,
    /// Initial weights and shuffling, the same for every rule.
    pub seed: u64,
    /// Accuracies (%) whose time and update count the table reports.
    pub thresholds: Vec<f64>,
    /// Print each rule's lecture log as it trains.
    pub print_log: bool,
    /// Which implementation trains: what an update costs decides who wins on the clock.
    pub engine: Engine,
}

impl Default for ComparisonConfig {
    /// The lecture's ten epochs, ten measurements per epoch, thresholds 90, 95 and 96 %.
    fn default() -> ComparisonConfig {
        ComparisonConfig {
            epochs: 10,
            train_samples: None,
            time_budget_seconds: None,
            evaluations_per_epoch: 10,
            seed: 0,
            thresholds: vec![90.0, 95.0, 96.0],
            print_log: true,
            engine: Engine::Auto,
        }
    }
}

/// The three histories of a race.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// One history per rule, in the lecture's order.
    pub runs: Vec<History>,
    /// The accuracies the table reports on.
    pub thresholds: Vec<f64>,
}

/// Trains the three rules one after the other under `config`.
pub fn compare_rules(data: &Mnist, config: &ComparisonConfig) -> Result<Comparison> {
    let mut runs = Vec::new();
    for rule in LearningRule::ALL {
        let training = TrainingConfig {
            epochs: config.epochs,
            train_samples: config.train_samples,
            time_budget_seconds: config.time_budget_seconds,
            evaluations_per_epoch: config.evaluations_per_epoch,
            seed: config.seed,
            print_log: config.print_log,
            engine: config.engine,
            ..TrainingConfig::lecture(rule)
        };
        if config.print_log {
            println!("== {} ({rule})", rule.lecture_part());
        }
        runs.push(train(data, &training)?.history);
    }
    Ok(Comparison {
        runs,
        thresholds: config.thresholds.clone(),
    })
}

fn label(h: &History) -> String {
    format!("{} ({})", h.rule().lecture_part(), h.rule())
}

impl Comparison {
    fn accuracy_against(
        &self,
        title: &str,
        x_label: &str,
        x: impl Fn(&crate::Checkpoint) -> f64,
    ) -> Figure {
        let empty = Figure::new(title, x_label, "test accuracy (%)")
            .legend(SeriesLabelPosition::LowerRight);
        self.runs.iter().fold(empty, |fig, h| {
            fig.line(
                &label(h),
                h.checkpoints
                    .iter()
                    .map(|c| (x(c), c.test_accuracy))
                    .collect(),
            )
        })
    }

    /// Test accuracy against seconds of training: who gets there first on the clock.
    pub fn accuracy_vs_seconds(&self) -> Figure {
        self.accuracy_against(
            "Test accuracy against training time",
            "seconds of training",
            |c| c.seconds,
        )
    }

    /// Test accuracy against the number of updates, on a log scale.
    pub fn accuracy_vs_updates(&self) -> Figure {
        self.accuracy_against(
            "Test accuracy against updates",
            "updates (log scale)",
            |c| c.updates as f64,
        )
        .log_x()
    }

    /// Test accuracy against epochs, each rule's best epoch marked (where overfitting turns it).
    pub fn accuracy_vs_epochs(&self) -> Figure {
        let mut fig = self.accuracy_against("Test accuracy against epochs", "epoch", |c| c.epochs);
        for (i, h) in self.runs.iter().enumerate() {
            if let Some(best) = h.best_epoch() {
                let text = format!("best {:.2}% (epoch {})", best.test_accuracy, best.epoch);
                fig = fig.marker(i, &text, (best.epoch as f64, best.test_accuracy));
            }
        }
        fig
    }

    /// One row per rule: time and updates to each threshold, best accuracy and its epoch.
    /// Prints as Markdown; `.csv()` for spreadsheets.
    pub fn table(&self) -> Table {
        let mut header = vec!["rule".to_string()];
        header.extend(self.thresholds.iter().map(|t| format!("to {t}%")));
        header
            .extend(["best test acc (%)", "best epoch", "training s", "updates"].map(String::from));
        Table {
            header,
            rows: self.rows(),
        }
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.runs
            .iter()
            .map(|h| {
                let mut row = vec![label(h)];
                for &t in &self.thresholds {
                    row.push(match h.first_reaching(t) {
                        Some(c) => format!("{:.1} s, {} updates", c.seconds, c.updates),
                        None => "not reached".into(),
                    });
                }
                let best = h.best_epoch();
                row.push(best.map_or("-".into(), |b| format!("{:.2}", b.test_accuracy)));
                row.push(best.map_or("-".into(), |b| b.epoch.to_string()));
                row.push(format!("{:.1}", h.training_seconds()));
                row.push(h.updates().to_string());
                row
            })
            .collect()
    }

    /// Writes the three charts (slide-sized PNG and SVG) and the table (CSV and Markdown) into
    /// `dir`; returns the files written.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        for (name, fig) in [
            ("accuracy-vs-seconds", self.accuracy_vs_seconds()),
            ("accuracy-vs-updates", self.accuracy_vs_updates()),
            ("accuracy-vs-epochs", self.accuracy_vs_epochs()),
        ] {
            files.push(fig.save_for_slides(dir.join(format!("{name}.png")))?);
            files.push(fig.save(dir.join(format!("{name}.svg")))?);
        }
        files.extend(self.table().save(dir, "rules")?);
        Ok(files)
    }
}

/// Settings of the batch-size sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepConfig {
    /// Batch sizes to train with. 1 is the per-sample rule (lr 0.01), the whole training set
    /// the per-epoch rule; the rest are minibatches (lr 0.1).
    pub batch_sizes: Vec<usize>,
    /// Every batch size trains this many epochs for the first measurement …
    pub epochs: usize,
    /// … and this many seconds for the second.
    pub seconds: f64,
    /// Train on the first N samples only; `None` uses all 60,000.
    pub train_samples: Option<usize>,
    /// Initial weights and shuffling.
    pub seed: u64,
}

impl Default for SweepConfig {
    fn default() -> SweepConfig {
        SweepConfig {
            batch_sizes: vec![1, 10, 100, 1000, 60_000],
            epochs: 3,
            seconds: 5.0,
            train_samples: None,
            seed: 0,
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
}

/// Trains every batch size of `config` twice: for a fixed number of epochs and for a fixed time.
pub fn sweep_batch_sizes(data: &Mnist, config: &SweepConfig) -> Result<Sweep> {
    if config.batch_sizes.is_empty() {
        return Err(Error::InvalidConfig(
            "the sweep needs at least one batch size".into(),
        ));
    }
    let n = config
        .train_samples
        .unwrap_or(data.train.len())
        .min(data.train.len());
    let mut sizes: Vec<usize> = config.batch_sizes.iter().map(|&b| b.min(n)).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut points = Vec::new();
    for batch_size in sizes {
        let rule = match batch_size {
            1 => LearningRule::PerSample,
            b if b >= n => LearningRule::PerEpoch,
            _ => LearningRule::PerMinibatch,
        };
        let base = TrainingConfig {
            batch_size: if rule == LearningRule::PerMinibatch {
                batch_size
            } else {
                TrainingConfig::lecture(rule).batch_size
            },
            train_samples: config.train_samples,
            seed: config.seed,
            print_log: false,
            ..TrainingConfig::lecture(rule)
        };
        let by_epochs = train(
            data,
            &TrainingConfig {
                epochs: config.epochs,
                ..base.clone()
            },
        )?
        .history;
        let by_time = train(
            data,
            &TrainingConfig {
                epochs: usize::MAX / 2,
                time_budget_seconds: Some(config.seconds),
                ..base.clone()
            },
        )?
        .history;
        points.push(SweepPoint {
            batch_size,
            rule,
            learning_rate: base.learning_rate,
            accuracy_after_epochs: by_epochs.final_accuracy().unwrap_or(0.0),
            updates_after_epochs: by_epochs.updates(),
            accuracy_after_seconds: by_time.final_accuracy().unwrap_or(0.0),
            updates_after_seconds: by_time.updates(),
        });
    }
    Ok(Sweep {
        config: config.clone(),
        points,
    })
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
            "Batch size: from one sample to the whole set",
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

/// A table of results: shown as Markdown (`println!("{table}")`), saved as CSV and Markdown.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// One row of cells per line.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as CSV, cells with commas quoted.
    pub fn csv(&self) -> String {
        let quote = |s: &String| {
            if s.contains(',') {
                format!("\"{s}\"")
            } else {
                s.clone()
            }
        };
        let line = |cells: &[String]| cells.iter().map(quote).collect::<Vec<_>>().join(",") + "\n";
        std::iter::once(&self.header)
            .chain(&self.rows)
            .map(|cells| line(cells))
            .collect()
    }

    /// Writes `<stem>.csv` and `<stem>.md` into `dir`.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
        Ok(vec![
            write_file(dir.join(format!("{stem}.csv")), self.csv())?,
            write_file(dir.join(format!("{stem}.md")), self.to_string())?,
        ])
    }
}

impl std::fmt::Display for Table {
    /// Markdown, for slides and notes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "| {} |", self.header.join(" | "))?;
        writeln!(f, "|{}", "---|".repeat(self.header.len()))?;
        for row in &self.rows {
            writeln!(f, "| {} |", row.join(" | "))?;
        }
        Ok(())
    }
}
