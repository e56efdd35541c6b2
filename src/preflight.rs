//! What a session will be, worked out before it starts: frames per phase and the durations
//! they achieve at a refresh rate, trials and blocks, and the stimulus size in visual degrees.
//! `shapelab check` prints it; the launcher shows it beside the Start button.

use crate::config::Experiment;
use crate::stimuli::{Layout, StimulusSet};
use crate::trials::frames::achieved_ms;
use crate::trials::plan::PlanRequest;
use crate::trials::{PhaseFrames, SessionPlan};

/// One phase of a trial as it will be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRow {
    /// The phase, in the lab's words.
    pub name: &'static str,
    /// The duration asked for in the config, when the phase has one.
    pub asked_ms: Option<f64>,
    /// Whole frames shown.
    pub frames: u32,
    /// What those frames last at the refresh rate.
    pub achieved_ms: f64,
}

/// The numbers an experimenter checks before a session.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The refresh rate the frames were planned for (measured, or else the config's).
    pub refresh_hz: f64,
    /// The phases of one trial.
    pub phases: Vec<PhaseRow>,
    /// Trials in the session.
    pub trials: usize,
    /// Blocks (breaks between them).
    pub blocks: usize,
    /// Images in the stimulus set, and how many are cue-conflict images.
    pub images: (usize, usize),
    /// How the stimulus folder is laid out, and whose images it holds.
    pub layout: String,
    /// The stimulus side in degrees of visual angle at the configured distance.
    pub stimulus_degrees: f64,
}

impl Preflight {
    /// The plan of session `session` of `subject` at `refresh_hz`, on an opened stimulus set;
    /// `Err` names the config value that makes the timing impossible, or the subject's missing
    /// folder.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        experiment: &Experiment,
        set: &StimulusSet,
        subject: &str,
        session: u32,
        practice: bool,
        refresh_hz: f64,
        limit: Option<usize>,
    ) -> Result<Preflight, String> {
        let c = &experiment.config;
        let frames = PhaseFrames::new(c, refresh_hz, practice)?;
        let block_size = if practice {
            c.num_practice_trials_per_block
        } else {
            c.num_trials_per_block
        };
        let practice_limit = practice.then(|| c.practice.trials.unwrap_or(block_size));
        let layout = describe_layout(set);
        let images = (
            set.stimuli.len(),
            set.stimuli.iter().filter(|s| s.is_conflict()).count(),
        );
        let own = set
            .for_participant(subject, session, practice, c.pre_ordered_shared)
            .map_err(|e| e.to_string())?;
        let plan = SessionPlan::new(
            &own,
            &PlanRequest {
                experiment: &c.experiment,
                subject,
                session,
                order: c.trial_order,
                block_size,
                limit: limit.or(practice_limit),
            },
        );
        let response_ms = if practice {
            c.ms_resp_object_practice
        } else {
            c.ms_resp_object
        };
        let phase = |name, asked_ms, frames| PhaseRow {
            name,
            asked_ms,
            frames,
            achieved_ms: achieved_ms(frames, refresh_hz),
        };
        let phases = vec![
            phase("fixation", Some(c.ms_fixation), frames.fixation),
            phase("stimulus", Some(c.ms_stim), frames.stimulus),
            phase("blank after stimulus", None, frames.blank),
            phase("mask", Some(c.ms_mask), frames.mask),
            phase("blank after mask", None, frames.blank),
            phase("response window", Some(response_ms), frames.response),
            phase("feedback", Some(c.ms_feedback), frames.feedback),
            phase(
                "inter-trial fixation",
                Some(c.inter_trial_ms()),
                frames.inter_trial,
            ),
        ];
        let cm_per_px = c.monitor.width_cm / f64::from(c.monitor.width_px);
        let half_cm = f64::from(c.surround_size) * cm_per_px / 2.0;
        Ok(Preflight {
            refresh_hz,
            phases,
            trials: plan.trials.len(),
            blocks: plan.blocks(),
            images,
            layout,
            stimulus_degrees: (half_cm / c.dist_monitor).atan().to_degrees() * 2.0,
        })
    }
}

/// The layout in the lab's words, e.g. `per-subject folders (subject-01, subject-02)`.
fn describe_layout(set: &StimulusSet) -> String {
    let subjects = set.subjects();
    let whose = match subjects.len() {
        0..=4 => subjects.join(", "),
        n => format!("{}, ... {n} subjects", subjects[..3].join(", ")),
    };
    match set.layout {
        Layout::CategoryFolders => "category folders".into(),
        Layout::PreOrdered => format!("one pre-ordered folder, subject field {whose}"),
        Layout::PerSubject => {
            let sessions = set.folders.iter().any(|f| f.session.is_some());
            let per = if sessions {
                "per-session"
            } else {
                "per-subject"
            };
            format!("{per} folders of pre-ordered images ({whose})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_papers_timing_at_60_hz_and_a_224_pixel_stimulus_in_degrees() {
        let dir = tempfile::tempdir().expect("temp dir");
        crate::stimuli::demo::write_set(dir.path()).expect("demo set");
        let set = StimulusSet::open(dir.path()).expect("set");
        let e = Experiment::parse(
            Path::new("e.yaml"),
            "num_trials_per_block: 16\nnum_practice_trials_per_block: 10\n",
        )
        .expect("ok");
        let p = Preflight::new(&e, &set, "subject-01", 1, false, 60.0, None).expect("possible");
        let stimulus = &p.phases[1];
        assert_eq!((stimulus.frames, stimulus.achieved_ms), (12, 200.0));
        assert_eq!(p.trials, set.stimuli.len());
        assert_eq!(p.blocks, set.stimuli.len().div_ceil(16));
        let c = &e.config;
        let cm = 224.0 * c.monitor.width_cm / f64::from(c.monitor.width_px);
        let expected = 2.0 * (cm / 2.0 / c.dist_monitor).atan().to_degrees();
        assert!((p.stimulus_degrees - expected).abs() < 1e-12);
        let practice = Preflight::new(&e, &set, "subject-01", 1, true, 60.0, None).expect("ok");
        assert_eq!((practice.trials, practice.blocks), (10, 1));
    }
}
