//! The command line: `shapelab run`, `shapelab check`, ...

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::analysis::shape_bias::accuracy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::analysis::consistency::DEFAULT_MIN_SHARED_TRIALS;
use crate::analysis::metrics::Bootstrap;
use crate::analysis::{compare, observers, ShapeBias};
use crate::categories::Aggregation;
use crate::config::Experiment;
use crate::data::raw::{read_rows, RawRow};
use crate::data::record::{DisplayFacts, TimingMode};
use crate::display::audio::{no_sound_error, Beeper};
use crate::display::watchdog::{Task, Watchdog};
use crate::display::window::{self, WindowOptions};
use crate::error::{Error, Result};
use crate::launcher::window as launcher_window;
use crate::launcher::Launcher;
use crate::model::classify;
use crate::model::network::{Engine, Network};
use crate::model::preprocess::Preprocess;
use crate::model::work::{self, Shard};
use crate::preflight::Preflight;
use crate::report::{figures, histogram, tables};
use crate::runner::frame_loop::{self, Job, PresentOptions};
use crate::session::{self, order_name, SessionOptions};
use crate::simulate::{self, Participant, Responder, VirtualDisplay};
use crate::stimuli::{demo, StimulusSet};
use crate::timing::flips::FlipReport;
use crate::timing::server_times::FlipSource;
use crate::trials::{score, timeline::Event, PracticeScore};

/// shapelab: the texture-vs-shape experiment for people, and their comparison with models.
#[derive(Debug, Parser)]
#[command(name = "shapelab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the launcher (what `shapelab` without a command does).
    Launch {
        /// The experiment config to start with.
        #[arg(default_value = "experiment.yaml")]
        config: PathBuf,
    },
    /// Start a new study in a folder: a commented experiment.yaml and its folders.
    Init {
        /// The study's folder (created when missing).
        dir: PathBuf,
    },
    /// Run a session (use --simulate for a simulated participant on a virtual display).
    Run(RunArgs),
    /// Check a config and its stimulus set, and print the session plan.
    Check(CheckArgs),
    /// Compare observers (people and models) from raw-data CSV files and folders.
    Compare(CompareArgs),
    /// Classify a stimulus set with an ONNX ImageNet model and write its raw-data CSV.
    Classify(ClassifyArgs),
    /// List the monitors (for `monitor.select` in the config).
    Monitors,
    /// Measure the display's refresh, then flip frames for a while and report the timing.
    TimingTest(TimingTestArgs),
    /// Check a session's timing with a photodiode recording: measured stimulus durations and
    /// onset intervals against the plan and the flip log.
    Photodiode(PhotodiodeArgs),
    /// Write the built-in demo stimuli (Navon-style cue-conflict images) into a folder.
    DemoStimuli {
        /// Where to write them.
        #[arg(default_value = "stimuli/demo")]
        dir: PathBuf,
    },
}

/// Overrides of the config that every subcommand using them accepts.
#[derive(Debug, Args, Clone)]
struct Overrides {
    /// Stimulus set directory (overrides `stimuli` in the config).
    #[arg(long, value_name = "DIR")]
    stimuli: Option<PathBuf>,
    /// Output directory (overrides `output` in the config).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only the first N trials of the order, for piloting.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    trials: Option<usize>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The experiment config.
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// The subject whose session to show: the order depends on it, and pre-ordered images
    /// must be theirs. Default: subject-01, or a pre-ordered folder's own subject.
    #[arg(long)]
    subject: Option<String>,
    /// The session number whose images to show (a subject's `session-N` folder).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    session: u32,
    #[command(flatten)]
    overrides: Overrides,
}

/// How an on-screen session or test opens its window.
#[derive(Debug, Args, Clone)]
struct ScreenArgs {
    /// A plain window of WxH physical pixels instead of fullscreen (piloting; allows
    /// unsynchronised timing).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    windowed: Option<(u32, u32)>,
    /// Flips measured to estimate the refresh before starting.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(100..))]
    measure_flips: u64,
}

#[derive(Debug, Args)]
struct TimingTestArgs {
    /// The experiment config (refresh rate, monitor, colours).
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// How long to flip frames, in seconds.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Also write a histogram of the frame intervals as a PNG.
    #[arg(long, value_name = "PNG")]
    histogram: Option<PathBuf>,
    #[command(flatten)]
    screen: ScreenArgs,
}

