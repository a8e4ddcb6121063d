//! Cox proportional-hazards regression, as R's `survival::coxph` fits it.
//!
//! The numerical core: plain slices in, [`CoxFit`] out, no I/O. The data are sorted once by
//! stratum and decreasing time; every Newton-Raphson iteration is then a single pass that
//! accumulates the risk-set sums S0, S1, S2 and evaluates the partial log-likelihood, its score and
//! information in O(n p^2). Efron's correction for a tied set of d deaths is evaluated in closed form
//! (O(d) scalar sums plus O(p^2)) instead of d matrix updates, so heavily tied data (whole months)
//! cost no more than untied data.
//!
//! See `docs/methods-cox.md` for the formulas and references.

use crate::stats::dist;
use crate::stats::linalg::{Ldl, ScaledLdl};
use crate::stats::surv::Surv;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// How tied event times enter the partial likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Efron (1977) approximation: R's default.
    #[default]
    Efron,
    /// Breslow (1974) approximation.
    Breslow,
}

impl fmt::Display for Ties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        })
    }
}

impl FromStr for Ties {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "efron" => Ok(Ties::Efron),
            "breslow" => Ok(Ties::Breslow),
            other => Err(format!(
                "unknown ties method '{other}': use efron or breslow"
            )),
        }
    }
}

/// Fitting controls, with the defaults of R's `coxph.control()`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxOptions {
    /// Tie handling. Default: [`Ties::Efron`], as `coxph`.
    pub ties: Ties,
    /// Convergence when |1 - loglik_old / loglik_new| <= eps. Default 1e-9 (`eps`).
    pub eps: f64,
    /// Maximum Newton-Raphson iterations. Default 20 (`iter.max`).
    pub max_iter: usize,
    /// Relative pivot tolerance of the Cholesky factorisation. Default
    /// `f64::EPSILON.powf(0.75)` (`toler.chol`).
    pub toler_chol: f64,
    /// Relative tolerance of the infinite-coefficient check. Default `sqrt(eps)` (`toler.inf`).
    pub toler_inf: f64,
    /// Level of the confidence limits of hazard ratios. Default 0.95 (`conf.int` of summary).
    pub conf_level: f64,
}

impl Default for CoxOptions {
    fn default() -> Self {
        CoxOptions {
            ties: Ties::Efron,
            eps: 1e-9,
            max_iter: 20,
            toler_chol: f64::EPSILON.powf(0.75),
            toler_inf: 1e-9_f64.sqrt(),
            conf_level: 0.95,
        }
    }
}

impl CoxOptions {
    /// The options `rms::cph` fits with: Efron ties, `eps = 1e-4`, `iter.max = 10`, `tol = 1e-9`
    /// (the Cholesky tolerance) and `toler.inf = 1`. Reproducing an rms result (a nomogram, a
    /// calibration model) needs them; prognosis's own fits use [`CoxOptions::default`].
    pub fn cph() -> CoxOptions {
        CoxOptions {
            ties: Ties::Efron,
            eps: 1e-4,
            max_iter: 10,
            toler_chol: 1e-9,
            toler_inf: 1.0,
            conf_level: 0.95,
        }
    }
}

/// Why a Cox model could not be fitted. Row indices are 0-based positions in the input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CoxError {
    #[error("the design has {x} values but {n} rows x {p} terms need {}", n * p)]
    DesignShape { x: usize, n: usize, p: usize },
    #[error("{what} has {got} entries for {n} rows")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        n: usize,
    },
    #[error("{names} names for {p} terms")]
    NamesMismatch { names: usize, p: usize },
    #[error("no events: every subject is censored, so there is nothing to fit")]
    NoEvents,
    #[error("{n} complete rows are too few for {p} terms: need at least {}", p + 1)]
    TooFewRows { n: usize, p: usize },
    #[error("covariate value of term '{term}' in row {index} is not finite")]
    NonFiniteCovariate { term: String, index: usize },
    #[error("case weight {value} in row {index} is not a positive finite number")]
    InvalidWeight { index: usize, value: f64 },
    #[error(
        "term '{term}' is constant (every row has {value}), so its effect cannot be estimated"
    )]
    ConstantTerm { term: String, value: f64 },
    #[error("term '{term}' is an exact linear combination of {}", others.join(", "))]
    Collinear { term: String, others: Vec<String> },
    #[error("the log-likelihood is not finite at the initial values")]
    NonFiniteLoglik,
    #[error("the model has no terms: give at least one covariate")]
    NoTerms,
    #[error("stratum code {code} in row {index} is not below the number of rows")]
    StratumCode { index: usize, code: usize },
    #[error(
        "{} cannot be estimated: the information is singular in {} direction (collinear with other \
         terms within strata, or varying only among rows with no event at risk)",
        terms.iter().map(|t| format!("term '{t}'")).collect::<Vec<_>>().join(", "),
        if terms.len() == 1 { "its" } else { "their" }
    )]
    NotEstimable { terms: Vec<String> },
}

/// Something the user should know about a fit that did complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CoxWarning {
    /// The log-likelihood converged while this coefficient was still moving: it may be infinite
    /// (monotone likelihood, e.g. no events in one level of a factor).
    InfiniteCoefficient { term: String },
    /// The iteration limit was reached before convergence.
    NotConverged { iterations: usize },
}

impl fmt::Display for CoxWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoxWarning::InfiniteCoefficient { term } => write!(
                f,
                "the log-likelihood converged before term '{term}': its coefficient may be infinite \
                 (monotone likelihood, e.g. no events in one group); its HR and test are unreliable"
            ),
            CoxWarning::NotConverged { iterations } => write!(
                f,
                "ran out of iterations ({iterations}) and did not converge; raise --max-iter or check the data"
            ),
        }
    }
}

/// A chi-square test: statistic, degrees of freedom and upper-tail p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSqTest {
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

impl ChiSqTest {
    pub fn new(statistic: f64, df: usize) -> Self {
        let df = df as f64;
        ChiSqTest {
            statistic,
            df,
            p: dist::chisq_sf(statistic, df),
        }
    }
}

/// One row of the coefficient table of `summary(coxph)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoefRow {
    pub term: String,
    pub coef: f64,
    pub se: f64,
    pub hr: f64,
    pub hr_lower: f64,
    pub hr_upper: f64,
    pub z: f64,
    pub p: f64,
}

