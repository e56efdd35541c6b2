//! The session timeline: a pure state machine advanced exactly one display frame per call.
//!
//! It never reads a clock and never draws. The caller tells it when each frame appears
//! ([`FrameTick`]) and what the participant did since the last frame ([`Input`]); it answers
//! with the screen to draw for that frame and the events to act on (write a row, beep, ...).

use super::disturbance::{Disturbance, Disturbances};
use super::frames::PhaseFrames;
use super::grid::ResponseGrid;
use super::plan::Trial;
use super::response::Mouse;
pub use super::response::{Button, ResponseRules};
pub use crate::config::{ResponseWindow, RtFrom};

mod shown;
pub use shown::*;

/// Where the response phase sits in [`TRIAL_PHASES`].
const RESPONSE_SLOT: usize = 5;

/// When a frame appears: its index since the session started and its onset in seconds on the
/// same clock as input timestamps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameTick {
    /// Frame counter, 0 for the first frame.
    pub index: u64,
    /// When this frame becomes visible (s).
    pub onset: f64,
    /// Every input before this time (s) has been delivered with this frame or earlier ones.
    /// A frame is drawn before it appears, so this may be earlier than `onset`: a click in
    /// between, while the previous frame is still on screen, comes with the next frame.
    pub inputs_until: f64,
}

impl FrameTick {
    /// A frame whose inputs are complete up to its onset (a virtual display, or frames shown
    /// as soon as they are drawn).
    pub fn at(index: u64, onset: f64) -> FrameTick {
        FrameTick {
            index,
            onset,
            inputs_until: onset,
        }
    }
}

/// Something the participant or experimenter did, with when it happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// A mouse button pressed at a screen position in physical pixels.
    Click {
        /// Event time (s), on the frame clock.
        at: f64,
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
        /// Which button.
        button: Button,
    },
    /// A mouse button released.
    Release {
        /// Event time (s), on the frame clock.
        at: f64,
        /// Which button.
        button: Button,
    },
    /// The cursor moved while a button was down (the answer may follow it).
    Motion {
        /// Event time (s), on the frame clock.
        at: f64,
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
    },
    /// The session is to end now (Escape, confirmed).
    Abort,
    /// The next trial's stimulus is not ready to be shown (its image is not uploaded, or an
    /// earlier row is not on disk yet): a fixation that would end now is held.
    NotReady,
    /// Something disturbed the display or held the session up since the last frame.
    Disturbed(Disturbance),
}

/// Fixed settings of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineSettings {
    /// Frames per phase.
    pub frames: PhaseFrames,
    /// Nominal refresh period (s), to detect late frames.
    pub period: f64,
    /// Beep after wrong answers (a missing answer always beeps).
    pub auditive_feedback: bool,
    /// Highlight the correct box after wrong or missing answers.
    pub visual_feedback: bool,
    /// Trials per block.
    pub block_size: usize,
    /// Which moment is the response time and which buttons answer.
    pub rules: ResponseRules,
    /// Whether the response window is timed by the clock or by frames.
    pub window: ResponseWindow,
    /// The response window's length in clock time (s), for [`ResponseWindow::Clock`].
    pub window_seconds: f64,
    /// How many frames behind an interval between two onsets is: 0 when onsets are when frames
    /// appeared (a virtual display, timer-paced frames), 1 when they come from the time the
    /// next frame could be acquired, which measures the frame before the last one.
    pub interval_lag: usize,
}

/// A frame already shown: when, and the trial phase it belonged to.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shown {
    onset: f64,
    /// Its slot in [`TRIAL_PHASES`] and its trial, when it was part of a trial.
    slot: Option<(usize, usize)>,
}

/// Earlier trials of a resumed session: (correct, answered) for each, in order.
pub type History = Vec<(bool, bool)>;

/// Intervals longer than this many refresh periods count as late.
pub const LATE_FACTOR: f64 = 1.2;

/// Intervals shorter than this many refresh periods count as short.
pub const SHORT_FACTOR: f64 = 0.5;

