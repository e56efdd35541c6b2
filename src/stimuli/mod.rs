//! Stimulus sets on disk: finding the images, their shape and texture categories, and checking
//! every image before a session starts.

pub mod demo;
mod files;
mod glyphs;
pub mod icons;
pub mod mask;
pub mod practice;
mod subjects;

use std::path::{Path, PathBuf};

use crate::categories::Category;
use crate::error::{Error, Result};
use crate::names::{texture_of_original, TrialImageName};
use files::{file_name, Findings};
pub use subjects::SessionFolder;

/// One stimulus image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stimulus {
    /// Where the image is.
    pub path: PathBuf,
    /// Its original name, e.g. `bird3-clock2.png`, as it appears at the end of image names.
    pub original: String,
    /// The shape category (the folder, or the category field of a pre-named image).
    pub shape: Category,
    /// The texture category, when the name carries one.
    pub texture: Option<Category>,
    /// A pre-ordered lab image's own name and condition, which its rows carry as they are.
    pub lab: Option<LabFields>,
}

/// What a pre-ordered lab image's name says for the data, as the original program wrote it:
/// `imagename` is the file name verbatim and `condition` its 4th `_`-separated field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabFields {
    /// The file name, e.g. `0001_s5n_s01_0_bird_00_bird3-bird2.png`.
    pub imagename: String,
    /// The subject field, e.g. `s01`: whose session the image was pre-ordered for.
    pub subject: String,
    /// The condition field, e.g. `0`.
    pub condition: String,
}

impl Stimulus {
    /// Whether shape and texture disagree (a cue-conflict image).
    pub fn is_conflict(&self) -> bool {
        self.texture.is_some_and(|t| t != self.shape)
    }
}

/// How the set is laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<category>/<name>.png`, e.g. `bird/bird3-clock2.png`.
    CategoryFolders,
    /// The original lab layout: one folder of pre-ordered images named
    /// `NNNN_<code>_<subject>_<condition>_<category>_00_<original>.png`.
    PreOrdered,
    /// The original's per-subject layout: a folder of pre-ordered images per subject,
    /// `<subject>/`, or per session of a subject, `<subject>/session-N/`.
    PerSubject,
}

impl Layout {
    /// Whether the images carry their order in their names (never shuffled).
    pub fn is_pre_ordered(self) -> bool {
        self != Layout::CategoryFolders
    }
}

/// All stimuli of a set, sorted by path (the pre-ordered layout keeps its trial order).
#[derive(Debug, Clone)]
pub struct StimulusSet {
    /// The set's directory.
    pub root: PathBuf,
    /// How the set is laid out.
    pub layout: Layout,
    /// The stimuli in file order.
    pub stimuli: Vec<Stimulus>,
    /// A per-subject set's folders, in order; empty for the other layouts.
    pub folders: Vec<SessionFolder>,
    /// Entries of the folder left out on purpose (system files, files that are not images),
    /// one line each naming the file, for the experimenter to see.
    pub notes: Vec<String>,
}

impl StimulusSet {
    /// Finds the stimuli of a set, reporting every naming problem at once.
    ///
    /// This reads names only; [`StimulusSet::verify_images`] decodes the images.
    pub fn open(root: &Path) -> Result<StimulusSet> {
        let (set, problems) = StimulusSet::scan(root)?;
        report(problems)?;
        Ok(set)
    }

    /// Finds the stimuli and decodes every image, reporting naming and image problems
    /// together, one line per file: what a session checks before it starts.
    pub fn check(root: &Path, size: u32) -> Result<StimulusSet> {
        let (set, mut problems) = StimulusSet::scan(root)?;
        problems.extend(set.image_problems(size));
        report(problems)?;
        Ok(set)
    }

    /// [`StimulusSet::check`], after writing the built-in demo set when `root` is the demo's
    /// folder and does not exist yet (its first use).
    pub fn check_or_make_demo(root: &Path, size: u32) -> Result<StimulusSet> {
        if !root.exists() && demo::is_demo_dir(root) {
            eprintln!("making the demo stimuli in {} (first use)", root.display());
            demo::write_set(root)?;
        }
        StimulusSet::check(root, size)
    }

