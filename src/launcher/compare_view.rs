//! The launcher's compare page: `shapelab compare` with buttons. Folders of raw-data CSVs in,
//! the summary table and the cue-conflict figure shown, tables and figures written to disk.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use egui::{Color32, TextureHandle, Ui};

use super::file_browser::{chosen, shown_from, FileBrowser, Pick};
use super::{from_config_folder, percent};
use crate::analysis::compare::{compare, Comparison};
use crate::analysis::metrics::{Bootstrap, Summary};
use crate::analysis::observers::{load_with, LoadOptions};
use crate::analysis::unfinished::find_data;
use crate::error::Result;
use crate::report::{figures, tables};

/// What a finished comparison left to show.
struct Done {
    summaries: Vec<Summary>,
    warnings: Vec<String>,
    figures: Vec<PathBuf>,
}

/// The page's fields that take a path from the file browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FolderField {
    RawData,
    Icons,
    Out,
}

/// The compare page's state. Relative paths are taken from the config's folder.
pub struct CompareView {
    /// The folder relative paths start from: the session page's config's.
    pub base: PathBuf,
    /// Raw-data files and folders, one per line.
    pub paths: String,
    /// Where tables and figures are written.
    pub out: String,
    /// Optional folder of category icons for the figure.
    pub icons: String,
    /// Leave out the trials that shapelab's timing logs mark as disturbed.
    pub leave_out_disturbed: bool,
    /// Also read the sessions that have not completed (left out and named otherwise).
    pub include_incomplete: bool,
    working: Option<JoinHandle<Result<Done>>>,
    done: Option<std::result::Result<Done, String>>,
    shown: Vec<(PathBuf, TextureHandle)>,
    browser: Option<FileBrowser<FolderField>>,
}

impl Default for CompareView {
    fn default() -> Self {
        CompareView {
            base: PathBuf::from("."),
            paths: "raw-data".into(),
            out: "comparison".into(),
            icons: String::new(),
            leave_out_disturbed: false,
            include_incomplete: false,
            working: None,
            done: None,
            shown: Vec::new(),
            browser: None,
        }
    }
}

impl CompareView {
    /// Whether a comparison is running.
    pub fn busy(&self) -> bool {
        self.working.is_some()
    }

    /// Where a path typed on the page is: a relative one from the config's folder.
    fn resolve(&self, typed: &str) -> PathBuf {
        from_config_folder(&self.base, typed)
    }

