use super::*;
use proptest::prelude::*;

fn surv(time: &[f64], event: &[u8]) -> Surv {
    Surv::new(time.to_vec(), event.iter().map(|&e| e == 1).collect()).unwrap()
}

#[track_caller]
fn close(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
        "got {got:e}, want {want:e}"
    );
}

// The 15-subject data of sksurv's tests/test_metrics.py (cumulative_dynamic_auc).
fn sksurv15() -> (Surv, Vec<f64>) {
    let time = [
        10.88, 19.78, 40.92, 98.7, 70.19, 10.15, 28.95, 29.57, 17.9, 63.78, 36.22, 83.14, 13.69,
        99.51, 3.19,
    ];
    let event = [1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1];
    let est = vec![
        -1.019, -0.016, 0.132, 0.269, -0.777, -1.077, 0.894, -1.227, -0.417, 0.072, -1.275, -0.91,
        -0.825, -0.292, -0.045,
    ];
    (surv(&time, &event), est)
}

fn sksurv20_train() -> Surv {
    let time = [
        77.6, 57.6, 66.6, 67.0, 31.5, 5.5, 67.4, 43.7, 31.7, 71.9, 81.1, 56.2, 88.1, 2.9, 62.0,
        17.2, 88.0, 26.4, 93.5, 79.9,
    ];
    let event = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1];
    surv(&time, &event)
}

/// sksurv's expected values are given to 7 significant digits.
#[track_caller]
fn close7(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 5e-7, "got {g}, sksurv {w}");
    }
}

#[test]
fn auc_matches_sksurv_test_suite() {
    let (y, est) = sksurv15();
    let r = cumulative_dynamic_auc(&y, &y, &est, &[28.0]).unwrap();
    close7(&r.auc, &[0.362963]);
    close7(&[r.mean_auc], &[0.362963]);

    let r = cumulative_dynamic_auc(&y, &y, &est, &[15.0, 66.0]).unwrap();
    close7(&r.auc, &[0.3030303, 0.45]);
    close7(&[r.mean_auc], &[0.3943949]);

    let r = cumulative_dynamic_auc(&y, &y, &est, &[3.19, 15.0, 66.0, 99.51 - 1e-6]).unwrap();
    close7(&r.auc, &[0.6428571, 0.3030303, 0.45, 0.3162996]);
    close7(&[r.mean_auc], &[0.3999539]);

    let train = sksurv20_train();
    let r = cumulative_dynamic_auc(&train, &y, &est, &[15.0, 66.0]).unwrap();
    close7(&r.auc, &[0.3030303, 0.4357061]);
    close7(&[r.mean_auc], &[0.385509]);

    let mut t = y.time().to_vec();
    t[0] = t[1];
    let y2 = Surv::new(t, y.event().to_vec()).unwrap();
    let r = cumulative_dynamic_auc(&train, &y2, &est, &[15.0, 66.0]).unwrap();
    close7(&r.auc, &[0.375, 0.4357061]);
    close7(&[r.mean_auc], &[0.4204885]);
}

#[test]
fn auc_sorts_and_dedups_times() {
    let (y, est) = sksurv15();
    let a = cumulative_dynamic_auc(&y, &y, &est, &[66.0, 15.0, 66.0]).unwrap();
    let b = cumulative_dynamic_auc(&y, &y, &est, &[15.0, 66.0]).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.times, vec![15.0, 66.0]);
}

