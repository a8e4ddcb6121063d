//! Rendering results for people (text tables) and programs (JSON, CSV). Reads results, computes
//! nothing statistical.

use crate::data::registry::{Attrition, Count};
use crate::model::file::{ModelFile, RowPrediction};
use crate::model::spec::format_number;
use crate::model::spec::RowCounts;
use crate::report::format::{
    fmt_hr_ci, fmt_median_ci, fmt_p, fmt_range, fmt_sig, fmt_sig_short, p_phrase, table,
    NOT_REACHED,
};
use crate::stats::cox::{ChiSqTest, CoefRow, CoxFit, CoxWarning, Median, SurvPoint};
use serde::Serialize;
use std::fmt::Write;

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or(NOT_REACHED.to_string(), format_number)
}

/// One row of a terminal coefficient table (Cox or Fine-Gray): the term, then coef, hazard
/// ratio, se, z, p and the ratio's limits (`[coef, hr, se, z, p, lower, upper]`).
pub fn coefficient_cells(term: &str, v: [f64; 7]) -> Vec<String> {
    let [coef, hr, se, z, p, lower, upper] = v;
    vec![
        term.to_string(),
        fmt_sig(coef, 4),
        fmt_sig(hr, 4),
        fmt_sig(se, 4),
        format!("{z:.2}"),
        fmt_p(p),
        fmt_range(&fmt_sig(lower, 4), &fmt_sig(upper, 4)),
    ]
}

/// The row counts of a read: read, used, dropped, and the missing values per column.
pub fn counts_line(counts: &RowCounts) -> String {
    let miss: Vec<String> = counts
        .missing
        .iter()
        .filter(|m| m.missing > 0)
        .map(|m| format!("{} {}", m.column, m.missing))
        .collect();
    format!(
        "rows read {}, used {}, dropped {} (missing values: {})",
        counts.read,
        counts.used,
        counts.dropped,
        if miss.is_empty() {
            "none".to_string()
        } else {
            miss.join(", ")
        }
    )
}

fn test_line(name: &str, t: &ChiSqTest) -> String {
    format!(
        "{name:<22}= {} on {} df, p = {}",
        fmt_sig(t.statistic, 6),
        t.df,
        fmt_p(t.p)
    )
}

