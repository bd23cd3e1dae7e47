//! The sparse-times-dense kernel of the first layer, forward and for its weight gradient.
//!
//! Both directions are "for each non-zero, add a scaled row of a dense matrix": the forward pass
//! adds rows of `W1` selected by an image's pixels, the weight gradient adds rows of the batch's
//! `dH1` selected by a pixel's images. Columns go in blocks of 64 held in registers, so each
//! output row is loaded and stored once whatever the number of non-zeros; a pixel that is zero in
//! the whole batch is skipped (minibatch epoch 0.88 s -> 0.67 s when that was added). Measured at
//! about 5.5 multiply-adds per cycle; 16 KB tiles for L1 and 96-column blocks were tried and were
//! no faster. On a 2-core Xeon (AVX-512), where it is about a third of a minibatch epoch and each
//! non-zero's 64 columns of `W1` come from L2: prefetching the rows of the non-zeros ahead was
//! slower (minibatch epoch 0.46 s against 0.40–0.42 s), 128-column blocks and two sets of sums
//! (even and odd non-zeros) no faster, 16-column blocks with eight sets of sums four times
//! slower.

use super::sparse::Sparse;

/// A sparse matrix `a` and a dense `src`, whose product [`gather_axpy_rows_body`] adds.
pub(super) type Term<'t> = (&'t Sparse, &'t [f32]);

/// `dst += scale · Σ a·src` over the `terms`, each `a` sparse, `dst` and `src` dense and
/// `width` wide: row `r` of `dst` gains `value_k · src[index_k, :]` for each non-zero of row `r`
/// of each `a`, and is loaded and stored once however many terms there are.
/// Columns go in blocks of 64, the outer loop, so that the block of `src` every row reads stays
/// in cache; within a block the 64 sums are held in registers while each non-zero adds its
/// source row.
#[inline(always)]
pub(super) fn gather_axpy_rows_body<const FMA: bool>(
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

/// `a·b + c`, as one fused instruction where the CPU has it (Rust never fuses on its own, and
/// without the instruction `mul_add` is a slow library call).
#[inline(always)]
fn multiply_add<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}
