//! A window's own Wayland objects for presentation feedback on its toolkit's connection.
//! This crate holds shapelab's only `unsafe` code (shapelab itself is
//! `forbid(unsafe_code)`): raw-window-handle gives the `wl_display` and `wl_surface` as raw
//! pointers, and wayland-backend can only adopt them unsafely. Every block says why it is
//! sound. [`wayland_surface`] is a safe function with a precondition the compiler cannot
//! check (kept safe so that shapelab can forbid unsafe code); its documentation states it.

use raw_window_handle::{HasDisplayHandle, HasWindowHandle, RawDisplayHandle, RawWindowHandle};
use wayland_backend::client::{Backend, ObjectId};
use wayland_client::protocol::wl_surface::WlSurface;
use wayland_client::{Connection, Proxy};

/// A connection sharing the window's `wl_display`, and the window's surface on it; or why
/// not (not a Wayland window, or its objects cannot be adopted).
///
/// Precondition: neither may be used after the window or its event loop is gone (dropping
/// them later, or never, is fine): the connection does not own the display (the toolkit's
/// event loop does, and a foreign display is never disconnected by wayland-backend), and the
/// surface belongs to the window.
pub fn wayland_surface<W>(window: &W) -> Result<(Connection, WlSurface), String>
where
    W: HasDisplayHandle + HasWindowHandle + ?Sized,
{
    let display = window.display_handle().map_err(|e| e.to_string())?;
    let RawDisplayHandle::Wayland(display) = display.as_raw() else {
        return Err("not a Wayland window".into());
    };
    let handle = window.window_handle().map_err(|e| e.to_string())?;
    let RawWindowHandle::Wayland(surface) = handle.as_raw() else {
        return Err("not a Wayland window".into());
    };
    // SAFETY: `display` is the live `wl_display` of the window's event loop, which outlives
    // every use of the connection (the precondition above), and a foreign display is never
    // disconnected by the backend, so it stays valid as long as the connection is used.
    let backend = unsafe { Backend::from_foreign_display(display.display.as_ptr().cast()) };
    // SAFETY: `surface` is the window's live `wl_surface` proxy on that display (the caller
    // keeps the window alive while it uses the proxy), and from_ptr checks that the proxy's
    // interface is wl_surface.
    let id = unsafe { ObjectId::from_ptr(WlSurface::interface(), surface.surface.as_ptr().cast()) }
        .map_err(|e| format!("cannot adopt the window's wl_surface: {e}"))?;
    let connection = Connection::from_backend(backend);
    let surface = WlSurface::from_id(&connection, id)
        .map_err(|e| format!("cannot adopt the window's wl_surface: {e}"))?;
    Ok((connection, surface))
}
