//! From a table read from CSV to the inputs of a fit: outcome, design matrix, weights and strata,
//! with complete-case filtering, categorical coding and errors that name file, line, column and
//! value.

use crate::data::csv::{
    format_number, parse_number, Column, DataError, DataErrorKind, Table, MISSING,
};
use crate::stats::cox::{CoxError, Design, Ties};
use crate::stats::surv::{Surv, SurvError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a covariate enters the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CovariateKind {
    /// One term, the value itself.
    Numeric,
    /// One dummy term `NAME=LEVEL` per level other than the reference.
    Categorical {
        levels: Vec<String>,
        reference: String,
    },
}

/// A covariate of the model specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateSpec {
    pub name: String,
    #[serde(flatten)]
    pub kind: CovariateKind,
}

impl CovariateSpec {
    /// Names of the model terms this covariate contributes.
    pub fn terms(&self) -> Vec<String> {
        match &self.kind {
            CovariateKind::Numeric => vec![self.name.clone()],
            CovariateKind::Categorical { levels, reference } => levels
                .iter()
                .filter(|l| *l != reference)
                .map(|l| format!("{}={}", self.name, l))
                .collect(),
        }
    }

    /// The terms' values for one label (a numeric value as text, or a level).
    fn encode(&self, label: &str) -> Result<Vec<f64>, String> {
        match &self.kind {
            CovariateKind::Numeric => parse_number(label)
                .map(|v| vec![v])
                .ok_or_else(|| "not a number".to_string()),
            CovariateKind::Categorical { levels, reference } => {
                let level = match_level(levels, label).ok_or_else(|| {
                    format!("unknown level; the levels are: {}", levels.join(", "))
                })?;
                Ok(levels
                    .iter()
                    .filter(|l| *l != reference)
                    .map(|l| if *l == level { 1.0 } else { 0.0 })
                    .collect())
            }
        }
    }
}

/// Finds `label` among `levels`: exactly, or as the same number ("1.0" for "1").
fn match_level(levels: &[String], label: &str) -> Option<String> {
    if let Some(l) = levels.iter().find(|l| *l == label) {
        return Some(l.clone());
    }
    let v = parse_number(label)?;
    levels.iter().find(|l| parse_number(l) == Some(v)).cloned()
}

/// Stratification: the column and its levels (stratum code = index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrataSpec {
    pub column: String,
    pub levels: Vec<String>,
}

/// Everything needed to read an outcome and covariates from a file the way the model was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub time: String,
    pub event: String,
    /// Labels of the event column that mean the event.
    pub event_values: Vec<String>,
    /// Labels that mean censoring; empty means every other label.
    pub censor_values: Vec<String>,
    pub covariates: Vec<CovariateSpec>,
    pub strata: Option<StrataSpec>,
    pub weights: Option<String>,
    pub ties: Ties,
    /// Unit of the time column, e.g. "months" (free text, for display).
    pub time_unit: Option<String>,
}

impl ModelSpec {
    pub fn terms(&self) -> Vec<String> {
        self.covariates.iter().flat_map(|c| c.terms()).collect()
    }
}

/// What the user asks for when fitting from a file.
#[derive(Debug, Clone, Default)]
pub struct FitRequest {
    pub time: String,
    pub event: String,
    pub covariates: Vec<String>,
    pub ties: Ties,
    pub strata: Option<String>,
    pub weights: Option<String>,
    /// Reference level per categorical covariate.
    pub reference: BTreeMap<String, String>,
    /// Covariates to treat as categorical even when their values are numbers.
    pub categorical: Vec<String>,
    /// Labels meaning the event (default "1").
    pub event_values: Vec<String>,
    /// Labels meaning censoring (default "0" when event_values is empty, else all other labels).
    pub censor_values: Vec<String>,
    pub time_unit: Option<String>,
}

impl FitRequest {
    /// All columns the request reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut c = vec![self.time.as_str(), self.event.as_str()];
        c.extend(self.covariates.iter().map(|s| s.as_str()));
        c.extend(self.strata.as_deref());
        c.extend(self.weights.as_deref());
        c
    }
}

/// Counts of the complete-case selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowCounts {
    pub read: usize,
    pub used: usize,
    pub dropped: usize,
    /// Per column read: rows where it was missing.
    pub missing: Vec<ColumnMissing>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMissing {
    pub column: String,
    pub missing: usize,
}

