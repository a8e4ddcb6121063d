//! The `cohort` step: a study specification applied to a registry export.
//!
//! - The flagship specification on the bundled SEER-format listing gives, row for row, the values
//!   of `datasets/bone_mets_synthetic.csv` wherever nothing is unknown; its attrition counts are
//!   recounted here straight from the raw CSV.
//! - Each reader, each rule kind and each error on small hand-made exports.
//! - The binary: attrition table, atomic output, JSON, errors.

// errors carry file, line, column, value and the expected labels; their size does not matter here
#![allow(clippy::result_large_err)]

use prognosis::data::registry::{
    self, Cohort, LabelErrorKind, RegistryError, Split, StudySpec, Values, COMPLETE_CASE_LABEL,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn flagship_spec() -> StudySpec {
    StudySpec::load(&root().join("models/her2_bone_mets.toml")).unwrap()
}

fn flagship_cohort() -> Cohort {
    registry::derive_cohort_from_path(
        &flagship_spec(),
        &root().join("datasets/bone_mets_synthetic_seer.csv"),
    )
    .unwrap()
}

fn numbers<'a>(c: &'a Cohort, name: &str) -> &'a [f64] {
    match &c.covariates.iter().find(|v| v.name == name).unwrap().values {
        Values::Numbers(v) => v,
        Values::Levels { .. } => panic!("{name} is categorical"),
    }
}

fn levels(c: &Cohort, name: &str) -> Vec<String> {
    let v = &c.covariates.iter().find(|v| v.name == name).unwrap().values;
    (0..v.len()).map(|i| v.text(i)).collect()
}

fn ids(c: &Cohort) -> Vec<usize> {
    let (_, v) = c.id.as_ref().expect("an id column");
    (0..v.len()).map(|i| v.text(i).parse().unwrap()).collect()
}

/// The raw export as records keyed by column name.
fn raw_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

const BONE: &str = "SEER Combined Mets at DX-bone (2010+)";
const MONTHS: &str = "Survival months";
const COD: &str = "SEER cause-specific death classification";
const BRAIN: &str = "SEER Combined Mets at DX-brain (2010+)";
const LIVER: &str = "SEER Combined Mets at DX-liver (2010+)";
const LUNG: &str = "SEER Combined Mets at DX-lung (2010+)";
const PR: &str = "PR Status Recode Breast Cancer (1990+)";
const SURG: &str = "RX Summ--Surg Prim Site (1998+)";

// ---------------------------------------------------------------------------------------------
// The flagship specification on the bundled export
// ---------------------------------------------------------------------------------------------

#[test]
fn flagship_agrees_row_for_row_with_the_analysis_file() {
    let c = flagship_cohort();
    let truth = raw_rows(&root().join("datasets/bone_mets_synthetic.csv"));
    let raw = raw_rows(&root().join("datasets/bone_mets_synthetic_seer.csv"));
    assert_eq!(truth.len(), 1204);
    // the rows with no unknown value, counted from the raw listing
    let unknown = |r: &HashMap<String, String>| {
        r[MONTHS] == "Unknown"
            || r[COD] == "Dead (missing/unknown COD)"
            || [BRAIN, LIVER, LUNG].iter().any(|k| r[*k] == "Unknown")
            || r[PR] == "Borderline/Unknown"
            || r[SURG] == "99"
    };
    let complete: Vec<usize> = (0..raw.len()).filter(|&i| !unknown(&raw[i])).collect();
    assert_eq!(complete.len(), 1080);
    let id = ids(&c);
    let rows: Vec<usize> = id.iter().map(|&p| p - 100_000).collect();
    assert_eq!(
        rows, complete,
        "the cohort is exactly the rows with nothing unknown"
    );
    // the source line of each row: the header is line 1
    assert!(c.lines.iter().zip(&rows).all(|(&l, &i)| l == i as u64 + 2));
    let f = |r: &HashMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    let mut top_coded = 0;
    for (k, &i) in rows.iter().enumerate() {
        let t = &truth[i];
        assert_eq!(c.time[k], f(t, "time"), "time, patient {}", id[k]);
        assert_eq!(
            c.status[k],
            f(t, "status") == 1.0,
            "status, patient {}",
            id[k]
        );
        for name in ["brain", "liver", "lung", "pr", "surgery", "chemo"] {
            assert_eq!(
                numbers(&c, name)[k],
                f(t, name),
                "{name}, patient {}",
                id[k]
            );
        }
        let age = numbers(&c, "age")[k];
        if f(t, "age") >= 85.0 {
            assert_eq!(age, 85.0, "top-coded age, patient {}", id[k]);
            top_coded += 1;
        } else {
            assert_eq!(age, f(t, "age"), "age, patient {}", id[k]);
        }
    }
    assert!(top_coded > 0, "some patients are aged 85+");
    assert_eq!(
        c.events(),
        rows.iter().filter(|&&i| truth[i]["status"] == "1").count()
    );
}

