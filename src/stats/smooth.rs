//! The smooth of a residual plot: a least-squares regression on a natural cubic spline basis, as
//! R's `plot.cox.zph` draws it (`lm` on `splines::ns(x, df = 4, intercept = TRUE)`), evaluated on
//! an even grid of the x range, with the pointwise standard-error factor of the fit.
//!
//! The knots are R's: the boundary knots at the range of x, the `df - 2` interior knots at the
//! quantiles (R's type 7) of the grid and the data together, as `plot.cox.zph` computes them
//! (`ns(c(pred.x, xx))`). A natural cubic spline space with K knots has dimension K, so the
//! truncated-power basis of Hastie, Tibshirani & Friedman (2009, eq. 5.4-5.5) used here spans the
//! same functions as R's B-spline basis and gives the same fitted values and standard errors.
//! See `docs/methods-diagnostics.md`.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SmoothError {
    #[error("x and y have different lengths ({x} and {y})")]
    Length { x: usize, y: usize },
    #[error("a value is not finite")]
    NonFinite,
    #[error(
        "the spline fit is singular: {distinct} distinct x values for {df} degrees of freedom"
    )]
    Singular { distinct: usize, df: usize },
    #[error("df must be at least 2")]
    Df,
}

/// The fitted smooth on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Smooth {
    /// The grid: `n` points evenly from min(x) to max(x).
    pub x: Vec<f64>,
    /// The fitted values at the grid.
    pub fit: Vec<f64>,
    /// sqrt(p' (X'X)^-1 p) at each grid point p: the standard error of the fit is this times the
    /// residual standard deviation (`plot.cox.zph` takes the latter from `cox.zph`'s `var`).
    pub se_factor: Vec<f64>,
}

/// R's `quantile(v, p, type = 7)` of sorted `v`.
fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The natural cubic spline basis at `x` for `knots` (increasing, at least 2): 1, x,
/// d_k(x) - d_{K-1}(x) for k = 1..K-2.
fn basis(x: f64, knots: &[f64]) -> Vec<f64> {
    let k = knots.len();
    let cube = |v: f64| if v > 0.0 { v * v * v } else { 0.0 };
    let last = knots[k - 1];
    let d = |j: usize| (cube(x - knots[j]) - cube(x - last)) / (last - knots[j]);
    let mut b = vec![1.0, x];
    if k > 2 {
        let dk1 = d(k - 2);
        b.extend((0..k - 2).map(|j| d(j) - dk1));
    }
    b
}

