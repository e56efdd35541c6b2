//! The photodiode check: a recording of a photodiode on the photodiode patch (through a sound
//! card's microphone input) against the session's timing log, trial by trial: how long each
//! stimulus really stayed on screen against its planned frames, and the intervals between
//! consecutive stimulus onsets against the flip log's.

pub mod hum;
pub mod matching;
pub mod pulses;
pub mod report;
pub mod wav;

use crate::data::timing::StimulusTiming;
use pulses::{Edges, Pulse};
use wav::Recording;

/// How far (s) a pulse may lie from where the logged intervals put it, at least.
const MIN_TOLERANCE: f64 = 0.05;

/// The largest clock difference (ppm) between a sound card and a display: beyond it, pulses
/// that seem to line up are not the stimuli's.
pub const MAX_CLOCK_PPM: f64 = 500.0;

/// One trial's stimulus as logged and as the photodiode saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialCheck {
    /// The stimulus as the timing log gives it.
    pub logged: StimulusTiming,
    /// Its light pulse, when one was found (s in the recording).
    pub pulse: Option<Pulse>,
    /// How long the light was on (ms, display clock); `None`: no pulse.
    pub duration_ms: Option<f64>,
    /// The onset interval since the previous stimulus of the same run (ms, display clock),
    /// measured and by the flip log, when both stimuli have their pulse.
    pub interval_ms: Option<(f64, f64)>,
}

impl TrialCheck {
    /// The measured duration in whole refresh periods.
    pub fn frames(&self, period_ms: f64) -> Option<i64> {
        self.duration_ms.map(|d| (d / period_ms).round() as i64)
    }

    /// Refreshes more (positive) or fewer than planned, by the photodiode.
    pub fn frame_error(&self, period_ms: f64) -> Option<i64> {
        self.frames(period_ms)
            .map(|f| f - i64::from(self.logged.planned))
    }

    /// What is wrong with this trial, in the lab's words; empty when nothing is.
    pub fn problems(&self, period_ms: f64) -> Vec<String> {
        let Some(frames) = self.frames(period_ms) else {
            return vec!["missing pulse".into()];
        };
        let mut problems = Vec::new();
        let error = frames - i64::from(self.logged.planned);
        let plural = |n: i64| if n.abs() == 1 { "" } else { "s" };
        if error > 0 {
            problems.push(format!(
                "{error} frame{} longer than planned (dropped frame)",
                plural(error)
            ));
        } else if error < 0 {
            problems.push(format!(
                "{} frame{} shorter than planned",
                -error,
                plural(error)
            ));
        }
        if frames != i64::from(self.logged.refreshes) {
            problems.push(format!(
                "the flip log says {} refreshes",
                self.logged.refreshes
            ));
        }
        if let Some((measured, logged)) = self.interval_ms {
            if (measured - logged).abs() > period_ms / 2.0 {
                problems.push(format!(
                    "onset interval {:+.1} ms off the flip log's",
                    measured - logged
                ));
            }
        }
        problems
    }
}

/// The whole check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The refresh period the frames are counted in (ms).
    pub period_ms: f64,
    /// Whether light steps the signal up (else down).
    pub light_up: bool,
    /// The edges found and the levels that found them.
    pub edges: Edges,
    /// Every pulse found.
    pub pulses: Vec<Pulse>,
    /// The sound card's clock against the display's: recording seconds per display second.
    pub clock: f64,
    /// One per stimulus shown, in the log's order.
    pub trials: Vec<TrialCheck>,
    /// Pulses between a run's first and last matched pulse that match no stimulus: light on
    /// the patch when no stimulus was logged.
    pub stray: Vec<Pulse>,
    /// Runs whose pulses fit two pairings with the stimuli equally well: the trial the first
    /// matched pulse was given to, and the trial it could as well belong to.
    pub ambiguous: Vec<(usize, usize)>,
}

impl Check {
    /// Pulses that go with no stimulus.
    pub fn unmatched_pulses(&self) -> usize {
        self.pulses.len() - self.trials.iter().filter(|t| t.pulse.is_some()).count()
    }
}

