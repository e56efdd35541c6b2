//! Pink-noise masks as the original lab made them: |f|^(beta/2) amplitude on the FFT frequency
//! grid, uniform random phases, inverse 2-D FFT, normalised to 0..1, contrast raised, clipped.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::config::MaskParams;
use crate::rng::Rng;

/// A square grey mask, one byte per pixel, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    /// Side length in pixels.
    pub size: usize,
    /// Grey levels (the same in R, G and B when drawn).
    pub pixels: Vec<u8>,
}

/// Makes masks of one size and spectrum; plans the FFT once so each mask is cheap.
pub struct MaskGenerator {
    size: usize,
    contrast: f64,
    amplitude: Vec<f64>,
    inverse: Arc<dyn Fft<f64>>,
}

impl MaskGenerator {
    /// A generator for the configured mask.
    pub fn new(params: &MaskParams) -> MaskGenerator {
        let size = params.size as usize;
        let frequency = |k: usize| {
            // numpy.fft.fftfreq: 0, 1/n, ..., then the negative half.
            let k = if k < size.div_ceil(2) {
                k as f64
            } else {
                k as f64 - size as f64
            };
            k / size as f64
        };
        let mut amplitude = vec![0.0; size * size];
        for y in 0..size {
            for x in 0..size {
                let f = frequency(x).hypot(frequency(y));
                if f > 0.0 {
                    amplitude[y * size + x] = f.powf(params.exponent / 2.0);
                }
            }
        }
        MaskGenerator {
            size,
            contrast: params.contrast,
            amplitude,
            inverse: FftPlanner::new().plan_fft_inverse(size),
        }
    }