    /// Refuses a configured `stimuli:` folder that does not exist, naming the config's line
    /// (the demo folder is made on first use).
    pub fn check_folder(experiment: &crate::config::Experiment) -> Result<()> {
        let root = &experiment.config.stimuli;
        if root.exists() || demo::is_demo_dir(root) {
            return Ok(());
        }
        Err(experiment.error_at(&["stimuli"], format!("{}: no such folder", root.display())))
    }

    /// Checks the set at `root` without writing anything there: a demo folder not made yet is
    /// made and checked in a scratch folder, as its first session will make it (`shapelab
    /// check`). The scratch folder, when there is one, is removed when dropped.
    pub fn check_without_making(root: &Path, size: u32) -> Result<(StimulusSet, Option<Scratch>)> {
        if root.exists() || !demo::is_demo_dir(root) {
            return StimulusSet::check(root, size).map(|set| (set, None));
        }
        let scratch =
            Scratch(std::env::temp_dir().join(format!("shapelab-check-{}", std::process::id())));
        let demo = scratch.0.join("stimuli/demo");
        demo::write_set(&demo)?;
        let mut set = StimulusSet::check(&demo, size)?;
        set.root = root.to_path_buf();
        Ok((set, Some(scratch)))
    }

    fn scan(root: &Path) -> Result<(StimulusSet, Vec<String>)> {
        let entries = read_dir_sorted(root)?;
        let folders_in: Vec<&PathBuf> = entries
            .iter()
            .filter(|p| p.is_dir() && !file_name(p).starts_with('.'))
            .collect();
        let by_category = folders_in
            .iter()
            .any(|d| file_name(d).parse::<Category>().is_ok());
        let mut found = Findings::default();
        let mut stimuli = Vec::new();
        let mut folders = Vec::new();
        let layout = if folders_in.is_empty() {
            collect_pre_ordered(&entries, &mut stimuli, &mut found);
            Layout::PreOrdered
        } else if by_category {
            for png in found.png_files(&entries, None) {
                found.problems.push(format!(
                    "{}: an image beside the category folders has no category; move it into its \
                     shape's folder",
                    png.display()
                ));
            }
            for folder in entries.iter().filter(|p| p.is_dir()) {
                if !found.ignores_hidden_folder(folder) {
                    collect_folder(folder, &mut stimuli, &mut found);
                }
            }
            Layout::CategoryFolders
        } else {
            subjects::collect(&entries, &mut stimuli, &mut folders, &mut found);
            Layout::PerSubject
        };
        if stimuli.is_empty() && found.problems.is_empty() {
            found
                .problems
                .push(format!("{}: no .png stimuli found", root.display()));
        }
        let set = StimulusSet {
            root: root.to_path_buf(),
            layout,
            stimuli,
            folders,
            notes: found.notes,
        };
        Ok((set, found.problems))
    }

    /// Decodes every image (in parallel) and checks that it is `size` x `size` pixels;
    /// reports all problems together, one line per file.
    pub fn verify_images(&self, size: u32) -> Result<()> {
        report(self.image_problems(size))
    }

    fn image_problems(&self, size: u32) -> Vec<String> {
        let results = crate::parallel::map(&self.stimuli, |s| check_image(&s.path, size).err());
        self.stimuli
            .iter()
            .zip(results)
            .filter_map(|(s, problem)| match problem {
                Some(None) => None,
                Some(Some(e)) => Some(e.to_string()),
                None => Some(format!(
                    "{}: the PNG decoder crashed on this file",
                    s.path.display()
                )),
            })
            .collect()
    }
}

/// Decodes an image into 8-bit RGBA and checks its size.
pub fn load_rgba(path: &Path, size: u32) -> Result<Vec<u8>> {
    let image = decode(path)?;
    if image.width() != size || image.height() != size {
        return Err(Error::in_file(
            path,
            format!(
                "is {}x{} pixels, expected {size}x{size}",
                image.width(),
                image.height()
            ),
        ));
    }
    Ok(image.into_rgba8().into_raw())
}

