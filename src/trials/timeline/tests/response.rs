//! The original's response rules (rt the last moment a button was down inside a box, any
//! button, a window of clock time) against today's, press by press.

use super::*;
use crate::config::{ResponseButtons, ResponseWindow, RtFrom};

/// The original's rules: the defaults of a config.
fn original() -> TimelineSettings {
    let config = Config::default();
    let mut s = settings(256);
    s.rules = ResponseRules {
        rt_from: config.rt_from,
        buttons: config.response_buttons,
    };
    s.window = config.response_window;
    s
}

/// Somewhere outside every box: the screen's centre lies in the gap between the boxes.
const OUTSIDE: (f64, f64) = (960.0, 540.0);

/// What the participant does, in seconds after the grid appeared.
#[derive(Clone, Copy)]
enum Act {
    Down(Button, (f64, f64)),
    Move((f64, f64)),
    Up(Button),
}

fn over(category: Category) -> (f64, f64) {
    timeline(&[Bird], settings(1))
        .grid()
        .rect(category)
        .centre()
}

/// One trial of a Bird: its row, its timing, and the onsets of the grid's frames.
struct Answered {
    result: TrialResult,
    timing: TrialTiming,
    grid_onsets: Vec<f64>,
}

/// Runs one trial doing `acts` (seconds after the grid's onset, which a first run without
/// them finds) on a display whose frames appear at `onsets`.
fn answer_with(
    settings: TimelineSettings,
    acts: &[(f64, Act)],
    onsets: impl Fn(u64) -> f64,
) -> Answered {
    let dry = play(settings.clone(), &[], f64::NAN, &onsets);
    let grid_onset = dry.grid_onsets[0];
    play(settings, acts, grid_onset, &onsets)
}

fn answer(settings: TimelineSettings, acts: &[(f64, Act)]) -> Answered {
    answer_with(settings, acts, |i| i as f64 / HZ)
}

