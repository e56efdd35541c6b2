//! Storage faults: a data folder that cannot be created, and a disk that fills up in the
//! middle of a session (a real file-size limit on the shapelab process, so writes fail part
//! way through a line exactly as on a full disk). The session pauses with the trial in memory,
//! nothing already written is damaged, and once space is back the session ends exactly as an
//! uninterrupted one.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// The first three timing columns (trial, image, mask seed): what must not change.
fn timing_keys(path: &Path) -> Vec<String> {
    lines(path)
        .iter()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect()
}

/// Sets the largest file a running process may write (util-linux's prlimit).
fn set_file_size_limit(pid: u32, limit: &str) {
    let status = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--fsize={limit}:unlimited"),
        ])
        .status()
        .expect("prlimit runs");
    assert!(status.success());
}

#[test]
fn a_disk_that_fills_up_pauses_the_session_and_loses_nothing() {
    let (dir, config) = quick_study("");
    let reference_out = dir.path().join("reference");
    run_simulated_session(&config, &reference_out);
    let files = |out: &Path| {
        let file = |ext| simulated_file(out, "quick", "s1", 1, ext);
        (file("csv"), file("timing.csv"), file("session.json"))
    };
    let (ref_data, ref_timing, _) = files(&reference_out);

    // 4000 bytes hold the record and the raw data but only about 17 timing lines.
    let out = dir.path().join("full-disk");
    let console = dir.path().join("console.txt");
    let mut child = Reaped(
        shapelab_on_a_small_disk(4000)
            .args(simulated_session_args(&config, &out))
            .stdout(std::fs::File::create(&console).expect("console file"))
            .stderr(Stdio::piped())
            .spawn()
            .expect("started"),
    );
    let rx = line_reader(child.stderr.take().expect("piped"));
    let paused = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the session reports the fault");
    assert!(
        paused.starts_with("paused: ")
            && paused.contains("timing.csv: cannot write a row: File too large"),
        "{paused}"
    );
    assert!(
        paused.contains("; kept in memory: the timing of trial "),
        "{paused}"
    );

    // While paused (and retrying), what is on disk is a clean prefix of the full session,
    // outside the data folder until the session completes.
    let (data, timing, record) = files(&out);
    let partial = simulated_incomplete_file(&out, "quick", "s1", 1);
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(1200));
        assert!(!data.exists());
        let written_data = lines(&partial);
        let written_timing = lines(&timing);
        assert!(written_data.len() > 5 && written_data.len() < 25);
        assert_eq!(written_data[..], lines(&ref_data)[..written_data.len()]);
        assert!(std::fs::read_to_string(&timing)
            .expect("timing log")
            .ends_with('\n'));
        let keys = timing_keys(&timing);
        assert_eq!(keys[..], timing_keys(&ref_timing)[..keys.len()]);
        assert!(written_timing.len() < written_data.len());
        assert!(std::fs::metadata(&timing).expect("timing log").len() <= 4000);
    }
    assert!(
        child.try_wait().expect("running").is_none(),
        "still waiting"
    );

    set_file_size_limit(child.id(), "unlimited");
    let status = child.wait().expect("ends");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(status.success(), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.starts_with("saved again after")),
        "{rest:?}"
    );
    assert_eq!(
        lines(&data),
        lines(&ref_data),
        "every trial, once, in order"
    );
    assert!(!partial.exists(), "moved into the data folder");
    assert_eq!(timing_keys(&timing), timing_keys(&ref_timing));
    let disturbed: Vec<String> = lines(&timing)
        .iter()
        .skip(1)
        .filter(|l| l.ends_with("storage_pause"))
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(disturbed.len(), 1, "one trial waited: {disturbed:?}");
    let console = std::fs::read_to_string(&console).expect("console");
    assert!(
        console
            .lines()
            .any(|l| l.starts_with("disturbed   trial ") && l.ends_with("(storage_pause)")),
        "the end of the session names the disturbed trial: {console}"
    );

    // compare can leave the disturbed trial out, and says so per observer.
    let (summary, console) = compare_summary(&out.join("_simulated"), &["--leave-out-disturbed"]);
    let row = summary
        .lines()
        .find(|l| l.starts_with("quick,simulated-s1,"))
        .expect("the simulated observer");
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!(
        (fields[2], fields[4], fields[fields.len() - 1]),
        ("simulated", "23", "1"),
        "{summary}"
    );
    assert!(
        console.contains("(1 disturbed trials left out)"),
        "{console}"
    );
    let record = std::fs::read_to_string(record).expect("record");
    assert!(record.contains("\"status\": \"completed\""), "{record}");
    assert!(record.contains("storage fault before trial"), "{record}");
    assert!(record.contains("\"disturbed_trials\": 1"), "{record}");
}

#[test]
fn a_data_folder_that_cannot_be_created_stops_the_session_before_it_starts() {
    let (dir, config) = quick_study("");
    // A file where the output folder should be: no permission trick, so it holds for root too.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("written");
    let out = run(&simulated_session_args(&config, &blocker.join("raw-data"))
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with(&format!(
            "error: {}: cannot create the data folder: Not a directory",
            blocker.join("raw-data/_simulated/quick").display()
        )),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&blocker).expect("intact"), "x");
}
