//! The render thread: owns the GPU, measures the refresh, then runs the session one frame per
//! display refresh: acquire (which blocks until the display is ready under Fifo with frame
//! latency 1), timestamp, step the timeline, draw, present.

use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::window::Window;

use super::audio::Beeper;
use super::clock::{judge, FlipLog, FlipReport, Pacer, RefreshEstimate};
use super::gpu::Gpu;
use super::layout::Layout;
use super::scene::{IconImages, SceneRenderer, SceneSetup};
use super::ui::Overlay;
use crate::categories::ALL;
use crate::config::Experiment;
use crate::data::record::{DisplayFacts, TimingMode};
use crate::data::{Recorder, STORAGE_RETRY};
use crate::error::{Error, Result};
use crate::session::{self, Session, SessionOptions};
use crate::stimuli::mask::MaskGenerator;
use crate::stimuli::{load_rgba, StimulusSet};
use crate::trials::timeline::{Event, FrameTick, Input, Phase};
use crate::trials::{Disturbance, Screen};

/// What the window thread passes on, with the time it happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowInput {
    /// A left click at a position in physical pixels.
    Click {
        /// When the event arrived.
        at: Instant,
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
    },
    /// The left button released.
    Release {
        /// When the event arrived.
        at: Instant,
    },
    /// Escape.
    Escape,
    /// Y or Enter.
    Yes,
    /// N.
    No,
    /// The window lost or regained focus.
    Focus(bool),
    /// The window was asked to close.
    Close,
}

/// How a presented session may run.
#[derive(Debug, Clone, Default)]
pub struct PresentOptions {
    /// Piloting in a window (allows unsynchronised timing).
    pub windowed: bool,
    /// Run even without vertical sync.
    pub allow_unsynced: bool,
    /// Run even when the measured refresh differs from the config or is unstable.
    pub ignore_refresh: bool,
    /// Flips measured before the session starts.
    pub measure_flips: usize,
    /// Print every screen change with its onset and trial to standard output.
    pub log_phases: bool,
}

/// A finished presented session.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Ended by the experimenter.
    pub aborted: bool,
    /// The data file, when one was written.
    pub data: Option<std::path::PathBuf>,
    /// The timing report.
    pub report: FlipReport,
    /// Synchronised or not.
    pub timing: TimingMode,
    /// Warnings shown during the session.
    pub warnings: Vec<String>,
}

/// Everything the render thread needs.
pub struct Job {
    /// The experiment.
    pub experiment: Experiment,
    /// The checked stimulus set.
    pub set: StimulusSet,
    /// Who and which session.
    pub session: SessionOptions,
    /// How to present.
    pub present: PresentOptions,
}

/// The window's surface, configured for non-sRGB drawing.
pub(super) struct Display {
    pub(super) surface: wgpu::Surface<'static>,
    pub(super) config: wgpu::SurfaceConfiguration,
    pub(super) view_format: wgpu::TextureFormat,
}

impl Display {
    /// A GPU that can draw into `window`, and the window's surface configured for it.
    pub(super) fn open(window: &Arc<Window>) -> Result<(Gpu, Display)> {
        let size = window.inner_size();
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(window.clone())),
        );
        let surface = instance.create_surface(window.clone()).map_err(|e| {
            Error::new(format!(
                "no graphics adapter can draw into the window ({e}); on Linux without a GPU, \
                     install mesa-vulkan-drivers"
            ))
        })?;
        let gpu = Gpu::new(instance, Some(&surface))?;
        let display = Display::new(&gpu, surface, size.width.max(1), size.height.max(1))?;
        Ok((gpu, display))
    }

    /// Configures `surface` for Fifo presentation with one frame of latency.
    fn new(gpu: &Gpu, surface: wgpu::Surface<'static>, width: u32, height: u32) -> Result<Display> {
        let caps = surface.get_capabilities(&gpu.adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| Error::new("the window surface offers no colour format"))?;
        // Draw through a non-sRGB view so that 8-bit values reach the display unchanged.
        let view_format = format.remove_srgb_suffix();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: Default::default(),
            width,
            height,
            present_mode: wgpu::PresentMode::Fifo,
            desired_maximum_frame_latency: 1,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: vec![view_format],
        };
        surface.configure(&gpu.device, &config);
        Ok(Display {
            surface,
            config,
            view_format,
        })
    }
}