/// Fit inputs derived from a table.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub spec: ModelSpec,
    pub design: Design,
    pub surv: Surv,
    pub weights: Option<Vec<f64>>,
    pub strata: Option<Vec<usize>>,
    /// Table rows used, in order.
    pub rows: Vec<usize>,
    pub counts: RowCounts,
}

/// Sorts labels as R sorts factor levels of numbers (numerically), others by bytes; numbers first.
pub fn sort_levels(levels: &mut [String]) {
    levels.sort_by(|a, b| match (parse_number(a), parse_number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
}

fn err(table: &Table, kind: DataErrorKind, message: impl Into<String>) -> DataError {
    DataError::new(kind, &table.path, message)
}

/// The first non-numeric label of a column, with its line.
fn first_non_number(col: &Column) -> Option<(String, u64)> {
    col.labels
        .iter()
        .zip(&col.label_lines)
        .filter(|(l, _)| parse_number(l).is_none())
        .min_by_key(|(_, &line)| line)
        .map(|(l, &line)| (l.clone(), line))
}

fn numeric_column(table: &Table, name: &str, role: &str) -> Result<Vec<f64>, DataError> {
    let col = table.column(name).expect("column was read");
    match &col.numbers {
        Some(_) => Ok(col.values()),
        None => {
            let (value, line) = first_non_number(col).expect("a non-numeric column has a label");
            Err(err(
                table,
                DataErrorKind::NotANumber,
                format!("the {role} column must hold numbers"),
            )
            .line(line)
            .column(name)
            .value(&value)
            .hint(format!(
                "if '{value}' marks a missing value, add --na '{value}'; otherwise correct it"
            )))
        }
    }
}

/// The labels meaning event and censoring: as given; the event defaults to "1", and censoring to
/// "0" when neither is given, to every other label when only the event labels are given.
fn event_coding(event_values: &[String], censor_values: &[String]) -> (Vec<String>, Vec<String>) {
    let ev = if event_values.is_empty() {
        vec!["1".to_string()]
    } else {
        event_values.to_vec()
    };
    let cens = if censor_values.is_empty() && event_values.is_empty() {
        vec!["0".to_string()]
    } else {
        censor_values.to_vec()
    };
    (ev, cens)
}

/// Maps each row's event label to Some(true/false) (None when missing), checking every label.
fn event_column(
    table: &Table,
    name: &str,
    event_values: &[String],
    censor_values: &[String],
) -> Result<Vec<Option<bool>>, DataError> {
    let col = table.column(name).expect("column was read");
    let (ev, cens) = event_coding(event_values, censor_values);
    let matches = |set: &[String], label: &str| match_level(set, label).is_some();
    let n = table.n_rows();
    if col.codes.is_empty() {
        // a numbers-only column: events are 0/1 numbers
        return (0..n)
            .map(|i| {
                let v = col.value(i);
                if v.is_nan() {
                    return Ok(None);
                }
                let label = format_number(v);
                if matches(&ev, &label) {
                    Ok(Some(true))
                } else if cens.is_empty() || matches(&cens, &label) {
                    Ok(Some(false))
                } else {
                    Err(bad_event(table, name, &label, table.lines[i], &ev, &cens))
                }
            })
            .collect();
    }
    let mut meaning = Vec::with_capacity(col.labels.len());
    for (label, &line) in col.labels.iter().zip(&col.label_lines) {
        if matches(&ev, label) {
            meaning.push(true);
        } else if cens.is_empty() || matches(&cens, label) {
            meaning.push(false);
        } else {
            return Err(bad_event(table, name, label, line, &ev, &cens));
        }
    }
    Ok(col
        .codes
        .iter()
        .map(|&c| (c != MISSING).then(|| meaning[c as usize]))
        .collect())
}

fn bad_event(
    table: &Table,
    name: &str,
    label: &str,
    line: u64,
    ev: &[String],
    cens: &[String],
) -> DataError {
    err(
        table,
        DataErrorKind::BadEvent,
        format!(
            "the event value is neither an event ({}) nor censoring ({})",
            ev.join(", "),
            cens.join(", ")
        ),
    )
    .line(line)
    .column(name)
    .value(label)
    .hint("name the event label with --event-value and the censoring labels with --censor-value, or mark unknowns with --na")
}

/// Builds the fit inputs for `req` from `table`: complete cases, outcome, design.
pub fn prepare(table: &Table, req: &FitRequest) -> Result<Prepared, DataError> {
    let n = table.n_rows();
    for c in &req.categorical {
        if !req.covariates.contains(c) {
            return Err(err(
                table,
                DataErrorKind::BadOption,
                format!("--categorical names '{c}', which is not a covariate"),
            )
            .hint(format!("the covariates are: {}", req.covariates.join(", "))));
        }
    }
    for c in req.reference.keys() {
        if !req.covariates.contains(c) {
            return Err(err(
                table,
                DataErrorKind::BadOption,
                format!("--reference names '{c}', which is not a covariate"),
            )
            .hint(format!("the covariates are: {}", req.covariates.join(", "))));
        }
    }
    let time = numeric_column(table, &req.time, "time")?;
    let event = event_column(table, &req.event, &req.event_values, &req.censor_values)?;
    let weights = match &req.weights {
        Some(w) => Some(numeric_column(table, w, "weights")?),
        None => None,
    };
    // value checks on every non-missing value, in file order
    for i in 0..n {
        let t = time[i];
        if !t.is_nan() && t < 0.0 {
            return Err(err(table, DataErrorKind::BadTime, "negative follow-up time")
                .line(table.lines[i])
                .column(&req.time)
                .value(&format_number(t))
                .hint("times must be >= 0; check the unit and the sign, or mark the value missing"));
        }
        if let (Some(w), Some(name)) = (&weights, &req.weights) {
            if !w[i].is_nan() && w[i] <= 0.0 {
                return Err(err(
                    table,
                    DataErrorKind::BadWeight,
                    "case weights must be positive",
                )
                .line(table.lines[i])
                .column(name)
                .value(&format_number(w[i]))
                .hint("remove rows with zero weight or correct the value"));
            }
        }
    }

    // complete cases
    let used_cols = req.columns();
    let cols: Vec<&Column> = used_cols
        .iter()
        .map(|c| table.column(c).expect("column was read"))
        .collect();
    let rows: Vec<usize> = (0..n)
        .filter(|&i| cols.iter().all(|c| !c.is_missing(i)))
        .collect();
    let mut missing: Vec<ColumnMissing> = Vec::new();
    for c in &cols {
        if !missing.iter().any(|m| m.column == c.name) {
            missing.push(ColumnMissing {
                column: c.name.clone(),
                missing: c.missing,
            });
        }
    }
    let counts = RowCounts {
        read: n,
        used: rows.len(),
        dropped: n - rows.len(),
        missing,
    };
    if rows.is_empty() {
        return Err(err(
            table,
            DataErrorKind::TooFewRows,
            format!("no complete rows: each of the {n} rows misses a value in a used column"),
        )
        .hint(missing_hint(&counts)));
    }

    // covariate specifications
    let mut specs = Vec::new();
    for name in &req.covariates {
        let col = table.column(name).expect("column was read");
        let forced = req.categorical.contains(name);
        let kind = if col.is_numeric() && !forced {
            if let Some(r) = req.reference.get(name) {
                return Err(err(
                    table,
                    DataErrorKind::BadOption,
                    format!(
                        "--reference {name}={r}: '{name}' is numeric, it has no reference level"
                    ),
                )
                .column(name)
                .hint(format!(
                    "add --categorical {name} to treat its values as levels"
                )));
            }
            CovariateKind::Numeric
        } else {
            categorical_kind(table, col, &rows, req.reference.get(name), forced)?
        };
        specs.push(CovariateSpec {
            name: name.clone(),
            kind,
        });
    }
    let strata_spec = match &req.strata {
        Some(s) => {
            let col = table.column(s).expect("column was read");
            let mut levels = used_labels(col, &rows);
            sort_levels(&mut levels);
            Some(StrataSpec {
                column: s.clone(),
                levels,
            })
        }
        None => None,
    };
    let spec = ModelSpec {
        time: req.time.clone(),
        event: req.event.clone(),
        event_values: event_coding(&req.event_values, &req.censor_values).0,
        censor_values: event_coding(&req.event_values, &req.censor_values).1,
        covariates: specs,
        strata: strata_spec,
        weights: req.weights.clone(),
        ties: req.ties,
        time_unit: req.time_unit.clone(),
    };

    let names = spec.terms();
    let p = names.len();
    let m = rows.len();
    if m <= p {
        return Err(err(
            table,
            DataErrorKind::TooFewRows,
            format!("{m} complete rows are too few for {p} model terms"),
        )
        .hint(
            format!(
                "a Cox model needs more complete rows than terms; use fewer covariates or fewer levels. {}",
                missing_hint(&counts)
            )
            .trim_end()
            .to_string(),
        ));
    }
    // per covariate: its column and, for a categorical one, the dummy values of each label code
    enum Coder<'a> {
        Numeric(&'a Column),
        ByCode(&'a [u32], Vec<Vec<f64>>),
        ByLabel(&'a Column, &'a CovariateSpec),
    }
    let coders: Vec<Coder> = spec
        .covariates
        .iter()
        .map(|cs| {
            let col = table.column(&cs.name).expect("column was read");
            match (&cs.kind, &col.numbers) {
                (CovariateKind::Numeric, Some(_)) => Coder::Numeric(col),
                (CovariateKind::Categorical { .. }, _) if !col.codes.is_empty() => Coder::ByCode(
                    &col.codes,
                    col.labels
                        .iter()
                        .map(|l| cs.encode(l).unwrap_or_default())
                        .collect(),
                ),
                _ => Coder::ByLabel(col, cs),
            }
        })
        .collect();
    let mut x = Vec::with_capacity(m * p);
    for &i in &rows {
        for coder in &coders {
            match coder {
                Coder::Numeric(col) => x.push(col.value(i)),
                Coder::ByCode(codes, dummies) => x.extend_from_slice(&dummies[codes[i] as usize]),
                Coder::ByLabel(col, cs) => {
                    let label = col.label(i).expect("complete row");
                    x.extend(cs.encode(&label).expect("level of the complete rows"));
                }
            }
        }
    }
    let design = Design::new(x, m, names).map_err(|e| cox_error(table, &spec, e))?;
    let surv = Surv::new(
        rows.iter().map(|&i| time[i]).collect(),
        rows.iter()
            .map(|&i| event[i].expect("complete row"))
            .collect(),
    )
    .map_err(|e| surv_error(table, &req.time, &rows, e))?;
    if surv.n_events() == 0 {
        let col = table.column(&req.event).expect("column was read");
        return Err(err(
            table,
            DataErrorKind::NoEvents,
            format!(
                "no events among the {m} complete rows: every subject is censored (event labels: {})",
                spec.event_values.join(", ")
            ),
        )
        .column(&req.event)
        .hint(format!(
            "the column's values are: {}; name the event label with --event-value",
            col.labels.join(", ")
        )));
    }
    let weights = weights.map(|w| rows.iter().map(|&i| w[i]).collect());
    let strata_codes: Option<(&Column, Vec<usize>)> = spec.strata.as_ref().map(|s| {
        let col = table.column(&s.column).expect("column was read");
        let by_code = col
            .labels
            .iter()
            .map(|l| s.levels.iter().position(|x| x == l).unwrap_or(usize::MAX))
            .collect();
        (col, by_code)
    });
    let strata = strata_codes.map(|(col, by_code)| {
        rows.iter()
            .map(|&i| {
                if col.codes.is_empty() {
                    let l = col.label(i).expect("complete row");
                    let s = spec.strata.as_ref().expect("strata");
                    s.levels.iter().position(|x| *x == l).expect("level")
                } else {
                    by_code[col.codes[i] as usize]
                }
            })
            .collect()
    });
    Ok(Prepared {
        spec,
        design,
        surv,
        weights,
        strata,
        rows,
        counts,
    })
}

fn missing_hint(counts: &RowCounts) -> String {
    let parts: Vec<String> = counts
        .missing
        .iter()
        .filter(|m| m.missing > 0)
        .map(|m| format!("{} missing in '{}'", m.missing, m.column))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("Missing values: {}.", parts.join(", "))
    }
}

fn used_labels(col: &Column, rows: &[usize]) -> Vec<String> {
    if col.codes.is_empty() {
        let mut seen: Vec<f64> = rows.iter().map(|&i| col.value(i)).collect();
        seen.sort_by(|a, b| a.total_cmp(b));
        seen.dedup();
        return seen.into_iter().map(format_number).collect();
    }
    let mut present = vec![false; col.labels.len()];
    for &i in rows {
        present[col.codes[i] as usize] = true;
    }
    col.labels
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(l, _)| l.clone())
        .collect()
}

/// Levels at most this many for a categorical covariate; more is almost always a numeric column
/// with a stray label, or an identifier.
const MAX_LEVELS: usize = 50;

fn categorical_kind(
    table: &Table,
    col: &Column,
    rows: &[usize],
    reference: Option<&String>,
    forced: bool,
) -> Result<CovariateKind, DataError> {
    let mut levels = used_labels(col, rows);
    // a mostly numeric column with a stray label: say so rather than make dozens of dummies
    let n_numeric = levels.iter().filter(|l| parse_number(l).is_some()).count();
    // rows (of the complete cases) whose label is not a number
    let non_numeric_rows = if col.codes.is_empty() {
        0
    } else {
        let label_is_number: Vec<bool> = col
            .labels
            .iter()
            .map(|l| parse_number(l).is_some())
            .collect();
        rows.iter()
            .filter(|&&i| !label_is_number[col.codes[i] as usize])
            .count()
    };
    let rare_text = n_numeric > 0 && (non_numeric_rows as f64) < 0.05 * rows.len() as f64;
    if !forced && !col.is_numeric() && (n_numeric > 10 || rare_text) {
        if let Some((value, line)) = first_non_number(col) {
            return Err(err(
                table,
                DataErrorKind::NotANumber,
                format!(
                    "not a number in a column whose other {n_numeric} distinct values are numbers \
                     ({non_numeric_rows} of {} complete rows hold text)",
                    rows.len()
                ),
            )
            .line(line)
            .column(&col.name)
            .value(&value)
            .hint(if levels.len() <= MAX_LEVELS {
                format!(
                    "if '{value}' marks a missing value, add --na '{value}'; to use the column as levels, add --categorical {}",
                    col.name
                )
            } else {
                format!("if '{value}' marks a missing value, add --na '{value}'; otherwise correct it")
            }));
        }
    }
    if levels.len() > MAX_LEVELS {
        return Err(err(
            table,
            DataErrorKind::TooManyLevels,
            format!(
                "{} distinct levels: too many for a categorical covariate (at most {MAX_LEVELS})",
                levels.len()
            ),
        )
        .column(&col.name)
        .hint("group the levels first, or if the column is an identifier leave it out"));
    }
    sort_levels(&mut levels);
    if levels.len() < 2 {
        return Err(err(
            table,
            DataErrorKind::ConstantTerm,
            format!(
                "the covariate has a single level ('{}') among the complete rows, so its effect cannot be estimated",
                levels.first().map_or("", |s| s.as_str())
            ),
        )
        .column(&col.name)
        .hint("leave the covariate out"));
    }
    let reference = match reference {
        Some(r) => match match_level(&levels, r) {
            Some(l) => l,
            None => {
                return Err(err(
                    table,
                    DataErrorKind::UnknownReference,
                    format!("the reference level '{r}' does not occur among the complete rows"),
                )
                .column(&col.name)
                .value(r)
                .hint(format!("the levels are: {}", levels.join(", "))))
            }
        },
        None => levels[0].clone(),
    };
    Ok(CovariateKind::Categorical { levels, reference })
}

fn surv_error(table: &Table, time_col: &str, rows: &[usize], e: SurvError) -> DataError {
    match e {
        SurvError::NonFiniteTime { index, value } | SurvError::NegativeTime { index, value } => {
            err(
                table,
                DataErrorKind::BadTime,
                "follow-up time must be a finite number >= 0",
            )
            .line(table.lines[rows[index]])
            .column(time_col)
            .value(&value.to_string())
            .hint("correct the value or mark it missing")
        }
        other => err(table, DataErrorKind::BadTime, other.to_string()),
    }
}

/// Maps a core fitting error to one that names the columns behind the terms.
pub fn cox_error(table: &Table, spec: &ModelSpec, e: CoxError) -> DataError {
    let column_of = |term: &str| {
        spec.covariates
            .iter()
            .find(|c| c.terms().iter().any(|t| t == term))
            .map_or(term.to_string(), |c| c.name.clone())
    };
    match e {
        CoxError::ConstantTerm { term, value } => err(
            table,
            DataErrorKind::ConstantTerm,
            format!(
                "term '{term}' is constant ({}) among the complete rows, so its effect cannot be estimated",
                format_number(value)
            ),
        )
        .column(&column_of(&term))
        .hint("leave the covariate out"),
        CoxError::Collinear { term, others } => err(
            table,
            DataErrorKind::Collinear,
            format!(
                "term '{term}' is an exact linear combination of {}",
                others.join(", ")
            ),
        )
        .column(&column_of(&term))
        .hint("the model cannot separate these effects: leave one of them out"),
        CoxError::NotEstimable { terms } => err(
            table,
            DataErrorKind::Collinear,
            format!(
                "{} cannot be estimated: collinear with other terms within strata, or varying only \
                 among rows with no event at risk",
                terms.join(", ")
            ),
        )
        .column(&column_of(&terms[0]))
        .hint("leave the covariate out, or stratify differently"),
        CoxError::NoEvents => err(table, DataErrorKind::NoEvents, "no events among the complete rows"),
        CoxError::TooFewRows { n, p } => err(
            table,
            DataErrorKind::TooFewRows,
            format!("{n} complete rows are too few for {p} model terms"),
        ),
        other => err(table, DataErrorKind::BadOption, other.to_string()),
    }
}

/// Outcome and design of a data file read with a fitted model's specification (its levels,
/// reference levels, event coding and strata), for validating the model on that file. Rows with a
/// missing value are dropped and counted; rows with a level the model does not know are dropped
/// and listed in `problems` (file line and reason).
#[derive(Debug, Clone)]
pub struct SpecData {
    pub design: Design,
    pub surv: Surv,
    pub weights: Option<Vec<f64>>,
    pub strata: Vec<usize>,
    pub counts: RowCounts,
    pub problems: Vec<(u64, String)>,
}

impl ModelSpec {
    /// All columns a validation file must hold.
    pub fn columns(&self) -> Vec<&str> {
        let mut c = vec![self.time.as_str(), self.event.as_str()];
        c.extend(self.covariates.iter().map(|c| c.name.as_str()));
        c.extend(self.strata.as_ref().map(|s| s.column.as_str()));
        c.extend(self.weights.as_deref());
        c
    }
}

/// Reads outcome and covariates of `table` with the model specification `spec`.
pub fn prepare_with_spec(table: &Table, spec: &ModelSpec) -> Result<SpecData, DataError> {
    let n = table.n_rows();
    let time = numeric_column(table, &spec.time, "time")?;
    let event = event_column(table, &spec.event, &spec.event_values, &spec.censor_values)?;
    let weights = match &spec.weights {
        Some(w) => Some(numeric_column(table, w, "weights")?),
        None => None,
    };
    for (i, &t) in time.iter().enumerate() {
        if !t.is_nan() && t < 0.0 {
            return Err(err(table, DataErrorKind::BadTime, "negative follow-up time")
                .line(table.lines[i])
                .column(&spec.time)
                .value(&format_number(t))
                .hint("times must be >= 0; check the unit and the sign, or mark the value missing"));
        }
    }
    let encoded = encode_rows(table, spec);
    let names = spec.terms();
    let p = names.len();
    let mut x = Vec::new();
    let mut rows = Vec::new();
    let mut strata = Vec::new();
    let mut problems = Vec::new();
    let mut missing_rows = 0;
    for (i, row) in encoded.into_iter().enumerate() {
        let outcome_missing = time[i].is_nan()
            || event[i].is_none()
            || weights.as_ref().is_some_and(|w| w[i].is_nan());
        match row {
            EncodedRow::Ok { x: xi, stratum } if !outcome_missing => {
                x.extend(xi);
                strata.push(stratum);
                rows.push(i);
            }
            EncodedRow::Problem(msg) if !msg.ends_with("is missing") && !outcome_missing => {
                problems.push((table.lines[i], msg));
            }
            _ => missing_rows += 1,
        }
    }
    let m = rows.len();
    let mut missing: Vec<ColumnMissing> = Vec::new();
    for c in spec.columns() {
        if let Some(col) = table.column(c) {
            if !missing.iter().any(|x| x.column == col.name) {
                missing.push(ColumnMissing {
                    column: col.name.clone(),
                    missing: col.missing,
                });
            }
        }
    }
    let counts = RowCounts {
        read: n,
        used: m,
        dropped: n - m,
        missing,
    };
    if m == 0 {
        return Err(err(
            table,
            DataErrorKind::TooFewRows,
            format!(
                "no row can be used: {missing_rows} rows miss a value and {} have a level the model does not know",
                problems.len()
            ),
        ));
    }
    let design = Design::new(x, m, names).map_err(|e| cox_error(table, spec, e))?;
    debug_assert_eq!(design.p, p);
    let surv = Surv::new(
        rows.iter().map(|&i| time[i]).collect(),
        rows.iter()
            .map(|&i| event[i].expect("complete row"))
            .collect(),
    )
    .map_err(|e| surv_error(table, &spec.time, &rows, e))?;
    Ok(SpecData {
        design,
        surv,
        weights: weights.map(|w| rows.iter().map(|&i| w[i]).collect()),
        strata,
        counts,
        problems,
    })
}

/// One row of new data encoded for prediction with a fitted model's specification, or why it
/// cannot be scored.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodedRow {
    Ok { x: Vec<f64>, stratum: usize },
    Problem(String),
}

