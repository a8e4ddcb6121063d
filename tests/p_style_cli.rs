//! `--p-style` and the study's `[report] p_values`: the text for people changes, JSON and CSV do
//! not.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn data() -> String {
    root()
        .join("datasets/bone_mets_synthetic.csv")
        .display()
        .to_string()
}

/// The p column of `fit`'s coefficient table.
fn p_column(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("term"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().nth(5).unwrap().to_string())
        .collect()
}

#[test]
fn fit_and_km_print_p_values_in_the_style_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let fit = |style: Option<&str>, json: bool| {
        let mut args = vec![
            "fit",
            &d,
            "--time",
            "time",
            "--event",
            "status",
            "--covariates",
            "age,brain,lung",
        ];
        if let Some(s) = style {
            args.extend(["--p-style", s]);
        }
        if json {
            args.push("--json");
        }
        run_in(dir.path(), &args)
    };
    let journal = fit(None, false);
    assert_eq!(journal, fit(Some("journal"), false));
    let three = fit(Some("three_decimals"), false);
    let four = fit(Some("four_decimals"), false);
    assert_ne!(journal, three);
    // the p-values of the coefficients: 2, 3 and 4 decimals where they are not below the floor
    let (pj, p3, p4) = (p_column(&journal), p_column(&three), p_column(&four));
    assert_eq!(pj.len(), 3);
    let decimals = |t: &str| t.split_once('.').map_or(0, |(_, d)| d.len());
    for k in 0..3 {
        if !pj[k].starts_with('<') && !pj[k].starts_with('>') {
            let p: f64 = p4[k].parse().unwrap();
            if p >= 0.01 {
                assert_eq!(decimals(&pj[k]), 2, "{}", pj[k]);
            }
            assert_eq!(decimals(&p3[k]), 3, "{}", p3[k]);
            assert_eq!(decimals(&p4[k]), 4, "{}", p4[k]);
        }
    }
    assert!(journal.contains("p = <0.001") || journal.contains("p < 0.001"));
    assert!(four.contains("<0.0001"), "{four}");
    // JSON keeps full precision whatever the style
    assert_eq!(fit(None, true), fit(Some("four_decimals"), true));

    let km = |style: &str| {
        run_in(
            dir.path(),
            &[
                "km",
                &d,
                "--time",
                "time",
                "--event",
                "status",
                "--by",
                "brain",
                "--p-style",
                style,
            ],
        )
    };
    let (kj, k4) = (km("journal"), km("four_decimals"));
    let line = |t: &str| {
        t.lines()
            .find(|l| l.contains("Log-rank"))
            .unwrap()
            .to_string()
    };
    assert_ne!(line(&kj), line(&k4));
    assert!(line(&k4).contains(&format!(
        "p = {:.4}",
        line(&k4)
            .rsplit("p = ")
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    )));
}

#[test]
fn a_study_prints_p_values_in_its_specification_style() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |style: &str| {
        format!(
            r#"[study]
name = "p"
[source]
file = "{}"
[outcome.time]
column = "time"
unit = "months"
[outcome.event]
column = "status"
event = ["1"]
censor = ["0"]
[[covariates]]
name = "age"
column = "age"
read = "number"
[[covariates]]
name = "lung"
column = "lung"
read = "map"
map = {{ "0" = "No", "1" = "Yes" }}
[validation]
horizons = [12, 36]
bootstrap = 0
[report]
p_values = "{style}"
"#,
            data().replace('\\', "/")
        )
    };
    let mut outs = Vec::new();
    for style in ["journal", "four_decimals"] {
        std::fs::write(dir.path().join(format!("{style}.toml")), spec(style)).unwrap();
        run_in(
            dir.path(),
            &[
                "study",
                "--spec",
                &format!("{style}.toml"),
                "--out-dir",
                style,
                "--formats",
                "svg",
            ],
        );
        outs.push(dir.path().join(style));
    }
    let read = |k: usize, f: &str| std::fs::read_to_string(outs[k].join(f)).unwrap();
    let (mj, m4) = (read(0, "report.md"), read(1, "report.md"));
    assert_ne!(mj, m4);
    assert!(m4.contains("<0.0001"), "no <0.0001 in the report");
    assert!(!mj.contains("<0.0001"));
    // the tables' CSV files keep full precision: the same whatever the style
    for f in ["table1.csv", "cox_multivariable.csv", "ph_test.csv"] {
        assert_eq!(read(0, f), read(1, f), "{f}");
    }
}

#[test]
fn every_command_that_prints_p_values_takes_the_style() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let model = root()
        .join("models/bone_mets_cox.json")
        .display()
        .to_string();
    run_in(
        dir.path(),
        &[
            "simulate",
            "--rows",
            "3000",
            "--format",
            "competing",
            "--out",
            "cr.csv",
        ],
    );
    let commands: Vec<Vec<&str>> = vec![
        vec!["ph-test", "--model", &model, &d],
        vec!["risk-groups", "--model", &model, &d],
        vec![
            "cuminc", "cr.csv", "--time", "time", "--event", "cause", "--times", "12,36", "--by",
            "brain",
        ],
        vec![
            "fit",
            "cr.csv",
            "--time",
            "time",
            "--event",
            "cause",
            "--covariates",
            "age,brain,liver",
            "--model",
            "fine-gray",
            "--cause",
            "1",
        ],
    ];
    for args in commands {
        let with = |style: &str| {
            let mut a = args.clone();
            a.extend(["--p-style", style]);
            run_in(dir.path(), &a)
        };
        let (journal, four) = (with("journal"), with("four_decimals"));
        assert_eq!(journal, run_in(dir.path(), &args), "{args:?}");
        assert_ne!(journal, four, "{args:?}: the style changes no p-value");
        // a p-value with 4 decimals, or below 0.0001, that the journal style does not print
        let four_dec = |t: &str| {
            t.split(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '(')
                .any(|w| {
                    let w = w.trim_start_matches(['<', '>']);
                    w.split_once('.').is_some_and(|(i, d)| {
                        i == "0" && d.len() == 4 && d.chars().all(|c| c.is_ascii_digit())
                    })
                })
        };
        assert!(four_dec(&four), "{args:?}: {four}");
    }
}
