//! The launcher, driven as an experimenter would through egui's test harness (AccessKit
//! queries, no window): entering a subject and starting the demo with a simulated
//! participant, which runs the real `shapelab run` and produces the session's CSV; and the
//! real launcher window under Xvfb, clicked with xdotool.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::xdotool;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use shapelab::data::raw::read_rows;
use shapelab::launcher::Launcher;

/// The demo experiment in `dir`, with extra config lines.
fn demo_study(dir: &Path, extra: &str) -> PathBuf {
    study(
        dir,
        &format!("experiment: demo-experiment\nstimuli: stimuli/demo\noutput: raw-data\n{extra}"),
    )
}

fn study(dir: &Path, config: &str) -> PathBuf {
    let path = dir.join("experiment.yaml");
    std::fs::write(&path, config).expect("config written");
    path
}

fn harness(config: PathBuf) -> Harness<'static, Launcher> {
    common::sound_output_in_this_process();
    let launcher = Launcher::new(config, PathBuf::from(env!("CARGO_BIN_EXE_shapelab")));
    Harness::builder()
        .with_size([960.0, 820.0])
        .build_ui_state(|ui, launcher: &mut Launcher| launcher.ui(ui), launcher)
}

/// Steps the launcher until `done` holds (work runs in the background meanwhile).
fn step_until(
    h: &mut Harness<'_, Launcher>,
    what: &str,
    done: impl Fn(&Harness<'_, Launcher>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// Clicks the button labelled `label` and lets the launcher act on it and show the result.
fn press(h: &mut Harness<'_, Launcher>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Presses the Compare page's button (the second "Compare": the first is its tab) and waits
/// for the comparison to be shown.
fn compare_and_wait(h: &mut Harness<'_, Launcher>) {
    h.get_all_by_label("Compare")
        .nth(1)
        .expect("the Compare button")
        .click();
    h.step();
    step_until(h, "the comparison", |h| !h.state().compare.busy());
    h.step();
    h.step();
}

fn loaded(h: &Harness<'_, Launcher>) -> bool {
    !h.state()
        .session
        .problems()
        .iter()
        .any(|p| p.starts_with("checking"))
}

#[test]
fn a_simulated_participant_writes_apart_from_people_and_never_takes_a_persons_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(demo_study(dir.path(), "num_trials_per_block: 16\n"));
    step_until(&mut h, "the config check", loaded);
    assert!(
        h.query_by_label("Start").is_some(),
        "the start button is shown"
    );
    assert_eq!(
        h.state().session.subject,
        "subject-01",
        "the next free code the reference analyses count as a person is proposed"
    );
    assert_eq!(
        h.state().session.session,
        "1",
        "the next free session is suggested"
    );
    assert!(h
        .query_by_label_contains("practice: 208 images shapelab draws itself, in ")
        .is_some());
    h.get_by_label("simulated: shape").click();
    h.step();
    assert!(
        h.state().session.problems().is_empty(),
        "{:?}",
        h.state().session.problems()
    );
    h.get_by_label("Start").click();
    h.step();
    step_until(&mut h, "the session's end", |h| {
        h.query_by_label("Session completed").is_some()
            || h.query_by_label("The session did not finish").is_some()
    });
    assert!(h.query_by_label("Session completed").is_some());
    assert!(h
        .query_by_label("100.0 % over 32 cue-conflict trials")
        .is_some());
    let csv = dir.path().join(
        "raw-data/_simulated/demo-experiment/demo-experiment_simulated-subj-01_session_1.csv",
    );
    let rows = read_rows(&csv).expect("the session's CSV");
    assert_eq!(rows.len(), 48);
    assert!(rows.iter().all(|r| r.object_response == Some(r.category)));
    assert!(rows.iter().all(|r| &*r.subj == "simulated-subj-01"));
    assert!(
        !dir.path().join("raw-data/demo-experiment").exists(),
        "nothing in the experiment's data folder"
    );
    h.get_by_label("Back to the launcher").click();
    h.step();
    h.step();
    assert_eq!(
        (
            h.state().session.subject.as_str(),
            h.state().session.session.as_str()
        ),
        ("subject-01", "1"),
        "the person's session 1 is still free"
    );
}

#[test]
fn a_broken_config_is_shown_in_the_launcher_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = study(dir.path(), "experiment: x\nms_stim: fast\n");
    let mut h = harness(config.clone());
    step_until(&mut h, "the config check", loaded);
    let message = format!(
        "{}:2: ms_stim: expected a number of milliseconds (e.g. 200), got \"fast\"",
        config.display()
    );
    assert_eq!(h.state().session.problems(), vec![message.clone()]);
    assert!(h.query_by_label(&message).is_some(), "shown on the page");
    assert!(h.get_by_label("Start").accesskit_node().is_disabled());
}

#[test]
fn a_taken_session_number_cannot_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = study(
        dir.path(),
        "experiment: e\nstimuli: stimuli/demo\noutput: raw-data\n",
    );
    let data = dir.path().join("raw-data/e");
    std::fs::create_dir_all(&data).expect("folder");
    std::fs::write(data.join("e_s-01_session_1.csv"), "x").expect("an earlier session");
    let mut h = harness(config);
    step_until(&mut h, "the config check", loaded);
    let form = &mut h.state_mut().session;
    form.subject = "s-01".into();
    form.session = "1".into();
    let problems = h.state().session.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("session 1 of s-01 already has data"));
    h.step();
    assert!(
        h.query_by_label_contains("does not start with 'subject-'")
            .is_some(),
        "a code the reference analyses would count as a model is pointed out"
    );
}

