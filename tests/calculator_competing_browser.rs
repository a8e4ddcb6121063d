//! The calculator page of competing-risks model files in a real browser (headless Chromium, see
//! `tests/browser/`). For the Rotterdam and MGUS2 competing-risks cohorts, Fine-Gray and
//! cause-specific model files, patients are entered by clicking and typing, through the address
//! fragment and through `window.prognosis.predict`; the displayed cumulative incidence, standard
//! error and limits are compared with `prognosis score --json` (1e-9 relative), the Fine-Gray
//! points with the model file's nomogram (`Nomogram::from_competing_model`, 1e-9), a typed time
//! with `score --times`; the page makes no network request and never says "survival".

mod browser;
mod common;

use browser::*;
use common::cli::ok;
use common::competing::{data_file, fit_model, reference};
use prognosis::model::competing::CompetingModelFile;
use prognosis::model::nomogram::{Nomogram, NomogramOptions};
use prognosis::model::spec::encode_patient;
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXACT: f64 = 1e-9;

thread_local! {
    /// The largest relative difference seen between the page and `score` (printed at the end).
    static WORST: Cell<f64> = const { Cell::new(0.0) };
}

struct Fitted {
    model: PathBuf,
    page: PathBuf,
    times: Vec<f64>,
}

fn times_arg(times: &[f64]) -> String {
    times
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `fit --model KIND --cause 1 --out`, then `calculator` with the reference case's times.
fn fit(dir: &Path, case: &str, kind: &str) -> Fitted {
    let r = &reference()[case];
    let model = dir.join(format!("{case}-{kind}.json"));
    let page = dir.join(format!("{case}-{kind}.html"));
    fit_model(r, &data_file(r), kind, &model.display().to_string());
    let times: Vec<f64> = r["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    ok(&[
        "calculator".into(),
        "--model".into(),
        model.display().to_string(),
        "--out".into(),
        page.display().to_string(),
        "--times".into(),
        times_arg(&times),
    ]);
    Fitted { model, page, times }
}

