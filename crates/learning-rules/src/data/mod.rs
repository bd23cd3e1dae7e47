//! MNIST (and Fashion-MNIST) from local IDX files, loaded once into memory.
//!
//! The lecture scales pixels to [0, 1] and does nothing else (no mean/std normalisation), so
//! that is all the network sees: [`Dataset::load`] keeps the files' bytes ([`Pixels`]), each read
//! as `b / 255` when a batch is made. Nothing is downloaded: the files ship in the repository's
//! `data/` folder, so a fresh clone works offline.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use burn::tensor::{Device, Int, Tensor, TensorData};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

#[cfg(test)]
mod fuzz_tests;
mod idx;
#[cfg(test)]
mod tests;

pub(crate) use idx::{parse_images, parse_labels, read_maybe_gz};

/// Side of an MNIST image in pixels.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image: the network's input width.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes (digits 0–9, or ten kinds of clothing).
pub const CLASSES: usize = 10;

const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// Which IDX-format dataset to read. Both have 60,000 training and 10,000 test images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// Handwritten digits, the lecture's dataset.
    #[default]
    Mnist,
    /// Zalando's clothing images in MNIST's format: the same network finds it harder.
    FashionMnist,
}

impl DatasetKind {
    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    /// The environment variable that overrides where the files are looked for.
    pub fn env_var(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST_DIR",
            DatasetKind::FashionMnist => "FASHION_MNIST_DIR",
        }
    }

    /// Where a package manager puts the files (Debian's `dataset-fashion-mnist`).
    fn system_folders(self) -> &'static [&'static str] {
        match self {
            DatasetKind::Mnist => &[],
            DatasetKind::FashionMnist => &["/usr/share/datasets/fashion-mnist"],
        }
    }

    fn install_hint(self) -> String {
        match self {
            DatasetKind::Mnist => format!(
                "The repository ships them in data/mnist/: run from inside the repository, or set {} to a folder holding the four IDX files.",
                self.env_var()
            ),
            DatasetKind::FashionMnist => format!(
                "Install them with `sudo apt-get install dataset-fashion-mnist` (they go to /usr/share/datasets/fashion-mnist), put them in data/fashion-mnist/, or set {} to their folder.",
                self.env_var()
            ),
        }
    }

    /// SHA-256 of the published, uncompressed files (so the check does not depend on how they
    /// were gzipped).
    fn published_sha256(self, stem: &str) -> Option<&'static str> {
        let table: [(&str, &str); 4] = match self {
            DatasetKind::Mnist => [
                (
                    TRAIN_IMAGES,
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ),
                (
                    TRAIN_LABELS,
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ),
                (
                    TEST_IMAGES,
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ),
                (
                    TEST_LABELS,
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                ),
            ],
            DatasetKind::FashionMnist => [
                (
                    TRAIN_IMAGES,
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                ),
                (
                    TRAIN_LABELS,
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                ),
                (
                    TEST_IMAGES,
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                ),
                (
                    TEST_LABELS,
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                ),
            ],
        };
        table.iter().find(|(s, _)| *s == stem).map(|(_, h)| *h)
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion-mnist" | "fashion" => Ok(DatasetKind::FashionMnist),
            other => Err(Error::InvalidConfig(format!(
                "unknown dataset `{other}`: use `mnist` or `fashion-mnist`"
            ))),
        }
    }
}

/// A split's pixels, row-major, 784 for each image.
///
/// As loaded, the bytes of the IDX files: the network reads byte `b` as `b / 255`, the lecture's
/// scaling to [0, 1], when a batch is made. That is a quarter of the memory of the scaled
/// floats (MNIST's training set 47 MB, not 188 MB), in every kernel of a class.
#[derive(Clone, Debug, PartialEq)]
pub enum Pixels {
    /// Bytes 0–255, each read as `b / 255`.
    Bytes(Vec<u8>),
    /// Values read as they are: images of your own, or changed after loading (normalised, say,
    /// starting from [`Pixels::to_floats`]).
    Floats(Vec<f32>),
}

impl Pixels {
    /// How many pixels, of all the images.
    pub fn len(&self) -> usize {
        match self {
            Pixels::Bytes(bytes) => bytes.len(),
            Pixels::Floats(floats) => floats.len(),
        }
    }

    /// True when there is no pixel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pixel as the network reads it: the images as floats, to change them.
    pub fn to_floats(&self) -> Vec<f32> {
        self.values(0..self.len())
    }

