//! `prognosis predict`: survival of every row of a CSV with a saved model.

use super::args::{check_times, emit, read_for_model, MapArgs, ReadArgs};
use crate::data::cohort;
use crate::model::competing::{load_any, AnyModel, CompetingModelFile};
use crate::report::competing::{incidence_csv, incidence_json, IncidenceRow};
use crate::report::text as report;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Args)]
pub struct PredictArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// CSV of patients (needs the model's covariate columns)
    data: PathBuf,
    /// Times at which to predict survival, comma-separated
    #[arg(long, value_delimiter = ',', required = true)]
    times: Vec<f64>,
    /// Output format
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write to this file instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    /// Column of DATA to carry into the output as `id` (a patient identifier)
    #[arg(long, value_name = "COL")]
    id: Option<String>,
    /// The training CSV of a cause-specific competing-risks model (the file it was fitted to,
    /// checked by its SHA-256): gives the standard errors and limits of the cumulative incidence
    #[arg(long, value_name = "FILE")]
    train: Option<PathBuf>,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: PredictArgs) -> Result<()> {
    check_times(&a.times)?;
    let inputs = [a.model.as_path(), a.data.as_path()];
    if let Some(out) = &a.out {
        super::args::check_outputs(&inputs, &[out])?;
    }
    let model = match load_any(&a.model)? {
        AnyModel::Cox(m) => *m,
        AnyModel::Competing(m) => return run_competing(&m, &a),
    };
    if let Some(t) = &a.train {
        bail!("--train {}: only a cause-specific competing-risks model needs its training data; leave --train out with a Cox model", t.display());
    }
    let (table, spec) = read_for_model(
        &model,
        &a.data,
        &model.input_columns(),
        &a.read,
        &a.map,
        false,
    )?;
    let mut preds = cohort::predict_rows_with_spec(&model, &spec, &table, &a.times);
    if let Some(id) = &a.id {
        let ids = crate::data::csv::read_csv(&a.data, &[id.as_str()], &a.read.options()?)?;
        let col = &ids.columns[0];
        for (i, p) in preds.iter_mut().enumerate() {
            p.id = col.label(i);
        }
    }
    let strata_used: Vec<usize> = match &model.spec.strata {
        Some(s) => (0..s.levels.len()).collect(),
        None => vec![0],
    };
    let mut horizon: Vec<String> = strata_used
        .iter()
        .flat_map(|&s| model.horizon_warnings(s, &a.times))
        .collect();
    horizon.dedup();
    for w in horizon {
        eprintln!("warning: {w}");
    }
    let bad = preds.iter().filter(|p| p.problem.is_some()).count();
    if bad > 0 {
        eprintln!(
            "note: {bad} of {} rows could not be scored; their lines are in the output with the reason",
            preds.len()
        );
    }
    let text = match a.format {
        Format::Csv => report::predictions_csv(&preds, &a.times),
        Format::Json => report::predictions_json(&preds),
    };
    emit(a.out.as_deref(), &text, &inputs)
}

/// `predict` with a competing-risks model: the cumulative incidence of the cause of interest.
fn run_competing(model: &CompetingModelFile, a: &PredictArgs) -> Result<()> {
    let mut inputs = vec![a.model.as_path(), a.data.as_path()];
    if let Some(t) = &a.train {
        inputs.push(t.as_path());
    }
    let opts = a.read.options()?;
    let training = match &a.train {
        Some(t) => Some(super::competing_model::load_training(model, t, &opts)?),
        None => None,
    };
    // the training data's part of the standard errors, once for every row
    let predictor = model
        .predictor(training.as_ref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cmap = a.map.column_map(&model.spec, false)?;
    let (table, spec) = crate::data::mapping::read_for_model(
        &a.data,
        &model.spec,
        &model.input_columns(),
        &cmap,
        &opts,
    )?;
    let mut rows: Vec<IncidenceRow> = cohort::encode_rows(&table, &spec)
        .into_iter()
        .zip(&table.lines)
        .map(|(r, &line)| match r {
            cohort::EncodedRow::Ok { x, .. } => match predictor.predict(&x, &a.times) {
                Ok(p) => IncidenceRow {
                    row: line,
                    id: None,
                    prediction: Some(p),
                    problem: None,
                },
                Err(e) => IncidenceRow {
                    row: line,
                    id: None,
                    prediction: None,
                    problem: Some(e.to_string()),
                },
            },
            cohort::EncodedRow::Problem(p) => IncidenceRow {
                row: line,
                id: None,
                prediction: None,
                problem: Some(p),
            },
        })
        .collect();
    if let Some(id) = &a.id {
        let ids = crate::data::csv::read_csv(&a.data, &[id.as_str()], &opts)?;
        let col = &ids.columns[0];
        for (i, r) in rows.iter_mut().enumerate() {
            r.id = col.label(i);
        }
    }
    for w in super::competing_model::horizon_warnings(model, &a.times) {
        eprintln!("warning: {w}");
    }
    if training.is_none() && model.fine_gray.is_none() {
        eprintln!("note: the standard errors and limits of a cause-specific model's cumulative incidence need its training data: pass --train FILE (the file it was fitted to)");
    }
    let bad = rows.iter().filter(|p| p.problem.is_some()).count();
    if bad > 0 {
        eprintln!(
            "note: {bad} of {} rows could not be scored; their lines are in the output with the reason",
            rows.len()
        );
    }
    let text = match a.format {
        Format::Csv => incidence_csv(&rows, &a.times),
        Format::Json => incidence_json(&rows),
    };
    emit(a.out.as_deref(), &text, &inputs)
}
