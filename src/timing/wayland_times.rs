//! The session's flip times from Wayland presentation feedback: which frames of the refresh
//! measurement the compositor answered decides whether its times time the session, and then
//! each flip is settled in the flip log from its feedback (onset, vertical blank count, how it
//! was shown) as X11 Present events settle them, or given up after [`GIVE_UP`].
//!
//! Vertical blanks are the compositor's `seq` where it counts them. Where it does not (`seq`
//! 0, as on weston's headless backend and outputs without a fixed rate), they are counted from
//! the presentation intervals in frames of the compositor's pace: its refresh period when it
//! presents at that rate, else the median interval between the measured frames' presentations.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::flips::FlipLog;
use super::server_times::{Completion, PresentMode, PresentedFrame, Tally, GIVE_UP, STALLED_WAIT};
use super::wayland_feedback::{Feedback, Presented};

/// How the vertical blanks between two presented frames are counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Counter {
    /// The compositor's vblank sequence (`seq`).
    Sequence,
    /// Presentation intervals, in frames of this period (s).
    Intervals(f64),
}

/// The feedback of the refresh measurement, then the settling of the session's flips.
#[derive(Debug, Default)]
pub struct FeedbackTimes {
    /// Presents of the refresh measurement.
    measured_presents: usize,
    /// The compositor's answers on them.
    measured: Vec<Feedback>,
    /// How vertical blanks are counted, once the feedback times the session.
    counter: Option<Counter>,
    /// The newest frame shown: a discarded frame after it was replaced at its vertical
    /// blank, and the next one's blanks are counted from it.
    last: Option<PresentedFrame>,
    /// Flips waiting for their feedback, and when they were presented.
    waiting: VecDeque<(usize, Instant)>,
}

/// Share of discarded frames above which the measured frames were not synchronised.
pub const DISCARDED_SHARE: f64 = 0.1;
/// Answers needed to judge by the feedback.
const MIN_ANSWERED: usize = 10;

/// Share of the measured pace within which the compositor's refresh period is taken as its pace.
const PACE_TOLERANCE: f64 = 0.25;

impl FeedbackTimes {
    /// A frame of the refresh measurement was presented with a feedback request.
    pub fn measuring(&mut self) {
        self.measured_presents += 1;
    }

    /// The compositor answered on a frame of the refresh measurement.
    pub fn measured(&mut self, feedback: Feedback) {
        self.measured.push(feedback);
    }

    /// The compositor's answers on the refresh measurement's frames.
    pub fn measured_feedback(&self) -> &[Feedback] {
        &self.measured
    }

    /// Why the feedback says frames were not synchronised to the compositor: it discarded
    /// more than [`DISCARDED_SHARE`] of the measured frames it answered on (frames replaced
    /// before they were shown come faster than it presents them); `None` when it did not, or
    /// answered on too few to tell.
    pub fn discarded(&self) -> Option<String> {
        let discarded = self
            .measured
            .iter()
            .filter(|f| matches!(f, Feedback::Discarded))
            .count();
        let answered = self.measured.len();
        (answered >= MIN_ANSWERED && discarded as f64 > DISCARDED_SHARE * answered as f64).then(
            || format!("the compositor discarded {discarded} of {answered} measured frames unseen"),
        )
    }

    /// Ends the refresh measurement: how vertical blanks will be counted when the feedback
    /// can time the session, or why it cannot (too few frames answered).
    pub fn end_measurement(&mut self) -> Result<Counter, String> {
        let presented: Vec<&Presented> = self.measured.iter().filter_map(Feedback::shown).collect();
        let tally = Tally {
            presents: self.measured_presents,
            completed: self.measured.len(),
            copied: 0,
        };
        if presented.is_empty() {
            return Err("no Wayland presentation feedback on the measured frames".into());
        }
        if presented.iter().any(|p| !p.at.is_finite()) {
            return Err("the compositor's presentation clock cannot be read".into());
        }
        tally.verdict("Wayland presentation feedback", false)?;
        let counted = presented.iter().all(|p| p.seq > 0)
            && presented.windows(2).all(|w| w[1].seq >= w[0].seq)
            && presented.first().map(|p| p.seq) != presented.last().map(|p| p.seq);
        let counter = match counted {
            true => Counter::Sequence,
            false => Counter::Intervals(pace(&self.measured)?),
        };
        self.counter = Some(counter);
        Ok(counter)
    }

    /// Flip `flip` is being presented at `at` with a feedback request.
    pub fn presenting(&mut self, flip: usize, at: Instant) {
        if self.counter.is_none() {
            return;
        }
        // A long gap since the last present is a stall anywhere in the frame (in acquiring
        // too): the flips waiting for answers wait anew from now.
        if let Some(&(_, previous)) = self.waiting.back() {
            self.present_returned(at, at.saturating_duration_since(previous));
        }
        self.waiting.push_back((flip, at));
    }