/// The session state machine.
#[derive(Debug, Clone)]
pub struct Timeline {
    trials: Vec<Trial>,
    grid: ResponseGrid,
    settings: TimelineSettings,
    phase: Phase,
    frames_left: u32,
    trial: usize,
    timing: [PhaseTiming; 8],
    disturbed: Disturbances,
    mouse: Mouse,
    continue_clicked: bool,
    waiting_since: Option<f64>,
    /// The end of a response window whose answer may still change: clicks made before it that
    /// arrive with later frames still count.
    window_end: Option<f64>,
    /// A finished trial's timing, written one frame later when intervals lag behind.
    held: Option<TrialTiming>,
    /// The index of the frame being stepped.
    frame_index: u64,
    block: BlockSummary,
    recent: [Option<Shown>; 2],
}

impl Timeline {
    /// A timeline over `trials`, starting at trial index `start` (after `history`, which holds
    /// the outcomes of trials `0..start` when a session is resumed).
    pub fn new(
        trials: Vec<Trial>,
        grid: ResponseGrid,
        settings: TimelineSettings,
        start: usize,
        history: &History,
    ) -> Timeline {
        let block_size = settings.block_size.max(1);
        let blocks = ((2 * trials.len() + block_size) / (2 * block_size)).max(1);
        let block_start = start - start % block_size;
        let mut block = BlockSummary {
            block: block_start / block_size + 1,
            blocks,
            ..BlockSummary::default()
        };
        for &(correct, answered) in history.iter().take(start).skip(block_start) {
            block.trials += 1;
            block.correct += usize::from(correct);
            block.no_answer += usize::from(!answered);
        }
        let mouse = Mouse::new(settings.rules);
        let phase = if start >= trials.len() {
            Phase::End
        } else {
            Phase::Start
        };
        Timeline {
            frames_left: if phase == Phase::End {
                settings.frames.end
            } else {
                0
            },
            trials,
            grid,
            settings,
            phase,
            trial: start,
            timing: [PhaseTiming::default(); 8],
            disturbed: Disturbances::default(),
            mouse,
            continue_clicked: false,
            waiting_since: None,
            window_end: None,
            held: None,
            frame_index: 0,
            block,
            recent: [None; 2],
        }
    }

    /// The plan index of the current (or next) trial.
    pub fn trial_index(&self) -> usize {
        self.trial
    }

    /// The 1-based number of the trial on screen (or next), the last trial's after it.
    pub fn trial_number(&self) -> usize {
        (self.trial + 1).min(self.trials.len())
    }

    /// The response grid clicks are judged against.
    pub fn grid(&self) -> &ResponseGrid {
        &self.grid
    }

    /// Advances by one frame that appears at `tick`, after the inputs since the last frame.
    pub fn step(&mut self, tick: FrameTick, inputs: &[Input]) -> Frame {
        let mut events = Vec::new();
        if self.phase == Phase::Done {
            return Frame {
                screen: Screen::Done,
                phase: Phase::Done,
                events,
            };
        }
        self.frame_index = tick.index;
        self.account_interval(tick.onset);
        self.keep_clock_window(tick.onset);
        if let Some(timing) = self.held.take() {
            events.push(Event::TrialTimed(timing));
        }
        let mut ready = true;
        for input in inputs {
            match *input {
                Input::Abort => return self.abort(events),
                Input::Click { at, x, y, button } => self.click(at, (x, y), button, tick.onset),
                Input::Release { at, button } => self.mouse.release(at, button),
                Input::Motion { at, x, y } => {
                    let end = self.answer_end(tick.onset);
                    self.mouse.motion(at, (x, y), end, &self.grid);
                }
                Input::Disturbed(cause) => self.disturb(cause),
                Input::NotReady => ready = false,
            }
        }
        self.settle_response(tick.inputs_until, false, &mut events);
        if !ready && self.phase == Phase::Fixation && self.frames_left == 0 {
            // The fixation lasts one more frame; the trial says why.
            self.disturb(Disturbance::FixationHeld);
            self.frames_left = 1;
        }
        while self.frames_left == 0 && !self.waiting_for_click() {
            self.leave_phase(&mut events, tick.onset);
            self.settle_response(tick.inputs_until, false, &mut events);
            if self.phase == Phase::Done {
                return Frame {
                    screen: Screen::Done,
                    phase: Phase::Done,
                    events,
                };
            }
            if self.phase == Phase::Fixation && self.frames_left > 0 {
                events.push(Event::PrepareTrial(self.trial));
            }
        }
        self.frames_left = self.frames_left.saturating_sub(1);
        if matches!(self.phase, Phase::Start | Phase::Break) && self.waiting_since.is_none() {
            self.waiting_since = Some(tick.onset);
        }
        let slot = self.timing_slot();
        if let Some(slot) = slot {
            let t = &mut self.timing[slot];
            if t.frames == 0 {
                t.onset = Some(tick.onset);
                t.first_frame = Some(tick.index);
                if slot == RESPONSE_SLOT {
                    self.mouse.open(tick.onset, &self.grid);
                }
            }
            t.frames += 1;
            t.refreshes += 1;
        }
        self.recent = [
            self.recent[1],
            Some(Shown {
                onset: tick.onset,
                slot: slot.map(|s| (s, self.trial)),
            }),
        ];
        Frame {
            screen: self.screen(),
            phase: self.phase,
            events,
        }
    }

