//! Kaplan-Meier survival curves and the log-rank test, as R's `survival` 3.5 computes them:
//! `survfit(Surv(t, d) ~ 1)`, `summary(fit, times, extend = TRUE)`, the median of
//! `print.survfit`, and `survdiff(Surv(t, d) ~ group)`.
//!
//! The numerical core: plain slices in, plain structs out, no I/O. The data are sorted once by
//! time (O(n log n)); each curve and the log-rank test are then single passes over the sorted
//! subjects.
//!
//! # The curve
//!
//! At each distinct time t_j (event or censoring, as `survfit` reports them) with weighted number
//! at risk n_j = sum of w_i over T_i >= t_j and weighted deaths d_j:
//!
//! ```text
//! S(t_j)       = prod_{k <= j} (n_k - d_k) / n_k
//! Greenwood    V_j = sum_{k <= j} d_k / (n_k (n_k - d_k))      (variance of log S)
//! std_err_j    = sqrt(V_j)                                       (survfit's std.err)
//! se(S(t_j))   = S(t_j) sqrt(V_j)                                (summary.survfit's std.err)
//! ```
//!
//! A time enters the product only when it has at least one death with positive weight (R's
//! `d0 > 0 && d1 > 0`). When everyone at risk dies S drops to 0 and V to infinity, so se(S) and
//! the limits are NaN there (R prints NaN and NA).
//!
//! Case weights that are not whole numbers make R's `survfit` use the infinitesimal-jackknife
//! (robust) variance by default; [`KmVariance::Auto`] does the same. With
//! `c_j = sum_{k <= j} d_k / (n_k (n_k - d_k))` and `b_j = 1 / (n_j - d_j)` the influence of
//! subject i on S(t) is `w_i dS/dw_i = S(t) w_i (c(min(t, T_i)) - delta_i [T_i <= t] b(T_i))`
//! and
//!
//! ```text
//! var_IJ S(t) = S(t)^2 sum_i w_i^2 (c(min(t, T_i)) - delta_i [T_i <= t] b(T_i))^2
//! ```
//!
//! accumulated in one pass (the subjects still at risk share the value c(t)). With unit weights it
//! equals Greenwood's variance.
//!
//! # Confidence limits (R's `survfit_confint`, z the normal quantile of `conf_level`)
//!
//! ```text
//! log      S exp(-z se),  min(S exp(z se), 1)                 se = std_err (of log S); NaN at S = 0
//! log-log  S^exp(-z se / log S),  S^exp(z se / log S)          NaN at S = 0 and S = 1
//! plain    max(S - z se S, 0),  min(S + z se S, 1)
//! ```
//!
//! # Log-rank test (`survdiff`, rho = 0)
//!
//! At each death time with n at risk, d deaths and n_g at risk in group g:
//!
//! ```text
//! E_g += d n_g / n
//! V_gh += d (n - d) / (n - 1) (n_g / n) ([g = h] - n_h / n)      (skipped when n = 1)
//! chisq = (O - E)' V^- (O - E)
//! ```
//!
//! over the groups with E_g > 0 without the first of them; df = (groups with E_g > 0) - 1.

use crate::stats::cox::{log_limits, median_of_curve, quantile_of_curve, Median};
use crate::stats::dist;
use crate::stats::linalg::Ldl;
use crate::stats::surv::Surv;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Why a Kaplan-Meier curve or log-rank test could not be computed. `index` is the 0-based
/// position in the input vectors.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum KmError {
    #[error("{what} has {got} entries for {n} subjects")]
    Length {
        what: &'static str,
        got: usize,
        n: usize,
    },
    #[error("case weight {value} of subject {index} is not a non-negative finite number")]
    InvalidWeight { index: usize, value: f64 },
    #[error("group {group} of subject {index} is not below the number of groups {n_groups}")]
    GroupOutOfRange {
        index: usize,
        group: usize,
        n_groups: usize,
    },
    #[error("the log-rank test needs at least two groups, got {0}")]
    TooFewGroups(usize),
    #[error("confidence level {0} is not between 0 and 1")]
    ConfLevel(f64),
}

/// The scale on which confidence limits of S are symmetric (R's `conf.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ConfType {
    /// log S: R's default.
    #[default]
    Log,
    /// log(-log S).
    LogLog,
    /// S itself, limits cut to [0, 1].
    Plain,
}

impl fmt::Display for ConfType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfType::Log => "log",
            ConfType::LogLog => "log-log",
            ConfType::Plain => "plain",
        })
    }
}

impl FromStr for ConfType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "log" => Ok(ConfType::Log),
            "log-log" | "loglog" => Ok(ConfType::LogLog),
            "plain" => Ok(ConfType::Plain),
            other => Err(format!(
                "unknown confidence interval type '{other}': use log, log-log or plain"
            )),
        }
    }
}

/// The variance of the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum KmVariance {
    /// As R's `survfit` default: Greenwood, or the robust variance when some case weight is not
    /// a whole number (`robust` missing).
    #[default]
    Auto,
    /// Greenwood's formula with weighted counts (R's `robust = FALSE`).
    Greenwood,
    /// Infinitesimal jackknife, each subject its own cluster (R's `robust = TRUE`).
    Robust,
}

