//! Per-observer measures: shape bias, accuracy, no-answer rate, response times, per-category
//! breakdowns and the confusion matrix, with seeded bootstrap confidence intervals.

use std::collections::BTreeMap;

use serde::Serialize;

use super::observers::Observer;
use super::shape_bias::{Decisions, ShapeBias};
use crate::categories::{Category, ALL};
use crate::data::raw::RawRow;
use crate::names::texture_category;
use crate::rng::Rng;

/// How confidence intervals are made: resampling trials with replacement.
#[derive(Debug, Clone, Copy)]
pub struct Bootstrap {
    /// Resamples (0 turns intervals off).
    pub resamples: usize,
    /// Seed, so that intervals are the same on every run.
    pub seed: u64,
}

/// A value with its 95 % bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Estimate {
    /// The value over all trials.
    pub value: Option<f64>,
    /// 2.5th percentile of the resampled values.
    pub low: Option<f64>,
    /// 97.5th percentile of the resampled values.
    pub high: Option<f64>,
}

impl Bootstrap {
    /// Estimates `statistic` over `items` with a percentile interval.
    pub fn estimate<T: Copy>(
        &self,
        items: &[T],
        statistic: impl Fn(&[T]) -> Option<f64>,
    ) -> Estimate {
        let value = statistic(items);
        if self.resamples == 0 || items.is_empty() || value.is_none() {
            return Estimate {
                value,
                low: None,
                high: None,
            };
        }
        let mut rng = Rng::new(self.seed);
        let mut sample = Vec::with_capacity(items.len());
        let mut values: Vec<f64> = (0..self.resamples)
            .filter_map(|_| {
                sample.clear();
                sample.extend((0..items.len()).map(|_| items[rng.below(items.len())]));
                statistic(&sample)
            })
            .collect();
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            values
                .get(((values.len() - 1) as f64 * q).round() as usize)
                .copied()
        };
        Estimate {
            value,
            low: at(0.025),
            high: at(0.975),
        }
    }
}

fn shape_bias_of(decisions: &[Decisions]) -> Option<f64> {
    let shape = decisions.iter().filter(|d| **d == Decisions::Shape).count();
    let texture = decisions
        .iter()
        .filter(|d| **d == Decisions::Texture)
        .count();
    (shape + texture > 0).then(|| shape as f64 / (shape + texture) as f64)
}

fn mean_of(correct: &[bool]) -> Option<f64> {
    (!correct.is_empty())
        .then(|| correct.iter().filter(|c| **c).count() as f64 / correct.len() as f64)
}

/// The headline numbers of one observer (or of pooled humans).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Experiment.
    pub experiment: String,
    /// Observer label.
    pub observer: String,
    /// `human`, `model` or `humans (pooled)`.
    pub kind: String,
    /// Source folder(s).
    pub source: String,
    /// Trials.
    pub trials: usize,
    /// Trials left out because their timing logs mark them as disturbed.
    pub left_out_disturbed: usize,
    /// Shape bias over cue-conflict trials, with its interval.
    pub shape_bias: Estimate,
    /// Decision counts over cue-conflict trials.
    pub decisions: ShapeBias,
    /// 16-class accuracy against the shape category, with its interval.
    pub accuracy: Estimate,
    /// Share of trials without an answer.
    pub no_answer_rate: f64,
    /// Mean response time (s) of answered trials, when recorded.
    pub rt_mean: Option<f64>,
    /// Median response time (s) of answered trials, when recorded.
    pub rt_median: Option<f64>,
}

/// Per-category numbers of one observer.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    /// Experiment.
    pub experiment: String,
    /// Observer label.
    pub observer: String,
    /// The category.
    pub category: Category,
    /// Shape bias over conflict trials whose shape is this category.
    pub shape_bias_as_shape: Option<f64>,
    /// Shape bias over conflict trials whose texture is this category.
    pub shape_bias_as_texture: Option<f64>,
    /// Accuracy over trials of this (shape) category.
    pub accuracy: Option<f64>,
    /// Trials of this (shape) category.
    pub trials: usize,
}

/// Summarises rows as one observer.
pub fn summarise(
    experiment: &str,
    observer: &str,
    kind: &str,
    source: &str,
    rows: &[&RawRow],
    bootstrap: Bootstrap,
) -> Summary {
    let decisions: Vec<Decisions> = rows.iter().filter_map(|r| ShapeBias::decision(r)).collect();
    let correct: Vec<bool> = rows
        .iter()
        .map(|r| r.object_response == Some(r.category))
        .collect();
    let mut rts: Vec<f64> = rows
        .iter()
        .filter(|r| r.object_response.is_some())
        .filter_map(|r| r.rt)
        .collect();
    rts.sort_by(f64::total_cmp);
    let no_answer = rows.iter().filter(|r| r.object_response.is_none()).count();
    Summary {
        experiment: experiment.into(),
        observer: observer.into(),
        kind: kind.into(),
        source: source.into(),
        trials: rows.len(),
        left_out_disturbed: 0,
        shape_bias: bootstrap.estimate(&decisions, shape_bias_of),
        decisions: decisions.iter().fold(ShapeBias::default(), |mut bias, &d| {
            bias.add(Some(d));
            bias
        }),
        accuracy: bootstrap.estimate(&correct, mean_of),
        no_answer_rate: if rows.is_empty() {
            0.0
        } else {
            no_answer as f64 / rows.len() as f64
        },
        rt_mean: (!rts.is_empty()).then(|| rts.iter().sum::<f64>() / rts.len() as f64),
        rt_median: (!rts.is_empty()).then(|| {
            let n = rts.len();
            if n % 2 == 1 {
                rts[n / 2]
            } else {
                (rts[n / 2 - 1] + rts[n / 2]) / 2.0
            }
        }),
    }
}

