//! Frame timing: estimating the display's refresh from flip timestamps, judging whether frames
//! are synchronised to it, pacing frames by a timer when they are not, and the flip log.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::server_times::PresentedFrame;
use super::wayland_feedback::Feedback;
use crate::data::flip_log::{Flip, Presentation};
use crate::data::record::TimingMode;

/// The refresh interval estimated from consecutive flip timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RefreshEstimate {
    /// Intervals measured.
    pub intervals: usize,
    /// Mean interval (ms).
    pub mean_ms: f64,
    /// Standard deviation of the intervals (ms).
    pub sd_ms: f64,
    /// Median time spent waiting for the display to take a frame (ms).
    pub median_wait_ms: f64,
}

impl RefreshEstimate {
    /// The estimate from flip timestamps in seconds and the waits (ms) before each flip was
    /// acquired; `None` with fewer than two timestamps.
    pub fn from_timestamps(timestamps: &[f64], waits_ms: &[f64]) -> Option<RefreshEstimate> {
        let intervals: Vec<f64> = timestamps
            .windows(2)
            .map(|w| (w[1] - w[0]) * 1000.0)
            .collect();
        if intervals.is_empty() {
            return None;
        }
        let n = intervals.len() as f64;
        let mean = intervals.iter().sum::<f64>() / n;
        let var = intervals.iter().map(|i| (i - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let mut waits = waits_ms.to_vec();
        waits.sort_by(f64::total_cmp);
        Some(RefreshEstimate {
            intervals: intervals.len(),
            mean_ms: mean,
            sd_ms: var.sqrt(),
            median_wait_ms: waits.get(waits.len() / 2).copied().unwrap_or(0.0),
        })
    }

    /// The measured refresh rate (Hz).
    pub fn hz(&self) -> f64 {
        1000.0 / self.mean_ms
    }
}

/// What the refresh measurement says about a display.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether frames are locked to the display.
    pub mode: TimingMode,
    /// Why the display cannot be trusted as it is, if it cannot.
    pub problem: Option<String>,
}

/// A loop faster than this share of the expected period cannot be waiting for the display.
const UNSYNCED_FRACTION: f64 = 0.5;
/// Under vertical sync, acquiring a blank frame waits for most of the interval; a loop that
/// waits less than this share of it is paced by something else (its own work, the CPU load).
const WAIT_FRACTION: f64 = 0.2;
/// Largest accepted deviation of the measured from the expected rate.
const RATE_TOLERANCE: f64 = 0.01;
/// Largest accepted interval SD, as a share of the period and in ms (whichever is larger).
const SD_TOLERANCE: (f64, f64) = (0.05, 0.5);

/// Largest deviation of the measured rate from the display's own for frames to count as
/// locked to it.
const LOCK_TOLERANCE: f64 = 0.02;
/// Largest interval SD, as a share of the interval, for frames to count as locked at all
/// (a locked but jittery display is then judged unstable against `SD_TOLERANCE`).
const LOCK_SD_FRACTION: f64 = 0.15;

/// Judges a refresh measurement against the rate the config expects and, when the system
/// reports one, the monitor's own refresh rate.
///
/// Frames count as synchronised only when they follow a steady refresh near the monitor's rate
/// (the config's when the monitor reports none): a loop that flips much faster, never waits
/// for the display, or flips at an unsteady or foreign rate (a software renderer paced by its
/// own work, as under Xvfb) is unsynchronised.
pub fn judge(estimate: &RefreshEstimate, expected_hz: f64, monitor_hz: Option<f64>) -> Verdict {
    let reference = monitor_hz.filter(|hz| *hz > 0.0).unwrap_or(expected_hz);
    let never_waits = estimate.median_wait_ms < WAIT_FRACTION * estimate.mean_ms;
    let steady = estimate.sd_ms <= LOCK_SD_FRACTION * estimate.mean_ms;
    let on_rate = (estimate.hz() - reference).abs() / reference <= LOCK_TOLERANCE;
    if too_fast(estimate, expected_hz) || never_waits || !(steady && on_rate) {
        return unsynchronised(estimate, expected_hz, monitor_hz);
    }
    synchronised(estimate, expected_hz)
}

/// A loop much faster than the expected refresh cannot be waiting for the display.
fn too_fast(estimate: &RefreshEstimate, expected_hz: f64) -> bool {
    estimate.mean_ms < UNSYNCED_FRACTION * 1000.0 / expected_hz
}

/// Frames not synchronised to the display, and what was measured.
fn unsynchronised(
    estimate: &RefreshEstimate,
    expected_hz: f64,
    monitor_hz: Option<f64>,
) -> Verdict {
    Verdict {
        mode: TimingMode::Unsynchronised,
        problem: Some(format!(
            "frames are not synchronised to the display (flips every {:.2} ms, SD {:.2} ms, {:.2} ms spent waiting; the display refreshes at {}): no vertical sync",
            estimate.mean_ms,
            estimate.sd_ms,
            estimate.median_wait_ms,
            monitor_hz.map_or_else(|| format!("an unknown rate, {expected_hz} Hz expected"), |hz| format!("{hz:.2} Hz"))
        )),
    }
}

/// Frames synchronised to the display, and what is wrong with its rate, if anything.
fn synchronised(estimate: &RefreshEstimate, expected_hz: f64) -> Verdict {
    let sd_limit = (SD_TOLERANCE.0 * 1000.0 / expected_hz).max(SD_TOLERANCE.1);
    let problem = if rate_differs(estimate, expected_hz) {
        Some(format!(
            "the display runs at {:.2} Hz but the config expects {expected_hz} Hz (set refresh_hz or the display mode)",
            estimate.hz()
        ))
    } else if estimate.sd_ms > sd_limit {
        Some(format!(
            "the refresh interval is unstable (SD {:.3} ms over {} flips, limit {sd_limit:.3} ms)",
            estimate.sd_ms, estimate.intervals
        ))
    } else {
        None
    };
    Verdict {
        mode: TimingMode::Synchronised,
        problem,
    }
}

/// Under a compositor, frames that spend at least this share of their interval waiting for it
/// are paced by it.
const COMPOSITOR_WAIT_FRACTION: f64 = 0.5;

/// Judges a refresh measurement on Wayland, where the compositor paces frames (Mesa waits for
/// its frame callback in present, not in acquiring): frames that spend most of their interval
/// waiting for it follow the compositor, and its pace is what the screen shows even where it
/// differs from the rate the output reports (weston's headless output reports 60 Hz and
/// presents every 25 ms). Such frames are synchronised, to the compositor's measured rate,
/// which must then match the config's, be steady and, as a warning, match the output's
/// (`output_hz`).
pub fn judge_compositor(
    estimate: &RefreshEstimate,
    expected_hz: f64,
    output_hz: Option<f64>,
) -> Verdict {
    let paced = estimate.median_wait_ms >= COMPOSITOR_WAIT_FRACTION * estimate.mean_ms;
    if too_fast(estimate, expected_hz) || !paced {
        return unsynchronised(estimate, expected_hz, output_hz);
    }
    let mut verdict = synchronised(estimate, expected_hz);
    let off_output =
        output_hz.filter(|hz| *hz > 0.0 && (estimate.hz() - hz).abs() / hz > LOCK_TOLERANCE);
    if let Some(hz) = off_output {
        let why = format!(
            "the compositor presents frames at {:.2} Hz though the output reports {hz:.2} Hz",
            estimate.hz()
        );
        verdict.problem = Some(match verdict.problem {
            Some(problem) => format!("{problem}; {why}"),
            None => why,
        });
    }
    verdict
}

/// Whether a synchronised display runs at another rate than the config expects.
pub fn rate_differs(estimate: &RefreshEstimate, expected_hz: f64) -> bool {
    (estimate.hz() - expected_hz).abs() / expected_hz > RATE_TOLERANCE
}

/// Watches the flips of a synchronised session for vertical sync lost on the way (a driver or
/// compositor that stops waiting for the display): over the last [`SYNC_WINDOW`] intervals,
/// more than half shorter than half a period means lost, at most [`SYNC_RESTORED`] means
/// restored.
#[derive(Debug, Clone)]
pub struct SyncWatch {
    period: f64,
    last: Option<f64>,
    short: std::collections::VecDeque<bool>,
    lost: bool,
}

/// Intervals judged together.
pub const SYNC_WINDOW: usize = 30;
/// Short intervals among them that still count as synchronised again.
pub const SYNC_RESTORED: usize = 2;

impl SyncWatch {
    /// A watch over flips expected every `period` seconds.
    pub fn new(period: f64) -> SyncWatch {
        SyncWatch {
            period,
            last: None,
            short: std::collections::VecDeque::with_capacity(SYNC_WINDOW),
            lost: false,
        }
    }

