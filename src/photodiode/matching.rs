//! Pairs the light pulses of a recording with the stimuli of a session's timing log.
//!
//! The recording and the log have different clocks and the recording starts at an unknown
//! moment, so pulses are matched by their intervals: a stimulus and a pulse are taken as an
//! anchor, and each next stimulus is expected where the last matched pulse lies plus the
//! logged onset interval; the nearest pulse within the tolerance is its, else its pulse is
//! missing. Every stimulus is tried as the anchor with every pulse (a pair already reached by an
//! earlier walk gives the same walk again and is skipped), and the walk that matches the most
//! stimuli (then the smallest misfit) wins, so that a recording started late, a missing first
//! pulse, or pulses of a practice run recorded before the session, do not shift the rest. When
//! two walks that pair the stimuli differently fit equally well (intervals all alike, as within
//! a block), the alignment is ambiguous and said to be so rather than guessed.
//! A resumed session's runs each have their own clock: each run is matched on its own, with
//! the pulses after the previous run's.

use std::collections::HashSet;

use super::pulses::Pulse;

/// How many of the first pulses are tried with every stimulus before the rest.
const EARLY_PULSES: usize = 3;

/// Misfits closer than this (s) are equally good.
const SAME_FIT: f64 = 1e-4;

/// The stimuli of one run (indices into the onsets) matched to pulse indices, as pairs in
/// the stimuli's order (most walks are short: no run-long list for each).
struct Walk {
    matched: Vec<(usize, usize)>,
    count: usize,
    misfit: f64,
}

/// The pairing of stimuli with pulses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Alignment {
    /// For each stimulus, the index of its pulse, or `None` when its pulse is missing.
    pub matched: Vec<Option<usize>>,
    /// Runs whose pulses fit two pairings equally well: for each, the first stimulus (index)
    /// matched by the pairing taken and by the other one.
    pub ambiguous: Vec<(usize, usize)>,
}

/// The index of the pulse in `range` whose onset is nearest `expected`, if within `tolerance`.
fn nearest(
    pulses: &[Pulse],
    range: std::ops::Range<usize>,
    expected: f64,
    tolerance: f64,
) -> Option<usize> {
    if range.start >= range.end {
        return None;
    }
    let slice = &pulses[range.clone()];
    let first = slice.partition_point(|p| p.onset < expected - tolerance);
    slice[first..]
        .iter()
        .enumerate()
        .take_while(|(_, p)| p.onset <= expected + tolerance)
        .min_by(|(_, a), (_, b)| {
            (a.onset - expected)
                .abs()
                .total_cmp(&(b.onset - expected).abs())
        })
        .map(|(i, _)| range.start + first + i)
}

/// Matches the stimuli `onsets` (one run) from stimulus `anchor` at pulse `at`, using only
/// pulses from `from` on; gives up once more than `allowed` stimuli are missing. Every pair
/// reached goes into `seen`.
fn walk(
    pulses: &[Pulse],
    onsets: &[f64],
    (anchor, at): (usize, usize),
    from: usize,
    tolerance: f64,
    allowed: usize,
    seen: &mut HashSet<(usize, usize)>,
) -> Option<Walk> {
    let mut walk = Walk {
        matched: vec![(anchor, at)],
        count: 1,
        misfit: 0.0,
    };
    seen.insert((anchor, at));
    let mut missing = 0;
    // Before the anchor (backwards), then after it.
    let mut last = (anchor, at);
    let before = (0..anchor).rev();
    let after = anchor + 1..onsets.len();
    for (k, forward) in before.map(|k| (k, false)).chain(after.map(|k| (k, true))) {
        if forward && k == anchor + 1 {
            last = (anchor, at);
        }
        let (expected, range) = if forward {
            (
                pulses[last.1].onset + (onsets[k] - onsets[last.0]),
                last.1 + 1..pulses.len(),
            )
        } else {
            (
                pulses[last.1].onset - (onsets[last.0] - onsets[k]),
                from..last.1,
            )
        };
        match nearest(pulses, range, expected, tolerance) {
            Some(p) => {
                walk.matched.push((k, p));
                walk.count += 1;
                walk.misfit += (pulses[p].onset - expected).abs();
                seen.insert((k, p));
                last = (k, p);
            }
            None => {
                missing += 1;
                if missing > allowed {
                    return None;
                }
            }
        }
    }
    walk.matched.sort_unstable();
    Some(walk)
}

