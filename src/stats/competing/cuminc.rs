//! Aalen-Johansen cumulative incidence with cmprsk's variance (`cmprsk::cuminc` + `timepoints`),
//! and Gray's (1988) K-sample test of cumulative incidence, stratified (`cuminc(..., group,
//! strata)`, Fortran `crstm`).

use super::{CompetingError, CompetingSurv};
use crate::stats::dist::{chisq_sf, z_for_level};
use crate::stats::linalg::Ldl;

/// How the pointwise limits of a cumulative incidence are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CifConfType {
    /// F ± z se, cut to [0, 1] (a Wald interval on the probability scale).
    Plain,
    /// Complementary log-log: symmetric on log(-log(1 - F)), as `riskRegression`'s default
    /// (`cloglog`) for absolute risks. Limits stay inside (0, 1). The default.
    #[default]
    LogLog,
}

/// Options of [`cuminc`].
#[derive(Debug, Clone, PartialEq)]
pub struct CumincOptions {
    /// Confidence level of the pointwise limits. Default 0.95.
    pub level: f64,
    /// Transform of the limits. Default [`CifConfType::LogLog`].
    pub conf_type: CifConfType,
}

impl Default for CumincOptions {
    fn default() -> Self {
        CumincOptions {
            level: 0.95,
            conf_type: CifConfType::LogLog,
        }
    }
}

/// The cumulative incidence of one cause (in one group) as a step function: it jumps at each
/// distinct event time of the cause, to `estimate[j]` with cmprsk's variance `variance[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CifCurve {
    pub cause: u32,
    /// The group code, `None` without groups.
    pub group: Option<usize>,
    /// Distinct event times of the cause, increasing.
    pub times: Vec<f64>,
    pub estimate: Vec<f64>,
    pub variance: Vec<f64>,
    /// The largest follow-up time of the subjects in the curve: beyond it the curve is undefined.
    pub max_time: f64,
    /// The follow-up times of the curve's subjects, sorted (for the numbers at risk).
    sorted_times: Vec<f64>,
    z: f64,
    conf_type: CifConfType,
}

/// The curve at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CifPoint {
    pub time: f64,
    pub estimate: f64,
    /// cmprsk's variance (of the value at the last event of the cause at or before `time`).
    pub variance: f64,
    pub std_err: f64,
    pub lower: f64,
    pub upper: f64,
    /// Subjects still under follow-up at `time` (follow-up time >= `time`).
    pub n_risk: usize,
}

impl CifCurve {
    /// The follow-up times of the curve's subjects, increasing (for numbers at risk).
    pub fn follow_up(&self) -> &[f64] {
        &self.sorted_times
    }

    /// The value at `t` as `cmprsk::timepoints`: the step function at or before `t`; `None` for a
    /// negative `t` or one after the last follow-up time (where `timepoints` gives NA).
    pub fn at(&self, t: f64) -> Option<CifPoint> {
        if t.is_nan() || t < 0.0 || t > self.max_time {
            return None;
        }
        let j = self.times.partition_point(|&u| u <= t);
        let (estimate, variance) = if j == 0 {
            (0.0, 0.0)
        } else {
            (self.estimate[j - 1], self.variance[j - 1])
        };
        let std_err = variance.max(0.0).sqrt();
        let (lower, upper) = cif_limits(estimate, std_err, self.z, self.conf_type);
        let n_risk = self.sorted_times.len() - self.sorted_times.partition_point(|&u| u < t);
        Some(CifPoint {
            time: t,
            estimate,
            variance,
            std_err,
            lower,
            upper,
            n_risk,
        })
    }
}

/// Pointwise limits of a probability `f` with standard error `se`.
pub fn cif_limits(f: f64, se: f64, z: f64, conf_type: CifConfType) -> (f64, f64) {
    match conf_type {
        CifConfType::Plain => ((f - z * se).max(0.0), (f + z * se).min(1.0)),
        CifConfType::LogLog => {
            if f <= 0.0 || f >= 1.0 || se <= 0.0 {
                return (f, f);
            }
            // g = log(-log(1 - f)), se_g = se / ((1 - f) * -log(1 - f))
            let l = -(1.0 - f).ln();
            let se_g = se / ((1.0 - f) * l);
            let lo = 1.0 - (-l * (-z * se_g).exp()).exp();
            let hi = 1.0 - (-l * (z * se_g).exp()).exp();
            (lo, hi)
        }
    }
}

