//! The window's GPU surface: configured for exact pixels and Fifo presentation, frames
//! acquired (with what happened to the surface noted and reported as disturbances), drawn and
//! presented, and the refresh measured on it. [`FrameTarget`] is what the session loop needs of
//! it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::window::Window;

use super::gpu::Gpu;
use super::layout::Layout;
use super::scene::{IconImages, SceneRenderer, SceneSetup};
use super::screens::Overlay;
use super::watchdog::Watchdog;
use crate::categories::ALL;
use crate::config::Experiment;
use crate::data::record::TimingMode;
use crate::error::{Error, Result};
use crate::stimuli::mask::Mask;
use crate::timing::flips::{judge, judge_compositor, FlipLog, RefreshEstimate, Verdict};
use crate::timing::server_times::{FlipSource, NOT_FLIPPED};
use crate::timing::wayland_feedback::{is_wayland, page_flip_warning, PresentationFeedback};
use crate::timing::wayland_times::{self, FeedbackTimes};
use crate::timing::x11_present::X11Times;
use crate::trials::{Disturbance, Screen};

/// The window's surface, configured for non-sRGB drawing.
pub struct Display {
    pub(crate) surface: wgpu::Surface<'static>,
    pub(crate) config: wgpu::SurfaceConfiguration,
    pub(crate) view_format: wgpu::TextureFormat,
}

impl Display {
    /// A GPU that can draw into `window`, and the window's surface configured for it.
    pub(crate) fn open(window: &Arc<Window>) -> Result<(Gpu, Display)> {
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

/// The window, its GPU surface and the scene drawn into it: frames acquired, drawn and
/// presented, and what happened to the surface.
pub struct Presenter {
    window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    pub(crate) scene: SceneRenderer,
    epoch: Instant,
    flips: FlipLog,
    notes: Vec<String>,
    /// Disturbances since the last frame the timeline saw.
    disturbed: Vec<Disturbance>,
    /// The window gave no frames because it was minimised or covered.
    occluded: bool,
    /// Since when reconfiguring has not made the surface usable again.
    outdated_since: Option<Instant>,
    /// The surface is to be reconfigured once the frame acquired from it is presented: wgpu
    /// refuses to reconfigure while a frame is held.
    reconfigure: bool,
    /// The display server's presentation times, while they are read (X11).
    server_times: Option<X11Times>,
    /// Where flip times come from (decided by the refresh measurement).
    source: FlipSource,
    /// How long the last `queue.present` took: on Wayland the driver waits there for the
    /// compositor, not in acquiring.
    present_wait: Duration,
    /// Told of every frame, to notice a presentation that stalls.
    watchdog: Option<Arc<Watchdog>>,
    /// The compositor's presentation feedback (Wayland), or why there is none.
    feedback: std::result::Result<PresentationFeedback, String>,
    /// What the feedback said of the refresh measurement, and the flips it settles.
    feedback_times: FeedbackTimes,
}

/// How long a surface may stay outdated before the session stops instead of spinning.
const STUCK_SURFACE: Duration = Duration::from_secs(2);

/// A frame to draw into and when it was handed out, or none this time.
pub enum Acquired<F> {
    /// A frame, acquired at this instant.
    Frame(F, Instant),
    /// No frame could be had; what happened is noted.
    Skipped,
}

/// What the session loop needs of a display: frames to draw into, when they were handed out,
/// and what disturbed them. The window's GPU surface is one; tests use a virtual display.
pub trait FrameTarget {
    /// A frame to draw into.
    type Frame;
    /// Waits for the next frame.
    fn acquire(&mut self) -> Result<Acquired<Self::Frame>>;
    /// Draws `screen` (and the overlay) into the frame and presents it.
    fn present(&mut self, frame: Self::Frame, screen: &Screen, overlay: &Overlay);
    /// Uploads a trial's stimulus and mask for its stimulus and mask frames.
    fn load_trial(&mut self, rgba: &[u8], mask: &Mask);
    /// Shows the cursor at the centre of the screen, or hides it.
    fn show_cursor(&mut self, shown: bool);
    /// Seconds since the session's epoch.
    fn seconds(&self, at: Instant) -> f64;
    /// Notes a moment for the session record.
    fn note(&mut self, note: &str);
    /// Disturbances since the last call.
    fn take_disturbances(&mut self) -> Vec<Disturbance>;
    /// The flip log.
    fn flips(&mut self) -> &mut FlipLog;
}

impl Presenter {
    /// The next frame of the window's surface.
    pub fn acquire_frame(&mut self) -> Result<Acquired<wgpu::SurfaceTexture>> {
        use wgpu::CurrentSurfaceTexture as C;
        let asked = Instant::now();
        let acquired = self.display.surface.get_current_texture();
        if let Some(times) = self.server_times.as_mut() {
            times.acquired(Instant::now(), asked.elapsed());
            times.collect(&mut self.flips, self.epoch);
        }
        self.beat();
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
                self.note("the surface became suboptimal; reconfigured after this frame");
                self.reconfigure = true;
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
                self.reconfigure_surface();
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
                if let Some(times) = self.server_times.as_mut() {
                    times.swapchain_recreated();
                }
                Ok(Acquired::Skipped)
            }
            C::Validation => Err(Error::new("the graphics driver refused the window surface")),
        }
    }

