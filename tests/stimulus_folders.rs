//! The stimulus folder a lab prepares, read as the original read it: per-subject (and
//! per-session) folders of pre-ordered images, each participant only their own images, and
//! every file either shown or named, through the `shapelab` binary.

mod common;

use std::path::{Path, PathBuf};

/// A pre-ordered image as the original's lab folders held them:
/// `NNNN_qck_<subject field>_0_<shape>_00_<shape>N-<texture>N.png`.
fn pre_ordered(folder: &Path, trial: usize, subject_field: &str, shape: &str, texture: &str) {
    std::fs::create_dir_all(folder).expect("folder");
    let name =
        format!("{trial:04}_qck_{subject_field}_0_{shape}_00_{shape}{trial}-{texture}{trial}.png");
    image::RgbImage::from_pixel(224, 224, image::Rgb([90, trial as u8, 40]))
        .save(folder.join(name))
        .expect("png written");
}

/// A simulated session's imagename column.
fn imagenames(out: &Path, subject: &str, session: u32) -> Vec<String> {
    let csv = common::simulated_file(out, "quick", subject, session, "csv");
    common::csv_rows(&csv)
        .into_iter()
        .map(|row| row[7].clone())
        .collect()
}

/// Runs a simulated session of `subject` (and `session`) on `config`, writing below `out`.
fn simulate(config: &Path, out: &Path, subject: &str, session: &str) -> std::process::Output {
    let config = config.to_str().expect("utf-8");
    let out = out.to_str().expect("utf-8");
    common::run(&[
        "run",
        config,
        "--simulate",
        "--subject",
        subject,
        "--session",
        session,
        "--out",
        out,
    ])
}

fn study(stimuli: &Path, extra: &str) -> PathBuf {
    common::quick_config(stimuli.parent().expect("a study folder"), stimuli, extra)
}

#[test]
fn each_participant_runs_the_images_of_their_own_subject_folder_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli");
    for (trial, (shape, texture)) in [("bird", "cat"), ("dog", "bird"), ("cat", "dog")]
        .into_iter()
        .enumerate()
    {
        pre_ordered(
            &stimuli.join("subject-01"),
            trial + 1,
            "s01",
            shape,
            texture,
        );
    }
    pre_ordered(&stimuli.join("subject-02"), 1, "s02", "clock", "oven");
    pre_ordered(&stimuli.join("subject-02"), 2, "s02", "oven", "clock");
    let config = study(&stimuli, "");
    let out = dir.path().join("out");

    let checked = common::run_ok(&["check", config.to_str().expect("utf-8")]);
    let report = common::stdout(&checked);
    assert!(
        report.contains("per-subject folders of pre-ordered images (subject-01, subject-02)"),
        "{report}"
    );
    assert!(
        report.contains("session 1 of subject-01 has 3 trials"),
        "{report}"
    );
    assert!(
        report.contains("order       the images' own (pre-ordered"),
        "{report}"
    );

    let ran = simulate(&config, &out, "subject-02", "1");
    assert!(ran.status.success(), "{}", common::stderr(&ran));
    assert_eq!(
        imagenames(&out, "subject-02", 1),
        [
            "0001_qck_s02_0_clock_00_clock1-oven1.png",
            "0002_qck_s02_0_oven_00_oven2-clock2.png"
        ]
    );

    let refused = simulate(&config, &out, "subject-03", "1");
    assert!(!refused.status.success());
    let error = common::stderr(&refused);
    assert!(
        error.contains(&format!(
            "{}: no folder of images for subject subject-03; the stimulus folder has one per subject (subject-01, subject-02)",
            stimuli.join("subject-03").display()
        )),
        "{error}"
    );
    assert!(
        !common::simulated_incomplete_file(&out, "quick", "subject-03", 1).exists(),
        "refused before the first trial"
    );
}

