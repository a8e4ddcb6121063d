//! The model file: one JSON document with everything prediction needs and nothing of the patients.
//!
//! Loading checks the format name and version, that the numbers are consistent with each other
//! and a SHA-256 checksum over the content, so that a damaged, truncated, edited or newer-format
//! file gives a clear error instead of wrong predictions.

use crate::model::spec::{format_number, parse_number, CovariateKind, ModelSpec, RowCounts};
use crate::stats::cox::Design;
use crate::stats::cox::{CoxFit, Median, SurvPoint};
use crate::stats::km;
use crate::stats::surv::Surv;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use thiserror::Error;

/// The `format` field of every model file.
pub const FORMAT: &str = "prognosis-cox-model";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("{path}: cannot read the model file: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: the model file is damaged or truncated ({detail})\n  hint: fit the model again or restore the file from a copy")]
    Damaged { path: String, detail: String },
    #[error("{path}: not a prognosis model file (format '{found}')\n  hint: pass a file written by `prognosis fit --out`")]
    WrongFormat { path: String, found: String },
    #[error("{path}: not a prognosis model file: {what}\n  hint: pass a file written by `prognosis fit --out`")]
    NotAModel { path: String, what: String },
    #[error("{path} is a competing-risks model ({model}): this command works with Cox models only\n  hint: a competing-risks model file works with `prognosis predict`, `score`, `validate` and `calculator`, a Fine-Gray one also with `nomogram`; fit a Cox model (`prognosis fit` without --model) for this command")]
    CompetingModel { path: String, model: String },
    #[error("{path}: the model file has format version {found}, newer than this prognosis reads ({FORMAT_VERSION})\n  hint: use prognosis {writer} or newer")]
    Newer {
        path: String,
        found: u32,
        writer: String,
    },
    #[error("{path}: the model file's checksum does not match its content: it was changed after it was written\n  hint: fit the model again or restore the file from a copy")]
    Checksum { path: String },
    #[error("{path}: the model file is inconsistent: {detail}\n  hint: fit the model again or restore the file from a copy")]
    Inconsistent { path: String, detail: String },
    #[error("cannot write the model file {path}: {error}")]
    Write { path: String, error: std::io::Error },
}

/// A quantile of an observed distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantile {
    pub p: f64,
    pub value: f64,
}

/// Distribution of a covariate in the training data (aggregates only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CovariateSummary {
    Numeric {
        name: String,
        n: usize,
        min: f64,
        max: f64,
        mean: f64,
        sd: f64,
        n_distinct: usize,
        /// The distinct values when there are at most 10 (nomogram ticks, as rms).
        #[serde(default)]
        values: Option<Vec<f64>>,
        /// Quantiles (R's type 7) at 0.01, 0.025, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.975, 0.99.
        quantiles: Vec<Quantile>,
    },
    Categorical {
        name: String,
        n: usize,
        levels: Vec<LevelCount>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: String,
    pub n: usize,
}

/// Follow-up of the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub min: f64,
    pub max: f64,
    /// Median observed time.
    pub median_observed: f64,
    /// Median follow-up by the reverse Kaplan-Meier method (None if not reached).
    pub median_reverse_km: Option<f64>,
    /// First and third quartiles of follow-up by the reverse Kaplan-Meier method (None if not
    /// reached, and in model files written before they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q25_reverse_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q75_reverse_km: Option<f64>,
}

/// Where the model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The data file's name (without directories).
    pub file: String,
    pub sha256: String,
    pub rows: RowCounts,
    pub events: usize,
    pub follow_up: FollowUp,
    /// Set when the model is another model recalibrated on this data (`validate --recalibrate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalibrated: Option<Recalibrated>,
}

/// How a recalibrated model was made from its original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recalibrated {
    /// "in-the-large" (coefficients kept, new baseline) or "slope" (coefficients times the
    /// slope, new baseline).
    pub method: String,
    /// The slope applied to every coefficient (1 in the large).
    pub slope: f64,
    /// The original model's training data file and its checksum.
    pub original_training_file: String,
    pub original_checksum: String,
}

