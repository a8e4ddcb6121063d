//! From a table read from CSV to the inputs of a fit: outcome, design matrix, weights and strata,
//! with complete-case filtering, categorical coding and errors that name file, line, column and
//! value.

use crate::data::csv::{Column, DataError, DataErrorKind, Table, MISSING};
use crate::model::file::{
    quantile_counts, value_counts, CovariateSummary, FollowUp, LevelCount, LinearPredictorSummary,
    ModelFile, Quantile, Recalibrated, RowPrediction, TrainingSummary, SUMMARY_PROBS,
};
use crate::model::spec::{
    format_number, match_level, parse_number, ColumnMissing, CovariateKind, CovariateSpec,
    ModelSpec, RowCounts, StrataSpec,
};
use crate::stats::cox::{CoxError, CoxFit, Design, Ties};
use crate::stats::surv::{Surv, SurvError};
use std::collections::BTreeMap;

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
    /// The same request for a subset of its covariates (after factor selection, say): the
    /// options of the others (categorical, reference level) are left out with them.
    pub fn with_covariates(&self, covariates: &[String]) -> FitRequest {
        FitRequest {
            covariates: covariates.to_vec(),
            categorical: self
                .categorical
                .iter()
                .filter(|c| covariates.contains(c))
                .cloned()
                .collect(),
            reference: self
                .reference
                .iter()
                .filter(|(c, _)| covariates.contains(c))
                .map(|(c, r)| (c.clone(), r.clone()))
                .collect(),
            ..self.clone()
        }
    }

    /// All columns the request reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut c = vec![self.time.as_str(), self.event.as_str()];
        c.extend(self.covariates.iter().map(|s| s.as_str()));
        c.extend(self.strata.as_deref());
        c.extend(self.weights.as_deref());
        c
    }
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
            .hint(if is_decimal_comma(&value) {
                format!(
                    "the numbers are written with a decimal comma: write them with a decimal point ({})",
                    value.replace(',', ".")
                )
            } else {
                format!("if '{value}' marks a missing value, add --na '{value}'; otherwise correct it")
            }))
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

