//! The photodiode check as a lab uses it: a session is run (simulated, so its timing log is
//! exact), a photodiode recording of it is made up as a sound card would record it (an
//! AC-coupled microphone input, a sound card clock 40 ppm fast, started seconds before the
//! session), and `shapelab photodiode` reads it against the session's timing log.

mod common;

use std::path::{Path, PathBuf};

use shapelab::data::timing::StimulusTiming;

const RATE: u32 = 48000;
const PERIOD: f64 = 1.0 / 60.0;

/// A 10-trial simulated session with the paper's durations (a 200 ms stimulus is 12 frames
/// at 60 Hz) and a break after the fifth trial; returns the folder, its raw-data CSV and its
/// timing log's stimuli.
fn session() -> (tempfile::TempDir, PathBuf, Vec<StimulusTiming>) {
    let dir = tempfile::tempdir().expect("temp dir");
    common::make_stimulus_set(&dir.path().join("stimuli"), 1);
    let config = dir.path().join("experiment.yaml");
    std::fs::write(
        &config,
        "experiment: pd\ncode: pdc\nstimuli: stimuli\noutput: raw-data\nnum_trials_per_block: 5\nphotodiode: {corner: bottom-left, size: 60}\n",
    )
    .expect("config written");
    let check = common::run_ok(&["check", config.to_str().expect("utf-8")]);
    assert!(
        common::stdout(&check).contains(
            "photodiode  a 60 px square in the bottom-left corner, white while the stimulus is shown, black otherwise"
        ),
        "{}",
        common::stdout(&check)
    );
    let out = dir.path().join("raw-data");
    common::run_ok(&[
        "run",
        config.to_str().expect("utf-8"),
        "--simulate",
        "--subject",
        "s1",
        "--trials",
        "10",
        "--rt-ms",
        "300",
    ]);
    let data = common::simulated_file(&out, "pd", "s1", 1, "csv");
    let timing = common::simulated_file(&out, "pd", "s1", 1, "timing.csv");
    let stimuli = shapelab::data::timing::stimuli(&timing).expect("the timing log");
    assert_eq!(stimuli.len(), 10);
    assert!(stimuli.iter().all(|s| s.planned == 12 && s.refreshes == 12));
    (dir, data, stimuli)
}

/// What the photodiode saw: for each stimulus, the light's onset and offset (s, session clock).
fn light(stimuli: &[StimulusTiming]) -> Vec<(f64, f64)> {
    stimuli
        .iter()
        .map(|s| {
            let onset = s.onset.expect("shown");
            (onset, onset + f64::from(s.refreshes) * PERIOD)
        })
        .collect()
}

/// A recording of `light` through an AC-coupled input (time constant 20 ms): light drives the
/// signal down by 0.4, with Gaussian noise of SD `noise` and a 50 Hz hum, 40 ppm fast, the
/// recording started 3.2 s before the session's clock. `lcd`: the patch's pixels turn white
/// with a time constant of 2 ms and black with one of 1 ms, as an LCD's do, instead of at once.
fn recording(light: &[(f64, f64)], noise: f32, lcd: bool) -> Vec<f32> {
    recorded(light, &Sound::new(noise, lcd))
}

/// How a sound card recorded the light (see `recording`).
struct Sound {
    /// Gaussian noise's SD: a function of the time (s, session clock).
    noise: Box<dyn Fn(f64) -> f32>,
    lcd: bool,
    /// When the recording started (s, session clock).
    start: f64,
    /// Mains hum's amplitude and frequency (Hz).
    hum: (f64, f64),
}

impl Sound {
    fn new(noise: f32, lcd: bool) -> Sound {
        Sound {
            noise: Box::new(move |_| noise),
            lcd,
            start: -3.2,
            hum: (0.02, 50.0),
        }
    }
}