/// A program that starts `shapelab`, paced in real time unless it resumes (so that a test can
/// stop it mid-session), after writing its process id into `pid` for the test to signal.
fn paced_shapelab(dir: &Path) -> PathBuf {
    let script = dir.join("paced-shapelab");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > '{}'\ncase \"$*\" in *--resume*) ;; *) set -- \"$@\" --realtime ;; esac\nexec '{}' \"$@\"\n",
            dir.join("pid").display(),
            env!("CARGO_BIN_EXE_shapelab")
        ),
    )
    .expect("script written");
    let chmod = std::process::Command::new("chmod")
        .args(["+x", &script.display().to_string()])
        .status()
        .expect("chmod runs");
    assert!(chmod.success());
    script
}

/// Starts the demo with a simulated shape responder through `program`, waits for `rows`
/// saved trials, and sends the session process `signal`; returns the rows saved then.
fn stop_a_session(h: &mut Harness<'_, Launcher>, dir: &Path, rows: usize, signal: &str) -> usize {
    step_until(h, "the config check", loaded);
    h.get_by_label("simulated: shape").click();
    h.step();
    h.get_by_label("Start").click();
    h.step();
    let csv = dir.join(
        "raw-data/_simulated/_incomplete/demo-experiment/demo-experiment_simulated-subj-01_session_1.csv",
    );
    let saved = || std::fs::read_to_string(&csv).map_or(0, |t| t.lines().count().saturating_sub(1));
    step_until(h, "rows saved", |_| saved() >= rows);
    let pid = std::fs::read_to_string(dir.join("pid")).expect("the session's pid");
    let killed = std::process::Command::new("kill")
        .args([signal, pid.trim()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    step_until(h, "the session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    saved()
}

fn launcher_on(dir: &Path, program: PathBuf) -> Harness<'static, Launcher> {
    common::sound_output_in_this_process();
    let launcher = Launcher::new(demo_study(dir, "num_trials_per_block: 16\n"), program);
    Harness::builder()
        .with_size([960.0, 820.0])
        .build_ui_state(|ui, launcher: &mut Launcher| launcher.ui(ui), launcher)
}

#[test]
fn an_aborted_session_is_shown_as_aborted_with_its_trials_and_can_be_resumed_to_the_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = launcher_on(dir.path(), paced_shapelab(dir.path()));
    // Ctrl-C ends a simulated session as Escape then Y ends an on-screen one.
    let done = stop_a_session(&mut h, dir.path(), 2, "-INT");
    assert!(
        h.query_by_label("Session aborted").is_some(),
        "not shown as finished"
    );
    assert!(h.query_by_label(&format!("{done} of 48 done")).is_some());
    h.get_by_label("Back to the launcher").click();
    h.step();
    h.step();
    let offer = format!(
        "Session 1 of subject-01 is unfinished: aborted after {done} of 48 trials; resuming \
         shows trial {} next, after the start screen.",
        done + 1
    );
    assert!(h.query_by_label(&offer).is_some(), "{offer}");
    h.get_by_label("Resume session 1").click();
    h.step();
    step_until(&mut h, "the resumed session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    assert!(h.query_by_label("Session completed").is_some());
    assert!(h.query_by_label("48 of 48 done").is_some());
    let record = dir.path().join(
        "raw-data/_simulated/_logs/demo-experiment/demo-experiment_simulated-subj-01_session_1.session.json",
    );
    let record = shapelab::data::record::SessionRecord::read(&record).expect("the record");
    let runs: Vec<(String, usize)> = record
        .runs
        .iter()
        .map(|r| (r.status.word().to_string(), r.trials_done))
        .collect();
    assert_eq!(
        runs,
        [
            ("aborted".to_string(), done),
            ("completed".to_string(), 48 - done)
        ]
    );
}

#[test]
fn a_session_killed_from_outside_shows_the_signal_what_was_saved_and_how_to_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = launcher_on(dir.path(), paced_shapelab(dir.path()));
    let done = stop_a_session(&mut h, dir.path(), 2, "-KILL");
    assert!(h.query_by_label("The session did not finish").is_some());
    let how = h
        .query_by_label_contains("the session process was killed")
        .expect("how the session ended is shown");
    assert_eq!(
        how.accesskit_node().value().unwrap_or_default(),
        "the session process was killed from outside (signal 9, SIGKILL); it printed no error"
    );
    let saved_line = format!("{done} of 48 trials saved in ");
    let saved = h
        .query_by_label_contains(&saved_line)
        .expect("what was saved is shown");
    let text = saved.accesskit_node().value().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "Resume it from the session page (trial {} comes next), or: ",
            done + 1
        )) && text.ends_with("--session 1 --resume --simulate --responder shape"),
        "{text}"
    );
    h.get_by_label("Back to the launcher").click();
    h.step();
    h.step();
    assert!(h
        .query_by_label_contains(&format!(
            "is unfinished: interrupted after {done} of 48 trials"
        ))
        .is_some());
}

