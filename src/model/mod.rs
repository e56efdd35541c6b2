//! Image classifiers as observers: ONNX ImageNet networks run on stimulus sets, their 1000
//! classes mapped to the 16 categories, written as raw-data CSVs like any participant's.

pub mod classify;
pub mod network;
#[cfg(feature = "onnxruntime")]
pub mod onnxruntime;
pub mod preprocess;
pub mod work;