/// Summarises one observer.
pub fn summarise_observer(o: &Observer, bootstrap: Bootstrap) -> Summary {
    let rows: Vec<&RawRow> = o.rows.iter().collect();
    Summary {
        left_out_disturbed: o.left_out,
        ..summarise(
            &o.experiment,
            &o.label,
            o.kind.name(),
            &o.source,
            &rows,
            bootstrap,
        )
    }
}

/// Per-category numbers of rows.
pub fn per_category(experiment: &str, observer: &str, rows: &[&RawRow]) -> Vec<CategoryRow> {
    ALL.iter()
        .map(|&category| {
            let as_shape: Vec<Decisions> = rows
                .iter()
                .filter(|r| r.category == category)
                .filter_map(|r| ShapeBias::decision(r))
                .collect();
            let as_texture: Vec<Decisions> = rows
                .iter()
                .filter(|r| texture_category(&r.imagename) == Some(category))
                .filter_map(|r| ShapeBias::decision(r))
                .collect();
            let correct: Vec<bool> = rows
                .iter()
                .filter(|r| r.category == category)
                .map(|r| r.object_response == Some(category))
                .collect();
            CategoryRow {
                experiment: experiment.into(),
                observer: observer.into(),
                category,
                shape_bias_as_shape: shape_bias_of(&as_shape),
                shape_bias_as_texture: shape_bias_of(&as_texture),
                accuracy: mean_of(&correct),
                trials: correct.len(),
            }
        })
        .collect()
}

/// Accuracy per condition label, in label order.
pub fn accuracy_by_condition(rows: &[&RawRow]) -> BTreeMap<String, (usize, f64)> {
    let mut tally: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in rows {
        let t = tally.entry(&r.condition).or_default();
        t.0 += 1;
        t.1 += usize::from(r.object_response == Some(r.category));
    }
    tally
        .into_iter()
        .map(|(c, (n, k))| (c.to_string(), (n, k as f64 / n as f64)))
        .collect()
}

/// Counts of (true category, response) pairs; the response `None` is no answer.
pub fn confusion(rows: &[&RawRow]) -> BTreeMap<(Category, Option<Category>), usize> {
    let mut counts = BTreeMap::new();
    for r in rows {
        *counts.entry((r.category, r.object_response)).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bootstrap_interval_contains_the_value_and_is_reproducible() {
        let items: Vec<bool> = (0..200).map(|i| i % 4 != 0).collect();
        let b = Bootstrap {
            resamples: 500,
            seed: 7,
        };
        let e = b.estimate(&items, mean_of);
        assert_eq!(e.value, Some(0.75));
        let (low, high) = (e.low.expect("low"), e.high.expect("high"));
        assert!(low < 0.75 && 0.75 < high, "{low} {high}");
        assert!(high - low < 0.15);
        assert_eq!(b.estimate(&items, mean_of), e);
        let off = Bootstrap {
            resamples: 0,
            seed: 7,
        }
        .estimate(&items, mean_of);
        assert_eq!((off.value, off.low), (Some(0.75), None));
    }

    #[test]
    fn rt_median_and_no_answer_rate() {
        let row = |rt: Option<f64>, answered: bool| RawRow {
            subj: "subject-01".into(),
            session: "1".into(),
            trial: 1,
            rt,
            object_response: answered.then_some(Category::Cat),
            category: Category::Cat,
            condition: "0".into(),
            imagename: "0001_x_s01_0_cat_00_cat1-dog1.png".into(),
        };
        let rows = [
            row(Some(0.5), true),
            row(Some(0.7), true),
            row(Some(0.9), true),
            row(None, false),
        ];
        let refs: Vec<&RawRow> = rows.iter().collect();
        let s = summarise(
            "e",
            "o",
            "human",
            "src",
            &refs,
            Bootstrap {
                resamples: 0,
                seed: 1,
            },
        );
        assert_eq!(s.rt_median, Some(0.7));
        assert!((s.rt_mean.expect("mean") - 0.7).abs() < 1e-12);
        assert_eq!(s.no_answer_rate, 0.25);
        assert_eq!(s.accuracy.value, Some(0.75));
    }
}
