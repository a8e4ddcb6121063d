//! A data set small enough to work out by hand: unsorted rows, tied times, a censoring tied with
//! nothing, one row with a missing value. At beta = 0 every risk score is 1, so the partial
//! likelihood, score and information are sums of simple fractions (worked out below).
//!
//! Rows used (time, status, x): (5,1,1) (2,1,0) (5,1,0) (8,0,1) (3,1,1); the row (2,0,NA) is
//! dropped. Event times and risk sets:
//!   t=2: d=1 (x=0); at risk x = 1,0,0,1,1 -> S0=5, S1=3, S2=3
//!   t=3: d=1 (x=1); at risk x = 1,0,1,1   -> S0=4, S1=3, S2=3
//!   t=5: d=2 (x=1,0); at risk x = 1,0,1   -> S0=3, S1=2, S2=2; deaths D0=2, D1=1, D2=1
//! Breslow: loglik = -(ln5 + ln4 + 2 ln3) = -ln 180
//!          u = 2 - (3/5 + 3/4 + 2*2/3) = -41/60
//!          I = (3/5 - 9/25) + (3/4 - 9/16) + 2*(2/3 - 4/9) = 3139/3600
//! Efron:   the t=5 terms have denominators 3 and 3 - D0/2 = 2:
//!          loglik = -(ln5 + ln4 + ln3 + ln2) = -ln 120
//!          u = 2 - (3/5 + 3/4 + 2/3 + (2 - 1/2)/2) = -23/30
//!          I = 6/25 + 3/16 + (2/3 - 4/9) + ((2 - 1/2)/2 - (3/4)^2) = 3014/3600
//! Score test u^2 / I: Breslow 1681/3139, Efron 2116/3014.

use prognosis::data::cohort::{self, FitRequest};
use prognosis::data::csv::{read_csv_bytes, ReadOptions};
use prognosis::stats::cox::{self, CoxOptions, FitExtras, Ties};

const DATA: &str = "time,status,x\n5,1,1\n2,1,0\n5,1,0\n8,0,1\n2,0,NA\n3,1,1\n";

fn prepared() -> cohort::Prepared {
    let req = FitRequest {
        time: "time".into(),
        event: "status".into(),
        covariates: vec!["x".into()],
        ..Default::default()
    };
    let table = read_csv_bytes(
        DATA.as_bytes(),
        "hand.csv",
        &req.columns(),
        &ReadOptions::default(),
    )
    .unwrap();
    cohort::prepare(&table, &req).unwrap()
}

#[track_caller]
fn eq(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-14 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

#[test]
fn missing_row_is_dropped_and_counted() {
    let p = prepared();
    assert_eq!((p.counts.read, p.counts.used, p.counts.dropped), (6, 5, 1));
    let x = p.counts.missing.iter().find(|m| m.column == "x").unwrap();
    assert_eq!(x.missing, 1);
    assert_eq!(p.surv.n_events(), 4);
}

#[test]
fn likelihood_score_and_information_at_zero() {
    let p = prepared();
    for (ties, ll, u, info) in [
        (Ties::Breslow, -(180f64.ln()), -41.0 / 60.0, 3139.0 / 3600.0),
        (Ties::Efron, -(120f64.ln()), -23.0 / 30.0, 3014.0 / 3600.0),
    ] {
        let (got_ll, got_u, got_i) =
            cox::loglik_at(&p.design, &p.surv, FitExtras::default(), &[0.0], ties).unwrap();
        eq(got_ll, ll);
        eq(got_u[0], u);
        eq(got_i[0], info);
    }
}

#[test]
fn fit_reports_initial_loglik_and_score_test() {
    let p = prepared();
    for (ties, ll0, score) in [
        (Ties::Breslow, -(180f64.ln()), 1681.0 / 3139.0),
        (Ties::Efron, -(120f64.ln()), 2116.0 / 3014.0),
    ] {
        let opts = CoxOptions {
            ties,
            ..Default::default()
        };
        let f = cox::fit(&p.design, &p.surv, FitExtras::default(), &opts).unwrap();
        eq(f.loglik[0], ll0);
        eq(f.score.statistic, score);
        assert!(f.loglik[1] >= f.loglik[0]);
        // at the estimate the score is zero: the likelihood is maximal
        let (_, u, _) =
            cox::loglik_at(&p.design, &p.surv, FitExtras::default(), &f.coef, ties).unwrap();
        assert!(u[0].abs() < 1e-6, "score at the estimate {}", u[0]);
    }
}