    /// The noise field for `seed`, normalised to 0..1 (before the contrast step).
    pub fn noise(&self, seed: u64) -> Vec<f64> {
        let n = self.size;
        let mut rng = Rng::new(seed);
        let mut field: Vec<Complex<f64>> = self
            .amplitude
            .iter()
            .map(|&a| unit_phase(&mut rng) * a)
            .collect();
        let mut scratch = vec![Complex::default(); self.inverse.get_inplace_scratch_len()];
        // Rows, then (after a transpose) columns, each as one batch of n transforms.
        self.inverse.process_with_scratch(&mut field, &mut scratch);
        let mut columns = vec![Complex::default(); n * n];
        for y in 0..n {
            for x in 0..n {
                columns[x * n + y] = field[y * n + x];
            }
        }
        self.inverse
            .process_with_scratch(&mut columns, &mut scratch);
        let mut values = vec![0.0; n * n];
        for x in 0..n {
            for y in 0..n {
                values[y * n + x] = columns[x * n + y].re;
            }
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        values.iter_mut().for_each(|v| *v -= min);
        let max = values.iter().copied().fold(0.0, f64::max);
        if max > 0.0 {
            values.iter_mut().for_each(|v| *v /= max);
        }
        values
    }

    /// The mask for `seed`: the noise with its contrast raised around 0.5, clipped to 0..1.
    pub fn generate(&self, seed: u64) -> Mask {
        let pixels = self
            .noise(seed)
            .into_iter()
            .map(|v| {
                let v = ((v - 0.5) * self.contrast + 0.5).clamp(0.0, 1.0);
                (v * 255.0).round() as u8
            })
            .collect();
        Mask {
            size: self.size,
            pixels,
        }
    }
}

/// A uniformly random phase as a unit complex number, by rejection sampling in the unit disc
/// (no trigonometry, and the same numbers on every platform).
fn unit_phase(rng: &mut Rng) -> Complex<f64> {
    loop {
        let x = 2.0 * rng.next_f64() - 1.0;
        let y = 2.0 * rng.next_f64() - 1.0;
        let r2 = x * x + y * y;
        if r2 > 1e-12 && r2 <= 1.0 {
            let r = r2.sqrt();
            return Complex::new(x / r, y / r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(size: u32, exponent: f64) -> MaskGenerator {
        MaskGenerator::new(&MaskParams {
            exponent,
            contrast: 4.0,
            size,
        })
    }

    /// Slope of log power against log frequency, radially averaged, by least squares.
    fn spectrum_slope(values: &[f64], n: usize) -> f64 {
        let mut field: Vec<Complex<f64>> = values.iter().map(|&v| Complex::new(v, 0.0)).collect();
        let fft = FftPlanner::new().plan_fft_forward(n);
        for row in field.chunks_mut(n) {
            fft.process(row);
        }
        let mut column = vec![Complex::default(); n];
        for x in 0..n {
            for y in 0..n {
                column[y] = field[y * n + x];
            }
            fft.process(&mut column);
            for y in 0..n {
                field[y * n + x] = column[y];
            }
        }
        let mut power = vec![(0.0, 0usize); n / 2];
        for y in 0..n {
            for x in 0..n {
                let fx = if x < n / 2 {
                    x as f64
                } else {
                    x as f64 - n as f64
                };
                let fy = if y < n / 2 {
                    y as f64
                } else {
                    y as f64 - n as f64
                };
                let r = fx.hypot(fy).round() as usize;
                if (1..n / 2).contains(&r) {
                    power[r].0 += field[y * n + x].norm_sqr();
                    power[r].1 += 1;
                }
            }
        }
        let points: Vec<(f64, f64)> = power
            .iter()
            .enumerate()
            .skip(2)
            .map(|(r, &(p, c))| ((r as f64).ln(), (p / c as f64).ln()))
            .collect();
        let k = points.len() as f64;
        let (sx, sy) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / k, sy / k);
        let cov: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let var: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        cov / var
    }

    #[test]
    fn a_pink_mask_has_a_power_spectrum_slope_near_minus_one() {
        let g = generator(224, -1.0);
        let slopes: Vec<f64> = (0..4)
            .map(|seed| spectrum_slope(&g.noise(seed), 224))
            .collect();
        let mean = slopes.iter().sum::<f64>() / 4.0;
        assert!((mean + 1.0).abs() < 0.1, "slopes {slopes:?}");
    }

    #[test]
    fn a_brown_mask_is_steeper_than_a_pink_one() {
        let slope = spectrum_slope(&generator(128, -2.0).noise(1), 128);
        assert!((slope + 2.0).abs() < 0.2, "slope {slope}");
    }

    #[test]
    fn the_noise_spans_zero_to_one_before_contrast() {
        let noise = generator(224, -1.0).noise(5);
        let min = noise.iter().copied().fold(f64::INFINITY, f64::min);
        let max = noise.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((min, max), (0.0, 1.0));
    }

    #[test]
    fn raised_contrast_clips_to_the_full_range_around_mid_grey() {
        let mask = generator(224, -1.0).generate(9);
        assert_eq!(mask.pixels.len(), 224 * 224);
        assert_eq!(mask.pixels.iter().min(), Some(&0));
        assert_eq!(mask.pixels.iter().max(), Some(&255));
        let mean = mask.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / (224.0 * 224.0);
        assert!((60.0..195.0).contains(&mean), "mean {mean}");
    }

    #[test]
    fn phases_are_uniform_around_the_circle() {
        let mut rng = Rng::new(4);
        let mut quadrants = [0usize; 4];
        for _ in 0..40_000 {
            let p = unit_phase(&mut rng);
            assert!((p.norm() - 1.0).abs() < 1e-12);
            quadrants[usize::from(p.re < 0.0) * 2 + usize::from(p.im < 0.0)] += 1;
        }
        assert!(
            quadrants.iter().all(|&q| (9_500..10_500).contains(&q)),
            "{quadrants:?}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_mask_and_another_seed_another() {
        let g = generator(224, -1.0);
        assert_eq!(g.generate(17), g.generate(17));
        assert_ne!(g.generate(17), g.generate(18));
    }
}
