//! `prognosis validate` with a competing-risks model file, run as a user runs it: a Fine-Gray
//! model written by `prognosis fit --model fine-gray --out`, validated on its own data, gives
//! riskRegression::Score's AUC (with its standard error) and Brier scores, pec::cindex's
//! truncated C and the grouped calibration of tests/reference/competing_risks/ (to 1e-6
//! relative); the bootstrap and the files of --out-dir.

mod common;

use common::competing::fit_model;
use common::{close, nums, root, REL};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const CASES: [&str; 3] = ["bone_mets_cr", "mgus2_cr", "rotterdam_cr"];

fn json(name: &str) -> Value {
    let path = root().join("tests/reference/competing_risks").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn data_path(r: &Value) -> String {
    format!(
        "tests/reference/competing_risks/datasets/{}",
        r["file"].as_str().unwrap()
    )
}

/// Fits the reference case's model (`fine-gray` or `cause-specific`) into `out`.
fn fit(r: &Value, kind: &str, out: &Path) {
    fit_on(r, &data_path(r), kind, out)
}

/// Fits the reference case's model on the data file `data`.
fn fit_on(r: &Value, data: &str, kind: &str, out: &Path) {
    fit_model(r, data, kind, out.to_str().unwrap());
}

fn validate(model: &Path, r: &Value, extra: &[&str]) -> std::process::Output {
    validate_on(model, r, &data_path(r), extra)
}

fn validate_on(model: &Path, r: &Value, data: &str, extra: &[&str]) -> std::process::Output {
    let times: Vec<String> = nums(&r["times"]).iter().map(|t| t.to_string()).collect();
    let mut args: Vec<String> = vec![
        "validate".into(),
        "--model".into(),
        model.to_str().unwrap().into(),
        data.into(),
        "--times".into(),
        times.join(","),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(&args)
}

#[test]
fn fine_gray_model_file_validation_equals_r() {
    let (all, extra) = (json("competing_risks.json"), json("validation_extra.json"));
    let dir = tempfile::tempdir().unwrap();
    for name in CASES {
        let r = &all[name];
        let model = dir.path().join(format!("{name}.json"));
        fit(r, "fine-gray", &model);
        let o = validate(&model, r, &["--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(j["n"].as_u64(), r["n_complete"].as_u64());
        assert_eq!(j["events"].as_u64(), r["n_cause1"].as_u64());
        assert_eq!(j["competing"].as_u64(), r["n_cause2"].as_u64());
        assert!(j["bootstrap"].is_null());
        let sc = &r["score"];
        let cidx = nums(&extra[name]["cindex"]);
        for (k, h) in j["horizons"].as_array().unwrap().iter().enumerate() {
            let at = format!("{name} at {}", h["time"]);
            let num = |key: &str| h[key].as_f64().unwrap();
            close(num("auc"), nums(&sc["auc"])[k], REL, &format!("{at} auc"));
            close(
                num("auc_se"),
                nums(&sc["auc_se"])[k],
                REL,
                &format!("{at} se"),
            );
            close(
                num("brier"),
                nums(&sc["brier"])[k],
                REL,
                &format!("{at} brier"),
            );
            let null = nums(&sc["brier_null"])[k];
            close(num("null_brier"), null, REL, &format!("{at} null"));
            let ipa = 1.0 - nums(&sc["brier"])[k] / null;
            close(num("ipa"), ipa, REL, &format!("{at} ipa"));
            close(num("cindex"), cidx[k], REL, &format!("{at} C"));
            let want = r["calibration_groups5"][k]["groups"].as_array().unwrap();
            let got = h["calibration"]["groups"].as_array().unwrap();
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g["n"], w["n"], "{at}");
                for key in ["predicted", "observed", "var"] {
                    let v = g[key].as_f64().unwrap();
                    close(v, w[key].as_f64().unwrap(), REL, &format!("{at} {key}"));
                }
                let (lo, hi) = (g["lower"].as_f64().unwrap(), g["upper"].as_f64().unwrap());
                let obs = g["observed"].as_f64().unwrap();
                assert!(lo < obs && obs < hi);
            }
        }
    }
}

#[test]
fn bootstrap_and_out_dir() {
    let all = json("competing_risks.json");
    let r = &all["bone_mets_cr"];
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("fg.json");
    fit(r, "fine-gray", &model);
    let out = dir.path().join("out");
    let o = validate(
        &model,
        r,
        &[
            "--bootstrap",
            "4",
            "--seed",
            "5",
            "--out-dir",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Bootstrap optimism correction (4 resamples, 0 failed, seed 5)"));
    assert!(text.contains("truncated C"));
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let b = &saved["bootstrap"];
    assert_eq!(b["resamples"], 4);
    for h in b["horizons"].as_array().unwrap() {
        let (a, o, c) = (&h["apparent"], &h["optimism"], &h["corrected"]);
        for key in ["auc", "brier", "ipa", "cindex"] {
            let (a, o, c) = (
                a[key].as_f64().unwrap(),
                o[key].as_f64().unwrap(),
                c[key].as_f64().unwrap(),
            );
            assert!((a - o - c).abs() < 1e-12 && o != 0.0, "{key}");
        }
    }
    for t in ["12", "36", "60"] {
        for ext in ["svg", "png", "pdf"] {
            let f = out.join(format!("calibration_time_{t}.{ext}"));
            assert!(f.metadata().unwrap().len() > 1000, "{}", f.display());
        }
    }
    // the same seed gives the same numbers; --json prints what --out-dir saved
    let o = validate(&model, r, &["--bootstrap", "4", "--seed", "5", "--json"]);
    let again: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again, saved);
}

#[test]
fn a_cause_specific_model_is_validated_but_not_bootstrapped() {
    let all = json("competing_risks.json");
    let r = &all["mgus2_cr"];
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("cs.json");
    fit(r, "cause-specific", &model);
    let o = validate(&model, r, &["--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let auc = j["horizons"][0]["auc"].as_f64().unwrap();
    assert!(auc > 0.5 && auc < 0.9, "{auc}");
    // one linear predictor per cause: no calibration slope
    assert!(j["slope"].is_null());
    assert!(j["horizons"][0]["calibration"]["observed_expected"].is_f64());
    let o = validate(&model, r, &["--bootstrap", "10"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Fine-Gray model only"), "{err}");
}

/// Checks a validate JSON's `slope` and the horizons' observed/expected against `want` (an entry of
/// slope.json).
fn check_slope_json(j: &Value, want: &Value, what: &str) {
    let sl = &j["slope"];
    for key in ["slope", "se", "lower", "upper"] {
        let v = sl[key].as_f64().unwrap();
        close(
            v,
            want[key].as_f64().unwrap(),
            REL,
            &format!("{what} {key}"),
        );
    }
    assert_eq!(sl["converged"], want["converged"], "{what}");
    let (exp, obs) = (nums(&want["expected"]), nums(&want["observed"]));
    for (k, h) in j["horizons"].as_array().unwrap().iter().enumerate() {
        let c = &h["calibration"];
        let at = format!("{what} at {}", h["time"]);
        close(c["expected"].as_f64().unwrap(), exp[k], REL, &at);
        close(c["observed"].as_f64().unwrap(), obs[k], REL, &at);
        let oe = c["observed_expected"].as_f64().unwrap();
        close(oe, obs[k] / exp[k], REL, &format!("{at} O/E"));
    }
}

#[test]
fn calibration_slope_and_observed_expected_equal_crr() {
    let slopes = json("slope.json");
    let dir = tempfile::tempdir().unwrap();
    for name in CASES {
        let case = common::competing::load(name);
        let r = &case.r;
        let want = &slopes[name];
        // apparent: the model validated on its own data
        let model = dir.path().join(format!("{name}.json"));
        fit(r, "fine-gray", &model);
        let o = validate(&model, r, &["--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j: Value = serde_json::from_slice(&o.stdout).unwrap();
        check_slope_json(&j, &want["apparent"], &format!("{name} apparent"));
        let o = validate(&model, r, &[]);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("Calibration slope 1.0000 (95% CI"), "{text}");
        assert!(text.contains("O/E"), "{text}");
        // split: the complete rows in file order, odd positions develop, even ones validate
        let file = std::fs::read_to_string(root().join(data_path(r))).unwrap();
        let lines: Vec<&str> = file.lines().collect();
        let mut parts = [lines[0].to_string(), lines[0].to_string()];
        for (k, &row) in case.rows.iter().enumerate() {
            let line = lines[case.table.lines[row] as usize - 1];
            parts[k % 2].push('\n');
            parts[k % 2].push_str(line);
        }
        let paths: Vec<String> = ["development", "validation"]
            .iter()
            .zip(&parts)
            .map(|(set, text)| {
                let p = dir.path().join(format!("{name}_{set}.csv"));
                std::fs::write(&p, text.clone() + "\n").unwrap();
                p.to_str().unwrap().to_string()
            })
            .collect();
        let dev_model = dir.path().join(format!("{name}_development.json"));
        fit_on(r, &paths[0], "fine-gray", &dev_model);
        let o = validate_on(&dev_model, r, &paths[1], &["--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(j["n"].as_u64(), want["split"]["n_validation"].as_u64());
        check_slope_json(&j, &want["split"], &format!("{name} split"));
    }
}

#[test]
fn bootstrap_corrected_calibration_files_and_figures() {
    let all = json("competing_risks.json");
    let r = &all["mgus2_cr"];
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("fg.json");
    fit(r, "fine-gray", &model);
    let out = dir.path().join("out");
    let args = ["--bootstrap", "6", "--seed", "3", "--out-dir"];
    let mut with_dir: Vec<&str> = args.to_vec();
    with_dir.push(out.to_str().unwrap());
    let o = validate(&model, r, &with_dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("Calibration slope: apparent 1.0000, optimism"),
        "{text}"
    );
    assert!(text.contains("Optimism-corrected calibration at"), "{text}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let b = &saved["bootstrap"];
    let sl = &b["slope"];
    let (a, o, c) = (
        sl["apparent"].as_f64().unwrap(),
        sl["optimism"].as_f64().unwrap(),
        sl["corrected"].as_f64().unwrap(),
    );
    assert_eq!(c, a - o);
    assert_eq!(a, saved["slope"]["slope"].as_f64().unwrap());
    assert_eq!(sl["failed"].as_u64(), Some(0));
    // each corrected group names its group of the grouped calibration, whose mean predicted
    // incidence it shares
    for (h, curve) in saved["horizons"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["calibration"].as_array().unwrap())
    {
        let grouped = h["calibration"]["groups"].as_array().unwrap();
        for g in curve["groups"].as_array().unwrap() {
            let k = g["group"].as_u64().unwrap() as usize;
            let want = grouped[k - 1]["predicted"].as_f64().unwrap();
            let got = g["predicted"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "group {k}: {got} against {want}"
            );
        }
    }
    // calibration_corrected.csv holds the JSON's corrected curves, corrected = observed - optimism
    let csv = std::fs::read_to_string(out.join("calibration_corrected.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("horizon,predicted,observed,optimism,corrected")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    let curves = b["calibration"].as_array().unwrap();
    let groups: Vec<&Value> = curves
        .iter()
        .flat_map(|c| c["groups"].as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), groups.len());
    assert!(rows.len() >= 3 * 4, "{csv}");
    for (row, g) in rows.iter().zip(&groups) {
        assert_eq!(row[1], g["predicted"].as_f64().unwrap());
        assert_eq!(row[4], g["corrected"].as_f64().unwrap());
        assert_eq!(row[4], (row[2] - row[3]).clamp(0.0, 1.0));
    }
    // the figures carry the corrected groups next to the apparent ones
    for t in ["60", "120", "240"] {
        let svg = std::fs::read_to_string(out.join(format!("calibration_time_{t}.svg"))).unwrap();
        assert!(svg.contains("<svg"));
        for ext in ["png", "pdf"] {
            let f = out.join(format!("calibration_time_{t}.{ext}"));
            assert!(f.metadata().unwrap().len() > 1000, "{}", f.display());
        }
    }
    // without the bootstrap: no corrected file, and the figures differ
    let plain = dir.path().join("plain");
    let o = validate(&model, r, &["--out-dir", plain.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(!plain.join("calibration_corrected.csv").exists());
    let a = std::fs::read(plain.join("calibration_time_120.svg")).unwrap();
    let b2 = std::fs::read(out.join("calibration_time_120.svg")).unwrap();
    assert_ne!(a, b2);
    // the same seed gives the same numbers
    let mut json_args: Vec<&str> = args[..4].to_vec();
    json_args.push("--json");
    let o = validate(&model, r, &json_args);
    let again: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again, saved);
}
