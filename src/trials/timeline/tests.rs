use std::path::PathBuf;

use super::*;
use crate::categories::Category::{self, *};
use crate::config::{Config, ResponseButtons};
use crate::simulate::HOLD;
use crate::stimuli::Stimulus;

const HZ: f64 = 60.0;

fn order() -> [Category; 16] {
    let names = Config::default().final_cats_responses;
    let order: Vec<Category> = names.iter().map(|n| n.parse().expect("known")).collect();
    order.try_into().expect("16")
}

fn trials(shapes: &[Category]) -> Vec<Trial> {
    shapes
        .iter()
        .enumerate()
        .map(|(i, &shape)| Trial {
            number: i + 1,
            stimulus: Stimulus {
                path: PathBuf::from(format!("{shape}/{shape}1-clock1.png")),
                original: format!("{shape}1-clock1.png"),
                shape,
                texture: Some(Clock),
                lab: None,
            },
            mask_seed: i as u64,
        })
        .collect()
}

fn settings(block_size: usize) -> TimelineSettings {
    TimelineSettings {
        frames: PhaseFrames::new(&Config::default(), HZ, false).expect("fits"),
        period: 1.0 / HZ,
        auditive_feedback: false,
        visual_feedback: false,
        block_size,
        // Today's rules, which the tests below were written for; the original's rules are
        // tested in `tests/response.rs`.
        rules: ResponseRules {
            rt_from: RtFrom::Press,
            buttons: ResponseButtons::Left,
        },
        window: ResponseWindow::Frames,
        window_seconds: 1.5,
        interval_lag: 0,
    }
}

fn timeline(shapes: &[Category], settings: TimelineSettings) -> Timeline {
    let grid = ResponseGrid::new(&order(), 1920, 1080, 129, 10);
    Timeline::new(trials(shapes), grid, settings, 0, &Vec::new())
}

/// Where a simulated participant clicks, in seconds after the response screen appeared.
#[derive(Clone, Copy)]
enum Click {
    On(Category, f64),
    At(f64, f64, f64),
}

/// Everything that happened in a run: the screen and phase of every frame and all events.
struct Run {
    screens: Vec<Screen>,
    phases: Vec<Phase>,
    events: Vec<(usize, Event)>,
}

impl Run {
    fn results(&self) -> Vec<TrialResult> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::TrialResponded(r) => Some(*r),
                _ => None,
            })
            .collect()
    }

    fn timings(&self) -> Vec<TrialTiming> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::TrialTimed(t) => Some(*t),
                _ => None,
            })
            .collect()
    }

    fn beeps(&self) -> usize {
        self.events
            .iter()
            .filter(|(_, e)| *e == Event::Beep)
            .count()
    }
}

/// Runs to the end: clicks to start and after breaks, `clicks(trial)` on each response screen,
/// and `onset(frame)` as the display clock.
fn run_with(
    mut t: Timeline,
    clicks: impl Fn(usize) -> Vec<Click>,
    onset: impl Fn(u64) -> f64,
    inject: Option<(u64, Input)>,
) -> Run {
    let mut pending: Vec<Input> = Vec::new();
    let mut run = Run {
        screens: Vec::new(),
        phases: Vec::new(),
        events: Vec::new(),
    };
    for index in 0..1_000_000u64 {
        let now = onset(index);
        let (due, later): (Vec<Input>, Vec<Input>) = pending.iter().partition(|i| match i {
            Input::Click { at, .. } | Input::Release { at, .. } | Input::Motion { at, .. } => {
                *at < now
            }
            Input::Abort | Input::Disturbed(_) | Input::NotReady => true,
        });
        pending = later;
        let mut due = due;
        if let Some((_, input)) = inject.filter(|(at, _)| *at == index) {
            due.push(input);
        }
        let frame = t.step(FrameTick::at(index, now), &due);
        let first_of_screen = run.screens.last() != Some(&frame.screen);
        match frame.screen {
            Screen::Start { .. } | Screen::Break(_) if first_of_screen => {
                pending.push(press(now + 0.3));
                pending.push(release(now + 0.3 + HOLD));
            }
            Screen::Response if first_of_screen => {
                for click in clicks(t.trial_index()) {
                    let (at, x, y) = match click {
                        Click::On(category, after) => {
                            let (x, y) = t.grid().rect(category).centre();
                            (now + after, x, y)
                        }
                        Click::At(after, x, y) => (now + after, x, y),
                    };
                    pending.push(Input::Click {
                        at,
                        x,
                        y,
                        button: Button::Left,
                    });
                    pending.push(release(at + HOLD));
                }
            }
            _ => {}
        }
        run.events
            .extend(frame.events.into_iter().map(|e| (run.screens.len(), e)));
        run.screens.push(frame.screen);
        run.phases.push(frame.phase);
        if frame.screen == Screen::Done {
            return run;
        }
    }
    panic!("the session never ended");
}

