//! The practice set. Practice feedback corrects every answer that is not the shape category
//! (the original's rule), so practice must teach the task and never shape over texture: its
//! images have no cue conflict, and none is an image of the main set (the original had a
//! practice folder of its own). Without a configured `practice.stimuli`, shapelab draws its own
//! practice images: the shape's word in plain grey letters, with no texture cue at all, so a
//! texture answer is the shape answer and is never corrected, and no image is one of the demo
//! set's (whose agreeing images have coloured, texture-worded letters). A configured set is
//! refused when it has cue-conflict images (unless `practice.allow_cue_conflict` says so
//! knowingly) or shares an image with the main set, compared by pixels and not by name.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::demo::{self, SIZE};
use super::{decode, StimulusSet};
use crate::categories::ALL;
use crate::config::Experiment;
use crate::error::{Error, Result};

/// Where a practice run's images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PracticeSource {
    /// `practice.stimuli` in the config.
    Configured(PathBuf),
    /// Images shapelab drew itself into this folder.
    Generated(PathBuf),
}

impl PracticeSource {
    /// Which practice set a config asks for, without opening it: for `check` and the launcher.
    pub fn of(experiment: &Experiment) -> PracticeSource {
        match &experiment.config.practice.stimuli {
            Some(dir) => PracticeSource::Configured(dir.clone()),
            None => PracticeSource::Generated(generated_dir()),
        }
    }

    /// The folder of the images.
    pub fn dir(&self) -> &Path {
        match self {
            PracticeSource::Configured(dir) | PracticeSource::Generated(dir) => dir,
        }
    }

    /// A line for the experimenter: which images a practice run shows, where they are, and
    /// whether they were `checked` against the main set (they are when a practice run opens
    /// them).
    pub fn describe(&self, checked: bool) -> String {
        match (self, checked) {
            (PracticeSource::Configured(dir), true) => format!(
                "{} (practice.stimuli; checked to share no image with the main set)",
                dir.display()
            ),
            (PracticeSource::Configured(dir), false) => format!(
                "{} (practice.stimuli; checked against the main set when practice starts)",
                dir.display()
            ),
            (PracticeSource::Generated(dir), _) => format!(
                "{} images shapelab draws itself, in {} (words without a texture cue; none is \
                 in the main set)",
                generated_count(),
                dir.display()
            ),
        }
    }
}

/// The practice set of a session over `main`: opened, every image checked, and refused when
/// it has cue-conflict images (see [`refuse_cue_conflict`]) or shares an image with the main
/// set.
pub fn open(experiment: &Experiment, main: &StimulusSet) -> Result<(StimulusSet, PracticeSource)> {
    let source = PracticeSource::of(experiment);
    let size = experiment.config.surround_size;
    if let PracticeSource::Generated(dir) = &source {
        if size != SIZE {
            return Err(experiment.error_at(
                &["surround_size"],
                format!(
                    "{size} px, but shapelab's practice images are {SIZE}x{SIZE}; set \
                     practice.stimuli to a practice folder of {size}x{size} images"
                ),
            ));
        }
        write_generated(dir)?;
    }
    let set = StimulusSet::check(source.dir(), size)?;
    refuse_cue_conflict(experiment, &set)?;
    let shared = shared_images(&set, main)?;
    if !shared.is_empty() {
        let shown: Vec<String> = shared
            .iter()
            .take(3)
            .map(|(p, m)| format!("{} = {}", p.display(), m.display()))
            .collect();
        let more = match shared.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        let images = match shared.len() {
            1 => "an image".to_string(),
            n => format!("{n} images"),
        };
        return Err(experiment.error_at(
            &["practice", "stimuli"],
            format!(
                "shares {images} with the main stimulus set, and practice feedback would teach \
                 their answers: {}{more}; use practice images that are not test images",
                shown.join(", ")
            ),
        ));
    }
    Ok((set, source))
}

/// Refuses a practice set with cue-conflict images (texture known and not the shape), listing
/// them, unless `practice.allow_cue_conflict` is set: practice feedback would correct every
/// texture answer on them and so teach the shape bias the study measures.
pub fn refuse_cue_conflict(experiment: &Experiment, set: &StimulusSet) -> Result<()> {
    if experiment.config.practice.allow_cue_conflict {
        return Ok(());
    }
    let conflicts: Vec<String> = set
        .stimuli
        .iter()
        .filter(|s| s.is_conflict())
        .map(|s| {
            let path = s.path.strip_prefix(&set.root).unwrap_or(&s.path);
            path.display().to_string()
        })
        .collect();
    if conflicts.is_empty() {
        return Ok(());
    }
    const LISTED: usize = 10;
    let more = match conflicts.len() {
        n if n > LISTED => format!(" and {} more", n - LISTED),
        _ => String::new(),
    };
    Err(experiment.error_at(
        &["practice", "stimuli"],
        format!(
            "{} has cue-conflict images ({} of {}), on which practice feedback would correct \
             every texture answer and teach the shape answer: {}{more}; use practice images \
             whose shape and texture agree or that have no texture, or set \
             practice.allow_cue_conflict: true to allow that knowingly",
            set.root.display(),
            conflicts.len(),
            set.stimuli.len(),
            conflicts[..conflicts.len().min(LISTED)].join(", ")
        ),
    ))
}

