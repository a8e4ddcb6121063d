//! Residual plots of a Cox model, one panel per term or covariate:
//! - the scaled Schoenfeld residuals of `cox.zph` against transformed time, with a natural-spline
//!   smooth and its band of ±2 standard errors (as `plot(cox.zph(fit))`) and a line at the
//!   coefficient: a smooth that is not flat is an effect that changes with time;
//! - martingale residuals against a continuous covariate with a smooth: a curve that is not flat
//!   suggests the covariate's functional form is wrong (Therneau, Grambsch & Fleming 1990).
//!
//! The smooth is [`crate::stats::smooth::natural_spline`] (df 4, 40 grid points, as R).

use super::common::{self, Frame, MARGIN, TITLE_BAND};
use super::{tick_label, ticks, Figure, PlotError, Scale, GREY};
use crate::model::spec::{CovariateKind, ModelSpec};
use crate::stats::cox::{CoxFit, Design};
use crate::stats::smooth::{natural_spline, Smooth};
use crate::stats::zph::{Zph, ZphTransform};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Degrees of freedom and grid of the smooth, as `plot.cox.zph`'s defaults.
const DF: usize = 4;
const GRID: usize = 40;

/// A polyline in data coordinates.
pub type Line = Vec<(f64, f64)>;

/// One panel: points, a smooth, an optional band and an optional reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualPanel {
    pub title: String,
    pub x_title: String,
    pub y_title: String,
    pub points: Vec<(f64, f64)>,
    pub smooth: Vec<(f64, f64)>,
    /// Lower and upper edges of the band, on the smooth's grid.
    pub band: Option<(Line, Line)>,
    /// A horizontal reference line (dashed).
    pub reference: Option<f64>,
    /// x tick positions with their labels (times on a transformed time axis); `None`: R's
    /// `pretty()` ticks labelled with their values.
    pub x_ticks: Option<Vec<(f64, String)>>,
}

/// Panels in a grid of up to three columns under one title.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualFigure {
    pub title: String,
    pub panels: Vec<ResidualPanel>,
}

const PANEL_W: f64 = 230.0;
const PANEL_H: f64 = 190.0;
const HEAD: f64 = 22.0;

impl ResidualFigure {
    fn columns(&self) -> usize {
        self.panels.len().clamp(1, 3)
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.columns()).max(1)
    }
}

fn smooth_line(s: &Smooth) -> Vec<(f64, f64)> {
    s.x.iter().copied().zip(s.fit.iter().copied()).collect()
}

/// Linear interpolation of (x, y) pairs sorted by x with distinct x, at `at` (clamped to the
/// range, as R's `approx` with `rule = 2`).
fn interpolate(pairs: &[(f64, f64)], at: f64) -> f64 {
    match pairs.iter().position(|p| p.0 >= at) {
        None => pairs[pairs.len() - 1].1,
        Some(0) => pairs[0].1,
        Some(k) => {
            let (a, b) = (pairs[k - 1], pairs[k]);
            a.1 + (at - a.0) / (b.0 - a.0) * (b.1 - a.1)
        }
    }
}

/// Rounds to two significant digits, as R's `signif(v, 2)`.
fn signif2(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let k = 10f64.powi(1 - v.abs().log10().floor() as i32);
    (v * k).round() / k
}

/// Sorted by the first element, first occurrence of each distinct value kept.
fn distinct_sorted(mut pairs: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    pairs.dedup_by(|b, a| a.0 == b.0);
    pairs
}

/// Time labels on a km or rank axis, as `plot.cox.zph`: at 8 evenly spaced transformed values,
/// the times there rounded to 2 significant digits, placed where those times fall.
fn time_ticks(z: &Zph) -> Option<Vec<(f64, String)>> {
    if matches!(z.transform, ZphTransform::Identity | ZphTransform::Log) || z.x.len() < 2 {
        return None;
    }
    let by_x = distinct_sorted(z.x.iter().copied().zip(z.time.iter().copied()).collect());
    let by_t = distinct_sorted(z.time.iter().copied().zip(z.x.iter().copied()).collect());
    if by_x.len() < 2 || by_t.len() < 2 {
        return None;
    }
    let (lo, hi) = (by_x[0].0, by_x[by_x.len() - 1].0);
    let mut out: Vec<(f64, String)> = (1..=8)
        .map(|i| {
            let at = lo + (hi - lo) * (2 * i) as f64 / 16.0;
            let t = signif2(interpolate(&by_x, at));
            (interpolate(&by_t, t), tick_label(t))
        })
        .collect();
    out.dedup_by(|b, a| a.1 == b.1);
    Some(out)
}

