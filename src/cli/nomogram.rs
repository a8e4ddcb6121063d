//! `prognosis nomogram`: the figure and the points table of a model.

use super::args::{horizons_or_default, parse_pairs, stdout, write_figure};
use crate::model::file::ModelFile;
use crate::model::nomogram;
use crate::plot;
use crate::report::text as report;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct NomogramArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Horizons of the predicted-survival axes (default: 1, 3 and 5 years in the model's time unit)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Write the figure here (.svg, .png, .pdf or .tiff; repeatable)
    #[arg(long)]
    out: Vec<PathBuf>,
    /// Print one JSON object instead of the points table
    #[arg(long)]
    json: bool,
    /// Leave out the median-survival axis
    #[arg(long)]
    no_median: bool,
    /// Leave out the linear-predictor axis of the figure
    #[arg(long)]
    no_lp: bool,
    /// Display label of a covariate, COL=LABEL (repeatable)
    #[arg(long = "label", value_name = "COL=LABEL")]
    labels: Vec<String>,
}

/// Display labels: the covariate names, replaced by `--label COL=LABEL` pairs.
pub fn display_labels(model: &ModelFile, pairs: &[String]) -> Result<Vec<String>> {
    let given = parse_pairs(pairs, "--label")?;
    for k in given.keys() {
        if !model.spec.covariates.iter().any(|c| &c.name == k) {
            bail!("--label {k}=...: the model has no covariate '{k}'");
        }
    }
    Ok(model
        .spec
        .covariates
        .iter()
        .map(|c| {
            given
                .get(&c.name)
                .cloned()
                .unwrap_or_else(|| c.name.clone())
        })
        .collect())
}

pub fn run(a: NomogramArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    // without a time unit and without --times: points, total points and the linear predictor
    // only, as rms::nomogram without `fun`
    let no_horizons = a.times.is_empty()
        && crate::model::spec::default_horizons(model.spec.time_unit.as_deref()).is_none();
    let times = if no_horizons {
        eprintln!(
            "note: the model has no known time unit and no --times were given: the nomogram has the \
             points, total points and linear-predictor axes only\n  hint: add --times T1,T2,... \
             (in the model's time unit) for survival axes"
        );
        Vec::new()
    } else {
        horizons_or_default(&model, &a.times)?
    };
    let opts = nomogram::NomogramOptions {
        times,
        median: !a.no_median && !no_horizons,
        ..Default::default()
    };
    let nom = nomogram::Nomogram::from_model(&model, &opts)?;
    let labels = display_labels(&model, &a.labels)?;
    let mut fig = plot::nomogram::NomogramFigure::new(&nom);
    fig.labels = labels.clone();
    fig.lp_axis = !a.no_lp;
    write_figure(&fig, &a.out, "nomogram", &[&a.model])?;
    if a.json {
        stdout(&(serde_json::to_string_pretty(&nom)? + "\n"))
    } else {
        stdout(&report::nomogram_table(&nom, &labels))
    }
}
