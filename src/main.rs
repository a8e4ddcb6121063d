//! The `prognosis` command line: glue between files and the library.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use prognosis::cohort::{self, FitRequest};
use prognosis::cox::{self, CoxOptions, FitExtras, Ties};
use prognosis::data::{self, ReadOptions};
use prognosis::km;
use prognosis::model::ModelFile;
use prognosis::nomogram;
use prognosis::output::write_atomic;
use prognosis::plot;
use prognosis::report;
use prognosis::validation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "prognosis",
    version,
    about = "Survival nomograms and prognosis: Cox models exact as R, from the shell"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// parsed once per run: the size difference between variants does not matter
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Fit a Cox proportional-hazards model to a cohort CSV and print its summary
    Fit(FitArgs),
    /// Predict survival for every row of a CSV with a saved model
    Predict(PredictArgs),
    /// Score one patient with a saved model: survival at horizons and median survival
    Score(ScoreArgs),
    /// Validate a saved model on a cohort: C-index, time-dependent AUC, Brier score, calibration,
    /// bootstrap optimism correction
    Validate(ValidateArgs),
    /// Kaplan-Meier survival curves (optionally by group) with the log-rank test
    Km(KmArgs),
    /// Draw a model's nomogram (SVG or PNG) and print its points table
    Nomogram(NomogramArgs),
    /// Risk groups by nomogram points or linear predictor: Kaplan-Meier curves, medians, hazard
    /// ratios and the log-rank test
    RiskGroups(RiskGroupsArgs),
    /// Run a whole registry study from a specification: cohort, Table 1, Cox tables, nomogram,
    /// validation, risk groups, figures and report
    Study(StudyArgs),
    /// Figures that no other command draws: predicted survival curves of patient profiles
    #[command(subcommand)]
    Plot(PlotCommand),
    /// Split a cohort CSV at random into development and validation files (seeded)
    Split(SplitArgs),
    /// Write a simulated cohort shaped like the flagship study (for benchmarks)
    Simulate(SimulateArgs),
    /// Apply a study specification to a registry export: inclusion rules, attrition table,
    /// analysis-ready CSV
    Cohort(CohortArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum TiesArg {
    Efron,
    Breslow,
}

#[derive(Args)]
struct ReadArgs {
    /// A value that means "missing" (repeatable); empty fields and NA always do
    #[arg(long = "na", value_name = "TOKEN")]
    na: Vec<String>,
    /// Field delimiter (default: detected from the header: comma, semicolon or tab)
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<char>,
}

impl ReadArgs {
    fn options(&self) -> Result<ReadOptions> {
        let mut o = ReadOptions::default();
        o.na_tokens.extend(self.na.iter().cloned());
        if let Some(d) = self.delimiter {
            if !d.is_ascii() {
                bail!("--delimiter must be a single ASCII character");
            }
            o.delimiter = Some(d as u8);
        }
        Ok(o)
    }
}

#[derive(Args)]
struct FitArgs {
    /// Cohort CSV file (first line: column names)
    data: PathBuf,
    /// Column of follow-up times
    #[arg(long)]
    time: String,
    /// Column of event status (1 = event, 0 = censored unless --event-value says otherwise)
    #[arg(long)]
    event: String,
    /// Covariate columns, comma-separated (spaces around names are ignored)
    #[arg(long, value_delimiter = ',', required_unless_present = "covariate")]
    covariates: Vec<String>,
    /// One covariate column, taken whole (repeatable): for names that contain a comma
    #[arg(long, value_name = "COL")]
    covariate: Vec<String>,
    /// Tie handling
    #[arg(long, value_enum, default_value = "efron")]
    ties: TiesArg,
    /// Column whose levels get separate baseline hazards
    #[arg(long)]
    strata: Option<String>,
    /// Column of case weights (positive numbers)
    #[arg(long)]
    weights: Option<String>,
    /// Reference level of a categorical covariate, COL=LEVEL (repeatable)
    #[arg(long, value_name = "COL=LEVEL")]
    reference: Vec<String>,
    /// Treat a numeric-looking covariate as categorical (repeatable)
    #[arg(long, value_name = "COL")]
    categorical: Vec<String>,
    /// Event-column value that means the event (repeatable; default 1)
    #[arg(long, value_name = "V")]
    event_value: Vec<String>,
    /// Event-column value that means censoring (repeatable; default 0, or with --event-value:
    /// every other value)
    #[arg(long, value_name = "V")]
    censor_value: Vec<String>,
    /// Unit of the time column, e.g. months or days (stored in the model, used for display)
    #[arg(long)]
    time_unit: Option<String>,
    /// Maximum Newton-Raphson iterations
    #[arg(long, default_value_t = 20)]
    max_iter: usize,
    /// Convergence tolerance on the relative change of the log-likelihood
    #[arg(long, default_value_t = 1e-9)]
    eps: f64,
    /// Write the fitted model to this JSON file
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[derive(Args)]
struct PredictArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// CSV of patients (needs the model's covariate columns)
    data: PathBuf,
    /// Times at which to predict survival, comma-separated
    #[arg(long, value_delimiter = ',', required = true)]
    times: Vec<f64>,
    /// Output format
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write to this file instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Args)]
struct ScoreArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// A covariate value, COL=VALUE (repeat for every covariate)
    #[arg(long = "set", value_name = "COL=VALUE")]
    set: Vec<String>,
    /// Times at which to predict survival (default: 1, 3 and 5 years in the model's time unit)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Print JSON instead of the text block
    #[arg(long)]
    json: bool,
    /// Also draw the patient's predicted survival curve with 95% band here (.svg or .png;
    /// repeatable)
    #[arg(long)]
    out: Vec<PathBuf>,
}

