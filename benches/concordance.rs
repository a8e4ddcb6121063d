//! Benchmark of the concordance on a registry-sized simulated cohort: `cargo bench --bench
//! concordance`.
//!
//! 1,000,000 rows with times in whole months (heavy ties), about 45% events and a continuous risk
//! score (a linear predictor that drives the simulated hazard). The data are simulated once
//! outside the timed loop.

use criterion::{criterion_group, criterion_main, Criterion};
use prognosis::stats::concordance;
use prognosis::stats::surv::Surv;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// Exponential event times with log hazard `0.8 z` (z standard normal), uniform censoring over 12
/// years, both floored to whole months.
fn cohort(n: usize, seed: u64) -> (Surv, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut time, mut event, mut risk) = (vec![], vec![], vec![]);
    for _ in 0..n {
        // Box-Muller
        let (u1, u2): (f64, f64) = (rng.random(), rng.random());
        let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let lp = 0.8 * z;
        let t = -(1.0 - rng.random::<f64>()).ln() / (0.009 * lp.exp());
        let c = 144.0 * rng.random::<f64>();
        time.push(t.min(c).floor());
        event.push(t <= c);
        risk.push(lp);
    }
    (Surv::new(time, event).unwrap(), risk)
}

fn bench(c: &mut Criterion) {
    let n = 1_000_000;
    let (surv, risk) = cohort(n, 2024);
    let events = surv.n_events() as f64 / n as f64;
    let distinct = {
        let mut t = surv.time().to_vec();
        t.sort_by(f64::total_cmp);
        t.dedup();
        t.len()
    };
    eprintln!(
        "n = {n}, events {:.1}%, {distinct} distinct times",
        100.0 * events
    );
    let mut group = c.benchmark_group(format!("n={n}"));
    group.sample_size(10);
    group.bench_function("harrell", |b| {
        b.iter(|| concordance::harrell(black_box(&surv), black_box(&risk), None, None).unwrap())
    });
    group.bench_function("uno", |b| {
        b.iter(|| concordance::uno(black_box(&surv), black_box(&risk), 60.0).unwrap())
    });
    group.bench_function("harrell_sksurv", |b| {
        b.iter(|| concordance::harrell_sksurv(black_box(&surv), black_box(&risk)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
