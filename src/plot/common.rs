//! What the validation figures share: text sizes that are the points they say, a frame (plot
//! rectangle and axis ranges) laid out in points before drawing, axes drawn by `plotters`'
//! `ChartBuilder`, legends placed where they cover no data, and line clipping.

use super::{font, tick_label, ticks, PlotError, Scale, LIGHT_GREY};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// `plotters`' SVG backend writes `font-size` as the style's size divided by 1.24, so a text
/// style of `pt × SVG_EM` is set at `pt` points.
const SVG_EM: f64 = font::PLOTTERS_EM;

/// The height of a line of DejaVu Sans (ascent − descent = 2384 of 2048 units) per point of its
/// size.
const LINE: f64 = 2384.0 / 2048.0;

/// Text sizes of the validation figures, in points (the em of the text in every format).
pub const TITLE: f64 = 11.0;
pub const AXIS_TITLE: f64 = 10.0;
pub const TICK: f64 = 9.0;
pub const KEY: f64 = 8.5;

/// Tick marks, outward, in points.
const TICK_LEN: f64 = 3.5;

/// A text style whose em is `pt` points in the SVG.
pub fn text(s: Scale, pt: f64) -> TextStyle<'static> {
    s.text(pt * SVG_EM)
}

/// The width in points of `text` at `pt` points, as it is drawn.
pub fn width(text: &str, pt: f64) -> f64 {
    font::text_width(text, pt, false)
}

/// The figure's rectangle in points and the axis ranges: where everything goes, computed before
/// drawing so that the figure's size can depend on it (a legend that finds no room inside the
/// plot goes below it).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Figure width and height.
    pub width: f64,
    pub height: f64,
    /// Plot rectangle: left, top, right, bottom edges from the figure's top-left corner.
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub x_ticks: Vec<f64>,
    pub y_ticks: Vec<f64>,
}

/// Room for the y tick labels and the rotated y-axis title, left of the plot, in points.
pub fn y_label_room(y_ticks: &[f64]) -> f64 {
    let widest = y_ticks
        .iter()
        .map(|&v| width(&tick_label(v), TICK))
        .fold(0.0, f64::max);
    // tick, gap of one tick length (plotters' label distance is twice the tick), labels, gap,
    // title
    2.0 * TICK_LEN + widest + 6.0 + AXIS_TITLE * LINE
}

/// Room for the x tick labels and the x-axis title below the plot, in points.
pub fn x_label_room() -> f64 {
    2.0 * TICK_LEN + 1.1 * TICK * LINE + 5.0 + 1.15 * AXIS_TITLE * LINE
}

impl Frame {
    /// Data to figure coordinates (points).
    pub fn at(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left),
            self.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * (self.bottom - self.top),
        )
    }

    /// Points per data unit along x.
    #[cfg(test)]
    pub fn x_scale(&self) -> f64 {
        (self.right - self.left) / (self.x.1 - self.x.0)
    }

    /// Points per data unit along y.
    #[cfg(test)]
    pub fn y_scale(&self) -> f64 {
        (self.bottom - self.top) / (self.y.1 - self.y.0)
    }

    /// The chart: axes at the left and bottom with the frame's ticks and the titles, no grid.
    pub fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        s: Scale,
        x_title: &str,
        y_title: &str,
    ) -> Result<Chart<'a, DB>, PlotError> {
        self.chart_labelled(area, s, x_title, y_title, &|v: &f64| tick_label(*v))
    }

    /// As [`Frame::chart`], with the x tick labels made by `x_label` (e.g. times at the ticks of
    /// a transformed time axis).
    pub fn chart_labelled<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        s: Scale,
        x_title: &str,
        y_title: &str,
        x_label: &dyn Fn(&f64) -> String,
    ) -> Result<Chart<'a, DB>, PlotError> {
        let left_room = self.left - MARGIN;
        let mut chart = ChartBuilder::on(area)
            .margin_left(s.px(MARGIN))
            .margin_top(s.px(self.top))
            .margin_right(s.px(self.width - self.right))
            .margin_bottom(s.px(self.height - self.bottom - x_label_room()))
            .x_label_area_size(s.px(x_label_room()))
            .y_label_area_size(s.px(left_room))
            .build_cartesian_2d(
                Axis {
                    range: self.x.0..self.x.1,
                    ticks: self.x_ticks.clone(),
                },
                Axis {
                    range: self.y.0..self.y.1,
                    ticks: self.y_ticks.clone(),
                },
            )?;
        let formatter = |v: &f64| tick_label(*v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_title)
            .y_desc(y_title)
            .axis_desc_style(text(s, AXIS_TITLE))
            .label_style(text(s, TICK))
            .x_label_formatter(x_label)
            .y_label_formatter(&formatter)
            .axis_style(s.stroke(BLACK, 0.8))
            .set_all_tick_mark_size(s.px(TICK_LEN))
            .draw()?;
        Ok(chart)
    }

    /// The title, centred over the plot.
    pub fn title<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
        title: &str,
    ) -> Result<(), PlotError> {
        let style = text(s, TITLE).pos(Pos::new(HPos::Center, VPos::Center));
        let x = (self.left + self.right) / 2.0;
        area.draw_text(title, &style, (s.px(x), s.px(TITLE_BAND / 2.0 + 2.0)))?;
        Ok(())
    }
}

