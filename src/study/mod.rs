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
    self, Cohort, RegistryError, RiskMethod, RiskScale, SelectionMethod, Split, StudySpec, Values,
};
use crate::model::card::{
    ModelCard, RiskGroupCard, RiskScale as CardScale, ValidationCard, ValueLabel,
};
use crate::model::file::{CovariateSummary, ModelFile};
use crate::model::nomogram::{Nomogram, NomogramOptions, TickValue};
use crate::model::riskgroups::{self, RiskGroups};
use crate::model::selection::{self, Factor, Selection, SelectionResult};
use crate::model::spec::format_number;
use crate::model::validation::{self, EvalData, ValidationOptions, ValidationReport};
use crate::plot::{self, Figure, ImageFormat};
use crate::report::calculator::{calculator_html, CalculatorOptions};
use crate::report::doc::{csv_text, Doc};
use crate::report::format::{fmt_p, fmt_sig, fmt_sig_short, p_phrase};
use crate::report::table1::{self, Table1};
use crate::report::text::{attrition_text, risk_group_labels};
use crate::stats::cox::{self, CoefRow, CoxOptions, FitExtras};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;
use thiserror::Error;

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
    format!(
        "{} ({}–{})",
        fmt_sig(r.hr, 3),
        fmt_sig(r.hr_lower, 3),
        fmt_sig(r.hr_upper, 3)
    )
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

/// Table 1 inputs from the cohort: numeric covariates with more than 5 distinct values as
/// median (IQR); others as levels, named by the specification's labels where it maps them.
fn table1_of(spec: &StudySpec, cohort: &Cohort) -> Result<Table1, StudyError> {
    // (label, numbers, level codes, levels): numbers when levels is empty
    type Column = (String, Vec<f64>, Vec<usize>, Vec<String>);
    let mut owned: Vec<Column> = Vec::new();
    for (c, def) in cohort.covariates.iter().zip(&spec.covariates) {
        let label = c.label.clone();
        match &c.values {
            Values::Numbers(x) => {
                let mut distinct: Vec<f64> = x.clone();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                if distinct.len() <= 5 {
                    let names: Vec<String> = distinct
                        .iter()
                        .map(|v| {
                            registry::value_label(def, *v).unwrap_or_else(|| format_number(*v))
                        })
                        .collect();
                    let codes = x
                        .iter()
                        .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0))
                        .collect();
                    owned.push((label, Vec::new(), codes, names));
                } else {
                    owned.push((label, x.clone(), Vec::new(), Vec::new()));
                }
            }
            Values::Levels { levels, codes } => {
                owned.push((
                    label,
                    Vec::new(),
                    codes.iter().map(|&c| c as usize).collect(),
                    levels.clone(),
                ));
            }
        }
    }
    let vars: Vec<(String, table1::Values)> = owned
        .iter()
        .map(|(name, x, codes, levels)| {
            let v = if levels.is_empty() {
                table1::Values::Numeric(x)
            } else {
                table1::Values::Categorical { codes, levels }
            };
            (name.clone(), v)
        })
        .collect();
    let (group, names): (Vec<usize>, Vec<String>) = match &cohort.split {
        Some(s) => (
            s.iter()
                .map(|&x| usize::from(x == Split::Validation))
                .collect(),
            strings(&["Development", "Validation"]),
        ),
        None => (vec![0; cohort.n()], strings(&["Cohort"])),
    };
    // add follow-up and events
    Ok(table1::table_one(&vars, &group, &names)?)
}

