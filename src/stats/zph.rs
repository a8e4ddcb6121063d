//! The test of proportional hazards of R's `survival::cox.zph` (survival 3.x): per term and
//! globally, a score test for adding g(t) x each covariate to the fitted model, where g is a
//! transform of time ("km" by default, as R), and the scaled Schoenfeld residuals it plots.
//!
//! The numerical core: the design, outcome, weights and strata the model was fitted on plus the
//! [`CoxFit`], [`Zph`] out, no I/O. One O(n log n) sort, then one backward pass over the tied sets
//! accumulates the score U_g = sum g(t) (x - xbar(t)) and the 2p x 2p information with blocks
//! sum V(t), sum g(t) V(t), sum g(t)^2 V(t) (Breslow or Efron, as the fit): O(n p^2).
//!
//! See `docs/methods-diagnostics.md` for the formulas and references.

use crate::stats::cox::{ChiSqTest, CoxFit, Design, FitExtras, Ties};
use crate::stats::linalg::ScaledLdl;
use crate::stats::residuals::{ResidualError, SortedRows};
use crate::stats::surv::Surv;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The function of time the covariates are multiplied by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ZphTransform {
    /// 1 - S(t-), S the Kaplan-Meier estimate of the pooled data (all strata together, without
    /// case weights), left-continuous: R's default `transform = "km"`.
    #[default]
    Km,
    /// The rank of the time among all rows' times (ties get their mean rank): `"rank"`.
    Rank,
    /// The time itself: `"identity"`.
    Identity,
    /// The logarithm of the time: `"log"` (event times must be positive).
    Log,
}

impl fmt::Display for ZphTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ZphTransform::Km => "km",
            ZphTransform::Rank => "rank",
            ZphTransform::Identity => "identity",
            ZphTransform::Log => "log",
        })
    }
}

impl FromStr for ZphTransform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "km" => Ok(ZphTransform::Km),
            "rank" => Ok(ZphTransform::Rank),
            "identity" => Ok(ZphTransform::Identity),
            "log" => Ok(ZphTransform::Log),
            other => Err(format!(
                "unknown transform '{other}': use km, rank, identity or log"
            )),
        }
    }
}

/// A term of the test: one or more columns of the design tested together (a factor's dummies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphTerm {
    pub name: String,
    /// 0-based column indices into the design.
    pub columns: Vec<usize>,
}

impl ZphTerm {
    /// One term per column, named after it (R's `terms = FALSE`).
    pub fn per_column(names: &[String]) -> Vec<ZphTerm> {
        names
            .iter()
            .enumerate()
            .map(|(j, n)| ZphTerm {
                name: n.clone(),
                columns: vec![j],
            })
            .collect()
    }

    /// One term per covariate given as (name, number of design columns), in design order: a
    /// categorical covariate's dummies together (R's default `terms = TRUE`).
    pub fn grouped<'a>(covariates: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<ZphTerm> {
        let mut next = 0;
        covariates
            .into_iter()
            .map(|(name, k)| {
                let t = ZphTerm {
                    name: name.to_string(),
                    columns: (next..next + k).collect(),
                };
                next += k;
                t
            })
            .collect()
    }
}

/// Options of the test, with R's defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZphOptions {
    /// Transform of time. Default [`ZphTransform::Km`], as `cox.zph`.
    pub transform: ZphTransform,
    /// The terms to test. Default `None`: one term per design column (the same as R's default
    /// when no covariate has more than one column; use [`ZphTerm::grouped`] for factors).
    pub terms: Option<Vec<ZphTerm>>,
}

/// Why the test could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ZphError {
    #[error(transparent)]
    Residuals(#[from] ResidualError),
    #[error("term '{term}' has no columns")]
    EmptyTerm { term: String },
    #[error("term '{term}' names column {column}, but the design has {p}")]
    ColumnOutOfRange {
        term: String,
        column: usize,
        p: usize,
    },
    #[error("the log transform needs positive event times; row {index} has an event at {time}")]
    NonPositiveTime { index: usize, time: f64 },
    #[error("the information matrix of the test is singular (term '{term}')")]
    Singular { term: String },
    #[error("the transformed event times are not finite")]
    NonFiniteTransform,
}

/// One row of the test table: chi-square, degrees of freedom, p-value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphTest {
    /// The term's name, or "GLOBAL".
    pub term: String,
    pub chisq: f64,
    pub df: usize,
    pub p: f64,
}