#[test]
fn censoring_km_conventions() {
    // times 1, 2, 2+, 2, 3+, 4+, 5 : at 2 the two events leave first, so c/(n - d) = 1/(6 - 2)
    // (R's survfit on the flipped status would use 1/6)
    let y = surv(&[1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0], &[1, 1, 0, 1, 0, 0, 1]);
    let g = CensoringKm::new(&y);
    assert_eq!(g.times(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
    let g2 = 1.0 - 1.0 / 4.0;
    let g3 = g2 * (1.0 - 1.0 / 3.0);
    let g4 = g3 * (1.0 - 1.0 / 2.0);
    assert_eq!(g.values(), &[1.0, g2, g3, g4, g4]);
    assert_eq!(g.at(0.5), 1.0);
    assert_eq!(g.at(1.999), 1.0);
    assert_eq!(g.at(2.0), g2); // at t itself: censorings at t count
    assert_eq!(g.at(2.5), g2);
    assert_eq!(g.at(4.0), g4);
    assert_eq!(g.at(7.0), g4);
    assert!(g.at(f64::NAN).is_nan());
    assert_eq!(g.checked_at(5.0), Ok(g4));
    assert!(matches!(
        g.checked_at(5.5),
        Err(MetricsError::BeyondTraining { last: 5.0, .. })
    ));
    // a knot within machine epsilon above t counts as reached (sksurv's |knot - t| < eps)
    let above = f64::from_bits(0.5f64.to_bits() + 1);
    let y = surv(&[0.3, above, 0.7], &[1, 0, 1]);
    let g = CensoringKm::new(&y);
    assert_eq!(g.values(), &[1.0, 0.5, 0.5]);
    assert_eq!(g.at(0.5), 0.5);
    assert_eq!(g.at(0.4), 1.0);

    // censoring at the last time: G reaches 0, and is 0 (not an error) after it
    let y = surv(&[1.0, 2.0, 3.0], &[1, 1, 0]);
    let g = CensoringKm::new(&y);
    assert_eq!(g.at(3.0), 0.0);
    assert_eq!(g.checked_at(9.0), Ok(0.0));

    // no censoring: 1 everywhere, still bounded by the last training time
    let y = surv(&[1.0, 2.0], &[1, 1]);
    let g = CensoringKm::new(&y);
    assert_eq!(g.at(1.5), 1.0);
    assert!(g.checked_at(3.0).is_err());
}

#[test]
fn auc_errors() {
    let (y, est) = sksurv15();
    assert!(matches!(
        cumulative_dynamic_auc(&y, &y, &est[..3], &[20.0]),
        Err(MetricsError::LengthMismatch {
            got: 3,
            expected: 15,
            ..
        })
    ));
    let mut bad = est.clone();
    bad[4] = f64::NAN;
    assert!(matches!(
        cumulative_dynamic_auc(&y, &y, &bad, &[20.0]),
        Err(MetricsError::NonFiniteRisk { index: 4, .. })
    ));
    assert!(matches!(
        cumulative_dynamic_auc(&y, &y, &est, &[20.0, f64::INFINITY]),
        Err(MetricsError::NonFiniteTime { index: 1, .. })
    ));
    assert_eq!(
        cumulative_dynamic_auc(&y, &y, &est, &[]),
        Err(MetricsError::NoTimes)
    );
    // the largest test time itself is outside: [3.19, 99.51[
    let e = cumulative_dynamic_auc(&y, &y, &est, &[20.0, 99.51]).unwrap_err();
    assert_eq!(
        e,
        MetricsError::TimeOutsideFollowUp {
            time: 99.51,
            min: 3.19,
            max: 99.51
        }
    );
    assert!(
        e.to_string().contains("at least 3.19") && e.to_string().contains("below 99.51"),
        "{e}"
    );
    assert!(matches!(
        cumulative_dynamic_auc(&y, &y, &est, &[3.0]),
        Err(MetricsError::TimeOutsideFollowUp { time: 3.0, .. })
    ));
    let censored = surv(&[1.0, 2.0], &[0, 0]);
    assert_eq!(
        cumulative_dynamic_auc(&y, &censored, &[1.0, 2.0], &[1.5]),
        Err(MetricsError::NoEvents { which: "test" })
    );
    assert_eq!(
        cumulative_dynamic_auc(&censored, &y, &est, &[20.0]),
        Err(MetricsError::NoEvents { which: "training" })
    );
    // a test event after the training follow-up while G > 0 there: an error when the event
    // is a case at some time, as sksurv; not when it is after every time (its weight is
    // unused; sksurv fails there too)
    let train = surv(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 1, 1]);
    let test = surv(&[1.0, 2.0, 5.0, 6.0], &[1, 0, 1, 0]);
    let risk = [4.0, 3.0, 2.0, 1.0];
    assert!(matches!(
        cumulative_dynamic_auc(&train, &test, &risk, &[5.5]),
        Err(MetricsError::BeyondTraining {
            time: 5.0,
            last: 4.0,
            ..
        })
    ));
    // at 1.5 the one case (time 1, risk 4) outranks all three controls
    let ok = cumulative_dynamic_auc(&train, &test, &risk, &[1.5]).unwrap();
    assert_eq!(ok.auc, vec![1.0]);
    // G = 0 at a test event: the last training time is censored and a test event is there
    let train = surv(&[1.0, 2.0, 3.0, 4.0, 4.0], &[1, 0, 1, 1, 0]);
    let test = surv(&[1.0, 2.0, 4.0, 6.0], &[1, 0, 1, 0]);
    assert_eq!(
        cumulative_dynamic_auc(&train, &test, &risk, &[4.5]),
        Err(MetricsError::ZeroCensoringSurvival {
            index: 2,
            time: 4.0
        })
    );
    assert_eq!(
        cumulative_dynamic_auc(&train, &test, &risk, &[1.5])
            .unwrap()
            .auc,
        vec![1.0]
    );
    // the Brier score likewise needs G only up to the last time
    let preds = vec![vec![0.9, 0.8, 0.7, 0.6]];
    assert!(brier_scores(&train, &test, &preds, &[1.5]).is_ok());
}

#[test]
fn roc_area_is_the_auc() {
    let (y, est) = sksurv15();
    let times = [3.19, 15.0, 28.0, 66.0, 99.51 - 1e-6];
    let auc = cumulative_dynamic_auc(&y, &y, &est, &times).unwrap();
    for (k, &t) in times.iter().enumerate() {
        let roc = cumulative_dynamic_roc(&y, &y, &est, t).unwrap();
        assert_eq!(roc.time, t);
        assert_eq!(roc.points[0], (0.0, 0.0));
        assert_eq!(*roc.points.last().unwrap(), (1.0, 1.0));
        assert_eq!(roc.points.len(), roc.thresholds.len());
        // no ties among the 15 scores: one point per subject, thresholds the scores
        assert_eq!(roc.points.len(), 16);
        assert!(roc.thresholds[0].is_infinite());
        assert!(roc.thresholds.windows(2).all(|w| w[1] < w[0]));
        close(trapezoid(&roc.points), auc.auc[k], 1e-12);
        assert_eq!(roc.auc, auc.auc[k]);
    }
    // sksurv's value at 28
    let roc = cumulative_dynamic_roc(&y, &y, &est, 28.0).unwrap();
    close7(&[roc.auc], &[0.362963]);
    // with another training set (other weights)
    let train = sksurv20_train();
    let roc = cumulative_dynamic_roc(&train, &y, &est, 66.0).unwrap();
    close7(&[roc.auc], &[0.4357061]);
}

#[test]
fn roc_by_hand() {
    // no censoring: G = 1, every weight 1. t = 2.5: cases 0 and 1 (times 1, 2), controls
    // 2, 3, 4 (times 3, 4, 5). Risks 0.9, 0.5, 0.7, 0.5, 0.1: tie group {0.5, 0.5}.
    let y = surv(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 1, 1, 1, 1]);
    let risk = [0.9, 0.5, 0.7, 0.5, 0.1];
    let roc = cumulative_dynamic_roc(&y, &y, &risk, 2.5).unwrap();
    let third = 1.0 / 3.0;
    assert_eq!(
        roc.points,
        vec![
            (0.0, 0.0),
            (0.0, 0.5),         // >= 0.9: case 0
            (third, 0.5),       // >= 0.7: control 2
            (2.0 * third, 1.0), // >= 0.5: case 1 and control 3 together
            (1.0, 1.0),         // >= 0.1: control 4
        ]
    );
    assert_eq!(roc.thresholds[1..], [0.9, 0.7, 0.5, 0.1]);
    // pairs: case 0 beats all 3 controls; case 1 beats control 4, ties control 3, loses to 2
    close(roc.auc, (3.0 + 1.5) / 6.0, 1e-15);
}

