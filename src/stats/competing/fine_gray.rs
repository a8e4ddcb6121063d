//! The Fine-Gray (1999) proportional subdistribution-hazards model, exactly as `cmprsk::crr`:
//! Kaplan-Meier censoring weights evaluated just before each time, Breslow-type handling of tied
//! event times, Newton-Raphson with cmprsk's step halving and convergence test, and cmprsk's
//! sandwich variance (`crrvv`), plus `predict.crr` with a delta-method interval.
//!
//! Each likelihood evaluation is one backward scan over time-sorted data: the subdistribution risk
//! set at event time u is everyone with t >= u plus the competing-event subjects with t < u, the
//! latter weighted by G(u-)/G(t-). Both sums are cumulative over sorted time, so an iteration costs
//! O(n p^2) after one O(n log n) sort (Kawaguchi et al. 2020, *Biostatistics* 22:42). The sandwich
//! variance and the prediction variance are forward scans of the same kind.

// The scans index several parallel per-row arrays at once.
#![allow(clippy::needless_range_loop)]

use super::{CompetingError, CompetingSurv};
use crate::stats::cox::Design;
use crate::stats::dist::{two_sided_p, z_for_level};
use crate::stats::linalg::Ldl;

/// cmprsk's default convergence tolerance `gtol`.
pub const DEFAULT_GTOL: f64 = 1e-6;
/// cmprsk's default maximum number of Newton iterations `maxiter`.
pub const DEFAULT_MAXITER: usize = 10;

/// Options of [`crr`], with `cmprsk::crr`'s defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CrrOptions {
    /// The cause of interest (`failcode`). Default 1.
    pub cause: u32,
    /// Stop when max_j |score_j| max(|b_j|, 1) < max(|loglik|, 1) gtol. Default 1e-6.
    pub gtol: f64,
    /// Maximum Newton iterations; 0 evaluates at `init` only. Default 10.
    pub maxiter: usize,
    /// Starting values; default all 0.
    pub init: Option<Vec<f64>>,
    /// Level of the hazard-ratio limits. Default 0.95.
    pub level: f64,
}

impl Default for CrrOptions {
    fn default() -> Self {
        CrrOptions {
            cause: 1,
            gtol: DEFAULT_GTOL,
            maxiter: DEFAULT_MAXITER,
            init: None,
            level: 0.95,
        }
    }
}

/// One row of the coefficient table.
#[derive(Debug, Clone, PartialEq)]
pub struct FineGrayCoef {
    pub name: String,
    pub coef: f64,
    /// Subdistribution hazard ratio exp(coef).
    pub shr: f64,
    pub se: f64,
    pub z: f64,
    pub p: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A fitted Fine-Gray model.
#[derive(Debug, Clone, PartialEq)]
pub struct FineGray {
    pub cause: u32,
    pub names: Vec<String>,
    pub coef: Vec<f64>,
    /// cmprsk's `var`: the sandwich H^-1 V H^-1 (row-major p x p), with the censoring-weight
    /// terms.
    pub var: Vec<f64>,
    /// The information H (minus the Hessian of the log pseudo-likelihood) at `coef`.
    pub information: Vec<f64>,
    /// The score (gradient of the log pseudo-likelihood) at `coef`.
    pub score: Vec<f64>,
    /// Log pseudo-likelihood at `coef` and at 0.
    pub loglik: f64,
    pub loglik_null: f64,
    pub converged: bool,
    pub iterations: usize,
    pub n: usize,
    pub n_events: usize,
    pub n_competing: usize,
    pub n_censored: usize,
    /// Distinct event times of the cause (cmprsk `uftime`) and the jumps of the baseline
    /// cumulative subdistribution hazard there (`bfitj`, covariates on their own scale).
    pub event_times: Vec<f64>,
    pub baseline_jumps: Vec<f64>,
    level: f64,
}

/// The predicted cumulative incidence of the cause for one covariate vector at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictedCif {
    pub time: f64,
    pub cif: f64,
    /// Delta-method standard error of `cif`.
    pub se: f64,
    /// Limits symmetric on log(-log(1 - cif)) = log of the cumulative subdistribution hazard.
    pub lower: f64,
    pub upper: f64,
}