/// The scaled Schoenfeld residual panels of a `cox.zph` result: one per term, with the smooth,
/// its ±2 standard-error band (`2 sqrt(var[j,j] p'(X'X)^-1 p)`, as `plot.cox.zph`) and a line at
/// `reference[j]` (the coefficient of a one-column term). A term whose smooth cannot be fitted
/// (too few distinct times) is left out.
pub fn zph_figure(z: &Zph, reference: &[Option<f64>], p_values: bool) -> ResidualFigure {
    let nt = z.terms.len();
    let x_title = match z.transform {
        ZphTransform::Identity => "Time".to_string(),
        ZphTransform::Log => "log(time)".to_string(),
        ZphTransform::Km => "Time (spaced as 1 − Kaplan–Meier)".to_string(),
        ZphTransform::Rank => "Time (spaced by rank)".to_string(),
    };
    let x_ticks = time_ticks(z);
    let mut panels = Vec::new();
    for (j, test) in z.terms.iter().enumerate() {
        let (xs, ys): (Vec<f64>, Vec<f64>) =
            z.x.iter()
                .zip(z.y.iter().skip(j).step_by(nt))
                .filter(|(_, y)| y.is_finite())
                .map(|(x, y)| (*x, *y))
                .unzip();
        let Ok(s) = natural_spline(&xs, &ys, DF, GRID) else {
            continue;
        };
        let v = z.var[j * nt + j].max(0.0);
        let edge = |sign: f64| {
            s.x.iter()
                .zip(&s.fit)
                .zip(&s.se_factor)
                .map(|((x, f), e)| (*x, f + sign * 2.0 * (v * e * e).sqrt()))
                .collect::<Vec<_>>()
        };
        let title = if p_values {
            format!(
                "{}  (p {})",
                test.term,
                crate::report::format::p_phrase(test.p)
            )
        } else {
            test.term.clone()
        };
        panels.push(ResidualPanel {
            title,
            x_title: x_title.clone(),
            y_title: format!("β(t) for {}", test.term),
            points: xs.into_iter().zip(ys).collect(),
            smooth: smooth_line(&s),
            band: Some((edge(-1.0), edge(1.0))),
            reference: reference.get(j).copied().flatten(),
            x_ticks: x_ticks.clone(),
        });
    }
    ResidualFigure {
        title: "Scaled Schoenfeld residuals (proportional hazards)".into(),
        panels,
    }
}

/// Martingale residuals against each covariate of `covariates` (name and value per row), with
/// the natural-spline smooth and a line at 0. A covariate with fewer than 4 distinct values is
/// left out.
pub fn martingale_figure(covariates: &[(String, Vec<f64>)], martingale: &[f64]) -> ResidualFigure {
    let panels = covariates
        .iter()
        .filter_map(|(name, x)| {
            let s = natural_spline(x, martingale, DF, GRID).ok()?;
            Some(ResidualPanel {
                title: name.clone(),
                x_title: name.clone(),
                y_title: "Martingale residual".into(),
                points: x.iter().copied().zip(martingale.iter().copied()).collect(),
                smooth: smooth_line(&s),
                band: None,
                reference: Some(0.0),
                x_ticks: None,
            })
        })
        .collect();
    ResidualFigure {
        title: "Martingale residuals (functional form)".into(),
        panels,
    }
}

