//! Every hyper-parameter of a run, with the lecture's values as defaults.

use std::fmt;
use std::str::FromStr;

use crate::device::DeviceKind;
use crate::error::{Error, Result};

/// When the weights are updated: the one thing the three experiments of Lecture 24 change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearningRule {
    /// 24a: the gradient of the mean loss over the whole training set, one update per epoch.
    PerEpoch,
    /// 24b: one update per minibatch (100 samples by default), reshuffled every epoch.
    #[serde(rename = "minibatch")]
    PerMinibatch,
    /// 24c: one update per sample, in dataset order.
    PerSample,
}

impl LearningRule {
    /// All three rules, in the lecture's order.
    pub const ALL: [LearningRule; 3] = [
        LearningRule::PerEpoch,
        LearningRule::PerMinibatch,
        LearningRule::PerSample,
    ];

    /// The name used on the command line, in file names and in benchmark results.
    pub fn name(self) -> &'static str {
        match self {
            LearningRule::PerEpoch => "per-epoch",
            LearningRule::PerMinibatch => "minibatch",
            LearningRule::PerSample => "per-sample",
        }
    }

    /// The lecture's notebook for this rule.
    pub fn lecture_part(self) -> &'static str {
        match self {
            LearningRule::PerEpoch => "24a",
            LearningRule::PerMinibatch => "24b",
            LearningRule::PerSample => "24c",
        }
    }
}

impl fmt::Display for LearningRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LearningRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "per-epoch" | "epoch" | "24a" => Ok(LearningRule::PerEpoch),
            "minibatch" | "per-minibatch" | "24b" => Ok(LearningRule::PerMinibatch),
            "per-sample" | "sample" | "24c" => Ok(LearningRule::PerSample),
            other => Err(Error::InvalidConfig(format!(
                "unknown learning rule `{other}`: use per-epoch, minibatch or per-sample"
            ))),
        }
    }
}

/// Which implementation computes the gradients. Both do the same arithmetic in another order: their
/// weights agree to 1e-4 after the same updates (tested).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The fused CPU path on the CPU, burn everywhere else.
    #[default]
    Auto,
    /// burn's autodiff on the chosen device: the general path.
    Burn,
    /// Hand-fused forward, backward and update for this network on the CPU: far fewer
    /// operations per update, which is what bounds per-sample training.
    Fused,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Auto => "auto",
            Engine::Burn => "burn",
            Engine::Fused => "fused",
        })
    }
}

impl FromStr for Engine {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Engine::Auto),
            "burn" => Ok(Engine::Burn),
            "fused" => Ok(Engine::Fused),
            other => Err(Error::InvalidConfig(format!(
                "unknown engine `{other}`: use auto, burn or fused"
            ))),
        }
    }
}

/// A run's hyper-parameters. Start from [`TrainingConfig::lecture`] (or `per_epoch()`,
/// `per_minibatch()`, `per_sample()`) and change fields with struct-update syntax:
/// `TrainingConfig { epochs: 3, ..TrainingConfig::per_minibatch() }`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingConfig {
    /// When the weights are updated.
    pub rule: LearningRule,
    /// Passes over the training set.
    pub epochs: usize,
    /// Step size of `w -= learning_rate · grad`.
    pub learning_rate: f64,
    /// Samples per update for the minibatch rule; for the per-epoch rule, the size of the
    /// chunks whose gradients are summed (it does not change the gradient, only memory).
    /// The per-sample rule uses 1.
    pub batch_size: usize,
    /// Reshuffle the training order every epoch (from `seed`); otherwise dataset order.
    pub shuffle: bool,
    /// Fixes the initial weights and the shuffling: same seed, same history.
    pub seed: u64,
    /// Train on the first N training samples only (quick experiments); `None` uses all.
    pub train_samples: Option<usize>,
    /// Stop (after evaluating) once this many seconds of training have passed, even in the
    /// middle of an epoch (the per-epoch rule: between epochs).
    pub time_budget_seconds: Option<f64>,
    /// Test-accuracy measurements per epoch (at least 1, at the epoch's end). More give the
    /// accuracy-against-time curves their resolution; their cost is not counted as training
    /// time. The per-epoch rule changes the weights only at the epoch's end, so it measures once.
    pub evaluations_per_epoch: usize,
    /// Where the tensors live; `None` reads `BURN_DEVICE` (`cpu` or `cuda`) and defaults to
    /// the CPU.
    pub device: Option<DeviceKind>,
    /// Which implementation computes the gradients.
    pub engine: Engine,
}

