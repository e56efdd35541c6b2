//! The per-trial timing log: planned and shown frames, onsets and late frame intervals of every
//! phase, and what disturbed the trial, so that any trial's timing can be audited after the
//! session.

use std::path::Path;

use super::synced::SyncedFile;
use crate::error::{Error, Result};
use crate::trials::timeline::{TrialTiming, TRIAL_PHASES};
use crate::trials::Trial;

/// The timing log's header line: per phase planned and shown frames, onset and late
/// intervals; then the press and release of the last valid click; then what disturbed it.
pub fn header() -> String {
    let mut columns = vec!["trial".to_string(), "imagename".into(), "mask_seed".into()];
    for phase in TRIAL_PHASES {
        for field in ["planned", "frames", "refreshes", "onset", "late", "short"] {
            columns.push(format!("{}_{field}", phase.name()));
        }
    }
    columns.extend(["click_press".into(), "click_release".into()]);
    columns.push("disturbed".into());
    columns.join(",")
}

/// The `disturbed` field: `late_frames` when any frame interval was late, `short_frames` when
/// any was shorter than half a refresh, then each cause the frame loop reported, separated by
/// `;`; empty for an undisturbed trial.
pub fn disturbed(timing: &TrialTiming) -> String {
    let late = timing.phases.iter().any(|p| p.late_intervals > 0);
    let short = timing.phases.iter().any(|p| p.short_intervals > 0);
    let causes = timing.disturbed.iter().map(|d| d.name());
    let names: Vec<&str> = late
        .then_some("late_frames")
        .into_iter()
        .chain(short.then_some("short_frames"))
        .chain(causes)
        .collect();
    names.join(";")
}

/// One trial's timing as a CSV line.
pub fn line(trial: &Trial, imagename: &str, timing: &TrialTiming) -> String {
    let mut fields = vec![
        trial.number.to_string(),
        imagename.to_string(),
        trial.mask_seed.to_string(),
    ];
    for p in &timing.phases {
        fields.push(p.planned.to_string());
        fields.push(p.frames.to_string());
        fields.push(p.refreshes.to_string());
        fields.push(p.onset.map_or_else(|| "NaN".into(), |t| format!("{t:.6}")));
        fields.push(p.late_intervals.to_string());
        fields.push(p.short_intervals.to_string());
    }
    let seconds = |t: Option<f64>| t.map_or_else(|| "NaN".into(), |t| format!("{t:.6}"));
    let (press, release) = timing.click.map_or((None, None), |(p, r)| (Some(p), r));
    fields.push(seconds(press));
    fields.push(seconds(release));
    fields.push(disturbed(timing));
    fields.join(",") + "\n"
}

/// A timing log's lines split into fields, each line checked against the header.
struct Log {
    path: std::path::PathBuf,
    header: Vec<String>,
    /// Line number (1-based) and fields.
    lines: Vec<(usize, Vec<String>)>,
}

impl Log {
    fn read(path: &Path) -> Result<Log> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "read the timing log", e))?;
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for (i, line) in lines.enumerate() {
            // Image names hold no commas (raw-data fields are not quoted in the lab's files).
            let fields: Vec<String> = line.split(',').map(String::from).collect();
            if fields.len() != header.len() {
                return Err(Error::at_line(
                    path,
                    i + 2,
                    format!("expected {} fields, found {}", header.len(), fields.len()),
                ));
            }
            rows.push((i + 2, fields));
        }
        Ok(Log {
            path: path.to_path_buf(),
            header,
            lines: rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|c| c == name)
    }

    /// A number in a line's field, or an error at its line naming the column.
    fn number<T: std::str::FromStr>(&self, line: usize, fields: &[String], at: usize) -> Result<T> {
        fields[at].parse().map_err(|_| {
            // A number the column cannot hold: its counts are whole and never negative.
            let what = if fields[at].parse::<f64>().is_ok() {
                "is not a whole number of 0 or more"
            } else {
                "is not a number"
            };
            Error::at_line(
                &self.path,
                line,
                format!("{}: '{}' {what}", self.header[at], fields[at]),
            )
        })
    }
}

