use std::path::Path;

use super::*;
use crate::categories::Category::*;

fn png(path: &Path, size: u32) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
    image::RgbImage::from_pixel(size, size, image::Rgb([9, 9, 9]))
        .save(path)
        .expect("written");
}

#[test]
fn shape_comes_from_the_folder_and_texture_from_the_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("bird/bird3-clock2.png"), 4);
    png(&dir.path().join("bird/bird1.png"), 4);
    png(&dir.path().join("dog/dog1-dog1.png"), 4);
    let set = StimulusSet::open(dir.path()).expect("valid");
    assert_eq!(set.layout, Layout::CategoryFolders);
    let found: Vec<(&str, Category, Option<Category>, bool)> = set
        .stimuli
        .iter()
        .map(|s| (s.original.as_str(), s.shape, s.texture, s.is_conflict()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("bird1.png", Bird, None, false),
            ("bird3-clock2.png", Bird, Some(Clock), true),
            ("dog1-dog1.png", Dog, Some(Dog), false),
        ]
    );
    set.verify_images(4).expect("all 4x4");
}

#[test]
fn the_original_pre_ordered_layout_keeps_its_order_and_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("0002_s5n_s01_0_dog_00_dog1-cat3.png"), 4);
    png(
        &dir.path().join("0001_s5n_s01_0_bird_00_bird3-bird2.png"),
        4,
    );
    let set = StimulusSet::open(dir.path()).expect("valid");
    assert_eq!(set.layout, Layout::PreOrdered);
    let found: Vec<(&str, Category, Option<Category>)> = set
        .stimuli
        .iter()
        .map(|s| (s.original.as_str(), s.shape, s.texture))
        .collect();
    assert_eq!(
        found,
        vec![
            ("bird3-bird2.png", Bird, Some(Bird)),
            ("dog1-cat3.png", Dog, Some(Cat))
        ]
    );
}

#[test]
fn every_naming_problem_is_reported_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("zebra/zebra1.png"), 4);
    png(&dir.path().join("bird/bird_1.png"), 4);
    png(&dir.path().join("bird/bird1-unicorn1.png"), 4);
    std::fs::create_dir_all(dir.path().join("cat")).expect("folder");
    let err = StimulusSet::open(dir.path())
        .expect_err("problems")
        .to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "4 problems in the stimulus set:");
    assert!(err.contains("bird_1.png: the name contains '_'"), "{err}");
    assert!(
        err.contains("bird1-unicorn1.png: texture part of the name: unknown category 'unicorn'"),
        "{err}"
    );
    assert!(
        err.contains("cat: the category folder has no .png images"),
        "{err}"
    );
    assert!(
        err.contains("zebra: folder name: unknown category 'zebra'"),
        "{err}"
    );
}

#[test]
fn every_image_problem_is_reported_together_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("bird/bird1-cat1.png"), 224);
    png(&dir.path().join("bird/bird2-cat1.png"), 100);
    std::fs::write(dir.path().join("bird/bird3-cat1.png"), b"GIF89a not a png").expect("written");
    let good = std::fs::read(dir.path().join("bird/bird1-cat1.png")).expect("readable");
    std::fs::write(
        dir.path().join("bird/bird4-cat1.png"),
        &good[..good.len() / 2],
    )
    .expect("written");
    let set = StimulusSet::open(dir.path()).expect("names are fine");
    let err = set.verify_images(224).expect_err("bad images").to_string();
    assert!(err.starts_with("3 problems in the stimulus set:"), "{err}");
    assert!(
        err.contains("bird2-cat1.png: is 100x100 pixels, expected 224x224"),
        "{err}"
    );
    assert!(
        err.contains("bird3-cat1.png: is a GIF image named .png; shapelab reads PNG only"),
        "{err}"
    );
    assert!(
        err.contains("bird4-cat1.png: is not a readable PNG image"),
        "{err}"
    );
}

#[test]
fn a_missing_or_empty_directory_is_refused() {
    let missing = StimulusSet::open(Path::new("/nonexistent/stimuli")).expect_err("missing");
    assert!(missing
        .to_string()
        .starts_with("/nonexistent/stimuli: cannot open the stimulus directory"));
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = StimulusSet::open(dir.path()).expect_err("empty");
    assert!(
        empty.to_string().ends_with("no .png stimuli found"),
        "{empty}"
    );
}

