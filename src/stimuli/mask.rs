//! Pink-noise masks as the original lab made them: |f|^(beta/2) amplitude on the FFT frequency
//! grid, uniform random phases, inverse 2-D FFT, normalised to 0..1, contrast raised, clipped.

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner};
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

/// Makes masks of one size and spectrum; plans the FFT and keeps its buffers, so each mask is
/// cheap (no allocation but the mask itself).
pub struct MaskGenerator {
    size: usize,
    contrast: f64,
    amplitude: Vec<f64>,
    columns: Arc<dyn Fft<f64>>,
    rows: Arc<dyn ComplexToReal<f64>>,
    work: Work,
}

/// Buffers reused from mask to mask.
struct Work {
    draws: Vec<u64>,
    spectrum: Vec<Complex<f64>>,
    hermitian: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    row: Vec<Complex<f64>>,
    row_scratch: Vec<Complex<f64>>,
    field: Vec<f64>,
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
        // Symmetric in x and y, so the same whether read by rows or by columns.
        let mut amplitude = vec![0.0; size * size];
        for y in 0..size {
            for x in 0..size {
                let f = frequency(x).hypot(frequency(y));
                if f > 0.0 {
                    amplitude[y * size + x] = f.powf(params.exponent / 2.0);
                }
            }
        }
        let columns = FftPlanner::new().plan_fft_inverse(size);
        let rows = RealFftPlanner::new().plan_fft_inverse(size);
        let half = size / 2 + 1;
        let work = Work {
            draws: vec![0; size * size],
            spectrum: vec![Complex::default(); size * size],
            hermitian: vec![Complex::default(); half * size],
            scratch: vec![Complex::default(); columns.get_inplace_scratch_len()],
            row: rows.make_input_vec(),
            row_scratch: rows.make_scratch_vec(),
            field: vec![0.0; size * size],
        };
        MaskGenerator {
            size,
            contrast: params.contrast,
            amplitude,
            columns,
            rows,
            work,
        }
    }

    /// Fills the work spectrum for `seed`, column by column (`[kx * n + ky]`): the amplitudes
    /// with uniformly random phases.
    fn draw_spectrum(&mut self, seed: u64) {
        let mut rng = Rng::new(seed);
        let w = &mut self.work;
        // All draws first, so that the phase arithmetic below runs without a chain through
        // the generator and the processor can overlap many phases.
        w.draws.iter_mut().for_each(|d| *d = rng.next_u64());
        for ((x, &a), &bits) in w.spectrum.iter_mut().zip(&self.amplitude).zip(&w.draws) {
            *x = unit_phase(bits) * a;
        }
    }

    /// The real part of the inverse 2-D FFT of the spectrum for `seed`, row by row, left in
    /// the work field (not yet normalised).
    fn inverse_transform(&mut self, seed: u64) {
        self.draw_spectrum(seed);
        let n = self.size;
        let w = &mut self.work;
        // The real part of the inverse FFT of X is the inverse FFT of its Hermitian part
        // H[k] = (X[k] + conj(X[-k])) / 2, whose output is real: so only the columns
        // kx = 0..=n/2 need a complex transform, and each row then a complex-to-real one.
        for (kx, column) in w.hermitian.chunks_exact_mut(n).enumerate() {
            let x = &w.spectrum[kx * n..][..n];
            let mirror = &w.spectrum[(n - kx) % n * n..][..n];
            for (ky, h) in column.iter_mut().enumerate() {
                *h = (x[ky] + mirror[(n - ky) % n].conj()) * 0.5;
            }
        }
        self.columns
            .process_with_scratch(&mut w.hermitian, &mut w.scratch);
        let last = w.row.len() - 1;
        for (y, out) in w.field.chunks_exact_mut(n).enumerate() {
            for (kx, h) in w.row.iter_mut().enumerate() {
                *h = w.hermitian[kx * n + y];
            }
            // Real up to rounding: the transform wants them exactly real.
            w.row[0].im = 0.0;
            if n.is_multiple_of(2) {
                w.row[last].im = 0.0;
            }
            self.rows
                .process_with_scratch(&mut w.row, out, &mut w.row_scratch)
                .expect("buffers made by the planner, edge terms made real");
        }
    }

    /// The smallest value of the work field and its range (1 when flat, so that a flat field
    /// stays at 0).
    fn field_range(&self) -> (f64, f64) {
        let (min, max) = self
            .work
            .field
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let range = max - min;
        (min, if range > 0.0 { range } else { 1.0 })
    }

    /// The noise field for `seed`, normalised to 0..1 (before the contrast step).
    pub fn noise(&mut self, seed: u64) -> Vec<f64> {
        self.inverse_transform(seed);
        let (min, range) = self.field_range();
        self.work.field.iter().map(|v| (v - min) / range).collect()
    }

    /// The mask for `seed`: the noise with its contrast raised around 0.5, clipped to 0..1.
    pub fn generate(&mut self, seed: u64) -> Mask {
        self.inverse_transform(seed);
        let (min, range) = self.field_range();
        let scale = 1.0 / range;
        let pixels = self
            .work
            .field
            .iter()
            .map(|v| {
                let v = (((v - min) * scale - 0.5) * self.contrast + 0.5).clamp(0.0, 1.0);
                // Rounds half up without libm's round: v is never negative here.
                (v * 255.0 + 0.5) as u8
            })
            .collect();
        Mask {
            size: self.size,
            pixels,
        }
    }
}