/// The disturbed trials of a timing log: trial number and the causes (`late_frames;...`).
/// The `trial` and `disturbed` columns are found by name, so the logs of earlier versions of
/// shapelab are read too; a log without a `disturbed` column marks no trial.
pub fn disturbed_trials(path: &Path) -> Result<std::collections::BTreeMap<usize, String>> {
    let log = Log::read(path)?;
    let mut disturbed = std::collections::BTreeMap::new();
    let (Some(trial_at), Some(causes_at)) = (log.column("trial"), log.column("disturbed")) else {
        return Ok(disturbed);
    };
    for (line, fields) in &log.lines {
        let trial = &fields[trial_at];
        let trial: usize = trial
            .parse()
            .map_err(|_| Error::at_line(path, *line, format!("'{trial}' is not a trial number")))?;
        if !fields[causes_at].is_empty() {
            disturbed.insert(trial, fields[causes_at].clone());
        }
    }
    Ok(disturbed)
}

/// One trial's stimulus as the timing log gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct StimulusTiming {
    /// The trial number.
    pub trial: usize,
    /// The stimulus image.
    pub imagename: String,
    /// Frames planned.
    pub planned: u32,
    /// Refreshes it really stayed on screen by the flip log (frames plus missed refreshes).
    pub refreshes: u32,
    /// Its onset by the flip log (s), when it was shown.
    pub onset: Option<f64>,
}

/// Every trial's stimulus in a timing log, in the log's order (a resumed session's lines
/// follow its first run's, with the clock started again).
pub fn stimuli(path: &Path) -> Result<Vec<StimulusTiming>> {
    let log = Log::read(path)?;
    let column = |name: &str| {
        log.column(name).ok_or_else(|| {
            Error::at_line(
                path,
                1,
                format!("has no {name} column; is it a shapelab timing log (*.timing.csv)?"),
            )
        })
    };
    let (trial, image) = (column("trial")?, column("imagename")?);
    let (planned, onset) = (column("stimulus_planned")?, column("stimulus_onset")?);
    // Logs older than the refreshes column count frames only.
    let refreshes = column("stimulus_refreshes").or_else(|_| column("stimulus_frames"))?;
    log.lines
        .iter()
        .map(|(line, fields)| {
            let shown: f64 = log.number(*line, fields, onset)?;
            Ok(StimulusTiming {
                trial: log.number(*line, fields, trial)?,
                imagename: fields[image].clone(),
                planned: log.number(*line, fields, planned)?,
                refreshes: log.number(*line, fields, refreshes)?,
                onset: shown.is_finite().then_some(shown),
            })
        })
        .collect()
}

/// Appends timing rows, each synced to disk.
#[derive(Debug)]
pub struct TimingWriter {
    file: SyncedFile,
}

impl TimingWriter {
    /// Creates a new timing log.
    pub fn create(path: &Path) -> Result<TimingWriter> {
        Ok(TimingWriter {
            file: SyncedFile::create(path, &header())?,
        })
    }

    /// Continues an existing timing log, or starts one when it is missing; refuses a log with
    /// other columns (written by another version of shapelab).
    pub fn resume(path: &Path) -> Result<TimingWriter> {
        if !path.exists() {
            return TimingWriter::create(path);
        }
        let (mut file, text) = SyncedFile::resume(path)?;
        let first = text.lines().next().unwrap_or_default();
        if first.is_empty() {
            file.append(&format!("{}\n", header()))?;
        } else if first != header() {
            return Err(Error::at_line(
                path,
                1,
                "the timing log has other columns than this version of shapelab writes; \
                 move it aside to continue the session",
            ));
        }
        Ok(TimingWriter { file })
    }

