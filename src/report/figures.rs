//! The comparison's figures, each as PNG and SVG, after the paper's and model-vs-human's: the
//! cue-conflict shape-bias plot, the error-consistency matrix, accuracy (bars, or against the
//! condition level) and error consistency against the condition level per experiment, and the
//! benchmark's bar plots and OOD accuracy against error consistency over all datasets.
//! Every observer keeps one marker and colour in every figure; humans are red.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::ComposedElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::Canvas;
use super::histogram::register_font;
use crate::analysis::benchmark::{BenchmarkRow, ConditionPoint, ALL_DATASETS};
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

/// Text sizes in pixels: tick labels, axis labels and legends, titles.
const TICK: u32 = 18;
const LABEL: u32 = 21;
const TITLE: u32 = 25;

/// Marker shapes; humans have the diamond, models the others in turn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    Diamond,
    Circle,
    Square,
    TriangleUp,
    TriangleDown,
    Cross,
    Plus,
    Star,
    Pentagon,
}

const MODEL_MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::TriangleDown,
    Marker::Cross,
    Marker::Plus,
    Marker::Star,
    Marker::Pentagon,
];

/// How one observer is drawn.
#[derive(Debug, Clone, Copy)]
struct Look {
    colour: RGBColor,
    marker: Marker,
}

/// The look of every observer: humans (pooled or individual) red diamonds, models a colour
/// and marker each (the n-th model: colour n mod 10, marker n mod 8, unique up to 40 models).
struct Looks {
    models: HashMap<String, Look>,
}

impl Looks {
    fn new<'a>(labels: impl IntoIterator<Item = &'a str>) -> Looks {
        let mut models = HashMap::new();
        for label in labels {
            if is_human_label(label) || models.contains_key(label) {
                continue;
            }
            let n = models.len();
            models.insert(
                label.to_string(),
                Look {
                    colour: PALETTE[n % PALETTE.len()],
                    marker: MODEL_MARKERS[n % MODEL_MARKERS.len()],
                },
            );
        }
        Looks { models }
    }

    fn of(&self, label: &str) -> Look {
        self.models.get(label).copied().unwrap_or(Look {
            colour: HUMAN_RED,
            marker: Marker::Diamond,
        })
    }
}

fn is_human_label(label: &str) -> bool {
    label == HUMANS || label.starts_with("subject-")
}

/// The outline of a marker of radius `r` around (0, 0), in pixels.
fn outline(marker: Marker, r: i32) -> Vec<(i32, i32)> {
    let polygon = |corners: usize, start: f64, radius: &dyn Fn(usize) -> f64| {
        (0..corners)
            .map(|i| {
                let a = start + i as f64 * std::f64::consts::TAU / corners as f64;
                let d = radius(i);
                ((d * a.cos()).round() as i32, (d * a.sin()).round() as i32)
            })
            .collect()
    };
    let r_f = f64::from(r);
    let up = -std::f64::consts::FRAC_PI_2;
    match marker {
        Marker::Diamond => vec![(0, -r - 1), (r, 0), (0, r + 1), (-r, 0)],
        Marker::Circle => polygon(20, 0.0, &|_| r_f),
        Marker::Square => {
            let s = (r_f * 0.85).round() as i32;
            vec![(-s, -s), (s, -s), (s, s), (-s, s)]
        }
        Marker::TriangleUp => polygon(3, up, &|_| r_f * 1.15),
        Marker::TriangleDown => polygon(3, -up, &|_| r_f * 1.15),
        Marker::Pentagon => polygon(5, up, &|_| r_f),
        Marker::Star => polygon(10, up, &|i| if i % 2 == 0 { r_f * 1.2 } else { r_f * 0.5 }),
        Marker::Plus | Marker::Cross => {
            let (a, b) = (r_f * 0.35, r_f);
            let arm = [(a, b), (a, a), (b, a), (b, -a), (a, -a), (a, -b)];
            let mut points: Vec<(f64, f64)> = arm.to_vec();
            points.extend(arm.iter().map(|&(x, y)| (-x, -y)));
            let turn = if marker == Marker::Cross {
                std::f64::consts::FRAC_PI_4
            } else {
                0.0
            };
            points
                .into_iter()
                .map(|(x, y)| {
                    let (s, c) = turn.sin_cos();
                    (
                        (x * c - y * s).round() as i32,
                        (x * s + y * c).round() as i32,
                    )
                })
                .collect()
        }
    }
}