#[test]
fn flagship_attrition_recounted_from_the_raw_listing() {
    let c = flagship_cohort();
    let a = &c.attrition;
    let raw = raw_rows(&root().join("datasets/bone_mets_synthetic_seer.csv"));
    // the rules in order: each row counts under the first rule it fails
    type Fails = fn(&HashMap<String, String>) -> bool;
    let rules: [(&str, Fails); 8] = [
        ("bone metastasis at diagnosis", |r| r[BONE] != "Yes"),
        ("survival months known", |r| r[MONTHS] == "Unknown"),
        ("cause of death known", |r| {
            r[COD] == "Dead (missing/unknown COD)"
        }),
        ("brain metastasis known", |r| r[BRAIN] == "Unknown"),
        ("liver metastasis known", |r| r[LIVER] == "Unknown"),
        ("lung metastasis known", |r| r[LUNG] == "Unknown"),
        ("PR status known", |r| r[PR] == "Borderline/Unknown"),
        ("surgery known", |r| r[SURG] == "99"),
    ];
    let mut left: Vec<&HashMap<String, String>> = raw.iter().collect();
    assert_eq!(a.start.all, left.len());
    let mut expected = Vec::new();
    for (label, fails) in rules {
        let before = left.len();
        left.retain(|r| !fails(r));
        expected.push((label.to_string(), before - left.len(), left.len()));
    }
    expected.push((COMPLETE_CASE_LABEL.to_string(), 0, left.len()));
    let got: Vec<(String, usize, usize)> = a
        .steps
        .iter()
        .map(|s| (s.label.clone(), s.excluded.all, s.remaining.all))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        got.iter().map(|g| g.1).collect::<Vec<_>>(),
        vec![0, 3, 6, 29, 23, 23, 28, 12, 0]
    );
    assert_eq!(a.final_n.all, 1080);
    assert_eq!(a.final_n.all, c.n());
    // reasons name the excluded labels
    assert_eq!(a.steps[2].reasons[0].value, "'Dead (missing/unknown COD)'");
    assert_eq!(a.steps[7].reasons[0].value, "'99'");
    assert!(a.steps[0].reasons.is_empty());
    // events
    let events = left
        .iter()
        .filter(|r| r[COD] == "Dead (attributable to this cancer dx)")
        .count();
    assert_eq!(a.events.all, events);
    assert_eq!(events, 480);
}

#[test]
fn flagship_split_is_stratified_and_counted_per_split() {
    let c = flagship_cohort();
    let a = &c.attrition;
    let split = c.split.as_ref().unwrap();
    let dev = |x: &registry::Count| x.development.unwrap();
    let val = |x: &registry::Count| x.validation.unwrap();
    // every line splits in the fraction (0.7) and adds up
    for s in &a.steps {
        assert_eq!(dev(&s.excluded) + val(&s.excluded), s.excluded.all);
        assert_eq!(dev(&s.remaining) + val(&s.remaining), s.remaining.all);
        assert_eq!(
            dev(&s.excluded),
            (0.7 * s.excluded.all as f64).round() as usize,
            "{}",
            s.label
        );
    }
    // the cohort: events and censored rows each split 70/30, as the cohort's split column says
    let n_dev = split.iter().filter(|&&s| s == Split::Development).count();
    let ev_dev = (0..c.n())
        .filter(|&i| c.status[i] && split[i] == Split::Development)
        .count();
    assert_eq!(dev(&a.final_n), n_dev);
    assert_eq!(dev(&a.events), ev_dev);
    assert_eq!(ev_dev, (0.7f64 * 480.0).round() as usize);
    assert_eq!(n_dev - ev_dev, (0.7f64 * 600.0).round() as usize);
    assert_eq!(c.rows_in(Split::Development).len(), n_dev);
    assert_eq!(c.rows_in(Split::Validation).len(), c.n() - n_dev);
    // deterministic
    assert_eq!(flagship_cohort().split, c.split);
}

#[test]
fn flagship_cohort_fits_as_the_analysis_file_would() {
    let c = flagship_cohort();
    let table = c.to_table();
    let req = c.fit_request();
    assert_eq!(
        req.covariates,
        ["age", "brain", "liver", "lung", "pr", "surgery", "chemo"]
    );
    assert_eq!(req.time_unit.as_deref(), Some("months"));
    let p = prognosis::data::cohort::prepare(&table, &req).unwrap();
    assert_eq!(p.rows.len(), 1080);
    assert_eq!(p.surv.n_events(), 480);
    // the same as reading the written analysis file back
    let bytes = c.to_csv();
    let cols = req.columns();
    let t2 =
        prognosis::data::csv::read_csv_bytes(&bytes, "a.csv", &cols, &Default::default()).unwrap();
    let p2 = prognosis::data::cohort::prepare(&t2, &req).unwrap();
    assert_eq!(p.design, p2.design);
}

