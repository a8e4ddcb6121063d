//! The end of section 8: discrimination and calibration of the Fine-Gray model fitted on the
//! development set, in the development set (apparent, with Harrell's bootstrap optimism
//! correction when the study asks for resamples) and in the validation set (the development
//! model's predictions): per horizon the AUC of predicted cumulative incidence with its 95% CI,
//! the Brier score, the null model's Brier score, IPA and the truncated C-index, observed/expected
//! cumulative incidence, and the calibration slope of the linear predictor; the grouped
//! calibration figures of every set and horizon, with the bootstrap's optimism-corrected groups
//! in the development set.

use super::*;
use crate::model::validation_competing::{
    bootstrap_fine_gray, calibration_slope, fine_gray_cif, fine_gray_lp, validate_predictions,
    CompetingBootstrap, CompetingMeasures, CompetingValidationOptions, CompetingValidationReport,
};
use crate::plot::calibration::CalibrationFigure;
use crate::report::format::horizon_slug;
use crate::stats::competing::{CompetingSurv, CrrOptions, FineGray};

/// One set's validation of the Fine-Gray model and its predictions (one vector per horizon).
struct FgSet {
    name: &'static str,
    report: CompetingValidationReport,
    predicted: Vec<Vec<f64>>,
}

/// The validation set's design (the development model's columns) and competing-risks outcome.
fn validation_data(
    r: &Run,
    f: &Fitted,
    cause: &registry::CauseColumn,
) -> Result<(cox::Design, CompetingSurv), StudyError> {
    let rows = r.cohort.rows_in(Split::Validation);
    let table: Table = r.cohort.subset(&rows).to_table();
    let d = cohort::prepare_with_spec(&table, &f.model.spec)?;
    if let Some((line, what)) = d.problems.first() {
        return Err(StudyError::Study(format!(
            "{} validation rows have a level the development set lacks (first: line {line}: {what})",
            d.problems.len()
        )));
    }
    let codes: Vec<u32> = d.rows.iter().map(|&k| cause.cause[rows[k]]).collect();
    let surv = CompetingSurv::with_causes(d.surv.time().to_vec(), codes, 2)
        .map_err(|e| StudyError::Study(format!("Fine-Gray validation, outcome: {e}")))?;
    Ok((d.design, surv))
}

/// Discrimination and calibration of the Fine-Gray model `fg` in each set, with its table, its
/// files and its calibration figures.
pub(super) fn fine_gray_validation(
    r: &Run,
    files: &mut Files,
    doc: &mut Doc,
    f: &Fitted,
    fg: &FineGray,
    cause: &registry::CauseColumn,
) -> Result<(), StudyError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        StudyError::Study(format!("Fine-Gray validation, {what}: {e}"))
    };
    let opts = CompetingValidationOptions {
        times: r.times.clone(),
        cause: 1,
        groups: r.groups,
        bootstrap: r.bootstrap,
        seed: r.seed,
    };
    // development: the rows and design the model was fitted on
    let dev = r.cohort.rows_in(Split::Development);
    let codes: Vec<u32> = f.prep.rows.iter().map(|&k| cause.cause[dev[k]]).collect();
    let dev_surv = CompetingSurv::with_causes(f.prep.surv.time().to_vec(), codes, 2)
        .map_err(|e| failed("outcome", &e))?;
    let mut data = vec![("development", f.prep.design.clone(), dev_surv)];
    if r.has_split {
        let (design, surv) = validation_data(r, f, cause)?;
        data.push(("validation", design, surv));
    }
    let mut sets = Vec::new();
    for (name, design, surv) in &data {
        let predicted =
            fine_gray_cif(fg, design, &r.times).map_err(|e| failed("predictions", &e))?;
        let mut report = validate_predictions(surv, &predicted, &opts)
            .map_err(|e| failed(&format!("{name} set"), &e))?;
        // a slope that cannot be fitted (a linear predictor constant in this set) is left out
        report.slope = calibration_slope(surv, opts.cause, &fine_gray_lp(fg, design)).ok();
        sets.push(FgSet {
            name,
            report,
            predicted,
        });
    }
    if r.bootstrap > 0 {
        let (_, design, surv) = &data[0];
        let b = bootstrap_fine_gray(design, surv, &CrrOptions::default(), &opts)
            .map_err(|e| failed("bootstrap", &e))?;
        sets[0].report.bootstrap = Some(b);
    }
    let causes = r
        .spec
        .competing_risks
        .as_ref()
        .map(|c| c.cause_labels())
        .unwrap_or_default();
    doc.h(3, "Discrimination and calibration of the Fine–Gray model");
    measures_table(r, files, doc, &sets, &causes[0]);
    for s in &sets {
        let json = serde_json::to_string_pretty(&s.report).unwrap_or_default() + "\n";
        files.add(
            &format!("{}_fine_gray_measures.json", s.name),
            json.into_bytes(),
        );
    }
    calibration_files(r, files, &sets);
    calibration_figures(r, files, doc, &sets, &causes[0])
}

