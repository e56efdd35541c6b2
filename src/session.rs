//! Opening a session: choosing the session number, planning or re-planning the trials,
//! opening (never overwriting) the data files, and building the timeline.

use std::path::Path;

use chrono::Local;

use crate::config::{Experiment, TrialOrder};
use crate::data::paths::{check_subject, last_session, next_free_session, SessionPaths};
use crate::data::raw::{RawDataWriter, RawRow};
use crate::data::record::{DisplayFacts, RunRecord, SessionRecord, Status, TimingMode};
use crate::data::timing::TimingWriter;
use crate::data::{Recorder, RowLabels};
use crate::error::{Error, Result};
use crate::stimuli::{practice, StimulusSet};
use crate::trials::plan::PlanRequest;
use crate::trials::timeline::{History, ResponseRules};
use crate::trials::{PhaseFrames, ResponseGrid, SessionPlan, Timeline, TimelineSettings};

/// What the experimenter chose for this session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Subject code, as written in the data.
    pub subject: String,
    /// The subject whose trial order and masks the session shows, when not `subject` (a
    /// simulated participant sees what that participant will see).
    pub seed_subject: Option<String>,
    /// Session number; the next free one when absent.
    pub session: Option<u32>,
    /// A practice run: feedback on, nothing written.
    pub practice: bool,
    /// Continue an interrupted session.
    pub resume: bool,
    /// Only the first N trials (piloting).
    pub trials: Option<usize>,
    /// The answers about the participant, checked against the config's `participant_info`.
    pub participant: std::collections::BTreeMap<String, String>,
    /// The sound output's error when the session runs without sound, started knowingly with
    /// `--allow-silent` (the run's record keeps it).
    pub silent: Option<String>,
}

/// A session ready to run.
#[derive(Debug)]
pub struct Session {
    /// The trials.
    pub plan: SessionPlan,
    /// The state machine to step once per frame.
    pub timeline: Timeline,
    /// Writes the files; `None` for practice.
    pub recorder: Option<Recorder>,
    /// Frames per phase.
    pub frames: PhaseFrames,
    /// Labels of the rows.
    pub labels: RowLabels,
    /// Index of the first trial this run shows.
    pub first_trial: usize,
}

impl Session {
    /// What this run does, in one line, e.g. `session 2 of subject-01: 36 trials from trial
    /// 13 (of 48), writing raw-data/_incomplete/...csv (into raw-data/exp when complete)`;
    /// `who` follows the subject code.
    pub fn describe(&self, who: &str) -> String {
        let planned = self.plan.trials.len();
        let left = planned - self.first_trial;
        let Some(recorder) = &self.recorder else {
            return format!("practice: {left} trials, no data written");
        };
        let from = match self.first_trial {
            0 => String::new(),
            done => format!(" from trial {} (of {planned})", done + 1),
        };
        format!(
            "session {} of {}{who}: {left} trials{from}, writing {} (into {} when complete)",
            self.labels.session,
            self.labels.subject,
            recorder.paths().incomplete.display(),
            recorder.paths().folder.display()
        )
    }
}

/// The checked stimulus set of a session: the main set, or in practice the practice set, which
/// is refused when it shares an image with the main set (see [`practice`]).
pub fn stimulus_set(experiment: &Experiment, practice: bool) -> Result<StimulusSet> {
    let config = &experiment.config;
    StimulusSet::check_folder(experiment)?;
    let main = StimulusSet::check_or_make_demo(&config.stimuli, config.surround_size)?;
    if !practice {
        return Ok(main);
    }
    practice::open(experiment, &main).map(|(set, _)| set)
}