/// Options of [`kaplan_meier`]. Default: log-transformed 95% limits and R's choice of variance,
/// as `survfit(Surv(t, d) ~ 1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct KmOptions {
    /// Default [`ConfType::Log`] (`conf.type = "log"`).
    pub conf_type: ConfType,
    /// Default 0.95 (`conf.int`).
    pub conf_level: f64,
    /// Default [`KmVariance::Auto`].
    pub variance: KmVariance,
}

impl Default for KmOptions {
    fn default() -> Self {
        KmOptions {
            conf_type: ConfType::Log,
            conf_level: 0.95,
            variance: KmVariance::Auto,
        }
    }
}

/// A Kaplan-Meier curve: one row per distinct time (events and censorings), as the `survfit`
/// object. Counts are weighted when case weights were given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KaplanMeier {
    /// Number of subjects (R's `n`).
    pub n: usize,
    pub time: Vec<f64>,
    /// At risk just before each time (T_i >= t).
    pub n_risk: Vec<f64>,
    pub n_event: Vec<f64>,
    pub n_censor: Vec<f64>,
    /// S just after each time.
    pub surv: Vec<f64>,
    /// Standard error of log S (the cumulative hazard), as survfit's `std.err`: sqrt(Greenwood),
    /// infinite once S = 0. For the robust variance se(S) / S (0 where se(S) = 0); survfit stores
    /// se(S) itself then, with `logse = FALSE`.
    pub std_err: Vec<f64>,
    /// Standard error of S, as `summary.survfit` reports it (NaN where Greenwood's S = 0).
    pub se_surv: Vec<f64>,
    /// Confidence limits of S (NaN where R has NA).
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub conf_type: ConfType,
    pub conf_level: f64,
    /// Whether the robust (infinitesimal jackknife) variance was used.
    pub robust: bool,
}

/// The curve at one time, as `summary(fit, times = t, extend = TRUE)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KmPoint {
    pub time: f64,
    pub surv: f64,
    /// Standard error of S.
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
    /// Number at risk at `time`: subjects with T_i >= time (0 past the last time).
    pub n_risk: f64,
}

impl KaplanMeier {
    /// The step value at the last time <= t (S = 1, se 0, limits 1 before the first time) with
    /// the number at risk at t, as `summary.survfit(times = t, extend = TRUE)`.
    pub fn at(&self, t: f64) -> KmPoint {
        let k = self.time.partition_point(|&x| x <= t);
        let j = self.time.partition_point(|&x| x < t);
        let n_risk = self.n_risk.get(j).copied().unwrap_or(0.0);
        if k == 0 {
            return KmPoint {
                time: t,
                surv: 1.0,
                se: 0.0,
                lower: 1.0,
                upper: 1.0,
                n_risk,
            };
        }
        let k = k - 1;
        KmPoint {
            time: t,
            surv: self.surv[k],
            se: self.se_surv[k],
            lower: self.lower[k],
            upper: self.upper[k],
            n_risk,
        }
    }

    /// Median survival with its confidence limits, as `print.survfit`: the first time where the
    /// curve (for the limits: the lower and upper limit curves) is <= 0.5, with R's midpoint rule
    /// when it sits at exactly 0.5 ([`median_of_curve`]); `None` when not reached.
    pub fn median(&self) -> Median {
        Median {
            median: median_of_curve(&self.time, &self.surv),
            lower: median_of_curve(&self.time, &self.lower),
            upper: median_of_curve(&self.time, &self.upper),
        }
    }

    /// Total weighted number of events.
    pub fn events(&self) -> f64 {
        self.n_event.iter().sum()
    }
}

/// The log-rank test of equal survival across groups, as `survdiff` (rho = 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRank {
    /// Subjects per group.
    pub n: Vec<usize>,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    /// Covariance of O - E, groups x groups (survdiff's `var`).
    pub var: Vec<Vec<f64>>,
    pub chisq: f64,
    /// Groups with expected > 0, minus 1.
    pub df: usize,
    /// Upper chi-square tail; NaN when df = 0 (no test).
    pub p: f64,
}

fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<(), KmError> {
    if let Some(w) = weights {
        if w.len() != n {
            return Err(KmError::Length {
                what: "weights",
                got: w.len(),
                n,
            });
        }
        if let Some((index, &value)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(KmError::InvalidWeight { index, value });
        }
    }
    Ok(())
}

fn check_groups(groups: &[usize], n_groups: usize, n: usize) -> Result<(), KmError> {
    if groups.len() != n {
        return Err(KmError::Length {
            what: "groups",
            got: groups.len(),
            n,
        });
    }
    if let Some((index, &group)) = groups.iter().enumerate().find(|(_, &g)| g >= n_groups) {
        return Err(KmError::GroupOutOfRange {
            index,
            group,
            n_groups,
        });
    }
    Ok(())
}

fn check_level(level: f64) -> Result<(), KmError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(KmError::ConfLevel(level))
    }
}

