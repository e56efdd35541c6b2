//! Crash safety: simulated sessions killed with SIGKILL at 20 seeded random moments always
//! leave only complete rows, outside the data folder until the session completes, and
//! `--resume` completes them exactly as an uninterrupted run, moving the file into the data
//! folder once.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

fn rows_of(path: &Path) -> Vec<Vec<String>> {
    if path.exists() {
        csv_rows(path)
    } else {
        Vec::new()
    }
}

#[test]
fn twenty_kills_at_random_moments_lose_no_completed_trial_and_resume_exactly() {
    let (dir, config) = files_order_study(
        "crash",
        "crs",
        "refresh_hz: 100\nms_fixation: 10\nms_inter_trial: 10\nms_stim: 10\nms_mask: 10\nms_resp_object: 50\nms_feedback: 10\nnum_trials_per_block: 10\nrt_from: press\n",
    );
    let reference_out = dir.path().join("reference");
    run_simulated_session(&config, &reference_out);
    let expected = csv_rows(&simulated_file(&reference_out, "crash", "s1", 1, "csv"));
    assert_eq!(expected.len(), 24);
    assert!(
        expected.iter().all(|r| r[4] != "na"),
        "every trial answered"
    );
    let seeds = |out: &Path, session: u32| -> Vec<String> {
        let text =
            std::fs::read_to_string(simulated_file(out, "crash", "s1", session, "timing.csv"))
                .unwrap_or_default();
        text.lines()
            .skip(1)
            .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };
    let reference_seeds = seeds(&reference_out, 1);

    let mut rng = shapelab::rng::Rng::new(20261128);
    let mut kills_mid_session = 0;
    for attempt in 0..20u32 {
        let out = dir.path().join(format!("run-{attempt}"));
        let data = simulated_file(&out, "crash", "s1", 1, "csv");
        let partial = simulated_incomplete_file(&out, "crash", "s1", 1);
        let mut child = shapelab()
            .args(simulated_session_args(&config, &out))
            .arg("--realtime")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("started");
        // Kill somewhere between start-up and the last trial.
        let wait = Duration::from_millis(100 + rng.below(3200) as u64);
        let started = Instant::now();
        while started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().expect("SIGKILL sent");
        child.wait().expect("reaped");

        if data.exists() {
            // Killed after the session completed: its file is in the data folder, once.
            assert!(!partial.exists(), "attempt {attempt}: two copies");
            assert_eq!(csv_rows(&data), expected, "attempt {attempt}");
            continue;
        }
        // A session that has not completed has no file in the data folder.
        assert_eq!(
            files_in(data.parent().expect("a folder")),
            Vec::<String>::new(),
            "attempt {attempt}"
        );
        let text = std::fs::read_to_string(&partial).unwrap_or_default();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "attempt {attempt}: a half-written line was left"
        );
        let survived = rows_of(&partial);
        assert!(
            survived.iter().all(|r| r.len() == 8),
            "attempt {attempt}: a broken row"
        );
        assert_eq!(
            survived[..],
            expected[..survived.len()],
            "attempt {attempt}: completed rows differ"
        );
        // Killed after its last row and before its file moved: resuming moves it.
        let between_end_and_move = survived.len() == expected.len();
        kills_mid_session += usize::from(!between_end_and_move);
        let mut resume = simulated_session_args(&config, &out);
        if simulated_file(&out, "crash", "s1", 1, "session.json").exists() {
            resume.push("--resume".into());
        }
        let resumed = shapelab().args(&resume).output().expect("runs");
        assert!(
            resumed.status.success()
                || (between_end_and_move && stderr(&resumed).contains("now in the data folder")),
            "attempt {attempt}: {}",
            stderr(&resumed)
        );
        let rows = csv_rows(&data);
        assert_eq!(
            rows, expected,
            "attempt {attempt}: the resumed session differs"
        );
        assert!(!partial.exists(), "attempt {attempt}: left in _incomplete");
        if between_end_and_move {
            continue;
        }
        // Masks: the timing rows follow the reference's seeds, at most one lost at the kill.
        let ours = seeds(&out, 1);
        assert!(
            ours.len() >= 23,
            "attempt {attempt}: {} timing rows",
            ours.len()
        );
        let mut remaining = reference_seeds.iter();
        for line in &ours {
            assert!(
                remaining.any(|r| r == line),
                "attempt {attempt}: timing row {line} out of order"
            );
        }
    }
    assert!(
        kills_mid_session >= 15,
        "only {kills_mid_session} kills landed mid-session"
    );
}
