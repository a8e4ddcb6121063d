//! The nomogram figure, laid out as `rms`'s `plot.nomogram`: a points axis on top, one axis per
//! covariate on the same scale, then the total-points axis and the axes read from it (linear
//! predictor, predicted survival at each horizon, median survival; for a Fine-Gray nomogram the
//! predicted cumulative incidence at each horizon), on the total-points scale.

use super::{Figure, PlotError, Scale, LIGHT_GREY, TICK_PT};
use crate::model::nomogram::Nomogram;
use crate::plot::LABEL_PT;
use crate::report::format::{horizon_adjective, horizon_label};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The nomogram figure.
pub struct NomogramFigure<'a> {
    pub nomogram: &'a Nomogram,
    /// Display label per covariate, in model order (defaults to the names).
    pub labels: Vec<String>,
    /// Per covariate, in model order, names for numeric tick values (`1` shown as `Yes`); a value
    /// without a name, or a covariate without an entry, keeps its number (default: none).
    pub value_labels: Vec<Vec<(f64, String)>>,
    /// Whether to draw the linear-predictor axis (as `nomogram(lp = TRUE)`).
    pub lp_axis: bool,
    /// Light vertical lines at every 10 points.
    pub grid: bool,
    /// The horizons' names by time ("1 year" for 12). Default: from the times and the time
    /// unit.
    pub horizon_labels: Vec<(f64, String)>,
}

impl<'a> NomogramFigure<'a> {
    pub fn new(nomogram: &'a Nomogram) -> Self {
        NomogramFigure {
            nomogram,
            labels: nomogram.variables.iter().map(|v| v.name.clone()).collect(),
            value_labels: Vec::new(),
            lp_axis: true,
            grid: true,
            horizon_labels: Vec::new(),
        }
    }

    /// The title of a horizon's axis: "5-year survival", "18-month cumulative incidence" (from
    /// the horizon labels given, or the model's time unit), or "survival at time 1826" where
    /// neither names the time's unit.
    fn horizon_title(&self, time: f64, what: &str) -> String {
        let given = self.horizon_labels.iter().find(|(t, _)| *t == time);
        match (given, self.nomogram.time_unit.as_deref()) {
            (Some((_, label)), _) => format!("{} {what}", horizon_adjective(label)),
            (None, Some(unit)) => format!(
                "{} {what}",
                horizon_adjective(&horizon_label(time, Some(unit)))
            ),
            (None, None) => {
                let mut title = format!("{what} at time {}", super::tick_label(time));
                title[..1].make_ascii_uppercase();
                title
            }
        }
    }