/// Subject indices by increasing time, ties in data order (R's `order`).
fn time_order(time: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
    order
}

/// Whether R would use the robust variance: weights given and some weight not a whole number.
fn use_robust(variance: KmVariance, weights: Option<&[f64]>) -> bool {
    match variance {
        KmVariance::Greenwood => false,
        KmVariance::Robust => true,
        KmVariance::Auto => weights.is_some_and(|w| w.iter().any(|&v| v != v.floor())),
    }
}

/// The Kaplan-Meier curve of all subjects, as `survfit(Surv(time, event) ~ 1, weights)`.
pub fn kaplan_meier(
    surv: &Surv,
    weights: Option<&[f64]>,
    opts: &KmOptions,
) -> Result<KaplanMeier, KmError> {
    check_weights(weights, surv.len())?;
    check_level(opts.conf_level)?;
    let order = time_order(surv.time());
    let robust = use_robust(opts.variance, weights);
    Ok(curve(surv, weights, &order, robust, opts))
}

/// One curve per group (`survfit(Surv(time, event) ~ group)`): `groups[i] < n_groups` is the
/// group of subject i; curve g is that of the subjects in group g (empty when it has none). The
/// choice of variance under [`KmVariance::Auto`] looks at all the weights, as R's.
pub fn by_group(
    surv: &Surv,
    groups: &[usize],
    n_groups: usize,
    weights: Option<&[f64]>,
    opts: &KmOptions,
) -> Result<Vec<KaplanMeier>, KmError> {
    check_weights(weights, surv.len())?;
    check_groups(groups, n_groups, surv.len())?;
    check_level(opts.conf_level)?;
    let robust = use_robust(opts.variance, weights);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
    for i in time_order(surv.time()) {
        members[groups[i]].push(i);
    }
    Ok(members
        .iter()
        .map(|order| curve(surv, weights, order, robust, opts))
        .collect())
}

/// Limits of S from the standard error of log S, as R's `survfit_confint` (NaN where R has NA).
fn limits(conf_type: ConfType, s: f64, se: f64, z: f64) -> (f64, f64) {
    let nan = (f64::NAN, f64::NAN);
    match conf_type {
        ConfType::Log => {
            if s == 0.0 || s.is_nan() {
                nan
            } else {
                log_limits(s, se, z)
            }
        }
        ConfType::LogLog => {
            if s == 0.0 || s == 1.0 || s.is_nan() {
                nan
            } else {
                let ll = (-s.ln()).ln();
                let se2 = z * se / s.ln();
                ((-(ll - se2).exp()).exp(), (-(ll + se2).exp()).exp())
            }
        }
        ConfType::Plain => {
            let se2 = se * s * z;
            if se2.is_nan() {
                nan
            } else {
                ((s - se2).max(0.0), (s + se2).min(1.0))
            }
        }
    }
}

/// The curve of the subjects `order` (sorted by time, ties in data order).
fn curve(
    surv: &Surv,
    weights: Option<&[f64]>,
    order: &[usize],
    robust: bool,
    opts: &KmOptions,
) -> KaplanMeier {
    let time = surv.time();
    let event = surv.event();
    let w = |i: usize| weights.map_or(1.0, |w| w[i]);

    // distinct times: [start, end) ranges of `order`
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let t = time[order[start]];
        let mut end = start + 1;
        while end < order.len() && time[order[end]] == t {
            end += 1;
        }
        chunks.push((start, end));
        start = end;
    }
    let m = chunks.len();

    // counts, accumulated from the last subject backwards as survfitkm.c does
    let mut n_risk = vec![0.0; m];
    let mut n_event = vec![0.0; m];
    let mut n_censor = vec![0.0; m];
    let mut deaths = vec![0usize; m];
    // sum of w^2 over subjects after each time (robust variance)
    let mut w2_after = vec![0.0; m];
    let (mut wt1, mut w2) = (0.0, 0.0);
    for (k, &(s, e)) in chunks.iter().enumerate().rev() {
        w2_after[k] = w2;
        let (mut wt2, mut wt3, mut d0) = (0.0, 0.0, 0usize);
        for &i in order[s..e].iter().rev() {
            let wi = w(i);
            wt1 += wi;
            w2 += wi * wi;
            if event[i] {
                d0 += 1;
                wt2 += wi;
            } else {
                wt3 += wi;
            }
        }
        n_risk[k] = wt1;
        n_event[k] = wt2;
        n_censor[k] = wt3;
        deaths[k] = d0;
    }

    let z = dist::z_for_level(opts.conf_level);
    let mut out = KaplanMeier {
        n: order.len(),
        time: chunks.iter().map(|&(s, _)| time[order[s]]).collect(),
        n_risk,
        n_event,
        n_censor,
        surv: vec![0.0; m],
        std_err: vec![0.0; m],
        se_surv: vec![0.0; m],
        lower: vec![0.0; m],
        upper: vec![0.0; m],
        conf_type: opts.conf_type,
        conf_level: opts.conf_level,
        robust,
    };

    let mut km = 1.0;
    let mut greenwood = 0.0;
    // robust: sum over subjects with T_i <= t of w_i^2 (c(T_i) - delta_i b(T_i))^2
    let mut settled = 0.0;
    for (k, &(s, e)) in chunks.iter().enumerate() {
        let nrisk = out.n_risk[k];
        let d1 = out.n_event[k];
        let step = deaths[k] > 0 && d1 > 0.0;
        if step {
            km *= (nrisk - d1) / nrisk;
            greenwood += d1 / (nrisk * (nrisk - d1));
        }
        out.surv[k] = km;
        if robust {
            let se_s = if km == 0.0 {
                0.0
            } else {
                let c = greenwood;
                let b = if step { 1.0 / (nrisk - d1) } else { 0.0 };
                for &i in &order[s..e] {
                    let wi = w(i);
                    let a = if event[i] { c - b } else { c };
                    settled += wi * wi * a * a;
                }
                let var = km * km * (settled + c * c * w2_after[k]);
                var.max(0.0).sqrt()
            };
            out.se_surv[k] = se_s;
            out.std_err[k] = if se_s == 0.0 { 0.0 } else { se_s / km };
        } else {
            let se = greenwood.sqrt();
            out.std_err[k] = se;
            out.se_surv[k] = km * se;
        }
        let (lo, hi) = limits(opts.conf_type, km, out.std_err[k], z);
        out.lower[k] = lo;
        out.upper[k] = hi;
    }
    out
}

