//! The study report's proportional-hazards section: its table equals `prognosis ph-test` on the
//! study's model and development rows, and the report shows the table, the sentence and the
//! residual figures.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn prognosis(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "prognosis {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn study_reports_the_ph_test_of_its_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prognosis(&[
        "study",
        "--spec",
        "models/her2_bone_mets.toml",
        "--out-dir",
        d.to_str().unwrap(),
        "--bootstrap",
        "0",
        "--no-png",
    ]);
    // the development rows of the analysis file
    let text = std::fs::read_to_string(d.join("analysis.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let split = header.iter().position(|h| h == "split").unwrap();
    let mut w = csv::Writer::from_path(d.join("dev.csv")).unwrap();
    w.write_record(&header).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        if &r[split] == "development" {
            w.write_record(&r).unwrap();
        }
    }
    w.flush().unwrap();
    let out = prognosis(&[
        "ph-test",
        "--model",
        d.join("model.json").to_str().unwrap(),
        d.join("dev.csv").to_str().unwrap(),
        "--json",
    ]);
    let j: Value = serde_json::from_slice(&out).unwrap();
    let tests = j["tests"].as_array().unwrap();
    let table = std::fs::read_to_string(d.join("ph_test.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(table.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), tests.len(), "{table}");
    for (row, t) in rows.iter().zip(tests) {
        // the CSV keeps full precision: the numbers of ph-test
        let chisq: f64 = row[1].parse().unwrap();
        let p: f64 = row[3].parse().unwrap();
        let (want_chisq, want_p) = (t["chisq"].as_f64().unwrap(), t["p"].as_f64().unwrap());
        assert!(
            (chisq - want_chisq).abs() <= 1e-12 * want_chisq.abs(),
            "{table}"
        );
        assert!((p - want_p).abs() <= 1e-12 * want_p.abs(), "{table}");
        assert_eq!(row[2], t["df"].to_string());
    }
    assert_eq!(&rows[rows.len() - 1][0], "Global");
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    assert!(md.contains("### Proportional hazards"), "no section");
    assert!(md.contains(
        "Test of proportional hazards of the multivariable model in the development set"
    ));
    assert!(md.contains("Score test on the scaled Schoenfeld residuals"));
    let flagged = tests[..tests.len() - 1]
        .iter()
        .any(|t| t["p"].as_f64().unwrap() < 0.05);
    assert_eq!(md.contains("questionable"), flagged);
    assert_eq!(md.contains("No term departs"), !flagged);
    assert!(md.contains("ph_schoenfeld.svg") && d.join("ph_schoenfeld.svg").exists());
    assert!(md.contains("ph_martingale.svg") && d.join("ph_martingale.pdf").exists());
}
