//! The absolute risk of one cause from cause-specific Cox models, as `riskRegression::CSC` and its
//! `predict(..., se = TRUE)`: one Cox model per cause (the other causes censored), Breslow
//! baseline hazards, the all-cause survival just before each event time as the product limit
//! prod (1 - sum_k dLambda_k(s | x)), and the standard error from the influence functions of the
//! coefficients and of the baseline hazards of every cause.
//!
//! F1(t | x) = sum over event times s <= t of S(s- | x) dLambda_1(s | x). Its influence function is
//! linear in those of the hazard increments dLambda_k(s | x), so per horizon one backward pass over
//! the event times gives the weight of every increment and one pass over the subjects gives every
//! subject's influence in O(p): O((n + m) p) per horizon after one O(n log n) sort (m distinct event
//! times). [`absolute_risk_se_slow`] computes the same thing from the definition for the tests.

// The scans index several parallel per-row arrays at once.
#![allow(clippy::needless_range_loop)]

use super::{CompetingError, CompetingSurv};
use crate::stats::cox::{Design, Ties};
use crate::stats::dist::z_for_level;

/// The cause-specific Breslow hazards of every cause on the distinct event times of any cause,
/// for covariates at `center` (the training means).
#[derive(Debug, Clone, PartialEq)]
pub struct CauseHazards {
    /// Distinct times with an event of any cause, increasing.
    pub time: Vec<f64>,
    /// Centring of the covariates (the training column means).
    pub center: Vec<f64>,
    /// Per cause (code 1, 2, ...): the coefficients.
    pub coef: Vec<Vec<f64>>,
    /// Per cause: the Breslow increment d_k(s) / sum_{at risk} exp((x_i - center)'b_k) at each
    /// time of `time` (0 where the cause has no event).
    pub jumps: Vec<Vec<f64>>,
    /// How tied event times were handled in the increments.
    pub ties: Ties,
}

/// The absolute risk of the cause of interest at one time, with its influence-function standard
/// error and the limits `riskRegression` gives (log-log transform: symmetric on log(-log F)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbsoluteRisk {
    pub time: f64,
    pub risk: f64,
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Time-sorted working data of one competing outcome and design.
struct Sorted {
    n: usize,
    p: usize,
    /// Rows in increasing time.
    order: Vec<usize>,
    /// Per sorted row: index into the grid of the last event time <= t (None before the first).
    last: Vec<Option<usize>>,
}

fn check_inputs(
    surv: &CompetingSurv,
    design: &Design,
    coef: &[Vec<f64>],
) -> Result<(), CompetingError> {
    if design.n != surv.len() || design.x.len() != design.n * design.p {
        return Err(CompetingError::WrongLength {
            what: "design rows",
            got: design.n,
            expected: surv.len(),
        });
    }
    if design.p == 0 {
        return Err(CompetingError::NoCovariates);
    }
    if coef.len() != surv.n_causes() as usize {
        return Err(CompetingError::WrongLength {
            what: "coefficient vectors (one per cause)",
            got: coef.len(),
            expected: surv.n_causes() as usize,
        });
    }
    for b in coef {
        if b.len() != design.p {
            return Err(CompetingError::WrongLength {
                what: "coefficients",
                got: b.len(),
                expected: design.p,
            });
        }
        if let Some(v) = b.iter().find(|v| !v.is_finite()) {
            return Err(CompetingError::BadOption {
                what: "coefficient",
                rule: "finite",
                value: *v,
            });
        }
    }
    if let Some(k) = design.x.iter().position(|v| !v.is_finite()) {
        return Err(CompetingError::NonFiniteCovariate {
            index: k / design.p,
            column: k % design.p,
        });
    }
    Ok(())
}

