//! Decision curve analysis of survival predictions at a horizon (Vickers & Elkin 2006; Vickers,
//! Cronin, Elkin & Gönen 2008, the `stdca` method): the net benefit of treating the patients
//! whose predicted risk reaches a threshold probability, against treating everyone and no one.
//!
//! The numerical core: plain slices and [`Surv`] in, a [`DecisionCurve`] or [`DecisionError`]
//! out, no I/O.
//!
//! # Definitions
//! For horizon t, n patients with predicted risks `r_i = 1 - S_i(t)` and a threshold probability
//! `p` in (0, 1):
//!
//! ```text
//! treated      T(p) = { i : r_i >= p },   x = |T(p)| / n
//! observed     ρ(p) = 1 - S_KM,T(p)(t)      (Kaplan–Meier of the treated patients, at t)
//! model        NB(p) = x ρ - x (1 - ρ) p / (1 - p)
//! treat all    NB_all(p) = R - (1 - R) p / (1 - p),   R = 1 - S_KM,all(t)
//! treat none   0
//! ```
//!
//! `x ρ` estimates the proportion of true positives (treated, with the event by t) and
//! `x (1 - ρ)` that of false positives; `p / (1 - p)` is the exchange rate between them that the
//! threshold implies. The Kaplan–Meier estimates are R's `survfit` read at t as
//! `summary(fit, times = t, extend = TRUE)` ([`crate::stats::km`]), unweighted.
//!
//! Conventions, as the `dcurves` R package (`dca()` with a `Surv` outcome; Sjoberg, Vickers et
//! al.), which the MSKCC decision-curve tutorial uses for survival:
//! - a patient is treated when the risk **reaches** the threshold (`>=`; the original `stdca.R`
//!   uses `>`, which differs only for a risk exactly on a threshold);
//! - with no patient treated the net benefit is 0, the same as treating no one (`stdca.R`
//!   stops there and leaves NA for every higher threshold);
//! - when the treated patients' follow-up ends before t (their last time is < t), ρ is not
//!   estimable and the model's net benefit is missing (`None`; `dcurves` gives NA).
//!
//! The thresholds are R's `seq(start, stop, by = step)`, by default 0.01, 0.02, ..., 0.99.

use crate::stats::km::{self, KmOptions};
use crate::stats::surv::Surv;
use serde::Serialize;
use thiserror::Error;

/// Why a decision curve could not be computed. Indices are 0-based positions in the inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DecisionError {
    #[error("{got} predicted risks for {expected} patients")]
    LengthMismatch { got: usize, expected: usize },
    #[error("predicted risk {value} of patient {index} is not a probability in [0, 1]")]
    InvalidRisk { index: usize, value: f64 },
    #[error("the horizon {0} is not a finite time")]
    BadTime(f64),
    #[error(
        "threshold probabilities from {start} to {stop} by {step}: need 0 <= start <= stop < 1 \
         and step > 0"
    )]
    BadThresholds { start: f64, stop: f64, step: f64 },
    #[error(
        "the horizon {time} is after the last follow-up time {last}: the Kaplan–Meier risk of \
         treating everyone is not estimable there"
    )]
    BeyondFollowUp { time: f64, last: f64 },
    #[error("Kaplan–Meier: {0}")]
    Km(String),
}

/// The threshold probabilities of a decision curve: R's `seq(start, stop, by = step)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionOptions {
    /// First threshold probability. Default 0.01 (`stdca`'s `xstart`).
    pub start: f64,
    /// Last threshold probability, below 1. Default 0.99 (`stdca`'s `xstop`).
    pub stop: f64,
    /// Step between thresholds. Default 0.01 (`stdca`'s `xby`).
    pub step: f64,
}

impl Default for DecisionOptions {
    fn default() -> Self {
        DecisionOptions {
            start: 0.01,
            stop: 0.99,
            step: 0.01,
        }
    }
}