/// The two figures of a fitted model: the scaled Schoenfeld residuals of `z` (a line at each
/// one-column term's coefficient, at 1 for a factor's term, whose residual is that of its linear
/// predictor; p-values in the titles) and the martingale residuals against the numeric covariates
/// of `spec` (columns of `design`).
pub fn model_figures(
    spec: &ModelSpec,
    fit: &CoxFit,
    design: &Design,
    z: &Zph,
    martingale: &[f64],
) -> (ResidualFigure, ResidualFigure) {
    let reference: Vec<Option<f64>> = spec
        .zph_terms()
        .iter()
        .map(|t| match t.columns.as_slice() {
            [c] => fit.coef.get(*c).copied(),
            _ => Some(1.0),
        })
        .collect();
    let mut offset = 0;
    let mut numeric = Vec::new();
    for c in &spec.covariates {
        if matches!(c.kind, CovariateKind::Numeric) {
            let x: Vec<f64> = (0..design.n).map(|i| design.row(i)[offset]).collect();
            numeric.push((c.name.clone(), x));
        }
        offset += c.terms().len();
    }
    (
        zph_figure(z, &reference, true),
        martingale_figure(&numeric, martingale),
    )
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= 0.0 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

impl ResidualPanel {
    /// The panel's frame, and its x tick labels (those of `x_ticks` thinned so that none overlap).
    fn frame(&self) -> (Frame, Option<Vec<(f64, String)>>) {
        let x = range(self.points.iter().map(|p| p.0));
        let band = self
            .band
            .iter()
            .flat_map(|(a, b)| a.iter().chain(b).map(|p| p.1));
        let y = range(
            self.points
                .iter()
                .map(|p| p.1)
                .chain(self.smooth.iter().map(|p| p.1))
                .chain(band)
                .chain(self.reference),
        );
        let x_ticks = match &self.x_ticks {
            Some(t) => t.iter().map(|p| p.0).collect(),
            None => ticks(x.0, x.1, 5),
        };
        let y_ticks = ticks(y.0, y.1, 5);
        let left = MARGIN + common::y_label_room(&y_ticks);
        let mut frame = Frame {
            width: PANEL_W,
            height: PANEL_H,
            left,
            top: TITLE_BAND,
            right: PANEL_W - 10.0,
            bottom: PANEL_H - MARGIN - common::x_label_room(),
            x,
            y,
            x_ticks,
            y_ticks,
        };
        let labels = self.x_ticks.as_ref().map(|t| {
            let mut kept: Vec<(f64, String)> = Vec::new();
            let mut last_edge = f64::NEG_INFINITY;
            for (pos, label) in t {
                let at = frame.at(*pos, frame.y.0).0;
                let half = common::width(label, common::TICK) / 2.0;
                if at - half >= last_edge + 4.0 && *pos >= x.0 && *pos <= x.1 {
                    kept.push((*pos, label.clone()));
                    last_edge = at + half;
                }
            }
            kept
        });
        if let Some(l) = &labels {
            frame.x_ticks = l.iter().map(|p| p.0).collect();
        }
        (frame, labels)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        let (frame, labels) = self.frame();
        frame.title(area, s, &self.title)?;
        let x_label = move |v: &f64| match &labels {
            Some(t) => t
                .iter()
                .find(|p| (p.0 - v).abs() <= 1e-9 * (1.0 + v.abs()))
                .map_or_else(|| tick_label(*v), |p| p.1.clone()),
            None => tick_label(*v),
        };
        let mut chart = frame.chart_labelled(area, s, &self.x_title, &self.y_title, &x_label)?;
        let r = s.f(1.1).max(1.0) as i32;
        chart.draw_series(
            self.points
                .iter()
                .map(|&p| Circle::new(p, r, s.stroke(GREY, 0.5))),
        )?;
        if let Some(y) = self.reference {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(frame.x.0, y), (frame.x.1, y)],
                s.px(common::DASH.0),
                s.px(common::DASH.1),
                s.stroke(RGBColor(213, 94, 0), 1.0),
            )))?;
        }
        if let Some((lo, hi)) = &self.band {
            let mut poly = lo.clone();
            poly.extend(hi.iter().rev());
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                RGBColor(0, 114, 178).mix(0.15).filled(),
            )))?;
            for edge in [lo, hi] {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    edge.clone(),
                    s.px(3.0),
                    s.px(2.0),
                    s.stroke(RGBColor(0, 114, 178), 0.8),
                )))?;
            }
        }
        chart.draw_series(LineSeries::new(
            self.smooth.iter().copied(),
            s.stroke(RGBColor(0, 114, 178), 1.6),
        ))?;
        Ok(())
    }
}

impl Figure for ResidualFigure {
    fn size(&self) -> (f64, f64) {
        (
            PANEL_W * self.columns() as f64,
            HEAD + PANEL_H * self.rows() as f64,
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        if self.panels.is_empty() {
            return Err(PlotError::Empty(format!("{}: no panel", self.title)));
        }
        let (w, _) = self.size();
        let style = common::text(s, common::TITLE).pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(&self.title, &style, (s.px(w / 2.0), s.px(HEAD / 2.0 + 2.0)))?;
        let body = area.margin(s.px(HEAD), 0, 0, 0);
        let cells = body.split_evenly((self.rows(), self.columns()));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            panel.draw(cell, s)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signif_and_interpolation_are_rs() {
        assert_eq!(signif2(1234.0), 1200.0);
        assert_eq!(signif2(0.0456), 0.046);
        assert_eq!(signif2(-87.0), -87.0);
        let pairs = [(0.0, 0.0), (1.0, 10.0), (3.0, 30.0)];
        assert_eq!(interpolate(&pairs, 2.0), 20.0);
        assert_eq!(interpolate(&pairs, -1.0), 0.0);
        assert_eq!(interpolate(&pairs, 9.0), 30.0);
    }

    #[test]
    fn martingale_panels_leave_out_covariates_with_few_values_and_draw() {
        let n = 60;
        let age: Vec<f64> = (0..n).map(|i| 40.0 + i as f64 * 0.7).collect();
        let sex: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let m: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 / 11.0 - 0.5).collect();
        let fig = martingale_figure(&[("age".into(), age), ("sex".into(), sex)], &m);
        assert_eq!(fig.panels.len(), 1);
        assert_eq!(fig.panels[0].title, "age");
        let r = super::super::Rendering::new(&fig, "mart").unwrap();
        let texts = r.texts();
        for t in [
            "Martingale residuals (functional form)",
            "Martingale residual",
            "age",
        ] {
            assert!(texts.iter().any(|x| x == t), "{t}: {texts:?}");
        }
    }
}
