//! Predictions of a fitted Cox model: a patient's survival curve with the Tsiatis variance and
//! log limits (as `survfit.coxph`), its median by R's rule, and the fit's coefficient table.

use super::*;

/// A point of a predicted survival curve, with the standard error of S (as `summary.survfit`)
/// and log-transformed confidence limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurvPoint {
    pub time: f64,
    pub surv: f64,
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Median survival time with its confidence limits; `None` where the curve (or limit curve)
/// never reaches 0.5 ("not reached").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Median {
    pub median: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// R's rule for a quantile of a step curve (survfit's `minmin`): the first time where the curve
/// is <= 0.5; when it sits exactly at 0.5 (within sqrt(machine eps)) and later drops below, the
/// midpoint of that time and the time of the next drop.
pub fn median_of_curve(times: &[f64], values: &[f64]) -> Option<f64> {
    quantile_of_curve(times, values, 0.5)
}

/// The `p` quantile of a step curve as R's `quantile.survfit`: the first time where the curve
/// is <= 1 - p; when it sits exactly at 1 - p (within sqrt(machine eps)) and later drops below,
/// the midpoint of that time and the time of the next drop. `None` where the curve never gets
/// that low ("not reached").
pub fn quantile_of_curve(times: &[f64], values: &[f64], p: f64) -> Option<f64> {
    let tol = f64::EPSILON.sqrt();
    let level = 1.0 - p;
    let keep: Vec<usize> = (0..values.len())
        .filter(|&i| !values[i].is_nan() && values[i] < level + tol)
        .collect();
    let &first = keep.first()?;
    let y1 = values[first];
    if (y1 - level).abs() < tol {
        if let Some(&next) = keep.iter().find(|&&i| values[i] < y1) {
            return Some((times[first] + times[next]) / 2.0);
        }
    }
    Some(times[first])
}

/// Log-transformed limits of a survival probability with standard error `se_h` of the
/// cumulative hazard; upper capped at 1 (R's `conf.type = "log"`).
pub fn log_limits(surv: f64, se_h: f64, z: f64) -> (f64, f64) {
    if surv <= 0.0 {
        return (0.0, 0.0);
    }
    let ls = surv.ln();
    let lower = (ls - z * se_h).exp();
    let upper = (ls + z * se_h).exp().min(1.0);
    (lower, upper)
}

/// The survival curve of one patient, at every event time of its stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientCurve {
    /// Linear predictor centred at the training means.
    pub lp: f64,
    pub time: Vec<f64>,
    pub surv: Vec<f64>,
    /// Standard error of the cumulative hazard (log S).
    pub se_cumhaz: Vec<f64>,
    pub z: f64,
}

impl PatientCurve {
    /// S(t) with standard error and limits at any time (the step value at the last event <= t;
    /// 1 with se 0 before the first event).
    pub fn at(&self, t: f64) -> SurvPoint {
        let k = self.time.partition_point(|&x| x <= t);
        if k == 0 {
            return SurvPoint {
                time: t,
                surv: 1.0,
                se: 0.0,
                lower: 1.0,
                upper: 1.0,
            };
        }
        let s = self.surv[k - 1];
        let seh = self.se_cumhaz[k - 1];
        let (lower, upper) = log_limits(s, seh, self.z);
        SurvPoint {
            time: t,
            surv: s,
            se: s * seh,
            lower,
            upper,
        }
    }

    pub fn median(&self) -> Median {
        let lows: Vec<f64> = (0..self.time.len())
            .map(|i| log_limits(self.surv[i], self.se_cumhaz[i], self.z).0)
            .collect();
        let ups: Vec<f64> = (0..self.time.len())
            .map(|i| log_limits(self.surv[i], self.se_cumhaz[i], self.z).1)
            .collect();
        Median {
            median: median_of_curve(&self.time, &self.surv),
            // the lower confidence curve reaches 0.5 first: it gives the lower limit
            lower: median_of_curve(&self.time, &lows),
            upper: median_of_curve(&self.time, &ups),
        }
    }
}

impl CoxFit {
    /// The coefficient table (coef, se, HR with limits at `conf_level`, z, p).
    pub fn coefficients(&self) -> Vec<CoefRow> {
        let z = dist::z_for_level(self.conf_level);
        (0..self.coef.len())
            .map(|j| {
                let coef = self.coef[j];
                let se = self.var[j][j].sqrt();
                let zstat = coef / se;
                CoefRow {
                    term: self.terms[j].clone(),
                    coef,
                    se,
                    hr: coef.exp(),
                    hr_lower: (coef - z * se).exp(),
                    hr_upper: (coef + z * se).exp(),
                    z: zstat,
                    p: dist::two_sided_p(zstat),
                }
            })
            .collect()
    }

