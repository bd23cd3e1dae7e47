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
//! - [`params`]: the weights, `W1` in one panel of units per core;
//! - [`dense`]: the two small layers go through `gemm`, gradients added straight into place;
//! - [`simd`]: the kernels are compiled for AVX-512, AVX2+FMA and a baseline, picked at run time
//!   (`gemm` too, through its `x86-v4` feature);
//! - [`team`]: the engine's own threads, awake between batches.
//!
//! A batch is split between the cores two ways ([`FusedEngine::pass`]): by samples for the
//! dense layers forward, the loss and `dH2`; by hidden units for the first layer. Each core
//! takes a range of the first layer's units ([`params`]) forward, then back from `dH2` (their
//! gradient, and the update of their columns of `W1`, rows of `W2` and entries of `b1`), so that
//! `W1`, three quarters of the weights, is read and written by one core only. Four meetings a
//! batch.
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
//! 1.16–1.23 s → 1.02–1.07 s. Then the split by units, where before each core took a share of
//! the samples all the way and then a band of every layer's rows to update (so that half of
//! `W1` moved between the cores' caches every batch): two threads, minibatch 0.418 → 0.370 s,
//! per-epoch 0.371 → 0.379 s (medians of five interleaved rounds; one meeting a batch had been
//! enough for the per-epoch rule, each core summing its share into a gradient of its own).

mod aligned;
mod dense;
mod gather;
mod params;
mod sample;
mod simd;
mod sparse;
mod team;

use self::aligned::AlignedVec;
use self::dense::{
    add_bias, add_matmul, add_outer, argmax, axpy, matmul_bt, relu, relu_mask, softmax_grad,
};
use self::gather::Term;
use self::params::{Params, Units, panel, panels_mut, rows_from_panels};
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
    /// The per-epoch rule's gradient since the last update, laid out as the weights.
    pending: Option<Params>,
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
/// gradients. `h1` and `dh1` are laid out in the weights' ranges of units (all rows of the first
/// range, then the next), so that each core writes a block of its own.
#[derive(Default)]
struct Part {
    rows: usize,
    by_image: Sparse,
    by_pixel: Sparse,
    h1: AlignedVec,
    /// `h1` row by row, as the second layer reads it: one product over all 400 units sums in
    /// burn's order, so that the fused path's `H2` is burn's to the bit. (Summed range by range,
    /// `H2` was a rounding away; after a few hundred updates a ReLU unit within that rounding of
    /// zero turned the other way and the weights parted by 2e-3.)
    h1_rows: AlignedVec,
    h2: AlignedVec,
    z: AlignedVec,
    dh1: AlignedVec,
    dh2: AlignedVec,
}

/// Where a pass adds its weight gradient (times a coefficient).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Destination {
    /// Into the weights themselves, with the coefficient `-lr`: an update.
    Weights,
    /// Into the pending gradient: accumulation for a later update.
    Pending,
}

