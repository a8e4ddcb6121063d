//! Calibration of predicted survival probabilities: restricted cubic splines as rms builds them,
//! smooth calibration at a horizon (Austin, Harrell & van Klaveren 2020), the calibration slope
//! and the observed/expected ratio.
//!
//! The numerical core: slices in, plain structs out, no I/O.
//!
//! # Restricted cubic splines
//!
//! For knots `k_1 < ... < k_K` the restricted cubic spline of Stone & Koo (1985), in the form and
//! scaling of Harrell's `Hmisc::rcspline.eval` (`norm = 2`, the default used by `rms::rcs`), has
//! the linear term `x` and `K - 2` non-linear terms, for `j = 1..K-2`:
//!
//! ```text
//!   x_j = (x - k_j)_+^3
//!         + [ (k_{K-1} - k_j) (x - k_K)_+^3 - (k_K - k_j) (x - k_{K-1})_+^3 ] / (k_K - k_{K-1})
//!   and each (.)_+^3 is evaluated as ((x - k) / tau)_+^3 with tau = (k_K - k_1)^(2/3),
//! ```
//!
//! that is, every non-linear term is divided by `(k_K - k_1)^2`, which gives it the units of `x`.
//! The function is linear beyond the outer knots (Harrell 2015, *Regression Modeling
//! Strategies*, 2nd ed., section 2.4.5).
//!
//! # Smooth calibration at a horizon
//!
//! For predicted survival `S_i(u)` at horizon `u` (Austin, Harrell & van Klaveren 2020, Stat Med
//! 39:2714-2742, "Graphical calibration curves and the integrated calibration index (ICI) for
//! survival models"):
//!
//! 1. `c_i = ln(-ln S_i(u))`, the complementary log-log of the predicted risk `p_i = 1 - S_i(u)`;
//! 2. a Cox model of the observed outcome on `rcs(c, 3)` (3 knots at Harrell's default places) is
//!    fitted as `rms::cph` fits it (Efron ties, `eps = 1e-4`, `iter.max = 10`, `tol = 1e-9`);
//! 3. the observed risk is `o_i = 1 - S_cal(u | c_i)`, the calibration model's predicted survival
//!    (`survest.cph`, which is `survfit.coxph`'s Efron-type estimate at `u`);
//! 4. with `d_i = |p_i - o_i|`: ICI = mean(d), E50 = median(d), E90 = the 0.9 quantile of d (R's
//!    type 7), Emax = max(d).

use crate::stats::cox::{self, CoxError, CoxOptions, CoxWarning, Design, FitExtras};
use crate::stats::dist;
use crate::stats::surv::Surv;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a calibration measure could not be computed. Indices are 0-based positions in the input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrationError {
    #[error("{what} has {got} values for {n} subjects")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        n: usize,
    },
    #[error("horizon {horizon} is not a finite, non-negative time")]
    InvalidHorizon { horizon: f64 },
    #[error(
        "horizon {horizon} is beyond the last follow-up time {last}: the calibration model has \
         no support there"
    )]
    HorizonBeyondFollowUp { horizon: f64, last: f64 },
    #[error(
        "predicted survival {value} of subject {index} is not strictly between 0 and 1, so its \
         complementary log-log is not finite"
    )]
    PredictionOutOfRange { index: usize, value: f64 },
    #[error("linear predictor {value} of subject {index} is not finite")]
    NonFiniteLinearPredictor { index: usize, value: f64 },
    #[error(
        "the predictions have too few distinct values ({distinct} among {n}) to place the 3 knots \
         of a restricted cubic spline"
    )]
    TooFewKnots { n: usize, distinct: usize },
    #[error("the calibration model could not be fitted: {0}")]
    Fit(#[from] CoxError),
    #[error("the calibration model gives no finite estimate at horizon {horizon}")]
    NonFiniteEstimate { horizon: f64 },
}

