//! Lecture 24 of NPTEL's *Deep Learning for Visual Computing*, "Gradient Descent Learning
//! Rule", in Rust: one MNIST network trained under three update rules.
//!
//! ```no_run
//! use learning_rules::{Mnist, TrainingConfig, train};
//!
//! let data = Mnist::load()?;                       // data/mnist/, checksums verified
//! let config = TrainingConfig { epochs: 3, ..TrainingConfig::per_minibatch() };
//! let run = train(&data, &config)?;                // prints "At Epoch 1: Loss = …"
//! println!("{:.2}%", run.history.final_accuracy().unwrap());
//! # Ok::<(), learning_rules::Error>(())
//! ```
//!
//! - [`data`]: the IDX loader ([`Mnist`], Fashion-MNIST too).
//! - [`model`]: the network ([`Network`], in burn) and its [`Weights`] as plain numbers.
//! - [`config`]: [`TrainingConfig`] with the lecture's values, [`LearningRule`].
//! - [`train()`]: the one loop behind all three rules; [`History`] is what it measured.
//! - [`plot`]: charts of a history, shown inline in notebooks, saved as PNG or SVG.
//! - [`compare`]: the three rules raced on accuracy, updates and seconds; a batch-size sweep.

pub mod compare;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod history;
pub mod model;
pub mod plot;
pub mod train;

mod burn_engine;
mod fused;

#[cfg(test)]
mod engine_tests;

pub use compare::{
    Comparison, ComparisonConfig, Sweep, SweepConfig, SweepPoint, Table, compare_rules,
    sweep_batch_sizes,
};
pub use config::{Engine, LearningRule, TrainingConfig};
pub use data::{Dataset, Mnist, Split};
pub use device::DeviceKind;
pub use error::{Error, Result};
pub use history::{Checkpoint, EpochRecord, History};
pub use model::{Network, Weights};
pub use plot::Figure;
pub use train::{Progress, Run, train, train_with_progress};
