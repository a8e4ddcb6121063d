//! `prognosis km`: Kaplan-Meier curves and the log-rank test.

use super::args::{check_times, stdout, write_figure, ReadArgs};
use crate::data::cohort::{self, FitRequest};
use crate::data::csv as data;
use crate::plot;
use crate::report::text as report;
use crate::stats::km;
use anyhow::{anyhow, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct KmArgs {
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
    /// Draw the curves here (.svg, .png, .pdf or .tiff; repeatable): 95% bands, censoring marks,
    /// medians, the log-rank p and a number-at-risk table
    #[arg(long)]
    out: Vec<PathBuf>,
    /// Unit of the time column, for the figure's axis (e.g. months)
    #[arg(long)]
    time_unit: Option<String>,
    #[command(flatten)]
    p_style: super::args::PStyleArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: KmArgs) -> Result<()> {
    let _p_style = a.p_style.enter();
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
            .map(|lr| format!("Log-rank p {}", crate::report::format::p_phrase(lr.p)));
        let fig = plot::curves::SurvivalFigure::km(steps, a.time_unit.clone(), note);
        write_figure(&fig, &a.out, "km", &[&a.data])?;
    }
    if a.json {
        stdout(&(serde_json::to_string_pretty(&out)? + "\n"))
    } else {
        stdout(&report::km_summary(&out, &table.path, &prepared.counts))
    }
}
