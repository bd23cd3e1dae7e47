//! The training images' non-zero pixels, kept as sparse rows; a batch's transpose (by pixel),
//! for the first layer's kernels.
//!
//! An MNIST image is about 81 % zero pixels. The first layer, three quarters of the network's
//! arithmetic, only needs the rows of `W1` whose pixel is non-zero, so every kernel of the fused
//! engine reads images in this form. The training set's rows are listed once, when a learner is
//! built, not at every batch: scanning 784 pixels per image per batch was about 8 % of a
//! minibatch epoch in `perf record`. The test set's are listed at each evaluation.
//!
//! Each non-zero takes 3 bytes ([`Images`]): its pixel's number, and its value as the byte the
//! loaders scaled to [0, 1]. The training set's lists take 27 MB, where they took 72 MB with a
//! `u32` and an `f32` for each: each kernel of a class takes 50 MB less at its peak (a minibatch
//! run of the CLI 318 → 267 MB), and a batch's 100 lists of 8 cache lines, not 19, come from the
//! last-level cache (32 MB on the 2-core Zen 4 EPYC) more often than from memory. There,
//! listing a share's pixels (the pass's first meeting) took 0.028–0.029 s an epoch a core, and
//! 0.023–0.025 s after; the two builds taking turns, lower quartiles: minibatch 0.340 → 0.334 s
//! (30 epochs each; in two more runs of 24, 0.3396 → 0.3309 s and 0.3490 → 0.3378 s),
//! per-epoch 0.324 → 0.320 s (18 each). The per-sample rule, which copies its image out of the
//! lists, 0.984 → 0.995 s (24 each; medians 1.011 → 1.010 s).
//!
//! Listing goes 16 pixels at a time with AVX-512 ([`list_byte_pixels_avx512`]), each value
//! checked to be a byte's: the 60,000 training images' 9.0 M non-zeros in 0.013–0.014 s where
//! the scalar loop takes 0.074–0.075 s (best of 15, three runs), so that building a learner
//! (`Learner::new`) takes 0.024–0.031 s instead of 0.093–0.096 s, and an evaluation of the
//! 10,000 test images 0.0385 s instead of 0.0508 s (medians of 24 epochs, the two builds taking
//! turns). The scalar loop, for other CPUs, branches on each pixel being zero and is about
//! 8 ns a non-zero; branch-free versions of it were slower (0.089–0.10 s).
//!
//! The transpose may take its rows in groups ([`Sparse::transpose_of`] with `R = 2`: pairs of
//! neighbouring pixels), so that the weight gradient's kernel in [`super::gather`] adds each
//! row of `dH1` it loads into two rows of `W1`: see there why that pays.

use super::simd::Simd;

/// Images' non-zero pixels, image by image: for each, its pixel's number and its value, the
/// value as a byte `b` standing for `b / 255` where every value is one (MNIST's pixels, as the
/// loaders scale them), as it is otherwise (images changed after loading, say).
#[derive(Default)]
pub(super) struct Images {
    start: Vec<usize>,
    pixel: Vec<u16>,
    value: Values,
}

enum Values {
    Bytes(Vec<u8>),
    Floats(Vec<f32>),
}

impl Default for Values {
    fn default() -> Values {
        Values::Bytes(Vec::new())
    }
}

/// `b / 255` for each byte `b`: the pixel values the loaders make.
static BYTE_VALUES: [f32; 256] = {
    let mut values = [0.0; 256];
    let mut b = 0;
    while b < 256 {
        values[b] = b as f32 / 255.0;
        b += 1;
    }
    values
};

/// The value byte `b` stands for.
fn byte_value(b: u8) -> f32 {
    BYTE_VALUES[usize::from(b)]
}

impl Values {
    /// `v` added: as a byte while every value is one, otherwise all of them as they are.
    #[inline(always)]
    fn push(&mut self, v: f32) {
        match self {
            Values::Bytes(bytes) => {
                // The nearest byte (`as` truncates, and takes a negative value or NaN to 0,
                // whose value is not `v`).
                let b = (v * 255.0 + 0.5) as usize;
                if b < 256 && BYTE_VALUES[b] == v {
                    bytes.push(b as u8);
                } else {
                    let mut floats: Vec<f32> = bytes.iter().copied().map(byte_value).collect();
                    floats.push(v);
                    *self = Values::Floats(floats);
                }
            }
            Values::Floats(floats) => floats.push(v),
        }
    }
}

