//! Section 8 of the report, competing risks (with `[competing_risks]`): cumulative incidence of
//! both causes in the study cohort, overall and by each factor with Gray's test; the cumulative
//! incidence at the horizons; the Fine-Gray model of the event of interest on the development set
//! beside the Cox model; and its nomogram of the cumulative incidence.

use super::competing_validation::fine_gray_validation;
use super::*;
use crate::data::registry::{CohortVariable, CovariateDef, Values};
use crate::plot::curves::{StepCurve, SurvivalFigure};
use crate::stats::competing::{
    crr, cuminc, gray_test, CifCurve, CompetingSurv, CrrOptions, CumincOptions, FineGray,
};

/// A grouping of the cohort by one factor: a code per row and the groups' names.
struct Grouping {
    codes: Vec<usize>,
    labels: Vec<String>,
}

/// The cohort's groups of one factor: its levels; the values of a numeric factor with at most 6
/// of them (named as the specification names them); else at or below the median and above it.
fn grouping(def: &CovariateDef, v: &CohortVariable) -> Grouping {
    match &v.values {
        Values::Levels { levels, codes } => Grouping {
            codes: codes.iter().map(|&c| c as usize).collect(),
            labels: levels.clone(),
        },
        Values::Numbers(x) => {
            let mut distinct = x.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if distinct.len() <= 6 {
                Grouping {
                    codes: x
                        .iter()
                        .map(|v| distinct.partition_point(|d| d < v))
                        .collect(),
                    labels: distinct
                        .iter()
                        .map(|&d| registry::value_label(def, d).unwrap_or_else(|| format_number(d)))
                        .collect(),
                }
            } else {
                let mut sorted = x.clone();
                sorted.sort_by(f64::total_cmp);
                let n = sorted.len();
                let median = if n % 2 == 1 {
                    sorted[n / 2]
                } else {
                    0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
                };
                let m = format_number(median);
                Grouping {
                    codes: x.iter().map(|&v| usize::from(v > median)).collect(),
                    labels: vec![format!("≤ {m}"), format!("> {m}")],
                }
            }
        }
    }
}

/// The curves of one figure: both causes of every group, a colour per group, the competing cause
/// dashed, the number at risk once per group.
fn group_steps(curves: &[CifCurve], groups: &[String], causes: &[String; 2]) -> Vec<StepCurve> {
    let mut sorted: Vec<&CifCurve> = curves.iter().collect();
    sorted.sort_by_key(|c| (c.group, c.cause));
    let mut steps: Vec<StepCurve> = Vec::new();
    for c in sorted {
        let g = c.group.unwrap_or(0);
        let cause = &causes[c.cause as usize - 1];
        let mut s = StepCurve::from_cif(&format!("{}: {cause}", groups[g]), c);
        s.colour = Some(g);
        s.dashed = c.cause > 1;
        if !steps.iter().any(|x| x.colour == Some(g)) {
            s.risk_label = Some(groups[g].clone());
        }
        steps.push(s);
    }
    steps
}

