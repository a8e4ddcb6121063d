//! `prognosis calculator`: the clinician calculator page of a saved model.

use crate::model::competing::{load_any, AnyModel};
use crate::report::calculator::{calculator_html, competing_calculator_html, CalculatorOptions};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CalculatorArgs {
    /// Model file written by `prognosis fit --out` (a Cox or a competing-risks model) or `prognosis study`
    #[arg(long)]
    pub model: PathBuf,
    /// Write the page here (one self-contained HTML file)
    #[arg(long, default_value = "calculator.html")]
    pub out: PathBuf,
    /// Horizons at which survival (or the cumulative incidence) is shown (default: 1, 3 and 5 years in the model's time unit)
    #[arg(long, value_delimiter = ',')]
    pub times: Vec<f64>,
    /// Page title (default: the model card's title, else "Survival calculator")
    #[arg(long)]
    pub title: Option<String>,
}

pub fn run(a: CalculatorArgs) -> Result<()> {
    super::args::check_outputs(&[&a.model], &[&a.out])?;
    let opts = CalculatorOptions {
        times: a.times,
        title: a.title,
    };
    let html = match load_any(&a.model)? {
        AnyModel::Cox(model) => calculator_html(&model, &opts)?,
        AnyModel::Competing(model) => competing_calculator_html(&model, &opts)?,
    };
    super::args::write_outputs(
        &[&a.model],
        vec![(a.out.clone(), html.clone().into_bytes())],
    )?;
    eprintln!(
        "wrote {} ({} KB): open it in a browser; it works offline",
        a.out.display(),
        html.len().div_ceil(1024)
    );
    Ok(())
}