#[derive(Args)]
struct NomogramArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Horizons of the predicted-survival axes (default: 1, 3 and 5 years in the model's time unit)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Write the figure here (.svg or .png; repeat for both)
    #[arg(long)]
    out: Vec<PathBuf>,
    /// Print one JSON object instead of the points table
    #[arg(long)]
    json: bool,
    /// Leave out the median-survival axis
    #[arg(long)]
    no_median: bool,
    /// Leave out the linear-predictor axis of the figure
    #[arg(long)]
    no_lp: bool,
    /// Display label of a covariate, COL=LABEL (repeatable)
    #[arg(long = "label", value_name = "COL=LABEL")]
    labels: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ScoreScale {
    /// Total nomogram points
    Points,
    /// Linear predictor (centred as `prognosis predict`)
    Lp,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum QuantilesFrom {
    /// The training cohort's quantiles, stored in the model file
    Model,
    /// The quantiles of DATA itself
    Data,
}

#[derive(Args)]
struct RiskGroupsArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Cohort CSV with the model's outcome and covariate columns
    data: PathBuf,
    /// The score that splits patients
    #[arg(long, value_enum, default_value = "points")]
    on: ScoreScale,
    /// Cut-offs on that score, comma-separated (k cut-offs make k + 1 groups)
    #[arg(long, value_delimiter = ',', conflicts_with = "groups")]
    cutoffs: Vec<f64>,
    /// Number of quantile groups (3: tertiles)
    #[arg(long)]
    groups: Option<usize>,
    /// Where quantile cut-offs come from: the training cohort (default, so that a validation
    /// cohort is split at the development cut-offs) or DATA
    #[arg(long, value_enum, default_value = "model")]
    quantiles_from: QuantilesFrom,
    /// Times at which to report each group's survival (default: 1, 3 and 5 years)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    json: bool,
    /// Draw the groups' Kaplan-Meier curves here (.svg or .png; repeatable)
    #[arg(long)]
    out: Vec<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Subcommand)]
enum PlotCommand {
    /// Predicted survival curves with 95% bands for one or more patient profiles
    Survival(PlotSurvivalArgs),
}

#[derive(Args)]
struct PlotSurvivalArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// A patient profile: "COL=VALUE,COL=VALUE,..." with every covariate, optionally preceded by
    /// a name and a colon ("Low risk: age=45,brain=0,..."); repeat for more curves
    #[arg(long, required = true)]
    profile: Vec<String>,
    /// Write the figure here (.svg or .png; repeatable)
    #[arg(long, required = true)]
    out: Vec<PathBuf>,
    /// Leave out the 95% bands
    #[arg(long)]
    no_bands: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// Cohort CSV with the model's outcome and covariate columns
    data: PathBuf,
    /// Horizons for AUC, Brier score and calibration, comma-separated
    #[arg(long, value_delimiter = ',', required = true)]
    times: Vec<f64>,
    /// Groups of the grouped calibration curve
    #[arg(long, default_value_t = 5)]
    groups: usize,
    /// Bootstrap resamples for optimism correction (refits the model on DATA: DATA must be the
    /// development cohort)
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Seed of the bootstrap
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Print one JSON object instead of the report
    #[arg(long)]
    json: bool,
    /// Write the tables (CSV), the report (JSON) and the figures (SVG and PNG: calibration, ROC
    /// and decision curves) into this directory
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Args)]
struct KmArgs {
    /// Cohort CSV file
    data: PathBuf,
    /// Column of follow-up times
    #[arg(long)]
    time: String,
    /// Column of event status (1 = event, 0 = censored unless --event-value says otherwise)
    #[arg(long)]
    event: String,
    /// Column whose levels get one curve each, compared by the log-rank test
    #[arg(long, value_name = "COL")]
    by: Option<String>,
    /// Times at which to report survival, comma-separated
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Confidence limits: log (as R), log-log or plain
    #[arg(long, default_value = "log")]
    conf_type: String,
    /// Event-column value that means the event (repeatable; default 1)
    #[arg(long, value_name = "V")]
    event_value: Vec<String>,
    /// Event-column value that means censoring (repeatable)
    #[arg(long, value_name = "V")]
    censor_value: Vec<String>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    json: bool,
    /// Draw the curves here (.svg or .png; repeatable): 95% bands, censoring marks, medians, the
    /// log-rank p and a number-at-risk table
    #[arg(long)]
    out: Vec<PathBuf>,
    /// Unit of the time column, for the figure's axis (e.g. months)
    #[arg(long)]
    time_unit: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Args)]