/// The render thread's state during a session.
struct Presenter {
    window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    scene: SceneRenderer,
    epoch: Instant,
    flips: FlipLog,
    notes: Vec<String>,
    /// Disturbances since the last frame the timeline saw.
    disturbed: Vec<Disturbance>,
    /// The window gave no frames because it was minimised or covered.
    occluded: bool,
    /// Since when reconfiguring has not made the surface usable again.
    outdated_since: Option<Instant>,
}

/// How long a surface may stay outdated before the session stops instead of spinning.
const STUCK_SURFACE: Duration = Duration::from_secs(2);

/// A frame that could not be acquired, and what was done.
enum Acquired {
    Frame(wgpu::SurfaceTexture, Instant),
    Skipped,
}

impl Presenter {
    fn acquire(&mut self) -> Result<Acquired> {
        use wgpu::CurrentSurfaceTexture as C;
        let acquired = self.display.surface.get_current_texture();
        if !matches!(acquired, C::Outdated) {
            self.outdated_since = None;
        }
        if self.occluded && !matches!(acquired, C::Occluded) {
            self.occluded = false;
            self.note("the window is visible again");
        }
        match acquired {
            C::Success(frame) => Ok(Acquired::Frame(frame, Instant::now())),
            C::Suboptimal(frame) => {
                let now = Instant::now();
                self.disturb(Disturbance::SurfaceReconfigured);
                self.note("the surface became suboptimal; reconfigured");
                self.display
                    .surface
                    .configure(&self.gpu.device, &self.display.config);
                Ok(Acquired::Frame(frame, now))
            }
            C::Timeout => {
                self.disturb(Disturbance::FrameTimeout);
                self.note("acquiring a frame timed out; frame skipped");
                Ok(Acquired::Skipped)
            }
            C::Occluded => {
                self.disturb(Disturbance::Occluded);
                if !self.occluded {
                    self.occluded = true;
                    self.note("the window was occluded (minimised or covered)");
                }
                std::thread::sleep(Duration::from_millis(10));
                Ok(Acquired::Skipped)
            }
            C::Outdated => {
                let since = *self.outdated_since.get_or_insert_with(Instant::now);
                if since.elapsed() > STUCK_SURFACE {
                    let size = self.window.inner_size();
                    return Err(Error::new(format!(
                        "the window surface stayed outdated for {} s (the window is now {}x{}, \
                         the session was laid out for {}x{}); the session stopped, continue it \
                         with --resume",
                        STUCK_SURFACE.as_secs(),
                        size.width,
                        size.height,
                        self.display.config.width,
                        self.display.config.height
                    )));
                }
                self.disturb(Disturbance::SurfaceReconfigured);
                self.note("the surface was outdated; reconfigured");
                self.display
                    .surface
                    .configure(&self.gpu.device, &self.display.config);
                Ok(Acquired::Skipped)
            }
            C::Lost => {
                self.disturb(Disturbance::SurfaceLost);
                self.note("the surface was lost; recreated");
                let surface = self
                    .gpu
                    .instance
                    .create_surface(self.window.clone())
                    .map_err(|e| Error::new(format!("cannot recreate the window surface: {e}")))?;
                surface.configure(&self.gpu.device, &self.display.config);
                self.display.surface = surface;
                Ok(Acquired::Skipped)
            }
            C::Validation => Err(Error::new("the graphics driver refused the window surface")),
        }
    }

    fn disturb(&mut self, cause: Disturbance) {
        if !self.disturbed.contains(&cause) {
            self.disturbed.push(cause);
        }
    }

    fn note(&mut self, note: &str) {
        let stamped = format!("{:.3} s: {note}", self.epoch.elapsed().as_secs_f64());
        if self.notes.len() < 1000 {
            self.notes.push(stamped);
        }
    }

    fn present(&mut self, frame: wgpu::SurfaceTexture, screen: &Screen, overlay: &Overlay) {
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(self.display.view_format),
            ..Default::default()
        });
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        self.scene.draw(
            &self.gpu.device,
            &self.gpu.queue,
            &mut encoder,
            &view,
            screen,
            overlay,
        );
        self.gpu.queue.submit([encoder.finish()]);
        self.window.pre_present_notify();
        self.gpu.queue.present(frame);
    }

    fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }
}

/// Loads `<category>.png` for every category from the icon folder.
pub fn load_icons(dir: &std::path::Path) -> Result<IconImages> {
    let mut icons = HashMap::new();
    let mut missing = Vec::new();
    for category in ALL {
        let path = dir.join(format!("{category}.png"));
        if !path.exists() {
            missing.push(path.display().to_string());
            continue;
        }
        let image = crate::stimuli::decode(&path)?.into_rgba8();
        icons.insert(category, (image.width(), image.height(), image.into_raw()));
    }
    if !missing.is_empty() {
        return Err(Error::new(format!(
            "{}: response icons missing: {}",
            dir.display(),
            missing.join(", ")
        )));
    }
    Ok(icons)
}

