//! Wayland presentation feedback (`wp_presentation`, presentation-time): for every frame the
//! compositor says when it was presented, its refresh period, the vblank sequence and how
//! (vsync, hardware clock, hardware completion, zero copy), as Psychtoolbox reads flip
//! timestamps on X11. Requested on the session window's surface through a second event queue
//! on winit's own connection, so that the driver's commit in `queue.present` carries it.

use std::mem::ManuallyDrop;
use std::time::Instant;

use wayland_client::protocol::{wl_registry, wl_surface::WlSurface};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle, WEnum};
use wayland_protocols::wp::presentation_time::client::wp_presentation::{self, WpPresentation};
use wayland_protocols::wp::presentation_time::client::wp_presentation_feedback::{
    self, Kind, WpPresentationFeedback,
};
use winit::window::Window;

/// Whether `window` is a Wayland window: a compositor paces its frames (the driver waits for
/// it in present, whatever rate the output reports).
pub fn is_wayland(window: &Window) -> bool {
    use winit::raw_window_handle::{HasWindowHandle, RawWindowHandle};
    window
        .window_handle()
        .is_ok_and(|h| matches!(h.as_raw(), RawWindowHandle::Wayland(_)))
}

/// When and how the compositor presented one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Presented {
    /// When the frame turned into light, in seconds since the session's epoch (the
    /// compositor's presentation clock, converted).
    pub at: f64,
    /// The same time on the compositor's presentation clock, in microseconds.
    pub clock_us: u64,
    /// The output's refresh period (ns); 0 when the output has no fixed rate.
    pub refresh_ns: u32,
    /// The output's vblank counter at presentation (0 where the output has none).
    pub seq: u64,
    /// How it was presented: the protocol's flags.
    pub flags: Flags,
}

/// The presentation flags of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u32);

impl Flags {
    /// Presented in step with the display's refresh (no tearing).
    pub fn vsync(self) -> bool {
        self.has(Kind::Vsync)
    }

    /// The frame's buffer was scanned out directly (page-flipped), not copied by the
    /// compositor.
    pub fn zero_copy(self) -> bool {
        self.has(Kind::ZeroCopy)
    }

    fn has(self, kind: Kind) -> bool {
        self.0 & kind.bits() != 0
    }

    /// The flags as `vsync|hw_clock|hw_completion|zero_copy`, empty without any.
    pub fn names(self) -> String {
        let names = [
            (Kind::Vsync, "vsync"),
            (Kind::HwClock, "hw_clock"),
            (Kind::HwCompletion, "hw_completion"),
            (Kind::ZeroCopy, "zero_copy"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(kind, _)| self.has(*kind))
            .map(|(_, name)| *name)
            .collect();
        set.join("|")
    }
}

/// What a frame's feedback said: presented, or discarded (replaced before it was shown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Feedback {
    /// Shown.
    Presented(Presented),
    /// Never shown.
    Discarded,
}

impl Feedback {
    /// The presentation, when the frame was shown.
    pub fn shown(&self) -> Option<&Presented> {
        match self {
            Feedback::Presented(p) => Some(p),
            Feedback::Discarded => None,
        }
    }
}

/// What the feedback queue collects between two polls.
#[derive(Debug)]
struct Received {
    epoch: Instant,
    presentation: Option<WpPresentation>,
    /// The compositor's presentation clock (a clockid_t), once it said.
    clock: Option<u32>,
    feedback: Vec<(u64, Feedback)>,
}

/// Presentation feedback for a window's frames.
///
/// The queue and the connection are never destroyed: a feedback object cannot be cancelled,
/// and libwayland would hand the compositor's late answer (read by winit's thread) to a
/// destroyed queue. They are kept until the process ends, which follows the window's close.
pub struct PresentationFeedback {
    _connection: ManuallyDrop<Connection>,
    queue: ManuallyDrop<EventQueue<Received>>,
    surface: WlSurface,
    received: Received,
    /// Feedback requested and not yet answered.
    outstanding: usize,
}

