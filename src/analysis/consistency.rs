//! Error consistency (Geirhos et al., NeurIPS 2020) as model-vs-human computes it: Cohen's
//! kappa between two observers' correct/incorrect patterns within each condition (trials
//! matched by image), then averaged over conditions; observed consistency likewise.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::data::raw::RawRow;
use crate::names::{condition_in_name, original_name};

/// Fewest trials two observers must share in a condition for its kappa to count: with fewer,
/// the kappa says nothing (one shared trial gives 0 or 1 by chance) and the condition is
/// left out (`compare --min-shared-trials`).
pub const DEFAULT_MIN_SHARED_TRIALS: usize = 10;

/// One observer's correct/incorrect pattern: per condition, per original image, each showing
/// in the order shown (sessions by number, then trials).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pattern {
    conditions: BTreeMap<String, HashMap<String, Vec<bool>>>,
}

impl Pattern {
    /// Records one showing (after those already recorded for the same image).
    pub fn add(&mut self, condition: &str, image: &str, correct: bool) {
        self.conditions
            .entry(condition.to_string())
            .or_default()
            .entry(image.to_string())
            .or_default()
            .push(correct);
    }

    /// Every showing as (condition, image, correct).
    pub fn showings(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.conditions.iter().flat_map(|(condition, images)| {
            images.iter().flat_map(move |(image, shown)| {
                shown
                    .iter()
                    .map(move |&correct| (condition.as_str(), image.as_str(), correct))
            })
        })
    }
}

/// The agreement of two observers' errors within one condition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConditionConsistency {
    /// Matched trials.
    pub trials: usize,
    /// The share of matched trials both got right or both got wrong.
    pub observed: f64,
    /// Consistency expected from their accuracies alone: p1 p2 + (1 - p1)(1 - p2).
    pub expected: f64,
    /// Cohen's kappa, (observed - expected) / (1 - expected), and 1 when observed is 1 (as
    /// model-vs-human has it, also when both are always right).
    pub kappa: f64,
}

/// The agreement of two observers' errors, averaged over the conditions they share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Consistency {
    /// Trials matched, over all conditions.
    pub trials: usize,
    /// Conditions averaged.
    pub conditions: usize,
    /// Shared conditions left out for having fewer matched trials than the minimum.
    pub short_conditions: usize,
    /// Mean observed consistency over the conditions; `None` when no condition has enough trials.
    pub observed: Option<f64>,
    /// Mean expected consistency over the conditions.
    pub expected: Option<f64>,
    /// Mean kappa over the conditions (the error consistency).
    pub kappa: Option<f64>,
}

impl Consistency {
    /// What to print instead of a number when there is none.
    pub fn missing_reason(&self, min_trials: usize) -> Option<String> {
        self.kappa.is_none().then(|| {
            format!(
                "too few shared trials ({} in {} conditions; {min_trials} per condition needed)",
                self.trials, self.short_conditions
            )
        })
    }
}

/// Each trial's correctness by condition and original image name, repeats in the order shown.
/// The condition is read from the image name when it has the lab's fields, as some files'
/// `condition` column disagrees with their image names (e.g. `oidv2-resnet101` says 3 for
/// condition-0 images).
pub fn correctness(rows: &[&RawRow]) -> Pattern {
    correctness_by(rows, |r| {
        condition_in_name(&r.imagename).unwrap_or(&r.condition)
    })
}

/// Each trial's correctness by `condition_of` and original image name, repeats in the order
/// shown (sessions by number, then trials).
pub fn correctness_by(rows: &[&RawRow], condition_of: impl Fn(&RawRow) -> &str) -> Pattern {
    let mut order: Vec<&RawRow> = rows.to_vec();
    let session = |r: &RawRow| r.session.parse::<u64>().unwrap_or(u64::MAX);
    order.sort_by(|a, b| {
        (session(a), &*a.session, a.trial).cmp(&(session(b), &*b.session, b.trial))
    });
    let mut pattern = Pattern::default();
    for r in order {
        pattern.add(
            condition_of(r),
            original_name(&r.imagename),
            r.object_response == Some(r.category),
        );
    }
    pattern
}

/// The agreement in every condition both observers saw (at least one shared trial), by
/// condition. An image shown to an observer more than once in a condition is matched showing
/// by showing (first with first, second with second); showings without a partner are left out.
pub fn per_condition<'a>(a: &'a Pattern, b: &Pattern) -> Vec<(&'a str, ConditionConsistency)> {
    let mut out = Vec::new();
    for (condition, images_a) in &a.conditions {
        let Some(images_b) = b.conditions.get(condition) else {
            continue;
        };
        let (mut n, mut same, mut right_a, mut right_b) = (0usize, 0usize, 0usize, 0usize);
        for (image, shown_a) in images_a {
            let Some(shown_b) = images_b.get(image) else {
                continue;
            };
            for (&ca, &cb) in shown_a.iter().zip(shown_b) {
                n += 1;
                same += usize::from(ca == cb);
                right_a += usize::from(ca);
                right_b += usize::from(cb);
            }
        }
        if n == 0 {
            continue;
        }
        let nf = n as f64;
        let (p1, p2) = (right_a as f64 / nf, right_b as f64 / nf);
        let observed = same as f64 / nf;
        let expected = p1 * p2 + (1.0 - p1) * (1.0 - p2);
        let kappa = if same == n {
            1.0
        } else {
            (observed - expected) / (1.0 - expected)
        };
        out.push((
            condition.as_str(),
            ConditionConsistency {
                trials: n,
                observed,
                expected,
                kappa,
            },
        ));
    }
    out
}

