//! Residuals of a fitted Cox model, as R's `residuals.coxph` computes them: martingale, deviance,
//! score and dfbeta per row, Schoenfeld and scaled Schoenfeld per event.
//!
//! The numerical core: the design, outcome, weights and strata the model was fitted on plus the
//! [`CoxFit`], [`CoxResiduals`] out, no I/O. The rows are sorted once (O(n log n)) by stratum, time
//! and events first, as `residuals.coxph` sorts them; one backward pass then gives each tied set's
//! risk-set sums and hazard increments (Breslow or Efron, as the fit), and one forward pass the
//! cumulated increments, from which every row's residuals follow in O(p). Nothing is O(n^2).
//!
//! See `docs/methods-diagnostics.md` for the formulas.

use crate::stats::cox::{CoxError, CoxFit, Design, FitExtras, Ties};
use crate::stats::surv::Surv;
use rayon::prelude::*;
use thiserror::Error;

/// Why residuals could not be computed. Row indices are 0-based positions in the input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResidualError {
    /// The design, outcome, weights or strata are inconsistent or invalid (as for a fit).
    #[error(transparent)]
    Input(#[from] CoxError),
    #[error("the fit has {fit} coefficients but the design has {design} terms")]
    FitMismatch { fit: usize, design: usize },
    #[error("the variance matrix of the fit is not {p} x {p}")]
    VarianceShape { p: usize },
    #[error("coefficient {index} of the fit is not finite")]
    NonFiniteCoefficient { index: usize },
    #[error("the risk score of row {index} is not finite (linear predictor {lp})")]
    NonFiniteRisk { index: usize, lp: f64 },
}

/// The per-row and per-event residuals of a Cox model.
///
/// Matrices are row-major with `p` columns, one per term of the fit, in its order.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxResiduals {
    /// Number of terms (columns of the matrices).
    pub p: usize,
    /// Martingale residual per row, input order: status - exp(eta) * H0(t), not multiplied by the
    /// case weight (R's `type = "martingale"`).
    pub martingale: Vec<f64>,
    /// Deviance residual per row: sign(m) sqrt(-2 (m + status log(status - m))).
    pub deviance: Vec<f64>,
    /// Score residuals, n x p, input order, not multiplied by the case weight (`type = "score"`).
    pub score: Vec<f64>,
    /// dfbeta, n x p, input order: case weight x (score residual %*% var) (`type = "dfbeta"`).
    pub dfbeta: Vec<f64>,
    /// The events in R's order (stratum, then time, then input order): their input rows.
    pub event_rows: Vec<usize>,
    /// The events' times.
    pub event_time: Vec<f64>,
    /// The events' strata (0 without strata).
    pub event_stratum: Vec<usize>,
    /// Schoenfeld residuals, events x p: covariates minus the risk-set mean at the event time
    /// (Efron's mean of means for tied events under Efron ties); unweighted (`type = "schoenfeld"`).
    pub schoenfeld: Vec<f64>,
    /// Scaled Schoenfeld residuals, events x p: schoenfeld %*% var * events + coef
    /// (`type = "scaledsch"`; `events` is the number of event rows).
    pub scaled: Vec<f64>,
}

impl CoxResiduals {
    /// Row `i` of the score residuals.
    pub fn score_row(&self, i: usize) -> &[f64] {
        &self.score[i * self.p..(i + 1) * self.p]
    }

    /// Row `i` of dfbeta.
    pub fn dfbeta_row(&self, i: usize) -> &[f64] {
        &self.dfbeta[i * self.p..(i + 1) * self.p]
    }

    /// Schoenfeld residuals of the `k`-th event (in R's order).
    pub fn schoenfeld_row(&self, k: usize) -> &[f64] {
        &self.schoenfeld[k * self.p..(k + 1) * self.p]
    }

    /// Scaled Schoenfeld residuals of the `k`-th event.
    pub fn scaled_row(&self, k: usize) -> &[f64] {
        &self.scaled[k * self.p..(k + 1) * self.p]
    }
}

/// A tied set: rows `start..end` of the sorted layout share one stratum and time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TiedSet {
    pub start: usize,
    pub end: usize,
    pub stratum: usize,
    pub time: f64,
    pub n_dead: usize,
    pub dead_weight: f64,
    /// The first (earliest) set of its stratum. Events come first within a set.
    pub first_of_stratum: bool,
}

