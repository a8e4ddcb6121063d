//! DejaVu Sans for figures, so that text looks the same on every machine.
//!
//! Figures are drawn with `plotters`. Left alone, its two backends depend on the machine: the PNG
//! backend finds no font at all on a machine without fonts, and an SVG file names a font family
//! that each viewer resolves to whatever font it has installed, with different widths, so labels
//! overlap or leave gaps. Both are fixed here with one font compiled into the program, DejaVu
//! Sans (regular and bold), from the `dejavu` crate:
//!
//! - [`register_fonts`] gives the font to `plotters`' text system under the family [`FAMILY`],
//!   so PNG text and `plotters`' own text measurements use it.
//! - [`outline_svg_text`] replaces every `<text>` element of an SVG written by `plotters` by the
//!   outlines of DejaVu Sans glyphs, laid out as a browser would lay out the text. The SVG then
//!   needs no font to render and looks the same in every browser and converter. Each glyph is
//!   defined once, in a `<defs>` block, and placed with `<use>`; the original text stays
//!   available to screen readers and text search as an `aria-label`.
//! - [`text_width`] measures text with the same layout, for sizing margins.
//!
//! Layout: runs of white space collapse to one space, trimmed at both ends, as in an SVG
//! `<text>`; each character maps to its glyph (a character the font lacks to the `.notdef` box),
//! but ff, fi, fl, ffi and ffl become ligatures, as browsers make them; glyphs advance by their
//! horizontal advance plus the pair kerning of the font's `kern` table. For Latin, Greek and
//! symbols in DejaVu Sans this is the layout of HarfBuzz, the text shaper of Chrome and Firefox
//! (the tests compare every pair of characters with harfrust, its Rust port). `1ex` is the height
//! of `x`, which browsers measure when, as in DejaVu Sans, the OS/2 table gives no x-height.
//! Italic and oblique text is DejaVu Sans slanted by 11 degrees (the angle of DejaVu Sans
//! Oblique), as browsers synthesise it for a font without italic.
//!
//! Sizes: `plotters` text of size `s` is an SVG `font-size` of `s / 1.24`, so it is
//! `text_width(text, s / 1.24, bold)` wide once outlined. `plotters`' PNG backend (and its text
//! measurement) sets 1 em to `s * 2048 / 2384`, as `ab_glyph` scales the ascender-to-descender
//! height to `s`: PNG text is about 6.5% larger than SVG text, its baseline a little higher, and
//! italic text upright.
//!
//! DejaVu Sans is copyright Bitstream, Inc. (Bitstream Vera) with DejaVu changes in the public
//! domain; its licence (the Bitstream Vera / DejaVu fonts licence, shipped with the `dejavu`
//! crate) allows the fonts to be embedded and redistributed, provided the copyright and licence
//! notice accompany copies of the font software.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, Point};
use plotters::style::{register_font, FontDesc, FontFamily, FontStyle};
use thiserror::Error;

/// The font family figures use. [`register_fonts`] maps it to DejaVu Sans for `plotters`, and
/// [`outline_svg_text`] draws every SVG text in DejaVu Sans.
pub const FAMILY: &str = "sans-serif";

/// The slant of italic and oblique text, in degrees (that of DejaVu Sans Oblique).
const OBLIQUE_DEGREES: f64 = 11.0;

/// Why an SVG's text could not be outlined. Lines are 1-based lines of the SVG.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FontError {
    #[error(
        "the id prefix {0:?} is not an XML name: use ASCII letters, digits, '-', '_' and '.', \
         starting with a letter or '_'"
    )]
    InvalidIdPrefix(String),
    #[error("the SVG has no <svg> start tag")]
    NoSvgElement,
    #[error("the SVG's <svg> element is empty (`<svg .../>`), so glyph definitions have no place")]
    EmptySvgElement,
    #[error("line {line}: unterminated {what}")]
    Unterminated { line: usize, what: &'static str },
    #[error("line {line}: malformed {what}")]
    Malformed { line: usize, what: &'static str },
    #[error("line {line}: <text> has no {attribute} attribute")]
    MissingAttribute {
        line: usize,
        attribute: &'static str,
    },
    #[error("line {line}: <text> has the attribute {attribute} twice")]
    DuplicateAttribute { line: usize, attribute: String },
    #[error(
        "line {line}: <text> attribute {attribute} is not supported (it would change the layout)"
    )]
    UnsupportedAttribute { line: usize, attribute: String },
    #[error("line {line}: <text> attribute {attribute}={value:?} is not {expected}")]
    InvalidAttribute {
        line: usize,
        attribute: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("line {line}: <text> contains markup; only plain text can be outlined")]
    NestedMarkup { line: usize },
    #[error("line {line}: {reference:?} is not a character or entity reference XML knows")]
    InvalidReference { line: usize, reference: String },
}

/// Registers DejaVu Sans regular and bold with `plotters`' text system under the family names
/// [`FAMILY`] (`"sans-serif"`) and `"DejaVu Sans"`, for the PNG backend and for `plotters`' text
/// measurements. Other styles (italic, oblique) fall back to the regular face. Calling it again
/// does nothing.
pub fn register_fonts() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        for family in [FAMILY, "DejaVu Sans"] {
            for (style, bytes) in [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
            ] {
                // the fonts are compiled in and parsed by the tests: failure is a broken build
                assert!(
                    register_font(family, style, bytes).is_ok(),
                    "the bundled DejaVu Sans font cannot be read"
                );
            }
        }
    });
}

/// A `plotters` font of the family [`FAMILY`], regular or bold, at `plotters`' `size` (its SVG
/// backend writes `font-size` as `size / 1.24`). Registers the fonts first. Make bold fonts with
/// this rather than with `FontDesc::style`, which in `plotters` 0.3.7 changes the SVG's
/// `font-weight` but keeps the regular glyphs for the PNG backend.
pub fn font_desc(size: f64, bold: bool) -> FontDesc<'static> {
    register_fonts();
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
}

/// The width in pixels of `text` set in DejaVu Sans at font size `size_px` (pixels per em),
/// bold or regular: the sum of the glyph advances and kerning, after the white space of an SVG
/// `<text>` is collapsed. This is the width [`outline_svg_text`] gives the text, and the width
/// by which `text-anchor="middle"` and `"end"` shift it. For `plotters` text of size `s`,
/// `size_px` is `s / 1.24`.
pub fn text_width(text: &str, size_px: f64, bold: bool) -> f64 {
    let face = Weight::from_bold(bold).face();
    face.lay_out(&collapse_white_space(text)).advance * size_px / face.units_per_em
}

