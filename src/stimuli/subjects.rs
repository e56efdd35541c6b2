//! The original's per-subject lab folders: `<stimuli>/<subject>/` or
//! `<stimuli>/<subject>/session-N/`, each holding one session's pre-ordered images, and the
//! rule that a participant runs only images pre-ordered for them.

use std::path::{Path, PathBuf};

use super::files::{file_name, Findings};
use super::{collect_pre_ordered, read_dir_sorted, report, Layout, Stimulus, StimulusSet};
use crate::error::{Error, Result};
use crate::names::{check_name_part, short_subject};

/// One folder of pre-ordered images: a subject's, or one session's of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFolder {
    /// The subject code, the folder's name.
    pub subject: String,
    /// The session, for a `session-N` folder; `None` when the subject's folder serves every
    /// session.
    pub session: Option<u32>,
    /// Where the images are.
    pub path: PathBuf,
    /// Its images, as positions in the set's `stimuli`.
    pub images: std::ops::Range<usize>,
}

/// Scans a folder of per-subject folders into `stimuli` and `folders`.
pub(super) fn collect(
    entries: &[PathBuf],
    stimuli: &mut Vec<Stimulus>,
    folders: &mut Vec<SessionFolder>,
    found: &mut Findings,
) {
    found.png_files(entries, None).iter().for_each(|png| {
        found.problems.push(format!(
            "{}: an image beside the per-subject folders belongs to no subject; move it into its \
             subject's folder",
            png.display()
        ));
    });
    for dir in entries.iter().filter(|p| p.is_dir()) {
        if found.ignores_hidden_folder(dir) {
            continue;
        }
        let subject = file_name(dir);
        if let Err(e) = check_name_part(&subject) {
            found.problems.push(format!(
                "{}: the folder name is not a subject code: {e}",
                dir.display()
            ));
            continue;
        }
        let inside = match read_dir_sorted(dir) {
            Ok(inside) => inside,
            Err(e) => {
                found.problems.push(e.to_string());
                continue;
            }
        };
        if !inside.iter().any(|p| p.is_dir()) {
            add_folder(dir, &subject, None, &inside, stimuli, folders, found);
            continue;
        }
        let pngs = found.png_files(&inside, None);
        if let Some(png) = pngs.first() {
            found.problems.push(format!(
                "{}: {} image(s) beside {subject}'s session folders belong to no session; move \
                 them into a session-N folder",
                png.display(),
                pngs.len()
            ));
        }
        for session_dir in inside.iter().filter(|p| p.is_dir()) {
            if found.ignores_hidden_folder(session_dir) {
                continue;
            }
            let Some(session) = session_number(&file_name(session_dir)) else {
                found.problems.push(format!(
                    "{}: a folder in a subject's folder must be named session-N (N = 1, 2, ...)",
                    session_dir.display()
                ));
                continue;
            };
            match read_dir_sorted(session_dir) {
                Ok(files) => add_folder(
                    session_dir,
                    &subject,
                    Some(session),
                    &files,
                    stimuli,
                    folders,
                    found,
                ),
                Err(e) => found.problems.push(e.to_string()),
            }
        }
    }
}

fn add_folder(
    dir: &Path,
    subject: &str,
    session: Option<u32>,
    entries: &[PathBuf],
    stimuli: &mut Vec<Stimulus>,
    folders: &mut Vec<SessionFolder>,
    found: &mut Findings,
) {
    let first = stimuli.len();
    collect_pre_ordered(entries, stimuli, found);
    if stimuli.len() == first {
        found.problems.push(format!(
            "{}: no pre-ordered .png images for {subject}",
            dir.display()
        ));
        return;
    }
    folders.push(SessionFolder {
        subject: subject.to_string(),
        session,
        path: dir.to_path_buf(),
        images: first..stimuli.len(),
    });
}

/// `session-3` gives 3.
fn session_number(name: &str) -> Option<u32> {
    name.strip_prefix("session-")?
        .parse()
        .ok()
        .filter(|n| *n >= 1)
}

/// Whether a pre-ordered image's subject field names `subject` (`s01` and `subject-01` name
/// `subject-01`).
fn is_for(field: &str, subject: &str) -> bool {
    field == subject || field == short_subject(subject)
}

impl StimulusSet {
    /// The images session `session` of `subject` shows: the subject's (and session's) folder
    /// of a per-subject set, or the whole set. Pre-ordered images must be pre-ordered for the
    /// subject unless `shared` (`pre_ordered_shared: true`) says one order is for everyone.
    pub fn for_session(&self, subject: &str, session: u32, shared: bool) -> Result<StimulusSet> {
        let chosen = match self.layout {
            Layout::CategoryFolders => return Ok(self.clone()),
            Layout::PreOrdered => self.clone(),
            Layout::PerSubject => self.subject_folder(subject, session)?,
        };
        match shared {
            true => Ok(chosen),
            false => chosen.refuse_others(subject).map(|()| chosen),
        }
    }

