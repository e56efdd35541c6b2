//! The session loop on the render thread: measure the refresh, then one frame per display
//! refresh: acquire (which blocks until the display is ready under Fifo with frame latency 1),
//! timestamp, step the timeline, upload what the loader prepared, draw, present. Files are
//! written by the data writer thread and images decoded by the loader thread, so that nothing
//! but drawing happens here.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::window::Window;

use super::preload::Preloader;
use super::storage_pause::{end_unsaved, StoragePause};
use super::writer::DataWriter;
use crate::config::Experiment;
use crate::data::record::{DisplayFacts, TimingMode};
use crate::display::audio::Beeper;
use crate::display::input::{Command, Controls, WindowInput};
use crate::display::screens::Overlay;
use crate::display::surface::{Acquired, FrameTarget, Presenter};
use crate::display::watchdog::{StallRecord, Watchdog};
use crate::error::{Error, Result};
use crate::session::{self, Session, SessionOptions};
use crate::stimuli::StimulusSet;
use crate::timing::flips::{rate_differs, FlipLog, FlipReport, Pacer, SyncWatch};
use crate::timing::server_times::FlipSource;
use crate::trials::timeline::{Event, Frame, FrameTick, Input, Phase};
use crate::trials::{Disturbance, PracticeScore, Screen};

pub use super::timing_test::{flip_test, FlipTest};
pub use crate::display::surface::load_icons;

/// How a presented session may run.
#[derive(Debug, Clone, Default)]
pub struct PresentOptions {
    /// Piloting in a window (allows unsynchronised timing).
    pub windowed: bool,
    /// Run even without vertical sync.
    pub allow_unsynced: bool,
    /// Run even when the measured refresh differs from the config or is unstable.
    pub ignore_refresh: bool,
    /// Flips measured before the session starts.
    pub measure_flips: usize,
    /// Print every phase change with its onset and trial to standard output.
    pub log_phases: bool,
    /// Run without a sound output (the session record says so).
    pub allow_silent: bool,
}

/// A finished presented session.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Ended by the experimenter.
    pub aborted: bool,
    /// The data file, when one was written.
    pub data: Option<PathBuf>,
    /// The answers of the run (what a practice run, which writes no data, reports).
    pub score: PracticeScore,
    /// The timing report.
    pub report: FlipReport,
    /// Synchronised or not.
    pub timing: TimingMode,
    /// Warnings shown during the session.
    pub warnings: Vec<String>,
}

/// Everything the render thread needs.
pub struct Job {
    /// The experiment.
    pub experiment: Experiment,
    /// The checked stimulus set.
    pub set: StimulusSet,
    /// Who and which session.
    pub session: SessionOptions,
    /// How to present.
    pub present: PresentOptions,
}

