//! The preflight's refresh measurement: a borderless fullscreen window on the monitor
//! `monitor.select` names (where the session will run), flipped back to back under Fifo as a
//! session's first frames are, then closed.

use std::sync::Arc;
use std::time::Instant;

use winit::event_loop::ActiveEventLoop;
use winit::window::{Fullscreen, Window};

use super::{next_frame, MEASURED_FLIPS, SETTLING_FLIPS};
use crate::error::{Error, Result};
use crate::present::clock::{judge, judge_compositor, RefreshEstimate};
use crate::present::gpu::Gpu;
use crate::present::launcher::{MeasureRequest, Refresh};
use crate::present::presenter::Display;
use crate::present::window::choose_monitor;

/// The title of the measuring window.
const TITLE: &str = "shapelab: measuring the refresh";

/// A measurement in progress.
pub(super) struct Measurement {
    pub(super) window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    /// The monitor, as the preflight names it.
    monitor: String,
    /// The rate the system reports for the monitor.
    monitor_hz: Option<f64>,
    expected_hz: f64,
    epoch: Instant,
    flips: Vec<f64>,
    waits_ms: Vec<f64>,
    /// How long the last present took (on Wayland the wait for the compositor is there).
    present_wait: std::time::Duration,
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
            expected_hz: request.expected_hz,
            epoch: Instant::now(),
            flips: Vec::with_capacity(MEASURED_FLIPS),
            waits_ms: Vec::with_capacity(MEASURED_FLIPS),
            present_wait: std::time::Duration::ZERO,
        })
    }

    /// Shows one grey frame and timestamps it; the verdict once enough frames were shown.
    pub(super) fn flip(&mut self) -> Result<Option<Refresh>> {
        let asked = Instant::now();
        let Some(frame) = next_frame(&self.window, &self.gpu, &mut self.display)? else {
            return Ok(None);
        };
        let waited = asked.elapsed() + self.present_wait;
        self.waits_ms.push(waited.as_secs_f64() * 1000.0);
        self.flips.push(self.epoch.elapsed().as_secs_f64());
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
        if self.flips.len() < MEASURED_FLIPS {
            return Ok(None);
        }
        Ok(Some(self.verdict()))
    }

    fn verdict(&self) -> Refresh {
        let flips = &self.flips[SETTLING_FLIPS..];
        let waits = &self.waits_ms[SETTLING_FLIPS..];
        let Some(estimate) = RefreshEstimate::from_timestamps(flips, waits) else {
            return Refresh::Failed(format!("no steady frames on {}", self.monitor));
        };
        Refresh::Measured {
            monitor: self.monitor.clone(),
            hz: estimate.hz(),
            sd_ms: estimate.sd_ms,
            problem: if crate::present::wayland_feedback::is_wayland(&self.window) {
                judge_compositor(&estimate, self.expected_hz, self.monitor_hz).problem
            } else {
                judge(&estimate, self.expected_hz, self.monitor_hz).problem
            },
        }
    }

    /// Follows the window's new size.
    pub(super) fn resize(&mut self, width: u32, height: u32) {
        super::resize(&self.gpu, &mut self.display, width, height);
    }
}
