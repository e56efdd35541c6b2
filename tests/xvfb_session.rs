//! A real session in a real window under Xvfb: xdotool clicks response boxes at known times,
//! and the data file must hold exactly those responses.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shapelab::categories::Category::{self, *};
use shapelab::config::Experiment;
use shapelab::trials::ResponseGrid;

/// A virtual X display that is stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts Xvfb, or `None` (skip) without it; under CI a missing Xvfb or xdotool fails.
fn xvfb() -> Option<Xvfb> {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Xvfb and xdotool (scripts/debian-packages.txt)"
        );
        eprintln!("skipped: Xvfb or xdotool missing");
        return None;
    }
    for number in 90 + std::process::id() % 100..300 {
        if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
            continue;
        }
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let x = Xvfb { child, display };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let ready = Command::new("xdotool")
                .arg("getdisplaygeometry")
                .env("DISPLAY", &x.display)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Some(x);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("Xvfb did not start");
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn click(display: &str, window: &str, x: f64, y: f64) {
    let (x, y) = (format!("{}", x.round()), format!("{}", y.round()));
    xdotool(
        display,
        &["mousemove", "--window", window, &x, &y, "click", "1"],
    );
}

fn runtime_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("0700");
    dir
}

#[test]
fn a_windowed_session_under_xvfb_records_the_clicked_boxes_and_says_unsynchronised() {
    let Some(x) = xvfb() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    common::make_stimulus_set(&dir.path().join("stimuli"), 1);
    let config = dir.path().join("experiment.yaml");
    std::fs::write(
        &config,
        format!(
            "experiment: xvfb\ncode: xvf\nstimuli: {}\noutput: {}\nnum_trials_per_block: 4\ntrial_order: files\n",
            dir.path().join("stimuli").display(),
            dir.path().join("raw-data").display()
        ),
    )
    .expect("config written");
    let runtime = runtime_dir();
    let mut app = common::shapelab()
        .args([
            "run",
            config.to_str().expect("utf-8"),
            "--subject",
            "s1",
            "--windowed",
            "1024x768",
        ])
        .args(["--trials", "8", "--log-phases"])
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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
            window = xdotool(&x.display, &["search", "--name", "shapelab"])
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
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
    let record =
        std::fs::read_to_string(folder.join("xvfb_s1_session_1.session.json")).expect("record");
    assert!(
        record.contains("\"timing\": \"unsynchronised\""),
        "{record}"
    );
    assert!(record.contains("\"status\": \"completed\""), "{record}");
    let flips =
        std::fs::read_to_string(folder.join("xvfb_s1_session_1.flips.csv")).expect("flip log");
    assert!(
        flips.starts_with("flip,time_s,interval_ms\n0,"),
        "{}",
        &flips[..40.min(flips.len())]
    );
    assert!(
        flips.lines().count() > 8 * 130,
        "one line per flip: {} lines",
        flips.lines().count()
    );
}