/// [`Images::set_rows`]'s loop for a row whose values are bytes, 16 pixels at a time: the
/// non-zeros' pixel numbers and bytes appended to `pixel` and `bytes`, up to the row's last
/// whole 16 pixels or to the first 16 with a value that is not a byte's (one that `b / 255`,
/// divided as for [`BYTE_VALUES`], does not give back). Returns how many of the row's pixels it
/// went through.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn list_byte_pixels_avx512(
    row: &[f32],
    pixel: &mut Vec<u16>,
    bytes: &mut Vec<u8>,
) -> usize {
    use std::arch::x86_64::*;
    let first_16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let (scale, half, zero) = (
        _mm512_set1_ps(255.0),
        _mm512_set1_ps(0.5),
        _mm512_setzero_ps(),
    );
    let (no_byte, last_byte) = (_mm512_setzero_si512(), _mm512_set1_epi32(255));
    // Room for every pixel of the row, so that each block of 16 can be stored whole.
    pixel.reserve(row.len());
    bytes.reserve(row.len());
    let mut j = 0;
    for v in row.chunks_exact(16) {
        // SAFETY: `v` holds 16 values.
        let v = unsafe { _mm512_loadu_ps(v.as_ptr()) };
        // NaN is not zero here either.
        let non_zero = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(v, zero);
        if non_zero != 0 {
            // The nearest byte as the scalar loop takes it (NaN and negative values to 0).
            let b = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_mul_ps(v, scale), half));
            let b = _mm512_min_epi32(_mm512_max_epi32(b, no_byte), last_byte);
            let value = _mm512_div_ps(_mm512_cvtepi32_ps(b), scale);
            if _mm512_mask_cmp_ps_mask::<_CMP_EQ_OQ>(non_zero, value, v) != non_zero {
                return j;
            }
            let numbers = _mm512_add_epi32(first_16, _mm512_set1_epi32(j as i32));
            let kept = non_zero.count_ones() as usize;
            // SAFETY: both have room for 16 more (at most `j` of the row's pixels are listed
            // and `j + 16` is within the row), of which the first `kept` are written.
            unsafe {
                let to = pixel.as_mut_ptr().add(pixel.len()).cast();
                _mm256_storeu_si256(
                    to,
                    _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(non_zero, numbers)),
                );
                let to = bytes.as_mut_ptr().add(bytes.len()).cast();
                _mm_storeu_si128(
                    to,
                    _mm512_cvtepi32_epi8(_mm512_maskz_compress_epi32(non_zero, b)),
                );
                pixel.set_len(pixel.len() + kept);
                bytes.set_len(bytes.len() + kept);
            }
        }
        j += 16;
    }
    j
}

/// Some of the images of an [`Images`], in a given order, as a transpose reads them
/// ([`Images::all`], [`Images::pick`]).
#[derive(Clone, Copy)]
pub(super) struct Picked<'a> {
    images: &'a Images,
    pick: Option<&'a [u32]>,
}

impl Images {
    /// The non-zeros of `rows`, dense rows of at most 65,536 columns.
    pub(super) fn set_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [f32]>, simd: Simd) {
        self.start.clear();
        self.start.push(0);
        self.pixel.clear();
        self.value = Values::default();
        for row in rows {
            assert!(
                row.len() <= 1 << 16,
                "rows of {} pixels: pixels are numbered in 16 bits",
                row.len()
            );
            // The vector instructions list as much of the row as they can (all of an MNIST
            // image's, with AVX-512), the loop the rest.
            let listed = match &mut self.value {
                Values::Bytes(bytes) => simd.list_byte_pixels(row, &mut self.pixel, bytes),
                Values::Floats(_) => 0,
            };
            for (j, &v) in row.iter().enumerate().skip(listed) {
                if v != 0.0 {
                    self.pixel.push(j as u16);
                    self.value.push(v);
                }
            }
            self.start.push(self.pixel.len());
        }
    }

    /// How many images.
    pub(super) fn len(&self) -> usize {
        self.start.len() - 1
    }

    /// Every image, in order.
    pub(super) fn all(&self) -> Picked<'_> {
        Picked {
            images: self,
            pick: None,
        }
    }

    /// The images `pick` names, in its order (a batch's, read where the training set's lists
    /// are rather than copied out of them).
    pub(super) fn pick<'a>(&'a self, pick: &'a [u32]) -> Picked<'a> {
        Picked {
            images: self,
            pick: Some(pick),
        }
    }

    /// Image `r`.
    pub(super) fn image(&self, r: usize) -> Image<'_> {
        self.all().image(r)
    }
}

