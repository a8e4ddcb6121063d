//! Cox residuals and the proportional-hazards test: the fast one-pass versions against slow,
//! obviously-correct ones on random tied, weighted, stratified data; identities that hold at any
//! coefficients; and typed errors for bad input.

// index loops read as the formulas they check
#![allow(clippy::needless_range_loop)]

use prognosis::stats::cox::{self, CoxError, CoxFit, CoxOptions, Design, FitExtras, Ties};
use prognosis::stats::residuals::{self, ResidualError};
use prognosis::stats::surv::Surv;
use prognosis::stats::zph::{self, ZphError, ZphOptions, ZphTerm, ZphTransform};
use proptest::prelude::*;

/// Residuals straight from the definitions, O(n^2): for every event set of the row's stratum at or
/// before its time, the Efron (or Breslow) hazard increments and risk-set means computed afresh.
/// Returns (martingale, score n x p, Schoenfeld per event in (stratum, time, row) order).
#[allow(clippy::too_many_arguments)]
fn naive(
    x: &[f64],
    p: usize,
    time: &[f64],
    event: &[bool],
    w: &[f64],
    strata: &[usize],
    beta: &[f64],
    ties: Ties,
) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let n = time.len();
    let row = |i: usize| &x[i * p..(i + 1) * p];
    let r: Vec<f64> = (0..n)
        .map(|i| {
            row(i)
                .iter()
                .zip(beta)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .exp()
        })
        .collect();
    let mut sets: Vec<(usize, f64)> = (0..n)
        .filter(|&i| event[i])
        .map(|i| (strata[i], time[i]))
        .collect();
    sets.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    sets.dedup();
    let mut mart: Vec<f64> = (0..n).map(|i| if event[i] { 1.0 } else { 0.0 }).collect();
    let mut score = vec![0.0; n * p];
    let mut sch = Vec::new();
    for &(s, t) in &sets {
        let risk: Vec<usize> = (0..n).filter(|&j| strata[j] == s && time[j] >= t).collect();
        let dead: Vec<usize> = risk
            .iter()
            .copied()
            .filter(|&j| event[j] && time[j] == t)
            .collect();
        let d = dead.len();
        let dw: f64 = dead.iter().map(|&j| w[j]).sum();
        let efron = ties == Ties::Efron && d > 1;
        let steps = if efron { d } else { 1 };
        let step_w = if efron { dw / d as f64 } else { dw };
        let mut mbar = vec![0.0; p];
        for dd in 0..steps {
            let f = if efron { dd as f64 / d as f64 } else { 0.0 };
            let wt = |j: usize| {
                let base = w[j] * r[j];
                if dead.contains(&j) {
                    base * (1.0 - f)
                } else {
                    base
                }
            };
            let den: f64 = risk.iter().map(|&j| wt(j)).sum();
            let mean: Vec<f64> = (0..p)
                .map(|a| risk.iter().map(|&j| wt(j) * row(j)[a]).sum::<f64>() / den)
                .collect();
            let h = step_w / den;
            for a in 0..p {
                mbar[a] += mean[a] / steps as f64;
            }
            for &j in &risk {
                // a death's share of this step's hazard is its Efron weight
                let share = if dead.contains(&j) { 1.0 - f } else { 1.0 };
                mart[j] -= r[j] * h * share;
                for a in 0..p {
                    score[j * p + a] -= (row(j)[a] - mean[a]) * r[j] * h * share;
                    if dead.contains(&j) {
                        score[j * p + a] += (row(j)[a] - mean[a]) / steps as f64;
                    }
                }
            }
        }
        let mut dead_sorted = dead.clone();
        dead_sorted.sort();
        for &j in &dead_sorted {
            sch.push((0..p).map(|a| row(j)[a] - mbar[a]).collect());
        }
    }
    (mart, score, sch)
}

/// A random data set: n rows, p covariates on a few values (ties in x), times on a small grid
/// (ties in time), weights and up to 2 strata.
#[allow(clippy::type_complexity)]
fn data() -> impl Strategy<
    Value = (
        usize,
        Vec<f64>,
        Vec<f64>,
        Vec<bool>,
        Vec<f64>,
        Vec<usize>,
        Vec<f64>,
    ),
