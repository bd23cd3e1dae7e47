//! The lecture's conclusion in numbers: the three rules raced on test accuracy against
//! wall-clock seconds, updates and epochs, on each engine (what an update costs decides who wins
//! on the clock); the per-epoch rule given many epochs; and a batch-size sweep that shows the
//! rules as points of one continuum.

mod runs;
mod sweep;
mod table;

use std::path::{Path, PathBuf};

pub use self::runs::{per_epoch_for_seconds, seed_table, train_seeds};
pub use self::sweep::{Sweep, SweepConfig, SweepPoint, sweep_batch_sizes};
pub use self::table::Table;
use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::history::{Checkpoint, History};
use crate::observer::LectureLog;
use crate::plot::Figure;
use crate::train::train_with;

/// Settings of a race between the three rules.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonConfig {
    /// What every rule shares: epochs, seed, `train_samples`, time budget, evaluations per
    /// epoch, device. Each rule keeps its lecture learning rate, batch size and order, so
    /// `rule`, `learning_rate`, `batch_size` and `shuffle` here are not used; nor is `engine`,
    /// which `engines` replaces.
    pub training: TrainingConfig,
    /// The race runs once per engine, in this order.
    pub engines: Vec<Engine>,
    /// The time budget of each rule on burn's general path, where a per-sample epoch takes
    /// about a minute (`None`: `training.time_budget_seconds`).
    pub burn_time_budget_seconds: Option<f64>,
    /// Accuracies (%) whose time and update count the table reports.
    pub thresholds: Vec<f64>,
    /// Print each rule's lecture log as it trains.
    pub print_log: bool,
}

impl Default for ComparisonConfig {
    /// The lecture's ten epochs, ten measurements per epoch, on the CPU's fused path then on
    /// burn's (a minute per rule at most), thresholds 90, 95 and 96 %.
    fn default() -> ComparisonConfig {
        ComparisonConfig {
            training: TrainingConfig {
                evaluations_per_epoch: 10,
                ..TrainingConfig::default()
            },
            engines: vec![Engine::Auto, Engine::Burn],
            burn_time_budget_seconds: Some(60.0),
            thresholds: vec![90.0, 95.0, 96.0],
            print_log: true,
        }
    }
}

impl ComparisonConfig {
    /// The settings `rule` trains with on `engine` in the race.
    pub fn for_rule(&self, rule: LearningRule, engine: Engine) -> TrainingConfig {
        let lecture = TrainingConfig::lecture(rule);
        let budget = match engine {
            Engine::Burn => self
                .burn_time_budget_seconds
                .or(self.training.time_budget_seconds),
            _ => self.training.time_budget_seconds,
        };
        TrainingConfig {
            engine,
            time_budget_seconds: budget,
            ..lecture.with_shared_settings(&self.training)
        }
    }
}

/// The histories of a race: one per rule and engine, in the lecture's order, engine by engine.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// One history per rule and engine.
    pub runs: Vec<History>,
    /// The accuracies the table reports on.
    pub thresholds: Vec<f64>,
}

/// Trains the three rules one after the other on each of `config.engines`. Stop (■) ends the
/// race, not only the rule running.
pub fn compare_rules(data: &Dataset, config: &ComparisonConfig) -> Result<Comparison> {
    let mut runs = Vec::new();
    'race: for &engine in &config.engines {
        for rule in LearningRule::ALL {
            let training = config.for_rule(rule, engine);
            let run = if config.print_log {
                let heading = format!("== {} ({rule}), {engine}", rule.lecture_part());
                train_with(data, &training, LectureLog::with_heading(heading))?
            } else {
                train_with(data, &training, ())?
            };
            let interrupted = run.history.was_interrupted();
            runs.push(run.history);
            if interrupted {
                break 'race;
            }
        }
    }
    Ok(Comparison {
        runs,
        thresholds: config.thresholds.clone(),
    })
}

impl Comparison {
    /// Whether the race ran on more than one engine (then labels name the engine).
    fn several_engines(&self) -> bool {
        self.runs
            .iter()
            .any(|h| h.engine.engine != self.runs[0].engine.engine)
    }

    /// `24b (minibatch)`, or `24b (minibatch), burn` when engines are compared.
    pub fn label(&self, run: &History) -> String {
        if self.several_engines() {
            format!("{}, {}", run.label(), run.engine.engine)
        } else {
            run.label()
        }
    }

    fn accuracy_against(
        &self,
        title: &str,
        x_label: &str,
        runs: &[&History],
        x: impl Fn(&Checkpoint) -> f64,
    ) -> Figure {
        let empty = Figure::new(title, x_label, "test accuracy (%)");
        runs.iter().fold(empty, |fig, h| {
            fig.line(
                &self.label(h),
                h.checkpoints
                    .iter()
                    .map(|c| (x(c), c.test_accuracy))
                    .collect(),
            )
        })
    }

    fn all(&self) -> Vec<&History> {
        self.runs.iter().collect()
    }

    /// Test accuracy against seconds of training (log scale, so that a run of a second and
    /// one of a minute both show): who gets there first on the clock, on each engine.
    pub fn accuracy_vs_seconds(&self) -> Figure {
        self.accuracy_against(
            "Test accuracy against training time",
            "seconds of training (log scale)",
            &self.all(),
            |c| c.seconds,
        )
        .log_x()
    }