impl Presenter {
    /// Connects the GPU to the window and prepares the scene for `experiment`'s screens.
    fn open(window: Arc<Window>, epoch: Instant, experiment: &Experiment) -> Result<Presenter> {
        let config = &experiment.config;
        let icons = match &config.icons {
            Some(dir) => load_icons(dir)?,
            None => HashMap::new(),
        };
        let (gpu, display) = Display::open(&window)?;
        let (width, height) = (display.config.width, display.config.height);
        let layout = Layout::new(config, &experiment.response_order, width, height);
        let scene = SceneRenderer::new(
            &gpu.device,
            display.view_format,
            &SceneSetup {
                layout,
                background: config.bg_color,
                fixation: config.fixation_color,
                icons: &icons,
                pixels_per_point: window.scale_factor() as f32,
            },
        );
        window.set_cursor_visible(false);
        Ok(Presenter {
            window,
            gpu,
            display,
            scene,
            epoch,
            flips: FlipLog::default(),
            notes: Vec::new(),
            disturbed: Vec::new(),
            occluded: false,
            outdated_since: None,
        })
    }

    /// The refresh rate the system reports for the window's monitor, if any.
    fn monitor_hz(&self) -> Option<f64> {
        let millihertz = self.window.current_monitor()?.refresh_rate_millihertz()?;
        Some(f64::from(millihertz) / 1000.0)
    }

    /// Shows `flips` blank frames as fast as the display takes them and estimates its refresh.
    fn measure_refresh(&mut self, flips: usize) -> Result<RefreshEstimate> {
        let mut stamps = Vec::with_capacity(flips);
        let mut waits = Vec::with_capacity(flips);
        while stamps.len() < flips.max(2) {
            let asked = Instant::now();
            if let Acquired::Frame(frame, t) = self.acquire()? {
                stamps.push(self.seconds(t));
                waits.push(t.duration_since(asked).as_secs_f64() * 1000.0);
                self.present(frame, &Screen::Blank, &Overlay::default());
            }
        }
        RefreshEstimate::from_timestamps(&stamps, &waits)
            .ok_or_else(|| Error::new("no frames could be shown to measure the refresh"))
    }
}

