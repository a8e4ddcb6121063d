//! Risk groups: patients split by a score (total nomogram points or the linear predictor) at
//! cut-offs, then compared: per group n, events, the Kaplan-Meier curve, median survival, the
//! hazard ratio against the lowest-risk group (a Cox model on group indicators, Efron ties), and
//! the log-rank test across groups.
//!
//! Cut-offs c_1 < ... < c_{k-1} make k groups (-inf, c_1], (c_1, c_2], ..., (c_{k-1}, inf), as
//! R's `cut(score, c(-Inf, cuts, Inf))` with its default `right = TRUE`. Quantile cut-offs are R's
//! type-7 quantiles at 1/k, ..., (k-1)/k of the scores they are chosen on, which should be the
//! development cohort's: the same cut-offs are then applied unchanged to a validation cohort.

use crate::stats::cox::{self, CoxError, CoxOptions, Design, FitExtras};
use crate::stats::km::{self, KaplanMeier, KmError, KmOptions, LogRank};
use crate::stats::surv::Surv;
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum RiskGroupError {
    #[error("cut-offs must be finite and strictly increasing; got {0:?}")]
    BadCutoffs(Vec<f64>),
    #[error("{0} groups asked for: give at least 2")]
    TooFewGroups(usize),
    #[error("{got} scores for {n} patients")]
    LengthMismatch { got: usize, n: usize },
    #[error("risk group '{0}' has no patient: choose other cut-offs")]
    EmptyGroup(String),
    #[error(transparent)]
    Km(#[from] KmError),
    #[error("the hazard ratios could not be estimated: {0}")]
    Cox(#[from] CoxError),
}

/// Type-7 quantile cut-offs at 1/k, ..., (k-1)/k of `scores`.
pub fn quantile_cutoffs(scores: &[f64], k: usize) -> Result<Vec<f64>, RiskGroupError> {
    if k < 2 {
        return Err(RiskGroupError::TooFewGroups(k));
    }
    let mut v: Vec<f64> = scores.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Err(RiskGroupError::EmptyGroup("all".into()));
    }
    v.sort_by(f64::total_cmp);
    let cuts: Vec<f64> = (1..k)
        .map(|j| crate::stats::calibration::quantile7(&v, j as f64 / k as f64))
        .collect();
    check_cutoffs(&cuts)?;
    Ok(cuts)
}

fn check_cutoffs(cuts: &[f64]) -> Result<(), RiskGroupError> {
    if cuts.is_empty()
        || cuts.iter().any(|c| !c.is_finite())
        || cuts.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(RiskGroupError::BadCutoffs(cuts.to_vec()));
    }
    Ok(())
}

/// Group index (0 = lowest scores) of each score.
pub fn assign(scores: &[f64], cuts: &[f64]) -> Vec<usize> {
    scores
        .iter()
        .map(|&s| cuts.partition_point(|&c| c < s))
        .collect()
}

/// One group's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub group: String,
    pub n: usize,
    pub events: f64,
    pub median: Option<f64>,
    pub median_lower: Option<f64>,
    pub median_upper: Option<f64>,
    /// Hazard ratio against the lowest-risk group with its 95% limits and Wald p (None for that
    /// group itself).
    pub hr: Option<f64>,
    pub hr_lower: Option<f64>,
    pub hr_upper: Option<f64>,
    pub p: Option<f64>,
}

/// The comparison of the groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskGroups {
    pub cutoffs: Vec<f64>,
    pub groups: Vec<GroupSummary>,
    #[serde(skip)]
    pub curves: Vec<KaplanMeier>,
    pub logrank: LogRankSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRankSummary {
    pub chisq: f64,
    pub df: usize,
    pub p: f64,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
}

impl From<&LogRank> for LogRankSummary {
    fn from(lr: &LogRank) -> Self {
        LogRankSummary {
            chisq: lr.chisq,
            df: lr.df,
            p: lr.p,
            observed: lr.observed.clone(),
            expected: lr.expected.clone(),
        }
    }
}

