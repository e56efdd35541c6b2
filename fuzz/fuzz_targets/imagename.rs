//! Image names and name parts: parsing never panics, a parsed name prints and parses back the
//! same, the allocation-free texture reader agrees with the last-field rule, and a name part
//! that is accepted can never leave the output folder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shapelab::categories::Category;
use shapelab::names::{
    check_name_part, condition_in_name, original_name, texture_by_last_field,
    texture_by_seventh_field, texture_category, TrialImageName,
};

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(parsed) = TrialImageName::parse(name) {
        assert_eq!(TrialImageName::parse(&parsed.to_string()), Some(parsed));
    }
    let by_rule = texture_by_last_field(name).and_then(|t| t.parse::<Category>().ok());
    assert_eq!(texture_category(name), by_rule, "{name:?}");
    let _ = texture_by_seventh_field(name);
    assert!(name.ends_with(original_name(name)));
    if let Some(condition) = condition_in_name(name) {
        assert!(!condition.contains('_'));
    }
    if check_name_part(name).is_ok() {
        assert!(!name.is_empty() && !name.starts_with('.'));
        assert!(!name.contains(['/', '\\', '_']) && !name.chars().any(char::is_control));
        assert_ne!(name, "..");
    }
});
