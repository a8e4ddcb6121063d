//! The model file of a competing-risks model (`fit --model fine-gray | cause-specific --out`): one
//! JSON document with a format name of its own, so that a command made for Cox models refuses it
//! by name instead of misreading it, sealed with a SHA-256 checksum and checked field by field on
//! loading, as the Cox model file ([`crate::model::file`]).
//!
//! A Fine-Gray file holds, besides the coefficients and their sandwich variance, per distinct event
//! time of the cause the baseline cumulative subdistribution hazard and the terms that make the
//! variance of log Lambda_1(t; x) a quadratic form in x ([`PredictionTerms`]): prediction with a
//! standard error needs no training data. A cause-specific file holds each cause's Cox
//! coefficients, variance and baseline hazard increments: the absolute risk follows from them
//! alone; its standard error needs the training data's influence functions, so it is given when
//! the training file is passed again (and its SHA-256 matches the one recorded here).

use crate::model::file::{
    first_null_number, has_duplicates, unknown_field, CovariateSummary, ModelError, TrainingSummary,
};
use crate::model::spec::{CovariateKind, ModelSpec};
use crate::stats::competing::{
    predict_from_terms, CauseHazards, CompetingError, CompetingSurv, PredictionTerms, RiskInfluence,
};
use crate::stats::cox::{Design, Ties};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The `format` field of a competing-risks model file.
pub const FORMAT: &str = "prognosis-competing-model";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Which competing-risks model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompetingKind {
    FineGray,
    CauseSpecific,
}

impl CompetingKind {
    pub fn name(self) -> &'static str {
        match self {
            CompetingKind::FineGray => "fine-gray",
            CompetingKind::CauseSpecific => "cause-specific",
        }
    }
}

/// The outcome: the event column's label of the cause of interest, of the competing causes, and of
/// censoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingOutcome {
    pub cause: String,
    pub competing: Vec<String>,
    pub censor_values: Vec<String>,
    /// Events of the cause of interest and of each competing cause (in `competing`'s order), and
    /// censored rows, in the training data.
    pub events: usize,
    pub competing_events: Vec<usize>,
    pub censored: usize,
}

/// A Fine-Gray fit with what prediction needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGrayModel {
    pub terms: Vec<String>,
    pub coef: Vec<f64>,
    /// cmprsk's sandwich variance, row by row.
    pub var: Vec<Vec<f64>>,
    /// Level of the limits.
    pub level: f64,
    pub converged: bool,
    pub iterations: usize,
    /// Log pseudo-likelihood at 0 and at the estimate.
    pub loglik: [f64; 2],
    /// Centring of the covariates (training means) for the stored baseline.
    pub center: Vec<f64>,
    /// Distinct event times of the cause, increasing.
    pub time: Vec<f64>,
    /// Baseline cumulative subdistribution hazard at `center`.
    pub cumhaz: Vec<f64>,
    /// Variance terms per time: Var log Lambda(t; x) = var_a + 2 g'var_c + g' var g,
    /// g = (x - center) - var_m.
    pub var_a: Vec<f64>,
    pub var_c: Vec<Vec<f64>>,
    pub var_m: Vec<Vec<f64>>,
}

/// One cause's Cox model in a cause-specific file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseModel {
    /// The event column's label of the cause.
    pub cause: String,
    pub coef: Vec<f64>,
    /// The Cox variance (inverse information), row by row.
    pub var: Vec<Vec<f64>>,
    pub events: usize,
    /// Baseline hazard increments at the model's `time`, for covariates at `center`.
    pub jumps: Vec<f64>,
}

/// Cause-specific Cox models of every cause, the cause of interest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseSpecificModel {
    pub terms: Vec<String>,
    pub ties: Ties,
    pub level: f64,
    pub center: Vec<f64>,
    /// Distinct event times of any cause, increasing.
    pub time: Vec<f64>,
    pub causes: Vec<CauseModel>,
}

/// The saved competing-risks model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingModelFile {
    pub format: String,
    pub format_version: u32,
    pub prognosis_version: String,
    pub model: CompetingKind,
    pub spec: ModelSpec,
    pub outcome: CompetingOutcome,
    pub covariates: Vec<CovariateSummary>,
    pub training: TrainingSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_gray: Option<FineGrayModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_specific: Option<CauseSpecificModel>,
    /// SHA-256 of this document serialised with an empty checksum.
    #[serde(default)]
    pub checksum: String,
}