#[test]
fn a_subject_with_session_folders_runs_the_folder_of_the_session_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli");
    let subject = stimuli.join("subject-01");
    pre_ordered(&subject.join("session-1"), 1, "s01", "bird", "cat");
    pre_ordered(&subject.join("session-2"), 1, "s01", "knife", "boat");
    pre_ordered(&subject.join("session-2"), 2, "s01", "boat", "knife");
    let config = study(&stimuli, "");
    let out = dir.path().join("out");

    let ran = simulate(&config, &out, "subject-01", "2");
    assert!(ran.status.success(), "{}", common::stderr(&ran));
    assert_eq!(
        imagenames(&out, "subject-01", 2),
        [
            "0001_qck_s01_0_knife_00_knife1-boat1.png",
            "0002_qck_s01_0_boat_00_boat2-knife2.png"
        ]
    );
    let refused = simulate(&config, &out, "subject-01", "3");
    let error = common::stderr(&refused);
    assert!(!refused.status.success());
    assert!(
        error.contains(&format!(
            "{}: no folder of images for session 3 of subject-01 (it has session-1, session-2)",
            subject.join("session-3").display()
        )),
        "{error}"
    );
    let config = config.to_str().expect("utf-8");
    let checked = common::run_ok(&["check", config]);
    let report = common::stdout(&checked);
    assert!(
        report.contains("3 images in per-session folders of pre-ordered images (subject-01)")
            && report.contains("session 1 of subject-01 has 1 trials"),
        "{report}"
    );
    // check shows the session asked for, and names a missing one as the session would.
    let second = common::run_ok(&["check", config, "--session", "2"]);
    let report = common::stdout(&second);
    assert!(
        report.contains("session 2 of subject-01 has 2 trials"),
        "{report}"
    );
    let third = common::run(&["check", config, "--session", "3"]);
    assert_eq!(third.status.code(), Some(1));
    assert!(
        common::stderr(&third).contains("no folder of images for session 3 of subject-01"),
        "{}",
        common::stderr(&third)
    );
}

#[test]
fn images_pre_ordered_for_another_subject_are_refused_unless_the_folder_is_shared() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli");
    pre_ordered(&stimuli, 1, "s01", "bird", "cat");
    pre_ordered(&stimuli, 2, "s01", "dog", "bird");
    let config = study(&stimuli, "");
    let config_arg = config.to_str().expect("utf-8");
    let out = dir.path().join("out");
    let refusal = format!(
        "{}: 2 of 2 pre-ordered images are not subject-02's (their subject field, e.g. 's01' in \
         0001_qck_s01_0_bird_00_bird1-cat1.png, is not 's02')",
        stimuli.display()
    );

    // check shows the folder's own subject's session, and refuses it for another subject.
    let own = common::run_ok(&["check", config_arg]);
    assert!(common::stdout(&own).contains("one pre-ordered folder, subject field s01"));
    assert!(common::stdout(&own).contains("session 1 of s01 has 2 trials"));
    let other = common::run(&["check", config_arg, "--subject", "subject-02"]);
    assert!(!other.status.success());
    assert!(
        common::stderr(&other).contains(&refusal),
        "{}",
        common::stderr(&other)
    );

    let refused = simulate(&config, &out, "subject-02", "1");
    assert!(!refused.status.success());
    assert!(
        common::stderr(&refused).contains(&refusal),
        "{}",
        common::stderr(&refused)
    );
    assert!(!common::simulated_incomplete_file(&out, "quick", "subject-02", 1).exists());

    let ran = simulate(&config, &out, "subject-01", "1");
    assert!(ran.status.success(), "{}", common::stderr(&ran));

    common::edit_config(
        &config,
        "num_trials_per_block: 8\n",
        "num_trials_per_block: 8\npre_ordered_shared: true\n",
    );
    let shared = simulate(&config, &out, "subject-02", "1");
    assert!(shared.status.success(), "{}", common::stderr(&shared));
    assert_eq!(
        imagenames(&out, "subject-02", 1)[0],
        "0001_qck_s01_0_bird_00_bird1-cat1.png",
        "a shared order's rows keep the file names as they are"
    );
}

#[test]
fn a_pre_ordered_folder_mixing_subjects_is_refused_at_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli");
    pre_ordered(&stimuli, 1, "s01", "bird", "cat");
    pre_ordered(&stimuli, 2, "s02", "dog", "bird");
    let config = study(&stimuli, "");
    let checked = common::run(&["check", config.to_str().expect("utf-8")]);
    assert!(!checked.status.success());
    assert!(
        common::stderr(&checked).contains("the pre-ordered images are for 2 subjects (s01, s02)"),
        "{}",
        common::stderr(&checked)
    );
}

