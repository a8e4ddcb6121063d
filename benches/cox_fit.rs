//! Benchmarks of the Cox engine on a simulated cohort shaped like the flagship study (seven
//! factors, times in whole months): `cargo bench --bench cox_fit`.
//!
//! Sizes: 1,000,000 rows (the registry-scale figure the issues name) and 10,000 rows. The
//! data are parsed once outside the timed loop, so `fit` measures fitting after parsing.

use criterion::{criterion_group, criterion_main, Criterion};
use prognosis::data::cohort::{self, FitRequest};
use prognosis::data::csv::{read_csv_bytes, ReadOptions};
use prognosis::data::simulate::bone_mets_csv;
use prognosis::stats::cox::{self, CoxOptions, FitExtras, Ties};
use std::hint::black_box;

fn request() -> FitRequest {
    FitRequest {
        time: "time".into(),
        event: "status".into(),
        covariates: ["age", "brain", "liver", "lung", "pr", "surgery", "chemo"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    for n in [10_000usize, 1_000_000] {
        let csv = bone_mets_csv(n, 2021);
        let req = request();
        let mut group = c.benchmark_group(format!("n={n}"));
        group.sample_size(10);
        group.bench_function("parse+prepare", |b| {
            b.iter(|| {
                let t = read_csv_bytes(
                    csv.as_bytes(),
                    "sim",
                    &req.columns(),
                    &ReadOptions::default(),
                )
                .unwrap();
                black_box(cohort::prepare(&t, &req).unwrap())
            })
        });
        let table = read_csv_bytes(
            csv.as_bytes(),
            "sim",
            &req.columns(),
            &ReadOptions::default(),
        )
        .unwrap();
        let p = cohort::prepare(&table, &req).unwrap();
        for ties in [Ties::Efron, Ties::Breslow] {
            let opts = CoxOptions {
                ties,
                ..Default::default()
            };
            group.bench_function(format!("fit {ties}"), |b| {
                b.iter(|| {
                    black_box(cox::fit(&p.design, &p.surv, FitExtras::default(), &opts).unwrap())
                })
            });
        }
        group.bench_function("loglik_at (one pass)", |b| {
            let beta = vec![0.01; 7];
            b.iter(|| {
                black_box(
                    cox::loglik_at(&p.design, &p.surv, FitExtras::default(), &beta, Ties::Efron)
                        .unwrap(),
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
