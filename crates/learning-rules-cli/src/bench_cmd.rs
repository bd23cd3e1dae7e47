//! `learning-rules bench`: each rule's training speed on the real MNIST, as a table and JSON.

use std::path::PathBuf;

use clap::Args;
use learning_rules::{Dataset, Engine, Error, LearningRule, Result, TrainingConfig, train};

use crate::memory;

#[derive(Args)]
pub struct BenchArgs {
    /// Timed runs per rule after one warm-up run; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Samples per timed per-sample run (scaled to 60,000 updates).
    #[arg(long, default_value_t = 10_000)]
    sample_subset: usize,
    /// Rules to time, comma-separated [default: all three].
    #[arg(long, value_delimiter = ',', value_parser = crate::parse::<LearningRule>)]
    rules: Vec<LearningRule>,
    /// auto (fused on the CPU), burn or fused.
    #[arg(long, default_value = "auto", value_parser = crate::parse::<Engine>)]
    engine: Engine,
    /// Also write the results as a JSON array to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// One row of the table; the JSON keys are the field names.
#[derive(serde::Serialize)]
struct Row {
    rule: &'static str,
    /// Training only, evaluation excluded, for one pass of 60,000 samples.
    seconds_per_60k: f64,
    updates_per_second: f64,
    peak_rss_mb: f64,
}

pub fn run(args: BenchArgs) -> Result<()> {
    if args.runs == 0 {
        return Err(Error::InvalidConfig("--runs 0: time at least 1 run".into()));
    }
    let data = Dataset::load()?;
    let rules = if args.rules.is_empty() {
        LearningRule::ALL.to_vec()
    } else {
        args.rules.clone()
    };
    println!(
        "{} timed runs per rule after a warm-up, median; per-sample on the first {} samples, scaled to 60,000",
        args.runs, args.sample_subset
    );
    println!(
        "{:<12} {:>16} {:>14} {:>14}  engine",
        "rule", "s per 60k", "updates/s", "peak RSS MB"
    );
    let mut rows = Vec::new();
    for rule in rules {
        let (row, engine) = time_rule(&data, rule, &args)?;
        println!(
            "{:<12} {:>16.3} {:>14.1} {:>14.0}  {engine}",
            row.rule, row.seconds_per_60k, row.updates_per_second, row.peak_rss_mb
        );
        rows.push(row);
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&rows).map_err(|e| Error::Json {
            what: "the benchmark rows".into(),
            reason: e.to_string(),
        })?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
        }
        std::fs::write(path, json).map_err(|e| write_error(path, e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// `rule` trained for one epoch `args.runs` times after a warm-up: the median seconds per
/// 60,000 samples, and the engine that ran.
fn time_rule(data: &Dataset, rule: LearningRule, args: &BenchArgs) -> Result<(Row, String)> {
    let config = TrainingConfig {
        epochs: 1,
        engine: args.engine,
        train_samples: (rule == LearningRule::PerSample).then_some(args.sample_subset),
        ..TrainingConfig::lecture(rule)
    };
    memory::reset_peak_rss();
    let mut seconds = Vec::new();
    let mut engine = String::new();
    for _ in 0..=args.runs {
        let h = train(data, &config)?.history;
        seconds.push(h.training_seconds() * 60_000.0 / h.train_samples as f64);
        engine = h.engine;
    }
    seconds.remove(0); // the warm-up
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    let updates_per_60k = match rule {
        LearningRule::PerEpoch => 1.0,
        LearningRule::PerMinibatch => 60_000.0 / config.batch_size as f64,
        LearningRule::PerSample => 60_000.0,
    };
    let row = Row {
        rule: rule.name(),
        seconds_per_60k: median,
        updates_per_second: updates_per_60k / median,
        peak_rss_mb: memory::peak_rss_mb().unwrap_or(f64::NAN),
    };
    Ok((row, engine))
}

fn write_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
