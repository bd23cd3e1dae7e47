//! The fused CPU engine: forward, backward and update of this one network, written by hand.
//!
//! burn runs each update as dozens of separate tensor operations; with one sample per update
//! that overhead, not the arithmetic, sets the pace. This engine does the same mathematics as
//! [`super::burn`] (the tests in `engine/tests.rs` check both give the same weights to 1e-4)
//! in far fewer passes over memory:
//! - [`sample`]: a per-sample update touches only the weight rows its non-zero pixels and active
//!   units select;
//! - [`sparse`] and [`gather`]: batches go through the first layer from their non-zero pixels;
//! - [`aligned`]: weights and activations start on a cache line;
//! - [`dense`]: the two small layers go through `gemm`, gradients added straight into place;
//! - [`simd`]: the kernels are compiled for AVX-512, AVX2+FMA and a baseline, picked at run time
//!   (`gemm` too, through its `x86-v4` feature);
//! - [`team`]: the engine's own threads, awake between batches.
//!
//! A batch is split between the cores ([`FusedEngine::pass`]): each takes its share forward and
//! back to the activation gradients; then, to update the weights, the cores meet once more and
//! each updates a [`Band`] of every layer's rows (twice per batch, not once per operation). The
//! per-epoch rule's pending gradient needs no second meeting: each core adds its share into a
//! gradient of its own, summed at the update.
//!
//! How it got here, measured with `perf record` (call graphs via DWARF) and `learning-rules bench`
//! on a 2-core AMD EPYC (AVX2): a minibatch epoch took 1.28 s through the first version, 1.02 s
//! with the sparse first layer, 0.88 s with the two-phase parallel pass, 0.67 s skipping pixels
//! that are zero in the whole batch, 0.55–0.68 s with the training set's non-zeros listed once.
//! Then on a 2-core Xeon (AVX-512), where that version took 0.45–0.46 s: 0.41 s with `gemm`'s
//! AVX-512 kernels, 0.40 s with the team in place of rayon's pool. Then [`aligned`]: every
//! buffer on a cache line (a `Vec` of floats started 16 bytes past one, so every vector load
//! straddled two). One thread: per-epoch 0.70–0.76 s → 0.57–0.62 s, minibatch 0.60–0.76 s →
//! 0.58–0.64 s (the old figures varied with where the allocator put the weights); per-sample
//! 1.16–1.23 s → 1.02–1.07 s.

mod aligned;
mod dense;
mod gather;
mod sample;
mod simd;
mod sparse;
mod team;

use self::aligned::{AlignedVec, Layer, Params};
use self::dense::{
    add_bias, add_outer_band, argmax, axpy, linear, matmul_bt, relu_mask, softmax_grad,
};
use self::gather::Term;
use self::simd::Simd;
use self::sparse::Sparse;
use self::team::Team;
use super::{EVAL_CHUNK, GradientEngine};
use crate::config::Engine;
use crate::data::{CLASSES, IMAGE_PIXELS, Split};
use crate::device::DeviceKind;
use crate::error::Result;
use crate::history::EngineUsed;
use crate::model::{LAYER_SIZES, Weights};

const H1: usize = LAYER_SIZES[1];
const H2: usize = LAYER_SIZES[2];
pub(crate) struct FusedEngine {
    weights: Params,
    /// The training images' non-zero pixels, found once rather than at every batch.
    train_pixels: Sparse,
    train_labels: Vec<u8>,
    /// One share of the batch per core, with its activations and gradients, reused across
    /// updates.
    parts: Vec<Part>,
    /// The threads that take the shares.
    team: Team,
    simd: Simd,
}

/// A share of a batch: its non-zero pixels (by image and by pixel), activations and their
/// gradients.
#[derive(Default)]
struct Part {
    by_image: Sparse,
    by_pixel: Sparse,
    h1: AlignedVec,
    h2: AlignedVec,
    z: AlignedVec,
    dh1: AlignedVec,
    dh2: AlignedVec,
    /// This share's part of the pending gradient (per-epoch rule), laid out as the weights.
    pending: Option<Params>,
}

/// Where a pass adds its weight gradient (times a coefficient).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Destination {
    /// Into the weights themselves, with the coefficient `-lr`: an update.
    Weights,
    /// Into each core's share of the pending gradient: accumulation for a later update.
    Pending,
}