/// The cumulative incidence of the cause of interest at one time; the standard error and limits
/// are absent when they cannot be computed (a cause-specific model without its training data).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IncidencePoint {
    pub time: f64,
    pub cif: f64,
    pub se: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// A prediction for one patient: the linear predictor of the cause of interest (subdistribution
/// or cause-specific) and the cumulative incidence at each time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetingPrediction {
    pub lp: f64,
    pub incidence: Vec<IncidencePoint>,
}

/// The training data of a cause-specific model, for standard errors.
pub struct TrainingData {
    pub surv: CompetingSurv,
    pub design: Design,
}

impl CompetingModelFile {
    /// Assembles and seals a model file.
    pub fn new(
        model: CompetingKind,
        spec: ModelSpec,
        outcome: CompetingOutcome,
        covariates: Vec<CovariateSummary>,
        training: TrainingSummary,
        fine_gray: Option<FineGrayModel>,
        cause_specific: Option<CauseSpecificModel>,
    ) -> CompetingModelFile {
        let mut m = CompetingModelFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            prognosis_version: env!("CARGO_PKG_VERSION").to_string(),
            model,
            spec,
            outcome,
            covariates,
            training,
            fine_gray,
            cause_specific,
            checksum: String::new(),
        };
        m.checksum = m.compute_checksum();
        m
    }

    fn compute_checksum(&self) -> String {
        let mut copy = self.clone();
        copy.checksum = String::new();
        let text = serde_json::to_string(&copy).expect("a model serialises");
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a model serialises");
        s.push('\n');
        s
    }

    /// Reads and checks a competing-risks model file.
    pub fn load(path: &Path) -> Result<CompetingModelFile, ModelError> {
        let label = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| ModelError::Io {
            path: label.clone(),
            error,
        })?;
        Self::from_slice(&bytes, &label)
    }

    /// Parses and checks model-file bytes; `label` names the file in errors.
    pub fn from_slice(bytes: &[u8], label: &str) -> Result<CompetingModelFile, ModelError> {
        Self::parse(bytes, label, true)
    }

    /// As [`CompetingModelFile::from_slice`] with every check but the checksum's: for fuzzing the
    /// checks behind it, which a random input would otherwise never reach.
    #[doc(hidden)]
    pub fn from_slice_unsealed(
        bytes: &[u8],
        label: &str,
    ) -> Result<CompetingModelFile, ModelError> {
        Self::parse(bytes, label, false)
    }

    fn parse(
        bytes: &[u8],
        label: &str,
        verify_checksum: bool,
    ) -> Result<CompetingModelFile, ModelError> {
        let damaged = |detail: String| ModelError::Damaged {
            path: label.to_string(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| damaged(format!("JSON error: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != FORMAT {
            return Err(ModelError::WrongFormat {
                path: label.to_string(),
                found: format.to_string(),
            });
        }
        let version = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| damaged("no format_version".into()))?;
        if version > FORMAT_VERSION as u64 {
            return Err(ModelError::Newer {
                path: label.to_string(),
                found: version as u32,
                writer: value
                    .get("prognosis_version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_string(),
            });
        }
        let m: CompetingModelFile =
            serde_json::from_value(value.clone()).map_err(|e| damaged(format!("{e}")))?;
        let known = serde_json::to_value(&m).expect("a model serialises");
        let inconsistent = |detail: String| ModelError::Inconsistent {
            path: label.to_string(),
            detail,
        };
        if let Some(field) = unknown_field(&value, &known, String::new()) {
            return Err(inconsistent(format!("unknown field '{field}'")));
        }
        if verify_checksum && m.checksum != m.compute_checksum() {
            return Err(ModelError::Checksum {
                path: label.to_string(),
            });
        }
        m.check().map_err(inconsistent)?;
        Ok(m)
    }

    /// Every field in its range and consistent with the others, the error naming the field.
    pub fn check(&self) -> Result<(), String> {
        let json = serde_json::to_value(self).expect("a model serialises");
        if let Some(at) = first_null_number(&json, String::new()) {
            return Err(format!("{at} is not a finite number"));
        }
        let terms = self.spec.terms();
        let p = terms.len();
        if p == 0 {
            return Err("spec.covariates is empty".into());
        }
        if self.spec.strata.is_some() || self.spec.weights.is_some() {
            return Err(
                "spec.strata and spec.weights must be absent in a competing-risks model".into(),
            );
        }
        for (i, c) in self.spec.covariates.iter().enumerate() {
            if let CovariateKind::Categorical { levels, reference } = &c.kind {
                if levels.len() < 2 || !levels.contains(reference) || has_duplicates(levels) {
                    return Err(format!(
                        "spec.covariates[{i}].levels: at least 2 distinct levels, the reference among them"
                    ));
                }
            }
        }
        let o = &self.outcome;
        if self.spec.event_values != [o.cause.clone()] {
            return Err("spec.event_values must be [outcome.cause]".into());
        }
        if o.cause.is_empty() {
            return Err("outcome.cause is empty".into());
        }
        if o.censor_values.is_empty() {
            return Err("outcome.censor_values is empty".into());
        }
        let mut all: Vec<String> = vec![o.cause.clone()];
        all.extend(o.competing.iter().cloned());
        all.extend(o.censor_values.iter().cloned());
        if has_duplicates(&all) {
            return Err(
                "outcome: a value is both the cause, a competing cause or censoring".into(),
            );
        }
        if o.competing_events.len() != o.competing.len() {
            return Err("outcome.competing_events must have one count per competing cause".into());
        }
        let rows = &self.training.rows;
        let total = o.events + o.censored + o.competing_events.iter().sum::<usize>();
        if total != rows.used || rows.used > rows.read || rows.dropped != rows.read - rows.used {
            return Err(
                "outcome.events + competing_events + censored must equal training.rows.used, and used + dropped = read"
                    .into(),
            );
        }
        if o.events == 0 || self.training.events != o.events {
            return Err("outcome.events must be positive and equal training.events".into());
        }
        if self.covariates.len() != self.spec.covariates.len() {
            return Err("covariates must have one summary per covariate of spec".into());
        }
        crate::model::file::check_summaries(&self.training.follow_up, &self.covariates)?;
        match (self.model, &self.fine_gray, &self.cause_specific) {
            (CompetingKind::FineGray, Some(fg), None) => check_fine_gray(fg, &terms),
            (CompetingKind::CauseSpecific, None, Some(cs)) => check_cause_specific(cs, &terms, o),
            _ => Err(format!(
                "model is '{}' but the file has {} fine_gray and {} cause_specific part",
                self.model.name(),
                if self.fine_gray.is_some() { "a" } else { "no" },
                if self.cause_specific.is_some() {
                    "a"
                } else {
                    "no"
                }
            )),
        }
    }

    /// Columns a data file must have for prediction.
    pub fn input_columns(&self) -> Vec<&str> {
        self.spec
            .covariates
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    fn hazards(cs: &CauseSpecificModel) -> CauseHazards {
        CauseHazards {
            time: cs.time.clone(),
            center: cs.center.clone(),
            coef: cs.causes.iter().map(|c| c.coef.clone()).collect(),
            jumps: cs.causes.iter().map(|c| c.jumps.clone()).collect(),
            ties: cs.ties,
        }
    }

    /// The last event time of the cause of interest (after it the incidence is flat).
    pub fn last_event_time(&self) -> f64 {
        match (&self.fine_gray, &self.cause_specific) {
            (Some(fg), _) => *fg.time.last().expect("checked non-empty"),
            (_, Some(cs)) => {
                let j = &cs.causes[0].jumps;
                let k = j.iter().rposition(|&v| v > 0.0).expect("checked: events");
                cs.time[k]
            }
            _ => unreachable!("checked on loading"),
        }
    }

    /// The cumulative incidence of the cause of interest for an encoded patient at `times`: with
    /// standard errors and limits for a Fine-Gray model, and for a cause-specific model when
    /// `training` is given (else point estimates only). For many patients, make one
    /// [`CompetingModelFile::predictor`] and call its `predict` per patient: the same numbers,
    /// with the training data's part computed once.
    pub fn predict(
        &self,
        x: &[f64],
        times: &[f64],
        training: Option<&TrainingData>,
    ) -> Result<CompetingPrediction, CompetingError> {
        self.predictor(training)?.predict(x, times)
    }

    /// What prediction needs of the model (and of the training data of a cause-specific model's
    /// standard errors: risk-set sums and the coefficients' influence, [`RiskInfluence`]),
    /// computed once for the predictions of many patients.
    pub fn predictor<'a>(
        &'a self,
        training: Option<&'a TrainingData>,
    ) -> Result<CompetingPredictor<'a>, CompetingError> {
        if let Some(fg) = &self.fine_gray {
            let terms = PredictionTerms {
                center: fg.center.clone(),
                time: fg.time.clone(),
                cumhaz: fg.cumhaz.clone(),
                a: fg.var_a.clone(),
                c: fg.var_c.clone(),
                m: fg.var_m.clone(),
            };
            let var: Vec<f64> = fg.var.iter().flatten().copied().collect();
            return Ok(CompetingPredictor {
                kind: PredictorKind::FineGray { fg, terms, var },
            });
        }
        let cs = self.cause_specific.as_ref().expect("checked on loading");
        let hz = Self::hazards(cs);
        let influence = match training {
            None => None,
            Some(tr) => {
                let var: Vec<Vec<f64>> = cs
                    .causes
                    .iter()
                    .map(|c| c.var.iter().flatten().copied().collect())
                    .collect();
                Some(Box::new(RiskInfluence::new(
                    &hz, &tr.surv, &tr.design, &var,
                )?))
            }
        };
        Ok(CompetingPredictor {
            kind: PredictorKind::CauseSpecific {
                hz,
                influence,
                level: cs.level,
            },
        })
    }
}

/// A competing-risks model ready to predict for many patients ([`CompetingModelFile::predictor`]).
pub struct CompetingPredictor<'a> {
    kind: PredictorKind<'a>,
}

