//! Edge cases of the Cox fit, checked against the direct O(n^2) reference `cox::naive::loglik`
//! (the partial likelihood, its score and information do not depend on centring, so the fast
//! passes must agree with it; it is given mean-shifted columns to keep its own rounding small),
//! against an independent coxfit6-style pass for data too large for it, and against coxfit6's
//! Newton-Raphson loop written out on the direct likelihood.
//!
//! The defects these tests first found (a null model panicking, a nearly constant column called
//! constant, a unit-dependent Cholesky tolerance, a term not estimable within strata reported as
//! 0 +- 0) are fixed; the tests keep them fixed.
//!
//! Both layouts of the risk sets are exercised: whole-number times in a modest range are counted
//! into tied sets (bucketed), anything else (fractional times, huge spans) is sorted. Many tests
//! fit the same data twice, once in each layout, by adding 0.5 to every time (which keeps their
//! order, so the likelihood is the same).

use prognosis::stats::cox::{
    self, naive, CoxError, CoxFit, CoxOptions, CoxWarning, Design, FitExtras, Ties,
};
use prognosis::stats::surv::Surv;

// ---------------------------------------------------------------------------------------------
// helpers

/// splitmix64: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on (0, 1).
    fn unif(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unif(), self.unif());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn below(&mut self, k: usize) -> usize {
        (self.next_u64() % k as u64) as usize
    }
}

#[derive(Debug, Clone)]
struct Data {
    p: usize,
    x: Vec<f64>,
    time: Vec<f64>,
    event: Vec<bool>,
    weights: Option<Vec<f64>>,
    strata: Option<Vec<usize>>,
}

impl Data {
    fn n(&self) -> usize {
        self.time.len()
    }

    fn names(&self) -> Vec<String> {
        (0..self.p).map(|j| format!("x{j}")).collect()
    }

    fn design(&self) -> Design {
        Design::new(self.x.clone(), self.n(), self.names()).unwrap()
    }

    fn surv(&self) -> Surv {
        Surv::new(self.time.clone(), self.event.clone()).unwrap()
    }

    fn extras(&self) -> FitExtras<'_> {
        FitExtras {
            weights: self.weights.as_deref(),
            strata: self.strata.as_deref(),
        }
    }

    fn fit_with(&self, opts: &CoxOptions) -> Result<CoxFit, CoxError> {
        cox::fit(&self.design(), &self.surv(), self.extras(), opts)
    }

    fn fit(&self, ties: Ties) -> CoxFit {
        self.fit_with(&CoxOptions {
            ties,
            ..CoxOptions::default()
        })
        .unwrap()
    }

    fn fast(&self, beta: &[f64], ties: Ties) -> (f64, Vec<f64>, Vec<f64>) {
        cox::loglik_at(&self.design(), &self.surv(), self.extras(), beta, ties).unwrap()
    }

    /// The direct computation. Each column is first shifted by its mean: the likelihood, score
    /// and information do not change (every eta moves by the same m'beta), but the reference's own
    /// rounding (E[x^2] - E[x]^2 on raw values such as years) stays far below the tolerances.
    fn naive(&self, beta: &[f64], ties: Ties) -> (f64, Vec<f64>, Vec<f64>) {
        let n = self.n();
        let w = self.weights.clone().unwrap_or_else(|| vec![1.0; n]);
        let s = self.strata.clone().unwrap_or_else(|| vec![0; n]);
        let p = self.p;
        let means: Vec<f64> = (0..p)
            .map(|j| self.column(j).iter().sum::<f64>() / n as f64)
            .collect();
        let xc: Vec<f64> = self
            .x
            .iter()
            .enumerate()
            .map(|(k, v)| v - means[k % p])
            .collect();
        naive::loglik(&xc, self.p, &self.time, &self.event, &w, &s, beta, ties)
    }

    /// The same data with every time moved by +0.5: same order, so the same likelihood, but the
    /// times are no longer whole numbers and the sorted layout is used.
    fn sorted_twin(&self) -> Data {
        assert!(self.time.iter().all(|t| t.fract() == 0.0));
        Data {
            time: self.time.iter().map(|t| t + 0.5).collect(),
            ..self.clone()
        }
    }

    fn column(&self, j: usize) -> Vec<f64> {
        self.x.iter().skip(j).step_by(self.p).copied().collect()
    }
}

/// Cox data with hazard exp(x'beta): exponential event times, independent censoring. With
/// `whole`, times are rounded up to whole numbers (heavily tied); otherwise they are fractional.
fn simulate(rng: &mut Rng, x: Vec<f64>, p: usize, beta: &[f64], whole: bool) -> Data {
    let n = x.len() / p;
    let mut time = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    for i in 0..n {
        let eta: f64 = x[i * p..(i + 1) * p]
            .iter()
            .zip(beta)
            .map(|(a, b)| a * b)
            .sum();
        let t = -rng.unif().ln() * 20.0 / eta.exp();
        let c = -rng.unif().ln() * 30.0;
        let (mut v, e) = if t <= c { (t, true) } else { (c, false) };
        if whole {
            v = v.ceil().min(120.0);
        }
        time.push(v);
        event.push(e);
    }
    Data {
        p,
        x,
        time,
        event,
        weights: None,
        strata: None,
    }
}

fn normal_x(rng: &mut Rng, n: usize, p: usize) -> Vec<f64> {
    (0..n * p).map(|_| rng.normal()).collect()
}

/// `simulate` with standard normal covariates.
fn sim_normal(rng: &mut Rng, n: usize, p: usize, beta: &[f64], whole: bool) -> Data {
    let x = normal_x(rng, n, p);
    simulate(rng, x, p, beta, whole)
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(got.abs()).max(1e-300)
            || (got - want).abs() <= 1e-300,
        "{what}: got {got:e}, want {want:e} (rel diff {:e})",
        (got - want).abs() / want.abs().max(got.abs())
    );
}

