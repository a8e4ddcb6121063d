//! The validation figures of every set (calibration, ROC, decision curves) with their captions.

use super::{with_svg, Files, Run, SetData, StudyError};
use crate::model::file::ModelFile;
use crate::model::validation::{self, EvalData};
use crate::plot;
use crate::report::doc::Doc;

/// Calibration, ROC and decision-curve figures of every set, with their curve tables.
pub(super) fn validation_figures(
    r: &Run,
    files: &mut Files,
    doc: &mut Doc,
    model: &ModelFile,
    sets: &[SetData],
) -> Result<(), StudyError> {
    let times = &r.times;
    let unit_opt = r.unit.as_deref().filter(|u| !u.is_empty());
    let horizons: Vec<(f64, String)> = times.iter().map(|&t| (t, r.horizon_label(t))).collect();
    // the horizon's name from a file stem's slug
    let named = |slug: &str| -> String {
        horizons
            .iter()
            .find(|(_, l)| crate::report::format::horizon_slug(l) == slug)
            .map_or(slug.to_string(), |(_, l)| l.clone())
    };
    let mut per_set = Vec::new();
    for s in sets {
        let eval = EvalData {
            design: &s.prepared_design,
            surv: &s.surv,
            strata: &s.strata,
            weights: None,
        };
        let curves = validation::horizon_curves(&model.fit, eval, times, &Default::default())?;
        for (name, text) in crate::report::text::validation_curve_files(&curves) {
            files.add(&format!("{}_{name}", s.name), text.into_bytes());
        }
        let figs = plot::validation::validation_figures(
            &s.report,
            &curves,
            unit_opt,
            &format!("{}-", &s.name[..3]),
            &with_svg(&files.formats),
            &plot::validation::FigureNames {
                horizons: horizons.clone(),
                set: r.has_split.then(|| format!("{} set", s.name)),
            },
        )?;
        per_set.push((s.name, figs));
    }
    let caption = |set: &str, stem: &str| -> String {
        if let Some(t) = stem.strip_prefix("calibration_") {
            format!(
                "Calibration at {} in the {set} set: observed (Kaplan–Meier) against \
                 predicted risk by group with 95% limits, the smooth calibration curve{}, and the \
                 distribution of predicted risks.",
                named(t),
                if set == "development" && r.bootstrap > 0 {
                    ", and the bootstrap optimism-corrected curve"
                } else {
                    ""
                }
            )
        } else if let Some(t) = stem.strip_prefix("decision_") {
            format!(
                "Decision curve at {} in the {set} set: net benefit of the nomogram against \
                 treating all and treating none.",
                named(t)
            )
        } else {
            format!("Time-dependent ROC curves in the {set} set.")
        }
    };
    // calibration first, then ROC, then decision curves, each set in turn
    for kind in ["calibration_", "roc", "decision_"] {
        match kind {
            "roc" => doc.h(3, "Time-dependent ROC curves"),
            "decision_" => doc.h(3, "Decision curves"),
            _ => {}
        }
        for (set, figs) in &per_set {
            for (name, bytes) in figs.iter().filter(|(n, _)| n.starts_with(kind)) {
                let file = format!("{set}_{name}");
                if let Some(stem) = name.strip_suffix(".svg") {
                    let svg = String::from_utf8_lossy(bytes).into_owned();
                    doc.figure(&file, &svg, &caption(set, stem));
                }
                files.add(&file, bytes.clone());
            }
        }
    }
    Ok(())
}
