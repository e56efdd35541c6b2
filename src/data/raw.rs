//! The paper's raw-data CSV: one row per trial, written the moment the trial ends.

use std::path::Path;
use std::sync::Arc;

use super::synced::SyncedFile;
use crate::categories::Category;
use crate::error::{Error, Result};

/// The header of every raw-data file, exactly as the paper's files have it.
pub const HEADER: &str = "subj,session,trial,rt,object_response,category,condition,imagename";

/// One trial of one observer.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// Subject code or model name (shared between the rows of a file).
    pub subj: Arc<str>,
    /// Session number (kept as written: some files say `1`, none say more).
    pub session: Arc<str>,
    /// 1-based trial number.
    pub trial: usize,
    /// Response time in seconds; `None` is written `NaN`.
    pub rt: Option<f64>,
    /// The chosen category; `None` is written `na`.
    pub object_response: Option<Category>,
    /// The true (shape) category.
    pub category: Category,
    /// The condition label.
    pub condition: Arc<str>,
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

    /// Parses the fields of one data line, sharing repeated texts; `Err` says which field is
    /// wrong.
    fn parse(fields: &[&str], repeated: &mut RowTexts) -> std::result::Result<RawRow, String> {
        let [subj, session, trial, rt, response, category, condition, imagename] = fields else {
            return Err(format!("expected 8 fields, found {}", fields.len()));
        };
        let trial = trial
            .parse()
            .map_err(|_| format!("trial '{trial}' is not a whole number"))?;
        let rt = match *rt {
            "NaN" | "nan" | "NA" | "" => None,
            text => match seconds(text) {
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
            subj: repeated.subj.share(subj),
            session: repeated.session.share(session),
            trial,
            rt,
            object_response,
            category,
            condition: repeated.condition.share(condition),
            imagename: imagename.to_string(),
        })
    }
}

/// A response time as written (`0.532118`), read exactly as `str::parse` reads it: short
/// plain decimals take a fast path (mantissa and power of ten both exact in an f64, so one
/// correctly rounded division), anything else the standard parser.
fn seconds(text: &str) -> std::result::Result<f64, std::num::ParseFloatError> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let digits = whole.len() + fraction.len();
    if !whole.is_empty() && digits <= 15 && plain(whole) && plain(fraction) {
        let mantissa = whole
            .bytes()
            .chain(fraction.bytes())
            .fold(0u64, |m, b| m * 10 + u64::from(b - b'0'));
        return Ok(mantissa as f64 / POWERS[fraction.len()]);
    }
    text.parse()
}

/// The texts that repeat on every row of a file, each kept once and shared: most of the cost
/// of reading 800,000 rows was copying them.
#[derive(Default)]
struct RowTexts {
    subj: Repeated,
    session: Repeated,
    condition: Repeated,
}

/// The values one field has taken in a file.
#[derive(Default)]
struct Repeated {
    seen: Vec<Arc<str>>,
}

impl Repeated {
    /// Enough for any real file; beyond it texts are simply not shared.
    const LIMIT: usize = 64;

    fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(known) = self.seen.iter().find(|known| ***known == *text) {
            return Arc::clone(known);
        }
        let new: Arc<str> = Arc::from(text);
        if self.seen.len() < Repeated::LIMIT {
            self.seen.push(Arc::clone(&new));
        }
        new
    }
}

/// Reads a raw-data file, checking the header and every row; errors name the file and line.
pub fn read_rows(path: &Path) -> Result<Vec<RawRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", e))?;
    parse_rows(path, &text)
}

/// Parses raw-data text that came from `path` (quoted fields are allowed, as pandas writes them).
pub fn parse_rows(path: &Path, text: &str) -> Result<Vec<RawRow>> {
    // Quotes and lone carriage returns need a full CSV reader; the files shapelab and the
    // paper write have neither and are split by hand, several times faster.
    parse_plain_rows(path, text).unwrap_or_else(|| parse_quoted_rows(path, text))
}

