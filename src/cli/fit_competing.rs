//! `prognosis fit --model fine-gray | cause-specific`: competing-risks models from a cohort CSV
//! whose event column holds one value per cause.

use super::args::stdout;
use super::fit::ModelKind;
use crate::data::cohort::{self, FitRequest};
use crate::data::competing::{competing_error, prepare_competing};
use crate::data::csv::{self as data, ReadOptions};
use crate::report::competing::{fine_gray_summary, FineGrayJson};
use crate::report::text as report;
use crate::stats::competing::{crr, CrrOptions};
use crate::stats::cox::{self, CoxOptions, FitExtras};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;

/// What `fit` passes on for a competing-risks model.
pub struct CompetingFit {
    pub req: FitRequest,
    pub model: ModelKind,
    pub cause: Option<String>,
    pub data: PathBuf,
    pub read: ReadOptions,
    pub max_iter: usize,
    pub eps: f64,
    pub out: Option<PathBuf>,
    pub json: bool,
}

/// The `--json` object of `fit --model cause-specific`: the Cox fit of each cause.
#[derive(Serialize)]
struct CauseSpecificJson<'a> {
    model: &'static str,
    cause: String,
    causes: Vec<CauseFitJson<'a>>,
}

#[derive(Serialize)]
struct CauseFitJson<'a> {
    cause: String,
    fit: report::FitJson<'a>,
}

pub fn run(f: CompetingFit) -> Result<()> {
    let name = match f.model {
        ModelKind::FineGray => "fine-gray",
        _ => "cause-specific",
    };
    if !f.req.event_values.is_empty() {
        bail!("--event-value is for Cox models: with --model {name} every value of the event column but --censor-value is an event of some cause, and --cause names the one of interest");
    }
    if f.out.is_some() {
        bail!("--out: a model file of a {name} model cannot be written yet; fit without --out for the summary");
    }
    if f.model == ModelKind::FineGray {
        if let Some(s) = &f.req.strata {
            bail!("--strata {s}: the Fine-Gray model (as cmprsk::crr) has no strata; add the column as a covariate");
        }
        if let Some(w) = &f.req.weights {
            bail!("--weights {w}: the Fine-Gray model (as cmprsk::crr) takes no case weights");
        }
    }
    let table = data::read_csv(&f.data, &f.req.columns(), &f.read)?;
    let pc = prepare_competing(&table, &f.req, f.cause.as_deref())?;
    let events = pc.events();
    if f.model == ModelKind::FineGray {
        let opts = CrrOptions {
            maxiter: f.max_iter,
            ..CrrOptions::default()
        };
        let fit = crr(&pc.surv, &pc.prepared.design, &opts)
            .map_err(|e| competing_error(&table, &f.req.event, e))?;
        if !fit.converged {
            eprintln!(
                "warning: the Fine-Gray fit did not converge in {} iterations",
                fit.iterations
            );
        }
        let j = FineGrayJson::new(&fit, &pc.causes, &events, &pc.prepared.counts);
        return if f.json {
            stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
        } else {
            stdout(&fine_gray_summary(&j, &pc.causes, &table.path))
        };
    }
    // cause-specific: the Cox model of each cause, the other causes censored
    let opts = CoxOptions {
        ties: f.req.ties,
        max_iter: f.max_iter,
        eps: f.eps,
        ..CoxOptions::default()
    };
    let mut models = Vec::new();
    for (k, cause) in pc.causes.iter().enumerate() {
        if events[k] == 0 {
            continue;
        }
        let mut prepared = pc.prepared.clone();
        prepared.surv = pc.surv.cause_specific(k as u32 + 1);
        prepared.spec.event_values = vec![cause.clone()];
        prepared.spec.censor_values = pc.censor_values.clone();
        let extras = FitExtras {
            weights: prepared.weights.as_deref(),
            strata: prepared.strata.as_deref(),
        };
        let fit = cox::fit(&prepared.design, &prepared.surv, extras, &opts)
            .map_err(|e| cohort::cox_error(&table, &prepared.spec, e))?;
        models.push((cause.clone(), cohort::model_file(&table, &prepared, fit)));
    }
    if f.json {
        let j = CauseSpecificJson {
            model: "cause-specific",
            cause: pc.causes[0].clone(),
            causes: models
                .iter()
                .map(|(c, m)| CauseFitJson {
                    cause: c.clone(),
                    fit: report::FitJson::new(m, None),
                })
                .collect(),
        };
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        let mut text = String::new();
        for (i, (c, m)) in models.iter().enumerate() {
            let others: Vec<&str> = pc
                .causes
                .iter()
                .filter(|x| *x != c)
                .map(String::as_str)
                .collect();
            text.push_str(&format!(
                "{}Cause-specific model of cause {c} (the other causes censored: {})\n",
                if i == 0 { "" } else { "\n" },
                if others.is_empty() {
                    "none".to_string()
                } else {
                    others.join(", ")
                }
            ));
            text.push_str(&report::fit_summary(m, &table.path));
        }
        stdout(&text)
    }
}
