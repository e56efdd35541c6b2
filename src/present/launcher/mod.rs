//! The launcher: what `shapelab` without arguments opens. The experimenter picks the config,
//! enters the subject and session, reads the preflight (refresh, frames per phase, trials,
//! stimulus problems), and starts the session, which runs as its own `shapelab run` process
//! so that its fullscreen window and frame clock have nothing else to share. A second tab
//! compares observers; a results page follows each session.

mod compare_view;
mod session_form;

use std::path::PathBuf;

use egui::{RichText, Ui};

pub use compare_view::CompareView;
pub use session_form::{Participant, SessionForm};

/// The refresh rate measured on the launcher's own window, for the preflight.
#[derive(Debug, Clone, PartialEq)]
pub enum Refresh {
    /// Still flipping frames.
    Measuring,
    /// Measured: rate, SD of the interval, and whether frames were synchronised.
    Measured {
        /// Frames per second.
        hz: f64,
        /// SD of the frame interval in ms.
        sd_ms: f64,
        /// `None` when synchronised; else why the timing cannot be trusted.
        problem: Option<String>,
    },
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

/// A percentage with one decimal, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1} %", v * 100.0))
}
