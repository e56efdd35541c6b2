//! The launcher's session page: config, subject, session number, practice, the preflight
//! panel, Start, and the results of the session just run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use egui::{Color32, RichText, Ui};

use super::checks;
use super::file_browser::{chosen, shown_from, FileBrowser, Pick};
use super::outcome::{finished, outcome_ui, pass_on, Outcome, Printed};
use super::{from_config_folder, MeasureRequest, Refresh};
use crate::config::Experiment;
use crate::data::paths::{
    check_person_code, check_subject, last_session, next_free_session, next_free_subject,
    simulated, subject_code_note, SessionPaths,
};
use crate::data::progress::Progress;
use crate::display::audio::Beeper;
use crate::preflight::Preflight;
use crate::session::stimulus_set;
use crate::simulate::Responder;
use crate::stimuli::StimulusSet;
use crate::timing::flips::{judge, judge_compositor};

/// Who answers: a person at the screen, or a simulated participant (piloting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Participant {
    /// A person, on the fullscreen display.
    Person,
    /// A simulated participant on a virtual display (no window), answering as told.
    Simulated(Responder),
}

/// A config and its stimulus set, checked.
struct Loaded {
    /// The config with the page's folders in place of its own.
    experiment: Experiment,
    /// The config's own stimulus and output folders.
    own_folders: (PathBuf, PathBuf),
    stimuli: Result<StimulusSet, String>,
    /// Whether the default sound output opens (the device's error when not).
    sound: Result<(), String>,
}

/// The page's fields that take a path from the file browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathField {
    Config,
    Stimuli,
    Output,
}

/// A session running as a child process.
struct Running {
    child: Child,
    paths: Option<SessionPaths>,
    /// The `shapelab run` arguments that continue this session.
    resume: Vec<String>,
    /// Copies the session's standard output to the launcher's and returns all of it.
    stdout: Option<JoinHandle<String>>,
    /// Copies the session's standard error to the launcher's and returns all of it.
    stderr: Option<JoinHandle<String>>,
}

/// A command of `program` as the experimenter would type it.
fn command_line(program: &Path, args: &[String]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| crate::hints::quoted(Path::new(a)))
        .collect();
    format!("{} {}", crate::hints::program_at(program), words.join(" "))
}

/// The session page's state.
pub struct SessionForm {
    program: PathBuf,
    /// The config file, as typed (relative: from the working folder).
    pub config: String,
    /// The stimulus folder, as typed; empty for the config's `stimuli` (relative: from the
    /// config's folder).
    pub stimuli: String,
    /// The output folder, as typed; empty for the config's `output` (relative: from the
    /// config's folder).
    pub output: String,
    browser: Option<FileBrowser<PathField>>,
    /// The stimulus and output folders the config was last loaded with.
    loaded_folders: (String, String),
    /// The config's folder at the last load, which relative folders typed were taken from.
    loaded_from: PathBuf,
    /// Says which typed folders were made whole paths when another config was loaded.
    folders_note: Option<String>,
    loading: Option<JoinHandle<Result<Loaded, String>>>,
    loaded: Option<Result<Loaded, String>>,
    /// Subject code, as typed.
    pub subject: String,
    /// Session number, as typed.
    pub session: String,
    suggested: String,
    /// A practice run.
    pub practice: bool,
    /// Who answers.
    pub participant: Participant,
    /// Run in a window instead of fullscreen.
    pub windowed: bool,
    /// Run without a sound output, knowingly (`run --allow-silent`).
    pub allow_silent: bool,
    /// The window's size in pixels, `WxH`, as typed (used with `windowed`).
    pub window_size: String,
    /// Only the first N trials (piloting), as typed; empty for all.
    pub trial_limit: String,
    /// The answers about the participant, by the config's `participant_info` name.
    pub info: std::collections::BTreeMap<String, String>,
    /// The refresh measured on the monitor `monitor.select` names.
    pub refresh: Refresh,
    /// The `monitor.select` the refresh was last measured for.
    measured_monitor: Option<String>,
    /// The experimenter asked to measure again.
    measure_again: bool,
    running: Option<Running>,
    outcome: Option<Outcome>,
    /// The subject's last session when it did not complete: its number and how far it got.
    unfinished: Option<(u32, Progress)>,
}