fn run(t: Timeline, clicks: impl Fn(usize) -> Vec<Click>) -> Run {
    run_with(t, clicks, |i| i as f64 / HZ, None)
}

fn no_clicks(_: usize) -> Vec<Click> {
    Vec::new()
}

#[test]
fn every_phase_lasts_exactly_its_planned_frames() {
    let shapes = [Bird, Dog, Car, Oven, Knife];
    let result = run(timeline(&shapes, settings(256)), |i| {
        vec![Click::On(shapes[i], 0.6)]
    });
    let timings = result.timings();
    assert_eq!(timings.len(), 5);
    let planned = [18, 12, 1, 12, 1, 90, 0, 18];
    for timing in &timings {
        let frames: Vec<u32> = timing.phases.iter().map(|p| p.frames).collect();
        let plan: Vec<u32> = timing.phases.iter().map(|p| p.planned).collect();
        assert_eq!(plan, planned);
        assert_eq!(frames, planned);
        assert!(timing.phases.iter().all(|p| p.late_intervals == 0));
    }
    // Phase onsets follow each other by exactly the planned frames.
    let p = timings[0].phases;
    let gap = |a: usize, b: usize| {
        ((p[b].onset.expect("shown") - p[a].onset.expect("shown")) * HZ).round() as u32
    };
    assert_eq!(
        [gap(0, 1), gap(1, 2), gap(2, 3), gap(3, 4), gap(4, 5)],
        [18, 12, 1, 12, 1]
    );
    // The screens in order: start, 18 fixation after it, then the trial's own 18 fixation,
    // 12 stimulus, 1 blank, 12 mask, ...
    let screens = &result.screens;
    let first_fixation = screens
        .iter()
        .position(|s| *s == Screen::Fixation)
        .expect("fixation")
        + 18;
    assert!(screens[..first_fixation - 18]
        .iter()
        .all(|s| matches!(s, Screen::Start { first_trial: 1 })));
    let trial = &screens[first_fixation..first_fixation + 134];
    assert!(trial[..18].iter().all(|s| *s == Screen::Fixation));
    assert!(trial[18..30].iter().all(|s| *s == Screen::Stimulus(0)));
    assert_eq!(trial[30], Screen::Blank);
    assert!(trial[31..43].iter().all(|s| *s == Screen::Mask(0)));
    assert_eq!(trial[43], Screen::Blank);
    assert!(trial[44..134].iter().all(|s| *s == Screen::Response));
    assert_eq!(screens[first_fixation + 134], Screen::Fixation);
    // The end screen stays 5 s, then the session is over.
    let end_frames = screens
        .iter()
        .filter(|s| matches!(s, Screen::End(_)))
        .count();
    assert_eq!(end_frames, 300);
    assert_eq!(
        result.events.last().map(|e| e.1),
        Some(Event::SessionEnded { aborted: false })
    );
}

#[test]
fn a_click_at_900_ms_then_at_1200_ms_records_the_second_click() {
    let result = run(timeline(&[Bird], settings(256)), |_| {
        vec![Click::On(Dog, 0.9), Click::On(Bird, 1.2)]
    });
    let r = result.results()[0];
    assert_eq!(r.response, Some(Bird));
    assert!(r.correct);
    let rt = r.rt.expect("answered");
    assert!((rt - 1.2).abs() < 1e-9, "rt {rt}");
}

