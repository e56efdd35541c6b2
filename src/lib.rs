//! shapelab: the texture-vs-shape experiment (Geirhos et al., ICLR 2019) for human
//! participants, and the comparison of people with image classifiers on the same trials.
//!
//! The data path is the module path: [`config`] -> [`stimuli`] -> [`trials`] (a pure state
//! machine over frames) -> [`runner`] (the session's frame loop and data writer) ->
//! [`display`] (the participant's window, GPU and sound) and its [`timing`] -> [`data`] ->
//! [`analysis`], [`model`] and [`report`]. [`launcher`] is the experimenter's window,
//! [`session`] opens a session's files, [`simulate`] runs one on a virtual display,
//! [`photodiode`] checks a session's timing with a photodiode recording, and [`cli`] is the
//! command line.

/// `println!` for the console: a stdout closed by its reader (`shapelab compare | head`) ends
/// the output, not the program with a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` for the console, as [`say!`].
macro_rules! say_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod analysis;
pub mod categories;
pub mod cli;
pub mod config;
pub mod data;
pub mod display;
pub mod error;
pub mod hints;
pub mod init;
pub mod launcher;
pub mod model;
pub mod names;
pub mod original;
pub mod parallel;
pub mod photodiode;
pub mod preflight;
pub mod report;
pub mod rng;
pub mod runner;
pub mod session;
pub mod simulate;
pub mod stimuli;
pub mod timing;
pub mod trials;

pub use error::{Error, Result};
