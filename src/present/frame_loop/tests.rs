//! The real session loop on a virtual display that flips in real time at its refresh, as a
//! synchronised display does with Fifo and one frame of latency: acquiring waits for the next
//! refresh, and a frame presented appears at the refresh after that. Clicks come from another
//! thread at chosen moments of what is on screen, through the same channel as the window's.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;
use crate::categories::Category;
use crate::config::Experiment;
use crate::data::paths::CompanionFiles;
use crate::data::raw::read_rows;
use crate::present::clock::FlipLog;
use crate::stimuli::mask::Mask;

/// What the virtual display showed: each frame's screen and when it appeared.
type Shown = Arc<Mutex<Vec<(Instant, Screen)>>>;

struct VirtualDisplay {
    epoch: Instant,
    period: Duration,
    refresh: u32,
    shown: Shown,
    flips: FlipLog,
    /// Once set, presenting blocks until the receiver gives word, as a driver waits for a
    /// compositor that stopped taking frames.
    stall: Option<(Arc<std::sync::atomic::AtomicBool>, mpsc::Receiver<()>)>,
}

impl FrameTarget for VirtualDisplay {
    type Frame = ();

    fn acquire(&mut self) -> Result<Acquired<()>> {
        self.refresh += 1;
        let vblank = self.epoch + self.period * self.refresh;
        if let Some(wait) = vblank.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        Ok(Acquired::Frame((), Instant::now()))
    }

    fn present(&mut self, _: (), screen: &Screen, _: &Overlay) {
        if let Some((stalled, release)) = &self.stall {
            if stalled.load(std::sync::atomic::Ordering::Acquire) {
                let _ = release.recv();
                self.stall = None;
            }
        }
        let appears = self.epoch + self.period * (self.refresh + 1);
        if let Ok(mut shown) = self.shown.lock() {
            shown.push((appears, *screen));
        }
    }

    fn load_trial(&mut self, _: &[u8], _: &Mask) {}

    fn show_cursor(&mut self, _: bool) {}

    fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }

    fn note(&mut self, _: &str) {}

    fn take_disturbances(&mut self) -> Vec<Disturbance> {
        Vec::new()
    }

    fn flips(&mut self) -> &mut FlipLog {
        &mut self.flips
    }
}

/// When the `nth` (0-based) run of screens matching `wanted` first appeared.
fn appeared(shown: &Shown, nth: usize, wanted: impl Fn(&Screen) -> bool) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(shown) = shown.lock() {
            let starts: Vec<Instant> = shown
                .iter()
                .enumerate()
                .filter(|(i, (_, s))| wanted(s) && (*i == 0 || !wanted(&shown[i - 1].1)))
                .map(|(_, (at, _))| *at)
                .collect();
            if let Some(at) = starts.get(nth) {
                return *at;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the screen never came");
}

fn sleep_until(at: Instant) {
    if let Some(wait) = at.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
}

fn click(window: &Sender<WindowInput>, (x, y): (f64, f64)) {
    let at = Instant::now();
    let _ = window.send(WindowInput::Click { at, x, y });
    let _ = window.send(WindowInput::Release {
        at: at + Duration::from_millis(30),
    });
}

/// A session at 20 Hz (each frame lasts 50 ms, room enough for a test thread to click inside
/// one) over the demo images in `dir`, its data writer and image loader, and its data file.
fn session_at_20_hz(
    dir: &std::path::Path,
    trials: usize,
) -> (Session, DataWriter, Preloader, std::path::PathBuf) {
    crate::stimuli::demo::write_set(&dir.join("stimuli")).expect("stimuli");
    let text = format!(
        "experiment: loop\nstimuli: {}\noutput: {}\nrefresh_hz: 20\nms_fixation: 100\n\
         ms_stim: 100\nms_mask: 100\nms_resp_object: 600\nms_feedback: 100\ntrial_order: files\n",
        dir.join("stimuli").display(),
        dir.join("raw-data").display()
    );
    let experiment = Experiment::parse(&dir.join("e.yaml"), &text).expect("config");
    let set = StimulusSet::check(&experiment.config.stimuli, 224).expect("stimuli");
    let options = SessionOptions {
        subject: "s1".into(),
        trials: Some(trials),
        ..SessionOptions::default()
    };
    let facts = DisplayFacts {
        timing: TimingMode::Synchronised,
        refresh_hz_expected: 20.0,
        refresh_hz_measured: Some(20.0),
        refresh_sd_ms: Some(0.0),
        timestamps: "a virtual display".into(),
        width_px: 1024,
        height_px: 768,
    };
    let mut session = session::open(&experiment, &set, &options, facts).expect("session");
    let recorder = session.recorder.take().expect("a recorder");
    let data = recorder.paths().data.clone();
    let writer = DataWriter::start(recorder, session.plan.clone()).expect("writer");
    let preloader = Preloader::start(session.plan.trials.clone(), 0, 224, &experiment.config.mask)
        .expect("loader");
    (session, writer, preloader, data)
}

/// The loop's settings for the 20 Hz virtual display.
fn at_20_hz() -> LoopSettings {
    LoopSettings {
        synced: true,
        period: 0.05,
        warning: None,
        log_phases: false,
    }
}

#[test]
fn a_click_while_the_last_grid_frame_is_on_screen_counts_and_one_after_it_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut session, mut writer, preloader, data) = session_at_20_hz(dir.path(), 2);
    let centre = |c: Category| session.timeline.grid().rect(c).centre();
    let (first, second) = (centre(Category::Cat), centre(Category::Dog));
    let period = Duration::from_millis(50);
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay {
        epoch: Instant::now(),
        period,
        refresh: 0,
        shown: shown.clone(),
        flips: FlipLog::default(),
        stall: None,
    };
    let (window, inputs) = mpsc::channel();
    let participant = std::thread::spawn(move || {
        let start = appeared(&shown, 0, |s| matches!(s, Screen::Start { .. }));
        sleep_until(start + period * 2);
        click(&window, (5.0, 5.0));
        // The grid stays 12 frames; the first frame without it is acquired a refresh before it
        // appears. Trial 1: a click 20 ms before the grid leaves the screen.
        let grid = |n| appeared(&shown, n, |s| *s == Screen::Response);
        let leaves = grid(0) + period * 12;
        sleep_until(leaves - Duration::from_millis(20));
        click(&window, first);
        // Trial 2: a click 20 ms after it left.
        let leaves = grid(1) + period * 12;
        sleep_until(leaves + Duration::from_millis(20));
        click(&window, second);
        std::thread::sleep(period * 6);
        let _ = window.send(WindowInput::Escape);
        let _ = window.send(WindowInput::Yes);
    });
    let ended = run_session(
        &mut display,
        &mut session,
        SessionParts {
            inputs: &inputs,
            writer: Some(&mut writer),
            preloader,
            beeper: None,
        },
        at_20_hz(),
    )
    .expect("the session ran");
    participant.join().expect("the participant clicked");
    writer.finish().expect("written");
    assert!(ended.aborted() || ended == Ended::Session { aborted: false });
    let rows = read_rows(&data).expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].object_response,
        Some(Category::Cat),
        "{:?}",
        rows[0]
    );
    let rt = rows[0].rt.expect("an rt");
    assert!((0.55..0.6).contains(&rt), "rt {rt}");
    assert_eq!(rows[1].object_response, None, "{:?}", rows[1]);
}

