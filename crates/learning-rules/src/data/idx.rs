//! The IDX file format of MNIST: a big-endian header (magic number, one size per dimension)
//! then the bytes, plain or gzipped. Every way a file can be wrong ends in an error that names
//! the file and the problem, never in a panic (a property test feeds it truncations and flips).

use std::io::Read;
use std::path::Path;

use super::{CLASSES, IMAGE_SIDE};
use crate::error::{Error, Result};

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

/// The file's bytes, gunzipped when the name ends in `.gz`.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if path.extension().is_none_or(|ext| ext != "gz") {
        return Ok(raw);
    }
    let mut bytes = Vec::with_capacity(raw.len() * 5);
    flate2::read::GzDecoder::new(raw.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the gzip stream ends early (an interrupted copy or download?)".to_string()
            } else {
                format!("it is not a valid gzip file ({e})")
            };
            Error::corrupt(path, why)
        })?;
    Ok(bytes)
}

/// Reads the big-endian IDX header: magic, then one `u32` per dimension.
fn parse_header(bytes: &[u8], path: &Path, magic: u32, what: &str) -> Result<Vec<usize>> {
    let word = |i: usize| -> Option<u32> {
        bytes
            .get(4 * i..4 * i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let found = word(0).ok_or_else(|| {
        Error::corrupt(
            path,
            format!("{} bytes is too short for an IDX header", bytes.len()),
        )
    })?;
    if found != magic {
        return Err(Error::corrupt(
            path,
            format!("magic number {found} is not {magic}, the IDX magic of {what} files"),
        ));
    }
    let ndim = (magic & 0xff) as usize;
    let dims: Option<Vec<usize>> = (1..=ndim).map(|i| word(i).map(|d| d as usize)).collect();
    let dims = dims.ok_or_else(|| Error::corrupt(path, "the IDX header is cut short"))?;
    let expected_len = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .and_then(|n| n.checked_add(4 * (ndim + 1)))
        .ok_or_else(|| {
            Error::corrupt(
                path,
                format!("the header announces impossible sizes {dims:?}"),
            )
        })?;
    if bytes.len() != expected_len {
        let how = if bytes.len() < expected_len {
            "truncated"
        } else {
            "too long"
        };
        return Err(Error::corrupt(
            path,
            format!(
                "it is {how}: the header announces {dims:?} ({expected_len} bytes in all) but the file has {} bytes",
                bytes.len()
            ),
        ));
    }
    Ok(dims)
}

/// Pixels of an IDX image file (`magic 2051`, `n × 28 × 28` bytes), the bytes as stored: the
/// network reads each as `b / 255` ([`super::pixel_value`]).
pub(crate) fn parse_images(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let dims = parse_header(bytes, path, IMAGES_MAGIC, "image")?;
    if dims[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
        return Err(Error::corrupt(
            path,
            format!("images are {}×{}, not 28×28", dims[1], dims[2]),
        ));
    }
    Ok(bytes[16..].to_vec())
}

/// Labels of an IDX label file (`magic 2049`), each 0–9.
pub(crate) fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    parse_header(bytes, path, LABELS_MAGIC, "label")?;
    let labels = &bytes[8..];
    if let Some(i) = labels.iter().position(|&l| usize::from(l) >= CLASSES) {
        return Err(Error::corrupt(
            path,
            format!("label {i} is {}, outside 0–9", labels[i]),
        ));
    }
    Ok(labels.to_vec())
}