enum PredictorKind<'a> {
    FineGray {
        fg: &'a FineGrayModel,
        terms: PredictionTerms,
        var: Vec<f64>,
    },
    CauseSpecific {
        hz: CauseHazards,
        // boxed: the training data's part is large, and there is one predictor per file
        influence: Option<Box<RiskInfluence<'a>>>,
        level: f64,
    },
}

impl CompetingPredictor<'_> {
    /// As [`CompetingModelFile::predict`].
    pub fn predict(&self, x: &[f64], times: &[f64]) -> Result<CompetingPrediction, CompetingError> {
        match &self.kind {
            PredictorKind::FineGray { fg, terms, var } => {
                let p = fg.coef.len();
                if x.len() != p {
                    return Err(CompetingError::WrongLength {
                        what: "covariate vector",
                        got: x.len(),
                        expected: p,
                    });
                }
                let pts = predict_from_terms(&fg.coef, var, terms, fg.level, x, times);
                Ok(CompetingPrediction {
                    lp: x.iter().zip(&fg.coef).map(|(a, b)| a * b).sum(),
                    incidence: pts
                        .into_iter()
                        .map(|q| IncidencePoint {
                            time: q.time,
                            cif: q.cif,
                            se: Some(q.se),
                            lower: Some(q.lower),
                            upper: Some(q.upper),
                        })
                        .collect(),
                })
            }
            PredictorKind::CauseSpecific {
                hz,
                influence,
                level,
            } => {
                let lp = hz.linear_predictor(1, x);
                let incidence = match influence {
                    None => hz
                        .absolute_risk(1, x, times)?
                        .into_iter()
                        .zip(times)
                        .map(|(cif, &time)| IncidencePoint {
                            time,
                            cif,
                            se: None,
                            lower: None,
                            upper: None,
                        })
                        .collect(),
                    Some(inf) => inf
                        .absolute_risk_se(1, x, times, *level)?
                        .into_iter()
                        .map(|a| IncidencePoint {
                            time: a.time,
                            cif: a.risk,
                            se: Some(a.se),
                            lower: Some(a.lower),
                            upper: Some(a.upper),
                        })
                        .collect(),
                };
                Ok(CompetingPrediction { lp, incidence })
            }
        }
    }
}