/// The baseline cumulative hazard of one stratum at the event times, for covariates at the
/// centring means, as `survfit.coxph` computes it (increments of Breslow or Efron type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineHazard {
    /// Distinct event times, increasing.
    pub time: Vec<f64>,
    /// Weighted number at risk just before each time.
    pub n_risk: Vec<f64>,
    /// Weighted number of events at each time.
    pub n_event: Vec<f64>,
    /// Cumulative hazard H0(t).
    pub cumhaz: Vec<f64>,
    /// Cumulative sum of the hazard's variance terms (the first part of the Tsiatis variance).
    pub cumvar: Vec<f64>,
    /// Cumulative weighted covariate means times hazard increments, one p-vector per time.
    pub cumxbar: Vec<Vec<f64>>,
}

impl BaselineHazard {
    /// Index of the last event time <= t, if any.
    pub fn index_at(&self, t: f64) -> Option<usize> {
        let k = self.time.partition_point(|&x| x <= t);
        k.checked_sub(1)
    }
}

/// A fitted Cox model: everything `summary(coxph)` shows and everything prediction needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxFit {
    pub terms: Vec<String>,
    pub coef: Vec<f64>,
    /// Variance matrix of the coefficients (inverse information), row by row.
    pub var: Vec<Vec<f64>>,
    /// Centring means of the terms (weighted by case weights); 0 for a term whose values all lie
    /// in {-1, 0, 1}, as coxph's `nocenter` default.
    pub means: Vec<f64>,
    /// Partial log-likelihood at beta = 0 and at the estimate.
    pub loglik: [f64; 2],
    pub likelihood_ratio: ChiSqTest,
    pub wald: ChiSqTest,
    pub score: ChiSqTest,
    pub iterations: usize,
    pub converged: bool,
    pub ties: Ties,
    pub conf_level: f64,
    /// Rows used.
    pub n: usize,
    /// Events among them.
    pub events: usize,
    pub warnings: Vec<CoxWarning>,
    /// One baseline hazard per stratum (a single one without strata), indexed by stratum code.
    pub baseline: Vec<BaselineHazard>,
}

/// The design: n rows of p covariate values, row-major, with term names.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub n: usize,
    pub p: usize,
    pub x: Vec<f64>,
    pub names: Vec<String>,
}

impl Design {
    pub fn new(x: Vec<f64>, n: usize, names: Vec<String>) -> Result<Design, CoxError> {
        let p = names.len();
        if x.len() != n * p {
            return Err(CoxError::DesignShape { x: x.len(), n, p });
        }
        Ok(Design { n, p, x, names })
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }
}

/// Optional parts of a fit: case weights and strata (codes 0..k).
#[derive(Debug, Clone, Copy, Default)]
pub struct FitExtras<'a> {
    pub weights: Option<&'a [f64]>,
    pub strata: Option<&'a [usize]>,
}

/// A tied set: the rows that share one time within one stratum (rows `start..end` of the sorted
/// layout; `start` and `end` are unused in the bucketed layout).
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    /// First (latest-time) group of its stratum: risk-set sums restart here.
    new_stratum: bool,
    n_dead: usize,
    dead_weight: f64,
    time: f64,
    stratum: usize,
}

/// How the rows are held for the repeated passes.
#[derive(Debug, Clone)]
enum Layout<'a> {
    /// Rows copied in order of stratum and decreasing time, covariates centred. Used when there
    /// are many distinct times.
    Sorted {
        x: Vec<f64>,
        w: Vec<f64>,
        dead: Vec<bool>,
        gid: Vec<u32>,
        zeros: Vec<f64>,
    },
    /// Rows left in input order, each labelled with its tied set; covariates centred on the fly.
    /// Used when times are whole numbers with few distinct values (months, days): no copy of the
    /// design, and per-set sums small enough to accumulate per thread.
    Bucketed {
        x: &'a [f64],
        w: Option<&'a [f64]>,
        dead: &'a [bool],
        gid: Vec<u32>,
    },
}

/// The data ready for repeated passes over the risk sets.
#[derive(Debug, Clone)]
pub(crate) struct RiskSets<'a> {
    n: usize,
    p: usize,
    layout: Layout<'a>,
    groups: Vec<Group>,
    means: Vec<f64>,
    /// Scale of each term for the Cholesky tolerance, as coxfit6.
    scale: Vec<f64>,
    n_strata: usize,
}

/// Buffers reused by every pass (allocating n-vectors per iteration would cost page faults).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    eta: Vec<f64>,
    r: Vec<f64>,
}

/// Sums of one pass at a given beta.
#[derive(Debug, Clone)]
pub(crate) struct PassResult {
    pub loglik: f64,
    pub u: Vec<f64>,
    /// Information matrix, row-major p x p, full.
    pub imat: Vec<f64>,
}

/// The sums of one tied set at a given beta: over all its rows (`s0`, `s1`, `wsum`) and over its
/// events (`d0`, `d1`, and `ll` = sum w eta, `ux` = sum w x of the events).
struct SetSums<'s> {
    s0: f64,
    s1: &'s [f64],
    d0: f64,
    d1: &'s [f64],
    wsum: f64,
    ll: f64,
    ux: &'s [f64],
}

/// Covariates (row-major), the centre to subtract from them, case weights, events and tied sets.
struct RowsView<'r> {
    x: &'r [f64],
    centre: &'r [f64],
    w: Option<&'r [f64]>,
    dead: &'r [bool],
    gid: &'r [u32],
}

/// Most values accumulated per thread in the bucketed layout (sets x (3p + 4)).
const MAX_BUCKET_VALUES: usize = 1 << 19;

/// Rows per parallel work unit. Fixed, so that sums are added in the same order whatever the
/// number of threads (results are reproducible to the last bit).
const CHUNK: usize = 1 << 15;

/// Pieces of the bucketed per-set accumulation (fixed, for reproducibility).
const PIECES: usize = 4;

/// A tied set's stratum and time.
type SetKey = (usize, f64);

