//! The nomogram of a Cox model, scaled as `rms::nomogram` scales it.
//!
//! Each covariate gets an axis. A numeric covariate with at most 10 distinct training values has a
//! tick per value; any other numeric covariate has R's `pretty()` ticks over its full training
//! range (about 10 intervals); a categorical covariate has a tick per level. A covariate's
//! contribution at a tick is x·β (for a level, the coefficient of its dummy term; 0 for the
//! reference). Let R_j be the range of covariate j's contributions over its ticks: the covariate
//! with the widest range gets `max_points` (100) points and every point is worth
//! `scale = max_points / max_j R_j` units of the linear predictor, so that
//!
//! ```text
//! points_j(x) = (x·β_j - min_ticks(x·β_j)) · scale
//! total       = Σ_j points_j
//! lp          = total / scale + intercept,    intercept = Σ_j min_ticks(x·β_j) - centre
//! ```
//!
//! where `lp` is centred as `rms::cph`'s `predict(type = "lp")`: at the training mean of every
//! design column (`centre` = mean of x'β over the training rows). This differs from `coxph`'s
//! centring, which leaves 0/1 columns uncentred; [`Nomogram::coxph_shift`] converts.
//!
//! The linear-predictor axis has R's `pretty()` values over the training range of `lp`; the
//! total-points axis spans `pretty(0, max(max_points, largest lp tick in points))`. A survival axis
//! at horizon t maps total points to S(t) = exp(-H0(t) exp(lp)); its ticks are `pretty()` values
//! over the survival range on the lp axis, placed exactly by inverting S (rms inverts numerically
//! on a 1000-point grid). The median-survival axis places tick m where the predicted median falls
//! to m: lp = log(log 2 / H0(m)).
//!
//! A Fine-Gray model (`cmprsk::crr`) gets the same points scale on its subdistribution linear
//! predictor ([`Nomogram::from_fine_gray`]); its outcome axes are the predicted cumulative
//! incidence of the event of interest at each horizon, F(t) = 1 - exp(-Λ0(t) exp(x'β)) with crr's
//! baseline Λ0, as `QHScrnomo::nomogram.crr` draws them.

use crate::model::competing::CompetingModelFile;
use crate::model::file::{CovariateSummary, ModelFile};
use crate::model::spec::format_number;
use crate::model::spec::{CovariateKind, CovariateSpec};
use crate::stats::competing::FineGray;
use crate::stats::pretty::pretty;
use serde::Serialize;
use thiserror::Error;

/// Options of the nomogram, with `rms::nomogram`'s defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramOptions {
    /// Points of the covariate with the widest effect. Default 100 (`maxscale`).
    pub max_points: f64,
    /// Number of intervals asked of `pretty()` for every axis. Default 10 (`nint`).
    pub intervals: usize,
    /// Horizons of the predicted-survival axes. Default none.
    pub times: Vec<f64>,
    /// Whether to add the median-survival axis. Default true.
    pub median: bool,
}

impl Default for NomogramOptions {
    fn default() -> Self {
        NomogramOptions {
            max_points: 100.0,
            intervals: 10,
            times: Vec::new(),
            median: true,
        }
    }
}

/// Why a nomogram cannot be drawn.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NomogramError {
    #[error("every coefficient is zero: a nomogram has nothing to show")]
    NoEffect,
    #[error("the model has no summary of covariate '{0}'")]
    MissingSummary(String),
    #[error("the model has no coefficient for term '{0}'")]
    MissingTerm(String),
    #[error("horizon {0} is not a positive number")]
    BadHorizon(f64),
    #[error("covariate '{name}': {message}")]
    BadValue { name: String, message: String },
    #[error("a cause-specific model has one linear predictor per cause, not one a nomogram can draw; fit a Fine-Gray model (--model fine-gray) for a competing-risks nomogram")]
    NotFineGray,
}

/// A tick's value: a number or a level.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TickValue {
    Number(f64),
    Level(String),
}

