//! The window: winit's event loop on the main thread, which only timestamps input and passes
//! it on, while the render thread (see `frame_loop`) draws. Because the main thread never
//! waits for the display, a click is timestamped as soon as the system delivers it.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::keyboard::{Key, NamedKey};
use winit::monitor::MonitorHandle;
use winit::window::{Window, WindowId};

use super::input::WindowInput;
use super::watchdog::Watchdog;
use crate::config::Fullscreen;
use crate::error::{Error, Result};
use crate::trials::timeline::Button;

/// How often the window thread looks for input that no wake-up announced (see
/// `about_to_wait`).
const INPUT_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(2);

/// Where and how the session window opens.
#[derive(Debug, Clone)]
pub struct WindowOptions {
    /// A plain window of this physical size (piloting), instead of fullscreen.
    pub windowed: Option<(u32, u32)>,
    /// Monitor index or part of its name.
    pub monitor: String,
    /// Borderless or exclusive fullscreen.
    pub fullscreen: Fullscreen,
    /// The refresh rate exclusive fullscreen should pick.
    pub refresh_hz: f64,
}

/// What the render thread does with the window.
pub type Work<T> =
    Box<dyn FnOnce(Arc<Window>, mpsc::Receiver<WindowInput>, Instant) -> Result<T> + Send>;

struct Finished<T>(Result<T>);

struct App<T: 'static> {
    work: Option<Work<T>>,
    options: WindowOptions,
    proxy: EventLoopProxy<Finished<T>>,
    epoch: Instant,
    sender: Option<mpsc::Sender<WindowInput>>,
    window: Option<Arc<Window>>,
    cursor: (f64, f64),
    /// Buttons down now: cursor motion is passed on only while one is held.
    held: u8,
    result: Option<Result<T>>,
    watchdog: Arc<Watchdog>,
}

/// Gives the process a private `XDG_RUNTIME_DIR` (a 0700 folder of its own in the temporary
/// folder) when it has no valid one, as under `su`, ssh or a bare X server: libwayland,
/// which the graphics drivers probe, otherwise prints `error: XDG_RUNTIME_DIR is invalid or
/// not set` twice per session, which reads as a failure. Call it first thing, before any
/// thread starts (the environment is only safely changed then).
pub fn ensure_runtime_dir() {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let valid = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).is_dir());
    // The owner of /proc/self is this process's user.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return;
    };
    if valid {
        return;
    }
    let dir = std::env::temp_dir().join(format!("shapelab-runtime-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    // Only a folder of this user's that nobody else can enter will do.
    let private = std::fs::symlink_metadata(&dir)
        .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o777 == 0o700);
    if private {
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}

/// Connects to the display. Without a usable Wayland session (no `WAYLAND_DISPLAY`, or no
/// valid `XDG_RUNTIME_DIR` for its socket) X11 is used directly, so that libwayland never
/// prints its `XDG_RUNTIME_DIR is invalid` errors to the experimenter's console.
pub fn event_loop<T: 'static>() -> Result<EventLoop<T>> {
    use winit::platform::x11::EventLoopBuilderExtX11;
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if !set("DISPLAY") && !set("WAYLAND_DISPLAY") && !set("WAYLAND_SOCKET") {
        return Err(Error::new(
            "cannot open a window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is \
             set); start shapelab on the computer's desktop",
        ));
    }
    let runtime_dir_ok =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).is_dir());
    let mut builder = EventLoop::<T>::with_user_event();
    if set("DISPLAY") && !(set("WAYLAND_DISPLAY") && runtime_dir_ok) {
        builder.with_x11();
    }
    builder.build().map_err(|e| {
        Error::new(format!(
            "cannot open a window: {} (is there a display? set DISPLAY or WAYLAND_DISPLAY)",
            without_source_location(&e.to_string())
        ))
    })
}

/// An error text without the `at /path/to/file.rs:123` that winit puts into OS errors: a
/// path into a dependency's source tells the experimenter nothing.
fn without_source_location(text: &str) -> String {
    let Some(at) = text.find(" at /") else {
        return text.to_string();
    };
    match text[at..].find(": ") {
        Some(end) => format!("{}{}", &text[..at], &text[at + end..]),
        None => text[..at].to_string(),
    }
}

/// Opens the window and runs `work` on a render thread; returns its result when it is done.
/// `watchdog` watches the frames: while they are stalled, Escape or closing the window ends
/// the task from this thread, since the render thread cannot.
pub fn run<T: Send + 'static>(
    options: WindowOptions,
    watchdog: Arc<Watchdog>,
    work: Work<T>,
) -> Result<T> {
    let event_loop = event_loop::<Finished<T>>()?;
    let mut app = App {
        work: Some(work),
        options,
        proxy: event_loop.create_proxy(),
        epoch: watchdog.epoch(),
        sender: None,
        window: None,
        cursor: (0.0, 0.0),
        held: 0,
        result: None,
        watchdog,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| Error::new(format!("the window's event loop failed: {e}")))?;
    app.result
        .unwrap_or_else(|| Err(Error::new("the window closed before the session ended")))
}

