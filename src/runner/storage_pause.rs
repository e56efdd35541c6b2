//! A session whose data cannot be written: the message the experimenter reads while the
//! session waits, and ending it without losing a row.

use std::time::Instant;

use crate::data::{Recorder, STORAGE_RETRY};
use crate::error::Error;

/// Why data cannot be written now, and what waits in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFault {
    /// The error, naming the file.
    pub error: String,
    /// What is kept in memory, in the lab's words.
    pub kept: String,
}

/// A session waiting until its data can be written.
#[derive(Debug, Clone)]
pub struct StoragePause {
    fault: StorageFault,
    trial: usize,
    since: Instant,
}

impl StoragePause {
    /// A pause that began at `trial` (1-based) because of `fault`.
    pub fn new(fault: StorageFault, trial: usize) -> StoragePause {
        StoragePause {
            fault,
            trial,
            since: Instant::now(),
        }
    }

    /// The fault waited out.
    pub fn fault(&self) -> &StorageFault {
        &self.fault
    }

    /// Follows the writer's latest word on the fault (what is kept in memory may shrink).
    pub fn update(&mut self, fault: StorageFault) {
        self.fault = fault;
    }

    /// What the experimenter reads on the screen while the session waits.
    pub fn message(&self) -> String {
        format!(
            "DATA CANNOT BE SAVED: the session is paused.\n\n{}\n\n\
             Kept in memory: {}. Everything saved before is intact.\n\
             Free disk space or fix the data folder: shapelab retries every {} s \
             (Enter: retry now).\n\
             Escape: end the session (continue it later with --resume).",
            self.fault.error,
            self.fault.kept,
            STORAGE_RETRY.as_secs_f64()
        )
    }

    /// The note for the session record once the data is saved again.
    pub fn resolved(&self) -> String {
        format!(
            "storage fault at trial {}: {}; saved again after {:.1} s",
            self.trial,
            self.fault.error,
            self.since.elapsed().as_secs_f64()
        )
    }
}

/// Ends a session whose data cannot be written: unsaved raw-data rows go to the console so
/// that nothing is lost, and the error says what was not saved and how to continue.
pub fn end_unsaved(recorder: &Recorder, fault: &str) -> Error {
    let rows = recorder.unsaved_rows();
    if !rows.is_empty() {
        eprintln!("rows not saved ({}):", rows.len());
        for row in &rows {
            eprint!("{row}");
        }
    }
    Error::new(format!(
        "{fault}; the session was ended without saving {}{}; continue it with --resume once \
         the data folder can be written",
        recorder.kept_in_memory(),
        if rows.is_empty() {
            ""
        } else {
            " (the rows are printed above)"
        }
    ))
}
