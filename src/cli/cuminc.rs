//! `prognosis cuminc`: cumulative incidence of competing events (Aalen-Johansen, as
//! `cmprsk::cuminc`), by group with Gray's test.

use super::args::{check_outputs, check_times, parse_pairs, stdout, write_figure, ReadArgs};
use crate::data::cohort::FitRequest;
use crate::data::competing::{competing_error, prepare_competing};
use crate::data::csv as data;
use crate::plot::curves::{StepCurve, SurvivalFigure};
use crate::report::competing::{causes_json, cuminc_summary, gray_json, CifGroupJson, CumincJson};
use crate::report::format::p_phrase;
use crate::stats::competing::{cuminc, gray_test, CifConfType, CifCurve, CumincOptions};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CumincArgs {
    /// Cohort CSV file
    data: PathBuf,
    /// Column of follow-up times
    #[arg(long)]
    time: String,
    /// Column of the event: one value means censoring (--censor-value), every other value is the
    /// event of one cause
    #[arg(long)]
    event: String,
    /// Event-column value that means censoring (repeatable; default 0)
    #[arg(long, value_name = "V")]
    censor_value: Vec<String>,
    /// The event of interest (listed and drawn first; default: the causes in level order)
    #[arg(long, value_name = "V")]
    cause: Option<String>,
    /// Column whose levels get one set of curves each, compared by Gray's test
    #[arg(long, value_name = "COL")]
    by: Option<String>,
    /// Column of strata for Gray's test (with --by)
    #[arg(long, value_name = "COL")]
    strata: Option<String>,
    /// Times at which to report the cumulative incidence, comma-separated (default: R's pretty
    /// values over the follow-up)
    #[arg(long, value_delimiter = ',')]
    times: Vec<f64>,
    /// Transform of the 95% limits: log-log (complementary log-log, as riskRegression) or plain
    /// (F ± 1.96 se, cut to [0, 1])
    #[arg(long, default_value = "log-log")]
    conf_type: String,
    /// A name for a cause in the tables and the figure: VALUE=NAME (repeatable), e.g.
    /// --name "1=Breast cancer"
    #[arg(long, value_name = "VALUE=NAME")]
    name: Vec<String>,
    /// Print one JSON object instead of the tables
    #[arg(long)]
    json: bool,
    /// Draw the curves here (.svg, .png, .pdf or .tiff; repeatable): 95% bands, Gray's p and a
    /// number-at-risk table
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

fn conf_type(s: &str) -> Result<(CifConfType, &'static str)> {
    match s.to_ascii_lowercase().as_str() {
        "log-log" | "loglog" | "cloglog" => Ok((CifConfType::LogLog, "log-log")),
        "plain" => Ok((CifConfType::Plain, "plain")),
        _ => bail!("--conf-type {s}: expected log-log or plain"),
    }
}

pub fn run(a: CumincArgs) -> Result<()> {
    let _p_style = a.p_style.enter();
    check_times(&a.times)?;
    let (conf, conf_name) = conf_type(&a.conf_type)?;
    if a.strata.is_some() && a.by.is_none() {
        bail!("--strata stratifies Gray's test between the groups of --by: give --by too");
    }
    let names = parse_pairs(&a.name, "--name")?;
    let outs: Vec<&std::path::Path> = a.out.iter().map(|p| p.as_path()).collect();
    check_outputs(&[&a.data], &outs)?;
    let req = FitRequest {
        time: a.time.clone(),
        event: a.event.clone(),
        strata: a.by.clone(),
        // a strata column of Gray's test only joins the complete-case selection
        covariates: a.strata.iter().cloned().collect(),
        categorical: a.strata.iter().cloned().collect(),
        censor_values: a.censor_value.clone(),
        ..FitRequest::default()
    };
    let table = data::read_csv(&a.data, &req.columns(), &a.read.options()?)?;
    let pc = prepare_competing(&table, &req, a.cause.as_deref())?;
    for k in names.keys() {
        if !pc.causes.iter().any(|c| c == k) {
            bail!(
                "--name {k}=...: '{k}' is not a cause; the causes are {}",
                pc.causes.join(", ")
            );
        }
    }
    let shown = |c: &String| names.get(c).cloned().unwrap_or_else(|| c.clone());
    let cause_names: Vec<String> = pc.causes.iter().map(shown).collect();
    let opts = CumincOptions {
        conf_type: conf,
        ..CumincOptions::default()
    };
    let err = |e| competing_error(&table, &a.event, e);
    let overall = cuminc(&pc.surv, None, &opts).map_err(err)?;
    let max_follow_up = pc.surv.time().iter().copied().fold(0.0, f64::max);
    let times = if a.times.is_empty() {
        crate::stats::pretty::pretty(0.0, max_follow_up, 5)
            .into_iter()
            .filter(|&t| t > 0.0 && t <= max_follow_up)
            .collect()
    } else {
        a.times.clone()
    };
    let refs: Vec<&CifCurve> = overall.iter().collect();
    let events = pc.events();
    let mut out = CumincJson {
        n: pc.surv.len(),
        censored: pc.surv.n_events(0),
        conf_type: conf_name,
        level: opts.level,
        times: times.clone(),
        causes: causes_json(&pc.causes, &cause_names, &refs, &events, &times),
        by: a.by.clone(),
        groups: Vec::new(),
        gray: Vec::new(),
    };
    let mut by_group: Vec<CifCurve> = Vec::new();
    let mut group_labels: Vec<String> = Vec::new();
    if let (Some(by), Some(spec), Some(codes)) =
        (&a.by, &pc.prepared.spec.strata, &pc.prepared.strata)
    {
        group_labels = spec.levels.iter().map(|l| format!("{by}={l}")).collect();
        by_group = cuminc(&pc.surv, Some(codes), &opts).map_err(err)?;
        for (g, label) in group_labels.iter().enumerate() {
            let rows: Vec<usize> = (0..codes.len()).filter(|&i| codes[i] == g).collect();
            if rows.is_empty() {
                continue;
            }
            let sub = pc.surv.subset(&rows);
            let ev: Vec<usize> = (1..=pc.causes.len() as u32)
                .map(|k| sub.n_events(k))
                .collect();
            let curves: Vec<&CifCurve> = by_group.iter().filter(|c| c.group == Some(g)).collect();
            out.groups.push(CifGroupJson {
                group: label.clone(),
                n: rows.len(),
                causes: causes_json(&pc.causes, &cause_names, &curves, &ev, &times),
            });
        }
        let strata_codes = a.strata.as_ref().map(|s| {
            let col = table.column(s).expect("column was read");
            let mut levels: Vec<String> = Vec::new();
            pc.prepared
                .rows
                .iter()
                .map(|&i| {
                    let l = col.label(i).expect("complete row");
                    match levels.iter().position(|x| *x == l) {
                        Some(k) => k,
                        None => {
                            levels.push(l);
                            levels.len() - 1
                        }
                    }
                })
                .collect::<Vec<usize>>()
        });
        let tests = gray_test(&pc.surv, codes, strata_codes.as_deref(), 0.0).map_err(err)?;
        out.gray = gray_json(&pc.causes, &tests);
    }
    if !a.out.is_empty() {
        let mut steps = Vec::new();
        if group_labels.is_empty() {
            for (i, c) in overall.iter().enumerate() {
                let mut s = StepCurve::from_cif(&cause_names[c.cause as usize - 1], c);
                if i == 0 {
                    s.risk_label = Some("All".into());
                }
                steps.push(s);
            }
        } else {
            // one colour per group; the first cause solid, the others dashed
            let mut curves: Vec<&CifCurve> = by_group.iter().collect();
            curves.sort_by_key(|c| (c.group, c.cause));
            for c in curves {
                let g = c.group.expect("curve of a group");
                let cause = &cause_names[c.cause as usize - 1];
                let label = if cause_names.len() > 1 {
                    format!("{}: {cause}", group_labels[g])
                } else {
                    group_labels[g].clone()
                };
                let mut s = StepCurve::from_cif(&label, c);
                s.colour = Some(g);
                s.dashed = c.cause > 1;
                if !steps.iter().any(|x: &StepCurve| x.colour == Some(g)) {
                    s.risk_label = Some(group_labels[g].clone());
                }
                steps.push(s);
            }
        }
        let note = out.gray.first().and_then(|g| {
            g.p.map(|p| format!("Gray's test ({}) p {}", cause_names[0], p_phrase(p)))
        });
        let fig = SurvivalFigure::cumulative_incidence(steps, a.time_unit.clone(), note);
        write_figure(&fig, &a.out, "cuminc", &[&a.data])?;
    }
    if a.json {
        stdout(&(serde_json::to_string_pretty(&out)? + "\n"))
    } else {
        stdout(&cuminc_summary(&out, &table.path, &pc.prepared.counts))
    }
}
