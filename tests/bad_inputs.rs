//! The bad-input matrix: the real binary on a table of bad inputs across every command. For each
//! row: no panic (exit status not 101, no "panicked" on standard error), the expected exit status
//! (failure, or success with the expected warning), a message naming the problem, and, on
//! failure, no file written or changed in the working directory. `docs/usage.md` ("Bad input")
//! lists what each kind of input gets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small cohort: time, status, age (numeric), grp (three levels), bin (0/1), w (weights).
fn good_csv() -> String {
    let mut s = String::from("time,status,age,grp,bin,w\n");
    for i in 0..60u32 {
        let time = 1 + (i * 37) % 97;
        let status = u32::from(i % 3 != 0);
        let age = 35 + (i * 17) % 50;
        let grp = ["a", "b", "c"][(i % 3) as usize];
        let bin = (i / 2) % 2;
        s.push_str(&format!("{time},{status},{age},{grp},{bin},1\n"));
    }
    s
}

const SPEC: &str = r#"[study]
name = "bad"
[source]
file = "good.csv"
[outcome.time]
column = "time"
unit = "months"
[outcome.event]
column = "status"
event = ["1"]
censor = ["0"]
[[covariates]]
name = "age"
column = "age"
read = "number"
[[covariates]]
name = "grp"
column = "grp"
read = "map"
map = { "a" = "A", "b" = "B", "c" = "C" }
[validation]
horizons = [12, 24]
bootstrap = 0
[risk_groups]
method = "quantiles"
n = 3
"#;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_prognosis")
}

/// The model fitted once on the good cohort (numeric age, categorical grp, 0/1 bin; months).
fn model_json() -> &'static [u8] {
    static MODEL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.csv"), good_csv()).unwrap();
        let out = Command::new(bin())
            .args([
                "fit",
                "good.csv",
                "--time",
                "time",
                "--event",
                "status",
                "--covariates",
                "age,grp,bin",
                "--categorical",
                "grp",
                "--time-unit",
                "months",
                "--out",
                "model.json",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(dir.path().join("model.json")).unwrap()
    })
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

enum Expect {
    /// Non-zero exit; standard error holds every needle; nothing written.
    Fails(&'static [&'static str]),
    /// Zero exit with a warning holding every needle.
    Warns(&'static [&'static str]),
}
use Expect::*;

struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    expect: Expect,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    expect: Expect,
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        expect,
    }
}

fn data(text: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![("bad.csv", text.as_bytes().to_vec())]
}

fn raw(name: &'static str, bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![(name, bytes.to_vec())]
}

/// `study` of `bad.toml` into `out`, figures as SVG.
const STUDY: [&str; 7] = [
    "study",
    "--spec",
    "bad.toml",
    "--out-dir",
    "out",
    "--formats",
    "svg",
];

/// `fit` of `bad.csv` on time, status and the covariates `covs`.
const FIT: [&str; 6] = ["fit", "bad.csv", "--time", "time", "--event", "status"];

