//! External validation without editing files: `validate`, `predict` and `risk-groups` with
//! `--time`, `--event`, `--event-value`, `--map` and `--level` on a cohort whose columns are named and
//! coded differently give exactly what they give on the same cohort rewritten with the model's
//! names and codes; a column the data lacks is an error naming what to add.

mod common;

use common::cli::{ok, run, Dir};
use common::root;
use serde_json::Value;

/// A Rotterdam model of recurrence-free survival, fitted by the binary.
fn rotterdam_model(dir: &Dir) -> String {
    let model = dir.path("rotterdam_rfs.json");
    ok(&[
        "fit",
        "datasets/rotterdam.csv",
        "--time",
        "rfs_days",
        "--event",
        "recur",
        "--covariates",
        "age,meno,grade,nodes,pgr,er,hormon",
        "--time-unit",
        "days",
        "--out",
        &model,
    ]);
    model
}

/// GBSG as the model names and codes it (the file one would make by hand), and as another
/// hospital might send it: other column names, the event and menopause as words.
fn gbsg_files(dir: &Dir) -> (String, String) {
    let text = std::fs::read_to_string(root().join("datasets/gbsg.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (time, status, meno, pgr) = (col("rfs_days"), col("status"), col("meno"), col("pgr"));
    let keep = ["age", "grade", "nodes", "er", "hormon"].map(col);
    let mut model_names = String::from("rfs_days,recur,age,meno,grade,nodes,pgr,er,hormon\n");
    let mut hospital = String::from("Age,Grade,Nodes,ER,Hormon,FollowUp,Outcome,Menopause,PgR\n");
    for (k, rec) in rdr.records().enumerate() {
        let r = rec.unwrap();
        let kept: Vec<&str> = keep.iter().map(|&i| &r[i]).collect();
        model_names.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            &r[time], &r[status], kept[0], &r[meno], kept[1], kept[2], &r[pgr], kept[3], kept[4]
        ));
        let outcome = if &r[status] == "1" {
            "relapse"
        } else {
            "censored"
        };
        // premenopausal written two ways, to merge
        let menopause = match (&r[meno], k % 2) {
            ("1", _) => "post",
            (_, 0) => "pre",
            _ => "Pre",
        };
        hospital.push_str(&format!(
            "{},{},{},{},{},{},{outcome},{menopause},{}\n",
            kept[0], kept[1], kept[2], kept[3], kept[4], &r[time], &r[pgr]
        ));
    }
    let (a, b) = (
        dir.path("gbsg_model_names.csv"),
        dir.path("gbsg_hospital.csv"),
    );
    std::fs::write(&a, model_names).unwrap();
    std::fs::write(&b, hospital).unwrap();
    (a, b)
}

const MAP: [&str; 22] = [
    "--time",
    "FollowUp",
    "--event",
    "Outcome",
    "--event-value",
    "relapse",
    "--map",
    "age=Age",
    "--map",
    "meno=Menopause",
    "--map",
    "grade=Grade",
    "--map",
    "nodes=Nodes",
    "--map",
    "pgr=PgR",
    "--map",
    "er=ER",
    "--map",
    "hormon=Hormon",
    "--level",
    "meno:post=1",
];

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