/// Smooth calibration of predicted survival at one horizon (Austin, Harrell & van Klaveren 2020).
/// Risks are event probabilities by the horizon: predicted `1 - S_pred(u)`, observed
/// `1 - S_cal(u)` from the calibration model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmoothCalibration {
    /// The horizon u.
    pub horizon: f64,
    /// Integrated calibration index: mean |predicted - observed| over the subjects.
    pub ici: f64,
    /// Median |predicted - observed|.
    pub e50: f64,
    /// 0.9 quantile of |predicted - observed| (R's `quantile`, type 7).
    pub e90: f64,
    /// Largest |predicted - observed|.
    pub emax: f64,
    /// Knots of the restricted cubic spline, on the complementary log-log scale.
    pub knots: Vec<f64>,
    /// The calibration curve: (predicted risk, observed risk) at 50 equally spaced predicted
    /// risks from the 1st to the 99th percentile of the predicted risks.
    pub curve: Vec<(f64, f64)>,
}

/// Calibration slope: the coefficient of the linear predictor in a Cox model of the outcome on
/// it (1 = perfect; below 1 = predictions too extreme, overfitting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    pub slope: f64,
    /// Standard error (inverse information).
    pub se: f64,
    /// Wald confidence limits `slope -/+ z se` at `conf_level`.
    pub lower: f64,
    pub upper: f64,
    pub conf_level: f64,
    /// Warnings of the Cox fit (non-convergence, a possibly infinite slope).
    pub warnings: Vec<CoxWarning>,
}

/// R's `quantile(x, p, type = 7)` of values already sorted increasingly (no NaN): with
/// `h = 1 + (n - 1) p`, `lo = floor(h)`, `hi = ceiling(h)` (1-based),
/// `Q(p) = x[lo] + (h - lo) (x[hi] - x[lo])`, written `(1 - g) x[lo] + g x[hi]` as R does and
/// only when `h > lo` and `x[hi] != x[lo]`. NaN for an empty slice.
pub fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let index = 1.0 + (n - 1) as f64 * p;
    let lo = index.floor();
    let hi = index.ceil();
    let (lo_i, hi_i) = (lo as usize - 1, (hi as usize - 1).min(n - 1));
    let q = sorted[lo_i];
    if index > lo && sorted[hi_i] != q {
        let h = index - lo;
        (1.0 - h) * q + h * sorted[hi_i]
    } else {
        q
    }
}

/// R's `median`: the middle value, or the mean of the two middle values, of sorted values.
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Mean with R's refinement (a second pass adds the mean residual).
fn mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| v - m).sum::<f64>() / n
}

/// R's `seq(from, to, length.out = len)` for len >= 2: `from + i (to - from)/(len - 1)`, the last
/// value exactly `to`.
fn seq_len_out(from: f64, to: f64, len: usize) -> Vec<f64> {
    if len < 2 {
        return vec![from; len];
    }
    if len == 2 {
        return vec![from, to];
    }
    let n1 = (len - 1) as f64;
    let by = (to - from) / n1;
    let mut v: Vec<f64> = (0..len - 1).map(|i| from + i as f64 * by).collect();
    v.push(to);
    v
}

fn sorted_unique(v: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    s.sort_by(f64::total_cmp);
    s.dedup();
    s
}