#[allow(clippy::needless_range_loop)]
fn check_matrix(field: &str, v: &[Vec<f64>], p: usize) -> Result<(), String> {
    if v.len() != p || v.iter().any(|r| r.len() != p) {
        return Err(format!("{field} is not {p} x {p}"));
    }
    for i in 0..p {
        if v[i][i].is_nan() || v[i][i] < 0.0 {
            return Err(format!("{field}[{i}][{i}] is negative"));
        }
        for j in 0..i {
            let (a, b) = (v[i][j], v[j][i]);
            if (a - b).abs() > 1e-8 * (a.abs() + b.abs()) {
                return Err(format!("{field} is not symmetric at [{i}][{j}]"));
            }
        }
    }
    Ok(())
}

fn check_times(field: &str, t: &[f64]) -> Result<(), String> {
    if t.is_empty() {
        return Err(format!("{field} is empty: the model has no event time"));
    }
    if let Some(k) = t.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(format!("{field}[{k}] is negative or not finite"));
    }
    if let Some(k) = t.windows(2).position(|w| w[0] >= w[1]) {
        return Err(format!(
            "{field}[{}] is not after the time before it",
            k + 1
        ));
    }
    Ok(())
}

fn check_fine_gray(fg: &FineGrayModel, terms: &[String]) -> Result<(), String> {
    let p = terms.len();
    if fg.terms != terms {
        return Err("fine_gray.terms differ from the specification's".into());
    }
    if fg.coef.len() != p || fg.center.len() != p {
        return Err(format!(
            "fine_gray.coef and fine_gray.center must have {p} entries"
        ));
    }
    check_matrix("fine_gray.var", &fg.var, p)?;
    if !(fg.level > 0.0 && fg.level < 1.0) {
        return Err("fine_gray.level is not between 0 and 1".into());
    }
    if !fg.loglik.iter().all(|v| v.is_finite()) {
        return Err("fine_gray.loglik is not finite".into());
    }
    check_times("fine_gray.time", &fg.time)?;
    let m = fg.time.len();
    if fg.cumhaz.len() != m || fg.var_a.len() != m || fg.var_c.len() != m || fg.var_m.len() != m {
        return Err(format!(
            "fine_gray.cumhaz, var_a, var_c and var_m must have one entry per time ({m})"
        ));
    }
    for k in 0..m {
        if !(fg.cumhaz[k] > 0.0 && fg.cumhaz[k].is_finite()) {
            return Err(format!("fine_gray.cumhaz[{k}] is not positive"));
        }
        if k > 0 && fg.cumhaz[k] < fg.cumhaz[k - 1] {
            return Err(format!(
                "fine_gray.cumhaz[{k}] is smaller than the one before: the cumulative hazard must not decrease"
            ));
        }
        if fg.var_a[k].is_nan() || fg.var_a[k] < 0.0 {
            return Err(format!("fine_gray.var_a[{k}] is negative"));
        }
        if fg.var_c[k].len() != p || fg.var_m[k].len() != p {
            return Err(format!(
                "fine_gray.var_c[{k}] and var_m[{k}] must have {p} entries"
            ));
        }
    }
    Ok(())
}