/// One image's non-zero pixels (ascending) and their values.
#[derive(Clone, Copy)]
pub(super) struct Image<'a> {
    pixels: &'a [u16],
    values: ImageValues<'a>,
}

#[derive(Clone, Copy)]
enum ImageValues<'a> {
    Bytes(&'a [u8]),
    Floats(&'a [f32]),
}

/// An image's non-zero pixels and their values, as the per-sample step reads them
/// ([`Image::copy_to`]).
pub(super) type SparseRow<'r> = (&'r [u32], &'r [f32]);

impl Image<'_> {
    /// The image's pixels and values written over `row`'s, as the per-sample step reads them
    /// (decoded once, not in each of its two passes over them).
    pub(super) fn copy_to(self, row: &mut (Vec<u32>, Vec<f32>)) {
        row.0.clear();
        row.0.extend(self.pixels.iter().map(|&j| u32::from(j)));
        row.1.clear();
        match self.values {
            ImageValues::Bytes(bytes) => {
                row.1.extend(bytes.iter().copied().map(byte_value));
            }
            ImageValues::Floats(floats) => row.1.extend_from_slice(floats),
        }
    }

    /// `f(pixel, value)` for each non-zero, in order.
    #[inline(always)]
    fn for_each(self, mut f: impl FnMut(usize, f32)) {
        match self.values {
            ImageValues::Bytes(bytes) => {
                for (&j, &b) in self.pixels.iter().zip(bytes) {
                    f(usize::from(j), byte_value(b));
                }
            }
            ImageValues::Floats(floats) => {
                for (&j, &v) in self.pixels.iter().zip(floats) {
                    f(usize::from(j), v);
                }
            }
        }
    }
}

impl<'a> Picked<'a> {
    /// How many images.
    pub(super) fn len(&self) -> usize {
        self.pick.map_or(self.images.len(), <[u32]>::len)
    }

    /// Where image `r` (of those picked) lies in the lists.
    fn range(&self, r: usize) -> std::ops::Range<usize> {
        let i = self.pick.map_or(r, |pick| pick[r] as usize);
        self.images.start[i]..self.images.start[i + 1]
    }

    /// Image `r` (of those picked).
    #[inline(always)]
    fn image(&self, r: usize) -> Image<'a> {
        let range = self.range(r);
        Image {
            pixels: &self.images.pixel[range.clone()],
            values: match &self.images.value {
                Values::Bytes(bytes) => ImageValues::Bytes(&bytes[range]),
                Values::Floats(floats) => ImageValues::Floats(&floats[range]),
            },
        }
    }

    /// Asks for image `r`'s pixels and values to be brought into cache, without waiting for
    /// them.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    fn prefetch(&self, r: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            fn lines<T>(items: &[T]) {
                for at in (0..items.len()).step_by(64 / size_of::<T>()) {
                    // SAFETY: SSE, which every x86-64 CPU has; a prefetch never faults.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(items[at..].as_ptr().cast()) };
                }
            }
            let image = self.image(r);
            lines(image.pixels);
            match image.values {
                ImageValues::Bytes(bytes) => lines(bytes),
                ImageValues::Floats(floats) => lines(floats),
            }
        }
    }
}

/// A sparse matrix whose rows come in groups of `R`: group `g` lists the columns where any of
/// rows `g·R .. g·R + R` is non-zero (`index[start[g]..start[g+1]]`, ascending), each with the
/// `R` rows' values there, zero for a row that has none. With `R = 1`, a plain sparse matrix
/// by rows.
#[derive(Default)]
pub(super) struct Sparse<const R: usize = 1> {
    start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<[f32; R]>,
}

impl<const R: usize> Sparse<R> {
    /// How many groups of rows.
    pub(super) fn groups(&self) -> usize {
        self.start.len() - 1
    }

    /// Group `g`'s columns and values.
    #[inline(always)]
    pub(super) fn group(&self, g: usize) -> (&[u32], &[[f32; R]]) {
        let range = self.start[g]..self.start[g + 1];
        (&self.index[range.clone()], &self.value[range])
    }

