//! DejaVu Sans for figures, so that text looks the same on every machine.
//!
//! Every figure is drawn once, as SVG, by `plotters`; its `<text>` elements name the family
//! [`FAMILY`]. [`database`] is the one font database the figures are rendered with: DejaVu Sans
//! regular and bold, compiled into the program from the `dejavu` crate, with every generic
//! family (`sans-serif`, `serif`, `monospace`, ...) mapped to it and no system font. `usvg`
//! lays the text out with it (shaping with `rustybuzz`: kerning and ligatures as browsers make
//! them) and turns it into outlines; [`text_width`] measures text the same way, for sizing
//! margins before drawing.
//!
//! Sizes: `plotters` text of size `s` is an SVG `font-size` of `s / 1.24`
//! ([`PLOTTERS_EM`]); [`text_width`] takes the SVG font size.
//!
//! DejaVu Sans is copyright Bitstream, Inc. (Bitstream Vera) with DejaVu changes in the public
//! domain; its licence (the Bitstream Vera / DejaVu fonts licence, shipped with the `dejavu`
//! crate) allows the fonts to be embedded and redistributed, provided the copyright and licence
//! notice accompany copies of the font software.

use std::sync::{Arc, OnceLock};

use plotters::style::{FontDesc, FontFamily, FontStyle};
use usvg::fontdb;

/// The font family figures name in their SVG text. [`database`] resolves it (and every other
/// family) to DejaVu Sans.
pub const FAMILY: &str = "sans-serif";

/// The name of the bundled font.
pub const DEJAVU_SANS: &str = "DejaVu Sans";

/// `plotters`' SVG backend writes a text style of size `s` as `font-size = s / PLOTTERS_EM`.
pub const PLOTTERS_EM: f64 = 1.24;

/// DejaVu Sans regular, as a TrueType file.
pub fn regular() -> &'static [u8] {
    dejavu::sans::regular()
}

/// DejaVu Sans bold, as a TrueType file.
pub fn bold() -> &'static [u8] {
    dejavu::sans::bold()
}

/// The font database figures are rendered with, built once: DejaVu Sans regular and bold, the
/// generic families mapped to it, nothing from the system.
pub fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for bytes in [regular(), bold()] {
            db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
        }
        db.set_sans_serif_family(DEJAVU_SANS);
        db.set_serif_family(DEJAVU_SANS);
        db.set_monospace_family(DEJAVU_SANS);
        db.set_cursive_family(DEJAVU_SANS);
        db.set_fantasy_family(DEJAVU_SANS);
        Arc::new(db)
    })
    .clone()
}

/// A `plotters` font of the family [`FAMILY`], regular or bold, at `plotters`' `size` (its SVG
/// backend writes `font-size` as `size / 1.24`).
pub fn font_desc(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
}

/// The bundled faces, parsed once for shaping.
fn face(bold: bool) -> &'static rustybuzz::Face<'static> {
    static REGULAR: OnceLock<rustybuzz::Face<'static>> = OnceLock::new();
    static BOLD: OnceLock<rustybuzz::Face<'static>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, self::bold())
    } else {
        (&REGULAR, regular())
    };
    // compiled in and parsed by the tests: failure is a broken build
    cell.get_or_init(|| {
        rustybuzz::Face::from_slice(bytes, 0).expect("the bundled DejaVu Sans font is valid")
    })
}

/// The width of `text` set in DejaVu Sans at SVG font size `size` (user units per em), bold or
/// regular, as `usvg` lays out an SVG `<text>`: white space collapsed and trimmed, shaped with
/// `rustybuzz` with its default features (kerning, ligatures), the sum of the advances. This is
/// the width by which `text-anchor="middle"` and `"end"` shift the text. For `plotters` text of
/// size `s`, `size` is `s / 1.24`.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let text = collapse_white_space(text);
    if text.is_empty() {
        return 0.0;
    }
    let face = face(bold);
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(&text);
    let output = rustybuzz::shape(face, &[], buffer);
    let advance: i64 = output
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    advance as f64 * size / f64::from(face.units_per_em())
}

