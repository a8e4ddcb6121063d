//! Concordance of a risk score with right-censored survival: Harrell's C and Uno's C(τ), as R's
//! `survival::concordance()` (version 3.5-3) computes them for a Cox model, with R's
//! infinitesimal-jackknife standard error; plus the two scikit-survival (0.28) estimators,
//! [`harrell_sksurv`] and [`uno_sksurv`], kept only to reproduce sksurv's numbers.
//!
//! # Definitions (R)
//!
//! Within a stratum, an ordered pair (i, j) is **comparable** when subject i has an event and
//! either `t_j > t_i`, or `t_j = t_i` and j is censored (a censoring tied with an event counts as
//! later). Two events at the same time are not comparable (they are "tied on time"); pairs never
//! cross strata. Times are tied only when exactly equal (R's `coxph` first merges times that
//! differ by less than about 1e-8 relative, `aeqSurv`; prognosis does not, as in
//! `docs/methods-cox.md`). Risk scores are tied only when exactly equal, as in R.
//!
//! Each comparable pair has the weight `w_i w_j v(t_i)`, with case weights `w` and a time weight
//! `v` of the earlier (event) time. Write `x` for the risk score (for a Cox model, the linear
//! predictor: higher means earlier failure). With
//!
//! ```text
//! concordant  K = Σ_{comparable (i,j)} w_i w_j v(t_i) [x_i > x_j]
//! discordant  D = Σ_{comparable (i,j)} w_i w_j v(t_i) [x_i < x_j]
//! tied risk   T = Σ_{comparable (i,j)} w_i w_j v(t_i) [x_i = x_j]
//! comparable  m = K + D + T
//! ```
//!
//! the concordance is `C = (K + T/2) / m`, computed as R does, `C = 1 − ((D − K)/m + 1)/2`
//! (R's `reverse = TRUE`, forced for Cox models). Harrell's C (Harrell et al. 1982; Harrell, Lee
//! & Mark 1996) has `v ≡ 1`. Uno's C(τ) (Uno et al. 2011, Stat Med 30:1105) is R's
//! `concordance(fit, timewt = "n/G2", ymax = τ)`:
//!
//! ```text
//! v(t) = 1 / G(t−)²  for event times t ≤ τ,    v(t) = 0 for t > τ,
//! G(s) = Π_{u ≤ s} (1 − c_u / (n_u − d_u))     (Kaplan–Meier of the censoring distribution)
//! ```
//!
//! where u runs over the distinct times of the stratum (events and censorings), `n_u` is the
//! weight at risk (`t ≥ u`), `d_u` the event weight and `c_u` the censored weight at u (at a tied
//! time the events leave the risk set before the censorings), and G(t−) is G at the previous
//! distinct time (1 before the first). A stratum with fewer than two events gets `v ≡ 1` before
//! the τ cut, and a non-finite v is set to 0, as in R. This G reproduces R 3.5-3 on the three
//! reference cohorts to 1e-15; the textbook `1 − c_u/n_u` (censorings at u still at risk with the
//! events) misses them by up to 1.5e-4 relative.
//!
//! # Variance (infinitesimal jackknife)
//!
//! For every subject k let `Ic_k`, `Id_k`, `It_k` be the sums, over the comparable pairs that
//! contain k (as the event or as the later partner), of the *partner's* weight times `v(t_i)`,
//! split by the pair's class (here "concordant" is R's internal, unreversed sense: the later
//! subject has the larger x). With Somers' `d = (D − K)/m` in the same unreversed sense,
//!
//! ```text
//! h_k = w_k [ (Ic_k − Id_k)/m − (d/m) (Ic_k + Id_k + It_k) ]      (= w_k ∂d/∂w_k)
//! var(C) = Σ_k h_k² / 4,   se = sqrt(var(C))
//! ```
//!
//! exactly as `concordancefit` (Therneau, "The concordance statistic", vignette of the survival
//! package). The time weights are treated as fixed. The 95% interval is `C ± 1.959964 se`
//! (`qnorm(0.975)`), clamped to [0, 1]; R does not print one.
//!
//! # Algorithm
//!
//! O(n log n), as R's `concordance3` but in two independent sweeps. One array of 128-bit keys is
//! sorted in place twice: by (stratum, risk) to give each subject the dense rank of its risk score
//! within its stratum (exact ties share a rank), then, repacked, by (time descending, censorings
//! before events), with a stable counting sort by stratum when there are strata. Two sweeps then
//! run in parallel, each with a Fenwick (binary indexed) tree over the risk ranks:
//!
//! - backward (time descending): the tree holds the weights of the subjects with a later time
//!   and the censorings at the current time; each event queries the weight of its partners with
//!   larger, equal and smaller risk, which gives the counts and the event's own `Ic, Id, It`;
//! - forward (time ascending): the tree holds `v·w` of the events at earlier times (for a
//!   censoring, also at the same time); each subject queries its `Ic, Id, It` as the later
//!   partner of those events.
//!
//! The events of one time are all queried before any of them is added, so ties in time need no
//! special case, and R's `tied.xy` falls out of the tree's value at the event's rank before and
//! after. The tree sums blocks of 32 consecutive ranks and keeps every rank's own value, and holds
//! exact `u32` counts when there are no case weights (and, forward, no time weights). Every subject
//! costs O(log n); nothing is quadratic. [`naive`] has the direct O(n²) definitions for tests.
//!
//! # scikit-survival
//!
//! [`harrell_sksurv`] is `concordance_index_censored(event, time, risk)` and [`uno_sksurv`] is
//! `concordance_index_ipcw(y, y, risk, tau)` with the same data for training and testing. They
//! differ from R: risk scores within 1e-8 (absolute) are tied, only the event's weight enters,
//! Uno's weight is `1/G(t_i)²` with the same censoring Kaplan–Meier but evaluated at `t_i` itself
//! (after the censorings at `t_i`) instead of `t_i−`, and τ is strict (`t_i < τ`).