    /// The transpose of `other`, whose rows have `cols` columns (a multiple of `R`), its rows
    /// grouped by `R`: group `q` lists the images of `other` non-zero in any of its pixels
    /// `q·R .. q·R + R`. A counting sort: one pass to count each group's images, one to place
    /// them.
    pub(super) fn transpose_of(&mut self, other: Picked<'_>, cols: usize) {
        assert!(cols.is_multiple_of(R), "{cols} columns in groups of {R}");
        let groups = cols / R;
        let rows = other.len();
        self.start.clear();
        self.start.resize(groups + 1, 0);
        // A row's columns ascend, so its entries in one group follow each other: a new group
        // starts where the group changes (counted without a branch, which would be mispredicted
        // half the time).
        for r in 0..rows {
            // The next row asked for now: a batch's images, read where the training set's lists
            // are, were otherwise waited for (in training, 0.045 s an epoch a core against
            // 0.030 s).
            if r + 1 < rows {
                other.prefetch(r + 1);
            }
            let mut last = usize::MAX;
            for &j in other.image(r).pixels {
                let q = usize::from(j) / R;
                self.start[q + 1] += usize::from(q != last);
                last = q;
            }
        }
        for q in 0..groups {
            self.start[q + 1] += self.start[q];
        }
        let mut next = self.start[..groups].to_vec();
        let entries = self.start[groups];
        self.index.clear();
        self.index.resize(entries, 0);
        self.value.clear();
        self.value.resize(entries, [0.0; R]);
        for r in 0..rows {
            let (mut last, mut at) = (usize::MAX, 0);
            other.image(r).for_each(|j, v| {
                let q = j / R;
                let new = q != last;
                let place = next[q];
                next[q] = place + usize::from(new);
                at = if new { place } else { at };
                self.index[at] = r as u32;
                self.value[at][j % R] = v;
                last = q;
            });
        }
    }
}