/// Runs the study on `export` (or the specification's source file)./// What every step of a run reads: the specification, the derived cohort and the analysis
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
    bootstrap: usize,
    seed: u64,
    groups: usize,
    has_split: bool,
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
    let r = prepare_run(spec, export, opts)?;
    let mut o = report_header(&r, opts);
    cohort_section(&r, &mut o);
    table1_section(&r, &mut o)?;
    let fitted = fit_model(&r)?;
    cox_section(&r, &mut o, &fitted);
    let nom = nomogram_section(&r, &mut o, &fitted.model)?;
    let mut sets = evaluate_sets(&r, &fitted, &nom)?;
    discrimination_section(&r, &mut o, &sets);
    calibration_section(&r, &mut o, &fitted.model, &sets)?;
    let groups = risk_group_section(&r, &mut o, &nom, &mut sets)?;
    calculator_section(&r, &mut o, &fitted.model, &sets, groups)?;
    Ok(finish(&r, o))
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
        bootstrap: opts
            .bootstrap
            .unwrap_or_else(|| vspec.map_or(0, |v| v.bootstrap)),
        seed: vspec.map_or(2021, |v| v.seed),
        groups: vspec.map_or(5, |v| v.groups),
    })
}

/// A split that leaves a set (almost) empty, or a horizon outside the follow-up of a set, named by
/// the specification field that causes it, before any analysis.
fn check_split_and_horizons(
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
    for (name, rows) in &sets {
        let events = rows.iter().filter(|&&i| cohort.status[i]).count();
        if rows.len() < 2 || events == 0 {
            return Err(StudyError::Study(format!(
                "{}, field split.fraction: the split leaves {} patients ({events} events) in the {name} set \
                 of {}\n  hint: choose a fraction that leaves patients with events in both sets, e.g. 0.7",
                spec.path,
                rows.len(),
                cohort.n()
            )));
        }
        let last = rows
            .iter()
            .map(|&i| cohort.time[i])
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(t) = times.iter().find(|&&t| t >= last) {
            return Err(StudyError::Study(format!(
                "{}, field validation.horizons: horizon {} is not before the last follow-up time of the \
                 {name} set ({} {})\n  hint: choose horizons within the follow-up",
                spec.path,
                crate::model::spec::format_number(*t),
                crate::model::spec::format_number(last),
                cohort.time_unit.as_deref().unwrap_or("")
            )
            .replace(" )", ")")));
        }
    }
    Ok(())
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
    doc.table(&header, &rows);
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
    let _ = writeln!(summary, "{}", attrition_text(a).trim_end());
    files.add("analysis.csv", cohort.to_csv());
}

/// 2. Patient characteristics (Table 1).
fn table1_section(r: &Run, o: &mut Out) -> Result<(), StudyError> {
    let Out { files, doc, .. } = o;
    let (spec, cohort, has_split) = (r.spec, &r.cohort, r.has_split);
    doc.h(2, "2. Patient characteristics");
    let t1 = table1_of(spec, cohort)?;
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
    doc.table(&header, &rows);
    doc.p(
        "Numbers are n (%) or median (interquartile range); p from the chi-square test \
           (Yates-corrected for two levels) or the Wilcoxon rank-sum test.",
    );
    files.table("table1", &header, &rows);
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
        chosen,
        prep,
        model,
        fit_opts,
    })
}

