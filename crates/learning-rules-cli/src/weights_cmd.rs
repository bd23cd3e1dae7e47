//! `learning-rules weights-gap A B`: how far two runs' weights are apart, in the project's one
//! measure (`Weights::gap`), for scripts such as gpu-check.sh that compare devices.

use std::path::PathBuf;

use clap::Args;
use learning_rules::{Result, Weights};

#[derive(Args)]
pub struct WeightsGapArgs {
    /// Weights written by `train --weights`.
    a: PathBuf,
    /// The reference weights, also from `train --weights`.
    b: PathBuf,
}

pub fn run(args: WeightsGapArgs) -> Result<()> {
    let gap = Weights::load(&args.a)?.gap(&Weights::load(&args.b)?);
    println!("{gap:.3e}");
    Ok(())
}
