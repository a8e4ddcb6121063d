//! Publication figures, drawn with `plotters` as SVG and PNG from the results of the numerical
//! core (this module reads results; it computes no statistic).
//!
//! Every figure is a type implementing [`Figure`]: a size in points (1/72 inch) and a `draw`
//! function that works on any `plotters` backend at a given scale. [`render`] draws it
//! - as SVG at 1 px per point, with all text turned into DejaVu Sans outlines
//!   ([`font::outline_svg_text`]) so that the file looks the same in every viewer, with no font
//!   installed;
//! - as PNG at 300 dots per inch (4.17 px per point), with DejaVu Sans compiled into the program
//!   and the resolution recorded in the file (`pHYs`), as journals ask for print.
//!
//! Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies
//! and in greyscale by line style where groups are many.

pub mod calibration;
mod common;
pub mod curves;
pub mod decision;
pub mod font;
pub mod nomogram;
pub mod roc;
pub mod validation;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use thiserror::Error;

/// Why a figure could not be drawn or written.
#[derive(Debug, Error)]
pub enum PlotError {
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error(transparent)]
    Font(#[from] font::FontError),
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("'{0}': the figure's file name must end in .svg or .png")]
    Format(String),
    #[error("nothing to draw: {0}")]
    Empty(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    /// The format named by a file's extension (case-insensitive).
    pub fn of_path(path: &Path) -> Result<ImageFormat, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(PlotError::Format(path.display().to_string())),
        }
    }
}

/// PNG resolution.
pub const PNG_DPI: f64 = 300.0;

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

    /// Text style of `size` points (DejaVu Sans).
    pub fn text(self, size: f64) -> TextStyle<'static> {
        font::font_desc(size * self.0, false).into()
    }

    /// Bold text style of `size` points. (`FontDesc::style(Bold)` would draw regular glyphs in
    /// PNG: `plotters` keeps the regular face.)
    pub fn bold(self, size: f64) -> TextStyle<'static> {
        font::font_desc(size * self.0, true).into()
    }

    /// Width in device pixels of `text` at `size` points, as the wider of the two backends draws
    /// it: `plotters` sets one em to 2048/2384 of the size in PNG and to 1/1.24 in SVG.
    pub fn text_width(self, text: &str, size: f64) -> f64 {
        font::text_width(text, size * self.0 * 2048.0 / 2384.0, false)
    }

    /// As [`Scale::text_width`], for bold text.
    pub fn bold_text_width(self, text: &str, size: f64) -> f64 {
        font::text_width(text, size * self.0 * 2048.0 / 2384.0, true)
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
/// on a grid this much finer than the point and shown at its size in points by the `viewBox`:
/// curves and markers are placed to a quarter point, not a whole point.
pub const SVG_UNITS_PER_PT: f64 = 4.0;

/// The figure as an SVG document whose text is outlined; `id` (an XML name) prefixes the glyph
/// ids so that several figures can share one HTML page. Its `width` and `height` are the
/// figure's size in points (as CSS pixels); the `viewBox` is [`SVG_UNITS_PER_PT`] times finer.
pub fn to_svg<F: Figure>(fig: &F, id: &str) -> Result<String, PlotError> {
    font::register_fonts();
    let k = SVG_UNITS_PER_PT;
    let (w, h) = (fig.size().0.round(), fig.size().1.round());
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
    let text = text.replacen(
        &format!("<svg width=\"{pw}\" height=\"{ph}\" "),
        &format!("<svg width=\"{w}\" height=\"{h}\" "),
        1,
    );
    Ok(font::outline_svg_text(&text, id)?)
}

/// The figure as a PNG file at [`PNG_DPI`].
pub fn to_png<F: Figure>(fig: &F) -> Result<Vec<u8>, PlotError> {
    font::register_fonts();
    let k = PNG_DPI / 72.0;
    let (w, h) = fig.size();
    let (pw, ph) = ((w * k).round() as u32, (h * k).round() as u32);
    let mut rgb = vec![0u8; (pw * ph * 3) as usize];
    {
        let backend = BitMapBackend::with_buffer(&mut rgb, (pw, ph));
        let area = backend.into_drawing_area();
        area.fill(&WHITE)?;
        fig.draw(&area, Scale(k))?;
        area.present()?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, pw, ph);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let ppm = (PNG_DPI / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc
            .write_header()
            .map_err(|e| PlotError::Png(e.to_string()))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| PlotError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// The figure's file bytes in `format`; `id` as for [`to_svg`].
pub fn render<F: Figure>(fig: &F, format: ImageFormat, id: &str) -> Result<Vec<u8>, PlotError> {
    match format {
        ImageFormat::Svg => to_svg(fig, id).map(String::into_bytes),
        ImageFormat::Png => to_png(fig),
    }
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