/// A marker: a filled polygon and its edge, in pixels around a chart coordinate.
type MarkerElement<K, DB> = ComposedElement<K, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// A marker at a chart coordinate: filled in the observer's colour with a thin grey edge, so
/// that overlapping markers of one colour stay apart.
fn marker<K, DB: DrawingBackend>(at: K, look: Look, r: i32) -> MarkerElement<K, DB> {
    let points = outline(look.marker, r);
    let mut edge = points.clone();
    edge.push(points[0]);
    EmptyElement::at(at)
        + Polygon::new(points, look.colour.filled())
        + PathElement::new(edge, RGBColor(60, 60, 60).mix(0.5))
}

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

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// The plot area's width beside a legend.
const PLOT_WIDTH: u32 = 1080;

/// Pixels a legend of these texts needs.
fn legend_width<'a>(texts: impl IntoIterator<Item = &'a str>) -> u32 {
    let longest = texts
        .into_iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(10) as u32;
    (60 + longest * 10).max(260)
}

/// Draws a legend of observers (marker and text) top-down in an area.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(String, Look)],
    top: i32,
) -> DrawResult<()> {
    area.draw(&Text::new(title.to_string(), (10, top), font(LABEL)))
        .map_err(err)?;
    for (i, (text, look)) in entries.iter().enumerate() {
        let y = top + 38 + 28 * i as i32;
        area.draw(&marker((22, y), *look, 8)).map_err(err)?;
        area.draw(&Text::new(text.clone(), (40, y - 10), font(TICK)))
            .map_err(err)?;
    }
    Ok(())
}

/// One observer's series in the cue-conflict plot.
struct Series {
    label: String,
    look: Look,
    mean: Option<f64>,
    points: HashMap<Category, f64>,
}

fn series_of(c: &Comparison, experiment: &str, looks: &Looks) -> Vec<Series> {
    c.summaries
        .iter()
        .filter(|s| s.experiment == experiment && s.kind != "human")
        .map(|s: &Summary| Series {
            label: s.observer.clone(),
            look: looks.of(&s.observer),
            mean: s.shape_bias.value,
            points: c
                .categories
                .iter()
                .filter(|r| r.experiment == experiment && r.observer == s.observer)
                .filter_map(|r| r.shape_bias_as_shape.map(|v| (r.category, v)))
                .collect(),
        })
        .collect()
}

