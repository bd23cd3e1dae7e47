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
//! batch. The batch's activations sit in one set of buffers ([`Activations`]), so each core's
//! gradients sum over the whole batch in one product per layer, in the same order whatever the
//! number of cores: the weights do not depend on the thread count, to the bit.
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
//! Then one set of activation buffers for the whole batch, where each share of samples had had
//! its own (so that a core's `dH1` and `W2` gradient took one `gemm` call per share, each
//! re-reading its rows of `W2`): two threads, minibatch 0.327–0.333 s → 0.301–0.324 s, per-epoch
//! 0.325–0.333 s → 0.304–0.312 s (three interleaved rounds of `bench --runs 5`). Then the
//! first layer's kernel in blocks of columns chosen by direction (see [`gather`]): minibatch
//! 0.330–0.352 s → 0.288–0.314 s, per-epoch 0.321–0.343 s → 0.287–0.308 s (three rounds, on a
//! busier host). Then, on a 2-core AMD EPYC of the Zen 4 generation, the gradient's pixels in
//! pairs ([`gather`]): minibatch 0.387 → 0.378 s, per-epoch 0.383 → 0.375 s (the lower quartile
//! of 30 epochs each, ten runs of each build taking turns; the fastest epochs 0.380 → 0.370 s
//! and 0.370 → 0.362 s). Then `W2`'s rows transposed by each core for `dH1` ([`dense`]):
//! minibatch 0.376 → 0.369 s, per-epoch 0.372 → 0.360 s (lower quartiles as above, 24–30
//! epochs each). Then `gemm` reading its left operands in place (in one run no clearer than
//! 0.372 → 0.370 s; alone, 0.0095 s an epoch less for one core's three products) and the copy
//! of `W2` made in AVX registers: minibatch 0.359 → 0.343 s. Then the first layer forward by
//! pixel, from the lists its gradient reads, the batch's images no longer copied out of the
//! training set's lists ([`gather`]): minibatch 0.354 → 0.344 s (lower quartiles of 15 epochs).
//! Then the training set's lists in 3 bytes a non-zero, not 8 ([`sparse`]): minibatch 0.340 →
//! 0.334 s, per-epoch 0.324 → 0.320 s (lower quartiles of 30 and 18 epochs), per-sample 0.984 →
//! 0.995 s (24), and 50 MB less memory. Then, for the per-epoch rule, `W2` transposed once an
//! epoch rather than at every pass ([`FusedEngine`]'s `w2t_of`): its backward meeting 0.196 →
//! 0.191 s an epoch.

use std::ops::Range;

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
    add_bias, add_bias_relu, add_matmul, add_outer, argmax, axpy, fill_rows, matmul, matmul_bt,
    relu, relu_mask, softmax_grad,
};
use self::gather::Term;
use self::params::{Params, Units, panel, panels_mut, rows_from_panels};
use self::simd::Simd;
use self::sparse::{Images, Picked, Sparse};
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
    train_pixels: Images,
    train_labels: Vec<u8>,
    /// One share of the batch's samples per core, reused across updates.
    parts: Vec<Part>,
    /// The batch's activations and their gradients, reused across updates.
    acts: Activations,
    /// The threads that take the shares.
    team: Team,
    simd: Simd,
    /// The per-sample rule's image: its pixels and values, read out of `train_pixels`.
    sample: (Vec<u32>, Vec<f32>),
    /// The ranges of units whose rows of `W2` the activations' `w2t` holds transposed, while
    /// the weights have not changed since: an epoch of the per-epoch rule reads the same `W2`
    /// in each of its 600 passes, so it is transposed once. On the 2-core Zen 4 EPYC the
    /// backward meeting of such an epoch took 0.196 s with a transpose every pass, 0.191 s
    /// without (medians of 30 epochs each, the two taking turns epoch by epoch in one process).
    w2t_of: Option<Vec<Range<usize>>>,
}

/// A share of a batch's samples: their non-zero pixels listed by pixel, which the first layer
/// reads both ways; for a share of the test set, by image too, as they are first found (the
/// training set's are listed once, in [`FusedEngine`]).
#[derive(Default)]
struct Part {
    by_image: Images,
    by_pixel: ByPixel,
}

/// A share's non-zero pixels listed by pixel: one pixel at a time or in pairs, as
/// [`Simd::pairs_pixels`] says (the other list stays empty).
#[derive(Default)]
struct ByPixel {
    one: Sparse,
    pairs: Sparse<2>,
}

