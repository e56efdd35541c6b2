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
use crate::stimuli::mask::Mask;
use crate::timing::flips::FlipLog;
use crate::trials::timeline::Button;

/// What the virtual display showed: each frame's screen and when it appeared.
type Shown = Arc<Mutex<Vec<(Instant, Screen)>>>;

struct VirtualDisplay {
    epoch: Instant,
    period: Duration,
    refresh: u32,
    shown: Shown,
    flips: FlipLog,
    server: Option<Server>,
    /// Once set, presenting blocks until the receiver gives word, as a driver waits for a
    /// compositor that stopped taking frames.
    stall: Option<(Arc<std::sync::atomic::AtomicBool>, mpsc::Receiver<()>)>,
}

/// A display server that reports each frame two flips after it was presented: it appears
/// [`SCANOUT`] after its vblank, and the server drops one vblank on the second frame of the
/// first stimulus (a frame stays up a refresh longer; acquiring never notices).
#[derive(Default)]
struct Server {
    /// Per presented flip: its vblank count.
    mscs: Vec<u64>,
    dropped: bool,
}

/// How long after the vblank the virtual server says a frame appeared.
const SCANOUT: Duration = Duration::from_millis(3);

impl VirtualDisplay {
    fn new(period: Duration, shown: Shown, server: Option<Server>) -> VirtualDisplay {
        VirtualDisplay {
            epoch: Instant::now(),
            period,
            refresh: 0,
            shown,
            flips: FlipLog::default(),
            server,
            stall: None,
        }
    }

    /// Settles the flips presented two flips ago or earlier.
    fn report(&mut self) {
        let Some(server) = &self.server else {
            return;
        };
        let presented = server.mscs.len() as u64;
        for flip in self.flips.settled()..presented.saturating_sub(2) {
            let msc = server.mscs[flip as usize];
            let onset = (self.period * msc as u32 + SCANOUT).as_secs_f64();
            let completion = crate::timing::server_times::Completion {
                serial: flip as u32 + 1,
                ust_us: (onset * 1e6) as u64,
                msc,
                mode: crate::timing::server_times::PresentMode::Flip,
            };
            let frame = crate::timing::server_times::PresentedFrame { completion, onset };
            self.flips.settle(flip as usize, Some(frame));
        }
    }
}

impl FrameTarget for VirtualDisplay {
    type Frame = ();

