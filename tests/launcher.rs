//! The launcher, driven as an experimenter would through egui's test harness (AccessKit
//! queries, no window): entering a subject and starting the demo with a simulated
//! participant, which runs the real `shapelab run` and produces the session's CSV.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use shapelab::data::raw::read_rows;
use shapelab::present::launcher::Launcher;

fn study(dir: &Path, config: &str) -> PathBuf {
    let path = dir.join("experiment.yaml");
    std::fs::write(&path, config).expect("config written");
    path
}

fn harness(config: PathBuf) -> Harness<'static, Launcher> {
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
    let config = study(
        dir.path(),
        "experiment: demo-experiment\nstimuli: stimuli/demo\noutput: raw-data\nnum_trials_per_block: 16\n",
    );
    let mut h = harness(config);
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
        h.query_by_label("Session finished").is_some()
            || h.query_by_label("The session did not finish").is_some()
    });
    assert!(h.query_by_label("Session finished").is_some());
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
