//! Holding the X server from a test, as a display that stops taking frames.

/// Another client of the X server that can hold it (GrabServer): the server then serves this
/// client only, so shapelab's frames stop (lavapipe presents through its window's X connection
/// and waits there for the server's replies), while keys this client types with XTEST still
/// reach shapelab's focused window. Released when dropped.
pub struct ServerHolder {
    connection: x11rb::rust_connection::RustConnection,
    root: u32,
}

impl ServerHolder {
    /// Connects to the X server of `display`.
    pub fn connect(display: &str) -> ServerHolder {
        use x11rb::connection::Connection;
        let (connection, screen) = x11rb::connect(Some(display)).expect("an X connection");
        let root = connection.setup().roots[screen].root;
        ServerHolder { connection, root }
    }

    /// Holds the server until dropped.
    pub fn hold(&self) {
        x11rb::protocol::xproto::grab_server(&self.connection).expect("grab sent");
        self.sync();
    }

    /// Presses and releases the key that types `keysym`, as a keyboard would.
    pub fn type_key(&self, keysym: u32) {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, KEY_PRESS_EVENT, KEY_RELEASE_EVENT};
        use x11rb::protocol::xtest::ConnectionExt as _;
        let setup = self.connection.setup();
        let (first, last) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .connection
            .get_keyboard_mapping(first, last - first + 1)
            .expect("request sent")
            .reply()
            .expect("the keyboard map");
        let index = map
            .keysyms
            .iter()
            .position(|&k| k == keysym)
            .expect("a key for the keysym");
        let keycode = first + (index / usize::from(map.keysyms_per_keycode)) as u8;
        for event in [KEY_PRESS_EVENT, KEY_RELEASE_EVENT] {
            self.connection
                .xtest_fake_input(event, keycode, 0, self.root, 0, 0, 0)
                .expect("key sent");
        }
        self.sync();
    }

    /// Waits until the server has done what was asked.
    pub fn sync(&self) {
        use x11rb::protocol::xproto::ConnectionExt;
        self.connection
            .get_input_focus()
            .expect("request sent")
            .reply()
            .expect("the server answers");
    }
}

impl Drop for ServerHolder {
    fn drop(&mut self) {
        use x11rb::connection::Connection;
        let _ = x11rb::protocol::xproto::ungrab_server(&self.connection);
        let _ = self.connection.flush();
    }
}
