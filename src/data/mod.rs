//! Data written during a session: the raw-data CSV (one synced row per trial), the per-trial
//! timing log, and the session record.

pub mod paths;
pub mod raw;
pub mod record;
pub mod synced;
pub mod timing;

use chrono::Local;

use crate::error::Result;
use crate::names::{short_subject, TrialImageName};
use crate::trials::timeline::{Event, TrialResult, TrialTiming};
use crate::trials::SessionPlan;
use paths::SessionPaths;
use raw::{RawDataWriter, RawRow};
use record::{SessionRecord, Status};
use timing::{TimingWriter, PHASE_NAMES};

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
    /// The image name of a trial in the lab's convention.
    pub fn imagename(&self, plan: &SessionPlan, index: usize) -> String {
        let trial = &plan.trials[index];
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
            condition: self.condition.as_str().into(),
            imagename: self.imagename(plan, result.index),
        }
    }
}

/// Writes a session's files as the timeline's events arrive.
#[derive(Debug)]
pub struct Recorder {
    labels: RowLabels,
    paths: SessionPaths,
    data: RawDataWriter,
    timing: TimingWriter,
    record: SessionRecord,
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
        })
    }

    /// Acts on a frame's events: rows, timing, and the record at the end.
    pub fn handle(&mut self, plan: &SessionPlan, events: &[Event]) -> Result<()> {
        for event in events {
            match event {
                Event::TrialResponded(result) => self.trial_responded(plan, result)?,
                Event::TrialTimed(timing) => self.trial_timed(plan, timing)?,
                Event::SessionEnded { aborted } => self.finish(*aborted)?,
                Event::PrepareTrial(_) | Event::Beep => {}
            }
        }
        Ok(())
    }

    fn trial_responded(&mut self, plan: &SessionPlan, result: &TrialResult) -> Result<()> {
        self.data.append(&self.labels.row(plan, result))?;
        self.record.trials_done += 1;
        if let Some(run) = self.record.current_run() {
            run.trials_done += 1;
        }
        Ok(())
    }

    fn trial_timed(&mut self, plan: &SessionPlan, timing: &TrialTiming) -> Result<()> {
        let imagename = self.labels.imagename(plan, timing.index);
        self.timing
            .append(&plan.trials[timing.index], &imagename, timing)?;
        if let Some(run) = self.record.current_run() {
            let mut late = false;
            for (name, phase) in PHASE_NAMES.iter().zip(&timing.phases) {
                if phase.late_intervals > 0 {
                    *run.late_intervals.entry((*name).to_string()).or_default() +=
                        phase.late_intervals;
                    late = true;
                }
            }
            run.trials_with_late_frames += usize::from(late);
        }
        Ok(())
    }

    /// Adds a note to the current run (e.g. the window lost focus).
    pub fn note(&mut self, note: String) {
        if let Some(run) = self.record.current_run() {
            run.notes.push(note);
        }
    }

    fn finish(&mut self, aborted: bool) -> Result<()> {
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
        self.record.write(&self.paths.record)
    }

    /// Writes the record as it is now (e.g. after adding notes at the end).
    pub fn save(&self) -> Result<()> {
        self.record.write(&self.paths.record)
    }

    /// The session's files.
    pub fn paths(&self) -> &SessionPaths {
        &self.paths
    }
}
