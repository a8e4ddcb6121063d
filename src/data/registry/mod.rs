//! From a registry extract (a SEER*Stat case listing, say) to an analysis-ready cohort, driven by a
//! study specification written without code: where time and event come from, how each covariate
//! is read from its labels, which labels mean "unknown", the inclusion rules in order, and the
//! choices of the later analysis (split, selection, validation, risk groups).
//!
//! The file format is described field by field in `docs/study-spec.md`; every field documented
//! here carries its default. The functions here do no printing; they read files only through the
//! functions that take a path and return a `Result`.
//!
//! The principle: nothing is recoded silently. A label that the specification does not name (as
//! a value, a missing value, or a label that a rule keeps or excludes) is an error naming the file,
//! line, column and value, and the labels that were expected.

use crate::data::cohort::FitRequest;
use crate::data::csv::{
    self as data, Column, DataError, DataErrorKind, Numbers, ReadOptions, Table, MISSING,
};
use crate::model::spec::{format_number, parse_number};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

mod check;
mod derive;
mod readers;
mod rules;
mod spec;

pub use check::*;
pub use derive::*;
pub use readers::*;
use rules::*;
pub use spec::*;

// =============================================================================================
// Errors
// =============================================================================================

/// A problem with the specification file: which file, where, which field.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub path: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(l) = self.line {
            write!(f, ", line {l}")?;
        }
        if let Some(x) = &self.field {
            write!(f, ", field {x}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// What a [`LabelError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelErrorKind {
    /// A label the specification does not name.
    UnknownLabel,
    /// A label that reads but gives an impossible value (a negative time).
    BadValue,
}

/// A value of the export that the specification cannot read: file, line, column, value, the
/// specification entry that reads it and the labels it expected.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelError {
    pub kind: LabelErrorKind,
    /// The export file.
    pub path: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    /// The specification entry, e.g. "covariate 'brain'" or "rule 1 'bone metastasis'".
    pub used_by: String,
    /// The labels (or kinds of label) that entry reads.
    pub expected: Vec<String>,
    /// The specification file.
    pub spec: String,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}, column '{}', value '{}': {} ({})",
            self.path, self.line, self.column, self.value, self.message, self.used_by
        )?;
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected.join(", "))?;
        }
        write!(f, "\n  hint: {}", self.hint)
    }
}

/// Everything that can go wrong between a specification, an export and an analysis file.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RegistryError {
    /// The specification is unreadable or inconsistent.
    #[error("{0}")]
    Spec(SpecError),
    /// The export holds a label the specification does not know, or an impossible value.
    #[error("{0}")]
    Label(LabelError),
    /// The export cannot be read (missing file or column, malformed CSV).
    #[error(transparent)]
    Data(#[from] DataError),
}

fn spec_err(path: &str, field: impl Into<String>, message: impl Into<String>) -> RegistryError {
    RegistryError::Spec(SpecError {
        path: path.to_string(),
        line: None,
        field: Some(field.into()),
        message: message.into(),
        hint: None,
    })
}

