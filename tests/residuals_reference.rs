//! Cox model residuals and the proportional-hazards test against R survival 3.5.3:
//! `residuals.coxph` (`tests/reference/residuals_<case>.csv`, `schoenfeld_<case>.csv`, made by
//! `make_residuals_reference.R`), `cox.zph` (`zph_*` in `reference.json`), and fits with strata and
//! case weights (`tests/reference/zph/`, made by `scripts/make_zph_reference.R`).

mod common;

use common::*;
use prognosis::stats::cox::{self, CoxFit, CoxOptions, Design, FitExtras, Ties};
use prognosis::stats::residuals::{self, CoxResiduals};
use prognosis::stats::surv::Surv;
use prognosis::stats::zph::{self, ZphOptions, ZphTerm, ZphTransform};
use serde_json::Value;

const CASES: [&str; 3] = ["rotterdam_os", "gbsg_rfs", "bone_mets_css"];

/// A CSV of numbers with a header (R's write.csv): column names and columns.
struct Csv {
    names: Vec<String>,
    cols: Vec<Vec<f64>>,
}

impl Csv {
    fn read(rel: &str) -> Csv {
        let text = std::fs::read_to_string(root().join("tests/reference").join(rel)).unwrap();
        let mut lines = text.lines();
        let names: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(|s| s.trim_matches('"').to_string())
            .collect();
        let mut cols = vec![Vec::new(); names.len()];
        for line in lines.filter(|l| !l.is_empty()) {
            for (c, v) in cols.iter_mut().zip(line.split(',')) {
                c.push(v.parse::<f64>().unwrap());
            }
        }
        Csv { names, cols }
    }

    fn col(&self, name: &str) -> &[f64] {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| {
                panic!("no column {name}");
            });
        &self.cols[i]
    }

    fn len(&self) -> usize {
        self.cols[0].len()
    }
}

/// Relative comparison of a residual column. A residual that R computes as a difference of
/// nearly equal sums is only as exact as that cancellation allows, so values below 1e-6 of the
/// column's largest magnitude are compared absolutely at 1e-6 x 1e-6 of it; all others at 1e-6
/// relative.
#[track_caller]
fn close_column(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: all zero");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let ok = if w.abs() >= 1e-6 * scale {
            err <= REL * w.abs()
        } else {
            err <= REL * 1e-6 * scale
        };
        assert!(ok, "{what}[{k}]: got {g:e}, R {w:e}");
    }
}

fn fit_with(design: &Design, surv: &Surv, extras: FitExtras<'_>, ties: Ties) -> CoxFit {
    let opts = CoxOptions {
        ties,
        ..CoxOptions::default()
    };
    cox::fit(design, surv, extras, &opts).unwrap()
}

/// The columns of a p-column matrix in row-major order.
fn column(m: &[f64], p: usize, j: usize) -> Vec<f64> {
    m.chunks_exact(p).map(|r| r[j]).collect()
}

fn check_residuals(res: &CoxResiduals, rows: &Csv, sch: &Csv, names: &[String], what: &str) {
    let p = res.p;
    assert_eq!(res.martingale.len(), rows.len(), "{what}: rows");
    close_column(
        &res.martingale,
        rows.col("martingale"),
        &format!("{what} martingale"),
    );
    close_column(
        &res.deviance,
        rows.col("deviance"),
        &format!("{what} deviance"),
    );
    assert_eq!(res.event_time.len(), sch.len(), "{what}: events");
    for (k, (&t, &want)) in res.event_time.iter().zip(sch.col("time")).enumerate() {
        assert_eq!(t, want, "{what}: time of event {k}");
    }
    for (j, name) in names.iter().enumerate() {
        close_column(
            &column(&res.score, p, j),
            rows.col(&format!("score_{name}")),
            &format!("{what} score {name}"),
        );
        close_column(
            &column(&res.dfbeta, p, j),
            rows.col(&format!("dfbeta_{name}")),
            &format!("{what} dfbeta {name}"),
        );
        close_column(
            &column(&res.schoenfeld, p, j),
            sch.col(&format!("schoenfeld_{name}")),
            &format!("{what} schoenfeld {name}"),
        );
        close_column(
            &column(&res.scaled, p, j),
            sch.col(&format!("scaled_{name}")),
            &format!("{what} scaled {name}"),
        );
    }
}

