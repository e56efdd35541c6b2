//! Loading raw-data CSVs from files and folders and grouping their rows into observers: one
//! person or model, in one experiment, from one source folder.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::same_code::{Identity, Observers};
use crate::data::paths::{data_folder_of, CompanionFiles, SIMULATED_PREFIX};
use crate::data::raw::{parse_rows, RawRow};
use crate::data::record::{SessionRecord, TimingMode};
use crate::data::timing::disturbed_trials;
use crate::error::{Error, Result};

/// The label of pooled humans in every table.
pub const HUMANS: &str = "humans";

/// One observer's trials.
#[derive(Debug, Clone)]
pub struct Observer {
    /// The experiment, e.g. `style-transfer-512-nomask-experiment`.
    pub experiment: String,
    /// The `subj` code, e.g. `subject-01` or `alexnet`.
    pub subj: String,
    /// The folder the files came from (keeps same-named models of different origin apart).
    pub source: String,
    /// A label unique within the experiment: `subj`, or `subj [source]` when two sources share it.
    pub label: String,
    /// All rows, from all of the observer's sessions.
    pub rows: Vec<RawRow>,
    /// A person, a model or a simulated participant.
    pub kind: Kind,
    /// Trials left out because their timing log marks them as disturbed.
    pub left_out: usize,
}

/// Who an observer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A participant: a shapelab session record says so, or the code is `subject-NN` (the
    /// rule of the paper's R code and of model-vs-human).
    Person,
    /// An image classifier, or any other code without a session record.
    Model,
    /// shapelab's simulated participant: never counted as a person.
    Simulated,
}

impl Kind {
    /// The kind of a `subj` without a session record, by the reference analyses' rule.
    pub fn of_code(subj: &str) -> Kind {
        if subj.starts_with(SIMULATED_PREFIX) {
            Kind::Simulated
        } else if subj.starts_with("subject-") {
            Kind::Person
        } else {
            Kind::Model
        }
    }

    /// `human`, `model` or `simulated`, as tables name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Person => "human",
            Kind::Model => "model",
            Kind::Simulated => "simulated",
        }
    }
}

impl Observer {
    /// Whether the observer is a person.
    pub fn is_human(&self) -> bool {
        self.kind == Kind::Person
    }
}

/// How files are read into observers.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Skip malformed files and duplicate trials with a warning instead of stopping.
    pub lenient: bool,
    /// Leave out the trials that shapelab's timing logs mark as disturbed.
    pub leave_out_disturbed: bool,
}

/// What shapelab's record and timing log say of one raw-data file.
#[derive(Debug, Default)]
struct Companions {
    /// The subject of the session record and whether it was simulated.
    record: Option<(String, bool)>,
    /// Disturbed trial numbers, when asked for and logged.
    disturbed: HashSet<usize>,
    /// Whether a timing log was found.
    timed: bool,
    /// A record or log that could not be read: the rows are used without it.
    unreadable: Option<String>,
}

fn companions(path: &Path, leave_out_disturbed: bool) -> Companions {
    let mut found = Companions::default();
    let Some(files) = CompanionFiles::of(path) else {
        return found;
    };
    if files.record.is_file() {
        match SessionRecord::read(&files.record) {
            Ok(record) => {
                let simulated = record
                    .runs
                    .iter()
                    .any(|r| r.display.timing == TimingMode::Simulated);
                found.record = Some((record.subject, simulated));
            }
            Err(e) => found.unreadable = Some(format!("{e}; its rows are used as they are")),
        }
    }
    if leave_out_disturbed && files.timing.is_file() {
        match disturbed_trials(&files.timing) {
            Ok(disturbed) => {
                found.disturbed = disturbed.into_keys().collect();
                found.timed = true;
            }
            Err(e) => found.unreadable = Some(format!("{e}; no trial of it is left out")),
        }
    }
    found
}

/// What loading found besides the observers.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Files read.
    pub files: usize,
    /// Rows read.
    pub rows: usize,
    /// Problems skipped with `--lenient`, one line each.
    pub warnings: Vec<String>,
    /// What the reader could not use of shapelab's records and logs, one line each.
    pub notes: Vec<String>,
}

/// Every raw-data CSV of a completed session under the paths (see
/// [`super::unfinished::find_data`], which also names the sessions left out).
pub fn find_csvs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    Ok(super::unfinished::find_data(paths, false)?.files)
}

/// The experiment a file belongs to: its folder's name without `-trained-CNNs` when that names
/// an experiment (the paper's folders and shapelab's own), else the file name before its first `_`.
pub fn experiment_of(path: &Path) -> String {
    let folder = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = folder.strip_suffix("-trained-CNNs").unwrap_or(&folder);
    if folder.ends_with("experiment") {
        return folder.to_string();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('_').next().unwrap_or(&name).to_string()
}

/// The data folder of a file (for a session not yet completed, the one it will join), as
/// one path for every spelling of it.
fn folder_of(path: &Path) -> PathBuf {
    let folder = data_folder_of(path).unwrap_or_else(|| PathBuf::from("."));
    std::fs::canonicalize(&folder).unwrap_or(folder)
}

fn source_of(folder: &Path) -> String {
    folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into())
}

