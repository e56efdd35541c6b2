//! shapelab as a Wayland client of weston's headless compositor: sessions and timing tests
//! run, a compositor that stops taking frames is reported within seconds instead of hanging,
//! and the experimenter can still end the session with its data saved.

mod common;

use std::process::{Child, Command, Output};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{ends_within, is_stall_warning, line_reader, weston, Reaped};

/// One compositor session at a time: each test measures frame timing, which nine weston,
/// Xvfb and lavapipe processes at once on two cores would make late (and fail the tests that
/// check it).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for the other tests' compositor sessions to end (a failed test does not block the
/// rest).
fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits up to `wait` for a line satisfying `wanted`; the lines before it if it never came.
fn wait_for(
    lines: &Receiver<String>,
    wait: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Result<String, Vec<String>> {
    let deadline = Instant::now() + wait;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if wanted(&line) => return Ok(line),
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    Err(seen)
}

/// Sends `signal` (e.g. `INT`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Ctrl+C on the console that started shapelab.
fn interrupt(app: &Child) {
    signal(app.id(), "INT");
}

/// A fullscreen session of [`study_at_weston_pace`] under weston running in Xvfb, started by
/// a click; its fields drop in order (the session, then weston, then the X display).
struct WestonSession {
    /// When the phase waited for began, in session seconds.
    began: f64,
    app: Reaped,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    weston: common::Weston,
    _xvfb: common::Xvfb,
    dir: tempfile::TempDir,
}

/// [`WestonSession`] once `--log-phases` says `phase` began (e.g. `trial 2 stimulus`), or
/// `None` (skip) without Xvfb or weston.
fn session_in_weston_on_xvfb(phase: &str) -> Option<WestonSession> {
    let xvfb = common::xvfb()?;
    let weston = common::weston_in_xvfb(&xvfb)?;
    let (dir, config) = study_at_weston_pace();
    let (app, stdout, stderr) = session_on_its_start_screen(&weston, &config, &[]);
    click_on_weston(&xvfb);
    let line = wait_for(&stdout, Duration::from_secs(60), |l| l.ends_with(phase))
        .unwrap_or_else(|seen| panic!("no {phase}: {seen:?}"));
    let began = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    Some(WestonSession {
        began,
        app,
        stdout,
        stderr,
        weston,
        _xvfb: xvfb,
        dir,
    })
}

/// Clicks in the middle of weston's output in `xvfb`: weston follows the X pointer by its
/// motion, so the pointer moves there in steps first.
fn click_on_weston(xvfb: &common::Xvfb) {
    std::thread::sleep(Duration::from_millis(300));
    for (x, y) in ["100 100", "400 300", "640 400"].map(|p| p.split_once(' ').expect("x y")) {
        common::xdotool(&xvfb.display, &["mousemove", x, y]);
        std::thread::sleep(Duration::from_millis(100));
    }
    common::xdotool(&xvfb.display, &["click", "1"]);
}

/// A log of session 1 of s1 of [`study_at_weston_pace`] in `dir` (its `suffix`, e.g.
/// `session.json`, `flips.csv`).
fn log_of(dir: &tempfile::TempDir, suffix: &str) -> std::path::PathBuf {
    common::session_file(&dir.path().join("raw-data"), "quick", "s1", 1, suffix)
}

/// The session record of session 1 of s1 of [`study_at_weston_pace`] in `dir`.
fn record_of(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(log_of(dir, "session.json")).expect("record")
}

/// A CSV log's header and rows, split at commas.
fn table(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("log");
    let mut rows = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<String>>());
    let header = rows.next().expect("a header");
    (header, rows.collect())
}

/// A quick study whose phases last several frames at weston's pace of about 40 Hz.
fn study_at_weston_pace() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, config) = common::quick_study("");
    common::edit_config(&config, ": 20\n", ": 100\n");
    (dir, config)
}

