//! Competing risks against R's cmprsk 2.2-11 (cuminc, timepoints, Gray's test, crr, predict.crr)
//! and riskRegression's FGR predictions: tests/reference/competing_risks/competing_risks.json,
//! made by tests/reference/scripts/make_cr_reference.R.

mod common;

use common::competing::{load, CrCase, CASES};
use common::{close, nums, REL};
use prognosis::stats::competing::{self, CrrOptions, CumincOptions};

fn group_codes(case: &CrCase, column: &str) -> Vec<usize> {
    let col = case.table.column(column).unwrap();
    let labels: Vec<String> = case.rows.iter().map(|&i| col.label(i).unwrap()).collect();
    let mut levels = labels.clone();
    levels.sort();
    levels.dedup();
    labels
        .iter()
        .map(|l| levels.iter().position(|v| v == l).unwrap())
        .collect()
}

#[test]
fn cumulative_incidence_and_variance_equal_cmprsk() {
    for name in CASES {
        let case = load(name);
        let times = nums(&case.r["times"]);
        let curves = competing::cuminc(&case.surv, None, &CumincOptions::default()).unwrap();
        assert_eq!(curves.len(), 2);
        for (curve, want) in curves.iter().zip(case.r["cuminc"].as_array().unwrap()) {
            assert_eq!(curve.cause as u64, want["cause"].as_u64().unwrap());
            let est = nums(&want["est"]);
            let var = nums(&want["var"]);
            for (j, &t) in times.iter().enumerate() {
                let pt = curve.at(t).unwrap();
                close(
                    pt.estimate,
                    est[j],
                    REL,
                    &format!("{name} cause {} est at {t}", curve.cause),
                );
                close(
                    pt.variance,
                    var[j],
                    REL,
                    &format!("{name} cause {} var at {t}", curve.cause),
                );
                assert!(pt.lower < pt.estimate && pt.estimate < pt.upper);
            }
        }
    }
}

#[test]
fn gray_test_equals_cmprsk() {
    for name in CASES {
        let case = load(name);
        let g = &case.r["gray"];
        let groups = group_codes(&case, g["group"].as_str().unwrap());
        let tests = competing::gray_test(&case.surv, &groups, None, 0.0).unwrap();
        let stat = nums(&g["stat"]);
        let p = nums(&g["p"]);
        let df = nums(&g["df"]);
        assert_eq!(tests.len(), stat.len());
        for (j, t) in tests.iter().enumerate() {
            close(
                t.statistic.unwrap(),
                stat[j],
                REL,
                &format!("{name} Gray stat cause {}", t.cause),
            );
            // cmprsk reports 1 - pchisq(stat, df), which keeps only ~1e-16 absolute accuracy;
            // the upper tail is computed directly here
            let got = t.p_value.unwrap();
            if p[j] > 1e-6 {
                close(got, p[j], REL, &format!("{name} Gray p cause {}", t.cause));
            } else {
                assert!(
                    (got - p[j]).abs() < 1e-15,
                    "{name} Gray p {got:e} vs {:e}",
                    p[j]
                );
            }
            assert_eq!(t.df as f64, df[j]);
        }
    }
}

#[test]
fn gray_test_with_one_stratum_per_row_group_is_the_sum() {
    // strata: the test of the first case stratified by itself in two halves equals the crst sums
    let case = load("bone_mets_cr");
    let groups = group_codes(&case, "surgery");
    let strata = group_codes(&case, "chemo");
    let all = competing::gray_test(&case.surv, &groups, Some(&strata), 0.0).unwrap();
    let mut score = 0.0;
    let mut var = 0.0;
    for s in 0..2 {
        let rows: Vec<usize> = (0..strata.len()).filter(|&i| strata[i] == s).collect();
        let sub = case.surv.subset(&rows);
        let g: Vec<usize> = rows.iter().map(|&i| groups[i]).collect();
        let t = competing::gray_test(&sub, &g, None, 0.0).unwrap();
        score += t[0].score[0];
        var += t[0].variance[0];
    }
    close(all[0].score[0], score, 1e-12, "stratified score");
    close(all[0].variance[0], var, 1e-12, "stratified variance");
    close(
        all[0].statistic.unwrap(),
        score * score / var,
        1e-12,
        "stratified statistic",
    );
}