impl TickValue {
    /// The tick's label.
    pub fn label(&self) -> String {
        match self {
            TickValue::Number(v) => format_number(*v),
            TickValue::Level(l) => l.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub value: TickValue,
    pub points: f64,
}

/// One covariate's axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableAxis {
    pub name: String,
    pub axis: Vec<Tick>,
    /// For a numeric covariate: points per unit (negative when points fall as the value rises).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_per_unit: Option<f64>,
    /// For a numeric covariate whose `pretty()` ticks reach beyond the training data (age 20 to
    /// 100 for patients aged 22 to 95): the training minimum and maximum. The axis keeps rms's
    /// ticks; values outside this range extrapolate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_range: Option<[f64; 2]>,
    /// x·β at the tick with the fewest points (0 points).
    #[serde(skip)]
    min_contribution: f64,
    #[serde(skip)]
    kind: AxisKind,
}

#[derive(Debug, Clone, PartialEq)]
enum AxisKind {
    Numeric {
        beta: f64,
    },
    Categorical {
        betas: Vec<(String, f64)>,
        reference: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LpTick {
    pub total_points: f64,
    pub lp: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurvivalTick {
    pub total_points: f64,
    pub survival: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MedianTick {
    pub total_points: f64,
    pub time: f64,
}

/// Predicted survival at one horizon (in one stratum when the model has strata).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HorizonAxis {
    pub time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    pub axis: Vec<SurvivalTick>,
}

/// Median survival time (in one stratum when the model has strata).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedianAxis {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    pub axis: Vec<MedianTick>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IncidenceTick {
    pub total_points: f64,
    /// Predicted cumulative incidence of the event of interest.
    pub incidence: f64,
}

/// Predicted cumulative incidence at one horizon (a Fine-Gray nomogram).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidenceAxis {
    pub time: f64,
    /// crr's baseline cumulative subdistribution hazard Λ0(t) at x = 0: the incidence at total
    /// points P is 1 - exp(-Λ0(t) exp(lp + coxph_shift)), lp = P / scale + intercept.
    pub baseline_cumhaz: f64,
    pub axis: Vec<IncidenceTick>,
}

/// The nomogram: every axis as (value, points) pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nomogram {
    pub variables: Vec<VariableAxis>,
    /// Ticks of the total-points axis.
    pub total_points: Vec<f64>,
    pub lp_axis: Vec<LpTick>,
    pub horizons: Vec<HorizonAxis>,
    pub median: Vec<MedianAxis>,
    /// A Fine-Gray nomogram's cumulative-incidence axes (none for a Cox model).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidence: Vec<IncidenceAxis>,
    /// Whether this is a Fine-Gray nomogram: its linear predictor is that of the subdistribution
    /// hazard and its outcome axes are the cumulative incidence of the event of interest
    /// (`incidence`), not survival. Absent from the JSON of a Cox nomogram.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fine_gray: bool,
    /// Points per unit of the linear predictor.
    pub scale: f64,
    /// The (cph-centred) linear predictor at 0 total points.
    pub intercept: f64,
    /// Add to a cph-centred lp to get the lp centred as `coxph` (and `prognosis predict`) centre it;
    /// for a Fine-Gray nomogram, to get crr's uncentred x'β.
    pub coxph_shift: f64,
    pub max_points: f64,
    pub time_unit: Option<String>,
}

impl VariableAxis {
    /// x·β at the tick with the fewest points: a value's points are
    /// `(x·β - min_contribution) · scale`.
    pub fn min_contribution(&self) -> f64 {
        self.min_contribution
    }
}

/// One patient's points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientPoints {
    /// (covariate, value label, points) in model order.
    pub factors: Vec<(String, String, f64)>,
    pub total: f64,
    /// Linear predictor centred as `rms::cph` (the nomogram's lp axis).
    pub lp: f64,
}

/// A covariate value of one patient.
#[derive(Debug, Clone, PartialEq)]
pub enum PatientValue {
    Number(f64),
    Level(String),
}

/// The points scale every nomogram shares: the covariate axes, points per unit of the linear
/// predictor, the centred linear predictor at 0 points and its axis, and the total-points axis.
struct PointsScale {
    variables: Vec<VariableAxis>,
    scale: f64,
    intercept: f64,
    /// The mean of x'β over the training rows (the centre of the linear predictor).
    centre: f64,
    lp_axis: Vec<LpTick>,
    total_points: Vec<f64>,
    /// The range of the centred lp axis: the outcome axes are drawn over it.
    lp_min: f64,
    lp_max: f64,
}