    fn waiting_for_click(&mut self) -> bool {
        if !matches!(self.phase, Phase::Start | Phase::Break) {
            return false;
        }
        let clicked = std::mem::take(&mut self.continue_clicked);
        if clicked {
            self.waiting_since = None;
        }
        !clicked
    }

    fn timing_slot(&self) -> Option<usize> {
        TRIAL_PHASES.iter().position(|&p| p == self.phase)
    }

    /// A long interval means a frame stayed up longer, a short one that it was shown for less
    /// than a refresh: charge the phase of the frame the interval measured.
    fn account_interval(&mut self, onset: f64) {
        let Some(previous) = self.recent[1] else {
            return;
        };
        let (interval, period) = (onset - previous.onset, self.settings.period);
        let late = interval > LATE_FACTOR * period;
        let short = interval < SHORT_FACTOR * period;
        if !(late || short) {
            return;
        }
        let lag = self.settings.interval_lag.min(1);
        let Some(Shown {
            slot: Some((slot, trial)),
            ..
        }) = self.recent[1 - lag]
        else {
            return;
        };
        let phases = if trial == self.trial {
            &mut self.timing
        } else {
            match self.held.as_mut().filter(|held| held.index == trial) {
                Some(held) => &mut held.phases,
                None => return,
            }
        };
        let t = &mut phases[slot];
        if late {
            t.late_intervals += 1;
            t.refreshes += ((interval / period).round() as u32).saturating_sub(1);
        } else {
            t.short_intervals += 1;
        }
    }

    /// Between trials nothing is timed, so only a trial on screen is marked.
    fn disturb(&mut self, cause: Disturbance) {
        if self.timing_slot().is_some() {
            self.disturbed.insert(cause);
        }
    }

    fn click(&mut self, at: f64, position: (f64, f64), button: Button, now: f64) {
        // As in the original, only a press made after the screen appeared continues: a
        // button still held from the response screen, or pressed while the refresh was
        // measured, does not.
        let fresh = self.waiting_since.is_some_and(|shown| at >= shown);
        if matches!(self.phase, Phase::Start | Phase::Break) && fresh && self.mouse.counts(button) {
            self.continue_clicked = true;
        }
        let end = self.answer_end(now);
        self.mouse.press(at, position, button, end, &self.grid);
    }

    /// Until when (s) a press or a move made now may still change the answer: clicks made
    /// before the window's end count even when they arrive with a later frame.
    fn answer_end(&self, now: f64) -> f64 {
        let onset = self.timing[RESPONSE_SLOT].onset;
        match (self.phase, self.settings.window) {
            (Phase::Response, ResponseWindow::Clock) => {
                onset.map_or(f64::INFINITY, |onset| onset + self.settings.window_seconds)
            }
            // Timed by frames, the window closes when the first frame without the grid appears.
            (Phase::Response, ResponseWindow::Frames) if self.frames_left == 0 => now,
            (Phase::Response, ResponseWindow::Frames) => f64::INFINITY,
            _ => self.window_end.unwrap_or(f64::NEG_INFINITY),
        }
    }