/// A recording of `light` as `sound` says.
fn recorded(light: &[(f64, f64)], sound: &Sound) -> Vec<f32> {
    let (start, clock, lcd) = (sound.start, 1.0 + 40e-6, sound.lcd);
    let end = light.last().map_or(1.0, |l| l.1) + 2.0;
    let n = ((end - start) * f64::from(RATE) * clock) as usize;
    let decay = (-1.0 / (0.02 * f64::from(RATE))).exp() as f32;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut uniform = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let pixel = |tau_ms: f64| {
        if lcd {
            1.0 - (-1000.0 / (tau_ms * f64::from(RATE))).exp() as f32
        } else {
            1.0
        }
    };
    let (rise, fall) = (pixel(2.0), pixel(1.0));
    let (mut out, mut last, mut shown) = (0.0f32, 0.0f32, 0.0f32);
    let mut next = 0;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = start + i as f64 / f64::from(RATE) / clock;
        while next < light.len() && light[next].1 <= t {
            next += 1;
        }
        let on = next < light.len() && light[next].0 <= t;
        let target = if on { -0.4 } else { 0.0 };
        shown += (target - shown) * if on { rise } else { fall };
        let level = shown;
        out = decay * (out + level - last);
        last = level;
        // Box-Muller for the noise.
        let gauss = (-2.0 * uniform().max(1e-12).ln()).sqrt()
            * (2.0 * std::f64::consts::PI * uniform()).cos();
        let hum = sound.hum.0 * (2.0 * std::f64::consts::PI * sound.hum.1 * t).sin();
        samples.push(out + (sound.noise)(t) * gauss as f32 + hum as f32);
    }
    samples
}

/// Writes `channels` as a 16-bit PCM WAV file.
fn write_wav(path: &Path, channels: &[&[f32]]) {
    let count = channels.len() as u16;
    let frames = channels[0].len();
    let size = (frames * channels.len() * 2) as u32;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + size).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * u32::from(count) * 2).to_le_bytes());
    out.extend_from_slice(&(count * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&size.to_le_bytes());
    for i in 0..frames {
        for c in channels {
            let v = (c[i].clamp(-1.0, 1.0) * 32767.0).round() as i16;
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, out).expect("wav written");
}

/// Runs `shapelab photodiode` on a recording against `timing` (the session's raw-data CSV or
/// its timing log); returns the exit code and standard output.
/// [`check`] of a mono recording of the session's light as `sound` records it.
fn check_sound(
    dir: &Path,
    timing: &Path,
    stimuli: &[StimulusTiming],
    sound: &Sound,
) -> (i32, String) {
    check(dir, timing, &[&recorded(&light(stimuli), sound)], &[])
}

fn check(dir: &Path, timing: &Path, channels: &[&[f32]], extra: &[&str]) -> (i32, String) {
    let wav = dir.join("session.wav");
    write_wav(&wav, channels);
    let mut args = vec![
        "photodiode",
        wav.to_str().expect("utf-8"),
        "--timing",
        timing.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    let output = common::run(&args);
    let stderr = common::stderr(&output);
    assert!(stderr.is_empty(), "{stderr}");
    (output.status.code().unwrap_or(-1), common::stdout(&output))
}

/// The report's line of a trial.
fn trial_line(report: &str, trial: usize) -> &str {
    report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&trial.to_string()))
        .unwrap_or_else(|| panic!("no line for trial {trial}: {report}"))
}

/// The measured duration (ms) in a trial's line.
fn measured_ms(line: &str) -> f64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "ms").expect("a duration");
    words[at - 1].parse().expect("a number")
}

#[test]
fn a_clean_recording_passes_with_every_stimulus_its_twelve_frames() {
    let (dir, data, stimuli) = session();
    let signal = recording(&light(&stimuli), 0.0, false);
    let png = dir.path().join("durations.png");
    let (code, report) = check(
        dir.path(),
        &data,
        &[&signal],
        &["--histogram", png.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("pulses      10 found; light steps the signal down"),
        "{report}"
    );
    assert!(
        report.contains(
            "matched     10 of 10 stimuli; 0 pulses belong to none; sound card clock +40 ppm"
        ),
        "{report}"
    );
    assert!(
        report.contains("durations   10 as planned, 0 longer, 0 shorter, 0 missing"),
        "{report}"
    );
    assert!(report.contains("  +0 fr      10  #####"), "{report}");
    assert!(
        report.contains("verdict     PASS: all 10 stimuli lasted their planned frames"),
        "{report}"
    );
    for trial in 1..=10 {
        let line = trial_line(&report, trial);
        assert!((measured_ms(line) - 200.0).abs() < 0.05, "{line}");
        assert!(
            line.contains(" ms  12 fr") && line.ends_with(" ok"),
            "{line}"
        );
    }
    // Onset intervals agree with the flip log's to the sample, across the break too.
    let intervals = report
        .lines()
        .find(|l| l.starts_with("intervals   9 onset intervals"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        intervals.contains("largest +0.0") || intervals.contains("largest -0.0"),
        "{intervals}"
    );
    let image = image::open(&png).expect("the histogram is a PNG");
    assert_eq!((image.width(), image.height()), (900, 500));
}

#[test]
fn noise_hum_and_slow_pixels_on_the_second_channel_of_a_stereo_file_still_pass() {
    let (dir, data, stimuli) = session();
    // Noise with an SD of a quarter of the light's step and an LCD's slow pixels, found on
    // the right channel.
    let signal = recording(&light(&stimuli), 0.1, true);
    let quiet = vec![0.0f32; signal.len()];
    let (code, report) = check(dir.path(), &data, &[&quiet, &signal], &[]);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("channel 2 of 2"), "{report}");
    assert!(
        report.contains("matched     10 of 10 stimuli; 0 pulses belong to none"),
        "{report}"
    );
    let durations = report
        .lines()
        .find(|l| l.starts_with("durations   10 as planned"))
        .unwrap_or_else(|| panic!("{report}"));
    // Slow pixels shift onsets and offsets by about as much; the noise moves each edge by a
    // fraction of a millisecond, far from the half frame that would change a frame count.
    let sd: f64 = durations
        .split("SD ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{durations}"));
    assert!(sd < 0.5, "{durations}");
}