/// Pairs the stimulus onsets (s, display clock) with pulses. `new_run`: for each stimulus,
/// whether a run (with its own clock) starts there. `tolerance`: how far (s) a pulse may lie
/// from where it is expected.
pub fn align(pulses: &[Pulse], onsets: &[f64], new_run: &[bool], tolerance: f64) -> Alignment {
    let mut alignment = Alignment {
        matched: vec![None; onsets.len()],
        ambiguous: Vec::new(),
    };
    let mut from = 0;
    let mut start = 0;
    while start < onsets.len() {
        let end = (start + 1..onsets.len())
            .find(|&k| new_run[k])
            .unwrap_or(onsets.len());
        let run = &onsets[start..end];
        let mut best: Option<Walk> = None;
        let mut rival: Option<Walk> = None;
        let mut seen = HashSet::new();
        // The first few pulses with every stimulus first: one of them is usually a stimulus's,
        // and once the best walk is found the others give up after as many misses as it has.
        let early = from..(from + EARLY_PULSES).min(pulses.len());
        let first = early
            .clone()
            .flat_map(|at| (0..run.len()).map(move |anchor| (anchor, at)));
        let rest =
            (0..run.len()).flat_map(|anchor| (from..pulses.len()).map(move |at| (anchor, at)));
        for (anchor, at) in first.chain(rest) {
            {
                if seen.contains(&(anchor, at)) {
                    continue;
                }
                // A walk as good as the best one may be its rival: allow as many misses.
                let allowed = best.as_ref().map_or(run.len(), |b| run.len() - b.count);
                let Some(w) = walk(
                    pulses,
                    run,
                    (anchor, at),
                    from,
                    tolerance,
                    allowed,
                    &mut seen,
                ) else {
                    continue;
                };
                let order = best.as_ref().map(|b| {
                    w.count
                        .cmp(&b.count)
                        .then(if (w.misfit - b.misfit).abs() <= SAME_FIT {
                            std::cmp::Ordering::Equal
                        } else {
                            b.misfit.total_cmp(&w.misfit)
                        })
                });
                match (order, &best) {
                    (Some(std::cmp::Ordering::Less), _) => {}
                    (Some(std::cmp::Ordering::Equal), Some(b)) => {
                        if w.matched != b.matched {
                            rival = Some(w);
                        }
                    }
                    _ => {
                        // Better than the best: the old rival no longer ties.
                        rival = None;
                        best = Some(w);
                    }
                }
            }
        }
        if let Some(best) = best {
            let first = |w: &Walk| w.matched.first().map_or(0, |&(k, _)| k);
            if let Some(rival) = &rival {
                alignment
                    .ambiguous
                    .push((start + first(&best), start + first(rival)));
            }
            from = best
                .matched
                .iter()
                .map(|&(_, p)| p + 1)
                .max()
                .unwrap_or(from);
            for &(k, p) in &best.matched {
                alignment.matched[start + k] = Some(p);
            }
        }
        start = end;
    }
    alignment
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aligns with runs where the clock starts again.
    fn align(pulses: &[Pulse], onsets: &[f64], tolerance: f64) -> Vec<Option<usize>> {
        let new_run: Vec<bool> = (0..onsets.len())
            .map(|k| k == 0 || onsets[k] <= onsets[k - 1])
            .collect();
        super::align(pulses, onsets, &new_run, tolerance).matched
    }

    fn pulses_at(onsets: &[f64]) -> Vec<Pulse> {
        onsets
            .iter()
            .map(|&t| Pulse {
                onset: t,
                offset: t + 0.2,
            })
            .collect()
    }

    /// Onsets with a break between the second and third stimulus.
    const LOGGED: [f64; 6] = [10.0, 12.8, 31.7, 34.5, 37.3, 40.1];

    #[test]
    fn the_first_pulse_goes_with_the_first_stimulus_whatever_the_offset() {
        let pulses = pulses_at(&LOGGED.map(|t| t - 7.5 + 0.001));
        let matched = align(&pulses, &LOGGED, 0.05);
        assert_eq!(matched, (0..6).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn a_missing_pulse_and_pulses_of_a_practice_run_before_shift_nothing() {
        // Practice pulses, then the session without its first and fourth pulses.
        let mut onsets = vec![1.0, 3.8, 6.6];
        onsets.extend(LOGGED.iter().map(|t| t + 20.0));
        onsets.remove(3 + 3);
        onsets.remove(3);
        let matched = align(&pulses_at(&onsets), &LOGGED, 0.05);
        assert_eq!(matched, [None, Some(3), Some(4), None, Some(5), Some(6)]);
    }

    #[test]
    fn a_resumed_session_is_matched_run_by_run() {
        // The second run's clock starts again at 2 s.
        let logged = [10.0, 12.8, 15.6, 2.0, 4.8, 7.6];
        let heard = [5.0, 7.8, 10.6, 100.0, 102.8, 105.6];
        let matched = align(&pulses_at(&heard), &logged, 0.05);
        assert_eq!(matched, (0..6).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn with_intervals_all_alike_the_first_pulse_is_the_first_stimulus_but_ambiguous() {
        let logged = [10.0, 12.8, 15.6, 18.4];
        let heard = [5.0, 7.8, 10.6];
        assert_eq!(
            align(&pulses_at(&heard), &logged, 0.05),
            [Some(0), Some(1), Some(2), None]
        );
        let both = super::align(
            &pulses_at(&heard),
            &logged,
            &[true, false, false, false],
            0.05,
        );
        assert_eq!(both.ambiguous, [(0, 1)]);
    }

    #[test]
    fn a_recording_started_late_in_a_block_is_matched_from_any_stimulus() {
        // Two blocks of five with a break; the recording starts at the fourth stimulus.
        let logged = [10.0, 12.5, 15.0, 17.5, 20.0, 60.0, 62.5, 65.0, 67.5, 70.0];
        let heard: Vec<f64> = logged[3..].iter().map(|t| t - 9.0).collect();
        let aligned = super::align(
            &pulses_at(&heard),
            &logged,
            &[true; 1]
                .iter()
                .copied()
                .chain([false; 9])
                .collect::<Vec<_>>(),
            0.05,
        );
        assert_eq!(aligned.matched[..3], [None, None, None]);
        assert_eq!(
            aligned.matched[3..],
            (0..7).map(Some).collect::<Vec<_>>()[..]
        );
        assert!(aligned.ambiguous.is_empty());
    }

    #[test]
    fn a_pulse_missing_in_the_middle_is_found_whatever_the_intervals() {
        let logged = [10.0, 12.8, 15.6, 18.4, 21.2];
        let heard = [5.0, 7.8, 13.4, 16.2];
        let matched = align(&pulses_at(&heard), &logged, 0.05);
        assert_eq!(matched, [Some(0), Some(1), None, Some(2), Some(3)]);
    }

    #[test]
    fn nothing_matches_without_pulses() {
        assert_eq!(align(&[], &LOGGED, 0.05), vec![None; 6]);
    }
}
