//! Trials: durations in frames, the session plan, the response grid and the frame-by-frame
//! timeline. Nothing here touches a GPU, a window or a clock.

pub mod disturbance;
pub mod frames;
pub mod grid;
pub mod plan;
pub mod response;
pub mod score;
pub mod timeline;

pub use disturbance::{Disturbance, Disturbances};
pub use frames::{frames_for, PhaseFrames};
pub use grid::ResponseGrid;
pub use plan::{SessionPlan, Trial};
pub use score::PracticeScore;
pub use timeline::{Event, FrameTick, Input, Phase, Screen, Timeline, TimelineSettings};