#[test]
fn clicks_outside_the_boxes_do_not_replace_an_answer() {
    let result = run(timeline(&[Bird], settings(256)), |_| {
        vec![
            Click::On(Cat, 0.5),
            Click::At(0.8, 10.0, 10.0),
            Click::At(0.9, 816.5, 300.0),
        ]
    });
    let r = result.results()[0];
    assert_eq!(r.response, Some(Cat));
    assert!((r.rt.expect("answered") - 0.5).abs() < 1e-9);
    assert!(!r.correct);
}

#[test]
fn a_click_after_the_fixed_window_is_too_late() {
    let result = run(timeline(&[Bird], settings(256)), |_| {
        vec![Click::On(Bird, 1.5)]
    });
    assert_eq!(result.results()[0].response, None);
    let result = run(timeline(&[Bird], settings(256)), |_| {
        vec![Click::On(Bird, 1.49)]
    });
    assert_eq!(result.results()[0].response, Some(Bird));
}

#[test]
fn the_response_window_is_fixed_whatever_the_participant_does() {
    let early = run(timeline(&[Bird, Dog], settings(256)), |_| {
        vec![Click::On(Bird, 0.1)]
    });
    let never = run(timeline(&[Bird, Dog], settings(256)), no_clicks);
    assert_eq!(early.screens.len(), never.screens.len());
}

#[test]
fn no_answer_always_beeps_and_a_wrong_answer_beeps_only_with_auditive_feedback() {
    let shapes = [Bird, Bird, Bird];
    let clicks = |i: usize| match i {
        0 => vec![],
        1 => vec![Click::On(Dog, 0.5)],
        _ => vec![Click::On(Bird, 0.5)],
    };
    let quiet = run(timeline(&shapes, settings(256)), clicks);
    assert_eq!(quiet.beeps(), 1);
    let mut loud = settings(256);
    loud.auditive_feedback = true;
    let loud = run(timeline(&shapes, loud), clicks);
    assert_eq!(loud.beeps(), 2);
    let nothing = run(timeline(&shapes, settings(256)), no_clicks);
    assert_eq!(nothing.beeps(), 3);
}

#[test]
fn visual_feedback_highlights_the_correct_box_after_a_wrong_answer_only() {
    let mut s = settings(256);
    s.visual_feedback = true;
    let result = run(timeline(&[Bird, Dog], s), |i| match i {
        0 => vec![Click::On(Cat, 0.5)],
        _ => vec![Click::On(Dog, 0.5)],
    });
    let highlighted = result
        .screens
        .iter()
        .filter(|s| **s == Screen::Feedback(Bird))
        .count();
    assert_eq!(highlighted, 18);
    assert_eq!(
        result
            .screens
            .iter()
            .filter(|s| matches!(s, Screen::Feedback(_)))
            .count(),
        18
    );
    let timings = result.timings();
    assert_eq!(
        (timings[0].phases[6].planned, timings[0].phases[6].frames),
        (18, 18)
    );
    assert_eq!(
        (timings[1].phases[6].planned, timings[1].phases[6].frames),
        (0, 0)
    );
}

#[test]
fn break_screens_summarise_the_block_just_finished() {
    // 10 trials in blocks of 4: breaks after trials 4 and 8, none after the last.
    let shapes = [Bird; 10];
    let result = run(timeline(&shapes, settings(4)), |i| match i {
        0..=2 => vec![Click::On(Bird, 0.5)], // block 1: 3 correct, 1 missing
        4 => vec![Click::On(Dog, 0.5)],      // block 2: 3 correct, 1 wrong
        3 => vec![],
        _ => vec![Click::On(Bird, 0.5)],
    });
    let mut breaks: Vec<BlockSummary> = result
        .screens
        .iter()
        .filter_map(|s| match s {
            Screen::Break(b) => Some(*b),
            _ => None,
        })
        .collect();
    breaks.dedup();
    assert_eq!(breaks.len(), 2);
    let first = breaks[0];
    assert_eq!(
        (
            first.block,
            first.blocks,
            first.trials,
            first.correct,
            first.no_answer
        ),
        (1, 3, 4, 3, 1)
    );
    assert_eq!(first.percent_correct(), 75.0);
    assert_eq!(first.percent_no_answer(), 25.0);
    assert!(first.warn_no_answer());
    let second = breaks[1];
    assert_eq!((second.block, second.correct, second.no_answer), (2, 3, 0));
    assert!(!second.warn_no_answer());
    let end = result.screens.iter().rev().find_map(|s| match s {
        Screen::End(b) => Some(*b),
        _ => None,
    });
    assert_eq!(end.map(|b| (b.block, b.trials, b.correct)), Some((3, 2, 2)));
}

