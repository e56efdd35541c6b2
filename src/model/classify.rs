//! Classifying a stimulus set: every core runs the network on its share of images; rows are
//! written in stimulus order as soon as they are ready, so an interrupted run keeps its work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use super::network::{looks_like_probabilities, softmax, Network};
use super::preprocess::Preprocess;
use crate::categories::{aggregate, decision, Aggregation, Category, ALL};
use crate::data::raw::{RawDataWriter, RawRow};
use crate::data::synced::SyncedFile;
use crate::error::{Error, Result};
use crate::names::TrialImageName;
use crate::stimuli::StimulusSet;

/// What to classify and where the results go.
pub struct ClassifyJob<'a> {
    /// The stimuli, in trial order.
    pub set: &'a StimulusSet,
    /// The network.
    pub network: &'a Network,
    /// Its preprocessing.
    pub preprocess: &'a Preprocess,
    /// How 1000 probabilities become 16.
    pub aggregation: Aggregation,
    /// The observer name (`subj`).
    pub name: &'a str,
    /// Experiment code in image names.
    pub code: &'a str,
    /// Condition label.
    pub condition: &'a str,
    /// The raw-data file to create.
    pub data: &'a Path,
    /// An optional CSV of the 16 aggregated probabilities per image.
    pub probabilities: Option<&'a Path>,
    /// Worker threads.
    pub threads: usize,
    /// Set to stop early (Ctrl-C); finished images are kept.
    pub stop: Arc<AtomicBool>,
    /// Called after every image with (done, total).
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
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

/// The path of a model's raw-data file: `<out>/<experiment>-trained-CNNs/<experiment>_<name>_session-1.csv`.
pub fn data_path(out: &Path, experiment: &str, name: &str) -> PathBuf {
    out.join(format!("{experiment}-trained-CNNs"))
        .join(format!("{experiment}_{name}_session-1.csv"))
}

/// Classifies one preprocessed image.
pub fn classify_one(
    network: &Network,
    preprocess: &Preprocess,
    aggregation: Aggregation,
    image: &image::RgbImage,
) -> Result<[f32; 16]> {
    let scores = network.run(preprocess.apply(image))?;
    let logits = preprocess
        .logits
        .unwrap_or_else(|| !looks_like_probabilities(&scores));
    let probabilities = if logits { softmax(&scores) } else { scores };
    aggregate(&probabilities, aggregation)
        .ok_or_else(|| Error::new("the network did not give 1000 classes"))
}

/// Runs the job; returns the images classified (all, unless stopped or failed).
pub fn run(job: &ClassifyJob<'_>) -> Result<Vec<Classified>> {
    if let Some(parent) = job.data.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(parent, "create the output folder", e))?;
    }
    let mut writer = RawDataWriter::create(job.data)?;
    let mut probabilities = match job.probabilities {
        Some(path) => {
            let header = format!("imagename,decision16,{}", ALL.map(|c| c.name()).join(","));
            Some(SyncedFile::create(path, &header)?)
        }
        None => None,
    };
    let stimuli = &job.set.stimuli;
    let next = AtomicUsize::new(0);
    let (send, receive) = mpsc::channel::<(usize, Result<[f32; 16]>)>();
    let mut done = Vec::with_capacity(stimuli.len());
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..job.threads.max(1) {
            let send = send.clone();
            let next = &next;
            scope.spawn(move || loop {
                if job.stop.load(Ordering::Relaxed) {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(stimulus) = stimuli.get(index) else {
                    break;
                };
                let result = crate::stimuli::decode(&stimulus.path).and_then(|image| {
                    classify_one(
                        job.network,
                        job.preprocess,
                        job.aggregation,
                        &image.into_rgb8(),
                    )
                });
                let failed = result.is_err();
                if send.send((index, result)).is_err() || failed {
                    break;
                }
            });
        }
        drop(send);
        // Write in stimulus order: hold results that arrive early.
        let mut waiting: BTreeMap<usize, [f32; 16]> = BTreeMap::new();
        for (index, result) in receive {
            let scores = match result {
                Ok(scores) => scores,
                Err(e) => {
                    job.stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                    continue;
                }
            };
            waiting.insert(index, scores);
            while let Some(scores) = waiting.remove(&done.len()) {
                let index = done.len();
                let classified = Classified {
                    index,
                    scores,
                    decision: decision(&scores),
                };
                if let Err(e) = write(job, &mut writer, probabilities.as_mut(), &classified) {
                    job.stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                    break;
                }
                done.push(classified);
                (job.progress)(done.len(), stimuli.len());
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

fn write(
    job: &ClassifyJob<'_>,
    writer: &mut RawDataWriter,
    probabilities: Option<&mut SyncedFile>,
    c: &Classified,
) -> Result<()> {
    let stimulus = &job.set.stimuli[c.index];
    let imagename = TrialImageName {
        trial: c.index + 1,
        code: job.code.to_string(),
        subject: "dnn".into(),
        condition: job.condition.to_string(),
        category: stimulus.shape.name().to_string(),
        extra: "00".into(),
        original: stimulus.original.clone(),
    };
    writer.append(&RawRow {
        subj: job.name.into(),
        session: "1".into(),
        trial: c.index + 1,
        rt: None,
        object_response: Some(c.decision),
        category: stimulus.shape,
        condition: job.condition.into(),
        imagename: imagename.to_string(),
    })?;
    if let Some(file) = probabilities {
        let relative = format!("{}/{}", stimulus.shape, stimulus.original);
        let scores: Vec<String> = c.scores.iter().map(|s| format!("{s:.9e}")).collect();
        file.append(&format!("{relative},{},{}\n", c.decision, scores.join(",")))?;
    }
    Ok(())
}