    /// Pixels `range` as the network reads them, appended to `out`.
    pub(crate) fn extend_values(&self, range: Range<usize>, out: &mut Vec<f32>) {
        match self {
            Pixels::Bytes(bytes) => out.extend(bytes[range].iter().map(|&b| pixel_value(b))),
            Pixels::Floats(floats) => out.extend_from_slice(&floats[range]),
        }
    }

    /// Pixels `range` as the network reads them.
    pub(crate) fn values(&self, range: Range<usize>) -> Vec<f32> {
        let mut out = Vec::with_capacity(range.len());
        self.extend_values(range, &mut out);
        out
    }

    /// Pixels `range`, in the same form.
    fn slice(&self, range: Range<usize>) -> Pixels {
        match self {
            Pixels::Bytes(bytes) => Pixels::Bytes(bytes[range].to_vec()),
            Pixels::Floats(floats) => Pixels::Floats(floats[range].to_vec()),
        }
    }
}

/// The value the network reads for a pixel stored as byte `b`: `b / 255`, in [0, 1].
pub const fn pixel_value(b: u8) -> f32 {
    b as f32 / 255.0
}

/// Images and labels of one split, held in memory so that batches are plain slices.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Row-major `len × 784` pixels.
    pub images: Pixels,
    /// One label 0–9 per image.
    pub labels: Vec<u8>,
}

impl Split {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// An error unless the split holds 784 pixels for each label: images replaced by a student
    /// ([`Pixels::Floats`]) with the wrong number of values are refused before training reads
    /// them.
    pub fn check_shape(&self) -> Result<()> {
        let (pixels, labels) = (self.images.len(), self.len());
        if pixels == labels * IMAGE_PIXELS {
            return Ok(());
        }
        Err(Error::InvalidConfig(format!(
            "this split has {labels} labels but {pixels} pixels, where {labels} images of \
             {IMAGE_SIDE}×{IMAGE_SIDE} take {}: give every image {IMAGE_PIXELS} values, one \
             label each",
            labels * IMAGE_PIXELS
        )))
    }

    /// The 784 pixels of image `i` as the network reads them (in [0, 1] as loaded), or an
    /// error naming the valid range.
    pub fn image(&self, i: usize) -> Result<Vec<f32>> {
        Ok(self.images.values(self.pixels_of(i)?))
    }

    /// Where image `i`'s pixels are in [`Split::images`], or an error naming the valid range.
    fn pixels_of(&self, i: usize) -> Result<Range<usize>> {
        let pixels = i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS;
        if i >= self.len() || pixels.end > self.images.len() {
            return Err(Error::InvalidConfig(format!(
                "image {i} does not exist: this split has {} images, numbered 0 to {}",
                self.len(),
                self.len().saturating_sub(1)
            )));
        }
        Ok(pixels)
    }

    /// Images `indices` as a `len × 784` tensor and their labels, on `device`: a batch in
    /// burn's own terms.
    pub fn tensors(&self, indices: &[u32], device: &Device) -> Result<(Tensor<2>, Tensor<1, Int>)> {
        let mut pixels = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            self.images
                .extend_values(self.pixels_of(i as usize)?, &mut pixels);
            labels.push(i64::from(self.labels[i as usize]));
        }
        Ok((
            Tensor::from_data(
                TensorData::new(pixels, [indices.len(), IMAGE_PIXELS]),
                device,
            ),
            Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
        ))
    }

    /// The first `n` images, in order: the lecture's "first N samples".
    pub fn first(&self, n: usize) -> Result<Split> {
        self.check_shape()?;
        if n == 0 || n > self.len() {
            return Err(Error::InvalidConfig(format!(
                "cannot take the first {n} samples of a split of {}: use 1 to {}",
                self.len(),
                self.len()
            )));
        }
        Ok(Split {
            images: self.images.slice(0..n * IMAGE_PIXELS),
            labels: self.labels[..n].to_vec(),
        })
    }
}

/// A whole dataset: 60,000 training and 10,000 test images for the standard files.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Which dataset this is.
    pub kind: DatasetKind,
    /// The folder the files were read from.
    pub dir: PathBuf,
    /// Training images, in file order.
    pub train: Split,
    /// Test images, used only to measure accuracy.
    pub test: Split,
}

impl fmt::Display for Dataset {
    /// What the data cell shows: `60000 training and 10000 test images of 28×28 pixels, from …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} training and {} test images of {IMAGE_SIDE}×{IMAGE_SIDE} pixels, from {}",
            self.train.len(),
            self.test.len(),
            self.dir.display()
        )
    }
}

