//! A real session in a real window under Xvfb: xdotool clicks response boxes at known times,
//! and the data file must hold exactly those responses.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::x11::ServerHolder;
use common::{
    click, click_start, line_reader, runtime_dir, shapelab_on, shapelab_window, wait_for, xdotool,
    xvfb,
};
use shapelab::categories::Category::{self, *};
use shapelab::config::Experiment;
use shapelab::trials::ResponseGrid;

/// A study with the original's timings over a one-image-per-category set in file order.
fn original_timing_study(experiment: &str, block: usize) -> (tempfile::TempDir, PathBuf) {
    common::files_order_study(
        experiment,
        "xvf",
        &format!("num_trials_per_block: {block}\n"),
    )
}

#[test]
fn a_windowed_session_under_xvfb_records_the_clicked_boxes_and_says_unsynchronised() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = original_timing_study("xvfb", 4);
    let runtime = runtime_dir();
    let mut app = shapelab_on(&x.display, &runtime)
        .args([
            "run",
            config.to_str().expect("utf-8"),
            "--subject",
            "s1",
            "--windowed",
            "1024x768",
        ])
        .args(["--trials", "8", "--log-phases"])
        .spawn()
        .expect("shapelab starts");
    let e = Experiment::load(&config).expect("valid");
    let grid = ResponseGrid::new(&e.response_order, 1024, 768, 129, 10);
    // Any box may be the answer: the data must hold what was clicked, whatever the stimulus.
    let answers: [Option<Category>; 8] = [
        Some(Airplane),
        Some(Dog),
        None,
        Some(Bear),
        Some(Knife),
        Some(Bicycle),
        Some(Bicycle),
        None,
    ];
    let stdout = BufReader::new(app.stdout.take().expect("piped"));
    let mut window = String::new();
    let started = Instant::now();
    for line in stdout.lines() {
        let line = line.expect("a line");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the session takes too long"
        );
        let fields: Vec<&str> = line.split_whitespace().collect();
        let ["phase", _, "trial", trial, screen] = fields[..] else {
            continue;
        };
        let trial: usize = trial.parse().expect("a trial number");
        if window.is_empty() {
            window = shapelab_window(&x.display);
        }
        match screen {
            "start" | "break" => {
                std::thread::sleep(Duration::from_millis(300));
                click(&x.display, &window, 20.0, 20.0);
            }
            "response" => {
                if let Some(category) = answers[trial - 1] {
                    std::thread::sleep(Duration::from_millis(500));
                    let (cx, cy) = grid.rect(category).centre();
                    click(&x.display, &window, cx, cy);
                }
            }
            _ => {}
        }
    }
    let status = app.wait().expect("shapelab ends");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut app.stderr.take().expect("piped"), &mut stderr)
        .expect("stderr");
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("unsynchronised"),
        "the app must say timing is unsynchronised: {stderr}"
    );

    let folder: PathBuf = dir.path().join("raw-data/xvfb");
    let rows = common::csv_rows(&folder.join("xvfb_s1_session_1.csv"));
    assert_eq!(rows.len(), 8);
    for (row, answer) in rows.iter().zip(answers) {
        match answer {
            Some(category) => {
                assert_eq!(row[4], category.name(), "trial {}", row[2]);
                let rt: f64 = row[3].parse().expect("an rt");
                assert!((0.45..1.3).contains(&rt), "trial {} rt {rt}", row[2]);
            }
            None => assert_eq!(
                (row[3].as_str(), row[4].as_str()),
                ("NaN", "na"),
                "trial {}",
                row[2]
            ),
        }
    }
    let logs: PathBuf = dir.path().join("raw-data/_logs/xvfb");
    let record =
        std::fs::read_to_string(logs.join("xvfb_s1_session_1.session.json")).expect("record");
    assert!(
        record.contains("\"timing\": \"unsynchronised\""),
        "{record}"
    );
    assert!(record.contains("\"status\": \"completed\""), "{record}");
    // Lavapipe on Xvfb draws with PutImage: no Present events, so the acquire-time estimate
    // times the session, and the record and flip log say so.
    assert!(
        record.contains(
            "\"timer-paced (no vsync); onset = acquire time, an estimate: no X11 Present events\""
        ),
        "{record}"
    );
    let flips =
        std::fs::read_to_string(logs.join("xvfb_s1_session_1.flips.csv")).expect("flip log");
    assert!(
        flips.starts_with(
            "flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms\n0,"
        ),
        "{}",
        &flips[..80.min(flips.len())]
    );
    assert!(
        flips.lines().count() > 8 * 130,
        "one line per flip: {} lines",
        flips.lines().count()
    );
    assert!(
        flips.lines().skip(1).all(|l| l.ends_with(",,,,")),
        "no flip has a presentation time"
    );
}

