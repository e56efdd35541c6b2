//! An ONNX ImageNet classifier run in-process with tract (pure Rust, nothing downloaded).

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::{Error, Result};

/// A loaded, optimised network taking `[1, 3, size, size]` float32 input and giving 1000
/// ImageNet scores.
pub struct Network {
    plan: Arc<TypedRunnableModel>,
    size: usize,
}

impl Network {
    /// Loads and checks an ONNX file for inputs of `size` x `size`.
    pub fn load(path: &Path, size: u32) -> Result<Network> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the model", e))?;
        let model = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .map_err(|e| {
                Error::in_file(
                    path,
                    format!("is not an ONNX model tract can read ({})", first_line(&e)),
                )
            })?;
        let declared = model
            .input_fact(0)
            .map_err(|e| Error::in_file(path, format!("has no input ({})", first_line(&e))))?;
        if let Some(rank) = declared.shape.rank().concretize() {
            if rank != 4 {
                return Err(Error::in_file(
                    path,
                    format!(
                        "the input has rank {rank}; an NCHW image input [N, 3, H, W] is needed"
                    ),
                ));
            }
        }
        let n = size as usize;
        let optimised = model
            .with_input_fact(0, f32::fact([1, 3, n, n]).into())
            .and_then(|m| m.into_optimized())
            .map_err(|e| {
                Error::in_file(
                    path,
                    format!(
                        "does not take a [1, 3, {n}, {n}] float32 input ({})",
                        first_line(&e)
                    ),
                )
            })?;
        let output = optimised
            .output_fact(0)
            .map_err(|e| Error::in_file(path, format!("has no output ({})", first_line(&e))))?;
        let classes = output
            .shape
            .as_concrete()
            .map(|s| s.iter().product::<usize>());
        if classes != Some(1000) {
            return Err(Error::in_file(
                path,
                format!(
                    "the output has shape [{}], not the 1000 ImageNet classes",
                    output
                        .shape
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let plan = optimised.into_runnable().map_err(|e| {
            Error::in_file(
                path,
                format!("cannot be prepared to run ({})", first_line(&e)),
            )
        })?;
        Ok(Network { plan, size: n })
    }

    /// The 1000 raw outputs for one preprocessed image (3 x size x size, NCHW).
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<f32>> {
        let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, self.size, self.size), input)
            .map_err(|e| Error::new(format!("bad network input: {e}")))?
            .into_tensor();
        let outputs = self
            .plan
            .run(tvec![tensor.into()])
            .map_err(|e| Error::new(format!("the network failed: {}", first_line(&e))))?;
        let view = outputs[0].to_plain_array_view::<f32>().map_err(|e| {
            Error::new(format!(
                "the network's output is not float32: {}",
                first_line(&e)
            ))
        })?;
        Ok(view.iter().copied().collect())
    }
}

fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

/// Softmax over scores, computed in f64 for stability.
pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f64> = scores.iter().map(|&s| f64::from(s - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / sum) as f32).collect()
}

/// Whether outputs already look like probabilities (all in 0..1, summing to 1).
pub fn looks_like_probabilities(scores: &[f32]) -> bool {
    let sum: f64 = scores.iter().map(|&s| f64::from(s)).sum();
    scores.iter().all(|s| (0.0..=1.0).contains(s)) && (sum - 1.0).abs() < 1e-3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_the_order() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[2] > p[1] && p[1] > p[0]);
        assert!(looks_like_probabilities(&p));
        assert!(!looks_like_probabilities(&[1.0, 2.0, 3.0]));
    }

    #[test]
    fn a_file_that_is_not_onnx_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("model.onnx");
        std::fs::write(&path, b"this is not a model").expect("written");
        let err = Network::load(&path, 224)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.starts_with(&format!("{}: is not an ONNX model", path.display())),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }
}
