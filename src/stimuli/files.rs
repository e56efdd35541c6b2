//! What each entry of a stimulus folder is to the set: a PNG it shows, or something named in
//! the report (an image in a format shapelab does not read, a folder it does not look in, a
//! system file), so that the number of trials is the number of images the lab put there.

use std::path::{Path, PathBuf};

/// Names of files that operating systems write into folders, ignored with a note.
const SYSTEM_FILES: [&str; 3] = ["Thumbs.db", "desktop.ini", "ehthumbs.db"];

/// What a file in a stimulus folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.png` file: a stimulus.
    Png,
    /// An image in a format shapelab does not read, e.g. `JPEG`.
    OtherImage(&'static str),
    /// A file an operating system writes (`.DS_Store`, `Thumbs.db`, any hidden file).
    System,
    /// Anything else (a text file, a file without an extension).
    Other,
}

/// The kind of the file at `path`, by its name.
pub fn kind(path: &Path) -> FileKind {
    let name = file_name(path);
    if name.starts_with('.') || SYSTEM_FILES.iter().any(|s| name.eq_ignore_ascii_case(s)) {
        return FileKind::System;
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => FileKind::Png,
        Some("jpg" | "jpeg" | "jpe" | "jfif") => FileKind::OtherImage("JPEG"),
        Some("gif") => FileKind::OtherImage("GIF"),
        Some("bmp") => FileKind::OtherImage("BMP"),
        Some("tif" | "tiff") => FileKind::OtherImage("TIFF"),
        Some("webp") => FileKind::OtherImage("WebP"),
        Some("heic" | "heif" | "avif") => FileKind::OtherImage("HEIF/AVIF"),
        Some("ppm" | "pgm" | "pbm" | "pnm") => FileKind::OtherImage("PNM"),
        Some("svg" | "svgz") => FileKind::OtherImage("SVG"),
        Some("jxl") => FileKind::OtherImage("JPEG XL"),
        Some("ico") => FileKind::OtherImage("ICO"),
        Some("tga") => FileKind::OtherImage("TGA"),
        Some("exr") => FileKind::OtherImage("OpenEXR"),
        Some("psd") => FileKind::OtherImage("Photoshop"),
        _ => FileKind::Other,
    }
}

/// The file name of `path` as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a folder's scan found besides its stimuli: problems that stop a session, and notes
/// that name what is left out.
#[derive(Debug, Default)]
pub struct Findings {
    /// One line per problem, each naming its file.
    pub problems: Vec<String>,
    /// One line per entry left out on purpose, each naming its file.
    pub notes: Vec<String>,
}

impl Findings {
    /// Names a hidden folder (`.git`, `.thumbnails`) as ignored, and says whether `dir` is one.
    pub fn ignores_hidden_folder(&mut self, dir: &Path) -> bool {
        let hidden = file_name(dir).starts_with('.');
        if hidden {
            self.notes
                .push(format!("{}: ignored (a hidden folder)", dir.display()));
        }
        hidden
    }

    /// The PNG files among a folder's `entries` that are files; every other file is named, and
    /// every folder is a problem when `folders_here` says why none belong there.
    pub fn png_files(&mut self, entries: &[PathBuf], folders_here: Option<&str>) -> Vec<PathBuf> {
        let mut pngs = Vec::new();
        for path in entries {
            if path.is_dir() {
                if let Some(why) = folders_here {
                    if !self.ignores_hidden_folder(path) {
                        self.problems.push(format!(
                            "{}: a folder {why}; shapelab does not look inside it, so its \
                             images would not be shown",
                            path.display()
                        ));
                    }
                }
                continue;
            }
            match kind(path) {
                FileKind::Png => pngs.push(path.clone()),
                FileKind::OtherImage(format) => self.problems.push(format!(
                    "{}: a {format} image; shapelab reads PNG only: convert it to PNG or move it \
                     out of the stimulus folder",
                    path.display()
                )),
                FileKind::System => self
                    .notes
                    .push(format!("{}: ignored (a system file)", path.display())),
                FileKind::Other => match image_format_of(path) {
                    Some(format) => self.problems.push(format!(
                        "{}: a {format} image without a .png name; name it .png (converted to \
                         PNG if it is not one) or move it out of the stimulus folder",
                        path.display()
                    )),
                    None => self
                        .notes
                        .push(format!("{}: left out (not a .png image)", path.display())),
                },
            }
        }
        pngs
    }
}

/// The image format of a file whose name does not say it is an image, from its first bytes.
fn image_format_of(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .ok()?;
    image::guess_format(&head)
        .ok()
        .map(|format| format!("{format:?}").to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_name() {
        for (name, expected) in [
            ("bird1.png", FileKind::Png),
            ("bird1.PNG", FileKind::Png),
            ("cat9-dog1.jpg", FileKind::OtherImage("JPEG")),
            ("cat9-dog1.JPEG", FileKind::OtherImage("JPEG")),
            ("cat.tiff", FileKind::OtherImage("TIFF")),
            (".DS_Store", FileKind::System),
            ("._bird1.png", FileKind::System),
            ("thumbs.db", FileKind::System),
            ("notes.txt", FileKind::Other),
            ("bird1", FileKind::Other),
        ] {
            assert_eq!(kind(Path::new(name)), expected, "{name}");
        }
    }

    #[test]
    fn an_image_whose_name_hides_it_is_a_problem_and_a_text_file_a_note() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hidden = dir.path().join("bird1");
        image::RgbImage::new(4, 4)
            .save_with_format(&hidden, image::ImageFormat::Png)
            .expect("png");
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "bird1 is the first").expect("written");
        let mut found = Findings::default();
        assert!(found
            .png_files(&[hidden.clone(), text.clone()], None)
            .is_empty());
        assert_eq!(
            found.problems,
            [format!(
                "{}: a PNG image without a .png name; name it .png (converted to PNG if it is \
                 not one) or move it out of the stimulus folder",
                hidden.display()
            )]
        );
        assert_eq!(
            found.notes,
            [format!("{}: left out (not a .png image)", text.display())]
        );
    }
}
