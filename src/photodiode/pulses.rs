//! Finds the light pulses in a photodiode recording.
//!
//! A sound card's microphone input is AC-coupled: a long pulse does not stay high, it jumps and
//! then decays towards zero, and the circuit decides whether light drives the signal up or
//! down. So pulses are found by their edges, not their level:
//!
//! 1. The step at each sample is the mean of the next quarter refresh (at most 4 ms) minus the
//!    mean of the last one: a flat stretch or a slow decay gives almost nothing, an edge gives
//!    its full height, even when the screen's pixels take a few milliseconds to change.
//! 2. The noise is the robust spread of the steps (1.4826 x their median absolute deviation,
//!    edges being rare); a candidate edge is a run of steps of one sign above 8 times the noise,
//!    placed at its largest step (refined between samples). A candidate within two step sides
//!    (half a refresh: no frame is shorter) of the one before is no edge of its own: of the
//!    same sign, it is the same edge split by noise; of the other sign and lower, the rebound
//!    of a strongly AC-coupled input, whose signal falls back past zero after a jump; of the
//!    other sign and as high, the pair is a spike (a click, a flicker of the backlight, a
//!    flash) and neither counts.
//! 3. A real edge is at least half as high as the median candidate, so that every edge of the
//!    patch (all of one contrast) counts and a click or hum peak does not.
//! 4. An edge in the light's direction starts a pulse, the next edge in the other direction ends
//!    it. Pulses closer than half a refresh are one pulse (a backlight flickering within a
//!    frame), and pulses shorter than half a refresh are dropped (a spike is not a frame).
//! 5. A display that lights each frame only for a moment (a CRT, a strobed or scanning
//!    backlight, black-frame insertion) gives a spike per refresh: spikes of the light's
//!    direction at most 1.5 refreshes apart are one pulse, from the first to a refresh after
//!    the last (a lone spike stays a click, so a one-frame stimulus on such a display is lost).

use super::hum::{self, median};
use super::wav::Recording;

/// The longest side of the step (s); shorter at fast refresh rates (a quarter refresh), so that
/// both edges of a one-frame pulse stay apart.
const MAX_STEP_SECONDS: f64 = 0.004;

/// Candidate edges are steps above this many times the noise.
const NOISE_FACTOR: f32 = 8.0;

/// An edge of the other sign right after a jump and lower than this share of it is the jump's
/// rebound (a coupling's rebound reaches about 93 % of the jump at a 100 Hz high-pass); as
/// high, the two are a spike.
const REBOUND: f32 = 0.97;

/// The stretch of recording whose noise is measured on its own (s).
const NOISE_STRETCH: f64 = 1.0;

/// An edge of the other sign within `DECAY_SECONDS` of a jump and lower than this share of it
/// is the jump's decay through an AC coupling (the light's own edge is as high as the jump,
/// within the difference between an LCD's rise and fall).
const LATE_REBOUND: f32 = 0.5;

/// How long an AC coupling's decay after a jump can give steps (s): five time constants of a
/// 20 ms coupling.
const DECAY_SECONDS: f64 = 0.1;

/// Flashes at most this many refreshes apart are one train (one flash per refresh).
const TRAIN_GAP: f64 = 1.5;

/// The smallest noise assumed: a third of a 16-bit step, for recordings without any.
const NOISE_FLOOR: f32 = 1e-5;

/// An edge: where the light came on or went off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// When (s from the start of the recording).
    pub at: f64,
    /// Whether the signal steps up.
    pub up: bool,
    /// The height of the step (full scale 1).
    pub height: f32,
}

/// The edges of a recording and the levels that found them.
#[derive(Debug, Clone, PartialEq)]
pub struct Edges {
    /// In time order.
    pub edges: Vec<Edge>,
    /// Spikes (an edge and its opposite within half a refresh): the first edge of each.
    pub flashes: Vec<Edge>,
    /// The noise of the steps (full scale 1).
    pub noise: f32,
    /// The height an edge needed.
    pub threshold: f32,
}

/// A light pulse: the patch white on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    /// When the light came on (s from the start of the recording).
    pub onset: f64,
    /// When it went off.
    pub offset: f64,
}

impl Pulse {
    /// How long the light was on (s).
    pub fn duration(&self) -> f64 {
        self.offset - self.onset
    }
}

/// The step at every sample from `w` to `len - w`: mean of the next `w` samples minus mean of
/// the last `w`, computed with running sums.
fn steps(samples: &[f32], w: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
    let mut before: f64 = samples[..w].iter().map(|&v| f64::from(v)).sum();
    let mut after: f64 = samples[w..2 * w].iter().map(|&v| f64::from(v)).sum();
    (w..=samples.len() - w).map(move |n| {
        let step = ((after - before) / w as f64) as f32;
        if n + w < samples.len() {
            after += f64::from(samples[n + w]) - f64::from(samples[n]);
            before += f64::from(samples[n]) - f64::from(samples[n - w]);
        }
        (n, step)
    })
}