fn check_codes(codes: &[usize], n: usize, what: &'static str) -> Result<usize, CompetingError> {
    if codes.len() != n {
        return Err(CompetingError::WrongLength {
            what,
            got: codes.len(),
            expected: n,
        });
    }
    Ok(codes.iter().copied().max().map_or(0, |m| m + 1))
}

/// The causes with at least one event, increasing (cmprsk estimates these only).
fn observed_causes(surv: &CompetingSurv) -> Vec<u32> {
    let mut seen = vec![false; surv.n_causes() as usize + 1];
    for &c in surv.cause() {
        seen[c as usize] = true;
    }
    (1..=surv.n_causes())
        .filter(|&c| seen[c as usize])
        .collect()
}

/// Aalen-Johansen cumulative incidence of every observed cause, per group when `groups` (codes
/// 0.., one per subject) is given, in cmprsk's order (cause by cause, groups within a cause; empty
/// groups left out). Equals `cmprsk::cuminc(time, cause, group)`; the variance is cmprsk's
/// (Fortran `cinc`, Aalen's delta-method variance).
pub fn cuminc(
    surv: &CompetingSurv,
    groups: Option<&[usize]>,
    opts: &CumincOptions,
) -> Result<Vec<CifCurve>, CompetingError> {
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(CompetingError::BadOption {
            what: "confidence level",
            rule: "between 0 and 1",
            value: opts.level,
        });
    }
    let z = z_for_level(opts.level);
    let n = surv.len();
    let order = surv.order();
    let n_groups = match groups {
        Some(g) => check_codes(g, n, "group")?,
        None => 1,
    };
    let group_of = |i: usize| groups.map_or(0, |g| g[i]);
    // rows per group in time order
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
    for &i in &order {
        rows[group_of(i)].push(i);
    }
    let mut out = Vec::new();
    for cause in observed_causes(surv) {
        for (g, r) in rows.iter().enumerate() {
            if r.is_empty() {
                continue;
            }
            let time: Vec<f64> = r.iter().map(|&i| surv.time()[i]).collect();
            let status: Vec<u32> = r.iter().map(|&i| surv.cause()[i]).collect();
            let (times, estimate, variance) = cinc(&time, &status, cause);
            out.push(CifCurve {
                cause,
                group: groups.map(|_| g),
                times,
                estimate,
                variance,
                max_time: *time.last().expect("non-empty group"),
                sorted_times: time,
                z,
                conf_type: opts.conf_type,
            });
        }
    }
    Ok(out)
}