#[test]
fn a_pilot_can_limit_the_trials_and_size_the_window() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = launcher_on(dir.path(), PathBuf::from(env!("CARGO_BIN_EXE_shapelab")));
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("In a window (pilot)").click();
    h.step();
    let form = &mut h.state_mut().session;
    form.window_size = "800x60".into();
    form.trial_limit = "0".into();
    let problems = h.state().session.problems();
    assert_eq!(
        problems,
        [
            "trials: '0' is not a number of trials (1 or more; empty for all)",
            "window size: '800x60' is not a size like 1024x768 (100 to 16384 pixels a side)"
        ]
    );
    let form = &mut h.state_mut().session;
    form.window_size = "800x600".into();
    form.trial_limit = "3".into();
    assert!(h.state().session.problems().is_empty());
    let args = h.state().session.run_arguments();
    assert!(args.windows(2).any(|w| w == ["--trials", "3"]), "{args:?}");
    assert!(
        args.windows(2).any(|w| w == ["--windowed", "800x600"]),
        "{args:?}"
    );
    h.step();
    assert!(h
        .query_by_label_contains("trials: 3 in 1 block(s)")
        .is_some());
    // A simulated pilot of 3 trials runs them and no more.
    h.get_by_label("simulated: shape").click();
    h.step();
    h.get_by_label("Start").click();
    h.step();
    step_until(&mut h, "the session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    assert!(h.query_by_label("Session completed").is_some());
    assert!(h.query_by_label("3 of 3 done").is_some());
}

#[test]
fn participant_information_is_asked_as_the_config_defines_it_and_kept_out_of_the_raw_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = demo_study(
        dir.path(),
        "participant_info:\n  - {name: age, required: true}\n  - {name: handedness, choices: [left, right]}\n",
    );
    let mut h = harness(config);
    step_until(&mut h, "the config check", loaded);
    h.step();
    assert!(
        h.query_by_label("age *").is_some(),
        "a required field is marked"
    );
    assert!(h.query_by_label("right").is_some(), "choices are offered");
    assert_eq!(
        h.state().session.problems(),
        ["participant: required, but not given: age"]
    );
    assert!(h.get_by_label("Start").accesskit_node().is_disabled());
    h.get_by_label("left").click();
    h.step();
    h.state_mut().session.info.insert("age".into(), "77".into());
    h.get_by_label("simulated: shape").click();
    h.step();
    assert!(h.state().session.problems().is_empty());
    h.get_by_label("Start").click();
    h.step();
    step_until(&mut h, "the session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    assert!(h.query_by_label("Session completed").is_some());
    let record = dir.path().join(
        "raw-data/_simulated/_logs/demo-experiment/demo-experiment_simulated-subj-01_session_1.session.json",
    );
    let record = shapelab::data::record::SessionRecord::read(&record).expect("the record");
    assert_eq!(
        record.participant.into_iter().collect::<Vec<_>>(),
        [
            ("age".to_string(), "77".to_string()),
            ("handedness".to_string(), "left".to_string())
        ]
    );
    let csv = std::fs::read_to_string(dir.path().join(
        "raw-data/_simulated/demo-experiment/demo-experiment_simulated-subj-01_session_1.csv",
    ))
    .expect("the CSV");
    assert!(csv.starts_with("subj,session,trial,rt,object_response,category,condition,imagename\n"));
    // Eight columns, none of them an answer about the participant.
    for line in csv.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 8, "{line}");
        assert!(!fields.iter().any(|f| *f == "77" || *f == "left"), "{line}");
    }
}