#[test]
fn fine_gray_equals_cmprsk_crr() {
    for name in CASES {
        let case = load(name);
        let r = &case.r["crr"];
        let fit = competing::crr(&case.surv, &case.design, &CrrOptions::default()).unwrap();
        assert_eq!(
            fit.converged,
            r["converged"].as_bool().unwrap(),
            "{name} converged"
        );
        let coef = nums(&r["coef"]);
        let se = nums(&r["se"]);
        let p = nums(&r["p"]);
        for (j, row) in fit.coefficients().iter().enumerate() {
            close(row.coef, coef[j], REL, &format!("{name} coef {}", row.name));
            close(row.se, se[j], REL, &format!("{name} se {}", row.name));
            close(row.p, p[j], REL, &format!("{name} p {}", row.name));
        }
        close(
            fit.loglik,
            r["loglik"].as_f64().unwrap(),
            REL,
            &format!("{name} loglik"),
        );
        close(
            fit.loglik_null,
            r["loglik_null"].as_f64().unwrap(),
            REL,
            &format!("{name} loglik at 0"),
        );
        // predict.crr for the first, middle and last complete rows
        let n = case.design.n;
        let times = nums(&case.r["times"]);
        for (k, prof) in r["profiles"].as_array().unwrap().iter().enumerate() {
            let row = [0, n / 2 - 1, n - 1][k];
            let want = nums(&prof["cif"]);
            let got = fit.predict(case.design.row(row), &times).unwrap();
            let with_se = fit
                .predict_with_se(&case.surv, &case.design, case.design.row(row), &times)
                .unwrap();
            for j in 0..times.len() {
                close(
                    got[j],
                    want[j],
                    REL,
                    &format!("{name} profile {k} cif at {}", times[j]),
                );
                close(with_se[j].cif, want[j], 1e-12, "predict_with_se cif");
                assert!(with_se[j].lower < want[j] && want[j] < with_se[j].upper);
                assert!(with_se[j].se > 0.0);
            }
        }
    }
}

#[test]
fn fine_gray_predictions_equal_riskregression_fgr_for_every_row() {
    for name in CASES {
        let case = load(name);
        let fit = competing::crr(&case.surv, &case.design, &CrrOptions::default()).unwrap();
        let times = nums(&case.r["times"]);
        let values = case.r["predicted_cif"]["values"].as_array().unwrap();
        for (j, &t) in times.iter().enumerate() {
            let want = nums(&values[j]);
            assert_eq!(want.len(), case.design.n);
            for (i, &w) in want.iter().enumerate() {
                let got = fit.predict(case.design.row(i), &[t]).unwrap()[0];
                close(got, w, REL, &format!("{name} row {i} cif at {t}"));
            }
        }
    }
}

