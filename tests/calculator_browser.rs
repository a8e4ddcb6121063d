//! The clinician calculator in a real browser: headless Chromium driven over the DevTools
//! protocol. For the three reference cohorts and both tie methods, the profiles of
//! `tests/reference/reference.json` are entered by clicking and typing, through the address
//! fragment and through `window.prognosis.predict`; the displayed numbers are compared with R's
//! (1e-6) and with `prognosis score --json` (1e-9). Also: a stratified model, warnings and
//! messages for out-of-range and invalid values, no network request, layout at phone and desktop
//! width, and the print view on one page.
//!
//! Where no Chromium is installed the tests are skipped with a note, except in CI (`CI` set),
//! where a missing browser fails them: `.ci/run` installs Debian's `chromium`. The browser
//! driving is in `tests/browser/`.

mod browser;
mod common;

use browser::*;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const EXACT: f64 = 1e-9;

// ---------------------------------------------------------------------------------------------
// models and `score`

fn run_ok(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "prognosis {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Fitted {
    model: PathBuf,
    page: PathBuf,
    times: Vec<f64>,
}

fn fit_model(dir: &Path, tag: &str, fit_args: &[&str], times: &[f64]) -> Fitted {
    let model = dir.join(format!("{tag}.json"));
    let page = dir.join(format!("{tag}.html"));
    let mut args: Vec<&str> = fit_args.to_vec();
    let m = model.to_str().unwrap().to_string();
    args.extend(["--out", &m]);
    run_ok(&args);
    let t: Vec<String> = times.iter().map(|v| v.to_string()).collect();
    let t = t.join(",");
    run_ok(&[
        "calculator",
        "--model",
        &m,
        "--out",
        page.to_str().unwrap(),
        "--times",
        &t,
    ]);
    Fitted {
        model,
        page,
        times: times.to_vec(),
    }
}

