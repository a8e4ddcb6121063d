//! The O(n) scans of the Fine-Gray fit against direct nested-loop versions written after
//! cmprsk's Fortran (`crrfsv`, `crrvv`, `crrfit`), and the Aalen-Johansen estimate against its
//! definition, on random data with many ties.

// The direct versions index like the Fortran they follow.
#![allow(clippy::needless_range_loop)]

use prognosis::stats::competing::{self, CompetingSurv, CrrOptions, CumincOptions};
use prognosis::stats::cox::Design;
use proptest::prelude::*;

struct Direct {
    lik: f64,
    score: Vec<f64>,
    info: Vec<f64>,
    var: Vec<f64>,
    jumps: Vec<f64>,
}

fn inv(a: &[f64], p: usize) -> Vec<f64> {
    // Gauss-Jordan, p small
    let mut m = a.to_vec();
    let mut r = vec![0.0; p * p];
    for i in 0..p {
        r[i * p + i] = 1.0;
    }
    for c in 0..p {
        let piv = m[c * p + c];
        for j in 0..p {
            m[c * p + j] /= piv;
            r[c * p + j] /= piv;
        }
        for i in 0..p {
            if i != c {
                let f = m[i * p + c];
                for j in 0..p {
                    m[i * p + j] -= f * m[c * p + j];
                    r[i * p + j] -= f * r[c * p + j];
                }
            }
        }
    }
    r
}

/// Nested loops as cmprsk's Fortran: ici 1 = cause of interest, 2 = competing, 0 = censored.
fn direct(t: &[f64], ici: &[u8], x: &[Vec<f64>], b: &[f64]) -> Direct {
    let n = t.len();
    let p = b.len();
    let mut ord: Vec<usize> = (0..n).collect();
    ord.sort_by(|&a, &c| t[a].total_cmp(&t[c]));
    let t: Vec<f64> = ord.iter().map(|&i| t[i]).collect();
    let ici: Vec<u8> = ord.iter().map(|&i| ici[i]).collect();
    let x: Vec<Vec<f64>> = ord.iter().map(|&i| x[i].clone()).collect();
    // censoring Kaplan-Meier at t (1 - eps), by its definition
    let wt: Vec<f64> = t
        .iter()
        .map(|&ti| {
            let at = ti * (1.0 - f64::EPSILON);
            let mut g = 1.0;
            let mut times: Vec<f64> = (0..n).filter(|&j| ici[j] == 0).map(|j| t[j]).collect();
            times.dedup();
            for c in times.into_iter().filter(|&c| c <= at) {
                let d = (0..n).filter(|&j| ici[j] == 0 && t[j] == c).count() as f64;
                let y = (0..n).filter(|&j| t[j] >= c).count() as f64;
                g *= 1.0 - d / y;
            }
            g
        })
        .collect();
    let xb = |i: usize| -> f64 { x[i].iter().zip(b).map(|(a, c)| a * c).sum() };
    // weight of subject j in the risk set of the failure in row i
    let w = |j: usize, i: usize| -> f64 {
        if t[j] >= t[i] {
            xb(j).exp()
        } else if ici[j] == 2 {
            xb(j).exp() * wt[i] / wt[j]
        } else {
            0.0
        }
    };
    let sums = |i: usize| -> (f64, Vec<f64>, Vec<f64>) {
        let mut s0 = 0.0;
        let mut s1 = vec![0.0; p];
        let mut s2 = vec![0.0; p * p];
        for j in 0..n {
            let wj = w(j, i);
            s0 += wj;
            for a in 0..p {
                s1[a] += wj * x[j][a];
                for c in 0..p {
                    s2[a * p + c] += wj * x[j][a] * x[j][c];
                }
            }
        }
        (s0, s1, s2)
    };
    let mut lik = 0.0;
    let mut score = vec![0.0; p];
    let mut info = vec![0.0; p * p];
    let mut jumps = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for i in 0..n {
        if ici[i] != 1 {
            continue;
        }
        let (s0, s1, s2) = sums(i);
        lik += xb(i) - s0.ln();
        for a in 0..p {
            score[a] += x[i][a] - s1[a] / s0;
            for c in 0..p {
                info[a * p + c] += s2[a * p + c] / s0 - s1[a] * s1[c] / (s0 * s0);
            }
        }
        if t[i] > last {
            jumps.push(0.0);
            last = t[i];
        }
        *jumps.last_mut().unwrap() += 1.0 / s0;
    }
    // eta_i + psi_i as crrvv, each row separately
    let mut v2 = vec![0.0; p * p];
    for i in 0..n {
        let mut eta = vec![0.0; p];
        for j in 0..n {
            if ici[j] != 1 {
                continue;
            }
            let wij = if t[j] <= t[i] {
                xb(i).exp()
            } else if ici[i] == 2 {
                xb(i).exp() * wt[j] / wt[i]
            } else {
                continue;
            };
            let (s0, s1, _) = sums(j);
            for a in 0..p {
                eta[a] -= (x[i][a] - s1[a] / s0) * wij / s0;
            }
        }
        if ici[i] == 1 {
            let (s0, s1, _) = sums(i);
            for a in 0..p {
                eta[a] += x[i][a] - s1[a] / s0;
            }
        }
        // q(u) at censoring time u, psi_i = int q / pi dM^c_i
        let q = |u: f64| -> Vec<f64> {
            let mut q = vec![0.0; p];
            for j1 in 0..n {
                if ici[j1] != 1 || t[j1] < u {
                    continue;
                }
                let (s0, s1, _) = sums(j1);
                for j2 in 0..n {
                    if t[j2] >= u || ici[j2] != 2 {
                        continue;
                    }
                    let tw = xb(j2).exp() * wt[j1] / wt[j2];
                    for a in 0..p {
                        q[a] += tw * (x[j2][a] - s1[a] / s0) / s0;
                    }
                }
            }
            q
        };
        let mut psi = vec![0.0; p];
        for c in 0..n {
            if ici[c] != 0 || t[c] > t[i] {
                continue;
            }
            let y = (0..n).filter(|&j| t[j] >= t[c]).count() as f64;
            let qc = q(t[c]);
            for a in 0..p {
                psi[a] -= qc[a] / (y * y);
            }
        }
        if ici[i] == 0 {
            let y = (0..n).filter(|&j| t[j] >= t[i]).count() as f64;
            let qi = q(t[i]);
            for a in 0..p {
                psi[a] += qi[a] / y;
            }
        }
        for a in 0..p {
            for c in 0..p {
                v2[a * p + c] += (eta[a] + psi[a]) * (eta[c] + psi[c]);
            }
        }
    }
    let h = inv(&info, p);
    let mut var = vec![0.0; p * p];
    for a in 0..p {
        for c in 0..p {
            let mut s = 0.0;
            for k in 0..p {
                for l in 0..p {
                    s += h[a * p + k] * v2[k * p + l] * h[l * p + c];
                }
            }
            var[a * p + c] = s;
        }
    }
    Direct {
        lik,
        score,
        info,
        var,
        jumps,
    }
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-8)
}

