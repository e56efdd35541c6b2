//! The original program's values for everything the paper's procedure fixes
//! (`params_texture_shape_experiments.yaml` and `texture_shape_experiment.m`): the one table
//! that `init` writes into a new study's template, and that `check` and the launcher's
//! preflight compare a config against.

use serde_yaml_ng::Value;

use crate::config::Config;
use crate::error::{Error, Result};

/// One value the original fixed: the config key, the value as a config writes it, and the
/// comment the template gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginalValue {
    /// The top-level config key.
    pub key: &'static str,
    /// Its value in the original, as YAML.
    pub value: &'static str,
    /// What it is, for the template's comment.
    pub comment: &'static str,
}

const fn original(key: &'static str, value: &'static str, comment: &'static str) -> OriginalValue {
    OriginalValue {
        key,
        value,
        comment,
    }
}

/// The original's values, in the order of the template.
pub const ORIGINAL: [OriginalValue; 31] = [
    original(
        "num_trials_per_block",
        "256",
        "trials between breaks (the original's)",
    ),
    original(
        "num_practice_trials_per_block",
        "160",
        "trials between breaks in practice",
    ),
    original(
        "frame_rounding",
        "ceil",
        "ms -> frames: never shorter, as the original",
    ),
    original(
        "blank_frames",
        "1",
        "one blank frame after the stimulus and the mask",
    ),
    original("dist_monitor", "107", "viewing distance in cm"),
    original(
        "bg_color",
        "0.7614",
        "background grey (the mean of all images)",
    ),
    original(
        "fixation_size",
        "230",
        "side of the fixation square in pixels",
    ),
    original("surround_size", "224", "stimulus size in pixels"),
    original(
        "ms_fixation",
        "300",
        "fixation before each stimulus and between trials",
    ),
    original(
        "ms_inter_trial",
        "null",
        "null: ms_fixation, as the original",
    ),
    original("ms_stim", "200", "stimulus presentation"),
    original("ms_mask", "200", "pink-noise mask presentation"),
    original("ms_resp_object", "1500", "fixed response window"),
    original(
        "ms_resp_object_practice",
        "1500",
        "fixed response window in practice",
    ),
    original(
        "ms_feedback",
        "300",
        "how long the correct box is highlighted",
    ),
    original(
        "rt_from",
        "last_down",
        "rt: the last moment a button was down over a box",
    ),
    original(
        "response_buttons",
        "any",
        "any button answers, as any(buttons)",
    ),
    original(
        "response_window",
        "clock",
        "the window in clock time, as GetSecs",
    ),
    original(
        "auditive_feedback",
        "0",
        "no beep after wrong answers (no answer beeps)",
    ),
    original("visual_feedback", "0", "no highlight of the correct box"),
    original("box_size", "129", "side of a response box in pixels"),
    original("object_gap", "10", "gap between response boxes in pixels"),
    original(
        "final_cats_responses",
        "[knife, airplane, keyboard, elephant, bicycle, clock, oven, chair, bear, boat, cat, bottle, truck, car, bird, dog]",
        "the 16 categories, grid column by column",
    ),
    original(
        "fixation_color",
        "1.0",
        "white, as FrameRect [255 255 255]",
    ),
    original(
        "fixation_line_width",
        "1",
        "FrameRect's default line width",
    ),
    original("mask.exponent", "-1", "pink noise, as pinknoise_generate"),
    original("mask.contrast", "4", "(noise - 0.5) * 4 + 0.5"),
    original("mask.size", "224", "224 x 224 mask"),
    original("beep.ms", "150", "the beep's .15 s"),
    original(
        "practice.trials",
        "null",
        "null: one practice block, num_practice_trials_per_block",
    ),
    original(
        "practice.allow_cue_conflict",
        "false",
        "practice images without cue conflict",
    ),
];

/// Every value the original fixed.
pub fn values() -> impl Iterator<Item = &'static OriginalValue> {
    ORIGINAL.iter()
}

/// A config value that differs from the original's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The config key.
    pub key: &'static str,
    /// Its value in the config.
    pub value: String,
    /// The original's.
    pub original: &'static str,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (the original: {})",
            self.key, self.value, self.original
        )
    }
}

/// The values of `config` that differ from the original's, in the table's order.
pub fn differences(config: &Config) -> Vec<Difference> {
    let (Ok(ours), Ok(theirs)) = (
        serde_yaml_ng::to_value(config),
        serde_yaml_ng::to_value(original_config()),
    ) else {
        return Vec::new();
    };
    values()
        .filter(|o| lookup(&ours, o.key) != lookup(&theirs, o.key))
        .map(|o| Difference {
            key: o.key,
            value: lookup(&ours, o.key).map_or_else(String::new, inline),
            original: o.value,
        })
        .collect()
}

/// The value of a config key, `practice.trials` being `trials` in `practice`.
fn lookup<'v>(config: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.')
        .try_fold(config, |value, part| value.get(part))
}

