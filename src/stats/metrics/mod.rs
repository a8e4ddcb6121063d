//! Time-dependent validation metrics of survival predictions, exactly as scikit-survival 0.28
//! (`sksurv.metrics`) computes them: the cumulative/dynamic AUC (Uno et al. 2007), the IPCW Brier
//! score (Graf et al. 1999), the integrated Brier score, and the index of prediction accuracy
//! (IPA, the scaled Brier score of Kattan & Gerds 2018).
//!
//! The numerical core: plain slices and [`Surv`] in, numbers or [`MetricsError`] out, no I/O.
//!
//! # The censoring distribution
//! Both the AUC and the Brier score weight observations by the inverse probability of remaining
//! uncensored, G, estimated by [`CensoringKm`] from the *training* outcomes with sksurv's
//! conventions (`CensoringDistributionEstimator`):
//!
//! ```text
//! at each distinct training time s:  n_s = #{t_j >= s},  d_s = #events at s,  c_s = #censored at s
//! G(s) = prod_{s' <= s} (1 - c_{s'} / (n_{s'} - d_{s'}))        ("events first")
//! ```
//!
//! G is a right-continuous step function evaluated *at* t (censorings at t count), 1 before the
//! first training time. After the last training time it is undefined unless it reached 0 there;
//! sksurv raises, and so do the metrics here ([`MetricsError::BeyondTraining`]).
//!
//! # Time points
//! As sksurv's `_check_times`, every evaluation time t must satisfy
//! `min(test time) <= t < max(test time)`.

use crate::stats::surv::Surv;
use serde::Serialize;
use thiserror::Error;

/// Two risk scores whose absolute difference is at most this are tied (sksurv's default
/// `tied_tol`). Ties are chained: in decreasing order of risk, a score within `TIED_TOL` of the
/// previous one joins its group.
pub const TIED_TOL: f64 = 1e-8;

/// Why a metric could not be computed. Subject indices are 0-based positions in the test data;
/// time indices are positions in the `times` argument.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricsError {
    #[error("{what} has {got} entries for {expected} {of}")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        expected: usize,
        of: &'static str,
    },
    #[error("no time points: give at least one evaluation time")]
    NoTimes,
    #[error("evaluation time {value} (position {index}) is not a finite number")]
    NonFiniteTime { index: usize, value: f64 },
    #[error(
        "evaluation times must be strictly increasing: {value} at position {index} follows {previous}"
    )]
    TimesNotIncreasing {
        index: usize,
        previous: f64,
        value: f64,
    },
    #[error(
        "evaluation time {time} is not within the follow-up of the test data: every time must be \
         at least {min} (the earliest test time) and below {max} (the latest)"
    )]
    TimeOutsideFollowUp { time: f64, min: f64, max: f64 },
    #[error("risk score {value} of test subject {index} is not a finite number")]
    NonFiniteRisk { index: usize, value: f64 },
    #[error(
        "predicted survival {value} of test subject {subject} at time {time} is not a finite number"
    )]
    NonFinitePrediction {
        subject: usize,
        time: f64,
        value: f64,
    },
    #[error("all subjects of the {which} data are censored")]
    NoEvents { which: &'static str },
    #[error(
        "time {time} is after the last training time {last}, where the censoring survival is still \
         {g}: the censoring distribution is unknown there (restrict the test data or the times to \
         the training follow-up)"
    )]
    BeyondTraining { time: f64, last: f64, g: f64 },
    #[error(
        "the censoring survival G is zero at the event time {time} of test subject {index}, so its \
         inverse-probability weight is infinite (a training subject was censored at the last \
         training time, at or before this event)"
    )]
    ZeroCensoringSurvival { index: usize, time: f64 },
    #[error(
        "no test subject has an event at or before time {time}, so there is no case and no ROC \
         curve there"
    )]
    NoCases { time: f64 },
}

/// A right-continuous step function on sorted distinct knots, evaluated as sksurv's
/// `SurvivalFunctionEstimator.predict_proba`: 1 before the first knot; the value at a knot when t
/// is within machine epsilon (absolute) below or at it; otherwise the value at the previous knot.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    knots: Vec<f64>,
    values: Vec<f64>,
}