#[test]
fn residuals_equal_r_for_every_case() {
    for name in CASES {
        let case = load(name);
        let d = &case.prepared.design;
        let fit = fit_with(d, &case.prepared.surv, FitExtras::default(), Ties::Efron);
        let res = residuals::residuals(d, &case.prepared.surv, FitExtras::default(), &fit).unwrap();
        let rows = Csv::read(&format!("residuals_{name}.csv"));
        let sch = Csv::read(&format!("schoenfeld_{name}.csv"));
        for (k, (&t, &want)) in case
            .prepared
            .surv
            .time()
            .iter()
            .zip(rows.col("time"))
            .enumerate()
        {
            assert_eq!(t, want, "{name}: time of row {k}");
        }
        // R's names: size=>50 is size>50
        let names: Vec<String> = d.names.iter().map(|t| t.replace('=', "")).collect();
        check_residuals(&res, &rows, &sch, &names, name);
    }
}

/// One term per covariate of the model specification (a factor's dummies together), as
/// `cox.zph(terms = TRUE)`.
fn spec_terms(case: &Case) -> Vec<ZphTerm> {
    case.prepared.spec.zph_terms()
}

#[test]
fn zph_equals_r_for_every_case_and_both_tie_methods() {
    for name in CASES {
        let case = load(name);
        let d = &case.prepared.design;
        for ties in [Ties::Efron, Ties::Breslow] {
            let key = ties.to_string();
            let fit = fit_with(d, &case.prepared.surv, FitExtras::default(), ties);
            let opts = ZphOptions {
                terms: Some(spec_terms(&case)),
                ..ZphOptions::default()
            };
            let z = zph::zph(d, &case.prepared.surv, FitExtras::default(), &fit, &opts).unwrap();
            let r = &case.r[&key];
            let terms = strs(&r["zph_terms"]);
            let chisq = nums(&r["zph_chisq"]);
            let df = nums(&r["zph_df"]);
            let p = nums(&r["zph_p"]);
            assert_eq!(terms.len(), z.terms.len() + 1, "{name} {key}: terms");
            for (k, t) in z.terms.iter().chain(std::iter::once(&z.global)).enumerate() {
                let what = format!("{name} {key} zph {}", terms[k]);
                assert_eq!(t.term, terms[k], "{what}: name");
                close(t.chisq, chisq[k], REL, &format!("{what} chisq"));
                assert_eq!(t.df as f64, df[k], "{what}: df");
                close(t.p, p[k], REL, &format!("{what} p"));
            }
        }
    }
}

/// A reference fit from `tests/reference/zph/`: the rows (time, status, stratum, weight and the
/// model matrix) as R fitted them.
struct Extra {
    rows: Csv,
    design: Design,
    surv: Surv,
    strata: Vec<usize>,
    weights: Vec<f64>,
    r: Value,
}

