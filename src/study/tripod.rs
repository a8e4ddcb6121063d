//! The report's last section: the TRIPOD+AI checklist, each item marked as filled by the report
//! (with where), partly filled, or left to the author; also `tripod_checklist.csv`.

use super::{strings, Out, Run};
use crate::report::doc::{csv_text, Block, TableKind};
use crate::report::tripod::{Status, ITEMS};

/// The label of the first numbered table whose title starts with `title` ("Table 2"), or the
/// section name when there is none.
fn table_of(blocks: &[Block], title: &str) -> String {
    blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) if !t.label.is_empty() && t.title.starts_with(title) => {
                Some(t.label.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The figure numbers whose file starts with `stem` ("Figures 2–4").
fn figures_of(blocks: &[Block], stem: &str) -> String {
    let n: Vec<usize> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Figure { number, file, .. } if file.starts_with(stem) => Some(*number),
            _ => None,
        })
        .collect();
    match n.as_slice() {
        [] => String::new(),
        [one] => format!("Figure {one}"),
        [first, .., last] => format!("Figures {first}–{last}"),
    }
}

/// The places joined by commas; a part in parentheses follows the one before it.
fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push_str(if p.starts_with('(') { " " } else { ", " });
        }
        out.push_str(p);
    }
    out
}

/// Status, where in the report, and what the author adds, of every item.
fn fill(r: &Run, blocks: &[Block]) -> Vec<(Status, String, String)> {
    let t = |title: &str| table_of(blocks, title);
    let cohort_table = t("Cohort selection");
    let flow = figures_of(blocks, "flow");
    let table1 = t("Patient characteristics");
    let table2 = t("Univariable and multivariable");
    let model_table = t("The multivariable model");
    let points = t("Nomogram points");
    let disc = t("Discrimination");
    let cal = t("Calibration");
    let groups = t("Survival by risk group");
    let nomogram = figures_of(blocks, "nomogram");
    let calibration_figs = join(&[
        &figures_of(blocks, "development_calibration"),
        &figures_of(blocks, "validation_calibration"),
    ]);
    let competing = r.spec.competing_risks.is_some();
    let fg_table = t("Multivariable Cox and Fine–Gray");
    let cr_nomogram = figures_of(blocks, "competing_nomogram");
    let fg_validation = t("Fine–Gray model: discrimination");
    let fg_calibration_figs = join(&[
        &figures_of(blocks, "development_fine_gray_calibration"),
        &figures_of(blocks, "validation_fine_gray_calibration"),
    ]);
    let fg_performance = if competing {
        join(&[
            "Section 8 (Fine–Gray model)",
            &fg_validation,
            &fg_calibration_figs,
        ])
    } else {
        String::new()
    };
    let split = if r.has_split {
        "Section 1 (random development/validation split)"
    } else {
        "Sections 5–6 (whole cohort, bootstrap)"
    };
    use Status::*;
    let author = |note: &str| (Author, String::new(), note.to_string());
    ITEMS
        .iter()
        .map(|i| match i.id {
            "1" => (
                Partly,
                "report title".into(),
                "the paper's title".into(),
            ),
            "5a" => (
                Partly,
                "report header (export file and SHA-256)".into(),
                "the data source, why it was used, representativeness".into(),
            ),
            "6b" => (Filled, join(&["Section 1", &cohort_table, &flow]), String::new()),
            "6c" => author("treatments and how they were handled (treatments that are predictors appear in Table 2)"),
            "7" => (
                Partly,
                join(&["Section 1", &cohort_table, "analysis.csv"]),
                "quality checks beyond the specification's readers and rules".into(),
            ),
            "8a" => (
                Partly,
                if competing {
                    "Section 1 (outcome definition and horizons); Section 8 (the competing event)"
                        .into()
                } else {
                    "Section 1 (outcome definition and horizons)".into()
                },
                "how and when the outcome was assessed, and why it was chosen".into(),
            ),
            "9a" => (
                Partly,
                "Section 3 (selection of factors)".into(),
                "why these candidate predictors".into(),
            ),
            "9b" => (
                Partly,
                join(&[&table1, &table2, &model_table]),
                "how and when predictors were measured".into(),
            ),
            "10" => (
                Partly,
                "Section 3 (events per model parameter)".into(),
                "how the study size was arrived at".into(),
            ),
            "11" => (
                Filled,
                join(&["Section 1", &cohort_table, "(complete-case analysis)"]),
                String::new(),
            ),
            "12a" => (Filled, split.to_string(), String::new()),
            "12b" => (
                Filled,
                join(&[&model_table, "(continuous factors linear, categorical as indicators)"]),
                String::new(),
            ),
            "12c" => (
                Filled,
                if competing {
                    join(&[
                        "Section 3 (Cox model, Efron ties, selection); Section 5 (bootstrap); \
                         Section 8 (Fine–Gray model of the competing risk)",
                        &fg_table,
                    ])
                } else {
                    "Section 3 (Cox model, Efron ties, selection); Section 5 (bootstrap)".into()
                },
                String::new(),
            ),
            "12e" => (
                Filled,
                join(&[
                    "Sections 5–6",
                    &disc,
                    &cal,
                    "decision curves",
                    &fg_performance,
                ]),
                String::new(),
            ),
            "12f" => (
                Filled,
                "no model updating was done".into(),
                String::new(),
            ),
            "12g" => (
                Filled,
                join(&[&model_table, "model.json", "calculator.html"]),
                String::new(),
            ),
            "13" => (
                Filled,
                "none used (survival model)".into(),
                String::new(),
            ),
            "15" => (
                Filled,
                join(&["Sections 4 and 7", &nomogram, &groups]),
                String::new(),
            ),
            "16" => (
                Partly,
                join(&[&table1, "(development against validation)"]),
                "differences in setting, eligibility, outcome and predictors".into(),
            ),
            "18f" => (
                Partly,
                "report header and manifest.json (prognosis version, specification)".into(),
                "where the specification and code can be found".into(),
            ),
            "20a" => (
                Filled,
                join(&["Section 1", &cohort_table, &flow, "follow-up"]),
                String::new(),
            ),
            "20b" => (
                Partly,
                join(&[&table1, "Section 1 (follow-up, missing data)"]),
                "key dates and treatments".into(),
            ),
            "20c" if r.has_split => (Filled, table1.clone(), String::new()),
            "20c" => author("no validation set in this study"),
            "21" => (
                Filled,
                join(&[&table2, &disc]),
                String::new(),
            ),
            "22" => (
                Filled,
                join(&[
                    &model_table,
                    &points,
                    &nomogram,
                    &fg_table,
                    &cr_nomogram,
                    "model.json",
                    "calculator.html",
                ]),
                String::new(),
            ),
            "23a" => (
                Partly,
                join(&[&disc, &cal, &calibration_figs, &groups, &fg_performance]),
                "performance in key subgroups".into(),
            ),
            "24" => (
                Filled,
                "no model updating was done".into(),
                String::new(),
            ),
            _ => author(""),
        })
        .collect()
}

