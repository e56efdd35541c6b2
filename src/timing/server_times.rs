//! Frames as the display server reported them: when each of shapelab's presents reached the
//! screen (X11 Present's CompleteNotify: ust, msc, mode), matched to the present it completes,
//! and the clock that turns the server's timestamps into session seconds. Wayland's
//! presentation feedback is turned into the same [`PresentedFrame`]s by the Wayland timing
//! (`wayland_times.rs`).
//!
//! How events are matched to presents (the display server numbers presents with serials, but
//! the driver, not shapelab, chooses them, and Mesa restarts them with every swapchain):
//! 1. Events complete the presents of one window in the order they were made, so each event
//!    is matched to the oldest present still waiting for one.
//! 2. Serials are used only to notice what order alone cannot: a serial more than one above
//!    the previous event's means the presents in between got no event (they are given up, when
//!    fewer than are waiting); a serial not above the previous one means a new swapchain
//!    numbering from the start again, and presents made before shapelab last recreated its
//!    swapchain that are still waiting are given up.
//! 3. A frame cannot reach the screen before it was presented: an event whose timestamp is
//!    earlier than the oldest waiting present belongs to none of them and is ignored.
//! 4. A present still without an event after [`GIVE_UP`] is given up: its frame keeps the
//!    acquire-time estimate.
//!
//! Events of another client's presents on the window (the diagnostic of
//! [`Matcher::for_other_clients`]) follow none of shapelab's presents: each says which vblank
//! was reached, and the frame on screen then is shapelab's newest present made before it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// How the display server put a frame on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PresentMode {
    /// Page-flipped: the frame was scanned out directly at a vertical blank.
    Flip,
    /// Copied into the window (a compositor, or a window that is not fullscreen): the time is
    /// when the copy completed, not necessarily when it was scanned out.
    Copy,
    /// Never shown: replaced by a later frame for the same vertical blank.
    Skip,
    /// Copied because the window could only be flipped with other buffers.
    SuboptimalCopy,
}

impl PresentMode {
    /// The mode's name in the flip log: `flip`, `copy`, `skip`, `suboptimal_copy`.
    pub fn name(self) -> &'static str {
        match self {
            PresentMode::Flip => "flip",
            PresentMode::Copy => "copy",
            PresentMode::Skip => "skip",
            PresentMode::SuboptimalCopy => "suboptimal_copy",
        }
    }

    /// Whether the frame was copied rather than flipped (a composited window).
    pub fn copied(self) -> bool {
        matches!(self, PresentMode::Copy | PresentMode::SuboptimalCopy)
    }
}

/// One completion event of the display server: which present, when, at which vertical blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// The present's serial, as the presenting client (the driver) numbered it; on Wayland
    /// the flip's number.
    pub serial: u32,
    /// When the frame reached the screen: microseconds on CLOCK_MONOTONIC (on Wayland, on the
    /// compositor's presentation clock).
    pub ust_us: u64,
    /// The vertical blank counter (media stream counter) at that moment; on Wayland the
    /// compositor's sequence, or the blanks counted from presentation intervals.
    pub msc: u64,
    /// How it was shown.
    pub mode: PresentMode,
}

/// A flip of the session as the display server reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresentedFrame {
    /// The server's event.
    pub completion: Completion,
    /// When the frame reached the screen, in seconds on the session's clock.
    pub onset: f64,
}

/// What became of a present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Present number `.0` was completed by this event.
    Completed(u64, Completion),
    /// Present number `.0` will get no event.
    GivenUp(u64),
}

/// How long a present may wait for its event before it is given up (time in which the
/// display took no frames does not count).
pub const GIVE_UP: Duration = Duration::from_secs(1);

/// A wait for the display this long was a stall (the display took no frames), not a wait for
/// the next refresh.
pub const STALLED_WAIT: Duration = Duration::from_millis(250);

/// A present waiting for its event.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    id: u64,
    at_us: u64,
    swapchain: u32,
}

/// Matches completion events to presents by the rules in the module's documentation.
#[derive(Debug, Default)]
pub struct Matcher {
    waiting: VecDeque<Waiting>,
    swapchain: u32,
    last_serial: Option<u32>,
    ignored: usize,
    /// When the last stall ended (µs): the presents waiting then wait [`GIVE_UP`] from it.
    stall_ended_us: u64,
    /// Events of other clients' presents: matched to the newest present before them.
    other_clients: bool,
}

impl Matcher {
    /// A matcher for the events of another client's presents on the window (a diagnostic):
    /// each completes the newest waiting present made before it, and gives up older ones.
    pub fn for_other_clients() -> Matcher {
        Matcher {
            other_clients: true,
            ..Matcher::default()
        }
    }

