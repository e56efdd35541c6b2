//! Value types of the config that accept the original file's spellings.

use serde::{Deserialize, Deserializer, Serialize};

/// An on/off switch written as `0`/`1` (as in the original parameters) or `false`/`true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Int(i64),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Bool(b)) => Ok(Flag(b)),
            Ok(Raw::Int(0)) => Ok(Flag(false)),
            Ok(Raw::Int(1)) => Ok(Flag(true)),
            _ => Err(serde::de::Error::custom("expected 0, 1, true or false")),
        }
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
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Grey(f64),
            Rgb([f64; 3]),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Grey(level)) => Ok(Colour::grey(level)),
            Ok(Raw::Rgb(rgb)) => Ok(Colour(rgb)),
            Err(_) => Err(serde::de::Error::custom(
                "expected a grey level from 0 to 1 or a list [r, g, b]",
            )),
        }
    }
}
