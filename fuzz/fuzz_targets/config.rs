//! The experiment config parser: any text is either a config or one clear line naming
//! `fuzz.yaml` and a line that exists.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use shapelab::config::Experiment;

#[path = "error_line.rs"]
mod error_line;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Experiment::parse(Path::new("fuzz.yaml"), text) {
        error_line::check(e.message(), "fuzz.yaml", text);
    }
});
