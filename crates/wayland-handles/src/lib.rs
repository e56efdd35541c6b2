//! A window's own Wayland objects for presentation feedback on its toolkit's connection.
//! This crate holds shapelab's only `unsafe` code (shapelab itself is
//! `forbid(unsafe_code)`): raw-window-handle gives the `wl_display` and `wl_surface` as raw
//! pointers, and wayland-backend can only adopt them unsafely. Every block says why it is
//! sound.

use raw_window_handle::{HasDisplayHandle, HasWindowHandle, RawDisplayHandle, RawWindowHandle};
use wayland_backend::client::{Backend, ObjectId};
use wayland_client::protocol::wl_surface::WlSurface;
use wayland_client::{Connection, Proxy};

/// A connection sharing the window's `wl_display`, and the window's surface on it; `None`
/// when the window is not a Wayland window.
///
/// The caller must drop both before the window and its event loop: the connection does not
/// own the display (the toolkit's event loop does), and the surface belongs to the window.
pub fn wayland_surface<W>(window: &W) -> Option<(Connection, WlSurface)>
where
    W: HasDisplayHandle + HasWindowHandle + ?Sized,
{
    let RawDisplayHandle::Wayland(display) = window.display_handle().ok()?.as_raw() else {
        return None;
    };
    let RawWindowHandle::Wayland(surface) = window.window_handle().ok()?.as_raw() else {
        return None;
    };
    // SAFETY: `display` is the live `wl_display` of the window's event loop, which outlives
    // every user of the connection (the caller's contract above), and a foreign display is
    // never disconnected by the backend, so it stays valid as long as the connection is used.
    let backend = unsafe { Backend::from_foreign_display(display.display.as_ptr().cast()) };
    // SAFETY: `surface` is the window's live `wl_surface` proxy on that display (the caller
    // keeps the window alive while it uses the proxy), and from_ptr checks that the proxy's
    // interface is wl_surface.
    let id = unsafe { ObjectId::from_ptr(WlSurface::interface(), surface.surface.as_ptr().cast()) }
        .ok()?;
    let connection = Connection::from_backend(backend);
    let surface = WlSurface::from_id(&connection, id).ok()?;
    Some((connection, surface))
}
