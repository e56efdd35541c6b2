//! Which raw-data CSVs are completed sessions. A session's CSV stays in
//! `<output>/_incomplete/<experiment>/` until it completes; an earlier shapelab wrote it into
//! the data folder from its first trial on, and its record then says it did not complete.
//! `compare` leaves unfinished sessions out unless asked, and names each one.

use std::path::{Path, PathBuf};

use crate::data::paths::{incomplete_folder_of, CompanionFiles, INCOMPLETE, LOGS, SIMULATED};
use crate::data::record::{SessionRecord, Status};
use crate::error::{Error, Result};

/// The raw-data CSVs to read, and what was done with the unfinished sessions.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The files to read, sorted.
    pub files: Vec<PathBuf>,
    /// One line per unfinished session: left out, or included when asked.
    pub notes: Vec<String>,
}

/// Every raw-data CSV under the paths: files as given, folders recursively (not their `_logs`
/// and `_simulated` folders: give a `_simulated` folder itself to read simulated sessions),
/// and for a data folder `<output>/<experiment>` also `<output>/_incomplete/<experiment>`.
/// Session timing and flip logs (`*.timing.csv`, `*.flips.csv`) are not raw data. Sessions
/// that have not completed are left out unless `include_incomplete`; either way a note names
/// each.
pub fn find_data(paths: &[PathBuf], include_incomplete: bool) -> Result<Found> {
    let mut all = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut all)?;
            if let Some(beside) = incomplete_folder_of(path).filter(|f| f.is_dir()) {
                walk(&beside, &mut all)?;
            }
        } else if path.is_file() {
            all.push(path.clone());
        } else {
            return Err(Error::in_file(path, "no such file or folder"));
        }
    }
    // A file given twice, under any spelling (`raw-data` and `./raw-data/exp/x.csv`), is read
    // once: read twice it would be a second observer.
    all.sort();
    let mut seen = std::collections::HashSet::new();
    all.retain(|file| seen.insert(file.canonicalize().unwrap_or_else(|_| file.clone())));
    let mut found = Found::default();
    for file in all {
        match unfinished(&file) {
            None => found.files.push(file),
            Some(state) if include_incomplete => {
                found.notes.push(format!(
                    "included the unfinished session {}: {state} (--include-incomplete)",
                    file.display()
                ));
                found.files.push(file);
            }
            Some(state) => found.notes.push(format!(
                "left out the unfinished session {}: {state} (--include-incomplete uses it)",
                file.display()
            )),
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list the folder", e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(dir, "list the folder", e))?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            if name != LOGS && name != SIMULATED {
                walk(&path, found)?;
            }
        } else if name.ends_with(".csv")
            && !name.ends_with(".timing.csv")
            && !name.ends_with(".flips.csv")
        {
            found.push(path);
        }
    }
    Ok(())
}

/// How far a session that has not completed got, e.g. `session 1 of subject-03 aborted after
/// 4 of 48 trials`; `None` for a completed session or a file shapelab did not write.
pub fn unfinished(csv: &Path) -> Option<String> {
    let in_incomplete = csv
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|n| n == INCOMPLETE);
    let record = CompanionFiles::of(csv)
        .filter(|files| files.record.is_file())
        .and_then(|files| SessionRecord::read(&files.record).ok());
    match record {
        Some(r) if in_incomplete && r.status == Status::Completed => Some(format!(
            "{}, but it was not moved into the data folder (run --resume moves it)",
            progress(&r)
        )),
        Some(r) if in_incomplete => Some(progress(&r)),
        None if in_incomplete => Some("a session that has not completed (no record)".into()),
        Some(r) if r.status != Status::Completed => Some(format!(
            "{}; an earlier shapelab wrote it into the data folder (run --resume moves it out)",
            progress(&r)
        )),
        _ => None,
    }
}

fn progress(record: &SessionRecord) -> String {
    let how = match record.status {
        Status::Running => "interrupted (killed, crashed or still running)",
        status => status.word(),
    };
    format!(
        "session {} of {} {how} after {} of {} trials",
        record.session, record.subject, record.trials_done, record.trials_planned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_given_under_two_spellings_is_read_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("exp");
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join("exp_subject-01_session_1.csv"), "subj\n").expect("written");
        let again = dir.path().join("./exp/../exp/exp_subject-01_session_1.csv");
        let found = find_data(&[folder, again], false).expect("found");
        assert_eq!(found.files.len(), 1, "{:?}", found.files);
    }
}