/// Time-sorted, centred working data.
struct Prep {
    n: usize,
    p: usize,
    t: Vec<f64>,
    /// 0 censored, 1 cause of interest, 2 competing.
    st: Vec<u8>,
    /// Centred covariates, sorted rows, row-major.
    x: Vec<f64>,
    center: Vec<f64>,
    /// cmprsk's censoring weight G(t*(1 - eps)) per sorted row.
    gw: Vec<f64>,
    /// Per row: number of distinct event times <= t.
    kidx: Vec<usize>,
    ev_time: Vec<f64>,
    ev_d: Vec<f64>,
    ev_g: Vec<f64>,
    sum_x_fail: Vec<f64>,
}

impl Prep {
    fn new(surv: &CompetingSurv, design: &Design, cause: u32) -> Result<Prep, CompetingError> {
        let n = surv.len();
        if design.n != n || design.x.len() != n * design.p {
            return Err(CompetingError::WrongLength {
                what: "design rows",
                got: design.n,
                expected: n,
            });
        }
        let p = design.p;
        if p == 0 {
            return Err(CompetingError::NoCovariates);
        }
        if cause == 0 || cause > surv.n_causes() {
            return Err(CompetingError::NoSuchCause {
                cause,
                max: surv.n_causes(),
            });
        }
        if let Some(k) = design.x.iter().position(|v| !v.is_finite()) {
            return Err(CompetingError::NonFiniteCovariate {
                index: k / p,
                column: k % p,
            });
        }
        let order = surv.order();
        let t: Vec<f64> = order.iter().map(|&i| surv.time()[i]).collect();
        let st: Vec<u8> = order
            .iter()
            .map(|&i| match surv.cause()[i] {
                0 => 0,
                c if c == cause => 1,
                _ => 2,
            })
            .collect();
        if !st.contains(&1) {
            return Err(CompetingError::NoEvents { cause });
        }
        let mut center = vec![0.0; p];
        for i in 0..n {
            for (c, v) in center.iter_mut().zip(design.row(i)) {
                *c += v;
            }
        }
        center.iter_mut().for_each(|c| *c /= n as f64);
        let mut x = Vec::with_capacity(n * p);
        for &i in &order {
            x.extend(design.row(i).iter().zip(&center).map(|(v, c)| v - c));
        }
        // Kaplan-Meier of the censoring distribution (censorings are the events), evaluated at
        // t (1 - eps) as cmprsk does (`summary(survfit(...), times = ftime * (1 - eps))`).
        let mut cens_t = Vec::new();
        let mut cens_g = Vec::new();
        let mut g = 1.0;
        let mut s = 0;
        while s < n {
            let mut e = s;
            let mut dc = 0usize;
            while e < n && t[e] == t[s] {
                dc += (st[e] == 0) as usize;
                e += 1;
            }
            if dc > 0 {
                g *= 1.0 - dc as f64 / (n - s) as f64;
                cens_t.push(t[s]);
                cens_g.push(g);
            }
            s = e;
        }
        let mut gw = Vec::with_capacity(n);
        let mut j = 0;
        for &ti in &t {
            let at = ti * (1.0 - f64::EPSILON);
            while j < cens_t.len() && cens_t[j] <= at {
                j += 1;
            }
            gw.push(if j == 0 { 1.0 } else { cens_g[j - 1] });
        }
        let mut ev_time = Vec::new();
        let mut ev_d = Vec::new();
        let mut ev_g = Vec::new();
        let mut kidx = Vec::with_capacity(n);
        let mut sum_x_fail = vec![0.0; p];
        let mut s = 0;
        while s < n {
            let mut e = s;
            let mut d = 0usize;
            while e < n && t[e] == t[s] {
                if st[e] == 1 {
                    d += 1;
                    for (a, v) in sum_x_fail.iter_mut().zip(&x[e * p..(e + 1) * p]) {
                        *a += v;
                    }
                }
                e += 1;
            }
            if d > 0 {
                ev_time.push(t[s]);
                ev_d.push(d as f64);
                ev_g.push(gw[s]);
            }
            kidx.extend(std::iter::repeat_n(ev_time.len(), e - s));
            s = e;
        }
        Ok(Prep {
            n,
            p,
            t,
            st,
            x,
            center,
            gw,
            kidx,
            ev_time,
            ev_d,
            ev_g,
            sum_x_fail,
        })
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }

    fn risk(&self, b: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| {
                self.row(i)
                    .iter()
                    .zip(b)
                    .map(|(x, b)| x * b)
                    .sum::<f64>()
                    .exp()
            })
            .collect()
    }
}

