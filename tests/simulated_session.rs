//! Whole sessions run by `shapelab run --simulate`, checked through the files they leave.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// The session record of the quick study's simulated s1, session 1, as text.
fn record_of_s1(dir: &Path) -> String {
    std::fs::read_to_string(simulated_file(
        &dir.join("raw-data"),
        "quick",
        "s1",
        1,
        "session.json",
    ))
    .expect("record")
}

fn data_file(out: &Path, experiment: &str, subject: &str, session: u32) -> std::path::PathBuf {
    simulated_file(out, experiment, subject, session, "csv")
}

fn simulate(stimuli: &Path, out: &Path, responder: &str) -> std::process::Output {
    let out = out.to_str().expect("utf-8 path");
    let stimuli = stimuli.to_str().expect("utf-8 path");
    run(&[
        "run",
        "experiment.yaml",
        "--simulate",
        "--subject",
        "subject-01",
        "--responder",
        responder,
        "--stimuli",
        stimuli,
        "--out",
        out,
    ])
}

#[test]
fn a_shape_responder_on_the_papers_1280_images_has_shape_bias_exactly_one_and_a_texture_responder_zero(
) {
    let Some(stimuli) = cue_conflict_stimuli() else {
        return;
    };
    for (responder, expected) in [("shape", 1.0), ("texture", 0.0)] {
        let out = tempfile::tempdir().expect("temp dir");
        let output = simulate(&stimuli, out.path(), responder);
        assert!(output.status.success(), "{}", stderr(&output));
        let rows = csv_rows(&data_file(out.path(), "demo-experiment", "subject-01", 1));
        assert_eq!(rows.len(), 1280);
        let (bias, conflicts, shape, texture) = shape_bias(&rows);
        assert_eq!(conflicts, 1200);
        assert_eq!(shape + texture, 1200);
        assert_eq!(bias, expected, "{responder}");
        let trials: Vec<usize> = rows.iter().map(|r| r[2].parse().expect("trial")).collect();
        assert_eq!(trials, (1..=1280).collect::<Vec<_>>());
        // Every stimulus exactly once.
        let mut originals: Vec<&str> = rows
            .iter()
            .map(|r| r[7].rsplit('_').next().expect("name"))
            .collect();
        originals.sort_unstable();
        originals.dedup();
        assert_eq!(originals.len(), 1280);
    }
}

