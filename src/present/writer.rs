//! The data writer thread: rows, timing lines and the record are written (and fsynced) here,
//! never on the render thread, so that a slow disk cannot hold a frame on screen. The render
//! thread hands over each frame's events and reads back how many rows are on disk and whether
//! the disk has failed; what cannot be written stays in the recorder's memory, in order, and is
//! retried every [`STORAGE_RETRY`] (or at once when asked).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::data::{Recorder, STORAGE_RETRY};
use crate::error::{Error, Result};
use crate::trials::timeline::Event;
use crate::trials::SessionPlan;

/// Why data cannot be written now, and what waits in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFault {
    /// The error, naming the file.
    pub error: String,
    /// What is kept in memory, in the lab's words.
    pub kept: String,
}

/// What the writer thread tells the render thread.
#[derive(Debug, Default)]
struct Shared {
    /// Rows on disk since the writer started.
    rows_saved: AtomicUsize,
    /// Jobs of events handled (written, or kept in memory after a fault).
    handled: AtomicUsize,
    /// The current storage fault, if any.
    fault: Mutex<Option<StorageFault>>,
}

enum Job {
    Events(Vec<Event>),
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

impl WriterLine {
    /// Adds a note to the session record and saves the record.
    pub fn note(&self, note: String) {
        let _ = self.jobs.send(Job::Note(note));
    }

    /// Ends the session as aborted with `note` in its record once everything handed over is
    /// written; the rows saved, or why some could not be.
    pub fn end_now(&self, note: String) -> std::result::Result<usize, String> {
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
    thread: Option<JoinHandle<Recorder>>,
}

impl DataWriter {
    /// Starts the writer thread over a session's recorder.
    pub fn start(recorder: Recorder, plan: SessionPlan) -> Result<DataWriter> {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("shapelab data writer".into())
            .spawn(move || write_until_closed(recorder, plan, receiver, theirs))
            .map_err(|e| Error::new(format!("cannot start the data writer: {e}")))?;
        Ok(DataWriter {
            jobs: Some(jobs),
            shared,
            rows_sent: 0,
            jobs_sent: 0,
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
        self.jobs = None;
        self.thread
            .take()
            .ok_or_else(|| Error::new("the data writer was already stopped"))?
            .join()
            .map_err(|_| Error::new("the data writer crashed; completed trials are saved"))
    }
}

fn write_until_closed(
    mut recorder: Recorder,
    plan: SessionPlan,
    jobs: mpsc::Receiver<Job>,
    shared: Arc<Shared>,
) -> Recorder {
    let mut faulty = false;
    loop {
        let job = if faulty {
            jobs.recv_timeout(STORAGE_RETRY)
        } else {
            jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        let result = match job {
            Ok(Job::Events(events)) => {
                let result = recorder.handle(&plan, &events);
                shared.handled.fetch_add(1, Ordering::AcqRel);
                result
            }
            Ok(Job::RetryNow) | Err(RecvTimeoutError::Timeout) => recorder.flush(),
            Ok(Job::Note(note)) => {
                recorder.note(note);
                recorder.save()
            }
            Ok(Job::EndNow(note, done)) => {
                recorder.note(note);
                let ended = [Event::SessionEnded { aborted: true }];
                let result = recorder.handle(&plan, &ended);
                let _ =
                    done.send(match &result {
                        Ok(()) => Ok(recorder.rows_saved()),
                        Err(e) => Err(super::storage_pause::end_unsaved(&recorder, &e.to_string())
                            .to_string()),
                    });
                result
            }
            // Closed while the disk fails: what is unsaved stays in the recorder's memory.
            Err(RecvTimeoutError::Disconnected) if faulty => break,
            Err(RecvTimeoutError::Disconnected) => {
                let _ = recorder.flush();
                break;
            }
        };
        shared
            .rows_saved
            .store(recorder.rows_saved(), Ordering::Release);
        faulty = result.is_err();
        if let Ok(mut fault) = shared.fault.lock() {
            *fault = result.err().map(|e| StorageFault {
                error: e.to_string(),
                kept: recorder.kept_in_memory(),
            });
        }
    }
    recorder
}
