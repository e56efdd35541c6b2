//! Helpers shared by the integration tests: the licensed data in ../shared, small generated
//! stimulus sets, and running the shapelab binary.

#![allow(dead_code)]

pub mod x11;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The folder with the paper's material: `$SHAPELAB_SHARED`, else `../shared` beside the repo.
pub fn shared_root() -> PathBuf {
    match std::env::var_os("SHAPELAB_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// A path inside the shared material, or `None` (the test then skips) when it is missing.
/// Under CI (`CI` set) a missing path fails the test instead: CI must never skip these.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = shared_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing; CI must have the shared data (set SHAPELAB_SHARED to its folder)",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} is missing (set SHAPELAB_SHARED)",
        path.display()
    );
    None
}

/// The paper's 1,280 cue-conflict stimuli.
pub fn cue_conflict_stimuli() -> Option<PathBuf> {
    shared("texture-vs-shape/stimuli/style-transfer-preprocessed-512")
}

/// Writes a small stimulus set: for every category, `per_category` cue-conflict images whose
/// texture is the next category, plus one image whose shape and texture agree.
pub fn make_stimulus_set(dir: &Path, per_category: usize) {
    let names = shapelab::categories::ALL;
    for (i, shape) in names.iter().enumerate() {
        let folder = dir.join(shape.name());
        std::fs::create_dir_all(&folder).expect("stimulus folder");
        let texture = names[(i + 1) % names.len()];
        let mut files: Vec<String> = (1..=per_category)
            .map(|k| format!("{shape}{k}-{texture}{k}.png"))
            .collect();
        files.push(format!("{shape}1-{shape}1.png"));
        for (k, file) in files.iter().enumerate() {
            let image = image::RgbImage::from_fn(224, 224, |x, y| {
                image::Rgb([(i * 15) as u8, (x + k as u32) as u8, y as u8])
            });
            image.save(folder.join(file)).expect("png written");
        }
    }
}

/// A config in `dir` with short durations (a trial lasts about 0.2 s in real time), pointing
/// at `stimuli`, with any extra YAML lines.
pub fn quick_config(dir: &Path, stimuli: &Path, extra: &str) -> PathBuf {
    let path = dir.join("experiment.yaml");
    let text = format!(
        "experiment: quick\ncode: qck\nstimuli: {}\noutput: {}\nms_fixation: 20\nms_inter_trial: 20\nms_stim: 20\nms_mask: 20\nms_resp_object: 100\nms_feedback: 20\nnum_trials_per_block: 8\n{extra}",
        stimuli.display(),
        dir.join("raw-data").display()
    );
    std::fs::write(&path, text).expect("config written");
    path
}

/// Replaces `from`, which must be there, with `to` in the config at `path` (for a key the
/// quick config already sets: a key given twice is refused).
pub fn edit_config(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("config");
    assert!(text.contains(from), "'{from}' is not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("config written");
}

/// A fresh folder with a one-image-per-category stimulus set and a quick config over it
/// (with any extra YAML lines); the folder goes when the first value is dropped.
pub fn quick_study(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    make_stimulus_set(&dir.path().join("stimuli"), 1);
    let config = quick_config(dir.path(), &dir.path().join("stimuli"), extra);
    (dir, config)
}

/// A fresh folder with a one-image-per-category set shown in file order and a config of the
/// original's timings over it, named `experiment` with `code`, with extra YAML lines.
pub fn files_order_study(
    experiment: &str,
    code: &str,
    extra: &str,
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    make_stimulus_set(&dir.path().join("stimuli"), 1);
    let config = dir.path().join("experiment.yaml");
    std::fs::write(
        &config,
        format!(
            "experiment: {experiment}\ncode: {code}\nstimuli: {}\noutput: {}\ntrial_order: files\n{extra}",
            dir.path().join("stimuli").display(),
            dir.path().join("raw-data").display()
        ),
    )
    .expect("config written");
    (dir, config)
}

/// A fresh folder with a copy of the repository's demo `experiment.yaml` (its demo stimuli
/// are made there on first use); the folder goes when the first value is dropped.
pub fn shipped_demo_study() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("experiment.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("experiment.yaml"),
        &config,
    )
    .expect("copied");
    (dir, config)
}

