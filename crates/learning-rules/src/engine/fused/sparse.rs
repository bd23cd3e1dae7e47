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
//! files hold (the network reads `b / 255`). The training set's lists take 27 MB, where they took
//! 72 MB with a `u32` and an `f32` for each: each kernel of a class takes 50 MB less at its peak (a
//! minibatch run of the CLI 318 → 267 MB), and a batch's 100 lists of 8 cache lines, not 19, come
//! from the last-level cache (32 MB on the 2-core Zen 4 EPYC) more often than from memory. There,
//! listing a share's pixels (the pass's first meeting) took 0.028–0.029 s an epoch a core, and
//! 0.023–0.025 s after; the two builds taking turns, lower quartiles: minibatch 0.340 → 0.334 s (30
//! epochs each; in two more runs of 24, 0.3396 → 0.3309 s and 0.3490 → 0.3378 s), per-epoch 0.324 →
//! 0.320 s (18 each). The per-sample rule, which copies its image out of the lists, 0.984 → 0.995 s
//! (24 each; medians 1.011 → 1.010 s).
//!
//! Listing goes 16 pixels at a time with AVX-512 ([`list_byte_pixels_avx512`]), from the bytes
//! the dataset keeps ([`Pixels::Bytes`]): the 60,000 training images' 9.0 M non-zeros in
//! 0.0082 s, where the scalar loop, for other CPUs, takes 0.037 s (best of 15, 2-core Zen 4
//! EPYC, 2026-12-07). Until then the dataset held the scaled floats, and each value was checked
//! to be a byte's before it was listed as one: 0.013–0.014 s with AVX-512 and 0.074–0.075 s in
//! the loop, on the Zen 4 too; a student's own floats ([`Pixels::Floats`]) are listed as they
//! are, in 0.055 s. Building a learner (`Learner::new`, which lists the training set) took
//! 0.0154 s and takes 0.0146 s (medians of 15; an evaluation of the 10,000 test images 0.0245 s
//! before and after).
//!
//! The transpose may take its rows in groups ([`Sparse::transpose_of`] with `R = 2`: pairs of
//! neighbouring pixels), so that the weight gradient's kernel in [`super::gather`] adds each
//! row of `dH1` it loads into two rows of `W1`: see there why that pays.

use std::ops::Range;

use super::simd::Simd;
use crate::data::{IMAGE_PIXELS, Pixels, pixel_value};

/// Images' non-zero pixels, image by image: for each, its pixel's number and its value, the
/// value as the byte `b` the files hold (standing for `b / 255`) where the images are bytes
/// ([`Pixels::Bytes`], as loaded), as it is otherwise.
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

/// `b / 255` for each byte `b`: the pixel values the network reads ([`pixel_value`]), looked up.
static BYTE_VALUES: [f32; 256] = {
    let mut values = [0.0; 256];
    let mut b = 0;
    while b < 256 {
        values[b] = pixel_value(b as u8);
        b += 1;
    }
    values
};

/// The value byte `b` stands for.
fn byte_value(b: u8) -> f32 {
    BYTE_VALUES[usize::from(b)]
}