/// Replaces every `<text>` element of `svg`, an SVG document as written by `plotters`'
/// `SVGBackend`, by DejaVu Sans glyph outlines, so that the SVG renders the same without fonts.
///
/// Each text becomes `<g aria-label="TEXT" fill=".." opacity=".." transform="..">` holding one
/// `<use href="#{id_prefix}-{r|b}-{glyph}" x=".."/>` per visible glyph (`x` in font units),
/// placed where a browser would draw the text in DejaVu Sans: `x`, `y`, `dy` (in `em`, `ex` or
/// pixels), `text-anchor`, `font-size`, `font-weight`, `font-style` and `transform` are honoured;
/// `font-family` is ignored (all text is DejaVu Sans). Every glyph used is defined once, in font
/// units, in a `<defs>` block put right after the `<svg>` start tag; `id_prefix` keeps the ids of
/// several SVGs in one HTML page apart. Everything else is copied unchanged, and an SVG without
/// text comes back as it was. The output depends only on the input.
///
/// Errors name the line of a `<text>` element with markup inside, an attribute that would change
/// the layout and is not understood, or malformed XML around it.
pub fn outline_svg_text(svg: &str, id_prefix: &str) -> Result<String, FontError> {
    if !is_xml_name(id_prefix) {
        return Err(FontError::InvalidIdPrefix(id_prefix.to_string()));
    }
    let mut out = String::with_capacity(svg.len() + svg.len() / 2);
    let mut glyphs = GlyphSet::default();
    // where the glyph definitions go in `out`, and whether the <svg> element is empty
    let mut defs_at: Option<(usize, bool)> = None;
    let mut pos = 0;
    while let Some(rel) = svg[pos..].find('<') {
        let start = pos + rel;
        let rest = &svg[start..];
        // markup in which "<text" would be characters, not a tag
        const OPAQUE: [(&str, &str, &str); 3] = [
            ("<!--", "-->", "comment"),
            ("<![CDATA[", "]]>", "CDATA section"),
            ("<?", "?>", "processing instruction"),
        ];
        if let Some(&(open, close, what)) = OPAQUE.iter().find(|(open, ..)| rest.starts_with(open))
        {
            let len = rest[open.len()..]
                .find(close)
                .ok_or_else(|| unterminated(svg, start, what))?
                + open.len()
                + close.len();
            out.push_str(&svg[pos..start + len]);
            pos = start + len;
        } else if is_start_tag(rest, "text") {
            out.push_str(&svg[pos..start]);
            let (text, end) = TextElement::parse(svg, start)?;
            text.write(&mut out, &mut glyphs, id_prefix);
            pos = end;
        } else if defs_at.is_none() && is_start_tag(rest, "svg") {
            let tag = StartTag::parse(svg, start, "svg")?;
            out.push_str(&svg[pos..tag.end]);
            defs_at = Some((out.len(), tag.empty));
            pos = tag.end;
        } else {
            out.push_str(&svg[pos..=start]);
            pos = start + 1;
        }
    }
    out.push_str(&svg[pos..]);
    let (at, empty) = defs_at.ok_or(FontError::NoSvgElement)?;
    if !glyphs.is_empty() {
        if empty {
            return Err(FontError::EmptySvgElement);
        }
        out.insert_str(at, &glyphs.defs(id_prefix));
    }
    Ok(out)
}

/// The bundled weights of DejaVu Sans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn from_bold(bold: bool) -> Self {
        if bold {
            Weight::Bold
        } else {
            Weight::Regular
        }
    }

    /// The letter in glyph ids.
    fn tag(self) -> char {
        match self {
            Weight::Regular => 'r',
            Weight::Bold => 'b',
        }
    }

    fn face(self) -> &'static Face {
        static REGULAR: OnceLock<Face> = OnceLock::new();
        static BOLD: OnceLock<Face> = OnceLock::new();
        match self {
            Weight::Regular => REGULAR.get_or_init(|| Face::load(dejavu::sans::regular())),
            Weight::Bold => BOLD.get_or_init(|| Face::load(dejavu::sans::bold())),
        }
    }
}

/// The ligatures browsers make by default (OpenType `liga`) in DejaVu Sans, longest first: each
/// letter sequence becomes the glyph of its Unicode compatibility character, as in the font's
/// `liga` lookups (the tests check this against HarfBuzz).
const LIGATURES: [(&str, char); 5] = [
    ("ffi", '\u{FB03}'),
    ("ffl", '\u{FB04}'),
    ("ff", '\u{FB00}'),
    ("fi", '\u{FB01}'),
    ("fl", '\u{FB02}'),
];

/// A parsed font with the metrics layout needs, in font units.
struct Face {
    font: FontRef<'static>,
    units_per_em: f64,
    /// The height of lower-case letters, the CSS `ex`.
    x_height: f64,
}

/// Text laid out on a baseline from x = 0, in font units.
struct Line {
    /// Each glyph with the x of its origin.
    glyphs: Vec<(GlyphId, f64)>,
    /// The width: where a following glyph would start.
    advance: f64,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Self {
        // compiled in and parsed by the tests: failure is a broken build
        let font = FontRef::try_from_slice(bytes).expect("the bundled DejaVu Sans font is valid");
        let units_per_em = f64::from(font.units_per_em().unwrap_or(2048.0));
        // DejaVu's OS/2 table is version 1, without sxHeight, and ab_glyph does not expose it
        // anyway; browsers then measure the top of 'x' (1120 of 2048 units in DejaVu Sans)
        let x_height = font
            .outline(font.glyph_id('x'))
            .map_or(0.5 * units_per_em, |o| {
                f64::from(o.bounds.min.y.max(o.bounds.max.y))
            });
        Face {
            font,
            units_per_em,
            x_height,
        }
    }

    fn lay_out(&self, text: &str) -> Line {
        let mut glyphs = Vec::with_capacity(text.len());
        let mut x = 0.0;
        let mut previous = None;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let (id, len) = LIGATURES
                .iter()
                .filter(|(letters, _)| rest.starts_with(letters))
                .map(|&(letters, ligature)| (self.font.glyph_id(ligature), letters.len()))
                .find(|&(id, _)| id.0 != 0)
                .unwrap_or_else(|| (self.font.glyph_id(c), c.len_utf8()));
            rest = &rest[len..];
            if let Some(previous) = previous {
                x += f64::from(self.font.kern_unscaled(previous, id));
            }
            glyphs.push((id, x));
            x += f64::from(self.font.h_advance_unscaled(id));
            previous = Some(id);
        }
        Line { glyphs, advance: x }
    }

    /// The glyph's outline as SVG path data in font units with y downwards, or `None` for a
    /// glyph that draws nothing (a space).
    fn glyph_path(&self, id: GlyphId) -> Option<String> {
        let curves = self.font.outline(id)?.curves;
        let mut d = String::new();
        let mut pen: Option<Point> = None;
        let mut subpath_start: Option<Point> = None;
        for (i, curve) in curves.iter().enumerate() {
            let (from, to) = curve_ends(curve);
            if pen != Some(from) {
                if subpath_start.is_some() {
                    d.push('Z');
                }
                push_command(&mut d, 'M', &[from]);
                subpath_start = Some(from);
            }
            let contour_ends = curves
                .get(i + 1)
                .is_none_or(|next| curve_ends(next).0 != to);
            match *curve {
                // the closing line of a contour is what `Z` draws
                OutlineCurve::Line(_, p) if contour_ends && Some(p) == subpath_start => {
                    d.push('Z');
                    subpath_start = None;
                }
                OutlineCurve::Line(a, b) if a == b => {}
                OutlineCurve::Line(_, p) => push_command(&mut d, 'L', &[p]),
                OutlineCurve::Quad(_, c, p) => push_command(&mut d, 'Q', &[c, p]),
                OutlineCurve::Cubic(_, c1, c2, p) => push_command(&mut d, 'C', &[c1, c2, p]),
            }
            pen = Some(to);
        }
        if subpath_start.is_some() {
            d.push('Z');
        }
        Some(d)
    }
}

