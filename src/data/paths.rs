//! Where a session's files go. The experiment's data folder holds raw-data CSVs only, as the
//! paper's R code and model-vs-human read every `.csv` in it:
//! `<output>/<experiment>/<experiment>_<subject>_session_<n>.csv`. The session record, timing
//! log and flip log go to `<output>/_logs/<experiment>/`, and simulated sessions write the same
//! layout below `<output>/_simulated/`; `_` can start no experiment name, so these folders are
//! never an experiment's. Names can never leave the output directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::names::check_name_part;

/// The folder beside the experiments' data folders that holds their logs and records.
pub const LOGS: &str = "_logs";

/// The folder below the output folder that holds simulated sessions.
pub const SIMULATED: &str = "_simulated";

/// The prefix of a simulated participant's `subj`, which never contains `subject`: the paper's
/// R code counts a row as a person's when `subj` contains `subject`, model-vs-human when it
/// starts with `subject-`.
pub const SIMULATED_PREFIX: &str = "simulated-";

/// Where a simulated participant's sessions go and the `subj` they carry: below
/// `<output>/_simulated/`, as `simulated-<subject>` with `subject` spelled `subj`
/// (`subject-05` becomes `simulated-subj-05`), so that they never use up a participant's
/// session number or pass as a person's data in either reference analysis.
pub fn simulated(output: &Path, subject: &str) -> (PathBuf, String) {
    let code = subject.strip_prefix(SIMULATED_PREFIX).unwrap_or(subject);
    let subj = format!("{SIMULATED_PREFIX}{}", code.replace("subject", "subj"));
    (output.join(SIMULATED), subj)
}

/// Checks a participant's code: a safe name part, not one kept for simulated participants.
pub fn check_person_code(subject: &str) -> Result<()> {
    check_subject(subject)?;
    if subject.starts_with(SIMULATED_PREFIX) {
        return Err(Error::new(format!(
            "subject code: '{subject}' starts with '{SIMULATED_PREFIX}', which marks simulated \
             participants; choose another code"
        )));
    }
    Ok(())
}

/// The files of one subject's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPaths {
    /// The experiment's data folder (raw-data CSVs only).
    pub folder: PathBuf,
    /// The raw-data CSV.
    pub data: PathBuf,
    /// The folder of the experiment's records and logs.
    pub logs: PathBuf,
    /// The session record (JSON).
    pub record: PathBuf,
    /// The per-trial timing log (CSV).
    pub timing: PathBuf,
    /// Every display flip of the first run of an on-screen session (CSV); see
    /// [`SessionPaths::flips_of_run`] for the runs after it.
    pub flips: PathBuf,
}

/// The record and logs that belong to a raw-data CSV written by shapelab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanionFiles {
    /// The session record (JSON).
    pub record: PathBuf,
    /// The per-trial timing log (CSV).
    pub timing: PathBuf,
}

impl CompanionFiles {
    /// Where shapelab keeps the record and timing log of `csv`
    /// (`<output>/<experiment>/<stem>.csv`): `<output>/_logs/<experiment>/<stem>.*`, or beside
    /// the CSV where earlier versions of shapelab wrote them.
    pub fn of(csv: &Path) -> Option<CompanionFiles> {
        let folder = csv.parent()?;
        let experiment = folder.file_name()?;
        let stem = csv.file_stem()?.to_string_lossy();
        let logs = folder.parent()?.join(LOGS).join(experiment);
        let companions = |dir: &Path| CompanionFiles {
            record: dir.join(format!("{stem}.session.json")),
            timing: dir.join(format!("{stem}.timing.csv")),
        };
        let current = companions(&logs);
        let legacy = companions(folder);
        Some(if !current.record.exists() && legacy.record.exists() {
            legacy
        } else {
            current
        })
    }
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
        let logs = output.join(LOGS).join(experiment);
        let stem = format!("{experiment}_{subject}_session_{session}");
        Ok(SessionPaths {
            data: folder.join(format!("{stem}.csv")),
            record: logs.join(format!("{stem}.session.json")),
            timing: logs.join(format!("{stem}.timing.csv")),
            flips: logs.join(format!("{stem}.flips.csv")),
            folder,
            logs,
        })
    }

    /// Moves the record and logs of a session written by an earlier version (beside the
    /// CSV, where the reference analyses would read the timing log as data) to the log folder;
    /// returns what was moved.
    pub fn adopt_legacy_logs(&self) -> Result<Vec<PathBuf>> {
        let mut moved = Vec::new();
        for target in [&self.record, &self.timing, &self.flips] {
            let Some(name) = target.file_name() else {
                continue;
            };
            let legacy = self.folder.join(name);
            if legacy.is_file() && !target.exists() {
                std::fs::create_dir_all(&self.logs)
                    .map_err(|e| Error::io(&self.logs, "create the log folder", e))?;
                std::fs::rename(&legacy, target)
                    .map_err(|e| Error::io(&legacy, "move to the log folder", e))?;
                moved.push(target.clone());
            }
        }
        Ok(moved)
    }

    /// The flip log of run `run` (1 for the first start; each resume adds one):
    /// `<stem>.flips.csv` for the first, `<stem>.run-N.flips.csv` after, so that a resumed run
    /// never overwrites the frames of the run before it.
    pub fn flips_of_run(&self, run: usize) -> PathBuf {
        if run <= 1 {
            return self.flips.clone();
        }
        let name = self.flips.file_name().map(|n| n.to_string_lossy());
        let stem = name.as_deref().and_then(|n| n.strip_suffix(".flips.csv"));
        self.logs
            .join(format!("{}.run-{run}.flips.csv", stem.unwrap_or_default()))
    }

    /// Creates the data and log folders.
    pub fn create_folders(&self) -> Result<()> {
        for (folder, what) in [
            (&self.folder, "create the data folder"),
            (&self.logs, "create the log folder"),
        ] {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, what, e))?;
        }
        Ok(())
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

