//! Reads a WAV recording (any tool's: arecord, Audacity, a phone app) into one channel of
//! samples on a -1..1 scale.
//!
//! Accepted: PCM integers of 8, 16, 24 or 32 bits and IEEE floats of 32 or 64 bits, plain or
//! in the extensible format, any number of channels. A data chunk whose size runs past the end
//! of the file (a recording stopped without fixing its header) is read up to the last whole
//! sample frame.

use std::path::Path;

use crate::error::{Error, Result};

/// The lowest sample rate that resolves a frame's edges (a 60 Hz frame spans 133 samples).
pub const MIN_RATE: u32 = 8000;

/// One channel of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Samples per second.
    pub rate: u32,
    /// Channels in the file.
    pub channels: u16,
    /// The channel read (0 = the first, the left of a stereo file).
    pub channel: u16,
    /// Its samples, -1..1.
    pub samples: Vec<f32>,
}

/// How the file stores one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    /// Unsigned 8-bit PCM.
    U8,
    /// Signed little-endian PCM of 2, 3 or 4 bytes.
    Int(usize),
    /// IEEE float of 4 bytes.
    F32,
    /// IEEE float of 8 bytes.
    F64,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::U8 => 1,
            Encoding::Int(n) => n,
            Encoding::F32 => 4,
            Encoding::F64 => 8,
        }
    }

    fn sample(self, b: &[u8]) -> f32 {
        match self {
            Encoding::U8 => (f32::from(b[0]) - 128.0) / 128.0,
            Encoding::Int(n) => {
                // Sign-extend from the top byte: shift the little-endian bytes to the top of an i32.
                let mut v: i32 = 0;
                for (i, &byte) in b[..n].iter().enumerate() {
                    v |= i32::from(byte) << (8 * (4 - n + i));
                }
                v as f32 / 2_147_483_648.0
            }
            Encoding::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Encoding::F64 => {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
        }
    }
}

/// The fmt chunk's facts.
struct Format {
    encoding: Encoding,
    channels: u16,
    rate: u32,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn format(body: &[u8]) -> std::result::Result<Format, String> {
    if body.len() < 16 {
        return Err(format!(
            "its fmt chunk is {} bytes, too short for a WAV format",
            body.len()
        ));
    }
    let mut tag = u16_at(body, 0);
    let channels = u16_at(body, 2);
    let rate = u32_at(body, 4);
    let block = usize::from(u16_at(body, 12));
    let bits = u16_at(body, 14);
    if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
        if body.len() < 26 {
            return Err("its extensible fmt chunk is too short".into());
        }
        tag = u16_at(body, 24);
    }
    let encoding = match (tag, bits) {
        (1, 8) => Encoding::U8,
        (1, 16) => Encoding::Int(2),
        (1, 24) => Encoding::Int(3),
        (1, 32) => Encoding::Int(4),
        (3, 32) => Encoding::F32,
        (3, 64) => Encoding::F64,
        (1 | 3, _) => {
            return Err(format!(
                "has {bits}-bit samples; shapelab reads 8, 16, 24 or 32-bit integer and 32 or 64-bit float WAV"
            ))
        }
        _ => {
            return Err(format!(
                "is compressed (WAV format {tag}); record uncompressed PCM, e.g. arecord -f S16_LE"
            ))
        }
    };
    if channels == 0 {
        return Err("has 0 channels".into());
    }
    if rate < MIN_RATE {
        return Err(format!(
            "has a sample rate of {rate} Hz; a photodiode recording needs at least {MIN_RATE} Hz (48000 is usual)"
        ));
    }
    if block != usize::from(channels) * encoding.bytes() {
        return Err(format!(
            "its block size {block} does not fit {channels} channels of {bits}-bit samples"
        ));
    }
    Ok(Format {
        encoding,
        channels,
        rate,
    })
}

/// Reads channel `channel` (0-based) of a WAV file; `None` reads the only channel, or of
/// several the one whose signal varies most (where the photodiode is).
pub fn read(path: &Path, channel: Option<u16>) -> Result<Recording> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the recording", e))?;
    parse(&bytes, channel).map_err(|message| Error::in_file(path, message))
}

