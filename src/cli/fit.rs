//! `prognosis fit`: a Cox model from a cohort CSV.

use super::args::{parse_pairs, stdout, ReadArgs};
use crate::data::cohort::{self, FitRequest};
use crate::data::csv as data;
use crate::report::text as report;
use crate::stats::cox::{self, CoxOptions, FitExtras, Ties};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum TiesArg {
    Efron,
    Breslow,
}

/// The kind of model `fit` fits.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Cox proportional hazards of the event
    Cox,
    /// Fine-Gray subdistribution hazards of the cause of interest (as cmprsk::crr)
    FineGray,
    /// One Cox model per cause, the other causes censored
    CauseSpecific,
}

#[derive(Args)]
pub struct FitArgs {
    /// Cohort CSV file (first line: column names)
    data: PathBuf,
    /// Column of follow-up times
    #[arg(long)]
    time: String,
    /// Column of event status (1 = event, 0 = censored unless --event-value says otherwise)
    #[arg(long)]
    event: String,
    /// Covariate columns, comma-separated (spaces around names are ignored)
    #[arg(long, value_delimiter = ',', required_unless_present = "covariate")]
    covariates: Vec<String>,
    /// One covariate column, taken whole (repeatable): for names that contain a comma
    #[arg(long, value_name = "COL")]
    covariate: Vec<String>,
    /// The model: cox, or for competing events (an event column with one value per cause)
    /// fine-gray or cause-specific
    #[arg(long, value_enum, default_value = "cox")]
    model: ModelKind,
    /// With --model fine-gray or cause-specific: the event of interest, an event-column value
    /// (default: the first cause in level order); every value but --censor-value is an event of
    /// some cause
    #[arg(long, value_name = "V")]
    cause: Option<String>,
    /// Tie handling
    #[arg(long, value_enum, default_value = "efron")]
    ties: TiesArg,
    /// Column whose levels get separate baseline hazards
    #[arg(long)]
    strata: Option<String>,
    /// Column of case weights (positive numbers)
    #[arg(long)]
    weights: Option<String>,
    /// Reference level of a categorical covariate, COL=LEVEL (repeatable)
    #[arg(long, value_name = "COL=LEVEL")]
    reference: Vec<String>,
    /// Treat a numeric-looking covariate as categorical (repeatable)
    #[arg(long, value_name = "COL")]
    categorical: Vec<String>,
    /// Event-column value that means the event (repeatable; default 1)
    #[arg(long, value_name = "V")]
    event_value: Vec<String>,
    /// Event-column value that means censoring (repeatable; default 0, or with --event-value:
    /// every other value)
    #[arg(long, value_name = "V")]
    censor_value: Vec<String>,
    /// Unit of the time column, e.g. months or days (stored in the model, used for display)
    #[arg(long)]
    time_unit: Option<String>,
    /// Maximum Newton-Raphson iterations
    #[arg(long, default_value_t = 20)]
    max_iter: usize,
    /// Convergence tolerance on the relative change of the log-likelihood
    #[arg(long, default_value_t = 1e-9)]
    eps: f64,
    /// Write the fitted model to this JSON file
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    p_style: super::args::PStyleArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: FitArgs) -> Result<()> {
    let _p_style = a.p_style.enter();
    let covariates: Vec<String> = a
        .covariates
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .chain(a.covariate.iter().cloned())
        .collect();
    if covariates.is_empty() {
        bail!("no covariates: name at least one with --covariates A,B,... or --covariate A");
    }
    if let Some(s) = a.strata.as_ref().filter(|s| covariates.contains(s)) {
        bail!("'{s}' is both a covariate and the strata column: a stratified factor has no coefficient; drop it from --covariates");
    }
    let req = FitRequest {
        time: a.time,
        event: a.event,
        covariates,
        ties: match a.ties {
            TiesArg::Efron => Ties::Efron,
            TiesArg::Breslow => Ties::Breslow,
        },
        strata: a.strata,
        weights: a.weights,
        reference: parse_pairs(&a.reference, "--reference")?,
        categorical: a.categorical,
        event_values: a.event_value,
        censor_values: a.censor_value,
        time_unit: a.time_unit,
    };
    if let Some(dup) = req
        .covariates
        .iter()
        .enumerate()
        .find(|(i, c)| req.covariates[..*i].contains(c))
    {
        bail!("--covariates names '{}' twice", dup.1);
    }
    if let Some(out) = &a.out {
        super::args::check_outputs(&[&a.data], &[out])?;
    }
    if a.model != ModelKind::Cox {
        let options = a.read.options()?;
        return super::fit_competing::run(super::fit_competing::CompetingFit {
            req,
            model: a.model,
            cause: a.cause,
            data: a.data,
            read: options,
            max_iter: a.max_iter,
            eps: a.eps,
            out: a.out,
            json: a.json,
        });
    }
    if let Some(c) = &a.cause {
        bail!("--cause {c} names the event of interest of a competing-risks model: add --model fine-gray or --model cause-specific");
    }
    let timing = std::env::var_os("PROGNOSIS_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let table = data::read_csv(&a.data, &req.columns(), &a.read.options()?)?;
    let t_read = t0.elapsed();
    let prepared = cohort::prepare(&table, &req)?;
    let t_prep = t0.elapsed();
    let opts = CoxOptions {
        ties: req.ties,
        max_iter: a.max_iter,
        eps: a.eps,
        ..CoxOptions::default()
    };
    let extras = FitExtras {
        weights: prepared.weights.as_deref(),
        strata: prepared.strata.as_deref(),
    };
    let fit = cox::fit(&prepared.design, &prepared.surv, extras, &opts)
        .map_err(|e| cohort::cox_error(&table, &prepared.spec, e))?;
    let t_fit = t0.elapsed();
    let model = cohort::model_file(&table, &prepared, fit);
    if timing {
        eprintln!(
            "timing: read {:.3} s, prepare {:.3} s, fit {:.3} s, model summary {:.3} s",
            t_read.as_secs_f64(),
            (t_prep - t_read).as_secs_f64(),
            (t_fit - t_prep).as_secs_f64(),
            (t0.elapsed() - t_fit).as_secs_f64()
        );
    }
    if let Some(out) = &a.out {
        if let Err(detail) = model.check() {
            for w in &model.fit.warnings {
                eprintln!("warning: {w}");
            }
            bail!(
                "the fitted model cannot be written to {}: {detail}\n  hint: see the warnings; a coefficient that may be infinite (a level without events, say) or a fit that did not converge makes predictions that are not numbers: merge or drop that level or covariate",
                out.display()
            );
        }
        super::args::write_outputs(
            &[&a.data],
            vec![(out.clone(), model.to_json().into_bytes())],
        )
        .with_context(|| format!("cannot write the model file {}", out.display()))?;
    }
    if a.json {
        // the text summary lists warnings itself; with JSON they also go to the terminal
        for w in &model.fit.warnings {
            eprintln!("warning: {w}");
        }
        let j = report::FitJson::new(&model, a.out.as_ref().map(|p| p.display().to_string()));
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        let mut text = report::fit_summary(&model, &table.path);
        if let Some(out) = &a.out {
            text.push_str(&format!("Model written to {}\n", out.display()));
        }
        stdout(&text)
    }
}