    /// Test accuracy against the number of updates, on a log scale, with `extra` runs (the
    /// per-epoch rule given many epochs, say) beside the race's, named by their epochs.
    pub fn accuracy_vs_updates(&self, extra: &[&History]) -> Figure {
        let fig = self.accuracy_against(
            "Test accuracy against updates",
            "updates (log scale)",
            &self.first_engine(),
            |c| c.updates as f64,
        );
        extra
            .iter()
            .fold(fig, |fig, h| {
                fig.line(
                    &format!("{}, {} epochs", h.label(), h.epochs.len()),
                    h.checkpoints
                        .iter()
                        .map(|c| (c.updates as f64, c.test_accuracy))
                        .collect(),
                )
            })
            .log_x()
    }

    /// What the per-epoch rule given many epochs (`long`) reached, and how many updates and
    /// seconds the race's minibatch rule needed for the same accuracy.
    pub fn long_run_summary(&self, long: &History) -> String {
        let (Some(last), Some(minibatch)) = (
            long.epochs.last(),
            self.first_engine()
                .into_iter()
                .find(|h| h.rule() == LearningRule::PerMinibatch),
        ) else {
            return "no per-epoch run, or no minibatch run to compare it with".into();
        };
        let reached = last.test_accuracy;
        let mut text = format!(
            "{} given {:.0} s: {} epochs, {} updates, test accuracy {reached:.2}%",
            long.label(),
            long.training_seconds(),
            long.epochs.len(),
            long.updates()
        );
        match minibatch.first_reaching(reached) {
            Some(c) => text.push_str(&format!(
                "; {} was there after {} updates ({:.1} s)",
                minibatch.label(),
                c.updates,
                c.seconds
            )),
            None => text.push_str(&format!("; {} never got there", minibatch.label())),
        }
        text
    }

    /// The runs on the race's first engine: per update and per epoch the engines agree.
    fn first_engine(&self) -> Vec<&History> {
        let first = self.runs.first().map(|h| h.engine.engine);
        self.runs
            .iter()
            .filter(|h| Some(h.engine.engine) == first)
            .collect()
    }

    /// Test accuracy against epochs, each rule's best epoch marked (where overfitting turns it).
    pub fn accuracy_vs_epochs(&self) -> Figure {
        let runs = self.first_engine();
        let mut fig =
            self.accuracy_against("Test accuracy against epochs", "epoch", &runs, |c| c.epochs);
        for (i, h) in runs.iter().enumerate() {
            if let Some(best) = h.best_epoch() {
                let text = format!("best {:.2}% (epoch {})", best.test_accuracy, best.epoch);
                fig = fig.marker(i, &text, (best.epoch as f64, best.test_accuracy));
            }
        }
        fig
    }

    /// One row per run: time and updates to each threshold, best accuracy and its epoch, the
    /// cost of one update. Prints as Markdown; `.csv()` for spreadsheets.
    pub fn table(&self) -> Table {
        let mut header = vec!["rule".to_string()];
        header.extend(self.thresholds.iter().map(|t| format!("to {t}%")));
        header.extend(
            [
                "best test acc (%)",
                "best epoch",
                "training s",
                "updates",
                "µs per update",
            ]
            .map(String::from),
        );
        Table {
            header,
            rows: self.runs.iter().map(|h| self.row(h)).collect(),
        }
    }

    fn row(&self, h: &History) -> Vec<String> {
        let mut row = vec![self.label(h)];
        for &t in &self.thresholds {
            row.push(match h.first_reaching(t) {
                Some(c) => format!("{:.1} s, {} updates", c.seconds, c.updates),
                None => "not reached".into(),
            });
        }
        let best = h.best_epoch();
        row.push(
            best.as_ref()
                .map_or("-".into(), |b| format!("{:.2}", b.test_accuracy)),
        );
        row.push(best.map_or("-".into(), |b| b.epoch.to_string()));
        row.push(format!("{:.1}", h.training_seconds()));
        row.push(h.updates().to_string());
        row.push(format!("{:.0}", microseconds_per_update(h)));
        row
    }

    /// Seconds of training per update of `rule` on each engine, in race order: what decides
    /// who wins on the clock.
    pub fn microseconds_per_update(&self, rule: LearningRule) -> Vec<(Engine, f64)> {
        self.runs
            .iter()
            .filter(|h| h.rule() == rule)
            .map(|h| (h.engine.engine, microseconds_per_update(h)))
            .collect()
    }

    /// Writes the three charts (slide-sized PNG and SVG) and the table (CSV and Markdown) into
    /// `dir`; returns the files written.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        for (name, fig) in [
            ("accuracy-vs-seconds", self.accuracy_vs_seconds()),
            ("accuracy-vs-updates", self.accuracy_vs_updates(&[])),
            ("accuracy-vs-epochs", self.accuracy_vs_epochs()),
        ] {
            files.push(fig.save_for_slides(dir.join(format!("{name}.png")))?);
            files.push(fig.save(dir.join(format!("{name}.svg")))?);
        }
        files.extend(self.table().save(dir, "rules")?);
        Ok(files)
    }
}

fn microseconds_per_update(h: &History) -> f64 {
    1e6 * h.training_seconds() / h.updates().max(1) as f64
}
