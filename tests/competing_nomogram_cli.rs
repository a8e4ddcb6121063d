//! `prognosis nomogram --model` of a competing-risks model file, run as a user runs it: `fit
//! --model fine-gray --out`, then `nomogram`. On the MGUS2 and Rotterdam competing-risks reference
//! cohorts: a patient's points read through the JSON's axes give `score --json`'s cumulative
//! incidence; the axes are those `Nomogram::from_fine_gray` gives of a library `crr` fit of the
//! same data; the figure files are the library's drawing of the file's nomogram; and on the
//! flagship study's development set, the nomogram of the model file reads as R's `predict.crr`
//! (tests/reference/fg_nomogram). A cause-specific file is refused with the reason.

mod common;

use common::cli::{fails, ok, Dir};
use common::competing::{data_file, fit_model};
use common::{close, nums, root, strs};
use prognosis::data::cohort::{self, FitRequest};
use prognosis::data::competing::prepare_competing;
use prognosis::data::csv::{read_csv, ReadOptions};
use prognosis::model::competing::CompetingModelFile;
use prognosis::model::nomogram::{Nomogram, NomogramOptions};
use prognosis::plot::{self, ImageFormat};
use prognosis::stats::competing::{crr, CrrOptions};
use serde_json::Value;

const CASES: [&str; 2] = ["mgus2_cr", "rotterdam_cr"];

/// `fit --model MODEL --cause 1 --out DIR/MODEL.json` of a reference case.
fn fit_out(r: &Value, model: &str, dir: &Dir) -> String {
    let out = dir.path(&format!("{model}.json"));
    fit_model(r, &data_file(r), model, &out);
    out
}

