use std::path::Path;

use super::*;

fn parse(text: &str) -> std::result::Result<Experiment, String> {
    Experiment::parse(Path::new("exp.yaml"), text).map_err(|e| e.to_string())
}

fn error(text: &str) -> String {
    parse(text).expect_err("the config should be refused")
}

#[test]
fn an_almost_empty_config_takes_the_original_defaults() {
    let e = parse("experiment: texture-shape\n").expect("valid");
    assert_eq!(e.config.ms_stim, 200.0);
    assert_eq!(e.config.num_trials_per_block, 256);
    assert_eq!(e.config.bg_color, Colour::grey(0.7614));
    assert_eq!(e.response_order[0], Category::Knife);
    assert_eq!(e.config.output, Path::new("raw-data"));
}

#[test]
fn the_original_parameter_file_is_accepted_as_it_is() {
    let text = "ms_fixation: 300  # note\nauditive_feedback: 0\nvisual_feedback: 1\nconditions: ['true', 'false']\nfinal_cats_responses: ['knife',\n   'airplane', 'keyboard', 'elephant', 'bicycle', 'clock', 'oven', 'chair',\n   'bear', 'boat', 'cat', 'bottle', 'truck', 'car', 'bird', 'dog']\n";
    let e = parse(text).expect("valid");
    assert_eq!(e.config.visual_feedback, Flag(true));
    assert_eq!(e.config.auditive_feedback, Flag(false));
}

#[test]
fn an_unknown_key_names_its_line_and_suggests_the_nearest() {
    let err = error("experiment: x\n\nms_stimulus: 200\n");
    assert_eq!(
        err,
        "exp.yaml:3: unknown key `ms_stimulus` (did you mean `ms_stim`?)"
    );
}

#[test]
fn line_numbers_count_every_kind_of_line_break() {
    // Found by fuzzing: YAML counted lone CRs as line breaks, the key search did not.
    assert_eq!(
        error("experiment: x\r\rms_stim: fast\r"),
        "exp.yaml:3: ms_stim: expected a number of milliseconds (e.g. 200), got \"fast\""
    );
    assert_eq!(
        error("experiment: x\r\n\r\nms_stimulus: 1\r\n"),
        "exp.yaml:3: unknown key `ms_stimulus` (did you mean `ms_stim`?)"
    );
    assert_eq!(
        error("experiment: x\rms_stim: 100\rms_stim: -5\r"),
        "exp.yaml:3: `ms_stim` is given twice (first at line 2)"
    );
    // The parser also breaks at NEL, LS and PS.
    assert_eq!(
        error("experiment: x\u{85}ms_stim: 100\u{2028}ms_stim: -5\u{2029}"),
        "exp.yaml:3: `ms_stim` is given twice (first at line 2)"
    );
}

#[test]
fn a_key_with_line_breaks_is_named_on_one_line() {
    // Found by fuzzing: a quoted key with line breaks made a multi-line error.
    let err = error("\"ms\\nstim\": 200\n");
    assert_eq!(
        err,
        "exp.yaml:1: unknown key `ms\\nstim` (did you mean `ms_stim`?)"
    );
}

#[test]
fn a_key_given_twice_names_the_second_line_and_the_first() {
    let err = error("experiment: x\nms_stim: 200\nms_stim: 100\n");
    assert_eq!(
        err,
        "exp.yaml:3: `ms_stim` is given twice (first at line 2)"
    );
    let nested = error("beep:\n  volume: 0.5\n  frequency_hz: 300\n  volume: 0.7\n");
    assert_eq!(
        nested,
        "exp.yaml:4: `volume` is given twice (first at line 2)"
    );
}

#[test]
fn an_unknown_nested_key_names_its_line() {
    let err = error("beep:\n  frequency_hz: 300\n  loudness: 1\n");
    assert!(
        err.starts_with("exp.yaml:3: beep: unknown key `loudness`"),
        "{err}"
    );
}