    /// Takes the next flip time (s); says `Some(true)` when sync is lost with it,
    /// `Some(false)` when it is back.
    pub fn flip(&mut self, t: f64) -> Option<bool> {
        let previous = self.last.replace(t)?;
        if self.short.len() == SYNC_WINDOW {
            self.short.pop_front();
        }
        let short = t - previous < crate::trials::timeline::SHORT_FACTOR * self.period;
        self.short.push_back(short);
        let count = self.short.iter().filter(|s| **s).count();
        if !self.lost && count * 2 > SYNC_WINDOW {
            self.lost = true;
            return Some(true);
        }
        if self.lost && self.short.len() == SYNC_WINDOW && count <= SYNC_RESTORED {
            self.lost = false;
            return Some(false);
        }
        None
    }

    /// Whether sync is lost now.
    pub fn lost(&self) -> bool {
        self.lost
    }
}

/// Paces frames by a timer when the display gives no vertical sync.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    start: Instant,
    period: Duration,
}

impl Pacer {
    /// Frame 0 is due at `start`, frame n at `start + n * period`.
    pub fn new(start: Instant, period: Duration) -> Pacer {
        Pacer { start, period }
    }

    /// When frame `index` is due.
    pub fn due(&self, index: u64) -> Instant {
        self.start + self.period.mul_f64(index as f64)
    }

