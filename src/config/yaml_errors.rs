//! serde's YAML and type errors in the lab's words: `file:line: key: message`, with the
//! nearest key for a typo.

use std::path::Path;

use super::lines;
use crate::error::Error;

/// Turns a YAML or type error into `file:line: message`, suggesting the nearest key for typos.
pub(super) fn yaml_error(path: &Path, text: &str, err: &serde_yaml_ng::Error) -> Error {
    // Escaped as the key appears in the text, so that the key is recognised in the message.
    let full = crate::error::one_line(&err.to_string());
    let message = full.split(" at line ").next().unwrap_or(&full).to_string();
    let message = match unknown_key(&message) {
        Some((key, expected)) => {
            let hint = nearest(&key, &expected)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            let prefix = message.split("unknown field").next().unwrap_or("");
            format!("{prefix}unknown key `{key}`{hint}")
        }
        None => message,
    };
    if let Some(key) = duplicate_key(&message) {
        let from = err.location().map_or(1, |l| l.line());
        return match lines::repeated_key(text, from, key) {
            Some((first, second)) => Error::at_line(
                path,
                second,
                format!("`{key}` is given twice (first at line {first})"),
            ),
            None => Error::in_file(path, format!("`{key}` is given twice")),
        };
    }
    let line = err
        .location()
        .map(|l| l.line())
        .or_else(|| unknown_key(&full).and_then(|(key, _)| lines::line_of(text, &[&key])));
    // Errors raised inside our own value types lose serde's key path: name the key again.
    let key = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| lines::key_of(l.trim_start()));
    let message = match key {
        Some(key) if !message.contains(':') && !message.contains(key) => {
            format!("{key}: {message}")
        }
        _ => message,
    };
    let message = in_lab_words(&message);
    match line {
        Some(line) => Error::at_line(path, line, message),
        None => Error::in_file(path, message),
    }
}

/// Says serde's type errors in the lab's words: `ms_stim: invalid type: string "200ms",
/// expected f64` becomes `ms_stim: expected a number of milliseconds (e.g. 200), got "200ms"`.
fn in_lab_words(message: &str) -> String {
    if let Some((prefix, rest)) = message.split_once("unknown variant `") {
        if let Some((got, expected)) = rest.split_once("`, expected ") {
            let choices: Vec<&str> = expected
                .trim_start_matches("one of ")
                .split('`')
                .skip(1)
                .step_by(2)
                .collect();
            let choices = match choices.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => choices.concat(),
            };
            return format!("{prefix}must be {choices}, got {got}");
        }
    }
    let Some((prefix, rest)) = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|marker| message.split_once(marker))
    else {
        return message.to_string();
    };
    let Some((got, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_string();
    };
    let got = match got.split_once(' ') {
        Some(("string" | "floating" | "integer" | "boolean" | "unsigned", value)) => value
            .trim_start_matches("point ")
            .trim_start_matches("integer ")
            .trim_matches('`')
            .to_string(),
        _ => match got {
            "sequence" => "a list".to_string(),
            "map" => "keys below it".to_string(),
            "unit value" => "nothing".to_string(),
            other => other.to_string(),
        },
    };
    let key = prefix.trim_end_matches([':', ' ']);
    let last = key.rsplit('.').next().unwrap_or(key);
    let expected = match expected {
        "f64" if last.starts_with("ms_") || last == "ms" => {
            "a number of milliseconds (e.g. 200)".to_string()
        }
        "f64" | "f32" => "a number".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" if got.starts_with('-') => {
            "a whole number of 0 or more".to_string()
        }
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "a whole number".to_string(),
        "a sequence" => "a list".to_string(),
        "a boolean" => "true or false".to_string(),
        other => other.to_string(),
    };
    format!("{prefix}expected {expected}, got {got}")
}

/// The key of serde's "duplicate field" message.
fn duplicate_key(message: &str) -> Option<&str> {
    let rest = message.split("duplicate field `").nth(1)?;
    rest.split_once('`').map(|(key, _)| key)
}

/// The unknown key and the expected ones from serde's "unknown field" message.
fn unknown_key(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split("unknown field `").nth(1)?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    Some((key.to_string(), expected))
}

fn nearest<'a>(key: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&key.to_lowercase(), c), c))
        .filter(|(d, c)| *d <= key.len().max(c.len()) / 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}