/// A uniformly random phase as a unit complex number from 64 random bits: the top two pick
/// the quadrant, the next 52 an angle in [-pi/4, pi/4) whose cosine and sine come from their
/// Taylor series (error below 1e-14). Only additions and multiplications, no branch on random
/// bits to mispredict, and the same numbers on every platform.
fn unit_phase(bits: u64) -> Complex<f64> {
    // Horner from the highest terms: cos to t^14, sin to t^13; the factors are
    // 1 / ((2k)(2k - 1)) and 1 / ((2k + 1)(2k)) for k = 7 down to 1.
    const COS: [f64; 7] = [
        1.0 / 182.0,
        1.0 / 132.0,
        1.0 / 90.0,
        1.0 / 56.0,
        1.0 / 30.0,
        1.0 / 12.0,
        1.0 / 2.0,
    ];
    const SIN: [f64; 7] = [
        1.0 / 210.0,
        1.0 / 156.0,
        1.0 / 110.0,
        1.0 / 72.0,
        1.0 / 42.0,
        1.0 / 20.0,
        1.0 / 6.0,
    ];
    let fraction = (bits << 2 >> 12) as f64 * (1.0 / (1u64 << 52) as f64);
    let t = (fraction - 0.5) * std::f64::consts::FRAC_PI_2;
    let t2 = t * t;
    let (cos, sin) = COS.iter().zip(SIN).fold((1.0, 1.0), |(c, s), (a, b)| {
        (1.0 - t2 * a * c, 1.0 - t2 * b * s)
    });
    let sin = t * sin;
    // Quadrant q turns (cos, sin) by q quarter turns: odd q swaps, q >= 2 negates.
    let odd = (bits >> 62 & 1) as f64;
    let sign = 1.0 - 2.0 * (bits >> 63) as f64;
    Complex::new(
        sign * ((1.0 - odd) * cos - odd * sin),
        sign * ((1.0 - odd) * sin + odd * cos),
    )
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

    /// `fft` over every row of an n x n field, then over every column.
    fn transform_2d(field: &mut [Complex<f64>], n: usize, fft: &dyn Fft<f64>) {
        fft.process(field);
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
    }

    /// Slope of log power against log frequency, radially averaged, by least squares.
    fn spectrum_slope(values: &[f64], n: usize) -> f64 {
        let mut field: Vec<Complex<f64>> = values.iter().map(|&v| Complex::new(v, 0.0)).collect();
        transform_2d(&mut field, n, &*FftPlanner::new().plan_fft_forward(n));
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

    /// The procedure's recipe, literally: full complex inverse 2-D FFT, real part.
    fn real_part_of_inverse_fft(g: &mut MaskGenerator, seed: u64) -> Vec<f64> {
        let n = g.size;
        g.draw_spectrum(seed);
        // The spectrum is stored by columns.
        let mut field: Vec<Complex<f64>> = (0..n * n)
            .map(|i| g.work.spectrum[i % n * n + i / n])
            .collect();
        transform_2d(&mut field, n, &*FftPlanner::new().plan_fft_inverse(n));
        field.iter().map(|c| c.re).collect()
    }

    #[test]
    fn the_noise_is_the_real_part_of_the_inverse_fft_for_even_and_odd_sizes() {
        for size in [224, 64, 75, 1] {
            let mut g = generator(size, -1.0);
            let reference = real_part_of_inverse_fft(&mut g, 3);
            let min = reference.iter().copied().fold(f64::INFINITY, f64::min);
            let max = reference.iter().map(|v| v - min).fold(0.0, f64::max);
            let noise = g.noise(3);
            for (got, want) in noise.iter().zip(&reference) {
                let want = if max > 0.0 { (want - min) / max } else { 0.0 };
                assert!((got - want).abs() < 1e-9, "size {size}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn a_pink_mask_has_a_power_spectrum_slope_near_minus_one() {
        let mut g = generator(224, -1.0);
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
            let p = unit_phase(rng.next_u64());
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
        let mut g = generator(224, -1.0);
        assert_eq!(g.generate(17), g.generate(17));
        assert_ne!(g.generate(17), g.generate(18));
    }
}