    /// Timed by the clock, the grid stays until the first frame at or after the window's end;
    /// an onset up to a quarter of a refresh early counts as at the end, so that jitter on a
    /// steady display gives exactly the window's frames (90 at 60 Hz for 1,500 ms; 15 at
    /// 144 Hz for 100 ms, as `ceil` plans), and a late frame lengthens the grid by less than
    /// one frame.
    fn keep_clock_window(&mut self, now: f64) {
        if self.phase != Phase::Response || self.settings.window != ResponseWindow::Clock {
            return;
        }
        if let Some(onset) = self.timing[RESPONSE_SLOT].onset {
            let end = onset + self.settings.window_seconds - self.settings.period / 4.0;
            self.frames_left = u32::from(now < end);
        }
    }

    fn enter(&mut self, phase: Phase, frames: u32) {
        self.phase = phase;
        self.frames_left = frames;
        if let Some(slot) = self.timing_slot() {
            self.timing[slot].planned = frames;
        }
    }

    fn leave_phase(&mut self, events: &mut Vec<Event>, now: f64) {
        let f = self.settings.frames;
        match self.phase {
            Phase::Start => self.enter(Phase::BlockFixation, f.inter_trial),
            Phase::Break => {
                self.block = BlockSummary {
                    block: self.block.block + 1,
                    blocks: self.block.blocks,
                    ..BlockSummary::default()
                };
                self.enter(Phase::BlockFixation, f.inter_trial);
            }
            Phase::BlockFixation => self.enter(Phase::Fixation, f.fixation),
            Phase::Fixation => self.enter(Phase::Stimulus, f.stimulus),
            Phase::Stimulus => self.enter(Phase::PostStimulusBlank, f.blank),
            Phase::PostStimulusBlank => self.enter(Phase::Mask, f.mask),
            Phase::Mask => self.enter(Phase::PostMaskBlank, f.blank),
            Phase::PostMaskBlank => self.enter(Phase::Response, f.response),
            Phase::Response => {
                // The answer so far decides what follows; clicks that arrive later but were
                // made before the window's end may still change it (see `settle_response`).
                self.window_end = Some(match self.settings.window {
                    ResponseWindow::Clock => self.answer_end(now),
                    ResponseWindow::Frames => now,
                });
                if self.feedback_due() {
                    self.enter(Phase::Feedback, f.feedback);
                } else {
                    self.enter(Phase::InterTrial, f.inter_trial);
                }
            }
            Phase::Feedback => self.enter(Phase::InterTrial, f.inter_trial),
            Phase::InterTrial => {
                self.settle_response(now, true, events);
                self.finish_trial(events);
            }
            Phase::End => {
                self.phase = Phase::Done;
                events.push(Event::SessionEnded { aborted: false });
            }
            Phase::Done => {}
        }
    }

    /// Whether the answer as it stands calls for the correct box to be highlighted.
    fn feedback_due(&self) -> bool {
        let shape = self.trials[self.trial].stimulus.shape;
        self.settings.visual_feedback && self.mouse.answer().map(|a| a.category) != Some(shape)
    }

    /// Once every click made before the window's end has arrived (or `force`d), writes the
    /// answer and its beep, and corrects the phase when a late click changed whether the
    /// answer was right.
    fn settle_response(&mut self, inputs_until: f64, force: bool, events: &mut Vec<Event>) {
        let Some(end) = self.window_end else {
            return;
        };
        if inputs_until < end && !force {
            return;
        }
        self.window_end = None;
        let result = self.finish_response(end);
        events.push(Event::TrialResponded(result));
        let wrong = !result.correct;
        if result.response.is_none() || (wrong && self.settings.auditive_feedback) {
            events.push(Event::Beep);
        }
        let f = self.settings.frames;
        match self.phase {
            Phase::InterTrial if self.feedback_due() => self.enter(Phase::Feedback, f.feedback),
            Phase::Feedback if !self.feedback_due() => self.enter(Phase::InterTrial, f.inter_trial),
            _ => {}
        }
    }

