//! `learning-rules train`: one run, the lecture's log, a progress bar, history files.
//!
//! Nothing of a run is lost: the output folder is checked before the first epoch, the history
//! is rewritten (atomically) after every epoch, and a run that diverges or is stopped with
//! Ctrl-C saves what it had before exiting non-zero.

use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use learning_rules::{
    BatchProgress, DatasetKind, DeviceKind, Engine, History, LearningRule, Observer, Result, Run,
    StopReason, TrainingConfig, train_with,
};

use crate::Outcome;

#[derive(Args)]
pub struct TrainArgs {
    /// When to update: per-epoch (24a), minibatch (24b) or per-sample (24c).
    #[arg(long, value_parser = crate::parse::<LearningRule>)]
    rule: LearningRule,
    /// Passes over the training set, at least 1 [default: 10].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::count)]
    epochs: Option<usize>,
    /// Learning rate, a positive number [default: 0.1, or 0.01 per sample].
    #[arg(long, visible_alias = "lr", allow_hyphen_values = true, value_parser = crate::number)]
    learning_rate: Option<f64>,
    /// Samples per update (minibatch rule) or per gradient chunk (per-epoch rule), at least 1
    /// [default: 100].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::count)]
    batch_size: Option<usize>,
    /// Seed of the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train on the first N training samples only.
    #[arg(long, visible_alias = "limit", allow_hyphen_values = true, value_parser = crate::count)]
    train_samples: Option<usize>,
    /// Reshuffle every epoch (default: on for minibatch, off otherwise).
    #[arg(long)]
    shuffle: Option<bool>,
    /// mnist or fashion-mnist.
    #[arg(long, default_value = "mnist", value_parser = crate::parse::<DatasetKind>)]
    dataset: DatasetKind,
    /// cpu or cuda [default: $BURN_DEVICE; else cuda in a `cuda` build where a GPU is usable;
    /// else cpu].
    #[arg(long, value_parser = crate::parse::<DeviceKind>)]
    device: Option<DeviceKind>,
    /// auto (fused on the CPU), burn or fused.
    #[arg(long, default_value = "auto", value_parser = crate::parse::<Engine>)]
    engine: Engine,
    /// Stop after this many seconds of training.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::number)]
    time_budget: Option<f64>,
    /// Folder for the history files (CSV and JSON) and the charts.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Also write the trained weights as JSON to this file (to compare devices or machines).
    #[arg(long)]
    weights: Option<PathBuf>,
}

impl TrainArgs {
    pub fn config(&self) -> TrainingConfig {
        let lecture = TrainingConfig::lecture(self.rule);
        TrainingConfig {
            epochs: self.epochs.unwrap_or(lecture.epochs),
            learning_rate: self.learning_rate.unwrap_or(lecture.learning_rate),
            batch_size: self.batch_size.unwrap_or(lecture.batch_size),
            shuffle: self.shuffle.unwrap_or(lecture.shuffle),
            seed: self.seed,
            train_samples: self.train_samples,
            time_budget_seconds: self.time_budget,
            device: self.device,
            engine: self.engine,
            ..lecture
        }
    }
}

/// The progress bar, the lecture's log through it, and the history saved after every epoch.
struct TerminalLog<'a> {
    bar: ProgressBar,
    out: &'a Path,
}

impl Observer for TerminalLog<'_> {
    fn batch(&mut self, p: &BatchProgress) {
        self.bar.set_length(p.samples_total as u64);
        self.bar.set_message(p.epoch.to_string());
        self.bar.set_position(p.samples_done as u64);
    }

    fn epoch(&mut self, history: &History) {
        if let Some(record) = history.epochs.last() {
            self.bar
                .suspend(|| println!("{}", record.log_lines(history.train_samples)));
        }
        if let Err(e) = history.save(self.out) {
            self.bar.suspend(|| eprintln!("warning: {e}"));
        }
        self.bar.reset();
    }
}

pub fn run(args: TrainArgs) -> Result<Outcome> {
    let config = args.config();
    learning_rules::files::check_writable(&args.out)?;
    let data = learning_rules::Dataset::load_kind(args.dataset)?;
    config.validate(data.train.len())?;
    println!(
        "Lecture {} ({}): {} epochs, lr {}, batch size {}, {} training samples",
        config.rule.lecture_part(),
        config.rule,
        config.epochs,
        config.learning_rate,
        config.batch_size,
        config.train_samples.unwrap_or(data.train.len())
    );
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "epoch {msg} [{bar:30}] {pos}/{len} samples, {elapsed} ({eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let log = TerminalLog {
        bar: bar.clone(),
        out: &args.out,
    };
    let result = train_with(&data, &config, log);
    bar.finish_and_clear();
    let run = result?;
    if let Some(s) = &run.history.stopped
        && matches!(s.reason, StopReason::Diverged { .. })
    {
        // The epochs before a divergence are worth keeping; the weights are not.
        for f in run.history.save(&args.out)? {
            println!("wrote {}", f.display());
        }
        eprintln!("error: {s}");
        return Ok(Outcome::Diverged);
    }
    save(&run, &args.out)?;
    if let Some(path) = &args.weights {
        println!("wrote {}", run.weights.save(path)?.display());
    }
    match &run.history.stopped {
        Some(s) if s.reason == StopReason::Interrupted => {
            eprintln!("{s}");
            Ok(Outcome::Interrupted)
        }
        Some(s) => {
            println!("{s}");
            Ok(Outcome::Done)
        }
        None => Ok(Outcome::Done),
    }
}

fn save(run: &Run, out: &Path) -> Result<()> {
    let mut files = run.history.save(out)?;
    files.extend(
        run.history
            .save_figures(out.join(run.history.rule().name()))?,
    );
    println!("engine: {}", run.history.engine);
    if let Some(mb) = crate::memory::peak_rss_mb() {
        println!("peak resident memory: {mb:.0} MB");
    }
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