/// Encodes every row of `table` (which must hold the spec's covariate and strata columns) with the
/// model's levels. Rows with a missing value or an unknown level are returned as problems.
pub fn encode_rows(table: &Table, spec: &ModelSpec) -> Vec<EncodedRow> {
    let n = table.n_rows();
    let cols: Vec<&Column> = spec
        .covariates
        .iter()
        .map(|c| table.column(&c.name).expect("column was read"))
        .collect();
    let strata_col = spec
        .strata
        .as_ref()
        .map(|s| table.column(&s.column).expect("column was read"));
    (0..n)
        .map(|i| {
            let mut x = Vec::new();
            for (cs, col) in spec.covariates.iter().zip(&cols) {
                let Some(label) = col.label(i) else {
                    return EncodedRow::Problem(format!("'{}' is missing", cs.name));
                };
                match cs.encode(&label) {
                    Ok(v) => x.extend(v),
                    Err(msg) => {
                        return EncodedRow::Problem(format!("'{}' = '{label}': {msg}", cs.name))
                    }
                }
            }
            let stratum = match (&spec.strata, strata_col) {
                (Some(s), Some(col)) => {
                    let Some(label) = col.label(i) else {
                        return EncodedRow::Problem(format!("stratum '{}' is missing", s.column));
                    };
                    match match_level(&s.levels, &label) {
                        Some(l) => s.levels.iter().position(|x| *x == l).expect("level"),
                        None => {
                            return EncodedRow::Problem(format!(
                                "stratum '{}' = '{label}' is not one of the model's strata ({})",
                                s.column,
                                s.levels.join(", ")
                            ))
                        }
                    }
                }
                _ => 0,
            };
            EncodedRow::Ok { x, stratum }
        })
        .collect()
}

