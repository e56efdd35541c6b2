//! Shape bias: among cue-conflict trials (shape != texture), the share of shape decisions among
//! shape and texture decisions; decisions matching neither are counted apart.

use serde::Serialize;

use crate::data::raw::RawRow;
use crate::names::texture_category;

/// How one cue-conflict decision went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decisions {
    /// The shape category was chosen.
    Shape,
    /// The texture category was chosen.
    Texture,
    /// Another category, or no answer.
    Other,
}

/// Counts of decisions over cue-conflict trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ShapeBias {
    /// Cue-conflict trials seen.
    pub conflict_trials: usize,
    /// Shape decisions.
    pub shape: usize,
    /// Texture decisions.
    pub texture: usize,
    /// Other decisions (including no answer).
    pub other: usize,
}

impl ShapeBias {
    /// Classifies one row: `None` when it is not a cue-conflict trial.
    pub fn decision(row: &RawRow) -> Option<Decisions> {
        let texture = texture_category(&row.imagename)?;
        if texture == row.category {
            return None;
        }
        Some(match row.object_response {
            Some(r) if r == row.category => Decisions::Shape,
            Some(r) if r == texture => Decisions::Texture,
            _ => Decisions::Other,
        })
    }

    /// Counts the decisions of all rows.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a RawRow>) -> ShapeBias {
        let mut bias = ShapeBias::default();
        for row in rows {
            bias.add(ShapeBias::decision(row));
        }
        bias
    }

    /// Adds one classified row.
    pub fn add(&mut self, decision: Option<Decisions>) {
        let Some(decision) = decision else {
            return;
        };
        self.conflict_trials += 1;
        match decision {
            Decisions::Shape => self.shape += 1,
            Decisions::Texture => self.texture += 1,
            Decisions::Other => self.other += 1,
        }
    }

    /// shape / (shape + texture), `None` without shape or texture decisions.
    pub fn value(&self) -> Option<f64> {
        let both = self.shape + self.texture;
        (both > 0).then(|| self.shape as f64 / both as f64)
    }
}

/// The share of rows whose response equals the shape category (`None` for no rows).
pub fn accuracy<'a>(rows: impl IntoIterator<Item = &'a RawRow>) -> Option<f64> {
    let (mut n, mut correct) = (0usize, 0usize);
    for row in rows {
        n += 1;
        correct += usize::from(row.object_response == Some(row.category));
    }
    (n > 0).then(|| correct as f64 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Category::{self, *};

    fn row(shape: Category, texture: &str, response: Option<Category>) -> RawRow {
        RawRow {
            subj: "s".into(),
            session: "1".into(),
            trial: 1,
            rt: None,
            object_response: response,
            category: shape,
            condition: "0".into(),
            imagename: format!("0001_x_s01_0_{shape}_00_{shape}1-{texture}2.png"),
        }
    }

    #[test]
    fn shape_bias_counts_conflict_trials_only() {
        let rows = vec![
            row(Bird, "clock", Some(Bird)),
            row(Bird, "clock", Some(Clock)),
            row(Bird, "clock", Some(Clock)),
            row(Bird, "clock", Some(Dog)),
            row(Bird, "clock", None),
            row(Bird, "bird", Some(Bird)), // not a conflict
        ];
        let bias = ShapeBias::from_rows(&rows);
        assert_eq!(
            (bias.conflict_trials, bias.shape, bias.texture, bias.other),
            (5, 1, 2, 2)
        );
        assert_eq!(bias.value(), Some(1.0 / 3.0));
        assert_eq!(accuracy(&rows), Some(2.0 / 6.0));
        assert_eq!(ShapeBias::default().value(), None);
    }
}
