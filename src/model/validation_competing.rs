//! Validation of a competing-risks model on data: per horizon the time-dependent AUC with its
//! standard error, the Brier score with the null (Aalen-Johansen) model's and IPA (as
//! `riskRegression::Score`), the truncated C-index (as `pec::cindex`), and grouped calibration
//! of predicted against Aalen-Johansen observed cumulative incidence with the observed/expected
//! ratio; the calibration slope of a Fine-Gray model's linear predictor (`crr` of the outcome on
//! it); and Harrell's bootstrap optimism correction for a Fine-Gray model, refitted with `crr` on
//! each resample (the measures, the slope and the grouped calibration curve).
//!
//! Predictions come in as a matrix of predicted cumulative incidence (one vector per horizon, one
//! value per subject), so any model can be validated on any data ([`validate_predictions`]); the
//! bootstrap needs the design and the outcome to refit ([`bootstrap_fine_gray`]), and
//! [`fine_gray_cif`] turns a fitted Fine-Gray model and a design into that matrix.
//!
//! Numerical core: plain inputs, no I/O.

pub use crate::model::validation::{CorrectedCurve, CorrectedGroup};
use crate::stats::competing::{
    self, calibration, metrics, CifGroup, CompetingSurv, CrrOptions, CumincOptions, FineGray,
};
use crate::stats::cox::Design;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetingValidationOptions {
    /// Horizons (strictly increasing, positive; at least one).
    pub times: Vec<f64>,
    /// The cause of interest (1 ..= number of causes). Default 1.
    pub cause: u32,
    /// Number of quantile groups of the grouped calibration. Default 5.
    pub groups: usize,
    /// Bootstrap resamples for the optimism correction; 0 (default) for none.
    pub bootstrap: usize,
    /// Seed of the bootstrap. Default 2021. Results do not depend on the number of threads.
    pub seed: u64,
}

impl Default for CompetingValidationOptions {
    fn default() -> Self {
        CompetingValidationOptions {
            times: Vec::new(),
            cause: 1,
            groups: 5,
            bootstrap: 0,
            seed: 2021,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompetingValidationError {
    #[error("no horizons: give at least one time")]
    NoTimes,
    #[error("horizon {0} is not a positive finite time")]
    BadTime(f64),
    #[error("horizons must be strictly increasing: {value} follows {previous}")]
    TimesNotIncreasing { previous: f64, value: f64 },
    #[error("at least 2 calibration groups are needed")]
    Groups,
    #[error(
        "{groups} calibration groups for {n} patients: use at most {n} groups (5 or 10 are usual)"
    )]
    TooManyGroups { groups: usize, n: usize },
    #[error(
        "{0} bootstrap resamples is more than the {max} allowed (200 to 1000 are usual)",
        max = crate::model::validation::MAX_BOOTSTRAP
    )]
    TooManyResamples(usize),
    #[error("{got} prediction vectors for {expected} horizons")]
    PredictionShape { got: usize, expected: usize },
    #[error("at horizon {time}: {source}")]
    Measure {
        time: f64,
        source: competing::CompetingError,
    },
    #[error("fitting the Fine-Gray model: {0}")]
    Fit(competing::CompetingError),
    #[error("{got} linear predictors for {expected} patients")]
    LinearPredictorShape { got: usize, expected: usize },
    #[error("calibration slope (Fine-Gray model of the outcome on the linear predictor): {0}")]
    Slope(competing::CompetingError),
}

/// Accuracy, discrimination and calibration at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingHorizon {
    pub time: f64,
    pub auc: f64,
    /// riskRegression's influence-function standard error of `auc`.
    pub auc_se: f64,
    pub brier: f64,
    /// Brier score of the Aalen-Johansen cumulative incidence predicted for everybody.
    pub null_brier: f64,
    /// 1 - brier / null_brier.
    pub ipa: f64,
    /// Truncated C-index of Wolbers et al. with the predicted cumulative incidence at this horizon.
    pub cindex: f64,
    pub calibration: CompetingCalibration,
}

