//! Kaplan-Meier curves and log-rank tests against R: `tests/reference/reference.json` (`km` and
//! `logrank` of each case, R survival 3.5.3, made by `tests/reference/scripts/make_reference.R`):
//! `summary(survfit(Surv(time, event) ~ 1), times, extend = TRUE)`, the median row of
//! `summary(fit)$table` and `survdiff(Surv(time, event) ~ group)`, on the complete cases of the
//! time, event and covariates.

mod common;

use common::*;
use prognosis::stats::dist;
use prognosis::stats::km::{self, KmOptions};

const CASES: [&str; 3] = ["rotterdam_os", "gbsg_rfs", "bone_mets_css"];

/// The grouping column of the log-rank test on the complete rows, coded 0, 1, ... in the order of
/// its sorted distinct values (R's factor levels).
fn group_codes(case: &Case, column: &str) -> (Vec<usize>, usize) {
    let col = case.table.column(column).unwrap();
    let values: Vec<f64> = case
        .prepared
        .rows
        .iter()
        .map(|&row| col.value(row))
        .collect();
    assert!(values.iter().all(|v| v.is_finite()), "{column} is numeric");
    let mut levels = values.clone();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let codes = values
        .iter()
        .map(|v| levels.iter().position(|l| l == v).unwrap())
        .collect();
    (codes, levels.len())
}

fn check_km(name: &'static str) {
    let case = load(name);
    let r = &case.r["km"];
    let fit = km::kaplan_meier(&case.prepared.surv, None, &KmOptions::default()).unwrap();
    let what = |s: &str| format!("{} km {s}", case.name);
    assert_eq!(fit.n, case.prepared.surv.len());
    close(
        fit.events(),
        case.r["n_events"].as_f64().unwrap(),
        0.0,
        &what("events"),
    );
    let times = nums(&r["times"]);
    let surv = nums(&r["surv"]);
    let se = nums(&r["std_err"]);
    let lower = nums(&r["lower95"]);
    let upper = nums(&r["upper95"]);
    let n_risk = nums(&r["n_risk"]);
    for (k, &t) in times.iter().enumerate() {
        let p = fit.at(t);
        let w = |s: &str| what(&format!("{s} at {t}"));
        close(p.surv, surv[k], REL, &w("surv"));
        close(p.se, se[k], REL, &w("std.err"));
        close(p.lower, lower[k], REL, &w("lower"));
        close(p.upper, upper[k], REL, &w("upper"));
        assert_eq!(p.n_risk, n_risk[k], "{}", w("n.risk"));
    }
    let m = fit.median();
    close(
        m.median.unwrap(),
        r["median"].as_f64().unwrap(),
        REL,
        &what("median"),
    );
    close(
        m.lower.unwrap(),
        r["median_lower95"].as_f64().unwrap(),
        REL,
        &what("median 0.95LCL"),
    );
    close(
        m.upper.unwrap(),
        r["median_upper95"].as_f64().unwrap(),
        REL,
        &what("median 0.95UCL"),
    );
}

fn check_logrank(name: &'static str) {
    let case = load(name);
    let r = &case.r["logrank"];
    let column = r["group"].as_str().unwrap();
    let (groups, n_groups) = group_codes(&case, column);
    let lr = km::logrank(&case.prepared.surv, &groups, n_groups).unwrap();
    let what = |s: &str| format!("{} logrank by {column} {s}", case.name);
    let observed = nums(&r["observed"]);
    let expected = nums(&r["expected"]);
    assert_eq!(lr.observed.len(), observed.len());
    for k in 0..observed.len() {
        close(
            lr.observed[k],
            observed[k],
            REL,
            &what(&format!("observed {k}")),
        );
        close(
            lr.expected[k],
            expected[k],
            REL,
            &what(&format!("expected {k}")),
        );
    }
    close(lr.chisq, r["chisq"].as_f64().unwrap(), REL, &what("chisq"));
    assert_eq!(lr.df, n_groups - 1);
    close(
        lr.p,
        dist::chisq_sf(r["chisq"].as_f64().unwrap(), lr.df as f64),
        REL,
        &what("p"),
    );
    assert_eq!(lr.n.iter().sum::<usize>(), case.prepared.surv.len());
}