/// Opens a session on `set`, shown on a display described by `display`.
pub fn open(
    experiment: &Experiment,
    set: &StimulusSet,
    options: &SessionOptions,
    display: DisplayFacts,
) -> Result<Session> {
    check_subject(&options.subject)?;
    let config = &experiment.config;
    let frames = PhaseFrames::new(config, config.refresh_hz, options.practice)
        .map_err(|e| Error::in_file(&experiment.path, e))?;
    let grid = ResponseGrid::new(
        &experiment.response_order,
        display.width_px,
        display.height_px,
        config.box_size,
        config.object_gap,
    );
    let block_size = if options.practice {
        config.num_practice_trials_per_block
    } else {
        config.num_trials_per_block
    };
    let response_ms = if options.practice {
        config.ms_resp_object_practice
    } else {
        config.ms_resp_object
    };
    let settings = TimelineSettings {
        frames,
        period: 1.0 / config.refresh_hz,
        auditive_feedback: options.practice || config.auditive_feedback.0,
        visual_feedback: options.practice || config.visual_feedback.0,
        block_size,
        rules: ResponseRules {
            rt_from: config.rt_from,
            buttons: config.response_buttons,
        },
        window: config.response_window,
        window_seconds: response_ms / 1000.0,
        // Synchronised onsets come from when the next frame could be acquired (see
        // `TimelineSettings::interval_lag`).
        interval_lag: usize::from(display.timing == TimingMode::Synchronised),
    };
    let session = choose_session(experiment, options)?;
    // A lab's pre-ordered images are a participant's own, as the original's subject folders.
    let subject = options.seed_subject.as_deref().unwrap_or(&options.subject);
    let own = set.for_participant(
        subject,
        session,
        options.practice,
        config.pre_ordered_shared,
    )?;
    let set = &own;
    let labels = RowLabels {
        subject: options.subject.clone(),
        session,
        code: config.code.clone(),
        condition: config.condition.clone(),
    };
    let mut request = PlanRequest {
        experiment: &config.experiment,
        subject: options.seed_subject.as_deref().unwrap_or(&options.subject),
        session,
        order: config.trial_order,
        block_size,
        limit: options.trials,
    };
    if options.practice {
        request.limit = options
            .trials
            .or(config.practice.trials)
            .or(Some(block_size));
        let plan = SessionPlan::new(set, &request);
        let timeline = Timeline::new(plan.trials.clone(), grid, settings, 0, &History::new());
        return Ok(Session {
            plan,
            timeline,
            recorder: None,
            frames,
            labels,
            first_trial: 0,
        });
    }
    let paths = SessionPaths::new(
        &config.output,
        &config.experiment,
        &options.subject,
        session,
    )?;
    paths.create_folders()?;
    let run = RunRecord {
        started: Local::now(),
        ended: None,
        first_trial: 1,
        trials_done: 0,
        status: Status::Running,
        display,
        late_intervals: Default::default(),
        trials_with_late_frames: 0,
        disturbed_trials: 0,
        notes: Vec::new(),
        flip_log: None,
        silent: options.silent.clone(),
    };
    let (plan, recorder, history) = if options.resume {
        resume(experiment, set, options, &labels, paths, &mut request, run)?
    } else {
        start(
            experiment,
            set,
            &labels,
            paths,
            &request,
            run,
            &options.participant,
        )?
    };
    let first_trial = history.len();
    let timeline = Timeline::new(plan.trials.clone(), grid, settings, first_trial, &history);
    Ok(Session {
        plan,
        timeline,
        recorder: Some(recorder),
        frames,
        labels,
        first_trial,
    })
}

fn choose_session(experiment: &Experiment, options: &SessionOptions) -> Result<u32> {
    let config = &experiment.config;
    let (output, name, subject) = (&config.output, &config.experiment, &options.subject);
    if options.practice {
        return Ok(options.session.unwrap_or(1));
    }
    if options.resume {
        return match options.session {
            Some(n) => Ok(n),
            None => last_session(output, name, subject)?.ok_or_else(|| {
                Error::new(format!(
                    "{}: subject {subject} has no session to resume",
                    output.join(name).display()
                ))
            }),
        };
    }
    match options.session {
        None => next_free_session(output, name, subject),
        Some(n) => {
            let paths = SessionPaths::new(output, name, subject, n)?;
            if paths.any_exists() {
                let next = next_free_session(output, name, subject)?;
                return Err(Error::in_file(
                    &paths.data,
                    format!(
                        "session {n} of {subject} exists and is never overwritten; \
                         the next free session is {next} (--session {next}), or continue this one with --resume"
                    ),
                ));
            }
            Ok(n)
        }
    }
}

type Opened = (SessionPlan, Recorder, History);

fn start(
    experiment: &Experiment,
    set: &StimulusSet,
    labels: &RowLabels,
    paths: SessionPaths,
    request: &PlanRequest<'_>,
    run: RunRecord,
    participant: &std::collections::BTreeMap<String, String>,
) -> Result<Opened> {
    let plan = SessionPlan::new(set, request);
    let record = SessionRecord {
        software: format!("shapelab {}", env!("CARGO_PKG_VERSION")),
        experiment: experiment.config.experiment.clone(),
        subject: labels.subject.clone(),
        session: labels.session,
        seed: plan.seed,
        trial_order: request.order,
        trials_planned: plan.trials.len(),
        trial_limit: request.limit,
        stimuli: set.root.clone(),
        config_file: experiment.path.clone(),
        config: experiment.config.clone(),
        trials_done: 0,
        status: Status::Running,
        runs: vec![run],
        participant: participant.clone(),
    };
    // The record comes first: a session killed at any moment after it can be resumed.
    record.write(&paths.record)?;
    let data = RawDataWriter::create(&paths.incomplete)?;
    let timing = TimingWriter::create(&paths.timing)?;
    let recorder = Recorder::new(labels.clone(), paths, data, timing, record)?;
    Ok((plan, recorder, History::new()))
}