    /// The rows: (title, ticks as (position on the 0..1 scale, label)).
    fn rows(&self) -> Vec<Row> {
        let nom = self.nomogram;
        let mut rows = Vec::new();
        let pts_max = nom.max_points;
        let points_ticks: Vec<(f64, String)> = crate::stats::pretty::pretty(0.0, pts_max, 10)
            .into_iter()
            .filter(|&p| p <= pts_max + 1e-9)
            .map(|p| (p / pts_max, super::tick_label(p)))
            .collect();
        rows.push(Row {
            title: "Points".into(),
            ticks: points_ticks,
            scale: Which::Points,
            one_row: false,
        });
        for (i, (v, label)) in nom.variables.iter().zip(&self.labels).enumerate() {
            let names = self.value_labels.get(i).map_or(&[][..], |n| n.as_slice());
            rows.push(Row {
                title: label.clone(),
                ticks: v
                    .axis
                    .iter()
                    .map(|t| (t.points / pts_max, tick_value_label(&t.value, names)))
                    .collect(),
                scale: Which::Points,
                one_row: false,
            });
        }
        let total_max = *nom.total_points.last().unwrap_or(&pts_max);
        let on_total = |tp: f64| tp / total_max;
        rows.push(Row {
            title: "Total points".into(),
            ticks: nom
                .total_points
                .iter()
                .map(|&t| (on_total(t), super::tick_label(t)))
                .collect(),
            scale: Which::Total,
            one_row: false,
        });
        if self.lp_axis {
            rows.push(Row {
                title: "Linear predictor".into(),
                ticks: nom
                    .lp_axis
                    .iter()
                    .filter(|t| t.total_points >= -1e-9 && t.total_points <= total_max + 1e-9)
                    .map(|t| (on_total(t.total_points), super::tick_label(t.lp)))
                    .collect(),
                scale: Which::Total,
                one_row: false,
            });
        }
        for h in &nom.horizons {
            let mut title = self.horizon_title(h.time, "survival");
            if let Some(s) = &h.stratum {
                title.push_str(&format!(" ({s})"));
            }
            rows.push(Row {
                title,
                ticks: h
                    .axis
                    .iter()
                    .filter(|t| t.total_points >= -1e-9 && t.total_points <= total_max + 1e-9)
                    .map(|t| (on_total(t.total_points), super::tick_label(t.survival)))
                    .collect(),
                scale: Which::Total,
                one_row: false,
            });
        }
        for h in &nom.incidence {
            let title = self.horizon_title(h.time, "cumulative incidence");
            rows.push(Row {
                title,
                ticks: h
                    .axis
                    .iter()
                    .filter(|t| t.total_points >= -1e-9 && t.total_points <= total_max + 1e-9)
                    .map(|t| (on_total(t.total_points), super::tick_label(t.incidence)))
                    .collect(),
                scale: Which::Total,
                one_row: false,
            });
        }
        for m in &nom.median {
            let unit = self.nomogram.time_unit.as_deref().unwrap_or("time units");
            let mut title = format!("Median survival ({unit})");
            if let Some(s) = &m.stratum {
                title.push_str(&format!(" ({s})"));
            }
            rows.push(Row {
                title,
                ticks: m
                    .axis
                    .iter()
                    .filter(|t| t.total_points >= -1e-9 && t.total_points <= total_max + 1e-9)
                    .map(|t| (on_total(t.total_points), super::tick_label(t.time)))
                    .collect(),
                scale: Which::Total,
                one_row: true,
            });
        }
        rows.retain(|r| !r.ticks.is_empty());
        rows
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Points,
    Total,
}

struct Row {
    title: String,
    ticks: Vec<(f64, String)>,
    scale: Which,
    /// Labels on one line only: those that would collide are left out (the median row).
    one_row: bool,
}

/// Where a tick's label goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Above,
    Below,
    Unlabelled,
}

/// Label places of ticks at `spans` (centre x, label width; increasing x), `gap` apart at least:
/// above the line when the label clears its left neighbour above, else below when it clears the
/// one below (not on a `one_row` axis), else no label, greedily from the left.
fn label_places(spans: &[(i32, i32)], gap: i32, one_row: bool) -> Vec<Place> {
    let mut right_above = i32::MIN;
    let mut right_below = i32::MIN;
    spans
        .iter()
        .map(|&(x, w)| {
            let (left, right) = (x - w / 2, x + w / 2);
            if left > right_above.saturating_add(gap) {
                right_above = right;
                Place::Above
            } else if !one_row && left > right_below.saturating_add(gap) {
                right_below = right;
                Place::Below
            } else {
                Place::Unlabelled
            }
        })
        .collect()
}

const ROW_PT: f64 = 27.0;
const TOP_PT: f64 = 10.0;
const WIDTH_PT: f64 = 540.0;

/// A tick's label: its name in `names` when it is a named number, else its value.
pub fn tick_value_label(
    value: &crate::model::nomogram::TickValue,
    names: &[(f64, String)],
) -> String {
    if let crate::model::nomogram::TickValue::Number(x) = value {
        if let Some((_, name)) = names.iter().find(|(v, _)| v == x) {
            return name.clone();
        }
    }
    value.label()
}