#[test]
fn roc_errors() {
    let y = surv(&[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0]);
    assert_eq!(
        cumulative_dynamic_roc(&y, &y, &[1.0, 2.0, 3.0, 4.0], 1.5),
        Err(MetricsError::NoCases { time: 1.5 })
    );
    assert!(matches!(
        cumulative_dynamic_roc(&y, &y, &[1.0, 2.0, 3.0], 2.5),
        Err(MetricsError::LengthMismatch { got: 3, .. })
    ));
    assert!(matches!(
        cumulative_dynamic_roc(&y, &y, &[1.0, 2.0, 3.0, 4.0], 4.0),
        Err(MetricsError::TimeOutsideFollowUp { time: 4.0, .. })
    ));
}

/// The reference cohorts: the area under the ROC curve is scikit-survival's AUC.
#[test]
fn roc_area_equals_sksurv_on_reference_cohorts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let text = std::fs::read_to_string(dir.join("validation_reference_sksurv.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (case, r) in json.as_object().unwrap() {
        let mut rdr = csv::Reader::from_path(dir.join(format!("predictions_{case}.csv"))).unwrap();
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (ct, ce, cl) = (col("time"), col("event"), col("lp"));
        let (mut time, mut event, mut lp) = (Vec::new(), Vec::new(), Vec::new());
        for rec in rdr.records() {
            let rec = rec.unwrap();
            time.push(rec[ct].trim().parse::<f64>().unwrap());
            event.push(rec[ce].trim() == "1");
            lp.push(rec[cl].trim().parse::<f64>().unwrap());
        }
        let y = Surv::new(time, event).unwrap();
        let times: Vec<f64> = r["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let auc = cumulative_dynamic_auc(&y, &y, &lp, &times).unwrap();
        for (k, &t) in times.iter().enumerate() {
            let roc = cumulative_dynamic_roc(&y, &y, &lp, t).unwrap();
            close(trapezoid(&roc.points), auc.auc[k], 1e-12);
            let want = r["auc"][k].as_f64().unwrap();
            assert!(
                ((roc.auc - want) / want).abs() < 1e-6,
                "{case} at {t}: {} vs sksurv {want}",
                roc.auc
            );
            assert_eq!(*roc.points.last().unwrap(), (1.0, 1.0));
        }
    }
}

#[test]
fn auc_without_cases_is_nan() {
    // no test event at or before 1.5: AUC(1.5) is 0/0
    let y = surv(&[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0]);
    let r = cumulative_dynamic_auc(&y, &y, &[1.0, 2.0, 3.0, 4.0], &[1.5, 2.5]).unwrap();
    assert!(r.auc[0].is_nan());
    assert!(r.auc[1].is_finite());
    assert!(r.mean_auc.is_nan());
}

#[test]
fn perfect_and_reversed_risk() {
    let y = surv(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 1, 0, 1, 1, 0]);
    let risk = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
    let r = cumulative_dynamic_auc(&y, &y, &risk, &[1.0, 2.5, 4.5]).unwrap();
    assert_eq!(r.auc, vec![1.0, 1.0, 1.0]);
    assert_eq!(r.mean_auc, 1.0);
    let rev: Vec<f64> = risk.iter().map(|r| -r).collect();
    let r = cumulative_dynamic_auc(&y, &y, &rev, &[1.0, 2.5, 4.5]).unwrap();
    assert_eq!(r.auc, vec![0.0, 0.0, 0.0]);
    let flat = [1.0; 6];
    let r = cumulative_dynamic_auc(&y, &y, &flat, &[1.0, 2.5, 4.5]).unwrap();
    assert_eq!(r.auc, vec![0.5, 0.5, 0.5]);
}

