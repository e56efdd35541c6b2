//! model-vs-human's benchmark (Geirhos et al., NeurIPS 2021): per model, against the humans of
//! each dataset, OOD accuracy, accuracy difference (squared), observed consistency and error
//! consistency, each averaged over conditions, then humans, then datasets, leaving out the
//! conditions model-vs-human leaves out; the same numbers between humans are the ceiling.

use std::collections::BTreeMap;

use serde::Serialize;

use super::consistency::{correctness_by, per_condition, Pattern};
use super::observers::{Observer, HUMANS};
use crate::data::raw::RawRow;

/// The conditions model-vs-human's benchmark leaves out, per dataset (its `plot.py`): controls
/// without manipulation, and levels where humans are below 20 % accurate. Written as
/// model-vs-human lists them; a label of the data matches as text in any case (`true` is
/// `True`) or as the same number (`0.60` is `0.6`), as pandas reads the published files.
pub const EXCLUDED_CONDITIONS: &[(&str, &[&str])] = &[
    ("colour", &["cr"]),
    ("contrast", &["c100", "c03", "c01"]),
    ("high-pass", &["inf", "0.55", "0.45", "0.4"]),
    ("low-pass", &["0", "15", "40"]),
    ("phase-scrambling", &["0", "150", "180"]),
    ("power-equalisation", &["0"]),
    ("false-colour", &["True"]),
    ("rotation", &["0"]),
    ("eidolonI", &["1-10-10", "64-10-10", "128-10-10"]),
    ("eidolonII", &["1-3-10", "32-3-10", "64-3-10", "128-3-10"]),
    (
        "eidolonIII",
        &["1-0-10", "16-0-10", "32-0-10", "64-0-10", "128-0-10"],
    ),
    ("uniform-noise", &["0.0", "0.6", "0.9"]),
];

/// The label of the whole benchmark (the mean over datasets) in the `dataset` column.
pub const ALL_DATASETS: &str = "all";

/// One observer's four numbers on one dataset, or over all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkRow {
    /// The dataset (experiment), or `all`.
    pub dataset: String,
    /// The model's label, or `humans` (pooled for OOD accuracy, their pairs for the rest).
    pub observer: String,
    /// Datasets averaged.
    pub datasets: usize,
    /// Humans the model was compared with (pairs of humans for `humans`), summed over datasets.
    pub compared_with: usize,
    /// 16-class accuracy over the kept conditions (humans pooled).
    pub ood_accuracy: Option<f64>,
    /// (accuracy - human accuracy)^2 per condition, averaged.
    pub accuracy_difference: Option<f64>,
    /// Observed consistency with each human per condition, averaged.
    pub observed_consistency: Option<f64>,
    /// Error consistency (kappa) with each human per condition, averaged.
    pub error_consistency: Option<f64>,
}

/// The benchmark of every model, and the humans' ceiling.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Benchmark {
    /// Per dataset (sorted), then `all`; within each, models by label, then `humans`.
    pub rows: Vec<BenchmarkRow>,
    /// The conditions kept per dataset.
    pub conditions: BTreeMap<String, Vec<String>>,
    /// Accuracy and error consistency per condition (every condition, none left out), for the
    /// plots against condition level.
    pub by_condition: Vec<ConditionPoint>,
}

impl Benchmark {
    /// One line per model whose overall row averages fewer datasets than the humans' does:
    /// its mean and the humans' ceiling are then over different datasets.
    pub fn partial_models(&self) -> Vec<String> {
        let all: Vec<&BenchmarkRow> = self
            .rows
            .iter()
            .filter(|r| r.dataset == ALL_DATASETS)
            .collect();
        let Some(humans) = all.iter().find(|r| r.observer == HUMANS) else {
            return Vec::new();
        };
        all.iter()
            .filter(|r| r.observer != HUMANS && r.datasets < humans.datasets)
            .map(|r| {
                format!(
                    "benchmark: {}'s row '{ALL_DATASETS}' averages {} of the humans' {} datasets; compare it with the humans per dataset",
                    r.observer, r.datasets, humans.datasets
                )
            })
            .collect()
    }
}

