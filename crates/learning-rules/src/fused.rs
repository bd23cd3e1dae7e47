//! The specialised CPU path: forward, backward and update of this one network, hand-fused.
//!
//! burn runs each update as dozens of separate tensor operations, and with one sample per
//! update the per-operation overhead, not the arithmetic, sets the pace (≈ 850 µs per update).
//! Here a per-sample update is a few passes over the weight rows it actually touches: an MNIST
//! image is ~80 % zero pixels and a ReLU layer ~50 % zeros, so only their rows are read or
//! written. Batches go through `gemm` for the dense layers, with the update written straight into
//! the weights; the first layer, the biggest, works from the batch's non-zero pixels only.
//! Same mathematics as [`crate::burn_engine`] — tests check both give the same weights.

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use crate::data::{CLASSES, IMAGE_PIXELS, Split};
use crate::error::Result;
use crate::model::{LAYER_SIZES, LayerWeights, Weights};
use crate::train::GradientEngine;

const H1: usize = LAYER_SIZES[1];
const H2: usize = LAYER_SIZES[2];
const EVAL_CHUNK: usize = 1000;

pub(crate) struct FusedEngine<'a> {
    weights: Weights,
    train: &'a Split,
    /// The training images' non-zero pixels, found once rather than at every batch.
    train_pixels: Sparse,
    /// One share of the batch per core, with its activations and gradients, reused across
    /// updates.
    parts: Vec<Part>,
    simd: Simd,
}

/// A share of a batch: its non-zero pixels (by image and by pixel), activations and their
/// gradients.
#[derive(Default)]
struct Part {
    by_image: Sparse,
    by_pixel: Sparse,
    h1: Vec<f32>,
    h2: Vec<f32>,
    z: Vec<f32>,
    dh1: Vec<f32>,
    dh2: Vec<f32>,
    /// This share's part of the pending gradient (per-epoch rule), laid out as the weights.
    pending: Option<Weights>,
}