#[test]
fn chained_near_ties_form_one_group() {
    // 0, 0.6e-8, 1.2e-8: consecutive gaps within the tolerance, so one tie group (sksurv),
    // although the outer two differ by more than the tolerance.
    let y = surv(&[1.0, 2.0, 3.0], &[1, 0, 0]);
    let risk = [1.2e-8, 0.6e-8, 0.0];
    let r = cumulative_dynamic_auc(&y, &y, &risk, &[1.0]).unwrap();
    assert_eq!(r.auc, vec![0.5]);
    // the pairwise rule of the naive version would score the case over subject 2
    assert_eq!(
        naive::cumulative_dynamic_auc(&y, &y, &risk, &[1.0]),
        vec![0.75]
    );
}

#[test]
fn brier_by_hand() {
    // train = test: times 1, 2+, 3, 4+, 5 ; G: 1 until 2, then 1 - 1/4 = 0.75 until 4,
    // then 0.75 * (1 - 1/2) = 0.375.
    let y = surv(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 0, 1, 0, 1]);
    let pred = vec![vec![0.9, 0.8, 0.7, 0.6, 0.5], vec![0.5, 0.4, 0.3, 0.2, 0.1]];
    let bs = brier_scores(&y, &y, &pred, &[2.0, 3.5]).unwrap();
    // t = 2: case 1 (G(1) = 1); controls 3, 4, 5 with G(2) = 0.75; subject 2 censored <= t
    let want0 =
        (0.9f64.powi(2) / 1.0 + (0.3f64.powi(2) + 0.4f64.powi(2) + 0.5f64.powi(2)) / 0.75) / 5.0;
    // t = 3.5: cases 1 (G = 1) and 3 (G = 0.75); controls 4, 5 with G(3.5) = 0.75
    let want1 =
        (0.5f64.powi(2) + 0.3f64.powi(2) / 0.75 + (0.8f64.powi(2) + 0.9f64.powi(2)) / 0.75) / 5.0;
    close(bs[0], want0, 1e-14);
    close(bs[1], want1, 1e-14);
    let nv = naive::brier_scores(&y, &y, &pred, &[2.0, 3.5]);
    close(bs[0], nv[0], 1e-14);
    close(bs[1], nv[1], 1e-14);

    let ibs = integrated_brier(&[2.0, 3.5], &bs);
    close(ibs, (bs[0] + bs[1]) / 2.0, 1e-15);
}