#[test]
fn a_wrong_type_names_the_line_in_the_labs_words() {
    assert_eq!(
        error("experiment: x\nms_mask: fast\n"),
        "exp.yaml:2: ms_mask: expected a number of milliseconds (e.g. 200), got \"fast\""
    );
    assert_eq!(
        error("experiment: x\nms_stim: 200ms\n"),
        "exp.yaml:2: ms_stim: expected a number of milliseconds (e.g. 200), got \"200ms\""
    );
    assert_eq!(
        error("refresh_hz: fast\n"),
        "exp.yaml:1: refresh_hz: expected a number, got \"fast\""
    );
    assert_eq!(
        error("num_trials_per_block: 2.5\n"),
        "exp.yaml:1: num_trials_per_block: expected a whole number, got 2.5"
    );
    assert_eq!(
        error("beep:\n  ms: [1]\n"),
        "exp.yaml:2: beep.ms: expected a number of milliseconds (e.g. 200), got a list"
    );
    assert_eq!(
        error("num_trials_per_block: -3\n"),
        "exp.yaml:1: num_trials_per_block: expected a whole number of 0 or more, got -3"
    );
    assert_eq!(
        error("experiment: x\ntrial_order: shuffled\n"),
        "exp.yaml:2: trial_order: must be random or files, got shuffled"
    );
    assert_eq!(
        error("rt_from: 1\n"),
        "exp.yaml:1: rt_from: must be last_down, press or release, got 1"
    );
}

#[test]
fn a_flag_or_colour_error_names_its_own_key_and_line() {
    let text = "experiment: x\ncode: y\nvisual_feedback: yes\n";
    assert_eq!(
        error(text),
        "exp.yaml:3: visual_feedback: expected 0, 1, true or false, got \"yes\""
    );
    assert_eq!(
        error("experiment: x\nauditive_feedback: 2\n"),
        "exp.yaml:2: auditive_feedback: expected 0, 1, true or false, got 2"
    );
    assert!(
        error("experiment: x\n\nbg_color: [1, 2]\n").starts_with("exp.yaml:3: bg_color: "),
        "{}",
        error("experiment: x\n\nbg_color: [1, 2]\n")
    );
}

#[test]
fn a_duration_shorter_than_a_frame_is_refused_as_seconds_written_for_milliseconds() {
    assert_eq!(
        error("ms_stim: 0.2\n"),
        "exp.yaml:1: ms_stim: 0.2 ms is shorter than one frame (16.7 ms at 60 Hz) and would be shown for a whole frame; durations are in milliseconds (for 0.2 s write 200)"
    );
    assert_eq!(
        error("refresh_hz: 100\nms_inter_trial: 9\n"),
        "exp.yaml:2: ms_inter_trial: 9 ms is shorter than one frame (10.0 ms at 100 Hz) and would be shown for a whole frame; durations are in milliseconds (for 9 s write 9000)"
    );
    // One frame exactly is allowed.
    assert!(Experiment::parse(Path::new("e.yaml"), "refresh_hz: 100\nms_stim: 10\n").is_ok());
}

#[test]
fn a_beep_of_a_fraction_of_a_millisecond_is_refused_as_seconds_written_for_milliseconds() {
    assert_eq!(
        error("experiment: x\nbeep:\n  ms: 0.15\n"),
        "exp.yaml:3: beep.ms: 0.15 ms is too short to hear as a beep; durations are in milliseconds (for 0.15 s write 150)"
    );
    assert!(parse("beep:\n  ms: 10\n").is_ok());
}

#[test]
fn the_response_rules_are_the_originals_unless_chosen_and_a_wrong_choice_names_the_choices() {
    let e = parse("experiment: x\n").expect("valid");
    assert_eq!(
        (
            e.config.rt_from,
            e.config.response_buttons,
            e.config.response_window
        ),
        (
            RtFrom::LastDown,
            ResponseButtons::Any,
            ResponseWindow::Clock
        )
    );
    let e =
        parse("rt_from: press\nresponse_buttons: left\nresponse_window: frames\n").expect("valid");
    assert_eq!(
        (
            e.config.rt_from,
            e.config.response_buttons,
            e.config.response_window
        ),
        (RtFrom::Press, ResponseButtons::Left, ResponseWindow::Frames)
    );
    assert_eq!(
        error("response_buttons: right\n"),
        "exp.yaml:1: response_buttons: must be any or left, got right"
    );
}

