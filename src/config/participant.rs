//! Participant information (`participant_info:` in the config): the questions a lab asks
//! before a session, e.g. age, sex, handedness, corrected vision, consent. The answers go to
//! the session record, never to the raw-data CSV, whose format the reference analyses fix.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One question about the participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoField {
    /// The answer's name, e.g. `age`.
    pub name: String,
    /// Whether a session can start without an answer.
    #[serde(default)]
    pub required: bool,
    /// The allowed answers; any text when empty.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// Checks `answers` (name, value) against the questions: every required one answered, no
/// unknown name, choices kept. Returns the answers by name, or what is wrong.
pub fn check_answers(
    fields: &[InfoField],
    answers: &[(String, String)],
) -> Result<BTreeMap<String, String>, String> {
    let mut checked = BTreeMap::new();
    for (name, value) in answers {
        let Some(field) = fields.iter().find(|f| &f.name == name) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            return Err(match names.is_empty() {
                true => format!("'{name}' is not asked: the config's participant_info is empty"),
                false => format!(
                    "'{name}' is not asked (participant_info: {})",
                    names.join(", ")
                ),
            });
        };
        let value = value.trim();
        if !value.is_empty() {
            if !field.choices.is_empty() && !field.choices.iter().any(|c| c == value) {
                return Err(format!(
                    "{name}: '{value}' is not one of {}",
                    field.choices.join(", ")
                ));
            }
            checked.insert(name.clone(), value.to_string());
        }
    }
    let missing: Vec<&str> = fields
        .iter()
        .filter(|f| f.required && !checked.contains_key(&f.name))
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!("required, but not given: {}", missing.join(", ")));
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, required: bool, choices: &[&str]) -> InfoField {
        InfoField {
            name: name.into(),
            required,
            choices: choices.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let fields = [
            field("age", true, &[]),
            field("handedness", false, &["left", "right"]),
        ];
        let given = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            check_answers(&fields, &given(&[("age", "23")])),
            Ok(BTreeMap::from([("age".to_string(), "23".to_string())]))
        );
        assert_eq!(
            check_answers(&fields, &given(&[("handedness", "left")])),
            Err("required, but not given: age".into())
        );
        assert_eq!(
            check_answers(&fields, &given(&[("age", "23"), ("handedness", "both")])),
            Err("handedness: 'both' is not one of left, right".into())
        );
        assert_eq!(
            check_answers(&fields, &given(&[("age", "23"), ("sex", "f")])),
            Err("'sex' is not asked (participant_info: age, handedness)".into())
        );
    }
}
