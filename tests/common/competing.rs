//! The competing-risks reference cases of `tests/reference/competing_risks/` (made by
//! `tests/reference/scripts/make_cr_reference.R`): the complete-case outcome and R's design.

use super::{root, strs};
use prognosis::data::cohort::{self, FitRequest};
use prognosis::data::csv::{self as data, ReadOptions};
use prognosis::stats::competing::CompetingSurv;
use prognosis::stats::cox::Design;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CASES: [&str; 3] = ["bone_mets_cr", "mgus2_cr", "rotterdam_cr"];

pub fn reference() -> Value {
    let path = root().join("tests/reference/competing_risks/competing_risks.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub struct CrCase {
    pub r: Value,
    pub surv: CompetingSurv,
    /// The design with R's column order (`crr$terms`).
    pub design: Design,
    /// Per complete row, the raw value of each column read (for the group variable).
    pub table: data::Table,
    pub rows: Vec<usize>,
}

pub fn load(name: &str) -> CrCase {
    let r = reference()[name].clone();
    let mut reference_levels = BTreeMap::new();
    if let Some(obj) = r["factor_reference"].as_object() {
        for (k, v) in obj {
            reference_levels.insert(k.clone(), v.as_str().unwrap().to_string());
        }
    }
    let req = FitRequest {
        time: "time".into(),
        event: "cause".into(),
        covariates: strs(&r["covariates"]),
        reference: reference_levels,
        event_values: vec!["1".into()],
        ..Default::default()
    };
    let path = root()
        .join("tests/reference/competing_risks/datasets")
        .join(r["file"].as_str().unwrap());
    let table = data::read_csv(&path, &req.columns(), &ReadOptions::default()).unwrap();
    let prepared = cohort::prepare(&table, &req).unwrap();
    assert_eq!(
        prepared.surv.len() as u64,
        r["n_complete"].as_u64().unwrap()
    );
    let cause_col = table.column("cause").unwrap().values();
    let cause: Vec<u32> = prepared.rows.iter().map(|&i| cause_col[i] as u32).collect();
    let surv = CompetingSurv::new(prepared.surv.time().to_vec(), cause).unwrap();
    assert_eq!(surv.n_events(1) as u64, r["n_cause1"].as_u64().unwrap());
    assert_eq!(surv.n_events(2) as u64, r["n_cause2"].as_u64().unwrap());
    // reorder the design's columns to R's term order
    let terms = strs(&r["crr"]["terms"]);
    let d = &prepared.design;
    let cols: Vec<usize> = terms
        .iter()
        .map(|t| {
            d.names
                .iter()
                .position(|n| n.replace('=', "") == *t)
                .unwrap_or_else(|| panic!("{name}: term {t} not in {:?}", d.names))
        })
        .collect();
    let mut x = Vec::with_capacity(d.n * cols.len());
    for i in 0..d.n {
        x.extend(cols.iter().map(|&c| d.row(i)[c]));
    }
    let design = Design::new(x, d.n, terms).unwrap();
    CrCase {
        r,
        surv,
        design,
        table,
        rows: prepared.rows,
    }
}

/// The data file of a reference case, as a command-line argument.
pub fn data_file(r: &Value) -> String {
    root()
        .join("tests/reference/competing_risks/datasets")
        .join(r["file"].as_str().unwrap())
        .display()
        .to_string()
}

/// `fit DATA --time time --event cause --covariates ... --reference ...` of a reference case.
pub fn fit_args(r: &Value, data: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "fit".into(),
        data.into(),
        "--time".into(),
        "time".into(),
        "--event".into(),
        "cause".into(),
        "--covariates".into(),
        strs(&r["covariates"]).join(","),
    ];
    if let Some(obj) = r["factor_reference"].as_object() {
        for (k, v) in obj {
            args.push("--reference".into());
            args.push(format!("{k}={}", v.as_str().unwrap()));
        }
    }
    args
}

/// `fit ... --model KIND --cause 1 --out OUT` of a reference case on `data`: writes the model file.
pub fn fit_model(r: &Value, data: &str, kind: &str, out: &str) {
    let mut args = fit_args(r, data);
    for a in ["--model", kind, "--cause", "1", "--out", out] {
        args.push(a.into());
    }
    super::cli::ok(&args);
}