#[derive(Debug, Args)]
struct PhotodiodeArgs {
    /// The WAV recording of the photodiode on the microphone input, made during the session.
    recording: PathBuf,
    /// The session's timing log (`<output>/_logs/<experiment>/<session>.timing.csv`) or its
    /// raw-data CSV.
    #[arg(long, value_name = "CSV")]
    timing: PathBuf,
    /// The display's refresh rate (default: the session record's, as measured).
    #[arg(long)]
    hz: Option<f64>,
    /// The channel the photodiode is on, 1 = left (default: the one whose pulses match the most
    /// stimuli).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    channel: Option<u16>,
    /// The height an edge of the light needs, full scale 1 (default: worked out from the
    /// noise and the edges; the report's `edges ... high` line helps choose it).
    #[arg(long, value_name = "HEIGHT")]
    threshold: Option<f32>,
    /// Also write a histogram of the duration errors (frames) as a PNG.
    #[arg(long, value_name = "PNG")]
    histogram: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ClassifyArgs {
    /// The experiment config (experiment name, code, condition, stimuli, output).
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// ONNX models (input NCHW float32, output 1000 ImageNet logits or probabilities): files,
    /// or folders whose .onnx files are all taken, each with its .json sidecar.
    #[arg(long, value_name = "FILE|DIR", required = true, num_args = 1.., action = clap::ArgAction::Append)]
    model: Vec<PathBuf>,
    /// The observer name of a single model, e.g. efficientnet-lite0 (default: the file name
    /// without .onnx).
    #[arg(long)]
    name: Option<String>,
    /// `imagenet`, `inception`, or `size=224,resize=256,scale=unit|raw,mean=a/b/c,std=a/b/c`
    /// for every model; default: each model's JSON sidecar (FILE.json), else imagenet.
    #[arg(long, value_name = "SPEC")]
    preprocess: Option<String>,
    /// How each category's ImageNet probabilities are combined.
    #[arg(long, value_enum, default_value = "mean")]
    aggregation: Aggregation,
    /// Experiment name of a single stimulus set (default, alone or with other sets: the
    /// paper's name for its folders, the config's for the config's stimuli, else the folder's).
    #[arg(long)]
    experiment: Option<String>,
    /// Experiment code inside image names (default: the paper's for its folder, else the
    /// config's).
    #[arg(long)]
    code: Option<String>,
    /// Also write the 16 aggregated probabilities per image to this CSV (one model, one set).
    #[arg(long, value_name = "CSV")]
    probabilities: Option<PathBuf>,
    /// Threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// The library that runs the networks: tract (pure Rust, every build) or onnxruntime
    /// (builds with the `onnxruntime` feature; its library is loaded at run time).
    #[arg(long, value_enum, default_value = "tract")]
    engine: Engine,
    /// Stimulus set folders (default: the config's `stimuli`).
    #[arg(long, value_name = "DIR", num_args = 1.., action = clap::ArgAction::Append)]
    stimuli: Vec<PathBuf>,
    /// Output directory (overrides `output` in the config).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do the K-th of N shares of the work, for N independent processes (e.g. a cluster job
    /// array): each model-and-set file goes to exactly one share.
    #[arg(long, value_name = "K/N", default_value = "1/1")]
    shard: Shard,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Raw-data CSV files and folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Where the tables and figures go.
    #[arg(long, default_value = "comparison")]
    out: PathBuf,
    /// Folder of `<category>.png` icons to put beside the cue-conflict plot's rows.
    #[arg(long, value_name = "DIR")]
    icons: Option<PathBuf>,
    /// Bootstrap resamples for the 95 % intervals (0: no intervals).
    #[arg(long, default_value_t = 1000)]
    resamples: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Skip malformed files and duplicate trials with a warning instead of stopping.
    #[arg(long)]
    lenient: bool,
    /// Also read sessions that have not completed (aborted, killed, running: their CSVs in
    /// `<output>/_incomplete/<experiment>/`); without it they are left out and named.
    #[arg(long)]
    include_incomplete: bool,
    /// Leave out the trials that shapelab's timing logs mark as disturbed (late frames, focus
    /// lost, paused, ...); the tables count them per observer.
    #[arg(long)]
    leave_out_disturbed: bool,
    /// Tables only, no figures.
    #[arg(long)]
    no_figures: bool,
    /// Fewest trials two observers must share in a condition for its error consistency to
    /// count (conditions with fewer are left out; with none left, no number is given).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SHARED_TRIALS, value_parser = parse_count)]
    min_shared_trials: usize,
    /// Keep the conditions model-vs-human's benchmark leaves out (controls, levels where
    /// humans are below 20 %).
    #[arg(long)]
    keep_all_conditions: bool,
}

fn parse_size(text: &str) -> std::result::Result<(u32, u32), String> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if (100..=16384).contains(&w) && (100..=16384).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "'{text}' is not a window size like 1024x768 (100 to 16384 pixels a side)"
        )),
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The experiment config.
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// Subject code, e.g. subject-01 (the code the paper's R code and model-vs-human count as
    /// a person); without it, shapelab names the next free subject-NN.
    #[arg(long)]
    subject: Option<String>,
    /// Session number (default: the subject's next free session).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    session: Option<u32>,
    /// A practice run: feedback on, no data written.
    #[arg(long)]
    practice: bool,
    /// Continue an interrupted session at its first trial without a row.
    #[arg(long)]
    resume: bool,
    /// An answer about the participant, `NAME=VALUE`, for the config's `participant_info`
    /// (repeat for each; stored in the session record, never in the raw-data CSV).
    #[arg(long = "info", value_name = "NAME=VALUE", value_parser = parse_info)]
    info: Vec<(String, String)>,
    /// Simulate the participant and the display instead of opening a window.
    #[arg(long)]
    simulate: bool,
    /// What the simulated participant clicks.
    #[arg(long, value_enum, default_value = "shape", requires = "simulate")]
    responder: Responder,
    /// When the simulated participant clicks, in ms after the response screen appears.
    #[arg(long, default_value_t = 600.0, requires = "simulate")]
    rt_ms: f64,
    /// Refresh rate of the virtual display (Hz; default: the config's refresh_hz).
    #[arg(long, requires = "simulate")]
    hz: Option<f64>,
    /// Pace the virtual display in real time (for tests that interrupt a session).
    #[arg(long, requires = "simulate")]
    realtime: bool,
    /// Run even when the display gives no vertical sync (timing then only approximate).
    #[arg(long, conflicts_with = "simulate")]
    allow_unsynced: bool,
    /// Run even when the measured refresh differs from refresh_hz or is unstable.
    #[arg(long, conflicts_with = "simulate")]
    ignore_refresh: bool,
    /// Run although there is no sound output: no beep after unanswered trials (and wrong ones
    /// with auditive_feedback); the session record notes it.
    #[arg(long, conflicts_with = "simulate")]
    allow_silent: bool,
    /// Print every screen change (`phase <onset s> trial <n> <screen>`) and beep to stdout.
    #[arg(long)]
    log_phases: bool,
    #[command(flatten)]
    screen: ScreenArgs,
    #[command(flatten)]
    overrides: Overrides,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    window::ensure_runtime_dir();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Launch {
        config: PathBuf::from("experiment.yaml"),
    });
    let result = match command {
        Command::Launch { config } => launch(config),
        Command::Init { dir } => crate::init::init(&dir),
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::DemoStimuli { dir } => demo_stimuli(&dir),
        Command::Compare(args) => compare(args),
        Command::Classify(args) => classify(args),
        Command::Monitors => monitors(),
        // A failed verdict is the test's result, not an error: it exits with 1.
        Command::TimingTest(args) => match timing_test(args) {
            Ok(true) => Ok(()),
            Ok(false) => return 1,
            Err(e) => Err(e),
        },
        Command::Photodiode(args) => match photodiode(args) {
            Ok(true) => Ok(()),
            Ok(false) => return 1,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// Loads a config and applies command-line overrides (paths relative to the working folder).
fn load(config: &Path, overrides: &Overrides) -> Result<Experiment> {
    let mut experiment = Experiment::load(config)?;
    if let Some(dir) = &overrides.stimuli {
        if !dir.exists() && !demo::is_demo_dir(dir) {
            return Err(Error::new(format!(
                "--stimuli: {}: no such folder",
                dir.display()
            )));
        }
        experiment.config.stimuli = dir.clone();
    }
    if let Some(dir) = &overrides.out {
        experiment.config.output = dir.clone();
    }
    Ok(experiment)
}

fn parse_info(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("'{text}' is not NAME=VALUE, e.g. age=23")),
    }
}

