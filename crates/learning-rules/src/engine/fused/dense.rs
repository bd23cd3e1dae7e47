//! Dense kernels: the two small layers through `gemm`, and the element-wise steps between them.
//!
//! `W2` (400 × 256) and `W3` (256 × 10) are dense and the batch's activations too, so `gemm`
//! (the crate burn-flex uses) does them; a layer's weight gradient is added straight into its
//! destination (`beta = 1`), never stored on its own.
//!
//! How `gemm` reads `W2` matters most. By default it copies a wide product's left operand into
//! packed panels at every call: 9 % of a minibatch epoch in `perf record` on a 2-core Xeon (5 %
//! on the AMD machine). A hand-written AVX-512 product that reads `W2` in place was tried
//! instead for the forward pass and the gradient, and was slower (minibatch epoch 0.51 s against
//! 0.46 s): without the packed copy, `W2`'s blocks come from L2 once per four rows of the batch.
//! What pays instead, measured on a 2-core AMD EPYC (Zen 4), one core's share of an epoch (208
//! units, 600 batches of 100 with the update of its rows of `W2` between them, best of 5 or 7):
//! - `dH1 = dH2·W2ᵀ` reads `W2` across its rows, which `gemm` packs slowly. Each core first
//!   writes its rows of `W2` transposed ([`transpose_avx`]) and `gemm` reads that copy as it
//!   is ([`matmul`]): 0.082 s → 0.070 s with the copy made in scalar tiles, and 0.059 s with
//!   AVX and the next point (the copy 0.003 s of it).
//! - `gemm` reads the left operands where they are ([`read_operands_in_place`]), since they
//!   are already laid out as its kernels read them: forward 0.058 s → 0.053 s, `W2`'s gradient
//!   0.059 s → 0.058 s, `dH1` 0.0725 s → 0.0695 s.

use std::sync::Once;

use gemm::{Parallelism, gemm};

/// Tells `gemm` never to copy a product's left operand (after its own transposition: `W2` in the
/// forward pass, each core's `W2` transposed for `dH1`, `dH2` for `W2`'s gradient) into packed
/// panels only because the product is wide, as it does from 48 columns with one thread: these
/// products are 50 to 208 wide, use each panel once, and their operands are already laid out
/// as the kernels read them (measured in the module's docs). The setting is the process's
/// (burn-flex calls `gemm` too); it changes where `gemm` reads, not what it sums: the same
/// weights to the bit.
pub(super) fn read_operands_in_place() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| gemm::set_lhs_packing_threshold_single_thread(256));
}

/// `out += x·W`, `x` being `b × k` and `W` `k × n`: a layer's forward pass, `out` holding its
/// bias.
pub(super) fn add_matmul(out: &mut [f32], x: &[f32], w: &[f32], b: usize, k: usize, n: usize) {
    matmul(out, x, w, b, k, n, true);
}

/// `out = x·W` (or `out += x·W` if `add`), `x` being `b × k` and `W` `k × n`, all row-major.
pub(super) fn matmul(
    out: &mut [f32],
    x: &[f32],
    w: &[f32],
    b: usize,
    k: usize,
    n: usize,
    add: bool,
) {
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
            add,
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

/// `v = ReLU(v + bias)`, row by row (rows as wide as `bias`).
pub(super) fn add_bias_relu(v: &mut [f32], bias: &[f32]) {
    for row in v.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v = (*v + b).max(0.0);
        }
    }
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

/// `t = mᵀ`, `m` being `rows × cols` and both row-major, in tiles of 16 × 16 so that the rows
/// of both stay in L1 while a tile is copied: for the CPUs without AVX ([`transpose_avx`]).
pub(super) fn transpose(m: &[f32], rows: usize, cols: usize, t: &mut [f32]) {
    assert_eq!(m.len(), rows * cols);
    assert_eq!(t.len(), rows * cols);
    const TILE: usize = 16;
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            let (r1, c1) = ((r0 + TILE).min(rows), (c0 + TILE).min(cols));
            for r in r0..r1 {
                let from = &m[r * cols + c0..r * cols + c1];
                for (c, &v) in (c0..c1).zip(from) {
                    t[c * rows + r] = v;
                }
            }
        }
    }
}

