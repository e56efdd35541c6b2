//! The data writer thread: rows, timing lines, the record and the flip log are written (and
//! fsynced) here, never on the render thread, so that a slow disk cannot hold a frame on
//! screen. The render
//! thread hands over each frame's events and reads back how many rows are on disk and whether
//! the disk has failed; what cannot be written stays in the recorder's memory, in order, and is
//! retried every [`STORAGE_RETRY`] (or at once when asked).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::storage_pause::StorageFault;
use crate::data::flip_log::{Flip, FlipLogWriter};
use crate::data::{Recorder, STORAGE_RETRY};
use crate::display::watchdog::StallRecord;
use crate::error::{Error, Result};
use crate::timing::flips::FlipLog;
use crate::timing::retime::retime;
use crate::trials::timeline::{Event, TrialTiming};
use crate::trials::Disturbance;
use crate::trials::SessionPlan;

/// What the writer thread tells the render thread.
#[derive(Debug, Default)]
struct Shared {
    /// Rows on disk since the writer started.
    rows_saved: AtomicUsize,
    /// Jobs of events handled (written, or kept in memory after a fault).
    handled: AtomicUsize,
    /// The current storage fault, if any.
    fault: Mutex<Option<StorageFault>>,
    /// Timing lines (and the session's end) held until the display server has reported
    /// their frames; a stalled session that is ended writes them with their estimates.
    held: Mutex<VecDeque<Event>>,
    /// The timing so far of a trial whose row is written and whose line is not handed out.
    unwritten: Mutex<Option<TrialTiming>>,
    /// Flips logged and not yet sent as a batch: a session ended from outside writes them.
    batch: Mutex<Vec<Flip>>,
}

impl Shared {
    fn held(&self) -> MutexGuard<'_, VecDeque<Event>> {
        lock(&self.held)
    }
}

/// The timing lines kept for a session that ends before their frames were reported or their
/// trial was over, marked `frame_timeout` (their onsets stay estimates), and whether the
/// session's own end was among them (every trial done).
fn kept_lines(shared: &Shared) -> (Vec<Event>, bool) {
    let mut completed = false;
    let mut lines: Vec<TrialTiming> = Vec::new();
    for event in shared.held().drain(..) {
        match event {
            Event::TrialTimed(timing) => lines.push(timing),
            Event::SessionEnded { aborted } => completed = !aborted,
            _ => {}
        }
    }
    let unwritten = lock(&shared.unwritten).take();
    lines.extend(unwritten.filter(|u| lines.iter().all(|l| l.index != u.index)));
    let events = lines
        .into_iter()
        .map(|mut timing| {
            timing.disturbed.insert(Disturbance::FrameTimeout);
            Event::TrialTimed(timing)
        })
        .collect();
    (events, completed)
}

/// Locks `mutex`, also when a thread panicked holding it (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Flips handed to the writer at a time (a second at 60 Hz), one synced write each.
const FLIPS_PER_BATCH: usize = 60;

enum Job {
    Events(Vec<Event>),
    Flips(Vec<Flip>),
    RetryNow,
    /// A note for the record, written at once.
    Note(String),
    /// End the session now (the render thread cannot): note why, mark it aborted, save
    /// everything, and answer with what was saved.
    EndNow(String, Sender<std::result::Result<usize, String>>),
}

/// A line to the writer thread from outside the render thread (the stall watchdog), for a
/// session whose render thread is blocked in the graphics driver.
#[derive(Debug, Clone)]
pub struct WriterLine {
    jobs: Sender<Job>,
}

/// How long ending a stalled session waits for its data to be saved.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl StallRecord for WriterLine {
    /// Adds a note to the session record and saves the record.
    fn note(&self, note: String) {
        let _ = self.jobs.send(Job::Note(note));
    }

    /// Ends the session as aborted with `note` in its record once everything handed over is
    /// written; the rows saved, or why some could not be.
    fn end_now(&self, note: String) -> std::result::Result<usize, String> {
        let (done, answer) = mpsc::channel();
        self.jobs
            .send(Job::EndNow(note, done))
            .map_err(|_| "the data writer has stopped".to_string())?;
        answer
            .recv_timeout(END_WAIT)
            .map_err(|_| "the data writer did not finish in time".to_string())?
    }
}

