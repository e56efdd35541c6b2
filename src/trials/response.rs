//! The mouse during the response window: which buttons count, which box is the answer and
//! which moment is its response time, under the config's `rt_from` and `response_buttons`.
//!
//! Under the original's rule (`last_down`) the answer follows the cursor while a counted
//! button is held over the boxes: its rt is the last moment a button was down inside a box,
//! or the window's end while still held there. Under `press` and `release` each press inside
//! a box is a click that replaces the answer.

use super::grid::ResponseGrid;
use crate::categories::Category;
use crate::config::{ResponseButtons, RtFrom};

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// The left (primary) button.
    Left,
    /// The right button.
    Right,
    /// The middle button or wheel.
    Middle,
    /// Any other button (back, forward, ...).
    Other,
}

impl Button {
    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// How the mouse answers: which moment is `rt` and which buttons count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseRules {
    /// Which moment of the answer is the response time.
    pub rt_from: RtFrom,
    /// Which buttons answer.
    pub buttons: ResponseButtons,
}

impl ResponseRules {
    /// Whether a press or release of `button` counts.
    pub fn counts(&self, button: Button) -> bool {
        self.buttons == ResponseButtons::Any || button == Button::Left
    }
}

/// The answer of a response window, in seconds after the grid appeared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    /// The chosen box.
    pub category: Category,
    /// The press that gave the answer (under `last_down`: the press that began the hold; 0
    /// when the button was already down when the grid appeared).
    pub press: f64,
    /// Its release, `None` while the button is still down.
    pub release: Option<f64>,
    /// Under `last_down`, when the cursor left the box or the buttons were released; `None`
    /// while a button is still held over the box.
    held_until: Option<f64>,
}

/// The state of the mouse as the timeline knows it, and the answer of the current window.
#[derive(Debug, Clone, Default)]
pub struct Mouse {
    rules: ResponseRules,
    /// Counted buttons down, one bit each.
    down: u8,
    /// When the current hold (a counted button down, without a gap) began (s).
    hold_began: f64,
    cursor: (f64, f64),
    /// The grid's onset (s) while a window is open or being settled.
    onset: Option<f64>,
    answer: Option<Answer>,
}

impl Mouse {
    /// A mouse read by `rules`.
    pub fn new(rules: ResponseRules) -> Mouse {
        Mouse {
            rules,
            ..Mouse::default()
        }
    }

    /// The answer so far.
    pub fn answer(&self) -> Option<Answer> {
        self.answer
    }

    /// Whether presses of `button` count (they also continue from start and break screens).
    pub fn counts(&self, button: Button) -> bool {
        self.rules.counts(button)
    }

    /// The grid appeared at `onset`: a new window with no answer. A counted button already
    /// held over a box answers from the onset (the original's first poll saw it down).
    pub fn open(&mut self, onset: f64, grid: &ResponseGrid) {
        self.onset = Some(onset);
        self.answer = None;
        if self.down != 0 && self.rules.rt_from == RtFrom::LastDown {
            self.follow(onset, grid);
        }
    }

    /// The window's answer is written: the next one starts empty.
    pub fn close(&mut self) {
        self.onset = None;
        self.answer = None;
    }

    /// A button pressed at `at` over (x, y); it answers when the window is open and `at` is
    /// before `end`.
    pub fn press(
        &mut self,
        at: f64,
        (x, y): (f64, f64),
        button: Button,
        end: f64,
        grid: &ResponseGrid,
    ) {
        if !self.rules.counts(button) {
            return;
        }
        self.cursor = (x, y);
        if self.down == 0 {
            self.hold_began = at;
        }
        self.down |= button.bit();
        let Some(onset) = self.onset.filter(|_| at < end) else {
            return;
        };
        match self.rules.rt_from {
            // A press made before the grid but read after it was down at the onset.
            RtFrom::LastDown => self.follow(at.max(onset), grid),
            RtFrom::Press | RtFrom::Release if at >= onset => {
                if let Some(category) = grid.hit(x, y) {
                    self.answer = Some(Answer {
                        category,
                        press: at - onset,
                        release: None,
                        held_until: None,
                    });
                }
            }
            RtFrom::Press | RtFrom::Release => {}
        }
    }

    /// The cursor moved to (x, y) at `at` while a button was down.
    pub fn motion(&mut self, at: f64, (x, y): (f64, f64), end: f64, grid: &ResponseGrid) {
        self.cursor = (x, y);
        let Some(onset) = self.onset.filter(|_| at < end) else {
            return;
        };
        if self.down != 0 && self.rules.rt_from == RtFrom::LastDown {
            self.follow(at.max(onset), grid);
        }
    }

    /// A button released at `at`: the release of the answer's click (or hold) is kept for the
    /// timing log whenever it comes before the trial's timing is written.
    pub fn release(&mut self, at: f64, button: Button) {
        if !self.rules.counts(button) || self.down & button.bit() == 0 {
            return;
        }
        self.down &= !button.bit();
        let Some(onset) = self.onset else {
            return;
        };
        let held = self.down != 0;
        let Some(answer) = self.answer.as_mut().filter(|a| a.release.is_none()) else {
            return;
        };
        match self.rules.rt_from {
            // Another button still down keeps the hold going.
            RtFrom::LastDown if held => {}
            RtFrom::LastDown => {
                answer.release = Some(at - onset);
                answer.held_until.get_or_insert(at - onset);
            }
            RtFrom::Press | RtFrom::Release if at - onset >= answer.press => {
                answer.release = Some(at - onset);
            }
            RtFrom::Press | RtFrom::Release => {}
        }
    }

    /// Under `last_down`, a button is down at `at` (within the window) with the cursor where
    /// it is: over a box the answer becomes that box, outside every box the answer so far
    /// stops at `at`.
    fn follow(&mut self, at: f64, grid: &ResponseGrid) {
        let Some(onset) = self.onset else {
            return;
        };
        let holding = self
            .answer
            .filter(|a| a.release.is_none() && a.held_until.is_none());
        match grid.hit(self.cursor.0, self.cursor.1) {
            Some(category) if holding.is_some_and(|a| a.category == category) => {}
            Some(category) => {
                self.answer = Some(Answer {
                    category,
                    press: self.hold_began.max(onset) - onset,
                    release: None,
                    held_until: None,
                });
            }
            None => {
                if let Some(answer) = self.answer.as_mut().filter(|_| holding.is_some()) {
                    answer.held_until = Some(at - onset);
                }
            }
        }
    }

    /// The answer and its response time for a window that lasted `window` seconds.
    pub fn result(&self, window: f64) -> (Option<Category>, Option<f64>) {
        let Some(a) = self.answer else {
            return (None, None);
        };
        let rt = match self.rules.rt_from {
            RtFrom::Press => a.press,
            RtFrom::Release => a.release.unwrap_or(window).min(window),
            RtFrom::LastDown => a.held_until.unwrap_or(window).min(window),
        };
        (Some(a.category), Some(rt))
    }
}
