//! The nomogram of a model without a time unit (points, total points and linear predictor only,
//! as `rms::nomogram` without `fun`), and numeric axes whose `pretty()` ticks reach beyond the
//! training data, which say so in the JSON.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fit_without_unit(dir: &Path) -> String {
    let model = dir.join("no_unit.json").display().to_string();
    let (ok, _, err) = run(&[
        "fit",
        "datasets/bone_mets_synthetic.csv",
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,liver,lung,pr,surgery,chemo",
        "--out",
        &model,
    ]);
    assert!(ok, "{err}");
    model
}

#[test]
fn a_model_without_time_unit_gets_the_points_axes_only() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_without_unit(dir.path());
    let svg = dir.path().join("nomogram.svg").display().to_string();
    let (ok, out, err) = run(&["nomogram", "--model", &model, "--out", &svg, "--json"]);
    assert!(ok, "{err}");
    assert!(err.contains("no known time unit"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["horizons"].as_array().unwrap().is_empty());
    assert!(v["median"].as_array().unwrap().is_empty());
    assert_eq!(v["variables"].as_array().unwrap().len(), 7);
    assert!(!v["lp_axis"].as_array().unwrap().is_empty());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Total points") || text.contains("Total Points"));
    assert!(!text.contains("survival"));
    // with --times the survival axes come back
    let (ok, out, err) = run(&["nomogram", "--model", &model, "--times", "12,36", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["horizons"].as_array().unwrap().len(), 2);
}

#[test]
fn numeric_axes_beyond_the_data_carry_the_data_range() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_without_unit(dir.path());
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let age = m["covariates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "age")
        .unwrap();
    let (min, max) = (age["min"].as_f64().unwrap(), age["max"].as_f64().unwrap());
    let (ok, out, err) = run(&["nomogram", "--model", &model, "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let axis = &v["variables"][0];
    assert_eq!(axis["name"], "age");
    let ticks: Vec<f64> = axis["axis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["value"].as_f64().unwrap())
        .collect();
    let lo = ticks.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ticks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(lo < min || hi > max, "ticks {lo}..{hi} within {min}..{max}");
    assert_eq!(axis["data_range"][0].as_f64().unwrap(), min);
    assert_eq!(axis["data_range"][1].as_f64().unwrap(), max);
    // a 0/1 covariate's ticks are its values: no data range
    assert!(v["variables"][1].get("data_range").is_none());
}