fn check_cause_specific(
    cs: &CauseSpecificModel,
    terms: &[String],
    o: &CompetingOutcome,
) -> Result<(), String> {
    let p = terms.len();
    if cs.terms != terms {
        return Err("cause_specific.terms differ from the specification's".into());
    }
    if cs.center.len() != p {
        return Err(format!("cause_specific.center must have {p} entries"));
    }
    if !(cs.level > 0.0 && cs.level < 1.0) {
        return Err("cause_specific.level is not between 0 and 1".into());
    }
    check_times("cause_specific.time", &cs.time)?;
    let labels: Vec<&String> = std::iter::once(&o.cause).chain(&o.competing).collect();
    let got: Vec<&String> = cs.causes.iter().map(|c| &c.cause).collect();
    if got != labels {
        return Err(
            "cause_specific.causes must be the cause of interest then the competing causes, in outcome's order"
                .into(),
        );
    }
    let m = cs.time.len();
    let mut any = vec![false; m];
    for (k, c) in cs.causes.iter().enumerate() {
        let at = format!("cause_specific.causes[{k}]");
        if c.coef.len() != p {
            return Err(format!("{at}.coef must have {p} entries"));
        }
        check_matrix(&format!("{at}.var"), &c.var, p)?;
        if c.jumps.len() != m {
            return Err(format!("{at}.jumps must have one entry per time ({m})"));
        }
        if let Some(g) = c.jumps.iter().position(|v| !(*v >= 0.0 && v.is_finite())) {
            return Err(format!("{at}.jumps[{g}] is negative or not finite"));
        }
        let events = if k == 0 {
            o.events
        } else {
            o.competing_events[k - 1]
        };
        if c.events != events || (events > 0) != c.jumps.iter().any(|&v| v > 0.0) {
            return Err(format!(
                "{at}.events differs from outcome's count or from its hazard increments"
            ));
        }
        for (a, &v) in any.iter_mut().zip(&c.jumps) {
            *a |= v > 0.0;
        }
    }
    if let Some(g) = any.iter().position(|a| !a) {
        return Err(format!(
            "cause_specific.time[{g}] has no hazard increment of any cause"
        ));
    }
    Ok(())
}

/// A model file of either kind.
pub enum AnyModel {
    Cox(Box<crate::model::file::ModelFile>),
    Competing(Box<CompetingModelFile>),
}

/// Loads a model file of either kind, by its `format`.
pub fn load_any(path: &Path) -> Result<AnyModel, ModelError> {
    match crate::model::file::ModelFile::load(path) {
        Err(ModelError::CompetingModel { .. }) => Ok(AnyModel::Competing(Box::new(
            CompetingModelFile::load(path)?,
        ))),
        Err(e) => Err(e),
        Ok(m) => Ok(AnyModel::Cox(Box::new(m))),
    }
}