/// Runs a whole presented session on the render thread, its frames watched by `watchdog`.
pub fn run(
    window: Arc<Window>,
    inputs: Receiver<WindowInput>,
    epoch: Instant,
    job: Job,
    watchdog: &Arc<Watchdog>,
) -> Result<Outcome> {
    let mut experiment = job.experiment;
    let mut p = Presenter::open(window, epoch, &experiment)?;
    if job.session.practice {
        p.scene.show_practice();
    }
    p.watch(watchdog.clone());
    let (width, height) = p.scene.layout().screen;
    let estimate = p.measure_refresh(job.present.measure_flips)?;
    // Opening the session's files is no frame: watching starts again with the first one.
    p.rest_watchdog();
    let expected_hz = experiment.config.refresh_hz;
    let verdict = p.judge(&estimate, expected_hz);
    let synced = verdict.mode == TimingMode::Synchronised;
    let mut warnings: Vec<String> = p.presentation_warning().into_iter().collect();
    match (&verdict.mode, &verdict.problem) {
        (TimingMode::Unsynchronised, Some(problem)) => {
            if !(job.present.windowed || job.present.allow_unsynced) {
                return Err(Error::new(format!(
                    "{problem}; refusing to run a session with untrustworthy timing (pilot with --windowed, or force with --allow-unsynced)"
                )));
            }
            warnings.push(format!(
                "timing: unsynchronised ({problem}); frames are paced by a timer"
            ));
        }
        (_, Some(problem)) if !job.present.ignore_refresh => {
            return Err(Error::new(format!(
                "{problem}; override with --ignore-refresh"
            )));
        }
        (_, Some(problem)) => warnings.push(format!("refresh ignored: {problem}")),
        (_, None) => {}
    }
    // Frames last as long as the display's refresh makes them: with the check overridden on a
    // display at another rate, they are planned for the rate measured.
    if synced && rate_differs(&estimate, expected_hz) {
        experiment.config.refresh_hz = estimate.hz();
        warnings.push(format!(
            "frames are planned for the measured {:.3} Hz, not refresh_hz {expected_hz} Hz",
            estimate.hz()
        ));
    }
    let config = experiment.config.clone();
    let source = p.flip_source().clone();
    if let FlipSource::Server {
        warning: Some(warning),
        ..
    } = &source
    {
        warnings.push(warning.clone());
    }
    let facts = DisplayFacts {
        timing: verdict.mode,
        refresh_hz_expected: expected_hz,
        refresh_hz_measured: Some(estimate.hz()),
        refresh_sd_ms: Some(estimate.sd_ms),
        timestamps: [
            Some(match &source {
                FlipSource::Server { description, .. } => description.clone(),
                FlipSource::Estimate(why) if synced => format!("monotonic clock when get_current_texture returns (Fifo, frame latency 1); onset = that + 1 period, an estimate: {why}"),
                FlipSource::Estimate(why) => format!("timer-paced (no vsync); onset = acquire time, an estimate: {why}"),
            }),
            p.presentation_source(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; "),
        width_px: width,
        height_px: height,
    };
    let mut options = job.session;
    let beeper = match Beeper::open(&config.beep) {
        Ok(b) => Some(b),
        Err(e) if job.present.allow_silent => {
            warnings.push(format!(
                "no audio output ({e}): the session runs without the beep"
            ));
            options.silent = Some(e);
            None
        }
        Err(e) => return Err(crate::display::audio::no_sound_error(&e)),
    };
    let mut session = session::open(&experiment, &job.set, &options, facts)?;
    println!("{}", session.describe(""));
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    // The screen gets a short line; the full reasons go to the console and the record.
    let overlay_warning = match (&verdict.mode, &verdict.problem) {
        (TimingMode::Unsynchronised, _) => {
            Some("Timing: UNSYNCHRONISED (no vertical sync), for piloting only".to_string())
        }
        (_, Some(_)) => Some("Timing: refresh check overridden (--ignore-refresh)".to_string()),
        _ => None,
    };
    let paths = session.recorder.as_ref().map(|r| r.paths().clone());
    // Where the CSV is once the session has ended: a completed one moved into the data folder.
    let data = || paths.as_ref().map(|p| p.saved_data().to_path_buf());
    let mut writer = session
        .recorder
        .take()
        .map(|recorder| DataWriter::start(recorder, session.plan.clone()))
        .transpose()?;
    watchdog.connect_writer(
        writer
            .as_ref()
            .and_then(DataWriter::line)
            .map(|line| Arc::new(line) as Arc<dyn StallRecord>),
    );
    let preloader = Preloader::start(
        session.plan.trials.clone(),
        session.first_trial,
        config.surround_size,
        &config.mask,
    )?;
    let settings = LoopSettings {
        synced,
        period: 1.0 / config.refresh_hz,
        warning: overlay_warning,
        log_phases: job.present.log_phases,
        server_times: matches!(source, FlipSource::Server { .. }),
    };
    let mut score = PracticeScore::default();
    let result = run_session(
        &mut p,
        &mut session,
        SessionParts {
            inputs: &inputs,
            writer: writer.as_mut(),
            preloader,
            beeper: beeper.as_ref(),
            score: &mut score,
        },
        settings,
    );
    p.rest_watchdog();
    p.finish_feedback();
    // The writer thread ends once nothing else can hand it work.
    watchdog.connect_writer(None);
    let report = p.flips().report(1.0 / config.refresh_hz);
    let Some(mut writer) = writer else {
        return result.map(|ended| Outcome {
            aborted: ended.aborted(),
            data: data(),
            score,
            report,
            timing: verdict.mode,
            warnings,
        });
    };
    // The last flips, whose reports will not come now.
    log_flips(p.flips(), &mut writer, usize::MAX);
    let mut recorder = writer.finish()?;
    if let Ok(Ended::Unsaved(fault)) = &result {
        return Err(end_unsaved(&recorder, fault));
    }
    for note in p.take_notes() {
        recorder.note(note);
    }
    for w in &warnings {
        recorder.note(format!("warning: {w}"));
    }
    recorder.note(format!(
        "flip report: {} flips ({} with presentation times from the display server), {} late intervals, {} missed refreshes, longest {:.1} ms",
        report.flips, p.flips().presented_flips(), report.late_intervals, report.missed_refreshes, report.longest_ms
    ));
    // The session's own error (e.g. data it could not save) comes before this one.
    let saved = recorder.save();
    let ended = result?;
    saved?;
    Ok(Outcome {
        aborted: ended.aborted(),
        data: data(),
        score,
        report,
        timing: verdict.mode,
        warnings,
    })
}

/// How the frame loop runs.
pub(crate) struct LoopSettings {
    /// Frames wait for the display (otherwise a timer paces them).
    pub(crate) synced: bool,
    /// The refresh period the frames are planned for (s).
    pub(crate) period: f64,
    /// A standing warning for the experimenter.
    pub(crate) warning: Option<String>,
    /// Print phase changes.
    pub(crate) log_phases: bool,
    /// The display server reports when frames were presented: trial timings wait for those
    /// reports and are re-timed from them.
    pub(crate) server_times: bool,
}

/// What the frame loop works with besides the display and the session.
pub(crate) struct SessionParts<'a> {
    /// The window's inputs.
    pub(crate) inputs: &'a Receiver<WindowInput>,
    /// The data writer thread, unless nothing is written (practice).
    pub(crate) writer: Option<&'a mut DataWriter>,
    /// The stimulus loader thread.
    pub(crate) preloader: Preloader,
    /// The feedback beep, when there is a sound device.
    pub(crate) beeper: Option<&'a Beeper>,
    /// Counts the answers.
    pub(crate) score: &'a mut PracticeScore,
}

/// How the frame loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The session ended, by an abort or after its last trial.
    Session {
        /// Whether the experimenter ended it.
        aborted: bool,
    },
    /// The experimenter ended it while its data could not be saved.
    Unsaved(String),
}

