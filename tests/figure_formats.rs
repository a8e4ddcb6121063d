//! Every figure kind written as SVG, PNG, PDF and TIFF by the commands, as a user writes them:
//! the SVG has no `<text>` and renders the same with no font and with the machine's fonts; the
//! PNG is that SVG's rendering (same layout and text size); the PDF is one vector page of the
//! figure's size, its text outlined; the TIFF is the same drawing at 600 dpi.

use resvg::{tiny_skia, usvg};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) {
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
}

const MODEL: &str = "models/bone_mets_cox.json";
const DATA: &str = "datasets/bone_mets_synthetic.csv";

/// Writes `stem` in every format by the command `args` followed by `--out FILE` per format.
fn write_all(dir: &Path, stem: &str, args: &[&str]) {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    for ext in ["svg", "png", "pdf", "tiff"] {
        all.push("--out".into());
        all.push(dir.join(format!("{stem}.{ext}")).display().to_string());
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    run(&refs);
}

/// The system's font files (TrueType and OpenType under the usual folders), as a font database.
fn system_fonts() -> Arc<usvg::fontdb::Database> {
    fn walk(dir: &Path, db: &mut usvg::fontdb::Database) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, db);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("ttf" | "otf" | "ttc" | "TTF" | "OTF")
            ) {
                if let Ok(bytes) = std::fs::read(&p) {
                    db.load_font_data(bytes);
                }
            }
        }
    }
    let mut db = usvg::fontdb::Database::new();
    for dir in [
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/Library/Fonts",
    ] {
        walk(Path::new(dir), &mut db);
    }
    Arc::new(db)
}

/// The SVG rendered by resvg at `dpi` on white, with `fontdb` as the only fonts, as RGB.
fn render(svg: &str, fontdb: Arc<usvg::fontdb::Database>, dpi: f32) -> (u32, u32, Vec<u8>) {
    let options = usvg::Options {
        fontdb,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).unwrap();
    let k = f64::from(dpi) / 72.0;
    let size = tree.size();
    let (w, h) = (
        (f64::from(size.width()) * k).round() as u32,
        (f64::from(size.height()) * k).round() as u32,
    );
    let k = k as f32;
    let mut pixmap = tiny_skia::Pixmap::new(w, h).unwrap();
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(k, k),
        &mut pixmap.as_mut(),
    );
    let rgb = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    (w, h, rgb)
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Mean absolute difference per channel, and the share of pixels that differ by more than a
/// quarter of the range in some channel.
fn difference(a: &[u8], b: &[u8]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let far = a
        .chunks_exact(3)
        .zip(b.chunks_exact(3))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count();
    (
        total as f64 / a.len() as f64,
        far as f64 / (a.len() / 3) as f64,
    )
}

/// The texts in the SVG's `<desc>`, one a line.
fn desc_lines(svg: &str) -> Vec<String> {
    let doc = usvg::roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .map(|t| t.lines().map(String::from).collect())
        .unwrap_or_default()
}