struct SplitArgs {
    /// Cohort CSV file to split
    data: PathBuf,
    /// Fraction of rows for the development set
    #[arg(long, default_value_t = 0.7)]
    fraction: f64,
    /// Random seed
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Split within each value of this column (e.g. the event column), keeping its proportions
    #[arg(long, value_name = "COL")]
    stratify_by: Option<String>,
    /// Output CSV of the development set
    #[arg(long)]
    out_dev: PathBuf,
    /// Output CSV of the validation set
    #[arg(long)]
    out_val: PathBuf,
}

#[derive(Args)]
struct SimulateArgs {
    /// Number of patients
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Random seed
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Output CSV file
    #[arg(long)]
    out: PathBuf,
    /// Layout: `analysis` (0/1 columns as datasets/bone_mets_synthetic.csv) or `seer` (a SEER*Stat
    /// case listing as datasets/bone_mets_synthetic_seer.csv, with unknowns)
    #[arg(long, value_enum, default_value = "analysis")]
    format: SimFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum SimFormat {
    Analysis,
    Seer,
}

#[derive(Args)]
struct CohortArgs {
    /// Study specification, TOML or JSON (docs/study-spec.md)
    #[arg(long)]
    spec: PathBuf,
    /// Registry export CSV (default: the specification's source.file)
    export: Option<PathBuf>,
    /// Analysis-ready CSV to write
    #[arg(long)]
    out: PathBuf,
    /// Print the attrition table as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct StudyArgs {
    /// Study specification, TOML or JSON (docs/study-spec.md)
    #[arg(long)]
    spec: PathBuf,
    /// Registry export CSV (default: the specification's source.file)
    export: Option<PathBuf>,
    /// Directory for the report, tables, figures, model and manifest (created if needed)
    #[arg(long)]
    out_dir: PathBuf,
    /// Bootstrap resamples (default: the specification's [validation] bootstrap)
    #[arg(long)]
    bootstrap: Option<usize>,
    /// Write figures as SVG only (no 300-dpi PNG)
    #[arg(long)]
    no_png: bool,
    /// Formats of each figure, comma-separated: svg, png (300 dpi), pdf, tiff (600 dpi); SVG is
    /// always written. PDF bytes differ between runs (object order), the drawing does not
    #[arg(long, default_value = "svg,png")]
    formats: String,
}

fn run_study(a: StudyArgs) -> Result<()> {
    use prognosis::registry::StudySpec;
    let spec = StudySpec::load(&a.spec)?;
    let export = match a.export.or_else(|| spec.source_file()) {
        Some(p) => p,
        None => bail!(
            "no export file: name it after the options, or give source.file in {}",
            a.spec.display()
        ),
    };
    let t0 = std::time::Instant::now();
    let opts = prognosis::study::StudyOptions {
        bootstrap: a.bootstrap,
        formats: prognosis::plot::ImageFormat::parse_list(&a.formats)?
            .into_iter()
            .filter(|f| !a.no_png || *f != prognosis::plot::ImageFormat::Png)
            .collect(),
    };
    let out = prognosis::study::run(&spec, &export, &opts)?;
    let t_run = t0.elapsed();
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("cannot create {}", a.out_dir.display()))?;
    for (name, bytes) in &out.files {
        let path = a.out_dir.join(name);
        write_atomic(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if std::env::var_os("PROGNOSIS_TIMING").is_some() {
        eprintln!(
            "timing: analysis and figures {:.3} s, writing {:.3} s",
            t_run.as_secs_f64(),
            (t0.elapsed() - t_run).as_secs_f64()
        );
    }
    stdout(&format!(
        "Study {}\n{}\nWrote {} files to {}: open {} first.\n",
        spec.study.name,
        out.summary.trim_end(),
        out.files.len(),
        a.out_dir.display(),
        a.out_dir.join("report.html").display()
    ))
}

fn parse_pairs(items: &[String], flag: &str) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("{flag} {item}: expected COL=VALUE"))?;
        if map
            .insert(k.trim().to_string(), v.trim().to_string())
            .is_some()
        {
            bail!("{flag} names '{}' twice", k.trim());
        }
    }
    Ok(map)
}

fn check_times(times: &[f64]) -> Result<()> {
    if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
        bail!("--times: {t} is not a time >= 0");
    }
    Ok(())
}

/// Writes to standard output; a reader that went away (`| head`) is not an error.
fn stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

fn emit(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => write_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display())),
        None => stdout(text),
    }
}

