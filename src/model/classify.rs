//! Classifying one stimulus set with one network. Decoding threads read and prepare images
//! ahead of the network; the network's threads run batches of them; rows are written in
//! stimulus order as soon as they are ready, each on disk before the next, so an interrupted
//! run keeps its work and a rerun finishes the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use super::network::{looks_like_probabilities, softmax, Engine, Network, RunSetup, Runner};
use super::preprocess::Preprocess;
pub use super::work::data_path;
use super::work::Dataset;
use crate::categories::{aggregate, decision, Aggregation, Category, ALL};
use crate::data::raw::{parse_rows, RawRow, HEADER};
use crate::data::synced::SyncedFile;
use crate::error::{Error, Result};
use crate::names::TrialImageName;

/// The files one model writes for one stimulus set.
#[derive(Clone, Copy)]
pub struct Output<'a> {
    /// The stimuli (in trial order) and their experiment.
    pub dataset: &'a Dataset,
    /// Condition label.
    pub condition: &'a str,
    /// The observer name (`subj`).
    pub name: &'a str,
    /// The raw-data file, created or continued.
    pub data: &'a Path,
    /// An optional CSV of the 16 aggregated probabilities per image, created or continued.
    pub probabilities: Option<&'a Path>,
}

/// What to classify and where the results go.
pub struct ClassifyJob<'a> {
    /// The files written.
    pub output: Output<'a>,
    /// The network.
    pub network: &'a Network,
    /// Its preprocessing.
    pub preprocess: &'a Preprocess,
    /// How 1000 probabilities become 16.
    pub aggregation: Aggregation,
    /// Threads that run the network, each on its own batches.
    pub workers: usize,
    /// Threads that decode and prepare images ahead of the network.
    pub decoders: usize,
    /// Set to stop early (Ctrl-C); finished images are kept.
    pub stop: Arc<AtomicBool>,
    /// Called with the number of images just written.
    pub progress: &'a (dyn Fn(usize) + Sync),
}

/// One classified image.
#[derive(Debug, Clone)]
pub struct Classified {
    /// Index in the set.
    pub index: usize,
    /// The 16 aggregated probabilities in the order of [`ALL`].
    pub scores: [f32; 16],
    /// The decision.
    pub decision: Category,
}

/// How far a job got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Images the files already held when the job started.
    pub resumed: usize,
    /// Images the files hold now.
    pub done: usize,
    /// Images in the set.
    pub total: usize,
}

/// The 16 category probabilities from one image's 1000 network outputs.
pub fn category_scores(
    preprocess: &Preprocess,
    aggregation: Aggregation,
    outputs: &[f32],
) -> Result<[f32; 16]> {
    let logits = preprocess
        .logits
        .unwrap_or_else(|| !looks_like_probabilities(outputs));
    let probabilities = if logits {
        softmax(outputs)
    } else {
        outputs.to_vec()
    };
    aggregate(&probabilities, aggregation)
        .ok_or_else(|| Error::new("the network did not give 1000 classes"))
}

/// How many complete rows a raw-data file holds (0 when it does not exist), without changing
/// it; an error when its rows are not this output's.
pub fn rows_done(output: &Output<'_>) -> Result<usize> {
    if !output.data.exists() {
        return Ok(0);
    }
    let text = std::fs::read_to_string(output.data)
        .map_err(|e| Error::io(output.data, "read the file", e))?;
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    if complete == 0 {
        return Ok(0);
    }
    check_rows(output, &text[..complete])
}

/// Runs the job from where its files end; returns how far it got and the images classified
/// now (all the rest, unless stopped or failed).
pub fn run(job: &ClassifyJob<'_>) -> Result<(Progress, Vec<Classified>)> {
    let output = &job.output;
    let total = output.dataset.set.stimuli.len();
    if let Some(parent) = output.data.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(parent, "create the output folder", e))?;
    }
    let (mut data, data_rows) = open(output.data, HEADER, |text| check_rows(output, text))?;
    let mut probabilities = match output.probabilities {
        Some(path) => {
            let header = format!("imagename,decision16,{}", ALL.map(|c| c.name()).join(","));
            Some(open(path, &header, |text| {
                check_probabilities(output, path, text)
            })?)
        }
        None => None,
    };
    let start = probabilities
        .as_ref()
        .map_or(data_rows, |(_, rows)| data_rows.min(*rows));
    let mut done = Vec::with_capacity(total - start);
    let mut failure = None;
    classify_from(job, start, |index, result| {
        let scores = match result {
            Ok(scores) => scores,
            Err(e) => {
                failure.get_or_insert(e);
                return false;
            }
        };
        // Results come in stimulus order; a file already holding a row is not written again.
        let classified = Classified {
            index,
            scores,
            decision: decision(&scores),
        };
        let written = (|| {
            if index >= data_rows {
                data.append(&row(output, index, Some(classified.decision)).to_line())?;
            }
            if let Some((file, rows)) = probabilities.as_mut() {
                if index >= *rows {
                    file.append(&probability_line(output, &classified))?;
                }
            }
            Ok(())
        })();
        if let Err(e) = written {
            failure.get_or_insert(e);
            return false;
        }
        done.push(classified);
        (job.progress)(1);
        true
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok((
            Progress {
                resumed: start,
                done: start + done.len(),
                total,
            },
            done,
        )),
    }
}

