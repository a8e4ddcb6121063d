//! Univariable Cox models and the choice of factors for the multivariable model, as nomogram
//! papers make it:
//!
//! - **all**: every listed factor;
//! - **univariable**: the factors whose univariable model has a likelihood-ratio p below a
//!   threshold (0.05 by default; some papers use 0.1). For a factor with one term the
//!   likelihood-ratio, Wald and score p differ only slightly; the likelihood-ratio test is the one
//!   that also covers a factor with several levels in one p;
//! - **backward elimination by AIC**, as R's `step(fit, direction = "backward")` with the default
//!   `k = 2`: from the full model, drop at each step the factor (all its terms) whose removal
//!   lowers AIC = -2 log L + 2 (number of terms) the most, until no removal lowers it. A model with
//!   no terms has AIC = -2 log L(0).
//!
//! Every model here is fitted on the same rows (the complete cases of every listed factor), so the
//! AIC values are comparable.

use crate::stats::cox::{self, CoefRow, CoxError, CoxOptions, Design, FitExtras};
use crate::stats::surv::Surv;
use serde::{Deserialize, Serialize};

/// How the multivariable model's factors are chosen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Selection {
    /// Every listed factor (the default).
    #[default]
    All,
    /// Factors with univariable likelihood-ratio p < `p_threshold`.
    Univariable {
        #[serde(default = "default_threshold")]
        p_threshold: f64,
    },
    /// Backward elimination by AIC.
    BackwardAic,
}

fn default_threshold() -> f64 {
    0.05
}

/// A factor: its name and the indices of its terms (columns of the design).
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    pub terms: Vec<usize>,
}

/// The univariable model of one factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Univariable {
    pub factor: String,
    pub rows: Vec<CoefRow>,
    /// Likelihood-ratio test of the factor (all its terms).
    pub lr_chisq: f64,
    pub df: f64,
    pub p: f64,
}

/// One step of backward elimination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Factors in the model before the step.
    pub factors: Vec<String>,
    pub aic: f64,
    /// The factor dropped (None at the last step: no removal lowers AIC).
    pub dropped: Option<String>,
    pub aic_after: Option<f64>,
}

/// The outcome of the selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionResult {
    pub selected: Vec<String>,
    pub univariable: Vec<Univariable>,
    pub steps: Vec<Step>,
}

/// The design restricted to the terms of `factors`.
pub fn sub_design(design: &Design, factors: &[&Factor]) -> Result<Design, CoxError> {
    let cols: Vec<usize> = factors
        .iter()
        .flat_map(|f| f.terms.iter().copied())
        .collect();
    let mut x = Vec::with_capacity(design.n * cols.len());
    for i in 0..design.n {
        let row = design.row(i);
        x.extend(cols.iter().map(|&c| row[c]));
    }
    Design::new(
        x,
        design.n,
        cols.iter().map(|&c| design.names[c].clone()).collect(),
    )
}

/// Univariable Cox model of every factor.
pub fn univariable(
    design: &Design,
    surv: &Surv,
    extras: FitExtras,
    factors: &[Factor],
    opts: &CoxOptions,
) -> Result<Vec<Univariable>, CoxError> {
    factors
        .iter()
        .map(|f| {
            let d = sub_design(design, &[f])?;
            let fit = cox::fit(&d, surv, extras, opts)?;
            Ok(Univariable {
                factor: f.name.clone(),
                rows: fit.coefficients(),
                lr_chisq: fit.likelihood_ratio.statistic,
                df: fit.likelihood_ratio.df,
                p: fit.likelihood_ratio.p,
            })
        })
        .collect()
}

/// -2 log L + 2 p of the model with `factors` (log L(0) when there are none).
fn aic(
    design: &Design,
    surv: &Surv,
    extras: FitExtras,
    factors: &[&Factor],
    opts: &CoxOptions,
    null_loglik: f64,
) -> Result<f64, CoxError> {
    if factors.is_empty() {
        return Ok(-2.0 * null_loglik);
    }
    let d = sub_design(design, factors)?;
    let fit = cox::fit(&d, surv, extras, opts)?;
    Ok(-2.0 * fit.loglik[1] + 2.0 * d.p as f64)
}

