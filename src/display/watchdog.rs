//! The stall watchdog: a thread outside the render thread that notices when no frame has been
//! shown for [`STALL`] (a compositor that stopped taking frames: a locked or blanked screen, a
//! hidden window, a shell that never shows it; the render thread then waits inside the driver
//! for ever), says so on the console and in the record, and lets the experimenter end the
//! session with Escape or Ctrl+C although the render thread is blocked: the data writer
//! thread saves and closes the session, and the process exits.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::input::WindowInput;

/// Where a stall is written down and a stalled session ended: the session's data writer,
/// which runs on a thread of its own and so still works while the render thread is blocked.
pub trait StallRecord: std::fmt::Debug + Send + Sync {
    /// Adds a note to the session record.
    fn note(&self, note: String);
    /// Ends the session now, as aborted with `note`: the rows saved in this run, or what could
    /// not be saved.
    fn end_now(&self, note: String) -> std::result::Result<usize, String>;
}

/// No frame for this long is a stalled presentation.
pub const STALL: Duration = Duration::from_secs(2);
/// How often the watchdog looks.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// What the watched frames are for, in the lab's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A presented session.
    Session,
    /// `shapelab timing-test`.
    TimingTest,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Session => "the session",
            Task::TimingTest => "the timing test",
        }
    }
}

/// The watchdog's shared state: the render thread beats, the window thread and Ctrl+C ask to
/// end, the watchdog thread looks.
#[derive(Debug)]
pub struct Watchdog {
    task: Task,
    start: Instant,
    /// Nanoseconds after `start` of the last frame, plus one; 0 while not watching.
    last: AtomicU64,
    stalled: AtomicBool,
    lines: Mutex<Lines>,
}

/// Where the watchdog reaches the rest of the program.
#[derive(Debug, Default)]
struct Lines {
    /// The render thread's inputs (Ctrl+C asks to end through them while frames flow).
    input: Option<Sender<WindowInput>>,
    /// The session's data writer, once the session has one.
    writer: Option<Arc<dyn StallRecord>>,
    /// When the current stall began.
    since: Option<Instant>,
    /// A stall that ended, for the render thread to note: its length.
    resumed: Option<Duration>,
}

impl Watchdog {
    /// Starts watching for `task` (from its first frame on).
    pub fn start(task: Task) -> Arc<Watchdog> {
        let watchdog = Arc::new(Watchdog {
            task,
            start: Instant::now(),
            last: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            lines: Mutex::new(Lines::default()),
        });
        let watched = Arc::downgrade(&watchdog);
        // Without the thread frames are not watched, but the session still runs.
        let _ = std::thread::Builder::new()
            .name("shapelab stall watchdog".into())
            .spawn(move || look(&watched));
        watchdog
    }

    /// A frame went through (acquired or presented): the display takes frames.
    pub fn beat(&self) {
        let now = self.start.elapsed().as_nanos() as u64 + 1;
        self.last.store(now, Ordering::Release);
        if self.stalled.swap(false, Ordering::AcqRel) {
            let mut lines = self.lock();
            if let Some(since) = lines.since.take() {
                let stalled = since.elapsed() + STALL;
                eprintln!(
                    "presentation resumed after {:.1} s; {} continues",
                    stalled.as_secs_f64(),
                    self.task.name()
                );
                lines.resumed = Some(stalled);
            }
        }
    }

    /// The instant the watchdog started: the epoch of the session's times and notes.
    pub fn epoch(&self) -> Instant {
        self.start
    }

    /// Stops watching until the next frame (the render thread does other work meanwhile).
    pub fn rest(&self) {
        self.last.store(0, Ordering::Release);
    }

    /// A stall that has ended since the last call, and how long it lasted.
    pub fn take_resumed(&self) -> Option<Duration> {
        self.lock().resumed.take()
    }

