//! `shapelab classify` with the real EfficientNet-Lite0 on all 1,280 cue-conflict images,
//! against onnxruntime's reference decisions and probabilities.

mod common;

use std::collections::HashMap;

use shapelab::analysis::compare::compare;
use shapelab::analysis::metrics::Bootstrap;
use shapelab::analysis::observers::load;

#[test]
fn efficientnet_lite0_matches_onnxruntime_on_every_cue_conflict_image() {
    let (Some(stimuli), Some(model), Some(reference)) = (
        common::cue_conflict_stimuli(),
        common::shared("models/efficientnet-lite0.onnx"),
        common::shared("models/efficientnet-lite0-reference.csv"),
    ) else {
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let probabilities = out.path().join("probabilities.csv");
    let output = common::run(&[
        "classify",
        "experiment.yaml",
        "--model",
        model.to_str().expect("utf-8"),
        "--name",
        "efficientnet-lite0",
        "--stimuli",
        stimuli.to_str().expect("utf-8"),
        "--out",
        out.path().to_str().expect("utf-8"),
        "--experiment",
        "style-transfer-512-nomask-experiment",
        "--code",
        "s5n",
        "--probabilities",
        probabilities.to_str().expect("utf-8"),
    ]);
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
    assert!(worst < 1e-4, "largest probability difference {worst}");

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
    let (observers, _) = load(&[data], false).expect("loaded");
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

    // Never overwritten: a second run refuses and names the file.
    let again = common::run(&[
        "classify",
        "experiment.yaml",
        "--model",
        model.to_str().expect("utf-8"),
        "--name",
        "efficientnet-lite0",
        "--stimuli",
        stimuli.to_str().expect("utf-8"),
        "--out",
        out.path().to_str().expect("utf-8"),
        "--experiment",
        "style-transfer-512-nomask-experiment",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        common::stderr(&again).contains("cannot create the file"),
        "{}",
        common::stderr(&again)
    );
}