impl PointsScale {
    /// The scale of the coefficients `coef_of(term)` over the covariates' training summaries;
    /// `lp_summary` (mean, min, max of x'β over the training rows) when known, else the mean
    /// from the summaries and the range of the ticks.
    fn new(
        covariates: &[CovariateSpec],
        summaries: &[CovariateSummary],
        coef_of: &dyn Fn(&str) -> Option<f64>,
        lp_summary: Option<(f64, f64, f64)>,
        opts: &NomogramOptions,
    ) -> Result<PointsScale, NomogramError> {
        if let Some(&t) = opts.times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(NomogramError::BadHorizon(t));
        }
        let coef_of = |term: &str| -> Result<f64, NomogramError> {
            coef_of(term).ok_or_else(|| NomogramError::MissingTerm(term.to_string()))
        };
        let mut variables = Vec::new();
        // fallback centre and lp range from the covariate summaries (older model files)
        let mut centre_from_summaries = 0.0;
        for cs in covariates {
            let summary = summaries
                .iter()
                .find(|s| summary_name(s) == cs.name)
                .ok_or_else(|| NomogramError::MissingSummary(cs.name.clone()))?;
            let (values, kind, contributions) = match (&cs.kind, summary) {
                (
                    CovariateKind::Numeric,
                    CovariateSummary::Numeric {
                        min,
                        max,
                        mean,
                        values,
                        ..
                    },
                ) => {
                    let beta = coef_of(&cs.name)?;
                    centre_from_summaries += beta * mean;
                    let ticks = match values {
                        Some(v) => v.clone(),
                        None => pretty(*min, *max, opts.intervals),
                    };
                    let contributions = ticks.iter().map(|v| v * beta).collect::<Vec<_>>();
                    (
                        ticks.into_iter().map(TickValue::Number).collect::<Vec<_>>(),
                        AxisKind::Numeric { beta },
                        contributions,
                    )
                }
                (
                    CovariateKind::Categorical { levels, reference },
                    CovariateSummary::Categorical {
                        n, levels: counts, ..
                    },
                ) => {
                    let mut betas = Vec::new();
                    for l in levels {
                        let b = if l == reference {
                            0.0
                        } else {
                            coef_of(&format!("{}={}", cs.name, l))?
                        };
                        let count = counts.iter().find(|c| &c.level == l).map_or(0, |c| c.n);
                        centre_from_summaries += b * count as f64 / (*n).max(1) as f64;
                        betas.push((l.clone(), b));
                    }
                    let contributions = betas.iter().map(|(_, b)| *b).collect();
                    (
                        levels.iter().cloned().map(TickValue::Level).collect(),
                        AxisKind::Categorical {
                            betas,
                            reference: reference.clone(),
                        },
                        contributions,
                    )
                }
                _ => return Err(NomogramError::MissingSummary(cs.name.clone())),
            };
            let data_range = match (&cs.kind, summary) {
                (CovariateKind::Numeric, CovariateSummary::Numeric { min, max, .. }) => {
                    let tick_numbers = values.iter().filter_map(|v| match v {
                        TickValue::Number(x) => Some(*x),
                        _ => None,
                    });
                    let (tlo, thi) = tick_numbers
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                            (a.min(x), b.max(x))
                        });
                    (tlo < *min || thi > *max).then_some([*min, *max])
                }
                _ => None,
            };
            let lo = contributions.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = contributions
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            variables.push((
                VariableAxis {
                    name: cs.name.clone(),
                    axis: values
                        .into_iter()
                        .zip(&contributions)
                        .map(|(value, &c)| Tick { value, points: c })
                        .collect(),
                    points_per_unit: None,
                    data_range,
                    min_contribution: lo,
                    kind,
                },
                hi - lo,
            ));
        }
        let widest = variables.iter().map(|v| v.1).fold(0.0, f64::max);
        if widest.is_nan() || widest <= 0.0 {
            return Err(NomogramError::NoEffect);
        }
        let scale = opts.max_points / widest;
        let sum_min: f64 = variables.iter().map(|v| v.0.min_contribution).sum();
        let sum_max: f64 = variables.iter().map(|v| v.0.min_contribution + v.1).sum();
        let (centre, lp_lo, lp_hi) =
            lp_summary.unwrap_or((centre_from_summaries, sum_min, sum_max));
        let variables: Vec<VariableAxis> = variables
            .into_iter()
            .map(|(mut v, _)| {
                for t in &mut v.axis {
                    t.points = (t.points - v.min_contribution) * scale;
                }
                if let AxisKind::Numeric { beta } = v.kind {
                    v.points_per_unit = Some(beta * scale);
                }
                v
            })
            .collect();
        let intercept = sum_min - centre;
        let lp_at = pretty(lp_lo - centre, lp_hi - centre, opts.intervals);
        let lp_axis: Vec<LpTick> = lp_at
            .iter()
            .map(|&lp| LpTick {
                total_points: (lp - intercept) * scale,
                lp,
            })
            .collect();
        let top = lp_axis
            .iter()
            .map(|t| t.total_points)
            .fold(opts.max_points, f64::max);
        let total_points = pretty(0.0, top, opts.intervals);
        let (lp_min, lp_max) = match (lp_at.first(), lp_at.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (lp_lo - centre, lp_hi - centre),
        };
        Ok(PointsScale {
            variables,
            scale,
            intercept,
            centre,
            lp_axis,
            total_points,
            lp_min,
            lp_max,
        })
    }

    /// The nomogram on this scale, without outcome axes; `shift` is added to its centred lp to
    /// give the model's own.
    fn nomogram(&self, shift: f64, max_points: f64, time_unit: Option<String>) -> Nomogram {
        Nomogram {
            variables: self.variables.clone(),
            total_points: self.total_points.clone(),
            lp_axis: self.lp_axis.clone(),
            horizons: Vec::new(),
            median: Vec::new(),
            incidence: Vec::new(),
            fine_gray: false,
            scale: self.scale,
            intercept: self.intercept,
            coxph_shift: shift,
            max_points,
            time_unit,
        }
    }
}

