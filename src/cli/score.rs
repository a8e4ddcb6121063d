//! `prognosis score`: one patient's survival, median and nomogram points.

use super::args::{check_times, parse_pairs, stdout, write_figure};
use crate::model::file::ModelFile;
use crate::model::nomogram;
use crate::plot;
use crate::report::text as report;
use anyhow::{anyhow, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args)]
pub struct ScoreArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// A covariate value, COL=VALUE (repeat for every covariate)
    #[arg(long = "set", value_name = "COL=VALUE")]
    set: Vec<String>,
    /// Times at which to predict survival (default: 1, 3 and 5 years in the model's time unit)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Print JSON instead of the text block
    #[arg(long)]
    json: bool,
    /// Also draw the patient's predicted survival curve with 95% band here (.svg, .png, .pdf or
    /// .tiff; repeatable)
    #[arg(long)]
    out: Vec<PathBuf>,
    /// The training CSV of a cause-specific competing-risks model (the file it was fitted to,
    /// checked by its SHA-256): gives the limits of the cumulative incidence
    #[arg(long, value_name = "FILE")]
    train: Option<PathBuf>,
    #[command(flatten)]
    read: super::args::ReadArgs,
}

pub fn run(a: ScoreArgs) -> Result<()> {
    let refs: Vec<&std::path::Path> = a.out.iter().map(|p| p.as_path()).collect();
    super::args::check_outputs(&[&a.model], &refs)?;
    let model = match crate::model::competing::load_any(&a.model)? {
        crate::model::competing::AnyModel::Cox(m) => *m,
        crate::model::competing::AnyModel::Competing(m) => return run_competing(&m, &a),
    };
    if let Some(t) = &a.train {
        anyhow::bail!("--train {}: only a cause-specific competing-risks model needs its training data; leave --train out with a Cox model", t.display());
    }
    let out = render(&model, &a)?;
    if let Some(fig) = &out.figure {
        write_figure(fig, &a.out, "survival", &[&a.model])?;
    }
    for w in &out.stderr {
        eprintln!("warning: {w}");
    }
    stdout(&out.stdout)
}

/// What `score` shows, made before anything is written: standard output, warnings for standard
/// error (with `--json`; the text block lists them itself) and the figure when `--out` asks for one.
pub(super) struct ScoreOutput {
    pub stdout: String,
    pub stderr: Vec<String>,
    pub figure: Option<plot::curves::SurvivalFigure>,
}

/// The text block of a patient's nomogram points, after the predictions.
fn points_text(p: &nomogram::PatientPoints, spec: &crate::model::spec::ModelSpec) -> String {
    let labels: Vec<String> = spec.covariates.iter().map(|c| c.name.clone()).collect();
    format!(
        "\nNomogram points (prognosis nomogram --model ... draws the scale)\n{}",
        report::points_block(p, &labels)
    )
}

/// A patient's nomogram points in `--json`: per factor, and the total.
#[derive(serde::Serialize)]
struct PointsJson {
    factors: Vec<FactorPoints>,
    total: f64,
}

#[derive(serde::Serialize)]
struct FactorPoints {
    name: String,
    value: String,
    points: f64,
}

impl From<&nomogram::PatientPoints> for PointsJson {
    fn from(p: &nomogram::PatientPoints) -> Self {
        PointsJson {
            factors: p
                .factors
                .iter()
                .map(|(name, value, points)| FactorPoints {
                    name: name.clone(),
                    value: value.clone(),
                    points: *points,
                })
                .collect(),
            total: p.total,
        }
    }
}

