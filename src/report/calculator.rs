//! The clinician calculator: one self-contained HTML file per model.
//!
//! The page holds the model's coefficients, centring means, coefficient variance, the baseline
//! hazard steps of every stratum with the variance terms `survfit.coxph` needs, and the
//! nomogram's scaling, as JSON; its JavaScript (`calculator/page.js`) repeats the arithmetic of
//! [`crate::data::cohort::encode_patient`], [`crate::stats::cox::CoxFit::patient_curve`],
//! [`crate::stats::cox::PatientCurve::at`], [`crate::stats::cox::PatientCurve::median`] and
//! [`crate::model::nomogram::Nomogram::score`] operation by operation, so that in IEEE doubles it gives
//! the numbers of `prognosis score --json`. Nothing is loaded from anywhere: HTML, CSS, script and
//! the survival-curve SVG are inline, and a Content-Security-Policy forbids every request. The
//! page holds no patient row: only aggregates (event times with the baseline hazard, covariate
//! ranges and quantiles).

use crate::model::card::ModelCard;
use crate::model::file::{CovariateSummary, ModelFile};
use crate::model::nomogram::{Nomogram, NomogramOptions};
use crate::model::spec::{default_horizons, CovariateKind};
use serde::Serialize;
use std::fmt::Write;
use thiserror::Error;

mod competing;
pub use competing::competing_calculator_html;

const PAGE_JS: &str = include_str!("calculator/page.js");
const PAGE_CSS: &str = include_str!("calculator/page.css");

/// Options of the calculator page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalculatorOptions {
    /// Horizons at which survival is shown. Default: none given, meaning 1, 3 and 5 years in the
    /// model's time unit (as `score`).
    pub times: Vec<f64>,
    /// Page title. Default: the model card's title, else "Survival calculator".
    pub title: Option<String>,
}

/// Why a calculator page cannot be made.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalculatorError {
    #[error("the model has no known time unit: give the horizons with --times T1,T2,...")]
    NoHorizons,
    #[error("--times: {0} is not a time >= 0")]
    BadHorizon(f64),
    #[error("the model file is inconsistent: {0}")]
    Inconsistent(String),
}

#[derive(Serialize)]
struct PageData<'a> {
    /// prognosis version that wrote the page.
    version: &'a str,
    /// prognosis version that wrote the model file.
    model_version: &'a str,
    checksum: &'a str,
    title: String,
    time_unit: Option<&'a str>,
    times: Vec<f64>,
    z: f64,
    conf_level: f64,
    coef: &'a [f64],
    means: &'a [f64],
    var: &'a [Vec<f64>],
    covariates: Vec<PageCovariate>,
    strata: Option<PageStrata>,
    /// Training ranges of numeric covariates, in summary order (`score`'s range warnings).
    ranges: Vec<PageRange>,
    baseline: Vec<PageBaseline<'a>>,
    nomogram: Option<PageNomogram>,
    risk_groups: Option<&'a crate::model::card::RiskGroupCard>,
}

#[derive(Serialize)]
struct PageCovariate {
    name: String,
    label: String,
    /// "numeric" or "categorical".
    kind: &'static str,
    /// "radio", "select" or "number".
    widget: &'static str,
    /// Categorical: the levels in model order, and the reference.
    levels: Vec<String>,
    reference: Option<String>,
    /// The choices offered (radio/select), as `score --set` values, with labels.
    options: Vec<PageOption>,
    /// Numeric: training range and slider step.
    min: Option<f64>,
    max: Option<f64>,
    step: Option<f64>,
    default: String,
    /// Nomogram: the coefficient (numeric) or one coefficient per level (categorical, 0 for the
    /// reference), x·β at the fewest points, and the most points a tick gets.
    beta: f64,
    betas: Vec<f64>,
}

#[derive(Serialize)]
struct PageOption {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct PageStrata {
    column: String,
    label: String,
    levels: Vec<String>,
    options: Vec<PageOption>,
}

#[derive(Serialize)]
struct PageRange {
    name: String,
    min: f64,
    max: f64,
}

#[derive(Serialize)]
struct PageBaseline<'a> {
    time: &'a [f64],
    cumhaz: &'a [f64],
    cumvar: &'a [f64],
    cumxbar: &'a [Vec<f64>],
}