impl Nomogram {
    /// The nomogram of a saved model.
    pub fn from_model(
        model: &ModelFile,
        opts: &NomogramOptions,
    ) -> Result<Nomogram, NomogramError> {
        let fit = &model.fit;
        let coef_of = |term: &str| -> Option<f64> {
            fit.terms
                .iter()
                .position(|t| t == term)
                .map(|j| fit.coef[j])
        };
        let ps = PointsScale::new(
            &model.spec.covariates,
            &model.covariates,
            &coef_of,
            model
                .linear_predictor
                .as_ref()
                .map(|s| (s.mean, s.min, s.max)),
            opts,
        )?;
        let coxph_centre: f64 = fit.means.iter().zip(&fit.coef).map(|(m, b)| m * b).sum();
        let coxph_shift = ps.centre - coxph_centre;
        let mut nom = ps.nomogram(coxph_shift, opts.max_points, model.spec.time_unit.clone());
        let (lp_min, lp_max) = (ps.lp_min, ps.lp_max);
        let strata: Vec<Option<String>> = match &model.spec.strata {
            Some(s) => s
                .levels
                .iter()
                .map(|l| Some(format!("{}={l}", s.column)))
                .collect(),
            None => vec![None],
        };
        for (k, stratum) in strata.iter().enumerate() {
            let base = &fit.baseline[k];
            for &t in &opts.times {
                let h0 = base.index_at(t).map_or(0.0, |i| base.cumhaz[i]);
                let axis = if h0 > 0.0 {
                    nom.survival_axis(h0, lp_min, lp_max, opts.intervals)
                } else {
                    Vec::new()
                };
                nom.horizons.push(HorizonAxis {
                    time: t,
                    stratum: stratum.clone(),
                    axis,
                });
            }
            if opts.median {
                let axis =
                    nom.median_axis(&base.time, &base.cumhaz, lp_min, lp_max, opts.intervals);
                nom.median.push(MedianAxis {
                    stratum: stratum.clone(),
                    axis,
                });
            }
        }
        Ok(nom)
    }

    /// The nomogram of a Fine-Gray model (as `QHScrnomo::nomogram.crr` draws it): the points
    /// scale of [`Nomogram::from_model`] on the subdistribution linear predictor, and one axis of
    /// the predicted cumulative incidence of the event of interest per horizon t,
    /// F(t) = 1 - exp(-exp(x'β) Λ0(t)) with crr's baseline Λ0 (`opts.median` is ignored: a
    /// cumulative incidence has no median). `covariates` and `summaries` describe the design the
    /// model was fitted on (its terms are `fit.names`); the lp axis is centred at the
    /// summaries' mean of x'β, and [`Nomogram::coxph_shift`] is that mean, so that a centred lp
    /// plus it is crr's uncentred x'β.
    pub fn from_fine_gray(
        fit: &FineGray,
        covariates: &[CovariateSpec],
        summaries: &[CovariateSummary],
        time_unit: Option<String>,
        opts: &NomogramOptions,
    ) -> Result<Nomogram, NomogramError> {
        let mut cumhaz = Vec::with_capacity(fit.baseline_jumps.len());
        let mut h = 0.0;
        for d in &fit.baseline_jumps {
            h += d;
            cumhaz.push(h);
        }
        Self::fine_gray_scale(
            &fit.names,
            &fit.coef,
            (&fit.event_times, &cumhaz),
            covariates,
            summaries,
            time_unit,
            opts,
        )
    }

