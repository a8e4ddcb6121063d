//! `prognosis risk-groups`: patients split by nomogram points or linear predictor.

use super::args::{horizons_or_default, model_and_data, stdout, write_figure, MapArgs, ReadArgs};
use crate::model::nomogram;
use crate::plot;
use crate::report::text as report;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum ScoreScale {
    /// Total nomogram points
    Points,
    /// Linear predictor (centred as `prognosis predict`)
    Lp,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum QuantilesFrom {
    /// The training cohort's quantiles, stored in the model file
    Model,
    /// The quantiles of DATA itself
    Data,
}

#[derive(Args)]
pub struct RiskGroupsArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Cohort CSV with the model's outcome and covariate columns
    data: PathBuf,
    /// The score that splits patients
    #[arg(long, value_enum, default_value = "points")]
    on: ScoreScale,
    /// Cut-offs on that score, comma-separated (k cut-offs make k + 1 groups)
    #[arg(long, value_delimiter = ',', conflicts_with = "groups")]
    cutoffs: Vec<f64>,
    /// Number of quantile groups (3: tertiles)
    #[arg(long)]
    groups: Option<usize>,
    /// Where quantile cut-offs come from: the training cohort (default, so that a validation
    /// cohort is split at the development cut-offs) or DATA
    #[arg(long, value_enum, default_value = "model")]
    quantiles_from: QuantilesFrom,
    /// Times at which to report each group's survival (default: 1, 3 and 5 years)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    json: bool,
    /// Draw the groups' Kaplan-Meier curves here (.svg, .png, .pdf or .tiff; repeatable)
    #[arg(long)]
    out: Vec<PathBuf>,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    p_style: super::args::PStyleArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: RiskGroupsArgs) -> Result<()> {
    let _p_style = a.p_style.enter();
    use crate::model::riskgroups;
    let md = model_and_data(&a.model, &a.data, &a.read, &a.map)?;
    let (model, table, d) = (&md.model, &md.table, &md.data);
    let times = horizons_or_default(model, &a.times)?;
    let nom = nomogram::Nomogram::from_model(model, &Default::default())?;
    let coxph_centre: f64 = model
        .fit
        .means
        .iter()
        .zip(&model.fit.coef)
        .map(|(m, b)| m * b)
        .sum();
    // score of an uncentred x'beta
    let to_score = |xb: f64| match a.on {
        ScoreScale::Points => nom.points_of_lp(xb - coxph_centre - nom.coxph_shift),
        ScoreScale::Lp => xb - coxph_centre,
    };
    let scores: Vec<f64> = (0..d.design.n)
        .map(|i| {
            to_score(
                d.design
                    .row(i)
                    .iter()
                    .zip(&model.fit.coef)
                    .map(|(x, b)| x * b)
                    .sum(),
            )
        })
        .collect();
    let (cuts, source) = if !a.cutoffs.is_empty() {
        (a.cutoffs.clone(), "given".to_string())
    } else {
        let k = a.groups.unwrap_or(3);
        if k < 2 {
            bail!("--groups {k}: risk groups need at least 2 groups (e.g. --groups 3)");
        }
        let stored = model.linear_predictor.as_ref().and_then(|lp| {
            (1..k)
                .map(|j| {
                    let p = j as f64 / k as f64;
                    lp.quantiles
                        .iter()
                        .find(|q| (q.p - p).abs() < 1e-9)
                        .map(|q| to_score(q.value))
                })
                .collect::<Option<Vec<f64>>>()
        });
        match (a.quantiles_from, stored) {
            (QuantilesFrom::Model, Some(c)) if k >= 2 => (
                c,
                format!("quantiles of the training cohort ({})", model.training.file),
            ),
            (QuantilesFrom::Model, _) => bail!(
                "the model file has no training quantiles for {k} groups: use \
                 --quantiles-from data, or give --cutoffs"
            ),
            (QuantilesFrom::Data, _) => (
                riskgroups::quantile_cutoffs(&scores, k)?,
                format!("quantiles of {}", a.data.display()),
            ),
        }
    };
    let unit = match a.on {
        ScoreScale::Points => "points",
        ScoreScale::Lp => "lp",
    };
    let labels = report::risk_group_labels(&cuts, unit);
    let rg = riskgroups::compare(&d.surv, &scores, &cuts, &labels)?;
    if !a.out.is_empty() {
        let steps = labels
            .iter()
            .zip(&rg.curves)
            .map(|(l, c)| plot::curves::StepCurve::from_km(l, c))
            .collect();
        let note = format!(
            "Log-rank p {}",
            crate::report::format::p_phrase(rg.logrank.p)
        );
        let fig = plot::curves::SurvivalFigure::km(steps, model.spec.time_unit.clone(), Some(note));
        write_figure(&fig, &a.out, "riskgroups", &[&a.model, &a.data])?;
    }
    let at = report::KmJson::new(&labels, &rg.curves, None, &times);
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            on: &'a str,
            cutoffs_from: &'a str,
            #[serde(flatten)]
            groups: &'a riskgroups::RiskGroups,
            survival: Vec<&'a report::KmGroupJson>,
        }
        let j = Out {
            on: unit,
            cutoffs_from: &source,
            groups: &rg,
            survival: at.groups.iter().collect(),
        };
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        stdout(&report::risk_groups_summary(
            &rg,
            &at,
            &source,
            &table.path,
            model.spec.time_unit.as_deref(),
        ))
    }
}
