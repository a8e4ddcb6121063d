//! `prognosis nomogram`: the figure and the points table of a model: a Cox model's survival
//! nomogram, or a Fine-Gray model's nomogram of the cumulative incidence of its cause.

use super::args::{check_times, horizons_or_default, parse_pairs, stdout, write_figure};
use crate::model::competing::{load_any, AnyModel, CompetingModelFile};
use crate::model::nomogram;
use crate::model::spec::ModelSpec;
use crate::plot;
use crate::report::text as report;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct NomogramArgs {
    /// Model file written by `prognosis fit --out` (a Cox or a Fine-Gray model)
    #[arg(long)]
    model: PathBuf,
    /// Horizons of the predicted-survival axes, of a Fine-Gray model the cumulative-incidence axes
    /// (default: 1, 3 and 5 years in the model's time unit)
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
pub fn display_labels(spec: &ModelSpec, pairs: &[String]) -> Result<Vec<String>> {
    let given = parse_pairs(pairs, "--label")?;
    for k in given.keys() {
        if !spec.covariates.iter().any(|c| &c.name == k) {
            bail!("--label {k}=...: the model has no covariate '{k}'");
        }
    }
    Ok(spec
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
    let model = match load_any(&a.model)? {
        AnyModel::Cox(m) => *m,
        AnyModel::Competing(m) => return run_fine_gray(&m, &a),
    };
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
    let labels = display_labels(&model.spec, &a.labels)?;
    output(&nom, labels, &a, None)
}

/// The figure (`--out`) and the points table or `--json` of a nomogram; `json_extra` goes first
/// in the JSON object.
fn output(
    nom: &nomogram::Nomogram,
    labels: Vec<String>,
    a: &NomogramArgs,
    json_extra: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<()> {
    let mut fig = plot::nomogram::NomogramFigure::new(nom);
    fig.labels = labels.clone();
    fig.lp_axis = !a.no_lp;
    write_figure(&fig, &a.out, "nomogram", &[&a.model])?;
    if a.json {
        let text = match json_extra {
            None => serde_json::to_string_pretty(nom)?,
            Some(mut obj) => {
                if let serde_json::Value::Object(fields) = serde_json::to_value(nom)? {
                    obj.extend(fields);
                }
                serde_json::to_string_pretty(&obj)?
            }
        };
        stdout(&(text + "\n"))
    } else {
        stdout(&report::nomogram_table(nom, &labels))
    }
}

/// The nomogram of a Fine-Gray model file: the points scale on the subdistribution linear
/// predictor and the cumulative incidence of the cause of interest at each horizon.
fn run_fine_gray(model: &CompetingModelFile, a: &NomogramArgs) -> Result<()> {
    if model.fine_gray.is_none() {
        bail!(
            "{} is a cause-specific competing-risks model: {}\n  hint: fit the same data with `prognosis fit ... --model fine-gray --cause {} --out FILE` and draw that file's nomogram; `prognosis score` and `predict` give this model's cumulative incidence",
            a.model.display(),
            nomogram::NomogramError::NotFineGray,
            model.outcome.cause
        );
    }
    let times = if a.times.is_empty() {
        crate::model::spec::default_horizons(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons of the cumulative-incidence axes with --times T1,T2,...")
        })?
    } else {
        a.times.clone()
    };
    check_times(&times)?;
    let opts = nomogram::NomogramOptions {
        times: times.clone(),
        median: false,
        ..Default::default()
    };
    let nom = nomogram::Nomogram::from_competing_model(model, &opts)?;
    for w in super::competing_model::horizon_warnings(model, &times) {
        eprintln!("warning: {w}");
    }
    let labels = display_labels(&model.spec, &a.labels)?;
    let mut extra = serde_json::Map::new();
    extra.insert("model".into(), model.model.name().into());
    extra.insert("cause".into(), model.outcome.cause.clone().into());
    extra.insert("competing".into(), model.outcome.competing.clone().into());
    output(&nom, labels, a, Some(extra))
}
