//! Time-dependent ROC curves: one line per horizon in one figure, each labelled with its AUC,
//! and the diagonal of a test no better than chance.

use super::common::{self, horizon_text, Frame, Key, Legend, Obstacles, DASH, MARGIN, TITLE_BAND};
use super::{group_colour, Figure, PlotError, Scale, GREY};
use crate::stats::metrics::RocCurve;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The cumulative/dynamic ROC curves of several horizons.
pub struct RocFigure<'a> {
    /// One curve per horizon, in the order of the legend.
    pub curves: Vec<&'a RocCurve>,
    /// The unit of time ("months"), for the legend.
    pub time_unit: Option<String>,
    /// The horizons' names in the legend, one per curve ("1 year"). Default: from the times.
    pub labels: Vec<String>,
    /// The set of patients, named at the end of the title ("validation set"). Default: none.
    pub set: Option<String>,
}

impl<'a> RocFigure<'a> {
    pub fn new(curves: Vec<&'a RocCurve>) -> Self {
        RocFigure {
            curves,
            time_unit: None,
            labels: Vec::new(),
            set: None,
        }
    }

    fn legend(&self) -> Legend {
        Legend {
            entries: self
                .curves
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        Key::Line {
                            colour: group_colour(i),
                            width: LINE_W,
                            dashed: false,
                        },
                        format!(
                            "{}: AUC {:.2}",
                            self.labels
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| horizon_text(c.time, self.time_unit.as_deref())),
                            c.auc
                        ),
                    )
                })
                .collect(),
        }
    }

    fn layout(&self) -> (Frame, Legend, (f64, f64)) {
        let ticks = common::probability_ticks(1.0);
        let left = MARGIN + common::y_label_room(&ticks);
        let right = WIDTH - 14.0;
        let top = TITLE_BAND;
        let bottom = top + (right - left);
        let mut frame = Frame {
            width: WIDTH,
            height: (bottom + common::x_label_room() + MARGIN).ceil(),
            left,
            top,
            right,
            bottom,
            x: (0.0, 1.0),
            y: (0.0, 1.0),
            x_ticks: ticks.clone(),
            y_ticks: ticks,
        };
        let mut obstacles = Obstacles::default();
        obstacles.line(&[frame.at(0.0, 0.0), frame.at(1.0, 1.0)]);
        for c in &self.curves {
            let pts: Vec<(f64, f64)> = c.points.iter().map(|p| frame.at(p.0, p.1)).collect();
            obstacles.line(&pts);
        }
        let legend = self.legend();
        let (lw, lh) = legend.size();
        let candidates = [
            (right - lw - 8.0, bottom - lh - 8.0),
            (left + 8.0, top + 8.0),
        ];
        let at = common::place_legend(&mut frame, (lw, lh), &candidates, &obstacles);
        (frame, legend, at)
    }
}

const WIDTH: f64 = 360.0;
const LINE_W: f64 = 1.4;

impl Figure for RocFigure<'_> {
    fn size(&self) -> (f64, f64) {
        let (f, _, _) = self.layout();
        (f.width, f.height)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        if self.curves.is_empty() {
            return Err(PlotError::Empty("no ROC curve".into()));
        }
        let (frame, legend, legend_at) = self.layout();
        let title = match &self.set {
            Some(set) => format!("Time-dependent ROC curves, {set}"),
            None => "Time-dependent ROC curves".to_string(),
        };
        frame.title(area, s, &title)?;
        let mut chart = frame.chart(area, s, "1 − specificity", "Sensitivity")?;
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            s.px(DASH.0),
            s.px(DASH.1),
            s.stroke(GREY, 0.9),
        ))?;
        for (i, c) in self.curves.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                c.points.iter().copied(),
                s.stroke(group_colour(i), LINE_W),
            ))?;
        }
        legend.draw(area, s, legend_at)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_reads_horizon_and_auc() {
        let c = RocCurve {
            time: 12.0,
            points: vec![(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)],
            thresholds: vec![f64::INFINITY, 1.0, 0.0],
            auc: 0.78,
        };
        let mut fig = RocFigure::new(vec![&c]);
        fig.time_unit = Some("months".into());
        assert_eq!(fig.legend().entries[0].1, "1 year: AUC 0.78");
        let r = super::super::Rendering::new(&fig, "roc").unwrap();
        let (svg, texts) = (r.svg(), r.texts());
        for label in ["1 − specificity", "Sensitivity", "1 year: AUC 0.78"] {
            assert!(texts.iter().any(|t| t == label), "{label}: {texts:?}");
        }
        assert!(!svg.contains("<text"));
    }
}
