//! Analysis of raw-data rows: shape bias and accuracy, as the paper computes them.

pub mod benchmark;
pub mod compare;
pub mod consistency;
pub mod metrics;
pub mod observers;
pub mod same_code;
pub mod session_results;
pub mod shape_bias;
pub mod unfinished;

pub use shape_bias::{Decisions, ShapeBias};