#[test]
fn simulated_seer_export_agrees_with_the_simulated_patients() {
    let n = 5000;
    let text = prognosis::data::simulate::bone_mets_seer_csv(n, 11);
    let truth = prognosis::data::simulate::patients(n, 11);
    let spec = flagship_spec();
    let t = registry::read_export_bytes(&spec, text.as_bytes(), "sim.csv").unwrap();
    let c = registry::derive_cohort(&spec, &t).unwrap();
    assert!(c.n() > 4000 && c.n() < n);
    // the analysis file of the same seed
    let analysis = prognosis::data::simulate::bone_mets_csv(n, 11);
    let lines: Vec<&str> = analysis.lines().skip(1).collect();
    for (k, id) in ids(&c).into_iter().enumerate() {
        let p = truth[id - 100_000];
        assert_eq!(c.time[k], p.months as f64);
        assert_eq!(c.status[k], p.event);
        assert_eq!(numbers(&c, "age")[k], p.age.min(85) as f64);
        let fields: Vec<f64> = lines[id - 100_000]
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        for (j, name) in ["brain", "liver", "lung", "pr", "surgery", "chemo"]
            .iter()
            .enumerate()
        {
            assert_eq!(numbers(&c, name)[k], fields[j + 1], "{name}");
        }
    }
    let s = &c.attrition.steps;
    assert!(s.iter().skip(1).take(7).all(|x| x.excluded.all > 0));
}

// ---------------------------------------------------------------------------------------------
// Hand-made exports: every reader and rule kind
// ---------------------------------------------------------------------------------------------

const HEAD: &str = r#"
[study]
name = "small"

[outcome.time]
column = "months"
unknown = ["Unknown"]

[outcome.event]
column = "vital"
event = ["dead"]
censor = ["alive"]
exclude = ["dead, cause unknown"]
"#;

fn spec(extra: &str) -> StudySpec {
    StudySpec::from_toml(&format!("{HEAD}\n{extra}"), "small.toml").unwrap()
}

fn spec_err(extra: &str) -> String {
    match StudySpec::from_toml(&format!("{HEAD}\n{extra}"), "small.toml") {
        Err(RegistryError::Spec(e)) => e.to_string(),
        other => panic!("expected a specification error, got {other:?}"),
    }
}

fn derive(spec: &StudySpec, csv: &str) -> Result<Cohort, RegistryError> {
    let t = registry::read_export_bytes(spec, csv.as_bytes(), "export.csv")?;
    registry::derive_cohort(spec, &t)
}

fn steps(c: &Cohort) -> Vec<(String, usize)> {
    c.attrition
        .steps
        .iter()
        .map(|s| (s.label.clone(), s.excluded.all))
        .collect()
}

const AGE_NUMBER: &str = r#"
[[covariates]]
name = "age"
column = "age"
read = "number"
missing = ["999"]
"#;

#[test]
fn reader_number_with_missing_codes_and_padded_numbers() {
    let s = spec(AGE_NUMBER);
    let c = derive(
        &s,
        "months,vital,age\n0010,dead,57\n3,alive,0999\n7.5,alive,61.5\nUnknown,dead,40\n",
    )
    .unwrap();
    assert_eq!(c.time, vec![10.0, 7.5]);
    assert_eq!(c.status, vec![true, false]);
    assert_eq!(numbers(&c, "age"), [57.0, 61.5]);
    // no rules: unknown time and missing age go to the complete-case step, counted per variable
    let last = c.attrition.steps.last().unwrap();
    assert_eq!(last.label, COMPLETE_CASE_LABEL);
    assert_eq!(last.excluded.all, 2);
    let r: Vec<(&str, usize)> = last
        .reasons
        .iter()
        .map(|r| (r.value.as_str(), r.excluded))
        .collect();
    assert_eq!(r, vec![("time", 1), ("age", 1)]);
    assert_eq!(c.lines, vec![2, 4]);
}

#[test]
fn reader_number_in_label_with_top_coding_and_cut_points() {
    let s = spec(
        r#"
[[covariates]]
name = "age"
column = "age"
read = "number_in_label"
top_coded = "85+ years: 85 or older"

[[covariates]]
name = "age_group"
label = "Age group"
column = "age"
read = "number_in_label"
cut = { at = [50, 70], labels = ["<50", "50-69", ">=70"] }
reference = "50-69"
"#,
    );
    let c = derive(
        &s,
        "months,vital,age\n1,dead,49 years\n2,dead,50 years\n3,alive,69 years\n4,alive,70 years\n5,alive,85+ years\n",
    )
    .unwrap();
    assert_eq!(numbers(&c, "age"), [49.0, 50.0, 69.0, 70.0, 85.0]);
    assert_eq!(
        levels(&c, "age_group"),
        ["<50", "50-69", "50-69", ">=70", ">=70"]
    );
    let g = c.covariates.iter().find(|v| v.name == "age_group").unwrap();
    assert_eq!(g.reference.as_deref(), Some("50-69"));
    assert_eq!(g.label, "Age group");
    let req = c.fit_request();
    assert_eq!(req.categorical, ["age_group"]);
    assert_eq!(req.reference["age_group"], "50-69");
    // "Unknown" holds no number and is not declared missing
    let e = derive(&s, "months,vital,age\n1,dead,Unknown years\n").unwrap_err();
    assert!(e.to_string().contains("a label containing a number"), "{e}");
}

