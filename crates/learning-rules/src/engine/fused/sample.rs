//! One sample, one update: the per-sample rule (24c) without a tensor in sight.
//!
//! Through burn-flex a per-sample update is dozens of tiny tensor operations and costs about
//! 850 µs, almost all overhead (measured: shared/notes, burn-evcxr-plotters.md, section 1). Here
//! it is one pass over the weight rows the sample touches: the ≈ 19 % of pixels that are non-zero
//! select rows of `W1`, the active ReLU units select rows of `W2` and `W3`, and each row gives its
//! back-propagated gradient and takes its update in the same pass. About 40 µs per update
//! (`learning-rules bench`: 2.4 s per 60,000 updates).

use super::dense::{axpy, dot, softmax_grad};
use super::sparse::SparseRow;
use super::{H1, H2};
use crate::data::CLASSES;
use crate::model::Weights;

/// One sample, one update, touching only the rows that matter: rows of `W1` for non-zero
/// pixels, rows of `W2` for active first-layer units, rows of `W3` for active second-layer
/// units. Returns the sample's loss, taken before the update.
#[inline(always)]
pub(super) fn sample_step_body(w: &mut Weights, x: SparseRow<'_>, label: usize, lr: f32) -> f32 {
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
    for (i, a) in h1.iter_mut().enumerate() {
        *a = a.max(0.0);
        if *a > 0.0 {
            axpy(&mut h2, *a, &l2.weight[i * H2..(i + 1) * H2]);
        }
    }
    z.copy_from_slice(&l3.bias);
    for (j, a) in h2.iter_mut().enumerate() {
        *a = a.max(0.0);
        if *a > 0.0 {
            axpy(&mut z, *a, &l3.weight[j * CLASSES..(j + 1) * CLASSES]);
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