impl CauseHazards {
    /// The Breslow hazards of each cause for the coefficients `coef` (one vector per cause code,
    /// e.g. from `stats::cox::fit` of [`CompetingSurv::cause_specific`]), on the data they were
    /// fitted to.
    pub fn new(
        surv: &CompetingSurv,
        design: &Design,
        coef: &[Vec<f64>],
        ties: Ties,
    ) -> Result<CauseHazards, CompetingError> {
        check_inputs(surv, design, coef)?;
        let (n, p) = (design.n, design.p);
        let center: Vec<f64> = (0..p)
            .map(|j| (0..n).map(|i| design.row(i)[j]).sum::<f64>() / n as f64)
            .collect();
        let order = surv.order();
        let k = coef.len();
        let eta = risks(design, &center, coef);
        let mut time = Vec::new();
        let mut jumps: Vec<Vec<f64>> = vec![Vec::new(); k];
        // backward: risk-set sums over t >= s
        let mut s0 = vec![0.0; k];
        let mut e = n;
        while e > 0 {
            let mut s = e - 1;
            while s > 0 && surv.time()[order[s - 1]] == surv.time()[order[e - 1]] {
                s -= 1;
            }
            let mut d = vec![0usize; k];
            let mut dead = vec![0.0; k];
            for &i in &order[s..e] {
                for c in 0..k {
                    s0[c] += eta[c][i];
                }
                let ci = surv.cause()[i];
                if ci > 0 {
                    d[ci as usize - 1] += 1;
                    dead[ci as usize - 1] += eta[ci as usize - 1][i];
                }
            }
            if d.iter().any(|&v| v > 0) {
                time.push(surv.time()[order[s]]);
                for c in 0..k {
                    jumps[c].push(increment(d[c], s0[c], dead[c], ties));
                }
            }
            e = s;
        }
        if time.is_empty() {
            return Err(CompetingError::NoEvents { cause: 1 });
        }
        time.reverse();
        jumps.iter_mut().for_each(|j| j.reverse());
        Ok(CauseHazards {
            time,
            center,
            coef: coef.to_vec(),
            jumps,
            ties,
        })
    }

    fn check_x(&self, x: &[f64]) -> Result<(), CompetingError> {
        if x.len() != self.center.len() {
            return Err(CompetingError::WrongLength {
                what: "covariate vector",
                got: x.len(),
                expected: self.center.len(),
            });
        }
        if let Some(c) = x.iter().position(|v| !v.is_finite()) {
            return Err(CompetingError::NonFiniteCovariate {
                index: 0,
                column: c,
            });
        }
        Ok(())
    }

    /// exp((x - center)'b_k) per cause.
    fn relative_risks(&self, x: &[f64]) -> Vec<f64> {
        self.coef
            .iter()
            .map(|b| {
                x.iter()
                    .zip(&self.center)
                    .zip(b)
                    .map(|((x, c), b)| (x - c) * b)
                    .sum::<f64>()
                    .exp()
            })
            .collect()
    }