#[test]
fn reader_map_to_numbers_and_to_levels() {
    let s = spec(
        r#"
[[covariates]]
name = "chemo"
column = "chemo"
read = "map"
map = { "Yes" = 1, "No/Unknown" = 0 }

[[covariates]]
name = "subtype"
column = "subtype"
read = "map"
map = { "HR+/HER2+" = "HR+", "HR-/HER2+" = "HR-", "HR-/HER2+ (old code)" = "HR-" }
missing = ["Unknown"]
reference = "HR-"
"#,
    );
    let c = derive(
        &s,
        "months,vital,chemo,subtype\n1,dead,Yes,HR+/HER2+\n2,alive,No/Unknown,HR-/HER2+\n3,alive,Yes,HR-/HER2+ (old code)\n4,alive,Yes,Unknown\n",
    )
    .unwrap();
    assert_eq!(numbers(&c, "chemo"), [1.0, 0.0, 1.0]);
    assert_eq!(levels(&c, "subtype"), ["HR+", "HR-", "HR-"]);
    let v = &c.covariates[1];
    assert_eq!(v.reference.as_deref(), Some("HR-"));
    match &v.values {
        Values::Levels { levels, .. } => assert_eq!(levels, &["HR+", "HR-"]),
        _ => panic!(),
    }
    let csv = String::from_utf8(c.to_csv()).unwrap();
    assert_eq!(
        csv,
        "time,status,chemo,subtype\n1,1,1,HR+\n2,0,0,HR-\n3,0,1,HR-\n"
    );
}

