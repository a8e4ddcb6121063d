//! The decision curve at one horizon: net benefit of treating by the model against threshold
//! probability, with the net benefit of treating everyone and no one.

use super::common::{self, horizon_text, Frame, Key, Legend, Obstacles, DASH, MARGIN, TITLE_BAND};
use super::{group_colour, ticks, Figure, PlotError, Scale, GREY};
use crate::stats::decision::DecisionCurve;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The decision curve figure.
pub struct DecisionFigure<'a> {
    pub curve: &'a DecisionCurve,
    /// The unit of time ("months"), for the title.
    pub time_unit: Option<String>,
    /// The legend label of the model's curve. Default "Model".
    pub model_label: String,
    /// The horizon's name ("3 years"). Default: from the time and its unit.
    pub horizon_label: Option<String>,
    /// The set of patients, named at the end of the title ("validation set"). Default: none.
    pub set: Option<String>,
}

impl<'a> DecisionFigure<'a> {
    pub fn new(curve: &'a DecisionCurve) -> Self {
        DecisionFigure {
            curve,
            time_unit: None,
            model_label: "Model".into(),
            horizon_label: None,
            set: None,
        }
    }

    /// The model's curve as runs of defined points.
    fn model_runs(&self) -> Vec<Vec<(f64, f64)>> {
        let mut runs = vec![Vec::new()];
        for p in &self.curve.points {
            match p.net_benefit {
                Some(nb) if nb.is_finite() => {
                    runs.last_mut().expect("a run").push((p.threshold, nb))
                }
                _ => runs.push(Vec::new()),
            }
        }
        runs.retain(|r| !r.is_empty());
        runs
    }

    fn treat_all(&self) -> Vec<(f64, f64)> {
        self.curve
            .points
            .iter()
            .map(|p| (p.threshold, p.treat_all))
            .collect()
    }

    /// The axis ranges: x from 0 to just past the largest threshold at which anyone is
    /// treated (beyond it every curve is 0 or far below), y from a little below 0 to the
    /// largest net benefit.
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let last = self.curve.points.last().map_or(1.0, |p| p.threshold);
        let reach = self
            .curve
            .points
            .iter()
            .filter(|p| p.n_treated > 0)
            .map(|p| p.threshold)
            .fold(0.0, f64::max);
        let x_max = ((reach.max(0.05) + 0.05) * 10.0).ceil() / 10.0;
        let x_max = x_max.min(((last * 10.0).ceil() / 10.0).max(0.1)).min(1.0);
        // end on a tick
        let x_max = crate::stats::pretty::pretty(0.0, x_max, 6)
            .into_iter()
            .find(|&v| v >= x_max - 1e-12)
            .unwrap_or(x_max)
            .min(1.0);
        let y_top = self
            .model_runs()
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain(self.treat_all().iter().map(|p| p.1))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y_max = if y_top > 0.0 { y_top * 1.06 } else { 0.05 };
        ((0.0, x_max), (-0.12 * y_max, y_max))
    }

    fn legend(&self) -> Legend {
        Legend {
            entries: vec![
                (
                    Key::Line {
                        colour: MODEL,
                        width: MODEL_W,
                        dashed: false,
                    },
                    self.model_label.clone(),
                ),
                (
                    Key::Line {
                        colour: GREY,
                        width: 1.2,
                        dashed: true,
                    },
                    "Treat all".into(),
                ),
                (
                    Key::Line {
                        colour: BLACK,
                        width: 1.0,
                        dashed: false,
                    },
                    "Treat none".into(),
                ),
            ],
        }
    }

    fn layout(&self) -> (Frame, Legend, (f64, f64)) {
        let (x, y) = self.ranges();
        let x_ticks = ticks(x.0, x.1, 6);
        let y_ticks = ticks(y.0, y.1, 5);
        let left = MARGIN + common::y_label_room(&y_ticks);
        let right = WIDTH - 16.0;
        let top = TITLE_BAND;
        let bottom = HEIGHT - MARGIN - common::x_label_room();
        let mut frame = Frame {
            width: WIDTH,
            height: HEIGHT,
            left,
            top,
            right,
            bottom,
            x,
            y,
            x_ticks,
            y_ticks,
        };
        let mut obstacles = Obstacles::default();
        obstacles.line(&[frame.at(x.0, 0.0), frame.at(x.1, 0.0)]);
        for run in common::clip(&self.treat_all(), x, y) {
            let pts: Vec<(f64, f64)> = run.iter().map(|p| frame.at(p.0, p.1)).collect();
            obstacles.line(&pts);
        }
        for run in self.model_runs() {
            for part in common::clip(&run, x, y) {
                let pts: Vec<(f64, f64)> = part.iter().map(|p| frame.at(p.0, p.1)).collect();
                obstacles.line(&pts);
            }
        }
        let legend = self.legend();
        let (lw, lh) = legend.size();
        let candidates = [
            (right - lw - 8.0, top + 8.0),
            (left + 8.0, frame.at(0.0, 0.0).1 - lh - 8.0),
            (right - lw - 8.0, frame.at(0.0, 0.0).1 - lh - 8.0),
        ];
        let at = common::place_legend(&mut frame, (lw, lh), &candidates, &obstacles);
        (frame, legend, at)
    }
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 340.0;
const MODEL: RGBColor = RGBColor(0, 114, 178);
const MODEL_W: f64 = 1.6;

