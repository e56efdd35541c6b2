//! An append-only text file in which every line is on disk before `append` returns, a line
//! half-written by a failed write is cut off before the next one, and a line half-written by a
//! crash is cut off when the file is continued.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An append-only, line-synced file.
#[derive(Debug)]
pub struct SyncedFile {
    file: File,
    path: PathBuf,
    /// Bytes of complete, synced lines.
    len: u64,
    /// A write failed and may have left part of a line after `len`.
    torn: bool,
}

impl SyncedFile {
    /// Creates a new file starting with `header`; refuses to touch an existing file.
    pub fn create(path: &Path, header: &str) -> Result<SyncedFile> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, "create the file", e))?;
        let mut synced = SyncedFile {
            file,
            path: path.to_path_buf(),
            len: 0,
            torn: false,
        };
        synced.append(&format!("{header}\n"))?;
        sync_parent(path);
        Ok(synced)
    }

    /// Opens an existing file to continue it, after cutting off a last line without its
    /// newline; returns the file and its complete text.
    pub fn resume(path: &Path) -> Result<(SyncedFile, String)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, "open the file to continue it", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, "read the file", e))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < bytes.len() {
            file.set_len(complete as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(path, "cut off a half-written last line", e))?;
        }
        bytes.truncate(complete);
        file.seek(SeekFrom::End(0))
            .map_err(|e| Error::io(path, "seek to the end", e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::in_file(path, "the file is not UTF-8 text"))?;
        Ok((
            SyncedFile {
                file,
                path: path.to_path_buf(),
                len: complete as u64,
                torn: false,
            },
            text,
        ))
    }

    /// Writes one whole line (with its newline), then flushes and syncs it. When that fails
    /// (disk full, device gone), whatever part of the line reached the file is cut off before
    /// the next attempt, so the file only ever holds complete lines.
    pub fn append(&mut self, line: &str) -> Result<()> {
        if self.torn {
            self.cut_torn_line()
                .map_err(|e| Error::io(&self.path, "cut off a half-written row", e))?;
        }
        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.torn = true;
                // At once if possible, so that the file is clean while the session waits.
                let _ = self.cut_torn_line();
                Err(Error::io(&self.path, "write a row", e))
            }
        }
    }

    fn cut_torn_line(&mut self) -> std::io::Result<()> {
        self.file.set_len(self.len)?;
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.sync_data()?;
        self.torn = false;
        Ok(())
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes a new directory entry durable; best effort, as not every file system supports it.
pub fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

/// Replaces a file's content atomically: a crash leaves either the old or the new content.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let written = File::create(&temp)
        .and_then(|mut f| f.write_all(content).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    written.map_err(|e| Error::io(path, "write", e))?;
    sync_parent(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_written_last_line_is_cut_off_when_continuing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "h\n1\n2,hal").expect("written");
        let (mut file, text) = SyncedFile::resume(&path).expect("resumable");
        assert_eq!(text, "h\n1\n");
        file.append("2\n").expect("written");
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            "h\n1\n2\n"
        );
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "precious").expect("written");
        let err = SyncedFile::create(&path, "h").expect_err("must refuse");
        assert!(err.to_string().contains("cannot create the file"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            "precious"
        );
    }

    #[test]
    fn atomic_writes_replace_the_whole_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.json");
        write_atomically(&path, b"old, longer").expect("written");
        write_atomically(&path, b"new").expect("written");
        assert_eq!(std::fs::read(&path).expect("readable"), b"new");
        assert!(!dir.path().join("r.json.tmp").exists());
    }
}