/// Chooses the factors.
pub fn select(
    design: &Design,
    surv: &Surv,
    extras: FitExtras,
    factors: &[Factor],
    how: &Selection,
    opts: &CoxOptions,
) -> Result<SelectionResult, CoxError> {
    let uni = univariable(design, surv, extras, factors, opts)?;
    let mut steps = Vec::new();
    let selected: Vec<String> = match how {
        Selection::All => factors.iter().map(|f| f.name.clone()).collect(),
        Selection::Univariable { p_threshold } => uni
            .iter()
            .filter(|u| u.p < *p_threshold)
            .map(|u| u.factor.clone())
            .collect(),
        Selection::BackwardAic => {
            let full: Vec<&Factor> = factors.iter().collect();
            let d = sub_design(design, &full)?;
            let null_loglik = cox::fit(&d, surv, extras, opts)?.loglik[0];
            let mut current = full;
            let mut current_aic = aic(design, surv, extras, &current, opts, null_loglik)?;
            loop {
                let mut best: Option<(usize, f64)> = None;
                for k in 0..current.len() {
                    let mut without = current.clone();
                    without.remove(k);
                    let a = aic(design, surv, extras, &without, opts, null_loglik)?;
                    if a < current_aic && best.is_none_or(|(_, b)| a < b) {
                        best = Some((k, a));
                    }
                }
                let names: Vec<String> = current.iter().map(|f| f.name.clone()).collect();
                match best {
                    Some((k, a)) => {
                        steps.push(Step {
                            factors: names,
                            aic: current_aic,
                            dropped: Some(current[k].name.clone()),
                            aic_after: Some(a),
                        });
                        current.remove(k);
                        current_aic = a;
                    }
                    None => {
                        steps.push(Step {
                            factors: names,
                            aic: current_aic,
                            dropped: None,
                            aic_after: None,
                        });
                        break;
                    }
                }
            }
            current.iter().map(|f| f.name.clone()).collect()
        }
    };
    Ok(SelectionResult {
        selected,
        univariable: uni,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A noise factor is dropped by backward AIC and by the univariable screen; the strong one
    /// stays; AIC values agree with -2 loglik + 2p of direct fits.
    #[test]
    fn selection_keeps_the_signal() {
        // deterministic data: risk rises with x1; x2 is unrelated noise
        let n = 200;
        let mut x = Vec::new();
        let mut time = Vec::new();
        let mut event = Vec::new();
        let mut state = 12345u64;
        let mut unif = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        for _ in 0..n {
            let x1 = unif();
            let x2 = unif();
            x.push(x1);
            x.push(x2);
            let t = -unif().ln() / (2.0 * x1).exp();
            time.push((t * 100.0).round() / 100.0 + 0.01);
            event.push(unif() < 0.8);
        }
        let design = Design::new(x, n, vec!["x1".into(), "x2".into()]).unwrap();
        let surv = Surv::new(time, event).unwrap();
        let factors = vec![
            Factor {
                name: "x1".into(),
                terms: vec![0],
            },
            Factor {
                name: "x2".into(),
                terms: vec![1],
            },
        ];
        let opts = CoxOptions::default();
        let ex = FitExtras::default();
        let r = select(&design, &surv, ex, &factors, &Selection::BackwardAic, &opts).unwrap();
        assert_eq!(r.selected, vec!["x1".to_string()]);
        assert_eq!(r.steps[0].dropped.as_deref(), Some("x2"));
        let full = cox::fit(&design, &surv, ex, &opts).unwrap();
        let want = -2.0 * full.loglik[1] + 4.0;
        assert!((r.steps[0].aic - want).abs() < 1e-9);
        let u = select(
            &design,
            &surv,
            ex,
            &factors,
            &Selection::Univariable { p_threshold: 0.05 },
            &opts,
        )
        .unwrap();
        assert!(u.selected.contains(&"x1".to_string()));
        assert!(u.univariable[0].p < 1e-6);
        let all = select(&design, &surv, ex, &factors, &Selection::All, &opts).unwrap();
        assert_eq!(all.selected.len(), 2);
    }
}
