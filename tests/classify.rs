//! `shapelab classify` with the real EfficientNet-Lite0 on all 1,280 cue-conflict images,
//! against onnxruntime's reference decisions and probabilities; several models on several
//! stimulus sets, resumed and split into shards.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shapelab::analysis::compare::compare;
use shapelab::analysis::metrics::Bootstrap;
use shapelab::analysis::observers::{find_csvs, load};

#[test]
fn efficientnet_lite0_matches_onnxruntime_on_every_cue_conflict_image() {
    let (Some((out, data)), Some(stimuli), Some(model)) = (
        classify_cue_conflict_like_onnxruntime("tract", 1e-4),
        common::cue_conflict_stimuli(),
        common::shared("models/efficientnet-lite0.onnx"),
    ) else {
        return;
    };

    // A rerun finds the file complete and leaves it as it is.
    let before = std::fs::read(&data).expect("readable");
    let again = lite0_on(&stimuli, &model, out.path(), &[]);
    assert!(again.status.success(), "{}", common::stderr(&again));
    assert!(
        common::stdout(&again).contains("0 files written, 1 already complete"),
        "{}",
        common::stdout(&again)
    );
    assert_eq!(std::fs::read(&data).expect("readable"), before);
}

/// The onnxruntime engine (a build with the `onnxruntime` feature, its library found at run
/// time) gives onnxruntime's reference decisions too.
#[cfg(feature = "onnxruntime")]
#[test]
fn efficientnet_lite0_with_the_onnxruntime_engine_matches_onnxruntime_on_every_cue_conflict_image()
{
    // Closer than tract gets (2.6e-6): onnxruntime itself ran.
    classify_cue_conflict_like_onnxruntime("onnxruntime", 1e-6);
}

/// `shapelab classify` of EfficientNet-Lite0 as the paper's cue-conflict experiment into
/// `out`, with extra arguments.
fn lite0_on(stimuli: &Path, model: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let mut args: Vec<String> = [
        "classify",
        "experiment.yaml",
        "--model",
        &path(model),
        "--name",
        "efficientnet-lite0",
        "--stimuli",
        &path(stimuli),
        "--out",
        &path(out),
        "--experiment",
        "style-transfer-512-nomask-experiment",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    common::shapelab()
        .args(&args)
        .output()
        .expect("shapelab runs")
}

/// Classifies the 1,280 cue-conflict images with EfficientNet-Lite0 on `engine` and checks
/// each decision and probability (within `tolerance`) against onnxruntime's reference and the raw-data file against
/// the reference's shape bias; the output folder and the raw-data file.
fn classify_cue_conflict_like_onnxruntime(
    engine: &str,
    tolerance: f64,
) -> Option<(tempfile::TempDir, PathBuf)> {
    let (Some(stimuli), Some(model), Some(reference)) = (
        common::cue_conflict_stimuli(),
        common::shared("models/efficientnet-lite0.onnx"),
        common::shared("models/efficientnet-lite0-reference.csv"),
    ) else {
        return None;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let probabilities = out.path().join("probabilities.csv");
    let output = lite0_on(
        &stimuli,
        &model,
        out.path(),
        &[
            "--code",
            "s5n",
            "--probabilities",
            probabilities.to_str().expect("utf-8"),
            "--engine",
            engine,
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));

    let table = |path: &std::path::Path| -> HashMap<String, (String, Vec<f64>)> {
        let text = std::fs::read_to_string(path).expect("readable");
        text.lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                let p = f[2..]
                    .iter()
                    .map(|v| v.parse().expect("a probability"))
                    .collect();
                (f[0].to_string(), (f[1].to_string(), p))
            })
            .collect()
    };
    let ours = table(&probabilities);
    let theirs = table(&reference);
    assert_eq!(ours.len(), 1280);
    assert_eq!(theirs.len(), 1280);
    let mut worst = 0.0f64;
    for (image, (decision, p)) in &theirs {
        let (our_decision, our_p) = ours
            .get(image)
            .unwrap_or_else(|| panic!("{image} not classified"));
        assert_eq!(our_decision, decision, "{image}");
        for (a, b) in our_p.iter().zip(p) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!(worst < tolerance, "largest probability difference {worst}");

    // The raw-data file is a regular observer for compare, with the reference's shape bias.
    let data = out
        .path()
        .join("style-transfer-512-nomask-experiment-trained-CNNs/style-transfer-512-nomask-experiment_efficientnet-lite0_session-1.csv");
    let rows = common::csv_rows(&data);
    assert_eq!(rows.len(), 1280);
    assert!(rows
        .iter()
        .all(|r| r[0] == "efficientnet-lite0" && r[3] == "NaN"));
    assert!(
        rows[0][7].starts_with("0001_s5n_dnn_0_airplane_00_airplane1-"),
        "{}",
        rows[0][7]
    );
    let (observers, _) = load(std::slice::from_ref(&data), false).expect("loaded");
    let summary = &compare(
        &observers,
        Bootstrap {
            resamples: 0,
            seed: 1,
        },
    )
    .summaries[0];
    assert_eq!(
        (summary.decisions.shape, summary.decisions.texture),
        (197, 622)
    );
    assert_eq!(summary.shape_bias.value, Some(197.0 / 819.0));
    assert_eq!(summary.accuracy.value, Some(0.209375));
    Some((out, data))
}

/// A folder of two copies of EfficientNet-Lite0 (with their sidecars) under other names.
fn two_models(dir: &Path) -> Option<PathBuf> {
    let model = common::shared("models/efficientnet-lite0.onnx")?;
    let sidecar = common::shared("models/efficientnet-lite0.json")?;
    let folder = dir.join("models");
    std::fs::create_dir_all(&folder).expect("folder");
    for name in ["lite0-a", "lite0-b"] {
        std::fs::copy(&model, folder.join(format!("{name}.onnx"))).expect("copied");
        std::fs::copy(&sidecar, folder.join(format!("{name}.json"))).expect("copied");
    }
    Some(folder)
}

/// The paper's edge and filled-silhouette stimuli (160 images each).
fn edges_and_silhouettes() -> Option<[PathBuf; 2]> {
    Some([
        common::shared("texture-vs-shape/stimuli/edges")?,
        common::shared("texture-vs-shape/stimuli/filled-silhouettes")?,
    ])
}

/// `classify` with a folder of models on both sets into `out`, with extra arguments.
fn classify_all(models: &Path, sets: &[PathBuf; 2], out: &Path, extra: &[&str]) -> Command {
    let mut command = common::shapelab();
    command
        .args(["classify", "--model"])
        .arg(models)
        .arg("--stimuli")
        .args(sets)
        .arg("--out")
        .arg(out)
        .args(extra);
    command
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("inside").to_path_buf();
                found.insert(relative, std::fs::read(&path).expect("readable"));
            }
        }
    }
    found
}