    /// Files the presentation feedback that has arrived.
    fn take_feedback(&mut self) {
        let Ok(feedback) = &mut self.feedback else {
            return;
        };
        for (key, said) in feedback.poll() {
            match key.checked_sub(1) {
                Some(flip) => {
                    self.flips.fed_back(flip as usize, said);
                    self.feedback_times
                        .settle(flip as usize, said, &mut self.flips);
                }
                None => self.feedback_times.measured(said),
            }
        }
        self.feedback_times
            .give_up_stale(Instant::now(), &mut self.flips);
    }

    /// Waits (up to a second) for the feedback on the last frames presented.
    pub fn finish_feedback(&mut self) {
        self.wait_for_feedback(Duration::from_secs(1));
    }

    /// Waits up to `limit` for the feedback on the frames presented so far.
    fn wait_for_feedback(&mut self, limit: Duration) {
        let until = Instant::now() + limit;
        while self.feedback.as_ref().is_ok_and(|f| f.waiting()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
            self.take_feedback();
        }
    }

    /// Where the flip log's presentation times come from when they do not time the session
    /// (the compositor's feedback logged beside the estimate), for the record.
    pub fn presentation_source(&self) -> Option<String> {
        match (&self.feedback, &self.source) {
            (Ok(feedback), FlipSource::Estimate(_)) => Some(feedback.source()),
            _ => None,
        }
    }

    /// What the compositor's feedback on the refresh measurement says against trusting the
    /// window's timing when the feedback is only logged (see [`page_flip_warning`]; when it
    /// times the session, the flip source carries the warning); `None` without feedback.
    pub fn presentation_warning(&self) -> Option<String> {
        match (&self.feedback, &self.source) {
            (Ok(_), FlipSource::Estimate(_)) => {
                page_flip_warning(self.feedback_times.measured_feedback())
            }
            _ => None,
        }
    }

    /// Has `watchdog` watch the frames from now on.
    pub fn watch(&mut self, watchdog: Arc<Watchdog>) {
        self.watchdog = Some(watchdog);
    }

    /// Tells the watchdog a frame went through; a stall that has just ended is noted and
    /// marks the frame's trial.
    fn beat(&mut self) {
        let Some(watchdog) = &self.watchdog else {
            return;
        };
        watchdog.beat();
        if let Some(stalled) = watchdog.take_resumed() {
            self.disturb(Disturbance::FrameTimeout);
            self.note(&format!(
                "presentation stalled for {:.1} s (no frame was shown); resumed",
                stalled.as_secs_f64()
            ));
        }
    }