fn curve_ends(curve: &OutlineCurve) -> (Point, Point) {
    match *curve {
        OutlineCurve::Line(a, b)
        | OutlineCurve::Quad(a, _, b)
        | OutlineCurve::Cubic(a, _, _, b) => (a, b),
    }
}

/// Appends a path command with its points, y flipped to point down as in SVG.
fn push_command(d: &mut String, command: char, points: &[Point]) {
    d.push(command);
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            d.push(' ');
        }
        let _ = write!(
            d,
            "{} {}",
            fmt_decimals(f64::from(p.x), 1),
            fmt_decimals(-f64::from(p.y), 1)
        );
    }
}

/// The glyphs used so far, by weight and glyph id, with their path data (`None` for glyphs that
/// draw nothing). Ordered, so the definitions come out the same every time.
#[derive(Default)]
struct GlyphSet(BTreeMap<(Weight, u16), Option<String>>);

impl GlyphSet {
    /// Notes the glyph as used; whether it draws anything.
    fn use_glyph(&mut self, weight: Weight, id: GlyphId) -> bool {
        self.0
            .entry((weight, id.0))
            .or_insert_with(|| weight.face().glyph_path(id))
            .is_some()
    }

    fn is_empty(&self) -> bool {
        self.0.values().all(Option::is_none)
    }

    fn defs(&self, id_prefix: &str) -> String {
        let mut defs = String::from("\n<defs>\n");
        for ((weight, id), d) in &self.0 {
            if let Some(d) = d {
                let _ = writeln!(
                    defs,
                    "<path id=\"{}\" d=\"{d}\"/>",
                    glyph_ref(id_prefix, *weight, *id)
                );
            }
        }
        defs.push_str("</defs>");
        defs
    }
}

fn glyph_ref(id_prefix: &str, weight: Weight, id: u16) -> String {
    format!("{id_prefix}-{}-{id}", weight.tag())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Length {
    Px(f64),
    Em(f64),
    Ex(f64),
}

/// A `<text>` element as `plotters` writes it, attribute values and text unescaped.
#[derive(Debug)]
struct TextElement {
    x: f64,
    y: f64,
    dy: Length,
    anchor: Anchor,
    font_size: f64,
    weight: Weight,
    oblique: bool,
    fill: Option<String>,
    opacity: Option<String>,
    transform: Option<String>,
    /// With white space collapsed.
    text: String,
}

impl TextElement {
    /// Parses the `<text>` element at `start`; also returns where it ends.
    fn parse(svg: &str, start: usize) -> Result<(Self, usize), FontError> {
        // the line, for errors only
        let line = || line_at(svg, start);
        let tag = StartTag::parse(svg, start, "text")?;
        let mut text = TextElement {
            x: f64::NAN,
            y: f64::NAN,
            dy: Length::Px(0.0),
            anchor: Anchor::Start,
            font_size: 16.0, // CSS `medium`
            weight: Weight::Regular,
            oblique: false,
            fill: None,
            opacity: None,
            transform: None,
            text: String::new(),
        };
        for (name, value) in tag.attributes {
            let invalid =
                |attribute: &'static str, expected: &'static str| FontError::InvalidAttribute {
                    line: line(),
                    attribute,
                    value: value.clone(),
                    expected,
                };
            match name {
                "x" => text.x = parse_px(&value).ok_or_else(|| invalid("x", "a number"))?,
                "y" => text.y = parse_px(&value).ok_or_else(|| invalid("y", "a number"))?,
                "dy" => {
                    text.dy = parse_length(&value)
                        .ok_or_else(|| invalid("dy", "a length in px, em or ex"))?
                }
                "font-size" => {
                    text.font_size = parse_px(&value)
                        .filter(|&s| s >= 0.0)
                        .ok_or_else(|| invalid("font-size", "a non-negative size in px"))?
                }
                "text-anchor" => {
                    text.anchor = match value.trim() {
                        "start" => Anchor::Start,
                        "middle" => Anchor::Middle,
                        "end" => Anchor::End,
                        _ => return Err(invalid("text-anchor", "start, middle or end")),
                    }
                }
                "font-weight" => {
                    text.weight = match value.trim() {
                        "normal" | "lighter" => Weight::Regular,
                        "bold" | "bolder" => Weight::Bold,
                        // CSS font matching with only 400 and 700 at hand
                        number => match number.parse::<f64>() {
                            Ok(w) if (1.0..600.0).contains(&w) => Weight::Regular,
                            Ok(w) if (600.0..=1000.0).contains(&w) => Weight::Bold,
                            _ => return Err(invalid("font-weight", "a CSS font weight")),
                        },
                    }
                }
                "font-style" => {
                    text.oblique = match value.trim() {
                        "normal" => false,
                        "italic" | "oblique" => true,
                        _ => return Err(invalid("font-style", "normal, italic or oblique")),
                    }
                }
                "fill" => text.fill = Some(value),
                "opacity" => text.opacity = Some(value),
                "transform" => text.transform = Some(value),
                // all text is DejaVu Sans
                "font-family" => {}
                other => {
                    return Err(FontError::UnsupportedAttribute {
                        line: line(),
                        attribute: other.to_string(),
                    })
                }
            }
        }
        if text.x.is_nan() {
            return Err(FontError::MissingAttribute {
                line: line(),
                attribute: "x",
            });
        }
        if text.y.is_nan() {
            return Err(FontError::MissingAttribute {
                line: line(),
                attribute: "y",
            });
        }
        if tag.empty {
            return Ok((text, tag.end));
        }
        // the content runs to `</text>`, with no markup in between
        let content_end = svg[tag.end..]
            .find('<')
            .map(|i| tag.end + i)
            .ok_or_else(|| unterminated(svg, start, "<text> element (no </text>)"))?;
        if !svg[content_end..].starts_with("</text") {
            return Err(FontError::NestedMarkup {
                line: line_at(svg, content_end),
            });
        }
        let after_name = content_end + "</text".len();
        let close = svg[after_name..].trim_start_matches(is_xml_space);
        if !close.starts_with('>') {
            return Err(FontError::Malformed {
                line: line_at(svg, content_end),
                what: "</text> end tag",
            });
        }
        let end = svg.len() - close.len() + 1;
        let content = unescape(&svg[tag.end..content_end]).map_err(|reference| {
            FontError::InvalidReference {
                line: line_at(svg, tag.end),
                reference,
            }
        })?;
        text.text = collapse_white_space(&content);
        Ok((text, end))
    }

    /// Writes the text as a group of glyphs, noting the glyphs used.
    fn write(&self, out: &mut String, glyphs: &mut GlyphSet, id_prefix: &str) {
        if self.text.is_empty() {
            return;
        }
        let face = self.weight.face();
        let line = face.lay_out(&self.text);
        let scale = self.font_size / face.units_per_em;
        let width = line.advance * scale;
        let x = match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - width / 2.0,
            Anchor::End => self.x - width,
        };
        let baseline = self.y
            + match self.dy {
                Length::Px(v) => v,
                Length::Em(v) => v * self.font_size,
                Length::Ex(v) => v * self.font_size * face.x_height / face.units_per_em,
            };

        out.push_str("<g aria-label=\"");
        push_escaped(out, &self.text);
        out.push('"');
        for (name, value) in [("fill", &self.fill), ("opacity", &self.opacity)] {
            if let Some(value) = value {
                let _ = write!(out, " {name}=\"");
                push_escaped(out, value);
                out.push('"');
            }
        }
        out.push_str(" transform=\"");
        if let Some(transform) = &self.transform {
            push_escaped(out, transform);
            out.push(' ');
        }
        let _ = write!(
            out,
            "translate({} {}) scale({})",
            fmt_decimals(x, 2),
            fmt_decimals(baseline, 2),
            fmt_decimals(scale, 10)
        );
        if self.oblique {
            let _ = write!(out, " skewX(-{OBLIQUE_DEGREES})");
        }
        out.push_str("\">");
        for &(id, glyph_x) in &line.glyphs {
            if !glyphs.use_glyph(self.weight, id) {
                continue;
            }
            let _ = write!(
                out,
                "<use href=\"#{}\"",
                glyph_ref(id_prefix, self.weight, id.0)
            );
            if glyph_x != 0.0 {
                let _ = write!(out, " x=\"{}\"", fmt_decimals(glyph_x, 1));
            }
            out.push_str("/>");
        }
        out.push_str("</g>");
    }
}