impl Step {
    /// sksurv's Kaplan–Meier (`kaplan_meier_estimator`) on every distinct time of `surv`.
    /// `reverse = false`: S(s) = prod (1 - d/n). `reverse = true`: the censoring distribution
    /// with events first, G(s) = prod (1 - c/(n - d)). A factor is applied only where its
    /// numerator is non-zero.
    fn product_limit(surv: &Surv, reverse: bool) -> Step {
        let mut pairs: Vec<(f64, bool)> = surv
            .time()
            .iter()
            .copied()
            .zip(surv.event().iter().copied())
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut at_risk = pairs.len();
        let mut s = 1.0;
        let mut knots = Vec::new();
        let mut values = Vec::new();
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            let d = group.iter().filter(|p| p.1).count();
            let c = group.len() - d;
            let (num, den) = if reverse {
                (c, at_risk - d)
            } else {
                (d, at_risk)
            };
            if num != 0 {
                s *= 1.0 - num as f64 / den as f64;
            }
            knots.push(group[0].0);
            values.push(s);
            at_risk -= group.len();
        }
        Step { knots, values }
    }

    fn last(&self) -> (f64, f64) {
        // `Surv` is never empty, so there is at least one knot.
        (
            self.knots.last().copied().unwrap_or(f64::NEG_INFINITY),
            self.values.last().copied().unwrap_or(1.0),
        )
    }

    /// The step value at `t`; after the last knot, the last value. NaN for NaN.
    fn at(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let idx = self.knots.partition_point(|&k| k < t);
        if idx < self.knots.len() && (self.knots[idx] - t).abs() < f64::EPSILON {
            self.values[idx]
        } else if idx == 0 {
            1.0
        } else {
            self.values[idx - 1]
        }
    }

    /// As [`Step::at`], but `None` after the last knot while the last value is positive (where
    /// sksurv raises "time must be smaller than largest observed time point").
    fn checked_at(&self, t: f64) -> Option<f64> {
        let (last, value) = self.last();
        if t > last && value > 0.0 {
            None
        } else {
            Some(self.at(t))
        }
    }
}

/// The Kaplan–Meier estimate G of the censoring distribution, fitted on training outcomes with
/// sksurv's conventions (`CensoringDistributionEstimator`, `kaplan_meier_estimator(reverse=True)`).
///
/// At each distinct training time s (exact equality), with `n_s = #{t_j >= s}`, `d_s` events and
/// `c_s` censorings at s, events come first and leave the risk set before the censorings:
///
/// ```text
/// G(s) = prod_{s' <= s, c_{s'} > 0} (1 - c_{s'} / (n_{s'} - d_{s'}))
/// ```
///
/// G is evaluated at t itself (right-continuous), equal to 1 before the first training time, and
/// without any censoring it is 1 everywhere. It reaches 0 exactly when the last training time
/// has a censoring. Unweighted: sksurv has no case weights.
#[derive(Debug, Clone, PartialEq)]
pub struct CensoringKm {
    step: Step,
}

impl CensoringKm {
    pub fn new(train: &Surv) -> Self {
        CensoringKm {
            step: Step::product_limit(train, true),
        }
    }

    /// G(t), as sksurv's `predict_proba`: the value at the last distinct training time <= t,
    /// where a training time counts as reached when t is within machine epsilon (absolute) below
    /// it; 1 before the first. After the last training time this returns G(last), where sksurv
    /// raises unless G(last) = 0: use [`CensoringKm::checked_at`] for sksurv's behaviour. NaN for
    /// NaN.
    pub fn at(&self, t: f64) -> f64 {
        self.step.at(t)
    }

    /// G(t), or [`MetricsError::BeyondTraining`] when t is after the last training time and
    /// G(last) > 0 (sksurv's "time must be smaller than largest observed time point").
    pub fn checked_at(&self, t: f64) -> Result<f64, MetricsError> {
        self.step.checked_at(t).ok_or_else(|| {
            let (last, g) = self.step.last();
            MetricsError::BeyondTraining { time: t, last, g }
        })
    }

