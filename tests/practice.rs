//! Practice teaches the task, never shape over texture: its feedback follows the original's rule
//! (the answer is not the shape category), so its images must have no cue conflict. Run
//! through the shapelab binary with simulated participants.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use shapelab::trials::PracticeScore;

/// A practice run of `config` with a simulated `responder`, phases and beeps logged; shapelab's
/// own practice images are drawn into `cache`.
fn practice(config: &Path, cache: &Path, responder: &str) -> Output {
    shapelab()
        .args(["run", config.to_str().expect("utf-8"), "--simulate"])
        .args(["--subject", "s1", "--practice", "--log-phases"])
        .args(["--responder", responder, "--trials", "16"])
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("shapelab runs")
}

/// The `--log-phases` lines of one kind (`phase` or `beep`), and for phases the phase name.
fn logged<'a>(output: &'a str, kind: &str) -> Vec<&'a str> {
    output
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(kind))
        .filter_map(|l| l.split_whitespace().last())
        .collect()
}

/// The score line a practice run prints, read back.
fn score(output: &Output) -> PracticeScore {
    let text = stdout(output);
    text.lines()
        .find_map(PracticeScore::parse)
        .unwrap_or_else(|| panic!("no score line: {text}"))
}

#[test]
fn a_texture_answer_is_never_corrected_in_practice_on_shapelabs_own_images() {
    let (dir, config) = shipped_demo_study();
    let cache = dir.path().join("cache");
    let texture = practice(&config, &cache, "texture");
    assert!(texture.status.success(), "{}", stderr(&texture));
    let out = stdout(&texture);
    let phases = logged(&out, "phase");
    assert_eq!(phases.iter().filter(|p| **p == "response").count(), 16);
    assert!(!phases.contains(&"feedback"), "corrected: {out}");
    assert!(logged(&out, "beep").is_empty(), "a beep: {out}");
    let s = score(&texture);
    assert_eq!((s.correct, s.trials, s.no_answer), (16, 16, 0), "{out}");
    assert!(out.contains("practice completed (no data written)"));
    // The same log shows feedback and beeps when they happen: a participant who never answers
    // is shown the correct box and hears the beep on every trial.
    let silent = practice(&config, &cache, "none");
    let out = stdout(&silent);
    let phases = logged(&out, "phase");
    assert_eq!(phases.iter().filter(|p| **p == "feedback").count(), 16);
    assert_eq!(logged(&out, "beep").len(), 16);
    let s = score(&silent);
    assert_eq!((s.correct, s.trials, s.no_answer), (0, 16, 16));
    assert!(
        out.contains("score       0 of 16 correct (0.00 %), no answer 16 (100.00 %)"),
        "{out}"
    );
}

/// Writes a practice folder of the quick study's kind into `dir`: per category, one image whose
/// shape and texture agree and one cue-conflict image, flipped so that none is a test image.
fn practice_set(dir: &Path) {
    let made = dir.with_extension("src");
    make_stimulus_set(&made, 1);
    for shape in shapelab::categories::ALL {
        for entry in std::fs::read_dir(made.join(shape.name())).expect("folder") {
            let path = entry.expect("entry").path();
            let target = dir.join(shape.name()).join(path.file_name().expect("name"));
            std::fs::create_dir_all(target.parent().expect("folder")).expect("folder");
            let flipped = image::open(&path).expect("png").flipv();
            flipped.save(target).expect("saved");
        }
    }
}