/// 3. Cox regression in the development set: univariable and multivariable tables.
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
    let (uni_header, uni_rows) = univariable_rows(spec, sel);
    doc.h(3, "Univariable analysis");
    doc.table(&uni_header, &uni_rows);
    files.table("cox_univariable", &uni_header, &uni_rows);
    doc.h(3, "Multivariable analysis");
    doc.p(&selection_sentence(spec, sel, chosen));
    let mv_header = strings(&["factor", "coefficient", "HR (95% CI)", "p"]);
    let mv_rows: Vec<Vec<String>> = model
        .fit
        .coefficients()
        .iter()
        .map(|r| {
            vec![
                term_label(spec, &r.term),
                fmt_sig(r.coef, 4),
                hr_cell(r),
                fmt_p(r.p),
            ]
        })
        .collect();
    doc.table(&mv_header, &mv_rows);
    doc.p(&format!(
        "n = {}, events = {}; likelihood-ratio test {:.2} on {} df, p {}; Efron ties.",
        model.fit.n,
        model.fit.events,
        model.fit.likelihood_ratio.statistic,
        model.fit.likelihood_ratio.df,
        p_phrase(model.fit.likelihood_ratio.p)
    ));
    files.table("cox_multivariable", &mv_header, &mv_rows);
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
    let (spec, times, unit_s) = (r.spec, &r.times, &r.unit_s);
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
    let svg = files.figure("nomogram", &fig)?;
    doc.figure(
        "nomogram.svg",
        &svg,
        &format!(
            "Nomogram predicting survival at {} {unit_s}. Add the points of each factor, find the \
             total on the total-points axis and read the predicted survival below it.",
            times
                .iter()
                .map(|t| format_number(*t))
                .collect::<Vec<_>>()
                .join(", ")
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
    doc.table(&pts_header, &pts_rows);
    files.table("nomogram_points", &pts_header, &pts_rows);
    let mut conv_header = strings(&["total points", "linear predictor"]);
    conv_header.extend(
        times
            .iter()
            .map(|t| format!("{}-{} survival", format_number(*t), singular(unit_s))),
    );
    let conv_rows: Vec<Vec<String>> = nom
        .total_points
        .iter()
        .map(|&tp| {
            let mut r = vec![format_number(tp), fmt_sig(nom.lp_of_points(tp), 4)];
            r.extend(nom.horizons.iter().map(|h| {
                crate::report::text::survival_at_points(&h.axis, tp)
                    .map_or("-".into(), |s| format!("{:.3}", s))
            }));
            r
        })
        .collect();
    doc.table(&conv_header, &conv_rows);
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
        let mut rep = validation::evaluate(&model.fit, eval, &val_opts)?;
        if bootstrap > 0 {
            rep.bootstrap = Some(validation::bootstrap(eval, fit_opts, &val_opts)?);
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
                "{} validation rows have a level the development set lacks (first: line {}: {})",
                d.problems.len(),
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
        )?;
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
    let (times, unit_s) = (&r.times, &r.unit_s);
    doc.h(2, "5. Discrimination");
    let mut header = strings(&["set", "n", "events", "Harrell's C (95% CI)", "Uno's C"]);
    header.extend(
        times
            .iter()
            .map(|t| format!("AUC {} {unit_s}", format_number(*t))),
    );
    let mut rows = Vec::new();
    for s in sets.iter() {
        let r = &s.report;
        let mut row = vec![
            s.name.to_string(),
            r.n.to_string(),
            r.events.to_string(),
            format!(
                "{:.3} ({:.3}–{:.3})",
                r.harrell_c.c, r.harrell_c.lower, r.harrell_c.upper
            ),
            format!("{:.3}", r.uno_c.c),
        ];
        row.extend(
            r.horizons
                .iter()
                .map(|h| h.auc.map_or("-".into(), |a| format!("{a:.3}"))),
        );
        rows.push(row);
        let _ = writeln!(
            summary,
            "{}: Harrell's C {:.3} (95% CI {:.3}-{:.3}), n = {}, events = {}",
            s.name, r.harrell_c.c, r.harrell_c.lower, r.harrell_c.upper, r.n, r.events
        );
    }
    doc.table(&header, &rows);
    files.table("discrimination", &header, &rows);
    if let Some(b) = &sets[0].report.bootstrap {
        doc.p(&format!(
            "Bootstrap ({} resamples, seed {}): apparent C {:.3}, optimism {:.3}, optimism-corrected \
             C {:.3}; calibration slope {:.3} corrected to {:.3}.",
            b.resamples,
            b.seed,
            b.apparent.harrell_c,
            b.optimism.harrell_c,
            b.corrected.harrell_c,
            b.apparent.slope,
            b.corrected.slope
        ));
    }
}

/// 6. Calibration per set and horizon, with the validation figures.
fn calibration_section(
    r: &Run,
    o: &mut Out,
    model: &ModelFile,
    sets: &[SetData],
) -> Result<(), StudyError> {
    let Out { files, doc, .. } = o;
    let (times, unit_s) = (&r.times, &r.unit_s);
    doc.h(2, "6. Calibration");
    let mut header = strings(&[
        "set",
        "horizon",
        "ICI",
        "E50",
        "E90",
        "slope",
        "observed / expected",
    ]);
    header.truncate(7);
    let mut rows = Vec::new();
    for s in sets.iter() {
        for h in &s.report.horizons {
            let c = &h.calibration;
            let o = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4}"));
            rows.push(vec![
                s.name.to_string(),
                format!("{} {unit_s}", format_number(h.time)),
                o(c.ici),
                o(c.e50),
                o(c.e90),
                format!("{:.3}", c.slope),
                format!("{:.3}", c.observed_expected),
            ]);
        }
    }
    doc.table(&header, &rows);
    files.table("calibration", &header, &rows);
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
    validation_figures(files, doc, model, sets, times, unit_s)?;
    Ok(())
}