/// The rows sorted as `residuals.coxph` sorts them (stratum, time increasing, events before
/// censored rows, then input order), covariates centred at their column means, with the risk
/// scores exp(eta) at the fit's coefficients. Centring leaves every residual unchanged; it only
/// keeps sums of large covariates accurate.
#[derive(Debug, Clone)]
pub(crate) struct SortedRows {
    pub p: usize,
    /// Sorted position -> input row.
    pub order: Vec<usize>,
    /// Centred covariates, sorted, row-major.
    pub x: Vec<f64>,
    pub w: Vec<f64>,
    /// exp(eta), unweighted.
    pub r: Vec<f64>,
    pub dead: Vec<bool>,
    pub sets: Vec<TiedSet>,
    pub n_strata: usize,
}

/// Checks the inputs as a fit does, and the fit against the design.
pub(crate) fn validate(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    fit: &CoxFit,
) -> Result<(), ResidualError> {
    let (n, p) = (design.n, design.p);
    if design.x.len() != n * p {
        return Err(CoxError::DesignShape {
            x: design.x.len(),
            n,
            p,
        }
        .into());
    }
    if surv.len() != n {
        return Err(CoxError::LengthMismatch {
            what: "the outcome",
            got: surv.len(),
            n,
        }
        .into());
    }
    if let Some(w) = extras.weights {
        if w.len() != n {
            return Err(CoxError::LengthMismatch {
                what: "weights",
                got: w.len(),
                n,
            }
            .into());
        }
        if let Some((index, value)) = crate::stats::surv::invalid_weight(w) {
            return Err(CoxError::InvalidWeight { index, value }.into());
        }
    }
    if let Some(s) = extras.strata {
        if s.len() != n {
            return Err(CoxError::LengthMismatch {
                what: "strata",
                got: s.len(),
                n,
            }
            .into());
        }
        if let Some((index, &code)) = s.iter().enumerate().find(|(_, &c)| c >= n) {
            return Err(CoxError::StratumCode { index, code }.into());
        }
    }
    if let Some(pos) = design.x.iter().position(|v| !v.is_finite()) {
        return Err(CoxError::NonFiniteCovariate {
            term: design.names.get(pos % p).cloned().unwrap_or_default(),
            index: pos / p,
        }
        .into());
    }
    if fit.coef.len() != p {
        return Err(ResidualError::FitMismatch {
            fit: fit.coef.len(),
            design: p,
        });
    }
    if fit.var.len() != p || fit.var.iter().any(|r| r.len() != p) {
        return Err(ResidualError::VarianceShape { p });
    }
    if let Some(index) = fit.coef.iter().position(|b| !b.is_finite()) {
        return Err(ResidualError::NonFiniteCoefficient { index });
    }
    if p == 0 {
        return Err(CoxError::NoTerms.into());
    }
    Ok(())
}

