//! The library against R: `tests/reference/reference.json` (R survival 3.5.3, made by
//! `tests/reference/scripts/make_reference.R`) for the three cohorts and both tie methods.

mod common;

use common::*;
use prognosis::model::spec::{self as cohort, CovariateKind};
use prognosis::stats::cox::{self, CoxFit, CoxOptions, FitExtras, Ties};
use serde_json::Value;
use std::collections::BTreeMap;

/// R's name of one of our terms: `size=>50` is `size>50` in R.
fn r_term(term: &str) -> String {
    term.replace('=', "")
}

fn fit(case: &Case, ties: Ties) -> CoxFit {
    let opts = CoxOptions {
        ties,
        ..CoxOptions::default()
    };
    cox::fit(
        &case.prepared.design,
        &case.prepared.surv,
        FitExtras::default(),
        &opts,
    )
    .unwrap()
}

fn check_fit(case: &Case, ties: Ties) {
    let key = ties.to_string();
    let r = &case.r[&key];
    let f = fit(case, ties);
    let what = |s: &str| format!("{} {key} {s}", case.name);
    assert_eq!(f.n as u64, case.r["n_complete"].as_u64().unwrap());
    assert_eq!(f.events as u64, case.r["n_events"].as_u64().unwrap());
    assert_eq!(case.prepared.counts.read, case.table.n_rows());

    // match terms by R's names
    let r_terms = strs(&r["terms"]);
    let ours: Vec<String> = f.terms.iter().map(|t| r_term(t)).collect();
    let mut sorted_r = r_terms.clone();
    sorted_r.sort();
    let mut sorted_ours = ours.clone();
    sorted_ours.sort();
    assert_eq!(sorted_ours, sorted_r, "{}", what("terms"));

    let rows = f.coefficients();
    let coef = nums(&r["coef"]);
    let se = nums(&r["se"]);
    let lo = nums(&r["hr_lower95"]);
    let hi = nums(&r["hr_upper95"]);
    let p = nums(&r["p_wald"]);
    for (k, name) in r_terms.iter().enumerate() {
        let j = ours.iter().position(|t| t == name).unwrap();
        let row = &rows[j];
        close(row.coef, coef[k], REL, &what(&format!("coef {name}")));
        close(row.se, se[k], REL, &what(&format!("se {name}")));
        close(row.hr_lower, lo[k], REL, &what(&format!("HR lower {name}")));
        close(row.hr_upper, hi[k], REL, &what(&format!("HR upper {name}")));
        close(row.p, p[k], REL, &what(&format!("p {name}")));
        close(row.hr, coef[k].exp(), REL, &what(&format!("HR {name}")));
    }
    let ll = nums(&r["loglik"]);
    close(f.loglik[0], ll[0], REL, &what("initial loglik"));
    close(f.loglik[1], ll[1], REL, &what("final loglik"));
    assert_eq!(
        f.iterations as u64,
        r["iter"].as_u64().unwrap(),
        "{}",
        what("iterations")
    );
    assert!(f.converged);
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);

    let lr = nums(&r["lr_test"]);
    close(
        f.likelihood_ratio.statistic,
        lr[0],
        REL,
        &what("LR statistic"),
    );
    assert_eq!(f.likelihood_ratio.df, lr[1]);
    close(f.likelihood_ratio.p, lr[2], REL, &what("LR p"));
    let sc = nums(&r["score_test"]);
    close(f.score.statistic, sc[0], REL, &what("score statistic"));
    assert_eq!(f.score.df, sc[1]);
    close(f.score.p, sc[2], REL, &what("score p"));
    // summary.coxph rounds the Wald statistic to 2 decimals; its p is from the unrounded value
    let wald = nums(&r["wald_test"]);
    assert!(
        (f.wald.statistic - wald[0]).abs() <= 0.005 + 1e-9,
        "{}: {} vs {}",
        what("Wald statistic"),
        f.wald.statistic,
        wald[0]
    );
    assert_eq!(f.wald.df, wald[1]);
    close(f.wald.p, wald[2], REL, &what("Wald p"));

    // predicted survival for the three profiles
    for (pi, prof) in r["profiles"].as_array().unwrap().iter().enumerate() {
        let mut values = BTreeMap::new();
        for (k, v) in prof["covariates"].as_object().unwrap() {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            values.insert(k.clone(), text);
        }
        let (x, stratum) = cohort::encode_patient(&case.prepared.spec, &values).unwrap();
        // R's lp here is predict(reference = "zero"): x'beta uncentred
        let lp0: f64 = x.iter().zip(&f.coef).map(|(a, b)| a * b).sum();
        close(
            lp0,
            prof["lp"].as_f64().unwrap(),
            REL,
            &what(&format!("profile {pi} lp")),
        );
        let curve = f.patient_curve(&x, stratum);
        let times = nums(&prof["times"]);
        let surv = nums(&prof["surv"]);
        let sd = nums(&prof["std_err"]);
        let lower = nums(&prof["lower95"]);
        let upper = nums(&prof["upper95"]);
        for (k, &t) in times.iter().enumerate() {
            let pt = curve.at(t);
            let w = |s: &str| what(&format!("profile {pi} {s} at {t}"));
            close(pt.surv, surv[k], REL, &w("surv"));
            close(pt.se, sd[k], REL, &w("se"));
            close(pt.lower, lower[k], REL, &w("lower"));
            close(pt.upper, upper[k], REL, &w("upper"));
        }
    }
}

