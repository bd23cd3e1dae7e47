//! The network being trained, and the four things a training loop does with it.
//!
//! A [`Learner`] wraps whichever engine computes the gradients (burn's autodiff, or the fused
//! CPU path) behind the lecture's vocabulary: [`accumulate`](Learner::accumulate) a batch's
//! gradient, [`update`](Learner::update) the weights with `w -= lr·grad`, or both at once with
//! [`step`](Learner::step); [`accuracy`](Learner::accuracy) on the test set. The three rules are
//! three loops over these calls: the notebooks spell them out, [`crate::train()`] runs them.

use std::fmt;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::config::TrainingConfig;
use crate::data::{Dataset, DatasetKind, Split};
use crate::device::DeviceKind;
use crate::engine::{self, GradientEngine};
use crate::error::{Error, Result};
use crate::history::EngineUsed;
use crate::model::{Network, Weights};

/// The lecture's network, its weights drawn from a seed, ready to train on one training set.
pub struct Learner {
    engine: Box<dyn GradientEngine>,
    train_len: usize,
    dataset: DatasetKind,
    /// Where and how it trains, and why not on the GPU if a `cuda` build could not.
    training_on: String,
}

impl Learner {
    /// A fresh network (weights from `config.seed`) on `config.device`, through `config.engine`,
    /// training on the first `config.train_samples` images of `data`'s training split (all of
    /// them when `None`).
    pub fn new(data: &Dataset, config: &TrainingConfig) -> Result<Learner> {
        let train = &data.train;
        train.check_shape()?;
        config.validate(train.len())?;
        let (device, fallback) = DeviceKind::choose(config.device)?;
        let limited;
        let train = match config.train_samples {
            Some(n) if n < train.len() => {
                limited = train.first(n)?;
                &limited
            }
            _ => train,
        };
        let weights = Weights::init(config.seed);
        let engine = engine::build(config.engine, device, weights, train)?;
        let training_on = format!("training on {}: {}", device.describe(), engine.path());
        Ok(Learner {
            engine,
            train_len: train.len(),
            dataset: data.kind,
            training_on: match fallback {
                Some(why) => format!("{why}; {training_on}"),
                None => training_on,
            },
        })
    }

    /// Adds `weight ×` the gradient of the batch's mean loss to the pending gradient, without
    /// touching the weights; returns that mean loss. `batch` holds indices into the training
    /// set, as [`TrainingOrder`] gives them.
    pub fn accumulate(&mut self, batch: &[u32], weight: f32) -> Result<f32> {
        self.check(batch)?;
        self.engine.accumulate(batch, weight)
    }

    /// `w -= learning_rate · pending gradient`, then starts a new pending gradient.
    pub fn update(&mut self, learning_rate: f64) -> Result<()> {
        self.engine.update(learning_rate)
    }

    /// [`accumulate`](Learner::accumulate) with weight 1 then [`update`](Learner::update), in
    /// one pass where the engine can fuse them; returns the batch's loss before the update.
    pub fn step(&mut self, batch: &[u32], learning_rate: f64) -> Result<f32> {
        self.check(batch)?;
        self.engine.step(batch, learning_rate)
    }

    /// Percentage of `test` the network classifies correctly now.
    pub fn accuracy(&mut self, test: &Split) -> Result<f64> {
        if test.is_empty() {
            return Err(Error::InvalidConfig(
                "the test split is empty: accuracy needs at least one image".into(),
            ));
        }
        test.check_shape()?;
        self.engine.accuracy(test)
    }

    /// The current weights as plain numbers.
    pub fn weights(&self) -> Result<Weights> {
        self.engine.weights()
    }

    /// Number of training samples the batches index into.
    pub fn train_len(&self) -> usize {
        self.train_len
    }

    /// Which dataset the training samples come from.
    pub fn dataset(&self) -> DatasetKind {
        self.dataset
    }

    /// Which implementation computes the gradients, on which device.
    pub fn engine(&self) -> EngineUsed {
        self.engine.used()
    }

    /// The network as a burn module holding the current weights, on `device` (with autodiff
    /// if the device has it): to look at, or to train one step in burn's own words.
    pub fn network_on(&self, device: &burn::tensor::Device) -> Result<Network> {
        Ok(Network::from_weights(&self.weights()?, device))
    }

    fn check(&self, batch: &[u32]) -> Result<()> {
        match batch.iter().max() {
            None => Err(Error::InvalidConfig(
                "empty batch: a batch needs at least one sample".into(),
            )),
            Some(&i) if i as usize >= self.train_len => Err(Error::InvalidConfig(format!(
                "sample {i} is not in the training set, which has {} samples (0 to {})",
                self.train_len,
                self.train_len - 1
            ))),
            Some(_) => Ok(()),
        }
    }
}

impl fmt::Display for Learner {
    /// The network's layers, then who trains it: what the notebooks' network cell shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network_on(&burn::tensor::Device::flex()) {
            Ok(network) => writeln!(f, "{network}")?,
            Err(e) => writeln!(f, "(network unreadable: {e})")?,
        }
        write!(
            f,
            "{}, {} training samples",
            self.training_on, self.train_len
        )
    }
}

/// The order in which an epoch visits the training samples: dataset order, or reshuffled every
/// epoch from a seed (the same seed gives the same orders).
pub struct TrainingOrder {
    order: Vec<u32>,
    shuffler: Option<Xoshiro256PlusPlus>,
}

impl TrainingOrder {
    /// Samples `0..samples` in dataset order, every epoch (24a, 24c).
    pub fn in_order(samples: usize) -> TrainingOrder {
        TrainingOrder {
            order: (0..samples as u32).collect(),
            shuffler: None,
        }
    }

    /// Samples `0..samples` reshuffled at every epoch, from `seed` (24b).
    pub fn shuffled(samples: usize, seed: u64) -> TrainingOrder {
        TrainingOrder {
            shuffler: Some(Xoshiro256PlusPlus::seed_from_u64(
                seed ^ 0x5eed_5eed_5eed_5eed,
            )),
            ..TrainingOrder::in_order(samples)
        }
    }

    /// The order `config` asks for (`shuffle` and `seed`) over `samples` samples.
    pub fn for_config(samples: usize, config: &TrainingConfig) -> TrainingOrder {
        if config.shuffle {
            TrainingOrder::shuffled(samples, config.seed)
        } else {
            TrainingOrder::in_order(samples)
        }
    }

    /// The next epoch's order: cut it into batches with `.chunks(batch_size)`.
    pub fn next_epoch(&mut self) -> &[u32] {
        if let Some(shuffler) = &mut self.shuffler {
            self.order.shuffle(shuffler);
        }
        &self.order
    }
}
