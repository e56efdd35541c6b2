//! The README's table "When something is wrong" is the program's real output: every row's
//! input is recreated here, shapelab is run on it, and each message in the row must match a
//! line that shapelab printed (`...` stands for any text). A row without a scenario, or a
//! scenario without a row, fails.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

/// The README's rows: input name and the messages (code spans) of the message column.
fn readme_rows() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("## When something is wrong")
        .nth(1)
        .expect("the README has the section");
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| input") && !l.starts_with("| ---"))
        .map(|line| {
            let (input, message) = line[2..].split_once(" | ").expect("two columns");
            (input.trim().to_string(), code_spans(message))
        })
        .collect()
}

/// The contents of Markdown code spans (`x` or ``x with `ticks` ``).
fn code_spans(text: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(ticks);
        let body = &rest[start + ticks..];
        let Some(end) = body.find(&fence) else {
            break;
        };
        let span = &body[..end];
        let span = match (span.strip_prefix(' '), ticks > 1) {
            (Some(inner), true) => inner.strip_suffix(' ').unwrap_or(inner),
            _ => span,
        };
        spans.push(span.to_string());
        rest = &body[end + ticks..];
    }
    spans
}

/// Whether a printed line is the README's message: equal, with `...` matching any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !(line.starts_with(first) && line[first.len()..].ends_with(last)) {
        return false;
    }
    let mut middle = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match middle.find(part) {
            Some(at) => middle = &middle[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A scenario: files in a fresh folder, then one shapelab run inside it.
struct Scenario {
    dir: tempfile::TempDir,
}

impl Scenario {
    fn new() -> Scenario {
        Scenario {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, text: &str) -> &Scenario {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(path, text).expect("written");
        self
    }

    fn image(&self, relative: &str, size: u32) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        image::RgbImage::from_pixel(size, size, image::Rgb([90, 120, 150]))
            .save(path)
            .expect("png written");
    }

    /// Runs shapelab here without a display (unless the command is given one).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = common::shapelab();
        command
            .current_dir(self.dir.path())
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("shapelab runs")
    }

    /// A valid one-image stimulus set in `s` and an experiment `exp` using it.
    fn experiment(&self, extra: &str) -> &Scenario {
        self.image("s/bird/bird1-cat1.png", 224);
        self.write(
            "experiment.yaml",
            &format!("experiment: exp\nstimuli: s\noutput: raw-data\n{extra}"),
        )
    }

    /// A raw-data file with the header and the given rows after it.
    fn raw_data(&self, file: &str, header: &str, rows: &[&str]) -> Output {
        let mut text = format!("{header}\n");
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        self.write(file, &text);
        self.run(&["compare", file, "--no-figures", "--resamples", "0"])
    }
}

const HEADER: &str = "subj,session,trial,rt,object_response,category,condition,imagename";
const ROW: &str = "s,1,1,0.5,bird,bird,0,0001_exp_s_0_bird_00_bird1-cat1.png";

/// A minimal ONNX model: one Identity node from `x` to `y`, both float32 of shape `dims`.
fn identity_onnx(dims: &[u64]) -> Vec<u8> {
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn number(field: u64, v: u64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(v, out);
    }
    fn bytes(field: u64, b: &[u8], out: &mut Vec<u8>) {
        varint((field << 3) | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    let value_info = |name: &str| {
        let mut shape = Vec::new();
        for &d in dims {
            let mut dim = Vec::new();
            number(1, d, &mut dim);
            bytes(1, &dim, &mut shape);
        }
        let mut tensor = Vec::new();
        number(1, 1, &mut tensor);
        bytes(2, &shape, &mut tensor);
        let mut ty = Vec::new();
        bytes(1, &tensor, &mut ty);
        let mut info = Vec::new();
        bytes(1, name.as_bytes(), &mut info);
        bytes(2, &ty, &mut info);
        info
    };
    let mut node = Vec::new();
    bytes(1, b"x", &mut node);
    bytes(2, b"y", &mut node);
    bytes(4, b"Identity", &mut node);
    let mut graph = Vec::new();
    bytes(1, &node, &mut graph);
    bytes(2, b"g", &mut graph);
    bytes(11, &value_info("x"), &mut graph);
    bytes(12, &value_info("y"), &mut graph);
    let mut opset = Vec::new();
    number(2, 13, &mut opset);
    let mut model = Vec::new();
    number(1, 7, &mut model);
    bytes(8, &opset, &mut model);
    bytes(7, &graph, &mut model);
    model
}

/// Runs the scenario of a README row; `None` when it needs an X server that is not here.
fn scenario(input: &str) -> Option<Output> {
    let s = Scenario::new();
    let check = ["check", "experiment.yaml"];
    let simulate = ["run", "experiment.yaml", "--simulate", "--subject", "s1"];
    let classify = [
        "classify",
        "experiment.yaml",
        "--model",
        "m.onnx",
        "--name",
        "net",
    ];
    Some(match input {
        "YAML syntax" => s
            .write(
                "experiment.yaml",
                "experiment: exp\nms_stim: 200\n- ms_mask\n",
            )
            .run(&check),
        "key given twice" => s
            .write(
                "experiment.yaml",
                "experiment: exp\nms_stim: 200\nms_stim: 100\n",
            )
            .run(&check),
        "unknown key" => s
            .write(
                "experiment.yaml",
                "experiment: exp\nms_fixation: 300\nms_stimulus: 200\n",
            )
            .run(&check),
        "wrong type" => s
            .write("experiment.yaml", "experiment: exp\nms_mask: fast\n")
            .run(&check),
        "negative duration" => s.write("experiment.yaml", "ms_stim: -5\n").run(&check),
        "duration with a unit" => s
            .write("experiment.yaml", "experiment: exp\nms_stim: 200ms\n")
            .run(&check),
        "duration in seconds" => s
            .write("experiment.yaml", "experiment: exp\nms_stim: 0.2\n")
            .run(&check),
        "no subject code" => s
            .experiment("")
            .run(&["run", "experiment.yaml", "--simulate"]),
        "practice images in the main set" => {
            s.experiment("practice:\n  stimuli: p\n");
            // The main set's image, saved again under a practice name (without a texture).
            std::fs::create_dir_all(s.path("p/bird")).expect("folder");
            std::fs::copy(s.path("s/bird/bird1-cat1.png"), s.path("p/bird/bird7.png"))
                .expect("copied");
            s.run(&[&simulate[..], &["--practice"]].concat())
        }
        "cue-conflict practice images" => {
            s.experiment("practice:\n  stimuli: p\n");
            s.image("p/bird/bird7-dog7.png", 224);
            s.run(&[&simulate[..], &["--practice"]].concat())
        }
        "colour out of range" => s
            .write("experiment.yaml", "bg_color: [1.5, 0.5, 0.5]\n")
            .run(&check),
        "categories" => {
            let mut order: Vec<&str> = shapelab::categories::ALL.iter().map(|c| c.name()).collect();
            order[3] = "knife";
            let list: String = order.iter().map(|c| format!("  - {c}\n")).collect();
            s.write(
                "experiment.yaml",
                &format!("experiment: exp\nfinal_cats_responses:\n{list}"),
            )
            .run(&check)
        }
        "missing stimulus folder" => s
            .write("experiment.yaml", "experiment: exp\nstimuli: nowhere\n")
            .run(&check),
        "stimulus set problems" => {
            s.experiment("");
            std::fs::create_dir_all(s.path("s/cat")).expect("folder");
            s.image("s/bird/bird2-cat1.png", 100);
            let good = std::fs::read(s.path("s/bird/bird1-cat1.png")).expect("png");
            std::fs::write(s.path("s/bird/bird3-cat1.png"), &good[..good.len() / 2])
                .expect("written");
            s.write("s/bird/bird4-cat1.png", "not a picture");
            s.run(&check)
        }
        "icons folder empty" => {
            s.experiment("icons: noicons\n");
            std::fs::create_dir_all(s.path("noicons")).expect("folder");
            s.run(&["run", "experiment.yaml", "--subject", "s1"])
        }
        "icons folder missing" => {
            s.experiment("icons: nowhere\n")
                .run(&["run", "experiment.yaml", "--subject", "s1"])
        }
        "unknown placeholder in a text" => s
            .write(
                "experiment.yaml",
                "experiment: exp\ntexts:\n  end: Danke, {name}!\n",
            )
            .run(&check),
        "key in capitals" => s
            .write("experiment.yaml", "experiment: exp\nMS_MASK: 200\n")
            .run(&check),
        "subject code with an accent" => s.experiment("").run(&[
            "run",
            "experiment.yaml",
            "--simulate",
            "--subject",
            "Müller",
        ]),
        "unsafe subject code" => {
            s.experiment("")
                .run(&["run", "experiment.yaml", "--simulate", "--subject", "../x"])
        }
        "session exists" => {
            s.experiment("");
            let first = s.run(&[&simulate[..], &["--session", "1"]].concat());
            assert!(first.status.success(), "{}", common::stderr(&first));
            s.run(&[&simulate[..], &["--session", "1"]].concat())
        }
        "data folder cannot be created" => {
            s.experiment("").write("raw-data", "a file, not a folder");
            s.run(&simulate)
        }
        "raw-data header" => s.raw_data("h.csv", "subj,session", &[]),
        "missing column" => s.raw_data("col.csv", HEADER, &["s,1,1,0.5,bird"]),
        "unknown category" => s.raw_data(
            "cat.csv",
            HEADER,
            &[&ROW.replace(",bird,bird,", ",zebra,bird,")],
        ),
        "non-numeric rt" => s.raw_data("rt.csv", HEADER, &[&ROW.replace(",0.5,", ",fast,")]),
        "duplicate trial" => s.raw_data("dup.csv", HEADER, &[ROW, ROW]),
        "not an ONNX model" => {
            s.experiment("").write("m.onnx", "not a model");
            s.run(&classify)
        }
        "model of the wrong shape" => {
            s.experiment("");
            std::fs::write(s.path("m.onnx"), identity_onnx(&[1, 3, 224, 224])).expect("written");
            s.run(&classify)
        }
        "onnxruntime engine not built in" => s
            .experiment("")
            .write("m.onnx", "a model")
            .run(&[&classify[..], &["--engine", "onnxruntime"]].concat()),
        "classification file of another run" => {
            s.experiment("").write("m.onnx", "a model").write(
                "raw-data/exp-trained-CNNs/exp_net_session-1.csv",
                &format!(
                    "{HEADER}\n{}\n",
                    ROW.replace("s,1,1,0.5,", "other,1,1,NaN,")
                ),
            );
            s.run(&classify)
        }
        "bad shard" => s
            .experiment("")
            .write("m.onnx", "a model")
            .run(&[&classify[..], &["--shard", "3/2"]].concat()),
        "bad window size" => s.experiment("").run(&[
            "run",
            "experiment.yaml",
            "--subject",
            "s1",
            "--windowed",
            "10x10",
        ]),
        "no display" => s
            .experiment("")
            .run(&["run", "experiment.yaml", "--subject", "s1"]),
        "photodiode corner" => s
            .write(
                "experiment.yaml",
                "experiment: exp\nphotodiode:\n  corner: middle\n",
            )
            .run(&check),
        "photodiode recording not WAV" => s.write("notes.wav", "not audio").run(&[
            "photodiode",
            "notes.wav",
            "--timing",
            "raw-data/exp/exp_s1_session_1.csv",
        ]),
        "no vertical sync, fullscreen" | "no graphics adapter" => {
            let x = common::xvfb()?;
            let runtime = common::runtime_dir();
            s.experiment("");
            let mut command = s.command(&["run", "experiment.yaml", "--subject", "s1"]);
            command
                .env("DISPLAY", &x.display)
                .env("XDG_RUNTIME_DIR", runtime.path());
            if input == "no graphics adapter" {
                let nowhere = s.path("no-driver.json");
                command
                    .env("WGPU_BACKEND", "vulkan")
                    .env("VK_ICD_FILENAMES", &nowhere)
                    .env("VK_DRIVER_FILES", &nowhere);
            }
            command.output().expect("shapelab runs")
        }
        other => panic!("the README lists '{other}', which has no scenario here"),
    })
}

/// Rows whose scenario this test knows; each must be in the README.
const SCENARIOS: [&str; 38] = [
    "YAML syntax",
    "key given twice",
    "unknown key",
    "wrong type",
    "duration with a unit",
    "duration in seconds",
    "negative duration",
    "colour out of range",
    "categories",
    "missing stimulus folder",
    "stimulus set problems",
    "icons folder empty",
    "icons folder missing",
    "key in capitals",
    "unknown placeholder in a text",
    "subject code with an accent",
    "unsafe subject code",
    "no subject code",
    "session exists",
    "practice images in the main set",
    "cue-conflict practice images",
    "data folder cannot be created",
    "raw-data header",
    "missing column",
    "unknown category",
    "non-numeric rt",
    "duplicate trial",
    "not an ONNX model",
    "model of the wrong shape",
    "onnxruntime engine not built in",
    "classification file of another run",
    "bad shard",
    "bad window size",
    "no display",
    "no vertical sync, fullscreen",
    "no graphics adapter",
    "photodiode corner",
    "photodiode recording not WAV",
];

#[test]
fn every_message_in_the_readme_table_is_what_shapelab_prints() {
    let rows = readme_rows();
    let listed: BTreeMap<&str, &Vec<String>> = rows
        .iter()
        .map(|(input, spans)| (input.as_str(), spans))
        .collect();
    for name in SCENARIOS {
        assert!(
            listed.contains_key(name),
            "the README table lacks the row '{name}'"
        );
    }
    let mut failures = Vec::new();
    for (input, spans) in &rows {
        assert!(
            !spans.is_empty(),
            "the README row '{input}' shows no message"
        );
        // The table is of the default build: a build with the feature has the engine.
        if cfg!(feature = "onnxruntime") && input == "onnxruntime engine not built in" {
            continue;
        }
        let Some(output) = scenario(input) else {
            continue;
        };
        let stderr = common::stderr(&output);
        assert_ne!(
            output.status.code(),
            Some(0),
            "'{input}' must fail: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "'{input}' panicked: {stderr}");
        let printed: Vec<&str> = stderr
            .lines()
            .map(|l| {
                let l = l.trim_start();
                l.strip_prefix("error: ")
                    .or_else(|| l.strip_prefix("warning: "))
                    .unwrap_or(l)
            })
            .collect();
        for span in spans {
            if !printed.iter().any(|line| matches(span, line)) {
                failures.push(format!("{input}:\n  README: {span}\n  printed: {stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_matcher_treats_dots_as_any_text_and_nothing_else() {
    assert!(matches("a: ... b ... c", "a: x b y c"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
    assert!(!matches("a ... c", "a b d"));
    assert!(!matches("a ... b ... c", "a c b c"));
    assert_eq!(code_spans("`a` then ``b `c` d``"), ["a", "b `c` d"]);
}