/// Tied sets by counting when every time is a whole number in a modest range: the set of each
/// row (sets ordered by stratum, then decreasing time) and the sets' times and strata.
fn bucket_sets(
    time: &[f64],
    strata: Option<&[usize]>,
    max_sets: usize,
) -> Option<(Vec<u32>, Vec<SetKey>)> {
    let n = time.len();
    let stratum = |i: usize| strata.map_or(0, |s| s[i]);
    let (lo, hi) = time
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
            (a.min(t), b.max(t))
        });
    let n_strata = strata.map_or(1, |s| s.iter().copied().max().unwrap_or(0) + 1);
    let span = hi - lo + 1.0;
    if !time.iter().all(|t| t.fract() == 0.0)
        || span * (n_strata as f64) > (4 * n).max(1 << 16) as f64
    {
        return None;
    }
    let span = span as usize;
    let bucket = |i: usize| stratum(i) * span + (hi - time[i]) as usize;
    let mut set_of_bucket = vec![u32::MAX; span * n_strata];
    for i in 0..n {
        set_of_bucket[bucket(i)] = 0;
    }
    let mut sets = Vec::new();
    for (b, s) in set_of_bucket.iter_mut().enumerate() {
        if *s == 0 {
            *s = sets.len() as u32;
            sets.push((b / span, hi - (b % span) as f64));
        }
    }
    if sets.len() > max_sets {
        return None;
    }
    let gid = (0..n).map(|i| set_of_bucket[bucket(i)]).collect();
    Some((gid, sets))
}

/// Row order by stratum and decreasing time (a parallel comparison sort on packed keys).
fn sort_order(time: &[f64], strata: Option<&[usize]>) -> Vec<usize> {
    let mut keyed: Vec<(usize, u64, u32)> = (0..time.len())
        .map(|i| {
            // order-preserving map of f64 to u64, inverted for decreasing time
            let b = time[i].to_bits();
            let k = if b >> 63 == 1 { !b } else { b | (1 << 63) };
            (strata.map_or(0, |s| s[i]), !k, i as u32)
        })
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|k| k.2 as usize).collect()
}

