//! Publication figures, drawn with `plotters` as SVG from the results of the numerical core
//! (this module reads results; it computes no statistic), and rendered from that one SVG into
//! every file format.
//!
//! Every figure is a type implementing [`Figure`]: a size in points (1/72 inch) and a `draw`
//! function that works on any `plotters` backend at a given scale. It is drawn once, with
//! `plotters`' SVG backend; [`Rendering::new`] parses that SVG with `usvg`, laying its text out
//! in DejaVu Sans ([`font::database`], compiled into the program, no system font), and every
//! format is made from the one parsed tree:
//! - SVG ([`Rendering::svg`]): the tree written back by `usvg`, text as outlined paths, so the
//!   file looks the same in every viewer with no font installed;
//! - PNG ([`Rendering::png`]): the tree rendered by `resvg` at 300 dots per inch (4.17 px per
//!   point), the resolution recorded in the file (`pHYs`);
//! - PDF ([`Rendering::pdf`]): the tree converted by `svg2pdf`, vector, the page the figure's
//!   size in points, text as real text in an embedded subset of DejaVu Sans;
//! - TIFF ([`Rendering::tiff`]): as the PNG at 600 dpi, LZW-compressed, as journals ask.
//!
//! The formats therefore have the same layout and text size.
//!
//! Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies
//! and in greyscale by line style where groups are many.

pub mod calibration;
mod common;
pub mod curves;
pub mod decision;
pub mod diagnostics;
pub mod flow;
pub mod font;
pub mod nomogram;
pub mod render;
pub mod roc;
pub mod validation;

pub use render::Rendering;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use thiserror::Error;

/// Why a figure could not be drawn or written.
#[derive(Debug, Error)]
pub enum PlotError {
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("the figure's SVG could not be read: {0}")]
    Svg(String),
    #[error(
        "the id prefix {0:?} is not an XML name: use ASCII letters, digits, '-', '_' and '.', \
         starting with a letter or '_'"
    )]
    InvalidId(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("PDF conversion failed: {0}")]
    Pdf(String),
    #[error("TIFF encoding failed: {0}")]
    Tiff(String),
    #[error("'{0}': the figure's file name must end in .svg, .png, .pdf, .tif or .tiff")]
    Format(String),
    #[error("'{0}' is not a figure format: use svg, png, pdf or tiff")]
    FormatName(String),
    #[error("nothing to draw: {0}")]
    Empty(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

/// The file formats of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageFormat {
    /// SVG with outlined text.
    Svg,
    /// PNG at [`PNG_DPI`].
    Png,
    /// Vector PDF, one page of the figure's size.
    Pdf,
    /// TIFF at [`TIFF_DPI`].
    Tiff,
}

impl ImageFormat {
    /// Every format, in the order of the enum.
    pub const ALL: [ImageFormat; 4] = [
        ImageFormat::Svg,
        ImageFormat::Png,
        ImageFormat::Pdf,
        ImageFormat::Tiff,
    ];

    /// The format named by a file's extension (case-insensitive): `.svg`, `.png`, `.pdf`,
    /// `.tif` or `.tiff`.
    pub fn of_path(path: &Path) -> Result<ImageFormat, PlotError> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(ImageFormat::of_name)
            .ok_or_else(|| PlotError::Format(path.display().to_string()))
    }

    /// The format of a name or extension (case-insensitive, without a dot): `svg`, `png`,
    /// `pdf`, `tif` or `tiff`.
    pub fn of_name(name: &str) -> Option<ImageFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "svg" => Some(ImageFormat::Svg),
            "png" => Some(ImageFormat::Png),
            "pdf" => Some(ImageFormat::Pdf),
            "tif" | "tiff" => Some(ImageFormat::Tiff),
            _ => None,
        }
    }

    /// The formats of a comma-separated list such as `"svg,png,pdf"` (case-insensitive, spaces
    /// allowed), each once, in the order given. An empty list, an empty item or an unknown
    /// name is an error.
    pub fn parse_list(list: &str) -> Result<Vec<ImageFormat>, PlotError> {
        let mut out = Vec::new();
        for item in list.split(',') {
            let f = ImageFormat::of_name(item)
                .ok_or_else(|| PlotError::FormatName(item.trim().to_string()))?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The file extension, without the dot: `svg`, `png`, `pdf`, `tiff`.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
            ImageFormat::Pdf => "pdf",
            ImageFormat::Tiff => "tiff",
        }
    }
}