/// cmprsk's `cinc` on sorted data: the distinct event times of `cause`, the estimate and the
/// variance after each.
fn cinc(time: &[f64], status: &[u32], cause: u32) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = time.len();
    let (mut times, mut est, mut var) = (Vec::new(), Vec::new(), Vec::new());
    let mut fk = 1.0_f64; // overall Kaplan-Meier S(t-)
    let mut f = 0.0_f64;
    let (mut v1, mut v2, mut v3) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end < n && time[end] == time[start] {
            end += 1;
        }
        let rs = (n - start) as f64;
        let mut nd1 = 0usize;
        let mut nd2 = 0usize;
        for &s in &status[start..end] {
            if s == cause {
                nd1 += 1;
            } else if s != 0 {
                nd2 += 1;
            }
        }
        let nd = nd1 + nd2;
        if nd > 0 {
            let fkn = fk * (rs - nd as f64) / rs;
            if nd1 > 0 {
                f += fk * nd1 as f64 / rs;
            }
            if nd2 > 0 && fkn > 0.0 {
                let t5 = if nd2 > 1 {
                    1.0 - (nd2 as f64 - 1.0) / (rs - 1.0)
                } else {
                    1.0
                };
                let t6 = fk * fk * t5 * nd2 as f64 / (rs * rs);
                let t3 = 1.0 / fkn;
                let t4 = f / fkn;
                v1 += t4 * t4 * t6;
                v2 += t3 * t4 * t6;
                v3 += t3 * t3 * t6;
            }
            if nd1 > 0 {
                let t5 = if nd1 > 1 {
                    1.0 - (nd1 as f64 - 1.0) / (rs - 1.0)
                } else {
                    1.0
                };
                let t6 = fk * fk * t5 * nd1 as f64 / (rs * rs);
                let t3 = if fkn > 0.0 { 1.0 / fkn } else { 0.0 };
                let t4 = 1.0 + t3 * f;
                v1 += t4 * t4 * t6;
                v2 += t3 * t4 * t6;
                v3 += t3 * t3 * t6;
                times.push(time[start]);
                est.push(f);
                var.push(v1 + f * f * v3 - 2.0 * f * v2);
            }
            fk = fkn;
        }
        start = end;
    }
    (times, est, var)
}

/// Gray's test of one cause between groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayTest {
    pub cause: u32,
    /// s' V^-1 s; `None` when V is singular (cmprsk reports -1).
    pub statistic: Option<f64>,
    /// Number of non-empty groups - 1.
    pub df: usize,
    pub p_value: Option<f64>,
    /// The scores s of the first df groups (summed over strata).
    pub score: Vec<f64>,
    /// Their variance V, row-major df x df.
    pub variance: Vec<f64>,
}

/// Gray's test of every observed cause between the groups (codes 0.., one per subject; empty
/// groups left out), stratified when `strata` (codes 0..) is given, with weight power `rho`
/// (cmprsk's default 0). Equals the `Tests` of `cmprsk::cuminc(time, cause, group, strata, rho)`.
pub fn gray_test(
    surv: &CompetingSurv,
    groups: &[usize],
    strata: Option<&[usize]>,
    rho: f64,
) -> Result<Vec<GrayTest>, CompetingError> {
    let n = surv.len();
    let n_codes = check_codes(groups, n, "group")?;
    if let Some(s) = strata {
        check_codes(s, n, "strata")?;
    }
    if !rho.is_finite() {
        return Err(CompetingError::BadOption {
            what: "rho",
            rule: "a finite number",
            value: rho,
        });
    }
    // renumber the non-empty groups 0..ng
    let mut count = vec![0usize; n_codes];
    for &g in groups {
        count[g] += 1;
    }
    let mut code = vec![usize::MAX; n_codes];
    let mut ng = 0;
    for (c, &k) in count.iter().enumerate() {
        if k > 0 {
            code[c] = ng;
            ng += 1;
        }
    }
    if ng < 2 {
        return Err(CompetingError::TooFewGroups { groups: ng });
    }
    let order = surv.order();
    let n_strata = strata.map_or(1, |s| s.iter().copied().max().map_or(0, |m| m + 1));
    let mut by_stratum: Vec<Vec<usize>> = vec![Vec::new(); n_strata];
    for &i in &order {
        by_stratum[strata.map_or(0, |s| s[i])].push(i);
    }
    let ng1 = ng - 1;
    let mut out = Vec::new();
    for cause in observed_causes(surv) {
        let mut s = vec![0.0; ng1];
        let mut v = vec![0.0; ng1 * ng1];
        for rows in by_stratum.iter().filter(|r| !r.is_empty()) {
            let y: Vec<f64> = rows.iter().map(|&i| surv.time()[i]).collect();
            let m: Vec<u8> = rows
                .iter()
                .map(|&i| match surv.cause()[i] {
                    0 => 0,
                    c if c == cause => 1,
                    _ => 2,
                })
                .collect();
            let ig: Vec<usize> = rows.iter().map(|&i| code[groups[i]]).collect();
            let (st, vt) = crst(&y, &m, &ig, ng, rho);
            for i in 0..ng1 {
                s[i] += st[i];
                for j in 0..ng1 {
                    v[i * ng1 + j] += vt[i * ng1 + j];
                }
            }
        }
        let ldl = Ldl::new(&v, ng1, 1e-7);
        let statistic = (ldl.rank() == ng1).then(|| ldl.quad_form_inverse(&s));
        out.push(GrayTest {
            cause,
            statistic,
            df: ng1,
            p_value: statistic.map(|x| chisq_sf(x, ng1 as f64)),
            score: s,
            variance: v,
        });
    }
    Ok(out)
}