/// The render thread's handle on the writer thread.
pub struct DataWriter {
    jobs: Option<Sender<Job>>,
    shared: Arc<Shared>,
    rows_sent: usize,
    jobs_sent: usize,
    /// Flips handed over so far (to the batch or the thread).
    flips_handed: usize,
    thread: Option<JoinHandle<Recorder>>,
}

impl DataWriter {
    /// Starts the run's flip log and the writer thread over a session's recorder.
    pub fn start(mut recorder: Recorder, plan: SessionPlan) -> Result<DataWriter> {
        let flip_log = recorder.open_flip_log()?;
        let (jobs, receiver) = mpsc::channel::<Job>();
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let files = Files {
            recorder,
            flip_log,
            flip_log_failing: false,
        };
        let thread = std::thread::Builder::new()
            .name("shapelab data writer".into())
            .spawn(move || write_until_closed(files, plan, receiver, theirs))
            .map_err(|e| Error::new(format!("cannot start the data writer: {e}")))?;
        Ok(DataWriter {
            jobs: Some(jobs),
            shared,
            rows_sent: 0,
            jobs_sent: 0,
            flips_handed: 0,
            thread: Some(thread),
        })
    }

    /// Hands over a frame's events (rows, timing, the end of the session).
    pub fn send(&mut self, events: &[Event]) {
        let wanted = |e: &Event| {
            matches!(
                e,
                Event::TrialResponded(_) | Event::TrialTimed(_) | Event::SessionEnded { .. }
            )
        };
        if !events.iter().any(wanted) {
            return;
        }
        self.rows_sent += events
            .iter()
            .filter(|e| matches!(e, Event::TrialResponded(_)))
            .count();
        let events: Vec<Event> = events.iter().copied().filter(wanted).collect();
        if let Some(jobs) = &self.jobs {
            self.jobs_sent += 1;
            let _ = jobs.send(Job::Events(events));
        }
    }

    /// Holds a frame's timing lines and the session's end until the display server has
    /// reported their frames (see [`DataWriter::release_settled`]).
    pub fn hold(&mut self, events: impl IntoIterator<Item = Event>) {
        self.shared.held().extend(events);
    }

    /// Hands over the held timing lines whose frames are all settled in `flips`, re-timed
    /// from the display server's reports, and what waited behind them.
    pub fn release_settled(&mut self, flips: &FlipLog) {
        let mut ready = Vec::new();
        {
            let mut held = self.shared.held();
            while let Some(mut event) = held.pop_front() {
                if let Event::TrialTimed(timing) = &mut event {
                    if timing.end_frame >= flips.settled() {
                        held.push_front(event);
                        break;
                    }
                    retime(timing, flips);
                }
                ready.push(event);
            }
        }
        self.send(&ready);
    }

    /// The timing so far of the trial whose row is written and whose timing line is not
    /// handed out yet, if any (see [`crate::trials::timeline::Timeline::unwritten_timing`]).
    pub fn unwritten(&mut self, timing: Option<TrialTiming>) {
        *lock(&self.shared.unwritten) = timing;
    }

    /// Whether timing lines are held for the display server's reports.
    pub fn holding(&self) -> bool {
        !self.shared.held().is_empty()
    }

    /// Logs a flip; the flips go to the writer every [`FLIPS_PER_BATCH`] frames.
    pub fn flip(&mut self, flip: Flip) {
        self.flips_handed += 1;
        let full = {
            let mut batch = lock(&self.shared.batch);
            batch.push(flip);
            batch.len() >= FLIPS_PER_BATCH
        };
        if full {
            self.send_flips();
        }
    }

    /// Flips logged so far.
    pub fn flips_logged(&self) -> usize {
        self.flips_handed
    }

    fn send_flips(&mut self) {
        let batch = std::mem::take(&mut *lock(&self.shared.batch));
        if let (Some(jobs), false) = (&self.jobs, batch.is_empty()) {
            let _ = jobs.send(Job::Flips(batch));
        }
    }

    /// Whether every row handed over is on disk.
    pub fn rows_saved(&self) -> bool {
        self.shared.rows_saved.load(Ordering::Acquire) >= self.rows_sent
    }

    /// Whether everything handed over is on disk.
    pub fn idle(&self) -> bool {
        self.shared.handled.load(Ordering::Acquire) >= self.jobs_sent
            && self.rows_saved()
            && self.fault().is_none()
    }

    /// The storage fault the writer is waiting out, if any.
    pub fn fault(&self) -> Option<StorageFault> {
        self.shared.fault.lock().map_or(None, |fault| fault.clone())
    }