impl SessionForm {
    /// A page on `config`, starting sessions with `program`; loads the config at once.
    pub fn new(config: PathBuf, program: PathBuf) -> SessionForm {
        let mut form = SessionForm {
            program,
            config: config.display().to_string(),
            stimuli: String::new(),
            output: String::new(),
            browser: None,
            loaded_folders: Default::default(),
            loaded_from: PathBuf::new(),
            folders_note: None,
            loading: None,
            loaded: None,
            subject: String::new(),
            session: String::new(),
            suggested: String::new(),
            practice: false,
            participant: Participant::Person,
            windowed: false,
            allow_silent: false,
            window_size: "1024x768".into(),
            trial_limit: String::new(),
            info: Default::default(),
            refresh: Refresh::NotMeasured,
            measured_monitor: None,
            measure_again: false,
            running: None,
            outcome: None,
            unfinished: None,
        };
        form.loaded_from = form.config_folder();
        form.load();
        form
    }

    /// The refresh measurement the page wants, once: when a config is loaded whose
    /// `monitor.select` was not measured yet, and when the experimenter asks again; never
    /// while a session runs (its window has the monitor; the wish waits for its end).
    pub fn wanted_measurement(&mut self) -> Option<MeasureRequest> {
        if self.running.is_some() {
            return None;
        }
        let monitor = self.experiment()?.config.monitor.select.clone();
        if !self.measure_again && self.measured_monitor.as_ref() == Some(&monitor) {
            return None;
        }
        let request = MeasureRequest {
            monitor: monitor.clone(),
        };
        self.measure_again = false;
        self.measured_monitor = Some(monitor);
        self.refresh = Refresh::Measuring;
        Some(request)
    }

    /// Whether a config is loading or a session running.
    pub fn busy(&self) -> bool {
        self.loading.is_some() || self.running.is_some()
    }

    /// Reads the config and checks its stimuli in the background (decoding every image of a
    /// large set takes seconds).
    fn load(&mut self) {
        self.keep_typed_folders();
        let path = PathBuf::from(self.config.trim());
        let practice = self.practice;
        let (stimuli, output) = (self.stimuli_folder(), self.output_folder());
        self.loaded_folders = (self.stimuli.clone(), self.output.clone());
        self.loaded = None;
        self.loading = Some(std::thread::spawn(move || {
            let mut experiment = Experiment::load(&path).map_err(|e| e.to_string())?;
            let own = &mut experiment.config;
            let own_folders = (own.stimuli.clone(), own.output.clone());
            if let Some(stimuli) = stimuli {
                own.stimuli = stimuli;
            }
            if let Some(output) = output {
                own.output = output;
            }
            let stimuli = stimulus_set(&experiment, practice).map_err(|e| e.to_string());
            let sound = Beeper::check(&experiment.config.beep);
            Ok(Loaded {
                experiment,
                own_folders,
                stimuli,
                sound,
            })
        }));
    }

    /// When another config is loaded (another folder), relative folders typed for the last
    /// one become whole paths from its folder: they keep naming the folders the experimenter
    /// meant, instead of silently naming others in the new config's folder.
    fn keep_typed_folders(&mut self) {
        let (old, new) = (self.loaded_from.clone(), self.config_folder());
        self.folders_note = None;
        if old == new {
            return;
        }
        self.loaded_from = new;
        let mut kept = Vec::new();
        for (name, typed) in [
            ("stimulus", &mut self.stimuli),
            ("output", &mut self.output),
        ] {
            let relative = typed.trim().to_string();
            if relative.is_empty() || Path::new(&relative).is_absolute() {
                continue;
            }
            *typed = from_config_folder(&old, &relative).display().to_string();
            kept.push(format!(
                "the {name} folder typed, '{relative}', is now {typed}"
            ));
        }
        if !kept.is_empty() {
            self.folders_note = Some(format!(
                "A config in another folder was loaded: {} (typed relative to the previous \
                 config's folder, {}).",
                kept.join("; "),
                old.display()
            ));
        }
    }