fn score_json(f: &Fitted, values: &[(String, String)], times: &[f64]) -> Value {
    let mut args = vec![
        "score".to_string(),
        "--model".into(),
        f.model.display().to_string(),
        "--json".into(),
        "--times".into(),
        times_arg(times),
    ];
    for (k, v) in values {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    serde_json::from_str(&ok(&args)).unwrap()
}

/// Patients: the reference case's three profiles, and two more with other values.
fn patients(case: &str) -> Vec<Vec<(String, String)>> {
    let r = &reference()[case];
    let mut out: Vec<Vec<(String, String)>> = r["crr"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["covariates"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .collect();
    let more: &[&[(&str, &str)]] = match case {
        "rotterdam_cr" => &[
            &[
                ("age", "45"),
                ("meno", "0"),
                ("size", ">50"),
                ("grade", "2"),
                ("nodes", "7"),
                ("pr", "0"),
                ("er", "40"),
                ("hormon", "1"),
                ("chemo", "1"),
            ],
            &[
                ("age", "61"),
                ("meno", "1"),
                ("size", "20-50"),
                ("grade", "3"),
                ("nodes", "2"),
                ("pr", "1"),
                ("er", "0"),
                ("hormon", "0"),
                ("chemo", "0"),
            ],
        ],
        _ => &[
            &[
                ("age", "55"),
                ("sex", "M"),
                ("hgb", "10.2"),
                ("creat", "2.4"),
                ("mspike", "1.9"),
            ],
            &[
                ("age", "70"),
                ("sex", "F"),
                ("hgb", "14.6"),
                ("creat", "0.8"),
                ("mspike", "0.1"),
            ],
        ],
    };
    for p in more {
        out.push(
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }
    out
}

/// What the page shows: each row of the incidence table, the points, warnings, messages.
fn displayed(page: &mut Page) -> Value {
    page.eval(
        "(() => { const n = v => v === null || v === '' ? null : Number(v); \
         const msg = document.getElementById('message'); \
         return { message: msg.hidden ? null : msg.textContent, \
           incidence: [...document.querySelectorAll('#incidence [data-cif]')].map(e => ({ \
             time: n(e.dataset.time), cif: n(e.dataset.cif), se: n(e.dataset.se), \
             lower: n(e.dataset.lower), upper: n(e.dataset.upper), text: e.textContent })), \
           total_points: n((document.getElementById('total-points') || {dataset: {}}).dataset.points ?? null), \
           points: [...document.querySelectorAll('#points .pt-row:not(.total) .pt-val')].map(e => n(e.dataset.points)), \
           warnings: [...document.querySelectorAll('#warnings li')].map(e => e.textContent), \
           text: document.body.innerText, \
           hash: decodeURIComponent(location.hash) }; })()",
    )
}

#[track_caller]
fn same_number(got: &Value, want: &Value, at: &str) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => {
            let e = rel_err(g, w);
            WORST.with(|c| c.set(c.get().max(e)));
            assert!(e <= EXACT, "{at}: page {g:e}, score {w:e} (relative {e:e})");
        }
        _ => assert!(
            got.is_null() && want.is_null(),
            "{at}: page {got}, score {want}"
        ),
    }
}

/// The shown incidence against `score --json`.
fn check_shown(shown: &Value, score: &Value, what: &str) {
    assert!(
        shown["message"].is_null(),
        "{what}: message {}",
        shown["message"]
    );
    let want = score["incidence"].as_array().unwrap();
    let rows = shown["incidence"].as_array().unwrap();
    assert_eq!(rows.len(), want.len(), "{what}: rows shown");
    for (r, w) in rows.iter().zip(want) {
        for k in ["time", "cif", "se", "lower", "upper"] {
            same_number(&r[k], &w[k], &format!("{what} {k} at {}", w["time"]));
        }
        let pct = format!("{:.1}%", 100.0 * w["cif"].as_f64().unwrap());
        assert_eq!(r["text"].as_str().unwrap(), pct, "{what}: shown text");
    }
    let warnings: Vec<&Value> = shown["warnings"].as_array().unwrap().iter().collect();
    let score_w: Vec<&Value> = score["warnings"].as_array().unwrap().iter().collect();
    assert_eq!(warnings, score_w, "{what}: warnings");
}

/// The Fine-Gray points of the model file's nomogram for `values`.
fn nomogram_points(f: &Fitted, values: &[(String, String)]) -> (Vec<f64>, f64) {
    let model = CompetingModelFile::load(&f.model).unwrap();
    let nom = Nomogram::from_competing_model(&model, &NomogramOptions::default()).unwrap();
    let map: BTreeMap<String, String> = values.iter().cloned().collect();
    let (x, _) = encode_patient(&model.spec, &map).unwrap();
    let pts = nom.score(&nom.values_from_design(&x)).unwrap();
    (pts.factors.iter().map(|f| f.2).collect(), pts.total)
}

fn check_points(shown: &Value, f: &Fitted, values: &[(String, String)], what: &str) {
    let (factors, total) = nomogram_points(f, values);
    let got = shown["points"].as_array().unwrap();
    assert_eq!(got.len(), factors.len(), "{what}: factors with points");
    for (k, (g, w)) in got.iter().zip(&factors).enumerate() {
        same_number(g, &json!(w), &format!("{what} points of factor {k}"));
    }
    same_number(
        &shown["total_points"],
        &json!(total),
        &format!("{what} total"),
    );
}

/// The page's wording: the cumulative incidence of the cause, the other causes competing, and
/// never "survival".
fn check_wording(shown: &Value, kind: &str, what: &str) {
    let text = shown["text"].as_str().unwrap();
    assert!(
        text.contains("cumulative incidence of cause = 1 (cause = 2 competing)"),
        "{what}: {text}"
    );
    assert!(
        !text.to_lowercase().contains("surviv"),
        "{what}: the page speaks of survival: {text}"
    );
    if kind == "cause-specific" {
        assert!(
            text.contains("Why there are no confidence limits and no points")
                && text.contains("--train"),
            "{what}: {text}"
        );
    }
}

#[test]
fn competing_risks_pages_match_score_in_the_browser() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut page = browser.page();
    let mut urls = Vec::new();
    for case in ["rotterdam_cr", "mgus2_cr"] {
        for kind in ["fine-gray", "cause-specific"] {
            let f = fit(dir.path(), case, kind);
            let url = file_url(&f.page);
            urls.push(url.clone());
            page.goto(&url);
            let fine_gray = kind == "fine-gray";
            for (pi, values) in patients(case).iter().enumerate() {
                let what = format!("{case} {kind} patient {pi}");
                let score = score_json(&f, values, &f.times);
                if fine_gray {
                    assert!(score["incidence"][0]["se"].is_number(), "{what}: {score}");
                } else {
                    assert!(score["incidence"][0]["se"].is_null(), "{what}: {score}");
                }

                // window.prognosis.predict: score's object, points included (a Fine-Gray
                // model's; null for a cause-specific one)
                let obj: serde_json::Map<String, Value> =
                    values.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                let got = page.eval(&format!("window.prognosis.predict({})", Value::Object(obj)));
                assert_eq!(got["points"].is_null(), !fine_gray, "{what}: {got}");
                assert_eq!(
                    score["total_points"].is_null(),
                    !fine_gray,
                    "{what}: {score}"
                );
                same_json(&got, &score, EXACT, &format!("{what} predict"));
                for (k, (w, g)) in score["incidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(got["incidence"].as_array().unwrap())
                    .enumerate()
                {
                    for key in ["cif", "se", "lower", "upper"] {
                        same_number(&g[key], &w[key], &format!("{what} predict {key} {k}"));
                    }
                }

                // the form, by clicking and typing
                fill_form(&mut page, values);
                let shown = displayed(&mut page);
                check_shown(&shown, &score, &format!("{what} form"));
                check_wording(&shown, kind, &what);
                if fine_gray {
                    check_points(&shown, &f, values, &format!("{what} form"));
                } else {
                    assert!(
                        shown["points"].as_array().unwrap().is_empty()
                            && shown["total_points"].is_null(),
                        "{what}: a cause-specific page shows points"
                    );
                }
                for (k, v) in values {
                    let hash = shown["hash"].as_str().unwrap();
                    assert!(
                        hash.split(['#', '&']).any(|p| p == format!("{k}={v}")),
                        "{what}: {k}={v} not in {hash}"
                    );
                }

                // a typed time: one more row, as score --times gives it
                let t = f.times[1] + 0.5 + pi as f64;
                page.type_into("#time-extra", &t.to_string());
                let shown = displayed(&mut page);
                let mut more = f.times.clone();
                more.push(t);
                let score_t = score_json(&f, values, &more);
                check_shown(&shown, &score_t, &format!("{what} typed time {t}"));
                page.type_into("#time-extra", "");

                // the address
                page.goto(&format!("{url}#{}", fragment(values)));
                let shown = displayed(&mut page);
                check_shown(&shown, &score, &format!("{what} fragment"));
                if fine_gray {
                    check_points(&shown, &f, values, &format!("{what} fragment"));
                }
            }
            // the patients of tests/reference/scripts/csc_increment_above_one.R, whose all-cause
            // hazard increments pass 1: near the end of follow-up (age 90, MGUS2 time 265, where
            // R's product limit gives the same to 1e-11), and from the first time on (age 150,
            // where R's goes below 0 and beyond 1): the page scales them as `score` does
            if case == "mgus2_cr" && kind == "cause-specific" {
                for (age, hgb, creat) in [("90", "8", "5"), ("150", "6", "20")] {
                    let values: Vec<(String, String)> = [
                        ("age", age),
                        ("sex", "M"),
                        ("hgb", hgb),
                        ("creat", creat),
                        ("mspike", "3"),
                    ]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                    let times = [1.0, 12.0, 240.0, 265.0, 300.0, 400.0];
                    let score = score_json(&f, &values, &times);
                    let obj: serde_json::Map<String, Value> =
                        values.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    let got = page.eval(&format!(
                        "window.prognosis.predict({}, {})",
                        Value::Object(obj),
                        json!(times)
                    ));
                    let what = format!("mgus2 age {age} predict");
                    same_json(&got, &score, EXACT, &what);
                    if age == "90" {
                        // R prints 0.08162823 from 240 months on (the script above)
                        for k in 2..times.len() {
                            let c = score["incidence"][k]["cif"].as_f64().unwrap();
                            assert!((c - 0.08162823).abs() < 5e-9, "{what}: {c}");
                        }
                    }
                    let cif: Vec<f64> = (0..times.len())
                        .map(|k| score["incidence"][k]["cif"].as_f64().unwrap())
                        .collect();
                    assert!(
                        cif.windows(2).all(|w| w[1] >= w[0])
                            && cif.iter().all(|&c| (0.0..=1.0).contains(&c)),
                        "{what}: {cif:?}"
                    );
                }
            }

            // a time past the last event of the cause: score's warning
            page.type_into("#time-extra", "100000");
            let shown = displayed(&mut page);
            let w = shown["warnings"].as_array().unwrap();
            assert!(
                w.iter().any(|w| w
                    .as_str()
                    .unwrap()
                    .starts_with("time 100000 is after the last event of the cause")),
                "{case} {kind}: {w:?}"
            );
            // a typed time that is not a time
            page.type_into("#time-extra", "abc");
            let bad = page.eval(
                "(() => { const w = document.getElementById('w-time-extra'); \
                 return w.hidden ? null : w.textContent; })()",
            );
            assert_eq!(bad, json!("'abc' is not a time >= 0"), "{case} {kind}");
        }
    }
    // no request but the pages themselves
    page.collect_requests();
    let others: Vec<&String> = page
        .requests
        .iter()
        .filter(|u| u.as_str() != "about:blank" && !urls.iter().any(|p| u.starts_with(p.as_str())))
        .collect();
    assert!(others.is_empty(), "the page made requests: {others:?}");
    assert!(
        page.requests.len() >= urls.len(),
        "network events were not recorded"
    );
    eprintln!(
        "largest relative difference between the page and score / the nomogram: {:e}",
        WORST.with(|c| c.get())
    );
}
