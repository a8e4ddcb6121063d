//! Competing-risks results for people and programs: the `--json` object and the text tables of
//! `prognosis cuminc` (cumulative incidence of each cause, by group, with Gray's test).

use super::format::{fmt_p, fmt_range, fmt_sig, table};
use crate::model::spec::format_number;
use crate::model::spec::RowCounts;
use crate::stats::competing::{CifCurve, FineGray, GrayTest};
use serde::Serialize;
use std::fmt::Write;

/// The cumulative incidence of one cause at one time.
#[derive(Debug, Clone, Serialize)]
pub struct CifAtJson {
    pub time: f64,
    pub cif: f64,
    /// cmprsk's variance.
    pub var: f64,
    pub lower: f64,
    pub upper: f64,
    pub n_risk: usize,
}

/// One cause's cumulative incidence at the requested times (`null` where a time lies after the
/// last follow-up, as `cmprsk::timepoints` gives NA).
#[derive(Debug, Clone, Serialize)]
pub struct CauseJson {
    /// The event column's value.
    pub cause: String,
    /// The cause's name (`--name`; the value when not named).
    pub name: String,
    pub events: usize,
    pub at: Vec<Option<CifAtJson>>,
}

/// One group of `--by`.
#[derive(Debug, Clone, Serialize)]
pub struct CifGroupJson {
    pub group: String,
    pub n: usize,
    pub causes: Vec<CauseJson>,
}

/// Gray's test of one cause.
#[derive(Debug, Clone, Serialize)]
pub struct GrayJson {
    pub cause: String,
    /// `null` when the test's variance is singular (cmprsk prints -1).
    pub stat: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
}

/// The `--json` object of `prognosis cuminc`.
#[derive(Debug, Clone, Serialize)]
pub struct CumincJson {
    pub n: usize,
    pub censored: usize,
    /// Transform of the pointwise limits: "log-log" or "plain".
    pub conf_type: &'static str,
    pub level: f64,
    pub times: Vec<f64>,
    pub causes: Vec<CauseJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<CifGroupJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gray: Vec<GrayJson>,
}

