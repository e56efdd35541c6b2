//! Image classifiers as observers: an ONNX ImageNet network run on the stimuli, its 1000
//! classes mapped to the 16 categories, written as a raw-data CSV like any participant's.

pub mod classify;
pub mod network;
pub mod preprocess;
