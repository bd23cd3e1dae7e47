//! How gradients are computed and applied: the one seam between the training loops and the
//! arithmetic.
//!
//! [`GradientEngine`] is what a loop needs: accumulate a batch's gradient, update, or both at
//! once, and measure accuracy. Two engines implement it, doing the same arithmetic in another
//! order, so that their weights agree to 1e-4 after the same updates (the tests in `tests.rs`):
//! [`burn`], burn's autodiff on any device, and [`fused`], a hand-fused CPU path for this one
//! network. [`build`] picks one from the configuration.

mod burn;
mod fused;

#[cfg(test)]
mod tests;

use crate::config::Engine;
use crate::data::Split;
use crate::device::DeviceKind;
use crate::error::{Error, Result};
use crate::history::EngineUsed;
use crate::model::Weights;

/// Test images are classified this many at a time, by either engine, to bound memory.
const EVAL_CHUNK: usize = 1000;

/// How gradients are computed and applied: burn's autodiff, or the fused CPU path.
pub(crate) trait GradientEngine: Send {
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
    fn used(&self) -> EngineUsed;

    /// For the network cell: how the updates are computed, as a student would say it.
    fn path(&self) -> String;
}

/// The engine `choice` asks for on `device`, starting from `weights`, for batches drawn from
/// `train`. `Auto` is the fused path on the CPU and burn elsewhere.
pub(crate) fn build(
    choice: Engine,
    device: DeviceKind,
    weights: Weights,
    train: &Split,
) -> Result<Box<dyn GradientEngine>> {
    let fused = match choice {
        Engine::Burn => false,
        Engine::Fused | Engine::Auto if device == DeviceKind::Cpu => true,
        Engine::Fused => {
            return Err(Error::InvalidConfig(format!(
                "the fused engine runs on the CPU only, not on {device}: use engine Burn or Auto"
            )));
        }
        Engine::Auto => false,
    };
    Ok(if fused {
        Box::new(fused::FusedEngine::new(weights, train))
    } else {
        Box::new(burn::BurnEngine::new(
            &weights,
            train,
            device.burn_device()?,
            device,
        )?)
    })
}