/// The causes of one set of curves (one group, or all subjects) at `times`; `curves` holds the
/// curves of that set, `events[k]` the events of cause k + 1 in it.
pub fn causes_json(
    cause_labels: &[String],
    cause_names: &[String],
    curves: &[&CifCurve],
    events: &[usize],
    times: &[f64],
) -> Vec<CauseJson> {
    cause_labels
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let curve = curves.iter().find(|c| c.cause == k as u32 + 1);
            CauseJson {
                cause: label.clone(),
                name: cause_names[k].clone(),
                events: events[k],
                at: times
                    .iter()
                    .map(|&t| {
                        curve.and_then(|c| c.at(t)).map(|p| CifAtJson {
                            time: p.time,
                            cif: p.estimate,
                            var: p.variance,
                            lower: p.lower,
                            upper: p.upper,
                            n_risk: p.n_risk,
                        })
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Gray's tests with the causes' labels.
pub fn gray_json(cause_labels: &[String], tests: &[GrayTest]) -> Vec<GrayJson> {
    tests
        .iter()
        .map(|t| GrayJson {
            cause: cause_labels[t.cause as usize - 1].clone(),
            stat: t.statistic,
            df: t.df,
            p: t.p_value,
        })
        .collect()
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn cause_title(c: &CauseJson) -> String {
    if c.name == c.cause {
        format!("Cause {}", c.cause)
    } else {
        format!("Cause {} ({})", c.cause, c.name)
    }
}

fn cause_table(s: &mut String, title: &str, c: &CauseJson) {
    let _ = writeln!(s, "\n{title}  ({} events)", c.events);
    let rows: Vec<Vec<String>> =
        c.at.iter()
            .filter_map(|p| p.as_ref())
            .map(|p| {
                vec![
                    format_number(p.time),
                    p.n_risk.to_string(),
                    pct(p.cif),
                    format!("{:.4}", p.var.max(0.0).sqrt()),
                    fmt_range(&pct(p.lower), &pct(p.upper)),
                ]
            })
            .collect();
    s.push_str(&table(
        &["time", "at risk", "incidence", "se", "95% CI"],
        &rows,
    ));
}

/// The text summary of `prognosis cuminc`.
pub fn cuminc_summary(j: &CumincJson, data_label: &str, counts: &RowCounts) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Cumulative incidence (Aalen-Johansen; cmprsk's variance; {} {}% limits)  (data: {data_label})",
        j.conf_type,
        format_number(100.0 * j.level)
    );
    let _ = writeln!(s, "  {}", super::text::counts_line(counts));
    let _ = writeln!(
        s,
        "  {} censored; {}",
        j.censored,
        j.causes
            .iter()
            .map(|c| format!("{} events of cause {}", c.events, c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for c in &j.causes {
        cause_table(&mut s, &format!("{}, all subjects", cause_title(c)), c);
    }
    for g in &j.groups {
        for c in &g.causes {
            cause_table(
                &mut s,
                &format!("{}, {} (n = {})", cause_title(c), g.group, g.n),
                c,
            );
        }
    }
    if !j.gray.is_empty() {
        let _ = writeln!(
            s,
            "\nGray's test between the groups of {}:",
            j.by.as_deref().unwrap_or("the groups")
        );
        let rows: Vec<Vec<String>> = j
            .gray
            .iter()
            .map(|g| {
                vec![
                    g.cause.clone(),
                    g.stat.map_or("singular".into(), |x| fmt_sig(x, 6)),
                    g.df.to_string(),
                    g.p.map_or(String::new(), fmt_p),
                ]
            })
            .collect();
        s.push_str(&table(&["cause", "statistic", "df", "p"], &rows));
    }
    s
}

/// One row of a Fine-Gray coefficient table (`hr` is the subdistribution hazard ratio).
#[derive(Debug, Clone, Serialize)]
pub struct FineGrayCoefJson {
    pub term: String,
    pub coef: f64,
    pub se: f64,
    pub hr: f64,
    pub hr_lower: f64,
    pub hr_upper: f64,
    pub z: f64,
    pub p: f64,
}

/// Events of one cause.
#[derive(Debug, Clone, Serialize)]
pub struct CauseEvents {
    pub cause: String,
    pub events: usize,
}

/// The `--json` object of `prognosis fit --model fine-gray`.
#[derive(Debug, Clone, Serialize)]
pub struct FineGrayJson<'a> {
    pub model: &'static str,
    /// The event of interest (the event column's value).
    pub cause: String,
    pub n: usize,
    pub censored: usize,
    pub events: Vec<CauseEvents>,
    pub rows: &'a RowCounts,
    pub iterations: usize,
    pub converged: bool,
    /// Log pseudo-likelihood at 0 and at the estimate.
    pub loglik: [f64; 2],
    pub coefficients: Vec<FineGrayCoefJson>,
}

impl<'a> FineGrayJson<'a> {
    pub fn new(fit: &FineGray, causes: &[String], events: &[usize], rows: &'a RowCounts) -> Self {
        FineGrayJson {
            model: "fine-gray",
            cause: causes[0].clone(),
            n: fit.n,
            censored: fit.n_censored,
            events: causes
                .iter()
                .zip(events)
                .map(|(c, &e)| CauseEvents {
                    cause: c.clone(),
                    events: e,
                })
                .collect(),
            rows,
            iterations: fit.iterations,
            converged: fit.converged,
            loglik: [fit.loglik_null, fit.loglik],
            coefficients: fit
                .coefficients()
                .into_iter()
                .map(|c| FineGrayCoefJson {
                    term: c.name,
                    coef: c.coef,
                    se: c.se,
                    hr: c.shr,
                    hr_lower: c.lower,
                    hr_upper: c.upper,
                    z: c.z,
                    p: c.p,
                })
                .collect(),
        }
    }
}

/// The text summary of a Fine-Gray fit.
pub fn fine_gray_summary(j: &FineGrayJson, names: &[String], data_label: &str) -> String {
    let mut s = String::new();
    let competing: Vec<&str> = names[1..].iter().map(String::as_str).collect();
    let _ = writeln!(
        s,
        "Fine-Gray subdistribution hazard model (as cmprsk::crr)\nEvent of interest: {}; competing: {}",
        names[0],
        if competing.is_empty() {
            "none".to_string()
        } else {
            competing.join(", ")
        }
    );
    let _ = writeln!(s, "Data: {data_label}");
    let _ = writeln!(s, "  {}", super::text::counts_line(j.rows));
    let _ = writeln!(
        s,
        "  n = {}, {}, censored {}",
        j.n,
        j.events
            .iter()
            .zip(names)
            .map(|(e, name)| format!("events of {name} {}", e.events))
            .collect::<Vec<_>>()
            .join(", "),
        j.censored
    );
    s.push('\n');
    let rows: Vec<Vec<String>> = j
        .coefficients
        .iter()
        .map(|c| {
            super::text::coefficient_cells(
                &c.term,
                [c.coef, c.hr, c.se, c.z, c.p, c.hr_lower, c.hr_upper],
            )
        })
        .collect();
    s.push_str(&table(
        &["term", "coef", "sHR", "se(coef)", "z", "p", "sHR 95% CI"],
        &rows,
    ));
    let _ = writeln!(
        s,
        "\nPseudo log-likelihood: {} at 0, {} at the estimate; {} after {} iterations",
        fmt_sig(j.loglik[0], 8),
        fmt_sig(j.loglik[1], 8),
        if j.converged {
            "converged"
        } else {
            "NOT converged"
        },
        j.iterations
    );
    s.push_str("sHR: subdistribution hazard ratio; se from the sandwich variance (cmprsk).\n");
    s
}

/// A cumulative-incidence prediction for one input row of `predict` with a competing-risks
/// model, or why it could not be made.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidenceRow {
    /// The row's file line.
    pub row: u64,
    pub id: Option<String>,
    pub prediction: Option<crate::model::competing::CompetingPrediction>,
    pub problem: Option<String>,
}

/// Predicted cumulative incidence as CSV: per time `cif_T`, `cif_se_T`, `cif_lower_T`,
/// `cif_upper_T` (empty where a limit is not available), full precision.
pub fn incidence_csv(rows: &[IncidenceRow], times: &[f64]) -> String {
    let with_id = rows.iter().any(|r| r.id.is_some());
    let mut s = String::from(if with_id { "row,id,lp" } else { "row,lp" });
    for &t in times {
        let l = format_number(t);
        let _ = write!(s, ",cif_{l},cif_se_{l},cif_lower_{l},cif_upper_{l}");
    }
    s.push_str(",problem\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in rows {
        let _ = write!(s, "{}", r.row);
        if with_id {
            let id = r.id.as_deref().unwrap_or("");
            if id.contains([',', '"', '\n', '\r']) {
                let _ = write!(s, ",\"{}\"", id.replace('"', "\"\""));
            } else {
                let _ = write!(s, ",{id}");
            }
        }
        match &r.prediction {
            Some(p) => {
                let _ = write!(s, ",{}", p.lp);
                for q in &p.incidence {
                    let _ = write!(
                        s,
                        ",{},{},{},{}",
                        q.cif,
                        opt(q.se),
                        opt(q.lower),
                        opt(q.upper)
                    );
                }
                s.push(',');
            }
            None => {
                s.push(',');
                s.push_str(&",".repeat(4 * times.len()));
                let problem = r.problem.as_deref().unwrap_or("");
                let _ = write!(s, ",\"{}\"", problem.replace('"', "\"\""));
            }
        }
        s.push('\n');
    }
    s
}

#[derive(Serialize)]
struct IncidenceRowJson<'a> {
    row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    lp: Option<f64>,
    incidence: Option<&'a [crate::model::competing::IncidencePoint]>,
    problem: Option<&'a str>,
}

/// Predicted cumulative incidence as a JSON array, one object per input row: `row`, `lp`,
/// `incidence` (per time `time`, `cif`, `se`, `lower`, `upper`) and `problem`.
pub fn incidence_json(rows: &[IncidenceRow]) -> String {
    let out: Vec<IncidenceRowJson> = rows
        .iter()
        .map(|r| IncidenceRowJson {
            row: r.row,
            id: r.id.as_deref(),
            lp: r.prediction.as_ref().map(|p| p.lp),
            incidence: r.prediction.as_ref().map(|p| p.incidence.as_slice()),
            problem: r.problem.as_deref(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&out).expect("serialises");
    s.push('\n');
    s
}

/// The clinician's block of `prognosis score` with a competing-risks model: the cumulative
/// incidence of the cause of interest at each time with its interval.
pub fn incidence_block(
    model: &crate::model::competing::CompetingModelFile,
    patient: &[(String, String)],
    pred: &crate::model::competing::CompetingPrediction,
    warnings: &[String],
) -> String {
    use crate::model::competing::CompetingKind;
    let unit = model.spec.time_unit.as_deref().unwrap_or("");
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    let mut s = String::new();
    let desc: Vec<String> = patient.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let _ = writeln!(s, "Patient: {}", desc.join(", "));
    let o = &model.outcome;
    let _ = writeln!(
        s,
        "Cumulative incidence of {} = {} (competing: {}), {}",
        model.spec.event,
        o.cause,
        if o.competing.is_empty() {
            "none".to_string()
        } else {
            o.competing.join(", ")
        },
        match model.model {
            CompetingKind::FineGray => "Fine-Gray model (as cmprsk::predict.crr)",
            CompetingKind::CauseSpecific =>
                "cause-specific Cox models (absolute risk as riskRegression::CSC)",
        }
    );
    let _ = writeln!(
        s,
        "Linear predictor x'b of the {}: {}",
        match model.model {
            CompetingKind::FineGray => "subdistribution hazard",
            CompetingKind::CauseSpecific => "cause-specific hazard of the cause",
        },
        fmt_sig(pred.lp, 4)
    );
    s.push('\n');
    let rows: Vec<Vec<String>> = pred
        .incidence
        .iter()
        .map(|q| {
            vec![
                format!("{} {unit}", format_number(q.time))
                    .trim()
                    .to_string(),
                pct(q.cif),
                match (q.lower, q.upper) {
                    (Some(l), Some(u)) => fmt_range(&pct(l), &pct(u)),
                    _ => "-".to_string(),
                },
            ]
        })
        .collect();
    s.push_str(&table(
        &["cumulative incidence at", "estimate", "95% CI"],
        &rows,
    ));
    s.push('\n');
    if pred.incidence.iter().any(|q| q.se.is_none()) {
        let _ = writeln!(
            s,
            "\nThe interval of a cause-specific model's absolute risk needs the training data: pass it with --train FILE."
        );
    }
    for w in warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// The text summary of `validate` with a competing-risks model: per horizon AUC (se), Brier
/// score, null-model Brier score, IPA and truncated C; the grouped calibration; the bootstrap.
pub fn competing_validation_summary(
    rep: &crate::model::validation_competing::CompetingValidationReport,
    cause: &str,
    data_label: &str,
    unit: Option<&str>,
) -> String {
    use crate::report::format::{fmt_est_ci, horizon_label};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Validation of the cumulative incidence of {cause}  (data: {data_label})"
    );
    let _ = writeln!(
        s,
        "  {} patients: {} events of {cause}, {} competing events, {} censored",
        rep.n, rep.events, rep.competing, rep.censored
    );
    if let Some(sl) = &rep.slope {
        let _ = writeln!(
            s,
            "  Calibration slope {:.4} (95% CI {:.4} to {:.4}; 1 = ideal){}",
            sl.slope,
            sl.lower,
            sl.upper,
            if sl.converged {
                ""
            } else {
                " (crr did not converge)"
            }
        );
    }
    let rows: Vec<Vec<String>> = rep
        .horizons
        .iter()
        .map(|h| {
            let (lo, hi) = h.auc_limits();
            vec![
                horizon_label(h.time, unit),
                fmt_est_ci(h.auc, lo, hi, 3),
                fmt_sig(h.brier, 3),
                fmt_sig(h.null_brier, 3),
                fmt_sig(h.ipa, 3),
                fmt_sig(h.cindex, 3),
                h.calibration
                    .observed_expected
                    .map_or("NA".into(), |v| format!("{v:.3}")),
            ]
        })
        .collect();
    s.push('\n');
    s.push_str(&table(
        &[
            "horizon",
            "AUC (95% CI)",
            "Brier",
            "null Brier",
            "IPA",
            "truncated C",
            "O/E",
        ],
        &rows,
    ));
    for h in &rep.horizons {
        let _ = writeln!(
            s,
            "\nCalibration at {} (Aalen-Johansen cumulative incidence per group of predicted)",
            horizon_label(h.time, unit)
        );
        let rows: Vec<Vec<String>> = h
            .calibration
            .groups
            .iter()
            .map(|g| {
                let observed = match (g.observed, g.lower, g.upper) {
                    (Some(o), Some(l), Some(u)) => fmt_est_ci(o, l, u, 3),
                    _ => "beyond follow-up".into(),
                };
                vec![g.n.to_string(), fmt_sig(g.predicted, 3), observed]
            })
            .collect();
        s.push_str(&table(&["n", "predicted", "observed (95% CI)"], &rows));
    }
    if let Some(b) = &rep.bootstrap {
        let _ = writeln!(
            s,
            "\nBootstrap optimism correction ({} resamples, {} failed, seed {})",
            b.resamples, b.failed, b.seed
        );
        let rows: Vec<Vec<String>> = b
            .horizons
            .iter()
            .flat_map(|h| {
                let when = horizon_label(h.time, unit);
                [
                    ("AUC", h.apparent.auc, h.optimism.auc, h.corrected.auc),
                    (
                        "Brier",
                        h.apparent.brier,
                        h.optimism.brier,
                        h.corrected.brier,
                    ),
                    ("IPA", h.apparent.ipa, h.optimism.ipa, h.corrected.ipa),
                    (
                        "truncated C",
                        h.apparent.cindex,
                        h.optimism.cindex,
                        h.corrected.cindex,
                    ),
                ]
                .into_iter()
                .map(move |(name, a, o, c)| {
                    vec![
                        when.clone(),
                        name.to_string(),
                        fmt_sig(a, 3),
                        fmt_sig(o, 3),
                        fmt_sig(c, 3),
                    ]
                })
            })
            .collect();
        s.push_str(&table(
            &["horizon", "measure", "apparent", "optimism", "corrected"],
            &rows,
        ));
        let _ = writeln!(
            s,
            "Calibration slope: apparent {:.4}, optimism {:.4}, corrected {:.4}",
            b.slope.apparent, b.slope.optimism, b.slope.corrected
        );
        for curve in &b.calibration {
            let _ = writeln!(
                s,
                "\nOptimism-corrected calibration at {} (cumulative incidence)",
                horizon_label(curve.time, unit)
            );
            let rows: Vec<Vec<String>> = curve
                .groups
                .iter()
                .map(|g| {
                    vec![
                        fmt_sig(g.predicted, 3),
                        fmt_sig(g.observed, 3),
                        format!("{:+.3}", g.optimism),
                        fmt_sig(g.corrected, 3),
                    ]
                })
                .collect();
            s.push_str(&table(
                &["predicted", "observed", "optimism", "corrected"],
                &rows,
            ));
        }
    }
    s
}
