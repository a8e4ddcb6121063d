//! Simulated cohorts of any size, shaped like the flagship study (seven factors, times in whole
//! months, heavy ties), for benchmarks and tests. Deterministic for a given seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

/// Log hazard ratios used for simulation: age per year, brain, liver, lung, pr, surgery, chemo.
pub const LOG_HR: [f64; 7] = [0.0199, 0.6434, 0.7348, 0.3206, -0.3285, -0.6852, -0.4780];

/// A CSV text with header `age,brain,liver,lung,pr,surgery,chemo,time,status` and `n` rows drawn
/// from a Weibull proportional-hazards model with censoring, times floored to whole months.
pub fn bone_mets_csv(n: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::with_capacity(n * 24 + 64);
    s.push_str("age,brain,liver,lung,pr,surgery,chemo,time,status\n");
    let probs = [0.08, 0.27, 0.31, 0.52, 0.36, 0.7];
    for _ in 0..n {
        // age ~ roughly normal(58, 13) by the sum of uniforms, clipped to 22..95
        let z: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
        let age = (58.0 + 13.0 * z).round().clamp(22.0, 95.0);
        let mut x = [0.0; 7];
        x[0] = age;
        for k in 0..6 {
            x[k + 1] = if rng.random::<f64>() < probs[k] {
                1.0
            } else {
                0.0
            };
        }
        let lp: f64 = LOG_HR[0] * (age - 58.0) + (1..7).map(|k| LOG_HR[k] * x[k]).sum::<f64>();
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let t_event = 52.0 * (-u.ln() / lp.exp()).powf(1.0 / 1.05);
        let t_cens = rng.random::<f64>() * 107.0;
        let (t, status) = if t_event <= t_cens {
            (t_event, 1)
        } else {
            (t_cens, 0)
        };
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            age as i64,
            x[1] as i64,
            x[2] as i64,
            x[3] as i64,
            x[4] as i64,
            x[5] as i64,
            x[6] as i64,
            t.floor() as i64,
            status
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let a = bone_mets_csv(200, 7);
        assert_eq!(a, bone_mets_csv(200, 7));
        assert_ne!(a, bone_mets_csv(200, 8));
        assert_eq!(a.lines().count(), 201);
        assert!(a.lines().skip(1).all(|l| l.split(',').count() == 9));
    }
}