/// The rows of text without quotes or lone carriage returns; `None` when it has either.
fn parse_plain_rows(path: &Path, text: &str) -> Option<Result<Vec<RawRow>>> {
    let bytes = text.as_bytes();
    let needs_csv = memchr::memchr2_iter(b'"', b'\r', bytes)
        .any(|i| bytes[i] == b'"' || bytes.get(i + 1) != Some(&b'\n'));
    if needs_csv {
        return None;
    }
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.is_empty());
    let Some((number, header)) = lines.next() else {
        return Some(Err(Error::in_file(path, "the file is empty (no header)")));
    };
    let mut fields = Vec::with_capacity(8);
    split_plain_fields(header, &mut fields);
    if let Err(e) = check_header(path, number, fields.iter().copied()) {
        return Some(Err(e));
    }
    let mut repeated = RowTexts::default();
    // The paper's rows are about 90 bytes: room for all of them without regrowing.
    let mut rows = Vec::with_capacity(text.len() / 64);
    for (number, line) in lines {
        split_plain_fields(line, &mut fields);
        if line.trim().is_empty() {
            continue;
        }
        match RawRow::parse(&fields, &mut repeated) {
            Ok(row) => rows.push(row),
            Err(e) => return Some(Err(Error::at_line(path, number, e))),
        }
    }
    Some(Ok(rows))
}

/// The comma-separated fields of an unquoted line (without its line end), eight bytes at a
/// time (fields are too short for a searcher such as `str::split`'s or memchr's to pay off).
fn split_plain_fields<'a>(line: &'a str, fields: &mut Vec<&'a str>) {
    fields.clear();
    let mut start = 0;
    let mut push = |comma: usize| {
        fields.push(&line[start..comma]);
        start = comma + 1;
    };
    let mut words = line.as_bytes().chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let word = <[u8; 8]>::try_from(word).expect("chunks of eight");
        let mut commas = comma_bits(u64::from_le_bytes(word));
        while commas != 0 {
            push(base + commas.trailing_zeros() as usize / 8);
            commas &= commas - 1;
        }
        base += 8;
    }
    for (i, &byte) in words.remainder().iter().enumerate() {
        if byte == b',' {
            push(base + i);
        }
    }
    fields.push(&line[start..]);
}

/// The high bit of every byte of `word` that is a comma, the other bits clear (no carries
/// between bytes, so no false matches).
fn comma_bits(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let zero_at_commas = word ^ u64::from_le_bytes([b','; 8]);
    !(((zero_at_commas & LOW7) + LOW7) | zero_at_commas | LOW7)
}

fn check_header<'a>(
    path: &Path,
    line: usize,
    header: impl Iterator<Item = &'a str> + Clone,
) -> Result<()> {
    // Column names are compared as model-vs-human's loader compares them, lowercased: its
    // 12 distortion datasets spell the second column `Session`.
    if header
        .clone()
        .map(str::to_ascii_lowercase)
        .eq(HEADER.split(','))
    {
        return Ok(());
    }
    let found: Vec<&str> = header.collect();
    Err(Error::at_line(
        path,
        line,
        format!(
            "the header is '{}', expected '{HEADER}'",
            found.join(",").escape_debug()
        ),
    ))
}

fn parse_quoted_rows(path: &Path, text: &str) -> Result<Vec<RawRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut records = reader.records();
    let mut line_of =
        |position: Option<&csv::Position>| lines.line_at(position.map_or(0, |p| p.byte() as usize));
    match records.next() {
        Some(Ok(header)) => check_header(path, line_of(header.position()), header.iter())?,
        Some(Err(e)) => return Err(csv_error(path, line_of(e.position()), &e)),
        None => return Err(Error::in_file(path, "the file is empty (no header)")),
    }
    let mut repeated = RowTexts::default();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(path, line_of(e.position()), &e))?;
        let line = line_of(record.position());
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = record.iter().collect();
        rows.push(
            RawRow::parse(&fields, &mut repeated).map_err(|e| Error::at_line(path, line, e))?,
        );
    }
    Ok(rows)
}

/// Line numbers of records from their byte offsets, counted forward once (the csv crate's
/// own line numbers do not always count the blank lines it skips).
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `byte` (after any blank lines there).
    fn line_at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte > self.byte {
            self.line += self.text[self.byte..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.byte = byte;
        }
        let blank = self.text[self.byte..]
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .filter(|&&b| b == b'\n')
            .count();
        self.line + blank
    }
}

