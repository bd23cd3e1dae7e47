//! Which vector instructions the kernels are compiled for, chosen once per engine.
//!
//! The hot kernels are generic bodies marked `#[inline(always)]`, instantiated inside functions
//! with `#[target_feature]` for AVX-512 and AVX2+FMA; [`Simd::detect`] picks the widest the CPU
//! has, and every call goes through one `match`. The baseline needs no special instruction.

use super::dense::transpose;
#[cfg(target_arch = "x86_64")]
use super::dense::transpose_avx;
use super::gather::{Term, blocks, gather_axpy_rows_body, scatter_blocks, scatter_rows_body};
use super::params::Params;
use super::sample::sample_step_body;
#[cfg(target_arch = "x86_64")]
use super::sparse::list_byte_pixels_avx512;
use super::sparse::{Sparse, SparseRow};

/// The widest vector instructions this CPU has, detected once: the per-sample step is
/// compiled for each and the best is called. Only [`Simd::detect`] makes one (the level is
/// private to this file), so no code can name instructions the CPU lacks: that is what the
/// `unsafe` calls below rely on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Simd(Level);

#[derive(Clone, Copy, Debug)]
enum Level {
    /// `avx512f`, `avx2` and `fma`: everything the AVX-512 functions below enable.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// `avx2` and `fma`.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Baseline,
}

impl Simd {
    pub(super) fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            let (avx512, avx2, fma) = (
                is_x86_feature_detected!("avx512f"),
                is_x86_feature_detected!("avx2"),
                is_x86_feature_detected!("fma"),
            );
            if avx512 && avx2 && fma {
                return Simd(Level::Avx512);
            }
            if avx2 && fma {
                return Simd(Level::Avx2);
            }
        }
        Simd(Level::Baseline)
    }

    pub(super) fn name(self) -> &'static str {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => "AVX-512",
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => "AVX2",
            Level::Baseline => "baseline SIMD",
        }
    }

    pub(super) fn sample_step(
        self,
        w: &mut Params,
        x: SparseRow<'_>,
        label: usize,
        lr: f32,
    ) -> f32 {
        match self.0 {
            // SAFETY: only `detect` makes a `Simd`, after checking these instructions.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { sample_step_avx512(w, x, label, lr) },
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => unsafe { sample_step_avx2(w, x, label, lr) },
            Level::Baseline => sample_step_body(w, x, label, lr),
        }
    }

    /// `dst += scale · Σ a·src` over the `terms` ([`gather_axpy_rows_body`]: the first layer's
    /// weight gradient), in blocks of columns as wide as pays with this CPU's registers.
    pub(super) fn gather_axpy_rows<const R: usize>(
        self,
        dst: &mut [f32],
        terms: &[Term<'_, R>],
        width: usize,
        scale: f32,
    ) {
        let blocks = blocks(width, self.widest());
        match self.0 {
            // SAFETY: only `detect` makes a `Simd`, after checking these instructions.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { gather_axpy_rows_avx512(dst, terms, width, scale, &blocks) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Level::Avx2 => unsafe { gather_axpy_rows_avx2(dst, terms, width, scale, &blocks) },
            Level::Baseline => gather_axpy_rows_body::<R, false>(dst, terms, width, scale, &blocks),
        }
    }

    /// `dst += a·src` ([`scatter_rows_body`]: the first layer forward, from the pixels listed by
    /// pixel), in blocks of columns as wide as measured best: AVX-512 48 with the pixels in
    /// pairs (`R = 2`), the others 32 with the pixels one at a time (see [`super::gather`]).
    pub(super) fn scatter_rows<const R: usize>(
        self,
        dst: &mut [f32],
        a: &Sparse<R>,
        src: &[f32],
        width: usize,
    ) {
        let widest = if self.pairs_pixels() { 48 } else { 32 };
        let blocks = scatter_blocks(width, widest);
        match self.0 {
            // SAFETY: only `detect` makes a `Simd`, after checking these instructions.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { scatter_rows_avx512(dst, a, src, width, &blocks) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Level::Avx2 => unsafe { scatter_rows_avx2(dst, a, src, width, &blocks) },
            Level::Baseline => scatter_rows_body::<R, false>(dst, a, src, width, &blocks),
        }
    }

    /// Lists the non-zero pixels of `row`, a row of bytes, into an image's lists as far as the
    /// vector instructions go ([`list_byte_pixels_avx512`]); returns how many of its pixels
    /// they went through, for the scalar loop to go on from. AVX-512 only, whose `compress`
    /// gathers a vector's non-zero lanes (figures in [`super::sparse`]); 0 otherwise.
    pub(super) fn list_byte_pixels(
        self,
        row: &[u8],
        pixel: &mut Vec<u16>,
        bytes: &mut Vec<u8>,
    ) -> usize {
        match self.0 {
            // SAFETY: only `detect` makes a `Simd`, after checking these instructions.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { list_byte_pixels_avx512(row, pixel, bytes) },
            _ => 0,
        }
    }

    /// `t = mᵀ` ([`transpose`]): in tiles of 8 × 8 turned in registers where the CPU has AVX
    /// and both dimensions are multiples of 8 (the cores' ranges of units and `H2` are).
    pub(super) fn transpose(self, m: &[f32], rows: usize, cols: usize, t: &mut [f32]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 | Level::Avx2 if rows.is_multiple_of(8) && cols.is_multiple_of(8) => {
                // SAFETY: only `detect` makes a `Simd`, after checking for AVX2 (which implies
                // AVX) or more.
                unsafe { transpose_avx(m, rows, cols, t) }
            }
            _ => transpose(m, rows, cols, t),
        }
    }

    /// Whether the first layer's weight gradient takes its pixels in pairs, each row of `dH1` it
    /// loads added into two rows of `W1` ([`super::gather`]): with AVX-512 only, whose 32
    /// registers hold two rows' sums in blocks of 112 columns. Measured on a 2-core AMD EPYC
    /// (Zen 4) with each level's kernels, 208 units, 600 real shuffled batches of 100, best of 5:
    /// AVX-512 0.052 s an epoch one pixel at a time, 0.044 s in pairs; AVX2 0.061 s and 0.083 s
    /// (its 16 registers hold two rows' sums in blocks of 16; wider, the sums spill and it takes
    /// 0.10–0.81 s); the baseline 0.123 s and 0.187 s.
    pub(super) fn pairs_pixels(self) -> bool {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => true,
            _ => false,
        }
    }

    /// The most sums a block of columns of [`blocks`] may hold in registers (for each row of a
    /// group), for the weight gradient, as measured. AVX-512: 112 (seven of its 32 registers), in
    /// [`super::gather`]'s docs; in pairs of pixels too (fourteen registers for two rows: 208
    /// units in 96 + 112 columns 0.044 s an epoch, as in 64 + 64 + 80, against 0.047–0.057 s
    /// in 64s). AVX2, whose 16 registers hold 8 sums each: 112 (14 registers), the fewest
    /// blocks winning there too. Measured with the AVX2 kernels on the 2-core Xeon (no
    /// AVX2-only machine was at hand), real shuffled batches, seconds per epoch:
    ///
    /// | units | 64s | fewest blocks |
    /// |---:|---:|---:|
    /// | 192 | 0.074–0.085 | 0.071–0.075 (96 + 96) |
    /// | 208 | 0.095–0.100 | 0.077–0.081 (96 + 112) |
    /// | 400, 1 thread | 0.205–0.211 | 0.175–0.183 (112 + 96×3) |
    ///
    /// ("64s": blocks of 64 and a last one of 16.) The baseline's registers hold 4 sums: 64.
    fn widest(self) -> usize {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 | Level::Avx2 => 112,
            Level::Baseline => 64,
        }
    }
}

