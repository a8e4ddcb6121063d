//! The flow diagram of a cohort (CONSORT style, as registry studies show it): the export's rows,
//! the patients excluded with the reason and number of each, the study cohort, and its split
//! into development and validation sets.

use super::common::{self, width, MARGIN};
use super::{Figure, PlotError, Scale};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The boxes of the diagram, each a list of text lines.
pub struct FlowFigure {
    /// The first box ("Export rows", "n = 1204").
    pub start: Vec<String>,
    /// The exclusions box: a heading line and one line per reason ("survival months unknown
    /// (n = 3)"); empty when no row was excluded.
    pub excluded: Vec<String>,
    /// The study cohort's box.
    pub cohort: Vec<String>,
    /// One box per set of the split (none without a split).
    pub sets: Vec<Vec<String>>,
}

const FONT: f64 = 8.5;
const LINE: f64 = 11.5;
const PAD: f64 = 6.0;
const GAP: f64 = 22.0;

fn box_size(lines: &[String]) -> (f64, f64) {
    let w = lines.iter().map(|l| width(l, FONT)).fold(0.0, f64::max);
    (w + 2.0 * PAD, lines.len() as f64 * LINE + 2.0 * PAD - 2.0)
}

/// Where each box goes: (x, y, w, h) in points.
struct Layout {
    start: (f64, f64, f64, f64),
    excluded: Option<(f64, f64, f64, f64)>,
    cohort: (f64, f64, f64, f64),
    sets: Vec<(f64, f64, f64, f64)>,
    size: (f64, f64),
}

impl FlowFigure {
    fn layout(&self) -> Layout {
        let (sw, sh) = box_size(&self.start);
        let (cw, ch) = box_size(&self.cohort);
        let main_w = sw.max(cw).max(150.0);
        let sets: Vec<(f64, f64)> = self.sets.iter().map(|b| box_size(b)).collect();
        let sets_w: f64 =
            sets.iter().map(|s| s.0).sum::<f64>() + GAP * (sets.len().max(1) - 1) as f64;
        let ex = (!self.excluded.is_empty()).then(|| box_size(&self.excluded));
        // the main column's centre: room for the sets below it on either side
        let left_room = (sets_w / 2.0).max(main_w / 2.0);
        let cx = MARGIN + left_room;
        let top = MARGIN;
        let start = (cx - main_w / 2.0, top, main_w, sh);
        let mut y = top + sh + GAP;
        let excluded = ex.map(|(w, h)| {
            let b = (cx + GAP, y, w, h);
            y += h + GAP;
            b
        });
        let cohort = (cx - main_w / 2.0, y, main_w, ch);
        y += ch + GAP;
        let mut x = cx - sets_w / 2.0;
        let mut out = Vec::new();
        let mut bottom = y - GAP;
        for &(w, h) in &sets {
            out.push((x, y, w, h));
            x += w + GAP;
            bottom = bottom.max(y + h);
        }
        let right = [
            start.0 + start.2,
            cohort.0 + cohort.2,
            excluded.map_or(0.0, |b| b.0 + b.2),
            out.last().map_or(0.0, |b| b.0 + b.2),
        ]
        .into_iter()
        .fold(0.0, f64::max);
        Layout {
            start,
            excluded,
            cohort,
            sets: out,
            size: ((right + MARGIN).ceil(), (bottom + MARGIN).ceil()),
        }
    }
}

fn draw_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Scale,
    b: (f64, f64, f64, f64),
    lines: &[String],
) -> Result<(), PlotError> {
    let (x, y, w, h) = b;
    area.draw(&Rectangle::new(
        [(s.px(x), s.px(y)), (s.px(x + w), s.px(y + h))],
        s.stroke(BLACK, 0.8),
    ))?;
    let style = common::text(s, FONT).pos(Pos::new(HPos::Left, VPos::Top));
    for (k, l) in lines.iter().enumerate() {
        area.draw_text(l, &style, (s.px(x + PAD), s.px(y + PAD + k as f64 * LINE)))?;
    }
    Ok(())
}

/// A line from `a` to `b` with an arrowhead at `b`.
fn arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Scale,
    a: (f64, f64),
    b: (f64, f64),
) -> Result<(), PlotError> {
    let p = |q: (f64, f64)| (s.px(q.0), s.px(q.1));
    area.draw(&PathElement::new(vec![p(a), p(b)], s.stroke(BLACK, 0.8)))?;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let (l, w) = (5.0, 2.5);
    let base = (b.0 - ux * l, b.1 - uy * l);
    area.draw(&Polygon::new(
        vec![
            p(b),
            p((base.0 - uy * w, base.1 + ux * w)),
            p((base.0 + uy * w, base.1 - ux * w)),
        ],
        BLACK.filled(),
    ))?;
    Ok(())
}

impl Figure for FlowFigure {
    fn size(&self) -> (f64, f64) {
        self.layout().size
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        if self.start.is_empty() || self.cohort.is_empty() {
            return Err(PlotError::Empty("a flow diagram without boxes".into()));
        }
        let l = self.layout();
        draw_box(area, s, l.start, &self.start)?;
        draw_box(area, s, l.cohort, &self.cohort)?;
        let cx = l.start.0 + l.start.2 / 2.0;
        arrow(area, s, (cx, l.start.1 + l.start.3), (cx, l.cohort.1))?;
        if let Some(b) = l.excluded {
            draw_box(area, s, b, &self.excluded)?;
            let y = b.1 + b.3 / 2.0;
            arrow(area, s, (cx, y), (b.0, y))?;
        }
        let bottom = l.cohort.1 + l.cohort.3;
        for (b, lines) in l.sets.iter().zip(&self.sets) {
            draw_box(area, s, *b, lines)?;
            let top = (b.0 + b.2 / 2.0, b.1);
            let mid = bottom + (b.1 - bottom) / 2.0;
            let p = |q: (f64, f64)| (s.px(q.0), s.px(q.1));
            area.draw(&PathElement::new(
                vec![p((cx, bottom)), p((cx, mid)), p((top.0, mid))],
                s.stroke(BLACK, 0.8),
            ))?;
            arrow(area, s, (top.0, mid), top)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_do_not_overlap_and_text_is_drawn() {
        let fig = FlowFigure {
            start: vec!["Export rows".into(), "n = 1204".into()],
            excluded: vec![
                "Excluded (n = 124)".into(),
                "survival months unknown (n = 3)".into(),
            ],
            cohort: vec!["Study cohort".into(), "n = 1080, 480 events".into()],
            sets: vec![
                vec!["Development set".into(), "n = 756".into()],
                vec!["Validation set".into(), "n = 324".into()],
            ],
        };
        let l = fig.layout();
        let all = [l.start, l.excluded.unwrap(), l.cohort, l.sets[0], l.sets[1]];
        for (i, a) in all.iter().enumerate() {
            assert!(a.0 >= 0.0 && a.0 + a.2 <= l.size.0 && a.1 + a.3 <= l.size.1);
            for b in &all[i + 1..] {
                let apart =
                    a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
        let r = super::super::Rendering::new(&fig, "flow").unwrap();
        let texts = r.texts();
        for want in ["Export rows", "n = 324", "survival months unknown (n = 3)"] {
            assert!(texts.iter().any(|t| t == want), "{texts:?}");
        }
    }
}