fn parse_count(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{text}' is not a number of trials (1 or more)")),
    }
}

fn limit(overrides: &Overrides) -> Option<usize> {
    overrides.trials
}

/// Checks that every configured response icon can be read, before anything is shown, and
/// says which will be scaled.
fn check_icons(experiment: &Experiment) -> Result<()> {
    if let Some(icons) = crate::stimuli::icons::check(experiment)? {
        for note in &icons.scaled {
            eprintln!("note: {note}");
        }
    }
    Ok(())
}

fn launch(config: PathBuf) -> Result<()> {
    let program = std::env::current_exe()
        .map_err(|e| Error::new(format!("cannot find the shapelab program itself: {e}")))?;
    launcher_window::run(Launcher::new(config, program))
}

fn demo_stimuli(dir: &Path) -> Result<()> {
    let written = demo::write_set(dir)?;
    say!("wrote {written} demo stimuli to {}", dir.display());
    Ok(())
}

fn check(args: CheckArgs) -> Result<()> {
    let experiment = load(&args.config, &args.overrides)?;
    let c = &experiment.config;
    StimulusSet::check_folder(&experiment)?;
    let (set, scratch) = StimulusSet::check_without_making(&c.stimuli, c.surround_size)?;
    let icons = crate::stimuli::icons::check(&experiment)?;
    if !c.pre_ordered_shared {
        set.check_subjects(args.subject.as_deref())?;
    }
    let subject = match (&args.subject, set.subjects().first()) {
        (Some(given), _) => given.clone(),
        (None, Some(own)) if set.layout.is_pre_ordered() => own.to_string(),
        (None, _) => "subject-01".to_string(),
    };
    set.for_session(&subject, args.session, c.pre_ordered_shared)?;
    let p = Preflight::new(
        &experiment,
        &set,
        &subject,
        args.session,
        false,
        c.refresh_hz,
        limit(&args.overrides),
    )
    .map_err(|e| Error::in_file(&experiment.path, e))?;
    say!("config      {} (valid)", experiment.path.display());
    say!(
        "experiment  {} (code {}, condition {})",
        c.experiment,
        c.code,
        c.condition
    );
    say!(
        "stimuli     {}: {} images in {}, {} cue-conflict, all {}x{} and readable",
        set.root.display(),
        p.images.0,
        p.layout,
        p.images.1,
        c.surround_size,
        c.surround_size
    );
    if scratch.is_some() {
        say!("            (the built-in demo set, written there by the first session)");
    }
    if set.layout.is_pre_ordered() {
        say!(
            "            session {} of {subject} has {} trials",
            args.session,
            p.trials
        );
    }
    for note in &set.notes {
        say!("            note: {note}");
    }
    match &icons {
        None => say!("icons       none: the response boxes show category names"),
        Some(i) => {
            say!(
                "icons       {}: all 16, readable; {} drawn scaled to the {}x{} box",
                i.folder.display(),
                i.scaled.len(),
                c.box_size,
                c.box_size
            );
            for note in &i.scaled {
                say!("            {note}");
            }
        }
    }
    match set.layout.is_pre_ordered() {
        true => say!("order       the images' own (pre-ordered; trial_order is not used)"),
        false => say!("order       {}", order_name(c.trial_order)),
    }
    // A study that never practises need not have shapelab's own practice set; a practice
    // folder the config names must open, as the session would refuse it.
    match crate::stimuli::practice::open(&experiment, &set) {
        Ok((_, practice)) => say!("practice    {}", practice.describe(true)),
        Err(e) if c.practice.stimuli.is_some() => return Err(e),
        Err(e) => say!("practice    unavailable: {e}"),
    }
    say!(
        "trials      {} in {} block(s) of up to {}",
        p.trials,
        p.blocks,
        c.num_trials_per_block
    );
    say!("output      {}", c.output.join(&c.experiment).display());
    say!(
        "display     {} Hz expected, frames rounded with {}",
        c.refresh_hz,
        rounding_name(c.frame_rounding)
    );
    match c.photodiode {
        Some(p) => say!(
            "photodiode  a {} px square in the {} corner, white while the stimulus is shown, black otherwise",
            p.size,
            p.corner.name()
        ),
        None => say!("photodiode  none"),
    }
    say!("\nphase                  asked ms  frames  achieved ms");
    for row in &p.phases {
        let asked = row
            .asked_ms
            .map_or_else(|| "-".to_string(), |ms| format!("{ms:.1}"));
        say!(
            "{:<22} {asked:>8}  {:>6}  {:>11.1}",
            row.name,
            row.frames,
            row.achieved_ms
        );
    }
    say!(
        "\nstimulus    {} px = {:.2} deg at {} cm ({} cm over {} px)",
        c.surround_size,
        p.stimulus_degrees,
        c.dist_monitor,
        c.monitor.width_cm,
        c.monitor.width_px
    );
    print_differences(c);
    Ok(())
}