use crate::stats::surv::Surv;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Sub};
use thiserror::Error;

/// `qnorm(0.975)`: the multiplier of the 95% interval.
const Z_975: f64 = 1.959963984540054;

/// sksurv's default `tied_tol`: risk scores within this absolute distance are tied.
const SKSURV_TIED_TOL: f64 = 1e-8;

/// A concordance estimate with R's standard error and counts.
///
/// The counts are R's `count` of `concordance(fit)` (with `reverse = TRUE`): pair weights
/// `w_i w_j v(t_i)` summed over comparable pairs, so they are plain pair counts for Harrell's C
/// without case weights, and `1/G²`-weighted sums for Uno's C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concordance {
    /// The concordance `(concordant + tied_risk/2) / comparable`.
    pub c: f64,
    /// Infinitesimal-jackknife standard error, `sqrt(var)` of R.
    pub se: f64,
    /// `c − 1.959964 se`, at least 0.
    pub lower: f64,
    /// `c + 1.959964 se`, at most 1.
    pub upper: f64,
    /// Comparable pairs where the subject with the earlier event has the higher risk.
    pub concordant: f64,
    /// Comparable pairs where the subject with the earlier event has the lower risk.
    pub discordant: f64,
    /// Comparable pairs with exactly equal risk (R's `tied.x`).
    pub tied_risk: f64,
    /// Pairs of events at the same time in the same stratum with different risk (R's `tied.y`;
    /// not comparable, not in `comparable`). Pairs tied on both (R's `tied.xy`) are left out.
    pub tied_time: f64,
    /// All comparable pairs: `concordant + discordant + tied_risk`.
    pub comparable: f64,
}

/// Why a concordance could not be computed. Indices are 0-based positions in the inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConcordanceError {
    #[error("{what} has {got} entries for {n} subjects")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        n: usize,
    },
    #[error("risk score {value} of subject {index} is not a finite number")]
    NonFiniteRisk { index: usize, value: f64 },
    #[error("case weight {value} of subject {index} is not a positive finite number")]
    InvalidWeight { index: usize, value: f64 },
    #[error("the truncation time tau is not a number")]
    InvalidTau,
    #[error(
        "no comparable pairs: a pair needs an event and a later time (or a censoring at the same \
         time) in the same stratum{}",
        if *truncated { ", with the event at or before tau" } else { "" }
    )]
    NoComparablePairs { truncated: bool },
    #[error("{n} subjects are more than the {max} supported")]
    TooManySubjects { n: usize, max: usize },
    #[error("the concordance or its variance is not a finite number (case weights too large?)")]
    NonFinite,
}

/// Harrell's C of `risk` (higher = earlier failure, e.g. a Cox linear predictor) against `surv`,
/// exactly as R's `concordance(coxph_fit)`: optional strata (pairs only within a stratum; any
/// codes) and case weights (positive, as in the `coxph` call), with R's infinitesimal-jackknife
/// standard error. See the module documentation for the formulas. O(n log n).
pub fn harrell(
    surv: &Surv,
    risk: &[f64],
    strata: Option<&[usize]>,
    weights: Option<&[f64]>,
) -> Result<Concordance, ConcordanceError> {
    fast(surv, risk, strata, weights, TimeWeight::N, None)
}

/// Uno's C(τ) of `risk` against `surv`, exactly as R's
/// `concordance(coxph_fit, timewt = "n/G2", ymax = tau)`: pair weights `1/G(t_i−)²` from the
/// censoring Kaplan–Meier of the same data (events leave the risk set before tied censorings),
/// events after `tau` dropped (events at `tau` kept), and R's standard error with those weights.
/// `tau = f64::INFINITY` means no truncation.
pub fn uno(surv: &Surv, risk: &[f64], tau: f64) -> Result<Concordance, ConcordanceError> {
    if tau.is_nan() {
        return Err(ConcordanceError::InvalidTau);
    }
    fast(surv, risk, None, None, TimeWeight::NG2, Some(tau))
}

/// scikit-survival's `concordance_index_censored(event, time, risk)[0]`: Harrell's C with risk
/// scores within 1e-8 (absolute) counted as tied. Returns NaN where sksurv raises an error
/// (lengths differ, fewer than two subjects, no events, a non-finite risk) or divides 0 by 0 (no
/// comparable pair). O(n log n): a Fenwick tree of counts over the sorted risk scores, swept in
/// decreasing time, and each score's tolerance window found by two pointers.
pub fn harrell_sksurv(surv: &Surv, risk: &[f64]) -> f64 {
    if !sksurv_inputs_ok(surv, risk) {
        return f64::NAN;
    }
    let w: Vec<f64> = vec![1.0; surv.len()];
    sksurv_index(surv.time(), surv.event(), risk, &w)
}

/// scikit-survival's `concordance_index_ipcw(y, y, risk, tau)[0]` with the same data `y` for
/// training and testing: each event with `t_i < tau` (strict) has the weight `1/G(t_i)²`, where G
/// is sksurv's censoring Kaplan–Meier (`G(s) = Π_{u ≤ s} (1 − c_u/(n_u − d_u))`, evaluated at
/// `t_i` itself); later events have weight 0; risk scores within 1e-8 are tied. Returns NaN where
/// sksurv raises (as [`harrell_sksurv`], a NaN `tau`, or `G(t_i) = 0` for a weighted event).
/// `tau = f64::INFINITY` is sksurv's `tau=None`. O(n log n).
pub fn uno_sksurv(surv: &Surv, risk: &[f64], tau: f64) -> f64 {
    if !sksurv_inputs_ok(surv, risk) || tau.is_nan() {
        return f64::NAN;
    }
    match sksurv_ipcw_weights(surv.time(), surv.event(), tau) {
        Some(w) => sksurv_index(surv.time(), surv.event(), risk, &w),
        None => f64::NAN,
    }
}

// ---------------------------------------------------------------------------------------------
// Shared input checks and the final assembly.

