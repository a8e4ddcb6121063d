//! The model file: one JSON document with everything prediction needs and nothing of the patients.
//!
//! Loading checks the format name and version, that the numbers are consistent with each other
//! and a SHA-256 checksum over the content, so that a damaged, truncated, edited or newer-format
//! file gives a clear error instead of wrong predictions.

use crate::cohort::{CovariateKind, EncodedRow, ModelSpec, Prepared, RowCounts};
use crate::cox::{CoxFit, Median, SurvPoint};
use crate::data::Table;
use crate::km;
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
    #[error("{path}: cannot read the model file: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
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
    #[error("cannot write the model file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
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
    /// SHA-256 of this document serialised with an empty checksum.
    #[serde(default)]
    pub checksum: String,
}

/// R's default (type 7) quantile of sorted data.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

const SUMMARY_PROBS: [f64; 11] = [
    0.01, 0.025, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.975, 0.99,
];

fn summarise(prepared: &Prepared) -> Vec<CovariateSummary> {
    prepared
        .spec
        .covariates
        .iter()
        .zip(&prepared.covariate_values)
        .map(|(cs, vals)| match &cs.kind {
            CovariateKind::Numeric => {
                let n = vals.len();
                let mut s = vals.clone();
                s.sort_by(|a, b| a.total_cmp(b));
                let mean = s.iter().sum::<f64>() / n as f64;
                let sd = if n > 1 {
                    (s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
                } else {
                    0.0
                };
                let mut distinct = s.clone();
                distinct.dedup();
                CovariateSummary::Numeric {
                    name: cs.name.clone(),
                    n,
                    min: s[0],
                    max: s[n - 1],
                    mean,
                    sd,
                    n_distinct: distinct.len(),
                    values: (distinct.len() <= 10).then_some(distinct),
                    quantiles: SUMMARY_PROBS
                        .iter()
                        .map(|&p| Quantile {
                            p,
                            value: quantile_sorted(&s, p),
                        })
                        .collect(),
                }
            }
            CovariateKind::Categorical { levels, .. } => {
                let mut counts = vec![0usize; levels.len()];
                for &v in vals {
                    counts[v as usize] += 1;
                }
                CovariateSummary::Categorical {
                    name: cs.name.clone(),
                    n: vals.len(),
                    levels: levels
                        .iter()
                        .zip(counts)
                        .map(|(l, n)| LevelCount {
                            level: l.clone(),
                            n,
                        })
                        .collect(),
                }
            }
        })
        .collect()
}

fn follow_up(prepared: &Prepared) -> FollowUp {
    let mut t = prepared.surv.time().to_vec();
    t.sort_by(|a, b| a.total_cmp(b));
    let (times, s) = km::product_limit(&prepared.surv, true);
    FollowUp {
        min: t[0],
        max: t[t.len() - 1],
        median_observed: quantile_sorted(&t, 0.5),
        median_reverse_km: crate::cox::median_of_curve(&times, &s),
    }
}

impl ModelFile {
    /// Assembles the model file of a fit on `prepared` data read from `table`.
    pub fn new(table: &Table, prepared: &Prepared, fit: CoxFit) -> ModelFile {
        let file = Path::new(&table.path)
            .file_name()
            .map_or(table.path.clone(), |f| f.to_string_lossy().into_owned());
        let mut m = ModelFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            prognosis_version: env!("CARGO_PKG_VERSION").to_string(),
            spec: prepared.spec.clone(),
            covariates: summarise(prepared),
            training: TrainingSummary {
                file,
                sha256: table.sha256.clone(),
                rows: prepared.counts.clone(),
                events: fit.events,
                follow_up: follow_up(prepared),
            },
            fit,
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

    /// The JSON text of the file.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a model serialises");
        s.push('\n');
        s
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        crate::output::write_atomic(path, self.to_json().as_bytes()).map_err(|source| {
            ModelError::Write {
                path: path.display().to_string(),
                source,
            }
        })
    }

    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<ModelFile, ModelError> {
        let label = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: label.clone(),
            source,
        })?;
        Self::from_slice(&bytes, &label)
    }

    /// Parses and checks model-file bytes; `label` names the file in errors.
    pub fn from_slice(bytes: &[u8], label: &str) -> Result<ModelFile, ModelError> {
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
            serde_json::from_value(value).map_err(|e| damaged(format!("{e}")))?;
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
            return Err("coefficient, mean and variance sizes differ from the number of terms".into());
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
            if b.time.windows(2).any(|w| !(w[0] < w[1])) {
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

    /// Predictions for every row of `table`; rows that cannot be scored carry the reason.
    pub fn predict_table(&self, table: &Table, times: &[f64]) -> Vec<RowPrediction> {
        crate::cohort::encode_rows(table, &self.spec)
            .into_iter()
            .zip(&table.lines)
            .map(|(row, &line)| match row {
                EncodedRow::Ok { x, stratum } => RowPrediction {
                    row: line,
                    prediction: Some(self.predict(&x, stratum, times)),
                    problem: None,
                },
                EncodedRow::Problem(p) => RowPrediction {
                    row: line,
                    prediction: None,
                    problem: Some(p),
                },
            })
            .collect()
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

    /// Warnings for numeric values outside the training range.
    pub fn range_warnings(&self, values: &std::collections::BTreeMap<String, String>) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.covariates {
            if let CovariateSummary::Numeric { name, min, max, .. } = s {
                if let Some(v) = values.get(name).and_then(|v| crate::data::parse_number(v)) {
                    if v < *min || v > *max {
                        out.push(format!(
                            "{name} = {v} is outside the training range {} to {}: the prediction extrapolates",
                            crate::data::format_number(*min),
                            crate::data::format_number(*max)
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
    pub prediction: Option<Prediction>,
    pub problem: Option<String>,
}
