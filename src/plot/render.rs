//! One figure, every file format: the SVG that `plotters` draws is parsed once by `usvg`, with
//! its text laid out in DejaVu Sans, and SVG, PNG, PDF and TIFF are all made from that tree.

use super::{draw_svg, font, Figure, ImageFormat, PlotError, PNG_DPI, TIFF_DPI};
use resvg::tiny_skia;
use usvg::{Node, Tree};

/// A figure laid out once, ready to be written in any [`ImageFormat`]. Its text is laid out in
/// DejaVu Sans from [`font::database`] whatever fonts the machine has; all formats share the
/// layout, so they differ only in resolution.
pub struct Rendering {
    tree: Tree,
    id: String,
}

impl std::fmt::Debug for Rendering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendering")
            .field("id", &self.id)
            .field("size", &self.size())
            .finish()
    }
}

impl Rendering {
    /// Draws `fig` ([`draw_svg`]) and lays it out. `id` prefixes the ids of the written SVG, so
    /// that several figures can share one HTML page: an XML name (ASCII letters, digits, `-`,
    /// `_`, `.`, starting with a letter or `_`).
    pub fn new<F: Figure>(fig: &F, id: &str) -> Result<Rendering, PlotError> {
        Rendering::from_svg(&draw_svg(fig)?, id)
    }

    /// Lays out an SVG document, as [`Rendering::new`] does with a figure's.
    pub fn from_svg(svg: &str, id: &str) -> Result<Rendering, PlotError> {
        if !is_xml_name(id) {
            return Err(PlotError::InvalidId(id.to_string()));
        }
        let options = usvg::Options {
            fontdb: font::database(),
            font_family: font::DEJAVU_SANS.to_string(),
            ..usvg::Options::default()
        };
        let tree = Tree::from_str(svg, &options).map_err(|e| PlotError::Svg(e.to_string()))?;
        Ok(Rendering {
            tree,
            id: id.to_string(),
        })
    }

    /// Width and height in points.
    pub fn size(&self) -> (f64, f64) {
        let s = self.tree.size();
        (f64::from(s.width()), f64::from(s.height()))
    }

