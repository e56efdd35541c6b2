//! The flip log of an on-screen run: the time of every frame it showed, written as the session
//! goes (a batch of flips every 60 frames, synced to disk), so that a run killed from
//! outside keeps the frames it showed. Every run of a session has its own flip log (see
//! [`super::paths::SessionPaths::flips_of_run`]): a resumed run never touches the log of the
//! run before it.

use std::fmt::Write as _;
use std::path::Path;

use super::synced::SyncedFile;
use crate::error::Result;

/// The flip log's header: flip number, time (s on the session's clock), interval since the
/// previous flip (ms; empty for the first); then, where the display server reported the flip:
/// its timestamp in µs (`ust_us`: X11 Present's ust on CLOCK_MONOTONIC, or Wayland's
/// presentation time on the compositor's clock), the vertical blank count (`msc`:
/// Present's msc, or Wayland's sequence as the compositor gave it: 0 where it counts none,
/// and the timing log then counts refreshes from `presented_s` intervals in frames of the
/// pace the session record names), how it was shown (`present_mode`: X11's `flip`,
/// `copy` or `skip`; Wayland's flags joined by `|`, or `discarded`), that timestamp in session
/// seconds (`presented_s`) and the refresh period the compositor gave (`refresh_ms`,
/// Wayland); each empty where there is none.
pub const HEADER: &str = "flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms";

/// How the display server says a flip was presented.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    /// The display server's timestamp (µs): X11 Present's ust, Wayland's presentation time.
    pub ust_us: Option<u64>,
    /// The vertical blank count (X11 msc, Wayland sequence).
    pub vblank: Option<u64>,
    /// How it was shown.
    pub mode: String,
    /// The presentation time on the session's clock (s).
    pub onset_s: Option<f64>,
    /// The refresh period the compositor gave (ms).
    pub refresh_ms: Option<f64>,
}

/// One flip of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Flip {
    /// When the frame was acquired (s on the session's clock).
    pub time_s: f64,
    /// How it was presented, where the display server said so.
    pub presented: Option<Presentation>,
}

/// Appends flips to a run's flip log; what cannot be written waits in memory for the next
/// batch.
#[derive(Debug)]
pub struct FlipLogWriter {
    file: SyncedFile,
    /// Flips on disk.
    written: usize,
    /// The last flip on disk, for the next interval.
    previous: Option<f64>,
    /// Flips not yet on disk, in order.
    unsaved: Vec<Flip>,
}

impl FlipLogWriter {
    /// Starts a new flip log; refuses to touch an existing file.
    pub fn create(path: &Path) -> Result<FlipLogWriter> {
        Ok(FlipLogWriter {
            file: SyncedFile::create(path, HEADER)?,
            written: 0,
            previous: None,
            unsaved: Vec::new(),
        })
    }

    /// Adds `flips` (s) and writes every flip not yet on disk in one synced write; on an error
    /// they all stay in memory and are tried again with the next batch.
    pub fn append(&mut self, flips: &[Flip]) -> Result<()> {
        self.unsaved.extend_from_slice(flips);
        if self.unsaved.is_empty() {
            return Ok(());
        }
        let mut lines = String::new();
        let mut previous = self.previous;
        for (i, flip) in self.unsaved.iter().enumerate() {
            let t = flip.time_s;
            let _ = write!(lines, "{},{t:.6},", self.written + i);
            if let Some(p) = previous {
                let _ = write!(lines, "{:.3}", (t - p) * 1000.0);
            }
            match &flip.presented {
                Some(p) => {
                    let text = |v: Option<String>| v.unwrap_or_default();
                    let _ = write!(
                        lines,
                        ",{},{},{},{},{}",
                        text(p.ust_us.map(|u| u.to_string())),
                        text(p.vblank.map(|v| v.to_string())),
                        p.mode,
                        text(p.onset_s.map(|t| format!("{t:.6}"))),
                        text(p.refresh_ms.map(|r| format!("{r:.3}"))),
                    );
                }
                None => lines.push_str(",,,,,"),
            }
            lines.push('\n');
            previous = Some(t);
        }
        self.file.append(&lines)?;
        self.written += self.unsaved.len();
        self.previous = previous;
        self.unsaved.clear();
        Ok(())
    }

    /// Flips waiting in memory.
    pub fn unsaved(&self) -> usize {
        self.unsaved.len()
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_written_in_batches_read_as_one_log_with_intervals_across_the_batches() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.flips.csv");
        let mut log = FlipLogWriter::create(&path).expect("created");
        let flip = |time_s| Flip {
            time_s,
            presented: None,
        };
        log.append(&[flip(1.0), flip(1.0125)]).expect("written");
        let presented = Presentation {
            ust_us: Some(1_066_668),
            vblank: Some(104),
            mode: "flip".into(),
            onset_s: Some(1.03),
            refresh_ms: None,
        };
        log.append(&[Flip {
            time_s: 1.025,
            presented: Some(presented),
        }])
        .expect("written");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "flip,time_s,interval_ms,ust_us,msc,present_mode,presented_s,refresh_ms\n0,1.000000,,,,,,\n1,1.012500,12.500,,,,,\n2,1.025000,12.500,1066668,104,flip,1.030000,\n"
        );
        assert!(
            FlipLogWriter::create(&path).is_err(),
            "an existing log is never overwritten"
        );
    }
}
