//! `learning-rules compare`: the three rules raced, a batch-size sweep, charts and tables.

use std::path::PathBuf;

use clap::Args;
use learning_rules::{
    ComparisonConfig, Dataset, Engine, Result, SweepConfig, compare_rules, sweep_batch_sizes,
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
    /// auto (fused on the CPU) or burn (the general path, where every update costs about 850 µs).
    #[arg(long, default_value = "auto", value_parser = crate::parse::<Engine>)]
    engine: Engine,
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
    let comparison = compare_rules(
        &data,
        &ComparisonConfig {
            epochs: args.epochs,
            train_samples: args.train_samples,
            time_budget_seconds: args.time_budget,
            evaluations_per_epoch: args.evaluations_per_epoch,
            seed: args.seed,
            engine: args.engine,
            ..ComparisonConfig::default()
        },
    )?;
    println!("\n{}", comparison.table());
    let mut files = comparison.save(&args.out)?;
    if !args.no_sweep {
        println!("== batch-size sweep");
        let sweep = sweep_batch_sizes(
            &data,
            &SweepConfig {
                epochs: args.sweep_epochs,
                seconds: args.sweep_seconds,
                train_samples: args.train_samples,
                seed: args.seed,
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
