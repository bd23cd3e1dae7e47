//! The three rules as one function, for the CLI, the comparison and the tests.
//!
//! [`train`] runs the same loops the notebooks spell out, over the same [`Learner`],
//! [`TrainingOrder`] and [`Recorder`]; a test checks that the notebooks' loops and this function
//! give the same history. The rules differ in one place: where the update sits.

use crate::config::{LearningRule, TrainingConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::history::Run;
use crate::learner::{Learner, TrainingOrder};
use crate::observer::Observer;
use crate::recorder::Recorder;
use crate::stop::Watch;

/// Trains the lecture's network on `data` under `config`, silently. A run that ends early
/// (Stop or Ctrl-C, the time budget, a loss that diverged) comes back like any other, with the
/// reason in `history.stopped` and everything recorded before it.
pub fn train(data: &Dataset, config: &TrainingConfig) -> Result<Run> {
    train_with(data, config, ())
}

/// [`train`], reporting to `observer` as it goes: [`crate::LectureLog`] prints the lecture's
/// log, the CLI draws a progress bar.
pub fn train_with(data: &Dataset, config: &TrainingConfig, observer: impl Observer) -> Result<Run> {
    let watch = Watch::start();
    let mut learner = Learner::new(data, config)?;
    let mut log = Recorder::watching(config, &learner, observer, watch);
    let mut order = TrainingOrder::for_config(learner.train_len(), config);
    for _ in 0..config.epochs {
        match config.rule {
            LearningRule::PerEpoch => {
                one_update_per_epoch(&mut learner, &mut log, &mut order, config)?
            }
            LearningRule::PerMinibatch | LearningRule::PerSample => {
                one_update_per_batch(&mut learner, &mut log, &mut order, config, data)?
            }
        }
        log.end_epoch(&mut learner, &data.test)?;
        if log.should_stop() {
            break;
        }
    }
    log.finish(&learner)
}

/// 24a: every batch's gradient, weighted by its share of the set, adds up to the gradient of
/// the mean loss over all of it; one update at the end.
fn one_update_per_epoch<O: Observer>(
    learner: &mut Learner,
    log: &mut Recorder<O>,
    order: &mut TrainingOrder,
    config: &TrainingConfig,
) -> Result<()> {
    let n = learner.train_len() as f32;
    for batch in order.next_epoch().chunks(config.batch_size) {
        let loss = learner.accumulate(batch, batch.len() as f32 / n)?;
        log.batch(loss, batch.len());
    }
    learner.update(config.learning_rate)?;
    log.update();
    Ok(())
}

/// 24b and 24c: an update after every batch (of one sample, for 24c).
fn one_update_per_batch<O: Observer>(
    learner: &mut Learner,
    log: &mut Recorder<O>,
    order: &mut TrainingOrder,
    config: &TrainingConfig,
    data: &Dataset,
) -> Result<()> {
    for batch in order.next_epoch().chunks(config.batch_size) {
        let loss = learner.step(batch, config.learning_rate)?;
        log.batch(loss, batch.len());
        log.update();
        if log.should_stop() {
            break;
        }
        log.checkpoint_if_due(learner, &data.test)?;
    }
    Ok(())
}
