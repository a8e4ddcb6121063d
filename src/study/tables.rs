//! The study's tables that need more than a loop over results: Table 2 (univariable and
//! multivariable Cox regression side by side, with "Reference" rows), the follow-up sentence,
//! and numbers for the machine tables.

use super::{hr_cell, strings, term_label, Fitted, Run, StudyError};
use crate::data::registry::{self, Cohort, Split, StudySpec, Values};
use crate::model::spec::{format_number, CovariateKind};
use crate::report::format::{fmt_p, hr_decimals, NOT_REACHED, NR};
use crate::report::table1::{self, Table1};
use std::fmt::Write as _;

/// Table 2: univariable and multivariable hazard ratios side by side, one row per continuous
/// factor and, for a categorical or 0/1 factor with labelled values, a title row and one row per
/// level with "Reference" for the reference level.
pub(super) struct CoxTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Labels of the factors whose hazard ratios have three decimals.
    pub three_decimals: Vec<String>,
}

pub(super) fn cox_table(r: &Run, f: &Fitted) -> CoxTable {
    let spec = r.spec;
    let header = strings(&[
        "Characteristic",
        "Univariable HR (95% CI)",
        "p",
        "Multivariable HR (95% CI)",
        "p",
    ]);
    let mv = f.model.fit.coefficients();
    let mut three = Vec::new();
    let mut rows = Vec::new();
    let indent = |s: &str| format!("\u{a0}\u{a0}\u{a0}{s}");
    for c in &f.all_covariates {
        let label = term_label(spec, &c.name);
        let uni = f.selection.univariable.iter().find(|u| u.factor == c.name);
        let in_model = f.chosen.contains(&c.name);
        let cells = |term: &str, three: &mut Vec<String>| -> Vec<String> {
            let mut v = Vec::new();
            for row in [
                uni.and_then(|u| u.rows.iter().find(|x| x.term == term)),
                mv.iter().find(|x| x.term == term),
            ] {
                match row {
                    Some(x) => {
                        if hr_decimals(x.hr, x.hr_lower, x.hr_upper) == 3 && !three.contains(&label)
                        {
                            three.push(label.clone());
                        }
                        v.push(hr_cell(x));
                        v.push(fmt_p(x.p));
                    }
                    None => v.extend([String::new(), String::new()]),
                }
            }
            v
        };
        let reference = |in_model: bool| {
            vec![
                "Reference".to_string(),
                String::new(),
                if in_model { "Reference" } else { "" }.to_string(),
                String::new(),
            ]
        };
        // levels of the factor: (label, term or None for the reference)
        let levels: Option<Vec<(String, Option<String>)>> = match &c.kind {
            // the reference level first
            CovariateKind::Categorical { levels, reference } => Some(
                std::iter::once((reference.clone(), None))
                    .chain(
                        levels
                            .iter()
                            .filter(|l| *l != reference)
                            .map(|l| (l.clone(), Some(format!("{}={l}", c.name)))),
                    )
                    .collect(),
            ),
            CovariateKind::Numeric => binary_labels(spec, &r.cohort, &c.name)
                .map(|(no, yes)| vec![(no, None), (yes, Some(c.name.clone()))]),
        };
        match levels {
            Some(levels) => {
                rows.push(vec![
                    label.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
                for (l, term) in levels {
                    let mut row = vec![indent(&l)];
                    match term {
                        None => row.extend(reference(in_model)),
                        Some(t) => row.extend(cells(&t, &mut three)),
                    }
                    rows.push(row);
                }
            }
            None => {
                let mut row = vec![label.clone()];
                row.extend(cells(&c.name, &mut three));
                rows.push(row);
            }
        }
    }
    CoxTable {
        header,
        rows,
        three_decimals: three,
    }
}

/// The labels of 0 and 1 of a numeric factor whose values are all 0 or 1 and whose
/// specification names both ("No", "Yes").
fn binary_labels(spec: &StudySpec, cohort: &Cohort, name: &str) -> Option<(String, String)> {
    let k = spec.covariates.iter().position(|c| c.name == name)?;
    let def = &spec.covariates[k];
    let Values::Numbers(x) = &cohort.covariates.get(k)?.values else {
        return None;
    };
    if !x.iter().all(|&v| v == 0.0 || v == 1.0) {
        return None;
    }
    Some((
        registry::value_label(def, 0.0)?,
        registry::value_label(def, 1.0)?,
    ))
}

/// The reverse Kaplan–Meier quartiles of follow-up of the cohort's `rows`.
fn follow_up_of(c: &Cohort, rows: &[usize]) -> Option<crate::stats::km::FollowUpQuartiles> {
    let time: Vec<f64> = rows.iter().map(|&i| c.time[i]).collect();
    let status: Vec<bool> = rows.iter().map(|&i| c.status[i]).collect();
    let surv = crate::stats::surv::Surv::new(time, status).ok()?;
    Some(crate::stats::km::reverse_km_follow_up(&surv))
}

/// "43 (20–70)": a median follow-up and its quartiles ([`NOT_REACHED`] for the median, [`NR`]
/// for a quartile, not reached).
fn follow_up_cell(c: &Cohort, rows: &[usize], iqr_word: bool) -> String {
    let Some(q) = follow_up_of(c, rows) else {
        return NOT_REACHED.to_string();
    };
    match q.median {
        None => NOT_REACHED.to_string(),
        Some(m) => format!(
            "{} ({}{})",
            format_number(m),
            if iqr_word { "IQR " } else { "" },
            crate::report::format::fmt_range(
                &q.q25.map_or(NR.to_string(), format_number),
                &q.q75.map_or(NR.to_string(), format_number)
            )
        ),
    }
}

/// Table 1's follow-up row: the median (IQR) by reverse Kaplan–Meier overall and in each set,
/// in the columns of `table1_of`.
pub(super) fn follow_up_row(r: &Run) -> table1::Row {
    let c = &r.cohort;
    let all: Vec<usize> = (0..c.n()).collect();
    let mut cells = vec![follow_up_cell(c, &all, false)];
    if r.has_split {
        cells.push(follow_up_cell(c, &c.rows_in(Split::Development), false));
        cells.push(follow_up_cell(c, &c.rows_in(Split::Validation), false));
    } else {
        cells.push(cells[0].clone());
    }
    table1::Row {
        variable: if r.unit_s.is_empty() {
            "Follow-up".to_string()
        } else {
            format!("Follow-up, {}", r.unit_s)
        },
        level: "median (IQR), reverse Kaplan–Meier".into(),
        cells,
        p: None,
        test: None,
    }
}

/// "Median follow-up (reverse Kaplan–Meier) 43 months (IQR 20–70); development ..., validation
/// ...": of the cohort and of each set.
pub(super) fn follow_up_sentence(r: &Run) -> String {
    let c = &r.cohort;
    let quartiles = |rows: &[usize]| follow_up_cell(c, rows, true);
    let all: Vec<usize> = (0..c.n()).collect();
    let mut text = format!(
        "Median follow-up (reverse Kaplan–Meier){}: {}",
        if r.unit_s.is_empty() {
            String::new()
        } else {
            format!(", {}", r.unit_s)
        },
        quartiles(&all)
    );
    if r.has_split {
        let _ = write!(
            text,
            "; development set {}; validation set {}",
            quartiles(&c.rows_in(Split::Development)),
            quartiles(&c.rows_in(Split::Validation))
        );
    }
    text.push('.');
    text
}

/// A number in a CSV file: full precision (Rust's shortest round-trip text), with an exponent
/// only for very small or large magnitudes (`8.149689706209128e-9`); empty when not finite.
pub(super) fn full(v: f64) -> String {
    if !v.is_finite() {
        String::new()
    } else if v != 0.0 && !(1e-5..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub(super) fn full_opt(v: Option<f64>) -> String {
    v.map_or(String::new(), full)
}

/// Table 1 inputs from the cohort: numeric covariates with more than 5 distinct values as
/// median (IQR); others as levels, named by the specification's labels where it maps them.
pub(super) fn table1_of(spec: &StudySpec, cohort: &Cohort) -> Result<Table1, StudyError> {
    // (label, numbers, level codes, levels): numbers when levels is empty
    type Column = (String, Vec<f64>, Vec<usize>, Vec<String>);
    let mut owned: Vec<Column> = Vec::new();
    for (c, def) in cohort.covariates.iter().zip(&spec.covariates) {
        let label = c.label.clone();
        match &c.values {
            Values::Numbers(x) => {
                let mut distinct: Vec<f64> = x.clone();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                if distinct.len() <= 5 {
                    let names: Vec<String> = distinct
                        .iter()
                        .map(|v| {
                            registry::value_label(def, *v).unwrap_or_else(|| format_number(*v))
                        })
                        .collect();
                    let codes = x
                        .iter()
                        .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0))
                        .collect();
                    owned.push((label, Vec::new(), codes, names));
                } else {
                    owned.push((label, x.clone(), Vec::new(), Vec::new()));
                }
            }
            Values::Levels { levels, codes } => {
                owned.push((
                    label,
                    Vec::new(),
                    codes.iter().map(|&c| c as usize).collect(),
                    levels.clone(),
                ));
            }
        }
    }
    let vars: Vec<(String, table1::Values)> = owned
        .iter()
        .map(|(name, x, codes, levels)| {
            let v = if levels.is_empty() {
                table1::Values::Numeric(x)
            } else {
                table1::Values::Categorical { codes, levels }
            };
            (name.clone(), v)
        })
        .collect();
    let (group, names): (Vec<usize>, Vec<String>) = match &cohort.split {
        Some(s) => (
            s.iter()
                .map(|&x| usize::from(x == Split::Validation))
                .collect(),
            strings(&["Development", "Validation"]),
        ),
        None => (vec![0; cohort.n()], strings(&["Cohort"])),
    };
    // add follow-up and events
    Ok(table1::table_one(&vars, &group, &names)?)
}
