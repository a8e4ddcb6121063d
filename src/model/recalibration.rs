//! Updating a Cox model for a new population (Steyerberg, *Clinical Prediction Models*, ch. 20;
//! TRIPOD's "model updating"): recalibration-in-the-large, which keeps the coefficients and
//! re-estimates the baseline hazard on the new data (R: `coxph(Surv ~ offset(lp))` with
//! `basehaz`), and slope recalibration, which fits the new data on the old linear predictor alone
//! (R: `coxph(Surv ~ lp)`): every coefficient multiplied by the slope, and a new baseline.
//!
//! Numerical core: plain inputs (a fitted model, a design, an outcome), no I/O.

use crate::model::validation::{self, EvalData, ValidationError, ValidationOptions};
use crate::stats::cox::{self, CoefRow, CoxFit, CoxOptions, Design, FitExtras};
use serde::{Deserialize, Serialize};

/// The calibration of one model at one horizon on the new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCalibration {
    /// Mean predicted risk 1 - S(t | x) over the patients.
    pub mean_predicted: f64,
    /// Observed risk 1 - KM(t).
    pub observed: f64,
    /// Observed/expected ratio (1 = calibrated in the large).
    pub observed_expected: f64,
    /// Integrated calibration index of the smooth calibration curve (None when it cannot be
    /// estimated).
    pub ici: Option<f64>,
    pub brier: f64,
}

/// One horizon: the baseline cumulative hazards at x = 0 (per stratum) and the calibration of
/// the three models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecalibrationHorizon {
    pub time: f64,
    /// H0(t) at x = 0 (uncentred, R's `basehaz(centered = FALSE)`), one per stratum: of the
    /// original model, after recalibration-in-the-large, after slope recalibration.
    pub cumhaz0_original: Vec<f64>,
    pub cumhaz0_in_the_large: Vec<f64>,
    pub cumhaz0_slope: Vec<f64>,
    pub original: ModelCalibration,
    pub in_the_large: ModelCalibration,
    pub slope: ModelCalibration,
}