    /// Present number `id` was made at `at_us` (CLOCK_MONOTONIC µs).
    pub fn presented(&mut self, id: u64, at_us: u64) {
        self.waiting.push_back(Waiting {
            id,
            at_us,
            swapchain: self.swapchain,
        });
    }

    /// Shapelab recreated (reconfigured) its swapchain: the next presents are numbered anew.
    pub fn swapchain_recreated(&mut self) {
        self.swapchain += 1;
    }

    /// Events that completed no waiting present.
    pub fn ignored(&self) -> usize {
        self.ignored
    }

    /// Takes an event; what it settled is appended to `out`.
    pub fn completed(&mut self, event: Completion, out: &mut Vec<Settled>) {
        if self.other_clients {
            let before = self
                .waiting
                .iter()
                .take_while(|w| w.at_us <= event.ust_us)
                .count();
            let older = before.saturating_sub(1);
            out.extend(self.waiting.drain(..older).map(|w| Settled::GivenUp(w.id)));
        }
        match self.last_serial.replace(event.serial) {
            _ if self.other_clients => {}
            Some(previous) if event.serial <= previous => {
                while let Some(w) = self
                    .waiting
                    .front()
                    .filter(|w| w.swapchain < self.swapchain)
                {
                    out.push(Settled::GivenUp(w.id));
                    self.waiting.pop_front();
                }
            }
            Some(previous) => {
                let lost = (event.serial - previous - 1) as usize;
                if lost < self.waiting.len() {
                    out.extend(self.waiting.drain(..lost).map(|w| Settled::GivenUp(w.id)));
                }
            }
            None => {}
        }
        match self.waiting.front() {
            Some(w) if event.ust_us >= w.at_us => {
                out.push(Settled::Completed(w.id, event));
                self.waiting.pop_front();
            }
            _ => self.ignored += 1,
        }
    }

    /// Presents waiting for their event.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Gives up every present still waiting.
    pub fn give_up_all(&mut self) {
        self.waiting.clear();
    }

    /// The display took frames again at `now_us` after a stall: the presents waiting get a new
    /// [`GIVE_UP`] from now, since their events come once the server presents again.
    pub fn stall_ended(&mut self, now_us: u64) {
        self.stall_ended_us = now_us;
    }

    /// Gives up the presents made before `now_us - GIVE_UP` (and before the last stall's end).
    pub fn give_up_stale(&mut self, now_us: u64, out: &mut Vec<Settled>) {
        let limit = now_us.saturating_sub(GIVE_UP.as_micros() as u64);
        let stale = |w: &&Waiting| w.at_us.max(self.stall_ended_us) < limit;
        while let Some(w) = self.waiting.front().filter(stale) {
            out.push(Settled::GivenUp(w.id));
            self.waiting.pop_front();
        }
    }
}

/// Converts between `Instant`s and CLOCK_MONOTONIC microseconds, the clock of the display
/// server's timestamps (on Linux `Instant` reads the same clock; the offset is read once).
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    instant: Instant,
    us: u64,
}

impl MonotonicClock {
    /// Reads both clocks now; `None` where CLOCK_MONOTONIC cannot be read.
    pub fn now() -> Option<MonotonicClock> {
        let instant = Instant::now();
        let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
        let us =
            u64::try_from(t.tv_sec()).ok()? * 1_000_000 + u64::try_from(t.tv_nsec()).ok()? / 1000;
        Some(MonotonicClock { instant, us })
    }

    /// `at` in CLOCK_MONOTONIC microseconds.
    pub fn us(&self, at: Instant) -> u64 {
        match at.checked_duration_since(self.instant) {
            Some(after) => self.us + after.as_micros() as u64,
            None => self
                .us
                .saturating_sub(self.instant.duration_since(at).as_micros() as u64),
        }
    }

    /// Seconds from `epoch` to the CLOCK_MONOTONIC time `us`.
    pub fn seconds_since(&self, epoch: Instant, us: u64) -> f64 {
        (us as f64 - self.us(epoch) as f64) / 1e6
    }
}

/// Where a session's flip times come from.
#[derive(Debug, Clone, PartialEq)]
pub enum FlipSource {
    /// The display server's presentation timestamps, described for the record.
    Server {
        /// What they are, for the session record.
        description: String,
        /// What the experimenter is warned of before the session: the window is not
        /// page-flipped (X11: most frames were copied; Wayland: frames without `vsync` and
        /// `zero_copy`).
        warning: Option<String>,
    },
    /// The acquire-time estimate, and why the display server's timestamps are not used.
    Estimate(String),
}

/// The warning for a window the display server copies instead of page-flipping.
pub const NOT_FLIPPED: &str = "the window is not page-flipped (X11 Present mode COPY: a compositor, or a window that is not fullscreen, copies every frame): onsets are when the copy completed and frames may tear; as Psychtoolbox advises, run fullscreen and unredirected, with the compositor off";

