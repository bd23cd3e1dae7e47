//! One error type for everything a notebook cell can get wrong.
//!
//! Every public function that can fail returns [`Result`] rather than panicking: a panic
//! inside an evcxr cell would lose the student's variables, an error only prints its message.

use std::path::PathBuf;

use crate::device::NoGpu;

/// What went wrong, worded so that the message alone tells the student what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file is not where the loader looked.
    #[error(
        "data file not found: {path}\n  looked for `{stem}` or `{stem}.gz` in {dir}.\n  {hint}"
    )]
    MissingFile {
        /// The file looked for first.
        path: PathBuf,
        /// Its name without `.gz`.
        stem: String,
        /// Where the loader looked.
        dir: PathBuf,
        /// How to get the files.
        hint: String,
    },

    /// A data file exists but cannot be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },

    /// A data file was read but its content is not a valid IDX file of the expected kind.
    #[error(
        "{path} is corrupt: {problem}.\n  Restore it from a fresh clone of the repository (data/README.md lists the checksums)."
    )]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A standard data file parsed fine but is not the published file.
    #[error(
        "{path} is not the published file: its SHA-256 is {found}, expected {expected}.\n  Restore it from a fresh clone of the repository, or load it with `verify_checksums: false` if you changed it on purpose."
    )]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The published file's SHA-256.
        expected: String,
        /// This file's SHA-256.
        found: String,
    },

    /// A hyper-parameter that cannot work (batch size 0, learning rate ≤ 0, …).
    #[error("invalid setting: {0}")]
    InvalidConfig(String),

    /// The GPU was asked for and there is none to use.
    #[error("device cuda is not available: no usable NVIDIA GPU ({0}).\n  {advice}", advice = .0.advice())]
    CudaUnavailable(NoGpu),

    /// A device name that is not one.
    #[error("device `{name}` is not available: {reason}")]
    Device {
        /// The device asked for.
        name: String,
        /// Why it cannot be used, and what to do.
        reason: String,
    },

    /// Writing a result file (history, figure) failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },

    /// A folder for results cannot be written into (checked before training starts).
    #[error("cannot write {path}: {source} (choose another folder)")]
    NotWritable {
        /// The file the check tried to write.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },

    /// A chart was asked to be saved under a name that says no format it knows.
    #[error("cannot write {path}: use a file name ending in .png or .svg")]
    UnknownFormat {
        /// The file name given.
        path: PathBuf,
    },

    /// A result could not be turned into JSON.
    #[error("cannot write {what} as JSON: {source}")]
    Json {
        /// What was being written.
        what: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },

    /// A file read back as a history is not one.
    #[error("not a history JSON file: {0}")]
    InvalidHistory(#[source] serde_json::Error),

    /// A chart could not be drawn or encoded.
    #[error("cannot draw the chart: {0}")]
    Plot(String),

    /// The tensor library reported a failure (reading a tensor back, for example).
    #[error("tensor operation failed: {0}")]
    Tensor(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Error::CorruptFile {
            path: path.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// A failure of the tensor library, kept as the cause.
    pub(crate) fn tensor(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Tensor(Box::new(source))
    }
}