    /// Loads the config again when a folder field differs from what it was loaded with.
    fn reload_if_changed(&mut self) {
        if self.loaded_folders != (self.stimuli.clone(), self.output.clone()) {
            self.load();
        }
    }

    /// Opens the file browser for `field`, at the path it names now.
    fn browse(&mut self, field: PathField) {
        let own = match &self.loaded {
            Some(Ok(loaded)) => Some(loaded.own_folders.clone()),
            _ => None,
        };
        let (title, pick, start) = match field {
            PathField::Config => (
                "Choose the config file",
                Pick::File(&["yaml", "yml"]),
                self.config_folder(),
            ),
            PathField::Stimuli => (
                "Choose the stimulus folder",
                Pick::Folder,
                self.stimuli_folder()
                    .or(own.map(|o| o.0))
                    .unwrap_or_default(),
            ),
            PathField::Output => (
                "Choose the output folder",
                Pick::NewFolder,
                self.output_folder()
                    .or(own.map(|o| o.1))
                    .unwrap_or_default(),
            ),
        };
        self.browser = Some(FileBrowser::new(field, title, pick, &start));
    }

    /// Puts the path chosen in the browser into its field and loads the config with it.
    fn take(&mut self, field: PathField, path: &Path) {
        let shown = shown_from(&self.config_folder(), path);
        match field {
            PathField::Config => self.config = path.display().to_string(),
            PathField::Stimuli => self.stimuli = shown,
            PathField::Output => self.output = shown,
        }
        self.load();
    }

    /// The folder of the config file, where relative paths start.
    pub fn config_folder(&self) -> PathBuf {
        let config = from_config_folder(Path::new("."), &self.config);
        config
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// The stimulus folder typed, from the config's folder; `None` for the config's own.
    fn stimuli_folder(&self) -> Option<PathBuf> {
        let typed = self.stimuli.trim();
        (!typed.is_empty()).then(|| from_config_folder(&self.config_folder(), typed))
    }

    /// The output folder typed, from the config's folder; `None` for the config's own.
    fn output_folder(&self) -> Option<PathBuf> {
        let typed = self.output.trim();
        (!typed.is_empty()).then(|| from_config_folder(&self.config_folder(), typed))
    }

    fn poll(&mut self) {
        if self.loading.as_ref().is_some_and(JoinHandle::is_finished) {
            if let Some(handle) = self.loading.take() {
                self.loaded = Some(
                    handle
                        .join()
                        .unwrap_or_else(|_| Err("checking the config crashed".into())),
                );
                self.suggest_session();
            }
        }
        let Some(running) = &mut self.running else {
            return;
        };
        match running.child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => {
                // The pipes closed with the child: these return at once with everything.
                let all = |reader: Option<JoinHandle<String>>| {
                    reader.and_then(|r| r.join().ok()).unwrap_or_default()
                };
                let printed = Printed {
                    stdout: all(running.stdout.take()),
                    stderr: all(running.stderr.take()),
                };
                let paths = running.paths.clone();
                let resume = command_line(&self.program, &running.resume);
                self.running = None;
                self.outcome = Some(finished(status, &printed, paths, &resume));
                self.suggest_session();
            }
            Err(e) => {
                self.running = None;
                self.outcome = Some(Outcome::failed(format!("lost the session: {e}")));
            }
        }
    }

    fn experiment(&self) -> Option<&Experiment> {
        match &self.loaded {
            Some(Ok(loaded)) => Some(&loaded.experiment),
            _ => None,
        }
    }