    /// The linear predictor x'b of cause code `cause` (uncentred).
    pub fn linear_predictor(&self, cause: u32, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.coef[cause as usize - 1])
            .map(|(x, b)| x * b)
            .sum()
    }

    /// Per grid time: S(s- | x) (product limit over the earlier times) and the hazard increments
    /// of each cause dLambda_k(s | x). Where the increments of a time sum to more than 1 (covariates
    /// far from the training data's, or the end of follow-up where few are at risk), they are
    /// scaled to sum to 1: the survivors' mass S(s-) is shared among the causes in proportion, S
    /// drops to 0 instead of below it, and the absolute risk stays a probability.
    /// `riskRegression`'s product limit takes them as they are (a negative S, then a decreasing or
    /// out-of-range risk); where no time exceeds 1, the two are the same.
    fn curves(&self, x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let r = self.relative_risks(x);
        let m = self.time.len();
        let mut dl: Vec<Vec<f64>> = self
            .jumps
            .iter()
            .zip(&r)
            // a time without an event of the cause stays 0, also where r overflows
            .map(|(j, r)| {
                j.iter()
                    .map(|&v| if v == 0.0 { 0.0 } else { v * r })
                    .collect()
            })
            .collect();
        let mut surv_before = Vec::with_capacity(m);
        let mut s = 1.0;
        for g in 0..m {
            surv_before.push(s);
            let all: f64 = dl.iter().map(|d| d[g]).sum();
            let infinite = dl.iter().filter(|d| d[g] == f64::INFINITY).count();
            if infinite > 0 {
                // exp of the linear predictor overflowed: the infinite hazards share everything
                dl.iter_mut().for_each(|d| {
                    d[g] = if d[g] == f64::INFINITY {
                        1.0 / infinite as f64
                    } else {
                        0.0
                    }
                });
                s = 0.0;
            } else if all > 1.0 {
                dl.iter_mut().for_each(|d| d[g] /= all);
                s = 0.0;
            } else {
                s *= 1.0 - all;
            }
        }
        (surv_before, dl)
    }

    /// The absolute risk of cause code `cause` for covariates `x` at each time (0 before the first
    /// event time), as `predict.CauseSpecificCox(..., product.limit = TRUE)`.
    pub fn absolute_risk(
        &self,
        cause: u32,
        x: &[f64],
        times: &[f64],
    ) -> Result<Vec<f64>, CompetingError> {
        self.check_cause(cause)?;
        self.check_x(x)?;
        let (sb, dl) = self.curves(x);
        let c = cause as usize - 1;
        let mut cum = Vec::with_capacity(sb.len());
        let mut acc = 0.0;
        for g in 0..sb.len() {
            acc += sb[g] * dl[c][g];
            cum.push(acc);
        }
        Ok(times
            .iter()
            .map(|&t| {
                let k = self.time.partition_point(|&u| u <= t);
                if k == 0 {
                    0.0
                } else {
                    cum[k - 1]
                }
            })
            .collect())
    }

    fn check_cause(&self, cause: u32) -> Result<(), CompetingError> {
        if cause == 0 || cause as usize > self.coef.len() {
            return Err(CompetingError::NoSuchCause {
                cause,
                max: self.coef.len() as u32,
            });
        }
        Ok(())
    }

    /// Weights omega_k(g) of the increments dLambda_k(g | x) in the influence function of F(t):
    /// IF F(t) = sum_k sum_g omega_k(g) IF dLambda_k(g | x). As riskRegression, the influence of
    /// the survival is that of exp(-sum_k Lambda_k(s- | x)), IF S(s-) = -S(s-) sum_k IF
    /// Lambda_k(s-), even though S itself is the product limit; so
    /// omega_k(h) = 1{k = cause} S(h-) - sum_{h<g<=t} S(g-) dLambda_c(g).
    fn weights(&self, cause: u32, x: &[f64], kt: usize) -> (f64, Vec<Vec<f64>>) {
        let (sb, dl) = self.curves(x);
        let c = cause as usize - 1;
        let k = self.coef.len();
        let mut omega = vec![vec![0.0; kt]; k];
        let mut after = 0.0; // sum_{h<g<=t} S(g-) dLambda_c(g)
        let mut risk = 0.0;
        for h in (0..kt).rev() {
            let v = after;
            for q in 0..k {
                omega[q][h] = -v;
            }
            omega[c][h] += sb[h];
            after += sb[h] * dl[c][h];
            risk += sb[h] * dl[c][h];
        }
        (risk, omega)
    }
}

/// The baseline hazard increment of a time with `d` events whose risk scores sum to `dead`, the
/// risk set's to `s0`: Breslow d / s0, or Efron sum_{j<d} 1 / (s0 - j/d dead) (as
/// `survfit.coxph` and `riskRegression::predictCox` for an Efron fit).
fn increment(d: usize, s0: f64, dead: f64, ties: Ties) -> f64 {
    match ties {
        Ties::Efron if d > 1 => (0..d)
            .map(|j| 1.0 / (s0 - j as f64 / d as f64 * dead))
            .sum(),
        _ => d as f64 / s0,
    }
}

/// exp((x_i - center)'b_k) per cause and row.
fn risks(design: &Design, center: &[f64], coef: &[Vec<f64>]) -> Vec<Vec<f64>> {
    coef.iter()
        .map(|b| {
            (0..design.n)
                .map(|i| {
                    design
                        .row(i)
                        .iter()
                        .zip(center)
                        .zip(b)
                        .map(|((x, c), b)| (x - c) * b)
                        .sum::<f64>()
                        .exp()
                })
                .collect()
        })
        .collect()
}