fn score_json(f: &Fitted, values: &[(String, String)]) -> Value {
    let t: Vec<String> = f.times.iter().map(|v| v.to_string()).collect();
    let mut args = vec![
        "score".to_string(),
        "--model".into(),
        f.model.display().to_string(),
        "--json".into(),
        "--times".into(),
        t.join(","),
    ];
    for (k, v) in values {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    serde_json::from_str(&run_ok(&a)).unwrap()
}

fn score_error(f: &Fitted, values: &[(String, String)]) -> String {
    let mut args = vec![
        "score".to_string(),
        "--model".into(),
        f.model.display().to_string(),
        "--json".into(),
    ];
    args.push("--times".into());
    args.push(
        f.times
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    for (k, v) in values {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    let out = Command::new(bin()).args(&args).output().unwrap();
    assert!(!out.status.success(), "score accepted {values:?}");
    let e = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let e = e.strip_prefix("Error: ").unwrap_or(&e);
    e.strip_prefix("error: ").unwrap_or(e).trim().to_string()
}

fn profile_values(prof: &Value) -> Vec<(String, String)> {
    prof["covariates"]
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
}

/// The displayed numbers: survival elements, median, points.
fn displayed(page: &mut Page) -> Value {
    page.eval(
        "(() => { const n = v => v === null || v === '' ? null : Number(v); \
         const m = document.getElementById('median'); \
         const msg = document.getElementById('message'); \
         return { message: msg.hidden ? null : msg.textContent, \
           survival: [...document.querySelectorAll('#survival [data-surv]')].map(e => ({ \
             time: n(e.dataset.time), surv: n(e.dataset.surv), lower: n(e.dataset.lower), \
             upper: n(e.dataset.upper), text: e.textContent })), \
           median: n(m.getAttribute('data-median')), \
           median_lower: n(m.getAttribute('data-median-lower')), \
           median_upper: n(m.getAttribute('data-median-upper')), \
           total_points: n((document.getElementById('total-points') || {dataset: {}}).dataset.points ?? null), \
           points: [...document.querySelectorAll('#points .pt-row:not(.total) .pt-val')].map(e => n(e.dataset.points)), \
           warnings: [...document.querySelectorAll('#warnings li')].map(e => e.textContent), \
           field_warnings: [...document.querySelectorAll('.warn:not([hidden])')].map(e => e.textContent), \
           hash: decodeURIComponent(location.hash) }; })()",
    )
}

/// The displayed numbers against `score --json` (1e-9).
fn check_display(shown: &Value, score: &Value, what: &str) {
    assert!(
        shown["message"].is_null(),
        "{what}: message {}",
        shown["message"]
    );
    let surv = score["survival"].as_array().unwrap();
    let rows = shown["survival"].as_array().unwrap();
    assert_eq!(rows.len(), surv.len(), "{what}: horizons shown");
    for (r, s) in rows.iter().zip(surv) {
        for k in ["time", "surv", "lower", "upper"] {
            same_json(&r[k], &s[k], EXACT, &format!("{what} displayed {k}"));
        }
        let pct = format!("{:.1}%", 100.0 * s["surv"].as_f64().unwrap());
        assert_eq!(r["text"].as_str().unwrap(), pct, "{what}: shown text");
    }
    for (k, j) in [
        ("median", "median"),
        ("median_lower", "lower"),
        ("median_upper", "upper"),
    ] {
        same_json(
            &shown[k],
            &score["median"][j],
            EXACT,
            &format!("{what} displayed {k}"),
        );
    }
    same_json(
        &shown["total_points"],
        &score["points"]["total"],
        EXACT,
        &format!("{what} total points"),
    );
    let pts: Vec<Value> = score["points"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["points"].clone())
        .collect();
    same_json(
        &shown["points"],
        &Value::Array(pts),
        EXACT,
        &format!("{what} points"),
    );
}

/// R's survfit numbers (1e-6).
fn check_r(page: &Value, prof: &Value, what: &str) {
    let surv = page["survival"].as_array().unwrap();
    let r_t = nums(&prof["times"]);
    for (k, t) in r_t.iter().enumerate() {
        let p = &surv[k];
        assert_eq!(p["time"].as_f64().unwrap(), *t);
        close(
            p["surv"].as_f64().unwrap(),
            nums(&prof["surv"])[k],
            REL,
            &format!("{what} S({t})"),
        );
        if let Some(se) = p.get("se") {
            close(
                se.as_f64().unwrap(),
                nums(&prof["std_err"])[k],
                REL,
                &format!("{what} se({t})"),
            );
        }
        close(
            p["lower"].as_f64().unwrap(),
            nums(&prof["lower95"])[k],
            REL,
            &format!("{what} lower({t})"),
        );
        close(
            p["upper"].as_f64().unwrap(),
            nums(&prof["upper95"])[k],
            REL,
            &format!("{what} upper({t})"),
        );
    }
}

fn reference_fit_args<'a>(case: &'a Value, ties: &'a str, data: &'a str) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "fit".into(),
        data.into(),
        "--time".into(),
        case["time"].as_str().unwrap().into(),
        "--event".into(),
        case["event"].as_str().unwrap().into(),
        "--covariates".into(),
        strs(&case["covariates"]).join(","),
        "--ties".into(),
        ties.into(),
    ];
    if let Some(obj) = case["factor_reference"].as_object() {
        for (k, v) in obj {
            a.push("--reference".into());
            a.push(format!("{k}={}", v.as_str().unwrap()));
        }
    }
    a
}

