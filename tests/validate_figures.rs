//! `prognosis validate --out-dir`: the calibration, ROC and decision-curve figures (SVG with
//! outlined text, PNG at 300 dpi, PDF) and the ROC and decision-curve tables, on the shipped
//! model and its cohort.

use resvg::usvg::roxmltree;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `validate` on the shipped model and cohort into a new temporary directory.
fn validate(times: &str, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "validate",
        "--model",
        "models/bone_mets_cox.json",
        "datasets/bone_mets_synthetic.csv",
        "--times",
        times,
        "--out-dir",
        dir.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(&args)
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "validate failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    dir
}

/// An SVG figure: its size attributes and the texts its `<desc>` lists (the outlined texts).
struct Svg {
    width: f64,
    height: f64,
    labels: BTreeSet<String>,
}

fn read_svg(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains("<text"), "{}: text left", path.display());
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    let svg = doc.root_element();
    assert_eq!(svg.tag_name().name(), "svg");
    let num = |a: &str| -> f64 {
        svg.attribute(a)
            .unwrap_or_else(|| panic!("{}: no {a}", path.display()))
            .parse()
            .unwrap()
    };
    let (width, height) = (num("width"), num("height"));
    // the view box is the size: a page can scale the figure
    let view: Vec<f64> = svg
        .attribute("viewBox")
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(view, vec![0.0, 0.0, width, height]);
    // and it renders
    resvg::usvg::Tree::from_str(&text, &resvg::usvg::Options::default()).unwrap();
    let labels = doc
        .descendants()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .unwrap_or_else(|| panic!("{}: no <desc>", path.display()))
        .lines()
        .map(String::from)
        .collect();
    Svg {
        width,
        height,
        labels,
    }
}

#[track_caller]
fn has_labels(svg: &Svg, labels: &[&str], what: &str) {
    for l in labels {
        assert!(
            svg.labels.contains(*l),
            "{what}: no text {l:?} among {:?}",
            svg.labels
        );
    }
}

/// Checks a PNG: signature, pixel size (points × 300 / 72), resolution chunk (300 dpi), and
/// that something is drawn in `colour`. Returns the pixel size.
fn check_png(path: &Path, points: (f64, f64), colour: [u8; 3]) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    let want = (
        (points.0 * 300.0 / 72.0).round() as u32,
        (points.1 * 300.0 / 72.0).round() as u32,
    );
    assert_eq!((w, h), want, "{}: pixel size", path.display());
    let phys = bytes
        .windows(4)
        .position(|c| c == b"pHYs")
        .unwrap_or_else(|| panic!("{}: no pHYs chunk", path.display()));
    let ppm = u32::from_be_bytes(bytes[phys + 4..phys + 8].try_into().unwrap());
    assert_eq!(ppm, 11811, "300 dpi in pixels per metre");
    assert_eq!(bytes[phys + 12], 1, "unit: metre");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()].chunks(3);
    let n = pixels.filter(|p| *p == colour).count();
    assert!(n > 1000, "{}: {n} pixels of {colour:?}", path.display());
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

const BLUE: [u8; 3] = [0, 114, 178];

