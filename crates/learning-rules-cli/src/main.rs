//! `learning-rules`: the lecture's experiments from the command line.
//!
//! A thin shell over the `learning-rules` crate: argument parsing, a progress bar and files.

mod bench_cmd;
mod compare_cmd;
mod memory;
mod train_cmd;
mod weights_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Lecture 24, Gradient Descent Learning Rule: train the MNIST network under three update rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the lecture's network under one learning rule and print the lecture's log.
    Train(train_cmd::TrainArgs),
    /// Time each rule's training on the real MNIST (median of several runs) and report memory.
    Bench(bench_cmd::BenchArgs),
    /// Race the three rules (accuracy against seconds, updates, epochs) and sweep the batch size.
    Compare(compare_cmd::CompareArgs),
    /// How far two runs' weights are apart: per tensor, the largest difference over the
    /// tensor's largest weight; the largest of those.
    WeightsGap(weights_cmd::WeightsGapArgs),
}

/// Parses an argument with the library's own `FromStr`, so its error message is the one shown.
fn parse<T: std::str::FromStr<Err = learning_rules::Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: learning_rules::Error| e.to_string())
}

/// Parses a count (epochs, samples, batch size): a whole number. Zero passes here, so that the
/// library's own check explains what the setting needs.
fn count(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| {
        format!("`{s}` is not allowed: use a whole number of at least 1 (no sign, no decimals)")
    })
}

/// Parses a real number; its range is the library's to check (a learning rate of -1 gets its
/// own message there, rather than being taken for a flag).
fn number(s: &str) -> Result<f64, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not a number: use a positive number such as 0.1"))
}

/// How a command ended, which sets the exit status: what it had was saved in every case.
pub enum Outcome {
    /// It did what it was asked.
    Done,
    /// Ctrl-C stopped it (130, as a shell reports SIGINT).
    Interrupted,
    /// Training diverged (1).
    Diverged,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Train(args) => train_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args).map(|()| Outcome::Done),
        Command::Compare(args) => compare_cmd::run(args).map(|()| Outcome::Done),
        Command::WeightsGap(args) => weights_cmd::run(args).map(|()| Outcome::Done),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Ok(Outcome::Diverged) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
