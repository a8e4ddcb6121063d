//! `km --by` group order and names: numbers numerically, words in order of first appearance,
//! `--levels` to set the order and `--label LEVEL=NAME` to rename groups in the output and figure;
//! the curves themselves do not depend on the order.

mod common;

use common::cli::run;
use common::root;
use serde_json::Value;

fn km(by: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "km",
        "datasets/rotterdam.csv",
        "--time",
        "rfs_days",
        "--event",
        "recur",
        "--by",
        by,
        "--times",
        "1825",
        "--json",
    ];
    args.extend(extra);
    let (ok, out, err) = run(&args);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn groups(v: &Value) -> Vec<(String, u64, f64)> {
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["n"].as_u64().unwrap(),
                g["at"][0]["surv"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The distinct values of a Rotterdam column in order of first appearance, with their counts.
fn first_appearance(column: &str) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(root().join("datasets/rotterdam.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header
        .iter()
        .position(|h| h.trim_matches('"') == column)
        .unwrap();
    let mut out: Vec<(String, u64)> = Vec::new();
    for line in lines {
        let v = line
            .split(',')
            .nth(k)
            .unwrap()
            .trim_matches('"')
            .to_string();
        match out.iter_mut().find(|(l, _)| *l == v) {
            Some(e) => e.1 += 1,
            None => out.push((v, 1)),
        }
    }
    out
}

#[test]
fn words_in_order_of_first_appearance_numbers_numerically() {
    let size = groups(&km("size", &[]));
    let want = first_appearance("size");
    assert_eq!(size.len(), want.len());
    for ((g, n, _), (l, c)) in size.iter().zip(&want) {
        assert_eq!(g, &format!("size={l}"));
        assert_eq!(n, c);
    }
    // grade is numeric: 2 before 3 whatever comes first in the file
    let grade: Vec<String> = groups(&km("grade", &[])).into_iter().map(|g| g.0).collect();
    assert_eq!(grade, ["grade=2", "grade=3"]);
    let order: Vec<String> = groups(&km("grade", &["--levels", "3"]))
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(order, ["grade=3", "grade=2"]);
}

#[test]
fn levels_and_labels_reorder_and_rename_without_changing_the_curves() {
    let plain = groups(&km("size", &[]));
    let v = km(
        "size",
        &[
            "--levels",
            ">50,20-50",
            "--label",
            "<=20=Small (20 mm or less)",
            "--label",
            ">50=Large",
        ],
    );
    let named = groups(&v);
    let names: Vec<&str> = named.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, ["Large", "size=20-50", "Small (20 mm or less)"]);
    let find = |name: &str| plain.iter().find(|g| g.0 == name).unwrap().clone();
    for (ours, plain_name) in [
        (&named[0], "size=>50"),
        (&named[1], "size=20-50"),
        (&named[2], "size=<=20"),
    ] {
        let p = find(plain_name);
        assert_eq!((ours.1, ours.2), (p.1, p.2), "{plain_name}");
    }
    // the log-rank test does not depend on the order
    let p0 = km("size", &[])["logrank"]["chisq"].as_f64().unwrap();
    let p1 = v["logrank"]["chisq"].as_f64().unwrap();
    assert!((p1 - p0).abs() < 1e-9 * p0, "{p1} vs {p0}");

    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("km.svg");
    let (ok, _, err) = run(&[
        "km",
        "datasets/rotterdam.csv",
        "--time",
        "rfs_days",
        "--event",
        "recur",
        "--by",
        "size",
        "--label",
        "<=20=Small tumours",
        "--out",
        svg.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Small tumours"));
    assert!(!text.contains("size=&lt;=20"));
}

#[test]
fn unknown_levels_and_labels_are_errors_naming_the_levels() {
    let base = [
        "km",
        "datasets/rotterdam.csv",
        "--time",
        "rfs_days",
        "--event",
        "recur",
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend(extra);
        run(&a)
    };
    let (ok, _, err) = with(&["--by", "size", "--levels", "tiny"]);
    assert!(!ok);
    assert!(
        err.contains("'tiny' is not a level") && err.contains("20-50, <=20, >50"),
        "{err}"
    );
    let (ok, _, err) = with(&["--by", "size", "--label", "tiny=Tiny"]);
    assert!(!ok);
    assert!(err.contains("expected LEVEL=NAME"), "{err}");
    let (ok, _, err) = with(&["--levels", "2,3"]);
    assert!(!ok);
    assert!(err.contains("add --by"), "{err}");
}
