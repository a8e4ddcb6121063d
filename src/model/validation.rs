//! Validation of a Cox model on data: discrimination (Harrell's and Uno's C, time-dependent AUC),
//! accuracy (Brier score, integrated Brier score, IPA), calibration (grouped Kaplan-Meier, smooth,
//! slope, observed/expected), and Harrell's bootstrap optimism correction (as `rms::validate` and
//! `rms::calibrate(cmethod = "KM")`).
//!
//! Numerical core: plain inputs (a fitted model, a design, an outcome), no I/O.

use crate::stats::calibration::{self, Slope, SmoothCalibration};
use crate::stats::concordance::{self, Concordance};
use crate::stats::control::Control;
use crate::stats::cox::{self, CoxFit, CoxOptions, Design, FitExtras};
use crate::stats::decision::{self, DecisionCurve, DecisionOptions};
use crate::stats::km::{self, KmOptions};
use crate::stats::metrics::{self, MetricsError, RocCurve};
use crate::stats::surv::Surv;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use thiserror::Error;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationOptions {
    /// Horizons at which AUC, Brier score and calibration are computed (at least one).
    pub times: Vec<f64>,
    /// Number of groups of the grouped calibration curve. Default 5.
    pub groups: usize,
    /// Bootstrap resamples for the optimism correction; 0 (default) for none.
    pub bootstrap: usize,
    /// Seed of the bootstrap. Default 2021. Results do not depend on the number of threads.
    pub seed: u64,
    /// Points of the grid over [first horizon, last horizon] for the integrated Brier score.
    /// Default 50.
    pub ibs_points: usize,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            times: Vec::new(),
            groups: 5,
            bootstrap: 0,
            seed: 2021,
            ibs_points: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValidationError {
    #[error("no horizons: give at least one time")]
    NoTimes,
    #[error("horizon {0} is not a positive finite time")]
    BadTime(f64),
    #[error("at least 2 calibration groups are needed")]
    Groups,
    #[error("{groups} calibration groups for {n} patients: every group needs patients; use at most {n} groups (5 or 10 are usual)")]
    TooManyGroups { groups: usize, n: usize },
    #[error(
        "{0} bootstrap resamples is more than the {MAX_BOOTSTRAP} allowed (200 to 1000 are usual)"
    )]
    TooManyResamples(usize),
    #[error("concordance: {0}")]
    Concordance(String),
    #[error("time-dependent AUC / Brier score: {0}")]
    Metrics(String),
    #[error("calibration: {0}")]
    Calibration(String),
    #[error("Kaplan-Meier: {0}")]
    Km(String),
    #[error("refitting the model: {0}")]
    Refit(String),
    #[error("decision curve: {0}")]
    Decision(String),
    #[error("{0}")]
    Interrupted(#[from] crate::stats::control::Interrupted),
}

/// One group of the grouped calibration curve at a horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalGroup {
    pub n: usize,
    /// Mean predicted survival at the horizon.
    pub predicted: f64,
    /// Kaplan-Meier survival at the horizon among the group, with its 95% limits.
    pub observed: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Calibration at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonCalibration {
    pub ici: Option<f64>,
    pub e50: Option<f64>,
    pub e90: Option<f64>,
    pub emax: Option<f64>,
    /// Calibration slope (Cox model of the outcome on the linear predictor); the same at every
    /// horizon.
    pub slope: f64,
    /// Observed (Kaplan-Meier) over expected (mean predicted) risk at the horizon.
    pub observed_expected: f64,
    pub groups: Vec<CalGroup>,
    /// The smooth calibration curve: (predicted risk, observed risk) pairs; empty when the
    /// horizon is past the calibration model's support.
    pub smooth: Vec<(f64, f64)>,
    /// Why the smooth calibration is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smooth_note: Option<String>,
}

/// Measures at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonReport {
    pub time: f64,
    pub auc: Option<f64>,
    pub brier: f64,
    /// Brier score of the Kaplan-Meier null model (no covariates).
    pub null_brier: f64,
    /// Index of prediction accuracy, 1 - brier / null_brier (the scaled Brier score).
    pub ipa: f64,
    pub calibration: HorizonCalibration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnoC {
    pub c: f64,
    pub se: f64,
    pub tau: f64,
}

