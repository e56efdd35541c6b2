//! The lab's naming conventions: safe name parts, per-trial image names and the two rules that
//! read an image's texture category back out of them.

use std::fmt;

use crate::categories::Category;

/// Checks a subject code, experiment name, code or condition that becomes part of file and
/// image names: 1 to 64 characters of letters, digits, `-` and `.`, not starting with `.`.
///
/// `_` is refused because image names are split on it, and `/`, `\` and `..` because names
/// must never lead outside the output directory.
pub fn check_name_part(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > 64 {
        return Err(format!(
            "'{}' is longer than 64 characters",
            value.escape_debug()
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "'{}' contains '{}'; use only the letters a-z and A-Z, digits, '-' and '.' (it \
             becomes part of file names and the lab's image names, which every system and the \
             reference analyses must read alike)",
            value.escape_debug(),
            bad.escape_debug()
        ));
    }
    if value.starts_with('.') {
        return Err(format!(
            "'{}' must not start with '.'",
            value.escape_debug()
        ));
    }
    Ok(())
}

/// The subject field of an image name: `subject-01` becomes `s01`, any other code stays as is.
pub fn short_subject(subject: &str) -> String {
    match subject.strip_prefix("subject-") {
        Some(number) if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) => {
            format!("s{number:0>2}")
        }
        _ => subject.to_string(),
    }
}

/// A per-trial image name, `NNNN_<code>_<sNN>_<condition>_<category>_00_<original>`,
/// e.g. `0001_s5n_s01_0_bird_00_bird3-bird2.png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialImageName {
    /// 1-based trial number.
    pub trial: usize,
    /// Experiment code, e.g. `s5n`.
    pub code: String,
    /// Short subject code, e.g. `s01`, or `dnn` for models.
    pub subject: String,
    /// Condition label.
    pub condition: String,
    /// Shape category name.
    pub category: String,
    /// The two-digit field (always `00` in the lab's files).
    pub extra: String,
    /// Original stimulus file name, e.g. `bird3-bird2.png`.
    pub original: String,
}

impl fmt::Display for TrialImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}_{}_{}_{}_{}_{}_{}",
            self.trial,
            self.code,
            self.subject,
            self.condition,
            self.category,
            self.extra,
            self.original
        )
    }
}

impl TrialImageName {
    /// Parses a name of seven `_`-separated fields whose first is a trial number; the original
    /// name, last, may hold `_` itself (ImageNet's `n02123045_1955.JPEG`).
    pub fn parse(name: &str) -> Option<TrialImageName> {
        let fields: Vec<&str> = name.splitn(7, '_').collect();
        let [trial, code, subject, condition, category, extra, original] = fields.as_slice() else {
            return None;
        };
        Some(TrialImageName {
            trial: trial.parse().ok()?,
            code: code.to_string(),
            subject: subject.to_string(),
            condition: condition.to_string(),
            category: category.to_string(),
            extra: extra.to_string(),
            original: original.to_string(),
        })
    }
}

/// The texture of an original stimulus name by the paper's R rule: the second `-`-separated
/// field of the name without its extension, digits removed (`bird3-clock2.png` gives `clock`,
/// the texture-filled-rotated `airplane1-bicycle2-108.png` gives `bicycle`); `None` when the
/// name has no `-`.
pub fn texture_of_original(original: &str) -> Option<String> {
    let stem = original.rsplit_once('.').map_or(original, |(stem, _)| stem);
    let texture = stem.split('-').nth(1)?;
    Some(texture.chars().filter(|c| !c.is_ascii_digit()).collect())
}

/// The original stimulus name inside a trial image name: everything after the sixth `_`
/// (ImageNet names such as `n03041632_8618.JPEG` contain `_` themselves); the whole name when
/// it has fewer fields.
pub fn original_name(imagename: &str) -> &str {
    imagename.splitn(7, '_').nth(6).unwrap_or(imagename)
}

/// The condition field (the 4th) of a trial image name, when it has the lab's seven fields.
pub fn condition_in_name(imagename: &str) -> Option<&str> {
    let fields: Vec<&str> = imagename.splitn(7, '_').collect();
    (fields.len() == 7).then(|| fields[3])
}

