//! Reads the X11 Present extension's CompleteNotify events of the session window on
//! shapelab's own X connection: the X server sends them to every client that selected them on
//! the window, so they arrive for the presents the Vulkan driver makes (Mesa's RADV and ANV
//! present through `PresentPixmap`). A thread reads them and hands them to the render thread.

use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use winit::raw_window_handle::{HasWindowHandle, RawWindowHandle};
use winit::window::Window;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::present::{self, CompleteKind, CompleteMode, ConnectionExt as _};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use std::time::Instant;

use super::flips::FlipLog;
use super::server_times::{
    x11_description, Completion, Matcher, MonotonicClock, PresentMode, PresentedFrame, Settled,
    Tally,
};

/// How often the reading thread looks whether it is to stop (ms).
const STOP_CHECK_MS: u16 = 50;

/// The session window's Present events, read on a thread until dropped.
pub struct PresentWatcher {
    events: Receiver<Completion>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The X11 window id of `window`, when it is an X11 window.
fn x11_window(window: &Window) -> Option<u32> {
    match window.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(h) => u32::try_from(h.window).ok(),
        RawWindowHandle::Xcb(h) => Some(h.window.get()),
        _ => None,
    }
}

impl PresentWatcher {
    /// Selects CompleteNotify on the X11 window `window` and starts reading; says why not
    /// when the X server cannot be reached or has no Present extension.
    pub fn start(window: u32) -> Result<PresentWatcher, String> {
        let (conn, _) =
            x11rb::connect(None).map_err(|e| format!("cannot connect to the X server: {e}"))?;
        if conn
            .extension_information(present::X11_EXTENSION_NAME)
            .ok()
            .flatten()
            .is_none()
        {
            return Err("the X server has no Present extension".into());
        }
        let selected = (|| {
            conn.present_query_version(1, 2)?.reply()?;
            let eid = conn.generate_id()?;
            conn.present_select_input(eid, window, present::EventMask::COMPLETE_NOTIFY)?
                .check()?;
            Ok::<_, x11rb::errors::ReplyOrIdError>(())
        })();
        selected.map_err(|e| format!("cannot select Present events on the window: {e}"))?;
        let (sender, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let theirs = stop.clone();
        let thread = std::thread::Builder::new()
            .name("shapelab present events".into())
            .spawn(move || read_events(&conn, window, &sender, &theirs))
            .map_err(|e| format!("cannot start the Present event reader: {e}"))?;
        Ok(PresentWatcher {
            events,
            stop,
            thread: Some(thread),
        })
    }

    /// The events received since the last call.
    pub fn take(&self) -> impl Iterator<Item = Completion> + '_ {
        self.events.try_iter()
    }
}

