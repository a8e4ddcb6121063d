//! Validation of competing-risks predictions against R: riskRegression::Score (AUC with its
//! standard error, Brier score, null-model Brier score) and pec::cindex (truncated C-index) on
//! tests/reference/competing_risks/ (competing_risks.json by make_cr_reference.R;
//! validation_extra.json by tests/reference/scripts/make_cr_validation_reference.R), and the
//! model layer (`model::validation_competing`) on the same cohorts, with its bootstrap.

mod common;

use common::competing::{load, CrCase, CASES};
use common::{close, nums, root, REL};
use prognosis::model::validation_competing::{self as vc, CompetingValidationOptions};
use prognosis::stats::competing::{self, CompetingSurv, CrrOptions};
use prognosis::stats::cox::Design;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// R's predicted cumulative incidence of every complete row, one vector per horizon.
fn r_predictions(case: &CrCase) -> Vec<Vec<f64>> {
    case.r["predicted_cif"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(nums)
        .collect()
}

fn extra() -> Value {
    let path = root().join("tests/reference/competing_risks/validation_extra.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_score(name: &str, got: &[competing::metrics::CompetingScore], want: &Value, what: &str) {
    let (auc, se) = (nums(&want["auc"]), nums(&want["auc_se"]));
    let (brier, null) = (nums(&want["brier"]), nums(&want["brier_null"]));
    for (j, s) in got.iter().enumerate() {
        let at = format!("{name} {what} at {}", s.time);
        close(s.auc, auc[j], REL, &format!("{at} AUC"));
        close(s.auc_se, se[j], REL, &format!("{at} AUC se"));
        close(s.brier, brier[j], REL, &format!("{at} Brier"));
        close(s.null_brier, null[j], REL, &format!("{at} null Brier"));
        close(s.ipa, 1.0 - brier[j] / null[j], REL, &format!("{at} IPA"));
    }
}

#[test]
fn auc_brier_and_ipa_equal_riskregression_score() {
    let extra = extra();
    for name in CASES {
        let case = load(name);
        let times = nums(&case.r["times"]);
        let pred = r_predictions(&case);
        let got = competing::metrics::score(&case.surv, 1, &pred, &times).unwrap();
        check_score(name, &got, &case.r["score"], "Score");
        // the same predictions rounded to two decimals: many tied predictions
        let rounded: Vec<Vec<f64>> = pred
            .iter()
            .map(|p| p.iter().map(|v| (v * 100.0).round() / 100.0).collect())
            .collect();
        let got = competing::metrics::score(&case.surv, 1, &rounded, &times).unwrap();
        check_score(name, &got, &extra[name]["score_rounded2"], "rounded Score");
    }
}

#[test]
fn truncated_cindex_equals_pec() {
    let extra = extra();
    for name in CASES {
        let case = load(name);
        let times = nums(&case.r["times"]);
        let pred = r_predictions(&case);
        let want = nums(&extra[name]["cindex"]);
        let want2 = nums(&extra[name]["cindex_rounded2"]);
        for (j, &t) in times.iter().enumerate() {
            let got = competing::truncated_cindex(&case.surv, 1, &pred[j], t).unwrap();
            close(got, want[j], REL, &format!("{name} C at {t}"));
            let rounded: Vec<f64> = pred[j]
                .iter()
                .map(|v| (v * 100.0).round() / 100.0)
                .collect();
            let got = competing::truncated_cindex(&case.surv, 1, &rounded, t).unwrap();
            close(got, want2[j], REL, &format!("{name} C (rounded) at {t}"));
        }
    }
}

#[test]
fn fine_gray_validation_equals_r_on_the_reference_cohorts() {
    let extra = extra();
    for name in CASES {
        let case = load(name);
        let times = nums(&case.r["times"]);
        let opts = CompetingValidationOptions {
            times: times.clone(),
            ..Default::default()
        };
        let report =
            vc::validate_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts)
                .unwrap();
        assert_eq!(report.n as u64, case.r["n_complete"].as_u64().unwrap());
        assert_eq!(report.events as u64, case.r["n_cause1"].as_u64().unwrap());
        assert_eq!(
            report.competing as u64,
            case.r["n_cause2"].as_u64().unwrap()
        );
        assert_eq!(
            report.censored as u64,
            case.r["n_censored"].as_u64().unwrap()
        );
        assert!(report.bootstrap.is_none());
        let sc = &case.r["score"];
        let cidx = nums(&extra[name]["cindex"]);
        for (j, h) in report.horizons.iter().enumerate() {
            let at = format!("{name} at {}", h.time);
            close(h.auc, nums(&sc["auc"])[j], REL, &format!("{at} AUC"));
            close(
                h.auc_se,
                nums(&sc["auc_se"])[j],
                REL,
                &format!("{at} AUC se"),
            );
            close(h.brier, nums(&sc["brier"])[j], REL, &format!("{at} Brier"));
            close(
                h.null_brier,
                nums(&sc["brier_null"])[j],
                REL,
                &format!("{at} null"),
            );
            close(h.cindex, cidx[j], REL, &format!("{at} C"));
            let want = case.r["calibration_groups5"][j]["groups"]
                .as_array()
                .unwrap();
            assert_eq!(h.calibration.groups.len(), want.len());
            for (g, w) in h.calibration.groups.iter().zip(want) {
                assert_eq!(g.n as u64, w["n"].as_u64().unwrap(), "{at} n");
                close(g.predicted, w["predicted"].as_f64().unwrap(), REL, &at);
                close(
                    g.observed.unwrap(),
                    w["observed"].as_f64().unwrap(),
                    REL,
                    &at,
                );
                close(g.var.unwrap(), w["var"].as_f64().unwrap(), REL, &at);
            }
        }
        // the JSON keys of a horizon
        let json = serde_json::to_value(&report).unwrap();
        let h = &json["horizons"][0];
        for key in [
            "time",
            "auc",
            "auc_se",
            "brier",
            "null_brier",
            "ipa",
            "cindex",
        ] {
            assert!(h[key].is_f64(), "{name}: horizon key {key}");
        }
        for key in ["n", "predicted", "observed", "var", "lower", "upper"] {
            assert!(
                !h["calibration"]["groups"][0][key].is_null(),
                "{name}: group key {key}"
            );
        }
    }
}

/// AUC, Brier, IPA and truncated C of `fit` on (design, surv) through the numerical core.
fn direct_measures(
    fit: &competing::FineGray,
    design: &Design,
    surv: &CompetingSurv,
    times: &[f64],
) -> Vec<[f64; 4]> {
    let pred: Vec<Vec<f64>> = times
        .iter()
        .map(|&t| {
            (0..design.n)
                .map(|i| fit.predict(design.row(i), &[t]).unwrap()[0])
                .collect()
        })
        .collect();
    let scores = competing::score(surv, 1, &pred, times).unwrap();
    scores
        .iter()
        .zip(&pred)
        .map(|(s, p)| {
            let c = competing::truncated_cindex(surv, 1, p, s.time).unwrap();
            [s.auc, s.brier, 1.0 - s.brier / s.null_brier, c]
        })
        .collect()
}

#[test]
fn bootstrap_of_one_resample_is_its_apparent_minus_test_performance() {
    let case = load("bone_mets_cr");
    let times = nums(&case.r["times"]);
    let opts = CompetingValidationOptions {
        times: times.clone(),
        bootstrap: 1,
        seed: 99,
        ..Default::default()
    };
    let boot =
        vc::bootstrap_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts).unwrap();
    assert_eq!(boot.failed, 0);
    // resample 0 drawn as the Cox bootstrap draws it: ChaCha8 seeded with the seed, stream 1
    let n = case.surv.len();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    rng.set_stream(1);
    let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
    let p = case.design.p;
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&i| case.design.row(i).to_vec())
        .collect();
    let d_b = Design::new(x, n, case.design.names.clone()).unwrap();
    assert_eq!(d_b.p, p);
    let s_b = case.surv.subset(&rows);
    let fit_b = competing::crr(&s_b, &d_b, &CrrOptions::default()).unwrap();
    let app = direct_measures(&fit_b, &d_b, &s_b, &times);
    let test = direct_measures(&fit_b, &case.design, &case.surv, &times);
    let fit0 = competing::crr(&case.surv, &case.design, &CrrOptions::default()).unwrap();
    let orig = direct_measures(&fit0, &case.design, &case.surv, &times);
    // the slope: the refit's linear predictor on the resample minus on the original data
    let slope_b = vc::calibration_slope(&s_b, 1, &vc::fine_gray_lp(&fit_b, &d_b)).unwrap();
    let slope_t =
        vc::calibration_slope(&case.surv, 1, &vc::fine_gray_lp(&fit_b, &case.design)).unwrap();
    let slope0 =
        vc::calibration_slope(&case.surv, 1, &vc::fine_gray_lp(&fit0, &case.design)).unwrap();
    close(
        boot.slope.optimism,
        slope_b.slope - slope_t.slope,
        1e-12,
        "slope optimism",
    );
    close(boot.slope.apparent, slope0.slope, 1e-12, "apparent slope");
    assert!((slope_b.slope - 1.0).abs() < 1e-5 && slope_t.slope < 1.0);
    for (j, h) in boot.horizons.iter().enumerate() {
        let got = [
            h.optimism.auc,
            h.optimism.brier,
            h.optimism.ipa,
            h.optimism.cindex,
        ];
        let app0 = [
            h.apparent.auc,
            h.apparent.brier,
            h.apparent.ipa,
            h.apparent.cindex,
        ];
        let cor = [
            h.corrected.auc,
            h.corrected.brier,
            h.corrected.ipa,
            h.corrected.cindex,
        ];
        for k in 0..4 {
            close(
                got[k],
                app[j][k] - test[j][k],
                1e-12,
                &format!("optimism {k} at {}", h.time),
            );
            close(app0[k], orig[j][k], 1e-12, "apparent");
            close(cor[k], orig[j][k] - got[k], 1e-12, "corrected");
        }
        // the refit is optimistic on its own resample for the AUC
        assert!(app[j][0] != test[j][0]);
    }
}

