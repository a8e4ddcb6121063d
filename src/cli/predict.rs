//! `prognosis predict`: survival of every row of a CSV with a saved model.

use super::args::{check_times, emit, read_for_model, MapArgs, ReadArgs};
use crate::data::cohort;
use crate::model::file::ModelFile;
use crate::report::text as report;
use anyhow::Result;
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
    let model = ModelFile::load(&a.model)?;
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