#[test]
fn every_file_in_the_stimulus_folder_is_shown_or_named() {
    let (dir, config) = common::quick_study("");
    let config_arg = config.to_str().expect("utf-8");
    let stimuli = dir.path().join("stimuli");
    let jpeg = stimuli.join("cat/cat9-dog1.jpg");
    // The start of a JPEG and of a GIF file, as a camera or an image editor writes them.
    std::fs::write(&jpeg, b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01").expect("jpeg written");
    let gif = stimuli.join("dog/dog9-cat1.png");
    std::fs::write(&gif, b"GIF89a\xE0\x00\xE0\x00\x80\x00\x00").expect("gif written");
    let nested = stimuli.join("bird/more");
    common::make_stimulus_set(&nested, 1);

    let refused = common::run(&["check", config_arg]);
    assert!(!refused.status.success());
    let error = common::stderr(&refused);
    assert!(error.contains("3 problems in the stimulus set"), "{error}");
    for line in [
        format!("{}: a JPEG image; shapelab reads PNG only", jpeg.display()),
        format!(
            "{}: is a GIF image named .png; shapelab reads PNG only",
            gif.display()
        ),
        format!(
            "{}: a folder in a category folder; shapelab does not look inside it",
            nested.display()
        ),
    ] {
        assert!(error.contains(&line), "{line} in {error}");
    }
    let ran = common::run(&["run", config_arg, "--simulate", "--subject", "subject-01"]);
    assert!(!ran.status.success(), "a session does not start either");
    assert!(common::stderr(&ran).contains("cat9-dog1.jpg: a JPEG image"));

    std::fs::remove_file(&jpeg).expect("removed");
    std::fs::remove_file(&gif).expect("removed");
    std::fs::remove_dir_all(&nested).expect("removed");
    std::fs::write(stimuli.join("bird/.DS_Store"), b"\0\0\0\x01Bud1").expect("written");
    std::fs::write(stimuli.join("Thumbs.db"), b"x").expect("written");
    std::fs::write(stimuli.join("cat/notes.txt"), b"made on 5 Dec").expect("written");
    let checked = common::run_ok(&["check", config_arg]);
    let report = common::stdout(&checked);
    assert!(
        report.contains(": 32 images in category folders"),
        "{report}"
    );
    for line in [
        format!(
            "note: {}: ignored (a system file)",
            stimuli.join("bird/.DS_Store").display()
        ),
        format!(
            "note: {}: ignored (a system file)",
            stimuli.join("Thumbs.db").display()
        ),
        format!(
            "note: {}: left out (not a .png image)",
            stimuli.join("cat/notes.txt").display()
        ),
    ] {
        assert!(report.contains(&line), "{line} in {report}");
    }
    let ran = common::run(&["run", config_arg, "--simulate", "--subject", "subject-01"]);
    assert!(ran.status.success(), "{}", common::stderr(&ran));
    assert!(
        common::stderr(&ran).contains("note: ")
            && common::stderr(&ran).contains("notes.txt: left out")
    );
}

#[test]
fn practice_shows_the_participants_own_practice_folder_as_the_original_did() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stimuli = dir.path().join("stimuli");
    common::make_stimulus_set(&stimuli, 1);
    // The original's practice/<subject>/ folders: images without cue conflict.
    let practice = dir.path().join("practice");
    for trial in 1..=3 {
        pre_ordered(&practice.join("subject-01"), trial, "s01", "bird", "bird");
    }
    pre_ordered(&practice.join("subject-02"), 1, "s02", "dog", "dog");
    let config = study(
        &stimuli,
        &format!("practice:\n  stimuli: {}\n", practice.display()),
    );
    let config = config.to_str().expect("utf-8");
    let practise = |subject: &str| {
        common::run(&[
            "run",
            config,
            "--simulate",
            "--practice",
            "--subject",
            subject,
            "--log-phases",
        ])
    };
    let trials = |output: &std::process::Output| {
        assert!(output.status.success(), "{}", common::stderr(output));
        common::stdout(output)
            .lines()
            .filter(|l| l.starts_with("phase ") && l.ends_with(" response"))
            .count()
    };
    assert_eq!(trials(&practise("subject-01")), 3);
    assert_eq!(trials(&practise("subject-02")), 1);
    let missing = practise("subject-03");
    assert_eq!(missing.status.code(), Some(1));
    let message = common::stderr(&missing);
    assert!(
        message.contains(&format!(
            "{}: no folder of images for subject subject-03",
            practice.join("subject-03").display()
        )),
        "{message}"
    );
}