#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeWeight {
    /// `timewt = "n"`: v ≡ 1 (Harrell).
    N,
    /// `timewt = "n/G2"`: v = 1/G(t−)² (Uno).
    NG2,
}

fn validate(
    surv: &Surv,
    risk: &[f64],
    strata: Option<&[usize]>,
    weights: Option<&[f64]>,
) -> Result<(), ConcordanceError> {
    let n = surv.len();
    if risk.len() != n {
        return Err(ConcordanceError::LengthMismatch {
            what: "risk",
            got: risk.len(),
            n,
        });
    }
    if let Some(s) = strata {
        if s.len() != n {
            return Err(ConcordanceError::LengthMismatch {
                what: "strata",
                got: s.len(),
                n,
            });
        }
    }
    if let Some(w) = weights {
        if w.len() != n {
            return Err(ConcordanceError::LengthMismatch {
                what: "weights",
                got: w.len(),
                n,
            });
        }
        if let Some((index, value)) = crate::stats::surv::invalid_weight(w) {
            return Err(ConcordanceError::InvalidWeight { index, value });
        }
    }
    if let Some((index, &value)) = risk.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ConcordanceError::NonFiniteRisk { index, value });
    }
    Ok(())
}

/// The influence of one subject on Somers' d, `h_k` of the module documentation, from its case
/// weight, `Ic − Id` and `Ic + Id + It` (unreversed), with `scale = d/m`.
fn influence(w: f64, diff: f64, total: f64, m: f64, scale: f64) -> f64 {
    w * (diff / m - scale * total)
}

/// Sums the pieces the way R's `concordancefit` does. `cu`, `du`, `tu` are R's unreversed counts
/// (the later subject has the larger x in `cu`); `sum_h2(m, d/m)` returns `Σ_k h_k²` (see
/// [`influence`]).
fn assemble(
    cu: f64,
    du: f64,
    tu: f64,
    tied_time: f64,
    truncated: bool,
    sum_h2: impl FnOnce(f64, f64) -> f64,
) -> Result<Concordance, ConcordanceError> {
    let m = cu + du + tu;
    if !m.is_finite() {
        return Err(ConcordanceError::NonFinite);
    }
    if m <= 0.0 {
        return Err(ConcordanceError::NoComparablePairs { truncated });
    }
    let somer = (cu - du) / m;
    let var = sum_h2(m, somer / m) / 4.0;
    let c = 1.0 - (somer + 1.0) / 2.0;
    let se = var.sqrt();
    if !(c.is_finite() && se.is_finite()) {
        return Err(ConcordanceError::NonFinite);
    }
    Ok(Concordance {
        c,
        se,
        lower: (c - Z_975 * se).clamp(0.0, 1.0),
        upper: (c + Z_975 * se).clamp(0.0, 1.0),
        concordant: du,
        discordant: cu,
        tied_risk: tu,
        tied_time,
        comparable: m,
    })
}

// ---------------------------------------------------------------------------------------------
// The O(n log n) computation.

