//! `experiment.yaml`: every parameter of a session, parsed and checked with errors that name the
//! key and its line.

mod durations;
mod lines;
pub mod participant;
mod practice;
mod response;
pub mod texts;
mod values;
mod yaml_errors;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::categories::Category;
use crate::error::{Error, Result};
use crate::names;
pub use durations::shorter_than_a_frame;
use yaml_errors::yaml_error;

pub use practice::Practice;
pub use response::{ResponseButtons, ResponseWindow, RtFrom};
pub use values::{Colour, Flag};

/// Everything a session needs to know, as written in `experiment.yaml`.
///
/// Keys of the original lab's parameter file keep their names, meanings and defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Experiment name: data go to `<output>/<experiment>/`.
    pub experiment: String,
    /// Short experiment code inside image names, e.g. `s5n`.
    pub code: String,
    /// Condition label written in every row, e.g. `0` for the cue-conflict experiment.
    pub condition: String,
    /// All conditions of the experiment (informational, as in the original parameters).
    pub conditions: Vec<String>,
    /// Stimulus set directory (relative to this file).
    pub stimuli: PathBuf,
    /// Directory of `<category>.png` response icons; category names are shown when absent.
    pub icons: Option<PathBuf>,
    /// Where raw data are written (relative to this file).
    pub output: PathBuf,
    /// `random` (seeded from experiment, subject and session) or `files` (sorted file order).
    pub trial_order: TrialOrder,
    /// Whether one folder of pre-ordered images serves every participant; by default, as in the
    /// original, a participant runs only images whose subject field is theirs.
    pub pre_ordered_shared: bool,
    /// Refresh rate the display is expected to run at, in Hz.
    pub refresh_hz: f64,
    /// How a duration in ms becomes whole frames.
    pub frame_rounding: Rounding,
    /// Background-only frames after the stimulus and after the mask.
    pub blank_frames: u32,
    /// Physical monitor facts for visual degrees, and which monitor to use.
    pub monitor: Monitor,
    /// The feedback beep.
    pub beep: Beep,
    /// The pink-noise mask.
    pub mask: MaskParams,
    /// Practice sessions.
    pub practice: Practice,
    /// What the participant reads on the start, break and end screens.
    pub texts: texts::Texts,
    /// What is asked about the participant before a session (stored in the record only).
    pub participant_info: Vec<participant::InfoField>,
    /// The trial's own fixation before its stimulus (ms).
    pub ms_fixation: f64,
    /// The fixation after each trial's answer and feedback, and after the start screen and
    /// each break (ms); `ms_fixation` when absent, as the original used it for all three, so
    /// that two fixations separate consecutive stimuli.
    pub ms_inter_trial: Option<f64>,
    /// Stimulus duration (ms).
    pub ms_stim: f64,
    /// Mask duration (ms).
    pub ms_mask: f64,
    /// Fixed length of the response window (ms).
    pub ms_resp_object: f64,
    /// Fixed length of the response window in practice (ms).
    pub ms_resp_object_practice: f64,
    /// Which moment of the answer is `rt`: `last_down` (the original's), `press` or `release`.
    pub rt_from: RtFrom,
    /// Which mouse buttons answer: `any` (the original's) or `left`.
    pub response_buttons: ResponseButtons,
    /// Whether the response window is timed by the `clock` (the original's) or by `frames`.
    pub response_window: ResponseWindow,
    /// Stimulus (and expected image) size in pixels.
    pub surround_size: u32,
    /// Side of the fixation square outline in pixels.
    pub fixation_size: u32,
    /// Line width of the fixation square outline in pixels.
    pub fixation_line_width: u32,
    /// Duration of the correct-box highlight (ms).
    pub ms_feedback: f64,
    /// Beep after a wrong answer (always after no answer).
    pub auditive_feedback: Flag,
    /// Highlight the correct box after a wrong answer or no answer.
    pub visual_feedback: Flag,
    /// Background grey (0..1) or `[r, g, b]`.
    pub bg_color: Colour,
    /// Colour of the fixation square outline.
    pub fixation_color: Colour,
    /// Viewing distance in cm.
    pub dist_monitor: f64,
    /// Trials between breaks.
    pub num_trials_per_block: usize,
    /// Trials between breaks in practice, and the number of practice trials by default.
    pub num_practice_trials_per_block: usize,
    /// Side of a response box in pixels.
    pub box_size: u32,
    /// Gap between response boxes in pixels.
    pub object_gap: u32,
    /// The 16 categories, filling the 4x4 response grid column by column.
    pub final_cats_responses: Vec<String>,
    /// A photodiode patch in a screen corner, white while the stimulus is on screen and black
    /// otherwise, for checking the timing with a photodiode; none when absent (and then not
    /// written into session records either).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photodiode: Option<Photodiode>,
}

