//! Kaplan-Meier product-limit estimate (the point estimate; used for follow-up summaries).

use crate::surv::Surv;

/// Distinct times with an event (or, for `reverse`, a censoring) and the survival estimate after
/// each. With `reverse = true` censoring is the "event": the reverse Kaplan-Meier estimate of the
/// follow-up distribution (Schemper & Smith 1996).
pub fn product_limit(surv: &Surv, reverse: bool) -> (Vec<f64>, Vec<f64>) {
    let mut pairs: Vec<(f64, bool)> = surv
        .time()
        .iter()
        .zip(surv.event())
        .map(|(&t, &e)| (t, e != reverse))
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = pairs.len() as f64;
    let mut s = 1.0;
    let (mut times, mut values) = (Vec::new(), Vec::new());
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        let d = group.iter().filter(|p| p.1).count() as f64;
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            times.push(group[0].0);
            values.push(s);
        }
        at_risk -= group.len() as f64;
    }
    (times, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_example() {
        // times 1,2,2,3+,4 ; events at 1, 2, 2, 4
        let s = Surv::new(
            vec![2.0, 1.0, 3.0, 2.0, 4.0],
            vec![true, true, false, true, true],
        )
        .unwrap();
        let (t, v) = product_limit(&s, false);
        assert_eq!(t, vec![1.0, 2.0, 4.0]);
        let want = [0.8, 0.8 * (1.0 - 2.0 / 4.0), 0.0];
        for (a, b) in v.iter().zip(want) {
            assert!((a - b).abs() < 1e-15);
        }
        let (t, v) = product_limit(&s, true);
        assert_eq!(t, vec![3.0]);
        assert!((v[0] - 0.5).abs() < 1e-15);
    }
}
