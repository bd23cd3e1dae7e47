//! The network's weights as the engine keeps them: in aligned buffers, and `W1` in panels of
//! hidden units, one panel per core.
//!
//! Each core takes a range of the first layer's units, for the whole batch: their columns of
//! `W1` forward, their gradient back, their columns' update. Stored row by row, as [`Weights`]
//! has it, a core's columns are a strip of every row; stored here one range after another (all
//! 784 rows of the first range's columns, then the next), each core reads and writes a block of
//! memory no other core touches. When two cores each read all of `W1` and each updated half, half
//! of it moved between their caches at every batch: about 7 % of a minibatch epoch on a 2-core
//! Xeon, measured by writing the update elsewhere.

use std::ops::Range;

use super::aligned::AlignedVec;
use super::{H1, H2};
use crate::data::IMAGE_PIXELS;
use crate::model::{LayerWeights, Weights};

/// The fewest units a core takes: a panel narrower than four vectors of 16 loses more in its
/// kernels than another core gains.
const MIN_UNITS_PER_CORE: usize = 64;

/// One layer: [`LayerWeights`] in aligned buffers.
#[derive(Clone)]
pub(super) struct Layer {
    pub(super) weight: AlignedVec,
    pub(super) bias: AlignedVec,
}

/// The network as the engine trains it.
#[derive(Clone)]
pub(in crate::engine) struct Params {
    /// The three layers; the first one's weight in panels, as `units` says.
    pub(super) layers: [Layer; 3],
    /// The first layer's units, in as many ranges as cores take them; `W1` holds, for each
    /// range in turn, its columns of every row.
    pub(super) units: Vec<Range<usize>>,
}

/// The first layer's 400 units in `cores` ranges (fewer if the ranges would be narrower than
/// [`MIN_UNITS_PER_CORE`]), each a whole number of 16-float vectors so that no cache line is
/// shared.
///
/// Two cores take 192 and 208 units, so one waits for the other in the meetings by units. An
/// even 200 + 200 was tried on the 2-core Zen 4 EPYC, each panel ending in a block of 8 columns,
/// and not kept: the same weights, but each block is one more pass over the batch's lists, and
/// the backward meeting took 0.18–0.19 s an epoch a core against 0.16–0.17 s (minibatch lower
/// quartile 0.333 → 0.352 s); with 200 as 96 + 104 columns for the gradient and 48 × 3 + 56
/// forward, slower still (0.21 s).
pub(super) fn unit_ranges(cores: usize) -> Vec<Range<usize>> {
    let vectors = H1 / 16;
    let n = cores.clamp(1, H1 / MIN_UNITS_PER_CORE);
    (0..n)
        .map(|k| 16 * (vectors * k / n)..16 * (vectors * (k + 1) / n))
        .collect()
}

/// Range `u`'s panel of `buffer`, which holds `rows` rows of every range of units, one range
/// after another (ranges start at unit 0 and follow each other, so `u`'s panel starts after
/// `rows · u.start` values).
pub(super) fn panel<'b>(buffer: &'b [f32], rows: usize, u: &Range<usize>) -> &'b [f32] {
    &buffer[rows * u.start..rows * u.end]
}

/// Rows `first..` of `buffer`, which holds `rows` rows laid out in the ranges `units`, written
/// row by row (400 units a row) into `out`, as many as it holds.
pub(super) fn rows_from_panels(
    out: &mut [f32],
    buffer: &[f32],
    rows: usize,
    first: usize,
    units: &[Range<usize>],
) {
    for u in units {
        let values = panel(buffer, rows, u)[first * u.len()..].chunks_exact(u.len());
        for (row, values) in out.chunks_exact_mut(H1).zip(values) {
            row[u.clone()].copy_from_slice(values);
        }
    }
}

/// `buffer` cut into the [`panel`]s of `units`, each one writable.
pub(super) fn panels_mut<'b>(
    buffer: &'b mut [f32],
    rows: usize,
    units: &[Range<usize>],
) -> Vec<&'b mut [f32]> {
    let mut rest = buffer;
    units
        .iter()
        .map(|u| {
            let (panel, tail) = std::mem::take(&mut rest).split_at_mut(rows * u.len());
            rest = tail;
            panel
        })
        .collect()
}