/// Space above the plot for the title, in points.
pub const TITLE_BAND: f64 = 24.0;
/// Margin at the figure's left, right and bottom edges, in points.
pub const MARGIN: f64 = 6.0;

/// A chart of the frame.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// A linear axis whose tick marks and labels are exactly the given values (R's `pretty()`
/// values, where `plotters` would choose its own), mapped to pixels as `plotters`' `f64` axis.
#[derive(Debug, Clone)]
pub struct Axis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.range.start, self.range.end);
        if hi == lo {
            return (limit.1 - limit.0) / 2;
        }
        let logic = (v - lo) / (hi - lo);
        let length = limit.1 - limit.0;
        if length == 0 {
            return limit.1;
        }
        if logic.is_infinite() {
            return if logic > 0.0 { limit.1 } else { limit.0 };
        }
        if length > 0 {
            limit.0 + (f64::from(length) * logic + 1e-3).floor() as i32
        } else {
            limit.0 + (f64::from(length) * logic - 1e-3).ceil() as i32
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // no light (grid) points: only the ticks
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The axis maximum for values up to `max` (probabilities): 1 when `max` is above 0.8,
/// otherwise the first of 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8 with 3% to spare.
pub fn probability_max(max: f64) -> f64 {
    const STEPS: [f64; 10] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8];
    STEPS
        .iter()
        .copied()
        .find(|&m| max * 1.03 <= m)
        .unwrap_or(1.0)
}

/// Ticks of a probability axis from 0 to `max`: R's `pretty()` values, about 5.
pub fn probability_ticks(max: f64) -> Vec<f64> {
    ticks(0.0, max, 5)
}

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
pub enum Key {
    /// A line of `width` points, dashed or solid.
    Line {
        colour: RGBColor,
        width: f64,
        dashed: bool,
    },
    /// A filled circle with a vertical bar through it (an estimate with its interval).
    PointBar { colour: RGBColor },
    /// A cross marker on a line.
    CrossLine { colour: RGBColor },
    /// A filled block.
    Block { colour: RGBColor },
}

/// A legend: keys with labels, one per row.
#[derive(Debug, Clone)]
pub struct Legend {
    pub entries: Vec<(Key, String)>,
}

const KEY_W: f64 = 20.0;
const ROW: f64 = 12.5;
const PAD: f64 = 5.0;

impl Legend {
    /// Width and height in points.
    pub fn size(&self) -> (f64, f64) {
        let text_w = self
            .entries
            .iter()
            .map(|(_, l)| width(l, KEY))
            .fold(0.0, f64::max);
        (
            2.0 * PAD + KEY_W + 5.0 + text_w,
            2.0 * PAD + ROW * self.entries.len() as f64,
        )
    }

