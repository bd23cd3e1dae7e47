//! The training images' non-zero pixels, kept as sparse rows.
//!
//! An MNIST image is about 81 % zero pixels. The first layer, three quarters of the network's
//! arithmetic, only needs the rows of `W1` whose pixel is non-zero, so every kernel of the fused
//! engine reads images in this form. The training set's rows are listed once, when a learner is
//! built (0.14 s for 60,000 images, 9.0 M non-zeros, 72 MB), not at every batch: scanning 784
//! pixels per image per batch was about 8 % of a minibatch epoch in `perf record`.

/// A sparse matrix by rows: row `r`'s non-zeros are `index[start[r]..start[r+1]]` (their
/// columns) and the matching `value`s.
#[derive(Default)]
pub(super) struct Sparse {
    pub(super) start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f32>,
}

impl Sparse {
    /// The non-zeros of `rows`, dense rows of equal length.
    pub(super) fn set_rows<'r>(&mut self, rows: impl Iterator<Item = &'r [f32]>) {
        self.clear();
        for row in rows {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    self.index.push(j as u32);
                    self.value.push(v);
                }
            }
            self.start.push(self.index.len());
        }
    }

    /// No rows, keeping the buffers.
    fn clear(&mut self) {
        self.start.clear();
        self.index.clear();
        self.value.clear();
        self.start.push(0);
    }

    /// Rows `rows` of `all`, in that order.
    pub(super) fn select_rows(&mut self, all: &Sparse, rows: &[u32]) {
        self.clear();
        for &r in rows {
            let (index, value) = all.row(r as usize);
            self.index.extend_from_slice(index);
            self.value.extend_from_slice(value);
            self.start.push(self.index.len());
        }
    }

    /// The transpose of `other`, whose rows have `cols` columns (a counting sort).
    pub(super) fn transpose_of(&mut self, other: &Sparse, cols: usize) {
        self.start.clear();
        self.start.resize(cols + 1, 0);
        for &j in &other.index {
            self.start[j as usize + 1] += 1;
        }
        for j in 0..cols {
            self.start[j + 1] += self.start[j];
        }
        let mut next = self.start[..cols].to_vec();
        self.index.resize(other.index.len(), 0);
        self.value.resize(other.value.len(), 0.0);
        for r in 0..other.start.len() - 1 {
            for k in other.start[r]..other.start[r + 1] {
                let j = other.index[k] as usize;
                self.index[next[j]] = r as u32;
                self.value[next[j]] = other.value[k];
                next[j] += 1;
            }
        }
    }

    pub(super) fn row(&self, r: usize) -> SparseRow<'_> {
        let range = self.start[r]..self.start[r + 1];
        (&self.index[range.clone()], &self.value[range])
    }
}

/// One row of a [`Sparse`] matrix (an image's non-zero pixels, say): columns and values.
pub(super) type SparseRow<'r> = (&'r [u32], &'r [f32]);
