//! The stimulus loader thread: decodes each trial's image and makes its mask ahead of time, in
//! trial order, so that the render thread only uploads them during the trial's fixation.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

use crate::config::MaskParams;
use crate::error::{Error, Result};
use crate::stimuli::load_rgba;
use crate::stimuli::mask::{Mask, MaskGenerator};
use crate::trials::Trial;

/// One trial's stimulus pixels and mask, ready to upload.
#[derive(Debug)]
pub struct Prepared {
    /// Index in the plan.
    pub index: usize,
    /// The stimulus as RGBA.
    pub rgba: Vec<u8>,
    /// The trial's mask.
    pub mask: Mask,
}

/// Trials prepared ahead of the one on screen.
const AHEAD: usize = 2;

/// The render thread's handle on the loader thread.
pub struct Preloader {
    ready: Receiver<Result<Prepared>>,
    waiting: Option<Prepared>,
    _thread: JoinHandle<()>,
}

impl Preloader {
    /// Starts preparing `trials[first..]` in order.
    pub fn start(trials: Vec<Trial>, first: usize, size: u32, mask: &MaskParams) -> Result<Self> {
        let (sender, ready) = mpsc::sync_channel(AHEAD);
        let mut masks = MaskGenerator::new(mask);
        let thread = std::thread::Builder::new()
            .name("shapelab stimulus loader".into())
            .spawn(move || prepare_all(&trials, first, size, &mut masks, &sender))
            .map_err(|e| Error::new(format!("cannot start the stimulus loader: {e}")))?;
        Ok(Preloader {
            ready,
            waiting: None,
            _thread: thread,
        })
    }

    /// Trial `index`'s data when it is ready (`None` while it is being made); an image that
    /// cannot be read is an error.
    pub fn take(&mut self, index: usize) -> Result<Option<Prepared>> {
        if self.waiting.is_none() {
            match self.ready.try_recv() {
                Ok(prepared) => self.waiting = Some(prepared?),
                Err(TryRecvError::Empty) => return Ok(None),
                Err(TryRecvError::Disconnected) => {
                    return Err(Error::new("the stimulus loader stopped early"))
                }
            }
        }
        match self.waiting.take() {
            Some(p) if p.index == index => Ok(Some(p)),
            Some(p) if p.index > index => {
                self.waiting = Some(p);
                Ok(None)
            }
            // An earlier trial's data nobody asked for (it cannot happen in order): skip it.
            Some(_) => self.take(index),
            None => Ok(None),
        }
    }
}

fn prepare_all(
    trials: &[Trial],
    first: usize,
    size: u32,
    masks: &mut MaskGenerator,
    ready: &SyncSender<Result<Prepared>>,
) {
    for (index, trial) in trials.iter().enumerate().skip(first) {
        let prepared = load_rgba(&trial.stimulus.path, size).map(|rgba| Prepared {
            index,
            rgba,
            mask: masks.generate(trial.mask_seed),
        });
        let failed = prepared.is_err();
        // The session ended: nobody waits for more.
        if ready.send(prepared).is_err() || failed {
            return;
        }
    }
}