    fn acquire(&mut self) -> Result<Acquired<()>> {
        self.refresh += 1;
        let vblank = self.epoch + self.period * self.refresh;
        if let Some(wait) = vblank.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        self.report();
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
            let again = shown.last().is_some_and(|(_, s)| s == screen);
            shown.push((appears, *screen));
            if let Some(server) = self.server.as_mut() {
                let drop = again && matches!(screen, Screen::Stimulus(_)) && !server.dropped;
                server.dropped |= drop;
                let late = u64::from(server.dropped);
                server.mscs.push(u64::from(self.refresh) + 1 + late);
            }
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
    let button = Button::Left;
    let _ = window.send(WindowInput::Click { at, x, y, button });
    let _ = window.send(WindowInput::Release {
        at: at + Duration::from_millis(30),
        button,
    });
}

/// A session of the loop tests on a 20 Hz virtual display (each frame lasts 50 ms, room
/// enough for a test thread to click inside one), with its data writer and loader.
struct LoopSession {
    _dir: tempfile::TempDir,
    session: Session,
    writer: Option<DataWriter>,
    preloader: Option<Preloader>,
    paths: crate::data::paths::SessionPaths,
}

fn loop_session(trials: usize) -> LoopSession {
    let dir = tempfile::tempdir().expect("temp dir");
    crate::stimuli::demo::write_set(&dir.path().join("stimuli")).expect("stimuli");
    let text = format!(
        "experiment: loop\nstimuli: {}\noutput: {}\nrefresh_hz: 20\nms_fixation: 100\n\
         ms_stim: 100\nms_mask: 100\nms_resp_object: 600\nms_feedback: 100\ntrial_order: files\n\
         rt_from: press\n",
        dir.path().join("stimuli").display(),
        dir.path().join("raw-data").display()
    );
    let experiment = Experiment::parse(&dir.path().join("e.yaml"), &text).expect("config");
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
    let paths = recorder.paths().clone();
    let writer = DataWriter::start(recorder, session.plan.clone()).expect("writer");
    let preloader = Preloader::start(session.plan.trials.clone(), 0, 224, &experiment.config.mask)
        .expect("loader");
    LoopSession {
        _dir: dir,
        session,
        writer: Some(writer),
        preloader: Some(preloader),
        paths,
    }
}

impl LoopSession {
    /// Runs the session (once) on `display` with the window inputs `inputs`; returns how it
    /// ended once the writer has finished.
    fn run(
        &mut self,
        display: &mut VirtualDisplay,
        inputs: &mpsc::Receiver<WindowInput>,
        server_times: bool,
    ) -> Ended {
        let mut writer = self.writer.take().expect("run once");
        let ended = run_session(
            display,
            &mut self.session,
            SessionParts {
                inputs,
                writer: Some(&mut writer),
                preloader: self.preloader.take().expect("run once"),
                beeper: None,
                score: &mut Default::default(),
            },
            LoopSettings {
                synced: true,
                period: 0.05,
                warning: None,
                log_phases: false,
                server_times,
            },
        )
        .expect("the session ran");
        writer.finish().expect("written");
        ended
    }
}

#[test]
fn a_click_while_the_last_grid_frame_is_on_screen_counts_and_one_after_it_does_not() {
    let mut s = loop_session(2);
    let centre = |c: Category| s.session.timeline.grid().rect(c).centre();
    let (first, second) = (centre(Category::Cat), centre(Category::Dog));
    let period = Duration::from_millis(50);
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay::new(period, shown.clone(), None);
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
    let ended = s.run(&mut display, &inputs, false);
    participant.join().expect("the participant clicked");
    assert!(ended.aborted() || ended == Ended::Session { aborted: false });
    let rows = read_rows(s.paths.saved_data()).expect("rows");
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
fn with_presentation_times_the_timing_log_takes_onsets_and_missed_refreshes_from_the_server() {
    let mut s = loop_session(1);
    let period = Duration::from_millis(50);
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay::new(period, shown.clone(), Some(Server::default()));
    let (window, inputs) = mpsc::channel();
    let epoch = display.epoch;
    let participant = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let start = appeared(&shown, 0, |s| matches!(s, Screen::Start { .. }));
            sleep_until(start + period * 2);
            click(&window, (5.0, 5.0));
            // The one trial ends without an answer; then the end screen until Escape.
            appeared(&shown, 0, |s| matches!(s, Screen::End(_)));
            std::thread::sleep(period * 4);
            let _ = window.send(WindowInput::Escape);
            let _ = window.send(WindowInput::Yes);
        })
    };
    s.run(&mut display, &inputs, true);
    participant.join().expect("the participant clicked");
    let log = std::fs::read_to_string(&s.paths.timing).expect("timing log");
    let mut lines = log.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let row: Vec<&str> = lines.next().expect("trial 1").split(',').collect();
    let field = |name: &str| row[header.iter().position(|c| *c == name).expect(name)];
    // Onsets are the server's (3 ms after the vblank), not the acquire-time estimate. The
    // trial's fixation is the two frames before its stimulus.
    let shown = shown.lock().expect("shown");
    let stimulus = shown
        .iter()
        .position(|(_, s)| matches!(s, Screen::Stimulus(_)))
        .expect("a stimulus");
    let server = |i: usize| (shown[i].0 + SCANOUT).duration_since(epoch).as_secs_f64();
    let (fixation, stimulus) = (server(stimulus - 2), server(stimulus));
    let onset = |name| field(name).parse::<f64>().expect("an onset");
    assert!((onset("fixation_onset") - fixation).abs() < 2e-6, "{row:?}");
    assert!((onset("stimulus_onset") - stimulus).abs() < 2e-6, "{row:?}");
    // The dropped vblank: 2 frames stayed 3 refreshes, one interval late.
    assert_eq!(
        (
            field("stimulus_frames"),
            field("stimulus_refreshes"),
            field("stimulus_late")
        ),
        ("2", "3", "1"),
        "{row:?}"
    );
    assert_eq!(field("mask_refreshes"), field("mask_frames"));
    assert_eq!(field("disturbed"), "late_frames");
}

#[test]
fn a_session_whose_display_stalls_keeps_its_saved_rows_and_is_ended_by_its_writer() {
    let mut s = loop_session(6);
    // Ended from outside: the session's CSV stays in the folder of incomplete sessions.
    let (data, record) = (s.paths.incomplete.clone(), s.paths.record.clone());
    let line = s
        .writer
        .as_ref()
        .and_then(DataWriter::line)
        .expect("the writer's line");
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (release, stall) = mpsc::channel();
    let shown: Shown = Arc::default();
    let mut display = VirtualDisplay::new(Duration::from_millis(50), shown.clone(), None);
    display.stall = Some((stalled.clone(), stall));
    let (window, inputs) = mpsc::channel();
    let render = std::thread::spawn(move || s.run(&mut display, &inputs, false));
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
    assert!(render.join().expect("the render thread ends").aborted());
}