    /// The distinct training times (every time, with or without a censoring).
    pub fn times(&self) -> &[f64] {
        &self.step.knots
    }

    /// G at each of [`CensoringKm::times`].
    pub fn values(&self) -> &[f64] {
        &self.step.values
    }
}

/// Cumulative/dynamic AUC at each time and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct TdAuc {
    /// The evaluation times, sorted and de-duplicated (sksurv's `np.unique(times)`).
    pub times: Vec<f64>,
    /// AUC(t) at each of `times`; NaN at a time with no case (0/0, as sksurv).
    pub auc: Vec<f64>,
    /// sksurv's `mean_auc`: the AUC averaged over the Kaplan–Meier event distribution of the
    /// test data (see [`cumulative_dynamic_auc`]).
    pub mean_auc: f64,
}

/// Every test outcome must include an event (sksurv's `check_y_survival`).
fn require_events(surv: &Surv, which: &'static str) -> Result<(), MetricsError> {
    if surv.n_events() == 0 {
        Err(MetricsError::NoEvents { which })
    } else {
        Ok(())
    }
}

/// sksurv's `_check_times` on already-sorted times: non-empty, finite, and each within
/// `[min(test time), max(test time))`.
fn check_range(test: &Surv, times: &[f64]) -> Result<(), MetricsError> {
    if times.is_empty() {
        return Err(MetricsError::NoTimes);
    }
    for (index, &value) in times.iter().enumerate() {
        if !value.is_finite() {
            return Err(MetricsError::NonFiniteTime { index, value });
        }
    }
    let min = test.time().iter().copied().fold(f64::INFINITY, f64::min);
    let max = test
        .time()
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    match times.iter().find(|&&t| t < min || t >= max) {
        Some(&time) => Err(MetricsError::TimeOutsideFollowUp { time, min, max }),
        None => Ok(()),
    }
}

/// The cumulative/dynamic AUC of a risk score (higher = earlier event), exactly as sksurv's
/// `cumulative_dynamic_auc(train, test, risk, times)` (Uno et al. 2007; Hung & Chiang 2010).
///
/// At each time t, the *cases* are the test events with `t_i <= t`, weighted by
/// `w_i = 1 / G(t_i)` (G from `train`, [`CensoringKm`], at t_i itself), and the *controls* are
/// the test subjects with `t_j > t` (event or censored), unweighted:
///
/// ```text
/// AUC(t) = sum_{i case} sum_{j control} w_i [ I(r_i > r_j) + 1/2 I(r_i ~ r_j) ]
///          / ( sum_{i case} w_i * #controls )
/// ```
///
/// where `r_i ~ r_j` means the two scores fall in the same tie group ([`TIED_TOL`], chained in
/// decreasing order of risk). sksurv computes this as the trapezoid area under the ROC curve with
/// one point per tie group; that is what is done here: one sort by risk, then O(n) per time.
///
/// `mean_auc` (sksurv's, not its docstring's formula): with a single time it is that AUC;
/// otherwise, with S the Kaplan–Meier survival of the **test** data (hazard d/n) and
/// `s_k = S(t_k)`,
///
/// ```text
/// mean_auc = sum_k AUC(t_k) (s_{k-1} - s_k) / (1 - s_K),     s_0 = 1
/// ```
///
/// Errors, as sksurv raises: `risk` length not the test size; a non-finite risk; no times, a
/// non-finite time or one outside `[min test time, max test time)`; all train or all test
/// subjects censored; a test **event** (any, not only those before the last time) after the
/// last training time while G is still positive there, or at which G = 0.
pub fn cumulative_dynamic_auc(
    train: &Surv,
    test: &Surv,
    risk: &[f64],
    times: &[f64],
) -> Result<TdAuc, MetricsError> {
    let (times, ranked) = RankedTest::new(train, test, risk, times)?;
    let auc: Vec<f64> = times
        .iter()
        .map(|&t| ranked.roc(test, risk, t).map_or(f64::NAN, |roc| roc.auc))
        .collect();

    let mean_auc = if auc.len() == 1 {
        auc[0]
    } else {
        // Every time is below the largest test time, so the test KM is defined there.
        let km = Step::product_limit(test, false);
        let mut prev = 1.0;
        let mut integral = 0.0;
        for (a, &t) in auc.iter().zip(&times) {
            let s = km.at(t);
            integral += a * (prev - s);
            prev = s;
        }
        integral / (1.0 - prev)
    };

    Ok(TdAuc {
        times,
        auc,
        mean_auc,
    })
}

