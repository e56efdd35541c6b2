//! How the last session run from the launcher went: its results, a practice run's score, or
//! why its process failed and what it saved.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::thread::JoinHandle;

use egui::{Color32, Ui};

use super::percent;
use crate::analysis::session_results::{disturbed_line, SessionResults};
use crate::data::paths::SessionPaths;
use crate::data::progress::Progress;
use crate::data::record::Status;
use crate::trials::timeline::NO_ANSWER_WARNING_PERCENT;
use crate::trials::PracticeScore;

/// How the last session went.
pub(super) enum Outcome {
    /// A session that wrote data: its results, and its data file.
    Results(Box<SessionResults>, PathBuf),
    /// A practice run: its score, when it printed one.
    PracticeDone(Option<PracticeScore>),
    /// The session's process failed.
    Failed {
        /// How the session's process ended and its error, one line each.
        error: String,
        /// What the session saved and how to continue it, when it has files.
        saved: Option<String>,
        /// Raw-data rows the session could not save, to copy before anything else.
        unsaved: Vec<String>,
    },
}

impl Outcome {
    /// A failure with nothing saved.
    pub(super) fn failed(error: impl Into<String>) -> Outcome {
        Outcome::Failed {
            error: error.into(),
            saved: None,
            unsaved: Vec::new(),
        }
    }
}

/// How a session's process ended, e.g. `the session process was killed (signal 9, SIGKILL)`,
/// then the error it printed, if any (its last `error:` line; warnings are not the cause).
fn how_it_ended(status: std::process::ExitStatus, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.signal(), status.code()) {
        (Some(signal), _) => {
            let name = match signal {
                1 => " SIGHUP",
                2 => " SIGINT",
                6 => " SIGABRT",
                9 => " SIGKILL",
                11 => " SIGSEGV",
                15 => " SIGTERM",
                _ => "",
            };
            format!(
                "the session process was killed from outside (signal {signal}{})",
                name.replace(' ', ", ")
            )
        }
        (None, Some(code)) => format!("the session process ended with exit code {code}"),
        (None, None) => "the session process ended".to_string(),
    };
    match stderr.lines().rev().find_map(|l| l.strip_prefix("error: ")) {
        Some(error) => format!("{how}:\n{error}"),
        None => format!("{how}; it printed no error"),
    }
}

/// What a session that ended badly saved, and how to continue it (`resume`: the command).
fn what_was_saved(paths: &SessionPaths, resume: &str) -> Option<String> {
    let progress = Progress::read(paths).ok()?;
    let mut text = format!(
        "{} of {} trials saved in {}",
        progress.rows,
        progress.record.trials_planned,
        paths.saved_data().display()
    );
    if progress.unfinished() {
        text.push_str(&format!(
            ".\nResume it from the session page (trial {} comes next), or: {resume}",
            progress.rows + 1
        ));
    }
    Some(text)
}

/// The rows a session printed under `rows not saved (N):` before its error.
fn unsaved_rows(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("rows not saved ("))
        .skip(1)
        .take_while(|l| !l.starts_with("error: "))
        .map(String::from)
        .collect()
}

/// How a session's process that has ended went, from its exit `status`, what it printed and
/// its files (`paths`, none for practice); `resume` continues it.
pub(super) fn finished(
    status: std::process::ExitStatus,
    printed: &Printed,
    paths: Option<SessionPaths>,
    resume: &str,
) -> Outcome {
    if !status.success() {
        return Outcome::Failed {
            error: how_it_ended(status, &printed.stderr),
            saved: paths.as_ref().and_then(|p| what_was_saved(p, resume)),
            unsaved: unsaved_rows(&printed.stderr),
        };
    }
    match paths {
        Some(paths) => match SessionResults::read(&paths) {
            Ok(results) => Outcome::Results(Box::new(results), paths.saved_data().to_path_buf()),
            Err(e) => Outcome::failed(e.to_string()),
        },
        // Practice writes no data: its score comes from its console line.
        None => Outcome::PracticeDone(printed.stdout.lines().find_map(PracticeScore::parse)),
    }
}

/// What a session's process printed.
#[derive(Debug, Default)]
pub(super) struct Printed {
    /// Its standard output.
    pub(super) stdout: String,
    /// Its standard error.
    pub(super) stderr: String,
}

/// Passes what a child prints on `pipe` on, line by line, to the launcher's own standard
/// output or error (`to_stderr`), and returns all of it once the pipe closes.
pub(super) fn pass_on(pipe: impl Read + Send + 'static, to_stderr: bool) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(pipe).lines().map_while(|l| l.ok()) {
            if to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    })
}

