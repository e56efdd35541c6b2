//! The optional onnxruntime engine (cargo feature `onnxruntime`): onnxruntime's own library,
//! loaded at run time from a file the user already has (the Python package's, or one named by
//! `SHAPELAB_ONNXRUNTIME`), runs the network. The default build does not have it and stays
//! pure Rust.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::value::Tensor;

use crate::error::{Error, Result};

/// onnxruntime's process-wide environment, made once from the library found.
static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

/// A model file for onnxruntime: its bytes, and the threads each session may use.
pub struct Model {
    bytes: Vec<u8>,
    threads: usize,
}

/// One onnxruntime session (one per thread that runs the network).
pub struct Runner {
    session: Session,
    input: String,
}

/// Checks, as onnxruntime reads it, that an ONNX file is a classifier of `size` x `size`
/// images: an NCHW image input and 1000 scores out per image.
pub fn check(path: &Path, size: u32) -> Result<()> {
    let session = Session::builder(environment()?)
        .and_then(|mut b| b.commit_from_file(path))
        .map_err(|e| {
            Error::in_file(
                path,
                format!(
                    "is not an ONNX model onnxruntime can read ({})",
                    first_line(&e)
                ),
            )
        })?;
    let shape = |outlets: &[ort::value::Outlet]| -> Vec<i64> {
        outlets
            .first()
            .and_then(|o| o.dtype().tensor_shape())
            .map(|s| s.to_vec())
            .unwrap_or_default()
    };
    let dims = |shape: &[i64]| {
        shape
            .iter()
            .map(|d| {
                if *d < 0 {
                    "N".to_string()
                } else {
                    d.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let input = shape(session.inputs());
    let fits = |dim: i64, want: i64| dim < 0 || dim == want;
    let n = i64::from(size);
    if input.len() != 4 || !fits(input[1], 3) || !fits(input[2], n) || !fits(input[3], n) {
        return Err(Error::in_file(
            path,
            format!(
                "the input has shape [{}]; an NCHW image input [N, 3, {size}, {size}] is needed",
                dims(&input)
            ),
        ));
    }
    let output = shape(session.outputs());
    let classes: i64 = output.iter().skip(1).product();
    if output.len() < 2 || classes != 1000 {
        return Err(Error::in_file(
            path,
            format!(
                "the output has shape [{}], not the 1000 ImageNet classes",
                dims(&output)
            ),
        ));
    }
    Ok(())
}

/// The first line of an error, without onnxruntime's trailing detail.
fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

impl Model {
    /// Reads a model for sessions of `threads` intra-op threads, after finding onnxruntime.
    pub fn load(path: &Path, threads: usize) -> Result<Model> {
        environment()?;
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the model", e))?;
        Ok(Model {
            bytes,
            threads: threads.max(1),
        })
    }

    /// A new session.
    pub fn runner(&self) -> Result<Runner> {
        let failed = |e: &dyn std::fmt::Display| {
            Error::new(format!("onnxruntime cannot start the network: {e}"))
        };
        let session = Session::builder(environment()?)
            .map_err(|e| failed(&e))?
            .with_intra_threads(self.threads)
            .map_err(|e| failed(&e))?
            .with_inter_threads(1)
            .map_err(|e| failed(&e))?
            .commit_from_memory(&self.bytes)
            .map_err(|e| failed(&e))?;
        let input = session
            .inputs()
            .first()
            .map(|i| i.name().to_string())
            .ok_or_else(|| Error::new("onnxruntime: the network has no input"))?;
        Ok(Runner { session, input })
    }
}

impl Runner {
    /// The first output for one `[batch, 3, size, size]` input, as float32.
    pub fn run(&mut self, shape: [usize; 4], input: Vec<f32>) -> Result<Vec<f32>> {
        let failed = |e: &dyn std::fmt::Display| Error::new(format!("the network failed: {e}"));
        let tensor = Tensor::from_array((shape, input)).map_err(|e| failed(&e))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(|e| failed(&e))?;
        let (_, scores) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| failed(&e))?;
        Ok(scores.to_vec())
    }
}

/// Finds and loads onnxruntime's library, or says why it cannot.
pub fn ready() -> Result<()> {
    environment().map(drop)
}

/// The environment, made on first use from the library [`library`] finds.
fn environment() -> Result<&'static Environment> {
    ENVIRONMENT
        .get_or_init(|| {
            let path = library()?;
            ort::init_from(&path)
                .map_err(|e| format!("{}: cannot be loaded as onnxruntime: {e}", path.display()))?
                .build()
                .map_err(|e| format!("{}: onnxruntime does not start: {e}", path.display()))
        })
        .as_ref()
        .map_err(|e| Error::new(e.clone()))
}

/// onnxruntime's shared library: `SHAPELAB_ONNXRUNTIME`, else `ORT_DYLIB_PATH`, else the one
/// inside the Python package `onnxruntime` of the `python3` on the PATH.
fn library() -> std::result::Result<PathBuf, String> {
    for variable in ["SHAPELAB_ONNXRUNTIME", "ORT_DYLIB_PATH"] {
        if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            // The loader searches the system's folders for a bare name, not this one.
            return match std::path::absolute(&path) {
                Ok(absolute) if absolute.is_file() => Ok(absolute),
                _ if path.is_dir() => Err(format!(
                    "{variable}={}: is a folder; name the library file in it (libonnxruntime.so...)",
                    path.display()
                )),
                _ => Err(format!("{variable}={}: no such file", path.display())),
            };
        }
    }
    let missing = "no onnxruntime library: set SHAPELAB_ONNXRUNTIME to libonnxruntime.so, or `pip install onnxruntime`";
    let output = Command::new("python3")
        .args([
            "-c",
            "import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'))",
        ])
        .output()
        .map_err(|_| missing.to_string())?;
    let capi = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !output.status.success() {
        return Err(missing.into());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&capi)
        .map_err(|_| missing.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so") || n == "libonnxruntime.dylib")
        })
        .collect();
    found.sort();
    found.pop().ok_or_else(|| missing.to_string())
}