impl DecisionOptions {
    /// The thresholds, computed as R's `seq.default(from, to, by)`:
    /// `n = floor((to - from) / by + 1e-10)`, `from + (0:n) * by`, capped at `to`.
    pub fn thresholds(&self) -> Result<Vec<f64>, DecisionError> {
        let DecisionOptions { start, stop, step } = *self;
        let ok = start.is_finite()
            && stop.is_finite()
            && step.is_finite()
            && start >= 0.0
            && start <= stop
            && stop < 1.0
            && step > 0.0;
        if !ok {
            return Err(DecisionError::BadThresholds { start, stop, step });
        }
        let n = ((stop - start) / step + 1e-10).floor() as usize;
        Ok((0..=n)
            .map(|k| (start + k as f64 * step).min(stop))
            .collect())
    }
}

/// The net benefits at one threshold probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecisionPoint {
    /// The threshold probability p.
    pub threshold: f64,
    /// Patients with predicted risk >= p.
    pub n_treated: usize,
    /// Kaplan–Meier risk at the horizon among them, ρ; `None` when no one is treated or their
    /// follow-up ends before the horizon.
    pub treated_risk: Option<f64>,
    /// Net benefit of treating by the model; 0 when no one is treated, `None` when ρ is not
    /// estimable.
    pub net_benefit: Option<f64>,
    /// Net benefit of treating everyone.
    pub treat_all: f64,
}

/// A decision curve at one horizon. The net benefit of treating no one is 0 at every threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionCurve {
    /// The horizon t.
    pub time: f64,
    /// Number of patients.
    pub n: usize,
    /// Kaplan–Meier risk of all patients at t, R.
    pub event_risk: f64,
    pub points: Vec<DecisionPoint>,
}

