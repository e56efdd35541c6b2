//! The egui part of a frame: text screens (start, break, end), the response grid and its
//! feedback fill (grey 0.7, as the original), and experimenter overlays. Sizes from the config
//! are physical pixels and are divided by the scale factor to become egui points.

use std::collections::HashMap;

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, StrokeKind, Vec2};

use super::layout::Layout;
use crate::categories::Category;
use crate::config::texts::{fill, Texts};
use crate::config::Colour;
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
/// The grey the correct box is filled with during feedback, on the 0..1 scale of `bg_color`:
/// the original's `Screen('FillRect', win.h, 0.7, correct_rect)` behind the icons.
const FEEDBACK_GREY: f64 = 0.7;

/// [`FEEDBACK_GREY`] as drawn: rounded to a byte as `bg_color` is (0.7 gives 179).
fn feedback_fill() -> Color32 {
    let [r, g, b] = Colour::grey(FEEDBACK_GREY).to_rgb8();
    Color32::from_rgb(r, g, b)
}

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
            lines.push(match layout.practice {
                true => t.practice_start.clone(),
                false => t.start.clone(),
            });
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
                // The correct box is filled before its icon is drawn, as the original did.
                let fill = (highlight == Some(*category)).then(feedback_fill);
                match icons.get(category) {
                    Some(icon) => {
                        if let Some(fill) = fill {
                            painter.rect_filled(r, 0.0, fill);
                        }
                        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
                        painter.image(icon.id(), r, uv, Color32::WHITE);
                    }
                    None => {
                        painter.rect(
                            r,
                            0.0,
                            fill.unwrap_or(Color32::WHITE),
                            Stroke::new(2.0 / ppp, INK),
                            StrokeKind::Inside,
                        );
                        text(r.center(), category.name(), 20.0, INK);
                    }
                }
            }
        }
        Screen::Break(summary) => {
            paragraph(
                &painter,
                centre,
                &break_message(&layout.texts, summary),
                full,
            );
        }
        Screen::End(summary) => {
            let message = end_message(&layout.texts, summary, layout.practice);
            paragraph(&painter, centre, &message, full);
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

/// Centred lines of text, wrapped to the screen, centred on `centre`.
fn paragraph(painter: &egui::Painter, centre: Pos2, text: &str, full: Rect) {
    let width = (full.width() - 80.0).clamp(300.0, 1400.0);
    let mut job =
        egui::text::LayoutJob::simple(text.to_string(), FontId::proportional(24.0), INK, width);
    job.halign = egui::Align::Center;
    let galley = painter.layout_job(job);
    // A centred galley is laid out around x = 0.
    painter.galley(
        Pos2::new(centre.x, centre.y - galley.size().y / 2.0),
        galley,
        INK,
    );
}

/// The break screen's words as the original put them together: the block summary, the
/// warning between blank lines when more than 2 % of the block went unanswered, then a blank
/// line and the request to click.
pub fn break_message(texts: &Texts, summary: &BlockSummary) -> String {
    let mut message = block_text(&texts.block, summary);
    message.push('\n');
    if summary.warn_no_answer() {
        message.push_str(&format!("\n{}\n", texts.no_answer_warning));
    }
    message.push_str(&format!("\n{}", texts.break_screen));
    message
}

/// The end screen's words: the last block's summary and the thanks; in practice the
/// practice's own end (which does not say the study is over) and, as on a break, the warning
/// when more than 2 % of the trials went unanswered.
pub fn end_message(texts: &Texts, summary: &BlockSummary, practice: bool) -> String {
    if !practice {
        return format!("{}\n{}", block_text(&texts.end_summary, summary), texts.end);
    }
    let mut message = block_text(&texts.practice_end, summary);
    if summary.warn_no_answer() {
        message.push_str(&format!("\n\n{}", texts.no_answer_warning));
    }
    message
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

/// A block summary worded by `template` (`texts.block`, `texts.end_summary` or
/// `texts.practice_end`), percentages with two decimals as the original's `%.2f`.
pub fn block_text(template: &str, summary: &BlockSummary) -> String {
    fill(
        template,
        &[
            ("correct", summary.correct.to_string()),
            ("trials", summary.trials.to_string()),
            ("percent", format!("{:.2}", summary.percent_correct())),
            ("blocks", summary.blocks.to_string()),
            ("block", summary.block.to_string()),
            ("no_answer", format!("{:.2}", summary.percent_no_answer())),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(correct: usize, trials: usize, no_answer: usize) -> BlockSummary {
        BlockSummary {
            block: 1,
            blocks: 2,
            trials,
            correct,
            no_answer,
        }
    }

    /// The original's `sprintf` output (`texture_shape_experiment.m`, 449-466 and 510-517),
    /// without the spaces it left before line ends.
    fn original(text: &str) -> String {
        text.replace(" \n", "\n").trim_end().to_string()
    }

    #[test]
    fn break_and_end_screens_say_what_the_originals_said_with_two_decimals() {
        let texts = Texts::default();
        assert_eq!(
            break_message(&texts, &summary(12, 16, 0)),
            original(
                "12 out of the last 16 object identifications correct. That corresponds to \
                 75.00 % correct. \nYou have finished 1 blocks out of 2. \nYou have failed to \
                 give an answer in 0.00 % of the trials.\n\nClick a button to continue!"
            )
        );
        assert_eq!(
            break_message(&texts, &summary(12, 16, 1)),
            original(
                "12 out of the last 16 object identifications correct. That corresponds to \
                 75.00 % correct. \nYou have finished 1 blocks out of 2. \nYou have failed to \
                 give an answer in 6.25 % of the trials.\n\nTHIS IS TOO HIGH! PLEASE RESPOND \
                 EVERY TRIAL AND GUESS IF UNSURE!\n\nClick a button to continue!"
            )
        );
        assert_eq!(
            end_message(&texts, &summary(2, 3, 0), false),
            original(
                "2 out of the last 3 object identifications correct. That corresponds to \
                 66.67 % correct. \nYou have finished this experiment now. \nThanks a lot for \
                 your participation! \n"
            )
        );
    }

    #[test]
    fn the_practice_end_says_it_was_practice_and_warns_when_answers_were_missing() {
        let texts = Texts::default();
        let calm = end_message(&texts, &summary(16, 16, 0), true);
        assert!(
            calm.starts_with("Practice finished: 16 out of 16"),
            "{calm}"
        );
        assert!(!calm.contains("finished this experiment") && !calm.contains("Thanks"));
        assert!(!calm.contains(&texts.no_answer_warning));
        let missing = end_message(&texts, &summary(8, 16, 8), true);
        assert!(missing.contains("in 50.00 % of the trials"), "{missing}");
        assert!(missing.ends_with(&format!("\n\n{}", texts.no_answer_warning)));
    }
}