/// The pairs (practice image, main image) with the same pixels.
pub fn shared_images(
    practice: &StimulusSet,
    main: &StimulusSet,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    let main_keys = content_keys(main)?;
    let by_key: HashMap<u64, &Path> = main_keys
        .iter()
        .zip(&main.stimuli)
        .map(|(&key, s)| (key, s.path.as_path()))
        .collect();
    let practice_keys = content_keys(practice)?;
    Ok(practice_keys
        .iter()
        .zip(&practice.stimuli)
        .filter_map(|(key, s)| by_key.get(key).map(|m| (s.path.clone(), m.to_path_buf())))
        .collect())
}

/// A 64-bit digest of each image's decoded pixels and size: the same picture saved twice, or
/// under another name, gives the same key.
fn content_keys(set: &StimulusSet) -> Result<Vec<u64>> {
    let keys = crate::parallel::map(&set.stimuli, |s| {
        decode(&s.path).map(|image| {
            let rgba = image.into_rgba8();
            let mut hasher = std::hash::DefaultHasher::new();
            rgba.dimensions().hash(&mut hasher);
            rgba.as_raw().hash(&mut hasher);
            hasher.finish()
        })
    });
    set.stimuli
        .iter()
        .zip(keys)
        .map(|(s, key)| {
            key.unwrap_or_else(|| {
                Err(Error::in_file(
                    &s.path,
                    "the PNG decoder crashed on this file",
                ))
            })
        })
        .collect()
}

/// Grey levels of the letters of shapelab's practice images: one image per level and shape
/// category, for variety without any texture cue (the demo set's letters are coloured).
const GENERATED_INK_LEVELS: [u8; 13] = [20, 30, 40, 50, 60, 70, 80, 95, 110, 120, 130, 140, 150];

/// Where shapelab's own practice images are kept: the user's cache folder
/// (`$XDG_CACHE_HOME`, else `~/.cache`, else the system's temporary folder), in a folder named
/// after this version of the drawing, made again whenever it is missing or incomplete.
pub fn generated_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    // v1 held cue-conflict images: a new name, so that no cached v1 set is ever shown.
    cache.join("shapelab").join("practice-v2")
}

/// The number of images shapelab draws for practice.
fn generated_count() -> usize {
    GENERATED_INK_LEVELS.len() * ALL.len()
}

/// Whether `dir` holds every practice image (a cleaner may have removed some).
fn complete(dir: &Path) -> bool {
    let images = |folder: PathBuf| std::fs::read_dir(folder).map_or(0, |entries| entries.count());
    ALL.iter()
        .map(|c| images(dir.join(c.name())))
        .sum::<usize>()
        == generated_count()
}

/// Draws the practice images into `dir` unless they are all there; a new folder is filled first
/// and then renamed, so that a reader never sees half a set.
fn write_generated(dir: &Path) -> Result<()> {
    if complete(dir) {
        return Ok(());
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, "renew the practice images", e))?;
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create the folder", e))?;
    let filling = parent.join(format!(
        ".{}-{}",
        dir.file_name()
            .map_or("practice".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    for shape in ALL {
        let folder = filling.join(shape.name());
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, "create the folder", e))?;
        for (k, &level) in GENERATED_INK_LEVELS.iter().enumerate() {
            // No texture in the name: the image has none.
            let path = folder.join(format!("{shape}{}.png", k + 1));
            demo::draw_plain(shape, level)
                .save_with_format(&path, image::ImageFormat::Png)
                .map_err(|e| Error::in_file(&path, format!("cannot write the image: {e}")))?;
        }
    }
    match std::fs::rename(&filling, dir) {
        Ok(()) => Ok(()),
        // Another session made the set meanwhile: theirs is as good as ours.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&filling);
            Ok(())
        }
        Err(e) => Err(Error::io(dir, "write the practice images", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapelabs_practice_images_have_no_texture_and_are_no_demo_image() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (main, practice) = (dir.path().join("main"), dir.path().join("practice"));
        demo::write_set(&main).expect("demo set");
        write_generated(&practice).expect("practice set");
        let practice = StimulusSet::open(&practice).expect("practice");
        assert_eq!(practice.stimuli.len(), generated_count());
        assert!(practice.stimuli.iter().all(|s| s.texture.is_none()));
        let main = StimulusSet::open(&main).expect("main");
        assert_eq!(shared_images(&practice, &main).expect("compared"), []);
    }

    #[test]
    fn the_same_picture_under_another_name_is_found_as_shared() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (main, practice) = (dir.path().join("main"), dir.path().join("practice"));
        demo::write_set(&main).expect("demo set");
        std::fs::create_dir_all(practice.join("cat")).expect("folder");
        let texture = demo::textures_for(crate::categories::Category::Cat)[0];
        let original = main.join("cat").join(format!("cat1-{texture}1.png"));
        let image = image::open(&original).expect("readable");
        // Saved again (other bytes on disk, same pixels) under another name.
        image
            .save(practice.join("cat").join("cat9-bottle9.png"))
            .expect("saved");
        demo::draw(ALL[0], ALL[3])
            .save(practice.join("cat").join("cat2-dog2.png"))
            .expect("saved");
        let main = StimulusSet::open(&main).expect("main");
        let practice = StimulusSet::open(&practice).expect("practice");
        let shared = shared_images(&practice, &main).expect("compared");
        assert_eq!(shared.len(), 1, "{shared:?}");
        assert!(shared[0].0.ends_with("cat9-bottle9.png"));
        assert_eq!(shared[0].1, original);
    }
}
