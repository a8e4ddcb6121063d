//! Label readers: how one export label becomes a number, a level or a missing value
//! (`number`, `number_in_label`, `map`, `codes`, cut-points), and reading the export.

use super::*;

// =============================================================================================
// Parsing helpers
// =============================================================================================

/// The first number inside a label: "57 years" is 57, "85+ years" is 85, "1.5 cm" is 1.5,
/// "0010" is 10; a minus sign directly before the digits at the start of the label (or after a
/// space) makes it negative. None when the label holds no digit.
pub fn number_in_label(label: &str) -> Option<f64> {
    let b = label.as_bytes();
    let start = b.iter().position(|c| c.is_ascii_digit())?;
    let mut end = start;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    if end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit() {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
    }
    let negative = start > 0 && b[start - 1] == b'-' && (start == 1 || b[start - 2] == b' ');
    let v: f64 = label[start..end].parse().ok()?;
    Some(if negative { -v } else { v })
}

/// The group of `v` for cut-points `at` (strictly increasing): 0 for v < at[0], k for
/// at[k-1] <= v < at[k], at.len() for v >= the last cut-point.
pub fn cut_group(at: &[f64], v: f64) -> usize {
    at.partition_point(|&a| a <= v)
}

/// How reports name the numeric value `v` of a covariate: its label in the `map`, or the
/// `label` of a code range that reads as `v`; None when the specification does not name it.
pub fn value_label(c: &CovariateDef, v: f64) -> Option<String> {
    let is_v = |mv: &MapValue| matches!(mv, MapValue::Number(n) if *n == v);
    match c.read {
        Reader::Map => c
            .map
            .as_ref()
            .and_then(|m| m.0.iter().find(|(_, mv)| is_v(mv)))
            .map(|(l, _)| l.clone()),
        Reader::Codes => c
            .codes
            .as_ref()
            .and_then(|r| r.iter().find(|r| is_v(&r.value) && r.label.is_some()))
            .and_then(|r| r.label.clone()),
        _ => None,
    }
}

/// The value of a code under `ranges` (both ends included), if it lies in one.
pub fn code_value(ranges: &[CodeRange], code: f64) -> Option<&MapValue> {
    ranges
        .iter()
        .find(|r| r.from <= code && code <= r.to)
        .map(|r| &r.value)
}

// =============================================================================================
// Reading the export
// =============================================================================================

/// How the export is read: every field is kept as a label (no missing-value tokens: the
/// specification says which labels are unknown), with the specification's delimiter.
pub fn export_read_options(spec: &StudySpec) -> ReadOptions {
    ReadOptions {
        na_tokens: Vec::new(),
        delimiter: spec.source.delimiter.as_ref().map(|d| d.as_bytes()[0]),
    }
}

/// Reads the columns of `path` that the specification uses.
pub fn read_export(spec: &StudySpec, path: &Path) -> Result<Table, RegistryError> {
    data::read_csv(path, &spec.columns(), &export_read_options(spec))
        .map_err(|e| export_error(spec, e))
}

/// As [`read_export`], from bytes in memory; `label` names them in messages.
pub fn read_export_bytes(
    spec: &StudySpec,
    bytes: &[u8],
    label: &str,
) -> Result<Table, RegistryError> {
    data::read_csv_bytes(bytes, label, &spec.columns(), &export_read_options(spec))
        .map_err(|e| export_error(spec, e))
}

/// Says which field of the specification names a missing column.
pub(super) fn export_error(spec: &StudySpec, mut e: DataError) -> RegistryError {
    if e.kind == DataErrorKind::MissingColumn {
        if let Some(c) = e.column.clone() {
            e.message = format!(
                "there is no column '{c}' (named by {} in {})",
                spec.column_user(&c),
                spec.path
            );
        }
    }
    RegistryError::Data(e)
}

/// Reads the export at `path` and derives the cohort.
pub fn derive_cohort_from_path(spec: &StudySpec, path: &Path) -> Result<Cohort, RegistryError> {
    let table = read_export(spec, path)?;
    derive_cohort(spec, &table)
}

// =============================================================================================
// Evaluating labels
// =============================================================================================

pub(super) const NO_LEVEL: u32 = u32::MAX;

