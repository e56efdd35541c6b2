//! What the participant reads (`texts:` in the config): every text screen's words, so that a
//! lab can translate them or run the paper's content-guessing and texture-guessing variants
//! (the same images, other instructions). The defaults are the original program's English.

use serde::{Deserialize, Serialize};

/// The texts of the start, break and end screens. Words in braces are filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Texts {
    /// Instructions shown on the start screen, above `start`, before the first trial (and
    /// when a session is resumed); none by default.
    pub instructions: Option<String>,
    /// The start screen's request to click.
    pub start: String,
    /// Above `start` when a session is resumed; `{trial}` is the first trial shown.
    pub resume: String,
    /// The block summary of the break and end screens: `{correct}`, `{trials}`, `{percent}`,
    /// `{block}`, `{blocks}`, `{no_answer}` (percentages with one decimal).
    pub block: String,
    /// The break screen's request to click, below the summary.
    #[serde(rename = "break")]
    pub break_screen: String,
    /// Below a break's summary when more than 2 % of the block's trials had no answer.
    pub no_answer_warning: String,
    /// The end screen's last line, below the summary.
    pub end: String,
}

impl Default for Texts {
    fn default() -> Texts {
        Texts {
            instructions: None,
            start: "Click the mouse to start!".into(),
            resume: "Continuing at trial {trial}.".into(),
            block: "You answered {correct} of {trials} trials correctly ({percent} %).\n\
                    Blocks finished: {block} of {blocks}.\n\
                    No answer: {no_answer} % of the trials."
                .into(),
            break_screen: "Click the mouse to continue.".into(),
            no_answer_warning: "Please respond on every trial. If you are unsure, guess!".into(),
            end: "Thank you!".into(),
        }
    }
}

/// The placeholders each text may use, by its key.
const PLACEHOLDERS: [(&str, &[&str]); 2] = [
    ("resume", &["trial"]),
    (
        "block",
        &[
            "correct",
            "trials",
            "percent",
            "block",
            "blocks",
            "no_answer",
        ],
    ),
];

impl Texts {
    /// Every text with its key under `texts`.
    fn all(&self) -> Vec<(&'static str, &str)> {
        let mut all = vec![
            ("start", self.start.as_str()),
            ("resume", self.resume.as_str()),
            ("block", self.block.as_str()),
            ("break", self.break_screen.as_str()),
            ("no_answer_warning", self.no_answer_warning.as_str()),
            ("end", self.end.as_str()),
        ];
        if let Some(instructions) = &self.instructions {
            all.push(("instructions", instructions.as_str()));
        }
        all
    }

    /// Refuses a placeholder a text cannot have (a typo would show braces to the participant):
    /// `Err((key, message))`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (key, text) in self.all() {
            let allowed = PLACEHOLDERS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(&[][..], |(_, names)| *names);
            for name in placeholders(text) {
                if !allowed.contains(&name) {
                    let hint = match allowed {
                        [] => "this text has none".to_string(),
                        names => format!("use {}", braced(names)),
                    };
                    return Err((key, format!("unknown placeholder {{{name}}}; {hint}")));
                }
            }
        }
        Ok(())
    }
}

/// The `{name}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                found.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    found
}

fn braced(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fills the placeholders of `text` with `values`.
pub fn fill(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_string(), |out, (name, value)| {
        out.replace(&format!("{{{name}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_a_text_cannot_have_is_refused_with_the_ones_it_can() {
        assert_eq!(Texts::default().check(), Ok(()));
        let texts = Texts {
            block: "{correct} von {trial}".into(),
            ..Texts::default()
        };
        assert_eq!(
            texts.check(),
            Err((
                "block",
                "unknown placeholder {trial}; use {correct}, {trials}, {percent}, {block}, {blocks}, {no_answer}"
                    .into()
            ))
        );
        let texts = Texts {
            end: "Danke {name}!".into(),
            ..Texts::default()
        };
        assert_eq!(
            texts.check(),
            Err((
                "end",
                "unknown placeholder {name}; this text has none".into()
            ))
        );
        assert_eq!(
            fill("trial {trial} of {trial}", &[("trial", "13".into())]),
            "trial 13 of 13"
        );
    }
}