/// Every measure on one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub n: usize,
    pub events: usize,
    pub harrell_c: Concordance,
    pub uno_c: UnoC,
    pub slope: Slope,
    pub mean_auc: Option<f64>,
    pub horizons: Vec<HorizonReport>,
    /// Integrated Brier score over [first horizon, last horizon].
    pub ibs: f64,
    pub bootstrap: Option<BootstrapReport>,
}

/// The measures the bootstrap corrects.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Measures {
    pub harrell_c: f64,
    pub slope: f64,
}

/// The optimism-corrected grouped calibration curve at one horizon (`rms::calibrate`, KM method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedCurve {
    pub time: f64,
    /// Per group: mean predicted, apparent observed, optimism, corrected observed.
    pub groups: Vec<CorrectedGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedGroup {
    /// The number (from 1) of the grouped calibration's group this is, where the corrected curve
    /// leaves groups out (a competing-risks model's; None for a Cox model's, whose groups are
    /// numbered in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
    pub predicted: f64,
    pub observed: f64,
    pub optimism: f64,
    pub corrected: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapReport {
    pub resamples: usize,
    /// Resamples whose refit failed (e.g. no events, a constant term) and were left out.
    pub failed: usize,
    pub seed: u64,
    pub apparent: Measures,
    pub optimism: Measures,
    pub corrected: Measures,
    pub calibration: Vec<CorrectedCurve>,
}

/// Data to evaluate a model on: design (the model's terms), outcome, strata, optional weights.
#[derive(Debug, Clone, Copy)]
pub struct EvalData<'a> {
    pub design: &'a Design,
    pub surv: &'a Surv,
    pub strata: &'a [usize],
    pub weights: Option<&'a [f64]>,
}

/// The most bootstrap resamples [`bootstrap`] runs: its results take memory per resample, and
/// beyond this many the optimism estimate changes no digit that is reported.
pub const MAX_BOOTSTRAP: usize = 100_000;

fn check(opts: &ValidationOptions, n: usize) -> Result<(), ValidationError> {
    if opts.bootstrap > MAX_BOOTSTRAP {
        return Err(ValidationError::TooManyResamples(opts.bootstrap));
    }
    if opts.groups > n {
        return Err(ValidationError::TooManyGroups {
            groups: opts.groups,
            n,
        });
    }
    if opts.times.is_empty() {
        return Err(ValidationError::NoTimes);
    }
    if let Some(&t) = opts.times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
        return Err(ValidationError::BadTime(t));
    }
    if opts.groups < 2 {
        return Err(ValidationError::Groups);
    }
    Ok(())
}

/// Centred linear predictors of every row under `fit`.
pub fn linear_predictors(fit: &CoxFit, design: &Design) -> Vec<f64> {
    (0..design.n)
        .map(|i| fit.linear_predictor(design.row(i)))
        .collect()
}

/// Group boundaries: rows sorted by predicted survival, split into `g` groups of near-equal size.
fn group_of(pred: &[f64], g: usize) -> Vec<usize> {
    let n = pred.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]));
    let mut group = vec![0; n];
    for (rank, &i) in order.iter().enumerate() {
        group[i] = (rank * g / n).min(g - 1);
    }
    group
}

fn km_at(surv: &Surv, rows: &[usize], t: f64) -> Result<km::KmPoint, ValidationError> {
    let sub = surv.subset(rows);
    let k = km::kaplan_meier(&sub, None, &KmOptions::default())
        .map_err(|e| ValidationError::Km(e.to_string()))?;
    Ok(k.at(t))
}

/// Grouped calibration at `u`: groups by predicted S(u), Kaplan-Meier observed per group.
fn grouped(surv: &Surv, pred: &[f64], u: f64, g: usize) -> Result<Vec<CalGroup>, ValidationError> {
    let group = group_of(pred, g);
    let mut out = Vec::with_capacity(g);
    for k in 0..g {
        let rows: Vec<usize> = (0..pred.len()).filter(|&i| group[i] == k).collect();
        if rows.is_empty() {
            continue;
        }
        let pt = km_at(surv, &rows, u)?;
        out.push(CalGroup {
            n: rows.len(),
            predicted: rows.iter().map(|&i| pred[i]).sum::<f64>() / rows.len() as f64,
            observed: pt.surv,
            lower: pt.lower,
            upper: pt.upper,
        });
    }
    Ok(out)
}