#[test]
fn a_dropped_frame_the_flip_log_missed_is_found_and_fails_the_check() {
    let (dir, data, stimuli) = session();
    let mut light = light(&stimuli);
    // Trial 3's stimulus stayed a refresh longer than the flip log says.
    light[2].1 += PERIOD;
    let signal = recording(&light, 0.01, false);
    let (code, report) = check(dir.path(), &data, &[&signal], &[]);
    assert_eq!(code, 1, "{report}");
    let line = trial_line(&report, 3);
    assert!((measured_ms(line) - 216.67).abs() < 0.05, "{line}");
    assert!(
        line.contains(" ms  13 fr")
            && line.ends_with(
                "1 frame longer than planned (dropped frame); the flip log says 12 refreshes"
            ),
        "{line}"
    );
    assert!(trial_line(&report, 4).ends_with(" ok"), "{report}");
    assert!(
        report.contains("durations   9 as planned, 1 longer, 0 shorter, 0 missing"),
        "{report}"
    );
    assert!(report.contains("  +1 fr       1  ######\n"), "{report}");
    assert!(
        report.contains("verdict     FAIL: stimuli longer than planned: trial 3; durations the flip log does not show: trial 3\n"),
        "{report}"
    );
}

#[test]
fn a_missing_pulse_is_named_and_the_others_still_line_up() {
    let (dir, _, stimuli) = session();
    let mut light = light(&stimuli);
    light.remove(6);
    let signal = recording(&light, 0.01, false);
    let timing = common::simulated_file(&dir.path().join("raw-data"), "pd", "s1", 1, "timing.csv");
    let (code, report) = check(dir.path(), &timing, &[&signal], &[]);
    assert_eq!(code, 1, "{report}");
    assert!(
        trial_line(&report, 7).ends_with("missing pulse"),
        "{report}"
    );
    for trial in [1, 6, 8, 10] {
        assert!(trial_line(&report, trial).ends_with(" ok"), "{report}");
    }
    assert!(
        report.contains("matched     9 of 10 stimuli; 0 pulses belong to none"),
        "{report}"
    );
    assert!(
        report.contains("verdict     FAIL: missing pulses: trial 7\n"),
        "{report}"
    );
}

#[test]
fn a_recording_that_is_not_a_wav_file_is_refused_in_one_line() {
    let (dir, data, _) = session();
    let wav = dir.path().join("notes.wav");
    std::fs::write(&wav, "not audio").expect("written");
    let output = common::run(&[
        "photodiode",
        wav.to_str().expect("utf-8"),
        "--timing",
        data.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        common::stderr(&output),
        format!(
            "error: {}: is not a WAV recording (no RIFF/WAVE header)\n",
            wav.display()
        )
    );
}

#[test]
fn a_recording_started_at_the_fifth_trial_names_the_right_trials() {
    let (dir, data, stimuli) = session();
    // Started a second before trial 5's stimulus: trials 1 to 4 were not recorded.
    let sound = Sound {
        start: stimuli[4].onset.expect("shown") - 1.0,
        ..Sound::new(0.01, false)
    };
    let (code, report) = check_sound(dir.path(), &data, &stimuli, &sound);
    assert_eq!(code, 1, "{report}");
    for trial in 1..=4 {
        assert!(
            trial_line(&report, trial).ends_with("missing pulse"),
            "{report}"
        );
    }
    for trial in 5..=10 {
        assert!(trial_line(&report, trial).ends_with(" ok"), "{report}");
    }
    assert!(
        report.contains("verdict     FAIL: missing pulses: trials 1, 2, 3, 4\n"),
        "{report}"
    );
}

#[test]
fn a_recording_started_after_the_break_is_said_to_be_ambiguous() {
    let (dir, data, stimuli) = session();
    // Only the second block (trials 6 to 10) was recorded: its intervals are those of the
    // first block too, so nothing tells which block it is.
    let sound = Sound {
        start: stimuli[5].onset.expect("shown") - 1.0,
        ..Sound::new(0.01, false)
    };
    let (code, report) = check_sound(dir.path(), &data, &stimuli, &sound);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("alignment ambiguous: the pulses fit the stimuli from trial 1 on as well as from trial 6 on"),
        "{report}"
    );
}