/// 7. Risk groups: cut-offs on development, applied to every set.
fn risk_group_section(
    r: &Run,
    o: &mut Out,
    nom: &Nomogram,
    sets: &mut [SetData],
) -> Result<RiskGroupCard, StudyError> {
    let Out { files, doc, .. } = o;
    let (spec, unit) = (r.spec, &r.unit);
    doc.h(2, "7. Risk groups");
    let rg_spec = spec.risk_groups.clone();
    let on_lp = rg_spec.as_ref().is_some_and(|r| r.on == RiskScale::Lp);
    let score_unit = if on_lp { "lp" } else { "points" };
    let dev_scores: Vec<f64> = if on_lp {
        sets[0]
            .scores
            .iter()
            .map(|&p| nom.lp_of_points(p) + nom.coxph_shift)
            .collect()
    } else {
        sets[0].scores.clone()
    };
    let cuts = match &rg_spec {
        Some(r) if r.method == RiskMethod::Cutoffs => r.cutoffs.clone().unwrap_or_default(),
        Some(r) => riskgroups::quantile_cutoffs(&dev_scores, r.n_groups())?,
        None => riskgroups::quantile_cutoffs(&dev_scores, 3)?,
    };
    let rg_labels = match rg_spec.as_ref().and_then(|r| r.labels.clone()) {
        Some(l) => l,
        None => risk_group_labels(&cuts, score_unit),
    };
    let cut_text = cuts
        .iter()
        .map(|c| fmt_sig_short(*c, 5))
        .collect::<Vec<_>>()
        .join(", ");
    let given = rg_spec
        .as_ref()
        .is_some_and(|r| r.method == RiskMethod::Cutoffs);
    doc.p(&match (given, sets.len() > 1) {
        (true, _) => {
            format!("Cut-offs {cut_text} on {score_unit}, as the specification gives them.")
        }
        (false, true) => format!(
            "Cut-offs {cut_text} on {score_unit}: quantiles of the development set, applied \
             unchanged to the validation set."
        ),
        (false, false) => format!("Cut-offs {cut_text} on {score_unit}: quantiles of the cohort."),
    });
    let header = strings(&[
        "set",
        "group",
        "n",
        "events",
        "median (95% CI)",
        "HR (95% CI)",
        "p",
        "log-rank p",
    ]);
    let mut rows = Vec::new();
    for s in sets.iter_mut() {
        let scores: Vec<f64> = if on_lp {
            s.scores
                .iter()
                .map(|&p| nom.lp_of_points(p) + nom.coxph_shift)
                .collect()
        } else {
            s.scores.clone()
        };
        let rg = riskgroups::compare(&s.surv, &scores, &cuts, &rg_labels)?;
        for (k, g) in rg.groups.iter().enumerate() {
            let o = |v: Option<f64>| v.map_or("not reached".to_string(), format_number);
            rows.push(vec![
                s.name.to_string(),
                g.group.clone(),
                g.n.to_string(),
                format_number(g.events),
                format!(
                    "{} ({} to {})",
                    o(g.median),
                    o(g.median_lower),
                    o(g.median_upper)
                ),
                match (g.hr, g.hr_lower, g.hr_upper) {
                    (Some(h), Some(l), Some(u)) => {
                        format!("{} ({}–{})", fmt_sig(h, 3), fmt_sig(l, 3), fmt_sig(u, 3))
                    }
                    _ => "1 (reference)".into(),
                },
                g.p.map_or(String::new(), fmt_p),
                if k == 0 {
                    fmt_p(rg.logrank.p)
                } else {
                    String::new()
                },
            ]);
        }
        s.risk = Some(rg);
    }
    doc.table(&header, &rows);
    files.table("risk_groups", &header, &rows);
    for s in sets.iter() {
        let rg = s.risk.as_ref().expect("risk groups computed");
        let curves = rg_labels
            .iter()
            .zip(&rg.curves)
            .map(|(l, c)| plot::curves::StepCurve::from_km(l, c))
            .collect();
        let fig = plot::curves::SurvivalFigure::km(
            curves,
            unit.clone(),
            Some(format!("Log-rank p {}", p_phrase(rg.logrank.p))),
        );
        let name = format!("risk_groups_{}", s.name);
        let svg = files.figure(&name, &fig)?;
        doc.figure(
            &format!("{name}.svg"),
            &svg,
            &format!(
                "Kaplan–Meier curves of the risk groups in the {} set.",
                s.name
            ),
        );
    }
    Ok(RiskGroupCard {
        on: if on_lp {
            CardScale::Lp
        } else {
            CardScale::Points
        },
        cutoffs: cuts,
        labels: rg_labels,
    })
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
        .map(|s| ValidationCard::from_report(s.name, &s.report))
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

/// The list of files, the report in both formats and the manifest.
fn finish(r: &Run, o: Out) -> StudyOutput {
    let Out {
        mut files,
        mut doc,
        summary,
    } = o;
    let (spec, cohort, times) = (r.spec, &r.cohort, &r.times);
    let (seed, bootstrap) = (r.seed, r.bootstrap);
    doc.h(2, "Files");
    let mut listed: Vec<String> = files.files.iter().map(|f| f.0.clone()).collect();
    listed.extend(strings(&["report.md", "report.html", "manifest.json"]));
    doc.p(&format!("This directory holds: {}.", listed.join(", ")));
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
    StudyOutput {
        files: files.files,
        summary,
    }
}
fn singular(unit: &str) -> String {
    unit.strip_suffix('s').unwrap_or(unit).to_string()
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

fn univariable_rows(spec: &StudySpec, sel: &SelectionResult) -> (Vec<String>, Vec<Vec<String>>) {
    let header = strings(&["factor", "HR (95% CI)", "p", "likelihood-ratio p"]);
    let mut rows = Vec::new();
    for u in &sel.univariable {
        for (k, r) in u.rows.iter().enumerate() {
            rows.push(vec![
                term_label(spec, &r.term),
                hr_cell(r),
                fmt_p(r.p),
                if k == 0 { fmt_p(u.p) } else { String::new() },
            ]);
        }
    }
    (header, rows)
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

/// Calibration, ROC and decision-curve figures of every set, with their curve tables.
fn validation_figures(
    files: &mut Files,
    doc: &mut Doc,
    model: &ModelFile,
    sets: &[SetData],
    times: &[f64],
    unit: &str,
) -> Result<(), StudyError> {
    let unit_opt = (!unit.is_empty()).then_some(unit);
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
        )?;
        per_set.push((s.name, figs));
    }
    let caption = |set: &str, stem: &str| -> String {
        if let Some(t) = stem.strip_prefix("calibration_") {
            format!(
                "Calibration at {t} {unit} in the {set} set: observed (Kaplan–Meier) against \
                 predicted risk by group with 95% limits, the smooth calibration curve{}, and the \
                 distribution of predicted risks.",
                if set == "development" {
                    ", and the bootstrap optimism-corrected curve"
                } else {
                    ""
                }
            )
        } else if let Some(t) = stem.strip_prefix("decision_") {
            format!(
                "Decision curve at {t} {unit} in the {set} set: net benefit of the nomogram against \
                 treating all and treating none."
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