/// The last event time of `surv` (-infinity without events): the AUC and the ROC curve are
/// computed only at horizons before it.
fn last_event_time(surv: &Surv) -> f64 {
    surv.time()
        .iter()
        .zip(surv.event())
        .filter(|(_, &e)| e)
        .map(|(&t, _)| t)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The curves behind the validation figures at one horizon. They are computed on demand by
/// [`horizon_curves`], not in the report: the ROC curve has a point per distinct risk score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HorizonCurves {
    pub time: f64,
    /// Predicted risk 1 - S_i(t) of every subject, in data order.
    pub risk: Vec<f64>,
    /// The cumulative/dynamic ROC curve of the linear predictor (the marker of the AUC), whose
    /// area is the report's AUC; `None` where the report has no AUC (a horizon at or after the
    /// last event time) or it is NaN (no event by the horizon).
    pub roc: Option<RocCurve>,
    /// The decision curve of the predicted risks.
    pub decision: DecisionCurve,
}

/// The ROC and decision curves of `fit` on `data` at each of `times`, from the same predictions
/// as [`evaluate`]: the ROC curve of the linear predictor with the validation data as training
/// and test data ([`metrics::cumulative_dynamic_roc`]), and the decision curve of the predicted
/// risks 1 - S_i(t) ([`decision::decision_curve`]).
pub fn horizon_curves(
    fit: &CoxFit,
    data: EvalData<'_>,
    times: &[f64],
    decision: &DecisionOptions,
) -> Result<Vec<HorizonCurves>, ValidationError> {
    let surv = data.surv;
    let lp = linear_predictors(fit, data.design);
    let last_event = last_event_time(surv);
    times
        .iter()
        .map(|&t| {
            if !(t.is_finite() && t > 0.0) {
                return Err(ValidationError::BadTime(t));
            }
            let risk: Vec<f64> = lp
                .iter()
                .zip(data.strata)
                .map(|(&l, &s)| 1.0 - fit.survival_at_lp(l, s, t))
                .collect();
            let roc = if t < last_event {
                match metrics::cumulative_dynamic_roc(surv, surv, &lp, t) {
                    Ok(r) => Some(r),
                    Err(MetricsError::NoCases { .. }) => None,
                    Err(e) => return Err(ValidationError::Metrics(e.to_string())),
                }
            } else {
                None
            };
            let decision = decision::decision_curve(surv, &risk, t, decision)
                .map_err(|e| ValidationError::Decision(e.to_string()))?;
            Ok(HorizonCurves {
                time: t,
                risk,
                roc,
                decision,
            })
        })
        .collect()
}