#[test]
fn a_yaml_syntax_error_names_the_line() {
    let err = error("experiment: x\nbeep: [1, 2\nms_stim: 3\n");
    assert!(err.starts_with("exp.yaml:"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn negative_and_zero_durations_are_refused_at_their_line() {
    assert_eq!(
        error("experiment: x\nms_stim: -5\n"),
        "exp.yaml:2: ms_stim: must be a positive duration in ms, got -5"
    );
    assert_eq!(
        error("beep:\n  ms: 0\n"),
        "exp.yaml:2: beep.ms: must be a positive duration in ms, got 0"
    );
}

#[test]
fn a_duration_over_a_minute_is_refused_at_its_line() {
    assert_eq!(
        error("experiment: x\nms_resp_object: 1e12\n"),
        "exp.yaml:2: ms_resp_object: 1000000000000 ms is longer than a trial's phase may be \
         (60000 ms, a minute); durations are in milliseconds"
    );
    assert_eq!(
        error("beep:\n  ms: 90000\n"),
        "exp.yaml:2: beep.ms: 90000 ms is longer than a trial's phase may be (60000 ms, a \
         minute); durations are in milliseconds"
    );
}

#[test]
fn a_colour_out_of_range_is_refused() {
    assert_eq!(
        error("bg_color: 1.5\n"),
        "exp.yaml:1: bg_color: colour components must be between 0 and 1, got 1.5"
    );
    assert_eq!(
        error("fixation_color: [1, 0, -0.1]\n"),
        "exp.yaml:1: fixation_color: colour components must be between 0 and 1, got -0.1"
    );
    assert!(error("bg_color: grey\n").contains("expected a grey level"));
}

#[test]
fn the_response_categories_must_be_16_distinct_known_ones() {
    let mut cats: Vec<&str> = vec![
        "knife", "airplane", "keyboard", "elephant", "bicycle", "clock", "oven", "chair", "bear",
        "boat", "cat", "bottle", "truck", "car", "bird", "dog",
    ];
    let list = |cats: &[&str]| {
        let items: String = cats.iter().map(|c| format!("  - {c}\n")).collect();
        format!("experiment: x\nfinal_cats_responses:\n{items}")
    };
    assert!(parse(&list(&cats)).is_ok());
    cats[3] = "zebra";
    let err = error(&list(&cats));
    assert!(
        err.starts_with("exp.yaml:6: final_cats_responses[3]: unknown category 'zebra'"),
        "{err}"
    );
    cats[3] = "knife";
    assert!(error(&list(&cats))
        .starts_with("exp.yaml:6: final_cats_responses[3]: 'knife' is listed twice"));
    cats[3] = "elephant";
    assert_eq!(
        error(&list(&cats[..15])),
        "exp.yaml:2: final_cats_responses: must list all 16 categories once, found 15"
    );
}

#[test]
fn names_that_become_file_names_are_checked() {
    assert!(
        error("experiment: ../etc\n").starts_with("exp.yaml:1: experiment: '../etc' contains '/'")
    );
    assert!(error("code: s_5\n").starts_with("exp.yaml:1: code: 's_5' contains '_'"));
    assert!(error("condition: ''\n").starts_with("exp.yaml:1: condition: must not be empty"));
}

#[test]
fn flags_take_0_1_true_false_only() {
    assert!(parse("visual_feedback: true\n").is_ok());
    assert!(error("visual_feedback: 2\n").starts_with("exp.yaml:1: visual_feedback: expected 0, 1"));
}

#[test]
fn an_empty_config_is_refused() {
    assert_eq!(error("\n# nothing\n"), "exp.yaml: the config is empty");
}

#[test]
fn relative_paths_are_resolved_against_the_config_folder() {
    let e = Experiment::parse(
        Path::new("studies/a/exp.yaml"),
        "stimuli: imgs\noutput: data\n",
    )
    .expect("valid");
    assert_eq!(e.config.stimuli, Path::new("studies/a/imgs"));
    assert_eq!(e.config.output, Path::new("studies/a/data"));
}

#[test]
fn the_shipped_experiment_yaml_is_valid_and_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiment.yaml");
    let e = Experiment::load(&path).expect("experiment.yaml is valid");
    let text = e.text;
    // Every key, the optional ones given (a record leaves them out when absent).
    let all = Config {
        photodiode: Some(Photodiode::default()),
        ..Config::default()
    };
    let keys = serde_json::to_value(all).expect("serialises");
    assert!(keys.get("photodiode").is_some());
    for key in keys.as_object().expect("a map").keys() {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("experiment.yaml lacks `{key}`"));
        assert!(
            line.contains('#') || text.contains(&format!("# {key}")),
            "`{key}` has no comment"
        );
    }
}

#[test]
fn the_participants_texts_come_from_the_config_with_the_original_english_by_default() {
    let plain = parse("experiment: x\n").expect("valid");
    assert_eq!(plain.config.texts, texts::Texts::default());
    assert_eq!(plain.config.texts.start, "Click the mouse to start!");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiment.yaml");
    let shipped = Experiment::load(&shipped).expect("experiment.yaml is valid");
    assert_eq!(
        shipped.config.texts,
        texts::Texts::default(),
        "experiment.yaml shows the default texts"
    );
    // The paper's texture-guessing variant: the same images, other instructions.
    let e = parse(
        "experiment: x\ntexts:\n  instructions: Name the texture of each image, not the object.\n  break: Weiter mit Klick.\n  end: Danke!\n",
    )
    .expect("valid");
    assert_eq!(
        e.config.texts.instructions.as_deref(),
        Some("Name the texture of each image, not the object.")
    );
    assert_eq!(
        (
            e.config.texts.break_screen.as_str(),
            e.config.texts.end.as_str()
        ),
        ("Weiter mit Klick.", "Danke!")
    );
    assert_eq!(e.config.texts.start, "Click the mouse to start!");
    assert_eq!(
        error("experiment: x\ntexts:\n  end: Danke, {name}!\n"),
        "exp.yaml:3: texts.end: unknown placeholder {name}; this text has none"
    );
    assert_eq!(
        error("experiment: x\ntexts:\n  ending: Danke!\n"),
        "exp.yaml:3: texts: unknown key `ending` (did you mean `end`?)"
    );
}

#[test]
fn the_photodiode_patch_is_off_unless_configured() {
    assert_eq!(
        parse("experiment: x\n").expect("valid").config.photodiode,
        None
    );
    let e = parse("photodiode:\n  corner: top-right\n  size: 80\n").expect("valid");
    assert_eq!(
        e.config.photodiode,
        Some(Photodiode {
            corner: Corner::TopRight,
            size: 80
        })
    );
    // Keys left out take their defaults: bottom-left, 60 pixels.
    let e = parse("photodiode: {}\n").expect("valid");
    assert_eq!(e.config.photodiode, Some(Photodiode::default()));
}

#[test]
fn a_wrong_photodiode_patch_names_its_line_and_key() {
    assert_eq!(
        error("experiment: x\nphotodiode:\n  corner: middle\n"),
        "exp.yaml:3: photodiode.corner: must be top-left, top-right, bottom-left or bottom-right, got middle"
    );
    assert_eq!(
        error("experiment: x\nphotodiode:\n  corner: top-left\n  size: 0\n"),
        "exp.yaml:4: photodiode.size: must be a size from 1 to 8192 pixels, got 0"
    );
    assert_eq!(
        error("photodiode:\n  size_px: 40\n"),
        "exp.yaml:2: photodiode: unknown key `size_px` (did you mean `size`?)"
    );
    assert_eq!(
        error("photodiode:\n  size: big\n"),
        "exp.yaml:2: photodiode.size: expected a whole number, got \"big\""
    );
}