/// [`transpose`] in tiles of 8 × 8, each turned in eight AVX registers (the classic sequence
/// of unpacks, shuffles and lane swaps). For `dH1`, on the Zen 4 EPYC with the update of
/// `W2`'s rows between batches, one core's 208 units: 0.0027 s an epoch, against 0.010 s in
/// scalar tiles of 16.
///
/// # Safety
/// The CPU has AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
pub(super) unsafe fn transpose_avx(m: &[f32], rows: usize, cols: usize, t: &mut [f32]) {
    use std::arch::x86_64::{
        _mm256_loadu_ps, _mm256_permute2f128_ps, _mm256_shuffle_ps, _mm256_storeu_ps,
        _mm256_unpackhi_ps, _mm256_unpacklo_ps,
    };
    assert_eq!(m.len(), rows * cols);
    assert_eq!(t.len(), rows * cols);
    assert!(rows.is_multiple_of(8) && cols.is_multiple_of(8));
    for r0 in (0..rows).step_by(8) {
        for c0 in (0..cols).step_by(8) {
            // SAFETY: rows r0..r0 + 8 and columns c0..c0 + 8 lie inside `m`, and the same
            // columns and rows inside `t`: both dimensions are multiples of 8 (checked above).
            unsafe {
                let from = m.as_ptr().add(r0 * cols + c0);
                let r: [_; 8] = std::array::from_fn(|i| _mm256_loadu_ps(from.add(i * cols)));
                let u = [
                    _mm256_unpacklo_ps(r[0], r[1]),
                    _mm256_unpackhi_ps(r[0], r[1]),
                    _mm256_unpacklo_ps(r[2], r[3]),
                    _mm256_unpackhi_ps(r[2], r[3]),
                    _mm256_unpacklo_ps(r[4], r[5]),
                    _mm256_unpackhi_ps(r[4], r[5]),
                    _mm256_unpacklo_ps(r[6], r[7]),
                    _mm256_unpackhi_ps(r[6], r[7]),
                ];
                let s = [
                    _mm256_shuffle_ps::<0x44>(u[0], u[2]),
                    _mm256_shuffle_ps::<0xEE>(u[0], u[2]),
                    _mm256_shuffle_ps::<0x44>(u[1], u[3]),
                    _mm256_shuffle_ps::<0xEE>(u[1], u[3]),
                    _mm256_shuffle_ps::<0x44>(u[4], u[6]),
                    _mm256_shuffle_ps::<0xEE>(u[4], u[6]),
                    _mm256_shuffle_ps::<0x44>(u[5], u[7]),
                    _mm256_shuffle_ps::<0xEE>(u[5], u[7]),
                ];
                let to = t.as_mut_ptr().add(c0 * rows + r0);
                for j in 0..4 {
                    let low = _mm256_permute2f128_ps::<0x20>(s[j], s[j + 4]);
                    let high = _mm256_permute2f128_ps::<0x31>(s[j], s[j + 4]);
                    _mm256_storeu_ps(to.add(j * rows), low);
                    _mm256_storeu_ps(to.add((j + 4) * rows), high);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_swaps_rows_and_columns() {
        for (rows, cols) in [(1, 1), (3, 40), (17, 16), (208, 256)] {
            let m: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let mut t = vec![f32::NAN; rows * cols];
            transpose(&m, rows, cols, &mut t);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        t[c * rows + r],
                        m[r * cols + c],
                        "{rows} × {cols}: ({r}, {c})"
                    );
                }
            }
        }
    }

    /// Through the transposed copy, `gemm` sums in the same order: the same `dH1` to the bit.
    #[test]
    fn the_product_through_the_transpose_is_the_same() {
        let value = |i: usize| ((i * 7919 % 263) as f32 - 131.0) / 97.0;
        let (b, k, n) = (100, 256, 208);
        let a: Vec<f32> = (0..b * k).map(value).collect();
        let w: Vec<f32> = (0..n * k).map(|i| value(i + 3)).collect();
        let (mut direct, mut via) = (vec![0.0; b * n], vec![0.0; b * n]);
        let mut wt = vec![0.0; n * k];
        matmul_bt(&a, &w, &mut direct, b, k, n);
        transpose(&w, n, k, &mut wt);
        matmul(&mut via, &a, &wt, b, k, n, false);
        assert!(via == direct);
    }
}
