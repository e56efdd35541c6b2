//! Removes mains hum from a photodiode recording.
//!
//! Room light, the cable and the sound card pick up the mains (50 or 60 Hz and its harmonics),
//! often as strongly as the patch's own light steps; left in, the hum's slopes look like edges
//! and its spread drowns the real ones. The hum repeats every mains period while the patch's
//! pulses do not. So, within each short stretch, the recording's level (its mean over one mains
//! period around each sample, which holds no hum) is set aside, what is left is folded on the
//! mains period, and the median of each phase over the stretch's periods is the hum's waveform
//! (harmonics included), which is subtracted. Near a light edge the level lags the light for
//! half a period; the median ignores those few periods, so the edges leave no trace in the hum.

/// The mains frequencies removed (Hz): Europe's and America's.
const MAINS: [f64; 2] = [50.0, 60.0];

/// The stretch whose hum is taken as one (s): 20 periods of 50 Hz and 24 of 60 Hz; short
/// enough that a mains frequency off by 0.05 Hz drifts by under a tenth of a cycle.
const STRETCH: f64 = 0.4;

/// How alike consecutive stretches' waveforms must mostly be to be hum.
const HUM_LIKENESS: f32 = 0.5;

/// The hum waveform of `samples[start..end]` at `mains` Hz (one value per phase bin of
/// `period` samples), or `None` for a stretch shorter than two periods (the recording's end),
/// which cannot tell hum from light.
fn waveform(
    samples: &[f32],
    (start, end): (usize, usize),
    mains: f64,
    rate: f64,
) -> Option<Vec<f32>> {
    let period = (rate / mains).round().max(1.0) as usize;
    let (len, half) = (samples.len(), period / 2);
    if end - start < 2 * period || len < 2 * period + 1 {
        return None;
    }
    // The level around each sample: the mean of a period centred on it (at the recording's
    // ends, the first or last whole period).
    let window = |i: usize| i.saturating_sub(half).min(len - period);
    let mut first = window(start);
    let mut sum: f64 = samples[first..first + period]
        .iter()
        .map(|&v| f64::from(v))
        .sum();
    let mut phases: Vec<Vec<f32>> = vec![Vec::new(); period];
    for (i, &v) in samples.iter().enumerate().take(end).skip(start) {
        let w = window(i);
        while first < w {
            sum += f64::from(samples[first + period]) - f64::from(samples[first]);
            first += 1;
        }
        phases[bin(i, mains, rate, period)].push(v - (sum / period as f64) as f32);
    }
    Some(phases.iter_mut().map(|p| median(p)).collect())
}

/// The phase bin of sample `i`.
fn bin(i: usize, mains: f64, rate: f64, period: usize) -> usize {
    (((i as f64 * mains / rate).fract() * period as f64) as usize).min(period - 1)
}

/// How alike two waveforms are (correlation, 0 when either is flat).
fn alike(a: &[f32], b: &[f32]) -> f32 {
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
    let norm = (dot(a, a) * dot(b, b)).sqrt();
    if norm > 0.0 {
        dot(a, b) / norm
    } else {
        0.0
    }
}

/// Subtracts the hum of each mains frequency from `samples` (recorded at `rate` per second).
/// A frequency is left alone unless its waveform is alike from stretch to stretch through
/// most of the recording (hum is always there; noise is not alike, and a display that
/// flashes at the mains rate does so only while a stimulus is shown).
pub fn remove(samples: &mut [f32], rate: u32) {
    let rate = f64::from(rate);
    let stretch = ((STRETCH * rate) as usize).max(1);
    let stretches: Vec<(usize, usize)> = (0..samples.len())
        .step_by(stretch)
        .map(|start| (start, (start + stretch).min(samples.len())))
        .collect();
    for mains in MAINS {
        let period = (rate / mains).round().max(1.0) as usize;
        let waveforms: Vec<Option<Vec<f32>>> = stretches
            .iter()
            .map(|&part| waveform(samples, part, mains, rate))
            .collect();
        let mut likeness: Vec<f32> = waveforms
            .windows(2)
            .filter_map(|pair| Some(alike(pair[0].as_ref()?, pair[1].as_ref()?)))
            .collect();
        if likeness.is_empty() || median(&mut likeness) < HUM_LIKENESS {
            continue;
        }
        for (&(start, end), hum) in stretches.iter().zip(&waveforms) {
            let Some(hum) = hum else { continue };
            for (i, v) in samples.iter_mut().enumerate().take(end).skip(start) {
                *v -= hum[bin(i, mains, rate, period)];
            }
        }
    }
}

/// The median of some values (reordered).
pub(super) fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hum_nothing_is_taken_away() {
        let rate = 8000;
        let mut seed: u32 = 7;
        let mut samples: Vec<f32> = (0..3 * rate as usize)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as f32 / u32::MAX as f32 - 0.5
            })
            .collect();
        let before = samples.clone();
        remove(&mut samples, rate);
        assert_eq!(samples, before);
    }

    #[test]
    fn hum_of_either_mains_goes_and_a_light_step_stays() {
        let rate = 48000;
        for mains in [50.0, 59.95] {
            let mut samples: Vec<f32> = (0..rate as usize)
                .map(|i| {
                    let t = i as f64 / f64::from(rate);
                    let light = if (0.3..0.5).contains(&t) { 0.4 } else { 0.0 };
                    let hum = 0.1 * (2.0 * std::f64::consts::PI * mains * t).sin()
                        + 0.03 * (2.0 * std::f64::consts::PI * 3.0 * mains * t).sin();
                    (light + hum) as f32
                })
                .collect();
            remove(&mut samples, rate);
            let at = |t: f64| samples[(t * f64::from(rate)) as usize];
            // Away from the light, what is left of the hum is a few percent of the step.
            for t in [0.05, 0.13, 0.61, 0.77, 0.93] {
                assert!(at(t).abs() < 0.03, "{mains} Hz at {t} s: {}", at(t));
            }
            assert!((at(0.4) - at(0.2) - 0.4).abs() < 0.04, "{mains} Hz");
        }
    }
}