/// Every measure for `fit` on `data` (external validation, or apparent performance on the
/// development data), without the bootstrap.
pub fn evaluate(
    fit: &CoxFit,
    data: EvalData<'_>,
    opts: &ValidationOptions,
) -> Result<ValidationReport, ValidationError> {
    check(opts, data.surv.len())?;
    let surv = data.surv;
    let lp = linear_predictors(fit, data.design);
    let strata_opt = (fit.baseline.len() > 1).then_some(data.strata);
    let harrell = concordance::harrell(surv, &lp, strata_opt, data.weights)
        .map_err(|e| ValidationError::Concordance(e.to_string()))?;
    let tau = opts.times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let uno = concordance::uno(surv, &lp, tau)
        .map_err(|e| ValidationError::Concordance(e.to_string()))?;
    let slope = calibration::calibration_slope(surv, &lp)
        .map_err(|e| ValidationError::Calibration(e.to_string()))?;
    let pred_at = |t: f64| -> Vec<f64> {
        lp.iter()
            .zip(data.strata)
            .map(|(&l, &s)| fit.survival_at_lp(l, s, t))
            .collect()
    };
    // AUC is defined only before the last event time; later horizons get none
    let last_event = last_event_time(surv);
    let auc_times: Vec<f64> = opts
        .times
        .iter()
        .copied()
        .filter(|&t| t < last_event)
        .collect();
    let auc = if auc_times.is_empty() {
        None
    } else {
        Some(
            metrics::cumulative_dynamic_auc(surv, surv, &lp, &auc_times)
                .map_err(|e| ValidationError::Metrics(e.to_string()))?,
        )
    };
    let preds: Vec<Vec<f64>> = opts.times.iter().map(|&t| pred_at(t)).collect();
    let brier = metrics::brier_scores(surv, surv, &preds, &opts.times)
        .map_err(|e| ValidationError::Metrics(e.to_string()))?;
    let null_pred = metrics::km_null_predictions(surv, &opts.times);
    let null_preds: Vec<Vec<f64>> = null_pred.iter().map(|&s| vec![s; surv.len()]).collect();
    let null_brier = metrics::brier_scores(surv, surv, &null_preds, &opts.times)
        .map_err(|e| ValidationError::Metrics(e.to_string()))?;

    let mut horizons = Vec::new();
    for (k, &u) in opts.times.iter().enumerate() {
        let pred = &preds[k];
        let km_all = km_at(surv, &(0..surv.len()).collect::<Vec<_>>(), u)?;
        let oe = calibration::observed_expected(surv, pred, u, km_all.surv);
        let smooth: Result<SmoothCalibration, _> = calibration::smooth_calibration(surv, pred, u);
        let (ici, e50, e90, emax, curve, note) = match smooth {
            Ok(s) => (
                Some(s.ici),
                Some(s.e50),
                Some(s.e90),
                Some(s.emax),
                s.curve,
                None,
            ),
            Err(e) => (None, None, None, None, Vec::new(), Some(e.to_string())),
        };
        horizons.push(HorizonReport {
            time: u,
            auc: auc
                .as_ref()
                .and_then(|a| a.times.iter().position(|&t| t == u).map(|j| a.auc[j])),
            brier: brier[k],
            null_brier: null_brier[k],
            ipa: metrics::ipa(brier[k], null_brier[k]),
            calibration: HorizonCalibration {
                ici,
                e50,
                e90,
                emax,
                slope: slope.slope,
                observed_expected: oe,
                groups: grouped(surv, pred, u, opts.groups)?,
                smooth: curve,
                smooth_note: note,
            },
        });
    }
    // integrated Brier score on an even grid over [first, last horizon]
    let t0 = opts.times.iter().copied().fold(f64::INFINITY, f64::min);
    let ibs = if tau > t0 && opts.ibs_points >= 2 {
        let grid: Vec<f64> = (0..opts.ibs_points)
            .map(|i| t0 + (tau - t0) * i as f64 / (opts.ibs_points - 1) as f64)
            .collect();
        let gp: Vec<Vec<f64>> = grid.iter().map(|&t| pred_at(t)).collect();
        let bs = metrics::brier_scores(surv, surv, &gp, &grid)
            .map_err(|e| ValidationError::Metrics(e.to_string()))?;
        metrics::integrated_brier(&grid, &bs)
    } else {
        brier[0]
    };
    Ok(ValidationReport {
        n: surv.len(),
        events: surv.n_events(),
        harrell_c: harrell,
        uno_c: UnoC {
            c: uno.c,
            se: uno.se,
            tau,
        },
        slope,
        mean_auc: auc.map(|a| a.mean_auc),
        horizons,
        ibs,
        bootstrap: None,
    })
}

/// Fit options and extras for refitting on a resample.
/// A fit on resampled rows, with the resample's design, outcome, strata and weights.
struct Refit {
    fit: CoxFit,
    design: Design,
    surv: Surv,
    strata: Vec<usize>,
    weights: Option<Vec<f64>>,
}

/// Refits on `rows` (repeats allowed). With `n_strata > 1` the model is stratified, and a
/// resample that misses a stratum is an error (its baseline would be undefined).
fn refit(
    data: EvalData<'_>,
    rows: &[usize],
    n_strata: usize,
    opts: &CoxOptions,
) -> Result<Refit, ValidationError> {
    let p = data.design.p;
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&i| data.design.x[i * p..(i + 1) * p].iter().copied())
        .collect();
    let design = Design::new(x, rows.len(), data.design.names.clone())
        .map_err(|e| ValidationError::Refit(e.to_string()))?;
    let surv = data.surv.subset(rows);
    let strata: Vec<usize> = rows.iter().map(|&i| data.strata[i]).collect();
    let weights: Option<Vec<f64>> = data.weights.map(|w| rows.iter().map(|&i| w[i]).collect());
    let stratified = n_strata > 1;
    if stratified {
        let mut seen = vec![false; n_strata];
        strata.iter().for_each(|&s| seen[s] = true);
        if seen.contains(&false) {
            return Err(ValidationError::Refit(
                "a stratum is missing from the resample".into(),
            ));
        }
    }
    let fit = cox::fit(
        &design,
        &surv,
        FitExtras {
            weights: weights.as_deref(),
            strata: stratified.then_some(strata.as_slice()),
        },
        opts,
    )
    .map_err(|e| ValidationError::Refit(e.to_string()))?;
    Ok(Refit {
        fit,
        design,
        surv,
        strata,
        weights,
    })
}

