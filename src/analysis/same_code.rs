//! Observers that share a code. The same `subj` with the same session number in two files is
//! two people (or models), never silently one: files of different folders are different
//! observers, and within one folder a file that repeats a session of the code becomes an
//! observer of its own (`subject-01 #2`). Sessions 1, 2, ... of one code in one folder still
//! pool, as model-vs-human's files (one per session) need. Labels say which folder or file
//! each observer is, and a note says why they were kept apart.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One observer's identity: experiment, `subj`, the data folder of its files, and its number
/// among the observers of that code in that folder (0 for the first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// The experiment.
    pub experiment: String,
    /// The `subj` code.
    pub subj: String,
    /// The data folder (canonical where it can be).
    pub folder: PathBuf,
    /// 0, or 1, 2, ... for files that repeat a session already taken in the folder.
    pub repeat: usize,
}

/// A file whose session of a code another file of the same folder already holds.
#[derive(Debug, Clone)]
struct Repeat {
    identity: Identity,
    file: PathBuf,
    session: String,
    first: PathBuf,
}

/// Assigns the rows of each file and code to an observer, remembering what needs saying.
#[derive(Debug, Default)]
pub struct Observers {
    /// Per experiment, code and folder: per observer, the file of each session it holds.
    taken: HashMap<(String, String, PathBuf), Vec<BTreeMap<String, PathBuf>>>,
    /// The observer of a code's rows in a file, once chosen (a file may hold several runs).
    of_file: HashMap<(PathBuf, String), usize>,
    /// The sessions of each observer.
    sessions: BTreeMap<Identity, BTreeSet<String>>,
    repeats: Vec<Repeat>,
}

impl Observers {
    /// The observer of the rows of `subj` (in `sessions`) read from `file` of `folder`: the
    /// code's first observer in the folder whose sessions these do not repeat.
    pub fn assign(
        &mut self,
        experiment: &str,
        subj: &str,
        folder: &Path,
        file: &Path,
        sessions: &BTreeSet<String>,
    ) -> Identity {
        let owner = (
            experiment.to_string(),
            subj.to_string(),
            folder.to_path_buf(),
        );
        let slots = self.taken.entry(owner).or_default();
        let chosen = self
            .of_file
            .get(&(file.to_path_buf(), subj.to_string()))
            .copied();
        let repeat = chosen.unwrap_or_else(|| {
            slots
                .iter()
                .position(|taken| {
                    sessions
                        .iter()
                        .all(|s| taken.get(s).is_none_or(|f| f == file))
                })
                .unwrap_or(slots.len())
        });
        if repeat == slots.len() {
            slots.push(BTreeMap::new());
        }
        let identity = Identity {
            experiment: experiment.to_string(),
            subj: subj.to_string(),
            folder: folder.to_path_buf(),
            repeat,
        };
        if repeat > 0 && chosen.is_none() {
            if let Some((session, first)) = sessions
                .iter()
                .find_map(|s| Some((s.clone(), slots[0].get(s)?.clone())))
            {
                self.repeats.push(Repeat {
                    identity: identity.clone(),
                    file: file.to_path_buf(),
                    session,
                    first,
                });
            }
        }
        for session in sessions {
            slots[repeat]
                .entry(session.clone())
                .or_insert_with(|| file.to_path_buf());
        }
        self.of_file
            .insert((file.to_path_buf(), subj.to_string()), repeat);
        self.sessions
            .entry(identity.clone())
            .or_default()
            .extend(sessions.iter().cloned());
        identity
    }

    /// A label for every observer, unique within its experiment: the code, with the folder's
    /// name in brackets when the code is in several folders (`alexnet [trained-CNNs]`; the
    /// folders' parents where their names are the same) and `#2`, `#3`, ... for repeats; and
    /// one note for each code whose sessions were kept apart.
    pub fn labels(&self) -> (HashMap<Identity, String>, Vec<String>) {
        let mut codes: BTreeMap<(&str, &str), Vec<&Identity>> = BTreeMap::new();
        for identity in self.sessions.keys() {
            codes
                .entry((identity.experiment.as_str(), identity.subj.as_str()))
                .or_default()
                .push(identity);
        }
        let mut labels = HashMap::new();
        let mut notes = Vec::new();
        for ((experiment, subj), identities) in codes {
            let folders: BTreeSet<&Path> = identities.iter().map(|i| i.folder.as_path()).collect();
            let tags = folder_tags(experiment, &folders);
            for identity in &identities {
                let mut label = subj.to_string();
                if folders.len() > 1 {
                    label.push_str(&format!(" [{}]", tags[&identity.folder.as_path()]));
                }
                if identity.repeat > 0 {
                    label.push_str(&format!(" #{}", identity.repeat + 1));
                }
                labels.insert((*identity).clone(), label);
            }
            if let Some(note) = self.folders_note(experiment, subj, &identities, &labels) {
                notes.push(note);
            }
        }
        notes.extend(self.repeats.iter().map(|r| {
            format!(
                "{} repeats session {} of {} in {}: kept apart as the observer '{}'",
                r.file.display(),
                r.session,
                r.identity.subj,
                r.first.display(),
                labels[&r.identity]
            )
        }));
        (labels, notes)
    }

