//! The one error type of shapelab: a single line a user can act on.

use std::fmt;
use std::path::Path;

/// A user-facing error: one line that names the file and, where there is one, the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

/// Shorthand for results whose error is an [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a message that already says where it happened.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// An error about a file as a whole: `path: message`.
    pub fn in_file(path: &Path, message: impl fmt::Display) -> Self {
        Error::new(format!("{}: {}", path.display(), message))
    }

    /// An error at a line of a file: `path:line: message`.
    pub fn at_line(path: &Path, line: usize, message: impl fmt::Display) -> Self {
        Error::new(format!("{}:{}: {}", path.display(), line, message))
    }

    /// An I/O failure on a file, phrased as what was being done.
    pub fn io(path: &Path, doing: &str, err: std::io::Error) -> Self {
        Error::new(format!("{}: cannot {}: {}", path.display(), doing, err))
    }

    /// The message, without a trailing newline.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