fn zph_json(stem: &str) -> Value {
    let text = std::fs::read_to_string(root().join(format!("tests/reference/zph/{stem}_zph.json")))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn extra(stem: &str) -> Extra {
    let r = zph_json(stem);
    let rows = Csv::read(&format!("zph/{stem}_rows.csv"));
    let names = strs(&r["columns"]);
    let p = names.len();
    let n = rows.len();
    let mut x = vec![0.0; n * p];
    for j in 0..p {
        for (i, v) in rows.col(&format!("x_{}", j + 1)).iter().enumerate() {
            x[i * p + j] = *v;
        }
    }
    let design = Design::new(x, n, names).unwrap();
    let surv = Surv::new(
        rows.col("time").to_vec(),
        rows.col("status").iter().map(|&s| s == 1.0).collect(),
    )
    .unwrap();
    let strata = rows.col("stratum").iter().map(|&s| s as usize).collect();
    let weights = rows.col("weight").to_vec();
    Extra {
        rows,
        design,
        surv,
        strata,
        weights,
        r,
    }
}

fn terms_of(r: &Value) -> Vec<ZphTerm> {
    // R's term order is the table's (JSON objects here are read in key order)
    let names = strs(&r["zph"]["km"]["terms"]);
    names[..names.len() - 1]
        .iter()
        .map(|name| ZphTerm {
            name: name.clone(),
            columns: match &r["assign"][name] {
                Value::Array(a) => a.iter().map(|c| c.as_u64().unwrap() as usize).collect(),
                c => vec![c.as_u64().unwrap() as usize],
            },
        })
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(nums_or_nan).collect()
}

/// Numbers, with null (R's NA) as NaN.
fn nums_or_nan(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn check_zph(z: &zph::Zph, r: &Value, tr: &str, what: &str) {
    let t = &r["zph"][tr];
    let terms = strs(&t["terms"]);
    let chisq = nums(&t["chisq"]);
    let df = nums(&t["df"]);
    let p = nums(&t["p"]);
    assert_eq!(terms.len(), z.terms.len() + 1, "{what}: terms");
    for (k, row) in z.terms.iter().chain(std::iter::once(&z.global)).enumerate() {
        let w = format!("{what} {tr} {}", terms[k]);
        assert_eq!(row.term, terms[k], "{w}: name");
        close(row.chisq, chisq[k], REL, &format!("{w} chisq"));
        assert_eq!(row.df as f64, df[k], "{w}: df");
        close(row.p, p[k], REL, &format!("{w} p"));
    }
    close_column(&z.x, &nums(&t["x"]), &format!("{what} {tr} x"));
}

#[test]
fn stratified_weighted_fits_equal_r() {
    for stem in [
        "gbsg_strata_weights_efron",
        "gbsg_strata_weights_breslow",
        "bone_strata_weights_efron",
        "bone_strata_weights_breslow",
    ] {
        let e = extra(stem);
        let ties = if stem.ends_with("efron") {
            Ties::Efron
        } else {
            Ties::Breslow
        };
        let extras = FitExtras {
            weights: Some(&e.weights),
            strata: Some(&e.strata),
        };
        let fit = fit_with(&e.design, &e.surv, extras, ties);
        let coef = nums(&e.r["coef"]);
        for (j, (&b, &want)) in fit.coef.iter().zip(&coef).enumerate() {
            close(b, want, REL, &format!("{stem} coef {j}"));
        }
        let res = residuals::residuals(&e.design, &e.surv, extras, &fit).unwrap();
        let sch = Csv::read(&format!("zph/{stem}_schoenfeld.csv"));
        let names: Vec<String> = (1..=e.design.p).map(|j| j.to_string()).collect();
        check_residuals(&res, &e.rows, &sch, &names, stem);

        let terms = terms_of(&e.r);
        for (tr, transform) in [
            ("km", ZphTransform::Km),
            ("rank", ZphTransform::Rank),
            ("identity", ZphTransform::Identity),
        ] {
            let opts = ZphOptions {
                transform,
                terms: Some(terms.clone()),
            };
            let z = zph::zph(&e.design, &e.surv, extras, &fit, &opts).unwrap();
            check_zph(&z, &e.r, tr, stem);
            if tr == "km" {
                check_zph_plot(&z, &e.r, stem);
            }
        }
    }
}

/// cox.zph's `time`, `y` (scaled residuals per stratum, NA where a term is constant in a stratum)
/// and `var`.
fn check_zph_plot(z: &zph::Zph, r: &Value, what: &str) {
    let time = nums(&r["time"]);
    assert_eq!(z.time, time, "{what}: zph times");
    let y = matrix(&r["y"]);
    let nt = z.terms.len();
    assert_eq!(z.y.len(), y.len() * nt, "{what}: zph y shape");
    for j in 0..nt {
        let want: Vec<f64> = y.iter().map(|row| row[j]).collect();
        let got = column(&z.y, nt, j);
        let (gn, wn): (Vec<f64>, Vec<f64>) = got
            .iter()
            .zip(&want)
            .filter(|(_, w)| !w.is_nan())
            .map(|(g, w)| (*g, *w))
            .unzip();
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.is_nan(), w.is_nan(), "{what}: zph y NA pattern, term {j}");
        }
        close_column(&gn, &wn, &format!("{what} zph y {j}"));
    }
    let var = matrix(&r["y_var"]);
    assert_eq!(var.len(), nt, "{what}: zph var shape");
    for (i, row) in var.iter().enumerate() {
        for (j, &want) in row.iter().enumerate() {
            close(
                z.var[i * nt + j],
                want,
                REL,
                &format!("{what} zph var {i},{j}"),
            );
        }
    }
}

#[test]
fn zph_plot_of_a_factor_term_equals_r() {
    let case = load("rotterdam_os");
    let d = &case.prepared.design;
    let fit = fit_with(d, &case.prepared.surv, FitExtras::default(), Ties::Efron);
    let r = zph_json("rotterdam_os_efron");
    let cols = strs(&r["columns"]);
    // the two size dummies may come in another order: the term's residual is that of its linear
    // predictor, which does not depend on it
    let mut ours: Vec<String> = d.names.iter().map(|t| t.replace('=', "")).collect();
    let mut cols = cols;
    ours.sort();
    cols.sort();
    assert_eq!(ours, cols, "columns");
    for (tr, transform) in [
        ("km", ZphTransform::Km),
        ("rank", ZphTransform::Rank),
        ("identity", ZphTransform::Identity),
    ] {
        let opts = ZphOptions {
            transform,
            terms: Some(spec_terms(&case)),
        };
        let z = zph::zph(d, &case.prepared.surv, FitExtras::default(), &fit, &opts).unwrap();
        check_zph(&z, &r, tr, "rotterdam_os");
        if tr == "km" {
            check_zph_plot(&z, &r, "rotterdam_os");
        }
    }
}