/// Checks the stimuli of a timing log (those shown) against a recording, counting frames in
/// refresh periods of `period_ms`. `run_starts`: the trials at which the session's runs
/// started (from its record; a run also starts wherever the logged clock starts again).
/// `threshold`: the height an edge needs (full scale 1), instead of the one worked out.
pub fn check(
    recording: &Recording,
    stimuli: &[StimulusTiming],
    run_starts: &[usize],
    period_ms: f64,
    threshold: Option<f32>,
) -> Check {
    let shown: Vec<&StimulusTiming> = stimuli.iter().filter(|s| s.onset.is_some()).collect();
    let onsets: Vec<f64> = shown.iter().filter_map(|s| s.onset).collect();
    let new_run: Vec<bool> = shown
        .iter()
        .enumerate()
        .map(|(k, s)| k == 0 || run_starts.contains(&s.trial) || onsets[k] <= onsets[k - 1])
        .collect();
    let period = period_ms / 1000.0;
    let tolerance = (3.0 * period).max(MIN_TOLERANCE);
    let edges = pulses::edges(recording, period, threshold);
    // The circuit decides the light's direction: take the one whose pulses fit the log, the
    // more stimuli matched the better, then the closer to the planned durations (the other
    // direction's "pulses" are the gaps, from one stimulus' offset to the next one's onset).
    let (light_up, pulses, alignment) = [true, false]
        .into_iter()
        .map(|up| {
            let found = pulses::pulses(&edges, up, period);
            let aligned = matching::align(&found, &onsets, &new_run, tolerance);
            (up, found, aligned)
        })
        .max_by(|a, b| {
            let count = |m: &matching::Alignment| m.matched.iter().flatten().count();
            let off = |(_, found, aligned): &(bool, Vec<Pulse>, matching::Alignment)| {
                aligned
                    .matched
                    .iter()
                    .zip(&shown)
                    .filter_map(|(p, s)| {
                        p.map(|p| (found[p].duration() - f64::from(s.planned) * period).abs())
                    })
                    .sum::<f64>()
            };
            count(&a.2)
                .cmp(&count(&b.2))
                .then(off(b).total_cmp(&off(a)))
        })
        .unwrap_or_default();
    let matched = &alignment.matched;
    let run_of: Vec<usize> = new_run
        .iter()
        .scan(0, |run, &new| {
            *run += usize::from(new);
            Some(*run)
        })
        .collect();
    let pairs: Vec<(usize, f64, f64)> = (0..onsets.len())
        .filter_map(|k| matched[k].map(|p| (run_of[k], onsets[k], pulses[p].onset)))
        .collect();
    let clock = clock_rate(&pairs);
    let used: std::collections::HashSet<usize> = matched.iter().flatten().copied().collect();
    let stray: Vec<Pulse> = run_of
        .chunk_by(|a, b| a == b)
        .scan(0, |first, run| {
            let range = *first..*first + run.len();
            *first = range.end;
            Some(range)
        })
        .filter_map(|run| {
            let within = matched[run].iter().flatten();
            Some(*within.clone().min()?..=*within.max()?)
        })
        .flat_map(|span| span.filter(|p| !used.contains(p)))
        .map(|p| pulses[p])
        .collect();
    let mut trials: Vec<TrialCheck> = Vec::with_capacity(shown.len());
    for (k, stimulus) in shown.iter().enumerate() {
        let pulse = matched[k].map(|p| pulses[p]);
        let interval_ms = match (k.checked_sub(1), pulse) {
            (Some(before), Some(now)) if !new_run[k] => matched[before].map(|p| {
                (
                    (now.onset - pulses[p].onset) / clock * 1000.0,
                    (onsets[k] - onsets[before]) * 1000.0,
                )
            }),
            _ => None,
        };
        trials.push(TrialCheck {
            logged: (*stimulus).clone(),
            pulse,
            duration_ms: pulse.map(|p| p.duration() / clock * 1000.0),
            interval_ms,
        });
    }
    Check {
        period_ms,
        light_up,
        edges,
        pulses,
        clock,
        trials,
        stray,
        ambiguous: alignment
            .ambiguous
            .iter()
            .map(|&(taken, other)| (shown[taken].trial, shown[other].trial))
            .collect(),
    }
}

