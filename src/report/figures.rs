//! The comparison's figures, each as PNG and SVG: the paper's cue-conflict plot, an
//! error-consistency heatmap and accuracy bars.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::histogram::register_font;
use crate::analysis::compare::{Comparison, HUMANS};
use crate::analysis::metrics::Summary;
use crate::categories::{Category, ALL};
use crate::error::{Error, Result};

/// Colours of model observers, in order; humans are always red.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
];
const HUMAN_RED: RGBColor = RGBColor(215, 25, 28);

/// Icons by category (RGBA images) to put beside the rows of the cue-conflict plot.
pub type Icons = HashMap<Category, image::RgbaImage>;

/// Loads `<category>.png` icons from a folder.
pub fn load_icons(dir: &Path) -> Result<Icons> {
    ALL.iter()
        .map(|&c| {
            let path = dir.join(format!("{c}.png"));
            Ok((c, crate::stimuli::decode(&path)?.into_rgba8()))
        })
        .collect()
}

type DrawResult<T> = std::result::Result<T, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// One observer's series in the cue-conflict plot.
struct Series {
    label: String,
    colour: RGBColor,
    human: bool,
    mean: Option<f64>,
    points: HashMap<Category, f64>,
}

fn series_of(c: &Comparison, experiment: &str) -> Vec<Series> {
    let mut models = 0;
    c.summaries
        .iter()
        .filter(|s| s.experiment == experiment && s.kind != "human")
        .map(|s: &Summary| {
            let human = s.observer == HUMANS;
            let colour = if human {
                HUMAN_RED
            } else {
                models += 1;
                PALETTE[(models - 1) % PALETTE.len()]
            };
            let points = c
                .categories
                .iter()
                .filter(|r| r.experiment == experiment && r.observer == s.observer)
                .filter_map(|r| r.shape_bias_as_shape.map(|v| (r.category, v)))
                .collect();
            Series {
                label: if human {
                    "humans".into()
                } else {
                    s.observer.clone()
                },
                colour,
                human,
                mean: s.shape_bias.value,
                points,
            }
        })
        .collect()
}

/// Categories top to bottom: by pooled human shape bias when there are humans, else by name.
fn category_order(series: &[Series]) -> Vec<Category> {
    let mut order = ALL.to_vec();
    if let Some(h) = series.iter().find(|s| s.human) {
        order.sort_by(|a, b| {
            let (x, y) = (
                h.points.get(a).copied().unwrap_or(0.0),
                h.points.get(b).copied().unwrap_or(0.0),
            );
            y.total_cmp(&x).then(a.cmp(b))
        });
    }
    order
}