/// The paper's R analysis rule: the texture from the 7th `_`-separated field.
pub fn texture_by_seventh_field(imagename: &str) -> Option<String> {
    texture_of_original(imagename.split('_').nth(6)?)
}

/// model-vs-human's rule: the last `_`-separated field, up to its first `.`, its last
/// `-`-separated field, digits removed (`airplane1-bicycle2-108.png` gives an empty texture);
/// `None` when that field has no `-`.
pub fn texture_by_last_field(imagename: &str) -> Option<String> {
    let last = imagename.rsplit('_').next()?;
    let stem = last.split('.').next()?;
    let (_, texture) = stem.rsplit_once('-')?;
    Some(texture.chars().filter(|c| !c.is_ascii_digit()).collect())
}

/// What the texture field of an image name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texture {
    /// No texture: the name has no `-`, or its texture field is digits only (sketches'
    /// `boat-0068-sketch-23.png`, stylized ImageNet's `bicycle-0011-ILSVRC2012-...`).
    None,
    /// The texture is one of the 16 categories.
    Category(Category),
    /// The name has a texture field that is no category (e.g. `bird3-zebra2.png`).
    Unreadable,
}

/// The texture of a trial image name by the paper's R rule ([`texture_of_original`] on the
/// last `_`-separated field), without allocating.
pub fn read_texture(imagename: &str) -> Texture {
    // Byte loops: the names are too short for the string searchers to pay off.
    let name = imagename.as_bytes();
    let last = name
        .iter()
        .rposition(|&b| b == b'_')
        .map_or(name, |i| &name[i + 1..]);
    let stem = last
        .iter()
        .rposition(|&b| b == b'.')
        .map_or(last, |i| &last[..i]);
    let Some(dash) = stem.iter().position(|&b| b == b'-') else {
        return Texture::None;
    };
    let field = &stem[dash + 1..];
    let field = field
        .iter()
        .position(|&b| b == b'-')
        .map_or(field, |end| &field[..end]);
    // Category names are short: a texture longer than this is none of them.
    let mut letters = [0u8; 16];
    let mut len = 0;
    for &byte in field.iter().filter(|b| !b.is_ascii_digit()) {
        let Some(slot) = letters.get_mut(len) else {
            return Texture::Unreadable;
        };
        *slot = byte;
        len += 1;
    }
    if len == 0 {
        return Texture::None;
    }
    match std::str::from_utf8(&letters[..len]).map(str::parse) {
        Ok(Ok(category)) => Texture::Category(category),
        _ => Texture::Unreadable,
    }
}