impl CompetingHorizon {
    /// The AUC's 95% limits, AUC ± 1.959964 se cut to [0, 1] (as `riskRegression::Score`).
    pub fn auc_limits(&self) -> (f64, f64) {
        let z = crate::stats::dist::z_for_level(0.95);
        (
            (self.auc - z * self.auc_se).max(0.0),
            (self.auc + z * self.auc_se).min(1.0),
        )
    }
}

/// Grouped calibration at a horizon, as cumulative incidence, and calibration in the large.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingCalibration {
    /// Expected: the mean predicted cumulative incidence at the horizon.
    #[serde(default)]
    pub expected: f64,
    /// Observed: the Aalen-Johansen cumulative incidence of all patients at the horizon (`None`
    /// after the last follow-up time).
    #[serde(default)]
    pub observed: Option<f64>,
    /// observed / expected (1 = calibration in the large; above 1 the model under-predicts).
    #[serde(default)]
    pub observed_expected: Option<f64>,
    pub groups: Vec<CifGroup>,
}

/// The calibration slope of a competing-risks model: the coefficient of a Fine-Gray model of the
/// outcome on the model's linear predictor alone (R:
/// `crr(ftime, fstatus, cov1 = lp, failcode = cause, cencode = 0)`), with `crr`'s sandwich
/// standard error and Wald limits `slope -/+ z se`. 1 is ideal, below 1 the predictions are too
/// extreme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGraySlope {
    pub slope: f64,
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
    pub conf_level: f64,
    /// Whether `crr`'s Newton iterations met its convergence criterion.
    pub converged: bool,
}

/// The whole validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingValidationReport {
    pub n: usize,
    pub cause: u32,
    /// Events of the cause of interest, of the other causes, and censored.
    pub events: usize,
    pub competing: usize,
    pub censored: usize,
    /// The calibration slope of the model's linear predictor (a Fine-Gray model's only: `None`
    /// for predictions without one).
    #[serde(default)]
    pub slope: Option<FineGraySlope>,
    pub horizons: Vec<CompetingHorizon>,
    pub bootstrap: Option<CompetingBootstrap>,
}

/// The measures the bootstrap corrects, at one horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompetingMeasures {
    pub auc: f64,
    pub brier: f64,
    pub ipa: f64,
    pub cindex: f64,
}

/// Apparent, optimism (mean over resamples of apparent on the resample minus test on the
/// original data) and corrected (apparent - optimism) measures at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedHorizon {
    pub time: f64,
    pub apparent: CompetingMeasures,
    pub optimism: CompetingMeasures,
    pub corrected: CompetingMeasures,
}

/// The calibration slope's apparent value (the refit's linear predictor on the data), optimism
/// and corrected value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CorrectedSlope {
    pub apparent: f64,
    pub optimism: f64,
    pub corrected: f64,
    /// Resamples (of those not `failed`) whose slope fit failed: left out of `optimism` only.
    #[serde(default)]
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingBootstrap {
    pub resamples: usize,
    /// Resamples where the refit or a measure failed (left out of the means).
    pub failed: usize,
    pub seed: u64,
    pub horizons: Vec<CorrectedHorizon>,
    pub slope: CorrectedSlope,
    /// Per horizon the optimism-corrected grouped calibration: per group of the apparent
    /// calibration, mean predicted and Aalen-Johansen observed cumulative incidence, the
    /// optimism of observed - predicted and the corrected observed incidence.
    pub calibration: Vec<CorrectedCurve>,
}

fn check(opts: &CompetingValidationOptions, n: usize) -> Result<(), CompetingValidationError> {
    if opts.times.is_empty() {
        return Err(CompetingValidationError::NoTimes);
    }
    if let Some(&t) = opts.times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
        return Err(CompetingValidationError::BadTime(t));
    }
    if let Some(w) = opts.times.windows(2).find(|w| w[1] <= w[0]) {
        return Err(CompetingValidationError::TimesNotIncreasing {
            previous: w[0],
            value: w[1],
        });
    }
    if opts.groups < 2 {
        return Err(CompetingValidationError::Groups);
    }
    if opts.groups > n {
        return Err(CompetingValidationError::TooManyGroups {
            groups: opts.groups,
            n,
        });
    }
    if opts.bootstrap > crate::model::validation::MAX_BOOTSTRAP {
        return Err(CompetingValidationError::TooManyResamples(opts.bootstrap));
    }
    Ok(())
}