#[test]
fn brier_zero_g_drops_the_term() {
    // train censored at its last time 4: G(4) = 0; the test control at t = 4.5 gets 0 weight
    let train = surv(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 1, 0]);
    let test = surv(&[1.0, 4.0, 4.5, 4.8], &[1, 1, 0, 1]);
    let pred = vec![vec![0.2, 0.3, 0.4, 0.5]];
    let bs = brier_scores(&train, &test, &pred, &[4.5]).unwrap();
    // only subject 0 (a case with G(1) = 1) contributes
    close(bs[0], 0.04 / 4.0, 1e-15);
}

#[test]
fn brier_errors() {
    let y = surv(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 0, 1, 0, 1]);
    let pred = vec![vec![0.5; 5]; 2];
    assert!(matches!(
        brier_scores(&y, &y, &pred, &[2.0]),
        Err(MetricsError::LengthMismatch {
            got: 2,
            expected: 1,
            ..
        })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &[vec![0.5; 4]], &[2.0]),
        Err(MetricsError::LengthMismatch {
            got: 4,
            expected: 5,
            ..
        })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &pred, &[3.0, 2.0]),
        Err(MetricsError::TimesNotIncreasing { index: 1, .. })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &pred, &[3.0, 3.0]),
        Err(MetricsError::TimesNotIncreasing { index: 1, .. })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &pred, &[2.0, 5.0]),
        Err(MetricsError::TimeOutsideFollowUp { time: 5.0, .. })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &[vec![0.5, 0.5, f64::NAN, 0.5, 0.5]], &[2.0]),
        Err(MetricsError::NonFinitePrediction { subject: 2, .. })
    ));
    assert!(matches!(
        brier_scores(&y, &y, &[vec![0.5; 5]], &[f64::NAN]),
        Err(MetricsError::NonFiniteTime { index: 0, .. })
    ));
    assert_eq!(brier_scores(&y, &y, &[], &[]), Err(MetricsError::NoTimes));
    // test times after the training follow-up (G unknown there) matter only when they are at
    // or before an evaluation time: after every one, those subjects are controls weighted by
    // G(t) (sksurv raises here all the same)
    let train = surv(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 1, 1]);
    let test = surv(&[1.0, 2.0, 3.0, 6.0, 7.0], &[1, 0, 1, 0, 1]);
    assert!(brier_scores(&train, &test, &[vec![0.5; 5]], &[2.0]).is_ok());
    // and so is an evaluation time after it
    assert!(matches!(
        brier_scores(&train, &test, &[vec![0.5; 5]], &[5.0]),
        Err(MetricsError::BeyondTraining { time: 5.0, .. })
    ));
}