    /// The compositor's answer on flip `flip` settles it in `flips`, when the feedback times
    /// the session.
    pub fn settle(&mut self, flip: usize, feedback: Feedback, flips: &mut FlipLog) {
        let Some(counter) = self.counter else {
            return;
        };
        while self.waiting.front().is_some_and(|w| w.0 <= flip) {
            self.waiting.pop_front();
        }
        // An answer for a flip already settled (given up, or after a newer flip's answer)
        // comes too late: its line may be written, and it must not move the count back.
        if (flip as u64) < flips.settled() {
            return;
        }
        let last = self.last;
        let frame = match feedback {
            Feedback::Presented(p) => {
                let vblank = match (counter, last) {
                    (Counter::Sequence, _) => p.seq,
                    (Counter::Intervals(period), Some(last)) => {
                        let frames = ((p.at - last.onset) / period).round().max(0.0);
                        last.completion.msc.saturating_add(frames as u64)
                    }
                    (Counter::Intervals(_), None) => 0,
                };
                let frame = PresentedFrame {
                    completion: Completion {
                        serial: flip as u32,
                        ust_us: p.clock_us,
                        msc: vblank,
                        mode: match p.flags.vsync() && p.flags.zero_copy() {
                            true => PresentMode::Flip,
                            false => PresentMode::Copy,
                        },
                    },
                    onset: p.at,
                };
                self.last = Some(frame);
                Some(frame)
            }
            Feedback::Discarded => last.map(|last| PresentedFrame {
                completion: Completion {
                    serial: flip as u32,
                    mode: PresentMode::Skip,
                    ..last.completion
                },
                onset: last.onset,
            }),
        };
        flips.settle(flip, frame);
    }

    /// A present returned at `now` after blocking for `waited`: after a stall (the compositor
    /// took no frames) the flips waiting for answers get a new [`GIVE_UP`] from now, since the
    /// compositor answers once it presents again.
    pub fn present_returned(&mut self, now: Instant, waited: Duration) {
        if waited >= STALLED_WAIT {
            for waiting in &mut self.waiting {
                waiting.1 = now;
            }
        }
    }

    /// Gives up the flips presented more than [`GIVE_UP`] before `now` without an answer:
    /// they keep the acquire-time estimate.
    pub fn give_up_stale(&mut self, now: Instant, flips: &mut FlipLog) {
        while let Some(&(flip, at)) = self.waiting.front() {
            if now.saturating_duration_since(at) < GIVE_UP {
                break;
            }
            self.waiting.pop_front();
            flips.settle(flip, None);
        }
    }
}

/// The compositor's pace (s): its refresh period when consecutive frames were presented at
/// about that rate, else the median interval between consecutive frames' presentations (a
/// discarded frame between two is not counted over); or why there is none.
fn pace(measured: &[Feedback]) -> Result<f64, String> {
    let mut intervals: Vec<f64> = measured
        .windows(2)
        .filter_map(|w| Some(w[1].shown()?.at - w[0].shown()?.at))
        .collect();
    intervals.sort_by(f64::total_cmp);
    let median = *intervals.get(intervals.len() / 2).ok_or(
        "too few consecutive frames presented in the refresh measurement to know the compositor's pace",
    )?;
    let refresh = measured
        .iter()
        .rev()
        .find_map(Feedback::shown)
        .map_or(0.0, |p| f64::from(p.refresh_ns) / 1e9);
    let pace = match refresh > 0.0 && (median / refresh - 1.0).abs() <= PACE_TOLERANCE {
        true => refresh,
        false => median,
    };
    match pace.is_finite() && pace > 0.0 {
        true => Ok(pace),
        false => Err(format!(
            "the compositor presented the measured frames {:.3} ms apart: no pace to count refreshes in",
            pace * 1000.0
        )),
    }
}

