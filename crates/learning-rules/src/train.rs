//! One training loop for all three learning rules: they differ only in when the update happens.

use std::io::Write as _;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::burn_engine::BurnEngine;
use crate::config::{Engine, LearningRule, TrainingConfig};
use crate::data::{Mnist, Split};
use crate::device::DeviceKind;
use crate::error::{Error, Result};
use crate::fused::FusedEngine;
use crate::history::{Checkpoint, EpochRecord, History};
use crate::model::Weights;

/// How gradients are computed and applied: burn's autodiff, or the fused CPU path.
pub(crate) trait GradientEngine {
    /// Adds `scale ×` the gradient of the mean loss over `batch` (indices into the training
    /// set) to the pending gradient; returns that mean loss, measured before any update.
    fn accumulate(&mut self, batch: &[u32], scale: f32) -> Result<f32>;

    /// `w -= learning_rate · pending gradient`, then forgets the pending gradient.
    fn update(&mut self, learning_rate: f64) -> Result<()>;

    /// One update from one batch; engines may fuse the two halves.
    fn step(&mut self, batch: &[u32], learning_rate: f64) -> Result<f32> {
        let loss = self.accumulate(batch, 1.0)?;
        self.update(learning_rate)?;
        Ok(loss)
    }

    /// Percentage of `test` classified correctly by the current weights.
    fn accuracy(&mut self, test: &Split) -> Result<f64>;

    /// The current weights as plain numbers.
    fn weights(&self) -> Result<Weights>;

    /// For the history: which implementation on which device.
    fn describe(&self) -> String;
}

/// What a training call hands its observer while it runs.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// After each gradient computation.
    Batch {
        /// 1-based epoch.
        epoch: usize,
        /// Samples of this epoch done so far.
        samples_done: usize,
        /// Samples in an epoch.
        samples_total: usize,
        /// Mean loss of the batch just computed.
        loss: f32,
    },
    /// After each epoch, evaluation included.
    Epoch(&'a EpochRecord),
}

/// A finished run: its history and the trained weights.
#[derive(Clone, Debug)]
pub struct Run {
    /// What the run measured.
    pub history: History,
    /// The weights after the last update.
    pub weights: Weights,
}

/// Trains the lecture's network on `data` under `config`, printing the lecture's log when
/// `config.print_log` is set.
pub fn train(data: &Mnist, config: &TrainingConfig) -> Result<Run> {
    train_with_progress(data, config, |_| {})
}

