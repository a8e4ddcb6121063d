//! Survival curves: Kaplan-Meier curves by group (95% bands, censoring marks, median lines, the
//! log-rank p in the legend, a number-at-risk table under the time axis) and predicted survival
//! curves of patient profiles with their 95% bands. Both are step functions drawn by one figure.

use super::{group_colour, Figure, PlotError, Scale, GREY, LABEL_PT, TICK_PT};
use crate::stats::competing::CifCurve;
use crate::stats::cox::{log_limits, PatientCurve};
use crate::stats::km::KaplanMeier;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One step curve with its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCurve {
    pub label: String,
    /// Times of the steps (increasing); S is 1 before the first.
    pub time: Vec<f64>,
    pub surv: Vec<f64>,
    /// 95% limits (NaN where undefined: no band is drawn there).
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Censoring times with the curve's value there (marks).
    pub censored: Vec<(f64, f64)>,
    /// Median survival, when reached.
    pub median: Option<f64>,
    /// Number at risk at each of `risk_time` (for the at-risk table; empty for predictions).
    pub n_risk: Vec<f64>,
    /// Increasing times where the number at risk changes (for a Kaplan-Meier curve its `time`).
    pub risk_time: Vec<f64>,
    /// The value before the first step: 1 for survival, 0 for cumulative incidence.
    pub start: f64,
    /// Colour index (`group_colour`); `None`: the curve's position in the figure.
    pub colour: Option<usize>,
    /// Drawn dashed (a second cause in the same colour as the first).
    pub dashed: bool,
    /// The curve's row label in the number-at-risk table; `None`: no row.
    pub risk_label: Option<String>,
}

impl StepCurve {
    /// A Kaplan-Meier curve.
    pub fn from_km(label: &str, km: &KaplanMeier) -> StepCurve {
        let censored = km
            .time
            .iter()
            .zip(&km.n_censor)
            .zip(&km.surv)
            .filter(|((_, c), _)| **c > 0.0)
            .map(|((t, _), s)| (*t, *s))
            .collect();
        StepCurve {
            label: label.to_string(),
            time: km.time.clone(),
            surv: km.surv.clone(),
            lower: km.lower.clone(),
            upper: km.upper.clone(),
            censored,
            median: km.median().median,
            n_risk: km.n_risk.clone(),
            risk_time: km.time.clone(),
            start: 1.0,
            colour: None,
            dashed: false,
            risk_label: Some(short_label(label).to_string()),
        }
    }

    /// A patient's predicted curve with log-transformed 95% limits.
    pub fn from_prediction(label: &str, curve: &PatientCurve) -> StepCurve {
        let (lower, upper): (Vec<f64>, Vec<f64>) = curve
            .surv
            .iter()
            .zip(&curve.se_cumhaz)
            .map(|(&s, &se)| log_limits(s, se, curve.z))
            .unzip();
        StepCurve {
            label: label.to_string(),
            time: curve.time.clone(),
            surv: curve.surv.clone(),
            lower,
            upper,
            censored: Vec::new(),
            median: crate::stats::cox::median_of_curve(&curve.time, &curve.surv),
            n_risk: Vec::new(),
            risk_time: Vec::new(),
            start: 1.0,
            colour: None,
            dashed: false,
            risk_label: None,
        }
    }

    /// A cumulative incidence curve (Aalen-Johansen) with its pointwise limits, rising from 0;
    /// no row in the at-risk table unless `risk_label` is set.
    pub fn from_cif(label: &str, cif: &CifCurve) -> StepCurve {
        let points: Vec<_> = cif.times.iter().filter_map(|&t| cif.at(t)).collect();
        // subjects with follow-up >= t, at each distinct follow-up time
        let follow_up = cif.follow_up();
        let mut risk_time = follow_up.to_vec();
        risk_time.dedup();
        let n_risk = risk_time
            .iter()
            .map(|&t| (follow_up.len() - follow_up.partition_point(|&u| u < t)) as f64)
            .collect();
        StepCurve {
            label: label.to_string(),
            time: points.iter().map(|p| p.time).collect(),
            surv: points.iter().map(|p| p.estimate).collect(),
            lower: points.iter().map(|p| p.lower).collect(),
            upper: points.iter().map(|p| p.upper).collect(),
            censored: Vec::new(),
            median: None,
            n_risk,
            risk_time,
            start: 0.0,
            colour: None,
            dashed: false,
            risk_label: None,
        }
    }

    /// Number at risk at time t (subjects with T >= t), from the curve's rows.
    fn at_risk(&self, t: f64) -> f64 {
        let j = self.risk_time.partition_point(|&x| x < t);
        self.n_risk.get(j).copied().unwrap_or(0.0)
    }

    /// The step path from (0, start) to (t_max, S(t_max)) of values `v`.
    fn steps(&self, v: &[f64], t_max: f64) -> Vec<(f64, f64)> {
        let mut pts = vec![(0.0, self.start)];
        let mut last = self.start;
        for (&t, &s) in self.time.iter().zip(v) {
            if t > t_max {
                break;
            }
            if s.is_nan() {
                break;
            }
            pts.push((t, last));
            pts.push((t, s));
            last = s;
        }
        pts.push((t_max, last));
        pts
    }
}