    /// Draws the legend with its top-left corner at `at` (points), on a white ground.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
        at: (f64, f64),
    ) -> Result<(), PlotError> {
        let (w, h) = self.size();
        area.draw(&Rectangle::new(
            [(s.px(at.0), s.px(at.1)), (s.px(at.0 + w), s.px(at.1 + h))],
            WHITE.filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(s.px(at.0), s.px(at.1)), (s.px(at.0 + w), s.px(at.1 + h))],
            s.stroke(LIGHT_GREY, 0.6),
        ))?;
        let style = text(s, KEY).pos(Pos::new(HPos::Left, VPos::Center));
        for (k, (key, label)) in self.entries.iter().enumerate() {
            let y = at.1 + PAD + ROW * (k as f64 + 0.5);
            let (x0, x1) = (at.0 + PAD, at.0 + PAD + KEY_W);
            let xm = (x0 + x1) / 2.0;
            let p = |x: f64, y: f64| (s.px(x), s.px(y));
            match *key {
                Key::Line {
                    colour,
                    width,
                    dashed,
                } => {
                    if dashed {
                        area.draw(&DashedPathElement::new(
                            vec![p(x0, y), p(x1, y)],
                            s.px(DASH.0),
                            s.px(DASH.1),
                            s.stroke(colour, width),
                        ))?;
                    } else {
                        area.draw(&PathElement::new(
                            vec![p(x0, y), p(x1, y)],
                            s.stroke(colour, width),
                        ))?;
                    }
                }
                Key::PointBar { colour } => {
                    area.draw(&PathElement::new(
                        vec![p(xm, y - 4.5), p(xm, y + 4.5)],
                        s.stroke(colour, BAR_WIDTH),
                    ))?;
                    area.draw(&Circle::new(p(xm, y), s.px(POINT_R), colour.filled()))?;
                }
                Key::CrossLine { colour } => {
                    area.draw(&PathElement::new(
                        vec![p(x0, y), p(x1, y)],
                        s.stroke(colour, 0.8),
                    ))?;
                    draw_cross(area, s, (xm, y), colour)?;
                }
                Key::Block { colour } => {
                    area.draw(&Rectangle::new(
                        [p(x0 + 4.0, y - 3.5), p(x1 - 4.0, y + 3.5)],
                        colour.filled(),
                    ))?;
                }
            }
            area.draw_text(label, &style, p(x1 + 5.0, y))?;
        }
        Ok(())
    }
}

/// Dash and gap of dashed lines, in points.
pub const DASH: (f64, f64) = (4.0, 3.0);
/// Radius of point markers, in points.
pub const POINT_R: f64 = 2.6;
/// Width of interval bars, in points.
pub const BAR_WIDTH: f64 = 0.9;

/// A cross (×) marker centred at `at` (points).
pub fn draw_cross<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Scale,
    at: (f64, f64),
    colour: RGBColor,
) -> Result<(), PlotError> {
    let r = 3.0;
    let p = |dx: f64, dy: f64| (s.px(at.0 + dx), s.px(at.1 + dy));
    area.draw(&PathElement::new(
        vec![p(-r, -r), p(r, r)],
        s.stroke(colour, 1.2),
    ))?;
    area.draw(&PathElement::new(
        vec![p(-r, r), p(r, -r)],
        s.stroke(colour, 1.2),
    ))?;
    Ok(())
}

/// Points (in figure points) that a legend must not cover: every drawn point, and points every
/// 1.5 points along every drawn line.
#[derive(Debug, Clone, Default)]
pub struct Obstacles(pub Vec<(f64, f64)>);

impl Obstacles {
    pub fn point(&mut self, p: (f64, f64), radius: f64) {
        for (dx, dy) in [
            (0.0, 0.0),
            (-1.0, -1.0),
            (-1.0, 1.0),
            (1.0, -1.0),
            (1.0, 1.0),
        ] {
            self.0.push((p.0 + dx * radius, p.1 + dy * radius));
        }
    }

    pub fn line(&mut self, pts: &[(f64, f64)]) {
        if let Some(&first) = pts.first() {
            self.0.push(first);
        }
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = (b.0 - a.0).hypot(b.1 - a.1);
            let steps = (len / 1.5).ceil().max(1.0) as usize;
            for k in 1..=steps {
                let t = k as f64 / steps as f64;
                self.0.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            }
        }
    }

    /// Whether the box at `at` of size `size` (points), grown by `pad`, holds any point.
    pub fn hit(&self, at: (f64, f64), size: (f64, f64), pad: f64) -> bool {
        self.0.iter().any(|&(x, y)| {
            x >= at.0 - pad
                && x <= at.0 + size.0 + pad
                && y >= at.1 - pad
                && y <= at.1 + size.1 + pad
        })
    }
}

