//! The IDX loader on small files made here, and on the real files shipped in data/.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{parse_images, parse_labels, read_maybe_gz};
use crate::{Dataset, DatasetKind, Error, Pixels, Split};
use flate2::Compression;
use flate2::write::GzEncoder;

fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(payload);
    bytes
}

fn images(n: u32) -> Vec<u8> {
    let pixels: Vec<u8> = (0..n as usize * 784).map(|i| (i % 256) as u8).collect();
    idx(2051, &[n, 28, 28], &pixels)
}

fn labels(n: u32) -> Vec<u8> {
    let values: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    idx(2049, &[n], &values)
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A folder with the four standard names holding `n_train`/`n_test` made-up images.
fn dataset_dir(n_train: u32, n_test: u32, gzipped: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("train-images-idx3-ubyte", images(n_train)),
        ("train-labels-idx1-ubyte", labels(n_train)),
        ("t10k-images-idx3-ubyte", images(n_test)),
        ("t10k-labels-idx1-ubyte", labels(n_test)),
    ];
    for (name, bytes) in files {
        if gzipped {
            std::fs::write(dir.path().join(format!("{name}.gz")), gz(&bytes)).unwrap();
        } else {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
    }
    dir
}

fn message(e: Error) -> String {
    e.to_string()
}

/// The files' bytes are kept; the network reads byte `b` as `b / 255`, in [0, 1], from bytes
/// and from the same values given as floats alike.
#[test]
fn images_keep_the_files_bytes_and_read_them_scaled_to_unit_interval() {
    let pixels = parse_images(&images(3), Path::new("x")).unwrap();
    assert_eq!(pixels.len(), 3 * 784);
    assert_eq!(
        (pixels[0], pixels[1], pixels[255], pixels[256]),
        (0, 1, 255, 0)
    );
    let split = Split {
        images: Pixels::Bytes(pixels),
        labels: vec![0, 1, 2],
    };
    let image = split.image(0).unwrap();
    assert_eq!(image.len(), 784);
    assert_eq!(
        (image[0], image[1], image[255], image[256]),
        (0.0, 1.0 / 255.0, 1.0, 0.0)
    );
    let floats = Split {
        images: Pixels::Floats(split.images.to_floats()),
        labels: split.labels.clone(),
    };
    for i in 0..3 {
        assert_eq!(floats.image(i).unwrap(), split.image(i).unwrap());
    }
    assert_eq!(
        floats.first(2).unwrap().images.values(0..2 * 784),
        split.first(2).unwrap().images.values(0..2 * 784)
    );
}

#[test]
fn labels_are_read_in_order() {
    assert_eq!(
        parse_labels(&labels(12), Path::new("x")).unwrap(),
        vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    );
}

#[test]
fn gz_and_plain_folders_load_the_same() {
    let plain =
        Dataset::load_dir(DatasetKind::Mnist, dataset_dir(5, 2, false).path(), false).unwrap();
    let gzipped =
        Dataset::load_dir(DatasetKind::Mnist, dataset_dir(5, 2, true).path(), false).unwrap();
    assert_eq!(plain.train, gzipped.train);
    assert_eq!(plain.test, gzipped.test);
    assert_eq!((plain.train.len(), plain.test.len()), (5, 2));
}

#[test]
fn truncated_file_is_named_and_called_truncated() {
    let mut bytes = images(4);
    bytes.truncate(bytes.len() - 100);
    let e =
        message(parse_images(&bytes, Path::new("data/mnist/train-images-idx3-ubyte")).unwrap_err());
    assert!(e.contains("data/mnist/train-images-idx3-ubyte"), "{e}");
    assert!(e.contains("truncated"), "{e}");
    assert!(e.contains("3152 bytes in all"), "{e}");
}

#[test]
fn truncated_gzip_stream_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t10k-labels-idx1-ubyte.gz");
    let full = gz(&labels(1000));
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let e = message(read_maybe_gz(&path).unwrap_err());
    assert!(e.contains("t10k-labels-idx1-ubyte.gz"), "{e}");
    assert!(e.contains("gzip stream ends early"), "{e}");
}