/// For the kernels' tests: `dense`'s `rows` rows (of `cols` columns) in groups of `R`, the
/// last group made up with rows of zeros, through the transpose of its transpose.
#[cfg(test)]
impl<const R: usize> Sparse<R> {
    pub(super) fn from_dense(dense: &[f32], rows: usize, cols: usize) -> Sparse<R> {
        let transposed: Vec<f32> = (0..cols * rows)
            .map(|i| dense[(i % rows) * cols + i / rows])
            .collect();
        let mut by_column = Images::default();
        by_column.set_rows(transposed.chunks_exact(rows), Simd::detect());
        let mut by_row = Sparse::default();
        by_row.transpose_of(by_column.all(), rows.next_multiple_of(R));
        by_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5 rows of 6 columns: row 3 all zero, the others with zeros in various places.
    fn example() -> (Vec<f32>, Images) {
        let dense: Vec<f32> = (0..30)
            .map(|i| {
                if i % 4 == 0 || (18..24).contains(&i) {
                    0.0
                } else {
                    i as f32
                }
            })
            .collect();
        let mut all = Images::default();
        all.set_rows(dense.chunks_exact(6), Simd::detect());
        (dense, all)
    }

    /// Image `r` of `images`: its pixels and values, as the per-sample rule reads them (which
    /// are those a transpose reads, to the bit).
    fn row(images: &Images, r: usize) -> Vec<(u32, f32)> {
        let mut copied = Default::default();
        images.image(r).copy_to(&mut copied);
        let (pixels, values) = copied;
        let copied: Vec<(u32, f32)> = pixels.into_iter().zip(values).collect();
        let mut each = Vec::new();
        images.image(r).for_each(|j, v| each.push((j as u32, v)));
        assert_eq!(bits(&copied), bits(&each), "image {r}");
        copied
    }

    /// A row's pixels and its values' bits (which NaN has equal to itself).
    fn bits(row: &[(u32, f32)]) -> Vec<(u32, u32)> {
        row.iter().map(|&(j, v)| (j, v.to_bits())).collect()
    }

    /// Row `r` of `dense`, `cols` wide: its non-zero columns and values.
    fn non_zeros(dense: &[f32], cols: usize, r: usize) -> Vec<(u32, f32)> {
        (0..cols)
            .map(|j| (j as u32, dense[r * cols + j]))
            .filter(|&(_, v)| v != 0.0)
            .collect()
    }

    #[test]
    fn picked_rows_come_in_the_order_asked() {
        let (dense, all) = example();
        let some = all.pick(&[4, 0, 3, 4]);
        assert_eq!(some.len(), 4);
        for (i, r) in [4, 0, 3, 4].into_iter().enumerate() {
            let mut got = Vec::new();
            some.image(i).for_each(|j, v| got.push((j as u32, v)));
            assert_eq!(got, non_zeros(&dense, 6, r), "row {i}");
            let pixels: Vec<u32> = some.image(i).pixels.iter().map(|&j| j.into()).collect();
            let expected: Vec<u32> = got.iter().map(|&(j, _)| j).collect();
            assert_eq!(pixels, expected, "row {i}");
        }
    }

    /// Pixels as the loaders make them (bytes scaled to [0, 1]) take a byte each and read back
    /// the same to the bit; one value that is not a byte's (here 0.5, or NaN) turns every value,
    /// before and after it, into a float kept as it is.
    #[test]
    fn byte_values_take_a_byte_and_others_are_kept_as_they_are() {
        let bytes: Vec<f32> = (0..=255u8).map(|b| f32::from(b) / 255.0).collect();
        let mut images = Images::default();
        images.set_rows(bytes.chunks_exact(128), Simd::detect());
        assert!(matches!(&images.value, Values::Bytes(b) if b.len() == 255));
        for r in 0..2 {
            assert_eq!(row(&images, r), non_zeros(&bytes, 128, r), "image {r}");
        }
        for odd in [0.5, f32::NAN, -1.0 / 255.0, 256.0 / 255.0] {
            let mut dense = bytes.clone();
            dense[200] = odd;
            images.set_rows(dense.chunks_exact(128), Simd::detect());
            assert!(
                matches!(&images.value, Values::Floats(f) if f.len() == 255),
                "{odd}"
            );
            for r in 0..2 {
                let (got, expected) = (row(&images, r), non_zeros(&dense, 128, r));
                assert_eq!(bits(&got), bits(&expected), "image {r}, {odd}");
            }
        }
    }

    /// Every level of vector instructions lists the pixels and values the scalar loop lists, to
    /// the bit and in the same form: rows of bytes as wide as 16 pixels, narrower and wider,
    /// with -0s, all-zero stretches and a whole row of zeros; and with a value that is not a
    /// byte's in the middle of a row, from which on every value is a float.
    #[test]
    fn every_level_lists_what_the_loop_lists() {
        for cols in [5, 16, 53] {
            let mut bytes: Vec<f32> = (0..7 * cols)
                .map(|i| match i % 7 {
                    0 | 3 => 0.0,
                    _ => f32::from((i * 37 % 256) as u8) / 255.0,
                })
                .collect();
            bytes[cols..2 * cols].fill(0.0);
            bytes[2 * cols + 1] = -0.0;
            for odd in [
                None,
                Some(0.5),
                Some(f32::NAN),
                Some(-1.0 / 255.0),
                Some(256.0 / 255.0),
            ] {
                let mut dense = bytes.clone();
                if let Some(odd) = odd {
                    dense[3 * cols + 4] = odd;
                }
                for simd in Simd::every_level() {
                    let mut images = Images::default();
                    images.set_rows(dense.chunks_exact(cols), simd);
                    let context = format!("{simd:?}, rows of {cols}, {odd:?}");
                    assert_eq!(images.len(), 7, "{context}");
                    for r in 0..7 {
                        let expected = non_zeros(&dense, cols, r);
                        assert_eq!(
                            bits(&row(&images, r)),
                            bits(&expected),
                            "image {r}, {context}"
                        );
                    }
                    let as_bytes = matches!(images.value, Values::Bytes(_));
                    assert_eq!(as_bytes, odd.is_none(), "{context}");
                }
            }
        }
    }

    /// Each pair of columns lists the rows non-zero in either, in order, with both values.
    #[test]
    fn the_grouped_transpose_lists_each_pair_of_columns_rows() {
        let (dense, all) = example();
        let mut by_column = Sparse::<2>::default();
        by_column.transpose_of(all.all(), 6);
        assert_eq!(by_column.groups(), 3);
        for q in 0..3 {
            let value = |r: usize, slot: usize| dense[r * 6 + 2 * q + slot];
            let expected: Vec<(u32, [f32; 2])> = (0..5)
                .filter(|&r| value(r, 0) != 0.0 || value(r, 1) != 0.0)
                .map(|r| (r as u32, [value(r, 0), value(r, 1)]))
                .collect();
            let (index, values) = by_column.group(q);
            let got: Vec<(u32, [f32; 2])> =
                index.iter().copied().zip(values.iter().copied()).collect();
            assert_eq!(got, expected, "columns {} and {}", 2 * q, 2 * q + 1);
        }
    }

    /// A matrix made from dense rows for the kernels' tests has those rows, in order.
    #[test]
    fn a_matrix_from_dense_rows_has_them() {
        let (dense, _) = example();
        let by_row = Sparse::<1>::from_dense(&dense, 5, 6);
        assert_eq!(by_row.groups(), 5);
        for r in 0..5 {
            let (index, values) = by_row.group(r);
            let got: Vec<(u32, f32)> = index
                .iter()
                .copied()
                .zip(values.as_flattened().iter().copied())
                .collect();
            assert_eq!(got, non_zeros(&dense, 6, r), "row {r}");
        }
    }
}
