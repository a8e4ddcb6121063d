//! The whole nomogram study from a registry export and a study specification: cohort selection
//! with the attrition table, the development/validation split, Table 1, univariable and
//! multivariable Cox tables, factor selection, the model file, the nomogram, discrimination and
//! calibration in both sets (bootstrap optimism-corrected in development), risk groups chosen on
//! development and applied to validation, and every table and figure of the paper, assembled into
//! `report.html` (self-contained) and `report.md`.
//!
//! Everything is computed in memory and returned as named files; the caller writes them. The
//! output depends only on the inputs: no time stamps, seeded resampling, sorted maps, so two runs
//! give byte-identical files.

use crate::data::cohort::{self, Prepared};
use crate::data::csv::Table;
use crate::data::registry::{
    self, Cohort, RegistryError, RiskMethod, RiskScale, SelectionMethod, Split, StudySpec,
};
use crate::model::card::{
    ModelCard, RiskGroupCard, RiskScale as CardScale, ValidationCard, ValueLabel,
};
use crate::model::file::{CovariateSummary, ModelFile};
use crate::model::nomogram::{Nomogram, NomogramOptions, TickValue};
use crate::model::riskgroups::{self, RiskGroups};
use crate::model::selection::{self, Factor, Selection, SelectionResult};
use crate::model::spec::format_number;
use crate::model::spec::CovariateSpec;
use crate::model::validation::{self, EvalData, ValidationOptions, ValidationReport};
use crate::plot::{self, Figure, ImageFormat};
use crate::report::calculator::{calculator_html, CalculatorOptions};
use crate::report::doc::{csv_text, Doc, TableKind};
use crate::report::format::{
    fmt_est_ci, fmt_hr_ci, fmt_median_ci, fmt_p, fmt_plain, fmt_sig_short, p_phrase, NOT_REACHED,
    NR,
};
use crate::report::table1;
use crate::report::text::{attrition_text, risk_group_labels};
use crate::stats::control::Control;
use crate::stats::cox::{self, CoefRow, CoxOptions, FitExtras};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;
use thiserror::Error;

mod checks;
mod tables;
use checks::{check_split_and_horizons, in_set};
use tables::{cox_table, follow_up_row, follow_up_sentence, full, full_opt, table1_of};
mod figures;
use figures::validation_figures;
mod diagnostics;
mod tripod;
use diagnostics::ph_section;
mod risk_groups;
use risk_groups::risk_group_section;
mod competing;
mod competing_validation;
use competing::competing_section;

