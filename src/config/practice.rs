//! `practice:` in the config: the practice run's images and length, and whether its images may
//! have a cue conflict.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Practice sessions: feedback forced on, no data written.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Practice {
    /// Practice stimulus set; shapelab's own practice images when absent.
    pub stimuli: Option<PathBuf>,
    /// Number of practice trials; `num_practice_trials_per_block` when absent.
    pub trials: Option<usize>,
    /// Lets a `stimuli` folder with cue-conflict images be used for practice, whose feedback
    /// then corrects texture answers (teaching the shape answer); refused by default.
    pub allow_cue_conflict: bool,
}