/// A start tag: its attributes (values unescaped), where it ends, whether it is empty (`/>`).
struct StartTag<'a> {
    attributes: Vec<(&'a str, String)>,
    end: usize,
    empty: bool,
}

impl<'a> StartTag<'a> {
    /// Parses the start tag `<name ...>` at `start`.
    fn parse(svg: &'a str, start: usize, name: &str) -> Result<Self, FontError> {
        let line = || line_at(svg, start);
        let what = if name == "svg" {
            "<svg> start tag"
        } else {
            "<text> start tag"
        };
        let mut attributes: Vec<(&str, String)> = Vec::new();
        let mut pos = start + 1 + name.len();
        loop {
            let rest = svg[pos..].trim_start_matches(is_xml_space);
            pos = svg.len() - rest.len();
            if rest.is_empty() {
                return Err(FontError::Unterminated { line: line(), what });
            }
            if rest.starts_with('>') || rest.starts_with("/>") {
                let empty = rest.starts_with('/');
                let end = pos + if empty { 2 } else { 1 };
                return Ok(StartTag {
                    attributes,
                    end,
                    empty,
                });
            }
            let name_len = rest
                .find(|c: char| is_xml_space(c) || matches!(c, '=' | '>' | '/' | '<'))
                .unwrap_or(rest.len());
            let attribute = &rest[..name_len];
            let rest = rest[name_len..].trim_start_matches(is_xml_space);
            let Some(rest) = rest.strip_prefix('=') else {
                return Err(malformed(svg, pos, what));
            };
            if attribute.is_empty() {
                return Err(malformed(svg, pos, what));
            }
            let rest = rest.trim_start_matches(is_xml_space);
            let Some(quote) = rest.chars().next().filter(|&c| c == '"' || c == '\'') else {
                return Err(malformed(svg, pos, what));
            };
            let Some(len) = rest[1..].find(quote) else {
                return Err(unterminated(svg, pos, "attribute value"));
            };
            let raw = &rest[1..1 + len];
            if raw.contains('<') {
                return Err(malformed(svg, pos, what));
            }
            if attributes.iter().any(|(a, _)| *a == attribute) {
                return Err(FontError::DuplicateAttribute {
                    line: line(),
                    attribute: attribute.to_string(),
                });
            }
            // XML attribute-value normalisation: literal white space is a space
            let value = unescape(&raw.replace(['\t', '\n', '\r'], " ")).map_err(|reference| {
                FontError::InvalidReference {
                    line: line_at(svg, pos),
                    reference,
                }
            })?;
            attributes.push((attribute, value));
            pos = svg.len() - rest.len() + 1 + len + 1;
        }
    }
}

/// Whether `s` starts with the start tag `<name` (and not `<names...`).
fn is_start_tag(s: &str, name: &str) -> bool {
    s.strip_prefix('<')
        .and_then(|s| s.strip_prefix(name))
        .is_some_and(|s| s.starts_with(|c: char| is_xml_space(c) || c == '>' || c == '/'))
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Whether `s` is a safe XML id: an ASCII letter or `_`, then letters, digits, `-`, `_`, `.`.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The text of an SVG `<text>` as rendered: runs of white space collapsed to one space and
/// leading and trailing white space removed (CSS `white-space: normal`).
fn collapse_white_space(text: &str) -> String {
    text.split(is_xml_space)
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces XML's five entities and numeric character references by their characters; the
/// error is the start of a reference that is none of these.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let invalid = || format!("&{}", after.chars().take(12).collect::<String>());
        let semicolon = after.find(';').ok_or_else(invalid)?;
        let name = &after[..semicolon];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    hex.chars()
                        .all(|c| c.is_ascii_hexdigit())
                        .then(|| u32::from_str_radix(hex, 16).ok())
                        .flatten()
                } else if let Some(decimal) = name.strip_prefix('#') {
                    decimal
                        .chars()
                        .all(|c| c.is_ascii_digit())
                        .then(|| decimal.parse().ok())
                        .flatten()
                } else {
                    None
                };
                code.filter(|&c| c != 0)
                    .and_then(char::from_u32)
                    .ok_or_else(invalid)?
            }
        };
        out.push(c);
        rest = &after[semicolon + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Appends `s` escaped for an attribute value in double quotes.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
}