#[test]
fn two_models_on_two_sets_land_beside_the_people_and_shards_add_up_to_the_same_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (Some(models), Some(sets), Some(humans)) = (
        two_models(dir.path()),
        edges_and_silhouettes(),
        common::shared("texture-vs-shape/raw-data/edge-experiment"),
    ) else {
        return;
    };

    // One process: four files, named and placed for compare.
    let whole = dir.path().join("whole");
    let output = classify_all(&models, &sets, &whole, &[])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", common::stderr(&output));
    let written = files(&whole);
    let names: Vec<String> = written.keys().map(|p| p.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "edge-experiment-trained-CNNs/edge-experiment_lite0-a_session-1.csv",
            "edge-experiment-trained-CNNs/edge-experiment_lite0-b_session-1.csv",
            "silhouette-filled-experiment-trained-CNNs/silhouette-filled-experiment_lite0-a_session-1.csv",
            "silhouette-filled-experiment-trained-CNNs/silhouette-filled-experiment_lite0-b_session-1.csv",
        ]
    );
    // compare puts the models in the same experiment as the people who saw the edge images,
    // with the accuracy onnxruntime gives (the model's sidecar: 0.35625 on edges).
    let (observers, _) =
        load(&find_csvs(&[whole.clone(), humans]).expect("found"), false).expect("loaded");
    let edge: Vec<_> = observers
        .iter()
        .filter(|o| o.experiment == "edge-experiment")
        .collect();
    assert!(edge.iter().any(|o| o.is_human()));
    let summaries = compare(
        &observers,
        Bootstrap {
            resamples: 0,
            seed: 1,
        },
    )
    .summaries;
    for name in ["lite0-a", "lite0-b"] {
        let model = summaries
            .iter()
            .find(|s| s.experiment == "edge-experiment" && s.observer == name)
            .unwrap_or_else(|| panic!("{name} is not among the edge experiment's observers"));
        assert_eq!(model.accuracy.value, Some(0.35625));
    }

    // Three shards, each its own process with no coordination; the second is killed while
    // it writes and then run again, after a torn last line like a crash leaves.
    let sharded = dir.path().join("sharded");
    for k in [1, 3] {
        let shard = format!("{k}/3");
        let output = classify_all(&models, &sets, &sharded, &["--shard", &shard])
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", common::stderr(&output));
    }
    let mut child = classify_all(&models, &sets, &sharded, &["--shard", "2/3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let started = Instant::now();
    let partial = loop {
        let found = files(&sharded).into_iter().find(|(path, bytes)| {
            written.get(path).is_none_or(|whole| whole != bytes)
                && bytes.iter().filter(|&&b| b == b'\n').count() > 20
        });
        if let Some((path, _)) = found {
            break sharded.join(path);
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "shard 2 wrote nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().expect("killed");
    child.wait().expect("ended");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .expect("open");
    file.write_all(b"lite0-b,1,999,NaN,kni").expect("torn line");
    drop(file);
    assert_ne!(
        files(&sharded),
        written,
        "the killed shard left its part unfinished"
    );
    let output = classify_all(&models, &sets, &sharded, &["--shard", "2/3"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(
        files(&sharded),
        written,
        "the union of the shards differs from one run"
    );

    // Run again, the whole is complete: nothing is written.
    let output = classify_all(&models, &sets, &whole, &[])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(
        common::stdout(&output).contains("0 files written, 4 already complete"),
        "{}",
        common::stdout(&output)
    );
    assert_eq!(files(&whole), written);
}

#[test]
fn a_stimulus_folder_is_named_the_same_alone_or_with_another_and_its_file_resumes_across_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(models) = two_models(dir.path()) else {
        return;
    };
    let cue_conflict = dir.path().join("sets/cue-conflict");
    let other = dir.path().join("sets/other-set");
    common::make_stimulus_set(&cue_conflict, 1);
    common::make_stimulus_set(&other, 1);
    let model = models.join("lite0-a.onnx");
    let file = Path::new("cue-conflict-trained-CNNs/cue-conflict_lite0-a_session-1.csv");
    let classify = |out: &Path, sets: &[&Path]| {
        let mut command = common::shapelab();
        command
            .args(["classify", "--model"])
            .arg(&model)
            .arg("--stimuli")
            .args(sets)
            .arg("--out")
            .arg(out);
        let output = command.output().expect("shapelab runs");
        assert!(output.status.success(), "{}", common::stderr(&output));
        common::stdout(&output)
    };

    let alone = dir.path().join("alone");
    classify(&alone, &[&cue_conflict]);
    let together = dir.path().join("together");
    classify(&together, &[&cue_conflict, &other]);
    let (a, b) = (files(&alone), files(&together));
    assert_eq!(a.keys().collect::<Vec<_>>(), [file], "alone");
    assert_eq!(a.get(file), b.get(file), "the same file by either command");
    assert!(b.contains_key(Path::new(
        "other-set-trained-CNNs/other-set_lite0-a_session-1.csv"
    )));

    // The file written alone is complete for the command naming both sets.
    let printed = classify(&alone, &[&cue_conflict, &other]);
    assert!(printed.contains("1 already complete"), "{printed}");
}

/// A folder of two good models (see [`two_models`]) and a small stimulus set in `dir`.
fn models_and_a_set(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let models = two_models(dir)?;
    let set = dir.join("set");
    common::make_stimulus_set(&set, 1);
    Some((models, set))
}

/// `classify` of `model` (a file or folder) on `set` into `out` with the given engine.
fn classify_with(engine: &str, model: &Path, set: &Path, out: &Path) -> Command {
    let mut command = common::shapelab();
    command
        .args(["classify", "--engine", engine, "--model"])
        .arg(model)
        .arg("--stimuli")
        .arg(set)
        .arg("--out")
        .arg(out);
    command
}

#[test]
fn a_broken_model_among_good_ones_is_refused_before_any_image_is_classified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((models, set)) = models_and_a_set(dir.path()) else {
        return;
    };
    // Last in name order, so it would come after the good models' work.
    std::fs::write(models.join("zz-broken.onnx"), b"not a network").expect("written");
    std::fs::copy(models.join("lite0-a.json"), models.join("zz-broken.json")).expect("copied");
    let engines: &[&str] = if cfg!(feature = "onnxruntime") {
        &["tract", "onnxruntime"]
    } else {
        &["tract"]
    };
    for engine in engines {
        let out = dir.path().join(format!("out-{engine}"));
        let output = classify_with(engine, &models, &set, &out)
            .output()
            .expect("shapelab runs");
        assert!(!output.status.success());
        let err = common::stderr(&output);
        assert!(
            err.contains(&format!(
                "zz-broken.onnx: is not an ONNX model {engine} can read"
            )),
            "{err}"
        );
        assert!(
            !out.exists() || files(&out).is_empty(),
            "files were written"
        );
    }
}

/// `--engine onnxruntime` says what is missing: the build's feature, or the library.
#[test]
fn the_onnxruntime_engine_without_its_feature_or_library_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((models, set)) = models_and_a_set(dir.path()) else {
        return;
    };
    let output = classify_with(
        "onnxruntime",
        &models.join("lite0-a.onnx"),
        &set,
        &dir.path().join("out"),
    )
    .env(
        "SHAPELAB_ONNXRUNTIME",
        dir.path().join("no-such-libonnxruntime.so"),
    )
    .output()
    .expect("shapelab runs");
    assert!(!output.status.success());
    let err = common::stderr(&output);
    let expected = if cfg!(feature = "onnxruntime") {
        "no-such-libonnxruntime.so: no such file"
    } else {
        "--engine onnxruntime: this shapelab was built without it; build it with `cargo install --path . --features onnxruntime`"
    };
    assert!(err.contains(expected), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