/// Minus the log pseudo-likelihood, its gradient and Hessian (cmprsk's `crrfsv`; `crrf` when
/// `derivs` is false), and per event time S0 and the weighted mean E.
struct Eval {
    f: f64,
    grad: Vec<f64>,
    hess: Vec<f64>,
    s0: Vec<f64>,
    mean: Vec<f64>,
}

fn packed(a: usize, b: usize) -> usize {
    a * (a + 1) / 2 + b
}

#[inline]
fn add_row(acc: &mut [f64], w: f64, x: &[f64], derivs: bool) {
    acc[0] += w;
    if !derivs {
        return;
    }
    let p = x.len();
    let (s1, mut s2) = acc[1..].split_at_mut(p);
    for a in 0..p {
        let wa = w * x[a];
        s1[a] += wa;
        let (row, rest) = s2.split_at_mut(a + 1);
        for (r, xb) in row.iter_mut().zip(x) {
            *r += wa * xb;
        }
        s2 = rest;
    }
}

fn evaluate(prep: &Prep, b: &[f64], derivs: bool) -> Eval {
    let p = prep.p;
    let n = prep.n;
    let m = if derivs { 1 + p + p * (p + 1) / 2 } else { 1 };
    let e = prep.risk(b);
    // competing-event subjects, weighted 1/G(t-): total, then what remains at or after u
    let mut ctot = vec![0.0; m];
    for i in 0..n {
        if prep.st[i] == 2 {
            add_row(&mut ctot, e[i] / prep.gw[i], prep.row(i), derivs);
        }
    }
    let mut bsum = vec![0.0; m];
    let mut csuf = vec![0.0; m];
    let mut gacc = vec![0.0; m];
    let mut s = vec![0.0; m];
    let nd = prep.ev_time.len();
    let mut f = -prep
        .sum_x_fail
        .iter()
        .zip(b)
        .map(|(x, b)| x * b)
        .sum::<f64>();
    let mut grad: Vec<f64> = prep.sum_x_fail.iter().map(|v| -v).collect();
    let mut hess = vec![0.0; if derivs { p * p } else { 0 }];
    let mut s0 = vec![0.0; nd];
    let mut mean = vec![0.0; if derivs { nd * p } else { 0 }];
    let mut r = n;
    for k in (0..nd).rev() {
        let u = prep.ev_time[k];
        while r > 0 && prep.t[r - 1] >= u {
            // one tied time: G(t-) is the same for its competing events, so they are summed
            // once and enter both sums
            let tt = prep.t[r - 1];
            let mut any = false;
            while r > 0 && prep.t[r - 1] == tt {
                r -= 1;
                if prep.st[r] == 2 {
                    if !any {
                        gacc.iter_mut().for_each(|v| *v = 0.0);
                        any = true;
                    }
                    add_row(&mut gacc, e[r], prep.row(r), derivs);
                } else {
                    add_row(&mut bsum, e[r], prep.row(r), derivs);
                }
            }
            if any {
                let w = 1.0 / prep.gw[r];
                for ((b, c), g) in bsum.iter_mut().zip(csuf.iter_mut()).zip(&gacc) {
                    *b += g;
                    *c += g * w;
                }
            }
        }
        let g = prep.ev_g[k];
        for j in 0..m {
            s[j] = bsum[j] + g * (ctot[j] - csuf[j]);
        }
        let d = prep.ev_d[k];
        s0[k] = s[0];
        f += d * s[0].ln();
        if derivs {
            let mk = &mut mean[k * p..(k + 1) * p];
            for a in 0..p {
                mk[a] = s[1 + a] / s[0];
                grad[a] += d * mk[a];
            }
            for a in 0..p {
                for c in 0..=a {
                    let h = d * (s[1 + p + packed(a, c)] / s[0] - mk[a] * mk[c]);
                    hess[a * p + c] += h;
                }
            }
        }
    }
    if derivs {
        for a in 0..p {
            for c in 0..a {
                hess[c * p + a] = hess[a * p + c];
            }
        }
    } else {
        grad.clear();
    }
    Eval {
        f,
        grad,
        hess,
        s0,
        mean,
    }
}

