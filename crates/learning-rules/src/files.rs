//! Where result files (histories, charts, tables, weights) are written: all through
//! [`write_file`], so that a failure names the file and a run killed mid-write leaves the
//! previous version, never half a file.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `contents` to `path`, creating its folder first. The bytes go to a temporary file
/// that is then renamed over `path`.
pub fn write_file(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Result<PathBuf> {
    let path = path.as_ref();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, contents)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            Error::write(path, e)
        })?;
    Ok(path.to_path_buf())
}

/// Makes `dir` and writes a file into it, so that a run never trains for minutes only to find
/// it cannot save; the error names the file and says to choose another folder.
pub fn check_writable(dir: impl AsRef<Path>) -> Result<()> {
    let probe = dir.as_ref().join(".learning-rules-write-test");
    std::fs::create_dir_all(dir.as_ref())
        .and_then(|()| std::fs::write(&probe, b""))
        .map_err(|source| Error::NotWritable {
            path: probe.clone(),
            source,
        })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}