    /// The nomogram of a saved Fine-Gray model file, as [`Nomogram::from_fine_gray`] draws the
    /// fit it came from. The file stores the baseline at the training means `center`; crr's
    /// baseline (at x = 0) is Λ0(t) = Λ_center(t) exp(-center'β). A cause-specific file has no
    /// single linear predictor and is refused ([`NomogramError::NotFineGray`]).
    pub fn from_competing_model(
        model: &CompetingModelFile,
        opts: &NomogramOptions,
    ) -> Result<Nomogram, NomogramError> {
        let fg = model.fine_gray.as_ref().ok_or(NomogramError::NotFineGray)?;
        let shift: f64 = fg.center.iter().zip(&fg.coef).map(|(c, b)| c * b).sum();
        let factor = (-shift).exp();
        let cumhaz: Vec<f64> = fg.cumhaz.iter().map(|h| h * factor).collect();
        Self::fine_gray_scale(
            &fg.terms,
            &fg.coef,
            (&fg.time, &cumhaz),
            &model.spec.covariates,
            &model.covariates,
            model.spec.time_unit.clone(),
            opts,
        )
    }

    /// The Fine-Gray nomogram of coefficients `coef` of `terms` and crr's baseline cumulative
    /// subdistribution hazard `baseline` = (event times, Λ0 at x = 0 at each).
    fn fine_gray_scale(
        terms: &[String],
        coef: &[f64],
        baseline: (&[f64], &[f64]),
        covariates: &[CovariateSpec],
        summaries: &[CovariateSummary],
        time_unit: Option<String>,
        opts: &NomogramOptions,
    ) -> Result<Nomogram, NomogramError> {
        let coef_of =
            |term: &str| -> Option<f64> { terms.iter().position(|t| t == term).map(|j| coef[j]) };
        let ps = PointsScale::new(covariates, summaries, &coef_of, None, opts)?;
        let mut nom = ps.nomogram(ps.centre, opts.max_points, time_unit);
        nom.fine_gray = true;
        let (times, cumhaz) = baseline;
        for &t in &opts.times {
            let k = times.partition_point(|&u| u <= t);
            let h0 = if k == 0 { 0.0 } else { cumhaz[k - 1] };
            let axis = if h0 > 0.0 {
                nom.incidence_axis(h0, ps.lp_min, ps.lp_max, opts.intervals)
            } else {
                Vec::new()
            };
            nom.incidence.push(IncidenceAxis {
                time: t,
                baseline_cumhaz: h0,
                axis,
            });
        }
        Ok(nom)
    }

    /// Total points of a (cph-centred) linear predictor.
    pub fn points_of_lp(&self, lp: f64) -> f64 {
        (lp - self.intercept) * self.scale
    }

    /// The (cph-centred) linear predictor of a total.
    pub fn lp_of_points(&self, total: f64) -> f64 {
        total / self.scale + self.intercept
    }

    /// The cumulative incidence that a Fine-Gray nomogram's axis `axis` reads at `total` points:
    /// 1 - exp(-Λ0(t) exp(lp + coxph_shift)).
    pub fn incidence_at_points(&self, axis: &IncidenceAxis, total: f64) -> f64 {
        let eta = self.lp_of_points(total) + self.coxph_shift;
        -(-axis.baseline_cumhaz * eta.exp()).exp_m1()
    }

    fn survival_axis(&self, h0: f64, lp_min: f64, lp_max: f64, n: usize) -> Vec<SurvivalTick> {
        let surv = |lp: f64| (-h0 * (lp + self.coxph_shift).exp()).exp();
        let (s_lo, s_hi) = (surv(lp_max), surv(lp_min));
        pretty(s_lo, s_hi, n)
            .into_iter()
            .filter(|&s| s >= s_lo && s <= s_hi && s > 0.0 && s < 1.0)
            .map(|s| {
                let lp = (-s.ln() / h0).ln() - self.coxph_shift;
                SurvivalTick {
                    total_points: self.points_of_lp(lp),
                    survival: s,
                }
            })
            .collect()
    }

