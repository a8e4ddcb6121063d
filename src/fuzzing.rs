//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), one per input format, shared with
//! the stable test `tests/fuzz_corpus.rs` that feeds them every committed corpus and crash input.
//! Each takes arbitrary bytes and must return without panicking, whatever they hold; errors are
//! the expected outcome for most inputs. Not part of the library's interface.

use crate::data::cohort::{self, FitRequest};
use crate::data::csv::{read_csv_bytes, ReadOptions};
use crate::data::registry::{derive_cohort, read_export_bytes, StudySpec};
use crate::model::competing::{CompetingKind, CompetingModelFile};
use crate::model::file::{CovariateSummary, ModelFile};
use crate::model::nomogram::{Nomogram, NomogramOptions};
use crate::model::spec::{encode_patient, format_number, ModelSpec};
use crate::stats::cox::{self, CoxOptions, FitExtras};
use std::collections::BTreeMap;

/// The names of the fuzz targets, which are also the corpus folders under `fuzz/corpus/`.
pub const TARGETS: [&str; 5] = [
    "csv_cohort",
    "model_score",
    "study_spec",
    "score_args",
    "competing_model",
];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "csv_cohort" => csv_cohort(data),
        "model_score" => model_score(data),
        "study_spec" => study_spec(data),
        "score_args" => score_args(data),
        "competing_model" => competing_model(data),
        _ => panic!("no fuzz target '{name}'"),
    }
}

/// CSV ingest into a cohort: the bytes are a CSV file with the columns `time`, `status`, `x`
/// and `g` (`g` categorical, `w` weights when present); it is read, prepared as a fit would be,
/// fitted, and summarised as a model file, which must load back.
pub fn csv_cohort(data: &[u8]) {
    let Ok(table) = read_csv_bytes(
        data,
        "fuzz.csv",
        &["time", "status", "x", "g"],
        &ReadOptions::default(),
    ) else {
        return;
    };
    let req = FitRequest {
        time: "time".into(),
        event: "status".into(),
        covariates: vec!["x".into(), "g".into()],
        categorical: vec!["g".into()],
        ..FitRequest::default()
    };
    let Ok(prepared) = cohort::prepare(&table, &req) else {
        return;
    };
    let extras = FitExtras {
        weights: prepared.weights.as_deref(),
        strata: prepared.strata.as_deref(),
    };
    let opts = CoxOptions {
        max_iter: 10,
        ..CoxOptions::default()
    };
    let Ok(fit) = cox::fit(&prepared.design, &prepared.surv, extras, &opts) else {
        return;
    };
    let model = cohort::model_file(&table, &prepared, fit);
    // `fit --out` writes a model only when it passes the checks of loading; such a model must load
    if model.check().is_ok() {
        let json = model.to_json();
        if let Err(e) = ModelFile::from_slice(json.as_bytes(), "fuzz.json") {
            panic!("a written model does not load: {e}");
        }
    }
}

/// Model-file loading (every check but the checksum) and scoring one patient: each covariate at
/// its training mean or first level, at a few horizons, with the nomogram's points.
pub fn model_score(data: &[u8]) {
    let Ok(model) = ModelFile::from_slice_unsealed(data, "fuzz.json") else {
        return;
    };
    let values = typical_patient(&model.covariates, &model.spec);
    let Ok((x, stratum)) = encode_patient(&model.spec, &values) else {
        return;
    };
    let times = [0.0, 1.0, 12.0, 60.0, 1e9];
    let pred = model.predict(&x, stratum, &times);
    for p in &pred.survival {
        assert!(
            p.surv.is_nan() || (0.0..=1.0 + 1e-9).contains(&p.surv),
            "survival {} out of [0, 1]",
            p.surv
        );
    }
    let _ = model.horizon_warnings(stratum, &times);
    let _ = model.range_warnings(&values);
    if let Ok(nom) = Nomogram::from_model(&model, &Default::default()) {
        let _ = nom.score(&nom.values_from_design(&x));
    }
    let _ = crate::cli::fuzz_score(&[], &model);
}

