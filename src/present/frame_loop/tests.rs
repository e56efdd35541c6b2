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

#[test]
fn a_click_while_the_last_grid_frame_is_on_screen_counts_and_one_after_it_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    crate::stimuli::demo::write_set(&dir.path().join("stimuli")).expect("stimuli");
    // 20 Hz: each frame lasts 50 ms, room enough for a test thread to click inside one.
    let text = format!(
        "experiment: loop\nstimuli: {}\noutput: {}\nrefresh_hz: 20\nms_fixation: 100\n\
         ms_stim: 100\nms_mask: 100\nms_resp_object: 600\nms_feedback: 100\ntrial_order: files\n",
        dir.path().join("stimuli").display(),
        dir.path().join("raw-data").display()
    );
    let experiment = Experiment::parse(&dir.path().join("e.yaml"), &text).expect("config");
    let set = StimulusSet::check(&experiment.config.stimuli, 224).expect("stimuli");
    let options = SessionOptions {
        subject: "s1".into(),
        trials: Some(2),
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
    let data = session
        .recorder
        .as_ref()
        .expect("a recorder")
        .paths()
        .data
        .clone();
    let centre = |c: Category| session.timeline.grid().rect(c).centre();
    let (first, second) = (centre(Category::Cat), centre(Category::Dog));
    let mut writer = DataWriter::start(
        session.recorder.take().expect("a recorder"),
        session.plan.clone(),
    )
    .expect("writer");
    let preloader = Preloader::start(session.plan.trials.clone(), 0, 224, &experiment.config.mask)
        .expect("loader");
    let period = Duration::from_millis(50);
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay {
        epoch: Instant::now(),
        period,
        refresh: 0,
        shown: shown.clone(),
        flips: FlipLog::default(),
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
        LoopSettings {
            synced: true,
            period: 0.05,
            warning: None,
            log_phases: false,
        },
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