/// Runs the simulated session of [`simulated_session_args`] to its end.
pub fn run_simulated_session(config: &Path, out: &Path) {
    let done = shapelab()
        .args(simulated_session_args(config, out))
        .output()
        .expect("runs");
    assert!(done.status.success(), "{}", stderr(&done));
}

/// A file of a participant's session below the output folder `out`: the raw-data CSV (`ext`
/// "csv") in `<experiment>/`, its record and logs (`session.json`, `timing.csv`, `flips.csv`)
/// in `_logs/<experiment>/`.
pub fn session_file(
    out: &Path,
    experiment: &str,
    subject: &str,
    session: u32,
    ext: &str,
) -> PathBuf {
    let name = format!("{experiment}_{subject}_session_{session}.{ext}");
    match ext {
        "csv" => out.join(experiment).join(name),
        _ => out.join("_logs").join(experiment).join(name),
    }
}

/// The raw-data CSV of a participant's session that has not completed (running, aborted or
/// killed): in `_incomplete/<experiment>/`, moved into `<experiment>/` when it completes.
pub fn incomplete_file(out: &Path, experiment: &str, subject: &str, session: u32) -> PathBuf {
    out.join("_incomplete")
        .join(experiment)
        .join(format!("{experiment}_{subject}_session_{session}.csv"))
}

/// The same CSV of a simulated session of `subject` that has not completed.
pub fn simulated_incomplete_file(
    out: &Path,
    experiment: &str,
    subject: &str,
    session: u32,
) -> PathBuf {
    let code = format!("simulated-{}", subject.replace("subject", "subj"));
    incomplete_file(&out.join("_simulated"), experiment, &code, session)
}

/// The files directly in a folder, by name (none when the folder does not exist).
pub fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The same file of a simulated session of `subject`: below `_simulated/`, with the subj
/// `simulated-<subject>` in which `subject` is spelled `subj`.
pub fn simulated_file(
    out: &Path,
    experiment: &str,
    subject: &str,
    session: u32,
    ext: &str,
) -> PathBuf {
    let code = format!("simulated-{}", subject.replace("subject", "subj"));
    session_file(&out.join("_simulated"), experiment, &code, session, ext)
}

/// Runs `shapelab compare` on `folder` (tables only, no intervals) with extra arguments;
/// returns its summary.csv and console output.
pub fn compare_summary(folder: &Path, extra: &[&str]) -> (String, String) {
    let tables = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["compare", folder.to_str().expect("utf-8")];
    args.extend(extra);
    args.extend(["--no-figures", "--resamples", "0", "--out"]);
    args.push(tables.path().to_str().expect("utf-8"));
    let compared = run(&args);
    assert!(compared.status.success(), "{}", stderr(&compared));
    let summary = std::fs::read_to_string(tables.path().join("summary.csv")).expect("summary");
    (summary, stdout(&compared))
}

/// The shapelab binary, with a sound output ([`sound_config`]): on-screen sessions need one.
pub fn shapelab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shapelab"));
    command.env("ALSA_CONFIG_PATH", sound_config());
    command
}

/// An ALSA configuration whose default output takes the sound and plays it nowhere (the
/// machine's own configuration, then a default output of ALSA's `null` type), as a sound
/// card does for a session; written once into the tests' scratch folder.
pub fn sound_config() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("alsa-with-null-output.conf");
    let text = "</usr/share/alsa/alsa.conf>\npcm.!default { type null }\n";
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        // Written beside, then moved: tests running at once never read half a file.
        let part = path.with_extension(format!("{}.part", std::process::id()));
        std::fs::write(&part, text).expect("sound config written");
        std::fs::rename(&part, &path).expect("sound config in place");
    }
    path
}

/// Gives this test process the tests' sound output ([`sound_config`]), for code that checks
/// the sound output in the test process itself (the launcher's preflight). Set once, before
/// the launcher reads it.
pub fn sound_output_in_this_process() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("ALSA_CONFIG_PATH", sound_config()));
}