/// Competing-risks model-file loading (every check but the checksum) and the cumulative incidence
/// of one patient (each covariate at its training mean or first level) at a few horizons, without
/// the training data; for a Fine-Gray file also its nomogram and the patient's points.
pub fn competing_model(data: &[u8]) {
    let Ok(model) = CompetingModelFile::from_slice_unsealed(data, "fuzz.json") else {
        return;
    };
    let _ = model.input_columns();
    let _ = model.last_event_time();
    let values = typical_patient(&model.covariates, &model.spec);
    let Ok((x, _)) = encode_patient(&model.spec, &values) else {
        return;
    };
    let times = [0.0, 1.0, 12.0, 60.0, 1e9];
    if let Ok(pred) = model.predict(&x, &times, None) {
        for p in &pred.incidence {
            assert!(
                p.cif.is_nan() || (-1e-9..=1.0 + 1e-9).contains(&p.cif),
                "cumulative incidence {} out of [0, 1]",
                p.cif
            );
        }
    }
    if model.model == CompetingKind::FineGray {
        if let Ok(nom) = Nomogram::from_competing_model(&model, &NomogramOptions::default()) {
            let _ = nom.score(&nom.values_from_design(&x));
        }
    }
    let _ = model.to_json();
}

/// A study specification and its export, separated by a line `---`: the specification is parsed
/// and checked, the export read and the cohort derived (inclusion rules, split), then prepared
/// for the fit.
pub fn study_spec(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (spec_text, export) = text.split_once("\n---\n").unwrap_or((&text, ""));
    let Ok(spec) = StudySpec::from_toml(spec_text, "fuzz.toml") else {
        return;
    };
    let Ok(table) = read_export_bytes(&spec, export.as_bytes(), "fuzz.csv") else {
        return;
    };
    let Ok(cohort) = derive_cohort(&spec, &table) else {
        return;
    };
    let _ = cohort.to_csv();
    let _ = cohort::prepare(&cohort.to_table(), &cohort.fit_request());
}

/// The `score` command line: the bytes are its arguments, one per line, parsed as `prognosis
/// score` parses them and scored with a fixed small model (nothing is read or written).
pub fn score_args(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.lines().map(String::from).collect();
    let _ = crate::cli::fuzz_score(&args, small_model());
}

/// A model fitted once on a small fixed cohort: numeric `age`, categorical `stage`, months.
fn small_model() -> &'static ModelFile {
    static MODEL: std::sync::OnceLock<ModelFile> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let mut csv = String::from("time,status,age,stage\n");
        for i in 0..40u32 {
            let stage = ["I", "II", "III"][(i % 3) as usize];
            let time = 3 + (i * 7) % 61;
            let status = u32::from(i % 4 != 0);
            csv.push_str(&format!("{time},{status},{},{stage}\n", 40 + (i * 13) % 41));
        }
        let table = read_csv_bytes(
            csv.as_bytes(),
            "small.csv",
            &["time", "status", "age", "stage"],
            &ReadOptions::default(),
        )
        .expect("the small cohort reads");
        let req = FitRequest {
            time: "time".into(),
            event: "status".into(),
            covariates: vec!["age".into(), "stage".into()],
            time_unit: Some("months".into()),
            ..FitRequest::default()
        };
        let prepared = cohort::prepare(&table, &req).expect("the small cohort prepares");
        let fit = cox::fit(
            &prepared.design,
            &prepared.surv,
            FitExtras::default(),
            &CoxOptions::default(),
        )
        .expect("the small cohort fits");
        cohort::model_file(&table, &prepared, fit)
    })
}

/// Each covariate at its training mean (numeric) or first level (categorical), the first stratum.
fn typical_patient(covariates: &[CovariateSummary], spec: &ModelSpec) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = covariates
        .iter()
        .map(|c| match c {
            CovariateSummary::Numeric { name, mean, .. } => (name.clone(), format_number(*mean)),
            CovariateSummary::Categorical { name, levels, .. } => (
                name.clone(),
                levels.first().map(|l| l.level.clone()).unwrap_or_default(),
            ),
        })
        .collect();
    if let Some(st) = &spec.strata {
        if let Some(level) = st.levels.first() {
            values.insert(st.column.clone(), level.clone());
        }
    }
    values
}