/// [`Images::set_byte_rows`]'s loop, 16 pixels at a time: the non-zeros' pixel numbers and bytes
/// of `row` appended to `pixel` and `bytes`, up to the row's last whole 16 pixels. Returns how
/// many of the row's pixels it went through.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn list_byte_pixels_avx512(
    row: &[u8],
    pixel: &mut Vec<u16>,
    bytes: &mut Vec<u8>,
) -> usize {
    use std::arch::x86_64::*;
    let first_16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // Room for every pixel of the row, so that each block of 16 can be stored whole.
    pixel.reserve(row.len());
    bytes.reserve(row.len());
    let mut j = 0;
    for b in row.chunks_exact(16) {
        // SAFETY: `b` holds 16 bytes.
        let b = _mm512_cvtepu8_epi32(unsafe { _mm_loadu_si128(b.as_ptr().cast()) });
        let non_zero = _mm512_test_epi32_mask(b, b);
        if non_zero != 0 {
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
    /// The non-zeros of images `images` of `pixels` (784 a row).
    pub(super) fn set_images(&mut self, pixels: &Pixels, images: Range<usize>, simd: Simd) {
        let range = images.start * IMAGE_PIXELS..images.end * IMAGE_PIXELS;
        match pixels {
            Pixels::Bytes(bytes) => {
                self.set_byte_rows(bytes[range].chunks_exact(IMAGE_PIXELS), simd);
            }
            Pixels::Floats(floats) => self.set_rows(floats[range].chunks_exact(IMAGE_PIXELS)),
        }
    }

    /// The non-zeros of `rows`, rows of bytes. The vector instructions list as much of each row
    /// as they can (all of an MNIST image's, with AVX-512), the loop the rest.
    fn set_byte_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [u8]>, simd: Simd) {
        let mut bytes = match std::mem::take(&mut self.value) {
            Values::Bytes(bytes) => bytes,
            Values::Floats(_) => Vec::new(),
        };
        self.list_rows(rows, &mut bytes, |row, pixel, bytes| {
            simd.list_byte_pixels(row, pixel, bytes)
        });
        self.value = Values::Bytes(bytes);
    }

    /// The non-zeros of `rows`, dense rows, their values as they are.
    pub(super) fn set_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [f32]>) {
        let mut floats = match std::mem::take(&mut self.value) {
            Values::Floats(floats) => floats,
            Values::Bytes(_) => Vec::new(),
        };
        self.list_rows(rows, &mut floats, |_, _, _| 0);
        self.value = Values::Floats(floats);
    }

    /// The non-zeros of `rows` (at most 65,536 columns each), in place of the images listed
    /// before, their values into `values`: as many of each row's pixels as `vector` lists (it
    /// returns how many it went through), the loop the rest.
    fn list_rows<'r, T: Copy + Default + PartialEq + 'r>(
        &mut self,
        rows: impl Iterator<Item = &'r [T]>,
        values: &mut Vec<T>,
        mut vector: impl FnMut(&[T], &mut Vec<u16>, &mut Vec<T>) -> usize,
    ) {
        self.start.clear();
        self.start.push(0);
        self.pixel.clear();
        values.clear();
        for row in rows {
            assert!(
                row.len() <= 1 << 16,
                "rows of {} pixels: pixels are numbered in 16 bits",
                row.len()
            );
            let listed = vector(row, &mut self.pixel, values);
            for (j, &v) in row.iter().enumerate().skip(listed) {
                // Zero is the default of `u8` and `f32`; -0.0 equals it, NaN does not.
                if v != T::default() {
                    self.pixel.push(j as u16);
                    values.push(v);
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
        by_column.set_rows(transposed.chunks_exact(rows));
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
        all.set_rows(dense.chunks_exact(6));
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

    /// Images of bytes, as loaded, and the same images as the floats the network reads
    /// (`b / 255`) list the same pixels and values, to the bit, at every level of vector
    /// instructions: rows as wide as 16 pixels, narrower and wider, every byte value, all-zero
    /// stretches and a whole row of zeros. Floats are kept as they are, whatever they are.
    #[test]
    fn bytes_and_their_values_list_the_same_at_every_level() {
        for cols in [5, 16, 53, 784] {
            let mut bytes: Vec<u8> = (0..7 * cols)
                .map(|i| match i % 7 {
                    0 | 3 => 0,
                    _ => (i * 37 % 256) as u8,
                })
                .collect();
            bytes[cols..2 * cols].fill(0);
            bytes[2 * cols..2 * cols + cols.min(256)]
                .iter_mut()
                .zip(0..=255)
                .for_each(|(b, v)| *b = v);
            let values: Vec<f32> = bytes.iter().map(|&b| pixel_value(b)).collect();
            let mut floats = Images::default();
            floats.set_rows(values.chunks_exact(cols));
            assert!(matches!(floats.value, Values::Floats(_)));
            for simd in Simd::every_level() {
                let mut images = Images::default();
                images.set_byte_rows(bytes.chunks_exact(cols), simd);
                assert!(matches!(images.value, Values::Bytes(_)));
                assert_eq!(images.len(), 7);
                for r in 0..7 {
                    let expected = non_zeros(&values, cols, r);
                    let context = format!("{simd:?}, rows of {cols}, image {r}");
                    assert_eq!(bits(&row(&images, r)), bits(&expected), "{context}");
                    assert_eq!(bits(&row(&floats, r)), bits(&expected), "{context}");
                }
            }
        }
        let odd = [0.5, f32::NAN, -1.0 / 255.0, 256.0 / 255.0, -0.0, 0.0];
        let mut floats = Images::default();
        floats.set_rows(odd.chunks_exact(3));
        let non_zero: Vec<u32> = odd[..4].iter().map(|v| v.to_bits()).collect();
        let got: Vec<u32> = (0..2)
            .flat_map(|r| row(&floats, r))
            .map(|(_, v)| v.to_bits())
            .collect();
        assert_eq!(got, non_zero);
    }

    /// A split's images are listed from their bytes, or from their floats, images `range` of
    /// them, each image's 784 pixels in its row.
    #[test]
    fn a_split_lists_the_images_asked_for() {
        let bytes: Vec<u8> = (0..3 * IMAGE_PIXELS).map(|i| (i * 7 % 13) as u8).collect();
        let values: Vec<f32> = bytes.iter().map(|&b| pixel_value(b)).collect();
        for pixels in [Pixels::Bytes(bytes), Pixels::Floats(values.clone())] {
            let mut images = Images::default();
            images.set_images(&pixels, 1..3, Simd::detect());
            assert_eq!(images.len(), 2);
            for r in 0..2 {
                let expected = non_zeros(&values, IMAGE_PIXELS, r + 1);
                assert_eq!(bits(&row(&images, r)), bits(&expected), "image {}", r + 1);
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
