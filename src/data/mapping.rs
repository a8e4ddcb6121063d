//! Reading another cohort with a saved model when its columns are named or coded differently:
//! the model's column names mapped to the data's (`--time`, `--event`, `--map`), the event coding
//! (`--event-value`) and relabelled categories (`--level`). The model is not changed: the data is
//! read with a copy of the model's specification that names the data's columns, and relabelled
//! categories are renamed in the table read, so every error names the data's own columns.

use crate::data::csv::{
    read_csv, Column, DataError, DataErrorKind, Numbers, ReadOptions, Table, MISSING,
};
use crate::model::spec::{parse_number, ModelSpec};
use std::collections::BTreeMap;
use std::path::Path;

/// A category of the data that the model names differently.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMap {
    /// The model's name of the column.
    pub column: String,
    pub data_level: String,
    pub model_level: String,
}

/// How a data file names and codes the model's columns. Empty: as the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnMap {
    /// Model column name -> data column name (time, event, covariates, strata, weights).
    pub columns: BTreeMap<String, String>,
    /// The event column's values that mean the event; every other value means censoring.
    /// Empty: the model's coding.
    pub event_values: Vec<String>,
    pub levels: Vec<LevelMap>,
}

/// What a column is to the model, for messages.
fn roles(spec: &ModelSpec) -> Vec<(&str, &'static str)> {
    let mut r = vec![(spec.time.as_str(), "time"), (spec.event.as_str(), "event")];
    r.extend(
        spec.covariates
            .iter()
            .map(|c| (c.name.as_str(), "covariate")),
    );
    r.extend(spec.strata.as_ref().map(|s| (s.column.as_str(), "strata")));
    r.extend(spec.weights.as_deref().map(|w| (w, "weights")));
    r
}

impl ColumnMap {
    /// Checks the map against the model: every name it maps must be one of the model's columns,
    /// and every relabelled column one of them too. Returns the message of the first problem.
    pub fn check(&self, spec: &ModelSpec) -> Result<(), String> {
        let known = roles(spec);
        let names = || known.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        for model_name in self.columns.keys() {
            if !known.iter().any(|(n, _)| n == model_name) {
                return Err(format!(
                    "--map {model_name}=...: the model has no column '{model_name}'; its columns are: {}",
                    names()
                ));
            }
        }
        for l in &self.levels {
            if !known.iter().any(|(n, _)| *n == l.column) {
                return Err(format!(
                    "--level {}:...: the model has no column '{}'; its columns are: {}",
                    l.column,
                    l.column,
                    names()
                ));
            }
        }
        Ok(())
    }

    /// The data's name of the model's column `name`.
    pub fn data_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.columns.get(name).map_or(name, |s| s.as_str())
    }

    /// The model's specification as the data names and codes its columns: the same model, with
    /// the data's column names and event coding.
    pub fn spec_for_data(&self, spec: &ModelSpec) -> ModelSpec {
        let mut s = spec.clone();
        s.time = self.data_name(&spec.time).to_string();
        s.event = self.data_name(&spec.event).to_string();
        if !self.event_values.is_empty() {
            s.event_values = self.event_values.clone();
            s.censor_values = Vec::new();
        }
        for c in &mut s.covariates {
            c.name = self.data_name(&c.name).to_string();
        }
        if let Some(st) = &mut s.strata {
            st.column = self.data_name(&st.column).to_string();
        }
        if let Some(w) = &mut s.weights {
            *w = self.data_name(w).to_string();
        }
        s
    }
}

/// Reads `path` for the model `spec`: the columns `wanted` (the model's names: the model's
/// columns a command needs) under the data's names, with the categories relabelled. Returns the
/// table and the specification naming the data's columns. A column the data lacks is an error
/// listing every missing one, the model's covariates, the data's columns and the options to add.
pub fn read_for_model(
    path: &Path,
    spec: &ModelSpec,
    wanted: &[&str],
    map: &ColumnMap,
    opts: &ReadOptions,
) -> Result<(Table, ModelSpec), DataError> {
    let label = path.display().to_string();
    map.check(spec)
        .map_err(|m| DataError::new(DataErrorKind::BadOption, &label, m))?;
    let data_spec = map.spec_for_data(spec);
    let names: Vec<&str> = wanted.iter().map(|w| map.data_name(w)).collect();
    let mut table = match read_csv(path, &names, opts) {
        Ok(t) => t,
        Err(e) if e.kind == DataErrorKind::MissingColumn => {
            // the whole header, to name every missing column at once
            let header = read_csv(path, &[], opts)
                .map(|t| t.header)
                .unwrap_or_default();
            return Err(missing_columns(&label, spec, wanted, map, &header).unwrap_or(e));
        }
        Err(e) => return Err(e),
    };
    for l in &map.levels {
        let name = map.data_name(&l.column);
        if let Some(col) = table.columns.iter_mut().find(|c| c.name == name) {
            relabel(col, l)
                .map_err(|m| DataError::new(DataErrorKind::BadOption, &label, m).column(name))?;
        }
    }
    Ok((table, data_spec))
}