/// The test data ready for the cumulative/dynamic AUC and ROC curve at any time: the
/// inverse-probability-of-censoring weights of the test events, and the test subjects sorted
/// once by decreasing risk and cut into tie groups.
struct RankedTest {
    /// 1 / G(t_i) for a test event, 0 for a censored subject.
    ipcw: Vec<f64>,
    /// Test subjects by decreasing risk.
    order: Vec<usize>,
    /// Exclusive end position in `order` of each tie group.
    group_end: Vec<usize>,
}

impl RankedTest {
    /// Checks the inputs as sksurv's `cumulative_dynamic_auc` does (see there for the errors)
    /// and returns the sorted, de-duplicated times with the ranked test data.
    fn new(
        train: &Surv,
        test: &Surv,
        risk: &[f64],
        times: &[f64],
    ) -> Result<(Vec<f64>, RankedTest), MetricsError> {
        require_events(test, "test")?;
        if risk.len() != test.len() {
            return Err(MetricsError::LengthMismatch {
                what: "risk",
                got: risk.len(),
                expected: test.len(),
                of: "test subjects",
            });
        }
        if let Some((index, &value)) = risk.iter().enumerate().find(|(_, r)| !r.is_finite()) {
            return Err(MetricsError::NonFiniteRisk { index, value });
        }
        if let Some((index, &value)) = times.iter().enumerate().find(|(_, t)| !t.is_finite()) {
            return Err(MetricsError::NonFiniteTime { index, value });
        }
        let mut times = times.to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        check_range(test, &times)?;
        require_events(train, "training")?;

        // Inverse-probability-of-censoring weights of the test events at or before the last
        // time: a later event is a control at every time and its weight is never used. (sksurv
        // computes and checks the weight of every test event, and so fails where G is zero or
        // unknown after the last evaluation time; where it succeeds, the results are the same.)
        let cens = CensoringKm::new(train);
        let (ttime, tevent) = (test.time(), test.event());
        let t_max = *times.last().unwrap_or(&f64::INFINITY);
        let weighted = |i: usize| tevent[i] && ttime[i] <= t_max;
        let mut ghat = vec![0.0; test.len()];
        for i in 0..test.len() {
            if weighted(i) {
                ghat[i] = cens.checked_at(ttime[i])?;
            }
        }
        let mut ipcw = vec![0.0; test.len()];
        for i in 0..test.len() {
            if weighted(i) {
                if ghat[i] == 0.0 {
                    return Err(MetricsError::ZeroCensoringSurvival {
                        index: i,
                        time: ttime[i],
                    });
                }
                ipcw[i] = 1.0 / ghat[i];
            }
        }

        // Sort once by decreasing risk; a new tie group starts where the gap to the previous
        // score exceeds the tolerance.
        let mut order: Vec<usize> = (0..test.len()).collect();
        order.sort_by(|&a, &b| risk[b].total_cmp(&risk[a]));
        let mut group_end = Vec::new();
        for k in 1..order.len() {
            if (risk[order[k]] - risk[order[k - 1]]).abs() > TIED_TOL {
                group_end.push(k);
            }
        }
        group_end.push(order.len());
        Ok((
            times,
            RankedTest {
                ipcw,
                order,
                group_end,
            },
        ))
    }

