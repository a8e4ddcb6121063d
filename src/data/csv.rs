//! Reading cohorts from CSV: the selected columns, as numbers or as labelled levels, with the file
//! line of every row so that every later error can name it.
//!
//! Quirks of real exports that are handled: a UTF-8 byte-order mark, CRLF line ends, quoted fields,
//! spaces around values, comma / semicolon / tab delimiters (detected from the header line), and
//! missing-value tokens (empty field and `NA` by default).

use crate::model::spec::{format_number, parse_number};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use thiserror::Error;

/// What went wrong, for callers that branch on it; the message and hint are for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataErrorKind {
    Io,
    MalformedCsv,
    MissingColumn,
    DuplicateColumn,
    NotANumber,
    BadTime,
    BadEvent,
    BadWeight,
    NoRows,
    NoEvents,
    TooFewRows,
    UnknownLevel,
    UnknownReference,
    ConstantTerm,
    Collinear,
    TooManyLevels,
    BadOption,
    Encoding,
}

/// An input error that names the file and, where it applies, the line, column and value, with a
/// hint on what to do.
#[derive(Debug, Clone, PartialEq, Error)]
pub struct DataError {
    pub kind: DataErrorKind,
    pub path: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", printable(&self.path, 200))?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{}'", printable(c, 80))?;
        }
        if let Some(v) = &self.value {
            write!(f, ", value '{}'", printable(v, 80))?;
        }
        write!(f, ": {}", printable_lines(&self.message, 2000))?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {}", printable_lines(h, 2000))?;
        }
        Ok(())
    }
}

/// `s` fit for a message: control characters shown as escapes (`\0`, `\u{1b}`), so that no NUL or
/// terminal escape reaches the terminal, and text beyond `max` characters cut with the length said.
pub fn printable(s: &str, max: usize) -> String {
    shown(s, max, false)
}

/// As [`printable`], keeping line breaks (for messages of several lines).
pub fn printable_lines(s: &str, max: usize) -> String {
    shown(s, max, true)
}

