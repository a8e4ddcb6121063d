//! Smooth calibration against R: `tests/reference/validation_reference_r.json` (R survival 3.5-3,
//! rms 6.5-0, made by `tests/reference/scripts/make_validation_reference.R`) from the per-subject
//! predictions `tests/reference/predictions_<case>.csv` (columns time, event, lp, surv_<t>).
//!
//! Knots must agree to 1e-6 relative; ICI, E50, E90 and Emax (figures of a refitted spline model)
//! to 1e-4 relative. The slope of each model's own training linear predictor must be 1.

use prognosis::stats::calibration::{self, CalibrationError};
use prognosis::stats::surv::Surv;
use serde_json::Value;
use std::path::PathBuf;

const KNOTS_REL: f64 = 1e-6;
const STATS_REL: f64 = 1e-4;
const CASES: [&str; 3] = ["rotterdam_os", "gbsg_rfs", "bone_mets_css"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(root().join("validation_reference_r.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The prediction file: header names and columns of numbers.
struct Predictions {
    header: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Predictions {
    fn load(case: &str) -> Predictions {
        let mut rd =
            csv::Reader::from_path(root().join(format!("predictions_{case}.csv"))).unwrap();
        let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
        let mut columns = vec![Vec::new(); header.len()];
        for rec in rd.records() {
            let rec = rec.unwrap();
            for (c, v) in columns.iter_mut().zip(rec.iter()) {
                c.push(v.parse::<f64>().unwrap());
            }
        }
        Predictions { header, columns }
    }

    fn col(&self, name: &str) -> &[f64] {
        let j = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        &self.columns[j]
    }

    fn surv(&self) -> Surv {
        Surv::new(
            self.col("time").to_vec(),
            self.col("event").iter().map(|&e| e == 1.0).collect(),
        )
        .unwrap()
    }
}

fn rel_err(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

#[test]
fn smooth_calibration_matches_r() {
    let all = reference();
    let mut worst_knot: f64 = 0.0;
    let mut worst_stat: f64 = 0.0;
    let mut failures = Vec::new();
    for case in CASES {
        let pred = Predictions::load(case);
        let surv = pred.surv();
        let entries = all[case]["smooth_calibration"].as_array().unwrap();
        assert!(!entries.is_empty(), "{case}: no reference entries");
        for e in entries {
            let u = e["horizon"].as_f64().unwrap();
            let s = pred.col(&format!("surv_{u}"));
            let cal = calibration::smooth_calibration(&surv, s, u)
                .unwrap_or_else(|err| panic!("{case} at {u}: {err}"));
            let want_knots: Vec<f64> = e["knots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(cal.knots.len(), want_knots.len(), "{case} at {u}: knots");
            for (k, (&g, &w)) in cal.knots.iter().zip(&want_knots).enumerate() {
                let err = rel_err(g, w);
                worst_knot = worst_knot.max(err);
                println!("{case:>14} u={u:<5} knot{k}  {g:.15e} R {w:.15e} rel {err:.1e}");
                if err > KNOTS_REL {
                    failures.push(format!("{case} u={u} knot {k}: {g:e} vs R {w:e} ({err:e})"));
                }
            }
            for (name, got) in [
                ("ici", cal.ici),
                ("e50", cal.e50),
                ("e90", cal.e90),
                ("emax", cal.emax),
            ] {
                let want = e[name].as_f64().unwrap();
                let err = rel_err(got, want);
                worst_stat = worst_stat.max(err);
                println!("{case:>14} u={u:<5} {name:<5} {got:.15e} R {want:.15e} rel {err:.1e}");
                if err > STATS_REL {
                    failures.push(format!(
                        "{case} u={u} {name}: {got:e} vs R {want:e} ({err:e})"
                    ));
                }
            }
            assert_eq!(cal.curve.len(), 50);
            assert!(cal
                .curve
                .iter()
                .all(|(p, o)| p.is_finite() && o.is_finite()));
        }
    }
    println!("worst relative error: knots {worst_knot:.1e}, ici/e50/e90/emax {worst_stat:.1e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn horizon_beyond_follow_up_is_an_error() {
    let pred = Predictions::load("gbsg_rfs");
    let surv = pred.surv();
    let last = surv.time().iter().copied().fold(0.0, f64::max);
    let s = pred.col("surv_1826");
    assert!(matches!(
        calibration::smooth_calibration(&surv, s, last + 1.0),
        Err(CalibrationError::HorizonBeyondFollowUp { .. })
    ));
}

#[test]
fn slope_of_training_linear_predictor_is_one() {
    for case in CASES {
        let pred = Predictions::load(case);
        let surv = pred.surv();
        let slope = calibration::calibration_slope(&surv, pred.col("lp")).unwrap();
        println!(
            "{case:>14} slope {:.12} se {:.6} [{:.6}, {:.6}]",
            slope.slope, slope.se, slope.lower, slope.upper
        );
        // R's linear predictor maximises the partial likelihood (coxph, eps = 1e-9) and is
        // printed to 15 digits
        assert!(
            (slope.slope - 1.0).abs() < 1e-6,
            "{case}: slope {}",
            slope.slope
        );
        assert!(slope.lower < 1.0 && slope.upper > 1.0);
    }
}

#[test]
fn observed_expected_from_km() {
    let pred = Predictions::load("rotterdam_os");
    let surv = pred.surv();
    let s = pred.col("surv_1826");
    // Kaplan-Meier at 1826, by hand (the km module is not used here)
    let mut pairs: Vec<(f64, bool)> = surv
        .time()
        .iter()
        .copied()
        .zip(surv.event().iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = pairs.len() as f64;
    let mut km = 1.0;
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        if group[0].0 > 1826.0 {
            break;
        }
        let d = group.iter().filter(|p| p.1).count() as f64;
        km *= 1.0 - d / at_risk;
        at_risk -= group.len() as f64;
    }
    let oe = calibration::observed_expected(&surv, s, 1826.0, km);
    let mean_risk = s.iter().map(|v| 1.0 - v).sum::<f64>() / s.len() as f64;
    assert!((oe - (1.0 - km) / mean_risk).abs() < 1e-12);
    // the model is fitted to these data: calibration in the large is close to 1
    assert!((oe - 1.0).abs() < 0.1, "O/E {oe}");
}