    /// The ROC curve at `t`: (0, 0), then one point at the end of each tie group in decreasing
    /// order of risk; `None` when no test event is at or before `t` (no case).
    fn roc(&self, test: &Surv, risk: &[f64], t: f64) -> Option<RocCurve> {
        let (ttime, tevent) = (test.time(), test.event());
        let is_case = |i: usize| tevent[i] && ttime[i] <= t;
        let n_controls = ttime.iter().filter(|&&x| x > t).count() as f64;
        let total: f64 = self
            .order
            .iter()
            .map(|&i| if is_case(i) { self.ipcw[i] } else { 0.0 })
            .sum();
        if total == 0.0 {
            return None;
        }
        let mut points = Vec::with_capacity(self.group_end.len() + 1);
        let mut thresholds = Vec::with_capacity(self.group_end.len() + 1);
        points.push((0.0, 0.0));
        thresholds.push(f64::INFINITY);
        let (mut cum_tp, mut cum_fp) = (0.0, 0.0);
        let mut start = 0;
        for &end in &self.group_end {
            for &i in &self.order[start..end] {
                if is_case(i) {
                    cum_tp += self.ipcw[i];
                } else if ttime[i] > t {
                    cum_fp += 1.0;
                }
            }
            points.push((cum_fp / n_controls, cum_tp / total));
            thresholds.push(risk[self.order[end - 1]]);
            start = end;
        }
        let auc = trapezoid(&points);
        Some(RocCurve {
            time: t,
            points,
            thresholds,
            auc,
        })
    }
}

/// The trapezoid area under a curve of (x, y) points, in order.
fn trapezoid(points: &[(f64, f64)]) -> f64 {
    let mut area = 0.0;
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        area += (x1 - x0) * (y1 + y0) / 2.0;
    }
    area
}

/// The cumulative/dynamic ROC curve of a risk score at one time (see [`cumulative_dynamic_roc`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RocCurve {
    /// The evaluation time.
    pub time: f64,
    /// (false-positive rate, true-positive rate) = (1 − specificity, sensitivity), from (0, 0) to
    /// (1, 1), both coordinates non-decreasing: the first point, then one per tie group of the
    /// risk score in decreasing order of risk.
    pub points: Vec<(f64, f64)>,
    /// The risk threshold of each point: point k counts as test-positive every subject whose
    /// risk is at least `thresholds[k]`, the smallest score of tie group k; infinite for the
    /// first point (no one positive). Strictly decreasing.
    pub thresholds: Vec<f64>,
    /// The trapezoid area under `points`: the AUC of [`cumulative_dynamic_auc`] at this time.
    pub auc: f64,
}

/// The cumulative/dynamic ROC curve at time `t` (Heagerty, Lumley & Pepe 2000; Uno et al.
/// 2007), with the cases, controls, weights and tie groups of [`cumulative_dynamic_auc`], so
/// that its trapezoid area is that AUC (sksurv computes the AUC as this area):
///
/// ```text
/// cases     i: event with t_i <= t, weight w_i = 1 / G(t_i)      (G from `train`, at t_i)
/// controls  j: t_j > t, weight 1
/// for each tie group k of the risk score, in decreasing order of risk, with c_k its smallest
/// score (every subject of a later group has a risk below c_k by more than TIED_TOL):
///   sensitivity(c_k)     = sum_{case i} w_i [r_i >= c_k] / sum_{case i} w_i
///   1 - specificity(c_k) = #{control j: r_j >= c_k} / #controls
/// ```
///
/// The curve starts at (0, 0) (threshold +infinity) and ends at (1, 1) (the last group takes
/// in everyone). O(n log n): one sort by risk, one pass.
///
/// Errors: those of [`cumulative_dynamic_auc`] for the single time `t`, and
/// [`MetricsError::NoCases`] when no test event is at or before `t` (where the AUC is NaN).
pub fn cumulative_dynamic_roc(
    train: &Surv,
    test: &Surv,
    risk: &[f64],
    t: f64,
) -> Result<RocCurve, MetricsError> {
    let (_, ranked) = RankedTest::new(train, test, risk, &[t])?;
    ranked
        .roc(test, risk, t)
        .ok_or(MetricsError::NoCases { time: t })
}

