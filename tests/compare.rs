//! `shapelab compare` on the paper's raw data, checked against numbers computed here from the
//! raw rows with nothing but string splitting.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shapelab::analysis::compare::{compare, HUMANS};
use shapelab::analysis::consistency::{correctness, error_consistency};
use shapelab::analysis::metrics::{Bootstrap, Summary};
use shapelab::analysis::observers::{find_csvs, load};
use shapelab::names::{texture_by_last_field, texture_by_seventh_field};

const NO_BOOTSTRAP: Bootstrap = Bootstrap {
    resamples: 0,
    seed: 1,
};

fn raw_data() -> Option<PathBuf> {
    common::shared("texture-vs-shape/raw-data")
}

/// Shape bias of one file, computed independently: texture = last `_` field's part after `-`
/// without digits and extension.
fn shape_bias_by_hand(path: &Path) -> f64 {
    let text = std::fs::read_to_string(path).expect("readable");
    let (mut shape, mut texture) = (0, 0);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let last = f[7].rsplit('_').next().expect("field");
        let Some((_, t)) = last.split_once('-') else {
            continue;
        };
        let t: String = t
            .split('.')
            .next()
            .expect("stem")
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect();
        if t == f[5] {
            continue;
        }
        if f[4] == f[5] {
            shape += 1;
        } else if f[4] == t {
            texture += 1;
        }
    }
    shape as f64 / (shape + texture) as f64
}

fn summaries(dirs: &[PathBuf]) -> Vec<Summary> {
    let files = find_csvs(dirs).expect("csvs");
    let (observers, _) = load(&files, false).expect("loaded");
    compare(&observers, NO_BOOTSTRAP).summaries
}

#[test]
fn every_observer_of_the_cue_conflict_experiment_has_the_shape_bias_computed_from_its_rows() {
    let Some(raw) = raw_data() else {
        return;
    };
    for folder in [
        "style-transfer-512-nomask-experiment",
        "style-transfer-512-nomask-experiment-trained-CNNs",
    ] {
        let dir = raw.join(folder);
        let got = summaries(std::slice::from_ref(&dir));
        let mut checked = 0;
        for file in std::fs::read_dir(&dir).expect("folder") {
            let path = file.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let subj = text
                .lines()
                .nth(1)
                .expect("a row")
                .split(',')
                .next()
                .expect("subj")
                .to_string();
            let s = got
                .iter()
                .find(|s| s.observer == subj)
                .unwrap_or_else(|| panic!("{subj} missing"));
            let expected = shape_bias_by_hand(&path);
            assert!(
                (s.shape_bias.value.expect("a value") - expected).abs() < 1e-12,
                "{subj}: {:?} vs {expected}",
                s.shape_bias
            );
            checked += 1;
        }
        assert_eq!(checked, 13, "{folder}");
    }
}

#[test]
fn the_papers_readme_numbers_hold_vgg16_at_9_2_and_alexnet_at_25_3_percent() {
    let Some(raw) = raw_data() else {
        return;
    };
    let got = summaries(&[raw.join("style-transfer-512-nomask-experiment-trained-CNNs")]);
    let bias = |name: &str| {
        100.0
            * got
                .iter()
                .find(|s| s.observer == name)
                .expect(name)
                .shape_bias
                .value
                .expect("value")
    };
    assert_eq!(format!("{:.1}", bias("vgg16")), "9.2");
    assert_eq!(format!("{:.1}", bias("alexnet")), "25.3");
}

