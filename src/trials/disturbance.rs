//! What can disturb a trial besides a late frame: the window losing focus or being hidden, the
//! surface being lost, the session pausing. The frame loop reports them as inputs; the timeline
//! marks the trial that was on screen, and the timing log names them.

/// One cause of disturbed timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disturbance {
    /// The window did not have the keyboard focus (another window may have covered it).
    Unfocused,
    /// The window was minimised or fully covered: frames were not shown.
    Occluded,
    /// The window's surface was lost and recreated.
    SurfaceLost,
    /// The window's surface was outdated or suboptimal and reconfigured.
    SurfaceReconfigured,
    /// The display did not hand out a frame in time.
    FrameTimeout,
    /// The experimenter was asked whether to end the session; the trial waited.
    AbortPrompt,
    /// Data could not be saved; the session waited until it could.
    StoragePause,
    /// The fixation was held until the stimulus was uploaded and earlier rows were on disk.
    FixationHeld,
    /// Frames came faster than the display refreshes: vertical sync was lost.
    SyncLost,
}

impl Disturbance {
    /// Every disturbance, in the order the timing log lists them.
    pub const ALL: [Disturbance; 9] = [
        Disturbance::Unfocused,
        Disturbance::Occluded,
        Disturbance::SurfaceLost,
        Disturbance::SurfaceReconfigured,
        Disturbance::FrameTimeout,
        Disturbance::AbortPrompt,
        Disturbance::StoragePause,
        Disturbance::FixationHeld,
        Disturbance::SyncLost,
    ];

    /// The name in the timing log's `disturbed` column.
    pub fn name(self) -> &'static str {
        match self {
            Disturbance::Unfocused => "window_unfocused",
            Disturbance::Occluded => "window_occluded",
            Disturbance::SurfaceLost => "surface_lost",
            Disturbance::SurfaceReconfigured => "surface_reconfigured",
            Disturbance::FrameTimeout => "frame_timeout",
            Disturbance::AbortPrompt => "abort_prompt",
            Disturbance::StoragePause => "storage_pause",
            Disturbance::FixationHeld => "fixation_held",
            Disturbance::SyncLost => "sync_lost",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The disturbances of one trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disturbances(u16);

impl Disturbances {
    /// Adds a cause.
    pub fn insert(&mut self, cause: Disturbance) {
        self.0 |= cause.bit();
    }

    /// Whether `cause` happened.
    pub fn contains(self, cause: Disturbance) -> bool {
        self.0 & cause.bit() != 0
    }

    /// Whether nothing happened.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The causes, in [`Disturbance::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Disturbance> {
        Disturbance::ALL
            .into_iter()
            .filter(move |d| self.contains(*d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_lists_each_cause_once_in_log_order() {
        let mut set = Disturbances::default();
        assert!(set.is_empty());
        set.insert(Disturbance::StoragePause);
        set.insert(Disturbance::Unfocused);
        set.insert(Disturbance::StoragePause);
        let names: Vec<_> = set.iter().map(Disturbance::name).collect();
        assert_eq!(names, ["window_unfocused", "storage_pause"]);
    }

    #[test]
    fn every_cause_has_its_own_bit() {
        let mut all = Disturbances::default();
        for cause in Disturbance::ALL {
            assert!(!all.contains(cause));
            all.insert(cause);
        }
        assert_eq!(all.iter().count(), Disturbance::ALL.len());
    }
}