/// Adds sum_k omega(k) (x_k - c)(x_k - c)' to the row-major p x p matrix `g` (upper triangle
/// only; the caller mirrors it). Specialised for p up to 16 so that the loops unroll into
/// registers.
fn gram_kernel(p: usize, xs: &[f64], c: &[f64], omega: impl Fn(usize) -> f64, g: &mut [f64]) {
    fn fixed<const P: usize>(xs: &[f64], c: &[f64], omega: impl Fn(usize) -> f64, g: &mut [f64]) {
        let c: &[f64; P] = c.try_into().expect("P centres");
        let mut acc = [[0.0f64; P]; P];
        for (k, xr) in xs.chunks_exact(P).enumerate() {
            let o = omega(k);
            if o == 0.0 {
                continue;
            }
            let mut xc = [0.0f64; P];
            for i in 0..P {
                xc[i] = xr[i] - c[i];
            }
            for i in 0..P {
                let oxi = o * xc[i];
                for j in i..P {
                    acc[i][j] += oxi * xc[j];
                }
            }
        }
        for i in 0..P {
            for j in i..P {
                g[i * P + j] += acc[i][j];
            }
        }
    }
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match p {
                $($n => return fixed::<$n>(xs, c, omega, g),)*
                _ => {}
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    let mut xc = vec![0.0; p];
    for (k, xr) in xs.chunks_exact(p).enumerate() {
        let o = omega(k);
        if o == 0.0 {
            continue;
        }
        for ((d, v), m) in xc.iter_mut().zip(xr).zip(c) {
            *d = v - m;
        }
        for i in 0..p {
            let oxi = o * xc[i];
            for j in i..p {
                g[i * p + j] += oxi * xc[j];
            }
        }
    }
}

/// What one tied set adds to the log-likelihood, score and information (the rank-one part; the
/// n p^2 part goes through the Gram matrix), given the risk-set sums `s0`, `s1` (the set included)
/// and the set's event sums. Returns (wtave * A0, wtave * A1) for the Gram weights.
#[allow(clippy::too_many_arguments)]
fn set_terms(
    g: &Group,
    ties: Ties,
    s0: f64,
    s1: &[f64],
    d0: f64,
    d1: &[f64],
    loglik: &mut f64,
    u: &mut [f64],
    imat: &mut [f64],
) -> (f64, f64) {
    let p = s1.len();
    let d = g.n_dead;
    let efron = ties == Ties::Efron && d > 1;
    let wtave = g.dead_weight / d as f64;
    // sums over the d Efron terms j = 0..d-1 with t_j = j/d (all 0 for Breslow)
    let (mut a0, mut a1, mut b0, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    if efron {
        for j in 0..d {
            let t = j as f64 / d as f64;
            let den = s0 - t * d0;
            *loglik -= wtave * den.ln();
            let inv = 1.0 / den;
            a0 += inv;
            a1 += t * inv;
            b0 += inv * inv;
            b1 += t * inv * inv;
            b2 += t * t * inv * inv;
        }
    } else {
        *loglik -= g.dead_weight * s0.ln();
        a0 = d as f64 / s0;
        b0 = d as f64 / (s0 * s0);
    }
    for i in 0..p {
        u[i] -= wtave * (s1[i] * a0 - d1[i] * a1);
    }
    for i in 0..p {
        for j in i..p {
            let mut v = s1[i] * s1[j] * b0;
            if efron {
                v += -(s1[i] * d1[j] + d1[i] * s1[j]) * b1 + d1[i] * d1[j] * b2;
            }
            imat[i * p + j] -= wtave * v;
        }
    }
    (wtave * a0, wtave * a1)
}

impl<'a> RiskSets<'a> {
    pub(crate) fn new(
        design: &'a Design,
        surv: &'a Surv,
        extras: FitExtras<'a>,
    ) -> Result<RiskSets<'a>, CoxError> {
        let n = design.n;
        let p = design.p;
        if surv.len() != n {
            return Err(CoxError::LengthMismatch {
                what: "the outcome",
                got: surv.len(),
                n,
            });
        }
        if let Some(w) = extras.weights {
            if w.len() != n {
                return Err(CoxError::LengthMismatch {
                    what: "weights",
                    got: w.len(),
                    n,
                });
            }
            if let Some((index, value)) = crate::stats::surv::invalid_weight(w) {
                return Err(CoxError::InvalidWeight { index, value });
            }
        }
        if let Some(s) = extras.strata {
            if s.len() != n {
                return Err(CoxError::LengthMismatch {
                    what: "strata",
                    got: s.len(),
                    n,
                });
            }
            if let Some((index, &code)) = s.iter().enumerate().find(|(_, &c)| c >= n) {
                return Err(CoxError::StratumCode { index, code });
            }
        }
        if let Some(pos) = design.x.iter().position(|v| !v.is_finite()) {
            return Err(CoxError::NonFiniteCovariate {
                term: design.names[pos % p].clone(),
                index: pos / p,
            });
        }
        let time = surv.time();
        let event = surv.event();
        let strata_of = |i: usize| extras.strata.map_or(0, |s| s[i]);
        let weight_of = |i: usize| extras.weights.map_or(1.0, |w| w[i]);

        // weighted means, as coxfit6; a column whose values all lie in {-1, 0, 1} (an indicator,
        // a dummy) is not centred, as coxph's `nocenter = c(-1, 0, 1)`, so that the linear
        // predictor is 0 at the reference value
        let wsum: f64 = match extras.weights {
            Some(w) => w.iter().sum(),
            None => n as f64,
        };
        let mut means = vec![0.0; p];
        let mut nocenter = vec![true; p];
        for (i, row) in design.x.chunks_exact(p).enumerate() {
            let wi = weight_of(i);
            for ((m, nc), &v) in means.iter_mut().zip(nocenter.iter_mut()).zip(row) {
                *m += wi * v;
                *nc &= v == 0.0 || v == 1.0 || v == -1.0;
            }
        }
        for (m, nc) in means.iter_mut().zip(&nocenter) {
            *m = if *nc { 0.0 } else { *m / wsum };
        }
        // coxfit6's scaling of centred columns: 1 / (weighted mean absolute deviation)
        let mut absdev = vec![0.0; p];
        for (i, row) in design.x.chunks_exact(p).enumerate() {
            let wi = weight_of(i);
            for ((a, &v), m) in absdev.iter_mut().zip(row).zip(&means) {
                *a += wi * (v - m).abs();
            }
        }
        let scale: Vec<f64> = absdev
            .iter()
            .zip(&nocenter)
            .map(|(&a, &nc)| if nc || a <= 0.0 { 1.0 } else { wsum / a })
            .collect();
        let n_strata = extras
            .strata
            .map_or(1, |s| s.iter().copied().max().map_or(1, |m| m + 1));
        let new_group = |k: usize, (stratum, t): (usize, f64), prev: Option<&Group>| Group {
            start: k,
            end: k,
            new_stratum: prev.is_none_or(|g| g.stratum != stratum),
            n_dead: 0,
            dead_weight: 0.0,
            time: t,
            stratum,
        };

        let max_sets = MAX_BUCKET_VALUES / (3 * p + 4);
        if let Some((gid, sets)) = bucket_sets(time, extras.strata, max_sets) {
            let mut groups: Vec<Group> = Vec::with_capacity(sets.len());
            for (k, &set) in sets.iter().enumerate() {
                let g = new_group(k, set, groups.last());
                groups.push(g);
            }
            for i in 0..n {
                if event[i] {
                    let g = &mut groups[gid[i] as usize];
                    g.n_dead += 1;
                    g.dead_weight += weight_of(i);
                }
            }
            return Ok(RiskSets {
                n,
                p,
                layout: Layout::Bucketed {
                    x: &design.x,
                    w: extras.weights,
                    dead: event,
                    gid,
                },
                groups,
                means,
                scale,
                n_strata,
            });
        }

        let order = sort_order(time, extras.strata);
        let mut x = vec![0.0; n * p];
        let mut w = vec![0.0; n];
        let mut dead = vec![false; n];
        x.par_chunks_mut(p * CHUNK)
            .zip(w.par_chunks_mut(CHUNK))
            .zip(dead.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, ((xb, wb), db))| {
                let ord = &order[c * CHUNK..c * CHUNK + wb.len()];
                for (k, &i) in ord.iter().enumerate() {
                    let src = design.row(i);
                    for ((d, v), m) in xb[k * p..(k + 1) * p].iter_mut().zip(src).zip(&means) {
                        *d = v - m;
                    }
                    wb[k] = weight_of(i);
                    db[k] = event[i];
                }
            });
        let mut groups: Vec<Group> = Vec::new();
        let mut gid = vec![0u32; n];
        for (k, &i) in order.iter().enumerate() {
            let key = (strata_of(i), time[i]);
            let same = groups
                .last()
                .is_some_and(|g| g.stratum == key.0 && g.time == key.1);
            if !same {
                let g = new_group(k, key, groups.last());
                groups.push(g);
            }
            let g = groups.last_mut().expect("a group");
            g.end = k + 1;
            if dead[k] {
                g.n_dead += 1;
                g.dead_weight += w[k];
            }
            gid[k] = (groups.len() - 1) as u32;
        }
        Ok(RiskSets {
            n,
            p,
            layout: Layout::Sorted {
                x,
                w,
                dead,
                gid,
                zeros: vec![0.0; p],
            },
            groups,
            means,
            scale,
            n_strata,
        })
    }

    /// The rows as the passes see them, in the layout's order.
    fn rows(&self) -> RowsView<'_> {
        match &self.layout {
            Layout::Sorted {
                x,
                w,
                dead,
                gid,
                zeros,
            } => RowsView {
                x,
                centre: zeros,
                w: Some(w),
                dead,
                gid,
            },
            Layout::Bucketed { x, w, dead, gid } => RowsView {
                x,
                centre: &self.means,
                w: *w,
                dead,
                gid,
            },
        }
    }

    /// Linear predictors (centred) and risk scores w exp(eta) in the layout's order (parallel,
    /// chunked so that the result does not depend on the number of threads).
    fn risk_scores(&self, beta: &[f64], eta: &mut Vec<f64>, r: &mut Vec<f64>) {
        let p = self.p;
        let RowsView { x, centre, w, .. } = self.rows();
        let shift: f64 = centre.iter().zip(beta).map(|(m, b)| m * b).sum();
        eta.resize(self.n, 0.0);
        r.resize(self.n, 0.0);
        eta.par_chunks_mut(CHUNK)
            .zip(r.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, (eta_c, r_c))| {
                let base = c * CHUNK;
                let xs = &x[base * p..(base + eta_c.len()) * p];
                for (k, ((e, rr), xr)) in eta_c
                    .iter_mut()
                    .zip(r_c.iter_mut())
                    .zip(xs.chunks_exact(p))
                    .enumerate()
                {
                    let v: f64 = xr.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() - shift;
                    *e = v;
                    *rr = w.map_or(1.0, |w| w[base + k]) * v.exp();
                }
            });
    }

    /// Calls `f(set, sums)` for every tied set in order (stratum, decreasing time).
    fn for_each_set(&self, eta: &[f64], r: &[f64], mut f: impl FnMut(usize, &SetSums)) {
        let p = self.p;
        let ng = self.groups.len();
        match &self.layout {
            Layout::Sorted { x, w, dead, .. } => {
                let mut s1 = vec![0.0; p];
                let mut d1 = vec![0.0; p];
                let mut ux = vec![0.0; p];
                for (gi, g) in self.groups.iter().enumerate() {
                    let (mut s0, mut d0, mut wsum, mut ll) = (0.0, 0.0, 0.0, 0.0);
                    s1.iter_mut().for_each(|v| *v = 0.0);
                    d1.iter_mut().for_each(|v| *v = 0.0);
                    ux.iter_mut().for_each(|v| *v = 0.0);
                    let xs = &x[g.start * p..g.end * p];
                    for (k, xr) in (g.start..g.end).zip(xs.chunks_exact(p)) {
                        let rr = r[k];
                        s0 += rr;
                        wsum += w[k];
                        for (sv, &xv) in s1.iter_mut().zip(xr) {
                            *sv += rr * xv;
                        }
                        if dead[k] {
                            d0 += rr;
                            ll += w[k] * eta[k];
                            for ((dv, uv), &xv) in d1.iter_mut().zip(ux.iter_mut()).zip(xr) {
                                *dv += rr * xv;
                                *uv += w[k] * xv;
                            }
                        }
                    }
                    let sums = SetSums {
                        s0,
                        s1: &s1,
                        d0,
                        d1: &d1,
                        wsum,
                        ll,
                        ux: &ux,
                    };
                    f(gi, &sums);
                }
            }
            Layout::Bucketed { x, w, dead, gid } => {
                // per piece, per set: s0, d0, wsum, ll, then s1, d1, ux (p each)
                let width = 3 * p + 4;
                let piece = self.n.div_ceil(PIECES).max(1);
                let means = &self.means;
                let parts: Vec<Vec<f64>> = (0..self.n.div_ceil(piece))
                    .into_par_iter()
                    .map(|k| {
                        let mut acc = vec![0.0; ng * width];
                        let mut xc = vec![0.0; p];
                        for i in k * piece..((k + 1) * piece).min(self.n) {
                            let a = &mut acc[gid[i] as usize * width..][..width];
                            let rr = r[i];
                            let wt = w.map_or(1.0, |w| w[i]);
                            for ((c, v), m) in xc.iter_mut().zip(&x[i * p..(i + 1) * p]).zip(means)
                            {
                                *c = v - m;
                            }
                            a[0] += rr;
                            a[2] += wt;
                            for (sv, &xv) in a[4..4 + p].iter_mut().zip(&xc) {
                                *sv += rr * xv;
                            }
                            if dead[i] {
                                a[1] += rr;
                                a[3] += wt * eta[i];
                                let (d1, ux) = a[4 + p..].split_at_mut(p);
                                for ((dv, uv), &xv) in d1.iter_mut().zip(ux.iter_mut()).zip(&xc) {
                                    *dv += rr * xv;
                                    *uv += wt * xv;
                                }
                            }
                        }
                        acc
                    })
                    .collect();
                let mut acc = vec![0.0; width];
                for gi in 0..ng {
                    acc.iter_mut().for_each(|v| *v = 0.0);
                    for part in &parts {
                        for (a, b) in acc.iter_mut().zip(&part[gi * width..(gi + 1) * width]) {
                            *a += b;
                        }
                    }
                    let sums = SetSums {
                        s0: acc[0],
                        d0: acc[1],
                        wsum: acc[2],
                        ll: acc[3],
                        s1: &acc[4..4 + p],
                        d1: &acc[4 + p..4 + 2 * p],
                        ux: &acc[4 + 2 * p..4 + 3 * p],
                    };
                    f(gi, &sums);
                }
            }
        }
    }

    /// sum_i omega_i (x_i - centre)(x_i - centre)' (full p x p, row-major) with
    /// omega_i = r_i (c_g - [i an event] e_g) for the row's tied set g, in parallel chunks summed
    /// in order.
    fn weighted_gram(&self, r: &[f64], c: &[f64], e: &[f64]) -> Vec<f64> {
        let p = self.p;
        let RowsView {
            x,
            centre,
            dead,
            gid,
            ..
        } = self.rows();
        let partial: Vec<Vec<f64>> = r
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(k, rc)| {
                let mut g = vec![0.0; p * p];
                let base = k * CHUNK;
                let len = rc.len();
                let xs = &x[base * p..(base + len) * p];
                let gids = &gid[base..base + len];
                let dead = &dead[base..base + len];
                let omega = |k: usize| {
                    let gi = gids[k] as usize;
                    rc[k] * (c[gi] - if dead[k] { e[gi] } else { 0.0 })
                };
                gram_kernel(p, xs, centre, omega, &mut g);
                g
            })
            .collect();
        let mut g = vec![0.0; p * p];
        for part in partial {
            for (a, b) in g.iter_mut().zip(part) {
                *a += b;
            }
        }
        g
    }

    /// Log-likelihood, score and information at `beta`: O(n p^2), one pass over the tied sets
    /// (O(n p)) and one parallel weighted Gram matrix.
    ///
    /// The information is sum over event sets of wtave * [A0 S2 - A1 D2 - (rank-one terms in S1,
    /// D1)], with S2 the risk-set sum of r x x'. Since S2 at a set is a sum over the rows at risk,
    /// sum_g c_g S2(t_g) = sum_i r_i C(t_i) x_i x_i' with C(t) the sum of c_g over event sets at or
    /// before t: the n p^2 part becomes one weighted Gram matrix.
    pub(crate) fn pass(&self, beta: &[f64], ties: Ties, scratch: &mut Scratch) -> PassResult {
        let p = self.p;
        let Scratch { eta, r } = scratch;
        self.risk_scores(beta, eta, r);
        let mut loglik = 0.0;
        let mut u = vec![0.0; p];
        let mut imat = vec![0.0; p * p];
        let mut s0 = 0.0;
        let mut s1 = vec![0.0; p];
        let ng = self.groups.len();
        // per set: wtave * A0 (cumulated below) and wtave * A1
        let mut c = vec![0.0; ng];
        let mut e = vec![0.0; ng];
        self.for_each_set(eta, r, |gi, sums| {
            let g = &self.groups[gi];
            if g.new_stratum {
                s0 = 0.0;
                s1.iter_mut().for_each(|v| *v = 0.0);
            }
            s0 += sums.s0;
            for (a, b) in s1.iter_mut().zip(sums.s1) {
                *a += b;
            }
            if g.n_dead == 0 {
                return;
            }
            loglik += sums.ll;
            for (a, b) in u.iter_mut().zip(sums.ux) {
                *a += b;
            }
            (c[gi], e[gi]) = set_terms(
                g,
                ties,
                s0,
                &s1,
                sums.d0,
                sums.d1,
                &mut loglik,
                &mut u,
                &mut imat,
            );
        });
        // C(t_g): sum of wtave * A0 over event sets at or before t_g, within the stratum
        let mut cum = 0.0;
        for gi in (0..ng).rev() {
            if self.groups.get(gi + 1).is_none_or(|next| next.new_stratum) {
                cum = 0.0;
            }
            cum += c[gi];
            c[gi] = cum;
        }
        let gram = self.weighted_gram(r, &c, &e);
        for i in 0..p {
            for j in i..p {
                imat[i * p + j] += gram[i * p + j];
                imat[j * p + i] = imat[i * p + j];
            }
        }
        PassResult { loglik, u, imat }
    }

    /// Baseline hazard per stratum, as R's `agsurv`, from the linear predictors and risk scores
    /// at the estimate.
    fn baseline(&self, eta: &[f64], r: &[f64], ties: Ties) -> Vec<BaselineHazard> {
        let p = self.p;
        let mut out: Vec<BaselineHazard> = (0..self.n_strata)
            .map(|_| BaselineHazard {
                time: vec![],
                n_risk: vec![],
                n_event: vec![],
                cumhaz: vec![],
                cumvar: vec![],
                cumxbar: vec![],
            })
            .collect();
        let mut s0 = 0.0;
        let mut s1 = vec![0.0; p];
        let mut wcount = 0.0;
        // increments collected in decreasing time, per stratum
        let mut incs: Vec<Vec<Increment>> = vec![vec![]; self.n_strata];
        self.for_each_set(eta, r, |gi, sums| {
            let g = &self.groups[gi];
            if g.new_stratum {
                s0 = 0.0;
                s1.iter_mut().for_each(|v| *v = 0.0);
                wcount = 0.0;
            }
            s0 += sums.s0;
            wcount += sums.wsum;
            for (a, b) in s1.iter_mut().zip(sums.s1) {
                *a += b;
            }
            if g.n_dead == 0 {
                return;
            }
            let (d0, d1) = (sums.d0, sums.d1);
            let d = g.n_dead as f64;
            let nevent = g.dead_weight;
            let (haz, varhaz, xbar) = if ties == Ties::Efron && g.n_dead > 1 {
                let mut sum1 = 0.0;
                let mut sum2 = 0.0;
                let mut xb = vec![0.0; p];
                for j in 0..g.n_dead {
                    let t = j as f64 / d;
                    let inv = 1.0 / (s0 - t * d0);
                    sum1 += inv / d;
                    sum2 += inv * inv / d;
                    for ((x, s), dd) in xb.iter_mut().zip(&s1).zip(d1) {
                        *x += (s - t * dd) * inv * inv / d;
                    }
                }
                (
                    nevent * sum1,
                    nevent * sum2,
                    xb.into_iter().map(|v| nevent * v).collect(),
                )
            } else {
                (
                    nevent / s0,
                    nevent / (s0 * s0),
                    s1.iter().map(|v| nevent * v / (s0 * s0)).collect(),
                )
            };
            incs[g.stratum].push((g.time, wcount, nevent, haz, varhaz, xbar));
        });
        for (s, list) in incs.into_iter().enumerate() {
            let b = &mut out[s];
            let mut ch = 0.0;
            let mut cv = 0.0;
            let mut cx = vec![0.0; p];
            for (t, nr, ne, haz, varhaz, xbar) in list.into_iter().rev() {
                ch += haz;
                cv += varhaz;
                for (c, v) in cx.iter_mut().zip(&xbar) {
                    *c += v;
                }
                b.time.push(t);
                b.n_risk.push(nr);
                b.n_event.push(ne);
                b.cumhaz.push(ch);
                b.cumvar.push(cv);
                b.cumxbar.push(cx.clone());
            }
        }
        out
    }
}