    /// Puts the subject's next free session in the field, unless the experimenter typed
    /// another number.
    fn suggest_session(&mut self) {
        let Some(e) = self.experiment() else {
            return;
        };
        let (output, experiment) = (e.config.output.clone(), e.config.experiment.clone());
        if self.subject.trim().is_empty() {
            if let Ok(next) = next_free_subject(&output, &experiment) {
                self.subject = next;
            }
        }
        self.unfinished = None;
        if check_subject(self.subject.trim()).is_err() {
            return;
        }
        // A simulated participant's sessions are its own (`_simulated`), apart from people's.
        let (own_output, own_subject) = match self.simulated() {
            true => simulated(&output, self.subject.trim()),
            false => (output.clone(), self.subject.trim().to_string()),
        };
        self.unfinished = last_session(&own_output, &experiment, &own_subject)
            .ok()
            .flatten()
            .and_then(|n| {
                let paths = SessionPaths::new(&own_output, &experiment, &own_subject, n).ok()?;
                Progress::read(&paths)
                    .ok()
                    .filter(Progress::unfinished)
                    .map(|p| (n, p))
            });
        if let Ok(next) = next_free_session(&output, &experiment, self.subject.trim()) {
            if self.session == self.suggested || self.session.trim().is_empty() {
                self.session = next.to_string();
            }
            self.suggested = next.to_string();
        }
    }