fn fit(covs: &'static str) -> Vec<&'static str> {
    let mut a = FIT.to_vec();
    a.extend(["--covariates", covs]);
    a
}

/// The good cohort with line `k` (1 = first data row) replaced.
fn with_row(k: usize, row: &str) -> String {
    let text = good_csv();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[k] = row;
    lines.join("\n") + "\n"
}

fn model_with(edit: impl Fn(&mut serde_json::Value)) -> Vec<(&'static str, Vec<u8>)> {
    let mut v: serde_json::Value = serde_json::from_slice(model_json()).unwrap();
    edit(&mut v);
    raw("bad.json", &serde_json::to_vec(&v).unwrap())
}

fn cases() -> Vec<Case> {
    let good = good_csv();
    let utf16: Vec<u8> = b"\xFF\xFE"
        .iter()
        .copied()
        .chain(good.bytes().flat_map(|b| [b, 0]))
        .collect();
    // 'é' as one Latin-1 byte
    let mut latin1 = good.replacen(",a,", ",\u{e9},", 1).into_bytes();
    if let Some(p) = latin1.windows(2).position(|w| w == [0xC3, 0xA9]) {
        latin1.splice(p..p + 2, [0xE9]);
    }
    let huge_field = with_row(3, &format!("5,1,{},a,0,1", "9".repeat(1_000_000)));
    let all_censored = good.replace(",1,", ",0,");
    let mut single_event = String::from("time,status,age,grp,bin,w\n");
    for i in 0..30 {
        single_event.push_str(&format!(
            "{},{},{},a,0,1\n",
            i + 1,
            u8::from(i == 5),
            40 + i
        ));
    }
    let mut monotone = String::from("time,status,age,grp,bin,w\n");
    for i in 0..40u32 {
        // every event in bin = 1: the bin coefficient goes to infinity
        let b = i % 2;
        monotone.push_str(&format!("{},{},{},a,{b},1\n", i + 1, b, 40 + (i * 7) % 30));
    }
    let collinear = {
        let mut s = String::from("time,status,age,age2\n");
        for i in 0..30 {
            s.push_str(&format!(
                "{},{},{},{}\n",
                i + 1,
                i % 2,
                40 + i,
                2 * (40 + i)
            ));
        }
        s
    };
    let constant = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},k")
            } else {
                format!("{l},7")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let semicolon_comma = {
        let mut s = String::from("time;status;dose\n");
        for i in 0..20 {
            s.push_str(&format!("{};{};{},{}\n", i + 1, i % 2, i % 4, i % 10));
        }
        s
    };
    let spec_with = |from: &str, to: &str| -> Vec<(&'static str, Vec<u8>)> {
        assert!(SPEC.contains(from));
        vec![("bad.toml", SPEC.replace(from, to).into_bytes())]
    };
    let model_dot = |k: &str, v: serde_json::Value| {
        let path: Vec<String> = k.split('.').map(String::from).collect();
        model_with(move |m| {
            let mut at = &mut *m;
            for p in &path {
                at = match p.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[p.as_str()],
                };
            }
            *at = v.clone();
        })
    };
    vec![
        // ---- fit: the CSV itself
        case(
            "empty file",
            data(""),
            &fit("age"),
            Fails(&["bad.csv", "empty"]),
        ),
        case(
            "header only",
            data("time,status,age\n"),
            &fit("age"),
            Fails(&["bad.csv", "no data rows"]),
        ),
        case(
            "ragged row",
            data(&with_row(4, "5,1")),
            &fit("age"),
            Fails(&["bad.csv", "line 5"]),
        ),
        case(
            "duplicate column",
            data(&good.replacen("bin", "age", 1)),
            &fit("age"),
            Fails(&["bad.csv", "age", "2 times"]),
        ),
        case(
            "quoted newline in a number",
            data(&with_row(2, "5,1,\"4\n7\",a,0,1")),
            &fit("age"),
            Fails(&["bad.csv", "line 3", "age"]),
        ),
        case(
            "missing column",
            data(&good),
            &fit("height"),
            Fails(&["bad.csv", "height"]),
        ),
        case(
            "Inf value",
            data(&with_row(2, "5,1,Inf,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "age", "Inf"]),
        ),
        case(
            "NaN value",
            data(&with_row(2, "5,1,NaN,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "age", "NaN"]),
        ),
        case(
            "1e400 value",
            data(&with_row(2, "5,1,1e400,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "age", "1e400"]),
        ),
        case(
            "1e308 value",
            data(&with_row(2, "5,1,1e308,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "age", "1e308", "extreme value"]),
        ),
        case(
            "text in a number column",
            data(&with_row(2, "5,1,old,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "age", "old"]),
        ),
        case(
            "negative time",
            data(&with_row(2, "-5,1,40,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "time", "-5"]),
        ),
        case(
            "NaN time",
            data(&with_row(2, "NaN,1,40,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "time"]),
        ),
        case(
            "event value 2",
            data(&with_row(2, "5,2,40,a,0,1")),
            &fit("age"),
            Fails(&["line 3", "status", "2"]),
        ),
        case(
            "all censored",
            data(&all_censored),
            &fit("age"),
            Fails(&["no events"]),
        ),
        case("single event", data(&single_event), &fit("age"), Warns(&[])),
        case(
            "constant covariate",
            data(&constant),
            &fit("k"),
            Fails(&["k", "constant"]),
        ),
        case(
            "collinear covariates",
            data(&collinear),
            &fit("age,age2"),
            Fails(&["age2", "linear combination"]),
        ),
        case(
            "monotone likelihood",
            data(&monotone),
            &{
                let mut a = fit("bin");
                a.push("--json");
                a
            },
            Warns(&["bin", "infinite"]),
        ),
        case(
            "negative weight",
            data(&with_row(2, "5,1,40,a,0,-1")),
            &{
                let mut a = fit("age");
                a.extend(["--weights", "w"]);
                a
            },
            Fails(&["line 3", "w", "-1"]),
        ),
        case(
            "weight 1e300",
            data(&with_row(2, "5,1,40,a,0,1e300")),
            &{
                let mut a = fit("age");
                a.extend(["--weights", "w"]);
                a
            },
            Fails(&["line 3", "w", "1e300", "extreme value"]),
        ),
        case(
            "decimal comma",
            data(&semicolon_comma),
            &fit("dose"),
            Fails(&["dose", "decimal comma", "decimal point"]),
        ),
        case(
            "UTF-16 file",
            raw("bad.csv", &utf16),
            &fit("age"),
            Fails(&["UTF-16", "iconv"]),
        ),
        case(
            "Latin-1 file",
            raw("bad.csv", &latin1),
            &fit("age"),
            Fails(&["Latin-1", "iconv"]),
        ),
        case(
            "NUL bytes",
            raw("bad.csv", b"time,status,age\n1,1,4\x000\n"),
            &fit("age"),
            Fails(&["NUL", "iconv"]),
        ),
        case(
            "10 MB field is cut in the message",
            data(&huge_field),
            &fit("age"),
            Fails(&["line 4", "age", "characters)"]),
        ),
        case("no covariates", data(&good), &FIT, Fails(&["covariates"])),
        case(
            "unknown --ties",
            data(&good),
            &{
                let mut a = fit("age");
                a.extend(["--ties", "exact"]);
                a
            },
            Fails(&["--ties", "exact"]),
        ),
        case(
            "fit --out is the input",
            data(&good),
            &{
                let mut a = fit("age");
                a.extend(["--out", "./bad.csv"]);
                a
            },
            Fails(&["bad.csv", "is the input"]),
        ),
        case(
            "fit --out into a missing directory",
            data(&good),
            &{
                let mut a = fit("age");
                a.extend(["--out", "nodir/m.json"]);
                a
            },
            Fails(&["nodir"]),
        ),
        case(
            "--categorical not a covariate",
            data(&good),
            &{
                let mut a = fit("age");
                a.extend(["--categorical", "grp"]);
                a
            },
            Fails(&["grp", "not a covariate"]),
        ),
        // ---- model files (predict and score load them the same way)
        case(
            "model: empty",
            raw("bad.json", b""),
            &["score", "--model", "bad.json", "--set", "age=50"],
            Fails(&["bad.json", "empty"]),
        ),
        case(
            "model: [1,2,3]",
            raw("bad.json", b"[1,2,3]"),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "JSON, but an array"]),
        ),
        case(
            "model: null",
            raw("bad.json", b"null"),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "JSON, but null"]),
        ),
        case(
            "model: not JSON",
            raw("bad.json", b"time,status\n"),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "not JSON"]),
        ),
        case(
            "model: truncated",
            raw("bad.json", &model_json()[..model_json().len() / 2]),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "truncated"]),
        ),
        case(
            "model: other format",
            model_dot("format", "other".into()),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "format 'other'"]),
        ),
        case(
            "model: newer version",
            model_dot("format_version", 9.into()),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "version 9"]),
        ),
        case(
            "model: edited value",
            model_dot("fit.conf_level", 1.5.into()),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "checksum"]),
        ),
        case(
            "model: unknown field",
            model_dot("fit.extra", 1.into()),
            &["score", "--model", "bad.json"],
            Fails(&["bad.json", "unknown field 'fit.extra'"]),
        ),
        case(
            "model: missing file",
            vec![],
            &["score", "--model", "none.json"],
            Fails(&["none.json", "cannot read"]),
        ),
        // ---- score
        case(
            "score: text for a number",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=old", "--set", "grp=a", "--set",
                "bin=0",
            ],
            Fails(&["age", "old"]),
        ),
        case(
            "score: unknown level",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=50", "--set", "grp=z", "--set", "bin=0",
            ],
            Fails(&["grp", "z", "expected one of"]),
        ),
        case(
            "score: covariate missing",
            vec![("m.json", model_json().to_vec())],
            &["score", "--model", "m.json", "--set", "age=50"],
            Fails(&["grp"]),
        ),
        case(
            "score: not COL=VALUE",
            vec![("m.json", model_json().to_vec())],
            &["score", "--model", "m.json", "--set", "age"],
            Fails(&["--set", "COL=VALUE"]),
        ),
        case(
            "score: 0/1 covariate at 0.5",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=50", "--set", "grp=a", "--set",
                "bin=0.5", "--json",
            ],
            Warns(&["bin = 0.5", "none of the values"]),
        ),
        case(
            "score: age outside the training range",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=120", "--set", "grp=a", "--set",
                "bin=0", "--json",
            ],
            Warns(&["age = 120", "outside the training range"]),
        ),
        case(
            "score: horizon past follow-up",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=50", "--set", "grp=a", "--set",
                "bin=0", "--times", "500", "--json",
            ],
            Warns(&["500", "after the last event time"]),
        ),
        case(
            "score: NaN time",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=50", "--set", "grp=a", "--set",
                "bin=0", "--times", "NaN",
            ],
            Fails(&["--times", "NaN"]),
        ),
        case(
            "score: --out is the model",
            vec![("m.json", model_json().to_vec())],
            &[
                "score", "--model", "m.json", "--set", "age=50", "--set", "grp=a", "--set",
                "bin=0", "--out", "m.json",
            ],
            Fails(&["m.json", "is the input"]),
        ),
        // ---- predict
        case(
            "predict: repeated times",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "predict", "--model", "m.json", "good.csv", "--times", "12,12",
            ],
            Fails(&["--times", "twice"]),
        ),
        case(
            "predict: negative time",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &["predict", "--model", "m.json", "good.csv", "--times=-1"],
            Fails(&["--times", "-1"]),
        ),
        case(
            "predict: --out is the data",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "predict", "--model", "m.json", "good.csv", "--times", "12", "--out", "good.csv",
            ],
            Fails(&["good.csv", "is the input"]),
        ),
        case(
            "predict: a covariate column missing",
            vec![
                ("m.json", model_json().to_vec()),
                ("bad.csv", "time,status,age\n1,1,50\n".into()),
            ],
            &["predict", "--model", "m.json", "bad.csv", "--times", "12"],
            Fails(&["bad.csv", "grp"]),
        ),
        // ---- validate
        case(
            "validate: times not increasing",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "validate", "--model", "m.json", "good.csv", "--times", "36,12",
            ],
            Fails(&["--times", "increasing", "12 follows 36"]),
        ),
        case(
            "validate: more groups than patients",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "validate", "--model", "m.json", "good.csv", "--times", "12", "--groups", "5000",
            ],
            Fails(&["5000", "groups", "60"]),
        ),
        case(
            "validate: one group",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "validate", "--model", "m.json", "good.csv", "--times", "12", "--groups", "1",
            ],
            Fails(&["at least 2"]),
        ),
        case(
            "validate: a billion resamples",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "validate",
                "--model",
                "m.json",
                "good.csv",
                "--times",
                "12",
                "--bootstrap",
                "1000000000",
            ],
            Fails(&["1000000000", "bootstrap", "100000"]),
        ),
        case(
            "validate: horizon past follow-up",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "validate", "--model", "m.json", "good.csv", "--times", "500",
            ],
            Fails(&["500", "follow-up"]),
        ),
        case(
            "validate: a file in the way of --out-dir",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
                ("out", b"x".to_vec()),
            ],
            &[
                "validate",
                "--model",
                "m.json",
                "good.csv",
                "--times",
                "12",
                "--out-dir",
                "out",
            ],
            Fails(&["out"]),
        ),
        // ---- km
        case(
            "km: empty file",
            data(""),
            &["km", "bad.csv", "--time", "time", "--event", "status"],
            Fails(&["bad.csv", "empty"]),
        ),
        case(
            "km: --out into a missing directory",
            vec![("good.csv", good.clone().into_bytes())],
            &[
                "km",
                "good.csv",
                "--time",
                "time",
                "--event",
                "status",
                "--out",
                "a.svg",
                "--out",
                "nodir/b.svg",
            ],
            Fails(&["nodir"]),
        ),
        // ---- nomogram
        case(
            "nomogram: one output fails, none written",
            vec![("m.json", model_json().to_vec())],
            &[
                "nomogram",
                "--model",
                "m.json",
                "--out",
                "a.svg",
                "--out",
                "nodir/b.png",
            ],
            Fails(&["nodir", "nothing was written"]),
        ),
        case(
            "nomogram: unknown format",
            vec![("m.json", model_json().to_vec())],
            &["nomogram", "--model", "m.json", "--out", "a.gif"],
            Fails(&["a.gif"]),
        ),
        case(
            "nomogram: the same output twice",
            vec![("m.json", model_json().to_vec())],
            &[
                "nomogram", "--model", "m.json", "--out", "a.svg", "--out", "./a.svg",
            ],
            Fails(&["a.svg", "twice"]),
        ),
        // ---- risk-groups
        case(
            "risk-groups: --groups 0",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "risk-groups",
                "--model",
                "m.json",
                "good.csv",
                "--groups",
                "0",
            ],
            Fails(&["--groups 0", "at least 2"]),
        ),
        case(
            "risk-groups: decreasing cut-offs",
            vec![
                ("m.json", model_json().to_vec()),
                ("good.csv", good.clone().into_bytes()),
            ],
            &[
                "risk-groups",
                "--model",
                "m.json",
                "good.csv",
                "--cutoffs",
                "2,1",
                "--on",
                "lp",
            ],
            Fails(&["cut"]),
        ),
        // ---- split
        case(
            "split: a tiny fraction",
            vec![("good.csv", good.clone().into_bytes())],
            &[
                "split",
                "good.csv",
                "--out-dev",
                "d.csv",
                "--out-val",
                "v.csv",
                "--fraction",
                "0.0001",
            ],
            Fails(&["empty", "--fraction"]),
        ),
        case(
            "split: one row",
            data("time,status\n1,1\n"),
            &[
                "split",
                "bad.csv",
                "--out-dev",
                "d.csv",
                "--out-val",
                "v.csv",
            ],
            Fails(&["empty"]),
        ),
        case(
            "split: both outputs the same",
            vec![("good.csv", good.clone().into_bytes())],
            &[
                "split",
                "good.csv",
                "--out-dev",
                "d.csv",
                "--out-val",
                "d.csv",
            ],
            Fails(&["d.csv", "twice"]),
        ),
        case(
            "split: output is the input",
            vec![("good.csv", good.clone().into_bytes())],
            &[
                "split",
                "good.csv",
                "--out-dev",
                "good.csv",
                "--out-val",
                "v.csv",
            ],
            Fails(&["good.csv", "is the input"]),
        ),
        case(
            "split: fraction 1.5",
            vec![("good.csv", good.clone().into_bytes())],
            &[
                "split",
                "good.csv",
                "--out-dev",
                "d.csv",
                "--out-val",
                "v.csv",
                "--fraction",
                "1.5",
            ],
            Fails(&["--fraction"]),
        ),
        case(
            "split: ragged rows",
            data("a,b\n1,2\n3\n"),
            &[
                "split",
                "bad.csv",
                "--out-dev",
                "d.csv",
                "--out-val",
                "v.csv",
            ],
            Fails(&["bad.csv"]),
        ),
        // ---- cohort and study specifications
        case(
            "spec: map value NaN",
            {
                let mut f = spec_with("\"c\" = \"C\"", "\"c\" = nan");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &["cohort", "--spec", "bad.toml", "--out", "an.csv"],
            Fails(&["bad.toml", "NaN", "not a usable number"]),
        ),
        case(
            "spec: map value 1e300",
            {
                let mut f = spec_with("\"c\" = \"C\"", "\"c\" = 1e300");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &["cohort", "--spec", "bad.toml", "--out", "an.csv"],
            Fails(&["bad.toml", "not a usable number"]),
        ),
        case(
            "spec: truncated",
            vec![(
                "bad.toml",
                SPEC.as_bytes()[..SPEC.find("read = \"map\"").unwrap() + 9].to_vec(),
            )],
            &["cohort", "--spec", "bad.toml", "--out", "an.csv"],
            Fails(&["bad.toml", "line"]),
        ),
        case(
            "spec: unknown field",
            {
                let mut f = spec_with("[validation]", "[validation]\nhorizon = 3");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &["cohort", "--spec", "bad.toml", "--out", "an.csv"],
            Fails(&["bad.toml", "horizon"]),
        ),
        case(
            "cohort: --out is the export",
            {
                let mut f = spec_with("[validation]", "[validation]");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &["cohort", "--spec", "bad.toml", "--out", "good.csv"],
            Fails(&["good.csv", "is the input"]),
        ),
        case(
            "cohort: export missing",
            spec_with("[validation]", "[validation]"),
            &["cohort", "--spec", "bad.toml", "--out", "an.csv"],
            Fails(&["good.csv"]),
        ),
        case(
            "study: a billion resamples",
            {
                let mut f = spec_with("bootstrap = 0", "bootstrap = 1000000000");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &[
                "study",
                "--spec",
                "bad.toml",
                "--out-dir",
                "out",
                "--formats",
                "svg",
            ],
            Fails(&["bootstrap", "100000"]),
        ),
        case(
            "study: a directory in the way",
            {
                let mut f = spec_with("[validation]", "[validation]");
                f.push(("good.csv", good.clone().into_bytes()));
                f.push(("out/table1.csv/keep", b"x".to_vec()));
                f
            },
            &[
                "study",
                "--spec",
                "bad.toml",
                "--out-dir",
                "out",
                "--formats",
                "svg",
            ],
            Fails(&["table1.csv", "directory"]),
        ),
        case(
            "study: horizon beyond follow-up",
            {
                let mut f = spec_with("horizons = [12, 24]", "horizons = [12, 500]");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &[
                "study",
                "--spec",
                "bad.toml",
                "--out-dir",
                "out",
                "--formats",
                "svg",
            ],
            Fails(&["bad.toml", "validation.horizons", "500"]),
        ),
        case(
            "study: a tiny split fraction",
            {
                let mut f = spec_with(
                    "[validation]",
                    "[split]\nfraction = 0.0001\nseed = 1\n[validation]",
                );
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &[
                "study",
                "--spec",
                "bad.toml",
                "--out-dir",
                "out",
                "--formats",
                "svg",
            ],
            Fails(&["bad.toml", "split.fraction", "0 patients"]),
        ),
        case(
            "study: a split that leaves 3 patients",
            {
                let mut f = spec_with(
                    "[validation]",
                    "[split]\nfraction = 0.05\nseed = 1\n[validation]",
                );
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&[
                "bad.toml",
                "split.fraction",
                "3 patients",
                "development set",
            ]),
        ),
        case(
            "study: a validation set smaller than the calibration groups",
            {
                let mut f = spec_with(
                    "[validation]",
                    "[split]\nfraction = 0.95\nseed = 1\n[validation]",
                );
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&[
                "bad.toml",
                "split.fraction",
                "validation set",
                "validation.groups",
            ]),
        ),
        case(
            "study: a development set with a level without events",
            {
                let mut f = spec_with(
                    "[validation]",
                    "[split]\nfraction = 0.1\nseed = 1\n[validation]",
                );
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&[
                "bad.toml",
                "split.fraction = 0.1",
                "development set (6 patients",
            ]),
        ),
        case(
            "study: a horizon before the first follow-up",
            {
                let mut f = spec_with("horizons = [12, 24]", "horizons = [0.5, 12]");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&[
                "bad.toml",
                "validation.horizons",
                "0.5",
                "before the first follow-up",
            ]),
        ),
        case(
            "study: a horizon beyond the follow-up of the validation set",
            {
                let mut f = spec_with("horizons = [12, 24]", "horizons = [12, 95]");
                let text = String::from_utf8(f[0].1.clone()).unwrap().replace(
                    "[risk_groups]",
                    "[split]\nfraction = 0.7\nseed = 1\n[risk_groups]",
                );
                f[0].1 = text.into_bytes();
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&["bad.toml", "validation.horizons", "95", "split.fraction"]),
        ),
        case(
            "study: a validation row with a level the development set lacks",
            {
                let mut f = spec_with(
                    "[validation]",
                    "[split]\nfraction = 0.7\nseed = 4\n[validation]",
                );
                // one patient of level c (row 42, file line 43): in the validation set
                let rare: String = good
                    .lines()
                    .enumerate()
                    .map(|(k, l)| {
                        let mut f: Vec<String> = l.split(',').map(String::from).collect();
                        if k > 0 {
                            f[3] = if k == 42 {
                                "c"
                            } else if f[3] == "c" {
                                "a"
                            } else {
                                &f[3]
                            }
                            .to_string();
                        }
                        f.join(",") + "\n"
                    })
                    .collect();
                f.push(("good.csv", rare.into_bytes()));
                f
            },
            &STUDY,
            Fails(&["bad.toml", "split.seed", "good.csv line 43", "'grp'"]),
        ),
        case(
            "study: an unknown p-value style",
            {
                let mut f = spec_with("[validation]", "[report]\np_values = \"apa\"\n[validation]");
                f.push(("good.csv", good.clone().into_bytes()));
                f
            },
            &STUDY,
            Fails(&["bad.toml", "apa", "three_decimals"]),
        ),
        case(
            "km: an unknown --p-style",
            data(&good),
            &[
                "km",
                "bad.csv",
                "--time",
                "time",
                "--event",
                "status",
                "--p-style",
                "apa",
            ],
            Fails(&["--p-style", "journal"]),
        ),
        // ---- simulate, calculator, plot
        case(
            "simulate: 1e11 rows",
            vec![],
            &["simulate", "--rows", "100000000000", "--out", "s.csv"],
            Fails(&["--rows", "10000000"]),
        ),
        case(
            "simulate: 0 rows",
            vec![],
            &["simulate", "--rows", "0", "--out", "s.csv"],
            Fails(&["--rows"]),
        ),
        case(
            "calculator: --out is the model",
            vec![("m.json", model_json().to_vec())],
            &["calculator", "--model", "m.json", "--out", "m.json"],
            Fails(&["m.json", "is the input"]),
        ),
        case(
            "plot: profile without a value",
            vec![("m.json", model_json().to_vec())],
            &[
                "plot",
                "survival",
                "--model",
                "m.json",
                "--profile",
                "age=50",
                "--out",
                "p.svg",
            ],
            Fails(&["grp"]),
        ),
    ]
}

#[test]
fn every_bad_input_gets_a_clear_error_and_writes_nothing() {
    let all = cases();
    assert!(all.len() >= 60, "{} rows", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &c.files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let before = snapshot(dir.path());
        let out = Command::new(bin())
            .args(&c.args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() == Some(101) || stderr.contains("panicked") {
            problems.push("panicked".to_string());
        }
        if stderr.len() > 20_000 {
            problems.push(format!("{} bytes of standard error", stderr.len()));
        }
        if stderr.chars().any(|ch| ch.is_control() && ch != '\n') {
            problems.push("a control character on standard error".into());
        }
        let needles = match &c.expect {
            Fails(n) => {
                if out.status.success() {
                    problems.push("exit status 0".into());
                }
                if snapshot(dir.path()) != before {
                    problems.push("files were written or changed".into());
                }
                n
            }
            Warns(n) => {
                if !out.status.success() {
                    problems.push("non-zero exit status".into());
                }
                if !n.is_empty() && !stderr.contains("warning") {
                    problems.push("no warning".into());
                }
                n
            }
        };
        let shown = if stderr.len() > 600 {
            &stderr[..600]
        } else {
            &stderr[..]
        };
        for n in needles.iter() {
            if !stderr.contains(n) {
                problems.push(format!("no '{n}'"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                c.name,
                problems.join("; "),
                shown.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