impl Drop for PresentWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads events until asked to stop, the render thread is gone, or the connection fails.
fn read_events(conn: &RustConnection, window: u32, to: &Sender<Completion>, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        loop {
            match conn.poll_for_event() {
                Ok(Some(Event::PresentCompleteNotify(e)))
                    if e.kind == CompleteKind::PIXMAP && e.window == window =>
                {
                    let completion = Completion {
                        serial: e.serial,
                        ust_us: e.ust,
                        msc: e.msc,
                        mode: mode(e.mode),
                    };
                    if to.send(completion).is_err() {
                        return;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        let mut fds = [nix::poll::PollFd::new(
            conn.stream().as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        if nix::poll::poll(&mut fds, STOP_CHECK_MS).is_err() {
            return;
        }
    }
}

fn mode(mode: CompleteMode) -> PresentMode {
    match mode {
        CompleteMode::FLIP => PresentMode::Flip,
        CompleteMode::SKIP => PresentMode::Skip,
        CompleteMode::SUBOPTIMAL_COPY => PresentMode::SuboptimalCopy,
        _ => PresentMode::Copy,
    }
}

/// Set to `any-client` (a diagnostic, for tests with a second client presenting on the
/// window): the events are used whenever any come, even though they do not complete most of
/// shapelab's own presents; each is matched to shapelab's newest present before it (see
/// [`Matcher::for_other_clients`]).
pub const ANY_CLIENT_VAR: &str = "SHAPELAB_PRESENT_EVENTS";

/// The presentation times of a session window on X11: the event reader, the matching of its
/// events to shapelab's presents, and which present is which flip of the flip log.
pub struct X11Times {
    watcher: PresentWatcher,
    matcher: Matcher,
    clock: MonotonicClock,
    /// Presents made so far; the next one's number.
    presents: u64,
    /// The number of the present of the flip log's flip 0, once the measurement is over.
    first_flip: Option<u64>,
    /// The refresh measurement's presents.
    tally: Tally,
    any_client: bool,
}

impl X11Times {
    /// Starts reading the Present events of `window`: `Ok(None)` when it is no X11 window.
    pub fn start(window: &Window) -> Result<Option<X11Times>, String> {
        let Some(id) = x11_window(window) else {
            return Ok(None);
        };
        let clock = MonotonicClock::now().ok_or("CLOCK_MONOTONIC cannot be read")?;
        let any_client = std::env::var(ANY_CLIENT_VAR).is_ok_and(|v| v == "any-client");
        Ok(Some(X11Times {
            watcher: PresentWatcher::start(id)?,
            matcher: match any_client {
                true => Matcher::for_other_clients(),
                false => Matcher::default(),
            },
            clock,
            presents: 0,
            first_flip: None,
            tally: Tally::default(),
            any_client,
        }))
    }

    /// A present is about to be made, at `at`.
    pub fn presenting(&mut self, at: Instant) {
        self.matcher.presented(self.presents, self.clock.us(at));
        if self.first_flip.is_none() {
            self.tally.presents += 1;
        }
        self.presents += 1;
    }

    /// Acquiring a frame returned at `now` after waiting `waited`: after a stall the presents
    /// waiting for events wait [`super::server_times::GIVE_UP`] from now.
    pub fn acquired(&mut self, now: Instant, waited: std::time::Duration) {
        if waited >= super::server_times::STALLED_WAIT {
            self.matcher.stall_ended(self.clock.us(now));
        }
    }

    /// The swapchain was recreated: the driver numbers the next presents anew.
    pub fn swapchain_recreated(&mut self) {
        self.matcher.swapchain_recreated();
    }

    /// Takes the events received so far and settles the flips they complete in `flips`
    /// (times in seconds since `epoch`).
    pub fn collect(&mut self, flips: &mut FlipLog, epoch: Instant) {
        let mut settled = Vec::new();
        for event in self.watcher.take() {
            self.matcher.completed(event, &mut settled);
        }
        let now = self.clock.us(Instant::now());
        self.matcher.give_up_stale(now, &mut settled);
        for s in settled {
            let (id, completion) = match s {
                Settled::Completed(id, c) => (id, Some(c)),
                Settled::GivenUp(id) => (id, None),
            };
            let Some(first) = self.first_flip else {
                if let Some(c) = completion {
                    self.tally.completed += 1;
                    self.tally.copied += usize::from(c.mode.copied());
                }
                continue;
            };
            let Some(flip) = id.checked_sub(first).and_then(|f| usize::try_from(f).ok()) else {
                continue;
            };
            let frame = completion.map(|completion| PresentedFrame {
                completion,
                onset: self.clock.seconds_since(epoch, completion.ust_us),
            });
            flips.settle(flip, frame);
        }
    }

    /// Ends the refresh measurement once its last events had time to come: whether the
    /// events can time the session (`Ok(copied)`, see [`Tally::verdict`]), or why not. The
    /// next present is the flip log's flip 0.
    pub fn end_measurement(&mut self, flips: &mut FlipLog, epoch: Instant) -> Result<bool, String> {
        let deadline = Instant::now() + MEASUREMENT_EVENTS;
        while self.matcher.waiting() > 0 && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
            self.collect(flips, epoch);
        }
        self.matcher.give_up_all();
        self.first_flip = Some(self.presents);
        self.tally.verdict("X11 Present events", self.any_client)
    }

    /// The record's description of these timestamps.
    pub fn description(&self, copied: bool) -> String {
        let mut text = x11_description(copied);
        if self.any_client {
            text.push_str(&format!(
                " (diagnostic {ANY_CLIENT_VAR}=any-client: other clients' presents)"
            ));
        }
        text
    }
}

/// How long the last events of the refresh measurement may take to come.
const MEASUREMENT_EVENTS: std::time::Duration = std::time::Duration::from_millis(200);
