//! The results page of a session just run: its headline numbers from the raw-data CSV and
//! its timing from the session record.

use std::collections::BTreeMap;

use crate::data::paths::SessionPaths;
use crate::data::raw::read_rows;
use crate::data::record::{SessionRecord, Status, TimingMode};
use crate::data::timing::disturbed_trials;
use crate::error::Result;

use super::metrics::{summarise_observer, Bootstrap};
use super::observers::{Kind, Observer};

/// What the experimenter sees after a session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionResults {
    /// Completed, aborted, or still open (killed or crashed runs leave it `running`).
    pub status: Status,
    /// Trials with a data row.
    pub trials: usize,
    /// Trials in the session's plan.
    pub trials_planned: usize,
    /// 16-class accuracy.
    pub accuracy: Option<f64>,
    /// Share of trials without an answer.
    pub no_answer_rate: f64,
    /// Shape bias over cue-conflict trials.
    pub shape_bias: Option<f64>,
    /// Cue-conflict trials among them.
    pub conflict_trials: usize,
    /// How the frames were timed (synchronised, unsynchronised or simulated).
    pub timing: String,
    /// Frame intervals above 1.2 refresh periods, over all runs.
    pub late_intervals: u32,
    /// Trials with at least one late interval.
    pub trials_with_late_frames: usize,
    /// The trials the timing log marks as disturbed (late frames, focus lost, paused, ...),
    /// with their causes.
    pub disturbed: BTreeMap<usize, String>,
}

/// The disturbed trials and their causes in a line, e.g. `trial 3 (window_unfocused), trial 9
/// (late_frames)`; `none` for none.
pub fn disturbed_line(disturbed: &BTreeMap<usize, String>) -> String {
    if disturbed.is_empty() {
        return "none".into();
    }
    disturbed
        .iter()
        .map(|(trial, causes)| format!("trial {trial} ({})", causes.replace(';', ", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SessionResults {
    /// Reads the session's data file and record.
    pub fn read(paths: &SessionPaths) -> Result<SessionResults> {
        let rows = read_rows(paths.saved_data())?;
        let record = SessionRecord::read(&paths.record)?;
        let observer = Observer {
            experiment: record.experiment.clone(),
            subj: record.subject.clone(),
            source: String::new(),
            label: record.subject.clone(),
            rows,
            kind: Kind::Person,
            left_out: 0,
        };
        let summary = summarise_observer(
            &observer,
            Bootstrap {
                resamples: 0,
                seed: 1,
            },
        );
        let timing = record
            .runs
            .iter()
            .map(|r| match r.display.timing {
                TimingMode::Synchronised => "synchronised",
                TimingMode::Unsynchronised => "unsynchronised",
                TimingMode::Simulated => "simulated",
            })
            // The worst run names the session: unsynchronised > synchronised > simulated.
            .max()
            .unwrap_or("not started")
            .to_string();
        Ok(SessionResults {
            status: record.status,
            trials: summary.trials,
            trials_planned: record.trials_planned,
            accuracy: summary.accuracy.value,
            no_answer_rate: summary.no_answer_rate,
            shape_bias: summary.shape_bias.value,
            conflict_trials: summary.decisions.conflict_trials,
            timing,
            late_intervals: record
                .runs
                .iter()
                .flat_map(|r| r.late_intervals.values())
                .sum(),
            trials_with_late_frames: record.runs.iter().map(|r| r.trials_with_late_frames).sum(),
            disturbed: disturbed_trials(&paths.timing)?,
        })
    }
}