impl Ended {
    fn aborted(&self) -> bool {
        !matches!(self, Ended::Session { aborted: false })
    }
}

/// The frame loop proper.
pub(crate) fn run_session<T: FrameTarget>(
    target: &mut T,
    session: &mut Session,
    mut parts: SessionParts<'_>,
    settings: LoopSettings,
) -> Result<Ended> {
    let period = settings.period;
    let mut pacer = Pacer::new(Instant::now(), Duration::from_secs_f64(period));
    let mut sync = SyncWatch::new(period);
    let mut overlay = Overlay {
        warning: settings.warning.clone(),
        ..Overlay::default()
    };
    let mut controls = Controls::default();
    let mut pending: Vec<Input> = Vec::new();
    let mut cursor_shown = false;
    let mut last_phase = None;
    let mut storage: Option<StoragePause> = None;
    let mut ended: Option<bool> = None;
    let mut uploaded: Option<usize> = None;
    let mut index: u64 = 0;
    // Trial timings (and the session's end after them) wait here for the display server's
    // report of their frames.
    loop {
        if !settings.synced {
            pacer.wait(index);
        }
        let (frame, acquired) = match target.acquire()? {
            Acquired::Frame(frame, t) => (frame, t),
            Acquired::Skipped => continue,
        };
        // Synchronised: the frame drawn now appears at the next refresh, and inputs are
        // complete up to now. Unsynchronised: it appears as soon as it is drawn.
        let flip = target.seconds(acquired);
        target.flips().push(flip);
        let onset = if settings.synced { flip + period } else { flip };
        pending.extend(target.take_disturbances().into_iter().map(Input::Disturbed));
        if let Some(writer) = parts.writer.as_deref_mut() {
            writer.release_settled(target.flips());
            // With presentation reports a flip is logged once its report is in (or never
            // will be); without, at once.
            let flips = target.flips();
            log_flips(flips, writer, flips.loggable(settings.server_times));
        }
        if settings.synced {
            match sync.flip(flip) {
                Some(true) => {
                    target.note("vertical sync lost: frames come faster than the refresh")
                }
                Some(false) => target.note("vertical sync is back"),
                None => {}
            }
            if sync.lost() {
                pending.push(Input::Disturbed(Disturbance::SyncLost));
            }
        }
        let trial = session.timeline.trial_number();
        let mut notes = Vec::new();
        let command = controls.take(
            parts.inputs,
            storage.is_some(),
            trial,
            |at| target.seconds(at),
            &mut pending,
            &mut notes,
        );
        for note in &notes {
            target.note(note);
        }
        if let Some(writer) = parts.writer.as_deref() {
            match (writer.fault(), storage.as_mut()) {
                (Some(fault), None) => {
                    eprintln!(
                        "warning: {}; the session is paused; kept in memory: {}",
                        fault.error, fault.kept
                    );
                    target.note(&format!("storage fault at trial {trial}: {}", fault.error));
                    pending.push(Input::Disturbed(Disturbance::StoragePause));
                    let pause = StoragePause::new(fault, trial);
                    overlay.storage_fault = Some(pause.message());
                    storage = Some(pause);
                }
                (Some(fault), Some(pause)) if &fault != pause.fault() => {
                    pause.update(fault);
                    overlay.storage_fault = Some(pause.message());
                }
                (None, Some(pause)) => {
                    let note = pause.resolved();
                    eprintln!("{note}; the session continues");
                    target.note(&note);
                    storage = None;
                    overlay.storage_fault = None;
                }
                _ => {}
            }
            match command {
                Command::RetryNow => writer.retry_now(),
                Command::EndUnsaved => {
                    let fault = storage.as_ref().map(|p| p.fault().error.clone());
                    return Ok(Ended::Unsaved(fault.unwrap_or_default()));
                }
                Command::None => {}
            }
        }
        overlay.confirm_abort = controls.confirm_abort;
        if overlay.confirm_abort || storage.is_some() {
            // The timeline waits while the experimenter decides or the data waits for disk
            // space; the pause shows up as a late interval of the phase it interrupted.
            target.present(frame, &Screen::Blank, &overlay);
            index += 1;
            continue;
        }
        // The session ends once everything handed to the writer is on disk.
        let written = parts
            .writer
            .as_deref()
            .is_none_or(|w| w.idle() && !w.holding());
        if let (Some(aborted), true) = (ended, written) {
            target.present(frame, &Screen::Done, &overlay);
            return Ok(Ended::Session { aborted });
        }
        let saved = parts.writer.as_deref().is_none_or(DataWriter::rows_saved);
        // The next trial's images go up during its fixation; its stimulus waits for them and
        // for every earlier row to be on disk.
        let next = session.timeline.trial_index();
        if uploaded != Some(next) && next < session.plan.trials.len() {
            if let Some(prepared) = parts.preloader.take(next)? {
                target.load_trial(&prepared.rgba, &prepared.mask);
                uploaded = Some(next);
            }
        }
        if uploaded != Some(next) || !saved {
            pending.push(Input::NotReady);
        }
        let tick = FrameTick {
            index,
            onset,
            inputs_until: flip,
        };
        let step = session.timeline.step(tick, &std::mem::take(&mut pending));
        for event in &step.events {
            match event {
                Event::Beep => {
                    if let Some(b) = parts.beeper {
                        b.beep();
                    }
                }
                Event::SessionEnded { aborted } => ended = Some(*aborted),
                Event::TrialResponded(result) => parts.score.add(result),
                Event::PrepareTrial(_) | Event::TrialTimed(_) => {}
            }
        }
        if let Some(writer) = parts.writer.as_deref_mut() {
            if settings.server_times {
                // Rows go at once: the next stimulus waits for them to be on disk.
                let (later, now): (Vec<Event>, Vec<Event>) = step
                    .events
                    .iter()
                    .partition(|e| matches!(e, Event::TrialTimed(_) | Event::SessionEnded { .. }));
                writer.hold(later);
                writer.send(&now);
            } else {
                writer.send(&step.events);
            }
            writer.unwritten(session.timeline.unwritten_timing());
        }
        let wants_cursor = matches!(step.screen, Screen::Response | Screen::Feedback(_));
        if wants_cursor != cursor_shown {
            target.show_cursor(wants_cursor);
            cursor_shown = wants_cursor;
        }
        if settings.log_phases {
            log_frame(onset, session.timeline.trial_number(), &step, last_phase);
        }
        last_phase = Some(step.phase);
        target.present(frame, &step.screen, &overlay);
        index += 1;
        if let (Some(aborted), None) = (ended, parts.writer.as_deref()) {
            return Ok(Ended::Session { aborted });
        }
    }
}

/// Hands the writer the flips it has not logged yet, up to flip `upto`.
fn log_flips(flips: &FlipLog, writer: &mut DataWriter, upto: usize) {
    for flip in flips.flip_lines(writer.flips_logged(), upto) {
        writer.flip(flip);
    }
}

/// Prints `phase <onset s> trial <n> <phase>` and flushes, for scripts that follow a session.
pub fn log_phase(onset: f64, trial: usize, phase: Phase) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "phase {onset:.3} trial {trial} {}", phase.name());
    let _ = out.flush();
}

/// Logs a frame for `--log-phases`: its phase when it changed since `last`, and `beep
/// <onset> trial <n>` when the frame sounds the feedback beep.
pub fn log_frame(onset: f64, trial: usize, frame: &Frame, last: Option<Phase>) {
    use std::io::Write;
    if last != Some(frame.phase) {
        log_phase(onset, trial, frame.phase);
    }
    if frame.events.contains(&Event::Beep) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "beep {onset:.3} trial {trial}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests;