/// Both updated models with their calibration at the horizons versus the original model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recalibration {
    pub n: usize,
    pub events: usize,
    /// The slope of the old linear predictor in a Cox model of the new data (term "lp").
    pub slope: CoefRow,
    /// Log-likelihood of the new data under the original coefficients (with the new baseline) and
    /// under the slope-recalibrated model.
    pub loglik_in_the_large: f64,
    pub loglik_slope: f64,
    pub horizons: Vec<RecalibrationHorizon>,
    /// The updated fits, for writing as model files.
    #[serde(skip)]
    pub in_the_large_fit: Option<CoxFit>,
    #[serde(skip)]
    pub slope_fit: Option<CoxFit>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecalibrationError {
    #[error("the Cox model of the new data: {0}")]
    Cox(#[from] cox::CoxError),
    #[error("{0}")]
    Validation(#[from] ValidationError),
}

/// H0(t) at x = 0 of every stratum of `fit` (the stored baseline is at the fit's means).
fn cumhaz0(fit: &CoxFit, t: f64) -> Vec<f64> {
    let shift: f64 = fit.means.iter().zip(&fit.coef).map(|(m, b)| m * b).sum();
    (0..fit.baseline.len())
        .map(|s| {
            let b = &fit.baseline[s];
            b.index_at(t).map_or(0.0, |k| b.cumhaz[k] * (-shift).exp())
        })
        .collect()
}

fn calibration_of(
    fit: &CoxFit,
    data: EvalData<'_>,
    opts: &ValidationOptions,
) -> Result<Vec<ModelCalibration>, ValidationError> {
    let rep = validation::evaluate(fit, data, opts)?;
    let lp = validation::linear_predictors(fit, data.design);
    Ok(rep
        .horizons
        .iter()
        .map(|h| {
            let mean_predicted = lp
                .iter()
                .zip(data.strata)
                .map(|(&l, &s)| 1.0 - fit.survival_at_lp(l, s, h.time))
                .sum::<f64>()
                / lp.len() as f64;
            ModelCalibration {
                mean_predicted,
                observed: h.calibration.observed_expected * mean_predicted,
                observed_expected: h.calibration.observed_expected,
                ici: h.calibration.ici,
                brier: h.brier,
            }
        })
        .collect())
}

/// Recalibrates `fit` on `data` (a cohort of the new population, read with the model's
/// specification) and compares the calibration of the three models at `opts.times`.
pub fn recalibrate(
    fit: &CoxFit,
    data: EvalData<'_>,
    opts: &ValidationOptions,
) -> Result<Recalibration, RecalibrationError> {
    let strata_used = fit.baseline.len() > 1;
    let extras = FitExtras {
        weights: data.weights,
        strata: strata_used.then_some(data.strata),
    };
    // in the large: coefficients (and their variance) kept, the baseline of the new data
    let large = cox::fit_fixed(
        data.design,
        data.surv,
        extras,
        &fit.coef,
        fit.var.clone(),
        fit.ties,
        fit.conf_level,
    )?;
    // slope: the new data on the uncentred linear predictor x'beta alone
    let n = data.design.n;
    let lp: Vec<f64> = (0..n)
        .map(|i| {
            data.design
                .row(i)
                .iter()
                .zip(&fit.coef)
                .map(|(x, b)| x * b)
                .sum()
        })
        .collect();
    let lp_design = Design::new(lp, n, vec!["lp".to_string()])?;
    let slope_fit = cox::fit(
        &lp_design,
        data.surv,
        extras,
        &CoxOptions {
            ties: fit.ties,
            conf_level: fit.conf_level,
            ..CoxOptions::default()
        },
    )?;
    let gamma = slope_fit.coef[0];
    let v = slope_fit.var[0][0];
    // the slope model in the original terms: coefficients gamma beta, variance v beta beta'
    let coef: Vec<f64> = fit.coef.iter().map(|b| gamma * b).collect();
    let var: Vec<Vec<f64>> = fit
        .coef
        .iter()
        .map(|bi| fit.coef.iter().map(|bj| v * bi * bj).collect())
        .collect();
    let mut slope_model = cox::fit_fixed(
        data.design,
        data.surv,
        extras,
        &coef,
        var,
        fit.ties,
        fit.conf_level,
    )?;
    // its tests are those of the one-term fit on the linear predictor
    slope_model.loglik = slope_fit.loglik;
    slope_model.likelihood_ratio = slope_fit.likelihood_ratio;
    slope_model.wald = slope_fit.wald;
    slope_model.score = slope_fit.score;
    slope_model.iterations = slope_fit.iterations;
    slope_model.converged = slope_fit.converged;
    slope_model.warnings = slope_fit.warnings.clone();

    let cal_original = calibration_of(fit, data, opts)?;
    let cal_large = calibration_of(&large, data, opts)?;
    let cal_slope = calibration_of(&slope_model, data, opts)?;
    let horizons = opts
        .times
        .iter()
        .enumerate()
        .map(|(k, &t)| RecalibrationHorizon {
            time: t,
            cumhaz0_original: cumhaz0(fit, t),
            cumhaz0_in_the_large: cumhaz0(&large, t),
            cumhaz0_slope: cumhaz0(&slope_model, t),
            original: cal_original[k].clone(),
            in_the_large: cal_large[k].clone(),
            slope: cal_slope[k].clone(),
        })
        .collect();
    Ok(Recalibration {
        n: large.n,
        events: large.events,
        slope: slope_fit.coefficients().remove(0),
        loglik_in_the_large: large.loglik[1],
        loglik_slope: slope_fit.loglik[1],
        horizons,
        in_the_large_fit: Some(large),
        slope_fit: Some(slope_model),
    })
}