#[cfg(test)]
impl Simd {
    /// Every level this CPU has, not only the one [`Simd::detect`] picks: on a machine with
    /// AVX-512 the AVX2 kernels run in the tests too.
    pub(super) fn every_level() -> Vec<Simd> {
        #[allow(unused_mut)]
        let mut levels = vec![Simd(Level::Baseline)];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                levels.push(Simd(Level::Avx2));
            }
            if matches!(Simd::detect().0, Level::Avx512) {
                levels.push(Simd(Level::Avx512));
            }
        }
        levels
    }
}

/// One kernel body compiled twice, for AVX-512 and for AVX2+FMA: `#[target_feature]` applies
/// to a whole function, so each level needs a function of its own around the shared body.
macro_rules! compiled_for_x86 {
    (
        $avx512:ident, $avx2:ident, [$($generic:tt)*],
        ($($arg:ident: $ty:ty),*) -> $ret:ty, $body:expr
    ) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        fn $avx512<$($generic)*>($($arg: $ty),*) -> $ret {
            $body
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx2<$($generic)*>($($arg: $ty),*) -> $ret {
            $body
        }
    };
}

compiled_for_x86!(
    gather_axpy_rows_avx512,
    gather_axpy_rows_avx2,
    [const R: usize],
    (dst: &mut [f32], terms: &[Term<'_, R>], width: usize, scale: f32, blocks: &[usize]) -> (),
    gather_axpy_rows_body::<R, true>(dst, terms, width, scale, blocks)
);

compiled_for_x86!(
    scatter_rows_avx512,
    scatter_rows_avx2,
    [const R: usize],
    (dst: &mut [f32], a: &Sparse<R>, src: &[f32], width: usize, blocks: &[usize]) -> (),
    scatter_rows_body::<R, true>(dst, a, src, width, blocks)
);

compiled_for_x86!(
    sample_step_avx512,
    sample_step_avx2,
    [],
    (w: &mut Params, x: SparseRow<'_>, label: usize, lr: f32) -> f32,
    sample_step_body(w, x, label, lr)
);

#[cfg(test)]
mod tests {
    use super::super::sparse::{Images, Sparse};
    use super::*;

    #[test]
    fn every_level_transposes() {
        for (rows, cols) in [(8, 8), (16, 24), (208, 256), (17, 5)] {
            let m: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            for simd in Simd::every_level() {
                let mut t = vec![f32::NAN; rows * cols];
                simd.transpose(&m, rows, cols, &mut t);
                for (r, c) in (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))) {
                    let name = simd.name();
                    assert_eq!(t[c * rows + r], m[r * cols + c], "{name}, {rows} × {cols}");
                }
            }
        }
    }

    /// Each level's kernels, in the blocks they pick for the widths the cores' panels take, with
    /// the rows one at a time or in pairs, add what a plain loop adds in the same order, to the
    /// bit (fused multiply-adds where the level has them): the gradient's over several terms,
    /// the forward pass's (by pixel) as each image's sum over its pixels.
    #[test]
    fn every_level_gathers_as_the_plain_loop() {
        let value = |i: usize| ((i * 7919 % 263) as f32 - 131.0) / 97.0;
        let dense = |rows: usize, cols: usize, seed: usize| -> Vec<f32> {
            (0..rows * cols)
                .map(|i| {
                    if (i + seed).is_multiple_of(3) {
                        value(i + seed)
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let (rows, cols) = (6, 10);
        let dense = [dense(rows, cols, 0), dense(rows, cols, 1)];
        // Two sparse matrices, their rows one at a time and in pairs.
        let a = dense
            .each_ref()
            .map(|d| Sparse::<1>::from_dense(d, rows, cols));
        let pairs = dense
            .each_ref()
            .map(|d| Sparse::<2>::from_dense(d, rows, cols));
        // The first matrix's rows as images, their pixels listed by pixel, one at a time and in
        // pairs.
        let mut images = Images::default();
        images.set_rows(dense[0].chunks_exact(cols));
        let (mut by_pixel, mut by_pixel_pair) = (Sparse::<1>::default(), Sparse::<2>::default());
        by_pixel.transpose_of(images.all(), cols);
        by_pixel_pair.transpose_of(images.all(), cols);
        // Row `r` of matrix `t`'s non-zeros, in order.
        let row = |t: usize, r: usize| {
            let d = &dense[t];
            (0..cols)
                .map(move |k| (k, d[r * cols + k]))
                .filter(|&(_, v)| v != 0.0)
        };
        for width in [1, 17, 112, 192, 208, 400] {
            let src: Vec<Vec<f32>> = (0..2)
                .map(|t| (0..cols * width).map(|i| value(i + 7 * t)).collect())
                .collect();
            let start: Vec<f32> = (0..rows * width).map(|i| value(i + 5)).collect();
            let terms: Vec<Term<'_, 1>> = a.iter().zip(&src).map(|(a, s)| (a, &s[..])).collect();
            let paired: Vec<Term<'_, 2>> =
                pairs.iter().zip(&src).map(|(a, s)| (a, &s[..])).collect();
            for simd in Simd::every_level() {
                let fma = !matches!(simd.0, Level::Baseline);
                let mut expected = start.clone();
                for (r, out) in expected.chunks_exact_mut(width).enumerate() {
                    for (c, out) in out.iter_mut().enumerate() {
                        let mut acc = 0.0f32;
                        for (t, src) in src.iter().enumerate() {
                            for (i, v) in row(t, r) {
                                let s = src[i * width + c];
                                acc = if fma { v.mul_add(s, acc) } else { v * s + acc };
                            }
                        }
                        *out += 0.5 * acc;
                    }
                }
                let mut dst = start.clone();
                simd.gather_axpy_rows(&mut dst, &terms, width, 0.5);
                assert!(dst == expected, "{}, width {width}", simd.name());
                let mut dst = start.clone();
                simd.gather_axpy_rows(&mut dst, &paired, width, 0.5);
                assert!(dst == expected, "{}, width {width}, in pairs", simd.name());
                // Forward: the first term's rows as images, by pixel.
                let mut expected = vec![0.0; rows * width];
                for (r, out) in expected.chunks_exact_mut(width).enumerate() {
                    for (c, out) in out.iter_mut().enumerate() {
                        for (i, v) in row(0, r) {
                            let s = src[0][i * width + c];
                            *out = if fma {
                                v.mul_add(s, *out)
                            } else {
                                v * s + *out
                            };
                        }
                    }
                }
                let mut dst = vec![0.0; rows * width];
                simd.scatter_rows(&mut dst, &by_pixel, &src[0], width);
                assert!(dst == expected, "{}, width {width}, forward", simd.name());
                let mut dst = vec![0.0; rows * width];
                simd.scatter_rows(&mut dst, &by_pixel_pair, &src[0], width);
                assert!(
                    dst == expected,
                    "{}, width {width}, forward in pairs",
                    simd.name()
                );
            }
        }
    }
}