/// The TRIPOD+AI section and `tripod_checklist.csv`.
pub(super) fn tripod_section(r: &Run, o: &mut Out) {
    let Out { files, doc, .. } = o;
    let filled = fill(r, doc.blocks());
    doc.h(2, "TRIPOD+AI checklist");
    doc.p(
        "The items of the TRIPOD+AI reporting guideline (Collins et al., BMJ 2024;385:e078378), \
         in short: where this report answers them, and what the author must write.",
    );
    let header = strings(&[
        "item",
        "topic",
        "what it asks",
        "status",
        "where",
        "author adds",
    ]);
    let rows: Vec<Vec<String>> = ITEMS
        .iter()
        .zip(&filled)
        .map(|(i, (status, at, note))| {
            vec![
                i.id.to_string(),
                i.topic.to_string(),
                i.asks.to_string(),
                status.as_str().to_string(),
                at.clone(),
                note.clone(),
            ]
        })
        .collect();
    let n_filled = filled.iter().filter(|f| f.0 == Status::Filled).count();
    let n_partly = filled.iter().filter(|f| f.0 == Status::Partly).count();
    doc.numbered_table(
        TableKind::Supplementary,
        "TRIPOD+AI checklist",
        &header,
        &rows,
        &[format!(
            "{n_filled} of {} items are filled by this report and {n_partly} in part; the \
             author writes the rest (context, objectives, setting, ethics, funding, \
             interpretation, limitations).",
            ITEMS.len()
        )],
    );
    files.add("tripod_checklist.csv", csv_text(&header, &rows));
}