/// Draws the cue-conflict plot with its legend on the right; returns the pixel centre (y) of
/// each category row.
fn draw_cue_conflict<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    experiment: &str,
    series: &[Series],
    order: &[Category],
    names: bool,
) -> DrawResult<Vec<(Category, i32)>> {
    root.fill(&WHITE).map_err(err)?;
    let (width, _) = root.dim_in_pixel();
    let (plot, legend) = root.split_horizontally(width.saturating_sub(330));
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("Shape vs. texture decisions: {experiment}"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(if names { 90 } else { 60 })
        .build_cartesian_2d(0.0..1.0, 0.0..order.len() as f64)
        .map_err(err)?;
    let label = |y: &f64| {
        let row = order.len() as i64 - 1 - y.floor() as i64;
        match (names, usize::try_from(row).ok().and_then(|r| order.get(r))) {
            (true, Some(c)) if (y - y.floor() - 0.5).abs() < 1e-9 => c.name().to_string(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .x_desc("Fraction of 'shape' decisions (1 - fraction of 'texture' decisions)")
        .max_light_lines(0)
        .y_labels(order.len() * 2 + 1)
        .y_label_formatter(&label)
        .disable_y_mesh()
        .draw()
        .map_err(err)?;
    let row_y = |c: Category| {
        let i = order.iter().position(|o| *o == c).unwrap_or(0);
        (order.len() - 1 - i) as f64 + 0.5
    };
    for s in series {
        if let Some(mean) = s.mean {
            let width = if s.human { 3 } else { 1 };
            let line = LineSeries::new(
                [(mean, 0.0), (mean, order.len() as f64)],
                s.colour.stroke_width(width),
            );
            chart.draw_series(line).map_err(err)?;
        }
        let points: Vec<(f64, f64)> = order
            .iter()
            .filter_map(|c| s.points.get(c).map(|v| (*v, row_y(*c))))
            .collect();
        let colour = s.colour;
        if s.human {
            chart.draw_series(
                points
                    .iter()
                    .map(move |p| TriangleMarker::new(*p, 9, colour.filled())),
            )
        } else {
            chart.draw_series(
                points
                    .iter()
                    .map(move |p| Circle::new(*p, 5, colour.filled())),
            )
        }
        .map_err(err)?;
    }
    legend
        .draw(&Text::new(
            "observer (shape bias)",
            (10, 60),
            ("sans-serif", 15),
        ))
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let y = 90 + 22 * i as i32;
        let text = match s.mean {
            Some(m) => format!("{} ({m:.3})", s.label),
            None => s.label.clone(),
        };
        if s.human {
            legend
                .draw(&TriangleMarker::new((18, y), 8, s.colour.filled()))
                .map_err(err)?;
        } else {
            legend
                .draw(&Circle::new((18, y), 5, s.colour.filled()))
                .map_err(err)?;
        }
        legend
            .draw(&Text::new(text, (32, y - 7), ("sans-serif", 13)))
            .map_err(err)?;
    }
    Ok(order
        .iter()
        .map(|&c| (c, chart.backend_coord(&(0.0, row_y(c))).1))
        .collect())
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    experiment: &str,
    labels: &[String],
    kappa: &HashMap<(usize, usize), f64>,
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Error consistency (Cohen's kappa): {experiment}"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(30)
        .y_label_area_size(280)
        .build_cartesian_2d(0.0..n as f64, 0.0..n as f64)
        .map_err(err)?;
    // Columns are numbered; rows carry their name and number.
    let centre = |v: &f64| (v - v.floor() - 0.5).abs() < 1e-9;
    let at = |v: &f64| {
        let i = v.floor() as usize;
        if centre(v) && i < n {
            (i + 1).to_string()
        } else {
            String::new()
        }
    };
    let at_y = |v: &f64| {
        let i = n as i64 - 1 - v.floor() as i64;
        match usize::try_from(i)
            .ok()
            .and_then(|i| labels.get(i).map(|l| (i, l)))
        {
            Some((i, l)) if centre(v) => format!("{l}  {}", i + 1),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * n + 1)
        .y_labels(2 * n + 1)
        .x_label_formatter(&at)
        .y_label_formatter(&at_y)
        .x_label_style(("sans-serif", 12))
        .y_label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            (0..n)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|(i, j)| {
                    let k = if i == j {
                        Some(1.0)
                    } else {
                        kappa.get(&(i.min(j), i.max(j))).copied()
                    };
                    let colour = match k {
                        Some(k) => diverging(k),
                        None => RGBColor(230, 230, 230),
                    };
                    let y = (n - 1 - j) as f64;
                    Rectangle::new([(i as f64, y), (i as f64 + 1.0, y + 1.0)], colour.filled())
                }),
        )
        .map_err(err)?;
    chart
        .draw_series(
            (0..n)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .filter_map(|(i, j)| {
                    let k = if i == j {
                        None
                    } else {
                        kappa.get(&(i.min(j), i.max(j))).copied()
                    }?;
                    let y = (n - 1 - j) as f64 + 0.5;
                    (n <= 20).then(|| {
                        Text::new(
                            format!("{k:.2}"),
                            (i as f64 + 0.2, y + 0.15),
                            ("sans-serif", 11),
                        )
                    })
                }),
        )
        .map_err(err)?;
    Ok(())
}

/// Blue (-1) through white (0) to red (+1).
fn diverging(k: f64) -> RGBColor {
    let k = k.clamp(-1.0, 1.0);
    let fade = |full: u8| (255.0 - (255.0 - f64::from(full)) * k.abs()).round() as u8;
    if k >= 0.0 {
        RGBColor(fade(200), fade(30), fade(30))
    } else {
        RGBColor(fade(30), fade(60), fade(200))
    }
}

fn draw_accuracy<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    experiment: &str,
    rows: &[&Summary],
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let n = rows.len();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("16-class accuracy: {experiment}"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(280)
        .build_cartesian_2d(0.0..1.0, 0.0..n as f64)
        .map_err(err)?;
    let at = |v: &f64| {
        let i = n as i64 - 1 - v.floor() as i64;
        match usize::try_from(i).ok().and_then(|i| rows.get(i)) {
            Some(r) if (v - v.floor() - 0.5).abs() < 1e-9 => r.observer.clone(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(0)
        .y_labels(2 * n + 1)
        .y_label_formatter(&at)
        .y_label_style(("sans-serif", 12))
        .x_desc("accuracy (with 95 % bootstrap interval)")
        .draw()
        .map_err(err)?;
    let y = |i: usize| (n - 1 - i) as f64;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            let colour = if r.kind == "model" {
                PALETTE[0]
            } else {
                HUMAN_RED
            };
            let shade = if r.kind == "human" { 0.5 } else { 1.0 };
            let v = r.accuracy.value.unwrap_or(0.0);
            Rectangle::new(
                [(0.0, y(i) + 0.15), (v, y(i) + 0.85)],
                colour.mix(shade).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
            let (low, high) = (r.accuracy.low?, r.accuracy.high?);
            Some(PathElement::new(
                [(low, y(i) + 0.5), (high, y(i) + 0.5)],
                BLACK.stroke_width(2),
            ))
        }))
        .map_err(err)?;
    Ok(())
}

/// Renders a figure to PNG (via an RGB buffer) and SVG; `png_post` may paint on the PNG.
fn both<T>(
    stem: &Path,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult<T>,
    draw_svg: impl Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<T>,
    png_post: impl FnOnce(&mut image::RgbImage, T),
) -> Result<Vec<PathBuf>> {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let fail = |p: &Path, e: String| Error::in_file(p, format!("cannot draw the figure: {e}"));
    let mut buffer = vec![0u8; (size.0 * size.1 * 3) as usize];
    let extra = {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        let extra = draw(&root).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, err(e)))?;
        extra
    };
    let mut image = image::RgbImage::from_raw(size.0, size.1, buffer)
        .ok_or_else(|| Error::in_file(&png, "bad buffer"))?;
    png_post(&mut image, extra);
    image
        .save_with_format(&png, image::ImageFormat::Png)
        .map_err(|e| Error::in_file(&png, format!("cannot write: {e}")))?;
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        draw_svg(&root).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, err(e)))?;
    }
    Ok(vec![png, svg])
}