/// 8. Competing risks; nothing when the specification has no `[competing_risks]`.
pub(super) fn competing_section(r: &Run, o: &mut Out, f: &Fitted) -> Result<(), StudyError> {
    let (Some(cr), Some(cause)) = (&r.spec.competing_risks, &r.cohort.cause) else {
        return Ok(());
    };
    let Out {
        files,
        doc,
        summary,
    } = o;
    let failed = |what: &str, e: crate::stats::competing::CompetingError| {
        StudyError::Study(format!("competing risks, {what}: {e}"))
    };
    let causes = cr.cause_labels();
    let cohort = &r.cohort;
    let unit = r.unit.clone();
    doc.h(2, "8. Competing risks");
    let surv = CompetingSurv::with_causes(cohort.time.clone(), cause.cause.clone(), 2)
        .map_err(|e| failed("outcome", e))?;
    let counts = cohort
        .attrition
        .causes
        .expect("causes counted with the cause column");
    doc.p(&format!(
        "{} of the {} patients of the study cohort had the event of interest ({}), {} the \
         competing event ({}) and {} were censored. The competing event prevents the event of \
         interest, so its cumulative incidence is estimated by the Aalen–Johansen estimator \
         (R's cmprsk::cuminc) rather than by one minus the Kaplan–Meier estimate, groups are \
         compared by Gray's test, and the event of interest is modelled on its \
         subdistribution hazard (Fine–Gray, cmprsk::crr) beside the cause-specific Cox model.",
        counts.events.all,
        cohort.n(),
        causes[0].to_lowercase(),
        counts.competing.all,
        causes[1].to_lowercase(),
        counts.censored.all
    ));
    let opts = CumincOptions::default();
    // overall curves
    let overall = cuminc(&surv, None, &opts).map_err(|e| failed("cumulative incidence", e))?;
    let steps: Vec<StepCurve> = overall
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut s = StepCurve::from_cif(&causes[c.cause as usize - 1], c);
            s.dashed = c.cause > 1;
            if i == 0 {
                s.risk_label = Some("All".into());
            }
            s
        })
        .collect();
    let fig = SurvivalFigure::cumulative_incidence(steps, unit.clone(), None);
    let svg = files.figure("cuminc_overall", &fig)?;
    doc.figure(
        "cuminc_overall.svg",
        &svg,
        &format!(
            "Cumulative incidence of {} (solid) and of {} (dashed) in the study cohort \
             (Aalen–Johansen), with 95% pointwise limits and the number at risk.",
            causes[0].to_lowercase(),
            causes[1].to_lowercase()
        ),
    );
    // the cumulative incidence at the horizons
    let header = strings(&[
        "cause",
        "events",
        "horizon",
        "cumulative incidence (95% CI)",
    ]);
    let csv_header = strings(&[
        "factor", "group", "cause", "time", "horizon", "estimate", "variance", "lower", "upper",
        "n_risk",
    ]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let at_rows = |factor: &str, group: &str, curves: &[&CifCurve], csv: &mut Vec<Vec<String>>| {
        for c in curves {
            for &t in &r.times {
                let p = c.at(t);
                csv.push(vec![
                    factor.to_string(),
                    group.to_string(),
                    causes[c.cause as usize - 1].clone(),
                    full(t),
                    r.horizon_label(t),
                    full_opt(p.map(|p| p.estimate)),
                    full_opt(p.map(|p| p.variance)),
                    full_opt(p.map(|p| p.lower)),
                    full_opt(p.map(|p| p.upper)),
                    p.map_or(String::new(), |p| p.n_risk.to_string()),
                ]);
            }
        }
    };
    for c in &overall {
        for (k, &t) in r.times.iter().enumerate() {
            let cell = c
                .at(t)
                .map_or("-".into(), |p| fmt_est_ci(p.estimate, p.lower, p.upper, 3));
            rows.push(vec![
                if k == 0 {
                    causes[c.cause as usize - 1].clone()
                } else {
                    String::new()
                },
                if k == 0 {
                    surv.n_events(c.cause).to_string()
                } else {
                    String::new()
                },
                r.horizon_label(t),
                cell,
            ]);
        }
    }
    at_rows(
        "All",
        "",
        &overall.iter().collect::<Vec<_>>(),
        &mut csv_rows,
    );
    doc.numbered_table(
        TableKind::Main,
        "Cumulative incidence of each cause in the study cohort",
        &header,
        &rows,
        &[
            "Aalen–Johansen estimate with 95% pointwise limits (log-log transformation of \
           cmprsk's variance)."
                .to_string(),
        ],
    );
    // by factor, with Gray's test
    let gray_header = strings(&["factor", "cause", "chi-square", "df", "p"]);
    let mut gray_rows = Vec::new();
    let mut gray_csv = Vec::new();
    let mut captions = Vec::new();
    for (def, v) in r.spec.covariates.iter().zip(&cohort.covariates) {
        let g = grouping(def, v);
        let present = {
            let mut seen = vec![false; g.labels.len()];
            for &c in &g.codes {
                seen[c] = true;
            }
            seen.iter().filter(|&&s| s).count()
        };
        if present < 2 {
            continue;
        }
        let label = term_label(r.spec, &def.name);
        let curves =
            cuminc(&surv, Some(&g.codes), &opts).map_err(|e| failed("cumulative incidence", e))?;
        let tests = gray_test(&surv, &g.codes, None, 0.0).map_err(|e| failed("Gray's test", e))?;
        for t in &tests {
            let cause_name = causes[t.cause as usize - 1].clone();
            gray_rows.push(vec![
                label.clone(),
                cause_name.clone(),
                t.statistic.map_or("-".into(), |s| format!("{s:.2}")),
                t.df.to_string(),
                t.p_value.map_or("-".into(), fmt_p),
            ]);
            gray_csv.push(vec![
                label.clone(),
                cause_name,
                full_opt(t.statistic),
                t.df.to_string(),
                full_opt(t.p_value),
            ]);
        }
        for (k, name) in g.labels.iter().enumerate() {
            let of_group: Vec<&CifCurve> = curves.iter().filter(|c| c.group == Some(k)).collect();
            at_rows(&label, name, &of_group, &mut csv_rows);
        }
        let note = tests
            .iter()
            .find(|t| t.cause == 1)
            .and_then(|t| t.p_value)
            .map(|p| format!("Gray's test ({}) p {}", causes[0], p_phrase(p)));
        let fig = SurvivalFigure::cumulative_incidence(
            group_steps(&curves, &g.labels, &causes),
            unit.clone(),
            note,
        );
        let name = format!("cuminc_{}", def.name);
        let svg = files.figure(&name, &fig)?;
        captions.push((name, svg, label));
    }
    if !gray_rows.is_empty() {
        doc.numbered_table(
            TableKind::Supplementary,
            "Gray's test of the cumulative incidence of each cause between the groups of each \
             factor in the study cohort",
            &gray_header,
            &gray_rows,
            &[
                "Gray's (1988) K-sample test (cmprsk::cuminc, rho = 0); a continuous factor is \
                 grouped at its median."
                    .to_string(),
            ],
        );
    }
    files.table("gray_tests", &gray_header, &gray_csv);
    files.table("cuminc_horizons", &csv_header, &csv_rows);
    for (name, svg, label) in captions {
        doc.figure(
            &format!("{name}.svg"),
            &svg,
            &format!(
                "Cumulative incidence of {} (solid) and {} (dashed) by {}, with 95% pointwise \
                 limits, Gray's test of {} and the number at risk.",
                causes[0].to_lowercase(),
                causes[1].to_lowercase(),
                label.to_lowercase(),
                causes[0].to_lowercase()
            ),
        );
    }
    // the Fine-Gray model on the Cox model's development rows
    let fg = fine_gray_fit(r, f, cause)?;
    fine_gray_table(r, files, doc, f, &fg);
    competing_nomogram(r, files, doc, f, &fg)?;
    fine_gray_validation(r, files, doc, f, &fg, cause)?;
    let _ = writeln!(
        summary,
        "Competing risks: {} events of interest, {} competing events, {} censored; Fine-Gray \
         model on {} patients ({} events, {} competing).",
        counts.events.all,
        counts.competing.all,
        counts.censored.all,
        fg.n,
        fg.n_events,
        fg.n_competing
    );
    Ok(())
}

