//! The nomogram, Kaplan-Meier, predicted-survival and risk-group commands run as a user runs
//! them, on the bundled data, writing figures into a temporary directory. Figures are checked as
//! files: a well-formed SVG of the expected size with its text outlined (the texts listed in its
//! `<desc>`), or a PNG of the expected pixel size at 300 dpi.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
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
    out
}

fn model() -> String {
    root()
        .join("models/bone_mets_cox.json")
        .display()
        .to_string()
}

fn data() -> String {
    root()
        .join("datasets/bone_mets_synthetic.csv")
        .display()
        .to_string()
}

/// Width and height attributes of the root <svg> element.
fn svg_size(svg: &str) -> (f64, f64) {
    let start = svg.find("<svg").expect("an <svg> element");
    let tag = &svg[start..start + svg[start..].find('>').unwrap()];
    let attr = |name: &str| -> f64 {
        let k = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[k..k + tag[k..].find('"').unwrap()].parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// Checks an SVG figure and returns its texts, as written (XML-escaped) in its `<desc>`.
fn check_svg(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{}: truncated",
        path.display()
    );
    assert!(
        !svg.contains("<text"),
        "{}: text left un-outlined",
        path.display()
    );
    let (w, h) = svg_size(&svg);
    assert!(w > 100.0 && h > 100.0, "{}: size {w}x{h}", path.display());
    // the outlines: a path per text
    assert!(
        svg.matches("<path").count() > 20,
        "{}: no outlined text",
        path.display()
    );
    let start = svg.find("<desc>").expect("a <desc> with the texts") + "<desc>".len();
    let end = start + svg[start..].find("</desc>").unwrap();
    svg[start..end].lines().map(String::from).collect()
}

/// Checks a PNG figure: signature, 300 dpi, and a pixel size that is the SVG's size at 300/72.
fn check_png(path: &Path, svg_size_pt: (f64, f64)) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    let k = 300.0 / 72.0;
    assert_eq!(
        w,
        (svg_size_pt.0 * k).round() as u32,
        "{}: width",
        path.display()
    );
    assert_eq!(
        h,
        (svg_size_pt.1 * k).round() as u32,
        "{}: height",
        path.display()
    );
    let phys = bytes
        .windows(4)
        .position(|w| w == b"pHYs")
        .expect("a pHYs chunk");
    let ppm = u32::from_be_bytes(bytes[phys + 4..phys + 8].try_into().unwrap());
    assert_eq!(ppm, 11811, "300 dpi is 11811 pixels per metre");
    // not blank: some dark pixels are drawn (compressed data of a white image is tiny)
    assert!(
        bytes.len() > 20_000,
        "{}: suspiciously small PNG",
        path.display()
    );
}

fn has(labels: &[String], want: &str) -> bool {
    labels.iter().any(|l| l == want)
}

