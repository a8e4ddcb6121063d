//! The calibration plot at one horizon: observed against predicted probability of the event by
//! the horizon, with the grouped Kaplan–Meier estimates and their 95% intervals, the bootstrap
//! optimism-corrected groups when given, the smooth calibration curve, the line of perfect
//! calibration, the ICI, and the distribution of the predicted risks along the x axis.
//!
//! For a competing-risks model ([`CalibrationFigure::cumulative_incidence`]) the same plot shows
//! predicted against observed cumulative incidence of the cause of interest, the observed one the
//! Aalen–Johansen estimate of each group with its limits and, after a bootstrap, the
//! optimism-corrected groups (no smooth curve, no ICI).

use super::common::{
    self, draw_cross, horizon_text, Frame, Key, Legend, Obstacles, BAR_WIDTH, DASH, MARGIN,
    POINT_R, TITLE_BAND,
};
use super::{Figure, PlotError, Scale, GREY, LIGHT_GREY};
use crate::model::validation::{CorrectedCurve, HorizonReport};
use crate::model::validation_competing::CompetingHorizon;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What the figure shows: a Cox model's survival calibration, or a competing-risks model's
/// cumulative incidence calibration.
#[derive(Clone, Copy)]
enum Source<'a> {
    Survival(&'a HorizonReport),
    CumulativeIncidence(&'a CompetingHorizon),
}

/// The calibration figure of one horizon of a validation report.
pub struct CalibrationFigure<'a> {
    /// The horizon's measures: time, grouped calibration, smooth curve, ICI.
    source: Source<'a>,
    /// The bootstrap's optimism-corrected groups at this horizon, if any (survival for a Cox
    /// model, cumulative incidence for a competing-risks model, as the source).
    pub corrected: Option<&'a CorrectedCurve>,
    /// Every patient's predicted risk 1 - S(t), for the histogram along the x axis (may be
    /// empty).
    pub risks: &'a [f64],
    /// The unit of time ("months"), for the titles.
    pub time_unit: Option<String>,
    /// What the event is called in the axis titles. Default "event".
    pub event: String,
    /// The horizon's name ("3 years"). Default: from the time and its unit.
    pub horizon_label: Option<String>,
    /// The set of patients, named at the end of the title ("validation set"). Default: none.
    pub set: Option<String>,
}

impl<'a> CalibrationFigure<'a> {
    pub fn new(horizon: &'a HorizonReport) -> Self {
        Self::from_source(Source::Survival(horizon))
    }

    /// The calibration of predicted cumulative incidence at one horizon of a competing-risks
    /// validation (set `event` to the cause of interest's name, and `risks` to the predicted
    /// cumulative incidences for the histogram).
    pub fn cumulative_incidence(horizon: &'a CompetingHorizon) -> Self {
        Self::from_source(Source::CumulativeIncidence(horizon))
    }

    fn from_source(source: Source<'a>) -> Self {
        CalibrationFigure {
            source,
            corrected: None,
            risks: &[],
            time_unit: None,
            event: "event".into(),
            horizon_label: None,
            set: None,
        }
    }

    fn when(&self) -> String {
        self.horizon_label
            .clone()
            .unwrap_or_else(|| horizon_text(self.time(), self.time_unit.as_deref()))
    }

    fn time(&self) -> f64 {
        match self.source {
            Source::Survival(h) => h.time,
            Source::CumulativeIncidence(h) => h.time,
        }
    }

    /// An axis title: "Predicted probability of death by 5 years"; for cumulative incidence,
    /// whose cause may have a long name, the cause is in the figure title instead: "Predicted
    /// cumulative incidence by 5 years".
    fn axis_title(&self, which: &str) -> String {
        match self.source {
            Source::Survival(_) => {
                format!("{which} probability of {} by {}", self.event, self.when())
            }
            Source::CumulativeIncidence(_) => {
                format!("{which} cumulative incidence by {}", self.when())
            }
        }
    }

    /// Grouped points as (predicted risk, observed risk, lower, upper) of the risk.
    fn groups(&self) -> Vec<(f64, f64, f64, f64)> {
        let h = match self.source {
            Source::Survival(h) => h,
            Source::CumulativeIncidence(h) => {
                let nan = f64::NAN;
                return h
                    .calibration
                    .groups
                    .iter()
                    .map(|g| {
                        (
                            g.predicted,
                            g.observed.unwrap_or(nan),
                            g.lower.unwrap_or(nan),
                            g.upper.unwrap_or(nan),
                        )
                    })
                    .filter(|g| g.0.is_finite() && g.1.is_finite())
                    .collect();
            }
        };
        h.calibration
            .groups
            .iter()
            .map(|g| {
                (
                    1.0 - g.predicted,
                    1.0 - g.observed,
                    1.0 - g.upper,
                    1.0 - g.lower,
                )
            })
            .filter(|g| g.0.is_finite() && g.1.is_finite())
            .collect()
    }

