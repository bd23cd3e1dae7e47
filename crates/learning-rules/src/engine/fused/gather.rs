//! The sparse-times-dense kernels of the first layer, forward and for its weight gradient.
//!
//! Both read the batch's non-zero pixels listed by pixel (see the end of these notes for the
//! forward pass). The weight gradient is "for each non-zero, add a scaled row of a dense
//! matrix": each row of `W1`'s gradient adds the rows of the batch's `dH1` that its pixel's
//! images select ([`gather_axpy_rows_body`]). Until the last entry below, the forward pass was
//! the same kernel the other way round, adding to each image's row of `H1` the rows of `W1` its
//! pixels select; the notes up to there are about that kernel. Columns go in blocks whose sums
//! are held in registers, so each output row is loaded and stored once whatever the number of
//! non-zeros; a pixel that is zero in the whole batch is skipped (minibatch epoch 0.88 s ->
//! 0.67 s when that was added).
//! Measured at about 5.5 multiply-adds per cycle with blocks of 64; 16 KB tiles for L1 were
//! tried and were no faster. On a 2-core Xeon (AVX-512), where it is about a third of a
//! minibatch epoch and each non-zero's 64 columns of `W1` come from L2: prefetching the rows of
//! the non-zeros ahead was slower (minibatch epoch 0.46 s against 0.40–0.42 s), 128-column
//! blocks over all 400 columns and two sets of sums (even and odd non-zeros) no faster, 16-column
//! blocks with eight sets of sums four times slower. Since each core takes a panel of 192 or
//! 208 units, the widths followed the direction: a lone block of 16 at a panel's end
//! cost 2.5–3.5 times as much per column as a block of 64, and the gradient, whose source stays
//! in L1, gains from blocks up to 112 wide (minibatch epoch on 2 cores 0.33–0.35 s -> 0.29–0.31
//! s).
//!
//! Tried on the 2-core AMD EPYC (Zen 1, AVX2, 32 KB of L1 a core), each kernel alone on an
//! epoch of real batches, in the order a pass runs them (after an update has written `W1`), and
//! not kept:
//! - forward, tiles of `W1`'s rows that fit L1 (128 rows of a block of 64 columns), each row's
//!   sums stored between tiles (the same sums to the bit): one core's 208 units 0.224 s an epoch
//!   against 0.220–0.222 s untiled, 192 units 0.196–0.197 s against 0.197–0.199 s, one thread's
//!   400 units 0.423–0.430 s against 0.444–0.449 s. (With `W1` still in cache from the run
//!   before, tiles looked 16 % faster: a measurement to distrust.)
//! - for the gradient, blocks of 64 and 80 in place of 96 and 112: 208 units in 64 + 64 + 80
//!   0.266 s against 0.263 s, 192 in 64s 0.198 s against 0.193 s, 400 in 80s 0.394–0.396 s
//!   against 0.412 s (each order of the cuts taken in turn, batch by batch).
//!
//! Two threads gain nothing from either; one thread about 0.04 s of a 2.2 s epoch (2 %), not
//! worth a second kernel.
//!
//! Also tried there, on the forward pass, and not kept:
//! - two images at a time, each block of a `W1` row read once for both (the union of
//!   their pixels, a zero where one of them has none). Two images share about half their
//!   pixels, so that is 1.5 times the multiply-adds for three quarters of the reads: 208 units
//!   0.29–0.34 s an epoch against 0.22–0.24 s, in blocks of 32 or 48 columns (as many sums as
//!   16 registers hold). The kernel is bound by its multiply-adds as much as by L2.
//! - asking for each non-zero's block of `W1` eight non-zeros ahead (`_mm_prefetch`).
//!   Alone, with `W1` unchanged from batch to batch, 208 units took 0.199–0.213 s against
//!   0.223–0.239 s (2, 4, 12 and 16 ahead no better). Inside training, timed call by call with
//!   the two kernels taking turns batch by batch (about 0.25 s an epoch on each core): one
//!   thread 1–12 % faster, two threads 1.5–3.5 % faster for minibatch and 3–6 % slower for
//!   the per-epoch rule, about 1 % of an epoch either way. Asking ahead for the gradient's
//!   destination rows changed nothing (0.33 s for 400 units either way).
//!
//! And, on 2026-12-06 too, not kept:
//! - a dense core through `gemm`: the 128 pixels most often non-zero in the training set (in
//!   51 % of its images or more; about half of an image's non-zeros), with their rows of `W1`
//!   first, as a dense product forward and for the gradient, and the other pixels as above.
//!   `gemm` does 35 GFLOP/s on that block, this kernel 16.5 on the non-zeros, so a pixel pays
//!   through `gemm` from a density of 47 %; these 128 average 60 %. One core's 208 units alone:
//!   forward 0.221–0.226 s an epoch → 0.194–0.202 s, gradient 0.197–0.198 s → 0.191–0.195 s
//!   (64, 96, 160 or 192 pixels no better): about 2 % of an epoch, for a second layout of `W1`
//!   and sums in another order than burn's.
//! - the gradient over 200 or 400 rows at a time (the per-epoch rule could sum several batches
//!   before adding into its pending gradient): 208 units 0.203 s and 0.222 s against 0.197 s
//!   for 100 rows, each block of `dH1` being read from further out.
//!
//! On a 2-core AMD EPYC of the Zen 4 generation (AVX-512 on 256-bit units, 32 KB of L1 and 1 MB
//! of L2 a core), 2026-12-06, each kernel alone on an epoch of real shuffled batches (one core's
//! 208 units, best of 5), where both run at about 50 GFLOP/s a core and `gemm` at about 100;
//! not kept either:
//! - forward, tiles of 32, 64, 96 or 128 rows of `W1`: 0.080–0.105 s against 0.075 s untiled;
//! - two images (forward) or two pixels (gradient) at a time, each with sums of its own, so that
//!   twice as many multiply-adds are in flight (the same sums to the bit): forward 0.073 s
//!   against 0.075 s, gradient 0.072 s against 0.069 s, so neither waits on their latency;
//! - for the gradient, blocks of 80 + 64 + 64 (a block of `dH1` for 100 rows fits L1) in place of
//!   96 + 112: 0.067 s against 0.070 s, under 1 % of an epoch.
//!
//! Kept, from a second session on that Zen 4 (AVX-512 only: see `Simd::pairs_pixels`): the
//! gradient takes its pixels in pairs of neighbours ([`Sparse`] with `R = 2`), each row of `dH1`
//! it loads added into both rows of `W1`, whose sums it holds in registers together (a zero
//! where one of the two pixels is zero in that image). The two pixels of a pair are mostly
//! non-zero in the same images: the pairs list 1.17 times as many entries as single pixels, so
//! the kernel loads 59 % as many rows for 117 % of the multiply-adds. Each kernel alone, 600
//! real shuffled batches of 100, each batch one share of 100 rows (the bench above had other
//! data), best of 5: one core's 208 units 0.052 s an epoch → 0.044 s, 192 units 0.047 s →
//! 0.040 s; listing the batch's pixels in pairs costs what listing them one by
//! one did (0.021 s against 0.022 s an epoch, once a new pair is counted without a branch).
//! Tried beside it and not kept:
//! - four pixels at a time: 1.48 times the entries, 0.063 s;
//! - the forward pass by pairs of images: two random images share about half their pixels
//!   (1.53 times the entries), 208 units 0.074 s → 0.064 s (four images 0.075 s: twice the
//!   multiply-adds, half of them on zeros). But the pairs are made by merging two images'
//!   lists, 0.020 s an epoch where copying them took 0.002 s, and 0.052 s against 0.014 s with
//!   the training set's lists read from memory at random, as in training: more than it saves.
//!
//! Then the forward pass by pixel ([`scatter_rows_body`]), in the lists the gradient reads: for
//! each pixel (or pair of pixels) its block of `W1`'s columns is loaded into registers once a
//! batch, and added into the row of `H1` of each image that has the pixel, which stays in L1.
//! Where each non-zero's block of `W1` came from L2 before, each now costs a load and a store in
//! L1; in pairs, one for two pixels. Each sum still runs over an image's pixels in order, so
//! `H1` is the same to the bit. The batch's pixels no longer need listing by image as well (a
//! copy of each image's list out of the training set's). Each kernel alone, 600 real shuffled
//! batches of 100 rows, 208 units, a batch's `H1` from its pixels (best of 4): AVX-512 0.102–
//! 0.104 s an epoch by image, 0.061–0.063 s by pairs of pixels in blocks of 48 (0.065 s in 32s,
//! 0.088–0.093 s in 64s, 0.24–0.26 s in 80s); AVX2 0.105–0.108 s by image, 0.098–0.102 s by
//! pixel in 32s (0.116–0.120 s in 16s), 0.076–0.079 s by pairs in 16s (not used: AVX2's
//! gradient takes pixels one at a time, see `Simd::pairs_pixels`). In training, on the 2-core
//! Zen 4, each core's forward pass took about 0.007–0.010 s an epoch less (0.067 s against
//! 0.074 s for 208 units, 0.055 s against 0.066 s for 192: 208 takes a fifth pass, of 16
//! columns), and listing each share's pixels by pixel straight from the training set's lists,
//! with each image's list asked for one image ahead (`Sparse::transpose_of`), about 0.005 s more
//! than copying them out first and listing the copy. Minibatch epochs, the two builds
//! taking turns (15 epochs each): lower quartile 0.354 → 0.344 s, median 0.378 → 0.355 s; the
//! per-epoch rule unchanged (0.338 → 0.337 s, 9 epochs each). On one thread, as the class
//! set-up runs each kernel (`RAYON_NUM_THREADS=1`): minibatch 0.640 → 0.608 s, per-epoch 0.623
//! → 0.583 s (lower quartiles, 15 and 12 epochs).