/// The texture category of a trial image name by the paper's R rule, when it is one of the 16.
pub fn texture_category(imagename: &str) -> Option<Category> {
    match read_texture(imagename) {
        Texture::Category(category) => Some(category),
        Texture::None | Texture::Unreadable => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_lab_example_round_trips() {
        let name = "0001_s5n_s01_0_bird_00_bird3-bird2.png";
        let parsed = TrialImageName::parse(name).expect("a lab name");
        assert_eq!(parsed.trial, 1);
        assert_eq!(parsed.subject, "s01");
        assert_eq!(parsed.original, "bird3-bird2.png");
        assert_eq!(parsed.to_string(), name);
        assert_eq!(texture_by_seventh_field(name).as_deref(), Some("bird"));
        assert_eq!(texture_by_last_field(name).as_deref(), Some("bird"));
    }

    #[test]
    fn the_original_name_may_contain_underscores() {
        assert_eq!(
            original_name("0001_nse_dnn_0.00_knife_10_n03041632_8618.JPEG"),
            "n03041632_8618.JPEG"
        );
        assert_eq!(
            original_name("0001_s5n_s01_0_bird_00_bird3-bird2.png"),
            "bird3-bird2.png"
        );
        assert_eq!(original_name("bird3.png"), "bird3.png");
    }

    #[test]
    fn a_third_dash_field_is_read_as_the_papers_r_code_reads_it() {
        let name = "0001_tfr_dnn_0_airplane_00_airplane1-bicycle2-108.png";
        assert_eq!(texture_by_seventh_field(name).as_deref(), Some("bicycle"));
        assert_eq!(texture_category(name), Some(Category::Bicycle));
        // model-vs-human's rule takes the last field, which is a number here.
        assert_eq!(texture_by_last_field(name).as_deref(), Some(""));
    }

    #[test]
    fn numbered_names_have_no_texture_and_unknown_textures_are_unreadable() {
        for name in [
            "0001_ske_s01_0_boat_00_boat-0068-sketch-23.png",
            "0001_sty_s01_0_bicycle_00_bicycle-0011-ILSVRC2012-val-00011821.png",
            "0001_nse_s01_0.03_elephant_10_n02504458_7209.png",
            "0001_edg_s01_0_oven_00_oven10.png",
        ] {
            assert_eq!(read_texture(name), Texture::None, "{name}");
        }
        assert_eq!(
            read_texture("0001_s5n_s01_0_bird_00_bird3-zebra2.png"),
            Texture::Unreadable
        );
        assert_eq!(
            read_texture("0001_s5n_s01_0_bird_00_bird3-clock2.png"),
            Texture::Category(Category::Clock)
        );
    }

    #[test]
    fn names_without_a_texture_have_none() {
        assert_eq!(texture_of_original("airplane1.png"), None);
        assert_eq!(texture_by_seventh_field("0001_s5n_s01_0_bird_00"), None);
    }

    #[test]
    fn short_subject_codes_follow_the_lab() {
        assert_eq!(short_subject("subject-01"), "s01");
        assert_eq!(short_subject("subject-7"), "s07");
        assert_eq!(short_subject("pilot-a"), "pilot-a");
    }

    #[test]
    fn unsafe_name_parts_are_refused() {
        for bad in ["", "a/b", "..", ".hidden", "a_b", "a\nb", "a\\b", "x y"] {
            assert!(check_name_part(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["subject-01", "s5n", "0", "v1.2"] {
            assert!(check_name_part(good).is_ok(), "{good:?} was refused");
        }
    }

    proptest! {
        #[test]
        fn any_written_name_parses_back_with_both_texture_rules_agreeing(
            trial in 1usize..10000,
            subject in "[a-z0-9-]{1,12}",
            shape in "[a-z]{2,9}",
            texture in "[a-z]{2,9}",
            k in 1u32..20,
            m in 1u32..20,
        ) {
            let name = TrialImageName {
                trial,
                code: "s5n".into(),
                subject: short_subject(&subject),
                condition: "0".into(),
                category: shape.clone(),
                extra: "00".into(),
                original: format!("{shape}{k}-{texture}{m}.png"),
            };
            let text = name.to_string();
            prop_assert_eq!(TrialImageName::parse(&text), Some(name));
            prop_assert_eq!(texture_by_seventh_field(&text), Some(texture.clone()));
            prop_assert_eq!(texture_by_last_field(&text), Some(texture));
        }

        #[test]
        fn parsers_never_panic(text in ".{0,80}") {
            let _ = TrialImageName::parse(&text);
            let _ = texture_by_seventh_field(&text);
            let _ = texture_by_last_field(&text);
            let _ = check_name_part(&text);
            let _ = texture_category(&text);
        }

        #[test]
        fn the_texture_category_is_the_r_rules_texture_when_it_is_a_category(
            prefix in "[a-z0-9_]{0,20}",
            texture in prop::sample::select(vec!["cat", "elephant", "car", "zebra", "", "c-at"]),
            digits in "[0-9]{0,3}",
            rest in "(\\.png|\\.JPEG|-108\\.png|)",
        ) {
            let name = format!("{prefix}_cat1-{texture}{digits}{rest}");
            let slow = texture_of_original(name.rsplit('_').next().unwrap_or(&name));
            prop_assert_eq!(texture_category(&name), slow.as_deref().and_then(|t| t.parse::<Category>().ok()));
            let unreadable = slow.as_deref().is_some_and(|t| !t.is_empty() && t.parse::<Category>().is_err());
            prop_assert_eq!(read_texture(&name) == Texture::Unreadable, unreadable);
        }

        #[test]
        fn the_texture_category_agrees_with_the_r_rule_on_any_text(text in ".{0,40}") {
            let slow = texture_of_original(text.rsplit('_').next().unwrap_or(&text))
                .and_then(|t| t.parse::<Category>().ok());
            prop_assert_eq!(texture_category(&text), slow);
        }
    }
}