#[test]
fn rotterdam_km() {
    check_km("rotterdam_os");
}

#[test]
fn gbsg_km() {
    check_km("gbsg_rfs");
}

#[test]
fn bone_mets_km() {
    check_km("bone_mets_css");
}

#[test]
fn rotterdam_logrank() {
    check_logrank("rotterdam_os");
}

#[test]
fn gbsg_logrank() {
    check_logrank("gbsg_rfs");
}

#[test]
fn bone_mets_logrank() {
    check_logrank("bone_mets_css");
}

/// The per-group curves of the grouping column are the curves of the subsets.
#[test]
fn group_curves_are_subset_curves() {
    for name in CASES {
        let case = load(name);
        let column = case.r["logrank"]["group"].as_str().unwrap().to_string();
        let (groups, n_groups) = group_codes(&case, &column);
        let opts = KmOptions::default();
        let curves = km::by_group(&case.prepared.surv, &groups, n_groups, None, &opts).unwrap();
        for (g, c) in curves.iter().enumerate() {
            let rows: Vec<usize> = (0..groups.len()).filter(|&i| groups[i] == g).collect();
            let direct = km::kaplan_meier(&case.prepared.surv.subset(&rows), None, &opts).unwrap();
            assert_eq!(c.time, direct.time, "{name} group {g}");
            assert_eq!(c.surv, direct.surv, "{name} group {g}");
            assert_eq!(c.n_risk, direct.n_risk, "{name} group {g}");
        }
    }
}

/// The p quantile of a step curve by its definition, written independently of the library: the
/// first time the curve is at or below 1 - p; exactly at 1 - p, the midpoint with the time of
/// the next drop (R's `quantile.survfit`).
fn naive_quantile(curve: &[(f64, f64)], p: f64) -> Option<f64> {
    let level = 1.0 - p;
    let k = curve.iter().position(|&(_, s)| s <= level + 1e-8)?;
    if (curve[k].1 - level).abs() < 1e-8 {
        if let Some(next) = curve[k + 1..].iter().find(|&&(_, s)| s < curve[k].1) {
            return Some((curve[k].0 + next.0) / 2.0);
        }
    }
    Some(curve[k].0)
}

/// Median follow-up and its IQR by the reverse Kaplan-Meier method equal, on every reference
/// cohort: the quartiles of a curve computed here the slow obvious way (for each censoring time,
/// the number still under observation counted afresh), and for the median, the R-checked
/// Kaplan-Meier median of the data with censoring as the event (R's
/// `survfit(Surv(time, 1 - status) ~ 1)`).
#[test]
fn reverse_km_follow_up_matches_independent_computations() {
    for name in CASES {
        let case = load(name);
        let surv = &case.prepared.surv;
        let got = km::reverse_km_follow_up(surv);
        let (t, e) = (surv.time(), surv.event());
        let mut times: Vec<f64> = t.to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut s = 1.0;
        let mut curve = Vec::new();
        for &u in &times {
            let at_risk = t.iter().filter(|&&x| x >= u).count() as f64;
            let censored = t.iter().zip(e).filter(|(&x, &d)| x == u && !d).count() as f64;
            if censored > 0.0 {
                s *= 1.0 - censored / at_risk;
                curve.push((u, s));
            }
        }
        assert_eq!(got.q25, naive_quantile(&curve, 0.25), "{name} q25");
        assert_eq!(got.median, naive_quantile(&curve, 0.5), "{name} median");
        assert_eq!(got.q75, naive_quantile(&curve, 0.75), "{name} q75");
        let flipped =
            prognosis::stats::surv::Surv::new(t.to_vec(), e.iter().map(|d| !d).collect()).unwrap();
        let fit = km::kaplan_meier(&flipped, None, &KmOptions::default()).unwrap();
        assert_eq!(got.median, fit.median().median, "{name} median");
        assert!(got.q25 <= got.median && got.median <= got.q75, "{name}");
    }
}