/// A candidate edge: its largest step, the steps beside it, and its sample.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    sample: usize,
    step: f32,
    before: f32,
    after: Option<f32>,
}

impl Candidate {
    /// The sample of the peak refined by a parabola through it and its neighbours.
    fn at(&self) -> f64 {
        let (a, b, c) = (
            self.before.abs(),
            self.step.abs(),
            self.after.unwrap_or(0.0).abs(),
        );
        let curve = a - 2.0 * b + c;
        let shift = if curve < 0.0 {
            (0.5 * (a - c) / curve).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        self.sample as f64 + f64::from(shift)
    }
}

/// The robust spread of some steps: 1.4826 x their median absolute deviation (reordered).
fn spread(steps: &mut [f32]) -> f32 {
    let centre = median(steps);
    let mut deviations: Vec<f32> = steps.iter().map(|s| (s - centre).abs()).collect();
    (1.4826 * median(&mut deviations)).max(NOISE_FLOOR)
}

/// Finds the edges of a recording of a display refreshing every `period` seconds (see the
/// module's rule); `threshold`: the height an edge needs, instead of the one worked out.
pub fn edges(recording: &Recording, period: f64, threshold: Option<f32>) -> Edges {
    let mut cleaned = recording.samples.clone();
    hum::remove(&mut cleaned, recording.rate);
    let samples = &cleaned;
    let side = (period / 4.0).min(MAX_STEP_SECONDS);
    let w = ((f64::from(recording.rate) * side).round() as usize).max(1);
    if samples.len() < 2 * w + 1 {
        return Edges {
            edges: Vec::new(),
            flashes: Vec::new(),
            noise: NOISE_FLOOR,
            threshold: threshold.unwrap_or(NOISE_FLOOR * NOISE_FACTOR),
        };
    }
    // The noise of each stretch (from at most 4,000 of its steps), so that noise that comes
    // and goes (a lamp, a charger) is measured where it is; a step counts against the
    // noisiest of its stretch and the two beside it.
    let stretch = (NOISE_STRETCH * f64::from(recording.rate)) as usize;
    let stride = (stretch / 4000).max(1);
    let all: Vec<(usize, f32)> = steps(samples, w).step_by(stride).collect();
    let mut local: Vec<f32> = all
        .chunk_by(|a, b| a.0 / stretch == b.0 / stretch)
        .map(|part| spread(&mut part.iter().map(|(_, s)| *s).collect::<Vec<f32>>()))
        .collect();
    let noisiest: Vec<f32> = (0..local.len())
        .map(|i| {
            local[i.saturating_sub(1)..(i + 2).min(local.len())]
                .iter()
                .copied()
                .fold(NOISE_FLOOR, f32::max)
        })
        .collect();
    let noise = median(&mut local).max(NOISE_FLOOR);
    let low_at = |n: usize| {
        threshold
            .unwrap_or_else(|| NOISE_FACTOR * noisiest.get(n / stretch).copied().unwrap_or(noise))
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut current: Option<Candidate> = None;
    let mut previous = 0.0f32;
    for (n, step) in steps(samples, w) {
        let inside = step.abs() > low_at(n);
        match &mut current {
            Some(c) if inside && (step > 0.0) == (c.step > 0.0) => {
                if step.abs() > c.step.abs() {
                    *c = Candidate {
                        sample: n,
                        step,
                        before: previous,
                        after: None,
                    };
                } else if c.after.is_none() {
                    c.after = Some(step);
                }
            }
            _ => {
                if let Some(mut done) = current.take() {
                    done.after.get_or_insert(step);
                    candidates.push(done);
                }
                if inside {
                    current = Some(Candidate {
                        sample: n,
                        step,
                        before: previous,
                        after: None,
                    });
                }
            }
        }
        previous = step;
    }
    candidates.extend(current);
    // Within half a refresh (no frame is that short): runs of one sign split by noise near the
    // threshold are one edge, keep the highest; an edge of the other sign is the rebound of a
    // strongly AC-coupled input when lower, else the pair is a spike and both go.
    let decay = (DECAY_SECONDS * f64::from(recording.rate)) as usize;
    let mut merged: Vec<Candidate> = Vec::new();
    let mut spikes: Vec<Candidate> = Vec::new();
    for c in candidates {
        match merged.last_mut() {
            Some(last) if c.sample - last.sample <= 2 * w => {
                let same = (last.step > 0.0) == (c.step > 0.0);
                if same {
                    if c.step.abs() > last.step.abs() {
                        *last = c;
                    }
                } else if c.step.abs() >= REBOUND * last.step.abs() {
                    // As high as the jump: a spike (a click, a flicker, a flash), no frame.
                    spikes.extend(merged.pop());
                }
            }
            // The coupling's decay after a jump: a lower slope back, which noise breaks into
            // pieces and slow pixels push past the jump's own rebound.
            Some(last)
                if c.sample - last.sample <= decay
                    && (last.step > 0.0) != (c.step > 0.0)
                    && c.step.abs() < LATE_REBOUND * last.step.abs() => {}
            _ => merged.push(c),
        }
    }
    let mut heights: Vec<f32> = merged.iter().map(|c| c.step.abs()).collect();
    let threshold =
        threshold.unwrap_or_else(|| (NOISE_FACTOR * noise).max(0.5 * median(&mut heights)));
    let rate = f64::from(recording.rate);
    let kept = |found: &[Candidate]| -> Vec<Edge> {
        found
            .iter()
            .filter(|c| c.step.abs() >= threshold.max(low_at(c.sample)))
            .map(|c| Edge {
                at: c.at() / rate,
                up: c.step > 0.0,
                height: c.step.abs(),
            })
            .collect()
    };
    Edges {
        edges: kept(&merged),
        flashes: kept(&spikes),
        noise,
        threshold,
    }
}

/// The pulses of `edges` when light makes the signal step up (`light_up`) or down, on a display
/// refreshing every `period` seconds; pulses closer than half a refresh are joined and shorter
/// ones dropped, and a train of flashes (a display that lights each frame only for a moment)
/// is one pulse (see the module's rule).
pub fn pulses(edges: &Edges, light_up: bool, period: f64) -> Vec<Pulse> {
    let bridge = period / 2.0;
    let mut paired: Vec<Pulse> = Vec::new();
    let mut onset: Option<f64> = None;
    for edge in &edges.edges {
        match (edge.up == light_up, onset) {
            // A second "on" edge while on is ringing: the first one counts.
            (true, None) => onset = Some(edge.at),
            (false, Some(on)) => {
                paired.push(Pulse {
                    onset: on,
                    offset: edge.at,
                });
                onset = None;
            }
            _ => {}
        }
    }
    paired.extend(trains(&edges.flashes, light_up, period));
    paired.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    let mut joined: Vec<Pulse> = Vec::new();
    for pulse in paired {
        match joined.last_mut() {
            Some(last) if pulse.onset - last.offset < bridge => last.offset = pulse.offset,
            _ => joined.push(pulse),
        }
    }
    joined.retain(|p| p.duration() >= bridge);
    joined
}

/// Trains of flashes of light (`light_up`: flashes that step the signal up first) at most
/// 1.5 refreshes apart, each as a pulse from its first flash to a refresh after its last; a
/// lone flash is a click.
fn trains(flashes: &[Edge], light_up: bool, period: f64) -> Vec<Pulse> {
    let lit: Vec<f64> = flashes
        .iter()
        .filter(|f| f.up == light_up)
        .map(|f| f.at)
        .collect();
    lit.chunk_by(|a, b| b - a < TRAIN_GAP * period)
        .filter(|train| train.len() >= 2)
        .map(|train| Pulse {
            onset: train[0],
            offset: train[train.len() - 1] + period,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48000;

    /// A recording of light pulses (onset, offset in s) through an AC coupling of time
    /// constant `tau` (s), light stepping the signal by `height`, plus uniform noise.
    fn recording(
        pulses: &[(f64, f64)],
        seconds: f64,
        tau: f64,
        height: f32,
        noise: f32,
    ) -> Recording {
        let n = (seconds * f64::from(RATE)) as usize;
        let decay = (-1.0 / (tau * f64::from(RATE))).exp() as f32;
        let mut seed: u32 = 12345;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        let (mut out, mut last_light) = (0.0f32, 0.0f32);
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let t = i as f64 / f64::from(RATE);
            let light = if pulses.iter().any(|&(a, b)| t >= a && t < b) {
                height
            } else {
                0.0
            };
            // A one-pole high-pass: the step passes, the level decays.
            out = decay * (out + light - last_light);
            last_light = light;
            samples.push(out + noise * random());
        }
        Recording {
            rate: RATE,
            channels: 1,
            channel: 0,
            samples,
        }
    }

    fn found(r: &Recording, light_up: bool) -> Vec<Pulse> {
        pulses(&edges(r, 1.0 / 60.0, None), light_up, 1.0 / 60.0)
    }

    /// Exactly the pulses `truth` (onset, offset s), each edge within 0.1 ms.
    fn assert_found_within_a_tenth_of_a_millisecond(got: &[Pulse], truth: &[(f64, f64)]) {
        assert_eq!(got.len(), truth.len(), "{got:?}");
        for (p, (on, off)) in got.iter().zip(truth) {
            assert!(
                (p.onset - on).abs() < 1e-4 && (p.offset - off).abs() < 1e-4,
                "{p:?}"
            );
        }
    }

    #[test]
    fn pulses_through_an_ac_coupled_input_are_found_to_a_sample() {
        let truth = [(0.5, 0.7), (1.3, 1.5167), (2.0, 2.2)];
        // The coupling's time constant (10 ms, or 1.5 ms: a high-pass at 100 Hz) is far
        // shorter than a pulse (200 ms).
        let cases = [
            (0.4f32, true, 0.01),
            (-0.4, false, 0.01),
            (0.4, true, 0.0015),
        ];
        for (height, light_up, tau) in cases {
            let r = recording(&truth, 3.0, tau, height, 0.0);
            let got = found(&r, light_up);
            assert_eq!(got.len(), 3, "{got:?}");
            for (p, (on, off)) in got.iter().zip(truth) {
                assert!((p.onset - on).abs() < 2.0 / f64::from(RATE), "{p:?}");
                assert!((p.offset - off).abs() < 2.0 / f64::from(RATE), "{p:?}");
            }
            // With the wrong polarity the gaps become pulses instead.
            let wrong = found(&r, !light_up);
            assert!(wrong.iter().all(|p| p.duration() > 0.4), "{wrong:?}");
        }
    }

    #[test]
    fn noise_at_a_fifth_of_the_step_leaves_the_pulses_within_a_tenth_of_a_millisecond() {
        let truth = [(0.25, 0.45), (0.9, 1.1), (1.7, 1.9167)];
        let r = recording(&truth, 2.2, 0.05, 0.3, 0.06);
        let e = edges(&r, 1.0 / 60.0, None);
        assert!(e.noise > 0.001 && e.threshold > 8.0 * e.noise, "{e:?}");
        assert_found_within_a_tenth_of_a_millisecond(&found(&r, true), &truth);
    }

    #[test]
    fn clicks_louder_than_the_light_neither_make_nor_break_a_pulse() {
        let truth = [(0.25, 0.45), (0.9, 1.1), (1.7, 1.9167)];
        let mut r = recording(&truth, 2.2, 0.02, 0.3, 0.01);
        // Clicks of 2 ms and twice the light's step (as high as its edges once averaged),
        // outside and inside pulses, either way.
        for (at, sign) in [
            (0.1, 1.0f32),
            (0.35, -1.0),
            (0.38, 1.0),
            (1.0, 1.0),
            (1.5, -1.0),
        ] {
            let first = (at * f64::from(RATE)) as usize;
            for v in &mut r.samples[first..first + 96] {
                *v += sign * 0.6;
            }
        }
        assert_found_within_a_tenth_of_a_millisecond(&found(&r, true), &truth);
    }

    #[test]
    fn a_flicker_inside_a_frame_is_bridged_and_a_spike_is_not_a_pulse() {
        // Light off for 2 ms inside a pulse (backlight), then a 1 ms flash.
        let r = recording(
            &[(0.2, 0.3), (0.302, 0.4), (0.7, 0.701)],
            1.0,
            1.0,
            0.5,
            0.0,
        );
        let got = found(&r, true);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!((got[0].duration() - 0.2).abs() < 1e-3);
    }

    #[test]
    fn a_train_of_flashes_one_per_refresh_is_one_pulse() {
        // A CRT: 1.5 ms of light at the start of each of 12 refreshes, three times.
        let period = 1.0 / 60.0;
        let flashes: Vec<(f64, f64)> = [0.3, 0.9, 1.5]
            .iter()
            .flat_map(|&on| {
                (0..12).map(move |k| (on + k as f64 * period, on + k as f64 * period + 0.0015))
            })
            .collect();
        let r = recording(&flashes, 2.0, 0.02, 0.4, 0.01);
        let got = found(&r, true);
        assert_eq!(got.len(), 3, "{got:?}");
        for (p, on) in got.iter().zip([0.3, 0.9, 1.5]) {
            // A flash is timed within a step's side (4 ms), the same for every flash, so the
            // durations are exact.
            assert!((p.onset - on).abs() < 0.004, "{p:?}");
            assert!((p.duration() - 12.0 * period).abs() < 1e-3, "{p:?}");
        }
    }

    #[test]
    fn silence_and_a_too_short_recording_have_no_pulses() {
        assert!(found(&recording(&[], 0.5, 0.01, 0.5, 0.01), true).is_empty());
        let tiny = Recording {
            rate: RATE,
            channels: 1,
            channel: 0,
            samples: vec![0.0; 10],
        };
        assert!(edges(&tiny, 1.0 / 60.0, None).edges.is_empty());
    }
}
