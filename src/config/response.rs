//! How the response window reads the mouse: which moment is `rt`, which buttons count, and
//! whether the window is timed by the clock or by frames. The defaults are the original's.

use serde::{Deserialize, Serialize};

/// Which moment of the answer is the trial's response time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RtFrom {
    /// The last moment a counted button was down with the cursor inside a box, within the
    /// window (the window's end while still held): what the original's polling loop measured.
    #[default]
    LastDown,
    /// The press of the last valid click.
    Press,
    /// The release of the last valid click, or the end of the window while still held.
    Release,
}

/// Which mouse buttons answer (and continue from start and break screens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseButtons {
    /// Every button, as the original's `any(buttons)`.
    #[default]
    Any,
    /// The left button only.
    Left,
}

/// How the length of the response window is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseWindow {
    /// `ms_resp_object` of clock time from the grid's onset, as the original's `GetSecs`
    /// loop; the grid stays until the first frame at (or within a quarter of a refresh before) its end.
    #[default]
    Clock,
    /// A fixed number of frames (`ms_resp_object` in whole frames), however late they come.
    Frames,
}
