//! A folder and file browser drawn with egui itself, so that the launcher needs no GTK or
//! desktop portal: one folder's subfolders (and files, when a file is wanted), Up, and Choose.

use std::path::{Path, PathBuf};

use egui::{Color32, RichText};

/// What the experimenter is to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A folder: entered by clicking, taken with "Choose this folder".
    Folder,
    /// A file with one of these extensions (lower case), taken by clicking it.
    File(&'static [&'static str]),
}

/// How the browser ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The folder or file chosen.
    Chosen(PathBuf),
    /// Closed without a choice.
    Cancelled,
}

/// One entry of the folder shown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    folder: bool,
}

/// An open browser; `target` says which field the choice goes to.
#[derive(Debug)]
pub struct FileBrowser<T> {
    /// The field the choice is for.
    pub target: T,
    title: String,
    pick: Pick,
    folder: PathBuf,
    entries: Result<Vec<Entry>, String>,
}

impl<T> FileBrowser<T> {
    /// A browser titled `title` for `target`, showing `start` (or the nearest folder above it
    /// that exists).
    pub fn new(target: T, title: &str, pick: Pick, start: &Path) -> FileBrowser<T> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let folder = start
            .ancestors()
            .find(|p| p.is_dir())
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        let mut browser = FileBrowser {
            target,
            title: title.to_string(),
            pick,
            folder: PathBuf::new(),
            entries: Ok(Vec::new()),
        };
        browser.open(folder);
        browser
    }

    fn open(&mut self, folder: PathBuf) {
        self.entries = read_entries(&folder, self.pick);
        self.folder = folder;
    }

    /// Draws the browser in a window of its own over the page; the choice once made.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<Choice> {
        let mut choice = None;
        let mut enter = None;
        egui::Window::new(&self.title)
            .collapsible(false)
            .resizable(false)
            .default_width(520.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
            .show(ctx, |ui| {
                ui.label(RichText::new(self.folder.display().to_string()).monospace());
                ui.weak(match self.pick {
                    Pick::Folder => "Click a folder to open it; Choose takes the folder shown.",
                    Pick::File(_) => "Click a folder to open it, a file to choose it.",
                });
                ui.horizontal(|ui| {
                    if let Some(parent) = self.folder.parent() {
                        if ui.button("Up").clicked() {
                            enter = Some(parent.to_path_buf());
                        }
                    }
                    if self.pick == Pick::Folder && ui.button("Choose this folder").clicked() {
                        choice = Some(Choice::Chosen(self.folder.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        choice = Some(Choice::Cancelled);
                    }
                });
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(360.0)
                    .show(ui, |ui| match &self.entries {
                        Err(e) => {
                            ui.colored_label(Color32::from_rgb(220, 80, 60), e);
                        }
                        Ok(entries) if entries.is_empty() => {
                            ui.weak(match self.pick {
                                Pick::Folder => "no folders here",
                                Pick::File(_) => "no folders or matching files here",
                            });
                        }
                        Ok(entries) => {
                            for entry in entries {
                                let text = match entry.folder {
                                    true => format!("{}/", entry.name),
                                    false => entry.name.clone(),
                                };
                                if ui.selectable_label(false, text).clicked() {
                                    let path = self.folder.join(&entry.name);
                                    match entry.folder {
                                        true => enter = Some(path),
                                        false => choice = Some(Choice::Chosen(path)),
                                    }
                                }
                            }
                        }
                    });
            });
        if let Some(folder) = enter {
            self.open(folder);
        }
        choice
    }
}

/// The visible subfolders of `folder`, then (for a file) its files with a wanted extension,
/// each sorted by name.
fn read_entries(folder: &Path, pick: Pick) -> Result<Vec<Entry>, String> {
    let listing = std::fs::read_dir(folder)
        .map_err(|e| format!("{}: cannot list the folder: {e}", folder.display()))?;
    let mut entries: Vec<Entry> = listing
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let folder = entry.path().is_dir();
            let wanted = match pick {
                _ if name.starts_with('.') => false,
                _ if folder => true,
                Pick::Folder => false,
                Pick::File(extensions) => Path::new(&name).extension().is_some_and(|e| {
                    extensions.contains(&e.to_string_lossy().to_lowercase().as_str())
                }),
            };
            wanted.then_some(Entry { name, folder })
        })
        .collect();
    entries.sort_by_key(|e| (!e.folder, e.name.to_lowercase()));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_its_subfolders_first_then_the_wanted_files_and_hides_dot_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        for folder in ["stimuli", "Raw-data", ".git"] {
            std::fs::create_dir(dir.path().join(folder)).expect("folder");
        }
        for file in ["experiment.yaml", "notes.txt", "B.YML", ".hidden.yaml"] {
            std::fs::write(dir.path().join(file), "").expect("file");
        }
        let names = |pick| -> Vec<String> {
            read_entries(dir.path(), pick)
                .expect("listed")
                .into_iter()
                .map(|e| e.name)
                .collect()
        };
        assert_eq!(names(Pick::Folder), ["Raw-data", "stimuli"]);
        assert_eq!(
            names(Pick::File(&["yaml", "yml"])),
            ["Raw-data", "stimuli", "B.YML", "experiment.yaml"]
        );
    }
}
