//! 7. Risk groups of the study: cut-offs on the development set, applied to every set.

use super::*;

/// 7. Risk groups: cut-offs on development, applied to every set.
pub(super) fn risk_group_section(
    r: &Run,
    o: &mut Out,
    nom: &Nomogram,
    sets: &mut [SetData],
) -> Result<RiskGroupCard, StudyError> {
    let Out { files, doc, .. } = o;
    let (spec, unit) = (r.spec, &r.unit);
    doc.h(2, "7. Risk groups");
    let rg_spec = spec.risk_groups.clone();
    let on_lp = rg_spec.as_ref().is_some_and(|r| r.on == RiskScale::Lp);
    let score_unit = if on_lp { "lp" } else { "points" };
    let dev_scores: Vec<f64> = if on_lp {
        sets[0]
            .scores
            .iter()
            .map(|&p| nom.lp_of_points(p) + nom.coxph_shift)
            .collect()
    } else {
        sets[0].scores.clone()
    };
    let cuts = match &rg_spec {
        Some(r) if r.method == RiskMethod::Cutoffs => r.cutoffs.clone().unwrap_or_default(),
        Some(r) => riskgroups::quantile_cutoffs(&dev_scores, r.n_groups())?,
        None => riskgroups::quantile_cutoffs(&dev_scores, 3)?,
    };
    let rg_labels = match rg_spec.as_ref().and_then(|r| r.labels.clone()) {
        Some(l) => l,
        None => risk_group_labels(&cuts, score_unit),
    };
    let cut_text = cuts
        .iter()
        .map(|c| fmt_sig_short(*c, 5))
        .collect::<Vec<_>>()
        .join(", ");
    let given = rg_spec
        .as_ref()
        .is_some_and(|r| r.method == RiskMethod::Cutoffs);
    doc.p(&match (given, sets.len() > 1) {
        (true, _) => {
            format!("Cut-offs {cut_text} on {score_unit}, as the specification gives them.")
        }
        (false, true) => format!(
            "Cut-offs {cut_text} on {score_unit}: quantiles of the development set, applied \
             unchanged to the validation set."
        ),
        (false, false) => format!("Cut-offs {cut_text} on {score_unit}: quantiles of the cohort."),
    });
    let header = strings(&[
        "set",
        "group",
        "n",
        "events",
        &format!("median survival, {} (95% CI)", r.unit_s),
        "HR (95% CI)",
        "p",
        "log-rank p",
    ]);
    let csv_header = strings(&[
        "set",
        "group",
        "n",
        "events",
        "median",
        "median_lower",
        "median_upper",
        "hr",
        "hr_lower",
        "hr_upper",
        "p",
        "logrank_p",
    ]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    for s in sets.iter_mut() {
        let scores: Vec<f64> = if on_lp {
            s.scores
                .iter()
                .map(|&p| nom.lp_of_points(p) + nom.coxph_shift)
                .collect()
        } else {
            s.scores.clone()
        };
        let rg = riskgroups::compare(&s.surv, &scores, &cuts, &rg_labels)?;
        for (k, g) in rg.groups.iter().enumerate() {
            rows.push(vec![
                s.name.to_string(),
                g.group.clone(),
                g.n.to_string(),
                format_number(g.events),
                fmt_median_ci(g.median, g.median_lower, g.median_upper, &format_number),
                match (g.hr, g.hr_lower, g.hr_upper) {
                    (Some(h), Some(l), Some(u)) => fmt_hr_ci(h, l, u),
                    _ => "Reference".into(),
                },
                g.p.map_or(String::new(), fmt_p),
                if k == 0 {
                    fmt_p(rg.logrank.p)
                } else {
                    String::new()
                },
            ]);
            csv_rows.push(vec![
                s.name.to_string(),
                g.group.clone(),
                g.n.to_string(),
                full(g.events),
                full_opt(g.median),
                full_opt(g.median_lower),
                full_opt(g.median_upper),
                full_opt(g.hr),
                full_opt(g.hr_lower),
                full_opt(g.hr_upper),
                full_opt(g.p),
                if k == 0 {
                    full(rg.logrank.p)
                } else {
                    String::new()
                },
            ]);
        }
        s.risk = Some(rg);
    }
    doc.numbered_table(
        TableKind::Main,
        "Survival by risk group",
        &header,
        &rows,
        &[format!(
            "Median survival by Kaplan–Meier with its 95% CI (Brookmeyer–Crowley, log \
             transformation): {NOT_REACHED} where the curve stays above 50%, {NR} for a limit \
             not reached. HR \
             from a Cox model of the group against the lowest-risk group (Reference), p from its \
             Wald test; log-rank p compares all groups of the set."
        )],
    );
    files.table("risk_groups", &csv_header, &csv_rows);
    for s in sets.iter() {
        let rg = s.risk.as_ref().expect("risk groups computed");
        let curves = rg_labels
            .iter()
            .zip(&rg.curves)
            .map(|(l, c)| plot::curves::StepCurve::from_km(l, c))
            .collect();
        let mut fig = plot::curves::SurvivalFigure::km(
            curves,
            unit.clone(),
            Some(format!("Log-rank p {}", p_phrase(rg.logrank.p))),
        );
        // the set in the image itself, as the validation figures name it
        fig.title = Some(format!("Survival by risk group, {} set", s.name));
        let name = format!("risk_groups_{}", s.name);
        let svg = files.figure(&name, &fig)?;
        doc.figure(
            &format!("{name}.svg"),
            &svg,
            &format!(
                "Kaplan–Meier curves of the risk groups in the {} set.",
                s.name
            ),
        );
    }
    Ok(RiskGroupCard {
        on: if on_lp {
            CardScale::Lp
        } else {
            CardScale::Points
        },
        cutoffs: cuts,
        labels: rg_labels,
    })
}
