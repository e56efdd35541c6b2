//! The raw-data CSV reader (both its hand-split and its csv-crate paths): any text is either
//! rows or one clear line naming `fuzz.csv` and a line that exists; rows it accepts are
//! written back and read again unchanged.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use shapelab::data::raw::{parse_rows, HEADER};

#[path = "error_line.rs"]
mod error_line;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_rows(Path::new("fuzz.csv"), text) {
        Err(e) => error_line::check(e.message(), "fuzz.csv", text),
        Ok(rows) => {
            // Plain fields survive a write and a read (quoted ones are not written by shapelab);
            // rts are written with six decimals.
            let plain = |s: &str| !s.contains([',', '"', '\n', '\r']) && s.trim() == s;
            let writable: Vec<_> = rows
                .iter()
                .filter(|r| {
                    [&*r.subj, &*r.session, &*r.condition, &r.imagename]
                        .iter()
                        .all(|s| plain(s) && !s.is_empty())
                        && r.rt.is_none_or(|rt| rt.is_finite() && rt.abs() < 1e9)
                })
                .collect();
            let mut again = format!("{HEADER}\n");
            for row in &writable {
                again.push_str(&row.to_line());
            }
            let reread = parse_rows(Path::new("again.csv"), &again)
                .unwrap_or_else(|e| panic!("rows written by shapelab are refused: {e}\n{again}"));
            assert_eq!(reread.len(), writable.len());
            for (a, b) in reread.iter().zip(&writable) {
                assert_eq!(
                    (&a.subj, &a.session, a.trial, a.object_response, a.category),
                    (&b.subj, &b.session, b.trial, b.object_response, b.category)
                );
                assert_eq!((&a.condition, &a.imagename), (&b.condition, &b.imagename));
                match (a.rt, b.rt) {
                    (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-6, "{x} vs {y}"),
                    (x, y) => assert_eq!(x, y),
                }
            }
        }
    }
});
