//! Grouped calibration of predicted cumulative incidence: patients in groups of predicted
//! cumulative incidence at a horizon, per group the mean predicted and the Aalen-Johansen
//! observed cumulative incidence with cmprsk's variance and pointwise limits. As the R code
//!
//! ```r
//! g <- cut(p, unique(quantile(p, 0:G / G)), include.lowest = TRUE, labels = FALSE)
//! # per non-empty group q: mean(p[g == q]) and timepoints(cuminc(time, cause)[g == q], tau)
//! ```

use super::cuminc::{cuminc, CumincOptions};
use super::{CompetingError, CompetingSurv};
use serde::{Deserialize, Serialize};

/// One calibration group at a horizon (cumulative incidence of the cause of interest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CifGroup {
    pub n: usize,
    /// Mean predicted cumulative incidence.
    pub predicted: f64,
    /// Aalen-Johansen cumulative incidence of the group at the horizon, with cmprsk's variance and
    /// the limits of [`CumincOptions`]; `None` when the horizon is after the group's last
    /// follow-up time (R's `timepoints` gives NA).
    pub observed: Option<f64>,
    pub var: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// R's `quantile(x, prob, type = 7)` of sorted values.
pub fn quantile7(sorted: &[f64], prob: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * prob;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// R's `unique(quantile(p, 0:g / g))` (type 7): the breaks of the quantile groups, lowest and
/// highest included.
pub fn quantile_breaks(pred: &[f64], g: usize) -> Vec<f64> {
    let mut sorted = pred.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = (0..=g)
        .map(|q| quantile7(&sorted, q as f64 / g as f64))
        .collect();
    breaks.dedup();
    breaks
}

/// The group (0-based, in increasing predicted value) of each prediction: R's
/// `cut(p, unique(quantile(p, 0:g / g)), include.lowest = TRUE, labels = FALSE)`, and the number
/// of intervals (fewer than `g` when quantiles coincide). Some intervals may be empty.
pub fn quantile_groups(pred: &[f64], g: usize) -> (Vec<usize>, usize) {
    let breaks = quantile_breaks(pred, g);
    if breaks.len() == 1 {
        return (vec![0; pred.len()], 1);
    }
    let k = breaks.len() - 1;
    let group = pred
        .iter()
        .map(|&v| breaks[1..].partition_point(|&b| b < v).min(k - 1))
        .collect();
    (group, k)
}

/// Grouped calibration at `tau` of `pred` (predicted cumulative incidence of `cause` by `tau`, one
/// per subject) in `groups` quantile groups; empty groups are left out.
pub fn grouped_calibration(
    surv: &CompetingSurv,
    cause: u32,
    pred: &[f64],
    tau: f64,
    groups: usize,
    opts: &CumincOptions,
) -> Result<Vec<CifGroup>, CompetingError> {
    super::metrics::check_inputs(surv, cause, pred, tau)?;
    if groups < 1 {
        return Err(CompetingError::BadOption {
            what: "number of calibration groups",
            rule: "at least 1",
            value: groups as f64,
        });
    }
    if surv.n_events(cause) == 0 {
        return Err(CompetingError::NoEvents { cause });
    }
    let (group, k) = quantile_groups(pred, groups);
    let mut n = vec![0usize; k];
    let mut sum = vec![0.0; k];
    for (&q, &p) in group.iter().zip(pred) {
        n[q] += 1;
        sum[q] += p;
    }
    // group codes without the empty groups
    let mut code = vec![usize::MAX; k];
    let mut m = 0;
    for q in 0..k {
        if n[q] > 0 {
            code[q] = m;
            m += 1;
        }
    }
    let codes: Vec<usize> = group.iter().map(|&q| code[q]).collect();
    let curves = cuminc(surv, Some(&codes), opts)?;
    let mut out = Vec::with_capacity(m);
    for q in (0..k).filter(|&q| n[q] > 0) {
        let point = curves
            .iter()
            .find(|c| c.cause == cause && c.group == Some(code[q]))
            .and_then(|c| c.at(tau));
        out.push(CifGroup {
            n: n[q],
            predicted: sum[q] / n[q] as f64,
            observed: point.map(|p| p.estimate),
            var: point.map(|p| p.variance),
            lower: point.map(|p| p.lower),
            upper: point.map(|p| p.upper),
        });
    }
    Ok(out)
}