/// `<dir>/study` with a config whose stimulus folder is missing and demo images in
/// `study/pictures`; the study folder and its config.
fn study_whose_pictures_are_elsewhere(dir: &Path) -> (PathBuf, PathBuf) {
    let study = dir.join("study");
    std::fs::create_dir(&study).expect("study folder");
    let config = study.join("experiment.yaml");
    std::fs::write(
        &config,
        "experiment: demo-experiment\nstimuli: missing\noutput: raw-data\nnum_trials_per_block: 16\n",
    )
    .expect("config written");
    shapelab::stimuli::demo::write_set(&study.join("pictures"))
        .expect("a demo set in study/pictures");
    (study, config)
}

#[test]
fn folders_are_browsed_by_clicking_taken_from_the_configs_folder_and_passed_to_the_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The config's own stimulus folder is missing: the experimenter picks another.
    let (study, config) = study_whose_pictures_are_elsewhere(dir.path());
    let mut h = harness(config);
    step_until(&mut h, "the config check", loaded);
    h.step();
    assert!(
        h.state().session.problems()[0].contains("missing"),
        "{:?}",
        h.state().session.problems()
    );

    // The browser opens at the nearest folder that exists: the config's.
    h.get_by_label("Browse stimulus folder").click();
    for _ in 0..3 {
        // The browser's window is sized in a frame of its own before it is shown.
        h.step();
    }
    assert!(h.query_by_label("Choose the stimulus folder").is_some());
    assert!(h.query_by_label("raw-data/").is_none(), "not made yet");
    press(&mut h, "pictures/");
    assert!(
        h.query_by_label("airplane/").is_some(),
        "inside the pictures"
    );
    press(&mut h, "Up");
    press(&mut h, "pictures/");
    press(&mut h, "Choose this folder");
    assert!(h.query_by_label("Choose the stimulus folder").is_none());
    assert_eq!(
        h.state().session.stimuli,
        "pictures",
        "shown from the config's folder"
    );
    h.step();
    step_until(&mut h, "the config check", loaded);

    // A relative output folder is taken from the config's folder, not the working folder.
    h.state_mut().session.output = "elsewhere".into();
    h.get_by_label("Reload").click();
    h.step();
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("simulated: shape").click();
    h.state_mut().session.trial_limit = "3".into();
    h.step();
    assert!(
        h.state().session.problems().is_empty(),
        "{:?}",
        h.state().session.problems()
    );
    let args = h.state().session.run_arguments();
    let given = |option: &str| {
        args.windows(2)
            .find(|w| w[0] == option)
            .map(|w| PathBuf::from(&w[1]))
    };
    assert_eq!(given("--stimuli"), Some(study.join("pictures")), "{args:?}");
    assert_eq!(given("--out"), Some(study.join("elsewhere")), "{args:?}");
    h.get_by_label("Start").click();
    h.step();
    step_until(&mut h, "the session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    assert!(h.query_by_label("3 of 3 done").is_some());
    let session = study.join("elsewhere/_simulated/demo-experiment");
    assert!(session.is_dir(), "the session wrote into study/elsewhere");

    // The compare page takes its relative paths from the config's folder too.
    h.get_by_label("Back to the launcher").click();
    h.step();
    h.get_by_label("Compare").click();
    h.step();
    assert!(h
        .query_by_label(&format!(
            "Relative paths are taken from the config's folder, {}",
            study.display()
        ))
        .is_some());
    h.state_mut().compare.paths = String::new();
    h.get_by_label("Add a file or folder").click();
    for _ in 0..3 {
        h.step();
    }
    press(&mut h, "elsewhere/");
    // A simulated participant's sessions are compared when their folder is given itself.
    press(&mut h, "_simulated/");
    press(&mut h, "Choose this folder");
    assert_eq!(h.state().compare.paths, "elsewhere/_simulated");
    h.state_mut().compare.out = "comparison".into();
    compare_and_wait(&mut h);
    assert!(
        study.join("comparison/summary.csv").is_file(),
        "tables written in the config's folder"
    );
    assert!(h.query_by_label("simulated-subj-01").is_some());
}