#[test]
fn the_no_answer_warning_starts_above_two_percent() {
    let at = |no_answer| BlockSummary {
        block: 1,
        blocks: 1,
        trials: 100,
        correct: 0,
        no_answer,
    };
    assert!(!at(2).warn_no_answer());
    assert!(at(3).warn_no_answer());
}

#[test]
fn an_abort_ends_the_session_and_drops_the_unfinished_trial() {
    let shapes = [Bird, Dog, Car];
    // Trial 2's fixation is on screen at frame 200 (19 start, 36 fixation, 134 trial 1, 18
    // inter-trial fixation).
    let result = run_with(
        timeline(&shapes, settings(256)),
        |i| vec![Click::On(shapes[i], 0.5)],
        |i| i as f64 / HZ,
        Some((200, Input::Abort)),
    );
    assert_eq!(result.results().len(), 1);
    assert_eq!(result.screens.last(), Some(&Screen::Done));
    assert_eq!(
        result.events.last().map(|e| e.1),
        Some(Event::SessionEnded { aborted: true })
    );
}

#[test]
fn a_disturbance_marks_the_trial_on_screen_and_only_that_trial() {
    let shapes = [Bird, Dog, Car];
    let disturbed = |frame: u64| {
        let result = run_with(
            timeline(&shapes, settings(256)),
            |i| vec![Click::On(shapes[i], 0.5)],
            |i| i as f64 / HZ,
            Some((frame, Input::Disturbed(Disturbance::Unfocused))),
        );
        let timings = result.timings();
        assert_eq!(timings.len(), 3);
        timings
            .iter()
            .map(|t| t.disturbed.contains(Disturbance::Unfocused))
            .collect::<Vec<_>>()
    };
    // Frame 200 shows trial 2's fixation; frame 5 the start screen, before any trial.
    assert_eq!(disturbed(200), [false, true, false]);
    assert_eq!(disturbed(5), [false, false, false]);
}

#[test]
fn a_late_frame_is_charged_to_the_phase_that_stayed_on_screen() {
    // The display skips two refreshes after the 5th stimulus frame of the first trial.
    let stim_start = 19 + 18 + 18; // start screen frames + two fixations
    let onset = move |i: u64| {
        let refreshes = if i >= stim_start + 5 { i + 2 } else { i };
        refreshes as f64 / HZ
    };
    let result = run_with(timeline(&[Bird], settings(256)), |_| vec![], onset, None);
    let stimulus = result.timings()[0].phases[1];
    assert_eq!(stimulus.frames, 12);
    assert_eq!(stimulus.refreshes, 14);
    assert_eq!(stimulus.late_intervals, 1);
    assert_eq!(result.timings()[0].phases[3].late_intervals, 0);
}

#[test]
fn a_resumed_session_starts_at_its_first_missing_trial_and_counts_the_block_so_far() {
    let shapes = [Bird; 6];
    let grid = ResponseGrid::new(&order(), 1920, 1080, 129, 10);
    let history = vec![
        (true, true),
        (false, false),
        (true, true),
        (true, true),
        (false, true),
    ];
    let t = Timeline::new(trials(&shapes), grid, settings(4), 5, &history);
    let result = run(t, |_| vec![Click::On(Bird, 0.4)]);
    assert!(matches!(
        result.screens[0],
        Screen::Start { first_trial: 6 }
    ));
    let results = result.results();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].index, 5);
    let end = result.screens.iter().rev().find_map(|s| match s {
        Screen::End(b) => Some(*b),
        _ => None,
    });
    // Block 2 holds trials 5 and 6: trial 5 wrong (from the history), trial 6 correct.
    assert_eq!(end.map(|b| (b.block, b.trials, b.correct)), Some((2, 2, 1)));
}

