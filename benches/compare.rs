//! Benchmark: `shapelab compare` over all 299 raw-data CSVs of the paper, against a pandas
//! script doing the same shape-bias and accuracy computation, in the same run.
//! Target: at least 20x faster. Run with `cargo bench --bench compare` (needs `pip install pandas`).
//!
//! Then model-vs-human's benchmark on its 90 human files (and a toy model per dataset, as
//! its code needs a model): shapelab's numbers against its own analysis code, and the time of
//! both; and `shapelab compare` with every metric and pair on all 90 + 299 files. Needs a
//! checkout of bethgelab/model-vs-human in `$MODELVSHUMAN_CHECKOUT` and a Python with its
//! analysis dependencies in `$SHAPELAB_PEERS_PYTHON` (`scripts/setup-peers` makes both).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shapelab::analysis::benchmark::benchmark;
use shapelab::analysis::compare::compare;
use shapelab::analysis::metrics::{summarise_observer, Bootstrap};
use shapelab::analysis::observers::{find_csvs, load};

#[path = "../tests/common/mod.rs"]
mod common;

// The allocator the shapelab binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn shared() -> PathBuf {
    std::env::var_os("SHAPELAB_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs {
        // The previous run's results are freed outside the timing, as the pandas peer's are
        // (its process ends after it prints).
        drop(last.take());
        let t = Instant::now();
        last = Some(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, last.expect("at least one run"))
}

fn main() {
    paper_shape_bias();
    model_vs_human_benchmark();
}

fn paper_shape_bias() {
    let raw = shared().join("texture-vs-shape/raw-data");
    if !raw.exists() {
        println!(
            "compare bench: {} is missing (set SHAPELAB_SHARED)",
            raw.display()
        );
        return;
    }
    let no_bootstrap = Bootstrap {
        resamples: 0,
        seed: 1,
    };
    let (ours, observers) = best_of(5, || {
        let files = find_csvs(std::slice::from_ref(&raw)).expect("csvs");
        let (observers, _) = load(&files, false).expect("loaded");
        // As `compare` does it: observers summarised on every core.
        let summaries =
            shapelab::parallel::map(&observers, |o| summarise_observer(o, no_bootstrap));
        (observers, summaries)
    });
    println!(
        "shapelab       shape bias + accuracy of {} observers: {:.3} s (best of 5)",
        observers.1.len(),
        ours
    );
    let (full, _) = best_of(3, || {
        let files = find_csvs(std::slice::from_ref(&raw)).expect("csvs");
        let (observers, _) = load(&files, false).expect("loaded");
        compare(
            &observers,
            Bootstrap {
                resamples: 1000,
                seed: 1,
            },
        )
        .pairs
        .len()
    });
    println!(
        "shapelab       full compare (1000 bootstrap resamples, all pairs, confusion): {full:.3} s"
    );
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/pandas_shape_bias.py");
    let mut times = Vec::new();
    for _ in 0..3 {
        let out = Command::new(peers_python()).arg(&script).arg(&raw).output();
        match out {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                if let Some(t) = text
                    .split_whitespace()
                    .next()
                    .and_then(|t| t.parse::<f64>().ok())
                {
                    times.push(t);
                }
            }
            Ok(o) => {
                println!(
                    "pandas         not measured: {}",
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                );
                return;
            }
            Err(e) => {
                println!("pandas         not measured: {e}");
                return;
            }
        }
    }
    let pandas = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!("pandas         same computation: {pandas:.3} s (best of 3, timed inside Python)");
    let ratio = pandas / ours;
    println!(
        "ratio          shapelab is {ratio:.1}x faster (target >= 20x: {})",
        if ratio >= 20.0 { "met" } else { "MISSED" }
    );
}