/// Default knots of a restricted cubic spline with `nk` knots, as `rms::rcs(x, nk)` places them
/// (`Hmisc::rcspline.eval` with `fractied = 0.05`, the rms default):
///
/// * quantiles (R type 7) at `seq(outer, 1 - outer, length = nk)` with `outer` = 0.10 for 3 knots,
///   0.05 for 4 to 6 knots and 0.025 for 7 or more. This is Harrell's table: 3 knots at
///   0.10, 0.50, 0.90; 4 at 0.05, 0.35, 0.65, 0.95; 5 at 0.05, 0.275, 0.5, 0.725, 0.95;
///   6 at 0.05, 0.23, 0.41, 0.59, 0.77, 0.95; 7 at 0.025, 0.1833, 0.3417, 0.5, 0.6583, 0.8167,
///   0.975;
/// * with fewer than 100 values, the outer knots are moved to the 5th smallest and the 5th
///   largest value;
/// * with at most `nk + 2` distinct values, the knots are the distinct values but the smallest
///   and largest;
/// * when no interior value has 5% of the observations but the smallest (largest) value has at
///   least 5%, the first (last) knot is the next distinct value and the other knots are placed
///   among the values beyond it;
/// * when the quantiles coincide, `2 nk` quantiles are tried (rcspline.eval's alternate rule).
///
/// Returns the knots sorted and unique. Where R stops (fewer than 6 values, `nk < 3`, or no 3
/// distinct knots) the result has fewer than 3 knots; callers must check. NaN values are ignored.
pub fn rcs_knots(x: &[f64], nk: usize) -> Vec<f64> {
    let mut xx: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = xx.len();
    if n < 6 || nk < 3 {
        return Vec::new();
    }
    let xu = sorted_unique(&xx);
    let nxu = xu.len();
    if nxu <= nk + 2 {
        // knots set to the interior distinct values
        return if nxu >= 2 {
            xu[1..nxu - 1].to_vec()
        } else {
            Vec::new()
        };
    }
    let outer = if nk > 6 {
        0.025
    } else if nk > 3 {
        0.05
    } else {
        0.1
    };
    let fractied = 0.05;
    let mut nke = nk;
    let mut first_knot: Option<f64> = None;
    let mut last_knot: Option<f64> = None;
    // frequency of each distinct value (xu is sorted)
    let mut counts = vec![0usize; nxu];
    for v in &xx {
        if let Ok(k) = xu.binary_search_by(|u| u.total_cmp(v)) {
            counts[k] += 1;
        }
    }
    let nf = n as f64;
    let max_interior = counts[1..nxu - 1]
        .iter()
        .map(|&c| c as f64 / nf)
        .fold(f64::NEG_INFINITY, f64::max);
    if max_interior < fractied {
        if counts[0] as f64 / nf >= fractied {
            let min = xu[0];
            let fk = xx
                .iter()
                .copied()
                .filter(|&v| v > min)
                .fold(f64::INFINITY, f64::min);
            xx.retain(|&v| v > fk);
            nke -= 1;
            first_knot = Some(fk);
        }
        if counts[nxu - 1] as f64 / nf >= fractied {
            let max = xx.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lk = xx
                .iter()
                .copied()
                .filter(|&v| v < max)
                .fold(f64::NEG_INFINITY, f64::max);
            xx.retain(|&v| v < lk);
            nke -= 1;
            last_knot = Some(lk);
        }
    }
    xx.sort_by(f64::total_cmp);
    if xx.is_empty() {
        return Vec::new();
    }
    let mut knots: Vec<f64>;
    if nke == 1 {
        knots = vec![median_sorted(&xx)];
    } else {
        if nxu <= nke {
            knots = xu.clone();
        } else {
            let p = if nke == 2 {
                seq_len_out(0.5, 1.0 - outer, nke)
            } else {
                seq_len_out(outer, 1.0 - outer, nke)
            };
            knots = p.iter().map(|&p| quantile7(&xx, p)).collect();
            if sorted_unique(&knots).len() < nke.min(3) {
                knots = seq_len_out(outer, 1.0 - outer, 2 * nke)
                    .iter()
                    .map(|&p| quantile7(&xx, p))
                    .collect();
                if let Some(fk) = first_knot {
                    if sorted_unique(&knots).len() < 3 {
                        let midval = match last_knot {
                            Some(lk) => (fk + lk) / 2.0,
                            None => median_sorted(&xx),
                        };
                        let third = last_knot.unwrap_or_else(|| quantile7(&xx, 1.0 - outer));
                        knots = vec![fk, midval, third];
                        knots.sort_by(f64::total_cmp);
                    }
                }
                if sorted_unique(&knots).len() < 3 {
                    return Vec::new();
                }
            }
        }
        if xx.len() < 100 {
            let m = xx.len();
            if m < 5 {
                // R would index outside the data here: no usable knots
                return Vec::new();
            }
            if first_knot.is_none() {
                knots[0] = xx[4];
            }
            if last_knot.is_none() && nke >= 1 && nke <= knots.len() {
                knots[nke - 1] = xx[m - 5];
            }
        }
    }
    let mut all = Vec::with_capacity(knots.len() + 2);
    all.extend(first_knot);
    all.extend(knots);
    all.extend(last_knot);
    sorted_unique(&all)
}

