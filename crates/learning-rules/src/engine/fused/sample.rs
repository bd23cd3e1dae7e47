//! One sample, one update: the per-sample rule (24c) without a tensor in sight.
//!
//! Through burn-flex a per-sample update is dozens of tiny tensor operations, and their fixed
//! costs, not the arithmetic, make up almost all of its time. Here it is one pass over the
//! weight rows the sample touches: the ≈ 19 % of pixels that are non-zero select rows of `W1`,
//! the active ReLU units select rows of `W2` and `W3`, and each row gives its back-propagated
//! gradient and takes its update in the same pass. `learning-rules bench --rules per-sample`
//! measures the cost of an update here, and with `--engine burn` through burn; the top-level
//! README's Performance section gives both, with the machine they were measured on.

use super::dense::{axpy, dot, softmax_grad};
use super::params::Params;
use super::sparse::SparseRow;
use super::{H1, H2};
use crate::data::CLASSES;

/// One sample, one update, touching only the rows that matter: rows of `W1` for non-zero
/// pixels, rows of `W2` for active first-layer units, rows of `W3` for active second-layer
/// units. Returns the sample's loss, taken before the update. `W1` must be in one panel (rows
/// of 400 units): the step runs on one core.
#[inline(always)]
pub(super) fn sample_step_body(w: &mut Params, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
    assert_eq!(
        w.units.len(),
        1,
        "the per-sample step reads W1 as one panel"
    );
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
    relu_then_forward(&mut h1, &l2.weight, &l2.bias, &mut h2);
    relu_then_forward(&mut h2, &l3.weight, &l3.bias, &mut z);
    let loss = softmax_grad(&mut z, label, 1.0);
    let dz = z;

    // Layers 3 then 2, each row's backward pass fused with its update (layer 2 needs dh2).
    backward_and_update(&mut l3.weight, &mut l3.bias, &h2, &dz, &mut dh2, lr);
    backward_and_update(&mut l2.weight, &mut l2.bias, &h1, &dh2, &mut dh1, lr);
    // Layer 1: only rows of non-zero pixels change.
    for (&i, &xi) in pixels.iter().zip(values) {
        let i = i as usize;
        axpy(&mut l1.weight[i * H1..(i + 1) * H1], -lr * xi, &dh1);
    }
    axpy(&mut l1.bias, -lr, &dh1);
    loss
}

/// ReLU on `h` in place, then `out = bias + Σ h[i] · row i` over the active units only: a
/// dense layer's forward pass that skips the rows of zeros.
#[inline(always)]
fn relu_then_forward(h: &mut [f32], weight: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (a, row) in h.iter_mut().zip(weight.chunks_exact(out.len())) {
        *a = a.max(0.0);
        if *a > 0.0 {
            axpy(out, *a, row);
        }
    }
}

/// A dense layer's backward pass fused with its update, over the rows of active units: row j
/// gives its unit's back-propagated gradient `dh[j] = row · dz` (before it changes), then takes
/// `row -= lr · h[j] · dz`. Inactive units keep `dh[j] = 0`.
#[inline(always)]
fn backward_and_update(
    weight: &mut [f32],
    bias: &mut [f32],
    h: &[f32],
    dz: &[f32],
    dh: &mut [f32],
    lr: f32,
) {
    for ((row, &a), g) in weight.chunks_exact_mut(dz.len()).zip(h).zip(dh) {
        if a > 0.0 {
            *g = dot(row, dz);
            axpy(row, -lr * a, dz);
        }
    }
    axpy(bias, -lr, dz);
}
