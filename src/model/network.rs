//! An ONNX ImageNet classifier run in-process with tract (pure Rust, nothing downloaded), or
//! with onnxruntime's library in builds with the `onnxruntime` feature.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::{Error, Result};

/// Which library runs the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// tract: pure Rust, in every build.
    Tract,
    /// onnxruntime's own library, loaded at run time (builds with the `onnxruntime` feature).
    Onnxruntime,
}

impl Engine {
    /// Whether this engine can run here: built in, and its library found.
    pub fn ready(self) -> Result<()> {
        match self {
            Engine::Tract => Ok(()),
            #[cfg(feature = "onnxruntime")]
            Engine::Onnxruntime => super::onnxruntime::ready(),
            #[cfg(not(feature = "onnxruntime"))]
            Engine::Onnxruntime => Err(Error::new(
                "--engine onnxruntime: this shapelab was built without it; build it with `cargo install --path . --features onnxruntime`",
            )),
        }
    }
}

/// How a network is run: the engine, images per call, and threads inside one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSetup {
    /// The library that runs it.
    pub engine: Engine,
    /// Images per call (the network's batch dimension).
    pub batch: usize,
    /// Threads the engine splits one call over (1: the calling thread alone).
    pub threads: usize,
}

impl RunSetup {
    /// One image per call on the calling thread alone, with `engine`.
    pub fn single(engine: Engine) -> RunSetup {
        RunSetup {
            engine,
            batch: 1,
            threads: 1,
        }
    }
}

/// A loaded, optimised network taking `[batch, 3, size, size]` float32 input and giving 1000
/// ImageNet scores per image.
pub struct Network {
    loaded: Loaded,
    size: usize,
    batch: usize,
}

/// A network as its engine holds it.
enum Loaded {
    Tract(Arc<TypedRunnableModel>),
    #[cfg(feature = "onnxruntime")]
    Onnxruntime(super::onnxruntime::Model),
}

/// One running instance of a network: its buffers are kept from call to call.
pub struct Runner {
    state: State,
    size: usize,
    batch: usize,
}

/// A running instance as its engine holds it.
enum State {
    Tract(TypedSimpleState),
    #[cfg(feature = "onnxruntime")]
    Onnxruntime(super::onnxruntime::Runner),
}

/// Time spent in one kind of tract operator.
#[derive(Debug, Clone)]
pub struct OperatorTime {
    /// tract's name of the operator, e.g. `DepthWise`.
    pub operator: String,
    /// Nodes of that kind in the plan.
    pub nodes: usize,
    /// Time per call.
    pub time: Duration,
}

impl Network {
    /// Loads and checks an ONNX file for inputs of `size` x `size`, optimised for `setup`.
    pub fn load(path: &Path, size: u32, setup: RunSetup) -> Result<Network> {
        let batch = setup.batch.max(1);
        let n = size as usize;
        match setup.engine {
            Engine::Tract => {}
            #[cfg(feature = "onnxruntime")]
            Engine::Onnxruntime => {
                return Ok(Network {
                    loaded: Loaded::Onnxruntime(super::onnxruntime::Model::load(
                        path,
                        setup.threads,
                    )?),
                    size: n,
                    batch,
                })
            }
            #[cfg(not(feature = "onnxruntime"))]
            Engine::Onnxruntime => Engine::Onnxruntime.ready()?,
        }
        let mut optimised = typed(path, n, batch)?;
        let optimise = |m: &mut TypedModel| -> TractResult<()> {
            m.declutter()?;
            unstride_depthwise(m)?;
            m.optimize()
        };
        optimise(&mut optimised).map_err(|e| {
            Error::in_file(
                path,
                format!("cannot be optimised to run ({})", first_line(&e)),
            )
        })?;
        let options = RunOptions {
            executor: (setup.threads > 1)
                .then(|| multithread::Executor::multithread(setup.threads)),
            ..RunOptions::default()
        };
        let plan = optimised
            .into_runnable_with_options(&options)
            .map_err(|e| {
                Error::in_file(
                    path,
                    format!("cannot be prepared to run ({})", first_line(&e)),
                )
            })?;
        Ok(Network {
            loaded: Loaded::Tract(plan),
            size: n,
            batch,
        })
    }