impl Destination {
    /// The fewest rows a core takes of a batch. Each share has fixed costs (its pass through the
    /// two dense layers, and for an update the meeting of the cores), so shares of a few rows
    /// cost more than they save: on a 16-core Xeon, 24b's batches of 100 took 0.63 s per epoch
    /// on 4 cores and 0.94 s on 16; 24a's accumulation, which has no meeting, gained up to 8
    /// (issue 25's table, measured when two cores did every update however many there were).
    /// With these minimums a batch of 100 goes to at most 4 cores for an update and 8 for an
    /// accumulation; 2 cores split it as before.
    fn min_rows_per_part(self) -> usize {
        match self {
            Destination::Weights => 25,
            Destination::Pending => 12,
        }
    }
}

impl FusedEngine {
    pub(crate) fn new(weights: Weights, train: &Split) -> FusedEngine {
        let mut train_pixels = Sparse::default();
        train_pixels.set_rows(train.images.chunks_exact(IMAGE_PIXELS));
        // As many threads as rayon's pool has (burn's CPU backend uses that pool): what the
        // process may use, or `RAYON_NUM_THREADS` (see `threads`).
        let threads = rayon::current_num_threads();
        FusedEngine {
            weights: Params::from(&weights),
            train_pixels,
            train_labels: train.labels.clone(),
            parts: (0..threads).map(|_| Part::default()).collect(),
            team: Team::new(threads),
            simd: Simd::detect(),
        }
    }

    /// Forward and backward over `batch`, each core taking a share of it; returns the batch's
    /// mean loss. The weight gradient times `coef` is added to `destination`.
    ///
    /// Updating the weights needs every share's activation gradients, so the cores meet again
    /// and each updates a [`Band`] of the weights. A pending gradient needs no meeting: each core
    /// adds its share into a gradient of its own, and [`FusedEngine::take_pending`] sums them.
    fn pass(&mut self, batch: &[u32], coef: f32, destination: Destination) -> f32 {
        let b = batch.len();
        let per_part = b
            .div_ceil(self.parts.len())
            .max(destination.min_rows_per_part());
        let parts = &mut self.parts[..b.div_ceil(per_part)];
        let (w, simd) = (&self.weights, self.simd);
        let (pixels, labels) = (&self.train_pixels, &self.train_labels[..]);
        let losses = self.team.map(parts, |i, part| {
            let rows = &batch[i * per_part..((i + 1) * per_part).min(b)];
            let loss = part.forward_backward(w, pixels, labels, rows, 1.0 / b as f32, simd);
            if destination == Destination::Pending {
                let mut pending = part.pending.take().unwrap_or_else(|| w.zeros_like());
                Band::whole(&mut pending).add_gradient(&[&*part], coef, simd);
                part.pending = Some(pending);
            }
            loss
        });
        if destination == Destination::Weights {
            let parts: Vec<&Part> = parts.iter().collect();
            let mut bands = Band::split(&mut self.weights, &parts);
            self.team
                .map(&mut bands, |_, band| band.add_gradient(&parts, coef, simd));
        }
        (losses.iter().sum::<f64>() / b as f64) as f32
    }

    /// How many threads share a batch: the size of rayon's pool, as many as the process may use
    /// (the machine's cores, or fewer under a cgroup CPU quota or an affinity mask, as
    /// `std::thread::available_parallelism` reads them) unless `RAYON_NUM_THREADS` says otherwise:
    /// how a class gives each kernel its share.
    fn threads(&self) -> String {
        match self.parts.len() {
            1 => "1 thread".into(),
            n => format!("{n} threads"),
        }
    }

    /// The pending gradient summed over the cores' shares, and forgotten.
    pub(crate) fn take_pending(&mut self) -> Option<Params> {
        let mut shares = self.parts.iter_mut().filter_map(|p| p.pending.take());
        let mut total = shares.next()?;
        for share in shares {
            for (t, s) in total.layers.iter_mut().zip(&share.layers) {
                axpy(&mut t.weight, 1.0, &s.weight);
                axpy(&mut t.bias, 1.0, &s.bias);
            }
        }
        Some(total)
    }
}

/// The rows of the weights one core updates: a band of `W1`'s rows (pixels `first_pixel..`), a
/// band of `W2`'s rows (inputs `first_input..`) and, for one of the cores, `W3` and the biases.
/// Every core that took a share of the batch takes a band: when one core updated `W1` and
/// another the two dense layers, the rest waited, however many there were.
struct Band<'w> {
    first_pixel: usize,
    w1: &'w mut [f32],
    first_input: usize,
    w2: &'w mut [f32],
    rest: Option<Rest<'w>>,
}