    /// Ticks of the cumulative incidence 1 - exp(-h0 exp(lp + shift)) over the lp range, at
    /// `pretty()` values placed exactly: lp = log(-log(1 - F) / h0) - shift.
    fn incidence_axis(&self, h0: f64, lp_min: f64, lp_max: f64, n: usize) -> Vec<IncidenceTick> {
        let cif = |lp: f64| -(-h0 * (lp + self.coxph_shift).exp()).exp_m1();
        let (f_lo, f_hi) = (cif(lp_min), cif(lp_max));
        pretty(f_lo, f_hi, n)
            .into_iter()
            .filter(|&f| f >= f_lo && f <= f_hi && f > 0.0 && f < 1.0)
            .map(|f| {
                let lp = (-(-f).ln_1p() / h0).ln() - self.coxph_shift;
                IncidenceTick {
                    total_points: self.points_of_lp(lp),
                    incidence: f,
                }
            })
            .collect()
    }

    fn median_axis(
        &self,
        times: &[f64],
        cumhaz: &[f64],
        lp_min: f64,
        lp_max: f64,
        n: usize,
    ) -> Vec<MedianTick> {
        let ln2 = std::f64::consts::LN_2;
        // lp (cph-centred) at which the median falls to times[k] or below
        let lp_at_index = |k: usize| (ln2 / cumhaz[k]).ln() - self.coxph_shift;
        let median_at = |lp: f64| -> Option<f64> {
            let r = (lp + self.coxph_shift).exp();
            times
                .iter()
                .zip(cumhaz)
                .find(|(_, &h)| h * r >= ln2)
                .map(|(&t, _)| t)
        };
        let Some(lowest) = median_at(lp_max) else {
            return Vec::new();
        };
        let highest = median_at(lp_min).unwrap_or(times[times.len() - 1]);
        if highest <= lowest {
            return Vec::new();
        }
        let mut out: Vec<MedianTick> = Vec::new();
        for m in pretty(lowest, highest, n) {
            if m < lowest || m > highest {
                continue;
            }
            let k = times.partition_point(|&t| t <= m);
            if k == 0 || cumhaz[k - 1] <= 0.0 {
                continue;
            }
            let lp = lp_at_index(k - 1);
            if lp < lp_min || lp > lp_max {
                continue;
            }
            let total_points = self.points_of_lp(lp);
            // ticks without an event time between them fall on one place: keep the first
            if out
                .last()
                .is_some_and(|p| (p.total_points - total_points).abs() < 1e-9)
            {
                continue;
            }
            out.push(MedianTick {
                total_points,
                time: m,
            });
        }
        out
    }

    /// A patient's covariate values from a design row (one value per model term, as
    /// [`crate::data::cohort::encode_patient`] gives it).
    pub fn values_from_design(&self, x: &[f64]) -> Vec<PatientValue> {
        let mut at = 0;
        let mut out = Vec::with_capacity(self.variables.len());
        for v in &self.variables {
            match &v.kind {
                AxisKind::Numeric { .. } => {
                    out.push(PatientValue::Number(x.get(at).copied().unwrap_or(f64::NAN)));
                    at += 1;
                }
                AxisKind::Categorical { betas, reference } => {
                    let others: Vec<&String> = betas
                        .iter()
                        .map(|b| &b.0)
                        .filter(|l| *l != reference)
                        .collect();
                    let level = others
                        .iter()
                        .enumerate()
                        .find(|(k, _)| x.get(at + k) == Some(&1.0))
                        .map_or(reference.clone(), |(_, l)| (*l).clone());
                    out.push(PatientValue::Level(level));
                    at += others.len();
                }
            }
        }
        out
    }