#[test]
fn each_trial_is_prepared_when_its_fixation_begins() {
    let result = run(timeline(&[Bird, Dog], settings(256)), no_clicks);
    let prepares: Vec<(usize, usize)> = result
        .events
        .iter()
        .filter_map(|(frame, e)| match e {
            Event::PrepareTrial(i) => Some((*frame, *i)),
            _ => None,
        })
        .collect();
    assert_eq!(prepares.len(), 2);
    for (frame, trial) in prepares {
        assert_eq!(result.screens[frame], Screen::Fixation);
        assert_eq!(result.screens[frame + 18], Screen::Stimulus(trial));
    }
}

/// Runs of equal values: (value, frames).
fn runs<T: PartialEq + Copy>(values: &[T]) -> Vec<(T, usize)> {
    let mut runs: Vec<(T, usize)> = Vec::new();
    for &value in values {
        match runs.last_mut() {
            Some((last, n)) if *last == value => *n += 1,
            _ => runs.push((value, 1)),
        }
    }
    runs
}

#[test]
fn the_trial_sequence_is_the_originals_from_the_start_screen_to_the_trial_after_a_break() {
    // Three trials in blocks of two at 60 Hz, with the original's defaults: the start screen,
    // two trials, a break, and the trial after it, each phase frame by frame as
    // texture_shape_experiment.m flips them.
    let shapes = [Bird, Dog, Car];
    let result = run(timeline(&shapes, settings(2)), |i| {
        vec![Click::On(shapes[i], 0.6)]
    });
    let trial = [
        (Phase::Fixation, 18),
        (Phase::Stimulus, 12),
        (Phase::PostStimulusBlank, 1),
        (Phase::Mask, 12),
        (Phase::PostMaskBlank, 1),
        (Phase::Response, 90),
        (Phase::InterTrial, 18),
    ];
    // The start and break screens stay until a click 0.3 s after they appear: 19 frames.
    let mut original = vec![(Phase::Start, 19), (Phase::BlockFixation, 18)];
    original.extend(trial);
    original.extend(trial);
    original.extend([(Phase::Break, 19), (Phase::BlockFixation, 18)]);
    original.extend(trial);
    original.extend([(Phase::End, 300), (Phase::Done, 1)]);
    assert_eq!(runs(&result.phases), original);
    // Consecutive stimuli are 36 fixation frames (600 ms) apart, and so is the first stimulus
    // from the start screen.
    let screens = runs(&result.screens);
    let fixations: Vec<usize> = screens
        .windows(2)
        .filter(|w| matches!(w[1].0, Screen::Stimulus(_)))
        .map(|w| {
            assert_eq!(w[0].0, Screen::Fixation);
            w[0].1
        })
        .collect();
    assert_eq!(fixations, [36, 36, 36]);
}

#[test]
fn with_visual_feedback_a_wrong_or_missing_answer_is_followed_by_the_highlight_then_the_fixation() {
    // Trial 1 wrong, trial 2 unanswered, trial 3 right.
    let mut s = settings(256);
    s.visual_feedback = true;
    let result = run(timeline(&[Bird, Dog, Car], s), |i| match i {
        0 => vec![Click::On(Cat, 0.6)],
        1 => vec![],
        _ => vec![Click::On(Car, 0.6)],
    });
    let after_response: Vec<Vec<(Phase, usize)>> = runs(&result.phases)
        .windows(3)
        .filter(|w| w[0].0 == Phase::Response)
        .map(|w| w[1..].to_vec())
        .collect();
    assert_eq!(
        after_response,
        [
            vec![(Phase::Feedback, 18), (Phase::InterTrial, 18)],
            vec![(Phase::Feedback, 18), (Phase::InterTrial, 18)],
            vec![(Phase::InterTrial, 18), (Phase::End, 300)],
        ]
    );
    assert_eq!(result.beeps(), 1, "no answer always beeps");
}