    fn start(&mut self) {
        let paths: Vec<PathBuf> = self
            .paths
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| self.resolve(l))
            .collect();
        let out = self.resolve(&self.out);
        let icons = Some(self.icons.trim())
            .filter(|i| !i.is_empty())
            .map(|i| self.resolve(i));
        let options = LoadOptions {
            lenient: true,
            leave_out_disturbed: self.leave_out_disturbed,
        };
        let include_incomplete = self.include_incomplete;
        self.done = None;
        self.shown.clear();
        self.working = Some(std::thread::spawn(move || {
            let found = find_data(&paths, include_incomplete)?;
            let (observers, report) = load_with(&found.files, options)?;
            let comparison: Comparison = compare(
                &observers,
                Bootstrap {
                    resamples: 200,
                    seed: 1,
                },
            );
            tables::write_all(&out, &comparison)?;
            let icons = icons.as_deref().map(figures::load_icons).transpose()?;
            let written = figures::write_all(&out.join("figures"), &comparison, icons.as_ref())?;
            Ok(Done {
                summaries: comparison.summaries,
                warnings: [found.notes, report.warnings, report.notes].concat(),
                figures: written
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "png"))
                    .filter(|p| p.to_string_lossy().contains("shape-bias"))
                    .collect(),
            })
        }));
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if !self.working.as_ref().is_some_and(JoinHandle::is_finished) {
            return;
        }
        let Some(handle) = self.working.take() else {
            return;
        };
        let done = handle
            .join()
            .unwrap_or_else(|_| Err(crate::Error::new("the comparison crashed")))
            .map_err(|e| e.to_string());
        if let Ok(done) = &done {
            self.shown = done
                .figures
                .iter()
                .filter_map(|p| Some((p.clone(), texture(ctx, p)?)))
                .collect();
        }
        self.done = Some(done);
    }

    /// Opens the file browser for `field`, at the folder it names now.
    fn browse(&mut self, field: FolderField) {
        let (title, pick, typed) = match field {
            FolderField::RawData => (
                "Add a raw-data CSV file or a folder of them",
                Pick::FolderOrFile(&["csv"]),
                self.paths.lines().rev().find(|l| !l.trim().is_empty()),
            ),
            FolderField::Icons => (
                "Choose the icons folder",
                Pick::Folder,
                Some(self.icons.as_str()),
            ),
            FolderField::Out => (
                "Choose where tables and figures go",
                Pick::NewFolder,
                Some(self.out.as_str()),
            ),
        };
        let start = self.resolve(typed.unwrap_or_default());
        self.browser = Some(FileBrowser::new(field, title, pick, &start));
    }

    /// Puts the path chosen in the browser into its field.
    fn take(&mut self, field: FolderField, path: &Path) {
        let shown = shown_from(&self.base, path);
        match field {
            FolderField::RawData => {
                if !self.paths.trim().is_empty() && !self.paths.ends_with('\n') {
                    self.paths.push('\n');
                }
                self.paths.push_str(&shown);
            }
            FolderField::Icons => self.icons = shown,
            FolderField::Out => self.out = shown,
        }
    }

    /// Draws the page.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.poll(ui.ctx());
        if let Some((field, path)) = chosen(&mut self.browser, ui.ctx()) {
            self.take(field, &path);
        }
        let mut browse = None;
        egui::Grid::new("compare form")
            .num_columns(2)
            .show(ui, |ui| {
                // The button goes under the label: beside the tall field it would not fit the row.
                let label = ui
                    .vertical(|ui| {
                        let label = ui.label("Raw-data files and folders\n(one per line)");
                        if ui.button("Add a file or folder").clicked() {
                            browse = Some(FolderField::RawData);
                        }
                        label
                    })
                    .inner;
                ui.text_edit_multiline(&mut self.paths)
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Icons folder (optional)");
                ui.horizontal(|ui| {
                    ui.text_edit_singleline(&mut self.icons)
                        .labelled_by(label.id);
                    if ui.button("Browse icons folder").clicked() {
                        browse = Some(FolderField::Icons);
                    }
                });
                ui.end_row();
                let label = ui.label("Write tables and figures to");
                ui.horizontal(|ui| {
                    ui.text_edit_singleline(&mut self.out).labelled_by(label.id);
                    if ui.button("Browse output folder").clicked() {
                        browse = Some(FolderField::Out);
                    }
                });
                ui.end_row();
                ui.label("Trials");
                ui.checkbox(
                    &mut self.leave_out_disturbed,
                    "leave out disturbed trials (timing logs)",
                );
                ui.end_row();
                ui.label("Sessions");
                ui.checkbox(
                    &mut self.include_incomplete,
                    "include unfinished sessions (aborted, killed)",
                );
                ui.end_row();
            });
        if let Some(field) = browse {
            self.browse(field);
        }
        ui.weak(format!(
            "Relative paths are taken from the config's folder, {}",
            self.base.display()
        ));
        if self.busy() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("comparing ...");
            });
        } else if ui.button("Compare").clicked() {
            self.start();
        }
        ui.separator();
        match &self.done {
            None => {}
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(220, 80, 60), e);
            }
            Some(Ok(done)) => {
                for w in &done.warnings {
                    ui.colored_label(Color32::from_rgb(230, 160, 40), w);
                }
                egui::ScrollArea::vertical().show(ui, |ui| {
                    summary_table(ui, &done.summaries);
                    for (path, texture) in &self.shown {
                        ui.label(path.display().to_string());
                        let width = ui.available_width().min(texture.size_vec2().x);
                        let scale = width / texture.size_vec2().x;
                        ui.image((texture.id(), texture.size_vec2() * scale));
                    }
                });
            }
        }
    }
}

fn summary_table(ui: &mut Ui, summaries: &[Summary]) {
    egui::Grid::new("summary").striped(true).show(ui, |ui| {
        for head in [
            "experiment",
            "observer",
            "kind",
            "trials",
            "left out",
            "shape bias",
            "accuracy",
        ] {
            ui.strong(head);
        }
        ui.end_row();
        for s in summaries {
            ui.label(&s.experiment);
            ui.label(&s.observer);
            ui.label(&s.kind);
            ui.label(s.trials.to_string());
            ui.label(s.left_out_disturbed.to_string());
            ui.label(percent(s.shape_bias.value));
            ui.label(percent(s.accuracy.value));
            ui.end_row();
        }
    });
}

/// A PNG as a texture; `None` when it cannot be read (the table still shows).
fn texture(ctx: &egui::Context, path: &Path) -> Option<TextureHandle> {
    let image = image::open(path).ok()?.to_rgba8();
    let size = [image.width() as usize, image.height() as usize];
    let pixels = egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw());
    Some(ctx.load_texture(
        path.display().to_string(),
        pixels,
        egui::TextureOptions::LINEAR,
    ))
}