#[test]
fn every_phase_lasts_exactly_its_planned_frames_at_common_refresh_rates() {
    let (dir, config) = quick_study("visual_feedback: 1\n");
    for (hz, session) in [("60", "1"), ("100", "2"), ("120", "3"), ("144", "4")] {
        let output = run(&[
            "run",
            config.to_str().expect("utf-8"),
            "--simulate",
            "--subject",
            "s1",
            "--session",
            session,
            "--hz",
            hz,
            "--responder",
            "random",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let session: u32 = session.parse().expect("a number");
        let timing = simulated_file(
            &dir.path().join("raw-data"),
            "quick",
            "s1",
            session,
            "timing.csv",
        );
        let text = std::fs::read_to_string(timing).expect("timing log");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 32);
        let hz: f64 = hz.parse().expect("number");
        for row in &rows {
            for (i, column) in header.iter().enumerate() {
                if let Some(phase) = column.strip_suffix("_planned") {
                    let frames = header
                        .iter()
                        .position(|c| *c == format!("{phase}_frames"))
                        .expect("column");
                    let late = header
                        .iter()
                        .position(|c| *c == format!("{phase}_late"))
                        .expect("column");
                    assert_eq!(row[i], row[frames], "{phase} at {hz} Hz");
                    assert_eq!(row[late], "0");
                }
            }
            let planned = |phase: &str| {
                let i = header
                    .iter()
                    .position(|c| *c == format!("{phase}_planned"))
                    .expect("column");
                row[i].parse::<f64>().expect("number")
            };
            // ceil(ms * hz / 1000), the original's rounding.
            assert_eq!(planned("stimulus"), (20.0 * hz / 1000.0_f64).ceil());
            assert_eq!(planned("response"), (100.0 * hz / 1000.0_f64).ceil());
        }
    }
}

#[test]
fn an_existing_session_is_never_overwritten_and_the_next_free_one_is_offered() {
    let (dir, config) = quick_study("");
    let config = config.to_str().expect("utf-8");
    let args = [
        "run",
        config,
        "--simulate",
        "--subject",
        "s1",
        "--session",
        "1",
    ];
    assert!(run(&args).status.success());
    let data = data_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let before = std::fs::read(&data).expect("data");
    let second = run(&args);
    assert_eq!(second.status.code(), Some(1));
    let message = stderr(&second);
    assert!(
        message.contains("session 1 of simulated-s1 exists and is never overwritten"),
        "{message}"
    );
    assert!(message.contains("--session 2"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert_eq!(std::fs::read(&data).expect("data"), before);
    // Without --session the next free number is taken.
    let third = run(&["run", config, "--simulate", "--subject", "s1"]);
    assert!(third.status.success(), "{}", stderr(&third));
    assert!(data_file(&dir.path().join("raw-data"), "quick", "s1", 2).exists());
}

#[test]
fn a_practice_run_writes_no_data() {
    let (dir, config) = quick_study("practice:\n  trials: 5\n");
    let output = run(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "s1",
        "--practice",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("trials      5"),
        "{}",
        stdout(&output)
    );
    assert!(!dir.path().join("raw-data").exists());
}

#[test]
fn a_session_killed_with_sigkill_resumes_without_losing_or_repeating_a_trial() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_stimulus_set(&dir.path().join("stimuli"), 2);
    let config = quick_config(dir.path(), &dir.path().join("stimuli"), "");
    let config = config.to_str().expect("utf-8");
    // The reference: the same subject and session, uninterrupted, in another output folder.
    let reference_out = dir.path().join("reference");
    let reference = run(&[
        "run",
        config,
        "--simulate",
        "--subject",
        "s1",
        "--session",
        "1",
        "--responder",
        "random",
        "--out",
        reference_out.to_str().expect("utf-8"),
    ]);
    assert!(reference.status.success(), "{}", stderr(&reference));
    let expected = csv_rows(&data_file(&reference_out, "quick", "s1", 1));
    assert_eq!(expected.len(), 48);

    let mut child = shapelab()
        .args([
            "run",
            config,
            "--simulate",
            "--realtime",
            "--subject",
            "s1",
            "--session",
            "1",
        ])
        .args(["--responder", "random"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("started");
    // Until it completes, the session's file is outside the data folder.
    let partial = simulated_incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let data = data_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let started = Instant::now();
    while csv_rows_if_any(&partial) < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the session did not progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL sent");
    child.wait().expect("reaped");
    assert!(
        !data.exists(),
        "a killed session has no file in the data folder"
    );
    let survived = csv_rows(&partial);
    assert!((5..48).contains(&survived.len()), "{} rows", survived.len());
    let record_file = simulated_file(
        &dir.path().join("raw-data"),
        "quick",
        "s1",
        1,
        "session.json",
    );
    let killed = shapelab::data::record::SessionRecord::read(&record_file).expect("record");
    // The record counted every saved row before the kill (a kill between a row and the
    // record's update loses that one count at most).
    assert!(
        survived.len() - killed.trials_done <= 1,
        "the record says {} trials done, the data file has {}",
        killed.trials_done,
        survived.len()
    );
    assert_eq!(
        survived[..],
        expected[..survived.len()],
        "completed rows differ from the plan"
    );

    let resumed = run(&[
        "run",
        config,
        "--simulate",
        "--subject",
        "s1",
        "--session",
        "1",
        "--resume",
        "--responder",
        "random",
    ]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        !partial.exists(),
        "the completed file moved into the data folder"
    );
    let rows = csv_rows(&data);
    let trials: Vec<String> = rows.iter().map(|r| r[2].clone()).collect();
    let expected_trials: Vec<String> = (1..=48).map(|n| n.to_string()).collect();
    assert_eq!(trials, expected_trials);
    let names = |rows: &[Vec<String>]| rows.iter().map(|r| r[7].clone()).collect::<Vec<_>>();
    assert_eq!(names(&rows), names(&expected));
    // The timing log has one row per trial too, with the same mask seeds as the reference.
    let seeds = |out: &Path| {
        let text = std::fs::read_to_string(simulated_file(out, "quick", "s1", 1, "timing.csv"))
            .expect("timing");
        text.lines()
            .skip(1)
            .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    // A kill between a trial's data row and its timing row loses that one timing row at most.
    let resumed_seeds = seeds(&dir.path().join("raw-data"));
    let reference_seeds = seeds(&reference_out);
    assert!(
        resumed_seeds.len() >= 47,
        "{} timing rows",
        resumed_seeds.len()
    );
    let mut remaining = reference_seeds.iter();
    for line in &resumed_seeds {
        assert!(
            remaining.any(|r| r == line),
            "timing row {line} is not in the reference order"
        );
    }
    let record = record_of_s1(dir.path());
    assert!(record.contains("\"status\": \"completed\""), "{record}");
    assert_eq!(record.matches("\"first_trial\"").count(), 2);
    // Every run is told as it was: the killed one interrupted, with the rows it saved.
    let record = shapelab::data::record::SessionRecord::read(&record_file).expect("record");
    let runs: Vec<(&str, usize, usize)> = record
        .runs
        .iter()
        .map(|r| (r.status.word(), r.first_trial, r.trials_done))
        .collect();
    let n = survived.len();
    assert_eq!(
        runs,
        [("interrupted", 1, n), ("completed", n + 1, 48 - n)],
        "{record:?}"
    );
    assert!(record.runs[0].notes[0].contains("killed or crashed"));
    // Nothing left to resume.
    let again = run(&[
        "run",
        config,
        "--simulate",
        "--subject",
        "s1",
        "--session",
        "1",
        "--resume",
    ]);
    assert!(
        stderr(&again).contains(
            "the session is complete (its file is in the data folder); nothing to resume"
        ),
        "{}",
        stderr(&again)
    );
}

fn csv_rows_if_any(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

#[test]
fn check_prints_the_plan_with_frames_and_degrees() {
    let (_dir, config) = quick_study("refresh_hz: 144\n");
    let output = run(&["check", config.to_str().expect("utf-8"), "--trials", "20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("32 images in category folders, 16 cue-conflict"),
        "{text}"
    );
    assert!(
        text.contains("trials      20 in 3 block(s) of up to 8"),
        "{text}"
    );
    assert!(
        text.contains("stimulus                   20.0       3         20.8"),
        "{text}"
    );
    assert!(text.contains("224 px = 3.25 deg at 107 cm"), "{text}");
}

#[test]
fn a_run_names_its_session_and_data_file_and_an_aborted_run_prints_the_command_that_continues_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("experiment.yaml");
    std::fs::write(
        &config,
        "experiment: quick\nstimuli: stimuli/demo\noutput: raw-data\nnum_trials_per_block: 16\nms_resp_object: 300\n",
    )
    .expect("config");
    let child = shapelab()
        .current_dir(dir.path())
        .args([
            "run",
            "experiment.yaml",
            "--simulate",
            "--realtime",
            "--subject",
            "s1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("started");
    let data = data_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let partial = simulated_incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let started = Instant::now();
    while csv_rows_if_any(&partial) < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ctrl-C: the run ends as an experimenter's abort, with everything saved.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("ended");
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    // Aborted: its rows wait outside the data folder.
    assert!(!data.exists());
    let done = csv_rows(&partial).len();
    assert!(
        printed.starts_with(
            "session 1 of simulated-s1 (a simulated participant, never counted as a person): 48 trials, writing raw-data/_simulated/_incomplete/quick/quick_simulated-s1_session_1.csv (into raw-data/_simulated/quick when complete)\n"
        ),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "session 1 of simulated-s1 aborted: {done} of 48 trials done\n"
        )),
        "{printed}"
    );
    let command = printed
        .lines()
        .find_map(|l| l.strip_prefix("continue    "))
        .expect("the command that continues the session");
    assert!(
        command.ends_with(" run experiment.yaml --subject s1 --session 1 --resume --simulate"),
        "{command}"
    );
    // The printed command works as printed.
    let resumed = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", command])
        .output()
        .expect("sh runs");
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stdout(&resumed).contains(&format!(
        ": {} trials from trial {} (of 48), writing ",
        48 - done,
        done + 1
    )));
    assert!(stdout(&resumed).contains("session 1 of simulated-s1 completed: 48 of 48 trials done"));
    assert_eq!(csv_rows(&data).len(), 48);
    assert!(!partial.exists(), "moved, not copied");
}

#[test]
fn participant_information_is_required_as_the_config_says_and_goes_to_the_record_only() {
    let (dir, config) = quick_study(
        "participant_info:\n  - {name: age, required: true}\n  - {name: consent, required: true, choices: ['yes']}\n",
    );
    let config = config.to_str().expect("utf-8");
    let base = ["run", config, "--simulate", "--subject", "s1"];
    let missing = run(&[&base[..], &["--info", "age=71"]].concat());
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing).trim(),
        format!("error: {config}:12: participant_info: --info: required, but not given: consent")
    );
    let done = run(&[&base[..], &["--info", "age=71", "--info", "consent=yes"]].concat());
    assert!(done.status.success(), "{}", stderr(&done));
    let record = record_of_s1(dir.path());
    let record: serde_json::Value = serde_json::from_str(&record).expect("JSON");
    assert_eq!(record["participant"]["age"], "71");
    assert_eq!(record["participant"]["consent"], "yes");
    let rows = csv_rows(&data_file(&dir.path().join("raw-data"), "quick", "s1", 1));
    assert!(rows
        .iter()
        .all(|r| r.len() == 8 && !r.contains(&"71".to_string())));
}