/// Categories top to bottom: by pooled human shape bias when there are humans (most shape
/// decisions at the top), else by name.
fn category_order(series: &[Series]) -> Vec<Category> {
    let mut order = ALL.to_vec();
    if let Some(h) = series.iter().find(|s| s.label == HUMANS) {
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

/// Draws the cue-conflict plot as the paper's Figure 4 and model-vs-human draw it: one row
/// per shape category, the fraction of texture decisions along the bottom axis and the
/// fraction of shape decisions along the top (running the other way), each observer's mean as
/// a vertical line; returns the pixel centre (y) of each category row.
fn draw_cue_conflict<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    experiment: &str,
    series: &[Series],
    order: &[Category],
    names: bool,
) -> DrawResult<Vec<(Category, i32)>> {
    root.fill(&WHITE).map_err(err)?;
    let (plot, legend) = root.split_horizontally(PLOT_WIDTH);
    let rows = order.len() as f64;
    // A margin around [0, 1] so that markers at 0 and 1 are not hidden by the axes.
    let x_range = -0.03..1.03;
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("Shape vs. texture decisions: {experiment}"),
            font(TITLE),
        )
        .margin(20)
        .x_label_area_size(70)
        .top_x_label_area_size(70)
        .y_label_area_size(if names { 110 } else { 70 })
        .build_cartesian_2d(x_range.clone(), 0.0..rows)
        .map_err(err)?
        .set_secondary_coord(x_range, 0.0..rows);
    let label = |y: &f64| {
        let row = order.len() as i64 - 1 - y.floor() as i64;
        match (names, usize::try_from(row).ok().and_then(|r| order.get(r))) {
            (true, Some(c)) if (y - y.floor() - 0.5).abs() < 1e-9 => c.name().to_string(),
            _ => String::new(),
        }
    };
    let tenths = |x: &f64| {
        if x.abs() < 1e-9 || (x - 1.0).abs() < 1e-9 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    chart
        .configure_mesh()
        .x_desc("Fraction of 'texture' decisions")
        .x_labels(11)
        .x_label_formatter(&tenths)
        .max_light_lines(0)
        .disable_x_mesh()
        .y_labels(order.len() * 2 + 1)
        .y_label_formatter(&label)
        .disable_y_mesh()
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .x_desc("Fraction of 'shape' decisions")
        .x_labels(11)
        .x_label_formatter(&|x| tenths(&(1.0 - x)))
        .y_labels(0)
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .draw()
        .map_err(err)?;
    // Dotted lines between the rows.
    for i in 1..order.len() {
        let y = i as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, y), (1.0, y)],
                2,
                4,
                RGBColor(170, 170, 170).into(),
            ))
            .map_err(err)?;
    }
    let row_y = |c: Category| {
        let i = order.iter().position(|o| *o == c).unwrap_or(0);
        (order.len() - 1 - i) as f64 + 0.5
    };
    // Models first, humans on top.
    let mut drawing: Vec<&Series> = series.iter().collect();
    drawing.sort_by_key(|s| s.label == HUMANS);
    for s in drawing {
        if let Some(mean) = s.mean {
            let width = if s.label == HUMANS { 3 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    [(1.0 - mean, 0.0), (1.0 - mean, rows)],
                    s.look.colour.stroke_width(width),
                ))
                .map_err(err)?;
        }
        let points: Vec<(f64, f64)> = order
            .iter()
            .filter_map(|c| s.points.get(c).map(|v| (1.0 - v, row_y(*c))))
            .collect();
        let look = s.look;
        chart
            .draw_series(points.into_iter().map(|p| marker(p, look, 9)))
            .map_err(err)?;
    }
    let entries: Vec<(String, Look)> = series
        .iter()
        .map(|s| {
            let text = match s.mean {
                Some(m) => format!("{} ({m:.3})", s.label),
                None => s.label.clone(),
            };
            (text, s.look)
        })
        .collect();
    draw_legend(&legend, "observer (shape bias)", &entries, 90)?;
    Ok(order
        .iter()
        .map(|&c| (c, chart.backend_coord(&(0.0, row_y(c))).1))
        .collect())
}

/// The colour of a kappa: blue (-1) through white (0) to red (+1).
fn diverging(k: f64) -> RGBColor {
    let k = k.clamp(-1.0, 1.0);
    let fade = |full: u8| (255.0 - (255.0 - f64::from(full)) * k.abs()).round() as u8;
    if k >= 0.0 {
        RGBColor(fade(200), fade(30), fade(30))
    } else {
        RGBColor(fade(30), fade(60), fade(200))
    }
}