fn shown(s: &str, max: usize, keep_lines: bool) -> String {
    let mut out = String::new();
    for (count, c) in s.chars().enumerate() {
        if count == max {
            let total = s.chars().count();
            out.push_str(&format!("… ({total} characters)"));
            return out;
        }
        match c {
            '\n' if keep_lines => out.push('\n'),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// An encoding other than UTF-8 (or ASCII), said before anything else goes wrong because of it:
/// UTF-16 by its byte-order mark or NUL bytes, else the first byte that is not UTF-8 (Latin-1 or
/// Windows-1252, most likely).
fn check_encoding(bytes: &[u8], label: &str) -> Result<(), DataError> {
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    let head = &bytes[..bytes.len().min(4096)];
    if utf16 || head.contains(&0) {
        return Err(DataError::new(
            DataErrorKind::Encoding,
            label,
            if utf16 {
                "the file is in UTF-16 (it starts with a UTF-16 byte-order mark); prognosis reads UTF-8"
            } else {
                "the file holds NUL bytes: it is UTF-16 or not a text file; prognosis reads UTF-8 text"
            },
        )
        .hint(format!(
            "convert it, e.g. iconv -f UTF-16 -t UTF-8 {label} > converted.csv (or save it as \"CSV UTF-8\")"
        )));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        return Err(DataError::new(
            DataErrorKind::Encoding,
            label,
            format!(
                "byte 0x{:02X} is not UTF-8: the file is probably in Latin-1 or Windows-1252",
                bytes[at]
            ),
        )
        .line(line)
        .hint(format!(
            "convert it, e.g. iconv -f LATIN1 -t UTF-8 {label} > converted.csv (or -f WINDOWS-1252)"
        )));
    }
    Ok(())
}

impl DataError {
    pub fn new(kind: DataErrorKind, path: &str, message: impl Into<String>) -> DataError {
        DataError {
            kind,
            path: path.to_string(),
            line: None,
            column: None,
            value: None,
            message: message.into(),
            hint: None,
        }
    }
    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn column(mut self, column: &str) -> Self {
        self.column = Some(column.to_string());
        self
    }
    pub fn value(mut self, value: &str) -> Self {
        self.value = Some(value.to_string());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// How to read a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// Field values that mean "missing". Default: empty field and `NA`.
    pub na_tokens: Vec<String>,
    /// Field delimiter; `None` (default) detects comma, semicolon or tab from the header line.
    pub delimiter: Option<u8>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            na_tokens: vec![String::new(), "NA".to_string()],
            delimiter: None,
        }
    }
}

/// Code of a missing value in a [`Column`]'s codes.
pub const MISSING: u32 = u32::MAX;

/// Above this many distinct values a column whose values are all numbers so far is kept as
/// numbers only (no table of labels), which bounds memory on continuous columns of large files.
const LEVEL_CAP: usize = 10_000;

/// One column as read: the distinct labels in order of first appearance, a code per row, and (when
/// every label is a finite number) the numeric value per row.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Distinct non-missing labels in order of first appearance (empty for a high-cardinality
    /// numeric column).
    pub labels: Vec<String>,
    /// File line of each label's first appearance.
    pub label_lines: Vec<u64>,
    /// Per row: index into `labels`, or [`MISSING`]. Empty for a high-cardinality numeric column.
    pub codes: Vec<u32>,
    /// The values when every non-missing value is a finite number; see [`Column::value`].
    pub numbers: Option<Numbers>,
    /// Number of rows where the value is missing.
    pub missing: usize,
}

/// The numbers of a numeric column: one per row (a column with many distinct values), or one per
/// label, looked up through the row's code (no per-row copy for the usual few-valued column).
#[derive(Debug, Clone)]
pub enum Numbers {
    /// Per row, NaN where missing.
    Dense(Vec<f64>),
    /// Per label.
    ByLabel(Vec<f64>),
}

impl Column {
    pub fn is_numeric(&self) -> bool {
        self.numbers.is_some()
    }

    /// The number in `row` (NaN when missing or when the column is not numeric).
    pub fn value(&self, row: usize) -> f64 {
        match &self.numbers {
            Some(Numbers::Dense(v)) => v[row],
            Some(Numbers::ByLabel(v)) => match self.codes[row] {
                MISSING => f64::NAN,
                c => v[c as usize],
            },
            None => f64::NAN,
        }
    }

    /// All the numbers, one per row (NaN where missing).
    pub fn values(&self) -> Vec<f64> {
        (0..self.codes.len().max(match &self.numbers {
            Some(Numbers::Dense(v)) => v.len(),
            _ => 0,
        }))
            .map(|i| self.value(i))
            .collect()
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match &self.numbers {
            Some(Numbers::Dense(v)) => v[row].is_nan(),
            _ => self.codes[row] == MISSING,
        }
    }

    /// The label in `row` (None when missing).
    pub fn label(&self, row: usize) -> Option<String> {
        if self.codes.is_empty() {
            let v = self.value(row);
            return (!v.is_nan()).then(|| format_number(v));
        }
        let c = self.codes[row];
        (c != MISSING).then(|| self.labels[c as usize].clone())
    }
}

/// The selected columns of a CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file as named by the user, for messages.
    pub path: String,
    /// All column names of the header.
    pub header: Vec<String>,
    pub columns: Vec<Column>,
    /// File line of each row.
    pub lines: Vec<u64>,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

impl Table {
    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

struct Builder {
    name: String,
    index: usize,
    /// Codes of labels of up to 7 bytes, keyed by the bytes packed with their length (the common
    /// case: numbers and short codes; no string comparison needed).
    short: FxHashMap<u64, u32>,
    map: FxHashMap<Box<[u8]>, u32>,
    labels: Vec<String>,
    label_lines: Vec<u64>,
    codes: Vec<u32>,
    all_numeric: bool,
    /// Set once the column switched to numbers-only mode.
    numbers_only: Option<Vec<f64>>,
    missing: usize,
}

fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map_or(b',', |c| c.0)
}

/// Reads the named columns of a CSV file (the first line is the header). `path_label` is how the
/// file is named in messages.
pub fn read_csv(path: &Path, wanted: &[&str], opts: &ReadOptions) -> Result<Table, DataError> {
    let label = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| {
            DataError::new(
                DataErrorKind::Io,
                &label,
                format!("cannot read the file: {e}"),
            )
            .hint("check the path and that the file is readable")
        })?;
    read_csv_bytes(&bytes, &label, wanted, opts)
}