/// The uncentred linear predictor x'beta over the training rows: its range sets the nomogram's
/// linear-predictor axis (as `rms::nomogram`), its mean is `rms::cph`'s centring constant, and its
/// quantiles are the training cut-offs of quantile risk groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearPredictorSummary {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// R's type-7 quantiles at [`LP_QUANTILE_PROBS`].
    pub quantiles: Vec<Quantile>,
}

/// Probabilities of the stored training quantiles of the linear predictor: enough for halves,
/// tertiles, quartiles, quintiles and deciles.
pub const LP_QUANTILE_PROBS: [f64; 14] = [
    0.1,
    0.2,
    0.25,
    0.3,
    1.0 / 3.0,
    0.4,
    0.5,
    0.6,
    2.0 / 3.0,
    0.7,
    0.75,
    0.8,
    0.9,
    0.95,
];

/// The saved model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    pub prognosis_version: String,
    pub spec: ModelSpec,
    pub covariates: Vec<CovariateSummary>,
    pub training: TrainingSummary,
    pub fit: CoxFit,
    /// The training linear predictor (absent from files written before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_predictor: Option<LinearPredictorSummary>,
    /// Title, labels, validation and risk groups for people (absent unless `study` wrote it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<crate::model::card::ModelCard>,
    /// SHA-256 of this document serialised with an empty checksum.
    #[serde(default)]
    pub checksum: String,
}

pub const SUMMARY_PROBS: [f64; 11] = [
    0.01, 0.025, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.975, 0.99,
];

/// Distinct values with their counts, increasing.
pub fn value_counts(mut values: Vec<f64>) -> Vec<(f64, usize)> {
    values.sort_unstable_by(|a, b| a.total_cmp(b));
    values
        .chunk_by(|a, b| a == b)
        .map(|g| (g[0], g.len()))
        .collect()
}

/// R's type-7 quantile from sorted value counts.
pub fn quantile_counts(counts: &[(f64, usize)], n: usize, p: f64) -> f64 {
    let nth = |k: usize| {
        let mut seen = 0;
        for &(v, c) in counts {
            seen += c;
            if k < seen {
                return v;
            }
        }
        counts[counts.len() - 1].0
    };
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let (a, b) = (nth(lo), nth((lo + 1).min(n - 1)));
    a + (h - lo as f64) * (b - a)
}

impl FollowUp {
    /// Follow-up of `surv`: range, median observed time and the reverse Kaplan-Meier median
    /// and quartiles.
    pub fn of(surv: &Surv) -> FollowUp {
        let q = km::reverse_km_follow_up(surv);
        let counts = value_counts(surv.time().to_vec());
        let n = surv.len();
        FollowUp {
            min: counts[0].0,
            max: counts[counts.len() - 1].0,
            median_observed: quantile_counts(&counts, n, 0.5),
            median_reverse_km: q.median,
            q25_reverse_km: q.q25,
            q75_reverse_km: q.q75,
        }
    }
}

impl LinearPredictorSummary {
    /// The uncentred linear predictor of `fit` over the rows of `design`.
    pub fn of(design: &Design, fit: &CoxFit) -> LinearPredictorSummary {
        let d = design;
        let lp: Vec<f64> = (0..d.n)
            .map(|i| d.row(i).iter().zip(&fit.coef).map(|(x, b)| x * b).sum())
            .collect();
        let mean = lp.iter().sum::<f64>() / d.n as f64;
        let counts = value_counts(lp);
        LinearPredictorSummary {
            min: counts[0].0,
            max: counts[counts.len() - 1].0,
            mean,
            quantiles: LP_QUANTILE_PROBS
                .iter()
                .map(|&p| Quantile {
                    p,
                    value: quantile_counts(&counts, d.n, p),
                })
                .collect(),
        }
    }
}