/// The text summary of a fit, in the spirit of R's `summary(coxph)`.
pub fn fit_summary(model: &ModelFile, data_label: &str) -> String {
    let f = &model.fit;
    let mut s = String::new();
    let strata = model
        .spec
        .strata
        .as_ref()
        .map_or(String::new(), |st| format!(", strata: {}", st.column));
    let _ = writeln!(
        s,
        "Cox proportional-hazards model  (ties: {}{strata})",
        f.ties
    );
    let _ = writeln!(
        s,
        "Outcome: time '{}'{}, event '{}' = {}",
        model.spec.time,
        model
            .spec
            .time_unit
            .as_ref()
            .map_or(String::new(), |u| format!(" ({u})")),
        model.spec.event,
        model.spec.event_values.join(" or ")
    );
    let _ = writeln!(s, "Data: {data_label}");
    let _ = writeln!(s, "  {}", counts_line(&model.training.rows));
    let _ = writeln!(s, "  n = {}, events = {}", f.n, f.events);
    s.push('\n');
    let level = format!("{:.0}% CI", f.conf_level * 100.0);
    let rows: Vec<Vec<String>> = f
        .coefficients()
        .iter()
        .map(|c| {
            coefficient_cells(
                &c.term,
                [c.coef, c.hr, c.se, c.z, c.p, c.hr_lower, c.hr_upper],
            )
        })
        .collect();
    s.push_str(&table(
        &[
            "term",
            "coef",
            "HR",
            "se(coef)",
            "z",
            "p",
            &format!("HR {level}"),
        ],
        &rows,
    ));
    s.push('\n');
    let _ = writeln!(
        s,
        "{}",
        test_line("Likelihood ratio test", &f.likelihood_ratio)
    );
    let _ = writeln!(s, "{}", test_line("Wald test", &f.wald));
    let _ = writeln!(s, "{}", test_line("Score (logrank) test", &f.score));
    let _ = writeln!(
        s,
        "Log-likelihood: initial {}, final {}; {} iteration{}{}",
        fmt_sig(f.loglik[0], 10),
        fmt_sig(f.loglik[1], 10),
        f.iterations,
        if f.iterations == 1 { "" } else { "s" },
        if f.converged { "" } else { " (NOT converged)" }
    );
    for w in &f.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// The `--json` object of `prognosis fit`.
#[derive(Debug, Serialize)]
pub struct FitJson<'a> {
    pub n: usize,
    pub events: usize,
    pub dropped: usize,
    pub rows: &'a RowCounts,
    pub ties: String,
    pub strata: Option<&'a str>,
    pub iterations: usize,
    pub converged: bool,
    pub loglik: [f64; 2],
    pub tests: Tests,
    pub coefficients: Vec<CoefRow>,
    pub warnings: Vec<String>,
    pub model_file: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Tests {
    pub likelihood_ratio: ChiSqTest,
    pub wald: ChiSqTest,
    pub score: ChiSqTest,
}

impl<'a> FitJson<'a> {
    pub fn new(model: &'a ModelFile, model_file: Option<String>) -> Self {
        let f: &CoxFit = &model.fit;
        FitJson {
            n: f.n,
            events: f.events,
            dropped: model.training.rows.dropped,
            rows: &model.training.rows,
            ties: f.ties.to_string(),
            strata: model.spec.strata.as_ref().map(|s| s.column.as_str()),
            iterations: f.iterations,
            converged: f.converged,
            loglik: f.loglik,
            tests: Tests {
                likelihood_ratio: f.likelihood_ratio,
                wald: f.wald,
                score: f.score,
            },
            coefficients: f.coefficients(),
            warnings: f.warnings.iter().map(CoxWarning::to_string).collect(),
            model_file,
        }
    }
}

/// Column label of a time in CSV headers ("12", "36.5").
fn time_label(t: f64) -> String {
    format_number(t)
}

fn num(v: f64) -> String {
    // shortest representation that reads back exactly
    format!("{v}")
}

/// `calibration_corrected.csv` of a bootstrap, Cox or competing risks: per horizon and group the
/// apparent predicted and observed, the optimism and the corrected observed.
pub fn corrected_calibration_csv(curves: &[crate::model::validation::CorrectedCurve]) -> String {
    let mut c = String::from("horizon,predicted,observed,optimism,corrected\n");
    for curve in curves {
        for g in &curve.groups {
            let _ = writeln!(
                c,
                "{},{},{},{},{}",
                num(curve.time),
                num(g.predicted),
                num(g.observed),
                num(g.optimism),
                num(g.corrected)
            );
        }
    }
    c
}

/// Predictions as CSV: one line per input row, in input order; unscorable rows keep their line
/// with empty numbers and the reason in `problem`.
pub fn predictions_csv(preds: &[RowPrediction], times: &[f64]) -> String {
    let with_id = preds.iter().any(|r| r.id.is_some());
    let mut s = String::from(if with_id { "row,id,lp" } else { "row,lp" });
    for &t in times {
        let l = time_label(t);
        let _ = write!(s, ",surv_{l},se_{l},lower_{l},upper_{l}");
    }
    s.push_str(",median,median_lower,median_upper,problem\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), num);
    for r in preds {
        let _ = write!(s, "{}", r.row);
        if with_id {
            let id = r.id.as_deref().unwrap_or("");
            if id.contains([',', '"', '\n', '\r']) {
                let _ = write!(s, ",\"{}\"", id.replace('"', "\"\""));
            } else {
                let _ = write!(s, ",{id}");
            }
        }
        match &r.prediction {
            Some(p) => {
                let _ = write!(s, ",{}", num(p.lp));
                for pt in &p.survival {
                    let _ = write!(
                        s,
                        ",{},{},{},{}",
                        num(pt.surv),
                        num(pt.se),
                        num(pt.lower),
                        num(pt.upper)
                    );
                }
                let _ = write!(
                    s,
                    ",{},{},{},",
                    opt(p.median.median),
                    opt(p.median.lower),
                    opt(p.median.upper)
                );
            }
            None => {
                s.push(',');
                s.push_str(&",".repeat(4 * times.len()));
                let problem = r.problem.as_deref().unwrap_or("");
                let _ = write!(s, ",,,,\"{}\"", problem.replace('"', "\"\""));
            }
        }
        s.push('\n');
    }
    s
}

#[derive(Debug, Serialize)]
struct RowJson<'a> {
    row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    lp: Option<f64>,
    survival: Option<&'a [SurvPoint]>,
    median: Option<&'a Median>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

/// Predictions as a JSON array, one object per input row.
pub fn predictions_json(preds: &[RowPrediction]) -> String {
    let rows: Vec<RowJson> = preds
        .iter()
        .map(|r| RowJson {
            row: r.row,
            id: r.id.as_deref(),
            lp: r.prediction.as_ref().map(|p| p.lp),
            survival: r.prediction.as_ref().map(|p| p.survival.as_slice()),
            median: r.prediction.as_ref().map(|p| &p.median),
            problem: r.problem.as_deref(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).expect("serialises");
    s.push('\n');
    s
}

/// A proportion as a percentage; "NA" when there is none (an interval of a one-patient group).
fn pct(v: f64) -> String {
    if !v.is_finite() {
        return "NA".to_string();
    }
    format!("{:.1}%", 100.0 * v)
}

/// The clinician's block of `prognosis score`.
pub fn score_block(
    model: &ModelFile,
    patient: &[(String, String)],
    pred: &crate::model::file::Prediction,
    warnings: &[String],
) -> String {
    let unit = model.spec.time_unit.as_deref().unwrap_or("");
    let mut s = String::new();
    let desc: Vec<String> = patient.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let _ = writeln!(s, "Patient: {}", desc.join(", "));
    if model.spec.strata.is_some() {
        // R's default for a stratified model centres within each stratum; this is the other one
        let _ = writeln!(
            s,
            "Linear predictor: {} (as R's predict(type = \"lp\", reference = \"sample\"): continuous \
             covariates centred at their overall training means, 0/1 covariates at 0, not within strata)",
            fmt_sig(pred.lp, 4)
        );
    } else {
        let _ = writeln!(
            s,
            "Linear predictor: {} (as R's predict(type = \"lp\"): continuous covariates centred at \
             their training means, 0/1 covariates at 0)",
            fmt_sig(pred.lp, 4)
        );
    }
    s.push('\n');
    let rows: Vec<Vec<String>> = pred
        .survival
        .iter()
        .map(|p| {
            vec![
                format!("{} {unit}", format_number(p.time))
                    .trim()
                    .to_string(),
                pct(p.surv),
                fmt_range(&pct(p.lower), &pct(p.upper)),
            ]
        })
        .collect();
    s.push_str(&table(&["survival at", "estimate", "95% CI"], &rows));
    let m = &pred.median;
    let _ = writeln!(
        s,
        "\nMedian survival: {}{} (95% CI {})",
        fmt_opt(m.median),
        if m.median.is_some() && !unit.is_empty() {
            format!(" {unit}")
        } else {
            String::new()
        },
        fmt_range(&fmt_opt(m.lower), &fmt_opt(m.upper))
    );
    for w in warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// The text report of `prognosis validate`.
pub fn validation_summary(
    rep: &crate::model::validation::ValidationReport,
    data_label: &str,
    counts: &RowCounts,
    unit: Option<&str>,
) -> String {
    let unit = unit.unwrap_or("");
    let opt = |v: Option<f64>| v.map_or("NA".to_string(), |x| format!("{x:.4}"));
    let mut s = String::new();
    let _ = writeln!(s, "Validation of the Cox model on {data_label}");
    let _ = writeln!(s, "  {}", counts_line(counts));
    let _ = writeln!(s, "  n = {}, events = {}", rep.n, rep.events);
    s.push('\n');
    let c = &rep.harrell_c;
    let _ = writeln!(
        s,
        "Harrell's C   {:.4}  (se {:.4}, 95% CI {:.4} to {:.4})",
        c.c, c.se, c.lower, c.upper
    );
    let _ = writeln!(
        s,
        "Uno's C       {:.4}  (tau = {} {unit})",
        rep.uno_c.c,
        format_number(rep.uno_c.tau)
    );
    let _ = writeln!(
        s,
        "Calibration slope {:.4} (95% CI {:.4} to {:.4}; 1 = ideal)",
        rep.slope.slope, rep.slope.lower, rep.slope.upper
    );
    if let Some(m) = rep.mean_auc {
        let _ = writeln!(s, "Mean time-dependent AUC {m:.4}");
    }
    let _ = writeln!(s, "Integrated Brier score {:.4}", rep.ibs);
    s.push('\n');
    let rows: Vec<Vec<String>> = rep
        .horizons
        .iter()
        .map(|h| {
            vec![
                format!("{} {unit}", format_number(h.time))
                    .trim()
                    .to_string(),
                opt(h.auc),
                format!("{:.4}", h.brier),
                format!("{:.3}", h.ipa),
                format!("{:.3}", h.calibration.observed_expected),
                opt(h.calibration.ici),
                opt(h.calibration.e50),
                opt(h.calibration.e90),
                opt(h.calibration.emax),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "horizon", "AUC", "Brier", "IPA", "O/E", "ICI", "E50", "E90", "Emax",
        ],
        &rows,
    ));
    for h in &rep.horizons {
        let _ = writeln!(
            s,
            "\nCalibration at {} {unit}: Kaplan-Meier observed vs mean predicted survival by group",
            format_number(h.time)
        );
        let rows: Vec<Vec<String>> = h
            .calibration
            .groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                vec![
                    format!("{}", k + 1),
                    format!("{}", g.n),
                    pct(g.predicted),
                    pct(g.observed),
                    format!("{} to {}", pct(g.lower), pct(g.upper)),
                ]
            })
            .collect();
        s.push_str(&table(
            &["group", "n", "predicted", "observed", "95% CI"],
            &rows,
        ));
        if let Some(note) = &h.calibration.smooth_note {
            let _ = writeln!(s, "(smooth calibration not available: {note})");
        }
    }
    if let Some(b) = &rep.bootstrap {
        let _ = writeln!(
            s,
            "\nBootstrap optimism correction ({} resamples, seed {}{})",
            b.resamples,
            b.seed,
            if b.failed > 0 {
                format!(", {} failed and left out", b.failed)
            } else {
                String::new()
            }
        );
        let rows = vec![
            vec![
                "Harrell's C".to_string(),
                format!("{:.4}", b.apparent.harrell_c),
                format!("{:.4}", b.optimism.harrell_c),
                format!("{:.4}", b.corrected.harrell_c),
            ],
            vec![
                "slope".to_string(),
                format!("{:.4}", b.apparent.slope),
                format!("{:.4}", b.optimism.slope),
                format!("{:.4}", b.corrected.slope),
            ],
        ];
        s.push_str(&table(
            &["measure", "apparent", "optimism", "corrected"],
            &rows,
        ));
        for curve in &b.calibration {
            let _ = writeln!(
                s,
                "\nOptimism-corrected calibration at {} {unit}",
                format_number(curve.time)
            );
            let rows: Vec<Vec<String>> = curve
                .groups
                .iter()
                .map(|g| {
                    vec![
                        pct(g.predicted),
                        pct(g.observed),
                        format!("{:+.1}%", 100.0 * g.optimism),
                        pct(g.corrected),
                    ]
                })
                .collect();
            s.push_str(&table(
                &["predicted", "observed", "optimism", "corrected"],
                &rows,
            ));
        }
    }
    s
}

/// The files `validate --out-dir` writes: the calibration tables as CSV and the whole report as
/// JSON.
pub fn validation_files(rep: &crate::model::validation::ValidationReport) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut groups = String::from("horizon,group,n,predicted,observed,lower,upper\n");
    let mut smooth = String::from("horizon,predicted_risk,observed_risk\n");
    for h in &rep.horizons {
        for (k, g) in h.calibration.groups.iter().enumerate() {
            let _ = writeln!(
                groups,
                "{},{},{},{},{},{},{}",
                num(h.time),
                k + 1,
                g.n,
                num(g.predicted),
                num(g.observed),
                num(g.lower),
                num(g.upper)
            );
        }
        for (p, o) in &h.calibration.smooth {
            let _ = writeln!(smooth, "{},{},{}", num(h.time), num(*p), num(*o));
        }
    }
    files.push(("calibration_groups.csv".to_string(), groups));
    files.push(("calibration_smooth.csv".to_string(), smooth));
    if let Some(b) = &rep.bootstrap {
        files.push((
            "calibration_corrected.csv".to_string(),
            corrected_calibration_csv(&b.calibration),
        ));
    }
    files.push((
        "validation.json".to_string(),
        serde_json::to_string_pretty(rep).expect("serialises") + "\n",
    ));
    files
}

/// A threshold probability as people write it: rounded to 12 decimals, so that R's
/// `seq(0.01, 0.99, 0.01)` value 0.06999999999999999 reads 0.07.
fn threshold_label(p: f64) -> String {
    let rounded: f64 = format!("{p:.12}").parse().unwrap_or(p);
    num(rounded)
}

/// The curve tables `validate --out-dir` writes next to [`validation_files`]: per horizon t,
/// `roc_{t}.csv` (the ROC curve, where the AUC is defined) and `decision_{t}.csv` (the decision
/// curve). A missing value is an empty field.
pub fn validation_curve_files(
    curves: &[crate::model::validation::HorizonCurves],
) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for c in curves {
        let t = time_label(c.time);
        if let Some(roc) = &c.roc {
            let mut s = String::from("lp_threshold,fpr,tpr\n");
            for (&thr, &(fpr, tpr)) in roc.thresholds.iter().zip(&roc.points) {
                let thr = if thr.is_infinite() {
                    "Inf".to_string()
                } else {
                    num(thr)
                };
                let _ = writeln!(s, "{thr},{},{}", num(fpr), num(tpr));
            }
            files.push((format!("roc_{t}.csv"), s));
        }
        let opt = |v: Option<f64>| v.map_or(String::new(), num);
        let mut s =
            String::from("threshold,n_treated,treated_risk,net_benefit,treat_all,treat_none\n");
        for p in &c.decision.points {
            let _ = writeln!(
                s,
                "{},{},{},{},{},0",
                threshold_label(p.threshold),
                p.n_treated,
                opt(p.treated_risk),
                opt(p.net_benefit),
                num(p.treat_all)
            );
        }
        files.push((format!("decision_{t}.csv"), s));
    }
    files
}

/// One group of `prognosis km --json`.
#[derive(Debug, Serialize)]
pub struct KmGroupJson {
    pub group: String,
    pub n: usize,
    pub events: f64,
    pub median: Option<f64>,
    pub median_lower: Option<f64>,
    pub median_upper: Option<f64>,
    pub at: Vec<crate::stats::km::KmPoint>,
}

/// The log-rank test of `prognosis km --json`.
#[derive(Debug, Serialize)]
pub struct LogRankJson {
    pub chisq: f64,
    pub df: usize,
    pub p: f64,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
}

/// The `--json` object of `prognosis km`.
#[derive(Debug, Serialize)]
pub struct KmJson {
    pub groups: Vec<KmGroupJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logrank: Option<LogRankJson>,
}

impl KmJson {
    pub fn new(
        labels: &[String],
        curves: &[crate::stats::km::KaplanMeier],
        logrank: Option<&crate::stats::km::LogRank>,
        times: &[f64],
    ) -> KmJson {
        KmJson {
            groups: labels
                .iter()
                .zip(curves)
                .map(|(l, c)| {
                    let m = c.median();
                    KmGroupJson {
                        group: l.clone(),
                        n: c.n,
                        events: c.events(),
                        median: m.median,
                        median_lower: m.lower,
                        median_upper: m.upper,
                        at: times.iter().map(|&t| c.at(t)).collect(),
                    }
                })
                .collect(),
            logrank: logrank.map(|lr| LogRankJson {
                chisq: lr.chisq,
                df: lr.df,
                p: lr.p,
                observed: lr.observed.clone(),
                expected: lr.expected.clone(),
            }),
        }
    }
}

/// The text output of `prognosis km`.
pub fn km_summary(k: &KmJson, data_label: &str, counts: &RowCounts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Kaplan-Meier estimate  (data: {data_label})");
    let _ = writeln!(s, "  {}", counts_line(counts));
    s.push('\n');
    let rows: Vec<Vec<String>> = k
        .groups
        .iter()
        .map(|g| {
            vec![
                g.group.clone(),
                format!("{}", g.n),
                format_number(g.events),
                fmt_opt(g.median),
                if g.median.is_some() {
                    fmt_range(&fmt_opt(g.median_lower), &fmt_opt(g.median_upper))
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    s.push_str(&table(
        &["group", "n", "events", "median", "median 95% CI"],
        &rows,
    ));
    for g in &k.groups {
        if g.at.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{}:", g.group);
        let rows: Vec<Vec<String>> =
            g.at.iter()
                .map(|p| {
                    vec![
                        format_number(p.time),
                        format!("{}", p.n_risk),
                        pct(p.surv),
                        format!("{:.4}", p.se),
                        fmt_range(&pct(p.lower), &pct(p.upper)),
                    ]
                })
                .collect();
        s.push_str(&table(
            &["time", "at risk", "survival", "se", "95% CI"],
            &rows,
        ));
    }
    if let Some(lr) = &k.logrank {
        let _ = writeln!(
            s,
            "\nLog-rank test: chi-square = {} on {} df, p = {}",
            fmt_sig(lr.chisq, 6),
            lr.df,
            fmt_p(lr.p)
        );
    }
    s
}

/// The points table of a nomogram, for scoring by hand: points per level or value of every
/// covariate (and per unit of a numeric one), then total points against the linear predictor and
/// the predicted survival at each horizon.
pub fn nomogram_table(nom: &crate::model::nomogram::Nomogram, labels: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Nomogram points (rms scaling: the widest factor spans {} points; {} points per unit of \
         the linear predictor)\n",
        format_number(nom.max_points),
        fmt_sig(nom.scale, 5)
    );
    let mut rows = Vec::new();
    for (v, label) in nom.variables.iter().zip(labels) {
        for (k, t) in v.axis.iter().enumerate() {
            rows.push(vec![
                if k == 0 { label.clone() } else { String::new() },
                t.value.label(),
                format!("{:.1}", t.points),
            ]);
        }
        if let (Some(u), true) = (v.points_per_unit, v.axis.len() > 2) {
            rows.push(vec![String::new(), "per unit".into(), format!("{:+.3}", u)]);
        }
    }
    s.push_str(&table(&["factor", "value", "points"], &rows));
    let unit = nom.time_unit.as_deref().unwrap_or("");
    let mut header = vec!["total points".to_string(), "linear predictor".to_string()];
    let mut columns: Vec<Vec<String>> = Vec::new();
    let totals: Vec<f64> = nom.total_points.clone();
    columns.push(totals.iter().map(|&t| format_number(t)).collect());
    columns.push(
        totals
            .iter()
            .map(|&t| fmt_sig(nom.lp_of_points(t), 4))
            .collect(),
    );
    let lp_shift = nom.coxph_shift;
    s.push('\n');
    if nom.fine_gray {
        let _ = writeln!(
            s,
            "Total points to prediction (linear predictor of the subdistribution hazard centred at \
             the training mean of x'b; add {} for the uncentred x'b that prognosis predict prints; \
             F(t) is the cumulative incidence of the event of interest)\n",
            fmt_sig(lp_shift, 6)
        );
    } else {
        let _ = writeln!(
            s,
            "Total points to prediction (linear predictor centred as rms::cph, at every covariate's \
             training mean; add {} for prognosis predict's centring)\n",
            fmt_sig(lp_shift, 6)
        );
    }
    for h in &nom.horizons {
        let mut title = format!("S({} {unit})", format_number(h.time));
        if let Some(st) = &h.stratum {
            title.push_str(&format!(" [{st}]"));
        }
        header.push(title.replace(" )", ")"));
        columns.push(
            totals
                .iter()
                .map(|&t| survival_at_points(&h.axis, t).map_or("-".into(), pct))
                .collect(),
        );
    }
    for h in &nom.incidence {
        header.push(format!("F({} {unit})", format_number(h.time)).replace(" )", ")"));
        columns.push(
            totals
                .iter()
                .map(|&t| {
                    if h.baseline_cumhaz > 0.0 {
                        pct(nom.incidence_at_points(h, t))
                    } else {
                        "-".into()
                    }
                })
                .collect(),
        );
    }
    let rows: Vec<Vec<String>> = (0..totals.len())
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect();
    let header: Vec<&str> = header.iter().map(|h| h.as_str()).collect();
    s.push_str(&table(&header, &rows));
    s
}

/// Survival at `points` from a survival axis: log(-log S) is linear in points, so two ticks give
/// it exactly.
pub fn survival_at_points(
    axis: &[crate::model::nomogram::SurvivalTick],
    points: f64,
) -> Option<f64> {
    if axis.len() < 2 {
        return None;
    }
    let (a, b) = (axis[0], axis[axis.len() - 1]);
    let la = (-a.survival.ln()).ln();
    let lb = (-b.survival.ln()).ln();
    let slope = (lb - la) / (b.total_points - a.total_points);
    let l = la + slope * (points - a.total_points);
    Some((-l.exp()).exp())
}

/// A patient's points per factor and total, as lines for the score block.
pub fn points_block(points: &crate::model::nomogram::PatientPoints, labels: &[String]) -> String {
    let mut rows: Vec<Vec<String>> = points
        .factors
        .iter()
        .zip(labels)
        .map(|((_, value, p), label)| vec![label.clone(), value.clone(), format!("{p:.1}")])
        .collect();
    rows.push(vec![
        "Total".into(),
        String::new(),
        format!("{:.1}", points.total),
    ]);
    table(&["factor", "value", "points"], &rows)
}

/// The text output of `prognosis risk-groups`.
pub fn risk_groups_summary(
    rg: &crate::model::riskgroups::RiskGroups,
    at: &KmJson,
    cutoffs_from: &str,
    data_label: &str,
    time_unit: Option<&str>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Risk groups  (data: {data_label})");
    let cuts: Vec<String> = rg.cutoffs.iter().map(|&c| fmt_sig(c, 6)).collect();
    let _ = writeln!(s, "  cut-offs: {} ({cutoffs_from})\n", cuts.join(", "));
    let rows: Vec<Vec<String>> = rg
        .groups
        .iter()
        .map(|g| {
            vec![
                g.group.clone(),
                format!("{}", g.n),
                format_number(g.events),
                fmt_median_ci(g.median, g.median_lower, g.median_upper, &format_number),
                match (g.hr, g.hr_lower, g.hr_upper) {
                    (Some(h), Some(l), Some(u)) => fmt_hr_ci(h, l, u),
                    _ => "Reference".into(),
                },
                g.p.map_or(String::new(), fmt_p),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "group",
            "n",
            "events",
            "median (95% CI)",
            "HR (95% CI)",
            "p",
        ],
        &rows,
    ));
    let _ = writeln!(
        s,
        "\nLog-rank test: chi-square {:.2} on {} df, p {}",
        rg.logrank.chisq,
        rg.logrank.df,
        p_phrase(rg.logrank.p)
    );
    if at.groups.iter().any(|g| !g.at.is_empty()) {
        let unit = time_unit.unwrap_or("");
        let times: Vec<f64> = at.groups[0].at.iter().map(|p| p.time).collect();
        let mut header = vec!["group".to_string()];
        header.extend(
            times
                .iter()
                .map(|t| format!("S({} {unit})", format_number(*t)).replace(" )", ")")),
        );
        let rows: Vec<Vec<String>> =
            at.groups
                .iter()
                .map(|g| {
                    let mut r = vec![g.group.clone()];
                    r.extend(g.at.iter().map(|p| {
                        format!("{} ({} to {})", pct(p.surv), pct(p.lower), pct(p.upper))
                    }));
                    r
                })
                .collect();
        s.push('\n');
        let header: Vec<&str> = header.iter().map(|h| h.as_str()).collect();
        s.push_str(&table(&header, &rows));
    }
    s
}

/// Labels of the groups: "Low", "Intermediate", "High" for three; "Low"/"High" for two; "Group 1"
/// ... otherwise; each with its score range.
pub fn risk_group_labels(cuts: &[f64], unit: &str) -> Vec<String> {
    let k = cuts.len() + 1;
    let names: Vec<String> = match k {
        2 => vec!["Low".into(), "High".into()],
        3 => vec!["Low".into(), "Intermediate".into(), "High".into()],
        _ => (1..=k).map(|i| format!("Group {i}")).collect(),
    };
    let f = |v: f64| fmt_sig_short(v, 4);
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let range = if i == 0 {
                format!("≤ {}", f(cuts[0]))
            } else if i == k - 1 {
                format!("> {}", f(cuts[k - 2]))
            } else {
                format!("{}–{}", f(cuts[i - 1]), f(cuts[i]))
            };
            format!("{n} ({unit} {range})")
        })
        .collect()
}

/// The attrition table as text: one line per step, with the reasons indented below it.
pub fn attrition_text(a: &Attrition) -> String {
    let split = a.has_split();
    let mut header = vec!["step", "excluded", "remaining"];
    if split {
        header.extend([
            "dev excluded",
            "dev remaining",
            "val excluded",
            "val remaining",
        ]);
    }
    let s = |v: Option<usize>| v.map_or(String::new(), |x| x.to_string());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |label: String, ex: Option<Count>, rem: Option<Count>| {
        let mut r = vec![label, s(ex.map(|c| c.all)), s(rem.map(|c| c.all))];
        if split {
            r.extend([
                s(ex.and_then(|c| c.development)),
                s(rem.and_then(|c| c.development)),
                s(ex.and_then(|c| c.validation)),
                s(rem.and_then(|c| c.validation)),
            ]);
        }
        rows.push(r);
    };
    row("registry export".into(), None, Some(a.start));
    for st in &a.steps {
        let label = match st.rule {
            Some(k) => format!("{k}. {}", st.label),
            None => st.label.clone(),
        };
        row(label, Some(st.excluded), Some(st.remaining));
        for r in &st.reasons {
            row(
                format!("     {}", r.value),
                Some(Count {
                    all: r.excluded,
                    development: None,
                    validation: None,
                }),
                None,
            );
        }
    }
    row("cohort".into(), None, Some(a.final_n));
    match &a.causes {
        Some(c) => {
            row("  events of interest".into(), None, Some(c.events));
            row("  competing events".into(), None, Some(c.competing));
            row("  censored".into(), None, Some(c.censored));
        }
        None => row("  events".into(), None, Some(a.events)),
    }
    let mut out = format!("Attrition ({})\n", a.export);
    for line in table(&header, &rows).lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The text section of `validate --recalibrate`: the slope, the baseline at x = 0 and the
/// calibration of the original and both updated models at each horizon.
pub fn recalibration_summary(
    r: &crate::model::recalibration::Recalibration,
    unit: Option<&str>,
) -> String {
    let opt = |v: Option<f64>| v.map_or("NA".to_string(), |x| format!("{x:.4}"));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nRecalibration on these data (n = {}, events = {})",
        r.n, r.events
    );
    let _ = writeln!(
        s,
        "  in the large: the coefficients kept, the baseline hazard re-estimated"
    );
    let _ = writeln!(
        s,
        "  slope: every coefficient times {:.4} (95% CI {:.4} to {:.4}), the baseline re-estimated",
        r.slope.coef,
        r.slope.hr_lower.ln(),
        r.slope.hr_upper.ln()
    );
    let mut rows = Vec::new();
    for h in &r.horizons {
        let label = format!("{} {}", format_number(h.time), unit.unwrap_or(""))
            .trim()
            .to_string();
        for (name, h0, c) in [
            ("original", &h.cumhaz0_original, &h.original),
            ("in the large", &h.cumhaz0_in_the_large, &h.in_the_large),
            ("slope", &h.cumhaz0_slope, &h.slope),
        ] {
            rows.push(vec![
                label.clone(),
                name.to_string(),
                h0.iter()
                    .map(|v| fmt_sig(*v, 4))
                    .collect::<Vec<_>>()
                    .join("/"),
                pct(c.mean_predicted),
                pct(c.observed),
                format!("{:.3}", c.observed_expected),
                opt(c.ici),
                format!("{:.4}", c.brier),
            ]);
        }
    }
    s.push('\n');
    s.push_str(&table(
        &[
            "horizon",
            "model",
            "H0(t) at x=0",
            "predicted",
            "observed",
            "O/E",
            "ICI",
            "Brier",
        ],
        &rows,
    ));
    let _ = writeln!(
        s,
        "predicted: mean predicted risk; observed: Kaplan-Meier risk. The updated models are\n\
         fitted on these data: their calibration here is apparent, not validated."
    );
    s
}

/// `recalibration.csv` of `validate --recalibrate --out-dir`: one row per horizon, model and
/// stratum, full precision.
pub fn recalibration_csv(r: &crate::model::recalibration::Recalibration) -> String {
    let mut s = String::from(
        "horizon,model,stratum,cumhaz0,mean_predicted,observed,observed_expected,ici,brier\n",
    );
    for h in &r.horizons {
        for (name, h0, c) in [
            ("original", &h.cumhaz0_original, &h.original),
            ("in_the_large", &h.cumhaz0_in_the_large, &h.in_the_large),
            ("slope", &h.cumhaz0_slope, &h.slope),
        ] {
            for (k, v) in h0.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{name},{},{},{},{},{},{},{}",
                    num(h.time),
                    k + 1,
                    num(*v),
                    num(c.mean_predicted),
                    num(c.observed),
                    num(c.observed_expected),
                    c.ici.map_or(String::new(), num),
                    num(c.brier)
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt_p(0.04077), "0.04");
        assert_eq!(fmt_p(2.05e-14), "<0.001");
        assert_eq!(fmt_p(0.0), "<0.001");
        assert_eq!(fmt_sig(0.0250697, 4), "0.02507");
        assert_eq!(fmt_sig(-3477.581266, 10), "-3477.581266");
        assert_eq!(fmt_sig(1.5e-9, 3), "1.50e-9");
    }

    #[test]
    fn aligns_tables() {
        let t = table(&["a", "bb"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "a    bb\nxyz   1\n");
    }

    #[test]
    fn threshold_labels() {
        assert_eq!(threshold_label(0.01 + 6.0 * 0.01), "0.07");
        assert_eq!(threshold_label(0.3), "0.3");
        assert_eq!(threshold_label(0.99), "0.99");
    }

    #[test]
    fn labels_name_the_ranges() {
        let l = risk_group_labels(&[80.0, 120.5], "points");
        assert_eq!(l[0], "Low (points ≤ 80)");
        assert_eq!(l[1], "Intermediate (points 80–120.5)");
        assert_eq!(l[2], "High (points > 120.5)");
    }
}