/// As [`read_csv`], from bytes already in memory.
pub fn read_csv_bytes(
    bytes: &[u8],
    label: &str,
    wanted: &[&str],
    opts: &ReadOptions,
) -> Result<Table, DataError> {
    use sha2::{Digest, Sha256};
    check_encoding(bytes, label)?;
    let sha256 = format!("{:x}", Sha256::digest(bytes));
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = opts.delimiter.unwrap_or_else(|| detect_delimiter(body));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let header: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| csv_error(label, body, e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if header.iter().all(|h| h.is_empty()) {
        return Err(DataError::new(
            DataErrorKind::NoRows,
            label,
            "the file is empty: no header line",
        )
        .hint("a cohort file starts with a header line naming its columns"));
    }
    let mut builders = Vec::new();
    for &w in wanted {
        if builders.iter().any(|b: &Builder| b.name == w) {
            continue;
        }
        let positions: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == w)
            .map(|(i, _)| i)
            .collect();
        match positions.len() {
            0 => return Err(missing_column(label, w, &header)),
            1 => {}
            _ => {
                return Err(DataError::new(
                    DataErrorKind::DuplicateColumn,
                    label,
                    format!("the header names column '{w}' {} times", positions.len()),
                )
                .column(w)
                .hint("rename the duplicate columns so that each name is used once"))
            }
        }
        builders.push(Builder {
            name: w.to_string(),
            index: positions[0],
            short: FxHashMap::default(),
            map: FxHashMap::default(),
            labels: Vec::new(),
            label_lines: Vec::new(),
            codes: Vec::new(),
            all_numeric: true,
            numbers_only: None,
            missing: 0,
        });
    }
    let na: Vec<&[u8]> = opts.na_tokens.iter().map(|s| s.as_bytes()).collect();
    // data rows start after the header record
    let data_start = rdr.position().byte() as usize;
    drop(rdr);
    let ranges = split_at_lines(body, data_start);
    let header_len = header.len();
    let parts: Vec<Result<Chunk, DataError>> = ranges
        .par_iter()
        .map(|&(a, b)| {
            let mut own: Vec<Builder> = builders.iter().map(Builder::empty_like).collect();
            let lines = parse_chunk(body, a, b, delimiter, header_len, &na, &mut own, label)?;
            Ok(Chunk {
                builders: own,
                lines,
            })
        })
        .collect();
    let mut lines = Vec::new();
    let mut merged: Option<Vec<Builder>> = None;
    for part in parts {
        let chunk = part?;
        lines.extend(chunk.lines);
        merged = Some(match merged {
            None => chunk.builders,
            Some(mut acc) => {
                for (a, b) in acc.iter_mut().zip(chunk.builders) {
                    a.append(b);
                }
                acc
            }
        });
    }
    let mut builders = merged.unwrap_or_default();
    for b in &mut builders {
        if b.numbers_only.is_none() && b.all_numeric && b.labels.len() > LEVEL_CAP {
            b.switch_to_numbers();
        }
    }
    if lines.is_empty() {
        return Err(DataError::new(
            DataErrorKind::NoRows,
            label,
            "the file has a header but no data rows",
        ));
    }
    let columns = builders.into_iter().map(Builder::finish).collect();
    Ok(Table {
        path: label.to_string(),
        header,
        columns,
        lines,
        sha256,
    })
}

