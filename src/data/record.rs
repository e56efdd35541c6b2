//! The session record: everything needed to know later how a session was run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};

use super::synced::write_atomically;
use crate::config::{Config, TrialOrder};
use crate::error::{Error, Result};

/// How far frame onsets can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimingMode {
    /// A virtual display clock (simulated sessions): exact by construction.
    Simulated,
    /// No vertical sync: frames paced by a timer, onsets are estimates.
    Unsynchronised,
    /// Frames locked to a measured display refresh.
    Synchronised,
}

/// Facts about the display a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisplayFacts {
    /// How far timing can be trusted.
    pub timing: TimingMode,
    /// The refresh rate the config expects (Hz).
    pub refresh_hz_expected: f64,
    /// The measured refresh rate (Hz), when measured.
    pub refresh_hz_measured: Option<f64>,
    /// Standard deviation of the measured refresh interval (ms), when measured.
    pub refresh_sd_ms: Option<f64>,
    /// How frame timestamps were obtained.
    pub timestamps: String,
    /// Screen width in physical pixels.
    pub width_px: u32,
    /// Screen height in physical pixels.
    pub height_px: u32,
}

/// Whether a session or run is still going, finished, or was stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Started and not ended (or killed: resume it).
    Running,
    /// Every trial done.
    Completed,
    /// Stopped by the experimenter.
    Aborted,
    /// Ended without closing its record: killed from outside, crashed, or the power went.
    /// A run is marked so when the session is resumed.
    Interrupted,
}

impl Status {
    /// The lab's word for it, e.g. `aborted`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Aborted => "aborted",
            Status::Interrupted => "interrupted",
        }
    }
}

/// One start or resume of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started.
    pub started: DateTime<Local>,
    /// When it ended, if it ended cleanly.
    pub ended: Option<DateTime<Local>>,
    /// The 1-based number of its first trial.
    pub first_trial: usize,
    /// Trials it completed.
    pub trials_done: usize,
    /// How it ended.
    pub status: Status,
    /// The display it ran on.
    pub display: DisplayFacts,
    /// Frame intervals above 1.2 refresh periods, per trial phase.
    pub late_intervals: BTreeMap<String, u32>,
    /// Trials with at least one late frame interval.
    pub trials_with_late_frames: usize,
    /// Trials marked as disturbed in the timing log (late frames, focus lost, paused, ...).
    #[serde(default)]
    pub disturbed_trials: usize,
    /// Notable moments, e.g. the window losing focus.
    pub notes: Vec<String>,
    /// The file name of the run's flip log, beside the record (on-screen runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flip_log: Option<String>,
    /// Why the run had no sound: it was started knowingly with `--allow-silent` while the
    /// sound output failed with this error (no beep after unanswered or wrong trials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<String>,
}

/// The session record, written next to the data file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Program and version that wrote it.
    pub software: String,
    /// Experiment name.
    pub experiment: String,
    /// Subject code.
    pub subject: String,
    /// Session number.
    pub session: u32,
    /// Seed of the trial order and of the masks.
    pub seed: u64,
    /// The trial order used.
    pub trial_order: TrialOrder,
    /// Trials in the plan.
    pub trials_planned: usize,
    /// The `--trials` limit the plan was made with.
    pub trial_limit: Option<usize>,
    /// The stimulus set.
    pub stimuli: PathBuf,
    /// The config file.
    pub config_file: PathBuf,
    /// The config as used.
    pub config: Config,
    /// Trials with a data row.
    pub trials_done: usize,
    /// The session's state.
    pub status: Status,
    /// Every start and resume.
    pub runs: Vec<RunRecord>,
    /// The answers about the participant (`participant_info`), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub participant: BTreeMap<String, String>,
}

impl SessionRecord {
    /// Reads a record.
    pub fn read(path: &Path) -> Result<SessionRecord> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "read the session record", e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::at_line(path, e.line(), format!("not a session record: {e}")))
    }

    /// Writes the record atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::in_file(path, format!("cannot encode the session record: {e}")))?;
        write_atomically(path, &json)
    }

    /// The run in progress.
    pub fn current_run(&mut self) -> Option<&mut RunRecord> {
        self.runs.last_mut()
    }

    /// How far the session got, e.g. `aborted: 12 of 48 trials done`.
    pub fn progress(&self) -> String {
        format!(
            "{}: {} of {} trials done",
            self.status.word(),
            self.trials_done,
            self.trials_planned
        )
    }

    /// Tells the truth about runs that ended without closing the record (killed, crashed):
    /// they become `interrupted`, with the trials their rows show (`rows`: the data file's
    /// rows now). Called when the session is resumed.
    pub fn close_interrupted_runs(&mut self, rows: usize) {
        self.trials_done = rows;
        let starts: Vec<usize> = self.runs.iter().map(|r| r.first_trial).collect();
        for (i, run) in self.runs.iter_mut().enumerate() {
            if run.status != Status::Running {
                continue;
            }
            // A run's rows reach up to the next run's first trial, or to the last row.
            let last = starts.get(i + 1).map_or(rows, |next| next - 1).min(rows);
            run.trials_done = (last + 1).saturating_sub(run.first_trial);
            run.status = Status::Interrupted;
            let saved = match run.trials_done {
                0 => "it saved no row".to_string(),
                n => format!("it saved {n} rows, the last of trial {last}"),
            };
            run.notes.push(format!(
                "the run ended without closing this record (killed or crashed); {saved}"
            ));
        }
    }
}