    /// Stops the watchdog watching until the next frame (work other than frames follows).
    pub fn rest_watchdog(&self) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.rest();
        }
    }

    fn disturb(&mut self, cause: Disturbance) {
        if !self.disturbed.contains(&cause) {
            self.disturbed.push(cause);
        }
    }

    /// Notes a moment, stamped with its time, for the session record.
    pub fn note(&mut self, note: &str) {
        let stamped = format!("{:.3} s: {note}", self.epoch.elapsed().as_secs_f64());
        if self.notes.len() < 1000 {
            self.notes.push(stamped);
        }
    }

    /// The notes so far, taken.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Draws `screen` into the frame and presents it; a surface found suboptimal is
    /// reconfigured now that its frame is given back.
    pub fn present_frame(
        &mut self,
        frame: wgpu::SurfaceTexture,
        screen: &Screen,
        overlay: &Overlay,
    ) {
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
        if let Some(times) = self.server_times.as_mut() {
            times.presenting(Instant::now());
        }
        // Keyed by flip number + 1; 0 for the frames of the refresh measurement (no flips).
        let key = self.flips.timestamps().len() as u64;
        let presenting = Instant::now();
        if let Ok(feedback) = &mut self.feedback {
            feedback.request(key);
            match key.checked_sub(1) {
                Some(flip) => self.feedback_times.presenting(flip as usize, presenting),
                None => self.feedback_times.measuring(),
            }
        }
        self.gpu.queue.present(frame);
        self.present_wait = presenting.elapsed();
        self.feedback_times
            .present_returned(Instant::now(), self.present_wait);
        self.beat();
        self.take_feedback();
        if std::mem::take(&mut self.reconfigure) {
            self.reconfigure_surface();
        }
    }

    /// Configures the surface again: a new swapchain.
    fn reconfigure_surface(&mut self) {
        self.display
            .surface
            .configure(&self.gpu.device, &self.display.config);
        if let Some(times) = self.server_times.as_mut() {
            times.swapchain_recreated();
        }
    }

    /// Where flip times come from: decided by the refresh measurement.
    pub fn flip_source(&self) -> &FlipSource {
        &self.source
    }

    /// Seconds since the session's epoch.
    pub fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }
}

impl FrameTarget for Presenter {
    type Frame = wgpu::SurfaceTexture;

    fn acquire(&mut self) -> Result<Acquired<Self::Frame>> {
        self.acquire_frame()
    }

    fn present(&mut self, frame: Self::Frame, screen: &Screen, overlay: &Overlay) {
        self.present_frame(frame, screen, overlay);
    }

    fn load_trial(&mut self, rgba: &[u8], mask: &Mask) {
        self.scene.set_stimulus(&self.gpu.queue, rgba);
        self.scene.set_mask(&self.gpu.queue, mask);
    }

    fn show_cursor(&mut self, shown: bool) {
        if shown {
            let (w, h) = self.scene.layout().screen;
            let centre = winit::dpi::PhysicalPosition::new(f64::from(w) / 2.0, f64::from(h) / 2.0);
            if self.window.set_cursor_position(centre).is_err() {
                self.note("the cursor could not be moved to the centre");
            }
        }
        self.window.set_cursor_visible(shown);
    }

    fn seconds(&self, at: Instant) -> f64 {
        Presenter::seconds(self, at)
    }

    fn note(&mut self, note: &str) {
        Presenter::note(self, note);
    }

    fn take_disturbances(&mut self) -> Vec<Disturbance> {
        std::mem::take(&mut self.disturbed)
    }