    /// The trial's answer when its window closed at `end`.
    fn finish_response(&mut self, end: f64) -> TrialResult {
        let shape = self.trials[self.trial].stimulus.shape;
        let window = self.timing[RESPONSE_SLOT]
            .onset
            .map_or(0.0, |onset| end - onset);
        let (response, rt) = self.mouse.result(window);
        let correct = response == Some(shape);
        self.block.trials += 1;
        self.block.correct += usize::from(correct);
        self.block.no_answer += usize::from(response.is_none());
        TrialResult {
            index: self.trial,
            response,
            rt,
            correct,
        }
    }

    /// The trial's timing so far, ending at the current frame.
    fn timing_so_far(&self) -> TrialTiming {
        TrialTiming {
            index: self.trial,
            phases: self.timing,
            disturbed: self.disturbed,
            click: self.mouse.answer().map(|a| (a.press, a.release)),
            end_frame: self.frame_index,
        }
    }

    /// The timing of a trial whose row is written but whose timing line is not handed out yet
    /// (the trial is still in its feedback or inter-trial fixation, or its line waits a
    /// frame): what a session ended from outside the render thread writes for it.
    pub fn unwritten_timing(&self) -> Option<TrialTiming> {
        let row_written =
            matches!(self.phase, Phase::Feedback | Phase::InterTrial) && self.window_end.is_none();
        self.held
            .or_else(|| row_written.then(|| self.timing_so_far()))
    }

    fn trial_timing(&mut self) -> TrialTiming {
        let timing = self.timing_so_far();
        self.mouse.close();
        self.timing = [PhaseTiming::default(); 8];
        self.disturbed = Disturbances::default();
        timing
    }

    fn finish_trial(&mut self, events: &mut Vec<Event>) {
        let timing = self.trial_timing();
        // With lagging intervals the last frame's interval is known only with the next frame.
        if self.settings.interval_lag == 0 {
            events.push(Event::TrialTimed(timing));
        } else {
            self.held = Some(timing);
        }
        self.trial += 1;
        let f = self.settings.frames;
        if self.trial >= self.trials.len() {
            self.enter(Phase::End, f.end);
        } else if self.trial.is_multiple_of(self.settings.block_size.max(1)) {
            self.phase = Phase::Break;
            self.frames_left = 0;
        } else {
            self.enter(Phase::Fixation, f.fixation);
        }
    }

    fn abort(&mut self, mut events: Vec<Event>) -> Frame {
        // After the response window the row is written: its timing belongs with it.
        if matches!(self.phase, Phase::Feedback | Phase::InterTrial) {
            self.settle_response(f64::INFINITY, true, &mut events);
            let timing = self.trial_timing();
            events.push(Event::TrialTimed(timing));
        }
        self.phase = Phase::Done;
        events.push(Event::SessionEnded { aborted: true });
        Frame {
            screen: Screen::Done,
            phase: Phase::Done,
            events,
        }
    }

    fn screen(&self) -> Screen {
        match self.phase {
            Phase::Start => Screen::Start {
                first_trial: self.trial + 1,
            },
            Phase::Fixation | Phase::BlockFixation | Phase::InterTrial => Screen::Fixation,
            Phase::Stimulus => Screen::Stimulus(self.trial),
            Phase::PostStimulusBlank | Phase::PostMaskBlank => Screen::Blank,
            Phase::Mask => Screen::Mask(self.trial),
            Phase::Response => Screen::Response,
            Phase::Feedback => Screen::Feedback(self.trials[self.trial].stimulus.shape),
            Phase::Break => Screen::Break(self.block),
            Phase::End => Screen::End(self.block),
            Phase::Done => Screen::Done,
        }
    }
}

#[cfg(test)]
mod tests;