/// The per-subject influence terms u_i = eta_i + psi_i of cmprsk's `crrvv` (score residual plus
/// censoring-weight term), in sorted-row order, row-major n x p.
fn score_terms(prep: &Prep, b: &[f64], ev: &Eval) -> Vec<f64> {
    let p = prep.p;
    let n = prep.n;
    let nd = prep.ev_time.len();
    let e = prep.risk(b);
    // prefix (inclusive) of d/S0 and d E/S0; suffix (from k) of d G/S0 and d G E/S0
    let mut a0 = vec![0.0; nd];
    let mut a1 = vec![0.0; nd * p];
    let mut gs0 = vec![0.0; nd + 1];
    let mut gs1 = vec![0.0; (nd + 1) * p];
    for k in 0..nd {
        let w = prep.ev_d[k] / ev.s0[k];
        a0[k] = w + if k > 0 { a0[k - 1] } else { 0.0 };
        for j in 0..p {
            a1[k * p + j] = w * ev.mean[k * p + j] + if k > 0 { a1[(k - 1) * p + j] } else { 0.0 };
        }
    }
    for k in (0..nd).rev() {
        let w = prep.ev_d[k] * prep.ev_g[k] / ev.s0[k];
        gs0[k] = gs0[k + 1] + w;
        for j in 0..p {
            gs1[k * p + j] = gs1[(k + 1) * p + j] + w * ev.mean[k * p + j];
        }
    }
    let mut out = vec![0.0; n * p];
    let mut r0 = 0.0;
    let mut r1 = vec![0.0; p];
    let mut cum = vec![0.0; p];
    let mut q = vec![0.0; p];
    let mut s = 0;
    while s < n {
        let mut end = s;
        let mut dc = 0usize;
        while end < n && prep.t[end] == prep.t[s] {
            dc += (prep.st[end] == 0) as usize;
            end += 1;
        }
        let y = (n - s) as f64;
        if dc > 0 {
            let kl = prep.ev_time.partition_point(|&u| u < prep.t[s]);
            for j in 0..p {
                q[j] = r1[j] * gs0[kl] - r0 * gs1[kl * p + j];
                cum[j] += dc as f64 * q[j] / (y * y);
            }
        }
        for i in s..end {
            let k = prep.kidx[i];
            let xi = prep.row(i);
            let ui = &mut out[i * p..(i + 1) * p];
            for j in 0..p {
                let mut v = -cum[j];
                if k > 0 {
                    v -= e[i] * (xi[j] * a0[k - 1] - a1[(k - 1) * p + j]);
                }
                match prep.st[i] {
                    0 => v += q[j] / y,
                    1 => v += xi[j] - ev.mean[(k - 1) * p + j],
                    _ => v -= e[i] / prep.gw[i] * (xi[j] * gs0[k] - gs1[k * p + j]),
                }
                ui[j] = v;
            }
        }
        for i in s..end {
            if prep.st[i] == 2 {
                let w = e[i] / prep.gw[i];
                r0 += w;
                for (r, xv) in r1.iter_mut().zip(prep.row(i)) {
                    *r += w * xv;
                }
            }
        }
        s = end;
    }
    out
}

fn solve(h: &[f64], p: usize, y: &[f64]) -> Result<Vec<f64>, CompetingError> {
    let ldl = Ldl::new(h, p, 1e-12);
    if ldl.rank() < p {
        return Err(CompetingError::Singular);
    }
    let mut v = y.to_vec();
    ldl.solve_in_place(&mut v);
    Ok(v)
}

fn inverse(h: &[f64], p: usize) -> Result<Vec<f64>, CompetingError> {
    let ldl = Ldl::new(h, p, 1e-12);
    if ldl.rank() < p {
        return Err(CompetingError::Singular);
    }
    Ok(ldl.inverse())
}