#[test]
fn reference_profiles_match_r_and_score_in_the_browser() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let all = reference();
    let mut page = browser.page();
    let mut pages = Vec::new();
    for name in ["bone_mets_css", "rotterdam_os", "gbsg_rfs"] {
        let case = &all[name];
        let data = root().join("datasets").join(case["file"].as_str().unwrap());
        for ties in ["efron", "breslow"] {
            let r = &case[ties];
            let profiles = r["profiles"].as_array().unwrap();
            let times = nums(&profiles[0]["times"]);
            let args = reference_fit_args(case, ties, data.to_str().unwrap());
            let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            let f = fit_model(dir.path(), &format!("{name}_{ties}"), &a, &times);
            let url = file_url(&f.page);
            pages.push(url.clone());
            page.goto(&url);
            for (pi, prof) in profiles.iter().enumerate() {
                let what = format!("{name} {ties} profile {pi}");
                let values = profile_values(prof);
                let score = score_json(&f, &values);
                check_r(&score, prof, &format!("{what} (score)"));

                // window.prognosis.predict: the whole object of score --json
                let obj: serde_json::Map<String, Value> =
                    values.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                let got = page.eval(&format!(
                    "window.prognosis.predict({})",
                    Value::Object(obj.clone())
                ));
                same_json(&got, &score, EXACT, &format!("{what} predict"));
                check_r(&got, prof, &format!("{what} predict"));
                // numbers as numbers work too
                let got_num =
                    page.eval(&format!("window.prognosis.predict({})", prof["covariates"]));
                same_json(
                    &got_num,
                    &score,
                    EXACT,
                    &format!("{what} predict (numbers)"),
                );

                // the form, by clicking and typing
                fill_form(&mut page, &values);
                let shown = displayed(&mut page);
                check_display(&shown, &score, &format!("{what} form"));
                check_r(&shown, prof, &format!("{what} form"));
                // the address now holds the inputs
                for (k, v) in &values {
                    let hash = shown["hash"].as_str().unwrap();
                    assert!(
                        hash.split(['#', '&']).any(|p| p == format!("{k}={v}")),
                        "{what}: {k}={v} not in {hash}"
                    );
                }

                // the fragment
                page.goto(&format!("{url}#{}", fragment(&values)));
                let shown = displayed(&mut page);
                check_display(&shown, &score, &format!("{what} fragment"));
                check_r(&shown, prof, &format!("{what} fragment"));
            }
        }
    }
    // no request but the pages themselves
    page.collect_requests();
    let others: Vec<&String> = page
        .requests
        .iter()
        .filter(|u| u.as_str() != "about:blank" && !pages.iter().any(|p| u.starts_with(p.as_str())))
        .collect();
    assert!(others.is_empty(), "the page made requests: {others:?}");
    assert!(
        page.requests.len() >= pages.len(),
        "network events were not recorded"
    );
}

#[test]
fn stratified_model_matches_score() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("datasets/rotterdam.csv");
    let f = fit_model(
        dir.path(),
        "strat",
        &[
            "fit",
            data.to_str().unwrap(),
            "--time",
            "os_days",
            "--event",
            "death",
            "--covariates",
            "age,size,nodes,hormon",
            "--reference",
            "size=<=20",
            "--strata",
            "meno",
            "--time-unit",
            "days",
        ],
        &[365.0, 1826.0, 3652.0, 9000.0],
    );
    let url = file_url(&f.page);
    let mut page = browser.page();
    page.goto(&url);
    let profiles = [
        [
            ("age", "45"),
            ("size", ">50"),
            ("nodes", "3"),
            ("hormon", "0"),
            ("meno", "0"),
        ],
        [
            ("age", "68.5"),
            ("size", "20-50"),
            ("nodes", "0"),
            ("hormon", "1"),
            ("meno", "1"),
        ],
        [
            ("age", "30"),
            ("size", "<=20"),
            ("nodes", "20"),
            ("hormon", "0"),
            ("meno", "1"),
        ],
    ];
    let mut seen_strata = std::collections::BTreeSet::new();
    for (pi, prof) in profiles.iter().enumerate() {
        let values: Vec<(String, String)> = prof
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let score = score_json(&f, &values);
        let obj: serde_json::Map<String, Value> =
            values.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let got = page.eval(&format!("window.prognosis.predict({})", Value::Object(obj)));
        same_json(&got, &score, EXACT, &format!("strata {pi} predict"));
        fill_form(&mut page, &values);
        check_display(&displayed(&mut page), &score, &format!("strata {pi} form"));
        page.goto(&format!("{url}#{}", fragment(&values)));
        let shown = displayed(&mut page);
        check_display(&shown, &score, &format!("strata {pi} fragment"));
        // 9000 days is past the last event: score's warning is shown
        assert!(
            !score["warnings"].as_array().unwrap().is_empty(),
            "{}",
            score["warnings"]
        );
        same_json(
            &shown["warnings"],
            &score["warnings"],
            0.0,
            "strata warnings",
        );
        seen_strata.insert(prof[4].1);
    }
    assert_eq!(seen_strata.len(), 2);
    // any input: pseudo-random values, decimals and values outside the training range included
    let mut state: u64 = 2021;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let sizes = ["<=20", "20-50", ">50"];
    for i in 0..12 {
        let values: Vec<(String, String)> = vec![
            (
                "age".into(),
                format!("{}.{}", next(130) as i64 - 10, next(100)),
            ),
            ("size".into(), sizes[next(3) as usize].into()),
            ("nodes".into(), next(60).to_string()),
            ("hormon".into(), next(2).to_string()),
            ("meno".into(), next(2).to_string()),
        ];
        let score = score_json(&f, &values);
        let obj: serde_json::Map<String, Value> =
            values.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let got = page.eval(&format!("window.prognosis.predict({})", Value::Object(obj)));
        same_json(&got, &score, EXACT, &format!("random input {i} {values:?}"));
    }
    // the two strata give different curves for the same covariates
    let a = page.eval("window.prognosis.predict({age: 50, size: '<=20', nodes: 1, hormon: 0, meno: 0}).survival[1].surv");
    let b = page.eval("window.prognosis.predict({age: 50, size: '<=20', nodes: 1, hormon: 0, meno: 1}).survival[1].surv");
    assert_ne!(a, b);
}

