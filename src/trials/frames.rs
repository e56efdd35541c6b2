//! Durations in whole display frames.

use serde::Serialize;

use crate::config::{shorter_than_a_frame, Config, Rounding};

/// Whole frames for `ms` at `refresh_hz`, rounded as configured.
///
/// A product within 1e-6 of a whole number counts as that number, so 200 ms at 60 Hz is 12
/// frames even though 200 * 60 / 1000 is not exact in binary.
pub fn frames_for(ms: f64, refresh_hz: f64, rounding: Rounding) -> u32 {
    let exact = ms * refresh_hz / 1000.0;
    let nearest = exact.round();
    let frames = if (exact - nearest).abs() < 1e-6 {
        nearest
    } else {
        match rounding {
            Rounding::Ceil => exact.ceil(),
            Rounding::Round => nearest,
            Rounding::Floor => exact.floor(),
        }
    };
    frames.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// The milliseconds that `frames` really last at `refresh_hz`.
pub fn achieved_ms(frames: u32, refresh_hz: f64) -> f64 {
    f64::from(frames) * 1000.0 / refresh_hz
}

/// The length of every timed phase of a session, in frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhaseFrames {
    /// The trial's own fixation before its stimulus.
    pub fixation: u32,
    /// Stimulus.
    pub stimulus: u32,
    /// Blank after the stimulus and after the mask.
    pub blank: u32,
    /// Mask.
    pub mask: u32,
    /// Response window.
    pub response: u32,
    /// Correct-box highlight after a wrong or missing answer.
    pub feedback: u32,
    /// Fixation after each trial, and after the start screen and each break.
    pub inter_trial: u32,
    /// Final summary screen (5 s).
    pub end: u32,
}

/// How long the final thank-you screen stays (ms), as in the original.
pub const END_SCREEN_MS: f64 = 5000.0;

impl PhaseFrames {
    /// The frames of each phase at `refresh_hz`, refusing durations that round to no frame.
    pub fn new(config: &Config, refresh_hz: f64, practice: bool) -> Result<PhaseFrames, String> {
        let r = config.frame_rounding;
        let response_ms = if practice {
            config.ms_resp_object_practice
        } else {
            config.ms_resp_object
        };
        let timed = |key: &str, ms: f64| match shorter_than_a_frame(ms, refresh_hz) {
            Some(message) => Err(format!("{key}: {message}")),
            None => Ok(frames_for(ms, refresh_hz, r).max(1)),
        };
        Ok(PhaseFrames {
            fixation: timed("ms_fixation", config.ms_fixation)?,
            stimulus: timed("ms_stim", config.ms_stim)?,
            blank: config.blank_frames,
            mask: timed("ms_mask", config.ms_mask)?,
            response: timed(
                if practice {
                    "ms_resp_object_practice"
                } else {
                    "ms_resp_object"
                },
                response_ms,
            )?,
            feedback: timed("ms_feedback", config.ms_feedback)?,
            inter_trial: timed("ms_inter_trial", config.inter_trial_ms())?,
            end: frames_for(END_SCREEN_MS, refresh_hz, r).max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original(hz: f64) -> PhaseFrames {
        PhaseFrames::new(&Config::default(), hz, false).expect("original timings fit")
    }

    #[test]
    fn the_original_timings_at_common_refresh_rates() {
        // (fixation 300, stimulus 200, mask 200, response 1500, feedback 300) ms
        let expect = [
            (60.0, [18, 12, 12, 90, 18]),
            (100.0, [30, 20, 20, 150, 30]),
            (120.0, [36, 24, 24, 180, 36]),
            (144.0, [44, 29, 29, 216, 44]),
        ];
        for (hz, [fixation, stimulus, mask, response, feedback]) in expect {
            let f = original(hz);
            assert_eq!(
                [f.fixation, f.stimulus, f.mask, f.response, f.feedback],
                [fixation, stimulus, mask, response, feedback],
                "at {hz} Hz"
            );
            assert_eq!(f.blank, 1);
        }
    }

    #[test]
    fn ceil_never_shortens_and_floor_never_lengthens() {
        assert_eq!(frames_for(200.0, 144.0, Rounding::Ceil), 29); // 28.8
        assert_eq!(frames_for(200.0, 144.0, Rounding::Floor), 28);
        assert_eq!(frames_for(200.0, 144.0, Rounding::Round), 29);
        assert_eq!(frames_for(210.0, 144.0, Rounding::Round), 30); // 30.24
        assert!(achieved_ms(29, 144.0) >= 200.0);
    }

    #[test]
    fn exact_products_are_not_pushed_up_by_binary_rounding() {
        assert_eq!(frames_for(100.0, 59.94, Rounding::Ceil), 6); // 5.994
        assert_eq!(frames_for(1000.0 / 3.0, 60.0, Rounding::Ceil), 20);
        assert_eq!(frames_for(16.7, 60.0, Rounding::Ceil), 2);
    }

    #[test]
    fn a_duration_below_one_frame_at_the_refresh_used_is_refused() {
        let config = Config {
            ms_stim: 20.0,
            ..Config::default()
        };
        assert!(PhaseFrames::new(&config, 60.0, false).is_ok());
        let err = PhaseFrames::new(&config, 30.0, false).expect_err("20 ms < one frame at 30 Hz");
        assert_eq!(
            err,
            "ms_stim: 20 ms is shorter than one frame (33.3 ms at 30 Hz) and would be shown for \
             a whole frame; durations are in milliseconds"
        );
    }

    #[test]
    fn the_inter_trial_fixation_follows_ms_fixation_unless_set() {
        let config = Config {
            ms_fixation: 500.0,
            ..Config::default()
        };
        let f = PhaseFrames::new(&config, 60.0, false).expect("fits");
        assert_eq!((f.fixation, f.inter_trial), (30, 30));
        let config = Config {
            ms_inter_trial: Some(100.0),
            ..config
        };
        let f = PhaseFrames::new(&config, 60.0, false).expect("fits");
        assert_eq!((f.fixation, f.inter_trial), (30, 6));
    }
}