/// The monitors as `index: name (size, refresh)`.
pub fn list_monitors() -> Result<Vec<String>> {
    struct Lister(Option<Vec<String>>);
    impl ApplicationHandler for Lister {
        fn resumed(&mut self, event_loop: &ActiveEventLoop) {
            let primary = event_loop.primary_monitor();
            let sizes = physical_sizes();
            self.0 = Some(
                event_loop
                    .available_monitors()
                    .enumerate()
                    .map(|(i, m)| {
                        let mm = m.name().and_then(|name| sizes.get(&name).copied());
                        describe(i, &m, primary.as_ref() == Some(&m)) + &physical(mm)
                    })
                    .collect(),
            );
            event_loop.exit();
        }
        fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, _: WindowEvent) {}
    }
    let event_loop = event_loop::<()>()?;
    let mut lister = Lister(None);
    event_loop
        .run_app(&mut lister)
        .map_err(|e| Error::new(format!("cannot list monitors: {e}")))?;
    Ok(lister.0.unwrap_or_default())
}

/// The physical sizes (mm) of the X server's connected outputs, by output name (winit's
/// monitor name on X11), as RandR reports them from the monitors' EDID. Empty without X11.
fn physical_sizes() -> std::collections::HashMap<String, (u32, u32)> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::randr::{Connection, ConnectionExt as _};
    let mut sizes = std::collections::HashMap::new();
    let Ok((conn, screen)) = x11rb::connect(None) else {
        return sizes;
    };
    let Some(root) = conn.setup().roots.get(screen).map(|s| s.root) else {
        return sizes;
    };
    let Ok(Ok(resources)) = conn
        .randr_get_screen_resources_current(root)
        .map(|c| c.reply())
    else {
        return sizes;
    };
    for output in resources.outputs {
        let info = conn
            .randr_get_output_info(output, resources.config_timestamp)
            .map(|c| c.reply());
        if let Ok(Ok(info)) = info {
            if info.connection == Connection::CONNECTED && info.mm_width > 0 && info.mm_height > 0 {
                let name = String::from_utf8_lossy(&info.name).into_owned();
                sizes.insert(name, (info.mm_width, info.mm_height));
            }
        }
    }
    sizes
}

/// A monitor's physical size (`mm`, when the system reports one) for `monitors`.
fn physical(mm: Option<(u32, u32)>) -> String {
    match mm {
        Some((w, h)) => format!(
            ", {:.1} x {:.1} cm (monitor.width_cm: {:.1})",
            f64::from(w) / 10.0,
            f64::from(h) / 10.0,
            f64::from(w) / 10.0
        ),
        None => ", physical size not reported (measure the image's width for monitor.width_cm)"
            .to_string(),
    }
}

/// A monitor in one line.
fn describe(index: usize, monitor: &MonitorHandle, primary: bool) -> String {
    let size = monitor.size();
    let hz = monitor.refresh_rate_millihertz().map_or_else(
        || "unknown refresh".to_string(),
        |mhz| format!("{:.3} Hz", f64::from(mhz) / 1000.0),
    );
    format!(
        "{index}: {} ({}x{}, {hz}){}",
        monitor.name().unwrap_or_else(|| "unnamed".into()),
        size.width,
        size.height,
        if primary { ", primary" } else { "" }
    )
}

/// The monitor `monitor.select` names: its index, or part of its name (case ignored).
pub(crate) fn choose_monitor(event_loop: &ActiveEventLoop, select: &str) -> Result<MonitorHandle> {
    let monitors: Vec<MonitorHandle> = event_loop.available_monitors().collect();
    let found = match select.trim().parse::<usize>() {
        Ok(index) => monitors.get(index).cloned(),
        Err(_) => monitors
            .iter()
            .find(|m| {
                m.name()
                    .is_some_and(|n| n.to_lowercase().contains(&select.to_lowercase()))
            })
            .cloned(),
    };
    found.ok_or_else(|| {
        let names: Vec<String> = monitors
            .iter()
            .enumerate()
            .map(|(i, m)| describe(i, m, false))
            .collect();
        Error::new(format!(
            "monitor.select: no monitor '{select}' (available: {})",
            if names.is_empty() {
                "none".into()
            } else {
                names.join("; ")
            }
        ))
    })
}

