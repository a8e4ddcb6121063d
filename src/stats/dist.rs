//! Tail probabilities and quantiles of the normal and chi-square distributions (via statrs).

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal parameters are valid")
}

/// Upper tail P(Z > z) of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    std_normal().sf(z)
}

/// Two-sided p-value of a z statistic, 2 P(Z > |z|), as R's `2 * pnorm(-abs(z))`.
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    2.0 * normal_sf(z.abs())
}

/// The standard normal quantile at probability `p` (R's `qnorm(p)`).
pub fn normal_quantile(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

/// The quantile for a two-sided interval of the given level, e.g. 1.959964 for 0.95.
pub fn z_for_level(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// Upper tail P(X > x) of the chi-square distribution on `df` degrees of freedom (R's
/// `pchisq(x, df, lower.tail = FALSE)`). NaN for a non-finite statistic or df <= 0.
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    if !x.is_finite() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn matches_r_values() {
        // R: qnorm(0.975)
        assert!(rel(z_for_level(0.95), 1.959963984540054) < 1e-12);
        // R: pchisq(535.180348961276, 10, lower.tail = FALSE)
        assert!(rel(chisq_sf(535.180348961276, 10.0), 1.32815681282815e-108) < 1e-9);
        // R: pchisq(703.426606812878, 10, lower.tail = FALSE)
        assert!(rel(chisq_sf(703.426606812878, 10.0), 1.15438390510659e-144) < 1e-9);
        // R: 2 * pnorm(-0.0183454324864489 / 0.101745647257445)
        assert!(
            rel(
                two_sided_p(0.0183454324864489 / 0.101745647257445),
                0.856911714328337
            ) < 1e-12
        );
        // R: 2 * pnorm(-0.0744177776837571 / 0.00488873594854042) (p = 2.5e-52)
        assert!(
            rel(
                two_sided_p(0.0744177776837571 / 0.00488873594854042),
                2.51551997979988e-52
            ) < 1e-9
        );
        assert_eq!(chisq_sf(0.0, 3.0), 1.0);
        assert!(chisq_sf(f64::INFINITY, 3.0).is_nan());
    }
}
