//! `prognosis ph-test` and `prognosis residuals` end to end: models fitted by `prognosis fit` on
//! the reference cohorts (and on the strata-and-weights cases of `tests/reference/zph/`), the
//! binary's JSON and CSV against R survival's `cox.zph` and `residuals.coxph` at 1e-6.

mod common;

use common::cli::{ok, run, Dir};
use common::{close, nums, reference, root, strs, REL};
use serde_json::Value;
use std::path::Path;

const CASES: [&str; 3] = ["rotterdam_os", "gbsg_rfs", "bone_mets_css"];

/// Fits the reference case `name` with `ties` through the binary; returns (model path, data path).
fn fit_case(dir: &Dir, name: &str, ties: &str) -> (String, String) {
    let r = &reference()[name];
    let data = format!("datasets/{}", r["file"].as_str().unwrap());
    let model = dir.path(&format!("{name}_{ties}.json"));
    let covariates = strs(&r["covariates"]).join(",");
    let mut args = vec![
        "fit".to_string(),
        data.clone(),
        "--time".into(),
        r["time"].as_str().unwrap().into(),
        "--event".into(),
        r["event"].as_str().unwrap().into(),
        "--covariates".into(),
        covariates,
        "--ties".into(),
        ties.into(),
        "--out".into(),
        model.clone(),
    ];
    if let Some(obj) = r["factor_reference"].as_object() {
        for (k, v) in obj {
            args.push("--reference".into());
            args.push(format!("{k}={}", v.as_str().unwrap()));
        }
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    ok(&args);
    (model, data)
}

/// Compares `ph-test --json`'s tests with R's terms, chi-squares, df and p-values.
#[track_caller]
fn check_tests(j: &Value, terms: &[String], chisq: &[f64], df: &[f64], p: &[f64], what: &str) {
    let tests = j["tests"].as_array().unwrap();
    assert_eq!(tests.len(), terms.len(), "{what}: number of tests");
    assert_eq!(tests.last().unwrap()["term"], "GLOBAL", "{what}");
    for (k, t) in tests.iter().enumerate() {
        let w = format!("{what} {}", terms[k]);
        assert_eq!(t["term"].as_str().unwrap(), terms[k], "{w}: term");
        close(
            t["chisq"].as_f64().unwrap(),
            chisq[k],
            REL,
            &format!("{w} chisq"),
        );
        assert_eq!(t["df"].as_f64().unwrap(), df[k], "{w}: df");
        close(t["p"].as_f64().unwrap(), p[k], REL, &format!("{w} p"));
    }
}

#[test]
fn ph_test_equals_cox_zph_for_every_cohort_and_both_tie_methods() {
    let dir = Dir::new("zph");
    for name in CASES {
        for ties in ["efron", "breslow"] {
            let (model, data) = fit_case(&dir, name, ties);
            let out = ok(&["ph-test", "--model", &model, &data, "--json"]);
            let j: Value = serde_json::from_str(&out).unwrap();
            let r = &reference()[name][ties];
            assert_eq!(j["transform"], "km");
            assert_eq!(j["events"].as_u64(), reference()[name]["n_events"].as_u64());
            check_tests(
                &j,
                &strs(&r["zph_terms"]),
                &nums(&r["zph_chisq"]),
                &nums(&r["zph_df"]),
                &nums(&r["zph_p"]),
                &format!("{name} {ties}"),
            );
            if name == "rotterdam_os" && ties == "efron" {
                // the other transforms, with the two-column size term
                let z = zph_json("rotterdam_os_efron");
                for tr in ["km", "rank", "identity"] {
                    let out = ok(&[
                        "ph-test",
                        "--model",
                        &model,
                        &data,
                        "--json",
                        "--transform",
                        tr,
                    ]);
                    check_zph(&serde_json::from_str(&out).unwrap(), &z, tr, name);
                }
                let text = ok(&["ph-test", "--model", &model, &data]);
                assert!(text.contains("GLOBAL"), "{text}");
                assert!(text.contains("questionable (p < 0.05) for age"), "{text}");
            }
        }
    }
}

fn zph_json(stem: &str) -> Value {
    let path = root().join(format!("tests/reference/zph/{stem}_zph.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[track_caller]
fn check_zph(j: &Value, r: &Value, tr: &str, what: &str) {
    let t = &r["zph"][tr];
    assert_eq!(j["transform"], tr);
    check_tests(
        j,
        &strs(&t["terms"]),
        &nums(&t["chisq"]),
        &nums(&t["df"]),
        &nums(&t["p"]),
        &format!("{what} {tr}"),
    );
}

/// A CSV as columns by name (numbers; the line column of our output as numbers too).
struct Csv {
    names: Vec<String>,
    cols: Vec<Vec<f64>>,
}

impl Csv {
    fn parse(text: &str) -> Csv {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let names: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let mut cols = vec![Vec::new(); names.len()];
        for rec in rdr.records() {
            for (c, v) in cols.iter_mut().zip(rec.unwrap().iter()) {
                c.push(v.parse::<f64>().unwrap());
            }
        }
        Csv { names, cols }
    }
    fn read(path: &Path) -> Csv {
        Csv::parse(&std::fs::read_to_string(path).unwrap())
    }
    fn col(&self, name: &str) -> &[f64] {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.names));
        &self.cols[i]
    }
}

/// As `tests/residuals_reference.rs`: 1e-6 relative, and values below 1e-6 of the column's largest
/// magnitude (differences of nearly equal sums in R) absolutely at 1e-12 of it.
#[track_caller]
fn close_column(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let tol = if w.abs() >= 1e-6 * scale {
            REL * w.abs()
        } else {
            REL * 1e-6 * scale
        };
        assert!(err <= tol, "{what}[{k}]: got {g:e}, R {w:e}");
    }
}

/// Checks our residual CSVs (per row and per event) against R's, whose columns are named
/// `<kind>_<r name>`; `ours` maps an R term name to ours.
fn check_residual_csvs(
    rows: &Csv,
    events: &Csv,
    r_rows: &Csv,
    r_events: &Csv,
    r_terms: &[String],
    ours: &dyn Fn(&str) -> String,
    what: &str,
) {
    assert_eq!(rows.col("time"), r_rows.col("time"), "{what}: row times");
    let lines = rows.col("line");
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]),
        "{what}: lines in file order"
    );
    for kind in ["martingale", "deviance"] {
        close_column(rows.col(kind), r_rows.col(kind), &format!("{what} {kind}"));
    }
    assert_eq!(
        events.col("time"),
        r_events.col("time"),
        "{what}: event times"
    );
    for t in r_terms {
        let o = ours(t);
        for (table, r, kind) in [
            (rows, r_rows, "dfbeta"),
            (rows, r_rows, "score"),
            (events, r_events, "schoenfeld"),
            (events, r_events, "scaled"),
        ] {
            close_column(
                table.col(&format!("{kind}_{o}")),
                r.col(&format!("{kind}_{t}")),
                &format!("{what} {kind} {t}"),
            );
        }
    }
}