/// The time-dependent Brier score with inverse-probability-of-censoring weights (Graf et al.
/// 1999), exactly as sksurv's `brier_score(train, test, estimate, times)`.
///
/// `surv_pred[k][i]` is the predicted survival probability π_i(t_k) = Ŝ(t_k | x_i) of test
/// subject i at `times[k]`. With G from `train` ([`CensoringKm`]):
///
/// ```text
/// BS(t) = (1/n) sum_i [ I(t_i <= t, δ_i = 1) π_i(t)^2 / G(t_i)  +  I(t_i > t) (1 - π_i(t))^2 / G(t) ]
/// ```
///
/// Censored subjects with `t_i <= t` contribute 0 but stay in n. A term whose G is 0 contributes
/// 0 (sksurv replaces G = 0 by infinity), so G = 0 is not an error here. Predictions are not
/// checked to lie in [0, 1] (sksurv does not check either).
///
/// `times` must be strictly increasing (sksurv sorts the times but not the prediction columns;
/// here a time and its predictions stay together). Errors, as sksurv raises: shape mismatches;
/// non-finite predictions; no times, a non-finite time or one outside
/// `[min test time, max test time)`; all train or all test subjects censored; an evaluation time
/// or **any** test time (event or censored) after the last training time while G is still
/// positive there.
pub fn brier_scores(
    train: &Surv,
    test: &Surv,
    surv_pred: &[Vec<f64>],
    times: &[f64],
) -> Result<Vec<f64>, MetricsError> {
    require_events(test, "test")?;
    if surv_pred.len() != times.len() {
        return Err(MetricsError::LengthMismatch {
            what: "surv_pred",
            got: surv_pred.len(),
            expected: times.len(),
            of: "time points",
        });
    }
    for (index, &value) in times.iter().enumerate() {
        if !value.is_finite() {
            return Err(MetricsError::NonFiniteTime { index, value });
        }
        if index > 0 && value <= times[index - 1] {
            return Err(MetricsError::TimesNotIncreasing {
                index,
                previous: times[index - 1],
                value,
            });
        }
    }
    for (row, &time) in surv_pred.iter().zip(times) {
        if row.len() != test.len() {
            return Err(MetricsError::LengthMismatch {
                what: "a row of surv_pred",
                got: row.len(),
                expected: test.len(),
                of: "test subjects",
            });
        }
        if let Some((subject, &value)) = row.iter().enumerate().find(|(_, p)| !p.is_finite()) {
            return Err(MetricsError::NonFinitePrediction {
                subject,
                time,
                value,
            });
        }
    }
    check_range(test, times)?;
    require_events(train, "training")?;

    let cens = CensoringKm::new(train);
    let g_t = times
        .iter()
        .map(|&t| cens.checked_at(t))
        .collect::<Result<Vec<f64>, _>>()?;
    // G at a test time after the last evaluation time is never used (that subject is a control
    // at every time), so it is neither computed nor checked
    let t_max = *times.last().unwrap_or(&f64::INFINITY); // times are increasing
    let g_y = test
        .time()
        .iter()
        .map(|&t| {
            if t > t_max {
                Ok(1.0)
            } else {
                cens.checked_at(t)
            }
        })
        .collect::<Result<Vec<f64>, _>>()?;

    let n = test.len() as f64;
    let (ttime, tevent) = (test.time(), test.event());
    Ok(surv_pred
        .iter()
        .zip(times.iter().zip(&g_t))
        .map(|(pred, (&t, &gt))| {
            let sum: f64 = pred
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    if ttime[i] > t {
                        if gt == 0.0 {
                            0.0
                        } else {
                            (1.0 - p) * (1.0 - p) / gt
                        }
                    } else if tevent[i] && g_y[i] != 0.0 {
                        p * p / g_y[i]
                    } else {
                        0.0
                    }
                })
                .sum();
            sum / n
        })
        .collect())
}