/// A measurement as the launcher's window reports it: steady frames at `hz` on a monitor that
/// reports `hz`.
fn measured_at(hz: f64) -> shapelab::launcher::Refresh {
    shapelab::launcher::Refresh::Measured {
        monitor: "monitor 'DP-2-1' (monitor.select: DP-2)".into(),
        monitor_hz: Some(hz),
        estimate: shapelab::timing::flips::RefreshEstimate {
            intervals: 119,
            mean_ms: 1000.0 / hz,
            sd_ms: 0.05,
            median_wait_ms: 500.0 / hz,
        },
        compositor: false,
    }
}

#[test]
fn the_refresh_is_measured_on_the_configs_monitor_and_again_when_asked() {
    use shapelab::launcher::{MeasureRequest, Refresh};
    let dir = tempfile::tempdir().expect("temp dir");
    let config = demo_study(dir.path(), "refresh_hz: 100\nmonitor:\n  select: DP-2\n");
    let mut h = harness(config.clone());
    step_until(&mut h, "the config check", loaded);
    let wanted = h.state_mut().session.wanted_measurement();
    assert_eq!(
        wanted,
        Some(MeasureRequest {
            monitor: "DP-2".into(),
        })
    );
    assert_eq!(
        h.state_mut().session.wanted_measurement(),
        None,
        "measured once"
    );
    h.get_by_label("simulated: shape").click();
    h.step();
    assert!(h
        .get_by_label("Measure the refresh again")
        .accesskit_node()
        .is_disabled());
    // The measuring window covers the session's monitor: no session starts over it.
    assert_eq!(
        h.state().session.problems(),
        ["measuring the refresh on the session's monitor ..."]
    );
    assert!(h.get_by_label("Start").accesskit_node().is_disabled());
    h.state_mut().session.refresh = measured_at(99.98);
    h.step();
    assert!(h
        .query_by_label(
            "display: 99.98 Hz measured on monitor 'DP-2-1' (monitor.select: DP-2) (SD 0.05 ms), \
             100 Hz expected; synchronised"
        )
        .is_some());
    assert!(h.state().session.problems().is_empty());
    // refresh_hz edited in the config: the same measurement is judged against the new rate.
    common::edit_config(&config, "refresh_hz: 100", "refresh_hz: 120");
    h.get_by_label("Reload").click();
    h.step();
    step_until(&mut h, "the config check", loaded);
    h.step();
    assert!(
        h.query_by_label_contains(
            "120 Hz expected; the display runs at 99.98 Hz but the config expects 120 Hz"
        )
        .is_some(),
        "judged against the config as it is now"
    );
    assert!(h
        .query_by_label_contains("frames planned at 120.00 Hz")
        .is_some());
    assert_eq!(
        h.state_mut().session.wanted_measurement(),
        None,
        "the same monitor is not measured again for it"
    );
    h.get_by_label("Measure the refresh again").click();
    h.step();
    assert_eq!(
        h.state_mut()
            .session
            .wanted_measurement()
            .map(|r| r.monitor),
        Some("DP-2".into())
    );
    h.state_mut().session.refresh = Refresh::Failed("no frames within 5 s on DP-2".into());
    // Another monitor in the config is measured as soon as the config is loaded again.
    common::edit_config(&config, "select: DP-2", "select: '1'");
    h.get_by_label("Reload").click();
    h.step();
    step_until(&mut h, "the config check", loaded);
    assert_eq!(
        h.state_mut()
            .session
            .wanted_measurement()
            .map(|r| r.monitor),
        Some("1".into())
    );
}

#[test]
fn no_measurement_starts_while_a_session_runs_and_an_asked_one_follows_its_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = launcher_on(dir.path(), paced_shapelab(dir.path()));
    step_until(&mut h, "the config check", loaded);
    assert!(h.state_mut().session.wanted_measurement().is_some());
    h.state_mut().session.refresh = measured_at(60.0);
    h.state_mut().session.trial_limit = "2".into();
    h.get_by_label("simulated: shape").click();
    h.step();
    h.get_by_label("Measure the refresh again").click();
    h.step();
    // The launcher's window asks between frames; the session is started before it does.
    press(&mut h, "Start");
    assert!(h.query_by_label("Session running").is_some());
    assert_eq!(
        h.state_mut().session.wanted_measurement(),
        None,
        "not while the session has the monitor"
    );
    step_until(&mut h, "the session's end", |h| {
        h.query_by_label("Back to the launcher").is_some()
    });
    assert!(h.query_by_label("2 of 2 done").is_some());
    assert!(
        h.state_mut().session.wanted_measurement().is_some(),
        "measured again once the session ended"
    );
}