impl std::str::FromStr for ImageFormat {
    type Err = PlotError;
    fn from_str(s: &str) -> Result<Self, PlotError> {
        ImageFormat::of_name(s).ok_or_else(|| PlotError::FormatName(s.trim().to_string()))
    }
}

/// PNG resolution, dots per inch.
pub const PNG_DPI: f64 = 300.0;

/// TIFF resolution, dots per inch.
pub const TIFF_DPI: f64 = 600.0;

/// Sizes in points, turned into device pixels.
#[derive(Debug, Clone, Copy)]
pub struct Scale(pub f64);

impl Scale {
    /// A length in points as device pixels.
    pub fn px(self, pt: f64) -> i32 {
        (pt * self.0).round() as i32
    }

    /// A length in points as device pixels, unrounded.
    pub fn f(self, pt: f64) -> f64 {
        pt * self.0
    }

    /// Text style of `size` points (DejaVu Sans): `plotters`' size, set in the SVG at
    /// `size / 1.24` points.
    pub fn text(self, size: f64) -> TextStyle<'static> {
        font::font_desc(size * self.0, false).into()
    }

    /// Bold text style of `size` points.
    pub fn bold(self, size: f64) -> TextStyle<'static> {
        font::font_desc(size * self.0, true).into()
    }

    /// Width in device pixels of `text` in the style [`Scale::text`]`(size)`, as it is drawn.
    pub fn text_width(self, text: &str, size: f64) -> f64 {
        font::text_width(text, size * self.0 / font::PLOTTERS_EM, false)
    }

    /// As [`Scale::text_width`], for [`Scale::bold`] text.
    pub fn bold_text_width(self, text: &str, size: f64) -> f64 {
        font::text_width(text, size * self.0 / font::PLOTTERS_EM, true)
    }

    /// A line style of colour `c` and width `w` points.
    pub fn stroke(self, c: RGBColor, w: f64) -> ShapeStyle {
        c.stroke_width(self.px(w).max(1) as u32)
    }
}

/// The Okabe-Ito palette (black first; then orange, sky blue, bluish green, vermillion, blue,
/// reddish purple, yellow).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
];

/// Colour of group `i`: blue, vermillion, bluish green, orange, reddish purple, sky blue, black.
pub fn group_colour(i: usize) -> RGBColor {
    const ORDER: [usize; 7] = [5, 4, 3, 1, 6, 2, 0];
    PALETTE[ORDER[i % ORDER.len()]]
}

pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const LIGHT_GREY: RGBColor = RGBColor(225, 225, 225);

/// Font sizes in points.
pub const TITLE_PT: f64 = 11.0;
pub const LABEL_PT: f64 = 9.0;
pub const TICK_PT: f64 = 8.0;

/// A figure: a size and a drawing.
pub trait Figure {
    /// Width and height in points.
    fn size(&self) -> (f64, f64);
    /// Draws the figure on `area`, whose pixels are `scale` per point.
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        scale: Scale,
    ) -> Result<(), PlotError>;
}

/// SVG user units per point. `plotters` writes whole-number coordinates, so the drawing is made
/// on a grid this much finer than the point and shown at its size in points: curves and markers
/// are placed to a quarter point, not a whole point.
pub const SVG_UNITS_PER_PT: f64 = 4.0;

/// The figure as `plotters` draws it: an SVG document with `<text>` elements, on the grid of
/// [`SVG_UNITS_PER_PT`] (`viewBox`), `width` and `height` the figure's size in whole points.
/// This is the input of [`Rendering`]; files are made from that.
pub fn draw_svg<F: Figure>(fig: &F) -> Result<String, PlotError> {
    let k = SVG_UNITS_PER_PT;
    let (w, h) = (fig.size().0.round(), fig.size().1.round());
    if !(w >= 1.0 && h >= 1.0 && w * k <= f64::from(u32::MAX) && h * k <= f64::from(u32::MAX)) {
        return Err(PlotError::Empty(format!("a figure of {w} x {h} points")));
    }
    let (pw, ph) = ((w * k) as u32, (h * k) as u32);
    let mut text = String::new();
    {
        let backend = SVGBackend::with_string(&mut text, (pw, ph));
        let area = backend.into_drawing_area();
        area.fill(&WHITE)?;
        fig.draw(&area, Scale(k))?;
        area.present()?;
    }
    // show it at its size in points; plotters writes `<svg width=".." height=".." viewBox=..`
    Ok(text.replacen(
        &format!("<svg width=\"{pw}\" height=\"{ph}\" "),
        &format!("<svg width=\"{w}\" height=\"{h}\" "),
        1,
    ))
}

