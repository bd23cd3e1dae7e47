//! Lecture 24 of NPTEL's *Deep Learning for Visual Computing*, "Gradient Descent Learning
//! Rule", in Rust: one MNIST network trained under three update rules.
//!
//! The notebooks write each rule's loop out, over a [`Learner`]; their cells start with
//! `use learning_rules::prelude::*;`, which brings just the names a cell uses:
//!
//! ```no_run
//! use learning_rules::prelude::*;
//!
//! let data = Dataset::load()?;                     // data/mnist/, checksums verified
//! let config = TrainingConfig { epochs: 3, ..TrainingConfig::per_minibatch() };
//! let mut learner = Learner::new(&data, &config)?;
//! let mut log = Recorder::new(&config, &learner);  // prints "At Epoch 1: Loss = …"
//! let mut order = TrainingOrder::for_config(learner.train_len(), &config);
//! for _ in 0..config.epochs {
//!     for batch in order.next_epoch().chunks(config.batch_size) {
//!         let loss = learner.step(batch, config.learning_rate)?;   // w -= lr·grad
//!         log.batch(loss, batch.len());
//!         log.update();
//!         if log.should_stop() { break; }
//!         log.checkpoint_if_due(&mut learner, &data.test)?;
//!     }
//!     log.end_epoch(&mut learner, &data.test)?;
//!     if log.should_stop() { break; }
//! }
//! let run = log.finish(&learner)?;
//! println!("{:.2}%", run.history.final_accuracy().unwrap());
//! # Ok::<(), learning_rules::Error>(())
//! ```
//!
//! - [`data`]: the IDX loader ([`Dataset`]: MNIST, Fashion-MNIST).
//! - [`model`]: the network ([`Network`], in burn) and its [`Weights`] as plain numbers.
//! - [`config`]: [`TrainingConfig`] with the lecture's values, [`LearningRule`].
//! - [`learner`]: [`Learner`] (accumulate, update, step, accuracy) and [`TrainingOrder`].
//! - [`recorder`]: [`Recorder`], the clock, the log and the [`History`]; Stop ends a loop.
//! - [`train()`]: the three loops as one function; [`compare`] races them.
//! - [`prelude`]: what a notebook cell imports.
//! - [`plot`]: charts of a history, shown inline in notebooks, saved as PNG or SVG.
//! - `engine` (private): burn's autodiff and the fused CPU path behind the learner.

pub mod compare;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod files;
pub mod history;
pub mod learner;
pub mod model;
pub mod observer;
pub mod plot;
pub mod recorder;

mod clock;
mod engine;
mod live;
mod numbers;
mod progress;
mod stop;
mod train;

pub use compare::{
    Comparison, ComparisonConfig, Sweep, SweepConfig, SweepPoint, Table, compare_rules,
    per_epoch_for_seconds, seed_table, sweep_batch_sizes, train_seeds,
};
pub use config::{Engine, LearningRule, TrainingConfig};
pub use data::{Dataset, DatasetKind, Pixels, Split};
pub use device::{DeviceKind, NoGpu};
pub use error::{Error, Result};
pub use history::{Checkpoint, EpochRecord, History, Run, StopReason, Stopped};
pub use learner::{Learner, TrainingOrder};
pub use model::{Network, Weights};
pub use observer::{BatchProgress, LectureLog, Observer};
pub use plot::Figure;
pub use recorder::Recorder;
pub use stop::StopSignal;
pub use train::{train, train_with};

/// burn itself, for cells that work with its tensors, modules and optimizers directly.
pub use burn;

/// What a notebook cell uses, and nothing else: `use learning_rules::prelude::*;`. Modules
/// stay out of it, so that a cell's `data` or `train` is never both a variable and a module.
pub mod prelude {
    pub use crate::burn::nn::loss::CrossEntropyLossConfig;
    pub use crate::burn::optim::{GradientsParams, SgdConfig};
    pub use crate::burn::tensor::Device;
    pub use crate::{
        Checkpoint, Comparison, ComparisonConfig, Dataset, Engine, EpochRecord, Figure, History,
        Learner, LearningRule, LectureLog, Network, Pixels, Recorder, Run, StopReason, Sweep,
        SweepConfig, Table, TrainingConfig, TrainingOrder, Weights, compare_rules,
        per_epoch_for_seconds, seed_table, sweep_batch_sizes, train, train_seeds, train_with,
    };
    /// What `save` functions return, named so that a cell can write its type:
    /// `let files: Vec<PathBuf> = …`.
    pub use std::path::PathBuf;
}