/// C (with the case weights, as the reported C) and slope of `fit` on a data set.
fn measures(fit: &CoxFit, on: &Refit) -> Option<Measures> {
    let lp = linear_predictors(fit, &on.design);
    let strata_opt = (fit.baseline.len() > 1).then_some(on.strata.as_slice());
    let c = concordance::harrell(&on.surv, &lp, strata_opt, on.weights.as_deref())
        .ok()?
        .c;
    let surv = &on.surv;
    let slope = calibration::calibration_slope(surv, &lp).ok()?.slope;
    Some(Measures {
        harrell_c: c,
        slope,
    })
}

/// Kaplan-Meier S(u) of any multiset of rows of one outcome without sorting: rows carry the rank
/// of their time among the outcome's distinct times, so a subset's estimate is a count per rank
/// (O(subset + distinct times)). Used in the bootstrap, where it is needed thousands of times.
struct TimeRanks {
    times: Vec<f64>,
    rank: Vec<usize>,
}

impl TimeRanks {
    fn new(surv: &Surv) -> TimeRanks {
        let mut times = surv.time().to_vec();
        times.sort_by(|a, b| a.total_cmp(b));
        times.dedup();
        let rank = surv
            .time()
            .iter()
            .map(|t| times.partition_point(|x| x < t))
            .collect();
        TimeRanks { times, rank }
    }

    /// Product-limit S(u) over `rows` (indices into the outcome, repeats allowed).
    fn km_at(
        &self,
        surv: &Surv,
        rows: &[usize],
        u: f64,
        at: &mut [usize],
        dead: &mut [usize],
    ) -> f64 {
        at.iter_mut().for_each(|v| *v = 0);
        dead.iter_mut().for_each(|v| *v = 0);
        for &i in rows {
            at[self.rank[i]] += 1;
            if surv.event()[i] {
                dead[self.rank[i]] += 1;
            }
        }
        let mut n_risk = rows.len();
        let mut s = 1.0;
        for (k, &t) in self.times.iter().enumerate() {
            if t > u {
                break;
            }
            if dead[k] > 0 {
                s *= 1.0 - dead[k] as f64 / n_risk as f64;
            }
            n_risk -= at[k];
        }
        s
    }
}

/// Mean predicted and Kaplan-Meier observed S(u) per interval of predicted survival (`cuts` are
/// the upper bounds of all groups but the last), for the rows `rows` of the outcome with
/// predictions `pred` (one per entry of `rows`); None for an interval with fewer than 2 rows.
fn interval_errors(
    ranks: &TimeRanks,
    surv: &Surv,
    rows: &[usize],
    pred: &[f64],
    cuts: &[f64],
    u: f64,
) -> Vec<Option<(f64, f64)>> {
    let g = cuts.len() + 1;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); g];
    let mut sums = vec![0.0; g];
    for (&i, &v) in rows.iter().zip(pred) {
        let k = cuts.iter().position(|&c| v <= c).unwrap_or(g - 1);
        members[k].push(i);
        sums[k] += v;
    }
    let mut at = vec![0; ranks.times.len()];
    let mut dead = vec![0; ranks.times.len()];
    members
        .iter()
        .zip(sums)
        .map(|(m, sum)| {
            (m.len() >= 2).then(|| {
                (
                    sum / m.len() as f64,
                    ranks.km_at(surv, m, u, &mut at, &mut dead),
                )
            })
        })
        .collect()
}

