//! The feedback beep: a generated tone played through rodio without blocking the frame loop.

use std::time::Duration;

use rodio::Source;

use crate::config::Beep;

/// Runs `open` with standard error sent to /dev/null: ALSA's library prints pages of its own
/// lines (`ALSA lib pcm.c: Unknown PCM default`, ...) while it looks for an output, which
/// read as errors; the caller says in one line whether there is sound. It runs before the
/// session starts, when nothing else prints.
fn quietly<T>(open: impl FnOnce() -> T) -> T {
    use nix::unistd::{dup, dup2_stderr};
    let Ok(saved) = dup(std::io::stderr()) else {
        return open();
    };
    let muted = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .is_ok_and(|null| dup2_stderr(null).is_ok());
    let result = open();
    if muted {
        // Restoring a descriptor just duplicated does not fail in practice.
        let _ = dup2_stderr(saved);
    }
    result
}

/// Why a session does not start without sound: the beep after every trial without an answer
/// (always, as in the original) and the auditive feedback would be lost.
pub fn no_sound_error(device: &str) -> crate::error::Error {
    crate::error::Error::new(format!(
        "no sound output ({device}): a session beeps after every trial without an answer; \
         connect speakers or headphones, or start it knowingly without sound with \
         --allow-silent (the session record notes it)"
    ))
}

/// An open audio output that plays the configured beep.
pub struct Beeper {
    sink: rodio::MixerDeviceSink,
    beep: Beep,
}

impl Beeper {
    /// Opens the default audio output; `Err` says why there is none (the session then runs
    /// without sound).
    pub fn open(beep: &Beep) -> Result<Beeper, String> {
        let mut sink =
            quietly(rodio::DeviceSinkBuilder::open_default_sink).map_err(|e| e.to_string())?;
        sink.log_on_drop(false);
        Ok(Beeper {
            sink,
            beep: beep.clone(),
        })
    }

    /// Whether the default audio output opens; `Err` is the device's error.
    pub fn check(beep: &Beep) -> Result<(), String> {
        Beeper::open(beep).map(drop)
    }

    /// Starts the beep and returns at once; the tone plays on the audio thread.
    pub fn beep(&self) {
        let tone = rodio::source::SineWave::new(self.beep.frequency_hz as f32)
            .take_duration(Duration::from_secs_f64(self.beep.ms / 1000.0))
            .amplify(self.beep.volume as rodio::Float);
        self.sink.mixer().add(tone);
    }
}