/// The predicted cumulative incidence of every row of `design` at each horizon (one vector per
/// horizon), as `predict.crr`.
pub fn fine_gray_cif(
    fit: &FineGray,
    design: &Design,
    times: &[f64],
) -> Result<Vec<Vec<f64>>, competing::CompetingError> {
    let mut out = vec![Vec::with_capacity(design.n); times.len()];
    for i in 0..design.n {
        for (j, v) in fit.predict(design.row(i), times)?.into_iter().enumerate() {
            out[j].push(v);
        }
    }
    Ok(out)
}

/// The linear predictor x'b of every row of `design` under `fit` (covariates on their own scale,
/// uncentred; the slope does not depend on a shift).
pub fn fine_gray_lp(fit: &FineGray, design: &Design) -> Vec<f64> {
    (0..design.n)
        .map(|i| {
            design
                .row(i)
                .iter()
                .zip(&fit.coef)
                .map(|(x, b)| x * b)
                .sum()
        })
        .collect()
}

/// The calibration slope of the linear predictor `lp` (one per patient of `surv`) for `cause`: the
/// Fine-Gray model of the outcome on `lp` alone, fitted with `crr`'s defaults (gtol 1e-6, at most
/// 10 Newton iterations), as `crr(ftime, fstatus, cov1 = lp, failcode = cause, cencode = 0)`.
/// On the data a Fine-Gray model was fitted to, the slope of its own linear predictor is 1 up to
/// `crr`'s convergence tolerance.
pub fn calibration_slope(
    surv: &CompetingSurv,
    cause: u32,
    lp: &[f64],
) -> Result<FineGraySlope, CompetingValidationError> {
    if lp.len() != surv.len() {
        return Err(CompetingValidationError::LinearPredictorShape {
            got: lp.len(),
            expected: surv.len(),
        });
    }
    let design = Design {
        n: lp.len(),
        p: 1,
        x: lp.to_vec(),
        names: vec!["lp".into()],
    };
    let opts = CrrOptions {
        cause,
        ..CrrOptions::default()
    };
    let fit = competing::crr(surv, &design, &opts).map_err(CompetingValidationError::Slope)?;
    let slope = fit.coef[0];
    let se = fit.se()[0];
    let z = crate::stats::dist::z_for_level(fit.level());
    Ok(FineGraySlope {
        slope,
        se,
        lower: slope - z * se,
        upper: slope + z * se,
        conf_level: fit.level(),
        converged: fit.converged,
    })
}

/// The cut-points of the grouped calibration of `pred` in `groups` quantile groups (the inner
/// breaks of [`calibration::quantile_groups`]): a prediction v is in interval
/// `cuts.partition_point(|&c| c < v)`, intervals (c_{k-1}, c_k] open at both ends, so that
/// predictions of another fit fall in one too. On `pred` itself these are the quantile groups.
fn cut_points(pred: &[f64], groups: usize) -> Vec<f64> {
    let breaks = calibration::quantile_breaks(pred, groups);
    if breaks.len() <= 2 {
        return Vec::new();
    }
    breaks[1..breaks.len() - 1].to_vec()
}

/// Per interval of `cuts`: the mean prediction and the Aalen-Johansen cumulative incidence of
/// `cause` at `tau` of its patients (`pred` one per patient of `surv`); `None` for an interval
/// with fewer than 2 patients or no estimate at `tau` (after its last follow-up).
fn interval_calibration(
    surv: &CompetingSurv,
    cause: u32,
    pred: &[f64],
    cuts: &[f64],
    tau: f64,
) -> Vec<Option<(f64, f64)>> {
    let k = cuts.len() + 1;
    let codes: Vec<usize> = pred
        .iter()
        .map(|&v| cuts.partition_point(|&c| c < v))
        .collect();
    let mut n = vec![0usize; k];
    let mut sum = vec![0.0; k];
    for (&q, &p) in codes.iter().zip(pred) {
        n[q] += 1;
        sum[q] += p;
    }
    let Ok(curves) = competing::cuminc(surv, Some(&codes), &CumincOptions::default()) else {
        return vec![None; k];
    };
    (0..k)
        .map(|q| {
            if n[q] < 2 {
                return None;
            }
            let observed = curves
                .iter()
                .find(|c| c.cause == cause && c.group == Some(q))
                .and_then(|c| c.at(tau))?
                .estimate;
            Some((sum[q] / n[q] as f64, observed))
        })
        .collect()
}