#[test]
fn mains_hum_at_a_quarter_of_the_light_step_is_removed_at_50_and_60_hz() {
    let (dir, data, stimuli) = session();
    // Hum of 25 % and 30 % of the light's step (0.4), the mains a little off its nominal rate.
    for hum in [(0.1, 50.03), (0.12, 59.96)] {
        let sound = Sound {
            hum,
            ..Sound::new(0.01, true)
        };
        let (code, report) = check_sound(dir.path(), &data, &stimuli, &sound);
        assert_eq!(code, 0, "{hum:?}: {report}");
        assert!(
            report.contains("matched     10 of 10 stimuli; 0 pulses belong to none"),
            "{hum:?}: {report}"
        );
    }
}

#[test]
fn the_edge_threshold_can_be_given() {
    let (dir, data, stimuli) = session();
    let signal = recording(&light(&stimuli), 0.01, false);
    // Above the light's step (0.4) nothing is an edge; below it, every pulse is found.
    let (code, report) = check(dir.path(), &data, &[&signal], &["--threshold", "0.6"]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("threshold 0.600)"), "{report}");
    assert!(report.contains("pulses      0 found"), "{report}");
    let (code, report) = check(dir.path(), &data, &[&signal], &["--threshold", "0.2"]);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("threshold 0.200)"), "{report}");
}

#[test]
fn noise_that_starts_partway_through_is_measured_where_it_is() {
    let (dir, data, stimuli) = session();
    // Digital silence for the first 60 % (a muted input, no hum), then noise with an SD of
    // an eighth of the light's step.
    let switch = stimuli[5].onset.expect("shown") - 0.9;
    let sound = Sound {
        noise: Box::new(move |t| if t < switch { 0.0 } else { 0.05 }),
        hum: (0.0, 50.0),
        ..Sound::new(0.0, false)
    };
    let (code, report) = check_sound(dir.path(), &data, &stimuli, &sound);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("pulses      10 found")
            && report.contains("matched     10 of 10 stimuli; 0 pulses belong to none"),
        "{report}"
    );
}

#[test]
fn pulses_that_fit_only_with_an_impossible_clock_fail_the_check() {
    let (dir, data, stimuli) = session();
    // The light of a display whose clock ran 2,000 ppm slower than its log says.
    let stretched: Vec<(f64, f64)> = light(&stimuli)
        .iter()
        .map(|&(on, off)| (on * 1.002, on * 1.002 + (off - on)))
        .collect();
    let (code, report) = check(
        dir.path(),
        &data,
        &[&recording(&stretched, 0.01, false)],
        &[],
    );
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains(
            "the pulses line up only with the sound card's clock +2040 ppm off the display's"
        ),
        "{report}"
    );
}

#[test]
fn pulses_that_match_no_stimulus_are_listed_and_fail_the_check() {
    let (dir, data, stimuli) = session();
    let mut light = light(&stimuli);
    // Two extra 200 ms flashes of the patch during the session, between trials 3 and 4 and
    // trials 7 and 8.
    for before in [3, 7] {
        let at = light[before - 1].0 + 1.2;
        light.push((at, at + 0.2));
    }
    light.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (code, report) = check(dir.path(), &data, &[&recording(&light, 0.01, false)], &[]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("matched     10 of 10 stimuli; 2 pulses belong to none"),
        "{report}"
    );
    // Recording time: 3.2 s before the session clock, 40 ppm fast.
    let at = |k: usize| (stimuli[k - 1].onset.expect("shown") + 1.2 + 3.2) * (1.0 + 40e-6);
    assert!(
        report.contains(&format!(
            "verdict     FAIL: light pulses that match no stimulus, at {:.3} s, {:.3} s of the recording\n",
            at(3),
            at(7)
        )),
        "{report}"
    );
}