#[test]
fn reader_codes_with_ranges_and_unknown_code() {
    let s = spec(
        r#"
[[covariates]]
name = "surgery"
column = "site"
read = "codes"
codes = [{ from = 0, to = 0, value = 0 }, { from = 10, to = 90, value = 1 }]
missing = ["99"]

[[covariates]]
name = "extent"
column = "site"
read = "codes"
codes = [
  { from = 0, to = 0, value = "none" },
  { from = 10, to = 39, value = "partial" },
  { from = 40, to = 90, value = "mastectomy" },
]
missing = ["99"]
reference = "none"
"#,
    );
    let c = derive(
        &s,
        "months,vital,site\n1,dead,0\n2,alive,10\n3,alive,22\n4,alive,90\n5,alive,41\n6,dead,99\n7,dead,099\n",
    )
    .unwrap();
    assert_eq!(numbers(&c, "surgery"), [0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(
        levels(&c, "extent"),
        ["none", "partial", "partial", "mastectomy", "mastectomy"]
    );
    // 99 and 099 are both the missing code
    assert_eq!(c.attrition.steps.last().unwrap().excluded.all, 2);
    // a code in no range
    let e = derive(&s, "months,vital,site\n1,dead,0\n2,alive,95\n").unwrap_err();
    let RegistryError::Label(l) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (l.line, l.column.as_str(), l.value.as_str()),
        (3, "site", "95")
    );
    assert!(l.expected[0].contains("0, 10-90"), "{:?}", l.expected);
    assert_eq!(l.expected[1], "'99' (missing)");
}

#[test]
fn reader_number_as_categorical_levels() {
    let s = spec(
        r#"
[[covariates]]
name = "grade"
column = "grade"
read = "number"
type = "categorical"
levels = ["1", "2", "3"]
reference = "1"
missing = ["9"]
"#,
    );
    let c = derive(
        &s,
        "months,vital,grade\n1,dead,1\n2,alive,3\n3,alive,2.0\n4,alive,9\n",
    )
    .unwrap();
    assert_eq!(levels(&c, "grade"), ["1", "3", "2"]);
    let e = derive(&s, "months,vital,grade\n1,dead,4\n").unwrap_err();
    assert!(
        e.to_string().contains("among the levels '1', '2', '3'"),
        "{e}"
    );
}

const ONE_COVARIATE: &str = r#"
[[covariates]]
name = "brain"
column = "brain"
read = "map"
map = { "Yes" = 1, "No" = 0 }
missing = ["Unknown"]
"#;

#[test]
fn rules_on_labels_in_order_with_reasons() {
    let s = spec(&format!(
        r#"{ONE_COVARIATE}
[[include]]
label = "bone metastasis"
column = "bone"
equals = "Yes"
not_in = ["No", "Unknown"]

[[include]]
label = "years 2010-2015"
column = "year"
min = 2010
max = 2015
not_in = ["Blank(s)"]

[[include]]
label = "not a second primary"
column = "sequence"
not_in = ["2nd of 2 or more primaries"]
others = "keep"

[[include]]
label = "female"
column = "sex"
in = ["Female"]
others = "exclude"
"#
    ));
    let csv = "months,vital,brain,bone,year,sequence,sex
1,dead,Yes,Yes,2010,One primary only,Female
2,dead,No,No,2012,One primary only,Female
3,dead,No,Unknown,2012,One primary only,Female
4,dead,No,Yes,2009,One primary only,Female
5,dead,No,Yes,2016,One primary only,Female
6,dead,No,Yes,Blank(s),One primary only,Female
7,dead,No,Yes,2015,2nd of 2 or more primaries,Female
8,dead,No,Yes,2015,1st of 2 or more primaries,Male
9,alive,No,Yes,2015,1st of 2 or more primaries,Female
";
    let c = derive(&s, csv).unwrap();
    assert_eq!(c.time, vec![1.0, 9.0]);
    assert_eq!(
        steps(&c),
        vec![
            ("bone metastasis".into(), 2),
            ("years 2010-2015".into(), 3),
            ("not a second primary".into(), 1),
            ("female".into(), 1),
            (COMPLETE_CASE_LABEL.into(), 0),
        ]
    );
    let reasons = |k: usize| -> Vec<(String, usize)> {
        c.attrition.steps[k]
            .reasons
            .iter()
            .map(|r| (r.value.clone(), r.excluded))
            .collect()
    };
    assert_eq!(
        reasons(0),
        vec![("'No'".into(), 1), ("'Unknown'".into(), 1)]
    );
    assert_eq!(
        reasons(1),
        vec![
            ("below 2010".into(), 1),
            ("above 2015".into(), 1),
            ("'Blank(s)'".into(), 1)
        ]
    );
    assert_eq!(reasons(3), vec![("'Male'".into(), 1)]);
    assert_eq!(c.attrition.start.all, 9);
    assert_eq!(c.attrition.final_n.all, 2);
    assert!(c.attrition.start.development.is_none());
    // an unlisted label in a rule that lists its labels is an error
    let e = derive(&s, &csv.replace("2,dead,No,No,", "2,dead,No,yes,")).unwrap_err();
    let RegistryError::Label(l) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(l.kind, LabelErrorKind::UnknownLabel);
    assert_eq!(
        (l.line, l.column.as_str(), l.value.as_str()),
        (3, "bone", "yes")
    );
    assert_eq!(l.used_by, "rule 1 'bone metastasis'");
    assert_eq!(
        l.expected,
        ["'Yes' (kept)", "'No' (excluded)", "'Unknown' (excluded)"]
    );
    // a text label in a range rule, not listed in not_in
    let e = derive(&s, &csv.replace("Blank(s)", "n/a")).unwrap_err();
    assert!(e.to_string().contains("value 'n/a'"), "{e}");
}

#[test]
fn rules_on_variables_known_and_range() {
    let s = spec(&format!(
        r#"{ONE_COVARIATE}
[[covariates]]
name = "age"
column = "age"
read = "number_in_label"

[[include]]
label = "adults"
variable = "age"
min = 18

[[include]]
label = "survival known"
variable = "time"
known = true

[[include]]
label = "cause of death known"
variable = "status"
known = true

[[include]]
label = "brain known"
variable = "brain"
known = true
"#
    ));
    let c = derive(
        &s,
        "months,vital,brain,age
1,dead,Yes,17 years
Unknown,dead,Yes,40 years
3,\"dead, cause unknown\",Yes,40 years
4,alive,Unknown,40 years
5,alive,No,18 years
Unknown,\"dead, cause unknown\",Unknown,50 years
",
    )
    .unwrap();
    assert_eq!(c.time, vec![5.0]);
    assert_eq!(
        steps(&c).iter().map(|s| s.1).collect::<Vec<_>>(),
        vec![1, 2, 1, 1, 0]
    );
    assert_eq!(c.attrition.steps[0].reasons[0].value, "below 18");
    assert_eq!(c.attrition.steps[1].reasons[0].value, "'Unknown'");
    assert_eq!(
        c.attrition.steps[2].reasons[0].value,
        "'dead, cause unknown'"
    );
}

#[test]
fn unknown_labels_in_excluded_rows_are_not_read() {
    // rule 1 excludes the row before its covariate is read
    let s = spec(&format!(
        r#"{ONE_COVARIATE}
[[include]]
label = "bone metastasis"
column = "bone"
in = ["Yes"]
not_in = ["No"]
"#
    ));
    let c = derive(
        &s,
        "months,vital,brain,bone\n1,dead,Yes,Yes\n2,dead,n/a,No\n",
    )
    .unwrap();
    assert_eq!(c.n(), 1);
    let e = derive(
        &s,
        "months,vital,brain,bone\n1,dead,Yes,Yes\n2,dead,n/a,Yes\n",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("line 3, column 'brain', value 'n/a'"),
        "{e}"
    );
}

#[test]
fn split_without_strata_and_the_id_column() {
    let s = spec(&format!(
        r#"[source]
id = "Patient ID"
id_name = "patient"
{ONE_COVARIATE}
[split]
fraction = 0.5
seed = 7
"#
    ));
    let mut csv = String::from("Patient ID,months,vital,brain\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "P{i},{i},{},{}\n",
            if i % 3 == 0 { "dead" } else { "alive" },
            if i % 10 == 9 { "Unknown" } else { "No" }
        ));
    }
    let c = derive(&s, &csv).unwrap();
    assert_eq!(c.n(), 36);
    let a = &c.attrition;
    assert_eq!(a.final_n.development, Some(18));
    assert_eq!(a.steps[0].excluded.development, Some(2));
    assert_eq!(c.header(), ["patient", "time", "status", "brain", "split"]);
    let text = String::from_utf8(c.to_csv()).unwrap();
    assert!(
        text.starts_with("patient,time,status,brain,split\nP0,0,1,0,"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_covariate_label_names_column_value_line_and_expected_labels() {
    let s = spec(ONE_COVARIATE);
    let e = derive(
        &s,
        "months,vital,brain\n1,dead,Yes\n2,alive,No\n3,alive,Maybe\n",
    )
    .unwrap_err();
    let RegistryError::Label(l) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(l.kind, LabelErrorKind::UnknownLabel);
    assert_eq!(l.path, "export.csv");
    assert_eq!(l.line, 4);
    assert_eq!(l.column, "brain");
    assert_eq!(l.value, "Maybe");
    assert_eq!(l.expected, ["'Yes'", "'No'", "'Unknown' (missing)"]);
    let m = e.to_string();
    assert!(
        m.starts_with("export.csv, line 4, column 'brain', value 'Maybe': a label the specification does not know (covariate 'brain'); expected 'Yes', 'No', 'Unknown' (missing)"),
        "{m}"
    );
    assert!(
        m.contains("hint: add 'Maybe' to covariates[brain].map in small.toml"),
        "{m}"
    );
}

#[test]
fn unknown_outcome_labels_and_bad_times() {
    let s = spec(ONE_COVARIATE);
    let e = derive(&s, "months,vital,brain\n1,dead,Yes\n2,Dead,No\n").unwrap_err();
    let m = e.to_string();
    assert!(m.contains("line 3, column 'vital', value 'Dead'"), "{m}");
    assert!(
        m.contains(
            "expected 'dead' (event), 'alive' (censoring), 'dead, cause unknown' (excluded)"
        ),
        "{m}"
    );
    let e = derive(&s, "months,vital,brain\n1,dead,Yes\nn/a,alive,No\n").unwrap_err();
    assert!(m.contains("outcome event"), "{m}");
    assert!(
        e.to_string()
            .contains("expected a number >= 0, 'Unknown' (unknown)"),
        "{e}"
    );
    let e = derive(&s, "months,vital,brain\n-1,dead,Yes\n").unwrap_err();
    let RegistryError::Label(l) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(l.kind, LabelErrorKind::BadValue);
    assert!(
        e.to_string()
            .contains("line 2, column 'months', value '-1': negative follow-up time"),
        "{e}"
    );
}

#[test]
fn missing_column_names_the_spec_field() {
    let s = spec(ONE_COVARIATE);
    let e = derive(&s, "months,vital,Brain\n1,dead,Yes\n").unwrap_err();
    let RegistryError::Data(d) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(d.kind, prognosis::data::csv::DataErrorKind::MissingColumn);
    let m = e.to_string();
    assert!(
        m.contains("there is no column 'brain' (named by covariates[brain].column in small.toml)"),
        "{m}"
    );
    assert!(m.contains("did you mean 'Brain'?"), "{m}");
}

#[test]
fn spec_errors_name_the_file_and_the_field() {
    // unknown field (with its line)
    let m = spec_err(&format!("{ONE_COVARIATE}colour = \"red\"\n"));
    assert!(m.starts_with("small.toml, line "), "{m}");
    assert!(m.contains("unknown field `colour`"), "{m}");
    // unknown reader
    let m = spec_err(&ONE_COVARIATE.replace("read = \"map\"", "read = \"regex\""));
    assert!(m.contains("unknown variant `regex`"), "{m}");
    assert!(m.contains("number_in_label"), "{m}");
    // empty map, map missing
    let m = spec_err(&ONE_COVARIATE.replace("{ \"Yes\" = 1, \"No\" = 0 }", "{}"));
    assert!(
        m.contains("field covariates[brain].map: the map is empty"),
        "{m}"
    );
    let m = spec_err("[[covariates]]\nname = \"x\"\ncolumn = \"x\"\nread = \"map\"\n");
    assert!(
        m.contains("field covariates[x].map: read = \"map\" needs a map"),
        "{m}"
    );
    // mapped and missing at once
    let m = spec_err(&ONE_COVARIATE.replace("missing = [\"Unknown\"]", "missing = [\"No\"]"));
    assert!(m.contains("label 'No' is both mapped and missing"), "{m}");
    // overlapping code ranges
    let m = spec_err(
        "[[covariates]]\nname = \"s\"\ncolumn = \"s\"\nread = \"codes\"\ncodes = [{ from = 0, to = 20, value = 0 }, { from = 10, to = 90, value = 1 }]\n",
    );
    assert!(
        m.contains("field covariates[s].codes: code ranges 0-20 and 10-90 overlap"),
        "{m}"
    );
    let m = spec_err(
        "[[covariates]]\nname = \"s\"\ncolumn = \"s\"\nread = \"codes\"\ncodes = [{ from = 10, to = 90, value = 1 }]\nmissing = [\"50\"]\n",
    );
    assert!(
        m.contains("missing code '50' lies in the range 10-90"),
        "{m}"
    );
    // reference not a level
    let m = spec_err(
        "[[covariates]]\nname = \"age\"\ncolumn = \"age\"\nread = \"number\"\ncut = { at = [50], labels = [\"young\", \"old\"] }\nreference = \"middle\"\n",
    );
    assert!(
        m.contains("field covariates[age].reference: the reference 'middle' is not a level"),
        "{m}"
    );
    assert!(m.contains("hint: the levels are: 'young', 'old'"), "{m}");
    // a reference on a numeric covariate
    let m = spec_err(&format!("{ONE_COVARIATE}reference = \"0\"\n"));
    assert!(
        m.contains("is numeric, so it has no reference level"),
        "{m}"
    );
    // cut labels
    let m = spec_err(
        "[[covariates]]\nname = \"age\"\ncolumn = \"age\"\nread = \"number\"\ncut = { at = [50, 70], labels = [\"a\", \"b\"] }\n",
    );
    assert!(
        m.contains("2 cut-points make 3 groups, but 2 labels are given"),
        "{m}"
    );
    let m = spec_err(
        "[[covariates]]\nname = \"age\"\ncolumn = \"age\"\nread = \"number\"\ncut = { at = [70, 50], labels = [\"a\", \"b\", \"c\"] }\n",
    );
    assert!(
        m.contains("covariates[age].cut.at: values must increase strictly: 70 then 50"),
        "{m}"
    );
    // fraction, horizons, thresholds
    let m = spec_err(&format!("{ONE_COVARIATE}[split]\nfraction = 1.5\n"));
    assert!(
        m.contains("field split.fraction: 1.5 is not a fraction between 0 and 1"),
        "{m}"
    );
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[validation]\nhorizons = [12, 60, 36]\n"
    ));
    assert!(
        m.contains("field validation.horizons: horizons must increase: 60 then 36"),
        "{m}"
    );
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[validation]\nhorizons = [0, 12]\n"
    ));
    assert!(m.contains("horizon 0 is not a positive time"), "{m}");
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[selection]\nmethod = \"all\"\np_threshold = 0.1\n"
    ));
    assert!(
        m.contains("p_threshold applies only to method = \"univariable\""),
        "{m}"
    );
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[selection]\nmethod = \"stepwise\"\n"
    ));
    assert!(m.contains("unknown variant `stepwise`"), "{m}");
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[risk_groups]\nmethod = \"cutoffs\"\ncutoffs = [100, 50]\n"
    ));
    assert!(m.contains("risk_groups.cutoffs"), "{m}");
    // rules
    let m = spec_err(&format!("{ONE_COVARIATE}[[include]]\nlabel = \"x\"\ncolumn = \"a\"\nvariable = \"brain\"\nknown = true\n"));
    assert!(m.contains("needs exactly one of column"), "{m}");
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[[include]]\nlabel = \"x\"\nvariable = \"liver\"\nknown = true\n"
    ));
    assert!(
        m.contains("field include[1].variable: 'liver' is not an analysis variable"),
        "{m}"
    );
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[[include]]\nlabel = \"x\"\ncolumn = \"bone\"\nknown = true\n"
    ));
    assert!(m.contains("known applies to a variable"), "{m}");
    let m = spec_err(&format!("{ONE_COVARIATE}[[include]]\nlabel = \"x\"\ncolumn = \"bone\"\nin = [\"Yes\"]\nnot_in = [\"Yes\"]\n"));
    assert!(m.contains("label 'Yes' is both kept and excluded"), "{m}");
    let m = spec_err(&format!(
        "{ONE_COVARIATE}[[include]]\nlabel = \"x\"\nvariable = \"status\"\nmin = 1\n"
    ));
    assert!(m.contains("not read as a number"), "{m}");
    // names, outcome
    let m = spec_err(&ONE_COVARIATE.replace("name = \"brain\"", "name = \"time\""));
    assert!(
        m.contains("the analysis column name 'time' is also used by outcome.time.name"),
        "{m}"
    );
    let m = match StudySpec::from_toml(
        &(HEAD.replace("censor = [\"alive\"]", "censor = []") + ONE_COVARIATE),
        "small.toml",
    ) {
        Err(e) => e.to_string(),
        Ok(_) => panic!(),
    };
    assert!(
        m.contains("field outcome.event.censor: no label means censoring"),
        "{m}"
    );
}