/// What the display server reported for the flips of the refresh measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Presents made.
    pub presents: usize,
    /// Presents completed by an event.
    pub completed: usize,
    /// Of these, presents copied rather than flipped.
    pub copied: usize,
}

/// Share of the measurement's presents that must get an event for the server's timestamps to
/// be used.
const COMPLETED_SHARE: f64 = 0.9;

impl Tally {
    /// Whether the display server's timestamps (`what`, e.g. `X11 Present events`) can time
    /// the session: `Ok(copied)` with whether most frames were copied rather than
    /// page-flipped, or why not. `any_client` (diagnostic) accepts any events at all,
    /// presents of other clients included.
    pub fn verdict(&self, what: &str, any_client: bool) -> Result<bool, String> {
        // Short: the reason goes into every run of the session record.
        if self.completed == 0 {
            return Err(format!("no {what}"));
        }
        if !any_client && (self.completed as f64) < COMPLETED_SHARE * self.presents as f64 {
            return Err(format!(
                "{what} for only {} of {} flips",
                self.completed, self.presents
            ));
        }
        Ok(self.copied * 2 > self.completed)
    }
}

/// The session record's description of timestamps from X11 Present events.
pub fn x11_description(copied: bool) -> String {
    let how = if copied {
        "mode COPY (copied, not page-flipped: composited or not fullscreen)"
    } else {
        "mode FLIP (page-flipped)"
    };
    format!("X11 Present events: onset = each frame's ust (CLOCK_MONOTONIC), missed refreshes from msc gaps; {how}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CompleteNotify events (serial, ust, msc) that the second client of the X11 test
    /// received for its pixmaps on shapelab's window under Xvfb (fake 60 Hz vblank).
    const RECORDED: [(u32, u64, u64); 6] = [
        (1, 12_039_284_339, 722_386),
        (2, 12_039_301_241, 722_387),
        (3, 12_039_318_301, 722_388),
        (4, 12_039_334_353, 722_389),
        (5, 12_039_351_463, 722_390),
        (6, 12_039_368_046, 722_391),
    ];

    fn event(serial: u32, ust_us: u64, msc: u64) -> Completion {
        Completion {
            serial,
            ust_us,
            msc,
            mode: PresentMode::Copy,
        }
    }

    #[derive(Clone, Copy)]
    enum Step {
        Present(u64, u64),
        Recreate,
        Event(Completion),
    }

    /// Feeds the steps to a matcher; returns what settled.
    fn run(steps: &[Step]) -> (Vec<Settled>, Matcher) {
        let mut m = Matcher::default();
        let mut out = Vec::new();
        for step in steps {
            match *step {
                Step::Present(id, at) => m.presented(id, at),
                Step::Recreate => m.swapchain_recreated(),
                Step::Event(e) => m.completed(e, &mut out),
            }
        }
        (out, m)
    }

    /// The recorded events with these serials, each arriving one frame after its present
    /// (made 10 ms before its vblank); `recreate_after`: the swapchain is recreated after
    /// that present.
    fn recorded(serials: [Option<u32>; 6], recreate_after: Option<u64>) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut due: Option<Completion> = None;
        for (i, &(_, ust, msc)) in RECORDED.iter().enumerate() {
            steps.push(Step::Present(i as u64, ust - 10_000));
            if recreate_after == Some(i as u64) {
                steps.push(Step::Recreate);
            }
            steps.extend(due.take().map(Step::Event));
            due = serials[i].map(|serial| event(serial, ust, msc));
        }
        steps.extend(due.map(Step::Event));
        steps
    }

    fn completed(ids: &[u64]) -> Vec<Settled> {
        ids.iter()
            .map(|&i| {
                let (_, ust, msc) = RECORDED[i as usize];
                let serial = match i {
                    0..=2 => 41 + i as u32,
                    _ => i as u32 - 2,
                };
                Settled::Completed(i, event(serial, ust, msc))
            })
            .collect()
    }

    #[test]
    fn each_event_completes_the_oldest_waiting_present() {
        let serials = RECORDED.map(|r| Some(r.0));
        let (out, m) = run(&recorded(serials, None));
        let expected: Vec<Settled> = RECORDED
            .iter()
            .enumerate()
            .map(|(i, &(s, u, msc))| Settled::Completed(i as u64, event(s, u, msc)))
            .collect();
        assert_eq!(out, expected);
        assert_eq!(m.ignored(), 0);
    }

    #[test]
    fn a_recreated_swapchain_restarts_serials_and_gives_up_the_old_presents_left() {
        // Presents 0-2 on the old swapchain (serials 41-43), 3-5 on the new one (1-3);
        // present 2's event never came.
        let serials = [Some(41), Some(42), None, Some(1), Some(2), Some(3)];
        let (out, _) = run(&recorded(serials, Some(2)));
        let mut expected = completed(&[0, 1]);
        expected.push(Settled::GivenUp(2));
        expected.extend(completed(&[3, 4, 5]));
        assert_eq!(out, expected);
        // With every old present completed nothing is given up.
        let serials = [Some(41), Some(42), Some(43), Some(1), Some(2), Some(3)];
        let (out, _) = run(&recorded(serials, Some(2)));
        assert_eq!(out, completed(&[0, 1, 2, 3, 4, 5]));
    }

    #[test]
    fn a_serial_gap_gives_up_the_presents_whose_events_were_lost() {
        let (out, _) = run(&[
            Step::Present(0, 0),
            Step::Present(1, 16_000),
            Step::Present(2, 33_000),
            Step::Present(3, 50_000),
            Step::Event(event(7, 10_000, 1)),
            Step::Event(event(10, 60_000, 4)),
        ]);
        assert_eq!(
            out,
            [
                Settled::Completed(0, event(7, 10_000, 1)),
                Settled::GivenUp(1),
                Settled::GivenUp(2),
                Settled::Completed(3, event(10, 60_000, 4)),
            ]
        );
    }

    #[test]
    fn an_event_before_any_waiting_present_is_ignored_and_stale_presents_are_given_up() {
        let mut m = Matcher::default();
        let mut out = Vec::new();
        m.completed(event(1, 5_000, 1), &mut out);
        m.presented(0, 10_000);
        m.completed(event(2, 9_000, 2), &mut out);
        assert!(out.is_empty());
        assert_eq!(m.ignored(), 2);
        m.presented(1, 20_000);
        m.give_up_stale(1_015_000, &mut out);
        assert_eq!(out, [Settled::GivenUp(0)]);
        m.completed(event(3, 1_016_000, 3), &mut out);
        assert_eq!(out[1], Settled::Completed(1, event(3, 1_016_000, 3)));
    }

    #[test]
    fn a_present_waiting_through_a_stall_gets_its_event_after_it() {
        let mut m = Matcher::default();
        let mut out = Vec::new();
        m.presented(0, 10_000);
        // Acquiring the next frame blocked 1.5 s; the display takes frames again.
        m.stall_ended(1_510_000);
        m.give_up_stale(1_530_000, &mut out);
        assert!(out.is_empty(), "{out:?}");
        m.completed(event(1, 1_520_000, 90), &mut out);
        assert_eq!(out, [Settled::Completed(0, event(1, 1_520_000, 90))]);
    }

    #[test]
    fn another_clients_events_complete_the_newest_present_before_them() {
        let mut m = Matcher::for_other_clients();
        let mut out = Vec::new();
        // Two presents before the first vblank, one before the second, none before the third.
        for (id, at) in [(0, 1_000), (1, 9_000), (2, 20_000)] {
            m.presented(id, at);
        }
        for (serial, ust) in [(7, 16_667), (8, 33_333), (9, 50_000)] {
            m.completed(event(serial, ust, u64::from(serial)), &mut out);
        }
        assert_eq!(
            out,
            [
                Settled::GivenUp(0),
                Settled::Completed(1, event(7, 16_667, 7)),
                Settled::Completed(2, event(8, 33_333, 8)),
            ]
        );
        assert_eq!(m.ignored(), 1);
    }

    #[test]
    fn the_measurement_decides_whether_the_servers_times_are_used() {
        const X11: &str = "X11 Present events";
        let tally = |completed, copied| Tally {
            presents: 120,
            completed,
            copied,
        };
        assert_eq!(
            tally(0, 0).verdict(X11, false),
            Err("no X11 Present events".into())
        );
        assert_eq!(
            tally(0, 0).verdict(X11, true),
            Err("no X11 Present events".into())
        );
        assert_eq!(
            tally(60, 0).verdict(X11, false),
            Err("X11 Present events for only 60 of 120 flips".into())
        );
        assert_eq!(tally(60, 60).verdict(X11, true), Ok(true));
        assert_eq!(tally(118, 0).verdict(X11, false), Ok(false));
        assert_eq!(tally(118, 100).verdict(X11, false), Ok(true));
    }

    #[test]
    fn the_monotonic_clock_agrees_with_instants() {
        let clock = MonotonicClock::now().expect("CLOCK_MONOTONIC");
        let later = MonotonicClock::now().expect("CLOCK_MONOTONIC");
        let now = Instant::now();
        // Both pairs convert the same instant alike, to within the time between the reads.
        assert!(clock.us(now).abs_diff(later.us(now)) < 2_000);
        let epoch = now - Duration::from_millis(250);
        let s = clock.seconds_since(epoch, clock.us(now));
        assert!((s - 0.25).abs() < 1e-5, "{s}");
    }
}
