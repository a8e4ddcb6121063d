//! The figures of a validation, rendered for `prognosis validate --out-dir`: per horizon the
//! calibration plot and the decision curve, and one figure with the ROC curves of every horizon.

use super::calibration::CalibrationFigure;
use super::decision::DecisionFigure;
use super::roc::RocFigure;
use super::{ImageFormat, PlotError, Rendering};
use crate::model::spec::format_number;
use crate::model::validation::{HorizonCurves, ValidationReport};
use rayon::prelude::*;

/// How the figures of one set name the horizons and the set. Default: horizons named from their
/// times and unit, files `calibration_{t}`, no set in the titles.
#[derive(Debug, Clone, Default)]
pub struct FigureNames {
    /// The horizons' names by time ("1 year"): in the titles, and in the file names
    /// (`calibration_1_year`).
    pub horizons: Vec<(f64, String)>,
    /// The set of patients, named at the end of the titles ("validation set").
    pub set: Option<String>,
}

impl FigureNames {
    fn label(&self, t: f64) -> Option<String> {
        self.horizons
            .iter()
            .find(|(h, _)| *h == t)
            .map(|(_, l)| l.clone())
    }
}

/// One figure to render.
enum Job<'a> {
    Calibration(CalibrationFigure<'a>),
    Roc(RocFigure<'a>),
    Decision(DecisionFigure<'a>),
}

/// Every figure of a validation as (file name, file bytes), in each of `formats`:
/// `calibration_{t}` and `decision_{t}` per horizon t of `report` (t as in the CSV names:
/// `12`, `36.5`), and `roc` with the ROC curves of the horizons that have one (none when no
/// horizon has). `curves` are [`crate::model::validation::horizon_curves`] at the report's horizons; a
/// horizon without curves gets a calibration plot without the histogram and no decision curve.
/// The bootstrap's corrected calibration is drawn when the report has it. `id_prefix` starts the
/// SVG ids (figures of several validations can then share one HTML page). Each figure is laid
/// out once for all its formats; figures are rendered in parallel. `names` names the horizons
/// and the set.
pub fn validation_figures(
    report: &ValidationReport,
    curves: &[HorizonCurves],
    time_unit: Option<&str>,
    id_prefix: &str,
    formats: &[ImageFormat],
    names: &FigureNames,
) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    let unit = time_unit.map(str::to_string);
    let mut jobs: Vec<(String, Job)> = Vec::new();
    for h in &report.horizons {
        let label = names.label(h.time);
        let t = label
            .as_deref()
            .map_or(format_number(h.time), crate::report::format::horizon_slug);
        let c = curves.iter().find(|c| c.time == h.time);
        let mut cal = CalibrationFigure::new(h);
        cal.time_unit = unit.clone();
        cal.horizon_label = label.clone();
        cal.set = names.set.clone();
        cal.risks = c.map_or(&[], |c| c.risk.as_slice());
        cal.corrected = report
            .bootstrap
            .as_ref()
            .and_then(|b| b.calibration.iter().find(|k| k.time == h.time));
        jobs.push((format!("calibration_{t}"), Job::Calibration(cal)));
        if let Some(c) = c {
            let mut dec = DecisionFigure::new(&c.decision);
            dec.time_unit = unit.clone();
            dec.horizon_label = label.clone();
            dec.set = names.set.clone();
            jobs.push((format!("decision_{t}"), Job::Decision(dec)));
        }
    }
    let with_roc: Vec<_> = report
        .horizons
        .iter()
        .filter_map(|h| {
            Some((
                h.time,
                curves.iter().find(|c| c.time == h.time)?.roc.as_ref()?,
            ))
        })
        .collect();
    if !with_roc.is_empty() {
        let mut roc = RocFigure::new(with_roc.iter().map(|x| x.1).collect());
        roc.time_unit = unit.clone();
        roc.set = names.set.clone();
        if !names.horizons.is_empty() {
            roc.labels = with_roc
                .iter()
                .map(|(t, _)| {
                    names
                        .label(*t)
                        .unwrap_or_else(|| super::common::horizon_text(*t, time_unit))
                })
                .collect();
        }
        jobs.push(("roc".into(), Job::Roc(roc)));
    }
    let rendered: Vec<Vec<(String, Vec<u8>)>> = jobs
        .par_iter()
        .map(|(name, job)| {
            // the SVG's ids: an XML name unique to the figure
            let id = format!("{id_prefix}{}", name.replace('_', "-"));
            let r = match job {
                Job::Calibration(f) => Rendering::new(f, &id),
                Job::Roc(f) => Rendering::new(f, &id),
                Job::Decision(f) => Rendering::new(f, &id),
            }?;
            formats
                .iter()
                .map(|&f| Ok((format!("{name}.{}", f.extension()), r.encode(f)?)))
                .collect()
        })
        .collect::<Result<_, PlotError>>()?;
    Ok(rendered.into_iter().flatten().collect())
}