#[test]
fn json_specs_are_read_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let toml_spec = flagship_spec();
    let p = dir.path().join("s.json");
    std::fs::write(&p, serde_json::to_string_pretty(&toml_spec).unwrap()).unwrap();
    let j = StudySpec::load(&p).unwrap();
    assert_eq!(j.covariates, toml_spec.covariates);
    assert_eq!(j.rules, toml_spec.rules);
    std::fs::write(&p, "{\"study\": {\"name\": \"x\"}}").unwrap();
    let e = StudySpec::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("s.json, line 1") && e.contains("missing field `outcome`"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

fn prognosis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn cli_prints_the_attrition_table_and_writes_the_analysis_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("analysis.csv");
    let o = prognosis(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        "datasets/bone_mets_synthetic_seer.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    for want in [
        "Attrition (datasets/bone_mets_synthetic_seer.csv)",
        "registry export",
        "2. survival months known",
        "'Dead (missing/unknown COD)'",
        "8. surgery known",
        COMPLETE_CASE_LABEL,
        "1080 rows, 480 events",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    let line = s.lines().find(|l| l.starts_with("cohort")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells, ["cohort", "1080", "756", "324"]);
    // the file is the library's, and nothing else is left in the directory
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, flagship_cohort().to_csv());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // the default export is the spec's source.file
    let out2 = dir.path().join("b.csv");
    let o = prognosis(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&out2).unwrap(), written);
    // and `fit` takes the analysis file as it is
    let o = prognosis(&[
        "fit",
        out.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,liver,lung,pr,surgery,chemo",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("n = 1080, events = 480"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn cli_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.csv");
    let o = prognosis(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        "datasets/bone_mets_synthetic_seer.csv",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["study"], "her2_bone_mets");
    assert_eq!(j["attrition"]["start"]["all"], 1204);
    assert_eq!(j["attrition"]["final"]["all"], 1080);
    assert_eq!(j["attrition"]["final"]["development"], 756);
    assert_eq!(j["attrition"]["events"]["all"], 480);
    assert_eq!(j["attrition"]["steps"][1]["excluded"]["all"], 3);
    assert_eq!(
        j["attrition"]["steps"][1]["reasons"][0]["value"],
        "'Unknown'"
    );
    assert_eq!(j["columns"][0], "id");
    assert_eq!(
        j["export_sha256"],
        "cce7fec30a69a73fe098fd726beec776614b7ae4927f0f5c515bd487693ea098"
    );
}