/// Runs shapelab with arguments, which must succeed; returns its output.
pub fn run_ok(args: &[&str]) -> Output {
    let output = run(args);
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// Runs shapelab with arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    shapelab().args(args).output().expect("shapelab runs")
}

/// Arguments of a simulated 24-trial session 1 of subject s1 writing to `out`, whose
/// participant answers with the texture after 20 ms.
pub fn simulated_session_args(config: &Path, out: &Path) -> Vec<String> {
    let args = [
        "run",
        "--simulate",
        "--subject",
        "s1",
        "--session",
        "1",
        "--trials",
        "24",
        "--rt-ms",
        "20",
        "--responder",
        "texture",
        "--out",
    ];
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.insert(1, config.display().to_string());
    args.push(out.display().to_string());
    args
}

/// shapelab with a file-size limit of `bytes`, as on a nearly full disk: with SIGXFSZ
/// ignored, the write that crosses the limit fails part-way with EFBIG (util-linux's prlimit).
pub fn shapelab_on_a_small_disk(bytes: u64) -> Command {
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            "trap '' XFSZ; exec prlimit --fsize=\"$0\":unlimited \"$@\"",
        ])
        .arg(bytes.to_string())
        .arg(env!("CARGO_BIN_EXE_shapelab"))
        .env("ALSA_CONFIG_PATH", sound_config());
    command
}

/// Reads a child's output lines on a thread, so that the test can wait for one with a timeout.
pub fn line_reader(
    output: impl std::io::Read + Send + 'static,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The rows of a raw-data CSV as split fields, without the header; checks the header.
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("data file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("subj,session,trial,rt,object_response,category,condition,imagename")
    );
    lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

/// Shape bias computed from the rows alone: texture from the part after `-` of the last `_`
/// field, digits and extension removed; conflict trials only.
pub fn shape_bias(rows: &[Vec<String>]) -> (f64, usize, usize, usize) {
    let (mut conflicts, mut shape, mut texture) = (0, 0, 0);
    for row in rows {
        let original = row[7].rsplit('_').next().expect("a field");
        let texture_part = original.split('-').nth(1).expect("a texture");
        let texture_name: String = texture_part
            .trim_end_matches(".png")
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect();
        if texture_name == row[5] {
            continue;
        }
        conflicts += 1;
        if row[4] == row[5] {
            shape += 1;
        } else if row[4] == texture_name {
            texture += 1;
        }
    }
    (
        shape as f64 / (shape + texture) as f64,
        conflicts,
        shape,
        texture,
    )
}

/// A virtual X display that is stopped when dropped.
pub struct Xvfb {
    child: Child,
    /// The DISPLAY value, e.g. `:99`.
    pub display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process that is killed when the test ends, even by a failed assertion: a paused
/// session would otherwise wait for its disk forever.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Whether a program is on the PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts Xvfb, or `None` (skip) without it; under CI a missing Xvfb or xdotool fails.
pub fn xvfb() -> Option<Xvfb> {
    xvfb_with(&[])
}

/// [`xvfb`] with more Xvfb arguments, e.g. `-fakescreenfps 144`.
pub fn xvfb_with(extra: &[&str]) -> Option<Xvfb> {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Xvfb and xdotool (scripts/debian-packages.txt)"
        );
        eprintln!("skipped: Xvfb or xdotool missing");
        return None;
    }
    // Xvfb picks a free display number itself and writes it out once it accepts clients,
    // so that tests running in parallel never share a display; -noreset keeps it from
    // resetting whenever its last client leaves (an xdotool call between shapelab's
    // connections), which refused the connection shapelab opened meanwhile.
    let mut child = Command::new("Xvfb")
        .args([
            "-noreset",
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x1024x24",
            "-nolisten",
            "tcp",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let mut number = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut number)
        .expect("Xvfb names its display");
    let display = format!(":{}", number.trim());
    assert!(display.len() > 1, "Xvfb did not start");
    Some(Xvfb { child, display })
}

/// An XDG_RUNTIME_DIR for a windowed shapelab (it must be private to the user).
pub fn runtime_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("0700");
    dir
}

