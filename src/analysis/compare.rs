//! The comparison of observers within each experiment: summaries (each observer and pooled
//! humans), per-category numbers, error consistency of every pair, and confusion matrices.

use std::collections::BTreeMap;

use serde::Serialize;

use super::benchmark::{benchmark, Benchmark};
use super::consistency::{correctness, error_consistency, Consistency, DEFAULT_MIN_SHARED_TRIALS};
use super::metrics::{
    accuracy_by_condition, confusion, per_category, summarise, summarise_observer, Bootstrap,
    CategoryRow, Summary,
};
use super::observers::Observer;
use crate::categories::Category;
use crate::data::raw::RawRow;
use crate::names::{read_texture, Texture};

pub use super::observers::HUMANS;

/// The error consistency of one pair of observers.
#[derive(Debug, Clone, Serialize)]
pub struct PairRow {
    /// Experiment.
    pub experiment: String,
    /// First observer.
    pub a: String,
    /// Second observer.
    pub b: String,
    /// `human-human`, `human-model` or `model-model`.
    pub pair: String,
    /// The agreement.
    pub consistency: Consistency,
}

/// One cell of a confusion matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ConfusionRow {
    /// Experiment.
    pub experiment: String,
    /// Observer.
    pub observer: String,
    /// True (shape) category.
    pub category: Category,
    /// Response, `None` for no answer.
    pub response: Option<Category>,
    /// Trials.
    pub count: usize,
}

/// Accuracy of one observer in one condition.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionRow {
    /// Experiment.
    pub experiment: String,
    /// Observer.
    pub observer: String,
    /// Condition label.
    pub condition: String,
    /// Trials in the condition.
    pub trials: usize,
    /// Accuracy in the condition.
    pub accuracy: f64,
}

/// Everything `shapelab compare` reports.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// One row per observer, and pooled humans per experiment.
    pub summaries: Vec<Summary>,
    /// Per-category numbers of the same observers.
    pub categories: Vec<CategoryRow>,
    /// Every pair within an experiment.
    pub pairs: Vec<PairRow>,
    /// Mean kappa over human-human pairs per experiment (the ceiling for models); `None` when
    /// humans share trials but too few for any kappa.
    pub ceilings: BTreeMap<String, Option<f64>>,
    /// Confusion matrices.
    pub confusion: Vec<ConfusionRow>,
    /// Accuracy per condition (for experiments with conditions, e.g. noise levels).
    pub conditions: Vec<ConditionRow>,
    /// Fewest matched trials per condition for a kappa to count.
    pub min_shared_trials: usize,
    /// model-vs-human's benchmark of every model against the humans.
    pub benchmark: Benchmark,
    /// Things the reader must know about the data, one line each (e.g. image names whose
    /// texture is no category).
    pub notes: Vec<String>,
}

/// How `compare` compares.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Bootstrap of the intervals.
    pub bootstrap: Bootstrap,
    /// Fewest matched trials per condition for a kappa to count.
    pub min_shared_trials: usize,
    /// Keep the conditions model-vs-human's benchmark leaves out.
    pub keep_all_conditions: bool,
}

/// Compares observers (already grouped by experiment) with each other, a kappa counting
/// conditions with at least [`DEFAULT_MIN_SHARED_TRIALS`] shared trials.
pub fn compare(observers: &[Observer], bootstrap: Bootstrap) -> Comparison {
    compare_with(
        observers,
        Options {
            bootstrap,
            min_shared_trials: DEFAULT_MIN_SHARED_TRIALS,
            keep_all_conditions: false,
        },
    )
}

/// Compares observers with explicit options.
pub fn compare_with(observers: &[Observer], options: Options) -> Comparison {
    let Options {
        bootstrap,
        min_shared_trials,
        keep_all_conditions,
    } = options;
    let mut by_experiment: BTreeMap<&str, Vec<&Observer>> = BTreeMap::new();
    for o in observers {
        by_experiment.entry(&o.experiment).or_default().push(o);
    }
    let mut out = Comparison {
        min_shared_trials,
        benchmark: benchmark(observers, min_shared_trials, !keep_all_conditions),
        ..Comparison::default()
    };
    out.notes
        .extend(observers.iter().filter_map(unreadable_textures));
    out.notes.extend(out.benchmark.partial_models());
    for (experiment, group) in by_experiment {
        let humans: Vec<&RawRow> = group
            .iter()
            .filter(|o| o.is_human())
            .flat_map(|o| &o.rows)
            .collect();
        if !humans.is_empty() {
            let sources: Vec<&str> = dedup(
                group
                    .iter()
                    .filter(|o| o.is_human())
                    .map(|o| o.source.as_str()),
            );
            out.summaries.push(summarise(
                experiment,
                HUMANS,
                "humans (pooled)",
                &sources.join(" "),
                &humans,
                bootstrap,
            ));
            out.categories
                .extend(per_category(experiment, HUMANS, &humans));
        }
        out.summaries.extend(
            crate::parallel::map(&group, |o| summarise_observer(o, bootstrap))
                .into_iter()
                .flatten(),
        );
        for o in &group {
            let rows: Vec<&RawRow> = o.rows.iter().collect();
            out.categories
                .extend(per_category(experiment, &o.label, &rows));
            let by_condition = accuracy_by_condition(&rows).into_iter();
            out.conditions
                .extend(
                    by_condition.map(|(condition, (trials, accuracy))| ConditionRow {
                        experiment: experiment.to_string(),
                        observer: o.label.clone(),
                        condition,
                        trials,
                        accuracy,
                    }),
                );
            out.confusion.extend(confusion(&rows).into_iter().map(
                |((category, response), count)| ConfusionRow {
                    experiment: experiment.to_string(),
                    observer: o.label.clone(),
                    category,
                    response,
                    count,
                },
            ));
        }
        let patterns: Vec<_> = group
            .iter()
            .map(|o| correctness(&o.rows.iter().collect::<Vec<_>>()))
            .collect();
        let (mut human_kappas, mut human_pairs) = (Vec::new(), 0);
        for i in 0..group.len() {
            for j in i + 1..group.len() {
                let Some(consistency) =
                    error_consistency(&patterns[i], &patterns[j], min_shared_trials)
                else {
                    continue;
                };
                let pair = match (group[i].is_human(), group[j].is_human()) {
                    (true, true) => "human-human",
                    (false, false) => "model-model",
                    _ => "human-model",
                };
                if pair == "human-human" {
                    human_pairs += 1;
                    human_kappas.extend(consistency.kappa);
                }
                out.pairs.push(PairRow {
                    experiment: experiment.to_string(),
                    a: group[i].label.clone(),
                    b: group[j].label.clone(),
                    pair: pair.to_string(),
                    consistency,
                });
            }
        }
        if human_pairs > 0 {
            let mean = (!human_kappas.is_empty())
                .then(|| human_kappas.iter().sum::<f64>() / human_kappas.len() as f64);
            out.ceilings.insert(experiment.to_string(), mean);
        }
    }
    out
}

/// A line naming the observer's trials whose image names have a texture field that is no
/// category: they are not counted as cue-conflict trials, and the reader is told so.
fn unreadable_textures(o: &Observer) -> Option<String> {
    let mut unreadable = o
        .rows
        .iter()
        .filter(|r| read_texture(&r.imagename) == Texture::Unreadable);
    let first = unreadable.next()?;
    Some(format!(
        "{} {}: the texture in {} image names is no category (first: '{}'); those trials are not counted as cue-conflict trials",
        o.experiment,
        o.label,
        1 + unreadable.count(),
        first.imagename.escape_debug()
    ))
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    v.dedup();
    v
}
