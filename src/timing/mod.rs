//! Frame timing: the display's refresh measured and judged, the sync watch and the pacer, the
//! session's log of flips, and when each frame reached the screen as the display server
//! reports it (X11 Present, Wayland presentation feedback).

pub mod flips;
pub mod retime;
pub mod server_times;
pub mod wayland_feedback;
pub mod wayland_times;
pub mod x11_present;
