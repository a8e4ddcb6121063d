//! `prognosis fit --model fine-gray | cause-specific` run as a user runs it, on the
//! competing-risks reference cohorts: the Fine-Gray JSON equals `cmprsk::crr` and the
//! cause-specific Cox coefficients equal `riskRegression::CSC`
//! (tests/reference/competing_risks/competing_risks.json).

mod common;

use common::competing::fit_args;
use common::{close, nums, root, strs, REL};
use serde_json::Value;
use std::process::Command;

const CASES: [&str; 3] = ["bone_mets_cr", "mgus2_cr", "rotterdam_cr"];

fn reference(case: &str) -> Value {
    let path = root().join("tests/reference/competing_risks/competing_risks.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[case].clone()
}

fn run(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// `fit` of the reference case with `extra` options, as JSON.
fn fit_json(r: &Value, extra: &[&str]) -> Value {
    let data = format!(
        "tests/reference/competing_risks/datasets/{}",
        r["file"].as_str().unwrap()
    );
    let mut args = fit_args(r, &data);
    args.push("--json".into());
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = run(&args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Index of each of R's terms among the JSON's coefficient rows (prognosis names a dummy
/// `size=>50` where R names it `size>50`).
fn term_order(coefficients: &Value, terms: &[String]) -> Vec<usize> {
    let rows = coefficients.as_array().unwrap();
    terms
        .iter()
        .map(|t| {
            rows.iter()
                .position(|c| c["term"].as_str().unwrap().replace('=', "") == *t)
                .unwrap_or_else(|| panic!("no term {t}"))
        })
        .collect()
}

#[test]
fn fine_gray_equals_cmprsk_crr() {
    for case in CASES {
        let r = reference(case);
        let j = fit_json(&r, &["--model", "fine-gray", "--cause", "1"]);
        let crr = &r["crr"];
        assert_eq!(j["model"], "fine-gray");
        assert_eq!(j["cause"], "1");
        assert_eq!(j["n"].as_u64(), r["n_complete"].as_u64(), "{case}");
        assert_eq!(j["censored"].as_u64(), r["n_censored"].as_u64(), "{case}");
        assert_eq!(j["events"][0]["events"].as_u64(), r["n_cause1"].as_u64());
        assert_eq!(j["events"][1]["events"].as_u64(), r["n_cause2"].as_u64());
        assert_eq!(j["converged"].as_bool(), crr["converged"].as_bool());
        let order = term_order(&j["coefficients"], &strs(&crr["terms"]));
        let (coef, se, p) = (nums(&crr["coef"]), nums(&crr["se"]), nums(&crr["p"]));
        for (k, &i) in order.iter().enumerate() {
            let row = &j["coefficients"][i];
            let what = format!("{case} {}", row["term"]);
            let b = row["coef"].as_f64().unwrap();
            close(b, coef[k], REL, &what);
            close(row["se"].as_f64().unwrap(), se[k], REL, &what);
            close(row["p"].as_f64().unwrap(), p[k], REL, &what);
            close(row["hr"].as_f64().unwrap(), coef[k].exp(), REL, &what);
            let z = 1.959963984540054;
            close(
                row["hr_lower"].as_f64().unwrap(),
                (coef[k] - z * se[k]).exp(),
                REL,
                &what,
            );
            close(
                row["hr_upper"].as_f64().unwrap(),
                (coef[k] + z * se[k]).exp(),
                REL,
                &what,
            );
            close(row["z"].as_f64().unwrap(), coef[k] / se[k], REL, &what);
        }
        let ll = nums(&j["loglik"]);
        close(ll[0], crr["loglik_null"].as_f64().unwrap(), REL, case);
        close(ll[1], crr["loglik"].as_f64().unwrap(), REL, case);
    }
}

#[test]
fn cause_specific_models_equal_riskregression_csc() {
    for case in CASES {
        let r = reference(case);
        let j = fit_json(&r, &["--model", "cause-specific", "--cause", "1"]);
        assert_eq!(j["model"], "cause-specific");
        let terms = strs(&r["crr"]["terms"]);
        for (k, key) in [(0, "coef_cause"), (1, "coef_other")] {
            let fit = &j["causes"][k]["fit"];
            assert_eq!(j["causes"][k]["cause"], Value::from((k + 1).to_string()));
            assert_eq!(
                fit["events"].as_u64(),
                r[format!("n_cause{}", k + 1)].as_u64(),
                "{case}"
            );
            let want = nums(&r["csc"][key]);
            let order = term_order(&fit["coefficients"], &terms);
            for (t, &i) in order.iter().enumerate() {
                let row = &fit["coefficients"][i];
                close(
                    row["coef"].as_f64().unwrap(),
                    want[t],
                    REL,
                    &format!("{case} {key} {}", row["term"]),
                );
            }
        }
    }
}

#[test]
fn the_cause_of_interest_can_be_the_second_value() {
    // with --cause 2, the Fine-Gray model of cause 2 is not that of cause 1
    let r = reference("mgus2_cr");
    let one = fit_json(&r, &["--model", "fine-gray"]);
    let two = fit_json(&r, &["--model", "fine-gray", "--cause", "2"]);
    assert_eq!(one["cause"], "1");
    assert_eq!(two["cause"], "2");
    assert_eq!(two["events"][0]["events"].as_u64(), r["n_cause2"].as_u64());
    let b1 = one["coefficients"][0]["coef"].as_f64().unwrap();
    let b2 = two["coefficients"][0]["coef"].as_f64().unwrap();
    assert!((b1 - b2).abs() > 1e-3, "{b1} {b2}");
}

#[test]
fn options_that_do_not_fit_the_model_are_errors() {
    let data = "tests/reference/competing_risks/datasets/mgus2_cr.csv";
    let base = [
        "fit",
        data,
        "--time",
        "time",
        "--event",
        "cause",
        "--covariates",
        "age,hgb",
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let out_s = out.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--model", "fine-gray", "--event-value", "1"],
            "--event-value is for Cox models",
        ),
        (
            &[
                "--model",
                "cause-specific",
                "--strata",
                "sex",
                "--out",
                out_s,
            ],
            "holds unstratified fits",
        ),
        (
            &["--model", "fine-gray", "--strata", "sex"],
            "has no strata",
        ),
        (&["--cause", "1"], "add --model fine-gray"),
        (
            &["--model", "fine-gray", "--cause", "5"],
            "--cause 5 is not a value",
        ),
    ];
    for (extra, msg) in cases {
        let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} succeeded");
        assert!(err.contains(msg), "{extra:?}: {err}");
        assert!(!out.exists());
    }
}