/// R's predicted cumulative incidence of every complete row, one vector per horizon.
fn r_predictions(case: &CrCase) -> Vec<Vec<f64>> {
    case.r["predicted_cif"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(nums)
        .collect()
}

#[test]
fn grouped_calibration_equals_the_reference() {
    // fifths of R's predicted CIF (cut(p, unique(quantile(p, 0:5/5)), include.lowest = TRUE)):
    // per group n, mean predicted and the Aalen-Johansen CIF with cmprsk's variance
    for name in CASES {
        let case = load(name);
        let fit = competing::crr(&case.surv, &case.design, &CrrOptions::default()).unwrap();
        let times = nums(&case.r["times"]);
        let pred_r = r_predictions(&case);
        for (j, cal) in case.r["calibration_groups5"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let t = times[j];
            assert_eq!(cal["time"].as_f64().unwrap(), t);
            // the groups from R's predictions; the mean predicted from ours (same groups)
            let opts = CumincOptions::default();
            let got =
                competing::grouped_calibration(&case.surv, 1, &pred_r[j], t, 5, &opts).unwrap();
            let ours: Vec<f64> = (0..case.design.n)
                .map(|i| fit.predict(case.design.row(i), &[t]).unwrap()[0])
                .collect();
            let got_ours =
                competing::grouped_calibration(&case.surv, 1, &ours, t, 5, &opts).unwrap();
            let want = cal["groups"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{name} t {t} groups");
            assert_eq!(got_ours.len(), want.len(), "{name} t {t} groups (ours)");
            for (g, want) in want.iter().enumerate() {
                let at = format!("{name} t {t} group {g}");
                assert_eq!(got[g].n as u64, want["n"].as_u64().unwrap(), "{at} n");
                assert_eq!(got_ours[g].n, got[g].n, "{at} n (ours)");
                let wp = want["predicted"].as_f64().unwrap();
                close(got[g].predicted, wp, REL, &format!("{at} predicted"));
                close(
                    got_ours[g].predicted,
                    wp,
                    REL,
                    &format!("{at} predicted (ours)"),
                );
                let wo = want["observed"].as_f64().unwrap();
                let wv = want["var"].as_f64().unwrap();
                close(got[g].observed.unwrap(), wo, REL, &format!("{at} observed"));
                close(got[g].var.unwrap(), wv, REL, &format!("{at} var"));
                close(
                    got_ours[g].observed.unwrap(),
                    wo,
                    REL,
                    &format!("{at} observed (ours)"),
                );
                let (lo, hi) = (got[g].lower.unwrap(), got[g].upper.unwrap());
                assert!(lo < wo && wo < hi, "{at} limits {lo} {hi}");
            }
        }
    }
}

/// The cause-specific Cox fits (Efron ties) of every cause, with their coefficient influence
/// variances and the cause-specific hazards.
fn cause_specific(
    case: &CrCase,
) -> (
    Vec<prognosis::stats::cox::CoxFit>,
    Vec<Vec<f64>>,
    competing::CauseHazards,
) {
    // the variance of each cause's coefficients, row-major
    use prognosis::stats::cox::{self, CoxOptions, FitExtras};
    let mut fits = Vec::new();
    let mut iid = Vec::new();
    for k in 1..=case.surv.n_causes() {
        let s = case.surv.cause_specific(k);
        let fit = cox::fit(
            &case.design,
            &s,
            FitExtras::default(),
            &CoxOptions::default(),
        )
        .unwrap();
        iid.push(fit.var.iter().flatten().copied().collect());
        fits.push(fit);
    }
    let coef: Vec<Vec<f64>> = fits.iter().map(|f| f.coef.clone()).collect();
    let hz = competing::CauseHazards::new(
        &case.surv,
        &case.design,
        &coef,
        prognosis::stats::cox::Ties::Efron,
    )
    .unwrap();
    (fits, iid, hz)
}

fn profile_x(case: &CrCase, k: usize) -> Vec<f64> {
    let prof = &case.r["crr"]["profiles"][k]["covariates"];
    case.design
        .names
        .iter()
        .map(|term| {
            if let Some(v) = prof[term.as_str()].as_f64() {
                return v;
            }
            // a factor's indicator: term is column name followed by the level
            let obj = prof.as_object().unwrap();
            let (col, val) = obj
                .iter()
                .find(|(c, _)| term.starts_with(c.as_str()))
                .unwrap_or_else(|| panic!("no profile value for {term}"));
            let level = val.as_str().map_or_else(|| val.to_string(), str::to_string);
            (term[col.len()..] == level) as u8 as f64
        })
        .collect()
}

#[test]
fn cause_specific_absolute_risk_equals_riskregression_csc() {
    for name in CASES {
        let case = load(name);
        let r = &case.r["csc"];
        let (fits, iid, hz) = cause_specific(&case);
        for (j, (&got, want)) in fits[0].coef.iter().zip(nums(&r["coef_cause"])).enumerate() {
            close(got, want, REL, &format!("{name} coef_cause {j}"));
        }
        for (j, (&got, want)) in fits[1].coef.iter().zip(nums(&r["coef_other"])).enumerate() {
            close(got, want, REL, &format!("{name} coef_other {j}"));
        }
        for (k, prof) in r["profiles"].as_array().unwrap().iter().enumerate() {
            let x = profile_x(&case, k);
            let times = nums(&prof["times"]);
            let got = competing::absolute_risk_se(
                &hz,
                &case.surv,
                &case.design,
                &iid,
                1,
                &x,
                &times,
                0.95,
            )
            .unwrap();
            let point = hz.absolute_risk(1, &x, &times).unwrap();
            for (field, want) in ["risk", "se", "lower", "upper"]
                .iter()
                .map(|f| (*f, nums(&prof[*f])))
            {
                for (i, g) in got.iter().enumerate() {
                    let v = match field {
                        "risk" => g.risk,
                        "se" => g.se,
                        "lower" => g.lower,
                        _ => g.upper,
                    };
                    close(
                        v,
                        want[i],
                        REL,
                        &format!("{name} profile {k} {field} t={}", times[i]),
                    );
                }
            }
            for (g, p) in got.iter().zip(&point) {
                close(g.risk, *p, 1e-12, "risk with and without se");
            }
        }
    }
}