/// Why the study could not be run.
#[derive(Debug, Error)]
pub enum StudyError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Data(#[from] crate::data::csv::DataError),
    #[error("Cox model: {0}")]
    Cox(#[from] cox::CoxError),
    #[error("validation: {0}")]
    Validation(#[from] validation::ValidationError),
    #[error("nomogram: {0}")]
    Nomogram(#[from] crate::model::nomogram::NomogramError),
    #[error("risk groups: {0}")]
    RiskGroups(#[from] riskgroups::RiskGroupError),
    #[error("Table 1: {0}")]
    Table1(#[from] table1::Table1Error),
    #[error("figure: {0}")]
    Plot(#[from] plot::PlotError),
    #[error("{0}")]
    Study(String),
    #[error("{0}")]
    Interrupted(#[from] crate::stats::control::Interrupted),
}

/// Options of a run (the specification holds the rest).
#[derive(Debug, Clone, PartialEq)]
pub struct StudyOptions {
    /// Bootstrap resamples, overriding `[validation] bootstrap`. Default: the specification's.
    pub bootstrap: Option<usize>,
    /// The formats each figure is written in besides SVG (always written: the report shows
    /// it). Default PNG (300 dpi) and PDF (vector).
    pub formats: Vec<ImageFormat>,
}

impl Default for StudyOptions {
    fn default() -> Self {
        StudyOptions {
            bootstrap: None,
            formats: vec![ImageFormat::Svg, ImageFormat::Png, ImageFormat::Pdf],
        }
    }
}

/// The study's outputs: named files, and a text summary for the terminal.
#[derive(Debug, Clone)]
pub struct StudyOutput {
    pub files: Vec<(String, Vec<u8>)>,
    pub summary: String,
}

/// One data set of the study (development or validation) prepared for the model.
struct SetData {
    name: &'static str,
    prepared_design: cox::Design,
    surv: crate::stats::surv::Surv,
    strata: Vec<usize>,
    report: ValidationReport,
    scores: Vec<f64>,
    risk: Option<RiskGroups>,
}

/// Display label of a term: "Age (years)", or "Stage: III" for a level's dummy.
fn term_label(spec: &StudySpec, term: &str) -> String {
    let (name, level) = match term.split_once('=') {
        Some((n, l)) => (n, Some(l)),
        None => (term, None),
    };
    let label = spec
        .covariates
        .iter()
        .find(|c| c.name == name)
        .map_or(name.to_string(), |c| c.display().to_string());
    match level {
        Some(l) => format!("{label}: {l}"),
        None => label,
    }
}

fn hr_cell(r: &CoefRow) -> String {
    fmt_hr_ci(r.hr, r.hr_lower, r.hr_upper)
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The output collector: files by name, figures in SVG and the other formats asked for.
struct Files {
    files: Vec<(String, Vec<u8>)>,
    formats: Vec<ImageFormat>,
}

impl Files {
    fn add(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.push((name.to_string(), bytes));
    }

    fn table(&mut self, name: &str, header: &[String], rows: &[Vec<String>]) {
        self.add(&format!("{name}.csv"), csv_text(header, rows));
    }

    /// Renders a figure as `name.svg` (and `name.png`, `name.pdf`, ...) and returns the SVG
    /// text.
    fn figure<F: Figure>(&mut self, name: &str, fig: &F) -> Result<String, StudyError> {
        let id = name.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let r = plot::Rendering::new(fig, &format!("f-{id}"))?;
        let svg = r.svg();
        self.add(&format!("{name}.svg"), svg.clone().into_bytes());
        for &f in &self.formats.clone() {
            if f != ImageFormat::Svg {
                self.add(&format!("{name}.{}", f.extension()), r.encode(f)?);
            }
        }
        Ok(svg)
    }
}

/// `formats` with SVG first (the report shows the SVG).
fn with_svg(formats: &[ImageFormat]) -> Vec<ImageFormat> {
    let mut v = vec![ImageFormat::Svg];
    v.extend(formats.iter().filter(|&&f| f != ImageFormat::Svg));
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn horizons(spec: &StudySpec, unit: Option<&str>) -> Vec<f64> {
    if let Some(v) = &spec.validation {
        if !v.horizons.is_empty() {
            return v.horizons.clone();
        }
    }
    let per_year: f64 = match unit.map(|u| u.to_ascii_lowercase()) {
        Some(u) if u.starts_with("day") => 365.25,
        Some(u) if u.starts_with("week") => 365.25 / 7.0,
        Some(u) if u.starts_with("year") => 1.0,
        _ => 12.0,
    };
    [1.0, 3.0, 5.0]
        .iter()
        .map(|y| (y * per_year).round())
        .collect()
}

/// What every step of a run reads: the specification, the derived cohort and the analysis
/// choices taken from the specification and the options.
struct Run<'a> {
    spec: &'a StudySpec,
    cohort: Cohort,
    export_name: String,
    spec_bytes: Vec<u8>,
    unit: Option<String>,
    /// The time unit, or "" when the specification names none.
    unit_s: String,
    times: Vec<f64>,
    /// The horizons' names, one per time ("1 year").
    horizon_labels: Vec<String>,
    bootstrap: usize,
    seed: u64,
    groups: usize,
    has_split: bool,
    /// Progress of the bootstrap and the request to stop, looked at between steps.
    control: Control<'a>,
}

impl Run<'_> {
    /// `Err` when the run has been asked to stop: between two steps, `done` of them done.
    fn checkpoint(&self, done: u64) -> Result<(), StudyError> {
        Ok(self.control.check("study steps", done, STEPS)?)
    }

    /// The name of horizon `t`: the specification's label, or one derived from the time unit.
    fn horizon_label(&self, t: f64) -> String {
        self.times
            .iter()
            .position(|&x| x == t)
            .and_then(|k| self.horizon_labels.get(k).cloned())
            .unwrap_or_else(|| crate::report::format::horizon_label(t, self.unit.as_deref()))
    }
}

/// What the steps write: the files, the report and the terminal summary.
struct Out {
    files: Files,
    doc: Doc,
    summary: String,
}

/// The model of the study, fitted on the development set.
struct Fitted {
    /// All listed factors on the development rows (univariable models, selection).
    selection: SelectionResult,
    /// How every listed factor enters a model (levels and reference of categorical ones).
    all_covariates: Vec<CovariateSpec>,
    /// The factors in the multivariable model.
    chosen: Vec<String>,
    /// The development rows prepared for the chosen factors.
    prep: Prepared,
    model: ModelFile,
    fit_opts: CoxOptions,
}

/// Runs the study on `export` (or the specification's source file): one step per section of
/// the report, in the report's order.
pub fn run(
    spec: &StudySpec,
    export: &Path,
    opts: &StudyOptions,
) -> Result<StudyOutput, StudyError> {
    run_with(spec, export, opts, &Control::default())
}

/// The steps of [`run_with`] between which it looks at its control.
const STEPS: u64 = 9;

/// [`run`], telling `control` of the bootstrap's progress and stopping between steps and between
/// resamples when it is cancelled ([`StudyError::Interrupted`], or a validation error that says
/// so). The outputs do not depend on `control`.
pub fn run_with(
    spec: &StudySpec,
    export: &Path,
    opts: &StudyOptions,
    control: &Control<'_>,
) -> Result<StudyOutput, StudyError> {
    // the report's p-values in the specification's style, on this thread for the run
    let _p_style = crate::report::format::PStyle::named(spec.report.p_values.name())
        .unwrap_or_default()
        .enter();
    let mut r = prepare_run(spec, export, opts)?;
    r.control = *control;
    r.checkpoint(1)?;
    let mut o = report_header(&r, opts);
    cohort_section(&r, &mut o);
    table1_section(&r, &mut o)?;
    r.checkpoint(2)?;
    let fitted = fit_model(&r).map_err(|e| in_set(&r, "development", e))?;
    cox_section(&r, &mut o, &fitted);
    r.checkpoint(3)?;
    ph_section(&r, &mut o, &fitted)?;
    r.checkpoint(4)?;
    let nom = nomogram_section(&r, &mut o, &fitted.model)?;
    r.checkpoint(5)?;
    let mut sets = evaluate_sets(&r, &fitted, &nom)?;
    discrimination_section(&r, &mut o, &sets);
    r.checkpoint(6)?;
    calibration_section(&r, &mut o, &fitted.model, &sets)?;
    let groups = risk_group_section(&r, &mut o, &nom, &mut sets)?;
    r.checkpoint(7)?;
    competing_section(&r, &mut o, &fitted)?;
    r.checkpoint(8)?;
    calculator_section(&r, &mut o, &fitted.model, &sets, groups)?;
    files_section(&mut o);
    tripod::tripod_section(&r, &mut o);
    let out = finish(&r, o)?;
    r.checkpoint(STEPS)?;
    Ok(out)
}

/// Reads the export, derives the cohort and settles the horizons, bootstrap, seed and groups.
fn prepare_run<'a>(
    spec: &'a StudySpec,
    export: &Path,
    opts: &StudyOptions,
) -> Result<Run<'a>, StudyError> {
    let spec_bytes = std::fs::read(&spec.path).unwrap_or_default();
    let table = registry::read_export(spec, export)?;
    let cohort = registry::derive_cohort(spec, &table)?;
    drop(table);
    if cohort.n() == 0 {
        return Err(StudyError::Study(format!(
            "no patient remains after the inclusion rules:\n{}",
            attrition_text(&cohort.attrition)
        )));
    }
    let unit = cohort.time_unit.clone();
    let times = horizons(spec, unit.as_deref());
    check_split_and_horizons(spec, &cohort, &times)?;
    let horizon_labels = match spec.validation.as_ref() {
        Some(v) if !v.horizon_labels.is_empty() && v.horizon_labels.len() == times.len() => {
            v.horizon_labels.clone()
        }
        _ => times
            .iter()
            .map(|&t| crate::report::format::horizon_label(t, unit.as_deref()))
            .collect(),
    };
    let vspec = spec.validation.as_ref();
    let export_name = export
        .file_name()
        .map_or(export.display().to_string(), |f| {
            f.to_string_lossy().into_owned()
        });
    Ok(Run {
        spec,
        has_split: cohort.split.is_some(),
        cohort,
        export_name,
        spec_bytes,
        unit_s: unit.clone().unwrap_or_default(),
        unit,
        times,
        horizon_labels,
        bootstrap: opts
            .bootstrap
            .unwrap_or_else(|| vspec.map_or(0, |v| v.bootstrap)),
        seed: vspec.map_or(2021, |v| v.seed),
        groups: vspec.map_or(5, |v| v.groups),
        control: Control::default(),
    })
}

/// The report's title, description and provenance line.
fn report_header(r: &Run, opts: &StudyOptions) -> Out {
    let spec = r.spec;
    let title = spec.study.title.clone().unwrap_or(spec.study.name.clone());
    let mut doc = Doc::new(&title);
    doc.h(1, &title);
    if let Some(d) = &spec.study.description {
        doc.p(d.trim());
    }
    doc.p(&format!(
        "Export {} (SHA-256 {}); specification {} (SHA-256 {}); prognosis {}; seed {}; \
         {} bootstrap resamples.",
        r.export_name,
        r.cohort.sha256,
        spec_file_name(spec),
        sha256_hex(&r.spec_bytes),
        env!("CARGO_PKG_VERSION"),
        r.seed,
        r.bootstrap
    ));
    Out {
        files: Files {
            files: Vec::new(),
            formats: opts.formats.clone(),
        },
        doc,
        summary: String::new(),
    }
}

fn spec_file_name(spec: &StudySpec) -> String {
    Path::new(&spec.path)
        .file_name()
        .map_or(spec.path.clone(), |f| f.to_string_lossy().into_owned())
}

/// 1. Cohort selection: the attrition table and the analysis file.
fn cohort_section(r: &Run, o: &mut Out) {
    let Out {
        files,
        doc,
        summary,
    } = o;
    let (cohort, has_split) = (&r.cohort, r.has_split);
    doc.h(2, "1. Cohort selection");
    let mut header = strings(&["step", "excluded", "remaining"]);
    if has_split {
        header.extend(strings(&["development", "validation"]));
    }
    let a = &cohort.attrition;
    let mut rows = vec![{
        let mut r = vec![
            "Export rows".to_string(),
            String::new(),
            a.start.all.to_string(),
        ];
        if has_split {
            r.push(a.start.development.map_or(String::new(), |v| v.to_string()));
            r.push(a.start.validation.map_or(String::new(), |v| v.to_string()));
        }
        r
    }];
    for s in &a.steps {
        let mut r = vec![
            s.label.clone(),
            s.excluded.all.to_string(),
            s.remaining.all.to_string(),
        ];
        if has_split {
            r.push(
                s.remaining
                    .development
                    .map_or(String::new(), |v| v.to_string()),
            );
            r.push(
                s.remaining
                    .validation
                    .map_or(String::new(), |v| v.to_string()),
            );
        }
        rows.push(r);
    }
    let mut notes =
        vec!["Each patient is counted under the first rule that excludes them.".to_string()];
    if let (Some(c), Some(cr)) = (&a.causes, &r.spec.competing_risks) {
        let [ev, comp] = cr.cause_labels();
        for (label, n) in [
            (format!("Study cohort: {ev}"), c.events),
            (format!("Study cohort: {comp}"), c.competing),
            ("Study cohort: censored".to_string(), c.censored),
        ] {
            let mut row = vec![label, String::new(), n.all.to_string()];
            if has_split {
                row.push(n.development.map_or(String::new(), |v| v.to_string()));
                row.push(n.validation.map_or(String::new(), |v| v.to_string()));
            }
            rows.push(row);
        }
        notes.push(
            "The last three rows divide the study cohort by how follow-up ended: the event of \
             interest, the competing event, or censored."
                .to_string(),
        );
    }
    doc.numbered_table(
        TableKind::Supplementary,
        "Cohort selection: patients excluded by each inclusion rule, in order",
        &header,
        &rows,
        &notes,
    );
    files.table("attrition", &header, &rows);
    doc.p(&format!(
        "{} patients and {} events remain{}.",
        cohort.n(),
        cohort.events(),
        if has_split {
            format!(
                "; {} in development and {} in validation",
                cohort.rows_in(Split::Development).len(),
                cohort.rows_in(Split::Validation).len()
            )
        } else {
            String::new()
        }
    ));
    flow_figure(r, files, doc);
    doc.p(&outcome_sentence(r));
    doc.p(&follow_up_sentence(r));
    let _ = writeln!(summary, "{}", attrition_text(a).trim_end());
    files.add("analysis.csv", cohort.to_csv());
}

/// The flow diagram of the attrition (Figure 1). Not drawn when it cannot be (a failed figure
/// must not stop the study: the attrition table holds the same numbers).
fn flow_figure(r: &Run, files: &mut Files, doc: &mut Doc) {
    let (c, a) = (&r.cohort, &r.cohort.attrition);
    let total: usize = a.steps.iter().map(|s| s.excluded.all).sum();
    let mut excluded = vec![format!("Excluded (n = {total}), by inclusion rule:")];
    excluded.extend(
        a.steps
            .iter()
            .filter(|s| s.excluded.all > 0)
            .map(|s| format!("{}: {}", s.label, s.excluded.all)),
    );
    if total == 0 {
        excluded.clear();
    }
    let sets = if r.has_split {
        [Split::Development, Split::Validation]
            .iter()
            .map(|&w| {
                let rows = c.rows_in(w);
                let events = rows.iter().filter(|&&i| c.status[i]).count();
                vec![
                    if w == Split::Development {
                        "Development set".to_string()
                    } else {
                        "Validation set".to_string()
                    },
                    format!("n = {}, {} events", rows.len(), events),
                ]
            })
            .collect()
    } else {
        Vec::new()
    };
    let fig = plot::flow::FlowFigure {
        start: vec![
            format!("Rows of the export {}", r.export_name),
            format!("n = {}", a.start.all),
        ],
        excluded,
        cohort: vec![
            "Study cohort".to_string(),
            format!("n = {}, {} events", c.n(), c.events()),
        ],
        sets,
    };
    if let Ok(svg) = files.figure("flow", &fig) {
        doc.figure(
            "flow.svg",
            &svg,
            "Flow of patients: the export's rows, those excluded by each inclusion rule, and the \
             study cohort with its development and validation sets.",
        );
    }
}

/// The outcome's definition: the event and censoring labels, the time and the horizons.
fn outcome_sentence(r: &Run) -> String {
    let o = &r.spec.outcome;
    let quote = |v: &[String]| {
        v.iter()
            .map(|l| format!("'{l}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "Outcome: an event where '{}' is {}, censored where it is {}; time from '{}'{}. \
         Predictions at {}.",
        o.event.column,
        quote(&o.event.event),
        quote(&o.event.censor),
        o.time.column,
        if r.unit_s.is_empty() {
            String::new()
        } else {
            format!(" in {}", r.unit_s)
        },
        r.horizon_labels.join(", ")
    );
    if let Some(s) = &r.spec.split {
        let _ = write!(
            text,
            " The cohort is split at random (seed {}) into {:.0}% for development and the rest \
             for validation{}.",
            s.seed,
            100.0 * s.fraction,
            if s.stratify == registry::Stratify::Event {
                ", separately for patients with and without the event"
            } else {
                ""
            }
        );
    }
    text
}

/// 2. Patient characteristics (Table 1).
fn table1_section(r: &Run, o: &mut Out) -> Result<(), StudyError> {
    let Out { files, doc, .. } = o;
    let (spec, cohort, has_split) = (r.spec, &r.cohort, r.has_split);
    doc.h(2, "2. Patient characteristics");
    let mut t1 = table1_of(spec, cohort)?;
    t1.rows.push(follow_up_row(r));
    let mut header = strings(&["characteristic", "level"]);
    header.extend(t1.columns.iter().cloned());
    if has_split {
        header.push("p".into());
    }
    let rows: Vec<Vec<String>> = t1
        .rows
        .iter()
        .map(|r| {
            let mut v = vec![r.variable.clone(), r.level.clone()];
            v.extend(r.cells.iter().cloned());
            if has_split {
                v.push(r.p.map_or(String::new(), fmt_p));
            }
            v
        })
        .collect();
    let mut notes = vec![
        "Numbers are n (%) or median (interquartile range); follow-up by the reverse \
         Kaplan–Meier method (censoring counted as the event), NR where a quartile is not \
         reached."
            .to_string(),
    ];
    if has_split {
        notes.push(
            "p compares the development and validation sets: chi-square test (Yates-corrected \
             for two levels) for categories, Wilcoxon rank-sum test for numbers."
                .to_string(),
        );
    }
    doc.numbered_table(
        TableKind::Main,
        &format!(
            "Patient characteristics{}",
            if has_split {
                " in the development and validation sets"
            } else {
                ""
            }
        ),
        &header,
        &rows,
        &notes,
    );
    // the CSV keeps the p-values in full
    let csv_rows: Vec<Vec<String>> = t1
        .rows
        .iter()
        .zip(&rows)
        .map(|(t, r)| {
            let mut r = r.clone();
            if has_split {
                if let Some(last) = r.last_mut() {
                    *last = full_opt(t.p);
                }
            }
            r
        })
        .collect();
    files.table("table1", &header, &csv_rows);
    Ok(())
}

/// Univariable models of every listed factor, the selection, and the multivariable model on the
/// development set.
fn fit_model(r: &Run) -> Result<Fitted, StudyError> {
    let (spec, cohort) = (r.spec, &r.cohort);
    let dev = cohort.subset(&cohort.rows_in(Split::Development));
    let dev_table = dev.to_table();
    let req_all = dev.fit_request();
    let prep_all = cohort::prepare(&dev_table, &req_all)?;
    let factors = factors_of(&prep_all);
    let fit_opts = CoxOptions::default();
    let how = match spec.selection.method {
        SelectionMethod::All => Selection::All,
        SelectionMethod::Univariable => Selection::Univariable {
            p_threshold: spec.selection.threshold(),
        },
        SelectionMethod::BackwardAic => Selection::BackwardAic,
    };
    let sel = selection::select(
        &prep_all.design,
        &prep_all.surv,
        FitExtras::default(),
        &factors,
        &how,
        &fit_opts,
    )?;
    let mut chosen: Vec<String> = spec
        .covariates
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| sel.selected.contains(n) || spec.selection.force.contains(n))
        .collect();
    if chosen.is_empty() {
        return Err(StudyError::Study(
            "no factor was selected for the multivariable model: relax [selection]".into(),
        ));
    }
    chosen.dedup();
    let req = req_all.with_covariates(&chosen);
    let prep = cohort::prepare(&dev_table, &req)?;
    let fit = cox::fit(&prep.design, &prep.surv, FitExtras::default(), &fit_opts)?;
    let model = cohort::model_file(&dev_table, &prep, fit);
    model.check().map_err(|detail| {
        StudyError::Study(format!(
            "the multivariable model ({}) cannot predict: {detail}; a coefficient may be infinite \
             (a level without events) or the fit did not converge: merge or drop that factor in the specification",
            chosen.join(", ")
        ))
    })?;
    Ok(Fitted {
        selection: sel,
        all_covariates: prep_all.spec.covariates.clone(),
        chosen,
        prep,
        model,
        fit_opts,
    })
}

/// 3. Cox regression in the development set: Table 2 and the model's coefficients.
fn cox_section(r: &Run, o: &mut Out, f: &Fitted) {
    let Out {
        files,
        doc,
        summary,
    } = o;
    let spec = r.spec;
    let (sel, chosen, model) = (&f.selection, &f.chosen, &f.model);
    files.add("model.json", model.to_json().into_bytes());
    doc.h(2, "3. Cox regression in the development set");
    doc.p(&selection_sentence(spec, sel, chosen));
    let params = model.fit.coef.len();
    let candidates: usize = f.all_covariates.iter().map(|c| c.terms().len()).sum();
    let per = |k: usize| format_number((model.fit.events as f64 / k.max(1) as f64).floor());
    doc.p(&format!(
        "{} events in {} patients of the development set: {} events per parameter of the \
         model ({params} parameters), {} per candidate parameter ({candidates}).",
        model.fit.events,
        model.fit.n,
        per(params),
        per(candidates),
    ));
    let t2 = cox_table(r, f);
    let mut notes = vec![format!(
        "HR, hazard ratio; CI, confidence interval; p from the Wald test. Univariable: one Cox \
         model per factor; multivariable: the model of the factors that entered it (n = {}, \
         events = {}; likelihood-ratio test {:.2} on {} df, p {}); Efron ties. Factors left out \
         of the multivariable model have no entry there.",
        model.fit.n,
        model.fit.events,
        model.fit.likelihood_ratio.statistic,
        model.fit.likelihood_ratio.df,
        p_phrase(model.fit.likelihood_ratio.p)
    )];
    if !t2.three_decimals.is_empty() {
        notes.push(format!(
            "Hazard ratios of {} are shown to three decimals, as two would print them as 1.00 \
             or equal to a confidence limit. A continuous factor's hazard ratio is per one unit \
             of it.",
            t2.three_decimals.join(", ")
        ));
    }
    doc.numbered_table(
        TableKind::Main,
        "Univariable and multivariable Cox regression in the development set",
        &t2.header,
        &t2.rows,
        &notes,
    );
    files.table("cox_regression", &t2.header, &t2.rows);
    // machine tables: full precision
    let uni_header = strings(&[
        "factor",
        "term",
        "hr",
        "hr_lower",
        "hr_upper",
        "p",
        "likelihood_ratio_p",
    ]);
    let uni_rows: Vec<Vec<String>> = sel
        .univariable
        .iter()
        .flat_map(|u| {
            u.rows.iter().map(move |c| {
                vec![
                    term_label(spec, &u.factor),
                    c.term.clone(),
                    full(c.hr),
                    full(c.hr_lower),
                    full(c.hr_upper),
                    full(c.p),
                    full(u.p),
                ]
            })
        })
        .collect();
    files.table("cox_univariable", &uni_header, &uni_rows);
    let mv_header = strings(&[
        "factor", "term", "coef", "se", "hr", "hr_lower", "hr_upper", "p",
    ]);
    let coefs = model.fit.coefficients();
    let mv_rows: Vec<Vec<String>> = coefs
        .iter()
        .map(|c| {
            vec![
                term_label(spec, &c.term),
                c.term.clone(),
                full(c.coef),
                full(c.se),
                full(c.hr),
                full(c.hr_lower),
                full(c.hr_upper),
                full(c.p),
            ]
        })
        .collect();
    files.table("cox_multivariable", &mv_header, &mv_rows);
    // the full model, for readers who compute predictions themselves
    let model_rows: Vec<Vec<String>> = coefs
        .iter()
        .zip(&model.fit.means)
        .map(|(c, m)| {
            vec![
                term_label(spec, &c.term),
                fmt_plain(c.coef, 4),
                fmt_plain(c.se, 3),
                fmt_plain(*m, 4),
            ]
        })
        .collect();
    let mut model_notes = vec![
        "Linear predictor = sum of coefficient × (value − centring mean); the predicted survival \
         at time t is S0(t)^exp(linear predictor)."
            .to_string(),
    ];
    if let Some(b) = model.fit.baseline.first() {
        let s0: Vec<String> = r
            .times
            .iter()
            .map(|&t| {
                let h = b.index_at(t).map_or(0.0, |k| b.cumhaz[k]);
                format!("S0({}) = {:.4}", r.horizon_label(t), (-h).exp())
            })
            .collect();
        model_notes.push(format!(
            "Baseline survival at the centring means: {}.",
            s0.join("; ")
        ));
    }
    doc.numbered_table(
        TableKind::Supplementary,
        "The multivariable model: coefficients, standard errors and centring means",
        &strings(&["term", "coefficient", "standard error", "centring mean"]),
        &model_rows,
        &model_notes,
    );
    let _ = writeln!(
        summary,
        "\nMultivariable model (development, n = {}, events = {}): {}",
        model.fit.n,
        model.fit.events,
        chosen.join(", ")
    );
}

/// 4. The nomogram: figure, points table and the total-points conversion.
fn nomogram_section(r: &Run, o: &mut Out, model: &ModelFile) -> Result<Nomogram, StudyError> {
    let Out { files, doc, .. } = o;
    let (spec, times) = (r.spec, &r.times);
    doc.h(2, "4. Nomogram");
    let nom = Nomogram::from_model(
        model,
        &NomogramOptions {
            times: times.clone(),
            ..Default::default()
        },
    )?;
    let labels: Vec<String> = model
        .spec
        .covariates
        .iter()
        .map(|c| term_label(spec, &c.name))
        .collect();
    // names of numeric values from the specification ("Yes" for 1), per model term
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
    fig.horizon_labels = times.iter().map(|&t| (t, r.horizon_label(t))).collect();
    let svg = files.figure("nomogram", &fig)?;
    doc.figure(
        "nomogram.svg",
        &svg,
        &format!(
            "Nomogram predicting survival at {}. Add the points of each factor, find the total \
             on the total-points axis and read the predicted survival below it.",
            r.horizon_labels.join(", ")
        ),
    );
    let mut pts_rows = Vec::new();
    for ((v, label), names) in nom.variables.iter().zip(&labels).zip(&value_labels) {
        for t in &v.axis {
            pts_rows.push(vec![
                label.clone(),
                plot::nomogram::tick_value_label(&t.value, names),
                format!("{:.1}", t.points),
            ]);
        }
    }
    let pts_header = strings(&["factor", "value", "points"]);
    doc.h(3, "Points");
    doc.numbered_table(
        TableKind::Supplementary,
        "Nomogram points of each factor's values",
        &pts_header,
        &pts_rows,
        &[],
    );
    files.table("nomogram_points", &pts_header, &pts_rows);
    let mut conv_header = strings(&["total points", "linear predictor"]);
    conv_header.extend(times.iter().map(|&t| {
        format!(
            "{} survival",
            crate::report::format::horizon_adjective(&r.horizon_label(t))
        )
    }));
    let conv_rows: Vec<Vec<String>> = nom
        .total_points
        .iter()
        .map(|&tp| {
            let mut r = vec![format_number(tp), format!("{:.3}", nom.lp_of_points(tp))];
            r.extend(nom.horizons.iter().map(|h| {
                crate::report::text::survival_at_points(&h.axis, tp)
                    .map_or("-".into(), |s| format!("{:.3}", s))
            }));
            r
        })
        .collect();
    doc.numbered_table(
        TableKind::Supplementary,
        "Total points, linear predictor and predicted survival",
        &conv_header,
        &conv_rows,
        &[format!(
            "Linear predictor centred as rms::cph, at every factor's development mean; \
             survival at {}.",
            r.horizon_labels.join(", ")
        )],
    );
    files.table("nomogram_total_points", &conv_header, &conv_rows);
    Ok(nom)
}

/// Discrimination and calibration of the model in each set (bootstrap in development), and each
/// patient's nomogram points.
fn evaluate_sets(r: &Run, f: &Fitted, nom: &Nomogram) -> Result<Vec<SetData>, StudyError> {
    let (cohort, times, has_split) = (&r.cohort, &r.times, r.has_split);
    let (groups, bootstrap, seed) = (r.groups, r.bootstrap, r.seed);
    let (prep, model, fit_opts) = (&f.prep, &f.model, &f.fit_opts);
    let val_opts = ValidationOptions {
        times: times.clone(),
        groups,
        bootstrap,
        seed,
        ..Default::default()
    };
    let mut sets: Vec<SetData> = Vec::new();
    {
        let zeros = vec![0usize; prep.design.n];
        let eval = EvalData {
            design: &prep.design,
            surv: &prep.surv,
            strata: &zeros,
            weights: None,
        };
        let mut rep = validation::evaluate(&model.fit, eval, &val_opts)
            .map_err(|e| in_set(r, "development", e.into()))?;
        if bootstrap > 0 {
            rep.bootstrap = Some(validation::bootstrap_with(
                eval, fit_opts, &val_opts, &r.control,
            )?);
        }
        sets.push(SetData {
            name: "development",
            prepared_design: prep.design.clone(),
            surv: prep.surv.clone(),
            strata: zeros.clone(),
            report: rep,
            scores: Vec::new(),
            risk: None,
        });
    }
    if has_split {
        let val = cohort.subset(&cohort.rows_in(Split::Validation));
        let val_table: Table = val.to_table();
        let d = cohort::prepare_with_spec(&val_table, &model.spec)?;
        if !d.problems.is_empty() {
            return Err(StudyError::Study(format!(
                "{}, field split.seed / split.fraction: {} validation rows have a level that no \
                 patient of the development set has (first: {} line {}: {})\n  hint: merge the \
                 rare level into another ([[covariates]] map), or change split.seed",
                r.spec.path,
                d.problems.len(),
                r.export_name,
                d.problems[0].0,
                d.problems[0].1
            )));
        }
        let eval = EvalData {
            design: &d.design,
            surv: &d.surv,
            strata: &d.strata,
            weights: None,
        };
        let rep = validation::evaluate(
            &model.fit,
            eval,
            &ValidationOptions {
                bootstrap: 0,
                ..val_opts.clone()
            },
        )
        .map_err(|e| in_set(r, "validation", e.into()))?;
        sets.push(SetData {
            name: "validation",
            prepared_design: d.design.clone(),
            surv: d.surv.clone(),
            strata: d.strata.clone(),
            report: rep,
            scores: Vec::new(),
            risk: None,
        });
    }
    for s in sets.iter_mut() {
        s.scores = (0..s.prepared_design.n)
            .map(|i| {
                let lp = model.fit.linear_predictor(s.prepared_design.row(i));
                nom.points_of_lp(lp - nom.coxph_shift)
            })
            .collect();
        let _ = &s.strata;
    }
    Ok(sets)
}

/// 5. Discrimination: Harrell's and Uno's C and time-dependent AUC per set.
fn discrimination_section(r: &Run, o: &mut Out, sets: &[SetData]) {
    let Out {
        files,
        doc,
        summary,
    } = o;
    let times = &r.times;
    doc.h(2, "5. Discrimination");
    let mut header = strings(&["set", "n", "events", "Harrell's C (95% CI)", "Uno's C"]);
    header.extend(times.iter().map(|&t| format!("AUC {}", r.horizon_label(t))));
    let mut csv_header = strings(&[
        "set",
        "n",
        "events",
        "harrell_c",
        "harrell_c_lower",
        "harrell_c_upper",
        "uno_c",
    ]);
    csv_header.extend(times.iter().map(|&t| format!("auc_{}", format_number(t))));
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    for s in sets.iter() {
        let r = &s.report;
        let mut row = vec![
            s.name.to_string(),
            r.n.to_string(),
            r.events.to_string(),
            fmt_est_ci(r.harrell_c.c, r.harrell_c.lower, r.harrell_c.upper, 3),
            format!("{:.3}", r.uno_c.c),
        ];
        row.extend(
            r.horizons
                .iter()
                .map(|h| h.auc.map_or("-".into(), |a| format!("{a:.3}"))),
        );
        rows.push(row);
        let mut c = vec![
            s.name.to_string(),
            r.n.to_string(),
            r.events.to_string(),
            full(r.harrell_c.c),
            full(r.harrell_c.lower),
            full(r.harrell_c.upper),
            full(r.uno_c.c),
        ];
        c.extend(r.horizons.iter().map(|h| full_opt(h.auc)));
        csv_rows.push(c);
        let _ = writeln!(
            summary,
            "{}: Harrell's C {:.3} (95% CI {:.3}-{:.3}), n = {}, events = {}",
            s.name, r.harrell_c.c, r.harrell_c.lower, r.harrell_c.upper, r.n, r.events
        );
    }
    let mut notes = vec![
        "C, concordance index (95% CI from its standard error); Uno's C with the censoring \
         weights of Uno et al. (2011); AUC, cumulative/dynamic time-dependent area under the ROC \
         curve (inverse probability of censoring weights)."
            .to_string(),
    ];
    if let Some(b) = &sets[0].report.bootstrap {
        notes.push(format!(
            "Bootstrap ({} resamples, seed {}): apparent C {:.3}, optimism {:.3}, \
             optimism-corrected C {:.3}; calibration slope {:.3} corrected to {:.3}.",
            b.resamples,
            b.seed,
            b.apparent.harrell_c,
            b.optimism.harrell_c,
            b.corrected.harrell_c,
            b.apparent.slope,
            b.corrected.slope
        ));
    }
    doc.numbered_table(
        TableKind::Main,
        "Discrimination of the model in each set",
        &header,
        &rows,
        &notes,
    );
    files.table("discrimination", &csv_header, &csv_rows);
}

/// 6. Calibration per set and horizon, with the validation figures.
fn calibration_section(
    r: &Run,
    o: &mut Out,
    model: &ModelFile,
    sets: &[SetData],
) -> Result<(), StudyError> {
    let Out { files, doc, .. } = o;
    doc.h(2, "6. Calibration");
    let header = strings(&[
        "set",
        "horizon",
        "ICI",
        "E50",
        "E90",
        "slope",
        "observed / expected",
    ]);
    let csv_header = strings(&[
        "set",
        "time",
        "horizon",
        "ici",
        "e50",
        "e90",
        "slope",
        "observed_expected",
    ]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    for s in sets.iter() {
        for h in &s.report.horizons {
            let c = &h.calibration;
            let o = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.3}"));
            rows.push(vec![
                s.name.to_string(),
                r.horizon_label(h.time),
                o(c.ici),
                o(c.e50),
                o(c.e90),
                format!("{:.2}", c.slope),
                format!("{:.2}", c.observed_expected),
            ]);
            csv_rows.push(vec![
                s.name.to_string(),
                full(h.time),
                r.horizon_label(h.time),
                full_opt(c.ici),
                full_opt(c.e50),
                full_opt(c.e90),
                full(c.slope),
                full(c.observed_expected),
            ]);
        }
    }
    doc.numbered_table(
        TableKind::Supplementary,
        "Calibration of the model in each set at each horizon",
        &header,
        &rows,
        &[
            "ICI, integrated calibration index (mean absolute difference between the smooth \
           calibration curve and the diagonal); E50 and E90, its median and 90th percentile; \
           slope, calibration slope of the linear predictor; observed / expected, Kaplan–Meier \
           risk over mean predicted risk."
                .to_string(),
        ],
    );
    files.table("calibration", &csv_header, &csv_rows);
    for s in sets.iter() {
        for (name, text) in crate::report::text::validation_files(&s.report) {
            let name = if name == "validation.json" {
                "measures.json".to_string()
            } else {
                name
            };
            files.add(&format!("{}_{name}", s.name), text.into_bytes());
        }
    }
    validation_figures(r, files, doc, model, sets)?;
    Ok(())
}

/// The clinician calculator: the model with its card (labels, validation, risk groups) as one
/// offline page, and the model file rewritten with the card.
fn calculator_section(
    r: &Run,
    o: &mut Out,
    model: &ModelFile,
    sets: &[SetData],
    risk_groups: RiskGroupCard,
) -> Result<(), StudyError> {
    let Out { files, doc, .. } = o;
    let mut card = model_card(r.spec, model);
    card.validation = sets
        .iter()
        .map(|s| ValidationCard::from_report(s.name, &s.report).with_follow_up(&s.surv))
        .collect();
    card.risk_groups = Some(risk_groups);
    let model = model.clone().with_card(card);
    if let Some(f) = files.files.iter_mut().find(|f| f.0 == "model.json") {
        f.1 = model.to_json().into_bytes();
    }
    let title = r
        .spec
        .study
        .title
        .clone()
        .unwrap_or(r.spec.study.name.clone());
    let calc = calculator_html(
        &model,
        &CalculatorOptions {
            times: r.times.clone(),
            title: Some(title),
        },
    )
    .map_err(|e| StudyError::Study(format!("calculator: {e}")))?;
    files.add("calculator.html", calc.into_bytes());
    doc.h(2, "Calculator for clinicians");
    // (not a Markdown link: the report's links are its figures)
    doc.paragraph(
        "`calculator.html` predicts survival for one patient with this model, offline in any \
         browser, with the same numbers as `prognosis score`.",
        "<a href=\"calculator.html\">calculator.html</a> predicts survival for one patient \
         with this model, offline in any browser, with the same numbers as \
         <code>prognosis score</code>.",
    );
    Ok(())
}

/// The card of a model fitted by a study: title, description, the specification's labels of
/// the model's covariates and of their numeric values ("Yes" for 1).
fn model_card(spec: &StudySpec, model: &ModelFile) -> ModelCard {
    let mut card = ModelCard {
        title: Some(
            spec.study
                .title
                .clone()
                .unwrap_or_else(|| spec.study.name.clone()),
        ),
        description: spec.study.description.clone(),
        ..Default::default()
    };
    for c in &model.spec.covariates {
        let Some(def) = spec.covariates.iter().find(|d| d.name == c.name) else {
            continue;
        };
        card.labels
            .insert(c.name.clone(), def.display().to_string());
        let values: Vec<f64> = model
            .covariates
            .iter()
            .find_map(|s| match s {
                CovariateSummary::Numeric { name, values, .. } if *name == c.name => values.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let labels: Vec<ValueLabel> = values
            .iter()
            .filter_map(|&v| {
                registry::value_label(def, v).map(|label| ValueLabel {
                    value: format_number(v),
                    label,
                })
            })
            .collect();
        if !labels.is_empty() {
            card.value_labels.insert(c.name.clone(), labels);
        }
    }
    card
}

/// The list of the study's files (before the checklist, the report's last section).
fn files_section(o: &mut Out) {
    let Out { files, doc, .. } = o;
    doc.h(2, "Files");
    let mut listed: Vec<String> = files.files.iter().map(|f| f.0.clone()).collect();
    listed.extend(strings(&[
        "tripod_checklist.csv",
        "report.docx",
        "report.md",
        "report.html",
        "manifest.json",
    ]));
    doc.p(&format!("This directory holds: {}.", listed.join(", ")));
}

/// The report as a Word document: its figures as 300-dpi PNGs (those written, or rendered from
/// the SVG when PNG was not asked for).
fn report_docx(files: &Files, doc: &Doc) -> Result<Vec<u8>, StudyError> {
    let find = |name: &str| files.files.iter().find(|f| f.0 == name).map(|f| &f.1);
    let figure = |svg_name: &str| -> Option<crate::report::docx::DocxFigure> {
        let svg = String::from_utf8_lossy(find(svg_name)?).into_owned();
        let r = plot::Rendering::from_svg(&svg, "docx").ok()?;
        let png_name = format!("{}.png", svg_name.strip_suffix(".svg")?);
        let png = match find(&png_name) {
            Some(p) => p.clone(),
            None => r.png().ok()?,
        };
        // width and height from the PNG header (IHDR)
        let dim = |k: usize| u32::from_be_bytes([png[k], png[k + 1], png[k + 2], png[k + 3]]);
        let pixels = (png.len() > 24).then(|| (dim(16), dim(20)))?;
        Some(crate::report::docx::DocxFigure {
            png,
            pixels,
            points: r.size(),
        })
    };
    crate::report::docx::docx(doc.blocks(), &figure).map_err(|e| StudyError::Study(e.to_string()))
}

/// The report in both formats and the manifest.
fn finish(r: &Run, o: Out) -> Result<StudyOutput, StudyError> {
    let Out {
        mut files,
        doc,
        summary,
    } = o;
    let (spec, cohort, times) = (r.spec, &r.cohort, &r.times);
    let (seed, bootstrap) = (r.seed, r.bootstrap);
    let word = report_docx(&files, &doc)?;
    files.add("report.docx", word);
    let (md, html) = doc.finish();
    files.add("report.md", md.into_bytes());
    files.add("report.html", html.into_bytes());

    #[derive(Serialize)]
    struct Input {
        role: &'static str,
        file: String,
        sha256: String,
    }
    #[derive(Serialize)]
    struct Manifest<'a> {
        study: &'a str,
        prognosis_version: &'static str,
        inputs: Vec<Input>,
        specification: serde_json::Value,
        seed: u64,
        bootstrap: usize,
        horizons: &'a [f64],
        outputs: Vec<Input>,
    }
    let outputs = files
        .files
        .iter()
        .map(|(n, b)| Input {
            role: "output",
            file: n.clone(),
            sha256: sha256_hex(b),
        })
        .collect();
    let manifest = Manifest {
        study: &spec.study.name,
        prognosis_version: env!("CARGO_PKG_VERSION"),
        inputs: vec![
            Input {
                role: "export",
                file: r.export_name.clone(),
                sha256: cohort.sha256.clone(),
            },
            Input {
                role: "specification",
                file: spec_file_name(spec),
                sha256: sha256_hex(&r.spec_bytes),
            },
        ],
        specification: serde_json::to_value(spec).unwrap_or(serde_json::Value::Null),
        seed,
        bootstrap,
        horizons: times,
        outputs,
    };
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    files.add("manifest.json", text.into_bytes());
    Ok(StudyOutput {
        files: files.files,
        summary,
    })
}

/// Factors (covariates with their term columns) of a prepared design.
fn factors_of(p: &Prepared) -> Vec<Factor> {
    let mut at = 0;
    p.spec
        .covariates
        .iter()
        .map(|c| {
            let k = c.terms().len();
            let f = Factor {
                name: c.name.clone(),
                terms: (at..at + k).collect(),
            };
            at += k;
            f
        })
        .collect()
}

fn selection_sentence(spec: &StudySpec, sel: &SelectionResult, chosen: &[String]) -> String {
    let names = chosen
        .iter()
        .map(|c| term_label(spec, c))
        .collect::<Vec<_>>()
        .join(", ");
    match spec.selection.method {
        SelectionMethod::All => format!("All listed factors enter the model: {names}."),
        SelectionMethod::Univariable => format!(
            "Factors with univariable likelihood-ratio p < {} enter the model: {names}.",
            spec.selection.threshold()
        ),
        SelectionMethod::BackwardAic => {
            let dropped: Vec<String> = sel
                .steps
                .iter()
                .filter_map(|s| s.dropped.as_ref().map(|d| term_label(spec, d)))
                .collect();
            format!(
                "Backward elimination by AIC from all listed factors dropped {}; the model keeps \
                 {names}.",
                if dropped.is_empty() {
                    "none".to_string()
                } else {
                    dropped.join(", ")
                }
            )
        }
    }
}
