//! The per-trial timing log: planned and shown frames, onsets and late frame intervals of every
//! phase, so that any trial's timing can be audited after the session.

use std::path::Path;

use super::synced::SyncedFile;
use crate::error::Result;
use crate::trials::timeline::{TrialTiming, TRIAL_PHASES};
use crate::trials::Trial;

/// The names of the trial phases in timing columns.
pub const PHASE_NAMES: [&str; 7] = [
    "fixation",
    "stimulus",
    "blank_after_stimulus",
    "mask",
    "blank_after_mask",
    "response",
    "feedback",
];

/// The timing log's header line.
pub fn header() -> String {
    debug_assert_eq!(PHASE_NAMES.len(), TRIAL_PHASES.len());
    let mut columns = vec!["trial".to_string(), "imagename".into(), "mask_seed".into()];
    for phase in PHASE_NAMES {
        for field in ["planned", "frames", "refreshes", "onset", "late"] {
            columns.push(format!("{phase}_{field}"));
        }
    }
    columns.join(",")
}

/// One trial's timing as a CSV line.
pub fn line(trial: &Trial, imagename: &str, timing: &TrialTiming) -> String {
    let mut fields = vec![
        trial.number.to_string(),
        imagename.to_string(),
        trial.mask_seed.to_string(),
    ];
    for p in &timing.phases {
        fields.push(p.planned.to_string());
        fields.push(p.frames.to_string());
        fields.push(p.refreshes.to_string());
        fields.push(p.onset.map_or_else(|| "NaN".into(), |t| format!("{t:.6}")));
        fields.push(p.late_intervals.to_string());
    }
    fields.join(",") + "\n"
}

/// Appends timing rows, each synced to disk.
#[derive(Debug)]
pub struct TimingWriter {
    file: SyncedFile,
}

impl TimingWriter {
    /// Creates a new timing log.
    pub fn create(path: &Path) -> Result<TimingWriter> {
        Ok(TimingWriter {
            file: SyncedFile::create(path, &header())?,
        })
    }

    /// Continues an existing timing log, or starts one when it is missing.
    pub fn resume(path: &Path) -> Result<TimingWriter> {
        if !path.exists() {
            return TimingWriter::create(path);
        }
        Ok(TimingWriter {
            file: SyncedFile::resume(path)?.0,
        })
    }

    /// Appends one trial's timing.
    pub fn append(&mut self, trial: &Trial, imagename: &str, timing: &TrialTiming) -> Result<()> {
        self.file.append(&line(trial, imagename, timing))
    }
}