/// `W3` and the three biases: small, so one core takes them all.
struct Rest<'w> {
    b1: &'w mut [f32],
    b2: &'w mut [f32],
    w3: &'w mut Layer,
}

impl<'w> Band<'w> {
    /// All of `w`, for one core.
    fn whole(w: &'w mut Params) -> Band<'w> {
        Band::split(w, &[]).pop().expect("one band")
    }

    /// `w` in one band per share of the batch (at least one): `W1`'s rows split so that each
    /// band has as many of the batch's non-zero pixels (the gradient's cost: pixels near the
    /// centre are non-zero in many more images than those near the edge), `W2`'s evenly.
    fn split(w: &'w mut Params, parts: &[&Part]) -> Vec<Band<'w>> {
        let n = parts.len().max(1);
        let nonzeros: Vec<usize> = (0..IMAGE_PIXELS)
            .map(|pixel| {
                parts
                    .iter()
                    .map(|p| p.by_pixel.start[pixel + 1] - p.by_pixel.start[pixel])
                    .sum()
            })
            .collect();
        let total: usize = nonzeros.iter().sum();
        let mut pixel_bounds = vec![0];
        let mut seen = 0;
        for (pixel, count) in nonzeros.iter().enumerate() {
            seen += count;
            if pixel_bounds.len() < n && seen * n >= total * pixel_bounds.len() {
                pixel_bounds.push(pixel + 1);
            }
        }
        pixel_bounds.resize(n, IMAGE_PIXELS);
        let [l1, l2, l3] = &mut w.layers;
        let mut rest = Some(Rest {
            b1: &mut l1.bias,
            b2: &mut l2.bias,
            w3: l3,
        });
        let (mut w1, mut w2) = (&mut l1.weight[..], &mut l2.weight[..]);
        (0..n)
            .map(|c| {
                let pixels = pixel_bounds.get(c + 1).unwrap_or(&IMAGE_PIXELS) - pixel_bounds[c];
                let (first_input, inputs) = (c * H1 / n, (c + 1) * H1 / n - c * H1 / n);
                let (band1, tail1) = std::mem::take(&mut w1).split_at_mut(pixels * H1);
                let (band2, tail2) = std::mem::take(&mut w2).split_at_mut(inputs * H2);
                (w1, w2) = (tail1, tail2);
                Band {
                    first_pixel: pixel_bounds[c],
                    w1: band1,
                    first_input,
                    w2: band2,
                    rest: if c == n - 1 { rest.take() } else { None },
                }
            })
            .collect()
    }

    /// The band's part of the weight gradient of `parts`, times `coef`, added into it.
    fn add_gradient(&mut self, parts: &[&Part], coef: f32, simd: Simd) {
        let terms: Vec<Term<'_>> = parts.iter().map(|p| (&p.by_pixel, &p.dh1[..])).collect();
        simd.gather_axpy_rows(self.w1, self.first_pixel, &terms, H1, coef);
        for p in parts {
            add_outer_band(self.w2, self.first_input, &p.h1, &p.dh2, p.rows(), coef);
        }
        if let Some(rest) = &mut self.rest {
            for p in parts {
                add_bias(rest.b1, &p.dh1, coef);
                add_bias(rest.b2, &p.dh2, coef);
                add_outer_band(&mut rest.w3.weight, 0, &p.h2, &p.z, p.rows(), coef);
                add_bias(&mut rest.w3.bias, &p.z, coef);
            }
        }
    }
}

impl Part {
    /// How many of the batch's rows this share holds.
    fn rows(&self) -> usize {
        self.z.len() / CLASSES
    }

    /// `rows` of the training set (its `pixels` and `labels`) through the network and back to
    /// the gradients of every activation, with `scale` the weight of one sample's loss;
    /// returns the summed loss.
    fn forward_backward(
        &mut self,
        w: &Params,
        pixels: &Sparse,
        labels: &[u8],
        rows: &[u32],
        scale: f32,
        simd: Simd,
    ) -> f64 {
        let b = rows.len();
        self.by_image.select_rows(pixels, rows);
        self.forward(w, b, simd);
        // dZ = scale · (softmax(Z) - onehot(y)): the gradient of the batch's mean cross-entropy.
        let mut loss = 0.0f64;
        for (z, &i) in self.z.chunks_exact_mut(CLASSES).zip(rows) {
            let label = usize::from(labels[i as usize]);
            loss += f64::from(softmax_grad(z, label, scale));
        }
        // Gradients flowing back use the weights *before* this update.
        self.dh2.set_zeros(b * H2);
        matmul_bt(&self.z, &w.layers[2].weight, &mut self.dh2, b, CLASSES, H2);
        relu_mask(&mut self.dh2, &self.h2);
        self.dh1.set_zeros(b * H1);
        matmul_bt(&self.dh2, &w.layers[1].weight, &mut self.dh1, b, H2, H1);
        relu_mask(&mut self.dh1, &self.h1);
        self.by_pixel.transpose_of(&self.by_image, IMAGE_PIXELS);
        loss
    }

    /// The `b` images in `by_image` through the network: post-ReLU `h1`, `h2` and logits `z`.
    fn forward(&mut self, w: &Params, b: usize, simd: Simd) {
        let l1 = &w.layers[0];
        self.h1.set_repeated(&l1.bias, b);
        simd.gather_axpy_rows(&mut self.h1, 0, &[(&self.by_image, &l1.weight)], H1, 1.0);
        self.h1.iter_mut().for_each(|v| *v = v.max(0.0));
        linear(&w.layers[1], &self.h1, b, &mut self.h2, true);
        linear(&w.layers[2], &self.h2, b, &mut self.z, false);
    }

    /// How many of `labels` the network's logits for the images in `by_image` get right.
    fn count_correct(&mut self, w: &Params, labels: &[u8], simd: Simd) -> usize {
        self.forward(w, labels.len(), simd);
        self.z
            .chunks_exact(CLASSES)
            .zip(labels)
            .filter(|(z, label)| argmax(z) == usize::from(**label))
            .count()
    }
}

impl GradientEngine for FusedEngine {
    fn accumulate(&mut self, batch: &[u32], scale: f32) -> Result<f32> {
        Ok(self.pass(batch, scale, Destination::Pending))
    }

    fn update(&mut self, learning_rate: f64) -> Result<()> {
        if let Some(grad) = self.take_pending() {
            let lr = learning_rate as f32;
            for (w, g) in self.weights.layers.iter_mut().zip(&grad.layers) {
                axpy(&mut w.weight, -lr, &g.weight);
                axpy(&mut w.bias, -lr, &g.bias);
            }
        }
        Ok(())
    }

    fn step(&mut self, batch: &[u32], learning_rate: f64) -> Result<f32> {
        let lr = learning_rate as f32;
        Ok(match batch {
            [i] => {
                let pixels = self.train_pixels.row(*i as usize);
                let label = usize::from(self.train_labels[*i as usize]);
                self.simd.sample_step(&mut self.weights, pixels, label, lr)
            }
            _ => self.pass(batch, -lr, Destination::Weights),
        })
    }

    fn accuracy(&mut self, test: &Split) -> Result<f64> {
        let (w, simd) = (&self.weights, self.simd);
        let chunks: Vec<usize> = (0..test.len()).step_by(EVAL_CHUNK).collect();
        let mut correct = 0;
        // Each core classifies one chunk of test images at a time.
        for group in chunks.chunks(self.parts.len()) {
            let parts = &mut self.parts[..group.len()];
            let counts = self.team.map(parts, |i, part| {
                let (start, end) = (group[i], (group[i] + EVAL_CHUNK).min(test.len()));
                part.by_image.set_rows(
                    test.images[start * IMAGE_PIXELS..end * IMAGE_PIXELS]
                        .chunks_exact(IMAGE_PIXELS),
                );
                part.count_correct(w, &test.labels[start..end], simd)
            });
            correct += counts.iter().sum::<usize>();
        }
        Ok(100.0 * correct as f64 / test.len() as f64)
    }

    fn weights(&self) -> Result<Weights> {
        Ok(self.weights.to_weights())
    }

    fn used(&self) -> EngineUsed {
        EngineUsed {
            engine: Engine::Fused,
            device: DeviceKind::Cpu,
            detail: format!("fused CPU ({}, {})", self.simd.name(), self.threads()),
        }
    }

    fn path(&self) -> String {
        format!("fused path, {}, {}", self.simd.name(), self.threads())
    }
}
