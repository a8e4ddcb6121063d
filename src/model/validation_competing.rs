//! Validation of a competing-risks model on data: per horizon the time-dependent AUC with its
//! standard error, the Brier score with the null (Aalen-Johansen) model's and IPA (as
//! `riskRegression::Score`), the truncated C-index (as `pec::cindex`), and grouped calibration
//! of predicted against Aalen-Johansen observed cumulative incidence; and Harrell's bootstrap
//! optimism correction for a Fine-Gray model, refitted with `crr` on each resample.
//!
//! Predictions come in as a matrix of predicted cumulative incidence (one vector per horizon, one
//! value per subject), so any model can be validated on any data ([`validate_predictions`]); the
//! bootstrap needs the design and the outcome to refit ([`bootstrap_fine_gray`]), and
//! [`fine_gray_cif`] turns a fitted Fine-Gray model and a design into that matrix.
//!
//! Numerical core: plain inputs, no I/O.

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

/// Grouped calibration at a horizon, as cumulative incidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingCalibration {
    pub groups: Vec<CifGroup>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingBootstrap {
    pub resamples: usize,
    /// Resamples where the refit or a measure failed (left out of the means).
    pub failed: usize,
    pub seed: u64,
    pub horizons: Vec<CorrectedHorizon>,
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
/// when the model was fitted on these data, external validation otherwise. No bootstrap here
/// (`opts.bootstrap` is ignored; see [`bootstrap_fine_gray`]).
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
        horizons.push(CompetingHorizon {
            time: s.time,
            auc: s.auc,
            auc_se: s.auc_se,
            brier: s.brier,
            null_brier: s.null_brier,
            ipa: s.ipa,
            cindex,
            calibration: CompetingCalibration { groups },
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

/// Harrell's bootstrap optimism correction of AUC, Brier score, IPA and truncated C-index for a
/// Fine-Gray model of `opts.cause` on `design` (the model's columns) and `surv`: `opts.bootstrap`
/// resamples with replacement, `crr` refitted on each; each measure of the refit on the resample
/// (apparent) and on the original data (test); optimism = mean(apparent - test); corrected =
/// apparent on the original data - optimism. Resample r draws its rows from a ChaCha8 stream
/// r + 1 seeded with `opts.seed`, exactly as the Cox bootstrap of [`crate::model::validation`],
/// and the results are combined in resample order: the same for any number of threads.
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
    let reps: Vec<Option<Vec<(CompetingMeasures, CompetingMeasures)>>> = (0..opts.bootstrap)
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
            Some(app.into_iter().zip(test).collect())
        })
        .collect();
    let ok: Vec<&Vec<(CompetingMeasures, CompetingMeasures)>> =
        reps.iter().filter_map(|r| r.as_ref()).collect();
    let failed = reps.len() - ok.len();
    let m = ok.len().max(1) as f64;
    let horizons = times
        .iter()
        .enumerate()
        .map(|(j, &time)| {
            let mean = |f: fn(&CompetingMeasures) -> f64| {
                ok.iter().map(|r| f(&r[j].0) - f(&r[j].1)).sum::<f64>() / m
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
    Ok(CompetingBootstrap {
        resamples: opts.bootstrap,
        failed,
        seed: opts.seed,
        horizons,
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
    if opts.bootstrap > 0 {
        report.bootstrap = Some(bootstrap_fine_gray(design, surv, &crr_opts, opts)?);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

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