#[test]
fn cli_errors_write_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.csv");
    let seer =
        std::fs::read_to_string(root().join("datasets/bone_mets_synthetic_seer.csv")).unwrap();
    // line 3 (a complete row) gets a chemotherapy label the specification does not know; line 6
    // too, but that row is excluded (brain unknown) before its chemotherapy is read
    let mut lines: Vec<String> = seer.lines().map(String::from).collect();
    assert!(lines[5].contains("\"Unknown\",\"Yes\",\"Yes\",\"0\",\"Yes\""));
    lines[5] = lines[5].replace("\"0\",\"Yes\"", "\"0\",\"unknown\"");
    assert!(lines[1].contains("\"No/Unknown\""));
    lines[1] = lines[1].replace("\"No/Unknown\"", "\"Unknown\"");
    std::fs::write(&export, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("analysis.csv");
    let o = prognosis(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        export.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("line 2, column 'Chemotherapy recode (yes, no/unk)', value 'Unknown'"),
        "{e}"
    );
    assert!(e.contains("expected 'Yes', 'No/Unknown'"), "{e}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // a bad specification
    let bad = dir.path().join("bad.toml");
    let spec = std::fs::read_to_string(root().join("models/her2_bone_mets.toml")).unwrap();
    std::fs::write(&bad, spec.replace("fraction = 0.7", "fraction = 0")).unwrap();
    let o = prognosis(&[
        "cohort",
        "--spec",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("field split.fraction"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    // no rows left
    std::fs::write(
        &bad,
        spec.replace(
            "in = [\"Yes\"]\nnot_in = [\"No\", \"Unknown\"]",
            "in = [\"No\"]\nnot_in = [\"Yes\", \"Unknown\"]",
        ),
    )
    .unwrap();
    let o = prognosis(&[
        "cohort",
        "--spec",
        bad.to_str().unwrap(),
        root()
            .join("datasets/bone_mets_synthetic_seer.csv")
            .to_str()
            .unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no rows remain"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn cli_simulates_a_seer_export_that_the_flagship_spec_reads() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("seer.csv");
    let o = prognosis(&[
        "simulate",
        "--format",
        "seer",
        "--rows",
        "2000",
        "--seed",
        "3",
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let head = std::fs::read_to_string(&export).unwrap();
    let first = head.lines().next().unwrap();
    let bundled =
        std::fs::read_to_string(root().join("datasets/bone_mets_synthetic_seer.csv")).unwrap();
    assert_eq!(
        first,
        bundled.lines().next().unwrap(),
        "same columns as the bundled listing"
    );
    let out = dir.path().join("a.csv");
    let o = prognosis(&[
        "cohort",
        "--spec",
        "models/her2_bone_mets.toml",
        export.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("registry export"));
}