#[test]
fn a_session_check_reports_naming_and_image_problems_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("bird/bird1-cat1.png"), 224);
    png(&dir.path().join("bird/bird2-cat1.png"), 100);
    std::fs::create_dir_all(dir.path().join("cat")).expect("folder");
    let err = StimulusSet::check(dir.path(), 224)
        .expect_err("problems")
        .to_string();
    assert!(err.starts_with("2 problems in the stimulus set:"), "{err}");
    assert!(
        err.contains("cat: the category folder has no .png images"),
        "{err}"
    );
    assert!(
        err.contains("bird2-cat1.png: is 100x100 pixels, expected 224x224"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("bird/bird2-cat1.png")).expect("removed");
    std::fs::remove_dir(dir.path().join("cat")).expect("removed");
    assert_eq!(
        StimulusSet::check(dir.path(), 224)
            .expect("clean")
            .stimuli
            .len(),
        1
    );
}

/// A pre-ordered image for `subject_field` in `folder`.
fn pre_ordered_png(folder: &Path, trial: usize, subject_field: &str) {
    png(
        &folder.join(format!(
            "{trial:04}_qck_{subject_field}_0_bird_00_bird{trial}-cat{trial}.png"
        )),
        4,
    );
}

#[test]
fn per_subject_and_per_session_folders_are_found_and_each_session_gets_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    pre_ordered_png(&dir.path().join("subject-01"), 1, "s01");
    pre_ordered_png(&dir.path().join("subject-01"), 2, "s01");
    pre_ordered_png(&dir.path().join("P02/session-1"), 1, "P02");
    pre_ordered_png(&dir.path().join("P02/session-2"), 1, "P02");
    let set = StimulusSet::open(dir.path()).expect("valid");
    assert_eq!(set.layout, Layout::PerSubject);
    assert_eq!(set.subjects(), ["P02", "subject-01"]);
    assert_eq!(set.stimuli.len(), 4);
    let first = set
        .for_session("subject-01", 5, false)
        .expect("any session");
    assert_eq!(first.root, dir.path().join("subject-01"));
    assert_eq!(first.stimuli.len(), 2);
    let second = set.for_session("P02", 2, false).expect("session 2");
    assert_eq!(second.root, dir.path().join("P02/session-2"));
    assert!(set.subject_problems(None).is_empty());
    let missing = set.for_session("P02", 3, false).expect_err("no session-3");
    assert!(
        missing
            .to_string()
            .contains("P02/session-3: no folder of images for session 3 of P02"),
        "{missing}"
    );
}

#[test]
fn a_subject_folder_holding_another_subjects_images_is_a_problem_unless_shared() {
    let dir = tempfile::tempdir().expect("temp dir");
    pre_ordered_png(&dir.path().join("subject-02"), 1, "s01");
    let set = StimulusSet::open(dir.path()).expect("names are fine");
    let problems = set.subject_problems(None);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("1 of 1 pre-ordered images are not subject-02's"));
    assert!(set.for_session("subject-02", 1, false).is_err());
    assert!(set.for_session("subject-02", 1, true).is_ok());
}

#[test]
fn files_that_are_not_stimuli_are_named_as_problems_or_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    png(&dir.path().join("bird/bird1-cat1.png"), 4);
    png(&dir.path().join("loose1-cat1.png"), 4);
    std::fs::write(dir.path().join("bird/bird2-cat1.jpeg"), b"x").expect("written");
    std::fs::write(dir.path().join("bird/.DS_Store"), b"x").expect("written");
    std::fs::write(dir.path().join("bird/readme"), b"x").expect("written");
    std::fs::create_dir_all(dir.path().join(".git")).expect("folder");
    let err = StimulusSet::open(dir.path())
        .expect_err("problems")
        .to_string();
    assert!(err.starts_with("2 problems"), "{err}");
    assert!(err.contains("bird2-cat1.jpeg: a JPEG image"), "{err}");
    assert!(
        err.contains("loose1-cat1.png: an image beside the category folders"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("bird/bird2-cat1.jpeg")).expect("removed");
    std::fs::remove_file(dir.path().join("loose1-cat1.png")).expect("removed");
    let set = StimulusSet::open(dir.path()).expect("valid");
    assert_eq!(set.stimuli.len(), 1);
    assert_eq!(set.notes.len(), 3, "{:?}", set.notes);
    assert!(set
        .notes
        .iter()
        .any(|n| n.ends_with(".git: ignored (a hidden folder)")));
    assert!(set
        .notes
        .iter()
        .any(|n| n.ends_with(".DS_Store: ignored (a system file)")));
    assert!(set
        .notes
        .iter()
        .any(|n| n.ends_with("readme: left out (not a .png image)")));
}