/// "2,5" or "-0,75": a number written with a decimal comma.
fn is_decimal_comma(label: &str) -> bool {
    let t = label.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    match body.split_once(',') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
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
    // numbers written with a decimal comma ("2,5" in a ;-separated file) are numbers, not levels
    if !forced
        && levels.iter().any(|l| is_decimal_comma(l))
        && levels
            .iter()
            .all(|l| is_decimal_comma(l) || parse_number(l).is_some())
    {
        let (value, line) = col
            .labels
            .iter()
            .zip(&col.label_lines)
            .find(|(l, _)| is_decimal_comma(l))
            .map(|(l, &line)| (l.clone(), line))
            .expect("a label with a decimal comma");
        return Err(err(
            table,
            DataErrorKind::NotANumber,
            "the numbers are written with a decimal comma; prognosis reads a point as the decimal mark",
        )
        .line(line)
        .column(&col.name)
        .value(&value)
        .hint(format!(
            "write the numbers with a decimal point (e.g. {}), for instance by saving the file from \
             the spreadsheet in an English locale; or add --categorical {} if they are levels",
            value.replace(',', "."),
            col.name
        )));
    }
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

/// The most extreme value of a numeric column, when it is extreme enough to break a fit by itself
/// (its square overflows, or it is 1e12 times the typical size): value, file line and the
/// median magnitude.
fn extreme_value(table: &Table, name: &str) -> Option<(f64, u64, f64)> {
    let col = table.column(name)?;
    if !col.is_numeric() {
        return None;
    }
    let values = col.values();
    let mut mags: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .collect();
    if mags.is_empty() {
        return None;
    }
    mags.sort_by(|a, b| a.total_cmp(b));
    let median = mags[mags.len() / 2];
    let (i, v) = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    let extreme = v.abs() > 1e150 || (median > 0.0 && v.abs() > 1e12 * median);
    extreme.then(|| (*v, table.lines[i], median))
}

/// Maps a core fitting error to one that names the columns behind the terms.
pub fn cox_error(table: &Table, spec: &ModelSpec, e: CoxError) -> DataError {
    let column_of = |term: &str| {
        spec.covariates
            .iter()
            .find(|c| c.terms().iter().any(|t| t == term))
            .map_or(term.to_string(), |c| c.name.clone())
    };
    // one extreme value (1e308, a weight of 1e300) breaks the fit: name it, not collinearity
    if matches!(
        e,
        CoxError::Collinear { .. } | CoxError::NotEstimable { .. }
    ) {
        let columns = spec
            .weights
            .iter()
            .chain(spec.covariates.iter().map(|c| &c.name));
        for name in columns {
            if let Some((v, line, median)) = extreme_value(table, name) {
                return err(
                    table,
                    DataErrorKind::NotANumber,
                    format!(
                        "an extreme value: the values of '{name}' are typically about {}, and this one \
                         breaks the fit",
                        format_number(median)
                    ),
                )
                .line(line)
                .column(name)
                .value(&format!("{v:e}"))
                .hint("correct the value, or mark it missing");
            }
        }
    }
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
    /// The table rows used (0-based, in order): `table.lines[rows[k]]` is row k's file line.
    pub rows: Vec<usize>,
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
        rows,
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

/// The model file of `fit` on `prepared` data read from `table`: the model with the training
/// data's aggregates, never its rows.
pub fn model_file(table: &Table, prepared: &Prepared, fit: CoxFit) -> ModelFile {
    let file = std::path::Path::new(&table.path)
        .file_name()
        .map_or(table.path.clone(), |f| f.to_string_lossy().into_owned());
    let training = TrainingSummary {
        file,
        sha256: table.sha256.clone(),
        rows: prepared.counts.clone(),
        events: fit.events,
        follow_up: FollowUp::of(&prepared.surv),
        recalibrated: None,
    };
    let lp = LinearPredictorSummary::of(&prepared.design, &fit);
    ModelFile::new(
        prepared.spec.clone(),
        summarise(table, prepared),
        training,
        Some(lp),
        fit,
    )
}

/// The model file of `original` updated on the data `data` read from `table` with its
/// specification: `fit` is the recalibrated fit (same terms), the training block names the new
/// data and how the model was updated, and the aggregates are the new data's.
pub fn recalibrated_model_file(
    original: &ModelFile,
    table: &Table,
    data: &SpecData,
    fit: CoxFit,
    recalibrated: Recalibrated,
) -> ModelFile {
    let file = std::path::Path::new(&table.path)
        .file_name()
        .map_or(table.path.clone(), |f| f.to_string_lossy().into_owned());
    let training = TrainingSummary {
        file,
        sha256: table.sha256.clone(),
        rows: data.counts.clone(),
        events: fit.events,
        follow_up: FollowUp::of(&data.surv),
        recalibrated: Some(recalibrated),
    };
    let lp = LinearPredictorSummary::of(&data.design, &fit);
    let mut m = ModelFile::new(
        original.spec.clone(),
        summarise_design(&original.spec, &data.design),
        training,
        Some(lp),
        fit,
    );
    // the labels stay; the original's validation, risk groups and period describe the original
    if let Some(card) = &original.card {
        let mut card = card.clone();
        card.validation.clear();
        card.risk_groups = None;
        card.period = None;
        m = m.with_card(card);
    }
    m
}

/// Distinct values of a table column over `rows`, counted through the column's label codes when
/// it has them (O(n)), else by sorting.
fn column_counts(col: &Column, rows: &[usize]) -> Vec<(f64, usize)> {
    if col.codes.is_empty() {
        return value_counts(rows.iter().map(|&i| col.value(i)).collect());
    }
    let mut per_code = vec![0usize; col.labels.len()];
    for &i in rows {
        per_code[col.codes[i] as usize] += 1;
    }
    let mut pairs: Vec<(f64, usize)> = col
        .labels
        .iter()
        .zip(per_code)
        .filter(|(_, c)| *c > 0)
        .map(|(l, c)| (parse_number(l).expect("numeric label"), c))
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // labels "1" and "1.0" are one value
    let mut out: Vec<(f64, usize)> = Vec::with_capacity(pairs.len());
    for (v, c) in pairs {
        match out.last_mut() {
            Some(last) if last.0 == v => last.1 += c,
            _ => out.push((v, c)),
        }
    }
    out
}

/// Per covariate, its distribution over the rows of `prepared` (aggregates only).
pub fn summarise(table: &Table, prepared: &Prepared) -> Vec<CovariateSummary> {
    summarise_with(&prepared.spec, &prepared.design, |cs, _| {
        column_counts(
            table.column(&cs.name).expect("column was read"),
            &prepared.rows,
        )
    })
}

/// As [`summarise`], from the design alone (a numeric covariate's term is its value): for data
/// read with another model's specification, whose columns may be named otherwise.
pub fn summarise_design(spec: &ModelSpec, design: &Design) -> Vec<CovariateSummary> {
    summarise_with(spec, design, |_, col| {
        value_counts(
            (0..design.n)
                .map(|i| design.x[i * design.p + col])
                .collect(),
        )
    })
}

fn summarise_with(
    spec: &ModelSpec,
    d: &Design,
    numeric_counts: impl Fn(&CovariateSpec, usize) -> Vec<(f64, usize)>,
) -> Vec<CovariateSummary> {
    let p = d.p;
    let n = d.n;
    let mut offset = 0;
    let mut out = Vec::new();
    for cs in &spec.covariates {
        let width = cs.terms().len();
        match &cs.kind {
            CovariateKind::Numeric => {
                let counts = numeric_counts(cs, offset);
                let mean = counts.iter().map(|&(v, c)| v * c as f64).sum::<f64>() / n as f64;
                let sd = if n > 1 {
                    (counts
                        .iter()
                        .map(|&(v, c)| (v - mean).powi(2) * c as f64)
                        .sum::<f64>()
                        / (n - 1) as f64)
                        .sqrt()
                } else {
                    0.0
                };
                out.push(CovariateSummary::Numeric {
                    name: cs.name.clone(),
                    n,
                    min: counts[0].0,
                    max: counts[counts.len() - 1].0,
                    mean,
                    sd,
                    n_distinct: counts.len(),
                    values: (counts.len() <= 10).then(|| counts.iter().map(|c| c.0).collect()),
                    quantiles: SUMMARY_PROBS
                        .iter()
                        .map(|&q| Quantile {
                            p: q,
                            value: quantile_counts(&counts, n, q),
                        })
                        .collect(),
                });
            }
            CovariateKind::Categorical { levels, reference } => {
                let others: Vec<&String> = levels.iter().filter(|l| *l != reference).collect();
                let mut per_dummy = vec![0usize; width];
                for i in 0..n {
                    for (k, c) in per_dummy.iter_mut().enumerate() {
                        if d.x[i * p + offset + k] == 1.0 {
                            *c += 1;
                        }
                    }
                }
                let n_reference = n - per_dummy.iter().sum::<usize>();
                out.push(CovariateSummary::Categorical {
                    name: cs.name.clone(),
                    n,
                    levels: levels
                        .iter()
                        .map(|l| LevelCount {
                            level: l.clone(),
                            n: if l == reference {
                                n_reference
                            } else {
                                per_dummy[others.iter().position(|o| *o == l).expect("level")]
                            },
                        })
                        .collect(),
                });
            }
        }
        offset += width;
    }
    out
}

/// Predictions for every row of `table`; rows that cannot be scored carry the reason.
pub fn predict_rows(model: &ModelFile, table: &Table, times: &[f64]) -> Vec<RowPrediction> {
    predict_rows_with_spec(model, &model.spec, table, times)
}

/// As [`predict_rows`], reading `table` with `spec`: the model's specification naming the data's
/// columns (see [`crate::data::mapping`]).
pub fn predict_rows_with_spec(
    model: &ModelFile,
    spec: &ModelSpec,
    table: &Table,
    times: &[f64],
) -> Vec<RowPrediction> {
    encode_rows(table, spec)
        .into_iter()
        .zip(&table.lines)
        .map(|(row, &line)| match row {
            EncodedRow::Ok { x, stratum } => RowPrediction {
                row: line,
                id: None,
                prediction: Some(model.predict(&x, stratum, times)),
                problem: None,
            },
            EncodedRow::Problem(p) => RowPrediction {
                row: line,
                id: None,
                prediction: None,
                problem: Some(p),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::{read_csv_bytes, ReadOptions};
    use crate::model::spec::encode_patient;

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

    #[test]
    fn a_covariate_subset_drops_the_options_of_the_others() {
        let mut r = req(&["age", "meno", "size"]);
        r.categorical = vec!["meno".into(), "size".into()];
        r.reference.insert("meno".into(), "pre".into());
        r.reference.insert("size".into(), "<=20".into());
        let sub = r.with_covariates(&["age".to_string(), "size".to_string()]);
        assert_eq!(sub.covariates, vec!["age", "size"]);
        assert_eq!(sub.categorical, vec!["size"]);
        assert_eq!(sub.reference.keys().collect::<Vec<_>>(), vec!["size"]);
        assert_eq!(
            (sub.time.as_str(), sub.event.as_str()),
            (r.time.as_str(), r.event.as_str())
        );
    }
}