/// The fast pass against the direct one at `beta`: loglik, score and information, each to
/// `rel` relative to the scale of its kind (|loglik|, the score's scale sqrt(info_ii), the
/// information's diagonal).
#[track_caller]
fn check_pass(d: &Data, beta: &[f64], ties: Ties, rel: f64) {
    let (ll, u, info) = d.fast(beta, ties);
    let (nll, nu, ninfo) = d.naive(beta, ties);
    let p = d.p;
    close(ll, nll, rel, &format!("loglik ({ties})"));
    for i in 0..p {
        let scale_i = ninfo[i * p + i].abs().sqrt().max(1e-12) * (1.0 + nll.abs()).sqrt();
        assert!(
            (u[i] - nu[i]).abs() <= rel * (scale_i + nu[i].abs()),
            "score[{i}] ({ties}): got {}, want {}",
            u[i],
            nu[i]
        );
        for j in 0..p {
            let s = (ninfo[i * p + i] * ninfo[j * p + j]).sqrt();
            assert!(
                (info[i * p + j] - ninfo[i * p + j]).abs() <= rel * s,
                "info[{i},{j}] ({ties}): got {}, want {}",
                info[i * p + j],
                ninfo[i * p + j]
            );
        }
    }
}

/// Inverse of a symmetric positive definite matrix (row-major) by Gauss-Jordan with partial
/// pivoting: an independent check of the fit's variance.
fn invert(a: &[f64], p: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    let mut inv: Vec<f64> = (0..p * p)
        .map(|k| if k / p == k % p { 1.0 } else { 0.0 })
        .collect();
    for c in 0..p {
        let piv = (c..p)
            .max_by(|&i, &j| m[i * p + c].abs().total_cmp(&m[j * p + c].abs()))
            .unwrap();
        for k in 0..p {
            m.swap(c * p + k, piv * p + k);
            inv.swap(c * p + k, piv * p + k);
        }
        let d = m[c * p + c];
        for k in 0..p {
            m[c * p + k] /= d;
            inv[c * p + k] /= d;
        }
        for r in 0..p {
            if r != c {
                let f = m[r * p + c];
                if f != 0.0 {
                    for k in 0..p {
                        m[r * p + k] -= f * m[c * p + k];
                        inv[r * p + k] -= f * inv[c * p + k];
                    }
                }
            }
        }
    }
    inv
}

/// The fit against the direct computation at its estimate: the log-likelihood, and the variance
/// = inverse of the direct information, to `rel` (relative to sqrt(v_ii v_jj)).
#[track_caller]
fn check_fit(d: &Data, f: &CoxFit, rel: f64) {
    let p = d.p;
    assert!(f.converged, "not converged: {:?}", f.warnings);
    assert!(f.coef.iter().all(|b| b.is_finite()));
    let (nll, _, ninfo) = d.naive(&f.coef, f.ties);
    close(f.loglik[1], nll, rel, "loglik at the estimate");
    let (nll0, _, _) = d.naive(&vec![0.0; p], f.ties);
    close(f.loglik[0], nll0, rel, "loglik at 0");
    let v = invert(&ninfo, p);
    for i in 0..p {
        for j in 0..p {
            let s = (v[i * p + i] * v[j * p + j]).sqrt();
            assert!(
                (f.var[i][j] - v[i * p + j]).abs() <= rel * s,
                "var[{i}][{j}]: got {:e}, want {:e}",
                f.var[i][j],
                v[i * p + j]
            );
        }
    }
}

/// Two fits of the same likelihood (e.g. the two layouts) agree.
#[track_caller]
fn same_fit(a: &CoxFit, b: &CoxFit, rel: f64) {
    let p = a.coef.len();
    close(a.loglik[0], b.loglik[0], rel, "loglik0");
    close(a.loglik[1], b.loglik[1], rel, "loglik");
    for i in 0..p {
        let s = a.var[i][i].sqrt();
        assert!(
            (a.coef[i] - b.coef[i]).abs() <= rel * (s + a.coef[i].abs()),
            "coef[{i}]: {} vs {}",
            a.coef[i],
            b.coef[i]
        );
        for j in 0..p {
            close(a.var[i][j], b.var[i][j], rel, &format!("var[{i}][{j}]"));
        }
    }
    assert_eq!(a.iterations, b.iterations);
    assert_eq!(a.warnings, b.warnings);
}

/// The baselines of two fits agree, `b`'s times being `a`'s plus `shift`.
#[track_caller]
fn same_baseline(a: &CoxFit, b: &CoxFit, shift: f64, rel: f64) {
    assert_eq!(a.baseline.len(), b.baseline.len());
    for (ha, hb) in a.baseline.iter().zip(&b.baseline) {
        assert_eq!(ha.time.len(), hb.time.len());
        for k in 0..ha.time.len() {
            assert_eq!(ha.time[k] + shift, hb.time[k]);
            close(ha.n_risk[k], hb.n_risk[k], rel, "n_risk");
            close(ha.n_event[k], hb.n_event[k], rel, "n_event");
            close(ha.cumhaz[k], hb.cumhaz[k], rel, "cumhaz");
            close(ha.cumvar[k], hb.cumvar[k], rel, "cumvar");
            for (xa, xb) in ha.cumxbar[k].iter().zip(&hb.cumxbar[k]) {
                assert!(
                    (xa - xb).abs() <= rel * (1.0 + xa.abs()),
                    "cumxbar {xa} vs {xb}"
                );
            }
        }
    }
}

