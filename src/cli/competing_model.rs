//! What `predict` and `score` share for a competing-risks model file: reading the training data a
//! cause-specific model's standard errors need (`--train FILE`, checked against the SHA-256 the
//! model recorded), and the warnings about horizons and covariate values.

use crate::data::cohort::FitRequest;
use crate::data::competing::prepare_competing;
use crate::data::csv::{self as data, ReadOptions};
use crate::model::competing::{CompetingKind, CompetingModelFile, TrainingData};
use crate::model::spec::{format_number, CovariateKind};
use anyhow::{bail, Result};
use std::path::Path;

/// The training data of `model` read from `path` with the model's specification; refused unless
/// the file is the one the model was fitted to (same SHA-256) and gives the same terms.
pub fn load_training(
    model: &CompetingModelFile,
    path: &Path,
    read: &ReadOptions,
) -> Result<TrainingData> {
    if model.model != CompetingKind::CauseSpecific {
        bail!("--train {}: only a cause-specific model needs its training data (a Fine-Gray model file holds what its standard errors need); leave --train out", path.display());
    }
    let spec = &model.spec;
    let mut req = FitRequest {
        time: spec.time.clone(),
        event: spec.event.clone(),
        covariates: spec.covariates.iter().map(|c| c.name.clone()).collect(),
        ties: spec.ties,
        censor_values: model.outcome.censor_values.clone(),
        time_unit: spec.time_unit.clone(),
        ..FitRequest::default()
    };
    for c in &spec.covariates {
        if let CovariateKind::Categorical { reference, .. } = &c.kind {
            req.categorical.push(c.name.clone());
            req.reference.insert(c.name.clone(), reference.clone());
        }
    }
    let table = data::read_csv(path, &req.columns(), read)?;
    if table.sha256 != model.training.sha256 {
        bail!(
            "--train {}: this is not the file the model was fitted to (its SHA-256 is {}, the model's training file {} had {})\n  hint: pass the training file unchanged, or predict without --train for the cumulative incidence without limits",
            path.display(),
            table.sha256,
            model.training.file,
            model.training.sha256
        );
    }
    let pc = prepare_competing(&table, &req, Some(&model.outcome.cause))?;
    let terms = spec.terms();
    let mut causes = vec![model.outcome.cause.clone()];
    causes.extend(model.outcome.competing.iter().cloned());
    if pc.prepared.design.names != terms || pc.causes != causes {
        bail!(
            "--train {}: read with the model's specification, the file gives other terms or causes than the model's",
            path.display()
        );
    }
    Ok(TrainingData {
        surv: pc.surv,
        design: pc.prepared.design,
    })
}

/// A warning for each time after the last event time of the cause of interest.
pub fn horizon_warnings(model: &CompetingModelFile, times: &[f64]) -> Vec<String> {
    let last = model.last_event_time();
    let unit = model.spec.time_unit.as_deref().unwrap_or("");
    times
        .iter()
        .filter(|&&t| t > last)
        .map(|&t| {
            format!(
                "time {} is after the last event of the cause in the training data ({} {unit}): the cumulative incidence there is carried forward from that time",
                format_number(t),
                format_number(last)
            )
            .replace(" )", ")")
        })
        .collect()
}

/// Warnings for numeric values outside the training range.
pub fn range_warnings(
    model: &CompetingModelFile,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    use crate::model::file::CovariateSummary;
    let mut out = Vec::new();
    for s in &model.covariates {
        if let CovariateSummary::Numeric { name, min, max, .. } = s {
            if let Some(v) = values
                .get(name)
                .and_then(|v| crate::model::spec::parse_number(v))
            {
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