/// Draws the error-consistency matrix: names on both axes (in each observer's colour), a
/// cell per pair, the value in the cell when there are at most 20 observers, and a colour bar.
fn draw_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    experiment: &str,
    labels: &[String],
    looks: &Looks,
    kappa: &HashMap<(usize, usize), f64>,
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let n = labels.len();
    let (width, _) = root.dim_in_pixel();
    let (plot, bar) = root.split_horizontally(width.saturating_sub(150));
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32;
    let names = 20 + longest * 10;
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("Error consistency (Cohen's kappa): {experiment}"),
            font(TITLE),
        )
        .margin(20)
        .x_label_area_size(names)
        .y_label_area_size(names)
        .build_cartesian_2d(0.0..n as f64, 0.0..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .draw()
        .map_err(err)?;
    let cells = (0..n).flat_map(|i| (0..n).map(move |j| (i, j)));
    let value = |i: usize, j: usize| {
        if i == j {
            Some(1.0)
        } else {
            kappa.get(&(i.min(j), i.max(j))).copied()
        }
    };
    chart
        .draw_series(cells.clone().map(|(i, j)| {
            let colour = value(i, j).map_or(RGBColor(225, 225, 225), diverging);
            let y = (n - 1 - j) as f64;
            Rectangle::new(
                [(i as f64 + 0.03, y + 0.03), (i as f64 + 0.97, y + 0.97)],
                colour.filled(),
            )
        }))
        .map_err(err)?;
    if n <= 20 {
        chart
            .draw_series(cells.filter(|(i, j)| i != j).filter_map(|(i, j)| {
                let k = value(i, j)?;
                let y = (n - 1 - j) as f64 + 0.5;
                let colour: &'static RGBColor = if k.abs() > 0.6 { &WHITE } else { &BLACK };
                Some(Text::new(
                    format!("{k:.2}"),
                    (i as f64 + 0.5, y),
                    font(TICK.min(15))
                        .color(colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))
            }))
            .map_err(err)?;
    }
    // Names beside the rows and under the columns (turned), in each observer's colour.
    for (i, label) in labels.iter().enumerate() {
        let colour = looks.of(label).colour;
        let (x, y) = chart.backend_coord(&(0.0, (n - 1 - i) as f64 + 0.5));
        plot.draw(&Text::new(
            label.clone(),
            (x - 8, y),
            font(TICK)
                .color(&colour)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        plot.draw(&Text::new(
            label.clone(),
            (x, y + 8),
            font(TICK)
                .color(&colour)
                .transform(FontTransform::Rotate90)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    draw_colour_bar(&bar)
}

/// A vertical colour bar of kappa from -1 to 1.
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
    let (_, height) = area.dim_in_pixel();
    let mut chart = ChartBuilder::on(area)
        .margin_top(height as i32 / 4)
        .margin_bottom(height as i32 / 4)
        .margin_right(20)
        .y_label_area_size(0)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, -1.0..1.0)
        .map_err(err)?
        .set_secondary_coord(0.0..1.0, -1.0..1.0);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .x_labels(0)
        .y_labels(5)
        .y_desc("kappa")
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .draw()
        .map_err(err)?;
    chart
        .draw_series((0..100).map(|i| {
            let low = -1.0 + f64::from(i) * 0.02;
            Rectangle::new(
                [(0.0, low), (1.0, low + 0.02)],
                diverging(low + 0.01).filled(),
            )
        }))
        .map_err(err)?;
    Ok(())
}

/// One observer's bar: its label, look, value and 95 % interval if there is one.
struct Bar {
    label: String,
    look: Look,
    value: f64,
    interval: Option<(f64, f64)>,
}

/// Horizontal bars of one value per observer, with 95 % intervals where there are some.
fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    axis: &str,
    bars: &[Bar],
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let n = bars.len();
    let low = bars.iter().map(|b| b.value).fold(0.0f64, f64::min);
    let high = bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |i| i.1))
        .fold(0.0f64, f64::max);
    let top = if high <= 1.0 && low >= 0.0 {
        1.0
    } else {
        high * 1.05
    };
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(1) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(title, font(TITLE))
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(30 + longest * 10)
        .build_cartesian_2d(low.min(0.0)..top, 0.0..n as f64)
        .map_err(err)?;
    let at = |v: &f64| {
        let i = n as i64 - 1 - v.floor() as i64;
        match usize::try_from(i).ok().and_then(|i| bars.get(i)) {
            Some(b) if (v - v.floor() - 0.5).abs() < 1e-9 => b.label.clone(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(0)
        .y_labels(2 * n + 1)
        .y_label_formatter(&at)
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .x_desc(axis)
        .draw()
        .map_err(err)?;
    let y = |i: usize| (n - 1 - i) as f64;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            Rectangle::new(
                [(0.0, y(i) + 0.15), (b.value, y(i) + 0.85)],
                b.look.colour.filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            let (low, high) = b.interval?;
            Some(PathElement::new(
                [(low, y(i) + 0.5), (high, y(i) + 0.5)],
                BLACK.stroke_width(2),
            ))
        }))
        .map_err(err)?;
    Ok(())
}

/// A value against the condition level: one line per model, the humans' mean in red with
/// their range shaded when given.
fn draw_by_condition<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    axis: &str,
    conditions: &[String],
    lines: &[(String, Look, Vec<Option<f64>>)],
    human_range: Option<&[(f64, f64)]>,
    (low, high, chance): (f64, f64, f64),
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let (plot, legend) = root.split_horizontally(PLOT_WIDTH);
    let k = conditions.len();
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(TITLE))
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.3..k as f64 - 0.7, low..high)
        .map_err(err)?;
    let at = |v: &f64| {
        let i = v.round();
        match conditions.get(i as usize) {
            Some(c) if (v - i).abs() < 1e-9 && i >= 0.0 => c.clone(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .x_labels(k)
        .x_label_formatter(&at)
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .x_desc("condition")
        .y_desc(axis)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(-0.3, chance), (k as f64 - 0.7, chance)],
            4,
            4,
            RGBColor(130, 130, 130).into(),
        ))
        .map_err(err)?;
    if let Some(range) = human_range {
        let mut band: Vec<(f64, f64)> = range
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.1))
            .collect();
        band.extend(range.iter().enumerate().rev().map(|(i, r)| (i as f64, r.0)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                HUMAN_RED.mix(0.18).filled(),
            )))
            .map_err(err)?;
    }
    let mut drawing: Vec<&(String, Look, Vec<Option<f64>>)> = lines.iter().collect();
    drawing.sort_by_key(|l| l.0 == HUMANS);
    for (_, look, values) in drawing {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i as f64, (*v)?)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), look.colour.stroke_width(2)))
            .map_err(err)?;
        let look = *look;
        chart
            .draw_series(points.into_iter().map(|p| marker(p, look, 8)))
            .map_err(err)?;
    }
    let entries: Vec<(String, Look)> = lines.iter().map(|l| (l.0.clone(), l.1)).collect();
    draw_legend(&legend, "observer", &entries, 90)
}