/// The photodiode patch: a square in a corner of the screen that is white exactly on the
/// stimulus frames and black on every other frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Photodiode {
    /// The screen corner the square sits in.
    pub corner: Corner,
    /// Side of the square in pixels.
    pub size: u32,
}

impl Default for Photodiode {
    fn default() -> Self {
        Photodiode {
            corner: Corner::BottomLeft,
            size: 60,
        }
    }
}

/// A corner of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corner {
    /// Top left.
    TopLeft,
    /// Top right.
    TopRight,
    /// Bottom left.
    BottomLeft,
    /// Bottom right.
    BottomRight,
}

impl Corner {
    /// The corner as the config writes it, e.g. `bottom-left`.
    pub fn name(self) -> &'static str {
        match self {
            Corner::TopLeft => "top-left",
            Corner::TopRight => "top-right",
            Corner::BottomLeft => "bottom-left",
            Corner::BottomRight => "bottom-right",
        }
    }
}

/// The order in which a subject sees the stimuli.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialOrder {
    /// Shuffled with a seed derived from experiment, subject and session.
    #[default]
    Random,
    /// The stimulus set's own order (sorted names, or the pre-ordered original layout).
    Files,
}

/// How a duration in ms becomes a whole number of frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Never shorter than asked (the original's choice).
    #[default]
    Ceil,
    /// The nearest whole frame.
    Round,
    /// Never longer than asked.
    Floor,
}

/// The monitor: which one, and its physical size for visual degrees.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Monitor {
    /// Which monitor shows the session: its index (0 = primary) or part of its name.
    pub select: String,
    /// Visible width of the screen in cm.
    pub width_cm: f64,
    /// Horizontal resolution in pixels.
    pub width_px: u32,
    /// `borderless` (default) or `exclusive` fullscreen.
    pub fullscreen: Fullscreen,
}

/// The kind of fullscreen window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fullscreen {
    /// A borderless window covering the monitor.
    #[default]
    Borderless,
    /// Exclusive fullscreen in the monitor's current video mode.
    Exclusive,
}

/// The feedback beep.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Beep {
    /// Tone frequency in Hz.
    pub frequency_hz: f64,
    /// Tone length in ms.
    pub ms: f64,
    /// Volume from 0 to 1.
    pub volume: f64,
}

/// Parameters of the pink-noise mask.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskParams {
    /// Spectral exponent beta of the power spectrum |f|^beta (-1 is pink).
    pub exponent: f64,
    /// Contrast factor applied around mid-grey.
    pub contrast: f64,
    /// Side of the square mask in pixels.
    pub size: u32,
}

impl Config {
    /// The inter-trial fixation (ms): `ms_inter_trial`, else `ms_fixation` as the original.
    pub fn inter_trial_ms(&self) -> f64 {
        self.ms_inter_trial.unwrap_or(self.ms_fixation)
    }
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            select: "0".into(),
            width_cm: 52.0,
            width_px: 1920,
            fullscreen: Fullscreen::Borderless,
        }
    }
}

impl Default for Beep {
    fn default() -> Self {
        Beep {
            frequency_hz: 220.0,
            ms: 150.0,
            volume: 0.5,
        }
    }
}

