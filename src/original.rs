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
pub const ORIGINAL: [OriginalValue; 22] = [
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
        .filter(|o| ours.get(o.key) != theirs.get(o.key))
        .map(|o| Difference {
            key: o.key,
            value: ours.get(o.key).map_or_else(String::new, inline),
            original: o.value,
        })
        .collect()
}

/// A config with the original's values (and the defaults elsewhere).
fn original_config() -> Config {
    let text: String = values()
        .map(|o| format!("{}: {}\n", o.key, o.value))
        .collect();
    // The table is ours and its values parse: a test says so.
    serde_yaml_ng::from_str(&text).unwrap_or_default()
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
        let prefix = format!("{}:", o.key);
        let Some(line) = text.lines().find(|l| l.starts_with(&prefix)) else {
            text.push_str(&template_line(&o));
            continue;
        };
        text = text.replacen(line, template_line(&o).trim_end(), 1);
    }
    Ok(text)
}

/// `key: value` with the comment in the template's comment column.
fn template_line(o: &OriginalValue) -> String {
    format!(
        "{:<29} # {}\n",
        format!("{}: {}", o.key, o.value),
        o.comment
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../experiment.yaml");

    #[test]
    fn the_table_parses_as_a_config_and_the_defaults_are_the_originals_but_the_block() {
        let text: String = values()
            .map(|o| format!("{}: {}\n", o.key, o.value))
            .collect();
        let parsed: Config = serde_yaml_ng::from_str(&text).expect("the table parses");
        assert!(differences(&parsed).is_empty());
        assert!(differences(&Config::default()).is_empty());
    }

    #[test]
    fn the_demo_differs_in_its_small_blocks_and_the_template_in_nothing() {
        let demo: Config = serde_yaml_ng::from_str(DEMO).expect("demo parses");
        let lines: Vec<String> = differences(&demo).iter().map(|d| d.to_string()).collect();
        assert_eq!(lines, ["num_trials_per_block: 16 (the original: 256)"]);
        let template = template(DEMO).expect("a template");
        let ours: Config = serde_yaml_ng::from_str(&template).expect("template parses");
        assert!(differences(&ours).is_empty());
        assert!(template.contains(
            "\nnum_trials_per_block: 256     # trials between breaks (the original's)\n"
        ));
    }

    #[test]
    fn a_colour_and_a_flag_are_shown_as_a_config_writes_them() {
        let config: Config =
            serde_yaml_ng::from_str("bg_color: 0.5\nvisual_feedback: 1\n").expect("parses");
        let lines: Vec<String> = differences(&config).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            lines,
            [
                "bg_color: [0.5, 0.5, 0.5] (the original: 0.7614)",
                "visual_feedback: true (the original: 0)"
            ]
        );
    }
}
