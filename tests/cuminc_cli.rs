//! `prognosis cuminc` run as a user runs it, on the competing-risks reference cohorts: the JSON
//! equals cmprsk's `cuminc` + `timepoints` and Gray's test (tests/reference/competing_risks), the
//! limits are those the options name, the figure is written in every format, and bad options get
//! errors that name them.

mod common;

use common::{close, nums, root, strs, REL};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const CASES: [&str; 3] = ["bone_mets_cr", "mgus2_cr", "rotterdam_cr"];

fn reference(case: &str) -> Value {
    let path = root().join("tests/reference/competing_risks/competing_risks.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[case].clone()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "prognosis {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The reference cohort's complete cases (time, cause and every covariate), as R used them,
/// written to `dir`.
fn complete_cases(r: &Value, dir: &Path) -> PathBuf {
    let src = root()
        .join("tests/reference/competing_risks/datasets")
        .join(r["file"].as_str().unwrap());
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let names: Vec<String> = header
        .split(',')
        .map(|h| h.trim_matches('"').into())
        .collect();
    let mut wanted = strs(&r["covariates"]);
    wanted.extend(["time".to_string(), "cause".to_string()]);
    let idx: Vec<usize> = wanted
        .iter()
        .map(|w| names.iter().position(|n| n == w).unwrap())
        .collect();
    let mut out = String::from(header);
    out.push('\n');
    let mut n = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if idx.iter().all(|&i| !f[i].is_empty() && f[i] != "NA") {
            out.push_str(line);
            out.push('\n');
            n += 1;
        }
    }
    assert_eq!(n as u64, r["n_complete"].as_u64().unwrap());
    let path = dir.join(r["file"].as_str().unwrap());
    std::fs::write(&path, out).unwrap();
    path
}

fn times_arg(r: &Value) -> String {
    nums(&r["times"])
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn cumulative_incidence_and_gray_test_equal_cmprsk() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let r = reference(case);
        let data = complete_cases(&r, dir.path());
        let times = times_arg(&r);
        let group = r["gray"]["group"].as_str().unwrap();
        let args = [
            "cuminc",
            data.to_str().unwrap(),
            "--time",
            "time",
            "--event",
            "cause",
            "--times",
            &times,
            "--by",
            group,
            "--json",
        ];
        let j: Value = serde_json::from_str(&run_ok(&args)).unwrap();
        assert_eq!(j["n"].as_u64(), r["n_complete"].as_u64(), "{case}");
        assert_eq!(j["censored"].as_u64(), r["n_censored"].as_u64(), "{case}");
        for want in r["cuminc"].as_array().unwrap() {
            let cause = want["cause"].as_u64().unwrap();
            let got = &j["causes"][cause as usize - 1];
            assert_eq!(got["cause"], Value::from(cause.to_string()), "{case}");
            assert_eq!(
                got["events"].as_u64(),
                r[format!("n_cause{cause}")].as_u64(),
                "{case}"
            );
            for (k, (e, v)) in nums(&want["est"])
                .iter()
                .zip(nums(&want["var"]))
                .enumerate()
            {
                let at = &got["at"][k];
                let what = format!("{case} cause {cause} at {}", at["time"]);
                close(at["cif"].as_f64().unwrap(), *e, REL, &what);
                close(at["var"].as_f64().unwrap(), v, REL, &what);
                let (lo, hi) = (at["lower"].as_f64().unwrap(), at["upper"].as_f64().unwrap());
                assert!(lo < *e && *e < hi, "{what}: {lo} {e} {hi}");
            }
        }
        // Gray's test per cause
        let g = &r["gray"];
        let stats = nums(&g["stat"]);
        let ps = nums(&g["p"]);
        for (k, cause) in nums(&g["causes"]).iter().enumerate() {
            let got = &j["gray"][k];
            assert_eq!(got["cause"], Value::from((*cause as u64).to_string()));
            let what = format!("{case} Gray cause {cause}");
            close(got["stat"].as_f64().unwrap(), stats[k], REL, &what);
            // cmprsk's p is 1 - pchisq(stat, df), accurate to ~1e-16 absolute only; prognosis
            // computes the upper tail directly
            let p = got["p"].as_f64().unwrap();
            if ps[k] > 1e-6 {
                close(p, ps[k], REL, &what);
            } else {
                assert!((p - ps[k]).abs() < 1e-15, "{what}: p {p:e} vs {:e}", ps[k]);
            }
            assert_eq!(got["df"].as_f64(), Some(nums(&g["df"])[k]), "{what}");
        }
        // the groups add up to the whole
        let groups = j["groups"].as_array().unwrap();
        assert!(groups.len() >= 2, "{case}");
        let n: u64 = groups.iter().map(|g| g["n"].as_u64().unwrap()).sum();
        assert_eq!(Some(n), j["n"].as_u64(), "{case}");
        for k in 0..2 {
            let ev: u64 = groups
                .iter()
                .map(|g| g["causes"][k]["events"].as_u64().unwrap())
                .sum();
            assert_eq!(Some(ev), j["causes"][k]["events"].as_u64(), "{case}");
        }
    }
}

#[test]
fn plain_limits_and_the_cause_of_interest_first() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference("mgus2_cr");
    let data = complete_cases(&r, dir.path());
    let times = times_arg(&r);
    let base = [
        "cuminc",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "cause",
        "--times",
        &times,
        "--json",
    ];
    let mut args = base.to_vec();
    args.extend(["--conf-type", "plain", "--cause", "2"]);
    let j: Value = serde_json::from_str(&run_ok(&args)).unwrap();
    assert_eq!(j["conf_type"], "plain");
    // cause 2 is listed first; its numbers are R's cause 2
    assert_eq!(j["causes"][0]["cause"], "2");
    let want = &r["cuminc"][1];
    assert_eq!(want["cause"].as_u64(), Some(2));
    for (k, e) in nums(&want["est"]).iter().enumerate() {
        let at = &j["causes"][0]["at"][k];
        close(at["cif"].as_f64().unwrap(), *e, REL, "cause 2 first");
        let se = at["var"].as_f64().unwrap().sqrt();
        let z = 1.959963984540054;
        close(
            at["lower"].as_f64().unwrap(),
            (e - z * se).max(0.0),
            1e-12,
            "plain lower",
        );
        close(
            at["upper"].as_f64().unwrap(),
            (e + z * se).min(1.0),
            1e-12,
            "plain upper",
        );
    }
    // a time after the last follow-up has no value, as timepoints gives NA
    let mut args = base.to_vec();
    args[7] = "1000000";
    let j: Value = serde_json::from_str(&run_ok(&args)).unwrap();
    assert!(j["causes"][0]["at"][0].is_null(), "{}", j["causes"][0]);
}