impl Destination {
    /// The fewest rows of a batch a core takes in the meetings by samples. Each share has fixed
    /// costs, so shares of a few rows cost more than they save: on a 16-core Xeon, before the
    /// split by units, 24b's batches of 100 took 0.63 s per epoch on 4 cores and
    /// 0.94 s on 16; 24a's accumulation gained up to 8 (issue 25's table, measured when two
    /// cores did every update however many there were). With these minimums a batch of 100
    /// goes to at most 4 cores for an update and 8 for an accumulation.
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
            weights: Params::new(&weights, threads),
            pending: None,
            train_pixels,
            train_labels: train.labels.clone(),
            parts: (0..threads).map(|_| Part::default()).collect(),
            team: Team::new(threads),
            simd: Simd::detect(),
        }
    }

    /// Forward and backward over `batch`; returns the batch's mean loss. The weight gradient
    /// times `coef` is added to `destination`.
    ///
    /// The cores meet four times: by samples to list the non-zero pixels; by units for the
    /// first layer; by samples for the second and third layers, the loss and `dH2`; by units
    /// again for `dH1` and the gradient of `W1`, `W2` and the biases (see [`params`]). The
    /// gradients flowing back use the weights from before this update: each core computes its
    /// units' `dH1` from its own rows of `W2` before it updates them.
    fn pass(&mut self, batch: &[u32], coef: f32, destination: Destination) -> f32 {
        self.split_first_layer(self.team.size());
        let b = batch.len();
        let per_part = b
            .div_ceil(self.parts.len())
            .max(destination.min_rows_per_part());
        let parts = &mut self.parts[..b.div_ceil(per_part)];
        let rows = |j: usize| &batch[j * per_part..((j + 1) * per_part).min(b)];
        let (pixels, labels, simd) = (&self.train_pixels, &self.train_labels[..], self.simd);
        let w = &self.weights;
        // 1. By samples: each share's non-zero pixels.
        self.team
            .map(parts, |j, part| part.select(pixels, rows(j), w.units.len()));
        // 2. By units: the first layer forward.
        let mut shares = by_units(parts, &w.units);
        self.team.map(&mut shares, |k, shares| {
            for share in shares {
                share.forward(w, k, simd);
            }
        });
        // 3. By samples: the rest of the way forward and back to `dH2`.
        let losses = self.team.map(parts, |j, part| {
            part.finish_forward(w);
            part.back_to_dh2(w, labels, rows(j), 1.0 / b as f32)
        });
        // 4. By units: back to `dH1`, and the gradient added to `destination`.
        let mut shares = by_units(parts, &w.units);
        // An update reads `W2` from the rows it then updates; an accumulation, from the weights.
        let (units, w2_before) = match destination {
            Destination::Weights => (self.weights.by_units(), None),
            Destination::Pending => {
                let pending = self
                    .pending
                    .get_or_insert_with(|| self.weights.zeros_like());
                (pending.by_units(), Some(&self.weights))
            }
        };
        let mut jobs: Vec<_> = units.into_iter().zip(&mut shares).collect();
        self.team.map(&mut jobs, |k, (units, shares)| {
            let w2 = match w2_before {
                Some(w) => panel(&w.layers[1].weight, H2, &w.units[k]),
                None => &*units.w2,
            };
            for share in shares.iter_mut() {
                let s = share.reads;
                matmul_bt(s.dh2, w2, share.dh1, s.rows, H2, share.h1.len() / s.rows);
                relu_mask(share.dh1, share.h1);
            }
            units.add_gradient(shares, coef, simd);
        });
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

    /// The weights (and the pending gradient) with `W1` in panels for `cores` cores.
    fn split_first_layer(&mut self, cores: usize) {
        self.weights.split_first_layer(cores);
        if let Some(pending) = &mut self.pending {
            pending.split_first_layer(cores);
        }
    }

    /// The pending gradient, and forgotten.
    pub(crate) fn take_pending(&mut self) -> Option<Params> {
        self.pending.take()
    }
}

/// One share of the batch as the core that takes a range of units sees it: what it reads of the
/// share, and the share's activations (and their gradients) for those units.
struct UnitShare<'p> {
    reads: Reads<'p>,
    h1: &'p mut [f32],
    dh1: &'p mut [f32],
}

/// What every core reads of a share of the batch.
#[derive(Clone, Copy)]
struct Reads<'p> {
    rows: usize,
    by_image: &'p Sparse,
    by_pixel: &'p Sparse,
    h2: &'p [f32],
    z: &'p [f32],
    dh2: &'p [f32],
}

/// For each range of units, every share of the batch as that range's core sees it.
fn by_units<'p>(
    parts: &'p mut [Part],
    units: &[std::ops::Range<usize>],
) -> Vec<Vec<UnitShare<'p>>> {
    let mut shares: Vec<Vec<UnitShare<'p>>> = units.iter().map(|_| Vec::new()).collect();
    for part in parts {
        let Part {
            rows,
            by_image,
            by_pixel,
            h1,
            h2,
            z,
            dh1,
            dh2,
            ..
        } = part;
        let reads = Reads {
            rows: *rows,
            by_image,
            by_pixel,
            h2,
            z,
            dh2,
        };
        let h1 = panels_mut(h1, *rows, units);
        let dh1 = panels_mut(dh1, *rows, units);
        for ((unit_shares, h1), dh1) in shares.iter_mut().zip(h1).zip(dh1) {
            unit_shares.push(UnitShare { reads, h1, dh1 });
        }
    }
    shares
}

impl UnitShare<'_> {
    /// Range `k` of the first layer's units forward: `h1 = ReLU(x·W1 + b1)` for those units.
    fn forward(&mut self, w: &Params, k: usize, simd: Simd) {
        let l1 = &w.layers[0];
        let width = w.units[k].len();
        for row in self.h1.chunks_exact_mut(width) {
            row.copy_from_slice(&l1.bias[w.units[k].clone()]);
        }
        let w1 = panel(&l1.weight, IMAGE_PIXELS, &w.units[k]);
        simd.gather_axpy_rows(self.h1, &[(self.reads.by_image, w1)], width, 1.0);
        relu(self.h1);
    }
}