/// How the reference analyses read a data folder (`tests/loaders`: the paper's `get.expt.data`
/// and model-vs-human's loader, the real functions where `TEXTURE_VS_SHAPE_CHECKOUT` and
/// `MODELVSHUMAN_CHECKOUT` name checkouts of their repositories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Rows.
    pub rows: usize,
    /// Distinct subj codes.
    pub subjects: usize,
    /// Participants the paper's R code counts (distinct subj codes its `is.human` holds for);
    /// `None` where R is not installed (outside CI).
    pub persons_by_r: Option<usize>,
    /// Participants model-vs-human counts (distinct subj codes starting with `subject-`).
    pub persons_by_mvh: usize,
}

/// Loads a data folder as the reference analyses would: model-vs-human's loader (with a strict
/// reader of the raw-data format) in Python, and the paper's in R (Rscript); both must read the
/// same rows. Under CI, R must be installed. Python is `$SHAPELAB_PEERS_PYTHON` where set (it
/// has pandas, for model-vs-human's own function), else `python3`.
pub fn load_independently(folder: &Path) -> Result<Loaded, String> {
    let loaders = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/loaders");
    let counts = |out: Output| -> Result<[usize; 3], String> {
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let n: Vec<usize> = text
            .split_whitespace()
            .map(|n| n.parse().expect("a count"))
            .collect();
        Ok([n[0], n[1], n[2]])
    };
    let python = std::env::var_os("SHAPELAB_PEERS_PYTHON").unwrap_or_else(|| "python3".into());
    let python = Command::new(python)
        .arg(loaders.join("model_vs_human_read.py"))
        .arg(folder)
        .output()
        .expect("python runs");
    let [rows, subjects, persons_by_mvh] = counts(python)?;
    let mut loaded = Loaded {
        rows,
        subjects,
        persons_by_r: None,
        persons_by_mvh,
    };
    if !have("Rscript") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs R (r-base-core in scripts/debian-packages.txt)"
        );
        eprintln!("skipped the R loader: Rscript missing");
        return Ok(loaded);
    }
    let r = Command::new("Rscript")
        .arg(loaders.join("papers_get_expt_data.R"))
        .arg(folder)
        .output()
        .expect("Rscript runs");
    let [r_rows, r_subjects, persons_by_r] = counts(r)?;
    assert_eq!(
        (r_rows, r_subjects),
        (rows, subjects),
        "R reads the folder differently"
    );
    loaded.persons_by_r = Some(persons_by_r);
    Ok(loaded)
}

/// A toy model for a dataset: subject-01's file, answering wrong on every third trial.
pub fn toy_model(human_file: &Path, dataset: &str, into: &Path) {
    let categories = shapelab::categories::ALL;
    let text = std::fs::read_to_string(human_file).expect("readable");
    let mut out =
        String::from("subj,session,trial,rt,object_response,category,condition,imagename\n");
    for line in text.lines().skip(1) {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        let trial: usize = f[2].parse().expect("trial");
        let shape = categories
            .iter()
            .position(|c| c.to_string() == f[5])
            .expect("a category");
        f[0] = "toy-net".into();
        f[3] = "NaN".into();
        f[4] = if trial.is_multiple_of(3) {
            categories[(shape + trial) % 16].to_string()
        } else {
            f[5].clone()
        };
        out.push_str(&f.join(","));
        out.push('\n');
    }
    let folder = into.join(dataset);
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join(format!("{dataset}_toy-net_session_1.csv")), out).expect("written");
}

/// xdotool's output on `display`.
pub fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Clicks at (x, y) of `window` with xdotool.
pub fn click(display: &str, window: &str, x: f64, y: f64) {
    let (x, y) = (format!("{}", x.round()), format!("{}", y.round()));
    xdotool(
        display,
        &["mousemove", "--window", window, &x, &y, "click", "1"],
    );
}

