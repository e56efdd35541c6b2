//! `shapelab timing-test`: measure the refresh, then flip frames for a while and report them.

use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::window::Window;

use crate::config::Experiment;
use crate::data::record::TimingMode;
use crate::display::input::WindowInput;
use crate::display::screens::Overlay;
use crate::display::surface::{Acquired, FrameTarget, Presenter};
use crate::display::watchdog::Watchdog;
use crate::error::Result;
use crate::timing::flips::{FlipReport, Pacer, RefreshEstimate};
use crate::timing::server_times::FlipSource;
use crate::trials::Screen;

/// The result of `shapelab timing-test`.
#[derive(Debug, Clone)]
pub struct FlipTest {
    /// The refresh measured before the test.
    pub estimate: RefreshEstimate,
    /// What that measurement says.
    pub mode: TimingMode,
    /// Why the display cannot be trusted, if it cannot.
    pub problem: Option<String>,
    /// The flips of the test itself.
    pub report: FlipReport,
    /// Every flip interval of the test (ms), from presentation times where the display server
    /// reported them.
    pub intervals_ms: Vec<f64>,
    /// Where the flip times come from.
    pub source: FlipSource,
    /// Where presentation times come from on a Wayland window.
    pub timestamps: Option<String>,
    /// What the compositor's presentation feedback says against the window's timing.
    pub presentation_warning: Option<String>,
}

/// Measures the refresh, then flips for `seconds` (alternating fixation and blank frames,
/// paced by a timer when there is no vertical sync); Escape ends it early. `watchdog` watches
/// the frames.
pub fn flip_test(
    window: Arc<Window>,
    inputs: Receiver<WindowInput>,
    epoch: Instant,
    experiment: &Experiment,
    (seconds, measure_flips): (f64, usize),
    watchdog: &Arc<Watchdog>,
) -> Result<FlipTest> {
    let mut p = Presenter::open(window, epoch, experiment)?;
    p.watch(watchdog.clone());
    let estimate = p.measure_refresh(measure_flips)?;
    let verdict = p.judge(&estimate, experiment.config.refresh_hz);
    let synced = verdict.mode == TimingMode::Synchronised;
    let period = Duration::from_secs_f64(1.0 / experiment.config.refresh_hz);
    let mut pacer = Pacer::new(Instant::now(), period);
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut index = 0u64;
    while Instant::now() < end {
        if inputs
            .try_iter()
            .any(|i| matches!(i, WindowInput::Escape | WindowInput::Close))
        {
            break;
        }
        if !synced {
            pacer.wait(index);
        }
        if let Acquired::Frame(frame, t) = p.acquire_frame()? {
            let flip = p.seconds(t);
            p.flips().push(flip);
            let screen = if index.is_multiple_of(2) {
                Screen::Fixation
            } else {
                Screen::Blank
            };
            p.present_frame(frame, &screen, &Overlay::default());
            index += 1;
        }
    }
    p.rest_watchdog();
    p.finish_feedback();
    let intervals_ms = p.flips().intervals_ms(period.as_secs_f64());
    Ok(FlipTest {
        estimate,
        mode: verdict.mode,
        problem: verdict.problem,
        report: p.flips().report(period.as_secs_f64()),
        intervals_ms,
        source: p.flip_source().clone(),
        timestamps: p.presentation_source(),
        presentation_warning: p.presentation_warning(),
    })
}
