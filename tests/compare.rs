//! `shapelab compare` on the paper's raw data, checked against numbers computed here from the
//! raw rows with nothing but string splitting.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shapelab::analysis::compare::{compare, HUMANS};
use shapelab::analysis::consistency::{correctness, error_consistency, Pattern};
use shapelab::analysis::metrics::{Bootstrap, Summary};
use shapelab::analysis::observers::{find_csvs, load};
use shapelab::names::{texture_by_last_field, texture_by_seventh_field, texture_category};

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
        error_consistency(&own, &own, 10).expect("shared").kappa,
        Some(1.0)
    );
    // A simulated observer with the same accuracy whose errors are independent.
    let showings: Vec<_> = own.showings().collect();
    let accuracy = showings.iter().filter(|s| s.2).count() as f64 / showings.len() as f64;
    let mut rng = shapelab::rng::Rng::new(99);
    let mut independent = Pattern::default();
    for (condition, image, _) in showings {
        independent.add(condition, image, rng.next_f64() < accuracy);
    }
    let k = error_consistency(&own, &independent, 10)
        .expect("shared")
        .kappa
        .expect("defined");
    assert!(k.abs() < 0.08, "kappa {k}");
}

#[test]
fn the_texture_rules_agree_on_two_field_names_and_the_r_rule_reads_three_field_names() {
    let Some(raw) = raw_data() else {
        return;
    };
    let files = find_csvs(&[raw]).expect("csvs");
    assert_eq!(files.len(), 299);
    let (mut conflict_names, mut third_field_names) = (0, 0);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        for line in text.lines().skip(1) {
            let name = line.rsplit(',').next().expect("imagename");
            let original = name.rsplit('_').next().expect("a field");
            match original.matches('-').count() {
                1 => assert_eq!(
                    texture_by_seventh_field(name),
                    texture_by_last_field(name),
                    "{name} in {}",
                    file.display()
                ),
                // texture-filled-rotated: `airplane1-bicycle2-108.png`; the paper's R code
                // reads the second field, model-vs-human's rule a number.
                2 => {
                    let second: String = original
                        .split('-')
                        .nth(1)
                        .expect("a second field")
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .collect();
                    assert_eq!(texture_by_seventh_field(name), Some(second.clone()));
                    assert_eq!(
                        texture_category(name).map(|c| c.to_string()),
                        Some(second),
                        "{name}"
                    );
                    third_field_names += 1;
                }
                _ => {}
            }
            conflict_names += usize::from(texture_by_last_field(name).is_some());
        }
    }
    assert!(conflict_names > 10_000, "{conflict_names}");
    assert!(third_field_names > 1000, "{third_field_names}");
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

// ---- model-vs-human's datasets and metrics, through `shapelab compare` as a user runs it ----

fn model_vs_human() -> Option<PathBuf> {
    common::shared("model-vs-human/raw-data")
}

/// Runs `shapelab compare` on the paths into a fresh folder (tables only, no intervals).
fn compare_cli(paths: &[&Path], extra: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let mut args: Vec<String> = vec!["compare".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(["--out", "", "--resamples", "0", "--no-figures"].map(String::from));
    args[paths.len() + 2] = out.path().display().to_string();
    args.extend(extra.iter().map(|a| a.to_string()));
    let output = common::shapelab()
        .args(&args)
        .output()
        .expect("shapelab runs");
    (output, out)
}

/// A CSV table `compare` wrote, as rows of named fields.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("a table");
    let header = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// One trial as read by hand: subj, session, trial, condition column, original image, correct.
struct Trial {
    subj: String,
    session: String,
    condition: String,
    image: String,
    correct: bool,
}

fn trials_by_hand(path: &Path) -> Vec<Trial> {
    let text = std::fs::read_to_string(path).expect("readable");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Trial {
                subj: f[0].into(),
                session: f[1].into(),
                condition: f[6].into(),
                image: f[7].splitn(7, '_').nth(6).expect("seven fields").into(),
                correct: f[4] == f[5],
            }
        })
        .collect()
}

