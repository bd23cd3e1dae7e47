//! The training images' non-zero pixels, kept as sparse rows; a batch's transpose (by pixel),
//! for the first layer's kernels.
//!
//! An MNIST image is about 81 % zero pixels. The first layer, three quarters of the network's
//! arithmetic, only needs the rows of `W1` whose pixel is non-zero, so every kernel of the fused
//! engine reads images in this form. The training set's rows are listed once, when a learner is
//! built (0.14 s for 60,000 images, 9.0 M non-zeros, 72 MB), not at every batch: scanning 784
//! pixels per image per batch was about 8 % of a minibatch epoch in `perf record`.
//!
//! The transpose may take its rows in groups ([`Sparse::transpose_of`] with `R = 2`: pairs of
//! neighbouring pixels), so that the weight gradient's kernel in [`super::gather`] adds each
//! row of `dH1` it loads into two rows of `W1`: see there why that pays.

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

/// One row of a [`Sparse`] matrix (an image's non-zero pixels, say): columns and values.
pub(super) type SparseRow<'r> = (&'r [u32], &'r [f32]);

/// Groups of a [`Sparse`] matrix, as a kernel reads them: all of them in order, or some of them
/// in a given order ([`Sparse::all`], [`Sparse::pick`]).
#[derive(Clone, Copy)]
pub(super) struct Groups<'a, const R: usize = 1> {
    all: &'a Sparse<R>,
    pick: Option<&'a [u32]>,
}

impl<'a, const R: usize> Groups<'a, R> {
    /// How many groups.
    pub(super) fn len(&self) -> usize {
        self.pick.map_or(self.all.groups(), <[u32]>::len)
    }

    /// Asks for group `g`'s columns and values to be brought into cache, without waiting for
    /// them.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    fn prefetch(&self, g: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let (index, value) = self.group(g);
            let line = |bytes: usize| 64 / bytes;
            // SAFETY: SSE, which every x86-64 CPU has; a prefetch never faults.
            unsafe {
                for at in (0..index.len()).step_by(line(size_of::<u32>())) {
                    _mm_prefetch::<_MM_HINT_T0>(index[at..].as_ptr().cast());
                }
                for at in (0..value.len()).step_by(line(size_of::<[f32; R]>())) {
                    _mm_prefetch::<_MM_HINT_T0>(value[at..].as_ptr().cast());
                }
            }
        }
    }

    /// Group `g` (of those picked): its columns and values.
    #[inline(always)]
    pub(super) fn group(&self, g: usize) -> (&'a [u32], &'a [[f32; R]]) {
        self.all.group(self.pick.map_or(g, |pick| pick[g] as usize))
    }
}

impl<'a> Groups<'a> {
    /// Row `r` (of those picked): its columns and values.
    pub(super) fn row(&self, r: usize) -> SparseRow<'a> {
        let (index, value) = self.group(r);
        (index, value.as_flattened())
    }
}

impl Sparse<1> {
    /// The non-zeros of `rows`, dense rows of equal length.
    pub(super) fn set_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [f32]>) {
        self.clear();
        for row in rows {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    self.index.push(j as u32);
                    self.value.push([v]);
                }
            }
            self.start.push(self.index.len());
        }
    }

    pub(super) fn row(&self, r: usize) -> SparseRow<'_> {
        self.all().row(r)
    }
}

impl<const R: usize> Sparse<R> {
    /// No groups, keeping the buffers.
    fn clear(&mut self) {
        self.start.clear();
        self.index.clear();
        self.value.clear();
        self.start.push(0);
    }

    /// How many groups of rows.
    pub(super) fn groups(&self) -> usize {
        self.start.len() - 1
    }

    /// Group `g`'s columns and values.
    pub(super) fn group(&self, g: usize) -> (&[u32], &[[f32; R]]) {
        let range = self.start[g]..self.start[g + 1];
        (&self.index[range.clone()], &self.value[range])
    }

    /// Every group, in order, as the kernels read them.
    pub(super) fn all(&self) -> Groups<'_, R> {
        Groups {
            all: self,
            pick: None,
        }
    }

    /// The groups `pick` names, in its order (a batch's images, read where the training set's
    /// lists are rather than copied out of them).
    pub(super) fn pick<'a>(&'a self, pick: &'a [u32]) -> Groups<'a, R> {
        Groups {
            all: self,
            pick: Some(pick),
        }
    }

    /// The transpose of `other`, whose rows have `cols` columns (a multiple of `R`), its rows
    /// grouped by `R`: group `q` lists the rows of `other` non-zero in any of its columns
    /// `q·R .. q·R + R`. A counting sort: one pass to count each group's rows, one to place
    /// them.
    pub(super) fn transpose_of(&mut self, other: Groups<'_>, cols: usize) {
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
            for &j in other.row(r).0 {
                let q = j as usize / R;
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
            let (index, value) = other.row(r);
            let (mut last, mut at) = (usize::MAX, 0);
            for (&j, &v) in index.iter().zip(value) {
                let q = j as usize / R;
                let new = q != last;
                let place = next[q];
                next[q] = place + usize::from(new);
                at = if new { place } else { at };
                self.index[at] = r as u32;
                self.value[at][j as usize % R] = v;
                last = q;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5 rows of 6 columns: row 3 all zero, the others with zeros in various places.
    fn example() -> (Vec<f32>, Sparse) {
        let dense: Vec<f32> = (0..30)
            .map(|i| {
                if i % 4 == 0 || (18..24).contains(&i) {
                    0.0
                } else {
                    i as f32
                }
            })
            .collect();
        let mut all = Sparse::default();
        all.set_rows(dense.chunks_exact(6));
        (dense, all)
    }

    #[test]
    fn picked_rows_come_in_the_order_asked() {
        let (dense, all) = example();
        let some = all.pick(&[4, 0, 3, 4]);
        assert_eq!(some.len(), 4);
        for (i, r) in [4, 0, 3, 4].into_iter().enumerate() {
            let (index, value) = some.row(i);
            let expected: Vec<(u32, f32)> = (0..6)
                .map(|j| (j as u32, dense[r * 6 + j]))
                .filter(|&(_, v)| v != 0.0)
                .collect();
            let got: Vec<(u32, f32)> = index.iter().copied().zip(value.iter().copied()).collect();
            assert_eq!(got, expected, "row {i}");
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
}
