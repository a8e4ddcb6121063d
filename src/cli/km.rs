//! `prognosis km`: Kaplan-Meier curves and the log-rank test.

use super::args::{check_times, stdout, write_figure, ReadArgs};
use crate::data::cohort::{self, FitRequest};
use crate::data::csv as data;
use crate::plot;
use crate::report::text as report;
use crate::stats::km;
use anyhow::{anyhow, bail, Result};
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
    /// Order of the --by groups, comma-separated levels (default: numerically when every level is a
    /// number, otherwise in order of first appearance in DATA); levels not named follow in the
    /// default order
    #[arg(long, value_delimiter = ',', value_name = "L1,L2,...")]
    levels: Vec<String>,
    /// Name of a --by group in the output and figure, LEVEL=NAME (repeatable; default COL=LEVEL)
    #[arg(long = "label", value_name = "LEVEL=NAME")]
    label: Vec<String>,
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
    if a.by.is_none() && (!a.levels.is_empty() || !a.label.is_empty()) {
        bail!("--levels and --label name the groups of --by COL: add --by");
    }
    let (labels, codes): (Vec<String>, Vec<usize>) = match &prepared.spec.strata {
        Some(s) => {
            let col = table.column(&s.column).expect("column was read");
            let first_seen: Vec<&str> = col.labels.iter().map(|l| l.as_str()).collect();
            let order = order_levels(&s.levels, &first_seen, &a.levels)
                .map_err(|e| anyhow!("{}: --levels: {e}", a.data.display()))?;
            let mut names: Vec<Option<String>> = vec![None; s.levels.len()];
            for item in &a.label {
                let (k, name) = split_label(&s.levels, item).ok_or_else(|| {
                    anyhow!(
                        "--label {item}: expected LEVEL=NAME with LEVEL a level of '{}': {}",
                        s.column,
                        s.levels.join(", ")
                    )
                })?;
                if names[k].replace(name).is_some() {
                    bail!("--label names level '{}' twice", s.levels[k]);
                }
            }
            let labels = order
                .iter()
                .map(|&k| {
                    names[k]
                        .clone()
                        .unwrap_or_else(|| format!("{}={}", s.column, s.levels[k]))
                })
                .collect();
            // code of level k -> its position in the order
            let mut position = vec![0; s.levels.len()];
            for (pos, &k) in order.iter().enumerate() {
                position[k] = pos;
            }
            let codes = prepared
                .strata
                .as_ref()
                .expect("strata codes")
                .iter()
                .map(|&c| position[c])
                .collect();
            (labels, codes)
        }
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

/// A `--label LEVEL=NAME`: the level (its index) and the name, split at the first `=` whose left
/// side is a level (levels may hold `=` themselves, as `<=20`).
fn split_label(levels: &[String], item: &str) -> Option<(usize, String)> {
    item.match_indices('=').find_map(|(i, _)| {
        let l = crate::model::spec::match_level(levels, item[..i].trim())?;
        let name = item[i + 1..].trim();
        (!name.is_empty()).then(|| {
            (
                levels.iter().position(|x| *x == l).expect("level"),
                name.to_string(),
            )
        })
    })
}

/// The order of the groups, as indices into `levels` (the levels used, numbers sorted
/// numerically): the `requested` levels first, in that order, then the others, numerically when
/// every level is a number and otherwise in their order of first appearance (`first_seen`).
fn order_levels(
    levels: &[String],
    first_seen: &[&str],
    requested: &[String],
) -> Result<Vec<usize>, String> {
    let all_numbers = levels
        .iter()
        .all(|l| crate::model::spec::parse_number(l).is_some());
    let mut default: Vec<usize> = (0..levels.len()).collect();
    if !all_numbers {
        let seen = |k: &usize| {
            first_seen
                .iter()
                .position(|f| *f == levels[*k])
                .unwrap_or(usize::MAX)
        };
        default.sort_by_key(seen);
    }
    let mut order = Vec::with_capacity(levels.len());
    for r in requested {
        let r = r.trim();
        let Some(l) = crate::model::spec::match_level(levels, r) else {
            return Err(format!(
                "'{r}' is not a level of the groups; the levels are: {}",
                levels.join(", ")
            ));
        };
        let k = levels.iter().position(|x| *x == l).expect("level");
        if order.contains(&k) {
            return Err(format!("'{r}' is named twice"));
        }
        order.push(k);
    }
    let rest: Vec<usize> = default.into_iter().filter(|k| !order.contains(k)).collect();
    order.extend(rest);
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::order_levels;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numbers_numerically_words_by_first_appearance_requested_first() {
        // levels as prepare sorts them: numbers numerically, words by bytes
        let nums = s(&["2", "10", "100"]);
        assert_eq!(
            order_levels(&nums, &["100", "2", "10"], &[]).unwrap(),
            [0, 1, 2]
        );
        let words = s(&["high", "low", "mid"]);
        assert_eq!(
            order_levels(&words, &["low", "mid", "high"], &[]).unwrap(),
            [1, 2, 0]
        );
        assert_eq!(
            order_levels(&words, &["low", "mid", "high"], &s(&["high"])).unwrap(),
            [0, 1, 2]
        );
        assert_eq!(
            order_levels(&nums, &[], &s(&["100", "2.0"])).unwrap(),
            [2, 0, 1]
        );
        assert!(order_levels(&words, &[], &s(&["medium"]))
            .unwrap_err()
            .contains("the levels are: high, low, mid"));
        assert!(order_levels(&words, &[], &s(&["low", "low"])).is_err());
    }

    #[test]
    fn labels_split_where_the_left_side_is_a_level() {
        let sizes = s(&["20-50", "<=20", ">50"]);
        assert_eq!(
            super::split_label(&sizes, "<=20=Small"),
            Some((1, "Small".to_string()))
        );
        assert_eq!(
            super::split_label(&sizes, ">50 = Large (> 50 mm)"),
            Some((2, "Large (> 50 mm)".to_string()))
        );
        assert_eq!(super::split_label(&sizes, "<=30=Small"), None);
        assert_eq!(super::split_label(&sizes, "<=20="), None);
    }
}
