//! Benchmark: CPU time per frame of the frame loop on the render thread (uploads, timeline
//! step, handing rows to the data writer thread, draw submission; without waiting for the GPU)
//! over a real 10-trial session whose rows are written and images decoded on their own
//! threads, and time per 224x224 pink-noise mask. Targets: median below 1 ms per frame,
//! maximum below 2 ms, and below 2 ms per mask. The render thread's own CPU time is the
//! measure; wall-clock time per frame is printed beside it (on a loaded machine it includes
//! the time other processes held the core). Run with `cargo bench --bench frame_loop`.

use std::path::Path;
use std::time::Instant;

use shapelab::categories::Category;
use shapelab::config::Experiment;
use shapelab::data::record::{DisplayFacts, TimingMode};
use shapelab::display::gpu::{Gpu, OFFSCREEN_FORMAT};
use shapelab::display::layout::Layout;
use shapelab::display::scene::{SceneRenderer, SceneSetup};
use shapelab::display::screens::Overlay;
use shapelab::runner::preload::Preloader;
use shapelab::runner::writer::DataWriter;
use shapelab::session::{self, SessionOptions};
use shapelab::stimuli::mask::MaskGenerator;
use shapelab::stimuli::StimulusSet;
use shapelab::trials::timeline::{Button, FrameTick, Input};
use shapelab::trials::Screen;

/// CPU time this thread has used (ms).
fn thread_cpu_ms() -> f64 {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as f64 * 1000.0 + t.tv_nsec() as f64 / 1e6)
        .expect("thread CPU clock")
}

/// Times this thread has given up its core by itself (a blocking call: a file sync, a lock, a
/// round trip to the display server), which its CPU clock does not see.
fn voluntary_switches() -> i64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_THREAD)
        .map(|u| u.voluntary_context_switches())
        .expect("thread usage")
}

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
    // A real session of 10 trials on shapelab's demo images: rows and timing lines written and
    // fsynced by the data writer thread, images decoded and masks made by the loader thread,
    // as in a session; the trial-transition frames hand them over and upload.
    let dir = std::env::temp_dir().join(format!("shapelab-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    shapelab::stimuli::demo::write_set(&dir.join("stimuli")).expect("demo stimuli");
    let text = format!(
        "experiment: bench\nstimuli: {}\noutput: {}\nvisual_feedback: 1\n",
        dir.join("stimuli").display(),
        dir.join("raw-data").display()
    );
    let study = Experiment::parse(&dir.join("bench.yaml"), &text).expect("valid");
    let set = StimulusSet::check(&study.config.stimuli, 224).expect("stimuli");
    let facts = DisplayFacts {
        timing: TimingMode::Simulated,
        refresh_hz_expected: 60.0,
        refresh_hz_measured: None,
        refresh_sd_ms: None,
        timestamps: "bench".into(),
        width_px: width,
        height_px: height,
    };
    let options = SessionOptions {
        subject: "bench".into(),
        trials: Some(10),
        ..SessionOptions::default()
    };
    let mut session = session::open(&study, &set, &options, facts).expect("session");
    let mut writer = DataWriter::start(
        session.recorder.take().expect("a recorder"),
        session.plan.clone(),
    )
    .expect("writer");
    let mut loader =
        Preloader::start(session.plan.trials.clone(), 0, 224, &study.config.mask).expect("loader");
    let hz = 60.0;
    let answer = session.timeline.grid().rect(Category::Cat).centre();
    let overlay = Overlay::default();
    let (mut locked, mut ui, mut transitions) = (Vec::new(), Vec::new(), Vec::new());
    let mut wall = Vec::new();
    let mut blocked = Vec::new();
    let (mut uploaded, mut response_onset) = (None, None);
    let mut previous = Screen::Done;
    for index in 0..20_000u64 {
        let onset = index as f64 / hz;
        let mut inputs = Vec::new();
        if index == 1 {
            inputs.push(Input::Click {
                at: onset - 0.001,
                x: 1.0,
                y: 1.0,
                button: Button::Left,
            });
        }
        if let Some(shown) = response_onset.filter(|t| onset - t > 0.5) {
            inputs.push(Input::Click {
                at: shown + 0.5,
                x: answer.0,
                y: answer.1,
                button: Button::Left,
            });
            response_onset = None;
        }
        let t = Instant::now();
        let cpu = thread_cpu_ms();
        let switches = voluntary_switches();
        let next = session.timeline.trial_index();
        let mut transition = false;
        if uploaded != Some(next) && next < session.plan.trials.len() {
            if let Some(prepared) = loader.take(next).expect("readable") {
                scene.set_stimulus(&gpu.queue, &prepared.rgba);
                scene.set_mask(&gpu.queue, &prepared.mask);
                uploaded = Some(next);
                transition = true;
            }
        }
        if uploaded != Some(next) || !writer.rows_saved() {
            inputs.push(Input::NotReady);
        }
        let frame = session.timeline.step(FrameTick::at(index, onset), &inputs);
        writer.send(&frame.events);
        transition |= !frame.events.is_empty();
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
        let ms = thread_cpu_ms() - cpu;
        blocked.push(voluntary_switches() - switches);
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
        // Let the GPU catch up outside the measured time, as a display flip would, and give
        // the writer and loader a refresh to work in.
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        std::thread::sleep(std::time::Duration::from_millis(2));
        if frame.screen == Screen::Response && previous != Screen::Response {
            response_onset = Some(onset);
        }
        previous = frame.screen;
        if transition {
            transitions.push(ms);
        }
        match frame.screen {
            Screen::Done => break,
            Screen::Response | Screen::Feedback(_) | Screen::Start { .. } => ui.push(ms),
            _ => locked.push(ms),
        }
    }
    writer.finish().expect("written");
    let _ = std::fs::remove_dir_all(&dir);
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
        percentile(all.clone(), 0.99)
    );
    println!(
        "frame, all     maximum {}",
        verdict(all.iter().copied().fold(0.0, f64::max), 2.0)
    );
    println!(
        "transitions    {} frames (rows, timing lines, uploads), median {:.3} ms, maximum {:.3} ms",
        transitions.len(),
        median(transitions.clone()),
        transitions.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "blocking       {} of {} frames gave up the core by themselves (a file sync, a lock, a round trip), {} times at most in one frame",
        blocked.iter().filter(|&&n| n > 0).count(),
        blocked.len(),
        blocked.iter().copied().max().unwrap_or(0)
    );
    println!(
        "wall clock     median {:.3} ms, 99th percentile {:.3} ms, maximum {:.3} ms per frame (the CPU times above exclude time the thread waited for a core)",
        median(wall.clone()),
        percentile(wall.clone(), 0.99),
        wall.iter().copied().fold(0.0, f64::max)
    );
}