/// The session record's description of flip times from presentation feedback.
pub fn description(counter: Counter, clock: &str) -> String {
    let counted = match counter {
        Counter::Sequence => "missed refreshes from gaps in the compositor's vblank sequence".into(),
        Counter::Intervals(period) => format!(
            "missed refreshes from presentation intervals in frames of {:.3} ms (the compositor counts no vblanks)",
            period * 1000.0
        ),
    };
    format!("Wayland presentation feedback (wp_presentation, clock {clock}): onset = each frame's presentation time, {counted}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::wayland_feedback::Flags;

    /// Feedback of a frame presented at `at` s with vblank `seq`, on a 60 Hz output.
    fn shown(at: f64, seq: u64) -> Feedback {
        Feedback::Presented(Presented {
            at,
            clock_us: (at * 1e6) as u64,
            refresh_ns: 16_666_667,
            seq,
            flags: Flags::default(),
        })
    }

    /// A measurement of `n` frames answered as `answer(i)` says, ended.
    fn measured(
        n: usize,
        answer: impl Fn(usize) -> Option<Feedback>,
    ) -> (FeedbackTimes, Result<Counter, String>) {
        let mut times = FeedbackTimes::default();
        for i in 0..n {
            times.measuring();
            if let Some(f) = answer(i) {
                times.measured(f);
            }
        }
        let counter = times.end_measurement();
        (times, counter)
    }

    /// Feedback timing a session after a 60 Hz measurement (with a vblank sequence when
    /// `counted`), and `n` flips presented at `start` one refresh apart.
    fn presented_at(start: Instant, n: usize, counted: bool) -> (FeedbackTimes, FlipLog) {
        let seq = |i: usize| if counted { 100 + i as u64 } else { 0 };
        let (mut times, _) = measured(20, |i| Some(shown(i as f64 / 60.0, seq(i))));
        let mut flips = FlipLog::default();
        for i in 0..n {
            flips.push(1.0 + i as f64 / 60.0);
            times.presenting(i, start);
        }
        (times, flips)
    }

    #[test]
    fn the_compositors_vblank_sequence_counts_refreshes_where_it_has_one() {
        let (_, counter) = measured(20, |i| Some(shown(i as f64 / 60.0, 1000 + i as u64)));
        assert_eq!(counter, Ok(Counter::Sequence));
    }

    #[test]
    fn without_a_sequence_refreshes_are_counted_in_the_compositors_pace() {
        // At the output's refresh: its period.
        let (_, counter) = measured(20, |i| Some(shown(i as f64 / 60.0, 0)));
        assert_eq!(counter, Ok(Counter::Intervals(0.016_666_667)));
        // weston's headless backend says 60 Hz but presents every 25 ms: the pace it keeps.
        let (_, counter) = measured(20, |i| Some(shown(i as f64 * 0.025, 0)));
        let Ok(Counter::Intervals(period)) = counter else {
            panic!("{counter:?}");
        };
        assert!((period - 0.025).abs() < 1e-9, "{period}");
    }

    #[test]
    fn the_pace_is_counted_between_consecutive_frames_only() {
        // weston presents every 25 ms; every other frame is replaced before it is shown.
        let (_, counter) = measured(40, |i| match i % 2 {
            0 => Some(shown(i as f64 * 0.025, 0)),
            _ => Some(Feedback::Discarded),
        });
        assert_eq!(counter, Err("too few consecutive frames presented in the refresh measurement to know the compositor's pace".into()));
        let (_, counter) = measured(40, |i| match i % 4 {
            3 => Some(Feedback::Discarded),
            _ => Some(shown(i as f64 * 0.025, 0)),
        });
        let Ok(Counter::Intervals(period)) = counter else {
            panic!("{counter:?}");
        };
        assert!((period - 0.025).abs() < 1e-9, "{period}");
        // Frames presented all at once: no pace, the estimate stays.
        let (_, counter) = measured(20, |_| Some(shown(1.0, 0)));
        assert_eq!(counter, Err("the compositor presented the measured frames 0.000 ms apart: no pace to count refreshes in".into()));
        let (_, counter) = measured(20, |i| Some(shown(f64::NAN * i as f64, 0)));
        assert_eq!(
            counter,
            Err("the compositor's presentation clock cannot be read".into())
        );
    }

    #[test]
    fn an_answer_after_a_stall_still_times_its_flip_and_a_late_one_does_not_move_the_count_back() {
        let start = Instant::now();
        let (mut times, mut flips) = presented_at(start, 3, false);
        // The next present blocked 1.5 s: the answers on flips 0-2 come after it.
        let back = start + Duration::from_millis(1500);
        times.present_returned(back, Duration::from_millis(1500));
        times.give_up_stale(back + Duration::from_millis(20), &mut flips);
        assert_eq!(flips.settled(), 0, "nothing given up right after the stall");
        // Answers out of order: flip 1, then flip 0 too late (flip 1 settled it), then 2.
        times.settle(1, shown(2.5, 0), &mut flips);
        times.settle(0, shown(2.5 - 1.0 / 60.0, 0), &mut flips);
        times.settle(2, shown(2.5 + 1.0 / 60.0, 0), &mut flips);
        assert!(flips.presented(0).is_none(), "a late answer is not used");
        let vblanks: Vec<u64> = (1..3)
            .map(|f| flips.presented(f).expect("settled").completion.msc)
            .collect();
        assert_eq!(vblanks[1] - vblanks[0], 1, "{vblanks:?}");
    }

    #[test]
    fn a_stall_in_acquiring_does_not_give_up_the_flips_before_it() {
        let start = Instant::now();
        let (mut times, mut flips) = presented_at(start, 3, false);
        // Acquiring flip 3 took 1.5 s; its present returned at once.
        let back = start + Duration::from_millis(1500);
        flips.push(2.5);
        times.presenting(3, back);
        times.present_returned(back, Duration::ZERO);
        times.give_up_stale(back + Duration::from_millis(20), &mut flips);
        assert_eq!(flips.settled(), 0);
        times.give_up_stale(back + Duration::from_millis(1020), &mut flips);
        assert_eq!(
            flips.settled(),
            4,
            "a second after the stall they are given up"
        );
    }

    #[test]
    fn a_measurement_the_compositor_did_not_answer_leaves_the_estimate() {
        let (_, counter) = measured(20, |_| None);
        assert_eq!(
            counter,
            Err("no Wayland presentation feedback on the measured frames".into())
        );
        let (_, counter) = measured(20, |i| (i < 10).then(|| shown(i as f64 / 60.0, 0)));
        assert_eq!(
            counter,
            Err("Wayland presentation feedback for only 10 of 20 flips".into())
        );
    }

    #[test]
    fn flips_are_settled_by_their_feedback_and_a_missed_refresh_and_a_discarded_frame_show() {
        let start = Instant::now();
        let (mut times, mut flips) = presented_at(start, 5, false);
        // Flip 1 stayed two refreshes (flip 2 a refresh late); flip 3 was replaced by flip 4.
        times.settle(0, shown(1.02, 0), &mut flips);
        times.settle(1, shown(1.02 + 1.0 / 60.0, 0), &mut flips);
        times.settle(2, shown(1.02 + 3.0 / 60.0, 0), &mut flips);
        times.settle(3, Feedback::Discarded, &mut flips);
        times.settle(4, shown(1.02 + 4.0 / 60.0, 0), &mut flips);
        let vblanks: Vec<(u64, PresentMode)> = (0..5)
            .map(|f| {
                let p = flips.presented(f).expect("settled");
                (p.completion.msc, p.completion.mode)
            })
            .collect();
        use PresentMode::{Copy, Skip};
        assert_eq!(
            vblanks,
            [(0, Copy), (1, Copy), (3, Copy), (3, Skip), (4, Copy)]
        );
        assert_eq!(flips.settled(), 5);
        assert_eq!(flips.presented(2).map(|p| p.onset), Some(1.02 + 3.0 / 60.0));
        let report = flips.report(1.0 / 60.0);
        assert_eq!(report.missed_refreshes, 1);
    }

    #[test]
    fn a_flip_without_feedback_for_a_second_keeps_the_estimate_and_later_ones_are_settled() {
        let start = Instant::now();
        let (mut times, mut flips) = presented_at(start, 1, true);
        flips.push(1.1);
        times.presenting(1, start + Duration::from_millis(100));
        times.give_up_stale(start + Duration::from_millis(900), &mut flips);
        assert_eq!(flips.settled(), 0, "not a second yet");
        times.give_up_stale(start + Duration::from_millis(1050), &mut flips);
        assert_eq!(flips.settled(), 1);
        assert!(flips.presented(0).is_none());
        times.settle(1, shown(1.12, 200), &mut flips);
        assert_eq!(flips.settled(), 2);
        assert_eq!(flips.presented(1).map(|p| p.completion.msc), Some(200));
    }

    #[test]
    fn frames_the_compositor_discards_unseen_were_not_synchronised_to_it() {
        let (times, _) = measured(30, |i| Some(shown(i as f64 / 60.0, 0)));
        assert_eq!(times.discarded(), None);
        // Mailbox-like: every other frame replaced before the compositor presented it.
        let (times, _) = measured(30, |i| match i % 2 {
            0 => Some(shown(i as f64 / 60.0, 0)),
            _ => Some(Feedback::Discarded),
        });
        assert_eq!(
            times.discarded().as_deref(),
            Some("the compositor discarded 15 of 30 measured frames unseen")
        );
        // Too few answers to tell.
        let (times, _) = measured(30, |i| (i < 4).then_some(Feedback::Discarded));
        assert_eq!(times.discarded(), None);
    }

    #[test]
    fn the_record_says_how_refreshes_are_counted() {
        assert_eq!(
            description(Counter::Intervals(0.025), "1"),
            "Wayland presentation feedback (wp_presentation, clock 1): onset = each frame's presentation time, missed refreshes from presentation intervals in frames of 25.000 ms (the compositor counts no vblanks)"
        );
        assert!(description(Counter::Sequence, "1").ends_with("vblank sequence"));
    }
}