    /// A line to the writer thread for the stall watchdog.
    pub fn line(&self) -> Option<WriterLine> {
        self.jobs
            .as_ref()
            .map(|jobs| WriterLine { jobs: jobs.clone() })
    }

    /// Asks the writer to try again at once.
    pub fn retry_now(&self) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Job::RetryNow);
        }
    }

    /// Stops taking events and returns the recorder once everything it could write is written
    /// (a storage fault that persists is left in the recorder's memory).
    pub fn finish(mut self) -> Result<Recorder> {
        // A session that ended with an error may leave timing lines kept for their rows.
        let (lines, _) = kept_lines(&self.shared);
        self.send(&lines);
        self.send_flips();
        self.jobs = None;
        self.thread
            .take()
            .ok_or_else(|| Error::new("the data writer was already stopped"))?
            .join()
            .map_err(|_| Error::new("the data writer crashed; completed trials are saved"))
    }
}

/// What the writer thread writes to.
struct Files {
    recorder: Recorder,
    flip_log: FlipLogWriter,
    /// The flip log's last write failed (said once on the console, not again until it works).
    flip_log_failing: bool,
}

impl Files {
    /// Writes flips. The flip log documents the frames; unlike the rows and timing it does
    /// not pause the session when it cannot be written: its flips wait in memory.
    fn flips(&mut self, batch: &[Flip]) {
        match self.flip_log.append(batch) {
            Ok(()) if self.flip_log_failing => {
                self.flip_log_failing = false;
                eprintln!(
                    "the flip log is written again: {}",
                    self.flip_log.path().display()
                );
            }
            Ok(()) => {}
            Err(e) if !self.flip_log_failing => {
                self.flip_log_failing = true;
                eprintln!(
                    "warning: the flip log is not on disk ({e}); its flips wait in memory \
                     and are tried again with the next frames"
                );
            }
            Err(_) => {}
        }
    }

    /// At the end: the flips still waiting are written, and what the flip log could not take
    /// is noted in the record.
    fn close(mut self, waiting: &[Flip]) -> Recorder {
        self.flips(waiting);
        let unsaved = self.flip_log.unsaved();
        if unsaved > 0 {
            self.recorder.note(format!(
                "the last {unsaved} flips could not be written to the flip log {}",
                self.flip_log.path().display()
            ));
        }
        self.recorder
    }
}

/// When the writer tries failed writes again: [`STORAGE_RETRY`] after the fault and every
/// [`STORAGE_RETRY`] after that, whatever else arrives meanwhile (flip batches arrive every
/// second or faster and must not put the retry off).
#[derive(Debug, Default)]
struct Retry {
    at: Option<Instant>,
}

impl Retry {
    /// How long the writer may wait for a job: `None` for as long as it takes.
    fn wait(&self, now: Instant) -> Option<Duration> {
        self.at.map(|at| at.saturating_duration_since(now))
    }

    /// Whether a retry is due.
    fn due(&self, now: Instant) -> bool {
        self.at.is_some_and(|at| now >= at)
    }

    /// After a write: on failure, the next retry stays where it was, or is set if it was due
    /// or none was pending; on success there is none.
    fn after(&mut self, failed: bool, now: Instant) {
        self.at = match self.at {
            _ if !failed => None,
            Some(at) if at > now => Some(at),
            _ => Some(now + STORAGE_RETRY),
        };
    }
}

