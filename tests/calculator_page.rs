//! The calculator page as a file, without a browser: self-contained, small, free of patient rows;
//! the model card in the model file; the command's errors.

mod common;

use common::*;
use prognosis::model::file::{ModelError, ModelFile};
use prognosis::report::calculator::{calculator_html, CalculatorError, CalculatorOptions};
use std::path::Path;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_prognosis")
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn run_ok(args: &[&str]) {
    let out = run(args);
    assert!(
        out.status.success(),
        "prognosis {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn study(dir: &Path) {
    run_ok(&[
        "study",
        "--spec",
        root().join("models/her2_bone_mets.toml").to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
        "--bootstrap",
        "0",
        "--no-png",
    ]);
}

/// Everything that would make the browser fetch something.
fn assert_self_contained(html: &str, what: &str) {
    // the only URL is the SVG namespace, a name rather than an address
    let rest = html.replace("http://www.w3.org/2000/svg", "");
    for bad in [
        "http://",
        "https://",
        "//cdn",
        "<link",
        "<img",
        "<iframe",
        " src=",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
        "sendBeacon",
        "import(",
    ] {
        assert!(!rest.contains(bad), "{what}: the page contains '{bad}'");
    }
    assert!(
        html.contains("Content-Security-Policy") && html.contains("default-src 'none'"),
        "{what}: no content security policy"
    );
    assert_eq!(html.matches("<script").count(), 2, "{what}: scripts");
}

#[test]
fn flagship_page_is_one_small_self_contained_file_with_the_card() {
    let dir = tempfile::tempdir().unwrap();
    study(dir.path());
    let html = std::fs::read_to_string(dir.path().join("calculator.html")).unwrap();
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    assert_self_contained(&html, "flagship");
    // the report links to it
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(report.contains("<a href=\"calculator.html\">"));
    // the model file carries the card, and its checksum covers it
    let path = dir.path().join("model.json");
    let model = ModelFile::load(&path).unwrap();
    let card = model.card.as_ref().expect("the study writes a model card");
    assert_eq!(
        card.labels.get("age").map(String::as_str),
        Some("Age at diagnosis (years)")
    );
    assert!(card.value_labels["brain"].iter().any(|l| l.label == "Yes"));
    assert_eq!(card.validation.len(), 2);
    assert!(card.risk_groups.is_some());
    for s in [
        "Age at diagnosis (years)",
        "Brain metastasis",
        &model.checksum,
        "Harrell",
        "does not replace clinical judgement",
    ] {
        assert!(html.contains(s), "page lacks '{s}'");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("Age at diagnosis (years)", "Age at diagnosis (months)", 1);
    assert_ne!(edited, text);
    match ModelFile::from_slice(edited.as_bytes(), "edited.json") {
        Err(ModelError::Checksum { .. }) => {}
        other => panic!("an edited card must fail the checksum: {other:?}"),
    }
    // the same page from the command
    let out = dir.path().join("again.html");
    run_ok(&[
        "calculator",
        "--model",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--times",
        "12,36,60",
    ]);
    let again = std::fs::read_to_string(&out).unwrap();
    assert!(again.contains("HER2-positive breast cancer"));
    assert!(again.len() < 1_000_000);
}

#[test]
fn a_model_without_a_card_still_loads_and_makes_a_page() {
    let model = ModelFile::load(&root().join("models/bone_mets_cox.json")).unwrap();
    assert!(model.card.is_none());
    let html = calculator_html(&model, &CalculatorOptions::default()).unwrap();
    assert_self_contained(&html, "shipped model");
    assert!(html.contains("<title>Survival calculator</title>"));
    let titled = calculator_html(
        &model,
        &CalculatorOptions {
            title: Some("Bone <metastases>".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(titled.contains("<title>Bone &lt;metastases&gt;</title>"));
    assert!(!titled.contains("<metastases>"));
    // horizons: checked as score checks them
    assert_eq!(
        calculator_html(
            &model,
            &CalculatorOptions {
                times: vec![12.0, -1.0],
                ..Default::default()
            }
        ),
        Err(CalculatorError::BadHorizon(-1.0))
    );
}

#[test]
fn pages_hold_no_training_row() {
    let dir = tempfile::tempdir().unwrap();
    let all = reference();
    for name in ["bone_mets_css", "rotterdam_os", "gbsg_rfs"] {
        let case = &all[name];
        let data = root().join("datasets").join(case["file"].as_str().unwrap());
        let model = dir.path().join(format!("{name}.json"));
        let page = dir.path().join(format!("{name}.html"));
        let mut args = vec![
            "fit".to_string(),
            data.display().to_string(),
            "--time".into(),
            case["time"].as_str().unwrap().into(),
            "--event".into(),
            case["event"].as_str().unwrap().into(),
            "--covariates".into(),
            strs(&case["covariates"]).join(","),
            "--out".into(),
            model.display().to_string(),
        ];
        if let Some(obj) = case["factor_reference"].as_object() {
            for (k, v) in obj {
                args.push("--reference".into());
                args.push(format!("{k}={}", v.as_str().unwrap()));
            }
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        run_ok(&a);
        // no time unit in these models: horizons must be given
        let out = run(&[
            "calculator",
            "--model",
            model.to_str().unwrap(),
            "--out",
            page.to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--times"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!page.exists());
        run_ok(&[
            "calculator",
            "--model",
            model.to_str().unwrap(),
            "--out",
            page.to_str().unwrap(),
            "--times",
            "365,1826",
        ]);
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(html.len() < 1_000_000, "{name}: {} bytes", html.len());
        assert_self_contained(&html, name);

        // every data row, as the file has it and as values in a row
        let text = std::fs::read_to_string(&data).unwrap();
        let mut lines = text.lines();
        let unquote = |f: &str| f.trim_matches('"').to_string();
        let header: Vec<String> = lines.next().unwrap().split(',').map(unquote).collect();
        let covs = strs(&case["covariates"]);
        let cols: Vec<usize> = covs
            .iter()
            .map(|c| header.iter().position(|h| h == c).unwrap())
            .collect();
        let mut columns: Vec<Vec<String>> = vec![Vec::new(); cols.len()];
        let mut checked = 0;
        for line in lines {
            let fields: Vec<String> = line.split(',').map(unquote).collect();
            let row: Vec<&str> = cols.iter().map(|&c| fields[c].as_str()).collect();
            for (k, v) in row.iter().enumerate() {
                columns[k].push(v.to_string());
            }
            if row.iter().all(|v| v.len() < 2) {
                // rows of one-character values say nothing on their own
                continue;
            }
            assert!(!html.contains(line), "{name}: a data line is in the page");
            assert!(
                !html.contains(&row.join(",")),
                "{name}: the covariates of a row are in the page"
            );
            checked += 1;
        }
        assert!(checked > 100, "{name}: {checked} rows checked");
        // no column of the data in file order
        for (k, col) in columns.iter().enumerate() {
            let run = col[..8].join(",");
            assert!(
                !html.contains(&run),
                "{name}: column {} is in the page",
                covs[k]
            );
        }
    }
}