    /// Whether frames have stalled now.
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Acquire)
    }

    /// Lets Ctrl+C reach the render thread through the window's input channel.
    pub fn connect_input(&self, input: Sender<WindowInput>) {
        self.lock().input = Some(input);
    }

    /// Lets the watchdog note a stall in the session record, and end the session.
    pub fn connect_writer(&self, writer: Option<Arc<dyn StallRecord>>) {
        self.lock().writer = writer;
    }

    /// Ends the task on Ctrl+C or a second SIGINT: through the render thread when frames
    /// flow (as the window's close button does), else at once ([`Watchdog::end_stalled`]).
    pub fn catch_interrupt(self: &Arc<Watchdog>) {
        let watchdog = self.clone();
        // Without a handler Ctrl+C ends the process as it always did.
        let _ = ctrlc::set_handler(move || {
            if watchdog.stalled() {
                watchdog.end_stalled();
            }
            let sent = watchdog
                .lock()
                .input
                .as_ref()
                .is_some_and(|input| input.send(WindowInput::Close).is_ok());
            if !sent {
                eprintln!("error: interrupted (Ctrl+C)");
                std::process::exit(130);
            }
        });
    }

    /// Ends a stalled task from outside the render thread, which is blocked in the driver:
    /// the session is closed as aborted with everything handed over saved, and the process
    /// exits with code 1 and one line saying what happened.
    pub fn end_stalled(&self) -> ! {
        let writer = self.lock().writer.clone();
        let task = self.task.name();
        let why = format!(
            "the display stopped taking frames ({}); {task} was ended by the experimenter while it could not show frames",
            stall_causes()
        );
        let message = match writer.map(|w| w.end_now(format!("{}: {why}", self.clock()))) {
            None if self.task == Task::TimingTest => format!("{why}; no verdict"),
            None => format!("{why}; nothing was written (the session had not started)"),
            Some(Ok(rows)) => format!(
                "{why}; everything is saved ({rows} rows in this run); continue it with --resume"
            ),
            Some(Err(unsaved)) => format!("{why}; {unsaved}"),
        };
        eprintln!("error: {message}");
        std::process::exit(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seconds since the watchdog started, as the session's notes are stamped.
    fn clock(&self) -> String {
        format!("{:.3} s", self.start.elapsed().as_secs_f64())
    }

    /// Looks once: a stall that has just begun is reported.
    fn look(&self) {
        let last = self.last.load(Ordering::Acquire);
        if last == 0 || self.stalled() {
            return;
        }
        let since = self.start + Duration::from_nanos(last - 1);
        if since.elapsed() < STALL {
            return;
        }
        // The moment first, then the flag: a frame that comes in between sees both.
        self.lock().since = Some(Instant::now());
        self.stalled.store(true, Ordering::Release);
        let message = format!(
            "no frame was shown for {} s: the display stopped taking frames ({}); {} is paused",
            STALL.as_secs(),
            stall_causes(),
            self.task.name()
        );
        let saved = match self.task {
            Task::Session => " (what is saved stays saved)",
            Task::TimingTest => "",
        };
        eprintln!("warning: {message}; press Escape in its window or Ctrl+C here to end it{saved}");
        let lines = self.lock();
        if let Some(writer) = &lines.writer {
            writer.note(format!("{}: {message}", self.clock()));
        }
    }
}

/// What makes a compositor stop taking a window's frames.
fn stall_causes() -> &'static str {
    "screen locked or blanked, window hidden, or not shown by the desktop"
}

fn look(watched: &Weak<Watchdog>) {
    while let Some(watchdog) = watched.upgrade() {
        watchdog.look();
        drop(watchdog);
        std::thread::sleep(LOOK_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_until(what: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + STALL * 3;
        while Instant::now() < deadline {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn frames_that_stop_for_two_seconds_are_a_stall_and_the_next_frame_ends_it() {
        let watchdog = Watchdog::start(Task::TimingTest);
        let begun = Instant::now();
        watchdog.beat();
        assert!(wait_until(|| watchdog.stalled()));
        let noticed = begun.elapsed();
        assert!(
            noticed >= STALL && noticed < STALL + Duration::from_millis(500),
            "{noticed:?}"
        );
        watchdog.beat();
        assert!(!watchdog.stalled());
        let stalled = watchdog.take_resumed().expect("a stall that ended");
        assert!(stalled >= STALL, "{stalled:?}");
        assert_eq!(watchdog.take_resumed(), None);
    }

    #[test]
    fn a_resting_render_thread_or_one_that_never_showed_a_frame_is_no_stall() {
        let watchdog = Watchdog::start(Task::Session);
        std::thread::sleep(STALL + Duration::from_millis(300));
        assert!(!watchdog.stalled(), "no frame yet");
        watchdog.beat();
        watchdog.rest();
        std::thread::sleep(STALL + Duration::from_millis(300));
        assert!(!watchdog.stalled(), "resting");
    }

    #[test]
    fn frames_every_refresh_are_no_stall() {
        let watchdog = Watchdog::start(Task::Session);
        let until = Instant::now() + STALL + Duration::from_millis(500);
        while Instant::now() < until {
            watchdog.beat();
            std::thread::sleep(Duration::from_millis(17));
        }
        assert!(!watchdog.stalled());
    }
}