/// The Fine-Gray model of the event of interest on the rows and design of the Cox model.
fn fine_gray_fit(
    r: &Run,
    f: &Fitted,
    cause: &registry::CauseColumn,
) -> Result<FineGray, StudyError> {
    let dev = r.cohort.rows_in(Split::Development);
    let codes: Vec<u32> = f.prep.rows.iter().map(|&k| cause.cause[dev[k]]).collect();
    let surv = CompetingSurv::with_causes(f.prep.surv.time().to_vec(), codes, 2)
        .map_err(|e| StudyError::Study(format!("Fine-Gray model: {e}")))?;
    let fit = crr(&surv, &f.prep.design, &CrrOptions::default())
        .map_err(|e| StudyError::Study(format!("Fine-Gray model: {e}")))?;
    if !fit.converged || fit.coef.iter().any(|b| !b.is_finite()) {
        return Err(StudyError::Study(format!(
            "the Fine-Gray model ({}) did not converge in {} iterations: a level may have no \
             event of interest; merge or drop that factor in the specification",
            f.chosen.join(", "),
            fit.iterations
        )));
    }
    Ok(fit)
}

/// The Fine-Gray table beside the Cox multivariable table, and its machine table.
fn fine_gray_table(r: &Run, files: &mut Files, doc: &mut Doc, f: &Fitted, fg: &FineGray) {
    let spec = r.spec;
    let cox = f.model.fit.coefficients();
    let sub = fg.coefficients();
    let header = strings(&[
        "Characteristic",
        "Cox HR (95% CI)",
        "p",
        "Fine–Gray SHR (95% CI)",
        "p",
    ]);
    let rows: Vec<Vec<String>> = cox
        .iter()
        .zip(&sub)
        .map(|(c, s)| {
            vec![
                term_label(spec, &c.term),
                hr_cell(c),
                fmt_p(c.p),
                fmt_hr_ci(s.shr, s.lower, s.upper),
                fmt_p(s.p),
            ]
        })
        .collect();
    let causes = spec
        .competing_risks
        .as_ref()
        .map(|c| c.cause_labels())
        .unwrap_or_default();
    doc.numbered_table(
        TableKind::Main,
        "Multivariable Cox and Fine–Gray regression in the development set",
        &header,
        &rows,
        &[format!(
            "HR, cause-specific hazard ratio of {} (the Cox model of Table 2, competing events \
             censored); SHR, subdistribution hazard ratio (Fine–Gray model, cmprsk::crr: n = {}, \
             {} events of interest, {} competing events, {} censored; pseudo-log-likelihood {:.2}, \
             {:.2} without covariates). p from the Wald test with crr's robust (sandwich) \
             standard error. A continuous factor's ratio is per one unit of it.",
            causes[0].to_lowercase(),
            fg.n,
            fg.n_events,
            fg.n_competing,
            fg.n_censored,
            fg.loglik,
            fg.loglik_null
        )],
    );
    files.table("competing_regression", &header, &rows);
    let csv_header = strings(&[
        "factor",
        "term",
        "coef",
        "se",
        "shr",
        "shr_lower",
        "shr_upper",
        "z",
        "p",
    ]);
    let csv_rows: Vec<Vec<String>> = sub
        .iter()
        .map(|s| {
            vec![
                term_label(spec, &s.name),
                s.name.clone(),
                full(s.coef),
                full(s.se),
                full(s.shr),
                full(s.lower),
                full(s.upper),
                full(s.z),
                full(s.p),
            ]
        })
        .collect();
    files.table("fine_gray", &csv_header, &csv_rows);
    // the baseline, for readers who compute predictions themselves
    let base_rows: Vec<Vec<String>> = fg
        .event_times
        .iter()
        .zip(&fg.baseline_jumps)
        .scan(0.0, |acc, (&t, &j)| {
            *acc += j;
            Some(vec![full(t), full(j), full(*acc)])
        })
        .collect();
    files.table(
        "fine_gray_baseline",
        &strings(&["time", "jump", "cumulative"]),
        &base_rows,
    );
}

