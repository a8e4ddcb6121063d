//! R's `pretty()`: about `n` equally spaced round values (1, 2 or 5 times a power of 10) that
//! cover a range. Nomogram axes (as `rms::nomogram` draws them) and every figure's ticks use it,
//! so the axes match R's tick for tick.
//!
//! This follows `R_pretty` in R's `src/appl/pretty.c` (R >= 4.2) with `pretty.default`'s
//! defaults: `min.n = n %/% 3`, `shrink.sml = 0.75`, `high.u.bias = 1.5`,
//! `u5.bias = 0.5 + 1.5 * high.u.bias`, `eps.correct = 0`, `f.min = 2^-20`, and `seq.int`'s way of
//! filling the values in between.

const ROUNDING_EPS: f64 = 1e-10;
const H: f64 = 1.5;
const H5: f64 = 0.5 + 1.5 * H;

/// R's `pretty(c(lo, hi), n)`. Non-finite inputs give an empty vector; `lo > hi` are swapped.
pub fn pretty(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let ndiv = n.max(1);
    let min_n = n / 3;
    let dx = hi - lo;
    let (mut cell, i_small) = if dx == 0.0 && hi == 0.0 {
        (1.0, true)
    } else {
        let c = lo.abs().max(hi.abs());
        let u =
            (1.0 + if H5 >= 1.5 * H + 0.5 {
                1.0 / (1.0 + H)
            } else {
                1.5 / (1.0 + H5)
            }) * ndiv as f64
                * f64::EPSILON;
        (c, dx < c * u * 3.0)
    };
    if i_small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= 0.75;
        if min_n > 1 {
            cell /= min_n as f64;
        }
    } else {
        cell = dx;
        if ndiv > 1 {
            cell /= ndiv as f64;
        }
    }
    let subsmall = 2f64.powi(-20) * f64::MIN_POSITIVE;
    if cell < subsmall {
        cell = subsmall;
    } else if cell > f64::MAX / 1.25 {
        cell = 0.1 * f64::MAX;
    }
    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    let two = 2.0 * base;
    if two - cell < H * (cell - unit) {
        unit = two;
        let five = 5.0 * base;
        if five - cell < H5 * (cell - unit) {
            unit = five;
            let ten = 10.0 * base;
            if ten - cell < H * (cell - unit) {
                unit = ten;
            }
        }
    }
    let mut ns = (lo / unit + ROUNDING_EPS).floor();
    let mut nu = (hi / unit - ROUNDING_EPS).ceil();
    while ns * unit > lo + ROUNDING_EPS * unit {
        ns -= 1.0;
    }
    while nu * unit < hi - ROUNDING_EPS * unit {
        nu += 1.0;
    }
    let mut k = (0.5 + nu - ns) as i64;
    if k < min_n as i64 {
        let d = min_n as i64 - k;
        if ns >= 0.0 {
            nu += (d / 2) as f64;
            ns -= (d / 2 + d % 2) as f64;
        } else {
            ns -= (d / 2) as f64;
            nu += (d / 2 + d % 2) as f64;
        }
        k = min_n as i64;
    }
    let from = (ns * unit).min(lo);
    let to = (nu * unit).max(hi);
    // pretty.default: seq.int(z$l, z$u, length.out = z$n + 1)
    let len = k.max(0) as usize + 1;
    let mut out = vec![0.0; len];
    out[0] = from;
    if len > 1 {
        out[len - 1] = to;
    }
    if len > 2 {
        let by = (to - from) / (len - 1) as f64;
        for (i, v) in out.iter_mut().enumerate().take(len - 1).skip(1) {
            *v = if i < len / 2 {
                from + i as f64 * by
            } else {
                to - (len - 1 - i) as f64 * by
            };
        }
    }
    // values within 1e-14 of a step of zero are zero
    if k > 0 {
        let delta = (to - from) / k as f64;
        for v in &mut out {
            if v.abs() < 1e-14 * delta {
                *v = 0.0;
            }
        }
    }
    // R computes 0.1 * 3 as 0.30000000000000004 and prints it rounded; here the values are
    // rounded to the decimals of the step, so that JSON and CSV show 0.3 (a change of an ulp or
    // two, far below the 1e-6 agreement with R)
    let decimals = -unit.log10().floor();
    if decimals > 0.0 && decimals < 300.0 {
        let d = decimals as usize;
        for v in &mut out {
            if let Ok(r) = format!("{v:.d$}").parse::<f64>() {
                if (r - *v).abs() <= 1e-9 * unit {
                    *v = r;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn values_are_rounded_to_the_step() {
        let v = pretty(0.05, 0.95, 10);
        assert!(v.contains(&0.3) && v.contains(&0.7), "{v:?}");
        for x in &v {
            let text = format!("{x}");
            assert!(text.len() <= 4, "{text}");
        }
        assert_eq!(
            pretty(0.0012, 0.0047, 5),
            vec![0.001, 0.002, 0.003, 0.004, 0.005]
        );
    }

    #[test]
    fn matches_r_on_known_ranges() {
        // values printed by R 4.3: pretty(c(lo, hi), n)
        assert!(close(
            &pretty(22.0, 95.0, 10),
            &[20., 30., 40., 50., 60., 70., 80., 90., 100.]
        ));
        assert!(close(
            &pretty(24.0, 90.0, 10),
            &(0..15).map(|i| 20.0 + 5.0 * i as f64).collect::<Vec<_>>()
        ));
        assert!(close(
            &pretty(0.0, 2380.0, 10),
            &(0..13).map(|i| 200.0 * i as f64).collect::<Vec<_>>()
        ));
        assert!(close(&pretty(0.0, 1.0, 5), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]));
        assert!(close(
            &pretty(1.0, 10.0, 5),
            &[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        ));
        assert!(close(
            &pretty(-1.724, 2.205, 10),
            &[-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
        ));
        assert!(close(
            &pretty(0.0, 106.0, 5),
            &[0.0, 20., 40., 60., 80., 100., 120.]
        ));
    }

    #[test]
    fn degenerate_ranges() {
        let p = pretty(5.0, 5.0, 5);
        assert!(p.len() >= 2 && p[0] <= 5.0 && *p.last().unwrap() >= 5.0);
        let z = pretty(0.0, 0.0, 5);
        assert!(z.contains(&0.0));
        assert!(pretty(f64::NAN, 1.0, 5).is_empty());
        // every result covers the range and is increasing
        for &(lo, hi) in &[(0.001, 0.0013), (-3e5, 7e7), (0.93, 0.99), (1e-9, 2e-9)] {
            let p = pretty(lo, hi, 10);
            assert!(p[0] <= lo && *p.last().unwrap() >= hi, "{lo} {hi}: {p:?}");
            assert!(p.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