impl<T: Send + 'static> App<T> {
    fn open(&mut self, event_loop: &ActiveEventLoop, work: Work<T>) -> Result<()> {
        let mut attributes = Window::default_attributes()
            .with_title("shapelab")
            .with_resizable(false);
        attributes = match self.options.windowed {
            Some((w, h)) => attributes.with_inner_size(winit::dpi::PhysicalSize::new(w, h)),
            None => {
                let monitor = choose_monitor(event_loop, &self.options.monitor)?;
                let fullscreen = match self.options.fullscreen {
                    Fullscreen::Borderless => winit::window::Fullscreen::Borderless(Some(monitor)),
                    Fullscreen::Exclusive => {
                        let size = monitor.size();
                        let wanted = (self.options.refresh_hz * 1000.0).round() as u32;
                        let mode = monitor
                            .video_modes()
                            .filter(|m| m.size() == size)
                            .min_by_key(|m| m.refresh_rate_millihertz().abs_diff(wanted))
                            .ok_or_else(|| Error::new("monitor.fullscreen: the monitor offers no video mode for exclusive fullscreen"))?;
                        winit::window::Fullscreen::Exclusive(mode)
                    }
                };
                attributes.with_fullscreen(Some(fullscreen))
            }
        };
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| Error::new(format!("cannot open the session window: {e}")))?,
        );
        let (sender, receiver) = mpsc::channel();
        let (proxy, epoch, thread_window) = (self.proxy.clone(), self.epoch, window.clone());
        std::thread::Builder::new()
            .name("shapelab render".into())
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(thread_window, receiver, epoch)
                }))
                .unwrap_or_else(|_| {
                    Err(Error::new(
                        "the render thread crashed; completed trials are saved",
                    ))
                });
                let _ = proxy.send_event(Finished(result));
            })
            .map_err(|e| Error::new(format!("cannot start the render thread: {e}")))?;
        self.watchdog.connect_input(sender.clone());
        self.sender = Some(sender);
        self.window = Some(window);
        Ok(())
    }

    fn send(&self, input: WindowInput) {
        let ends = matches!(input, WindowInput::Escape | WindowInput::Close);
        if ends && self.watchdog.stalled() {
            self.watchdog.end_stalled();
        }
        if let Some(sender) = &self.sender {
            let _ = sender.send(input);
        }
    }
}

impl<T: Send + 'static> ApplicationHandler<Finished<T>> for App<T> {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let Some(work) = self.work.take() else {
            return;
        };
        if let Err(e) = self.open(event_loop, work) {
            self.result = Some(Err(e));
            event_loop.exit();
        }
    }

    fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let at = Instant::now();
        match event {
            WindowEvent::CursorMoved { position, .. } => {
                self.cursor = (position.x, position.y);
                if self.held != 0 {
                    self.send(WindowInput::Motion {
                        at,
                        x: position.x,
                        y: position.y,
                    });
                }
            }
            WindowEvent::MouseInput { state, button, .. } => {
                let button = lab_button(button);
                let bit = 1 << button as u8;
                if state == ElementState::Pressed {
                    self.held |= bit;
                    self.send(WindowInput::Click {
                        at,
                        x: self.cursor.0,
                        y: self.cursor.1,
                        button,
                    });
                } else {
                    self.held &= !bit;
                    self.send(WindowInput::Release { at, button });
                }
            }
            WindowEvent::KeyboardInput { event, .. }
                if event.state == ElementState::Pressed && !event.repeat =>
            {
                let input = match event.logical_key.as_ref() {
                    Key::Named(NamedKey::Escape) => Some(WindowInput::Escape),
                    Key::Named(NamedKey::Enter) => Some(WindowInput::Yes),
                    Key::Character(c) if c.eq_ignore_ascii_case("y") => Some(WindowInput::Yes),
                    Key::Character(c) if c.eq_ignore_ascii_case("n") => Some(WindowInput::No),
                    _ => None,
                };
                if let Some(input) = input {
                    self.send(input);
                }
            }
            WindowEvent::Focused(focused) => self.send(WindowInput::Focus(focused)),
            WindowEvent::CloseRequested => self.send(WindowInput::Close),
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        // On X11 the render thread draws through the window's connection: waiting there for
        // the X server (every frame, or for ever on a stalled display) the driver can read the
        // window's input into libxcb's queue, and no wake-up tells this thread, which sleeps
        // on the socket. Looking at the queue this often bounds how late such a click is
        // timestamped, and lets Escape end a stalled session.
        event_loop.set_control_flow(ControlFlow::WaitUntil(Instant::now() + INPUT_LOOK_EVERY));
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, Finished(result): Finished<T>) {
        self.result = Some(result);
        event_loop.exit();
    }
}

/// A winit mouse button in the timeline's terms.
fn lab_button(button: MouseButton) -> Button {
    match button {
        MouseButton::Left => Button::Left,
        MouseButton::Right => Button::Right,
        MouseButton::Middle => Button::Middle,
        _ => Button::Other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reported_physical_size_is_given_in_cm_for_width_cm() {
        assert_eq!(
            super::physical(Some((527, 296))),
            ", 52.7 x 29.6 cm (monitor.width_cm: 52.7)"
        );
        assert!(super::physical(None).contains("not reported"));
    }

    #[test]
    fn an_os_error_is_shown_without_the_source_file_of_the_library() {
        assert_eq!(
            super::without_source_location(
                "os error at /root/.cargo/registry/src/x/winit-0.30.13/src/platform_impl/linux/mod.rs:765: no display"
            ),
            "os error: no display"
        );
        assert_eq!(super::without_source_location("plain"), "plain");
    }
}
