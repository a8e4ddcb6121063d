//! Competing risks: the outcome type, the Aalen-Johansen cumulative incidence with Gray's test
//! ([`cuminc`]), and the Fine-Gray subdistribution-hazard model ([`fine_gray`]), with the numbers
//! of R's `cmprsk` (`cuminc`, `timepoints`, `crr`, `predict.crr`); validation of predicted
//! cumulative incidence: time-dependent AUC, Brier score and IPA as `riskRegression::Score`
//! ([`metrics`]), the truncated C-index of Wolbers et al. as `pec::cindex` ([`cindex`]), and
//! grouped calibration against the Aalen-Johansen estimate ([`calibration`]).
//!
//! Everything here takes plain types and returns a `Result` with [`CompetingError`]; no I/O.

pub mod calibration;
pub mod cindex;
pub mod csc;
pub mod cuminc;
pub mod fine_gray;
pub mod metrics;

pub use calibration::{grouped_calibration, CifGroup};
pub use cindex::truncated_cindex;
pub use csc::{absolute_risk_se, AbsoluteRisk, CauseHazards, RiskInfluence};
pub use cuminc::{cuminc, gray_test, CifConfType, CifCurve, CifPoint, CumincOptions, GrayTest};
pub use fine_gray::{
    crr, predict_from_terms, CrrOptions, FineGray, FineGrayCoef, PredictedCif, PredictionTerms,
    DEFAULT_GTOL, DEFAULT_MAXITER,
};
pub use metrics::{score, CompetingAuc, CompetingScore};

use thiserror::Error;

/// Why a competing-risks computation was rejected. `index` is the 0-based position in the input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompetingError {
    #[error("time and cause have different lengths ({time} and {cause})")]
    LengthMismatch { time: usize, cause: usize },
    #[error("no subjects")]
    Empty,
    #[error("time {value} of subject {index} is not a finite number")]
    NonFiniteTime { index: usize, value: f64 },
    #[error("time {value} of subject {index} is negative")]
    NegativeTime { index: usize, value: f64 },
    #[error("cause {value} of subject {index} is above the number of causes {max}")]
    CauseOutOfRange { index: usize, value: u32, max: u32 },
    #[error("{what} has {got} entries, expected {expected}")]
    WrongLength {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("covariate {column} of subject {index} is not a finite number")]
    NonFiniteCovariate { index: usize, column: usize },
    #[error("cause {cause} is not a cause of this outcome (1..={max})")]
    NoSuchCause { cause: u32, max: u32 },
    #[error("no event of cause {cause}")]
    NoEvents { cause: u32 },
    #[error("the information matrix is singular (a covariate is constant or collinear)")]
    Singular,
    #[error("Gray's test needs at least two non-empty groups, got {groups}")]
    TooFewGroups { groups: usize },
    #[error("the model has no covariates")]
    NoCovariates,
    #[error("predicted risk {value} of subject {index} is not a finite number")]
    NonFiniteRisk { index: usize, value: f64 },
    #[error(
        "the censoring survival is zero at time {time} (subject {index}), so its inverse-probability \
         weight is infinite: choose an earlier horizon"
    )]
    ZeroCensoringSurvival { index: usize, time: f64 },
    #[error("no event of the cause of interest at or before the horizon {time}: no cases")]
    NoCases { time: f64 },
    #[error(
        "nobody is event-free after, or has a competing event by, the horizon {time}: no controls"
    )]
    NoControls { time: f64 },
    #[error("time {time} is after the last follow-up time {last}")]
    BeyondFollowUp { time: f64, last: f64 },
    #[error(
        "the data are not those the model was fitted to (their event times or risk sets differ)"
    )]
    NotTheFittedData,
    #[error("{what} must be {rule}, got {value}")]
    BadOption {
        what: &'static str,
        rule: &'static str,
        value: f64,
    },
}

/// A competing-risks outcome: per subject a follow-up time and a status code, 0 = censored,
/// 1..=k = the cause of the event. Validated on construction.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetingSurv {
    time: Vec<f64>,
    cause: Vec<u32>,
    n_causes: u32,
}