/// Up to 7 bytes packed with their length into one u64 (distinct for distinct byte strings).
fn pack_short(field: &[u8]) -> Option<u64> {
    if field.len() > 7 {
        return None;
    }
    let mut k = field.len() as u64;
    for &b in field {
        k = (k << 8) | b as u64;
    }
    Some(k)
}

/// A parsed piece of the file: per wanted column its builder, and the file line of each row.
struct Chunk {
    builders: Vec<Builder>,
    lines: Vec<u64>,
}

/// Splits the data part of the file, from `start`, into up to one piece per thread (at least
/// 4 MiB each), at line ends that lie outside quoted fields (an even number of quotes before).
fn split_at_lines(body: &[u8], start: usize) -> Vec<(usize, usize)> {
    const MIN_PIECE: usize = 4 << 20;
    let len = body.len().saturating_sub(start);
    let pieces = rayon::current_num_threads().min(len / MIN_PIECE).max(1);
    let mut cuts = vec![start];
    let mut quotes = 0usize;
    let mut counted = start;
    for k in 1..pieces {
        let target = start + len * k / pieces;
        let Some(nl) = body[target..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let mut cut = target + nl + 1;
        quotes += body[counted..cut].iter().filter(|&&b| b == b'"').count();
        counted = cut;
        // inside a quoted field: move on to the next line end outside quotes
        while quotes % 2 == 1 {
            let Some(nl) = body[cut..].iter().position(|&b| b == b'\n') else {
                cut = body.len();
                break;
            };
            let next = cut + nl + 1;
            quotes += body[cut..next].iter().filter(|&&b| b == b'"').count();
            cut = next;
            counted = cut;
        }
        if cut >= body.len() || cut <= *cuts.last().expect("a cut") {
            break;
        }
        cuts.push(cut);
    }
    cuts.push(body.len());
    cuts.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect()
}

/// Parses body[a..b] (whole lines, no header) into `builders`; returns the file line of each row.
#[allow(clippy::too_many_arguments)]
fn parse_chunk(
    body: &[u8],
    a: usize,
    b: usize,
    delimiter: u8,
    header_len: usize,
    na: &[&[u8]],
    builders: &mut [Builder],
    label: &str,
) -> Result<Vec<u64>, DataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(&body[a..b]);
    // reserve for the rows expected from the length of the first lines
    let sample = &body[a..b.min(a + (64 << 10))];
    let sample_lines = sample.iter().filter(|&&c| c == b'\n').count().max(1);
    let expected = (b - a) / (sample.len() / sample_lines).max(1) + 16;
    let mut lines = Vec::with_capacity(expected);
    for bld in builders.iter_mut() {
        bld.codes.reserve(expected);
    }
    let mut lines_at = LineCounter::default();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let mut err = csv_error(label, body, e);
                if let Some(pos) = rdr.position().byte().checked_add(a as u64) {
                    err.line = Some(LineCounter::default().line_of(body, pos as usize));
                }
                return Err(err);
            }
        }
        let pos = rec.position().map_or(0, |p| p.byte() as usize) + a;
        if rec.len() == 1 && rec[0].is_empty() {
            continue; // a blank line
        }
        let line = lines_at.line_of(body, pos);
        if rec.len() != header_len {
            return Err(DataError::new(
                DataErrorKind::MalformedCsv,
                label,
                format!(
                    "malformed CSV line: {} fields where the header has {header_len}",
                    rec.len()
                ),
            )
            .line(line)
            .hint("every line needs as many fields as the header; check for an unquoted delimiter or a missing field"));
        }
        lines.push(line);
        for bld in builders.iter_mut() {
            bld.push(rec[bld.index].trim_ascii(), line, na, label)?;
        }
    }
    Ok(lines)
}

