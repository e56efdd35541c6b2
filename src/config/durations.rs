//! Durations a config may not hold: a phase shorter than one frame is seconds written where
//! milliseconds belong.

/// Why `ms` cannot be a phase at `refresh_hz`, when it is shorter than one frame: most likely
/// seconds written where milliseconds belong (`ms_stim: 0.2`), which would show for a frame.
pub fn shorter_than_a_frame(ms: f64, refresh_hz: f64) -> Option<String> {
    let frame_ms = 1000.0 / refresh_hz;
    if ms >= frame_ms - 1e-9 {
        return None;
    }
    let seconds = if ms < 10.0 {
        format!(" (for {ms} s write {})", ms * 1000.0)
    } else {
        String::new()
    };
    Some(format!(
        "{ms} ms is shorter than one frame ({frame_ms:.1} ms at {refresh_hz} Hz) and would be \
         shown for a whole frame; durations are in milliseconds{seconds}"
    ))
}