impl Params {
    /// `w` for an engine whose first layer is taken by `cores` cores.
    pub(super) fn new(w: &Weights, cores: usize) -> Params {
        let units = unit_ranges(cores);
        let [l1, l2, l3] = &w.layers;
        let mut w1 = AlignedVec::default();
        w1.set_zeros(l1.weight.len());
        for (u, panel) in units.iter().zip(panels_mut(&mut w1, IMAGE_PIXELS, &units)) {
            for (out, row) in panel
                .chunks_exact_mut(u.len())
                .zip(l1.weight.chunks_exact(H1))
            {
                out.copy_from_slice(&row[u.clone()]);
            }
        }
        let layer = |weight: AlignedVec, l: &LayerWeights| Layer {
            weight,
            bias: l.bias[..].into(),
        };
        Params {
            layers: [
                layer(w1, l1),
                layer(l2.weight[..].into(), l2),
                layer(l3.weight[..].into(), l3),
            ],
            units,
        }
    }

    /// `W1` laid out again for `cores` cores, if it is not already: a copy, made only when a
    /// learner changes rule (the per-sample step runs on one core, batches on all of them).
    pub(super) fn split_first_layer(&mut self, cores: usize) {
        if unit_ranges(cores) != self.units {
            *self = Params::new(&self.to_weights(), cores);
        }
    }

    /// The plain [`Weights`], `W1` row by row again.
    pub(in crate::engine) fn to_weights(&self) -> Weights {
        let mut w1 = vec![0.0; IMAGE_PIXELS * H1];
        rows_from_panels(
            &mut w1,
            &self.layers[0].weight,
            IMAGE_PIXELS,
            0,
            &self.units,
        );
        let [a, b, c, d] = crate::model::LAYER_SIZES;
        let layer = |inputs, outputs, weight: Vec<f32>, l: &Layer| LayerWeights {
            inputs,
            outputs,
            weight,
            bias: l.bias.to_vec(),
        };
        let [l1, l2, l3] = &self.layers;
        Weights {
            layers: [
                layer(a, b, w1, l1),
                layer(b, c, l2.weight.to_vec(), l2),
                layer(c, d, l3.weight.to_vec(), l3),
            ],
        }
    }

    /// Zeros in this network's shape: where a gradient is summed.
    pub(super) fn zeros_like(&self) -> Params {
        let mut z = self.clone();
        for l in &mut z.layers {
            l.weight.fill(0.0);
            l.bias.fill(0.0);
        }
        z
    }

    /// The parameters each core updates: for each range of units, its panel of `W1`, its
    /// entries of `b1` and its rows of `W2`; the first, whose range is the narrowest, also takes
    /// `W3`, `b2` and `b3`.
    pub(super) fn by_units(&mut self) -> Vec<Units<'_>> {
        let [l1, l2, l3] = &mut self.layers;
        let units = &self.units;
        let w1 = panels_mut(&mut l1.weight, IMAGE_PIXELS, units);
        let b1 = panels_mut(&mut l1.bias, 1, units);
        let w2 = panels_mut(&mut l2.weight, H2, units);
        let mut rest = Some(Rest {
            b2: &mut l2.bias,
            w3: &mut l3.weight,
            b3: &mut l3.bias,
        });
        w1.into_iter()
            .zip(b1)
            .zip(w2)
            .enumerate()
            .map(|(k, ((w1, b1), w2))| Units {
                w1,
                b1,
                w2,
                rest: if k == 0 { rest.take() } else { None },
            })
            .collect()
    }
}

/// What one core updates (see [`Params::by_units`]).
pub(super) struct Units<'w> {
    pub(super) w1: &'w mut [f32],
    pub(super) b1: &'w mut [f32],
    pub(super) w2: &'w mut [f32],
    pub(super) rest: Option<Rest<'w>>,
}

/// `W3` and the last two biases: small, so one core takes them all.
pub(super) struct Rest<'w> {
    pub(super) b2: &'w mut [f32],
    pub(super) w3: &'w mut [f32],
    pub(super) b3: &'w mut [f32],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_split_on_vector_boundaries_and_weights_read_back_unchanged() {
        assert_eq!(unit_ranges(1), vec![0..400]);
        assert_eq!(unit_ranges(2), vec![0..192, 192..400]);
        assert_eq!(unit_ranges(16).len(), 6);
        assert!(
            unit_ranges(16)
                .iter()
                .all(|u| u.len() >= 64 && u.start % 16 == 0)
        );
        let w = Weights::init(3);
        for cores in [1, 2, 3, 16] {
            let p = Params::new(&w, cores);
            for l in &p.layers {
                assert_eq!(l.weight.as_ptr() as usize % 64, 0);
                assert_eq!(l.bias.as_ptr() as usize % 64, 0);
            }
            assert!(p.to_weights() == w, "{cores} cores");
        }
        // Row 5 of W1, units 192..400, is the second panel's row 5.
        let p = Params::new(&w, 2);
        let second = panel(&p.layers[0].weight, IMAGE_PIXELS, &p.units[1]);
        assert_eq!(
            &second[5 * 208..6 * 208],
            &w.layers[0].weight[5 * 400 + 192..6 * 400]
        );
    }
}
