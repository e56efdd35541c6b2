//! A subject's session plan: which stimulus each trial shows, in which order, with which mask.

use serde::Serialize;

use crate::config::TrialOrder;
use crate::rng::{derive_seed, seed_from, Rng};
use crate::stimuli::{Stimulus, StimulusSet};

/// One planned trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// 1-based trial number, as written in the data.
    pub number: usize,
    /// The stimulus shown.
    pub stimulus: Stimulus,
    /// Seed of this trial's mask, so the mask can be regenerated.
    pub mask_seed: u64,
}

/// The trials of a session in presentation order, and the seed that fixed that order.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    /// The trials in order.
    pub trials: Vec<Trial>,
    /// The seed of the order and of the masks.
    pub seed: u64,
    /// Trials between breaks.
    pub block_size: usize,
}

/// What fixes a plan: who, which session, which order, how many trials.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRequest<'a> {
    /// Experiment name.
    pub experiment: &'a str,
    /// Subject code.
    pub subject: &'a str,
    /// Session number.
    pub session: u32,
    /// The configured order.
    pub order: TrialOrder,
    /// Trials between breaks.
    pub block_size: usize,
    /// Only the first `limit` trials (for piloting).
    pub limit: Option<usize>,
}

impl SessionPlan {
    /// The seed used for a subject's session: the same inputs always give the same seed.
    pub fn seed_for(experiment: &str, subject: &str, session: u32) -> u64 {
        seed_from(&[experiment, subject, &session.to_string()])
    }

    /// Plans a session over a stimulus set.
    pub fn new(set: &StimulusSet, request: &PlanRequest<'_>) -> SessionPlan {
        let seed = SessionPlan::seed_for(request.experiment, request.subject, request.session);
        let mut stimuli = set.stimuli.clone();
        // A pre-ordered set carries its order in its names; shuffling it would undo the design.
        if request.order == TrialOrder::Random && !set.layout.is_pre_ordered() {
            Rng::new(seed).shuffle(&mut stimuli);
        }
        if let Some(limit) = request.limit {
            stimuli.truncate(limit);
        }
        let trials = stimuli
            .into_iter()
            .enumerate()
            .map(|(i, stimulus)| Trial {
                number: i + 1,
                stimulus,
                mask_seed: derive_seed(seed, i as u64 + 1),
            })
            .collect();
        SessionPlan {
            trials,
            seed,
            block_size: request.block_size,
        }
    }

    /// Number of blocks (the last one may be shorter).
    pub fn blocks(&self) -> usize {
        self.trials.len().div_ceil(self.block_size)
    }
}