/// shapelab running session 1 of s1 of `config` on `screen` (e.g. `--windowed 800x600`, or
/// nothing: fullscreen), once its start screen is shown; with its stdout and stderr lines.
fn session_on_its_start_screen(
    weston: &common::Weston,
    config: &std::path::Path,
    screen: &[&str],
) -> (Reaped, Receiver<String>, Receiver<String>) {
    let mut app = Reaped(
        weston
            .shapelab()
            .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
            .args(screen)
            .args(["--trials", "4", "--log-phases"])
            .args(["--measure-flips", "100", "--ignore-refresh"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    if let Err(seen) = wait_for(&stdout, Duration::from_secs(60), |l| l.ends_with(" start")) {
        let said: Vec<String> = stderr.try_iter().collect();
        panic!("no start screen: {seen:?} {said:?}");
    }
    (app, stdout, stderr)
}

fn timing_test(weston: &common::Weston, config: &std::path::Path, screen: &[&str]) -> Output {
    weston
        .shapelab()
        .args([
            "timing-test",
            config.to_str().expect("utf-8"),
            "--seconds",
            "2",
        ])
        .args(screen)
        .output()
        .expect("shapelab runs")
}

#[test]
fn a_timing_test_under_weston_windowed_and_fullscreen_is_synchronised_to_the_compositor() {
    let _alone = alone();
    let Some(weston) = weston("desktop-shell", 0) else {
        return;
    };
    let (_dir, config) = common::quick_study("");
    for screen in [&["--windowed", "800x600"][..], &[]] {
        let test = timing_test(&weston, &config, screen);
        let (printed, said) = (common::stdout(&test), common::stderr(&test));
        assert!(
            matches!(test.status.code(), Some(0 | 1)),
            "{screen:?}: {said}"
        );
        assert!(
            printed.contains("\nverdict     "),
            "{screen:?}: {printed}{said}"
        );
        assert!(!said.contains("no frame was shown"), "{screen:?}: {said}");
        // Frames wait for weston in present: synchronised to its pace, which is not 60 Hz.
        assert!(
            printed.contains("\ntiming      synchronised to the display\n")
                && printed.contains("the compositor presents frames at "),
            "{screen:?}: {printed}"
        );
        assert!(
            printed
                .contains("\nflip times  Wayland presentation feedback (wp_presentation, clock ")
                && printed.contains("\nwarning     the compositor did not page-flip the window"),
            "{screen:?}: {printed}"
        );
        let flips: usize = printed
            .lines()
            .find_map(|l| l.strip_prefix("flips       "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{printed}"));
        // Two seconds at weston's pace (about 25 ms a frame; fewer on a loaded machine).
        assert!(flips > 10, "{screen:?}: {printed}");
    }
}

#[test]
fn a_kiosk_shell_that_never_shows_the_window_is_reported_and_ctrl_c_ends_the_timing_test() {
    let _alone = alone();
    let Some(weston) = weston("kiosk-shell", 0) else {
        return;
    };
    let (_dir, config) = common::quick_study("");
    // kiosk-shell never shows a window of a fixed size other than its output's.
    let mut app = Reaped(
        weston
            .shapelab()
            .args(["timing-test", config.to_str().expect("utf-8")])
            .args(["--windowed", "640x480", "--seconds", "30"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stderr = line_reader(app.stderr.take().expect("piped"));
    let started = Instant::now();
    let warning = wait_for(&stderr, Duration::from_secs(60), is_stall_warning)
        .unwrap_or_else(|seen| panic!("no stall warning; said {seen:?}"));
    assert!(warning.contains("the timing test is paused"), "{warning}");
    // Noticed two seconds after the last frame (the GPU and window take a while to start).
    assert!(started.elapsed() < Duration::from_secs(30));
    interrupt(&app);
    assert_eq!(ends_within(&mut app, Duration::from_secs(10)), Some(1));
    let rest: Vec<String> = stderr.iter().collect();
    assert_eq!(
        rest.last().map(String::as_str),
        Some(
            "error: the display stopped taking frames (screen locked or blanked, window hidden, \
             or not shown by the desktop); the timing test was ended by the experimenter while \
             it could not show frames; no verdict"
        ),
        "{rest:?}"
    );
}

#[test]
fn a_session_whose_screen_locks_pauses_within_seconds_and_ctrl_c_ends_it_with_its_record_saved() {
    let _alone = alone();
    // desktop-shell locks the screen after the idle time, and frames stop.
    let Some(weston) = weston("desktop-shell", 20) else {
        return;
    };
    let (dir, config) = study_at_weston_pace();
    // The session is open (its record written) and waits on its start screen.
    let (mut app, _stdout, stderr) =
        session_on_its_start_screen(&weston, &config, &["--windowed", "800x600"]);
    let record = log_of(&dir, "session.json");
    let before = std::fs::read_to_string(&record).expect("the record is written at the start");
    assert!(before.contains("\"status\": \"running\""), "{before}");
    let warning = wait_for(&stderr, Duration::from_secs(30), is_stall_warning)
        .unwrap_or_else(|seen| panic!("no stall warning; said {seen:?}"));
    assert!(
        warning.contains("the session is paused")
            && warning.ends_with("(what is saved stays saved)"),
        "{warning}"
    );
    // The record says why at once, while the session waits.
    std::thread::sleep(Duration::from_millis(500));
    let paused = std::fs::read_to_string(&record).expect("record");
    assert!(
        paused.contains("no frame was shown for 2 s: the display stopped taking frames"),
        "{paused}"
    );
    interrupt(&app);
    assert_eq!(ends_within(&mut app, Duration::from_secs(15)), Some(1));
    let rest: Vec<String> = stderr.iter().collect();
    let error = rest.last().expect("an error line");
    assert!(
        error.starts_with("error: the display stopped taking frames")
            && error.contains(
                "the session was ended by the experimenter while it could not show frames"
            )
            && error
                .ends_with("; everything is saved (0 rows in this run); continue it with --resume"),
        "{rest:?}"
    );
    let ended = std::fs::read_to_string(&record).expect("record");
    assert!(ended.contains("\"status\": \"aborted\""), "{ended}");
    assert!(
        ended.contains("was ended by the experimenter while it could not show frames"),
        "{ended}"
    );
    // The data file is there, with its header, to be continued with --resume.
    let data = common::incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    assert!(common::csv_rows(&data).is_empty());
}

#[test]
fn the_flip_log_of_a_session_under_weston_has_the_compositors_presentation_times() {
    let _alone = alone();
    let Some(weston) = weston("desktop-shell", 0) else {
        return;
    };
    let (dir, config) = study_at_weston_pace();
    let (mut app, _stdout, stderr) =
        session_on_its_start_screen(&weston, &config, &["--windowed", "800x600"]);
    // A second of the start screen, then Ctrl+C: the session ends as aborted, normally.
    std::thread::sleep(Duration::from_secs(1));
    interrupt(&app);
    let code = ends_within(&mut app, Duration::from_secs(15));
    let said: Vec<String> = stderr.iter().collect();
    assert_eq!(code, Some(0), "{said:?}");
    // weston's headless output copies every frame: the experimenter is told before the session.
    assert!(
        said.iter().any(|l| l
            .starts_with("warning: the compositor did not page-flip the window (0 of ")
            && l.contains(" measured frames with vsync and zero_copy; flags now: none)")),
        "{said:?}"
    );
    let record = record_of(&dir);
    assert!(
        record.contains("\"timestamps\": \"Wayland presentation feedback (wp_presentation, clock ")
            && record.contains("\"status\": \"aborted\""),
        "{record}"
    );
    let flips = std::fs::read_to_string(log_of(&dir, "flips.csv")).expect("flip log");
    let mut lines = flips.lines();
    assert_eq!(
        lines.next(),
        Some("flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 20, "{flips}");
    // Every frame but perhaps the last few has the compositor's word: presented after it was
    // acquired, at weston's pace, with seq 0 and no flags on the headless backend.
    let presented: Vec<f64> = rows
        .iter()
        .filter(|r| !r[6].is_empty())
        .map(|r| {
            let (acquired, presented): (f64, f64) =
                (r[1].parse().expect("s"), r[6].parse().expect("s"));
            assert!(presented > acquired && presented < acquired + 0.5, "{r:?}");
            // The compositor's clock in µs, seq 0 and no flags on the headless backend, its
            // refresh.
            assert!(r[3].parse::<u64>().is_ok(), "{r:?}");
            assert_eq!((r[4], r[5], r[7]), ("0", "", "16.667"), "{r:?}");
            presented
        })
        .collect();
    assert!(presented.len() + 3 >= rows.len(), "{flips}");
    let intervals: Vec<f64> = presented
        .windows(2)
        .map(|w| (w[1] - w[0]) * 1000.0)
        .collect();
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    assert!(
        (15.0..40.0).contains(&mean),
        "{mean} ms between presentations"
    );
}

#[test]
fn a_fullscreen_session_under_weston_shows_its_start_screen_and_ends_on_ctrl_c() {
    let _alone = alone();
    let Some(weston) = weston("desktop-shell", 0) else {
        return;
    };
    let (dir, config) = study_at_weston_pace();
    let (mut app, _stdout, stderr) = session_on_its_start_screen(&weston, &config, &[]);
    interrupt(&app);
    let code = ends_within(&mut app, Duration::from_secs(15));
    let said: Vec<String> = stderr.iter().collect();
    assert_eq!(code, Some(0), "{said:?}");
    assert!(!said.iter().any(|l| l.starts_with("error")), "{said:?}");
    let record = record_of(&dir);
    // Fullscreen on weston's 1280x800 output.
    assert!(
        record.contains("\"width_px\": 1280") && record.contains("\"height_px\": 800"),
        "{record}"
    );
    assert!(record.contains("\"status\": \"aborted\""), "{record}");
}

#[test]
fn a_compositor_that_stops_for_seconds_pauses_the_session_which_goes_on_when_it_is_back() {
    let _alone = alone();
    let Some(weston) = weston("desktop-shell", 0) else {
        return;
    };
    let (dir, config) = study_at_weston_pace();
    let (mut app, _stdout, stderr) =
        session_on_its_start_screen(&weston, &config, &["--windowed", "800x600"]);
    // The compositor freezes (as a locked screen would) until the stall is reported and a
    // second more, then comes back.
    signal(weston.pid(), "STOP");
    let warning = wait_for(&stderr, Duration::from_secs(10), is_stall_warning);
    std::thread::sleep(Duration::from_millis(1000));
    signal(weston.pid(), "CONT");
    assert!(warning.is_ok(), "no stall warning: {warning:?}");
    let back = wait_for(&stderr, Duration::from_secs(10), |l| {
        l.starts_with("presentation resumed after ")
    })
    .unwrap_or_else(|seen| panic!("not resumed: {seen:?}"));
    assert!(back.ends_with(" s; the session continues"), "{back}");
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&app);
    assert_eq!(ends_within(&mut app, Duration::from_secs(15)), Some(0));
    let record = record_of(&dir);
    assert!(
        record.contains("no frame was shown for 2 s")
            && record.contains("s (no frame was shown); resumed"),
        "{record}"
    );
}

#[test]
fn a_session_under_weston_takes_its_phase_onsets_and_durations_from_the_compositors_presentation_times(
) {
    let _alone = alone();
    // weston stops for 1.5 s while trial 2's stimulus is on its way to the screen: a stall
    // shorter than the watchdog's, whose frame the compositor answers on once it is back.
    let Some(mut session) = session_in_weston_on_xvfb("trial 2 stimulus") else {
        return;
    };
    let WestonSession {
        app,
        stdout,
        stderr,
        weston,
        dir,
        ..
    } = &mut session;
    signal(weston.pid(), "STOP");
    std::thread::sleep(Duration::from_millis(1500));
    signal(weston.pid(), "CONT");
    if let Err(seen) = wait_for(stdout, Duration::from_secs(60), |l| l.ends_with(" end")) {
        panic!("the session did not end: {seen:?}");
    }
    let code = ends_within(app, Duration::from_secs(30));
    let said: Vec<String> = stderr.iter().collect();
    assert_eq!(code, Some(0), "{said:?}");
    let file = |suffix| log_of(dir, suffix);
    let record = record_of(dir);
    let pace_ms: f64 = record
        .split_once("\"timestamps\": \"Wayland presentation feedback (wp_presentation, clock ")
        .and_then(|(_, rest)| rest.split_once("presentation intervals in frames of "))
        .and_then(|(_, rest)| rest.split_once(" ms"))
        .and_then(|(pace, _)| pace.parse().ok())
        .unwrap_or_else(|| panic!("{record}"));
    // The presentation times the compositor gave, as the flip log has them: every frame
    // shown has one, those shown through the stall too.
    let (_, flips) = table(&file("flips.csv"));
    let presented: Vec<String> = flips.iter().map(|r| r[6].clone()).collect();
    assert!(presented.len() > 100, "{presented:?}");
    let without: Vec<&Vec<String>> = flips
        .iter()
        .filter(|r| r[6].is_empty() && r[5] != "discarded")
        .collect();
    assert!(
        without.is_empty(),
        "frames without presentation times: {without:?}"
    );
    let (header, timing) = table(&file("timing.csv"));
    assert_eq!(timing.len(), 4);
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    for row in &timing {
        // The phases shown, in order: onset and the refreshes they lasted.
        let mut phases: Vec<(f64, &str, u32)> = [
            "fixation",
            "stimulus",
            "blank_after_stimulus",
            "mask",
            "blank_after_mask",
            "response",
            "inter_trial",
        ]
        .iter()
        .filter(|p| row[column(&format!("{p}_onset"))] != "NaN")
        .map(|p| {
            let onset = &row[column(&format!("{p}_onset"))];
            // Each onset is a presentation time, not the acquire-time estimate.
            assert!(presented.contains(onset), "{p} onset {onset} of {row:?}");
            let refreshes = row[column(&format!("{p}_refreshes"))]
                .parse()
                .expect("count");
            (onset.parse().expect("s"), *p, refreshes)
        })
        .collect();
        phases.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(phases.len() >= 6, "{row:?}");
        // The stall is in trial 2, charged to the phase on screen through it: about 1.5 s of
        // refreshes more than its frames, and the trial is marked.
        let extra: f64 = ["fixation", "stimulus", "blank_after_stimulus", "mask"]
            .iter()
            .map(|p| {
                let count = |field: &str| -> f64 {
                    row[column(&format!("{p}_{field}"))].parse().expect("count")
                };
                count("refreshes") - count("frames")
            })
            .sum();
        let stalled = 1500.0 / pace_ms;
        match row[0].as_str() {
            "2" => {
                assert!(
                    (extra - stalled).abs() < stalled * 0.4,
                    "{extra} refreshes more than frames, {stalled:.1} stalled: {row:?}"
                );
                assert!(row[column("disturbed")].contains("late_frames"), "{row:?}");
            }
            _ => assert!(extra < stalled / 2.0, "{row:?}"),
        }
        // Each phase lasted the presentation intervals until the next, in frames of the pace.
        // A phase's refreshes are the sum of its frames' intervals, each rounded to whole
        // refreshes: within a frame of the time it lasted, but where the compositor presents
        // the frames queued behind a stall in a burst (a fraction of a refresh apart), each of
        // them may round half a refresh away.
        let stalled_trial = row[0] == "2";
        for w in phases.windows(2) {
            let frames = (w[1].0 - w[0].0) * 1000.0 / pace_ms;
            let shown: f64 = row[column(&format!("{}_frames", w[0].1))]
                .parse()
                .expect("count");
            let tolerance = if stalled_trial {
                0.5 * shown + 0.5
            } else {
                1.0
            };
            assert!(
                (f64::from(w[0].2) - frames).abs() < tolerance,
                "{} lasted {frames:.2} frames of {pace_ms} ms, logged {} refreshes: {row:?}",
                w[0].1,
                w[0].2
            );
        }
    }
}

#[test]
fn a_session_ended_while_the_compositor_is_stopped_mid_trial_keeps_every_trials_timing_line() {
    let _alone = alone();
    // Trial 1's row is written; its timing line waits for the compositor's answers on its
    // last frames when the compositor stops.
    let Some(mut session) = session_in_weston_on_xvfb("trial 2 fixation") else {
        return;
    };
    let WestonSession {
        app,
        stderr,
        weston,
        dir,
        began,
        ..
    } = &mut session;
    signal(weston.pid(), "STOP");
    let warning = wait_for(stderr, Duration::from_secs(10), is_stall_warning);
    interrupt(app);
    let code = ends_within(app, Duration::from_secs(15));
    signal(weston.pid(), "CONT");
    assert!(warning.is_ok(), "no stall warning: {warning:?}");
    assert_eq!(code, Some(1));
    let rows = common::csv_rows(&common::incomplete_file(
        &dir.path().join("raw-data"),
        "quick",
        "s1",
        1,
    ));
    let (_, timing) = table(&log_of(dir, "timing.csv"));
    assert!(!rows.is_empty());
    assert_eq!(
        timing.len(),
        rows.len(),
        "a timing line for every row: {timing:?}"
    );
    let record = record_of(dir);
    assert!(record.contains("\"status\": \"aborted\""), "{record}");
    // The flip log has the frames up to the stall, those of the batch not yet written too
    // (only frames still waiting for the compositor's answers are not logged).
    let (_, flips) = table(&log_of(dir, "flips.csv"));
    let last: f64 = flips.last().and_then(|r| r[1].parse().ok()).expect("flips");
    assert!(
        last > *began - 0.3,
        "last flip at {last} s, trial 2 began at {began} s"
    );
}

#[test]
fn frames_the_compositor_discards_unseen_are_judged_unsynchronised() {
    let _alone = alone();
    let Some(weston) = weston("desktop-shell", 0) else {
        return;
    };
    let (_dir, config) = common::quick_study("");
    // Mesa's mailbox mode replaces frames the compositor has not shown yet.
    let test = weston
        .shapelab()
        .env("MESA_VK_WSI_PRESENT_MODE", "mailbox")
        .args(["timing-test", config.to_str().expect("utf-8")])
        .args(["--seconds", "1", "--windowed", "200x150"])
        .output()
        .expect("shapelab runs");
    let printed = common::stdout(&test);
    assert_eq!(test.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("\ntiming      UNSYNCHRONISED")
            && printed.contains(
                "frames are not synchronised to the compositor (the compositor discarded "
            ),
        "{printed}"
    );
}