#[test]
fn bootstrap_optimism_is_small_for_a_large_cohort() {
    // 20 resamples of the Fine-Gray model of rotterdam_cr: 2,982 patients for 9 covariates, so
    // the optimism of every measure is within 0.02 (its sign varies between horizons with so few
    // resamples)
    let case = load("rotterdam_cr");
    let opts = CompetingValidationOptions {
        times: nums(&case.r["times"]),
        bootstrap: 20,
        ..Default::default()
    };
    let boot =
        vc::bootstrap_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts).unwrap();
    assert_eq!((boot.resamples, boot.failed, boot.seed), (20, 0, 2021));
    for h in &boot.horizons {
        let o = h.optimism;
        for v in [o.auc, o.brier, o.ipa, o.cindex] {
            assert!(v.abs() < 0.02 && v != 0.0, "{h:?}");
        }
    }
}

#[test]
fn cumulative_incidence_calibration_figures_render() {
    use prognosis::plot::{self, calibration::CalibrationFigure, ImageFormat};
    let case = load("bone_mets_cr");
    let opts = CompetingValidationOptions {
        times: nums(&case.r["times"]),
        ..Default::default()
    };
    let report =
        vc::validate_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts).unwrap();
    let pred = r_predictions(&case);
    for (h, p) in report.horizons.iter().zip(&pred) {
        let mut fig = CalibrationFigure::cumulative_incidence(h);
        fig.risks = p;
        fig.event = "death from breast cancer".into();
        fig.time_unit = Some("months".into());
        let svg = plot::render(&fig, ImageFormat::Svg, "cif").unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
        let png = plot::render(&fig, ImageFormat::Png, "cif").unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}