pub(super) fn render(model: &ModelFile, a: &ScoreArgs) -> Result<ScoreOutput> {
    let values = model
        .resolve_values(&parse_pairs(&a.set, "--set")?)
        .map_err(|e| anyhow!("{e}"))?;
    let (x, stratum) =
        crate::model::spec::encode_patient(&model.spec, &values).map_err(|e| anyhow!("{e}"))?;
    let times = if a.times.is_empty() {
        crate::model::spec::default_horizons(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons with --times T1,T2,...")
        })?
    } else {
        a.times.clone()
    };
    check_times(&times)?;
    let pred = model.predict(&x, stratum, &times);
    let mut warnings = model.range_warnings(&values);
    warnings.extend(model.horizon_warnings(stratum, &times));
    // nomogram points (none when every coefficient is zero)
    let points = nomogram::Nomogram::from_model(model, &Default::default())
        .ok()
        .and_then(|nom| nom.score(&nom.values_from_design(&x)).ok());
    let mut figure = None;
    if !a.out.is_empty() {
        let curve = model.fit.patient_curve(&x, stratum);
        let label = values
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let fig = plot::curves::SurvivalFigure::predictions(
            vec![plot::curves::StepCurve::from_prediction(&label, &curve)],
            model.spec.time_unit.clone(),
        );
        figure = Some(fig);
    }
    if a.json {
        #[derive(serde::Serialize)]
        struct ScoreJson<'a> {
            covariates: &'a BTreeMap<String, String>,
            lp: f64,
            survival: &'a [crate::stats::cox::SurvPoint],
            median: &'a crate::stats::cox::Median,
            time_unit: Option<&'a str>,
            points: Option<PointsJson>,
            /// `points.total` again, and the median's limits, at the top level for scripts.
            total_points: Option<f64>,
            median_lower: Option<f64>,
            median_upper: Option<f64>,
            warnings: &'a [String],
        }
        let j = ScoreJson {
            covariates: &values,
            lp: pred.lp,
            survival: &pred.survival,
            median: &pred.median,
            time_unit: model.spec.time_unit.as_deref(),
            points: points.as_ref().map(PointsJson::from),
            total_points: points.as_ref().map(|p| p.total),
            median_lower: pred.median.lower,
            median_upper: pred.median.upper,
            warnings: &warnings,
        };
        Ok(ScoreOutput {
            stdout: serde_json::to_string_pretty(&j)? + "\n",
            stderr: warnings.clone(),
            figure,
        })
    } else {
        let ordered: Vec<(String, String)> = model
            .input_columns()
            .iter()
            .filter_map(|c| values.get(*c).map(|v| (c.to_string(), v.clone())))
            .collect();
        let mut text = report::score_block(model, &ordered, &pred, &warnings);
        if let Some(p) = &points {
            text.push_str(&points_text(p, &model.spec));
        }
        Ok(ScoreOutput {
            stdout: text,
            stderr: Vec::new(),
            figure,
        })
    }
}

/// `score` with a competing-risks model: the cumulative incidence of the cause of interest.
fn run_competing(model: &crate::model::competing::CompetingModelFile, a: &ScoreArgs) -> Result<()> {
    if let Some(o) = a.out.first() {
        anyhow::bail!("--out {}: the figure of `score` is a survival curve, which a competing-risks model does not give; leave --out out (the cumulative incidence is in the text or --json output)", o.display());
    }
    let values = parse_pairs(&a.set, "--set")?;
    let (x, _) =
        crate::model::spec::encode_patient(&model.spec, &values).map_err(|e| anyhow!("{e}"))?;
    let times = if a.times.is_empty() {
        crate::model::spec::default_horizons(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons with --times T1,T2,...")
        })?
    } else {
        a.times.clone()
    };
    check_times(&times)?;
    let training = match &a.train {
        Some(t) => Some(super::competing_model::load_training(
            model,
            t,
            &a.read.options()?,
        )?),
        None => None,
    };
    let pred = model
        .predict(&x, &times, training.as_ref())
        .map_err(|e| anyhow!("{e}"))?;
    let mut warnings = super::competing_model::range_warnings(model, &values);
    warnings.extend(super::competing_model::horizon_warnings(model, &times));
    // the points of the Fine-Gray nomogram (a cause-specific model has none: its incidence
    // depends on every cause's linear predictor)
    let points = if model.fine_gray.is_some() {
        match nomogram::Nomogram::from_competing_model(model, &Default::default())
            .and_then(|nom| nom.score(&nom.values_from_design(&x)))
        {
            Ok(p) => Some(p),
            Err(e) => {
                warnings.push(format!("no nomogram points: {e}"));
                None
            }
        }
    } else {
        None
    };
    if a.json {
        #[derive(serde::Serialize)]
        struct ScoreJson<'a> {
            model: &'static str,
            cause: &'a str,
            covariates: &'a BTreeMap<String, String>,
            lp: f64,
            incidence: &'a [crate::model::competing::IncidencePoint],
            time_unit: Option<&'a str>,
            points: Option<PointsJson>,
            /// `points.total` again, at the top level for scripts.
            total_points: Option<f64>,
            warnings: &'a [String],
        }
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        let j = ScoreJson {
            model: model.model.name(),
            cause: &model.outcome.cause,
            covariates: &values,
            lp: pred.lp,
            incidence: &pred.incidence,
            time_unit: model.spec.time_unit.as_deref(),
            points: points.as_ref().map(PointsJson::from),
            total_points: points.as_ref().map(|p| p.total),
            warnings: &warnings,
        };
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        let ordered: Vec<(String, String)> = model
            .input_columns()
            .iter()
            .filter_map(|c| values.get(*c).map(|v| (c.to_string(), v.clone())))
            .collect();
        let mut text = crate::report::competing::incidence_block(model, &ordered, &pred, &warnings);
        if let Some(p) = &points {
            // one blank line between the blocks
            text.truncate(text.trim_end_matches('\n').len());
            text.push('\n');
            text.push_str(&points_text(p, &model.spec));
        }
        stdout(&text)
    }
}