    /// The images a participant's session shows: [`StimulusSet::for_session`] of the main set;
    /// in practice (`practice`), the subject's own folder of a per-subject practice set (the
    /// original's `practice/<subject>/`), whose order anyone may share, or the whole set.
    pub fn for_participant(
        &self,
        subject: &str,
        session: u32,
        practice: bool,
        shared: bool,
    ) -> Result<StimulusSet> {
        match practice {
            true if self.layout != Layout::PerSubject => Ok(self.clone()),
            true => self.for_session(subject, session, true),
            false => self.for_session(subject, session, shared),
        }
    }

    fn subject_folder(&self, subject: &str, session: u32) -> Result<StimulusSet> {
        let own: Vec<&SessionFolder> = self
            .folders
            .iter()
            .filter(|f| f.subject == subject)
            .collect();
        let subject_dir = self.root.join(subject);
        if own.is_empty() {
            let known: Vec<&str> = self.subjects();
            return Err(Error::in_file(
                &subject_dir,
                format!(
                    "no folder of images for subject {subject}; the stimulus folder has one per \
                     subject ({}), as the original's did",
                    shown(&known)
                ),
            ));
        }
        let folder = match own.iter().find(|f| f.session.is_none_or(|n| n == session)) {
            Some(folder) => folder,
            None => {
                let have: Vec<String> = own
                    .iter()
                    .filter_map(|f| f.session.map(|n| format!("session-{n}")))
                    .collect();
                return Err(Error::in_file(
                    &subject_dir.join(format!("session-{session}")),
                    format!(
                        "no folder of images for session {session} of {subject} (it has {})",
                        have.join(", ")
                    ),
                ));
            }
        };
        Ok(self.folder_set(folder))
    }

    /// One folder of a per-subject set as a pre-ordered set of its own.
    fn folder_set(&self, folder: &SessionFolder) -> StimulusSet {
        StimulusSet {
            root: folder.path.clone(),
            layout: Layout::PreOrdered,
            stimuli: self.stimuli[folder.images.clone()].to_vec(),
            folders: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The subject codes a pre-ordered or per-subject set has images for, in order.
    pub fn subjects(&self) -> Vec<&str> {
        let mut subjects: Vec<&str> = match self.layout {
            Layout::PerSubject => self.folders.iter().map(|f| f.subject.as_str()).collect(),
            _ => self
                .stimuli
                .iter()
                .filter_map(|s| s.lab.as_ref().map(|lab| lab.subject.as_str()))
                .collect(),
        };
        subjects.sort_unstable();
        subjects.dedup();
        subjects
    }

    /// Problems of pre-ordered images that are not their participant's, one line per folder:
    /// in a per-subject set, each folder against its subject; in one pre-ordered folder,
    /// against `subject` when given, else a folder mixing subjects is one.
    pub fn subject_problems(&self, subject: Option<&str>) -> Vec<String> {
        match (self.layout, subject) {
            (Layout::CategoryFolders, _) => Vec::new(),
            (Layout::PerSubject, _) => self
                .folders
                .iter()
                .filter_map(|f| {
                    let folder = self.folder_set(f);
                    folder
                        .refuse_others(&f.subject)
                        .err()
                        .map(|e| e.to_string())
                })
                .collect(),
            (Layout::PreOrdered, Some(subject)) => self
                .refuse_others(subject)
                .err()
                .map(|e| e.to_string())
                .into_iter()
                .collect(),
            (Layout::PreOrdered, None) => match self.subjects().as_slice() {
                [_] | [] => Vec::new(),
                several => vec![format!(
                    "{}: the pre-ordered images are for {} subjects ({}); a participant runs \
                     only their own: put each subject's images in a folder named by the \
                     subject code, or set pre_ordered_shared: true if one order is meant for \
                     everyone",
                    self.root.display(),
                    several.len(),
                    shown(several)
                )],
            },
        }
    }

    /// Refuses the [`StimulusSet::subject_problems`], all of them at once.
    pub fn check_subjects(&self, subject: Option<&str>) -> Result<()> {
        report(self.subject_problems(subject))
    }

    /// Refuses pre-ordered images whose subject field is not `subject`'s.
    fn refuse_others(&self, subject: &str) -> Result<()> {
        let others: Vec<&Stimulus> = self
            .stimuli
            .iter()
            .filter(|s| {
                s.lab
                    .as_ref()
                    .is_some_and(|lab| !is_for(&lab.subject, subject))
            })
            .collect();
        let Some(first) = others.first() else {
            return Ok(());
        };
        let field = first.lab.as_ref().map_or("", |lab| lab.subject.as_str());
        Err(Error::in_file(
            &self.root,
            format!(
                "{} of {} pre-ordered images are not {subject}'s (their subject field, e.g. \
                 '{field}' in {}, is not '{}'); a participant runs only images pre-ordered for \
                 them: use the subject's own folder, or set pre_ordered_shared: true if one order \
                 is meant for everyone",
                others.len(),
                self.stimuli.len(),
                file_name(&first.path),
                short_subject(subject)
            ),
        ))
    }
}

/// Up to five names, then how many more.
fn shown(names: &[&str]) -> String {
    match names.len() {
        0..=5 => names.join(", "),
        n => format!("{}, ... {} in all", names[..5].join(", "), n),
    }
}