/// The decision curve of predicted risks `risk` (`1 - S_i(time)`, one per patient of `surv`) at
/// `time`, with the thresholds of `opts`; see the [module documentation](self) for the
/// definitions.
///
/// Each distinct treated set is one Kaplan–Meier fit: at most one per threshold, each O(n) after
/// one sort by time.
pub fn decision_curve(
    surv: &Surv,
    risk: &[f64],
    time: f64,
    opts: &DecisionOptions,
) -> Result<DecisionCurve, DecisionError> {
    let n = surv.len();
    if risk.len() != n {
        return Err(DecisionError::LengthMismatch {
            got: risk.len(),
            expected: n,
        });
    }
    if let Some((index, &value)) = risk
        .iter()
        .enumerate()
        .find(|(_, r)| !(r.is_finite() && (0.0..=1.0).contains(*r)))
    {
        return Err(DecisionError::InvalidRisk { index, value });
    }
    if !time.is_finite() {
        return Err(DecisionError::BadTime(time));
    }
    let thresholds = opts.thresholds()?;
    let last = surv
        .time()
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    if last < time {
        return Err(DecisionError::BeyondFollowUp { time, last });
    }
    // rows in time order, so that every subset handed to the Kaplan–Meier fit is already sorted
    let mut by_time: Vec<usize> = (0..n).collect();
    by_time.sort_by(|&a, &b| surv.time()[a].total_cmp(&surv.time()[b]));
    let km_risk = |rows: &[usize]| -> Result<Option<f64>, DecisionError> {
        let sub = surv.subset(rows);
        let last = sub.time().iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if last < time {
            return Ok(None);
        }
        let fit = km::kaplan_meier(&sub, None, &KmOptions::default())
            .map_err(|e| DecisionError::Km(e.to_string()))?;
        Ok(Some(1.0 - fit.at(time).surv))
    };
    let event_risk = km_risk(&by_time)?.expect("follow-up reaches the horizon");

    let mut points = Vec::with_capacity(thresholds.len());
    // the treated risk of the previous threshold, reused while the treated set is the same
    let mut cached: Option<(usize, Option<f64>)> = None;
    for &p in &thresholds {
        let n_treated = risk.iter().filter(|&&r| r >= p).count();
        let treated_risk = if n_treated == 0 {
            None
        } else if let Some((_, rho)) = cached.filter(|c| c.0 == n_treated) {
            rho
        } else {
            let rows: Vec<usize> = by_time.iter().copied().filter(|&i| risk[i] >= p).collect();
            let rho = km_risk(&rows)?;
            cached = Some((n_treated, rho));
            rho
        };
        // in the order of evaluation of stdca.R and dcurves
        let x = n_treated as f64 / n as f64;
        let net_benefit = if n_treated == 0 {
            Some(0.0)
        } else {
            treated_risk.map(|rho| rho * x - (1.0 - rho) * x * p / (1.0 - p))
        };
        points.push(DecisionPoint {
            threshold: p,
            n_treated,
            treated_risk,
            net_benefit,
            treat_all: event_risk - (1.0 - event_risk) * p / (1.0 - p),
        });
    }
    Ok(DecisionCurve {
        time,
        n,
        event_risk,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surv(time: &[f64], event: &[u8]) -> Surv {
        Surv::new(time.to_vec(), event.iter().map(|&e| e == 1).collect()).unwrap()
    }

    #[track_caller]
    fn close(got: f64, want: f64) {
        assert!((got - want).abs() <= 1e-14, "got {got}, want {want}");
    }

    /// Ten patients, horizon 5.
    fn ten() -> (Surv, Vec<f64>) {
        let y = surv(
            &[1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 2.5, 5.5, 8.0, 9.0],
            &[1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        );
        let risk = vec![0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
        (y, risk)
    }

    #[test]
    fn thresholds_are_rs_seq() {
        let t = DecisionOptions::default().thresholds().unwrap();
        assert_eq!(t.len(), 99);
        assert_eq!(t[0], 0.01);
        assert_eq!(t[98], 0.99);
        // R: seq(0.01, 0.99, by = 0.01)[7] == 0.01 + 6 * 0.01 = 0.06999999999999999
        assert_eq!(t[6], 0.01 + 6.0 * 0.01);
        assert_ne!(t[6], 0.07);
        let t = DecisionOptions {
            start: 0.1,
            stop: 0.35,
            step: 0.1,
        }
        .thresholds()
        .unwrap();
        assert_eq!(t, vec![0.1, 0.1 + 0.1, 0.1 + 2.0 * 0.1]);
        for (start, stop, step) in [
            (0.5, 0.4, 0.1),
            (0.1, 1.0, 0.1),
            (0.1, 0.5, 0.0),
            (-0.1, 0.5, 0.1),
        ] {
            assert!(matches!(
                DecisionOptions { start, stop, step }.thresholds(),
                Err(DecisionError::BadThresholds { .. })
            ));
        }
    }

    #[test]
    fn net_benefit_by_hand() {
        let (y, risk) = ten();
        let opts = DecisionOptions {
            start: 0.25,
            stop: 0.75,
            step: 0.25,
        };
        let d = decision_curve(&y, &risk, 5.0, &opts).unwrap();
        assert_eq!(d.n, 10);
        // all 10, sorted times: 1 2 2.5 3+ 4 5.5+ 6 7+ 8 9+ ; events at or before 5: 1, 2, 2.5, 4
        // S(5) = 9/10 * 8/9 * 7/8 * (after the censoring at 3: 6 at risk) 5/6 = 7/10 * 5/6
        let s_all = 0.9 * (8.0 / 9.0) * (7.0 / 8.0) * (5.0 / 6.0);
        close(d.event_risk, 1.0 - s_all);
        let big_r = 1.0 - s_all;
        // p = 0.25: risks >= 0.25 are patients 0..=6 (times 1 2 3+ 4 6 7+ 2.5)
        // sorted 1 2 2.5 3+ 4 6 7+: S(5) = 6/7 * 5/6 * 4/5 * 2/3 = 8/21... by factors:
        let s1 = (6.0 / 7.0) * (5.0 / 6.0) * (4.0 / 5.0) * (2.0 / 3.0);
        let p = &d.points[0];
        assert_eq!(p.threshold, 0.25);
        assert_eq!(p.n_treated, 7);
        let rho = 1.0 - s1;
        close(p.treated_risk.unwrap(), rho);
        let odds = 0.25 / 0.75;
        close(p.net_benefit.unwrap(), 0.7 * rho - 0.7 * (1.0 - rho) * odds);
        close(p.treat_all, big_r - (1.0 - big_r) * odds);
        // p = 0.5: patients 0..=4 (times 1 2 3+ 4 6): S(5) = 4/5 * 3/4 * (3+ leaves) 1/2 = 0.3
        let p = &d.points[1];
        assert_eq!(p.n_treated, 5);
        close(p.treated_risk.unwrap(), 1.0 - 0.3);
        close(p.net_benefit.unwrap(), 0.5 * 0.7 - 0.5 * 0.3 * 1.0);
        close(p.treat_all, big_r - (1.0 - big_r));
        // p = 0.75: patients 0, 1 (times 1, 2): both died, S = 0; follow-up (2) ends before 5
        let p = &d.points[2];
        assert_eq!(p.n_treated, 2);
        assert_eq!(p.treated_risk, None);
        assert_eq!(p.net_benefit, None);
    }

    #[test]
    fn extreme_thresholds() {
        let (y, risk) = ten();
        let opts = DecisionOptions {
            start: 0.01,
            stop: 0.99,
            step: 0.01,
        };
        let d = decision_curve(&y, &risk, 5.0, &opts).unwrap();
        for p in &d.points {
            if p.threshold < 0.05 {
                // below every risk: everyone treated, the model is "treat all"
                assert_eq!(p.n_treated, 10);
                assert_eq!(p.net_benefit, Some(p.treat_all));
            }
            if p.threshold > 0.9 {
                // above every risk: no one treated, the model is "treat none"
                assert_eq!(p.n_treated, 0);
                assert_eq!(p.net_benefit, Some(0.0));
                assert_eq!(p.treated_risk, None);
            }
        }
        // a risk exactly on a threshold is treated
        let exact = decision_curve(
            &y,
            &risk,
            5.0,
            &DecisionOptions {
                start: 0.5,
                stop: 0.5,
                step: 0.1,
            },
        )
        .unwrap();
        assert_eq!(exact.points[0].n_treated, 5);
    }

    #[test]
    fn net_benefit_identities() {
        // NB model = x ρ - x (1 - ρ) p/(1-p); with the treated being everyone it is NB all, and
        // the model's true- and false-positive parts never exceed those of treating all.
        let (y, risk) = ten();
        let d = decision_curve(&y, &risk, 6.5, &DecisionOptions::default()).unwrap();
        for p in &d.points {
            let x = p.n_treated as f64 / 10.0;
            if let (Some(nb), Some(rho)) = (p.net_benefit, p.treated_risk) {
                let odds = p.threshold / (1.0 - p.threshold);
                close(nb, rho * x - (1.0 - rho) * x * odds);
                assert!((0.0..=1.0).contains(&rho));
            }
        }
        assert!(d.points.windows(2).all(|w| w[1].treat_all < w[0].treat_all));
        assert!(d
            .points
            .windows(2)
            .all(|w| w[1].n_treated <= w[0].n_treated));
    }

    #[test]
    fn errors() {
        let (y, risk) = ten();
        let o = DecisionOptions::default();
        assert_eq!(
            decision_curve(&y, &risk[..9], 5.0, &o),
            Err(DecisionError::LengthMismatch {
                got: 9,
                expected: 10
            })
        );
        let mut bad = risk.clone();
        bad[3] = 1.5;
        assert_eq!(
            decision_curve(&y, &bad, 5.0, &o),
            Err(DecisionError::InvalidRisk {
                index: 3,
                value: 1.5
            })
        );
        bad[3] = f64::NAN;
        assert!(matches!(
            decision_curve(&y, &bad, 5.0, &o),
            Err(DecisionError::InvalidRisk { index: 3, .. })
        ));
        assert_eq!(
            decision_curve(&y, &risk, 9.5, &o),
            Err(DecisionError::BeyondFollowUp {
                time: 9.5,
                last: 9.0
            })
        );
        assert!(matches!(
            decision_curve(&y, &risk, f64::NAN, &o),
            Err(DecisionError::BadTime(_))
        ));
    }
}