fn residual_csvs(model: &str, data: &str) -> (Csv, Csv) {
    let rows = ok(&[
        "residuals",
        "--model",
        model,
        data,
        "--type",
        "martingale,deviance,dfbeta,score",
    ]);
    let events = ok(&[
        "residuals",
        "--model",
        model,
        data,
        "--type",
        "schoenfeld,scaled",
    ]);
    (Csv::parse(&rows), Csv::parse(&events))
}

#[test]
fn residuals_equal_residuals_coxph_for_every_cohort() {
    let dir = Dir::new("res");
    for name in CASES {
        let (model, data) = fit_case(&dir, name, "efron");
        let (rows, events) = residual_csvs(&model, &data);
        let r_rows = Csv::read(&root().join(format!("tests/reference/residuals_{name}.csv")));
        let r_events = Csv::read(&root().join(format!("tests/reference/schoenfeld_{name}.csv")));
        let r_terms: Vec<String> = r_rows
            .names
            .iter()
            .filter_map(|n| n.strip_prefix("dfbeta_").map(String::from))
            .collect();
        // R's dummy of size=>50 is size>50
        let ours = |t: &str| match t.strip_prefix("size") {
            Some(level) if !level.is_empty() => format!("size={level}"),
            _ => t.to_string(),
        };
        check_residual_csvs(&rows, &events, &r_rows, &r_events, &r_terms, &ours, name);
        // JSON: the same numbers, one object per row
        let j: Value = serde_json::from_str(&ok(&[
            "residuals",
            "--model",
            &model,
            &data,
            "--type",
            "martingale",
            "--json",
        ]))
        .unwrap();
        let arr = j.as_array().unwrap();
        assert_eq!(arr.len(), rows.col("line").len(), "{name}: JSON rows");
        assert_eq!(arr[0]["line"].as_f64(), Some(rows.col("line")[0]));
        close_column(
            &arr.iter()
                .map(|o| o["martingale"].as_f64().unwrap())
                .collect::<Vec<_>>(),
            r_rows.col("martingale"),
            &format!("{name} JSON martingale"),
        );
    }
}