/// Creates `path` with `header`, or continues it after checking its complete lines with
/// `check` (which returns how many rows they hold).
fn open(
    path: &Path,
    header: &str,
    check: impl FnOnce(&str) -> Result<usize>,
) -> Result<(SyncedFile, usize)> {
    if !path.exists() {
        return Ok((SyncedFile::create(path, header)?, 0));
    }
    let (mut file, text) = SyncedFile::resume(path)?;
    if text.is_empty() {
        // Created but stopped before its header reached the disk.
        file.append(&format!("{header}\n"))?;
        return Ok((file, 0));
    }
    let rows = check(&text)?;
    Ok((file, rows))
}

/// The row of image `index`, with the network's decision.
fn row(output: &Output<'_>, index: usize, decision: Option<Category>) -> RawRow {
    let stimulus = &output.dataset.set.stimuli[index];
    let imagename = TrialImageName {
        trial: index + 1,
        code: output.dataset.code.clone(),
        subject: "dnn".into(),
        condition: output.condition.to_string(),
        category: stimulus.shape.name().to_string(),
        extra: "00".into(),
        original: stimulus.original.clone(),
    };
    RawRow {
        subj: output.name.into(),
        session: "1".into(),
        trial: index + 1,
        rt: None,
        object_response: decision,
        category: stimulus.shape,
        condition: output.condition.into(),
        imagename: imagename.to_string(),
    }
}

/// The rows of a raw-data file's complete text, checked to be this job's first rows.
fn check_rows(output: &Output<'_>, text: &str) -> Result<usize> {
    let rows = parse_rows(output.data, text)?;
    let stimuli = output.dataset.set.stimuli.len();
    for (index, found) in rows.iter().enumerate() {
        let expected = (index < stimuli).then(|| row(output, index, found.object_response));
        if expected.as_ref() != Some(found) {
            return Err(not_this_output(output.data, index + 2, output, index));
        }
    }
    Ok(rows.len())
}

/// The lines of a probabilities file's complete text, checked to be this job's first images.
fn check_probabilities(output: &Output<'_>, path: &Path, text: &str) -> Result<usize> {
    let mut rows = 0;
    for (index, line) in text.lines().skip(1).enumerate() {
        let stimulus = output.dataset.set.stimuli.get(index);
        let expected = stimulus.map(|s| format!("{}/{},", s.shape, s.original));
        if !expected.is_some_and(|start| line.starts_with(&start)) {
            return Err(not_this_output(path, index + 2, output, index));
        }
        rows += 1;
    }
    Ok(rows)
}

fn not_this_output(path: &Path, line: usize, output: &Output<'_>, index: usize) -> Error {
    let expected = match output.dataset.set.stimuli.get(index) {
        Some(s) => format!("expected {} on {}/{}", output.name, s.shape, s.original),
        None => format!(
            "the set has only {} images",
            output.dataset.set.stimuli.len()
        ),
    };
    Error::at_line(
        path,
        line,
        format!(
            "is not from classifying {} with {} ({expected}); move the file away to classify again",
            output.dataset.set.root.display(),
            output.name
        ),
    )
}

fn probability_line(output: &Output<'_>, c: &Classified) -> String {
    let stimulus = &output.dataset.set.stimuli[c.index];
    let scores: Vec<String> = c.scores.iter().map(|s| format!("{s:.9e}")).collect();
    format!(
        "{}/{},{},{}\n",
        stimulus.shape,
        stimulus.original,
        c.decision,
        scores.join(",")
    )
}