fn times_arg(times: &[f64]) -> String {
    times
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// A patient's total points read off the nomogram's JSON axes alone: per numeric covariate a
/// tick's points plus the distance to the tick in points per unit, per categorical one its
/// level's tick.
fn total_points(nom: &Value, patient: &serde_json::Map<String, Value>) -> f64 {
    let mut total = 0.0;
    for v in nom["variables"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let value = &patient[name];
        let axis = v["axis"].as_array().unwrap();
        total += match v.get("points_per_unit") {
            Some(ppu) => {
                let x: f64 = value_text(value).parse().unwrap();
                let tick = &axis[0];
                tick["points"].as_f64().unwrap()
                    + (x - tick["value"].as_f64().unwrap()) * ppu.as_f64().unwrap()
            }
            None => {
                let level = value_text(value);
                axis.iter()
                    .find(|t| t["value"].as_str() == Some(level.as_str()))
                    .unwrap_or_else(|| panic!("{name}: no tick for level {level}"))["points"]
                    .as_f64()
                    .unwrap()
            }
        };
    }
    total
}

/// The cumulative incidence an incidence axis of the JSON reads at `total` points: total points
/// to the centred lp, plus `coxph_shift` to x'b, through 1 - exp(-Λ0(t) exp(x'b)).
fn incidence_at(nom: &Value, axis: &Value, total: f64) -> (f64, f64) {
    let f = |k: &str| nom[k].as_f64().unwrap();
    let xb = total / f("scale") + f("intercept") + f("coxph_shift");
    let h0 = axis["baseline_cumhaz"].as_f64().unwrap();
    (xb, -(-h0 * xb.exp()).exp_m1())
}

/// Every number of `got` within `tol` (relative, absolute near 0) of `want`'s, every other value
/// equal; `got` may have the keys listed in `extra` besides `want`'s.
fn same(got: &Value, want: &Value, tol: f64, at: &str, extra: &[&str]) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                (a - b).abs() <= tol * (1.0 + b.abs()),
                "{at}: {a} against the library's {b}"
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: lengths");
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, tol, &format!("{at}[{k}]"), &[]);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> =
                a.keys().filter(|k| !extra.contains(&k.as_str())).collect();
            let mut want_keys: Vec<&String> = b.keys().collect();
            keys.sort();
            want_keys.sort();
            assert_eq!(keys, want_keys, "{at}: keys");
            for k in want_keys {
                same(&a[k], &b[k], tol, &format!("{at}.{k}"), &[]);
            }
        }
        (a, b) => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn points_read_on_the_incidence_axes_give_scores_incidence() {
    for case in CASES {
        let r = common::competing::reference()[case].clone();
        let dir = Dir::new("crnomo");
        let model = fit_out(&r, "fine-gray", &dir);
        let times = nums(&r["times"]);
        let nom: Value = serde_json::from_str(&ok(&[
            "nomogram",
            "--model",
            &model,
            "--times",
            &times_arg(&times),
            "--json",
        ]))
        .unwrap();
        // a reader knows what the axes are: the cumulative incidence of the cause
        assert_eq!(nom["fine_gray"], Value::Bool(true), "{case}");
        assert_eq!(nom["model"], "fine-gray");
        assert_eq!(nom["cause"], "1");
        assert_eq!(nom["competing"], serde_json::json!(["2"]));
        assert!(nom["horizons"].as_array().unwrap().is_empty());
        assert!(nom["median"].as_array().unwrap().is_empty());
        let axes = nom["incidence"].as_array().unwrap();
        assert_eq!(
            nums(&Value::Array(
                axes.iter().map(|a| a["time"].clone()).collect()
            )),
            times
        );
        for a in axes {
            // each tick reads back as its own value
            assert!(a["axis"].as_array().unwrap().len() >= 3, "{case}: {a}");
            for t in a["axis"].as_array().unwrap() {
                let (_, f) = incidence_at(&nom, a, t["total_points"].as_f64().unwrap());
                close(f, t["incidence"].as_f64().unwrap(), 1e-10, case);
            }
        }
        for (k, prof) in r["crr"]["profiles"].as_array().unwrap().iter().enumerate() {
            let patient = prof["covariates"].as_object().unwrap();
            let mut args: Vec<String> = vec!["score".into(), "--model".into(), model.clone()];
            for (c, v) in patient {
                args.push("--set".into());
                args.push(format!("{c}={}", value_text(v)));
            }
            args.extend(["--times".into(), times_arg(&times), "--json".into()]);
            let score: Value = serde_json::from_str(&ok(&args)).unwrap();
            let total = total_points(&nom, patient);
            // score gives the same points as the nomogram, per factor and in total
            let what = format!("{case} profile {k}");
            close(score["total_points"].as_f64().unwrap(), total, 1e-9, &what);
            close(
                score["points"]["total"].as_f64().unwrap(),
                total,
                1e-9,
                &what,
            );
            let factor_sum: f64 = score["points"]["factors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["points"].as_f64().unwrap())
                .sum();
            close(factor_sum, total, 1e-9, &what);
            let inc = score["incidence"].as_array().unwrap();
            for (a, want) in axes.iter().zip(inc) {
                let (xb, f) = incidence_at(&nom, a, total);
                let what = format!("{case} profile {k} t = {}", a["time"]);
                assert!(
                    (xb - score["lp"].as_f64().unwrap()).abs() < 1e-8,
                    "{what}: x'b {xb} against score's {}",
                    score["lp"]
                );
                let w = want["cif"].as_f64().unwrap();
                assert!((f - w).abs() < 1e-8, "{what}: {f} against score's {w}");
            }
        }
    }
}

#[test]
fn axes_equal_the_library_nomogram_of_a_crr_fit_of_the_same_data() {
    for case in CASES {
        let r = common::competing::reference()[case].clone();
        let dir = Dir::new("crnomo");
        let model = fit_out(&r, "fine-gray", &dir);
        let times = nums(&r["times"]);
        let cli: Value = serde_json::from_str(&ok(&[
            "nomogram",
            "--model",
            &model,
            "--times",
            &times_arg(&times),
            "--json",
        ]))
        .unwrap();
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
        let table = read_csv(
            std::path::Path::new(&data_file(&r)),
            &req.columns(),
            &ReadOptions::default(),
        )
        .unwrap();
        let pc = prepare_competing(&table, &req, Some("1")).unwrap();
        let fit = crr(&pc.surv, &pc.prepared.design, &CrrOptions::default()).unwrap();
        let summaries = cohort::summarise(&table, &pc.prepared);
        let lib = Nomogram::from_fine_gray(
            &fit,
            &pc.prepared.spec.covariates,
            &summaries,
            None,
            &NomogramOptions {
                times: times.clone(),
                median: false,
                ..Default::default()
            },
        )
        .unwrap();
        same(
            &cli,
            &serde_json::to_value(&lib).unwrap(),
            1e-9,
            case,
            &["model", "cause", "competing"],
        );
    }
}

#[test]
fn figure_files_are_the_drawing_of_the_files_nomogram() {
    let r = common::competing::reference()["rotterdam_cr"].clone();
    let dir = Dir::new("crnomo");
    let model = fit_out(&r, "fine-gray", &dir);
    let (svg, png, pdf) = (dir.path("n.svg"), dir.path("n.png"), dir.path("n.pdf"));
    let text = ok(&[
        "nomogram",
        "--model",
        &model,
        "--times",
        "1826,3652",
        "--out",
        &svg,
        "--out",
        &png,
        "--out",
        &pdf,
    ]);
    // the points table reads to the cumulative incidence
    assert!(
        text.contains("F(1826)") && text.contains("F(3652)"),
        "{text}"
    );
    assert!(!text.contains("S(1826)"), "{text}");
    let file = CompetingModelFile::load(std::path::Path::new(&model)).unwrap();
    let nom = Nomogram::from_competing_model(
        &file,
        &NomogramOptions {
            times: vec![1826.0, 3652.0],
            median: false,
            ..Default::default()
        },
    )
    .unwrap();
    let fig = plot::nomogram::NomogramFigure::new(&nom);
    for (path, format, magic) in [
        (&svg, ImageFormat::Svg, &b"<svg"[..]),
        (&png, ImageFormat::Png, &b"\x89PNG"[..]),
        (&pdf, ImageFormat::Pdf, &b"%PDF"[..]),
    ] {
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.starts_with(magic), "{path}");
        assert_eq!(
            bytes,
            plot::render(&fig, format, "nomogram").unwrap(),
            "{path}: not the library's drawing"
        );
    }
    // the incidence axes are drawn, titled as such
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg_text.contains("Cumulative incidence at time 1826"),
        "no incidence axis title in the SVG's description"
    );
}