fn run_fit(a: FitArgs) -> Result<()> {
    let covariates: Vec<String> = a
        .covariates
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .chain(a.covariate.iter().cloned())
        .collect();
    if covariates.is_empty() {
        bail!("no covariates: name at least one with --covariates A,B,... or --covariate A");
    }
    if let Some(s) = a.strata.as_ref().filter(|s| covariates.contains(s)) {
        bail!("'{s}' is both a covariate and the strata column: a stratified factor has no coefficient; drop it from --covariates");
    }
    let req = FitRequest {
        time: a.time,
        event: a.event,
        covariates,
        ties: match a.ties {
            TiesArg::Efron => Ties::Efron,
            TiesArg::Breslow => Ties::Breslow,
        },
        strata: a.strata,
        weights: a.weights,
        reference: parse_pairs(&a.reference, "--reference")?,
        categorical: a.categorical,
        event_values: a.event_value,
        censor_values: a.censor_value,
        time_unit: a.time_unit,
    };
    if let Some(dup) = req
        .covariates
        .iter()
        .enumerate()
        .find(|(i, c)| req.covariates[..*i].contains(c))
    {
        bail!("--covariates names '{}' twice", dup.1);
    }
    let timing = std::env::var_os("PROGNOSIS_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let table = data::read_csv(&a.data, &req.columns(), &a.read.options()?)?;
    let t_read = t0.elapsed();
    let prepared = cohort::prepare(&table, &req)?;
    let t_prep = t0.elapsed();
    let opts = CoxOptions {
        ties: req.ties,
        max_iter: a.max_iter,
        eps: a.eps,
        ..CoxOptions::default()
    };
    let extras = FitExtras {
        weights: prepared.weights.as_deref(),
        strata: prepared.strata.as_deref(),
    };
    let fit = cox::fit(&prepared.design, &prepared.surv, extras, &opts)
        .map_err(|e| cohort::cox_error(&table, &prepared.spec, e))?;
    let t_fit = t0.elapsed();
    let model = ModelFile::new(&table, &prepared, fit);
    if timing {
        eprintln!(
            "timing: read {:.3} s, prepare {:.3} s, fit {:.3} s, model summary {:.3} s",
            t_read.as_secs_f64(),
            (t_prep - t_read).as_secs_f64(),
            (t_fit - t_prep).as_secs_f64(),
            (t0.elapsed() - t_fit).as_secs_f64()
        );
    }
    if let Some(out) = &a.out {
        model.save(out)?;
    }
    if a.json {
        // the text summary lists warnings itself; with JSON they also go to the terminal
        for w in &model.fit.warnings {
            eprintln!("warning: {w}");
        }
        let j = report::FitJson::new(&model, a.out.as_ref().map(|p| p.display().to_string()));
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        let mut text = report::fit_summary(&model, &table.path);
        if let Some(out) = &a.out {
            text.push_str(&format!("Model written to {}\n", out.display()));
        }
        stdout(&text)
    }
}

fn run_predict(a: PredictArgs) -> Result<()> {
    check_times(&a.times)?;
    let model = ModelFile::load(&a.model)?;
    let table = data::read_csv(&a.data, &model.input_columns(), &a.read.options()?)?;
    let preds = model.predict_table(&table, &a.times);
    let strata_used: Vec<usize> = match &model.spec.strata {
        Some(s) => (0..s.levels.len()).collect(),
        None => vec![0],
    };
    let mut horizon: Vec<String> = strata_used
        .iter()
        .flat_map(|&s| model.horizon_warnings(s, &a.times))
        .collect();
    horizon.dedup();
    for w in horizon {
        eprintln!("warning: {w}");
    }
    let bad = preds.iter().filter(|p| p.problem.is_some()).count();
    if bad > 0 {
        eprintln!(
            "note: {bad} of {} rows could not be scored; their lines are in the output with the reason",
            preds.len()
        );
    }
    let text = match a.format {
        Format::Csv => report::predictions_csv(&preds, &a.times),
        Format::Json => report::predictions_json(&preds),
    };
    emit(a.out.as_deref(), &text)
}

fn default_times(unit: Option<&str>) -> Option<Vec<f64>> {
    let per_year: f64 = match unit?.to_ascii_lowercase().trim_end_matches('s') {
        "day" => 365.25,
        "week" => 365.25 / 7.0,
        "month" => 12.0,
        "year" => 1.0,
        _ => return None,
    };
    Some(
        [1.0, 3.0, 5.0]
            .iter()
            .map(|y| (y * per_year).round())
            .collect(),
    )
}

fn run_score(a: ScoreArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let values = parse_pairs(&a.set, "--set")?;
    let (x, stratum) = cohort::encode_patient(&model.spec, &values).map_err(|e| anyhow!("{e}"))?;
    let times = if a.times.is_empty() {
        default_times(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons with --times T1,T2,...")
        })?
    } else {
        a.times.clone()
    };
    check_times(&times)?;
    let pred = model.predict(&x, stratum, &times);
    let mut warnings = model.range_warnings(&values);
    warnings.extend(model.horizon_warnings(stratum, &times));
    // nomogram points (none when every coefficient is zero)
    let points = nomogram::Nomogram::from_model(&model, &Default::default())
        .ok()
        .and_then(|nom| nom.score(&nom.values_from_design(&x)).ok());
    if !a.out.is_empty() {
        let curve = model.fit.patient_curve(&x, stratum);
        let label = values
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let fig = plot::curves::SurvivalFigure::predictions(
            vec![plot::curves::StepCurve::from_prediction(&label, &curve)],
            model.spec.time_unit.clone(),
        );
        write_figure(&fig, &a.out, "survival")?;
    }
    if a.json {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        #[derive(serde::Serialize)]
        struct ScoreJson<'a> {
            covariates: &'a BTreeMap<String, String>,
            lp: f64,
            survival: &'a [prognosis::cox::SurvPoint],
            median: &'a prognosis::cox::Median,
            time_unit: Option<&'a str>,
            points: Option<PointsJson>,
            warnings: &'a [String],
        }
        #[derive(serde::Serialize)]
        struct FactorPoints {
            name: String,
            value: String,
            points: f64,
        }
        #[derive(serde::Serialize)]
        struct PointsJson {
            factors: Vec<FactorPoints>,
            total: f64,
        }
        let j = ScoreJson {
            covariates: &values,
            lp: pred.lp,
            survival: &pred.survival,
            median: &pred.median,
            time_unit: model.spec.time_unit.as_deref(),
            points: points.as_ref().map(|p| PointsJson {
                factors: p
                    .factors
                    .iter()
                    .map(|(name, value, points)| FactorPoints {
                        name: name.clone(),
                        value: value.clone(),
                        points: *points,
                    })
                    .collect(),
                total: p.total,
            }),
            warnings: &warnings,
        };
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        let ordered: Vec<(String, String)> = model
            .input_columns()
            .iter()
            .filter_map(|c| values.get(*c).map(|v| (c.to_string(), v.clone())))
            .collect();
        let mut text = report::score_block(&model, &ordered, &pred, &warnings);
        if let Some(p) = &points {
            let labels: Vec<String> = model
                .spec
                .covariates
                .iter()
                .map(|c| c.name.clone())
                .collect();
            text.push_str("\nNomogram points (prognosis nomogram --model ... draws the scale)\n");
            text.push_str(&report::points_block(p, &labels));
        }
        stdout(&text)
    }
}