#[test]
fn integrated_brier_and_ipa() {
    // sksurv's doc formula: trapezoid / span
    let t = [1.0, 2.0, 4.0];
    let s = [0.1, 0.2, 0.3];
    close(integrated_brier(&t, &s), (0.15 + 2.0 * 0.25) / 3.0, 1e-15);
    assert!(integrated_brier(&[1.0], &[0.1]).is_nan());
    assert!(integrated_brier(&[1.0, 2.0], &[0.1]).is_nan());
    assert!(integrated_brier(&[2.0, 1.0], &[0.1, 0.2]).is_nan());
    close(ipa(0.15, 0.2), 0.25, 1e-15);
}

#[test]
fn km_null_model() {
    // 1, 2+, 3, 3, 4+ : S(1) = 4/5, S(3) = 4/5 * (1 - 2/3)
    let y = surv(&[1.0, 2.0, 3.0, 3.0, 4.0], &[1, 0, 1, 1, 0]);
    let s = km_null_predictions(&y, &[0.5, 1.0, 2.5, 3.0, 4.0, 4.5, f64::NAN]);
    let s3 = 0.8 * (1.0 - 2.0 / 3.0);
    assert_eq!(&s[..5], &[1.0, 0.8, 0.8, s3, s3]);
    assert!(s[5].is_nan() && s[6].is_nan());
    // the curve reaches 0: defined (0) after the last time
    let y = surv(&[1.0, 2.0], &[1, 1]);
    assert_eq!(km_null_predictions(&y, &[3.0]), vec![0.0]);
    // a perfect null model at the times where it is the KM of the test data itself
    let y = surv(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 0, 1, 0, 1]);
    let times = [2.0, 3.5];
    let null: Vec<Vec<f64>> = km_null_predictions(&y, &times)
        .iter()
        .map(|&p| vec![p; y.len()])
        .collect();
    let bs_null = brier_scores(&y, &y, &null, &times).unwrap();
    let perfect = vec![vec![0.0, 1.0, 1.0, 1.0, 1.0], vec![0.0, 1.0, 0.0, 1.0, 1.0]];
    let bs = brier_scores(&y, &y, &perfect, &times).unwrap();
    assert_eq!(bs, vec![0.0, 0.0]);
    assert!(bs_null.iter().all(|&b| b > 0.0));
    assert_eq!(ipa(bs[1], bs_null[1]), 1.0);
}

