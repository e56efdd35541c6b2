//! Value types of the config that accept the original file's spellings.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// An on/off switch written as `0`/`1` (as in the original parameters) or `false`/`true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

// Visitors rather than untagged enums: an error raised while the value itself is read keeps
// the YAML parser's line, so the message names the right key and line.
impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl<'de> Visitor<'de> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0, 1, true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
                match v {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
                match v {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(FlagVisitor)
    }
}

/// A colour on the 0..1 scale: one grey level, or `[r, g, b]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Colour(pub [f64; 3]);

impl Colour {
    /// A grey with the same level in R, G and B.
    pub fn grey(level: f64) -> Colour {
        Colour([level; 3])
    }

    /// Explains what is wrong when a component is outside 0..1.
    pub fn check(&self) -> Result<(), String> {
        match self.0.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            Some(v) => Err(format!(
                "colour components must be between 0 and 1, got {v}"
            )),
            None => Ok(()),
        }
    }

    /// The colour as 8-bit values, rounded to the nearest level.
    pub fn to_rgb8(self) -> [u8; 3] {
        self.0.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColourVisitor;
        impl<'de> Visitor<'de> for ColourVisitor {
            type Value = Colour;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a grey level from 0 to 1 or a list [r, g, b]")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Colour, E> {
                Ok(Colour::grey(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Colour, E> {
                Ok(Colour::grey(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Colour, E> {
                Ok(Colour::grey(v as f64))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Colour, A::Error> {
                let mut rgb = [0.0; 3];
                for (i, slot) in rgb.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(4, &self));
                }
                Ok(Colour(rgb))
            }
        }
        deserializer.deserialize_any(ColourVisitor)
    }
}
