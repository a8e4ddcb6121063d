//! Checks of a run that name the specification field at fault: a split that leaves a set too
//! small, horizons outside a set's follow-up, and errors of a step on a set made by the split.

use super::{registry, Run, StudyError, StudySpec};
use crate::model::spec::format_number;

/// A split that leaves a set with too few patients or events, or a horizon outside the follow-up
/// of a set, named by the specification field that causes it, before any analysis.
pub(super) fn check_split_and_horizons(
    spec: &StudySpec,
    cohort: &registry::Cohort,
    times: &[f64],
) -> Result<(), StudyError> {
    let sets: Vec<(&str, Vec<usize>)> = match &cohort.split {
        Some(_) => vec![
            ("development", cohort.rows_in(registry::Split::Development)),
            ("validation", cohort.rows_in(registry::Split::Validation)),
        ],
        None => vec![("development", (0..cohort.n()).collect())],
    };
    let groups = spec.validation.as_ref().map_or(5, |v| v.groups);
    let split = spec.split.as_ref();
    // "(the validation set of split.fraction = 0.9)" where a split made the set
    let of_split = |name: &str| {
        split.map_or(String::new(), |s| {
            format!(
                ", the {name} set of split.fraction = {}",
                format_number(s.fraction)
            )
        })
    };
    let unit = cohort.time_unit.as_deref().unwrap_or("");
    for (name, rows) in &sets {
        let events = rows.iter().filter(|&&i| cohort.status[i]).count();
        if split.is_some() && (rows.len() < groups.max(2) || events < 2) {
            return Err(StudyError::Study(format!(
                "{}, field split.fraction: the split leaves {} patients ({events} events) in the {name} set \
                 of {}: each set needs at least {} patients (validation.groups) and 2 events\n  \
                 hint: choose a fraction that leaves patients with events in both sets, e.g. 0.7",
                spec.path,
                rows.len(),
                cohort.n(),
                groups.max(2)
            )));
        }
        let (first, last) = rows
            .iter()
            .map(|&i| cohort.time[i])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
                (lo.min(t), hi.max(t))
            });
        let bad = |t: f64, text: &str, at: f64| {
            StudyError::Study(
                format!(
                    "{}, field validation.horizons: horizon {} is {text} of the {name} set ({} {unit}{}; \
                     {} patients)\n  hint: choose horizons within the follow-up of every set",
                    spec.path,
                    format_number(t),
                    format_number(at),
                    of_split(name),
                    rows.len()
                )
                .replace(" ;", ";")
                .replace(" ,", ","),
            )
        };
        if let Some(&t) = times.iter().find(|&&t| t >= last) {
            return Err(bad(t, "not before the last follow-up time", last));
        }
        if let Some(&t) = times.iter().find(|&&t| t < first) {
            return Err(bad(t, "before the first follow-up time", first));
        }
    }
    Ok(())
}

/// An error of a step on one set, with the set and the specification field that made it
/// (`split.fraction`) where the cohort is split: a set that a small fraction leaves too small
/// fails inside the analysis (a level without events, a singular fit).
pub(super) fn in_set(r: &Run, name: &str, e: StudyError) -> StudyError {
    let Some(s) = r.spec.split.as_ref() else {
        return e;
    };
    if matches!(e, StudyError::Interrupted(_)) || e.to_string().contains("interrupted") {
        return e;
    }
    let which = if name == "development" {
        registry::Split::Development
    } else {
        registry::Split::Validation
    };
    let rows = r.cohort.rows_in(which);
    let events = rows.iter().filter(|&&i| r.cohort.status[i]).count();
    StudyError::Study(format!(
        "{}, field split.fraction = {}: the {name} set ({} patients, {events} events): {e}\n  \
         hint: a larger set may help: change split.fraction or split.seed, or merge rare levels",
        r.spec.path,
        format_number(s.fraction),
        rows.len()
    ))
}