/// The figure as an SVG document whose text is outlined ([`Rendering::svg`]); `id` (an XML
/// name) prefixes the document's ids so that several figures can share one HTML page.
pub fn to_svg<F: Figure>(fig: &F, id: &str) -> Result<String, PlotError> {
    Ok(Rendering::new(fig, id)?.svg())
}

/// The figure as a PNG file at [`PNG_DPI`] ([`Rendering::png`]).
pub fn to_png<F: Figure>(fig: &F) -> Result<Vec<u8>, PlotError> {
    Rendering::new(fig, "figure")?.png()
}

/// The figure as a one-page vector PDF ([`Rendering::pdf`]).
pub fn to_pdf<F: Figure>(fig: &F) -> Result<Vec<u8>, PlotError> {
    Rendering::new(fig, "figure")?.pdf()
}

/// The figure's file bytes in `format`; `id` as for [`to_svg`].
pub fn render<F: Figure>(fig: &F, format: ImageFormat, id: &str) -> Result<Vec<u8>, PlotError> {
    Rendering::new(fig, id)?.encode(format)
}

/// The figure's file bytes in each of `formats`, in that order, drawn and laid out once; `id`
/// as for [`to_svg`].
pub fn render_formats<F: Figure>(
    fig: &F,
    formats: &[ImageFormat],
    id: &str,
) -> Result<Vec<(ImageFormat, Vec<u8>)>, PlotError> {
    let r = Rendering::new(fig, id)?;
    formats.iter().map(|&f| Ok((f, r.encode(f)?))).collect()
}

/// Draws `text` (in device pixels) with its left end at (x, y) as top-left anchor.
pub fn label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    pos: (i32, i32),
    style: &TextStyle,
) -> Result<(), PlotError> {
    area.draw_text(text, style, pos)?;
    Ok(())
}

/// A number as a tick label: at most `digits` significant decimals, no trailing zeros.
pub fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{:.6}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Ticks of an axis from `lo` to `hi`: R's `pretty()` values inside the range.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    crate::stats::pretty::pretty(lo, hi, n)
        .into_iter()
        .filter(|&v| v >= lo - 1e-9 * (hi - lo).abs() && v <= hi + 1e-9 * (hi - lo).abs())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension_and_name() {
        for (p, f) in [
            ("a.svg", ImageFormat::Svg),
            ("b/c.PNG", ImageFormat::Png),
            ("d.pdf", ImageFormat::Pdf),
            ("e.tif", ImageFormat::Tiff),
            ("f.Tiff", ImageFormat::Tiff),
        ] {
            assert_eq!(ImageFormat::of_path(Path::new(p)).unwrap(), f, "{p}");
        }
        for p in ["a.jpg", "svg", "a.", "a.svg.gz"] {
            let e = ImageFormat::of_path(Path::new(p)).unwrap_err();
            assert!(
                e.to_string().contains(".svg, .png, .pdf, .tif or .tiff"),
                "{e}"
            );
        }
        for f in ImageFormat::ALL {
            assert_eq!(ImageFormat::of_name(f.extension()), Some(f));
            assert_eq!(f.extension().parse::<ImageFormat>().unwrap(), f);
        }
        assert_eq!(
            ImageFormat::parse_list("svg, PNG,pdf,svg").unwrap(),
            [ImageFormat::Svg, ImageFormat::Png, ImageFormat::Pdf]
        );
        assert_eq!(
            ImageFormat::parse_list("tiff").unwrap(),
            [ImageFormat::Tiff]
        );
        for bad in ["", "svg,", "svg,jpeg", " , "] {
            assert!(
                matches!(ImageFormat::parse_list(bad), Err(PlotError::FormatName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn scale_widths_are_the_svg_widths() {
        let s = Scale(4.0);
        // plotters' size 10 × 4 is an SVG font size of 40 / 1.24
        let w = font::text_width("Net benefit", 40.0 / font::PLOTTERS_EM, false);
        assert!((s.text_width("Net benefit", 10.0) - w).abs() < 1e-12);
        let b = font::text_width("Net benefit", 40.0 / font::PLOTTERS_EM, true);
        assert!((s.bold_text_width("Net benefit", 10.0) - b).abs() < 1e-12);
        assert!(b > w);
    }
}