    /// The parsed tree, for renderers of other formats.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Every text of the figure in drawing order, white space collapsed as laid out.
    pub fn texts(&self) -> Vec<String> {
        fn walk(g: &usvg::Group, out: &mut Vec<String>) {
            for node in g.children() {
                match node {
                    Node::Group(g) => walk(g, out),
                    Node::Text(t) => {
                        let s: String = t.chunks().iter().map(|c| c.text()).collect();
                        if !s.is_empty() {
                            out.push(s);
                        }
                    }
                    Node::Path(_) | Node::Image(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(self.tree.root(), &mut out);
        out
    }

    /// The figure as an SVG document written by `usvg`: text as outlined paths (so it renders
    /// the same with no font installed and contains no `<text>`), every id prefixed with the
    /// rendering's id and `-`, `width` and `height` the size in points with a `viewBox` of the
    /// same size (a page can scale it), and the figure's texts, one a line, in a `<desc>` for
    /// screen readers and search.
    pub fn svg(&self) -> String {
        let options = usvg::WriteOptions {
            id_prefix: Some(format!("{}-", self.id)),
            coordinates_precision: 3,
            transforms_precision: 6,
            ..usvg::WriteOptions::default()
        };
        let written = self.tree.to_string(&options);
        let (w, h) = self.size();
        // usvg writes `<svg width=".." height=".." xmlns=..>` with the view box applied inside
        let Some(rest) = written.strip_prefix("<svg ") else {
            return written;
        };
        let Some(end) = rest.find('>') else {
            return written;
        };
        let mut desc = String::new();
        for (i, t) in self.texts().iter().enumerate() {
            if i > 0 {
                desc.push('\n');
            }
            push_escaped(&mut desc, t);
        }
        let desc = if desc.is_empty() {
            String::new()
        } else {
            format!("\n<desc>{desc}</desc>")
        };
        format!(
            "<svg viewBox=\"0 0 {w} {h}\" {}{desc}{}",
            &rest[..=end],
            &rest[end + 1..]
        )
    }

    /// The figure rendered by `resvg` on white at `dpi` dots per inch: (width, height) in
    /// pixels, the size in points times `dpi / 72` rounded, and RGB bytes row by row.
    pub fn rgb(&self, dpi: f64) -> Result<(u32, u32, Vec<u8>), PlotError> {
        let k = dpi / 72.0;
        let (w, h) = self.size();
        let (pw, ph) = ((w * k).round(), (h * k).round());
        let too_big = || PlotError::Empty(format!("a {pw} x {ph} pixel image"));
        if !(pw >= 1.0 && ph >= 1.0 && pw * ph <= 2.0e9) {
            return Err(too_big());
        }
        let mut pixmap = tiny_skia::Pixmap::new(pw as u32, ph as u32).ok_or_else(too_big)?;
        pixmap.fill(tiny_skia::Color::WHITE);
        let k = k as f32;
        resvg::render(
            &self.tree,
            tiny_skia::Transform::from_scale(k, k),
            &mut pixmap.as_mut(),
        );
        // opaque on white: the premultiplied colours are the colours
        let rgb = pixmap
            .data()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok((pw as u32, ph as u32, rgb))
    }

    /// The figure as a PNG file at [`PNG_DPI`] (RGB, the resolution in a `pHYs` chunk).
    pub fn png(&self) -> Result<Vec<u8>, PlotError> {
        let (pw, ph, rgb) = self.rgb(PNG_DPI)?;
        let mut out = Vec::new();
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
        writer.finish().map_err(|e| PlotError::Png(e.to_string()))?;
        Ok(out)
    }

    /// The figure as a one-page vector PDF by `svg2pdf`: the page (`MediaBox`) is the figure's
    /// size in points, the text outlined as in the SVG. (Embedded fonts would keep the text
    /// selectable, but `svg2pdf` 0.13 then orders the objects of two fonts differently from run
    /// to run, and a study's files must be the same bytes each run.)
    pub fn pdf(&self) -> Result<Vec<u8>, PlotError> {
        let options = svg2pdf::ConversionOptions {
            embed_text: false,
            ..svg2pdf::ConversionOptions::default()
        };
        svg2pdf::to_pdf(&self.tree, options, svg2pdf::PageOptions::default())
            .map(sorted_resource_entries)
            .map_err(|e| PlotError::Pdf(e.to_string()))
    }

    /// The figure as a TIFF file at [`TIFF_DPI`]: RGB, LZW-compressed, the resolution in its
    /// tags.
    pub fn tiff(&self) -> Result<Vec<u8>, PlotError> {
        use tiff::encoder::{colortype::RGB8, Compression, Rational, TiffEncoder};
        let (pw, ph, rgb) = self.rgb(TIFF_DPI)?;
        let err = |e: tiff::TiffError| PlotError::Tiff(e.to_string());
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut enc = TiffEncoder::new(&mut out)
                .map_err(err)?
                .with_compression(Compression::Lzw);
            let mut image = enc.new_image::<RGB8>(pw, ph).map_err(err)?;
            image.resolution(
                tiff::tags::ResolutionUnit::Inch,
                Rational {
                    n: TIFF_DPI as u32,
                    d: 1,
                },
            );
            image.write_data(&rgb).map_err(err)?;
        }
        Ok(out.into_inner())
    }

    /// The file bytes in `format`.
    pub fn encode(&self, format: ImageFormat) -> Result<Vec<u8>, PlotError> {
        match format {
            ImageFormat::Svg => Ok(self.svg().into_bytes()),
            ImageFormat::Png => self.png(),
            ImageFormat::Pdf => self.pdf(),
            ImageFormat::Tiff => self.tiff(),
        }
    }
}

/// Whether `s` is an XML name made of ASCII: a letter or `_`, then letters, digits, `-`, `_`,
/// `.`.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Appends `s` with the XML special characters escaped.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// The PDF with the entries of each resource dictionary in name order. `svg2pdf` 0.13 keeps a
/// page's resources (graphics states of transparent bands, say) in a hash map, so their
/// `/Name N 0 R` lines come in a different order on each run; sorting each run of such lines
/// gives the same bytes every time. The lines keep their lengths, so the cross-reference
/// offsets stay right; compressed streams hold no such lines.
fn sorted_resource_entries(pdf: Vec<u8>) -> Vec<u8> {
    fn is_entry(line: &[u8]) -> bool {
        let t = line.trim_ascii();
        let Some(rest) = t.strip_prefix(b"/") else {
            return false;
        };
        let mut parts = rest.split(|&b| b == b' ');
        let name = parts.next().unwrap_or_default();
        let (num, gen, r) = (parts.next(), parts.next(), parts.next());
        !name.is_empty()
            && name.iter().all(u8::is_ascii_alphanumeric)
            && num.is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
            && gen == Some(b"0")
            && r == Some(b"R")
            && parts.next().is_none()
    }
    let mut lines: Vec<&[u8]> = pdf.split(|&b| b == b'\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        while i < lines.len() && is_entry(lines[i]) {
            i += 1;
        }
        if i - start > 1 {
            lines[start..i].sort_unstable();
        }
        i = i.max(start + 1);
    }
    lines.join(&b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::Shift;
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    /// A small figure: a line, a clipped rectangle, texts of every anchor, bold and rotated.
    struct Sample;

    impl Figure for Sample {
        fn size(&self) -> (f64, f64) {
            (200.0, 120.0)
        }
        fn draw<DB: DrawingBackend>(
            &self,
            area: &DrawingArea<DB, Shift>,
            s: super::super::Scale,
        ) -> Result<(), PlotError> {
            area.draw(&PathElement::new(
                vec![(s.px(10.0), s.px(100.0)), (s.px(190.0), s.px(20.0))],
                s.stroke(super::super::group_colour(0), 2.0),
            ))?;
            for (i, (h, text)) in [
                (HPos::Left, "Left & <start>"),
                (HPos::Center, "Centre \"fi\""),
                (HPos::Right, "Right AV"),
            ]
            .into_iter()
            .enumerate()
            {
                let style = s.text(10.0).pos(Pos::new(h, VPos::Center));
                area.draw_text(text, &style, (s.px(100.0), s.px(20.0 + 25.0 * i as f64)))?;
            }
            area.draw_text("Bold", &s.bold(10.0), (s.px(10.0), s.px(90.0)))?;
            let rotated = s.text(10.0).transform(FontTransform::Rotate270);
            area.draw_text("Up", &rotated, (s.px(190.0), s.px(100.0)))?;
            Ok(())
        }
    }

    fn decode(png: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn svg_is_outlined_sized_and_prefixed() {
        let r = Rendering::new(&Sample, "fig-1").unwrap();
        assert_eq!(r.size(), (200.0, 120.0));
        assert_eq!(
            r.texts(),
            ["Left & <start>", "Centre \"fi\"", "Right AV", "Bold", "Up"]
        );
        let svg = r.svg();
        assert!(!svg.contains("<text"), "{svg}");
        assert!(svg.starts_with("<svg viewBox=\"0 0 200 120\" width=\"200\" height=\"120\""));
        assert!(svg.contains(
            "<desc>Left &amp; &lt;start&gt;\nCentre &quot;fi&quot;\nRight AV\nBold\nUp</desc>"
        ));
        let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
        let ids: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("id"))
            .collect();
        assert!(ids.iter().all(|id| id.starts_with("fig-1-")), "{ids:?}");
        // text became paths: one per text, besides the line and the background
        assert!(doc.descendants().filter(|n| n.has_tag_name("path")).count() >= 6);
        // and it reads back as a tree without text, of the same size
        let back = Rendering::from_svg(&svg, "x").unwrap();
        assert_eq!(back.size(), (200.0, 120.0));
        assert!(back.texts().is_empty());
    }

    #[test]
    fn png_and_tiff_are_the_drawing_at_their_resolutions() {
        let r = Rendering::new(&Sample, "f").unwrap();
        let png = r.png().unwrap();
        let (info, rgb) = decode(&png);
        assert_eq!((info.width, info.height), (833, 500));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let phys = png.windows(4).position(|c| c == b"pHYs").unwrap();
        let ppm = u32::from_be_bytes(png[phys + 4..phys + 8].try_into().unwrap());
        assert_eq!(ppm, 11811);
        // the blue line and black text are drawn, on white
        let blue = [0u8, 114, 178];
        let count = |c: [u8; 3]| rgb.chunks_exact(3).filter(|p| *p == c).count();
        assert!(count(blue) > 1000);
        assert!(count([0, 0, 0]) > 500);
        assert!(count([255, 255, 255]) > rgb.len() / 3 / 2);

        let tiff = r.tiff().unwrap();
        let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(tiff)).unwrap();
        assert_eq!(dec.dimensions().unwrap(), (1667, 1000));
        let tiff::decoder::DecodingResult::U8(px) = dec.read_image().unwrap() else {
            panic!("8-bit RGB expected");
        };
        assert_eq!(px.len(), 1667 * 1000 * 3);
        assert!(px.chunks_exact(3).filter(|p| *p == blue).count() > 4 * 1000);
    }

    #[test]
    fn pdf_bytes_do_not_depend_on_hash_order() {
        // several transparent fills: one graphics state each in the page's resources
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" viewBox="0 0 100 40">
<rect x="0" y="0" width="10" height="40" fill="#00f" fill-opacity="0.1"/>
<rect x="10" y="0" width="10" height="40" fill="#00f" fill-opacity="0.2"/>
<rect x="20" y="0" width="10" height="40" fill="#00f" fill-opacity="0.3"/>
<rect x="30" y="0" width="10" height="40" fill="#00f" fill-opacity="0.4"/>
<rect x="40" y="0" width="10" height="40" fill="#00f" fill-opacity="0.5"/>
<rect x="50" y="0" width="10" height="40" fill="#f00" stroke="#000" stroke-opacity="0.6"/>
</svg>"##;
        let pdf = Rendering::from_svg(svg, "t").unwrap().pdf().unwrap();
        assert!(String::from_utf8_lossy(&pdf).matches("/ExtGState").count() >= 1);
        for _ in 0..10 {
            assert!(Rendering::from_svg(svg, "t").unwrap().pdf().unwrap() == pdf);
        }
    }

    #[test]
    fn resource_entries_are_sorted_in_place() {
        let pdf =
            b"<<\n  /ExtGState <<\n    /g2 7 0 R\n    /g0 5 0 R\n    /g1 6 0 R\n  >>\n>>".to_vec();
        let sorted = sorted_resource_entries(pdf.clone());
        assert_eq!(sorted.len(), pdf.len());
        assert_eq!(
            String::from_utf8(sorted).unwrap(),
            "<<\n  /ExtGState <<\n    /g0 5 0 R\n    /g1 6 0 R\n    /g2 7 0 R\n  >>\n>>"
        );
    }

    #[test]
    fn pdf_is_one_page_of_the_figure_size() {
        let pdf = Rendering::new(&Sample, "f").unwrap().pdf().unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("/MediaBox [0 0 200 120]"), "{text}");
        assert_eq!(text.matches("/Type /Page\n").count(), 1, "{text}");
        // text is outlined: no font is needed
        assert!(!text.contains("/Font"));
        // the same bytes every time, regular and bold text included
        for _ in 0..5 {
            assert!(Rendering::new(&Sample, "f").unwrap().pdf().unwrap() == pdf);
        }
    }

    #[test]
    fn bad_ids_and_bad_svg_are_errors() {
        for id in ["", "1a", "a b", "a\"", "ü"] {
            assert!(
                matches!(Rendering::new(&Sample, id), Err(PlotError::InvalidId(_))),
                "{id:?}"
            );
        }
        assert!(matches!(
            Rendering::from_svg("<svg", "a"),
            Err(PlotError::Svg(_))
        ));
        assert!(matches!(
            Rendering::from_svg("<html/>", "a"),
            Err(PlotError::Svg(_))
        ));
    }

    #[test]
    fn encode_names_every_format() {
        let r = Rendering::new(&Sample, "f").unwrap();
        let magic: [(ImageFormat, &[u8]); 4] = [
            (ImageFormat::Svg, b"<svg"),
            (ImageFormat::Png, b"\x89PNG"),
            (ImageFormat::Pdf, b"%PDF"),
            (ImageFormat::Tiff, b"II*\0"),
        ];
        for (f, m) in magic {
            assert!(r.encode(f).unwrap().starts_with(m), "{f:?}");
        }
    }
}
