//! Time-dependent AUC and Brier score of predicted cumulative incidence, exactly as
//! `riskRegression::Score` (2022.11.28) computes them for a competing-risks outcome with a
//! Kaplan-Meier censoring model (`cens.model = "km"`, `split.method = "none"`).
//!
//! At a horizon τ, for the cause of interest k, every subject is one of
//!
//! ```text
//! case        T_i <= τ with an event of cause k            weight w_i = 1 / G(T_i-)
//! control 2   T_i <= τ with an event of another cause       weight w_i = 1 / G(T_i-)
//! control 1   T_i > τ                                        weight w_i = 1 / G(τ)
//! (none)      T_i <= τ censored                              weight 0
//! ```
//!
//! where G is the Kaplan-Meier estimate of the censoring survival (prodlim's `reverse = TRUE`:
//! at a tied time the events leave the risk set before the censorings, G(s) = Π_{u <= s}
//! (1 - c_u / (n_u - d_u))), G(T-) its value at the previous distinct time.
//!
//! **AUC** = Σ_{case i} Σ_{control j} w_i w_j [r_i > r_j] + ½ [r_i = r_j]) / (Σ_case w · Σ_control w),
//! the area under the IPCW ROC curve (R's trapezoid rule gives the same number).
//!
//! **Its standard error** is `sd(IF) / sqrt(n)` with riskRegression's influence function of the
//! AUC: the part with the weights fixed (`getIC0AUC`) plus the part of the censoring weights
//! through the Nelson-Aalen influence function of the censoring cumulative hazard
//! (`getInfluenceFunctionAUCKMCensoringTerm`), both written out in `docs/methods-competing-risks.md`.
//!
//! **Brier score** = (1/n) Σ_i residual_i with residual (1 - r_i)² / G(T_i-) for a case, r_i² /
//! G(T_i-) for a competing event by τ, r_i² / G(τ) for T_i > τ, 0 for censored by τ. The **null
//! model** predicts everybody the Aalen-Johansen cumulative incidence of cause k at τ (the same
//! data), and IPA = 1 - Brier / null Brier.

use super::cuminc::{cuminc, CumincOptions};
use super::{CompetingError, CompetingSurv};

/// The subjects in time order with the censoring Kaplan-Meier quantities at one horizon.
pub(crate) struct Ipcw {
    /// Row indices in increasing time.
    pub order: Vec<usize>,
    /// Per position in `order`: the index of its distinct-time group.
    pub group: Vec<usize>,
    /// Per distinct time: the time, n at risk (time >= u), censored there, G(u), G(u-).
    pub times: Vec<f64>,
    pub at_risk: Vec<usize>,
    pub censored: Vec<usize>,
    pub g: Vec<f64>,
    pub g_minus: Vec<f64>,
}

impl Ipcw {
    pub fn new(surv: &CompetingSurv) -> Ipcw {
        let order = surv.order();
        let time = surv.time();
        let cause = surv.cause();
        let n = order.len();
        let mut group = vec![0; n];
        let (mut times, mut at_risk, mut censored, mut g, mut g_minus) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut s = 1.0;
        let mut start = 0;
        while start < n {
            let t = time[order[start]];
            let mut end = start;
            let (mut d, mut c) = (0usize, 0usize);
            while end < n && time[order[end]] == t {
                if cause[order[end]] == 0 {
                    c += 1;
                } else {
                    d += 1;
                }
                group[end] = times.len();
                end += 1;
            }
            let risk = n - start;
            g_minus.push(s);
            if c > 0 {
                s *= 1.0 - c as f64 / (risk - d) as f64;
            }
            times.push(t);
            at_risk.push(risk);
            censored.push(c);
            g.push(s);
            start = end;
        }
        Ipcw {
            order,
            group,
            times,
            at_risk,
            censored,
            g,
            g_minus,
        }
    }