/// The log-rank test across `n_groups` groups (`groups[i] < n_groups`), as
/// `survdiff(Surv(time, event) ~ group)`. Groups without subjects, or with no one at risk at any
/// death, have expected 0 and are left out of the test, as R's. The quadratic form uses a
/// generalised inverse (pivots below 1.8e-12 of the largest set to zero), which equals R's
/// `solve` whenever that succeeds.
pub fn logrank(surv: &Surv, groups: &[usize], n_groups: usize) -> Result<LogRank, KmError> {
    if n_groups < 2 {
        return Err(KmError::TooFewGroups(n_groups));
    }
    check_groups(groups, n_groups, surv.len())?;
    let time = surv.time();
    let event = surv.event();
    let order = time_order(time);
    let g = n_groups;
    let mut n = vec![0usize; g];
    let mut risk = vec![0.0; g];
    let mut observed = vec![0.0; g];
    let mut expected = vec![0.0; g];
    let mut var = vec![0.0; g * g];
    let mut nrisk = 0.0;
    // from the largest time down, as survdiff2.c
    let mut end = order.len();
    while end > 0 {
        let t = time[order[end - 1]];
        let mut start = end - 1;
        while start > 0 && time[order[start - 1]] == t {
            start -= 1;
        }
        let mut d = 0.0;
        for &i in order[start..end].iter().rev() {
            let k = groups[i];
            n[k] += 1;
            risk[k] += 1.0;
            nrisk += 1.0;
            if event[i] {
                d += 1.0;
                observed[k] += 1.0;
            }
        }
        end = start;
        if d == 0.0 {
            continue;
        }
        for k in 0..g {
            expected[k] += d * risk[k] / nrisk;
        }
        if nrisk == 1.0 {
            continue;
        }
        let kt = d * (nrisk - d) / (nrisk * (nrisk - 1.0));
        for j in 0..g {
            let tmp = kt * risk[j];
            var[j * g + j] += tmp;
            for k in 0..g {
                var[k * g + j] -= tmp * risk[k] / nrisk;
            }
        }
    }

    let used: Vec<usize> = (0..g).filter(|&k| expected[k] > 0.0).collect();
    let (chisq, df) = if used.len() < 2 {
        (0.0, 0)
    } else {
        let keep = &used[1..];
        let q = keep.len();
        let diff: Vec<f64> = keep.iter().map(|&k| observed[k] - expected[k]).collect();
        let mut vv = vec![0.0; q * q];
        for (a, &ka) in keep.iter().enumerate() {
            for (b, &kb) in keep.iter().enumerate() {
                vv[a * q + b] = var[ka * g + kb];
            }
        }
        let ldl = Ldl::new(&vv, q, f64::EPSILON.powf(0.75));
        (ldl.quad_form_inverse(&diff), q)
    };
    let p = if df == 0 {
        f64::NAN
    } else {
        dist::chisq_sf(chisq, df as f64)
    };
    Ok(LogRank {
        n,
        observed,
        expected,
        var: (0..g).map(|j| var[j * g..(j + 1) * g].to_vec()).collect(),
        chisq,
        df,
        p,
    })
}

/// Distinct times with an event (or, for `reverse`, a censoring) and the survival estimate after
/// each. With `reverse = true` censoring is the "event": the reverse Kaplan-Meier estimate of the
/// follow-up distribution (Schemper & Smith 1996).
pub fn product_limit(surv: &Surv, reverse: bool) -> (Vec<f64>, Vec<f64>) {
    let mut pairs: Vec<(f64, bool)> = surv
        .time()
        .iter()
        .zip(surv.event())
        .map(|(&t, &e)| (t, e != reverse))
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = pairs.len() as f64;
    let mut s = 1.0;
    let (mut times, mut values) = (Vec::new(), Vec::new());
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        let d = group.iter().filter(|p| p.1).count() as f64;
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            times.push(group[0].0);
            values.push(s);
        }
        at_risk -= group.len() as f64;
    }
    (times, values)
}