fn spec_err_hint(
    path: &str,
    field: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> RegistryError {
    RegistryError::Spec(SpecError {
        path: path.to_string(),
        line: None,
        field: Some(field.into()),
        message: message.into(),
        hint: Some(hint.into()),
    })
}

fn quoted(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_in_label_reads_the_first_number() {
        assert_eq!(number_in_label("57 years"), Some(57.0));
        assert_eq!(number_in_label("85+ years"), Some(85.0));
        assert_eq!(number_in_label("0010"), Some(10.0));
        assert_eq!(number_in_label("00 years"), Some(0.0));
        assert_eq!(number_in_label("1.5 cm"), Some(1.5));
        assert_eq!(number_in_label("10-14 years"), Some(10.0));
        assert_eq!(number_in_label("age 3."), Some(3.0));
        assert_eq!(number_in_label("-5"), Some(-5.0));
        assert_eq!(number_in_label("grade -2"), Some(-2.0));
        assert_eq!(number_in_label("T-2"), Some(2.0));
        assert_eq!(number_in_label("Unknown"), None);
        assert_eq!(number_in_label(""), None);
    }

    fn range(from: f64, to: f64, v: f64) -> CodeRange {
        CodeRange {
            from,
            to,
            value: MapValue::Number(v),
            label: None,
        }
    }

    #[test]
    fn code_range_labels_name_values_and_must_agree() {
        let labelled = |from: f64, to: f64, v: f64, l: &str| CodeRange {
            label: Some(l.to_string()),
            ..range(from, to, v)
        };
        let ranges = vec![
            labelled(0.0, 0.0, 0.0, "None"),
            labelled(10.0, 80.0, 1.0, "Surgery"),
            range(90.0, 90.0, 1.0),
        ];
        assert!(check_code_ranges(&ranges).is_ok());
        let text = format!(
            "{MINIMAL}[[covariates]]\nname = \"surgery\"\ncolumn = \"s\"\nread = \"codes\"\n\
             codes = [{{ from = 0, to = 0, value = 0, label = \"None\" }}, \
             {{ from = 10, to = 90, value = 1, label = \"Surgery\" }}]\n"
        );
        let spec = StudySpec::from_toml(&text, "t.toml").unwrap();
        let c = &spec.covariates[1];
        assert_eq!(value_label(c, 0.0).as_deref(), Some("None"));
        assert_eq!(value_label(c, 1.0).as_deref(), Some("Surgery"));
        assert_eq!(value_label(c, 2.0), None);
        let e = check_code_ranges(&[
            labelled(10.0, 80.0, 1.0, "Surgery"),
            labelled(90.0, 90.0, 1.0, "Other"),
        ])
        .unwrap_err();
        assert!(e.contains("'Surgery' and 'Other'"), "{e}");
    }

    #[test]
    fn code_ranges_include_both_ends_and_must_not_overlap() {
        let r = vec![range(0.0, 0.0, 0.0), range(10.0, 90.0, 1.0)];
        assert!(check_code_ranges(&r).is_ok());
        assert_eq!(code_value(&r, 0.0), Some(&MapValue::Number(0.0)));
        assert_eq!(code_value(&r, 10.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 90.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 41.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 5.0), None);
        assert_eq!(code_value(&r, 99.0), None);
        let e = check_code_ranges(&[range(10.0, 90.0, 1.0), range(0.0, 10.0, 0.0)]).unwrap_err();
        assert_eq!(e, "code ranges 0-10 and 10-90 overlap");
        let e = check_code_ranges(&[range(9.0, 1.0, 1.0)]).unwrap_err();
        assert!(e.contains("from is above to"), "{e}");
        assert!(check_code_ranges(&[range(0.0, f64::INFINITY, 1.0)]).is_err());
    }

    #[test]
    fn cut_points_are_left_closed() {
        // age < 50 / 50-69 / >= 70
        let at = [50.0, 70.0];
        assert_eq!(cut_group(&at, 22.0), 0);
        assert_eq!(cut_group(&at, 49.0), 0);
        assert_eq!(cut_group(&at, 49.999), 0);
        assert_eq!(cut_group(&at, 50.0), 1);
        assert_eq!(cut_group(&at, 69.0), 1);
        assert_eq!(cut_group(&at, 69.5), 1);
        assert_eq!(cut_group(&at, 70.0), 2);
        assert_eq!(cut_group(&at, 95.0), 2);
    }

    #[test]
    fn label_maps_keep_the_written_order() {
        #[derive(Deserialize)]
        struct T {
            map: LabelMap,
        }
        let t: T = toml::from_str("map = { \"Yes\" = 1, \"No\" = 0, \"Maybe\" = \"m\" }").unwrap();
        assert_eq!(
            t.map.0,
            vec![
                ("Yes".to_string(), MapValue::Number(1.0)),
                ("No".to_string(), MapValue::Number(0.0)),
                ("Maybe".to_string(), MapValue::Level("m".into())),
            ]
        );
        let t: T = serde_json::from_str(r#"{"map": {"b": 2, "a": 1.5}}"#).unwrap();
        assert_eq!(t.map.0[0].0, "b");
        let e = serde_json::from_str::<T>(r#"{"map": {"a": 1, "a": 2}}"#)
            .err()
            .unwrap();
        assert!(e.to_string().contains("mapped twice"), "{e}");
        assert!(toml::from_str::<T>("map = { a = true }").is_err());
    }

    #[test]
    fn split_flags_equal_split_labels() {
        let labels: Vec<usize> = (0..1000).map(|i| (i * 7 + i / 13) % 4).collect();
        let flags = split_flags(&labels, 0.7, 2021);
        let (dev, val) = crate::model::validation::split_labels(&labels, 0.7, 2021);
        assert!(dev.iter().all(|&i| flags[i] == Split::Development));
        assert!(val.iter().all(|&i| flags[i] == Split::Validation));
    }

    #[test]
    fn numbers_are_written_as_format_number_writes_them() {
        for v in [
            0.0, -0.0, 7.0, -12.0, 106.0, 1e14, 0.5, -1.25, 1e-9, 123456.789, 1e15, 3e20,
        ] {
            let mut b = Vec::new();
            push_number(&mut b, v);
            assert_eq!(String::from_utf8(b).unwrap(), format_number(v), "{v}");
        }
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(csv_field("age"), b"age");
        assert_eq!(csv_field("<50"), b"<50");
        assert_eq!(csv_field("a,b"), b"\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), b"\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(""), b"\"\"");
    }

    const MINIMAL: &str = r#"
[study]
name = "t"
[outcome.time]
column = "months"
[outcome.event]
column = "dead"
event = ["yes"]
censor = ["no"]
[[covariates]]
name = "age"
column = "age"
read = "number"
"#;

    #[test]
    fn defaults_are_filled_in() {
        let s = StudySpec::from_toml(MINIMAL, "t.toml").unwrap();
        assert_eq!(s.outcome.time.name, "time");
        assert_eq!(s.outcome.event.name, "status");
        assert_eq!(s.selection.method, SelectionMethod::All);
        assert_eq!(s.selection.threshold(), 0.05);
        assert!(s.split.is_none() && s.validation.is_none() && s.risk_groups.is_none());
        assert_eq!(s.columns(), vec!["months", "dead", "age"]);
        let s = StudySpec::from_toml(&format!("{MINIMAL}[split]\n[validation]\nhorizons = [1]\n[risk_groups]\nmethod = \"quantiles\"\n"), "t.toml").unwrap();
        let sp = s.split.unwrap();
        assert_eq!(
            (sp.fraction, sp.seed, sp.stratify),
            (0.7, 2021, Stratify::None)
        );
        let v = s.validation.unwrap();
        assert_eq!((v.bootstrap, v.groups, v.seed), (200, 5, 2021));
        let r = s.risk_groups.unwrap();
        assert_eq!(r.n_groups(), 3);
        assert_eq!(r.on, RiskScale::Points);
        assert_eq!(r.labels, None);
    }

    #[test]
    fn json_and_toml_give_the_same_spec() {
        let a = StudySpec::from_toml(MINIMAL, "t").unwrap();
        let j = serde_json::to_string(&a).unwrap();
        let b = StudySpec::from_json(&j, "t").unwrap();
        assert_eq!(a, b);
    }
}