#[test]
fn the_inter_trial_fixation_has_its_own_duration() {
    let mut s = settings(256);
    s.frames.inter_trial = 30;
    let result = run(timeline(&[Bird, Dog], s), no_clicks);
    let runs = runs(&result.phases);
    let inter_trial: Vec<usize> = runs
        .iter()
        .filter(|(p, _)| matches!(p, Phase::InterTrial | Phase::BlockFixation))
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(inter_trial, [30, 30, 30]);
    assert!(runs.contains(&(Phase::Fixation, 18)));
    assert_eq!(result.timings()[0].phases[7].frames, 30);
}

/// Steps a timeline by hand: frame `i` appears at i / 60 s.
struct Stepper {
    timeline: Timeline,
    index: u64,
}

impl Stepper {
    fn new(shapes: &[Category], settings: TimelineSettings) -> Stepper {
        Stepper {
            timeline: timeline(shapes, settings),
            index: 0,
        }
    }

    fn now(&self) -> f64 {
        self.index as f64 / HZ
    }

    fn step(&mut self, inputs: &[Input]) -> Frame {
        let tick = FrameTick::at(self.index, self.now());
        self.index += 1;
        self.timeline.step(tick, inputs)
    }

    /// Steps without input until `phase` shows; returns its first frame's onset.
    fn until(&mut self, phase: Phase) -> f64 {
        for _ in 0..100_000 {
            let onset = self.now();
            if self.step(&[]).phase == phase {
                return onset;
            }
        }
        panic!("{phase:?} never came");
    }
}

fn press(at: f64) -> Input {
    Input::Click {
        at,
        x: 5.0,
        y: 5.0,
        button: Button::Left,
    }
}

fn release(at: f64) -> Input {
    Input::Release {
        at,
        button: Button::Left,
    }
}

#[test]
fn a_click_made_before_the_start_screen_appeared_does_not_start_the_session() {
    let mut s = Stepper::new(&[Bird], settings(256));
    // Pressed while the refresh was measured, delivered with the first frames.
    assert_eq!(s.step(&[press(-0.5)]).phase, Phase::Start);
    assert_eq!(s.step(&[release(-0.4)]).phase, Phase::Start);
    for _ in 0..100 {
        assert_eq!(s.step(&[]).phase, Phase::Start);
    }
    let fresh = s.now() - 0.01;
    assert_eq!(s.step(&[press(fresh)]).phase, Phase::BlockFixation);
}

#[test]
fn a_press_from_the_response_screen_never_skips_a_break() {
    let mut s = Stepper::new(&[Bird, Dog], settings(1));
    s.step(&[press(0.0)]);
    let start = s.now() - 0.001;
    s.step(&[press(start)]);
    let response = s.until(Phase::Response);
    // Pressed in the last frame of the response window, still held when the break appears.
    let mut stale = Some(press(response + 1.49));
    let mut break_onset = None;
    for _ in 0..200 {
        let onset = s.now();
        let inputs: Vec<Input> = stale.take().into_iter().collect();
        if s.step(&inputs).phase == Phase::Break {
            break_onset = Some(onset);
            break;
        }
    }
    let shown = break_onset.expect("the break came");
    // The stale press reaches the timeline only with the break's second frame.
    assert_eq!(s.step(&[press(shown - 0.005)]).phase, Phase::Break);
    assert_eq!(s.step(&[release(shown + 0.2)]).phase, Phase::Break);
    for _ in 0..30 {
        assert_eq!(s.step(&[]).phase, Phase::Break);
    }
    let fresh = s.now() - 0.005;
    assert_eq!(s.step(&[press(fresh)]).phase, Phase::BlockFixation);
}

