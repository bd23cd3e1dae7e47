//! Lecture 24 of NPTEL's *Deep Learning for Visual Computing*, "Gradient Descent Learning
//! Rule", in Rust: one MNIST network trained under three update rules.
//!
//! The notebooks write each rule's loop out, over a [`Learner`]:
//!
//! ```no_run
//! use learning_rules::{Dataset, Learner, Recorder, TrainingConfig, TrainingOrder};
//!
//! let data = Dataset::load()?;                     // data/mnist/, checksums verified
//! let config = TrainingConfig { epochs: 3, ..TrainingConfig::per_minibatch() };
//! let mut learner = Learner::new(&data, &config)?;
//! let mut log = Recorder::new(&config, &learner);  // prints "At Epoch 1: Loss = …"
//! let mut order = TrainingOrder::shuffled(learner.train_len(), config.seed);
//! for _ in 0..config.epochs {
//!     for batch in order.next_epoch().chunks(config.batch_size) {
//!         let loss = learner.step(batch, config.learning_rate)?;   // w -= lr·grad
//!         log.batch(loss, batch.len());
//!         log.update();
//!         if log.should_stop() { break; }
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
//! - [`plot`]: charts of a history, shown inline in notebooks, saved as PNG or SVG.
//! - `engine` (private): burn's autodiff and the fused CPU path behind the learner.

pub mod compare;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod history;
pub mod learner;
pub mod model;
pub mod observer;
pub mod plot;
pub mod recorder;
pub mod train;

mod engine;
mod files;
mod live;
mod stop;

pub use compare::{
    Comparison, ComparisonConfig, Sweep, SweepConfig, SweepPoint, Table, compare_rules, seed_table,
    sweep_batch_sizes, train_seeds,
};
pub use config::{Engine, LearningRule, TrainingConfig};
pub use data::{Dataset, DatasetKind, Split};
pub use device::DeviceKind;
pub use error::{Error, Result};
pub use history::{Checkpoint, EpochRecord, History, Run, StopReason, Stopped};
pub use learner::{Learner, TrainingOrder};
pub use model::{Network, Weights};
pub use observer::{BatchProgress, LectureLog, Observer};
pub use plot::Figure;
pub use recorder::Recorder;
pub use train::{train, train_with};

/// What `save` functions return, named here so that a notebook cell can write its type:
/// `let files: Vec<PathBuf> = …`.
pub use std::path::PathBuf;