    fn flips(&mut self) -> &mut FlipLog {
        &mut self.flips
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
    pub fn open(window: Arc<Window>, epoch: Instant, experiment: &Experiment) -> Result<Presenter> {
        let config = &experiment.config;
        let icons = match &config.icons {
            Some(dir) => load_icons(dir)?,
            None => HashMap::new(),
        };
        let (gpu, display) = Display::open(&window)?;
        let feedback = PresentationFeedback::open(&window, epoch);
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
        let (server_times, source) = match X11Times::start(&window) {
            Ok(Some(times)) => (
                Some(times),
                FlipSource::Estimate("the refresh is not measured yet".into()),
            ),
            Ok(None) if is_wayland(&window) => (
                None,
                FlipSource::Estimate(match &feedback {
                    Ok(_) => "the refresh is not measured yet".into(),
                    Err(why) => format!("no presentation times from the compositor ({why})"),
                }),
            ),
            Ok(None) => (
                None,
                FlipSource::Estimate("no presentation times on this window system".into()),
            ),
            Err(why) => (None, FlipSource::Estimate(why)),
        };
        let mut flips = FlipLog::default();
        if feedback.is_ok() {
            flips.await_feedback();
        }
        Ok(Presenter {
            window,
            gpu,
            display,
            scene,
            epoch,
            flips,
            notes: Vec::new(),
            disturbed: Vec::new(),
            occluded: false,
            outdated_since: None,
            reconfigure: false,
            server_times,
            source,
            present_wait: Duration::ZERO,
            watchdog: None,
            feedback,
            feedback_times: FeedbackTimes::default(),
        })
    }

    /// The refresh rate the system reports for the window's monitor, if any.
    pub fn monitor_hz(&self) -> Option<f64> {
        let millihertz = self.window.current_monitor()?.refresh_rate_millihertz()?;
        Some(f64::from(millihertz) / 1000.0)
    }

    /// What a refresh measurement on this window says, by the rules of its display system:
    /// on Wayland by the compositor's pace and, where it answered, its feedback (frames it
    /// discarded came faster than it presents).
    pub fn judge(&self, estimate: &RefreshEstimate, expected_hz: f64) -> Verdict {
        if !is_wayland(&self.window) {
            return judge(estimate, expected_hz, self.monitor_hz());
        }
        match self.feedback_times.discarded() {
            Some(why) => Verdict {
                mode: TimingMode::Unsynchronised,
                problem: Some(format!(
                    "frames are not synchronised to the compositor ({why}): no vertical sync"
                )),
            },
            None => judge_compositor(estimate, expected_hz, self.monitor_hz()),
        }
    }

    /// Shows `flips` blank frames as fast as the display takes them and estimates its refresh.
    pub fn measure_refresh(&mut self, flips: usize) -> Result<RefreshEstimate> {
        let mut stamps = Vec::with_capacity(flips);
        let mut waits = Vec::with_capacity(flips);
        while stamps.len() < flips.max(2) {
            let asked = Instant::now();
            if let Acquired::Frame(frame, t) = self.acquire_frame()? {
                stamps.push(self.seconds(t));
                self.present_frame(frame, &Screen::Blank, &Overlay::default());
                // Waiting for the display happens in acquiring (X11) or presenting (Wayland).
                let waited = t.duration_since(asked) + self.present_wait;
                waits.push(waited.as_secs_f64() * 1000.0);
            }
        }
        self.end_measurement();
        self.end_feedback_measurement();
        RefreshEstimate::from_timestamps(&stamps, &waits)
            .ok_or_else(|| Error::new("no frames could be shown to measure the refresh"))
    }

    /// Decides from the measurement's flips whether the display server's timestamps time the
    /// session; without them the event reader stops.
    fn end_measurement(&mut self) {
        let Some(times) = self.server_times.as_mut() else {
            return;
        };
        self.source = match times.end_measurement(&mut self.flips, self.epoch) {
            Ok(copied) => FlipSource::Server {
                description: times.description(copied),
                warning: copied.then(|| NOT_FLIPPED.to_string()),
            },
            Err(why) => {
                self.server_times = None;
                FlipSource::Estimate(why)
            }
        };
    }

    /// Decides from the compositor's answers on the measurement's frames whether its
    /// presentation feedback times the session (Wayland).
    fn end_feedback_measurement(&mut self) {
        self.wait_for_feedback(MEASUREMENT_FEEDBACK);
        let Ok(feedback) = &self.feedback else {
            return;
        };
        self.source = match self.feedback_times.end_measurement() {
            Ok(counter) => FlipSource::Server {
                description: wayland_times::description(counter, &feedback.clock()),
                warning: page_flip_warning(self.feedback_times.measured_feedback()),
            },
            Err(why) => FlipSource::Estimate(why),
        };
    }
}

/// How long the compositor's last answers on the refresh measurement may take to come.
const MEASUREMENT_FEEDBACK: Duration = Duration::from_millis(200);