/// A monotone map of finite f64 (with −0 = +0) to u64.
fn ordered_bits(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The inverse of [`ordered_bits`].
fn from_ordered_bits(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Bits of a time below 2^63.
const TIME_MASK: u64 = (1 << 63) - 1;

/// A non-negative finite time as 63 bits that sort in decreasing time, shifted left by one with
/// the status in the last bit (censorings first within a time).
fn time_status_key(t: f64, event: bool) -> u64 {
    ((!(t + 0.0).to_bits() & TIME_MASK) << 1) | u64::from(event)
}

/// The time of a [`time_status_key`].
fn key_time(key: u64) -> f64 {
    f64::from_bits(!(key >> 1) & TIME_MASK)
}

/// Below this many subjects everything runs on one thread.
const PARALLEL_MIN: usize = 50_000;

/// Sorts 128-bit keys in place (on all threads if `parallel`).
fn sort_u128(keys: &mut [u128], parallel: bool) {
    if parallel {
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }
}

/// Sorts 128-bit items in place by their high 64 bits only (fast when they have many ties), on
/// all threads if `parallel`.
fn sort_u128_by_high(items: &mut [u128], parallel: bool) {
    let high = |x: &u128| (*x >> 64) as u64;
    if parallel {
        items.par_sort_unstable_by_key(high);
    } else {
        items.sort_unstable_by_key(high);
    }
}

/// The sums kept in a [`Fenwick`]: exact integer counts (`u32`) when every weight is 1, which
/// halves the memory traffic, and `f64` otherwise.
trait Weight: Copy + Default + Add<Output = Self> + Sub<Output = Self> + AddAssign + Into<f64> {
    fn of(x: f64) -> Self;
}

impl Weight for f64 {
    fn of(x: f64) -> Self {
        x
    }
}

impl Weight for u32 {
    /// Only ever called with 1.0.
    fn of(x: f64) -> Self {
        x as u32
    }
}

/// log2 of the number of ranks per leaf block of [`Fenwick`].
const LEAF_BITS: usize = 5;

/// Sums of values at integer ranks 1..=size with an update and a (less, equal, greater) split in
/// O(log n): a Fenwick (binary indexed) tree over blocks of 32 consecutive ranks, plus the value
/// of every rank. The part of a prefix inside its block is summed directly from the contiguous
/// rank values (one or two cache lines). The tree over blocks is small enough to stay in cache;
/// for a million distinct risk scores an update costs about half as much as in a tree over single
/// ranks (one random access to the rank values instead of several to the tree).
struct Fenwick<T> {
    /// value per rank, index = rank (index 0 unused)
    point: Vec<T>,
    /// Fenwick tree over the leaf blocks, 1-based: block b is `tree` index b + 1
    tree: Vec<T>,
    total: T,
    blocks: usize,
}

impl<T: Weight> Fenwick<T> {
    fn new(capacity: usize) -> Self {
        let blocks = (capacity >> LEAF_BITS) + 1;
        Fenwick {
            point: vec![T::default(); capacity + 1],
            tree: vec![T::default(); blocks + 1],
            total: T::default(),
            blocks,
        }
    }

    fn reset(&mut self, size: usize) {
        self.blocks = (size >> LEAF_BITS) + 1;
        self.point[..=size].fill(T::default());
        self.tree[..=self.blocks].fill(T::default());
        self.total = T::default();
    }

    fn add(&mut self, rank: usize, x: T) {
        self.point[rank] += x;
        self.total += x;
        let mut i = (rank >> LEAF_BITS) + 1;
        while i <= self.blocks {
            self.tree[i] += x;
            i += i & i.wrapping_neg();
        }
    }

    /// The sum over ranks below `rank`.
    fn less(&self, rank: usize) -> T {
        let block = rank >> LEAF_BITS;
        let mut sum = T::default();
        let mut i = block;
        while i > 0 {
            sum += self.tree[i];
            i &= i - 1;
        }
        let leaf = &self.point[block << LEAF_BITS..rank];
        let mut acc = [T::default(); 4];
        let mut chunks = leaf.chunks_exact(4);
        for c in &mut chunks {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += v;
            }
        }
        for &v in chunks.remainder() {
            sum += v;
        }
        sum + ((acc[0] + acc[1]) + (acc[2] + acc[3]))
    }

    /// (less, equal, greater): the sums over ranks below, at and above `rank`.
    fn split(&self, rank: usize) -> (T, T, T) {
        let less = self.less(rank);
        let equal = self.point[rank];
        (less, equal, self.total - less - equal)
    }
}

/// A run of subjects with the same stratum and time, in sorted position order: the censorings
/// `start..first_event`, then the events `first_event..end`.
struct Block {
    start: usize,
    first_event: usize,
    end: usize,
    /// The number of events in the earlier blocks (the offset of this block's events in the
    /// per-event arrays).
    events_before: usize,
    /// The time weight of this event time (unused without events).
    v: f64,
}

impl Block {
    fn has_events(&self) -> bool {
        self.first_event < self.end
    }
}

/// One stratum: its blocks (time descending) and the number of distinct risk scores in it.
struct Stratum {
    blocks: std::ops::Range<usize>,
    n_ranks: usize,
}

/// The subjects sorted by (stratum, time descending, status), each packed as a [`time_status_key`]
/// in the high 64 bits, the risk rank within the stratum (1-based) in bits 32..64 and the
/// subject's index in the low 32 bits (0 when neither strata nor case weights need it); their case
/// weights in that order (None: all 1); the runs of tied times.
struct Sorted {
    items: Vec<u128>,
    w: Option<Vec<f64>>,
    blocks: Vec<Block>,
    strata: Vec<Stratum>,
    max_ranks: usize,
    n_events: usize,
}

impl Sorted {
    fn w(&self, q: usize) -> f64 {
        self.w.as_ref().map_or(1.0, |w| w[q])
    }

    /// Risk rank (1-based, within the stratum) of the subject at position `q`.
    fn rank(&self, q: usize) -> usize {
        (self.items[q] >> 32) as u32 as usize
    }
}

/// Sorts the subjects, ranks the risk scores and computes the time weights: two in-place sorts of
/// one array of 128-bit keys, by (stratum, risk) for the ranks, then, after repacking, by (time,
/// status), and a stable counting sort by stratum.
fn prepare(
    surv: &Surv,
    risk: &[f64],
    strata: Option<&[usize]>,
    weights: Option<&[f64]>,
    timewt: TimeWeight,
    ymax: Option<f64>,
    parallel: bool,
) -> Sorted {
    let n = surv.len();
    let time = surv.time();
    let event = surv.event();
    // dense stratum codes
    let code: Option<Vec<u32>> = strata.map(|s| {
        let mut levels = s.to_vec();
        levels.sort_unstable();
        levels.dedup();
        s.iter()
            .map(|v| levels.binary_search(v).unwrap_or_else(|e| e) as u32)
            .collect()
    });
    let n_strata = code
        .as_ref()
        .map_or(1, |c| c.iter().map(|&c| c as usize + 1).max().unwrap_or(1));
    let stratum_of = |i: usize| code.as_ref().map_or(0, |c| c[i]);

    let mut n_ranks = vec![0usize; n_strata];
    let mut items: Vec<u128>;
    if strata.is_none() && weights.is_none() {
        // by risk, carrying the time and status (the subject's index is not needed again)
        items = (0..n)
            .map(|i| {
                (u128::from(ordered_bits(risk[i])) << 64)
                    | u128::from(time_status_key(time[i], event[i]))
            })
            .collect();
        sort_u128_by_high(&mut items, parallel);
        // dense ranks (exact ties share a rank); repack in place as (time and status, rank)
        let mut r = 0u64;
        let mut prev = None;
        for item in items.iter_mut() {
            let x = (*item >> 64) as u64;
            if prev != Some(x) {
                r += 1;
                prev = Some(x);
            }
            *item = (*item << 64) | u128::from(r << 32);
        }
        n_ranks[0] = r as usize;
    } else {
        // by (stratum, risk), carrying the subject's index
        items = (0..n)
            .map(|i| {
                (u128::from(stratum_of(i)) << 96)
                    | (u128::from(ordered_bits(risk[i])) << 32)
                    | i as u128
            })
            .collect();
        sort_u128(&mut items, parallel);
        // dense ranks within strata; repack in place as (time and status, rank, subject)
        let mut r = 0u64;
        let mut prev: Option<u128> = None;
        for item in items.iter_mut() {
            let head = *item >> 32;
            match prev {
                Some(q) if q == head => {}
                Some(q) if q >> 64 == head >> 64 => r += 1,
                _ => r = 1,
            }
            prev = Some(head);
            n_ranks[(head >> 64) as usize] = r as usize;
            let i = *item as u32;
            let key = time_status_key(time[i as usize], event[i as usize]);
            *item = (u128::from(key) << 64) | u128::from((r << 32) | u64::from(i));
        }
    }
    sort_u128_by_high(&mut items, parallel);
    if let (Some(code), true) = (code.as_deref(), n_strata > 1) {
        // stable counting sort by stratum
        let mut start = vec![0usize; n_strata + 1];
        for &c in code {
            start[c as usize + 1] += 1;
        }
        for g in 0..n_strata {
            start[g + 1] += start[g];
        }
        let mut by_stratum = vec![0u128; n];
        for &item in &items {
            let slot = &mut start[code[item as u32 as usize] as usize];
            by_stratum[*slot] = item;
            *slot += 1;
        }
        items = by_stratum;
    }
    let subject = |q: usize| items[q] as u32 as usize;
    let w: Option<Vec<f64>> = weights.map(|w| (0..n).map(|q| w[subject(q)]).collect());

    // runs of equal (stratum, time)
    let mut blocks: Vec<Block> = Vec::new();
    let mut strata_out: Vec<Stratum> = Vec::new();
    let mut block_time: Vec<f64> = Vec::new();
    let mut start = 0;
    let mut events_before = 0;
    while start < n {
        let s = stratum_of(subject(start));
        let t = (items[start] >> 65) as u64;
        let mut end = start + 1;
        while end < n && (items[end] >> 65) as u64 == t && stratum_of(subject(end)) == s {
            end += 1;
        }
        // censorings first within the run
        let first_event = start
            + (start..end)
                .take_while(|&q| items[q] >> 64 & 1 == 0)
                .count();
        if start == 0 || stratum_of(subject(start - 1)) != s {
            if let Some(last) = strata_out.last_mut() {
                last.blocks.end = blocks.len();
            }
            strata_out.push(Stratum {
                blocks: blocks.len()..blocks.len(),
                n_ranks: n_ranks[s as usize],
            });
        }
        blocks.push(Block {
            start,
            first_event,
            end,
            events_before,
            v: 1.0,
        });
        events_before += end - first_event;
        block_time.push(key_time((items[start] >> 64) as u64));
        start = end;
    }
    if let Some(last) = strata_out.last_mut() {
        last.blocks.end = blocks.len();
    }
    let wt = |q: usize| w.as_ref().map_or(1.0, |w| w[q]);

    // time weights, per stratum
    if timewt == TimeWeight::NG2 || ymax.is_some() {
        for st in &strata_out {
            let bl = &mut blocks[st.blocks.clone()];
            let bt = &block_time[st.blocks.clone()];
            let n_events: usize = bl.iter().map(|b| b.end - b.first_event).sum();
            let use_g = timewt == TimeWeight::NG2 && n_events >= 2;
            // weighted number at risk at each block (cumulated from the last time, as survfit),
            // and the weighted events and censorings of the block
            let mut at_risk = vec![0.0; bl.len()];
            let mut dead = vec![0.0; bl.len()];
            let mut censored = vec![0.0; bl.len()];
            let mut acc = 0.0;
            for (j, b) in bl.iter().enumerate() {
                censored[j] = (b.start..b.first_event).map(wt).sum();
                dead[j] = (b.first_event..b.end).map(wt).sum();
                acc += censored[j] + dead[j];
                at_risk[j] = acc;
            }
            // blocks are time-descending: walk them backwards for G(t−); the censoring hazard
            // at u is c_u / (n_u − d_u), the events at u leaving the risk set first
            let mut g: f64 = 1.0;
            for j in (0..bl.len()).rev() {
                if bl[j].has_events() {
                    let mut v = if use_g { 1.0 / (g * g) } else { 1.0 };
                    if ymax.is_some_and(|y| bt[j] > y) {
                        v = 0.0;
                    }
                    bl[j].v = if v.is_finite() { v } else { 0.0 };
                }
                if use_g && bl[j].first_event > bl[j].start && censored[j] > 0.0 {
                    let alive = at_risk[j] - dead[j];
                    g *= (alive - censored[j]) / alive;
                }
            }
        }
    }

    let max_ranks = strata_out.iter().map(|s| s.n_ranks).max().unwrap_or(0);
    Sorted {
        items,
        w,
        blocks,
        strata: strata_out,
        max_ranks,
        n_events: events_before,
    }
}

/// Output of the backward sweep: R's unreversed counts and each event's own influence terms.
struct Backward {
    conc: f64,
    disc: f64,
    tied_x: f64,
    tied_y: f64,
    tied_xy: f64,
    /// per event, in position order: `v (g − l)` (its partners with larger minus smaller x)
    diff: Vec<f64>,
    /// per block: `v` times the weight of the partners of each of its events
    total: Vec<f64>,
}

/// Time descending; the tree holds the weights of the subjects with a later time and of the
/// censorings at the current time.
fn backward<T: Weight>(s: &Sorted) -> Backward {
    let mut out = Backward {
        conc: 0.0,
        disc: 0.0,
        tied_x: 0.0,
        tied_y: 0.0,
        tied_xy: 0.0,
        diff: vec![0.0; s.n_events],
        total: vec![0.0; s.blocks.len()],
    };
    let mut tree = Fenwick::<T>::new(s.max_ranks);
    // the tree's value at each event's rank before the block's events are added
    let mut equal_at = Vec::new();
    for st in &s.strata {
        tree.reset(st.n_ranks);
        for j in st.blocks.clone() {
            let b = &s.blocks[j];
            for q in b.start..b.first_event {
                tree.add(s.rank(q), T::of(s.w(q)));
            }
            if !b.has_events() {
                continue;
            }
            let v = b.v;
            let all: f64 = tree.total.into();
            out.total[j] = all * v;
            let mut dwt = 0.0;
            equal_at.clear();
            equal_at.resize(b.end - b.first_event, T::default());
            for (k, q) in (b.first_event..b.end).enumerate() {
                let wq = s.w(q);
                let (less, equal, greater) = tree.split(s.rank(q));
                let (less, greater): (f64, f64) = (less.into(), greater.into());
                out.conc += wq * greater * v;
                out.disc += wq * less * v;
                out.tied_x += wq * equal.into() * v;
                out.diff[b.events_before + k] = greater * v - less * v;
                out.tied_y += wq * dwt * v;
                dwt += wq;
                equal_at[k] = equal;
            }
            for (k, q) in (b.first_event..b.end).enumerate() {
                let r = s.rank(q);
                // the events of this block already added at the same risk
                let same: f64 = (tree.point[r] - equal_at[k]).into();
                out.tied_xy += s.w(q) * same * v;
                tree.add(r, T::of(s.w(q)));
            }
        }
    }
    out
}

/// Output of the forward sweep: each subject's terms as the later partner.
struct Forward {
    /// per position: `Ic − Id` from the earlier events
    diff: Vec<f64>,
    /// per block: `Ic + Id + It` of its events (0) and of its censorings (1), the `v·w` of the
    /// earlier events (and, for censorings, of the events at the same time)
    total: Vec<[f64; 2]>,
}

/// Time ascending; the tree holds `v·w` of the events at earlier times (and, for censorings, at
/// the same time).
fn forward<T: Weight>(s: &Sorted) -> Forward {
    let mut diff = vec![0.0; s.items.len()];
    let mut total = vec![[0.0; 2]; s.blocks.len()];
    let mut tree = Fenwick::<T>::new(s.max_ranks);
    for st in &s.strata {
        tree.reset(st.n_ranks);
        for j in st.blocks.clone().rev() {
            let b = &s.blocks[j];
            total[j][0] = tree.total.into();
            for (d, q) in diff[b.first_event..b.end].iter_mut().zip(b.first_event..) {
                let (less, _, greater) = tree.split(s.rank(q));
                *d = less.into() - greater.into();
            }
            for q in b.first_event..b.end {
                tree.add(s.rank(q), T::of(b.v * s.w(q)));
            }
            total[j][1] = tree.total.into();
            for (d, q) in diff[b.start..b.first_event].iter_mut().zip(b.start..) {
                let (less, _, greater) = tree.split(s.rank(q));
                *d = less.into() - greater.into();
            }
        }
    }
    Forward { diff, total }
}

fn fast(
    surv: &Surv,
    risk: &[f64],
    strata: Option<&[usize]>,
    weights: Option<&[f64]>,
    timewt: TimeWeight,
    ymax: Option<f64>,
) -> Result<Concordance, ConcordanceError> {
    let parallel = surv.len() >= PARALLEL_MIN;
    fast_on(surv, risk, strata, weights, timewt, ymax, parallel)
}

/// [`fast`] on one thread or on all of them.
fn fast_on(
    surv: &Surv,
    risk: &[f64],
    strata: Option<&[usize]>,
    weights: Option<&[f64]>,
    timewt: TimeWeight,
    ymax: Option<f64>,
    parallel: bool,
) -> Result<Concordance, ConcordanceError> {
    validate(surv, risk, strata, weights)?;
    // subjects and ranks are 32-bit fields of the sort keys
    let max = u32::MAX as usize;
    if surv.len() > max {
        return Err(ConcordanceError::TooManySubjects { n: surv.len(), max });
    }
    let sorted = prepare(surv, risk, strata, weights, timewt, ymax, parallel);
    // integer counts when every tree value is 1: no case weights, and (forward) v ≡ 1
    let unit = weights.is_none();
    let unit_v = unit && sorted.blocks.iter().all(|b| b.v == 1.0);
    let back = || {
        if unit {
            backward::<u32>(&sorted)
        } else {
            backward::<f64>(&sorted)
        }
    };
    let fwd = || {
        if unit_v {
            forward::<u32>(&sorted)
        } else {
            forward::<f64>(&sorted)
        }
    };
    let (back, fwd) = if parallel {
        rayon::join(back, fwd)
    } else {
        (back(), fwd())
    };
    assemble(
        back.conc,
        back.disc,
        back.tied_x,
        back.tied_y - back.tied_xy,
        ymax.is_some_and(|y| y < f64::INFINITY),
        |m, scale| {
            let mut sum = 0.0;
            for (j, b) in sorted.blocks.iter().enumerate() {
                let total = fwd.total[j][1];
                for q in b.start..b.first_event {
                    let h = influence(sorted.w(q), fwd.diff[q], total, m, scale);
                    sum += h * h;
                }
                let total = fwd.total[j][0] + back.total[j];
                for (k, q) in (b.first_event..b.end).enumerate() {
                    let diff = fwd.diff[q] + back.diff[b.events_before + k];
                    let h = influence(sorted.w(q), diff, total, m, scale);
                    sum += h * h;
                }
            }
            sum
        },
    )
}

// ---------------------------------------------------------------------------------------------
// scikit-survival.

fn sksurv_inputs_ok(surv: &Surv, risk: &[f64]) -> bool {
    // subjects are 32-bit fields of the sort keys
    risk.len() == surv.len()
        && surv.len() <= u32::MAX as usize
        && surv.len() >= 2
        && surv.event().iter().any(|&e| e)
        && risk.iter().all(|v| v.is_finite())
}

/// sksurv's `CensoringDistributionEstimator` fitted and evaluated on the same data, squared and
/// inverted for the events with `t < tau` (0 for the rest). None when G(t_i) = 0 for such an event
/// (sksurv raises).
fn sksurv_ipcw_weights(time: &[f64], event: &[bool], tau: f64) -> Option<Vec<f64>> {
    let n = time.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| time[a].total_cmp(&time[b]));
    let mut w = vec![0.0; n];
    let mut g = 1.0;
    let mut at_risk = n;
    let mut start = 0;
    while start < n {
        let t = time[order[start]];
        let mut end = start;
        while end < n && time[order[end]] == t {
            end += 1;
        }
        let d = order[start..end].iter().filter(|&&i| event[i]).count();
        let c = (end - start) - d;
        if c > 0 {
            // events first: the censoring hazard is c / (n − d)
            g *= 1.0 - c as f64 / (at_risk - d) as f64;
        }
        for &i in &order[start..end] {
            if event[i] && time[i] < tau {
                if g == 0.0 {
                    return None;
                }
                let ipcw = 1.0 / g;
                w[i] = ipcw * ipcw;
            }
        }
        at_risk -= end - start;
        start = end;
    }
    Some(w)
}