/// [`train`], calling `on_progress` after every batch and every epoch (progress bars, live
/// plots).
pub fn train_with_progress(
    data: &Mnist,
    config: &TrainingConfig,
    on_progress: impl FnMut(Progress<'_>),
) -> Result<Run> {
    config.validate(data.train.len())?;
    let limited;
    let train_set = match config.train_samples {
        Some(n) if n < data.train.len() => {
            limited = data.train.first(n)?;
            &limited
        }
        _ => &data.train,
    };
    let device = DeviceKind::resolve(config.device)?;
    let weights = Weights::init(config.seed);
    let use_fused = match config.engine {
        Engine::Burn => false,
        Engine::Fused | Engine::Auto if device == DeviceKind::Cpu => true,
        Engine::Fused => {
            return Err(Error::InvalidConfig(format!(
                "the fused engine runs on the CPU only, not on {device}: use engine Burn or Auto"
            )));
        }
        Engine::Auto => false,
    };
    let history = History {
        config: config.clone(),
        dataset: data.dataset.name().to_string(),
        train_samples: train_set.len(),
        engine: String::new(),
        epochs: Vec::new(),
        checkpoints: Vec::new(),
        update_losses: Vec::new(),
    };
    if use_fused {
        let engine = FusedEngine::new(weights, train_set);
        run_epochs(engine, train_set, &data.test, config, history, on_progress)
    } else {
        let engine = BurnEngine::new(&weights, train_set, device.burn_device()?)?;
        run_epochs(engine, train_set, &data.test, config, history, on_progress)
    }
}

/// The loop shared by the three rules.
fn run_epochs(
    mut engine: impl GradientEngine,
    train_set: &Split,
    test_set: &Split,
    config: &TrainingConfig,
    mut history: History,
    mut on_progress: impl FnMut(Progress<'_>),
) -> Result<Run> {
    history.engine = engine.describe();
    let n = train_set.len();
    let batch_size = config.effective_batch_size();
    let batches_per_epoch = n.div_ceil(batch_size);
    // Batches between two accuracy measurements within an epoch (none for the per-epoch rule).
    let evaluate_every = match config.rule {
        LearningRule::PerEpoch => usize::MAX,
        _ => batches_per_epoch.div_ceil(config.evaluations_per_epoch),
    };
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut shuffler = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ 0x5eed_5eed_5eed_5eed);
    let mut updates = 0;
    let mut trained_seconds = 0.0;
    let mut last_notice = Instant::now();

    for epoch in 1..=config.epochs {
        if config.shuffle {
            order.shuffle(&mut shuffler);
        }
        let start = Instant::now();
        let mut evaluating = 0.0; // seconds of this epoch spent on mid-epoch measurements
        let mut loss_sum = 0.0f64; // the lecture's: one term per batch
        let mut sample_loss_sum = 0.0f64; // one term per sample, for the per-epoch mean
        let mut batches = 0usize;
        let mut samples = 0usize;
        let mut out_of_time = false;
        for batch in order.chunks(batch_size) {
            let loss = match config.rule {
                // The gradient of the mean over the whole set, summed chunk by chunk.
                LearningRule::PerEpoch => {
                    engine.accumulate(batch, batch.len() as f32 / n as f32)?
                }
                LearningRule::PerMinibatch | LearningRule::PerSample => {
                    let loss = engine.step(batch, config.learning_rate)?;
                    updates += 1;
                    check_finite(loss, epoch, updates, config)?;
                    history.update_losses.push(loss);
                    loss
                }
            };
            loss_sum += f64::from(loss);
            sample_loss_sum += f64::from(loss) * batch.len() as f64;
            batches += 1;
            samples += batch.len();
            on_progress(Progress::Batch {
                epoch,
                samples_done: samples,
                samples_total: n,
                loss,
            });
            let elapsed = trained_seconds + start.elapsed().as_secs_f64() - evaluating;
            if config.print_log && last_notice.elapsed().as_secs() >= 15 {
                println!(
                    "  epoch {epoch}: {samples}/{n} samples, {elapsed:.0} s of training so far"
                );
                last_notice = Instant::now();
            }
            // A per-epoch update needs the whole set, so that rule stops only between epochs.
            if config.rule != LearningRule::PerEpoch
                && config
                    .time_budget_seconds
                    .is_some_and(|budget| elapsed >= budget)
            {
                out_of_time = samples < n;
                break;
            }
            if batches.is_multiple_of(evaluate_every) && samples < n {
                let eval_start = Instant::now();
                history.checkpoints.push(Checkpoint {
                    epochs: (epoch - 1) as f64 + samples as f64 / n as f64,
                    updates,
                    seconds: elapsed,
                    test_accuracy: engine.accuracy(test_set)?,
                });
                evaluating += eval_start.elapsed().as_secs_f64();
            }
        }
        let mean_loss = if config.rule == LearningRule::PerEpoch {
            // Weighted by chunk size: exactly the mean loss over all samples.
            let mean = sample_loss_sum / samples as f64;
            updates += 1;
            check_finite(mean as f32, epoch, updates, config)?;
            engine.update(config.learning_rate)?;
            history.update_losses.push(mean as f32);
            mean
        } else {
            loss_sum / batches as f64
        };
        let seconds = start.elapsed().as_secs_f64() - evaluating;
        trained_seconds += seconds;
        let eval_start = Instant::now();
        let test_accuracy = engine.accuracy(test_set)?;
        let record = EpochRecord {
            epoch,
            train_loss: mean_loss,
            test_accuracy,
            seconds,
            eval_seconds: evaluating + eval_start.elapsed().as_secs_f64(),
            updates,
            samples,
        };
        history.checkpoints.push(Checkpoint {
            epochs: (epoch - 1) as f64 + samples as f64 / n as f64,
            updates,
            seconds: trained_seconds,
            test_accuracy,
        });
        if config.print_log {
            println!("{}", record.log_lines());
            if out_of_time {
                println!(
                    "Time budget of {:.0} s used up: stopped after {samples} of {n} samples.",
                    config.time_budget_seconds.unwrap_or_default()
                );
            }
            let _ = std::io::stdout().flush();
        }
        on_progress(Progress::Epoch(&record));
        history.epochs.push(record);
        last_notice = Instant::now();
        if config
            .time_budget_seconds
            .is_some_and(|budget| trained_seconds >= budget)
        {
            break;
        }
    }
    Ok(Run {
        weights: engine.weights()?,
        history,
    })
}

fn check_finite(loss: f32, epoch: usize, update: usize, config: &TrainingConfig) -> Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(Error::Diverged {
            epoch,
            update,
            loss,
            learning_rate: config.learning_rate,
            suggestion: config.learning_rate / 10.0,
        })
    }
}