/// Fits the Fine-Gray model of `opts.cause` on the covariates of `design` (rows as `surv`), as
/// `cmprsk::crr(time, cause, design, failcode = opts.cause, cencode = 0)` with one censoring
/// group.
pub fn crr(
    surv: &CompetingSurv,
    design: &Design,
    opts: &CrrOptions,
) -> Result<FineGray, CompetingError> {
    if !(opts.gtol > 0.0 && opts.gtol.is_finite()) {
        return Err(CompetingError::BadOption {
            what: "gtol",
            rule: "a positive number",
            value: opts.gtol,
        });
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(CompetingError::BadOption {
            what: "confidence level",
            rule: "between 0 and 1",
            value: opts.level,
        });
    }
    let prep = Prep::new(surv, design, opts.cause)?;
    let p = prep.p;
    let mut b = match &opts.init {
        Some(init) if init.len() != p => {
            return Err(CompetingError::WrongLength {
                what: "init",
                got: init.len(),
                expected: p,
            })
        }
        Some(init) => init.clone(),
        None => vec![0.0; p],
    };
    if let Some(v) = b.iter().find(|v| !v.is_finite()) {
        return Err(CompetingError::BadOption {
            what: "init",
            rule: "finite",
            value: *v,
        });
    }
    let mut converged = false;
    let mut iterations = 0;
    let mut ev;
    let mut ll = 0;
    loop {
        ev = evaluate(&prep, &b, true);
        let lhs = ev
            .grad
            .iter()
            .zip(&b)
            .map(|(g, b)| g.abs() * b.abs().max(1.0))
            .fold(0.0, f64::max);
        if lhs < ev.f.abs().max(1.0) * opts.gtol {
            converged = true;
            break;
        }
        if ll == opts.maxiter {
            break;
        }
        let mut sc: Vec<f64> = solve(&ev.hess, p, &ev.grad)?
            .into_iter()
            .map(|v| -v)
            .collect();
        let slope: f64 = sc.iter().zip(&ev.grad).map(|(a, g)| a * g).sum();
        let mut bn: Vec<f64> = b.iter().zip(&sc).map(|(b, s)| b + s).collect();
        let mut fbn = evaluate(&prep, &bn, false).f;
        let mut halvings = 0;
        let mut failed = false;
        while fbn.is_nan() || fbn > ev.f + 1e-4 * slope * 0.5f64.powi(halvings) {
            halvings += 1;
            sc.iter_mut().for_each(|s| *s *= 0.5);
            bn = b.iter().zip(&sc).map(|(b, s)| b + s).collect();
            fbn = evaluate(&prep, &bn, false).f;
            if halvings > 20 {
                failed = true;
                break;
            }
        }
        if failed {
            break;
        }
        b = bn;
        ll += 1;
        iterations = ll;
    }
    let loglik_null = -evaluate(&prep, &vec![0.0; p], false).f;
    let hinv = inverse(&ev.hess, p)?;
    let u = score_terms(&prep, &b, &ev);
    let var = sandwich(&hinv, &u, p);
    let center_lp: f64 = prep.center.iter().zip(&b).map(|(c, b)| c * b).sum();
    let baseline_jumps = prep
        .ev_d
        .iter()
        .zip(&ev.s0)
        .map(|(d, s0)| d / s0 * (-center_lp).exp())
        .collect();
    Ok(FineGray {
        cause: opts.cause,
        names: design.names.clone(),
        coef: b,
        var,
        information: ev.hess.clone(),
        score: ev.grad.iter().map(|g| -g).collect(),
        loglik: -ev.f,
        loglik_null,
        converged,
        iterations,
        n: prep.n,
        n_events: prep.st.iter().filter(|&&s| s == 1).count(),
        n_competing: prep.st.iter().filter(|&&s| s == 2).count(),
        n_censored: prep.st.iter().filter(|&&s| s == 0).count(),
        event_times: prep.ev_time.clone(),
        baseline_jumps,
        level: opts.level,
    })
}

/// H^-1 (sum_i u_i u_i') H^-1.
fn sandwich(hinv: &[f64], u: &[f64], p: usize) -> Vec<f64> {
    let mut v2 = vec![0.0; p * p];
    for ui in u.chunks_exact(p) {
        for a in 0..p {
            for c in 0..=a {
                v2[a * p + c] += ui[a] * ui[c];
            }
        }
    }
    for a in 0..p {
        for c in 0..a {
            v2[c * p + a] = v2[a * p + c];
        }
    }
    let mut tmp = vec![0.0; p * p];
    for a in 0..p {
        for c in 0..p {
            tmp[a * p + c] = (0..p).map(|k| hinv[a * p + k] * v2[k * p + c]).sum();
        }
    }
    let mut out = vec![0.0; p * p];
    for a in 0..p {
        for c in 0..p {
            out[a * p + c] = (0..p).map(|k| tmp[a * p + k] * hinv[k * p + c]).sum();
        }
    }
    out
}

impl FineGray {
    /// The level of the limits.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// Standard errors sqrt(diag(var)).
    pub fn se(&self) -> Vec<f64> {
        let p = self.coef.len();
        (0..p).map(|j| self.var[j * p + j].sqrt()).collect()
    }

