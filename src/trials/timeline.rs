//! The session timeline: a pure state machine advanced exactly one display frame per call.
//!
//! It never reads a clock and never draws. The caller tells it when each frame appears
//! ([`FrameTick`]) and what the participant did since the last frame ([`Input`]); it answers
//! with the screen to draw for that frame and the events to act on (write a row, beep, ...).

use serde::Serialize;

use super::disturbance::{Disturbance, Disturbances};
use super::frames::PhaseFrames;
use super::grid::ResponseGrid;
use super::plan::Trial;
use crate::categories::Category;
pub use crate::config::RtFrom;

/// The phases of a session. A trial runs from `Fixation` to `Feedback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// "Click the mouse to start!"
    Start,
    /// Fixation square after the start screen or a break, before the block's first trial.
    BlockFixation,
    /// The trial's own fixation square before its stimulus.
    Fixation,
    /// The stimulus image.
    Stimulus,
    /// Background-only frames after the stimulus.
    PostStimulusBlank,
    /// The pink-noise mask.
    Mask,
    /// Background-only frames after the mask.
    PostMaskBlank,
    /// The response grid, for a fixed time.
    Response,
    /// The correct box highlighted after a wrong or missing answer.
    Feedback,
    /// Fixation square after the trial's answer and feedback (the inter-trial interval).
    InterTrial,
    /// A break between blocks, until a click.
    Break,
    /// The final summary and thank-you.
    End,
    /// Nothing more to show.
    Done,
}

/// The phases that make up one trial, in order; timing records use this order.
pub const TRIAL_PHASES: [Phase; 8] = [
    Phase::Fixation,
    Phase::Stimulus,
    Phase::PostStimulusBlank,
    Phase::Mask,
    Phase::PostMaskBlank,
    Phase::Response,
    Phase::Feedback,
    Phase::InterTrial,
];

/// Where the response phase sits in [`TRIAL_PHASES`].
const RESPONSE_SLOT: usize = 5;

impl Phase {
    /// The phase's name in logs, e.g. `inter_trial`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::BlockFixation => "block_fixation",
            Phase::Fixation => "fixation",
            Phase::Stimulus => "stimulus",
            Phase::PostStimulusBlank => "blank_after_stimulus",
            Phase::Mask => "mask",
            Phase::PostMaskBlank => "blank_after_mask",
            Phase::Response => "response",
            Phase::Feedback => "feedback",
            Phase::InterTrial => "inter_trial",
            Phase::Break => "break",
            Phase::End => "end",
            Phase::Done => "done",
        }
    }
}

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
    },
    /// The mouse button released.
    Release {
        /// Event time (s), on the frame clock.
        at: f64,
    },
    /// The session is to end now (Escape, confirmed).
    Abort,
    /// The next trial's stimulus is not ready to be shown (its image is not uploaded, or an
    /// earlier row is not on disk yet): a fixation that would end now is held.
    NotReady,
    /// Something disturbed the display or held the session up since the last frame.
    Disturbed(Disturbance),
}

/// Results of a block, as shown on break and end screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BlockSummary {
    /// 1-based number of the block just finished.
    pub block: usize,
    /// Blocks in the session.
    pub blocks: usize,
    /// Trials in this block.
    pub trials: usize,
    /// Correct responses in this block.
    pub correct: usize,
    /// Trials without an answer in this block.
    pub no_answer: usize,
}

/// Above this share of unanswered trials the break screen asks to answer every trial.
pub const NO_ANSWER_WARNING_PERCENT: f64 = 2.0;

impl BlockSummary {
    /// Percentage of correct responses.
    pub fn percent_correct(&self) -> f64 {
        percent(self.correct, self.trials)
    }

    /// Percentage of trials without an answer.
    pub fn percent_no_answer(&self) -> f64 {
        percent(self.no_answer, self.trials)
    }

    /// Whether to warn the participant to respond on every trial.
    pub fn warn_no_answer(&self) -> bool {
        self.percent_no_answer() > NO_ANSWER_WARNING_PERCENT
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// What to draw for a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Screen {
    /// The start screen; `first_trial` is 1 unless a session is resumed.
    Start {
        /// The number of the trial that follows.
        first_trial: usize,
    },
    /// Background with the fixation square.
    Fixation,
    /// The stimulus of the trial at this index of the plan.
    Stimulus(usize),
    /// Background only.
    Blank,
    /// The mask of the trial at this index of the plan.
    Mask(usize),
    /// The response grid with the cursor shown.
    Response,
    /// The response grid with this category's box highlighted.
    Feedback(Category),
    /// A break screen with the block just finished.
    Break(BlockSummary),
    /// The end screen with the last block.
    End(BlockSummary),
    /// The session is over.
    Done,
}

/// The participant's answer to a trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrialResult {
    /// Index in the plan.
    pub index: usize,
    /// The chosen category, `None` for no answer.
    pub response: Option<Category>,
    /// The response time (s) as the config's `rt_from` chooses: from the response screen's
    /// first frame to the press, or to the release, of the last valid click.
    pub rt: Option<f64>,
    /// Whether the response equals the shape category.
    pub correct: bool,
}