/// A launcher on a config in `first/`, with `stimuli` and `output` typed, then given the
/// config of `second/` and reloaded.
fn a_config_is_picked_in_another_folder(
    stimuli: &str,
    output: &str,
) -> (tempfile::TempDir, Harness<'static, Launcher>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    for study in [&first, &second] {
        std::fs::create_dir(study).expect("study folder");
    }
    let mut h = harness(demo_study(&first, ""));
    step_until(&mut h, "the config check", loaded);
    let form = &mut h.state_mut().session;
    form.stimuli = stimuli.into();
    form.output = output.into();
    form.config = second.join("experiment.yaml").display().to_string();
    demo_study(&second, "");
    h.get_by_label("Reload").click();
    h.step();
    step_until(&mut h, "the config check", loaded);
    h.step();
    (dir, h)
}

#[test]
fn relative_folders_typed_keep_naming_the_same_folders_when_another_config_is_loaded() {
    let (dir, h) = a_config_is_picked_in_another_folder("pictures", "/lab/data");
    let first = dir.path().join("first");
    assert_eq!(
        PathBuf::from(&h.state().session.stimuli),
        first.join("pictures"),
        "made whole from the previous config's folder"
    );
    assert_eq!(h.state().session.output, "/lab/data", "a whole path stays");
    let note = format!(
        "A config in another folder was loaded: the stimulus folder typed, 'pictures', is now \
         {} (typed relative to the previous config's folder, {}).",
        first.join("pictures").display(),
        first.display()
    );
    assert!(h.query_by_label(&note).is_some(), "{note}");
    let args = h.state().session.run_arguments();
    assert!(
        args.windows(2)
            .any(|w| w[0] == "--stimuli" && Path::new(&w[1]) == first.join("pictures")),
        "{args:?}"
    );
    // Nothing typed, nothing changed, nothing said.
    let (_dir, h) = a_config_is_picked_in_another_folder("", "");
    assert_eq!(h.state().session.stimuli, "");
    assert!(h
        .query_by_label_contains("A config in another folder")
        .is_none());
}