impl<'a> FusedEngine<'a> {
    pub(crate) fn new(weights: Weights, train: &'a Split) -> FusedEngine<'a> {
        let mut train_pixels = Sparse::default();
        train_pixels.set_rows((0..train.len()).map(|i| train.image(i)));
        FusedEngine {
            weights,
            train,
            train_pixels,
            parts: (0..rayon::current_num_threads())
                .map(|_| Part::default())
                .collect(),
            simd: Simd::detect(),
        }
    }

    /// Forward and backward over `batch`, each core taking a share of it; returns the batch's
    /// mean loss. The weight gradient times `coef` is added to the weights themselves
    /// (`coef = -lr`, `into_weights`) or to the pending gradient.
    ///
    /// Updating the weights needs every share's activation gradients, so the cores meet again
    /// and one updates the first layer while the other updates the two dense ones. A pending
    /// gradient needs no meeting: each core adds its share into a gradient of its own, and
    /// [`FusedEngine::take_pending`] sums them.
    fn pass(&mut self, batch: &[u32], coef: f32, into_weights: bool) -> f32 {
        let b = batch.len();
        let per_part = b.div_ceil(self.parts.len());
        let parts = &mut self.parts[..b.div_ceil(per_part)];
        let (w, simd) = (&self.weights, self.simd);
        let (pixels, labels) = (&self.train_pixels, &self.train.labels[..]);
        let loss: f64 = parts
            .par_iter_mut()
            .zip(batch.par_chunks(per_part))
            .map(|(part, rows)| {
                let loss = part.forward_backward(w, pixels, labels, rows, 1.0 / b as f32, simd);
                if !into_weights {
                    let mut pending = part.pending.take().unwrap_or_else(|| zeros_like(w));
                    let [t1, t2, t3] = &mut pending.layers;
                    add_first_layer_gradient(t1, &[&*part], coef, simd);
                    add_dense_gradients(t2, t3, &[&*part], coef);
                    part.pending = Some(pending);
                }
                loss
            })
            .sum();
        if into_weights {
            let [t1, t2, t3] = &mut self.weights.layers;
            let parts: Vec<&Part> = parts.iter().collect();
            rayon::join(
                || add_first_layer_gradient(t1, &parts, coef, simd),
                || add_dense_gradients(t2, t3, &parts, coef),
            );
        }
        (loss / b as f64) as f32
    }

    /// The pending gradient summed over the cores' shares, and forgotten.
    pub(crate) fn take_pending(&mut self) -> Option<Weights> {
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

/// `W1 += coef · xᵀ·dH1` and its bias, over the rows of pixels that are non-zero in `parts`.
fn add_first_layer_gradient(target: &mut LayerWeights, parts: &[&Part], coef: f32, simd: Simd) {
    let terms: Vec<Term<'_>> = parts.iter().map(|p| (&p.by_pixel, &p.dh1[..])).collect();
    simd.gather_axpy_rows(&mut target.weight, &terms, H1, coef);
    for row in parts.iter().flat_map(|p| p.dh1.chunks_exact(H1)) {
        axpy(&mut target.bias, coef, row);
    }
}

/// The two dense layers' gradients from `parts`, times `coef`, added into `t2` and `t3`.
fn add_dense_gradients(t2: &mut LayerWeights, t3: &mut LayerWeights, parts: &[&Part], coef: f32) {
    for p in parts {
        let rows = p.z.len() / CLASSES;
        add_outer(t3, &p.h2, &p.z, rows, coef);
        add_outer(t2, &p.h1, &p.dh2, rows, coef);
    }
}

impl Part {
    /// `rows` of the training set (its `pixels` and `labels`) through the network and back to
    /// the gradients of every activation, with `scale` the weight of one sample's loss;
    /// returns the summed loss.
    fn forward_backward(
        &mut self,
        w: &Weights,
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
        resize(&mut self.dh2, b * H2);
        matmul_bt(&self.z, &w.layers[2].weight, &mut self.dh2, b, CLASSES, H2);
        relu_mask(&mut self.dh2, &self.h2);
        resize(&mut self.dh1, b * H1);
        matmul_bt(&self.dh2, &w.layers[1].weight, &mut self.dh1, b, H2, H1);
        relu_mask(&mut self.dh1, &self.h1);
        self.by_pixel.transpose_of(&self.by_image, IMAGE_PIXELS);
        loss
    }

    /// The `b` images in `by_image` through the network: post-ReLU `h1`, `h2` and logits `z`.
    fn forward(&mut self, w: &Weights, b: usize, simd: Simd) {
        let l1 = &w.layers[0];
        self.h1.clear();
        for _ in 0..b {
            self.h1.extend_from_slice(&l1.bias);
        }
        simd.gather_axpy_rows(&mut self.h1, &[(&self.by_image, &l1.weight)], H1, 1.0);
        self.h1.iter_mut().for_each(|v| *v = v.max(0.0));
        linear(&w.layers[1], &self.h1, b, &mut self.h2, true);
        linear(&w.layers[2], &self.h2, b, &mut self.z, false);
    }

    /// How many of `labels` the network's logits for the images in `by_image` get right.
    fn count_correct(&mut self, w: &Weights, labels: &[u8], simd: Simd) -> usize {
        self.forward(w, labels.len(), simd);
        self.z
            .chunks_exact(CLASSES)
            .zip(labels)
            .filter(|(z, label)| argmax(z) == usize::from(**label))
            .count()
    }
}

impl GradientEngine for FusedEngine<'_> {
    fn accumulate(&mut self, batch: &[u32], scale: f32) -> Result<f32> {
        Ok(self.pass(batch, scale, false))
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
                let label = usize::from(self.train.labels[*i as usize]);
                self.simd.sample_step(&mut self.weights, pixels, label, lr)
            }
            _ => self.pass(batch, -lr, true),
        })
    }

    fn accuracy(&mut self, test: &Split) -> Result<f64> {
        let (w, simd) = (&self.weights, self.simd);
        let chunks: Vec<usize> = (0..test.len()).step_by(EVAL_CHUNK).collect();
        let mut correct = 0;
        // Each core classifies one chunk of test images at a time.
        for group in chunks.chunks(self.parts.len()) {
            correct += self
                .parts
                .par_iter_mut()
                .zip(group)
                .map(|(part, &start)| {
                    let end = (start + EVAL_CHUNK).min(test.len());
                    part.by_image.set_rows((start..end).map(|i| test.image(i)));
                    part.count_correct(w, &test.labels[start..end], simd)
                })
                .sum::<usize>();
        }
        Ok(100.0 * correct as f64 / test.len() as f64)
    }

    fn weights(&self) -> Result<Weights> {
        Ok(self.weights.clone())
    }

    fn describe(&self) -> String {
        format!("fused CPU ({})", self.simd.name())
    }
}