#[test]
fn out_of_range_and_invalid_values_show_the_messages_of_score() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("datasets/rotterdam.csv");
    let f = fit_model(
        dir.path(),
        "m",
        &[
            "fit",
            data.to_str().unwrap(),
            "--time",
            "os_days",
            "--event",
            "death",
            "--covariates",
            "age,size,nodes",
            "--time-unit",
            "days",
        ],
        &[365.0, 1826.0],
    );
    let url = file_url(&f.page);
    let mut page = browser.page();
    page.goto(&url);
    let base = [("age", "55"), ("size", "20-50"), ("nodes", "2")];
    let with = |k: &str, v: &str| -> Vec<(String, String)> {
        base.iter()
            .map(|(a, b)| (a.to_string(), if *a == k { v } else { b }.to_string()))
            .collect()
    };
    // out of the training range: a prediction with score's warning, beside the field too
    let values = with("age", "101");
    fill_form(&mut page, &values);
    let shown = displayed(&mut page);
    let score = score_json(&f, &values);
    check_display(&shown, &score, "age 101");
    let w = score["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(shown["warnings"], score["warnings"]);
    assert!(
        shown["field_warnings"].as_array().unwrap().contains(&w[0]),
        "{}",
        shown["field_warnings"]
    );
    let visible = page.eval(
        "(() => { const w = [...document.querySelectorAll('.warn:not([hidden])')]; \
         return w.length > 0 && w.every(e => e.getBoundingClientRect().height > 0); })()",
    );
    assert_eq!(visible, json!(true));

    // not a number, typed: score's error, and no stale number looks current
    for bad in ["abc", "5O", "1e400", ""] {
        let values = with("nodes", bad);
        fill_form(&mut page, &values);
        let shown = displayed(&mut page);
        let want = score_error(&f, &values);
        assert_eq!(
            shown["message"].as_str(),
            Some(want.as_str()),
            "nodes = {bad:?}"
        );
        let stale = page.eval("document.getElementById('output').classList.contains('stale')");
        assert_eq!(stale, json!(true));
        let err = page.eval(&format!(
            "(() => {{ try {{ window.prognosis.predict({}); return null; }} catch (e) {{ return e.message; }} }})()",
            json!({"age": "55", "size": "20-50", "nodes": bad})
        ));
        assert_eq!(err.as_str(), Some(want.as_str()));
    }
    // through the address: an unknown level, an unknown name, a missing value
    let cases: Vec<Vec<(String, String)>> = vec![with("size", "huge"), {
        let mut v = with("age", "55");
        v.push(("grade".into(), "3".into()));
        v
    }];
    for values in cases {
        page.goto(&format!("{url}#{}", fragment(&values)));
        let shown = displayed(&mut page);
        let want = score_error(&f, &values);
        assert_eq!(shown["message"].as_str(), Some(want.as_str()), "{values:?}");
    }
    let missing = page.eval(
        "(() => { try { window.prognosis.predict({age: 55, size: '20-50'}); return null; } \
         catch (e) { return e.message; } })()",
    );
    let want = score_error(
        &f,
        &[("age".into(), "55".into()), ("size".into(), "20-50".into())],
    );
    assert_eq!(missing.as_str(), Some(want.as_str()));
    // a valid change afterwards gives a prediction again
    fill_form(&mut page, &with("age", "60"));
    let shown = displayed(&mut page);
    check_display(&shown, &score_json(&f, &with("age", "60")), "recovered");
}

