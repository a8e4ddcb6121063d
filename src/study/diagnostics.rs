//! The proportional-hazards check of the study's model: the `cox.zph` table, the residual
//! figures and the sentence on the terms with p < 0.05.

use super::*;

/// 3 (end). Proportional hazards of the multivariable model in the development set: the
/// `cox.zph` table, the scaled Schoenfeld and martingale residual figures, and one sentence on the
/// terms with p < 0.05 with the usual remedies.
pub(super) fn ph_section(r: &Run, o: &mut Out, f: &Fitted) -> Result<(), StudyError> {
    use crate::report::diagnostics::ph_flag_sentence;
    use crate::stats::{residuals, zph};
    let Out {
        files,
        doc,
        summary,
    } = o;
    let (model, prep) = (&f.model, &f.prep);
    let failed = |e: String| StudyError::Study(format!("proportional-hazards test: {e}"));
    let opts = zph::ZphOptions {
        terms: Some(model.spec.zph_terms()),
        ..Default::default()
    };
    let z = zph::zph(
        &prep.design,
        &prep.surv,
        FitExtras::default(),
        &model.fit,
        &opts,
    )
    .map_err(|e| failed(e.to_string()))?;
    let res = residuals::residuals(&prep.design, &prep.surv, FitExtras::default(), &model.fit)
        .map_err(|e| failed(e.to_string()))?;
    doc.h(3, "Proportional hazards");
    let header = strings(&["factor", "chi-square", "df", "p"]);
    let tests: Vec<(String, &zph::ZphTest)> = z
        .terms
        .iter()
        .map(|t| (term_label(r.spec, &t.term), t))
        .chain(std::iter::once(("Global".to_string(), &z.global)))
        .collect();
    let rows: Vec<Vec<String>> = tests
        .iter()
        .map(|(label, t)| {
            vec![
                label.clone(),
                format!("{:.2}", t.chisq),
                t.df.to_string(),
                fmt_p(t.p),
            ]
        })
        .collect();
    // the CSV in full precision
    let csv_rows: Vec<Vec<String>> = tests
        .iter()
        .map(|(label, t)| vec![label.clone(), full(t.chisq), t.df.to_string(), full(t.p)])
        .collect();
    files.table("ph_test", &header, &csv_rows);
    let mut labelled = z.terms.clone();
    for t in &mut labelled {
        t.term = term_label(r.spec, &t.term);
    }
    let sentence = ph_flag_sentence(&labelled);
    doc.numbered_table(
        TableKind::Supplementary,
        "Test of proportional hazards of the multivariable model in the development set",
        &header,
        &rows,
        &[format!(
            "Score test on the scaled Schoenfeld residuals (Grambsch & Therneau 1994; R's \
             cox.zph, Kaplan–Meier transform of time), per factor and global. {sentence}"
        )],
    );
    let (zph_fig, mart_fig) = plot::diagnostics::model_figures(
        &model.spec,
        &model.fit,
        &prep.design,
        &z,
        &res.martingale,
    );
    let svg = files.figure("ph_schoenfeld", &zph_fig)?;
    doc.figure(
        "ph_schoenfeld.svg",
        &svg,
        "Scaled Schoenfeld residuals against time, with a natural-spline smooth, its band of ±2 \
         standard errors and the fitted coefficient (dashed): a smooth that departs from the \
         line is an effect that changes with time.",
    );
    if !mart_fig.panels.is_empty() {
        let svg = files.figure("ph_martingale", &mart_fig)?;
        doc.figure(
            "ph_martingale.svg",
            &svg,
            "Martingale residuals against each continuous factor, with a natural-spline smooth: a \
             curve that is not flat suggests a non-linear effect.",
        );
    }
    let _ = writeln!(
        summary,
        "Proportional hazards: global p {}. {sentence}",
        p_phrase(z.global.p)
    );
    Ok(())
}
