//! Simulated sessions: the complete timeline on a virtual display clock, with a simulated
//! participant, writing the same files as a real session. This is how the whole pipeline is
//! tested without a screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::categories::{Category, ALL};
use crate::data::{Recorder, STORAGE_RETRY};
use crate::error::{Error, Result};
use crate::rng::{derive_seed, Rng};
use crate::session::Session;
use crate::trials::timeline::{Button, Event, Frame, FrameTick, Input, Screen};
use crate::trials::Disturbance;

/// Which box a simulated participant clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Responder {
    /// The shape category.
    Shape,
    /// The texture category (the shape when the image has no texture).
    Texture,
    /// A random box (seeded by the session).
    Random,
    /// Nothing: every trial goes unanswered.
    None,
}

/// A virtual display clock.
#[derive(Debug, Clone, Copy)]
pub struct VirtualDisplay {
    /// Refresh rate (Hz).
    pub hz: f64,
    /// Pace frames at the refresh rate in real time instead of running as fast as possible.
    pub realtime: bool,
}

/// A simulated participant.
#[derive(Debug, Clone)]
pub struct Participant {
    responder: Responder,
    rt: f64,
    rng: Rng,
}

impl Participant {
    /// A participant that answers `rt` seconds after the response screen appears.
    pub fn new(responder: Responder, rt: f64, seed: u64) -> Participant {
        Participant {
            responder,
            rt,
            rng: Rng::new(derive_seed(seed, u64::MAX)),
        }
    }

    fn choose(&mut self, shape: Category, texture: Option<Category>) -> Option<Category> {
        match self.responder {
            Responder::Shape => Some(shape),
            Responder::Texture => Some(texture.unwrap_or(shape)),
            Responder::Random => Some(ALL[self.rng.below(ALL.len())]),
            Responder::None => None,
        }
    }
}

/// Seconds a simulated participant waits before clicking through start and break screens.
const CONTINUE_AFTER: f64 = 0.25;

/// Seconds a simulated participant holds the mouse button down.
pub const HOLD: f64 = 0.1;

/// Set by Ctrl-C once [`end_on_ctrl_c`] is in force.
static CTRL_C: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C end a simulated run as Escape then Y ends an on-screen one: the trials so far
/// are saved and the record says `aborted`. A second Ctrl-C, or one during a storage pause,
/// exits at once (the record then stays `running`; `--resume` continues the session).
pub fn end_on_ctrl_c() {
    // Without a handler (one already set), Ctrl-C keeps its default: the process ends.
    let _ = ctrlc::set_handler(|| {
        if CTRL_C.swap(true, Ordering::SeqCst) || PAUSED.load(Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Whether a storage pause is going on (Ctrl-C then ends the process at once).
static PAUSED: AtomicBool = AtomicBool::new(false);

/// Without an experimenter at a screen, a storage fault pauses the run, which retries until
/// everything kept in memory is on disk (Ctrl-C ends it; `--resume` continues it later).
fn wait_until_saved(recorder: &mut Recorder, fault: &Error, trial: usize) {
    PAUSED.store(true, Ordering::SeqCst);
    eprintln!(
        "paused: {fault}; kept in memory: {}; retrying every {} s \
         (Ctrl-C ends the run; continue it later with --resume)",
        recorder.kept_in_memory(),
        STORAGE_RETRY.as_secs_f64()
    );
    let paused = Instant::now();
    loop {
        std::thread::sleep(STORAGE_RETRY);
        if recorder.flush().is_ok() {
            break;
        }
    }
    PAUSED.store(false, Ordering::SeqCst);
    let waited = paused.elapsed().as_secs_f64();
    eprintln!("saved again after {waited:.1} s; the run continues");
    recorder.note(format!(
        "storage fault before trial {}: {fault}; saved again after {waited:.1} s",
        trial + 1
    ));
}

/// A left click at `at` over (x, y), held for [`HOLD`].
fn press(pending: &mut Vec<Input>, at: f64, (x, y): (f64, f64)) {
    let button = Button::Left;
    pending.push(Input::Click { at, x, y, button });
    pending.push(Input::Release {
        at: at + HOLD,
        button,
    });
}

/// Runs a session to its end on a virtual display; returns whether it ended by an abort.
///
/// `on_frame` sees every frame's tick, the frame (screen, phase, and events after they are
/// recorded) and the number of the trial on screen, and may return an input to deliver with
/// the next frame, e.g. an abort.
pub fn run(
    session: &mut Session,
    participant: &mut Participant,
    display: VirtualDisplay,
    mut on_frame: impl FnMut(FrameTick, &Frame, usize) -> Option<Input>,
) -> Result<bool> {
    let start = Instant::now();
    let mut pending: Vec<Input> = Vec::new();
    let mut previous: Option<Screen> = None;
    for index in 0u64.. {
        let onset = index as f64 / display.hz;
        if display.realtime {
            let due = start + Duration::from_secs_f64(onset);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let (due, later): (Vec<Input>, Vec<Input>) = pending.into_iter().partition(|i| match i {
            Input::Click { at, .. } | Input::Release { at, .. } | Input::Motion { at, .. } => {
                *at < onset
            }
            Input::Abort | Input::Disturbed(_) | Input::NotReady => true,
        });
        pending = later;
        let tick = FrameTick::at(index, onset);
        let frame = session.timeline.step(tick, &due);
        if let Some(recorder) = session.recorder.as_mut() {
            if let Err(fault) = recorder.handle(&session.plan, &frame.events) {
                wait_until_saved(recorder, &fault, session.timeline.trial_index());
                pending.push(Input::Disturbed(Disturbance::StoragePause));
            }
        }
        let first = previous != Some(frame.screen);
        if previous == Some(Screen::Response) && first {
            // A participant clicks while the response screen is up; a click planned for after
            // it never happens (it must not land in a later trial).
            pending.retain(|input| !matches!(input, Input::Click { .. }));
        }
        previous = Some(frame.screen);
        match frame.screen {
            Screen::Start { .. } | Screen::Break(_) if first => {
                let at = onset + CONTINUE_AFTER;
                press(&mut pending, at, (0.0, 0.0));
            }
            Screen::Response if first => {
                let stimulus = &session.plan.trials[session.timeline.trial_index()].stimulus;
                if let Some(choice) = participant.choose(stimulus.shape, stimulus.texture) {
                    let (x, y) = session.timeline.grid().rect(choice).centre();
                    let at = onset + participant.rt;
                    press(&mut pending, at, (x, y));
                }
            }
            _ => {}
        }
        if let Some(input) = on_frame(tick, &frame, session.timeline.trial_number()) {
            pending.push(input);
        }
        if CTRL_C.load(Ordering::SeqCst) && !pending.contains(&Input::Abort) {
            pending.push(Input::Abort);
        }
        for event in &frame.events {
            if let Event::SessionEnded { aborted } = event {
                return Ok(*aborted);
            }
        }
    }
    Ok(true)
}
