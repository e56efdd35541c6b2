//! The launcher's window: winit + wgpu hosting the egui [`Launcher`]; it draws only when
//! something changes. For the preflight it measures the refresh of the monitor the config's
//! `monitor.select` names, in a window of its own there (see [`measure`]), when the config is
//! loaded, when the config names another monitor, and when the experimenter asks; never while
//! a session runs, and given up when no frame comes for 5 s.

mod measure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::event::{StartCause, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::{Window, WindowId};

use super::{Launcher, Refresh};
use crate::display::gpu::Gpu;
use crate::display::surface::Display;
use crate::error::{Error, Result};
use measure::Measurement;

/// Flips measured for the preflight (the first few are dropped: the window is settling).
const MEASURED_FLIPS: usize = 130;
const SETTLING_FLIPS: usize = 10;

/// Opens the launcher and runs it until its window is closed.
pub fn run(launcher: Launcher) -> Result<()> {
    let event_loop = crate::display::window::event_loop::<()>()?;
    let mut app = App {
        launcher,
        open: None,
        measurement: None,
        error: None,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| Error::new(format!("the launcher's event loop failed: {e}")))?;
    app.error.map_or(Ok(()), Err)
}

struct App {
    launcher: Launcher,
    open: Option<Open>,
    measurement: Option<Measurement>,
    error: Option<Error>,
}

/// The window's next frame, or `None` when there is none to draw now (the surface is
/// reconfigured when it went out of date).
fn next_frame(
    window: &Window,
    gpu: &Gpu,
    display: &mut Display,
) -> Result<Option<wgpu::SurfaceTexture>> {
    use wgpu::CurrentSurfaceTexture as C;
    match display.surface.get_current_texture() {
        C::Success(frame) | C::Suboptimal(frame) => Ok(Some(frame)),
        C::Timeout | C::Occluded => Ok(None),
        C::Outdated | C::Lost => {
            let size = window.inner_size();
            resize(gpu, display, size.width, size.height);
            Ok(None)
        }
        C::Validation => Err(Error::new("the graphics driver refused the window surface")),
    }
}

/// Configures the surface for a window's new size.
fn resize(gpu: &Gpu, display: &mut Display, width: u32, height: u32) {
    display.config.width = width.max(1);
    display.config.height = height.max(1);
    display.surface.configure(&gpu.device, &display.config);
}

/// The window and what draws into it.
struct Open {
    window: Arc<Window>,
    gpu: Gpu,
    display: Display,
    egui: egui_winit::State,
    renderer: egui_wgpu::Renderer,
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
        })
    }

    /// Draws one frame.
    fn redraw(&mut self, launcher: &mut Launcher) -> Result<()> {
        let Some(frame) = next_frame(&self.window, &self.gpu, &mut self.display)? else {
            return Ok(());
        };
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
        queue.present(frame);
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

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        if let Some(measurement) = self.measurement.as_mut().filter(|m| m.window.id() == id) {
            match event {
                WindowEvent::Resized(size) => measurement.resize(size.width, size.height),
                WindowEvent::RedrawRequested => {
                    let verdict = measurement
                        .flip()
                        .unwrap_or_else(|e| Some(Refresh::Failed(e.to_string())));
                    if let Some(verdict) = verdict {
                        // Dropping the measurement closes its window.
                        self.measurement = None;
                        self.launcher.session.refresh = verdict;
                        if let Some(open) = &self.open {
                            open.window.request_redraw();
                        }
                    }
                }
                _ => {}
            }
            return;
        }
        let Some(open) = &mut self.open else {
            return;
        };
        let response = open.egui.on_window_event(&open.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                resize(&open.gpu, &mut open.display, size.width, size.height)
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = open.redraw(&mut self.launcher) {
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
        if self.measurement.is_none() {
            if let Some(request) = self.launcher.session.wanted_measurement() {
                match Measurement::open(event_loop, &request) {
                    Ok(measurement) => self.measurement = Some(measurement),
                    Err(e) => self.launcher.session.refresh = Refresh::Failed(e.to_string()),
                }
                open.window.request_redraw();
            }
        }
        // Redraws may stop coming to a hidden window: the deadline is watched here too.
        if let Some(failed) = self.measurement.as_ref().and_then(Measurement::overdue) {
            self.measurement = None;
            self.launcher.session.refresh = failed;
            open.window.request_redraw();
        }
        if let Some(measurement) = &self.measurement {
            measurement.window.request_redraw();
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