use super::sparse::Sparse;

/// A sparse matrix `a`, its rows grouped by `R`, and a dense `src`, whose product
/// [`gather_axpy_rows_body`] adds.
pub(super) type Term<'t, const R: usize> = (&'t Sparse<R>, &'t [f32]);

/// The widths of the blocks of columns that a `width`-wide gradient takes in turn, when the
/// registers hold at most `widest` sums for each row of a group (`Simd::widest`). Above 64, the
/// fewest blocks (a block of `dH1` for the whole batch stays in L1; on a 2-core Xeon, AVX-512,
/// real batches, seconds per epoch: 192 units in 96 + 96 0.052–0.060 s, against 0.060–0.065 in
/// 64s; 208 in 96 + 112 0.056–0.059 s, against 0.077–0.079); otherwise blocks of 64 and the
/// rest. Whole vectors of 16 first; columns beyond them one by one.
pub(super) fn blocks(width: usize, widest: usize) -> Vec<usize> {
    let vectors = width / 16;
    let blocks: Vec<usize> = if widest > 64 {
        let n = vectors.div_ceil(widest / 16);
        (0..n)
            .map(|i| 16 * (vectors * (i + 1) / n - vectors * i / n))
            .collect()
    } else {
        let mut blocks = vec![64; vectors / 4];
        if !vectors.is_multiple_of(4) {
            blocks.push(16 * (vectors % 4));
        }
        blocks
    };
    // A block of 48 as 32 + 16: this kernel compiled for 48 columns is several times slower a
    // column than for 32 and 64 (not analysed further; [`scatter_columns`] is not). A panel of
    // 112 units, as the fourth of four cores has, took 0.16–0.17 s an epoch forward in 64 + 48
    // against 0.062–0.064 s in 64 + 32 + 16, with AVX2 and AVX-512 alike, on the Zen 4 EPYC.
    let mut blocks: Vec<usize> = (blocks.into_iter())
        .flat_map(|b| if b == 48 { vec![32, 16] } else { vec![b] })
        .collect();
    blocks.extend(std::iter::repeat_n(1, width % 16));
    blocks
}