/// Fits `y` on a natural cubic spline in `x` with `df` degrees of freedom (knots as R's
/// `plot.cox.zph`; knots that coincide are kept once, lowering the degrees of freedom) and
/// evaluates it on `grid` evenly spaced points of the x range.
pub fn natural_spline(x: &[f64], y: &[f64], df: usize, grid: usize) -> Result<Smooth, SmoothError> {
    if x.len() != y.len() {
        return Err(SmoothError::Length {
            x: x.len(),
            y: y.len(),
        });
    }
    if df < 2 {
        return Err(SmoothError::Df);
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(SmoothError::NonFinite);
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() < df || x.is_empty() {
        return Err(SmoothError::Singular {
            distinct: distinct.len(),
            df,
        });
    }
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    let grid = grid.max(2);
    let gx: Vec<f64> = (0..grid)
        .map(|i| lo + (hi - lo) * i as f64 / (grid - 1) as f64)
        .collect();
    // knots from the grid and the data together, on x scaled to [0, 1] for conditioning (the
    // spline space does not change under an affine map of x)
    let scale = |v: f64| (v - lo) / (hi - lo);
    let mut all: Vec<f64> = gx.iter().chain(x).map(|&v| scale(v)).collect();
    all.sort_by(f64::total_cmp);
    let mut knots = vec![0.0];
    let inner = df - 2;
    knots.extend((1..=inner).map(|k| quantile7(&all, k as f64 / (inner + 1) as f64)));
    knots.push(1.0);
    // a covariate with many equal values (nodes: mostly 0) can put an interior knot on another:
    // R's `ns` would then give a singular basis; one knot of each value is kept, with fewer
    // degrees of freedom
    knots.dedup_by(|b, a| (*b - *a).abs() <= 1e-12);
    let df = knots.len();
    // least squares by modified Gram-Schmidt QR, twice for accuracy
    let n = x.len();
    let mut q: Vec<Vec<f64>> = vec![vec![0.0; n]; df];
    for (i, &xi) in x.iter().enumerate() {
        for (j, v) in basis(scale(xi), &knots).into_iter().enumerate() {
            q[j][i] = v;
        }
    }
    let mut r = vec![vec![0.0; df]; df];
    for j in 0..df {
        for _pass in 0..2 {
            for k in 0..j {
                let c: f64 = q[k].iter().zip(&q[j]).map(|(a, b)| a * b).sum();
                r[k][j] += c;
                let (head, tail) = q.split_at_mut(j);
                for (v, a) in tail[0].iter_mut().zip(&head[k]) {
                    *v -= c * a;
                }
            }
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale_j = r.iter().map(|row| row[j].abs()).fold(norm, f64::max);
        if norm <= 1e-10 * scale_j.max(1.0) {
            return Err(SmoothError::Singular {
                distinct: distinct.len(),
                df,
            });
        }
        r[j][j] = norm;
        q[j].iter_mut().for_each(|v| *v /= norm);
    }
    // coefficients: R c = Q'y
    let qty: Vec<f64> = q
        .iter()
        .map(|col| col.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let mut coef = vec![0.0; df];
    for j in (0..df).rev() {
        let s: f64 = (j + 1..df).map(|k| r[j][k] * coef[k]).sum();
        coef[j] = (qty[j] - s) / r[j][j];
    }
    let mut fit = Vec::with_capacity(grid);
    let mut se_factor = Vec::with_capacity(grid);
    for &g in &gx {
        let p = basis(scale(g), &knots);
        fit.push(p.iter().zip(&coef).map(|(a, b)| a * b).sum());
        // ||R^-T p||: forward substitution
        let mut z = vec![0.0; df];
        for j in 0..df {
            let s: f64 = (0..j).map(|k| r[k][j] * z[k]).sum();
            z[j] = (p[j] - s) / r[j][j];
        }
        se_factor.push(z.iter().map(|v| v * v).sum::<f64>().sqrt());
    }
    Ok(Smooth {
        x: gx,
        fit,
        se_factor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_trend_is_reproduced_and_the_se_is_that_of_least_squares() {
        let x: Vec<f64> = (0..50)
            .map(|i| (i as f64 * 0.37).sin() * 3.0 + i as f64)
            .collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 - 0.5 * v).collect();
        let s = natural_spline(&x, &y, 4, 40).unwrap();
        for (g, f) in s.x.iter().zip(&s.fit) {
            assert!((f - (2.0 - 0.5 * g)).abs() < 1e-9, "{g}: {f}");
        }
        // df = 2 is the straight line: se factor sqrt(1/n + (g - mean)^2 / Sxx)
        let s2 = natural_spline(&x, &y, 2, 5).unwrap();
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let sxx: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
        for (g, se) in s2.x.iter().zip(&s2.se_factor) {
            let want = (1.0 / n + (g - mean).powi(2) / sxx).sqrt();
            assert!(
                (se - want).abs() < 1e-12 * want.max(1.0),
                "{g}: {se} vs {want}"
            );
        }
    }

    #[test]
    fn residuals_are_orthogonal_to_the_basis_and_the_ends_are_straight() {
        // data on the grid itself, so the grid's fitted values are those at the data
        let x: Vec<f64> = (0..41).map(|i| i as f64 * 0.25).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 0.8).sin() + 0.1 * v).collect();
        let s = natural_spline(&x, &y, 4, 41).unwrap();
        for (g, v) in s.x.iter().zip(&x) {
            assert!((g - v).abs() < 1e-12);
        }
        let res: Vec<f64> = y.iter().zip(&s.fit).map(|(a, b)| a - b).collect();
        assert!(res.iter().sum::<f64>().abs() < 1e-10);
        assert!(res.iter().zip(&x).map(|(r, v)| r * v).sum::<f64>().abs() < 1e-9);
        // natural: the second derivative vanishes at the boundary knots
        let fine = natural_spline(&x, &y, 4, 10_001).unwrap();
        let h = fine.x[1] - fine.x[0];
        let second = |i: usize| (fine.fit[i + 1] - 2.0 * fine.fit[i] + fine.fit[i - 1]) / (h * h);
        let inside = second(5_000).abs().max(second(2_500).abs());
        assert!(inside > 1e-3, "{inside}");
        assert!(second(1).abs() < 1e-3 * inside.max(1.0), "{}", second(1));
        assert!(
            second(9_999).abs() < 1e-3 * inside.max(1.0),
            "{}",
            second(9_999)
        );
    }

    #[test]
    fn too_few_distinct_values_is_singular() {
        let x = [1.0, 1.0, 2.0, 2.0, 3.0];
        let y = [0.0, 1.0, 0.0, 1.0, 0.5];
        assert!(matches!(
            natural_spline(&x, &y, 4, 10),
            Err(SmoothError::Singular { distinct: 3, df: 4 })
        ));
        assert!(matches!(
            natural_spline(&x, &y[..4], 2, 10),
            Err(SmoothError::Length { .. })
        ));
        assert!(natural_spline(&x, &y, 3, 10).is_ok());
    }

    #[test]
    fn coinciding_knots_are_merged() {
        // three quarters zeros: the 1/3 quantile is the lower boundary knot
        let x: Vec<f64> = (0..40)
            .map(|i| if i < 30 { 0.0 } else { (i - 29) as f64 })
            .collect();
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 0.5 * v).collect();
        let s = natural_spline(&x, &y, 4, 40).unwrap();
        for (g, f) in s.x.iter().zip(&s.fit) {
            assert!((f - (1.0 + 0.5 * g)).abs() < 1e-9);
        }
    }

    #[test]
    fn knots_are_r_type_7_quantiles() {
        assert_eq!(quantile7(&[1.0, 2.0, 3.0, 4.0], 1.0 / 3.0), 2.0);
        assert_eq!(quantile7(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
        assert!((quantile7(&[0.0, 10.0], 0.25) - 2.5).abs() < 1e-15);
    }
}