/// OOD accuracy against error consistency, one marker per observer, named in the legend.
fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[(String, Look, f64, f64)],
) -> DrawResult<()> {
    root.fill(&WHITE).map_err(err)?;
    let (plot, legend) = root.split_horizontally(PLOT_WIDTH);
    let low = points.iter().map(|p| p.3).fold(0.0f64, f64::min) - 0.02;
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            "OOD accuracy vs. error consistency (all datasets)",
            font(TITLE),
        )
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.02..1.02, low..1.02)
        .map_err(err)?;
    chart
        .configure_mesh()
        .max_light_lines(0)
        .label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .x_desc("OOD accuracy")
        .y_desc("error consistency (kappa)")
        .draw()
        .map_err(err)?;
    for (_, look, x, y) in points {
        chart
            .draw_series([marker((*x, *y), *look, 10)])
            .map_err(err)?;
    }
    let entries: Vec<(String, Look)> = points.iter().map(|p| (p.0.clone(), p.1)).collect();
    draw_legend(&legend, "observer", &entries, 90)
}

/// Renders a figure to PNG (via an RGB buffer) and SVG; `png_post` may paint on the PNG.
fn both<T>(
    stem: &Path,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<Canvas<'_>, Shift>) -> DrawResult<T>,
    draw_svg: impl Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<T>,
    png_post: impl FnOnce(&mut image::RgbImage, T),
) -> Result<Vec<PathBuf>> {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let fail = |p: &Path, e: String| Error::in_file(p, format!("cannot draw the figure: {e}"));
    let mut buffer = vec![0u8; (size.0 * size.1 * 3) as usize];
    let extra = {
        let root = Canvas::with_buffer(&mut buffer, size).into_drawing_area();
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

/// Renders a figure without PNG extras.
fn plain(
    stem: &Path,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<Canvas<'_>, Shift>) -> DrawResult<()>,
    draw_svg: impl Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<()>,
) -> Result<Vec<PathBuf>> {
    both(stem, size, draw, draw_svg, |_, ()| {})
}

/// Draws the same figure on the PNG canvas and the SVG backend.
macro_rules! figure {
    ($stem:expr, $size:expr, |$root:ident| $body:expr) => {
        plain($stem, $size, |$root| $body, |$root| $body)
    };
}

/// Writes every figure of every experiment into `dir`, and the benchmark's; returns the files
/// written.
pub fn write_all(dir: &Path, c: &Comparison, icons: Option<&Icons>) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create the figure folder", e))?;
    let looks = Looks::new(c.summaries.iter().map(|s| s.observer.as_str()));
    let mut experiments: Vec<&str> = c.summaries.iter().map(|s| s.experiment.as_str()).collect();
    experiments.dedup();
    let mut written = Vec::new();
    for experiment in experiments {
        written.extend(experiment_figures(dir, c, experiment, &looks, icons)?);
    }
    written.extend(benchmark_figures(dir, c, &looks)?);
    Ok(written)
}

fn experiment_figures(
    dir: &Path,
    c: &Comparison,
    experiment: &str,
    looks: &Looks,
    icons: Option<&Icons>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let group: Vec<&Summary> = c
        .summaries
        .iter()
        .filter(|s| s.experiment == experiment)
        .collect();
    if group.iter().any(|s| s.decisions.conflict_trials > 0) {
        let series = series_of(c, experiment, looks);
        let order = category_order(&series);
        let names = icons.is_none();
        let height = 260 + 52 * order.len() as u32;
        let legend = legend_width(series.iter().map(|s| s.label.as_str())) + 80;
        written.extend(both(
            &dir.join(format!("{experiment}_shape-bias")),
            (PLOT_WIDTH + legend, height),
            |root| draw_cue_conflict(root, experiment, &series, &order, names),
            |root| draw_cue_conflict(root, experiment, &series, &order, true),
            |image, rows| {
                if let Some(icons) = icons {
                    paste_icons(image, icons, &rows, 40);
                }
            },
        )?);
    }
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
        let longest = observers
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(1) as u32;
        let side = (300 + longest * 10 + observers.len() as u32 * 44).clamp(700, 2600);
        written.extend(figure!(
            &dir.join(format!("{experiment}_error-consistency")),
            (side + 150, side),
            |root| draw_matrix(root, experiment, &observers, looks, &kappa)
        )?);
    }
    let points: Vec<&ConditionPoint> = c
        .benchmark
        .by_condition
        .iter()
        .filter(|p| p.dataset == experiment)
        .collect();
    // The conditions people saw (a model's stray labels, as `oidv2-resnet101`'s `3` in the
    // paper's data, are no level of their own).
    let mut conditions: Vec<String> = Vec::new();
    for p in points.iter().filter(|p| p.observer == HUMANS) {
        if !conditions.contains(&p.condition) {
            conditions.push(p.condition.clone());
        }
    }
    if conditions.len() > 1 {
        written.extend(condition_figures(
            dir,
            experiment,
            &conditions,
            &points,
            looks,
        )?);
    } else {
        let bars: Vec<Bar> = group
            .iter()
            .filter_map(|s| {
                let value = s.accuracy.value?;
                let interval = s.accuracy.low.zip(s.accuracy.high);
                Some(Bar {
                    label: s.observer.clone(),
                    look: looks.of(&s.observer),
                    value,
                    interval,
                })
            })
            .collect();
        let height = (200 + bars.len() as u32 * 34).clamp(450, 3400);
        let title = format!("16-class accuracy: {experiment}");
        written.extend(figure!(
            &dir.join(format!("{experiment}_accuracy")),
            (1200, height),
            |root| draw_bars(
                root,
                &title,
                "accuracy (with 95 % bootstrap interval)",
                &bars
            )
        )?);
    }
    Ok(written)
}

