//! Data written during a session: the raw-data CSV (one synced row per trial), the per-trial
//! timing log, and the session record.

pub mod flip_log;
pub mod paths;
pub mod progress;
pub mod raw;
pub mod record;
pub mod synced;
pub mod timing;

use std::collections::VecDeque;

use chrono::Local;

use crate::error::Result;
use crate::names::{short_subject, TrialImageName};
use crate::trials::timeline::TRIAL_PHASES;
use crate::trials::timeline::{Event, TrialResult, TrialTiming};
use crate::trials::SessionPlan;
use paths::SessionPaths;
use raw::{RawDataWriter, RawRow};
use record::{SessionRecord, Status};
use timing::TimingWriter;

/// Who and what a session's rows describe.
#[derive(Debug, Clone)]
pub struct RowLabels {
    /// Subject code, e.g. `subject-01`.
    pub subject: String,
    /// Session number.
    pub session: u32,
    /// Experiment code inside image names.
    pub code: String,
    /// Condition label.
    pub condition: String,
}

impl RowLabels {
    /// The image name of a trial in the lab's convention; a pre-ordered lab image's own name.
    pub fn imagename(&self, plan: &SessionPlan, index: usize) -> String {
        let trial = &plan.trials[index];
        if let Some(lab) = &trial.stimulus.lab {
            return lab.imagename.clone();
        }
        TrialImageName {
            trial: trial.number,
            code: self.code.clone(),
            subject: short_subject(&self.subject),
            condition: self.condition.clone(),
            category: trial.stimulus.shape.name().to_string(),
            extra: "00".into(),
            original: trial.stimulus.original.clone(),
        }
        .to_string()
    }

    /// The raw-data row of a trial's result.
    pub fn row(&self, plan: &SessionPlan, result: &TrialResult) -> RawRow {
        let trial = &plan.trials[result.index];
        RawRow {
            subj: self.subject.as_str().into(),
            session: self.session.to_string().into(),
            trial: trial.number,
            rt: result.rt,
            object_response: result.response,
            category: trial.stimulus.shape,
            condition: match &trial.stimulus.lab {
                Some(lab) => lab.condition.as_str().into(),
                None => self.condition.as_str().into(),
            },
            imagename: self.imagename(plan, result.index),
        }
    }
}

/// How often a paused session tries again to save what it keeps in memory.
pub const STORAGE_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// A line waiting to be written, in the order the events came.
#[derive(Debug)]
enum Unsaved {
    /// A raw-data row and its trial number.
    Row(usize, String),
    /// A timing line and its trial number.
    Timing(usize, String),
}

/// Writes a session's files as the timeline's events arrive. What cannot be written (disk
/// full, folder gone) stays in memory, in order, until [`Recorder::flush`] succeeds.
#[derive(Debug)]
pub struct Recorder {
    labels: RowLabels,
    paths: SessionPaths,
    data: RawDataWriter,
    timing: TimingWriter,
    record: SessionRecord,
    unsaved: VecDeque<Unsaved>,
    record_unsaved: bool,
    /// The completed session's CSV is in the data folder.
    filed: bool,
    rows_saved: usize,
    /// Plan indices of the trials whose row, and whose timing line, was handed over.
    responded: std::collections::BTreeSet<usize>,
    timed: std::collections::BTreeSet<usize>,
}

impl Recorder {
    /// A recorder over opened files; `record` already holds the new run.
    pub fn new(
        labels: RowLabels,
        paths: SessionPaths,
        data: RawDataWriter,
        timing: TimingWriter,
        record: SessionRecord,
    ) -> Result<Recorder> {
        record.write(&paths.record)?;
        Ok(Recorder {
            labels,
            paths,
            data,
            timing,
            record,
            unsaved: VecDeque::new(),
            record_unsaved: false,
            filed: false,
            rows_saved: 0,
            responded: Default::default(),
            timed: Default::default(),
        })
    }

    /// Acts on a frame's events: rows, timing, and the record at the end. An error means
    /// something could not be written; it stays in memory for [`Recorder::flush`] to retry.
    pub fn handle(&mut self, plan: &SessionPlan, events: &[Event]) -> Result<()> {
        for event in events {
            match event {
                Event::TrialResponded(result) => {
                    self.responded.insert(result.index);
                    let line = self.labels.row(plan, result).to_line();
                    let trial = plan.trials[result.index].number;
                    self.unsaved.push_back(Unsaved::Row(trial, line));
                }
                Event::TrialTimed(timing) => self.trial_timed(plan, timing),
                Event::SessionEnded { aborted } => self.finish(*aborted),
                Event::PrepareTrial(_) | Event::Beep => {}
            }
        }
        self.flush()
    }

