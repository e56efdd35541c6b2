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
    /// The block summary of the break screen: `{correct}`, `{trials}`, `{percent}`,
    /// `{block}`, `{blocks}`, `{no_answer}` (percentages with two decimals, as the original).
    pub block: String,
    /// The break screen's request to click, below the summary.
    #[serde(rename = "break")]
    pub break_screen: String,
    /// Below a break's summary (and the practice's end) when more than 2 % of the block's
    /// trials had no answer.
    pub no_answer_warning: String,
    /// The last block's summary on the end screen, with the placeholders of `block`.
    pub end_summary: String,
    /// The end screen's last lines, below `end_summary`.
    pub end: String,
    /// The start screen's request to click in a practice run (instead of `start`): it says
    /// that this is practice.
    pub practice_start: String,
    /// The end screen of a practice run (instead of `end_summary` and `end`), with the
    /// placeholders of `block`: it must not say that the study is over.
    pub practice_end: String,
}

/// The original's block summary (`texture_shape_experiment.m`, the break screen).
const ORIGINAL_BLOCK: &str = "{correct} out of the last {trials} object identifications correct. \
                              That corresponds to {percent} % correct.\n\
                              You have finished {block} blocks out of {blocks}.\n\
                              You have failed to give an answer in {no_answer} % of the trials.";

impl Default for Texts {
    fn default() -> Texts {
        Texts {
            instructions: None,
            start: "Click the mouse to start!".into(),
            resume: "Continuing at trial {trial}.".into(),
            block: ORIGINAL_BLOCK.into(),
            break_screen: "Click a button to continue!".into(),
            no_answer_warning: "THIS IS TOO HIGH! PLEASE RESPOND EVERY TRIAL AND GUESS IF UNSURE!"
                .into(),
            end_summary: "{correct} out of the last {trials} object identifications correct. \
                          That corresponds to {percent} % correct."
                .into(),
            end: "You have finished this experiment now.\nThanks a lot for your participation!"
                .into(),
            practice_start: "Practice: these trials are for practice only.\n\
                             Click the mouse to start!"
                .into(),
            practice_end: "Practice finished: {correct} out of {trials} object identifications \
                           correct. That corresponds to {percent} % correct.\n\
                           You have failed to give an answer in {no_answer} % of the trials.\n\
                           The experiment itself follows."
                .into(),
        }
    }
}

/// The placeholders of a block summary.
const SUMMARY: &[&str] = &[
    "correct",
    "trials",
    "percent",
    "block",
    "blocks",
    "no_answer",
];

/// The placeholders each text may use, by its key.
const PLACEHOLDERS: [(&str, &[&str]); 4] = [
    ("resume", &["trial"]),
    ("block", SUMMARY),
    ("end_summary", SUMMARY),
    ("practice_end", SUMMARY),
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
            ("end_summary", self.end_summary.as_str()),
            ("end", self.end.as_str()),
            ("practice_start", self.practice_start.as_str()),
            ("practice_end", self.practice_end.as_str()),
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