impl PresentationFeedback {
    /// Feedback for `window`'s frames, or why there is none (not a Wayland window, or a
    /// compositor without `wp_presentation`).
    pub fn open(window: &Window, epoch: Instant) -> Result<PresentationFeedback, String> {
        // The connection and surface are used only by the render thread, which ends before
        // the window's event loop (window.rs), and never dropped (see above).
        let (connection, surface) = wayland_handles::wayland_surface(window)?;
        let mut queue = connection.new_event_queue();
        let handle = queue.handle();
        connection.display().get_registry(&handle, ());
        let mut received = Received {
            epoch,
            presentation: None,
            clock: None,
            feedback: Vec::new(),
        };
        // Twice: the globals, then the presentation's clock.
        for _ in 0..2 {
            queue
                .roundtrip(&mut received)
                .map_err(|e| format!("the Wayland connection failed: {e}"))?;
        }
        if received.presentation.is_none() {
            return Err("the compositor offers no wp_presentation".into());
        }
        Ok(PresentationFeedback {
            _connection: ManuallyDrop::new(connection),
            queue: ManuallyDrop::new(queue),
            surface,
            received,
            outstanding: 0,
        })
    }

    /// Where the presentation times come from, for the session record.
    pub fn source(&self) -> String {
        format!(
            "presentation times per frame in the flip log from Wayland's wp_presentation (clock {})",
            self.clock()
        )
    }

    /// The compositor's presentation clock: its clockid_t and name, e.g.
    /// `4 (CLOCK_MONOTONIC_RAW)`, or `unknown`.
    pub fn clock(&self) -> String {
        let name = |id| match id {
            0 => "CLOCK_REALTIME",
            1 => "CLOCK_MONOTONIC",
            4 => "CLOCK_MONOTONIC_RAW",
            7 => "CLOCK_BOOTTIME",
            _ => "another clock",
        };
        self.received
            .clock
            .map_or_else(|| "unknown".into(), |c| format!("{c} ({})", name(c)))
    }

    /// Asks for the feedback of the next frame committed on the surface (the driver commits
    /// it in `queue.present`), to be reported under `key`.
    pub fn request(&mut self, key: u64) {
        if let Some(presentation) = &self.received.presentation {
            presentation.feedback(&self.surface, &self.queue.handle(), key);
            self.outstanding += 1;
            // Sent now, so that it precedes the driver's commit.
            let _ = self.queue.flush();
        }
    }

    /// The feedback that has arrived since the last call, by key; never blocks. The events
    /// are read from the socket by winit's event loop, which reads for every queue: reading
    /// here would wait for that thread whenever it is about to read itself.
    pub fn poll(&mut self) -> Vec<(u64, Feedback)> {
        let _ = self.queue.dispatch_pending(&mut self.received);
        let arrived = std::mem::take(&mut self.received.feedback);
        self.outstanding = self.outstanding.saturating_sub(arrived.len());
        arrived
    }

    /// Whether some frames' feedback has not come yet.
    pub fn waiting(&self) -> bool {
        self.outstanding > 0
    }
}

/// What the feedback on the frames of the refresh measurement says against trusting the
/// window's timing, as Psychtoolbox warns: frames not presented in step with the refresh (no
/// `vsync` flag) or copied by the compositor (no `zero_copy`: not page-flipped).
pub fn page_flip_warning(measured: &[Feedback]) -> Option<String> {
    let presented: Vec<Flags> = measured
        .iter()
        .filter_map(|f| f.shown().map(|p| p.flags))
        .collect();
    let Some(last) = presented.last() else {
        return Some("the compositor gave no presentation feedback on the measured frames".into());
    };
    let flipped = presented
        .iter()
        .filter(|f| f.vsync() && f.zero_copy())
        .count();
    let names = match last.names() {
        n if n.is_empty() => "none".to_string(),
        n => n,
    };
    (flipped < presented.len()).then(|| {
        format!(
            "the compositor did not page-flip the window ({flipped} of {} measured frames with vsync and zero_copy; flags now: {names}): frames are composited and may be shown a refresh late; for sessions use fullscreen with the compositor's unredirection (compositing off)",
            presented.len()
        )
    })
}

impl Dispatch<wl_registry::WlRegistry, ()> for Received {
    fn event(
        state: &mut Self,
        registry: &wl_registry::WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        handle: &QueueHandle<Self>,
    ) {
        if let wl_registry::Event::Global {
            name, interface, ..
        } = event
        {
            if interface == WpPresentation::interface().name && state.presentation.is_none() {
                state.presentation = Some(registry.bind(name, 1, handle, ()));
            }
        }
    }
}

impl Dispatch<WpPresentation, ()> for Received {
    fn event(
        state: &mut Self,
        _: &WpPresentation,
        event: wp_presentation::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wp_presentation::Event::ClockId { clk_id } = event {
            state.clock = Some(clk_id);
        }
    }
}