impl Units<'_> {
    /// The weight gradient of these units over `shares`, times `coef`, added in: `W1`'s panel
    /// from the shares' pixels and `dH1`, `W2`'s rows from `H1` and `dH2`, and `b1`; the core
    /// that has them also adds `W3`'s, `b2`'s and `b3`'s.
    fn add_gradient(&mut self, shares: &[UnitShare<'_>], coef: f32, simd: Simd) {
        let width = self.b1.len();
        let terms: Vec<Term<'_>> = shares.iter().map(|s| (s.reads.by_pixel, &*s.dh1)).collect();
        simd.gather_axpy_rows(self.w1, &terms, width, coef);
        for share in shares {
            add_outer(self.w2, share.h1, share.reads.dh2, share.reads.rows, coef);
            add_bias(self.b1, share.dh1, coef);
        }
        if let Some(rest) = &mut self.rest {
            for Reads {
                rows, h2, z, dh2, ..
            } in shares.iter().map(|s| s.reads)
            {
                add_bias(rest.b2, dh2, coef);
                add_outer(rest.w3, h2, z, rows, coef);
                add_bias(rest.b3, z, coef);
            }
        }
    }
}

impl Part {
    /// Rows `rows` of the training set's `pixels`, by image and by pixel; room for their
    /// activations.
    fn select(&mut self, pixels: &Sparse, rows: &[u32], ranges: usize) {
        self.by_image.select_rows(pixels, rows);
        self.by_pixel.transpose_of(&self.by_image, IMAGE_PIXELS);
        self.resize(rows.len(), ranges);
    }

    /// Room for `rows` rows of activations, the first layer's in `ranges` ranges of units (each
    /// value is written before it is read).
    fn resize(&mut self, rows: usize, ranges: usize) {
        self.rows = rows;
        self.h1.set_len(rows * H1);
        self.dh1.set_len(rows * H1);
        if ranges > 1 {
            self.h1_rows.set_len(rows * H1);
        }
    }

    /// `H2` from `H1`, then the logits `Z`.
    fn finish_forward(&mut self, w: &Params) {
        let (b, [_, l2, l3]) = (self.rows, &w.layers);
        // One range of units is already row by row.
        let h1 = if w.units.len() == 1 {
            &self.h1
        } else {
            rows_from_panels(&mut self.h1_rows, &self.h1, &w.units);
            &self.h1_rows
        };
        self.h2.set_repeated(&l2.bias, b);
        add_matmul(&mut self.h2, h1, &l2.weight, b, H1, H2);
        relu(&mut self.h2);
        self.z.set_repeated(&l3.bias, b);
        add_matmul(&mut self.z, &self.h2, &l3.weight, b, H2, CLASSES);
    }

    /// The logits turned into their gradient `dZ` and sent back to `dH2`, with `scale` the
    /// weight of one sample's loss; returns the summed loss of the samples `rows` (whose
    /// `labels` it reads).
    fn back_to_dh2(&mut self, w: &Params, labels: &[u8], rows: &[u32], scale: f32) -> f64 {
        // dZ = scale · (softmax(Z) - onehot(y)): the gradient of the batch's mean cross-entropy.
        let mut loss = 0.0f64;
        for (z, &i) in self.z.chunks_exact_mut(CLASSES).zip(rows) {
            let label = usize::from(labels[i as usize]);
            loss += f64::from(softmax_grad(z, label, scale));
        }
        self.dh2.set_len(self.rows * H2);
        matmul_bt(
            &self.z,
            &w.layers[2].weight,
            &mut self.dh2,
            self.rows,
            CLASSES,
            H2,
        );
        relu_mask(&mut self.dh2, &self.h2);
        loss
    }

    /// How many of `labels` the network's logits for the images in `by_image` get right; one
    /// core takes every range of units.
    fn count_correct(&mut self, w: &Params, labels: &[u8], simd: Simd) -> usize {
        self.resize(labels.len(), w.units.len());
        for (k, shares) in by_units(std::slice::from_mut(self), &w.units)
            .iter_mut()
            .enumerate()
        {
            shares[0].forward(w, k, simd);
        }
        self.finish_forward(w);
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
                self.split_first_layer(1);
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
