//! Analysis of raw-data rows: shape bias and accuracy, as the paper computes them.

pub mod shape_bias;

pub use shape_bias::{Decisions, ShapeBias};