#[test]
fn rt_is_the_press_by_default_and_the_release_when_configured() {
    let rt = |rt_from: RtFrom, clicks: Vec<Click>| {
        let mut s = settings(256);
        s.rules.rt_from = rt_from;
        let result = run(timeline(&[Bird], s), |_| clicks.clone());
        (result.results()[0].rt, result.timings()[0].click)
    };
    let (press, click) = rt(RtFrom::Press, vec![Click::On(Bird, 0.5)]);
    assert!((press.expect("answered") - 0.5).abs() < 1e-9);
    let (pressed, released) = click.expect("a click");
    assert!((pressed - 0.5).abs() < 1e-9);
    assert!((released.expect("released") - 0.6).abs() < 1e-9);
    let (release, _) = rt(RtFrom::Release, vec![Click::On(Bird, 0.5)]);
    assert!((release.expect("answered") - 0.6).abs() < 1e-9);
    // Held past the end of the window: the original's loop counted until the window closed.
    let (held, click) = rt(RtFrom::Release, vec![Click::On(Bird, 1.45)]);
    assert!((held.expect("answered") - 1.5).abs() < 1e-9, "{held:?}");
    let released = click
        .and_then(|c| c.1)
        .expect("released during the inter-trial fixation");
    assert!((released - 1.55).abs() < 1e-9);
}

/// Onsets of a display that stalls once: frame `late` comes `by` refreshes late.
fn stalls_at(late: u64, by: u64) -> impl Fn(u64) -> f64 {
    move |i: u64| (if i >= late { i + by } else { i }) as f64 / HZ
}

#[test]
fn with_acquire_timestamps_a_long_interval_is_charged_to_the_frame_before_the_last() {
    // Onsets taken when the next frame could be acquired: the interval ending at frame n
    // measures how long frame n - 2 stayed. The first mask frame's acquire comes two
    // refreshes late: the last stimulus frame stayed on screen three refreshes.
    let first_mask = 19 + 18 + 18 + 12 + 1;
    let mut lagging = settings(256);
    lagging.interval_lag = 1;
    let result = run_with(
        timeline(&[Bird], lagging),
        |_| vec![],
        stalls_at(first_mask + 1, 2),
        None,
    );
    let phases = result.timings()[0].phases;
    // The interval ending at the mask's second frame measured the blank before it.
    assert_eq!(phases[2].late_intervals, 1, "blank after stimulus");
    assert_eq!(phases[2].refreshes, 3);
    assert_eq!(phases[3].late_intervals, 0, "mask");
    // Without the lag, the same interval is charged to the first mask frame.
    let result = run_with(
        timeline(&[Bird], settings(256)),
        |_| vec![],
        stalls_at(first_mask + 1, 2),
        None,
    );
    assert_eq!(result.timings()[0].phases[3].late_intervals, 1);
}

#[test]
fn the_last_frame_of_a_trial_is_charged_to_that_trial_when_intervals_lag() {
    // Trial 1's last inter-trial frame stays two refreshes longer; trial 2's fixation has
    // begun when that is known.
    let trial_end = 19 + 18 + 18 + 12 + 1 + 12 + 1 + 90 + 18;
    let mut lagging = settings(256);
    lagging.interval_lag = 1;
    let result = run_with(
        timeline(&[Bird, Dog], lagging),
        |_| vec![],
        stalls_at(trial_end + 1, 2),
        None,
    );
    let timings = result.timings();
    assert_eq!(
        timings[0].phases[7].late_intervals, 1,
        "{:?}",
        timings[0].phases[7]
    );
    assert_eq!(timings[1].phases[0].late_intervals, 0);
}

#[test]
fn frames_shown_for_less_than_a_refresh_are_counted_and_mark_the_trial() {
    // Vertical sync lost during the stimulus: frames 4 ms apart.
    let stim_start = 19 + 18 + 18;
    let onset = move |i: u64| {
        if (stim_start + 3..stim_start + 9).contains(&i) {
            (stim_start + 3) as f64 / HZ + (i - stim_start - 3) as f64 * 0.004
        } else if i >= stim_start + 9 {
            (stim_start + 3) as f64 / HZ + 6.0 * 0.004 + (i - stim_start - 9) as f64 / HZ
        } else {
            i as f64 / HZ
        }
    };
    let result = run_with(timeline(&[Bird], settings(256)), |_| vec![], onset, None);
    let timing = result.timings()[0];
    assert_eq!(timing.phases[1].short_intervals, 6);
    assert_eq!(
        crate::data::timing::disturbed(&timing),
        "short_frames",
        "{:?}",
        timing.phases
    );
}

