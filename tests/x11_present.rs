//! X11 Present timestamps on Xvfb. Lavapipe draws shapelab's frames with PutImage, so here a
//! second X client stands in for a GPU driver: it presents pixmaps on shapelab's session
//! window through `PresentPixmap` at every vertical blank of Xvfb's fake refresh. shapelab,
//! told by the diagnostic `SHAPELAB_PRESENT_EVENTS=any-client` to use events it did not cause,
//! must read those CompleteNotify events from the real window, match each to its newest flip
//! presented before it, and time the session with them. (How events are matched to shapelab's
//! own presents, in order, swapchain restarts included, is unit-tested in
//! `src/present/presented.rs` with events recorded here.)

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{click_start, line_reader, runtime_dir, shapelab_on, wait_for, xvfb_with};
use x11rb::connection::Connection;
use x11rb::protocol::present::{self, CompleteKind, ConnectionExt as _};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};
use x11rb::protocol::Event;

/// One CompleteNotify the test's own client received: serial, ust (µs), msc, mode.
type Received = (u32, u64, u64, u8);

/// The top-level window whose name contains `name`, once it exists.
fn find_window(conn: &impl Connection, root: Window, name: &str) -> Window {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let children = conn
            .query_tree(root)
            .expect("query_tree")
            .reply()
            .expect("tree")
            .children;
        for child in children {
            let title = conn
                .get_property(false, child, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
                .expect("get_property")
                .reply();
            if title.is_ok_and(|t| String::from_utf8_lossy(&t.value).contains(name)) {
                return child;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no window named {name}");
}

/// Presents a small pixmap on shapelab's window at every vblank (target msc = last + 1) until
/// `stop` or the window is gone; returns the events its presents completed with.
fn present_pixmaps(display: String, stop: Arc<AtomicBool>) -> Vec<Received> {
    let (conn, screen) = x11rb::connect(Some(&display)).expect("X connection");
    let root = conn.setup().roots[screen].root;
    let window = find_window(&conn, root, "shapelab");
    let depth = conn
        .get_geometry(window)
        .expect("geometry")
        .reply()
        .expect("geometry")
        .depth;
    let pixmap = conn.generate_id().expect("id");
    conn.create_pixmap(depth, pixmap, window, 32, 32)
        .expect("pixmap");
    let eid = conn.generate_id().expect("id");
    conn.present_select_input(eid, window, present::EventMask::COMPLETE_NOTIFY)
        .expect("select");
    let mut received = Vec::new();
    let mut last_msc = 0;
    for serial in 1u32.. {
        let presented = conn.present_pixmap(
            window,
            pixmap,
            serial,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            last_msc + 1,
            0,
            0,
            &[],
        );
        if presented.is_err() || conn.flush().is_err() {
            break;
        }
        // The window disappears when the session ends: an error, or silence, ends the
        // presents.
        loop {
            match conn.poll_for_event() {
                Ok(Some(Event::PresentCompleteNotify(e)))
                    if e.kind == CompleteKind::PIXMAP && e.serial == serial =>
                {
                    received.push((e.serial, e.ust, e.msc, u8::from(e.mode)));
                    last_msc = e.msc;
                    break;
                }
                Ok(Some(Event::Error(_))) | Err(_) => return received,
                Ok(Some(_)) => {}
                Ok(None) if stop.load(Ordering::Acquire) => return received,
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
    received
}

/// Runs a two-trial windowed session on an Xvfb at `fps` fake refreshes per second while the
/// test's client presents on its window; returns the client's events, the flip log, the
/// timing log, the record and shapelab's standard error.
fn session_with_presents(fps: u32) -> Option<(Vec<Received>, String, String, String, String)> {
    let fps_arg = fps.to_string();
    let x = xvfb_with(&["-fakescreenfps", &fps_arg])?;
    let (dir, config) = common::quick_study("");
    let runtime = runtime_dir();
    let mut app = common::Reaped(
        shapelab_on(&x.display, &runtime)
            .env("SHAPELAB_PRESENT_EVENTS", "any-client")
            .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
            .args(["--windowed", "640x480", "--trials", "2", "--log-phases"])
            .args(["--measure-flips", "600"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (display, stop) = (x.display.clone(), stop.clone());
        std::thread::spawn(move || present_pixmaps(display, stop))
    };
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    click_start(&x.display, &stdout);
    wait_for(&stdout, |l| l.ends_with(" done") || l.ends_with(" end"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.try_wait().expect("shapelab runs").is_none() {
        assert!(Instant::now() < deadline, "the session did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Release);
    let received = client.join().expect("the client presented");
    let errors: Vec<String> = stderr.try_iter().collect();
    let out = dir.path().join("raw-data");
    let read = |ext| {
        std::fs::read_to_string(common::session_file(&out, "quick", "s1", 1, ext)).expect(ext)
    };
    Some((
        received,
        read("flips.csv"),
        read("timing.csv"),
        read("session.json"),
        errors.join("\n"),
    ))
}

/// The flip log's presented flips: flip number, ust, msc, mode, presented_s, time_s.
fn presented(flips: &str) -> Vec<(usize, u64, u64, String, f64, f64)> {
    let mut lines = flips.lines();
    assert_eq!(
        lines.next(),
        Some("flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms")
    );
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f[0].parse().ok()?,
                f[3].parse().ok()?,
                f[4].parse().ok()?,
                f[5].to_string(),
                f[6].parse().ok()?,
                f[1].parse().ok()?,
            ))
        })
        .collect()
}

/// Checks one session at `fps`: the client's own events step msc by one and ust by a refresh;
/// shapelab's flip log holds exactly those events, in order, each on one flip; the timing
/// log's onsets are their times; the record and console name the source and the COPY mode.
fn check_present_timestamps(fps: u32) {
    let Some((received, flips, timing, record, stderr)) = session_with_presents(fps) else {
        return;
    };
    let period_us = 1e6 / f64::from(fps);
    assert!(received.len() > 100, "{} events", received.len());
    // A present made after its vblank (the client held up by the load of the machine) waits
    // for the next one: most, not all, steps are single.
    let steps: Vec<u64> = received.windows(2).map(|w| w[1].2 - w[0].2).collect();
    let single = steps.iter().filter(|s| **s == 1).count();
    assert!(single * 4 >= steps.len() * 3, "msc steps {steps:?}");
    // Xvfb's fake vblank is a timer: under load one fires late, the next on time.
    let mut per_vblank: Vec<f64> = received
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) as f64 / (w[1].2 - w[0].2) as f64)
        .collect();
    per_vblank.sort_by(f64::total_cmp);
    let median = per_vblank[per_vblank.len() / 2];
    assert!(
        (median - period_us).abs() < 0.05 * period_us,
        "median {median} µs"
    );
    let slope = (received[received.len() - 1].1 - received[0].1) as f64
        / (received[received.len() - 1].2 - received[0].2) as f64;
    assert!(
        (slope - period_us).abs() < 0.01 * period_us,
        "{slope} µs per vblank"
    );
    eprintln!(
        "{fps} Hz: {} events, {single} msc steps of 1, median {median:.0} µs, {slope:.1} µs per vblank; first {:?}",
        received.len(),
        &received[..6]
    );

    let by_msc: HashMap<u64, (u64, u8)> = received.iter().map(|r| (r.2, (r.1, r.3))).collect();
    let shown = presented(&flips);
    let total = flips.lines().count() - 1;
    eprintln!("{fps} Hz: {} of {total} flips presented", shown.len());
    assert!(
        shown.len() * 2 > total,
        "{} of {total} flips presented",
        shown.len()
    );
    for (flip, ust, msc, mode, _, _) in &shown {
        assert_eq!(by_msc.get(msc), Some(&(*ust, 0)), "flip {flip} msc {msc}");
        assert_eq!(mode, "copy");
    }
    assert!(
        shown.windows(2).all(|w| w[1].0 > w[0].0 && w[1].2 > w[0].2),
        "events matched in order"
    );
    // The server's clock is the session's: one offset turns every ust into presented_s, and a
    // frame is presented soon after it was acquired.
    let offset = |s: &(usize, u64, u64, String, f64, f64)| s.1 as f64 / 1e6 - s.4;
    assert!(shown
        .iter()
        .all(|s| (offset(s) - offset(&shown[0])).abs() < 2e-6));
    let mut lags: Vec<f64> = shown.iter().map(|s| s.4 - s.5).collect();
    lags.sort_by(f64::total_cmp);
    let lag = lags[lags.len() / 2];
    assert!(
        (0.0..3.0 / f64::from(fps)).contains(&lag),
        "presented {lag} s after acquired"
    );
    eprintln!(
        "{fps} Hz: presented a median {:.1} ms after acquired",
        lag * 1000.0
    );
    // Each trial phase's onset is the presentation time of a flip.
    let times: Vec<String> = shown.iter().map(|s| format!("{:.6}", s.4)).collect();
    let mut lines = timing.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let onset = header
        .iter()
        .position(|c| *c == "stimulus_onset")
        .expect("a stimulus onset");
    let onsets: Vec<String> = lines
        .map(|l| l.split(',').nth(onset).expect("a field").to_string())
        .collect();
    assert_eq!(onsets.len(), 2);
    assert!(
        onsets.iter().any(|o| times.contains(o)),
        "stimulus onsets {onsets:?} are presentation times"
    );
    assert!(
        record.contains("X11 Present events: onset = each frame's ust")
            && record.contains("mode COPY")
            && record.contains("any-client"),
        "{record}"
    );
    assert!(
        stderr.contains("warning: the window is not page-flipped (X11 Present mode COPY"),
        "{stderr}"
    );
}

#[test]
fn present_events_on_the_session_window_time_a_session_at_xvfbs_60_hz() {
    check_present_timestamps(60);
}

#[test]
fn present_events_follow_xvfbs_refresh_rate_at_144_hz() {
    check_present_timestamps(144);
}
