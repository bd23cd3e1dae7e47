//! Dense kernels: the two small layers through `gemm`, and the element-wise steps between them.
//!
//! `W2` (400 × 256) and `W3` (256 × 10) are dense and the batch's activations too, so `gemm`
//! (the crate burn-flex uses) does them; a layer's weight gradient is added straight into its
//! destination (`beta = 1`), never stored on its own. `gemm` re-packs `W2` on every call: with
//! its set-up, 9 % of a minibatch epoch in `perf record` on a 2-core Xeon (5 % on the AMD
//! machine). A hand-written AVX-512 product that reads `W2` in place was tried instead for the
//! forward pass and the gradient, and was slower (minibatch epoch 0.51 s against 0.46 s): without
//! the packed copy, `W2`'s blocks come from L2 once per four rows of the batch.

use gemm::{Parallelism, gemm};

/// `out += x·W`, `x` being `b × k` and `W` `k × n`: a layer's forward pass, `out` holding its
/// bias.
pub(super) fn add_matmul(out: &mut [f32], x: &[f32], w: &[f32], b: usize, k: usize, n: usize) {
    assert_eq!(x.len(), b * k);
    assert_eq!(w.len(), k * n);
    assert_eq!(out.len(), b * n);
    // SAFETY: all three matrices are dense row-major with the dimensions passed. The lengths are
    // checked above (in release builds too: three comparisons per call cost nothing measurable).
    unsafe {
        gemm(
            b,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Every row of `out` set to `row`: a layer's bias, before its product is added.
pub(super) fn fill_rows(out: &mut [f32], row: &[f32]) {
    for out in out.chunks_exact_mut(row.len()) {
        out.copy_from_slice(row);
    }
}

/// ReLU in place.
pub(super) fn relu(v: &mut [f32]) {
    v.iter_mut().for_each(|v| *v = v.max(0.0));
}

/// `out = a · Wᵀ` with `a` `b × k` and `W` stored `n × k` (an `inputs × outputs` weight seen
/// from its output side): the gradient flowing back through a layer.
pub(super) fn matmul_bt(a: &[f32], w: &[f32], out: &mut [f32], b: usize, k: usize, n: usize) {
    assert_eq!(a.len(), b * k);
    assert_eq!(w.len(), n * k);
    assert_eq!(out.len(), b * n);
    // SAFETY: dense row-major buffers of the sizes checked above; Wᵀ is read through its strides.
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

/// `w += coef · (inputᵀ · delta)` for an `inputs × outputs` weight, `input` being `b × inputs`
/// and `delta` `b × outputs`: a layer's weight gradient (or a range of its rows') added straight
/// into its destination, weights or pending gradient.
pub(super) fn add_outer(w: &mut [f32], input: &[f32], delta: &[f32], b: usize, coef: f32) {
    let (inputs, outputs) = (input.len() / b, delta.len() / b);
    assert_eq!(input.len(), b * inputs);
    assert_eq!(delta.len(), b * outputs);
    assert_eq!(w.len(), inputs * outputs);
    // SAFETY: `input` is `b × inputs`, `delta` is `b × outputs` and `w` `inputs × outputs`, all
    // row-major (checked above).
    unsafe {
        gemm(
            inputs,
            outputs,
            b,
            w.as_mut_ptr(),
            1,
            outputs as isize,
            true,
            input.as_ptr(),
            inputs as isize,
            1,
            delta.as_ptr(),
            1,
            outputs as isize,
            1.0,
            coef,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `bias += coef · Σ delta`, over the rows of `delta`: a bias's gradient.
pub(super) fn add_bias(bias: &mut [f32], delta: &[f32], coef: f32) {
    for row in delta.chunks_exact(bias.len()) {
        axpy(bias, coef, row);
    }
}

/// Zeroes the gradient where the ReLU was off (written as a select, so that it vectorises).
pub(super) fn relu_mask(grad: &mut [f32], activation: &[f32]) {
    for (g, &a) in grad.iter_mut().zip(activation) {
        *g = if a > 0.0 { *g } else { 0.0 };
    }
}

/// Turns logits into `scale · (softmax - onehot(label))` in place; returns the cross-entropy.
#[inline(always)]
pub(super) fn softmax_grad(z: &mut [f32], label: usize, scale: f32) -> f32 {
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

pub(super) fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in z.iter().enumerate() {
        if v > z[best] {
            best = i;
        }
    }
    best
}

#[inline(always)]
pub(super) fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Dot product with 16 independent partial sums, so that it vectorises.
#[inline(always)]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
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