#[test]
fn pooled_humans_are_above_95_percent_shape_bias_and_the_two_alexnets_stay_apart() {
    let Some(raw) = raw_data() else {
        return;
    };
    let got = summaries(&[
        raw.join("style-transfer-512-nomask-experiment"),
        raw.join("style-transfer-512-nomask-experiment-trained-CNNs"),
    ]);
    let humans = got
        .iter()
        .find(|s| s.observer == HUMANS)
        .expect("pooled humans");
    assert!(
        humans.shape_bias.value.expect("value") > 0.95,
        "{:?}",
        humans.shape_bias
    );
    assert_eq!(humans.trials, 10 * 1280);
    // The caffe AlexNet (with the human data) and torchvision's (with the trained CNNs) share
    // subj `alexnet` and session 1: they are two observers, labelled by their folder.
    let alexnets: Vec<&str> = got
        .iter()
        .filter(|s| s.observer.starts_with("alexnet ["))
        .map(|s| s.observer.as_str())
        .collect();
    assert_eq!(
        alexnets,
        vec![
            "alexnet [style-transfer-512-nomask-experiment]",
            "alexnet [trained-CNNs]"
        ]
    );
}

#[test]
fn kappa_is_one_with_itself_and_near_zero_against_independent_errors() {
    let Some(raw) = raw_data() else {
        return;
    };
    let path = raw.join("style-transfer-512-nomask-experiment/style-transfer-512-nomask-experiment_subject-01_session_1.csv");
    let (observers, _) = load(&[path], false).expect("loaded");
    let rows: Vec<_> = observers[0].rows.iter().collect();
    let own = correctness(&rows);
    assert_eq!(
        error_consistency(&own, &own).expect("shared").kappa,
        Some(1.0)
    );
    // A simulated observer with the same accuracy whose errors are independent.
    let accuracy = own.values().filter(|c| **c).count() as f64 / own.len() as f64;
    let mut rng = shapelab::rng::Rng::new(99);
    let independent: HashMap<_, _> = own
        .keys()
        .map(|k| (k.clone(), rng.next_f64() < accuracy))
        .collect();
    let k = error_consistency(&own, &independent)
        .expect("shared")
        .kappa
        .expect("defined");
    assert!(k.abs() < 0.08, "kappa {k}");
}

#[test]
fn both_texture_rules_agree_on_every_imagename_in_the_raw_data() {
    let Some(raw) = raw_data() else {
        return;
    };
    let files = find_csvs(&[raw]).expect("csvs");
    assert_eq!(files.len(), 299);
    let mut conflict_names = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        for line in text.lines().skip(1) {
            let name = line.rsplit(',').next().expect("imagename");
            assert_eq!(
                texture_by_seventh_field(name),
                texture_by_last_field(name),
                "{name} in {}",
                file.display()
            );
            conflict_names += usize::from(texture_by_last_field(name).is_some());
        }
    }
    assert!(conflict_names > 10_000, "{conflict_names}");
}

#[test]
fn compare_over_all_299_files_writes_tables_and_figures() {
    let Some(raw) = raw_data() else {
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let icons =
        common::shared("texture-vs-shape/category-icons").expect("icons beside the raw data");
    let output = common::run(&[
        "compare",
        raw.to_str().expect("utf-8"),
        "--out",
        out.path().to_str().expect("utf-8"),
        "--resamples",
        "100",
        "--icons",
        icons.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let text = common::stdout(&output);
    assert!(text.contains("299 files"), "{text}");
    for table in [
        "summary.csv",
        "summary.json",
        "per_category.csv",
        "per_condition.csv",
        "error_consistency.csv",
        "confusion.csv",
    ] {
        assert!(out.path().join(table).exists(), "{table}");
    }
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).expect("summary");
    assert!(summary
        .lines()
        .next()
        .expect("header")
        .starts_with("experiment,observer,kind,source,trials,shape_bias"));
    // Accuracy per noise level: resnet50 on the noise experiment.
    let conditions =
        std::fs::read_to_string(out.path().join("per_condition.csv")).expect("conditions");
    let noise_levels = conditions
        .lines()
        .filter(|l| l.starts_with("noise-experiment,resnet50,"))
        .count();
    assert_eq!(noise_levels, 8, "{conditions:.300}");
    for figure in ["shape-bias", "error-consistency", "accuracy"] {
        for ext in ["png", "svg"] {
            let path = out.path().join(format!(
                "figures/style-transfer-512-nomask-experiment_{figure}.{ext}"
            ));
            assert!(path.exists(), "{}", path.display());
        }
    }
}