/// The label in the number-at-risk table: without a parenthesised detail.
fn short_label(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// Survival curves in one figure.
pub struct SurvivalFigure {
    pub curves: Vec<StepCurve>,
    pub time_unit: Option<String>,
    pub y_label: String,
    pub title: Option<String>,
    /// A line added to the legend, e.g. "Log-rank p < 0.001".
    pub note: Option<String>,
    pub bands: bool,
    pub censor_marks: bool,
    pub median_lines: bool,
    /// Times of the number-at-risk table (none: no table).
    pub risk_table: Vec<f64>,
    /// Right end of the time axis (default: the last time of any curve).
    pub t_max: Option<f64>,
    /// The legend in the upper left corner (rising curves) rather than the upper right.
    pub legend_left: bool,
}

impl SurvivalFigure {
    /// Kaplan-Meier curves with every element of a publication figure.
    pub fn km(curves: Vec<StepCurve>, time_unit: Option<String>, note: Option<String>) -> Self {
        let t_max = last_time(&curves);
        let risk_table = super::ticks(0.0, t_max, 6);
        SurvivalFigure {
            curves,
            time_unit,
            y_label: "Survival probability".into(),
            title: None,
            note,
            bands: true,
            censor_marks: true,
            median_lines: true,
            risk_table,
            t_max: None,
            legend_left: false,
        }
    }

    /// Predicted curves of patient profiles with 95% bands.
    pub fn predictions(curves: Vec<StepCurve>, time_unit: Option<String>) -> Self {
        SurvivalFigure {
            curves,
            time_unit,
            y_label: "Predicted survival probability".into(),
            title: None,
            note: None,
            bands: true,
            censor_marks: false,
            median_lines: false,
            risk_table: Vec::new(),
            t_max: None,
            legend_left: false,
        }
    }

    /// Cumulative incidence curves with 95% bands, a legend line `note` (Gray's test) and a
    /// number-at-risk table with the rows of the curves that have a `risk_label`.
    pub fn cumulative_incidence(
        curves: Vec<StepCurve>,
        time_unit: Option<String>,
        note: Option<String>,
    ) -> Self {
        let t_max = last_time(&curves);
        SurvivalFigure {
            curves,
            time_unit,
            y_label: "Cumulative incidence".into(),
            title: None,
            note,
            bands: true,
            censor_marks: false,
            median_lines: false,
            risk_table: super::ticks(0.0, t_max, 6),
            t_max: None,
            legend_left: true,
        }
    }

    fn rows_below(&self) -> usize {
        if self.risk_table.is_empty() {
            0
        } else {
            self.risk_rows().count() + 1
        }
    }

    /// The curves with a row in the number-at-risk table, with their row labels.
    fn risk_rows(&self) -> impl Iterator<Item = (usize, &StepCurve, &str)> {
        self.curves
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.risk_label.as_deref().map(|l| (i, c, l)))
    }
}

/// The last step or follow-up time of any curve.
fn last_time(curves: &[StepCurve]) -> f64 {
    curves
        .iter()
        .flat_map(|c| c.time.last().into_iter().chain(c.risk_time.last()))
        .fold(0.0, |a, &b| a.max(b))
}

const W_PT: f64 = 480.0;
const PLOT_H_PT: f64 = 300.0;
const RISK_ROW_PT: f64 = 13.0;