impl Default for MaskParams {
    fn default() -> Self {
        MaskParams {
            exponent: -1.0,
            contrast: 4.0,
            size: 224,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            experiment: "demo-experiment".into(),
            code: "dmo".into(),
            condition: "0".into(),
            conditions: vec!["true".into(), "false".into()],
            stimuli: PathBuf::from("stimuli/demo"),
            icons: None,
            output: PathBuf::from("raw-data"),
            trial_order: TrialOrder::Random,
            pre_ordered_shared: false,
            refresh_hz: 60.0,
            frame_rounding: Rounding::Ceil,
            blank_frames: 1,
            monitor: Monitor::default(),
            beep: Beep::default(),
            mask: MaskParams::default(),
            practice: Practice::default(),
            texts: texts::Texts::default(),
            participant_info: Vec::new(),
            ms_fixation: 300.0,
            ms_inter_trial: None,
            ms_stim: 200.0,
            ms_mask: 200.0,
            ms_resp_object: 1500.0,
            ms_resp_object_practice: 1500.0,
            rt_from: RtFrom::LastDown,
            response_buttons: ResponseButtons::Any,
            response_window: ResponseWindow::Clock,
            surround_size: 224,
            fixation_size: 230,
            fixation_line_width: 1,
            ms_feedback: 300.0,
            auditive_feedback: Flag(false),
            visual_feedback: Flag(false),
            bg_color: Colour::grey(0.7614),
            fixation_color: Colour::grey(1.0),
            dist_monitor: 107.0,
            num_trials_per_block: 256,
            num_practice_trials_per_block: 160,
            box_size: 129,
            object_gap: 10,
            final_cats_responses: [
                "knife", "airplane", "keyboard", "elephant", "bicycle", "clock", "oven", "chair",
                "bear", "boat", "cat", "bottle", "truck", "car", "bird", "dog",
            ]
            .map(String::from)
            .to_vec(),
            photodiode: None,
        }
    }
}

/// A parsed and checked config, with its paths resolved against the config file's folder.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The settings as written (paths already resolved).
    pub config: Config,
    /// The config file it came from.
    pub path: PathBuf,
    /// The file's text, kept for the session record.
    pub text: String,
    /// The response grid's categories, column by column.
    pub response_order: [Category; 16],
}

impl Experiment {
    /// The default settings, as if `path` held an empty config (paths stay relative to the
    /// working folder).
    pub fn defaults(path: &Path) -> Experiment {
        let config = Config::default();
        let response_order = std::array::from_fn(|i| {
            config.final_cats_responses[i]
                .parse()
                .unwrap_or(crate::categories::ALL[i])
        });
        Experiment {
            config,
            path: path.to_path_buf(),
            text: String::new(),
            response_order,
        }
    }

    /// An error at the line of a key of this config (the file alone when the key is not
    /// written there), e.g. `experiment.yaml:40: practice.stimuli: ...`.
    pub fn error_at(&self, keys: &[&str], message: impl std::fmt::Display) -> Error {
        let message = format!("{}: {message}", keys.join("."));
        match lines::line_of(&self.text, keys) {
            Some(line) => Error::at_line(&self.path, line, message),
            None => Error::in_file(&self.path, message),
        }
    }

    /// Reads, parses and checks a config file.
    pub fn load(path: &Path) -> Result<Experiment> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "read the config", e))?;
        Experiment::parse(path, &text)
    }

    /// Parses and checks config text that came from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Experiment> {
        // The YAML parser also breaks lines at a lone CR (old Mac files) and at NEL, LS and PS;
        // our own line search only at LF: make them agree.
        let text = &text
            .replace("\r\n", "\n")
            .replace(['\r', '\u{85}', '\u{2028}', '\u{2029}'], "\n");
        let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
        if text.lines().all(blank) {
            return Err(Error::in_file(path, "the config is empty"));
        }
        let mut config: Config =
            serde_yaml_ng::from_str(text).map_err(|e| yaml_error(path, text, &e))?;
        let response_order = check(
            &config,
            &|keys| {
                let line = lines::line_of(text, keys).unwrap_or(1);
                (path.to_path_buf(), line)
            },
            text,
        )?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.stimuli = base.join(&config.stimuli);
        config.output = base.join(&config.output);
        config.icons = config.icons.map(|p| base.join(p));
        config.practice.stimuli = config.practice.stimuli.map(|p| base.join(p));
        Ok(Experiment {
            config,
            path: path.to_path_buf(),
            text: text.to_string(),
            response_order,
        })
    }
}