#[test]
fn a_click_made_while_the_last_grid_frame_is_up_counts_although_it_arrives_a_frame_later() {
    // Onsets are one refresh after the acquire; inputs are complete only up to the acquire.
    let shapes = [Bird];
    let mut t = timeline(&shapes, settings(256));
    // The start screen is clicked away with its second frame.
    let grid_first = 1 + 18 + 18 + 12 + 1 + 12 + 1;
    let (bx, by) = t.grid().rect(Bird).centre();
    let mut responded = None;
    for index in 0..2000u64 {
        let acquired = index as f64 / HZ;
        let onset = acquired + 1.0 / HZ;
        let mut inputs = Vec::new();
        if index == 1 {
            inputs.push(Input::Click {
                at: acquired,
                x: 1.0,
                y: 1.0,
                button: Button::Left,
            });
        }
        // The first frame without the grid appears at grid_first + 90 refreshes (+1 for
        // the lag); the click is 5 ms before that, so it is drained one frame later.
        let window_end = (grid_first + 90 + 1) as f64 / HZ;
        if index == grid_first + 91 {
            inputs.push(Input::Click {
                at: window_end - 0.005,
                x: bx,
                y: by,
                button: Button::Left,
            });
        }
        let tick = FrameTick {
            index,
            onset,
            inputs_until: acquired,
        };
        let frame = t.step(tick, &inputs);
        for event in frame.events {
            if let Event::TrialResponded(result) = event {
                responded = Some((index, result));
            }
        }
        if frame.screen == Screen::Done {
            break;
        }
    }
    let (index, result) = responded.expect("a row");
    assert_eq!(result.response, Some(Bird));
    assert!((result.rt.expect("an rt") - (1.5 - 0.005)).abs() < 1e-9);
    assert_eq!(
        index,
        grid_first + 91,
        "the row waits one frame for late clicks"
    );
}

#[test]
fn every_row_handed_out_has_its_timing_line_handed_out_or_kept_as_unwritten() {
    for lag in [0, 1] {
        let mut lagging = settings(4);
        lagging.interval_lag = lag;
        let mut t = timeline(&[Cat, Dog, Car], lagging);
        let (mut rows, mut lines) = (0, 0);
        let mut unwritten_frames = 0;
        let mut pending = Vec::new();
        for index in 0..2000u64 {
            let now = index as f64 / HZ;
            let frame = t.step(FrameTick::at(index, now), &std::mem::take(&mut pending));
            if frame.phase == Phase::Start && index == 10 {
                pending.push(press(now));
            }
            for event in &frame.events {
                match event {
                    Event::TrialResponded(_) => rows += 1,
                    Event::TrialTimed(_) => lines += 1,
                    _ => {}
                }
            }
            // A row's timing line is handed out, or kept for a session ended from outside.
            match t.unwritten_timing() {
                Some(timing) => {
                    assert_eq!((rows, lines + 1), (timing.index + 1, timing.index + 1));
                    unwritten_frames += 1;
                }
                None => assert_eq!(rows, lines, "frame {index} ({:?})", frame.phase),
            }
            if frame.phase == Phase::Done {
                break;
            }
        }
        assert_eq!((rows, lines), (3, 3));
        assert!(unwritten_frames > 3 * 10, "{unwritten_frames}");
    }
}

#[test]
fn the_blocks_total_is_rounded_as_the_original_did() {
    // round(n_trials / n_trials_per_block), halves up: 9 trials in blocks of 4 count as 2
    // blocks (the short last one is not counted), 10 as 3.
    for (trials, total) in [(8, 2), (9, 2), (10, 3), (11, 3), (2, 1)] {
        let shapes = vec![Bird; trials];
        let result = run(timeline(&shapes, settings(4)), |_| {
            vec![Click::On(Bird, 0.5)]
        });
        let blocks = result.screens.iter().find_map(|s| match s {
            Screen::End(b) | Screen::Break(b) => Some(b.blocks),
            _ => None,
        });
        assert_eq!(blocks, Some(total), "{trials} trials");
    }
}

mod response;
