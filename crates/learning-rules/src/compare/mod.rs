//! The lecture's conclusion in numbers: the three rules raced on test accuracy against
//! wall-clock seconds, updates and epochs, and a batch-size sweep that shows them as points of
//! one continuum.

mod sweep;
mod table;

use std::path::{Path, PathBuf};

pub use self::sweep::{Sweep, SweepConfig, SweepPoint, sweep_batch_sizes};
pub use self::table::Table;
use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::history::History;
use crate::observer::LectureLog;
use crate::plot::{Figure, SeriesLabelPosition};
use crate::train::train_with;

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
pub fn compare_rules(data: &Dataset, config: &ComparisonConfig) -> Result<Comparison> {
    let mut runs = Vec::new();
    for rule in LearningRule::ALL {
        let training = TrainingConfig {
            epochs: config.epochs,
            train_samples: config.train_samples,
            time_budget_seconds: config.time_budget_seconds,
            evaluations_per_epoch: config.evaluations_per_epoch,
            seed: config.seed,
            engine: config.engine,
            ..TrainingConfig::lecture(rule)
        };
        let run = if config.print_log {
            println!("== {} ({rule})", rule.lecture_part());
            train_with(data, &training, LectureLog::default())?
        } else {
            train_with(data, &training, ())?
        };
        let stopped = run.history.stopped.is_some();
        runs.push(run.history);
        // Stop (■) ends the race, not just the rule running.
        if stopped && crate::stop::requested() {
            break;
        }
    }
    Ok(Comparison {
        runs,
        thresholds: config.thresholds.clone(),
    })
}

/// `config` trained once per seed, silently: how much of a result is the luck of the initial
/// weights (24a's ten updates land far apart).
pub fn train_seeds(
    data: &Dataset,
    config: &TrainingConfig,
    seeds: impl IntoIterator<Item = u64>,
) -> Result<Vec<History>> {
    let mut runs = Vec::new();
    for seed in seeds {
        runs.push(
            train_with(
                data,
                &TrainingConfig {
                    seed,
                    ..config.clone()
                },
                (),
            )?
            .history,
        );
        if crate::stop::requested() {
            break;
        }
    }
    Ok(runs)
}

/// One row per run of [`train_seeds`] (seed, final training loss, final test accuracy), then
/// the range of each.
pub fn seed_table(runs: &[History]) -> Table {
    let finals: Vec<(u64, f64, f64)> = runs
        .iter()
        .filter_map(|h| {
            let e = h.epochs.last()?;
            Some((h.config.seed, e.train_loss, e.test_accuracy))
        })
        .collect();
    let mut rows: Vec<Vec<String>> = finals
        .iter()
        .map(|(seed, loss, acc)| vec![seed.to_string(), format!("{loss:.4}"), format!("{acc:.2}")])
        .collect();
    let range = |f: fn(&(u64, f64, f64)) -> f64, digits: usize| {
        let lo = finals.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = finals.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.digits$} to {hi:.digits$}")
    };
    if !finals.is_empty() {
        rows.push(vec!["range".into(), range(|r| r.1, 4), range(|r| r.2, 2)]);
    }
    Table {
        header: ["seed", "final train loss", "final test acc (%)"]
            .map(String::from)
            .to_vec(),
        rows,
    }
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