impl ModelFile {
    /// Assembles the model file of `fit`, with the training data's aggregates, and seals it with
    /// its checksum.
    pub fn new(
        spec: ModelSpec,
        covariates: Vec<CovariateSummary>,
        training: TrainingSummary,
        linear_predictor: Option<LinearPredictorSummary>,
        fit: CoxFit,
    ) -> ModelFile {
        let mut m = ModelFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            prognosis_version: env!("CARGO_PKG_VERSION").to_string(),
            spec,
            covariates,
            training,
            linear_predictor,
            fit,
            card: None,
            checksum: String::new(),
        };
        m.checksum = m.compute_checksum();
        m
    }

    /// The same model with `card` attached, checksum renewed.
    pub fn with_card(mut self, card: crate::model::card::ModelCard) -> ModelFile {
        self.card = Some(card);
        self.checksum = self.compute_checksum();
        self
    }

    fn compute_checksum(&self) -> String {
        let mut copy = self.clone();
        copy.checksum = String::new();
        let text = serde_json::to_string(&copy).expect("a model serialises");
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }

    /// The JSON text of the file.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a model serialises");
        s.push('\n');
        s
    }

    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<ModelFile, ModelError> {
        let label = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| ModelError::Io {
            path: label.clone(),
            error,
        })?;
        Self::from_slice(&bytes, &label)
    }

    /// Parses and checks model-file bytes; `label` names the file in errors.
    pub fn from_slice(bytes: &[u8], label: &str) -> Result<ModelFile, ModelError> {
        Self::parse(bytes, label, true)
    }

    /// As [`ModelFile::from_slice`] with every check but the checksum's: for fuzzing the checks
    /// behind it, which a random input would otherwise never reach.
    #[doc(hidden)]
    pub fn from_slice_unsealed(bytes: &[u8], label: &str) -> Result<ModelFile, ModelError> {
        Self::parse(bytes, label, false)
    }

    fn parse(bytes: &[u8], label: &str, verify_checksum: bool) -> Result<ModelFile, ModelError> {
        let damaged = |detail: String| ModelError::Damaged {
            path: label.to_string(),
            detail,
        };
        let wrong = |what: &str| ModelError::NotAModel {
            path: label.to_string(),
            what: what.to_string(),
        };
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        match first {
            None => return Err(wrong("the file is empty")),
            Some(b'{') => {}
            Some(_) => {
                // JSON, but not an object, or not JSON at all
                return Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
                    Ok(v) => wrong(&format!(
                        "the file is JSON, but {} rather than a model object {{...}}",
                        json_kind(&v)
                    )),
                    Err(_) => wrong("the file is not JSON"),
                });
            }
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| damaged(format!("JSON error: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format == crate::model::competing::FORMAT {
            return Err(ModelError::CompetingModel {
                path: label.to_string(),
                model: value
                    .get("model")
                    .and_then(|m| m.as_str())
                    .unwrap_or("?")
                    .to_string(),
            });
        }
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
            let writer = value
                .get("prognosis_version")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string();
            return Err(ModelError::Newer {
                path: label.to_string(),
                found: version as u32,
                writer,
            });
        }
        let m: ModelFile =
            serde_json::from_value(value.clone()).map_err(|e| damaged(format!("{e}")))?;
        // a field this version does not know is neither used nor covered by the checksum
        let known = serde_json::to_value(&m).expect("a model serialises");
        if let Some(field) = unknown_field(&value, &known, String::new()) {
            return Err(ModelError::Inconsistent {
                path: label.to_string(),
                detail: format!("unknown field '{field}'"),
            });
        }
        if verify_checksum && m.checksum != m.compute_checksum() {
            return Err(ModelError::Checksum {
                path: label.to_string(),
            });
        }
        m.check_consistency()
            .and_then(|()| m.check_ranges())
            .map_err(|detail| ModelError::Inconsistent {
                path: label.to_string(),
                detail,
            })?;
        Ok(m)
    }

    /// The checks loading makes, on a model in memory: a fit whose numbers are not all finite
    /// (a baseline variance of a fit with an infinite coefficient, say) makes no usable file.
    pub fn check(&self) -> Result<(), String> {
        self.check_consistency()?;
        self.check_ranges()?;
        let json = serde_json::to_value(self).expect("a model serialises");
        if let Some(at) = first_null_number(&json, String::new()) {
            return Err(format!("{at} is not a finite number"));
        }
        Ok(())
    }

    /// Every number in its range and every invariant of the fields, the error naming the field:
    /// a file whose checksum matches may still have been written by hand or by a faulty program.
    fn check_ranges(&self) -> Result<(), String> {
        let f = &self.fit;
        let p = f.coef.len();
        let spec = &self.spec;
        if spec.event_values.is_empty() {
            return Err("spec.event_values is empty".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in spec.covariates.iter().enumerate() {
            if c.name.is_empty() {
                return Err(format!("spec.covariates[{i}].name is empty"));
            }
            if !names.insert(c.name.as_str()) {
                return Err(format!(
                    "spec.covariates[{i}].name '{}' appears twice",
                    c.name
                ));
            }
            if let CovariateKind::Categorical { levels, reference } = &c.kind {
                if levels.len() < 2 {
                    return Err(format!(
                        "spec.covariates[{i}].levels has {} level(s), at least 2 needed",
                        levels.len()
                    ));
                }
                if !levels.contains(reference) {
                    return Err(format!(
                        "spec.covariates[{i}].reference is not one of its levels"
                    ));
                }
                if has_duplicates(levels) {
                    return Err(format!("spec.covariates[{i}].levels has a level twice"));
                }
            }
        }
        if let Some(st) = &spec.strata {
            if st.levels.is_empty() || has_duplicates(&st.levels) {
                return Err("spec.strata.levels is empty or has a level twice".into());
            }
        }
        if !(f.conf_level > 0.0 && f.conf_level < 1.0) {
            return Err(format!(
                "fit.conf_level is {}, not between 0 and 1",
                format_number(f.conf_level)
            ));
        }
        if f.ties != spec.ties {
            return Err("fit.ties differs from spec.ties".into());
        }
        for i in 0..p {
            let v = f.var[i][i];
            if v.is_nan() || v < 0.0 {
                return Err(format!(
                    "fit.var[{i}][{i}] (the variance of {}) is negative",
                    f.terms[i]
                ));
            }
            for j in 0..i {
                let (a, b) = (f.var[i][j], f.var[j][i]);
                if (a - b).abs() > 1e-8 * (a.abs() + b.abs()) {
                    return Err(format!("fit.var is not symmetric at [{i}][{j}]"));
                }
            }
        }
        if !f.loglik.iter().all(|v| v.is_finite() && *v <= 0.0) {
            return Err("fit.loglik is not a finite log-likelihood (<= 0)".into());
        }
        for (name, t) in [
            ("likelihood_ratio", &f.likelihood_ratio),
            ("wald", &f.wald),
            ("score", &f.score),
        ] {
            if !(t.statistic >= 0.0 && t.df >= 0.0 && (0.0..=1.0).contains(&t.p)) {
                return Err(format!(
                    "fit.{name} has a negative statistic or degrees of freedom, or a p-value outside 0 to 1"
                ));
            }
        }
        if f.n == 0 || f.events == 0 || f.events > f.n {
            return Err(format!(
                "fit.n = {} and fit.events = {}: a model needs rows and between 1 and n events",
                f.n, f.events
            ));
        }
        if f.baseline.iter().all(|b| b.time.is_empty()) {
            return Err(
                "fit.baseline has no event time: the survival curve would be flat at 100%".into(),
            );
        }
        for (s, b) in f.baseline.iter().enumerate() {
            let at = |field: &str, k: usize| format!("fit.baseline[{s}].{field}[{k}]");
            for k in 0..b.time.len() {
                if !b.time[k].is_finite() {
                    return Err(format!("{} is not finite", at("time", k)));
                }
                if !(b.cumhaz[k].is_finite() && b.cumhaz[k] >= 0.0) {
                    return Err(format!("{} is negative or not finite", at("cumhaz", k)));
                }
                if k > 0 && b.cumhaz[k] < b.cumhaz[k - 1] {
                    return Err(format!(
                        "{} is smaller than the one before: the cumulative hazard must not decrease",
                        at("cumhaz", k)
                    ));
                }
                if !(b.cumvar[k].is_finite() && b.cumvar[k] >= 0.0) {
                    return Err(format!("{} is negative or not finite", at("cumvar", k)));
                }
                if k > 0 && b.cumvar[k] < b.cumvar[k - 1] {
                    return Err(format!("{} decreases", at("cumvar", k)));
                }
                if !(b.n_risk[k] > 0.0 && b.n_risk[k].is_finite()) {
                    return Err(format!("{} is not positive", at("n_risk", k)));
                }
                if !(b.n_event[k] >= 0.0 && b.n_event[k] <= b.n_risk[k]) {
                    return Err(format!(
                        "{} is negative or more than the number at risk",
                        at("n_event", k)
                    ));
                }
                if b.cumxbar[k].iter().any(|v| !v.is_finite()) {
                    return Err(format!("{} is not finite", at("cumxbar", k)));
                }
            }
        }
        let rows = &self.training.rows;
        if rows.used > rows.read || rows.dropped != rows.read - rows.used {
            return Err("training.rows: used + dropped must equal read".into());
        }
        check_summaries(&self.training.follow_up, &self.covariates)?;
        if let Some(lp) = &self.linear_predictor {
            let tol = 1e-9 * (lp.min.abs() + lp.max.abs() + 1.0);
            if !(lp.min <= lp.mean + tol && lp.mean <= lp.max + tol) {
                return Err("linear_predictor: min <= mean <= max does not hold".into());
            }
            check_quantiles("linear_predictor.quantiles", &lp.quantiles)?;
        }
        if let Some(card) = &self.card {
            for (i, v) in card.validation.iter().enumerate() {
                let unit = |x: f64| (0.0..=1.0).contains(&x);
                if !(unit(v.harrell_c) && unit(v.harrell_c_lower) && unit(v.harrell_c_upper))
                    || v.events > v.n
                {
                    return Err(format!(
                        "card.validation[{i}]: a concordance outside 0 to 1 or more events than patients"
                    ));
                }
            }
            if let Some(rg) = &card.risk_groups {
                if rg.cutoffs.windows(2).any(|w| w[0] >= w[1])
                    || rg.labels.len() != rg.cutoffs.len() + 1
                {
                    return Err(
                        "card.risk_groups: the cut-offs must increase and there must be one label more than cut-offs"
                            .into(),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_consistency(&self) -> Result<(), String> {
        let terms = self.spec.terms();
        let p = terms.len();
        let f = &self.fit;
        if f.terms != terms {
            return Err("the fit's terms differ from the specification's".into());
        }
        if f.coef.len() != p || f.means.len() != p || f.var.len() != p {
            return Err(
                "coefficient, mean and variance sizes differ from the number of terms".into(),
            );
        }
        if f.var.iter().any(|r| r.len() != p) {
            return Err("the variance matrix is not square".into());
        }
        let n_strata = self.spec.strata.as_ref().map_or(1, |s| s.levels.len());
        if f.baseline.len() != n_strata {
            return Err(format!(
                "{} baseline hazards for {n_strata} strata",
                f.baseline.len()
            ));
        }
        for b in &f.baseline {
            let k = b.time.len();
            if b.cumhaz.len() != k
                || b.cumvar.len() != k
                || b.cumxbar.len() != k
                || b.n_risk.len() != k
                || b.n_event.len() != k
                || b.cumxbar.iter().any(|x| x.len() != p)
            {
                return Err("baseline hazard columns have different lengths".into());
            }
            if b.time
                .windows(2)
                .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
            {
                return Err("baseline hazard times are not increasing".into());
            }
        }
        let all_finite = f.coef.iter().chain(&f.means).all(|v| v.is_finite())
            && f.var.iter().flatten().all(|v| v.is_finite());
        if !all_finite {
            return Err("a coefficient, mean or variance is not finite".into());
        }
        Ok(())
    }

    /// Predicted survival for one encoded patient at `times`, with the median.
    pub fn predict(&self, x: &[f64], stratum: usize, times: &[f64]) -> Prediction {
        let curve = self.fit.patient_curve(x, stratum);
        Prediction {
            lp: curve.lp,
            survival: times.iter().map(|&t| curve.at(t)).collect(),
            median: curve.median(),
        }
    }

    /// Columns a data file must have for prediction.
    pub fn input_columns(&self) -> Vec<&str> {
        self.spec
            .covariates
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.spec.strata.as_ref().map(|s| s.column.as_str()))
            .collect()
    }

    /// Warnings for horizons past the last event time of a stratum, where the curve is flat (as
    /// R's `summary(survfit, extend = TRUE)`) and says nothing about later events.
    pub fn horizon_warnings(&self, stratum: usize, times: &[f64]) -> Vec<String> {
        let b = &self.fit.baseline[stratum];
        let Some(&last) = b.time.last() else {
            return Vec::new();
        };
        let unit = self.spec.time_unit.as_deref().unwrap_or("");
        times
            .iter()
            .filter(|&&t| t > last)
            .map(|&t| {
                format!(
                    "time {} is after the last event time in the training data ({} {unit}): \
                     the predicted survival there is carried forward from that time",
                    format_number(t),
                    format_number(last)
                )
                .replace(" )", ")")
            })
            .collect()
    }

    /// The labels of a covariate's (or stratification column's) values recorded in the model card,
    /// as (value, label) pairs.
    pub fn value_labels(&self, name: &str) -> Vec<(String, String)> {
        self.card
            .as_ref()
            .and_then(|c| c.value_labels.get(name))
            .map(|l| {
                l.iter()
                    .map(|v| (v.value.clone(), v.label.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A patient's values as `score --set` gives them, translated into the values the model
    /// encodes: a level written in another case ("Positive" for "positive") and a label the
    /// model card records ("Yes" for 1), case-insensitively. A value that is neither is an error
    /// that says what is expected (for a 0/1 covariate: 0 or 1, and what they mean when known).
    /// Names that are not the model's are passed on unchanged.
    pub fn resolve_values(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<std::collections::BTreeMap<String, String>, String> {
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        let mut out = values.clone();
        for (name, v) in out.iter_mut() {
            let labels = self.value_labels(name);
            let levels: Option<&[String]> =
                match self.spec.covariates.iter().find(|c| &c.name == name) {
                    Some(c) => match &c.kind {
                        CovariateKind::Categorical { levels, .. } => Some(levels),
                        CovariateKind::Numeric => None,
                    },
                    None => match &self.spec.strata {
                        Some(s) if &s.column == name => Some(&s.levels),
                        _ => continue,
                    },
                };
            let valid = match levels {
                Some(levels) => crate::model::spec::match_level(levels, v).is_some(),
                None => parse_number(v).is_some(),
            };
            if valid {
                continue;
            }
            if let Some((value, _)) = labels.iter().find(|(_, l)| same(l, v)) {
                *v = value.clone();
                continue;
            }
            if let Some(l) = levels.and_then(|ls| ls.iter().find(|l| same(l, v))) {
                *v = l.clone();
                continue;
            }
            let meaning = if labels.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = labels.iter().map(|(v, l)| format!("{v} = {l}")).collect();
                format!(" ({})", list.join(", "))
            };
            let expected = match levels {
                Some(levels) => format!("one of: {}", levels.join(", ")),
                None if self.is_binary(name) => "0 or 1".to_string(),
                None => "a number".to_string(),
            };
            let accepted = if labels.is_empty() {
                String::new()
            } else {
                let list: Vec<&str> = labels.iter().map(|(_, l)| l.as_str()).collect();
                format!(", or a label: {}", list.join(", "))
            };
            let what = if levels.is_some() && !self.spec.covariates.iter().any(|c| &c.name == name)
            {
                "stratum"
            } else {
                "covariate"
            };
            return Err(format!(
                "{what} '{name}' = '{v}' is not valid: expected {expected}{meaning}{accepted}"
            ));
        }
        Ok(out)
    }

    /// Whether a numeric covariate took only the values 0 and 1 in the training data.
    pub fn is_binary(&self, name: &str) -> bool {
        self.covariates.iter().any(|s| {
            matches!(s, CovariateSummary::Numeric { name: n, values: Some(v), .. }
                if n == name && v.as_slice() == [0.0, 1.0])
        })
    }

    /// Warnings for numeric values outside the training range.
    pub fn range_warnings(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.covariates {
            if let CovariateSummary::Numeric {
                name,
                min,
                max,
                values: seen,
                ..
            } = s
            {
                if let Some(v) = values.get(name).and_then(|v| parse_number(v)) {
                    if self.is_binary(name) && v != 0.0 && v != 1.0 {
                        let labels = self.value_labels(name);
                        let meaning: Vec<String> =
                            labels.iter().map(|(v, l)| format!("{v} = {l}")).collect();
                        out.push(format!(
                            "{name} = {v} is none of the values in the training data (0, 1): {name} is a 0/1 covariate{}; the prediction {}",
                            if meaning.is_empty() { String::new() } else { format!(" ({})", meaning.join(", ")) },
                            if !(0.0..=1.0).contains(&v) { "extrapolates" } else { "interpolates between them" }
                        ));
                    } else if v < *min || v > *max {
                        out.push(format!(
                            "{name} = {v} is outside the training range {} to {}: the prediction extrapolates",
                            format_number(*min),
                            format_number(*max)
                        ));
                    } else if let Some(seen) = seen.as_ref().filter(|s| !s.contains(&v)) {
                        // a 0/1 factor at 0.5, say: a value no training patient had
                        let list: Vec<String> = seen.iter().map(|x| format_number(*x)).collect();
                        out.push(format!(
                            "{name} = {v} is none of the values in the training data ({}): the prediction interpolates between them",
                            list.join(", ")
                        ));
                    }
                }
            }
        }
        out
    }
}

/// "an array", "null", ...: what a JSON value is, for messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a true/false value",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The path of the first field of `given` that `known` (the same document read and written
/// again) does not have; a `null` for an absent optional field is no unknown field.
pub(crate) fn unknown_field(
    given: &serde_json::Value,
    known: &serde_json::Value,
    at: String,
) -> Option<String> {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(key, gv)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match k.get(key) {
                Some(kv) => unknown_field(gv, kv, path),
                None if gv.is_null() => None,
                None => Some(path),
            }
        }),
        (Value::Array(g), Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (gv, kv))| unknown_field(gv, kv, format!("{at}[{i}]"))),
        _ => None,
    }
}

/// The path of the first `null` inside an array (a non-finite number, which JSON writes as null).
pub(crate) fn first_null_number(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            first_null_number(
                x,
                if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                },
            )
        }),
        Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
            if x.is_null() {
                Some(format!("{at}[{i}]"))
            } else {
                first_null_number(x, format!("{at}[{i}]"))
            }
        }),
        _ => None,
    }
}