> {
    (1usize..=3, 8usize..40).prop_flat_map(|(p, n)| {
        (
            Just(p),
            prop::collection::vec(-2i32..=3, n * p),
            prop::collection::vec(1u32..=8, n),
            prop::collection::vec(prop::bool::weighted(0.6), n),
            prop::collection::vec(1u32..=4, n),
            prop::collection::vec(0usize..2, n),
            prop::collection::vec(-0.5f64..0.5, p),
        )
            .prop_map(|(p, x, t, e, w, s, b)| {
                (
                    p,
                    x.into_iter().map(|v| v as f64 * 0.7).collect(),
                    t.into_iter().map(|v| v as f64).collect(),
                    e,
                    w.into_iter().map(|v| v as f64 / 2.0).collect(),
                    s,
                    b,
                )
            })
    })
}

/// A fit object carrying arbitrary coefficients (residuals are defined at any beta).
fn fit_at(template: &CoxFit, beta: &[f64], ties: Ties) -> CoxFit {
    let mut f = template.clone();
    f.coef = beta.to_vec();
    f.ties = ties;
    f
}

fn template(p: usize) -> CoxFit {
    // any fit of the right size: only coef, var and ties are read
    let n = 12;
    let x: Vec<f64> = (0..n * p).map(|k| ((k * 7 + 3) % 5) as f64).collect();
    let d = Design::new(x, n, (0..p).map(|j| format!("x{j}")).collect()).unwrap();
    let time: Vec<f64> = (0..n).map(|i| (i + 1) as f64).collect();
    let event: Vec<bool> = (0..n).map(|i| i % 3 != 2).collect();
    let s = Surv::new(time, event).unwrap();
    cox::fit(&d, &s, FitExtras::default(), &CoxOptions::default()).unwrap()
}

fn near(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + scale)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fast_residuals_equal_the_slow_definitions((p, x, t, e, w, s, b) in data(), efron in any::<bool>()) {
        prop_assume!(e.iter().any(|&v| v));
        let n = t.len();
        let ties = if efron { Ties::Efron } else { Ties::Breslow };
        let d = Design::new(x.clone(), n, (0..p).map(|j| format!("x{j}")).collect()).unwrap();
        let surv = Surv::new(t.clone(), e.clone()).unwrap();
        let extras = FitExtras { weights: Some(&w), strata: Some(&s) };
        let fit = fit_at(&template(p), &b, ties);
        let res = residuals::residuals(&d, &surv, extras, &fit).unwrap();
        let (mart, score, sch) = naive(&x, p, &t, &e, &w, &s, &b, ties);
        for i in 0..n {
            prop_assert!(near(res.martingale[i], mart[i], 1.0), "martingale {}: {} vs {}", i, res.martingale[i], mart[i]);
            for a in 0..p {
                let (g, want) = (res.score[i * p + a], score[i * p + a]);
                prop_assert!(near(g, want, 10.0), "score {},{}: {} vs {}", i, a, g, want);
                // dfbeta = weight x score %*% var
                let db: f64 = w[i] * (0..p).map(|k| res.score[i * p + k] * fit.var[k][a]).sum::<f64>();
                prop_assert!(near(res.dfbeta[i * p + a], db, 1.0));
            }
            let m = res.martingale[i];
            let dev = if e[i] { m + (1.0 - m).ln() } else { m };
            prop_assert!(near(res.deviance[i], m.signum() * (-2.0 * dev).max(0.0).sqrt(), 1.0));
        }
        prop_assert_eq!(res.schoenfeld.len(), sch.len() * p);
        for (k, want) in sch.iter().enumerate() {
            for a in 0..p {
                prop_assert!(near(res.schoenfeld[k * p + a], want[a], 10.0));
            }
            // events in (stratum, time, row) order
            if k > 0 {
                let (i0, i1) = (res.event_rows[k - 1], res.event_rows[k]);
                prop_assert!((s[i0], t[i0], i0) < (s[i1], t[i1], i1));
            }
        }
    }

    #[test]
    fn weighted_residuals_sum_to_the_score_and_to_zero((p, x, t, e, w, s, b) in data(), efron in any::<bool>()) {
        prop_assume!(e.iter().any(|&v| v));
        let n = t.len();
        let ties = if efron { Ties::Efron } else { Ties::Breslow };
        let d = Design::new(x, n, (0..p).map(|j| format!("x{j}")).collect()).unwrap();
        let surv = Surv::new(t, e).unwrap();
        let extras = FitExtras { weights: Some(&w), strata: Some(&s) };
        let fit = fit_at(&template(p), &b, ties);
        let res = residuals::residuals(&d, &surv, extras, &fit).unwrap();
        // sum of w x martingale is 0 at any beta; sum of w x score residual is the score U(beta)
        let msum: f64 = res.martingale.iter().zip(&w).map(|(m, w)| m * w).sum();
        prop_assert!(msum.abs() < 1e-9 * n as f64, "{}", msum);
        let (_, u, _) = cox::loglik_at(&d, &surv, extras, &b, ties).unwrap();
        for a in 0..p {
            let ssum: f64 = (0..n).map(|i| w[i] * res.score[i * p + a]).sum();
            prop_assert!(near(ssum, u[a], u[a].abs() + 10.0), "{} vs {}", ssum, u[a]);
        }
        // the Schoenfeld residuals, weighted, sum to U(beta) as well
        for a in 0..p {
            let ssum: f64 = res.event_rows.iter().enumerate().map(|(k, &i)| w[i] * res.schoenfeld[k * p + a]).sum();
            prop_assert!(near(ssum, u[a], u[a].abs() + 10.0));
        }
    }
}