/// One event time's contribution to the baseline: (time, weighted number at risk, weighted events,
/// hazard increment, variance increment, xbar increment).
type Increment = (f64, f64, f64, f64, f64, Vec<f64>);

/// Checks that no term is constant or an exact linear combination of others (on the centred
/// design), naming the culprits. Sequential Gram-Schmidt via an LDL' of the correlation matrix.
/// O(n p^2), serial: it runs on small data or when the information is singular.
fn check_design(design: &Design) -> Result<(), CoxError> {
    let p = design.p;
    let n = design.n;
    let mut colmean = vec![0.0; p];
    for row in design.x.chunks_exact(p) {
        for (m, v) in colmean.iter_mut().zip(row) {
            *m += v;
        }
    }
    colmean.iter_mut().for_each(|m| *m /= n as f64);
    let mut xtx = vec![0.0; p * p];
    let mut dev = vec![0.0; p];
    for row in design.x.chunks_exact(p) {
        for ((d, v), m) in dev.iter_mut().zip(row).zip(&colmean) {
            *d = v - m;
        }
        for i in 0..p {
            for j in 0..=i {
                xtx[i * p + j] += dev[i] * dev[j];
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            xtx[j * p + i] = xtx[i * p + j];
        }
    }
    // constant terms first: every value equal
    for i in 0..p {
        let first = design.x[i];
        if design.x.chunks_exact(p).all(|row| row[i] == first) {
            return Err(CoxError::ConstantTerm {
                term: design.names[i].clone(),
                value: first,
            });
        }
    }
    // correlation matrix, then find the first column explained by earlier ones
    let sd: Vec<f64> = (0..p).map(|i| xtx[i * p + i].sqrt()).collect();
    let corr: Vec<f64> = (0..p * p)
        .map(|k| xtx[k] / (sd[k / p] * sd[k % p]))
        .collect();
    for j in 1..p {
        // regress column j on columns 0..j
        let q = j;
        let mut sub = vec![0.0; q * q];
        for a in 0..q {
            for b in 0..q {
                sub[a * q + b] = corr[a * p + b];
            }
        }
        let ldl = Ldl::new(&sub, q, 1e-10);
        let mut rhs: Vec<f64> = (0..q).map(|a| corr[a * p + j]).collect();
        let explained = {
            let mut beta = rhs.clone();
            ldl.solve_in_place(&mut beta);
            let e: f64 = beta.iter().zip(&rhs).map(|(a, b)| a * b).sum();
            rhs = beta;
            e
        };
        if 1.0 - explained < 1e-10 {
            let others: Vec<String> = (0..q)
                .filter(|&a| rhs[a].abs() > 1e-8)
                .map(|a| design.names[a].clone())
                .collect();
            return Err(CoxError::Collinear {
                term: design.names[j].clone(),
                others,
            });
        }
    }
    Ok(())
}

/// The partial log-likelihood, its score vector and information matrix (row-major p x p) at
/// `beta`, in one O(n p^2) pass after an O(n log n) sort.
pub fn loglik_at(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    beta: &[f64],
    ties: Ties,
) -> Result<(f64, Vec<f64>, Vec<f64>), CoxError> {
    if beta.len() != design.p {
        return Err(CoxError::NamesMismatch {
            names: beta.len(),
            p: design.p,
        });
    }
    let rs = RiskSets::new(design, surv, extras)?;
    let r = rs.pass(beta, ties, &mut Scratch::default());
    Ok((r.loglik, r.u, r.imat))
}

/// Fits the Cox model by Newton-Raphson exactly as `coxph` (coxfit6): start at beta = 0,
/// step-halving when the log-likelihood decreases, convergence on the relative change of the
/// log-likelihood, variance = inverse information at the estimate.
pub fn fit(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    opts: &CoxOptions,
) -> Result<CoxFit, CoxError> {
    let p = design.p;
    if design.names.len() != p {
        return Err(CoxError::NamesMismatch {
            names: design.names.len(),
            p,
        });
    }
    if p == 0 {
        return Err(CoxError::NoTerms);
    }
    let rs = RiskSets::new(design, surv, extras)?;
    let events = surv.n_events();
    if events == 0 {
        return Err(CoxError::NoEvents);
    }
    if rs.n <= p {
        return Err(CoxError::TooFewRows { n: rs.n, p });
    }
    let ties = opts.ties;
    let mut beta = vec![0.0; p];
    let mut scratch = Scratch::default();
    let first = rs.pass(&beta, ties, &mut scratch);
    if !first.loglik.is_finite() {
        return Err(CoxError::NonFiniteLoglik);
    }
    let loglik0 = first.loglik;
    let ldl0 = ScaledLdl::new(&first.imat, &rs.scale, opts.toler_chol);
    // The information at beta = 0 is a weighted within-risk-set covariance: it is singular when a
    // term is constant or collinear with others, so the design is examined (to name the terms)
    // when it is, and always on small data where the check costs nothing. A singular direction
    // the design check does not explain (collinear within strata, say) cannot be estimated.
    if ldl0.rank() < p || rs.n <= 100_000 {
        check_design(design)?;
    }
    if ldl0.rank() < p {
        return Err(CoxError::NotEstimable {
            terms: ldl0
                .zeroed()
                .into_iter()
                .map(|j| design.names[j].clone())
                .collect(),
        });
    }
    let step = ldl0.solve(&first.u);
    let score_stat: f64 = step.iter().zip(&first.u).map(|(a, b)| a * b).sum();

    let mut best = loglik0;
    let mut newbeta: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
    let mut halving = 0usize;
    let mut converged = false;
    let mut iterations = 0;
    let mut last = first;
    let mut last_ldl = ldl0;
    if opts.max_iter == 0 {
        newbeta = beta.clone();
    }
    let mut iter = 1;
    while iter <= opts.max_iter {
        iterations = iter;
        let res = rs.pass(&newbeta, ties, &mut scratch);
        let ldl = ScaledLdl::new(&res.imat, &rs.scale, opts.toler_chol);
        let finite = res.loglik.is_finite()
            && res.u.iter().all(|v| v.is_finite())
            && res.imat.iter().all(|v| v.is_finite());
        if finite && (1.0 - best / res.loglik).abs() <= opts.eps {
            best = res.loglik;
            beta = newbeta.clone();
            last = res;
            last_ldl = ldl;
            converged = true;
            break;
        }
        if !finite || res.loglik < best {
            halving += 1;
            let h = halving as f64;
            for (nb, b) in newbeta.iter_mut().zip(&beta) {
                *nb = (*nb + h * b) / (h + 1.0);
            }
        } else {
            halving = 0;
            best = res.loglik;
            let u = ldl.solve(&res.u);
            beta = newbeta.clone();
            for (nb, s) in newbeta.iter_mut().zip(&u) {
                *nb += s;
            }
            last = res;
            last_ldl = ldl;
        }
        iter += 1;
    }
    if !converged && opts.max_iter > 0 {
        // ran out: report the last good beta, with its information recomputed
        last = rs.pass(&beta, ties, &mut scratch);
        best = last.loglik;
        last_ldl = ScaledLdl::new(&last.imat, &rs.scale, opts.toler_chol);
    }
    let var_flat = last_ldl.inverse();
    let var: Vec<Vec<f64>> = (0..p)
        .map(|i| var_flat[i * p..(i + 1) * p].to_vec())
        .collect();

    let mut warnings = Vec::new();
    if !converged && opts.max_iter > 1 {
        // as coxph.fit: no complaint when at most one iteration was asked for
        warnings.push(CoxWarning::NotConverged { iterations });
    } else if converged && opts.max_iter > 1 {
        // R: infs <- abs(u %*% var); flag when > eps and > toler.inf * |coef|
        for j in 0..p {
            let inf: f64 = (0..p)
                .map(|i| last.u[i] * var_flat[i * p + j])
                .sum::<f64>()
                .abs();
            if inf > opts.eps && inf > opts.toler_inf * beta[j].abs() {
                warnings.push(CoxWarning::InfiniteCoefficient {
                    term: design.names[j].clone(),
                });
            }
        }
    }

    let df = last_ldl.rank().min(p);
    // the Wald test on the variance scaled to unit diagonal (a correlation matrix), so that the
    // singularity tolerance is relative to each term's own scale: a covariate measured in units
    // 1e12 times smaller gives the same test (R's unscaled solve drops it; docs/methods-cox.md)
    let wald_stat = {
        let d: Vec<f64> = (0..p)
            .map(|i| {
                let v = var_flat[i * p + i];
                if v > 0.0 && v.is_finite() {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        let scaled: Vec<f64> = (0..p * p)
            .map(|k| var_flat[k] / (d[k / p] * d[k % p]))
            .collect();
        let z: Vec<f64> = beta.iter().zip(&d).map(|(b, s)| b / s).collect();
        Ldl::new(&scaled, p, opts.toler_chol).quad_form_inverse(&z)
    };
    // scratch.r holds the risk scores at the final beta: the last pass was evaluated there
    let baseline = rs.baseline(&scratch.eta, &scratch.r, ties);
    Ok(CoxFit {
        terms: design.names.clone(),
        coef: beta,
        var,
        means: rs.means.clone(),
        loglik: [loglik0, best],
        likelihood_ratio: ChiSqTest::new(2.0 * (best - loglik0), df),
        wald: ChiSqTest::new(wald_stat, df),
        score: ChiSqTest::new(score_stat, df),
        iterations,
        converged,
        ties,
        conf_level: opts.conf_level,
        n: rs.n,
        events,
        warnings,
        baseline,
    })
}

mod curve;
pub use curve::*;
mod fixed;
pub use fixed::fit_fixed;

#[cfg(test)]
mod tests {
    use super::*;

    fn design(x: Vec<f64>, p: usize) -> Design {
        let n = x.len() / p;
        Design::new(x, n, (0..p).map(|i| format!("x{i}")).collect()).unwrap()
    }

    #[test]
    fn pass_matches_naive_on_small_tied_data() {
        let x = vec![
            1.0, 0.5, 0.0, 1.5, 1.0, -0.3, 0.0, 2.0, 1.0, 0.1, 0.0, 0.0, 1.0, 1.2,
        ];
        let time = vec![5.0, 3.0, 5.0, 2.0, 5.0, 3.0, 8.0];
        let event = vec![true, true, true, false, true, true, false];
        let w = vec![1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0];
        let strata = vec![0; 7];
        let d = design(x.clone(), 2);
        let surv = Surv::new(time.clone(), event.clone()).unwrap();
        let rs = RiskSets::new(
            &d,
            &surv,
            FitExtras {
                weights: Some(&w),
                strata: None,
            },
        )
        .unwrap();
        let beta = [0.3, -0.7];
        for ties in [Ties::Efron, Ties::Breslow] {
            let fast = rs.pass(&beta, ties, &mut Scratch::default());
            // naive on centred x (the likelihood is invariant to centring, the score too)
            let (ll, u, info) = naive::loglik(&x, 2, &time, &event, &w, &strata, &beta, ties);
            // centring shifts every linear predictor by m'beta in the numerators and the log
            // denominators alike: the values agree exactly
            assert!((fast.loglik - ll).abs() < 1e-12 * ll.abs());
            for (a, b) in fast.u.iter().zip(&u) {
                assert!((a - b).abs() < 1e-12);
            }
            for (a, b) in fast.imat.iter().zip(&info) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rejects_constant_and_collinear_terms() {
        let surv = Surv::new(vec![1.0, 2.0, 3.0, 4.0], vec![true, true, false, true]).unwrap();
        let d = Design::new(
            vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0],
            4,
            vec!["a".into(), "b".into()],
        )
        .unwrap();
        let e = fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap_err();
        assert!(matches!(e, CoxError::ConstantTerm { ref term, .. } if term == "a"));
        // c = a + 2 b
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [2.0, 0.0, 1.0, 0.5, 3.0, 1.0];
        let x: Vec<f64> = (0..6)
            .flat_map(|i| [a[i], b[i], a[i] + 2.0 * b[i]])
            .collect();
        let d = Design::new(x, 6, vec!["a".into(), "b".into(), "c".into()]).unwrap();
        let surv = Surv::new(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            vec![true, true, false, true, true, false],
        )
        .unwrap();
        let e = fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap_err();
        assert_eq!(
            e,
            CoxError::Collinear {
                term: "c".into(),
                others: vec!["a".into(), "b".into()]
            }
        );
    }

    #[test]
    fn no_events_is_an_error() {
        let surv = Surv::new(vec![1.0, 2.0, 3.0], vec![false; 3]).unwrap();
        let d = design(vec![1.0, 2.0, 0.0], 1);
        assert_eq!(
            fit(&d, &surv, FitExtras::default(), &CoxOptions::default()),
            Err(CoxError::NoEvents)
        );
    }

    #[test]
    fn monotone_likelihood_warns_and_stays_finite() {
        // group 1 has no events: its coefficient runs to -infinity
        let time = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let event = vec![true, true, false, true, false, false, false, true];
        let x = vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let surv = Surv::new(time, event).unwrap();
        let d = design(x, 1);
        let f = fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
        assert!(f.coef[0] < -5.0, "{}", f.coef[0]);
        assert!(f.coef.iter().all(|v| v.is_finite()));
        assert!(f
            .warnings
            .iter()
            .any(|w| matches!(w, CoxWarning::InfiniteCoefficient { term } if term == "x0")));
    }

    #[test]
    fn median_rule_follows_r() {
        let t = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(median_of_curve(&t, &[0.9, 0.6, 0.4, 0.2]), Some(3.0));
        assert_eq!(median_of_curve(&t, &[0.9, 0.5, 0.5, 0.2]), Some(3.0));
        assert_eq!(median_of_curve(&t, &[0.9, 0.8, 0.7, 0.6]), None);
    }
}