    /// The coefficient table: coef, subdistribution hazard ratio, se, z, Wald p, HR limits.
    pub fn coefficients(&self) -> Vec<FineGrayCoef> {
        let z = z_for_level(self.level);
        self.names
            .iter()
            .zip(&self.coef)
            .zip(self.se())
            .map(|((name, &coef), se)| FineGrayCoef {
                name: name.clone(),
                coef,
                shr: coef.exp(),
                se,
                z: coef / se,
                p: two_sided_p(coef / se),
                lower: (coef - z * se).exp(),
                upper: (coef + z * se).exp(),
            })
            .collect()
    }

    fn lp(&self, x: &[f64]) -> Result<f64, CompetingError> {
        if x.len() != self.coef.len() {
            return Err(CompetingError::WrongLength {
                what: "covariate vector",
                got: x.len(),
                expected: self.coef.len(),
            });
        }
        if let Some(c) = x.iter().position(|v| !v.is_finite()) {
            return Err(CompetingError::NonFiniteCovariate {
                index: 0,
                column: c,
            });
        }
        Ok(x.iter().zip(&self.coef).map(|(x, b)| x * b).sum())
    }

    /// The predicted cumulative incidence 1 - exp(-exp(x'b) Lambda0(t)) at each time, as
    /// `predict.crr` read at or before t (0 before the first event time).
    pub fn predict(&self, x: &[f64], times: &[f64]) -> Result<Vec<f64>, CompetingError> {
        let r = self.lp(x)?.exp();
        let mut cum = Vec::with_capacity(self.baseline_jumps.len());
        let mut acc = 0.0;
        for j in &self.baseline_jumps {
            acc += r * j;
            cum.push(acc);
        }
        Ok(times
            .iter()
            .map(|&t| {
                let k = self.event_times.partition_point(|&u| u <= t);
                if k == 0 {
                    0.0
                } else {
                    1.0 - (-cum[k - 1]).exp()
                }
            })
            .collect())
    }

    /// The predicted cumulative incidence with a delta-method standard error and limits on
    /// log(-log(1 - F)) (the log cumulative subdistribution hazard). The variance is the sum of
    /// squared influence terms of log Lambda(t; x): the Breslow-type baseline's martingale and
    /// censoring-weight terms, plus the coefficients' through d log Lambda / d b.
    /// `surv` and `design` must be the data the model was fitted to.
    pub fn predict_with_se(
        &self,
        surv: &CompetingSurv,
        design: &Design,
        x: &[f64],
        times: &[f64],
    ) -> Result<Vec<PredictedCif>, CompetingError> {
        let lp = self.lp(x)?;
        let prep = Prep::new(surv, design, self.cause)?;
        if prep.ev_time != self.event_times {
            return Err(CompetingError::WrongLength {
                what: "event times of the data (not the fitted data)",
                got: prep.ev_time.len(),
                expected: self.event_times.len(),
            });
        }
        let sp = SeParts::new(prep, &self.coef)?;
        let p = sp.prep.p;
        let xc: Vec<f64> = x.iter().zip(&sp.prep.center).map(|(v, c)| v - c).collect();
        let lpc: f64 = xc.iter().zip(&self.coef).map(|(x, b)| x * b).sum();
        let _ = lp;
        let z = z_for_level(self.level);
        let mut out = Vec::with_capacity(times.len());
        for &t in times {
            let kt = sp.prep.ev_time.partition_point(|&v| v <= t);
            if kt == 0 {
                out.push(PredictedCif {
                    time: t,
                    cif: 0.0,
                    se: 0.0,
                    lower: 0.0,
                    upper: 0.0,
                });
                continue;
            }
            let lam0 = sp.a0[kt - 1];
            let g: Vec<f64> = (0..p)
                .map(|j| xc[j] - sp.a1[(kt - 1) * p + j] / lam0)
                .collect();
            let mut var = 0.0;
            sp.baseline_influence(kt, |i, li| {
                let beta: f64 = (0..p).map(|j| g[j] * sp.hu[i * p + j]).sum();
                let inf = li / lam0 + beta;
                var += inf * inf;
            });
            let lam = lpc.exp() * lam0;
            let cif = 1.0 - (-lam).exp();
            let se_log = var.sqrt();
            out.push(PredictedCif {
                time: t,
                cif,
                se: (1.0 - cif) * lam * se_log,
                lower: 1.0 - (-lam * (-z * se_log).exp()).exp(),
                upper: 1.0 - (-lam * (z * se_log).exp()).exp(),
            });
        }
        Ok(out)
    }
    /// Per distinct event time u_k, what the variance of log Lambda_1(u_k; x) needs, so that
    /// [`predict_from_terms`] gives [`FineGray::predict_with_se`]'s numbers without the data:
    /// with IF_i = l_i / Lambda_10 + g' H^-1 u_i and g = (x - center) - m_k, the variance
    /// sum_i IF_i^2 = a_k + 2 g'c_k + g' var g, where a_k = sum_i (l_i / Lambda_10)^2,
    /// c_k = sum_i (l_i / Lambda_10) H^-1 u_i and m_k = sum_{u <= u_k} d E / S0 / Lambda_10(u_k).
    /// O(n) per event time.
    pub fn prediction_terms(
        &self,
        surv: &CompetingSurv,
        design: &Design,
    ) -> Result<PredictionTerms, CompetingError> {
        let prep = Prep::new(surv, design, self.cause)?;
        if prep.ev_time != self.event_times {
            return Err(CompetingError::NotTheFittedData);
        }
        let sp = SeParts::new(prep, &self.coef)?;
        let p = sp.prep.p;
        let nd = sp.prep.ev_time.len();
        let mut out = PredictionTerms {
            center: sp.prep.center.clone(),
            time: sp.prep.ev_time.clone(),
            cumhaz: sp.a0.clone(),
            a: Vec::with_capacity(nd),
            c: Vec::with_capacity(nd),
            m: Vec::with_capacity(nd),
        };
        for kt in 1..=nd {
            let lam0 = sp.a0[kt - 1];
            let mut sq = 0.0;
            let mut cross = vec![0.0; p];
            sp.baseline_influence(kt, |i, li| {
                let l = li / lam0;
                sq += l * l;
                for j in 0..p {
                    cross[j] += l * sp.hu[i * p + j];
                }
            });
            out.a.push(sq);
            out.c.push(cross);
            out.m
                .push((0..p).map(|j| sp.a1[(kt - 1) * p + j] / lam0).collect());
        }
        Ok(out)
    }
}

