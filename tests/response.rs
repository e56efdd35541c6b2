//! The original's response rules on screen under Xvfb: xdotool presses, holds, drags and
//! releases mouse buttons at known moments of the response window, and the data file and the
//! timing log must hold what the original's polling loop would have measured.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::x11::ServerHolder;
use common::{click_start, line_reader, runtime_dir, shapelab_on, wait_for, xdotool, xvfb};
use shapelab::categories::Category::{self, *};
use shapelab::config::Experiment;
use shapelab::trials::ResponseGrid;

/// A study with the original's parameters over a one-image-per-category set in file order,
/// with extra config lines.
fn study(extra: &str) -> (tempfile::TempDir, PathBuf) {
    common::files_order_study("rules", "rls", extra)
}

/// A running on-screen session of `trials` trials in a 1024x768 window, its phases on stdout.
struct OnScreen {
    app: common::Reaped,
    phases: Receiver<String>,
    window: String,
    grid: ResponseGrid,
    display: String,
}

impl OnScreen {
    fn start(display: &str, config: &Path, trials: usize) -> OnScreen {
        let runtime = runtime_dir();
        let mut app = common::Reaped(
            shapelab_on(display, &runtime)
                .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
                .args(["--windowed", "1024x768", "--log-phases"])
                .args(["--trials", &trials.to_string()])
                .spawn()
                .expect("shapelab starts"),
        );
        let phases = line_reader(app.stdout.take().expect("piped"));
        let window = click_start(display, &phases);
        let e = Experiment::load(config).expect("valid");
        OnScreen {
            app,
            phases,
            window,
            grid: ResponseGrid::new(&e.response_order, 1024, 768, 129, 10),
            display: display.to_string(),
        }
    }

    /// Waits until trial `trial` shows `phase`, then `ms` more.
    fn after(&self, trial: usize, phase: &str, ms: u64) {
        let end = format!(" trial {trial} {phase}");
        wait_for(&self.phases, |l| l.ends_with(&end));
        std::thread::sleep(Duration::from_millis(ms));
    }

    fn xdotool(&self, args: &[&str]) {
        xdotool(&self.display, args);
    }

    /// Moves the cursor over `category`'s box.
    fn over(&self, category: Category) {
        let (x, y) = self.grid.rect(category).centre();
        let (x, y) = (format!("{}", x.round()), format!("{}", y.round()));
        self.xdotool(&["mousemove", "--window", &self.window, &x, &y]);
    }

    /// Presses `button` (1 left, 3 right) over `category`'s box.
    fn press(&self, category: Category, button: &str) {
        self.over(category);
        self.xdotool(&["mousedown", button]);
    }

    fn release(&self, button: &str) {
        self.xdotool(&["mouseup", button]);
    }

    /// Waits for the session to end successfully.
    fn finish(mut self) {
        let status = self.app.wait().expect("shapelab ends");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.app.stderr.take().expect("piped"), &mut stderr)
            .expect("stderr");
        assert!(status.success(), "{stderr}");
    }
}

/// A timing log line as (column name, field) pairs.
type TimingLine = Vec<(String, String)>;

/// The data rows and the timing log's lines of session 1 of s1.
fn rows_and_timing(dir: &Path) -> (Vec<Vec<String>>, Vec<TimingLine>) {
    let out = dir.join("raw-data");
    let rows = common::csv_rows(&common::session_file(&out, "rules", "s1", 1, "csv"));
    let timing =
        std::fs::read_to_string(common::session_file(&out, "rules", "s1", 1, "timing.csv"))
            .expect("timing log");
    let mut lines = timing.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let logged = lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect();
    (rows, logged)
}

fn field<'a>(line: &'a [(String, String)], name: &str) -> &'a str {
    line.iter()
        .find(|(column, _)| column == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no {name} column"))
}

fn seconds(line: &[(String, String)], name: &str) -> f64 {
    field(line, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name}: {}", field(line, name)))
}

