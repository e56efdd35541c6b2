//! The photodiode check as the experimenter reads it: one line per trial, a summary, a
//! histogram of duration errors in frames, and a verdict.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Check;

/// The per-trial table: planned and logged refreshes, the measured duration (ms and frames),
/// the onset interval measured and by the flip log, and what is wrong.
pub fn trials(check: &Check) -> String {
    let period = check.period_ms;
    let mut out = String::from(
        "trial  planned  flip log  measured             onset interval (photodiode / flip log)  check\n",
    );
    for t in &check.trials {
        let measured = match (t.duration_ms, t.frames(period)) {
            (Some(ms), Some(frames)) => format!("{ms:8.2} ms {frames:3} fr"),
            _ => format!("{:>17}", "-"),
        };
        let interval = t.interval_ms.map_or_else(
            || "-".to_string(),
            |(m, l)| format!("{m:9.2} / {l:9.2} ms ({:+.2})", m - l),
        );
        let problems = t.problems(period);
        let verdict = if problems.is_empty() {
            "ok".to_string()
        } else {
            problems.join("; ")
        };
        let _ = writeln!(
            out,
            "{:5}  {:4} fr  {:5} fr  {measured}    {interval:<39} {verdict}",
            t.logged.trial, t.logged.planned, t.logged.refreshes
        );
    }
    out
}

/// Mean, standard deviation and largest absolute value, or `None` without values.
fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let largest = values
        .iter()
        .copied()
        .fold(0.0, |a: f64, v| if v.abs() > a.abs() { v } else { a });
    Some((mean, sd, largest))
}

/// Each stimulus' duration error against its plan, in frames (fractional).
pub fn duration_errors(check: &Check) -> Vec<f64> {
    check
        .trials
        .iter()
        .filter_map(|t| {
            t.duration_ms
                .map(|d| d / check.period_ms - f64::from(t.logged.planned))
        })
        .collect()
}