#[test]
fn a_practice_folder_of_cue_conflict_images_is_refused_before_the_first_trial_unless_allowed() {
    let (dir, config) = quick_study("practice:\n  stimuli: practice\n");
    practice_set(&dir.path().join("practice"));
    let cache = dir.path().join("cache");
    let refused = practice(&config, &cache, "texture");
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(&format!(
            "experiment.yaml:13: practice.stimuli: {} has cue-conflict images (16 of 32)",
            dir.path().join("practice").display()
        )),
        "{message}"
    );
    // Listed by their names in the folder: the first ten, then how many more.
    for listed in ["airplane/airplane1-bear1.png", "boat/boat1-bottle1.png"] {
        assert!(message.contains(listed), "{listed}: {message}");
    }
    assert!(message.contains("and 6 more;"), "{message}");
    assert!(message.contains("practice.allow_cue_conflict: true"));
    assert!(logged(&stdout(&refused), "phase").is_empty(), "a trial ran");
    // check refuses it too, with the same line (the launcher's preflight opens the practice
    // set the same way).
    let check = run(&["check", config.to_str().expect("utf-8")]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(stderr(&check), message);

    // Knowingly allowed: the practice runs, and corrects texture answers on the conflicts.
    edit_config(
        &config,
        "practice:\n",
        "practice:\n  allow_cue_conflict: true\n",
    );
    let allowed = practice(&config, &cache, "texture");
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    let out = stdout(&allowed);
    let s = score(&allowed);
    assert!(s.trials == 16 && s.correct < 16, "{out}");
    let corrected = logged(&out, "phase")
        .iter()
        .filter(|p| **p == "feedback")
        .count();
    assert_eq!(corrected, s.trials - s.correct, "{out}");
    // Every session run with that config has it in its record.
    let out_dir = dir.path().join("raw-data");
    run_simulated_session(&config, &out_dir);
    let record = simulated_file(&out_dir, "quick", "s1", 1, "session.json");
    let record = std::fs::read_to_string(&record).expect("record");
    let record: serde_json::Value = serde_json::from_str(&record).expect("json");
    assert_eq!(
        record["config"]["practice"]["allow_cue_conflict"],
        serde_json::Value::Bool(true),
        "{record}"
    );
}

#[test]
fn an_on_screen_practice_reports_its_score_as_the_simulated_one_does() {
    use std::io::{BufRead, BufReader};
    let Some(x) = xvfb() else {
        return;
    };
    let runtime = runtime_dir();
    let (dir, config) = shipped_demo_study();
    let mut app = shapelab_on(&x.display, &runtime)
        .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
        .args(["--practice", "--windowed", "1024x768", "--trials", "4"])
        .arg("--log-phases")
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .spawn()
        .expect("shapelab starts");
    let e = shapelab::config::Experiment::load(&config).expect("valid");
    let grid = shapelab::trials::ResponseGrid::new(&e.response_order, 1024, 768, 129, 10);
    let mut window = String::new();
    let mut out = String::new();
    for line in BufReader::new(app.stdout.take().expect("piped")).lines() {
        let line = line.expect("a line");
        out.push_str(&line);
        out.push('\n');
        let fields: Vec<&str> = line.split_whitespace().collect();
        let ["phase", _, "trial", trial, screen] = fields[..] else {
            continue;
        };
        if window.is_empty() {
            window = shapelab_window(&x.display);
        }
        match (screen, trial) {
            ("start", _) => {
                std::thread::sleep(std::time::Duration::from_millis(300));
                click(&x.display, &window, 20.0, 20.0);
            }
            // Answers on the first two trials (the cat box), none on the last two.
            ("response", "1" | "2") => {
                std::thread::sleep(std::time::Duration::from_millis(400));
                let (cx, cy) = grid.rect(shapelab::categories::Category::Cat).centre();
                click(&x.display, &window, cx, cy);
            }
            _ => {}
        }
    }
    let status = app.wait().expect("shapelab ends");
    assert!(status.success(), "{out}");
    let phases = logged(&out, "phase");
    assert!(phases.contains(&"end"), "{out}");
    let s = out
        .lines()
        .find_map(PracticeScore::parse)
        .unwrap_or_else(|| panic!("no score line: {out}"));
    assert_eq!((s.trials, s.no_answer), (4, 2), "{out}");
    let corrected = phases.iter().filter(|p| **p == "feedback").count();
    assert_eq!(corrected, s.trials - s.correct, "{out}");
    // Practice forces the beep on: every wrong or missing answer sounds it.
    assert_eq!(logged(&out, "beep").len(), s.trials - s.correct, "{out}");
    assert!(
        out.contains("practice completed (no data written)"),
        "{out}"
    );
}