/// The widths of the blocks of columns that a `width`-wide forward pass ([`scatter_rows_body`])
/// takes in turn: as many of `widest` as fit, the rest's whole vectors of 16 in one block, its
/// last columns one by one.
pub(super) fn scatter_blocks(width: usize, widest: usize) -> Vec<usize> {
    let mut blocks = vec![widest; width / widest];
    let rest = width % widest;
    if rest >= 16 {
        blocks.push(rest / 16 * 16);
    }
    blocks.extend(std::iter::repeat_n(1, rest % 16));
    blocks
}

/// `dst += scale · Σ a·src` over the `terms`, each `a` sparse with its rows in groups of `R`,
/// `dst` and `src` dense and `width` wide: row `r` of `dst` gains `value_k · src[index_k, :]`
/// for each non-zero of row `r` of each `a`, and is loaded and stored once however many terms
/// there are.
/// Columns go in the `blocks` of [`blocks`], the outer loop, so that the block of `src` every
/// row reads stays in cache; within a block the sums of a group's `R` rows are held in
/// registers while each of the group's entries adds its source row to all `R`, loaded once.
/// A row's sum runs over its non-zeros in the same order whatever the blocks and whatever `R`;
/// the zeros a group lists for the rows that lack an entry add nothing, as long as `src` is
/// finite (`0 · ∞` would be NaN).
#[inline(always)]
pub(super) fn gather_axpy_rows_body<const R: usize, const FMA: bool>(
    dst: &mut [f32],
    terms: &[Term<'_, R>],
    width: usize,
    scale: f32,
    blocks: &[usize],
) {
    let mut col = 0;
    for &block in blocks {
        let dst = &mut *dst;
        match block {
            16 => gather_columns::<16, R, FMA>(dst, terms, width, col, scale),
            32 => gather_columns::<32, R, FMA>(dst, terms, width, col, scale),
            64 => gather_columns::<64, R, FMA>(dst, terms, width, col, scale),
            80 => gather_columns::<80, R, FMA>(dst, terms, width, col, scale),
            96 => gather_columns::<96, R, FMA>(dst, terms, width, col, scale),
            112 => gather_columns::<112, R, FMA>(dst, terms, width, col, scale),
            _ => {
                for c in col..col + block {
                    gather_columns::<1, R, FMA>(dst, terms, width, c, scale);
                }
            }
        }
        col += block;
    }
}

/// One block of columns of [`gather_axpy_rows_body`]: `W` columns from `col`, every row.
#[inline(always)]
fn gather_columns<const W: usize, const R: usize, const FMA: bool>(
    dst: &mut [f32],
    terms: &[Term<'_, R>],
    width: usize,
    col: usize,
    scale: f32,
) {
    for (g, rows) in dst.chunks_mut(R * width).enumerate() {
        if terms.iter().all(|(a, _)| a.group(g).0.is_empty()) {
            continue; // pixels that are zero in every image of the batch
        }
        let mut acc = [[0.0f32; W]; R];
        for (a, src) in terms {
            let (index, value) = a.group(g);
            for (&i, v) in index.iter().zip(value) {
                let from = &src[i as usize * width + col..][..W];
                for (acc, &v) in acc.iter_mut().zip(v) {
                    for k in 0..W {
                        acc[k] = multiply_add::<FMA>(v, from[k], acc[k]);
                    }
                }
            }
        }
        for (row, acc) in rows.chunks_exact_mut(width).zip(&acc) {
            let row = &mut row[col..col + W];
            for k in 0..W {
                row[k] += scale * acc[k];
            }
        }
    }
}

/// `dst += a·src`, `a` sparse with its rows (the batch's pixels) in groups of `R` listing the
/// rows of `dst` (images) where they are non-zero, `src` and `dst` dense and `width` wide, `dst`
/// written where `a` lists it: the first layer forward, `H1 = X·W1`, from the pixels listed by
/// pixel and `dst` zero. Columns go in the `blocks` of [`scatter_blocks`], the outer loop; within
/// a block, each group's `R` rows of `src` are held in registers while they are added into the
/// row of `dst` of each of its entries. A row of `dst` gains its terms in the order of the
/// groups, and within a group in the order of its rows: ascending pixels, as an image's own list
/// has them, so the sums are those of [`gather_axpy_rows_body`] over the images' lists, to the
/// bit (the zeros a group lists for a pixel an image lacks add nothing, `src` being finite).
#[inline(always)]
pub(super) fn scatter_rows_body<const R: usize, const FMA: bool>(
    dst: &mut [f32],
    a: &Sparse<R>,
    src: &[f32],
    width: usize,
    blocks: &[usize],
) {
    let mut col = 0;
    for &block in blocks {
        match block {
            16 => scatter_columns::<16, R, FMA>(dst, a, src, width, col),
            32 => scatter_columns::<32, R, FMA>(dst, a, src, width, col),
            48 => scatter_columns::<48, R, FMA>(dst, a, src, width, col),
            _ => {
                for c in col..col + block {
                    scatter_columns::<1, R, FMA>(dst, a, src, width, c);
                }
            }
        }
        col += block;
    }
}

/// One block of columns of [`scatter_rows_body`]: `W` columns from `col`.
#[inline(always)]
fn scatter_columns<const W: usize, const R: usize, const FMA: bool>(
    dst: &mut [f32],
    a: &Sparse<R>,
    src: &[f32],
    width: usize,
    col: usize,
) {
    for g in 0..a.groups() {
        let (index, value) = a.group(g);
        if index.is_empty() {
            continue; // pixels that are zero in every image of the batch
        }
        let mut from = [[0.0f32; W]; R];
        for (s, from) in from.iter_mut().enumerate() {
            from.copy_from_slice(&src[(g * R + s) * width + col..][..W]);
        }
        for (&i, v) in index.iter().zip(value) {
            let row = &mut dst[i as usize * width + col..][..W];
            for (from, &v) in from.iter().zip(v) {
                for k in 0..W {
                    row[k] = multiply_add::<FMA>(v, from[k], row[k]);
                }
            }
        }
    }
}

/// `a·b + c`, as one fused instruction where the CPU has it (Rust never fuses on its own, and
/// without the instruction `mul_add` is a slow library call).
#[inline(always)]
fn multiply_add<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

#[cfg(test)]
mod tests {
    use super::super::sparse::Images;
    use super::*;

    #[test]
    fn blocks_cover_the_width_as_measured_best() {
        assert_eq!(blocks(208, 112), [96, 112]);
        assert_eq!(blocks(192, 112), [96, 96]);
        assert_eq!(blocks(400, 112), [96, 96, 96, 112]);
        // At most 64 (the baseline): blocks of 64 and the rest, never a block of 48.
        assert_eq!(blocks(208, 64), [64, 64, 64, 16]);
        assert_eq!(blocks(112, 64), [64, 32, 16]);
        assert_eq!(blocks(40, 112), [32, 1, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(scatter_blocks(208, 48), [48, 48, 48, 48, 16]);
        assert_eq!(
            scatter_blocks(400, 48),
            [48, 48, 48, 48, 48, 48, 48, 48, 16]
        );
        assert_eq!(scatter_blocks(208, 32), [32, 32, 32, 32, 32, 32, 16]);
        assert_eq!(scatter_blocks(41, 48), [32, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        for width in 0..=420 {
            for widest in [64, 112] {
                let b = blocks(width, widest);
                assert_eq!(b.iter().sum::<usize>(), width);
                assert!(b.iter().all(|&w| w <= widest && (w == 1 || w % 16 == 0)));
                assert!(!b.contains(&48), "width {width}: {b:?}");
            }
            for widest in [32, 48] {
                let b = scatter_blocks(width, widest);
                assert_eq!(b.iter().sum::<usize>(), width);
                assert!(b.iter().all(|&w| w <= widest && (w == 1 || w % 16 == 0)));
            }
        }
    }

    /// Every block width and every grouping of the rows gives the plain sum, to the bit: each
    /// sum runs over the non-zeros in the same order however the columns are cut, and the zeros
    /// of a group add nothing.
    #[test]
    fn every_cut_of_the_columns_adds_the_same() {
        let value = |i: usize| ((i * 7919 % 263) as f32 - 131.0) / 97.0;
        // 5 rows of 7 columns with zeros in them, and a row with none.
        let dense: Vec<f32> = (0..35)
            .map(|i| {
                if i % 3 == 0 || (14..21).contains(&i) {
                    0.0
                } else {
                    value(i)
                }
            })
            .collect();
        // The rows one at a time and in pairs (the last pair made up with a row of zeros).
        let a = Sparse::<1>::from_dense(&dense, 5, 7);
        let pairs = Sparse::<2>::from_dense(&dense, 5, 7);
        for width in 1..=130 {
            let src: Vec<f32> = (0..7 * width).map(|i| value(i + 11)).collect();
            let start: Vec<f32> = (0..5 * width).map(|i| value(i + 5)).collect();
            let mut expected = start.clone();
            for (r, out) in expected.chunks_exact_mut(width).enumerate() {
                for (c, out) in out.iter_mut().enumerate() {
                    let mut acc = 0.0f32;
                    for (k, &x) in dense[r * 7..(r + 1) * 7].iter().enumerate() {
                        if x != 0.0 {
                            acc += x * src[k * width + c];
                        }
                    }
                    *out += 0.5 * acc;
                }
            }
            for widest in [64, 112] {
                let b = blocks(width, widest);
                let mut dst = [start.clone(), start.clone()];
                gather_axpy_rows_body::<1, false>(&mut dst[0], &[(&a, &src)], width, 0.5, &b);
                gather_axpy_rows_body::<2, false>(&mut dst[1], &[(&pairs, &src)], width, 0.5, &b);
                for (dst, r) in dst.iter().zip([1, 2]) {
                    assert!(
                        *dst == expected,
                        "width {width}, blocks {b:?}, groups of {r}"
                    );
                }
            }
        }
    }

    /// The forward pass by pixel gives each image's row the sum over its own pixels, in order,
    /// to the bit, in every cut of the columns and with the pixels one at a time or in pairs
    /// (the last pair made up with a column of zeros).
    #[test]
    fn the_forward_by_pixel_adds_what_the_images_lists_add() {
        let value = |i: usize| ((i * 7919 % 263) as f32 - 131.0) / 97.0;
        // 5 images of 7 pixels with zeros in them, and an image with none.
        let (images, pixels) = (5, 7);
        let dense: Vec<f32> = (0..images * pixels)
            .map(|i| {
                if i % 3 == 0 || (14..21).contains(&i) {
                    0.0
                } else {
                    value(i)
                }
            })
            .collect();
        // The images' pixels listed by pixel, one at a time and in pairs (the last pair made up
        // with a pixel that is zero in every image).
        let mut all = Images::default();
        all.set_rows(dense.chunks_exact(pixels));
        let (mut by_pixel, mut pairs) = (Sparse::default(), Sparse::<2>::default());
        by_pixel.transpose_of(all.all(), pixels);
        pairs.transpose_of(all.all(), 8);
        for width in 1..=130 {
            let src: Vec<f32> = (0..8 * width).map(|i| value(i + 11)).collect();
            let mut expected = vec![0.0; images * width];
            for (r, out) in expected.chunks_exact_mut(width).enumerate() {
                for (c, out) in out.iter_mut().enumerate() {
                    for (k, &x) in dense[r * pixels..(r + 1) * pixels].iter().enumerate() {
                        if x != 0.0 {
                            *out += x * src[k * width + c];
                        }
                    }
                }
            }
            for widest in [32, 48] {
                let b = scatter_blocks(width, widest);
                let mut dst = [vec![0.0; images * width], vec![0.0; images * width]];
                scatter_rows_body::<1, false>(&mut dst[0], &by_pixel, &src, width, &b);
                scatter_rows_body::<2, false>(&mut dst[1], &pairs, &src, width, &b);
                for (dst, r) in dst.iter().zip([1, 2]) {
                    assert!(
                        *dst == expected,
                        "width {width}, blocks {b:?}, groups of {r}"
                    );
                }
            }
        }
    }
}
