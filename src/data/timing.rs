//! The per-trial timing log: planned and shown frames, onsets and late frame intervals of every
//! phase, and what disturbed the trial, so that any trial's timing can be audited after the
//! session.

use std::path::Path;

use super::synced::SyncedFile;
use crate::error::{Error, Result};
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
    columns.push("disturbed".into());
    columns.join(",")
}

/// The `disturbed` field: `late_frames` when any frame interval was late, then each cause the
/// frame loop reported, separated by `;`; empty for an undisturbed trial.
pub fn disturbed(timing: &TrialTiming) -> String {
    let late = timing.phases.iter().any(|p| p.late_intervals > 0);
    let causes = timing.disturbed.iter().map(|d| d.name());
    let names: Vec<&str> = late
        .then_some("late_frames")
        .into_iter()
        .chain(causes)
        .collect();
    names.join(";")
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
    fields.push(disturbed(timing));
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

    /// Continues an existing timing log, or starts one when it is missing; refuses a log with
    /// other columns (written by another version of shapelab).
    pub fn resume(path: &Path) -> Result<TimingWriter> {
        if !path.exists() {
            return TimingWriter::create(path);
        }
        let (mut file, text) = SyncedFile::resume(path)?;
        let first = text.lines().next().unwrap_or_default();
        if first.is_empty() {
            file.append(&format!("{}\n", header()))?;
        } else if first != header() {
            return Err(Error::at_line(
                path,
                1,
                "the timing log has other columns than this version of shapelab writes; \
                 move it aside to continue the session",
            ));
        }
        Ok(TimingWriter { file })
    }

    /// Appends a line made by [`line`] and waits until it is on disk.
    pub fn append_line(&mut self, line: &str) -> Result<()> {
        self.file.append(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Category;
    use crate::stimuli::Stimulus;
    use crate::trials::timeline::PhaseTiming;
    use crate::trials::{Disturbance, Disturbances};

    fn trial() -> Trial {
        Trial {
            number: 7,
            stimulus: Stimulus {
                path: "bird/bird1-clock1.png".into(),
                original: "bird1-clock1.png".into(),
                shape: Category::Bird,
                texture: Some(Category::Clock),
            },
            mask_seed: 42,
        }
    }

    fn timing(late: u32, causes: &[Disturbance]) -> TrialTiming {
        let mut disturbed = Disturbances::default();
        causes.iter().for_each(|&c| disturbed.insert(c));
        let mut phases = [PhaseTiming::default(); 7];
        phases[3].late_intervals = late;
        TrialTiming {
            index: 6,
            phases,
            disturbed,
        }
    }

    fn disturbed_field(timing: &TrialTiming) -> String {
        let line = line(&trial(), "x.png", timing);
        let fields: Vec<&str> = line.trim_end().split(',').collect();
        assert_eq!(fields.len(), header().split(',').count());
        fields.last().map(|f| f.to_string()).unwrap_or_default()
    }

    #[test]
    fn an_undisturbed_trial_has_an_empty_disturbed_field() {
        assert!(header().ends_with(",disturbed"));
        assert_eq!(disturbed_field(&timing(0, &[])), "");
    }

    #[test]
    fn late_frames_come_first_then_each_reported_cause() {
        let both = timing(2, &[Disturbance::StoragePause, Disturbance::Unfocused]);
        assert_eq!(
            disturbed_field(&both),
            "late_frames;window_unfocused;storage_pause"
        );
        assert_eq!(disturbed_field(&timing(1, &[])), "late_frames");
    }

    #[test]
    fn a_timing_log_with_other_columns_is_not_continued() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "trial,imagename\n1,x\n").expect("written");
        let err = TimingWriter::resume(&path).expect_err("must refuse");
        assert!(
            err.to_string()
                .contains("t.csv:1: the timing log has other columns"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            "trial,imagename\n1,x\n"
        );
    }
}