    /// The corrected groups as (predicted risk, corrected observed risk): survival turned into
    /// risk, cumulative incidence as it is.
    fn corrected_points(&self) -> Vec<(f64, f64)> {
        let risk = |v: f64| match self.source {
            Source::Survival(_) => 1.0 - v,
            Source::CumulativeIncidence(_) => v,
        };
        self.corrected
            .map(|c| {
                c.groups
                    .iter()
                    .map(|g| (risk(g.predicted), risk(g.corrected)))
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn smooth(&self) -> Vec<(f64, f64)> {
        let Source::Survival(h) = self.source else {
            return Vec::new();
        };
        h.calibration
            .smooth
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect()
    }

    fn ici_text(&self) -> Option<String> {
        let Source::Survival(h) = self.source else {
            return None;
        };
        let ici = h.calibration.ici?;
        Some(if ici < 0.0005 {
            "ICI < 0.001".to_string()
        } else {
            format!("ICI = {ici:.3}")
        })
    }

    fn legend(&self) -> Legend {
        let grouped = match self.source {
            Source::Survival(_) => "Kaplan–Meier by group, 95% CI",
            Source::CumulativeIncidence(_) => "Aalen–Johansen by group, 95% CI",
        };
        let mut entries = vec![(Key::PointBar { colour: GROUPED }, grouped.to_string())];
        if !self.corrected_points().is_empty() {
            entries.push((
                Key::CrossLine { colour: CORRECTED },
                "Optimism-corrected (bootstrap)".into(),
            ));
        }
        if !self.smooth().is_empty() {
            entries.push((
                Key::Line {
                    colour: BLACK,
                    width: SMOOTH_W,
                    dashed: false,
                },
                "Smooth calibration curve".into(),
            ));
        }
        entries.push((
            Key::Line {
                colour: GREY,
                width: 0.9,
                dashed: true,
            },
            "Perfect calibration".into(),
        ));
        if !self.risks.is_empty() {
            entries.push((
                Key::Block { colour: HIST },
                "Distribution of predicted risk".into(),
            ));
        }
        Legend { entries }
    }

    fn layout(&self) -> Layout {
        let groups = self.groups();
        let corrected = self.corrected_points();
        let smooth = self.smooth();
        let mut max = 0.0f64;
        for g in &groups {
            max = max
                .max(g.0)
                .max(g.1)
                .max(if g.3.is_finite() { g.3 } else { g.1 });
        }
        for p in corrected.iter().chain(&smooth) {
            max = max.max(p.0).max(p.1);
        }
        for &r in self.risks {
            if r.is_finite() {
                max = max.max(r);
            }
        }
        let m = common::probability_max(max);
        let ticks = common::probability_ticks(m);
        let band = BAND * m;
        let left = MARGIN + common::y_label_room(&ticks);
        let right = WIDTH - 14.0;
        let plot_w = right - left;
        // equal scales on both axes: the line of perfect calibration is at 45 degrees
        let plot_h = plot_w * (m + band) / m;
        let top = TITLE_BAND;
        let bottom = top + plot_h;
        let mut frame = Frame {
            width: WIDTH,
            height: (bottom + common::x_label_room() + MARGIN).ceil(),
            left,
            top,
            right,
            bottom,
            x: (0.0, m),
            y: (-band, m),
            x_ticks: ticks.clone(),
            y_ticks: ticks,
        };

        // what a legend must not cover
        let mut obstacles = Obstacles::default();
        obstacles.line(&[frame.at(0.0, 0.0), frame.at(m, m)]);
        for g in &groups {
            obstacles.point(frame.at(g.0, g.1), POINT_R);
            if g.2.is_finite() && g.3.is_finite() {
                obstacles.line(&[frame.at(g.0, g.2), frame.at(g.0, g.3)]);
            }
        }
        let pts: Vec<(f64, f64)> = groups.iter().map(|g| frame.at(g.0, g.1)).collect();
        obstacles.line(&pts);
        let pts: Vec<(f64, f64)> = corrected.iter().map(|p| frame.at(p.0, p.1)).collect();
        obstacles.line(&pts);
        for &p in &pts {
            obstacles.point(p, 3.0);
        }
        let pts: Vec<(f64, f64)> = smooth.iter().map(|p| frame.at(p.0, p.1)).collect();
        obstacles.line(&pts);

        // ICI in the upper-left corner; in the title when data are there
        let ici_font = common::KEY + 1.0;
        let ici_at = self.ici_text().and_then(|t| {
            let at = (left + 8.0, top + 8.0);
            let size = (common::width(&t, ici_font), ici_font * 1.2);
            (!obstacles.hit(at, size, 2.0)).then_some(at)
        });
        let set = self
            .set
            .as_ref()
            .map_or(String::new(), |s| format!(", {s}"));
        // the title is centred on the plot and must stay inside the figure
        let centre = (left + right) / 2.0;
        let fits =
            |t: &str| common::width(t, common::TITLE) / 2.0 <= centre.min(WIDTH - centre) - 4.0;
        let mut title = match self.source {
            Source::Survival(_) => format!("Calibration at {}{set}", self.when()),
            Source::CumulativeIncidence(_) => {
                let named = format!("Calibration at {}: {}{set}", self.when(), self.event);
                if self.event != "event" && fits(&named) {
                    named
                } else {
                    // a cause too long for the title: the axes say cumulative incidence
                    format!("Cumulative incidence calibration at {}{set}", self.when())
                }
            }
        };
        if let (None, Some(t)) = (ici_at, self.ici_text()) {
            title.push_str(&format!(", {t}"));
        }
        let legend = self.legend();
        let (lw, lh) = legend.size();
        let y0 = frame.at(0.0, 0.0).1;
        let ici_h = if ici_at.is_some() { 16.0 } else { 0.0 };
        let candidates = [
            (right - lw - 6.0, y0 - lh - 6.0),
            (left + 6.0, top + 8.0 + ici_h),
            (right - lw - 6.0, top + 6.0),
            (left + 6.0, y0 - lh - 6.0),
        ];
        let legend_at = common::place_legend(&mut frame, (lw, lh), &candidates, &obstacles);
        Layout {
            frame,
            title,
            legend,
            legend_at,
            ici_at,
        }
    }
}

struct Layout {
    frame: Frame,
    title: String,
    legend: Legend,
    legend_at: (f64, f64),
    /// Where the ICI goes, or `None` when it is in the title.
    ici_at: Option<(f64, f64)>,
}

const WIDTH: f64 = 360.0;
/// Height of the histogram band below y = 0, as a share of the axis range.
const BAND: f64 = 0.1;
/// Histogram bins over the x axis.
const BINS: usize = 50;
const GROUPED: RGBColor = RGBColor(0, 114, 178);
const CORRECTED: RGBColor = RGBColor(213, 94, 0);
const HIST: RGBColor = RGBColor(175, 175, 175);
const SMOOTH_W: f64 = 1.2;

impl Figure for CalibrationFigure<'_> {
    fn size(&self) -> (f64, f64) {
        let l = self.layout();
        (l.frame.width, l.frame.height)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        let groups = self.groups();
        if groups.is_empty() && self.smooth().is_empty() {
            return Err(PlotError::Empty(format!(
                "no calibration estimate at {}",
                self.when()
            )));
        }
        let Layout {
            frame,
            title,
            legend,
            legend_at,
            ici_at,
        } = self.layout();
        let (m, band) = (frame.x.1, -frame.y.0);
        frame.title(area, s, &title)?;
        let mut chart = frame.chart(
            area,
            s,
            &self.axis_title("Predicted"),
            &self.axis_title("Observed"),
        )?;

        // histogram of the predicted risks, in the band below 0
        let finite: Vec<f64> = self
            .risks
            .iter()
            .copied()
            .filter(|r| r.is_finite())
            .collect();
        if !finite.is_empty() {
            let w = m / BINS as f64;
            let mut counts = vec![0usize; BINS];
            for &r in &finite {
                counts[((r / w) as usize).min(BINS - 1)] += 1;
            }
            let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
            chart.draw_series(counts.iter().enumerate().filter(|(_, &c)| c > 0).map(
                |(k, &c)| {
                    Rectangle::new(
                        [
                            (k as f64 * w, -band),
                            ((k + 1) as f64 * w, -band + 0.85 * band * c as f64 / top),
                        ],
                        HIST.filled(),
                    )
                },
            ))?;
        }
        // the band's upper edge, and the line of perfect calibration
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (m, 0.0)],
            s.stroke(LIGHT_GREY, 0.6),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (m, m)],
            s.px(DASH.0),
            s.px(DASH.1),
            s.stroke(GREY, 0.9),
        ))?;
        // smooth curve
        let smooth = self.smooth();
        if !smooth.is_empty() {
            chart.draw_series(LineSeries::new(smooth, s.stroke(BLACK, SMOOTH_W)))?;
        }
        // grouped estimates: a thin line through the points, the 95% intervals, the points
        if groups.len() > 1 {
            chart.draw_series(LineSeries::new(
                groups.iter().map(|g| (g.0, g.1)),
                s.stroke(GROUPED, 0.7),
            ))?;
        }
        let cap = s.f(2.5);
        for g in &groups {
            if g.2.is_finite() && g.3.is_finite() {
                let (x, lo) = chart.backend_coord(&(g.0, g.2));
                let (_, hi) = chart.backend_coord(&(g.0, g.3));
                let line = s.stroke(GROUPED, BAR_WIDTH);
                area.draw(&PathElement::new(vec![(x, lo), (x, hi)], line))?;
                for y in [lo, hi] {
                    area.draw(&PathElement::new(
                        vec![(x - cap.round() as i32, y), (x + cap.round() as i32, y)],
                        line,
                    ))?;
                }
            }
        }
        for g in &groups {
            let c = chart.backend_coord(&(g.0, g.1));
            area.draw(&Circle::new(c, s.px(POINT_R), GROUPED.filled()))?;
        }
        // optimism-corrected groups
        let corrected = self.corrected_points();
        if !corrected.is_empty() {
            chart.draw_series(LineSeries::new(corrected.clone(), s.stroke(CORRECTED, 0.8)))?;
            for p in &corrected {
                let (x, y) = chart.backend_coord(p);
                draw_cross(area, s, (x as f64 / s.0, y as f64 / s.0), CORRECTED)?;
            }
        }
        // ICI in the upper-left corner
        if let (Some(t), Some(at)) = (self.ici_text(), ici_at) {
            let style = common::text(s, common::KEY + 1.0).pos(Pos::new(HPos::Left, VPos::Top));
            area.draw_text(&t, &style, (s.px(at.0), s.px(at.1)))?;
        }
        legend.draw(area, s, legend_at)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::validation::{CalGroup, HorizonCalibration};

    fn report(risk_scale: f64) -> HorizonReport {
        let groups = (0..5)
            .map(|k| {
                let p = risk_scale * (0.1 + 0.15 * k as f64);
                CalGroup {
                    n: 100,
                    predicted: 1.0 - p,
                    observed: 1.0 - p * 1.05,
                    lower: 1.0 - p * 1.3,
                    upper: 1.0 - p * 0.8,
                }
            })
            .collect();
        HorizonReport {
            time: 36.0,
            auc: Some(0.7),
            brier: 0.2,
            null_brier: 0.25,
            ipa: 0.2,
            calibration: HorizonCalibration {
                ici: Some(0.0123),
                e50: Some(0.01),
                e90: Some(0.02),
                emax: Some(0.03),
                slope: 1.0,
                observed_expected: 1.0,
                groups,
                smooth: (0..50)
                    .map(|k| {
                        let p = risk_scale * (0.08 + 0.62 * k as f64 / 49.0);
                        (p, p * 1.04)
                    })
                    .collect(),
                smooth_note: None,
            },
        }
    }

    #[test]
    fn axes_fit_the_data_and_keep_45_degrees() {
        let h = report(1.0);
        let risks: Vec<f64> = (0..200).map(|k| 0.05 + 0.7 * k as f64 / 199.0).collect();
        let mut fig = CalibrationFigure::new(&h);
        fig.risks = &risks;
        fig.time_unit = Some("months".into());
        let l = fig.layout();
        assert_eq!(l.frame.x, (0.0, 1.0));
        assert!((l.frame.x_scale() - l.frame.y_scale()).abs() < 1e-9);
        // small risks: the axes end below 1
        let h = report(0.2);
        let fig = CalibrationFigure::new(&h);
        let l = fig.layout();
        assert_eq!(l.frame.x.1, 0.2);
        assert_eq!(fig.ici_text().as_deref(), Some("ICI = 0.012"));
    }

    #[test]
    fn legend_goes_below_when_the_plot_is_full() {
        let mut h = report(1.0);
        // a smooth curve zigzagging over the whole plot leaves no corner free
        h.calibration.smooth = (0..40)
            .map(|k| {
                let x = 0.02 + 0.96 * k as f64 / 39.0;
                (x, if k % 2 == 0 { 0.02 } else { 0.98 })
            })
            .collect();
        let fig = CalibrationFigure::new(&h);
        let l = fig.layout();
        let (_, lh) = l.legend.size();
        assert!(l.legend_at.1 > l.frame.bottom + common::x_label_room() - 1.0);
        assert!(l.frame.height >= l.legend_at.1 + lh);
        assert_eq!(fig.size().1, l.frame.height);
        // the ICI corner is taken too: the ICI goes into the title
        assert_eq!(l.ici_at, None);
        assert_eq!(l.title, "Calibration at time 36, ICI = 0.012");
        let png = super::super::to_png(&fig).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // the usual data leave the lower-right corner free: the legend is inside
        let h = report(1.0);
        let l = CalibrationFigure::new(&h).layout();
        assert!(l.legend_at.1 < l.frame.bottom && l.legend_at.0 > l.frame.left);
    }

    #[test]
    fn renders_both_formats() {
        let h = report(1.0);
        let mut fig = CalibrationFigure::new(&h);
        fig.time_unit = Some("months".into());
        let r = super::super::Rendering::new(&fig, "cal").unwrap();
        assert!(!r.svg().contains("<text"));
        let texts = r.texts();
        assert!(
            texts.iter().any(|t| t == "Calibration at 3 years"),
            "{texts:?}"
        );
        // a given horizon name and the set
        fig.horizon_label = Some("36 months".into());
        fig.set = Some("validation set".into());
        let r = super::super::Rendering::new(&fig, "cal").unwrap();
        let texts = r.texts();
        assert!(
            texts
                .iter()
                .any(|t| t == "Calibration at 36 months, validation set"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "ICI = 0.012"), "{texts:?}");
        let png = super::super::to_png(&fig).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }

    #[test]
    fn cumulative_incidence_calibration_names_its_axes_and_groups() {
        use crate::model::validation_competing::CompetingCalibration;
        use crate::stats::competing::CifGroup;
        let groups = (0..5)
            .map(|k| {
                let p = 0.04 + 0.05 * k as f64;
                CifGroup {
                    n: 80,
                    predicted: p,
                    observed: Some(p * 1.1),
                    var: Some(0.0004),
                    lower: Some(p * 0.8),
                    upper: Some(p * 1.4),
                }
            })
            .chain(std::iter::once(CifGroup {
                // beyond the group's follow-up: left out
                n: 3,
                predicted: 0.5,
                observed: None,
                var: None,
                lower: None,
                upper: None,
            }))
            .collect();
        let h = CompetingHorizon {
            time: 60.0,
            auc: 0.7,
            auc_se: 0.02,
            brier: 0.2,
            null_brier: 0.24,
            ipa: 0.17,
            cindex: 0.68,
            calibration: CompetingCalibration {
                expected: 0.4,
                observed: Some(0.42),
                observed_expected: Some(1.05),
                groups,
            },
        };
        let mut fig = CalibrationFigure::cumulative_incidence(&h);
        fig.event = "death from breast cancer".into();
        fig.time_unit = Some("months".into());
        let risks: Vec<f64> = (0..100).map(|k| 0.02 + 0.3 * k as f64 / 99.0).collect();
        fig.risks = &risks;
        // the points are on the cumulative incidence scale, not 1 - x
        let g = fig.groups();
        assert_eq!(g.len(), 5);
        assert!((g[0].0 - 0.04).abs() < 1e-12 && (g[0].1 - 0.044).abs() < 1e-12);
        assert!(g[0].2 < g[0].1 && g[0].1 < g[0].3);
        assert!(fig.smooth().is_empty() && fig.ici_text().is_none());
        let l = fig.layout();
        assert!(l.frame.x.1 < 1.0 && l.frame.x.1 >= 0.32);
        let r = super::super::Rendering::new(&fig, "cif").unwrap();
        let texts = r.texts();
        for want in [
            "Calibration at 5 years: death from breast cancer",
            "Predicted cumulative incidence by 5 years",
            "Observed cumulative incidence by 5 years",
            "Aalen–Johansen by group, 95% CI",
        ] {
            assert!(texts.iter().any(|t| t == want), "{want}: {texts:?}");
        }
        let svg = super::super::render(&fig, super::super::ImageFormat::Svg, "cif").unwrap();
        assert!(svg.starts_with(b"<svg") || svg.windows(4).any(|w| w == b"<svg"));
        let png = super::super::to_png(&fig).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // with the set named, a long cause leaves the title; the title fits the figure
        fig.set = Some("validation set".into());
        let l = fig.layout();
        assert_eq!(
            l.title,
            "Cumulative incidence calibration at 5 years, validation set"
        );
        assert!(common::width(&l.title, common::TITLE) < l.frame.width - 8.0);
        fig.event = "relapse".into();
        assert_eq!(
            fig.layout().title,
            "Calibration at 5 years: relapse, validation set"
        );
    }
}
