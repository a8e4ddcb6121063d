//! The Fine-Gray nomogram (`Nomogram::from_fine_gray`) on the flagship study's development set:
//! each factor's points and every cumulative-incidence tick recomputed here from crr's
//! coefficients and baseline jumps alone, and a patient's total points read on the incidence
//! scale equal to `FineGray::predict` (cmprsk's `predict.crr`).

use prognosis::data::cohort;
use prognosis::data::registry::{self, Split, StudySpec};
use prognosis::model::nomogram::{Nomogram, NomogramOptions, PatientValue, TickValue};
use prognosis::stats::competing::{crr, CompetingSurv, CrrOptions, FineGray};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Case {
    fit: FineGray,
    nom: Nomogram,
    design: prognosis::stats::cox::Design,
}

fn case() -> Case {
    let spec = StudySpec::load(&root().join("models/her2_bone_mets.toml")).unwrap();
    let c = registry::derive_cohort_from_path(
        &spec,
        &root().join("datasets/bone_mets_synthetic_seer.csv"),
    )
    .unwrap();
    let dev_rows = c.rows_in(Split::Development);
    let dev = c.subset(&dev_rows);
    let table = dev.to_table();
    let prep = cohort::prepare(&table, &dev.fit_request()).unwrap();
    let cause = &dev.cause.as_ref().unwrap().cause;
    let surv = CompetingSurv::with_causes(
        prep.surv.time().to_vec(),
        prep.rows.iter().map(|&k| cause[k]).collect(),
        2,
    )
    .unwrap();
    let fit = crr(&surv, &prep.design, &CrrOptions::default()).unwrap();
    assert!(fit.converged);
    let summaries = cohort::summarise(&table, &prep);
    let nom = Nomogram::from_fine_gray(
        &fit,
        &prep.spec.covariates,
        &summaries,
        Some("months".into()),
        &NomogramOptions {
            times: vec![12.0, 36.0, 60.0],
            ..Default::default()
        },
    )
    .unwrap();
    Case {
        fit,
        nom,
        design: prep.design,
    }
}

/// Λ0(t): the sum of crr's baseline jumps at event times up to t.
fn lambda0(fit: &FineGray, t: f64) -> f64 {
    fit.event_times
        .iter()
        .zip(&fit.baseline_jumps)
        .filter(|(u, _)| **u <= t)
        .map(|(_, j)| j)
        .sum()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn points_and_incidence_axes_from_crr_coefficients() {
    let Case { fit, nom, design } = case();
    // every factor of the flagship model is numeric (one term, named as the covariate)
    let beta = |name: &str| fit.coef[fit.names.iter().position(|n| n == name).unwrap()];
    // each factor's tick values: its distinct development values, or pretty() over the range
    let mut ranges = Vec::new();
    for v in &nom.variables {
        let j = design.names.iter().position(|n| *n == v.name).unwrap();
        let mut x: Vec<f64> = (0..design.n).map(|i| design.x[i * design.p + j]).collect();
        x.sort_by(f64::total_cmp);
        x.dedup();
        let ticks: Vec<f64> = v
            .axis
            .iter()
            .map(|t| match t.value {
                TickValue::Number(x) => x,
                TickValue::Level(_) => panic!("numeric factor"),
            })
            .collect();
        if x.len() <= 10 {
            assert_eq!(ticks, x, "{}", v.name);
        } else {
            // age: the ticks cover the observed range in steps of 5 years
            assert!(ticks[0] <= x[0] && *ticks.last().unwrap() >= *x.last().unwrap());
            assert!(ticks.windows(2).all(|w| w[1] - w[0] == 5.0), "{ticks:?}");
        }
        let c: Vec<f64> = ticks.iter().map(|t| t * beta(&v.name)).collect();
        let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        ranges.push((v.name.clone(), c, lo, hi));
    }
    let widest = ranges.iter().map(|r| r.3 - r.2).fold(0.0, f64::max);
    let scale = 100.0 / widest;
    assert!(close(nom.scale, scale, 1e-12));
    for (v, (name, c, lo, _)) in nom.variables.iter().zip(&ranges) {
        for (t, ci) in v.axis.iter().zip(c) {
            assert!(
                close(t.points, (ci - lo) * scale, 1e-10),
                "{name}: {} against {}",
                t.points,
                (ci - lo) * scale
            );
        }
    }
    // 0 total points is every factor at its fewest points: x'β = Σ min
    let lp0: f64 = ranges.iter().map(|r| r.2).sum();
    assert_eq!(nom.incidence.len(), 3);
    for h in &nom.incidence {
        let l0 = lambda0(&fit, h.time);
        assert!(h.axis.len() >= 5, "{} ticks at {}", h.axis.len(), h.time);
        for t in &h.axis {
            let lp = lp0 + t.total_points / scale;
            let f = 1.0 - (-(lp.exp()) * l0).exp();
            assert!(
                close(t.incidence, f, 1e-10),
                "t = {}: tick {} at {} points, recomputed {f}",
                h.time,
                t.incidence,
                t.total_points
            );
            // ticks are round values
            assert!(((t.incidence * 100.0).round() - t.incidence * 100.0).abs() < 1e-9);
        }
    }
    // a Cox nomogram's axes are not drawn
    assert!(nom.horizons.is_empty() && nom.median.is_empty());
}

#[test]
fn a_patients_points_read_as_predict_crr() {
    let Case { fit, nom, design } = case();
    let times = [12.0, 36.0, 60.0];
    for i in [0, 7, 100, design.n - 1] {
        let x = design.row(i);
        let values = nom.values_from_design(x);
        let pts = nom.score(&values).unwrap();
        let lp = nom.lp_of_points(pts.total) + nom.coxph_shift;
        let lp_direct: f64 = x.iter().zip(&fit.coef).map(|(a, b)| a * b).sum();
        assert!(close(lp, lp_direct, 1e-12), "row {i}");
        let predicted = fit.predict(x, &times).unwrap();
        for (k, &t) in times.iter().enumerate() {
            let f = 1.0 - (-(lp.exp()) * lambda0(&fit, t)).exp();
            assert!(close(f, predicted[k], 1e-12), "row {i}, t = {t}");
        }
    }
}

/// Against R: cmprsk::crr's coefficients and predict.crr's cumulative incidence of seven patients
/// (`tests/reference/scripts/make_fg_nomogram_reference.R`), read off the nomogram: each patient's
/// total points, back to the linear predictor, through the incidence axes' formula.
#[test]
fn nomogram_reads_as_r_predict_crr() {
    let Case { fit, nom, .. } = case();
    let text = std::fs::read_to_string(root().join("tests/reference/fg_nomogram/fg_nomogram.json"))
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f64s = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let terms: Vec<&str> = r["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(terms, fit.names);
    for (a, b) in fit.coef.iter().zip(f64s(&r["coef"])) {
        assert!(close(*a, b, 1e-6), "{a} against R {b}");
    }
    let times = f64s(&r["times"]);
    let patients = r["patients"].as_array().unwrap();
    let cifs = r["cif"].as_array().unwrap();
    assert_eq!(patients.len(), 7);
    for (p, want) in patients.iter().zip(cifs) {
        let values: Vec<PatientValue> = f64s(p).into_iter().map(PatientValue::Number).collect();
        let total = nom.score(&values).unwrap().total;
        let lp = nom.lp_of_points(total) + nom.coxph_shift;
        for (&t, w) in times.iter().zip(f64s(want)) {
            let f = 1.0 - (-(lp.exp()) * lambda0(&fit, t)).exp();
            assert!(close(f, w, 1e-6), "{p}: t = {t}: {f} against R {w}");
        }
    }
}