/// The first window whose title contains `name`, once there is one (within `seconds`).
fn window_named(display: &str, name: &str, seconds: u64) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        let found = xdotool(display, &["search", "--name", name]);
        if let Some(window) = found.lines().next() {
            return Some(window.to_string());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Waits until no window's title contains `name`.
fn gone(display: &str, name: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if xdotool(display, &["search", "--name", name]).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_real_launcher_measures_on_the_sessions_monitor_and_takes_a_folder_picked_by_clicking() {
    let Some(x) = common::xvfb() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (study, config) = study_whose_pictures_are_elsewhere(dir.path());
    let runtime = common::runtime_dir();
    // Started from another folder: the study's relative paths are the config's folder's.
    let _launcher = common::Reaped(
        common::shapelab()
            .args(["launch", config.to_str().expect("utf-8")])
            .current_dir(dir.path())
            .env("DISPLAY", &x.display)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the launcher starts"),
    );
    let measuring = "shapelab: measuring the refresh";
    let probe = window_named(&x.display, measuring, 60).expect("a window measures the refresh");
    // It opens, is made fullscreen on the monitor, measures and closes.
    let mut sizes = Vec::new();
    while let Some(size) = xdotool(&x.display, &["getwindowgeometry", &probe])
        .lines()
        .find_map(|l| l.trim().strip_prefix("Geometry: ").map(String::from))
    {
        sizes.push(size);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        sizes.iter().any(|s| s == "1280x1024"),
        "it covers the monitor: {sizes:?}"
    );
    assert!(gone(&x.display, measuring), "the measuring window closes");
    let window = window_named(&x.display, "shapelab launcher", 10).expect("the launcher");
    // Positions on the 960x820 page as laid out (see docs/screenshots/launcher.png).
    let click = |x_px: u32, y_px: u32| {
        let (x_px, y_px) = (x_px.to_string(), y_px.to_string());
        xdotool(
            &x.display,
            &["mousemove", "--window", &window, &x_px, &y_px, "click", "1"],
        );
        // Time to draw what the click opens (a new egui window takes two frames) under load.
        std::thread::sleep(Duration::from_millis(1000));
    };
    std::thread::sleep(Duration::from_millis(500));
    click(99, 338); // Measure the refresh again
    assert!(
        window_named(&x.display, measuring, 10).is_some(),
        "measured again when asked"
    );
    assert!(gone(&x.display, measuring));
    click(478, 87); // Browse stimulus folder: opens at the config's folder
    click(260, 179); // pictures/
    click(327, 147); // Choose this folder
    click(236, 255); // simulated: shape
    click(146, 227); // Trials
    xdotool(&x.display, &["type", "2"]);
    std::thread::sleep(Duration::from_millis(1500));
    click(43, 687); // Start (below the lines on the original's values and the sound output)
    let csv = study.join(
        "raw-data/_simulated/demo-experiment/demo-experiment_simulated-subj-01_session_1.csv",
    );
    let rows = || std::fs::read_to_string(&csv).map_or(0, |t| t.lines().count().saturating_sub(1));
    let deadline = Instant::now() + Duration::from_secs(60);
    while rows() < 2 {
        assert!(
            Instant::now() < deadline,
            "the session on the picked folder did not run"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rows(), 2, "the trial limit typed was taken");
}

#[test]
fn a_config_file_is_picked_in_the_browser_and_its_relative_stimuli_are_its_folders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    for study in [&first, &second] {
        std::fs::create_dir(study).expect("study folder");
    }
    let mut h = harness(demo_study(&first, ""));
    std::fs::write(second.join("notes.txt"), "not a config").expect("written");
    std::fs::write(
        second.join("pilot.yaml"),
        "experiment: pilot\nstimuli: pictures\noutput: raw-data\n",
    )
    .expect("config written");
    shapelab::stimuli::demo::write_set(&second.join("pictures")).expect("a demo set");
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("Browse config").click();
    for _ in 0..3 {
        h.step();
    }
    assert!(h.query_by_label("Choose the config file").is_some());
    assert!(
        h.query_by_label("experiment.yaml").is_some(),
        "opens in the config's folder"
    );
    press(&mut h, "Up");
    press(&mut h, "second/");
    assert!(
        h.query_by_label("notes.txt").is_none(),
        "only configs are offered"
    );
    press(&mut h, "pilot.yaml");
    assert!(h.query_by_label("Choose the config file").is_none());
    assert_eq!(
        PathBuf::from(&h.state().session.config),
        second.join("pilot.yaml")
    );
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("simulated: shape").click();
    h.step();
    assert!(
        h.state().session.problems().is_empty(),
        "its stimuli are found in its own folder: {:?}",
        h.state().session.problems()
    );
    assert_eq!(h.state().session.config_folder(), second);
}

#[test]
fn a_new_output_folder_can_be_named_and_a_single_raw_data_file_picked_in_the_browser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(demo_study(dir.path(), ""));
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("Browse output folder").click();
    for _ in 0..3 {
        h.step();
    }
    assert!(h.query_by_label("Choose the output folder").is_some());
    let new = h.get_by_label("New folder here");
    new.focus();
    h.step();
    h.get_by_label("New folder here").type_text("pilot-data");
    h.step();
    press(&mut h, "Choose the new folder");
    assert!(h.query_by_label("Choose the output folder").is_none());
    assert_eq!(h.state().session.output, "pilot-data");
    assert!(
        !dir.path().join("pilot-data").exists(),
        "nothing is created before a session writes there"
    );
    step_until(&mut h, "the config check", loaded);
    let args = h.state().session.run_arguments();
    assert!(
        args.windows(2)
            .any(|w| w[0] == "--out" && Path::new(&w[1]) == dir.path().join("pilot-data")),
        "{args:?}"
    );

    // One CSV of a folder, not the whole folder, goes into Compare's list.
    let raw = dir.path().join("raw-data");
    std::fs::create_dir(&raw).expect("folder");
    for file in ["s-01.csv", "s-02.csv", "notes.txt"] {
        std::fs::write(raw.join(file), "").expect("file");
    }
    h.get_by_label("Compare").click();
    h.step();
    h.get_by_label("Add a file or folder").click();
    for _ in 0..3 {
        h.step();
    }
    assert!(h.query_by_label("notes.txt").is_none(), "only CSV files");
    press(&mut h, "s-02.csv");
    assert_eq!(h.state().compare.paths, "raw-data\nraw-data/s-02.csv");
}

#[test]
fn the_results_page_after_a_practice_run_shows_its_score() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(demo_study(dir.path(), "practice:\n  trials: 16\n"));
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("Practice").click();
    h.step();
    h.get_by_label("simulated: texture").click();
    h.step();
    step_until(&mut h, "the practice set's check", loaded);
    press(&mut h, "Start");
    step_until(&mut h, "the practice's end", |h| {
        h.query_by_label("Practice finished (no data written)")
            .is_some()
            || h.query_by_label("The session did not finish").is_some()
    });
    // shapelab's practice images have no texture: a texture answer is the shape's, and right.
    assert!(h.query_by_label("16 of 16 trials (100.00 %)").is_some());
    assert!(h.query_by_label("0 (0.00 %)").is_some());
    assert!(
        !dir.path().join("raw-data").exists(),
        "practice writes no data"
    );
}