#[test]
fn wrong_magic_is_refused() {
    // A label file where an image file is expected.
    let e = message(parse_images(&labels(3), Path::new("img")).unwrap_err());
    assert!(e.contains("magic number 2049 is not 2051"), "{e}");
    let e = message(parse_labels(&idx(1234, &[1], &[0]), Path::new("lab")).unwrap_err());
    assert!(e.contains("magic number 1234 is not 2049"), "{e}");
}

#[test]
fn wrong_image_size_is_refused() {
    let e =
        message(parse_images(&idx(2051, &[1, 32, 32], &[0; 1024]), Path::new("img")).unwrap_err());
    assert!(e.contains("32×32, not 28×28"), "{e}");
}

#[test]
fn label_outside_0_to_9_is_refused() {
    let e = message(parse_labels(&idx(2049, &[3], &[1, 12, 3]), Path::new("lab")).unwrap_err());
    assert!(e.contains("label 1 is 12"), "{e}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = dataset_dir(5, 2, false);
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), labels(4)).unwrap();
    let e = message(Dataset::load_dir(DatasetKind::Mnist, dir.path(), false).unwrap_err());
    assert!(e.contains("train-labels-idx1-ubyte"), "{e}");
    assert!(e.contains("holds 4 labels but"), "{e}");
    assert!(e.contains("holds 5 images"), "{e}");
}

#[test]
fn missing_file_names_it_and_says_what_to_do() {
    let dir = dataset_dir(5, 2, true);
    std::fs::remove_file(dir.path().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let e = message(Dataset::load_dir(DatasetKind::Mnist, dir.path(), false).unwrap_err());
    assert!(e.contains("t10k-images-idx3-ubyte"), "{e}");
    assert!(e.contains("MNIST_DIR"), "{e}");
}

#[test]
fn checksum_of_a_standard_name_is_verified() {
    let dir = dataset_dir(5, 2, true);
    let e = message(Dataset::load_dir(DatasetKind::Mnist, dir.path(), true).unwrap_err());
    assert!(e.contains("not the published file"), "{e}");
    assert!(e.contains("expected"), "{e}");
    assert!(e.contains("verify_checksums: false"), "{e}");
}

fn repo_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

#[test]
fn shipped_mnist_has_the_published_counts() {
    let data = Dataset::load_dir(DatasetKind::Mnist, &repo_data("mnist"), true).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    let count = |labels: &[u8]| {
        let mut c = [0usize; 10];
        labels.iter().for_each(|&l| c[l as usize] += 1);
        c
    };
    assert_eq!(
        count(&data.train.labels),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        count(&data.test.labels),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let Pixels::Bytes(bytes) = &data.train.images else {
        panic!("MNIST loads as bytes");
    };
    assert_eq!(bytes.len(), 60_000 * 784);
    assert_eq!(
        (bytes.iter().min(), bytes.iter().max()),
        (Some(&0), Some(&255))
    );
    // The lecture's first training image is a 5.
    assert_eq!(data.train.labels[0], 5);
}

#[test]
fn mnist_is_found_from_a_subfolder_of_the_repository() {
    // Integration tests run with the crate folder as working directory, two levels below the
    // repository root: the search walks up to data/mnist/.
    let dir = super::locate(DatasetKind::Mnist).unwrap();
    assert!(
        dir.join("train-images-idx3-ubyte.gz").is_file(),
        "{}",
        dir.display()
    );
}

#[test]
fn fashion_mnist_loads_with_the_same_loader() {
    // Installed by the test script (Debian's dataset-fashion-mnist) or found in data/.
    let data = Dataset::load_kind(DatasetKind::FashionMnist).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    // Fashion-MNIST is balanced: 6,000 training images per class.
    assert!((0..10).all(|c| data.train.labels.iter().filter(|&&l| l == c).count() == 6000));
}
