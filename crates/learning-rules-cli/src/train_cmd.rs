//! `learning-rules train`: one run, the lecture's log, a progress bar, history files.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use learning_rules::{
    Dataset, DeviceKind, Engine, LearningRule, Mnist, Progress, Result, TrainingConfig,
    train_with_progress,
};

#[derive(Args)]
pub struct TrainArgs {
    /// When to update: per-epoch (24a), minibatch (24b) or per-sample (24c).
    #[arg(long, value_parser = crate::parse::<LearningRule>)]
    rule: LearningRule,
    /// Passes over the training set [default: 10].
    #[arg(long)]
    epochs: Option<usize>,
    /// Learning rate [default: 0.1, or 0.01 per sample].
    #[arg(long)]
    lr: Option<f64>,
    /// Samples per update (minibatch rule) or per gradient chunk (per-epoch rule) [default: 100].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Seed of the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train on the first N training samples only.
    #[arg(long)]
    limit: Option<usize>,
    /// Reshuffle every epoch (default: on for minibatch, off otherwise).
    #[arg(long)]
    shuffle: Option<bool>,
    /// mnist or fashion-mnist.
    #[arg(long, default_value = "mnist", value_parser = crate::parse::<Dataset>)]
    dataset: Dataset,
    /// cpu or cuda [default: $BURN_DEVICE, else cpu].
    #[arg(long, value_parser = crate::parse::<DeviceKind>)]
    device: Option<DeviceKind>,
    /// auto (fused on the CPU), burn or fused.
    #[arg(long, default_value = "auto", value_parser = crate::parse::<Engine>)]
    engine: Engine,
    /// Stop after this many seconds of training.
    #[arg(long)]
    time_budget: Option<f64>,
    /// Folder for the history files (CSV and JSON).
    #[arg(long, default_value = "output")]
    out: PathBuf,
}

impl TrainArgs {
    pub fn config(&self) -> TrainingConfig {
        let lecture = TrainingConfig::lecture(self.rule);
        TrainingConfig {
            epochs: self.epochs.unwrap_or(lecture.epochs),
            learning_rate: self.lr.unwrap_or(lecture.learning_rate),
            batch_size: self.batch_size.unwrap_or(lecture.batch_size),
            shuffle: self.shuffle.unwrap_or(lecture.shuffle),
            seed: self.seed,
            train_samples: self.limit,
            time_budget_seconds: self.time_budget,
            // The log goes through the progress bar so the two do not garble each other.
            print_log: false,
            device: self.device,
            engine: self.engine,
            ..lecture
        }
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let data = Mnist::load_dataset(args.dataset)?;
    let config = args.config();
    println!(
        "Lecture {} ({}): {} epochs, lr {}, batch size {}, {} training samples",
        config.rule.lecture_part(),
        config.rule,
        config.epochs,
        config.learning_rate,
        config.effective_batch_size(),
        config.train_samples.unwrap_or(data.train.len())
    );
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "epoch {msg} [{bar:30}] {pos}/{len} samples, {elapsed} ({eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let run = train_with_progress(&data, &config, |progress| match progress {
        Progress::Batch {
            epoch,
            samples_done,
            samples_total,
            ..
        } => {
            bar.set_length(samples_total as u64);
            bar.set_message(epoch.to_string());
            bar.set_position(samples_done as u64);
        }
        Progress::Epoch(record) => {
            bar.suspend(|| println!("{}", record.log_lines()));
            bar.reset();
        }
    });
    bar.finish_and_clear();
    let run = run?;
    let mut files = run.history.save(&args.out)?;
    files.extend(
        run.history
            .save_figures(args.out.join(config.rule.name()))?,
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