fn small() -> (Design, Surv, Vec<f64>, Vec<usize>) {
    let x = vec![
        1.0, 0.5, 0.0, 1.5, 1.0, -0.3, 0.0, 2.0, 1.0, 0.1, 0.0, 0.0, 1.0, 1.2, 0.0, 0.7,
    ];
    let d = Design::new(x, 8, vec!["a".into(), "b".into()]).unwrap();
    let time = vec![5.0, 3.0, 5.0, 2.0, 5.0, 3.0, 8.0, 6.0];
    let event = vec![true, true, true, false, true, true, false, true];
    (
        d,
        Surv::new(time, event).unwrap(),
        vec![1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0, 1.0],
        vec![0, 0, 1, 1, 0, 1, 0, 1],
    )
}

#[test]
fn zph_transforms_of_time_follow_r() {
    // times 2 (censored), 3, 3, 5, 5, 5, 6, 8 (censored): pooled KM steps at 3, 5, 6
    let (d, surv, w, s) = small();
    let extras = FitExtras {
        weights: Some(&w),
        strata: Some(&s),
    };
    let fit = cox::fit(&d, &surv, extras, &CoxOptions::default()).unwrap();
    let z = |transform| {
        zph::zph(
            &d,
            &surv,
            extras,
            &fit,
            &ZphOptions {
                transform,
                terms: None,
            },
        )
        .unwrap()
    };
    let km = z(ZphTransform::Km);
    // events sorted by stratum then time: stratum 0 rows 1 (t3), 0 and 4 (t5); stratum 1 rows
    // 5 (t3), 2 (t5), 7 (t6)
    assert_eq!(km.time, vec![3.0, 5.0, 5.0, 3.0, 5.0, 6.0]);
    assert_eq!(km.stratum, vec![0, 0, 0, 1, 1, 1]);
    // S(3-) = 1; S(5-) = 1 - 2/7 = 5/7; S(6-) = 5/7 * (1 - 3/5) = 2/7
    let want = [0.0, 2.0 / 7.0, 2.0 / 7.0, 0.0, 2.0 / 7.0, 5.0 / 7.0];
    for (g, w) in km.x.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{g} vs {w}");
    }
    // ranks among all 8 times: 2 -> 1, 3 -> 2.5, 5 -> 5, 6 -> 7, 8 -> 8
    assert_eq!(z(ZphTransform::Rank).x, vec![2.5, 5.0, 5.0, 2.5, 5.0, 7.0]);
    assert_eq!(z(ZphTransform::Identity).x, km.time);
    let lg = z(ZphTransform::Log);
    assert!((lg.x[1] - 5f64.ln()).abs() < 1e-15);
    // one term per column by default, and a two-column term with df 2
    assert_eq!(km.terms.len(), 2);
    assert_eq!(km.global.df, 2);
    let both = zph::zph(
        &d,
        &surv,
        extras,
        &fit,
        &ZphOptions {
            transform: ZphTransform::Km,
            terms: Some(vec![ZphTerm {
                name: "ab".into(),
                columns: vec![0, 1],
            }]),
        },
    )
    .unwrap();
    assert_eq!(both.terms[0].df, 2);
    // the two columns together are the global test
    assert!((both.terms[0].chisq - both.global.chisq).abs() < 1e-12 * both.global.chisq);
    for t in km.terms.iter().chain([&km.global]) {
        assert!(t.chisq >= 0.0 && t.p > 0.0 && t.p <= 1.0);
    }
}

