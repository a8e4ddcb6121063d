//! The survival outcome: a follow-up time and an event indicator per subject.
//!
//! [`Surv`] validates itself on construction, so every numerical routine that takes one can rely on
//! finite, non-negative times and at least one subject.

use thiserror::Error;

/// Why a survival outcome was rejected. `index` is the 0-based position in the input vectors; the
/// data layer maps it back to a file line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SurvError {
    #[error("time and event have different lengths ({time} and {event})")]
    LengthMismatch { time: usize, event: usize },
    #[error("no subjects")]
    Empty,
    #[error("time {value} of subject {index} is not a finite number")]
    NonFiniteTime { index: usize, value: f64 },
    #[error("time {value} of subject {index} is negative")]
    NegativeTime { index: usize, value: f64 },
}

/// Right-censored survival outcomes: `time[i]` is the follow-up time, `event[i]` is true when the
/// event was observed at that time and false when the subject was censored.
#[derive(Debug, Clone, PartialEq)]
pub struct Surv {
    time: Vec<f64>,
    event: Vec<bool>,
}

/// The first time that is not finite or is negative, with its index: what [`Surv::new`] and
/// every other outcome type refuse.
pub fn first_bad_time(time: &[f64]) -> Option<(usize, f64)> {
    time.iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
        .map(|(i, &v)| (i, v))
}

impl Surv {
    /// Checks lengths and that every time is finite and non-negative (time 0 is allowed: SEER
    /// records survival under one month as 0 months).
    pub fn new(time: Vec<f64>, event: Vec<bool>) -> Result<Self, SurvError> {
        if time.len() != event.len() {
            return Err(SurvError::LengthMismatch {
                time: time.len(),
                event: event.len(),
            });
        }
        if time.is_empty() {
            return Err(SurvError::Empty);
        }
        if let Some((index, value)) = first_bad_time(&time) {
            return Err(if value.is_finite() {
                SurvError::NegativeTime { index, value }
            } else {
                SurvError::NonFiniteTime { index, value }
            });
        }
        Ok(Surv { time, event })
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

    pub fn event(&self) -> &[bool] {
        &self.event
    }

    pub fn n_events(&self) -> usize {
        self.event.iter().filter(|&&e| e).count()
    }

    /// The subset of subjects at `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Surv {
        Surv {
            time: rows.iter().map(|&i| self.time[i]).collect(),
            event: rows.iter().map(|&i| self.event[i]).collect(),
        }
    }
}

/// The first case weight that is not a positive finite number, with its index: the check that
/// every fit and index with case weights makes.
pub fn invalid_weight(weights: &[f64]) -> Option<(usize, f64)> {
    weights
        .iter()
        .copied()
        .enumerate()
        .find(|&(_, v)| !(v.is_finite() && v > 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_outcomes() {
        assert_eq!(
            Surv::new(vec![1.0], vec![]),
            Err(SurvError::LengthMismatch { time: 1, event: 0 })
        );
        assert_eq!(Surv::new(vec![], vec![]), Err(SurvError::Empty));
        assert!(matches!(
            Surv::new(vec![1.0, f64::NAN], vec![true, false]),
            Err(SurvError::NonFiniteTime { index: 1, .. })
        ));
        assert!(matches!(
            Surv::new(vec![1.0, -2.0], vec![true, false]),
            Err(SurvError::NegativeTime { index: 1, .. })
        ));
    }

    #[test]
    fn accepts_zero_times_and_counts_events() {
        let s = Surv::new(vec![0.0, 3.0, 3.0], vec![true, false, true]).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.n_events(), 2);
        assert_eq!(s.subset(&[2, 0]).time(), &[3.0, 0.0]);
    }
}