impl ByPixel {
    /// The non-zero pixels of `images` (the share's, in order).
    fn list(&mut self, images: Picked<'_>, simd: Simd) {
        if simd.pairs_pixels() {
            self.pairs.transpose_of(images, IMAGE_PIXELS);
        } else {
            self.one.transpose_of(images, IMAGE_PIXELS);
        }
    }

    /// `h1 += x·w1` for the share's images `x`, with `w1` a panel `width` units wide.
    fn add_product(&self, h1: &mut [f32], w1: &[f32], width: usize, simd: Simd) {
        if simd.pairs_pixels() {
            simd.scatter_rows(h1, &self.pairs, w1, width);
        } else {
            simd.scatter_rows(h1, &self.one, w1, width);
        }
    }
}

/// A batch's activations and their gradients. `h1` and `dh1` hold each range of units' values
/// for every row of the batch, one range after another: in the meetings by units a core reads
/// and writes a block of its own, and sums its gradients over the whole batch in one product
/// per layer. The rest is row by row, so that in the meetings by samples a core writes a block
/// of rows.
#[derive(Default)]
struct Activations {
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
    /// Not an activation: each core's rows of `W2` transposed (for each range of units, `H2`
    /// rows of its units), which the product for `dH1` reads ([`dense`]).
    w2t: AlignedVec,
}

/// How a batch's rows are shared between the cores in the meetings by samples: `per_part`
/// rows each, in order.
#[derive(Clone, Copy)]
struct Cut {
    rows: usize,
    per_part: usize,
}

impl Cut {
    /// `rows` rows shared by `cores` cores, or fewer, so that no share is under `min_rows`.
    fn new(rows: usize, cores: usize, min_rows: usize) -> Cut {
        let per_part = rows.div_ceil(cores).max(min_rows).max(1);
        Cut { rows, per_part }
    }

    fn parts(self) -> usize {
        self.rows.div_ceil(self.per_part)
    }

