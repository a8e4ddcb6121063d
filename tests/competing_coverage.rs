//! Coverage of the Fine-Gray predicted-cumulative-incidence interval by simulation from a model
//! whose true cumulative incidence is known (Fine & Gray 1999, section 5):
//! F1(t | x) = 1 - (1 - p (1 - exp(-t)))^exp(x'b1), competing events exponential with rate
//! exp(x'b2), independent uniform censoring.

use prognosis::stats::competing::{self, CompetingSurv, CrrOptions};
use prognosis::stats::cox::Design;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const P: f64 = 0.3;
const B1: [f64; 2] = [0.6, -0.4];
const B2: [f64; 2] = [-0.3, 0.3];

fn true_cif(x: &[f64], t: f64) -> f64 {
    let r = (x[0] * B1[0] + x[1] * B1[1]).exp();
    1.0 - (1.0 - P * (1.0 - (-t).exp())).powf(r)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn simulate(n: usize, rng: &mut ChaCha8Rng) -> (CompetingSurv, Design) {
    let mut time = Vec::with_capacity(n);
    let mut cause = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let xi = [f64::from(rng.random::<f64>() < 0.5), normal(rng)];
        let r1 = (xi[0] * B1[0] + xi[1] * B1[1]).exp();
        let f_inf = 1.0 - (1.0 - P).powf(r1);
        let (t, c) = if rng.random::<f64>() < f_inf {
            let u: f64 = rng.random();
            let a = (1.0 - (1.0 - u * f_inf).powf(1.0 / r1)) / P;
            (-(1.0 - a).ln(), 1)
        } else {
            let rate = (xi[0] * B2[0] + xi[1] * B2[1]).exp();
            let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            (-u.ln() / rate, 2)
        };
        let cens = rng.random::<f64>() * 4.0;
        if cens < t {
            time.push(cens);
            cause.push(0);
        } else {
            time.push(t);
            cause.push(c);
        }
        x.extend(xi);
    }
    (
        CompetingSurv::with_causes(time, cause, 2).unwrap(),
        Design::new(x, n, vec!["x1".into(), "x2".into()]).unwrap(),
    )
}

/// Share of intervals that contain the true CIF, for two profiles at two times.
fn coverage(reps: usize, n: usize, seed: u64) -> (f64, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let profiles = [[1.0, 0.5], [0.0, -1.0]];
    let times = [0.5, 1.5];
    let mut hit = 0usize;
    let mut total = 0usize;
    for _ in 0..reps {
        let (surv, design) = simulate(n, &mut rng);
        let fit = competing::crr(&surv, &design, &CrrOptions::default()).unwrap();
        assert!(fit.converged);
        for x in &profiles {
            let pred = fit.predict_with_se(&surv, &design, x, &times).unwrap();
            for (pt, &t) in pred.iter().zip(&times) {
                let truth = true_cif(x, t);
                total += 1;
                hit += (pt.lower <= truth && truth <= pt.upper) as usize;
            }
        }
    }
    (hit as f64 / total as f64, total)
}

#[test]
fn interval_covers_the_true_cif_small() {
    let (cov, total) = coverage(40, 300, 11);
    // 160 intervals: 95% coverage gives 0.95 +- 0.017; a variance missing a term or off by a
    // factor 2 falls well below 0.88
    assert!((0.88..=1.0).contains(&cov), "coverage {cov} of {total}");
}

#[test]
#[ignore = "500 simulated data sets: run with --ignored"]
fn interval_covers_the_true_cif_500() {
    let (cov, total) = coverage(500, 300, 2024);
    println!("coverage {cov:.4} of {total} intervals (500 data sets of 300)");
    assert!((0.93..=0.97).contains(&cov), "coverage {cov}");
}
