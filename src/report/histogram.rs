//! Histograms as PNGs: frame intervals for `shapelab timing-test --histogram`, stimulus
//! duration errors for `shapelab photodiode --histogram`.

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

/// Width of a histogram bin of frame intervals (ms).
const BIN_MS: f64 = 0.25;

/// Writes a histogram of frame intervals (ms) with the refresh period marked.
pub fn write(path: &Path, intervals_ms: &[f64], period_ms: f64) -> Result<()> {
    let top = intervals_ms
        .iter()
        .copied()
        .fold(2.0 * period_ms, f64::max)
        .min(10.0 * period_ms);
    write_with(
        path,
        &Histogram {
            title: format!("Frame intervals ({} flips)", intervals_ms.len() + 1),
            x_label: "interval (ms)",
            y_label: "flips",
            values: intervals_ms,
            range: (0.0, top + BIN_MS),
            bin: BIN_MS,
            marker: (period_ms, format!("refresh period {period_ms:.2} ms")),
        },
    )
}

/// What a histogram shows.
pub struct Histogram<'a> {
    /// The caption.
    pub title: String,
    /// The x axis' name.
    pub x_label: &'a str,
    /// The y axis' name.
    pub y_label: &'a str,
    /// The values counted; those outside `range` go to its first or last bin.
    pub values: &'a [f64],
    /// The x range shown.
    pub range: (f64, f64),
    /// The width of a bin.
    pub bin: f64,
    /// A value marked with a red line, and its legend.
    pub marker: (f64, String),
}

/// Writes a histogram as a PNG.
pub fn write_with(path: &Path, h: &Histogram<'_>) -> Result<()> {
    register_font();
    let (width, height) = (900u32, 500u32);
    let (low, high) = h.range;
    let bins = (((high - low) / h.bin).ceil() as usize).max(1);
    let mut counts = vec![0u32; bins];
    for &v in h.values {
        let bin = ((v - low) / h.bin).floor().max(0.0) as usize;
        counts[bin.min(bins - 1)] += 1;
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
            .caption(&h.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(
                low..low + bins as f64 * h.bin,
                0u32..highest + highest / 10 + 1,
            )
            .map_err(|e| draw(&e))?;
        chart
            .configure_mesh()
            .x_desc(h.x_label)
            .y_desc(h.y_label)
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
                        let x = low + i as f64 * h.bin;
                        Rectangle::new([(x, 0), (x + h.bin, c)], BLUE.filled())
                    }),
            )
            .map_err(|e| draw(&e))?;
        let (mark, legend) = (h.marker.0, h.marker.1.clone());
        chart
            .draw_series(LineSeries::new(
                [(mark, 0), (mark, highest)],
                RED.stroke_width(2),
            ))
            .map_err(|e| draw(&e))?
            .label(legend)
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
