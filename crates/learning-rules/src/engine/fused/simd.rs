//! Which vector instructions the kernels are compiled for, chosen once per engine.
//!
//! The hot kernels are generic bodies marked `#[inline(always)]`, instantiated inside functions
//! with `#[target_feature]` for AVX-512 and AVX2+FMA; [`Simd::detect`] picks the widest the CPU
//! has, and every call goes through one `match`. The baseline needs no special instruction.

use super::gather::{Source, Term, blocks, gather_axpy_rows_body};
use super::params::Params;
use super::sample::sample_step_body;
use super::sparse::SparseRow;

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

    /// `dst += scale · Σ a·src` over the `terms` ([`gather_axpy_rows_body`]), in blocks of
    /// columns as wide as pays for `source` with this CPU's registers.
    pub(super) fn gather_axpy_rows(
        self,
        dst: &mut [f32],
        terms: &[Term<'_>],
        width: usize,
        scale: f32,
        source: Source,
    ) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => {
                let blocks = blocks(width, source, 112);
                // SAFETY: only `detect` makes a `Simd`, after checking these instructions.
                unsafe { gather_axpy_rows_avx512(dst, terms, width, scale, &blocks) }
            }
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => {
                let blocks = blocks(width, source, 64);
                // SAFETY: as above.
                unsafe { gather_axpy_rows_avx2(dst, terms, width, scale, &blocks) }
            }
            Level::Baseline => {
                let blocks = blocks(width, source, 64);
                gather_axpy_rows_body::<false>(dst, terms, width, scale, &blocks)
            }
        }
    }
}

/// One kernel body compiled twice, for AVX-512 and for AVX2+FMA: `#[target_feature]` applies
/// to a whole function, so each level needs a function of its own around the shared body.
macro_rules! compiled_for_x86 {
    ($avx512:ident, $avx2:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $body:expr) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        fn $avx512($($arg: $ty),*) -> $ret {
            $body
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx2($($arg: $ty),*) -> $ret {
            $body
        }
    };
}

compiled_for_x86!(
    gather_axpy_rows_avx512,
    gather_axpy_rows_avx2,
    (dst: &mut [f32], terms: &[Term<'_>], width: usize, scale: f32, blocks: &[usize]) -> (),
    gather_axpy_rows_body::<true>(dst, terms, width, scale, blocks)
);

compiled_for_x86!(
    sample_step_avx512,
    sample_step_avx2,
    (w: &mut Params, x: SparseRow<'_>, label: usize, lr: f32) -> f32,
    sample_step_body(w, x, label, lr)
);