impl Dispatch<WpPresentationFeedback, u64> for Received {
    fn event(
        state: &mut Self,
        _: &WpPresentationFeedback,
        event: wp_presentation_feedback::Event,
        key: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let feedback = match event {
            wp_presentation_feedback::Event::Presented {
                tv_sec_hi,
                tv_sec_lo,
                tv_nsec,
                refresh,
                seq_hi,
                seq_lo,
                flags,
            } => {
                let secs = (u64::from(tv_sec_hi) << 32) | u64::from(tv_sec_lo);
                let flags = match flags {
                    WEnum::Value(kind) => kind.bits(),
                    WEnum::Unknown(bits) => bits,
                };
                Feedback::Presented(Presented {
                    at: since_epoch(state.clock, secs, tv_nsec, state.epoch),
                    clock_us: secs * 1_000_000 + u64::from(tv_nsec) / 1000,
                    refresh_ns: refresh,
                    seq: (u64::from(seq_hi) << 32) | u64::from(seq_lo),
                    flags: Flags(flags),
                })
            }
            wp_presentation_feedback::Event::Discarded => Feedback::Discarded,
            _ => return,
        };
        state.feedback.push((*key, feedback));
    }
}

/// A time of the compositor's presentation clock `clock` (`secs` s and `nanos` ns) in seconds
/// since `epoch`, read against that clock now.
fn since_epoch(clock: Option<u32>, secs: u64, nanos: u32, epoch: Instant) -> f64 {
    use nix::time::{clock_gettime, ClockId};
    let id = ClockId::from_raw(clock.unwrap_or(1) as nix::libc::clockid_t);
    let (now, clock_now) = (Instant::now(), clock_gettime(id));
    let presented = secs as f64 + f64::from(nanos) * 1e-9;
    let Ok(clock_now) = clock_now else {
        return f64::NAN;
    };
    let clock_now = clock_now.tv_sec() as f64 + clock_now.tv_nsec() as f64 * 1e-9;
    now.saturating_duration_since(epoch).as_secs_f64() - (clock_now - presented)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_as_the_protocol_names_them() {
        assert_eq!(Flags(0).names(), "");
        let flipped = Flags((Kind::Vsync | Kind::ZeroCopy).bits());
        assert_eq!(flipped.names(), "vsync|zero_copy");
        assert!(flipped.vsync() && flipped.zero_copy());
        assert!(!Flags(Kind::HwClock.bits()).vsync());
    }

    #[test]
    fn a_window_that_is_not_page_flipped_is_reported_and_a_flipped_one_is_not() {
        let frame = |flags: u32| {
            Feedback::Presented(Presented {
                at: 0.0,
                clock_us: 0,
                refresh_ns: 16_666_667,
                seq: 1,
                flags: Flags(flags),
            })
        };
        let flipped = (Kind::Vsync | Kind::HwClock | Kind::HwCompletion | Kind::ZeroCopy).bits();
        let composited = (Kind::Vsync | Kind::HwClock | Kind::HwCompletion).bits();
        assert_eq!(
            page_flip_warning(&[frame(flipped), Feedback::Discarded]),
            None
        );
        let warning = page_flip_warning(&[frame(flipped), frame(composited)]).expect("a warning");
        assert!(
            warning.starts_with("the compositor did not page-flip the window (1 of 2 measured frames with vsync and zero_copy; flags now: vsync|hw_clock|hw_completion)"),
            "{warning}"
        );
        assert!(page_flip_warning(&[frame(0)]).is_some_and(|w| w.contains("flags now: none")));
        assert!(page_flip_warning(&[]).is_some_and(|w| w.contains("no presentation feedback")));
    }

    #[test]
    fn a_presentation_time_of_the_monotonic_clock_is_placed_on_the_session_clock() {
        let epoch = Instant::now() - std::time::Duration::from_secs(5);
        let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock");
        // Presented 0.1 s ago: 4.9 s into the session.
        let ns = now.tv_nsec() as u64 + now.tv_sec() as u64 * 1_000_000_000 - 100_000_000;
        let at = since_epoch(
            Some(1),
            ns / 1_000_000_000,
            (ns % 1_000_000_000) as u32,
            epoch,
        );
        assert!((at - 4.9).abs() < 0.01, "{at}");
    }
}
