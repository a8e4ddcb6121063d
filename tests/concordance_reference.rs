//! Concordance against the references: R survival 3.5-3 (`tests/reference/reference.json`, made by
//! `tests/reference/scripts/make_reference.R`: `concordance(fit)` and
//! `concordance(fit, timewt = "n/G2", ymax = uno_tau)` of the Efron fit) and scikit-survival 0.28
//! (`tests/reference/validation_reference_sksurv.json`, made by `make_validation_reference.py`:
//! `concordance_index_censored` and `concordance_index_ipcw(y, y, lp, tau)`), all computed from
//! the linear predictor in `tests/reference/predictions_<case>.csv`.

use prognosis::stats::concordance::{self, naive};
use prognosis::stats::surv::Surv;
use serde_json::Value;
use std::path::PathBuf;

const REL: f64 = 1e-6;
const CASES: [&str; 3] = ["rotterdam_os", "gbsg_rfs", "bone_mets_css"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn json(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (outcome, lp) from the predictions file of a case.
fn predictions(case: &str) -> (Surv, Vec<f64>) {
    let path = root().join(format!("predictions_{case}.csv"));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (ct, ce, cl) = (col("time"), col("event"), col("lp"));
    let (mut time, mut event, mut lp) = (vec![], vec![], vec![]);
    for record in reader.records() {
        let r = record.unwrap();
        time.push(r[ct].parse::<f64>().unwrap());
        event.push(r[ce].parse::<f64>().unwrap() == 1.0);
        lp.push(r[cl].parse::<f64>().unwrap());
    }
    (Surv::new(time, event).unwrap(), lp)
}

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= REL,
        "{what}: got {got:.15e}, reference {want:.15e} (relative error {err:e})"
    );
}

#[test]
fn harrell_matches_r() {
    let r = json("reference.json");
    for case in CASES {
        let (surv, lp) = predictions(case);
        let want = &r[case]["efron"];
        let c = concordance::harrell(&surv, &lp, None, None).unwrap();
        close(
            c.c,
            want["concordance"].as_f64().unwrap(),
            &format!("{case} C"),
        );
        close(
            c.se,
            want["concordance_se"].as_f64().unwrap(),
            &format!("{case} se"),
        );
        assert_eq!(c.comparable, c.concordant + c.discordant + c.tied_risk);
        assert!(c.lower < c.c && c.c < c.upper);
    }
}

#[test]
fn uno_matches_r() {
    let r = json("reference.json");
    for case in CASES {
        let (surv, lp) = predictions(case);
        let want = &r[case]["efron"];
        let tau = want["uno_tau"].as_f64().unwrap();
        let c = concordance::uno(&surv, &lp, tau).unwrap();
        close(
            c.c,
            want["uno_c"].as_f64().unwrap(),
            &format!("{case} Uno C"),
        );
        assert!(c.se > 0.0 && c.se < 0.05, "{case} Uno se {}", c.se);
    }
}

#[test]
fn sksurv_matches_scikit_survival() {
    let r = json("validation_reference_sksurv.json");
    for case in CASES {
        let (surv, lp) = predictions(case);
        let want = &r[case];
        let tau = want["uno_tau"].as_f64().unwrap();
        close(
            concordance::harrell_sksurv(&surv, &lp),
            want["harrell_c_sksurv"].as_f64().unwrap(),
            &format!("{case} sksurv Harrell C"),
        );
        close(
            concordance::uno_sksurv(&surv, &lp, tau),
            want["uno_c_sksurv"].as_f64().unwrap(),
            &format!("{case} sksurv Uno C"),
        );
    }
}

/// The fast functions equal the direct O(n²) definitions on the real data (a few seconds in a
/// debug build, so only on the smallest cohort there).
#[test]
fn fast_equals_naive_on_gbsg() {
    let (surv, lp) = predictions("gbsg_rfs");
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    let (a, b) = (
        concordance::harrell(&surv, &lp, None, None).unwrap(),
        naive::harrell(&surv, &lp, None, None).unwrap(),
    );
    assert!(rel(a.c, b.c) < 1e-12 && rel(a.se, b.se) < 1e-10);
    assert_eq!(
        (a.concordant, a.discordant, a.tied_risk, a.tied_time),
        (b.concordant, b.discordant, b.tied_risk, b.tied_time)
    );
    let (a, b) = (
        concordance::uno(&surv, &lp, 1826.0).unwrap(),
        naive::uno(&surv, &lp, 1826.0).unwrap(),
    );
    assert!(rel(a.c, b.c) < 1e-12 && rel(a.se, b.se) < 1e-10);
    assert!(
        rel(
            concordance::harrell_sksurv(&surv, &lp),
            naive::harrell_sksurv(&surv, &lp)
        ) < 1e-12
    );
    assert!(
        rel(
            concordance::uno_sksurv(&surv, &lp, 1826.0),
            naive::uno_sksurv(&surv, &lp, 1826.0)
        ) < 1e-12
    );
}
