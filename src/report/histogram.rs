//! A histogram of frame intervals as a PNG, for `shapelab timing-test --histogram`.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};

/// Makes plotters draw text with the font egui ships, so no system font is needed.
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Width of a histogram bin (ms).
const BIN_MS: f64 = 0.25;

/// Writes a histogram of `intervals_ms` with the refresh period marked.
pub fn write(path: &Path, intervals_ms: &[f64], period_ms: f64) -> Result<()> {
    register_font();
    let (width, height) = (900u32, 500u32);
    let top = intervals_ms
        .iter()
        .copied()
        .fold(2.0 * period_ms, f64::max)
        .min(10.0 * period_ms);
    let bins = (top / BIN_MS).ceil() as usize + 1;
    let mut counts = vec![0u32; bins];
    for &ms in intervals_ms {
        counts[((ms / BIN_MS) as usize).min(bins - 1)] += 1;
    }
    let highest = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut buffer = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        let draw = |e: &dyn std::fmt::Display| {
            Error::in_file(path, format!("cannot draw the histogram: {e}"))
        };
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Frame intervals ({} flips)", intervals_ms.len() + 1),
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..bins as f64 * BIN_MS, 0u32..highest + highest / 10 + 1)
            .map_err(|e| draw(&e))?;
        chart
            .configure_mesh()
            .x_desc("interval (ms)")
            .y_desc("flips")
            .disable_x_mesh()
            .draw()
            .map_err(|e| draw(&e))?;
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, &c)| {
                        let x = i as f64 * BIN_MS;
                        Rectangle::new([(x, 0), (x + BIN_MS, c)], BLUE.filled())
                    }),
            )
            .map_err(|e| draw(&e))?;
        chart
            .draw_series(LineSeries::new(
                [(period_ms, 0), (period_ms, highest)],
                RED.stroke_width(2),
            ))
            .map_err(|e| draw(&e))?
            .label(format!("refresh period {period_ms:.2} ms"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| draw(&e))?;
        root.present().map_err(|e| draw(&e))?;
    }
    image::RgbImage::from_raw(width, height, buffer)
        .ok_or_else(|| Error::in_file(path, "histogram buffer has the wrong size"))?
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| Error::in_file(path, format!("cannot write the histogram: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_png_is_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("h.png");
        let intervals: Vec<f64> = (0..200)
            .map(|i| 16.6 + (i % 3) as f64 * 0.1)
            .chain([33.3])
            .collect();
        write(&path, &intervals, 1000.0 / 60.0).expect("written");
        let image = image::open(&path).expect("a png");
        assert_eq!((image.width(), image.height()), (900, 500));
    }
}