#[test]
fn out_dir_gets_every_figure() {
    let dir = validate("12,36,60", &[]);
    let d = dir.path();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("validation.json")).unwrap()).unwrap();
    let horizons = report["horizons"].as_array().unwrap();

    // 12, 36 and 60 months are named 1, 3 and 5 years in the titles
    for (k, (t, years)) in [("12", "1 year"), ("36", "3 years"), ("60", "5 years")]
        .iter()
        .enumerate()
    {
        // calibration: square-ish, the titles, the ticks, ICI, the legend
        let cal = read_svg(&d.join(format!("calibration_{t}.svg")));
        assert_eq!(cal.width, 360.0);
        assert!(
            cal.height >= 340.0 && cal.height <= 470.0,
            "height {}",
            cal.height
        );
        has_labels(
            &cal,
            &[
                &format!("Calibration at {years}"),
                &format!("Predicted probability of event by {years}"),
                &format!("Observed probability of event by {years}"),
                "0",
                "0.2",
                "0.4",
                "Kaplan–Meier by group, 95% CI",
                "Smooth calibration curve",
                "Perfect calibration",
                "Distribution of predicted risk",
            ],
            "calibration",
        );
        let ici = horizons[k]["calibration"]["ici"].as_f64().unwrap();
        has_labels(&cal, &[&format!("ICI = {ici:.3}")], "calibration");
        assert!(!cal.labels.contains("Optimism-corrected (bootstrap)"));
        check_png(
            &d.join(format!("calibration_{t}.png")),
            (cal.width, cal.height),
            BLUE,
        );

        // decision curve
        let dec = read_svg(&d.join(format!("decision_{t}.svg")));
        assert_eq!((dec.width, dec.height), (480.0, 340.0));
        has_labels(
            &dec,
            &[
                &format!("Decision curve at {years}"),
                "Threshold probability",
                "Net benefit",
                "Model",
                "Treat all",
                "Treat none",
                "0",
            ],
            "decision",
        );
        check_png(
            &d.join(format!("decision_{t}.png")),
            (dec.width, dec.height),
            BLUE,
        );

        // tables: the area under the ROC curve is the report's AUC
        let (header, rows) = csv_rows(&d.join(format!("roc_{t}.csv")));
        assert_eq!(header, ["lp_threshold", "fpr", "tpr"]);
        assert_eq!(rows[0], ["Inf", "0", "0"]);
        assert_eq!(rows.last().unwrap()[1..], ["1", "1"]);
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (r[1].parse().unwrap(), r[2].parse().unwrap()))
            .collect();
        let area: f64 = pts
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        let auc = horizons[k]["auc"].as_f64().unwrap();
        assert!((area - auc).abs() < 1e-12, "area {area}, AUC {auc}");

        let (header, rows) = csv_rows(&d.join(format!("decision_{t}.csv")));
        assert_eq!(
            header,
            [
                "threshold",
                "n_treated",
                "treated_risk",
                "net_benefit",
                "treat_all",
                "treat_none"
            ]
        );
        assert_eq!(rows.len(), 99);
        assert_eq!(rows[0][0], "0.01");
        assert_eq!(rows[6][0], "0.07");
        assert_eq!(rows[29][0], "0.3");
        assert_eq!(rows[98][0], "0.99");
        // at 1% everyone is treated: the model is treat-all
        assert_eq!(rows[0][1], "1204");
        assert_eq!(rows[0][3], rows[0][4]);
        assert!(rows.iter().all(|r| r[5] == "0"));
    }

    // one ROC figure with every horizon
    let roc = read_svg(&d.join("roc.svg"));
    assert_eq!(roc.width, 360.0);
    assert!(roc.height >= 350.0 && roc.height <= 420.0);
    let legend: Vec<String> = horizons
        .iter()
        .map(|h| {
            format!(
                "{} year{}: AUC {:.2}",
                h["time"].as_f64().unwrap() / 12.0,
                if h["time"].as_f64().unwrap() == 12.0 {
                    ""
                } else {
                    "s"
                },
                h["auc"].as_f64().unwrap()
            )
        })
        .collect();
    let legend: Vec<&str> = legend.iter().map(|s| s.as_str()).collect();
    has_labels(&roc, &legend, "ROC");
    has_labels(
        &roc,
        &[
            "Time-dependent ROC curves",
            "1 − specificity",
            "Sensitivity",
            "0",
            "0.2",
            "0.4",
            "0.6",
            "0.8",
            "1",
        ],
        "ROC",
    );
    check_png(&d.join("roc.png"), (roc.width, roc.height), BLUE);

    // the ids of each figure are its own, so the SVGs can share a page
    for (file, prefix) in [
        ("roc.svg", "roc-"),
        ("calibration_36.svg", "calibration-36-"),
    ] {
        let svg = std::fs::read_to_string(d.join(file)).unwrap();
        for part in svg.split(" id=\"").skip(1) {
            assert!(
                part.starts_with(prefix),
                "{file}: id {}",
                &part[..20.min(part.len())]
            );
        }
    }
    // and each figure has a PDF of its size
    for (file, w, h) in [
        ("roc.pdf", roc.width, roc.height),
        ("decision_12.pdf", 480.0, 340.0),
    ] {
        let pdf = std::fs::read(d.join(file)).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"), "{file}");
        assert!(text.contains(&format!("/MediaBox [0 0 {w} {h}]")), "{file}");
    }
}

#[test]
fn bootstrap_adds_the_corrected_calibration() {
    let dir = validate("12", &["--bootstrap", "5"]);
    let cal = read_svg(&dir.path().join("calibration_12.svg"));
    has_labels(
        &cal,
        &["Optimism-corrected (bootstrap)", "Calibration at 1 year"],
        "calibration",
    );
    check_png(
        &dir.path().join("calibration_12.png"),
        (cal.width, cal.height),
        [213, 94, 0],
    );
    // a single horizon: the ROC figure has one curve
    let roc = read_svg(&dir.path().join("roc.svg"));
    assert_eq!(
        roc.labels
            .iter()
            .filter(|l| l.contains("year: AUC"))
            .count(),
        1
    );
}

#[test]
fn horizon_after_the_last_event_has_no_roc() {
    // the AUC is not defined at or after the last event time (106 is the last follow-up time
    // of the cohort; its last event is earlier): no ROC table there, and without any horizon
    // with an AUC no ROC figure
    let data = root().join("datasets/bone_mets_synthetic.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let ti = headers.iter().position(|h| h == "time").unwrap();
    let si = headers.iter().position(|h| h == "status").unwrap();
    let mut last_event = f64::NEG_INFINITY;
    let mut last = f64::NEG_INFINITY;
    for r in rdr.records() {
        let r = r.unwrap();
        let t: f64 = r[ti].parse().unwrap();
        last = last.max(t);
        if &r[si] == "1" {
            last_event = last_event.max(t);
        }
    }
    assert!(last_event < last);
    let horizon = (last_event + last) / 2.0;
    let t = format!("{horizon}");
    let dir = validate(&t, &[]);
    let d = dir.path();
    assert!(!d.join(format!("roc_{t}.csv")).exists());
    assert!(!d.join("roc.svg").exists());
    assert!(d.join(format!("decision_{t}.csv")).exists());
    assert!(d.join(format!("calibration_{t}.svg")).exists());
    assert!(d.join(format!("decision_{t}.png")).exists());
}
