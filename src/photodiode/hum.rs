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

/// The median of some values (reordered).
fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}

/// Subtracts the hum of each mains frequency from `samples` (recorded at `rate` per second).
pub fn remove(samples: &mut [f32], rate: u32) {
    let rate = f64::from(rate);
    let stretch = ((STRETCH * rate) as usize).max(1);
    for mains in MAINS {
        // One sample per phase bin, a period's worth (133 at 8 kHz and 60 Hz).
        let period = (rate / mains).round().max(1.0) as usize;
        let half = period / 2;
        let len = samples.len();
        if len < 2 * period + 1 {
            continue;
        }
        let mut hum: Vec<f32> = Vec::with_capacity(stretch);
        let mut start = 0;
        while start < len {
            let end = (start + stretch).min(len);
            // The level around each sample: the mean of a period centred on it (at the
            // recording's ends, the first or last whole period).
            let window = |i: usize| i.saturating_sub(half).min(len - period);
            let mut first = window(start);
            let mut sum: f64 = samples[first..first + period]
                .iter()
                .map(|&v| f64::from(v))
                .sum();
            let mut phases: Vec<Vec<f32>> = vec![Vec::new(); period];
            for i in start..end {
                let w = window(i);
                while first < w {
                    sum += f64::from(samples[first + period]) - f64::from(samples[first]);
                    first += 1;
                }
                let bin = ((i as f64 * mains / rate).fract() * period as f64) as usize;
                phases[bin.min(period - 1)].push(samples[i] - (sum / period as f64) as f32);
            }
            // A stretch shorter than two periods (the recording's end) cannot tell hum from
            // light; its hum is left.
            if end - start >= 2 * period {
                hum.clear();
                hum.extend(phases.iter_mut().map(|p| median(p)));
                for (i, v) in samples[start..end].iter_mut().enumerate() {
                    let bin =
                        (((start + i) as f64 * mains / rate).fract() * period as f64) as usize;
                    *v -= hum[bin.min(period - 1)];
                }
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