/// The error for the model's columns that `header` lacks; `None` when it has them all.
fn missing_columns(
    label: &str,
    spec: &ModelSpec,
    wanted: &[&str],
    map: &ColumnMap,
    header: &[String],
) -> Option<DataError> {
    let role = roles(spec);
    let missing: Vec<(&str, &str)> = wanted
        .iter()
        .filter(|w| !header.iter().any(|h| h == map.data_name(w)))
        .map(|w| {
            let r = role
                .iter()
                .find(|(n, _)| n == w)
                .map_or("column", |(_, r)| *r);
            (*w, r)
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let what: Vec<String> = missing
        .iter()
        .map(|(name, r)| match map.columns.get(*name) {
            Some(d) => format!("{r} '{name}' (mapped to '{d}')"),
            None => format!("{r} '{name}'"),
        })
        .collect();
    let add: Vec<String> = missing
        .iter()
        .map(|(name, r)| {
            // a data column of the same name but for case is the likely one
            let guess = header
                .iter()
                .find(|h| h.eq_ignore_ascii_case(name))
                .map_or("COLUMN", |h| h.as_str());
            match *r {
                "time" => format!("--time {guess}"),
                "event" => format!("--event {guess}"),
                _ => format!("--map {name}={guess}"),
            }
        })
        .collect();
    let covariates: Vec<&str> = spec.covariates.iter().map(|c| c.name.as_str()).collect();
    let column_note = if add.iter().any(|a| a.ends_with("COLUMN")) {
        " (COLUMN: the data's name for it)"
    } else {
        ""
    };
    Some(
        DataError::new(
            DataErrorKind::MissingColumn,
            label,
            format!("the data has no column for the model's {}", what.join(", ")),
        )
        .column(map.data_name(missing[0].0))
        .hint(format!(
            "add {}{column_note}. The model's time is '{}', its event '{}', \
             its covariates: {}; the data's columns are: {}",
            add.join(" "),
            spec.time,
            spec.event,
            covariates.join(", "),
            header.join(", ")
        )),
    )
}

/// Renames the category `from` of `col` to `to` (merging it with `to` when the data has both).
fn relabel(col: &mut Column, l: &LevelMap) -> Result<(), String> {
    let (from, to) = (l.data_level.as_str(), l.model_level.as_str());
    if col.codes.is_empty() {
        return Err(format!(
            "--level {}:{from}={to}: '{}' has too many distinct numbers to be categories",
            l.column, col.name
        ));
    }
    let Some(old) = col.labels.iter().position(|l| l == from) else {
        return Err(format!(
            "--level {}:{from}={to}: the data has no value '{from}' in '{}'; its values are: {}",
            l.column,
            col.name,
            col.labels.join(", ")
        ));
    };
    match col.labels.iter().position(|l| l == to) {
        None => col.labels[old] = to.to_string(),
        Some(new) => {
            // merge: codes of `from` become those of `to`, then `from` is removed
            let (new, old) = (new as u32, old as u32);
            col.label_lines[new as usize] =
                col.label_lines[new as usize].min(col.label_lines[old as usize]);
            col.labels.remove(old as usize);
            col.label_lines.remove(old as usize);
            for c in &mut col.codes {
                if *c == MISSING {
                    continue;
                }
                if *c == old {
                    *c = new;
                }
                if *c > old {
                    *c -= 1;
                }
            }
        }
    }
    let numbers: Option<Vec<f64>> = col.labels.iter().map(|l| parse_number(l)).collect();
    col.numbers = numbers.map(Numbers::ByLabel);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::read_csv_bytes;

    fn column(text: &str) -> Column {
        read_csv_bytes(text.as_bytes(), "t.csv", &["x"], &ReadOptions::default())
            .unwrap()
            .columns
            .remove(0)
    }

    fn level(from: &str, to: &str) -> LevelMap {
        LevelMap {
            column: "x".into(),
            data_level: from.into(),
            model_level: to.into(),
        }
    }

    #[test]
    fn relabel_renames_and_merges() {
        let mut c = column("x\nYes\nNo\nyes\nNA\nNo\n");
        relabel(&mut c, &level("Yes", "1")).unwrap();
        relabel(&mut c, &level("yes", "1")).unwrap();
        relabel(&mut c, &level("No", "0")).unwrap();
        assert_eq!(c.labels, vec!["1", "0"]);
        let got: Vec<Option<String>> = (0..5).map(|i| c.label(i)).collect();
        assert_eq!(
            got,
            vec![
                Some("1".into()),
                Some("0".into()),
                Some("1".into()),
                None,
                Some("0".into())
            ]
        );
        assert_eq!(c.value(2), 1.0);
        assert!(c.value(3).is_nan());
        let e = relabel(&mut c, &level("maybe", "1")).unwrap_err();
        assert!(e.contains("no value 'maybe'") && e.contains("1, 0"), "{e}");
    }

    #[test]
    fn merging_keeps_the_other_codes() {
        let mut c = column("x\na\nb\nc\nb\n");
        relabel(&mut c, &level("a", "c")).unwrap();
        let got: Vec<String> = (0..4).map(|i| c.label(i).unwrap()).collect();
        assert_eq!(got, vec!["c", "b", "c", "b"]);
        assert_eq!(c.labels, vec!["b", "c"]);
    }
}
