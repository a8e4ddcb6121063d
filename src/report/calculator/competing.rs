//! The calculator page of a competing-risks model file: the cumulative incidence of the cause of
//! interest, with the other causes competing.
//!
//! A Fine-Gray page holds the coefficients, their sandwich variance, the baseline cumulative
//! subdistribution hazard at the training means and the per-time variance terms of
//! [`crate::model::competing::FineGrayModel`]; its script repeats
//! [`crate::stats::competing::predict_from_terms`] operation by operation, so that the incidence,
//! standard error and limits equal `prognosis score --json`. Its points are those of the Fine-Gray
//! nomogram ([`Nomogram::from_competing_model`]). A cause-specific page holds every cause's Cox
//! coefficients and baseline hazard increments and repeats
//! [`crate::stats::competing::CauseHazards::absolute_risk`]; it has no limits (their standard
//! error needs the training data) and no points (the cumulative incidence depends on several
//! linear predictors, not on one).

use super::{
    card_end, esc, page_covariates, page_head, page_horizons, page_json, page_nomogram,
    page_ranges, page_tail, page_top, CalculatorError, CalculatorOptions, PageCovariate,
    PageNomogram, PageRange,
};
use crate::model::competing::{CompetingKind, CompetingModelFile};
use crate::model::nomogram::{Nomogram, NomogramOptions};
use crate::model::spec::format_number;
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct CompetingPageData<'a> {
    version: &'a str,
    model_version: &'a str,
    checksum: &'a str,
    title: String,
    /// "fine-gray" or "cause-specific": the page's script tells the two kinds from a Cox page by
    /// this field.
    model: &'static str,
    /// The event column, the cause of interest and the competing causes (its values).
    event: &'a str,
    cause: &'a str,
    competing: &'a [String],
    time_unit: Option<&'a str>,
    times: Vec<f64>,
    z: f64,
    conf_level: f64,
    covariates: Vec<PageCovariate>,
    strata: Option<()>,
    ranges: Vec<PageRange>,
    /// The last event time of the cause of interest (horizon warnings).
    last_event: f64,
    fine_gray: Option<PageFineGray<'a>>,
    cause_specific: Option<PageCauseSpecific<'a>>,
    nomogram: Option<PageNomogram>,
    risk_groups: Option<()>,
}

#[derive(Serialize)]
struct PageFineGray<'a> {
    coef: &'a [f64],
    var: &'a [Vec<f64>],
    center: &'a [f64],
    time: &'a [f64],
    cumhaz: &'a [f64],
    var_a: &'a [f64],
    var_c: &'a [Vec<f64>],
    var_m: &'a [Vec<f64>],
}

#[derive(Serialize)]
struct PageCause<'a> {
    cause: &'a str,
    coef: &'a [f64],
    jumps: &'a [f64],
}

#[derive(Serialize)]
struct PageCauseSpecific<'a> {
    center: &'a [f64],
    time: &'a [f64],
    causes: Vec<PageCause<'a>>,
}

/// "cause = 1": the event column and the value of the cause of interest.
fn cause_words(model: &CompetingModelFile) -> String {
    format!("{} = {}", model.spec.event, model.outcome.cause)
}

/// "cause = 2 competing": the competing events as the event column codes them.
fn competing_words(model: &CompetingModelFile) -> String {
    format!(
        "{} = {} competing",
        model.spec.event,
        model.outcome.competing.join(" or ")
    )
}