/// Encodes one patient given as `column -> value` pairs; every covariate (and the stratum) must be
/// present. Returns the term values and stratum, or an error listing what is expected.
pub fn encode_patient(
    spec: &ModelSpec,
    values: &BTreeMap<String, String>,
) -> Result<(Vec<f64>, usize), String> {
    let mut x = Vec::new();
    for cs in &spec.covariates {
        let expected = match &cs.kind {
            CovariateKind::Numeric => "a number".to_string(),
            CovariateKind::Categorical { levels, .. } => format!("one of: {}", levels.join(", ")),
        };
        let Some(v) = values.get(&cs.name) else {
            return Err(format!(
                "covariate '{}' is not set: add --set {}=VALUE ({expected})",
                cs.name, cs.name
            ));
        };
        match cs.encode(v) {
            Ok(t) => x.extend(t),
            Err(_) => {
                return Err(format!(
                    "covariate '{}' = '{v}' is not valid: expected {expected}",
                    cs.name
                ))
            }
        }
    }
    let stratum = match &spec.strata {
        Some(s) => {
            let Some(v) = values.get(&s.column) else {
                return Err(format!(
                    "stratum '{}' is not set: add --set {}=VALUE (one of: {})",
                    s.column,
                    s.column,
                    s.levels.join(", ")
                ));
            };
            match match_level(&s.levels, v) {
                Some(l) => s.levels.iter().position(|x| *x == l).expect("level"),
                None => {
                    return Err(format!(
                        "stratum '{}' = '{v}' is not valid: expected one of: {}",
                        s.column,
                        s.levels.join(", ")
                    ))
                }
            }
        }
        None => 0,
    };
    let known: Vec<&str> = spec
        .covariates
        .iter()
        .map(|c| c.name.as_str())
        .chain(spec.strata.as_ref().map(|s| s.column.as_str()))
        .collect();
    if let Some(extra) = values.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "'{extra}' is not a covariate of this model; the covariates are: {}",
            known.join(", ")
        ));
    }
    Ok((x, stratum))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::{read_csv_bytes, ReadOptions};

    fn table(text: &str, cols: &[&str]) -> Table {
        read_csv_bytes(text.as_bytes(), "t.csv", cols, &ReadOptions::default()).unwrap()
    }

    fn req(cov: &[&str]) -> FitRequest {
        FitRequest {
            time: "t".into(),
            event: "e".into(),
            covariates: cov.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    const DATA: &str = "t,e,age,grp\n5,1,50,b\n3,0,61,a\n4,1,,c\n7,1,44,a\n2,1,70,c\n9,0,58,b\n";

    #[test]
    fn complete_cases_and_dummies() {
        let r = req(&["age", "grp"]);
        let t = table(DATA, &r.columns());
        let p = prepare(&t, &r).unwrap();
        assert_eq!(p.counts.read, 6);
        assert_eq!(p.counts.used, 5);
        assert_eq!(p.counts.dropped, 1);
        assert_eq!(
            p.counts
                .missing
                .iter()
                .find(|m| m.column == "age")
                .unwrap()
                .missing,
            1
        );
        assert_eq!(p.design.names, vec!["age", "grp=b", "grp=c"]);
        assert_eq!(p.design.row(0), &[50.0, 1.0, 0.0]);
        assert_eq!(p.design.row(1), &[61.0, 0.0, 0.0]);
        assert_eq!(p.surv.n_events(), 3);
    }

    #[test]
    fn reference_and_forced_categorical() {
        let mut r = req(&["age", "grp"]);
        r.reference.insert("grp".into(), "c".into());
        let t = table(DATA, &r.columns());
        let p = prepare(&t, &r).unwrap();
        assert_eq!(p.design.names, vec!["age", "grp=a", "grp=b"]);
        let mut r = req(&["e2"]);
        r.categorical.push("e2".into());
        let t = table("t,e,e2\n1,1,10\n2,0,2\n3,1,10\n4,1,2\n", &r.columns());
        let p = prepare(&t, &r).unwrap();
        // numeric order, not byte order: 2 before 10
        assert_eq!(p.design.names, vec!["e2=10"]);
    }

    #[test]
    fn errors_name_line_column_value() {
        let r = req(&["age"]);
        let t = table("t,e,age\n1,1,3\n-2,0,4\n", &r.columns());
        let e = prepare(&t, &r).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::BadTime);
        assert_eq!(e.line, Some(3));
        let t = table("t,e,age\n1,1,3\n2,2,4\n", &r.columns());
        let e = prepare(&t, &r).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::BadEvent);
        assert_eq!((e.line, e.value.as_deref()), (Some(3), Some("2")));
        let t = table("t,e,age\n1,0,3\n2,0,4\n", &r.columns());
        assert_eq!(prepare(&t, &r).unwrap_err().kind, DataErrorKind::NoEvents);
        let t = table("t,e,age\nx,0,3\n2,0,4\n", &r.columns());
        let e = prepare(&t, &r).unwrap_err();
        assert_eq!((e.kind, e.line), (DataErrorKind::NotANumber, Some(2)));
    }

    #[test]
    fn stray_label_in_numeric_column_is_an_error() {
        let mut s = String::from("t,e,age\n");
        for i in 0..30 {
            s.push_str(&format!("{},{},{}\n", i + 1, i % 2, 40 + i));
        }
        s.push_str("5,1,unknown\n");
        let r = req(&["age"]);
        let t = table(&s, &r.columns());
        let e = prepare(&t, &r).unwrap_err();
        assert_eq!(e.kind, DataErrorKind::NotANumber);
        assert_eq!((e.line, e.value.as_deref()), (Some(32), Some("unknown")));
        assert!(e.hint.unwrap().contains("--na"));
    }

    #[test]
    fn event_labels() {
        let mut r = req(&["x"]);
        r.event_values = vec!["Dead".into()];
        r.censor_values = vec!["Alive".into()];
        let t = table(
            "t,e,x\n1,Dead,1\n2,Alive,0\n3,Dead,0\n4,Alive,1\n",
            &r.columns(),
        );
        let p = prepare(&t, &r).unwrap();
        assert_eq!(p.surv.event(), &[true, false, true, false]);
        let t = table("t,e,x\n1,Dead,1\n2,Lost,0\n", &r.columns());
        assert_eq!(prepare(&t, &r).unwrap_err().kind, DataErrorKind::BadEvent);
    }

    #[test]
    fn encodes_patients_and_rows() {
        let r = req(&["age", "grp"]);
        let t = table(DATA, &r.columns());
        let p = prepare(&t, &r).unwrap();
        let mut v = BTreeMap::new();
        v.insert("age".to_string(), "60".to_string());
        assert!(encode_patient(&p.spec, &v)
            .unwrap_err()
            .contains("--set grp="));
        v.insert("grp".to_string(), "c".to_string());
        assert_eq!(
            encode_patient(&p.spec, &v).unwrap(),
            (vec![60.0, 0.0, 1.0], 0)
        );
        v.insert("grp".to_string(), "z".to_string());
        assert!(encode_patient(&p.spec, &v)
            .unwrap_err()
            .contains("one of: a, b, c"));
        let rows = encode_rows(&t, &p.spec);
        assert!(matches!(rows[2], EncodedRow::Problem(_)));
        assert_eq!(
            rows[0],
            EncodedRow::Ok {
                x: vec![50.0, 1.0, 0.0],
                stratum: 0
            }
        );
    }
}