/// sksurv's `_estimate_concordance_index` in O(n log n): for each event i (weight `w[i]`), its
/// partners are the subjects with a later time and the censorings at the same time; a partner is
/// tied when `|x_j − x_i| ≤ 1e-8` and concordant when not tied and `x_j < x_i`. C = Σ w_i (conc +
/// ties/2) / Σ w_i #partners.
fn sksurv_index(time: &[f64], event: &[bool], risk: &[f64], w: &[f64]) -> f64 {
    let n = time.len();
    // risk scores in increasing order; the subject at sorted position p has slot p + 1
    let mut by_risk: Vec<u128> = (0..n)
        .map(|i| (u128::from(ordered_bits(risk[i])) << 64) | i as u128)
        .collect();
    sort_u128_by_high(&mut by_risk, n >= PARALLEL_MIN);
    let values: Vec<f64> = by_risk
        .iter()
        .map(|&p| from_ordered_bits((p >> 64) as u64))
        .collect();
    // the tolerance window of each position: slots before `lo` are concordant partners, slots
    // from `lo` to `hi` tied ones. Both move forward with the value, so two pointers suffice.
    let (mut lo, mut hi) = (vec![0u32; n], vec![0u32; n]);
    let (mut a, mut b) = (0usize, 0usize);
    for (p, &x) in values.iter().enumerate() {
        while a < n && values[a] < x && (values[a] - x).abs() > SKSURV_TIED_TOL {
            a += 1;
        }
        while b < n && !(values[b] > x && (values[b] - x).abs() > SKSURV_TIED_TOL) {
            b += 1;
        }
        lo[p] = a as u32;
        hi[p] = b as u32;
    }
    drop(values);
    // by time descending, censorings first; low bits: sorted risk position and subject
    let mut items: Vec<u128> = by_risk
        .iter()
        .enumerate()
        .map(|(p, &x)| {
            let i = x as u32 as usize;
            (u128::from(time_status_key(time[i], event[i])) << 64) | ((p as u128) << 32) | i as u128
        })
        .collect();
    drop(by_risk);
    sort_u128_by_high(&mut items, n >= PARALLEL_MIN);
    // slots 1..=n; `less(k + 1)` is the count in slots 1..=k
    let mut tree = Fenwick::<u32>::new(n + 1);
    let (mut num, mut den) = (0.0, 0.0);
    let mut start = 0;
    while start < n {
        let t = items[start] >> 65;
        let mut end = start + 1;
        while end < n && items[end] >> 65 == t {
            end += 1;
        }
        let first_event = start
            + items[start..end]
                .iter()
                .take_while(|&&x| x >> 64 & 1 == 0)
                .count();
        for &x in &items[start..first_event] {
            tree.add((x >> 32) as u32 as usize + 1, 1);
        }
        for &x in &items[first_event..end] {
            let (p, i) = ((x >> 32) as u32 as usize, x as u32 as usize);
            let con = f64::from(tree.less(lo[p] as usize + 1));
            let ties = f64::from(tree.less(hi[p] as usize + 1)) - con;
            num += w[i] * con + 0.5 * w[i] * ties;
            den += w[i] * f64::from(tree.total);
        }
        for &x in &items[first_event..end] {
            tree.add((x >> 32) as u32 as usize + 1, 1);
        }
        start = end;
    }
    num / den
}