/// A finite number, optionally in `px`.
fn parse_px(value: &str) -> Option<f64> {
    let value = value.trim();
    let number = value.strip_suffix("px").unwrap_or(value);
    number.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A length in `px` (or without unit), `em` or `ex`.
fn parse_length(value: &str) -> Option<Length> {
    let value = value.trim();
    let (number, unit): (&str, fn(f64) -> Length) = if let Some(n) = value.strip_suffix("em") {
        (n, Length::Em)
    } else if let Some(n) = value.strip_suffix("ex") {
        (n, Length::Ex)
    } else {
        (value.strip_suffix("px").unwrap_or(value), Length::Px)
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(unit)
}

/// `v` with at most `decimals` decimals, without trailing zeros.
fn fmt_decimals(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The 1-based line of byte `offset`.
fn line_at(svg: &str, offset: usize) -> usize {
    svg[..offset].matches('\n').count() + 1
}

fn unterminated(svg: &str, offset: usize, what: &'static str) -> FontError {
    FontError::Unterminated {
        line: line_at(svg, offset),
        what,
    }
}

fn malformed(svg: &str, offset: usize, what: &'static str) -> FontError {
    FontError::Malformed {
        line: line_at(svg, offset),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::Shift;
    use plotters::prelude::*;
    use resvg::{tiny_skia, usvg};

    const SIZE: (u32, u32) = (480, 320);

    /// Labels of the test chart, as drawn.
    const LABELS: [&str; 6] = [
        "Overall survival",
        "Total points",
        "Survival probability",
        "Bold label",
        "≥ 50 & < 70",
        "β ± 1.96 – SE, \"O'Brien\"",
    ];

    /// A small chart with a title, axis labels (the y label rotated), a bold label and labels
    /// with characters XML escapes and non-ASCII characters.
    fn draw_chart<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) {
        register_fonts();
        root.fill(&WHITE).unwrap();
        let mut chart = ChartBuilder::on(root)
            .caption(LABELS[0], (FAMILY, 22))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..100f64, 0f64..1f64)
            .unwrap();
        chart
            .configure_mesh()
            .x_desc(LABELS[1])
            .y_desc(LABELS[2])
            .label_style((FAMILY, 13))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .unwrap();
        chart
            .draw_series(LineSeries::new(
                (0..=100).map(|x| (f64::from(x), (-f64::from(x) / 60.0).exp())),
                &BLUE,
            ))
            .unwrap();
        root.draw(&Text::new(LABELS[3], (300, 60), font_desc(16.0, true)))
            .unwrap();
        root.draw(&Text::new(LABELS[4], (300, 90), (FAMILY, 16)))
            .unwrap();
        root.draw(&Text::new(LABELS[5], (220, 120), (FAMILY, 16)))
            .unwrap();
        root.present().unwrap();
    }

    fn chart_svg() -> String {
        let mut svg = String::new();
        draw_chart(&SVGBackend::with_string(&mut svg, SIZE).into_drawing_area());
        svg
    }

    /// Renders an SVG with resvg, with no fonts at all unless `with_dejavu`.
    fn render(svg: &str, with_dejavu: bool) -> tiny_skia::Pixmap {
        let tree = usvg::Tree::from_str(svg, &options(with_dejavu)).unwrap();
        let size = tree.size().to_int_size();
        let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        pixmap
    }

    fn options(with_dejavu: bool) -> usvg::Options<'static> {
        let mut options = usvg::Options::default();
        assert!(options.fontdb.is_empty(), "usvg loads no fonts by default");
        if with_dejavu {
            let fonts = options.fontdb_mut();
            fonts.load_font_data(dejavu::sans::regular().to_vec());
            fonts.load_font_data(dejavu::sans::bold().to_vec());
            fonts.set_sans_serif_family("DejaVu Sans");
        }
        options
    }

    /// The box `(left, top, right, bottom)` of pixels darker than mid grey, in pixel edges.
    fn dark_box(pixmap: &tiny_skia::Pixmap) -> Option<(f64, f64, f64, f64)> {
        let width = pixmap.width() as usize;
        let mut bounds: Option<(usize, usize, usize, usize)> = None;
        for (i, p) in pixmap.pixels().iter().enumerate() {
            let (x, y) = (i % width, i / width);
            if u16::from(p.red()) + u16::from(p.green()) + u16::from(p.blue()) < 3 * 128 {
                bounds = Some(bounds.map_or((x, y, x, y), |(l, t, r, b)| {
                    (l.min(x), t.min(y), r.max(x), b.max(y))
                }));
            }
        }
        bounds.map(|(l, t, r, b)| (l as f64, t as f64, r as f64 + 1.0, b as f64 + 1.0))
    }

    /// The ink box `(left, top, right, bottom)` of `text` set from the origin on a baseline at
    /// y = 0, in pixels with y down, from the glyph outlines' bounds.
    fn ink_box(text: &str, size_px: f64, weight: Weight) -> (f64, f64, f64, f64) {
        let face = weight.face();
        let scale = size_px / face.units_per_em;
        let mut ink = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (id, x) in face.lay_out(text).glyphs {
            if let Some(outline) = face.font.outline(id) {
                let b = outline.bounds; // min = (x_min, y_max), max = (x_max, y_min)
                ink.0 = ink.0.min((x + f64::from(b.min.x)) * scale);
                ink.1 = ink.1.min(-f64::from(b.min.y) * scale);
                ink.2 = ink.2.max((x + f64::from(b.max.x)) * scale);
                ink.3 = ink.3.max(-f64::from(b.max.y) * scale);
            }
        }
        ink
    }

    /// An SVG with one text element as `plotters` writes it.
    fn one_text_svg(attributes: &str, text: &str) -> String {
        format!(
            "<svg width=\"400\" height=\"400\" viewBox=\"0 0 400 400\" \
             xmlns=\"http://www.w3.org/2000/svg\">\n<text {attributes} font-family=\"sans-serif\" \
             opacity=\"1\" fill=\"#000000\">\n{text}\n</text>\n</svg>\n"
        )
    }

    /// The values of `attribute="..."` in `svg`, in order.
    fn attribute_values<'a>(svg: &'a str, attribute: &str) -> Vec<&'a str> {
        let key = format!(" {attribute}=\"");
        svg.match_indices(&key)
            .map(|(i, _)| {
                let value = &svg[i + key.len()..];
                &value[..value.find('"').unwrap()]
            })
            .collect()
    }

    fn escape(s: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, s);
        out
    }

    #[test]
    fn outlined_chart_has_no_text_and_every_glyph_defined() {
        let svg = chart_svg();
        assert!(svg.contains("<text") && svg.contains("font-weight=\"bold\""));
        assert!(svg.contains("rotate(270"), "the y label is rotated");
        assert!(svg.contains("&amp;") && svg.contains("&lt;") && svg.contains("&quot;"));
        let outlined = outline_svg_text(&svg, "fig1").unwrap();
        assert!(!outlined.contains("<text"));
        let labels = attribute_values(&outlined, "aria-label");
        for label in LABELS {
            assert!(
                labels.contains(&escape(label).as_str()),
                "{label} in {labels:?}"
            );
        }
        // tick labels too, and nothing else: one group per text element
        assert!(labels.contains(&"0.5") && labels.contains(&"100.0"));
        assert_eq!(labels.len(), svg.matches("<text").count());

        let defined = attribute_values(&outlined, "id");
        let used: Vec<&str> = attribute_values(&outlined, "href")
            .into_iter()
            .map(|href| href.strip_prefix('#').unwrap())
            .collect();
        for id in &used {
            assert!(defined.contains(id), "{id} is used but not defined");
        }
        for id in &defined {
            assert!(
                id.starts_with("fig1-r-") || id.starts_with("fig1-b-"),
                "{id}"
            );
            assert!(used.contains(id), "{id} is defined but not used");
        }
        let mut unique = defined.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), defined.len(), "each glyph is defined once");
        assert!(defined.iter().any(|id| id.starts_with("fig1-b-")));
        // the definitions come right after the <svg> start tag
        let svg_tag_end = outlined.find('>').unwrap();
        assert!(outlined[svg_tag_end + 1..].starts_with("\n<defs>\n<path id="));

        // valid XML and SVG, and the same every time
        usvg::Tree::from_str(&outlined, &options(false)).unwrap();
        assert_eq!(outline_svg_text(&chart_svg(), "fig1").unwrap(), outlined);
        // nothing left to outline
        assert_eq!(outline_svg_text(&outlined, "fig1").unwrap(), outlined);
    }

    #[test]
    fn text_is_placed_where_a_browser_lays_it_out() {
        assert_laid_out_like_harfrust(&chart_svg());
    }

    #[test]
    fn kerning_and_ligatures_are_those_of_a_browser() {
        // every pair of printable ASCII characters, and some others, in both weights
        let others = "ﬀﬁﬂﬃﬄβγδμσχ±–—≥≤×÷·•°²³′″‘’“”…€£¥ÀÉÖÜßàéèöüçñÅåæøœ";
        let mut svg = String::from(
            "<svg width=\"9000\" height=\"9000\" viewBox=\"0 0 9000 9000\" \
             xmlns=\"http://www.w3.org/2000/svg\">\n",
        );
        let characters: Vec<char> = ('!'..='~').chain(others.chars()).collect();
        let mut texts: Vec<String> = characters
            .iter()
            .map(|&c| characters.iter().flat_map(|&d| [c, d]).collect())
            .collect();
        // ligatures
        texts.push("Affine, affluent, fjord, shuffle; fifty-five flat Official figures".into());
        texts.push("ffiffflfffifl fff ffff fffi".into());
        for (i, text) in texts.iter().enumerate() {
            let mut escaped = String::new();
            push_escaped(&mut escaped, text);
            for weight in ["normal", "bold"] {
                let _ = writeln!(
                    svg,
                    "<text x=\"5\" y=\"{}\" dy=\"0.76em\" text-anchor=\"start\" \
                     font-family=\"sans-serif\" font-size=\"20\" font-weight=\"{weight}\">\n\
                     {escaped}\n</text>",
                    20 * i
                );
            }
        }
        svg.push_str("</svg>\n");
        assert_laid_out_like_harfrust(&svg);
    }

    /// Checks the glyphs of every text of `svg` against resvg's layout. resvg lays out text with
    /// harfrust, a port of HarfBuzz, the text shaper of Chrome and Firefox.
    fn assert_laid_out_like_harfrust(svg: &str) {
        let tree = usvg::Tree::from_str(svg, &options(true)).unwrap();
        let mut texts = Vec::new();
        collect_texts(tree.root(), &mut texts);
        let outlined = outline_svg_text(svg, "p").unwrap();
        let groups: Vec<&str> = outlined.split("<g aria-label=").skip(1).collect();
        let dys = attribute_values(svg, "dy");
        let sizes = attribute_values(svg, "font-size");
        assert_eq!(texts.len(), groups.len());
        assert_eq!(dys.len(), groups.len());
        for (i, (text, group)) in texts.iter().zip(&groups).enumerate() {
            // "[rotate(..) ]translate(x y) scale(s)"
            let transform = attribute_values(group, "transform")[0];
            let translate = &transform[transform.find("translate(").unwrap() + 10..];
            let (x, rest) = translate.split_once(' ').unwrap();
            let (y, rest) = rest.split_once(')').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            let scale = rest.strip_prefix(" scale(").unwrap().trim_end_matches(')');
            let scale: f64 = scale.parse().unwrap();
            let ours: Vec<(u32, f64)> = group
                .split("<use href=\"#p-")
                .skip(1)
                .map(|u| {
                    let id = u[2..u.find('"').unwrap()].parse().unwrap();
                    let dx = attribute_values(u, "x")
                        .first()
                        .map_or(0.0, |v| v.parse().unwrap());
                    (id, x + dx * scale)
                })
                .collect();

            // resvg takes 1ex as 0.5em, browsers and we the font's x-height
            let bold = group.contains("#p-b-");
            let face = Weight::from_bold(bold).face();
            let size: f64 = sizes[i].parse().unwrap();
            let ex_difference = size * (face.x_height / face.units_per_em - 0.5);
            let baseline_difference = match parse_length(dys[i]).unwrap() {
                Length::Ex(v) => v * ex_difference,
                _ => 0.0,
            };

            let span = &text.layouted()[0];
            let theirs: Vec<_> = span
                .positioned_glyphs
                .iter()
                .filter(|g| g.text != " ")
                .collect();
            assert_eq!(theirs.len(), ours.len(), "{group}");
            for (g, &(id, gx)) in theirs.iter().zip(&ours) {
                assert_eq!(g.id.0, id, "{group}");
                let ts = g.transform();
                // our origins are rounded to 0.01 px
                assert!(
                    (f64::from(ts.tx) - gx).abs() < 0.011,
                    "x {} vs {gx}: {group}",
                    ts.tx
                );
                let their_y = f64::from(ts.ty) + baseline_difference;
                assert!((their_y - y).abs() < 0.011, "y {their_y} vs {y}: {group}");
            }
        }
    }

    fn collect_texts(group: &usvg::Group, texts: &mut Vec<usvg::Text>) {
        for node in group.children() {
            match node {
                usvg::Node::Group(g) => collect_texts(g, texts),
                usvg::Node::Text(t) => texts.push((**t).clone()),
                _ => {}
            }
        }
    }

    #[test]
    fn outlines_render_where_the_text_is_laid_out() {
        let width = text_width("Total points", 40.0, false);
        let x_height = Weight::Regular.face().x_height / 2048.0;
        assert_eq!(x_height, 1120.0 / 2048.0);
        let (l, t, r, b) = ink_box("Total points", 40.0, Weight::Regular);
        // centred on (200, 200)
        let svg = one_text_svg(
            "x=\"200\" y=\"200\" dy=\"0.5ex\" text-anchor=\"middle\" font-size=\"40\"",
            "Total points",
        );
        let (x, baseline) = (200.0 - width / 2.0, 200.0 + 0.5 * 40.0 * x_height);
        let expected = (x + l, baseline + t, x + r, baseline + b);
        assert_boxes_close(&svg, expected);
        // the ink is narrower than the advance by the side bearings of 'T' and 's'
        assert!(expected.2 - expected.0 < width && width < expected.2 - expected.0 + 6.0);

        // right-aligned bold, at the top
        let (l, t, r, b) = ink_box("Bold ≥ 50", 30.0, Weight::Bold);
        let svg = one_text_svg(
            "x=\"380\" y=\"20\" dy=\"0.76em\" text-anchor=\"end\" font-size=\"30\" \
             font-weight=\"bold\"",
            "Bold &#x2265; 50",
        );
        let (x, baseline) = (
            380.0 - text_width("Bold ≥ 50", 30.0, true),
            20.0 + 0.76 * 30.0,
        );
        assert_boxes_close(&svg, (x + l, baseline + t, x + r, baseline + b));
        // and pixel for pixel as resvg draws the text with DejaVu Sans (not mirrored, say)
        let outlined = render(&outline_svg_text(&svg, "t").unwrap(), false);
        let with_text = render(&svg, true);
        let pixels = |p: &tiny_skia::Pixmap| p.pixels().iter().map(|p| p.red()).collect::<Vec<_>>();
        let (outlined, with_text) = (pixels(&outlined), pixels(&with_text));
        let dark = with_text.iter().filter(|&&v| v < 128).count();
        let differ = outlined
            .iter()
            .zip(&with_text)
            .filter(|(a, b)| a.abs_diff(**b) > 32)
            .count();
        assert!(
            dark > 1000 && differ < dark / 100,
            "{differ} of {dark} pixels differ"
        );

        // turned to read upwards about its anchor, as plotters draws y-axis labels
        let (l, t, r, b) = ink_box("Survival", 40.0, Weight::Regular);
        let svg = one_text_svg(
            "x=\"100\" y=\"300\" dy=\"0.76em\" text-anchor=\"start\" font-size=\"40\" \
             transform=\"rotate(270, 100, 300)\"",
            "Survival",
        );
        // (100 + u, 300 + v) turns to (100 + v, 300 - u)
        let v = 0.76 * 40.0;
        assert_boxes_close(&svg, (100.0 + v + t, 300.0 - r, 100.0 + v + b, 300.0 - l));
    }

    /// Checks that the dark pixels of `svg` rendered without fonts fill `expected`.
    fn assert_boxes_close(svg: &str, expected: (f64, f64, f64, f64)) {
        let outlined = outline_svg_text(svg, "t").unwrap();
        let found = dark_box(&render(&outlined, false)).unwrap();
        let close = [
            (found.0, expected.0),
            (found.1, expected.1),
            (found.2, expected.2),
            (found.3, expected.3),
        ]
        .iter()
        .all(|(a, b)| (a - b).abs() <= 1.0);
        assert!(
            close,
            "dark pixels in {found:?}, ink expected in {expected:?}"
        );
    }

    #[test]
    fn pictures_of_the_chart() {
        // PNG pictures to look at: set PROGNOSIS_FONT_CHECK_DIR to a directory to get
        // font-check.png (outlined SVG rendered by resvg without fonts), font-check-text.png
        // (the SVG with its text rendered by resvg with DejaVu Sans) and font-check-bitmap.png
        // (plotters' PNG backend)
        let svg = chart_svg();
        let outlined = render(&outline_svg_text(&svg, "c").unwrap(), false);
        let with_text = render(&svg, true);
        let without_fonts = render(&svg, false);
        let mut bitmap = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        draw_chart(&BitMapBackend::with_buffer(&mut bitmap, SIZE).into_drawing_area());

        // the title: the text is drawn in every picture but the unoutlined one without fonts
        let title = (170, 15, 310, 40);
        let dark = |pixels: &mut dyn Iterator<Item = (u8, u8, u8)>| {
            let mut n = 0;
            for (i, (r, g, b)) in pixels.enumerate() {
                let (x, y) = (i as u32 % SIZE.0, i as u32 / SIZE.0);
                let inside = (title.0..title.2).contains(&x) && (title.1..title.3).contains(&y);
                n += usize::from(inside && u16::from(r) + u16::from(g) + u16::from(b) < 300);
            }
            n
        };
        let of_pixmap = |p: &tiny_skia::Pixmap| {
            dark(&mut p.pixels().iter().map(|p| (p.red(), p.green(), p.blue())))
        };
        let in_bitmap = dark(&mut bitmap.chunks(3).map(|p| (p[0], p[1], p[2])));
        assert_eq!(of_pixmap(&without_fonts), 0);
        let in_outlined = of_pixmap(&outlined);
        assert!(in_outlined > 300, "{in_outlined} dark pixels in the title");
        // the same but for subpixel differences (positions are rounded to 0.01 px)
        let in_text = of_pixmap(&with_text);
        assert!(
            in_outlined.abs_diff(in_text) <= in_text / 50,
            "{in_outlined} vs {in_text}"
        );
        assert!(in_bitmap > 300, "{in_bitmap} dark pixels in the PNG title");

        if let Some(dir) = std::env::var_os("PROGNOSIS_FONT_CHECK_DIR") {
            let dir = std::path::Path::new(&dir);
            outlined.save_png(dir.join("font-check.png")).unwrap();
            with_text.save_png(dir.join("font-check-text.png")).unwrap();
            let path = dir.join("font-check-bitmap.png");
            draw_chart(&BitMapBackend::new(&path, SIZE).into_drawing_area());
        }
    }

    #[test]
    fn text_width_is_the_sum_of_advances_and_kerning() {
        let font = FontRef::try_from_slice(dejavu::sans::regular()).unwrap();
        let ids: Vec<GlyphId> = "Total points".chars().map(|c| font.glyph_id(c)).collect();
        let advances: f32 = ids.iter().map(|&id| font.h_advance_unscaled(id)).sum();
        let kerning: f32 = ids.windows(2).map(|w| font.kern_unscaled(w[0], w[1])).sum();
        assert_eq!(kerning, -348.0, "T and o are kerned");
        let expected = f64::from(advances + kerning) * 12.0 / 2048.0;
        assert_eq!(text_width("Total points", 12.0, false), expected);
        assert_eq!(expected, 11724.0 * 12.0 / 2048.0);
        // white space collapses as in <text>; bold is wider
        assert_eq!(text_width(" Total \n  points ", 12.0, false), expected);
        assert!(text_width("Total points", 12.0, true) > expected);
        assert_eq!(text_width("", 12.0, false), 0.0);
    }

    /// The groups of `svg` outlined.
    fn outlined_groups(svg: &str) -> Vec<String> {
        let outlined = outline_svg_text(svg, "g").unwrap();
        outlined
            .split("<g ")
            .skip(1)
            .map(|g| g[..g.find("</g>").unwrap()].to_string())
            .collect()
    }

    #[test]
    fn references_white_space_and_missing_characters() {
        let attributes = "x=\"10\" y=\"20\" font-size=\"20\"";
        let svg = one_text_svg(
            attributes,
            "&#39;&apos;&quot;&amp;&lt;&gt;&#x3B2;&#946; &#8805; x",
        );
        let groups = outlined_groups(&svg);
        assert!(groups[0].starts_with("aria-label=\"''&quot;&amp;&lt;&gt;ββ ≥ x\""));
        let beta = Weight::Regular.face().font.glyph_id('β').0;
        assert_eq!(groups[0].matches(&format!("#g-r-{beta}\"")).count(), 2);

        // white space collapses, but a space still advances
        let groups = outlined_groups(&one_text_svg(attributes, "  a \t\n\n  b  "));
        let face = Weight::Regular.face();
        let (a, space) = (face.font.glyph_id('a'), face.font.glyph_id(' '));
        let b_at = face.font.h_advance_unscaled(a) + face.font.h_advance_unscaled(space);
        assert!(groups[0].starts_with("aria-label=\"a b\""), "{}", groups[0]);
        assert!(groups[0].ends_with(&format!(
            "<use href=\"#g-r-{}\" x=\"{b_at}\"/>",
            face.font.glyph_id('b').0
        )));
        assert_eq!(groups[0].matches("<use").count(), 2);

        // a character DejaVu Sans lacks is the .notdef box
        let outlined = outline_svg_text(&one_text_svg(attributes, "中"), "g").unwrap();
        assert!(
            outlined.contains("<path id=\"g-r-0\" d=\"M") && outlined.contains("href=\"#g-r-0\"")
        );

        // empty texts vanish, and an SVG without text is left alone
        let empty = one_text_svg(attributes, " ");
        assert_eq!(outline_svg_text(&empty, "g").unwrap(), empty.replace("<text x=\"10\" y=\"20\" font-size=\"20\" font-family=\"sans-serif\" opacity=\"1\" fill=\"#000000\">\n \n</text>", ""));
        let plain = "<?xml version=\"1.0\"?>\n<!-- <text> -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\" height=\"1\"/></svg>";
        assert_eq!(outline_svg_text(plain, "g").unwrap(), plain);
    }

    #[test]
    fn italic_is_slanted_and_attributes_pass_through() {
        let svg = "<svg xmlns='http://www.w3.org/2000/svg'>\n<text x='1.5px' y='2' dy='3px' \
                   font-size='10px' font-style='italic' font-weight='600' fill='rgb(1, 2, 3)' \
                   opacity='0.5' transform='translate(1 &quot;2&quot;)'>i</text></svg>";
        let groups = outlined_groups(svg);
        let i = Weight::Bold.face().font.glyph_id('i').0;
        assert_eq!(
            groups[0],
            format!(
                "aria-label=\"i\" fill=\"rgb(1, 2, 3)\" opacity=\"0.5\" \
                 transform=\"translate(1 &quot;2&quot;) translate(1.5 5) scale(0.0048828125) \
                 skewX(-11)\"><use href=\"#g-b-{i}\"/>"
            )
        );
    }

    #[test]
    fn malformed_svg_is_an_error() {
        let text = |attributes: &str, content: &str| {
            outline_svg_text(
                &format!("<svg>\n<text {attributes}>{content}</text>\n</svg>"),
                "p",
            )
            .unwrap_err()
        };
        let xy = "x=\"1\" y=\"2\"";
        assert_eq!(
            outline_svg_text("<svg>\n\n<text x=\"1\" y=\"2\"", "p").unwrap_err(),
            FontError::Unterminated {
                line: 3,
                what: "<text> start tag"
            }
        );
        assert_eq!(
            outline_svg_text("<svg>\n<text x=\"1\" y=\"2\">a", "p").unwrap_err(),
            FontError::Unterminated {
                line: 2,
                what: "<text> element (no </text>)"
            }
        );
        assert_eq!(
            outline_svg_text("<svg>\n<text x=\"1", "p").unwrap_err(),
            FontError::Unterminated {
                line: 2,
                what: "attribute value"
            }
        );
        assert_eq!(
            outline_svg_text("<svg><!-- <text>", "p").unwrap_err(),
            FontError::Unterminated {
                line: 1,
                what: "comment"
            }
        );
        assert_eq!(
            text(xy, "a<tspan>b</tspan>"),
            FontError::NestedMarkup { line: 2 }
        );
        assert_eq!(
            text(xy, "a &nbsp; b"),
            FontError::InvalidReference {
                line: 2,
                reference: "&nbsp; b".into()
            }
        );
        assert!(matches!(
            text(xy, "fish & chips"),
            FontError::InvalidReference { .. }
        ));
        assert!(matches!(
            text(xy, "&#xD800;"),
            FontError::InvalidReference { .. }
        ));
        assert!(matches!(
            text(xy, "&#0;"),
            FontError::InvalidReference { .. }
        ));
        assert_eq!(
            text("x=\"1\" y=\"2\" dx=\"3\"", "a"),
            FontError::UnsupportedAttribute {
                line: 2,
                attribute: "dx".into()
            }
        );
        assert_eq!(
            text("x=\"1\"", "a"),
            FontError::MissingAttribute {
                line: 2,
                attribute: "y"
            }
        );
        assert_eq!(
            text("x=\"1\" y=\"2\" x=\"3\"", "a"),
            FontError::DuplicateAttribute {
                line: 2,
                attribute: "x".into()
            }
        );
        assert_eq!(
            text("x=\"1\" y=\"2\" font-size=\"big\"", "a"),
            FontError::InvalidAttribute {
                line: 2,
                attribute: "font-size",
                value: "big".into(),
                expected: "a non-negative size in px"
            }
        );
        for bad in [
            "dy=\"1%\"",
            "text-anchor=\"left\"",
            "font-weight=\"heavy\"",
            "x=\"1 2\"",
        ] {
            assert!(
                matches!(
                    text(&format!("y=\"2\" {bad}"), "a"),
                    FontError::InvalidAttribute { .. }
                ),
                "{bad}"
            );
        }
        assert_eq!(
            text("x=1 y=2", "a"),
            FontError::Malformed {
                line: 2,
                what: "<text> start tag"
            }
        );
        assert_eq!(
            outline_svg_text("<svg>\n<text x=\"1\" y=\"2\">a</text x>", "p").unwrap_err(),
            FontError::Malformed {
                line: 2,
                what: "</text> end tag"
            }
        );
        assert_eq!(
            outline_svg_text("<html/>", "p").unwrap_err(),
            FontError::NoSvgElement
        );
        assert_eq!(
            outline_svg_text("<svg/><text x=\"1\" y=\"2\">a</text>", "p").unwrap_err(),
            FontError::EmptySvgElement
        );
        for prefix in ["", "1a", "a b", "a\"", "é"] {
            assert_eq!(
                outline_svg_text("<svg/>", prefix).unwrap_err(),
                FontError::InvalidIdPrefix(prefix.into())
            );
        }
        // error messages say what is wrong where
        assert_eq!(
            text(xy, "a<b/>").to_string(),
            "line 2: <text> contains markup; only plain text can be outlined"
        );
    }

    #[test]
    fn png_text_uses_dejavu_sans() {
        register_fonts();
        register_fonts();
        let mut buffer = vec![255u8; 400 * 100 * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (400, 100)).into_drawing_area();
            let style = TextStyle::from((FAMILY, 40)).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
            root.draw_text("Total points", &style, (200, 50)).unwrap();
            // plotters measures text with the font too, at 1 em = size * 2048 / 2384
            let (w, _) = root.estimate_text_size("Total points", &style).unwrap();
            let em = 40.0 * 2048.0 / (1901.0 + 483.0);
            assert!((f64::from(w) - text_width("Total points", em, false)).abs() <= 1.0);
        }
        // bold is bolder
        let ink = |bold| {
            let mut buffer = vec![255u8; 200 * 60 * 3];
            let root = BitMapBackend::with_buffer(&mut buffer, (200, 60)).into_drawing_area();
            root.draw_text("Bold", &font_desc(40.0, bold).into(), (10, 10))
                .unwrap();
            drop(root);
            buffer.iter().filter(|&&v| v < 100).count()
        };
        assert!(
            ink(true) > ink(false) * 5 / 4,
            "{} vs {}",
            ink(true),
            ink(false)
        );

        let dark: Vec<(usize, usize)> = buffer
            .chunks(3)
            .enumerate()
            .filter(|(_, p)| p.iter().map(|&v| u16::from(v)).sum::<u16>() < 300)
            .map(|(i, _)| (i % 400, i / 400))
            .collect();
        let left = dark.iter().map(|p| p.0).min().unwrap();
        let right = dark.iter().map(|p| p.0).max().unwrap();
        // the ink of the glyphs at 1 em = 34.4 px, centred; plotters draws each glyph's ink from
        // its pen position, without the left side bearing, so the ink is narrower by that of
        // 's' (1.9 px) less that of 'T' (0.1 px)
        assert!(dark.len() > 1000, "{} dark pixels", dark.len());
        let ink = ink_box("Total points", 40.0 * 2048.0 / 2384.0, Weight::Regular);
        let narrower = (ink.2 - ink.0) - (right + 1 - left) as f64;
        assert!(
            (0.0..=4.0).contains(&narrower),
            "{left}..{right} vs {ink:?}"
        );
        assert!(
            (((right + left) as f64) / 2.0 - 200.0).abs() <= 3.0,
            "{left}..{right}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any mix of the pieces of an SVG's text gives an output or an error, never a panic,
        /// and the same output twice.
        #[test]
        fn arbitrary_input_does_not_panic(pieces in proptest::collection::vec(0usize..26, 0..40)) {
            const PIECES: [&str; 26] = [
                "<svg>", "<svg/>", "<text", " x=\"1\"", " y='2'", " dy=\"0.5ex\"", ">", "/>",
                "</text>", "</text", "&amp;", "&", "&#x3B2;", ";", "<!--", "-->", "é中", "\n",
                " ", "\"", "'", "<", "=", "fi", " font-weight=\"bold\"", " transform=\"r(1)\"",
            ];
            let svg: String = pieces.iter().map(|&i| PIECES[i]).collect();
            proptest::prop_assert_eq!(outline_svg_text(&svg, "p"), outline_svg_text(&svg, "p"));
        }
    }
}
