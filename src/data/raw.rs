//! The paper's raw-data CSV: one row per trial, written the moment the trial ends.

use std::path::Path;

use super::synced::SyncedFile;
use crate::categories::Category;
use crate::error::{Error, Result};

/// The header of every raw-data file, exactly as the paper's files have it.
pub const HEADER: &str = "subj,session,trial,rt,object_response,category,condition,imagename";

/// One trial of one observer.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// Subject code or model name.
    pub subj: String,
    /// Session number (kept as written: some files say `1`, none say more).
    pub session: String,
    /// 1-based trial number.
    pub trial: usize,
    /// Response time in seconds; `None` is written `NaN`.
    pub rt: Option<f64>,
    /// The chosen category; `None` is written `na`.
    pub object_response: Option<Category>,
    /// The true (shape) category.
    pub category: Category,
    /// The condition label.
    pub condition: String,
    /// The trial's image name.
    pub imagename: String,
}

impl RawRow {
    /// The row as one CSV line with its newline.
    pub fn to_line(&self) -> String {
        let rt = self
            .rt
            .map_or_else(|| "NaN".to_string(), |rt| format!("{rt:.6}"));
        let response = self.object_response.map_or("na", |c| c.name());
        format!(
            "{},{},{},{},{},{},{},{}\n",
            self.subj,
            self.session,
            self.trial,
            rt,
            response,
            self.category,
            self.condition,
            self.imagename
        )
    }

    /// Parses the fields of one data line; `Err` says which field is wrong.
    pub fn parse(fields: &[&str]) -> std::result::Result<RawRow, String> {
        let [subj, session, trial, rt, response, category, condition, imagename] = fields else {
            return Err(format!("expected 8 fields, found {}", fields.len()));
        };
        let trial = trial
            .parse()
            .map_err(|_| format!("trial '{trial}' is not a whole number"))?;
        let rt = match *rt {
            "NaN" | "nan" | "NA" | "" => None,
            text => match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => return Err(format!("rt '{text}' is not a number of seconds or NaN")),
            },
        };
        let object_response = match *response {
            "na" => None,
            name => Some(name.parse().map_err(|e| format!("object_response: {e}"))?),
        };
        let category = category.parse().map_err(|e| format!("category: {e}"))?;
        Ok(RawRow {
            subj: subj.to_string(),
            session: session.to_string(),
            trial,
            rt,
            object_response,
            category,
            condition: condition.to_string(),
            imagename: imagename.to_string(),
        })
    }
}

/// Reads a raw-data file, checking the header and every row; errors name the file and line.
pub fn read_rows(path: &Path) -> Result<Vec<RawRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", e))?;
    parse_rows(path, &text)
}

/// Parses raw-data text that came from `path` (quoted fields are allowed, as pandas writes them).
pub fn parse_rows(path: &Path, text: &str) -> Result<Vec<RawRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    match records.next() {
        Some(Ok(header)) if header.iter().eq(HEADER.split(',')) => {}
        Some(Ok(header)) => {
            let found: Vec<&str> = header.iter().collect();
            return Err(Error::at_line(
                path,
                1,
                format!(
                    "the header is '{}', expected '{HEADER}'",
                    found.join(",").escape_debug()
                ),
            ));
        }
        Some(Err(e)) => return Err(csv_error(path, &e)),
        None => return Err(Error::in_file(path, "the file is empty (no header)")),
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let line = record.position().map_or(0, |p| p.line()) as usize;
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = record.iter().collect();
        rows.push(RawRow::parse(&fields).map_err(|e| Error::at_line(path, line, e))?);
    }
    Ok(rows)
}

fn csv_error(path: &Path, err: &csv::Error) -> Error {
    match err.position() {
        Some(p) => Error::at_line(
            path,
            p.line() as usize,
            "not valid CSV text (bad quoting or bytes)",
        ),
        None => Error::in_file(path, format!("not valid CSV text ({err})")),
    }
}

/// Appends rows to a raw-data file, each one on disk before `append` returns.
#[derive(Debug)]
pub struct RawDataWriter {
    file: SyncedFile,
}

impl RawDataWriter {
    /// Creates a new file with the header; refuses to touch an existing file.
    pub fn create(path: &Path) -> Result<RawDataWriter> {
        Ok(RawDataWriter {
            file: SyncedFile::create(path, HEADER)?,
        })
    }

    /// Continues an existing file (cutting off a half-written last line); returns the writer
    /// and the complete rows already there.
    pub fn resume(path: &Path) -> Result<(RawDataWriter, Vec<RawRow>)> {
        let (file, text) = SyncedFile::resume(path)?;
        let rows = parse_rows(path, &text)?;
        Ok((RawDataWriter { file }, rows))
    }

    /// Appends one row and waits until it is on disk.
    pub fn append(&mut self, row: &RawRow) -> Result<()> {
        self.file.append(&row.to_line())
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(trial: usize, rt: Option<f64>, response: Option<Category>) -> RawRow {
        RawRow {
            subj: "subject-01".into(),
            session: "1".into(),
            trial,
            rt,
            object_response: response,
            category: Category::Bird,
            condition: "0".into(),
            imagename: format!("{trial:04}_s5n_s01_0_bird_00_bird3-clock2.png"),
        }
    }

    #[test]
    fn rows_are_written_in_the_papers_format() {
        assert_eq!(
            row(1, Some(1.13377118), Some(Category::Bird)).to_line(),
            "subject-01,1,1,1.133771,bird,bird,0,0001_s5n_s01_0_bird_00_bird3-clock2.png\n"
        );
        assert_eq!(
            row(2, None, None).to_line(),
            "subject-01,1,2,NaN,na,bird,0,0002_s5n_s01_0_bird_00_bird3-clock2.png\n"
        );
    }

    #[test]
    fn written_rows_read_back_equal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.csv");
        let mut writer = RawDataWriter::create(&path).expect("created");
        let rows = vec![row(1, Some(0.5), Some(Category::Dog)), row(2, None, None)];
        for r in &rows {
            writer.append(r).expect("written");
        }
        assert_eq!(read_rows(&path).expect("readable"), rows);
    }

    #[test]
    fn bad_rows_are_refused_with_file_and_line() {
        let path = Path::new("d.csv");
        let bad_header = parse_rows(path, "subj,session\n").expect_err("bad header");
        assert!(bad_header
            .to_string()
            .starts_with("d.csv:1: the header is 'subj,session'"));
        let text = format!("{HEADER}\ns,1,1,NaN,na,bird,0,x.png\ns,1,2,fast,bird,bird,0,y.png\n");
        assert_eq!(
            parse_rows(path, &text).expect_err("bad rt").to_string(),
            "d.csv:3: rt 'fast' is not a number of seconds or NaN"
        );
        let text = format!("{HEADER}\ns,1,1,NaN,zebra,bird,0,x.png\n");
        assert!(parse_rows(path, &text)
            .expect_err("bad category")
            .to_string()
            .starts_with("d.csv:2: object_response: unknown category 'zebra'"));
        let text = format!("{HEADER}\ns,1,1,NaN,na,bird\n");
        assert_eq!(
            parse_rows(path, &text).expect_err("short row").to_string(),
            "d.csv:2: expected 8 fields, found 6"
        );
    }
}
