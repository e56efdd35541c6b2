//! The participant's display: the only code that touches winit, wgpu, egui and rodio during a
//! session. The window thread timestamps input, the GPU surface draws the timeline's screens
//! frame-locked and presents them, and the feedback beep plays. When frames were presented is
//! [`crate::timing`]'s job.

pub mod audio;
pub mod gpu;
pub mod input;
pub mod layout;
pub mod scene;
pub mod screens;
pub mod surface;
pub mod watchdog;
pub mod window;
