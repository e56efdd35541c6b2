//! Config files from outside: the original lab's parameter file.

mod common;

use shapelab::config::{Config, Experiment};

#[test]
fn the_original_parameter_file_is_a_valid_config_with_our_default_values() {
    let Some(path) = common::shared("texture-vs-shape/original-params.yaml") else {
        return;
    };
    let original = Experiment::load(&path).expect("the original file is a valid config");
    let ours = serde_json::to_value(Config::default()).expect("serialises");
    let theirs = serde_json::to_value(&original.config).expect("serialises");
    let keys = [
        "ms_fixation",
        "ms_stim",
        "ms_mask",
        "ms_resp_object",
        "ms_resp_object_practice",
        "surround_size",
        "fixation_size",
        "ms_feedback",
        "auditive_feedback",
        "visual_feedback",
        "bg_color",
        "dist_monitor",
        "num_trials_per_block",
        "num_practice_trials_per_block",
        "box_size",
        "object_gap",
        "conditions",
        "final_cats_responses",
    ];
    let written = std::fs::read_to_string(&path).expect("readable");
    for key in keys {
        assert!(
            written.contains(&format!("{key}:")),
            "the original file has no {key}"
        );
        assert_eq!(theirs[key], ours[key], "{key}");
    }
}

#[test]
fn the_category_table_equals_the_papers_imagenet_mapping() {
    let Some(path) = common::shared("texture-vs-shape/imagenet-16-class-indices.json") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("readable");
    let mapping: std::collections::BTreeMap<String, Vec<usize>> =
        serde_json::from_str(&text).expect("json");
    assert_eq!(mapping.len(), 16);
    for category in shapelab::categories::ALL {
        let ours: Vec<usize> = category.imagenet_indices().collect();
        assert_eq!(Some(&ours), mapping.get(category.name()), "{category}");
    }
}
