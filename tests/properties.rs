//! Property tests: the fast one-pass likelihood against the direct O(n^2) computation
//! (`cox::naive`), on random data with tied times, censoring tied with events, strata and case
//! weights; and invariances of the fit.

use prognosis::stats::cox::{self, naive, CoxOptions, Design, FitExtras, Ties};
use prognosis::stats::surv::Surv;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Data {
    p: usize,
    x: Vec<f64>,
    time: Vec<f64>,
    event: Vec<bool>,
    weights: Vec<f64>,
    strata: Vec<usize>,
    beta: Vec<f64>,
}

fn data() -> impl Strategy<Value = Data> {
    (1usize..4, 4usize..40).prop_flat_map(|(p, n)| {
        (
            prop::collection::vec(-2.0f64..2.0, n * p),
            // few distinct times: many ties, events tied with censorings
            prop::collection::vec(0u8..6, n),
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(0.2f64..3.0, n),
            prop::collection::vec(0usize..3, n),
            prop::collection::vec(-1.0f64..1.0, p),
            // whole-number times take the bucketed layout, fractional ones the sorted layout
            any::<bool>(),
        )
            .prop_map(
                move |(x, t, event, weights, strata, beta, fractional)| Data {
                    p,
                    x,
                    time: t
                        .into_iter()
                        .map(|v| f64::from(v) + if fractional { 0.5 } else { 0.0 })
                        .collect(),
                    event,
                    weights,
                    strata,
                    beta,
                },
            )
    })
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fast_likelihood_equals_direct(d in data(), efron in any::<bool>(), use_strata in any::<bool>(), use_weights in any::<bool>()) {
        let ties = if efron { Ties::Efron } else { Ties::Breslow };
        let n = d.time.len();
        let names = (0..d.p).map(|j| format!("x{j}")).collect();
        let design = Design::new(d.x.clone(), n, names).unwrap();
        let surv = Surv::new(d.time.clone(), d.event.clone()).unwrap();
        let ones = vec![1.0; n];
        let zeros = vec![0usize; n];
        let w = if use_weights { &d.weights } else { &ones };
        let s = if use_strata { &d.strata } else { &zeros };
        let extras = FitExtras {
            weights: use_weights.then_some(d.weights.as_slice()),
            strata: use_strata.then_some(d.strata.as_slice()),
        };
        let (ll, u, info) = cox::loglik_at(&design, &surv, extras, &d.beta, ties).unwrap();
        let (ll2, u2, info2) = naive::loglik(&d.x, d.p, &d.time, &d.event, w, s, &d.beta, ties);
        prop_assert!(rel_close(ll, ll2), "loglik {} vs {}", ll, ll2);
        for k in 0..d.p {
            prop_assert!(rel_close(u[k], u2[k]), "score {}: {} vs {}", k, u[k], u2[k]);
        }
        for k in 0..d.p * d.p {
            prop_assert!(rel_close(info[k], info2[k]), "info {}: {} vs {}", k, info[k], info2[k]);
        }
    }

    /// Row order does not matter, and doubling every weight leaves the coefficients unchanged.
    #[test]
    fn fit_invariant_to_order_and_weight_scale(d in data()) {
        let n = d.time.len();
        prop_assume!(d.event.iter().filter(|&&e| e).count() >= 2 && n > d.p + 2);
        let names: Vec<String> = (0..d.p).map(|j| format!("x{j}")).collect();
        let design = Design::new(d.x.clone(), n, names.clone()).unwrap();
        let surv = Surv::new(d.time.clone(), d.event.clone()).unwrap();
        let opts = CoxOptions::default();
        let Ok(f1) = cox::fit(&design, &surv, FitExtras::default(), &opts) else {
            return Ok(()); // degenerate random design (constant or collinear): nothing to compare
        };
        prop_assume!(f1.warnings.is_empty());
        // reversed order
        let rev: Vec<usize> = (0..n).rev().collect();
        let x2: Vec<f64> = rev.iter().flat_map(|&i| d.x[i * d.p..(i + 1) * d.p].to_vec()).collect();
        let design2 = Design::new(x2, n, names).unwrap();
        let surv2 = surv.subset(&rev);
        let f2 = cox::fit(&design2, &surv2, FitExtras::default(), &opts).unwrap();
        let twos = vec![2.0; n];
        let f3 = cox::fit(&design, &surv, FitExtras { weights: Some(&twos), strata: None }, &opts).unwrap();
        for k in 0..d.p {
            prop_assert!((f1.coef[k] - f2.coef[k]).abs() < 1e-6 * (1.0 + f1.coef[k].abs()));
            prop_assert!((f1.coef[k] - f3.coef[k]).abs() < 1e-6 * (1.0 + f1.coef[k].abs()));
        }
        // weights 2: every term doubles and each log-denominator gains ln 2 per event
        let events = d.event.iter().filter(|&&e| e).count() as f64;
        let want = 2.0 * f1.loglik[1] - 2.0 * events * 2f64.ln();
        prop_assert!((f3.loglik[1] - want).abs() < 1e-6 * (1.0 + want.abs()), "{} vs {}", f3.loglik[1], want);
    }
}
