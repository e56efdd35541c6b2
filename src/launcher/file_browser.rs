//! A folder and file browser drawn with egui itself, so that the launcher needs no GTK or
//! desktop portal: one folder's subfolders (and files, when a file is wanted), Up, and Choose.

use std::path::{Path, PathBuf};

use egui::{Color32, RichText};

/// What the experimenter is to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A folder: entered by clicking, taken with "Choose this folder".
    Folder,
    /// A folder that may not exist yet (where output goes): one shown, or a new one named
    /// under it, which is not created (the session makes it).
    NewFolder,
    /// A file with one of these extensions (lower case), taken by clicking it.
    File(&'static [&'static str]),
    /// A folder, or a file with one of these extensions.
    FolderOrFile(&'static [&'static str]),
}

impl Pick {
    fn takes_folders(self) -> bool {
        !matches!(self, Pick::File(_))
    }

    /// The file extensions offered, if any.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Pick::File(e) | Pick::FolderOrFile(e) => e,
            Pick::Folder | Pick::NewFolder => &[],
        }
    }
}

/// How the browser ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
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
    /// The name typed for a new folder.
    new_folder: String,
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
            new_folder: String::new(),
        };
        browser.open(folder);
        browser
    }

    fn open(&mut self, folder: PathBuf) {
        self.entries = read_entries(&folder, self.pick);
        self.folder = folder;
    }

    /// Draws the browser in a window of its own over the page; the choice once made.
    fn ui(&mut self, ctx: &egui::Context) -> Option<Choice> {
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
                    Pick::Folder | Pick::NewFolder => {
                        "Click a folder to open it; Choose takes the folder shown."
                    }
                    Pick::File(_) => "Click a folder to open it, a file to choose it.",
                    Pick::FolderOrFile(_) => {
                        "Click a folder to open it, a file to choose it; Choose takes the \
                         folder shown."
                    }
                });
                ui.horizontal(|ui| {
                    if let Some(parent) = self.folder.parent() {
                        if ui.button("Up").clicked() {
                            enter = Some(parent.to_path_buf());
                        }
                    }
                    if self.pick.takes_folders() && ui.button("Choose this folder").clicked() {
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
                            ui.weak(match self.pick.extensions() {
                                [] => "no folders here",
                                _ => "no folders or matching files here",
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
                if self.pick == Pick::NewFolder {
                    ui.separator();
                    ui.horizontal(|ui| {
                        let label = ui.label("New folder here");
                        ui.text_edit_singleline(&mut self.new_folder)
                            .labelled_by(label.id);
                        let name = self.new_folder.trim();
                        let named = !name.is_empty();
                        let take = ui
                            .add_enabled(named, egui::Button::new("Choose the new folder"))
                            .on_hover_text("nothing is created now: the session makes it");
                        if take.clicked() {
                            choice = Some(Choice::Chosen(self.folder.join(name)));
                        }
                    });
                }
            });
        if let Some(folder) = enter {
            self.open(folder);
        }
        choice
    }
}

/// Draws `browser` while it is open; the field and the path chosen, once, when the
/// experimenter chooses (the browser then closes, as it does on Cancel).
pub fn chosen<T: Copy>(
    browser: &mut Option<FileBrowser<T>>,
    ctx: &egui::Context,
) -> Option<(T, PathBuf)> {
    let open = browser.as_mut()?;
    let target = open.target;
    match open.ui(ctx)? {
        Choice::Chosen(path) => {
            *browser = None;
            Some((target, path))
        }
        Choice::Cancelled => {
            *browser = None;
            None
        }
    }
}

/// A chosen path as a field shows it: inside `base` (the config's folder) from there, as the
/// config writes its paths; elsewhere whole.
pub fn shown_from(base: &Path, path: &Path) -> String {
    let base = std::path::absolute(base).unwrap_or_default();
    path.strip_prefix(&base)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
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
            let wanted = match pick.extensions() {
                _ if name.starts_with('.') => false,
                _ if folder => true,
                extensions => Path::new(&name).extension().is_some_and(|e| {
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
        assert_eq!(names(Pick::NewFolder), ["Raw-data", "stimuli"]);
        assert_eq!(
            names(Pick::FolderOrFile(&["txt"])),
            ["Raw-data", "stimuli", "notes.txt"]
        );
        assert_eq!(
            names(Pick::File(&["yaml", "yml"])),
            ["Raw-data", "stimuli", "B.YML", "experiment.yaml"]
        );
    }

    #[test]
    fn a_chosen_path_inside_the_configs_folder_is_shown_from_there_and_elsewhere_whole() {
        let base = Path::new("/lab/study");
        let shown = |p: &str| shown_from(base, Path::new(p));
        assert_eq!(shown("/lab/study/pictures"), "pictures");
        assert_eq!(shown("/lab/study"), "/lab/study");
        assert_eq!(shown("/lab/other/raw-data"), "/lab/other/raw-data");
    }
}