#[derive(Serialize)]
struct PageNomogram {
    scale: f64,
    max_points: f64,
    /// Per covariate, model order.
    min_contribution: Vec<f64>,
    /// Per covariate: the most points a tick of its axis gets (bar lengths).
    top_points: Vec<f64>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn value_labels(card: Option<&ModelCard>, name: &str) -> Vec<(String, String)> {
    card.and_then(|c| c.value_labels.get(name))
        .map(|v| {
            v.iter()
                .map(|l| (l.value.clone(), l.label.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn label_of(card: Option<&ModelCard>, name: &str) -> String {
    card.and_then(|c| c.labels.get(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// The option label of `value`: its value label when the card has one.
fn option_label(labels: &[(String, String)], value: &str) -> String {
    let num = crate::model::spec::parse_number(value);
    labels
        .iter()
        .find(|(v, _)| v == value || (num.is_some() && crate::model::spec::parse_number(v) == num))
        .map_or_else(|| value.to_string(), |(_, l)| l.clone())
}

/// A slider step: 1 for whole-number data, else a 1-2-5 step giving about 100 positions.
fn slider_step(min: f64, max: f64, quantiles: &[f64]) -> f64 {
    let whole = [min, max].iter().chain(quantiles).all(|v| v.fract() == 0.0);
    let range = max - min;
    if whole && range >= 20.0 {
        return 1.0;
    }
    if range.is_nan() || range <= 0.0 {
        return 1.0;
    }
    let raw = range / 100.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    if whole {
        step.max(1.0)
    } else {
        step
    }
}

/// Rounds `v` to a multiple of `step` and writes it as `score` would read it back.
fn on_step(v: f64, step: f64) -> String {
    let r = (v / step).round() * step;
    // at most as many decimals as the step has
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{r:.decimals$}");
    let parsed = crate::model::spec::parse_number(&text).unwrap_or(r);
    crate::model::spec::format_number(parsed)
}

/// The inputs of the page, one per covariate of `covariates` (model order), with the coefficients
/// `coef` (in term order) the nomogram points need.
fn page_covariates(
    covariates_spec: &[crate::model::spec::CovariateSpec],
    summaries: &[CovariateSummary],
    card: Option<&ModelCard>,
    coef: &[f64],
) -> Result<Vec<PageCovariate>, CalculatorError> {
    let mut covariates = Vec::new();
    let mut term = 0;
    for cs in covariates_spec {
        let summary = summaries.iter().find(|s| match s {
            CovariateSummary::Numeric { name, .. } | CovariateSummary::Categorical { name, .. } => {
                *name == cs.name
            }
        });
        let labels = value_labels(card, &cs.name);
        let coef_at = |j: usize| {
            coef.get(j)
                .copied()
                .ok_or_else(|| CalculatorError::Inconsistent("too few coefficients".into()))
        };
        let c = match &cs.kind {
            CovariateKind::Numeric => {
                let beta = coef_at(term)?;
                term += 1;
                let (min, max, values, quantiles) = match summary {
                    Some(CovariateSummary::Numeric {
                        min,
                        max,
                        values,
                        quantiles,
                        ..
                    }) => (
                        Some(*min),
                        Some(*max),
                        values.clone(),
                        quantiles.iter().map(|q| q.value).collect::<Vec<_>>(),
                    ),
                    _ => (None, None, None, Vec::new()),
                };
                // few distinct values (0/1 factors, grades): a choice of those values
                let choice =
                    values.filter(|v| v.len() <= 8 && (v.len() <= 3 || !labels.is_empty()));
                match choice {
                    Some(vals) => {
                        let options: Vec<PageOption> = vals
                            .iter()
                            .map(|v| {
                                let value = crate::model::spec::format_number(*v);
                                PageOption {
                                    label: option_label(&labels, &value),
                                    value,
                                }
                            })
                            .collect();
                        PageCovariate {
                            name: cs.name.clone(),
                            label: label_of(card, &cs.name),
                            kind: "numeric",
                            widget: "radio",
                            levels: Vec::new(),
                            reference: None,
                            default: options[0].value.clone(),
                            options,
                            min,
                            max,
                            step: None,
                            beta,
                            betas: Vec::new(),
                        }
                    }
                    None => {
                        let (lo, hi) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
                        let step = slider_step(lo, hi, &quantiles);
                        let median = quantiles.get(5).copied().unwrap_or((lo + hi) / 2.0);
                        PageCovariate {
                            name: cs.name.clone(),
                            label: label_of(card, &cs.name),
                            kind: "numeric",
                            widget: "number",
                            levels: Vec::new(),
                            reference: None,
                            options: Vec::new(),
                            min,
                            max,
                            step: Some(step),
                            default: on_step(median, step),
                            beta,
                            betas: Vec::new(),
                        }
                    }
                }
            }
            CovariateKind::Categorical { levels, reference } => {
                let mut betas = Vec::new();
                for l in levels {
                    if l == reference {
                        betas.push(0.0);
                    } else {
                        betas.push(coef_at(term)?);
                        term += 1;
                    }
                }
                PageCovariate {
                    name: cs.name.clone(),
                    label: label_of(card, &cs.name),
                    kind: "categorical",
                    widget: if levels.len() <= 8 { "radio" } else { "select" },
                    options: levels
                        .iter()
                        .map(|l| PageOption {
                            value: l.clone(),
                            label: option_label(&labels, l),
                        })
                        .collect(),
                    levels: levels.clone(),
                    reference: Some(reference.clone()),
                    min: None,
                    max: None,
                    step: None,
                    default: reference.clone(),
                    beta: 0.0,
                    betas,
                }
            }
        };
        covariates.push(c);
    }
    if term != coef.len() {
        return Err(CalculatorError::Inconsistent(
            "the specification's terms and the coefficients differ in number".into(),
        ));
    }
    Ok(covariates)
}

/// Training ranges of the numeric covariates, in summary order.
fn page_ranges(summaries: &[CovariateSummary]) -> Vec<PageRange> {
    summaries
        .iter()
        .filter_map(|s| match s {
            CovariateSummary::Numeric { name, min, max, .. } => Some(PageRange {
                name: name.clone(),
                min: *min,
                max: *max,
            }),
            _ => None,
        })
        .collect()
}

/// What the page needs of a nomogram to give each factor's points.
fn page_nomogram(n: &Nomogram) -> PageNomogram {
    PageNomogram {
        scale: n.scale,
        max_points: n.max_points,
        min_contribution: n.variables.iter().map(|v| v.min_contribution()).collect(),
        top_points: n
            .variables
            .iter()
            .map(|v| v.axis.iter().map(|t| t.points).fold(0.0, f64::max))
            .collect(),
    }
}

fn page_data<'a>(
    model: &'a ModelFile,
    times: Vec<f64>,
    title: String,
) -> Result<PageData<'a>, CalculatorError> {
    let card = model.card.as_ref();
    let fit = &model.fit;
    let nom = Nomogram::from_model(model, &NomogramOptions::default()).ok();
    let covariates = page_covariates(&model.spec.covariates, &model.covariates, card, &fit.coef)?;
    let strata = model.spec.strata.as_ref().map(|s| {
        let labels = value_labels(card, &s.column);
        PageStrata {
            column: s.column.clone(),
            label: label_of(card, &s.column),
            levels: s.levels.clone(),
            options: s
                .levels
                .iter()
                .map(|l| PageOption {
                    value: l.clone(),
                    label: option_label(&labels, l),
                })
                .collect(),
        }
    });
    let ranges = page_ranges(&model.covariates);
    let nomogram = nom.as_ref().map(page_nomogram);
    Ok(PageData {
        version: env!("CARGO_PKG_VERSION"),
        model_version: &model.prognosis_version,
        checksum: &model.checksum,
        title,
        time_unit: model.spec.time_unit.as_deref(),
        times,
        z: crate::stats::dist::z_for_level(fit.conf_level),
        conf_level: fit.conf_level,
        coef: &fit.coef,
        means: &fit.means,
        var: &fit.var,
        covariates,
        strata,
        ranges,
        baseline: fit
            .baseline
            .iter()
            .map(|b| PageBaseline {
                time: &b.time,
                cumhaz: &b.cumhaz,
                cumvar: &b.cumvar,
                cumxbar: &b.cumxbar,
            })
            .collect(),
        nomogram,
        risk_groups: card.and_then(|c| c.risk_groups.as_ref()),
    })
}

fn fmt3(v: f64) -> String {
    format!("{v:.3}")
}

/// The model card section (static HTML).
fn card_html(model: &ModelFile, times: &[f64]) -> String {
    let card = model.card.as_ref();
    let unit = model.spec.time_unit.as_deref().unwrap_or("time units");
    let t = &model.training;
    let num = crate::model::spec::format_number;
    let mut h = String::new();
    h.push_str("<section id=\"card\" aria-labelledby=\"card-h\">\n<h2 id=\"card-h\">About this model</h2>\n");
    if let Some(d) = card.and_then(|c| c.description.as_deref()) {
        let _ = writeln!(h, "<p>{}</p>", esc(d.trim()));
    }
    h.push_str("<dl>\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    };
    let covs: Vec<String> = model
        .spec
        .covariates
        .iter()
        .map(|c| esc(&label_of(card, &c.name)))
        .collect();
    let mut what = format!(
        "Cox proportional-hazards model ({} ties); outcome column {}, time in {}; factors: {}",
        model.fit.ties,
        esc(&model.spec.event),
        esc(unit),
        covs.join(", ")
    );
    if let Some(s) = &model.spec.strata {
        let _ = write!(
            what,
            "; baseline hazard stratified by {}",
            esc(&label_of(card, &s.column))
        );
    }
    what.push('.');
    row("Model", what);
    let mut cohort = format!(
        "{} patients, {} events; follow-up {} to {} {}",
        model.fit.n,
        model.fit.events,
        num(t.follow_up.min),
        num(t.follow_up.max),
        esc(unit)
    );
    match t.follow_up.median_reverse_km {
        Some(m) => {
            let iqr = match (t.follow_up.q25_reverse_km, t.follow_up.q75_reverse_km) {
                (Some(a), Some(b)) => format!(
                    ", IQR {},",
                    crate::report::format::fmt_range(&num(a), &num(b))
                ),
                _ => String::new(),
            };
            let _ = write!(
                cohort,
                " (median {} {}{iqr} by reverse Kaplan–Meier)",
                num(m),
                esc(unit)
            );
        }
        None => cohort.push_str(" (median follow-up not reached)"),
    }
    if let Some(p) = card.and_then(|c| c.period.as_deref()) {
        let _ = write!(cohort, "; {}", esc(p));
    }
    let _ = write!(
        cohort,
        "; data file {} (SHA-256 <code>{}</code>).",
        esc(&t.file),
        esc(&t.sha256)
    );
    row("Development cohort", cohort);
    let validation = card.map(|c| c.validation.as_slice()).unwrap_or(&[]);
    if validation.is_empty() {
        row(
            "Discrimination and calibration",
            "not recorded in the model file (run <code>prognosis validate</code> or \
             <code>prognosis study</code>)."
                .into(),
        );
    } else {
        let disc: Vec<String> = validation
            .iter()
            .map(|v| {
                let mut s = format!(
                    "{} set (n = {}, {} events): Harrell's C {} (95% CI {} to {})",
                    esc(&v.set),
                    v.n,
                    v.events,
                    fmt3(v.harrell_c),
                    fmt3(v.harrell_c_lower),
                    fmt3(v.harrell_c_upper)
                );
                if let Some(c) = v.corrected_c {
                    let _ = write!(s, ", optimism-corrected {}", fmt3(c));
                }
                if let Some(u) = v.uno_c {
                    let _ = write!(s, "; Uno's C {}", fmt3(u));
                }
                if let Some(m) = v.follow_up.and_then(|f| f.median.map(|m| (m, f))) {
                    let q = |x: Option<f64>| x.map_or("NR".to_string(), num);
                    let _ = write!(
                        s,
                        "; median follow-up {} {} (IQR {}, reverse Kaplan–Meier)",
                        num(m.0),
                        esc(unit),
                        crate::report::format::fmt_range(&q(m.1.q25), &q(m.1.q75))
                    );
                }
                s
            })
            .collect();
        row("Discrimination", disc.join("<br>"));
        let cal: Vec<String> = validation
            .iter()
            .filter(|v| !v.horizons.is_empty())
            .map(|v| {
                let hs: Vec<String> = v
                    .horizons
                    .iter()
                    .map(|hz| {
                        let mut s = format!(
                            "at {} {}: slope {}, observed/expected {}",
                            num(hz.time),
                            esc(unit),
                            fmt3(hz.calibration_slope),
                            fmt3(hz.observed_expected)
                        );
                        if let Some(i) = hz.ici {
                            let _ = write!(s, ", ICI {:.4}", i);
                        }
                        if let Some(a) = hz.auc {
                            let _ = write!(s, ", AUC {}", fmt3(a));
                        }
                        s
                    })
                    .collect();
                format!("{} set: {}", esc(&v.set), hs.join("; "))
            })
            .collect();
        if !cal.is_empty() {
            row("Calibration", cal.join("<br>"));
        }
    }
    if let Some(rg) = card.and_then(|c| c.risk_groups.as_ref()) {
        let on = match rg.on {
            crate::model::card::RiskScale::Points => "total points",
            crate::model::card::RiskScale::Lp => "linear predictor",
        };
        row(
            "Risk groups",
            format!(
                "{} by {on}, cut at {}.",
                rg.labels
                    .iter()
                    .map(|l| esc(l))
                    .collect::<Vec<_>>()
                    .join(", "),
                rg.cutoffs
                    .iter()
                    .map(|c| format!("{c:.4}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    card_end(
        &mut h,
        &model.prognosis_version,
        &model.checksum,
        times,
        unit,
    );
    h
}

/// The horizons of a page: `--times`, else 1, 3 and 5 years in the model's time unit.
fn page_horizons(
    time_unit: Option<&str>,
    opts: &CalculatorOptions,
) -> Result<Vec<f64>, CalculatorError> {
    let times = if opts.times.is_empty() {
        default_horizons(time_unit).ok_or(CalculatorError::NoHorizons)?
    } else {
        opts.times.clone()
    };
    if let Some(&t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
        return Err(CalculatorError::BadHorizon(t));
    }
    Ok(times)
}

/// The page's data as the text of its JSON script element: '<' appears only inside JSON strings,
/// where \u003c is the same character, so the element cannot be closed early.
fn page_json<T: Serialize>(data: &T) -> Result<String, CalculatorError> {
    Ok(serde_json::to_string(data)
        .map_err(|e| CalculatorError::Inconsistent(e.to_string()))?
        .replace('<', "\\u003c"))
}

/// The document up to `<body>`: offline-only content policy, no referrer, the style sheet.
fn page_head(title: &str, capacity: usize) -> String {
    let mut h = String::with_capacity(capacity);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; \
         form-action 'none'; base-uri 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"prognosis {}\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        PAGE_CSS
    );
    h
}

/// The page's header (title, `updates` "as you type"), the form of the patient's values and the
/// opening of the results, up to the output that each kind of page fills.
fn page_top(h: &mut String, title_html: &str, updates: &str) {
    let _ = write!(
        h,
        "<header class=\"top\">\n<h1>{title_html}</h1>\n<p class=\"sub\">Prognosis calculator: \
         enter the patient's values; {updates} as you type.</p>\n</header>\n\
         <noscript><p class=\"msg\">This calculator needs JavaScript.</p></noscript>\n\
         <main class=\"layout\">\n\
         <form id=\"inputs\" aria-labelledby=\"inputs-h\" autocomplete=\"off\" \
         onsubmit=\"return false\">\n<h2 id=\"inputs-h\">Patient</h2>\n\
         <div id=\"fields\"></div>\n\
         <p class=\"small\"><button type=\"button\" id=\"reset\">Reset to defaults</button></p>\n\
         </form>\n\
         <section id=\"results\" aria-labelledby=\"results-h\">\n\
         <h2 id=\"results-h\">Prediction</h2>\n\
         <div id=\"message\" class=\"msg\" role=\"alert\" hidden></div>\n\
         <ul id=\"warnings\" class=\"warnings\" aria-live=\"polite\" hidden></ul>\n\
         <div id=\"output\" aria-live=\"polite\">\n"
    );
}

/// The end of the page after `</main>`: the model card, the data and the script.
fn page_tail(h: &mut String, card: &str, json: &str) {
    h.push_str(card);
    h.push_str("<script type=\"application/json\" id=\"model-data\">");
    h.push_str(json);
    h.push_str("</script>\n<script>\n");
    h.push_str(PAGE_JS);
    h.push_str("</script>\n</body>\n</html>\n");
}

/// The model card's last row (the software, the model file's checksum, the horizons) and the
/// clinicians' note, closing the card.
fn card_end(h: &mut String, model_version: &str, checksum: &str, times: &[f64], unit: &str) {
    let _ = writeln!(
        h,
        "<dt>Software</dt><dd>prognosis {} (this page), model file written by prognosis {}; \
         model SHA-256 <code>{}</code>. Horizons: {} {}. Every number equals <code>prognosis \
         score --json</code> for this model file.</dd>",
        env!("CARGO_PKG_VERSION"),
        esc(model_version),
        esc(checksum),
        times
            .iter()
            .map(|v| crate::model::spec::format_number(*v))
            .collect::<Vec<_>>()
            .join(", "),
        esc(unit)
    );
    h.push_str("</dl>\n");
    h.push_str(
        "<p class=\"disclaimer\"><strong>For clinicians.</strong> This calculator supports and \
         does not replace clinical judgement. Its estimates describe patients like those of the \
         development cohort, treated as they were; outside that population, and for values \
         outside the training range, they extrapolate. The page works offline, sends nothing \
         anywhere and keeps the values you enter only in its address (after #).</p>\n",
    );
    h.push_str("</section>\n");
}

/// The calculator page of `model`: one HTML document with everything inline.
pub fn calculator_html(
    model: &ModelFile,
    opts: &CalculatorOptions,
) -> Result<String, CalculatorError> {
    let times = page_horizons(model.spec.time_unit.as_deref(), opts)?;
    if model.fit.baseline.is_empty() {
        return Err(CalculatorError::Inconsistent("no baseline hazard".into()));
    }
    let card = model.card.as_ref();
    let title = opts
        .title
        .clone()
        .or_else(|| card.and_then(|c| c.title.clone()))
        .unwrap_or_else(|| "Survival calculator".to_string());
    let card_section = card_html(model, &times);
    let data = page_data(model, times, title.clone())?;
    let json = page_json(&data)?;
    let mut h = page_head(&title, json.len() + 32_000);
    page_top(&mut h, &esc(&title), "the predictions update");
    h.push_str(
        "<p class=\"small\" id=\"survival-cap\">Predicted survival with 95% confidence \
         interval</p>\n\
         <table id=\"survival\" class=\"surv\" aria-describedby=\"survival-cap\">\
         <tbody></tbody></table>\n\
         <p id=\"median\"></p>\n<p id=\"risk\" hidden></p>\n\
         <figure id=\"curve\"><figcaption>Predicted survival curve with its 95% confidence \
         band; dashed lines mark the horizons.</figcaption></figure>\n\
         <div id=\"points\"></div>\n</div>\n</section>\n</main>\n",
    );
    page_tail(&mut h, &card_section, &json);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_steps() {
        assert_eq!(slider_step(18.0, 90.0, &[50.0]), 1.0);
        assert_eq!(slider_step(0.0, 1.0, &[0.5]), 0.01);
        assert_eq!(slider_step(0.0, 3.7, &[1.2]), 0.05);
        assert_eq!(on_step(56.5, 1.0), "57");
        assert_eq!(on_step(0.123, 0.05), "0.1");
    }
}