/// The result of `cox.zph`: the table and what `plot.cox.zph` draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zph {
    pub transform: ZphTransform,
    /// One test per term, in the order of the terms.
    pub terms: Vec<ZphTest>,
    /// The global test of all columns together (df = p).
    pub global: ZphTest,
    /// Per event, sorted by stratum then time (R's order): the transformed time g(t), uncentred.
    pub x: Vec<f64>,
    /// The events' times.
    pub time: Vec<f64>,
    /// The events' strata.
    pub stratum: Vec<usize>,
    /// Scaled Schoenfeld residuals, events x terms row-major, as `cox.zph`'s `y`: within each
    /// stratum the Schoenfeld residuals times the inverse of the stratum-averaged information,
    /// plus the coefficient (plus 1 for a multi-column term, whose residual is that of its linear
    /// predictor). NaN for a term that is constant within the event's stratum.
    pub y: Vec<f64>,
    /// terms x terms, row-major: the inverse of the averaged information (`cox.zph`'s `var`).
    pub var: Vec<f64>,
}

/// g(t) for every row, in input order.
fn transformed_times(surv: &Surv, transform: ZphTransform) -> Result<Vec<f64>, ZphError> {
    let time = surv.time();
    let event = surv.event();
    let n = time.len();
    match transform {
        ZphTransform::Identity => Ok(time.to_vec()),
        ZphTransform::Log => {
            if let Some(i) = (0..n).find(|&i| event[i] && time[i] <= 0.0) {
                return Err(ZphError::NonPositiveTime {
                    index: i,
                    time: time[i],
                });
            }
            Ok(time.iter().map(|t| t.ln()).collect())
        }
        ZphTransform::Rank | ZphTransform::Km => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_unstable_by(|&a, &b| time[a].total_cmp(&time[b]));
            let mut out = vec![0.0; n];
            let mut surv_before = 1.0;
            let mut start = 0;
            while start < n {
                let t = time[order[start]];
                let mut end = start;
                let mut deaths = 0usize;
                while end < n && time[order[end]] == t {
                    deaths += event[order[end]] as usize;
                    end += 1;
                }
                let value = match transform {
                    // ranks start..end-1 (0-based): mean rank (start + 1 + end) / 2
                    ZphTransform::Rank => (start + 1 + end) as f64 / 2.0,
                    _ => 1.0 - surv_before,
                };
                for &i in &order[start..end] {
                    out[i] = value;
                }
                let at_risk = (n - start) as f64;
                surv_before *= 1.0 - deaths as f64 / at_risk;
                start = end;
            }
            Ok(out)
        }
    }
}

