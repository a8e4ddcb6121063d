//! The calculator page of a competing-risks model file, read as text: `calculator` accepts the
//! file, the page embeds the model file's numbers, speaks of the cumulative incidence of the cause
//! with the other causes competing, and never of survival; a cause-specific page says why it has
//! no limits and no points.

mod common;

use common::cli::{ok, Dir};
use common::competing::{data_file, fit_model, reference};
use prognosis::model::competing::CompetingModelFile;
use serde_json::Value;

fn fit(dir: &Dir, case: &str, kind: &str) -> (String, String) {
    let r = &reference()[case];
    let model = dir.path(&format!("{case}-{kind}.json"));
    let page = dir.path(&format!("{case}-{kind}.html"));
    fit_model(r, &data_file(r), kind, &model);
    ok(&[
        "calculator",
        "--model",
        &model,
        "--out",
        &page,
        "--times",
        "365,1826,3652",
    ]);
    (model, std::fs::read_to_string(&page).unwrap())
}

/// The JSON the page embeds.
fn embedded(html: &str) -> Value {
    let start = html.find("id=\"model-data\">").unwrap() + "id=\"model-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// The page without its script and data: what a reader sees.
fn visible(html: &str) -> String {
    html[..html.find("<script").unwrap()].to_string()
}

#[test]
fn fine_gray_page_embeds_the_model_and_speaks_of_cumulative_incidence() {
    let dir = Dir::new("crcalc-fg");
    let (model, html) = fit(&dir, "rotterdam_cr", "fine-gray");
    let m = CompetingModelFile::load(std::path::Path::new(&model)).unwrap();
    let fg = m.fine_gray.as_ref().unwrap();
    let d = embedded(&html);
    assert_eq!(d["model"], "fine-gray");
    assert_eq!(d["checksum"], m.checksum.as_str());
    let g = &d["fine_gray"];
    let nums = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    // the numbers round-trip exactly
    assert_eq!(nums(&g["coef"]), fg.coef);
    assert_eq!(nums(&g["cumhaz"]), fg.cumhaz);
    assert_eq!(nums(&g["var_a"]), fg.var_a);
    assert_eq!(nums(&g["time"]), fg.time);
    assert_eq!(nums(&g["var_c"][3]), fg.var_c[3]);
    assert_eq!(nums(&g["var_m"][7]), fg.var_m[7]);
    assert_eq!(d["last_event"].as_f64().unwrap(), *fg.time.last().unwrap());
    assert_eq!(nums(&d["times"]), vec![365.0, 1826.0, 3652.0]);
    assert!(d["nomogram"]["scale"].as_f64().unwrap() > 0.0);
    assert_eq!(
        d["nomogram"]["min_contribution"].as_array().unwrap().len(),
        m.spec.covariates.len()
    );
    let v = visible(&html);
    assert!(
        v.contains("cumulative incidence of cause = 1 (cause = 2 competing)"),
        "{v}"
    );
    assert!(v.contains("Fine-Gray"), "{v}");
    assert!(!v.to_lowercase().contains("surviv"), "{v}");
    assert!(!v.contains("works with Cox models only"));
    // offline: no reference to anything outside the page
    assert!(!html.contains(" src=\"") && !html.contains("<link"));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn cause_specific_page_says_why_it_has_no_limits_and_no_points() {
    let dir = Dir::new("crcalc-cs");
    let (model, html) = fit(&dir, "mgus2_cr", "cause-specific");
    let m = CompetingModelFile::load(std::path::Path::new(&model)).unwrap();
    let cs = m.cause_specific.as_ref().unwrap();
    let d = embedded(&html);
    assert_eq!(d["model"], "cause-specific");
    assert!(d["nomogram"].is_null() && d["fine_gray"].is_null());
    let causes = d["cause_specific"]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), cs.causes.len());
    for (c, want) in causes.iter().zip(&cs.causes) {
        assert_eq!(c["cause"], want.cause.as_str());
        let jumps: Vec<f64> = c["jumps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(jumps, want.jumps);
    }
    let v = visible(&html);
    assert!(
        v.contains("Why there are no confidence limits and no points"),
        "{v}"
    );
    assert!(v.contains("--train"), "{v}");
    assert!(
        v.contains("cumulative incidence of cause = 1 (cause = 2 competing)"),
        "{v}"
    );
    assert!(!v.to_lowercase().contains("surviv"), "{v}");
}