pub(crate) fn has_duplicates(v: &[String]) -> bool {
    let set: std::collections::BTreeSet<&String> = v.iter().collect();
    set.len() != v.len()
}

/// Quantiles with probabilities in 0..=1, both increasing.
/// The training data's follow-up and covariate summaries of a model file (Cox or competing
/// risks): min <= median <= max, min <= mean <= max, sd >= 0, ordered quantiles, levels present.
pub(crate) fn check_summaries(
    fu: &FollowUp,
    covariates: &[CovariateSummary],
) -> Result<(), String> {
    if !(fu.min <= fu.median_observed && fu.median_observed <= fu.max) {
        return Err("training.follow_up: min <= median_observed <= max does not hold".into());
    }
    for (i, c) in covariates.iter().enumerate() {
        match c {
            CovariateSummary::Numeric {
                min,
                max,
                mean,
                sd,
                quantiles,
                ..
            } => {
                if !(min <= mean && mean <= max && *sd >= 0.0) {
                    return Err(format!(
                        "covariates[{i}]: min <= mean <= max and sd >= 0 do not hold"
                    ));
                }
                check_quantiles(&format!("covariates[{i}].quantiles"), quantiles)?;
            }
            CovariateSummary::Categorical { levels, .. } => {
                if levels.is_empty() {
                    return Err(format!("covariates[{i}].levels is empty"));
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn check_quantiles(field: &str, q: &[Quantile]) -> Result<(), String> {
    let ok_p = q.iter().all(|x| (0.0..=1.0).contains(&x.p));
    let increasing = q
        .windows(2)
        .all(|w| w[0].p < w[1].p && w[0].value <= w[1].value);
    if ok_p && increasing {
        Ok(())
    } else {
        Err(format!(
            "{field}: probabilities must lie in 0 to 1 and both they and the values must increase"
        ))
    }
}

/// Survival prediction for one patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub lp: f64,
    pub survival: Vec<SurvPoint>,
    pub median: Median,
}

/// A prediction for one input row (its file line), or why it could not be made.
#[derive(Debug, Clone, PartialEq)]
pub struct RowPrediction {
    pub row: u64,
    /// The row's identifier (`predict --id COL`), when asked for.
    pub id: Option<String>,
    pub prediction: Option<Prediction>,
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn shipped() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/bone_mets_cox.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// `v` with a checksum that matches its known content, as a careless writer would produce.
    fn resealed(mut v: Value) -> Vec<u8> {
        let m: ModelFile = serde_json::from_value(v.clone()).unwrap();
        v["checksum"] = Value::String(m.compute_checksum());
        serde_json::to_vec(&v).unwrap()
    }

    fn error_of(v: Value) -> String {
        ModelFile::from_slice(&resealed(v), "m.json")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn shipped_model_loads_and_resealing_changes_nothing() {
        ModelFile::from_slice(&resealed(shipped()), "m.json").unwrap();
    }

    #[test]
    fn impossible_values_are_refused_naming_the_field() {
        type Edit = fn(&mut Value);
        let cases: Vec<(Edit, &str)> = vec![
            (|v| v["fit"]["conf_level"] = json!(1.5), "fit.conf_level"),
            (|v| v["fit"]["conf_level"] = json!(0.0), "fit.conf_level"),
            (|v| v["fit"]["var"][0][0] = json!(-1.0), "fit.var[0][0]"),
            (|v| v["fit"]["var"][0][1] = json!(5.0), "not symmetric"),
            (
                |v| v["fit"]["baseline"][0]["cumhaz"][0] = json!(-0.5),
                "fit.baseline[0].cumhaz[0]",
            ),
            (
                |v| v["fit"]["baseline"][0]["cumhaz"][3] = json!(0.0),
                "fit.baseline[0].cumhaz[3]",
            ),
            (
                |v| v["fit"]["baseline"][0]["cumvar"][2] = json!(-1.0),
                "fit.baseline[0].cumvar[2]",
            ),
            (
                |v| v["fit"]["baseline"][0]["n_risk"][0] = json!(0.0),
                "fit.baseline[0].n_risk[0]",
            ),
            (
                |v| {
                    let b = &mut v["fit"]["baseline"][0];
                    for k in ["time", "n_risk", "n_event", "cumhaz", "cumvar", "cumxbar"] {
                        b[k] = json!([]);
                    }
                },
                "no event time",
            ),
            (|v| v["fit"]["events"] = json!(0), "fit.events"),
            (|v| v["fit"]["wald"]["p"] = json!(2.0), "fit.wald"),
            (|v| v["fit"]["loglik"][1] = json!(3.0), "fit.loglik"),
            (
                |v| v["spec"]["event_values"] = json!([]),
                "spec.event_values",
            ),
            (
                |v| v["training"]["rows"]["used"] = json!(1e9 as u64),
                "training.rows",
            ),
            (|v| v["covariates"][0]["sd"] = json!(-1.0), "covariates[0]"),
            (
                |v| v["fit"]["extra"] = json!(1),
                "unknown field 'fit.extra'",
            ),
            (|v| v["surprise"] = json!("x"), "unknown field 'surprise'"),
            (
                |v| v["spec"]["covariates"][0]["unit"] = json!("years"),
                "unknown field 'spec.covariates[0].unit'",
            ),
        ];
        for (edit, field) in cases {
            let mut v = shipped();
            edit(&mut v);
            let e = error_of(v);
            assert!(e.contains(field), "expected '{field}' in: {e}");
            assert!(e.contains("m.json"), "{e}");
        }
    }

    #[test]
    fn not_json_and_not_a_model_object_are_told_apart() {
        for (bytes, what) in [
            (&b""[..], "the file is empty"),
            (b"  \n", "the file is empty"),
            (b"[1,2,3]", "JSON, but an array"),
            (b"null", "JSON, but null"),
            (b"42", "JSON, but a number"),
            (b"\"model\"", "JSON, but a string"),
            (b"hello", "the file is not JSON"),
            (b"\xff\xfe{\0", "the file is not JSON"),
        ] {
            let e = ModelFile::from_slice(bytes, "m.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains(what), "{what}: {e}");
        }
        // an object that is not complete JSON is damaged, not "not a model"
        let e = ModelFile::from_slice(b"{\"format\": ", "m.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("damaged or truncated"), "{e}");
    }
}
