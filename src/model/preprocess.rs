//! Turning a stimulus image into a network's input: optional resize, centre crop, scaling and
//! per-channel normalisation, laid out as NCHW float32.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// How images are prepared for a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// Resize so the shorter side has this many pixels (bilinear) before cropping.
    pub resize: Option<u32>,
    /// Side of the centre crop, the network's input size.
    pub size: u32,
    /// Divide 8-bit values by 255 before normalising (otherwise they stay 0..255).
    pub unit_scale: bool,
    /// Per-channel mean subtracted (on the scale above), RGB.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by, RGB.
    pub std: [f32; 3],
    /// Whether the network outputs logits (softmax applied) rather than probabilities;
    /// `None` decides from the output values.
    pub logits: Option<bool>,
}

impl Preprocess {
    /// torchvision's ImageNet preprocessing as model-vs-human applies it: resize 256 and
    /// centre crop 224 (only for images not already 224 x 224), RGB/255, mean
    /// [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225].
    pub fn imagenet() -> Preprocess {
        Preprocess {
            resize: Some(256),
            size: 224,
            unit_scale: true,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
            logits: None,
        }
    }

    /// Inception-style preprocessing on raw 0..255 values: (x - 127) / 128, no resize.
    pub fn inception() -> Preprocess {
        Preprocess {
            resize: None,
            size: 224,
            unit_scale: false,
            mean: [127.0; 3],
            std: [128.0; 3],
            logits: None,
        }
    }