impl Builder {
    fn empty_like(b: &Builder) -> Builder {
        Builder {
            name: b.name.clone(),
            index: b.index,
            short: FxHashMap::default(),
            map: FxHashMap::default(),
            labels: Vec::new(),
            label_lines: Vec::new(),
            codes: Vec::new(),
            all_numeric: true,
            numbers_only: None,
            missing: 0,
        }
    }

    fn push(
        &mut self,
        field: &[u8],
        line: u64,
        na: &[&[u8]],
        label: &str,
    ) -> Result<(), DataError> {
        if na.contains(&field) {
            self.missing += 1;
            match &mut self.numbers_only {
                Some(v) => v.push(f64::NAN),
                None => self.codes.push(MISSING),
            }
            return Ok(());
        }
        if let Some(v) = &mut self.numbers_only {
            let s = String::from_utf8_lossy(field);
            return match parse_number(&s) {
                Some(x) => {
                    v.push(x);
                    Ok(())
                }
                None => Err(self.not_a_number(label, line, &s)),
            };
        }
        let packed = pack_short(field);
        let found = match packed {
            Some(k) => self.short.get(&k).copied(),
            None => self.map.get(field).copied(),
        };
        let code = match found {
            Some(c) => c,
            None => {
                let s = String::from_utf8_lossy(field).into_owned();
                if self.all_numeric && parse_number(&s).is_none() {
                    self.all_numeric = false;
                }
                let c = self.labels.len() as u32;
                match packed {
                    Some(k) => self.short.insert(k, c),
                    None => self.map.insert(field.into(), c),
                };
                self.labels.push(s);
                self.label_lines.push(line);
                c
            }
        };
        self.codes.push(code);
        if self.all_numeric && self.labels.len() > LEVEL_CAP {
            self.switch_to_numbers();
        }
        Ok(())
    }

    fn not_a_number(&self, label: &str, line: u64, value: &str) -> DataError {
        DataError::new(
            DataErrorKind::NotANumber,
            label,
            format!("not a number, in a column with over {LEVEL_CAP} distinct numeric values"),
        )
        .line(line)
        .column(&self.name)
        .value(value)
        .hint(format!(
            "if '{value}' marks a missing value, add --na '{value}'; otherwise correct the value"
        ))
    }

    /// Keeps numbers only (for a column with many distinct numeric values).
    fn switch_to_numbers(&mut self) {
        let values: Vec<f64> = self
            .labels
            .iter()
            .map(|l| parse_number(l).unwrap_or(f64::NAN))
            .collect();
        let v: Vec<f64> = self
            .codes
            .iter()
            .map(|&c| {
                if c == MISSING {
                    f64::NAN
                } else {
                    values[c as usize]
                }
            })
            .collect();
        self.numbers_only = Some(v);
        self.codes = Vec::new();
        self.labels = Vec::new();
        self.label_lines = Vec::new();
        self.map = FxHashMap::default();
        self.short = FxHashMap::default();
    }

    /// Appends the rows of `other` (the next piece of the file).
    fn append(&mut self, mut other: Builder) {
        self.missing += other.missing;
        if self.numbers_only.is_some() || other.numbers_only.is_some() {
            if self.numbers_only.is_none() {
                self.switch_to_numbers();
            }
            if other.numbers_only.is_none() {
                other.switch_to_numbers();
            }
            let tail = other.numbers_only.expect("numbers");
            self.numbers_only.as_mut().expect("numbers").extend(tail);
            return;
        }
        self.all_numeric &= other.all_numeric;
        let remap: Vec<u32> = other
            .labels
            .into_iter()
            .zip(other.label_lines)
            .map(|(l, line)| {
                let packed = pack_short(l.as_bytes());
                let found = match packed {
                    Some(k) => self.short.get(&k).copied(),
                    None => self.map.get(l.as_bytes()).copied(),
                };
                match found {
                    Some(c) => c,
                    None => {
                        let c = self.labels.len() as u32;
                        match packed {
                            Some(k) => self.short.insert(k, c),
                            None => self.map.insert(l.as_bytes().into(), c),
                        };
                        self.labels.push(l);
                        self.label_lines.push(line);
                        c
                    }
                }
            })
            .collect();
        self.codes.extend(other.codes.iter().map(|&c| {
            if c == MISSING {
                MISSING
            } else {
                remap[c as usize]
            }
        }));
    }