impl Figure for NomogramFigure<'_> {
    fn size(&self) -> (f64, f64) {
        (WIDTH_PT, TOP_PT * 2.0 + ROW_PT * self.rows().len() as f64)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: Scale,
    ) -> Result<(), PlotError> {
        let rows = self.rows();
        if rows.len() < 3 {
            return Err(PlotError::Empty("the nomogram has no axes".into()));
        }
        let title_w = rows
            .iter()
            .map(|r| s.text_width(&r.title, LABEL_PT))
            .fold(0.0, f64::max);
        let x0 = s.px(12.0) + title_w.round() as i32 + s.px(14.0);
        let x1 = s.px(WIDTH_PT - 16.0);
        let xpos = |u: f64| x0 + ((x1 - x0) as f64 * u).round() as i32;
        let line = s.stroke(BLACK, 0.8);
        let tick_len = s.px(3.5);
        let tick_style = s.text(TICK_PT);
        let title_style = s.text(LABEL_PT).pos(Pos::new(HPos::Right, VPos::Center));
        let y_of = |i: usize| s.px(TOP_PT + ROW_PT * (i as f64 + 0.62));
        // grid: light verticals at the points ticks, through the covariate rows
        let n_points_rows = rows.iter().take_while(|r| r.scale == Which::Points).count();
        if self.grid && n_points_rows > 1 {
            let top = y_of(0);
            let bottom = y_of(n_points_rows - 1);
            for (u, _) in &rows[0].ticks {
                area.draw(&PathElement::new(
                    vec![(xpos(*u), top), (xpos(*u), bottom)],
                    s.stroke(LIGHT_GREY, 0.5),
                ))?;
            }
        }
        for (i, row) in rows.iter().enumerate() {
            let y = y_of(i);
            area.draw_text(&row.title, &title_style, (x0 - s.px(14.0), y))?;
            let lo = row.ticks.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
            let hi = row
                .ticks
                .iter()
                .map(|t| t.0)
                .fold(f64::NEG_INFINITY, f64::max);
            area.draw(&PathElement::new(vec![(xpos(lo), y), (xpos(hi), y)], line))?;
            // labels above the line; one that would touch its left neighbour goes below (on the
            // median row, whose labels are times, it is thinned instead), and one that fits
            // neither place keeps its tick without a label
            let mut sorted: Vec<&(f64, String)> = row.ticks.iter().collect();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            let spans: Vec<(i32, i32)> = sorted
                .iter()
                .map(|(u, text)| (xpos(*u), s.text_width(text, TICK_PT).round() as i32))
                .collect();
            let places = label_places(&spans, s.px(3.0), row.one_row);
            for ((u, text), place) in sorted.iter().zip(places) {
                let x = xpos(*u);
                match place {
                    Place::Above => {
                        area.draw(&PathElement::new(vec![(x, y), (x, y - tick_len)], line))?;
                        area.draw_text(
                            text,
                            &tick_style.pos(Pos::new(HPos::Center, VPos::Bottom)),
                            (x, y - tick_len - s.px(1.5)),
                        )?;
                    }
                    Place::Below => {
                        area.draw(&PathElement::new(vec![(x, y), (x, y + tick_len)], line))?;
                        area.draw_text(
                            text,
                            &tick_style.pos(Pos::new(HPos::Center, VPos::Top)),
                            (x, y + tick_len + s.px(1.0)),
                        )?;
                    }
                    Place::Unlabelled => {
                        area.draw(&PathElement::new(vec![(x, y), (x, y - tick_len / 2)], line))?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{label_places, NomogramFigure, Place};
    use crate::model::file::ModelFile;
    use crate::model::nomogram::Nomogram;

    #[test]
    fn horizon_axes_are_titled_from_the_labels_the_unit_or_the_bare_time() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/bone_mets_cox.json");
        let model = ModelFile::load(&path).unwrap();
        let mut nom = Nomogram::from_model(&model, &Default::default()).unwrap();
        assert_eq!(nom.time_unit.as_deref(), Some("months"));
        let fig = NomogramFigure::new(&nom);
        assert_eq!(fig.horizon_title(36.0, "survival"), "3-year survival");
        assert_eq!(
            fig.horizon_title(18.0, "cumulative incidence"),
            "18-month cumulative incidence"
        );
        let mut fig = NomogramFigure::new(&nom);
        fig.horizon_labels = vec![(36.0, "36 months".into())];
        assert_eq!(fig.horizon_title(36.0, "survival"), "36-month survival");
        nom.time_unit = None;
        let fig = NomogramFigure::new(&nom);
        assert_eq!(
            fig.horizon_title(1826.0, "survival"),
            "Survival at time 1826"
        );
        assert_eq!(
            fig.horizon_title(1826.0, "cumulative incidence"),
            "Cumulative incidence at time 1826"
        );
    }

    #[test]
    fn colliding_labels_go_below_or_on_one_row_are_thinned() {
        // labels 20 wide at 0, 10, 20, 40: the second collides with the first
        let spans = [(0, 20), (10, 20), (20, 20), (40, 20)];
        assert_eq!(
            label_places(&spans, 3, false),
            [Place::Above, Place::Below, Place::Unlabelled, Place::Above]
        );
        assert_eq!(
            label_places(&spans, 3, true),
            [
                Place::Above,
                Place::Unlabelled,
                Place::Unlabelled,
                Place::Above
            ]
        );
        assert!(label_places(&spans, 3, true)
            .iter()
            .all(|p| *p != Place::Below));
    }
}