impl Default for TrainingConfig {
    /// 24b's settings, the lecture's main experiment.
    fn default() -> TrainingConfig {
        TrainingConfig::per_minibatch()
    }
}

impl TrainingConfig {
    /// The lecture's settings for `rule`: 10 epochs; lr 0.1 for per-epoch and minibatch
    /// (batches of 100, minibatches reshuffled), lr 0.01 per sample, in dataset order.
    pub fn lecture(rule: LearningRule) -> TrainingConfig {
        TrainingConfig {
            rule,
            epochs: 10,
            learning_rate: match rule {
                LearningRule::PerSample => 0.01,
                _ => 0.1,
            },
            batch_size: match rule {
                LearningRule::PerSample => 1,
                _ => 100,
            },
            shuffle: rule == LearningRule::PerMinibatch,
            seed: 0,
            train_samples: None,
            time_budget_seconds: None,
            evaluations_per_epoch: 1,
            device: None,
            engine: Engine::Auto,
        }
    }

    /// 24a's settings.
    pub fn per_epoch() -> TrainingConfig {
        TrainingConfig::lecture(LearningRule::PerEpoch)
    }

    /// 24b's settings.
    pub fn per_minibatch() -> TrainingConfig {
        TrainingConfig::lecture(LearningRule::PerMinibatch)
    }

    /// 24c's settings.
    pub fn per_sample() -> TrainingConfig {
        TrainingConfig::lecture(LearningRule::PerSample)
    }

    /// These settings, trained for `seconds` of training however many epochs that takes.
    pub fn for_seconds(self, seconds: f64) -> TrainingConfig {
        TrainingConfig {
            epochs: usize::MAX,
            time_budget_seconds: Some(seconds),
            ..self
        }
    }

    /// These rule settings (rule, learning rate, batch size, order) with everything else from
    /// `shared`: how a comparison or a sweep gives every rule the same run length, seed,
    /// data, device and engine while each keeps its own lecture settings.
    pub(crate) fn with_shared_settings(self, shared: &TrainingConfig) -> TrainingConfig {
        TrainingConfig {
            rule: self.rule,
            learning_rate: self.learning_rate,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            ..shared.clone()
        }
    }

    /// Refuses settings that cannot train, with what to use instead. `train_len` is the size
    /// of the training set before `train_samples` is applied.
    pub fn validate(&self, train_len: usize) -> Result<()> {
        let fail = |msg: String| Err(Error::InvalidConfig(msg));
        let n = self.train_samples.unwrap_or(train_len);
        if self.epochs == 0 {
            return fail("epochs is 0: train for at least 1 epoch".into());
        }
        if !self.learning_rate.is_finite() || self.learning_rate <= 0.0 {
            return fail(format!(
                "learning rate {} must be a positive number (the lecture uses {})",
                self.learning_rate,
                TrainingConfig::lecture(self.rule).learning_rate
            ));
        }
        if n == 0 || n > train_len {
            return fail(format!(
                "train_samples = {n}: the training set has {train_len} samples, use 1 to {train_len}"
            ));
        }
        if self.rule == LearningRule::PerSample && self.batch_size != 1 {
            return fail(format!(
                "the per-sample rule updates after every sample, so its batch size is 1, not {}; use the minibatch rule for batches of {}",
                self.batch_size, self.batch_size
            ));
        }
        if self.batch_size == 0 || self.batch_size > n {
            return fail(format!(
                "batch size {} must be between 1 and the number of training samples ({n})",
                self.batch_size
            ));
        }
        if self.evaluations_per_epoch == 0 {
            return fail("evaluations_per_epoch is 0: measure at least once per epoch (1)".into());
        }
        if let Some(budget) = self.time_budget_seconds
            && (budget.is_nan() || budget <= 0.0)
        {
            return fail(format!(
                "time budget {budget} s must be positive (or None for no budget)"
            ));
        }
        Ok(())
    }
}