/// AUC, Brier, IPA and truncated C at each horizon (no standard error, no calibration): what the
/// bootstrap compares.
fn measures(
    surv: &CompetingSurv,
    cause: u32,
    predicted: &[Vec<f64>],
    times: &[f64],
) -> Result<Vec<CompetingMeasures>, CompetingValidationError> {
    let scores = metrics::score(surv, cause, predicted, times).map_err(|source| {
        CompetingValidationError::Measure {
            time: times[0],
            source,
        }
    })?;
    scores
        .iter()
        .zip(predicted)
        .map(|(s, p)| {
            let cindex = competing::truncated_cindex(surv, cause, p, s.time).map_err(|source| {
                CompetingValidationError::Measure {
                    time: s.time,
                    source,
                }
            })?;
            Ok(CompetingMeasures {
                auc: s.auc,
                brier: s.brier,
                ipa: s.ipa,
                cindex,
            })
        })
        .collect()
}

/// Validation of predicted cumulative incidence of `opts.cause` (`predicted[j]` at
/// `opts.times[j]`, one value per subject of `surv`) on the outcome `surv`: apparent validation
/// when the model was fitted on these data, external validation otherwise. No calibration slope
/// (predictions carry no linear predictor: set `slope` with [`calibration_slope`]) and no
/// bootstrap here (`opts.bootstrap` is ignored; see [`bootstrap_fine_gray`]).
pub fn validate_predictions(
    surv: &CompetingSurv,
    predicted: &[Vec<f64>],
    opts: &CompetingValidationOptions,
) -> Result<CompetingValidationReport, CompetingValidationError> {
    check(opts, surv.len())?;
    if predicted.len() != opts.times.len() {
        return Err(CompetingValidationError::PredictionShape {
            got: predicted.len(),
            expected: opts.times.len(),
        });
    }
    let cause = opts.cause;
    let at = |time: f64| move |source| CompetingValidationError::Measure { time, source };
    let scores = metrics::score(surv, cause, predicted, &opts.times).map_err(at(opts.times[0]))?;
    // the Aalen-Johansen cumulative incidence of everybody, for observed/expected
    let overall = competing::cuminc(surv, None, &CumincOptions::default())
        .map_err(at(opts.times[0]))?
        .into_iter()
        .find(|c| c.cause == cause);
    let mut horizons = Vec::with_capacity(scores.len());
    for (s, p) in scores.iter().zip(predicted) {
        let cindex = competing::truncated_cindex(surv, cause, p, s.time).map_err(at(s.time))?;
        let groups = calibration::grouped_calibration(
            surv,
            cause,
            p,
            s.time,
            opts.groups,
            &CumincOptions::default(),
        )
        .map_err(at(s.time))?;
        let expected = p.iter().sum::<f64>() / p.len() as f64;
        let observed = overall
            .as_ref()
            .and_then(|c| c.at(s.time))
            .map(|q| q.estimate);
        horizons.push(CompetingHorizon {
            time: s.time,
            auc: s.auc,
            auc_se: s.auc_se,
            brier: s.brier,
            null_brier: s.null_brier,
            ipa: s.ipa,
            cindex,
            calibration: CompetingCalibration {
                expected,
                observed,
                observed_expected: observed.filter(|_| expected > 0.0).map(|o| o / expected),
                groups,
            },
        });
    }
    let events = surv.n_events(cause);
    let censored = surv.n_events(0);
    Ok(CompetingValidationReport {
        n: surv.len(),
        cause,
        events,
        competing: surv.len() - events - censored,
        censored,
        slope: None,
        horizons,
        bootstrap: None,
    })
}

/// The rows `rows` of a design (repeats allowed).
fn design_rows(design: &Design, rows: &[usize]) -> Design {
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&i| design.row(i).iter().copied())
        .collect();
    Design {
        n: rows.len(),
        p: design.p,
        x,
        names: design.names.clone(),
    }
}