fn resize(v: &mut Vec<f32>, len: usize) {
    v.clear();
    v.resize(len, 0.0);
}

fn zeros_like(w: &Weights) -> Weights {
    let mut z = w.clone();
    for l in &mut z.layers {
        l.weight.fill(0.0);
        l.bias.fill(0.0);
    }
    z
}

/// A sparse matrix by rows: row `r`'s non-zeros are `index[start[r]..start[r+1]]` (their
/// columns) and the matching `value`s.
#[derive(Default)]
struct Sparse {
    start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f32>,
}

impl Sparse {
    /// The non-zeros of `rows`, dense rows of equal length.
    fn set_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [f32]>) {
        self.clear();
        for row in rows {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    self.index.push(j as u32);
                    self.value.push(v);
                }
            }
            self.start.push(self.index.len());
        }
    }

    /// No rows, keeping the buffers.
    fn clear(&mut self) {
        self.start.clear();
        self.index.clear();
        self.value.clear();
        self.start.push(0);
    }

    /// Rows `rows` of `all`, in that order.
    fn select_rows(&mut self, all: &Sparse, rows: &[u32]) {
        self.clear();
        for &r in rows {
            let (index, value) = all.row(r as usize);
            self.index.extend_from_slice(index);
            self.value.extend_from_slice(value);
            self.start.push(self.index.len());
        }
    }

    /// The transpose of `other`, whose rows have `cols` columns (a counting sort).
    fn transpose_of(&mut self, other: &Sparse, cols: usize) {
        self.start.clear();
        self.start.resize(cols + 1, 0);
        for &j in &other.index {
            self.start[j as usize + 1] += 1;
        }
        for j in 0..cols {
            self.start[j + 1] += self.start[j];
        }
        let mut next = self.start[..cols].to_vec();
        self.index.resize(other.index.len(), 0);
        self.value.resize(other.value.len(), 0.0);
        for r in 0..other.start.len() - 1 {
            for k in other.start[r]..other.start[r + 1] {
                let j = other.index[k] as usize;
                self.index[next[j]] = r as u32;
                self.value[next[j]] = other.value[k];
                next[j] += 1;
            }
        }
    }

    fn row(&self, r: usize) -> SparseRow<'_> {
        let range = self.start[r]..self.start[r + 1];
        (&self.index[range.clone()], &self.value[range])
    }
}

/// One row of a [`Sparse`] matrix (an image's non-zero pixels, say): columns and values.
type SparseRow<'r> = (&'r [u32], &'r [f32]);

/// A sparse matrix `a` and a dense `src`, whose product [`gather_axpy_rows_body`] adds.
type Term<'t> = (&'t Sparse, &'t [f32]);

