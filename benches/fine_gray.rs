//! Benchmark of the Fine-Gray fit (`competing::crr`, cmprsk's defaults, sandwich variance
//! included) on 1,000,000 simulated rows x 7 covariates in whole months with ~30% competing
//! events: `cargo bench --bench fine_gray`. The data are built outside the timed loop.

use criterion::{criterion_group, criterion_main, Criterion};
use prognosis::data::simulate::{competing_causes, patients};
use prognosis::stats::competing::{self, CompetingSurv, CrrOptions};
use prognosis::stats::cox::Design;
use std::hint::black_box;

/// The simulated bone-metastasis cohort with a competing cause (`simulate --format competing`):
/// each subject censored in the simulation becomes a competing event, at the same month, with
/// probability 0.65 (about 30% of all rows end with a competing event).
fn cohort(n: usize) -> (CompetingSurv, Design) {
    let pts = patients(n, 2021);
    let cause = competing_causes(&pts, 7);
    let mut time = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(7 * n);
    for p in &pts {
        time.push(p.months as f64);
        x.push(p.age as f64);
        x.extend(p.factors.iter().map(|&f| f as u8 as f64));
    }
    let names = ["age", "brain", "liver", "lung", "pr", "surgery", "chemo"];
    (
        CompetingSurv::with_causes(time, cause, 2).unwrap(),
        Design::new(x, n, names.iter().map(|s| s.to_string()).collect()).unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    for n in [10_000usize, 1_000_000] {
        let (surv, design) = cohort(n);
        let share = surv.n_events(2) as f64 / n as f64;
        let mut group = c.benchmark_group(format!("n={n} (competing {:.0}%)", 100.0 * share));
        group.sample_size(10);
        group.bench_function("crr fit", |b| {
            b.iter(|| black_box(competing::crr(&surv, &design, &CrrOptions::default()).unwrap()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