#[test]
fn zph_with_one_covariate_is_the_closed_form_score_test() {
    // p = 1: chisq = U_g^2 / (I_gg - I_g^2 / I), with U_g = sum g (x - xbar) over events and the
    // I's the g-weighted risk-set variances (Breslow, no ties: one event per time)
    let x = [0.5, 1.2, -0.3, 2.0, 0.1, 0.9, -1.0, 0.4];
    let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let event = [true, false, true, true, true, false, true, true];
    let d = Design::new(x.to_vec(), 8, vec!["x".into()]).unwrap();
    let surv = Surv::new(time.to_vec(), event.to_vec()).unwrap();
    let opts = CoxOptions {
        ties: Ties::Breslow,
        ..CoxOptions::default()
    };
    let fit = cox::fit(&d, &surv, FitExtras::default(), &opts).unwrap();
    let b = fit.coef[0];
    let ev: Vec<usize> = (0..8).filter(|&i| event[i]).collect();
    let gmean = ev.iter().map(|&i| time[i]).sum::<f64>() / ev.len() as f64;
    let (mut ug, mut i0, mut i1, mut i2) = (0.0, 0.0, 0.0, 0.0);
    for &i in &ev {
        let risk: Vec<usize> = (0..8).filter(|&j| time[j] >= time[i]).collect();
        let s0: f64 = risk.iter().map(|&j| (b * x[j]).exp()).sum();
        let s1: f64 = risk.iter().map(|&j| (b * x[j]).exp() * x[j]).sum();
        let s2: f64 = risk.iter().map(|&j| (b * x[j]).exp() * x[j] * x[j]).sum();
        let v = s2 / s0 - (s1 / s0).powi(2);
        let g = time[i] - gmean;
        ug += g * (x[i] - s1 / s0);
        i0 += v;
        i1 += g * v;
        i2 += g * g * v;
    }
    let want = ug * ug / (i2 - i1 * i1 / i0);
    let z = zph::zph(
        &d,
        &surv,
        FitExtras::default(),
        &fit,
        &ZphOptions {
            transform: ZphTransform::Identity,
            terms: None,
        },
    )
    .unwrap();
    assert!(
        (z.terms[0].chisq - want).abs() < 1e-10 * want,
        "{} vs {want}",
        z.terms[0].chisq
    );
    assert_eq!(z.global.chisq, z.terms[0].chisq);
}