    fn finish(self) -> Column {
        if let Some(v) = self.numbers_only {
            return Column {
                name: self.name,
                labels: Vec::new(),
                label_lines: Vec::new(),
                codes: Vec::new(),
                numbers: Some(Numbers::Dense(v)),
                missing: self.missing,
            };
        }
        let numbers = self.all_numeric.then(|| {
            Numbers::ByLabel(
                self.labels
                    .iter()
                    .map(|l| parse_number(l).unwrap_or(f64::NAN))
                    .collect(),
            )
        });
        Column {
            name: self.name,
            labels: self.labels,
            label_lines: self.label_lines,
            codes: self.codes,
            numbers,
            missing: self.missing,
        }
    }
}

/// File line numbers of record starts. The csv reader's own line count is off after blank lines
/// and with CRLF line ends (a record's position can be the line end before it), so lines are
/// counted here: the record starts at the first byte at or after its position that is not a line
/// end, and its line is 1 + the number of '\n' before that byte. Positions come in increasing
/// order, so the count carries on from the previous call (O(file size) in all).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_of(&mut self, body: &[u8], pos: usize) -> u64 {
        let mut start = pos.min(body.len());
        while start < body.len() && (body[start] == b'\n' || body[start] == b'\r') {
            start += 1;
        }
        if start < self.offset {
            self.offset = 0;
            self.newlines = 0;
        }
        self.newlines += body[self.offset..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = start;
        self.newlines + 1
    }
}

fn missing_column(label: &str, name: &str, header: &[String]) -> DataError {
    let close: Vec<&String> = header
        .iter()
        .filter(|h| h.eq_ignore_ascii_case(name) || h.trim_matches('"') == name)
        .collect();
    let mut hint = format!("the columns are: {}", header.join(", "));
    if let Some(c) = close.first() {
        hint = format!("did you mean '{c}'? {hint}");
    }
    DataError::new(
        DataErrorKind::MissingColumn,
        label,
        format!("there is no column '{name}'"),
    )
    .column(name)
    .hint(hint)
}

