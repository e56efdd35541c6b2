//! The preflight's tables and checks: the session's phases and trials, the values that
//! differ from the original program's, and whether there is a sound output for the beep.

use egui::{Color32, Ui};

use crate::config::Experiment;
use crate::preflight::Preflight;
use crate::stimuli::practice::PracticeSource;
use crate::stimuli::StimulusSet;

const WARN: Color32 = Color32::from_rgb(230, 160, 40);
const PROBLEM: Color32 = Color32::from_rgb(220, 80, 60);

/// The session's stimuli, trials and phases, frame by frame.
pub(super) fn preflight_table(
    ui: &mut Ui,
    p: &Preflight,
    set: &StimulusSet,
    experiment: &Experiment,
    practice: bool,
) {
    let size = experiment.config.surround_size;
    ui.label(format!(
        "stimuli: {} ({} images, {} cue-conflict, {}); {size} px = {:.2} deg",
        set.root.display(),
        p.images.0,
        p.images.1,
        p.layout,
        p.stimulus_degrees
    ));
    for note in &set.notes {
        ui.colored_label(WARN, format!("  note: {note}"));
    }
    // The practice set is checked against the main set when it is loaded for a practice run.
    ui.label(format!(
        "practice: {}",
        PracticeSource::of(experiment).describe(practice)
    ));
    ui.label(format!(
        "trials: {} in {} block(s); frames planned at {:.2} Hz",
        p.trials, p.blocks, p.refresh_hz
    ));
    egui::Grid::new("phases").striped(true).show(ui, |ui| {
        for head in ["phase", "asked ms", "frames", "achieved ms"] {
            ui.strong(head);
        }
        ui.end_row();
        for row in &p.phases {
            ui.label(row.name);
            ui.label(row.asked_ms.map_or("-".into(), |ms| format!("{ms:.1}")));
            ui.label(row.frames.to_string());
            ui.label(format!("{:.1}", row.achieved_ms));
            ui.end_row();
        }
    });
    differences_ui(ui, experiment);
}

/// The config's values that differ from the original's, one line each.
fn differences_ui(ui: &mut Ui, experiment: &Experiment) {
    let differences = crate::original::differences(&experiment.config);
    if differences.is_empty() {
        ui.label("original: every value the paper's procedure fixes is the original's");
        return;
    }
    ui.colored_label(WARN, "differs from the original:");
    for d in differences {
        ui.colored_label(WARN, format!("  {d}"));
    }
}

/// The sound check's result; without sound, the choice to run silent knowingly.
pub(super) fn sound_ui(ui: &mut Ui, sound: &Result<(), String>, allow_silent: &mut bool) {
    match sound {
        Ok(()) => {
            ui.label("sound: the beep plays on the default sound output");
        }
        Err(e) => {
            ui.colored_label(PROBLEM, format!("sound: no sound output ({e})"));
            ui.checkbox(
                allow_silent,
                "Run without sound: no beep after unanswered trials (noted in the session record)",
            );
        }
    }
}

/// Why a person's session cannot start: no sound and not started knowingly without it.
pub(super) fn sound_problem(sound: &Result<(), String>, allow_silent: bool) -> Option<String> {
    match sound {
        Err(e) if !allow_silent => Some(format!(
            "sound: no sound output ({e}); a session beeps after every trial without an answer: \
             connect a sound output, or tick \"Run without sound\""
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable;

    #[test]
    fn without_sound_the_preflight_names_the_device_error_and_offers_to_run_silent() {
        let sound = Err("ALSA: no default device".to_string());
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, allow: &mut bool| sound_ui(ui, &sound, allow),
            false,
        );
        assert!(harness
            .query_by_label("sound: no sound output (ALSA: no default device)")
            .is_some());
        assert!(sound_problem(&sound, false).is_some_and(|p| p.contains("ALSA: no default device")));
        harness
            .get_by_label(
                "Run without sound: no beep after unanswered trials (noted in the session record)",
            )
            .click();
        harness.run();
        assert!(*harness.state());
        assert_eq!(sound_problem(&sound, true), None);
        assert_eq!(sound_problem(&Ok(()), false), None);
    }
}