/// The numbered table of AUC, Brier, IPA and truncated C per set and horizon (and the bootstrap's
/// corrected values), `fine_gray_validation.csv` and `fine_gray_bootstrap.csv`.
fn measures_table(r: &Run, files: &mut Files, doc: &mut Doc, sets: &[FgSet], event: &str) {
    let header = strings(&[
        "set",
        "horizon",
        "AUC (95% CI)",
        "Brier",
        "null Brier",
        "IPA",
        "truncated C",
        "O/E",
    ]);
    let csv_header = strings(&[
        "set",
        "n",
        "events",
        "competing",
        "censored",
        "time",
        "horizon",
        "auc",
        "auc_se",
        "auc_lower",
        "auc_upper",
        "brier",
        "null_brier",
        "ipa",
        "cindex",
        "expected",
        "observed",
        "observed_expected",
        "slope",
        "slope_se",
        "slope_lower",
        "slope_upper",
    ]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    for s in sets {
        let rep = &s.report;
        for (k, h) in rep.horizons.iter().enumerate() {
            let (lo, hi) = h.auc_limits();
            rows.push(vec![
                if k == 0 {
                    format!("{} (n = {}, {} events)", s.name, rep.n, rep.events)
                } else {
                    String::new()
                },
                r.horizon_label(h.time),
                fmt_est_ci(h.auc, lo, hi, 3),
                format!("{:.3}", h.brier),
                format!("{:.3}", h.null_brier),
                format!("{:.3}", h.ipa),
                format!("{:.3}", h.cindex),
                h.calibration
                    .observed_expected
                    .map_or("NA".into(), |v| format!("{v:.2}")),
            ]);
            csv_rows.push(vec![
                s.name.to_string(),
                rep.n.to_string(),
                rep.events.to_string(),
                rep.competing.to_string(),
                rep.censored.to_string(),
                full(h.time),
                r.horizon_label(h.time),
                full(h.auc),
                full(h.auc_se),
                full(lo),
                full(hi),
                full(h.brier),
                full(h.null_brier),
                full(h.ipa),
                full(h.cindex),
                full(h.calibration.expected),
                full_opt(h.calibration.observed),
                full_opt(h.calibration.observed_expected),
                full_opt(rep.slope.as_ref().map(|v| v.slope)),
                full_opt(rep.slope.as_ref().map(|v| v.se)),
                full_opt(rep.slope.as_ref().map(|v| v.lower)),
                full_opt(rep.slope.as_ref().map(|v| v.upper)),
            ]);
        }
    }
    let mut notes = vec![format!(
        "Fine–Gray model of {} fitted on the development set; its predicted cumulative incidence \
         at each horizon validated in the development set (apparent) and in the validation set. \
         AUC, time-dependent area under the ROC curve of the cumulative incidence (cases: the \
         event of interest by the horizon; controls: all others, those with the competing event \
         by the horizon included), 95% CI from its influence-function standard error \
         (riskRegression::Score); Brier, inverse-probability-of-censoring weighted Brier score; \
         null Brier, that of the Aalen–Johansen cumulative incidence given to everyone; IPA, \
         1 − Brier / null Brier; truncated C, the concordance of Wolbers et al. up to the horizon \
         (pec::cindex); O/E, the Aalen–Johansen cumulative incidence of the set over the mean \
         predicted cumulative incidence.",
        event.to_lowercase()
    )];
    let slopes: Vec<String> = sets
        .iter()
        .filter_map(|s| {
            let v = s.report.slope.as_ref()?;
            Some(format!(
                "{} set {}",
                s.name,
                fmt_est_ci(v.slope, v.lower, v.upper, 2)
            ))
        })
        .collect();
    if !slopes.is_empty() {
        notes.push(format!(
            "Calibration slope (95% CI), the coefficient of a Fine–Gray model of the outcome on \
             the model's linear predictor (1 is ideal, below 1 predictions too extreme; 1 by \
             construction in the development set): {}.",
            slopes.join("; ")
        ));
    }
    if let Some(b) = &sets[0].report.bootstrap {
        notes.push(bootstrap_note(r, b));
        bootstrap_csv(r, files, b);
    }
    doc.numbered_table(
        TableKind::Main,
        "Fine–Gray model: discrimination and calibration in each set",
        &header,
        &rows,
        &notes,
    );
    files.table("fine_gray_validation", &csv_header, &csv_rows);
}

/// The table's note on the bootstrap: the optimism-corrected measures at each horizon.
fn bootstrap_note(r: &Run, b: &CompetingBootstrap) -> String {
    let per: Vec<String> = b
        .horizons
        .iter()
        .map(|h| {
            format!(
                "{}: AUC {:.3} (optimism {:.3}), Brier {:.3}, IPA {:.3}, truncated C {:.3}",
                r.horizon_label(h.time),
                h.corrected.auc,
                h.optimism.auc,
                h.corrected.brier,
                h.corrected.ipa,
                h.corrected.cindex
            )
        })
        .collect();
    let failed = if b.failed > 0 {
        format!(", {} failed refits left out", b.failed)
    } else {
        String::new()
    };
    format!(
        "Bootstrap optimism correction in the development set (the Fine–Gray model refitted on \
         each of {} resamples, seed {}{failed}): {}; calibration slope {:.3} corrected to {:.3} \
         (optimism {:.3}).",
        b.resamples,
        b.seed,
        per.join("; "),
        b.slope.apparent,
        b.slope.corrected,
        b.slope.optimism
    )
}

/// `fine_gray_bootstrap.csv`: apparent, optimism and corrected measures per horizon.
fn bootstrap_csv(r: &Run, files: &mut Files, b: &CompetingBootstrap) {
    let mut header = strings(&["time", "horizon", "resamples", "failed", "seed"]);
    for m in ["auc", "brier", "ipa", "cindex"] {
        for k in ["apparent", "optimism", "corrected"] {
            header.push(format!("{m}_{k}"));
        }
    }
    header.extend(strings(&[
        "slope_apparent",
        "slope_optimism",
        "slope_corrected",
    ]));
    let rows: Vec<Vec<String>> = b
        .horizons
        .iter()
        .map(|h| {
            let mut row = vec![
                full(h.time),
                r.horizon_label(h.time),
                b.resamples.to_string(),
                b.failed.to_string(),
                b.seed.to_string(),
            ];
            let pick: [fn(&CompetingMeasures) -> f64; 4] =
                [|m| m.auc, |m| m.brier, |m| m.ipa, |m| m.cindex];
            for g in pick {
                row.extend([g(&h.apparent), g(&h.optimism), g(&h.corrected)].map(full));
            }
            row.extend([b.slope.apparent, b.slope.optimism, b.slope.corrected].map(full));
            row
        })
        .collect();
    files.table("fine_gray_bootstrap", &header, &rows);
}

/// `fine_gray_calibration_groups.csv`: the grouped calibration of every set and horizon.
fn calibration_files(r: &Run, files: &mut Files, sets: &[FgSet]) {
    let header = strings(&[
        "set",
        "time",
        "horizon",
        "group",
        "n",
        "predicted",
        "observed",
        "variance",
        "lower",
        "upper",
    ]);
    let mut rows = Vec::new();
    for s in sets {
        for h in &s.report.horizons {
            for (k, g) in h.calibration.groups.iter().enumerate() {
                rows.push(vec![
                    s.name.to_string(),
                    full(h.time),
                    r.horizon_label(h.time),
                    (k + 1).to_string(),
                    g.n.to_string(),
                    full(g.predicted),
                    full_opt(g.observed),
                    full_opt(g.var),
                    full_opt(g.lower),
                    full_opt(g.upper),
                ]);
            }
        }
    }
    files.table("fine_gray_calibration_groups", &header, &rows);
    if let Some(b) = sets.first().and_then(|s| s.report.bootstrap.as_ref()) {
        let header = strings(&[
            "set",
            "time",
            "horizon",
            "group",
            "predicted",
            "observed",
            "optimism",
            "corrected",
        ]);
        let mut rows = Vec::new();
        for curve in &b.calibration {
            for (k, g) in curve.groups.iter().enumerate() {
                rows.push(vec![
                    sets[0].name.to_string(),
                    full(curve.time),
                    r.horizon_label(curve.time),
                    // the group of fine_gray_calibration_groups.csv
                    g.group.unwrap_or(k + 1).to_string(),
                    full(g.predicted),
                    full(g.observed),
                    full(g.optimism),
                    full(g.corrected),
                ]);
            }
        }
        files.table("fine_gray_calibration_corrected", &header, &rows);
    }
}

/// The calibration figure of every set and horizon, `SET_fine_gray_calibration_HORIZON`.
fn calibration_figures(
    r: &Run,
    files: &mut Files,
    doc: &mut Doc,
    sets: &[FgSet],
    event: &str,
) -> Result<(), StudyError> {
    for s in sets {
        for (j, (h, predicted)) in s.report.horizons.iter().zip(&s.predicted).enumerate() {
            let label = r.horizon_label(h.time);
            let mut fig = CalibrationFigure::cumulative_incidence(h);
            let corrected = s.report.bootstrap.as_ref().map(|b| &b.calibration[j]);
            fig.corrected = corrected;
            fig.event = event.to_lowercase();
            fig.time_unit = r.unit.clone();
            fig.horizon_label = Some(label.clone());
            fig.set = Some(format!("{} set", s.name));
            fig.risks = predicted;
            let name = format!("{}_fine_gray_calibration_{}", s.name, horizon_slug(&label));
            let svg = files.figure(&name, &fig)?;
            doc.figure(
                &format!("{name}.svg"),
                &svg,
                &format!(
                    "Calibration of the Fine–Gray model at {label} in the {} set: observed \
                     (Aalen–Johansen) against predicted cumulative incidence of {} by group of \
                     predicted incidence ({} groups) with 95% limits{}, and the distribution of \
                     predicted incidence.",
                    s.name,
                    event.to_lowercase(),
                    h.calibration.groups.len(),
                    if corrected.is_some() {
                        ", the bootstrap optimism-corrected groups"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    Ok(())
}