/// Parses the bytes of a WAV file; the error says what is wrong, without the file's name.
pub fn parse(bytes: &[u8], channel: Option<u16>) -> std::result::Result<Recording, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        let what = if bytes.starts_with(b"RF64") {
            "is an RF64 file (over 4 GB); split the recording or save it as WAV"
        } else {
            "is not a WAV recording (no RIFF/WAVE header)"
        };
        return Err(what.into());
    }
    let mut at = 12;
    let mut found: Option<Format> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4) as usize;
        let start = at + 8;
        let end = start.saturating_add(size);
        if id == b"data" {
            let Some(format) = found else {
                return Err("has its data before its fmt chunk".into());
            };
            // A header never fixed after recording claims more than the file holds: read what is there.
            return samples(&format, &bytes[start..end.min(bytes.len())], channel);
        }
        if end > bytes.len() {
            return Err(format!(
                "its '{}' chunk runs past the end of the file",
                String::from_utf8_lossy(id)
            ));
        }
        if id == b"fmt " {
            found = Some(format(&bytes[start..end])?);
        }
        at = end + (size & 1);
    }
    Err(match found {
        Some(_) => "has no data chunk".into(),
        None => "has no fmt chunk".into(),
    })
}

fn samples(
    format: &Format,
    data: &[u8],
    channel: Option<u16>,
) -> std::result::Result<Recording, String> {
    let width = format.encoding.bytes();
    let frame = width * usize::from(format.channels);
    let frames = data.len() / frame;
    if frames == 0 {
        return Err("holds no samples".into());
    }
    let read_channel = |c: u16| -> Vec<f32> {
        let offset = usize::from(c) * width;
        data.chunks_exact(frame)
            .map(|f| format.encoding.sample(&f[offset..offset + width]))
            .map(|v| if v.is_finite() { v } else { 0.0 })
            .collect()
    };
    let channel = match channel {
        Some(c) if c >= format.channels => {
            let plural = if format.channels == 1 { "" } else { "s" };
            return Err(format!(
                "has {} channel{plural}, so there is no channel {}",
                format.channels,
                c + 1
            ));
        }
        Some(c) => c,
        None => (0..format.channels)
            .map(|c| (c, spread(&read_channel(c))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(c, _)| c),
    };
    Ok(Recording {
        rate: format.rate,
        channels: format.channels,
        channel,
        samples: read_channel(channel),
    })
}

/// The standard deviation of a signal.
fn spread(samples: &[f32]) -> f64 {
    let n = samples.len().max(1) as f64;
    let mean = samples.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    (samples
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A WAV file with one fmt chunk (tag, channels, rate, bits) and the given data bytes.
    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let block = channels * bits / 8;
        let mut out = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn every_sample_format_reads_to_the_same_levels() {
        let levels = [0.0f32, 0.5, -0.5, -1.0];
        let s16: Vec<u8> = [0i16, 16384, -16384, -32768]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let s24: Vec<u8> = [0i32, 0x40_0000, -0x40_0000, -0x80_0000]
            .iter()
            .flat_map(|v| v.to_le_bytes()[..3].to_vec())
            .collect();
        let s32: Vec<u8> = [0i32, 1 << 30, -(1 << 30), i32::MIN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let f32s: Vec<u8> = levels.iter().flat_map(|v| v.to_le_bytes()).collect();
        let f64s: Vec<u8> = levels
            .iter()
            .flat_map(|&v| f64::from(v).to_le_bytes())
            .collect();
        let u8s = [128u8, 192, 64, 0];
        for (bytes, tag, bits) in [
            (wav(1, 1, 48000, 16, &s16), 1, 16),
            (wav(1, 1, 48000, 24, &s24), 1, 24),
            (wav(1, 1, 48000, 32, &s32), 1, 32),
            (wav(3, 1, 48000, 32, &f32s), 3, 32),
            (wav(3, 1, 48000, 64, &f64s), 3, 64),
            (wav(1, 1, 48000, 8, &u8s), 1, 8),
        ] {
            let r = parse(&bytes, None).unwrap_or_else(|e| panic!("{tag}/{bits}: {e}"));
            assert_eq!(r.samples, levels, "{tag}/{bits}");
            assert_eq!((r.rate, r.channels, r.channel), (48000, 1, 0));
        }
    }

    #[test]
    fn a_stereo_file_gives_the_chosen_channel_or_the_one_that_varies() {
        let left = [0.0f32; 6];
        let right = [0.0f32, 0.5, 0.0, -0.5, 0.5, 0.0];
        let data: Vec<u8> = left
            .iter()
            .zip(&right)
            .flat_map(|(l, r)| [*l, *r])
            .flat_map(|v| ((v * 32767.0) as i16).to_le_bytes())
            .collect();
        let bytes = wav(1, 2, 44100, 16, &data);
        let auto = parse(&bytes, None).expect("valid");
        assert_eq!((auto.channels, auto.channel), (2, 1));
        assert!((auto.samples[1] - 0.5).abs() < 1e-4);
        let chosen = parse(&bytes, Some(0)).expect("valid");
        assert_eq!(chosen.samples, left);
        assert_eq!(
            parse(&bytes, Some(2)).expect_err("no third channel"),
            "has 2 channels, so there is no channel 3"
        );
        let mono = wav(1, 1, 44100, 16, &data[..4]);
        assert_eq!(
            parse(&mono, Some(1)).expect_err("no second channel"),
            "has 1 channel, so there is no channel 2"
        );
    }

    #[test]
    fn an_extensible_float_file_and_a_header_never_fixed_are_read() {
        let mut bytes = wav(3, 1, 96000, 32, &0.25f32.to_le_bytes().repeat(3));
        // Extensible: tag 0xFFFE, with the sub-format's first two bytes 3 (float).
        let mut fmt = bytes[20..36].to_vec();
        fmt[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&[0; 6]);
        fmt.extend_from_slice(&3u16.to_le_bytes());
        fmt.extend_from_slice(&[0; 14]);
        let mut extensible = bytes[..12].to_vec();
        extensible.extend_from_slice(b"fmt ");
        extensible.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        extensible.extend_from_slice(&fmt);
        extensible.extend_from_slice(&bytes[36..]);
        assert_eq!(parse(&extensible, None).expect("valid").samples, [0.25; 3]);
        // A data size of 0xFFFFFFFF (streamed), and a half sample frame at the end.
        let at = bytes.len() - 12 - 4;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        bytes.push(7);
        assert_eq!(parse(&bytes, None).expect("valid").samples, [0.25; 3]);
    }

    #[test]
    fn a_bad_file_is_refused_with_what_is_wrong() {
        let data = [0u8; 8];
        let cases: [(Vec<u8>, &str); 8] = [
            (b"hello".to_vec(), "is not a WAV recording (no RIFF/WAVE header)"),
            (
                b"RF64\0\0\0\0WAVE".to_vec(),
                "is an RF64 file (over 4 GB); split the recording or save it as WAV",
            ),
            (
                wav(2, 1, 48000, 4, &data),
                "is compressed (WAV format 2); record uncompressed PCM, e.g. arecord -f S16_LE",
            ),
            (
                wav(1, 1, 48000, 12, &data),
                "has 12-bit samples; shapelab reads 8, 16, 24 or 32-bit integer and 32 or 64-bit float WAV",
            ),
            (
                wav(1, 1, 1000, 16, &data),
                "has a sample rate of 1000 Hz; a photodiode recording needs at least 8000 Hz (48000 is usual)",
            ),
            (wav(1, 0, 48000, 16, &data), "has 0 channels"),
            (wav(1, 1, 48000, 16, &[]), "holds no samples"),
            (wav(1, 1, 48000, 16, &data)[..48].to_vec(), "has no data chunk"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(parse(&bytes, None).expect_err(expected), expected);
        }
        let err = read(Path::new("/nowhere/s.wav"), None).expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("/nowhere/s.wav: cannot read the recording:"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn junk_bytes_give_one_line_and_never_panic(junk in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Err(message) = parse(&junk, None) {
                prop_assert!(!message.contains('\n'));
                let error = Error::in_file(Path::new("junk.wav"), message);
                prop_assert!(error.to_string().starts_with("junk.wav: "));
            }
        }

        #[test]
        fn a_damaged_header_gives_one_line_and_never_panics(
            at in 0usize..60,
            byte in any::<u8>(),
            cut in 0usize..80,
            channel in proptest::option::of(0u16..4),
        ) {
            let mut bytes = wav(1, 2, 48000, 16, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
            if at < bytes.len() {
                bytes[at] = byte;
            }
            bytes.truncate(bytes.len().min(cut.max(1)));
            match parse(&bytes, channel) {
                Ok(r) => prop_assert!(r.samples.iter().all(|v| v.is_finite())),
                Err(message) => prop_assert!(!message.contains('\n')),
            }
        }
    }
}