/// The slope of recording time against display time over the matched onsets (run, display,
/// recording) of the run with the most; 1 with fewer than two.
fn clock_rate(pairs: &[(usize, f64, f64)]) -> f64 {
    let runs = pairs.chunk_by(|a, b| a.0 == b.0);
    let Some(run) = runs.max_by_key(|r| r.len()).filter(|r| r.len() >= 2) else {
        return 1.0;
    };
    let n = run.len() as f64;
    let (mx, my) = (
        run.iter().map(|p| p.1).sum::<f64>() / n,
        run.iter().map(|p| p.2).sum::<f64>() / n,
    );
    let sxx: f64 = run.iter().map(|p| (p.1 - mx).powi(2)).sum();
    let sxy: f64 = run.iter().map(|p| (p.1 - mx) * (p.2 - my)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 8000;

    /// Stimuli of 12 frames every 2.5 s from 1 s on (display clock).
    fn stimuli(count: usize) -> Vec<StimulusTiming> {
        (0..count)
            .map(|i| StimulusTiming {
                trial: i + 1,
                imagename: format!("{i}.png"),
                planned: 12,
                refreshes: 12,
                onset: Some(1.0 + 2.5 * i as f64),
            })
            .collect()
    }

    /// A DC-coupled recording of light `height` during each (onset, duration) pulse, started
    /// 0.5 s before the display clock's zero, `seconds` long.
    fn recording(pulses: &[(f64, f64)], height: f32, seconds: f64) -> Recording {
        let samples = (0..(seconds * f64::from(RATE)) as usize)
            .map(|i| {
                let t = i as f64 / f64::from(RATE) - 0.5;
                let on = pulses.iter().any(|&(a, d)| t >= a && t < a + d);
                if on {
                    height
                } else {
                    0.0
                }
            })
            .collect();
        Recording {
            rate: RATE,
            channels: 1,
            channel: 0,
            samples,
        }
    }

    #[test]
    fn light_stepping_down_is_told_from_up_by_the_planned_durations() {
        let logged = stimuli(4);
        let pulses: Vec<(f64, f64)> = logged
            .iter()
            .map(|s| (s.onset.unwrap_or_default(), 0.2))
            .collect();
        // The recording stops during the last stimulus: as many gaps as pulses end.
        let end = 0.5 + 1.0 + 2.5 * 3.0 + 0.1;
        for height in [0.5f32, -0.5] {
            let check = check(
                &recording(&pulses, height, end),
                &logged,
                &[1],
                1000.0 / 60.0,
                None,
            );
            assert_eq!(check.light_up, height > 0.0);
            let durations: Vec<Option<i64>> = check
                .trials
                .iter()
                .map(|t| t.frames(check.period_ms))
                .collect();
            assert_eq!(durations, [Some(12), Some(12), Some(12), None]);
            assert!((check.clock - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn a_resumed_run_is_matched_on_its_own_even_when_its_clock_seems_to_go_on() {
        // The second run starts at trial 4, whose logged onset happens to lie after trial 3's.
        let mut logged = stimuli(5);
        logged[3].onset = Some(7.0);
        logged[4].onset = Some(9.5);
        // In the recording, the second run came 100 s after the first.
        let heard = [
            (1.0, 0.2),
            (3.5, 0.2),
            (6.0, 0.2),
            (106.0, 0.2),
            (108.5, 0.2),
        ];
        let r = recording(&heard, 0.5, 110.0);
        let period = 1000.0 / 60.0;
        let matched = |starts: &[usize]| {
            let check = check(&r, &logged, starts, period, None);
            check.trials.iter().filter(|t| t.pulse.is_some()).count()
        };
        assert_eq!(matched(&[1, 4]), 5);
        assert_eq!(matched(&[1]), 3);
        let check = check(&r, &logged, &[1, 4], period, None);
        assert_eq!(check.trials[3].interval_ms, None, "no interval across runs");
        assert!(check.trials[4].interval_ms.is_some());
    }

    #[test]
    fn a_trial_reports_what_is_wrong_in_the_labs_words() {
        let logged = stimuli(1).remove(0);
        let period = 1000.0 / 60.0;
        let trial = |duration_ms: Option<f64>, interval_ms| TrialCheck {
            logged: logged.clone(),
            pulse: None,
            duration_ms,
            interval_ms,
        };
        assert!(trial(Some(200.3), Some((2500.0, 2500.2)))
            .problems(period)
            .is_empty());
        assert_eq!(trial(None, None).problems(period), ["missing pulse"]);
        assert_eq!(
            trial(Some(166.7), Some((2516.7, 2500.0))).problems(period),
            [
                "2 frames shorter than planned",
                "the flip log says 12 refreshes",
                "onset interval +16.7 ms off the flip log's"
            ]
        );
    }
}
