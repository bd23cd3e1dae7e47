//! The IDX parser fed thousands of damaged copies of the real files (seeded, so a failure
//! reproduces): every case ends in a clean load or in an error that names the file, never in
//! a panic.

use std::io::Write;
use std::path::Path;

use super::{parse_images, parse_labels, read_maybe_gz};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

const CASES_PER_FILE: usize = 1_000;

fn real(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/mnist")
        .join(name);
    read_maybe_gz(&path).expect("the shipped file")
}

/// The first `n` real test images, with the header's count set to `n`: a real, valid file
/// small enough to parse thousands of times.
fn first_images(n: u32) -> Vec<u8> {
    let mut bytes = real("t10k-images-idx3-ubyte.gz");
    bytes.truncate(16 + n as usize * 784);
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    bytes
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A truncation, one to four byte flips, or both.
fn damage(bytes: &[u8], rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let kind = rng.random_range(0..3);
    if kind != 1 {
        // Truncations favour the header, where the interesting bytes are.
        let cut = if rng.random_bool(0.5) {
            rng.random_range(0..out.len().min(24))
        } else {
            rng.random_range(0..out.len())
        };
        out.truncate(cut);
    }
    if kind != 0 && !out.is_empty() {
        for _ in 0..rng.random_range(1..=4) {
            let i = if rng.random_bool(0.5) {
                rng.random_range(0..out.len().min(16))
            } else {
                rng.random_range(0..out.len())
            };
            out[i] ^= 1 << rng.random_range(0..8);
        }
    }
    out
}

/// Writes each damaged copy to `name` (gzipped when it ends in `.gz`), reads it back through
/// the loader and parses it with `parse`; returns (clean loads, errors).
fn run_cases(
    name: &str,
    original: &[u8],
    seed: u64,
    parse: fn(&[u8], &Path) -> crate::Result<usize>,
) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let gzipped = name.ends_with(".gz");
    let stored = if gzipped {
        gz(original)
    } else {
        original.to_vec()
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut loads, mut errors) = (0, 0);
    for case in 0..CASES_PER_FILE {
        let bytes = damage(&stored, &mut rng);
        std::fs::write(&path, &bytes).unwrap();
        let result =
            std::panic::catch_unwind(|| read_maybe_gz(&path).and_then(|b| parse(&b, &path)));
        match result {
            Err(_) => panic!("{name}, case {case} (seed {seed}): the parser panicked"),
            Ok(Ok(_)) => loads += 1,
            Ok(Err(e)) => {
                let text = e.to_string();
                assert!(
                    text.contains(&path.display().to_string()),
                    "{name}, case {case}: the error does not name the file: {text}"
                );
                errors += 1;
            }
        }
    }
    (loads, errors)
}

fn images(bytes: &[u8], path: &Path) -> crate::Result<usize> {
    parse_images(bytes, path).map(|p| p.len())
}

fn labels(bytes: &[u8], path: &Path) -> crate::Result<usize> {
    parse_labels(bytes, path).map(|l| l.len())
}

#[test]
fn damaged_files_end_in_an_error_naming_the_file_never_a_panic() {
    let image_file = first_images(50);
    let label_file = real("t10k-labels-idx1-ubyte.gz");
    let mut total_errors = 0;
    for (i, (name, bytes, parse)) in [
        (
            "t10k-images-idx3-ubyte",
            &image_file,
            images as fn(&[u8], &Path) -> _,
        ),
        ("t10k-images-idx3-ubyte.gz", &image_file, images),
        ("t10k-labels-idx1-ubyte", &label_file, labels),
        ("t10k-labels-idx1-ubyte.gz", &label_file, labels),
    ]
    .into_iter()
    .enumerate()
    {
        let (loads, errors) = run_cases(name, bytes, 24 + i as u64, parse);
        assert_eq!(loads + errors, CASES_PER_FILE);
        total_errors += errors;
    }
    // Most damage must be caught; a flipped pixel or a label flipped to another digit loads.
    assert!(total_errors > 2 * CASES_PER_FILE, "{total_errors} errors");
}
