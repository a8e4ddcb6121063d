//! The model file: one JSON document with everything prediction needs and nothing of the patients.
//!
//! Loading checks the format name and version, that the numbers are consistent with each other
//! and a SHA-256 checksum over the content, so that a damaged, truncated, edited or newer-format
//! file gives a clear error instead of wrong predictions.

use crate::model::spec::{format_number, parse_number, ModelSpec, RowCounts};
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
        let damaged = |detail: String| ModelError::Damaged {
            path: label.to_string(),
            detail,
        };
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(ModelError::WrongFormat {
                path: label.to_string(),
                found: "not JSON".to_string(),
            });
        }
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
        let m: ModelFile = serde_json::from_value(value).map_err(|e| damaged(format!("{e}")))?;
        if m.checksum != m.compute_checksum() {
            return Err(ModelError::Checksum {
                path: label.to_string(),
            });
        }
        m.check_consistency()
            .map_err(|detail| ModelError::Inconsistent {
                path: label.to_string(),
                detail,
            })?;
        Ok(m)
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

    /// Warnings for numeric values outside the training range.
    pub fn range_warnings(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.covariates {
            if let CovariateSummary::Numeric { name, min, max, .. } = s {
                if let Some(v) = values.get(name).and_then(|v| parse_number(v)) {
                    if v < *min || v > *max {
                        out.push(format!(
                            "{name} = {v} is outside the training range {} to {}: the prediction extrapolates",
                            format_number(*min),
                            format_number(*max)
                        ));
                    }
                }
            }
        }
        out
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
