//! How far an existing session got, from its files: the record's status and the data file's
//! complete rows. The launcher offers to resume an unfinished session with it, and says what
//! a session that ended badly saved.

use super::paths::SessionPaths;
use super::record::{SessionRecord, Status};
use crate::error::{Error, Result};

/// An existing session's state.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The session record.
    pub record: SessionRecord,
    /// Complete rows in the data file (a line cut off by a crash does not count).
    pub rows: usize,
}

impl Progress {
    /// Reads a session's record and counts its data rows.
    pub fn read(paths: &SessionPaths) -> Result<Progress> {
        let record = SessionRecord::read(&paths.record)?;
        let data = paths.saved_data();
        let rows = match std::fs::read(data) {
            Ok(bytes) => bytes
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                .saturating_sub(1),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(Error::io(data, "read", e)),
        };
        Ok(Progress { record, rows })
    }

    /// Whether trials are left to run (`--resume` continues it).
    pub fn unfinished(&self) -> bool {
        self.record.status != Status::Completed && self.rows < self.record.trials_planned
    }

    /// How the session stands; a record still `running` while no process runs it means the
    /// run was killed or crashed.
    pub fn status(&self) -> Status {
        match self.record.status {
            Status::Running => Status::Interrupted,
            status => status,
        }
    }

    /// A line for the experimenter, e.g. `aborted after 12 of 48 trials; resuming shows trial
    /// 13 next, after the start screen`.
    pub fn describe(&self) -> String {
        let planned = self.record.trials_planned;
        let mut line = format!(
            "{} after {} of {planned} trials",
            self.status().word(),
            self.rows
        );
        if self.unfinished() {
            line.push_str(&format!(
                "; resuming shows trial {} next, after the start screen",
                self.rows + 1
            ));
        }
        line
    }
}
