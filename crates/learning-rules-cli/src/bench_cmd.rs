//! `learning-rules bench`: each rule's training speed on the real MNIST, as a table and JSON.

use std::path::PathBuf;

use clap::Args;
use learning_rules::{
    Dataset, DeviceKind, Engine, Error, LearningRule, Result, TrainingConfig, train,
};

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
    /// cpu or cuda [default: as `train` chooses; the thread sweep: cpu].
    #[arg(long, value_parser = crate::parse::<DeviceKind>)]
    device: Option<DeviceKind>,
    /// Also write the results as a JSON array to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Time every rule with 1, 2, 4, … threads up to the machine's cores, and print the curve:
    /// the best count per rule, and how far the default (what a plain run uses) is from it.
    #[arg(long)]
    threads_sweep: bool,
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
    if args.threads_sweep {
        return threads_sweep(&data, &rules, &args);
    }
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
        let json = serde_json::to_string_pretty(&rows).map_err(|source| Error::Json {
            what: "the benchmark rows".into(),
            source,
        })?;
        println!(
            "wrote {}",
            learning_rules::files::write_file(path, json)?.display()
        );
    }
    Ok(())
}

/// Thread counts to sweep: powers of two below the machine's cores, and the cores.
fn thread_counts() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts: Vec<usize> = (0..usize::BITS)
        .map(|k| 1usize << k)
        .take_while(|&t| t < cores)
        .collect();
    counts.push(cores);
    counts
}

/// Each rule timed in a pool of each thread count (the fused path splits its work over the
/// pool it runs in), as a table: seconds per 60,000 samples, the best count per rule marked,
/// and the default's distance from the best.
fn threads_sweep(data: &Dataset, rules: &[LearningRule], args: &BenchArgs) -> Result<()> {
    let default = rayon::current_num_threads();
    let counts = thread_counts();
    let mut table: Vec<Vec<f64>> = Vec::new();
    for &threads in &counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::InvalidConfig(format!("a pool of {threads} threads: {e}")))?;
        let row = pool.install(|| {
            rules
                .iter()
                .map(|&rule| time_rule(data, rule, args).map(|(row, _)| row.seconds_per_60k))
                .collect::<Result<Vec<f64>>>()
        })?;
        table.push(row);
    }
    println!("seconds per 60,000 samples by thread count (the default here: {default})");
    let header: Vec<String> = rules.iter().map(|r| format!("{:>12}", r.name())).collect();
    println!("| threads | {} |", header.join(" | "));
    println!("|---:|{}", "---:|".repeat(rules.len()));
    let best: Vec<f64> = (0..rules.len())
        .map(|j| table.iter().map(|row| row[j]).fold(f64::INFINITY, f64::min))
        .collect();
    for (threads, row) in counts.iter().zip(&table) {
        let cells: Vec<String> = row
            .iter()
            .zip(&best)
            .map(|(s, b)| format!("{:>11.3}{}", s, if s == b { "*" } else { " " }))
            .collect();
        let mark = if *threads == default {
            " (default)"
        } else {
            ""
        };
        println!("| {threads}{mark} | {} |", cells.join(" | "));
    }
    if let Some(row) = counts.iter().position(|&t| t == default).map(|i| &table[i]) {
        let gaps: Vec<String> = rules
            .iter()
            .zip(row.iter().zip(&best))
            .map(|(r, (s, b))| format!("{} {:+.0} %", r.name(), 100.0 * (s / b - 1.0)))
            .collect();
        println!("default against the best: {}", gaps.join(", "));
    }
    Ok(())
}

/// `rule` trained for one epoch `args.runs` times after a warm-up: the median seconds per
/// 60,000 samples, and the engine that ran.
fn time_rule(data: &Dataset, rule: LearningRule, args: &BenchArgs) -> Result<(Row, String)> {
    let config = TrainingConfig {
        epochs: 1,
        engine: args.engine,
        // Threads matter to the CPU only: a `cuda` build sweeps the CPU unless told otherwise.
        device: match args.device {
            None if args.threads_sweep => Some(DeviceKind::Cpu),
            device => device,
        },
        train_samples: (rule == LearningRule::PerSample).then_some(args.sample_subset),
        ..TrainingConfig::lecture(rule)
    };
    memory::reset_peak_rss();
    let mut seconds = Vec::new();
    let mut engine = String::new();
    for _ in 0..=args.runs {
        let h = train(data, &config)?.history;
        seconds.push(h.training_seconds() * 60_000.0 / h.train_samples as f64);
        engine = h.engine.to_string();
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
