//! `prognosis validate`: discrimination, accuracy and calibration of a model on a cohort.

use super::args::{check_increasing_times, model_and_data, stdout, MapArgs, ReadArgs};
use crate::data::cohort::{self, FitRequest};
use crate::data::competing::prepare_competing;
use crate::model::competing::{load_any, AnyModel, CompetingKind, CompetingModelFile};
use crate::model::file::Recalibrated;
use crate::model::recalibration;
use crate::model::spec::CovariateKind;
use crate::model::validation;
use crate::model::validation_competing::{self as vc, CompetingValidationOptions};
use crate::plot;
use crate::report::text as report;
use crate::stats::competing::CrrOptions;
use crate::stats::cox::CoxOptions;
use crate::stats::cox::Design;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// The updated model `--recalibrate-out` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    // coefficients kept, baseline hazard re-estimated on DATA
    InTheLarge,
    // coefficients times the slope of the old linear predictor on DATA, baseline re-estimated
    Slope,
}

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
    /// Update the model for DATA's population: recalibration-in-the-large (new baseline hazard,
    /// coefficients kept) and slope recalibration (coefficients times the calibration slope, new
    /// baseline), with their calibration at the horizons next to the original model's
    #[arg(long)]
    recalibrate: bool,
    /// Write the updated model as a model file (implies --recalibrate)
    #[arg(long, value_name = "FILE")]
    recalibrate_out: Option<PathBuf>,
    /// Which updated model --recalibrate-out writes: in-the-large (coefficients kept) or slope
    /// (coefficients times the calibration slope)
    #[arg(long, value_enum, default_value_t = Method::Slope)]
    recalibrate_method: Method,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    read: ReadArgs,
}

/// `--bootstrap` on a file other than the model's training data refits the model on that file:
/// its corrections are those of the refit (internal validation of the file's own model), not the
/// saved model's on external data. Say so.
fn bootstrap_on_other_data_note(
    data: &std::path::Path,
    sha256: &str,
    training: &crate::model::file::TrainingSummary,
) {
    if sha256 != training.sha256 {
        eprintln!(
            "note: {} is not the file the model was fitted to ({}): --bootstrap refits the model on \
             it, so the optimism corrections are those of that refit (internal validation), not of \
             the saved model on new data; for external validation leave --bootstrap out",
            data.display(),
            training.file
        );
    }
}

pub fn run(a: ValidateArgs) -> Result<()> {
    check_increasing_times(&a.times)?;
    if let Some(out) = &a.recalibrate_out {
        super::args::check_outputs(&[&a.model, &a.data], &[out])?;
    }
    if let AnyModel::Competing(m) = load_any(&a.model)? {
        if a.recalibrate || a.recalibrate_out.is_some() {
            bail!("--recalibrate: recalibration is for Cox model files; {} holds a competing-risks model", a.model.display());
        }
        return run_competing(&m, &a);
    }
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
        bootstrap_on_other_data_note(&a.data, &table.sha256, &model.training);
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
    let recal = if a.recalibrate || a.recalibrate_out.is_some() {
        Some(recalibration::recalibrate(&model.fit, eval, &opts)?)
    } else {
        None
    };
    if let (Some(out), Some(r)) = (&a.recalibrate_out, &recal) {
        let (fit, method, slope) = match a.recalibrate_method {
            Method::InTheLarge => (r.in_the_large_fit.clone(), "in-the-large", 1.0),
            Method::Slope => (r.slope_fit.clone(), "slope", r.slope.coef),
        };
        let fit = fit.expect("recalibrate returns both fits");
        let updated = cohort::recalibrated_model_file(
            model,
            table,
            d,
            fit,
            Recalibrated {
                method: method.to_string(),
                slope,
                original_training_file: model.training.file.clone(),
                original_checksum: model.checksum.clone(),
            },
        );
        updated.check().map_err(|e| {
            anyhow::anyhow!(
                "{}: the recalibrated model cannot be written: {e}\n  hint: every stratum of the model needs events in the data",
                a.data.display()
            )
        })?;
        super::args::write_outputs(
            &[&a.model, &a.data],
            vec![(out.clone(), updated.to_json().into_bytes())],
        )?;
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
        if let Some(r) = &recal {
            files.push((
                dir.join("recalibration.csv"),
                report::recalibration_csv(r).into_bytes(),
            ));
        }
        super::args::write_in_dir(dir, &[&a.model, &a.data], files)?;
    }
    let unit = model.spec.time_unit.as_deref();
    if a.json {
        let mut v = serde_json::to_value(&rep)?;
        if let (Some(r), Some(obj)) = (&recal, v.as_object_mut()) {
            obj.insert("recalibration".into(), serde_json::to_value(r)?);
        }
        stdout(&(serde_json::to_string_pretty(&v)? + "\n"))
    } else {
        let mut text = report::validation_summary(&rep, &table.path, &d.counts, unit);
        if let Some(r) = &recal {
            text.push_str(&report::recalibration_summary(r, unit));
        }
        if let Some(out) = &a.recalibrate_out {
            text.push_str(&format!(
                "Recalibrated model written to {}\n",
                out.display()
            ));
        }
        stdout(&text)
    }
}

