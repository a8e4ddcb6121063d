//! `prognosis predict`: survival of every row of a CSV with a saved model.

use super::args::{check_times, emit, ReadArgs};
use crate::data::cohort;
use crate::data::csv as data;
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
    let table = data::read_csv(&a.data, &model.input_columns(), &a.read.options()?)?;
    let preds = cohort::predict_rows(&model, &table, &a.times);
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