impl SortedRows {
    pub(crate) fn new(
        design: &Design,
        surv: &Surv,
        extras: FitExtras<'_>,
        fit: &CoxFit,
    ) -> Result<SortedRows, ResidualError> {
        validate(design, surv, extras, fit)?;
        let (n, p) = (design.n, design.p);
        let time = surv.time();
        let event = surv.event();
        let stratum_of = |i: usize| extras.strata.map_or(0, |s| s[i]);
        let mut order: Vec<usize> = (0..n).collect();
        order.par_sort_unstable_by(|&a, &b| {
            stratum_of(a)
                .cmp(&stratum_of(b))
                .then(time[a].total_cmp(&time[b]))
                .then(event[b].cmp(&event[a]))
                .then(a.cmp(&b))
        });
        let mut mean = vec![0.0; p];
        for row in design.x.chunks_exact(p) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut x = vec![0.0; n * p];
        let mut w = vec![0.0; n];
        let mut r = vec![0.0; n];
        let mut dead = vec![false; n];
        for (k, &i) in order.iter().enumerate() {
            let xr = &mut x[k * p..(k + 1) * p];
            let mut eta = 0.0;
            for (((d, v), m), b) in xr.iter_mut().zip(design.row(i)).zip(&mean).zip(&fit.coef) {
                *d = v - m;
                eta += *d * b;
            }
            let risk = eta.exp();
            if !risk.is_finite() {
                return Err(ResidualError::NonFiniteRisk { index: i, lp: eta });
            }
            r[k] = risk;
            w[k] = extras.weights.map_or(1.0, |w| w[i]);
            dead[k] = event[i];
        }
        let mut sets: Vec<TiedSet> = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            let (s, t) = (stratum_of(i), time[i]);
            match sets.last_mut() {
                Some(g) if g.stratum == s && g.time == t => g.end = k + 1,
                last => {
                    let first_of_stratum = last.is_none_or(|g| g.stratum != s);
                    sets.push(TiedSet {
                        start: k,
                        end: k + 1,
                        stratum: s,
                        time: t,
                        n_dead: 0,
                        dead_weight: 0.0,
                        first_of_stratum,
                    });
                }
            }
            if dead[k] {
                let g = sets.last_mut().expect("a set");
                g.n_dead += 1;
                g.dead_weight += w[k];
            }
        }
        let n_strata = extras
            .strata
            .map_or(1, |s| s.iter().copied().max().map_or(1, |m| m + 1));
        Ok(SortedRows {
            p,
            order,
            x,
            w,
            r,
            dead,
            sets,
            n_strata,
        })
    }

    pub(crate) fn row(&self, k: usize) -> &[f64] {
        &self.x[k * self.p..(k + 1) * self.p]
    }

    /// Is set `g` the last (latest) of its stratum?
    pub(crate) fn last_of_stratum(&self, g: usize) -> bool {
        self.sets
            .get(g + 1)
            .is_none_or(|next| next.first_of_stratum)
    }
}

/// Per tied set: the hazard increment seen by rows that do not die at it (`h`) and by those that
/// do (`hd`, Efron's down-weighted share), the matching sums of increment x risk-set mean (`m`,
/// `md`, p each) and the mean the Schoenfeld residuals subtract (`mbar`, p).
struct Increments {
    h: Vec<f64>,
    hd: Vec<f64>,
    m: Vec<f64>,
    md: Vec<f64>,
    mbar: Vec<f64>,
}

fn increments(rows: &SortedRows, ties: Ties) -> Increments {
    let p = rows.p;
    let ng = rows.sets.len();
    let mut inc = Increments {
        h: vec![0.0; ng],
        hd: vec![0.0; ng],
        m: vec![0.0; ng * p],
        md: vec![0.0; ng * p],
        mbar: vec![0.0; ng * p],
    };
    let mut denom = 0.0;
    let mut a = vec![0.0; p];
    let mut a2 = vec![0.0; p];
    let mut mean = vec![0.0; p];
    for gi in (0..ng).rev() {
        let g = rows.sets[gi];
        if rows.last_of_stratum(gi) {
            denom = 0.0;
            a.iter_mut().for_each(|v| *v = 0.0);
        }
        let mut e = 0.0;
        a2.iter_mut().for_each(|v| *v = 0.0);
        for k in g.start..g.end {
            let wr = rows.w[k] * rows.r[k];
            denom += wr;
            let xr = rows.row(k);
            for (av, xv) in a.iter_mut().zip(xr) {
                *av += wr * xv;
            }
            if rows.dead[k] {
                e += wr;
                for (av, xv) in a2.iter_mut().zip(xr) {
                    *av += wr * xv;
                }
            }
        }
        if g.n_dead == 0 {
            continue;
        }
        let m = &mut inc.m[gi * p..(gi + 1) * p];
        let md = &mut inc.md[gi * p..(gi + 1) * p];
        let mbar = &mut inc.mbar[gi * p..(gi + 1) * p];
        let d = g.n_dead;
        if ties == Ties::Breslow || d == 1 {
            let h = g.dead_weight / denom;
            inc.h[gi] = h;
            inc.hd[gi] = h;
            for j in 0..p {
                let mj = a[j] / denom;
                mbar[j] = mj;
                m[j] = h * mj;
                md[j] = h * mj;
            }
        } else {
            let wtave = g.dead_weight / d as f64;
            for dd in 0..d {
                let f = dd as f64 / d as f64;
                let den = denom - f * e;
                let hh = wtave / den;
                inc.h[gi] += hh;
                inc.hd[gi] += hh * (1.0 - f);
                for j in 0..p {
                    mean[j] = (a[j] - f * a2[j]) / den;
                    m[j] += hh * mean[j];
                    md[j] += hh * (1.0 - f) * mean[j];
                    mbar[j] += mean[j] / d as f64;
                }
            }
        }
    }
    inc
}