    /// Parses `imagenet`, `inception`, or an explicit
    /// `size=224,resize=256,scale=unit|raw,mean=a/b/c,std=a/b/c` (any subset, over imagenet).
    pub fn parse(spec: &str) -> std::result::Result<Preprocess, String> {
        match spec {
            "imagenet" => return Ok(Preprocess::imagenet()),
            "inception" => return Ok(Preprocess::inception()),
            _ => {}
        }
        let mut p = Preprocess::imagenet();
        for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                format!("'{part}' is not key=value (see --help for the preprocessing spec)")
            })?;
            let triple = |v: &str| -> std::result::Result<[f32; 3], String> {
                let parts: Vec<f32> = v
                    .split('/')
                    .map(|x| {
                        x.trim()
                            .parse::<f32>()
                            .map_err(|_| format!("{key}: '{x}' is not a number"))
                    })
                    .collect::<std::result::Result<_, _>>()?;
                match parts[..] {
                    [a] => Ok([a; 3]),
                    [a, b, c] => Ok([a, b, c]),
                    _ => Err(format!("{key}: give one value or three separated by '/'")),
                }
            };
            match key {
                "size" => {
                    p.size = value
                        .parse()
                        .map_err(|_| format!("size: '{value}' is not a whole number"))?
                }
                "resize" if value == "none" => p.resize = None,
                "resize" => {
                    p.resize = Some(
                        value
                            .parse()
                            .map_err(|_| format!("resize: '{value}' is not a whole number"))?,
                    )
                }
                "scale" if value == "unit" => p.unit_scale = true,
                "scale" if value == "raw" => p.unit_scale = false,
                "scale" => return Err(format!("scale: '{value}' is neither unit nor raw")),
                "mean" => p.mean = triple(value)?,
                "std" => p.std = triple(value)?,
                _ => {
                    return Err(format!(
                        "unknown preprocessing key '{key}' (size, resize, scale, mean, std)"
                    ))
                }
            }
        }
        if p.std.contains(&0.0) || p.size == 0 {
            return Err("std must not be 0 and size must be positive".into());
        }
        Ok(p)
    }

    /// Reads a JSON sidecar describing the model's input (as `efficientnet-lite0.json`).
    pub fn from_sidecar(path: &Path) -> Result<Preprocess> {
        #[derive(Deserialize)]
        struct Sidecar {
            input: Input,
            output: Option<Output>,
        }
        #[derive(Deserialize)]
        struct Input {
            shape: Option<Vec<serde_json::Value>>,
            value_scaling: Option<String>,
            normalisation: Normalisation,
            resize: Option<String>,
        }
        #[derive(Deserialize)]
        struct Normalisation {
            mean: [f32; 3],
            std: [f32; 3],
        }
        #[derive(Deserialize)]
        struct Output {
            is_logits: Option<bool>,
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "read the model sidecar", e))?;
        let s: Sidecar = serde_json::from_str(&text)
            .map_err(|e| Error::at_line(path, e.line(), format!("not a model sidecar: {e}")))?;
        let size = s
            .input
            .shape
            .as_ref()
            .and_then(|shape| shape.get(3))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(224) as u32;
        let raw = s
            .input
            .value_scaling
            .as_deref()
            .is_some_and(|v| v.starts_with("raw"));
        let resize = s
            .input
            .resize
            .as_deref()
            .and_then(|r| r.split_whitespace().next())
            .and_then(|r| r.parse().ok());
        Ok(Preprocess {
            resize,
            size,
            unit_scale: !raw,
            mean: s.input.normalisation.mean,
            std: s.input.normalisation.std,
            logits: s.output.and_then(|o| o.is_logits),
        })
    }

    /// The network input for one RGB image: 3 x size x size floats, channel by channel.
    pub fn apply(&self, image: &image::RgbImage) -> Vec<f32> {
        let resized;
        let mut source = image;
        // model-vs-human resizes and crops only images that are not at the input size already
        // (its datasets are all 224 x 224): such images go in as they are.
        let at_input_size = image.dimensions() == (self.size, self.size);
        if let Some(short) = self.resize.filter(|_| !at_input_size) {
            let (w, h) = image.dimensions();
            let scale = short as f32 / w.min(h) as f32;
            let (nw, nh) = (
                (w as f32 * scale).round() as u32,
                (h as f32 * scale).round() as u32,
            );
            if (nw, nh) != (w, h) {
                resized =
                    image::imageops::resize(image, nw, nh, image::imageops::FilterType::Triangle);
                source = &resized;
            }
        }
        let (w, h) = source.dimensions();
        let n = self.size as usize;
        let left = (w.saturating_sub(self.size) / 2) as usize;
        let top = (h.saturating_sub(self.size) / 2) as usize;
        let mut out = vec![0.0f32; 3 * n * n];
        let factor = if self.unit_scale { 1.0 / 255.0 } else { 1.0 };
        for y in 0..n.min(h as usize) {
            for x in 0..n.min(w as usize) {
                let p = source.get_pixel((left + x) as u32, (top + y) as u32);
                for c in 0..3 {
                    out[c * n * n + y * n + x] =
                        (f32::from(p[c]) * factor - self.mean[c]) / self.std[c];
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_to_the_presets_and_explicit_values() {
        assert_eq!(Preprocess::parse("inception"), Ok(Preprocess::inception()));
        let p = Preprocess::parse("size=192,resize=none,scale=raw,mean=127,std=128/128/128")
            .expect("valid");
        assert_eq!(
            (p.size, p.resize, p.unit_scale, p.mean, p.std),
            (192, None, false, [127.0; 3], [128.0; 3])
        );
        assert!(Preprocess::parse("colour=blue").is_err());
        assert!(Preprocess::parse("std=0").is_err());
    }

    #[test]
    fn inception_maps_0_and_255_to_about_minus_one_and_one_in_nchw_order() {
        let mut image = image::RgbImage::new(224, 224);
        image.put_pixel(1, 0, image::Rgb([255, 0, 127]));
        let x = Preprocess::inception().apply(&image);
        let plane = 224 * 224;
        assert_eq!(x.len(), 3 * plane);
        assert_eq!(x[1], (255.0 - 127.0) / 128.0);
        assert_eq!(x[plane + 1], -127.0 / 128.0);
        assert_eq!(x[2 * plane + 1], 0.0);
    }

    #[test]
    fn an_image_already_at_the_input_size_is_neither_resized_nor_cropped() {
        let mut image = image::RgbImage::from_pixel(224, 224, image::Rgb([0, 0, 0]));
        image.put_pixel(0, 0, image::Rgb([255, 255, 255]));
        let x = Preprocess::imagenet().apply(&image);
        // The corner pixel stays where it is (a resize to 256 and crop would move and blur it).
        assert!((x[0] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
        assert!((x[1] - (0.0 - 0.485) / 0.229).abs() < 1e-5);
    }

    #[test]
    fn imagenet_resizes_then_crops_the_centre() {
        let image = image::RgbImage::from_pixel(300, 400, image::Rgb([255, 255, 255]));
        let x = Preprocess::imagenet().apply(&image);
        assert_eq!(x.len(), 3 * 224 * 224);
        assert!((x[0] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
    }
}
