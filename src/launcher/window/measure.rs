//! The preflight's refresh measurement: a borderless fullscreen window on the monitor
//! `monitor.select` names (where the session will run), flipped back to back under Fifo as a
//! session's first frames are, then closed; closed too, with a failure, when no frame comes
//! for 5 s. What it saw is judged against the config when the preflight shows it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::event_loop::ActiveEventLoop;
use winit::window::{Fullscreen, Window};

use super::{next_frame, MEASURED_FLIPS, SETTLING_FLIPS};
use crate::display::gpu::Gpu;
use crate::display::surface::Display;
use crate::display::window::choose_monitor;
use crate::error::{Error, Result};
use crate::launcher::{MeasureRequest, Refresh};
use crate::timing::flips::RefreshEstimate;

/// The title of the measuring window.
const TITLE: &str = "shapelab: measuring the refresh";

/// How long the measurement waits for a frame before it gives up: a surface that times out or
/// is hidden gives none, and the grey window must not stay for ever.
const FRAME_DEADLINE: Duration = Duration::from_secs(5);

/// The frames shown so far: when each was shown and how long it was waited for.
struct Flips {
    epoch: Instant,
    /// When the last frame was shown (at first: when the window opened).
    last: Instant,
    /// Seconds from `epoch`.
    times: Vec<f64>,
    waits_ms: Vec<f64>,
}

impl Flips {
    fn new(now: Instant) -> Flips {
        Flips {
            epoch: now,
            last: now,
            times: Vec::with_capacity(MEASURED_FLIPS),
            waits_ms: Vec::with_capacity(MEASURED_FLIPS),
        }
    }

    fn shown(&mut self, at: Instant, waited: Duration) {
        self.last = at;
        self.times.push(at.duration_since(self.epoch).as_secs_f64());
        self.waits_ms.push(waited.as_secs_f64() * 1000.0);
    }

    /// Why the measurement gives up at `now`: no frame within [`FRAME_DEADLINE`].
    fn stalled(&self, now: Instant, monitor: &str) -> Option<String> {
        if now.duration_since(self.last) < FRAME_DEADLINE {
            return None;
        }
        let seconds = FRAME_DEADLINE.as_secs();
        Some(match self.times.len() {
            0 => format!("no frames within {seconds} s on {monitor}"),
            n => format!(
                "no frames within {seconds} s on {monitor} after {n} of {MEASURED_FLIPS} frames"
            ),
        })
    }
}

/// A measurement in progress.
pub(super) struct Measurement {
    pub(super) window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    /// The monitor, as the preflight names it.
    monitor: String,
    /// The rate the system reports for the monitor.
    monitor_hz: Option<f64>,
    /// How long the last present took (on Wayland the wait for the compositor is there).
    present_wait: Duration,
    flips: Flips,
}

impl Measurement {
    /// Opens the measuring window on the monitor `request` names.
    pub(super) fn open(event_loop: &ActiveEventLoop, request: &MeasureRequest) -> Result<Self> {
        let monitor = choose_monitor(event_loop, &request.monitor)?;
        let name = format!(
            "monitor '{}' (monitor.select: {})",
            monitor.name().unwrap_or_else(|| "unnamed".into()),
            request.monitor
        );
        let monitor_hz = monitor
            .refresh_rate_millihertz()
            .map(|mhz| f64::from(mhz) / 1000.0);
        // Placed and sized on the monitor too, for an X server without a window manager,
        // which would not act on the request for fullscreen.
        let attributes = Window::default_attributes()
            .with_title(TITLE)
            .with_decorations(false)
            .with_position(monitor.position())
            .with_inner_size(monitor.size())
            .with_fullscreen(Some(Fullscreen::Borderless(Some(monitor))));
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| Error::new(format!("cannot open a window on {name}: {e}")))?,
        );
        let (gpu, display) = Display::open(&window)?;
        Ok(Measurement {
            window,
            gpu,
            display,
            monitor: name,
            monitor_hz,
            present_wait: Duration::ZERO,
            flips: Flips::new(Instant::now()),
        })
    }

    /// Shows one grey frame and timestamps it; the verdict once enough frames were shown, or
    /// a failure when no frame came within [`FRAME_DEADLINE`].
    pub(super) fn flip(&mut self) -> Result<Option<Refresh>> {
        let asked = Instant::now();
        let Some(frame) = next_frame(&self.window, &self.gpu, &mut self.display)? else {
            return Ok(self.overdue());
        };
        let now = Instant::now();
        // On Wayland the driver waits for the compositor in present, not in acquiring.
        self.flips.shown(now, now - asked + self.present_wait);
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(self.display.view_format),
            ..Default::default()
        });
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("refresh measurement"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: 0.5,
                        g: 0.5,
                        b: 0.5,
                        a: 1.0,
                    }),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        self.gpu.queue.submit([encoder.finish()]);
        let presenting = Instant::now();
        self.gpu.queue.present(frame);
        self.present_wait = presenting.elapsed();
        if self.flips.times.len() < MEASURED_FLIPS {
            return Ok(None);
        }
        Ok(Some(self.verdict()))
    }

    /// A failure once no frame came within [`FRAME_DEADLINE`]; the window is then closed by
    /// dropping the measurement.
    pub(super) fn overdue(&self) -> Option<Refresh> {
        self.flips
            .stalled(Instant::now(), &self.monitor)
            .map(Refresh::Failed)
    }

    /// What was seen; judged against the config when the preflight shows it.
    fn verdict(&self) -> Refresh {
        let flips = &self.flips.times[SETTLING_FLIPS..];
        let waits = &self.flips.waits_ms[SETTLING_FLIPS..];
        let Some(estimate) = RefreshEstimate::from_timestamps(flips, waits) else {
            return Refresh::Failed(format!("no steady frames on {}", self.monitor));
        };
        Refresh::Measured {
            monitor: self.monitor.clone(),
            monitor_hz: self.monitor_hz,
            estimate,
            compositor: crate::timing::wayland_feedback::is_wayland(&self.window),
        }
    }

    /// Follows the window's new size.
    pub(super) fn resize(&mut self, width: u32, height: u32) {
        super::resize(&self.gpu, &mut self.display, width, height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measurement_that_sees_no_frame_for_five_seconds_gives_up_and_says_so() {
        let opened = Instant::now();
        let mut flips = Flips::new(opened);
        let monitor = "monitor 'DP-1' (monitor.select: 0)";
        let after = |s: f64| opened + Duration::from_secs_f64(s);
        assert_eq!(flips.stalled(after(4.9), monitor), None, "still waiting");
        assert_eq!(
            flips.stalled(after(5.0), monitor).as_deref(),
            Some("no frames within 5 s on monitor 'DP-1' (monitor.select: 0)")
        );
        // Frames that come reset the wait; frames that stop end it too.
        flips.shown(after(4.0), Duration::from_millis(16));
        flips.shown(after(4.1), Duration::from_millis(16));
        assert_eq!(flips.stalled(after(8.9), monitor), None);
        assert_eq!(
            flips.stalled(after(9.1), monitor).as_deref(),
            Some(
                "no frames within 5 s on monitor 'DP-1' (monitor.select: 0) after 2 of 130 \
                 frames"
            )
        );
    }
}