#[test]
fn of_two_channels_the_photodiode_is_found_beside_louder_hiss() {
    let (dir, data, stimuli) = session();
    let signal = recording(&light(&stimuli), 0.01, false);
    // The left channel: an open microphone input's hiss, far louder on average than an
    // AC-coupled photodiode, which is quiet between its edges.
    let mut seed: u32 = 99;
    let hiss: Vec<f32> = (0..signal.len())
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32 - 0.5) * 0.8
        })
        .collect();
    let (code, report) = check(dir.path(), &data, &[&hiss, &signal], &[]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("channel 2 of 2 (its pulses match the most stimuli)"),
        "{report}"
    );
}

#[test]
fn a_timing_log_without_stimuli_or_with_a_negative_count_is_refused_in_one_line() {
    let (dir, _, stimuli) = session();
    let timing = common::simulated_file(&dir.path().join("raw-data"), "pd", "s1", 1, "timing.csv");
    let text = std::fs::read_to_string(&timing).expect("the timing log");
    let wav = dir.path().join("session.wav");
    write_wav(&wav, &[&recording(&light(&stimuli), 0.01, false)]);
    let run = |log: &Path| {
        common::run(&[
            "photodiode",
            wav.to_str().expect("utf-8"),
            "--timing",
            log.to_str().expect("utf-8"),
            "--hz",
            "60",
        ])
    };
    let empty = dir.path().join("empty.timing.csv");
    std::fs::write(&empty, text.lines().next().expect("a header")).expect("written");
    let output = run(&empty);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        common::stderr(&output),
        format!(
            "error: {}: has no stimulus that was shown, so there is nothing to check the recording against\n",
            empty.display()
        )
    );
    // The first row's planned frames made negative.
    let header: Vec<&str> = text.lines().next().expect("a header").split(',').collect();
    let column = header
        .iter()
        .position(|c| *c == "stimulus_planned")
        .expect("the column");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(String::from).collect();
    fields[column] = "-3".into();
    lines[1] = fields.join(",");
    let negative = dir.path().join("negative.timing.csv");
    std::fs::write(&negative, lines.join("\n")).expect("written");
    let output = run(&negative);
    assert_eq!(
        common::stderr(&output),
        format!(
            "error: {}:2: stimulus_planned: '-3' is not a whole number of 0 or more\n",
            negative.display()
        )
    );
}

#[test]
fn a_single_stimulus_passes_in_the_singular() {
    let (dir, _, stimuli) = session();
    let timing = common::simulated_file(&dir.path().join("raw-data"), "pd", "s1", 1, "timing.csv");
    let text = std::fs::read_to_string(&timing).expect("the timing log");
    let one = dir.path().join("one.timing.csv");
    std::fs::write(&one, text.lines().take(2).collect::<Vec<_>>().join("\n")).expect("written");
    let (code, report) = check(
        dir.path(),
        &one,
        &[&recording(&light(&stimuli[..1]), 0.01, false)],
        &["--hz", "60"],
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains(
            "verdict     PASS: the one stimulus lasted its planned frames, as the flip log says\n"
        ),
        "{report}"
    );
}

#[test]
fn a_patch_that_would_cover_the_stimulus_or_the_response_boxes_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::make_stimulus_set(&dir.path().join("stimuli"), 1);
    let config = dir.path().join("experiment.yaml");
    // On a 1920 px wide screen the 546 px response grid leaves 687 px on either side.
    for (size, ok) in [(687, true), (688, false), (2000, false)] {
        std::fs::write(
            &config,
            format!("experiment: pd\nstimuli: stimuli\nphotodiode:\n  corner: top-left\n  size: {size}\n"),
        )
        .expect("config written");
        let output = common::run(&["check", config.to_str().expect("utf-8")]);
        if ok {
            assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
        } else {
            assert_eq!(
                common::stderr(&output),
                format!(
                    "error: {}:5: photodiode.size: a {size} px patch in a corner of a 1920 px wide screen (monitor.width_px) would cover the stimulus, mask, fixation or response boxes (546 px wide in the middle); at most 687 px\n",
                    config.display()
                )
            );
        }
    }
}