    /// Waits until frame `index` is due: sleeps, then spins the last half millisecond. After a
    /// stall of more than a period the schedule starts again from now: frames never catch up
    /// back to back.
    pub fn wait(&mut self, index: u64) -> Instant {
        let due = self.due(index);
        let now = Instant::now();
        if now > due + self.period {
            self.start = now - self.period.mul_f64(index as f64);
            return now;
        }
        let spin = Duration::from_micros(500);
        if let Some(left) = due.checked_duration_since(Instant::now()) {
            if left > spin {
                std::thread::sleep(left - spin);
            }
        }
        while Instant::now() < due {
            std::hint::spin_loop();
        }
        due
    }
}

/// Flips after which a frame's presentation feedback is given up for the flip log.
pub const FEEDBACK_LAG: usize = 30;

/// Every flip of a session, for the end-of-session report: when it was acquired and, where
/// the display server reports it, when it was presented (X11 Present events, or the
/// compositor's presentation feedback on Wayland).
#[derive(Debug, Clone, Default)]
pub struct FlipLog {
    timestamps: Vec<f64>,
    presented: Vec<Option<PresentedFrame>>,
    settled: usize,
    fed_back: std::collections::BTreeMap<usize, Feedback>,
    /// Presentation feedback is requested for every frame (Wayland).
    awaits_feedback: bool,
}