/// What a prediction's standard error needs from the data the model was fitted to: the
/// coefficients' influence H^-1 u_i per sorted row, the risk scores, and prefix sums over the
/// distinct event times (d/S0, d E/S0, d/S0^2, d G/S0^2).
struct SeParts {
    prep: Prep,
    ev: Eval,
    hu: Vec<f64>,
    e: Vec<f64>,
    a0: Vec<f64>,
    a1: Vec<f64>,
    b0: Vec<f64>,
    gb0: Vec<f64>,
}

impl SeParts {
    fn new(prep: Prep, b: &[f64]) -> Result<SeParts, CompetingError> {
        let p = prep.p;
        let n = prep.n;
        let ev = evaluate(&prep, b, true);
        let hinv = inverse(&ev.hess, p)?;
        let u = score_terms(&prep, b, &ev);
        let mut hu = vec![0.0; n * p];
        for i in 0..n {
            for a in 0..p {
                hu[i * p + a] = (0..p).map(|c| hinv[a * p + c] * u[i * p + c]).sum();
            }
        }
        let e = prep.risk(b);
        let nd = prep.ev_time.len();
        let mut a0 = vec![0.0; nd];
        let mut a1 = vec![0.0; nd * p];
        let mut b0 = vec![0.0; nd];
        let mut gb0 = vec![0.0; nd];
        for k in 0..nd {
            let w = prep.ev_d[k] / ev.s0[k];
            let prev = |v: &[f64], i: usize| if k > 0 { v[i - 1] } else { 0.0 };
            a0[k] = prev(&a0, k) + w;
            b0[k] = prev(&b0, k) + w / ev.s0[k];
            gb0[k] = prev(&gb0, k) + w * prep.ev_g[k] / ev.s0[k];
            for j in 0..p {
                a1[k * p + j] =
                    w * ev.mean[k * p + j] + if k > 0 { a1[(k - 1) * p + j] } else { 0.0 };
            }
        }
        Ok(SeParts {
            prep,
            ev,
            hu,
            e,
            a0,
            a1,
            b0,
            gb0,
        })
    }

