//! The model file shipped in `models/` loads, passes its checks, and predicts what R predicts for
//! the reference profiles: a model written by this version stays readable and correct.

use prognosis::model::file::ModelFile;
use prognosis::model::spec::encode_patient;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_bone_mets_model_predicts_as_r() {
    let model = ModelFile::load(&root().join("models/bone_mets_cox.json")).unwrap();
    assert_eq!(model.spec.time_unit.as_deref(), Some("months"));
    assert_eq!(model.training.file, "bone_mets_synthetic.csv");
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/reference/reference.json")).unwrap(),
    )
    .unwrap();
    let r = &reference["bone_mets_css"]["efron"];
    for prof in r["profiles"].as_array().unwrap() {
        let values: BTreeMap<String, String> = prof["covariates"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        let (x, stratum) = encode_patient(&model.spec, &values).unwrap();
        let times: Vec<f64> = prof["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .collect();
        let pred = model.predict(&x, stratum, &times);
        for (k, pt) in pred.survival.iter().enumerate() {
            for (got, key) in [
                (pt.surv, "surv"),
                (pt.se, "std_err"),
                (pt.lower, "lower95"),
                (pt.upper, "upper95"),
            ] {
                let want = prof[key][k].as_f64().unwrap();
                assert!(
                    ((got - want) / want).abs() < 1e-6,
                    "{key} at {}: {got} vs R {want}",
                    times[k]
                );
            }
        }
    }
}

#[test]
fn shipped_model_checksum_guards_edits() {
    let path = root().join("models/bone_mets_cox.json");
    let text = std::fs::read_to_string(&path).unwrap();
    // change one digit of the first coefficient
    let i = text.find("\"coef\": [").unwrap() + 20;
    let mut bytes = text.into_bytes();
    bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
    let err = ModelFile::from_slice(&bytes, "edited.json").unwrap_err();
    assert!(
        err.to_string().contains("checksum") || err.to_string().contains("damaged"),
        "{err}"
    );
}
