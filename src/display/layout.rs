//! Where things go on the screen, in physical pixels; pure arithmetic, tested without a GPU.

use crate::config::{Config, Corner};
use crate::trials::ResponseGrid;

/// An axis-aligned rectangle in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    /// Left edge.
    pub left: i32,
    /// Top edge.
    pub top: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl PixelRect {
    /// A `width` x `height` rectangle centred on a screen (rounded towards the top left).
    pub fn centred(screen: (u32, u32), width: u32, height: u32) -> PixelRect {
        PixelRect {
            left: (screen.0 as i32 - width as i32).div_euclid(2),
            top: (screen.1 as i32 - height as i32).div_euclid(2),
            width,
            height,
        }
    }
}

/// The layout of every screen of a session on one display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Screen size in physical pixels.
    pub screen: (u32, u32),
    /// The stimulus, drawn 1:1.
    pub stimulus: PixelRect,
    /// The mask, drawn 1:1.
    pub mask: PixelRect,
    /// The four sides of the fixation square outline.
    pub fixation: [PixelRect; 4],
    /// The response boxes.
    pub grid: ResponseGrid,
    /// The words of the text screens.
    pub texts: crate::config::texts::Texts,
    /// A practice run: its start and end screens say so (`texts.practice_start`,
    /// `texts.practice_end`).
    pub practice: bool,
    /// The photodiode patch in its corner, when configured (never larger than the screen).
    pub photodiode: Option<PixelRect>,
}

impl PixelRect {
    /// A square of side `size` in a corner of a screen (shrunk to fit a smaller screen).
    pub fn in_corner(screen: (u32, u32), corner: Corner, size: u32) -> PixelRect {
        let side = size.min(screen.0).min(screen.1);
        let right = (screen.0 - side) as i32;
        let bottom = (screen.1 - side) as i32;
        let (left, top) = match corner {
            Corner::TopLeft => (0, 0),
            Corner::TopRight => (right, 0),
            Corner::BottomLeft => (0, bottom),
            Corner::BottomRight => (right, bottom),
        };
        PixelRect {
            left,
            top,
            width: side,
            height: side,
        }
    }
}

impl Layout {
    /// Lays out the screens of `config` on a `width` x `height` display.
    pub fn new(
        config: &Config,
        order: &[crate::categories::Category; 16],
        width: u32,
        height: u32,
    ) -> Layout {
        let screen = (width, height);
        let side = config.fixation_size;
        let line = config.fixation_line_width.min(side.div_ceil(2)).max(1);
        let outer = PixelRect::centred(screen, side, side);
        let fixation = [
            PixelRect {
                height: line,
                ..outer
            },
            PixelRect {
                top: outer.top + (side - line) as i32,
                height: line,
                ..outer
            },
            PixelRect {
                width: line,
                ..outer
            },
            PixelRect {
                left: outer.left + (side - line) as i32,
                width: line,
                ..outer
            },
        ];
        Layout {
            screen,
            stimulus: PixelRect::centred(screen, config.surround_size, config.surround_size),
            mask: PixelRect::centred(screen, config.mask.size, config.mask.size),
            fixation,
            grid: ResponseGrid::new(order, width, height, config.box_size, config.object_gap),
            texts: config.texts.clone(),
            practice: false,
            photodiode: config
                .photodiode
                .map(|p| PixelRect::in_corner(screen, p.corner, p.size)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Experiment;

    fn layout(width: u32, height: u32) -> Layout {
        let e = Experiment::parse(std::path::Path::new("x.yaml"), "fixation_line_width: 2\n")
            .expect("valid");
        Layout::new(&e.config, &e.response_order, width, height)
    }

    #[test]
    fn the_stimulus_is_centred_at_whole_pixels() {
        let l = layout(1920, 1080);
        assert_eq!(
            l.stimulus,
            PixelRect {
                left: 848,
                top: 428,
                width: 224,
                height: 224
            }
        );
        let odd = layout(1025, 769);
        assert_eq!((odd.stimulus.left, odd.stimulus.top), (400, 272));
    }

    #[test]
    fn the_photodiode_patch_sits_in_its_corner_flush_with_the_edges() {
        assert_eq!(layout(1920, 1080).photodiode, None);
        let e = Experiment::parse(
            std::path::Path::new("x.yaml"),
            "photodiode: {corner: bottom-right, size: 50}\n",
        )
        .expect("valid");
        let patch = |w, h| {
            Layout::new(&e.config, &e.response_order, w, h)
                .photodiode
                .expect("configured")
        };
        assert_eq!(
            patch(1920, 1080),
            PixelRect {
                left: 1870,
                top: 1030,
                width: 50,
                height: 50
            }
        );
        let corners = [
            (Corner::TopLeft, (0, 0)),
            (Corner::TopRight, (1870, 0)),
            (Corner::BottomLeft, (0, 1030)),
        ];
        for (corner, at) in corners {
            let rect = PixelRect::in_corner((1920, 1080), corner, 50);
            assert_eq!((rect.left, rect.top), at, "{corner:?}");
        }
        // A patch larger than the window is shrunk to fit.
        assert_eq!(
            PixelRect::in_corner((40, 30), Corner::BottomRight, 50).width,
            30
        );
    }

    #[test]
    fn the_fixation_outline_surrounds_the_stimulus() {
        let l = layout(1920, 1080);
        let [top, bottom, left, right] = l.fixation;
        assert_eq!(
            top,
            PixelRect {
                left: 845,
                top: 425,
                width: 230,
                height: 2
            }
        );
        assert_eq!(bottom.top, 425 + 228);
        assert_eq!(
            left,
            PixelRect {
                left: 845,
                top: 425,
                width: 2,
                height: 230
            }
        );
        assert_eq!(right.left, 845 + 228);
    }
}