/// The Fine-Gray nomogram: points of each factor, total points and the cumulative incidence at
/// every horizon.
fn competing_nomogram(
    r: &Run,
    files: &mut Files,
    doc: &mut Doc,
    f: &Fitted,
    fg: &FineGray,
) -> Result<(), StudyError> {
    let spec = r.spec;
    let model = &f.model;
    let nom = Nomogram::from_fine_gray(
        fg,
        &model.spec.covariates,
        &model.covariates,
        r.unit.clone(),
        &NomogramOptions {
            times: r.times.clone(),
            median: false,
            ..Default::default()
        },
    )?;
    let labels: Vec<String> = model
        .spec
        .covariates
        .iter()
        .map(|c| term_label(spec, &c.name))
        .collect();
    let value_labels: Vec<Vec<(f64, String)>> = nom
        .variables
        .iter()
        .map(|v| {
            let def = spec.covariates.iter().find(|c| c.name == v.name);
            v.axis
                .iter()
                .filter_map(|t| match (&t.value, def) {
                    (TickValue::Number(x), Some(def)) => {
                        registry::value_label(def, *x).map(|l| (*x, l))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut fig = plot::nomogram::NomogramFigure::new(&nom);
    fig.labels = labels.clone();
    fig.value_labels = value_labels.clone();
    fig.horizon_labels = r.times.iter().map(|&t| (t, r.horizon_label(t))).collect();
    let svg = files.figure("competing_nomogram", &fig)?;
    let causes = spec
        .competing_risks
        .as_ref()
        .map(|c| c.cause_labels())
        .unwrap_or_default();
    doc.figure(
        "competing_nomogram.svg",
        &svg,
        &format!(
            "Competing-risks nomogram (Fine–Gray model) predicting the cumulative incidence of {} \
             at {}, in the presence of {}. Add the points of each factor, find the total on the \
             total-points axis and read the predicted cumulative incidence below it.",
            causes[0].to_lowercase(),
            r.horizon_labels.join(", "),
            causes[1].to_lowercase()
        ),
    );
    let mut pts_rows = Vec::new();
    for ((v, label), names) in nom.variables.iter().zip(&labels).zip(&value_labels) {
        for t in &v.axis {
            pts_rows.push(vec![
                label.clone(),
                plot::nomogram::tick_value_label(&t.value, names),
                full(t.points),
            ]);
        }
    }
    files.table(
        "competing_nomogram_points",
        &strings(&["factor", "value", "points"]),
        &pts_rows,
    );
    let mut conv_header = strings(&["total points", "linear predictor"]);
    conv_header.extend(r.times.iter().map(|&t| {
        format!(
            "{} cumulative incidence",
            crate::report::format::horizon_adjective(&r.horizon_label(t))
        )
    }));
    let h0: Vec<f64> = r
        .times
        .iter()
        .map(|&t| {
            let k = fg.event_times.partition_point(|&u| u <= t);
            fg.baseline_jumps[..k].iter().sum()
        })
        .collect();
    let cif = |tp: f64, h: f64| -(-h * (nom.lp_of_points(tp) + nom.coxph_shift).exp()).exp_m1();
    let conv_rows: Vec<Vec<String>> = nom
        .total_points
        .iter()
        .map(|&tp| {
            let mut row = vec![format_number(tp), format!("{:.3}", nom.lp_of_points(tp))];
            row.extend(h0.iter().map(|&h| format!("{:.3}", cif(tp, h))));
            row
        })
        .collect();
    doc.numbered_table(
        TableKind::Supplementary,
        "Competing-risks nomogram: total points, linear predictor and predicted cumulative \
         incidence",
        &conv_header,
        &conv_rows,
        &[format!(
            "Subdistribution linear predictor centred at the development mean; cumulative \
             incidence 1 − exp(−Λ0(t) exp(x′β)) with crr's baseline Λ0 at {}.",
            r.horizon_labels.join(", ")
        )],
    );
    let csv_rows: Vec<Vec<String>> = nom
        .total_points
        .iter()
        .map(|&tp| {
            let mut row = vec![full(tp), full(nom.lp_of_points(tp))];
            row.extend(h0.iter().map(|&h| full(cif(tp, h))));
            row
        })
        .collect();
    files.table("competing_nomogram_total_points", &conv_header, &csv_rows);
    Ok(())
}