/// cmprsk's `crst` for one stratum (sorted times; m = 0 censored, 1 cause of interest, 2 other;
/// groups 0..ng): the scores of the first ng-1 groups and their variance (row-major).
fn crst(y: &[f64], m: &[u8], ig: &[usize], ng: usize, rho: f64) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let ng1 = ng - 1;
    let mut rs = vec![0.0_f64; ng];
    for &g in ig {
        rs[g] += 1.0;
    }
    let mut s = vec![0.0; ng1];
    let mut v = vec![0.0; ng1 * ng1]; // lower triangle used
    let mut f1m = vec![0.0; ng];
    let mut f1 = vec![0.0; ng];
    let mut skmm = vec![1.0; ng];
    let mut skm = vec![1.0; ng];
    let mut v3 = vec![0.0; ng];
    let mut v2 = vec![0.0; ng1 * ng];
    let mut c = vec![0.0; ng * ng];
    let mut a = vec![0.0; ng * ng];
    let mut d = vec![[0usize; 3]; ng];
    let mut fm = 0.0_f64;
    let mut f = 0.0_f64;
    let mut ll = 0;
    while ll < n {
        let mut lu = ll;
        while lu + 1 < n && y[lu + 1] <= y[ll] {
            lu += 1;
        }
        for dd in d.iter_mut() {
            *dd = [0; 3];
        }
        for i in ll..=lu {
            d[ig[i]][m[i] as usize] += 1;
        }
        let nd1: usize = d.iter().map(|x| x[1]).sum();
        let nd2: usize = d.iter().map(|x| x[2]).sum();
        if nd1 > 0 || nd2 > 0 {
            let nd1f = nd1 as f64;
            let mut tr = 0.0;
            let mut tq = 0.0;
            for i in 0..ng {
                if rs[i] <= 0.0 {
                    continue;
                }
                let td = (d[i][1] + d[i][2]) as f64;
                skm[i] = skmm[i] * (rs[i] - td) / rs[i];
                f1[i] = f1m[i] + (skmm[i] * d[i][1] as f64) / rs[i];
                tr += rs[i] / skmm[i];
                tq += rs[i] * (1.0 - f1m[i]) / skmm[i];
            }
            f = fm + nd1f / tr;
            let fb = (1.0 - fm).powf(rho);
            for i in 0..ng {
                for j in i..ng {
                    a[i * ng + j] = 0.0;
                }
                if rs[i] <= 0.0 {
                    continue;
                }
                let t1 = rs[i] / skmm[i];
                a[i * ng + i] = fb * t1 * (1.0 - t1 / tr);
                c[i * ng + i] += a[i * ng + i] * nd1f / (tr * (1.0 - fm));
                for j in (i + 1)..ng {
                    if rs[j] <= 0.0 {
                        continue;
                    }
                    a[i * ng + j] = -fb * t1 * rs[j] / (skmm[j] * tr);
                    c[i * ng + j] += a[i * ng + j] * nd1f / (tr * (1.0 - fm));
                }
            }
            for i in 1..ng {
                for j in 0..i {
                    a[i * ng + j] = a[j * ng + i];
                    c[i * ng + j] = c[j * ng + i];
                }
            }
            for i in 0..ng1 {
                if rs[i] <= 0.0 {
                    continue;
                }
                s[i] += fb * (d[i][1] as f64 - nd1f * rs[i] * (1.0 - f1m[i]) / (skmm[i] * tq));
            }
            if nd1 > 0 {
                for k in 0..ng {
                    if rs[k] <= 0.0 {
                        continue;
                    }
                    let t4 = if skm[k] > 0.0 {
                        1.0 - (1.0 - f) / skm[k]
                    } else {
                        1.0
                    };
                    let t5 = if nd1 > 1 {
                        1.0 - (nd1f - 1.0) / (tr * skmm[k] - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = t5 * skmm[k] * nd1f / (tr * rs[k]);
                    v3[k] += t4 * t4 * t3;
                    for i in 0..ng1 {
                        let t1 = a[i * ng + k] - t4 * c[i * ng + k];
                        v2[i * ng + k] += t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = a[j * ng + k] - t4 * c[j * ng + k];
                            v[i * ng1 + j] += t1 * t2 * t3;
                        }
                    }
                }
            }
            if nd2 > 0 {
                for k in 0..ng {
                    if skm[k] <= 0.0 || d[k][2] == 0 {
                        continue;
                    }
                    let t4 = (1.0 - f) / skm[k];
                    let d2 = d[k][2] as f64;
                    let t5 = if d[k][2] > 1 {
                        1.0 - (d2 - 1.0) / (rs[k] - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = t5 * (skmm[k] * skmm[k] * d2) / (rs[k] * rs[k]);
                    v3[k] += t4 * t4 * t3;
                    for i in 0..ng1 {
                        let t1 = t4 * c[i * ng + k];
                        v2[i * ng + k] -= t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = t4 * c[j * ng + k];
                            v[i * ng1 + j] += t1 * t2 * t3;
                        }
                    }
                }
            }
        }
        if lu + 1 >= n {
            break;
        }
        for i in ll..=lu {
            rs[ig[i]] -= 1.0;
        }
        fm = f;
        f1m.copy_from_slice(&f1);
        skmm.copy_from_slice(&skm);
        ll = lu + 1;
    }
    for i in 0..ng1 {
        for j in 0..=i {
            let mut x = v[i * ng1 + j];
            for k in 0..ng {
                x += c[i * ng + k] * c[j * ng + k] * v3[k];
                x += c[i * ng + k] * v2[j * ng + k];
                x += c[j * ng + k] * v2[i * ng + k];
            }
            v[i * ng1 + j] = x;
            v[j * ng1 + i] = x;
        }
    }
    (s, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_competing_events_the_cif_is_one_minus_km() {
        // one cause only: F = 1 - KM
        let s = CompetingSurv::new(vec![1.0, 2.0, 2.0, 3.0, 4.0], vec![1, 1, 0, 1, 0]).unwrap();
        let c = cuminc(&s, None, &CumincOptions::default()).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].times, vec![1.0, 2.0, 3.0]);
        for (got, want) in c[0].estimate.iter().zip([0.2, 0.4, 0.7]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        assert!(c[0].at(4.5).is_none());
        assert_eq!(c[0].at(0.5).unwrap().estimate, 0.0);
        assert_eq!(c[0].at(2.5).unwrap().n_risk, 2);
    }

    #[test]
    fn loglog_limits_bracket_the_estimate() {
        let (lo, hi) = cif_limits(0.3, 0.05, 1.96, CifConfType::LogLog);
        assert!(lo < 0.3 && hi > 0.3 && lo > 0.0 && hi < 1.0);
        let (lo, hi) = cif_limits(0.3, 0.05, 1.96, CifConfType::Plain);
        assert!((lo - 0.202).abs() < 1e-12 && (hi - 0.398).abs() < 1e-12);
    }

    #[test]
    fn gray_needs_two_groups() {
        let s = CompetingSurv::new(vec![1.0, 2.0], vec![1, 2]).unwrap();
        assert_eq!(
            gray_test(&s, &[0, 0], None, 0.0),
            Err(CompetingError::TooFewGroups { groups: 1 })
        );
        assert!(matches!(
            gray_test(&s, &[0], None, 0.0),
            Err(CompetingError::WrongLength { .. })
        ));
    }
}
