//! Data that a reviewer can accept: the original's trial sequence, practice kept apart from the
//! test images, simulated participants never counted as people, data folders that hold only
//! raw data, and pre-ordered lab folders whose rows keep each file's own fields. Everything is
//! run through the shapelab binary as a user runs it.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

/// `(phase, onset s, trial)` of every `--log-phases` line.
fn phases(output: &Output) -> Vec<(String, f64, usize)> {
    stdout(output)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let ["phase", onset, "trial", trial, phase] = fields[..] else {
                return None;
            };
            Some((
                phase.to_string(),
                onset.parse().expect("an onset"),
                trial.parse().expect("a trial"),
            ))
        })
        .collect()
}

#[test]
fn a_simulated_session_shows_the_originals_sequence_with_two_fixations_between_stimuli() {
    // The original's durations (the defaults), three trials in blocks of two, at 60 Hz.
    let (_dir, config) = quick_study("");
    let text = std::fs::read_to_string(&config).expect("config");
    let defaults: String = text
        .lines()
        .filter(|l| !l.starts_with("ms_"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("num_trials_per_block: 8", "num_trials_per_block: 2");
    std::fs::write(&config, defaults).expect("config written");
    let output = run_ok(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "subject-01",
        "--trials",
        "3",
        "--log-phases",
    ]);
    let phases = phases(&output);
    // Frames of each phase, from the onset of the next one.
    let frames: Vec<(&str, usize, i64)> = phases
        .windows(2)
        .map(|w| {
            let frames = ((w[1].1 - w[0].1) * 60.0).round() as i64;
            (w[0].0.as_str(), w[0].2, frames)
        })
        .collect();
    let trial = |n: usize| {
        vec![
            ("fixation", n, 18),
            ("stimulus", n, 12),
            ("blank_after_stimulus", n, 1),
            ("mask", n, 12),
            ("blank_after_mask", n, 1),
            ("response", n, 90),
            ("inter_trial", n, 18),
        ]
    };
    // texture_shape_experiment.m: "Click the mouse to start!", a fixation, then each trial's
    // own fixation; after each trial a fixation; after a block the break, a click, a fixation.
    // The simulated participant clicks 0.25 s after a screen appears: 16 frames.
    let mut original = vec![("start", 1, 16), ("block_fixation", 1, 18)];
    original.extend(trial(1));
    original.extend(trial(2));
    original.extend([("break", 3, 16), ("block_fixation", 3, 18)]);
    original.extend(trial(3));
    original.push(("end", 3, 300));
    assert_eq!(frames, original);
    assert_eq!(phases.last().map(|p| p.0.as_str()), Some("done"));
}

/// Decoded pixels of every PNG below `dir`.
fn pixels_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "png") {
                let image = image::open(&path).expect("a PNG").to_rgba8();
                found.push((path, image.into_raw()));
            }
        }
    }
    found
}