/// `validate` with a competing-risks model file: the cumulative incidence of the cause of interest
/// against the outcome in DATA (the other causes compete), with the bootstrap for a Fine-Gray
/// model.
fn run_competing(model: &CompetingModelFile, a: &ValidateArgs) -> Result<()> {
    if a.bootstrap > 0 && model.model != CompetingKind::FineGray {
        bail!(
            "--bootstrap {}: the bootstrap refits the model, which prognosis does for a Fine-Gray model only (this file holds a {} model); leave --bootstrap out",
            a.bootstrap,
            model.model.name()
        );
    }
    let opts = a.read.options()?;
    let cmap = a.map.column_map(&model.spec, true)?;
    let (table, spec) = crate::data::mapping::read_for_model(
        &a.data,
        &model.spec,
        &model.spec.columns(),
        &cmap,
        &opts,
    )?;
    // the outcome, the cause of interest as cause 1
    let mut req = FitRequest {
        time: spec.time.clone(),
        event: spec.event.clone(),
        covariates: spec.covariates.iter().map(|c| c.name.clone()).collect(),
        censor_values: model.outcome.censor_values.clone(),
        ..FitRequest::default()
    };
    for c in &spec.covariates {
        if let CovariateKind::Categorical { reference, .. } = &c.kind {
            req.categorical.push(c.name.clone());
            req.reference.insert(c.name.clone(), reference.clone());
        }
    }
    let pc = prepare_competing(&table, &req, Some(&model.outcome.cause))?;
    // covariates with the model's levels; rows with a level the model does not know are left out
    let encoded = cohort::encode_rows(&table, &spec);
    let mut kept = Vec::new();
    let mut x = Vec::new();
    let mut problems = Vec::new();
    for (k, &row) in pc.prepared.rows.iter().enumerate() {
        match &encoded[row] {
            cohort::EncodedRow::Ok { x: xi, .. } => {
                kept.push(k);
                x.extend_from_slice(xi);
            }
            cohort::EncodedRow::Problem(p) => problems.push((table.lines[row], p.clone())),
        }
    }
    if let Some((line, p)) = problems.first() {
        eprintln!(
            "note: {} rows have a level the model does not know and were left out (first: line {line}: {p})",
            problems.len()
        );
    }
    let surv = pc.surv.subset(&kept);
    let design = Design::new(x, kept.len(), spec.terms())?;
    let mut predicted = vec![Vec::with_capacity(design.n); a.times.len()];
    let mut lp = Vec::with_capacity(design.n);
    for i in 0..design.n {
        let p = model.predict(design.row(i), &a.times, None)?;
        for (j, q) in p.incidence.iter().enumerate() {
            predicted[j].push(q.cif);
        }
        lp.push(p.lp);
    }
    for w in super::competing_model::horizon_warnings(model, &a.times) {
        eprintln!("warning: {w}");
    }
    let vopts = CompetingValidationOptions {
        times: a.times.clone(),
        cause: 1,
        groups: a.groups,
        bootstrap: a.bootstrap,
        seed: a.seed,
    };
    let mut rep = vc::validate_predictions(&surv, &predicted, &vopts)?;
    // the calibration slope of a Fine-Gray model's linear predictor (a cause-specific model has
    // one per cause and no single slope)
    if model.model == CompetingKind::FineGray {
        rep.slope = match vc::calibration_slope(&surv, vopts.cause, &lp) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("warning: no calibration slope: {e}");
                None
            }
        };
    }
    if a.bootstrap > 0 {
        bootstrap_on_other_data_note(&a.data, &table.sha256, &model.training);
        rep.bootstrap = Some(vc::bootstrap_fine_gray(
            &design,
            &surv,
            &CrrOptions::default(),
            &vopts,
        )?);
    }
    let json = serde_json::to_string_pretty(&rep)? + "\n";
    let unit = model.spec.time_unit.as_deref();
    let cause = &model.outcome.cause;
    if let Some(dir) = &a.out_dir {
        let mut files: Vec<(PathBuf, Vec<u8>)> =
            vec![(dir.join("validation.json"), json.clone().into_bytes())];
        if let Some(b) = &rep.bootstrap {
            files.push((
                dir.join("calibration_corrected.csv"),
                crate::report::text::corrected_calibration_csv(&b.calibration).into_bytes(),
            ));
        }
        for (j, (h, p)) in rep.horizons.iter().zip(&predicted).enumerate() {
            let mut fig = plot::calibration::CalibrationFigure::cumulative_incidence(h);
            fig.risks = p;
            fig.corrected = rep.bootstrap.as_ref().map(|b| &b.calibration[j]);
            fig.event = format!("{} = {cause}", model.spec.event);
            fig.time_unit = model.spec.time_unit.clone();
            let slug = crate::report::format::horizon_slug(&crate::report::format::horizon_label(
                h.time, unit,
            ));
            let name = format!("calibration_{slug}");
            for (format, bytes) in plot::render_formats(
                &fig,
                &[
                    plot::ImageFormat::Svg,
                    plot::ImageFormat::Png,
                    plot::ImageFormat::Pdf,
                ],
                &name,
            )? {
                files.push((dir.join(format!("{name}.{}", format.extension())), bytes));
            }
        }
        super::args::write_in_dir(dir, &[&a.model, &a.data], files)?;
    }
    if a.json {
        stdout(&json)
    } else {
        stdout(&crate::report::competing::competing_validation_summary(
            &rep,
            &format!("{} = {cause}", model.spec.event),
            &table.path,
            unit,
        ))
    }
}