/// One observer's accuracy and error consistency with the humans in one condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionPoint {
    /// The dataset (experiment).
    pub dataset: String,
    /// The model's label, or `humans`.
    pub observer: String,
    /// The condition label.
    pub condition: String,
    /// Accuracy (for humans, the mean over them).
    pub accuracy: f64,
    /// The lowest human's accuracy (humans only).
    pub accuracy_low: Option<f64>,
    /// The highest human's accuracy (humans only).
    pub accuracy_high: Option<f64>,
    /// Mean kappa with each human (for humans, over pairs of humans).
    pub error_consistency: Option<f64>,
}

/// Conditions in the order of their levels: by number where labels are numbers after any
/// letters (`c05` before `c30`, `0.35` before `inf`, `2-10-10` before `16-10-10`), else by text.
pub fn condition_order(conditions: &mut [String]) {
    let level = |c: &str| {
        c.trim_start_matches(|ch: char| ch.is_ascii_alphabetic() && ch != 'i')
            .split('-')
            .next()
            .and_then(|n| n.parse::<f64>().ok())
    };
    conditions.sort_by(|a, b| match (level(a), level(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
}

/// Every condition's accuracy and kappa of the models and the humans of one dataset.
fn condition_points(dataset: &str, group: &[&Observer], min_trials: usize) -> Vec<ConditionPoint> {
    let prepared: Vec<Prepared> = group.iter().map(|o| prepare(o, &|_| true)).collect();
    let is_human: Vec<bool> = group.iter().map(|o| o.is_human()).collect();
    let humans: Vec<usize> = (0..group.len()).filter(|&i| is_human[i]).collect();
    let kappas = |a: usize, b: usize| -> BTreeMap<String, f64> {
        per_condition(&prepared[a].pattern, &prepared[b].pattern)
            .into_iter()
            .filter(|(_, c)| c.trials >= min_trials.max(1))
            .map(|(condition, c)| (condition.to_string(), c.kappa))
            .collect()
    };
    let mut conditions: Vec<String> = prepared
        .iter()
        .flat_map(|p| p.accuracy.keys().map(|c| c.to_string()))
        .collect();
    conditions.sort();
    conditions.dedup();
    condition_order(&mut conditions);
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let mut out = Vec::new();
    for (i, p) in prepared.iter().enumerate().filter(|(i, _)| !is_human[*i]) {
        let with: Vec<BTreeMap<String, f64>> = humans.iter().map(|&h| kappas(i, h)).collect();
        for c in &conditions {
            let Some(&accuracy) = p.accuracy.get(c.as_str()) else {
                continue;
            };
            let k: Vec<f64> = with.iter().filter_map(|m| m.get(c).copied()).collect();
            out.push(ConditionPoint {
                dataset: dataset.to_string(),
                observer: p.label.to_string(),
                condition: c.clone(),
                accuracy,
                accuracy_low: None,
                accuracy_high: None,
                error_consistency: mean(&k),
            });
        }
    }
    let mut pairs = Vec::new();
    for (n, &a) in humans.iter().enumerate() {
        for &b in &humans[n + 1..] {
            pairs.push(kappas(a, b));
        }
    }
    for c in &conditions {
        let accuracies: Vec<f64> = humans
            .iter()
            .filter_map(|&h| prepared[h].accuracy.get(c.as_str()).copied())
            .collect();
        let Some(accuracy) = mean(&accuracies) else {
            continue;
        };
        let k: Vec<f64> = pairs.iter().filter_map(|m| m.get(c).copied()).collect();
        out.push(ConditionPoint {
            dataset: dataset.to_string(),
            observer: HUMANS.to_string(),
            condition: c.clone(),
            accuracy,
            accuracy_low: accuracies.iter().copied().reduce(f64::min),
            accuracy_high: accuracies.iter().copied().reduce(f64::max),
            error_consistency: mean(&k),
        });
    }
    out
}

/// Whether a condition label of the data is a label of model-vs-human's list: the same text,
/// or the same number (pandas reads `0.60` as 0.6).
fn same_condition(label: &str, listed: &str) -> bool {
    if label.eq_ignore_ascii_case(listed) {
        return true;
    }
    matches!((label.parse::<f64>(), listed.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// Whether the benchmark keeps a condition of a dataset.
pub fn kept(dataset: &str, condition: &str, exclude: bool) -> bool {
    !exclude
        || !EXCLUDED_CONDITIONS
            .iter()
            .filter(|(name, _)| *name == dataset)
            .flat_map(|(_, listed)| listed.iter())
            .any(|listed| same_condition(condition, listed))
}

/// The four metrics of one pair in one condition (any may be missing).
#[derive(Default, Clone, Copy)]
struct Metrics {
    accuracy_difference: Option<f64>,
    observed: Option<f64>,
    kappa: Option<f64>,
}

/// Running means of several metrics.
#[derive(Clone)]
struct Means<const N: usize> {
    sums: [f64; N],
    counts: [usize; N],
}

impl<const N: usize> Default for Means<N> {
    fn default() -> Self {
        Means {
            sums: [0.0; N],
            counts: [0; N],
        }
    }
}

impl<const N: usize> Means<N> {
    fn add(&mut self, values: [Option<f64>; N]) {
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v {
                self.sums[i] += v;
                self.counts[i] += 1;
            }
        }
    }

    fn means(&self) -> [Option<f64>; N] {
        std::array::from_fn(|i| (self.counts[i] > 0).then(|| self.sums[i] / self.counts[i] as f64))
    }
}

/// One observer of a dataset, ready for pairing: rows in kept conditions.
struct Prepared<'a> {
    label: &'a str,
    pattern: Pattern,
    accuracy: BTreeMap<&'a str, f64>,
    rows: Vec<&'a RawRow>,
}

fn prepare<'a>(o: &'a Observer, keep: &dyn Fn(&str) -> bool) -> Prepared<'a> {
    let rows: Vec<&RawRow> = o.rows.iter().filter(|r| keep(&r.condition)).collect();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let c = counts.entry(&r.condition).or_default();
        c.0 += 1;
        c.1 += usize::from(r.object_response == Some(r.category));
    }
    Prepared {
        label: &o.label,
        // model-vs-human groups trials by the `condition` column.
        pattern: correctness_by(&rows, |r| &r.condition),
        accuracy: counts
            .into_iter()
            .map(|(c, (n, right))| (c, right as f64 / n as f64))
            .collect(),
        rows,
    }
}

/// The metrics of a pair, averaged over the conditions both saw.
fn pair_means(a: &Prepared, b: &Prepared, min_trials: usize) -> [Option<f64>; 3] {
    let mut by_condition: BTreeMap<&str, Metrics> = BTreeMap::new();
    for (condition, acc_a) in &a.accuracy {
        if let Some(acc_b) = b.accuracy.get(condition) {
            by_condition
                .entry(condition)
                .or_default()
                .accuracy_difference = Some((acc_a - acc_b).powi(2));
        }
    }
    for (condition, c) in per_condition(&a.pattern, &b.pattern) {
        if c.trials >= min_trials.max(1) {
            if let Some(m) = by_condition.get_mut(condition) {
                m.observed = Some(c.observed);
                m.kappa = Some(c.kappa);
            }
        }
    }
    let mut means = Means::<3>::default();
    for m in by_condition.values() {
        means.add([m.accuracy_difference, m.observed, m.kappa]);
    }
    means.means()
}

fn accuracy_of(rows: &[&RawRow]) -> Option<f64> {
    let right = rows
        .iter()
        .filter(|r| r.object_response == Some(r.category))
        .count();
    (!rows.is_empty()).then(|| right as f64 / rows.len() as f64)
}

/// Runs the benchmark over every experiment with humans; `exclude` leaves out the conditions
/// of [`EXCLUDED_CONDITIONS`], `min_trials` is the fewest matched trials for a condition's
/// consistency to count.
pub fn benchmark(observers: &[Observer], min_trials: usize, exclude: bool) -> Benchmark {
    let mut by_dataset: BTreeMap<&str, Vec<&Observer>> = BTreeMap::new();
    for o in observers {
        by_dataset.entry(&o.experiment).or_default().push(o);
    }
    let mut out = Benchmark::default();
    // Per observer: the per-dataset values, to average over datasets.
    let mut overall: BTreeMap<String, (usize, usize, Means<4>)> = BTreeMap::new();
    for (dataset, group) in by_dataset {
        if !group.iter().any(|o| o.is_human()) {
            continue;
        }
        let keep = |condition: &str| kept(dataset, condition, exclude);
        let prepared: Vec<Prepared> = group.iter().map(|o| prepare(o, &keep)).collect();
        let (humans, models): (Vec<_>, Vec<_>) =
            prepared.iter().zip(&group).partition(|(_, o)| o.is_human());
        let humans: Vec<&Prepared> = humans.into_iter().map(|(p, _)| p).collect();
        let mut conditions: Vec<String> = prepared
            .iter()
            .flat_map(|p| p.accuracy.keys().map(|c| c.to_string()))
            .collect();
        conditions.sort();
        conditions.dedup();
        out.conditions.insert(dataset.to_string(), conditions);
        let mut rows = Vec::new();
        for (model, _) in models {
            let mut means = Means::<3>::default();
            for human in &humans {
                means.add(pair_means(model, human, min_trials));
            }
            rows.push(row(
                dataset,
                model.label,
                humans.len(),
                accuracy_of(&model.rows),
                &means,
            ));
        }
        let mut means = Means::<3>::default();
        let mut pairs = 0;
        for (i, a) in humans.iter().enumerate() {
            for b in &humans[i + 1..] {
                means.add(pair_means(a, b, min_trials));
                pairs += 1;
            }
        }
        let pooled: Vec<&RawRow> = humans.iter().flat_map(|h| h.rows.iter().copied()).collect();
        rows.push(row(dataset, HUMANS, pairs, accuracy_of(&pooled), &means));
        for r in &rows {
            let entry = overall.entry(r.observer.clone()).or_default();
            entry.0 += 1;
            entry.1 += r.compared_with;
            entry.2.add([
                r.ood_accuracy,
                r.accuracy_difference,
                r.observed_consistency,
                r.error_consistency,
            ]);
        }
        out.rows.extend(rows);
        out.by_condition
            .extend(condition_points(dataset, &group, min_trials));
    }
    let mut all: Vec<BenchmarkRow> = overall
        .into_iter()
        .map(|(observer, (datasets, compared_with, means))| {
            let [ood_accuracy, accuracy_difference, observed_consistency, error_consistency] =
                means.means();
            BenchmarkRow {
                dataset: ALL_DATASETS.into(),
                observer,
                datasets,
                compared_with,
                ood_accuracy,
                accuracy_difference,
                observed_consistency,
                error_consistency,
            }
        })
        .collect();
    // Models first, then the humans' ceiling, as in every dataset.
    all.sort_by_key(|r| r.observer == HUMANS);
    out.rows.extend(all);
    out
}

fn row(
    dataset: &str,
    observer: &str,
    compared_with: usize,
    ood_accuracy: Option<f64>,
    means: &Means<3>,
) -> BenchmarkRow {
    let [accuracy_difference, observed_consistency, error_consistency] = means.means();
    BenchmarkRow {
        dataset: dataset.to_string(),
        observer: observer.to_string(),
        datasets: 1,
        compared_with,
        ood_accuracy,
        accuracy_difference,
        observed_consistency,
        error_consistency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Category;

    #[test]
    fn conditions_are_ordered_by_level() {
        let mut c: Vec<String> = ["c30", "c05", "c100", "inf", "0.4", "3", "pow", "0"]
            .map(String::from)
            .to_vec();
        condition_order(&mut c);
        assert_eq!(c, ["0", "0.4", "3", "c05", "c30", "c100", "inf", "pow"]);
        let mut e: Vec<String> = ["16-10-10", "2-10-10", "128-10-10"]
            .map(String::from)
            .to_vec();
        condition_order(&mut e);
        assert_eq!(e, ["2-10-10", "16-10-10", "128-10-10"]);
    }

    #[test]
    fn condition_labels_match_as_text_or_as_numbers() {
        assert!(!kept("uniform-noise", "0.60", true));
        assert!(!kept("uniform-noise", "0.00", true));
        assert!(kept("uniform-noise", "0.35", true));
        assert!(!kept("false-colour", "true", true));
        assert!(kept("false-colour", "false", true));
        assert!(!kept("high-pass", "inf", true));
        assert!(kept("high-pass", "1", true));
        assert!(kept("contrast", "c30", true));
        assert!(!kept("contrast", "c100", true));
        assert!(kept("contrast", "c100", false));
        assert!(kept("my-experiment", "0", true));
    }

    fn observer(subj: &str, condition: &str, correct: &[bool]) -> Observer {
        let rows = correct
            .iter()
            .enumerate()
            .map(|(i, &right)| RawRow {
                subj: subj.into(),
                session: "1".into(),
                trial: i + 1,
                rt: None,
                object_response: Some(if right { Category::Cat } else { Category::Dog }),
                category: Category::Cat,
                condition: condition.into(),
                imagename: format!("{:04}_x_s01_{condition}_cat_00_cat{i}.png", i + 1),
            })
            .collect();
        Observer {
            experiment: "exp".into(),
            subj: subj.into(),
            source: "exp".into(),
            label: subj.into(),
            rows,
            kind: crate::analysis::observers::Kind::of_code(subj),
            left_out: 0,
        }
    }

    #[test]
    fn a_model_is_averaged_over_humans_and_humans_over_their_pairs() {
        let twelve =
            |wrong: &[usize]| -> Vec<bool> { (0..12).map(|i| !wrong.contains(&i)).collect() };
        let observers = vec![
            observer("subject-01", "0", &twelve(&[0, 1, 2])),
            observer("subject-02", "0", &twelve(&[0, 1, 2])),
            observer("subject-03", "0", &twelve(&[9, 10, 11])),
            observer("net", "0", &twelve(&[0, 1, 2])),
        ];
        let b = benchmark(&observers, 10, true);
        let net = b
            .rows
            .iter()
            .find(|r| r.dataset == "exp" && r.observer == "net")
            .expect("net");
        assert_eq!(net.ood_accuracy, Some(0.75));
        assert_eq!(net.accuracy_difference, Some(0.0));
        // Same errors as subjects 1 and 2 (kappa 1), none shared with subject 3.
        let k3 = (0.5 - 0.625) / (1.0 - 0.625);
        let kappa = net.error_consistency.expect("kappa");
        assert!((kappa - (1.0 + 1.0 + k3) / 3.0).abs() < 1e-12, "{kappa}");
        let humans = b
            .rows
            .iter()
            .find(|r| r.dataset == "exp" && r.observer == HUMANS)
            .expect("humans");
        assert_eq!(humans.compared_with, 3);
        assert!((humans.error_consistency.expect("kappa") - (1.0 + 2.0 * k3) / 3.0).abs() < 1e-12);
        let all: Vec<&str> = b
            .rows
            .iter()
            .filter(|r| r.dataset == ALL_DATASETS)
            .map(|r| r.observer.as_str())
            .collect();
        assert_eq!(all, vec!["net", HUMANS]);
    }

    #[test]
    fn a_model_missing_a_dataset_is_named_in_a_note() {
        let twelve: Vec<bool> = (0..12).map(|i| i > 2).collect();
        let mut observers = Vec::new();
        for experiment in ["exp", "other"] {
            for subj in ["subject-01", "subject-02"] {
                let mut o = observer(subj, "0", &twelve);
                o.experiment = experiment.into();
                observers.push(o);
            }
        }
        observers.push(observer("net", "0", &twelve));
        let b = benchmark(&observers, 10, true);
        assert_eq!(
            b.partial_models(),
            [format!(
                "benchmark: net's row '{ALL_DATASETS}' averages 1 of the humans' 2 datasets; compare it with the humans per dataset"
            )]
        );
        let mut everywhere = observer("net", "0", &twelve);
        everywhere.experiment = "other".into();
        observers.push(everywhere);
        assert!(benchmark(&observers, 10, true).partial_models().is_empty());
    }
}