/// Compares the groups that `cuts` make of `scores`; `labels` names them.
pub fn compare(
    surv: &Surv,
    scores: &[f64],
    cuts: &[f64],
    labels: &[String],
) -> Result<RiskGroups, RiskGroupError> {
    check_cutoffs(cuts)?;
    if scores.len() != surv.len() {
        return Err(RiskGroupError::LengthMismatch {
            got: scores.len(),
            n: surv.len(),
        });
    }
    let k = cuts.len() + 1;
    let group = assign(scores, cuts);
    let mut counts = vec![0usize; k];
    for &g in &group {
        counts[g] += 1;
    }
    if let Some(empty) = counts.iter().position(|&c| c == 0) {
        return Err(RiskGroupError::EmptyGroup(labels[empty].clone()));
    }
    let curves = km::by_group(surv, &group, k, None, &KmOptions::default())?;
    let logrank = km::logrank(surv, &group, k)?;
    // Cox model on indicators of groups 2..k
    let p = k - 1;
    let mut x = vec![0.0; surv.len() * p];
    for (i, &g) in group.iter().enumerate() {
        if g > 0 {
            x[i * p + g - 1] = 1.0;
        }
    }
    let names = labels[1..].to_vec();
    let design = Design::new(x, surv.len(), names)?;
    let fit = cox::fit(&design, surv, FitExtras::default(), &CoxOptions::default())?;
    let rows = fit.coefficients();
    let groups = (0..k)
        .map(|g| {
            let m = curves[g].median();
            let hr = (g > 0).then(|| &rows[g - 1]);
            GroupSummary {
                group: labels[g].clone(),
                n: counts[g],
                events: curves[g].events(),
                median: m.median,
                median_lower: m.lower,
                median_upper: m.upper,
                hr: hr.map(|r| r.hr),
                hr_lower: hr.map(|r| r.hr_lower),
                hr_upper: hr.map(|r| r.hr_upper),
                p: hr.map(|r| r.p),
            }
        })
        .collect();
    Ok(RiskGroups {
        cutoffs: cuts.to_vec(),
        groups,
        curves,
        logrank: (&logrank).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_right_closed() {
        let cuts = [1.0, 2.0];
        assert_eq!(
            assign(&[0.5, 1.0, 1.5, 2.0, 2.5], &cuts),
            vec![0, 0, 1, 1, 2]
        );
    }

    #[test]
    fn tertiles_split_evenly() {
        let scores: Vec<f64> = (0..30).map(|i| i as f64).collect();
        let cuts = quantile_cutoffs(&scores, 3).unwrap();
        let g = assign(&scores, &cuts);
        let n: Vec<usize> = (0..3)
            .map(|k| g.iter().filter(|&&x| x == k).count())
            .collect();
        assert_eq!(n, vec![10, 10, 10]);
        // R: quantile(0:29, c(1/3, 2/3)) = 9.666667 19.333333
        assert!((cuts[0] - 29.0 / 3.0).abs() < 1e-12 && (cuts[1] - 58.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_cutoffs_and_empty_groups_are_errors() {
        let surv = Surv::new(vec![1.0, 2.0, 3.0, 4.0], vec![true, false, true, true]).unwrap();
        let labels = vec!["Low".to_string(), "High".to_string()];
        assert!(matches!(
            compare(&surv, &[1.0, 2.0, 3.0, 4.0], &[10.0], &labels),
            Err(RiskGroupError::EmptyGroup(_))
        ));
        assert!(matches!(
            compare(&surv, &[1.0, 2.0, 3.0, 4.0], &[3.0, 2.0], &labels),
            Err(RiskGroupError::BadCutoffs(_))
        ));
        assert!(matches!(
            quantile_cutoffs(&[1.0], 1),
            Err(RiskGroupError::TooFewGroups(1))
        ));
    }
}