/// Accuracy and error consistency against the condition level of one experiment.
fn condition_figures(
    dir: &Path,
    experiment: &str,
    conditions: &[String],
    points: &[&ConditionPoint],
    looks: &Looks,
) -> Result<Vec<PathBuf>> {
    let mut observers: Vec<&str> = Vec::new();
    for p in points {
        if !observers.contains(&p.observer.as_str()) {
            observers.push(&p.observer);
        }
    }
    let value = |observer: &str, condition: &str| {
        points
            .iter()
            .find(|p| p.observer == observer && p.condition == condition)
    };
    let lines =
        |of: &dyn Fn(&ConditionPoint) -> Option<f64>| -> Vec<(String, Look, Vec<Option<f64>>)> {
            observers
                .iter()
                .map(|o| {
                    let values = conditions
                        .iter()
                        .map(|c| value(o, c).and_then(|p| of(p)))
                        .collect();
                    (o.to_string(), looks.of(o), values)
                })
                .collect()
        };
    let accuracy = lines(&|p| Some(p.accuracy));
    let range: Vec<(f64, f64)> = conditions
        .iter()
        .map(|c| {
            value(HUMANS, c)
                .and_then(|p| p.accuracy_low.zip(p.accuracy_high))
                .unwrap_or((f64::NAN, f64::NAN))
        })
        .collect();
    let range = (!range.iter().any(|r| r.0.is_nan())).then_some(range);
    let mut written = Vec::new();
    let size = (PLOT_WIDTH + legend_width(observers.iter().copied()), 850);
    let title = format!("Accuracy by condition: {experiment}");
    written.extend(figure!(
        &dir.join(format!("{experiment}_accuracy")),
        size,
        |root| draw_by_condition(
            root,
            &title,
            "16-class accuracy (humans: mean and range)",
            conditions,
            &accuracy,
            range.as_deref(),
            (0.0, 1.02, 1.0 / 16.0)
        )
    )?);
    let kappa = lines(&|p| p.error_consistency);
    if kappa.iter().any(|l| l.2.iter().any(Option::is_some)) {
        let low = kappa
            .iter()
            .flat_map(|l| l.2.iter().flatten())
            .fold(-0.2f64, |a, b| a.min(*b));
        let title = format!("Error consistency with humans by condition: {experiment}");
        written.extend(figure!(
            &dir.join(format!("{experiment}_error-consistency-by-condition")),
            size,
            |root| draw_by_condition(
                root,
                &title,
                "error consistency (kappa)",
                conditions,
                &kappa,
                None,
                (low, 1.02, 0.0)
            )
        )?);
    }
    Ok(written)
}