/// The white space handling of an SVG `<text>` without `xml:space`: line breaks removed, tabs
/// as spaces, runs of spaces collapsed to one, trimmed at both ends.
fn collapse_white_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The left edge of the ink of the one text of an SVG, laid out by usvg with [`database`].
    fn ink_left(anchor: &str, x: f64, size: f64, bold: bool, text: &str) -> f64 {
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4000\" height=\"400\">\
             <text x=\"{x}\" y=\"200\" font-size=\"{size}\" font-family=\"{FAMILY}\"{weight} \
             text-anchor=\"{anchor}\">{text}</text></svg>"
        );
        let options = usvg::Options {
            fontdb: database(),
            ..usvg::Options::default()
        };
        let tree = usvg::Tree::from_str(&svg, &options).unwrap();
        let Some(usvg::Node::Text(t)) = tree.root().children().first() else {
            panic!("no text in {svg}");
        };
        f64::from(t.flattened().abs_bounding_box().left())
    }

    #[test]
    fn text_width_is_the_width_usvg_lays_out() {
        // kerning pairs (AV, Ta, Yo), ligatures (fi, ffl), symbols and collapsed spaces
        for text in [
            "AVATAR Type",
            "Yo fin ffl",
            "Log-rank p &lt; 0.001",
            "1 − specificity",
            "  Number   at risk ",
            "Kaplan–Meier by group, 95% CI",
        ] {
            let plain = text.replace("&lt;", "<");
            for bold in [false, true] {
                let size = 100.0;
                let width = text_width(&plain, size, bold);
                let start = ink_left("start", 0.0, size, bold, text);
                // an end-anchored text is shifted left by its width, a centred one by half
                let end = ink_left("end", 3000.0, size, bold, text);
                let middle = ink_left("middle", 1500.0, size, bold, text);
                let laid_end = 3000.0 - (end - start);
                let laid_middle = 2.0 * (1500.0 - (middle - start));
                assert!(
                    (laid_end - width).abs() < 1e-3 * width,
                    "{text:?} bold {bold}: usvg {laid_end}, text_width {width}"
                );
                assert!(
                    (laid_middle - width).abs() < 1e-3 * width,
                    "{text:?} bold {bold}: usvg {laid_middle}, text_width {width}"
                );
            }
        }
    }

    #[test]
    fn width_scales_kerns_and_ignores_outer_space() {
        let w = text_width("AV", 10.0, false);
        assert!((text_width("AV", 20.0, false) - 2.0 * w).abs() < 1e-9);
        // kerning pulls A and V together
        assert!(w < text_width("A", 10.0, false) + text_width("V", 10.0, false));
        assert!(text_width("Bold", 10.0, true) > text_width("Bold", 10.0, false));
        assert_eq!(
            text_width("  x \n", 10.0, false),
            text_width("x", 10.0, false)
        );
        assert_eq!(text_width(" \t\n", 10.0, false), 0.0);
        assert_eq!(collapse_white_space(" a \n\t b  c "), "a b c");
    }

    #[test]
    fn database_has_dejavu_for_every_family() {
        let db = database();
        assert_eq!(db.len(), 2);
        for family in [
            fontdb::Family::SansSerif,
            fontdb::Family::Serif,
            fontdb::Family::Monospace,
            fontdb::Family::Name(DEJAVU_SANS),
        ] {
            for weight in [fontdb::Weight::NORMAL, fontdb::Weight::BOLD] {
                let id = db
                    .query(&fontdb::Query {
                        families: &[family],
                        weight,
                        ..Default::default()
                    })
                    .unwrap();
                let face = db.face(id).unwrap();
                assert_eq!(face.families[0].0, DEJAVU_SANS);
                assert_eq!(face.weight, weight);
            }
        }
    }
}