/// `dst += scale · Σ a·src` over the `terms`, each `a` sparse, `dst` and `src` dense and
/// `width` wide: row `r` of `dst` gains `value_k · src[index_k, :]` for each non-zero of row
/// `r` of each `a`, and is loaded and stored once however many terms there are.
/// Columns go in blocks of 64, the outer loop, so that the block of `src` every row reads stays
/// in cache; within a block the 64 sums are held in registers while each non-zero adds its
/// source row.
#[inline(always)]
fn gather_axpy_rows_body<const FMA: bool>(
    dst: &mut [f32],
    terms: &[Term<'_>],
    width: usize,
    scale: f32,
) {
    let mut col = 0;
    while col < width {
        let block = if col + 64 <= width {
            64
        } else if col + 16 <= width {
            16
        } else {
            1
        };
        for (r, row) in dst.chunks_exact_mut(width).enumerate() {
            if terms.iter().all(|(a, _)| a.start[r] == a.start[r + 1]) {
                continue; // a pixel that is zero in every image of the batch
            }
            let out = &mut row[col..col + block];
            match block {
                64 => gather_block::<64, FMA>(out, r, terms, width, col, scale),
                16 => gather_block::<16, FMA>(out, r, terms, width, col, scale),
                _ => gather_block::<1, FMA>(out, r, terms, width, col, scale),
            }
        }
        col += block;
    }
}

#[inline(always)]
fn gather_block<const W: usize, const FMA: bool>(
    dst: &mut [f32],
    r: usize,
    terms: &[Term<'_>],
    width: usize,
    col: usize,
    scale: f32,
) {
    let mut acc = [0.0f32; W];
    for (a, src) in terms {
        let (index, value) = a.row(r);
        for (&i, &v) in index.iter().zip(value) {
            let row = &src[i as usize * width + col..][..W];
            for k in 0..W {
                acc[k] = multiply_add::<FMA>(v, row[k], acc[k]);
            }
        }
    }
    for k in 0..W {
        dst[k] += scale * acc[k];
    }
}

/// `out = x·W + bias`, optionally through ReLU; `x` is `b × inputs`.
fn linear(l: &LayerWeights, x: &[f32], b: usize, out: &mut Vec<f32>, relu: bool) {
    out.clear();
    for _ in 0..b {
        out.extend_from_slice(&l.bias);
    }
    // SAFETY: all three matrices are dense row-major with the dimensions passed.
    unsafe {
        gemm(
            b,
            l.outputs,
            l.inputs,
            out.as_mut_ptr(),
            1,
            l.outputs as isize,
            true,
            x.as_ptr(),
            1,
            l.inputs as isize,
            l.weight.as_ptr(),
            1,
            l.outputs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    if relu {
        out.iter_mut().for_each(|v| *v = v.max(0.0));
    }
}

/// `out = a · Wᵀ` with `a` `b × k` and `W` stored `n × k` (an `inputs × outputs` weight seen
/// from its output side): the gradient flowing back through a layer.
fn matmul_bt(a: &[f32], w: &[f32], out: &mut [f32], b: usize, k: usize, n: usize) {
    // SAFETY: dense row-major buffers of the stated sizes; Wᵀ is read through its strides.
    unsafe {
        gemm(
            b,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `layer += coef · (inputᵀ · delta)` and `bias += coef · Σ delta`: a layer's weight gradient
/// added straight into its destination (weights or pending gradient).
fn add_outer(layer: &mut LayerWeights, input: &[f32], delta: &[f32], b: usize, coef: f32) {
    let (m, n) = (layer.inputs, layer.outputs);
    // SAFETY: `input` is `b × m`, `delta` is `b × n`, the weight `m × n`, all row-major.
    unsafe {
        gemm(
            m,
            n,
            b,
            layer.weight.as_mut_ptr(),
            1,
            n as isize,
            true,
            input.as_ptr(),
            m as isize,
            1,
            delta.as_ptr(),
            1,
            n as isize,
            1.0,
            coef,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    for row in delta.chunks_exact(n) {
        axpy(&mut layer.bias, coef, row);
    }
}

/// Zeroes the gradient where the ReLU was off (written as a select, so that it vectorises).
fn relu_mask(grad: &mut [f32], activation: &[f32]) {
    for (g, &a) in grad.iter_mut().zip(activation) {
        *g = if a > 0.0 { *g } else { 0.0 };
    }
}

/// Turns logits into `scale · (softmax - onehot(label))` in place; returns the cross-entropy.
#[inline(always)]
fn softmax_grad(z: &mut [f32], label: usize, scale: f32) -> f32 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let label_logit = z[label] - max;
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let loss = sum.ln() - label_logit;
    for v in z.iter_mut() {
        *v = *v / sum * scale;
    }
    z[label] -= scale;
    loss
}

fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in z.iter().enumerate() {
        if v > z[best] {
            best = i;
        }
    }
    best
}

#[inline(always)]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Dot product with 16 independent partial sums, so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// One sample, one update, touching only the rows that matter: rows of `W1` for non-zero
/// pixels, rows of `W2` for active first-layer units, rows of `W3` for active second-layer
/// units. Returns the sample's loss, taken before the update.
#[inline(always)]
fn sample_step_body(w: &mut Weights, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
    let [l1, l2, l3] = &mut w.layers;
    let mut h1 = [0.0f32; H1];
    let mut h2 = [0.0f32; H2];
    let mut z = [0.0f32; CLASSES];
    let mut dh1 = [0.0f32; H1];
    let mut dh2 = [0.0f32; H2];

    let (pixels, values) = x;
    h1.copy_from_slice(&l1.bias);
    for (&i, &xi) in pixels.iter().zip(values) {
        let i = i as usize;
        axpy(&mut h1, xi, &l1.weight[i * H1..(i + 1) * H1]);
    }
    h2.copy_from_slice(&l2.bias);
    for i in 0..H1 {
        h1[i] = h1[i].max(0.0);
        if h1[i] > 0.0 {
            axpy(&mut h2, h1[i], &l2.weight[i * H2..(i + 1) * H2]);
        }
    }
    z.copy_from_slice(&l3.bias);
    for j in 0..H2 {
        h2[j] = h2[j].max(0.0);
        if h2[j] > 0.0 {
            axpy(&mut z, h2[j], &l3.weight[j * CLASSES..(j + 1) * CLASSES]);
        }
    }
    let loss = softmax_grad(&mut z, label, 1.0);
    let dz = z;

    // Layer 3: each row gives its unit's back-propagated gradient, then takes its update.
    for j in 0..H2 {
        if h2[j] > 0.0 {
            let row = &mut l3.weight[j * CLASSES..(j + 1) * CLASSES];
            dh2[j] = dot(row, &dz);
            axpy(row, -lr * h2[j], &dz);
        }
    }
    axpy(&mut l3.bias, -lr, &dz);
    // Layer 2, the same fused pass over the rows of active units.
    for i in 0..H1 {
        if h1[i] > 0.0 {
            let row = &mut l2.weight[i * H2..(i + 1) * H2];
            dh1[i] = dot(row, &dh2);
            axpy(row, -lr * h1[i], &dh2);
        }
    }
    axpy(&mut l2.bias, -lr, &dh2);
    // Layer 1: only rows of non-zero pixels change.
    for (&i, &xi) in pixels.iter().zip(values) {
        let i = i as usize;
        axpy(&mut l1.weight[i * H1..(i + 1) * H1], -lr * xi, &dh1);
    }
    axpy(&mut l1.bias, -lr, &dh1);
    loss
}

/// The widest vector instructions this CPU has, detected once: the per-sample step is
/// compiled for each and the best is called.
#[derive(Clone, Copy, Debug)]
enum Simd {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Baseline,
}

impl Simd {
    fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return Simd::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Simd::Avx2;
            }
        }
        Simd::Baseline
    }

    fn name(self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => "AVX-512",
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => "AVX2",
            Simd::Baseline => "baseline SIMD",
        }
    }

    fn sample_step(self, w: &mut Weights, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
        match self {
            // SAFETY: `detect` checked that the CPU has these instructions.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { sample_step_avx512(w, x, label, lr) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { sample_step_avx2(w, x, label, lr) },
            Simd::Baseline => sample_step_body(w, x, label, lr),
        }
    }
}

/// `a·b + c`, as one fused instruction where the CPU has it (Rust never fuses on its own, and
/// without the instruction `mul_add` is a slow library call).
#[inline(always)]
fn multiply_add<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

impl Simd {
    fn gather_axpy_rows(self, dst: &mut [f32], terms: &[Term<'_>], width: usize, scale: f32) {
        match self {
            // SAFETY: `detect` checked that the CPU has these instructions.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { gather_axpy_rows_avx512(dst, terms, width, scale) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { gather_axpy_rows_avx2(dst, terms, width, scale) },
            Simd::Baseline => gather_axpy_rows_body::<false>(dst, terms, width, scale),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn gather_axpy_rows_avx512(dst: &mut [f32], terms: &[Term<'_>], width: usize, scale: f32) {
    gather_axpy_rows_body::<true>(dst, terms, width, scale)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gather_axpy_rows_avx2(dst: &mut [f32], terms: &[Term<'_>], width: usize, scale: f32) {
    gather_axpy_rows_body::<true>(dst, terms, width, scale)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn sample_step_avx512(w: &mut Weights, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
    sample_step_body(w, x, label, lr)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn sample_step_avx2(w: &mut Weights, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
    sample_step_body(w, x, label, lr)
}