/// Median follow-up with its interquartile range by the reverse Kaplan-Meier method (Schemper &
/// Smith 1996): the quartiles of the curve that counts censoring as the event, as R's
/// `quantile(survfit(Surv(time, 1 - status) ~ 1), c(0.25, 0.5, 0.75))`. A quartile is `None`
/// where the reverse curve never falls that low (the last patient observed had an event).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct FollowUpQuartiles {
    pub q25: Option<f64>,
    pub median: Option<f64>,
    pub q75: Option<f64>,
}

/// The reverse Kaplan-Meier quartiles of follow-up of `surv` (O(n log n)).
pub fn reverse_km_follow_up(surv: &Surv) -> FollowUpQuartiles {
    let (times, s) = product_limit(surv, true);
    FollowUpQuartiles {
        q25: quantile_of_curve(&times, &s, 0.25),
        median: quantile_of_curve(&times, &s, 0.5),
        q75: quantile_of_curve(&times, &s, 0.75),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_km_quartiles_by_hand() {
        // all censored at 1..6: the reverse curve is 5/6, 4/6, 3/6, 2/6, 1/6, 0; R gives 2, 3.5
        // (exactly 0.5 at 3: the midpoint with the next drop) and 5
        let surv = Surv::new((1..=6).map(f64::from).collect(), vec![false; 6]).unwrap();
        let q = reverse_km_follow_up(&surv);
        assert_eq!((q.q25, q.median, q.q75), (Some(2.0), Some(3.5), Some(5.0)));
        // an event at 2 and 5: at risk 6, 5 (event, not a drop), 4, 3, 2 (event), 1; the
        // reverse curve 5/6 at 1, 5/6*3/4 = 0.625 at 3, *2/3 = 0.4167 at 4, 0 at 6
        let surv = Surv::new(
            (1..=6).map(f64::from).collect(),
            vec![false, true, false, false, true, false],
        )
        .unwrap();
        let q = reverse_km_follow_up(&surv);
        assert_eq!((q.q25, q.median, q.q75), (Some(3.0), Some(4.0), Some(6.0)));
        // the last two times events: the reverse curve 0.75 at 1 (exactly: midpoint with the
        // next drop), 0.5 at 2 (no later drop), and never reaches 0.25
        let surv = Surv::new(vec![1.0, 2.0, 3.0, 4.0], vec![false, false, true, true]).unwrap();
        let q = reverse_km_follow_up(&surv);
        assert_eq!((q.q25, q.median, q.q75), (Some(1.5), Some(2.0), None));
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        if b == 0.0 {
            a.abs() <= tol
        } else {
            ((a - b) / b).abs() <= tol
        }
    }

    #[track_caller]
    fn assert_close(a: f64, b: f64) {
        assert!(close(a, b, 1e-12), "{a} vs {b}");
    }

    #[test]
    fn small_example() {
        // times 1,2,2,3+,4 ; events at 1, 2, 2, 4
        let s = Surv::new(
            vec![2.0, 1.0, 3.0, 2.0, 4.0],
            vec![true, true, false, true, true],
        )
        .unwrap();
        let (t, v) = product_limit(&s, false);
        assert_eq!(t, vec![1.0, 2.0, 4.0]);
        let want = [0.8, 0.8 * (1.0 - 2.0 / 4.0), 0.0];
        for (a, b) in v.iter().zip(want) {
            assert!((a - b).abs() < 1e-15);
        }
        let (t, v) = product_limit(&s, true);
        assert_eq!(t, vec![3.0]);
        assert!((v[0] - 0.5).abs() < 1e-15);
    }

    /// times 1 2 2 2+ 3+ 4 4+ 5 (unsorted below): a censoring tied with deaths at 2 and 4 is at
    /// risk there.
    ///   t=1: n=8 d=1       S = 7/8          V = 1/56
    ///   t=2: n=7 d=2 c=1   S = 7/8 * 5/7    V += 2/35
    ///   t=3: n=4 c=1       S = 5/8
    ///   t=4: n=3 d=1 c=1   S = 5/8 * 2/3    V += 1/6
    ///   t=5: n=1 d=1       S = 0            V = inf
    fn tied() -> Surv {
        Surv::new(
            vec![4.0, 2.0, 1.0, 5.0, 2.0, 3.0, 4.0, 2.0],
            vec![true, false, true, true, true, false, false, true],
        )
        .unwrap()
    }

    #[test]
    fn hand_worked_curve_with_ties() {
        let km = kaplan_meier(&tied(), None, &KmOptions::default()).unwrap();
        assert_eq!(km.n, 8);
        assert_eq!(km.time, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(km.n_risk, vec![8.0, 7.0, 4.0, 3.0, 1.0]);
        assert_eq!(km.n_event, vec![1.0, 2.0, 0.0, 1.0, 1.0]);
        assert_eq!(km.n_censor, vec![0.0, 1.0, 1.0, 1.0, 0.0]);
        let s = [7.0 / 8.0, 5.0 / 8.0, 5.0 / 8.0, 5.0 / 12.0, 0.0];
        let v1: f64 = 1.0 / 56.0;
        let v2 = v1 + 2.0 / 35.0;
        let v4 = v2 + 1.0 / 6.0;
        let v = [v1, v2, v2, v4];
        for k in 0..4 {
            assert_close(km.surv[k], s[k]);
            assert_close(km.std_err[k], v[k].sqrt());
            assert_close(km.se_surv[k], s[k] * v[k].sqrt());
            let z = dist::z_for_level(0.95);
            assert_close(km.lower[k], s[k] * (-z * v[k].sqrt()).exp());
            assert_close(km.upper[k], (s[k] * (z * v[k].sqrt()).exp()).min(1.0));
        }
        // everyone at risk dies: S = 0, Greenwood infinite, se and limits undefined (R: NaN, NA)
        assert_eq!(km.surv[4], 0.0);
        assert_eq!(km.std_err[4], f64::INFINITY);
        assert!(km.se_surv[4].is_nan() && km.lower[4].is_nan() && km.upper[4].is_nan());
        assert_close(km.events(), 5.0);

        // summary(fit, times = c(0.5, 2, 2.5, 4, 6), extend = TRUE)
        let p = km.at(0.5);
        assert_eq!(
            (p.surv, p.se, p.lower, p.upper, p.n_risk),
            (1.0, 0.0, 1.0, 1.0, 8.0)
        );
        let p = km.at(2.0);
        assert_close(p.surv, 5.0 / 8.0);
        assert_eq!(p.n_risk, 7.0);
        let p = km.at(2.5);
        assert_close(p.surv, 5.0 / 8.0);
        assert_close(p.se, 5.0 / 8.0 * v2.sqrt());
        assert_eq!(p.n_risk, 4.0);
        assert_eq!(km.at(4.0).n_risk, 3.0);
        let p = km.at(6.0);
        assert_eq!((p.surv, p.n_risk), (0.0, 0.0));

        // median: S first <= 0.5 at 4; the lower curve reaches 0.5 at 2, the upper never before
        // S = 0 (NA there), so its limit is not reached
        let m = km.median();
        assert_eq!(m.median, Some(4.0));
        assert_eq!(m.lower, Some(2.0));
        assert_eq!(m.upper, None);
    }

    #[test]
    fn median_midpoint_rule() {
        // S = 3/4, 1/2, 1/4, 0: exactly 0.5 at 2 -> (2 + 3) / 2, as R
        let s = Surv::new(vec![1.0, 2.0, 3.0, 4.0], vec![true; 4]).unwrap();
        let km = kaplan_meier(&s, None, &KmOptions::default()).unwrap();
        assert_eq!(km.median().median, Some(2.5));
        // a censoring between the 0.5 step and the next drop does not move the midpoint
        let s = Surv::new(
            vec![1.0, 2.0, 2.5, 3.0, 4.0],
            vec![true, true, false, true, true],
        )
        .unwrap();
        let km = kaplan_meier(&s, None, &KmOptions::default()).unwrap();
        // S: 4/5, 3/5, 3/5, 3/10, 0 -> first <= 0.5 at 3
        assert_eq!(km.median().median, Some(3.0));
    }

    #[test]
    fn other_confidence_types() {
        let z = dist::z_for_level(0.9);
        let opts = |conf_type| KmOptions {
            conf_type,
            conf_level: 0.9,
            ..KmOptions::default()
        };
        let s = tied();
        let ll = kaplan_meier(&s, None, &opts(ConfType::LogLog)).unwrap();
        let pl = kaplan_meier(&s, None, &opts(ConfType::Plain)).unwrap();
        for k in 0..4 {
            let (sv, se) = (ll.surv[k], ll.std_err[k]);
            // log-log: S^exp(-z se / log S) and S^exp(z se / log S)
            assert_close(ll.lower[k], sv.powf((-z * se / sv.ln()).exp()));
            assert_close(ll.upper[k], sv.powf((z * se / sv.ln()).exp()));
            assert_close(pl.lower[k], (sv - z * se * sv).max(0.0));
            assert_close(pl.upper[k], (sv + z * se * sv).min(1.0));
        }
        assert!(ll.lower[4].is_nan() && pl.lower[4].is_nan());
        // log-log limits are NA where S = 1
        let s1 = Surv::new(vec![1.0, 2.0, 3.0], vec![false, true, true]).unwrap();
        let k1 = kaplan_meier(&s1, None, &opts(ConfType::LogLog)).unwrap();
        assert!(k1.lower[0].is_nan() && k1.upper[0].is_nan());
        assert_eq!("log-log".parse::<ConfType>().unwrap(), ConfType::LogLog);
        assert_eq!(ConfType::Plain.to_string(), "plain");
        assert!("arcsin".parse::<ConfType>().is_err());
    }

    #[test]
    fn integer_weights_replicate_rows() {
        let s = tied();
        let w = [2.0, 1.0, 3.0, 1.0, 1.0, 2.0, 1.0, 1.0];
        let km = kaplan_meier(&s, Some(&w), &KmOptions::default()).unwrap();
        assert!(!km.robust);
        let (mut t, mut e) = (Vec::new(), Vec::new());
        for (i, &wi) in w.iter().enumerate() {
            for _ in 0..wi as usize {
                t.push(s.time()[i]);
                e.push(s.event()[i]);
            }
        }
        let rep = kaplan_meier(&Surv::new(t, e).unwrap(), None, &KmOptions::default()).unwrap();
        assert_eq!(km.time, rep.time);
        assert_eq!(km.n_risk, rep.n_risk);
        assert_eq!(km.n_event, rep.n_event);
        for k in 0..km.time.len() - 1 {
            assert_close(km.surv[k], rep.surv[k]);
            assert_close(km.std_err[k], rep.std_err[k]);
            assert_close(km.lower[k], rep.lower[k]);
        }
    }

    #[test]
    fn robust_variance_with_unit_weights_is_greenwood() {
        let s = tied();
        let g = kaplan_meier(&s, None, &KmOptions::default()).unwrap();
        let opts = KmOptions {
            variance: KmVariance::Robust,
            ..KmOptions::default()
        };
        let r = kaplan_meier(&s, None, &opts).unwrap();
        assert!(r.robust);
        for k in 0..4 {
            assert_close(r.se_surv[k], g.se_surv[k]);
            assert_close(r.std_err[k], g.std_err[k]);
            assert_close(r.upper[k], g.upper[k]);
        }
        // at S = 0 the jackknife gives se(S) = 0 (R: std.err 0, limits NA)
        assert_eq!(r.se_surv[4], 0.0);
        assert!(r.lower[4].is_nan());
    }

    /// With weights that are not whole numbers the variance is the infinitesimal jackknife,
    /// sum_i (w_i dS(t)/dw_i)^2; checked against numerical derivatives of S in each weight.
    #[test]
    fn fractional_weights_use_jackknife_variance() {
        let s = Surv::new(
            vec![3.0, 1.0, 4.0, 2.0, 2.0, 5.0, 6.0, 4.0, 7.0, 3.5],
            vec![
                true, true, false, true, false, true, true, true, false, true,
            ],
        )
        .unwrap();
        let w = [0.5, 1.2, 2.0, 0.7, 1.5, 1.1, 0.9, 2.5, 1.3, 0.8];
        let km = kaplan_meier(&s, Some(&w), &KmOptions::default()).unwrap();
        assert!(km.robust);
        let surv_at = |w: &[f64], t: f64| {
            let opts = KmOptions {
                variance: KmVariance::Greenwood,
                ..KmOptions::default()
            };
            kaplan_meier(&s, Some(w), &opts).unwrap().at(t).surv
        };
        for (k, &t) in km.time.iter().enumerate() {
            let mut var = 0.0;
            for i in 0..w.len() {
                let h = 1e-6 * w[i];
                let mut up = w.to_vec();
                up[i] += h;
                let mut dn = w.to_vec();
                dn[i] -= h;
                let deriv = (surv_at(&up, t) - surv_at(&dn, t)) / (2.0 * h);
                var += (w[i] * deriv).powi(2);
            }
            assert!(
                close(km.se_surv[k], var.sqrt(), 1e-7),
                "t={t}: {} vs {}",
                km.se_surv[k],
                var.sqrt()
            );
            assert_close(km.std_err[k], km.se_surv[k] / km.surv[k]);
        }
        // weighted counts
        assert_close(km.n_risk[0], w.iter().sum());
        assert_close(km.n_event[0], 1.2);
        // Greenwood on request
        let opts = KmOptions {
            variance: KmVariance::Greenwood,
            ..KmOptions::default()
        };
        let g = kaplan_meier(&s, Some(&w), &opts).unwrap();
        assert!(!g.robust);
        // t=1: n = 12.5, d = 1.2
        assert_close(g.std_err[0], (1.2_f64 / (12.5 * (12.5 - 1.2))).sqrt());
    }

    #[test]
    fn zero_weight_deaths_make_no_step() {
        let s = Surv::new(vec![1.0, 2.0, 3.0], vec![true, true, true]).unwrap();
        let km = kaplan_meier(&s, Some(&[1.0, 0.0, 1.0]), &KmOptions::default()).unwrap();
        assert_eq!(km.surv, vec![0.5, 0.5, 0.0]);
        assert_eq!(km.n_risk, vec![2.0, 1.0, 1.0]);
    }

    #[test]
    fn groups_share_one_sort() {
        let s = tied();
        let groups = [0, 1, 0, 1, 0, 1, 0, 2];
        let curves = by_group(&s, &groups, 4, None, &KmOptions::default()).unwrap();
        assert_eq!(curves.len(), 4);
        for (g, c) in curves.iter().enumerate() {
            let rows: Vec<usize> = (0..8).filter(|&i| groups[i] == g).collect();
            assert_eq!(c.n, rows.len());
            if rows.is_empty() {
                assert!(c.time.is_empty());
                assert_eq!(c.at(1.0).surv, 1.0);
                assert_eq!(c.median(), Median::default());
                continue;
            }
            let direct = kaplan_meier(&s.subset(&rows), None, &KmOptions::default()).unwrap();
            assert_eq!(format!("{c:?}"), format!("{direct:?}"));
        }
    }

    #[test]
    fn rejects_bad_inputs() {
        let s = tied();
        let o = KmOptions::default();
        assert!(matches!(
            kaplan_meier(&s, Some(&[1.0]), &o),
            Err(KmError::Length {
                what: "weights",
                ..
            })
        ));
        let mut w = vec![1.0; 8];
        w[3] = -1.0;
        assert_eq!(
            kaplan_meier(&s, Some(&w), &o),
            Err(KmError::InvalidWeight {
                index: 3,
                value: -1.0
            })
        );
        let bad = KmOptions {
            conf_level: 1.0,
            ..KmOptions::default()
        };
        assert_eq!(kaplan_meier(&s, None, &bad), Err(KmError::ConfLevel(1.0)));
        assert!(matches!(
            by_group(&s, &[0; 7], 1, None, &o),
            Err(KmError::Length { what: "groups", .. })
        ));
        assert!(matches!(
            logrank(&s, &[0, 1, 0, 1, 0, 1, 0, 2], 2),
            Err(KmError::GroupOutOfRange {
                index: 7,
                group: 2,
                ..
            })
        ));
        assert_eq!(logrank(&s, &[0; 8], 1), Err(KmError::TooFewGroups(1)));
    }

    /// Group 0: 1, 3, 5+; group 1: 2, 3, 4. V00 += d (n - d) / (n - 1) (n0 / n) (1 - n0 / n):
    ///   t=1: n=6 (3, 3) d=1   E0 += 1/2   V00 += 1   * 1/2 * 1/2   = 1/4
    ///   t=2: n=5 (2, 3) d=1   E0 += 2/5   V00 += 1   * 2/5 * 3/5   = 6/25
    ///   t=3: n=4 (2, 2) d=2   E0 += 1     V00 += 4/3 * 1/2 * 1/2   = 1/3
    ///   t=4: n=2 (1, 1) d=1   E0 += 1/2   V00 += 1   * 1/2 * 1/2   = 1/4
    /// O = (2, 3), E = (2.4, 2.6), V00 = V11 = -V01 = 161/150, chisq = 0.4^2 / (161/150) = 24/161.
    #[test]
    fn hand_worked_logrank() {
        let s = Surv::new(
            vec![3.0, 1.0, 2.0, 5.0, 4.0, 3.0],
            vec![true, true, true, false, true, true],
        )
        .unwrap();
        let groups = [0, 0, 1, 0, 1, 1];
        let lr = logrank(&s, &groups, 2).unwrap();
        assert_eq!(lr.n, vec![3, 3]);
        assert_eq!(lr.observed, vec![2.0, 3.0]);
        assert_close(lr.expected[0], 2.4);
        assert_close(lr.expected[1], 2.6);
        assert_close(lr.var[0][0], 161.0 / 150.0);
        assert_close(lr.var[1][1], 161.0 / 150.0);
        assert_close(lr.var[0][1], -161.0 / 150.0);
        assert_close(lr.chisq, 24.0 / 161.0);
        assert_eq!(lr.df, 1);
        assert_close(lr.p, dist::chisq_sf(24.0 / 161.0, 1.0));

        // an empty third group has expected 0 and is left out: same test
        let lr3 = logrank(&s, &groups, 3).unwrap();
        assert_eq!(lr3.df, 1);
        assert_eq!(lr3.observed[2], 0.0);
        assert_eq!(lr3.expected[2], 0.0);
        assert_close(lr3.chisq, lr.chisq);

        // all in one group: no test
        let lr1 = logrank(&s, &[1; 6], 2).unwrap();
        assert_eq!((lr1.chisq, lr1.df), (0.0, 0));
        assert!(lr1.p.is_nan());
    }

    #[test]
    fn logrank_three_groups_uses_the_last_two() {
        // chisq is invariant to which group is dropped: compare with the labels permuted
        let s = tied();
        let g1 = [0, 1, 2, 0, 1, 2, 0, 1];
        let g2: Vec<usize> = g1.iter().map(|&g| (g + 1) % 3).collect();
        let a = logrank(&s, &g1, 3).unwrap();
        let b = logrank(&s, &g2, 3).unwrap();
        assert_eq!(a.df, 2);
        assert!(close(a.chisq, b.chisq, 1e-12));
        let total_o: f64 = a.observed.iter().sum();
        let total_e: f64 = a.expected.iter().sum();
        assert_close(total_o, total_e);
        // rows of V sum to zero
        for row in &a.var {
            assert!(row.iter().sum::<f64>().abs() < 1e-12);
        }
    }
}