/// The integrated Brier score, as sksurv's `integrated_brier_score`: the trapezoid rule over
/// the evaluation times divided by their span,
///
/// ```text
/// IBS = sum_k (t_{k+1} - t_k) (BS_k + BS_{k+1}) / 2  /  (t_K - t_1)
/// ```
///
/// `times` strictly increasing, one score per time. NaN when that does not hold or there are
/// fewer than 2 times (where sksurv raises "At least two time points must be given").
pub fn integrated_brier(times: &[f64], scores: &[f64]) -> f64 {
    if times.len() < 2
        || times.len() != scores.len()
        || times
            .windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
    {
        return f64::NAN;
    }
    let area: f64 = times
        .windows(2)
        .zip(scores.windows(2))
        .map(|(t, s)| (t[1] - t[0]) * (s[0] + s[1]) / 2.0)
        .sum();
    area / (times[times.len() - 1] - times[0])
}

/// The index of prediction accuracy (Kattan & Gerds 2018), the Brier score scaled by that of the
/// null model: `IPA = 1 - BS_model / BS_null`. Give both at the same time (or both integrated
/// over the same times); the null model is the Kaplan–Meier survival of the training data
/// ([`km_null_predictions`]). 1 is perfect, 0 no better than the null model, negative worse.
pub fn ipa(model_brier: f64, null_brier: f64) -> f64 {
    1.0 - model_brier / null_brier
}

/// The null model of the scaled Brier score / IPA: the Kaplan–Meier survival of the training
/// data (hazard d/n at each distinct time, sksurv's `SurvivalFunctionEstimator`) at each of
/// `times`, the same prediction for every subject. For [`brier_scores`], repeat `value[k]` for
/// every test subject at `times[k]`.
///
/// NaN where it is undefined: at a non-finite time, and after the last training time while the
/// estimate is still positive (sksurv raises there; R's `prodlim`, used by `riskRegression` for
/// the IPA, predicts NA).
pub fn km_null_predictions(train: &Surv, times: &[f64]) -> Vec<f64> {
    let km = Step::product_limit(train, false);
    times
        .iter()
        .map(|&t| km.checked_at(t).unwrap_or(f64::NAN))
        .collect()
}

/// Slow, obviously correct versions for property tests: every quantity from its definition by
/// scanning all subjects, O(n^2) per time point. Inputs are assumed valid (times sorted and in
/// range, no G = 0 at a test event); no checks.
pub mod naive {
    use super::TIED_TOL;
    use crate::stats::surv::Surv;

    /// G(t) = prod over distinct censoring times s <= t of
    /// (1 - #censored at s / (#{time >= s} - #events at s)).
    pub fn censoring_survival(train: &Surv, t: f64) -> f64 {
        let (time, event) = (train.time(), train.event());
        let mut cens: Vec<f64> = time
            .iter()
            .zip(event)
            .filter(|&(&s, &e)| !e && s <= t)
            .map(|(&s, _)| s)
            .collect();
        cens.sort_by(f64::total_cmp);
        cens.dedup();
        cens.iter()
            .map(|&s| {
                let c = time
                    .iter()
                    .zip(event)
                    .filter(|&(&x, &e)| x == s && !e)
                    .count();
                let d = time
                    .iter()
                    .zip(event)
                    .filter(|&(&x, &e)| x == s && e)
                    .count();
                let n = time.iter().filter(|&&x| x >= s).count();
                1.0 - c as f64 / (n - d) as f64
            })
            .product()
    }

    /// Kaplan–Meier S(t) = prod over distinct event times s <= t of (1 - d_s / n_s).
    pub fn km_survival(surv: &Surv, t: f64) -> f64 {
        let (time, event) = (surv.time(), surv.event());
        let mut ev: Vec<f64> = time
            .iter()
            .zip(event)
            .filter(|&(&s, &e)| e && s <= t)
            .map(|(&s, _)| s)
            .collect();
        ev.sort_by(f64::total_cmp);
        ev.dedup();
        ev.iter()
            .map(|&s| {
                let d = time
                    .iter()
                    .zip(event)
                    .filter(|&(&x, &e)| x == s && e)
                    .count();
                let n = time.iter().filter(|&&x| x >= s).count();
                1.0 - d as f64 / n as f64
            })
            .product()
    }

