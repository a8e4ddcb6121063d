//! The time-dependent metrics against scikit-survival 0.28: `tests/reference/validation_reference_sksurv.json`
//! (made by `tests/reference/scripts/make_validation_reference.py` on R's predictions in
//! `tests/reference/predictions_<case>.csv`), with train = test = the cohort and risk = lp.
//!
//! The JSON holds AUC(t) and BS(t) at the times sksurv used (horizons past the last event are
//! dropped there). It does not hold mean AUC or the integrated Brier score, so those are checked
//! against the documented formulas computed here directly from the reference values.

use prognosis::stats::metrics::{self, TdAuc};
use prognosis::stats::surv::Surv;
use serde_json::Value;
use std::path::PathBuf;

const REL: f64 = 1e-6;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64, what: &str) {
    let err = if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    };
    assert!(
        err <= rel,
        "{what}: got {got:e}, sksurv {want:e} (relative error {err:e})"
    );
}

struct Predictions {
    surv: Surv,
    lp: Vec<f64>,
    headers: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Predictions {
    fn column(&self, name: &str) -> &[f64] {
        let k = self
            .headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers));
        &self.columns[k]
    }
}

fn read_predictions(case: &str) -> Predictions {
    let path = root().join(format!("predictions_{case}.csv"));
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let mut columns = vec![Vec::new(); headers.len()];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (k, field) in rec.iter().enumerate() {
            columns[k].push(field.trim().parse::<f64>().unwrap());
        }
    }
    let col = |name: &str| columns[headers.iter().position(|h| h == name).unwrap()].clone();
    let time = col("time");
    let event: Vec<bool> = col("event").iter().map(|&e| e == 1.0).collect();
    let lp = col("lp");
    Predictions {
        surv: Surv::new(time, event).unwrap(),
        lp,
        headers,
        columns,
    }
}

/// The column name of a horizon: `surv_365`, as R wrote it.
fn surv_column(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("surv_{}", t as i64)
    } else {
        format!("surv_{t}")
    }
}

/// Kaplan–Meier S(t) of the data (hazard d/n), by a direct scan: the weights of sksurv's mean AUC.
fn km(surv: &Surv, t: f64) -> f64 {
    let mut ev: Vec<f64> = surv
        .time()
        .iter()
        .zip(surv.event())
        .filter(|&(&s, &e)| e && s <= t)
        .map(|(&s, _)| s)
        .collect();
    ev.sort_by(f64::total_cmp);
    ev.dedup();
    ev.iter()
        .map(|&s| {
            let d = surv
                .time()
                .iter()
                .zip(surv.event())
                .filter(|&(&x, &e)| e && x == s)
                .count();
            let n = surv.time().iter().filter(|&&x| x >= s).count();
            1.0 - d as f64 / n as f64
        })
        .product()
}

fn cases() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(root().join("validation_reference_sksurv.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let cases: Vec<(String, Value)> = json
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(cases.len() >= 3, "expected the three cohorts");
    cases
}

#[test]
fn cumulative_dynamic_auc_equals_sksurv() {
    for (case, r) in cases() {
        let p = read_predictions(&case);
        let times = nums(&r["times"]);
        let want = nums(&r["auc"]);
        let TdAuc {
            times: got_times,
            auc,
            mean_auc,
        } = metrics::cumulative_dynamic_auc(&p.surv, &p.surv, &p.lp, &times).unwrap();
        assert_eq!(got_times, times, "{case}: times");
        for (k, (&g, &w)) in auc.iter().zip(&want).enumerate() {
            close(g, w, REL, &format!("{case}: AUC({})", times[k]));
        }
        // mean AUC by sksurv's formula, from the reference AUCs and the test KM
        let s: Vec<f64> = times.iter().map(|&t| km(&p.surv, t)).collect();
        let mut num = 0.0;
        let mut prev = 1.0;
        for (a, &sk) in want.iter().zip(&s) {
            num += a * (prev - sk);
            prev = sk;
        }
        let mean_ref = num / (1.0 - prev);
        close(mean_auc, mean_ref, REL, &format!("{case}: mean AUC"));
    }
}

#[test]
fn brier_scores_equal_sksurv() {
    for (case, r) in cases() {
        let p = read_predictions(&case);
        let times = nums(&r["times"]);
        let want = nums(&r["brier"]);
        let pred: Vec<Vec<f64>> = times
            .iter()
            .map(|&t| p.column(&surv_column(t)).to_vec())
            .collect();
        let bs = metrics::brier_scores(&p.surv, &p.surv, &pred, &times).unwrap();
        for (k, (&g, &w)) in bs.iter().zip(&want).enumerate() {
            close(g, w, REL, &format!("{case}: BS({})", times[k]));
        }
        // integrated Brier score: trapezoid over the reference scores divided by the span
        let mut area = 0.0;
        for k in 0..times.len() - 1 {
            area += (times[k + 1] - times[k]) * (want[k] + want[k + 1]) / 2.0;
        }
        let ibs_ref = area / (times[times.len() - 1] - times[0]);
        close(
            metrics::integrated_brier(&times, &bs),
            ibs_ref,
            REL,
            &format!("{case}: integrated Brier score"),
        );

        // IPA against the training Kaplan–Meier null model: the Cox model beats it at each time
        let null_pred: Vec<Vec<f64>> = metrics::km_null_predictions(&p.surv, &times)
            .iter()
            .map(|&s| vec![s; p.surv.len()])
            .collect();
        let null = metrics::brier_scores(&p.surv, &p.surv, &null_pred, &times).unwrap();
        for (k, (&m, &n0)) in bs.iter().zip(&null).enumerate() {
            let ipa = metrics::ipa(m, n0);
            assert!(
                ipa > 0.0 && ipa < 1.0,
                "{case}: IPA({}) = {ipa} (model {m}, null {n0})",
                times[k]
            );
        }
    }
}
