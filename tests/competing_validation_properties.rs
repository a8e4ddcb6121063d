//! The O(n log n) competing-risks validation measures (AUC with its influence-function standard
//! error, Brier score, truncated C-index) against their pair-by-pair O(n^2) definitions, and the
//! quantile groups against a direct reading of R's `cut`, on random data with many ties in time
//! and in predicted risk.

use prognosis::stats::competing::calibration::{quantile7, quantile_groups};
use prognosis::stats::competing::cindex::truncated_cindex_naive;
use prognosis::stats::competing::metrics::{self, naive};
use prognosis::stats::competing::{self, CompetingSurv};
use proptest::prelude::*;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Times on a coarse grid (ties), causes 0..=3, risks on a coarse grid (ties) or continuous.
fn cohort() -> impl Strategy<Value = (Vec<f64>, Vec<u32>, Vec<f64>, f64, bool)> {
    (4usize..50).prop_flat_map(|n| {
        (
            prop::collection::vec(1u32..12, n),
            prop::collection::vec(0u32..4, n),
            prop::collection::vec(0.0f64..1.0, n),
            1u32..12,
            any::<bool>(),
        )
            .prop_map(|(t, c, r, tau, coarse)| {
                let r = if coarse {
                    r.iter().map(|v| (v * 5.0).floor() / 5.0).collect()
                } else {
                    r
                };
                (
                    t.iter().map(|&v| v as f64).collect(),
                    c,
                    r,
                    tau as f64 + 0.5 * (tau % 2) as f64,
                    coarse,
                )
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn auc_se_and_brier_equal_their_definitions((t, c, r, tau, _) in cohort()) {
        let surv = CompetingSurv::with_causes(t, c, 3).unwrap();
        let brier = metrics::brier(&surv, 1, &r, tau).unwrap();
        let want = naive::brier(&surv, 1, &r, tau);
        prop_assert!(rel(brier, want) < 1e-10 || (brier - want).abs() < 1e-14);
        match metrics::auc(&surv, 1, &r, tau) {
            Ok(a) => {
                let want = naive::auc(&surv, 1, &r, tau);
                prop_assert!(rel(a.auc, want) < 1e-10, "auc {} vs {}", a.auc, want);
                let se = naive::auc_se(&surv, 1, &r, tau);
                prop_assert!(rel(a.se, se) < 1e-8 || (a.se - se).abs() < 1e-12,
                    "se {} vs {}", a.se, se);
            }
            Err(_) => {
                // no cases or no controls: the definition has an empty sum
                let want = naive::auc(&surv, 1, &r, tau);
                prop_assert!(want.is_nan());
            }
        }
    }

    #[test]
    fn truncated_cindex_equals_its_definition((t, c, r, tau, _) in cohort()) {
        let surv = CompetingSurv::with_causes(t, c, 3).unwrap();
        let want = truncated_cindex_naive(&surv, 1, &r, tau);
        match competing::truncated_cindex(&surv, 1, &r, tau) {
            Ok(got) => prop_assert!(rel(got, want) < 1e-10, "C {} vs {}", got, want),
            Err(_) => prop_assert!(!want.is_finite()),
        }
    }

    #[test]
    fn quantile_groups_are_r_cut((_, _, r, _, _) in cohort(), g in 2usize..7) {
        let (group, k) = quantile_groups(&r, g);
        let mut sorted = r.clone();
        sorted.sort_by(f64::total_cmp);
        let mut breaks: Vec<f64> = (0..=g).map(|q| quantile7(&sorted, q as f64 / g as f64)).collect();
        breaks.dedup();
        prop_assert_eq!(k, (breaks.len() - 1).max(1));
        for (v, q) in r.iter().zip(&group) {
            if breaks.len() == 1 {
                prop_assert_eq!(*q, 0);
                continue;
            }
            // (b[q], b[q+1]], the first interval closed on the left
            let lo = breaks[*q];
            let hi = breaks[*q + 1];
            prop_assert!(*v <= hi && (*v > lo || (*q == 0 && *v >= lo)));
        }
    }
}
