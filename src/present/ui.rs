//! The egui part of a frame: text screens (start, break, end), the response grid and its
//! feedback highlight, and experimenter overlays. Sizes from the config are physical pixels and
//! are divided by the scale factor to become egui points.

use std::collections::HashMap;

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, StrokeKind, Vec2};

use super::layout::Layout;
use crate::categories::Category;
use crate::config::texts::fill;
use crate::trials::timeline::BlockSummary;
use crate::trials::Screen;

/// Experimenter-facing text drawn over the participant's screen, outside timed phases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    /// A standing warning, e.g. that timing is unsynchronised.
    pub warning: Option<String>,
    /// Ask whether to abort the session.
    pub confirm_abort: bool,
    /// Data cannot be saved: what happened and what to do, while the session waits.
    pub storage_fault: Option<String>,
}

/// Text colour on the grey background.
const INK: Color32 = Color32::from_rgb(0, 0, 0);
/// Warning colour.
const WARNING: Color32 = Color32::from_rgb(150, 0, 0);
/// The highlight around the correct box.
const HIGHLIGHT: Color32 = Color32::from_rgb(0, 160, 0);

/// Whether a frame needs egui at all (stimulus-locked frames do not).
pub fn needs_egui(screen: &Screen, overlay: &Overlay) -> bool {
    overlay.confirm_abort
        || overlay.storage_fault.is_some()
        || matches!(
            screen,
            Screen::Start { .. }
                | Screen::Response
                | Screen::Feedback(_)
                | Screen::Break(_)
                | Screen::End(_)
        )
}

/// The input egui needs to lay out one frame of a `screen`-sized display.
pub fn raw_input(screen: (u32, u32), pixels_per_point: f32) -> egui::RawInput {
    let mut raw = egui::RawInput {
        screen_rect: Some(Rect::from_min_size(
            Pos2::ZERO,
            Vec2::new(screen.0 as f32, screen.1 as f32) / pixels_per_point,
        )),
        ..Default::default()
    };
    if let Some(viewport) = raw.viewports.get_mut(&egui::ViewportId::ROOT) {
        viewport.native_pixels_per_point = Some(pixels_per_point);
    }
    raw
}