    /// Linear predictor x'beta centred at the training means (R's `predict(type = "lp")`).
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.means)
            .zip(&self.coef)
            .map(|((v, m), b)| (v - m) * b)
            .sum()
    }

    /// Predicted survival S(t) for a centred linear predictor `lp` in `stratum`, without its
    /// standard error: exp(-H0(t) exp(lp)), O(log T). For validation, where only S is needed.
    pub fn survival_at_lp(&self, lp: f64, stratum: usize, t: f64) -> f64 {
        let b = &self.baseline[stratum];
        match b.index_at(t) {
            Some(k) => (-b.cumhaz[k] * lp.exp()).exp(),
            None => 1.0,
        }
    }

    /// Predicted survival curve for covariates `x` (uncentred, one value per term) in stratum
    /// `stratum`, with the variance of `survfit.coxph` (Tsiatis; including the coefficients'
    /// variance).
    pub fn patient_curve(&self, x: &[f64], stratum: usize) -> PatientCurve {
        let p = self.coef.len();
        let zc: Vec<f64> = x.iter().zip(&self.means).map(|(v, m)| v - m).collect();
        let lp = self.linear_predictor(x);
        let risk = lp.exp();
        let b = &self.baseline[stratum];
        let mut surv = Vec::with_capacity(b.time.len());
        let mut se = Vec::with_capacity(b.time.len());
        let mut dvec = vec![0.0; p];
        for k in 0..b.time.len() {
            let h0 = b.cumhaz[k];
            surv.push((-h0 * risk).exp());
            for i in 0..p {
                dvec[i] = h0 * zc[i] - b.cumxbar[k][i];
            }
            let q: f64 = self
                .var
                .iter()
                .zip(&dvec)
                .map(|(vrow, di)| di * vrow.iter().zip(&dvec).map(|(v, dj)| v * dj).sum::<f64>())
                .sum();
            se.push(((b.cumvar[k] + q).max(0.0)).sqrt() * risk);
        }
        PatientCurve {
            lp,
            time: b.time.clone(),
            surv,
            se_cumhaz: se,
            z: dist::z_for_level(self.conf_level),
        }
    }
}

/// Slow, obviously-correct versions of the likelihood computations, for testing the fast ones.
pub mod naive {
    use super::Ties;

    /// Log-likelihood, score and information (row-major) at `beta`, by scanning all rows for
    /// each distinct event time: O(n^2 p^2). Inputs are in any order.
    #[allow(clippy::too_many_arguments)]
    pub fn loglik(
        x: &[f64],
        p: usize,
        time: &[f64],
        event: &[bool],
        weights: &[f64],
        strata: &[usize],
        beta: &[f64],
        ties: Ties,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let n = time.len();
        let row = |i: usize| &x[i * p..(i + 1) * p];
        let eta: Vec<f64> = (0..n)
            .map(|i| row(i).iter().zip(beta).map(|(a, b)| a * b).sum())
            .collect();
        let mut ll = 0.0;
        let mut u = vec![0.0; p];
        let mut info = vec![0.0; p * p];
        let mut seen: Vec<(usize, f64)> = Vec::new();
        for i in 0..n {
            if !event[i] || seen.contains(&(strata[i], time[i])) {
                continue;
            }
            let (s, t) = (strata[i], time[i]);
            seen.push((s, t));
            let risk: Vec<usize> = (0..n).filter(|&j| strata[j] == s && time[j] >= t).collect();
            let deaths: Vec<usize> = risk
                .iter()
                .copied()
                .filter(|&j| event[j] && time[j] == t)
                .collect();
            let d = deaths.len();
            let mean_w = deaths.iter().map(|&j| weights[j]).sum::<f64>() / d as f64;
            for &j in &deaths {
                ll += weights[j] * eta[j];
                for (uk, xk) in u.iter_mut().zip(row(j)) {
                    *uk += weights[j] * xk;
                }
            }
            for m in 0..d {
                let frac = match ties {
                    Ties::Efron => m as f64 / d as f64,
                    Ties::Breslow => 0.0,
                };
                // weights of each subject in this term's "risk set"
                let wt_of = |j: usize| {
                    let base = weights[j] * eta[j].exp();
                    if deaths.contains(&j) {
                        base * (1.0 - frac)
                    } else {
                        base
                    }
                };
                let s0: f64 = risk.iter().map(|&j| wt_of(j)).sum();
                let mut s1 = vec![0.0; p];
                let mut s2 = vec![0.0; p * p];
                for &j in &risk {
                    let wj = wt_of(j);
                    for a in 0..p {
                        s1[a] += wj * row(j)[a];
                        for b in 0..p {
                            s2[a * p + b] += wj * row(j)[a] * row(j)[b];
                        }
                    }
                }
                ll -= mean_w * s0.ln();
                for a in 0..p {
                    u[a] -= mean_w * s1[a] / s0;
                    for b in 0..p {
                        info[a * p + b] +=
                            mean_w * (s2[a * p + b] / s0 - s1[a] * s1[b] / (s0 * s0));
                    }
                }
            }
        }
        (ll, u, info)
    }
}
