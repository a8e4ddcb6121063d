//! `validate --recalibrate` on the Rotterdam -> GBSG example of docs/usage.md against R
//! (tests/reference/recalibration/recalibration.R: `coxph(Surv ~ offset(lp))` with its baseline,
//! and `coxph(Surv ~ lp)`), and the updated model file: valid, loadable by predict and nomogram,
//! its training block naming the new data and the method.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prognosis-recal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[track_caller]
fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1e-12),
        "{what}: prognosis {a}, R {b}"
    );
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn reference() -> Value {
    let text = std::fs::read_to_string(
        root().join("tests/reference/recalibration/recalibration_rotterdam_gbsg.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rotterdam_model(dir: &std::path::Path) -> String {
    let model = dir.join("rotterdam_rfs.json").display().to_string();
    ok(&[
        "fit",
        "datasets/rotterdam.csv",
        "--time",
        "rfs_days",
        "--event",
        "recur",
        "--covariates",
        "age,meno,grade,nodes,pgr,er,hormon",
        "--time-unit",
        "days",
        "--out",
        &model,
    ]);
    model
}

#[test]
fn recalibration_matches_r_on_rotterdam_to_gbsg() {
    let dir = tmp("r");
    let model = rotterdam_model(&dir);
    let r = reference();
    let out = ok(&[
        "validate",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1095,1825",
        "--event",
        "status",
        "--recalibrate",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let rc = &v["recalibration"];
    assert_eq!(rc["n"], r["n"]);
    assert_eq!(rc["events"], r["events"]);
    close(
        rc["slope"]["coef"].as_f64().unwrap(),
        r["slope"]["slope"].as_f64().unwrap(),
        "slope",
    );
    close(
        rc["slope"]["se"].as_f64().unwrap(),
        r["slope"]["se"].as_f64().unwrap(),
        "slope se",
    );
    close(
        rc["loglik_slope"].as_f64().unwrap(),
        nums(&r["slope"]["loglik"])[1],
        "slope loglik",
    );
    close(
        rc["loglik_in_the_large"].as_f64().unwrap(),
        r["in_the_large"]["loglik"].as_f64().unwrap(),
        "offset loglik",
    );
    let observed = nums(&r["observed_risk"]);
    for (k, h) in rc["horizons"].as_array().unwrap().iter().enumerate() {
        for (ours, theirs) in [
            ("original", "original"),
            ("in_the_large", "in_the_large"),
            ("slope", "slope"),
        ] {
            close(
                h[format!("cumhaz0_{ours}")][0].as_f64().unwrap(),
                nums(&r[theirs]["cumhaz0"])[k],
                &format!("{ours} H0 at horizon {k}"),
            );
            close(
                h[ours]["mean_predicted"].as_f64().unwrap(),
                nums(&r[theirs]["mean_risk"])[k],
                &format!("{ours} mean risk at horizon {k}"),
            );
            close(
                h[ours]["observed"].as_f64().unwrap(),
                observed[k],
                "observed risk",
            );
        }
    }
    // the updated models are calibrated in the large where the original is not
    let h = &rc["horizons"][1];
    let oe = |m: &str| h[m]["observed_expected"].as_f64().unwrap();
    assert!(oe("original") > 1.2);
    assert!((oe("in_the_large") - 1.0).abs() < 0.05);
    assert!((oe("slope") - 1.0).abs() < 0.05);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recalibrated_model_files_predict_as_r_and_load_everywhere() {
    let dir = tmp("file");
    let model = rotterdam_model(&dir);
    let r = reference();
    let rows: Vec<usize> = nums(&r["rows"]).iter().map(|&x| x as usize).collect();
    for (method, key) in [("slope", "slope"), ("in-the-large", "in_the_large")] {
        let out = dir.join(format!("gbsg_{key}.json")).display().to_string();
        let text = ok(&[
            "validate",
            "--model",
            &model,
            "datasets/gbsg.csv",
            "--times",
            "1825",
            "--event",
            "status",
            "--recalibrate-out",
            &out,
            "--recalibrate-method",
            method,
        ]);
        assert!(text.contains("Recalibration on these data"), "{text}");
        let m: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let t = &m["training"];
        assert_eq!(t["file"], "gbsg.csv");
        assert_eq!(t["events"], 299);
        assert_eq!(t["recalibrated"]["method"], method);
        assert_eq!(t["recalibrated"]["original_training_file"], "rotterdam.csv");
        // predict reads it (checksum and checks) and gives R's survival of the updated model
        let csv = ok(&[
            "predict",
            "--model",
            &out,
            "datasets/gbsg.csv",
            "--times",
            "1095,1825",
        ]);
        let lines: Vec<&str> = csv.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let want = nums(&r[key]["survival"]);
        for (j, &row) in rows.iter().enumerate() {
            let fields: Vec<&str> = lines[row].split(',').collect();
            for (k, name) in ["surv_1095", "surv_1825"].iter().enumerate() {
                close(
                    fields[col(name)].parse().unwrap(),
                    want[k * rows.len() + j],
                    &format!("{method} survival of data row {row} ({name})"),
                );
            }
        }
        let svg = dir.join(format!("{key}.svg")).display().to_string();
        ok(&["nomogram", "--model", &out, "--out", &svg]);
        assert!(std::fs::metadata(&svg).unwrap().len() > 1000);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recalibrate_out_refuses_to_overwrite_its_inputs() {
    let dir = tmp("refuse");
    let model = rotterdam_model(&dir);
    let before = std::fs::read(&model).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args([
            "validate",
            "--model",
            &model,
            "datasets/gbsg.csv",
            "--times",
            "1825",
            "--event",
            "status",
            "--recalibrate-out",
            &model,
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&model).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}