#[test]
fn a_session_whose_display_stalls_keeps_its_saved_rows_and_is_ended_by_its_writer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut session, mut writer, preloader, data) = session_at_20_hz(dir.path(), 6);
    let record = CompanionFiles::of(&data).expect("companions").record;
    let line = writer.line().expect("the writer's line");
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (release, stall) = mpsc::channel();
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay {
        epoch: Instant::now(),
        period: Duration::from_millis(50),
        refresh: 0,
        shown: shown.clone(),
        flips: FlipLog::default(),
        stall: Some((stalled.clone(), stall)),
    };
    let (window, inputs) = mpsc::channel();
    let render = std::thread::spawn(move || {
        let ended = run_session(
            &mut display,
            &mut session,
            SessionParts {
                inputs: &inputs,
                writer: Some(&mut writer),
                preloader,
                beeper: None,
            },
            at_20_hz(),
        );
        (ended, writer)
    });
    let start = appeared(&shown, 0, |s| matches!(s, Screen::Start { .. }));
    sleep_until(start + Duration::from_millis(100));
    click(&window, (5.0, 5.0));
    // Two trials time out and are written; then the display stops taking frames.
    let deadline = Instant::now() + Duration::from_secs(30);
    while read_rows(&data).map_or(0, |rows| rows.len()) < 2 {
        assert!(Instant::now() < deadline, "no rows written");
        std::thread::sleep(Duration::from_millis(20));
    }
    stalled.store(true, std::sync::atomic::Ordering::Release);
    std::thread::sleep(Duration::from_millis(300));
    let before = std::fs::read_to_string(&data).expect("data");
    // What the watchdog does: a note at once, then the end from outside the render thread.
    line.note("no frame was shown for 2 s".into());
    let rows = line
        .end_now("ended while it could not show frames".into())
        .expect("saved");
    let after = std::fs::read_to_string(&data).expect("data");
    assert_eq!(after, before, "the rows written stay as they were");
    assert!(
        rows >= 2 && after.lines().count() == rows + 1,
        "{rows} {after}"
    );
    let text = std::fs::read_to_string(&record).expect("record");
    assert!(text.contains("\"status\": \"aborted\""), "{text}");
    assert!(
        text.contains("no frame was shown for 2 s")
            && text.contains("ended while it could not show frames"),
        "{text}"
    );
    // Frames come back; the experimenter ends the session in the window.
    let _ = window.send(WindowInput::Escape);
    let _ = window.send(WindowInput::Yes);
    drop(line);
    let _ = release.send(());
    let (ended, writer) = render.join().expect("the render thread ends");
    assert!(ended.expect("the session ran").aborted());
    writer.finish().expect("written");
}
