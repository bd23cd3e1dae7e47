//! `learning-rules compare`: the three rules raced, a batch-size sweep, charts and tables.

use std::path::PathBuf;

use clap::Args;
use learning_rules::{
    ComparisonConfig, Dataset, Engine, Result, SweepConfig, TrainingConfig, compare_rules,
    per_epoch_for_seconds, sweep_batch_sizes,
};

#[derive(Args)]
pub struct CompareArgs {
    /// Epochs per rule.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Train on the first N training samples only.
    #[arg(long, visible_alias = "limit", allow_hyphen_values = true, value_parser = crate::count)]
    train_samples: Option<usize>,
    /// Stop each rule after this many seconds of training.
    #[arg(long)]
    time_budget: Option<f64>,
    /// Test-accuracy measurements per epoch.
    #[arg(long, default_value_t = 10)]
    evaluations_per_epoch: usize,
    /// Engines to race on, in order: auto (fused on the CPU), burn (the general path), fused.
    #[arg(long, value_delimiter = ',', default_value = "auto,burn", value_parser = crate::parse::<Engine>)]
    engines: Vec<Engine>,
    /// Stop each rule on burn after this many seconds of training (a per-sample epoch there
    /// takes about a minute).
    #[arg(long, default_value_t = 60.0)]
    burn_time_budget: f64,
    /// Also train the per-epoch rule for this many seconds, however many epochs that takes (0:
    /// not), to plot against the minibatch rule per update.
    #[arg(long, default_value_t = 0.0)]
    long_per_epoch_seconds: f64,
    /// Seed of the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Batch-size sweep: accuracy after this many epochs …
    #[arg(long, default_value_t = 3)]
    sweep_epochs: usize,
    /// … and after this many seconds of training.
    #[arg(long, default_value_t = 5.0)]
    sweep_seconds: f64,
    /// Skip the batch-size sweep.
    #[arg(long)]
    no_sweep: bool,
    /// Folder for the charts and tables.
    #[arg(long, default_value = "output/compare")]
    out: PathBuf,
}

pub fn run(args: CompareArgs) -> Result<()> {
    let data = Dataset::load()?;
    let shared = TrainingConfig {
        epochs: args.epochs,
        train_samples: args.train_samples,
        time_budget_seconds: args.time_budget,
        evaluations_per_epoch: args.evaluations_per_epoch,
        seed: args.seed,
        ..TrainingConfig::default()
    };
    let comparison = compare_rules(
        &data,
        &ComparisonConfig {
            training: shared.clone(),
            engines: args.engines.clone(),
            burn_time_budget_seconds: Some(args.burn_time_budget),
            ..ComparisonConfig::default()
        },
    )?;
    println!("\n{}", comparison.table());
    let mut files = comparison.save(&args.out)?;
    if let Some(long) = per_epoch_for_seconds(&data, &shared, args.long_per_epoch_seconds)? {
        println!("{}", comparison.long_run_summary(&long));
        let figure = comparison.accuracy_vs_updates(&[&long]);
        files.push(figure.save_for_slides(args.out.join("per-epoch-long-vs-updates.png"))?);
        files.push(figure.save(args.out.join("per-epoch-long-vs-updates.svg"))?);
    }
    if !args.no_sweep {
        println!("== batch-size sweep");
        let sweep = sweep_batch_sizes(
            &data,
            &SweepConfig {
                training: TrainingConfig {
                    engine: args.engines.first().copied().unwrap_or_default(),
                    ..shared
                },
                epochs: args.sweep_epochs,
                seconds: args.sweep_seconds,
                ..SweepConfig::default()
            },
        )?;
        println!("{}", sweep.table());
        files.extend(sweep.save(&args.out)?);
    }
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