#[test]
fn strata_and_weights_equal_r() {
    let dir = Dir::new("strata");
    for stem in [
        "gbsg_strata_weights_efron",
        "gbsg_strata_weights_breslow",
        "bone_strata_weights_efron",
        "bone_strata_weights_breslow",
    ] {
        let r = zph_json(stem);
        let p = strs(&r["columns"]).len();
        let rows_path = root().join(format!("tests/reference/zph/{stem}_rows.csv"));
        // the rows R fitted: time, status, stratum, weight and the model matrix x_1.. x_p
        let r_rows = Csv::read(&rows_path);
        let data = dir.path(&format!("{stem}.csv"));
        let xs: Vec<String> = (1..=p).map(|j| format!("x_{j}")).collect();
        let mut text = format!("time,status,stratum,weight,{}\n", xs.join(","));
        for i in 0..r_rows.col("time").len() {
            let mut fields: Vec<String> = ["time", "status", "stratum", "weight"]
                .iter()
                .map(|c| format!("{}", r_rows.col(c)[i]))
                .collect();
            fields.extend(xs.iter().map(|c| format!("{}", r_rows.col(c)[i])));
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        std::fs::write(&data, text).unwrap();
        let model = dir.path(&format!("{stem}.json"));
        let ties = stem.rsplit('_').next().unwrap();
        ok(&[
            "fit",
            &data,
            "--time",
            "time",
            "--event",
            "status",
            "--covariates",
            &xs.join(","),
            "--strata",
            "stratum",
            "--weights",
            "weight",
            "--ties",
            ties,
            "--out",
            &model,
        ]);
        for tr in ["km", "rank", "identity"] {
            let out = ok(&[
                "ph-test",
                "--model",
                &model,
                &data,
                "--json",
                "--transform",
                tr,
            ]);
            // R names the terms by its covariates; ours are x_1..x_p in the same order
            let mut j: Value = serde_json::from_str(&out).unwrap();
            let names = strs(&r["zph"][tr]["terms"]);
            for (t, n) in j["tests"].as_array_mut().unwrap().iter_mut().zip(&names) {
                t["term"] = Value::from(n.as_str());
            }
            check_zph(&j, &r, tr, stem);
        }
        let (rows, events) = residual_csvs(&model, &data);
        let r_events =
            Csv::read(&root().join(format!("tests/reference/zph/{stem}_schoenfeld.csv")));
        let r_terms: Vec<String> = (1..=p).map(|j| j.to_string()).collect();
        check_residual_csvs(
            &rows,
            &events,
            &r_rows,
            &r_events,
            &r_terms,
            &|t| format!("x_{t}"),
            stem,
        );
        // the stratum of each row, as R's (0-based codes of the sorted levels)
        let strata: Vec<f64> = rows.col("stratum").to_vec();
        let want: Vec<f64> = r_rows.col("stratum").to_vec();
        let levels: Vec<f64> = {
            let mut l = strata.clone();
            l.sort_by(f64::total_cmp);
            l.dedup();
            l
        };
        let codes: Vec<f64> = strata
            .iter()
            .map(|s| levels.iter().position(|l| l == s).unwrap() as f64)
            .collect();
        let mut rl = want.clone();
        rl.sort_by(f64::total_cmp);
        rl.dedup();
        let rcodes: Vec<f64> = want
            .iter()
            .map(|s| rl.iter().position(|l| l == s).unwrap() as f64)
            .collect();
        assert_eq!(codes, rcodes, "{stem}: strata");
    }
}

#[test]
fn residual_types_of_both_kinds_are_refused_with_a_reason() {
    let (success, _, stderr) = run(&[
        "residuals",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--type",
        "martingale,scaled",
    ]);
    assert!(!success);
    assert!(
        stderr.contains("per row") && stderr.contains("two runs"),
        "{stderr}"
    );
    let (success, _, stderr) = run(&[
        "residuals",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--type",
        "cox-snell",
    ]);
    assert!(!success);
    assert!(
        stderr.contains("unknown residual type 'cox-snell'"),
        "{stderr}"
    );
    let (success, _, stderr) = run(&[
        "ph-test",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--transform",
        "sqrt",
    ]);
    assert!(!success);
    assert!(
        stderr.contains("--transform") && stderr.contains("km, rank"),
        "{stderr}"
    );
}

#[test]
fn ph_test_draws_the_residual_figures_in_every_format() {
    let dir = Dir::new("figs");
    let (model, data) = fit_case(&dir, "rotterdam_os", "efron");
    let (svg, png, pdf) = (
        dir.path("zph.svg"),
        dir.path("zph.png"),
        dir.path("zph.pdf"),
    );
    let (_, _, stderr) = run(&[
        "ph-test", "--model", &model, &data, "--out", &svg, "--out", &png, "--out", &pdf,
    ]);
    for (path, magic) in [
        (svg.clone(), b"<svg".as_slice()),
        (png.clone(), b"\x89PNG".as_slice()),
        (pdf.clone(), b"%PDF".as_slice()),
        (dir.path("zph_martingale.svg"), b"<svg".as_slice()),
        (dir.path("zph_martingale.png"), b"\x89PNG".as_slice()),
        (dir.path("zph_martingale.pdf"), b"%PDF".as_slice()),
    ] {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}; {stderr}"));
        let start = if magic == b"<svg" {
            bytes
                .windows(4)
                .position(|w| w == magic)
                .unwrap_or(usize::MAX)
        } else {
            if bytes.starts_with(magic) {
                0
            } else {
                usize::MAX
            }
        };
        assert!(start < 200, "{path}: not the expected format");
    }
}