    /// Writes everything still in memory, in order; stops at the first failure, keeping that
    /// line and all after it.
    pub fn flush(&mut self) -> Result<()> {
        while let Some(line) = self.unsaved.front() {
            match line {
                Unsaved::Row(_, text) => {
                    self.data.append_line(text)?;
                    self.rows_saved += 1;
                    self.record.trials_done += 1;
                    if let Some(run) = self.record.current_run() {
                        run.trials_done += 1;
                    }
                    // The record counts every saved row, so that it tells the truth after
                    // a kill.
                    self.record_unsaved = true;
                }
                Unsaved::Timing(_, text) => self.timing.append_line(text)?,
            }
            self.unsaved.pop_front();
        }
        if self.record_unsaved {
            self.record.write(&self.paths.record)?;
            self.record_unsaved = false;
        }
        // Every row is on disk and the record says completed: only now does the CSV join the
        // data folder, which the reference analyses read as completed participants.
        if self.record.status == Status::Completed && !self.filed {
            self.paths.move_into_data_folder()?;
            self.filed = true;
        }
        Ok(())
    }

    /// The rows this recorder has written to disk.
    pub fn rows_saved(&self) -> usize {
        self.rows_saved
    }

    /// The raw-data rows not yet on disk (complete lines, in trial order).
    pub fn unsaved_rows(&self) -> Vec<&str> {
        self.unsaved
            .iter()
            .filter_map(|line| match line {
                Unsaved::Row(_, text) => Some(text.as_str()),
                Unsaved::Timing(..) => None,
            })
            .collect()
    }

    /// What is waiting in memory, in the lab's words, e.g. `the row of trial 13 and the
    /// timing of trials 12, 13`.
    pub fn kept_in_memory(&self) -> String {
        let trials = |rows: bool| -> Vec<String> {
            self.unsaved
                .iter()
                .filter_map(|line| match (line, rows) {
                    (Unsaved::Row(trial, _), true) | (Unsaved::Timing(trial, _), false) => {
                        Some(trial.to_string())
                    }
                    _ => None,
                })
                .collect()
        };
        let part = |(one, many): (&str, &str), trials: Vec<String>| match trials.len() {
            0 => None,
            1 => Some(format!("the {one} of trial {}", trials[0])),
            _ => Some(format!("the {many} of trials {}", trials.join(", "))),
        };
        let parts: Vec<String> = [
            part(("row", "rows"), trials(true)),
            part(("timing", "timing"), trials(false)),
        ]
        .into_iter()
        .flatten()
        .collect();
        match parts.len() {
            0 => "the session record".to_string(),
            _ => parts.join(" and "),
        }
    }

    fn trial_timed(&mut self, plan: &SessionPlan, timing: &TrialTiming) {
        // One timing line per row: a session ended from outside the render thread may hand
        // a line over twice, or one whose row never came.
        if !self.responded.contains(&timing.index) || !self.timed.insert(timing.index) {
            return;
        }
        let imagename = self.labels.imagename(plan, timing.index);
        let line = timing::line(&plan.trials[timing.index], &imagename, timing);
        let trial = plan.trials[timing.index].number;
        self.unsaved.push_back(Unsaved::Timing(trial, line));
        if let Some(run) = self.record.current_run() {
            let mut late = false;
            for (name, phase) in TRIAL_PHASES.iter().zip(&timing.phases) {
                if phase.late_intervals > 0 {
                    *run.late_intervals
                        .entry(name.name().to_string())
                        .or_default() += phase.late_intervals;
                    late = true;
                }
            }
            run.trials_with_late_frames += usize::from(late);
            run.disturbed_trials += usize::from(!timing::disturbed(timing).is_empty());
        }
    }

    /// Adds a note to the current run (e.g. the window lost focus).
    pub fn note(&mut self, note: String) {
        if let Some(run) = self.record.current_run() {
            run.notes.push(note);
        }
    }

    fn finish(&mut self, aborted: bool) {
        let status = if aborted {
            Status::Aborted
        } else {
            Status::Completed
        };
        self.record.status = status;
        if let Some(run) = self.record.current_run() {
            run.status = status;
            run.ended = Some(Local::now());
        }
        self.record_unsaved = true;
    }

    /// Writes the record as it is now (e.g. after adding notes at the end).
    pub fn save(&mut self) -> Result<()> {
        self.record_unsaved = true;
        self.flush()
    }

    /// Starts the flip log of the run in progress (its own file, named in the record).
    pub fn open_flip_log(&mut self) -> Result<flip_log::FlipLogWriter> {
        let run = self.record.runs.len().max(1);
        let path = self.paths.flips_of_run(run);
        let log = flip_log::FlipLogWriter::create(&path)?;
        if let Some(current) = self.record.current_run() {
            current.flip_log = path.file_name().map(|n| n.to_string_lossy().into_owned());
        }
        self.save()?;
        Ok(log)
    }

    /// The session's files.
    pub fn paths(&self) -> &SessionPaths {
        &self.paths
    }
}
