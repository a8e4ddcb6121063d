//! Kaplan-Meier product-limit estimate (the point estimate; used for follow-up summaries).

use crate::surv::Surv;

/// Distinct times with an event (or, for `reverse`, a censoring) and the survival estimate after
/// each. With `reverse = true` censoring is the "event": the reverse Kaplan-Meier estimate of the
/// follow-up distribution (Schemper & Smith 1996).
pub fn product_limit(surv: &Surv, reverse: bool) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..surv.len()).collect();
    let t = surv.time();
    let e = surv.event();
    order.sort_by(|&a, &b| t[a].total_cmp(&t[b]));
    let mut at_risk = surv.len() as f64;
    let mut s = 1.0;
    let (mut times, mut values) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < order.len() {
        let ti = t[order[i]];
        let mut j = i;
        let mut d = 0.0;
        while j < order.len() && t[order[j]] == ti {
            if e[order[j]] != reverse {
                d += 1.0;
            }
            j += 1;
        }
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            times.push(ti);
            values.push(s);
        }
        at_risk -= (j - i) as f64;
        i = j;
    }
    (times, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_example() {
        // times 1,2,2,3+,4 ; events at 1, 2, 2, 4
        let s = Surv::new(vec![2.0, 1.0, 3.0, 2.0, 4.0], vec![true, true, false, true, true]).unwrap();
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