#[test]
fn by_default_any_button_answers_and_a_held_button_answers_until_its_release_or_the_windows_end() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = study("");
    let s = OnScreen::start(&x.display, &config, 4);
    // Trial 1: a right click.
    s.after(1, "response", 400);
    s.press(Dog, "3");
    std::thread::sleep(Duration::from_millis(100));
    s.release("3");
    // Trial 2: the left button held over a box for half a second.
    s.after(2, "response", 300);
    s.press(Cat, "1");
    std::thread::sleep(Duration::from_millis(500));
    s.release("1");
    // Trial 3: pressed over one box, dragged to another, released there.
    s.after(3, "response", 300);
    s.press(Bird, "1");
    std::thread::sleep(Duration::from_millis(300));
    s.over(Car);
    std::thread::sleep(Duration::from_millis(300));
    s.release("1");
    // Trial 4: pressed late in the window and held past its end.
    s.after(4, "response", 1200);
    s.press(Knife, "1");
    s.after(4, "inter_trial", 100);
    s.release("1");
    s.finish();

    let (rows, timing) = rows_and_timing(dir.path());
    let answers: Vec<&str> = rows.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(answers, ["dog", "cat", "car", "knife"]);
    // rt is the last moment the button was down over a box: its release, as logged.
    for (row, line) in rows.iter().zip(&timing).take(3) {
        assert_eq!(row[3], field(line, "click_release"), "trial {}", row[2]);
    }
    let held = seconds(&timing[1], "click_release") - seconds(&timing[1], "click_press");
    assert!((0.4..1.0).contains(&held), "held {held} s");
    // The drag's logged press is the press over the first box that began it.
    let dragged = seconds(&timing[2], "click_release") - seconds(&timing[2], "click_press");
    assert!((0.5..1.1).contains(&dragged), "dragged {dragged} s");
    // Held past the window: the window's end, and the release still logged after it.
    assert_eq!(rows[3][3], "1.500000");
    assert!(seconds(&timing[3], "click_press") < 1.5);
    assert!(seconds(&timing[3], "click_release") > 1.5);
}

#[test]
fn with_response_buttons_left_a_right_click_is_no_answer() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = study("response_buttons: left\n");
    let s = OnScreen::start(&x.display, &config, 2);
    s.after(1, "response", 400);
    s.press(Dog, "3");
    std::thread::sleep(Duration::from_millis(100));
    s.release("3");
    s.after(2, "response", 400);
    s.press(Dog, "1");
    std::thread::sleep(Duration::from_millis(100));
    s.release("1");
    s.finish();
    let (rows, timing) = rows_and_timing(dir.path());
    assert_eq!((rows[0][3].as_str(), rows[0][4].as_str()), ("NaN", "na"));
    assert_eq!(rows[1][4], "dog");
    assert_eq!(field(&timing[0], "click_press"), "NaN");
}

#[test]
fn a_clock_window_lasts_its_time_although_frames_are_late_and_a_frames_window_does_not() {
    let Some(x) = xvfb() else {
        return;
    };
    for window in ["clock", "frames"] {
        let (dir, config) = study(&format!("response_window: {window}\n"));
        let s = OnScreen::start(&x.display, &config, 1);
        // The display takes no frames for half a second in the middle of the window.
        s.after(1, "response", 300);
        let holder = ServerHolder::connect(&x.display);
        holder.hold();
        std::thread::sleep(Duration::from_millis(500));
        drop(holder);
        s.finish();
        let (_, timing) = rows_and_timing(dir.path());
        let line = &timing[0];
        assert!(
            seconds(line, "response_late") >= 1.0,
            "{window}: no late frame"
        );
        let shown = seconds(line, "inter_trial_onset") - seconds(line, "response_onset");
        match window {
            // Up to the first frame at 1.5 s: one frame more at most, which on a loaded Xvfb
            // (unpaced frames drawn by the CPU) can itself take tens of milliseconds.
            "clock" => assert!((1.49..1.5 + 0.1).contains(&shown), "{shown}"),
            // 90 frames, however late: the stall adds to the window.
            _ => assert!(shown > 1.5 + 0.3, "{shown}"),
        }
    }
}