type Locate<'a> = dyn Fn(&[&str]) -> (PathBuf, usize) + 'a;

fn fail(locate: &Locate<'_>, keys: &[&str], message: String) -> Error {
    let (path, line) = locate(keys);
    Error::at_line(&path, line, format!("{}: {}", keys.join("."), message))
}

fn check(config: &Config, locate: &Locate<'_>, text: &str) -> Result<[Category; 16]> {
    let durations: [(&[&str], f64); 8] = [
        (&["ms_fixation"], config.ms_fixation),
        (&["ms_inter_trial"], config.inter_trial_ms()),
        (&["ms_stim"], config.ms_stim),
        (&["ms_mask"], config.ms_mask),
        (&["ms_resp_object"], config.ms_resp_object),
        (&["ms_resp_object_practice"], config.ms_resp_object_practice),
        (&["ms_feedback"], config.ms_feedback),
        (&["beep", "ms"], config.beep.ms),
    ];
    for (keys, ms) in durations {
        if !(ms.is_finite() && ms > 0.0) {
            return Err(fail(
                locate,
                keys,
                format!("must be a positive duration in ms, got {ms}"),
            ));
        }
        if ms > LONGEST_PHASE_MS {
            return Err(fail(
                locate,
                keys,
                format!(
                    "{ms} ms is longer than a trial's phase may be ({LONGEST_PHASE_MS} ms, a \
                     minute); durations are in milliseconds"
                ),
            ));
        }
    }
    let positive: [(&[&str], f64); 6] = [
        (&["refresh_hz"], config.refresh_hz),
        (&["dist_monitor"], config.dist_monitor),
        (&["monitor", "width_cm"], config.monitor.width_cm),
        (&["beep", "frequency_hz"], config.beep.frequency_hz),
        (&["mask", "contrast"], config.mask.contrast),
        (&["monitor", "width_px"], f64::from(config.monitor.width_px)),
    ];
    for (keys, value) in positive {
        if !(value.is_finite() && value > 0.0) {
            return Err(fail(
                locate,
                keys,
                format!("must be a positive number, got {value}"),
            ));
        }
    }
    if !(1.0..=1000.0).contains(&config.refresh_hz) {
        return Err(fail(
            locate,
            &["refresh_hz"],
            format!("{} Hz is not a display refresh rate", config.refresh_hz),
        ));
    }
    refuse_shorter_than_a_frame(&durations, config.refresh_hz, locate)?;
    if !config.mask.exponent.is_finite() {
        return Err(fail(
            locate,
            &["mask", "exponent"],
            "must be a finite number".into(),
        ));
    }
    if !(0.0..=1.0).contains(&config.beep.volume) {
        return Err(fail(
            locate,
            &["beep", "volume"],
            format!("must be between 0 and 1, got {}", config.beep.volume),
        ));
    }
    let sizes: [(&[&str], u32); 5] = [
        (&["surround_size"], config.surround_size),
        (&["fixation_size"], config.fixation_size),
        (&["fixation_line_width"], config.fixation_line_width),
        (&["box_size"], config.box_size),
        (&["mask", "size"], config.mask.size),
    ];
    let patch = config
        .photodiode
        .map(|p| (&["photodiode", "size"][..], p.size));
    for (keys, value) in sizes.into_iter().chain(patch) {
        if value == 0 || value > 8192 {
            return Err(fail(
                locate,
                keys,
                format!("must be a size from 1 to 8192 pixels, got {value}"),
            ));
        }
    }
    if let Some(patch) = config.photodiode {
        // Everything else is centred; on a landscape screen (no taller than wide) a corner
        // square clears it exactly when it clears it across.
        let widest = [
            config.surround_size,
            config.mask.size,
            config.fixation_size,
            4 * config.box_size + 3 * config.object_gap,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let room = config.monitor.width_px.saturating_sub(widest) / 2;
        if patch.size > room {
            return Err(fail(
                locate,
                &["photodiode", "size"],
                format!(
                    "a {} px patch in a corner of a {} px wide screen (monitor.width_px) would cover the stimulus, mask, fixation or response boxes ({widest} px wide in the middle); at most {room} px",
                    patch.size, config.monitor.width_px
                ),
            ));
        }
    }
    let counts: [(&[&str], usize); 2] = [
        (&["num_trials_per_block"], config.num_trials_per_block),
        (
            &["num_practice_trials_per_block"],
            config.num_practice_trials_per_block,
        ),
    ];
    for (keys, value) in counts {
        if value == 0 {
            return Err(fail(locate, keys, "must be at least 1".into()));
        }
    }
    for (i, field) in config.participant_info.iter().enumerate() {
        let repeated = config.participant_info[..i]
            .iter()
            .any(|f| f.name == field.name);
        let problem = names::check_name_part(&field.name)
            .err()
            .or_else(|| repeated.then(|| format!("'{}' is asked twice", field.name)));
        if let Some(message) = problem {
            return Err(fail(locate, &["participant_info"], message));
        }
    }
    if let Err((key, message)) = config.texts.check() {
        return Err(fail(locate, &["texts", key], message));
    }
    if config.practice.trials == Some(0) {
        return Err(fail(
            locate,
            &["practice", "trials"],
            "must be at least 1".into(),
        ));
    }
    for (key, colour) in [
        ("bg_color", &config.bg_color),
        ("fixation_color", &config.fixation_color),
    ] {
        if let Err(message) = colour.check() {
            return Err(fail(locate, &[key], message));
        }
    }
    for (key, value) in [
        ("experiment", &config.experiment),
        ("code", &config.code),
        ("condition", &config.condition),
    ] {
        if let Err(message) = names::check_name_part(value) {
            return Err(fail(locate, &[key], message));
        }
    }
    if config.monitor.select.trim().is_empty() {
        return Err(fail(
            locate,
            &["monitor", "select"],
            "must name a monitor index or name".into(),
        ));
    }
    response_order(config, locate, text)
}

/// Refuses a phase shorter than one frame at the configured refresh (see
/// [`shorter_than_a_frame`]), and a beep too short to hear: both are
/// seconds written where milliseconds belong.
fn refuse_shorter_than_a_frame(
    durations: &[(&[&str], f64)],
    refresh_hz: f64,
    locate: &Locate<'_>,
) -> Result<()> {
    for &(keys, ms) in durations {
        // The beep is not drawn: it has no frames, but under 10 ms it is a click, not a tone.
        let message = if keys[0].starts_with("ms_") {
            durations::shorter_than_a_frame(ms, refresh_hz)
        } else {
            (ms < SHORTEST_BEEP_MS).then(|| {
                format!(
                    "{ms} ms is too short to hear as a beep; durations are in milliseconds \
                     (for {ms} s write {})",
                    ms * 1000.0
                )
            })
        };
        if let Some(message) = message {
            return Err(fail(locate, keys, message));
        }
    }
    Ok(())
}

/// The longest phase of a trial (ms): a longer one is a typing slip, and would hold the
/// participant on one screen for minutes.
const LONGEST_PHASE_MS: f64 = 60_000.0;

/// A beep shorter than this (ms) is taken for seconds written as milliseconds.
const SHORTEST_BEEP_MS: f64 = 10.0;

fn response_order(config: &Config, locate: &Locate<'_>, text: &str) -> Result<[Category; 16]> {
    let key = "final_cats_responses";
    let item_error = |index: usize, message: String| {
        let (path, _) = locate(&[key]);
        let line = lines::line_of_item(text, key, index).unwrap_or(1);
        Error::at_line(&path, line, format!("{key}[{index}]: {message}"))
    };
    let mut order = Vec::with_capacity(16);
    for (index, name) in config.final_cats_responses.iter().enumerate() {
        let category: Category = name
            .parse()
            .map_err(|e| item_error(index, format!("{e}")))?;
        if order.contains(&category) {
            return Err(item_error(index, format!("'{name}' is listed twice")));
        }
        order.push(category);
    }
    order.try_into().map_err(|order: Vec<Category>| {
        fail(
            locate,
            &[key],
            format!("must list all 16 categories once, found {}", order.len()),
        )
    })
}

#[cfg(test)]
mod tests;
