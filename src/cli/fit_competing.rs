//! `prognosis fit --model fine-gray | cause-specific`: competing-risks models from a cohort CSV
//! whose event column holds one value per cause.

use super::args::stdout;
use super::fit::ModelKind;
use crate::data::cohort::{self, FitRequest};
use crate::data::competing::PreparedCompeting;
use crate::data::competing::{competing_error, prepare_competing};
use crate::data::csv::{self as data, ReadOptions};
use crate::model::competing::{
    CauseModel, CauseSpecificModel, CompetingKind, CompetingModelFile, CompetingOutcome,
    FineGrayModel,
};
use crate::model::file::{FollowUp, TrainingSummary};
use crate::report::competing::{fine_gray_summary, FineGrayJson};
use crate::report::text as report;
use crate::stats::competing::CauseHazards;
use crate::stats::competing::{crr, CrrOptions};
use crate::stats::cox::{self, CoxOptions, FitExtras};
use anyhow::{bail, Context, Result};
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
    if f.out.is_some() && f.model == ModelKind::CauseSpecific {
        if let Some(s) = &f.req.strata {
            bail!("--strata {s} with --out: the model file of a cause-specific model holds unstratified fits (the absolute risk is computed as riskRegression's for one baseline per cause); fit without --strata, or without --out for the tables");
        }
        if let Some(w) = &f.req.weights {
            bail!("--weights {w} with --out: the model file of a cause-specific model holds unweighted fits; fit without --weights, or without --out for the tables");
        }
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
        if let Some(out) = &f.out {
            let terms = fit
                .prediction_terms(&pc.surv, &pc.prepared.design)
                .map_err(|e| competing_error(&table, &f.req.event, e))?;
            let fg = FineGrayModel {
                terms: fit.names.clone(),
                coef: fit.coef.clone(),
                var: rows_of(&fit.var, fit.coef.len()),
                level: fit.level(),
                converged: fit.converged,
                iterations: fit.iterations,
                loglik: [fit.loglik_null, fit.loglik],
                center: terms.center,
                time: terms.time,
                cumhaz: terms.cumhaz,
                var_a: terms.a,
                var_c: terms.c,
                var_m: terms.m,
            };
            let model = competing_file(&table, &pc, CompetingKind::FineGray, Some(fg), None);
            write_model(&model, out, &f.data)?;
        }
        let j = FineGrayJson::new(&fit, &pc.causes, &events, &pc.prepared.counts);
        let written = written_note(&f.out);
        return if f.json {
            stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
        } else {
            stdout(&(fine_gray_summary(&j, &pc.causes, &table.path) + &written))
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
    let mut fits = Vec::new();
    for (k, cause) in pc.causes.iter().enumerate() {
        if events[k] == 0 {
            if f.out.is_some() {
                bail!("cause {cause} has no event among the rows used: its cause-specific model cannot be fitted, and the absolute risk needs every cause's; drop it (code it as censoring with --censor-value) or fit without --out");
            }
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
        fits.push(fit.clone());
        models.push((cause.clone(), cohort::model_file(&table, &prepared, fit)));
    }
    if let Some(out) = &f.out {
        let coef: Vec<Vec<f64>> = fits.iter().map(|m| m.coef.clone()).collect();
        let hz = CauseHazards::new(&pc.surv, &pc.prepared.design, &coef, opts.ties)
            .map_err(|e| competing_error(&table, &f.req.event, e))?;
        let cs = CauseSpecificModel {
            terms: pc.prepared.design.names.clone(),
            ties: opts.ties,
            level: opts.conf_level,
            center: hz.center.clone(),
            time: hz.time.clone(),
            causes: fits
                .iter()
                .zip(&pc.causes)
                .zip(hz.jumps)
                .map(|((m, c), jumps)| CauseModel {
                    cause: c.clone(),
                    coef: m.coef.clone(),
                    var: m.var.clone(),
                    events: m.events,
                    jumps,
                })
                .collect(),
        };
        let model = competing_file(&table, &pc, CompetingKind::CauseSpecific, None, Some(cs));
        write_model(&model, out, &f.data)?;
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
        text.push_str(&written_note(&f.out));
        stdout(&text)
    }
}

fn written_note(out: &Option<PathBuf>) -> String {
    out.as_ref().map_or(String::new(), |o| {
        format!("Model written to {}\n", o.display())
    })
}

/// A row-major p x p matrix as rows.
fn rows_of(v: &[f64], p: usize) -> Vec<Vec<f64>> {
    v.chunks(p).map(<[f64]>::to_vec).collect()
}

/// The model file of a competing-risks fit on `pc`, with the training data's aggregates.
fn competing_file(
    table: &data::Table,
    pc: &PreparedCompeting,
    kind: CompetingKind,
    fine_gray: Option<FineGrayModel>,
    cause_specific: Option<CauseSpecificModel>,
) -> CompetingModelFile {
    let prepared = &pc.prepared;
    let events = pc.events();
    let mut spec = prepared.spec.clone();
    spec.event_values = vec![pc.causes[0].clone()];
    spec.censor_values = pc.censor_values.clone();
    let file = std::path::Path::new(&table.path)
        .file_name()
        .map_or(table.path.clone(), |f| f.to_string_lossy().into_owned());
    let training = TrainingSummary {
        file,
        sha256: table.sha256.clone(),
        rows: prepared.counts.clone(),
        events: events[0],
        follow_up: FollowUp::of(&prepared.surv),
        recalibrated: None,
    };
    let outcome = CompetingOutcome {
        cause: pc.causes[0].clone(),
        competing: pc.causes[1..].to_vec(),
        censor_values: pc.censor_values.clone(),
        events: events[0],
        competing_events: events[1..].to_vec(),
        censored: pc.surv.n_events(0),
    };
    CompetingModelFile::new(
        kind,
        spec,
        outcome,
        cohort::summarise(table, prepared),
        training,
        fine_gray,
        cause_specific,
    )
}

fn write_model(
    model: &CompetingModelFile,
    out: &std::path::Path,
    data: &std::path::Path,
) -> Result<()> {
    if let Err(detail) = model.check() {
        bail!(
            "the fitted model cannot be written to {}: {detail}\n  hint: a coefficient that may be infinite (a level without events, say) or a fit that did not converge makes predictions that are not numbers: merge or drop that level or covariate",
            out.display()
        );
    }
    super::args::write_outputs(
        &[data],
        vec![(out.to_path_buf(), model.to_json().into_bytes())],
    )
    .with_context(|| format!("cannot write the model file {}", out.display()))
}