#[test]
fn bad_input_gives_typed_errors() {
    let (d, surv, w, s) = small();
    let fit = cox::fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
    let none = FitExtras::default();
    let short = Surv::new(vec![1.0, 2.0], vec![true, false]).unwrap();
    assert!(matches!(
        residuals::residuals(&d, &short, none, &fit),
        Err(ResidualError::Input(CoxError::LengthMismatch { .. }))
    ));
    let bad_w = vec![-1.0; 8];
    assert!(matches!(
        residuals::residuals(
            &d,
            &surv,
            FitExtras {
                weights: Some(&bad_w),
                strata: None
            },
            &fit
        ),
        Err(ResidualError::Input(CoxError::InvalidWeight {
            index: 0,
            ..
        }))
    ));
    let bad_s = vec![0, 0, 99, 0, 0, 0, 0, 0];
    assert!(matches!(
        residuals::residuals(
            &d,
            &surv,
            FitExtras {
                weights: Some(&w),
                strata: Some(&bad_s)
            },
            &fit
        ),
        Err(ResidualError::Input(CoxError::StratumCode {
            index: 2,
            code: 99
        }))
    ));
    let _ = s;
    let mut wrong = fit.clone();
    wrong.coef.push(0.0);
    assert!(matches!(
        residuals::residuals(&d, &surv, none, &wrong),
        Err(ResidualError::FitMismatch { fit: 3, design: 2 })
    ));
    let mut inf = fit.clone();
    inf.coef[0] = f64::NAN;
    assert!(matches!(
        residuals::residuals(&d, &surv, none, &inf),
        Err(ResidualError::NonFiniteCoefficient { index: 0 })
    ));
    let mut huge = fit.clone();
    huge.coef[0] = 1e308;
    assert!(matches!(
        residuals::residuals(&d, &surv, none, &huge),
        Err(ResidualError::NonFiniteRisk { .. })
    ));
    let opts = |terms| ZphOptions {
        transform: ZphTransform::Km,
        terms: Some(terms),
    };
    assert!(matches!(
        zph::zph(
            &d,
            &surv,
            none,
            &fit,
            &opts(vec![ZphTerm {
                name: "c".into(),
                columns: vec![2]
            }])
        ),
        Err(ZphError::ColumnOutOfRange {
            column: 2,
            p: 2,
            ..
        })
    ));
    assert!(matches!(
        zph::zph(
            &d,
            &surv,
            none,
            &fit,
            &opts(vec![ZphTerm {
                name: "e".into(),
                columns: vec![]
            }])
        ),
        Err(ZphError::EmptyTerm { .. })
    ));
    let zero = Surv::new(
        vec![0.0, 3.0, 5.0, 2.0, 5.0, 3.0, 8.0, 6.0],
        surv.event().to_vec(),
    )
    .unwrap();
    let fit0 = cox::fit(&d, &zero, none, &CoxOptions::default()).unwrap();
    assert!(matches!(
        zph::zph(
            &d,
            &zero,
            none,
            &fit0,
            &ZphOptions {
                transform: ZphTransform::Log,
                terms: None
            }
        ),
        Err(ZphError::NonPositiveTime { index: 0, .. })
    ));
    assert_eq!("rank".parse::<ZphTransform>(), Ok(ZphTransform::Rank));
    assert!("bogus".parse::<ZphTransform>().is_err());
}

/// Timing on a million rows (run with `--ignored --nocapture`): residuals and the test are one
/// sort plus linear passes.
#[test]
#[ignore]
fn timing_one_million_rows() {
    let (n, p) = (1_000_000usize, 5usize);
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x: Vec<f64> = (0..n * p).map(|_| next()).collect();
    let time: Vec<f64> = (0..n).map(|_| (next() * 1000.0).floor()).collect();
    let event: Vec<bool> = (0..n).map(|_| next() < 0.6).collect();
    let d = Design::new(x, n, (0..p).map(|j| format!("x{j}")).collect()).unwrap();
    let surv = Surv::new(time, event).unwrap();
    let fit = cox::fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
    let t0 = std::time::Instant::now();
    let res = residuals::residuals(&d, &surv, FitExtras::default(), &fit).unwrap();
    let t1 = t0.elapsed();
    let z = zph::zph(
        &d,
        &surv,
        FitExtras::default(),
        &fit,
        &ZphOptions::default(),
    )
    .unwrap();
    let t2 = t0.elapsed() - t1;
    assert_eq!(res.martingale.len(), n);
    assert!(z.global.chisq.is_finite());
    println!("n = {n}, p = {p}: residuals {t1:?}, zph {t2:?}");
}
