//! The model specification: how a fitted model reads its inputs (outcome coding, covariates with
//! their kinds and levels, strata, weights, ties, time unit), and how one patient's values become a
//! row of its design. Numbers are written and read as canonical text ([`format_number`],
//! [`parse_number`]), so that level names and values round-trip.

use crate::stats::cox::Ties;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Formats a number as the shortest text that reads back to it ("57", "0.5", "1e-9").
pub fn format_number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Parses a finite number; "inf" and "NaN" are not numbers here.
pub fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

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
    pub fn encode(&self, label: &str) -> Result<Vec<f64>, String> {
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
pub fn match_level(levels: &[String], label: &str) -> Option<String> {
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
    /// The proportional-hazards test's terms: one per covariate, a factor's dummies together.
    pub fn zph_terms(&self) -> Vec<crate::stats::zph::ZphTerm> {
        crate::stats::zph::ZphTerm::grouped(
            self.covariates
                .iter()
                .map(|c| (c.name.as_str(), c.terms().len())),
        )
    }

    pub fn terms(&self) -> Vec<String> {
        self.covariates.iter().flat_map(|c| c.terms()).collect()
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

/// Encodes one patient given as `column -> value` pairs; every covariate (and the stratum) must be
/// present. Returns the term values and stratum, or an error listing what is expected.
pub fn encode_patient(
    spec: &ModelSpec,
    values: &BTreeMap<String, String>,
) -> Result<(Vec<f64>, usize), String> {
    let expected = |cs: &CovariateSpec| match &cs.kind {
        CovariateKind::Numeric => "a number".to_string(),
        CovariateKind::Categorical { levels, .. } => format!("one of: {}", levels.join(", ")),
    };
    // every covariate that is not set, at once
    let mut unset: Vec<(String, String)> = spec
        .covariates
        .iter()
        .filter(|c| !values.contains_key(&c.name))
        .map(|c| (c.name.clone(), expected(c)))
        .collect();
    if let Some(s) = &spec.strata {
        if !values.contains_key(&s.column) && !unset.is_empty() {
            unset.push((s.column.clone(), format!("one of: {}", s.levels.join(", "))));
        }
    }
    if unset.len() > 1 {
        let names: Vec<String> = unset.iter().map(|(n, _)| format!("'{n}'")).collect();
        let adds: Vec<String> = unset
            .iter()
            .map(|(n, e)| format!("--set {n}=VALUE ({e})"))
            .collect();
        return Err(format!(
            "{} covariates are not set ({}): add {}",
            unset.len(),
            names.join(", "),
            adds.join(" ")
        ));
    }
    let mut x = Vec::new();
    for cs in &spec.covariates {
        let expected = expected(cs);
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

/// The horizons used when none are given: 1, 3 and 5 years in `unit` (days, weeks, months or
/// years), rounded to whole units. None for another or no unit.
pub fn default_horizons(unit: Option<&str>) -> Option<Vec<f64>> {
    let per_year: f64 = match unit?.to_ascii_lowercase().trim_end_matches('s') {
        "day" => 365.25,
        "week" => 365.25 / 7.0,
        "month" => 12.0,
        "year" => 1.0,
        _ => return None,
    };
    Some(
        [1.0, 3.0, 5.0]
            .iter()
            .map(|y| (y * per_year).round())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unset_covariate_is_listed_at_once() {
        let spec = ModelSpec {
            time: "t".into(),
            event: "e".into(),
            event_values: vec!["1".into()],
            censor_values: vec![],
            covariates: vec![
                CovariateSpec {
                    name: "age".into(),
                    kind: CovariateKind::Numeric,
                },
                CovariateSpec {
                    name: "size".into(),
                    kind: CovariateKind::Categorical {
                        levels: vec!["small".into(), "large".into()],
                        reference: "small".into(),
                    },
                },
            ],
            strata: None,
            weights: None,
            ties: Ties::Efron,
            time_unit: None,
        };
        let e = encode_patient(&spec, &BTreeMap::new()).unwrap_err();
        assert!(
            e.starts_with("2 covariates are not set ('age', 'size')"),
            "{e}"
        );
        assert!(
            e.contains("--set age=VALUE (a number) --set size=VALUE (one of: small, large)"),
            "{e}"
        );
        let one: BTreeMap<String, String> = [("age".to_string(), "50".to_string())].into();
        let e = encode_patient(&spec, &one).unwrap_err();
        assert!(e.starts_with("covariate 'size' is not set"), "{e}");
    }

    #[test]
    fn default_horizons_follow_score() {
        assert_eq!(
            default_horizons(Some("months")),
            Some(vec![12.0, 36.0, 60.0])
        );
        assert_eq!(
            default_horizons(Some("days")),
            Some(vec![365.0, 1096.0, 1826.0])
        );
        assert_eq!(default_horizons(Some("fortnights")), None);
        assert_eq!(default_horizons(None), None);
    }
}
