//! `[competing_risks]` of a study specification: each cohort row's cause (event of interest,
//! competing event, censored), counted in the attrition per split, recounted here from the raw
//! SEER-format listing; the analysis file's cause column; errors that name the field or the row.

#![allow(clippy::result_large_err)]

use prognosis::data::registry::{self, Cohort, RegistryError, Split, StudySpec};
use std::collections::HashMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const COD: &str = "SEER cause-specific death classification";
const VITAL: &str = "Vital status recode (study cutoff used)";
const ID: &str = "Patient ID";

fn flagship_cohort() -> Cohort {
    let spec = StudySpec::load(&root().join("models/her2_bone_mets.toml")).unwrap();
    registry::derive_cohort_from_path(&spec, &root().join("datasets/bone_mets_synthetic_seer.csv"))
        .unwrap()
}

#[test]
fn flagship_causes_recounted_from_the_raw_listing() {
    let c = flagship_cohort();
    let cause = c
        .cause
        .as_ref()
        .expect("the flagship specification has competing risks");
    assert_eq!(cause.name, "cause");
    // each cohort row's raw labels, by patient id
    let mut rdr =
        csv::Reader::from_path(root().join("datasets/bone_mets_synthetic_seer.csv")).unwrap();
    let h: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let raw: HashMap<String, HashMap<String, String>> = rdr
        .records()
        .map(|r| {
            let m: HashMap<String, String> = h
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect();
            (m[ID].clone(), m)
        })
        .collect();
    let (_, ids) = c.id.as_ref().unwrap();
    let mut counts = [[0usize; 2]; 3];
    for i in 0..c.n() {
        let r = &raw[&ids.text(i)];
        let want = match (r[COD].as_str(), r[VITAL].as_str()) {
            ("Dead (attributable to this cancer dx)", _) => 1,
            ("Alive or dead of other cause", "Dead") => 2,
            ("Alive or dead of other cause", "Alive") => 0,
            other => panic!("row {i}: {other:?} should not be in the cohort"),
        };
        assert_eq!(cause.cause[i], want, "row {i}");
        assert_eq!(c.status[i], want == 1);
        let s = usize::from(c.split.as_ref().unwrap()[i] == Split::Validation);
        counts[want as usize][s] += 1;
    }
    let a = c.attrition.causes.expect("counts per cause");
    for (got, k) in [(a.censored, 0), (a.events, 1), (a.competing, 2)] {
        assert_eq!(got.development, Some(counts[k][0]), "cause {k}");
        assert_eq!(got.validation, Some(counts[k][1]), "cause {k}");
        assert_eq!(got.all, counts[k][0] + counts[k][1]);
    }
    assert!(a.competing.all > 0);
    assert_eq!(a.events.all + a.competing.all + a.censored.all, c.n());
    assert_eq!(a.events, c.attrition.events);
    // the analysis file carries the cause after the event
    let text = String::from_utf8(c.to_csv()).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[..4], &["id", "time", "status", "cause"]);
    let second: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(second[3], cause.cause[0].to_string());
    // and the attrition text counts each cause
    let t = prognosis::report::text::attrition_text(&c.attrition);
    assert!(t.contains("competing events"), "{t}");
}

const HEAD: &str = r#"
[study]
name = "small"

[outcome.time]
column = "months"

[outcome.event]
column = "cod"
event = ["cancer"]
censor = ["other"]
exclude = ["unknown"]

[[covariates]]
name = "x"
column = "x"
read = "number"
"#;

fn spec(extra: &str) -> Result<StudySpec, RegistryError> {
    StudySpec::from_toml(&format!("{HEAD}\n{extra}"), "small.toml")
}

const CR: &str = r#"
[competing_risks]
column = "vital"
competing = ["Dead"]
censor = ["Alive"]
"#;

#[test]
fn causes_of_a_small_export_and_unknown_labels() {
    let s = spec(CR).unwrap();
    let csv = "months,cod,vital,x\n1,cancer,Dead,1\n2,other,Dead,2\n3,other,Alive,3\n4,unknown,Dead,4\n5,cancer,Alive,5\n";
    let t = registry::read_export_bytes(&s, csv.as_bytes(), "export.csv").unwrap();
    let c = registry::derive_cohort(&s, &t).unwrap();
    // the row of unknown cause is excluded by [outcome.event] (complete-case); a cancer death
    // counts as the event whatever the vital status says
    assert_eq!(c.cause.as_ref().unwrap().cause, vec![1, 2, 0, 1]);
    let a = c.attrition.causes.unwrap();
    assert_eq!((a.events.all, a.competing.all, a.censored.all), (2, 1, 1));
    // a censored row with a label of neither list names the line, column, value and field
    let csv = "months,cod,vital,x\n1,cancer,Dead,1\n2,other,Lost,2\n";
    let t = registry::read_export_bytes(&s, csv.as_bytes(), "export.csv").unwrap();
    let e = registry::derive_cohort(&s, &t).unwrap_err().to_string();
    assert!(e.contains("line 3, column 'vital', value 'Lost'"), "{e}");
    assert!(
        e.contains("competing_risks.competing or competing_risks.censor"),
        "{e}"
    );
    // a missing column names the field
    let csv = "months,cod,x\n1,cancer,1\n";
    let e = registry::read_export_bytes(&s, csv.as_bytes(), "export.csv")
        .and_then(|t| registry::derive_cohort(&s, &t))
        .unwrap_err()
        .to_string();
    assert!(e.contains("vital"), "{e}");
}

#[test]
fn specification_errors_name_the_field() {
    let err = |extra: &str| match spec(extra) {
        Err(RegistryError::Spec(e)) => e.to_string(),
        other => panic!("expected a specification error, got {other:?}"),
    };
    let e = err("[competing_risks]\ncolumn = \"vital\"\ncompeting = []\ncensor = [\"Alive\"]\n");
    assert!(e.contains("field competing_risks.competing"), "{e}");
    let e = err("[competing_risks]\ncolumn = \"vital\"\ncompeting = [\"Dead\"]\ncensor = []\n");
    assert!(e.contains("field competing_risks.censor"), "{e}");
    let e =
        err("[competing_risks]\ncolumn = \" \"\ncompeting = [\"Dead\"]\ncensor = [\"Alive\"]\n");
    assert!(e.contains("field competing_risks.column"), "{e}");
    let e =
        err("[competing_risks]\ncolumn = \"vital\"\ncompeting = [\"Dead\"]\ncensor = [\"Dead\"]\n");
    assert!(e.contains("listed in both competing and censor"), "{e}");
    let e = err(&format!("{CR}name = \"x\"\n"));
    assert!(e.contains("field competing_risks.name"), "{e}");
    let e = err(&format!("{CR}colour = \"red\"\n"));
    assert!(e.contains("colour"), "{e}");
}