#[test]
fn text_tables_name_the_causes_and_the_figure_is_written_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = "tests/reference/competing_risks/datasets/bone_mets_synthetic_cr.csv";
    let outs: Vec<String> = ["svg", "png", "pdf"]
        .iter()
        .map(|e| d.join(format!("cif.{e}")).display().to_string())
        .collect();
    let mut args = vec![
        "cuminc",
        data,
        "--time",
        "time",
        "--event",
        "cause",
        "--by",
        "surgery",
        "--name",
        "1=Breast cancer",
        "--name",
        "2=Other causes",
        "--time-unit",
        "months",
    ];
    for o in &outs {
        args.extend(["--out", o.as_str()]);
    }
    let text = run_ok(&args);
    assert!(
        text.contains("Cause 1 (Breast cancer), all subjects"),
        "{text}"
    );
    assert!(text.contains("Cause 2 (Other causes), surgery=1"), "{text}");
    assert!(
        text.contains("Gray's test between the groups of surgery"),
        "{text}"
    );
    // rows with a missing time, cause or group are left out and counted
    assert!(text.contains("rows read 1204, used 1182"), "{text}");
    let svg = std::fs::read_to_string(&outs[0]).unwrap();
    assert!(!svg.contains("<text"));
    // the figure's texts, kept in its <desc> since the glyphs are outlined
    let doc = resvg::usvg::roxmltree::Document::parse(&svg).unwrap();
    let desc = doc
        .descendants()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string();
    for t in [
        "Cumulative incidence",
        "Time (months)",
        "Number at risk",
        "surgery=0: Breast cancer",
        "surgery=1: Other causes",
        "Gray's test (Breast cancer) p < 0.001",
    ] {
        assert!(desc.lines().any(|l| l == t), "figure has no {t:?}: {desc}");
    }
    assert!(std::fs::read(&outs[1]).unwrap().starts_with(b"\x89PNG"));
    assert!(std::fs::read(&outs[2]).unwrap().starts_with(b"%PDF-"));
}

#[test]
fn bad_options_are_errors_that_name_them_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fig = dir.path().join("x.svg");
    let data = "tests/reference/competing_risks/datasets/mgus2_cr.csv";
    let base = ["cuminc", data, "--time", "time", "--event", "cause"];
    let cases: [(&[&str], &str); 5] = [
        (
            &["--cause", "3"],
            "--cause 3 is not a value of the event column",
        ),
        (&["--cause", "0"], "also the censoring value"),
        (&["--strata", "sex"], "give --by too"),
        (&["--name", "7=x"], "'7' is not a cause"),
        (&["--conf-type", "log"], "expected log-log or plain"),
    ];
    for (extra, msg) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.extend(["--out", fig.to_str().unwrap()]);
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra:?} succeeded");
        assert!(err.contains(msg), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!fig.exists(), "{extra:?} wrote the figure");
    }
}