/// The table as a config's YAML, dotted keys in their sections.
fn table_yaml() -> String {
    let mut sections: Vec<(&str, String)> = Vec::new();
    let mut text = String::new();
    for o in values() {
        match o.key.split_once('.') {
            None => text.push_str(&format!("{}: {}\n", o.key, o.value)),
            Some((section, key)) => {
                let line = format!("  {key}: {}\n", o.value);
                match sections.iter_mut().find(|(s, _)| *s == section) {
                    Some((_, lines)) => lines.push_str(&line),
                    None => sections.push((section, line)),
                }
            }
        }
    }
    for (section, lines) in sections {
        text.push_str(&format!("{section}:\n{lines}"));
    }
    text
}

/// A config with the original's values (and the defaults elsewhere).
fn original_config() -> Config {
    // The table is ours and its values parse: a test says so.
    serde_yaml_ng::from_str(&table_yaml()).unwrap_or_default()
}

/// A value on one line, as a config would write it: `300`, `[0.5, 0.5, 0.5]`.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// The template `init` writes: the demo config `demo` with every value that differs from
/// the original's set to the original's, with the table's comment.
pub fn template(demo: &str) -> Result<String> {
    let config: Config = serde_yaml_ng::from_str(demo)
        .map_err(|e| Error::new(format!("the built-in template does not parse: {e}")))?;
    let mut text = demo.to_string();
    for difference in differences(&config) {
        let o = values()
            .find(|o| o.key == difference.key)
            .copied()
            .unwrap_or(ORIGINAL[0]);
        let Some(line) = line_of(&text, o.key) else {
            return Err(Error::new(format!(
                "the built-in template has no line for {}",
                o.key
            )));
        };
        text = text.replacen(line, template_line(&o).trim_end(), 1);
    }
    Ok(text)
}

/// The line of a config's `text` that sets `key`; for `practice.trials`, the `  trials:` line
/// of the `practice:` section.
pub fn line_of<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let (section, key) = match key.split_once('.') {
        Some((section, key)) => (Some(section), key),
        None => (None, key),
    };
    let mut lines = text.lines();
    if let Some(section) = section {
        lines.find(|l| l.starts_with(&format!("{section}:")))?;
    }
    let indent = if section.is_some() { "  " } else { "" };
    lines
        .take_while(|l| section.is_none() || l.is_empty() || l.starts_with(' '))
        .find(|l| l.starts_with(&format!("{indent}{key}:")))
}

/// `key: value` with the comment in the template's comment column (indented in a section).
fn template_line(o: &OriginalValue) -> String {
    let setting = match o.key.split_once('.') {
        Some((_, key)) => format!("  {key}: {}", o.value),
        None => format!("{}: {}", o.key, o.value),
    };
    format!("{setting:<29} # {}\n", o.comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../experiment.yaml");

    /// The difference lines `check` prints for a config of `yaml`.
    fn difference_lines(yaml: &str) -> Vec<String> {
        let config: Config = serde_yaml_ng::from_str(yaml).expect("parses");
        differences(&config).iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn the_table_parses_as_a_config_and_the_defaults_are_the_originals_but_the_block() {
        let parsed: Config = serde_yaml_ng::from_str(&table_yaml()).expect("the table parses");
        assert!(differences(&parsed).is_empty());
        assert!(differences(&Config::default()).is_empty());
    }

    #[test]
    fn the_demo_differs_in_its_small_blocks_and_the_template_in_nothing() {
        assert_eq!(
            difference_lines(DEMO),
            [
                "num_trials_per_block: 16 (the original: 256)",
                "practice.trials: 16 (the original: null)"
            ]
        );
        let template = template(DEMO).expect("a template");
        let ours: Config = serde_yaml_ng::from_str(&template).expect("template parses");
        assert!(differences(&ours).is_empty());
        assert!(template.contains(
            "\nnum_trials_per_block: 256     # trials between breaks (the original's)\n"
        ));
        assert!(template.contains("\npractice:\n  stimuli: null  "));
        assert!(template.contains(
            "\n  trials: null                # null: one practice block, num_practice_trials_per_block\n"
        ));
    }

    #[test]
    fn a_section_key_that_differs_is_named_with_its_section() {
        assert_eq!(
            difference_lines("mask:\n  contrast: 2\nbeep:\n  ms: 300\n"),
            [
                "mask.contrast: 2 (the original: 4)",
                "beep.ms: 300 (the original: 150)"
            ]
        );
    }

    #[test]
    fn a_colour_and_a_flag_are_shown_as_a_config_writes_them() {
        assert_eq!(
            difference_lines("bg_color: 0.5\nvisual_feedback: 1\n"),
            [
                "bg_color: [0.5, 0.5, 0.5] (the original: 0.7614)",
                "visual_feedback: true (the original: 0)"
            ]
        );
    }
}