/// Says which values differ from the original program's, one line each.
fn print_differences(c: &crate::config::Config) {
    let differences = crate::original::differences(c);
    if differences.is_empty() {
        say!("original    every value the paper's procedure fixes is the original's");
        return;
    }
    say!(
        "original    {} value(s) differ from the original's:",
        differences.len()
    );
    for d in differences {
        say!("            {d}");
    }
}

fn window_options(experiment: &Experiment, screen: &ScreenArgs) -> WindowOptions {
    let c = &experiment.config;
    WindowOptions {
        windowed: screen.windowed,
        monitor: c.monitor.select.clone(),
        fullscreen: c.monitor.fullscreen,
        refresh_hz: c.refresh_hz,
    }
}

fn classify(args: ClassifyArgs) -> Result<()> {
    // classify needs no config: without one, the defaults and the command line suffice.
    let mut experiment = if args.config.exists() || args.config != Path::new("experiment.yaml") {
        Experiment::load(&args.config)?
    } else {
        Experiment::defaults(&args.config)
    };
    if let Some(dir) = &args.out {
        experiment.config.output = dir.clone();
    }
    let c = &experiment.config;
    let preprocess = args
        .preprocess
        .as_deref()
        .map(Preprocess::parse)
        .transpose()
        .map_err(|e| Error::new(format!("--preprocess: {e}")))?;
    args.engine.ready()?;
    let models = work::find_models(&args.model, args.name.as_deref(), preprocess.as_ref())?;
    let folders = if args.stimuli.is_empty() {
        vec![c.stimuli.clone()]
    } else {
        args.stimuli.clone()
    };
    let single = folders.len() == 1;
    if !single && (args.experiment.is_some() || args.code.is_some()) {
        return Err(Error::new(
            "--experiment and --code name one stimulus set's experiment; with several sets each takes the paper's name, the config's experiment for the config's stimuli, or its folder's",
        ));
    }
    let mut datasets = Vec::new();
    for folder in &folders {
        let paper = work::paper_experiment(&work::resolved(folder));
        let experiment_name = args
            .experiment
            .clone()
            .unwrap_or_else(|| work::experiment_of(folder, &c.stimuli, &c.experiment));
        crate::names::check_name_part(&experiment_name).map_err(|e| {
            Error::new(format!(
                "the experiment name of {}: {e} (give --experiment)",
                folder.display()
            ))
        })?;
        let code = match (&args.code, paper) {
            (Some(code), _) => code.clone(),
            (None, Some((_, code))) => code.to_string(),
            (None, None) => c.code.clone(),
        };
        crate::names::check_name_part(&code).map_err(|e| Error::new(format!("--code: {e}")))?;
        let set = StimulusSet::open(folder)?;
        // Each subject's folder holds the same images in another order: one is the set.
        if let Some(first) = set.folders.first() {
            return Err(Error::in_file(
                folder,
                format!(
                    "holds a folder of pre-ordered images per subject; classify one of them, \
                     e.g. {}",
                    first.path.display()
                ),
            ));
        }
        datasets.push(work::Dataset {
            set,
            experiment: experiment_name,
            code,
        });
    }
    let tasks = work::tasks(&models, &datasets, &c.output)?;
    if args.probabilities.is_some() && tasks.len() > 1 {
        return Err(Error::new(
            "--probabilities: writes one model's probabilities on one stimulus set; give one of each",
        ));
    }
    let mine = work::share(&tasks, args.shard);
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = stop.clone();
    // A second Ctrl-C (or a handler that cannot be installed) falls back to the default exit.
    let _ = ctrlc::set_handler(move || handler_stop.store(true, Ordering::Relaxed));
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let output = |i: usize| classify::Output {
        dataset: &datasets[mine[i].dataset],
        condition: &c.condition,
        name: &models[mine[i].model].name,
        data: &mine[i].data,
        probabilities: args.probabilities.as_deref(),
    };
    // What the files already hold: complete tasks are skipped, partial ones finished.
    let mut left = 0;
    let mut to_run = std::collections::BTreeSet::new();
    for (i, task) in mine.iter().enumerate() {
        let images_left = task.images - classify::rows_done(&output(i))?.min(task.images);
        if images_left > 0 {
            to_run.insert(task.model);
        }
        left += images_left;
    }
    // Every model with work left is checked before the first is run: a broken file found
    // after hours of the others would leave a partial job.
    for &m in &to_run {
        let model = &models[m];
        if let Some(sidecar) = &model.sidecar_missing {
            say!(
                "note: {}: no sidecar {}; torchvision's ImageNet preprocessing is used (give --preprocess or write the sidecar if that is wrong)",
                model.path.display(),
                sidecar.display()
            );
        }
        Network::check(&model.path, model.preprocess.size, args.engine)?;
    }
    let bar = indicatif::ProgressBar::new(left as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} images | {msg} | {per_sec} | {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let progress = |images: usize| bar.inc(images as u64);
    let setup = classify::engine_setup(threads, args.engine);
    let (mut classified, mut skipped) = (0, 0);
    let mut loaded: Option<(usize, Network)> = None;
    let model_count = mine
        .iter()
        .map(|t| t.model)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut models_started = 0;
    for (number, task) in mine.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let out = output(number);
        if classify::rows_done(&out)? >= task.images {
            skipped += 1;
            continue;
        }
        let model = &models[task.model];
        if loaded.as_ref().map(|(m, _)| *m) != Some(task.model) {
            drop(loaded.take()); // one network in memory at a time
            models_started += 1;
            bar.set_message(format!(
                "model {models_started} of {model_count}: loading {}",
                model.name
            ));
            loaded = Some((
                task.model,
                Network::load(&model.path, model.preprocess.size, setup.network)?,
            ));
        }
        let Some((_, network)) = &loaded else {
            continue;
        };
        bar.set_message(format!(
            "model {models_started} of {model_count} ({}), file {} of {} ({})",
            model.name,
            number + 1,
            mine.len(),
            out.dataset.experiment
        ));
        let (progress_made, _) = classify::run(&classify::ClassifyJob {
            output: out,
            network,
            preprocess: &model.preprocess,
            aggregation: args.aggregation,
            workers: setup.workers,
            decoders: setup.decoders,
            stop: stop.clone(),
            progress: &progress,
        })?;
        classified += progress_made.done - progress_made.resumed;
        if progress_made.done == task.images {
            let rows = read_rows(&task.data)?;
            bar.suspend(|| {
                if mine.len() == 1 {
                    print_summary(&rows, "model decisions");
                } else {
                    say!("{}: {}", task.data.display(), one_line_summary(&rows));
                }
            });
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let shard = if args.shard.count > 1 {
        format!(" (shard {}/{})", args.shard.index, args.shard.count)
    } else {
        String::new()
    };
    if stop.load(Ordering::Relaxed) {
        say!(
            "stopped after {classified} images; the files hold every image finished, and the same command continues them{shard}"
        );
    } else {
        say!(
            "classified {classified} images in {seconds:.1} s ({:.1} images/s on {threads} threads); {} files written, {skipped} already complete{shard}",
            classified as f64 / seconds.max(1e-9),
            mine.len() - skipped
        );
    }
    Ok(())
}

/// Trials, accuracy and shape bias of one observer's rows on one line.
fn one_line_summary(rows: &[RawRow]) -> String {
    let accuracy = accuracy(rows).map_or_else(|| "-".into(), |a| format!("{:.1} %", 100.0 * a));
    let bias = ShapeBias::from_rows(rows)
        .value()
        .map_or_else(|| "-".into(), |v| format!("{v:.3}"));
    format!(
        "{} trials, accuracy {accuracy}, shape bias {bias}",
        rows.len()
    )
}

fn compare(args: CompareArgs) -> Result<()> {
    let icons = args.icons.as_deref().map(figures::load_icons).transpose()?;
    let found = crate::analysis::unfinished::find_data(&args.paths, args.include_incomplete)?;
    for note in &found.notes {
        eprintln!("note: {note}");
    }
    let files = found.files;
    if files.is_empty() {
        return Err(Error::new(
            "compare: no .csv files found in the given paths",
        ));
    }
    let options = observers::LoadOptions {
        lenient: args.lenient,
        leave_out_disturbed: args.leave_out_disturbed,
    };
    let (observers, report) = observers::load_with(&files, options)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    if !report.warnings.is_empty() {
        eprintln!(
            "warning: {} problems skipped (--lenient)",
            report.warnings.len()
        );
    }
    let options = compare::Options {
        bootstrap: Bootstrap {
            resamples: args.resamples,
            seed: args.seed,
        },
        min_shared_trials: args.min_shared_trials,
        keep_all_conditions: args.keep_all_conditions,
    };
    let comparison = compare::compare_with(&observers, options);
    for note in &comparison.notes {
        eprintln!("warning: {note}");
    }
    say_part!("{}", tables::console(&comparison));
    say_part!("{}", tables::benchmark_console(&comparison));
    tables::write_all(&args.out, &comparison)?;
    say!(
        "\n{} files, {} rows, {} observers; tables in {}",
        report.files,
        report.rows,
        observers.len(),
        args.out.display()
    );
    if !args.no_figures {
        let written = figures::write_all(&args.out.join("figures"), &comparison, icons.as_ref())?;
        say!(
            "{} figures in {}",
            written.len(),
            args.out.join("figures").display()
        );
    }
    Ok(())
}

fn monitors() -> Result<()> {
    let monitors = window::list_monitors()?;
    if monitors.is_empty() {
        say!("no monitors found");
    }
    for m in monitors {
        say!("{m}");
    }
    Ok(())
}

/// Runs the timing test; returns whether the display passed.
fn timing_test(args: TimingTestArgs) -> Result<bool> {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        return Err(Error::new(format!(
            "--seconds: {} is not a duration",
            args.seconds
        )));
    }
    let experiment = Experiment::load(&args.config)?;
    let options = window_options(&experiment, &args.screen);
    let (seconds, flips) = (args.seconds, args.screen.measure_flips as usize);
    let hz = experiment.config.refresh_hz;
    let watchdog = Watchdog::start(Task::TimingTest);
    watchdog.catch_interrupt();
    let watched = watchdog.clone();
    let test = window::run(
        options,
        watchdog,
        Box::new(move |window, inputs, epoch| {
            let timing = (seconds, flips);
            frame_loop::flip_test(window, inputs, epoch, &experiment, timing, &watched)
        }),
    )?;
    let e = &test.estimate;
    say!(
        "refresh     {:.3} Hz measured over {} flips (interval {:.3} ms, SD {:.3} ms); expected {hz} Hz",
        e.hz(),
        e.intervals,
        e.mean_ms,
        e.sd_ms
    );
    match test.mode {
        TimingMode::Synchronised => say!("timing      synchronised to the display"),
        _ => say!("timing      UNSYNCHRONISED: frames paced by a timer"),
    }
    if let Some(problem) = &test.problem {
        say!("problem     {problem}");
    }
    match &test.source {
        FlipSource::Server {
            description,
            warning,
        } => {
            say!("flip times  {description}");
            if let Some(warning) = warning {
                say!("warning     {warning}");
            }
        }
        FlipSource::Estimate(why) => {
            say!("flip times  estimated from when frames are acquired: {why}")
        }
    }
    if let Some(source) = &test.timestamps {
        say!("timestamps  {source}");
    }
    if let Some(warning) = &test.presentation_warning {
        say!("warning     {warning}");
    }
    print_flip_report(&test.report);
    if let Some(path) = &args.histogram {
        histogram::write(path, &test.intervals_ms, 1000.0 / hz)?;
        say!("histogram   {}", path.display());
    }
    let (passed, verdict) = test.report.verdict(test.mode, test.problem.as_deref());
    say!("verdict     {verdict}");
    Ok(passed)
}

/// The timing log and session record of `--timing` (a timing log, or a raw-data CSV whose
/// logs shapelab finds).
fn session_logs(given: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = given.file_name().map(|n| n.to_string_lossy().into_owned());
    let timing = match name.as_deref().and_then(|n| n.strip_suffix(".timing.csv")) {
        Some(_) => given.to_path_buf(),
        None => crate::data::paths::CompanionFiles::of(given)
            .map(|files| files.timing)
            .filter(|timing| timing.is_file())
            .ok_or_else(|| {
                Error::in_file(
                    given,
                    "no timing log found for it in <output>/_logs/<experiment>/; give the *.timing.csv with --timing",
                )
            })?,
    };
    let stem = timing
        .file_name()
        .map(|n| n.to_string_lossy().replace(".timing.csv", ".session.json"))
        .unwrap_or_default();
    Ok((timing.clone(), timing.with_file_name(stem)))
}

/// Runs the photodiode check; returns whether the session passed.
fn photodiode(args: PhotodiodeArgs) -> Result<bool> {
    let mut recording = crate::photodiode::wav::read(&args.recording, args.channel.map(|c| c - 1))?;
    let (timing, record) = session_logs(&args.timing)?;
    let stimuli = crate::data::timing::stimuli(&timing)?;
    let record = crate::data::record::SessionRecord::read(&record);
    let (hz, source) = match (args.hz, &record) {
        (Some(hz), _) if hz.is_finite() && (1.0..=1000.0).contains(&hz) => (hz, "--hz"),
        (Some(hz), _) => return Err(Error::new(format!("--hz: {hz} is not a refresh rate"))),
        (None, Err(e)) => {
            return Err(Error::new(format!(
                "{e}; without the session record, give the refresh rate with --hz"
            )))
        }
        (None, Ok(read)) => {
            let display = read.runs.last().map(|run| &run.display);
            let measured = display.and_then(|d| d.refresh_hz_measured);
            match (measured, display) {
                (Some(hz), _) => (hz, "measured at the session's start"),
                (None, Some(d)) => (d.refresh_hz_expected, "the session's expected rate"),
                (None, None) => (read.config.refresh_hz, "the session's config"),
            }
        }
    };
    // A resumed session's runs are matched one by one.
    let run_starts: Vec<usize> = record
        .map(|r| r.runs.iter().map(|run| run.first_trial).collect())
        .unwrap_or_default();
    let shown = stimuli.iter().filter(|s| s.onset.is_some()).count();
    if shown == 0 {
        return Err(Error::in_file(
            &timing,
            "has no stimulus that was shown, so there is nothing to check the recording against",
        ));
    }
    say!(
        "timing log  {}: {shown} stimuli shown; frames of {:.3} ms ({hz:.3} Hz, {source})",
        timing.display(),
        1000.0 / hz
    );
    if let Some(t) = args
        .threshold
        .filter(|t| !(t.is_finite() && *t > 0.0 && *t <= 2.0))
    {
        return Err(Error::new(format!(
            "--threshold: {t} is not an edge height (above 0, at most 2, full scale 1)"
        )));
    }
    let checked = |recording: &crate::photodiode::wav::Recording| {
        crate::photodiode::check(
            recording,
            &stimuli,
            &run_starts,
            1000.0 / hz,
            args.threshold,
        )
    };
    let mut check = checked(&recording);
    // Of several channels, the photodiode's is the one whose pulses match the most stimuli
    // (the loudest may be hiss, an AC-coupled photodiode is quiet between edges).
    let mut picked = if args.channel.is_some() {
        "--channel"
    } else {
        "the only one"
    };
    if args.channel.is_none() && recording.channels > 1 {
        picked = "its pulses match the most stimuli";
        let matched =
            |c: &crate::photodiode::Check| c.trials.iter().filter(|t| t.pulse.is_some()).count();
        let (count, first) = (recording.channels, recording.channel);
        for channel in (0..count).filter(|&c| c != first) {
            let other = crate::photodiode::wav::read(&args.recording, Some(channel))?;
            let other_check = checked(&other);
            if matched(&other_check) > matched(&check) {
                (recording, check) = (other, other_check);
            }
        }
    }
    say!(
        "recording   {}: {} Hz, channel {} of {} ({picked}), {:.1} s",
        args.recording.display(),
        recording.rate,
        recording.channel + 1,
        recording.channels,
        recording.samples.len() as f64 / f64::from(recording.rate)
    );
    say_part!("{}", crate::photodiode::report::trials(&check));
    let (summary, passed) = crate::photodiode::report::summary(&check);
    say_part!("{summary}");
    if let Some(path) = &args.histogram {
        let errors = crate::photodiode::report::duration_errors(&check);
        let low = errors.iter().copied().fold(-1.0, f64::min).floor() - 0.5;
        let high = errors.iter().copied().fold(1.0, f64::max).ceil() + 0.5;
        histogram::write_with(
            path,
            &histogram::Histogram {
                title: format!("Stimulus durations ({} stimuli)", errors.len()),
                x_label: "photodiode duration minus planned (frames)",
                y_label: "stimuli",
                values: &errors,
                range: (low, high),
                bin: 0.05,
                marker: (0.0, "as planned".into()),
            },
        )?;
        say!("histogram   {}", path.display());
    }
    Ok(passed)
}

fn print_flip_report(r: &FlipReport) {
    say!(
        "flips       {} ({} late intervals, {} missed refreshes, longest {:.2} ms)",
        r.flips,
        r.late_intervals,
        r.missed_refreshes,
        r.longest_ms
    );
}

fn present(
    args: &RunArgs,
    experiment: Experiment,
    set: StimulusSet,
    options: SessionOptions,
) -> Result<()> {
    // Refused before a window opens; the render thread opens the output for the session.
    if let Err(e) = Beeper::check(&experiment.config.beep) {
        if !args.allow_silent {
            return Err(no_sound_error(&e));
        }
    }
    let window_options = window_options(&experiment, &args.screen);
    let job = Job {
        experiment,
        set,
        session: options,
        present: PresentOptions {
            windowed: args.screen.windowed.is_some(),
            allow_unsynced: args.allow_unsynced,
            ignore_refresh: args.ignore_refresh,
            measure_flips: args.screen.measure_flips as usize,
            log_phases: args.log_phases,
            allow_silent: args.allow_silent,
        },
    };
    let watchdog = Watchdog::start(Task::Session);
    watchdog.catch_interrupt();
    let watched = watchdog.clone();
    let outcome = window::run(
        window_options,
        watchdog,
        Box::new(move |window, inputs, epoch| {
            frame_loop::run(window, inputs, epoch, job, &watched)
        }),
    )?;
    for w in &outcome.warnings {
        say!("warning     {w}");
    }
    match outcome.timing {
        TimingMode::Synchronised => say!("timing      synchronised to the display"),
        _ => say!("timing      UNSYNCHRONISED: frames were paced by a timer; onsets are estimates"),
    }
    print_flip_report(&outcome.report);
    match &outcome.data {
        Some(data) => {
            print_summary(&read_rows(data)?, &ending(data, outcome.aborted));
            print_disturbed(data)?;
            print_resume(
                &args.config,
                data,
                args.subject.as_deref().unwrap_or_default(),
                false,
            )?;
        }
        None => say!("{}", outcome.score.report(outcome.aborted)),
    }
    Ok(())
}

/// Names the session's disturbed trials and their causes, from its timing log.
fn print_disturbed(data: &Path) -> Result<()> {
    if let Some(files) = crate::data::paths::CompanionFiles::of(data) {
        if files.timing.is_file() {
            let disturbed = crate::data::timing::disturbed_trials(&files.timing)?;
            say!(
                "disturbed   {}",
                crate::analysis::session_results::disturbed_line(&disturbed)
            );
        }
    }
    Ok(())
}

/// The session's checked stimulus set, after naming on stderr what of its folder it leaves out.
fn stimulus_set_noted(experiment: &Experiment, practice: bool) -> Result<StimulusSet> {
    let set = session::stimulus_set(experiment, practice)?;
    for note in &set.notes {
        eprintln!("note: {note}");
    }
    Ok(set)
}

fn run(args: RunArgs) -> Result<()> {
    let mut experiment = load(&args.config, &args.overrides)?;
    let c = &experiment.config;
    let Some(subject) = args.subject.clone() else {
        let next = crate::data::paths::next_free_subject(&c.output, &c.experiment)?;
        return Err(Error::new(format!(
            "--subject: give the participant's code; the next free one is {next} (--subject {next})"
        )));
    };
    if args.simulate {
        crate::data::paths::check_subject(&subject)?;
    } else {
        crate::data::paths::check_person_code(&subject)?;
    }
    let data_written = !(args.simulate || args.practice);
    if let Some(note) = crate::data::paths::subject_code_note(&subject).filter(|_| data_written) {
        eprintln!("note: {note}");
    }
    // A resumed session keeps the answers it was started with; practice records nothing.
    let participant = if args.resume || args.practice {
        Default::default()
    } else {
        crate::config::participant::check_answers(&c.participant_info, &args.info)
            .map_err(|e| experiment.error_at(&["participant_info"], format!("--info: {e}")))?
    };
    let options = SessionOptions {
        subject: subject.clone(),
        seed_subject: None,
        session: args.session,
        practice: args.practice,
        resume: args.resume,
        trials: limit(&args.overrides),
        participant,
        silent: None,
    };
    if !args.simulate {
        check_icons(&experiment)?;
        let set = stimulus_set_noted(&experiment, args.practice)?;
        return present(&args, experiment, set, options);
    }
    if !(args.rt_ms.is_finite() && args.rt_ms >= 0.0) {
        return Err(Error::new(format!("--rt-ms: {} is not a time", args.rt_ms)));
    }
    let hz = args.hz.unwrap_or(experiment.config.refresh_hz);
    if !(hz.is_finite() && (1.0..=1000.0).contains(&hz)) {
        return Err(Error::new(format!("--hz: {hz} is not a refresh rate")));
    }
    // The virtual display runs at --hz: plan frames for it, as a real session plans for the
    // measured refresh rate.
    experiment.config.refresh_hz = hz;
    let given = subject.clone();
    let (output, simulated) = crate::data::paths::simulated(&experiment.config.output, &subject);
    experiment.config.output = output;
    let options = SessionOptions {
        subject: simulated,
        seed_subject: Some(subject),
        ..options
    };
    let set = stimulus_set_noted(&experiment, args.practice)?;
    let display = DisplayFacts {
        timing: TimingMode::Simulated,
        refresh_hz_expected: hz,
        refresh_hz_measured: None,
        refresh_sd_ms: None,
        timestamps: "virtual display clock (frame index / refresh rate)".into(),
        width_px: 1920,
        height_px: 1080,
    };
    let mut session = session::open(&experiment, &set, &options, display)?;
    say!(
        "{}",
        session.describe(" (a simulated participant, never counted as a person)")
    );
    simulate::end_on_ctrl_c();
    let mut participant = Participant::new(args.responder, args.rt_ms / 1000.0, session.plan.seed);
    let virtual_display = VirtualDisplay {
        hz,
        realtime: args.realtime,
    };
    let (mut rows, mut score): (Vec<RawRow>, PracticeScore) = Default::default();
    let (plan, labels) = (session.plan.clone(), session.labels.clone());
    let mut last_phase = None;
    let aborted = simulate::run(
        &mut session,
        &mut participant,
        virtual_display,
        |tick, frame, trial| {
            if args.log_phases {
                frame_loop::log_frame(tick.onset, trial, frame, last_phase);
            }
            last_phase = Some(frame.phase);
            for event in &frame.events {
                if let Event::TrialResponded(result) = event {
                    rows.push(labels.row(&plan, result));
                    score.add(result);
                }
            }
            None
        },
    )?;
    match &session.recorder {
        Some(recorder) => {
            let data = recorder.paths().saved_data();
            print_summary(&read_rows(data)?, &ending(data, aborted));
            print_disturbed(data)?;
            print_resume(&args.config, data, &given, true)?;
        }
        None => print_summary(&rows, &score.report(aborted)),
    }
    Ok(())
}

/// The title of a session's summary from its record, e.g. `session 1 of subject-01
/// aborted: 12 of 48 trials done`.
fn ending(data: &Path, aborted: bool) -> String {
    let record = crate::data::paths::CompanionFiles::of(data)
        .and_then(|files| crate::data::record::SessionRecord::read(&files.record).ok());
    match record {
        Some(r) => format!("session {} of {} {}", r.session, r.subject, r.progress()),
        None => score::ending(aborted),
    }
}

/// Prints the command that continues a session that did not complete (`subject` as given
/// to `run`; a simulated session is continued with `--simulate`).
fn print_resume(config: &Path, data: &Path, subject: &str, simulate: bool) -> Result<()> {
    let Some(files) = crate::data::paths::CompanionFiles::of(data) else {
        return Ok(());
    };
    let record = crate::data::record::SessionRecord::read(&files.record)?;
    if record.status != crate::data::record::Status::Completed {
        say!(
            "continue    {}{}",
            crate::hints::resume_command(config, subject, record.session),
            if simulate { " --simulate" } else { "" }
        );
    }
    Ok(())
}

/// Prints the headline numbers of a data file under a title, e.g. "session complete".
fn print_summary(rows: &[RawRow], title: &str) {
    let answered = rows.iter().filter(|r| r.object_response.is_some()).count();
    let bias = ShapeBias::from_rows(rows);
    say!("{title}");
    say!("trials      {}", rows.len());
    if let Some(acc) = accuracy(rows) {
        say!("accuracy    {:.1} %", 100.0 * acc);
        say!(
            "no answer   {:.1} %",
            100.0 * (rows.len() - answered) as f64 / rows.len() as f64
        );
    }
    match bias.value() {
        Some(v) => say!(
            "shape bias  {v:.3} ({} shape, {} texture, {} other of {} cue-conflict trials)",
            bias.shape,
            bias.texture,
            bias.other,
            bias.conflict_trials
        ),
        None => say!("shape bias  - (no shape or texture decisions)"),
    }
}

fn rounding_name(rounding: crate::config::Rounding) -> &'static str {
    match rounding {
        crate::config::Rounding::Ceil => "ceil",
        crate::config::Rounding::Round => "round",
        crate::config::Rounding::Floor => "floor",
    }
}
