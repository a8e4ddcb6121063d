//! The nomogram against `rms::nomogram(cph(...), lp = TRUE)` in reference.json (`rms_nomogram`,
//! `rms_nomogram_lp`) for the three reference cohorts, to 1e-6 relative.
//!
//! rms fits with `cph`'s convergence settings (eps = 1e-4), so the coefficients differ from
//! `coxph`'s in the 6th digit; the test fits with the same settings to compare like with like.

mod common;

use common::{close, load, nums, strs, REL};
use prognosis::data::cohort;
use prognosis::model::nomogram::{Nomogram, NomogramOptions, TickValue};
use prognosis::stats::cox::{self, CoxOptions, FitExtras};

fn nomogram_of(name: &'static str, opts: &CoxOptions) -> (Nomogram, serde_json::Value) {
    let case = load(name);
    let p = &case.prepared;
    let fit = cox::fit(&p.design, &p.surv, FitExtras::default(), opts).unwrap();
    let model = cohort::model_file(&case.table, p, fit);
    let nom = Nomogram::from_model(&model, &NomogramOptions::default()).unwrap();
    (nom, case.r)
}

fn check(name: &'static str) {
    let (nom, r) = nomogram_of(name, &CoxOptions::cph());
    let want = &r["rms_nomogram"];
    let covariates = strs(&r["covariates"]);
    assert_eq!(nom.variables.len(), covariates.len());
    for v in &nom.variables {
        let w = &want[&v.name];
        let values = strs(&w["values"]);
        let points = nums(&w["points"]);
        assert_eq!(v.axis.len(), values.len(), "{name} {}: ticks", v.name);
        for (label, want_points) in values.iter().zip(&points) {
            let tick = v
                .axis
                .iter()
                .find(|t| match &t.value {
                    TickValue::Number(x) => label.parse::<f64>().ok() == Some(*x),
                    TickValue::Level(l) => l == label,
                })
                .unwrap_or_else(|| panic!("{name} {}: no tick {label}", v.name));
            // points of 0 are exact in both
            if *want_points == 0.0 {
                assert!(tick.points.abs() < 1e-9, "{name} {} {label}", v.name);
            } else {
                close(
                    tick.points,
                    *want_points,
                    REL,
                    &format!("{name} {} {label}", v.name),
                );
            }
        }
    }
    let lp = nums(&r["rms_nomogram_lp"]["lp"]);
    let tp = nums(&r["rms_nomogram_lp"]["total_points"]);
    assert_eq!(nom.lp_axis.len(), lp.len(), "{name}: lp ticks");
    for (t, (l, p)) in nom.lp_axis.iter().zip(lp.iter().zip(&tp)) {
        close(t.lp, *l, 1e-12, &format!("{name} lp tick"));
        close(
            t.total_points,
            *p,
            REL,
            &format!("{name} total points at lp {l}"),
        );
    }
}

#[test]
fn bone_mets_matches_rms() {
    check("bone_mets_css");
}

#[test]
fn rotterdam_matches_rms() {
    check("rotterdam_os");
}

#[test]
fn gbsg_matches_rms() {
    check("gbsg_rfs");
}

/// The default (coxph-converged) fit gives the same axes to about 1e-5: the difference above is
/// only the convergence tolerance.
#[test]
fn coxph_fit_is_within_convergence_of_rms() {
    let (nom, r) = nomogram_of("bone_mets_css", &CoxOptions::default());
    let tp = nums(&r["rms_nomogram_lp"]["total_points"]);
    for (t, p) in nom.lp_axis.iter().zip(&tp) {
        close(
            t.total_points,
            *p,
            1e-4,
            "bone_mets total points, coxph fit",
        );
    }
}

/// Points add up: a patient's total maps back to the lp that `predict` gives, and the survival
/// axis ticks are where the model predicts that survival.
#[test]
fn points_total_and_survival_axes_are_consistent() {
    let case = load("bone_mets_css");
    let p = &case.prepared;
    let fit = cox::fit(
        &p.design,
        &p.surv,
        FitExtras::default(),
        &CoxOptions::default(),
    )
    .unwrap();
    let model = cohort::model_file(&case.table, p, fit);
    let opts = NomogramOptions {
        times: vec![12.0, 36.0, 60.0],
        ..Default::default()
    };
    let nom = Nomogram::from_model(&model, &opts).unwrap();
    use prognosis::model::nomogram::PatientValue;
    for i in [0usize, 7, 100, 555] {
        let x = p.design.row(i);
        let values: Vec<PatientValue> = x.iter().map(|&v| PatientValue::Number(v)).collect();
        let pts = nom.score(&values).unwrap();
        let lp_coxph = model.fit.linear_predictor(x);
        close(pts.lp + nom.coxph_shift, lp_coxph, 1e-10, "lp from points");
        let by_hand: f64 = pts.factors.iter().map(|f| f.2).sum();
        close(pts.total, by_hand, 1e-12, "total");
    }
    assert_eq!(nom.horizons.len(), 3);
    for h in &nom.horizons {
        assert!(
            h.axis.len() >= 3,
            "horizon {} has {} ticks",
            h.time,
            h.axis.len()
        );
        for t in &h.axis {
            let lp = nom.lp_of_points(t.total_points) + nom.coxph_shift;
            close(
                model.fit.survival_at_lp(lp, 0, h.time),
                t.survival,
                1e-10,
                "survival tick",
            );
        }
        // ticks go up in survival, so down in points
        assert!(h.axis.windows(2).all(|w| w[0].survival < w[1].survival));
        assert!(h
            .axis
            .windows(2)
            .all(|w| w[0].total_points > w[1].total_points));
    }
    let med = &nom.median[0].axis;
    assert!(med.len() >= 3);
    for t in med {
        let lp = nom.lp_of_points(t.total_points) + nom.coxph_shift;
        // at the tick's lp the median is at most the tick's time, and just below it larger
        let s_at = |lp: f64| model.fit.survival_at_lp(lp, 0, t.time);
        assert!(s_at(lp) <= 0.5 + 1e-9);
        assert!(s_at(lp - 1e-6) > 0.5);
    }
}

/// A model file written before the training linear predictor was stored still gives the same
/// points; only the lp axis's range and centre come from the covariate summaries.
#[test]
fn older_model_files_without_the_lp_summary() {
    let case = load("rotterdam_os");
    let p = &case.prepared;
    let fit = cox::fit(&p.design, &p.surv, FitExtras::default(), &CoxOptions::cph()).unwrap();
    let mut model = cohort::model_file(&case.table, p, fit);
    let with = Nomogram::from_model(&model, &NomogramOptions::default()).unwrap();
    let centre = model.linear_predictor.as_ref().unwrap().mean;
    model.linear_predictor = None;
    let without = Nomogram::from_model(&model, &NomogramOptions::default()).unwrap();
    assert_eq!(with.variables, without.variables);
    close(without.scale, with.scale, 1e-14, "scale");
    // the centre from the covariate means equals the mean of x'beta
    close(
        without.intercept,
        with.intercept,
        1e-9,
        &format!("intercept (centre {centre})"),
    );
    assert!(!without.lp_axis.is_empty());
}