/// Text boxes that overlap each other or stick out of the viewport, and horizontal scrolling.
const LAYOUT_PROBE: &str = r#"(() => {
  const W = document.documentElement.clientWidth;
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n, node = 0;
  while ((n = walker.nextNode())) {
    if (!n.textContent.trim()) continue;
    const p = n.parentElement;
    if (p.closest('script, style, noscript, svg')) continue;
    node++;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const b of r.getClientRects()) {
      if (b.width < 0.5 || b.height < 0.5) continue;
      boxes.push({t: n.textContent.trim().slice(0, 40), node, x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: b.height});
    }
  }
  document.querySelectorAll('svg text').forEach(t => {
    node++;
    const b = t.getBoundingClientRect();
    boxes.push({t: t.textContent, node, x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: b.height, svg: true});
  });
  const problems = [];
  for (const b of boxes) {
    if (b.x < -0.5 || b.x + b.w > W + 0.5) problems.push('cut off: ' + b.t + ' at ' + Math.round(b.x) + '+' + Math.round(b.w));
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.node === b.node) continue;
    const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    if (ox > 1 && oy > 1) problems.push('overlap: "' + a.t + '" and "' + b.t + '"');
  }
  // text clipped by a box with hidden overflow
  document.querySelectorAll('body *').forEach(e => {
    const s = getComputedStyle(e);
    if (s.overflowX !== 'visible' && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1 && !['INPUT', 'SELECT', 'svg'].includes(e.tagName))
      problems.push('clipped: ' + e.tagName + ' ' + e.textContent.trim().slice(0, 40));
  });
  if (document.documentElement.scrollWidth > W + 1) problems.push('scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W);
  return {texts: boxes.length, problems};
})()"#;

fn run_study(dir: &Path) {
    let out = dir.to_str().unwrap();
    run_ok(&[
        "study",
        "--spec",
        root().join("models/her2_bone_mets.toml").to_str().unwrap(),
        "--out-dir",
        out,
        "--bootstrap",
        "0",
        "--no-png",
    ]);
}

#[test]
fn flagship_page_lays_out_at_phone_and_desktop_width_and_prints_on_one_page() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    run_study(dir.path());
    let page_path = dir.path().join("calculator.html");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("calculator");
    std::fs::create_dir_all(&shots).unwrap();
    let mut page = browser.page();
    for (width, mobile) in [(390u32, true), (1280, false)] {
        page.set_width(width, 900, mobile);
        // out-of-range age: the warnings must fit too
        page.goto(&format!(
            "{}#age=97&brain=1&liver=0&lung=1&pr=0&surgery=1&chemo=1",
            file_url(&page_path)
        ));
        let shown = displayed(&mut page);
        assert!(shown["message"].is_null(), "{}", shown["message"]);
        assert_eq!(shown["warnings"].as_array().unwrap().len(), 1);
        let probe = page.eval(LAYOUT_PROBE);
        assert!(probe["texts"].as_u64().unwrap() > 50, "{probe}");
        assert_eq!(
            probe["problems"],
            json!([]),
            "layout at {width} px: {}",
            probe["problems"]
        );
        // the labels of the specification, and the risk group
        let text = page.eval("document.body.innerText");
        let text = text.as_str().unwrap();
        for s in [
            "Age at diagnosis (years)",
            "Brain metastasis",
            "Yes",
            "Risk group:",
            "Harrell's C",
            "supports and does not replace clinical judgement",
        ] {
            assert!(text.contains(s), "page lacks '{s}'");
        }
        page.screenshot(&shots.join(format!("calculator_{width}.png")));
    }
    // the print view: one page
    page.set_width(1280, 900, false);
    let pdf = page.call(
        "Page.printToPDF",
        json!({"paperWidth": 8.27, "paperHeight": 11.69}),
    );
    let bytes = base64_decode(pdf["data"].as_str().unwrap());
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 1, "the print view has {pages} pages");
    // no request but the page
    page.collect_requests();
    let url = file_url(&page_path);
    assert!(
        page.requests
            .iter()
            .all(|u| u == "about:blank" || u.starts_with(&url)),
        "{:?}",
        page.requests
    );
}