/// What the influence functions need of the training data: per cause the risk scores, risk-set
/// sums S0 and means E at each grid time, and the coefficients' influence per row.
struct Training<'a> {
    hz: CauseHazards,
    surv: &'a CompetingSurv,
    design: &'a Design,
    sorted: Sorted,
    /// Per cause and row: exp((x_i - center)'b_k).
    eta: Vec<Vec<f64>>,
    /// Per cause and grid time: S0 and E (p per time).
    s0: Vec<Vec<f64>>,
    mean: Vec<Vec<f64>>,
    /// Per cause: the coefficients' influence per row, n x p (input order).
    beta_iid: Vec<Vec<f64>>,
}

impl<'a> Training<'a> {
    fn new(
        hz: &CauseHazards,
        surv: &'a CompetingSurv,
        design: &'a Design,
        var: &[Vec<f64>],
    ) -> Result<Training<'a>, CompetingError> {
        let again = CauseHazards::new(surv, design, &hz.coef, hz.ties)?;
        let same = again.time == hz.time
            && again
                .jumps
                .iter()
                .flatten()
                .zip(hz.jumps.iter().flatten())
                .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()));
        if !same {
            return Err(CompetingError::NotTheFittedData);
        }
        let (n, p) = (design.n, design.p);
        let k = hz.coef.len();
        if var.len() != k || var.iter().any(|v| v.len() != p * p) {
            return Err(CompetingError::WrongLength {
                what: "coefficient variance (p x p per cause)",
                got: var.first().map_or(0, |v| v.len()),
                expected: p * p,
            });
        }
        let eta = risks(design, &hz.center, &hz.coef);
        let order = surv.order();
        let m = hz.time.len();
        let mut s0 = vec![vec![0.0; m]; k];
        let mut mean = vec![vec![0.0; m * p]; k];
        let mut last = vec![None; n];
        // backward over rows, forward index into the grid
        let mut acc0 = vec![0.0; k];
        let mut acc1 = vec![vec![0.0; p]; k];
        let mut g = m;
        let mut e = n;
        while e > 0 {
            let mut s = e - 1;
            let te = surv.time()[order[e - 1]];
            while s > 0 && surv.time()[order[s - 1]] == te {
                s -= 1;
            }
            for &i in &order[s..e] {
                let xi = design.row(i);
                for c in 0..k {
                    acc0[c] += eta[c][i];
                    for j in 0..p {
                        acc1[c][j] += eta[c][i] * (xi[j] - hz.center[j]);
                    }
                }
            }
            // grid times in (time of the next-earlier group, te] see this risk set
            let lo = if s > 0 {
                surv.time()[order[s - 1]]
            } else {
                f64::NEG_INFINITY
            };
            while g > 0 && hz.time[g - 1] > lo {
                g -= 1;
                for c in 0..k {
                    s0[c][g] = acc0[c];
                    for j in 0..p {
                        mean[c][g * p + j] = acc1[c][j] / acc0[c];
                    }
                }
            }
            let gl = hz.time.partition_point(|&u| u <= te);
            for r in s..e {
                last[r] = gl.checked_sub(1);
            }
            e = s;
        }
        let mut tr = Training {
            hz: hz.clone(),
            surv,
            design,
            sorted: Sorted { n, p, order, last },
            eta,
            s0,
            mean,
            beta_iid: Vec::new(),
        };
        tr.beta_iid = (0..k).map(|q| tr.coefficient_iid(q, &var[q])).collect();
        Ok(tr)
    }

    /// The influence of cause q's coefficients on each row (n x p, input order), as
    /// `riskRegression::iidCox`: var (delta_i (x_i - E(T_i)) - exp(eta_i) sum over the cause's
    /// distinct event times s <= T_i of (x_i - E(s)) / S0(s)), with Breslow risk-set means E and
    /// one 1/S0 per distinct event time (riskRegression's convention, also under Efron ties).
    fn coefficient_iid(&self, q: usize, var: &[f64]) -> Vec<f64> {
        let (n, p) = (self.sorted.n, self.sorted.p);
        let m = self.hz.time.len();
        let c = &self.hz.center;
        // prefix sums over the cause's event times of 1/S0 and E/S0
        let mut a0 = vec![0.0; m];
        let mut a1 = vec![0.0; m * p];
        let (mut acc0, mut acc1) = (0.0, vec![0.0; p]);
        for g in 0..m {
            if self.hz.jumps[q][g] > 0.0 {
                acc0 += 1.0 / self.s0[q][g];
                for j in 0..p {
                    acc1[j] += self.mean[q][g * p + j] / self.s0[q][g];
                }
            }
            a0[g] = acc0;
            a1[g * p..(g + 1) * p].copy_from_slice(&acc1);
        }
        let mut out = vec![0.0; n * p];
        let mut score = vec![0.0; p];
        for (si, &i) in self.sorted.order.iter().enumerate() {
            let xi = self.design.row(i);
            score.iter_mut().for_each(|v| *v = 0.0);
            if self.surv.cause()[i] as usize == q + 1 {
                let g = self
                    .grid_of(self.surv.time()[i])
                    .expect("an event time is on the grid");
                for j in 0..p {
                    score[j] += xi[j] - c[j] - self.mean[q][g * p + j];
                }
            }
            if let Some(l) = self.sorted.last[si] {
                let e = self.eta[q][i];
                for j in 0..p {
                    score[j] -= e * ((xi[j] - c[j]) * a0[l] - a1[l * p + j]);
                }
            }
            for a in 0..p {
                out[i * p + a] = (0..p).map(|b| var[a * p + b] * score[b]).sum();
            }
        }
        out
    }

    /// Grid index of the time of row i (input order) if it is an event time.
    fn grid_of(&self, t: f64) -> Option<usize> {
        let g = self.hz.time.partition_point(|&u| u < t);
        (g < self.hz.time.len() && self.hz.time[g] == t).then_some(g)
    }
}

