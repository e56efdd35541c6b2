//! What the window thread passes on (clicks, keys, focus), and how the session loop turns it
//! into the timeline's inputs and the experimenter's commands: Escape asks whether to end the
//! session, Y or Enter confirms (or retries saving now), N goes on.

use std::sync::mpsc::Receiver;
use std::time::Instant;

use crate::trials::timeline::{Button, Input};
use crate::trials::Disturbance;

/// What the window thread passes on, with the time it happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowInput {
    /// A mouse button pressed at a position in physical pixels.
    Click {
        /// When the event arrived.
        at: Instant,
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
        /// Which button.
        button: Button,
    },
    /// A mouse button released.
    Release {
        /// When the event arrived.
        at: Instant,
        /// Which button.
        button: Button,
    },
    /// The cursor moved while a button was held.
    Motion {
        /// When the event arrived.
        at: Instant,
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
    },
    /// Escape.
    Escape,
    /// Y or Enter.
    Yes,
    /// N.
    No,
    /// The window lost or regained focus.
    Focus(bool),
    /// The window was asked to close.
    Close,
}

/// What the experimenter asked for besides the timeline's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Nothing.
    None,
    /// Try to save the data again now.
    RetryNow,
    /// End the session although its data cannot be saved.
    EndUnsaved,
}

/// The experimenter's side of the session: the abort question and the window's focus.
#[derive(Debug, Clone)]
pub struct Controls {
    /// Whether the experimenter is being asked to confirm ending the session.
    pub confirm_abort: bool,
    focused: bool,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            confirm_abort: false,
            focused: true,
        }
    }
}

impl Controls {
    /// Takes the window's inputs since the last frame: timeline inputs go to `pending` (with
    /// times from `seconds`), notable moments to `notes`. `paused`: the session waits for its
    /// data to be saved, so clicks are ignored and ending it needs a confirmation.
    pub fn take(
        &mut self,
        inputs: &Receiver<WindowInput>,
        paused: bool,
        trial: usize,
        seconds: impl Fn(Instant) -> f64,
        pending: &mut Vec<Input>,
        notes: &mut Vec<String>,
    ) -> Command {
        let mut command = Command::None;
        while let Ok(input) = inputs.try_recv() {
            let waiting = self.confirm_abort || paused;
            match input {
                WindowInput::Click { at, x, y, button } if !waiting => pending.push(Input::Click {
                    at: seconds(at),
                    x,
                    y,
                    button,
                }),
                WindowInput::Motion { at, x, y } if !waiting => pending.push(Input::Motion {
                    at: seconds(at),
                    x,
                    y,
                }),
                WindowInput::Click { .. } | WindowInput::Motion { .. } => {}
                WindowInput::Release { at, button } => pending.push(Input::Release {
                    at: seconds(at),
                    button,
                }),
                WindowInput::Escape | WindowInput::No if self.confirm_abort => {
                    self.confirm_abort = false
                }
                WindowInput::Escape => {
                    self.confirm_abort = true;
                    pending.push(Input::Disturbed(Disturbance::AbortPrompt));
                }
                WindowInput::Yes if self.confirm_abort => {
                    self.confirm_abort = false;
                    if paused {
                        return Command::EndUnsaved;
                    }
                    pending.push(Input::Abort);
                }
                WindowInput::Yes => command = Command::RetryNow,
                WindowInput::No => {}
                // A paused session asks before it ends with data in memory.
                WindowInput::Close if paused => self.confirm_abort = true,
                WindowInput::Close => pending.push(Input::Abort),
                WindowInput::Focus(false) => {
                    self.focused = false;
                    notes.push(format!("the window lost focus at trial {trial}"));
                    // Marked even when focus comes back before the next frame.
                    pending.push(Input::Disturbed(Disturbance::Unfocused));
                }
                WindowInput::Focus(true) => {
                    self.focused = true;
                    notes.push("the window regained focus".into());
                }
            }
        }
        let unfocused = Input::Disturbed(Disturbance::Unfocused);
        if !self.focused && !pending.contains(&unfocused) {
            pending.push(unfocused);
        }
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn take(controls: &mut Controls, sent: &[WindowInput], paused: bool) -> (Vec<Input>, Command) {
        let (tx, rx) = mpsc::channel();
        for &input in sent {
            tx.send(input).expect("sent");
        }
        let mut pending = Vec::new();
        let command = controls.take(&rx, paused, 3, |_| 1.5, &mut pending, &mut Vec::new());
        (pending, command)
    }

    #[test]
    fn escape_then_y_ends_the_session_and_escape_then_n_goes_on() {
        let mut c = Controls::default();
        let (inputs, _) = take(&mut c, &[WindowInput::Escape, WindowInput::No], false);
        assert_eq!(inputs, [Input::Disturbed(Disturbance::AbortPrompt)]);
        assert!(!c.confirm_abort);
        let (inputs, _) = take(&mut c, &[WindowInput::Escape, WindowInput::Yes], false);
        assert_eq!(inputs.last(), Some(&Input::Abort));
    }

    #[test]
    fn a_paused_session_ignores_clicks_and_ends_only_when_confirmed() {
        let mut c = Controls::default();
        let click = WindowInput::Click {
            at: Instant::now(),
            x: 1.0,
            y: 2.0,
            button: Button::Left,
        };
        let (inputs, command) = take(&mut c, &[click, WindowInput::Yes], true);
        assert!(inputs.is_empty());
        assert_eq!(command, Command::RetryNow);
        let (_, command) = take(&mut c, &[WindowInput::Close, WindowInput::Yes], true);
        assert_eq!(command, Command::EndUnsaved);
    }

    #[test]
    fn every_frame_while_unfocused_is_marked() {
        let mut c = Controls::default();
        let (inputs, _) = take(&mut c, &[WindowInput::Focus(false)], false);
        assert_eq!(inputs, [Input::Disturbed(Disturbance::Unfocused)]);
        let (inputs, _) = take(&mut c, &[], false);
        assert_eq!(inputs, [Input::Disturbed(Disturbance::Unfocused)]);
        let (inputs, _) = take(&mut c, &[WindowInput::Focus(true)], false);
        assert!(inputs.is_empty());
        // Lost and regained between two frames: the frame is still marked.
        let (inputs, _) = take(
            &mut c,
            &[WindowInput::Focus(false), WindowInput::Focus(true)],
            false,
        );
        assert_eq!(inputs, [Input::Disturbed(Disturbance::Unfocused)]);
    }
}
