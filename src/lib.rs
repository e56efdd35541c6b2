//! shapelab: the texture-vs-shape experiment (Geirhos et al., ICLR 2019) for human
//! participants, and the comparison of people with image classifiers on the same trials.
//!
//! The data path is the module path: [`config`] -> [`stimuli`] -> [`trials`] -> [`data`].

pub mod categories;
pub mod config;
pub mod error;
pub mod names;
pub mod rng;
pub mod stimuli;
pub mod trials;

pub use error::{Error, Result};