/// The baseline hazard of every stratum computed directly from its definition (R's `agsurv`
/// with `agsurv5` for Efron) at the fit's coefficients and means, compared with the fit's.
#[track_caller]
fn check_baseline(d: &Data, f: &CoxFit, rel: f64) {
    let (n, p) = (d.n(), d.p);
    let w = |i: usize| d.weights.as_ref().map_or(1.0, |w| w[i]);
    let s = |i: usize| d.strata.as_ref().map_or(0, |s| s[i]);
    let zc = |i: usize| -> Vec<f64> { (0..p).map(|j| d.x[i * p + j] - f.means[j]).collect() };
    let r = |i: usize| {
        w(i) * zc(i)
            .iter()
            .zip(&f.coef)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .exp()
    };
    let n_strata = (0..n).map(s).max().unwrap() + 1;
    assert_eq!(f.baseline.len(), n_strata);
    for (st, b) in f.baseline.iter().enumerate() {
        let mut times: Vec<f64> = (0..n)
            .filter(|&i| s(i) == st && d.event[i])
            .map(|i| d.time[i])
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        assert_eq!(b.time, times, "stratum {st}: event times");
        let (mut ch, mut cv, mut cx) = (0.0, 0.0, vec![0.0; p]);
        for (k, &t) in times.iter().enumerate() {
            let risk: Vec<usize> = (0..n).filter(|&i| s(i) == st && d.time[i] >= t).collect();
            let dead: Vec<usize> = risk
                .iter()
                .copied()
                .filter(|&i| d.event[i] && d.time[i] == t)
                .collect();
            let s0: f64 = risk.iter().map(|&i| r(i)).sum();
            let d0: f64 = dead.iter().map(|&i| r(i)).sum();
            let mut s1 = vec![0.0; p];
            let mut d1 = vec![0.0; p];
            for &i in &risk {
                for (a, z) in s1.iter_mut().zip(zc(i)) {
                    *a += r(i) * z;
                }
            }
            for &i in &dead {
                for (a, z) in d1.iter_mut().zip(zc(i)) {
                    *a += r(i) * z;
                }
            }
            let nevent: f64 = dead.iter().map(|&i| w(i)).sum();
            let m = if f.ties == Ties::Efron { dead.len() } else { 1 };
            let frac = if f.ties == Ties::Efron { 1.0 } else { 0.0 };
            for j in 0..m {
                let tj = frac * j as f64 / m as f64;
                let den = s0 - tj * d0;
                ch += nevent / den / m as f64;
                cv += nevent / (den * den) / m as f64;
                for ((c, a), b2) in cx.iter_mut().zip(&s1).zip(&d1) {
                    *c += nevent * (a - tj * b2) / (den * den) / m as f64;
                }
            }
            close(
                b.n_risk[k],
                risk.iter().map(|&i| w(i)).sum(),
                1e-12,
                "n_risk",
            );
            close(b.n_event[k], nevent, 1e-12, "n_event");
            close(b.cumhaz[k], ch, rel, "cumhaz");
            close(b.cumvar[k], cv, rel, "cumvar");
            for (got, want) in b.cumxbar[k].iter().zip(&cx) {
                assert!(
                    (got - want).abs() <= rel * (ch + want.abs()),
                    "cumxbar: {got} vs {want}"
                );
            }
        }
    }
}

const BOTH: [Ties; 2] = [Ties::Efron, Ties::Breslow];

// ---------------------------------------------------------------------------------------------
// strata

/// Strata 0 and 2 with events, stratum 1 (and, for `gap`, a stratum code never used) without.
fn strata_data(rng: &mut Rng, n: usize, whole: bool, codes: &[usize]) -> Data {
    let mut d = sim_normal(rng, n, 2, &[0.6, -0.4], whole);
    d.strata = Some((0..n).map(|i| codes[i % codes.len()]).collect());
    d
}

#[test]
fn stratum_without_events_has_empty_baseline_and_survival_one() {
    let mut rng = Rng(1);
    for whole in [true, false] {
        let mut d = strata_data(&mut rng, 120, whole, &[0, 1, 2]);
        let s = d.strata.clone().unwrap();
        for (e, &k) in d.event.iter_mut().zip(&s) {
            if k == 1 {
                *e = false;
            }
        }
        for ties in BOTH {
            check_pass(&d, &[0.3, -0.2], ties, 1e-11);
            let f = d.fit(ties);
            check_fit(&d, &f, 1e-9);
            check_baseline(&d, &f, 1e-10);
            assert_eq!(f.baseline.len(), 3);
            assert!(f.baseline[1].time.is_empty());
            assert!(!f.baseline[0].time.is_empty() && !f.baseline[2].time.is_empty());
            let curve = f.patient_curve(&[0.5, -1.0], 1);
            for t in [0.0, 1.0, 10.0, 1e6] {
                let pt = curve.at(t);
                assert_eq!(pt.surv, 1.0);
                assert_eq!(pt.se, 0.0);
                assert_eq!((pt.lower, pt.upper), (1.0, 1.0));
            }
            assert_eq!(curve.median().median, None);
            // the other strata have proper curves
            let c0 = f.patient_curve(&[0.5, -1.0], 0);
            assert!(c0.surv.iter().all(|s| (0.0..=1.0).contains(s)));
            assert!(c0.se_cumhaz.iter().all(|v| v.is_finite()));
        }
        if whole {
            let t = d.sorted_twin();
            for ties in BOTH {
                let (a, b) = (d.fit(ties), t.fit(ties));
                same_fit(&a, &b, 1e-10);
                same_baseline(&a, &b, 0.5, 1e-10);
            }
        }
    }
}

#[test]
fn noncontiguous_strata_codes_equal_contiguous_ones() {
    let mut rng = Rng(2);
    for whole in [true, false] {
        let gap = strata_data(&mut rng, 150, whole, &[0, 2]);
        let dense = Data {
            strata: Some(
                gap.strata
                    .as_ref()
                    .unwrap()
                    .iter()
                    .map(|&s| s / 2)
                    .collect(),
            ),
            ..gap.clone()
        };
        for ties in BOTH {
            check_pass(&gap, &[0.4, 0.1], ties, 1e-11);
            let (a, b) = (gap.fit(ties), dense.fit(ties));
            check_fit(&gap, &a, 1e-9);
            same_fit(&a, &b, 1e-12);
            assert_eq!(a.baseline.len(), 3);
            assert_eq!(b.baseline.len(), 2);
            assert!(a.baseline[1].time.is_empty());
            assert_eq!(a.baseline[0], b.baseline[0]);
            assert_eq!(a.baseline[2], b.baseline[1]);
            assert_eq!(a.patient_curve(&[0.0, 0.0], 1).at(50.0).surv, 1.0);
        }
    }
}