fn card_html(model: &CompetingModelFile, times: &[f64]) -> String {
    let unit = model.spec.time_unit.as_deref().unwrap_or("time units");
    let t = &model.training;
    let o = &model.outcome;
    let num = format_number;
    let mut h = String::new();
    h.push_str("<section id=\"card\" aria-labelledby=\"card-h\">\n<h2 id=\"card-h\">About this model</h2>\n<dl>\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    };
    let covs: Vec<String> = model.spec.covariates.iter().map(|c| esc(&c.name)).collect();
    let competing: Vec<String> = o
        .competing
        .iter()
        .map(|c| format!("{} = {}", esc(&model.spec.event), esc(c)))
        .collect();
    let kind = match model.model {
        CompetingKind::FineGray => {
            "Fine-Gray model of the subdistribution hazard (as <code>cmprsk::crr</code>); the \
             cumulative incidence as <code>cmprsk::predict.crr</code>, its 95% limits by the delta \
             method on log(−log(1 − F))"
                .to_string()
        }
        CompetingKind::CauseSpecific => format!(
            "Cause-specific Cox models of every cause ({} ties); the cumulative incidence from all \
             of them by the product limit, as <code>riskRegression::CSC</code>",
            model
                .cause_specific
                .as_ref()
                .map_or(String::new(), |c| c.ties.to_string())
        ),
    };
    row(
        "Model",
        format!(
            "{kind}. Cause of interest {}; competing: {}; time in {}; factors: {}.",
            esc(&cause_words(model)),
            if competing.is_empty() {
                "none".to_string()
            } else {
                competing.join(", ")
            },
            esc(unit),
            covs.join(", ")
        ),
    );
    let mut cohort = format!(
        "{} patients: {} events of the cause, {} of competing causes, {} censored; follow-up {} to {} {}",
        t.rows.used,
        o.events,
        o.competing_events.iter().sum::<usize>(),
        o.censored,
        num(t.follow_up.min),
        num(t.follow_up.max),
        esc(unit)
    );
    let _ = write!(
        cohort,
        "; data file {} (SHA-256 <code>{}</code>).",
        esc(&t.file),
        esc(&t.sha256)
    );
    row("Development cohort", cohort);
    card_end(
        &mut h,
        &model.prognosis_version,
        &model.checksum,
        times,
        unit,
    );
    h
}

/// The calculator page of a competing-risks model: one HTML document with everything inline.
pub fn competing_calculator_html(
    model: &CompetingModelFile,
    opts: &CalculatorOptions,
) -> Result<String, CalculatorError> {
    let times = page_horizons(model.spec.time_unit.as_deref(), opts)?;
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| "Cumulative incidence calculator".to_string());
    let (coef, level) = match (&model.fine_gray, &model.cause_specific) {
        (Some(fg), _) => (&fg.coef, fg.level),
        (_, Some(cs)) => (&cs.causes[0].coef, cs.level),
        _ => {
            return Err(CalculatorError::Inconsistent(
                "neither a Fine-Gray nor a cause-specific part".into(),
            ))
        }
    };
    let covariates = page_covariates(&model.spec.covariates, &model.covariates, None, coef)?;
    let nomogram = match model.model {
        CompetingKind::FineGray => Some(page_nomogram(
            &Nomogram::from_competing_model(model, &NomogramOptions::default())
                .map_err(|e| CalculatorError::Inconsistent(e.to_string()))?,
        )),
        CompetingKind::CauseSpecific => None,
    };
    let data = CompetingPageData {
        version: env!("CARGO_PKG_VERSION"),
        model_version: &model.prognosis_version,
        checksum: &model.checksum,
        title: title.clone(),
        model: model.model.name(),
        event: &model.spec.event,
        cause: &model.outcome.cause,
        competing: &model.outcome.competing,
        time_unit: model.spec.time_unit.as_deref(),
        times: times.clone(),
        z: crate::stats::dist::z_for_level(level),
        conf_level: level,
        covariates,
        strata: None,
        ranges: page_ranges(&model.covariates),
        last_event: model.last_event_time(),
        fine_gray: model.fine_gray.as_ref().map(|fg| PageFineGray {
            coef: &fg.coef,
            var: &fg.var,
            center: &fg.center,
            time: &fg.time,
            cumhaz: &fg.cumhaz,
            var_a: &fg.var_a,
            var_c: &fg.var_c,
            var_m: &fg.var_m,
        }),
        cause_specific: model.cause_specific.as_ref().map(|cs| PageCauseSpecific {
            center: &cs.center,
            time: &cs.time,
            causes: cs
                .causes
                .iter()
                .map(|c| PageCause {
                    cause: &c.cause,
                    coef: &c.coef,
                    jumps: &c.jumps,
                })
                .collect(),
        }),
        nomogram,
        risk_groups: None,
    };
    let json = page_json(&data)?;
    let what = esc(&cause_words(model));
    let others = esc(&competing_words(model));
    let pct_level = format_number(100.0 * level);
    let fine_gray = model.model == CompetingKind::FineGray;
    let mut h = page_head(&title, json.len() + 32_000);
    let limits = if fine_gray {
        format!("with its {pct_level}% confidence interval")
    } else {
        "(no confidence interval: see below)".to_string()
    };
    page_top(
        &mut h,
        &esc(&title),
        &format!("the cumulative incidence of {what} ({others}) updates"),
    );
    let _ = write!(
        h,
        "<p class=\"small\" id=\"incidence-cap\">Predicted cumulative incidence of {what} \
         ({others}) {limits}</p>\n\
         <table id=\"incidence\" class=\"surv\" aria-describedby=\"incidence-cap\">\
         <tbody></tbody></table>\n\
         <div class=\"field\" id=\"f-time-extra\"><label for=\"time-extra\">Another time{}</label>\
         <div class=\"numrow\"><input type=\"text\" inputmode=\"decimal\" id=\"time-extra\" \
         spellcheck=\"false\" aria-describedby=\"w-time-extra\"></div>\
         <p class=\"warn\" id=\"w-time-extra\" hidden></p></div>\n\
         <figure id=\"curve\"><figcaption>Predicted cumulative incidence of {what} over time{}; \
         dashed lines mark the horizons.</figcaption></figure>\n\
         <div id=\"points\"></div>\n",
        model
            .spec
            .time_unit
            .as_deref()
            .map_or(String::new(), |u| format!(" ({})", esc(u))),
        if fine_gray {
            format!(" with its {pct_level}% confidence band")
        } else {
            String::new()
        },
    );
    if fine_gray {
        h.push_str(
            "<p class=\"small\" id=\"about-points\">The points are those of the model's Fine-Gray \
             nomogram: they add up the factors' effects on the subdistribution hazard of the \
             cause, and more points mean a higher cumulative incidence.</p>\n",
        );
    } else {
        h.push_str(
            "<div id=\"no-limits\"><h3>Why there are no confidence limits and no points</h3>\n\
             <p class=\"small\">This model is a set of cause-specific Cox models, one per cause: \
             the cumulative incidence of the cause depends on the hazards of every cause. Its \
             standard error needs the training data (each patient's influence on every cause's \
             coefficients and baseline hazard), which this page does not hold: \
             <code>prognosis predict --train FILE</code> or <code>prognosis score --train \
             FILE</code> with the training file gives the limits. There is no points scale \
             either, because no single linear predictor orders the patients by their cumulative \
             incidence; a Fine-Gray model (<code>prognosis fit --model fine-gray</code>) has one.\
             </p></div>\n",
        );
    }
    h.push_str("</div>\n</section>\n</main>\n");
    page_tail(&mut h, &card_html(model, &times), &json);
    Ok(h)
}
