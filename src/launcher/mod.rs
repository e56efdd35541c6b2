//! The launcher: what `shapelab` without arguments opens. The experimenter picks the config,
//! enters the subject and session, reads the preflight (refresh, frames per phase, trials,
//! stimulus problems), and starts the session, which runs as its own `shapelab run` process
//! so that its fullscreen window and frame clock have nothing else to share. A second tab
//! compares observers; a results page follows each session.

mod checks;
mod compare_view;
mod file_browser;
mod outcome;
mod session_form;
pub mod window;

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use crate::timing::flips::RefreshEstimate;

pub use compare_view::CompareView;
pub use session_form::{Participant, SessionForm};

/// The refresh rate measured for the preflight, on the monitor `monitor.select` names. What
/// is kept is what was seen; it is judged against the config as it is each time it is shown,
/// so that a changed `refresh_hz` is judged anew without measuring again.
#[derive(Debug, Clone, PartialEq)]
pub enum Refresh {
    /// Not measured yet (no config loaded, or no window to measure in).
    NotMeasured,
    /// The measuring window is flipping frames.
    Measuring,
    /// Measured.
    Measured {
        /// The monitor measured, e.g. `monitor 'DP-1' (monitor.select: 0)`.
        monitor: String,
        /// The rate the system reports for the monitor, if it reports one.
        monitor_hz: Option<f64>,
        /// The frame intervals seen.
        estimate: RefreshEstimate,
        /// Frames paced by a Wayland compositor, judged by its pace.
        compositor: bool,
    },
    /// The measurement could not run (e.g. no monitor of that name) or saw no frames.
    Failed(String),
}

/// What the launcher's window is asked to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureRequest {
    /// The config's `monitor.select`: an index or part of a name.
    pub monitor: String,
}

/// Which page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Session,
    Compare,
}

/// The launcher's state; `ui` draws it and acts on what the experimenter does.
pub struct Launcher {
    tab: Tab,
    /// The session page.
    pub session: SessionForm,
    /// The compare page.
    pub compare: CompareView,
}

impl Launcher {
    /// A launcher on `config`, starting sessions with the `shapelab` binary at `program`.
    pub fn new(config: PathBuf, program: PathBuf) -> Launcher {
        Launcher {
            tab: Tab::Session,
            session: SessionForm::new(config, program),
            compare: CompareView::default(),
        }
    }

    /// Draws one frame of the launcher.
    pub fn ui(&mut self, ui: &mut Ui) {
        egui::Frame::new()
            .inner_margin(16.0)
            .show(ui, |ui| self.page(ui));
    }

    fn page(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("shapelab").strong());
            ui.separator();
            ui.selectable_value(&mut self.tab, Tab::Session, "Session");
            ui.selectable_value(&mut self.tab, Tab::Compare, "Compare");
        });
        ui.separator();
        self.compare.base = self.session.config_folder();
        match self.tab {
            Tab::Session => self.session.ui(ui),
            Tab::Compare => self.compare.ui(ui),
        }
    }

    /// Whether something runs in the background and the page must be redrawn to show it.
    pub fn busy(&self) -> bool {
        self.session.busy() || self.compare.busy()
    }
}

/// A path as typed in the launcher: a relative one is taken from `folder` (the config's
/// folder), as the config's own paths are.
pub fn from_config_folder(folder: &Path, typed: &str) -> PathBuf {
    let typed = Path::new(typed.trim());
    let path = folder.join(typed);
    std::path::absolute(&path).unwrap_or(path)
}

/// A percentage with one decimal, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1} %", v * 100.0))
}