/// The restricted cubic spline basis of `x` as `rms::rcs` builds it (`Hmisc::rcspline.eval` with
/// `inclx = TRUE`, `norm = 2`): `x` itself followed by the `K - 2` non-linear terms
///
/// ```text
///   x_j = ((x - k_j)/tau)_+^3
///         + [ (k_{K-1} - k_j) ((x - k_K)/tau)_+^3 - (k_K - k_j) ((x - k_{K-1})/tau)_+^3 ]
///           / (k_K - k_{K-1}),        tau = (k_K - k_1)^(2/3),   j = 1..K-2,
/// ```
///
/// i.e. the Stone-Koo terms divided by `(k_K - k_1)^2`. `knots` must be sorted and distinct (as
/// [`rcs_knots`] returns them); with fewer than 3 knots only the linear term is returned.
pub fn rcs_basis(x: f64, knots: &[f64]) -> Vec<f64> {
    let nk = knots.len();
    let mut out = Vec::with_capacity(nk.saturating_sub(1).max(1));
    out.push(x);
    if nk < 3 {
        return out;
    }
    let knot1 = knots[0];
    let knotnk = knots[nk - 1];
    let knotnk1 = knots[nk - 2];
    let kd = (knotnk - knot1).powf(2.0 / 3.0);
    let cube = |v: f64| (v / kd).max(0.0).powf(3.0);
    for &kj in &knots[..nk - 2] {
        out.push(
            cube(x - kj)
                + ((knotnk1 - kj) * cube(x - knotnk) - (knotnk - kj) * cube(x - knotnk1))
                    / (knotnk - knotnk1),
        );
    }
    out
}

/// S(u) of the calibration model for one row (no variance needed here).
fn surv_at(fit: &cox::CoxFit, x: &[f64], u: f64) -> f64 {
    fit.survival_at_lp(fit.linear_predictor(x), 0, u)
}

fn check_horizon(surv: &Surv, u: f64) -> Result<(), CalibrationError> {
    if !u.is_finite() || u < 0.0 {
        return Err(CalibrationError::InvalidHorizon { horizon: u });
    }
    let last = surv
        .time()
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    if u > last {
        return Err(CalibrationError::HorizonBeyondFollowUp { horizon: u, last });
    }
    Ok(())
}