fn csv_error(path: &Path, line: usize, err: &csv::Error) -> Error {
    if err.position().is_some() {
        Error::at_line(path, line, "not valid CSV text (bad quoting or bytes)")
    } else {
        Error::in_file(path, format!("not valid CSV text ({err})"))
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

    /// Appends a row already made by [`RawRow::to_line`] and waits until it is on disk.
    pub fn append_line(&mut self, line: &str) -> Result<()> {
        self.file.append(line)
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

    /// The same text with every field quoted, as pandas may write it.
    fn quoted(text: &str) -> String {
        text.lines()
            .map(|line| {
                let fields: Vec<String> = line.split(',').map(|f| format!("\"{f}\"")).collect();
                fields.join(",") + "\n"
            })
            .collect()
    }

    #[test]
    fn windows_line_ends_blank_lines_and_quotes_read_the_same_rows() {
        let path = Path::new("w.csv");
        let text = format!(
            "{HEADER}\ns,1,1,0.5,cat,cat,0,a_cat1-dog2.png\n\n  \ns,1,2,NaN,na,dog,0,b.png\n"
        );
        let rows = parse_rows(path, &text).expect("plain");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            parse_rows(path, &text.replace('\n', "\r\n")).expect("crlf"),
            rows
        );
        assert_eq!(parse_rows(path, &quoted(&text)).expect("quoted"), rows);
        let bad = format!("{HEADER}\r\n\r\ns,1,1,soon,cat,cat,0,a.png\r\n");
        for text in [bad.clone(), quoted(&bad)] {
            assert_eq!(
                parse_rows(path, &text).expect_err("bad rt").to_string(),
                "w.csv:3: rt 'soon' is not a number of seconds or NaN"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn response_times_read_exactly_as_the_standard_parser_reads_them(
            text in "[0-9]{0,9}(\\.[0-9]{0,9})?|[0-9]{1,3}\\.[0-9]{0,20}|[-+0-9.eE]{0,8}",
        ) {
            let fast = seconds(&text).ok().map(f64::to_bits);
            let standard = text.parse::<f64>().ok().map(f64::to_bits);
            proptest::prop_assert_eq!(fast, standard);
        }

        #[test]
        fn the_quick_reader_and_the_csv_reader_agree(
            lines in proptest::collection::vec(
                "[a-z0-9 .,-]{0,12}(,[a-zA-Z0-9 .\"\r-]{0,10}){0,9}",
                0..6,
            ),
        ) {
            let text = format!("{HEADER}\n{}\n", lines.join("\n"));
            let path = Path::new("p.csv");
            let plain = parse_rows(path, &text).map_err(|e| e.to_string());
            let full = parse_quoted_rows(path, &text).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(plain, full);
        }
    }

    #[test]
    fn column_names_are_read_in_any_case_as_model_vs_human_reads_them() {
        let path = Path::new("colour_subject-01_session_1.csv");
        let header = HEADER.replace("session", "Session");
        let text = format!("{header}\nsubject-01,1,1,0.79,oven,oven,cr,0001_cl_s01_cr_oven_40_n04111531_14126.png\n");
        let rows = parse_rows(path, &text).expect("Session is session");
        assert_eq!(&*rows[0].condition, "cr");
        let misspelt = HEADER.replace("session", "sesion");
        let err = parse_rows(path, &format!("{misspelt}\n")).expect_err("misspelt");
        assert_eq!(
            err.to_string(),
            format!("colour_subject-01_session_1.csv:1: the header is '{misspelt}', expected '{HEADER}'")
        );
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

    #[test]
    fn a_quoted_value_with_line_breaks_is_quoted_back_on_one_line() {
        // Found by fuzzing: the value was echoed with its line breaks.
        let text = format!("{HEADER}\ns,1,1,NaN,na,\"bi\nrd\",0,x.png\n");
        let err = parse_rows(Path::new("q.csv"), &text).expect_err("bad category");
        assert!(
            err.to_string()
                .starts_with("q.csv:2: category: unknown category 'bi\\nrd' (expected one of"),
            "{err}"
        );
    }
}