/// The first of `candidates` (top-left corners) where a box of `size` covers no obstacle.
pub fn place(
    size: (f64, f64),
    candidates: &[(f64, f64)],
    obstacles: &Obstacles,
) -> Option<(f64, f64)> {
    candidates
        .iter()
        .copied()
        .find(|&at| !obstacles.hit(at, size, 3.0))
}

/// Where a legend box of `size` goes: the first of `candidates` inside the plot where it covers
/// no obstacle, or else centred under the figure, which then grows to make room.
pub fn place_legend(
    frame: &mut Frame,
    size: (f64, f64),
    candidates: &[(f64, f64)],
    obstacles: &Obstacles,
) -> (f64, f64) {
    if let Some(at) = place(size, candidates, obstacles) {
        return at;
    }
    let (lw, lh) = size;
    let at = (
        ((frame.left + frame.right) / 2.0 - lw / 2.0).max(MARGIN),
        frame.height - MARGIN + 4.0,
    );
    frame.height = (frame.height + lh + 8.0).ceil();
    at
}

/// The parts of a polyline inside the rectangle [x0, x1] × [y0, y1] (data units): each segment
/// clipped (Liang–Barsky), consecutive pieces joined.
pub fn clip(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let flush = |current: &mut Vec<(f64, f64)>, runs: &mut Vec<Vec<(f64, f64)>>| {
        if current.len() > 1 {
            runs.push(std::mem::take(current));
        }
        current.clear();
    };
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], x, y) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    flush(&mut current, &mut runs);
                    current.push(a);
                }
                current.push(b);
                if b != w[1] {
                    flush(&mut current, &mut runs);
                }
            }
            None => flush(&mut current, &mut runs),
        }
    }
    flush(&mut current, &mut runs);
    runs
}

fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// "1 year", "18 months", "36.5 days", or "time 12" without a unit
/// ([`crate::report::format::horizon_label`]).
pub fn horizon_text(t: f64, unit: Option<&str>) -> String {
    crate::report::format::horizon_label(t, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping() {
        let pts = [(0.0, 0.0), (1.0, 1.0), (2.0, -1.0), (3.0, 0.5)];
        let runs = clip(&pts, (0.0, 3.0), (-0.5, 2.0));
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0][0], (0.0, 0.0));
        assert_eq!(runs[0][1], (1.0, 1.0));
        assert!((runs[0][2].1 + 0.5).abs() < 1e-12 && (runs[0][2].0 - 1.75).abs() < 1e-12);
        assert!((runs[1][0].1 + 0.5).abs() < 1e-12);
        assert_eq!(*runs[1].last().unwrap(), (3.0, 0.5));
        // entirely outside
        assert!(clip(&[(0.0, 5.0), (1.0, 6.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
        // entirely inside: unchanged
        assert_eq!(
            clip(&pts[..2], (0.0, 3.0), (-1.0, 2.0)),
            vec![pts[..2].to_vec()]
        );
    }

    #[test]
    fn probability_axes() {
        assert_eq!(probability_max(0.93), 1.0);
        assert_eq!(probability_max(0.45), 0.5);
        assert_eq!(probability_max(0.49), 0.6);
        assert_eq!(probability_max(0.04), 0.05);
        assert_eq!(probability_ticks(1.0), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(horizon_text(36.0, Some("months")), "3 years");
        assert_eq!(horizon_text(30.0, Some("months")), "30 months");
        assert_eq!(horizon_text(36.0, None), "time 36");
    }

    #[test]
    fn obstacles_and_placement() {
        let mut o = Obstacles::default();
        o.line(&[(0.0, 0.0), (100.0, 100.0)]);
        // a box on the diagonal is hit, one below it is not
        assert!(o.hit((40.0, 40.0), (10.0, 10.0), 0.0));
        assert!(!o.hit((60.0, 10.0), (30.0, 20.0), 0.0));
        let at = place((30.0, 20.0), &[(40.0, 40.0), (60.0, 10.0)], &o);
        assert_eq!(at, Some((60.0, 10.0)));
    }
}