/// The end-of-session timing report, like Psychtoolbox's missed-flip report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FlipReport {
    /// Flips logged.
    pub flips: usize,
    /// Late intervals: spanning more than one vertical blank where the display server
    /// reported both flips, else above 1.2 refresh periods between their acquire times.
    pub late_intervals: usize,
    /// Refreshes missed in all (an interval of n periods misses n - 1).
    pub missed_refreshes: u64,
    /// The longest interval (ms).
    pub longest_ms: f64,
    /// Refresh estimate over the session.
    pub estimate: Option<RefreshEstimate>,
}

impl FlipReport {
    /// The verdict of a timing test: whether the display is fit for a session, and why, e.g.
    /// `PASS: synchronised to the display, 1800 flips without a missed refresh`. `problem`:
    /// what the refresh check found wrong (rate off or unsteady), if anything.
    pub fn verdict(&self, mode: TimingMode, problem: Option<&str>) -> (bool, String) {
        let mut reasons = Vec::new();
        if mode != TimingMode::Synchronised {
            reasons.push("frames are not synchronised to the display (no vertical sync)".into());
        }
        if let Some(problem) = problem.filter(|_| mode == TimingMode::Synchronised) {
            reasons.push(problem.to_string());
        }
        if self.missed_refreshes > 0 {
            reasons.push(format!(
                "{} missed refreshes in {} flips ({} late intervals, longest {:.2} ms)",
                self.missed_refreshes, self.flips, self.late_intervals, self.longest_ms
            ));
        }
        match reasons.is_empty() {
            true => (
                true,
                format!(
                    "PASS: synchronised to the display, {} flips without a missed refresh",
                    self.flips
                ),
            ),
            false => (false, format!("FAIL: {}", reasons.join("; "))),
        }
    }
}

impl FlipLog {
    /// Logs a flip at `t` seconds.
    pub fn push(&mut self, t: f64) {
        self.timestamps.push(t);
    }

    /// The timestamps so far.
    pub fn timestamps(&self) -> &[f64] {
        &self.timestamps
    }

    /// Flip `flip` was presented as `frame` (`None`: the display server will not say when):
    /// it and every flip before it are settled.
    pub fn settle(&mut self, flip: usize, frame: Option<PresentedFrame>) {
        if self.presented.len() <= flip {
            self.presented.resize(flip + 1, None);
        }
        self.presented[flip] = frame;
        self.settled = self.settled.max(flip + 1);
    }

    /// How flip `flip` was presented, when the display server said so.
    pub fn presented(&self, flip: u64) -> Option<&PresentedFrame> {
        self.presented.get(usize::try_from(flip).ok()?)?.as_ref()
    }

    /// How many flips have presentation times from the display server (X11 Present events
    /// or Wayland feedback).
    pub fn presented_flips(&self) -> usize {
        let fed_back = self
            .fed_back
            .iter()
            .filter(|(i, f)| {
                matches!(f, Feedback::Presented(_))
                    && self.presented.get(**i).is_none_or(Option::is_none)
            })
            .count();
        let shown = self
            .presented
            .iter()
            .flatten()
            .filter(|p| p.completion.mode != super::server_times::PresentMode::Skip)
            .count();
        shown + fed_back
    }

    /// Flips `from..to` as the flip log writes them.
    pub fn flip_lines(&self, from: usize, to: usize) -> Vec<Flip> {
        (from..to.min(self.timestamps.len()))
            .map(|i| Flip {
                time_s: self.timestamps[i],
                // The compositor's own words where it spoke (Wayland), else the X11 event.
                presented: match (self.fed_back.get(&i), self.presented(i as u64)) {
                    (None, Some(p)) => Some(Presentation {
                        ust_us: Some(p.completion.ust_us),
                        vblank: Some(p.completion.msc),
                        mode: p.completion.mode.name().to_string(),
                        onset_s: Some(p.onset),
                        refresh_ms: None,
                    }),
                    (Some(Feedback::Presented(p)), _) => Some(Presentation {
                        ust_us: Some(p.clock_us),
                        vblank: Some(p.seq),
                        mode: p.flags.names(),
                        onset_s: Some(p.at),
                        refresh_ms: Some(f64::from(p.refresh_ns) / 1e6),
                    }),
                    (Some(Feedback::Discarded), _) => Some(Presentation {
                        ust_us: None,
                        vblank: None,
                        mode: "discarded".into(),
                        onset_s: None,
                        refresh_ms: None,
                    }),
                    (None, None) => None,
                },
            })
            .collect()
    }