/// Runs a whole presented session on the render thread.
pub fn run(
    window: Arc<Window>,
    inputs: Receiver<WindowInput>,
    epoch: Instant,
    job: Job,
) -> Result<Outcome> {
    let config = &job.experiment.config;
    let mut p = Presenter::open(window, epoch, &job.experiment)?;
    let (width, height) = p.scene.layout().screen;
    let estimate = p.measure_refresh(job.present.measure_flips)?;
    let verdict = judge(&estimate, config.refresh_hz, p.monitor_hz());
    let mut warnings = Vec::new();
    match (&verdict.mode, &verdict.problem) {
        (TimingMode::Unsynchronised, Some(problem)) => {
            if !(job.present.windowed || job.present.allow_unsynced) {
                return Err(Error::new(format!(
                    "{problem}; refusing to run a session with untrustworthy timing (pilot with --windowed, or force with --allow-unsynced)"
                )));
            }
            warnings.push(format!(
                "timing: unsynchronised ({problem}); frames are paced by a timer"
            ));
        }
        (_, Some(problem)) if !job.present.ignore_refresh => {
            return Err(Error::new(format!(
                "{problem}; override with --ignore-refresh"
            )));
        }
        (_, Some(problem)) => warnings.push(format!("refresh ignored: {problem}")),
        (_, None) => {}
    }
    let synced = verdict.mode == TimingMode::Synchronised;
    let facts = DisplayFacts {
        timing: verdict.mode,
        refresh_hz_expected: config.refresh_hz,
        refresh_hz_measured: Some(estimate.hz()),
        refresh_sd_ms: Some(estimate.sd_ms),
        timestamps: if synced {
            "monotonic clock when get_current_texture returns (Fifo, frame latency 1); onset = that + 1 period".into()
        } else {
            "timer-paced frames without vertical sync; onset = monotonic clock when the frame is acquired".into()
        },
        width_px: width,
        height_px: height,
    };
    let mut session = session::open(&job.experiment, &job.set, &job.session, facts)?;
    println!("{}", session.describe(""));
    let beeper = match Beeper::open(&config.beep) {
        Ok(b) => Some(b),
        Err(e) => {
            warnings.push(format!(
                "no audio output ({e}): the session runs without the beep"
            ));
            None
        }
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    // The screen gets a short line; the full reasons go to the console and the record.
    let overlay_warning = match (&verdict.mode, &verdict.problem) {
        (TimingMode::Unsynchronised, _) => {
            Some("Timing: UNSYNCHRONISED (no vertical sync), for piloting only".to_string())
        }
        (_, Some(_)) => Some("Timing: refresh check overridden (--ignore-refresh)".to_string()),
        _ => None,
    };
    let settings = LoopSettings {
        synced,
        warning: overlay_warning,
        log_phases: job.present.log_phases,
    };
    let result = run_session(
        &mut p,
        &mut session,
        config,
        &inputs,
        beeper.as_ref(),
        settings,
    );
    let period = 1.0 / config.refresh_hz;
    let report = p.flips.report(period);
    if let Some(recorder) = session.recorder.as_mut() {
        for note in p.notes.drain(..) {
            recorder.note(note);
        }
        for w in &warnings {
            recorder.note(format!("warning: {w}"));
        }
        recorder.note(format!(
            "flip report: {} flips, {} late intervals, {} missed refreshes, longest {:.1} ms",
            report.flips, report.late_intervals, report.missed_refreshes, report.longest_ms
        ));
    }
    // The session's own error (e.g. data it could not save) comes before these.
    let saved = session.recorder.as_mut().map_or(Ok(()), |recorder| {
        recorder.save()?;
        let flips = &recorder.paths().flips;
        std::fs::write(flips, p.flips.to_csv())
            .map_err(|e| Error::io(flips, "write the flip log", e))
    });
    let aborted = result?;
    saved?;
    Ok(Outcome {
        aborted,
        data: session.recorder.as_ref().map(|r| r.paths().data.clone()),
        report,
        timing: verdict.mode,
        warnings,
    })
}

/// How the frame loop runs.
struct LoopSettings {
    /// Frames wait for the display (otherwise a timer paces them).
    synced: bool,
    /// A standing warning for the experimenter.
    warning: Option<String>,
    /// Print screen changes.
    log_phases: bool,
}

/// A session waiting until its data can be written.
struct StoragePause {
    fault: String,
    trial: usize,
    since: Instant,
    last_try: Instant,
}

impl StoragePause {
    /// What the experimenter reads on the screen while the session waits.
    fn message(&self, kept: &str) -> String {
        format!(
            "DATA CANNOT BE SAVED: the session is paused.\n\n{}\n\n\
             Kept in memory: {kept}. Everything saved before is intact.\n\
             Free disk space or fix the data folder: shapelab retries every {} s \
             (Enter: retry now).\n\
             Escape: end the session (continue it later with --resume).",
            self.fault,
            STORAGE_RETRY.as_secs_f64()
        )
    }

    /// Tries to save again when asked or when it is time: `None` when it did not try,
    /// otherwise whether everything is on disk now.
    fn retry(&mut self, recorder: &mut Recorder, now: bool) -> Option<bool> {
        if !now && self.last_try.elapsed() < STORAGE_RETRY {
            return None;
        }
        self.last_try = Instant::now();
        Some(recorder.flush().is_ok())
    }

    /// The note for the session record once the data is saved again.
    fn resolved(&self) -> String {
        format!(
            "storage fault at trial {}: {}; saved again after {:.1} s",
            self.trial,
            self.fault,
            self.since.elapsed().as_secs_f64()
        )
    }
}

/// Ends a session whose data cannot be written: unsaved raw-data rows go to the console so
/// that nothing is lost, and the error says what was not saved and how to continue.
fn end_unsaved(recorder: &Recorder, fault: &str) -> Error {
    let rows = recorder.unsaved_rows();
    if !rows.is_empty() {
        eprintln!("rows not saved ({}):", rows.len());
        for row in &rows {
            eprint!("{row}");
        }
    }
    Error::new(format!(
        "{fault}; the session was ended without saving {}{}; continue it with --resume once \
         the data folder can be written",
        recorder.kept_in_memory(),
        if rows.is_empty() {
            ""
        } else {
            " (the rows are printed above)"
        }
    ))
}

/// The frame loop proper; returns whether the session was aborted.
fn run_session(
    p: &mut Presenter,
    session: &mut Session,
    config: &crate::config::Config,
    inputs: &Receiver<WindowInput>,
    beeper: Option<&Beeper>,
    settings: LoopSettings,
) -> Result<bool> {
    let LoopSettings {
        synced,
        warning,
        log_phases,
    } = settings;
    let period = Duration::from_secs_f64(1.0 / config.refresh_hz);
    let mut masks = MaskGenerator::new(&config.mask);
    let size = config.surround_size;
    let pacer = Pacer::new(Instant::now(), period);
    let mut overlay = Overlay {
        warning,
        ..Overlay::default()
    };
    let mut pending: Vec<Input> = Vec::new();
    let mut cursor_shown = false;
    let mut last_phase = None;
    let mut focused = true;
    let mut storage: Option<StoragePause> = None;
    let mut ended: Option<bool> = None;
    let mut index: u64 = 0;
    loop {
        if !synced {
            pacer.wait(index);
        }
        let (frame, acquired) = match p.acquire()? {
            Acquired::Frame(frame, t) => (frame, t),
            Acquired::Skipped => continue,
        };
        // Synchronised: the frame drawn now appears at the next refresh. Unsynchronised: it
        // appears as soon as it is drawn, which may be after its pacing deadline.
        let flip = p.seconds(acquired);
        p.flips.push(flip);
        let onset = if synced {
            flip + period.as_secs_f64()
        } else {
            flip
        };
        pending.extend(p.disturbed.drain(..).map(Input::Disturbed));
        let mut retry_now = false;
        while let Ok(input) = inputs.try_recv() {
            let waiting = overlay.confirm_abort || storage.is_some();
            match input {
                WindowInput::Click { at, x, y } if !waiting => pending.push(Input::Click {
                    at: p.seconds(at),
                    x,
                    y,
                }),
                WindowInput::Release { at } => pending.push(Input::Release { at: p.seconds(at) }),
                WindowInput::Click { .. } => {}
                WindowInput::Escape | WindowInput::No if overlay.confirm_abort => {
                    overlay.confirm_abort = false
                }
                WindowInput::Escape => {
                    overlay.confirm_abort = true;
                    pending.push(Input::Disturbed(Disturbance::AbortPrompt));
                }
                WindowInput::Yes if overlay.confirm_abort => {
                    overlay.confirm_abort = false;
                    if let (Some(pause), Some(recorder)) = (&storage, &session.recorder) {
                        return Err(end_unsaved(recorder, &pause.fault));
                    }
                    pending.push(Input::Abort);
                }
                WindowInput::Yes => retry_now = true,
                WindowInput::No => {}
                // A paused session asks before it ends with data in memory.
                WindowInput::Close if storage.is_some() => overlay.confirm_abort = true,
                WindowInput::Close => pending.push(Input::Abort),
                WindowInput::Focus(false) => {
                    focused = false;
                    p.note(&format!(
                        "the window lost focus at trial {}",
                        session.timeline.trial_index() + 1
                    ))
                }
                WindowInput::Focus(true) => {
                    focused = true;
                    p.note("the window regained focus")
                }
            }
        }
        let unfocused = Input::Disturbed(Disturbance::Unfocused);
        if !focused && !pending.contains(&unfocused) {
            pending.push(unfocused);
        }
        if let (Some(pause), Some(recorder)) = (storage.as_mut(), session.recorder.as_mut()) {
            match pause.retry(recorder, retry_now) {
                Some(true) => {
                    let note = pause.resolved();
                    eprintln!("{note}; the session continues");
                    p.note(&note);
                    storage = None;
                    overlay.storage_fault = None;
                }
                // A partly successful retry keeps less in memory: say so.
                Some(false) => {
                    overlay.storage_fault = Some(pause.message(&recorder.kept_in_memory()))
                }
                None => {}
            }
        }
        if overlay.confirm_abort || storage.is_some() {
            // The timeline waits while the experimenter decides or the data waits for disk
            // space; the pause shows up as a late interval of the phase it interrupted.
            p.present(frame, &Screen::Blank, &overlay);
            index += 1;
            continue;
        }
        if let Some(aborted) = ended {
            return Ok(aborted);
        }
        let step = session
            .timeline
            .step(FrameTick { index, onset }, &std::mem::take(&mut pending));
        for event in &step.events {
            match event {
                Event::PrepareTrial(i) => {
                    let trial = &session.plan.trials[*i];
                    let rgba = load_rgba(&trial.stimulus.path, size)?;
                    p.scene.set_stimulus(&p.gpu.queue, &rgba);
                    p.scene
                        .set_mask(&p.gpu.queue, &masks.generate(trial.mask_seed));
                }
                Event::Beep => {
                    if let Some(b) = beeper {
                        b.beep();
                    }
                }
                Event::SessionEnded { aborted } => ended = Some(*aborted),
                Event::TrialResponded(_) | Event::TrialTimed(_) => {}
            }
        }
        if let Some(recorder) = session.recorder.as_mut() {
            if let Err(fault) = recorder.handle(&session.plan, &step.events) {
                let trial = session.timeline.trial_index() + 1;
                eprintln!(
                    "warning: {fault}; the session is paused; kept in memory: {}",
                    recorder.kept_in_memory()
                );
                p.note(&format!("storage fault at trial {trial}: {fault}"));
                pending.push(Input::Disturbed(Disturbance::StoragePause));
                let now = Instant::now();
                let pause = StoragePause {
                    fault: fault.to_string(),
                    trial,
                    since: now,
                    last_try: now,
                };
                overlay.storage_fault = Some(pause.message(&recorder.kept_in_memory()));
                storage = Some(pause);
            }
        }
        let wants_cursor = matches!(step.screen, Screen::Response | Screen::Feedback(_));
        if wants_cursor != cursor_shown {
            if wants_cursor {
                let (w, h) = p.scene.layout().screen;
                let centre =
                    winit::dpi::PhysicalPosition::new(f64::from(w) / 2.0, f64::from(h) / 2.0);
                if p.window.set_cursor_position(centre).is_err() {
                    p.note("the cursor could not be moved to the centre");
                }
            }
            p.window.set_cursor_visible(wants_cursor);
            cursor_shown = wants_cursor;
        }
        if log_phases && last_phase != Some(step.phase) {
            log_phase(onset, session.timeline.trial_index() + 1, step.phase);
        }
        last_phase = Some(step.phase);
        p.present(frame, &step.screen, &overlay);
        index += 1;
        if let (Some(aborted), None) = (ended, &storage) {
            return Ok(aborted);
        }
    }
}

/// Prints `phase <onset s> trial <n> <phase>` and flushes, for scripts that follow a session.
pub fn log_phase(onset: f64, trial: usize, phase: Phase) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "phase {onset:.3} trial {trial} {}", phase.name());
    let _ = out.flush();
}