/// shapelab on an X display with its own runtime folder, its output piped.
pub fn shapelab_on(display: &str, runtime: &tempfile::TempDir) -> Command {
    let mut command = shapelab();
    command
        .env("DISPLAY", display)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits up to `wait` for shapelab to end; its exit code.
pub fn ends_within(app: &mut Child, wait: std::time::Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if let Some(status) = app.try_wait().expect("shapelab runs") {
            return status.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("shapelab did not end within {wait:?}");
}

/// The stall warning: said within seconds, naming the cause and the way out.
pub fn is_stall_warning(line: &str) -> bool {
    line.starts_with("warning: no frame was shown for 2 s: the display stopped taking frames")
        && line.contains("press Escape in its window or Ctrl+C here to end it")
}

/// Waits up to a minute for a line that satisfies `wanted`.
pub fn wait_for(
    lines: &std::sync::mpsc::Receiver<String>,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if wanted(&line) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("the expected line never came; before it: {seen:?}");
}

/// The X window id of shapelab's window on `display`; empty while there is none.
pub fn shapelab_window(display: &str) -> String {
    xdotool(display, &["search", "--name", "shapelab"])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Waits for the start screen in `--log-phases` output, clicks it, and returns the window.
pub fn click_start(display: &str, stdout: &std::sync::mpsc::Receiver<String>) -> String {
    wait_for(stdout, |l| l.ends_with(" start"));
    let window = shapelab_window(display);
    std::thread::sleep(std::time::Duration::from_millis(300));
    click(display, &window, 20.0, 20.0);
    window
}

/// A headless weston compositor (Wayland) with its own private runtime folder and socket,
/// stopped when dropped.
pub struct Weston {
    child: Child,
    runtime: tempfile::TempDir,
    /// The WAYLAND_DISPLAY value.
    pub socket: String,
}

impl Drop for Weston {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Weston {
    /// The compositor's process id (to stop and continue it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// shapelab as a Wayland client of this compositor only (no X display), its output piped.
    pub fn shapelab(&self) -> Command {
        let mut command = shapelab();
        command
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// Starts weston's headless backend (1280x800) with `shell` (`desktop-shell`, `kiosk-shell`)
/// and `idle_seconds` before its idle lock (0: never), or `None` (skip) without weston;
/// under CI a missing weston fails.
pub fn weston(shell: &str, idle_seconds: u32) -> Option<Weston> {
    start_weston(
        &[
            "--backend=headless-backend.so".into(),
            format!("--shell={shell}.so"),
            format!("--idle-time={idle_seconds}"),
        ],
        None,
    )
}

/// Starts weston with desktop-shell as a window of `xvfb` (its X11 backend, 1280x800 at the
/// display's top left): a compositor whose seat takes the pointer and keys xdotool sends.
pub fn weston_in_xvfb(xvfb: &Xvfb) -> Option<Weston> {
    start_weston(
        &["--backend=x11-backend.so".into(), "--idle-time=0".into()],
        Some(&xvfb.display),
    )
}

/// Starts weston (1280x800) with `args`, on the X display `x11` or none.
fn start_weston(args: &[String], x11: Option<&str>) -> Option<Weston> {
    if !have("weston") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs weston (scripts/debian-packages.txt)"
        );
        eprintln!("skipped: weston missing");
        return None;
    }
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let socket = format!("shapelab-test-{}-{n}", std::process::id());
    let runtime = runtime_dir();
    let mut command = Command::new("weston");
    command
        .args(["--width=1280", "--height=800"])
        .args(args)
        .arg(format!("--socket={socket}"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(display) = x11 {
        command.env("DISPLAY", display);
    }
    let child = command.spawn().expect("weston starts");
    let weston = Weston {
        child,
        runtime,
        socket,
    };
    // The socket appears once weston accepts clients.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !weston.runtime.path().join(&weston.socket).exists() {
        assert!(std::time::Instant::now() < deadline, "weston did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // weston opens the socket before it loads the shell a client needs.
    std::thread::sleep(std::time::Duration::from_millis(500));
    Some(weston)
}