/// Runs model-vs-human's own benchmark code (benches/peers/model_vs_human_benchmark.py) on
/// `raw`; returns its seconds and its results.
fn model_vs_human_peer(raw: &Path, out: &Path) -> Option<(f64, serde_json::Value)> {
    let Some(checkout) = std::env::var_os("MODELVSHUMAN_CHECKOUT") else {
        println!("model-vs-human not measured: set MODELVSHUMAN_CHECKOUT (scripts/setup-peers)");
        return None;
    };
    let python = peers_python();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/model_vs_human_benchmark.py");
    let output = Command::new(python)
        .arg(script)
        .arg(checkout)
        .arg(raw)
        .arg(out)
        .output()
        .ok()?;
    if !output.status.success() {
        println!(
            "model-vs-human not measured: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out).ok()?).ok()?;
    Some((json["seconds"].as_f64()?, json["results"].clone()))
}

fn model_vs_human_benchmark() {
    let humans = shared().join("model-vs-human/raw-data");
    let paper = shared().join("texture-vs-shape/raw-data");
    if !humans.exists() {
        println!("model-vs-human bench: {} is missing", humans.display());
        return;
    }
    // model-vs-human's layout with a toy model beside the humans of each dataset.
    let fixture = tempfile::tempdir().expect("temp dir");
    for dataset in std::fs::read_dir(&humans).expect("datasets") {
        let dataset = dataset.expect("entry").path();
        let name = dataset
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let folder = fixture.path().join(&name);
        std::fs::create_dir_all(&folder).expect("folder");
        for file in std::fs::read_dir(&dataset).expect("files") {
            let file = file.expect("entry").path();
            std::os::unix::fs::symlink(&file, folder.join(file.file_name().expect("name")))
                .expect("linked");
        }
        common::toy_model(
            &dataset.join(format!("{name}_subject-01_session_1.csv")),
            &name,
            fixture.path(),
        );
    }
    let (ours, result) = best_of(3, || {
        let files = find_csvs(&[fixture.path().to_path_buf()]).expect("csvs");
        let (observers, _) = load(&files, false).expect("loaded");
        benchmark(&observers, 1, true)
    });
    println!(
        "shapelab       model-vs-human benchmark, 17 datasets (90 human files + a toy model): {ours:.3} s (best of 3)"
    );
    let (full, pairs) = best_of(1, || {
        let files = find_csvs(&[humans.clone(), paper.clone()]).expect("csvs");
        let (observers, _) = load(&files, false).expect("loaded");
        let c = compare(
            &observers,
            Bootstrap {
                resamples: 1000,
                seed: 1,
            },
        );
        (files.len(), c.pairs.len(), c.benchmark.rows.len())
    });
    println!(
        "shapelab       full compare of {} files (every metric, {} pairs, {} benchmark rows, 1000 resamples): {full:.3} s",
        pairs.0, pairs.1, pairs.2
    );
    let json_out = fixture.path().join("model-vs-human.json");
    let Some((theirs, results)) = model_vs_human_peer(fixture.path(), &json_out) else {
        return;
    };
    println!(
        "model-vs-human same benchmark with its own code: {theirs:.3} s (timed inside Python)"
    );
    let mut largest = 0.0f64;
    let mut compared = 0;
    for row in &result.rows {
        let Some(theirs) = results.get(&row.dataset).and_then(|d| d.get(&row.observer)) else {
            println!("model-vs-human has no {} {}", row.dataset, row.observer);
            continue;
        };
        for (name, ours) in [
            ("OOD accuracy", row.ood_accuracy),
            ("accuracy difference", row.accuracy_difference),
            ("observed consistency", row.observed_consistency),
            ("error consistency", row.error_consistency),
        ] {
            let (Some(ours), Some(theirs)) = (ours, theirs[name].as_f64()) else {
                println!("missing: {} {} {name}", row.dataset, row.observer);
                continue;
            };
            largest = largest.max((ours - theirs).abs());
            compared += 1;
        }
    }
    println!(
        "agreement      {compared} numbers, largest difference {largest:.1e} (target <= 1e-6: {})",
        if largest <= 1e-6 { "met" } else { "MISSED" }
    );
    println!("ratio          shapelab is {:.0}x faster", theirs / ours);
}

/// The Python that runs the peers: `SHAPELAB_PEERS_PYTHON` (`scripts/setup-peers` makes one
/// with every peer's packages), else `python3`.
fn peers_python() -> std::ffi::OsString {
    std::env::var_os("SHAPELAB_PEERS_PYTHON").unwrap_or_else(|| "python3".into())
}