    /// Checks, as `engine` reads it and without preparing it to run, that an ONNX file is a
    /// classifier of `size` x `size` images: readable, an image input, 1000 ImageNet scores out.
    pub fn check(path: &Path, size: u32, engine: Engine) -> Result<()> {
        match engine {
            Engine::Tract => typed(path, size as usize, 1).map(drop),
            #[cfg(feature = "onnxruntime")]
            Engine::Onnxruntime => super::onnxruntime::check(path, size),
            #[cfg(not(feature = "onnxruntime"))]
            Engine::Onnxruntime => Engine::Onnxruntime.ready(),
        }
    }

    /// Images per call.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// A new running instance (one per thread that runs the network).
    pub fn runner(&self) -> Result<Runner> {
        let state = match &self.loaded {
            Loaded::Tract(plan) => State::Tract(plan.spawn().map_err(|e| {
                Error::new(format!("the network cannot start: {}", first_line(&e)))
            })?),
            #[cfg(feature = "onnxruntime")]
            Loaded::Onnxruntime(model) => State::Onnxruntime(model.runner()?),
        };
        Ok(Runner {
            state,
            size: self.size,
            batch: self.batch,
        })
    }
}

/// tract's input for one `[batch, 3, size, size]` call.
fn tract_input(shape: [usize; 4], input: Vec<f32>) -> Result<TVec<TValue>> {
    let tensor = tract_ndarray::Array4::from_shape_vec(shape, input)
        .map_err(|e| Error::new(format!("bad network input: {e}")))?
        .into_tensor();
    Ok(tvec![tensor.into()])
}

/// tract's first output as float32 scores.
fn scores(outputs: &[TValue]) -> Result<Vec<f32>> {
    let view = outputs[0].to_plain_array_view::<f32>().map_err(|e| {
        Error::new(format!(
            "the network's output is not float32: {}",
            first_line(&e)
        ))
    })?;
    Ok(view.iter().copied().collect())
}

impl Runner {
    /// The raw outputs for one batch of preprocessed images (batch x 3 x size x size, NCHW):
    /// 1000 scores per image, image after image.
    pub fn run(&mut self, input: Vec<f32>) -> Result<Vec<f32>> {
        let shape = [self.batch, 3, self.size, self.size];
        match &mut self.state {
            State::Tract(state) => {
                let input = tract_input(shape, input)?;
                let outputs = state
                    .run(input)
                    .map_err(|e| Error::new(format!("the network failed: {}", first_line(&e))))?;
                scores(&outputs)
            }
            #[cfg(feature = "onnxruntime")]
            State::Onnxruntime(runner) => runner.run(shape, input),
        }
    }

    /// Where the time of one call goes: the time of each kind of operator, slowest first,
    /// averaged over `calls` calls on `input`.
    // Without the onnxruntime feature the match below has one arm.
    #[cfg_attr(
        not(feature = "onnxruntime"),
        allow(clippy::infallible_destructuring_match)
    )]
    pub fn profile(&mut self, input: &[f32], calls: usize) -> Result<Vec<OperatorTime>> {
        let mut times: HashMap<String, (std::collections::HashSet<usize>, Duration)> =
            HashMap::new();
        let shape = [self.batch, 3, self.size, self.size];
        let state = match &mut self.state {
            State::Tract(state) => state,
            #[cfg(feature = "onnxruntime")]
            State::Onnxruntime(_) => {
                return Err(Error::new("operator profiles are of tract's plan"));
            }
        };
        for _ in 0..calls.max(1) {
            let input = tract_input(shape, input.to_vec())?;
            state
                .run_plan_with_eval(input, |context, state, node, inputs| {
                    let start = Instant::now();
                    let outputs = tract_onnx::tract_core::plan::eval(context, state, node, inputs);
                    let entry = times.entry(node.op().name().to_string()).or_default();
                    entry.0.insert(node.id);
                    entry.1 += start.elapsed();
                    outputs
                })
                .map_err(|e| Error::new(format!("the network failed: {}", first_line(&e))))?;
        }
        let mut table: Vec<OperatorTime> = times
            .into_iter()
            .map(|(operator, (nodes, time))| OperatorTime {
                operator,
                nodes: nodes.len(),
                time: time / calls.max(1) as u32,
            })
            .collect();
        table.sort_by_key(|o| std::cmp::Reverse(o.time));
        Ok(table)
    }
}

