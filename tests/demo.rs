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
    let (dir, config) = shipped_demo_study();
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
    let data = simulated_file(
        &dir.path().join("raw-data"),
        "demo-experiment",
        "demo-1",
        1,
        "csv",
    );
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

#[test]
fn init_writes_a_commented_study_named_after_its_folder_that_checks_and_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = dir.path().join("colour-study");
    let study_arg = study.display().to_string();
    let out = run(&["init", &study_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = study.join("experiment.yaml");
    let text = std::fs::read_to_string(&config).expect("written");
    assert!(text.starts_with("# shapelab experiment configuration."));
    let e = shapelab::config::Experiment::load(&config).expect("a valid config");
    assert_eq!(e.config.experiment, "colour-study");
    assert!(study.join("raw-data").is_dir() && study.join("stimuli/README.txt").is_file());
    let config_arg = config.display().to_string();
    // The printed next step works when pasted into a shell, though shapelab is not on PATH.
    let printed = stdout(&out);
    let next = printed
        .lines()
        .find_map(|l| l.strip_prefix("next:    "))
        .and_then(|l| l.split("   then   ").next())
        .expect("init prints the next command");
    assert!(printed.contains("cargo install --path ."), "{printed}");
    let checked = std::process::Command::new("sh")
        .args(["-c", next])
        .output()
        .expect("sh runs");
    assert!(checked.status.success(), "{next}: {}", stderr(&checked));
    assert!(stdout(&checked).contains("(valid)"));
    // With shapelab on PATH, the hint is the plain command.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_shapelab"));
    let on_path = common::shapelab()
        .args(["init", &dir.path().join("second").display().to_string()])
        .env("PATH", bin.parent().expect("the binary's folder"))
        .output()
        .expect("shapelab runs");
    assert!(
        stdout(&on_path).contains("next:    shapelab check "),
        "{}",
        stdout(&on_path)
    );
    let again = run(&["init", &study_arg]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again).trim(),
        format!("error: {config_arg}: exists already; init never overwrites a study")
    );
    assert_eq!(std::fs::read_to_string(&config).expect("kept"), text);
}

#[test]
fn init_writes_the_originals_parameters_and_check_says_which_values_of_a_config_differ() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = dir.path().join("new-study");
    let made = run(&["init", &study.display().to_string()]);
    assert!(made.status.success(), "{}", stderr(&made));
    let config = study.join("experiment.yaml");
    let text = std::fs::read_to_string(&config).expect("written");
    // Every value of the original's table, written with its comment.
    for o in shapelab::original::values() {
        let line = shapelab::original::line_of(&text, o.key)
            .unwrap_or_else(|| panic!("no {} in the template", o.key));
        assert!(line.contains('#'), "{line}");
    }
    let e = shapelab::config::Experiment::load(&config).expect("a valid config");
    assert!(shapelab::original::differences(&e.config).is_empty());
    assert_eq!(e.config.num_trials_per_block, 256);
    let checked = run(&["check", &config.display().to_string()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked)
            .contains("\noriginal    every value the paper's procedure fixes is the original's\n"),
        "{}",
        stdout(&checked)
    );
    // The demo keeps its small blocks and short practice, and check says so.
    let (_demo_dir, demo) = common::shipped_demo_study();
    let checked = run(&["check", &demo.display().to_string()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains(
            "\noriginal    2 value(s) differ from the original's:\n            num_trials_per_block: 16 (the original: 256)\n            practice.trials: 16 (the original: null)\n"
        ),
        "{}",
        stdout(&checked)
    );
}

#[test]
fn check_writes_nothing_and_says_which_icons_it_will_scale() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("experiment.yaml"),
        "experiment: e\nstimuli: stimuli/demo\nicons: icons\n",
    )
    .expect("config");
    std::fs::create_dir(dir.path().join("icons")).expect("folder");
    for (i, category) in shapelab::categories::ALL.iter().enumerate() {
        let size = match i {
            0 => 64,
            1 => 400,
            _ => 129,
        };
        image::RgbImage::from_pixel(size, size, image::Rgb([200, 200, 200]))
            .save(dir.path().join(format!("icons/{category}.png")))
            .expect("icon written");
    }
    let out = common::shapelab()
        .current_dir(dir.path())
        .args(["check", "experiment.yaml"])
        .output()
        .expect("shapelab runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(
        !dir.path().join("stimuli").exists(),
        "check wrote the demo stimuli"
    );
    assert!(printed.contains("(the built-in demo set, written there by the first session)"));
    let (first, second) = (shapelab::categories::ALL[0], shapelab::categories::ALL[1]);
    for line in [
        "icons       icons: all 16, readable; 2 drawn scaled to the 129x129 box".to_string(),
        format!("            icons/{first}.png: is 64x64, drawn scaled to the 129x129 box (box_size)"),
        format!("            icons/{second}.png: is 400x400, drawn scaled to the 129x129 box (box_size)"),
    ] {
        assert!(printed.lines().any(|l| l == line), "{line}\n{printed}");
    }
    // Without icons, check says what the boxes show.
    std::fs::write(dir.path().join("experiment.yaml"), "experiment: e\n").expect("config");
    let plain = common::shapelab()
        .current_dir(dir.path())
        .args(["check", "experiment.yaml"])
        .output()
        .expect("shapelab runs");
    assert!(stdout(&plain).contains("icons       none: the response boxes show category names"));
}