/// The first code `subject-NN` (two digits at least) without a session in the experiment:
/// the code the paper's R code and model-vs-human count as a person.
pub fn next_free_subject(output: &Path, experiment: &str) -> Result<String> {
    for n in 1..=u32::MAX {
        let subject = format!("subject-{n:02}");
        if next_free_session(output, experiment, &subject)? == 1 {
            return Ok(subject);
        }
    }
    Err(Error::new("no free subject code"))
}

/// What the reference analyses make of a participant's code, to tell the experimenter;
/// `None` for a code both count as a person. The paper's R code takes a row for a person's
/// when `subj` contains `subject`, model-vs-human when it starts with `subject-`.
pub fn subject_code_note(subject: &str) -> Option<String> {
    if subject.starts_with("subject-") {
        return None;
    }
    let verdict = if subject.contains("subject") {
        "model-vs-human will count its rows as a model's (the paper's R code, which looks for \
         'subject' anywhere, as a person's)"
    } else {
        "the paper's R code and model-vs-human will count its rows as a model's, not a person's"
    };
    Some(format!(
        "subject code '{subject}' does not start with 'subject-': {verdict}; shapelab's compare \
         still knows it is a person from the session record"
    ))
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
            Path::new("raw-data/_logs/exp/exp_subject-01_session_2.session.json")
        );
        assert_eq!(
            p.timing,
            Path::new("raw-data/_logs/exp/exp_subject-01_session_2.timing.csv")
        );
        let companions = CompanionFiles::of(&p.data).expect("a data file");
        assert_eq!((companions.record, companions.timing), (p.record, p.timing));
    }

    #[test]
    fn the_next_free_subject_code_is_the_first_subject_nn_without_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            next_free_subject(dir.path(), "e").expect("ok"),
            "subject-01"
        );
        for subject in ["subject-01", "subject-02", "P03"] {
            let p = SessionPaths::new(dir.path(), "e", subject, 1).expect("valid");
            p.create_folders().expect("folders");
            std::fs::write(&p.data, "x").expect("written");
        }
        assert_eq!(
            next_free_subject(dir.path(), "e").expect("ok"),
            "subject-03"
        );
        assert!(subject_code_note("subject-03").is_none());
        let note = subject_code_note("P01").expect("a note");
        assert!(note.contains("R code and model-vs-human will count its rows as a model's"));
        let note = subject_code_note("subject03").expect("a note");
        assert!(note.contains("model-vs-human will count its rows as a model's (the paper's R"));
    }

    #[test]
    fn a_simulated_code_never_contains_subject_and_is_no_persons_code() {
        let out = Path::new("out");
        let (folder, subj) = simulated(out, "subject-05");
        assert_eq!(
            (folder.as_path(), subj.as_str()),
            (Path::new("out/_simulated"), "simulated-subj-05")
        );
        assert_eq!(simulated(out, "simulated-x").1, "simulated-x");
        assert!(check_person_code("simulated-x").is_err());
        assert!(check_person_code("P01").is_ok());
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
        p.create_folders().expect("folders");
        std::fs::write(&p.data, "x").expect("written");
        assert_eq!(next_free_session(dir.path(), "e", "s").expect("ok"), 2);
        assert_eq!(last_session(dir.path(), "e", "s").expect("ok"), Some(1));
    }
}
