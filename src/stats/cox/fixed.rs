//! A Cox model with its coefficients held fixed: the baseline hazard of new data given the
//! linear predictor, as R's `coxph(Surv ~ offset(lp))` followed by `basehaz` (Steyerberg's
//! recalibration-in-the-large of a survival model).

use super::*;

/// The Cox "fit" of `design` and `surv` with coefficients `beta` held fixed: the baseline hazard
/// (per stratum, centred at the new data's means as every fit), its variance terms, the
/// log-likelihood at 0 and at `beta`, and `var` as the coefficients' variance (it is not
/// estimated from these data). `var` must be p x p.
///
/// The tests describe the linear predictor x'beta on these data: the likelihood ratio
/// 2 (l(beta) - l(0)) and the score test of x'beta as one term at 0 (1 df each), and the Wald
/// test beta' var^- beta (df the rank of `var`).
pub fn fit_fixed(
    design: &Design,
    surv: &Surv,
    extras: FitExtras<'_>,
    beta: &[f64],
    var: Vec<Vec<f64>>,
    ties: Ties,
    conf_level: f64,
) -> Result<CoxFit, CoxError> {
    let p = design.p;
    if design.names.len() != p {
        return Err(CoxError::NamesMismatch {
            names: design.names.len(),
            p,
        });
    }
    if beta.len() != p || var.len() != p || var.iter().any(|r| r.len() != p) {
        return Err(CoxError::NamesMismatch {
            names: beta.len(),
            p,
        });
    }
    if p == 0 {
        return Err(CoxError::NoTerms);
    }
    let rs = RiskSets::new(design, surv, extras)?;
    let events = surv.n_events();
    if events == 0 {
        return Err(CoxError::NoEvents);
    }
    let mut scratch = Scratch::default();
    let at0 = rs.pass(&vec![0.0; p], ties, &mut scratch);
    let res = rs.pass(beta, ties, &mut scratch);
    if !res.loglik.is_finite() || !at0.loglik.is_finite() {
        return Err(CoxError::NonFiniteLoglik);
    }
    // scratch holds the linear predictors and risk scores at beta: the last pass was there
    let baseline = rs.baseline(&scratch.eta, &scratch.r, ties);
    let flat: Vec<f64> = var.iter().flatten().copied().collect();
    let ldl = Ldl::new(&flat, p, 1e-9);
    let wald = ldl.quad_form_inverse(beta);
    let df = ldl.rank().max(1);
    // the score test of the linear predictor x'beta as one term at coefficient 0 (R's
    // `coxph(Surv ~ lp)` score test): (U'beta)^2 / beta' I beta at beta = 0
    let ub: f64 = at0.u.iter().zip(beta).map(|(u, b)| u * b).sum();
    let bib: f64 = (0..p)
        .map(|i| beta[i] * (0..p).map(|j| at0.imat[i * p + j] * beta[j]).sum::<f64>())
        .sum();
    let score = if bib > 0.0 { ub * ub / bib } else { 0.0 };
    Ok(CoxFit {
        terms: design.names.clone(),
        coef: beta.to_vec(),
        var,
        means: rs.means.clone(),
        loglik: [at0.loglik, res.loglik],
        likelihood_ratio: ChiSqTest::new(2.0 * (res.loglik - at0.loglik), 1),
        wald: ChiSqTest::new(wald, df),
        score: ChiSqTest::new(score, 1),
        iterations: 0,
        converged: true,
        ties,
        conf_level,
        n: rs.n,
        events,
        warnings: Vec::new(),
        baseline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_at_the_estimate_is_the_fit_and_elsewhere_moves_the_baseline() {
        let x = vec![
            1.0, 0.5, 0.0, 1.5, 1.0, -0.3, 0.0, 2.0, 1.0, 0.1, 0.0, 0.0, 1.0, 1.2, 0.0, 0.7,
        ];
        let d = Design::new(x, 8, vec!["a".into(), "b".into()]).unwrap();
        let surv = Surv::new(
            vec![5.0, 3.0, 5.0, 2.0, 6.0, 3.0, 8.0, 4.0],
            vec![true, true, false, true, true, true, false, true],
        )
        .unwrap();
        let f = fit(&d, &surv, FitExtras::default(), &CoxOptions::default()).unwrap();
        let g = fit_fixed(
            &d,
            &surv,
            FitExtras::default(),
            &f.coef,
            f.var.clone(),
            f.ties,
            f.conf_level,
        )
        .unwrap();
        for (a, b) in g.baseline[0].cumhaz.iter().zip(&f.baseline[0].cumhaz) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!((g.loglik[1] - f.loglik[1]).abs() < 1e-12);
        // Breslow baseline at beta = 0: d_k / n_at_risk, summed (the Nelson-Aalen estimate)
        let z = fit_fixed(
            &d,
            &surv,
            FitExtras::default(),
            &[0.0, 0.0],
            f.var.clone(),
            Ties::Breslow,
            0.95,
        )
        .unwrap();
        // times 2 (1 event, 8 at risk), 3 (2 of 7), 4 (1 of 5), 5 (1 of 4), 6 (1 of 2)
        let na = [1.0 / 8.0, 2.0 / 7.0, 1.0 / 5.0, 1.0 / 4.0, 1.0 / 2.0];
        let mut h = 0.0;
        for (k, step) in na.iter().enumerate() {
            h += step;
            assert!((z.baseline[0].cumhaz[k] - h).abs() < 1e-12, "time {k}");
        }
    }
}
