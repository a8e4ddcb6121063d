//! Small dense symmetric solvers with R survival's tolerance semantics.
//!
//! The Cox information matrix can become numerically singular when a coefficient runs off to
//! infinity (monotone likelihood). R's `cholesky2` then treats the offending direction as having
//! zero information: the pivot is zeroed, the Newton step in that direction is 0, and the
//! corresponding row and column of the inverse are 0. [`Ldl`] does the same, so such fits end
//! with a warning instead of NaN.

/// An LDL' factorisation of a symmetric positive semi-definite p x p matrix (row-major), with
/// pivots below `toler * max(diag)` set to zero.
#[derive(Debug, Clone)]
pub struct Ldl {
    p: usize,
    /// Unit lower triangle below the diagonal, D on the diagonal (row-major p x p).
    f: Vec<f64>,
    rank: usize,
}

impl Ldl {
    /// Factorises the symmetric matrix `a` (row-major, only the lower triangle is read).
    pub fn new(a: &[f64], p: usize, toler: f64) -> Ldl {
        debug_assert_eq!(a.len(), p * p);
        let mut f = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..=i {
                f[i * p + j] = a[i * p + j];
            }
        }
        let maxdiag =
            (0..p).map(|i| f[i * p + i]).fold(
                0.0_f64,
                |m, d| {
                    if d.is_finite() && d > m {
                        d
                    } else {
                        m
                    }
                },
            );
        let eps = if maxdiag == 0.0 {
            toler
        } else {
            maxdiag * toler
        };
        let mut rank = 0;
        for i in 0..p {
            let pivot = f[i * p + i];
            if !pivot.is_finite() || pivot < eps {
                f[i * p + i] = 0.0;
                for j in (i + 1)..p {
                    f[j * p + i] = 0.0;
                }
                continue;
            }
            rank += 1;
            for j in (i + 1)..p {
                let temp = f[j * p + i] / pivot;
                f[j * p + i] = temp;
                f[j * p + j] -= temp * temp * pivot;
                for k in (j + 1)..p {
                    f[k * p + j] -= temp * f[k * p + i];
                }
            }
        }
        Ldl { p, f, rank }
    }

    /// Number of non-zero pivots.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Indices of the zeroed (singular) directions.
    pub fn zeroed(&self) -> Vec<usize> {
        (0..self.p)
            .filter(|&i| self.f[i * self.p + i] == 0.0)
            .collect()
    }

    /// Solves A y = b in place; components in zeroed directions are 0.
    pub fn solve_in_place(&self, y: &mut [f64]) {
        let p = self.p;
        let f = &self.f;
        for i in 0..p {
            let mut temp = y[i];
            for j in 0..i {
                temp -= y[j] * f[i * p + j];
            }
            y[i] = temp;
        }
        for i in (0..p).rev() {
            let d = f[i * p + i];
            if d == 0.0 {
                y[i] = 0.0;
            } else {
                let mut temp = y[i] / d;
                for j in (i + 1)..p {
                    temp -= y[j] * f[j * p + i];
                }
                y[i] = temp;
            }
        }
    }

    /// The (generalised) inverse, row-major p x p, symmetric; rows and columns of zeroed
    /// directions are 0.
    pub fn inverse(&self) -> Vec<f64> {
        let p = self.p;
        let mut inv = vec![0.0; p * p];
        let mut col = vec![0.0; p];
        for k in 0..p {
            col.iter_mut().for_each(|c| *c = 0.0);
            col[k] = 1.0;
            self.solve_in_place(&mut col);
            for i in 0..p {
                inv[i * p + k] = col[i];
            }
        }
        for i in 0..p {
            if self.f[i * p + i] == 0.0 {
                for j in 0..p {
                    inv[i * p + j] = 0.0;
                    inv[j * p + i] = 0.0;
                }
            }
        }
        // symmetrise away rounding
        for i in 0..p {
            for j in 0..i {
                let m = 0.5 * (inv[i * p + j] + inv[j * p + i]);
                inv[i * p + j] = m;
                inv[j * p + i] = m;
            }
        }
        inv
    }

    /// y' A^- y for the quadratic forms of the score and Wald tests.
    pub fn quad_form_inverse(&self, y: &[f64]) -> f64 {
        let mut a = y.to_vec();
        self.solve_in_place(&mut a);
        a.iter().zip(y).map(|(a, b)| a * b).sum()
    }
}