    /// What stops a session from starting, one line each; empty when it can start.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let loaded = match &self.loaded {
            None => return vec!["checking the config and its stimuli ...".into()],
            Some(Err(e)) => return vec![e.clone()],
            Some(Ok(loaded)) => loaded,
        };
        if let Err(e) = &loaded.stimuli {
            problems.extend(e.lines().map(String::from));
        }
        if !self.simulated() {
            problems.extend(checks::sound_problem(&loaded.sound, self.allow_silent));
        }
        if self.refresh == Refresh::Measuring {
            // Its window covers the session's monitor: a session would open on top of it.
            problems.push("measuring the refresh on the session's monitor ...".into());
        }
        let subject = self.subject.trim();
        let checked = if self.simulated() {
            check_subject(subject)
        } else {
            check_person_code(subject)
        };
        if let Err(e) = checked {
            problems.push(e.to_string());
        }
        problems.extend(self.pilot_problems());
        if !self.practice {
            let answers: Vec<(String, String)> = self
                .info
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            let fields = &loaded.experiment.config.participant_info;
            if let Err(e) = crate::config::participant::check_answers(fields, &answers) {
                problems.push(format!("participant: {e}"));
            }
        }
        match self.session.trim().parse::<u32>() {
            Ok(n) if n >= 1 => {
                let c = &loaded.experiment.config;
                // The subject's (and session's) own images must be there.
                if let (Ok(set), false) = (&loaded.stimuli, subject.is_empty()) {
                    let own = set.for_participant(subject, n, self.practice, c.pre_ordered_shared);
                    problems.extend(own.err().map(|e| e.to_string()));
                }
                let taken = SessionPaths::new(&c.output, &c.experiment, subject, n)
                    .is_ok_and(|p| p.any_exists());
                if taken && !self.practice && !self.simulated() {
                    let next = next_free_session(&c.output, &c.experiment, subject)
                        .map_or_else(|_| "-".into(), |n| n.to_string());
                    let unfinished = self.unfinished.as_ref().filter(|(u, _)| *u == n);
                    problems.push(match unfinished {
                        Some(_) => format!(
                            "session {n} of {subject} is unfinished: resume it (below), or \
                             start the next free session, {next}"
                        ),
                        None => format!(
                            "session {n} of {subject} already has data (shapelab never \
                             overwrites): the next free session is {next}"
                        ),
                    });
                }
            }
            _ => problems.push(format!(
                "session number: '{}' is not a whole number from 1",
                self.session.trim()
            )),
        }
        problems
    }

    /// Problems of the piloting fields: the trial limit and the window size.
    fn pilot_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let limit = self.trial_limit.trim();
        if !limit.is_empty() && !limit.parse::<usize>().is_ok_and(|n| n >= 1) {
            problems.push(format!(
                "trials: '{limit}' is not a number of trials (1 or more; empty for all)"
            ));
        }
        let size = self.window_size.trim();
        let fits = size
            .split_once(['x', 'X'])
            .and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)))
            .is_some_and(|(w, h)| (100..=16384).contains(&w) && (100..=16384).contains(&h));
        if self.windowed && !self.simulated() && !fits {
            problems.push(format!(
                "window size: '{size}' is not a size like 1024x768 (100 to 16384 pixels a side)"
            ));
        }
        problems
    }

    fn simulated(&self) -> bool {
        matches!(self.participant, Participant::Simulated(_))
    }

    /// The `shapelab run` arguments of the session as filled in. A simulated participant
    /// takes the next free session of its own (`_simulated`), never the person's number.
    pub fn run_arguments(&self) -> Vec<String> {
        let mut args = vec![
            "run".to_string(),
            self.config.trim().to_string(),
            "--subject".into(),
            self.subject.trim().to_string(),
        ];
        if !self.simulated() {
            args.extend(["--session".into(), self.session.trim().to_string()]);
        }
        args.extend(self.folder_arguments());
        if !self.trial_limit.trim().is_empty() {
            args.extend(["--trials".into(), self.trial_limit.trim().to_string()]);
        }
        for (name, value) in self.info.iter().filter(|(_, v)| !v.trim().is_empty()) {
            args.extend(["--info".into(), format!("{name}={}", value.trim())]);
        }
        args.extend(self.window_arguments());
        args
    }

    /// The arguments that make `run` continue session `session` as the form describes it.
    fn resume_arguments(&self, session: u32) -> Vec<String> {
        let mut args = vec![
            "run".to_string(),
            self.config.trim().to_string(),
            "--subject".into(),
            self.subject.trim().to_string(),
            "--session".into(),
            session.to_string(),
            "--resume".into(),
        ];
        args.extend(self.folder_arguments());
        args.extend(self.window_arguments());
        args
    }

    /// The stimulus and output folders typed, as `run` options (whole paths, as `run` takes
    /// relative ones from the working folder).
    fn folder_arguments(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (option, folder) in [
            ("--stimuli", self.stimuli_folder()),
            ("--out", self.output_folder()),
        ] {
            if let Some(folder) = folder {
                args.extend([option.to_string(), folder.display().to_string()]);
            }
        }
        args
    }

    /// Practice, window and simulated participant, as `run` options.
    fn window_arguments(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.practice {
            args.push("--practice".into());
        }
        match self.participant {
            Participant::Person => {
                if self.windowed {
                    args.extend(["--windowed".into(), self.window_size.trim().to_string()]);
                }
                if self.allow_silent {
                    args.push("--allow-silent".into());
                }
            }
            Participant::Simulated(responder) => {
                // The name `run --responder` parses.
                let name = clap::ValueEnum::to_possible_value(&responder)
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default();
                args.extend(["--simulate".into(), "--responder".into(), name]);
            }
        }
        args
    }

    /// Starts the session as filled in, or continues session `resume` of the subject.
    fn start(&mut self, resume: Option<u32>) {
        let subject = self.subject.trim();
        let files = match (&self.experiment(), self.session.trim().parse::<u32>()) {
            (Some(e), _) if !self.practice && self.simulated() => {
                let c = &e.config;
                let (output, subj) = simulated(&c.output, subject);
                resume
                    .map_or_else(|| next_free_session(&output, &c.experiment, &subj), Ok)
                    .and_then(|n| {
                        SessionPaths::new(&output, &c.experiment, &subj, n).map(|p| (p, n))
                    })
                    .ok()
            }
            (Some(e), typed) if !self.practice => {
                let c = &e.config;
                resume.or(typed.ok()).and_then(|n| {
                    SessionPaths::new(&c.output, &c.experiment, subject, n)
                        .ok()
                        .map(|p| (p, n))
                })
            }
            _ => None,
        };
        let (paths, number) = files.unzip();
        let arguments = match resume {
            Some(n) => self.resume_arguments(n),
            None => self.run_arguments(),
        };
        let resume = self.resume_arguments(number.unwrap_or(1));
        let spawned = Command::new(&self.program)
            .args(arguments)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                // Passed on line by line: warnings and unsaved rows reach the console too, and
                // a practice run's score line the results page.
                let stdout = child.stdout.take().map(|pipe| pass_on(pipe, false));
                let stderr = child.stderr.take().map(|pipe| pass_on(pipe, true));
                self.outcome = None;
                self.running = Some(Running {
                    child,
                    paths,
                    resume,
                    stdout,
                    stderr,
                });
            }
            Err(e) => {
                self.outcome = Some(Outcome::failed(format!(
                    "cannot start {}: {e}",
                    self.program.display()
                )));
            }
        }
    }

    /// Draws the page.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.poll();
        if let Some((field, path)) = chosen(&mut self.browser, ui.ctx()) {
            self.take(field, &path);
        }
        if self.running.is_some() {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.heading("Session running");
                ui.label(format!(
                    "subject {}, session {}: the session has its own window; the launcher \
                     returns when it ends.",
                    self.subject.trim(),
                    self.session.trim()
                ));
                ui.spinner();
            });
            return;
        }
        if let Some(outcome) = &self.outcome {
            let back = outcome_ui(ui, outcome);
            if back {
                self.outcome = None;
                // Files may have changed meanwhile (a session run from the command line).
                self.suggest_session();
            }
            return;
        }
        self.form_ui(ui);
    }

    fn form_ui(&mut self, ui: &mut Ui) {
        egui::Grid::new("session form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let label = ui.label("Config file");
                ui.horizontal(|ui| {
                    ui.text_edit_singleline(&mut self.config)
                        .labelled_by(label.id)
                        .on_hover_text(
                            "a relative path is taken from the folder the launcher was \
                             started in",
                        );
                    if ui.button("Reload").clicked() {
                        self.load();
                    }
                    if ui.button("Browse config").clicked() {
                        self.browse(PathField::Config);
                    }
                });
                ui.end_row();
                let own = match &self.loaded {
                    Some(Ok(loaded)) => Some(loaded.own_folders.clone()),
                    _ => None,
                };
                let folders = [
                    (
                        "Stimulus folder",
                        PathField::Stimuli,
                        own.as_ref().map(|o| &o.0),
                    ),
                    (
                        "Output folder",
                        PathField::Output,
                        own.as_ref().map(|o| &o.1),
                    ),
                ];
                for (name, field, own) in folders {
                    let label = ui.label(name);
                    ui.horizontal(|ui| {
                        let hint = own.map_or_else(String::new, |o| {
                            format!("{} (the config's)", o.display())
                        });
                        let text = match field {
                            PathField::Stimuli => &mut self.stimuli,
                            _ => &mut self.output,
                        };
                        let edit = ui
                            .add(egui::TextEdit::singleline(text).hint_text(hint))
                            .labelled_by(label.id)
                            .on_hover_text(
                                "empty: the config's; a relative folder is taken from the \
                                 config's folder",
                            );
                        if edit.lost_focus() {
                            self.reload_if_changed();
                        }
                        if ui
                            .button(format!("Browse {}", name.to_lowercase()))
                            .clicked()
                        {
                            self.browse(field);
                        }
                    });
                    ui.end_row();
                }
                let label = ui.label("Subject code");
                ui.vertical(|ui| {
                    if ui
                        .text_edit_singleline(&mut self.subject)
                        .labelled_by(label.id)
                        .changed()
                    {
                        self.suggest_session();
                    }
                    let subject = self.subject.trim();
                    let writes_data = !(subject.is_empty() || self.practice || self.simulated());
                    if let Some(note) = subject_code_note(subject).filter(|_| writes_data) {
                        ui.colored_label(Color32::from_rgb(230, 160, 40), note);
                    }
                });
                ui.end_row();
                let label = ui.label("Session");
                ui.horizontal(|ui| {
                    ui.add(egui::TextEdit::singleline(&mut self.session).desired_width(60.0))
                        .labelled_by(label.id);
                    if !self.suggested.is_empty() {
                        ui.weak(format!("next free: {}", self.suggested));
                    }
                });
                ui.end_row();
                ui.label("Run");
                ui.horizontal(|ui| {
                    if ui.checkbox(&mut self.practice, "Practice").changed() {
                        self.load();
                    }
                    ui.checkbox(&mut self.windowed, "In a window (pilot)");
                    if self.windowed {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.window_size).desired_width(90.0),
                        )
                        .on_hover_text("window size in pixels, WxH");
                    }
                });
                ui.end_row();
                let fields = self
                    .experiment()
                    .map(|e| e.config.participant_info.clone())
                    .unwrap_or_default();
                for field in &fields {
                    let name = match field.required {
                        true => format!("{} *", field.name),
                        false => field.name.clone(),
                    };
                    let label = ui.label(name);
                    let value = self.info.entry(field.name.clone()).or_default();
                    if field.choices.is_empty() {
                        ui.add(egui::TextEdit::singleline(value).desired_width(120.0))
                            .labelled_by(label.id);
                    } else {
                        ui.horizontal(|ui| {
                            for choice in &field.choices {
                                ui.selectable_value(value, choice.clone(), choice);
                            }
                        });
                    }
                    ui.end_row();
                }
                let label = ui.label("Trials");
                ui.horizontal(|ui| {
                    ui.add(egui::TextEdit::singleline(&mut self.trial_limit).desired_width(60.0))
                        .labelled_by(label.id);
                    ui.weak("only the first N trials (piloting); empty for all");
                });
                ui.end_row();
                ui.label("Participant");
                let before = self.participant;
                ui.horizontal(|ui| {
                    let p = &mut self.participant;
                    ui.selectable_value(p, Participant::Person, "person");
                    ui.selectable_value(
                        p,
                        Participant::Simulated(Responder::Shape),
                        "simulated: shape",
                    );
                    ui.selectable_value(
                        p,
                        Participant::Simulated(Responder::Texture),
                        "simulated: texture",
                    );
                    ui.selectable_value(
                        p,
                        Participant::Simulated(Responder::Random),
                        "simulated: random",
                    );
                });
                if self.participant != before {
                    self.suggest_session();
                }
                ui.end_row();
            });
        if let Some(note) = &self.folders_note {
            ui.colored_label(Color32::from_rgb(230, 160, 40), note);
        }
        ui.separator();
        self.measure_again |= self.preflight_ui(ui);
        if let Some(Ok(loaded)) = &self.loaded {
            checks::sound_ui(ui, &loaded.sound, &mut self.allow_silent);
        }
        ui.separator();
        let problems = self.problems();
        for problem in &problems {
            ui.colored_label(Color32::from_rgb(220, 80, 60), problem);
        }
        let start = ui.add_enabled(
            problems.is_empty(),
            egui::Button::new(RichText::new("Start").size(18.0)),
        );
        if start.clicked() {
            self.start(None);
        }
        self.resume_ui(ui, &problems);
    }

    /// Offers to continue the subject's unfinished last session.
    fn resume_ui(&mut self, ui: &mut Ui, problems: &[String]) {
        let Some((n, progress)) = &self.unfinished else {
            return;
        };
        if self.practice {
            return;
        }
        let n = *n;
        ui.add_space(8.0);
        ui.label(format!(
            "Session {n} of {} is unfinished: {}.",
            self.subject.trim(),
            progress.describe()
        ));
        // Only the session number's own problem may stand: the rest stops a resume too.
        let blocked = problems
            .iter()
            .any(|p| !p.starts_with(&format!("session {n} of ")));
        let resume = ui.add_enabled(!blocked, egui::Button::new(format!("Resume session {n}")));
        if resume.clicked() {
            self.start(Some(n));
        }
    }

    /// Draws the preflight; true when the experimenter asks to measure the refresh again.
    fn preflight_ui(&self, ui: &mut Ui) -> bool {
        ui.strong("Preflight");
        let Some(Ok(loaded)) = &self.loaded else {
            return false;
        };
        let c = &loaded.experiment.config;
        let measured = refresh_line(ui, &self.refresh, c.refresh_hz);
        let again = ui
            .add_enabled(
                self.refresh != Refresh::Measuring,
                egui::Button::new("Measure the refresh again"),
            )
            .on_hover_text("covers the session's monitor with grey frames for about two seconds")
            .clicked();
        let Ok(set) = &loaded.stimuli else {
            return again;
        };
        let hz = measured.unwrap_or(c.refresh_hz);
        let subject = match self.subject.trim() {
            "" => "subject-01",
            s => s,
        };
        let limit = self
            .trial_limit
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1);
        let session = self.session.trim().parse::<u32>().unwrap_or(1).max(1);
        let preflight = Preflight::new(
            &loaded.experiment,
            set,
            subject,
            session,
            self.practice,
            hz,
            limit,
        );
        match preflight {
            Ok(p) => checks::preflight_table(ui, &p, set, &loaded.experiment, self.practice),
            Err(e) => {
                ui.colored_label(Color32::from_rgb(220, 80, 60), e);
            }
        }
        again
    }
}

