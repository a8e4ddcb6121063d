//! `score --set` with the words a clinician would type: a level in another case, a label the
//! model card records for a 0/1 covariate ("Yes" for 1), and errors and warnings that say what a
//! 0/1 covariate expects.

mod common;

use common::cli::{ok, run};
use common::root;
use prognosis::model::card::{ModelCard, ValueLabel};
use prognosis::model::file::ModelFile;
use serde_json::Value;
use std::path::Path;

/// The bone-metastasis model with `pr` written as words ("negative"/"positive"), fitted by the
/// binary; with `labels`, a model card labelling brain 0/1 as No/Yes.
fn model(dir: &Path, labels: bool) -> String {
    let text = std::fs::read_to_string(root().join("datasets/bone_mets_synthetic.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let pr = header.split(',').position(|h| h == "\"pr\"").unwrap();
    let mut csv = format!("{header}\n");
    for line in lines {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        f[pr] = if f[pr] == "1" { "positive" } else { "negative" }.into();
        csv.push_str(&f.join(","));
        csv.push('\n');
    }
    let data = dir.join("bone_words.csv");
    std::fs::write(&data, csv).unwrap();
    let out = dir.join(if labels {
        "labelled.json"
    } else {
        "plain.json"
    });
    ok(&[
        "fit",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,liver,lung,pr,surgery,chemo",
        "--time-unit",
        "months",
        "--out",
        out.to_str().unwrap(),
    ]);
    if labels {
        let m = ModelFile::load(&out).unwrap();
        let mut card = ModelCard::default();
        card.value_labels.insert(
            "brain".into(),
            vec![
                ValueLabel {
                    value: "0".into(),
                    label: "No".into(),
                },
                ValueLabel {
                    value: "1".into(),
                    label: "Yes".into(),
                },
            ],
        );
        std::fs::write(&out, m.with_card(card).to_json()).unwrap();
    }
    out.display().to_string()
}

fn score(model: &str, brain: &str, pr: &str) -> (bool, String, String) {
    let b = format!("brain={brain}");
    let p = format!("pr={pr}");
    let mut args = vec![
        "score", "--model", model, "--json", "--set", &b, "--set", &p,
    ];
    args.extend([
        "--set",
        "age=60",
        "--set",
        "liver=0",
        "--set",
        "lung=1",
        "--set",
        "surgery=0",
        "--set",
        "chemo=1",
    ]);
    run(&args)
}

fn lp(out: &str) -> f64 {
    let v: Value = serde_json::from_str(out).unwrap();
    v["lp"].as_f64().unwrap()
}

#[test]
fn labels_and_levels_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), true);
    let (ok1, base, e) = score(&m, "1", "positive");
    assert!(ok1, "{e}");
    for (brain, pr) in [
        ("Yes", "Positive"),
        ("yes", "POSITIVE"),
        (" YES ", "positive"),
    ] {
        let (success, out, err) = score(&m, brain, pr);
        assert!(success, "brain={brain} pr={pr}: {err}");
        assert_eq!(lp(&out), lp(&base), "brain={brain} pr={pr}");
    }
    let (_, no, _) = score(&m, "no", "negative");
    let (_, zero, _) = score(&m, "0", "negative");
    assert_eq!(lp(&no), lp(&zero));
    assert_ne!(lp(&no), lp(&base));
    // a word the card does not record: the expected values with their meaning
    let (success, _, err) = score(&m, "maybe", "positive");
    assert!(!success);
    assert!(
        err.contains("'brain' = 'maybe'")
            && err.contains("expected 0 or 1 (0 = No, 1 = Yes)")
            && err.contains("or a label: No, Yes"),
        "{err}"
    );
    let (success, _, err) = score(&m, "1", "unknown");
    assert!(!success);
    assert!(err.contains("expected one of: negative, positive"), "{err}");
}

#[test]
fn a_word_for_an_unlabelled_binary_covariate_says_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), false);
    let (success, _, err) = score(&m, "Yes", "positive");
    assert!(!success);
    assert!(
        err.contains("'brain' = 'Yes' is not valid: expected 0 or 1"),
        "{err}"
    );
    // age is numeric but not 0/1: a number
    let (success, _, err) = run(&[
        "score",
        "--model",
        &m,
        "--set",
        "age=old",
        "--set",
        "brain=0",
        "--set",
        "liver=0",
        "--set",
        "lung=1",
        "--set",
        "pr=negative",
        "--set",
        "surgery=0",
        "--set",
        "chemo=1",
    ]);
    assert!(!success);
    assert!(err.contains("expected a number"), "{err}");
}

#[test]
fn a_binary_covariate_at_one_half_or_two_warns() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), true);
    for (brain, how) in [("0.5", "interpolates"), ("2", "extrapolates")] {
        let (success, out, err) = score(&m, brain, "positive");
        assert!(success, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let w: Vec<&str> = v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(
            w.iter().any(
                |w| w.contains("brain is a 0/1 covariate (0 = No, 1 = Yes)") && w.contains(how)
            ),
            "{w:?}"
        );
    }
    let (_, out, _) = score(&m, "1", "positive");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["warnings"].as_array().unwrap().is_empty());
}
