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

    /// An error about a file as a whole: `path: message`, on one line.
    pub fn in_file(path: &Path, message: impl fmt::Display) -> Self {
        Error::new(one_line(&format!("{}: {}", path.display(), message)))
    }

    /// An error at a line of a file: `path:line: message`, on one line.
    pub fn at_line(path: &Path, line: usize, message: impl fmt::Display) -> Self {
        Error::new(one_line(&format!(
            "{}:{}: {}",
            path.display(),
            line,
            message
        )))
    }

    /// An I/O failure on a file, phrased as what was being done.
    pub fn io(path: &Path, doing: &str, err: std::io::Error) -> Self {
        Error::in_file(path, format!("cannot {doing}: {err}"))
    }

    /// The message, without a trailing newline.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `text` with control characters escaped (`\n` for a line break): values quoted from a file
/// (a CSV field, a YAML key) may hold line breaks, and an error must stay on one line.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_at_a_line_stays_on_one_line_whatever_it_quotes() {
        let err = Error::at_line(Path::new("a.csv"), 2, "unknown category 'b\nc\t'");
        assert_eq!(err.message(), "a.csv:2: unknown category 'b\\nc\\t'");
        let err = Error::in_file(Path::new("odd\nname.csv"), "is empty");
        assert_eq!(err.message(), "odd\\nname.csv: is empty");
    }
}
