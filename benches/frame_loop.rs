//! Benchmark: CPU time per frame of the frame loop (timeline step + draw submission, without
//! waiting for the GPU) and time per 224x224 pink-noise mask. Targets: median below 1 ms per
//! frame and below 2 ms per mask. Run with `cargo bench --bench frame_loop`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use shapelab::categories::Category;
use shapelab::config::Experiment;
use shapelab::present::gpu::{Gpu, OFFSCREEN_FORMAT};
use shapelab::present::layout::Layout;
use shapelab::present::scene::{SceneRenderer, SceneSetup};
use shapelab::present::ui::Overlay;
use shapelab::stimuli::mask::MaskGenerator;
use shapelab::stimuli::Stimulus;
use shapelab::trials::timeline::{FrameTick, Input, RtFrom, TimelineSettings};
use shapelab::trials::{PhaseFrames, Screen, Timeline, Trial};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p) as usize]
}

fn verdict(value: f64, target: f64) -> String {
    format!(
        "{:.3} ms (target < {target} ms: {}, ratio {:.2})",
        value,
        if value < target { "met" } else { "MISSED" },
        value / target
    )
}

fn main() {
    let e = Experiment::parse(Path::new("bench.yaml"), "experiment: bench\n").expect("valid");
    let mut masks = MaskGenerator::new(&e.config.mask);
    let mut mask_ms = Vec::new();
    for seed in 0..300 {
        let t = Instant::now();
        std::hint::black_box(masks.generate(seed));
        mask_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("mask 224x224   median {}", verdict(median(mask_ms), 2.0));

    let gpu = match Gpu::headless() {
        Ok(gpu) => gpu,
        Err(err) => {
            println!("frame loop     not measured: {err}");
            return;
        }
    };
    println!("adapter        {}", gpu.adapter_name());
    let (width, height) = (1024, 768);
    let layout = Layout::new(&e.config, &e.response_order, width, height);
    let icons = std::collections::HashMap::new();
    let mut scene = SceneRenderer::new(
        &gpu.device,
        OFFSCREEN_FORMAT,
        &SceneSetup {
            layout: layout.clone(),
            background: e.config.bg_color,
            fixation: e.config.fixation_color,
            icons: &icons,
            pixels_per_point: 1.0,
        },
    );
    let target = gpu.offscreen_target(width, height);
    let view = target.create_view(&Default::default());
    let trials: Vec<Trial> = (0..10)
        .map(|i| Trial {
            number: i + 1,
            stimulus: Stimulus {
                path: PathBuf::from("x.png"),
                original: "bird1-cat1.png".into(),
                shape: Category::Bird,
                texture: Some(Category::Cat),
                lab: None,
            },
            mask_seed: i as u64,
        })
        .collect();
    let hz = 60.0;
    let settings = TimelineSettings {
        frames: PhaseFrames::new(&e.config, hz, false).expect("fits"),
        period: 1.0 / hz,
        auditive_feedback: false,
        visual_feedback: true,
        block_size: 1000,
        rt_from: RtFrom::Press,
        interval_lag: 0,
    };
    let mut timeline = Timeline::new(trials, layout.grid.clone(), settings, 0, &Vec::new());
    let overlay = Overlay::default();
    let (mut locked, mut ui) = (Vec::new(), Vec::new());
    for index in 0..3000u64 {
        let onset = index as f64 / hz;
        let inputs = if index == 1 {
            vec![Input::Click {
                at: onset - 0.001,
                x: 1.0,
                y: 1.0,
            }]
        } else {
            Vec::new()
        };
        let t = Instant::now();
        let frame = timeline.step(FrameTick::at(index, onset), &inputs);
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        scene.draw(
            &gpu.device,
            &gpu.queue,
            &mut encoder,
            &view,
            &frame.screen,
            &overlay,
        );
        gpu.queue.submit([encoder.finish()]);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        // Let the GPU catch up outside the measured time, as a display flip would.
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        match frame.screen {
            Screen::Done => break,
            Screen::Response | Screen::Feedback(_) | Screen::Start { .. } => ui.push(ms),
            _ => locked.push(ms),
        }
    }
    let all: Vec<f64> = locked.iter().chain(&ui).copied().collect();
    println!(
        "frames         {} ({} stimulus-locked, {} with egui)",
        all.len(),
        locked.len(),
        ui.len()
    );
    println!(
        "frame, all     median {}",
        verdict(median(all.clone()), 1.0)
    );
    println!(
        "frame, locked  median {} (fixation, stimulus, blank, mask)",
        verdict(median(locked.clone()), 1.0)
    );
    println!(
        "frame, egui    median {} (response grid)",
        verdict(median(ui.clone()), 1.0)
    );
    println!(
        "frame, all     99th percentile {:.3} ms",
        percentile(all, 0.99)
    );
}