/// The preflight's display line, the measurement judged against the config's `refresh_hz`
/// as it is now; the rate measured when frames were synchronised to it.
fn refresh_line(ui: &mut Ui, refresh: &Refresh, expected_hz: f64) -> Option<f64> {
    let warn = Color32::from_rgb(230, 160, 40);
    match refresh {
        Refresh::NotMeasured => {
            ui.label(format!(
                "display: not measured yet ({expected_hz} Hz expected)"
            ));
            None
        }
        Refresh::Measuring => {
            ui.label(format!(
                "display: measuring on the session's monitor ... ({expected_hz} Hz expected)"
            ));
            None
        }
        Refresh::Failed(e) => {
            ui.colored_label(warn, format!("display: not measured: {e}"));
            None
        }
        Refresh::Measured {
            monitor,
            monitor_hz,
            estimate,
            compositor,
        } => {
            let hz = estimate.hz();
            let line = format!(
                "display: {hz:.2} Hz measured on {monitor} (SD {:.2} ms), {expected_hz} Hz \
                 expected",
                estimate.sd_ms
            );
            let judged = match compositor {
                true => judge_compositor(estimate, expected_hz, *monitor_hz),
                false => judge(estimate, expected_hz, *monitor_hz),
            };
            match judged.problem {
                None => {
                    ui.label(format!("{line}; synchronised"));
                    Some(hz)
                }
                Some(p) => {
                    ui.colored_label(warn, format!("{line}; {p}"));
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_started_knowingly_without_sound_runs_with_allow_silent() {
        let mut form = SessionForm::new(PathBuf::from("none.yaml"), PathBuf::from("shapelab"));
        form.subject = "subject-01".into();
        assert!(!form.run_arguments().contains(&"--allow-silent".to_string()));
        form.allow_silent = true;
        assert!(form.run_arguments().contains(&"--allow-silent".to_string()));
        form.participant = Participant::Simulated(Responder::Shape);
        assert!(!form.run_arguments().contains(&"--allow-silent".to_string()));
    }
}