/// The result of `shapelab timing-test`.
#[derive(Debug, Clone)]
pub struct FlipTest {
    /// The refresh measured before the test.
    pub estimate: RefreshEstimate,
    /// What that measurement says.
    pub mode: TimingMode,
    /// Why the display cannot be trusted, if it cannot.
    pub problem: Option<String>,
    /// The flips of the test itself.
    pub report: FlipReport,
    /// Every flip interval of the test (ms).
    pub intervals_ms: Vec<f64>,
}

/// Measures the refresh, then flips for `seconds` (alternating fixation and blank frames,
/// paced by a timer when there is no vertical sync); Escape ends it early.
pub fn flip_test(
    window: Arc<Window>,
    inputs: Receiver<WindowInput>,
    epoch: Instant,
    experiment: &Experiment,
    seconds: f64,
    measure_flips: usize,
) -> Result<FlipTest> {
    let mut p = Presenter::open(window, epoch, experiment)?;
    let estimate = p.measure_refresh(measure_flips)?;
    let verdict = judge(&estimate, experiment.config.refresh_hz, p.monitor_hz());
    let synced = verdict.mode == TimingMode::Synchronised;
    let period = Duration::from_secs_f64(1.0 / experiment.config.refresh_hz);
    let pacer = Pacer::new(Instant::now(), period);
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut index = 0u64;
    while Instant::now() < end {
        if inputs
            .try_iter()
            .any(|i| matches!(i, WindowInput::Escape | WindowInput::Close))
        {
            break;
        }
        if !synced {
            pacer.wait(index);
        }
        if let Acquired::Frame(frame, t) = p.acquire()? {
            p.flips.push(p.seconds(t));
            let screen = if index.is_multiple_of(2) {
                Screen::Fixation
            } else {
                Screen::Blank
            };
            p.present(frame, &screen, &Overlay::default());
            index += 1;
        }
    }
    let intervals_ms = p
        .flips
        .timestamps()
        .windows(2)
        .map(|w| (w[1] - w[0]) * 1000.0)
        .collect();
    Ok(FlipTest {
        estimate,
        mode: verdict.mode,
        problem: verdict.problem,
        report: p.flips.report(period.as_secs_f64()),
        intervals_ms,
    })
}
