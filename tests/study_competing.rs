//! `prognosis study` on the flagship specification, which has `[competing_risks]`: the
//! competing-risks section, its files and figures, and its numbers recomputed here with the library
//! from the study's own analysis file (Gray's tests, the cumulative incidence at the horizons, the
//! Fine-Gray coefficients, the Fine-Gray model's discrimination, calibration and bootstrap in
//! both sets) and the attrition counted per cause.

use prognosis::model::validation_competing::{
    bootstrap_fine_gray, calibration_slope, fine_gray_cif, fine_gray_lp, validate_predictions,
    CompetingMeasures, CompetingValidationOptions, CompetingValidationReport,
};
use prognosis::stats::competing::{
    crr, cuminc, gray_test, CompetingSurv, CrrOptions, CumincOptions,
};
use prognosis::stats::cox::Design;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A CSV file as its header and rows of text.
fn csv_rows(dir: &Path, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = read(dir, name);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("'{s}' is not a number"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Resamples of the run: few, the bootstrap's numbers are compared with the library's.
const BOOTSTRAP: usize = 12;

const FACTORS: [&str; 7] = ["age", "brain", "liver", "lung", "pr", "surgery", "chemo"];

/// The analysis file's columns by name.
struct Analysis {
    col: HashMap<String, Vec<String>>,
    n: usize,
}

impl Analysis {
    fn numbers(&self, name: &str) -> Vec<f64> {
        self.col[name].iter().map(|s| num(s)).collect()
    }
}

#[test]
fn competing_risks_section_equals_the_library_on_the_analysis_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(["study", "--spec", "models/her2_bone_mets.toml", "--out-dir"])
        .arg(dir.path())
        .args(["--bootstrap", &BOOTSTRAP.to_string()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = dir.path();
    // the section, its files and figures in every format
    let md = read(d, "report.md");
    let html = read(d, "report.html");
    for text in [&md, &html] {
        assert!(text.contains("8. Competing risks"));
        assert!(text.contains("Multivariable Cox and Fine–Gray regression in the development set"));
        assert!(text.contains("Cumulative incidence of each cause in the study cohort"));
    }
    for stem in [
        "cuminc_overall",
        "cuminc_brain",
        "cuminc_age",
        "competing_nomogram",
    ] {
        for ext in ["svg", "png", "pdf"] {
            assert!(d.join(format!("{stem}.{ext}")).exists(), "{stem}.{ext}");
        }
        assert!(
            md.contains(&format!("({stem}.svg)")),
            "{stem} not in report.md"
        );
    }
    let nomogram = read(d, "competing_nomogram.svg");
    for axis in [
        "1-year cumulative incidence",
        "3-year cumulative incidence",
        "5-year cumulative incidence",
    ] {
        assert!(nomogram.contains(axis), "{axis}");
    }
    assert!(!nomogram.contains("survival"));
    // the report.docx holds the section's tables (every html table is a Word table: tests/study.rs)
    {
        use std::io::Read;
        let mut zip =
            zip::ZipArchive::new(std::fs::File::open(d.join("report.docx")).unwrap()).unwrap();
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains("Fine–Gray SHR (95% CI)"));
    }

    // the analysis file: the cohort with its cause and split
    let (h, rows) = csv_rows(d, "analysis.csv");
    let mut col: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        for (name, v) in h.iter().zip(r) {
            col.entry(name.clone()).or_default().push(v.clone());
        }
    }
    let a = Analysis { col, n: rows.len() };
    let time = a.numbers("time");
    let cause: Vec<u32> = a.numbers("cause").iter().map(|&c| c as u32).collect();
    let status = a.numbers("status");
    for i in 0..a.n {
        assert_eq!(status[i] == 1.0, cause[i] == 1, "row {i}");
    }
    let split = &a.col["split"];

    // attrition: the three causes add up to the cohort, overall and per set
    let (ah, arows) = csv_rows(d, "attrition.csv");
    assert_eq!(
        ah,
        ["step", "excluded", "remaining", "development", "validation"]
    );
    let last3 = &arows[arows.len() - 3..];
    assert_eq!(last3[0][0], "Study cohort: Death from breast cancer");
    assert_eq!(last3[1][0], "Study cohort: Death from other causes");
    assert_eq!(last3[2][0], "Study cohort: censored");
    for (row, c) in last3.iter().zip([1u32, 2, 0]) {
        for (k, set) in [(2, None), (3, Some("development")), (4, Some("validation"))] {
            let want = (0..a.n)
                .filter(|&i| cause[i] == c && set.is_none_or(|s| split[i] == s))
                .count();
            assert_eq!(num(&row[k]), want as f64, "{} {set:?}", row[0]);
        }
    }
    let cohort_n = num(&arows[arows.len() - 4][2]);
    let total: f64 = last3.iter().map(|r| num(&r[2])).sum();
    assert_eq!(total, cohort_n);
    assert_eq!(cohort_n as usize, a.n);
    assert!(num(&last3[1][2]) > 0.0);

    // Gray's test of each factor, recomputed on the whole cohort
    let surv = CompetingSurv::with_causes(time.clone(), cause.clone(), 2).unwrap();
    let (gh, grows) = csv_rows(d, "gray_tests.csv");
    assert_eq!(gh, ["factor", "cause", "chi-square", "df", "p"]);
    assert_eq!(grows.len(), 2 * FACTORS.len());
    for (k, f) in FACTORS.iter().enumerate() {
        let x = a.numbers(f);
        let groups: Vec<usize> = if *f == "age" {
            // a continuous factor is split at its median
            let mut s = x.clone();
            s.sort_by(f64::total_cmp);
            let m = if s.len() % 2 == 1 {
                s[s.len() / 2]
            } else {
                0.5 * (s[s.len() / 2 - 1] + s[s.len() / 2])
            };
            x.iter().map(|&v| usize::from(v > m)).collect()
        } else {
            x.iter().map(|&v| v as usize).collect()
        };
        let tests = gray_test(&surv, &groups, None, 0.0).unwrap();
        for (t, row) in tests.iter().zip(&grows[2 * k..2 * k + 2]) {
            assert!(
                close(num(&row[2]), t.statistic.unwrap(), 1e-12),
                "{f}: {row:?}"
            );
            assert!(close(num(&row[4]), t.p_value.unwrap(), 1e-12), "{f}");
            assert_eq!(row[3], t.df.to_string());
        }
    }

    // the cumulative incidence at the horizons, overall
    let curves = cuminc(&surv, None, &CumincOptions::default()).unwrap();
    let (ch, crows) = csv_rows(d, "cuminc_horizons.csv");
    assert_eq!(ch[0], "factor");
    let overall: Vec<&Vec<String>> = crows.iter().filter(|r| r[0] == "All").collect();
    assert_eq!(overall.len(), 6);
    for (row, (c, t)) in overall.iter().zip(
        [1u32, 2]
            .iter()
            .flat_map(|&c| [12.0, 36.0, 60.0].map(|t| (c, t))),
    ) {
        let p = curves[c as usize - 1].at(t).unwrap();
        assert_eq!(num(&row[3]), t);
        assert!(close(num(&row[5]), p.estimate, 1e-12), "{row:?}");
        assert!(close(num(&row[7]), p.lower, 1e-12), "{row:?}");
        assert!(close(num(&row[8]), p.upper, 1e-12), "{row:?}");
    }

    // the Fine-Gray model on the development rows
    let columns: Vec<Vec<f64>> = FACTORS.iter().map(|f| a.numbers(f)).collect();
    let set_data = |name: &str| -> (Design, CompetingSurv) {
        let rows: Vec<usize> = (0..a.n).filter(|&i| split[i] == name).collect();
        let mut x = Vec::with_capacity(rows.len() * FACTORS.len());
        for &i in &rows {
            x.extend(columns.iter().map(|c| c[i]));
        }
        let design = Design::new(
            x,
            rows.len(),
            FACTORS.iter().map(|s| s.to_string()).collect(),
        )
        .unwrap();
        let surv = CompetingSurv::with_causes(
            rows.iter().map(|&i| time[i]).collect(),
            rows.iter().map(|&i| cause[i]).collect(),
            2,
        )
        .unwrap();
        (design, surv)
    };
    let (design, dsurv) = set_data("development");
    let fit = crr(&dsurv, &design, &CrrOptions::default()).unwrap();
    let (fh, frows) = csv_rows(d, "fine_gray.csv");
    assert_eq!(
        fh,
        [
            "factor",
            "term",
            "coef",
            "se",
            "shr",
            "shr_lower",
            "shr_upper",
            "z",
            "p"
        ]
    );
    assert_eq!(frows.len(), FACTORS.len());
    for (row, c) in frows.iter().zip(fit.coefficients()) {
        assert_eq!(row[1], c.name);
        for (k, v) in [
            (2, c.coef),
            (3, c.se),
            (4, c.shr),
            (5, c.lower),
            (6, c.upper),
            (8, c.p),
        ] {
            assert!(
                close(num(&row[k]), v, 1e-12),
                "{}: {} against {v}",
                c.name,
                row[k]
            );
        }
    }
    // the baseline file is crr's
    let (_, brows) = csv_rows(d, "fine_gray_baseline.csv");
    assert_eq!(brows.len(), fit.event_times.len());
    for (row, (t, j)) in brows
        .iter()
        .zip(fit.event_times.iter().zip(&fit.baseline_jumps))
    {
        assert_eq!(num(&row[0]), *t);
        assert!(close(num(&row[1]), *j, 1e-12));
    }
    // the formatted table shows both models' ratios
    let (_, trows) = csv_rows(d, "competing_regression.csv");
    assert_eq!(trows.len(), FACTORS.len());
    assert_eq!(trows[0][0], "Age at diagnosis (years)");

    // discrimination and calibration of the Fine-Gray model in both sets, recomputed with the
    // development fit's predictions on each set's rows of the analysis file
    let times = [12.0, 36.0, 60.0];
    let labels = ["1 year", "3 years", "5 years"];
    let opts = CompetingValidationOptions {
        times: times.to_vec(),
        groups: 5,
        ..Default::default()
    };
    let manifest: serde_json::Value = serde_json::from_str(&read(d, "manifest.json")).unwrap();
    let seed = manifest["seed"].as_u64().unwrap();
    let (vh, vrows) = csv_rows(d, "fine_gray_validation.csv");
    assert_eq!(
        vh,
        [
            "set",
            "n",
            "events",
            "competing",
            "censored",
            "time",
            "horizon",
            "auc",
            "auc_se",
            "auc_lower",
            "auc_upper",
            "brier",
            "null_brier",
            "ipa",
            "cindex",
            "expected",
            "observed",
            "observed_expected",
            "slope",
            "slope_se",
            "slope_lower",
            "slope_upper"
        ]
    );
    assert_eq!(vrows.len(), 2 * times.len());
    let (_, grows) = csv_rows(d, "fine_gray_calibration_groups.csv");
    let (vdesign, vsurv) = set_data("validation");
    for (k, (set, design, surv)) in [
        ("development", &design, &dsurv),
        ("validation", &vdesign, &vsurv),
    ]
    .into_iter()
    .enumerate()
    {
        let predicted = fine_gray_cif(&fit, design, &times).unwrap();
        let want = validate_predictions(surv, &predicted, &opts).unwrap();
        let slope = calibration_slope(surv, 1, &fine_gray_lp(&fit, design)).unwrap();
        if set == "development" {
            // the model's own linear predictor on its data: 1 up to crr's convergence
            assert!((slope.slope - 1.0).abs() < 1e-5, "{slope:?}");
        }
        let rows = &vrows[k * times.len()..(k + 1) * times.len()];
        for ((row, h), label) in rows.iter().zip(&want.horizons).zip(labels) {
            assert_eq!(row[0], set);
            assert_eq!(num(&row[1]), want.n as f64);
            assert_eq!(num(&row[2]), want.events as f64);
            assert_eq!(num(&row[3]), want.competing as f64);
            assert_eq!(num(&row[4]), want.censored as f64);
            assert_eq!(num(&row[5]), h.time);
            assert_eq!(row[6], label);
            let z = 1.959963984540054;
            for (c, v) in [
                (7, h.auc),
                (8, h.auc_se),
                (9, h.auc - z * h.auc_se),
                (10, h.auc + z * h.auc_se),
                (11, h.brier),
                (12, h.null_brier),
                (13, h.ipa),
                (14, h.cindex),
                (15, h.calibration.expected),
                (16, h.calibration.observed.unwrap()),
                (17, h.calibration.observed_expected.unwrap()),
                (18, slope.slope),
                (19, slope.se),
                (20, slope.lower),
                (21, slope.upper),
            ] {
                assert!(
                    close(num(&row[c]), v, 1e-10),
                    "{set} {label} {}: {} against {v}",
                    vh[c],
                    row[c]
                );
            }
            // the grouped calibration of this set and horizon
            let groups: Vec<&Vec<String>> = grows
                .iter()
                .filter(|g| g[0] == set && num(&g[1]) == h.time)
                .collect();
            assert_eq!(groups.len(), h.calibration.groups.len());
            for (g, w) in groups.iter().zip(&h.calibration.groups) {
                assert_eq!(num(&g[4]), w.n as f64);
                assert!(close(num(&g[5]), w.predicted, 1e-10), "{g:?}");
                assert!(close(num(&g[6]), w.observed.unwrap(), 1e-10), "{g:?}");
                assert!(close(num(&g[8]), w.lower.unwrap(), 1e-10), "{g:?}");
                assert!(close(num(&g[9]), w.upper.unwrap(), 1e-10), "{g:?}");
            }
        }
        // the set's JSON holds the same report
        let json: CompetingValidationReport =
            serde_json::from_str(&read(d, &format!("{set}_fine_gray_measures.json"))).unwrap();
        assert_eq!((json.n, json.events), (want.n, want.events));
        for (a, b) in json.horizons.iter().zip(&want.horizons) {
            assert!(close(a.auc, b.auc, 1e-10) && close(a.cindex, b.cindex, 1e-10));
            assert_eq!(a.calibration.groups.len(), b.calibration.groups.len());
        }
        assert_eq!(json.bootstrap.is_some(), set == "development");
        // the calibration figures of this set, one per horizon, named by set and horizon
        for (t, label) in times.iter().zip(labels) {
            let stem = format!("{set}_fine_gray_calibration_{}", label.replace(' ', "_"));
            for ext in ["svg", "png", "pdf"] {
                assert!(d.join(format!("{stem}.{ext}")).exists(), "{stem}.{ext}");
            }
            assert!(
                md.contains(&format!("({stem}.svg)")),
                "{stem} not in report.md"
            );
            let svg = read(d, &format!("{stem}.svg"));
            assert!(
                svg.contains(&format!("at {label}")) && svg.contains(&format!("{set} set")),
                "{stem}: title without its horizon or set"
            );
            let other = if set == "development" {
                "validation set"
            } else {
                "development set"
            };
            assert!(!svg.contains(other), "{stem} names the other set");
            let _ = t;
        }
    }
    for text in [&md, &html] {
        assert!(text.contains("Fine–Gray model: discrimination and calibration in each set"));
        assert!(text.contains("Bootstrap optimism correction in the development set"));
    }

    // the bootstrap: the study's resamples and seed, refitting crr on the development rows
    let boot = bootstrap_fine_gray(
        &design,
        &dsurv,
        &CrrOptions::default(),
        &CompetingValidationOptions {
            bootstrap: BOOTSTRAP,
            seed,
            ..opts.clone()
        },
    )
    .unwrap();
    let (bh, brows) = csv_rows(d, "fine_gray_bootstrap.csv");
    assert_eq!(brows.len(), times.len());
    for (row, h) in brows.iter().zip(&boot.horizons) {
        assert_eq!(num(&row[0]), h.time);
        assert_eq!(num(&row[2]), BOOTSTRAP as f64);
        assert_eq!(num(&row[3]), boot.failed as f64);
        assert_eq!(num(&row[4]), seed as f64);
        let m = [h.apparent, h.optimism, h.corrected];
        let pick: [fn(&CompetingMeasures) -> f64; 4] =
            [|x| x.auc, |x| x.brier, |x| x.ipa, |x| x.cindex];
        let want: Vec<f64> = pick.iter().flat_map(|g| m.iter().map(g)).collect();
        for (k, v) in want.iter().enumerate() {
            assert!(
                close(num(&row[5 + k]), *v, 1e-10),
                "{}: {} against {v}",
                bh[5 + k],
                row[5 + k]
            );
        }
        let s = boot.slope;
        assert_eq!(
            bh[17..],
            ["slope_apparent", "slope_optimism", "slope_corrected"]
        );
        for (k, v) in [s.apparent, s.optimism, s.corrected].iter().enumerate() {
            assert!(close(num(&row[17 + k]), *v, 1e-10), "{row:?}");
        }
    }
    assert!(boot.slope.optimism != 0.0);
    // the optimism-corrected calibration of the development set
    let (ch, crows) = csv_rows(d, "fine_gray_calibration_corrected.csv");
    assert_eq!(
        ch,
        [
            "set",
            "time",
            "horizon",
            "group",
            "predicted",
            "observed",
            "optimism",
            "corrected"
        ]
    );
    let want: Vec<(f64, &prognosis::model::validation::CorrectedGroup)> = boot
        .calibration
        .iter()
        .flat_map(|c| c.groups.iter().map(move |g| (c.time, g)))
        .collect();
    assert_eq!(crows.len(), want.len());
    assert!(crows.len() >= 3 * 4);
    for (row, (t, g)) in crows.iter().zip(want) {
        assert_eq!((row[0].as_str(), num(&row[1])), ("development", t));
        for (c, v) in [
            (4, g.predicted),
            (5, g.observed),
            (6, g.optimism),
            (7, g.corrected),
        ] {
            assert!(close(num(&row[c]), v, 1e-10), "{row:?}");
        }
        assert_eq!(g.corrected, (g.observed - g.optimism).clamp(0.0, 1.0));
    }
    for text in [&md, &html] {
        assert!(text.contains("Calibration slope (95% CI)"));
        assert!(text.contains("the bootstrap optimism-corrected groups"));
    }

    // TRIPOD 12e and 23a point to the Fine-Gray validation
    let (_, trows) = csv_rows(d, "tripod_checklist.csv");
    let table = md
        .lines()
        .find(|l| l.contains("Fine–Gray model: discrimination and calibration in each set"))
        .and_then(|l| l.split("**").nth(1))
        .map(|l| l.trim_end_matches('.').to_string())
        .unwrap();
    for item in ["12e", "23a"] {
        let row = trows.iter().find(|r| r[0] == item).unwrap();
        assert!(row[4].contains(&table), "{item}: {row:?} lacks {table}");
    }
}
