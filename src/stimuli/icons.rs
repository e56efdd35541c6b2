//! The response icons of `icons:`: one `<category>.png` per category, checked before anything
//! is shown, with a note for each icon that will be drawn at another size than `box_size`.

use crate::categories::ALL;
use crate::config::Experiment;
use crate::error::{Error, Result};

/// What the check found: the folder and the notes on icons that will be scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct IconCheck {
    /// The folder of the icons.
    pub folder: std::path::PathBuf,
    /// One line per icon whose size is not `box_size` (it is scaled to fit the box).
    pub scaled: Vec<String>,
}

/// Checks the config's icons; `None` when it has none (category names are shown).
pub fn check(experiment: &Experiment) -> Result<Option<IconCheck>> {
    let Some(folder) = &experiment.config.icons else {
        return Ok(None);
    };
    if !folder.is_dir() {
        return Err(
            experiment.error_at(&["icons"], format!("{}: no such folder", folder.display()))
        );
    }
    let paths: Vec<_> = ALL
        .iter()
        .map(|category| folder.join(format!("{category}.png")))
        .collect();
    let missing: Vec<String> = paths
        .iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.len() == paths.len() {
        return Err(Error::in_file(
            folder,
            format!(
                "none of the {} response icons is there (one <category>.png each, e.g. {})",
                paths.len(),
                missing[0]
            ),
        ));
    }
    if !missing.is_empty() {
        return Err(Error::in_file(
            folder,
            format!("response icons missing: {}", missing.join(", ")),
        ));
    }
    let size = experiment.config.box_size;
    let mut scaled = Vec::new();
    for path in &paths {
        let image = super::decode(path)?;
        if (image.width(), image.height()) != (size, size) {
            scaled.push(format!(
                "{}: is {}x{}, drawn scaled to the {size}x{size} box (box_size)",
                path.display(),
                image.width(),
                image.height()
            ));
        }
    }
    Ok(Some(IconCheck {
        folder: folder.clone(),
        scaled,
    }))
}
