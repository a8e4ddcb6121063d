//! "Table 1": the characteristics of patients by group (development and validation sets, say):
//! n (%) per level of a categorical variable, median (IQR) of a numeric one, and a test of
//! difference between the groups, as R's `chisq.test` and `wilcox.test` / `kruskal.test` compute
//! them (the tests `tableone::CreateTableOne(..., nonnormal = ...)` reports).
//!
//! - Categorical: Pearson's chi-square test of the level x group table, with Yates' continuity
//!   correction when the table is 2 x 2 (`chisq.test`'s default `correct = TRUE`), df =
//!   (levels - 1)(groups - 1). Levels or groups with no patient are left out of the test.
//! - Numeric, two groups: the Wilcoxon rank-sum test with the normal approximation, corrected for
//!   ties and for continuity (`wilcox.test(exact = FALSE, correct = TRUE)`; R uses the exact
//!   distribution only when both groups have fewer than 50 patients and no ties, which registry
//!   cohorts do not).
//! - Numeric, more groups: the Kruskal-Wallis test with the tie correction (`kruskal.test`).
//!
//! Medians and quartiles are R's `quantile(type = 7)`.

use crate::stats::calibration::quantile7;
use crate::stats::hypothesis::{chisq_p, kruskal_p, wilcoxon_p};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum Table1Error {
    #[error("variable '{name}' has {got} values for {n} patients")]
    LengthMismatch { name: String, got: usize, n: usize },
    #[error("group code {code} of patient {index} is not below the {groups} groups")]
    BadGroup {
        index: usize,
        code: usize,
        groups: usize,
    },
    #[error("variable '{name}': level code {code} of patient {index} has no level")]
    BadLevel {
        name: String,
        index: usize,
        code: usize,
    },
}

/// One variable's values for every patient.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    Numeric(&'a [f64]),
    Categorical {
        codes: &'a [usize],
        levels: &'a [String],
    },
}

/// A row of the table: a numeric variable's median (IQR), or one level's n (%).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub variable: String,
    /// The level, or "median (IQR)".
    pub level: String,
    /// Overall, then per group: "58 (49-67)" or "93 (8.6%)".
    pub cells: Vec<String>,
    /// The test's p, on the variable's first row only.
    pub p: Option<f64>,
    /// The test, on the first row: "chi-square", "Wilcoxon rank-sum", "Kruskal-Wallis".
    pub test: Option<String>,
}

/// The table: column names (Overall, then the groups with their n) and rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1 {
    pub columns: Vec<String>,
    pub n: Vec<usize>,
    pub rows: Vec<Row>,
}

/// Builds the table of `variables` (name, values) over patients in `groups` (group code per
/// patient, 0-based, names in `group_names`).
pub fn table_one(
    variables: &[(String, Values)],
    group: &[usize],
    group_names: &[String],
) -> Result<Table1, Table1Error> {
    let k = group_names.len();
    let n = group.len();
    if let Some((index, &code)) = group.iter().enumerate().find(|(_, &g)| g >= k) {
        return Err(Table1Error::BadGroup {
            index,
            code,
            groups: k,
        });
    }
    let mut sizes = vec![0usize; k];
    for &g in group {
        sizes[g] += 1;
    }
    let mut columns = vec![format!("Overall (n = {n})")];
    columns.extend(
        group_names
            .iter()
            .zip(&sizes)
            .map(|(g, m)| format!("{g} (n = {m})")),
    );
    let mut ns = vec![n];
    ns.extend(&sizes);
    let mut rows = Vec::new();
    for (name, values) in variables {
        match values {
            Values::Numeric(x) => {
                if x.len() != n {
                    return Err(Table1Error::LengthMismatch {
                        name: name.clone(),
                        got: x.len(),
                        n,
                    });
                }
                let mut per: Vec<Vec<f64>> = vec![Vec::new(); k];
                for (&v, &g) in x.iter().zip(group) {
                    per[g].push(v);
                }
                let mut cells = vec![median_iqr(x.to_vec())];
                cells.extend(per.iter().map(|v| median_iqr(v.clone())));
                let nonempty: Vec<&Vec<f64>> = per.iter().filter(|v| !v.is_empty()).collect();
                let (p, test) = match nonempty.len() {
                    2 => (
                        Some(wilcoxon_p(nonempty[0], nonempty[1])),
                        "Wilcoxon rank-sum",
                    ),
                    m if m > 2 => (Some(kruskal_p(&nonempty)), "Kruskal-Wallis"),
                    _ => (None, ""),
                };
                rows.push(Row {
                    variable: name.clone(),
                    level: "median (IQR)".into(),
                    cells,
                    p,
                    test: p.map(|_| test.to_string()),
                });
            }
            Values::Categorical { codes, levels } => {
                if codes.len() != n {
                    return Err(Table1Error::LengthMismatch {
                        name: name.clone(),
                        got: codes.len(),
                        n,
                    });
                }
                let mut counts = vec![vec![0usize; k]; levels.len()];
                for (index, (&c, &g)) in codes.iter().zip(group).enumerate() {
                    if c >= levels.len() {
                        return Err(Table1Error::BadLevel {
                            name: name.clone(),
                            index,
                            code: c,
                        });
                    }
                    counts[c][g] += 1;
                }
                let p = chisq_p(&counts);
                for (l, level) in levels.iter().enumerate() {
                    let total: usize = counts[l].iter().sum();
                    let mut cells = vec![n_pct(total, n)];
                    cells.extend((0..k).map(|g| n_pct(counts[l][g], sizes[g])));
                    rows.push(Row {
                        variable: if l == 0 { name.clone() } else { String::new() },
                        level: level.clone(),
                        cells,
                        p: if l == 0 { p } else { None },
                        test: (l == 0 && p.is_some()).then(|| "chi-square".to_string()),
                    });
                }
            }
        }
    }
    Ok(Table1 {
        columns,
        n: ns,
        rows,
    })
}

fn n_pct(count: usize, of: usize) -> String {
    if of == 0 {
        return format!("{count}");
    }
    format!("{count} ({:.1}%)", 100.0 * count as f64 / of as f64)
}

fn median_iqr(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    let f = |x: f64| crate::plot::tick_label((x * 100.0).round() / 100.0);
    format!(
        "{} ({}–{})",
        f(quantile7(&v, 0.5)),
        f(quantile7(&v, 0.25)),
        f(quantile7(&v, 0.75))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_and_cells() {
        let age = [50.0, 60.0, 70.0, 40.0];
        let codes = [0usize, 1, 1, 0];
        let levels = vec!["No".to_string(), "Yes".to_string()];
        let t = table_one(
            &[
                ("age".into(), Values::Numeric(&age)),
                (
                    "brain".into(),
                    Values::Categorical {
                        codes: &codes,
                        levels: &levels,
                    },
                ),
            ],
            &[0, 0, 1, 1],
            &["Development".into(), "Validation".into()],
        )
        .unwrap();
        assert_eq!(t.columns[1], "Development (n = 2)");
        assert_eq!(t.rows[0].cells[0], "55 (47.5–62.5)");
        assert_eq!(t.rows[1].cells, vec!["2 (50.0%)", "1 (50.0%)", "1 (50.0%)"]);
        assert_eq!(t.rows[2].variable, "");
        assert!(t.rows[1].p.is_some() && t.rows[2].p.is_none());
        assert!(table_one(&[], &[0, 2], &["a".into(), "b".into()]).is_err());
    }
}