    /// Appends a line made by [`line`] and waits until it is on disk.
    pub fn append_line(&mut self, line: &str) -> Result<()> {
        self.file.append(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Category;
    use crate::stimuli::Stimulus;
    use crate::trials::timeline::PhaseTiming;
    use crate::trials::{Disturbance, Disturbances};

    fn trial() -> Trial {
        Trial {
            number: 7,
            stimulus: Stimulus {
                path: "bird/bird1-clock1.png".into(),
                original: "bird1-clock1.png".into(),
                shape: Category::Bird,
                texture: Some(Category::Clock),
                lab: None,
            },
            mask_seed: 42,
        }
    }

    fn timing(late: u32, causes: &[Disturbance]) -> TrialTiming {
        let mut disturbed = Disturbances::default();
        causes.iter().for_each(|&c| disturbed.insert(c));
        let mut phases = [PhaseTiming::default(); 8];
        phases[3].late_intervals = late;
        TrialTiming {
            index: 6,
            phases,
            disturbed,
            click: Some((0.5, None)),
            end_frame: 0,
        }
    }

    fn disturbed_field(timing: &TrialTiming) -> String {
        let line = line(&trial(), "x.png", timing);
        let fields: Vec<&str> = line.trim_end().split(',').collect();
        assert_eq!(fields.len(), header().split(',').count());
        fields.last().map(|f| f.to_string()).unwrap_or_default()
    }

    #[test]
    fn an_undisturbed_trial_has_an_empty_disturbed_field() {
        assert!(header().ends_with(",disturbed"));
        assert_eq!(disturbed_field(&timing(0, &[])), "");
    }

    #[test]
    fn late_frames_come_first_then_each_reported_cause() {
        let both = timing(2, &[Disturbance::StoragePause, Disturbance::Unfocused]);
        assert_eq!(
            disturbed_field(&both),
            "late_frames;window_unfocused;storage_pause"
        );
        assert_eq!(disturbed_field(&timing(1, &[])), "late_frames");
    }

    #[test]
    fn the_press_and_release_of_the_last_click_are_logged_in_seconds() {
        let mut released = timing(0, &[]);
        released.click = Some((0.512, Some(0.634)));
        let header = header();
        let columns: Vec<&str> = header.split(',').collect();
        let line = line(&trial(), "x.png", &released);
        let fields: Vec<&str> = line.trim_end().split(',').collect();
        let field = |name: &str| {
            let i = columns.iter().position(|c| *c == name).expect("column");
            fields[i]
        };
        assert_eq!(field("click_press"), "0.512000");
        assert_eq!(field("click_release"), "0.634000");
        assert_eq!(field("inter_trial_planned"), "0");
        let held = timing(0, &[]);
        let line = super::line(&trial(), "x.png", &held);
        assert!(line.contains(",0.500000,NaN,"), "{line}");
    }

    #[test]
    fn disturbed_trials_are_read_from_this_versions_and_older_logs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.csv");
        let clean = timing(0, &[]);
        let late = timing(1, &[Disturbance::Unfocused]);
        let text = format!(
            "{}\n{}{}",
            header(),
            line(&trial(), "a.png", &clean),
            line(&trial(), "b.png", &late).replacen("7,", "8,", 1)
        );
        std::fs::write(&path, text).expect("written");
        let read = disturbed_trials(&path).expect("read");
        assert_eq!(
            read.into_iter().collect::<Vec<_>>(),
            [(8, "late_frames;window_unfocused".to_string())]
        );
        // An older log: fewer phases, the same two columns.
        std::fs::write(
            &path,
            "trial,imagename,mask_seed,disturbed\n1,a.png,3,\n2,b.png,4,abort_prompt\n",
        )
        .expect("written");
        assert_eq!(disturbed_trials(&path).expect("read").len(), 1);
        std::fs::write(&path, "trial,imagename\n1,a.png\n").expect("written");
        assert!(disturbed_trials(&path).expect("read").is_empty());
    }

    #[test]
    fn the_stimulus_of_every_trial_is_read_by_column_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.timing.csv");
        let mut shown = timing(0, &[]);
        shown.phases[1] = PhaseTiming {
            planned: 12,
            frames: 12,
            refreshes: 13,
            onset: Some(1.25),
            ..Default::default()
        };
        let text = format!("{}\n{}", header(), line(&trial(), "a.png", &shown));
        std::fs::write(&path, &text).expect("written");
        assert_eq!(
            stimuli(&path).expect("read"),
            [StimulusTiming {
                trial: 7,
                imagename: "a.png".into(),
                planned: 12,
                refreshes: 13,
                onset: Some(1.25),
            }]
        );
        std::fs::write(&path, text.replace(",1.250000,", ",soon,")).expect("written");
        assert_eq!(
            stimuli(&path).expect_err("not a number").to_string(),
            format!(
                "{}:2: stimulus_onset: 'soon' is not a number",
                path.display()
            )
        );
        std::fs::write(&path, "trial,imagename\n1,a.png\n").expect("written");
        assert_eq!(
            stimuli(&path).expect_err("no column").to_string(),
            format!(
                "{}:1: has no stimulus_planned column; is it a shapelab timing log (*.timing.csv)?",
                path.display()
            )
        );
    }

    #[test]
    fn a_timing_log_with_other_columns_is_not_continued() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "trial,imagename\n1,x\n").expect("written");
        let err = TimingWriter::resume(&path).expect_err("must refuse");
        assert!(
            err.to_string()
                .contains("t.csv:1: the timing log has other columns"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            "trial,imagename\n1,x\n"
        );
    }
}
