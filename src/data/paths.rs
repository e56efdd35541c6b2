//! Where a session's files go: `<output>/<experiment>/<experiment>_<subject>_session_<n>.csv`
//! and its companions, with names that can never leave the output directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::names::check_name_part;

/// The files of one subject's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPaths {
    /// The experiment's data folder.
    pub folder: PathBuf,
    /// The raw-data CSV.
    pub data: PathBuf,
    /// The session record (JSON).
    pub record: PathBuf,
    /// The per-trial timing log (CSV).
    pub timing: PathBuf,
    /// Every display flip of an on-screen session (CSV).
    pub flips: PathBuf,
}

/// Checks a subject code given on the command line or in the launcher.
pub fn check_subject(subject: &str) -> Result<()> {
    check_name_part(subject).map_err(|e| Error::new(format!("subject code: {e}")))
}

impl SessionPaths {
    /// The paths of a session; refuses unsafe experiment names and subject codes.
    pub fn new(output: &Path, experiment: &str, subject: &str, session: u32) -> Result<Self> {
        check_name_part(experiment).map_err(|e| Error::new(format!("experiment name: {e}")))?;
        check_subject(subject)?;
        if session == 0 {
            return Err(Error::new("session number: must be 1 or more"));
        }
        let folder = output.join(experiment);
        let stem = format!("{experiment}_{subject}_session_{session}");
        Ok(SessionPaths {
            data: folder.join(format!("{stem}.csv")),
            record: folder.join(format!("{stem}.session.json")),
            timing: folder.join(format!("{stem}.timing.csv")),
            flips: folder.join(format!("{stem}.flips.csv")),
            folder,
        })
    }

    /// Whether any file of this session exists already.
    pub fn any_exists(&self) -> bool {
        [&self.data, &self.record, &self.timing]
            .iter()
            .any(|p| p.exists())
    }
}

/// The first session number of a subject that has no files yet.
pub fn next_free_session(output: &Path, experiment: &str, subject: &str) -> Result<u32> {
    for session in 1..=u32::MAX {
        if !SessionPaths::new(output, experiment, subject, session)?.any_exists() {
            return Ok(session);
        }
    }
    Err(Error::new("no free session number"))
}

/// The highest session number of a subject that has a data file, if any.
pub fn last_session(output: &Path, experiment: &str, subject: &str) -> Result<Option<u32>> {
    let next = next_free_session(output, experiment, subject)?;
    Ok((next > 1).then_some(next - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_follows_the_lab_convention() {
        let p = SessionPaths::new(Path::new("raw-data"), "exp", "subject-01", 2).expect("valid");
        assert_eq!(
            p.data,
            Path::new("raw-data/exp/exp_subject-01_session_2.csv")
        );
        assert_eq!(
            p.record,
            Path::new("raw-data/exp/exp_subject-01_session_2.session.json")
        );
        assert_eq!(
            p.timing,
            Path::new("raw-data/exp/exp_subject-01_session_2.timing.csv")
        );
    }

    #[test]
    fn names_that_would_leave_the_output_folder_are_refused() {
        for subject in ["../x", "a/b", "", "..", "a\u{7}"] {
            assert!(
                SessionPaths::new(Path::new("out"), "exp", subject, 1).is_err(),
                "{subject:?}"
            );
        }
        assert!(SessionPaths::new(Path::new("out"), "../exp", "s", 1).is_err());
        assert!(SessionPaths::new(Path::new("out"), "exp", "s", 0).is_err());
    }

    #[test]
    fn the_next_free_session_skips_existing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(next_free_session(dir.path(), "e", "s").expect("ok"), 1);
        assert_eq!(last_session(dir.path(), "e", "s").expect("ok"), None);
        let p = SessionPaths::new(dir.path(), "e", "s", 1).expect("valid");
        std::fs::create_dir_all(&p.folder).expect("folder");
        std::fs::write(&p.data, "x").expect("written");
        assert_eq!(next_free_session(dir.path(), "e", "s").expect("ok"), 2);
        assert_eq!(last_session(dir.path(), "e", "s").expect("ok"), Some(1));
    }
}