    /// Flips before this one are settled: their presentation is known or will never be.
    pub fn settled(&self) -> u64 {
        self.settled as u64
    }

    /// Presentation feedback will be logged for every frame (Wayland): where it does not
    /// time the session, a flip goes to the flip log once its feedback is in, or
    /// [`FEEDBACK_LAG`] flips later (where it does, once the flip is settled).
    pub fn await_feedback(&mut self) {
        self.awaits_feedback = true;
    }

    /// Logs what the compositor said of flip `index`'s frame.
    pub fn fed_back(&mut self, index: usize, feedback: Feedback) {
        self.fed_back.insert(index, feedback);
    }

    /// Flips before this one can go to the flip log now: when the display server's times
    /// time the session (`server_times`: X11 Present events or Wayland feedback) those
    /// settled, with feedback only logged those whose feedback came or is overdue, else all.
    pub fn loggable(&self, server_times: bool) -> usize {
        let all = self.timestamps.len();
        if server_times {
            return self.settled;
        }
        if !self.awaits_feedback {
            return all;
        }
        let overdue = all.saturating_sub(FEEDBACK_LAG);
        let answered = (overdue..all)
            .take_while(|i| self.fed_back.contains_key(i))
            .count();
        overdue + answered
    }

    /// The interval (s) from flip `i - 1` to flip `i` and the refreshes it spans: where the
    /// display server reported both flips, from their presentation times and vertical blanks
    /// (`true`), else from when they were acquired, in refresh periods of `period` s.
    fn interval(&self, i: usize, period: f64) -> (f64, u64, bool) {
        let flips = (self.presented(i as u64 - 1), self.presented(i as u64));
        match flips {
            (Some(a), Some(b)) => (
                b.onset - a.onset,
                b.completion.msc.saturating_sub(a.completion.msc),
                true,
            ),
            _ => {
                let acquired = self.timestamps[i] - self.timestamps[i - 1];
                (acquired, (acquired / period).round() as u64, false)
            }
        }
    }

    /// Every flip interval (ms), from presentation times where the display server reported
    /// both flips, else from when they were acquired.
    pub fn intervals_ms(&self, period: f64) -> Vec<f64> {
        (1..self.timestamps.len())
            .map(|i| self.interval(i, period).0 * 1000.0)
            .collect()
    }