// ---------------------------------------------------------------------------------------------

/// Direct O(n²) versions of every estimator, written from the definitions for tests.
pub mod naive {
    use super::{
        assemble, influence, sksurv_inputs_ok, validate, Concordance, ConcordanceError, TimeWeight,
        SKSURV_TIED_TOL,
    };
    use crate::stats::surv::Surv;

    /// [`super::harrell`] by visiting every pair.
    pub fn harrell(
        surv: &Surv,
        risk: &[f64],
        strata: Option<&[usize]>,
        weights: Option<&[f64]>,
    ) -> Result<Concordance, ConcordanceError> {
        general(surv, risk, strata, weights, TimeWeight::N, None)
    }

    /// [`super::uno`] by visiting every pair.
    pub fn uno(surv: &Surv, risk: &[f64], tau: f64) -> Result<Concordance, ConcordanceError> {
        if tau.is_nan() {
            return Err(ConcordanceError::InvalidTau);
        }
        general(surv, risk, None, None, TimeWeight::NG2, Some(tau))
    }

    /// R's time weight of an event at `t` in stratum `s`: 1, or 1/G(t−)² with G the censoring
    /// Kaplan–Meier of the stratum (hazard `c_u / (n_u − d_u)` at each earlier distinct time u);
    /// 0 after `ymax` or when not finite.
    #[allow(clippy::too_many_arguments)]
    fn time_weight(
        t: f64,
        s: usize,
        time: &[f64],
        event: &[bool],
        stratum: &dyn Fn(usize) -> usize,
        weight: &dyn Fn(usize) -> f64,
        timewt: TimeWeight,
        ymax: Option<f64>,
    ) -> f64 {
        let n = time.len();
        let members: Vec<usize> = (0..n).filter(|&j| stratum(j) == s).collect();
        let n_events = members.iter().filter(|&&j| event[j]).count();
        let mut v = 1.0;
        if timewt == TimeWeight::NG2 && n_events >= 2 {
            let mut distinct: Vec<f64> = members.iter().map(|&j| time[j]).collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            let mut g = 1.0;
            for &u in distinct.iter().filter(|&&u| u < t) {
                let at_risk: f64 = members
                    .iter()
                    .filter(|&&j| time[j] >= u)
                    .map(|&j| weight(j))
                    .sum();
                let dead: f64 = members
                    .iter()
                    .filter(|&&j| time[j] == u && event[j])
                    .map(|&j| weight(j))
                    .sum();
                let censored: f64 = members
                    .iter()
                    .filter(|&&j| time[j] == u && !event[j])
                    .map(|&j| weight(j))
                    .sum();
                if censored > 0.0 {
                    g *= (at_risk - dead - censored) / (at_risk - dead);
                }
            }
            v = 1.0 / (g * g);
        }
        if ymax.is_some_and(|y| t > y) || !v.is_finite() {
            v = 0.0;
        }
        v
    }