/// Checks one figure written as SVG, PNG and PDF (and TIFF when `tiff`): `titles` are texts it
/// must show.
fn check_figure(
    dir: &Path,
    stem: &str,
    titles: &[&str],
    tiff: bool,
    fonts: &Arc<usvg::fontdb::Database>,
) {
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(!svg.contains("<text"), "{stem}.svg has text elements");
    let lines = desc_lines(&svg);
    for t in titles {
        assert!(
            lines.iter().any(|l| l == t),
            "{stem}.svg: no {t:?} in {lines:?}"
        );
    }
    // the PNG is the SVG's rendering: same pixel size, same pixels up to anti-aliasing
    let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
    let (w, h, pixels) = decode_png(&png);
    let empty = Arc::new(usvg::fontdb::Database::new());
    let (sw, sh, from_svg) = render(&svg, empty.clone(), 300.0);
    assert_eq!((w, h), (sw, sh), "{stem}: PNG and SVG sizes");
    let (mean, far) = difference(&pixels, &from_svg);
    assert!(
        mean < 0.5 && far < 1e-3,
        "{stem}: PNG differs from its SVG: mean {mean}, far {far}"
    );
    // and a PNG without the text would differ: the comparison sees text
    let blank = svg.replace("<path", "<path visibility=\"hidden\"");
    let (_, _, no_ink) = render(&blank, empty.clone(), 300.0);
    assert!(
        difference(&pixels, &no_ink).0 > 2.0,
        "{stem}: comparison blind"
    );
    // no fonts or the machine's: the same picture
    let (_, _, with_fonts) = render(&svg, fonts.clone(), 300.0);
    assert!(
        from_svg == with_fonts,
        "{stem}: SVG renders differently with system fonts"
    );

    // PDF: one page of the figure's size in points, drawn with paths, DejaVu Sans embedded
    let pdf_path = dir.join(format!("{stem}.pdf"));
    let pdf = std::fs::read(&pdf_path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{stem}.pdf");
    let text = String::from_utf8_lossy(&pdf);
    let (pw, ph) = (f64::from(w) * 72.0 / 300.0, f64::from(h) * 72.0 / 300.0);
    let media = text
        .split("/MediaBox [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap_or_else(|| panic!("{stem}.pdf has no MediaBox"));
    let m: Vec<f64> = media
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(m.len(), 4);
    assert!(m[0] == 0.0 && m[1] == 0.0, "{media}");
    assert!(
        (m[2] - pw).abs() < 0.5 && (m[3] - ph).abs() < 0.5,
        "{stem}.pdf MediaBox {media} for {pw} x {ph}"
    );
    assert_eq!(
        text.matches("/Type /Page\n").count()
            + text.matches("/Type /Page/").count()
            + text.matches("/Type /Page ").count(),
        1,
        "{stem}.pdf: pages"
    );
    // the text is outlined, as in the SVG: no font needed, and the same bytes each run
    assert!(!text.contains("/Font"), "{stem}.pdf needs a font");
    let content = text.split("stream").map(str::len).max().unwrap_or(0);
    assert!(content > 1000, "{stem}.pdf: no drawing");

    if tiff {
        let bytes = std::fs::read(dir.join(format!("{stem}.tiff"))).unwrap();
        let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(bytes)).unwrap();
        let (tw, th) = dec.dimensions().unwrap();
        let (w6, h6, at600) = render(&svg, empty, 600.0);
        assert_eq!((tw, th), (w6, h6), "{stem}.tiff: 600 dpi");
        assert!(
            w6 > 2 * w - 2 && w6 < 2 * w + 2,
            "{stem}.tiff: {w6} px for {w} at 300 dpi"
        );
        let tiff::decoder::DecodingResult::U8(data) = dec.read_image().unwrap() else {
            panic!("{stem}.tiff: not 8-bit");
        };
        assert_eq!(data.len(), (tw * th * 3) as usize);
        let (mean, far) = difference(&data, &at600);
        assert!(
            mean < 0.5 && far < 1e-3,
            "{stem}.tiff differs from its SVG: {mean} {far}"
        );
    }
}

#[test]
fn every_figure_kind_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_all(
        d,
        "nomogram",
        &["nomogram", "--model", MODEL, "--times", "12,36"],
    );
    write_all(
        d,
        "km",
        &[
            "km",
            DATA,
            "--time",
            "time",
            "--event",
            "status",
            "--by",
            "surgery",
            "--time-unit",
            "months",
        ],
    );
    write_all(
        d,
        "profiles",
        &[
            "plot",
            "survival",
            "--model",
            MODEL,
            "--profile",
            "Favourable: age=45,brain=0,liver=0,lung=0,pr=1,surgery=1,chemo=1",
            "--profile",
            "age=75,brain=1,liver=1,lung=1,pr=0,surgery=0,chemo=0",
        ],
    );
    let out = d.join("validation");
    run(&[
        "validate",
        "--model",
        MODEL,
        DATA,
        "--times",
        "36",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    let fonts = system_fonts();
    check_figure(
        d,
        "nomogram",
        &[
            "Points",
            "Total points",
            "Linear predictor",
            "1-year survival",
        ],
        true,
        &fonts,
    );
    check_figure(
        d,
        "km",
        &[
            "Time (months)",
            "Survival probability",
            "Number at risk",
            "Log-rank p < 0.001",
        ],
        true,
        &fonts,
    );
    check_figure(
        d,
        "profiles",
        &[
            "Time (months)",
            "Predicted survival probability",
            "Favourable",
        ],
        true,
        &fonts,
    );
    check_figure(
        &out,
        "calibration_36",
        &[
            "Predicted probability of event by 3 years",
            "Observed probability of event by 3 years",
        ],
        false,
        &fonts,
    );
    check_figure(
        &out,
        "roc",
        &["1 − specificity", "Sensitivity"],
        false,
        &fonts,
    );
    check_figure(
        &out,
        "decision_36",
        &["Threshold probability", "Net benefit"],
        false,
        &fonts,
    );
}