/// The absolute risk of cause code `cause` for covariates `x` at `times`, with standard errors
/// from the influence functions (`riskRegression`'s iid decomposition: the baseline
/// hazards and the coefficients of every cause), and limits at `level` on the log(-log F) scale.
/// `surv` and `design` must be the data `hazards` was fitted to, and `var[k]` (p x p, row-major)
/// the variance of cause k + 1's coefficients (the inverse information of its Cox fit).
#[allow(clippy::too_many_arguments)]
pub fn absolute_risk_se(
    hazards: &CauseHazards,
    surv: &CompetingSurv,
    design: &Design,
    var: &[Vec<f64>],
    cause: u32,
    x: &[f64],
    times: &[f64],
    level: f64,
) -> Result<Vec<AbsoluteRisk>, CompetingError> {
    RiskInfluence::new(hazards, surv, design, var)?.absolute_risk_se(cause, x, times, level)
}

/// The training data's part of [`absolute_risk_se`] (risk-set sums, the coefficients' influence),
/// computed once for the predictions of many patients.
pub struct RiskInfluence<'a> {
    tr: Training<'a>,
}

impl<'a> RiskInfluence<'a> {
    /// `surv` and `design` must be the data `hazards` was fitted to (else
    /// [`CompetingError::NotTheFittedData`]), `var[k]` the variance of cause k + 1's coefficients.
    pub fn new(
        hazards: &CauseHazards,
        surv: &'a CompetingSurv,
        design: &'a Design,
        var: &[Vec<f64>],
    ) -> Result<RiskInfluence<'a>, CompetingError> {
        Ok(RiskInfluence {
            tr: Training::new(hazards, surv, design, var)?,
        })
    }

    /// As [`absolute_risk_se`].
    pub fn absolute_risk_se(
        &self,
        cause: u32,
        x: &[f64],
        times: &[f64],
        level: f64,
    ) -> Result<Vec<AbsoluteRisk>, CompetingError> {
        let tr = &self.tr;
        let hazards = &tr.hz;
        let surv = tr.surv;
        hazards.check_cause(cause)?;
        hazards.check_x(x)?;
        let (n, p) = (tr.sorted.n, tr.sorted.p);
        let k = hazards.coef.len();
        let r = hazards.relative_risks(x);
        let xc: Vec<f64> = x.iter().zip(&hazards.center).map(|(a, c)| a - c).collect();
        let point = hazards.absolute_risk(cause, x, times)?;
        let mut out = Vec::with_capacity(times.len());
        for (&t, &risk) in times.iter().zip(&point) {
            let kt = hazards.time.partition_point(|&u| u <= t);
            let (_, omega) = hazards.weights(cause, x, kt);
            // per cause: prefix sums of omega * jump / S0, and the coefficient vector
            // sum_g omega jump (x - E(g))
            let mut var = 0.0;
            let mut pre = vec![vec![0.0; kt]; k];
            let mut bvec = vec![vec![0.0; p]; k];
            for q in 0..k {
                let mut acc = 0.0;
                for g in 0..kt {
                    let w = omega[q][g] * hazards.jumps[q][g];
                    acc += w / tr.s0[q][g];
                    pre[q][g] = acc;
                    for j in 0..p {
                        bvec[q][j] += w * (xc[j] - tr.mean[q][g * p + j]);
                    }
                }
            }
            for (si, &i) in tr.sorted.order.iter().enumerate() {
                let mut inf = 0.0;
                let ci = surv.cause()[i];
                for q in 0..k {
                    let mut v = 0.0;
                    if ci as usize == q + 1 {
                        if let Some(g) = tr.grid_of(surv.time()[i]) {
                            if g < kt {
                                v += omega[q][g] / tr.s0[q][g];
                            }
                        }
                    }
                    if let Some(l) = tr.sorted.last[si] {
                        let l = l.min(kt.wrapping_sub(1));
                        if kt > 0 {
                            v -= tr.eta[q][i] * pre[q][l];
                        }
                    }
                    let bi = &tr.beta_iid[q][i * p..(i + 1) * p];
                    v += bvec[q].iter().zip(bi).map(|(a, b)| a * b).sum::<f64>();
                    inf += r[q] * v;
                }
                var += inf * inf;
            }
            let _ = n;
            out.push(limits(t, risk, var.sqrt(), level));
        }
        Ok(out)
    }
}

