//! Helpers shared by the integration tests that read `tests/reference/`: paths, the reference
//! JSON, number lists, relative comparison, and the complete-case data of a reference case;
//! `cli` runs the binary.
#![allow(dead_code)]

pub mod cli;
pub mod competing;

use prognosis::data::cohort::{self, FitRequest, Prepared};
use prognosis::data::csv::{self as data, ReadOptions, Table};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const REL: f64 = 1e-6;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn reference() -> Value {
    let text = std::fs::read_to_string(root().join("tests/reference/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[track_caller]
pub fn close(got: f64, want: f64, rel: f64, what: &str) {
    let err = if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    };
    assert!(
        err <= rel,
        "{what}: got {got:e}, R {want:e} (relative error {err:e})"
    );
}

pub struct Case {
    pub name: &'static str,
    pub table: Table,
    pub prepared: Prepared,
    pub r: Value,
}

pub fn load(name: &'static str) -> Case {
    let all = reference();
    let r = all[name].clone();
    let file = r["file"].as_str().unwrap();
    let mut reference_levels = BTreeMap::new();
    if let Some(obj) = r["factor_reference"].as_object() {
        for (k, v) in obj {
            reference_levels.insert(k.clone(), v.as_str().unwrap().to_string());
        }
    }
    let req = FitRequest {
        time: r["time"].as_str().unwrap().into(),
        event: r["event"].as_str().unwrap().into(),
        covariates: strs(&r["covariates"]),
        reference: reference_levels,
        ..Default::default()
    };
    let table = data::read_csv(
        &root().join("datasets").join(file),
        &req.columns(),
        &ReadOptions::default(),
    )
    .unwrap();
    let prepared = cohort::prepare(&table, &req).unwrap();
    assert_eq!(
        prepared.surv.len() as u64,
        r["n_complete"].as_u64().unwrap(),
        "{name}: complete cases"
    );
    Case {
        name,
        table,
        prepared,
        r,
    }
}
