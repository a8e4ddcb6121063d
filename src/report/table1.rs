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
use crate::stats::dist;
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

/// Pearson's chi-square p of a levels x groups count table, as `chisq.test` (Yates' correction
/// for 2 x 2). None when fewer than two levels or groups have patients.
pub fn chisq_p(counts: &[Vec<usize>]) -> Option<f64> {
    let rows: Vec<&Vec<usize>> = counts
        .iter()
        .filter(|r| r.iter().sum::<usize>() > 0)
        .collect();
    if rows.len() < 2 {
        return None;
    }
    let k = rows[0].len();
    let cols: Vec<usize> = (0..k)
        .filter(|&g| rows.iter().map(|r| r[g]).sum::<usize>() > 0)
        .collect();
    if cols.len() < 2 {
        return None;
    }
    let total: f64 = rows.iter().map(|r| r.iter().sum::<usize>() as f64).sum();
    let row_sum: Vec<f64> = rows
        .iter()
        .map(|r| cols.iter().map(|&g| r[g] as f64).sum())
        .collect();
    let col_sum: Vec<f64> = cols
        .iter()
        .map(|&g| rows.iter().map(|r| r[g] as f64).sum())
        .collect();
    let yates_table = rows.len() == 2 && cols.len() == 2;
    // R: YATES <- min(0.5, abs(x - E)) over the whole table
    let mut yates: f64 = 0.5;
    if yates_table {
        for (i, r) in rows.iter().enumerate() {
            for (j, &g) in cols.iter().enumerate() {
                let e = row_sum[i] * col_sum[j] / total;
                yates = yates.min((r[g] as f64 - e).abs());
            }
        }
    }
    let mut stat = 0.0;
    for (i, r) in rows.iter().enumerate() {
        for (j, &g) in cols.iter().enumerate() {
            let e = row_sum[i] * col_sum[j] / total;
            let d = (r[g] as f64 - e).abs() - if yates_table { yates } else { 0.0 };
            stat += d * d / e;
        }
    }
    let df = ((rows.len() - 1) * (cols.len() - 1)) as f64;
    Some(dist::chisq_sf(stat, df))
}

/// Mid-ranks of the pooled values, with the tie term Σ (t³ - t).
fn ranks(groups: &[&Vec<f64>]) -> (Vec<Vec<f64>>, f64) {
    let mut all: Vec<(f64, usize, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, v)| v.iter().enumerate().map(move |(i, &x)| (x, g, i)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<f64>> = groups.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut ties = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &(_, g, idx) in &all[i..=j] {
            out[g][idx] = rank;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (out, ties)
}

/// Two-sided p of the Wilcoxon rank-sum test, normal approximation with tie and continuity
/// corrections (`wilcox.test(x, y, exact = FALSE, correct = TRUE)`).
pub fn wilcoxon_p(x: &[f64], y: &[f64]) -> f64 {
    let (xv, yv) = (x.to_vec(), y.to_vec());
    let (r, ties) = ranks(&[&xv, &yv]);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let w: f64 = r[0].iter().sum::<f64>() - nx * (nx + 1.0) / 2.0;
    let z = w - nx * ny / 2.0;
    let sigma = (nx * ny / 12.0 * ((nx + ny + 1.0) - ties / ((nx + ny) * (nx + ny - 1.0)))).sqrt();
    if sigma == 0.0 {
        return 1.0;
    }
    let correction = 0.5 * z.signum();
    let z = (z - correction) / sigma;
    (2.0 * dist::normal_sf(z.abs())).min(1.0)
}

/// p of the Kruskal-Wallis test with the tie correction (`kruskal.test`).
pub fn kruskal_p(groups: &[&Vec<f64>]) -> f64 {
    let (r, ties) = ranks(groups);
    let n: f64 = groups.iter().map(|g| g.len() as f64).sum();
    let s: f64 = r
        .iter()
        .map(|rg| {
            let sum: f64 = rg.iter().sum();
            sum * sum / rg.len() as f64
        })
        .sum();
    let h = (12.0 / (n * (n + 1.0)) * s - 3.0 * (n + 1.0)) / (1.0 - ties / (n * n * n - n));
    dist::chisq_sf(h, (groups.len() - 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!(((a - b) / b).abs() < tol, "{a} vs {b}");
    }

    // Expected values from scipy 1.x (`chi2_contingency(correction=True)`,
    // `mannwhitneyu(method="asymptotic", use_continuity=True)`, `kruskal`), whose definitions are
    // R's `chisq.test`, `wilcox.test(exact = FALSE)` and `kruskal.test`.
    #[test]
    fn chisq_matches_r() {
        close(
            chisq_p(&[vec![12, 7], vec![5, 9]]).unwrap(),
            0.227_568_214_575_806_4,
            1e-9,
        );
        // X-squared = 23.333, df = 2: p = exp(-X/2)
        close(
            chisq_p(&[vec![10, 25], vec![20, 15], vec![30, 5]]).unwrap(),
            8.574_939_102_672_28e-6,
            1e-9,
        );
        assert_eq!(chisq_p(&[vec![3, 4], vec![0, 0]]), None);
    }

    #[test]
    fn wilcoxon_matches_r() {
        let x = [1.1, 2.2, 3.3, 4.4, 5.5, 2.2];
        let y = [3.3, 6.6, 7.7, 8.8, 9.9];
        close(wilcoxon_p(&x, &y), 0.027_741_883_222_976_476, 1e-9);
        close(wilcoxon_p(&y, &x), 0.027_741_883_222_976_476, 1e-9);
    }

    #[test]
    fn kruskal_matches_r() {
        let a = vec![1.0, 2.0, 3.0, 3.0];
        let b = vec![4.0, 5.0, 6.0];
        let c = vec![2.0, 7.0, 8.0, 9.0];
        close(kruskal_p(&[&a, &b, &c]), 0.083_509_225_755_604_47, 1e-9);
    }

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