/// The benchmark's bar plots (each metric over all datasets, sorted as model-vs-human sorts
/// them) and OOD accuracy against error consistency; only when there is a model.
fn benchmark_figures(dir: &Path, c: &Comparison, looks: &Looks) -> Result<Vec<PathBuf>> {
    let all: Vec<&BenchmarkRow> = c
        .benchmark
        .rows
        .iter()
        .filter(|r| r.dataset == ALL_DATASETS)
        .collect();
    if !all.iter().any(|r| r.observer != HUMANS) {
        return Ok(Vec::new());
    }
    let mut written = Vec::new();
    type Metric = fn(&BenchmarkRow) -> Option<f64>;
    let metrics: [(&str, &str, Metric, bool); 4] = [
        ("ood-accuracy", "OOD accuracy", |r| r.ood_accuracy, false),
        (
            "accuracy-difference",
            "accuracy difference (squared; lower is more human-like)",
            |r| r.accuracy_difference,
            true,
        ),
        (
            "observed-consistency",
            "observed consistency",
            |r| r.observed_consistency,
            false,
        ),
        (
            "error-consistency",
            "error consistency (kappa)",
            |r| r.error_consistency,
            false,
        ),
    ];
    let datasets = c.benchmark.conditions.len();
    for (name, axis, metric, lower_is_better) in metrics {
        let mut bars: Vec<Bar> = all
            .iter()
            .filter_map(|r| {
                Some(Bar {
                    label: r.observer.clone(),
                    look: looks.of(&r.observer),
                    value: metric(r)?,
                    interval: None,
                })
            })
            .collect();
        bars.sort_by(|a, b| {
            let order = b.value.total_cmp(&a.value);
            if lower_is_better {
                order.reverse()
            } else {
                order
            }
        });
        let height = (200 + bars.len() as u32 * 34).clamp(450, 3400);
        let title = format!("Benchmark over {datasets} datasets");
        written.extend(figure!(
            &dir.join(format!("benchmark_{name}")),
            (1200, height),
            |root| draw_bars(root, &title, axis, &bars)
        )?);
    }
    let points: Vec<(String, Look, f64, f64)> = all
        .iter()
        .filter_map(|r| {
            Some((
                r.observer.clone(),
                looks.of(&r.observer),
                r.ood_accuracy?,
                r.error_consistency?,
            ))
        })
        .collect();
    let size = (
        PLOT_WIDTH + legend_width(points.iter().map(|p| p.0.as_str())),
        900,
    );
    written.extend(figure!(
        &dir.join("benchmark_ood-accuracy_vs_error-consistency"),
        size,
        |root| draw_scatter(root, &points)
    )?);
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