#[test]
fn a_practice_folder_of_cue_conflict_images_stops_a_practice_in_the_preflight() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::make_stimulus_set(&dir.path().join("practice"), 1);
    let mut h = harness(demo_study(dir.path(), "practice:\n  stimuli: practice\n"));
    step_until(&mut h, "the config check", loaded);
    h.get_by_label("Practice").click();
    h.step();
    step_until(&mut h, "the practice set's check", loaded);
    let problems = h.state().session.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("practice.stimuli: ") && p.contains("has cue-conflict images")),
        "{problems:?}"
    );
}

#[test]
fn the_preflight_names_files_the_set_leaves_out_and_codes_the_papers_r_code_does_not_know() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::make_stimulus_set(&dir.path().join("stimuli"), 1);
    std::fs::write(dir.path().join("stimuli/bird/.DS_Store"), b"x").expect("written");
    let config = study(
        dir.path(),
        "experiment: e\nstimuli: stimuli\noutput: raw-data\n",
    );
    let mut h = harness(config);
    step_until(&mut h, "the config check", loaded);
    h.state_mut().session.subject = "subject-5".into();
    h.step();
    assert!(
        h.query_by_label_contains(".DS_Store: ignored (a system file)")
            .is_some(),
        "the preflight names the file the set leaves out"
    );
    assert!(
        h.query_by_label_contains("knows only subject-01 to subject-42")
            .is_some(),
        "a code the paper's per-subject plots leave out is pointed out"
    );
}

#[test]
fn a_subject_without_a_folder_of_their_own_cannot_be_started_and_the_preflight_shows_the_session_asked_for(
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli/subject-01");
    for (session, images) in [(1, 1), (2, 3)] {
        let folder = stimuli.join(format!("session-{session}"));
        std::fs::create_dir_all(&folder).expect("folder");
        for trial in 1..=images {
            image::RgbImage::from_pixel(224, 224, image::Rgb([90, trial as u8, session]))
                .save(folder.join(format!(
                    "{trial:04}_e_s01_0_cat_00_cat{trial}-dog{trial}.png"
                )))
                .expect("png written");
        }
    }
    let config = study(
        dir.path(),
        "experiment: e\nstimuli: stimuli\noutput: raw-data\n",
    );
    let mut h = harness(config);
    step_until(&mut h, "the config check", loaded);
    h.state_mut().session.subject = "subject-01".into();
    h.state_mut().session.session = "2".into();
    h.step();
    assert!(
        h.state().session.problems().is_empty(),
        "{:?}",
        h.state().session.problems()
    );
    assert!(
        h.query_by_label_contains("trials: 3 in 1 block(s)")
            .is_some(),
        "the preflight plans session 2's folder"
    );
    h.state_mut().session.subject = "subject-02".into();
    h.step();
    let problems = h.state().session.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("no folder of images for subject subject-02; the stimulus folder has one per subject (subject-01), as the original's did")),
        "{problems:?}"
    );
}

#[test]
fn the_compare_page_keeps_a_labs_subject_01_apart_from_the_papers_and_says_so() {
    let Some(raw) = common::shared("texture-vs-shape/raw-data") else {
        return;
    };
    let experiment = "style-transfer-512-nomask-experiment";
    let paper = raw.join(experiment);
    // A lab's pilot subject-01 (8 trials of session 1) under the paper's experiment name.
    let dir = tempfile::tempdir().expect("temp dir");
    let lab = dir.path().join("lab/raw-data").join(experiment);
    std::fs::create_dir_all(&lab).expect("lab folder");
    let name = format!("{experiment}_subject-01_session_1.csv");
    let text = std::fs::read_to_string(paper.join(&name)).expect("the paper's subject-01");
    let pilot: String = text.lines().take(9).map(|l| format!("{l}\n")).collect();
    std::fs::write(lab.join(&name), pilot).expect("written");
    let config = demo_study(dir.path(), "");
    let mut h = harness(config);
    h.get_by_label("Compare").click();
    h.step();
    h.state_mut().compare.paths = format!("{}\n{}", lab.display(), paper.display());
    h.state_mut().compare.out = "comparison".into();
    h.step();
    compare_and_wait(&mut h);
    assert!(
        h.query_by_label_contains(&format!(
            "subject-01 of {experiment} has session 1 in 2 folders, kept apart as different observers"
        ))
        .is_some(),
        "the page says why"
    );
    assert!(h.query_by_label("subject-01 [lab/raw-data]").is_some());
    assert!(h
        .query_by_label("subject-01 [texture-vs-shape/raw-data]")
        .is_some());
}