/// Paints a screen.
pub fn paint(
    ui: &mut egui::Ui,
    screen: &Screen,
    overlay: &Overlay,
    layout: &Layout,
    icons: &HashMap<Category, egui::TextureHandle>,
) {
    let ppp = ui.ctx().pixels_per_point();
    let painter = ui.painter().clone();
    let full = ui.ctx().content_rect();
    let centre = full.center();
    let text = |pos: Pos2, s: &str, size: f32, colour: Color32| {
        painter.text(
            pos,
            Align2::CENTER_CENTER,
            s,
            FontId::proportional(size),
            colour,
        );
    };
    match screen {
        Screen::Start { first_trial } => {
            let t = &layout.texts;
            let mut lines = Vec::new();
            if *first_trial > 1 {
                lines.push(fill(&t.resume, &[("trial", first_trial.to_string())]));
            }
            lines.push(t.start.clone());
            match &t.instructions {
                // Instructions are read, not glanced at: a wrapped block above the request.
                Some(instructions) => {
                    let width = (full.width() - 160.0).clamp(300.0, 1100.0);
                    let body = format!("{instructions}\n\n{}", lines.join("\n"));
                    let mut job =
                        egui::text::LayoutJob::simple(body, FontId::proportional(26.0), INK, width);
                    job.halign = egui::Align::Center;
                    let galley = painter.layout_job(job);
                    let top = centre.y - galley.size().y / 2.0;
                    painter.galley(Pos2::new(centre.x, top), galley, INK);
                }
                None => text(centre, &lines.join("\n"), 32.0, INK),
            }
        }
        Screen::Response | Screen::Feedback(_) => {
            let highlight = match screen {
                Screen::Feedback(c) => Some(*c),
                _ => None,
            };
            for (category, rect) in layout.grid.boxes() {
                let r = Rect::from_min_size(
                    Pos2::new(rect.left as f32, rect.top as f32) / ppp,
                    Vec2::splat(rect.size as f32) / ppp,
                );
                match icons.get(category) {
                    Some(icon) => {
                        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
                        painter.image(icon.id(), r, uv, Color32::WHITE);
                    }
                    None => {
                        painter.rect(
                            r,
                            0.0,
                            Color32::WHITE,
                            Stroke::new(2.0 / ppp, INK),
                            StrokeKind::Inside,
                        );
                        text(r.center(), category.name(), 20.0, INK);
                    }
                }
                if highlight == Some(*category) {
                    painter.rect_stroke(
                        r.expand(3.0 / ppp),
                        0.0,
                        Stroke::new(6.0 / ppp, HIGHLIGHT),
                        StrokeKind::Outside,
                    );
                }
            }
        }
        Screen::Break(summary) => {
            let t = &layout.texts;
            let message = format!("{}\n\n{}", block_text(&t.block, summary), t.break_screen);
            text(centre, &message, 26.0, INK);
            if summary.warn_no_answer() {
                let warning = t.no_answer_warning.as_str();
                text(centre + Vec2::new(0.0, 150.0), warning, 26.0, WARNING);
            }
        }
        Screen::End(summary) => {
            let t = &layout.texts;
            let message = format!("{}\n\n{}", block_text(&t.block, summary), t.end);
            text(centre, &message, 26.0, INK);
        }
        Screen::Fixation | Screen::Stimulus(_) | Screen::Blank | Screen::Mask(_) | Screen::Done => {
        }
    }
    if let Some(warning) = &overlay.warning {
        if matches!(
            screen,
            Screen::Start { .. } | Screen::Break(_) | Screen::End(_)
        ) {
            text(
                Pos2::new(centre.x, full.bottom() - 40.0),
                warning,
                18.0,
                WARNING,
            );
        }
    }
    if let Some(fault) = &overlay.storage_fault {
        let width = (full.width() - 80.0).clamp(200.0, 1000.0);
        panel(&painter, centre, fault, 20.0, width);
    }
    if overlay.confirm_abort {
        let question = if overlay.storage_fault.is_some() {
            "End the session without the trials kept in memory?\n\
             Their rows go to the console; --resume shows those trials again.\n\
             Y: end the session    N or Escape: keep waiting"
        } else {
            "Abort the session?\nY: save and quit    N or Escape: continue"
        };
        panel(&painter, centre, question, 24.0, 900.0);
    }
}

/// A framed box of centred text, wrapped to `width` points, in front of everything else.
fn panel(painter: &egui::Painter, centre: Pos2, text: &str, size: f32, width: f32) {
    let mut job = egui::text::LayoutJob::simple(
        text.to_string(),
        FontId::proportional(size),
        INK,
        width - 40.0,
    );
    job.halign = egui::Align::Center;
    let galley = painter.layout_job(job);
    let r = Rect::from_center_size(centre, galley.size() + Vec2::splat(40.0));
    painter.rect(
        r,
        6.0,
        Color32::from_gray(240),
        Stroke::new(2.0, WARNING),
        StrokeKind::Inside,
    );
    // A centred galley is laid out around x = 0.
    painter.galley(Pos2::new(centre.x, r.min.y + 20.0), galley, INK);
}

/// The block summary as the break and end screens word it (`template`: `texts.block`).
pub fn block_text(template: &str, summary: &BlockSummary) -> String {
    fill(
        template,
        &[
            ("correct", summary.correct.to_string()),
            ("trials", summary.trials.to_string()),
            ("percent", format!("{:.1}", summary.percent_correct())),
            ("blocks", summary.blocks.to_string()),
            ("block", summary.block.to_string()),
            ("no_answer", format!("{:.1}", summary.percent_no_answer())),
        ],
    )
}