    /// Each sorted row's influence l_i on the baseline cumulative subdistribution hazard at the
    /// `kt`-th distinct event time (its martingale and censoring-weight terms), passed to `f(i, l_i)`
    /// in one scan over time.
    fn baseline_influence(&self, kt: usize, mut f: impl FnMut(usize, f64)) {
        let (prep, e, b0, gb0) = (&self.prep, &self.e, &self.b0, &self.gb0);
        let n = prep.n;
        let mut r0 = 0.0;
        let mut cum = 0.0;
        let mut q = 0.0;
        let mut s = 0;
        while s < n {
            let mut end = s;
            let mut dc = 0usize;
            while end < n && prep.t[end] == prep.t[s] {
                dc += (prep.st[end] == 0) as usize;
                end += 1;
            }
            let y = (n - s) as f64;
            if dc > 0 {
                let kl = prep.ev_time.partition_point(|&v| v < prep.t[s]);
                q = if kl < kt {
                    r0 * (gb0[kt - 1] - if kl > 0 { gb0[kl - 1] } else { 0.0 })
                } else {
                    0.0
                };
                cum += dc as f64 * q / (y * y);
            }
            for i in s..end {
                let k = prep.kidx[i];
                let kmin = k.min(kt);
                let mut li = -cum;
                if kmin > 0 {
                    li -= e[i] * b0[kmin - 1];
                }
                match prep.st[i] {
                    0 => li += q / y,
                    1 => {
                        if k <= kt {
                            li += 1.0 / self.ev.s0[k - 1];
                        }
                    }
                    _ => {
                        if kt > k {
                            let lo = if k > 0 { gb0[k - 1] } else { 0.0 };
                            li -= e[i] / prep.gw[i] * (gb0[kt - 1] - lo);
                        }
                    }
                }
                f(i, li);
            }
            for i in s..end {
                if prep.st[i] == 2 {
                    r0 += e[i] / prep.gw[i];
                }
            }
            s = end;
        }
    }
}

/// What a Fine-Gray prediction with a standard error needs, per distinct event time of the cause
/// (see [`FineGray::prediction_terms`]); the baseline is for covariates at `center`.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionTerms {
    pub center: Vec<f64>,
    pub time: Vec<f64>,
    /// Lambda_10(u_k) for covariates at `center`.
    pub cumhaz: Vec<f64>,
    pub a: Vec<f64>,
    pub c: Vec<Vec<f64>>,
    pub m: Vec<Vec<f64>>,
}

/// The predicted cumulative incidence with its delta-method standard error and limits on
/// log(-log(1 - F)) from the stored [`PredictionTerms`]: Var log Lambda(t; x) =
/// a_k + 2 g'c_k + g' var g, g = (x - center) - m_k, u_k the last event time <= t. Equal to
/// [`FineGray::predict_with_se`] on the data the terms came from.
pub fn predict_from_terms(
    coef: &[f64],
    var: &[f64],
    terms: &PredictionTerms,
    level: f64,
    x: &[f64],
    times: &[f64],
) -> Vec<PredictedCif> {
    let p = coef.len();
    let xc: Vec<f64> = x.iter().zip(&terms.center).map(|(v, c)| v - c).collect();
    let lpc: f64 = xc.iter().zip(coef).map(|(x, b)| x * b).sum();
    let z = z_for_level(level);
    times
        .iter()
        .map(|&t| {
            let kt = terms.time.partition_point(|&v| v <= t);
            if kt == 0 {
                return PredictedCif {
                    time: t,
                    cif: 0.0,
                    se: 0.0,
                    lower: 0.0,
                    upper: 0.0,
                };
            }
            let k = kt - 1;
            let g: Vec<f64> = (0..p).map(|j| xc[j] - terms.m[k][j]).collect();
            let mut v = terms.a[k];
            for j in 0..p {
                v += 2.0 * g[j] * terms.c[k][j];
                for l in 0..p {
                    v += g[j] * var[j * p + l] * g[l];
                }
            }
            let se_log = v.max(0.0).sqrt();
            let lam = lpc.exp() * terms.cumhaz[k];
            let cif = 1.0 - (-lam).exp();
            PredictedCif {
                time: t,
                cif,
                se: (1.0 - cif) * lam * se_log,
                lower: 1.0 - (-lam * (-z * se_log).exp()).exp(),
                upper: 1.0 - (-lam * (z * se_log).exp()).exp(),
            }
        })
        .collect()
}