/// An LDL' factorisation of S A S with S = diag(s): R's coxfit6 scales each covariate by the
/// reciprocal of its mean absolute deviation before the Cholesky step, so that the pivot
/// tolerance does not depend on the covariates' units. Solutions and the inverse are returned on
/// the original scale.
#[derive(Debug, Clone)]
pub struct ScaledLdl {
    ldl: Ldl,
    s: Vec<f64>,
}

impl ScaledLdl {
    pub fn new(a: &[f64], s: &[f64], toler: f64) -> ScaledLdl {
        let p = s.len();
        let scaled: Vec<f64> = (0..p * p).map(|k| a[k] * s[k / p] * s[k % p]).collect();
        ScaledLdl {
            ldl: Ldl::new(&scaled, p, toler),
            s: s.to_vec(),
        }
    }

    pub fn rank(&self) -> usize {
        self.ldl.rank()
    }

    pub fn zeroed(&self) -> Vec<usize> {
        self.ldl.zeroed()
    }

    /// A^- y.
    pub fn solve(&self, y: &[f64]) -> Vec<f64> {
        let mut a: Vec<f64> = y.iter().zip(&self.s).map(|(v, s)| v * s).collect();
        self.ldl.solve_in_place(&mut a);
        a.iter().zip(&self.s).map(|(v, s)| v * s).collect()
    }

    /// The (generalised) inverse of A, row-major.
    pub fn inverse(&self) -> Vec<f64> {
        let p = self.s.len();
        let inv = self.ldl.inverse();
        (0..p * p)
            .map(|k| inv[k] * self.s[k / p] * self.s[k % p])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_spd() {
        let a = [4.0, 2.0, 0.6, 2.0, 2.0, 0.5, 0.6, 0.5, 3.0];
        let ldl = Ldl::new(&a, 3, 1e-12);
        assert_eq!(ldl.rank(), 3);
        let inv = ldl.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-12, "{i},{j}: {v}");
            }
        }
        let b = [1.0, 2.0, 3.0];
        let mut y = b;
        ldl.solve_in_place(&mut y);
        for i in 0..3 {
            let v: f64 = (0..3).map(|k| a[i * 3 + k] * y[k]).sum();
            assert!((v - b[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn scaling_makes_the_tolerance_unit_free() {
        // a well-conditioned problem written in very different units
        let a = [1e10, 1e1, 1e1, 1e-6];
        let plain = Ldl::new(&a, 2, 1.8e-12);
        assert_eq!(plain.rank(), 1, "unscaled, the small direction is lost");
        let scaled = ScaledLdl::new(&a, &[1e-5, 1e3], 1.8e-12);
        assert_eq!(scaled.rank(), 2);
        let y = scaled.solve(&[1.0, 1.0]);
        for i in 0..2 {
            let v: f64 = (0..2).map(|k| a[i * 2 + k] * y[k]).sum();
            assert!((v - 1.0).abs() < 1e-6, "{v}");
        }
    }

    #[test]
    fn zeroes_singular_direction() {
        // second row is twice the first: rank 1
        let a = [1.0, 2.0, 2.0, 4.0];
        let ldl = Ldl::new(&a, 2, 1e-9);
        assert_eq!(ldl.rank(), 1);
        let inv = ldl.inverse();
        assert_eq!(inv[3], 0.0);
        assert_eq!(inv[1], 0.0);
        assert!((inv[0] - 1.0).abs() < 1e-12);
        assert!(inv.iter().all(|v| v.is_finite()));
    }
}