fn data() -> impl Strategy<Value = (Vec<f64>, Vec<u8>, Vec<Vec<f64>>, Vec<f64>)> {
    (8usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec(0u8..8, n),
            proptest::collection::vec(0u8..3, n),
            proptest::collection::vec(proptest::collection::vec(-1.0f64..1.0, 2), n),
            proptest::collection::vec(-0.7f64..0.7, 2),
        )
            .prop_map(|(t, mut c, x, b)| {
                c[0] = 1;
                c[1] = 1;
                (t.into_iter().map(f64::from).collect(), c, x, b)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn scans_equal_the_nested_loops((t, c, x, b) in data()) {
        let n = t.len();
        let surv = CompetingSurv::with_causes(t.clone(), c.iter().map(|&v| v as u32).collect(), 2).unwrap();
        let design = Design::new(x.concat(), n, vec!["a".into(), "b".into()]).unwrap();
        let opts = CrrOptions { maxiter: 0, init: Some(b.clone()), ..Default::default() };
        let Ok(fit) = competing::crr(&surv, &design, &opts) else { return Ok(()); };
        let d = direct(&t, &c, &x, &b);
        prop_assert!(rel_close(fit.loglik, d.lik, 1e-10), "lik {} vs {}", fit.loglik, d.lik);
        for j in 0..2 {
            prop_assert!((fit.score[j] - d.score[j]).abs() < 1e-9, "score {:?} vs {:?}", fit.score, d.score);
        }
        for j in 0..4 {
            prop_assert!(rel_close(fit.information[j], d.info[j], 1e-9), "info {:?} vs {:?}", fit.information, d.info);
            prop_assert!(rel_close(fit.var[j], d.var[j], 1e-8), "var {:?} vs {:?}", fit.var, d.var);
        }
        // baseline jumps: covariates on their own scale
        prop_assert_eq!(fit.baseline_jumps.len(), d.jumps.len());
        for (g, w) in fit.baseline_jumps.iter().zip(&d.jumps) {
            prop_assert!(rel_close(*g, *w, 1e-10));
        }
    }

    #[test]
    fn aalen_johansen_is_its_definition((t, c, _x, _b) in data()) {
        // F_k(t) = sum_{s <= t} S(s-) d_k(s) / Y(s), S the all-cause Kaplan-Meier
        let n = t.len();
        let surv = CompetingSurv::with_causes(t.clone(), c.iter().map(|&v| v as u32).collect(), 2).unwrap();
        let curves = competing::cuminc(&surv, None, &CumincOptions::default()).unwrap();
        let mut times: Vec<f64> = t.clone();
        times.sort_by(f64::total_cmp);
        times.dedup();
        for curve in &curves {
            let mut s = 1.0;
            let mut f = 0.0;
            for &u in &times {
                let y = (0..n).filter(|&i| t[i] >= u).count() as f64;
                let dk = (0..n).filter(|&i| t[i] == u && c[i] as u32 == curve.cause).count() as f64;
                let d = (0..n).filter(|&i| t[i] == u && c[i] != 0).count() as f64;
                f += s * dk / y;
                s *= 1.0 - d / y;
                let got = curve.at(u).unwrap().estimate;
                prop_assert!((got - f).abs() < 1e-12, "cause {} at {}: {} vs {}", curve.cause, u, got, f);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The cause-specific absolute risk's influence-function standard error by its one-pass scan
    /// equals the term-by-term definition, on tied data with two or three causes.
    #[test]
    fn cause_specific_absolute_risk_scan_equals_definition(
        rows in prop::collection::vec((1u8..12, 0u32..4, -1.0f64..1.0, 0u8..2), 8..60),
        b in prop::collection::vec(-0.8f64..0.8, 6),
        x0 in -1.0f64..1.0,
        horizon in 0.5f64..13.0,
    ) {
        use prognosis::stats::competing::csc::absolute_risk_se_slow;
        use prognosis::stats::cox::Ties;
        let time: Vec<f64> = rows.iter().map(|r| r.0 as f64).collect();
        let cause: Vec<u32> = rows.iter().map(|r| r.1.min(3)).collect();
        let k = 3;
        prop_assume!((1..=k).all(|c| cause.contains(&c)));
        let n = rows.len();
        let x: Vec<f64> = rows.iter().flat_map(|r| [r.2, r.3 as f64]).collect();
        let design = Design::new(x, n, vec!["a".into(), "b".into()]).unwrap();
        let surv = CompetingSurv::new(time, cause).unwrap();
        let coef: Vec<Vec<f64>> = b.chunks(2).map(|c| c.to_vec()).collect();
        let var: Vec<Vec<f64>> = (0..k).map(|q| vec![0.3 + q as f64 * 0.1, 0.05, 0.05, 0.2]).collect();
        for ties in [Ties::Efron, Ties::Breslow] {
            let hz = competing::CauseHazards::new(&surv, &design, &coef, ties).unwrap();
            let xv = [x0, 1.0];
            let times = [horizon, 3.0, 20.0];
            for cause in 1..=k {
                let fast = competing::absolute_risk_se(&hz, &surv, &design, &var, cause, &xv, &times, 0.95).unwrap();
                let slow = absolute_risk_se_slow(&hz, &surv, &design, &var, cause, &xv, &times, 0.95).unwrap();
                let point = hz.absolute_risk(cause, &xv, &times).unwrap();
                for ((f, s), p) in fast.iter().zip(&slow).zip(&point) {
                    prop_assert!((f.risk - s.risk).abs() <= 1e-12 && (f.risk - p).abs() <= 1e-12);
                    prop_assert!((f.se - s.se).abs() <= 1e-10 * s.se.max(1e-12), "{} vs {}", f.se, s.se);
                    prop_assert!(f.lower <= f.risk + 1e-15 && f.risk <= f.upper + 1e-15);
                }
            }
        }
    }
}