#[test]
fn weights_with_strata_match_direct() {
    let mut rng = Rng(3);
    for whole in [true, false] {
        let mut d = strata_data(&mut rng, 160, whole, &[0, 1, 2]);
        d.weights = Some((0..d.n()).map(|_| 0.2 + 3.0 * rng.unif()).collect());
        for ties in BOTH {
            check_pass(&d, &[0.0, 0.0], ties, 1e-11);
            check_pass(&d, &[0.7, -0.9], ties, 1e-11);
            let f = d.fit(ties);
            check_fit(&d, &f, 1e-9);
            check_baseline(&d, &f, 1e-10);
            // n_risk is weighted; n_event too
            let w = d.weights.as_ref().unwrap();
            let s = d.strata.as_ref().unwrap();
            let b = &f.baseline[2];
            let t0 = b.time[0];
            let want: f64 = (0..d.n())
                .filter(|&i| s[i] == 2 && d.time[i] >= t0)
                .map(|i| w[i])
                .sum();
            close(b.n_risk[0], want, 1e-12, "weighted n_risk");
        }
        if whole {
            let t = d.sorted_twin();
            for ties in BOTH {
                let (a, b) = (d.fit(ties), t.fit(ties));
                same_fit(&a, &b, 1e-10);
                same_baseline(&a, &b, 0.5, 1e-10);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ties and time 0

#[test]
fn one_tied_set_holding_every_row() {
    let mut rng = Rng(4);
    let n = 40;
    let x = normal_x(&mut rng, n, 2);
    for all_events in [true, false] {
        let event: Vec<bool> = (0..n).map(|i| all_events || i % 3 != 0).collect();
        for t in [0.0, 7.0, 7.25] {
            let d = Data {
                p: 2,
                x: x.clone(),
                time: vec![t; n],
                event: event.clone(),
                weights: None,
                strata: None,
            };
            for ties in BOTH {
                check_pass(&d, &[0.0, 0.0], ties, 1e-12);
                check_pass(&d, &[0.8, -0.5], ties, 1e-11);
                let f = d.fit(ties);
                check_fit(&d, &f, 1e-9);
                check_baseline(&d, &f, 1e-10);
                let b = &f.baseline[0];
                assert_eq!(b.time, vec![t]);
                assert_eq!(b.n_risk, vec![n as f64]);
                assert_eq!(b.n_event, vec![event.iter().filter(|&&e| e).count() as f64]);
            }
        }
    }
}

#[test]
fn all_events_at_one_time_with_later_censorings() {
    let mut rng = Rng(5);
    let n = 60;
    let x = normal_x(&mut rng, n, 1);
    // events all at time 3, censorings spread over 0..10 (some tied with the events, some at 0)
    let mut time = Vec::new();
    let mut event = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            time.push(3.0);
            event.push(true);
        } else {
            time.push((i % 11) as f64);
            event.push(false);
        }
    }
    let d = Data {
        p: 1,
        x,
        time,
        event,
        weights: None,
        strata: None,
    };
    for ties in BOTH {
        check_pass(&d, &[0.5], ties, 1e-12);
        let f = d.fit(ties);
        check_fit(&d, &f, 1e-9);
        assert_eq!(f.baseline[0].time, vec![3.0]);
    }
    let t = d.sorted_twin();
    for ties in BOTH {
        same_fit(&d.fit(ties), &t.fit(ties), 1e-10);
    }
}

#[test]
fn time_zero_rows() {
    let mut rng = Rng(6);
    let n = 90;
    let mut d = sim_normal(&mut rng, n, 2, &[0.5, 0.5], true);
    // a block of rows at time 0: events and censorings
    for i in 0..15 {
        d.time[i] = 0.0;
        d.event[i] = i % 2 == 0;
    }
    let frac = Data {
        // fractional times with 0 kept at 0: the sorted layout with time 0 rows
        time: d
            .time
            .iter()
            .map(|&t| if t == 0.0 { 0.0 } else { t - 0.5 })
            .collect(),
        ..d.clone()
    };
    // -0.0 is a valid time (it is not negative) and the same time as 0
    let signed = Data {
        time: frac
            .time
            .iter()
            .enumerate()
            .map(|(i, &t)| if t == 0.0 && i % 3 == 0 { -0.0 } else { t })
            .collect(),
        ..frac.clone()
    };
    for ties in BOTH {
        same_fit(&frac.fit(ties), &signed.fit(ties), 1e-13);
        for dd in [&d, &frac, &signed] {
            check_pass(dd, &[0.2, -0.3], ties, 1e-11);
            let f = dd.fit(ties);
            check_fit(dd, &f, 1e-9);
            check_baseline(dd, &f, 1e-10);
            let b = &f.baseline[0];
            assert_eq!(b.time[0], 0.0);
            assert_eq!(b.n_risk[0], n as f64);
            assert_eq!(b.n_event[0], 8.0);
            // before the first event time S = 1; at time 0 it has already dropped
            let c = f.patient_curve(&[0.0, 0.0], 0);
            assert!(c.at(0.0).surv < 1.0);
        }
        same_fit(&d.fit(ties), &frac.fit(ties), 1e-10);
    }
}

// ---------------------------------------------------------------------------------------------
// dimensions

#[test]
fn single_covariate() {
    let mut rng = Rng(7);
    for whole in [true, false] {
        let d = sim_normal(&mut rng, 200, 1, &[0.8], whole);
        for ties in BOTH {
            check_pass(&d, &[-0.3], ties, 1e-12);
            let f = d.fit(ties);
            check_fit(&d, &f, 1e-9);
            // 1 x 1: the variance is the inverse of the direct information
            let (_, _, info) = d.naive(&f.coef, ties);
            close(f.var[0][0], 1.0 / info[0], 1e-9, "1/I");
        }
    }
}

#[test]
fn many_terms_use_the_generic_gram_path() {
    let mut rng = Rng(8);
    for p in [16, 17, 20] {
        for whole in [true, false] {
            let n = 260;
            let mut x = normal_x(&mut rng, n, p);
            // a few indicators (not centred), a negative-valued and a large-mean column
            for i in 0..n {
                x[i * p] = (i % 2) as f64;
                x[i * p + 1] = -((i % 5) as f64) - 1.0;
                x[i * p + 2] = 2000.0 + 10.0 * x[i * p + 2];
            }
            let beta: Vec<f64> = (0..p).map(|j| 0.1 * ((j % 5) as f64 - 2.0)).collect();
            let mut beta_t = beta.clone();
            beta_t[2] = 0.01;
            let d = simulate(&mut rng, x, p, &beta_t, whole);
            for ties in BOTH {
                check_pass(&d, &vec![0.0; p], ties, 1e-10);
                check_pass(&d, &beta, ties, 1e-10);
                let f = d.fit(ties);
                check_fit(&d, &f, 1e-9);
            }
        }
    }
}

#[test]
fn null_model_with_no_terms_does_not_panic() {
    // coxph(Surv(time, status) ~ 1) is a valid (null) model in R; here it must at least not panic
    let d = Data {
        p: 0,
        x: vec![],
        time: vec![1.0, 2.0, 3.0, 4.0],
        event: vec![true, false, true, true],
        weights: None,
        strata: None,
    };
    let r = std::panic::catch_unwind(|| d.fit_with(&CoxOptions::default()));
    assert!(r.is_ok(), "fit with p = 0 panicked");
}

// ---------------------------------------------------------------------------------------------
// times

#[test]
fn huge_time_span_equals_ranked_times() {
    let mut rng = Rng(9);
    let n = 150;
    let d = sim_normal(&mut rng, n, 2, &[0.5, -0.5], true);
    // an order-preserving map of the whole-number times onto 0 .. 1e9: the span forces the
    // sorted layout, while `d` (times 1..120) is bucketed
    let huge = Data {
        time: d
            .time
            .iter()
            .map(|&t| {
                if t <= 1.0 {
                    0.0
                } else {
                    1e9 - (121.0 - t) * 1000.0
                }
            })
            .collect(),
        ..d.clone()
    };
    let shifted = Data {
        time: d.time.iter().map(|&t| t + 1e12).collect(),
        ..d.clone()
    };
    for ties in BOTH {
        check_pass(&huge, &[0.3, 0.3], ties, 1e-11);
        let a = d.fit(ties);
        let b = huge.fit(ties);
        let c = shifted.fit(ties);
        check_fit(&huge, &b, 1e-9);
        same_fit(&a, &b, 1e-10);
        same_fit(&a, &c, 1e-12);
        same_baseline(&a, &c, 1e12, 1e-12);
        for (ha, hb) in a.baseline[0].cumhaz.iter().zip(&b.baseline[0].cumhaz) {
            close(*ha, *hb, 1e-10, "cumhaz");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// covariate values

#[test]
fn negative_values_and_large_means() {
    let mut rng = Rng(10);
    for whole in [true, false] {
        let n = 300;
        let mut x = Vec::with_capacity(n * 3);
        for _ in 0..n {
            let year = 2004.0 + rng.below(13) as f64;
            let age = 62.0 + 11.0 * rng.normal();
            let score = -3.0 - 2.0 * rng.unif(); // all negative
            x.extend([year, age, score]);
        }
        let d = simulate(&mut rng, x.clone(), 3, &[0.05, 0.03, -0.5], whole);
        for ties in BOTH {
            check_pass(&d, &[0.05, 0.03, -0.5], ties, 1e-10);
            let f = d.fit(ties);
            check_fit(&d, &f, 1e-9);
            check_baseline(&d, &f, 1e-10);
            // means are the column means
            for j in 0..3 {
                let m = d.column(j).iter().sum::<f64>() / n as f64;
                close(f.means[j], m, 1e-12, "mean");
            }
        }
        // translating a column changes nothing but its mean
        let moved = Data {
            x: x.chunks(3)
                .flat_map(|r| [r[0] - 2004.0, r[1], r[2] + 10.0])
                .collect(),
            ..d.clone()
        };
        for ties in BOTH {
            same_fit(&d.fit(ties), &moved.fit(ties), 1e-8);
        }
    }
}

#[test]
fn nearly_constant_column_with_a_large_mean_is_not_constant() {
    // diagnosis dates coded as YYYYMMDD numbers, all in 2010: sd ~ 350 around 2.01e7, so the
    // centred sum of squares is ~3e-10 of the raw one, yet ~1e7 times its rounding error;
    // coxph fits it (it centres and scales)
    let mut rng = Rng(11);
    let n = 400;
    let mut x = Vec::with_capacity(2 * n);
    for _ in 0..n {
        x.push(rng.normal());
        let (month, day) = (1 + rng.below(12), 1 + rng.below(28));
        x.push((20_100_000 + 100 * month + day) as f64);
    }
    let d = simulate(&mut rng, x, 2, &[0.5, 0.0], true);
    for ties in BOTH {
        let f = d.fit_with(&CoxOptions {
            ties,
            ..CoxOptions::default()
        });
        let f = match f {
            Ok(f) => f,
            Err(e) => panic!("{ties}: {e}"),
        };
        check_fit(&d, &f, 1e-8);
    }
}

#[test]
fn terms_on_very_different_scales() {
    // income in dollars next to a dose in grams: R's coxfit6 scales each covariate before the
    // Cholesky, so its singularity tolerance does not depend on units; the fit must be
    // equivariant under a change of units of one column
    let mut rng = Rng(12);
    let n = 300;
    let mut x = Vec::with_capacity(2 * n);
    for _ in 0..n {
        x.push(50_000.0 + 30_000.0 * rng.normal());
        x.push(0.05 + 0.02 * rng.normal());
    }
    let d = simulate(&mut rng, x.clone(), 2, &[0.0, 20.0], false);
    let thousands = Data {
        x: x.chunks(2).flat_map(|r| [r[0] / 1000.0, r[1]]).collect(),
        ..d.clone()
    };
    for ties in BOTH {
        let a = d.fit(ties);
        let b = thousands.fit(ties);
        check_fit(&thousands, &b, 1e-9);
        assert!(b.coef[1].abs() > 1.0, "dose effect {}", b.coef[1]);
        close(
            a.coef[1],
            b.coef[1],
            1e-8,
            "dose coefficient, dollars vs thousands",
        );
        close(
            a.var[1][1],
            b.var[1][1],
            1e-8,
            "dose variance, dollars vs thousands",
        );
        check_fit(&d, &a, 1e-8);
    }
}

// ---------------------------------------------------------------------------------------------
// degenerate designs

fn large_with_constant(value: f64, whole: bool) -> Data {
    let n = 100_001;
    let mut rng = Rng(13);
    let mut x = Vec::with_capacity(2 * n);
    for _ in 0..n {
        x.push(rng.normal());
        x.push(value);
    }
    simulate(&mut rng, x, 2, &[0.5, 0.0], whole)
}

#[test]
fn constant_column_on_large_data_is_named() {
    for value in [0.0, 1.0, -1.0, 3.7, 2010.0, 0.1] {
        for (whole, extras) in [(true, false), (false, false), (true, true), (false, true)] {
            let mut d = large_with_constant(value, whole);
            if extras {
                // with strata and case weights too
                d.strata = Some((0..d.n()).map(|i| i % 3).collect());
                d.weights = Some((0..d.n()).map(|i| 0.5 + (i % 7) as f64 / 3.0).collect());
            }
            for ties in BOTH {
                let r = d.fit_with(&CoxOptions {
                    ties,
                    ..CoxOptions::default()
                });
                match r {
                    Err(CoxError::ConstantTerm { term, .. }) => assert_eq!(term, "x1"),
                    Err(e) => panic!("value {value}, whole {whole}, extras {extras}, {ties}: {e}"),
                    Ok(f) => panic!(
                        "value {value}, whole {whole}, extras {extras}, {ties}: fitted a constant \
                         term: coef {:?}, var {:?}, warnings {:?}",
                        f.coef, f.var, f.warnings
                    ),
                }
            }
        }
    }
}

#[test]
fn column_collinear_only_within_strata() {
    // x1 = x0 + 3 * stratum: not collinear over all rows, but within every stratum x1 - x0 is
    // constant, so its coefficient is not identifiable (coxph reports it as NA, "X matrix deemed
    // to be singular")
    let mut rng = Rng(14);
    for whole in [true, false] {
        let n = 200;
        let s: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let mut x = Vec::with_capacity(2 * n);
        for &k in &s {
            let v = rng.normal();
            x.push(v);
            x.push(v + 3.0 * k as f64);
        }
        let mut d = simulate(&mut rng, x, 2, &[0.5, 0.0], whole);
        d.strata = Some(s);
        for ties in BOTH {
            // the information is singular: its determinant ~ 0 relative to its diagonal
            let (_, _, info) = d.fast(&[0.0, 0.0], ties);
            let det = info[0] * info[3] - info[1] * info[2];
            assert!(det.abs() <= 1e-9 * info[0] * info[3], "det {det}");
            let r = d.fit_with(&CoxOptions {
                ties,
                ..CoxOptions::default()
            });
            match r {
                Err(CoxError::Collinear { .. })
                | Err(CoxError::ConstantTerm { .. })
                | Err(CoxError::NotEstimable { .. }) => {}
                Err(e) => panic!("unexpected error {e}"),
                Ok(f) => {
                    // if it fits, it must say so and not report a 0 +- 0 coefficient as an estimate
                    let rows = f.coefficients();
                    assert!(
                        rows.iter().all(|r| r.se > 0.0 && r.p.is_finite()),
                        "silent singular fit: {rows:?}, warnings {:?}",
                        f.warnings
                    );
                }
            }
        }
    }
}

#[test]
fn monotone_likelihood_with_strata_and_weights_warns_and_stays_finite() {
    let mut rng = Rng(15);
    for whole in [true, false] {
        let n = 120;
        let mut x = Vec::with_capacity(2 * n);
        for i in 0..n {
            x.push((i % 3 == 0) as u8 as f64); // group 1: no events
            x.push(rng.normal());
        }
        let mut d = simulate(&mut rng, x, 2, &[0.0, 0.4], whole);
        for i in 0..n {
            if i % 3 == 0 {
                d.event[i] = false;
            }
        }
        d.strata = Some((0..n).map(|i| (i / 7) % 2).collect());
        d.weights = Some((0..n).map(|i| 1.0 + (i % 4) as f64 * 0.5).collect());
        for ties in BOTH {
            let f = d.fit(ties);
            assert!(f.coef[0] < -5.0, "{}", f.coef[0]);
            assert!(f.coef.iter().all(|v| v.is_finite()));
            assert!(f.var.iter().flatten().all(|v| v.is_finite()));
            assert!(f
                .warnings
                .iter()
                .any(|w| matches!(w, CoxWarning::InfiniteCoefficient { term } if term == "x0")));
            assert!(!f
                .warnings
                .iter()
                .any(|w| matches!(w, CoxWarning::InfiniteCoefficient { term } if term == "x1")));
            // the likelihood reported is the likelihood at the reported coefficients
            let (nll, _, _) = d.naive(&f.coef, ties);
            close(f.loglik[1], nll, 1e-10, "loglik");
            // the finite coefficient is still estimated: direct information for it alone
            let (_, _, info) = d.naive(&f.coef, ties);
            assert!(info[3] > 0.0);
            let c = f.patient_curve(&[1.0, 0.0], 0);
            assert!(c.surv.iter().all(|s| s.is_finite()));
        }
    }
}

#[test]
fn zero_and_one_iterations() {
    let mut rng = Rng(16);
    let d = sim_normal(&mut rng, 100, 2, &[0.5, -0.5], true);
    let f0 = d
        .fit_with(&CoxOptions {
            max_iter: 0,
            ..CoxOptions::default()
        })
        .unwrap();
    assert_eq!(f0.coef, vec![0.0, 0.0]);
    assert_eq!(f0.loglik[0], f0.loglik[1]);
    let (_, _, info) = d.naive(&[0.0, 0.0], Ties::Efron);
    let v = invert(&info, 2);
    for i in 0..2 {
        for j in 0..2 {
            close(f0.var[i][j], v[i * 2 + j], 1e-10, "var at 0");
        }
    }
    let f1 = d
        .fit_with(&CoxOptions {
            max_iter: 1,
            ..CoxOptions::default()
        })
        .unwrap();
    // one Newton step from 0
    let (_, u0, _) = d.naive(&[0.0, 0.0], Ties::Efron);
    for i in 0..2 {
        let step: f64 = (0..2).map(|j| v[i * 2 + j] * u0[j]).sum();
        close(f1.coef[i], step, 1e-10, "one step");
    }
    let (ll1, _, _) = d.naive(&f1.coef, Ties::Efron);
    close(f1.loglik[1], ll1, 1e-12, "loglik after one step");
}

// ---------------------------------------------------------------------------------------------
// the Newton-Raphson loop

/// coxfit6's iteration written out on the direct likelihood: start at 0, full Newton steps,
/// `halving` counted up while the log-likelihood is worse (or not finite) than the best so far,
/// convergence on |1 - best/new| <= eps. Returns (beta, loglik, iterations, converged, halved).
fn reference_newton(d: &Data, ties: Ties, max_iter: usize) -> (Vec<f64>, f64, usize, bool, bool) {
    use prognosis::stats::linalg::Ldl;
    let opts = CoxOptions::default();
    let p = d.p;
    let mut beta = vec![0.0; p];
    let (ll0, u0, i0) = d.naive(&beta, ties);
    let mut step = u0.clone();
    Ldl::new(&i0, p, opts.toler_chol).solve_in_place(&mut step);
    let mut newbeta: Vec<f64> = step.clone();
    let mut best = ll0;
    let mut halving = 0usize;
    let mut halved = false;
    for iter in 1..=max_iter {
        let (ll, u, info) = d.naive(&newbeta, ties);
        let finite =
            ll.is_finite() && u.iter().all(|v| v.is_finite()) && info.iter().all(|v| v.is_finite());
        if finite && (1.0 - best / ll).abs() <= opts.eps {
            return (newbeta, ll, iter, true, halved);
        }
        if !finite || ll < best {
            halving += 1;
            halved = true;
            let h = halving as f64;
            for (nb, b) in newbeta.iter_mut().zip(&beta) {
                *nb = (*nb + h * b) / (h + 1.0);
            }
        } else {
            halving = 0;
            best = ll;
            let mut s = u.clone();
            Ldl::new(&info, p, opts.toler_chol).solve_in_place(&mut s);
            beta = newbeta.clone();
            for (nb, si) in newbeta.iter_mut().zip(&s) {
                *nb += si;
            }
        }
    }
    (beta, best, max_iter, false, halved)
}

#[test]
fn newton_iterations_follow_coxfit6() {
    let mut rng = Rng(17);
    let mut any_halving = false;
    for case in 0..6 {
        let n = 80;
        // strong effects of a skewed covariate: the first full step overshoots
        let mut x = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let z = rng.normal();
            x.push(if case % 2 == 0 { (1.5 * z).exp() } else { z });
            x.push(rng.normal());
        }
        let beta_t = [1.5 + case as f64 * 0.5, -1.0];
        let d = simulate(&mut rng, x, 2, &beta_t, case >= 3);
        for ties in BOTH {
            let (b, ll, iters, conv, halved) = reference_newton(&d, ties, 20);
            any_halving |= halved;
            let f = d.fit(ties);
            assert_eq!(f.converged, conv, "case {case} {ties}");
            assert_eq!(f.iterations, iters, "case {case} {ties}: iterations");
            close(f.loglik[1], ll, 1e-11, "loglik");
            for (j, (&got, &want)) in f.coef.iter().zip(&b).enumerate() {
                close(got, want, 1e-7, &format!("case {case} {ties}: coef[{j}]"));
            }
        }
    }
    assert!(any_halving, "no case exercised step halving");
}

#[test]
fn newton_on_monotone_and_separated_likelihoods_follows_coxfit6() {
    let mut rng = Rng(20);
    let n = 60;
    // (a) a group without events: the loglik converges while its coefficient runs off
    let mut x = Vec::with_capacity(2 * n);
    for i in 0..n {
        x.push((i % 4 == 0) as u8 as f64);
        x.push(rng.normal());
    }
    let mut a = simulate(&mut rng, x, 2, &[0.0, 0.5], false);
    for i in (0..n).step_by(4) {
        a.event[i] = false;
    }
    // (b) complete separation: a larger x always dies first, so loglik -> 0 as beta -> inf and
    // the relative criterion |1 - best/new| never holds
    let b = Data {
        p: 1,
        x: (0..n).map(|i| -(i as f64) / 10.0).collect(),
        time: (0..n).map(|i| 1.0 + i as f64).collect(),
        event: vec![true; n],
        weights: None,
        strata: None,
    };
    for (name, d) in [("monotone", &a), ("separated", &b)] {
        for ties in BOTH {
            let (beta, ll, iters, conv, _) = reference_newton(d, ties, 20);
            assert_eq!(
                conv,
                name == "monotone",
                "{name} {ties}: reference convergence"
            );
            let f = d.fit(ties);
            assert_eq!(f.converged, conv, "{name} {ties}");
            assert_eq!(f.iterations, iters, "{name} {ties}");
            close(f.loglik[1], ll, 1e-9, &format!("{name} {ties}: loglik"));
            for (j, (&got, &want)) in f.coef.iter().zip(&beta).enumerate() {
                close(got, want, 1e-6, &format!("{name} {ties}: coef[{j}]"));
            }
            assert!(f
                .coef
                .iter()
                .chain(f.var.iter().flatten())
                .all(|v| v.is_finite()));
            if conv {
                assert!(f
                    .warnings
                    .iter()
                    .any(|w| matches!(w, CoxWarning::InfiniteCoefficient { .. })));
            } else {
                assert_eq!(
                    f.warnings,
                    vec![CoxWarning::NotConverged { iterations: 20 }]
                );
            }
        }
    }
}

#[test]
fn full_set_of_dummies_on_large_data_is_collinear() {
    // three indicators that sum to 1 in every row: not centred (all values in {0, 1}), so the
    // singularity of the information comes out of cancellation in the weighted Gram matrix
    let n = 100_001;
    let mut rng = Rng(18);
    for whole in [true, false] {
        let mut x = Vec::with_capacity(4 * n);
        for _ in 0..n {
            let k = rng.below(3);
            x.push(rng.normal());
            x.extend((0..3).map(|j| (j == k) as u8 as f64));
        }
        let d = simulate(&mut rng, x, 4, &[0.5, 0.2, -0.2, 0.0], whole);
        for ties in BOTH {
            let r = d.fit_with(&CoxOptions {
                ties,
                ..CoxOptions::default()
            });
            match r {
                Err(CoxError::Collinear { term, others }) => {
                    assert_eq!(term, "x3");
                    assert_eq!(others, vec!["x1".to_string(), "x2".to_string()]);
                }
                Err(e) => panic!("whole {whole}, {ties}: {e}"),
                Ok(f) => panic!(
                    "whole {whole}, {ties}: fitted collinear dummies: coef {:?}, warnings {:?}",
                    f.coef, f.warnings
                ),
            }
        }
    }
}

/// coxfit6_iter on sorted data, written independently of the crate: O(n p^2), for data too
/// large for the direct computation. Rows in any order; covariates used as given.
fn reference_pass(d: &Data, beta: &[f64], ties: Ties) -> (f64, Vec<f64>, Vec<f64>) {
    let (n, p) = (d.n(), d.p);
    let w = |i: usize| d.weights.as_ref().map_or(1.0, |w| w[i]);
    let s = |i: usize| d.strata.as_ref().map_or(0, |s| s[i]);
    let mut order: Vec<usize> = (0..n).collect();
    // increasing stratum, decreasing time
    order.sort_by(|&a, &b| s(a).cmp(&s(b)).then(d.time[b].total_cmp(&d.time[a])));
    let row = |i: usize| &d.x[i * p..(i + 1) * p];
    let mut ll = 0.0;
    let mut u = vec![0.0; p];
    let mut imat = vec![0.0; p * p];
    let (mut denom, mut a, mut cmat) = (0.0, vec![0.0; p], vec![0.0; p * p]);
    let mut k = 0;
    while k < n {
        let (st, t) = (s(order[k]), d.time[order[k]]);
        if k == 0 || s(order[k - 1]) != st {
            denom = 0.0;
            a.iter_mut().for_each(|v| *v = 0.0);
            cmat.iter_mut().for_each(|v| *v = 0.0);
        }
        let (mut ndead, mut deadwt, mut denom2) = (0usize, 0.0, 0.0);
        let (mut a2, mut cmat2) = (vec![0.0; p], vec![0.0; p * p]);
        while k < n && s(order[k]) == st && d.time[order[k]] == t {
            let i = order[k];
            let z: f64 = row(i).iter().zip(beta).map(|(x, b)| x * b).sum();
            let risk = z.exp() * w(i);
            let (sx, sxx) = if d.event[i] {
                ndead += 1;
                deadwt += w(i);
                denom2 += risk;
                ll += w(i) * z;
                for (uj, xj) in u.iter_mut().zip(row(i)) {
                    *uj += w(i) * xj;
                }
                (&mut a2, &mut cmat2)
            } else {
                denom += risk;
                (&mut a, &mut cmat)
            };
            for a_ in 0..p {
                sx[a_] += risk * row(i)[a_];
                for b_ in 0..p {
                    sxx[a_ * p + b_] += risk * row(i)[a_] * row(i)[b_];
                }
            }
            k += 1;
        }
        if ndead == 0 {
            continue;
        }
        let m = if ties == Ties::Efron { ndead } else { 1 };
        let wtave = deadwt / m as f64;
        for _ in 0..m {
            denom += denom2 / m as f64;
            ll -= wtave * denom.ln();
            for i in 0..p {
                a[i] += a2[i] / m as f64;
            }
            for i in 0..p * p {
                cmat[i] += cmat2[i] / m as f64;
            }
            for i in 0..p {
                let t2 = a[i] / denom;
                u[i] -= wtave * t2;
                for j in 0..p {
                    imat[i * p + j] += wtave * (cmat[i * p + j] - t2 * a[j]) / denom;
                }
            }
        }
    }
    (ll, u, imat)
}

#[test]
fn large_data_across_chunks_and_pieces_matches_reference() {
    // more rows than one parallel chunk (2^15) and the design check threshold: both layouts
    // against a sequential coxfit6-style pass, with strata and weights
    let n = 100_500;
    let mut rng = Rng(19);
    let mut x = Vec::with_capacity(3 * n);
    for _ in 0..n {
        x.push(rng.normal());
        x.push((rng.unif() < 0.3) as u8 as f64);
        x.push(2010.0 + rng.below(10) as f64);
    }
    let mut d = simulate(&mut rng, x, 3, &[0.4, -0.3, 0.02], true);
    d.strata = Some((0..n).map(|i| [0, 1, 3][i % 3]).collect());
    d.weights = Some((0..n).map(|_| 0.5 + rng.unif()).collect());
    let t = d.sorted_twin();
    // centred copy for the reference (exact invariance; keeps its rounding small)
    let centred = |d: &Data| {
        let means: Vec<f64> = (0..3)
            .map(|j| d.column(j).iter().sum::<f64>() / n as f64)
            .collect();
        Data {
            x: d.x
                .iter()
                .enumerate()
                .map(|(k, v)| v - means[k % 3])
                .collect(),
            ..d.clone()
        }
    };
    let beta = [0.35, -0.25, 0.03];
    for ties in BOTH {
        for dd in [&d, &t] {
            let (ll, u, info) = dd.fast(&beta, ties);
            let (rll, ru, rinfo) = reference_pass(&centred(dd), &beta, ties);
            close(ll, rll, 1e-11, "loglik");
            for i in 0..3 {
                assert!((u[i] - ru[i]).abs() <= 1e-9 * rinfo[i * 3 + i].sqrt() * 10.0);
                for j in 0..3 {
                    let s = (rinfo[i * 3 + i] * rinfo[j * 3 + j]).sqrt();
                    assert!(
                        (info[i * 3 + j] - rinfo[i * 3 + j]).abs() <= 1e-10 * s,
                        "info[{i},{j}]: {} vs {}",
                        info[i * 3 + j],
                        rinfo[i * 3 + j]
                    );
                }
            }
        }
        let (a, b) = (d.fit(ties), t.fit(ties));
        same_fit(&a, &b, 1e-9);
        same_baseline(&a, &b, 0.5, 1e-9);
        assert_eq!(a.baseline.len(), 4);
        assert!(a.baseline[2].time.is_empty());
    }
}

/// The Wald test does not depend on a covariate's unit: with one column multiplied by 1e12 (or
/// 1e-12) it equals the test on the original column, computed independently here as
/// z' R^-1 z with z = beta / se and R the correlation matrix of the estimates, for two terms by
/// the closed form of a 2x2 inverse. (R's `coxph` drops the rescaled term from its unscaled solve
/// and reports a smaller test; docs/methods-cox.md.)
#[test]
fn wald_test_is_invariant_to_a_covariates_unit() {
    let mut rng = Rng(11);
    let n = 300;
    let (mut x, mut time, mut event) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (a, b) = (rng.normal(), rng.normal());
        x.extend([a, b]);
        time.push(-rng.unif().ln() / (0.6 * a - 0.4 * b).exp());
        event.push(rng.unif() < 0.8);
    }
    let surv = Surv::new(time, event).unwrap();
    let fit_with = |scale: f64| -> CoxFit {
        let xs: Vec<f64> = x.chunks(2).flat_map(|r| [r[0], r[1] * scale]).collect();
        let d = Design::new(xs, n, vec!["a".into(), "b".into()]).unwrap();
        cox::fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap()
    };
    let base = fit_with(1.0);
    let (v, b) = (&base.var, &base.coef);
    let (s0, s1) = (v[0][0].sqrt(), v[1][1].sqrt());
    let (z0, z1, r) = (b[0] / s0, b[1] / s1, v[0][1] / (s0 * s1));
    let independent = (z0 * z0 - 2.0 * r * z0 * z1 + z1 * z1) / (1.0 - r * r);
    assert!((base.wald.statistic - independent).abs() < 1e-9 * independent);
    for scale in [1e12, 1e-12] {
        let f = fit_with(scale);
        assert_eq!(f.wald.df, 2.0, "scale {scale}");
        let rel = (f.wald.statistic - independent).abs() / independent;
        assert!(
            rel < 1e-6,
            "scale {scale}: {} vs {independent}",
            f.wald.statistic
        );
    }
}