fn resume(
    experiment: &Experiment,
    set: &StimulusSet,
    options: &SessionOptions,
    labels: &RowLabels,
    paths: SessionPaths,
    request: &mut PlanRequest<'_>,
    mut run: RunRecord,
) -> Result<Opened> {
    for moved in paths.adopt_legacy_logs()? {
        eprintln!(
            "moved {} from the data folder to {} (the data folder holds raw data only)",
            moved
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            paths.logs.display()
        );
    }
    let mut record = SessionRecord::read(&paths.record)?;
    adopt_legacy_incomplete(&paths, &record)?;
    if record.experiment != experiment.config.experiment || record.subject != options.subject {
        return Err(Error::in_file(
            &paths.record,
            format!(
                "belongs to experiment {} and subject {}, not to this session",
                record.experiment, record.subject
            ),
        ));
    }
    if options
        .trials
        .is_some_and(|n| Some(n) != record.trial_limit)
    {
        return Err(Error::in_file(
            &paths.record,
            "the session was planned with another --trials; resume it without --trials",
        ));
    }
    request.order = record.trial_order;
    request.limit = record.trial_limit;
    let plan = SessionPlan::new(set, request);
    if plan.seed != record.seed || plan.trials.len() != record.trials_planned {
        return Err(Error::in_file(
            &paths.record,
            format!(
                "the stimulus set {} no longer gives this session's {} trials",
                set.root.display(),
                record.trials_planned
            ),
        ));
    }
    if paths.data.exists() {
        return Err(Error::in_file(
            &paths.data,
            "the session is complete (its file is in the data folder); nothing to resume",
        ));
    }
    let (data, rows) = if paths.incomplete.exists() {
        RawDataWriter::resume(&paths.incomplete)?
    } else {
        (RawDataWriter::create(&paths.incomplete)?, Vec::new())
    };
    check_rows_follow_plan(&paths.incomplete, &rows, &plan, labels)?;
    if rows.len() >= plan.trials.len() {
        return Err(file_complete_session(&paths, record, rows.len()));
    }
    let timing = TimingWriter::resume(&paths.timing)?;
    let history: History = rows
        .iter()
        .map(|r| {
            (
                r.object_response == Some(r.category),
                r.object_response.is_some(),
            )
        })
        .collect();
    run.first_trial = rows.len() + 1;
    record.close_interrupted_runs(rows.len());
    record.status = Status::Running;
    record.runs.push(run);
    let recorder = Recorder::new(labels.clone(), paths, data, timing, record)?;
    Ok((plan, recorder, history))
}

/// A session whose CSV an earlier version of shapelab wrote into the data folder and whose
/// record says it did not complete: its CSV moves to the folder of incomplete sessions
/// first, so that the data folder never holds it while it is continued.
fn adopt_legacy_incomplete(paths: &SessionPaths, record: &SessionRecord) -> Result<()> {
    if record.status == Status::Completed || !paths.data.exists() {
        return Ok(());
    }
    if paths.incomplete.exists() {
        return Err(Error::in_file(
            &paths.data,
            format!(
                "the record says the session did not complete, and {} holds it too; \
                 keep the right one and move the other out of both folders",
                paths.incomplete.display()
            ),
        ));
    }
    if paths.adopt_legacy_incomplete()? {
        eprintln!(
            "moved {} to {} (its record says {}; the data folder holds completed sessions only)",
            paths.data.display(),
            paths.incomplete_folder.display(),
            record.status.word()
        );
    }
    Ok(())
}

/// A session whose every row is saved but whose CSV was not moved into the data folder (the
/// program ended between its last row and the move): the move is done now, and the record
/// says completed; the error says there is nothing left to run.
fn file_complete_session(paths: &SessionPaths, mut record: SessionRecord, rows: usize) -> Error {
    record.close_interrupted_runs(rows);
    record.status = Status::Completed;
    let filed = record
        .write(&paths.record)
        .and_then(|()| paths.move_into_data_folder());
    match filed {
        Ok(()) => Error::in_file(
            &paths.data,
            format!(
                "the session is complete ({rows} trials): its file is now in the data folder; \
                 nothing to resume"
            ),
        ),
        Err(e) => e,
    }
}

fn check_rows_follow_plan(
    path: &Path,
    rows: &[RawRow],
    plan: &SessionPlan,
    labels: &RowLabels,
) -> Result<()> {
    if rows.len() > plan.trials.len() {
        return Err(Error::at_line(
            path,
            plan.trials.len() + 2,
            format!("more rows than the session's {} trials", plan.trials.len()),
        ));
    }
    for (index, row) in rows.iter().enumerate() {
        let expected = labels.imagename(plan, index);
        if row.trial != index + 1 || row.imagename != expected {
            return Err(Error::at_line(
                path,
                index + 2,
                format!(
                    "trial {} is '{}', but the session plan has '{expected}' there; \
                     the stimulus set or config changed since the session started",
                    row.trial, row.imagename
                ),
            ));
        }
    }
    Ok(())
}

/// Orders the trials as the config says, for `check` to describe.
pub fn order_name(order: TrialOrder) -> &'static str {
    match order {
        TrialOrder::Random => "random (seeded by experiment, subject and session)",
        TrialOrder::Files => "file order",
    }
}