fn slope_reference() -> Value {
    let path = root().join("tests/reference/competing_risks/slope.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_slope(got: &vc::FineGraySlope, want: &Value, what: &str) {
    for (key, v) in [
        ("slope", got.slope),
        ("se", got.se),
        ("lower", got.lower),
        ("upper", got.upper),
    ] {
        close(
            v,
            want[key].as_f64().unwrap(),
            REL,
            &format!("{what} {key}"),
        );
    }
    assert_eq!(Some(got.converged), want["converged"].as_bool(), "{what}");
    assert_eq!(got.conf_level, 0.95);
}

fn check_observed_expected(report: &vc::CompetingValidationReport, want: &Value, what: &str) {
    let (exp, obs) = (nums(&want["expected"]), nums(&want["observed"]));
    for (j, h) in report.horizons.iter().enumerate() {
        let c = &h.calibration;
        let at = format!("{what} at {}", h.time);
        close(c.expected, exp[j], REL, &format!("{at} expected"));
        close(c.observed.unwrap(), obs[j], REL, &format!("{at} observed"));
        close(
            c.observed_expected.unwrap(),
            obs[j] / exp[j],
            REL,
            &format!("{at} O/E"),
        );
    }
}

/// The rows of a design (in order).
fn rows_of(design: &Design, rows: &[usize]) -> Design {
    let x: Vec<f64> = rows.iter().flat_map(|&i| design.row(i).to_vec()).collect();
    Design::new(x, rows.len(), design.names.clone()).unwrap()
}

#[test]
fn calibration_slope_and_observed_expected_equal_crr() {
    let reference = slope_reference();
    for name in CASES {
        let case = load(name);
        let want = &reference[name];
        let times = nums(&want["times"]);
        let opts = CompetingValidationOptions {
            times: times.clone(),
            ..Default::default()
        };
        // apparent: the model's own data; the slope is 1 up to crr's convergence
        let report =
            vc::validate_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts)
                .unwrap();
        let slope = report.slope.as_ref().unwrap();
        check_slope(slope, &want["apparent"], &format!("{name} apparent"));
        assert!((slope.slope - 1.0).abs() < 1e-5, "{name}: {slope:?}");
        check_observed_expected(&report, &want["apparent"], &format!("{name} apparent"));
        // split: odd complete rows develop, even ones validate
        let n = case.surv.len();
        let dev: Vec<usize> = (0..n).step_by(2).collect();
        let val: Vec<usize> = (1..n).step_by(2).collect();
        let s = &want["split"];
        assert_eq!(dev.len() as u64, s["n_development"].as_u64().unwrap());
        assert_eq!(val.len() as u64, s["n_validation"].as_u64().unwrap());
        let fit = competing::crr(
            &case.surv.subset(&dev),
            &rows_of(&case.design, &dev),
            &CrrOptions::default(),
        )
        .unwrap();
        for (b, w) in fit.coef.iter().zip(nums(&s["coef_development"])) {
            close(*b, w, REL, &format!("{name} development coefficient"));
        }
        let d_val = rows_of(&case.design, &val);
        let s_val = case.surv.subset(&val);
        let lp = vc::fine_gray_lp(&fit, &d_val);
        let got = vc::calibration_slope(&s_val, 1, &lp).unwrap();
        check_slope(&got, s, &format!("{name} split"));
        let pred = vc::fine_gray_cif(&fit, &d_val, &times).unwrap();
        let mut report = vc::validate_predictions(&s_val, &pred, &opts).unwrap();
        assert!(report.slope.is_none());
        report.slope = Some(got);
        check_observed_expected(&report, s, &format!("{name} split"));
        // the slope does not depend on where the linear predictor is centred; it scales
        let shifted: Vec<f64> = lp.iter().map(|v| v - 3.0).collect();
        let again = vc::calibration_slope(&s_val, 1, &shifted).unwrap();
        close(again.slope, s["slope"].as_f64().unwrap(), REL, "shifted");
        let doubled: Vec<f64> = lp.iter().map(|v| 2.0 * v).collect();
        let half = vc::calibration_slope(&s_val, 1, &doubled).unwrap();
        // (equal up to crr's convergence tolerance, gtol 1e-6 on the score)
        close(
            2.0 * half.slope,
            s["slope"].as_f64().unwrap(),
            1e-4,
            "doubled",
        );
    }
}

