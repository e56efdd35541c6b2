//! `shapelab init DIR`: a new study with the original's parameters for everything the
//! paper's procedure fixes (see [`crate::original`]).

use std::path::Path;

use crate::error::{Error, Result};

/// The demo experiment's commented config, which a new study's template starts from.
const TEMPLATE: &str = include_str!("../experiment.yaml");

/// Writes a new study into `dir`: its `experiment.yaml` (never over an existing one), and
/// `raw-data/` and `stimuli/` folders.
pub fn init(dir: &Path) -> Result<()> {
    let config = dir.join("experiment.yaml");
    if config.exists() {
        return Err(Error::in_file(
            &config,
            "exists already; init never overwrites a study",
        ));
    }
    let name = dir
        .canonicalize()
        .ok()
        .or_else(|| Some(dir.to_path_buf()))
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| crate::names::check_name_part(n).is_ok())
        .unwrap_or_else(|| "my-experiment".into());
    // The demo config with the original's values for everything the procedure fixes.
    let text = crate::original::template(TEMPLATE)?.replacen(
        "experiment: demo-experiment  ",
        &format!("experiment: {name:<17}"),
        1,
    );
    for folder in [dir.to_path_buf(), dir.join("raw-data"), dir.join("stimuli")] {
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, "create the folder", e))?;
    }
    let readme = dir.join("stimuli/README.txt");
    std::fs::write(&readme, STIMULI_README).map_err(|e| Error::io(&readme, "write", e))?;
    crate::data::synced::write_atomically(&config, text.as_bytes())?;
    say!("wrote {} (experiment {name})", config.display());
    say!("stimuli: the demo set is made in {}/stimuli/demo on first use; see stimuli/README.txt for the paper's", dir.display());
    let (program, config) = (crate::hints::program(), crate::hints::quoted(&config));
    say!("next:    {program} check {config}   then   {program} launch {config}");
    if program != "shapelab" {
        say!("         (shapelab is not on PATH; `cargo install --path .` in shapelab's folder puts it there)");
    }
    Ok(())
}

const STIMULI_README: &str = "\
Stimuli of this study.

`stimuli: stimuli/demo` in experiment.yaml uses shapelab's own demo set, made here on first use.

For the paper's 1,280 cue-conflict images, download the texture-vs-shape repository
(https://github.com/rgeirhos/texture-vs-shape), copy
stimuli/style-transfer-preprocessed-512 next to this file (one folder per category, images
named <shape>N-<texture>M.png) and set `stimuli: stimuli/style-transfer-preprocessed-512`.
Its category icons go to `icons:` (one <category>.png per category).
";
