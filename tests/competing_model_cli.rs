//! Competing-risks model files run as a user runs them: `fit --model fine-gray | cause-specific
//! --out`, then `predict` and `score`, on the competing-risks reference cohorts, against
//! `cmprsk::predict.crr` and `riskRegression::CSC` (tests/reference/competing_risks/
//! competing_risks.json); the Fine-Gray file's standard errors against `FineGray::predict_with_se`
//! on the training data; the file's checks; and the Cox commands' refusal of these files.

mod common;

use common::competing::fit_model;
use common::{close, nums, root, strs, REL};
use prognosis::data::cohort::FitRequest;
use prognosis::data::competing::prepare_competing;
use prognosis::data::csv::{read_csv, ReadOptions};
use prognosis::model::competing::CompetingModelFile;
use prognosis::model::file::CovariateSummary;
use prognosis::model::spec::encode_patient;
use prognosis::stats::competing::{crr, CrrOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CASES: [&str; 3] = ["bone_mets_cr", "mgus2_cr", "rotterdam_cr"];

fn reference(case: &str) -> Value {
    let path = root().join("tests/reference/competing_risks/competing_risks.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[case].clone()
}

fn data_path(r: &Value) -> PathBuf {
    root()
        .join("tests/reference/competing_risks/datasets")
        .join(r["file"].as_str().unwrap())
}

fn run(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn run_ok(args: &[String]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `fit --model MODEL --cause 1 --out DIR/MODEL.json` of the reference case.
fn fit_out(r: &Value, model: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{model}.json"));
    fit_model(
        r,
        &data_path(r).display().to_string(),
        model,
        &out.display().to_string(),
    );
    out
}

/// The three reference profiles as a CSV file.
fn profiles_csv(r: &Value, dir: &Path) -> PathBuf {
    let cov = strs(&r["covariates"]);
    let mut text = cov.join(",") + "\n";
    for prof in r["crr"]["profiles"].as_array().unwrap() {
        let vals: Vec<String> = cov
            .iter()
            .map(|c| match &prof["covariates"][c] {
                Value::String(v) => v.clone(),
                v => v.to_string(),
            })
            .collect();
        text.push_str(&(vals.join(",") + "\n"));
    }
    let path = dir.join("profiles.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn predict_json(model: &Path, data: &Path, times: &[f64], extra: &[String]) -> Value {
    let mut args = s(&["predict", "--model"]);
    args.push(model.display().to_string());
    args.push(data.display().to_string());
    args.push("--times".into());
    args.push(
        times
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    args.extend(s(&["--format", "json"]));
    args.extend(extra.iter().cloned());
    serde_json::from_str(&run_ok(&args)).unwrap()
}

#[test]
fn fine_gray_model_file_predicts_as_predict_crr_and_as_predict_with_se() {
    for case in CASES {
        let r = reference(case);
        let dir = tempfile::tempdir().unwrap();
        let model_path = fit_out(&r, "fine-gray", dir.path());
        let profiles = profiles_csv(&r, dir.path());
        let times = nums(&r["times"]);
        let j = predict_json(&model_path, &profiles, &times, &[]);
        for (k, prof) in r["crr"]["profiles"].as_array().unwrap().iter().enumerate() {
            let want = nums(&prof["cif"]);
            let inc = j[k]["incidence"].as_array().unwrap();
            for (i, w) in want.iter().enumerate() {
                let got = inc[i]["cif"].as_f64().unwrap();
                close(
                    got,
                    *w,
                    REL,
                    &format!("{case} profile {k} cif t={}", times[i]),
                );
                let (lo, hi) = (
                    inc[i]["lower"].as_f64().unwrap(),
                    inc[i]["upper"].as_f64().unwrap(),
                );
                assert!(lo < got && got < hi && inc[i]["se"].as_f64().unwrap() > 0.0);
            }
        }
        // the file alone gives predict_with_se's numbers on the training data
        let model = CompetingModelFile::load(&model_path).unwrap();
        let mut req = FitRequest {
            time: "time".into(),
            event: "cause".into(),
            covariates: strs(&r["covariates"]),
            ..FitRequest::default()
        };
        if let Some(obj) = r["factor_reference"].as_object() {
            for (k, v) in obj {
                req.reference
                    .insert(k.clone(), v.as_str().unwrap().to_string());
            }
        }
        let table = read_csv(&data_path(&r), &req.columns(), &ReadOptions::default()).unwrap();
        let pc = prepare_competing(&table, &req, Some("1")).unwrap();
        let fit = crr(&pc.surv, &pc.prepared.design, &CrrOptions::default()).unwrap();
        let grid: Vec<f64> = (0..40)
            .map(|i| i as f64 * 7.3)
            .chain(times.clone())
            .collect();
        for prof in r["crr"]["profiles"].as_array().unwrap() {
            let values: BTreeMap<String, String> = prof["covariates"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(x) => x.clone(),
                        x => x.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect();
            let (x, _) = encode_patient(&model.spec, &values).unwrap();
            let want = fit
                .predict_with_se(&pc.surv, &pc.prepared.design, &x, &grid)
                .unwrap();
            let got = model.predict(&x, &grid, None).unwrap();
            for (g, w) in got.incidence.iter().zip(&want) {
                close(g.cif, w.cif, 1e-10, &format!("{case} cif t={}", w.time));
                close(
                    g.se.unwrap(),
                    w.se,
                    1e-10,
                    &format!("{case} se t={}", w.time),
                );
                close(
                    g.lower.unwrap(),
                    w.lower,
                    1e-10,
                    &format!("{case} lower t={}", w.time),
                );
                close(
                    g.upper.unwrap(),
                    w.upper,
                    1e-10,
                    &format!("{case} upper t={}", w.time),
                );
            }
        }
    }
}

#[test]
fn cause_specific_model_file_gives_riskregression_absolute_risk_with_the_training_file() {
    for case in CASES {
        let r = reference(case);
        let dir = tempfile::tempdir().unwrap();
        let model = fit_out(&r, "cause-specific", dir.path());
        let profiles = profiles_csv(&r, dir.path());
        let times = nums(&r["times"]);
        let train = vec!["--train".to_string(), data_path(&r).display().to_string()];
        let with = predict_json(&model, &profiles, &times, &train);
        let without = predict_json(&model, &profiles, &times, &[]);
        for (k, prof) in r["csc"]["profiles"].as_array().unwrap().iter().enumerate() {
            let inc = with[k]["incidence"].as_array().unwrap();
            let bare = without[k]["incidence"].as_array().unwrap();
            for (field, key) in [
                ("risk", "cif"),
                ("se", "se"),
                ("lower", "lower"),
                ("upper", "upper"),
            ] {
                for (i, w) in nums(&prof[field]).iter().enumerate() {
                    let got = inc[i][key].as_f64().unwrap();
                    close(
                        got,
                        *w,
                        REL,
                        &format!("{case} profile {k} {field} t={}", times[i]),
                    );
                }
            }
            for i in 0..times.len() {
                assert_eq!(bare[i]["cif"], inc[i]["cif"]);
                assert!(bare[i]["se"].is_null() && bare[i]["lower"].is_null());
            }
        }
        // CSV: cumulative-incidence columns, limits empty without the training file
        let mut args = s(&["predict", "--model"]);
        args.push(model.display().to_string());
        args.push(profiles.display().to_string());
        args.extend(s(&["--times", "12"]));
        let csv = run_ok(&args);
        assert!(
            csv.starts_with("row,lp,cif_12,cif_se_12,cif_lower_12,cif_upper_12,problem\n"),
            "{csv}"
        );
        assert!(csv.lines().nth(1).unwrap().ends_with(",,,,"), "{csv}");
    }
}

#[test]
fn score_gives_the_cumulative_incidence_of_a_profile() {
    let r = reference("bone_mets_cr");
    let dir = tempfile::tempdir().unwrap();
    let model = fit_out(&r, "cause-specific", dir.path());
    let prof = &r["csc"]["profiles"][0];
    let mut args = s(&["score", "--model"]);
    args.push(model.display().to_string());
    for (k, v) in r["crr"]["profiles"][0]["covariates"].as_object().unwrap() {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    args.extend(s(&["--times", "12,36,60", "--json", "--train"]));
    args.push(data_path(&r).display().to_string());
    let j: Value = serde_json::from_str(&run_ok(&args)).unwrap();
    assert_eq!(j["model"], "cause-specific");
    for (i, w) in nums(&prof["upper"]).iter().enumerate() {
        close(
            j["incidence"][i]["upper"].as_f64().unwrap(),
            *w,
            REL,
            "score upper",
        );
    }
    // text block, without --json: cumulative incidence with its interval
    args.retain(|a| a != "--json");
    let text = run_ok(&args);
    assert!(
        text.contains("cumulative incidence at") && text.contains("18.4%"),
        "{text}"
    );
    // another file as training data is refused
    let other = dir.path().join("other.csv");
    let mut bytes = std::fs::read(data_path(&r)).unwrap();
    bytes.extend_from_slice(b"60,0,0,1,1,0,0,10,0\n");
    std::fs::write(&other, bytes).unwrap();
    let n = args.len();
    args[n - 1] = other.display().to_string();
    let out = run(&args);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("not the file the model was fitted to"), "{e}");
}

#[test]
fn cox_commands_refuse_a_competing_risks_model_by_name() {
    let r = reference("bone_mets_cr");
    let dir = tempfile::tempdir().unwrap();
    let model = fit_out(&r, "fine-gray", dir.path()).display().to_string();
    let data = data_path(&r).display().to_string();
    let svg = dir.path().join("c.svg").display().to_string();
    for args in [
        vec!["risk-groups", "--model", &model, &data],
        vec!["ph-test", "--model", &model, &data],
        vec!["residuals", "--model", &model, &data],
        vec![
            "plot",
            "survival",
            "--model",
            &model,
            "--profile",
            "age=50",
            "--out",
            &svg,
        ],
    ] {
        let out = run(&s(&args));
        assert!(!out.status.success(), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains(
                "is a competing-risks model (fine-gray): this command works with Cox models only"
            ),
            "{args:?}: {e}"
        );
        // and names the commands that take it, `nomogram` among them for a Fine-Gray file
        assert!(
            e.contains("a Fine-Gray one also with `nomogram`"),
            "{args:?}: {e}"
        );
    }
}

#[test]
fn damaged_or_inconsistent_files_are_refused_naming_the_field() {
    let r = reference("bone_mets_cr");
    let dir = tempfile::tempdir().unwrap();
    for kind in ["fine-gray", "cause-specific"] {
        let path = fit_out(&r, kind, dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        // any edit breaks the checksum
        let edited = text.replacen("\"time\": \"time\"", "\"time\": \"t\"", 1);
        let e = CompetingModelFile::from_slice(edited.as_bytes(), "m.json").unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        let good: CompetingModelFile = serde_json::from_str(&text).unwrap();
        good.check().unwrap();
        type Edit = fn(&mut CompetingModelFile);
        let cases: Vec<(Edit, &str)> = if kind == "fine-gray" {
            vec![
                (
                    |m| m.fine_gray.as_mut().unwrap().cumhaz[3] = 0.0,
                    "fine_gray.cumhaz[3]",
                ),
                (
                    |m| m.fine_gray.as_mut().unwrap().time[2] = -1.0,
                    "fine_gray.time[2]",
                ),
                (
                    |m| m.fine_gray.as_mut().unwrap().var_a[1] = -1.0,
                    "fine_gray.var_a[1]",
                ),
                (
                    |m| {
                        m.fine_gray
                            .as_mut()
                            .unwrap()
                            .var_m
                            .pop()
                            .map(|_| ())
                            .unwrap()
                    },
                    "var_m",
                ),
                (
                    |m| m.fine_gray.as_mut().unwrap().var[0][1] = 9.0,
                    "fine_gray.var is not symmetric",
                ),
                (
                    |m| m.fine_gray.as_mut().unwrap().level = 1.0,
                    "fine_gray.level",
                ),
                (
                    |m| m.fine_gray.as_mut().unwrap().coef[0] = f64::NAN,
                    "fine_gray.coef[0] is not a finite number",
                ),
                (|m| m.outcome.events += 1, "outcome.events"),
                (|m| m.outcome.competing = vec!["1".into()], "outcome"),
                (
                    |m| {
                        m.cause_specific =
                            None.or(Some(prognosis::model::competing::CauseSpecificModel {
                                terms: vec![],
                                ties: Default::default(),
                                level: 0.95,
                                center: vec![],
                                time: vec![],
                                causes: vec![],
                            }))
                    },
                    "cause_specific part",
                ),
            ]
        } else {
            vec![
                (
                    |m| m.cause_specific.as_mut().unwrap().causes[1].jumps[0] = -0.1,
                    "cause_specific.causes[1].jumps[0]",
                ),
                (
                    |m| m.cause_specific.as_mut().unwrap().causes.swap(0, 1),
                    "cause_specific.causes must be",
                ),
                (
                    |m| m.cause_specific.as_mut().unwrap().time[4] = 0.0,
                    "cause_specific.time[4]",
                ),
                (
                    |m| m.cause_specific.as_mut().unwrap().causes[0].var[2][2] = -1.0,
                    "cause_specific.causes[0].var[2][2]",
                ),
                (
                    |m| m.cause_specific.as_mut().unwrap().causes[0].events = 3,
                    "cause_specific.causes[0].events",
                ),
            ]
        };
        // the summaries both kinds share with the Cox file
        let mut cases = cases;
        cases.push((
            |m| {
                if let CovariateSummary::Numeric { min, .. } = &mut m.covariates[0] {
                    *min = 1e9;
                }
            },
            "covariates[0]: min <= mean <= max",
        ));
        cases.push((
            |m| m.training.follow_up.min = m.training.follow_up.max + 1.0,
            "training.follow_up",
        ));
        for (edit, field) in cases {
            let mut m = good.clone();
            edit(&mut m);
            let e = m.check().unwrap_err();
            assert!(e.contains(field), "{kind}: expected '{field}' in: {e}");
        }
    }
}
