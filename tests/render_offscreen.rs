//! Offscreen rendering on the GPU (Mesa lavapipe in CI): frames are read back and compared with
//! the stimulus PNG, the generated mask, the configured layout and the background grey.

mod common;

use std::collections::HashMap;
use std::path::Path;

use shapelab::config::Experiment;
use shapelab::display::gpu::{Gpu, OFFSCREEN_FORMAT};
use shapelab::display::layout::{Layout, PixelRect};
use shapelab::display::scene::{SceneRenderer, SceneSetup};
use shapelab::display::screens::Overlay;
use shapelab::stimuli::mask::MaskGenerator;
use shapelab::trials::timeline::BlockSummary;
use shapelab::trials::Screen;

/// The GPU, or `None` (skip) without one; under CI a missing adapter fails.
fn gpu() -> Option<Gpu> {
    match Gpu::headless() {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI needs a GPU adapter (lavapipe): {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn experiment(extra: &str) -> Experiment {
    Experiment::parse(
        Path::new("test.yaml"),
        &format!("bg_color: 0.7614\nfixation_line_width: 2\n{extra}"),
    )
    .expect("valid config")
}

struct Frame {
    width: u32,
    pixels: Vec<u8>,
}

impl Frame {
    fn rgb(&self, x: i32, y: i32) -> [u8; 3] {
        let i = ((y as u32 * self.width + x as u32) * 4) as usize;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    fn region(&self, r: PixelRect) -> Vec<[u8; 3]> {
        let mut out = Vec::new();
        for y in r.top..r.top + r.height as i32 {
            for x in r.left..r.left + r.width as i32 {
                out.push(self.rgb(x, y));
            }
        }
        out
    }
}

struct Rig {
    gpu: Gpu,
    scene: SceneRenderer,
    size: (u32, u32),
}

impl Rig {
    fn new(
        gpu: Gpu,
        e: &Experiment,
        size: (u32, u32),
        icons: &HashMap<shapelab::categories::Category, (u32, u32, Vec<u8>)>,
    ) -> Rig {
        let layout = Layout::new(&e.config, &e.response_order, size.0, size.1);
        let scene = SceneRenderer::new(
            &gpu.device,
            OFFSCREEN_FORMAT,
            &SceneSetup {
                layout,
                background: e.config.bg_color,
                fixation: e.config.fixation_color,
                icons,
                pixels_per_point: 1.0,
            },
        );
        Rig { gpu, scene, size }
    }

    fn render(&mut self, screen: Screen) -> Frame {
        let target = self.gpu.offscreen_target(self.size.0, self.size.1);
        let view = target.create_view(&Default::default());
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        self.scene.draw(
            &self.gpu.device,
            &self.gpu.queue,
            &mut encoder,
            &view,
            &screen,
            &Overlay::default(),
        );
        self.gpu.queue.submit([encoder.finish()]);
        Frame {
            width: self.size.0,
            pixels: self.gpu.read_back(&target).expect("read back"),
        }
    }
}

const GREY: [u8; 3] = [194, 194, 194]; // round(0.7614 * 255)

#[test]
fn the_stimulus_mask_and_fixation_frames_hold_exactly_the_intended_pixels() {
    let Some(stimuli) = common::cue_conflict_stimuli() else {
        return;
    };
    let Some(gpu) = gpu() else {
        return;
    };
    let png = stimuli.join("airplane/airplane1-bicycle2.png");
    let rgba = shapelab::stimuli::load_rgba(&png, 224).expect("the stimulus");
    let e = experiment("");
    // An odd screen size: centring must still land on whole pixels.
    let mut rig = Rig::new(gpu, &e, (1023, 767), &HashMap::new());
    let layout = rig.scene.layout().clone();
    assert_eq!((layout.stimulus.left, layout.stimulus.top), (399, 271));

    rig.scene.set_stimulus(&rig.gpu.queue, &rgba);
    let frame = rig.render(Screen::Stimulus(0));
    let expected: Vec<[u8; 3]> = rgba.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
    let shown = frame.region(layout.stimulus);
    let differing = shown.iter().zip(&expected).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "stimulus pixels differ from the PNG");
    // Everything around it is the background grey, right up to its edges.
    let s = layout.stimulus;
    for (x, y) in [
        (s.left - 1, s.top),
        (s.left + 224, s.top + 223),
        (s.left, s.top - 1),
        (s.left + 223, s.top + 224),
        (0, 0),
        (1022, 766),
    ] {
        assert_eq!(frame.rgb(x, y), GREY, "at {x},{y}");
    }

    let mask = MaskGenerator::new(&e.config.mask).generate(12345);
    rig.scene.set_mask(&rig.gpu.queue, &mask);
    let frame = rig.render(Screen::Mask(0));
    let shown = frame.region(layout.mask);
    let expected: Vec<[u8; 3]> = mask.pixels.iter().map(|&v| [v, v, v]).collect();
    assert_eq!(
        shown.iter().zip(&expected).filter(|(a, b)| a != b).count(),
        0,
        "mask pixels differ"
    );

    let frame = rig.render(Screen::Fixation);
    let [top, bottom, left, right] = layout.fixation;
    for side in [top, bottom, left, right] {
        assert!(
            frame.region(side).iter().all(|p| *p == [255, 255, 255]),
            "{side:?} is not white"
        );
    }
    assert_eq!(frame.rgb(top.left - 1, top.top), GREY);
    assert_eq!(
        frame.rgb(top.left + 2, top.top + 2),
        GREY,
        "inside the outline"
    );
    assert_eq!(frame.rgb(511, 383), GREY);
    let frame = rig.render(Screen::Blank);
    assert!(
        frame.pixels.chunks(4).all(|p| p[..3] == GREY),
        "a blank frame is all background"
    );
}

#[test]
fn the_photodiode_patch_is_white_on_stimulus_frames_black_on_others_and_absent_unless_configured() {
    let Some(gpu) = gpu() else {
        return;
    };
    let e = experiment("photodiode: {corner: top-right, size: 40}\n");
    let mut rig = Rig::new(gpu, &e, (640, 480), &HashMap::new());
    let layout = rig.scene.layout().clone();
    let patch = layout.photodiode.expect("configured");
    assert_eq!((patch.left, patch.top, patch.width), (600, 0, 40));
    let rgba = vec![90u8; 224 * 224 * 4];
    rig.scene.set_stimulus(&rig.gpu.queue, &rgba);
    let mask = MaskGenerator::new(&e.config.mask).generate(7);
    rig.scene.set_mask(&rig.gpu.queue, &mask);
    let summary = BlockSummary {
        block: 1,
        blocks: 2,
        trials: 10,
        correct: 7,
        no_answer: 1,
    };
    let screens = [
        (Screen::Stimulus(0), [255, 255, 255]),
        (Screen::Mask(0), [0, 0, 0]),
        (Screen::Fixation, [0, 0, 0]),
        (Screen::Blank, [0, 0, 0]),
        (Screen::Response, [0, 0, 0]),
        (Screen::Break(summary), [0, 0, 0]),
        (Screen::Start { first_trial: 1 }, [0, 0, 0]),
        (Screen::Feedback(e.response_order[5]), [0, 0, 0]),
        (Screen::End(summary), [0, 0, 0]),
    ];
    for (screen, colour) in screens {
        let frame = rig.render(screen);
        let pixels = frame.region(patch);
        assert!(
            pixels.iter().all(|p| *p == colour),
            "{screen:?}: the patch is not {colour:?}"
        );
        // Right up to its edge and no further: the pixel beside and below it is background.
        assert_eq!(frame.rgb(patch.left - 1, 0), GREY, "{screen:?} beside");
        assert_eq!(
            frame.rgb(639, patch.height as i32),
            GREY,
            "{screen:?} below"
        );
    }
    // The stimulus itself is untouched.
    let frame = rig.render(Screen::Stimulus(0));
    assert!(frame.region(layout.stimulus).iter().all(|p| *p == [90; 3]));

    // Without the key, every corner is background on a stimulus frame.
    let Some(gpu) = self::gpu() else {
        return;
    };
    let plain = experiment("");
    let mut rig = Rig::new(gpu, &plain, (640, 480), &HashMap::new());
    assert_eq!(rig.scene.layout().photodiode, None);
    rig.scene.set_stimulus(&rig.gpu.queue, &rgba);
    let frame = rig.render(Screen::Stimulus(0));
    for (x, y) in [(0, 0), (639, 0), (0, 479), (639, 479)] {
        assert_eq!(frame.rgb(x, y), GREY, "corner {x},{y}");
    }
}

#[test]
fn the_sixteen_response_boxes_are_where_the_config_puts_them() {
    let Some(gpu) = gpu() else {
        return;
    };
    let e = experiment("");
    let mut rig = Rig::new(gpu, &e, (1024, 768), &HashMap::new());
    let grid = rig.scene.layout().grid.clone();
    let frame = rig.render(Screen::Response);
    for (category, r) in grid.boxes() {
        // Named boxes: a 2 px black frame on white, the gap outside is background.
        assert_eq!(
            frame.rgb(r.left, r.top),
            [0, 0, 0],
            "{category} top-left corner"
        );
        assert_eq!(
            frame.rgb(r.left + r.size - 1, r.top + r.size - 1),
            [0, 0, 0],
            "{category} bottom-right"
        );
        assert_eq!(
            frame.rgb(r.left + 4, r.top + 4),
            [255, 255, 255],
            "{category} inside"
        );
        assert_eq!(
            frame.rgb(r.left - 1, r.top + 5),
            GREY,
            "{category} left of the box"
        );
        assert_eq!(
            frame.rgb(r.left + 5, r.top - 1),
            GREY,
            "{category} above the box"
        );
        assert_eq!(
            frame.rgb(r.left + r.size, r.top + 5),
            GREY,
            "{category} right of the box"
        );
    }
    // 4 x 129 + 3 x 10 = 546: the grid is centred on 1024 x 768.
    let first = grid.boxes()[0].1;
    assert_eq!((first.left, first.top), ((1024 - 546) / 2, (768 - 546) / 2));
}

#[test]
fn icons_are_drawn_one_to_one_in_their_boxes() {
    let Some(icons_dir) = common::shared("texture-vs-shape/category-icons") else {
        return;
    };
    let Some(gpu) = gpu() else {
        return;
    };
    let icons = shapelab::runner::frame_loop::load_icons(&icons_dir).expect("icons");
    let e = experiment("");
    let mut rig = Rig::new(gpu, &e, (1024, 768), &icons);
    let grid = rig.scene.layout().grid.clone();
    let frame = rig.render(Screen::Response);
    for (category, r) in grid.boxes() {
        let (w, _, rgba) = &icons[category];
        let rect = PixelRect {
            left: r.left,
            top: r.top,
            width: r.size as u32,
            height: r.size as u32,
        };
        let shown = frame.region(rect);
        let mut worst = 0u8;
        for (i, p) in shown.iter().enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            let j = ((y * w + x) * 4) as usize;
            let alpha = u16::from(rgba[j + 3]);
            for c in 0..3 {
                // Icons are composited over the background by their alpha.
                let expected =
                    ((u16::from(rgba[j + c]) * alpha + u16::from(GREY[c]) * (255 - alpha) + 127)
                        / 255) as u8;
                worst = worst.max(p[c].abs_diff(expected));
            }
        }
        assert!(
            worst <= 2,
            "{category}: icon pixels differ by up to {worst}"
        );
    }
    let summary = BlockSummary {
        block: 1,
        blocks: 2,
        trials: 10,
        correct: 7,
        no_answer: 1,
    };
    let frame = rig.render(Screen::Break(summary));
    let inked = frame.pixels.chunks(4).filter(|p| p[0] < 100).count();
    assert!(
        inked > 500,
        "the break screen shows text ({inked} dark pixels)"
    );
}

/// The original's feedback grey 0.7 on the 0..1 scale, as a byte: round(0.7 * 255).
const FEEDBACK_GREY: [u8; 3] = [179, 179, 179];

#[test]
fn feedback_fills_the_correct_box_with_grey_0_7_behind_its_icon_and_leaves_the_rest() {
    let Some(gpu) = gpu() else {
        return;
    };
    let icons = match common::shared("texture-vs-shape/category-icons") {
        Some(dir) => shapelab::runner::frame_loop::load_icons(&dir).expect("icons"),
        None => HashMap::new(),
    };
    let e = experiment("");
    let correct = shapelab::categories::Category::Cat;
    let mut rig = Rig::new(gpu, &e, (1024, 768), &icons);
    let grid = rig.scene.layout().grid.clone();
    let response = rig.render(Screen::Response);
    let feedback = rig.render(Screen::Feedback(correct));
    for (category, r) in grid.boxes() {
        let rect = PixelRect {
            left: r.left,
            top: r.top,
            width: r.size as u32,
            height: r.size as u32,
        };
        if *category != correct {
            assert!(
                feedback.region(rect) == response.region(rect),
                "{category}: unchanged"
            );
            continue;
        }
        let Some((w, _, rgba)) = icons.get(category) else {
            // A named box: grey 0.7 instead of white inside its black frame.
            assert_eq!(feedback.rgb(r.left + 4, r.top + 4), FEEDBACK_GREY);
            assert_eq!(feedback.rgb(r.left, r.top), [0, 0, 0]);
            assert_eq!(response.rgb(r.left + 4, r.top + 4), [255, 255, 255]);
            continue;
        };
        // The icon is composited by its alpha over grey 0.7 instead of the background.
        let mut worst = 0u8;
        for (i, p) in feedback.region(rect).iter().enumerate() {
            let j = ((i as u32 / w * w + i as u32 % w) * 4) as usize;
            let alpha = u16::from(rgba[j + 3]);
            for c in 0..3 {
                let under = u16::from(FEEDBACK_GREY[c]) * (255 - alpha);
                let expected = ((u16::from(rgba[j + c]) * alpha + under + 127) / 255) as u8;
                worst = worst.max(p[c].abs_diff(expected));
            }
        }
        assert!(worst <= 2, "{category}: pixels differ by up to {worst}");
        let transparent = rgba.chunks(4).filter(|p| p[3] == 0).count();
        assert!(transparent > 0, "the grey shows where the icon is clear");
    }
    // Outside the grid the background stays.
    assert_eq!(feedback.rgb(5, 5), GREY);
}
