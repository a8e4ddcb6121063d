//! The truncated concordance index for competing risks of Wolbers et al. (2009, Epidemiology
//! 20:555; 2014, Biostatistics 15:526), exactly as `pec::cindex(..., cause = k)` (pec 2022.05.04,
//! C routine `ccr`) computes it with marginal Kaplan-Meier censoring weights.
//!
//! For a horizon τ and predicted cumulative incidences r (of cause k by τ), every subject i with
//! an event of cause k at T_i <= τ is compared with every j != i of
//!
//! ```text
//! A_i = { j : T_j > T_i, or T_j = T_i and j censored }        weight 1 / (G(T_i-) G(T_i))
//! B_i = { j : j has an event of another cause at T_j <= T_i } weight 1 / (G(T_i-) G(T_j-))
//! ```
//!
//! and the pair is concordant when r_i > r_j (½ when r_i = r_j):
//! C(τ) = Σ weight × concordance / Σ weight. G is the censoring Kaplan-Meier of
//! [`super::metrics`] (events before censorings at a tied time).

use super::metrics::{check_inputs, Ipcw};
use super::{CompetingError, CompetingSurv};

/// Sums of weights over ranks 0..m, O(log m) per update and prefix query.
struct Fenwick {
    tree: Vec<f64>,
}

impl Fenwick {
    fn new(m: usize) -> Fenwick {
        Fenwick {
            tree: vec![0.0; m + 1],
        }
    }

    fn add(&mut self, rank: usize, w: f64) {
        let mut i = rank + 1;
        while i < self.tree.len() {
            self.tree[i] += w;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum over ranks < `rank`.
    fn below(&self, rank: usize) -> f64 {
        let mut i = rank;
        let mut s = 0.0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }
}

/// The truncated C-index of `risk` (predicted cumulative incidence of `cause` by `tau`, one per
/// subject). O(n log n): two sweeps over time with Fenwick trees over the ranks of `risk`.
pub fn truncated_cindex(
    surv: &CompetingSurv,
    cause: u32,
    risk: &[f64],
    tau: f64,
) -> Result<f64, CompetingError> {
    check_inputs(surv, cause, risk, tau)?;
    let ipcw = Ipcw::new(surv);
    let n = surv.len();
    let (time, codes) = (surv.time(), surv.cause());
    // dense ranks of the risks (equal risks share a rank)
    let mut sorted = risk.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let rank: Vec<usize> = risk
        .iter()
        .map(|r| sorted.partition_point(|s| s < r))
        .collect();
    let m = sorted.len();
    let is_case = |i: usize| codes[i] == cause && time[i] <= tau;
    // distinct-time groups as ranges of positions in time order
    let order = &ipcw.order;
    let mut ranges = Vec::with_capacity(ipcw.times.len());
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end < n && ipcw.group[end] == ipcw.group[start] {
            end += 1;
        }
        ranges.push((start, end));
        start = end;
    }
    let (mut num, mut den) = (0.0, 0.0);
    // A: descending time; the tree holds counts of subjects later than the current time, plus
    // the censored at the current time
    let mut later = Fenwick::new(m);
    let mut later_n = 0.0;
    for &(s, e) in ranges.iter().rev() {
        let u = ipcw.group[s];
        for &j in &order[s..e] {
            if codes[j] == 0 {
                later.add(rank[j], 1.0);
                later_n += 1.0;
            }
        }
        for &i in &order[s..e] {
            if !is_case(i) {
                continue;
            }
            let w = 1.0 / (ipcw.g_minus[u] * ipcw.g[u]);
            if later_n > 0.0 {
                if !w.is_finite() {
                    return Err(CompetingError::ZeroCensoringSurvival {
                        index: i,
                        time: time[i],
                    });
                }
                let below = later.below(rank[i]);
                let tied = later.below(rank[i] + 1) - below;
                num += w * (below + 0.5 * tied);
                den += w * later_n;
            }
        }
        for &j in &order[s..e] {
            if codes[j] != 0 {
                later.add(rank[j], 1.0);
                later_n += 1.0;
            }
        }
    }
    // B: ascending time; the tree holds 1/G(T_j-) of the competing events up to the current time
    let mut competing = Fenwick::new(m);
    let mut competing_w = 0.0;
    for &(s, e) in &ranges {
        let u = ipcw.group[s];
        for &j in &order[s..e] {
            if codes[j] != 0 && codes[j] != cause {
                let w = 1.0 / ipcw.g_minus[u];
                competing.add(rank[j], w);
                competing_w += w;
            }
        }
        for &i in &order[s..e] {
            if !is_case(i) || competing_w == 0.0 {
                continue;
            }
            let w = 1.0 / ipcw.g_minus[u];
            let below = competing.below(rank[i]);
            let tied = competing.below(rank[i] + 1) - below;
            num += w * (below + 0.5 * tied);
            den += w * competing_w;
        }
    }
    if den == 0.0 {
        return Err(CompetingError::NoCases { time: tau });
    }
    Ok(num / den)
}

/// The definition pair by pair, O(n^2), as pec's C loop (for property tests). NaN where the
/// fast version is an error: no comparable pair, or an infinite weight (G = 0), where pec
/// divides by infinity.
pub fn truncated_cindex_naive(surv: &CompetingSurv, cause: u32, risk: &[f64], tau: f64) -> f64 {
    let n = surv.len();
    let (time, codes) = (surv.time(), surv.cause());
    let g = |s: f64, strict: bool| {
        let mut times = time.to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut prod = 1.0;
        for &u in times
            .iter()
            .filter(|&&u| if strict { u < s } else { u <= s })
        {
            let at = time.iter().filter(|&&t| t >= u).count();
            let d = (0..n).filter(|&i| time[i] == u && codes[i] != 0).count();
            let c = (0..n).filter(|&i| time[i] == u && codes[i] == 0).count();
            if c > 0 {
                prod *= 1.0 - c as f64 / (at - d) as f64;
            }
        }
        prod
    };
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..n {
        if !(time[i] <= tau && codes[i] == cause) {
            continue;
        }
        for j in (0..n).filter(|&j| j != i) {
            let w = if time[i] < time[j] || (time[j] == time[i] && codes[j] == 0) {
                1.0 / (g(time[i], true) * g(time[i], false))
            } else if codes[j] != 0 && codes[j] != cause {
                1.0 / (g(time[i], true) * g(time[j], true))
            } else {
                continue;
            };
            if !w.is_finite() {
                return f64::NAN;
            }
            den += w;
            if risk[i] > risk[j] {
                num += w;
            } else if risk[i] == risk[j] {
                num += w / 2.0;
            }
        }
    }
    num / den
}