/// How one phase of a trial went on the display.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PhaseTiming {
    /// Frames the plan asked for.
    pub planned: u32,
    /// Frames the timeline produced.
    pub frames: u32,
    /// Display refreshes the phase really stayed on screen (frames plus missed refreshes).
    pub refreshes: u32,
    /// Onset of the phase's first frame (s).
    pub onset: Option<f64>,
    /// Frame intervals longer than 1.2 refresh periods while this phase was on screen.
    pub late_intervals: u32,
    /// Frame intervals shorter than half a refresh period while this phase was on screen: a
    /// frame shown for less than a refresh (vertical sync lost).
    pub short_intervals: u32,
    /// The index ([`FrameTick::index`]) of the phase's first frame.
    pub first_frame: Option<u64>,
}

/// The timing of every phase of one trial, in [`TRIAL_PHASES`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialTiming {
    /// Index in the plan.
    pub index: usize,
    /// One entry per trial phase.
    pub phases: [PhaseTiming; 8],
    /// What disturbed the trial while it was on screen.
    pub disturbed: Disturbances,
    /// The last valid click: press and release (s after the response screen appeared); the
    /// release is `None` when the button was still held when the trial's timing was written.
    pub click: Option<(f64, Option<f64>)>,
    /// The index of the first frame after the trial, which ends its last phase.
    pub end_frame: u64,
}

/// What the caller must do after a frame.
// Events live for one frame in a short Vec: a large inline trial timing costs less than a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// Load the stimulus and make the mask of this trial now (its fixation has begun).
    PrepareTrial(usize),
    /// The response window closed: save this trial's row now.
    TrialResponded(TrialResult),
    /// The trial is over: save its timing.
    TrialTimed(TrialTiming),
    /// Play the feedback beep.
    Beep,
    /// The session is over.
    SessionEnded {
        /// Ended by an abort rather than after the last trial.
        aborted: bool,
    },
}

/// The frame and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// What to draw.
    pub screen: Screen,
    /// The phase the frame belongs to.
    pub phase: Phase,
    /// What to do.
    pub events: Vec<Event>,
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
    /// Which moment of the click is the response time.
    pub rt_from: RtFrom,
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

/// The last valid click of a trial: its box and when it was pressed and released (s after the
/// response screen appeared).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Answer {
    category: Category,
    press: f64,
    release: Option<f64>,
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
    response: Option<Answer>,
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
        let blocks = trials.len().div_ceil(block_size);
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
            response: None,
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
        if let Some(timing) = self.held.take() {
            events.push(Event::TrialTimed(timing));
        }
        let mut ready = true;
        for input in inputs {
            match *input {
                Input::Abort => return self.abort(events),
                Input::Click { at, x, y } => self.click(at, x, y, tick.onset),
                Input::Release { at } => self.release(at),
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

    fn click(&mut self, at: f64, x: f64, y: f64, now: f64) {
        match self.phase {
            // As in the original, only a press made after the screen appeared continues: a
            // button still held from the response screen, or pressed while the refresh was
            // measured, does not.
            Phase::Start | Phase::Break if self.waiting_since.is_some_and(|shown| at >= shown) => {
                self.continue_clicked = true;
            }
            _ => {
                let Some(onset) = self.timing[RESPONSE_SLOT].onset else {
                    return;
                };
                // The window closes when the first frame without the grid appears; a click
                // before that counts even when it arrives with a later frame.
                let end = match self.phase {
                    Phase::Response if self.frames_left == 0 => now,
                    Phase::Response => f64::INFINITY,
                    _ => match self.window_end {
                        Some(end) => end,
                        None => return,
                    },
                };
                if at >= onset && at < end {
                    if let Some(category) = self.grid.hit(x, y) {
                        self.response = Some(Answer {
                            category,
                            press: at - onset,
                            release: None,
                        });
                    }
                }
            }
        }
    }

    /// The release of the last valid click, until the trial's timing is written.
    fn release(&mut self, at: f64) {
        let Some(onset) = self.timing[RESPONSE_SLOT].onset else {
            return;
        };
        if let Some(answer) = self.response.as_mut() {
            if answer.release.is_none() && at - onset >= answer.press {
                answer.release = Some(at - onset);
            }
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
            Phase::PostMaskBlank => {
                self.response = None;
                self.enter(Phase::Response, f.response);
            }
            Phase::Response => {
                // The answer so far decides what follows; clicks that arrive later but were
                // made before `now` may still change it (see `settle_response`).
                self.window_end = Some(now);
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
        self.settings.visual_feedback && self.response.map(|a| a.category) != Some(shape)
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

    /// The trial's answer when its window closed at `now` (the first frame without the grid).
    fn finish_response(&mut self, now: f64) -> TrialResult {
        let shape = self.trials[self.trial].stimulus.shape;
        let window_end = self.timing[RESPONSE_SLOT]
            .onset
            .map_or(0.0, |onset| now - onset);
        let response = self.response.map(|a| a.category);
        let rt = self.response.map(|a| match self.settings.rt_from {
            RtFrom::Press => a.press,
            RtFrom::Release => a.release.unwrap_or(window_end).min(window_end),
        });
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
            click: self.response.map(|a| (a.press, a.release)),
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
        self.response = None;
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