/// The summary lines, the text histogram and the verdict; returns them and whether the
/// check passed.
pub fn summary(check: &Check) -> (String, bool) {
    let period = check.period_ms;
    let mut out = String::new();
    let e = &check.edges;
    let matched = check.trials.iter().filter(|t| t.pulse.is_some()).count();
    let _ = writeln!(
        out,
        "pulses      {} found; light steps the signal {} (edges {:.3} high, noise {:.4}, threshold {:.3})",
        check.pulses.len(),
        if check.light_up { "up" } else { "down" },
        median_height(check),
        e.noise,
        e.threshold
    );
    let _ = writeln!(
        out,
        "matched     {matched} of {} stimuli; {} pulses belong to none; sound card clock {:+.0} ppm against the display's",
        check.trials.len(),
        check.unmatched_pulses(),
        (check.clock - 1.0) * 1e6
    );
    let errors_ms: Vec<f64> = check
        .trials
        .iter()
        .filter_map(|t| {
            t.duration_ms
                .map(|d| d - f64::from(t.logged.planned) * period)
        })
        .collect();
    let by_frames: BTreeMap<i64, usize> = check
        .trials
        .iter()
        .filter_map(|t| t.frame_error(period))
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e).or_default() += 1;
            m
        });
    let count = |pick: &dyn Fn(i64) -> bool| -> usize {
        by_frames
            .iter()
            .filter(|(e, _)| pick(**e))
            .map(|(_, n)| n)
            .sum()
    };
    let missing: Vec<usize> = check
        .trials
        .iter()
        .filter(|t| t.pulse.is_none())
        .map(|t| t.logged.trial)
        .collect();
    let _ = write!(
        out,
        "durations   {} as planned, {} longer, {} shorter, {} missing",
        count(&|e| e == 0),
        count(&|e| e > 0),
        count(&|e| e < 0),
        missing.len()
    );
    match spread(&errors_ms) {
        Some((mean, sd, largest)) => {
            let _ = writeln!(
                out,
                "; measured minus planned: mean {mean:+.2} ms, SD {sd:.2} ms, largest {largest:+.2} ms"
            );
        }
        None => out.push('\n'),
    }
    let differences: Vec<f64> = check
        .trials
        .iter()
        .filter_map(|t| t.interval_ms.map(|(m, l)| m - l))
        .collect();
    match spread(&differences) {
        Some((mean, sd, largest)) => {
            let _ = writeln!(
                out,
                "intervals   {} onset intervals: photodiode minus flip log mean {mean:+.2} ms, SD {sd:.2} ms, largest {largest:+.2} ms",
                differences.len()
            );
        }
        None => out.push_str("intervals   none to compare (fewer than two stimuli with pulses)\n"),
    }
    let _ = writeln!(
        out,
        "histogram   duration error in frames (photodiode against plan)"
    );
    let widest = by_frames.values().copied().max().unwrap_or(0).max(1);
    for (error, n) in &by_frames {
        let bar = "#".repeat((n * 50).div_ceil(widest));
        let _ = writeln!(out, "  {error:+3} fr  {n:6}  {bar}");
    }
    let mut problems: Vec<String> = Vec::new();
    let trials_of = |pick: &dyn Fn(&super::TrialCheck) -> bool| -> Vec<String> {
        check
            .trials
            .iter()
            .filter(|t| pick(t))
            .map(|t| t.logged.trial.to_string())
            .collect()
    };
    let listed = |what: &str, trials: Vec<String>| {
        let shown = trials[..trials.len().min(10)].join(", ");
        match trials.len() {
            1 => format!("{what}: trial {shown}"),
            n if n <= 10 => format!("{what}: trials {shown}"),
            n => format!("{what}: trials {shown}, ... ({n} in all)"),
        }
    };
    let long = trials_of(&|t| t.frame_error(period).is_some_and(|e| e > 0));
    let short = trials_of(&|t| t.frame_error(period).is_some_and(|e| e < 0));
    let unseen = trials_of(&|t| {
        t.frames(period)
            .is_some_and(|f| f != i64::from(t.logged.refreshes))
    });
    let off = trials_of(&|t| {
        t.interval_ms
            .is_some_and(|(m, l)| (m - l).abs() > period / 2.0)
    });
    for (what, trials) in [
        ("stimuli longer than planned", long),
        ("stimuli shorter than planned", short),
        ("durations the flip log does not show", unseen),
        (
            "onset intervals off the flip log's by over half a frame",
            off,
        ),
        (
            "missing pulses",
            missing.iter().map(ToString::to_string).collect(),
        ),
    ] {
        if !trials.is_empty() {
            problems.push(listed(what, trials));
        }
    }
    if !check.stray.is_empty() {
        let times: Vec<String> = check
            .stray
            .iter()
            .take(10)
            .map(|p| format!("{:.3} s", p.onset))
            .collect();
        let more = match check.stray.len() {
            n if n > 10 => format!(", ... ({n} in all)"),
            _ => String::new(),
        };
        problems.push(format!(
            "light pulses that match no stimulus, at {}{more} of the recording",
            times.join(", ")
        ));
    }
    let ppm = (check.clock - 1.0) * 1e6;
    if matched > 0 && ppm.abs() > super::MAX_CLOCK_PPM {
        problems.push(format!(
            "the pulses line up only with the sound card's clock {ppm:+.0} ppm off the display's (a sound card is within {:.0} ppm): they are not the stimuli's",
            super::MAX_CLOCK_PPM
        ));
    }
    for (taken, other) in &check.ambiguous {
        problems.push(format!(
            "alignment ambiguous: the pulses fit the stimuli from trial {taken} on as well as from trial {other} on (intervals alike; start the recording before the session)"
        ));
    }
    let passed = problems.is_empty() && matched > 0;
    let verdict = if matched == 0 {
        "FAIL: no pulse lines up with the session's stimuli (is the photodiode on the patch, and the recording of this session?)".to_string()
    } else if passed && matched == 1 {
        "PASS: the one stimulus lasted its planned frames, as the flip log says".to_string()
    } else if passed {
        format!(
            "PASS: all {matched} stimuli lasted their planned frames, as the flip log says, and every onset interval agrees with the flip log's within half a frame"
        )
    } else {
        format!("FAIL: {}", problems.join("; "))
    };
    let _ = writeln!(out, "verdict     {verdict}");
    (out, passed)
}

/// The median height of the edges found.
fn median_height(check: &Check) -> f32 {
    let mut heights: Vec<f32> = check.edges.edges.iter().map(|e| e.height).collect();
    heights.sort_by(f32::total_cmp);
    heights.get(heights.len() / 2).copied().unwrap_or(0.0)
}