/// A scratch folder of the process's own, removed with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decodes an image file, naming the file in the error.
pub fn decode(path: &Path) -> Result<image::DynamicImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the image", e))?;
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).map_err(|e| {
        match image::guess_format(&bytes) {
            Ok(format) if format != image::ImageFormat::Png => Error::in_file(
                path,
                format!(
                    "is a {} image named .png; shapelab reads PNG only: convert it to PNG",
                    format!("{format:?}").to_uppercase()
                ),
            ),
            _ => Error::in_file(path, format!("is not a readable PNG image ({e})")),
        }
    })
}

fn check_image(path: &Path, size: u32) -> Result<()> {
    load_rgba(path, size).map(|_| ())
}

fn report(problems: Vec<String>) -> Result<()> {
    match problems.len() {
        0 => Ok(()),
        1 => Err(Error::new(problems.concat())),
        n => Err(Error::new(format!(
            "{n} problems in the stimulus set:\n  {}",
            problems.join("\n  ")
        ))),
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(dir, "open the stimulus directory", e))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(
            entry
                .map_err(|e| Error::io(dir, "list the stimulus directory", e))?
                .path(),
        );
    }
    paths.sort();
    Ok(paths)
}

/// Adds a pre-ordered folder's images, given its entries, naming every other entry.
fn collect_pre_ordered(entries: &[PathBuf], stimuli: &mut Vec<Stimulus>, found: &mut Findings) {
    for path in found.png_files(entries, Some("in a folder of pre-ordered images")) {
        match pre_ordered(&path) {
            Ok(stimulus) => stimuli.push(stimulus),
            Err(problem) => found.problems.push(problem),
        }
    }
}

fn collect_folder(folder: &Path, stimuli: &mut Vec<Stimulus>, found: &mut Findings) {
    let name = file_name(folder);
    let shape = match name.parse::<Category>() {
        Ok(shape) => shape,
        Err(e) => {
            return found
                .problems
                .push(format!("{}: folder name: {e}", folder.display()))
        }
    };
    let files = match read_dir_sorted(folder) {
        Ok(files) => files,
        Err(e) => return found.problems.push(e.to_string()),
    };
    let images = found.png_files(&files, Some("in a category folder"));
    if images.is_empty() {
        return found.problems.push(format!(
            "{}: the category folder has no .png images",
            folder.display()
        ));
    }
    for path in images {
        let original = file_name(&path);
        if original.contains('_') {
            found.problems.push(format!(
                "{}: the name contains '_', which image names in raw data cannot carry",
                path.display()
            ));
            continue;
        }
        match texture_category(&original) {
            Ok(texture) => stimuli.push(Stimulus {
                path,
                original,
                shape,
                texture,
                lab: None,
            }),
            Err(e) => found.problems.push(format!("{}: {e}", path.display())),
        }
    }
}

fn texture_category(original: &str) -> std::result::Result<Option<Category>, String> {
    match texture_of_original(original) {
        None => Ok(None),
        Some(texture) => texture
            .parse()
            .map(Some)
            .map_err(|e| format!("texture part of the name: {e}")),
    }
}

fn pre_ordered(path: &Path) -> std::result::Result<Stimulus, String> {
    let name = file_name(path);
    let parsed = TrialImageName::parse(&name).ok_or_else(|| {
        format!(
            "{}: not a pre-ordered image name NNNN_code_subject_condition_category_00_original.png \
             (or put the images in one folder per category)",
            path.display()
        )
    })?;
    let shape = parsed
        .category
        .parse()
        .map_err(|e| format!("{}: category field: {e}", path.display()))?;
    let texture =
        texture_category(&parsed.original).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Stimulus {
        path: path.to_path_buf(),
        original: parsed.original,
        shape,
        texture,
        lab: Some(LabFields {
            imagename: name,
            subject: parsed.subject,
            condition: parsed.condition,
        }),
    })
}

#[cfg(test)]
mod tests;
