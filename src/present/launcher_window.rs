//! The launcher's window: winit + wgpu hosting the egui [`Launcher`]. Its first frames are
//! flipped back to back under Fifo to measure the refresh of the screen it is on, for the
//! preflight; after that it draws only when something changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::event::{StartCause, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::{Window, WindowId};

use super::clock::{judge, judge_compositor, RefreshEstimate};
use super::gpu::Gpu;
use super::launcher::{Launcher, Refresh};
use super::presenter::Display;
use super::wayland_feedback::is_wayland;
use crate::error::{Error, Result};

/// Flips measured for the preflight (the first few are dropped: the window is settling).
const MEASURED_FLIPS: usize = 130;
const SETTLING_FLIPS: usize = 10;

/// Opens the launcher and runs it until its window is closed.
pub fn run(launcher: Launcher, expected_hz: f64) -> Result<()> {
    let event_loop = super::window::event_loop::<()>()?;
    let mut app = App {
        launcher,
        expected_hz,
        open: None,
        error: None,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| Error::new(format!("the launcher's event loop failed: {e}")))?;
    app.error.map_or(Ok(()), Err)
}

struct App {
    launcher: Launcher,
    expected_hz: f64,
    open: Option<Open>,
    error: Option<Error>,
}

/// The window and what draws into it.
struct Open {
    window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    egui: egui_winit::State,
    renderer: egui_wgpu::Renderer,
    epoch: Instant,
    flips: Vec<f64>,
    waits_ms: Vec<f64>,
    /// How long the last present took (on Wayland the wait for the compositor is there).
    present_wait: Duration,
}

impl Open {
    fn new(event_loop: &ActiveEventLoop) -> Result<Open> {
        let attributes = Window::default_attributes()
            .with_title("shapelab launcher")
            .with_inner_size(winit::dpi::LogicalSize::new(960.0, 820.0));
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| Error::new(format!("cannot open the launcher window: {e}")))?,
        );
        let (gpu, display) = Display::open(&window)?;
        let context = egui::Context::default();
        let egui = egui_winit::State::new(
            context,
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            None,
        );
        let renderer = egui_wgpu::Renderer::new(
            &gpu.device,
            display.view_format,
            egui_wgpu::RendererOptions::default(),
        );
        Ok(Open {
            window,
            gpu,
            display,
            egui,
            renderer,
            epoch: Instant::now(),
            flips: Vec::new(),
            waits_ms: Vec::new(),
            present_wait: Duration::ZERO,
        })
    }

    fn measuring(&self) -> bool {
        self.flips.len() < MEASURED_FLIPS
    }

    fn resize(&mut self, width: u32, height: u32) {
        self.display.config.width = width.max(1);
        self.display.config.height = height.max(1);
        self.display
            .surface
            .configure(&self.gpu.device, &self.display.config);
    }

    /// Draws one frame; while measuring, also timestamps the flip.
    fn redraw(&mut self, launcher: &mut Launcher, expected_hz: f64) -> Result<()> {
        use wgpu::CurrentSurfaceTexture as C;
        let asked = Instant::now();
        let frame = match self.display.surface.get_current_texture() {
            C::Success(frame) | C::Suboptimal(frame) => frame,
            C::Timeout | C::Occluded => return Ok(()),
            C::Outdated | C::Lost => {
                let size = self.window.inner_size();
                self.resize(size.width, size.height);
                return Ok(());
            }
            C::Validation => {
                return Err(Error::new("the graphics driver refused the window surface"))
            }
        };
        if self.measuring() {
            let waited = asked.elapsed() + self.present_wait;
            self.waits_ms.push(waited.as_secs_f64() * 1000.0);
            self.flips.push(self.epoch.elapsed().as_secs_f64());
            if !self.measuring() {
                launcher.session.refresh = self.verdict(expected_hz);
            }
        }
        let raw = self.egui.take_egui_input(&self.window);
        let context = self.egui.egui_ctx().clone();
        let mut output = context.run_ui(raw, |ui| launcher.ui(ui));
        self.egui
            .handle_platform_output(&self.window, std::mem::take(&mut output.platform_output));
        let (device, queue) = (&self.gpu.device, &self.gpu.queue);
        let mut delta = std::mem::take(&mut output.textures_delta);
        for (id, images) in delta.set.drain() {
            for image in &images {
                self.renderer.update_texture(device, queue, id, image);
            }
        }
        let primitives = context.tessellate(output.shapes, output.pixels_per_point);
        let descriptor = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [self.display.config.width, self.display.config.height],
            pixels_per_point: output.pixels_per_point,
        };
        let mut encoder = device.create_command_encoder(&Default::default());
        let extra =
            self.renderer
                .update_buffers(device, queue, &mut encoder, &primitives, &descriptor);
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(self.display.view_format),
            ..Default::default()
        });
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("launcher"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &view,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    ..Default::default()
                })
                .forget_lifetime();
            self.renderer.render(&mut pass, &primitives, &descriptor);
        }
        queue.submit(extra.into_iter().chain([encoder.finish()]));
        let presenting = Instant::now();
        queue.present(frame);
        self.present_wait = presenting.elapsed();
        for id in delta.free.drain() {
            self.renderer.free_texture(&id);
        }
        if output
            .viewport_output
            .values()
            .any(|v| v.repaint_delay.is_zero())
        {
            self.window.request_redraw();
        }
        Ok(())
    }

    fn verdict(&self, expected_hz: f64) -> Refresh {
        let flips = &self.flips[SETTLING_FLIPS..];
        let waits = &self.waits_ms[SETTLING_FLIPS..];
        let Some(estimate) = RefreshEstimate::from_timestamps(flips, waits) else {
            return Refresh::Measuring;
        };
        let monitor_hz = self
            .window
            .current_monitor()
            .and_then(|m| m.refresh_rate_millihertz())
            .map(|mhz| f64::from(mhz) / 1000.0);
        let verdict = match is_wayland(&self.window) {
            true => judge_compositor(&estimate, expected_hz, monitor_hz),
            false => judge(&estimate, expected_hz, monitor_hz),
        };
        Refresh::Measured {
            hz: estimate.hz(),
            sd_ms: estimate.sd_ms,
            problem: verdict.problem,
        }
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.open.is_some() {
            return;
        }
        match Open::new(event_loop) {
            Ok(open) => {
                open.window.request_redraw();
                self.open = Some(open);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some(open) = &mut self.open else {
            return;
        };
        let response = open.egui.on_window_event(&open.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => open.resize(size.width, size.height),
            WindowEvent::RedrawRequested => {
                if let Err(e) = open.redraw(&mut self.launcher, self.expected_hz) {
                    self.error = Some(e);
                    event_loop.exit();
                }
            }
            _ => {}
        }
        if response.repaint {
            open.window.request_redraw();
        }
    }

    fn new_events(&mut self, _: &ActiveEventLoop, cause: StartCause) {
        if let (StartCause::ResumeTimeReached { .. }, Some(open)) = (cause, &self.open) {
            open.window.request_redraw();
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(open) = &self.open else {
            return;
        };
        if open.measuring() {
            open.window.request_redraw();
            event_loop.set_control_flow(ControlFlow::Poll);
        } else if self.launcher.busy() {
            // A session or comparison runs elsewhere: look at it a few times a second.
            let next = Instant::now() + Duration::from_millis(200);
            event_loop.set_control_flow(ControlFlow::WaitUntil(next));
        } else {
            event_loop.set_control_flow(ControlFlow::Wait);
        }
    }
}