/// Writes every figure of every experiment into `dir`; returns the files written.
pub fn write_all(dir: &Path, c: &Comparison, icons: Option<&Icons>) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create the figure folder", e))?;
    let mut experiments: Vec<&str> = c.summaries.iter().map(|s| s.experiment.as_str()).collect();
    experiments.dedup();
    let mut written = Vec::new();
    for experiment in experiments {
        let has_conflicts = c
            .summaries
            .iter()
            .any(|s| s.experiment == experiment && s.decisions.conflict_trials > 0);
        if has_conflicts {
            let series = series_of(c, experiment);
            let order = category_order(&series);
            let names = icons.is_none();
            let stem = dir.join(format!("{experiment}_shape-bias"));
            written.extend(both(
                &stem,
                (1230, 1000),
                |root| draw_cue_conflict(root, experiment, &series, &order, names),
                |root| draw_cue_conflict(root, experiment, &series, &order, true),
                |image, rows| {
                    if let Some(icons) = icons {
                        paste_icons(image, icons, &rows, 35);
                    }
                },
            )?);
        }
        let group: Vec<&Summary> = c
            .summaries
            .iter()
            .filter(|s| s.experiment == experiment)
            .collect();
        let observers: Vec<String> = group
            .iter()
            .filter(|s| s.observer != HUMANS)
            .map(|s| s.observer.clone())
            .collect();
        if observers.len() >= 2 {
            let index: HashMap<&str, usize> = observers
                .iter()
                .enumerate()
                .map(|(i, o)| (o.as_str(), i))
                .collect();
            let kappa: HashMap<(usize, usize), f64> = c
                .pairs
                .iter()
                .filter(|p| p.experiment == experiment)
                .filter_map(|p| {
                    let (a, b) = (*index.get(p.a.as_str())?, *index.get(p.b.as_str())?);
                    Some(((a.min(b), a.max(b)), p.consistency.kappa?))
                })
                .collect();
            let side = (360 + observers.len() as u32 * 28).clamp(600, 2000);
            let stem = dir.join(format!("{experiment}_error-consistency"));
            written.extend(both(
                &stem,
                (side, side),
                |root| draw_heatmap(root, experiment, &observers, &kappa),
                |root| draw_heatmap(root, experiment, &observers, &kappa),
                |_, ()| {},
            )?);
        }
        let height = (140 + group.len() as u32 * 26).clamp(400, 3000);
        let stem = dir.join(format!("{experiment}_accuracy"));
        written.extend(both(
            &stem,
            (1000, height),
            |root| draw_accuracy(root, experiment, &group),
            |root| draw_accuracy(root, experiment, &group),
            |_, ()| {},
        )?);
    }
    Ok(written)
}

fn paste_icons(image: &mut image::RgbImage, icons: &Icons, rows: &[(Category, i32)], size: u32) {
    for (category, y) in rows {
        let Some(icon) = icons.get(category) else {
            continue;
        };
        let small =
            image::imageops::resize(icon, size, size, image::imageops::FilterType::Triangle);
        let top = (*y - size as i32 / 2).max(0) as u32;
        for (x, yy, p) in small.enumerate_pixels() {
            let (tx, ty) = (20 + x, top + yy);
            if tx < image.width() && ty < image.height() {
                let a = u16::from(p[3]);
                let dst = image.get_pixel_mut(tx, ty);
                for c in 0..3 {
                    dst[c] = ((u16::from(p[c]) * a + u16::from(dst[c]) * (255 - a)) / 255) as u8;
                }
            }
        }
    }
}