/// Draws the outcome of the last session; true when the experimenter goes back.
pub(super) fn outcome_ui(ui: &mut Ui, outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Results(r, data) => {
            let status = match r.status {
                // The process ended normally, yet the record was not closed.
                Status::Running => Status::Interrupted,
                status => status,
            };
            ui.heading(match status {
                Status::Completed => "Session completed",
                Status::Aborted => "Session aborted",
                _ => "Session interrupted",
            });
            egui::Grid::new("results").num_columns(2).show(ui, |ui| {
                let rows = [
                    (
                        "trials",
                        format!("{} of {} done", r.trials, r.trials_planned),
                    ),
                    ("accuracy", percent(r.accuracy)),
                    ("no answer", percent(Some(r.no_answer_rate))),
                    (
                        "shape bias",
                        format!(
                            "{} over {} cue-conflict trials",
                            percent(r.shape_bias),
                            r.conflict_trials
                        ),
                    ),
                    ("timing", r.timing.clone()),
                    (
                        "dropped frames",
                        format!(
                            "{} late intervals in {} trials",
                            r.late_intervals, r.trials_with_late_frames
                        ),
                    ),
                    ("disturbed trials", disturbed_line(&r.disturbed)),
                    ("data", data.display().to_string()),
                ];
                for (name, value) in rows {
                    ui.label(name);
                    ui.strong(value);
                    ui.end_row();
                }
            });
        }
        Outcome::PracticeDone(score) => {
            ui.heading("Practice finished (no data written)");
            match score {
                Some(s) => practice_score_ui(ui, s),
                None => {
                    ui.label("The practice run printed no score.");
                }
            }
        }
        Outcome::Failed {
            error,
            saved,
            unsaved,
        } => {
            ui.heading("The session did not finish");
            ui.colored_label(Color32::from_rgb(220, 80, 60), error);
            if let Some(saved) = saved {
                ui.label(saved);
            }
            if !unsaved.is_empty() {
                ui.add_space(8.0);
                ui.label(format!(
                    "These {} raw-data rows were not saved (they are also in the console); \
                     copy them somewhere safe:",
                    unsaved.len()
                ));
                let mut rows = unsaved.join("\n");
                ui.add(
                    egui::TextEdit::multiline(&mut rows)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY),
                );
            }
        }
    }
    ui.button("Back to the launcher").clicked()
}

/// The score of a practice run: correct answers of the trials, and the no-answer rate with
/// the original's warning threshold.
fn practice_score_ui(ui: &mut Ui, score: &PracticeScore) {
    egui::Grid::new("practice score")
        .num_columns(2)
        .show(ui, |ui| {
            let rows = [
                (
                    "correct",
                    format!(
                        "{} of {} trials ({:.2} %)",
                        score.correct,
                        score.trials,
                        score.percent_correct()
                    ),
                ),
                (
                    "no answer",
                    format!("{} ({:.2} %)", score.no_answer, score.percent_no_answer()),
                ),
            ];
            for (name, value) in rows {
                ui.label(name);
                ui.strong(value);
                ui.end_row();
            }
        });
    if score.percent_no_answer() > NO_ANSWER_WARNING_PERCENT {
        ui.colored_label(
            Color32::from_rgb(220, 80, 60),
            "More than 2 % of the trials went unanswered: remind the participant to answer \
             every trial and to guess when unsure.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable;
    use std::collections::BTreeMap;

    #[test]
    fn the_results_page_names_the_disturbed_trials_and_their_causes() {
        let results = SessionResults {
            status: crate::data::record::Status::Completed,
            trials: 12,
            trials_planned: 12,
            accuracy: Some(0.5),
            no_answer_rate: 0.0,
            shape_bias: Some(0.5),
            conflict_trials: 10,
            timing: "synchronised".into(),
            late_intervals: 1,
            trials_with_late_frames: 1,
            disturbed: BTreeMap::from([
                (3, "window_unfocused".to_string()),
                (9, "late_frames;storage_pause".to_string()),
            ]),
        };
        let outcome = Outcome::Results(Box::new(results), PathBuf::from("d.csv"));
        let harness = egui_kittest::Harness::new_ui(|ui| {
            outcome_ui(ui, &outcome);
        });
        assert!(harness
            .query_by_label("trial 3 (window_unfocused), trial 9 (late_frames, storage_pause)")
            .is_some());
    }

    #[test]
    fn the_rows_a_session_could_not_save_are_picked_out_of_its_messages() {
        let stderr = "warning: no audio output\nwarning: d.csv: cannot write a row: No space left on device (os error 28); the session is paused; kept in memory: the row of trial 7\nrows not saved (2):\ns1,1,7,0.5,cat,cat,0,a.png\ns1,1,8,NaN,na,dog,0,b.png\nerror: d.csv: cannot write a row: No space left on device (os error 28); the session was ended without saving the rows of trials 7, 8 (the rows are printed above); continue it with --resume once the data folder can be written\n";
        assert_eq!(
            unsaved_rows(stderr),
            ["s1,1,7,0.5,cat,cat,0,a.png", "s1,1,8,NaN,na,dog,0,b.png"]
        );
        assert!(unsaved_rows("error: the config is empty\n").is_empty());
    }

    #[test]
    fn a_practice_runs_score_is_read_from_its_console_line_and_shown() {
        use std::os::unix::process::ExitStatusExt;
        let printed = Printed {
            stdout: "practice completed (no data written)\ntrials      16\n\
                     score       12 of 16 correct (75.00 %), no answer 1 (6.25 %)\n"
                .into(),
            stderr: String::new(),
        };
        let outcome = finished(std::process::ExitStatus::from_raw(0), &printed, None, "");
        let Outcome::PracticeDone(Some(score)) = &outcome else {
            panic!("no score read");
        };
        assert_eq!((score.correct, score.trials, score.no_answer), (12, 16, 1));
        let harness = egui_kittest::Harness::new_ui(|ui| {
            outcome_ui(ui, &outcome);
        });
        assert!(harness
            .query_by_label("12 of 16 trials (75.00 %)")
            .is_some());
        assert!(harness.query_by_label("1 (6.25 %)").is_some());
        assert!(harness
            .query_by_label_contains("More than 2 % of the trials went unanswered")
            .is_some());
    }
}