    fn general(
        surv: &Surv,
        risk: &[f64],
        strata: Option<&[usize]>,
        weights: Option<&[f64]>,
        timewt: TimeWeight,
        ymax: Option<f64>,
    ) -> Result<Concordance, ConcordanceError> {
        validate(surv, risk, strata, weights)?;
        let n = surv.len();
        let time = surv.time();
        let event = surv.event();
        let stratum = |i: usize| strata.map_or(0, |s| s[i]);
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        // the time weight of each event, computed once per (stratum, time)
        let mut memo = std::collections::HashMap::new();
        let v: Vec<f64> = (0..n)
            .map(|i| {
                if !event[i] {
                    return 0.0;
                }
                *memo
                    .entry((stratum(i), time[i].to_bits()))
                    .or_insert_with(|| {
                        time_weight(
                            time[i],
                            stratum(i),
                            time,
                            event,
                            &stratum,
                            &weight,
                            timewt,
                            ymax,
                        )
                    })
            })
            .collect();
        // unreversed: "concordant" = the later subject has the larger risk
        let (mut conc, mut disc, mut tied_x, mut tied_y) = (0.0, 0.0, 0.0, 0.0);
        let mut ic = vec![0.0; n];
        let mut id = vec![0.0; n];
        let mut it = vec![0.0; n];
        for i in 0..n {
            if !event[i] {
                continue;
            }
            for j in 0..n {
                if j == i || stratum(j) != stratum(i) {
                    continue;
                }
                if event[j] && time[j] == time[i] {
                    // each unordered pair once, only those with different risk (tied.y)
                    if j > i && risk[j] != risk[i] {
                        tied_y += weight(i) * weight(j) * v[i];
                    }
                    continue;
                }
                let comparable = time[j] > time[i] || (time[j] == time[i] && !event[j]);
                if !comparable {
                    continue;
                }
                let pair = weight(i) * weight(j) * v[i];
                if risk[j] > risk[i] {
                    conc += pair;
                    ic[i] += weight(j) * v[i];
                    ic[j] += weight(i) * v[i];
                } else if risk[j] < risk[i] {
                    disc += pair;
                    id[i] += weight(j) * v[i];
                    id[j] += weight(i) * v[i];
                } else {
                    tied_x += pair;
                    it[i] += weight(j) * v[i];
                    it[j] += weight(i) * v[i];
                }
            }
        }
        assemble(
            conc,
            disc,
            tied_x,
            tied_y,
            ymax.is_some_and(|y| y < f64::INFINITY),
            |m, scale| {
                (0..n)
                    .map(|k| influence(weight(k), ic[k] - id[k], ic[k] + id[k] + it[k], m, scale))
                    .map(|h| h * h)
                    .sum()
            },
        )
    }