    /// The note for a code whose files in different folders share a session number.
    fn folders_note(
        &self,
        experiment: &str,
        subj: &str,
        identities: &[&Identity],
        labels: &HashMap<Identity, String>,
    ) -> Option<String> {
        let mut sessions: BTreeMap<&str, BTreeSet<&Path>> = BTreeMap::new();
        for identity in identities {
            for session in &self.sessions[*identity] {
                sessions
                    .entry(session.as_str())
                    .or_default()
                    .insert(identity.folder.as_path());
            }
        }
        let (session, _) = sessions.iter().find(|(_, folders)| folders.len() > 1)?;
        let each: Vec<String> = identities
            .iter()
            .filter(|i| i.repeat == 0)
            .map(|i| format!("'{}' is {}", labels[*i], i.folder.display()))
            .collect();
        Some(format!(
            "{subj} of {experiment} has session {session} in {} folders, kept apart as different \
             observers: {}",
            each.len(),
            each.join(", ")
        ))
    }
}

/// What names each folder in a label: the part of its name after the experiment's
/// (`exp-trained-CNNs` says `trained-CNNs`) or its whole name, and where two folders are named
/// alike, the fewest parent folders that tell them apart (`lab/raw-data`).
fn folder_tags<'a>(experiment: &str, folders: &BTreeSet<&'a Path>) -> HashMap<&'a Path, String> {
    let name = |folder: &Path| {
        let full = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into());
        match full
            .strip_prefix(experiment)
            .map(|r| r.trim_start_matches('-'))
        {
            Some(rest) if !rest.is_empty() => rest.to_string(),
            _ => full,
        }
    };
    let mut tags: HashMap<&Path, String> = folders.iter().map(|f| (*f, name(f))).collect();
    let mut alike: BTreeMap<String, Vec<&Path>> = BTreeMap::new();
    for (folder, tag) in &tags {
        alike.entry(tag.clone()).or_default().push(*folder);
    }
    for group in alike.into_values().filter(|g| g.len() > 1) {
        let parents = |f: &Path| -> Vec<String> {
            f.ancestors()
                .skip(1)
                .filter_map(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .collect()
        };
        let depth = (1..=group.iter().map(|f| parents(f).len()).max().unwrap_or(1)).find(|&k| {
            let suffixes: BTreeSet<Vec<String>> =
                group.iter().map(|f| suffix(&parents(f), k)).collect();
            suffixes.len() == group.len()
        });
        for folder in group {
            let tag = match depth {
                Some(k) => suffix(&parents(folder), k).join("/"),
                None => folder.display().to_string(),
            };
            tags.insert(folder, tag);
        }
    }
    tags
}

/// The `k` innermost of `parents` (innermost first), outermost first.
fn suffix(parents: &[String], k: usize) -> Vec<String> {
    parents.iter().take(k).rev().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(of: &[&str]) -> BTreeSet<String> {
        of.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sessions_of_one_code_in_one_folder_pool_and_a_repeated_session_is_another_observer() {
        let mut observers = Observers::default();
        let folder = Path::new("/data/exp");
        let first = observers.assign(
            "exp",
            "subject-01",
            folder,
            Path::new("a.csv"),
            &sessions(&["1"]),
        );
        let second = observers.assign(
            "exp",
            "subject-01",
            folder,
            Path::new("b.csv"),
            &sessions(&["2"]),
        );
        let copy = observers.assign(
            "exp",
            "subject-01",
            folder,
            Path::new("c.csv"),
            &sessions(&["1"]),
        );
        assert_eq!(first, second);
        assert_ne!(first, copy);
        let (labels, notes) = observers.labels();
        assert_eq!(labels[&first], "subject-01");
        assert_eq!(labels[&copy], "subject-01 #2");
        assert_eq!(
            notes,
            vec!["c.csv repeats session 1 of subject-01 in a.csv: kept apart as the observer 'subject-01 #2'"]
        );
    }

    #[test]
    fn the_same_code_in_two_folders_of_one_name_is_named_by_their_parents() {
        let mut observers = Observers::default();
        let lab = Path::new("/lab/raw-data/exp");
        let paper = Path::new("/paper/raw-data/exp");
        let a = observers.assign(
            "exp",
            "subject-01",
            lab,
            &lab.join("x.csv"),
            &sessions(&["1"]),
        );
        let b = observers.assign(
            "exp",
            "subject-01",
            paper,
            &paper.join("x.csv"),
            &sessions(&["1"]),
        );
        let (labels, notes) = observers.labels();
        assert_eq!(labels[&a], "subject-01 [lab/raw-data]");
        assert_eq!(labels[&b], "subject-01 [paper/raw-data]");
        assert_eq!(
            notes,
            vec!["subject-01 of exp has session 1 in 2 folders, kept apart as different observers: \
                  'subject-01 [lab/raw-data]' is /lab/raw-data/exp, 'subject-01 [paper/raw-data]' is /paper/raw-data/exp"]
        );
    }
}
