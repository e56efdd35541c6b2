//! Error consistency (Geirhos et al., NeurIPS 2020): Cohen's kappa between two observers'
//! correct/incorrect patterns on the trials they share, matched by image and condition.

use std::collections::HashMap;

use serde::Serialize;

use crate::data::raw::RawRow;
use crate::names::{condition_in_name, original_name};

/// The agreement of two observers' errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Consistency {
    /// Trials both observers saw.
    pub trials: usize,
    /// Observed consistency: the share of trials both got right or both got wrong.
    pub observed: f64,
    /// Consistency expected from their accuracies alone: p1 p2 + (1 - p1)(1 - p2).
    pub expected: f64,
    /// Cohen's kappa, (observed - expected) / (1 - expected); `None` when expected is 1.
    pub kappa: Option<f64>,
}

/// Each trial's correctness keyed by (condition, original image name). The condition is read
/// from the image name when it has the lab's fields, as some files' `condition` column
/// disagrees with their image names (e.g. `oidv2-resnet101` says 3 for condition-0 images).
pub fn correctness(rows: &[&RawRow]) -> HashMap<(String, String), bool> {
    rows.iter()
        .map(|r| {
            let condition = condition_in_name(&r.imagename).unwrap_or(&r.condition);
            let key = (
                condition.to_string(),
                original_name(&r.imagename).to_string(),
            );
            (key, r.object_response == Some(r.category))
        })
        .collect()
}

/// The error consistency of two observers; `None` when they share no trial.
pub fn error_consistency(
    a: &HashMap<(String, String), bool>,
    b: &HashMap<(String, String), bool>,
) -> Option<Consistency> {
    let (mut n, mut same, mut right_a, mut right_b) = (0usize, 0usize, 0usize, 0usize);
    for (key, &ca) in a {
        if let Some(&cb) = b.get(key) {
            n += 1;
            same += usize::from(ca == cb);
            right_a += usize::from(ca);
            right_b += usize::from(cb);
        }
    }
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let (p1, p2) = (right_a as f64 / nf, right_b as f64 / nf);
    let observed = same as f64 / nf;
    let expected = p1 * p2 + (1.0 - p1) * (1.0 - p2);
    let kappa = (expected < 1.0).then(|| (observed - expected) / (1.0 - expected));
    Some(Consistency {
        trials: n,
        observed,
        expected,
        kappa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn pattern(correct: &[bool]) -> HashMap<(String, String), bool> {
        correct
            .iter()
            .enumerate()
            .map(|(i, &c)| (("0".to_string(), format!("img{i}.png")), c))
            .collect()
    }

    #[test]
    fn an_observer_agrees_perfectly_with_itself() {
        let mut rng = Rng::new(1);
        let a: Vec<bool> = (0..1000).map(|_| rng.next_f64() < 0.6).collect();
        let c = error_consistency(&pattern(&a), &pattern(&a)).expect("shared trials");
        assert_eq!(c.observed, 1.0);
        assert_eq!(c.kappa, Some(1.0));
    }

    #[test]
    fn independent_errors_give_kappa_near_zero() {
        let mut rng = Rng::new(2);
        let a: Vec<bool> = (0..20000).map(|_| rng.next_f64() < 0.7).collect();
        let b: Vec<bool> = (0..20000).map(|_| rng.next_f64() < 0.5).collect();
        let c = error_consistency(&pattern(&a), &pattern(&b)).expect("shared trials");
        assert!((c.expected - (0.7 * 0.5 + 0.3 * 0.5)).abs() < 0.01);
        assert!(c.kappa.expect("defined").abs() < 0.03, "{c:?}");
    }

    #[test]
    fn opposite_errors_give_negative_kappa_and_unmatched_trials_are_ignored() {
        let a = pattern(&[true, false, true, false]);
        let b = pattern(&[false, true, false, true]);
        let c = error_consistency(&a, &b).expect("shared");
        assert_eq!(c.kappa, Some(-1.0));
        let mut other = HashMap::new();
        other.insert(("1".to_string(), "img0.png".to_string()), true);
        assert_eq!(error_consistency(&a, &other), None);
    }
}
