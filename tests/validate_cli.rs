//! `prognosis validate` end to end: the shipped flagship model on its own cohort, against R's and
//! scikit-survival's reference numbers, the bootstrap's reproducibility, and the files it writes.

mod common;

use common::cli::run;
use common::root;
use serde_json::Value;
use std::path::Path;

fn reference(file: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/reference").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validate_json(extra: &[&str]) -> Value {
    let mut args = vec![
        "validate",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--times",
        "12,36,60",
        "--json",
    ];
    args.extend_from_slice(extra);
    let (ok, stdout, stderr) = run(&args);
    assert!(ok, "validate failed: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        ((got - want) / want).abs() <= rel,
        "{what}: got {got}, reference {want}"
    );
}

#[test]
fn flagship_model_measures_equal_the_references() {
    let j = validate_json(&[]);
    let r = &reference("reference.json")["bone_mets_css"]["efron"];
    let sk = &reference("validation_reference_sksurv.json")["bone_mets_css"];
    let rr = &reference("validation_reference_r.json")["bone_mets_css"]["smooth_calibration"];
    close(
        j["harrell_c"]["c"].as_f64().unwrap(),
        r["concordance"].as_f64().unwrap(),
        1e-6,
        "Harrell's C",
    );
    close(
        j["harrell_c"]["se"].as_f64().unwrap(),
        r["concordance_se"].as_f64().unwrap(),
        1e-6,
        "se of C",
    );
    close(
        j["uno_c"]["c"].as_f64().unwrap(),
        r["uno_c"].as_f64().unwrap(),
        1e-6,
        "Uno's C",
    );
    assert_eq!(j["uno_c"]["tau"].as_f64(), Some(60.0));
    let horizons = j["horizons"].as_array().unwrap();
    assert_eq!(horizons.len(), 3);
    for (k, h) in horizons.iter().enumerate() {
        let t = h["time"].as_f64().unwrap();
        close(
            h["auc"].as_f64().unwrap(),
            sk["auc"][k].as_f64().unwrap(),
            1e-6,
            "AUC",
        );
        close(
            h["brier"].as_f64().unwrap(),
            sk["brier"][k].as_f64().unwrap(),
            1e-6,
            "Brier",
        );
        let cal = &h["calibration"];
        let want = rr
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["horizon"].as_f64() == Some(t))
            .unwrap();
        for key in ["ici", "e50", "e90", "emax"] {
            close(
                cal[key].as_f64().unwrap(),
                want[key].as_f64().unwrap(),
                1e-4,
                key,
            );
        }
        // the model's own data: calibration slope 1
        close(cal["slope"].as_f64().unwrap(), 1.0, 1e-6, "slope");
        let groups = cal["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 5);
        let n: u64 = groups.iter().map(|g| g["n"].as_u64().unwrap()).sum();
        assert_eq!(n, 1204);
        for g in groups {
            for key in ["predicted", "observed", "lower", "upper"] {
                let v = g[key].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&v), "{key} = {v}");
            }
        }
    }
    let ibs = j["ibs"].as_f64().unwrap();
    assert!(ibs > 0.0 && ibs < 0.25, "ibs {ibs}");
    assert!(j["bootstrap"].is_null());
}

#[test]
fn bootstrap_is_reproducible_and_corrects_optimism() {
    let a = validate_json(&["--bootstrap", "20", "--seed", "7"]);
    let b = validate_json(&["--bootstrap", "20", "--seed", "7"]);
    assert_eq!(a["bootstrap"], b["bootstrap"]);
    let c = validate_json(&["--bootstrap", "20", "--seed", "8"]);
    assert_ne!(a["bootstrap"]["optimism"], c["bootstrap"]["optimism"]);
    let boot = &a["bootstrap"];
    let app = boot["apparent"]["harrell_c"].as_f64().unwrap();
    close(
        app,
        a["harrell_c"]["c"].as_f64().unwrap(),
        1e-9,
        "apparent C",
    );
    let opt = boot["optimism"]["harrell_c"].as_f64().unwrap();
    let cor = boot["corrected"]["harrell_c"].as_f64().unwrap();
    assert!((app - opt - cor).abs() < 1e-12);
    // optimism of a 7-term model on 1,204 patients is small and positive on average
    assert!(opt > -0.01 && opt < 0.02, "optimism {opt}");
    assert!(boot["corrected"]["slope"].as_f64().unwrap() < 1.0 + 1e-9);
    assert_eq!(boot["calibration"].as_array().unwrap().len(), 3);
}