#[test]
fn a_cause_specific_file_is_refused_with_the_reason() {
    let r = common::competing::reference()["mgus2_cr"].clone();
    let dir = Dir::new("crnomo");
    let model = fit_out(&r, "cause-specific", &dir);
    let e = fails(&["nomogram", "--model", &model, "--times", "60"]);
    assert!(
        e.contains("is a cause-specific competing-risks model")
            && e.contains("one linear predictor per cause")
            && e.contains("--model fine-gray --cause 1"),
        "{e}"
    );
    assert!(!e.contains("works with Cox models only"), "{e}");
    // nor has `score` points to give for it
    let score: Value = serde_json::from_str(&ok(&[
        "score", "--model", &model, "--set", "age=70", "--set", "sex=M", "--set", "hgb=12",
        "--set", "creat=1", "--set", "mspike=1", "--times", "60", "--json",
    ]))
    .unwrap();
    assert!(
        score["points"].is_null() && score["total_points"].is_null(),
        "{score}"
    );
    assert!(
        score["incidence"][0]["cif"].as_f64().unwrap() > 0.0,
        "{score}"
    );
}

/// The flagship study's Fine-Gray nomogram drawn from a model file: `cohort` writes the analysis
/// file, its development rows are fitted with `fit --model fine-gray --out`, and seven patients'
/// points read on the file's nomogram give R's `predict.crr` (`make_fg_nomogram_reference.R`).
#[test]
fn the_model_files_nomogram_reads_as_r_predict_crr() {
    let dir = Dir::new("crnomo");
    let analysis = dir.path("analysis.csv");
    ok(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        "--out",
        &analysis,
    ]);
    let text = std::fs::read_to_string(&analysis).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let split = header
        .split(',')
        .position(|c| c.trim_matches('"') == "split")
        .unwrap();
    let mut dev = String::from(header) + "\n";
    for l in lines.filter(|l| l.split(',').nth(split).unwrap().trim_matches('"') == "development") {
        dev.push_str(l);
        dev.push('\n');
    }
    let dev_path = dir.path("development.csv");
    std::fs::write(&dev_path, dev).unwrap();
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/reference/fg_nomogram/fg_nomogram.json"))
            .unwrap(),
    )
    .unwrap();
    let terms = strs(&r["terms"]);
    let model = dir.path("fg.json");
    ok(&[
        "fit",
        &dev_path,
        "--time",
        "time",
        "--event",
        "cause",
        "--covariates",
        &terms.join(","),
        "--model",
        "fine-gray",
        "--cause",
        "1",
        "--out",
        &model,
    ]);
    let times = nums(&r["times"]);
    let nom: Value = serde_json::from_str(&ok(&[
        "nomogram",
        "--model",
        &model,
        "--times",
        &times_arg(&times),
        "--json",
    ]))
    .unwrap();
    let cifs = r["cif"].as_array().unwrap();
    for (p, want) in r["patients"].as_array().unwrap().iter().zip(cifs) {
        let patient: serde_json::Map<String, Value> = terms
            .iter()
            .cloned()
            .zip(p.as_array().unwrap().clone())
            .collect();
        let total = total_points(&nom, &patient);
        for (a, w) in nom["incidence"].as_array().unwrap().iter().zip(nums(want)) {
            let (_, f) = incidence_at(&nom, a, total);
            close(f, w, 1e-6, &format!("{p}: t = {}", a["time"]));
        }
    }
}
