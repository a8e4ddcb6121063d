//! Tests of difference between groups, as R computes them: Pearson's chi-square
//! (`chisq.test`, Yates-corrected for 2 x 2), the Wilcoxon rank-sum test with the normal
//! approximation (`wilcox.test(exact = FALSE, correct = TRUE)`) and the Kruskal-Wallis test
//! (`kruskal.test`), both with the tie correction.

use crate::stats::dist;

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
}