/// Reads the files (in parallel) and groups rows into observers, sorted by experiment and label.
///
/// Malformed files, and duplicate trials within an observer's session, are errors naming the
/// file and line; with `lenient` they are skipped with a warning each.
pub fn load(files: &[PathBuf], lenient: bool) -> Result<(Vec<Observer>, LoadReport)> {
    load_with(
        files,
        LoadOptions {
            lenient,
            ..LoadOptions::default()
        },
    )
}

/// [`load`], also reading shapelab's session records (a person is a person whatever the code,
/// a simulated participant never is) and, when asked, leaving out disturbed trials.
pub fn load_with(files: &[PathBuf], options: LoadOptions) -> Result<(Vec<Observer>, LoadReport)> {
    let lenient = options.lenient;
    let results = crate::parallel::map(files, |path| {
        let companions = companions(path, options.leave_out_disturbed);
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "read", e))
            .and_then(|text| parse_rows(path, &text))
            .and_then(|rows| drop_duplicates(path, rows, lenient))
            .map(|rows| (rows, companions))
    });
    let parsed = files.iter().zip(results).map(|(path, rows)| {
        let rows = rows
            .unwrap_or_else(|| Err(Error::in_file(path, "the CSV reader crashed on this file")));
        (path.clone(), rows)
    });
    let mut report = LoadReport::default();
    let mut groups: BTreeMap<Identity, Vec<RawRow>> = BTreeMap::new();
    let mut kinds: HashMap<Identity, Kind> = HashMap::new();
    let mut left_out: HashMap<Identity, usize> = HashMap::new();
    let mut same_code = Observers::default();
    let mut untimed = 0;
    for (path, rows) in parsed {
        let ((mut rows, dropped), companions) = match rows {
            Ok(rows) => rows,
            Err(e) if lenient => {
                report.warnings.push(e.to_string());
                continue;
            }
            Err(e) => return Err(e),
        };
        if dropped > 0 {
            report.warnings.push(format!(
                "{}: {dropped} duplicate trials skipped",
                path.display()
            ));
        }
        report.files += 1;
        report.rows += rows.len();
        untimed += usize::from(options.leave_out_disturbed && !companions.timed);
        report.notes.extend(companions.unreadable.clone());
        let experiment = experiment_of(&path);
        let folder = folder_of(&path);
        // A file holds one observer, or a few in long runs: split it into runs of one subject
        // (from the end, so each split moves only its own rows; a single run moves none) and
        // hand each run to its observer whole.
        let same_subj = |a: &RawRow, b: &RawRow| Arc::ptr_eq(&a.subj, &b.subj) || a.subj == b.subj;
        let mut runs = Vec::new();
        while let Some(last) = rows.last() {
            let start = rows
                .iter()
                .rposition(|r| !same_subj(r, last))
                .map_or(0, |i| i + 1);
            runs.push(rows.split_off(start));
        }
        for mut run in runs.into_iter().rev() {
            let sessions = run.iter().map(|r| r.session.to_string()).collect();
            let subj = run[0].subj.to_string();
            let identity = same_code.assign(&experiment, &subj, &folder, &path, &sessions);
            if !companions.disturbed.is_empty() {
                let before = run.len();
                run.retain(|r| !companions.disturbed.contains(&r.trial));
                *left_out.entry(identity.clone()).or_default() += before - run.len();
            }
            let recorded = companions.record.as_ref().filter(|(s, _)| *s == subj);
            if let Some((_, simulated)) = recorded {
                let kind = if *simulated {
                    Kind::Simulated
                } else {
                    Kind::Person
                };
                kinds.insert(identity.clone(), kind);
            }
            let group = groups.entry(identity).or_default();
            if group.is_empty() {
                *group = run;
            } else {
                group.extend(run);
            }
        }
    }
    if untimed > 0 {
        report.notes.push(format!(
            "{untimed} of {} files have no shapelab timing log; none of their trials is left out",
            report.files
        ));
    }
    let (labels, notes) = same_code.labels();
    report.notes.extend(notes);
    let mut observers: Vec<Observer> = groups
        .into_iter()
        .map(|(identity, rows)| {
            let kind = kinds
                .get(&identity)
                .copied()
                .unwrap_or(Kind::of_code(&identity.subj));
            Observer {
                label: labels[&identity].clone(),
                left_out: left_out.get(&identity).copied().unwrap_or(0),
                source: source_of(&identity.folder),
                experiment: identity.experiment,
                subj: identity.subj,
                rows,
                kind,
            }
        })
        .collect();
    observers.sort_by(|a, b| {
        (&a.experiment, !a.is_human(), &a.label).cmp(&(&b.experiment, !b.is_human(), &b.label))
    });
    Ok((observers, report))
}