fn csv_error(label: &str, body: &[u8], e: csv::Error) -> DataError {
    let line = e
        .position()
        .map(|p| LineCounter::default().line_of(body, p.byte() as usize));
    let (message, hint) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            format!("malformed CSV line: {len} fields where the header has {expected_len}"),
            "every line needs as many fields as the header; check for an unquoted delimiter or a missing field",
        ),
        csv::ErrorKind::Io(err) => (format!("cannot read the file: {err}"), "check the file"),
        _ => (format!("malformed CSV: {e}"), "check the quoting on this line"),
    };
    let mut err = DataError::new(DataErrorKind::MalformedCsv, label, message).hint(hint);
    if let Some(l) = line {
        err = err.line(l);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, cols: &[&str]) -> Result<Table, DataError> {
        read_csv_bytes(text.as_bytes(), "t.csv", cols, &ReadOptions::default())
    }

    #[test]
    fn reads_numbers_labels_and_missing() {
        let t = read(
            "\u{feff}\"a\",\"b\",c\r\n1,x,9\r\n2.5,,9\r\nNA,y,9\r\n",
            &["a", "b"],
        )
        .unwrap();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.lines, vec![2, 3, 4]);
        let a = t.column("a").unwrap();
        assert!(a.is_numeric());
        assert_eq!(a.missing, 1);
        assert!(a.is_missing(2));
        let b = t.column("b").unwrap();
        assert!(!b.is_numeric());
        assert_eq!(b.labels, vec!["x", "y"]);
        assert_eq!(b.label(2).as_deref(), Some("y"));
        assert!(b.is_missing(1));
        assert_eq!(t.sha256.len(), 64);
    }

    #[test]
    fn line_numbers_survive_blank_lines_and_crlf() {
        let t = read("a\r\n1\r\n\r\n2\r\n\r\n\r\n3\r\n", &["a"]).unwrap();
        assert_eq!(t.lines, vec![2, 4, 7]);
        let t = read("a\n1\n\n\n2\n", &["a"]).unwrap();
        assert_eq!(t.lines, vec![2, 5]);
        let e = read("a,b\n1,2\n\n\n3\n", &["a"]).unwrap_err();
        assert_eq!(e.line, Some(5));
    }

    #[test]
    fn detects_semicolons_and_tabs() {
        let t = read("a;b\n1;2\n", &["b"]).unwrap();
        assert_eq!(t.column("b").unwrap().values(), vec![2.0]);
        let t = read("a\tb\n1\t2\n", &["a"]).unwrap();
        assert_eq!(t.column("a").unwrap().values(), vec![1.0]);
    }

    #[test]
    fn missing_column_lists_columns() {
        let e = read("age,time\n1,2\n", &["Age2"]).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::MissingColumn);
        assert!(e.to_string().contains("age, time"), "{e}");
    }

    #[test]
    fn malformed_line_is_named() {
        let e = read("a,b\n1,2\n3\n", &["a"]).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::MalformedCsv);
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn infinity_is_not_a_number() {
        let t = read("a\ninf\n1\n", &["a"]).unwrap();
        assert!(!t.column("a").unwrap().is_numeric());
    }

    #[test]
    fn many_distinct_numbers_switch_to_numeric_mode() {
        let mut s = String::from("x\n");
        for i in 0..(LEVEL_CAP + 50) {
            s.push_str(&format!("{}.5\n", i));
        }
        s.push_str("NA\n");
        let t = read(&s, &["x"]).unwrap();
        let c = t.column("x").unwrap();
        assert!(c.is_numeric());
        assert!(matches!(c.numbers, Some(Numbers::Dense(_))));
        assert_eq!(c.value(3), 3.5);
        assert!(c.is_missing(LEVEL_CAP + 50));
        s.push_str("oops\n");
        let e = read(&s, &["x"]).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::NotANumber);
        assert_eq!(e.value.as_deref(), Some("oops"));
    }
}

#[cfg(test)]
mod encoding_and_messages {
    use super::*;

    fn read(bytes: &[u8]) -> DataError {
        read_csv_bytes(bytes, "f.csv", &["time"], &ReadOptions::default()).unwrap_err()
    }

    #[test]
    fn utf16_latin1_and_nul_bytes_are_named_with_the_conversion() {
        let utf16: Vec<u8> = b"\xFF\xFE"
            .iter()
            .copied()
            .chain("time,status\n1,0\n".bytes().flat_map(|b| [b, 0]))
            .collect();
        let e = read(&utf16).to_string();
        assert!(e.contains("UTF-16") && e.contains("iconv -f UTF-16"), "{e}");
        assert!(!e.contains('\0'));
        let e = read(b"time,g\n1,caf\xe9\n").to_string();
        assert!(
            e.contains("line 2") && e.contains("Latin-1") && e.contains("iconv -f LATIN1"),
            "{e}"
        );
        let e = read(b"t\0me,status\n1,0\n").to_string();
        assert!(e.contains("NUL bytes") && !e.contains('\0'), "{e}");
    }

    #[test]
    fn values_in_messages_are_printable_and_short() {
        let long = "x".repeat(10_000_000);
        let e = DataError::new(DataErrorKind::NotANumber, "f.csv", "not a number")
            .value(&format!("{long}\u{1b}[31m"))
            .column("a\0b");
        let text = e.to_string();
        assert!(text.len() < 500, "{}", text.len());
        assert!(text.contains("(10000005 characters)"), "{text}");
        assert!(text.contains("a\\0b") && !text.contains('\0'), "{text}");
        assert_eq!(printable("bell\u{7}", 80), "bell\\u{7}");
    }
}
