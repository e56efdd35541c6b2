//! Presentation: the only code that touches winit, wgpu, egui and rodio. It draws the
//! timeline's screens frame-locked, measures the display's refresh, timestamps input, and
//! plays the feedback beep.

pub mod audio;
pub mod clock;
pub mod controls;
pub mod flip_test;
pub mod frame_loop;
pub mod gpu;
pub mod launcher;
pub mod launcher_window;
pub mod layout;
pub mod preload;
pub mod presented;
pub mod presenter;
pub mod retime;
pub mod scene;
pub mod storage_pause;
pub mod ui;
pub mod watchdog;
pub mod wayland_feedback;
pub mod wayland_times;
pub mod window;
pub mod writer;
pub mod x11_present;