fn write_until_closed(
    mut files: Files,
    plan: SessionPlan,
    jobs: mpsc::Receiver<Job>,
    shared: Arc<Shared>,
) -> Recorder {
    let mut retry = Retry::default();
    // Flips wait here while rows, timing or the record cannot be written (they must not take
    // the space those need) and while events are queued (a row must not wait for them).
    let mut flips: Vec<Flip> = Vec::new();
    loop {
        let now = Instant::now();
        let job = match retry.wait(now) {
            Some(wait) => jobs.recv_timeout(wait),
            None if !flips.is_empty() => match jobs.try_recv() {
                Ok(job) => Ok(job),
                Err(TryRecvError::Empty) => {
                    files.flips(&std::mem::take(&mut flips));
                    continue;
                }
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            },
            None => jobs.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let result = match job {
            Ok(Job::Events(events)) => {
                let result = files.recorder.handle(&plan, &events);
                shared.handled.fetch_add(1, Ordering::AcqRel);
                Some(result)
            }
            Ok(Job::Flips(batch)) => {
                flips.extend(batch);
                None
            }
            Ok(Job::RetryNow) | Err(RecvTimeoutError::Timeout) => Some(files.recorder.flush()),
            Ok(Job::Note(note)) => {
                files.recorder.note(note);
                Some(files.recorder.save())
            }
            Ok(Job::EndNow(note, done)) => {
                // The process ends after the answer: the flips waiting here and in the batch not
                // yet sent go first, and the timing lines still waiting for their frames'
                // reports keep their estimates, marked as trials whose frames stalled.
                files.flips(&std::mem::take(&mut flips));
                files.flips(&std::mem::take(&mut *lock(&shared.batch)));
                files.recorder.note(note);
                let (mut ended, completed) = kept_lines(&shared);
                ended.push(Event::SessionEnded {
                    aborted: !completed,
                });
                let result = files.recorder.handle(&plan, &ended);
                let _ = done.send(match &result {
                    Ok(()) => Ok(files.recorder.rows_saved()),
                    Err(e) => Err(super::storage_pause::end_unsaved(
                        &files.recorder,
                        &e.to_string(),
                    )
                    .to_string()),
                });
                Some(result)
            }
            // Closed while the disk fails: what is unsaved stays in the recorder's memory.
            Err(RecvTimeoutError::Disconnected) if retry.at.is_some() => break,
            Err(RecvTimeoutError::Disconnected) => {
                let _ = files.recorder.flush();
                break;
            }
        };
        let now = Instant::now();
        let result = match result {
            None if retry.due(now) => files.recorder.flush(),
            None => continue,
            Some(result) => result,
        };
        retry.after(result.is_err(), now);
        shared
            .rows_saved
            .store(files.recorder.rows_saved(), Ordering::Release);
        if let Ok(mut fault) = shared.fault.lock() {
            *fault = result.err().map(|e| StorageFault {
                error: e.to_string(),
                kept: files.recorder.kept_in_memory(),
            });
        }
    }
    files.close(&flips)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(index: usize) -> TrialTiming {
        TrialTiming {
            index,
            phases: Default::default(),
            disturbed: Default::default(),
            click: None,
            end_frame: 100 * index as u64,
        }
    }

    #[test]
    fn a_session_ended_early_keeps_each_rows_timing_line_once_marked_as_its_frames_stalled() {
        let shared = Shared::default();
        // Trial 0's line waits for its frames' reports, behind it the session's end; trial
        // 1's row is written and its line not yet (twice: once as it was also held).
        shared.held().extend([
            Event::TrialTimed(timing(0)),
            Event::SessionEnded { aborted: false },
        ]);
        *lock(&shared.unwritten) = Some(timing(1));
        let (lines, completed) = kept_lines(&shared);
        let indices: Vec<usize> = lines
            .iter()
            .map(|e| match e {
                Event::TrialTimed(t) => {
                    assert!(t.disturbed.contains(Disturbance::FrameTimeout));
                    t.index
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(indices, [0, 1]);
        assert!(completed, "every trial was done");
        // Taken once: nothing is kept a second time.
        assert_eq!(kept_lines(&shared), (Vec::new(), false));
        shared.held().push_back(Event::TrialTimed(timing(1)));
        *lock(&shared.unwritten) = Some(timing(1));
        assert_eq!(kept_lines(&shared).0.len(), 1, "one line per trial");
    }

    #[test]
    fn a_failed_write_is_retried_a_second_later_however_often_flips_arrive() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut retry = Retry::default();
        assert_eq!(retry.wait(at(0)), None, "no fault: wait for the next job");
        retry.after(true, at(0));
        // Flip batches at 120 Hz come every 0.5 s; none of them moves the retry.
        assert!(!retry.due(at(500)));
        assert_eq!(
            retry.wait(at(500)),
            Some(STORAGE_RETRY - Duration::from_millis(500))
        );
        assert!(retry.due(at(1000)));
        // An event that fails meanwhile is kept in memory; the retry stays where it was.
        retry.after(true, at(700));
        assert!(retry.due(at(1000)));
        // The retry fails: the next is a second later.
        retry.after(true, at(1000));
        assert!(!retry.due(at(1999)));
        assert!(retry.due(at(2000)));
        // It works: no retry pending.
        retry.after(false, at(2000));
        assert!(!retry.due(at(5000)));
        assert_eq!(retry.wait(at(5000)), None);
    }
}