#[test]
fn the_zph_figure_has_a_panel_per_term_with_the_coefficient_and_a_band_around_the_smooth() {
    use prognosis::plot::diagnostics::zph_figure;
    use prognosis::stats::cox::{self, CoxOptions, FitExtras};
    use prognosis::stats::zph::{self, ZphOptions};
    let case = common::load("rotterdam_os");
    let p = &case.prepared;
    let fit = cox::fit(
        &p.design,
        &p.surv,
        FitExtras::default(),
        &CoxOptions::default(),
    )
    .unwrap();
    let terms = p.spec.zph_terms();
    let opts = ZphOptions {
        terms: Some(terms.clone()),
        ..ZphOptions::default()
    };
    let z = zph::zph(&p.design, &p.surv, FitExtras::default(), &fit, &opts).unwrap();
    let reference: Vec<Option<f64>> = terms
        .iter()
        .map(|t| (t.columns.len() == 1).then(|| fit.coef[t.columns[0]]))
        .collect();
    let fig = zph_figure(&z, &reference, true);
    assert_eq!(fig.panels.len(), terms.len());
    for (panel, (t, r)) in fig.panels.iter().zip(terms.iter().zip(&reference)) {
        assert!(panel.title.starts_with(&t.name), "{}", panel.title);
        assert_eq!(panel.reference, *r);
        assert_eq!(panel.smooth.len(), 40);
        let (lo, hi) = panel.band.as_ref().unwrap();
        for ((s, l), h) in panel.smooth.iter().zip(lo).zip(hi) {
            assert!(l.1 < s.1 && s.1 < h.1, "{}: band around the smooth", t.name);
        }
    }
    assert_eq!(fig.panels[0].title, "age  (p < 0.001)");
    let texts = prognosis::plot::Rendering::new(&fig, "zph")
        .unwrap()
        .texts();
    assert!(texts.iter().any(|t| t == "β(t) for pr"), "{texts:?}");
}