#[test]
fn mapped_columns_give_what_the_renamed_file_gives() {
    let dir = Dir::new("same");
    let model = rotterdam_model(&dir);
    let (renamed, hospital) = gbsg_files(&dir);
    let levels = ["--level", "meno:pre=0", "--level", "meno:Pre=0"];
    let mapped: Vec<&str> = MAP.iter().chain(&levels).copied().collect();

    let validate = [
        "validate",
        "--model",
        &model,
        "--times",
        "1095,1825",
        "--json",
    ];
    let want: Value = serde_json::from_str(&ok(&with(&validate, &[&renamed]))).unwrap();
    let got: Value = serde_json::from_str(&ok(&with(
        &validate,
        &[&[hospital.as_str()], &mapped[..]].concat(),
    )))
    .unwrap();
    assert_eq!(got, want, "validate");

    let predict = ["predict", "--model", &model, "--times", "1825"];
    let pmap: Vec<&str> = mapped[6..].to_vec(); // no outcome options for predict
    let want = ok(&with(&predict, &[&renamed]));
    let got = ok(&with(&predict, &[&[hospital.as_str()], &pmap[..]].concat()));
    assert_eq!(got, want, "predict");
    assert_eq!(want.lines().count(), 687, "one line per patient");

    let rg = [
        "risk-groups",
        "--model",
        &model,
        "--times",
        "1825",
        "--json",
    ];
    let want = ok(&with(&rg, &[&renamed]));
    let got = ok(&with(&rg, &[&[hospital.as_str()], &mapped[..]].concat()));
    let (w, g): (Value, Value) = (
        serde_json::from_str(&want).unwrap(),
        serde_json::from_str(&got).unwrap(),
    );
    assert_eq!(g, w, "risk-groups");

    // without the second spelling, those rows have a level the model does not know: left out
    let mut short: Vec<&str> = MAP.to_vec();
    short.extend(["--level", "meno:pre=0"]);
    let (success, _, stderr) = run(
        &with(&validate, &[&[hospital.as_str()], &short[..]].concat())
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    assert!(success, "{stderr}");
    assert!(stderr.contains("level the model does not know"), "{stderr}");
}

#[test]
fn a_missing_column_names_what_to_add() {
    let dir = Dir::new("missing");
    let model = rotterdam_model(&dir);
    let (success, _, stderr) = run(&[
        "validate",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1825",
    ]);
    assert!(!success);
    for want in [
        "datasets/gbsg.csv",
        "the model's event 'recur'",
        "--event COLUMN",
        "its covariates: age, meno, grade, nodes, pgr, er, hormon",
        "the data's columns are: pid, age, meno, size, grade, nodes, pgr, er, hormon, pr, rfs_days, status",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in: {stderr}");
    }
    // every missing column at once, with a case-insensitive match as the suggestion
    let (_, hospital) = gbsg_files(&dir);
    let (success, _, stderr) = run(&["validate", "--model", &model, &hospital, "--times", "1825"]);
    assert!(!success);
    for want in [
        "time 'rfs_days'",
        "event 'recur'",
        "covariate 'age'",
        "--map age=Age",
        "--map pgr=PgR",
        "--map meno=COLUMN",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in: {stderr}");
    }
    // a name the model does not have, a level the data does not have
    let (success, _, stderr) = run(&[
        "predict",
        "--model",
        &model,
        &hospital,
        "--times",
        "1825",
        "--map",
        "size=Size",
    ]);
    assert!(!success);
    assert!(
        stderr.contains("the model has no column 'size'"),
        "{stderr}"
    );
    let mut args: Vec<&str> = vec!["validate", "--model", &model, &hospital, "--times", "1825"];
    args.extend(MAP);
    args.extend(["--level", "meno:peri=0"]);
    let (success, _, stderr) = run(&args);
    assert!(!success);
    assert!(
        stderr.contains("--level meno:peri=0: the data has no value 'peri' in 'Menopause'")
            && stderr.contains("pre, 1, Pre"),
        "{stderr}"
    );
    let (success, _, stderr) = run(&[
        "predict", "--model", &model, &hospital, "--times", "1825", "--event", "Outcome",
    ]);
    assert!(!success);
    assert!(stderr.contains("does not read"), "{stderr}");
}

#[test]
fn predict_carries_an_identifier_column() {
    let dir = Dir::new("id");
    let model = rotterdam_model(&dir);
    let csv = ok(&[
        "predict",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1825",
        "--id",
        "pid",
    ]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("row,id,lp,"), "{csv}");
    // gbsg.csv's first patient is pid 132, on line 2
    assert!(lines.next().unwrap().starts_with("2,132,"), "{csv}");
    let plain = ok(&[
        "predict",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1825",
    ]);
    // the same numbers with the id column taken out
    for (with, without) in csv.lines().skip(1).zip(plain.lines().skip(1)) {
        let mut f: Vec<&str> = with.split(',').collect();
        f.remove(1);
        assert_eq!(f.join(","), without);
    }
    let json: Value = serde_json::from_str(&ok(&[
        "predict",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1825",
        "--id",
        "pid",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json[0]["id"], "132");
    let (success, _, stderr) = run(&[
        "predict",
        "--model",
        &model,
        "datasets/gbsg.csv",
        "--times",
        "1825",
        "--id",
        "patient",
    ]);
    assert!(!success);
    assert!(stderr.contains("there is no column 'patient'"), "{stderr}");
}