/// riskRegression's limits of an absolute risk: on the log(-log F) scale,
/// exp(-exp(log(-log F) -+ z se / (F |log F|))), truncated to [0, 1].
fn limits(time: f64, risk: f64, se: f64, level: f64) -> AbsoluteRisk {
    let z = z_for_level(level);
    if risk <= 0.0 || risk >= 1.0 || se == 0.0 {
        return AbsoluteRisk {
            time,
            risk,
            se,
            lower: risk,
            upper: risk,
        };
    }
    let ll = (-risk.ln()).ln();
    let s = se / (risk * risk.ln().abs());
    AbsoluteRisk {
        time,
        risk,
        se,
        lower: (-(ll + z * s).exp()).exp(),
        upper: (-(ll - z * s).exp()).exp(),
    }
}

/// [`absolute_risk_se`] from the definition, O(n m) per horizon: every subject's influence on
/// every increment dLambda_k(g | x), pushed through F(t) = sum_g S(g-) dLambda_c(g) term by term.
/// For the property tests.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn absolute_risk_se_slow(
    hazards: &CauseHazards,
    surv: &CompetingSurv,
    design: &Design,
    var: &[Vec<f64>],
    cause: u32,
    x: &[f64],
    times: &[f64],
    level: f64,
) -> Result<Vec<AbsoluteRisk>, CompetingError> {
    hazards.check_cause(cause)?;
    hazards.check_x(x)?;
    let tr = Training::new(hazards, surv, design, var)?;
    let (n, p) = (design.n, design.p);
    let k = hazards.coef.len();
    let m = hazards.time.len();
    let r = hazards.relative_risks(x);
    let c = cause as usize - 1;
    let (sb, dl) = hazards.curves(x);
    let mut out = Vec::new();
    for &t in times {
        let mut var = 0.0;
        let mut risk = 0.0;
        for g in 0..m {
            if hazards.time[g] <= t {
                risk += sb[g] * dl[c][g];
            }
        }
        for i in 0..n {
            // IF of every increment
            let mut idl = vec![vec![0.0; m]; k];
            for q in 0..k {
                let bi = &tr.beta_iid[q][i * p..(i + 1) * p];
                for g in 0..m {
                    let at_risk = surv.time()[i] >= hazards.time[g];
                    let dn = (at_risk
                        && surv.time()[i] == hazards.time[g]
                        && surv.cause()[i] as usize == q + 1) as u8
                        as f64;
                    let y = at_risk as u8 as f64;
                    let mut v = (dn - y * tr.eta[q][i] * hazards.jumps[q][g]) / tr.s0[q][g];
                    for j in 0..p {
                        v += hazards.jumps[q][g]
                            * (x[j] - hazards.center[j] - tr.mean[q][g * p + j])
                            * bi[j];
                    }
                    idl[q][g] = r[q] * v;
                }
            }
            // IF of F(t) = sum_g S(g-) dL_c(g), S(g-) = prod_{h<g} (1 - A(h))
            let mut inf = 0.0;
            let mut dlog_s = 0.0; // IF of log S(g-)
            for g in 0..m {
                if hazards.time[g] > t {
                    break;
                }
                inf += sb[g] * (idl[c][g] + dl[c][g] * dlog_s);
                // riskRegression: IF log S(g-) = -sum_k IF Lambda_k(g- | x)
                dlog_s -= idl.iter().map(|d| d[g]).sum::<f64>();
            }
            var += inf * inf;
        }
        out.push(limits(t, risk, var.sqrt(), level));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two causes, x = centre: the increments are the jumps themselves.
    fn two_causes(jumps1: Vec<f64>, jumps2: Vec<f64>) -> CauseHazards {
        CauseHazards {
            time: vec![1.0, 2.0, 3.0, 4.0],
            center: vec![0.0],
            coef: vec![vec![0.5], vec![0.5]],
            jumps: vec![jumps1, jumps2],
            ties: Ties::Breslow,
        }
    }

    #[test]
    fn increments_above_one_share_the_survivors_and_leave_a_probability() {
        // a competing increment of 1.5 at time 2 and no event of the cause after it: as R's
        // product limit until time 2 (0.1), then the survivors' 0.9 shared 0.2 : 1.5
        let hz = two_causes(vec![0.1, 0.2, 0.0, 0.0], vec![0.0, 1.5, 0.0, 0.0]);
        let r = hz.absolute_risk(1, &[0.0], &[1.0, 2.0, 4.0]).unwrap();
        assert!((r[0] - 0.1).abs() < 1e-15, "{r:?}");
        assert!((r[1] - (0.1 + 0.9 * 0.2 / 1.7)).abs() < 1e-15, "{r:?}");
        // nobody is left after time 2: later increments of the cause add nothing
        let later = two_causes(vec![0.1, 0.2, 0.1, 0.3], vec![0.0, 1.5, 0.0, 0.0]);
        assert_eq!(later.absolute_risk(1, &[0.0], &[4.0]).unwrap()[0], r[1]);
        // an increment of the cause alone above 1 takes all the survivors
        let alone = two_causes(vec![0.1, 1.2, 0.5, 0.0], vec![0.0; 4]);
        let a = alone.absolute_risk(1, &[0.0], &[2.0, 4.0]).unwrap();
        assert!(
            (a[0] - 1.0).abs() < 1e-15 && (a[1] - 1.0).abs() < 1e-15,
            "{a:?}"
        );
        // exp(x'b) overflowing for cause 2 (x = 2000, b = 0.5): cause 2 takes everybody at its
        // first increment, after the cause's 0.1 before it
        let mut over = two_causes(vec![0.1, 0.2, 0.0, 0.0], vec![0.0, 0.1, 0.3, 0.0]);
        over.coef = vec![vec![0.0], vec![0.5]];
        let o = over.absolute_risk(1, &[2000.0], &[1.0, 2.0, 4.0]).unwrap();
        assert_eq!(o, vec![0.1, 0.1, 0.1]);
        // below 1 everywhere: the plain product limit
        let plain = two_causes(vec![0.1, 0.2, 0.1, 0.0], vec![0.3, 0.1, 0.0, 0.0]);
        let p = plain.absolute_risk(1, &[0.0], &[3.0]).unwrap();
        let want = 0.1 + 0.6 * 0.2 + 0.6 * 0.7 * 0.1;
        assert!((p[0] - want).abs() < 1e-15, "{} against {want}", p[0]);
    }
}