/// Smooth calibration of predicted survival probabilities `predicted_surv_u[i]` = S_i(u) at
/// horizon `u` against the outcomes `surv` (Austin, Harrell & van Klaveren 2020), exactly as
///
/// ```text
///   cll <- log(-log(S))
///   cf  <- cph(Surv(time, event) ~ rcs(cll, 3), x = TRUE, y = TRUE, surv = TRUE)
///   obs <- 1 - survest(cf, newdata = data.frame(cll), times = u)$surv
///   d   <- abs((1 - S) - obs);  ICI = mean(d), E50 = median(d), E90 = quantile(d, 0.9), Emax = max(d)
/// ```
///
/// with prognosis's own Cox engine. The curve is evaluated at 50 equally spaced predicted risks
/// between the 1st and 99th percentiles (type 7) of the predicted risks.
///
/// Errors: lengths differ, `u` not finite and non-negative, `u` beyond the last follow-up time
/// (where rms's `survest` gives no estimate: the calibration model has no support there), a
/// predicted survival not strictly in (0, 1), too few distinct predictions for 3 knots, a
/// calibration model that cannot be fitted, or a non-finite estimate.
pub fn smooth_calibration(
    surv: &Surv,
    predicted_surv_u: &[f64],
    u: f64,
) -> Result<SmoothCalibration, CalibrationError> {
    let n = surv.len();
    if predicted_surv_u.len() != n {
        return Err(CalibrationError::LengthMismatch {
            what: "predicted survival",
            got: predicted_surv_u.len(),
            n,
        });
    }
    check_horizon(surv, u)?;
    let mut cll = Vec::with_capacity(n);
    for (index, &value) in predicted_surv_u.iter().enumerate() {
        let c = (-value.ln()).ln();
        if !(value > 0.0 && value < 1.0 && c.is_finite()) {
            return Err(CalibrationError::PredictionOutOfRange { index, value });
        }
        cll.push(c);
    }
    let knots = rcs_knots(&cll, 3);
    if knots.len() < 3 {
        return Err(CalibrationError::TooFewKnots {
            n,
            distinct: sorted_unique(&cll).len(),
        });
    }
    let p = knots.len() - 1;
    let mut x = Vec::with_capacity(n * p);
    for &c in &cll {
        x.extend(rcs_basis(c, &knots));
    }
    let names: Vec<String> = (0..p).map(|j| format!("cll{}", "'".repeat(j))).collect();
    let design = Design::new(x, n, names)?;
    let fit = cox::fit(&design, surv, FitExtras::default(), &CoxOptions::cph())?;
    let observed_at = |c: f64| -> f64 { 1.0 - surv_at(&fit, &rcs_basis(c, &knots), u) };

    let mut diffs = Vec::with_capacity(n);
    for (i, &s) in predicted_surv_u.iter().enumerate() {
        let obs = 1.0 - surv_at(&fit, design.row(i), u);
        if !obs.is_finite() {
            return Err(CalibrationError::NonFiniteEstimate { horizon: u });
        }
        diffs.push(((1.0 - s) - obs).abs());
    }
    let ici = mean(&diffs);
    diffs.sort_by(f64::total_cmp);
    let e50 = median_sorted(&diffs);
    let e90 = quantile7(&diffs, 0.9);
    let emax = diffs[n - 1];

    let mut risks: Vec<f64> = predicted_surv_u.iter().map(|s| 1.0 - s).collect();
    risks.sort_by(f64::total_cmp);
    let (lo, hi) = (quantile7(&risks, 0.01), quantile7(&risks, 0.99));
    let mut curve = Vec::with_capacity(50);
    for r in seq_len_out(lo, hi, 50) {
        // the grid lies within the predicted risks, so 0 < r < 1
        let c = (-(1.0 - r).ln()).ln();
        let obs = observed_at(c);
        if !obs.is_finite() {
            return Err(CalibrationError::NonFiniteEstimate { horizon: u });
        }
        curve.push((r, obs));
    }

    Ok(SmoothCalibration {
        horizon: u,
        ici,
        e50,
        e90,
        emax,
        knots,
        curve,
    })
}

/// Calibration slope (van Houwelingen 2000; Harrell 2015 section 20.9): the Cox model
/// `h(t | lp) = h0(t) exp(gamma lp)` fitted to the outcomes (Efron ties, `coxph` defaults).
/// `gamma` = 1 for well-calibrated relative risks; on the data a model was fitted to, its own
/// linear predictor gives exactly 1 (the fit already maximises the partial likelihood along that
/// direction). Confidence limits `gamma -/+ z_{0.975} se(gamma)`.
///
/// Errors: lengths differ, a non-finite linear predictor, or a model that cannot be fitted
/// (no events, a constant linear predictor).
pub fn calibration_slope(surv: &Surv, lp: &[f64]) -> Result<Slope, CalibrationError> {
    let n = surv.len();
    if lp.len() != n {
        return Err(CalibrationError::LengthMismatch {
            what: "linear predictor",
            got: lp.len(),
            n,
        });
    }
    if let Some((index, &value)) = lp.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CalibrationError::NonFiniteLinearPredictor { index, value });
    }
    let design = Design::new(lp.to_vec(), n, vec!["lp".to_string()])?;
    let opts = CoxOptions::default();
    let fit = cox::fit(&design, surv, FitExtras::default(), &opts)?;
    let slope = fit.coef[0];
    let se = fit.var[0][0].sqrt();
    let z = dist::z_for_level(opts.conf_level);
    Ok(Slope {
        slope,
        se,
        lower: slope - z * se,
        upper: slope + z * se,
        conf_level: opts.conf_level,
        warnings: fit.warnings,
    })
}

