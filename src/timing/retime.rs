//! A trial's timing from the display server's timestamps: each phase's onset from when its
//! first frame was presented, and its refreshes from the vertical blank counts.

use super::flips::FlipLog;
use super::server_times::PresentMode;
use crate::trials::timeline::TrialTiming;

/// Re-times a trial from the display server's timestamps in the flip log: each phase's onset
/// is when its first frame was presented, and where every frame of the phase and the frame
/// after it were reported, its refreshes, late and short intervals come from their vertical
/// blank counts (a step of n vblanks between two frames is n - 1 missed refreshes, a step of
/// none a frame never seen). Phases without reports keep the acquire-time estimate.
pub fn retime(timing: &mut TrialTiming, flips: &FlipLog) {
    let starts: Vec<(usize, u64)> = timing
        .phases
        .iter()
        .enumerate()
        .filter_map(|(slot, p)| Some((slot, p.first_frame?)))
        .collect();
    for (k, &(slot, first)) in starts.iter().enumerate() {
        let next = starts.get(k + 1).map_or(timing.end_frame, |s| s.1);
        let phase = &mut timing.phases[slot];
        // A frame the server skipped was never on screen: the phase appeared with the first
        // of its frames that was shown (an unreported frame keeps the estimate).
        let shown = (first..next.max(first + 1))
            .map_while(|f| flips.presented(f))
            .find(|p| p.completion.mode != PresentMode::Skip);
        if let Some(p) = shown {
            phase.onset = Some(p.onset);
        }
        let mscs: Option<Vec<u64>> = (first..=next)
            .map(|f| flips.presented(f).map(|p| p.completion.msc))
            .collect();
        let Some(mscs) = mscs else {
            continue;
        };
        let steps = mscs.windows(2).map(|w| w[1].saturating_sub(w[0]));
        phase.refreshes = 0;
        phase.late_intervals = 0;
        phase.short_intervals = 0;
        for step in steps {
            phase.refreshes += step as u32;
            phase.late_intervals += u32::from(step > 1);
            phase.short_intervals += u32::from(step == 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::server_times::{Completion, PresentedFrame};
    use crate::trials::timeline::PhaseTiming;

    #[test]
    fn a_phase_whose_first_frame_was_skipped_appeared_with_its_next_frame() {
        let mut flips = FlipLog::default();
        // Frames 0-3: a fixation (0-1) and a stimulus (2-3) whose first present was skipped.
        for (i, mode) in [
            PresentMode::Flip,
            PresentMode::Flip,
            PresentMode::Skip,
            PresentMode::Flip,
        ]
        .into_iter()
        .enumerate()
        {
            flips.push(i as f64 / 60.0);
            let completion = Completion {
                serial: i as u32 + 1,
                ust_us: 1_000_000 + i as u64 * 16_667,
                msc: 100 + i as u64,
                mode,
            };
            let onset = 0.02 + i as f64 / 60.0;
            flips.settle(i, Some(PresentedFrame { completion, onset }));
        }
        let phase = |first| PhaseTiming {
            first_frame: Some(first),
            ..PhaseTiming::default()
        };
        let mut phases = [PhaseTiming::default(); 8];
        phases[0] = phase(0);
        phases[1] = phase(2);
        let mut timing = TrialTiming {
            index: 0,
            phases,
            disturbed: Default::default(),
            click: None,
            end_frame: 4,
        };
        retime(&mut timing, &flips);
        assert_eq!(timing.phases[0].onset, Some(0.02));
        assert_eq!(timing.phases[1].onset, Some(0.02 + 3.0 / 60.0));
    }
}
