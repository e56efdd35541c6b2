//! Benchmark: images per second of `shapelab classify` (tract, every core) and of onnxruntime
//! (Python package, same cores, same images, same preprocessing), in the same run.
//! Target: onnxruntime's throughput. Run with `cargo bench --bench classify`
//! (needs `pip install onnxruntime pillow numpy`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use shapelab::categories::Aggregation;
use shapelab::model::classify::{classify_one, run, ClassifyJob};
use shapelab::model::network::Network;
use shapelab::model::preprocess::Preprocess;
use shapelab::stimuli::StimulusSet;

fn main() {
    let shared = std::env::var_os("SHAPELAB_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let model = shared.join("models/efficientnet-lite0.onnx");
    let stimuli = shared.join("texture-vs-shape/stimuli/style-transfer-preprocessed-512");
    if !model.exists() || !stimuli.exists() {
        println!(
            "classify bench: the model or stimuli are missing under {}",
            shared.display()
        );
        return;
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let preprocess = Preprocess::inception();
    let network = Network::load(&model, 224).expect("model");
    let set = StimulusSet::open(&stimuli).expect("stimuli");

    // Where the time goes, on one thread: decoding, preprocessing plus inference.
    let sample: Vec<_> = set.stimuli.iter().take(64).collect();
    let t = Instant::now();
    let images: Vec<_> = sample
        .iter()
        .map(|s| shapelab::stimuli::decode(&s.path).expect("png").into_rgb8())
        .collect();
    let decode_ms = t.elapsed().as_secs_f64() * 1000.0 / images.len() as f64;
    let t = Instant::now();
    for image in &images {
        classify_one(&network, &preprocess, Aggregation::Mean, image).expect("classified");
    }
    let infer_ms = t.elapsed().as_secs_f64() * 1000.0 / images.len() as f64;
    println!("one thread     decode {decode_ms:.2} ms/image, preprocess + inference {infer_ms:.2} ms/image");

    let out = tempfile::tempdir().expect("temp dir");
    let data = out.path().join("bench.csv");
    let t = Instant::now();
    let done = run(&ClassifyJob {
        set: &set,
        network: &network,
        preprocess: &preprocess,
        aggregation: Aggregation::Mean,
        name: "bench",
        code: "s5n",
        condition: "0",
        data: &data,
        probabilities: None,
        threads,
        stop: Arc::new(AtomicBool::new(false)),
        progress: &|_, _| {},
    })
    .expect("classified");
    let ours = done.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "shapelab       {ours:.1} images/s on {threads} threads ({} images, writing the CSV)",
        done.len()
    );

    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/onnxruntime_classify.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&model)
        .arg(&stimuli)
        .arg(threads.to_string())
        .output();
    match output {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let theirs: f64 = text
                .split_whitespace()
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(f64::NAN);
            println!("onnxruntime    {theirs:.1} images/s on {threads} intra-op threads");
            println!(
                "ratio          shapelab reaches {:.2} of onnxruntime's throughput (target 1.0: {})",
                ours / theirs,
                if ours >= theirs { "met" } else { "MISSED" }
            );
        }
        Ok(o) => println!(
            "onnxruntime    not measured: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(e) => println!("onnxruntime    not measured: {e}"),
    }
}
