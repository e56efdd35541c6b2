//! The feedback beep: a generated tone played through rodio without blocking the frame loop.

use std::time::Duration;

use rodio::Source;

use crate::config::Beep;

/// An open audio output that plays the configured beep.
pub struct Beeper {
    sink: rodio::MixerDeviceSink,
    beep: Beep,
}

impl Beeper {
    /// Opens the default audio output; `Err` says why there is none (the session then runs
    /// without sound).
    pub fn open(beep: &Beep) -> Result<Beeper, String> {
        let mut sink = rodio::DeviceSinkBuilder::open_default_sink().map_err(|e| e.to_string())?;
        sink.log_on_drop(false);
        Ok(Beeper {
            sink,
            beep: beep.clone(),
        })
    }

    /// Starts the beep and returns at once; the tone plays on the audio thread.
    pub fn beep(&self) {
        let tone = rodio::source::SineWave::new(self.beep.frequency_hz as f32)
            .take_duration(Duration::from_secs_f64(self.beep.ms / 1000.0))
            .amplify(self.beep.volume as rodio::Float);
        self.sink.mixer().add(tone);
    }
}