#[test]
fn calibration_slope_errors() {
    let case = load("bone_mets_cr");
    let lp = vec![0.0; case.surv.len() - 1];
    assert!(matches!(
        vc::calibration_slope(&case.surv, 1, &lp),
        Err(vc::CompetingValidationError::LinearPredictorShape { .. })
    ));
    // a constant linear predictor has no slope
    let err = vc::calibration_slope(&case.surv, 1, &vec![0.5; case.surv.len()]).unwrap_err();
    assert!(err.to_string().contains("calibration slope"), "{err}");
}

#[test]
fn bootstrap_corrects_the_slope_and_the_calibration_curve() {
    let case = load("bone_mets_cr");
    let times = nums(&case.r["times"]);
    let opts = CompetingValidationOptions {
        times: times.clone(),
        bootstrap: 8,
        seed: 11,
        ..Default::default()
    };
    let report =
        vc::validate_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts).unwrap();
    let b = report.bootstrap.as_ref().unwrap();
    assert_eq!((b.resamples, b.failed, b.seed), (8, 0, 11));
    // the apparent slope is the report's; corrected = apparent - optimism exactly
    let s = b.slope;
    assert_eq!(s.apparent, report.slope.as_ref().unwrap().slope);
    assert_eq!(s.corrected, s.apparent - s.optimism);
    // refits on resamples are optimistic: their slope on the original data is below 1
    assert!(s.optimism > 0.0 && s.optimism < 0.3, "{s:?}");
    assert_eq!(b.calibration.len(), times.len());
    for (curve, h) in b.calibration.iter().zip(&report.horizons) {
        assert_eq!(curve.time, h.time);
        // the apparent curve is the grouped calibration (groups of at least 2 patients)
        let groups: Vec<_> = h.calibration.groups.iter().filter(|g| g.n >= 2).collect();
        assert_eq!(curve.groups.len(), groups.len());
        for (c, g) in curve.groups.iter().zip(groups) {
            assert_eq!(c.predicted, g.predicted);
            assert_eq!(Some(c.observed), g.observed);
            assert_eq!(c.corrected, (c.observed - c.optimism).clamp(0.0, 1.0));
            assert!(c.optimism != 0.0 && c.optimism.abs() < 0.2, "{c:?}");
        }
        // no clamping here: corrected = apparent observed - optimism exactly
        assert!(curve
            .groups
            .iter()
            .all(|c| c.corrected == c.observed - c.optimism));
    }
    // reproducible with the seed, different with another
    let again =
        vc::bootstrap_fine_gray(&case.design, &case.surv, &CrrOptions::default(), &opts).unwrap();
    assert_eq!(&again, b);
    let other = vc::bootstrap_fine_gray(
        &case.design,
        &case.surv,
        &CrrOptions::default(),
        &CompetingValidationOptions { seed: 12, ..opts },
    )
    .unwrap();
    assert_ne!(other.slope, b.slope);
    assert_ne!(other.calibration, b.calibration);
}