    /// G(τ): G at the last distinct time <= τ, 1 before the first.
    pub fn g_at(&self, tau: f64) -> f64 {
        let k = self.times.partition_point(|&u| u <= tau);
        if k == 0 {
            1.0
        } else {
            self.g[k - 1]
        }
    }
}

/// The role of a subject at a horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Case,
    /// An event of another cause by τ.
    Competing,
    /// Still event-free after τ.
    Later,
    /// Censored by τ.
    None,
}

pub(crate) fn role(time: f64, cause: u32, k: u32, tau: f64) -> Role {
    if time > tau {
        Role::Later
    } else if cause == k {
        Role::Case
    } else if cause == 0 {
        Role::None
    } else {
        Role::Competing
    }
}

/// The AUC at one horizon with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompetingAuc {
    pub time: f64,
    pub auc: f64,
    pub se: f64,
}

/// AUC, Brier score, null-model Brier score and IPA at one horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompetingScore {
    pub time: f64,
    pub auc: f64,
    pub auc_se: f64,
    pub brier: f64,
    pub null_brier: f64,
    pub ipa: f64,
}

pub(crate) fn check_inputs(
    surv: &CompetingSurv,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<(), CompetingError> {
    if cause == 0 || cause > surv.n_causes() {
        return Err(CompetingError::NoSuchCause {
            cause,
            max: surv.n_causes(),
        });
    }
    if risk.len() != surv.len() {
        return Err(CompetingError::WrongLength {
            what: "predicted risk",
            got: risk.len(),
            expected: surv.len(),
        });
    }
    if let Some((index, &value)) = risk.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CompetingError::NonFiniteRisk { index, value });
    }
    if !(tau.is_finite() && tau >= 0.0) {
        return Err(CompetingError::BadOption {
            what: "horizon",
            rule: "a finite time >= 0",
            value: tau,
        });
    }
    Ok(())
}

/// Subject weights and roles at τ, in the subjects' own order.
fn weights(surv: &CompetingSurv, ipcw: &Ipcw, cause: u32, tau: f64) -> (Vec<Role>, Vec<f64>) {
    let n = surv.len();
    let g_tau = ipcw.g_at(tau);
    let mut roles = vec![Role::None; n];
    let mut w = vec![0.0; n];
    for (pos, &i) in ipcw.order.iter().enumerate() {
        let r = role(surv.time()[i], surv.cause()[i], cause, tau);
        roles[i] = r;
        w[i] = match r {
            Role::Case | Role::Competing => 1.0 / ipcw.g_minus[ipcw.group[pos]],
            Role::Later => 1.0 / g_tau,
            Role::None => 0.0,
        };
    }
    (roles, w)
}

