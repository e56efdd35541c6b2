//! Benchmark: `shapelab compare` over all 299 raw-data CSVs of the paper, against a pandas
//! script doing the same shape-bias and accuracy computation, in the same run.
//! Target: at least 20x faster. Run with `cargo bench --bench compare` (needs `pip install pandas`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use shapelab::analysis::compare::compare;
use shapelab::analysis::metrics::{summarise_observer, Bootstrap};
use shapelab::analysis::observers::{find_csvs, load};

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
        let out = Command::new("python3").arg(&script).arg(&raw).output();
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