    fn range(self, j: usize) -> Range<usize> {
        j * self.per_part..((j + 1) * self.per_part).min(self.rows)
    }
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
        let simd = Simd::detect();
        let mut train_pixels = Images::default();
        train_pixels.set_images(&train.images, 0..train.len(), simd);
        // As many threads as rayon's pool has (burn's CPU backend uses that pool): what the
        // process may use, or `RAYON_NUM_THREADS` (see `threads`).
        let threads = rayon::current_num_threads();
        dense::read_operands_in_place();
        FusedEngine {
            weights: Params::new(&weights, threads),
            pending: None,
            train_pixels,
            train_labels: train.labels.clone(),
            parts: (0..threads).map(|_| Part::default()).collect(),
            acts: Activations::default(),
            team: Team::new(threads),
            simd,
            sample: Default::default(),
            w2t_of: None,
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
        let cut = Cut::new(b, self.parts.len(), destination.min_rows_per_part());
        let (pixels, labels, simd) = (&self.train_pixels, &self.train_labels[..], self.simd);
        let parts = &mut self.parts[..cut.parts()];
        // 1. By samples: each share's non-zero pixels, by pixel, from the training set's lists.
        // (Each core listing the whole batch for itself, so that no core reads lists the other
        // wrote and the kernels take one term, was tried on the 2-core Zen 4 EPYC: listing 0.028
        // → 0.041–0.047 s an epoch a core, for 0.003 s less in the backward meeting; minibatch
        // lower quartile 0.336 → 0.347 s.)
        self.team.map(parts, |j, part| {
            let images = pixels.pick(&batch[cut.range(j)]);
            part.by_pixel.list(images, simd);
        });
        // 2 and 3: forward, and back to `dH2`.
        let w = &self.weights;
        let losses = forward(
            &self.team,
            w,
            parts,
            &mut self.acts,
            cut,
            simd,
            |j, share| share.back_to_dh2(w, labels, &batch[cut.range(j)], 1.0 / b as f32),
        );
        // 4. By units: back to `dH1`, and the gradient added to `destination`.
        let ranges = w.units.clone();
        // An update changes the `W2` it transposes; an accumulation leaves it for the next.
        let transposed = self.w2t_of.take().is_some_and(|of| of == ranges);
        if destination == Destination::Pending {
            self.w2t_of = Some(ranges.clone());
        }
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
        let Activations {
            h1,
            h2,
            z,
            dh1,
            dh2,
            w2t,
            ..
        } = &mut self.acts;
        let mut jobs: Vec<_> = (units.into_iter())
            .zip(panels_mut(dh1, b, &ranges))
            .zip(panels_mut(w2t, H2, &ranges))
            .collect();
        let parts = &self.parts[..cut.parts()];
        self.team.map(&mut jobs, |k, ((units, dh1), w2t)| {
            let u = &ranges[k];
            let h1 = panel(h1, b, u);
            let w2 = match w2_before {
                Some(w) => panel(&w.layers[1].weight, H2, u),
                None => &*units.w2,
            };
            // dH1 = dH2·W2ᵀ, through this core's rows of `W2` transposed (see `dense`).
            if !transposed {
                simd.transpose(w2, u.len(), H2, w2t);
            }
            matmul(dh1, dh2, w2t, b, H2, u.len(), false);
            relu_mask(dh1, h1);
            // Each share's pixels with its rows of `dH1`.
            let dh1_shares = || parts.iter().zip(dh1.chunks(cut.per_part * u.len()));
            let back = Backward {
                rows: b,
                h1,
                dh1,
                h2,
                z,
                dh2,
            };
            if simd.pairs_pixels() {
                let terms: Vec<_> = dh1_shares().map(|(p, d)| (&p.by_pixel.pairs, d)).collect();
                units.add_gradient(&back, &terms, coef, simd);
            } else {
                let terms: Vec<_> = dh1_shares().map(|(p, d)| (&p.by_pixel.one, d)).collect();
                units.add_gradient(&back, &terms, coef, simd);
            }
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

/// Meetings 2 and 3 of a pass, whose shares have their pixels listed: the first layer by
/// units, then by samples the second and third layers, after which `then(j, share)` runs on
/// share `j` (its logits in `z`); returns what it returns, share by share.
fn forward<R: Send>(
    team: &Team,
    w: &Params,
    parts: &[Part],
    acts: &mut Activations,
    cut: Cut,
    simd: Simd,
    then: impl Fn(usize, &mut SampleShare<'_>) -> R + Sync,
) -> Vec<R> {
    acts.resize(cut.rows);
    let Activations {
        h1,
        h1_rows,
        h2,
        z,
        dh2,
        ..
    } = acts;
    // 2. By units; with `W1` in one panel (as the per-sample rule leaves it, for the accuracy
    // after its epoch), by samples.
    if w.units.len() == 1 {
        let mut shares: Vec<&mut [f32]> = h1.chunks_mut(cut.per_part * H1).collect();
        team.map(&mut shares, |j, h1| first_layer(w, 0, &parts[j], h1, simd));
    } else {
        let mut panels = panels_mut(h1, cut.rows, &w.units);
        team.map(&mut panels, |k, h1| {
            let width = w.units[k].len();
            for (part, h1) in parts.iter().zip(h1.chunks_mut(cut.per_part * width)) {
                first_layer(w, k, part, h1, simd);
            }
        });
    }
    // 3. By samples.
    let h1 = &**h1;
    let rows = |n: usize| cut.per_part * n;
    let mut shares: Vec<SampleShare<'_>> = (h1_rows.chunks_mut(rows(H1)))
        .zip(h2.chunks_mut(rows(H2)))
        .zip(z.chunks_mut(rows(CLASSES)))
        .zip(dh2.chunks_mut(rows(H2)))
        .map(|(((h1_rows, h2), z), dh2)| SampleShare {
            h1_rows,
            h2,
            z,
            dh2,
        })
        .collect();
    team.map(&mut shares, |j, share| {
        share.finish_forward(w, h1, cut.rows, cut.range(j).start);
        then(j, share)
    })
}

/// The first layer forward for range `k` of its units, over the images of `part`: `h1 =
/// ReLU(x·W1 + b1)`, the bias added to each finished sum, as when the sums ran image by image
/// (the same values to the bit).
fn first_layer(w: &Params, k: usize, part: &Part, h1: &mut [f32], simd: Simd) {
    let u = &w.units[k];
    h1.fill(0.0);
    let w1 = panel(&w.layers[0].weight, IMAGE_PIXELS, u);
    part.by_pixel.add_product(h1, w1, u.len(), simd);
    add_bias_relu(h1, &w.layers[0].bias[u.clone()]);
}

impl Activations {
    /// Room for `rows` rows, and for `w2t` (kept as it is: see [`FusedEngine::w2t_of`]).
    fn resize(&mut self, rows: usize) {
        for (buffer, width) in [
            (&mut self.h1, H1),
            (&mut self.h1_rows, H1),
            (&mut self.h2, H2),
            (&mut self.z, CLASSES),
            (&mut self.dh1, H1),
            (&mut self.dh2, H2),
        ] {
            buffer.set_len(rows * width);
        }
        self.w2t.set_len(H2 * H1);
    }
}

/// A share of the batch's rows in the meetings by samples: the activations it writes.
struct SampleShare<'a> {
    h1_rows: &'a mut [f32],
    h2: &'a mut [f32],
    z: &'a mut [f32],
    dh2: &'a mut [f32],
}

impl SampleShare<'_> {
    /// `H2` from `H1` (all of the batch's `rows`, in panels; this share's start at `first`),
    /// then the logits `Z`.
    fn finish_forward(&mut self, w: &Params, h1: &[f32], rows: usize, first: usize) {
        let (b, [_, l2, l3]) = (self.z.len() / CLASSES, &w.layers);
        // One range of units is already row by row.
        let h1 = if w.units.len() == 1 {
            &h1[first * H1..(first + b) * H1]
        } else {
            rows_from_panels(self.h1_rows, h1, rows, first, &w.units);
            &*self.h1_rows
        };
        fill_rows(self.h2, &l2.bias);
        fill_rows(self.z, &l3.bias);
        add_matmul(self.h2, h1, &l2.weight, b, H1, H2);
        relu(self.h2);
        add_matmul(self.z, self.h2, &l3.weight, b, H2, CLASSES);
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
        matmul_bt(
            self.z,
            &w.layers[2].weight,
            self.dh2,
            rows.len(),
            CLASSES,
            H2,
        );
        relu_mask(self.dh2, self.h2);
        loss
    }

    /// How many of `labels` the logits get right.
    fn count_correct(&self, labels: &[u8]) -> usize {
        self.z
            .chunks_exact(CLASSES)
            .zip(labels)
            .filter(|(z, label)| argmax(z) == usize::from(**label))
            .count()
    }
}

/// What a core reads for its units' weight gradient, besides each share's pixels: its units'
/// `H1` and `dH1` for every row of the batch; the activations row by row for `W3` and the last
/// biases.
struct Backward<'a> {
    rows: usize,
    h1: &'a [f32],
    dh1: &'a [f32],
    h2: &'a [f32],
    z: &'a [f32],
    dh2: &'a [f32],
}

impl Units<'_> {
    /// The weight gradient of these units over the batch, times `coef`, added in: `W1`'s panel
    /// from each share's pixels with its rows of `dH1` (`terms`), `W2`'s rows from `H1` and
    /// `dH2`, and `b1`; the core that has them also adds `W3`'s, `b2`'s and `b3`'s.
    fn add_gradient<const R: usize>(
        &mut self,
        back: &Backward<'_>,
        terms: &[Term<'_, R>],
        coef: f32,
        simd: Simd,
    ) {
        simd.gather_axpy_rows(self.w1, terms, self.b1.len(), coef);
        add_outer(self.w2, back.h1, back.dh2, back.rows, coef);
        add_bias(self.b1, back.dh1, coef);
        if let Some(rest) = &mut self.rest {
            add_bias(rest.b2, back.dh2, coef);
            add_outer(rest.w3, back.h2, back.z, back.rows, coef);
            add_bias(rest.b3, back.z, coef);
        }
    }
}

impl GradientEngine for FusedEngine {
    fn accumulate(&mut self, batch: &[u32], scale: f32) -> Result<f32> {
        Ok(self.pass(batch, scale, Destination::Pending))
    }

    fn update(&mut self, learning_rate: f64) -> Result<()> {
        if let Some(grad) = self.take_pending() {
            self.w2t_of = None;
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
                self.w2t_of = None;
                self.split_first_layer(1);
                self.train_pixels
                    .image(*i as usize)
                    .copy_to(&mut self.sample);
                let pixels = (&self.sample.0[..], &self.sample.1[..]);
                let label = usize::from(self.train_labels[*i as usize]);
                self.simd.sample_step(&mut self.weights, pixels, label, lr)
            }
            _ => self.pass(batch, -lr, Destination::Weights),
        })
    }

    fn accuracy(&mut self, test: &Split) -> Result<f64> {
        let mut correct = 0;
        // Chunks of test images, each through the meetings of a training batch's forward pass.
        for start in (0..test.len()).step_by(EVAL_CHUNK) {
            let end = (start + EVAL_CHUNK).min(test.len());
            let cut = Cut::new(end - start, self.parts.len(), 1);
            let (parts, simd) = (&mut self.parts[..cut.parts()], self.simd);
            self.team.map(parts, |j, part| {
                let rows = cut.range(j);
                part.by_image
                    .set_images(&test.images, start + rows.start..start + rows.end, simd);
                part.by_pixel.list(part.by_image.all(), simd);
            });
            let labels = &test.labels[start..end];
            let (w, simd) = (&self.weights, self.simd);
            let counts = forward(
                &self.team,
                w,
                parts,
                &mut self.acts,
                cut,
                simd,
                |j, share| share.count_correct(&labels[cut.range(j)]),
            );
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
