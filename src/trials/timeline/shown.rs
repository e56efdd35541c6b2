//! What the timeline hands out: the phases of a session, what to draw, and the results and
//! timing of each trial and block.

use serde::Serialize;

use crate::categories::Category;
use crate::trials::Disturbances;

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

/// Results of a block, as shown on break and end screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BlockSummary {
    /// 1-based number of the block just finished.
    pub block: usize,
    /// Blocks in the session as the original counted them: round(trials / block size), at least 1.
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
    /// The response time (s) from the response screen's first frame, as the config's
    /// `rt_from` chooses: the last moment a button was down inside a box, or the press, or
    /// the release, of the last valid click.
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
    /// The last valid click (under `last_down`, the press that began the hold that gave the
    /// answer): press and release (s after the response screen appeared); the release is
    /// `None` when the button was still held when the trial's timing was written.
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
