//! The built-in demo experiment: generated stimuli and the shipped experiment.yaml.

mod common;

use std::path::Path;

use common::*;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for folder in std::fs::read_dir(dir).expect("folder") {
        let folder = folder.expect("entry").path();
        for file in std::fs::read_dir(&folder).expect("folder") {
            let path = file.expect("entry").path();
            let name = path
                .strip_prefix(dir)
                .expect("inside")
                .display()
                .to_string();
            out.push((name, std::fs::read(&path).expect("readable")));
        }
    }
    out.sort();
    out
}

#[test]
fn the_demo_stimuli_are_the_same_bytes_on_every_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for d in [&a, &b] {
        let output = run(&["demo-stimuli", d.to_str().expect("utf-8")]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(
            stdout(&output).trim(),
            format!("wrote 48 demo stimuli to {}", d.display())
        );
    }
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 48);
    assert!(fa == fb, "the demo stimuli differ between runs");
}

#[test]
fn the_shipped_demo_experiment_is_made_on_first_use_and_a_shape_responder_has_shape_bias_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("experiment.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("experiment.yaml"),
        &config,
    )
    .expect("copied");
    let output = run(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "demo-1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("making the demo stimuli"),
        "{}",
        stderr(&output)
    );
    let data = dir
        .path()
        .join("raw-data/demo-experiment/demo-experiment_demo-1_session_1.csv");
    let rows = csv_rows(&data);
    assert_eq!(rows.len(), 48);
    let (bias, conflicts, shape, texture) = shape_bias(&rows);
    assert_eq!((conflicts, shape, texture), (32, 32, 0));
    assert_eq!(bias, 1.0);
    assert!(
        stdout(&output).contains("shape bias  1.000"),
        "{}",
        stdout(&output)
    );
}