    /// Points of one patient: `values` holds one value per covariate, in model order.
    pub fn score(&self, values: &[PatientValue]) -> Result<PatientPoints, NomogramError> {
        if values.len() != self.variables.len() {
            return Err(NomogramError::BadValue {
                name: String::new(),
                message: format!(
                    "{} values for {} covariates",
                    values.len(),
                    self.variables.len()
                ),
            });
        }
        let mut factors = Vec::new();
        let mut total = 0.0;
        for (v, value) in self.variables.iter().zip(values) {
            let (label, contribution) = match (&v.kind, value) {
                (AxisKind::Numeric { beta }, PatientValue::Number(x)) => {
                    (format_number(*x), beta * x)
                }
                (AxisKind::Categorical { betas, .. }, PatientValue::Level(l)) => {
                    let b = betas.iter().find(|(lv, _)| lv == l).ok_or_else(|| {
                        NomogramError::BadValue {
                            name: v.name.clone(),
                            message: format!("unknown level '{l}'"),
                        }
                    })?;
                    (l.clone(), b.1)
                }
                _ => {
                    return Err(NomogramError::BadValue {
                        name: v.name.clone(),
                        message: "a number and a level are mixed up".into(),
                    })
                }
            };
            let points = (contribution - v.min_contribution) * self.scale;
            total += points;
            factors.push((v.name.clone(), label, points));
        }
        Ok(PatientPoints {
            factors,
            total,
            lp: self.lp_of_points(total),
        })
    }
}

fn summary_name(s: &CovariateSummary) -> &str {
    match s {
        CovariateSummary::Numeric { name, .. } | CovariateSummary::Categorical { name, .. } => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::competing::{crr, CompetingSurv, CrrOptions};
    use crate::stats::cox::Design;

    /// A Fine-Gray fit of one 0/1 covariate on 12 subjects, with its summary.
    fn small_fit() -> (FineGray, Vec<CovariateSpec>, Vec<CovariateSummary>) {
        let x = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let time = vec![
            2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0,
        ];
        let cause = vec![1, 1, 2, 1, 0, 1, 2, 0, 1, 1, 0, 2];
        let surv = CompetingSurv::new(time, cause).unwrap();
        let design = Design::new(x.to_vec(), 12, vec!["x".into()]).unwrap();
        let fit = crr(&surv, &design, &CrrOptions::default()).unwrap();
        let spec = vec![CovariateSpec {
            name: "x".into(),
            kind: CovariateKind::Numeric,
        }];
        let summary = vec![CovariateSummary::Numeric {
            name: "x".into(),
            n: 12,
            min: 0.0,
            max: 1.0,
            mean: 0.5,
            sd: 0.52,
            n_distinct: 2,
            values: Some(vec![0.0, 1.0]),
            quantiles: Vec::new(),
        }];
        (fit, spec, summary)
    }

    #[test]
    fn fine_gray_nomogram_axes_and_errors() {
        let (fit, spec, summary) = small_fit();
        let opts = |times: Vec<f64>| NomogramOptions {
            times,
            ..Default::default()
        };
        // one covariate: its effect is the whole 100 points, and the lp centre is its mean effect
        let nom =
            Nomogram::from_fine_gray(&fit, &spec, &summary, None, &opts(vec![1.0, 9.0])).unwrap();
        let b = fit.coef[0];
        assert!((nom.scale - 100.0 / b.abs()).abs() < 1e-9);
        assert!((nom.coxph_shift - 0.5 * b).abs() < 1e-12);
        // no event before time 1: an empty axis, kept so that axes match the horizons
        assert_eq!(nom.incidence.len(), 2);
        assert!(nom.incidence[0].axis.is_empty());
        assert!(nom.horizons.is_empty() && nom.median.is_empty());
        // a Fine-Gray nomogram says so; each tick reads back through its axis's baseline
        assert!(nom.fine_gray);
        let h = &nom.incidence[1];
        let jumps: f64 = fit
            .event_times
            .iter()
            .zip(&fit.baseline_jumps)
            .filter(|(t, _)| **t <= 9.0)
            .map(|(_, j)| j)
            .sum();
        assert!((h.baseline_cumhaz - jumps).abs() < 1e-12 && !h.axis.is_empty());
        for t in &h.axis {
            assert!((nom.incidence_at_points(h, t.total_points) - t.incidence).abs() < 1e-12);
        }
        assert!(matches!(
            Nomogram::from_fine_gray(&fit, &spec, &summary, None, &opts(vec![-1.0])),
            Err(NomogramError::BadHorizon(_))
        ));
        let other = vec![CovariateSpec {
            name: "y".into(),
            kind: CovariateKind::Numeric,
        }];
        assert!(matches!(
            Nomogram::from_fine_gray(&fit, &other, &summary, None, &opts(vec![])).unwrap_err(),
            NomogramError::MissingSummary(_)
        ));
    }
}
