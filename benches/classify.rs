//! Benchmark: images per second of `shapelab classify` (tract) and of onnxruntime (Python
//! package, intra-op threads = cores, same images, same preprocessing), in the same run, after
//! a profile of where shapelab's time goes. Target: onnxruntime's throughput with the same
//! decisions. Run with `cargo bench --bench classify` (needs `pip install onnxruntime pillow
//! numpy`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use shapelab::categories::Aggregation;
use shapelab::model::classify::{
    category_scores, engine_setup, run, ClassifyJob, EngineSetup, Output,
};
use shapelab::model::network::{Network, RunSetup};
use shapelab::model::preprocess::Preprocess;
use shapelab::model::work::Dataset;
use shapelab::stimuli::StimulusSet;

fn main() {
    let shared = std::env::var_os("SHAPELAB_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let model = shared.join("models/efficientnet-lite0.onnx");
    let reference = shared.join("models/efficientnet-lite0-reference.csv");
    let stimuli = shared.join("texture-vs-shape/stimuli/style-transfer-preprocessed-512");
    if !model.exists() || !stimuli.exists() {
        println!(
            "classify bench: the model or stimuli are missing under {}",
            shared.display()
        );
        return;
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("{threads} cores");
    let preprocess = Preprocess::inception();
    let dataset = Dataset {
        set: StimulusSet::open(&stimuli).expect("stimuli"),
        experiment: "style-transfer-512-nomask-experiment".into(),
        code: "s5n".into(),
    };

    profile(&model, &preprocess, &dataset);

    // The setups the engine can take, on the first 160 images.
    let mut sample = dataset.clone();
    sample.set.stimuli.truncate(160);
    let default = engine_setup(threads);
    let mut setups = vec![default];
    for (workers, tract_threads, batch) in [
        (threads, 1, 1),
        (threads, 1, 4),
        (1, threads, 1),
        (1, threads, 4),
        (1, threads, 16),
    ] {
        let setup = EngineSetup {
            network: RunSetup {
                batch,
                threads: tract_threads,
            },
            workers,
            decoders: 1,
        };
        if !setups.contains(&setup) {
            setups.push(setup);
        }
    }
    for setup in &setups {
        let (rate, _) = classify(&model, &preprocess, &sample, *setup, false);
        println!(
            "setup          {} network threads x {} tract threads, batch {}: {rate:.1} images/s on {} images{}",
            setup.workers,
            setup.network.threads,
            setup.network.batch,
            sample.set.stimuli.len(),
            if *setup == default { " (the default)" } else { "" }
        );
    }

    // All 1,280 images, shapelab with the default setup (as `shapelab classify` runs them) and
    // onnxruntime taking turns, three times each: on a shared machine the load of the moment
    // moves both, so each ratio compares neighbouring runs and the median one is the result.
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/onnxruntime_classify.py");
    let mut ratios = Vec::new();
    for round in 1..=3 {
        let (ours, decisions) = classify(&model, &preprocess, &dataset, default, true);
        println!(
            "shapelab       {ours:.1} images/s on {threads} cores ({} images, writing the CSVs)",
            dataset.set.stimuli.len()
        );
        if round == 1 && reference.exists() {
            let theirs = read_decisions(&reference);
            let same = decisions
                .iter()
                .filter(|(image, d)| theirs.get(*image) == Some(d))
                .count();
            println!(
                "decisions      {same} of {} the same as onnxruntime's reference",
                theirs.len()
            );
        }
        match onnxruntime(&script, &model, &stimuli, threads) {
            Ok(theirs) => {
                println!("onnxruntime    {theirs:.1} images/s on {threads} intra-op threads");
                ratios.push(ours / theirs);
            }
            Err(e) => {
                println!("onnxruntime    not measured: {e}");
                return;
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "ratio          shapelab reaches {median:.2} of onnxruntime's throughput (median of {}; target 1.0: {})",
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        if median >= 1.0 { "met" } else { "MISSED" }
    );
}

/// onnxruntime's images per second from the peer script, or why it could not run.
fn onnxruntime(script: &Path, model: &Path, stimuli: &Path, threads: usize) -> Result<f64, String> {
    let output = Command::new("python3")
        .arg(script)
        .arg(model)
        .arg(stimuli)
        .arg(threads.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string());
    }
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| "the peer printed no rate".to_string())
}

/// Where one image's time goes on one thread: decoding, preparing, the network's operators,
/// and the mapping to 16 categories.
fn profile(model: &Path, preprocess: &Preprocess, dataset: &Dataset) {
    let single = RunSetup {
        batch: 1,
        threads: 1,
    };
    let network = Network::load(model, 224, single).expect("model");
    let mut runner = network.runner().expect("runner");
    let sample: Vec<_> = dataset.set.stimuli.iter().take(64).collect();
    let per_image = |t: Instant| t.elapsed().as_secs_f64() * 1000.0 / sample.len() as f64;
    let t = Instant::now();
    let images: Vec<_> = sample
        .iter()
        .map(|s| shapelab::stimuli::decode(&s.path).expect("png").into_rgb8())
        .collect();
    let decode = per_image(t);
    let t = Instant::now();
    let inputs: Vec<Vec<f32>> = images.iter().map(|i| preprocess.apply(i)).collect();
    let prepare = per_image(t);
    let t = Instant::now();
    let outputs: Vec<Vec<f32>> = inputs
        .iter()
        .map(|x| runner.run(x.clone()).expect("ran"))
        .collect();
    let infer = per_image(t);
    let t = Instant::now();
    for o in &outputs {
        category_scores(preprocess, Aggregation::Mean, o).expect("1000 classes");
    }
    let categories = per_image(t);
    println!(
        "one thread     per image: decode {decode:.2} ms, prepare {prepare:.2} ms, network {infer:.2} ms, 16 categories {categories:.3} ms"
    );
    let table = runner.profile(&inputs[0], 20).expect("profiled");
    let total: f64 = table.iter().map(|o| o.time.as_secs_f64()).sum();
    for op in table
        .iter()
        .filter(|o| o.time.as_secs_f64() > total * 0.005)
    {
        println!(
            "  operator     {:<24} {:>3} nodes {:>7.2} ms {:>5.1} %",
            op.operator,
            op.nodes,
            op.time.as_secs_f64() * 1000.0,
            100.0 * op.time.as_secs_f64() / total
        );
    }
}

/// Images per second of a whole run through `run` (decoding, network, writing the files),
/// and each image's decision by `<category>/<file>`.
fn classify(
    model: &Path,
    preprocess: &Preprocess,
    dataset: &Dataset,
    setup: EngineSetup,
    with_probabilities: bool,
) -> (f64, HashMap<String, String>) {
    let network = Network::load(model, 224, setup.network).expect("model");
    let out = tempfile::tempdir().expect("temp dir");
    let data = out.path().join("bench.csv");
    let probabilities = out.path().join("probabilities.csv");
    let t = Instant::now();
    let (progress, _) = run(&ClassifyJob {
        output: Output {
            dataset,
            condition: "0",
            name: "bench",
            data: &data,
            probabilities: with_probabilities.then_some(probabilities.as_path()),
        },
        network: &network,
        preprocess,
        aggregation: Aggregation::Mean,
        workers: setup.workers,
        decoders: setup.decoders,
        stop: Arc::new(AtomicBool::new(false)),
        progress: &|_| {},
    })
    .expect("classified");
    let rate = progress.done as f64 / t.elapsed().as_secs_f64();
    let decisions = if with_probabilities {
        read_decisions(&probabilities)
    } else {
        HashMap::new()
    };
    (rate, decisions)
}

/// `<category>/<file>` -> decision of a probabilities CSV.
fn read_decisions(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .expect("readable")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            Some((fields.next()?.to_string(), fields.next()?.to_string()))
        })
        .collect()
}