#[test]
fn bone_mets_efron() {
    check_fit(&load("bone_mets_css"), Ties::Efron);
}

#[test]
fn bone_mets_breslow() {
    check_fit(&load("bone_mets_css"), Ties::Breslow);
}

#[test]
fn rotterdam_efron() {
    check_fit(&load("rotterdam_os"), Ties::Efron);
}

#[test]
fn rotterdam_breslow() {
    check_fit(&load("rotterdam_os"), Ties::Breslow);
}

#[test]
fn gbsg_efron() {
    check_fit(&load("gbsg_rfs"), Ties::Efron);
}

#[test]
fn gbsg_breslow() {
    check_fit(&load("gbsg_rfs"), Ties::Breslow);
}

#[test]
fn rotterdam_size_is_categorical_with_r_reference() {
    let case = load("rotterdam_os");
    let size = case
        .prepared
        .spec
        .covariates
        .iter()
        .find(|c| c.name == "size")
        .unwrap();
    match &size.kind {
        CovariateKind::Categorical { levels, reference } => {
            assert_eq!(reference, "<=20");
            assert_eq!(levels.len(), 3);
        }
        other => panic!("size should be categorical, is {other:?}"),
    }
}

/// The centred linear predictor equals R's `predict(type = "lp")` (0/1 columns not centred, as
/// coxph's `nocenter`) and predicted survival equals `survfit.coxph` for every row
/// (`predictions_<case>.csv`).
#[test]
fn centred_linear_predictors_match_r() {
    for name in ["bone_mets_css", "gbsg_rfs", "rotterdam_os"] {
        let case = load(name);
        let f = fit(&case, Ties::Efron);
        let path = root().join(format!("tests/reference/predictions_{name}.csv"));
        let mut rdr = csv::Reader::from_path(path).unwrap();
        let header = rdr.headers().unwrap().clone();
        let lp_col = header.iter().position(|h| h == "lp").unwrap();
        let surv_cols: Vec<(usize, f64)> = header
            .iter()
            .enumerate()
            .filter_map(|(k, h)| Some((k, h.strip_prefix("surv_")?.parse().ok()?)))
            .collect();
        assert_eq!(surv_cols.len(), 3);
        let mut n = 0;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            let want: f64 = rec[lp_col].parse().unwrap();
            let x = case.prepared.design.row(i);
            let got = f.linear_predictor(x);
            // relative to the spread of lp, as values near 0 have no meaningful relative error
            assert!(
                (got - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{name} row {i}: lp {got} vs R {want}"
            );
            let curve = f.patient_curve(x, 0);
            for &(k, t) in &surv_cols {
                let want: f64 = rec[k].parse().unwrap();
                close(
                    curve.at(t).surv,
                    want,
                    REL,
                    &format!("{name} row {i} S({t})"),
                );
            }
            n += 1;
        }
        assert_eq!(n, case.prepared.design.n);
    }
}

/// The two internal layouts (whole-number times counted into buckets; other times sorted) give
/// the same fit: shifting every time by half a unit changes no risk set.
#[test]
fn bucketed_and_sorted_layouts_agree() {
    for name in ["bone_mets_css", "rotterdam_os"] {
        let case = load(name);
        for ties in [Ties::Efron, Ties::Breslow] {
            let f1 = fit(&case, ties);
            let shifted: Vec<f64> = case.prepared.surv.time().iter().map(|t| t + 0.5).collect();
            let surv2 =
                prognosis::stats::surv::Surv::new(shifted, case.prepared.surv.event().to_vec())
                    .unwrap();
            let opts = CoxOptions {
                ties,
                ..CoxOptions::default()
            };
            let f2 = cox::fit(&case.prepared.design, &surv2, FitExtras::default(), &opts).unwrap();
            assert_eq!(f1.iterations, f2.iterations);
            for k in 0..f1.coef.len() {
                close(
                    f2.coef[k],
                    f1.coef[k],
                    1e-12,
                    &format!("{name} {ties} coef {k}"),
                );
                close(
                    f2.var[k][k],
                    f1.var[k][k],
                    1e-12,
                    &format!("{name} {ties} var {k}"),
                );
            }
            close(f2.loglik[1], f1.loglik[1], 1e-13, "loglik");
            let b1 = &f1.baseline[0];
            let b2 = &f2.baseline[0];
            assert_eq!(b1.time.len(), b2.time.len());
            for k in 0..b1.time.len() {
                close(b2.cumhaz[k], b1.cumhaz[k], 1e-12, "cumhaz");
                close(b2.cumvar[k], b1.cumvar[k], 1e-12, "cumvar");
            }
        }
    }
}