/// The time-dependent AUC of `risk` (predicted cumulative incidence of `cause` by `tau`, one per
/// subject) with riskRegression's influence-function standard error. O(n log n).
pub fn auc(
    surv: &CompetingSurv,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<CompetingAuc, CompetingError> {
    check_inputs(surv, cause, risk, tau)?;
    let ipcw = Ipcw::new(surv);
    auc_with(surv, &ipcw, cause, risk, tau)
}

pub(crate) fn auc_with(
    surv: &CompetingSurv,
    ipcw: &Ipcw,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<CompetingAuc, CompetingError> {
    let n = surv.len();
    let nf = n as f64;
    let (roles, w) = weights(surv, ipcw, cause, tau);
    if let Some(i) = (0..n).find(|&i| !w[i].is_finite()) {
        return Err(CompetingError::ZeroCensoringSurvival {
            index: i,
            time: surv.time()[i].min(tau),
        });
    }
    let is_case = |i: usize| roles[i] == Role::Case;
    let is_ctrl = |i: usize| matches!(roles[i], Role::Competing | Role::Later);
    let w_case: f64 = (0..n).filter(|&i| is_case(i)).map(|i| w[i]).sum();
    let w_ctrl: f64 = (0..n).filter(|&i| is_ctrl(i)).map(|i| w[i]).sum();
    if w_case == 0.0 {
        return Err(CompetingError::NoCases { time: tau });
    }
    if w_ctrl == 0.0 {
        return Err(CompetingError::NoControls { time: tau });
    }
    // c[i]: for a case, the control weight below its risk (ties half); for a control, the case
    // weight above its risk (ties half)
    let mut by_risk: Vec<usize> = (0..n).collect();
    by_risk.sort_by(|&a, &b| risk[a].total_cmp(&risk[b]));
    let mut c = vec![0.0; n];
    let mut below_ctrl = 0.0;
    let mut start = 0;
    let mut tie_groups = Vec::new();
    while start < n {
        let mut end = start;
        while end < n && risk[by_risk[end]] == risk[by_risk[start]] {
            end += 1;
        }
        tie_groups.push((start, end));
        let tied_ctrl: f64 = by_risk[start..end]
            .iter()
            .filter(|&&i| is_ctrl(i))
            .map(|&i| w[i])
            .sum();
        for &i in &by_risk[start..end] {
            if is_case(i) {
                c[i] = below_ctrl + 0.5 * tied_ctrl;
            }
        }
        below_ctrl += tied_ctrl;
        start = end;
    }
    let mut above_case = 0.0;
    for &(start, end) in tie_groups.iter().rev() {
        let tied_case: f64 = by_risk[start..end]
            .iter()
            .filter(|&&i| is_case(i))
            .map(|&i| w[i])
            .sum();
        for &i in &by_risk[start..end] {
            if is_ctrl(i) {
                c[i] = above_case + 0.5 * tied_case;
            }
        }
        above_case += tied_case;
    }
    let concordant: f64 = (0..n).filter(|&i| is_case(i)).map(|i| w[i] * c[i]).sum();
    let auc = concordant / (w_case * w_ctrl);

    // influence function, weights fixed (getIC0AUC)
    let mu = w_case * w_ctrl / (nf * nf);
    let nu = auc * mu;
    let mut inf = vec![0.0; n];
    for i in 0..n {
        let (a, b) = if is_case(i) {
            (w[i] / nf * c[i], w[i] / nf * w_ctrl)
        } else if is_ctrl(i) {
            (w[i] / nf * c[i], w[i] / nf * w_case)
        } else {
            (0.0, 0.0)
        };
        inf[i] = (a * mu - b * nu) / (mu * mu);
    }

    // the censoring part: the Nelson-Aalen influence function of the censoring cumulative hazard,
    // phi_k(s) = n [T_k <= s, censored] / Y(T_k) - sum_{u <= min(s, T_k)} n dC(u) / Y(u)^2, read at
    // s = T_j- for events by tau and at s = tau for those later
    let ng = ipcw.times.len();
    let mut mc = vec![0.0; ng];
    let mut acc = 0.0;
    for ((m, &at_risk), &censored) in mc.iter_mut().zip(&ipcw.at_risk).zip(&ipcw.censored) {
        let y = at_risk as f64;
        acc += censored as f64 / y * nf / y;
        *m = acc;
    }
    let mc_before = |u: usize| if u == 0 { 0.0 } else { mc[u - 1] };
    // per distinct time: sums over events by tau of that time of A = w c (num) and of w (den,
    // already multiplied by the other class's total)
    let mut num_g = vec![0.0; ng];
    let mut den_g = vec![0.0; ng];
    let (mut later_num, mut later_den) = (0.0, 0.0);
    for (pos, &i) in ipcw.order.iter().enumerate() {
        let u = ipcw.group[pos];
        match roles[i] {
            Role::Case => {
                num_g[u] += w[i] * c[i];
                den_g[u] += w[i] * w_ctrl;
            }
            Role::Competing => {
                num_g[u] += w[i] * c[i];
                den_g[u] += w[i] * w_case;
            }
            Role::Later => {
                later_num += w[i] * c[i];
                later_den += w[i] * w_case;
            }
            Role::None => {}
        }
    }
    // suffix sums (events at later distinct times) and prefix sums weighted by MC(u-)
    let mut suffix_num = vec![0.0; ng + 1];
    let mut suffix_den = vec![0.0; ng + 1];
    for u in (0..ng).rev() {
        suffix_num[u] = suffix_num[u + 1] + num_g[u];
        suffix_den[u] = suffix_den[u + 1] + den_g[u];
    }
    let mut prefix_num = vec![0.0; ng];
    let mut prefix_den = vec![0.0; ng];
    let (mut pn, mut pd) = (0.0, 0.0);
    for u in 0..ng {
        pn += num_g[u] * mc_before(u);
        pd += den_g[u] * mc_before(u);
        prefix_num[u] = pn;
        prefix_den[u] = pd;
    }
    // MC at tau: at the last distinct time <= tau
    let last_tau = ipcw.times.partition_point(|&u| u <= tau);
    let mc_tau = if last_tau == 0 { 0.0 } else { mc[last_tau - 1] };
    let n2 = nf * nf;
    for (pos, &k) in ipcw.order.iter().enumerate() {
        let u = ipcw.group[pos];
        let censored = surv.cause()[k] == 0;
        let fihat = if censored {
            nf / ipcw.at_risk[u] as f64
        } else {
            0.0
        } - mc[u];
        let phi_tau = if surv.time()[k] <= tau {
            fihat
        } else {
            -mc_tau
        };
        let if_num = (fihat * suffix_num[u + 1] - prefix_num[u] + phi_tau * later_num) / n2;
        let if_den = (fihat * suffix_den[u + 1] - prefix_den[u] + phi_tau * later_den) / n2;
        inf[k] += (if_num * mu - if_den * nu) / (mu * mu);
    }
    let mean = inf.iter().sum::<f64>() / nf;
    let var = inf.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
    Ok(CompetingAuc {
        time: tau,
        auc,
        se: var.sqrt() / nf.sqrt(),
    })
}

/// The IPCW Brier score of `risk` (predicted cumulative incidence of `cause` by `tau`). O(n log n).
pub fn brier(
    surv: &CompetingSurv,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<f64, CompetingError> {
    check_inputs(surv, cause, risk, tau)?;
    let ipcw = Ipcw::new(surv);
    brier_with(surv, &ipcw, cause, risk, tau)
}

fn brier_with(
    surv: &CompetingSurv,
    ipcw: &Ipcw,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<f64, CompetingError> {
    let (roles, w) = weights(surv, ipcw, cause, tau);
    let mut sum = 0.0;
    for i in 0..surv.len() {
        let r = risk[i];
        let res = match roles[i] {
            Role::Case => (1.0 - r) * (1.0 - r),
            Role::Competing | Role::Later => r * r,
            Role::None => continue,
        };
        if !w[i].is_finite() {
            return Err(CompetingError::ZeroCensoringSurvival {
                index: i,
                time: surv.time()[i].min(tau),
            });
        }
        sum += res * w[i];
    }
    Ok(sum / surv.len() as f64)
}

/// The Aalen-Johansen cumulative incidence of `cause` at each horizon (the null model's
/// prediction for everybody).
pub fn null_predictions(
    surv: &CompetingSurv,
    cause: u32,
    times: &[f64],
) -> Result<Vec<f64>, CompetingError> {
    let curves = cuminc(surv, None, &CumincOptions::default())?;
    let curve = curves
        .iter()
        .find(|c| c.cause == cause)
        .ok_or(CompetingError::NoEvents { cause })?;
    times
        .iter()
        .map(|&t| {
            curve
                .at(t)
                .map(|p| p.estimate)
                .ok_or(CompetingError::BeyondFollowUp {
                    time: t,
                    last: curve.max_time,
                })
        })
        .collect()
}

/// AUC (with its standard error), Brier score, the null model's Brier score and IPA at each
/// horizon, as `riskRegression::Score(..., metrics = c("auc", "brier"), null.model = TRUE)`.
/// `predicted[j]` holds the predicted cumulative incidence of `cause` by `times[j]`, one per
/// subject.
pub fn score(
    surv: &CompetingSurv,
    cause: u32,
    predicted: &[Vec<f64>],
    times: &[f64],
) -> Result<Vec<CompetingScore>, CompetingError> {
    if predicted.len() != times.len() {
        return Err(CompetingError::WrongLength {
            what: "predictions per horizon",
            got: predicted.len(),
            expected: times.len(),
        });
    }
    for (risk, &t) in predicted.iter().zip(times) {
        check_inputs(surv, cause, risk, t)?;
    }
    let ipcw = Ipcw::new(surv);
    let null = null_predictions(surv, cause, times)?;
    let n = surv.len();
    predicted
        .iter()
        .zip(times)
        .zip(null)
        .map(|((risk, &t), f0)| {
            let a = auc_with(surv, &ipcw, cause, risk, t)?;
            let brier = brier_with(surv, &ipcw, cause, risk, t)?;
            let null_brier = brier_with(surv, &ipcw, cause, &vec![f0; n], t)?;
            Ok(CompetingScore {
                time: t,
                auc: a.auc,
                auc_se: a.se,
                brier,
                null_brier,
                ipa: 1.0 - brier / null_brier,
            })
        })
        .collect()
}

/// Slow, obviously correct versions for property tests: every pair, and the influence function
/// of the AUC by the definitions, O(n^2).
pub mod naive {
    use super::*;

    /// G(s) by its product over all distinct times <= s (`strict`: < s).
    fn g(surv: &CompetingSurv, s: f64, strict: bool) -> f64 {
        let mut times: Vec<f64> = surv.time().to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut prod = 1.0;
        for &u in times
            .iter()
            .filter(|&&u| if strict { u < s } else { u <= s })
        {
            let at = surv.time().iter().filter(|&&t| t >= u).count();
            let (mut d, mut c) = (0, 0);
            for (t, &k) in surv.time().iter().zip(surv.cause()) {
                if *t == u {
                    if k == 0 {
                        c += 1
                    } else {
                        d += 1
                    }
                }
            }
            if c > 0 {
                prod *= 1.0 - c as f64 / (at - d) as f64;
            }
        }
        prod
    }

    fn weight(surv: &CompetingSurv, i: usize, cause: u32, tau: f64) -> (Role, f64) {
        let r = role(surv.time()[i], surv.cause()[i], cause, tau);
        let w = match r {
            Role::Case | Role::Competing => 1.0 / g(surv, surv.time()[i], true),
            Role::Later => 1.0 / g(surv, tau, false),
            Role::None => 0.0,
        };
        (r, w)
    }

    /// The AUC over all case-control pairs.
    pub fn auc(surv: &CompetingSurv, cause: u32, risk: &[f64], tau: f64) -> f64 {
        let n = surv.len();
        let rw: Vec<(Role, f64)> = (0..n).map(|i| weight(surv, i, cause, tau)).collect();
        let (mut num, mut den) = (0.0, 0.0);
        for i in (0..n).filter(|&i| rw[i].0 == Role::Case) {
            for j in (0..n).filter(|&j| matches!(rw[j].0, Role::Competing | Role::Later)) {
                let k = if risk[i] > risk[j] {
                    1.0
                } else if risk[i] == risk[j] {
                    0.5
                } else {
                    0.0
                };
                num += rw[i].1 * rw[j].1 * k;
                den += rw[i].1 * rw[j].1;
            }
        }
        num / den
    }

    /// The Brier score by its definition.
    pub fn brier(surv: &CompetingSurv, cause: u32, risk: &[f64], tau: f64) -> f64 {
        let n = surv.len();
        (0..n)
            .map(|i| {
                let (r, w) = weight(surv, i, cause, tau);
                let y = if r == Role::Case { 1.0 } else { 0.0 };
                w * (y - risk[i]).powi(2)
            })
            .sum::<f64>()
            / n as f64
    }

    /// The standard error of the AUC from the influence function written pair by pair: the
    /// derivative of ν / μ (ν the weighted concordant pairs, μ all weighted pairs, both over n²)
    /// with the weights fixed, plus through each weight 1/G(s) the Nelson-Aalen influence
    /// function of the censoring cumulative hazard at s.
    pub fn auc_se(surv: &CompetingSurv, cause: u32, risk: &[f64], tau: f64) -> f64 {
        let n = surv.len();
        let nf = n as f64;
        let rw: Vec<(Role, f64)> = (0..n).map(|i| weight(surv, i, cause, tau)).collect();
        let kern = |i: usize, j: usize| {
            if risk[i] > risk[j] {
                1.0
            } else if risk[i] == risk[j] {
                0.5
            } else {
                0.0
            }
        };
        let case = |i: usize| rw[i].0 == Role::Case;
        let ctrl = |i: usize| matches!(rw[i].0, Role::Competing | Role::Later);
        let w_case: f64 = (0..n).filter(|&i| case(i)).map(|i| rw[i].1).sum();
        let w_ctrl: f64 = (0..n).filter(|&i| ctrl(i)).map(|i| rw[i].1).sum();
        // c_i: weighted comparisons of subject i with the other class
        let c: Vec<f64> = (0..n)
            .map(|i| {
                if case(i) {
                    (0..n)
                        .filter(|&j| ctrl(j))
                        .map(|j| rw[j].1 * kern(i, j))
                        .sum()
                } else if ctrl(i) {
                    (0..n)
                        .filter(|&j| case(j))
                        .map(|j| rw[j].1 * kern(j, i))
                        .sum()
                } else {
                    0.0
                }
            })
            .collect();
        let mu = w_case * w_ctrl / (nf * nf);
        let nu = (0..n)
            .filter(|&i| case(i))
            .map(|i| rw[i].1 * c[i])
            .sum::<f64>()
            / (nf * nf);
        // Nelson-Aalen influence of the censoring hazard of subject k at s
        let mut times: Vec<f64> = surv.time().to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let y = |u: f64| surv.time().iter().filter(|&&t| t >= u).count() as f64;
        let cens = |u: f64| {
            surv.time()
                .iter()
                .zip(surv.cause())
                .filter(|(&t, &k)| t == u && k == 0)
                .count() as f64
        };
        let phi = |k: usize, s: f64, strict: bool| {
            let tk = surv.time()[k];
            let before = |u: f64| if strict { u < s } else { u <= s };
            let mut v = if surv.cause()[k] == 0 && before(tk) {
                nf / y(tk)
            } else {
                0.0
            };
            for &u in times.iter().filter(|&&u| before(u) && u <= tk) {
                v -= nf * cens(u) / (y(u) * y(u));
            }
            v
        };
        let inf: Vec<f64> = (0..n)
            .map(|k| {
                let (a, b) = if case(k) {
                    (rw[k].1 * c[k] / nf, rw[k].1 * w_ctrl / nf)
                } else if ctrl(k) {
                    (rw[k].1 * c[k] / nf, rw[k].1 * w_case / nf)
                } else {
                    (0.0, 0.0)
                };
                let (mut num, mut den) = (0.0, 0.0);
                for j in 0..n {
                    let other = if case(j) {
                        w_ctrl
                    } else if ctrl(j) {
                        w_case
                    } else {
                        continue;
                    };
                    let p = match rw[j].0 {
                        Role::Later => phi(k, tau, false),
                        _ => phi(k, surv.time()[j], true),
                    };
                    num += rw[j].1 * c[j] * p;
                    den += rw[j].1 * other * p;
                }
                let (num, den) = (num / (nf * nf), den / (nf * nf));
                (a * mu - b * nu) / (mu * mu) + (num * mu - den * nu) / (mu * mu)
            })
            .collect();
        let mean = inf.iter().sum::<f64>() / nf;
        (inf.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt() / nf.sqrt()
    }
}