/// The ONNX file typed for `[batch, 3, n, n]` float32 input, with its input and output checked.
fn typed(path: &Path, n: usize, batch: usize) -> Result<TypedModel> {
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
                format!("the input has rank {rank}; an NCHW image input [N, 3, H, W] is needed"),
            ));
        }
    }
    let typed = model
        .with_input_fact(0, f32::fact([batch, 3, n, n]).into())
        .and_then(|m| m.into_typed())
        .map_err(|e| {
            Error::in_file(
                path,
                format!(
                    "does not take a [{batch}, 3, {n}, {n}] float32 input ({})",
                    first_line(&e)
                ),
            )
        })?;
    let output = typed
        .output_fact(0)
        .map_err(|e| Error::in_file(path, format!("has no output ({})", first_line(&e))))?;
    let classes = output
        .shape
        .as_concrete()
        .map(|s| s.iter().product::<usize>() / batch);
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
    Ok(typed)
}

/// Depthwise convolutions with a stride run several times slower in tract 0.23 than without
/// one (EfficientNet-Lite0's two 3x3 stride-2 ones took 2.8 ms each, nine times a stride-1
/// one of four times the outputs): each becomes a stride-1 convolution followed by keeping
/// every stride-th row and column, the same sums at the positions kept. Done between tract's
/// decluttering (which would fold the subsampling back into the convolution) and its codegen.
fn unstride_depthwise(model: &mut TypedModel) -> TractResult<()> {
    use tract_onnx::tract_core::ops::cnn::{Conv, PaddingSpec};
    use tract_onnx::tract_core::ops::downsample::Downsample;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(conv) = node.op_as::<Conv>() else {
            continue;
        };
        let spec = &conv.pool_spec;
        let depthwise = conv.group > 1
            && conv.group == spec.input_channels
            && conv.group == spec.output_channels
            && conv.q_params.is_none();
        let strides = spec.strides().to_vec();
        if !depthwise || strides.iter().all(|&s| s == 1) || spec.dilations().iter().any(|&d| d != 1)
        {
            continue;
        }
        let Some(input) = model
            .outlet_fact(node.inputs[0])?
            .shape
            .as_concrete()
            .map(|s| s.to_vec())
        else {
            continue;
        };
        let shape = spec.data_format.shape(input)?;
        let hw_axes = shape.hw_axes();
        let padded = spec.computed_padding(shape.hw_dims());
        let mut unstrided = conv.clone();
        let before: TVec<usize> = padded.iter().map(|p| p.pad_before).collect();
        // Enough padding after for a stride-1 output that reaches the last strided position.
        let after: TVec<usize> = padded
            .iter()
            .zip(shape.hw_dims())
            .zip(&spec.kernel_shape)
            .zip(&strides)
            .map(|(((p, &size), &kernel), &stride)| {
                ((p.convoluted - 1) * stride + kernel).saturating_sub(size + p.pad_before)
            })
            .collect();
        unstrided.pool_spec.strides = None;
        unstrided.pool_spec.padding = PaddingSpec::Explicit(before, after);
        let mut patch = TypedModelPatch::default();
        let inputs = patch.taps(model, &node.inputs)?;
        let mut wire = patch.wire_node(format!("{}.unstrided", node.name), unstrided, &inputs)?[0];
        for (axis, &stride) in hw_axes.zip(&strides) {
            if stride > 1 {
                wire = patch.wire_node(
                    format!("{}.keep_every_{stride}_on_{axis}", node.name),
                    Downsample {
                        axis,
                        stride: stride as isize,
                        modulo: 0,
                    },
                    &[wire],
                )?[0];
            }
        }
        patch.shunt_outside(model, OutletId::new(id, 0), wire)?;
        patch.obliterate(id)?;
        patch.apply(model)?;
    }
    Ok(())
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
        let err = Network::load(&path, 224, RunSetup::single(Engine::Tract))
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