    /// AUC(t) by enumerating every (case, control) pair: a case scores 1 against a control with
    /// a risk lower by more than [`TIED_TOL`], 1/2 within it. Equal to the tie-group rule of
    /// [`super::cumulative_dynamic_auc`] when no chain of near-ties spans more than the
    /// tolerance (for instance, scores on a coarse grid).
    pub fn cumulative_dynamic_auc(
        train: &Surv,
        test: &Surv,
        risk: &[f64],
        times: &[f64],
    ) -> Vec<f64> {
        let (time, event) = (test.time(), test.event());
        times
            .iter()
            .map(|&t| {
                let (mut num, mut den) = (0.0, 0.0);
                for i in 0..test.len() {
                    if !(event[i] && time[i] <= t) {
                        continue;
                    }
                    let w = 1.0 / censoring_survival(train, time[i]);
                    for j in 0..test.len() {
                        if time[j] <= t {
                            continue;
                        }
                        den += w;
                        let diff = risk[i] - risk[j];
                        if diff.abs() <= TIED_TOL {
                            num += 0.5 * w;
                        } else if diff > 0.0 {
                            num += w;
                        }
                    }
                }
                num / den
            })
            .collect()
    }

    /// The ROC curve at `t` from its definition, O(n^2): for each distinct risk value c, in
    /// decreasing order, the weighted share of cases and the share of controls with risk >= c,
    /// after the point (0, 0). Equal to [`super::cumulative_dynamic_roc`] when no two different
    /// scores are within [`TIED_TOL`]. Returns (points, thresholds).
    pub fn roc_curve(
        train: &Surv,
        test: &Surv,
        risk: &[f64],
        t: f64,
    ) -> (Vec<(f64, f64)>, Vec<f64>) {
        let (time, event) = (test.time(), test.event());
        let mut values = risk.to_vec();
        values.sort_by(|a, b| b.total_cmp(a));
        values.dedup();
        let is_case = |i: usize| event[i] && time[i] <= t;
        let w = |i: usize| 1.0 / censoring_survival(train, time[i]);
        let total: f64 = (0..test.len()).filter(|&i| is_case(i)).map(w).sum();
        let controls = (0..test.len()).filter(|&j| time[j] > t).count() as f64;
        let mut points = vec![(0.0, 0.0)];
        let mut thresholds = vec![f64::INFINITY];
        for &c in &values {
            let tp: f64 = (0..test.len())
                .filter(|&i| is_case(i) && risk[i] >= c)
                .map(w)
                .sum();
            let fp = (0..test.len())
                .filter(|&j| time[j] > t && risk[j] >= c)
                .count() as f64;
            points.push((fp / controls, tp / total));
            thresholds.push(c);
        }
        (points, thresholds)
    }

    /// sksurv's mean AUC from its definition, with the test Kaplan–Meier curve.
    pub fn mean_auc(test: &Surv, times: &[f64], auc: &[f64]) -> f64 {
        if auc.len() == 1 {
            return auc[0];
        }
        let s: Vec<f64> = times.iter().map(|&t| km_survival(test, t)).collect();
        let mut num = 0.0;
        for k in 0..auc.len() {
            let before = if k == 0 { 1.0 } else { s[k - 1] };
            num += auc[k] * (before - s[k]);
        }
        num / (1.0 - s[s.len() - 1])
    }

    /// The Brier score from its definition, term by term (a zero G drops its term).
    pub fn brier_scores(
        train: &Surv,
        test: &Surv,
        surv_pred: &[Vec<f64>],
        times: &[f64],
    ) -> Vec<f64> {
        let (time, event) = (test.time(), test.event());
        times
            .iter()
            .zip(surv_pred)
            .map(|(&t, pred)| {
                let mut sum = 0.0;
                for i in 0..test.len() {
                    if event[i] && time[i] <= t {
                        let g = censoring_survival(train, time[i]);
                        if g > 0.0 {
                            sum += pred[i].powi(2) / g;
                        }
                    } else if time[i] > t {
                        let g = censoring_survival(train, t);
                        if g > 0.0 {
                            sum += (1.0 - pred[i]).powi(2) / g;
                        }
                    }
                }
                sum / test.len() as f64
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