/// The error consistency of two observers: the mean over the conditions where they share at
/// least `min_trials` trials; `None` when they share no trial at all.
pub fn error_consistency(a: &Pattern, b: &Pattern, min_trials: usize) -> Option<Consistency> {
    let conditions = per_condition(a, b);
    if conditions.is_empty() {
        return None;
    }
    let trials = conditions.iter().map(|(_, c)| c.trials).sum();
    let counted: Vec<&ConditionConsistency> = conditions
        .iter()
        .map(|(_, c)| c)
        .filter(|c| c.trials >= min_trials.max(1))
        .collect();
    let mean = |value: fn(&ConditionConsistency) -> f64| {
        (!counted.is_empty())
            .then(|| counted.iter().map(|c| value(c)).sum::<f64>() / counted.len() as f64)
    };
    Some(Consistency {
        trials,
        conditions: counted.len(),
        short_conditions: conditions.len() - counted.len(),
        observed: mean(|c| c.observed),
        expected: mean(|c| c.expected),
        kappa: mean(|c| c.kappa),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn pattern(correct: &[bool]) -> Pattern {
        let mut p = Pattern::default();
        for (i, &c) in correct.iter().enumerate() {
            p.add("0", &format!("img{i}.png"), c);
        }
        p
    }

    #[test]
    fn an_observer_agrees_perfectly_with_itself() {
        let mut rng = Rng::new(1);
        let a: Vec<bool> = (0..1000).map(|_| rng.next_f64() < 0.6).collect();
        let c = error_consistency(&pattern(&a), &pattern(&a), 10).expect("shared trials");
        assert_eq!(c.observed, Some(1.0));
        assert_eq!(c.kappa, Some(1.0));
    }

    #[test]
    fn independent_errors_give_kappa_near_zero() {
        let mut rng = Rng::new(2);
        let a: Vec<bool> = (0..20000).map(|_| rng.next_f64() < 0.7).collect();
        let b: Vec<bool> = (0..20000).map(|_| rng.next_f64() < 0.5).collect();
        let c = error_consistency(&pattern(&a), &pattern(&b), 10).expect("shared trials");
        let expected = c.expected.expect("defined");
        assert!((expected - (0.7 * 0.5 + 0.3 * 0.5)).abs() < 0.01);
        assert!(c.kappa.expect("defined").abs() < 0.03, "{c:?}");
    }

    #[test]
    fn opposite_errors_give_negative_kappa_and_unmatched_trials_are_ignored() {
        let a = pattern(&[true, false, true, false]);
        let b = pattern(&[false, true, false, true]);
        let c = error_consistency(&a, &b, 1).expect("shared");
        assert_eq!(c.kappa, Some(-1.0));
        let mut other = Pattern::default();
        other.add("1", "img0.png", true);
        assert_eq!(error_consistency(&a, &other, 1), None);
    }

    #[test]
    fn kappa_is_averaged_over_conditions_not_pooled() {
        // Condition a: both observers right on 8 of 10, errors on the same 2 trials (kappa 1).
        // Condition b: opposite patterns (kappa -1). The mean is 0; pooling would not give 0.
        let (mut x, mut y) = (Pattern::default(), Pattern::default());
        for i in 0..10 {
            x.add("a", &format!("i{i}"), i >= 2);
            y.add("a", &format!("i{i}"), i >= 2);
            x.add("b", &format!("i{i}"), i % 2 == 0);
            y.add("b", &format!("i{i}"), i % 2 == 1);
        }
        let c = error_consistency(&x, &y, 10).expect("shared");
        assert_eq!((c.conditions, c.trials), (2, 20));
        assert!(c.kappa.expect("defined").abs() < 1e-12, "{c:?}");
        assert_eq!(c.observed, Some(0.5));
    }

    #[test]
    fn too_few_shared_trials_give_no_number() {
        let c = error_consistency(&pattern(&[true]), &pattern(&[false]), 10).expect("shared");
        assert_eq!((c.kappa, c.observed, c.short_conditions), (None, None, 1));
        assert_eq!(
            c.missing_reason(10).as_deref(),
            Some("too few shared trials (1 in 1 conditions; 10 per condition needed)")
        );
    }

    #[test]
    fn repeated_images_are_matched_showing_by_showing() {
        let (mut x, mut y) = (Pattern::default(), Pattern::default());
        x.add("0", "cat1.png", true);
        x.add("0", "cat1.png", false);
        y.add("0", "cat1.png", true);
        y.add("0", "cat1.png", false);
        y.add("0", "cat1.png", false);
        let c = per_condition(&x, &y);
        assert_eq!(c[0].1.trials, 2);
        assert_eq!(c[0].1.kappa, 1.0);
    }
}