#[test]
fn out_dir_gets_tables_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("val");
    let (ok, stdout, stderr) = run(&[
        "validate",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--times",
        "12,36",
        "--bootstrap",
        "5",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Harrell's C"), "{stdout}");
    assert!(
        stdout.contains("Optimism-corrected calibration"),
        "{stdout}"
    );
    for f in [
        "calibration_groups.csv",
        "calibration_smooth.csv",
        "calibration_corrected.csv",
        "validation.json",
    ] {
        let p: &Path = &out.join(f);
        assert!(p.exists(), "{f} missing");
    }
    let groups = std::fs::read_to_string(out.join("calibration_groups.csv")).unwrap();
    assert_eq!(groups.lines().count(), 1 + 2 * 5);
    assert!(groups.starts_with("horizon,group,n,predicted,observed,lower,upper"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let (ok, _, stderr) = run(&[
        "validate",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/gbsg.csv",
        "--times",
        "12",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("the data has no column for the model's time 'time'"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    let (ok, _, stderr) = run(&[
        "validate",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--times",
        "12",
        "--groups",
        "1",
    ]);
    assert!(!ok);
    assert!(stderr.contains("groups"), "{stderr}");
}

#[test]
fn split_is_seeded_stratified_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev.csv");
    let val = dir.path().join("val.csv");
    let args = |seed: &str| {
        vec![
            "split".to_string(),
            "datasets/bone_mets_synthetic.csv".to_string(),
            "--fraction".to_string(),
            "0.7".to_string(),
            "--seed".to_string(),
            seed.to_string(),
            "--stratify-by".to_string(),
            "status".to_string(),
            "--out-dev".to_string(),
            dev.to_str().unwrap().to_string(),
            "--out-val".to_string(),
            val.to_str().unwrap().to_string(),
        ]
    };
    let a: Vec<String> = args("11");
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let (ok, stdout, stderr) = run(&a);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("1204 rows"), "{stdout}");
    let d1 = std::fs::read_to_string(&dev).unwrap();
    let v1 = std::fs::read_to_string(&val).unwrap();
    // header + rows; every input row lands in exactly one file
    let rows = |s: &str| s.lines().skip(1).map(|l| l.to_string()).collect::<Vec<_>>();
    assert_eq!(rows(&d1).len() + rows(&v1).len(), 1204);
    assert_eq!(
        rows(&d1).len(),
        (0.7f64 * 543.0).round() as usize + (0.7f64 * 661.0).round() as usize
    );
    // event proportion kept: 543 of 1204 died
    let events = |s: &str| rows(s).iter().filter(|l| l.ends_with(",1")).count();
    assert_eq!(events(&d1), (0.7f64 * 543.0).round() as usize);
    // same seed, same split; another seed, another split
    let (ok, _, _) = run(&a);
    assert!(ok);
    assert_eq!(std::fs::read_to_string(&dev).unwrap(), d1);
    let b: Vec<String> = args("12");
    let b: Vec<&str> = b.iter().map(|s| s.as_str()).collect();
    assert!(run(&b).0);
    assert_ne!(std::fs::read_to_string(&dev).unwrap(), d1);
}

#[test]
fn stratified_bootstrap_counts_resamples_missing_a_stratum() {
    // the flagship data with a three-patient stratum: many resamples miss it
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(root().join("datasets/bone_mets_synthetic.csv")).unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let mut out = format!("{},grp\n", lines[0]);
    for (k, l) in lines[1..].iter().enumerate() {
        let g = if k >= lines.len() - 4 { "b" } else { "a" };
        out.push_str(&format!("{l},{g}\n"));
    }
    let data = dir.path().join("strat.csv");
    std::fs::write(&data, out).unwrap();
    let model = dir.path().join("m.json");
    let (ok, _, stderr) = run(&[
        "fit",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,liver,lung,pr,surgery,chemo",
        "--strata",
        "grp",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = run(&[
        "validate",
        "--model",
        model.to_str().unwrap(),
        data.to_str().unwrap(),
        "--times",
        "12,36",
        "--bootstrap",
        "30",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("panicked"));
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let failed = j["bootstrap"]["failed"].as_u64().unwrap();
    assert!(failed > 0 && failed < 30, "failed {failed}");
}

/// `prognosis km` on the flagship cohort with extra arguments.
fn km(extra: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "km",
        "datasets/bone_mets_synthetic.csv",
        "--time",
        "time",
        "--event",
        "status",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn km_command_equals_r() {
    let (ok, stdout, stderr) = km(&["--times", "12,36,60", "--json"]);
    assert!(ok, "{stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let r = &reference("reference.json")["bone_mets_css"]["km"];
    let g = &j["groups"][0];
    assert_eq!(g["n"].as_u64(), Some(1204));
    close(
        g["median"].as_f64().unwrap(),
        r["median"].as_f64().unwrap(),
        1e-12,
        "median",
    );
    close(
        g["median_lower"].as_f64().unwrap(),
        r["median_lower95"].as_f64().unwrap(),
        1e-12,
        "lcl",
    );
    close(
        g["median_upper"].as_f64().unwrap(),
        r["median_upper95"].as_f64().unwrap(),
        1e-12,
        "ucl",
    );
    for k in 0..3 {
        let p = &g["at"][k];
        close(
            p["surv"].as_f64().unwrap(),
            r["surv"][k].as_f64().unwrap(),
            1e-6,
            "surv",
        );
        close(
            p["se"].as_f64().unwrap(),
            r["std_err"][k].as_f64().unwrap(),
            1e-6,
            "se",
        );
        close(
            p["lower"].as_f64().unwrap(),
            r["lower95"][k].as_f64().unwrap(),
            1e-6,
            "lower",
        );
        close(
            p["upper"].as_f64().unwrap(),
            r["upper95"][k].as_f64().unwrap(),
            1e-6,
            "upper",
        );
        close(
            p["n_risk"].as_f64().unwrap(),
            r["n_risk"][k].as_f64().unwrap(),
            1e-12,
            "n_risk",
        );
    }
    assert!(j["logrank"].is_null());

    let (ok, stdout, stderr) = km(&["--by", "surgery"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("surgery=1"), "{stdout}");
    assert!(
        stdout.contains("Log-rank test: chi-square = 55.7396 on 1 df"),
        "{stdout}"
    );
    let (ok, stdout, _) = km(&["--by", "surgery", "--json"]);
    assert!(ok);
    let j: Value = serde_json::from_str(&stdout).unwrap();
    let lr = &reference("reference.json")["bone_mets_css"]["logrank"];
    close(
        j["logrank"]["chisq"].as_f64().unwrap(),
        lr["chisq"].as_f64().unwrap(),
        1e-6,
        "chisq",
    );
    for k in 0..2 {
        close(
            j["logrank"]["expected"][k].as_f64().unwrap(),
            lr["expected"][k].as_f64().unwrap(),
            1e-6,
            "expected",
        );
    }
}

/// `--bootstrap` refits the model on DATA: on the training file that is internal validation; on
/// another file it is the refit's, and `validate` says so (and nothing on the training file).
#[test]
fn bootstrap_on_a_file_other_than_the_training_data_is_noted() {
    let model = root().join("models/bone_mets_cox.json");
    let model = model.to_str().unwrap();
    let training = root().join("datasets/bone_mets_synthetic.csv");
    let dir = common::cli::Dir::new("valnote");
    let other = dir.path("other.csv");
    // the same patients with one more blank line: other bytes, so another file
    let mut text = std::fs::read_to_string(&training).unwrap();
    text.push('\n');
    std::fs::write(&other, text).unwrap();
    let args = |data: &str| {
        vec![
            "validate".to_string(),
            "--model".into(),
            model.into(),
            data.into(),
            "--times".into(),
            "12,36".into(),
            "--bootstrap".into(),
            "3".into(),
        ]
    };
    let (ok, _, err) = run(&args(training.to_str().unwrap()));
    assert!(
        ok && !err.contains("is not the file the model was fitted to"),
        "{err}"
    );
    let (ok, _, err) = run(&args(&other));
    assert!(ok, "{err}");
    assert!(
        err.contains("other.csv is not the file the model was fitted to (bone_mets_synthetic.csv)")
            && err.contains("for external validation leave --bootstrap out"),
        "{err}"
    );
}