/// What one label gives for an analysis variable.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// The number read (NaN for a level-valued covariate) and the level (NO_LEVEL for numeric).
    Value {
        num: f64,
        level: u32,
    },
    Missing,
    Unknown,
    Bad(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Raw {
    Num(f64),
    Level(u32),
}

pub(super) enum Output {
    Numeric,
    Levels,
    Cut(Vec<f64>),
}

/// A covariate's reader, compiled.
pub(super) struct CovReader<'s> {
    pub(super) def: &'s CovariateDef,
    pub(super) map: Vec<(&'s str, Raw)>,
    pub(super) codes: Vec<(f64, f64, Raw)>,
    pub(super) missing_nums: Vec<f64>,
    pub(super) levels: Vec<String>,
    pub(super) output: Output,
}

impl<'s> CovReader<'s> {
    pub(super) fn new(def: &'s CovariateDef) -> CovReader<'s> {
        let levels = StudySpec::levels_of(def).unwrap_or_default();
        let as_levels = !levels.is_empty() && def.cut.is_none();
        let raw = |v: &MapValue| -> Raw {
            if as_levels {
                let l = v.as_level();
                Raw::Level(levels.iter().position(|x| *x == l).expect("checked level") as u32)
            } else {
                match v {
                    MapValue::Number(x) => Raw::Num(*x),
                    MapValue::Level(_) => unreachable!("checked: numbers only"),
                }
            }
        };
        let map = def
            .map
            .as_ref()
            .map(|m| m.0.iter().map(|(k, v)| (k.as_str(), raw(v))).collect())
            .unwrap_or_default();
        let codes = def
            .codes
            .as_ref()
            .map(|c| c.iter().map(|r| (r.from, r.to, raw(&r.value))).collect())
            .unwrap_or_default();
        let output = match (&def.cut, levels.is_empty()) {
            (Some(c), _) => Output::Cut(c.at.clone()),
            (None, true) => Output::Numeric,
            (None, false) => Output::Levels,
        };
        CovReader {
            def,
            map,
            codes,
            missing_nums: def.missing.iter().filter_map(|m| parse_number(m)).collect(),
            levels,
            output,
        }
    }

    pub(super) fn finish(&self, raw: Raw) -> Slot {
        match raw {
            Raw::Level(l) => Slot::Value {
                num: f64::NAN,
                level: l,
            },
            Raw::Num(v) => match &self.output {
                Output::Numeric => Slot::Value {
                    num: v,
                    level: NO_LEVEL,
                },
                Output::Cut(at) => Slot::Value {
                    num: v,
                    level: cut_group(at, v) as u32,
                },
                Output::Levels => {
                    let l = format_number(v);
                    match self.levels.iter().position(|x| *x == l) {
                        Some(k) => Slot::Value {
                            num: v,
                            level: k as u32,
                        },
                        None => Slot::Unknown,
                    }
                }
            },
        }
    }

    pub(super) fn code(&self, v: f64) -> Slot {
        match self.codes.iter().find(|(a, b, _)| *a <= v && v <= *b) {
            Some((_, _, raw)) => self.finish(*raw),
            None => Slot::Unknown,
        }
    }

    pub(super) fn read_label(&self, label: &str) -> Slot {
        if self.def.missing.iter().any(|m| m == label) {
            return Slot::Missing;
        }
        match self.def.read {
            Reader::Number => match parse_number(label) {
                Some(v) if self.missing_nums.contains(&v) => Slot::Missing,
                Some(v) => self.finish(Raw::Num(v)),
                None => Slot::Unknown,
            },
            Reader::NumberInLabel => match number_in_label(label) {
                Some(v) => self.finish(Raw::Num(v)),
                None => Slot::Unknown,
            },
            Reader::Map => match self.map.iter().find(|(k, _)| *k == label) {
                Some((_, raw)) => self.finish(*raw),
                None => Slot::Unknown,
            },
            Reader::Codes => match parse_number(label) {
                Some(v) if self.missing_nums.contains(&v) => Slot::Missing,
                Some(v) => self.code(v),
                None => Slot::Unknown,
            },
        }
    }

    pub(super) fn read_number(&self, v: f64) -> Slot {
        match self.def.read {
            Reader::Number | Reader::Codes if self.missing_nums.contains(&v) => Slot::Missing,
            Reader::Number => self.finish(Raw::Num(v)),
            Reader::Codes => self.code(v),
            Reader::NumberInLabel | Reader::Map => self.read_label(&format_number(v)),
        }
    }

    pub(super) fn expected(&self) -> Vec<String> {
        let d = self.def;
        let mut e: Vec<String> = match d.read {
            Reader::Number => vec!["a number".into()],
            Reader::NumberInLabel => vec!["a label containing a number (e.g. '57 years')".into()],
            Reader::Map => d
                .map
                .as_ref()
                .map(|m| m.0.iter().map(|(k, _)| format!("'{k}'")).collect())
                .unwrap_or_default(),
            Reader::Codes => vec![format!(
                "a code in {}",
                d.codes
                    .as_ref()
                    .map(|c| c
                        .iter()
                        .map(|r| range_text(r.from, r.to))
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            )],
        };
        if matches!(d.read, Reader::Number | Reader::NumberInLabel)
            && matches!(self.output, Output::Levels)
        {
            e[0] = format!("{} among the levels {}", e[0], quoted(&self.levels));
        }
        e.extend(d.missing.iter().map(|m| format!("'{m}' (missing)")));
        e
    }
}

/// An analysis variable compiled against the export: its column and, per label, its slot.
pub(super) struct VarEval<'t, 's> {
    pub(super) name: &'s str,
    pub(super) used_by: String,
    pub(super) field: String,
    pub(super) col: &'t Column,
    pub(super) kind: VarKind<'s>,
    pub(super) by_code: Vec<Slot>,
    pub(super) missing_code: Slot,
}

pub(super) enum VarKind<'s> {
    Time(&'s TimeSpec),
    Event(&'s EventSpec),
    Cov(CovReader<'s>),
}

impl VarKind<'_> {
    pub(super) fn read_label(&self, label: &str) -> Slot {
        match self {
            VarKind::Time(t) => {
                if t.unknown.iter().any(|u| u == label) {
                    return Slot::Missing;
                }
                match parse_number(label) {
                    Some(v) => time_slot(v),
                    None => Slot::Unknown,
                }
            }
            VarKind::Event(e) => {
                let num = if e.event.iter().any(|l| l == label) {
                    1.0
                } else if e.censor.iter().any(|l| l == label) {
                    0.0
                } else if e.exclude.iter().any(|l| l == label) {
                    return Slot::Missing;
                } else {
                    return Slot::Unknown;
                };
                Slot::Value {
                    num,
                    level: NO_LEVEL,
                }
            }
            VarKind::Cov(c) => c.read_label(label),
        }
    }

    pub(super) fn read_number(&self, v: f64) -> Slot {
        match self {
            VarKind::Time(t) => {
                if t.unknown.iter().any(|u| parse_number(u) == Some(v)) {
                    Slot::Missing
                } else {
                    time_slot(v)
                }
            }
            VarKind::Event(_) => self.read_label(&format_number(v)),
            VarKind::Cov(c) => c.read_number(v),
        }
    }

    pub(super) fn expected(&self) -> Vec<String> {
        match self {
            VarKind::Time(t) => {
                let mut e = vec!["a number >= 0".to_string()];
                e.extend(t.unknown.iter().map(|u| format!("'{u}' (unknown)")));
                e
            }
            VarKind::Event(e) => {
                let mut x: Vec<String> = e.event.iter().map(|l| format!("'{l}' (event)")).collect();
                x.extend(e.censor.iter().map(|l| format!("'{l}' (censoring)")));
                x.extend(e.exclude.iter().map(|l| format!("'{l}' (excluded)")));
                x
            }
            VarKind::Cov(c) => c.expected(),
        }
    }
}

pub(super) fn time_slot(v: f64) -> Slot {
    if v < 0.0 {
        Slot::Bad("negative follow-up time")
    } else {
        Slot::Value {
            num: v,
            level: NO_LEVEL,
        }
    }
}

/// The label of row `i` as written (a number-only column gives the number's shortest text).
pub(super) fn row_label(col: &Column, i: usize) -> String {
    if col.codes.is_empty() {
        return format_number(col.value(i));
    }
    match col.codes[i] {
        MISSING => String::new(),
        c => col.labels[c as usize].clone(),
    }
}

impl<'t, 's> VarEval<'t, 's> {
    pub(super) fn new(
        name: &'s str,
        used_by: String,
        field: String,
        col: &'t Column,
        kind: VarKind<'s>,
    ) -> Self {
        let by_code = col.labels.iter().map(|l| kind.read_label(l)).collect();
        let missing_code = kind.read_label("");
        VarEval {
            name,
            used_by,
            field,
            col,
            kind,
            by_code,
            missing_code,
        }
    }

    #[inline]
    pub(super) fn slot(&self, i: usize) -> Slot {
        if self.col.codes.is_empty() {
            return self.kind.read_number(self.col.value(i));
        }
        match self.col.codes[i] {
            MISSING => self.missing_code,
            c => self.by_code[c as usize],
        }
    }

    pub(super) fn error(
        &self,
        table: &Table,
        spec: &StudySpec,
        i: usize,
        slot: Slot,
    ) -> RegistryError {
        let value = row_label(self.col, i);
        let (kind, message, hint) = match slot {
            Slot::Bad(m) => (
                LabelErrorKind::BadValue,
                m.to_string(),
                format!(
                    "correct the value, or list it as unknown in {} of {}",
                    self.field, spec.path
                ),
            ),
            _ => (
                LabelErrorKind::UnknownLabel,
                "a label the specification does not know".to_string(),
                format!(
                    "add '{value}' to {} in {} (as a value, or as missing), or correct the export",
                    self.field, spec.path
                ),
            ),
        };
        RegistryError::Label(LabelError {
            kind,
            path: table.path.clone(),
            line: table.lines[i],
            column: self.col.name.clone(),
            value,
            used_by: self.used_by.clone(),
            expected: self.kind.expected(),
            spec: spec.path.clone(),
            message,
            hint,
        })
    }
}