impl Figure for SurvivalFigure {
    fn size(&self) -> (f64, f64) {
        let table = if self.rows_below() > 0 {
            RISK_ROW_PT * (self.rows_below() as f64 + 1.0) + 6.0
        } else {
            0.0
        };
        let title = if self.title.is_some() { 18.0 } else { 0.0 };
        (W_PT, PLOT_H_PT + table + title)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        if self.curves.is_empty() {
            return Err(PlotError::Empty("no survival curve".into()));
        }
        let t_max = self
            .t_max
            .unwrap_or_else(|| last_time(&self.curves))
            .max(1e-9);
        let top = if self.title.is_some() { 18.0 } else { 0.0 };
        let (title_area, rest) = area.split_vertically(s.px(top));
        if let Some(t) = &self.title {
            title_area.draw_text(
                t,
                &s.bold(super::TITLE_PT)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
                (s.px(W_PT / 2.0), s.px(top / 2.0 + 2.0)),
            )?;
        }
        let (plot_area, table_area) = rest.split_vertically(s.px(PLOT_H_PT));
        // left margin wide enough for the at-risk table's group labels, then a gap, then half
        // of the widest count centred on the time axis's first tick
        let label_need = if self.rows_below() > 0 {
            let label_w = self
                .risk_rows()
                .map(|(_, _, l)| s.text_width(l, TICK_PT))
                .fold(0.0, f64::max);
            let first_count_w = match self.risk_table.first() {
                Some(&t0) => self
                    .risk_rows()
                    .map(|(_, c, _)| {
                        s.text_width(&format!("{}", c.at_risk(t0).round() as i64), TICK_PT)
                    })
                    .fold(0.0, f64::max),
                None => 0.0,
            };
            let header_w = s.bold_text_width("Number at risk", TICK_PT);
            (label_w + s.f(10.0) + first_count_w / 2.0).max(header_w - s.f(12.0))
        } else {
            0.0
        };
        let y_area = (s.f(46.0) - s.f(12.0)).max(label_need);
        let unit = self.time_unit.as_deref().unwrap_or("time units");
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_top(s.px(10.0))
            .margin_right(s.px(16.0))
            .margin_left(s.px(12.0))
            .x_label_area_size(s.px(34.0))
            .y_label_area_size(y_area.round() as i32)
            .build_cartesian_2d(0.0..t_max, 0.0..1.0)?;
        let x_ticks = super::ticks(0.0, t_max, 6);
        let n_x = x_ticks.len();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n_x.max(2))
            .y_labels(6)
            .x_label_formatter(&|v| super::tick_label(*v))
            .y_label_formatter(&|v| super::tick_label(*v))
            .x_desc(format!("Time ({unit})"))
            .y_desc(self.y_label.clone())
            .label_style(s.text(TICK_PT))
            .axis_desc_style(s.text(LABEL_PT))
            .axis_style(s.stroke(BLACK, 0.8))
            .set_all_tick_mark_size(s.px(3.0))
            .draw()?;
        for (i, c) in self.curves.iter().enumerate() {
            let colour = group_colour(c.colour.unwrap_or(i));
            if self.bands {
                let lo = c.steps(&c.lower, t_max);
                let hi = c.steps(&c.upper, t_max);
                let n = lo.len().min(hi.len());
                let mut poly: Vec<(f64, f64)> = hi[..n].to_vec();
                poly.extend(lo[..n].iter().rev());
                chart.draw_series(std::iter::once(Polygon::new(
                    poly,
                    colour.mix(0.15).filled(),
                )))?;
            }
            let path = c.steps(&c.surv, t_max);
            let series = if c.dashed {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    path,
                    s.px(5.0),
                    s.px(3.0),
                    s.stroke(colour, 1.4),
                )))?
            } else {
                chart.draw_series(LineSeries::new(path, s.stroke(colour, 1.4)))?
            };
            let dashed = c.dashed;
            series.label(c.label.clone()).legend(move |(x, y)| {
                let line = vec![(x, y), (x + s.px(16.0), y)];
                if dashed {
                    DashedPathElement::new(line, s.px(5.0), s.px(3.0), s.stroke(colour, 1.6))
                        .into_dyn()
                } else {
                    PathElement::new(line, s.stroke(colour, 1.6)).into_dyn()
                }
            });
            if self.censor_marks {
                let half = s.px(2.5);
                let style = s.stroke(colour, 0.8);
                chart.draw_series(c.censored.iter().filter(|p| p.0 <= t_max).map(|&p| {
                    EmptyElement::at(p) + PathElement::new(vec![(0, -half), (0, half)], style)
                }))?;
            }
            if self.median_lines {
                if let Some(m) = c.median.filter(|m| *m <= t_max) {
                    chart.draw_series(std::iter::once(DashedPathElement::new(
                        vec![(0.0, 0.5), (m, 0.5), (m, 0.0)],
                        s.px(3.0),
                        s.px(2.0),
                        s.stroke(GREY, 0.7),
                    )))?;
                }
            }
        }
        if let Some(note) = &self.note {
            // an invisible series carries the note into the legend
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(note.clone())
                .legend(|(x, y)| Circle::new((x, y), 0, WHITE.filled()));
        }
        chart
            .configure_series_labels()
            .position(if self.legend_left {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::UpperRight
            })
            .margin(s.px(6.0))
            .legend_area_size(s.px(20.0))
            .border_style(s.stroke(RGBColor(200, 200, 200), 0.5))
            .background_style(WHITE.mix(0.9))
            .label_font(s.text(TICK_PT))
            .draw()?;

        // number-at-risk table, aligned with the time axis
        if self.rows_below() > 0 {
            let area = chart.plotting_area();
            let row_h = s.px(RISK_ROW_PT);
            let y0 = s.px(6.0);
            let left = s.px(12.0);
            table_area.draw_text(
                "Number at risk",
                &s.bold(TICK_PT).pos(Pos::new(HPos::Left, VPos::Center)),
                (left, y0 + row_h / 2),
            )?;
            for (row, (i, c, label)) in self.risk_rows().enumerate() {
                let y = y0 + row_h * (row as i32 + 1) + row_h / 2;
                table_area.draw_text(
                    label,
                    &s.text(TICK_PT)
                        .color(&group_colour(c.colour.unwrap_or(i)))
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                    (left, y),
                )?;
                for &t in &self.risk_table {
                    let x_in_table =
                        area.map_coordinate(&(t, 0.0)).0 - table_area.get_base_pixel().0;
                    table_area.draw_text(
                        &format!("{}", c.at_risk(t).round() as i64),
                        &s.text(TICK_PT).pos(Pos::new(HPos::Center, VPos::Center)),
                        (x_in_table, y),
                    )?;
                }
            }
        }
        Ok(())
    }
}