impl Figure for DecisionFigure<'_> {
    fn size(&self) -> (f64, f64) {
        let (f, _, _) = self.layout();
        (f.width, f.height)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        if self.curve.points.is_empty() {
            return Err(PlotError::Empty("no threshold probabilities".into()));
        }
        debug_assert_eq!(MODEL, group_colour(0));
        let (frame, legend, legend_at) = self.layout();
        let (x, y) = (frame.x, frame.y);
        frame.title(
            area,
            s,
            &format!(
                "Decision curve at {}{}",
                self.horizon_label
                    .clone()
                    .unwrap_or_else(|| horizon_text(self.curve.time, self.time_unit.as_deref())),
                self.set
                    .as_ref()
                    .map_or(String::new(), |s| format!(", {s}"))
            ),
        )?;
        let mut chart = frame.chart(area, s, "Threshold probability", "Net benefit")?;
        // the model first: where it is treat-all, the dashes show on it, and where it treats no
        // one, the treat-none line
        for run in self.model_runs() {
            for part in common::clip(&run, x, y) {
                chart.draw_series(LineSeries::new(part, s.stroke(MODEL, MODEL_W)))?;
            }
        }
        for run in common::clip(&self.treat_all(), x, y) {
            chart.draw_series(DashedLineSeries::new(
                run,
                s.px(DASH.0 + 1.0),
                s.px(DASH.1),
                s.stroke(GREY, 1.2),
            ))?;
        }
        // treat none last: where the model treats no one (net benefit 0) both stay visible
        chart.draw_series(LineSeries::new(
            vec![(x.0, 0.0), (x.1, 0.0)],
            s.stroke(BLACK, 1.0),
        ))?;
        legend.draw(area, s, legend_at)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::decision::DecisionPoint;

    fn curve() -> DecisionCurve {
        let r = 0.4;
        DecisionCurve {
            time: 36.0,
            n: 100,
            event_risk: r,
            points: (1..100)
                .map(|k| {
                    let p = k as f64 / 100.0;
                    let n_treated = if p < 0.7 {
                        (100.0 * (1.0 - p)) as usize
                    } else {
                        0
                    };
                    let x = n_treated as f64 / 100.0;
                    let rho = (r + p / 2.0).min(1.0);
                    DecisionPoint {
                        threshold: p,
                        n_treated,
                        treated_risk: (n_treated > 0).then_some(rho),
                        net_benefit: Some(if n_treated > 0 {
                            rho * x - (1.0 - rho) * x * p / (1.0 - p)
                        } else {
                            0.0
                        }),
                        treat_all: r - (1.0 - r) * p / (1.0 - p),
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn ranges_and_render() {
        let c = curve();
        let fig = DecisionFigure::new(&c);
        let ((x0, x1), (y0, y1)) = fig.ranges();
        assert_eq!(x0, 0.0);
        assert_eq!(x1, 0.8);
        assert!(y0 < 0.0 && (0.4..0.45).contains(&y1));
        assert_eq!(fig.size(), (480.0, 340.0));
        let r = super::super::Rendering::new(&fig, "dca").unwrap();
        let (svg, texts) = (r.svg(), r.texts());
        for label in [
            "Threshold probability",
            "Net benefit",
            "Treat all",
            "Treat none",
            "Model",
        ] {
            assert!(texts.iter().any(|t| t == label), "{label}: {texts:?}");
        }
        assert!(!svg.contains("<text"));
    }
}