/// All residuals of `fit`, which must have been fitted on these `design`, `surv` and `extras`
/// (weights and strata). O(n log n + n p^2).
pub fn residuals(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    fit: &CoxFit,
) -> Result<CoxResiduals, ResidualError> {
    let rows = SortedRows::new(design, surv, extras, fit)?;
    let p = rows.p;
    let n = rows.order.len();
    let inc = increments(&rows, fit.ties);
    let mut martingale = vec![0.0; n];
    let mut score = vec![0.0; n * p];
    let n_events = rows.dead.iter().filter(|&&d| d).count();
    let mut event_rows = Vec::with_capacity(n_events);
    let mut event_time = Vec::with_capacity(n_events);
    let mut event_stratum = Vec::with_capacity(n_events);
    let mut schoenfeld = Vec::with_capacity(n_events * p);
    let mut cum_h = 0.0;
    let mut cum_m = vec![0.0; p];
    let mut tot_m = vec![0.0; p];
    for (gi, g) in rows.sets.iter().enumerate() {
        if g.first_of_stratum {
            cum_h = 0.0;
            cum_m.iter_mut().for_each(|v| *v = 0.0);
        }
        let mg = &inc.m[gi * p..(gi + 1) * p];
        let mdg = &inc.md[gi * p..(gi + 1) * p];
        let mbar = &inc.mbar[gi * p..(gi + 1) * p];
        for k in g.start..g.end {
            let i = rows.order[k];
            let xr = rows.row(k);
            let rk = rows.r[k];
            let out = &mut score[i * p..(i + 1) * p];
            if rows.dead[k] {
                let h = cum_h + inc.hd[gi];
                for j in 0..p {
                    tot_m[j] = cum_m[j] + mdg[j];
                }
                martingale[i] = 1.0 - rk * h;
                for j in 0..p {
                    let sch = xr[j] - mbar[j];
                    out[j] = sch - rk * (xr[j] * h - tot_m[j]);
                    schoenfeld.push(sch);
                }
                event_rows.push(i);
                event_time.push(g.time);
                event_stratum.push(g.stratum);
            } else {
                let h = cum_h + inc.h[gi];
                martingale[i] = -rk * h;
                for j in 0..p {
                    out[j] = -rk * (xr[j] * h - (cum_m[j] + mg[j]));
                }
            }
        }
        cum_h += inc.h[gi];
        for (c, v) in cum_m.iter_mut().zip(mg) {
            *c += v;
        }
    }
    let event = surv.event();
    let deviance: Vec<f64> = martingale
        .iter()
        .zip(event)
        .map(|(&m, &e)| {
            let d = if e { 1.0 } else { 0.0 };
            let inner = if e { m + (d - m).ln() } else { m };
            m.signum() * (-2.0 * inner).max(0.0).sqrt()
        })
        .collect();
    let var = &fit.var;
    let mut dfbeta = vec![0.0; n * p];
    dfbeta
        .par_chunks_mut(p)
        .zip(score.par_chunks(p))
        .enumerate()
        .for_each(|(i, (db, sc))| {
            let wi = extras.weights.map_or(1.0, |w| w[i]);
            for (j, d) in db.iter_mut().enumerate() {
                *d = wi * sc.iter().zip(var).map(|(s, vr)| s * vr[j]).sum::<f64>();
            }
        });
    let ev = n_events as f64;
    let scaled: Vec<f64> = schoenfeld
        .chunks_exact(p)
        .flat_map(|row| {
            (0..p).map(move |j| {
                ev * row.iter().zip(var).map(|(s, vr)| s * vr[j]).sum::<f64>() + fit.coef[j]
            })
        })
        .collect();
    Ok(CoxResiduals {
        p,
        martingale,
        deviance,
        score,
        dfbeta,
        event_rows,
        event_time,
        event_stratum,
        schoenfeld,
        scaled,
    })
}