fn screenshot(display: &str, path: &Path) -> image::RgbImage {
    let out = Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .env("DISPLAY", display)
        .output()
        .expect("import runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    image::open(path).expect("a PNG").to_rgb8()
}

/// A windowed shapelab on `display` that may write no file beyond `bytes`.
fn on_a_small_disk(display: &str, runtime: &tempfile::TempDir, bytes: u64) -> Command {
    let mut command = common::shapelab_on_a_small_disk(bytes);
    command
        .env("DISPLAY", display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("MESA_SHADER_CACHE_DISABLE", "true")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Asks to end the session (Escape) and confirms (Y) until it ends (a key can be lost while
/// lavapipe keeps both cores busy); returns its exit code and last messages.
fn end_session(
    display: &str,
    window: &str,
    app: &mut std::process::Child,
    stderr: &std::sync::mpsc::Receiver<String>,
) -> (Option<i32>, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        xdotool(display, &["windowfocus", "--sync", window]);
        xdotool(display, &["key", "Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(display, &["key", "y"]);
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(3) {
            if let Some(status) = app.try_wait().expect("shapelab runs") {
                return (status.code(), stderr.try_iter().collect());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("the session did not end on Escape and Y");
}

#[test]
fn a_session_ended_while_its_data_file_is_full_prints_the_rows_it_could_not_save() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = common::quick_study("");
    // 64 images: three cue-conflict images and one without conflict per category.
    common::make_stimulus_set(&dir.path().join("stimuli"), 3);
    common::edit_config(
        &config,
        "num_trials_per_block: 8",
        "num_trials_per_block: 100",
    );
    let config = config.to_str().expect("utf-8");
    // A session to continue: the record and first 55 rows of a finished 60-trial session.
    let full = dir.path().join("full");
    let finished = common::run(&[
        "run",
        config,
        "--simulate",
        "--subject",
        "participant-0001",
        "--trials",
        "60",
        "--out",
        full.to_str().expect("utf-8"),
    ]);
    assert!(finished.status.success(), "{}", common::stderr(&finished));
    // Where shapelab keeps a session that has not completed.
    let folder = dir.path().join("raw-data/_incomplete/quick");
    let logs = dir.path().join("raw-data/_logs/quick");
    std::fs::create_dir_all(&folder).expect("data folder");
    std::fs::create_dir_all(&logs).expect("log folder");
    let name = "quick_participant-0001_session_1";
    let record = logs.join(format!("{name}.session.json"));
    // The simulated participant's session becomes the person's (it has their order and
    // masks). A long code makes long rows: room for the record's second run.
    let as_person = |ext: &str| {
        let path = common::simulated_file(&full, "quick", "participant-0001", 1, ext);
        std::fs::read_to_string(path)
            .expect("simulated session")
            .replace("simulated-participant-0001", "participant-0001")
    };
    std::fs::write(&record, as_person("session.json")).expect("copied");
    let rows = as_person("csv");
    let first: String = rows.lines().take(56).map(|l| format!("{l}\n")).collect();
    let data = folder.join(format!("{name}.csv"));
    std::fs::write(&data, &first).expect("written");

    // Room for one more row: the second row of the resumed run fills the data file, while the
    // new timing log and the record stay well below the limit.
    let limit = first.len() as u64 + 100;
    let record_size = std::fs::metadata(&record).expect("record").len();
    assert!(
        record_size + 800 < limit,
        "the record must fit: {record_size} of {limit}"
    );
    let runtime = runtime_dir();
    let mut app = on_a_small_disk(&x.display, &runtime, limit)
        .args([
            "run",
            config,
            "--subject",
            "participant-0001",
            "--session",
            "1",
            "--resume",
        ])
        .args(["--windowed", "1024x768", "--log-phases"])
        .spawn()
        .expect("shapelab starts");
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    let window = click_start(&x.display, &stdout);
    let warning = wait_for(&stderr, |l| l.contains("the session is paused"));
    assert!(
        warning.contains(&format!("{name}.csv: cannot write a row: File too large"))
            // The trial's timing line follows its row by two short phases (40 ms), so it may
            // already wait behind the row when the warning is written.
            && (warning.ends_with("the session is paused; kept in memory: the row of trial 57")
                || warning.ends_with(
                    "the session is paused; kept in memory: the row of trial 57 and the timing of trial 57"
                )),
        "{warning}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let saved = std::fs::read_to_string(&data).expect("data file");
    let (code, rest) = end_session(&x.display, &window, &mut app, &stderr);
    assert_eq!(code, Some(1));
    let listed = rest
        .iter()
        .position(|l| l == "rows not saved (1):")
        .unwrap_or_else(|| panic!("{rest:?}"));
    assert!(
        rest[listed + 1].starts_with("participant-0001,1,57,NaN,na,"),
        "{rest:?}"
    );
    let error = rest.last().expect("an error line");
    // Its timing line is not saved either (said when it was handed over before the end).
    assert!(
        error.contains("; the session was ended without saving the row of trial 57")
            && error.ends_with("(the rows are printed above); continue it with --resume once the data folder can be written"),
        "{error}"
    );
    // The file holds the 56 saved rows, whole, and nothing of the 57th.
    assert_eq!(std::fs::read_to_string(&data).expect("data file"), saved);
    assert_eq!(saved.lines().count(), 57);
    assert!(saved.starts_with(&first) && saved.ends_with('\n'));
}

#[test]
fn a_full_disk_in_a_windowed_session_shows_the_experimenter_why_it_waits_and_ends_cleanly() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = common::quick_study("");
    common::edit_config(
        &config,
        "num_trials_per_block: 8",
        "num_trials_per_block: 50",
    );
    let runtime = runtime_dir();
    // 5000 bytes hold the record (about 4,400 bytes on screen) and the raw data but only
    // about 17 timing lines.
    let mut app = common::Reaped(
        on_a_small_disk(&x.display, &runtime, 5000)
            .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
            .args(["--windowed", "1024x768", "--trials", "20", "--log-phases"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    let window = click_start(&x.display, &stdout);
    let warning = wait_for(&stderr, |l| l.contains("the session is paused"));
    assert!(
        warning.contains("timing.csv: cannot write a row: File too large")
            && warning.contains("the session is paused; kept in memory: the timing of trial"),
        "{warning}"
    );

    // The experimenter sees a framed message in the middle of the screen.
    std::thread::sleep(Duration::from_millis(500));
    let shot = screenshot(&x.display, &dir.path().join("paused.png"));
    let (cx, cy) = (512, 384);
    let panel_grey = (0..200).any(|dx| shot.get_pixel(cx - 100 + dx, cy).0 == [240, 240, 240]);
    let frame_red = (0..384).any(|dy| shot.get_pixel(cx, dy).0 == [150, 0, 0]);
    let ink = (0..400).any(|dx| shot.get_pixel(cx - 200 + dx, cy - 40).0[0] < 60);
    assert!(panel_grey && frame_red && ink, "no message panel on screen");

    let data = common::incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let saved = std::fs::read_to_string(&data).expect("data file");
    let (code, rest) = end_session(&x.display, &window, &mut app, &stderr);
    assert_eq!(code, Some(1));
    // The timing line of the trial that filled the disk is what was kept; the rows are all saved.
    let error = rest.last().expect("an error line");
    assert!(
        error.starts_with("error: ")
            && error.contains("timing.csv: cannot write a row: File too large")
            && error.contains("; the session was ended without saving the timing of trial ")
            && error.ends_with("; continue it with --resume once the data folder can be written"),
        "{error}"
    );
    assert!(
        !rest.iter().any(|l| l.starts_with("rows not saved")),
        "{rest:?}"
    );
    let timing = std::fs::read_to_string(
        dir.path()
            .join("raw-data/_logs/quick/quick_s1_session_1.timing.csv"),
    )
    .expect("timing log");
    assert!(
        timing.ends_with('\n') && timing.len() <= 5000,
        "only complete lines"
    );

    // What was saved is untouched, and --resume continues at the first trial without a row.
    assert_eq!(std::fs::read_to_string(&data).expect("data file"), saved);
    let before = common::csv_rows(&data).len();
    // Resumed on screen (a simulated participant never writes into a person's data).
    let mut resumed = common::Reaped(
        shapelab_on(&x.display, &runtime)
            .args([
                "run",
                config.to_str().expect("utf-8"),
                "--resume",
                "--subject",
                "s1",
            ])
            .args(["--windowed", "1024x768", "--log-phases"])
            .spawn()
            .expect("shapelab starts"),
    );
    let resumed_stdout = line_reader(resumed.stdout.take().expect("piped"));
    click_start(&x.display, &resumed_stdout);
    let status = resumed.wait().expect("ends");
    let messages: Vec<String> = line_reader(resumed.stderr.take().expect("piped"))
        .iter()
        .collect();
    assert!(status.success(), "{messages:?}");
    let rows = common::csv_rows(&common::session_file(
        &dir.path().join("raw-data"),
        "quick",
        "s1",
        1,
        "csv",
    ));
    assert!(!data.exists(), "moved into the data folder");
    assert!(before < 20);
    let trials: Vec<String> = rows.iter().map(|r| r[2].clone()).collect();
    let expected: Vec<String> = (1..=20).map(|t| t.to_string()).collect();
    assert_eq!(trials, expected);
}

#[test]
fn a_window_minimised_mid_trial_is_noted_and_its_trial_marked_unfocused_and_no_sound_is_noted() {
    let Some(x) = xvfb() else {
        return;
    };
    // A window manager, so that the window can be minimised and activated again.
    let mut wm = Command::new("openbox")
        .env("DISPLAY", &x.display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openbox starts (scripts/debian-packages.txt)");
    std::thread::sleep(Duration::from_millis(500));
    let (dir, config) = common::quick_study("");
    // A response window long enough for the window manager to minimise the window in it.
    common::edit_config(&config, "ms_resp_object: 100", "ms_resp_object: 1500");
    let runtime = runtime_dir();
    let mut app = common::shapelab()
        .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
        .args(["--windowed", "1024x768", "--trials", "6", "--log-phases"])
        // No sound device (ALSA finds no configuration), started knowingly without sound.
        .arg("--allow-silent")
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("ALSA_CONFIG_PATH", dir.path().join("no-alsa.conf"))
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("shapelab starts");
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let window = click_start(&x.display, &stdout);
    wait_for(&stdout, |l| l.ends_with(" trial 3 stimulus"));
    xdotool(&x.display, &["windowminimize", "--sync", &window]);
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&x.display, &["windowactivate", "--sync", &window]);
    let status = app.wait().expect("shapelab ends");
    let _ = wm.kill();
    let _ = wm.wait();
    assert!(status.success());

    let folder = dir.path().join("raw-data/_logs/quick");
    let record =
        std::fs::read_to_string(folder.join("quick_s1_session_1.session.json")).expect("record");
    assert!(
        record.contains(": the window lost focus at trial 3\""),
        "{record}"
    );
    assert!(
        record.contains("\"warning: no audio output (") && record.contains("without the beep"),
        "{record}"
    );
    // The run's record says it ran silent knowingly, and why.
    let parsed = shapelab::data::record::SessionRecord::read(
        &folder.join("quick_s1_session_1.session.json"),
    )
    .expect("the record");
    let silent = parsed.runs[0].silent.as_deref().unwrap_or_default();
    assert!(!silent.is_empty(), "{record}");
    assert!(
        record.contains(&format!("warning: no audio output ({silent})")),
        "{record}"
    );
    let timing =
        std::fs::read_to_string(folder.join("quick_s1_session_1.timing.csv")).expect("timing log");
    let unfocused: Vec<bool> = timing
        .lines()
        .skip(1)
        .map(|l| {
            l.rsplit(',')
                .next()
                .unwrap_or_default()
                .contains("window_unfocused")
        })
        .collect();
    assert_eq!(unfocused.len(), 6);
    assert_eq!(unfocused[..3], [false, false, true], "{timing}");
}

#[test]
fn without_sound_a_session_or_practice_does_not_start_unless_started_knowingly_silent() {
    let (dir, config) = common::quick_study("");
    let config = config.to_str().expect("utf-8");
    let without_sound = |extra: &[&str]| {
        common::shapelab()
            .args(["run", config, "--subject", "subject-01"])
            .args(["--windowed", "800x600"])
            .args(extra)
            // No sound device: ALSA finds no configuration.
            .env("ALSA_CONFIG_PATH", dir.path().join("no-alsa.conf"))
            .env("DISPLAY", ":404")
            .output()
            .expect("shapelab runs")
    };
    for practice in [&[][..], &["--practice"][..]] {
        let out = without_sound(practice);
        assert_eq!(out.status.code(), Some(1));
        let stderr = common::stderr(&out);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        // The device's own error is named, then what to do.
        let device = lines[0]
            .strip_prefix("error: no sound output (")
            .and_then(|rest| {
                rest.split_once("): a session beeps after every trial without an answer; ")
            })
            .map(|(device, _)| device)
            .unwrap_or_default();
        assert!(!device.is_empty(), "{stderr}");
        assert!(lines[0].ends_with("start it knowingly without sound with --allow-silent (the session record notes it)"), "{stderr}");
        assert!(!dir.path().join("raw-data").exists(), "nothing written");
    }
    // Knowingly silent, it goes on (here to the missing display).
    let out = without_sound(&["--allow-silent"]);
    assert!(
        !common::stderr(&out).contains("no sound output"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn without_a_graphics_adapter_a_session_stops_before_it_starts_with_one_line() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = common::quick_study("");
    let runtime = runtime_dir();
    let out = common::shapelab()
        .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
        .args(["--windowed", "1024x768"])
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        // Vulkan only, and no Vulkan driver to be found.
        .env("WGPU_BACKEND", "vulkan")
        .env("VK_ICD_FILENAMES", dir.path().join("no-driver.json"))
        .env("VK_DRIVER_FILES", dir.path().join("no-driver.json"))
        .output()
        .expect("shapelab runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: no graphics adapter")
            && last.ends_with("install mesa-vulkan-drivers"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.path().join("raw-data").exists(), "nothing written");
}

/// Whether a line satisfying `wanted` arrives within `wait`.
fn arrives(
    lines: &std::sync::mpsc::Receiver<String>,
    wait: Duration,
    wanted: impl Fn(&str) -> bool,
) -> bool {
    let deadline = Instant::now() + wait;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if wanted(&line) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn start_and_break_screens_need_a_fresh_press_and_the_timing_log_has_press_and_release() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = original_timing_study("fresh", 1);
    let runtime = runtime_dir();
    // A subject code that is not subject-NN, and a long refresh measurement to press during.
    let mut app = common::Reaped(
        shapelab_on(&x.display, &runtime)
            .args(["run", config.to_str().expect("utf-8"), "--subject", "P01"])
            .args(["--windowed", "1024x768", "--trials", "2", "--log-phases"])
            .args(["--measure-flips", "4000"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    let display = x.display.as_str();
    let started = Instant::now();
    let window = loop {
        let found = xdotool(display, &["search", "--name", "shapelab"]);
        if let Some(w) = found.lines().next() {
            break w.to_string();
        }
        if let Some(status) = app.try_wait().expect("shapelab runs") {
            panic!(
                "shapelab ended ({status}): {:?}",
                stderr.try_iter().collect::<Vec<_>>()
            );
        }
        assert!(started.elapsed() < Duration::from_secs(180), "no window");
        std::thread::sleep(Duration::from_millis(20));
    };
    // Pressed while the refresh is measured, released after the start screen appeared.
    xdotool(
        display,
        &[
            "mousemove",
            "--window",
            &window,
            "50",
            "50",
            "mousedown",
            "1",
        ],
    );
    assert!(
        stdout.try_recv().is_err(),
        "the press must come before the start screen (measure longer)"
    );
    wait_for(&stdout, |l| l.ends_with(" start"));
    std::thread::sleep(Duration::from_millis(400));
    xdotool(display, &["mouseup", "1"]);
    assert!(
        !arrives(&stdout, Duration::from_millis(1200), |l| l
            .ends_with("block_fixation")),
        "a press from before the start screen started the session"
    );
    click(display, &window, 50.0, 50.0);
    wait_for(&stdout, |l| l.ends_with("block_fixation"));

    let e = shapelab::config::Experiment::load(&config).expect("valid");
    let grid = ResponseGrid::new(&e.response_order, 1024, 768, 129, 10);
    // Trial 1: a press late in the window, still held when the break appears.
    wait_for(&stdout, |l| l.ends_with("trial 1 response"));
    std::thread::sleep(Duration::from_millis(1100));
    let (bx, by) = grid.rect(Dog).centre();
    let (bx, by) = (format!("{}", bx.round()), format!("{}", by.round()));
    xdotool(
        display,
        &["mousemove", "--window", &window, &bx, &by, "mousedown", "1"],
    );
    wait_for(&stdout, |l| l.ends_with(" break"));
    std::thread::sleep(Duration::from_millis(400));
    xdotool(display, &["mouseup", "1"]);
    assert!(
        !arrives(&stdout, Duration::from_millis(1200), |l| l
            .ends_with("block_fixation")),
        "a press held from the response screen skipped the break"
    );
    click(display, &window, 50.0, 50.0);
    wait_for(&stdout, |l| l.ends_with("block_fixation"));
    // Trial 2: pressed 0.4 s into the window, released 0.3 s later.
    wait_for(&stdout, |l| l.ends_with("trial 2 response"));
    std::thread::sleep(Duration::from_millis(400));
    let (cx, cy) = grid.rect(Cat).centre();
    let (cx, cy) = (format!("{}", cx.round()), format!("{}", cy.round()));
    xdotool(
        display,
        &["mousemove", "--window", &window, &cx, &cy, "mousedown", "1"],
    );
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["mouseup", "1"]);
    let status = app.wait().expect("shapelab ends");
    let messages: Vec<String> = stderr.try_iter().collect();
    assert!(status.success(), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|l| l.starts_with("note: subject code 'P01' does not start with 'subject-'")),
        "{messages:?}"
    );

    // The data folder holds the raw data only; the logs are beside it.
    let out = dir.path().join("raw-data");
    let names: Vec<String> = std::fs::read_dir(out.join("fresh"))
        .expect("data folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["fresh_P01_session_1.csv"]);
    let loaded = common::load_independently(&out.join("fresh")).expect("loaded");
    assert_eq!(
        (loaded.rows, loaded.subjects, loaded.persons_by_mvh),
        (2, 1, 0)
    );
    assert!(loaded.persons_by_r.is_none_or(|n| n == 0), "{loaded:?}");
    let rows = common::csv_rows(&out.join("fresh/fresh_P01_session_1.csv"));
    assert_eq!((rows[0][4].as_str(), rows[1][4].as_str()), ("dog", "cat"));
    let timing = std::fs::read_to_string(out.join("_logs/fresh/fresh_P01_session_1.timing.csv"))
        .expect("timing log");
    let mut lines = timing.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).expect(name);
    let (press, release) = (column("click_press"), column("click_release"));
    let logged: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Trial 1's button was still down when its timing was written.
    assert_eq!(logged[0][release], "NaN");
    let first_press: f64 = logged[0][press].parse().expect("a press");
    assert!((1.0..1.5).contains(&first_press), "{first_press}");
    let pressed: f64 = logged[1][press].parse().expect("a press");
    let released: f64 = logged[1][release].parse().expect("a release");
    assert!((0.3..1.0).contains(&pressed), "{pressed}");
    assert!(
        (0.15..0.8).contains(&(released - pressed)),
        "{pressed} {released}"
    );
    // By default rt is the last moment the button was down over the box: its release; the
    // button held from late in trial 1's window past its end gives the window's end.
    assert_eq!(rows[1][3], format!("{released:.6}"));
    assert_eq!(rows[0][3], "1.500000");

    // shapelab's compare knows P01 is a person from the session record.
    let (summary, _) = common::compare_summary(&out.join("fresh"), &[]);
    assert!(summary.contains("\nfresh,P01,human,"), "{summary}");
}

#[test]
fn the_console_of_a_session_holds_what_the_experimenter_needs_and_one_line_for_no_sound() {
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = common::quick_study("");
    // As under su or ssh: no XDG_RUNTIME_DIR; and no sound device (ALSA finds no config).
    let mut app = common::shapelab()
        .args([
            "run",
            config.to_str().expect("utf-8"),
            "--subject",
            "subject-01",
        ])
        .args(["--windowed", "800x600", "--trials", "2", "--log-phases"])
        .arg("--allow-silent")
        .env("DISPLAY", &x.display)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env("ALSA_CONFIG_PATH", dir.path().join("no-alsa.conf"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shapelab starts");
    let stderr = app.stderr.take().expect("piped");
    let messages = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text).expect("stderr");
        text
    });
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let first = stdout
        .recv_timeout(Duration::from_secs(60))
        .expect("a line");
    let out = dir.path().join("raw-data");
    assert_eq!(
        first,
        format!(
            "session 1 of subject-01: 2 trials, writing {} (into {} when complete)",
            common::incomplete_file(&out, "quick", "subject-01", 1).display(),
            out.join("quick").display()
        )
    );
    click_start(&x.display, &stdout);
    let ending = wait_for(&stdout, |l| l.starts_with("session 1 of subject-01 "));
    assert_eq!(
        ending,
        "session 1 of subject-01 completed: 2 of 2 trials done"
    );
    assert!(app.wait().expect("shapelab ends").success());
    let messages = messages.join().expect("stderr read");
    let lines: Vec<&str> = messages.lines().collect();
    assert_eq!(lines.len(), 2, "{messages}");
    assert!(
        lines[0].starts_with("warning: timing: unsynchronised ("),
        "{messages}"
    );
    assert!(
        lines[1].starts_with("warning: no audio output (")
            && lines[1].ends_with("): the session runs without the beep"),
        "{messages}"
    );
}

#[test]
fn timing_test_gives_a_verdict_and_monitors_says_whether_the_physical_size_is_known() {
    let Some(x) = xvfb() else {
        return;
    };
    let (_dir, config) = common::quick_study("");
    let runtime = runtime_dir();
    let test = common::shapelab()
        .args(["timing-test", config.to_str().expect("utf-8")])
        .args(["--windowed", "640x480", "--seconds", "1"])
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("shapelab runs");
    // Xvfb has no vertical sync: the verdict fails and says why, with exit code 1.
    assert_eq!(test.status.code(), Some(1), "{}", common::stderr(&test));
    let printed = common::stdout(&test);
    assert!(
        printed.contains(
            "\nflip times  estimated from when frames are acquired: no X11 Present events\n"
        ),
        "{printed}"
    );
    let verdict = printed.lines().last().unwrap_or_default();
    assert!(
        verdict.starts_with(
            "verdict     FAIL: frames are not synchronised to the display (no vertical sync)"
        ),
        "{printed}"
    );
    let monitors = common::shapelab()
        .arg("monitors")
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("shapelab runs");
    assert!(monitors.status.success());
    // Xvfb's RandR output reports no millimetres.
    assert_eq!(
        common::stdout(&monitors).trim(),
        "0: screen (1280x1024, unknown refresh), primary, physical size not reported (measure the image's width for monitor.width_cm)"
    );
}

#[test]
fn a_killed_on_screen_run_keeps_its_flip_log_and_the_resumed_run_writes_its_own() {
    let Some(x) = xvfb() else {
        return;
    };
    // Trials of about a second (no answers: the response window times out).
    let (dir, config) = common::quick_study("");
    common::edit_config(&config, "ms_resp_object: 100", "ms_resp_object: 1000");
    let runtime = runtime_dir();
    let logs = dir.path().join("raw-data/_logs/quick");
    let data = dir.path().join("raw-data/quick/quick_s1_session_1.csv");
    let partial = common::incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let (first_log, second_log) = (
        logs.join("quick_s1_session_1.flips.csv"),
        logs.join("quick_s1_session_1.run-2.flips.csv"),
    );
    let start = |extra: &[&str]| {
        common::Reaped(
            shapelab_on(&x.display, &runtime)
                .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
                .args(["--windowed", "1024x768", "--log-phases"])
                .args(extra)
                .spawn()
                .expect("shapelab starts"),
        )
    };
    let mut app = start(&["--trials", "6"]);
    let stdout = line_reader(app.stdout.take().expect("piped"));
    click_start(&x.display, &stdout);
    wait_for(&stdout, |l| l.contains(" trial 3 "));
    app.kill().expect("SIGKILL sent");
    app.wait().expect("reaped");
    // Killed mid-way: nothing of it in the data folder.
    assert!(!data.exists());
    let rows_at_kill = common::csv_rows(&partial).len();
    assert!((2..6).contains(&rows_at_kill), "{rows_at_kill} rows");
    // The killed run's frames are on disk up to about a second before the kill.
    let killed = std::fs::read_to_string(&first_log).expect("the killed run's flip log");
    assert!(killed
        .starts_with("flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms\n0,"));
    assert!(killed.ends_with('\n'), "only whole lines");
    assert!(
        killed.lines().count() > 60,
        "{} flips logged",
        killed.lines().count() - 1
    );

    let mut resumed = start(&["--resume"]);
    let resumed_stdout = line_reader(resumed.stdout.take().expect("piped"));
    click_start(&x.display, &resumed_stdout);
    let status = resumed.wait().expect("ends");
    let messages: Vec<String> = line_reader(resumed.stderr.take().expect("piped"))
        .iter()
        .collect();
    assert!(status.success(), "{messages:?}");
    assert_eq!(common::csv_rows(&data).len(), 6);
    assert!(!partial.exists(), "moved, not copied");
    assert_eq!(
        std::fs::read_to_string(&first_log).expect("flip log"),
        killed,
        "the resumed run leaves the killed run's flip log as it was"
    );
    let own = std::fs::read_to_string(&second_log).expect("the resumed run's flip log");
    assert!(own
        .starts_with("flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms\n0,"));
    assert!(own.lines().count() > 60, "{own}");
    let record =
        shapelab::data::record::SessionRecord::read(&logs.join("quick_s1_session_1.session.json"))
            .expect("the record");
    let runs: Vec<(&str, usize, Option<&str>)> = record
        .runs
        .iter()
        .map(|r| (r.status.word(), r.trials_done, r.flip_log.as_deref()))
        .collect();
    assert_eq!(
        runs,
        [
            (
                "interrupted",
                rows_at_kill,
                Some("quick_s1_session_1.flips.csv")
            ),
            (
                "completed",
                6 - rows_at_kill,
                Some("quick_s1_session_1.run-2.flips.csv")
            )
        ]
    );
}

#[test]
fn escape_ends_a_session_whose_display_stopped_taking_frames_with_its_rows_saved() {
    const SHIFT: u32 = 0xffe1;
    const ESCAPE: u32 = 0xff1b;
    let Some(x) = xvfb() else {
        return;
    };
    let (dir, config) = common::quick_study("");
    let runtime = runtime_dir();
    // A small window: its frames (40 kB) fit into the X connection's socket buffer, so the
    // render thread stalls waiting for the server's reply, as with a display that stopped
    // taking frames. (A frame that does not fit would block it in the middle of a write to a
    // server that reads nothing from shapelab, and the window thread's reads on the shared
    // connection wait for that write to end: a case Escape cannot end yet.)
    let mut app = common::Reaped(
        shapelab_on(&x.display, &runtime)
            .args(["run", config.to_str().expect("utf-8"), "--subject", "s1"])
            .args(["--windowed", "100x100", "--trials", "40", "--log-phases"])
            .spawn()
            .expect("shapelab starts"),
    );
    let stdout = line_reader(app.stdout.take().expect("piped"));
    let stderr = line_reader(app.stderr.take().expect("piped"));
    let window = click_start(&x.display, &stdout);
    wait_for(&stdout, |l| l.ends_with(" trial 4 fixation"));
    // The experimenter's keyboard is in use with the window focused. (The first key from
    // XTEST's keyboard makes the X server switch keyboards, and winit then reloads the keymap
    // from the server, which answers nobody else while held; Shift does nothing in a session.)
    xdotool(&x.display, &["windowfocus", "--sync", &window]);
    let holder = ServerHolder::connect(&x.display);
    holder.type_key(SHIFT);
    std::thread::sleep(Duration::from_millis(500));

    // The display stops taking frames: the render thread waits in the driver.
    holder.hold();
    let held = Instant::now();
    let warning = wait_for(&stderr, common::is_stall_warning);
    assert!(
        held.elapsed() < Duration::from_secs(10),
        "noticed after {:?}",
        held.elapsed()
    );
    assert!(
        warning.contains("the session is paused")
            && warning.ends_with("(what is saved stays saved)"),
        "{warning}"
    );
    let data = common::incomplete_file(&dir.path().join("raw-data"), "quick", "s1", 1);
    let saved = std::fs::read_to_string(&data).expect("data file");
    let rows = common::csv_rows(&data).len();
    assert!(rows >= 3, "the first three trials are saved: {saved}");

    // Escape, while the server is still held, ends the session with what it saved.
    holder.type_key(ESCAPE);
    assert_eq!(
        common::ends_within(&mut app, Duration::from_secs(15)),
        Some(1)
    );
    drop(holder);
    let said: Vec<String> = stderr.iter().collect();
    assert_eq!(
        said.last().map(String::as_str),
        Some(
            format!(
                "error: the display stopped taking frames (screen locked or blanked, window \
                 hidden, or not shown by the desktop); the session was ended by the \
                 experimenter while it could not show frames; everything is saved ({rows} rows \
                 in this run); continue it with --resume"
            )
            .as_str()
        ),
        "{said:?}"
    );
    assert!(
        !said.iter().any(|l| l.starts_with("presentation resumed")),
        "{said:?}"
    );
    assert_eq!(std::fs::read_to_string(&data).expect("data file"), saved);
    let record = shapelab::data::record::SessionRecord::read(&common::session_file(
        &dir.path().join("raw-data"),
        "quick",
        "s1",
        1,
        "session.json",
    ))
    .expect("the record");
    assert_eq!(
        (record.status.word(), record.trials_done),
        ("aborted", rows)
    );
    // The record says why it paused and how it ended, in that order.
    let notes = &record.runs[0].notes;
    let noted = |text: &str| notes.iter().position(|n| n.ends_with(text));
    let causes = "the display stopped taking frames (screen locked or blanked, window hidden, or \
                  not shown by the desktop)";
    let paused = noted(&format!(
        ": no frame was shown for 2 s: {causes}; the session is paused"
    ));
    let ended = noted(&format!(
        ": {causes}; the session was ended by the experimenter while it could not show frames"
    ));
    assert!(
        paused.is_some() && ended.is_some() && paused < ended,
        "{notes:?}"
    );
}

/// The last word on a study's data: after an aborted (Escape, Y), a killed-and-resumed
/// and a completed on-screen session, the paper's `get.expt.data` and model-vs-human's loader,
/// run on the experiment's data folder, count exactly the two participants who completed theirs.
#[test]
fn the_reference_loaders_count_only_the_participants_who_completed_their_session() {
    let Some(x) = xvfb() else {
        return;
    };
    let display = x.display.as_str();
    // Trials of about a second (no answers: the response window times out).
    let (dir, config) = common::quick_study("");
    common::edit_config(&config, "ms_resp_object: 100", "ms_resp_object: 1000");
    let config = config.to_str().expect("utf-8");
    let runtime = runtime_dir();
    let out = dir.path().join("raw-data");
    let data = out.join("quick");
    let start = |subject: &str, extra: &[&str]| {
        common::Reaped(
            shapelab_on(display, &runtime)
                .args(["run", config, "--subject", subject])
                .args(["--windowed", "1024x768", "--log-phases"])
                .args(extra)
                .spawn()
                .expect("shapelab starts"),
        )
    };
    // subject-01 ends the session in its second trial (Escape, then Y).
    let mut aborted = start("subject-01", &["--trials", "4"]);
    let stdout = line_reader(aborted.stdout.take().expect("piped"));
    let stderr = line_reader(aborted.stderr.take().expect("piped"));
    click_start(display, &stdout);
    wait_for(&stdout, |l| l.contains(" trial 2 "));
    let window = shapelab_window(display);
    let (code, messages) = end_session(display, &window, &mut aborted, &stderr);
    assert_eq!(code, Some(0), "{messages:?}");
    // subject-02's session is killed in its third trial.
    let mut killed = start("subject-02", &["--trials", "4"]);
    let stdout = line_reader(killed.stdout.take().expect("piped"));
    click_start(display, &stdout);
    wait_for(&stdout, |l| l.contains(" trial 3 "));
    killed.kill().expect("SIGKILL sent");
    killed.wait().expect("reaped");
    // subject-03 completes.
    let mut completed = start("subject-03", &["--trials", "4"]);
    let stdout = line_reader(completed.stdout.take().expect("piped"));
    click_start(display, &stdout);
    assert!(completed.wait().expect("ends").success());
    assert_eq!(common::files_in(&data), ["quick_subject-03_session_1.csv"]);
    let loaded = common::load_independently(&data).expect("loaded");
    assert_eq!((loaded.rows, loaded.persons_by_mvh), (4, 1), "{loaded:?}");
    assert!(loaded.persons_by_r.is_none_or(|n| n == 1), "{loaded:?}");
    // subject-02 resumes and completes: two participants, each once, and subject-01 is not one.
    let mut resumed = start("subject-02", &["--resume"]);
    let stdout = line_reader(resumed.stdout.take().expect("piped"));
    click_start(display, &stdout);
    assert!(resumed.wait().expect("ends").success());
    assert_eq!(
        common::files_in(&data),
        [
            "quick_subject-02_session_1.csv",
            "quick_subject-03_session_1.csv"
        ]
    );
    let loaded = common::load_independently(&data).expect("loaded");
    assert_eq!(
        (loaded.rows, loaded.subjects, loaded.persons_by_mvh),
        (8, 2, 2),
        "{loaded:?}"
    );
    assert!(loaded.persons_by_r.is_none_or(|n| n == 2), "{loaded:?}");
    let unfinished = common::files_in(&out.join("_incomplete/quick"));
    assert_eq!(unfinished, ["quick_subject-01_session_1.csv"]);
}
