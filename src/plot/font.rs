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
//! Layout: each character maps to its glyph (a character the font lacks to the `.notdef` box),
//! glyphs advance by their horizontal advance plus the pair kerning of the font's `kern` table,
//! and runs of white space collapse to one space, trimmed at both ends, as in an SVG `<text>`.
//! Italic and oblique text is DejaVu Sans slanted by 11 degrees (the angle of DejaVu Sans
//! Oblique), which is what browsers synthesise when the font has no italic; `plotters`' PNG
//! backend draws it upright.
//!
//! DejaVu Sans is copyright Bitstream, Inc. (Bitstream Vera) with DejaVu changes in the public
//! domain; its licence (the Bitstream Vera / DejaVu fonts licence, shipped with the `dejavu`
//! crate) allows the fonts to be embedded and redistributed, provided the copyright and licence
//! notice accompany copies of the font software.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, Point};
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
        use plotters::style::{register_font, FontStyle};
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

/// The width in pixels of `text` set in DejaVu Sans at font size `size_px` (pixels per em),
/// bold or regular: the sum of the glyph advances and kerning, after the white space of an SVG
/// `<text>` is collapsed. This is the width [`outline_svg_text`] gives the text, and the width
/// by which `text-anchor="middle"` and `"end"` shift it.
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
        for c in text.chars() {
            let id = self.font.glyph_id(c);
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
        let line = line_at(svg, start);
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
                    line,
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
                        line,
                        attribute: other.to_string(),
                    })
                }
            }
        }
        if text.x.is_nan() {
            return Err(FontError::MissingAttribute {
                line,
                attribute: "x",
            });
        }
        if text.y.is_nan() {
            return Err(FontError::MissingAttribute {
                line,
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
        let content = unescape(&svg[tag.end..content_end], line_at(svg, tag.end))?;
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
            fmt_decimals(scale, 9)
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
        let line = line_at(svg, start);
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
                return Err(FontError::Unterminated { line, what });
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
                    line,
                    attribute: attribute.to_string(),
                });
            }
            // XML attribute-value normalisation: literal white space is a space
            let value = unescape(&raw.replace(['\t', '\n', '\r'], " "), line_at(svg, pos))?;
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

/// Replaces XML's five entities and numeric character references by their characters.
fn unescape(s: &str, line: usize) -> Result<String, FontError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let invalid = || FontError::InvalidReference {
            line,
            reference: format!("&{}", after.chars().take(12).collect::<String>()),
        };
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