/// Classifies the images from `start` on and hands each result to `take` in stimulus order
/// until it returns false, the images run out or the job is stopped.
fn classify_from(
    job: &ClassifyJob<'_>,
    start: usize,
    mut take: impl FnMut(usize, Result<[f32; 16]>) -> bool,
) -> Result<()> {
    let stimuli = &job.output.dataset.set.stimuli;
    let batch = job.network.batch();
    let runners = (0..job.workers.max(1))
        .map(|_| job.network.runner())
        .collect::<Result<Vec<_>>>()?;
    let next = AtomicUsize::new(start);
    // Set when `take` has had enough: the decoders stop early.
    let halt = AtomicBool::new(false);
    // A few batches ahead per worker: enough to hide decoding, little memory.
    let (send_input, inputs) =
        mpsc::sync_channel::<(usize, Result<Vec<f32>>)>(2 * batch * runners.len());
    let inputs = Mutex::new(inputs);
    let (send_result, results) = mpsc::channel::<(usize, Result<[f32; 16]>)>();
    std::thread::scope(|scope| {
        for _ in 0..job.decoders.max(1) {
            let send = send_input.clone();
            let (next, halt) = (&next, &halt);
            scope.spawn(move || loop {
                if job.stop.load(Ordering::Relaxed) || halt.load(Ordering::Relaxed) {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(stimulus) = stimuli.get(index) else {
                    break;
                };
                let input = crate::stimuli::decode(&stimulus.path)
                    .map(|image| job.preprocess.apply(&image.into_rgb8()));
                if send.send((index, input)).is_err() {
                    break;
                }
            });
        }
        drop(send_input);
        for mut runner in runners {
            let send = send_result.clone();
            let (inputs, halt) = (&inputs, &halt);
            scope.spawn(move || {
                while let Some(images) = next_batch(inputs, batch) {
                    if halt.load(Ordering::Relaxed) {
                        break;
                    }
                    let results = classify_batch(job, &mut runner, images);
                    if results.into_iter().any(|result| send.send(result).is_err()) {
                        break;
                    }
                }
                // When stopped early, let the decoders see the halt instead of waiting on a
                // full queue.
                drain(inputs);
            });
        }
        drop(send_result);
        // Hand results on in stimulus order: hold those that arrive early.
        let mut waiting = BTreeMap::new();
        let mut expected = start;
        for (index, result) in results {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&expected) {
                if !take(expected, result) {
                    halt.store(true, Ordering::Relaxed);
                    return;
                }
                expected += 1;
            }
        }
    });
    Ok(())
}

/// The decoders' queue of prepared images (index in the set, network input), shared by the
/// network's threads.
type Prepared = Mutex<mpsc::Receiver<(usize, Result<Vec<f32>>)>>;

/// Empties the decoders' queue so that none of them waits on a full one.
fn drain(inputs: &Prepared) {
    if let Ok(inputs) = inputs.lock() {
        while inputs.recv().is_ok() {}
    }
}

/// Up to `batch` prepared images from the decoders; `None` when they are all taken.
fn next_batch(inputs: &Prepared, batch: usize) -> Option<Vec<(usize, Result<Vec<f32>>)>> {
    let inputs = inputs.lock().ok()?;
    let mut images = Vec::with_capacity(batch);
    while images.len() < batch {
        match inputs.recv() {
            Ok(image) => images.push(image),
            Err(_) => break,
        }
    }
    (!images.is_empty()).then_some(images)
}

/// Runs one batch (the rest of a short last batch is zeros); images that failed to decode
/// keep their error.
fn classify_batch(
    job: &ClassifyJob<'_>,
    runner: &mut Runner,
    images: Vec<(usize, Result<Vec<f32>>)>,
) -> Vec<(usize, Result<[f32; 16]>)> {
    let mut input = Vec::new();
    let mut ready = Vec::new();
    let mut results = Vec::new();
    for (index, image) in images {
        match image {
            Ok(pixels) => {
                if input.is_empty() {
                    input.reserve(pixels.len() * job.network.batch());
                }
                input.extend_from_slice(&pixels);
                ready.push(index);
            }
            Err(e) => results.push((index, Err(e))),
        }
    }
    if ready.is_empty() {
        return results;
    }
    let per_image = input.len() / ready.len();
    input.resize(per_image * job.network.batch(), 0.0);
    match runner.run(input) {
        Ok(outputs) => {
            let classes = outputs.len() / job.network.batch();
            for (slot, index) in ready.into_iter().enumerate() {
                let scores = &outputs[slot * classes..(slot + 1) * classes];
                results.push((
                    index,
                    category_scores(job.preprocess, job.aggregation, scores),
                ));
            }
        }
        Err(e) => results.extend(ready.into_iter().map(|index| (index, Err(e.clone())))),
    }
    results
}

/// How a run spreads over the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSetup {
    /// How each network call runs.
    pub network: RunSetup,
    /// Threads running the network, each on its own batches.
    pub workers: usize,
    /// Threads decoding and preparing images.
    pub decoders: usize,
}

/// The setup for `threads` threads with either engine: one network per thread on one image at
/// a time, the fastest for tract and within the noise of the best for onnxruntime
/// (benches/classify.rs compares them).
pub fn engine_setup(threads: usize, engine: Engine) -> EngineSetup {
    EngineSetup {
        network: RunSetup::single(engine),
        workers: threads.max(1),
        decoders: 1,
    }
}