#[derive(Debug, Clone)]
struct Data {
    train: Surv,
    test: Surv,
    risk: Vec<f64>,
    times: Vec<f64>,
    pred: Vec<Vec<f64>>,
}

/// Few distinct times (ties among events and censorings, events tied with censorings) and
/// risks on a coarse grid (many tied scores); train = test half of the time.
fn data() -> impl Strategy<Value = Data> {
    (2usize..40, 2usize..40, any::<bool>()).prop_flat_map(|(n, m, same)| {
        (
            prop::collection::vec((0u8..8, any::<bool>()), n),
            prop::collection::vec((0u8..9, any::<bool>()), m),
            prop::collection::vec(-3i8..4, n),
            prop::collection::vec(0.0f64..1.0, 4 * n),
            prop::collection::vec(0u8..17, 1..5),
        )
            .prop_map(move |(te, tr, risk, pred, tsel)| {
                let mk = |v: &[(u8, bool)]| {
                    Surv::new(
                        v.iter().map(|p| f64::from(p.0)).collect(),
                        v.iter().map(|p| p.1).collect(),
                    )
                    .unwrap()
                };
                let test = mk(&te);
                let train = if same { test.clone() } else { mk(&tr) };
                // candidate times: the grid and its midpoints, kept when within the test
                // follow-up
                let min = test.time().iter().copied().fold(f64::INFINITY, f64::min);
                let max = test
                    .time()
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                let mut times: Vec<f64> = tsel
                    .iter()
                    .map(|&k| f64::from(k) / 2.0)
                    .filter(|&t| t >= min && t < max)
                    .collect();
                times.sort_by(f64::total_cmp);
                times.dedup();
                let pred = (0..times.len())
                    .map(|k| pred[k * n..(k + 1) * n].to_vec())
                    .collect();
                Data {
                    train,
                    test,
                    risk: risk.iter().map(|&r| f64::from(r) * 0.7).collect(),
                    times,
                    pred,
                }
            })
    })
}