/// Observed/expected ratio at horizon `u`: the observed risk by Kaplan-Meier over the mean
/// predicted risk,
///
/// ```text
///   O/E(u) = (1 - KM(u)) / mean_i (1 - S_i(u)),
/// ```
///
/// where `km_observed_surv_u` = KM(u) of `surv` (computed by the caller). 1 = calibration in the
/// large; above 1 = the model under-predicts risk. NaN when there are no predictions, their count
/// differs from the number of subjects, `u` is not finite, or the mean predicted risk is 0.
pub fn observed_expected(
    surv: &Surv,
    predicted_surv_u: &[f64],
    u: f64,
    km_observed_surv_u: f64,
) -> f64 {
    if predicted_surv_u.is_empty() || predicted_surv_u.len() != surv.len() || !u.is_finite() {
        return f64::NAN;
    }
    let risks: Vec<f64> = predicted_surv_u.iter().map(|s| 1.0 - s).collect();
    let expected = mean(&risks);
    if expected == 0.0 {
        return f64::NAN;
    }
    (1.0 - km_observed_surv_u) / expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_type7_as_r() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        // quantile(c(1,2,3,4,10), c(0, .1, .5, .9, 1)) = 1.0 1.4 3.0 7.6 10.0
        let want = [1.0, 1.4, 3.0, 7.6, 10.0];
        for (p, w) in [0.0, 0.1, 0.5, 0.9, 1.0].iter().zip(want) {
            assert!((quantile7(&x, *p) - w).abs() < 1e-14, "p={p}");
        }
        assert!(quantile7(&[], 0.5).is_nan());
        assert_eq!(median_sorted(&[1.0, 2.0, 5.0, 7.0]), 3.5);
        assert_eq!(median_sorted(&[1.0, 2.0, 5.0]), 2.0);
        assert_eq!(seq_len_out(0.1, 0.9, 3), vec![0.1, 0.5, 0.9]);
    }

    #[test]
    fn rcs_basis_by_hand() {
        // knots 0, 1, 3: tau^3 = (3 - 0)^2 = 9; one non-linear term
        //   x1 = (x)_+^3 + [ (1 - 0)(x - 3)_+^3 - (3 - 0)(x - 1)_+^3 ] / (3 - 1), all over 9
        let k = [0.0, 1.0, 3.0];
        let hand = |x: f64| {
            let c = |v: f64| v.max(0.0).powi(3);
            (c(x) + (c(x - 3.0) - 3.0 * c(x - 1.0)) / 2.0) / 9.0
        };
        for x in [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.5, 10.0] {
            let b = rcs_basis(x, &k);
            assert_eq!(b.len(), 2);
            assert_eq!(b[0], x);
            assert!(
                (b[1] - hand(x)).abs() < 1e-13,
                "x={x}: {} vs {}",
                b[1],
                hand(x)
            );
        }
        // worked values: x = 2: (8 + (0 - 3 * 1)/2)/9 = 13/18;
        // x = 4.5: (91.125 + (3.375 - 3 * 42.875)/2)/9 = 28.5/9
        assert!((rcs_basis(2.0, &k)[1] - 13.0 / 18.0).abs() < 1e-14);
        assert!((rcs_basis(4.5, &k)[1] - 28.5 / 9.0).abs() < 1e-13);
        // linear beyond the last knot: equal second differences vanish
        let f = |x: f64| rcs_basis(x, &k)[1];
        let d2 = f(5.0) - 2.0 * f(6.0) + f(7.0);
        assert!(d2.abs() < 1e-12);
        // 0 below the first knot
        assert_eq!(f(-2.0), 0.0);
        // fewer than 3 knots: the linear term only
        assert_eq!(rcs_basis(2.0, &[0.0, 1.0]), vec![2.0]);
    }

    #[test]
    fn rcs_basis_four_knots_by_hand() {
        let k = [1.0, 2.0, 4.0, 7.0];
        let c = |v: f64| v.max(0.0).powi(3);
        let x = 5.0;
        let norm = 36.0; // (7 - 1)^2
        let t1 = (c(x - 1.0) + ((4.0 - 1.0) * c(x - 7.0) - (7.0 - 1.0) * c(x - 4.0)) / 3.0) / norm;
        let t2 = (c(x - 2.0) + ((4.0 - 2.0) * c(x - 7.0) - (7.0 - 2.0) * c(x - 4.0)) / 3.0) / norm;
        let b = rcs_basis(x, &k);
        assert_eq!(b.len(), 3);
        assert!((b[1] - t1).abs() < 1e-13 && (b[2] - t2).abs() < 1e-13);
    }

    #[test]
    fn knots_quantiles_and_small_n_rule() {
        // n >= 100: quantiles 0.1, 0.5, 0.9 of 1..=200
        let x: Vec<f64> = (1..=200).map(|v| v as f64).collect();
        let k = rcs_knots(&x, 3);
        // 1 + 199 p: 20.9, 100.5, 180.1
        assert_eq!(k.len(), 3);
        for (a, b) in k.iter().zip([20.9, 100.5, 180.1]) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // n < 100: outer knots at the 5th smallest and 5th largest values
        let x: Vec<f64> = (1..=50).map(|v| (v * v) as f64).collect();
        let k = rcs_knots(&x, 3);
        assert_eq!(k[0], 25.0);
        assert_eq!(k[2], (46 * 46) as f64);
        // median of 1..50 squared: (25^2 + 26^2)/2
        assert!((k[1] - 650.5).abs() < 1e-12);
        // 5 knots at 0.05, 0.275, 0.5, 0.725, 0.95 of 0..=1000
        let x: Vec<f64> = (0..=1000).map(|v| v as f64).collect();
        let k = rcs_knots(&x, 5);
        for (a, b) in k.iter().zip([50.0, 275.0, 500.0, 725.0, 950.0]) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        // few distinct values: the interior ones
        let x = [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.0];
        assert_eq!(rcs_knots(&x, 3), vec![2.0, 3.0, 4.0]);
        // too few values
        assert!(rcs_knots(&[1.0, 2.0, 3.0], 3).is_empty());
    }

    #[test]
    fn knots_with_heavy_ties_at_an_end() {
        // 30% of the values at 0, the rest distinct: the first knot is the next value and the
        // other two are placed among the values above it (quantiles 0.5 and 0.9 of them)
        let mut x = vec![0.0; 60];
        x.extend((1..=140).map(|v| v as f64));
        let k = rcs_knots(&x, 3);
        assert_eq!(k.len(), 3);
        assert_eq!(k[0], 1.0);
        // values 2..=140 (139 of them): 1 + 138 p -> p = .5: 70.0 -> value 71; p = .9: 125.2
        assert!((k[1] - 71.0).abs() < 1e-12);
        assert!((k[2] - 126.2).abs() < 1e-9, "{}", k[2]);
    }

    fn small_cohort() -> (Surv, Vec<f64>) {
        // deterministic pseudo-random cohort with two covariates
        let n = 300;
        let mut state: u64 = 12345;
        let mut unif = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut x = Vec::with_capacity(2 * n);
        let mut time = Vec::with_capacity(n);
        let mut event = Vec::with_capacity(n);
        for _ in 0..n {
            let a = unif() * 2.0 - 1.0;
            let b = if unif() < 0.4 { 1.0 } else { 0.0 };
            let lp = 0.8 * a + 0.5 * b;
            let t = -unif().ln() / (0.1 * lp.exp());
            let c = unif() * 20.0;
            time.push(t.min(c).ceil());
            event.push(t <= c);
            x.push(a);
            x.push(b);
        }
        (Surv::new(time, event).unwrap(), x)
    }

    #[test]
    fn slope_of_own_linear_predictor_is_one() {
        let (surv, x) = small_cohort();
        let n = surv.len();
        let design = Design::new(x, n, vec!["a".into(), "b".into()]).unwrap();
        let fit = cox::fit(&design, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
        let lp: Vec<f64> = (0..n)
            .map(|i| fit.linear_predictor(design.row(i)))
            .collect();
        let s = calibration_slope(&surv, &lp).unwrap();
        assert!((s.slope - 1.0).abs() < 1e-8, "slope {}", s.slope);
        assert!(s.se > 0.0 && s.lower < 1.0 && s.upper > 1.0);
        assert!(s.warnings.is_empty());
        // a linear predictor twice as large is too extreme: slope one half
        let lp2: Vec<f64> = lp.iter().map(|v| 2.0 * v).collect();
        let s2 = calibration_slope(&surv, &lp2).unwrap();
        assert!((s2.slope - 0.5).abs() < 1e-8);
        assert!(matches!(
            calibration_slope(&surv, &lp[1..]),
            Err(CalibrationError::LengthMismatch { .. })
        ));
        assert!(matches!(
            calibration_slope(&surv, &vec![0.3; n]),
            Err(CalibrationError::Fit(CoxError::ConstantTerm { .. }))
        ));
    }

    #[test]
    fn smooth_calibration_errors_and_curve() {
        let (surv, x) = small_cohort();
        let n = surv.len();
        let design = Design::new(x, n, vec!["a".into(), "b".into()]).unwrap();
        let fit = cox::fit(&design, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
        let s: Vec<f64> = (0..n)
            .map(|i| fit.patient_curve(design.row(i), 0).at(5.0).surv)
            .collect();
        // the O(p) evaluation is bit-for-bit patient_curve(..).at(u)
        for i in 0..n {
            for t in [0.0, 0.5, 1.0, 5.0, 7.5, 100.0] {
                let a = surv_at(&fit, design.row(i), t);
                assert_eq!(a, fit.patient_curve(design.row(i), 0).at(t).surv);
            }
        }
        let cal = smooth_calibration(&surv, &s, 5.0).unwrap();
        assert_eq!(cal.knots.len(), 3);
        assert_eq!(cal.curve.len(), 50);
        assert!(cal.ici >= 0.0 && cal.e50 <= cal.e90 && cal.e90 <= cal.emax);
        assert!(cal.curve.windows(2).all(|w| w[0].0 < w[1].0));
        let last = surv.time().iter().copied().fold(0.0, f64::max);
        assert!(matches!(
            smooth_calibration(&surv, &s, last + 1.0),
            Err(CalibrationError::HorizonBeyondFollowUp { .. })
        ));
        assert!(matches!(
            smooth_calibration(&surv, &s, f64::NAN),
            Err(CalibrationError::InvalidHorizon { .. })
        ));
        let mut bad = s.clone();
        bad[3] = 1.0;
        assert!(matches!(
            smooth_calibration(&surv, &bad, 5.0),
            Err(CalibrationError::PredictionOutOfRange { index: 3, .. })
        ));
        assert!(matches!(
            smooth_calibration(&surv, &s[1..], 5.0),
            Err(CalibrationError::LengthMismatch { .. })
        ));
        assert!(matches!(
            smooth_calibration(&surv, &vec![0.7; n], 5.0),
            Err(CalibrationError::TooFewKnots { .. })
        ));
    }

    #[test]
    fn observed_expected_ratio() {
        let surv = Surv::new(vec![1.0, 2.0, 3.0, 4.0], vec![true, false, true, false]).unwrap();
        let pred = [0.9, 0.8, 0.7, 0.6];
        // mean predicted risk 0.25; observed risk 1 - 0.7 = 0.3
        let oe = observed_expected(&surv, &pred, 2.0, 0.7);
        assert!((oe - 1.2).abs() < 1e-14);
        assert!(observed_expected(&surv, &pred[1..], 2.0, 0.7).is_nan());
        assert!(observed_expected(&surv, &[1.0; 4], 2.0, 0.7).is_nan());
    }
}
