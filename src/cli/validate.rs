//! `prognosis validate`: discrimination, accuracy and calibration of a model on a cohort.

use super::args::{check_increasing_times, model_and_data, stdout, MapArgs, ReadArgs};
use crate::model::validation;
use crate::plot;
use crate::report::text as report;
use crate::stats::cox::CoxOptions;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct ValidateArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Cohort CSV with the model's outcome and covariate columns
    data: PathBuf,
    /// Horizons for AUC, Brier score and calibration, comma-separated
    #[arg(long, value_delimiter = ',', required = true)]
    times: Vec<f64>,
    /// Groups of the grouped calibration curve
    #[arg(long, default_value_t = 5)]
    groups: usize,
    /// Bootstrap resamples for optimism correction (refits the model on DATA: DATA must be the
    /// development cohort)
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Seed of the bootstrap
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Print one JSON object instead of the report
    #[arg(long)]
    json: bool,
    /// Write the tables (CSV), the report (JSON) and the figures (SVG, PNG and PDF: calibration, ROC
    /// and decision curves) into this directory
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: ValidateArgs) -> Result<()> {
    check_increasing_times(&a.times)?;
    let md = model_and_data(&a.model, &a.data, &a.read, &a.map)?;
    let (model, table, d) = (&md.model, &md.table, &md.data);
    let opts = validation::ValidationOptions {
        times: a.times.clone(),
        groups: a.groups,
        bootstrap: a.bootstrap,
        seed: a.seed,
        ..Default::default()
    };
    let eval = validation::EvalData {
        design: &d.design,
        surv: &d.surv,
        strata: &d.strata,
        weights: d.weights.as_deref(),
    };
    let mut rep = validation::evaluate(&model.fit, eval, &opts)?;
    if a.bootstrap > 0 {
        let fit_opts = CoxOptions {
            ties: model.spec.ties,
            ..CoxOptions::default()
        };
        // Ctrl-C stops between resamples; a progress bar on a terminal
        let _watch = super::interrupt::Watch::start();
        let bar = super::interrupt::Bar::new(a.json);
        rep.bootstrap = Some(validation::bootstrap_with(
            eval,
            &fit_opts,
            &opts,
            &bar.control(),
        )?);
    }
    if let Some(dir) = &a.out_dir {
        let mut files: Vec<(PathBuf, Vec<u8>)> = report::validation_files(&rep)
            .into_iter()
            .map(|(name, text)| (dir.join(name), text.into_bytes()))
            .collect();
        // the curves and figures: ROC and decision curves, calibration plots
        let curves = validation::horizon_curves(&model.fit, eval, &a.times, &Default::default())?;
        let tables = report::validation_curve_files(&curves)
            .into_iter()
            .map(|(name, text)| (name, text.into_bytes()));
        let unit = model.spec.time_unit.as_deref();
        let figures = plot::validation::validation_figures(
            &rep,
            &curves,
            unit,
            "",
            &[
                plot::ImageFormat::Svg,
                plot::ImageFormat::Png,
                plot::ImageFormat::Pdf,
            ],
            &Default::default(),
        )?;
        files.extend(
            tables
                .chain(figures)
                .map(|(name, bytes)| (dir.join(name), bytes)),
        );
        super::args::write_in_dir(dir, &[&a.model, &a.data], files)?;
    }
    if a.json {
        stdout(&(serde_json::to_string_pretty(&rep)? + "\n"))
    } else {
        stdout(&report::validation_summary(
            &rep,
            &table.path,
            &d.counts,
            model.spec.time_unit.as_deref(),
        ))
    }
}