fn agree(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn censoring_km_matches_naive(d in data(), t in 0.0f64..9.0) {
        let g = CensoringKm::new(&d.train);
        for s in d.train.time().iter().copied().chain([t, t.floor()]) {
            prop_assert!(agree(g.at(s), naive::censoring_survival(&d.train, s)));
        }
    }

    #[test]
    fn fast_auc_matches_naive(d in data()) {
        match cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &d.times) {
            Ok(r) => {
                prop_assert_eq!(&r.times, &d.times);
                let nv = naive::cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &d.times);
                for (a, b) in r.auc.iter().zip(&nv) {
                    prop_assert!(agree(*a, *b), "fast {:?} naive {:?}", r.auc, nv);
                }
                let m = naive::mean_auc(&d.test, &d.times, &nv);
                prop_assert!(agree(r.mean_auc, m), "mean fast {} naive {}", r.mean_auc, m);
                // a strictly increasing transform of the risk changes nothing
                let tr: Vec<f64> = d.risk.iter().map(|r| 3.0 * r + 1.0).collect();
                let r2 = cumulative_dynamic_auc(&d.train, &d.test, &tr, &d.times).unwrap();
                for (a, b) in r.auc.iter().zip(&r2.auc) {
                    prop_assert!(agree(*a, *b));
                }
            }
            Err(MetricsError::NoTimes) => prop_assert!(d.times.is_empty()),
            Err(MetricsError::NoEvents { which }) => {
                let s = if which == "test" { &d.test } else { &d.train };
                prop_assert_eq!(s.n_events(), 0);
            }
            Err(MetricsError::BeyondTraining { time, last, g }) => {
                prop_assert!(time > last && g > 0.0);
                prop_assert!(d.test.time().iter().zip(d.test.event()).any(|(&t, &e)| e && t == time));
            }
            Err(MetricsError::ZeroCensoringSurvival { index, time }) => {
                prop_assert!(d.test.event()[index] && d.test.time()[index] == time);
                prop_assert_eq!(naive::censoring_survival(&d.train, time), 0.0);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn roc_area_is_the_auc_and_the_naive_curve(d in data()) {
        for &t in &d.times {
            match cumulative_dynamic_roc(&d.train, &d.test, &d.risk, t) {
                Ok(roc) => {
                    let auc = cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &[t]).unwrap();
                    prop_assert!(agree(trapezoid(&roc.points), auc.auc[0]));
                    let pairwise = naive::cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &[t]);
                    prop_assert!(agree(roc.auc, pairwise[0]), "{} vs {}", roc.auc, pairwise[0]);
                    prop_assert_eq!(roc.points[0], (0.0, 0.0));
                    prop_assert_eq!(*roc.points.last().unwrap(), (1.0, 1.0));
                    prop_assert!(roc.points.windows(2).all(|w| w[1].0 >= w[0].0 && w[1].1 >= w[0].1));
                    let (pts, thr) = naive::roc_curve(&d.train, &d.test, &d.risk, t);
                    prop_assert_eq!(&roc.thresholds, &thr);
                    for (a, b) in roc.points.iter().zip(&pts) {
                        prop_assert!(agree(a.0, b.0) && agree(a.1, b.1), "{:?} vs {:?}", roc.points, pts);
                    }
                }
                Err(MetricsError::NoCases { time }) => {
                    prop_assert_eq!(time, t);
                    let auc = cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &[t]).unwrap();
                    prop_assert!(auc.auc[0].is_nan());
                }
                Err(e) => {
                    // the AUC fails the same way
                    let a = cumulative_dynamic_auc(&d.train, &d.test, &d.risk, &[t]);
                    prop_assert_eq!(a, Err(e));
                }
            }
        }
    }

    /// Continuous random scores (no ties): the area is the AUC.
    #[test]
    fn roc_area_is_the_auc_on_continuous_data(
        rows in prop::collection::vec((0.01f64..10.0, any::<bool>(), -5.0f64..5.0), 2..80),
        u in 0.0f64..1.0,
    ) {
        let y = Surv::new(rows.iter().map(|r| r.0).collect(), rows.iter().map(|r| r.1).collect()).unwrap();
        let risk: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let (lo, hi) = y.time().iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
        let t = lo + (hi - lo) * u * 0.999;
        if let Ok(roc) = cumulative_dynamic_roc(&y, &y, &risk, t) {
            let auc = cumulative_dynamic_auc(&y, &y, &risk, &[t]).unwrap();
            prop_assert!((trapezoid(&roc.points) - auc.auc[0]).abs() <= 1e-12);
            let pairwise = naive::cumulative_dynamic_auc(&y, &y, &risk, &[t]);
            prop_assert!((roc.auc - pairwise[0]).abs() <= 1e-12);
        }
    }

    #[test]
    fn fast_brier_matches_naive(d in data()) {
        match brier_scores(&d.train, &d.test, &d.pred, &d.times) {
            Ok(bs) => {
                let nv = naive::brier_scores(&d.train, &d.test, &d.pred, &d.times);
                for (a, b) in bs.iter().zip(&nv) {
                    prop_assert!(agree(*a, *b), "fast {:?} naive {:?}", bs, nv);
                }
            }
            Err(MetricsError::NoTimes) => prop_assert!(d.times.is_empty()),
            Err(MetricsError::NoEvents { which }) => {
                let s = if which == "test" { &d.test } else { &d.train };
                prop_assert_eq!(s.n_events(), 0);
            }
            Err(MetricsError::BeyondTraining { time, last, g }) => {
                prop_assert!(time > last && g > 0.0);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }
}