impl CompetingSurv {
    /// Checks lengths, that every time is finite and >= 0 (time 0 is allowed), and takes the
    /// number of causes as the largest code seen (at least 1).
    pub fn new(time: Vec<f64>, cause: Vec<u32>) -> Result<Self, CompetingError> {
        let k = cause.iter().copied().max().unwrap_or(0).max(1);
        Self::with_causes(time, cause, k)
    }

    /// As [`CompetingSurv::new`], with the number of causes given: every code must be in 0..=k.
    pub fn with_causes(
        time: Vec<f64>,
        cause: Vec<u32>,
        n_causes: u32,
    ) -> Result<Self, CompetingError> {
        if time.len() != cause.len() {
            return Err(CompetingError::LengthMismatch {
                time: time.len(),
                cause: cause.len(),
            });
        }
        if time.is_empty() {
            return Err(CompetingError::Empty);
        }
        if let Some((index, value)) = crate::stats::surv::first_bad_time(&time) {
            return Err(if value.is_finite() {
                CompetingError::NegativeTime { index, value }
            } else {
                CompetingError::NonFiniteTime { index, value }
            });
        }
        if let Some((index, &value)) = cause.iter().enumerate().find(|(_, &c)| c > n_causes) {
            return Err(CompetingError::CauseOutOfRange {
                index,
                value,
                max: n_causes,
            });
        }
        Ok(CompetingSurv {
            time,
            cause,
            n_causes,
        })
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    pub fn time(&self) -> &[f64] {
        &self.time
    }

    /// Status codes: 0 censored, 1..=k cause.
    pub fn cause(&self) -> &[u32] {
        &self.cause
    }

    /// The number of causes k.
    pub fn n_causes(&self) -> u32 {
        self.n_causes
    }

    /// Number of events of `cause`.
    pub fn n_events(&self, cause: u32) -> usize {
        self.cause.iter().filter(|&&c| c == cause).count()
    }

    /// The subset of subjects at `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> CompetingSurv {
        CompetingSurv {
            time: rows.iter().map(|&i| self.time[i]).collect(),
            cause: rows.iter().map(|&i| self.cause[i]).collect(),
            n_causes: self.n_causes,
        }
    }

    /// The right-censored outcome of one cause, the others censored (for cause-specific Cox
    /// models).
    pub fn cause_specific(&self, cause: u32) -> crate::stats::surv::Surv {
        crate::stats::surv::Surv::new(
            self.time.clone(),
            self.cause.iter().map(|&c| c == cause).collect(),
        )
        .expect("a validated competing outcome is a valid survival outcome")
    }

    /// Row indices in increasing time, ties in input order (R's `order`).
    pub(crate) fn order(&self) -> Vec<usize> {
        // times are finite and >= 0, so their bit patterns sort as the numbers; the index
        // breaks ties, which keeps input order within a tie
        let mut keys: Vec<(u64, usize)> = self
            .time
            .iter()
            .enumerate()
            .map(|(i, t)| ((t + 0.0).to_bits(), i))
            .collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_outcomes() {
        assert_eq!(
            CompetingSurv::new(vec![1.0], vec![]),
            Err(CompetingError::LengthMismatch { time: 1, cause: 0 })
        );
        assert_eq!(
            CompetingSurv::new(vec![], vec![]),
            Err(CompetingError::Empty)
        );
        assert!(matches!(
            CompetingSurv::new(vec![1.0, f64::INFINITY], vec![1, 0]),
            Err(CompetingError::NonFiniteTime { index: 1, .. })
        ));
        assert!(matches!(
            CompetingSurv::new(vec![1.0, -1.0], vec![1, 0]),
            Err(CompetingError::NegativeTime { index: 1, .. })
        ));
        assert_eq!(
            CompetingSurv::with_causes(vec![1.0, 2.0], vec![1, 3], 2),
            Err(CompetingError::CauseOutOfRange {
                index: 1,
                value: 3,
                max: 2
            })
        );
    }

    #[test]
    fn counts_and_orders() {
        let s = CompetingSurv::new(vec![3.0, 0.0, 3.0, 1.0], vec![2, 1, 0, 1]).unwrap();
        assert_eq!(s.n_causes(), 2);
        assert_eq!(s.n_events(1), 2);
        assert_eq!(s.order(), vec![1, 3, 0, 2]);
        assert_eq!(s.cause_specific(2).event(), &[true, false, false, false]);
        assert_eq!(s.subset(&[3]).time(), &[1.0]);
    }
}