fn horizons_or_default(model: &ModelFile, times: &[f64]) -> Result<Vec<f64>> {
    let times = if times.is_empty() {
        default_times(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons with --times T1,T2,...")
        })?
    } else {
        times.to_vec()
    };
    check_times(&times)?;
    Ok(times)
}

/// Display labels: the covariate names, replaced by `--label COL=LABEL` pairs.
fn display_labels(model: &ModelFile, pairs: &[String]) -> Result<Vec<String>> {
    let given = parse_pairs(pairs, "--label")?;
    for k in given.keys() {
        if !model.spec.covariates.iter().any(|c| &c.name == k) {
            bail!("--label {k}=...: the model has no covariate '{k}'");
        }
    }
    Ok(model
        .spec
        .covariates
        .iter()
        .map(|c| {
            given
                .get(&c.name)
                .cloned()
                .unwrap_or_else(|| c.name.clone())
        })
        .collect())
}

/// Writes a figure to each path (format from the extension), atomically.
fn write_figure<F: plot::Figure>(fig: &F, paths: &[PathBuf], id: &str) -> Result<()> {
    let formats = paths
        .iter()
        .map(|p| plot::ImageFormat::of_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    for (path, format) in paths.iter().zip(formats) {
        let bytes = plot::render(fig, format, id)?;
        write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn run_nomogram(a: NomogramArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let times = horizons_or_default(&model, &a.times)?;
    let opts = nomogram::NomogramOptions {
        times,
        median: !a.no_median,
        ..Default::default()
    };
    let nom = nomogram::Nomogram::from_model(&model, &opts)?;
    let labels = display_labels(&model, &a.labels)?;
    let mut fig = plot::nomogram::NomogramFigure::new(&nom);
    fig.labels = labels.clone();
    fig.lp_axis = !a.no_lp;
    write_figure(&fig, &a.out, "nomogram")?;
    if a.json {
        stdout(&(serde_json::to_string_pretty(&nom)? + "\n"))
    } else {
        stdout(&report::nomogram_table(&nom, &labels))
    }
}

fn run_risk_groups(a: RiskGroupsArgs) -> Result<()> {
    use prognosis::riskgroups;
    let model = ModelFile::load(&a.model)?;
    let times = horizons_or_default(&model, &a.times)?;
    let table = data::read_csv(&a.data, &model.spec.columns(), &a.read.options()?)?;
    let d = cohort::prepare_with_spec(&table, &model.spec)?;
    if !d.problems.is_empty() {
        eprintln!(
            "note: {} rows have a level the model does not know and were left out (first: line {}: {})",
            d.problems.len(),
            d.problems[0].0,
            d.problems[0].1
        );
    }
    let nom = nomogram::Nomogram::from_model(&model, &Default::default())?;
    let coxph_centre: f64 = model
        .fit
        .means
        .iter()
        .zip(&model.fit.coef)
        .map(|(m, b)| m * b)
        .sum();
    // score of an uncentred x'beta
    let to_score = |xb: f64| match a.on {
        ScoreScale::Points => nom.points_of_lp(xb - coxph_centre - nom.coxph_shift),
        ScoreScale::Lp => xb - coxph_centre,
    };
    let scores: Vec<f64> = (0..d.design.n)
        .map(|i| {
            to_score(
                d.design
                    .row(i)
                    .iter()
                    .zip(&model.fit.coef)
                    .map(|(x, b)| x * b)
                    .sum(),
            )
        })
        .collect();
    let (cuts, source) = if !a.cutoffs.is_empty() {
        (a.cutoffs.clone(), "given".to_string())
    } else {
        let k = a.groups.unwrap_or(3);
        let stored = model.linear_predictor.as_ref().and_then(|lp| {
            (1..k)
                .map(|j| {
                    let p = j as f64 / k as f64;
                    lp.quantiles
                        .iter()
                        .find(|q| (q.p - p).abs() < 1e-9)
                        .map(|q| to_score(q.value))
                })
                .collect::<Option<Vec<f64>>>()
        });
        match (a.quantiles_from, stored) {
            (QuantilesFrom::Model, Some(c)) if k >= 2 => (
                c,
                format!("quantiles of the training cohort ({})", model.training.file),
            ),
            (QuantilesFrom::Model, _) => bail!(
                "the model file has no training quantiles for {k} groups: use \
                 --quantiles-from data, or give --cutoffs"
            ),
            (QuantilesFrom::Data, _) => (
                riskgroups::quantile_cutoffs(&scores, k)?,
                format!("quantiles of {}", a.data.display()),
            ),
        }
    };
    let unit = match a.on {
        ScoreScale::Points => "points",
        ScoreScale::Lp => "lp",
    };
    let labels = riskgroups::labels(&cuts, unit);
    let rg = riskgroups::compare(&d.surv, &scores, &cuts, &labels)?;
    if !a.out.is_empty() {
        let steps = labels
            .iter()
            .zip(&rg.curves)
            .map(|(l, c)| plot::curves::StepCurve::from_km(l, c))
            .collect();
        let note = format!("Log-rank p {}", report::p_phrase(rg.logrank.p));
        let fig = plot::curves::SurvivalFigure::km(steps, model.spec.time_unit.clone(), Some(note));
        write_figure(&fig, &a.out, "riskgroups")?;
    }
    let at = report::KmJson::new(&labels, &rg.curves, None, &times);
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            on: &'a str,
            cutoffs_from: &'a str,
            #[serde(flatten)]
            groups: &'a riskgroups::RiskGroups,
            survival: Vec<&'a report::KmGroupJson>,
        }
        let j = Out {
            on: unit,
            cutoffs_from: &source,
            groups: &rg,
            survival: at.groups.iter().collect(),
        };
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        stdout(&report::risk_groups_summary(
            &rg,
            &at,
            &source,
            &table.path,
            model.spec.time_unit.as_deref(),
        ))
    }
}

fn run_plot_survival(a: PlotSurvivalArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let mut curves = Vec::new();
    for (k, profile) in a.profile.iter().enumerate() {
        let (name, pairs) = match profile.split_once(':') {
            Some((n, rest)) if !n.contains('=') => (Some(n.trim().to_string()), rest),
            _ => (None, profile.as_str()),
        };
        let items: Vec<String> = pairs
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect();
        let values = parse_pairs(&items, "--profile")?;
        let (x, stratum) = cohort::encode_patient(&model.spec, &values)
            .map_err(|e| anyhow!("--profile {}: {e}", k + 1))?;
        for w in model.range_warnings(&values) {
            eprintln!("warning: profile {}: {w}", k + 1);
        }
        let label = name.unwrap_or_else(|| {
            values
                .iter()
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let curve = model.fit.patient_curve(&x, stratum);
        curves.push(plot::curves::StepCurve::from_prediction(&label, &curve));
    }
    let mut fig = plot::curves::SurvivalFigure::predictions(curves, model.spec.time_unit.clone());
    fig.bands = !a.no_bands;
    write_figure(&fig, &a.out, "profiles")
}

fn run_validate(mut a: ValidateArgs) -> Result<()> {
    check_times(&a.times)?;
    // as scikit-survival: horizons sorted, each once
    a.times.sort_by(|x, y| x.total_cmp(y));
    a.times.dedup();
    let model = ModelFile::load(&a.model)?;
    let table = data::read_csv(&a.data, &model.spec.columns(), &a.read.options()?)?;
    let d = cohort::prepare_with_spec(&table, &model.spec)?;
    if !d.problems.is_empty() {
        eprintln!(
            "note: {} rows have a level the model does not know and were left out (first: line {}: {})",
            d.problems.len(),
            d.problems[0].0,
            d.problems[0].1
        );
    }
    let opts = validation::ValidationOptions {
        times: a.times.clone(),
        groups: a.groups,
        bootstrap: a.bootstrap,
        seed: a.seed,
        ..Default::default()
    };
    let eval = validation::EvalData {
        design: &d.design,
        surv: &d.surv,
        strata: &d.strata,
        weights: d.weights.as_deref(),
    };
    let mut rep = validation::evaluate(&model.fit, eval, &opts)?;
    if a.bootstrap > 0 {
        let fit_opts = CoxOptions {
            ties: model.spec.ties,
            ..CoxOptions::default()
        };
        rep.bootstrap = Some(validation::bootstrap(eval, &fit_opts, &opts)?);
    }
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, text) in report::validation_files(&rep) {
            write_atomic(&dir.join(&name), text.as_bytes())
                .with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
        }
        // the curves and figures: ROC and decision curves, calibration plots
        let curves = validation::horizon_curves(&model.fit, eval, &a.times, &Default::default())?;
        let tables = report::validation_curve_files(&curves)
            .into_iter()
            .map(|(name, text)| (name, text.into_bytes()));
        let unit = model.spec.time_unit.as_deref();
        let figures = plot::validation::validation_figures(
            &rep,
            &curves,
            unit,
            "",
            &[
                plot::ImageFormat::Svg,
                plot::ImageFormat::Png,
                plot::ImageFormat::Pdf,
            ],
        )?;
        for (name, bytes) in tables.chain(figures) {
            write_atomic(&dir.join(&name), &bytes)
                .with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
        }
    }
    if a.json {
        stdout(&(serde_json::to_string_pretty(&rep)? + "\n"))
    } else {
        stdout(&report::validation_summary(
            &rep,
            &table.path,
            &d.counts,
            model.spec.time_unit.as_deref(),
        ))
    }
}

fn run_km(a: KmArgs) -> Result<()> {
    check_times(&a.times)?;
    let conf_type: km::ConfType = a
        .conf_type
        .parse()
        .map_err(|e| anyhow!("--conf-type: {e}"))?;
    let req = FitRequest {
        time: a.time,
        event: a.event,
        strata: a.by.clone(),
        event_values: a.event_value,
        censor_values: a.censor_value,
        ..FitRequest::default()
    };
    let table = data::read_csv(&a.data, &req.columns(), &a.read.options()?)?;
    let prepared = cohort::prepare(&table, &req)?;
    let opts = km::KmOptions {
        conf_type,
        ..km::KmOptions::default()
    };
    let (labels, codes): (Vec<String>, Vec<usize>) = match &prepared.spec.strata {
        Some(s) => (
            s.levels
                .iter()
                .map(|l| format!("{}={l}", s.column))
                .collect(),
            prepared.strata.clone().expect("strata codes"),
        ),
        None => (vec!["all".to_string()], vec![0; prepared.surv.len()]),
    };
    let curves = km::by_group(&prepared.surv, &codes, labels.len(), None, &opts)?;
    let logrank = if labels.len() > 1 {
        Some(km::logrank(&prepared.surv, &codes, labels.len())?)
    } else {
        None
    };
    let out = report::KmJson::new(&labels, &curves, logrank.as_ref(), &a.times);
    if !a.out.is_empty() {
        let steps = labels
            .iter()
            .zip(&curves)
            .map(|(l, c)| plot::curves::StepCurve::from_km(l, c))
            .collect();
        let note = logrank
            .as_ref()
            .map(|lr| format!("Log-rank p {}", report::p_phrase(lr.p)));
        let fig = plot::curves::SurvivalFigure::km(steps, a.time_unit.clone(), note);
        write_figure(&fig, &a.out, "km")?;
    }
    if a.json {
        stdout(&(serde_json::to_string_pretty(&out)? + "\n"))
    } else {
        stdout(&report::km_summary(&out, &table.path, &prepared.counts))
    }
}

fn run_split(a: SplitArgs) -> Result<()> {
    if !(a.fraction > 0.0 && a.fraction < 1.0) {
        bail!("--fraction must be between 0 and 1 (exclusive), e.g. 0.7");
    }
    let label = a.data.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&a.data)
        .with_context(|| format!("cannot read {label}"))?;
    let header = rdr.byte_headers()?.clone();
    let mut records = Vec::new();
    for r in rdr.byte_records() {
        records.push(r.with_context(|| format!("{label}: malformed CSV"))?);
    }
    if records.is_empty() {
        bail!("{label}: no data rows to split");
    }
    let labels: Vec<usize> = match &a.stratify_by {
        None => vec![0; records.len()],
        Some(col) => {
            let k = header
                .iter()
                .position(|h| String::from_utf8_lossy(h).trim() == col.as_str())
                .ok_or_else(|| anyhow!("{label}: there is no column '{col}'"))?;
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut values: Vec<Vec<u8>> =
                records.iter().map(|r| r[k].trim_ascii().to_vec()).collect();
            for v in &values {
                if !seen.contains(v) {
                    seen.push(v.clone());
                }
            }
            seen.sort();
            values
                .drain(..)
                .map(|v| seen.iter().position(|s| *s == v).expect("seen"))
                .collect()
        }
    };
    let (dev, val) = validation::split_labels(&labels, a.fraction, a.seed);
    let write = |rows: &[usize], path: &Path| -> Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_byte_record(&header)?;
        for &i in rows {
            w.write_byte_record(&records[i])?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow!("{e}"))?;
        write_atomic(path, &bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    write(&dev, &a.out_dev)?;
    write(&val, &a.out_val)?;
    stdout(&format!(
        "{} rows: {} to development ({}), {} to validation ({}); seed {}{}\n",
        records.len(),
        dev.len(),
        a.out_dev.display(),
        val.len(),
        a.out_val.display(),
        a.seed,
        a.stratify_by
            .as_ref()
            .map_or(String::new(), |c| format!(", stratified by {c}"))
    ))
}

fn run_simulate(a: SimulateArgs) -> Result<()> {
    let text = match a.format {
        SimFormat::Analysis => prognosis::simulate::bone_mets_csv(a.rows, a.seed),
        SimFormat::Seer => prognosis::simulate::bone_mets_seer_csv(a.rows, a.seed),
    };
    emit(Some(&a.out), &text)?;
    eprintln!("wrote {} simulated patients to {}", a.rows, a.out.display());
    Ok(())
}

fn cohort_cmd(a: CohortArgs) -> Result<()> {
    use prognosis::registry::{self, StudySpec};
    let spec = StudySpec::load(&a.spec)?;
    let export = match a.export.or_else(|| spec.source_file()) {
        Some(p) => p,
        None => bail!(
            "no export file: name it after the options, or give source.file in {}",
            a.spec.display()
        ),
    };
    let t0 = std::time::Instant::now();
    let table = registry::read_export(&spec, &export)?;
    let t_read = t0.elapsed();
    let cohort = registry::derive_cohort(&spec, &table)?;
    drop(table);
    let t_derive = t0.elapsed();
    let attrition = &cohort.attrition;
    if cohort.n() == 0 {
        eprint!("{}", attrition.to_text());
        bail!(
            "no rows remain after the inclusion rules; {} not written",
            a.out.display()
        );
    }
    cohort.write_csv(&a.out)?;
    if std::env::var_os("PROGNOSIS_TIMING").is_some() {
        eprintln!(
            "timing: read {:.3} s, derive {:.3} s, write {:.3} s",
            t_read.as_secs_f64(),
            (t_derive - t_read).as_secs_f64(),
            (t0.elapsed() - t_derive).as_secs_f64()
        );
    }
    if a.json {
        let j = serde_json::json!({
            "study": spec.study.name,
            "spec": a.spec.display().to_string(),
            "export": cohort.export,
            "export_sha256": cohort.sha256,
            "out": a.out.display().to_string(),
            "columns": cohort.header(),
            "attrition": attrition,
        });
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        stdout(&format!(
            "Study {}{}\n{}Analysis file written to {} ({} rows, {} events; columns: {})\n",
            spec.study.name,
            spec.study
                .title
                .as_ref()
                .map_or(String::new(), |t| format!(": {t}")),
            attrition.to_text(),
            a.out.display(),
            cohort.n(),
            cohort.events(),
            cohort.header().join(", ")
        ))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit(a) => run_fit(a),
        Command::Predict(a) => run_predict(a),
        Command::Score(a) => run_score(a),
        Command::Validate(a) => run_validate(a),
        Command::Nomogram(a) => run_nomogram(a),
        Command::RiskGroups(a) => run_risk_groups(a),
        Command::Plot(PlotCommand::Survival(a)) => run_plot_survival(a),
        Command::Study(a) => run_study(a),
        Command::Split(a) => run_split(a),
        Command::Km(a) => run_km(a),
        Command::Simulate(a) => run_simulate(a),
        Command::Cohort(a) => cohort_cmd(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": ", as anyhow's `{:#}`, leaving out a cause whose text
/// the message already holds (typed errors that show their source in their own message).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("validation: {0}")]
    struct Shows(#[from] std::num::ParseIntError);

    #[test]
    fn error_text_does_not_repeat_a_cause_the_message_shows() {
        let inner = "x".parse::<i32>().unwrap_err();
        let e = anyhow::Error::from(Shows(inner.clone())).context("study");
        assert_eq!(
            error_text(&e),
            format!("study: validation: {inner}"),
            "{e:#}"
        );
        let plain = anyhow::Error::from(inner.clone()).context("reading x.csv");
        assert_eq!(error_text(&plain), format!("reading x.csv: {inner}"));
    }
}