/// Harrell's bootstrap optimism correction of AUC, Brier score, IPA, truncated C-index, the
/// calibration slope and the grouped calibration curve, for a Fine-Gray model of `opts.cause` on
/// `design` (the model's columns) and `surv`: `opts.bootstrap` resamples with replacement, `crr`
/// refitted on each; each measure of the refit on the resample (apparent) and on the original
/// data (test); optimism = mean(apparent - test); corrected = apparent on the original data -
/// optimism. The calibration curve is corrected as the Cox model's (`rms::calibrate`,
/// `cmethod = "KM"`), with the Aalen-Johansen estimate in place of Kaplan-Meier: at each horizon
/// the cut-points of the original fit's quantile groups; per interval and resample the optimism
/// (observed - predicted on the resample) - (observed - predicted on the original data), both
/// with the refit's predictions; corrected observed = apparent observed - mean optimism, clamped
/// to [0, 1]. Resample r draws its rows from a ChaCha8 stream r + 1 seeded with `opts.seed`,
/// exactly as the Cox bootstrap of [`crate::model::validation`], and the results are combined in
/// resample order: the same for any number of threads.
pub fn bootstrap_fine_gray(
    design: &Design,
    surv: &CompetingSurv,
    crr_opts: &CrrOptions,
    opts: &CompetingValidationOptions,
) -> Result<CompetingBootstrap, CompetingValidationError> {
    check(opts, surv.len())?;
    let n = surv.len();
    let cause = opts.cause;
    let times = &opts.times;
    let crr_opts = CrrOptions {
        cause,
        ..crr_opts.clone()
    };
    let fit0 = competing::crr(surv, design, &crr_opts).map_err(CompetingValidationError::Fit)?;
    let pred0 = fine_gray_cif(&fit0, design, times).map_err(CompetingValidationError::Fit)?;
    let apparent = measures(surv, cause, &pred0, times)?;
    let slope0 = calibration_slope(surv, cause, &fine_gray_lp(&fit0, design))?.slope;
    // per horizon: the original cut-points and apparent curve
    let cuts: Vec<Vec<f64>> = pred0.iter().map(|p| cut_points(p, opts.groups)).collect();
    // per horizon and interval: the number of the grouped calibration's group (its non-empty
    // intervals numbered in order)
    let group_no: Vec<Vec<usize>> = pred0
        .iter()
        .zip(&cuts)
        .map(|(p, c)| {
            let mut n = vec![0usize; c.len() + 1];
            for &v in p {
                n[c.partition_point(|&x| x < v)] += 1;
            }
            let mut no = 0;
            n.iter()
                .map(|&m| {
                    no += usize::from(m > 0);
                    no
                })
                .collect()
        })
        .collect();
    let app_curve: Vec<Vec<Option<(f64, f64)>>> = times
        .iter()
        .zip(&pred0)
        .zip(&cuts)
        .map(|((&u, p), c)| interval_calibration(surv, cause, p, c, u))
        .collect();
    struct Replicate {
        measures: Vec<(CompetingMeasures, CompetingMeasures)>,
        /// The slope on the resample and on the original data (None where either fit fails:
        /// the replicate's other measures still count).
        slope: Option<(f64, f64)>,
        curve: Vec<Vec<Option<f64>>>,
    }
    let reps: Vec<Option<Replicate>> = (0..opts.bootstrap)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            rng.set_stream(r as u64 + 1);
            let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let d_b = design_rows(design, &rows);
            let s_b = surv.subset(&rows);
            let fit_b = competing::crr(&s_b, &d_b, &crr_opts).ok()?;
            let p_b = fine_gray_cif(&fit_b, &d_b, times).ok()?;
            let app = measures(&s_b, cause, &p_b, times).ok()?;
            let p_t = fine_gray_cif(&fit_b, design, times).ok()?;
            let test = measures(surv, cause, &p_t, times).ok()?;
            let slope_app = calibration_slope(&s_b, cause, &fine_gray_lp(&fit_b, &d_b)).ok();
            let slope_test = calibration_slope(surv, cause, &fine_gray_lp(&fit_b, design)).ok();
            let curve = (0..times.len())
                .map(|j| {
                    let eb = interval_calibration(&s_b, cause, &p_b[j], &cuts[j], times[j]);
                    let et = interval_calibration(surv, cause, &p_t[j], &cuts[j], times[j]);
                    eb.iter()
                        .zip(&et)
                        .map(|(a, b)| match (a, b) {
                            (Some((pa, oa)), Some((pb, ob))) => Some((oa - pa) - (ob - pb)),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            Some(Replicate {
                measures: app.into_iter().zip(test).collect(),
                slope: slope_app.zip(slope_test).map(|(a, t)| (a.slope, t.slope)),
                curve,
            })
        })
        .collect();
    let ok: Vec<&Replicate> = reps.iter().filter_map(|r| r.as_ref()).collect();
    let failed = reps.len() - ok.len();
    let m = ok.len().max(1) as f64;
    let horizons = times
        .iter()
        .enumerate()
        .map(|(j, &time)| {
            let mean = |f: fn(&CompetingMeasures) -> f64| {
                ok.iter()
                    .map(|r| f(&r.measures[j].0) - f(&r.measures[j].1))
                    .sum::<f64>()
                    / m
            };
            let optimism = CompetingMeasures {
                auc: mean(|x| x.auc),
                brier: mean(|x| x.brier),
                ipa: mean(|x| x.ipa),
                cindex: mean(|x| x.cindex),
            };
            let a = apparent[j];
            CorrectedHorizon {
                time,
                apparent: a,
                optimism,
                corrected: CompetingMeasures {
                    auc: a.auc - optimism.auc,
                    brier: a.brier - optimism.brier,
                    ipa: a.ipa - optimism.ipa,
                    cindex: a.cindex - optimism.cindex,
                },
            }
        })
        .collect();
    let slopes: Vec<f64> = ok
        .iter()
        .filter_map(|r| r.slope)
        .map(|(a, t)| a - t)
        .collect();
    let slope_optimism = if slopes.is_empty() {
        0.0
    } else {
        slopes.iter().sum::<f64>() / slopes.len() as f64
    };
    let calibration = times
        .iter()
        .enumerate()
        .map(|(j, &time)| CorrectedCurve {
            time,
            groups: app_curve[j]
                .iter()
                .enumerate()
                .filter_map(|(k, a)| {
                    let (predicted, observed) = (*a)?;
                    let vals: Vec<f64> = ok.iter().filter_map(|r| r.curve[j][k]).collect();
                    let optimism = if vals.is_empty() {
                        0.0
                    } else {
                        vals.iter().sum::<f64>() / vals.len() as f64
                    };
                    Some(CorrectedGroup {
                        group: Some(group_no[j][k]),
                        predicted,
                        observed,
                        optimism,
                        corrected: (observed - optimism).clamp(0.0, 1.0),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(CompetingBootstrap {
        resamples: opts.bootstrap,
        failed,
        seed: opts.seed,
        horizons,
        slope: CorrectedSlope {
            apparent: slope0,
            optimism: slope_optimism,
            corrected: slope0 - slope_optimism,
            failed: ok.len() - slopes.len(),
        },
        calibration,
    })
}

/// Apparent validation of a Fine-Gray model fitted with `crr` on `design` and `surv`, with the
/// bootstrap correction when `opts.bootstrap > 0`.
pub fn validate_fine_gray(
    design: &Design,
    surv: &CompetingSurv,
    crr_opts: &CrrOptions,
    opts: &CompetingValidationOptions,
) -> Result<CompetingValidationReport, CompetingValidationError> {
    check(opts, surv.len())?;
    let crr_opts = CrrOptions {
        cause: opts.cause,
        ..crr_opts.clone()
    };
    let fit = competing::crr(surv, design, &crr_opts).map_err(CompetingValidationError::Fit)?;
    let pred = fine_gray_cif(&fit, design, &opts.times).map_err(CompetingValidationError::Fit)?;
    let mut report = validate_predictions(surv, &pred, opts)?;
    // a slope that cannot be fitted leaves the other measures standing
    report.slope = calibration_slope(surv, opts.cause, &fine_gray_lp(&fit, design)).ok();
    if opts.bootstrap > 0 {
        report.bootstrap = Some(bootstrap_fine_gray(design, surv, &crr_opts, opts)?);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_limits_are_cut_to_the_unit_interval() {
        let mut h = CompetingHorizon {
            time: 12.0,
            auc: 0.7,
            auc_se: 0.05,
            brier: 0.1,
            null_brier: 0.12,
            ipa: 1.0 / 6.0,
            cindex: 0.7,
            calibration: CompetingCalibration {
                expected: 0.1,
                observed: Some(0.1),
                observed_expected: Some(1.0),
                groups: Vec::new(),
            },
        };
        let (lo, hi) = h.auc_limits();
        assert!((lo - (0.7 - 1.959963984540054 * 0.05)).abs() < 1e-12);
        assert!((hi - (0.7 + 1.959963984540054 * 0.05)).abs() < 1e-12);
        h.auc = 0.98;
        assert_eq!(h.auc_limits().1, 1.0);
        h.auc = 0.03;
        assert_eq!(h.auc_limits().0, 0.0);
    }

    fn toy() -> (Design, CompetingSurv) {
        // 60 subjects, one covariate raising the incidence of cause 1
        let n = 60;
        let mut x = Vec::new();
        let mut t = Vec::new();
        let mut c = Vec::new();
        for i in 0..n {
            let xi = (i % 6) as f64;
            x.push(xi);
            t.push(((i * 7919) % 97) as f64 / 10.0 + 1.0 / (1.0 + xi));
            c.push(match (i * 31) % 5 {
                0 => 0,
                1 | 2 => 1,
                3 => 2,
                _ => u32::from(xi > 2.0),
            });
        }
        (
            Design::new(x, n, vec!["x".into()]).unwrap(),
            CompetingSurv::new(t, c).unwrap(),
        )
    }

    #[test]
    fn cut_points_give_the_quantile_groups() {
        let preds: [Vec<f64>; 3] = [
            (0..37).map(|i| ((i * 17) % 23) as f64 / 23.0).collect(),
            vec![0.2, 0.2, 0.2, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9],
            vec![0.3; 6],
        ];
        for p in &preds {
            for g in [2, 5, 10] {
                let cuts = cut_points(p, g);
                let (groups, k) = calibration::quantile_groups(p, g);
                assert_eq!(cuts.len() + 1, k);
                for (&v, &q) in p.iter().zip(&groups) {
                    assert_eq!(cuts.partition_point(|&c| c < v), q);
                }
            }
        }
    }

    #[test]
    fn checks_options() {
        let (_, s) = toy();
        let p = vec![vec![0.5; s.len()]];
        let mut o = CompetingValidationOptions::default();
        assert_eq!(
            validate_predictions(&s, &p, &o),
            Err(CompetingValidationError::NoTimes)
        );
        o.times = vec![2.0, 1.0];
        assert!(matches!(
            validate_predictions(&s, &p, &o),
            Err(CompetingValidationError::TimesNotIncreasing { .. })
        ));
        o.times = vec![3.0];
        o.groups = 1;
        assert_eq!(
            validate_predictions(&s, &p, &o),
            Err(CompetingValidationError::Groups)
        );
        o.groups = 5;
        assert_eq!(
            validate_predictions(&s, &[], &o),
            Err(CompetingValidationError::PredictionShape {
                got: 0,
                expected: 1
            })
        );
    }

    #[test]
    fn bootstrap_is_the_same_for_any_thread_count_and_reproducible() {
        let (d, s) = toy();
        let o = CompetingValidationOptions {
            times: vec![3.0, 6.0],
            bootstrap: 12,
            ..Default::default()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| bootstrap_fine_gray(&d, &s, &CrrOptions::default(), &o).unwrap());
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| bootstrap_fine_gray(&d, &s, &CrrOptions::default(), &o).unwrap());
        assert_eq!(one, two);
        assert_eq!(one.resamples, 12);
        for h in &one.horizons {
            let c = h.apparent.auc - h.optimism.auc;
            assert_eq!(h.corrected.auc, c);
        }
        let other = bootstrap_fine_gray(
            &d,
            &s,
            &CrrOptions::default(),
            &CompetingValidationOptions { seed: 7, ..o },
        )
        .unwrap();
        assert_ne!(one.horizons[0].optimism, other.horizons[0].optimism);
    }
}
