//! The lecture's network: `Linear(784,400) ReLU Linear(400,256) ReLU` ("features") then
//! `Linear(256,10)` ("classifier"), trained on the logits with mean cross-entropy.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::error::{Error, Result};

/// Widths of the layers, input first: 784 → 400 → 256 → 10.
pub const LAYER_SIZES: [usize; 4] = [784, 400, 256, 10];

/// One linear layer's parameters as plain numbers, in burn's layout: `y = x·W + b` with `W`
/// stored row-major as `inputs × outputs`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerWeights {
    /// Width of the layer's input.
    pub inputs: usize,
    /// Width of the layer's output.
    pub outputs: usize,
    /// `inputs × outputs` values, row-major.
    pub weight: Vec<f32>,
    /// `outputs` values.
    pub bias: Vec<f32>,
}

/// All parameters of the network as plain numbers. This is what a run returns, what the
/// specialised CPU path trains in place, and how two runs are compared.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    /// The three layers, input side first.
    pub layers: [LayerWeights; 3],
}

impl Weights {
    /// PyTorch's default `nn.Linear` initialisation (uniform in ±1/√fan_in for weights and
    /// biases, which is also burn's default), drawn from our own seeded generator so that the
    /// same seed gives the same network on every backend and in every notebook cell.
    pub fn init(seed: u64) -> Weights {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut layer = |inputs: usize, outputs: usize| {
            let bound = 1.0 / (inputs as f32).sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n).map(|_| rng.random_range(-bound..bound)).collect()
            };
            let weight = draw(inputs * outputs);
            let bias = draw(outputs);
            LayerWeights {
                inputs,
                outputs,
                weight,
                bias,
            }
        };
        let [a, b, c, d] = LAYER_SIZES;
        Weights {
            layers: [layer(a, b), layer(b, c), layer(c, d)],
        }
    }

    /// Writes the weights as JSON (`{"layers": [{"inputs", "outputs", "weight", "bias"}, …]}`),
    /// for comparing runs on two machines or devices.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<std::path::PathBuf> {
        let json = serde_json::to_string(self).map_err(|source| Error::Json {
            what: "the weights".into(),
            source,
        })?;
        crate::files::write_file(path, json)
    }

    /// Reads weights written by [`Weights::save`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Weights> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            Error::corrupt(
                path,
                format!("not the weights `learning-rules train --weights` writes ({e})"),
            )
        })
    }

    /// How far these weights are from `reference`: for each tensor (each layer's weight and
    /// bias) the largest difference relative to that tensor's largest value, and the largest of
    /// those. Relative to the tensor rather than to each value, since two correct
    /// implementations that sum in different orders differ most, relatively, on the weights
    /// nearest zero. The one measure of "the weights agree" in the project: the engine tests,
    /// the notebooks' burn cell and `learning-rules weights-gap` (scripts/gpu-check.sh) use it.
    pub fn gap(&self, reference: &Weights) -> f32 {
        let tensor_gap = |a: &[f32], b: &[f32]| {
            let scale = b
                .iter()
                .fold(0.0f32, |m, v| m.max(v.abs()))
                .max(f32::MIN_POSITIVE);
            let diff = a
                .iter()
                .zip(b)
                .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
            if a.len() == b.len() {
                diff / scale
            } else {
                f32::INFINITY
            }
        };
        self.layers
            .iter()
            .zip(&reference.layers)
            .flat_map(|(a, b)| {
                [
                    tensor_gap(&a.weight, &b.weight),
                    tensor_gap(&a.bias, &b.bias),
                ]
            })
            .fold(0.0, f32::max)
    }
}

impl std::fmt::Debug for Weights {
    /// Shapes and a sum per layer: 335,114 numbers would bury any message they appear in.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for l in &self.layers {
            let sum: f64 = l.weight.iter().chain(&l.bias).map(|&v| f64::from(v)).sum();
            list.entry(&format_args!(
                "{}x{} (+{} bias), sum {sum:.6}",
                l.inputs, l.outputs, l.outputs
            ));
        }
        list.finish()
    }
}

/// `Linear(784,400) ReLU Linear(400,256) ReLU`: the lecture's `layer1`.
#[derive(Module, Debug)]
pub struct Features {
    /// 784 → 400.
    pub hidden1: Linear,
    /// 400 → 256.
    pub hidden2: Linear,
}

/// The lecture's network: the features block then a `Linear(256,10)` classifier.
#[derive(Module, Debug)]
pub struct Network {
    /// The lecture's `layer1`.
    pub features: Features,
    /// The lecture's `layer2`: `Linear(256,10)`, logits out.
    pub classifier: Linear,
}

impl Network {
    /// A network holding `weights`, on `device`.
    pub fn from_weights(weights: &Weights, device: &Device) -> Network {
        let linear = |l: &LayerWeights| Linear {
            weight: Param::from_data(
                TensorData::new(l.weight.clone(), [l.inputs, l.outputs]),
                device,
            ),
            bias: Some(Param::from_data(
                TensorData::new(l.bias.clone(), [l.outputs]),
                device,
            )),
        };
        let [l1, l2, l3] = &weights.layers;
        Network {
            features: Features {
                hidden1: linear(l1),
                hidden2: linear(l2),
            },
            classifier: linear(l3),
        }
    }

    /// Copies the parameters out as plain numbers.
    pub fn weights(&self) -> Result<Weights> {
        let read = |l: &Linear| -> Result<LayerWeights> {
            let [inputs, outputs] = l.weight.dims();
            let values = |t: Tensor<1>| t.into_data().try_into_vec::<f32>().map_err(Error::tensor);
            Ok(LayerWeights {
                inputs,
                outputs,
                weight: values(l.weight.val().reshape([inputs * outputs]))?,
                bias: match &l.bias {
                    Some(b) => values(b.val())?,
                    None => vec![0.0; outputs],
                },
            })
        };
        Ok(Weights {
            layers: [
                read(&self.features.hidden1)?,
                read(&self.features.hidden2)?,
                read(&self.classifier)?,
            ],
        })
    }

    /// Logits, `batch × 10`, for `batch × 784` images.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let x = relu(self.features.hidden1.forward(images));
        let x = relu(self.features.hidden2.forward(x));
        self.classifier.forward(x)
    }

    /// Mean cross-entropy of the logits against the labels: the lecture's `nn.CrossEntropyLoss()`.
    pub fn loss(&self, images: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
        let logits = self.forward(images);
        CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits, labels)
    }
}