impl Dataset {
    /// MNIST from the repository's `data/mnist/` (or `$MNIST_DIR`), checksums verified.
    pub fn load() -> Result<Dataset> {
        Dataset::load_kind(DatasetKind::Mnist)
    }

    /// `dataset`, checksums verified, from `$MNIST_DIR` (or `$FASHION_MNIST_DIR`) if set, else the
    /// first `data/<name>/` in the current folder or its parents, else the repository this crate
    /// was built from, else a system folder (Debian's Fashion-MNIST package).
    pub fn load_kind(kind: DatasetKind) -> Result<Dataset> {
        let dir = locate(kind)?;
        Dataset::load_dir(kind, &dir, true)
    }

    /// The four IDX files of `dir`, plain or gzipped. With `verify_checksums`, a file whose
    /// content differs from the published one is refused.
    pub fn load_dir(dataset: DatasetKind, dir: &Path, verify_checksums: bool) -> Result<Dataset> {
        let read = |stem: &str| {
            let path = find_file(dataset, dir, stem)?;
            let bytes = read_maybe_gz(&path)?;
            if verify_checksums {
                verify_sha256(dataset, stem, &path, &bytes)?;
            }
            Ok::<_, Error>((path, bytes))
        };
        let split = |images: &str, labels: &str| {
            let (image_path, image_bytes) = read(images)?;
            let (label_path, label_bytes) = read(labels)?;
            let images = parse_images(&image_bytes, &image_path)?;
            let labels = parse_labels(&label_bytes, &label_path)?;
            if images.len() != labels.len() * IMAGE_PIXELS {
                return Err(Error::corrupt(
                    &label_path,
                    format!(
                        "it holds {} labels but {} holds {} images",
                        labels.len(),
                        image_path.display(),
                        images.len() / IMAGE_PIXELS
                    ),
                ));
            }
            Ok::<_, Error>(Split {
                images: Pixels::Bytes(images),
                labels,
            })
        };
        // Train and test are independent: decode them on two threads.
        let (train, test) = std::thread::scope(|s| {
            let test = s.spawn(|| split(TEST_IMAGES, TEST_LABELS));
            let train = split(TRAIN_IMAGES, TRAIN_LABELS);
            (train, test.join().expect("test-set loader thread panicked"))
        });
        Ok(Dataset {
            kind: dataset,
            dir: dir.to_path_buf(),
            train: train?,
            test: test?,
        })
    }
}

/// The folder holding `dataset`'s files, found the same way from the repository root, from
/// `notebooks/` or from anywhere else: `$MNIST_DIR` (or `$FASHION_MNIST_DIR`) if set, else the
/// first `data/<name>/` in the current folder or its parents, else the repository this crate
/// was built from, else a system folder (Debian's Fashion-MNIST package).
pub(crate) fn locate(dataset: DatasetKind) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(dataset.env_var()) {
        // An explicit choice is never second-guessed: report its missing file, if any.
        let dir = PathBuf::from(dir);
        find_file(dataset, &dir, TRAIN_IMAGES)?;
        return Ok(dir);
    }
    let mut candidates = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        candidates.extend(cwd.ancestors().map(|d| d.join("data").join(dataset.name())));
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    candidates.push(built_from.join(dataset.name()));
    candidates.extend(dataset.system_folders().iter().map(PathBuf::from));
    candidates
        .into_iter()
        .find(|dir| find_file(dataset, dir, TRAIN_IMAGES).is_ok())
        .ok_or_else(|| Error::MissingFile {
            path: PathBuf::from(format!("data/{}/{TRAIN_IMAGES}.gz", dataset.name())),
            stem: TRAIN_IMAGES.to_string(),
            dir: PathBuf::from(format!(
                "data/{}/ of the current folder and its parents",
                dataset.name()
            )),
            hint: dataset.install_hint(),
        })
}

fn find_file(dataset: DatasetKind, dir: &Path, stem: &str) -> Result<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| Error::MissingFile {
            path: dir.join(format!("{stem}.gz")),
            stem: stem.to_string(),
            dir: dir.to_path_buf(),
            hint: dataset.install_hint(),
        })
}

fn verify_sha256(dataset: DatasetKind, stem: &str, path: &Path, bytes: &[u8]) -> Result<()> {
    let Some(expected) = dataset.published_sha256(stem) else {
        return Ok(());
    };
    let found = format!("{:x}", Sha256::digest(bytes));
    if found == expected {
        Ok(())
    } else {
        Err(Error::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        })
    }
}
