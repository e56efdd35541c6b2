//! Benchmark: images per second of whole `shapelab classify` processes (tract, and with the
//! `onnxruntime` feature also onnxruntime's library) and of onnxruntime's Python peer
//! (intra-op threads = cores, same images, same preprocessing), each timed from start to exit
//! in the same run, after a profile of where tract's time goes and the engine setups on a
//! sample. Target: onnxruntime's throughput with the same decisions. Run with `cargo bench
//! --bench classify [--features onnxruntime]` (the peer's Python: `SHAPELAB_PEERS_PYTHON` from
//! `scripts/setup-peers`, else `python3` with onnxruntime, pillow and numpy).

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
use shapelab::model::network::{Engine, Network, RunSetup};
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

    // The setups each engine can take, on the first 160 images.
    let mut sample = dataset.clone();
    sample.set.stimuli.truncate(160);
    for engine in engines() {
        let default = engine_setup(threads, engine);
        let mut setups = vec![default];
        for (workers, engine_threads, batch) in [
            (threads, 1, 1),
            (threads, 1, 4),
            (1, threads, 1),
            (1, threads, 4),
            (1, threads, 16),
        ] {
            let setup = EngineSetup {
                network: RunSetup {
                    engine,
                    batch,
                    threads: engine_threads,
                },
                workers,
                decoders: 1,
            };
            if !setups.contains(&setup) {
                setups.push(setup);
            }
        }
        for setup in &setups {
            let rate = classify(&model, &preprocess, &sample, *setup);
            println!(
                "setup          {engine:?}: {} network threads x {} engine threads, batch {}: {rate:.1} images/s on {} images{}",
                setup.workers,
                setup.network.threads,
                setup.network.batch,
                sample.set.stimuli.len(),
                if *setup == default { " (the default)" } else { "" }
            );
        }
    }

    // All 1,280 images, whole processes timed from start to exit (as a user runs them): the
    // shapelab binary with each engine and onnxruntime's Python peer take turns, three times
    // each; on a shared machine the load of the moment moves all, so each ratio compares
    // neighbouring runs and the median one is the result.
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/onnxruntime_classify.py");
    let mut ratios: Vec<(Engine, f64)> = Vec::new();
    for round in 1..=3 {
        let mut ours = Vec::new();
        for engine in engines() {
            let (seconds, decisions) = whole_shapelab(&model, &stimuli, engine);
            let rate = dataset.set.stimuli.len() as f64 / seconds;
            println!(
                "shapelab       {engine:?}: {rate:.1} images/s whole process ({seconds:.1} s for {} images on {threads} cores, writing the CSVs)",
                dataset.set.stimuli.len()
            );
            if round == 1 && reference.exists() {
                let theirs = read_decisions(&reference);
                let same = decisions
                    .iter()
                    .filter(|(image, d)| theirs.get(*image) == Some(d))
                    .count();
                println!(
                    "decisions      {engine:?}: {same} of {} the same as onnxruntime's reference",
                    theirs.len()
                );
            }
            ours.push((engine, rate));
        }
        match onnxruntime(&script, &model, &stimuli, threads) {
            Ok((seconds, inner)) => {
                let theirs = dataset.set.stimuli.len() as f64 / seconds;
                println!(
                    "onnxruntime    {theirs:.1} images/s whole process ({seconds:.1} s; {inner:.1} images/s inside the script, without start-up) on {threads} intra-op threads"
                );
                ratios.extend(ours.iter().map(|&(engine, rate)| (engine, rate / theirs)));
            }
            Err(e) => {
                println!("onnxruntime    not measured: {e}");
                return;
            }
        }
    }
    for engine in engines() {
        let mut mine: Vec<f64> = ratios
            .iter()
            .filter(|(e, _)| *e == engine)
            .map(|&(_, r)| r)
            .collect();
        mine.sort_by(f64::total_cmp);
        let median = mine[mine.len() / 2];
        println!(
            "ratio          shapelab ({engine:?}) reaches {median:.2} of onnxruntime's throughput, whole process (median of {}; target 1.0: {})",
            mine.iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            if median >= 1.0 { "met" } else { "MISSED" }
        );
    }
}

/// The engines this build has.
fn engines() -> Vec<Engine> {
    if cfg!(feature = "onnxruntime") {
        vec![Engine::Tract, Engine::Onnxruntime]
    } else {
        vec![Engine::Tract]
    }
}

/// Seconds of a whole `shapelab classify` process on the stimuli with `engine`, and each
/// image's decision by `<category>/<file>`.
fn whole_shapelab(model: &Path, stimuli: &Path, engine: Engine) -> (f64, HashMap<String, String>) {
    let out = tempfile::tempdir().expect("temp dir");
    let probabilities = out.path().join("probabilities.csv");
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_shapelab"))
        .args(["classify", "--model"])
        .arg(model)
        .arg("--stimuli")
        .arg(stimuli)
        .arg("--out")
        .arg(out.path())
        .arg("--probabilities")
        .arg(&probabilities)
        .args(["--engine", &format!("{engine:?}").to_lowercase()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("shapelab runs");
    let seconds = t.elapsed().as_secs_f64();
    assert!(status.success(), "shapelab classify failed");
    (seconds, read_decisions(&probabilities))
}

/// Seconds of the whole peer process and the images per second it measured inside itself, or
/// why it could not run.
fn onnxruntime(
    script: &Path,
    model: &Path,
    stimuli: &Path,
    threads: usize,
) -> Result<(f64, f64), String> {
    let t = Instant::now();
    // SHAPELAB_PEERS_PYTHON: the Python of `scripts/setup-peers`, with the peer's packages.
    let python = std::env::var_os("SHAPELAB_PEERS_PYTHON").unwrap_or_else(|| "python3".into());
    let output = Command::new(python)
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
    let seconds = t.elapsed().as_secs_f64();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .map(|inner| (seconds, inner))
        .ok_or_else(|| "the peer printed no rate".to_string())
}

/// Where one image's time goes on one thread: decoding, preparing, the network's operators,
/// and the mapping to 16 categories.
fn profile(model: &Path, preprocess: &Preprocess, dataset: &Dataset) {
    let single = RunSetup::single(Engine::Tract);
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
    if cfg!(feature = "onnxruntime") {
        let network =
            Network::load(model, 224, RunSetup::single(Engine::Onnxruntime)).expect("model");
        let mut runner = network.runner().expect("runner");
        let t = Instant::now();
        for x in &inputs {
            runner.run(x.clone()).expect("ran");
        }
        println!(
            "one thread     per image: network {:.2} ms with onnxruntime",
            per_image(t)
        );
    }
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

/// Images per second of a run through `run` in this process (decoding, network, writing the
/// file).
fn classify(model: &Path, preprocess: &Preprocess, dataset: &Dataset, setup: EngineSetup) -> f64 {
    let network = Network::load(model, 224, setup.network).expect("model");
    let out = tempfile::tempdir().expect("temp dir");
    let data = out.path().join("bench.csv");
    let t = Instant::now();
    let (progress, _) = run(&ClassifyJob {
        output: Output {
            dataset,
            condition: "0",
            name: "bench",
            data: &data,
            probabilities: None,
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
    progress.done as f64 / t.elapsed().as_secs_f64()
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