/// Harrell's bootstrap optimism correction: `b` resamples with replacement, the model refitted
/// on each with the same specification; each measure on the resample (apparent) and on the
/// original data (test); optimism = mean(apparent - test); corrected = original apparent -
/// optimism. The grouped calibration curve is corrected likewise with the original cut-points
/// (`rms::calibrate`, `cmethod = "KM"`). Resample r uses a ChaCha8 stream seeded from (seed, r),
/// and the results are combined in resample order: the same for any number of threads.
pub fn bootstrap(
    data: EvalData<'_>,
    fit_opts: &CoxOptions,
    opts: &ValidationOptions,
) -> Result<BootstrapReport, ValidationError> {
    bootstrap_with(data, fit_opts, opts, &Control::default())
}

/// What the bootstrap counts in its progress and in [`Interrupted`](crate::stats::control::Interrupted).
pub const RESAMPLES: &str = "bootstrap resamples";

/// [`bootstrap`], telling `control` of each resample done and stopping between resamples when
/// it is cancelled ([`ValidationError::Interrupted`]). Results do not depend on `control`.
pub fn bootstrap_with(
    data: EvalData<'_>,
    fit_opts: &CoxOptions,
    opts: &ValidationOptions,
    control: &Control<'_>,
) -> Result<BootstrapReport, ValidationError> {
    check(opts, data.surv.len())?;
    control.check(RESAMPLES, 0, opts.bootstrap as u64)?;
    let n = data.surv.len();
    let all: Vec<usize> = (0..n).collect();
    let n_strata = data.strata.iter().copied().max().map_or(1, |m| m + 1);
    let orig = refit(data, &all, n_strata, fit_opts)?;
    let fit0 = &orig.fit;
    let apparent = measures(fit0, &orig)
        .ok_or_else(|| ValidationError::Refit("no measures on the full data".into()))?;
    let (design0, strata0) = (&orig.design, &orig.strata);
    // original cut-points and apparent curve per horizon
    let lp0 = linear_predictors(fit0, design0);
    let ranks = TimeRanks::new(data.surv);
    let mut cuts = Vec::new();
    let mut app_curve = Vec::new();
    for &u in &opts.times {
        let pred: Vec<f64> = lp0
            .iter()
            .zip(strata0)
            .map(|(&l, &s)| fit0.survival_at_lp(l, s, u))
            .collect();
        // cut-points: the largest prediction of each group of the grouped curve but the last
        let group = group_of(&pred, opts.groups);
        let mut c = vec![f64::NEG_INFINITY; opts.groups - 1];
        for (&v, &k) in pred.iter().zip(&group) {
            if k < opts.groups - 1 && v > c[k] {
                c[k] = v;
            }
        }
        app_curve.push(interval_errors(&ranks, data.surv, &all, &pred, &c, u));
        cuts.push(c);
    }

    // per resample: apparent and test measures, and per horizon the optimism of each group
    type Replicate = (Measures, Measures, Vec<Vec<Option<f64>>>);
    let replicate = |r: usize| -> Option<Replicate> {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(r as u64 + 1);
        let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let b = refit(data, &rows, n_strata, fit_opts).ok()?;
        let fit_b = &b.fit;
        let app = measures(fit_b, &b)?;
        let test = measures(fit_b, &orig)?;
        let (strata_b, lp_b) = (&b.strata, linear_predictors(fit_b, &b.design));
        let lp_t = linear_predictors(fit_b, design0);
        let mut opt_curve = Vec::new();
        for (k, &u) in opts.times.iter().enumerate() {
            let pb: Vec<f64> = lp_b
                .iter()
                .zip(strata_b)
                .map(|(&l, &s)| fit_b.survival_at_lp(l, s, u))
                .collect();
            let pt: Vec<f64> = lp_t
                .iter()
                .zip(strata0)
                .map(|(&l, &s)| fit_b.survival_at_lp(l, s, u))
                .collect();
            let eb = interval_errors(&ranks, data.surv, &rows, &pb, &cuts[k], u);
            let et = interval_errors(&ranks, data.surv, &all, &pt, &cuts[k], u);
            opt_curve.push(
                eb.iter()
                    .zip(&et)
                    .map(|(a, b)| match (a, b) {
                        (Some((pa, oa)), Some((pb, ob))) => Some((oa - pa) - (ob - pb)),
                        _ => None,
                    })
                    .collect(),
            );
        }
        Some((app, test, opt_curve))
    };
    let total = opts.bootstrap as u64;
    let done = AtomicU64::new(0);
    control.start(RESAMPLES, total);
    let reps: Result<Vec<Option<Replicate>>, ()> = (0..opts.bootstrap)
        .into_par_iter()
        .map(|r| {
            if control.cancelled() {
                return Err(());
            }
            let rep = replicate(r);
            done.fetch_add(1, Ordering::Relaxed);
            control.advance(1);
            Ok(rep)
        })
        .collect();
    let Ok(reps) = reps else {
        return Err(crate::stats::control::Interrupted {
            what: RESAMPLES.into(),
            done: done.load(Ordering::Relaxed),
            total,
        }
        .into());
    };
    let ok: Vec<&Replicate> = reps.iter().filter_map(|r| r.as_ref()).collect();
    let failed = reps.len() - ok.len();
    let m = ok.len().max(1) as f64;
    let optimism = Measures {
        harrell_c: ok
            .iter()
            .map(|r| r.0.harrell_c - r.1.harrell_c)
            .sum::<f64>()
            / m,
        slope: ok.iter().map(|r| r.0.slope - r.1.slope).sum::<f64>() / m,
    };
    let corrected = Measures {
        harrell_c: apparent.harrell_c - optimism.harrell_c,
        slope: apparent.slope - optimism.slope,
    };
    let calibration = opts
        .times
        .iter()
        .enumerate()
        .map(|(k, &u)| CorrectedCurve {
            time: u,
            groups: app_curve[k]
                .iter()
                .enumerate()
                .filter_map(|(j, a)| {
                    let (pred, obs) = (*a)?;
                    let vals: Vec<f64> = ok.iter().filter_map(|r| r.2[k][j]).collect();
                    let opt = if vals.is_empty() {
                        0.0
                    } else {
                        vals.iter().sum::<f64>() / vals.len() as f64
                    };
                    Some(CorrectedGroup {
                        group: None,
                        predicted: pred,
                        observed: obs,
                        optimism: opt,
                        corrected: (obs - opt).clamp(0.0, 1.0),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(BootstrapReport {
        resamples: opts.bootstrap,
        failed,
        seed: opts.seed,
        apparent,
        optimism,
        corrected,
        calibration,
    })
}

/// A seeded random split of rows into development and validation sets: within each group of
/// `labels` (one group for all rows when every label is equal), a fraction `train` (rounded) goes
/// to development. Stratifying by the event indicator keeps its proportion in both sets.
pub fn split_labels(labels: &[usize], train: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_groups = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut dev = Vec::new();
    let mut val = Vec::new();
    for g in 0..n_groups {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == g).collect();
        // Fisher-Yates shuffle, then the first round(train * len) go to development
        for i in (1..rows.len()).rev() {
            let j = rng.random_range(0..=i);
            rows.swap(i, j);
        }
        let k = (train * rows.len() as f64).round() as usize;
        dev.extend_from_slice(&rows[..k]);
        val.extend_from_slice(&rows[k..]);
    }
    dev.sort_unstable();
    val.sort_unstable();
    (dev, val)
}

/// [`split_labels`] on an outcome, optionally stratified by the event indicator.
pub fn split(surv: &Surv, train: f64, seed: u64, by_event: bool) -> (Vec<usize>, Vec<usize>) {
    let labels: Vec<usize> = surv
        .event()
        .iter()
        .map(|&e| usize::from(by_event && !e))
        .collect();
    split_labels(&labels, train, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_and_stratified() {
        let ev: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let s = Surv::new((0..100).map(|i| i as f64 + 1.0).collect(), ev).unwrap();
        let (d1, v1) = split(&s, 0.7, 7, true);
        let (d2, v2) = split(&s, 0.7, 7, true);
        assert_eq!((d1.clone(), v1.clone()), (d2, v2));
        assert_eq!(d1.len() + v1.len(), 100);
        assert_eq!(d1.iter().filter(|&&i| i % 4 == 0).count(), 18); // round(0.7 * 25)
        let (d3, _) = split(&s, 0.7, 8, true);
        assert_ne!(d1, d3);
    }

    #[test]
    fn groups_are_balanced() {
        let pred: Vec<f64> = (0..10).map(|i| i as f64 / 10.0).collect();
        let g = group_of(&pred, 5);
        for k in 0..5 {
            assert_eq!(g.iter().filter(|&&x| x == k).count(), 2);
        }
    }
}
