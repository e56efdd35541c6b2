//! Where a session's files go. The experiment's data folder holds the raw-data CSVs of
//! completed sessions only, as the paper's R code and model-vs-human read every `.csv` in it
//! as a participant: `<output>/<experiment>/<experiment>_<subject>_session_<n>.csv`. A session
//! writes its CSV in `<output>/_incomplete/<experiment>/` and moves it into the data folder
//! when it completes (the original wrote its file only at the end, so an aborted session left
//! none). The session record, timing log and flip log go to `<output>/_logs/<experiment>/`,
//! and simulated sessions write the same layout below `<output>/_simulated/`; `_` can start no
//! experiment name, so these folders are never an experiment's. Names can never leave the
//! output directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::names::check_name_part;

/// The folder beside the experiments' data folders that holds their logs and records.
pub const LOGS: &str = "_logs";

/// The folder beside the experiments' data folders that holds the CSVs of sessions that have
/// not completed (running, aborted, killed).
pub const INCOMPLETE: &str = "_incomplete";

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
    /// The experiment's data folder (raw-data CSVs of completed sessions only).
    pub folder: PathBuf,
    /// The raw-data CSV once the session has completed.
    pub data: PathBuf,
    /// The folder of the experiment's sessions that have not completed.
    pub incomplete_folder: PathBuf,
    /// The raw-data CSV while the session has not completed.
    pub incomplete: PathBuf,
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
    /// (`<output>/<experiment>/<stem>.csv` or `<output>/_incomplete/<experiment>/<stem>.csv`):
    /// `<output>/_logs/<experiment>/<stem>.*`, or beside the CSV where earlier versions of
    /// shapelab wrote them.
    pub fn of(csv: &Path) -> Option<CompanionFiles> {
        let folder = csv.parent()?;
        let experiment = folder.file_name()?;
        let stem = csv.file_stem()?.to_string_lossy();
        let logs = output_of(folder)?.join(LOGS).join(experiment);
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

/// The output folder of an experiment's data folder or of its folder of incomplete sessions.
fn output_of(folder: &Path) -> Option<&Path> {
    let parent = folder.parent()?;
    if parent.file_name().is_some_and(|n| n == INCOMPLETE) {
        return parent.parent();
    }
    Some(parent)
}

/// The data folder a raw-data CSV belongs to: its own folder, or for a CSV in
/// `<output>/_incomplete/<experiment>/` the experiment's data folder `<output>/<experiment>`.
pub fn data_folder_of(csv: &Path) -> Option<PathBuf> {
    let folder = csv.parent()?;
    Some(output_of(folder)?.join(folder.file_name()?))
}

/// Where the sessions of the data folder `folder` (`<output>/<experiment>`) that have not
/// completed are: `<output>/_incomplete/<experiment>`.
pub fn incomplete_folder_of(folder: &Path) -> Option<PathBuf> {
    Some(folder.parent()?.join(INCOMPLETE).join(folder.file_name()?))
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
        let incomplete_folder = output.join(INCOMPLETE).join(experiment);
        let logs = output.join(LOGS).join(experiment);
        let stem = format!("{experiment}_{subject}_session_{session}");
        Ok(SessionPaths {
            data: folder.join(format!("{stem}.csv")),
            incomplete: incomplete_folder.join(format!("{stem}.csv")),
            incomplete_folder,
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

    /// Creates the data, incomplete-session and log folders (all at the start, so that
    /// completing a session only renames).
    pub fn create_folders(&self) -> Result<()> {
        for (folder, what) in [
            (&self.folder, "create the data folder"),
            (
                &self.incomplete_folder,
                "create the folder of incomplete sessions",
            ),
            (&self.logs, "create the log folder"),
        ] {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, what, e))?;
        }
        Ok(())
    }

    /// Whether any file of this session exists already, complete or not.
    pub fn any_exists(&self) -> bool {
        [&self.data, &self.incomplete, &self.record, &self.timing]
            .iter()
            .any(|p| p.exists())
    }

    /// The raw-data CSV where it is now: in the data folder once the session completed,
    /// else in the folder of incomplete sessions.
    pub fn saved_data(&self) -> &Path {
        if self.data.exists() || !self.incomplete.exists() {
            &self.data
        } else {
            &self.incomplete
        }
    }

    /// Moves the completed session's CSV into the data folder: a rename (one copy at every
    /// moment), then a sync of the data folder and of the folder it left, so that a crash
    /// after this returns finds it in the data folder only. Does nothing when it is there
    /// already; never replaces a file.
    pub fn move_into_data_folder(&self) -> Result<()> {
        move_file(&self.incomplete, &self.data, "move into the data folder")
    }

    /// Moves the CSV of a session that did not complete out of the data folder, where an
    /// earlier version of shapelab wrote it from the first trial on, to the folder of
    /// incomplete sessions; whether it moved.
    pub fn adopt_legacy_incomplete(&self) -> Result<bool> {
        if !self.data.is_file() || self.incomplete.exists() {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.incomplete_folder).map_err(|e| {
            Error::io(
                &self.incomplete_folder,
                "create the folder of incomplete sessions",
                e,
            )
        })?;
        move_file(
            &self.data,
            &self.incomplete,
            "move to the folder of incomplete sessions",
        )?;
        Ok(true)
    }
}

/// Renames `from` to `to` and syncs both folders; nothing to do when `from` is gone and `to`
/// is there (moved before); refuses to replace an existing `to`.
fn move_file(from: &Path, to: &Path, what: &str) -> Result<()> {
    if to.exists() {
        if from.exists() {
            return Err(Error::in_file(
                from,
                format!(
                    "cannot {what}: {} exists and is never replaced",
                    to.display()
                ),
            ));
        }
        return Ok(());
    }
    std::fs::rename(from, to).map_err(|e| Error::io(from, what, e))?;
    // A rename is one step in the file system's journal; the syncs make it durable.
    sync_folder(to)?;
    sync_folder(from)
}

/// Makes the entries of `file`'s folder durable.
fn sync_folder(file: &Path) -> Result<()> {
    let Some(folder) = file.parent() else {
        return Ok(());
    };
    std::fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| Error::io(folder, "sync the folder", e))
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
/// `None` for a code both count as a person and the paper's per-subject plots know. The
/// paper's R code takes a row for a person's when `subj` contains `subject`, model-vs-human
/// when it starts with `subject-`; the R code's per-subject plots know only `subject-01` to
/// `subject-42` (`PARTICIPANTS`, data-analysis-helper.R:188-196).
pub fn subject_code_note(subject: &str) -> Option<String> {
    if let Some(number) = subject.strip_prefix("subject-") {
        let known = number.len() == 2
            && number
                .parse::<u32>()
                .is_ok_and(|n| (1..=PAPERS_PARTICIPANTS).contains(&n));
        return (!known).then(|| {
            format!(
                "subject code '{subject}': the paper's per-subject R code knows only \
                 subject-01 to subject-{PAPERS_PARTICIPANTS} and leaves this participant out of \
                 its per-subject plots (its averages and model-vs-human count them); shapelab's \
                 compare shows them"
            )
        });
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

/// How many participants the paper's R code names for its per-subject plots
/// (`NUM.OVERALL.PARTICIPANTS`).
const PAPERS_PARTICIPANTS: u32 = 42;

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
        assert!(subject_code_note("subject-42").is_none());
        for unknown in [
            "subject-5",
            "subject-001",
            "subject-x",
            "subject-43",
            "subject-00",
        ] {
            let note = subject_code_note(unknown).expect("a note");
            assert!(
                note.contains("knows only subject-01 to subject-42"),
                "{note}"
            );
        }
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
    fn a_session_is_written_outside_the_data_folder_and_moved_in_once_when_complete() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = SessionPaths::new(dir.path(), "e", "s", 1).expect("valid");
        assert_eq!(
            p.incomplete,
            dir.path().join("_incomplete/e/e_s_session_1.csv")
        );
        assert_eq!(data_folder_of(&p.incomplete), Some(p.folder.clone()));
        let companions = CompanionFiles::of(&p.incomplete).expect("a data file");
        assert_eq!(companions.record, p.record);
        p.create_folders().expect("folders");
        std::fs::write(&p.incomplete, "rows").expect("written");
        assert_eq!(p.saved_data(), p.incomplete);
        assert_eq!(next_free_session(dir.path(), "e", "s").expect("ok"), 2);
        p.move_into_data_folder().expect("moved");
        assert!(!p.incomplete.exists());
        assert_eq!(
            std::fs::read_to_string(p.saved_data()).expect("data"),
            "rows"
        );
        p.move_into_data_folder()
            .expect("moved before: nothing to do");
        // Never over another file.
        std::fs::write(&p.incomplete, "other").expect("written");
        let err = p.move_into_data_folder().expect_err("refused");
        assert!(err.to_string().contains("is never replaced"), "{err}");
        assert_eq!(std::fs::read_to_string(&p.data).expect("data"), "rows");
        // An earlier version's unfinished CSV in the data folder moves out only to a free place.
        assert!(!p.adopt_legacy_incomplete().expect("nothing moved"));
        std::fs::remove_file(&p.incomplete).expect("removed");
        assert!(p.adopt_legacy_incomplete().expect("moved"));
        assert!(!p.data.exists() && p.incomplete.exists());
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
