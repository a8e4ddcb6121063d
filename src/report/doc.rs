//! A report written as Markdown and self-contained HTML at once (tables, paragraphs, inline SVG
//! figures), and tables as CSV text.

use crate::model::spec::format_number;
use std::fmt::Write as _;

/// A document written as Markdown and HTML at once, and kept as blocks for other formats (the
/// Word document).
pub struct Doc {
    md: String,
    html: String,
    figures: usize,
    tables: usize,
    supplementary: usize,
    blocks: Vec<Block>,
}

/// One piece of the document, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: usize,
        text: String,
    },
    /// A paragraph as plain text (Markdown's backticks removed).
    Paragraph(String),
    Table(DocTable),
    Figure {
        number: usize,
        file: String,
        caption: String,
    },
}

/// A table with its number, title and footnotes.
#[derive(Debug, Clone, PartialEq)]
pub struct DocTable {
    /// "Table 2" or "Table S1"; empty for an unnumbered table.
    pub label: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

/// Which series a numbered table belongs to: the results' tables (Table 1, 2, ...) or the
/// supplementary ones (Table S1, S2, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Main,
    Supplementary,
}

/// Whether a table cell holds a number (or a number's stand-in) that must not wrap.
pub fn is_numeric_cell(c: &str) -> bool {
    c.chars().any(|ch| ch.is_ascii_digit())
        || c == crate::report::format::NOT_REACHED
        || c == "Reference"
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Doc {
    pub fn new(title: &str) -> Doc {
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{}</title>\n<style>\n\
             body {{ font-family: 'DejaVu Sans', Verdana, sans-serif; max-width: 60rem; margin: 2rem auto; \
             padding: 0 1rem; color: #111; line-height: 1.45; }}\n\
             table {{ border-collapse: collapse; margin: 0.8rem 0 1.4rem; font-size: 0.9rem; }}\n\
             th, td {{ border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; \
             vertical-align: top; }}\n\
             th {{ border-bottom: 2px solid #444; }}\n\
             td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
             td.nw, th.nw {{ white-space: nowrap; }}\n\
             caption {{ caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.3rem; }}\n\
             p.note {{ font-size: 0.85rem; color: #333; margin-top: -0.9rem; }}\n\
             figure {{ margin: 1rem 0 2rem; }} figure svg {{ max-width: 100%; height: auto; }}\n\
             figcaption {{ font-size: 0.9rem; color: #333; }}\n\
             code {{ font-size: 0.85rem; }}\n</style>\n</head>\n<body>\n",
            esc(title)
        );
        Doc {
            md: String::new(),
            html,
            figures: 0,
            tables: 0,
            supplementary: 0,
            blocks: Vec::new(),
        }
    }

    pub fn h(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.md, "{} {}\n", "#".repeat(level), text);
        let _ = writeln!(self.html, "<h{level}>{}</h{level}>", esc(text));
        self.blocks.push(Block::Heading {
            level,
            text: text.to_string(),
        });
    }

    /// The blocks written so far, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// A paragraph written differently in the two formats: `md` as Markdown, `html` as HTML
    /// (inserted as it is).
    pub fn paragraph(&mut self, md: &str, html: &str) {
        let _ = writeln!(self.md, "{md}\n");
        let _ = writeln!(self.html, "<p>{html}</p>");
        self.blocks.push(Block::Paragraph(md.replace('`', "")));
    }

    pub fn p(&mut self, text: &str) {
        let _ = writeln!(self.md, "{text}\n");
        let _ = writeln!(self.html, "<p>{}</p>", esc(text));
        self.blocks.push(Block::Paragraph(text.to_string()));
    }

    /// A numbered table with its title above and its footnotes below; returns its label
    /// ("Table 2").
    pub fn numbered_table(
        &mut self,
        kind: TableKind,
        title: &str,
        header: &[String],
        rows: &[Vec<String>],
        notes: &[String],
    ) -> String {
        let label = match kind {
            TableKind::Main => {
                self.tables += 1;
                format!("Table {}", self.tables)
            }
            TableKind::Supplementary => {
                self.supplementary += 1;
                format!("Table S{}", self.supplementary)
            }
        };
        let _ = writeln!(self.md, "**{label}.** {title}\n");
        self.write_table(header, rows, Some(&format!("{label}. {title}")));
        for n in notes {
            let _ = writeln!(self.md, "*{n}*\n");
        }
        if !notes.is_empty() {
            let _ = writeln!(
                self.html,
                "<p class=\"note\">{}</p>",
                notes
                    .iter()
                    .map(|n| esc(n))
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        self.blocks.push(Block::Table(DocTable {
            label: label.clone(),
            title: title.to_string(),
            header: header.to_vec(),
            rows: rows.to_vec(),
            notes: notes.to_vec(),
        }));
        label
    }

    /// An unnumbered table.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        self.write_table(header, rows, None);
        self.blocks.push(Block::Table(DocTable {
            label: String::new(),
            title: String::new(),
            header: header.to_vec(),
            rows: rows.to_vec(),
            notes: Vec::new(),
        }));
    }

    fn write_table(&mut self, header: &[String], rows: &[Vec<String>], caption: Option<&str>) {
        let cell = |s: &str| s.replace('|', "\\|");
        let _ = writeln!(
            self.md,
            "| {} |",
            header
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(self.md, "|{}", "---|".repeat(header.len()));
        for r in rows {
            let _ = writeln!(
                self.md,
                "| {} |",
                r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        self.md.push('\n');
        self.html.push_str("<table>\n");
        if let Some(c) = caption {
            let _ = writeln!(self.html, "<caption>{}</caption>", esc(c));
        }
        self.html.push_str("<thead><tr>");
        for h in header {
            let _ = write!(self.html, "<th>{}</th>", esc(h));
        }
        self.html.push_str("</tr></thead>\n<tbody>\n");
        // a column is right-aligned when every filled cell in it is a number
        let is_number = |c: &str| {
            c.trim_start_matches(['<', '-', '≤', '>'])
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_digit())
        };
        let numeric: Vec<bool> = (0..header.len())
            .map(|j| {
                rows.iter()
                    .filter_map(|r| r.get(j))
                    .filter(|c| !c.is_empty())
                    .all(|c| is_number(c))
            })
            .collect();
        for r in rows {
            self.html.push_str("<tr>");
            for (j, c) in r.iter().enumerate() {
                let num = numeric.get(j).copied().unwrap_or(false);
                // numbers never wrap; the first column's labels may
                let nw = j > 0 && is_numeric_cell(c);
                let class = match (num, nw) {
                    (true, true) => " class=\"num nw\"",
                    (true, false) => " class=\"num\"",
                    (false, true) => " class=\"nw\"",
                    (false, false) => "",
                };
                let _ = write!(self.html, "<td{class}>{}</td>", esc(c));
            }
            self.html.push_str("</tr>\n");
        }
        self.html.push_str("</tbody>\n</table>\n");
    }

    /// A figure: linked SVG in Markdown, inline SVG in HTML.
    pub fn figure(&mut self, file: &str, svg: &str, caption: &str) {
        self.figures += 1;
        let _ = writeln!(
            self.md,
            "![{caption}]({file})\n\n*Figure {}. {caption}*\n",
            self.figures
        );
        let body = svg.find("<svg").map_or(svg, |k| &svg[k..]);
        let body = scale_svg_size(body, HTML_FIGURE_SCALE);
        let _ = writeln!(
            self.html,
            "<figure id=\"fig-{}\" data-file=\"{}\">\n{}\n<figcaption>Figure {}. {}</figcaption>\n</figure>",
            self.figures,
            esc(file),
            body.trim_end(),
            self.figures,
            esc(caption)
        );
        self.blocks.push(Block::Figure {
            number: self.figures,
            file: file.to_string(),
            caption: caption.to_string(),
        });
    }

    pub fn finish(mut self) -> (String, String) {
        self.html.push_str("</body>\n</html>\n");
        (self.md, self.html)
    }
}

/// How much larger than their print size (points as CSS pixels) figures show in report.html:
/// print sizes are 72 per inch, a screen's CSS pixels 96, and a report is read on screen.
pub const HTML_FIGURE_SCALE: f64 = 1.5;

/// The SVG with the `width` and `height` of its opening tag multiplied by `k` (its viewBox
/// keeps the drawing whole); unchanged where the tag has no such numbers.
pub fn scale_svg_size(svg: &str, k: f64) -> String {
    let mut out = svg.to_string();
    for attr in [" width=\"", " height=\""] {
        let tag_end = out.find('>').unwrap_or(0);
        let Some(v0) = out[..tag_end].find(attr).map(|i| i + attr.len()) else {
            continue;
        };
        let Some(v1) = out[v0..tag_end].find('"').map(|j| v0 + j) else {
            continue;
        };
        if let Ok(v) = out[v0..v1].parse::<f64>() {
            out.replace_range(v0..v1, &format_number((v * k).round()));
        }
    }
    out
}

/// CSV text of a header and rows (quoted where needed).
pub fn csv_text(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_size_scales_only_the_opening_tag() {
        let svg =
            "<svg width=\"540\" height=\"398\" viewBox=\"0 0 2160 1592\"><rect width=\"5\"/></svg>";
        assert_eq!(
            scale_svg_size(svg, 1.5),
            "<svg width=\"810\" height=\"597\" viewBox=\"0 0 2160 1592\"><rect width=\"5\"/></svg>"
        );
        assert_eq!(scale_svg_size("<svg>x</svg>", 2.0), "<svg>x</svg>");
    }
}