/// The rows without repeated trials (same subject, session and trial number) and how many
/// were dropped; unless `lenient`, a repeat is an error naming its line.
fn drop_duplicates(path: &Path, rows: Vec<RawRow>, lenient: bool) -> Result<(Vec<RawRow>, usize)> {
    // The (trial, position) pairs of each session; sorted, a repeat sits right after the
    // trial's first appearance, which stays.
    let mut sessions: HashMap<(&str, &str), Vec<(usize, usize)>> = HashMap::new();
    let mut rows_at = rows.iter().enumerate().peekable();
    while let Some((i, first)) = rows_at.next() {
        let trials = sessions.entry((&first.subj, &first.session)).or_default();
        trials.push((first.trial, i));
        // Runs of one session share their texts: look the session up once a run.
        while let Some((i, row)) = rows_at.next_if(|(_, r)| {
            Arc::ptr_eq(&r.subj, &first.subj) && Arc::ptr_eq(&r.session, &first.session)
        }) {
            trials.push((row.trial, i));
        }
    }
    let mut repeats: Vec<usize> = Vec::new();
    for trials in sessions.values_mut() {
        trials.sort_unstable();
        repeats.extend(
            trials
                .windows(2)
                .filter(|pair| pair[0].0 == pair[1].0)
                .map(|pair| pair[1].1),
        );
    }
    drop(sessions);
    repeats.sort_unstable();
    match repeats.first() {
        None => return Ok((rows, 0)),
        Some(&first) if !lenient => {
            let row = &rows[first];
            return Err(Error::at_line(
                path,
                first + 2,
                format!(
                    "trial {} of {} session {} appears twice",
                    row.trial, row.subj, row.session
                ),
            ));
        }
        Some(_) => {}
    }
    let kept = rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| repeats.binary_search(i).is_err())
        .map(|(_, row)| row)
        .collect();
    Ok((kept, repeats.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_experiment_comes_from_the_folder_or_else_the_file_name() {
        let p = Path::new("raw-data/style-transfer-512-nomask-texture-guessing-experiment-trained-CNNs/style-transfer-512-nomask-experiment_resnet50_session-1.csv");
        assert_eq!(
            experiment_of(p),
            "style-transfer-512-nomask-texture-guessing-experiment"
        );
        let p = Path::new("raw-data/edge-experiment/edge-experiment_subject-01_session_1.csv");
        assert_eq!(experiment_of(p), "edge-experiment");
        let p = Path::new("downloads/edge-experiment_subject-01_session_1.csv");
        assert_eq!(experiment_of(p), "edge-experiment");
    }

    #[test]
    fn same_named_observers_from_two_folders_are_kept_apart_and_labelled() {
        let dir = tempfile::tempdir().expect("temp dir");
        let header = crate::data::raw::HEADER;
        for folder in ["exp", "exp-trained-CNNs"] {
            let d = dir.path().join(folder);
            std::fs::create_dir_all(&d).expect("folder");
            std::fs::write(
                d.join("exp_alexnet_session_1.csv"),
                format!("{header}\nalexnet,1,1,NaN,cat,cat,0,0001_e_dnn_0_cat_00_cat1-dog1.png\n"),
            )
            .expect("written");
        }
        std::fs::write(
            dir.path().join("exp/exp_alexnet_session_1.timing.csv"),
            "not raw data",
        )
        .expect("written");
        let files = find_csvs(&[dir.path().to_path_buf()]).expect("found");
        assert_eq!(files.len(), 2);
        let (observers, report) = load(&files, false).expect("loaded");
        assert_eq!(report.files, 2);
        let labels: Vec<&str> = observers.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, vec!["alexnet [exp]", "alexnet [trained-CNNs]"]);
        assert!(observers.iter().all(|o| o.experiment == "exp"));
    }

    #[test]
    fn a_duplicate_trial_is_an_error_naming_the_line_or_a_warning_when_lenient() {
        let dir = tempfile::tempdir().expect("temp dir");
        let header = crate::data::raw::HEADER;
        let path = dir.path().join("e_s_session_1.csv");
        let row = "subject-01,1,1,0.5,cat,cat,0,0001_e_s01_0_cat_00_cat1-dog1.png\n";
        std::fs::write(&path, format!("{header}\n{row}{row}")).expect("written");
        let err = load(std::slice::from_ref(&path), false).expect_err("duplicate");
        assert_eq!(
            err.to_string(),
            format!(
                "{}:3: trial 1 of subject-01 session 1 appears twice",
                path.display()
            )
        );
        let (observers, report) = load(&[path], true).expect("lenient");
        assert_eq!(observers[0].rows.len(), 1);
        assert_eq!(report.warnings.len(), 1);
    }
}
