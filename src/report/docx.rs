//! The report as a Word document (`report.docx`): the same blocks as the Markdown and HTML
//! report, in the same order and numbering, every table an editable Word table (title above,
//! footnotes below) and every figure an embedded PNG at 300 dpi at its print size.

use crate::report::doc::{is_numeric_cell, Block};
use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, Table, TableCell, TableRow,
};
use thiserror::Error;

/// Why the document could not be written.
#[derive(Debug, Error)]
pub enum DocxError {
    #[error("report.docx: {0}")]
    Write(String),
}

/// A figure for the document: PNG bytes, their size in pixels and the print size in points.
pub struct DocxFigure {
    pub png: Vec<u8>,
    pub pixels: (u32, u32),
    pub points: (f64, f64),
}

/// EMU (English metric units) per point: 914400 per inch, 72 points per inch.
const EMU_PER_POINT: f64 = 12700.0;

/// Text width of an A4 page with 2 cm margins, in points.
const TEXT_WIDTH_PT: f64 = (210.0 - 40.0) / 25.4 * 72.0;

fn text(t: &str) -> Run {
    Run::new().add_text(t)
}

fn heading(level: usize, t: &str) -> Paragraph {
    let size = match level {
        1 => 32,
        2 => 28,
        _ => 24,
    };
    Paragraph::new()
        .add_run(text(t).bold().size(size))
        .keep_next(true)
}

fn table(header: &[String], rows: &[Vec<String>]) -> Table {
    let cell = |t: &str, bold: bool, right: bool| {
        let mut r = text(t).size(18);
        if bold {
            r = r.bold();
        }
        let mut p = Paragraph::new().add_run(r);
        if right {
            p = p.align(AlignmentType::Right);
        }
        TableCell::new().add_paragraph(p)
    };
    let mut out =
        vec![TableRow::new(header.iter().map(|h| cell(h, true, false)).collect()).cant_split()];
    for r in rows {
        out.push(
            TableRow::new(
                r.iter()
                    .enumerate()
                    .map(|(j, c)| cell(c, false, j > 0 && is_numeric_cell(c)))
                    .collect(),
            )
            .cant_split(),
        );
    }
    Table::new(out)
}

/// The document of `blocks`; `figure` gives the PNG of a figure file (by its SVG name).
pub fn docx(
    blocks: &[Block],
    figure: &dyn Fn(&str) -> Option<DocxFigure>,
) -> Result<Vec<u8>, DocxError> {
    // A4, 2 cm margins (twips: 1/20 point)
    let margin = (20.0 / 25.4 * 1440.0) as i32;
    let mut d = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(margin)
                .bottom(margin)
                .left(margin)
                .right(margin),
        )
        .default_fonts(RunFonts::new().ascii("Calibri").hi_ansi("Calibri"))
        .default_size(21);
    let mut images = 0;
    for b in blocks {
        match b {
            Block::Heading { level, text: t } => d = d.add_paragraph(heading(*level, t)),
            Block::Paragraph(t) => d = d.add_paragraph(Paragraph::new().add_run(text(t))),
            Block::Table(t) => {
                if !t.label.is_empty() {
                    d = d.add_paragraph(
                        Paragraph::new()
                            .add_run(text(&format!("{}. ", t.label)).bold())
                            .add_run(text(&t.title))
                            .keep_next(true),
                    );
                }
                d = d.add_table(table(&t.header, &t.rows));
                for n in &t.notes {
                    d = d.add_paragraph(Paragraph::new().add_run(text(n).italic().size(18)));
                }
                d = d.add_paragraph(Paragraph::new());
            }
            Block::Figure {
                number,
                file,
                caption,
            } => {
                let f = figure(file).ok_or_else(|| {
                    DocxError::Write(format!("no PNG of figure {number} ({file})"))
                })?;
                images += 1;
                // print size, shrunk to the text width
                let k = (TEXT_WIDTH_PT / f.points.0).min(1.0);
                let (w, h) = (f.points.0 * k, f.points.1 * k);
                let pic = Pic::new_with_dimensions(f.png, f.pixels.0, f.pixels.1)
                    .id(format!("rIdImage{images}"))
                    .size(
                        (w * EMU_PER_POINT).round() as u32,
                        (h * EMU_PER_POINT).round() as u32,
                    );
                d = d.add_paragraph(
                    Paragraph::new()
                        .add_run(Run::new().add_image(pic))
                        .keep_next(true),
                );
                d = d.add_paragraph(
                    Paragraph::new()
                        .add_run(text(&format!("Figure {number}. ")).bold().size(18))
                        .add_run(text(caption).size(18)),
                );
            }
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    d.build()
        .pack(&mut buf)
        .map_err(|e| DocxError::Write(e.to_string()))?;
    Ok(buf.into_inner())
}
