//! The general path: burn's autodiff on any device (the CPU through burn-flex, or a GPU), plain
//! SGD through burn's optimizer. Every operation is a tensor operation with a fixed cost, so a
//! tiny update costs nearly what a minibatch's does (`learning-rules bench --engine burn`
//! measures it): fine for batches, slow per sample (see `fused/sample.rs`).

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{EVAL_CHUNK, GradientEngine};
use crate::config::Engine;
use crate::data::{IMAGE_PIXELS, Split};
use crate::device::DeviceKind;
use crate::error::{Error, Result};
use crate::history::EngineUsed;
use crate::model::{Network, Weights};

pub(crate) struct BurnEngine {
    /// `Option` only so that `optim.step`, which takes the network by value, can move it out.
    network: Option<Network>,
    /// burn's SGD without momentum or decay is exactly `w -= lr · grad`.
    optimizer: ModuleOptimizer,
    pending: GradientsAccumulator<Network>,
    /// The whole training set on the device, loaded once; batches are `select`ed from it.
    images: Tensor<2>,
    labels: Tensor<1, Int>,
    device: Device,
    device_kind: DeviceKind,
}

impl BurnEngine {
    pub(crate) fn new(
        weights: &Weights,
        train: &Split,
        device: Device,
        device_kind: DeviceKind,
    ) -> Result<BurnEngine> {
        Ok(BurnEngine {
            network: Some(Network::from_weights(weights, &device)),
            optimizer: SgdConfig::new().init(),
            pending: GradientsAccumulator::new(),
            images: images_tensor(train, 0..train.len(), &device),
            labels: labels_tensor(&train.labels, &device),
            device,
            device_kind,
        })
    }

    fn network(&self) -> &Network {
        self.network
            .as_ref()
            .expect("network is always put back after a step")
    }

    /// The batch's mean loss as a tensor (for backward) and as a number.
    fn batch_loss(&self, batch: &[u32]) -> Result<(Tensor<1>, f32)> {
        let indices: Vec<i64> = batch.iter().map(|&i| i64::from(i)).collect();
        let indices =
            Tensor::<1, Int>::from_data(TensorData::new(indices, [batch.len()]), &self.device);
        let images = self.images.clone().select(0, indices.clone());
        let labels = self.labels.clone().select(0, indices);
        let loss = self.network().loss(images, labels);
        let value = loss
            .clone()
            .try_into_scalar::<f32>()
            .map_err(Error::tensor)?;
        Ok((loss, value))
    }

    fn apply(&mut self, learning_rate: f64, grads: GradientsParams) {
        let network = self
            .network
            .take()
            .expect("network is always put back after a step");
        self.network = Some(self.optimizer.step(learning_rate, network, grads));
    }
}

impl GradientEngine for BurnEngine {
    fn accumulate(&mut self, batch: &[u32], scale: f32) -> Result<f32> {
        let (loss, value) = self.batch_loss(batch)?;
        let network = self
            .network
            .as_ref()
            .expect("network is always put back after a step");
        let grads = GradientsParams::from_grads((loss * scale).backward(), network);
        self.pending.accumulate(network, grads);
        Ok(value)
    }

    fn update(&mut self, learning_rate: f64) -> Result<()> {
        let grads = self.pending.grads();
        self.apply(learning_rate, grads);
        Ok(())
    }

    fn step(&mut self, batch: &[u32], learning_rate: f64) -> Result<f32> {
        // No accumulator round trip for the common case.
        let (loss, value) = self.batch_loss(batch)?;
        let grads = GradientsParams::from_grads(loss.backward(), self.network());
        self.apply(learning_rate, grads);
        Ok(value)
    }

    fn accuracy(&mut self, test: &Split) -> Result<f64> {
        let network = self.network().valid();
        let device = self.device.clone().inner();
        let mut correct = 0i64;
        for start in (0..test.len()).step_by(EVAL_CHUNK) {
            let end = (start + EVAL_CHUNK).min(test.len());
            let images = images_tensor(test, start..end, &device);
            let labels = labels_tensor(&test.labels[start..end], &device);
            let predicted = network.forward(images).argmax(1).squeeze_dim::<1>(1);
            correct += predicted
                .equal(labels)
                .int()
                .sum()
                .try_into_scalar::<i64>()
                .map_err(Error::tensor)?;
        }
        Ok(100.0 * correct as f64 / test.len() as f64)
    }

    fn weights(&self) -> Result<Weights> {
        self.network().weights()
    }

    fn used(&self) -> EngineUsed {
        EngineUsed {
            engine: Engine::Burn,
            device: self.device_kind,
            detail: format!("burn ({:?})", self.device.clone().inner()),
        }
    }

    fn path(&self) -> String {
        "burn's autodiff (general path)".into()
    }
}

fn images_tensor(split: &Split, rows: std::ops::Range<usize>, device: &Device) -> Tensor<2> {
    let values = split
        .images
        .values(rows.start * IMAGE_PIXELS..rows.end * IMAGE_PIXELS);
    Tensor::from_data(TensorData::new(values, [rows.len(), IMAGE_PIXELS]), device)
}

fn labels_tensor(labels: &[u8], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
    Tensor::from_data(TensorData::new(values, [labels.len()]), device)
}

#[cfg(test)]
impl BurnEngine {
    /// The pending gradient as plain numbers (for comparing against the fused engine).
    pub(crate) fn take_pending(&mut self) -> Weights {
        use crate::model::LayerWeights;
        let mut grads = self.pending.grads();
        let network = self.network();
        let mut read = |l: &burn::nn::Linear| {
            let [inputs, outputs] = l.weight.dims();
            let w: Tensor<2> = grads.remove(l.weight.id).expect("weight gradient");
            let b: Tensor<1> = grads
                .remove(l.bias.as_ref().expect("bias").id)
                .expect("bias gradient");
            LayerWeights {
                inputs,
                outputs,
                weight: w.into_data().try_to_vec().expect("f32 gradient"),
                bias: b.into_data().try_to_vec().expect("f32 gradient"),
            }
        };
        Weights {
            layers: [
                read(&network.features.hidden1),
                read(&network.features.hidden2),
                read(&network.classifier),
            ],
        }
    }
}
