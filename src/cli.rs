//! The command line: `shapelab run`, `shapelab check`, ...

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::analysis::shape_bias::accuracy;
use crate::analysis::ShapeBias;
use crate::config::Experiment;
use crate::data::raw::{read_rows, RawRow};
use crate::data::record::{DisplayFacts, TimingMode};
use crate::error::{Error, Result};
use crate::session::{self, order_name, SessionOptions};
use crate::simulate::{self, Participant, Responder, VirtualDisplay};
use crate::stimuli::{demo, Layout, StimulusSet};
use crate::trials::frames::achieved_ms;
use crate::trials::timeline::Event;
use crate::trials::SessionPlan;

/// shapelab: the texture-vs-shape experiment for people, and their comparison with models.
#[derive(Debug, Parser)]
#[command(name = "shapelab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a session (use --simulate for a simulated participant on a virtual display).
    Run(RunArgs),
    /// Check a config and its stimulus set, and print the session plan.
    Check(CheckArgs),
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
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    trials: Option<u64>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The experiment config.
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// Subject code used to show the order (the order depends on it).
    #[arg(long, default_value = "subject-01")]
    subject: String,
    #[command(flatten)]
    overrides: Overrides,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The experiment config.
    #[arg(default_value = "experiment.yaml")]
    config: PathBuf,
    /// Subject code, e.g. subject-01.
    #[arg(long)]
    subject: String,
    /// Session number (default: the subject's next free session).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    session: Option<u32>,
    /// A practice run: feedback on, no data written.
    #[arg(long)]
    practice: bool,
    /// Continue an interrupted session at its first trial without a row.
    #[arg(long)]
    resume: bool,
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
    #[command(flatten)]
    overrides: Overrides,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::DemoStimuli { dir } => demo_stimuli(&dir),
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
        experiment.config.stimuli = dir.clone();
    }
    if let Some(dir) = &overrides.out {
        experiment.config.output = dir.clone();
    }
    Ok(experiment)
}

