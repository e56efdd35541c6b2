//! The score of a practice run. Practice writes no data, so its score is all the experimenter
//! learns of it: the run prints it as one stable console line, which the launcher reads back.

use super::timeline::TrialResult;

/// The label of the score line, followed by spaces up to the width of the summary labels.
const LABEL: &str = "score       ";

/// Answers of a practice run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PracticeScore {
    /// Trials answered or left unanswered.
    pub trials: usize,
    /// Answers that were the shape category.
    pub correct: usize,
    /// Trials without an answer.
    pub no_answer: usize,
}

impl PracticeScore {
    /// Counts one trial's answer.
    pub fn add(&mut self, result: &TrialResult) {
        self.count(result.correct, result.response.is_some());
    }

    /// Counts one trial: whether its answer was correct, whether there was one.
    pub fn count(&mut self, correct: bool, answered: bool) {
        self.trials += 1;
        self.correct += usize::from(correct);
        self.no_answer += usize::from(!answered);
    }

    /// Percentage of correct answers.
    pub fn percent_correct(&self) -> f64 {
        percent(self.correct, self.trials)
    }

    /// Percentage of trials without an answer.
    pub fn percent_no_answer(&self) -> f64 {
        percent(self.no_answer, self.trials)
    }

    /// The console line, e.g. `score       12 of 16 correct (75.00 %), no answer 1 (6.25 %)`.
    pub fn line(&self) -> String {
        format!(
            "{LABEL}{} of {} correct ({:.2} %), no answer {} ({:.2} %)",
            self.correct,
            self.trials,
            self.percent_correct(),
            self.no_answer,
            self.percent_no_answer()
        )
    }

    /// How the run ended and its score line, one line each.
    pub fn report(&self, aborted: bool) -> String {
        format!("{}\n{}", ending(aborted), self.line())
    }

    /// Reads back a [`PracticeScore::line`]; `None` for any other line.
    pub fn parse(line: &str) -> Option<PracticeScore> {
        let rest = line.strip_prefix(LABEL)?;
        let (correct, rest) = rest.split_once(" of ")?;
        let (trials, rest) = rest.split_once(" correct (")?;
        let (_, rest) = rest.split_once("), no answer ")?;
        let (no_answer, _) = rest.split_once(" (")?;
        Some(PracticeScore {
            trials: trials.parse().ok()?,
            correct: correct.parse().ok()?,
            no_answer: no_answer.parse().ok()?,
        })
    }
}

/// How a practice run ended, e.g. `practice completed (no data written)`.
pub fn ending(aborted: bool) -> String {
    let how = if aborted { "aborted" } else { "completed" };
    format!("practice {how} (no data written)")
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_line_reads_back_as_the_score() {
        let mut score = PracticeScore::default();
        for (correct, answered) in [(true, true), (false, true), (false, false), (true, true)] {
            score.count(correct, answered);
        }
        let line = score.line();
        assert_eq!(
            line,
            "score       2 of 4 correct (50.00 %), no answer 1 (25.00 %)"
        );
        assert_eq!(PracticeScore::parse(&line), Some(score));
        assert_eq!(PracticeScore::parse("trials      4"), None);
    }
}