    /// [`super::harrell_sksurv`] as sksurv's `_estimate_concordance_index` loops.
    pub fn harrell_sksurv(surv: &Surv, risk: &[f64]) -> f64 {
        if !sksurv_inputs_ok(surv, risk) {
            return f64::NAN;
        }
        index(surv.time(), surv.event(), risk, &vec![1.0; surv.len()])
    }

    /// [`super::uno_sksurv`] with the censoring curve evaluated by scanning the data.
    pub fn uno_sksurv(surv: &Surv, risk: &[f64], tau: f64) -> f64 {
        if !sksurv_inputs_ok(surv, risk) || tau.is_nan() {
            return f64::NAN;
        }
        let time = surv.time();
        let event = surv.event();
        let n = time.len();
        let mut distinct: Vec<f64> = time.to_vec();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        // G at each distinct time: the product over times up to it of 1 − c/(n − d)
        let mut g = 1.0;
        let g_at: Vec<f64> = distinct
            .iter()
            .map(|&u| {
                let at_risk = (0..n).filter(|&j| time[j] >= u).count();
                let d = (0..n).filter(|&j| time[j] == u && event[j]).count();
                let c = (0..n).filter(|&j| time[j] == u && !event[j]).count();
                if c > 0 {
                    g *= 1.0 - c as f64 / (at_risk - d) as f64;
                }
                g
            })
            .collect();
        let mut w = vec![0.0; n];
        for i in 0..n {
            if !(event[i] && time[i] < tau) {
                continue;
            }
            let k = distinct.iter().position(|&u| u == time[i]).unwrap_or(0);
            if g_at[k] == 0.0 {
                return f64::NAN;
            }
            w[i] = (1.0 / g_at[k]) * (1.0 / g_at[k]);
        }
        index(time, event, risk, &w)
    }

    fn index(time: &[f64], event: &[bool], risk: &[f64], w: &[f64]) -> f64 {
        let n = time.len();
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..n {
            if !event[i] {
                continue;
            }
            let (mut con, mut ties, mut partners) = (0usize, 0usize, 0usize);
            for j in 0..n {
                let partner = time[j] > time[i] || (time[j] == time[i] && !event[j]);
                if !partner {
                    continue;
                }
                partners += 1;
                if (risk[j] - risk[i]).abs() <= SKSURV_TIED_TOL {
                    ties += 1;
                } else if risk[j] < risk[i] {
                    con += 1;
                }
            }
            num += w[i] * con as f64 + 0.5 * w[i] * ties as f64;
            den += w[i] * partners as f64;
        }
        num / den
    }
}

#[cfg(test)]
mod tests;