/// The practice folder `check` names.
fn practice_folder(check: &Output) -> PathBuf {
    let text = stdout(check);
    let line = text
        .lines()
        .find(|l| l.starts_with("practice "))
        .unwrap_or_else(|| panic!("check names the practice set: {text}"));
    let folder = line
        .split(", in ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_else(|| panic!("{line}"));
    PathBuf::from(folder)
}

#[test]
fn practice_uses_shapelabs_own_images_none_of_which_is_a_test_image() {
    let (dir, config) = shipped_demo_study();
    let config = config.to_str().expect("utf-8");
    let check = run_ok(&["check", config]);
    assert!(
        stdout(&check).contains("practice    208 images shapelab draws itself, in "),
        "{}",
        stdout(&check)
    );
    let practice = pixels_below(&practice_folder(&check));
    assert_eq!(practice.len(), 208);
    // Compared by pixels, not names: no practice image is a demo image, nor one of the paper's.
    // (check writes nothing into the study: the demo set is made here.)
    let demo = dir.path().join("stimuli/demo");
    assert!(!demo.exists());
    run_ok(&["demo-stimuli", demo.to_str().expect("utf-8")]);
    let mut test_images: Vec<PathBuf> = vec![demo];
    test_images.extend(cue_conflict_stimuli());
    for main in test_images {
        let main: HashSet<Vec<u8>> = pixels_below(&main).into_iter().map(|p| p.1).collect();
        assert!(main.len() >= 48);
        for (path, pixels) in &practice {
            assert!(!main.contains(pixels), "{} is a test image", path.display());
        }
    }
    // A practice run on the paper's stimuli takes them too, and writes nothing.
    if let Some(stimuli) = cue_conflict_stimuli() {
        let out = dir.path().join("out");
        let practice = run_ok(&[
            "run",
            config,
            "--simulate",
            "--subject",
            "subject-01",
            "--practice",
            "--stimuli",
            stimuli.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(
            stdout(&practice).contains("trials      16"),
            "{}",
            stdout(&practice)
        );
        assert!(!out.exists(), "practice writes no data");
    }
}

#[test]
fn a_practice_folder_of_its_own_is_named_by_check_and_used() {
    // The quick set has cue-conflict images, which practice refuses unless allowed (see
    // tests/practice.rs); allowed here, where the images shared with the main set are tested.
    let (dir, config) =
        quick_study("practice:\n  stimuli: practice\n  trials: 4\n  allow_cue_conflict: true\n");
    make_stimulus_set(&dir.path().join("practice-src"), 1);
    // Other pictures than the main set's: flipped.
    for entry in walk(&dir.path().join("practice-src")) {
        let flipped = image::open(&entry).expect("png").fliph();
        let relative = entry
            .strip_prefix(dir.path().join("practice-src"))
            .expect("inside");
        let target = dir.path().join("practice").join(relative);
        std::fs::create_dir_all(target.parent().expect("folder")).expect("folder");
        flipped.save(target).expect("saved");
    }
    let config = config.to_str().expect("utf-8");
    let check = run_ok(&["check", config]);
    let line = format!(
        "practice    {} (practice.stimuli; checked to share no image with the main set)",
        dir.path().join("practice").display()
    );
    assert!(stdout(&check).contains(&line), "{}", stdout(&check));
    let practice = run_ok(&["run", config, "--simulate", "--subject", "s1", "--practice"]);
    assert!(stdout(&practice).contains("trials      4"));
    // One image of the main set among them, under another name: refused, naming it.
    let test_image = walk(&dir.path().join("stimuli/dog"))
        .into_iter()
        .min()
        .expect("a dog image");
    std::fs::copy(&test_image, dir.path().join("practice/dog/dog7-cat7.png")).expect("copied");
    let refused = run(&["run", config, "--simulate", "--subject", "s1", "--practice"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("practice.stimuli: shares an image with the main stimulus set")
            && message.contains(&format!(
                "practice/dog/dog7-cat7.png = {}",
                test_image.display()
            )),
        "{message}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    pixels_below(dir).into_iter().map(|p| p.0).collect()
}

#[test]
fn a_data_folder_written_by_killed_and_resumed_sessions_holds_only_raw_data() {
    let (dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let out = dir.path().join("raw-data");
    // Session 1 killed mid-way and resumed; session 2 whole.
    let mut child = shapelab()
        .args(["run", config, "--simulate", "--realtime", "--subject", "s1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("started");
    let data = simulated_incomplete_file(&out, "quick", "s1", 1);
    let started = Instant::now();
    while std::fs::read_to_string(&data).map_or(0, |t| t.lines().count()) < 4 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("killed");
    child.wait().expect("reaped");
    run_ok(&["run", config, "--simulate", "--subject", "s1", "--resume"]);
    run_ok(&["run", config, "--simulate", "--subject", "s1"]);
    let folder = out.join("_simulated/quick");
    let names: Vec<String> = std::fs::read_dir(&folder)
        .expect("data folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".csv")), "{names:?}");
    // Simulated participants are never people for the reference tools either.
    let loaded = load_independently(&folder).expect("loaded");
    assert_eq!(
        (loaded.rows, loaded.subjects, loaded.persons_by_mvh),
        (64, 1, 0)
    );
    assert!(loaded.persons_by_r.is_none_or(|n| n == 0), "{loaded:?}");
    // The records and logs are found where shapelab keeps them.
    for ext in ["session.json", "timing.csv"] {
        for session in [1, 2] {
            assert!(simulated_file(&out, "quick", "s1", session, ext).is_file());
        }
    }
    let record = std::fs::read_to_string(simulated_file(&out, "quick", "s1", 1, "session.json"))
        .expect("record");
    assert_eq!(record.matches("\"first_trial\"").count(), 2, "{record}");
}

#[test]
fn a_simulated_participant_is_never_counted_as_a_person_nor_takes_a_persons_session() {
    let (dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let out = dir.path().join("raw-data");
    let simulated = run_ok(&["run", config, "--simulate", "--subject", "subject-05"]);
    assert!(stdout(&simulated).contains("a simulated participant, never counted as a person"));
    let rows = csv_rows(&simulated_file(&out, "quick", "subject-05", 1, "csv"));
    assert_eq!(rows.len(), 32);
    // The paper's R code counts rows whose subj contains `subject` as a person's,
    // model-vs-human those that start with `subject-`.
    assert!(
        rows.iter().all(|r| r[0] == "simulated-subj-05"),
        "{:?}",
        rows[0]
    );
    assert!(
        rows.iter().all(|r| !r[7].contains("_s05_")),
        "{:?}",
        rows[0]
    );
    // The person's data folder, and so their session 1, are untouched.
    assert!(!out.join("quick").exists());
    // shapelab's compare leaves simulated sessions out of a data folder, and calls them
    // simulated when given them.
    let nothing = run(&["compare", out.to_str().expect("utf-8"), "--no-figures"]);
    assert!(
        stderr(&nothing).contains("no .csv files found"),
        "{}",
        stderr(&nothing)
    );
    let (summary, _) = compare_summary(&out.join("_simulated"), &[]);
    assert!(
        summary.contains("\nquick,simulated-subj-05,simulated,"),
        "{summary}"
    );
    assert!(!summary.contains(",human,"), "{summary}");
}

#[test]
fn without_a_subject_code_run_names_the_next_free_subject_nn() {
    let (_dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let out = run(&["run", config, "--simulate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: --subject: give the participant's code; the next free one is subject-01 (--subject subject-01)"
    );
}

#[test]
fn rows_of_a_pre_ordered_lab_folder_keep_each_files_own_name_and_condition() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("session-1");
    std::fs::create_dir_all(&stimuli).expect("folder");
    // A generalisation experiment's pre-made session: conditions and the two-digit field vary.
    let names = [
        "0001_cr_s01_c30_bird_01_bird1-bird1.png",
        "0002_cr_s01_c100_dog_07_dog3-dog3.png",
        "0003_cr_s01_bw_cat_00_n02123045_1955.png",
        "0004_cr_s01_c05_knife_12_knife2-clock1.png",
    ];
    for name in names {
        image::RgbImage::from_pixel(224, 224, image::Rgb([100, 110, 120]))
            .save(stimuli.join(name))
            .expect("png");
    }
    let config = quick_config(dir.path(), &stimuli, "condition: 0\n");
    run_ok(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "subject-01",
    ]);
    let rows = csv_rows(&simulated_file(
        &dir.path().join("raw-data"),
        "quick",
        "subject-01",
        1,
        "csv",
    ));
    let kept: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[5].as_str(), r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("bird", "c30", names[0]),
            ("dog", "c100", names[1]),
            ("cat", "bw", names[2]),
            ("knife", "c05", names[3]),
        ]
    );
}

/// A quick study whose response window lasts `window_ms`, with extra config lines.
fn study_with_window(window_ms: u32, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, config) = quick_study(extra);
    let text = std::fs::read_to_string(&config).expect("config");
    // A release after the window is still logged during the inter-trial fixation.
    let text = text
        .replace(
            "ms_resp_object: 100",
            &format!("ms_resp_object: {window_ms}"),
        )
        .replace("ms_inter_trial: 20", "ms_inter_trial: 300");
    std::fs::write(&config, text).expect("config written");
    (dir, config)
}

/// The `rt` column and the logged (press, release) of a simulated session.
fn rts_and_clicks(out: &Path) -> Vec<(String, String, String)> {
    let rows = csv_rows(&simulated_file(out, "quick", "s1", 1, "csv"));
    let timing = std::fs::read_to_string(simulated_file(out, "quick", "s1", 1, "timing.csv"))
        .expect("timing log");
    let mut lines = timing.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = |name: &str| header.iter().position(|c| *c == name).expect(name);
    let (press, release) = (at("click_press"), at("click_release"));
    rows.iter()
        .zip(lines)
        .map(|(row, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                row[3].clone(),
                fields[press].to_string(),
                fields[release].to_string(),
            )
        })
        .collect()
}

/// The rt and logged clicks of a simulated 3-trial session whose participant presses at
/// `rt_ms` (and releases 100 ms later), with a 1,500 ms window and extra config lines.
fn simulated_clicks(extra: &str, rt_ms: &str) -> Vec<(String, String, String)> {
    let (dir, config) = study_with_window(1500, extra);
    run_ok(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "s1",
        "--trials",
        "3",
        "--rt-ms",
        rt_ms,
    ]);
    rts_and_clicks(&dir.path().join("raw-data"))
}

#[test]
fn rt_from_release_gives_the_release_or_the_end_of_the_window_while_held() {
    for (rt_ms, expected_rt) in [("600", "0.700000"), ("1450", "1.500000")] {
        for (rt, press, release) in simulated_clicks("rt_from: release\n", rt_ms) {
            assert_eq!(rt, expected_rt, "rt_ms {rt_ms}");
            let press: f64 = press.parse().expect("a press");
            let release: f64 = release.parse().expect("a release");
            assert!((press - rt_ms.parse::<f64>().expect("ms") / 1000.0).abs() < 1e-9);
            assert!((release - press - 0.1).abs() < 1e-9);
        }
    }
    // rt_from: press gives the press.
    for (rt, press, _) in simulated_clicks("rt_from: press\n", "600") {
        assert_eq!((rt.as_str(), press.as_str()), ("0.600000", "0.600000"));
    }
}

#[test]
fn by_default_rt_is_the_last_moment_the_button_was_down_as_the_originals_polling_measured() {
    // The simulated participant holds the button 100 ms over the box: the answer lasts until
    // the release, or until the window's end while still held.
    for (rt_ms, expected_rt) in [("600", "0.700000"), ("1450", "1.500000")] {
        for (rt, press, release) in simulated_clicks("", rt_ms) {
            assert_eq!(rt, expected_rt, "rt_ms {rt_ms}");
            assert!(
                (press.parse::<f64>().expect("a press") * 1000.0
                    - rt_ms.parse::<f64>().expect("ms"))
                .abs()
                    < 1e-6
            );
            assert_ne!(release, "NaN");
        }
    }
}

#[test]
fn a_session_written_by_an_earlier_version_keeps_its_record_and_moves_its_logs_on_resume() {
    let (dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let out = dir.path().join("raw-data");
    run_ok(&["run", config, "--simulate", "--subject", "s1"]);
    // The earlier layout: record and timing log beside the CSV, and the session aborted
    // after 10 trials with its CSV in the data folder.
    let data = simulated_file(&out, "quick", "s1", 1, "csv");
    let folder = data.parent().expect("a folder").to_path_buf();
    for ext in ["session.json", "timing.csv"] {
        let now = simulated_file(&out, "quick", "s1", 1, ext);
        let name = now.file_name().expect("a name");
        std::fs::rename(&now, folder.join(name)).expect("moved back");
    }
    let record = folder.join("quick_simulated-s1_session_1.session.json");
    edit_config(
        &record,
        "\"status\": \"completed\"",
        "\"status\": \"aborted\"",
    );
    let text = std::fs::read_to_string(&data).expect("data");
    let first: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    std::fs::write(&data, first).expect("cut short");
    // compare finds the record beside the CSV, and leaves the unfinished session out unless
    // asked, naming it.
    let left_out = compare_without_figures(&folder);
    assert!(
        stderr(&left_out).contains(&format!(
            "note: left out the unfinished session {}: session 1 of simulated-s1 aborted after",
            data.display()
        )) && stderr(&left_out).contains("an earlier shapelab wrote it into the data folder"),
        "{}",
        stderr(&left_out)
    );
    includes_simulated_s1_when_asked(&folder);
    // --resume moves the logs and the unfinished CSV out of the data folder and completes the
    // session, which then moves its CSV back in.
    let resumed = run_ok(&["run", config, "--simulate", "--subject", "s1", "--resume"]);
    assert!(
        stderr(&resumed)
            .contains("moved quick_simulated-s1_session_1.session.json from the data folder to "),
        "{}",
        stderr(&resumed)
    );
    assert!(
        stderr(&resumed).contains(&format!(
            "moved {} to {} (its record says aborted;",
            data.display(),
            out.join("_simulated/_incomplete/quick").display()
        )),
        "{}",
        stderr(&resumed)
    );
    let names: Vec<String> = std::fs::read_dir(&folder)
        .expect("data folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["quick_simulated-s1_session_1.csv"]);
    assert_eq!(csv_rows(&data).len(), 32);
    assert!(files_in(&out.join("_simulated/_incomplete/quick")).is_empty());
}

/// Starts a simulated session of `subject` in real time and waits until `rows` of its rows
/// are saved (in the folder of incomplete sessions, where a running session writes).
fn running_session(config: &str, out: &Path, subject: &str, rows: usize) -> std::process::Child {
    let child = shapelab()
        .args([
            "run",
            config,
            "--simulate",
            "--realtime",
            "--subject",
            subject,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("started");
    let partial = simulated_incomplete_file(out, "quick", subject, 1);
    let started = Instant::now();
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < rows + 1 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn the_data_folder_holds_completed_sessions_only_and_the_reference_loaders_count_them() {
    let (dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let out = dir.path().join("raw-data");
    let folder = out.join("_simulated/quick");
    let incomplete = out.join("_simulated/_incomplete/quick");
    let name = |subject: &str| format!("quick_simulated-{subject}_session_1.csv");
    // s1 aborted (Ctrl-C), s2 killed with SIGKILL: neither has a file in the data folder.
    let s1 = running_session(config, &out, "s1", 3);
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &s1.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let aborted = s1.wait_with_output().expect("ended");
    assert!(aborted.status.success());
    let mut s2 = running_session(config, &out, "s2", 3);
    s2.kill().expect("SIGKILL sent");
    s2.wait().expect("reaped");
    assert_eq!(files_in(&folder), Vec::<String>::new());
    assert_eq!(files_in(&incomplete), [name("s1"), name("s2")]);
    // s3 completes; s2 is resumed to its end: both files are in the data folder, once.
    run_ok(&["run", config, "--simulate", "--subject", "s3"]);
    run_ok(&["run", config, "--simulate", "--subject", "s2", "--resume"]);
    assert_eq!(files_in(&folder), [name("s2"), name("s3")]);
    assert_eq!(files_in(&incomplete), [name("s1")]);
    assert_eq!(csv_rows(&folder.join(name("s2"))).len(), 32);
    // The reference loaders read the two completed sessions only, as two simulated observers
    // who are nobody's participants (tests/xvfb_session.rs counts people's sessions).
    let loaded = load_independently(&folder).expect("loaded");
    assert_eq!(
        (loaded.rows, loaded.subjects, loaded.persons_by_mvh),
        (64, 2, 0),
        "{loaded:?}"
    );
    assert!(loaded.persons_by_r.is_none_or(|n| n == 0), "{loaded:?}");
    // A completed session is never resumed.
    let again = run(&["run", config, "--simulate", "--subject", "s3", "--resume"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("the session is complete (its file is in the data folder)"),
        "{}",
        stderr(&again)
    );
    // compare leaves the aborted session out, naming it, unless asked.
    let (summary, _) = compare_summary(&out.join("_simulated"), &[]);
    assert!(!summary.contains("simulated-s1"), "{summary}");
    let left_out = compare_without_figures(&folder);
    assert!(
        stderr(&left_out).contains(&format!(
            "note: left out the unfinished session {}: session 1 of simulated-s1 aborted after ",
            incomplete.join(name("s1")).display()
        )),
        "{}",
        stderr(&left_out)
    );
    includes_simulated_s1_when_asked(&folder);
}

/// `compare --include-incomplete` on `folder` includes the unfinished session of simulated-s1.
fn includes_simulated_s1_when_asked(folder: &Path) {
    let (summary, _) = compare_summary(folder, &["--include-incomplete"]);
    assert!(
        summary.contains("\nquick,simulated-s1,simulated,"),
        "{summary}"
    );
}

/// `shapelab compare` on `folder`, tables only, written to a scratch folder.
fn compare_without_figures(folder: &Path) -> Output {
    let tables = tempfile::tempdir().expect("temp dir");
    let out = tables.path().to_str().expect("utf-8");
    run(&[
        "compare",
        folder.to_str().expect("utf-8"),
        "--no-figures",
        "--out",
        out,
    ])
}