fn limit(overrides: &Overrides) -> Option<usize> {
    overrides
        .trials
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Opens a stimulus set and decodes every image; makes the demo set on first use.
fn open_stimuli(dir: &Path, size: u32) -> Result<StimulusSet> {
    if !dir.exists() && demo::is_demo_dir(dir) {
        eprintln!("making the demo stimuli in {} (first use)", dir.display());
        demo::write_set(dir)?;
    }
    let set = StimulusSet::open(dir)?;
    set.verify_images(size)?;
    Ok(set)
}

fn demo_stimuli(dir: &Path) -> Result<()> {
    let written = demo::write_set(dir)?;
    println!("wrote {written} demo stimuli to {}", dir.display());
    Ok(())
}

fn check(args: CheckArgs) -> Result<()> {
    let experiment = load(&args.config, &args.overrides)?;
    let c = &experiment.config;
    let set = open_stimuli(&c.stimuli, c.surround_size)?;
    let frames = crate::trials::PhaseFrames::new(c, c.refresh_hz, false)
        .map_err(|e| Error::in_file(&experiment.path, e))?;
    let plan = SessionPlan::new(
        &set,
        &crate::trials::plan::PlanRequest {
            experiment: &c.experiment,
            subject: &args.subject,
            session: 1,
            order: c.trial_order,
            block_size: c.num_trials_per_block,
            limit: limit(&args.overrides),
        },
    );
    let conflicts = set.stimuli.iter().filter(|s| s.is_conflict()).count();
    let layout = match set.layout {
        Layout::CategoryFolders => "category folders",
        Layout::PreOrdered => "one pre-ordered folder",
    };
    println!("config      {} (valid)", experiment.path.display());
    println!(
        "experiment  {} (code {}, condition {})",
        c.experiment, c.code, c.condition
    );
    println!(
        "stimuli     {}: {} images in {layout}, {conflicts} cue-conflict, all {}x{} and readable",
        set.root.display(),
        set.stimuli.len(),
        c.surround_size,
        c.surround_size
    );
    println!("order       {}", order_name(c.trial_order));
    println!(
        "trials      {} in {} block(s) of up to {}",
        plan.trials.len(),
        plan.blocks(),
        c.num_trials_per_block
    );
    println!("output      {}", c.output.join(&c.experiment).display());
    println!(
        "display     {} Hz expected, frames rounded with {}",
        c.refresh_hz,
        rounding_name(c.frame_rounding)
    );
    println!("\nphase                  asked ms  frames  achieved ms");
    let rows = [
        ("fixation", c.ms_fixation, frames.fixation),
        ("stimulus", c.ms_stim, frames.stimulus),
        ("blank after stimulus", f64::NAN, frames.blank),
        ("mask", c.ms_mask, frames.mask),
        ("blank after mask", f64::NAN, frames.blank),
        ("response window", c.ms_resp_object, frames.response),
        ("feedback", c.ms_feedback, frames.feedback),
    ];
    for (name, asked, n) in rows {
        let asked = if asked.is_nan() {
            "-".to_string()
        } else {
            format!("{asked:.1}")
        };
        println!(
            "{name:<22} {asked:>8}  {n:>6}  {:>11.1}",
            achieved_ms(n, c.refresh_hz)
        );
    }
    let cm_per_px = c.monitor.width_cm / f64::from(c.monitor.width_px);
    let degrees = |px: u32| {
        (f64::from(px) * cm_per_px / 2.0 / c.dist_monitor)
            .atan()
            .to_degrees()
            * 2.0
    };
    println!(
        "\nstimulus    {} px = {:.2} deg at {} cm ({} cm over {} px)",
        c.surround_size,
        degrees(c.surround_size),
        c.dist_monitor,
        c.monitor.width_cm,
        c.monitor.width_px
    );
    Ok(())
}

fn run(args: RunArgs) -> Result<()> {
    if !args.simulate {
        return Err(Error::new(
            "shapelab run: on-screen sessions need the presentation layer; use --simulate for now",
        ));
    }
    if !(args.rt_ms.is_finite() && args.rt_ms >= 0.0) {
        return Err(Error::new(format!("--rt-ms: {} is not a time", args.rt_ms)));
    }
    let mut experiment = load(&args.config, &args.overrides)?;
    let hz = args.hz.unwrap_or(experiment.config.refresh_hz);
    if !(hz.is_finite() && (1.0..=1000.0).contains(&hz)) {
        return Err(Error::new(format!("--hz: {hz} is not a refresh rate")));
    }
    // The virtual display runs at --hz: plan frames for it, as a real session plans for the
    // measured refresh rate.
    experiment.config.refresh_hz = hz;
    let c = &experiment.config;
    let set = open_stimuli(
        &session::stimulus_dir(&experiment, args.practice),
        c.surround_size,
    )?;
    let options = SessionOptions {
        subject: args.subject.clone(),
        session: args.session,
        practice: args.practice,
        resume: args.resume,
        trials: limit(&args.overrides),
    };
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
    if let Some(recorder) = &session.recorder {
        println!(
            "session {} of {}: {} trials{}, writing {}",
            session.labels.session,
            args.subject,
            session.plan.trials.len() - session.first_trial,
            if args.resume {
                format!(" from trial {}", session.first_trial + 1)
            } else {
                String::new()
            },
            recorder.paths().data.display()
        );
    }
    let mut participant = Participant::new(args.responder, args.rt_ms / 1000.0, session.plan.seed);
    let virtual_display = VirtualDisplay {
        hz,
        realtime: args.realtime,
    };
    let mut rows: Vec<RawRow> = Vec::new();
    let (plan, labels) = (session.plan.clone(), session.labels.clone());
    let aborted = simulate::run(
        &mut session,
        &mut participant,
        virtual_display,
        |_, _, events| {
            for event in events {
                if let Event::TrialResponded(result) = event {
                    rows.push(labels.row(&plan, result));
                }
            }
            None
        },
    )?;
    if let Some(recorder) = &session.recorder {
        rows = read_rows(&recorder.paths().data)?;
    }
    print_summary(&rows, aborted);
    Ok(())
}

fn print_summary(rows: &[RawRow], aborted: bool) {
    let answered = rows.iter().filter(|r| r.object_response.is_some()).count();
    let bias = ShapeBias::from_rows(rows);
    println!(
        "{}",
        if aborted {
            "session aborted"
        } else {
            "session complete"
        }
    );
    println!("trials      {}", rows.len());
    if let Some(acc) = accuracy(rows) {
        println!("accuracy    {:.1} %", 100.0 * acc);
        println!(
            "no answer   {:.1} %",
            100.0 * (rows.len() - answered) as f64 / rows.len() as f64
        );
    }
    match bias.value() {
        Some(v) => println!(
            "shape bias  {v:.3} ({} shape, {} texture, {} other of {} cue-conflict trials)",
            bias.shape, bias.texture, bias.other, bias.conflict_trials
        ),
        None => println!("shape bias  - (no shape or texture decisions)"),
    }
}

fn rounding_name(rounding: crate::config::Rounding) -> &'static str {
    match rounding {
        crate::config::Rounding::Ceil => "ceil",
        crate::config::Rounding::Round => "round",
        crate::config::Rounding::Floor => "floor",
    }
}