#[test]
fn nomogram_json_table_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("nomogram.svg");
    let png = dir.path().join("nomogram.png");
    let out = run(&[
        "nomogram",
        "--model",
        &model(),
        "--times",
        "12,36,60",
        "--json",
        "--label",
        "age=Age (years)",
        "--out",
        svg.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let vars = j["variables"].as_array().unwrap();
    assert_eq!(vars.len(), 7);
    assert_eq!(vars[0]["name"], "age");
    let age: Vec<(f64, f64)> = vars[0]["axis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["value"].as_f64().unwrap(), t["points"].as_f64().unwrap()))
        .collect();
    // rms: pretty() over the full age range 22-95 is 20, 30, ..., 100; age spans 100 points
    assert_eq!(age.first().unwrap().0, 20.0);
    assert_eq!(age.last().unwrap(), &(100.0, 100.0));
    assert_eq!(j["lp_axis"].as_array().unwrap().len(), 10);
    let horizons = j["horizons"].as_array().unwrap();
    assert_eq!(horizons.len(), 3);
    for h in horizons {
        let axis = h["axis"].as_array().unwrap();
        assert!(axis.len() >= 5);
        for t in axis {
            let s = t["survival"].as_f64().unwrap();
            assert!(s > 0.0 && s < 1.0);
        }
    }
    let labels = check_svg(&svg);
    for want in [
        "Points",
        "Age (years)",
        "brain",
        "Total points",
        "Linear predictor",
        "1-year survival",
        "5-year survival",
        "Median survival (months)",
        "100",
    ] {
        assert!(
            has(&labels, want),
            "nomogram.svg lacks '{want}': {labels:?}"
        );
    }
    let size = svg_size(&std::fs::read_to_string(&svg).unwrap());
    check_png(&png, size);

    // the points table for scoring by hand
    let out = run(&["nomogram", "--model", &model(), "--times", "12"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("per unit"), "{text}");
    assert!(text.contains("S(12 months)"), "{text}");
}

#[test]
fn score_shows_points_that_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("patient.png");
    let args = [
        "score",
        "--model",
        &model(),
        "--set",
        "age=60",
        "--set",
        "brain=0",
        "--set",
        "liver=1",
        "--set",
        "lung=0",
        "--set",
        "pr=1",
        "--set",
        "surgery=0",
        "--set",
        "chemo=1",
        "--json",
        "--out",
    ];
    let mut all: Vec<&str> = args.to_vec();
    let p = png.to_str().unwrap().to_string();
    all.push(&p);
    let out = run(&all);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let factors = j["points"]["factors"].as_array().unwrap();
    let sum: f64 = factors.iter().map(|f| f["points"].as_f64().unwrap()).sum();
    let total = j["points"]["total"].as_f64().unwrap();
    assert!((sum - total).abs() < 1e-9);
    // age 60 is half-way along the 20-100 axis that spans 100 points
    assert!((factors[0]["points"].as_f64().unwrap() - 50.0).abs() < 1e-9);
    // the nomogram's own scale: the same total from the nomogram JSON
    let nom: Value =
        serde_json::from_slice(&run(&["nomogram", "--model", &model(), "--json"]).stdout).unwrap();
    let pick = |name: &str, value: f64| -> f64 {
        let v = nom["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap();
        v["axis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["value"].as_f64() == Some(value))
            .unwrap()["points"]
            .as_f64()
            .unwrap()
    };
    let by_hand = pick("age", 60.0)
        + pick("brain", 0.0)
        + pick("liver", 1.0)
        + pick("lung", 0.0)
        + pick("pr", 1.0)
        + pick("surgery", 0.0)
        + pick("chemo", 1.0);
    assert!((by_hand - total).abs() < 1e-9);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");
}

#[test]
fn km_figure_has_curves_legend_and_risk_table() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("km.svg");
    let png = dir.path().join("km.png");
    run(&[
        "km",
        &data(),
        "--time",
        "time",
        "--event",
        "status",
        "--by",
        "surgery",
        "--time-unit",
        "months",
        "--out",
        svg.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    let labels = check_svg(&svg);
    for want in [
        "Time (months)",
        "Survival probability",
        "surgery=0",
        "surgery=1",
        "Log-rank p &lt; 0.001",
        "Number at risk",
        "781",
        "423",
    ] {
        assert!(has(&labels, want), "km.svg lacks '{want}': {labels:?}");
    }
    check_png(&png, svg_size(&std::fs::read_to_string(&svg).unwrap()));
}

#[test]
fn bad_figure_extension_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("nomogram.jpg");
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args([
            "nomogram",
            "--model",
            &model(),
            "--out",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".svg, .png, .pdf, .tif or .tiff"), "{err}");
    assert!(!bad.exists());
}

#[test]
fn risk_groups_by_training_tertiles() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("risk.svg");
    let out = run(&[
        "risk-groups",
        "--model",
        &model(),
        &data(),
        "--json",
        "--out",
        svg.to_str().unwrap(),
    ]);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = j["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    let n: Vec<u64> = groups.iter().map(|g| g["n"].as_u64().unwrap()).collect();
    assert_eq!(n.iter().sum::<u64>(), 1204);
    // on the training data itself, training tertiles split into near-thirds (ties aside)
    for &k in &n {
        assert!((390..=415).contains(&k), "{n:?}");
    }
    // hazard ratios rise with risk; the first group is the reference
    assert!(groups[0]["hr"].is_null());
    let hr1 = groups[1]["hr"].as_f64().unwrap();
    let hr2 = groups[2]["hr"].as_f64().unwrap();
    assert!(1.0 < hr1 && hr1 < hr2);
    // the log-rank statistic equals `prognosis km --by` on a file with the group column
    let cut: Vec<f64> = j["cutoffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    let preds = run(&["predict", "--model", &model(), &data(), "--times", "12"]);
    let text = String::from_utf8(preds.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let lp_col = header.iter().position(|h| h == "lp").unwrap();
    let nom: Value =
        serde_json::from_slice(&run(&["nomogram", "--model", &model(), "--json"]).stdout).unwrap();
    let (scale, intercept, shift) = (
        nom["scale"].as_f64().unwrap(),
        nom["intercept"].as_f64().unwrap(),
        nom["coxph_shift"].as_f64().unwrap(),
    );
    let raw = std::fs::read_to_string(data()).unwrap();
    let mut grouped = String::from("time,status,group\n");
    for (line, rec) in raw.lines().skip(1).zip(rdr.records()) {
        let rec = rec.unwrap();
        let lp: f64 = rec[lp_col].parse().unwrap();
        let points = (lp - shift - intercept) * scale;
        let g = cut.iter().filter(|&&c| c < points).count();
        let f: Vec<&str> = line.split(',').collect();
        grouped.push_str(&format!("{},{},{g}\n", f[7], f[8]));
    }
    let file = dir.path().join("grouped.csv");
    std::fs::write(&file, grouped).unwrap();
    let km: Value = serde_json::from_slice(
        &run(&[
            "km",
            file.to_str().unwrap(),
            "--time",
            "time",
            "--event",
            "status",
            "--by",
            "group",
            "--json",
        ])
        .stdout,
    )
    .unwrap();
    let (a, b) = (
        j["logrank"]["chisq"].as_f64().unwrap(),
        km["logrank"]["chisq"].as_f64().unwrap(),
    );
    assert!(((a - b) / b).abs() < 1e-9, "{a} vs {b}");
    let labels = check_svg(&svg);
    assert!(
        labels.iter().any(|l| l.starts_with("Low (points ≤")),
        "{labels:?}"
    );
}

#[test]
fn plot_survival_draws_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("profiles.svg");
    run(&[
        "plot",
        "survival",
        "--model",
        &model(),
        "--profile",
        "Favourable: age=45,brain=0,liver=0,lung=0,pr=1,surgery=1,chemo=1",
        "--profile",
        "age=75,brain=1,liver=1,lung=1,pr=0,surgery=0,chemo=0",
        "--out",
        svg.to_str().unwrap(),
    ]);
    let labels = check_svg(&svg);
    assert!(has(&labels, "Favourable"), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.starts_with("age=75, brain=1")),
        "unnamed profile labelled by its values: {labels:?}"
    );
    assert!(has(&labels, "Predicted survival probability"));
    assert!(has(&labels, "Time (months)"));
    // a profile missing a covariate is an error naming it
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args([
            "plot",
            "survival",
            "--model",
            &model(),
            "--profile",
            "age=60",
            "--out",
        ])
        .arg(dir.path().join("bad.svg"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("brain"), "{err}");
    assert!(!dir.path().join("bad.svg").exists());
}
