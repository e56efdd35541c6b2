//! The built-in demo stimuli: Navon-style cue-conflict images made by shapelab itself.
//!
//! The global shape is the shape category's name in large letters; the letters are cut out of a
//! texture made of the texture category: its colour and its name repeated in small letters.
//! Every image is 224x224 and the same bytes on every run.

use std::path::Path;

use image::{Rgb, RgbImage};

use super::glyphs;
use crate::categories::{Category, ALL};
use crate::error::{Error, Result};

/// Side of a demo image in pixels.
pub const SIZE: u32 = 224;

/// Cue-conflict images per shape category (plus one whose shape and texture agree).
pub const CONFLICTS_PER_CATEGORY: usize = 2;

/// Background grey outside the letters (close to the paper's mean grey 0.7614).
const BACKGROUND: [u8; 3] = [194, 194, 194];

/// One colour per texture category, in the order of [`ALL`].
const PALETTE: [[u8; 3]; 16] = [
    [70, 130, 200],
    [140, 90, 50],
    [220, 60, 60],
    [60, 160, 90],
    [40, 90, 140],
    [110, 170, 60],
    [200, 40, 120],
    [230, 150, 40],
    [150, 110, 200],
    [90, 90, 90],
    [180, 120, 70],
    [120, 120, 160],
    [60, 60, 180],
    [200, 200, 60],
    [210, 90, 30],
    [30, 150, 150],
];

/// The texture categories of a shape's cue-conflict images: categories 5 and 11 places on,
/// so that every category is a texture as often as it is a shape.
pub fn textures_for(shape: Category) -> [Category; CONFLICTS_PER_CATEGORY] {
    let i = shape.index();
    [ALL[(i + 5) % 16], ALL[(i + 11) % 16]]
}

/// Draws one demo image: `shape`'s name in large letters made of `texture`.
pub fn draw(shape: Category, texture: Category) -> RgbImage {
    let in_shape = word_outline(shape);
    let tint = PALETTE[texture.index()];
    let ink = tint.map(|v| v / 3);
    let small = texture.name();
    let in_small_text = |x: usize, y: usize| {
        // The texture's name repeated in small letters, rows shifted like bricks.
        let (row, gy) = (y / (glyphs::HEIGHT + 2), y % (glyphs::HEIGHT + 2));
        let shifted = x + (row % 2) * 3 * (glyphs::WIDTH + 1);
        let (index, gx) = (shifted / (glyphs::WIDTH + 1), shifted % (glyphs::WIDTH + 1));
        let letters = small.len() + 1; // a space between repeats
        small
            .chars()
            .nth(index % letters)
            .is_some_and(|c| glyphs::is_set(c, gx, gy))
    };
    RgbImage::from_fn(SIZE, SIZE, |x, y| {
        let (x, y) = (x as usize, y as usize);
        if !in_shape(x, y) {
            Rgb(BACKGROUND)
        } else if in_small_text(x, y) {
            Rgb(ink)
        } else {
            Rgb(tint)
        }
    })
}

/// Draws `shape`'s name in large letters of one flat grey `level`, on the demo background:
/// an image with a shape and no texture cue at all (no colour, no small words).
pub fn draw_plain(shape: Category, level: u8) -> RgbImage {
    let in_shape = word_outline(shape);
    RgbImage::from_fn(SIZE, SIZE, |x, y| {
        if in_shape(x as usize, y as usize) {
            Rgb([level; 3])
        } else {
            Rgb(BACKGROUND)
        }
    })
}

/// Whether a pixel lies inside the large letters of `shape`'s name (split over two lines when
/// long), centred in the image.
fn word_outline(shape: Category) -> impl Fn(usize, usize) -> bool {
    let word = shape.name();
    let lines: Vec<&'static str> = if word.len() > 5 {
        let (a, b) = word.split_at(word.len().div_ceil(2));
        vec![a, b]
    } else {
        vec![word]
    };
    let columns = lines.iter().map(|l| l.len()).max().unwrap_or(1);
    // Cells of the large letters: as wide as fits, a little taller than wide.
    let usable = SIZE as usize - 16;
    let cell_w = usable / (columns * (glyphs::WIDTH + 1) - 1);
    let rows = lines.len() * (glyphs::HEIGHT + 2) - 2;
    let cell_h = (cell_w * 3 / 2).min(usable / rows);
    let width = (columns * (glyphs::WIDTH + 1) - 1) * cell_w;
    let height = rows * cell_h;
    let left = (SIZE as usize - width) / 2;
    let top = (SIZE as usize - height) / 2;
    move |x: usize, y: usize| {
        if x < left || y < top || x >= left + width || y >= top + height {
            return false;
        }
        let (cx, cy) = ((x - left) / cell_w, (y - top) / cell_h);
        let (line, gy) = (cy / (glyphs::HEIGHT + 2), cy % (glyphs::HEIGHT + 2));
        let (letter, gx) = (cx / (glyphs::WIDTH + 1), cx % (glyphs::WIDTH + 1));
        lines
            .get(line)
            .and_then(|l| l.chars().nth(letter))
            .is_some_and(|c| glyphs::is_set(c, gx, gy))
    }
}

/// Writes the demo set into `dir` as `<shape>/<shape>N-<texture>M.png`; returns the number of
/// images written.
pub fn write_set(dir: &Path) -> Result<usize> {
    let mut written = 0;
    for shape in ALL {
        let folder = dir.join(shape.name());
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, "create the folder", e))?;
        let mut images: Vec<(String, Category)> = textures_for(shape)
            .iter()
            .enumerate()
            .map(|(k, &texture)| (format!("{shape}{}-{texture}1.png", k + 1), texture))
            .collect();
        images.push((
            format!("{shape}{}-{shape}1.png", CONFLICTS_PER_CATEGORY + 1),
            shape,
        ));
        for (name, texture) in images {
            let path = folder.join(name);
            draw(shape, texture)
                .save_with_format(&path, image::ImageFormat::Png)
                .map_err(|e| Error::in_file(&path, format!("cannot write the image: {e}")))?;
            written += 1;
        }
    }
    Ok(written)
}

/// Whether a missing stimulus folder is the demo set, which shapelab makes on first use.
pub fn is_demo_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "demo")
        && dir
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "stimuli")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_is_a_texture_as_often_as_a_shape() {
        let mut counts = [0; 16];
        for shape in ALL {
            for texture in textures_for(shape) {
                assert_ne!(texture, shape);
                counts[texture.index()] += 1;
            }
        }
        assert!(counts.iter().all(|&c| c == CONFLICTS_PER_CATEGORY));
    }

    #[test]
    fn the_letters_take_the_texture_colour_and_the_rest_stays_background() {
        let image = draw(Category::Cat, Category::Clock);
        let tint = Rgb(PALETTE[Category::Clock.index()]);
        let pixels: Vec<&Rgb<u8>> = image.pixels().collect();
        let tinted = pixels.iter().filter(|p| ***p == tint).count();
        let background = pixels.iter().filter(|p| ***p == Rgb(BACKGROUND)).count();
        assert!(tinted > 2000, "{tinted} tinted pixels");
        assert!(background > 20000, "{background} background pixels");
        assert_eq!(*image.get_pixel(0, 0), Rgb(BACKGROUND));
    }

    #[test]
    fn demo_images_are_the_same_on_every_run() {
        assert_eq!(
            draw(Category::Elephant, Category::Knife),
            draw(Category::Elephant, Category::Knife)
        );
        assert_ne!(
            draw(Category::Elephant, Category::Knife),
            draw(Category::Elephant, Category::Oven)
        );
    }
}