fn play(
    settings: TimelineSettings,
    acts: &[(f64, Act)],
    grid_onset: f64,
    onsets: &impl Fn(u64) -> f64,
) -> Answered {
    let mut t = timeline(&[Bird], settings);
    let mut pending: Vec<Input> = acts
        .iter()
        .map(|&(after, act)| {
            let at = grid_onset + after;
            match act {
                Act::Down(button, (x, y)) => Input::Click { at, x, y, button },
                Act::Move((x, y)) => Input::Motion { at, x, y },
                Act::Up(button) => Input::Release { at, button },
            }
        })
        .collect();
    let (mut result, mut timing, mut grid_onsets) = (None, None, Vec::new());
    for index in 0..10_000u64 {
        let now = onsets(index);
        if index == 1 {
            pending.push(press(now - 0.001));
            pending.push(release(now));
        }
        let (due, later): (Vec<Input>, Vec<Input>) = pending.iter().partition(|i| match i {
            Input::Click { at, .. } | Input::Release { at, .. } | Input::Motion { at, .. } => {
                *at < now
            }
            _ => true,
        });
        pending = later;
        let frame = t.step(FrameTick::at(index, now), &due);
        if frame.screen == Screen::Response {
            grid_onsets.push(now);
        }
        for event in frame.events {
            match event {
                Event::TrialResponded(r) => result = Some(r),
                Event::TrialTimed(t) => timing = Some(t),
                _ => {}
            }
        }
        if frame.screen == Screen::Done {
            break;
        }
    }
    Answered {
        result: result.expect("a row"),
        timing: timing.expect("a timing line"),
        grid_onsets,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The answer, its rt and the logged click (press, release) of a trial.
fn rt_and_click(a: &Answered) -> (Option<Category>, f64, (f64, Option<f64>)) {
    (
        a.result.response,
        a.result.rt.unwrap_or(f64::NAN),
        a.timing.click.unwrap_or((f64::NAN, None)),
    )
}

#[test]
fn the_defaults_are_the_originals_rules() {
    let config = Config::default();
    assert_eq!(config.rt_from, RtFrom::LastDown);
    assert_eq!(config.response_buttons, ResponseButtons::Any);
    assert_eq!(config.response_window, ResponseWindow::Clock);
}

#[test]
fn a_held_button_answers_until_its_release_and_the_log_keeps_press_and_release() {
    use Act::*;
    let a = answer(
        original(),
        &[
            (0.5, Down(Button::Left, over(Bird))),
            (0.8, Up(Button::Left)),
        ],
    );
    let (response, rt, (press, release)) = rt_and_click(&a);
    assert_eq!(response, Some(Bird));
    assert!(close(rt, 0.8), "{rt}");
    assert!(close(press, 0.5) && close(release.expect("released"), 0.8));
}

#[test]
fn a_button_held_past_the_window_answers_at_the_windows_end() {
    use Act::*;
    let a = answer(
        original(),
        &[
            (1.3, Down(Button::Left, over(Cat))),
            (1.6, Up(Button::Left)),
        ],
    );
    let (response, rt, (press, release)) = rt_and_click(&a);
    assert_eq!(response, Some(Cat));
    assert!(close(rt, 1.5), "{rt}");
    // The release during the inter-trial fixation still reaches the timing log.
    assert!(close(press, 1.3) && close(release.expect("released"), 1.6));
}

#[test]
fn a_press_outside_the_boxes_then_moved_into_one_answers_with_it() {
    use Act::*;
    let a = answer(
        original(),
        &[
            (0.3, Down(Button::Left, OUTSIDE)),
            (0.5, Move(over(Dog))),
            (0.9, Up(Button::Left)),
        ],
    );
    let (response, rt, (press, release)) = rt_and_click(&a);
    assert_eq!(response, Some(Dog));
    assert!(close(rt, 0.9), "{rt}");
    // The press that began the hold, and its release.
    assert!(close(press, 0.3) && close(release.expect("released"), 0.9));
}

#[test]
fn a_hold_that_leaves_the_boxes_answers_until_it_left() {
    use Act::*;
    let a = answer(
        original(),
        &[
            (0.3, Down(Button::Left, over(Car))),
            (0.6, Move(OUTSIDE)),
            (0.9, Up(Button::Left)),
        ],
    );
    let (response, rt, (_, release)) = rt_and_click(&a);
    assert_eq!(response, Some(Car));
    assert!(close(rt, 0.6), "{rt}");
    assert!(close(release.expect("released"), 0.9));
}

#[test]
fn a_drag_from_one_box_to_another_answers_the_second() {
    use Act::*;
    let a = answer(
        original(),
        &[
            (0.3, Down(Button::Left, over(Bird))),
            (0.5, Move(over(Cat))),
            (0.7, Up(Button::Left)),
        ],
    );
    let (response, rt, (press, _)) = rt_and_click(&a);
    assert_eq!(response, Some(Cat));
    assert!(close(rt, 0.7) && close(press, 0.3), "{rt} {press}");
    // Under `press` the drag is one click on the first box.
    let mut today = original();
    today.rules.rt_from = RtFrom::Press;
    let a = answer(
        today,
        &[
            (0.3, Down(Button::Left, over(Bird))),
            (0.5, Move(over(Cat))),
            (0.7, Up(Button::Left)),
        ],
    );
    let (response, rt, _) = rt_and_click(&a);
    assert_eq!(response, Some(Bird));
    assert!(close(rt, 0.3), "{rt}");
}

#[test]
fn two_buttons_down_hold_until_the_last_is_released_and_left_ignores_the_right() {
    use Act::*;
    let acts = [
        (0.3, Down(Button::Left, over(Bird))),
        (0.5, Down(Button::Right, over(Bird))),
        (0.6, Up(Button::Left)),
        (0.9, Up(Button::Right)),
    ];
    let (response, rt, (press, release)) = rt_and_click(&answer(original(), &acts));
    assert_eq!(response, Some(Bird));
    assert!(close(rt, 0.9) && close(press, 0.3), "{rt} {press}");
    assert!(close(release.expect("released"), 0.9));
    let mut left = original();
    left.rules.buttons = ResponseButtons::Left;
    let (_, rt, (_, release)) = rt_and_click(&answer(left, &acts));
    assert!(
        close(rt, 0.6) && close(release.expect("released"), 0.6),
        "{rt}"
    );
}

#[test]
fn a_right_click_answers_under_any_and_not_under_left() {
    use Act::*;
    let acts = [
        (0.4, Down(Button::Right, over(Dog))),
        (0.5, Up(Button::Right)),
    ];
    let (response, rt, _) = rt_and_click(&answer(original(), &acts));
    assert_eq!(response, Some(Dog));
    assert!(close(rt, 0.5), "{rt}");
    let mut left = original();
    left.rules.buttons = ResponseButtons::Left;
    let a = answer(left, &acts);
    assert_eq!((a.result.response, a.result.rt), (None, None));
}

#[test]
fn a_button_already_held_when_the_grid_appears_answers_from_its_onset() {
    use Act::*;
    let acts = [
        (-0.1, Down(Button::Left, over(Boat))),
        (0.4, Up(Button::Left)),
    ];
    let (response, rt, (press, release)) = rt_and_click(&answer(original(), &acts));
    assert_eq!(response, Some(Boat));
    assert!(close(rt, 0.4), "{rt}");
    assert!(close(press, 0.0) && close(release.expect("released"), 0.4));
    // A press is a click only when made on the grid.
    let mut today = original();
    today.rules.rt_from = RtFrom::Press;
    assert_eq!(answer(today, &acts).result.response, None);
}

#[test]
fn a_hold_outside_every_box_is_no_answer() {
    use Act::*;
    let a = answer(
        original(),
        &[(0.3, Down(Button::Left, OUTSIDE)), (0.9, Up(Button::Left))],
    );
    assert_eq!((a.result.response, a.result.rt), (None, None));
    assert_eq!(a.timing.click, None);
}

#[test]
fn a_clock_window_keeps_90_frames_on_a_steady_display_and_one_late_frame_at_most() {
    let steady = answer(original(), &[]);
    assert_eq!(steady.grid_onsets.len(), 90);
    // Onsets that jitter by a millisecond either way still give 90 frames.
    let jitter = |i: u64| i as f64 / HZ + if i.is_multiple_of(2) { 0.001 } else { -0.001 };
    assert_eq!(answer_with(original(), &[], jitter).grid_onsets.len(), 90);
    // Frames that come 50 ms apart: the grid leaves at the first frame at 1.5 s.
    let late = |i: u64| {
        if i < 60 {
            i as f64 / HZ
        } else {
            1.0 + (i - 60) as f64 * 0.05
        }
    };
    let slow = answer_with(original(), &[], late);
    let onset = slow.grid_onsets[0];
    let next = slow.timing.phases[RESPONSE_SLOT + 2]
        .onset
        .expect("the inter-trial fixation");
    assert!(
        (1.5..1.5 + 0.05 + 1e-9).contains(&(next - onset)),
        "{}",
        next - onset
    );
    // Timed by frames, the same display keeps the grid for 90 frames of 50 ms.
    let mut frames = original();
    frames.window = ResponseWindow::Frames;
    let slow = answer_with(frames, &[], late);
    assert_eq!(slow.grid_onsets.len(), 90);
}

#[test]
fn a_button_held_to_the_end_of_a_late_window_gives_the_clock_windows_end() {
    use Act::*;
    let late = |i: u64| {
        if i < 60 {
            i as f64 / HZ
        } else {
            1.0 + (i - 60) as f64 * 0.07
        }
    };
    let a = answer_with(
        original(),
        &[
            (1.0, Down(Button::Left, over(Bird))),
            (2.0, Up(Button::Left)),
        ],
        late,
    );
    assert!(close(a.result.rt.expect("an rt"), 1.5), "{:?}", a.result.rt);
}