/// (observed, kappa) of two sets of trials matched by image, kappa 1 when observed is 1.
fn kappa_by_hand(a: &[&Trial], b: &[&Trial]) -> Option<(f64, f64)> {
    let b: HashMap<&str, bool> = b.iter().map(|t| (t.image.as_str(), t.correct)).collect();
    let pairs: Vec<(bool, bool)> = a
        .iter()
        .filter_map(|t| Some((t.correct, *b.get(t.image.as_str())?)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let p1 = pairs.iter().filter(|p| p.0).count() as f64 / n;
    let p2 = pairs.iter().filter(|p| p.1).count() as f64 / n;
    let observed = pairs.iter().filter(|p| p.0 == p.1).count() as f64 / n;
    let expected = p1 * p2 + (1.0 - p1) * (1.0 - p2);
    let kappa = if observed == 1.0 {
        1.0
    } else {
        (observed - expected) / (1.0 - expected)
    };
    Some((observed, kappa))
}

fn conditions_of(trials: &[Trial]) -> Vec<String> {
    let mut c: Vec<String> = trials.iter().map(|t| t.condition.clone()).collect();
    c.sort();
    c.dedup();
    c
}

fn in_condition<'a>(trials: &'a [Trial], condition: &str) -> Vec<&'a Trial> {
    trials.iter().filter(|t| t.condition == condition).collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn all_90_model_vs_human_files_load_as_published_and_every_condition_label_survives() {
    let Some(raw) = model_vs_human() else {
        return;
    };
    let (output, out) = compare_cli(&[&raw], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(common::stdout(&output).contains("90 files"));
    let mut written: Vec<(String, String)> = table(&out.path().join("per_condition.csv"))
        .into_iter()
        .map(|r| (r["experiment"].clone(), r["condition"].clone()))
        .collect();
    written.sort();
    written.dedup();
    let mut in_files = Vec::new();
    for file in find_csvs(&[raw]).expect("csvs") {
        let dataset = file
            .parent()
            .and_then(Path::file_name)
            .expect("a folder")
            .to_string_lossy()
            .into_owned();
        for condition in conditions_of(&trials_by_hand(&file)) {
            in_files.push((dataset.clone(), condition));
        }
    }
    in_files.sort();
    in_files.dedup();
    assert_eq!(written, in_files);
    for label in [
        "c30", "0.35", "0.00", "cr", "bw", "true", "1-10-10", "inf", "pow",
    ] {
        assert!(written.iter().any(|(_, c)| c == label), "{label}");
    }
}

#[test]
fn a_header_wrong_in_another_way_than_case_is_still_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("colour_subject-01_session_1.csv");
    let header = "subj,Sesion,trial,rt,object_response,category,condition,imagename";
    std::fs::write(&path, format!("{header}\nsubject-01,1,1,0.7,oven,oven,cr,0001_cl_s01_cr_oven_40_n04111531_14126.png\n"))
        .expect("written");
    let (output, _out) = compare_cli(&[&path], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        common::stderr(&output),
        format!(
            "error: {}:1: the header is '{header}', expected 'subj,session,trial,rt,object_response,category,condition,imagename'\n",
            path.display()
        )
    );
}

#[test]
fn error_consistency_is_the_mean_of_per_condition_kappas_not_one_pooled_kappa() {
    let Some(raw) = model_vs_human() else {
        return;
    };
    let dir = raw.join("contrast");
    let (output, out) = compare_cli(&[&dir], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let pairs = table(&out.path().join("error_consistency.csv"));
    let a = trials_by_hand(&dir.join("contrast_subject-01_session_1.csv"));
    let b = trials_by_hand(&dir.join("contrast_subject-02_session_1.csv"));
    let per_condition: Vec<(f64, f64)> = conditions_of(&a)
        .iter()
        .map(|c| kappa_by_hand(&in_condition(&a, c), &in_condition(&b, c)).expect("shared"))
        .collect();
    assert_eq!(per_condition.len(), 8);
    let kappa = mean(&per_condition.iter().map(|p| p.1).collect::<Vec<_>>());
    let observed = mean(&per_condition.iter().map(|p| p.0).collect::<Vec<_>>());
    let pooled = kappa_by_hand(&a.iter().collect::<Vec<_>>(), &b.iter().collect::<Vec<_>>())
        .expect("shared")
        .1;
    let row = pairs
        .iter()
        .find(|r| r["observer_a"] == "subject-01" && r["observer_b"] == "subject-02")
        .expect("the pair");
    let number = |field: &str| row[field].parse::<f64>().expect(field);
    assert!(close(number("kappa"), kappa, 1e-6), "{row:?} vs {kappa}");
    assert!(close(number("observed_consistency"), observed, 1e-6));
    assert_eq!(row["conditions"], "8");
    assert!((kappa - pooled).abs() > 0.01, "{kappa} {pooled}");
}

#[test]
fn one_shared_trial_gives_no_kappa_but_says_too_few_shared_trials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "subj,session,trial,rt,object_response,category,condition,imagename";
    for (subject, response) in [("subject-01", "cat"), ("subject-02", "dog")] {
        std::fs::write(
            dir.path().join(format!("exp_{subject}_session_1.csv")),
            format!("{header}\n{subject},1,1,0.5,{response},cat,0,0001_e_s01_0_cat_00_cat1.png\n"),
        )
        .expect("written");
    }
    let (output, out) = compare_cli(&[dir.path()], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(
        common::stdout(&output).contains(
            "(error consistency between humans: too few shared trials, 10 per condition needed)"
        ),
        "{}",
        common::stdout(&output)
    );
    let pairs = table(&out.path().join("error_consistency.csv"));
    assert_eq!(pairs[0]["kappa"], "");
    assert_eq!(pairs[0]["observed_consistency"], "");
    assert_eq!(
        pairs[0]["note"],
        "too few shared trials (1 in 1 conditions; 10 per condition needed)"
    );
    // Asked for less, the one trial counts.
    let (output, out) = compare_cli(&[dir.path()], &["--min-shared-trials", "1"]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let pairs = table(&out.path().join("error_consistency.csv"));
    assert_eq!(pairs[0]["kappa"], "0.000000");
}

#[test]
fn texture_categories_of_three_field_names_are_read_as_the_papers_r_code_reads_them() {
    let Some(raw) = raw_data() else {
        return;
    };
    let dir = raw.join("texture-filled-rotated-experiment");
    let (output, out) = compare_cli(&[&dir], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(!common::stderr(&output).contains("no category"));
    let summary = table(&out.path().join("summary.csv"));
    let mut checked = 0;
    for file in find_csvs(&[dir]).expect("csvs") {
        let rows = common::csv_rows(&file);
        let (bias, conflicts, _, _) = common::shape_bias(&rows);
        let row = summary
            .iter()
            .find(|r| r["observer"] == rows[0][0])
            .expect("the observer");
        assert!(close(
            row["shape_bias"].parse().expect("a number"),
            bias,
            1e-6
        ));
        assert_eq!(row["conflict_trials"], conflicts.to_string());
        assert!(conflicts > 0);
        checked += 1;
    }
    assert!(checked >= 7, "{checked}");
}

#[test]
fn an_image_name_whose_texture_is_no_category_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "subj,session,trial,rt,object_response,category,condition,imagename";
    std::fs::write(
        dir.path().join("exp_subject-01_session_1.csv"),
        format!("{header}\nsubject-01,1,1,0.5,bird,bird,0,0001_e_s01_0_bird_00_bird3-zebra2.png\nsubject-01,1,2,0.5,bird,bird,0,0002_e_s01_0_bird_00_bird3-clock2.png\n"),
    )
    .expect("written");
    let (output, out) = compare_cli(&[dir.path()], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(
        common::stderr(&output).contains("warning: exp subject-01: the texture in 1 image names is no category (first: '0001_e_s01_0_bird_00_bird3-zebra2.png'); those trials are not counted as cue-conflict trials"),
        "{}",
        common::stderr(&output)
    );
    let summary = table(&out.path().join("summary.csv"));
    assert_eq!(summary[1]["conflict_trials"], "1");
}

/// model-vs-human's benchmark of one dataset computed here from the rows: per observer,
/// [OOD accuracy, accuracy difference, observed consistency, error consistency].
fn benchmark_by_hand(files: &[PathBuf], excluded: &[&str]) -> HashMap<String, [f64; 4]> {
    let trials: Vec<Trial> = files
        .iter()
        .flat_map(|f| trials_by_hand(f))
        .filter(|t| !excluded.contains(&t.condition.as_str()))
        .collect();
    let mut subjects: Vec<String> = trials.iter().map(|t| t.subj.clone()).collect();
    subjects.sort();
    subjects.dedup();
    let of = |s: &str| -> Vec<Trial> {
        trials
            .iter()
            .filter(|t| t.subj == s)
            .map(|t| Trial {
                subj: t.subj.clone(),
                session: t.session.clone(),
                condition: t.condition.clone(),
                image: t.image.clone(),
                correct: t.correct,
            })
            .collect()
    };
    let accuracy = |t: &[&Trial]| t.iter().filter(|t| t.correct).count() as f64 / t.len() as f64;
    let pair = |a: &[Trial], b: &[Trial]| -> [f64; 3] {
        let mut sums = [0.0; 3];
        let conditions = conditions_of(a);
        for c in &conditions {
            let (ta, tb) = (in_condition(a, c), in_condition(b, c));
            let (observed, kappa) = kappa_by_hand(&ta, &tb).expect("shared");
            sums[0] += (accuracy(&ta) - accuracy(&tb)).powi(2);
            sums[1] += observed;
            sums[2] += kappa;
        }
        sums.map(|s| s / conditions.len() as f64)
    };
    let humans: Vec<Vec<Trial>> = subjects
        .iter()
        .filter(|s| s.starts_with("subject-"))
        .map(|s| of(s))
        .collect();
    let mut out = HashMap::new();
    for model in subjects.iter().filter(|s| !s.starts_with("subject-")) {
        let m = of(model);
        let per_human: Vec<[f64; 3]> = humans.iter().map(|h| pair(&m, h)).collect();
        out.insert(
            model.clone(),
            [
                accuracy(&m.iter().collect::<Vec<_>>()),
                mean(&per_human.iter().map(|v| v[0]).collect::<Vec<_>>()),
                mean(&per_human.iter().map(|v| v[1]).collect::<Vec<_>>()),
                mean(&per_human.iter().map(|v| v[2]).collect::<Vec<_>>()),
            ],
        );
    }
    let mut pairs = Vec::new();
    for i in 0..humans.len() {
        for j in i + 1..humans.len() {
            pairs.push(pair(&humans[i], &humans[j]));
        }
    }
    let pooled: Vec<&Trial> = humans.iter().flatten().collect();
    out.insert(
        "humans".into(),
        [
            accuracy(&pooled),
            mean(&pairs.iter().map(|v| v[0]).collect::<Vec<_>>()),
            mean(&pairs.iter().map(|v| v[1]).collect::<Vec<_>>()),
            mean(&pairs.iter().map(|v| v[2]).collect::<Vec<_>>()),
        ],
    );
    out
}

#[test]
fn the_benchmark_averages_over_conditions_then_humans_then_datasets_leaving_out_what_model_vs_human_leaves_out(
) {
    let Some(raw) = model_vs_human() else {
        return;
    };
    let models = tempfile::tempdir().expect("temp dir");
    // model-vs-human's exclusions as the published files spell the labels.
    let datasets: [(&str, &[&str]); 3] = [
        ("uniform-noise", &["0.00", "0.60", "0.90"]),
        ("false-colour", &["true"]),
        ("edge", &[]),
    ];
    let mut paths = Vec::new();
    let mut expected = HashMap::new();
    for (dataset, excluded) in datasets {
        let dir = raw.join(dataset);
        common::toy_model(
            &dir.join(format!("{dataset}_subject-01_session_1.csv")),
            dataset,
            models.path(),
        );
        let mut files = find_csvs(std::slice::from_ref(&dir)).expect("csvs");
        files.push(
            models
                .path()
                .join(format!("{dataset}/{dataset}_toy-net_session_1.csv")),
        );
        expected.insert(dataset, benchmark_by_hand(&files, excluded));
        paths.push(dir);
    }
    paths.push(models.path().to_path_buf());
    let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (output, out) = compare_cli(&paths, &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("benchmark.json")).expect("benchmark.json"),
    )
    .expect("JSON");
    let rows = json["rows"].as_array().expect("rows");
    let got = |dataset: &str, observer: &str| -> [f64; 4] {
        let row = rows
            .iter()
            .find(|r| r["dataset"] == dataset && r["observer"] == observer)
            .unwrap_or_else(|| panic!("{dataset} {observer}"));
        [
            "ood_accuracy",
            "accuracy_difference",
            "observed_consistency",
            "error_consistency",
        ]
        .map(|m| row[m].as_f64().expect(m))
    };
    for observer in ["toy-net", "humans"] {
        let mut over_datasets = [0.0; 4];
        for (dataset, _) in datasets {
            let want = expected[dataset][observer];
            let have = got(dataset, observer);
            for i in 0..4 {
                assert!(
                    close(have[i], want[i], 1e-12),
                    "{dataset} {observer} {i}: {have:?} vs {want:?}"
                );
                over_datasets[i] += want[i] / 3.0;
            }
        }
        let have = got("all", observer);
        for i in 0..4 {
            assert!(
                close(have[i], over_datasets[i], 1e-12),
                "all {observer}: {have:?} vs {over_datasets:?}"
            );
        }
    }
    let csv = table(&out.path().join("benchmark.csv"));
    assert_eq!(csv.len(), rows.len());
    assert!(common::stdout(&output)
        .contains("benchmark (model-vs-human's metrics, mean over 3 datasets with humans)"));
}

#[test]
fn several_sessions_of_one_person_are_pooled_and_repeated_images_matched_session_by_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "subj,session,trial,rt,object_response,category,condition,imagename";
    // subject-01 saw the same 20 images in sessions 2 and 10 (right on the first 12, then on
    // the last 12); subject-02 once (right on the first 12).
    let session = |subject: &str, session: u32, right: &dyn Fn(usize) -> bool| {
        let mut text = format!("{header}\n");
        for i in 0..20 {
            let response = if right(i) { "cat" } else { "dog" };
            text.push_str(&format!(
                "{subject},{session},{},0.5,{response},cat,0,{:04}_e_s01_0_cat_00_cat{i}.png\n",
                i + 1,
                i + 1
            ));
        }
        std::fs::write(
            dir.path()
                .join(format!("exp_{subject}_session_{session}.csv")),
            text,
        )
        .expect("written");
    };
    session("subject-01", 2, &|i| i < 12);
    session("subject-01", 10, &|i| i >= 8);
    session("subject-02", 1, &|i| i < 12);
    let (output, out) = compare_cli(&[dir.path()], &[]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let summary = table(&out.path().join("summary.csv"));
    let s1 = summary
        .iter()
        .find(|r| r["observer"] == "subject-01")
        .expect("subject-01");
    assert_eq!(s1["trials"], "40");
    // Session 2 (shown first, though its file sorts after session 10's) meets subject-02's
    // only session: the same errors, kappa 1; session 10's showings have no partner.
    let pairs = table(&out.path().join("error_consistency.csv"));
    assert_eq!(pairs[0]["trials"], "20");
    assert_eq!(pairs[0]["kappa"], "1.000000");
}

#[test]
fn one_classify_and_one_compare_put_a_new_model_beside_model_vs_humans_people() {
    let (Some(raw), Some(stimuli), Some(model)) = (
        model_vs_human(),
        common::cue_conflict_stimuli(),
        common::shared("models/efficientnet-lite0.onnx"),
    ) else {
        return;
    };
    // Five images of each category (a quicker test than all 1,280).
    let subset = tempfile::tempdir().expect("temp dir");
    for category in shapelab::categories::ALL {
        let from = stimuli.join(category.name());
        let to = subset.path().join(category.name());
        std::fs::create_dir_all(&to).expect("folder");
        let mut images: Vec<PathBuf> = std::fs::read_dir(&from)
            .expect("category folder")
            .map(|e| e.expect("entry").path())
            .collect();
        images.sort();
        for image in images.iter().take(5) {
            std::fs::copy(image, to.join(image.file_name().expect("name"))).expect("copied");
        }
    }
    let models = tempfile::tempdir().expect("temp dir");
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let output = common::run(&[
        "classify",
        "--model",
        &path(&model),
        "--name",
        "efficientnet-lite0",
        "--stimuli",
        &path(subset.path()),
        "--out",
        &path(models.path()),
        "--experiment",
        "cue-conflict",
        "--code",
        "s5n",
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let out = tempfile::tempdir().expect("temp dir");
    let output = common::run(&[
        "compare",
        &path(&raw.join("cue-conflict")),
        &path(models.path()),
        "--out",
        &path(out.path()),
        "--resamples",
        "0",
    ]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let benchmark = table(&out.path().join("benchmark.csv"));
    let row = benchmark
        .iter()
        .find(|r| r["dataset"] == "cue-conflict" && r["observer"] == "efficientnet-lite0")
        .expect("the model beside the people of cue-conflict");
    assert_eq!(row["compared_with"], "10");
    assert!(!row["error_consistency"].is_empty(), "{row:?}");
    let pairs = table(&out.path().join("error_consistency.csv"));
    let with_people = pairs
        .iter()
        .filter(|r| {
            r["observer_b"] == "efficientnet-lite0" || r["observer_a"] == "efficientnet-lite0"
        })
        .filter(|r| r["pair"] == "human-model")
        .inspect(|r| assert_eq!(r["trials"], "80", "{r:?}"))
        .count();
    assert_eq!(with_people, 10);
    for figure in [
        "cue-conflict_shape-bias.svg",
        "cue-conflict_error-consistency.svg",
        "benchmark_error-consistency.svg",
        "benchmark_ood-accuracy_vs_error-consistency.svg",
    ] {
        let svg = std::fs::read_to_string(out.path().join("figures").join(figure)).expect(figure);
        assert!(svg.contains("efficientnet-lite0"), "{figure}");
        assert!(
            svg.contains("humans") || svg.contains("subject-01"),
            "{figure}"
        );
    }
}

#[test]
fn imagenet_preprocessing_leaves_stimuli_already_at_the_input_size_as_they_are() {
    // model-vs-human resizes and centre-crops only images that are not at the model's input
    // size: on 224 x 224 stimuli the imagenet preset must give what no resize at all gives.
    let (Some(stimuli), Some(model)) = (
        common::cue_conflict_stimuli(),
        common::shared("models/efficientnet-lite0.onnx"),
    ) else {
        return;
    };
    let subset = tempfile::tempdir().expect("temp dir");
    for category in ["cat", "dog"] {
        let to = subset.path().join(category);
        std::fs::create_dir_all(&to).expect("folder");
        let mut images: Vec<PathBuf> = std::fs::read_dir(stimuli.join(category))
            .expect("category folder")
            .map(|e| e.expect("entry").path())
            .collect();
        images.sort();
        for image in images.iter().take(3) {
            std::fs::copy(image, to.join(image.file_name().expect("name"))).expect("copied");
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let probabilities = |spec: &str| {
        let out = work.path().join(spec.replace(['/', '=', ','], "_"));
        let csv = out.join("p.csv");
        let output = common::run(&[
            "classify",
            "--model",
            model.to_str().expect("utf-8"),
            "--name",
            "net",
            "--preprocess",
            spec,
            "--stimuli",
            subset.path().to_str().expect("utf-8"),
            "--experiment",
            "subset",
            "--out",
            out.to_str().expect("utf-8"),
            "--probabilities",
            csv.to_str().expect("utf-8"),
        ]);
        assert!(output.status.success(), "{}", common::stderr(&output));
        std::fs::read_to_string(csv).expect("probabilities")
    };
    assert_eq!(probabilities("imagenet"), probabilities("resize=none"));
}

#[test]
fn a_labs_subject_01_beside_the_papers_subject_01_is_another_person_and_compare_says_so() {
    let Some(raw) = raw_data() else {
        return;
    };
    let experiment = "style-transfer-512-nomask-experiment";
    let paper = raw.join(experiment);
    // A lab replicating the paper under the paper's experiment name: a pilot subject-01 of 8
    // trials in session 1, then session 2, and a copy of session 1 under another name.
    let lab = tempfile::tempdir().expect("temp dir");
    let folder = lab.path().join("lab/raw-data").join(experiment);
    std::fs::create_dir_all(&folder).expect("lab folder");
    let papers = paper.join(format!("{experiment}_subject-01_session_1.csv"));
    let text = std::fs::read_to_string(&papers).expect("the paper's subject-01");
    let pilot: String = text.lines().take(9).map(|l| format!("{l}\n")).collect();
    let session_1 = folder.join(format!("{experiment}_subject-01_session_1.csv"));
    std::fs::write(&session_1, &pilot).expect("written");
    let second = pilot.replace("subject-01,1,", "subject-01,2,");
    std::fs::write(
        folder.join(format!("{experiment}_subject-01_session_2.csv")),
        second,
    )
    .expect("written");
    let copy = folder.join(format!("{experiment}_subject-01_session_1_copy.csv"));
    std::fs::write(&copy, &pilot).expect("written");

    let (output, out) = compare_cli(&[&folder, &paper], &[]);
    let console = common::stderr(&output);
    assert!(output.status.success(), "{console}");
    let summary = table(&out.path().join("summary.csv"));
    let trials = |observer: &str| -> Option<String> {
        let row = summary.iter().find(|r| r["observer"] == observer)?;
        Some(row["trials"].clone())
    };
    // The paper's subject-01 keeps its 1,280 trials; the lab's sessions 1 and 2 pool (16);
    // the copy of session 1 is an observer of its own.
    let papers_label = "subject-01 [texture-vs-shape/raw-data]";
    assert_eq!(trials(papers_label).as_deref(), Some("1280"), "{summary:?}");
    assert_eq!(trials("subject-01 [lab/raw-data]").as_deref(), Some("16"));
    assert_eq!(trials("subject-01 [lab/raw-data] #2").as_deref(), Some("8"));
    assert_eq!(trials(HUMANS).as_deref(), Some("12824"), "11 people");
    // The two folders are named in path order, which depends on where the data lives.
    let note = console
        .lines()
        .find(|l| {
            l.starts_with(&format!(
                "note: subject-01 of {experiment} has session 1 in 2 folders, kept apart as different observers: "
            ))
        })
        .unwrap_or_else(|| panic!("no note of the two folders: {console}"));
    let real = |p: &std::path::Path| p.canonicalize().expect("real").display().to_string();
    assert!(
        note.contains(&format!("'subject-01 [lab/raw-data]' is {}", real(&folder))),
        "{note}"
    );
    assert!(
        note.contains(&format!("'{papers_label}' is {}", real(&paper))),
        "{note}"
    );
    assert!(
        console.contains(&format!(
            "note: {} repeats session 1 of subject-01 in {}: kept apart as the observer 'subject-01 [lab/raw-data] #2'",
            copy.display(),
            session_1.display()
        )),
        "{console}"
    );
}