/// Solves the symmetric positive definite system `a x = b` (a row-major k x k); `None` when `a`
/// is singular.
fn solve_spd(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let s: Vec<f64> = (0..k)
        .map(|i| {
            let d = a[i * k + i];
            if d > 0.0 {
                1.0 / d.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let ldl = ScaledLdl::new(a, &s, f64::EPSILON.powf(0.75));
    if ldl.rank() < k {
        return None;
    }
    Some(ldl.solve(b))
}

/// The inverse of a symmetric positive definite matrix; `None` when singular.
fn inverse_spd(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let s: Vec<f64> = (0..k)
        .map(|i| {
            let d = a[i * k + i];
            if d > 0.0 {
                1.0 / d.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let ldl = ScaledLdl::new(a, &s, f64::EPSILON.powf(0.75));
    if ldl.rank() < k {
        return None;
    }
    Some(ldl.inverse())
}

/// The proportional-hazards test of `fit`, which must have been fitted on these `design`,
/// `surv` and `extras`, as `survival::cox.zph(fit, transform, terms)`.
pub fn zph(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    fit: &CoxFit,
    opts: &ZphOptions,
) -> Result<Zph, ZphError> {
    let rows = SortedRows::new(design, surv, extras, fit)?;
    let p = rows.p;
    let terms = opts
        .terms
        .clone()
        .unwrap_or_else(|| ZphTerm::per_column(&design.names));
    for t in &terms {
        if t.columns.is_empty() {
            return Err(ZphError::EmptyTerm {
                term: t.name.clone(),
            });
        }
        if let Some(&column) = t.columns.iter().find(|&&c| c >= p) {
            return Err(ZphError::ColumnOutOfRange {
                term: t.name.clone(),
                column,
                p,
            });
        }
    }
    // g(t), centred at its mean over the event rows
    let tt = transformed_times(surv, opts.transform)?;
    let event = surv.event();
    let n_events = event.iter().filter(|&&e| e).count();
    let gmean = tt
        .iter()
        .zip(event)
        .filter(|(_, &e)| e)
        .map(|(v, _)| v)
        .sum::<f64>()
        / n_events as f64;
    if !gmean.is_finite() {
        return Err(ZphError::NonFiniteTransform);
    }

    let q = 2 * p;
    let mut u = vec![0.0; p];
    // the full 2p x 2p information, upper blocks accumulated then mirrored
    let mut imat = vec![0.0; q * q];
    let mut denom = 0.0;
    let mut a = vec![0.0; p];
    let mut c = vec![0.0; p * p];
    let mut a2 = vec![0.0; p];
    let mut c2 = vec![0.0; p * p];
    let mut v = vec![0.0; p * p];
    let mut mean = vec![0.0; p];
    let ng = rows.sets.len();
    // per event set, the Schoenfeld mean (p each)
    let mut mbar = vec![0.0; ng * p];
    for gi in (0..ng).rev() {
        let g = rows.sets[gi];
        if rows.last_of_stratum(gi) {
            denom = 0.0;
            a.iter_mut().for_each(|x| *x = 0.0);
            c.iter_mut().for_each(|x| *x = 0.0);
        }
        let mut e = 0.0;
        let mut dead_x = vec![0.0; p];
        a2.iter_mut().for_each(|x| *x = 0.0);
        c2.iter_mut().for_each(|x| *x = 0.0);
        for k in g.start..g.end {
            let wr = rows.w[k] * rows.r[k];
            let xr = rows.row(k);
            denom += wr;
            for i in 0..p {
                let wx = wr * xr[i];
                a[i] += wx;
                for j in i..p {
                    c[i * p + j] += wx * xr[j];
                }
            }
            if rows.dead[k] {
                e += wr;
                for i in 0..p {
                    let wx = wr * xr[i];
                    a2[i] += wx;
                    dead_x[i] += rows.w[k] * xr[i];
                    for j in i..p {
                        c2[i * p + j] += wx * xr[j];
                    }
                }
            }
        }
        if g.n_dead == 0 {
            continue;
        }
        let gt = tt[rows.order[g.start]] - gmean;
        let d = g.n_dead;
        let steps = if fit.ties == Ties::Efron { d } else { 1 };
        let omega = g.dead_weight / steps as f64;
        v.iter_mut().for_each(|x| *x = 0.0);
        let mut sum_mean = vec![0.0; p];
        let mb = &mut mbar[gi * p..(gi + 1) * p];
        for dd in 0..steps {
            let f = dd as f64 / d as f64;
            let den = denom - f * e;
            for i in 0..p {
                mean[i] = (a[i] - f * a2[i]) / den;
                sum_mean[i] += omega * mean[i];
                mb[i] += mean[i] / steps as f64;
            }
            for i in 0..p {
                for j in i..p {
                    let s2 = (c[i * p + j] - f * c2[i * p + j]) / den;
                    v[i * p + j] += omega * (s2 - mean[i] * mean[j]);
                }
            }
        }
        for i in 0..p {
            u[i] += gt * (dead_x[i] - sum_mean[i]);
            for j in i..p {
                let vij = v[i * p + j];
                imat[i * q + j] += vij;
                imat[i * q + p + j] += gt * vij;
                imat[(p + i) * q + p + j] += gt * gt * vij;
            }
        }
    }
    // mirror: the three upper blocks, then the lower-left block from the upper-right
    for i in 0..p {
        for j in 0..i {
            imat[i * q + j] = imat[j * q + i];
            imat[i * q + p + j] = imat[j * q + p + i];
            imat[(p + i) * q + p + j] = imat[(p + j) * q + p + i];
        }
    }
    for i in 0..p {
        for j in 0..p {
            imat[(p + i) * q + j] = imat[j * q + p + i];
        }
    }

    // score tests: (0, U_g[cols]) against the information of (beta, gamma[cols])
    let test = |name: &str, cols: &[usize]| -> Result<ZphTest, ZphError> {
        let idx: Vec<usize> = (0..p).chain(cols.iter().map(|&j| p + j)).collect();
        let k = idx.len();
        let sub: Vec<f64> = idx
            .iter()
            .flat_map(|&i| idx.iter().map(move |&j| (i, j)))
            .map(|(i, j)| imat[i * q + j])
            .collect();
        let mut rhs = vec![0.0; k];
        for (r, &j) in rhs[p..].iter_mut().zip(cols) {
            *r = u[j];
        }
        let sol = solve_spd(&sub, &rhs).ok_or_else(|| ZphError::Singular {
            term: name.to_string(),
        })?;
        let chisq: f64 = sol.iter().zip(&rhs).map(|(a, b)| a * b).sum();
        let t = ChiSqTest::new(chisq, cols.len());
        Ok(ZphTest {
            term: name.to_string(),
            chisq,
            df: cols.len(),
            p: t.p,
        })
    };
    let mut table = Vec::with_capacity(terms.len());
    for t in &terms {
        table.push(test(&t.name, &t.columns)?);
    }
    let all: Vec<usize> = (0..p).collect();
    let global = test("GLOBAL", &all)?;

    // the plotted residuals, as cox.zph: events in sorted order
    let mut x = Vec::with_capacity(n_events);
    let mut time = Vec::with_capacity(n_events);
    let mut stratum = Vec::with_capacity(n_events);
    let mut sres = Vec::with_capacity(n_events * p);
    for (gi, g) in rows.sets.iter().enumerate() {
        for k in g.start..g.end {
            if rows.dead[k] {
                let xr = rows.row(k);
                for j in 0..p {
                    sres.push(xr[j] - mbar[gi * p + j]);
                }
                x.push(tt[rows.order[k]]);
                time.push(g.time);
                stratum.push(g.stratum);
            }
        }
    }
    // used[s][j]: events of stratum s when column j varies within it, else 0
    let ns = rows.n_strata;
    let mut used = vec![0usize; ns * p];
    let mut varies = vec![false; ns * p];
    let mut first: Vec<Option<usize>> = vec![None; ns];
    let mut deaths = vec![0usize; ns];
    for g in &rows.sets {
        deaths[g.stratum] += g.n_dead;
        for k in g.start..g.end {
            let f = *first[g.stratum].get_or_insert(k);
            for j in 0..p {
                if rows.x[k * p + j] != rows.x[f * p + j] {
                    varies[g.stratum * p + j] = true;
                }
            }
        }
    }
    for s in 0..ns {
        for j in 0..p {
            if varies[s * p + j] {
                used[s * p + j] = deaths[s];
            }
        }
    }
    for t in terms.iter().filter(|t| t.columns.len() > 1) {
        if t.columns
            .iter()
            .any(|&j| (0..ns).any(|s| used[s * p + j] == 0))
        {
            for s in 0..ns {
                let m = t
                    .columns
                    .iter()
                    .map(|&j| used[s * p + j])
                    .max()
                    .unwrap_or(0);
                for &j in &t.columns {
                    used[s * p + j] = m;
                }
            }
        }
    }
    // vmean = I / wtmat, wtmat[j][l] = sum over strata of min(used[s][j], used[s][l])
    let mut vmean = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            let wt: usize = (0..ns).map(|s| used[s * p + i].min(used[s * p + j])).sum();
            vmean[i * p + j] = imat[i * q + j] / if wt == 0 { 1.0 } else { wt as f64 };
        }
    }
    // collapse multi-column terms onto their linear predictor
    let nt = terms.len();
    let mut tmat = vec![0.0; p * nt];
    for (ti, t) in terms.iter().enumerate() {
        for &j in &t.columns {
            tmat[j * nt + ti] = if t.columns.len() == 1 {
                1.0
            } else {
                fit.coef[j]
            };
        }
    }
    let ne = time.len();
    let mut y = vec![0.0; ne * nt];
    for e in 0..ne {
        for ti in 0..nt {
            y[e * nt + ti] = (0..p).map(|j| sres[e * p + j] * tmat[j * nt + ti]).sum();
        }
    }
    let mut vt = vec![0.0; nt * nt];
    for a in 0..nt {
        for b in 0..nt {
            let mut s = 0.0;
            for i in 0..p {
                for j in 0..p {
                    s += tmat[i * nt + a] * vmean[i * p + j] * tmat[j * nt + b];
                }
            }
            vt[a * nt + b] = s;
        }
    }
    let used_t: Vec<usize> = (0..ns)
        .flat_map(|s| {
            let used = &used;
            terms.iter().map(move |t| used[s * p + t.columns[0]])
        })
        .collect();
    for s in 0..ns {
        let k: Vec<usize> = (0..nt).filter(|&ti| used_t[s * nt + ti] > 0).collect();
        if k.is_empty() {
            continue;
        }
        let sub: Vec<f64> = k
            .iter()
            .flat_map(|&a| k.iter().map(move |&b| (a, b)))
            .map(|(a, b)| vt[a * nt + b])
            .collect();
        let inv = inverse_spd(&sub, k.len()).ok_or_else(|| ZphError::Singular {
            term: terms[k[0]].name.clone(),
        })?;
        for e in (0..ne).filter(|&e| stratum[e] == s) {
            let row: Vec<f64> = k.iter().map(|&ti| y[e * nt + ti]).collect();
            for (ai, &ti) in k.iter().enumerate() {
                y[e * nt + ti] = (0..k.len())
                    .map(|bi| inv[ai * k.len() + bi] * row[bi])
                    .sum();
            }
            for ti in (0..nt).filter(|ti| !k.contains(ti)) {
                y[e * nt + ti] = f64::NAN;
            }
        }
    }
    for (ti, t) in terms.iter().enumerate() {
        let add = if t.columns.len() == 1 {
            fit.coef[t.columns[0]]
        } else {
            1.0
        };
        for e in 0..ne {
            y[e * nt + ti] += add;
        }
    }
    let var = inverse_spd(&vt, nt).ok_or_else(|| ZphError::Singular {
        term: "GLOBAL".into(),
    })?;
    Ok(Zph {
        transform: opts.transform,
        terms: table,
        global,
        x,
        time,
        stratum,
        y,
        var,
    })
}