    /// Summarises the log against the refresh period (s).
    pub fn report(&self, period: f64) -> FlipReport {
        let mut report = FlipReport {
            flips: self.timestamps.len(),
            late_intervals: 0,
            missed_refreshes: 0,
            longest_ms: 0.0,
            estimate: RefreshEstimate::from_timestamps(&self.timestamps, &[]),
        };
        for i in 1..self.timestamps.len() {
            let (interval, refreshes, reported) = self.interval(i, period);
            report.longest_ms = report.longest_ms.max(interval * 1000.0);
            let late = match reported {
                true => refreshes > 1,
                false => interval > crate::trials::timeline::LATE_FACTOR * period,
            };
            if late {
                report.late_intervals += 1;
                report.missed_refreshes += refreshes.saturating_sub(1);
            }
        }
        report
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    fn report(missed: u64) -> FlipReport {
        FlipReport {
            flips: 1800,
            late_intervals: usize::from(missed > 0),
            missed_refreshes: missed,
            longest_ms: if missed > 0 { 50.0 } else { 16.7 },
            estimate: None,
        }
    }

    #[test]
    fn a_timing_test_passes_only_synchronised_at_the_expected_rate_without_missed_refreshes() {
        assert_eq!(
            report(0).verdict(TimingMode::Synchronised, None),
            (
                true,
                "PASS: synchronised to the display, 1800 flips without a missed refresh".into()
            )
        );
        let (passed, why) = report(2).verdict(TimingMode::Synchronised, None);
        assert!(!passed);
        assert_eq!(
            why,
            "FAIL: 2 missed refreshes in 1800 flips (1 late intervals, longest 50.00 ms)"
        );
        let (passed, why) = report(0).verdict(
            TimingMode::Synchronised,
            Some("the display runs at 75.00 Hz, not 60 Hz"),
        );
        assert!(
            !passed && why == "FAIL: the display runs at 75.00 Hz, not 60 Hz",
            "{why}"
        );
        let (passed, why) = report(0).verdict(TimingMode::Unsynchronised, Some("no vertical sync"));
        assert!(!passed);
        assert_eq!(
            why,
            "FAIL: frames are not synchronised to the display (no vertical sync)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flips(period: f64, n: usize, jitter: impl Fn(usize) -> f64) -> Vec<f64> {
        (0..n).map(|i| i as f64 * period + jitter(i)).collect()
    }

    /// An estimate whose acquires each waited `wait` seconds for the display.
    fn estimate(t: &[f64], wait: f64) -> RefreshEstimate {
        RefreshEstimate::from_timestamps(t, &vec![wait * 1000.0; t.len()]).expect("enough flips")
    }

    #[test]
    fn a_steady_60_hz_display_is_synchronised_and_accepted() {
        let t = flips(
            1.0 / 60.0,
            120,
            |i| if i % 2 == 0 { 0.0001 } else { -0.0001 },
        );
        let e = estimate(&t, 0.015);
        assert_eq!(e.intervals, 119);
        assert!((e.hz() - 60.0).abs() < 0.01);
        let synced = Verdict {
            mode: TimingMode::Synchronised,
            problem: None,
        };
        assert_eq!(judge(&e, 60.0, Some(60.0)), synced);
        assert_eq!(judge(&e, 60.0, None), synced);
    }

    #[test]
    fn a_loop_that_is_not_paced_by_the_display_is_unsynchronised() {
        // Xvfb: Fifo does not block, flips every 1.7 ms.
        let v = judge(&estimate(&flips(0.0017, 120, |_| 0.0), 0.00001), 60.0, None);
        assert_eq!(v.mode, TimingMode::Unsynchronised);
        assert!(v.problem.expect("a problem").contains("no vertical sync"));
        // Xvfb on a loaded machine: the software renderer makes acquiring wait, at its own rate.
        let v = judge(
            &estimate(&flips(0.0122, 120, |i| (i % 3) as f64 * 0.001), 0.008),
            60.0,
            None,
        );
        assert_eq!(v.mode, TimingMode::Unsynchronised);
        // A loop that never waits for the display, whatever its rate.
        let v = judge(
            &estimate(&flips(1.0 / 60.0, 120, |_| 0.0), 0.0001),
            60.0,
            None,
        );
        assert_eq!(v.mode, TimingMode::Unsynchronised);
    }

    #[test]
    fn a_display_at_another_rate_or_unstable_is_refused() {
        let at_75 = estimate(&flips(1.0 / 75.0, 120, |_| 0.0), 0.012);
        let v = judge(&at_75, 60.0, Some(75.0));
        assert_eq!(v.mode, TimingMode::Synchronised);
        assert!(v.problem.expect("a problem").contains("runs at 75.00 Hz"));
        // Without the monitor's rate a steady foreign rate cannot be told from no sync.
        assert_eq!(judge(&at_75, 60.0, None).mode, TimingMode::Unsynchronised);
        let shaky = flips(1.0 / 60.0, 120, |i| if i % 2 == 0 { 0.0015 } else { 0.0 });
        let v = judge(&estimate(&shaky, 0.012), 60.0, Some(60.0));
        assert_eq!(v.mode, TimingMode::Synchronised);
        assert!(v.problem.is_some_and(|p| p.contains("unstable")));
    }

    #[test]
    fn on_wayland_frames_that_wait_for_the_compositor_are_synchronised_to_its_pace() {
        // weston headless: presents every 25 ms, the wait is in present, the output says 60 Hz.
        let jitter = |i: usize| if i.is_multiple_of(7) { 0.001 } else { 0.0 };
        let weston = estimate(&flips(0.025, 120, jitter), 0.0238);
        let v = judge_compositor(&weston, 40.0, Some(60.0));
        assert_eq!(v.mode, TimingMode::Synchronised);
        let problem = v.problem.expect("a problem");
        assert!(
            problem.starts_with("the compositor presents frames at 40."),
            "{problem}"
        );
        assert!(
            problem.ends_with("though the output reports 60.00 Hz"),
            "{problem}"
        );
        let v = judge_compositor(&weston, 60.0, Some(60.0));
        assert_eq!(v.mode, TimingMode::Synchronised);
        assert!(v
            .problem
            .is_some_and(|p| p.contains("config expects 60 Hz")));
        // The same frames judged by the monitor's mode alone would be unsynchronised.
        assert_eq!(
            judge(&weston, 60.0, Some(60.0)).mode,
            TimingMode::Unsynchronised
        );
        // A desktop at 60 Hz: synchronised without a problem.
        let desktop = estimate(&flips(1.0 / 60.0, 120, |_| 0.0), 0.015);
        let synced = Verdict {
            mode: TimingMode::Synchronised,
            problem: None,
        };
        assert_eq!(judge_compositor(&desktop, 60.0, Some(60.0)), synced);
        // Frames that never wait for the compositor are not synchronised to it.
        let free = estimate(&flips(1.0 / 60.0, 120, |_| 0.0), 0.0001);
        assert_eq!(
            judge_compositor(&free, 60.0, Some(60.0)).mode,
            TimingMode::Unsynchronised
        );
    }

    #[test]
    fn the_flip_report_counts_late_intervals_and_missed_refreshes() {
        let period = 1.0 / 60.0;
        let mut log = FlipLog::default();
        for i in [0, 1, 2, 5, 6, 8] {
            log.push(i as f64 * period);
        }
        let r = log.report(period);
        assert_eq!((r.flips, r.late_intervals, r.missed_refreshes), (6, 2, 3));
        assert!((r.longest_ms - 50.0).abs() < 1e-9);
    }

    #[test]
    fn with_presentation_times_missed_refreshes_are_the_vertical_blanks_skipped() {
        use crate::timing::server_times::{Completion, PresentMode};
        let period = 1.0 / 60.0;
        let mut log = FlipLog::default();
        // Acquired at a steady rate, yet the display server showed flip 2 three vblanks late;
        // flip 4 has no event and its intervals fall back to the acquire times.
        for (i, msc) in [(0u64, 100u64), (1, 101), (2, 104), (3, 105)] {
            log.push(i as f64 * period);
            let ust_us = 1_000_000 + (msc - 100) * 16_667;
            let completion = Completion {
                serial: i as u32 + 1,
                ust_us,
                msc,
                mode: PresentMode::Flip,
            };
            let onset = (ust_us - 1_000_000) as f64 / 1e6 + 0.01;
            log.settle(i as usize, Some(PresentedFrame { completion, onset }));
        }
        log.push(4.0 * period);
        log.settle(4, None);
        assert_eq!(log.settled(), 5);
        let r = log.report(period);
        assert_eq!((r.flips, r.late_intervals, r.missed_refreshes), (5, 1, 2));
        assert!((r.longest_ms - 50.001).abs() < 1e-6, "{}", r.longest_ms);
        let flips = log.flip_lines(0, 5);
        assert_eq!(
            flips[2].presented,
            Some(crate::data::flip_log::Presentation {
                ust_us: Some(1_066_668),
                vblank: Some(104),
                mode: "flip".into(),
                onset_s: Some(0.066668 + 0.01),
                refresh_ms: None,
            })
        );
        assert_eq!(flips[4].presented, None);
    }

    #[test]
    fn the_flip_log_carries_the_compositors_feedback_once_it_came_or_is_overdue() {
        use crate::timing::wayland_feedback::{Feedback, Presented};
        let mut log = FlipLog::default();
        log.await_feedback();
        for i in 0..3 {
            log.push(1.0 + 0.025 * f64::from(i));
        }
        assert_eq!(log.loggable(false), 0, "no feedback yet, none overdue");
        let presented = Presented {
            at: 1.06,
            clock_us: 5_001_060_000,
            refresh_ns: 16_666_667,
            seq: 0,
            flags: Default::default(),
        };
        log.fed_back(0, Feedback::Presented(presented));
        log.fed_back(1, Feedback::Discarded);
        assert_eq!(log.loggable(false), 2);
        let flips = log.flip_lines(0, 3);
        assert_eq!(
            flips[0].presented,
            Some(crate::data::flip_log::Presentation {
                ust_us: Some(5_001_060_000),
                vblank: Some(0),
                mode: String::new(),
                onset_s: Some(1.06),
                refresh_ms: Some(16.666667),
            })
        );
        assert_eq!(
            flips[1].presented.as_ref().map(|p| p.mode.as_str()),
            Some("discarded")
        );
        assert_eq!(flips[2].presented, None);
        for i in 3..(3 + FEEDBACK_LAG) {
            log.push(1.0 + 0.025 * i as f64);
        }
        assert_eq!(log.loggable(false), 3, "flip 2's feedback is overdue");
    }

    #[test]
    fn the_pacer_never_returns_before_a_frame_is_due() {
        let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(2));
        for i in 0..5 {
            let due = pacer.wait(i);
            assert!(Instant::now() >= due);
        }
    }

    #[test]
    fn after_a_stall_the_pacer_goes_on_at_its_period_instead_of_catching_up() {
        let period = Duration::from_millis(5);
        let mut pacer = Pacer::new(Instant::now(), period);
        pacer.wait(0);
        std::thread::sleep(Duration::from_millis(40));
        let resumed = pacer.wait(1);
        let next = pacer.wait(2);
        let after = pacer.wait(3);
        assert!(
            next.duration_since(resumed) >= period,
            "{:?}",
            next - resumed
        );
        assert!(after.duration_since(next) >= period);
    }

    /// Feeds flip times built from intervals (in periods) to a watch; returns its verdicts.
    fn watch(intervals: &[f64]) -> Vec<(usize, bool)> {
        let period = 1.0 / 60.0;
        let mut watch = SyncWatch::new(period);
        let mut t = 0.0;
        let mut said = Vec::new();
        watch.flip(t);
        for (i, interval) in intervals.iter().enumerate() {
            t += interval * period;
            if let Some(lost) = watch.flip(t) {
                said.push((i, lost));
            }
        }
        said
    }

    #[test]
    fn sync_lost_mid_session_is_noticed_and_its_return_too() {
        // 100 good intervals, then frames every 0.1 period (vsync off), then good again.
        let mut intervals = vec![1.0; 100];
        intervals.extend(vec![0.1; 60]);
        intervals.extend(vec![1.0; 60]);
        let said = watch(&intervals);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].1 && (115..=120).contains(&said[0].0), "{said:?}");
        assert!(!said[1].1 && (180..=190).contains(&said[1].0), "{said:?}");
    }

    #[test]
    fn late_frames_and_a_few_short_ones_are_not_lost_sync() {
        // A missed refresh now and then, and the short interval that follows a late acquire.
        let pattern: Vec<f64> = (0..300)
            .map(|i| match i % 50 {
                10 => 2.0,
                11 => 0.3,
                _ => 1.0,
            })
            .collect();
        assert!(watch(&pattern).is_empty());
    }
}
