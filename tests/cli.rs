//! End-to-end tests of the `prognosis` binary: every command run as a user runs it, on the bundled
//! datasets and on small files written to a temporary directory. Numbers are checked against the
//! R reference values in `../shared/reference/reference.json` (copied below as constants, with the
//! path of each one inside that file).

use serde_json::Value;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// ---------------------------------------------------------------------------------------------
// Reference values (R survival 3.5.3), copied from /work/shared/reference/reference.json.
// ---------------------------------------------------------------------------------------------

/// Covariates of the `bone_mets_css` case (`bone_mets_css.covariates`).
const BONE_COVARIATES: &str = "age,brain,liver,lung,pr,surgery,chemo";
const BONE_TERMS: [&str; 7] = ["age", "brain", "liver", "lung", "pr", "surgery", "chemo"];
/// `bone_mets_css.n_complete`, `bone_mets_css.n_events`.
const BONE_N: u64 = 1204;
const BONE_EVENTS: u64 = 543;

/// `bone_mets_css.efron.coef`.
const BONE_EFRON_COEF: [f64; 7] = [
    0.0250696651666355,
    0.450383960200499,
    0.65998295354041,
    0.188177461555537,
    -0.306939391258713,
    -0.7695033472321,
    -0.32643987833108,
];
/// `bone_mets_css.efron.se`.
const BONE_EFRON_SE: [f64; 7] = [
    0.00327807550939152,
    0.148417161840596,
    0.0910240337962412,
    0.0919809129719484,
    0.0867677343933397,
    0.101901422254123,
    0.0969165189946949,
];
/// `bone_mets_css.efron.loglik`.
const BONE_EFRON_LOGLIK: [f64; 2] = [-3477.58126601398, -3375.39366401896];
/// `bone_mets_css.efron.lr_test` (statistic, df, p) and `score_test`.
const BONE_EFRON_LR: [f64; 3] = [204.375203990031, 7.0, 1.35849374098535e-40];
const BONE_EFRON_SCORE: [f64; 3] = [210.966694937325, 7.0, 5.44332575765009e-42];

/// `bone_mets_css.breslow.coef`, `.se` and `.loglik`.
const BONE_BRESLOW_COEF: [f64; 7] = [
    0.0248475439901974,
    0.444763583066451,
    0.654060240234264,
    0.184833301273225,
    -0.304851384638952,
    -0.763189200515489,
    -0.32336145101209,
];
const BONE_BRESLOW_SE: [f64; 7] = [
    0.00327725793797686,
    0.148410856144604,
    0.0910230962508735,
    0.0919669805264494,
    0.0867651914226695,
    0.10189337837005,
    0.0968996220984202,
];
const BONE_BRESLOW_LOGLIK: [f64; 2] = [-3481.2267560248, -3380.63735926227];

/// `bone_mets_css.efron.profiles[0]` (the first row of the file: age 57, lung 1, pr 1) at
/// times 12, 36, 60: surv, std_err, lower95, upper95.
const PROFILE0_SURV: [f64; 3] = [0.81591407865513, 0.559546339282742, 0.369508577732127];
const PROFILE0_SE: [f64; 3] = [0.0226226183706276, 0.0415052572153443, 0.0473062165657298];
const PROFILE0_LOWER: [f64; 3] = [0.772757810097266, 0.483834467864362, 0.287507859471504];
const PROFILE0_UPPER: [f64; 3] = [0.861480498869181, 0.647105831849272, 0.474896892448785];

/// `rotterdam_os`: covariates, and the Efron fit with `size` reference "<=20" (R's term names).
const ROTTERDAM_COVARIATES: &str = "age,meno,size,grade,nodes,pr,er,hormon,chemo";
const ROTTERDAM_N: u64 = 2982;
const ROTTERDAM_EVENTS: u64 = 1272;
const ROTTERDAM_R_TERMS: [&str; 10] = [
    "age",
    "meno",
    "size>50",
    "size20-50",
    "grade",
    "nodes",
    "pr",
    "er",
    "hormon",
    "chemo",
];
const ROTTERDAM_EFRON_COEF: [f64; 10] = [
    0.0155809543829939,
    0.0183454324864489,
    0.817830465707682,
    0.430499998619809,
    0.312143392519467,
    0.0744177776837571,
    -0.288014934126196,
    -3.54856804207913e-05,
    -0.06449605374173,
    0.0495999201874292,
];
const ROTTERDAM_EFRON_LOGLIK: [f64; 2] = [-9527.30661239152, -9259.71643791088];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dataset(name: &str) -> PathBuf {
    manifest_dir().join("datasets").join(name)
}

fn bone_mets() -> PathBuf {
    dataset("bone_mets_synthetic.csv")
}

/// The result of one run of the binary, with its output as text.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    args: String,
}

impl Run {
    fn context(&self) -> String {
        format!(
            "prognosis {}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts success and no panic; returns standard output.
    fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.context());
        self.assert_no_panic();
        &self.stdout
    }

    /// Asserts a clean failure: exit status 1, no panic, an `error:` message on standard error.
    fn fails(&self) -> &str {
        assert_eq!(self.code, Some(1), "expected a failure\n{}", self.context());
        self.assert_no_panic();
        assert!(
            self.stderr.starts_with("error: "),
            "expected an error message\n{}",
            self.context()
        );
        &self.stderr
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "the binary panicked\n{}",
            self.context()
        );
    }

    fn json(&self) -> Value {
        let out = self.ok();
        serde_json::from_str(out)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.context()))
    }
}

fn prognosis<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(&args)
        .env_remove("PROGNOSIS_TIMING")
        .stdin(Stdio::null())
        .output()
        .expect("the prognosis binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        ((actual - expected) / scale).abs() <= tol,
        "{what}: got {actual:e}, expected {expected:e} (relative tolerance {tol:e})"
    );
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: expected a number, got {v}"))
}

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key)
        .unwrap_or_else(|| panic!("missing key '{key}' in {v}"))
}

/// `(term, coef, se)` of every coefficient of a `fit --json` document.
fn coefs(j: &Value) -> Vec<(String, f64, f64)> {
    field(j, "coefficients")
        .as_array()
        .expect("coefficients is an array")
        .iter()
        .map(|c| {
            (
                field(c, "term").as_str().expect("term").to_string(),
                num(field(c, "coef"), "coef"),
                num(field(c, "se"), "se"),
            )
        })
        .collect()
}

fn fit_bone_json(extra: &[&str]) -> Value {
    let data = bone_mets();
    let mut args = vec![
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--json",
    ];
    args.extend_from_slice(extra);
    prognosis(&args).json()
}

/// Fits the bone-metastasis model and saves it in `dir`; returns the model path.
fn bone_model(dir: &Path, time_unit: Option<&str>) -> PathBuf {
    let model = dir.join("bone.json");
    let data = bone_mets();
    let mut args = vec![
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--out",
        s(&model),
    ];
    if let Some(u) = time_unit {
        args.extend(["--time-unit", u]);
    }
    prognosis(&args).ok();
    assert!(model.is_file());
    model
}

/// The `--set` arguments for the first patient of the bone-metastasis file.
fn profile0_sets(age: &str) -> Vec<String> {
    let values = [
        ("age", age),
        ("brain", "0"),
        ("liver", "0"),
        ("lung", "1"),
        ("pr", "1"),
        ("surgery", "0"),
        ("chemo", "0"),
    ];
    values
        .iter()
        .flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")])
        .collect()
}

/// Lines of the bundled bone-metastasis file (header first).
fn bone_lines() -> Vec<String> {
    std::fs::read_to_string(bone_mets())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .expect("a CSV header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.expect("every CSV line has as many fields as the header")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column '{name}' in {header:?}"))
}

// ---------------------------------------------------------------------------------------------
// 1. fit --json: structure and the R reference
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_json_has_every_field_and_matches_r_efron() {
    let j = fit_bone_json(&[]);
    assert_eq!(field(&j, "n").as_u64(), Some(BONE_N));
    assert_eq!(field(&j, "events").as_u64(), Some(BONE_EVENTS));
    assert_eq!(field(&j, "dropped").as_u64(), Some(0));
    assert_eq!(field(&j, "ties").as_str(), Some("efron"));
    let iterations = field(&j, "iterations").as_u64().expect("iterations");
    assert!((1..=20).contains(&iterations), "iterations {iterations}");
    assert_eq!(field(&j, "converged").as_bool(), Some(true));

    let loglik = field(&j, "loglik").as_array().expect("loglik array");
    assert_eq!(loglik.len(), 2);
    assert_rel(
        num(&loglik[0], "loglik[0]"),
        BONE_EFRON_LOGLIK[0],
        1e-6,
        "initial loglik",
    );
    assert_rel(
        num(&loglik[1], "loglik[1]"),
        BONE_EFRON_LOGLIK[1],
        1e-6,
        "final loglik",
    );

    let tests = field(&j, "tests");
    for name in ["likelihood_ratio", "wald", "score"] {
        let t = field(tests, name);
        let stat = num(field(t, "statistic"), "statistic");
        let df = num(field(t, "df"), "df");
        let p = num(field(t, "p"), "p");
        assert!(stat > 0.0, "{name} statistic {stat}");
        assert_eq!(df, 7.0, "{name} df");
        assert!((0.0..1e-30).contains(&p), "{name} p {p}");
    }
    let lr = field(tests, "likelihood_ratio");
    assert_rel(
        num(field(lr, "statistic"), "lr"),
        BONE_EFRON_LR[0],
        1e-6,
        "LR statistic",
    );
    assert_rel(num(field(lr, "p"), "lr p"), BONE_EFRON_LR[2], 1e-5, "LR p");
    let score = field(tests, "score");
    assert_rel(
        num(field(score, "statistic"), "score"),
        BONE_EFRON_SCORE[0],
        1e-6,
        "score statistic",
    );
    // R's summary rounds the Wald statistic to 207; compare loosely
    assert_rel(
        num(field(field(tests, "wald"), "statistic"), "wald"),
        207.0,
        1e-3,
        "Wald statistic",
    );

    let rows = field(&j, "coefficients")
        .as_array()
        .expect("coefficients array");
    assert_eq!(rows.len(), BONE_TERMS.len());
    for (k, row) in rows.iter().enumerate() {
        for key in ["term", "coef", "se", "hr", "hr_lower", "hr_upper", "z", "p"] {
            field(row, key);
        }
        assert_eq!(field(row, "term").as_str(), Some(BONE_TERMS[k]));
        let coef = num(field(row, "coef"), "coef");
        let se = num(field(row, "se"), "se");
        assert_rel(
            coef,
            BONE_EFRON_COEF[k],
            1e-6,
            &format!("coef {}", BONE_TERMS[k]),
        );
        assert_rel(se, BONE_EFRON_SE[k], 1e-6, &format!("se {}", BONE_TERMS[k]));
        assert_rel(
            num(field(row, "hr"), "hr"),
            coef.exp(),
            1e-12,
            "hr = exp(coef)",
        );
        assert_rel(num(field(row, "z"), "z"), coef / se, 1e-12, "z = coef / se");
        let (lo, hi) = (
            num(field(row, "hr_lower"), "lo"),
            num(field(row, "hr_upper"), "hi"),
        );
        assert_rel(lo, (coef - 1.959963984540054 * se).exp(), 1e-9, "hr_lower");
        assert_rel(hi, (coef + 1.959963984540054 * se).exp(), 1e-9, "hr_upper");
        let p = num(field(row, "p"), "p");
        assert!((0.0..=1.0).contains(&p));
    }
}

/// The constants above are the numbers in the shared reference file (when it is present).
#[test]
fn reference_constants_match_reference_json() {
    let path = manifest_dir().join("../shared/reference/reference.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{} is absent: constants not cross-checked", path.display());
        return;
    };
    let r: Value = serde_json::from_str(&text).expect("reference.json parses");
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let bone = &r["bone_mets_css"];
    assert_eq!(floats(&bone["efron"]["coef"]), BONE_EFRON_COEF);
    assert_eq!(floats(&bone["efron"]["se"]), BONE_EFRON_SE);
    assert_eq!(floats(&bone["efron"]["loglik"]), BONE_EFRON_LOGLIK);
    assert_eq!(floats(&bone["efron"]["lr_test"]), BONE_EFRON_LR);
    assert_eq!(floats(&bone["efron"]["score_test"]), BONE_EFRON_SCORE);
    assert_eq!(floats(&bone["breslow"]["coef"]), BONE_BRESLOW_COEF);
    assert_eq!(floats(&bone["breslow"]["se"]), BONE_BRESLOW_SE);
    assert_eq!(floats(&bone["breslow"]["loglik"]), BONE_BRESLOW_LOGLIK);
    let p0 = &bone["efron"]["profiles"][0];
    assert_eq!(floats(&p0["times"]), [12.0, 36.0, 60.0]);
    assert_eq!(floats(&p0["surv"]), PROFILE0_SURV);
    assert_eq!(floats(&p0["std_err"]), PROFILE0_SE);
    assert_eq!(floats(&p0["lower95"]), PROFILE0_LOWER);
    assert_eq!(floats(&p0["upper95"]), PROFILE0_UPPER);
    assert_eq!(bone["n_complete"].as_u64(), Some(BONE_N));
    assert_eq!(bone["n_events"].as_u64(), Some(BONE_EVENTS));
    let rot = &r["rotterdam_os"];
    assert_eq!(floats(&rot["efron"]["coef"]), ROTTERDAM_EFRON_COEF);
    assert_eq!(floats(&rot["efron"]["loglik"]), ROTTERDAM_EFRON_LOGLIK);
    let terms: Vec<&str> = rot["efron"]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(terms, ROTTERDAM_R_TERMS);
    assert_eq!(rot["factor_reference"]["size"].as_str(), Some("<=20"));
}

// ---------------------------------------------------------------------------------------------
// 2. fit: text output and --out
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_text_shows_table_header_terms_and_tests() {
    let data = bone_mets();
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--time-unit",
        "months",
    ]);
    let out = run.ok();
    assert!(
        out.starts_with("Cox proportional-hazards model  (ties: efron)"),
        "{out}"
    );
    assert!(
        out.contains("Outcome: time 'time' (months), event 'status' = 1"),
        "{out}"
    );
    assert!(
        out.contains("rows read 1204, used 1204, dropped 0"),
        "{out}"
    );
    assert!(out.contains("n = 1204, events = 543"), "{out}");
    let header = out
        .lines()
        .find(|l| l.starts_with("term "))
        .unwrap_or_else(|| panic!("no table header in\n{out}"));
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        cols,
        ["term", "coef", "HR", "se(coef)", "z", "p", "HR", "95%", "CI"]
    );
    for term in BONE_TERMS {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(term))
            .unwrap_or_else(|| panic!("no line for term '{term}' in\n{out}"));
        // one interval style everywhere: 1.019–1.032
        assert!(line.contains('–') && !line.contains(" to "), "{line}");
    }
    // coefficient of age printed to 4 significant digits
    assert!(out.contains("0.02507"), "{out}");
    assert!(
        out.contains("Likelihood ratio test = 204.375 on 7 df"),
        "{out}"
    );
    assert!(out.contains("Wald test"), "{out}");
    assert!(
        out.contains("Score (logrank) test  = 210.967 on 7 df"),
        "{out}"
    );
    assert!(
        out.contains("Log-likelihood: initial -3477.581266, final -3375.393664"),
        "{out}"
    );
    assert!(!out.contains("NOT converged"), "{out}");
    assert!(!out.contains("Model written"), "{out}");
}

#[test]
fn fit_out_writes_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let data = bone_mets();
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--out",
        s(&model),
    ]);
    let out = run.ok();
    assert!(
        out.contains(&format!("Model written to {}", model.display())),
        "{out}"
    );
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["format"].as_str(), Some("prognosis-cox-model"));
    assert_eq!(m["format_version"].as_u64(), Some(1));
    assert_eq!(m["checksum"].as_str().map(str::len), Some(64));
    assert_eq!(
        m["training"]["file"].as_str(),
        Some("bone_mets_synthetic.csv")
    );
    let coef: Vec<f64> = m["fit"]["coef"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (k, c) in coef.iter().enumerate() {
        assert_rel(*c, BONE_EFRON_COEF[k], 1e-6, "saved coef");
    }
    // only the model file: no temporary files left behind
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from("model.json")]);

    // with --json the model path is reported
    let j = fit_bone_json(&["--out", s(&dir.path().join("again.json"))]);
    assert!(field(&j, "model_file")
        .as_str()
        .unwrap()
        .ends_with("again.json"));
    assert!(dir.path().join("again.json").is_file());
}

#[test]
fn fit_out_into_missing_directory_fails_without_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no").join("such");
    let model = missing.join("model.json");
    let data = bone_mets();
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--out",
        s(&model),
    ]);
    let err = run.fails();
    assert!(err.contains(s(&model)), "{err}");
    assert!(run.stdout.is_empty(), "{}", run.context());
    assert!(!model.exists());
    assert!(!missing.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// 3. Breslow ties
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_breslow_matches_r() {
    let j = fit_bone_json(&["--ties", "breslow"]);
    assert_eq!(field(&j, "ties").as_str(), Some("breslow"));
    let c = coefs(&j);
    assert_eq!(c.len(), 7);
    for (k, (term, coef, se)) in c.iter().enumerate() {
        assert_eq!(term, BONE_TERMS[k]);
        assert_rel(
            *coef,
            BONE_BRESLOW_COEF[k],
            1e-6,
            &format!("breslow coef {term}"),
        );
        assert_rel(*se, BONE_BRESLOW_SE[k], 1e-6, &format!("breslow se {term}"));
    }
    let ll = field(&j, "loglik");
    assert_rel(
        num(&ll[0], "ll0"),
        BONE_BRESLOW_LOGLIK[0],
        1e-6,
        "breslow initial loglik",
    );
    assert_rel(
        num(&ll[1], "ll1"),
        BONE_BRESLOW_LOGLIK[1],
        1e-6,
        "breslow final loglik",
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Categorical covariate with a reference level (rotterdam)
// ---------------------------------------------------------------------------------------------

#[test]
fn rotterdam_reference_level_names_terms_and_matches_r() {
    let data = dataset("rotterdam.csv");
    let j = prognosis([
        "fit",
        s(&data),
        "--time",
        "os_days",
        "--event",
        "death",
        "--covariates",
        ROTTERDAM_COVARIATES,
        "--reference",
        "size=<=20",
        "--json",
    ])
    .json();
    assert_eq!(field(&j, "n").as_u64(), Some(ROTTERDAM_N));
    assert_eq!(field(&j, "events").as_u64(), Some(ROTTERDAM_EVENTS));
    let c = coefs(&j);
    let terms: Vec<&str> = c.iter().map(|t| t.0.as_str()).collect();
    assert!(terms.contains(&"size=>50"), "{terms:?}");
    assert!(terms.contains(&"size=20-50"), "{terms:?}");
    assert!(!terms.iter().any(|t| t.contains("<=20")), "{terms:?}");
    assert_eq!(terms.len(), ROTTERDAM_R_TERMS.len());
    for (k, r_term) in ROTTERDAM_R_TERMS.iter().enumerate() {
        // R writes a factor dummy as `sizeLEVEL`; prognosis as `size=LEVEL`
        let ours = match r_term.strip_prefix("size") {
            Some(level) => format!("size={level}"),
            None => r_term.to_string(),
        };
        let (_, coef, _) = c
            .iter()
            .find(|t| t.0 == ours)
            .unwrap_or_else(|| panic!("no term '{ours}' in {terms:?}"));
        assert_rel(
            *coef,
            ROTTERDAM_EFRON_COEF[k],
            1e-6,
            &format!("coef {ours}"),
        );
    }
    let ll = field(&j, "loglik");
    assert_rel(
        num(&ll[0], "ll0"),
        ROTTERDAM_EFRON_LOGLIK[0],
        1e-6,
        "initial loglik",
    );
    assert_rel(
        num(&ll[1], "ll1"),
        ROTTERDAM_EFRON_LOGLIK[1],
        1e-6,
        "final loglik",
    );

    // the reference level changes the terms, not the fit
    let j2 = prognosis([
        "fit",
        s(&data),
        "--time",
        "os_days",
        "--event",
        "death",
        "--covariates",
        ROTTERDAM_COVARIATES,
        "--reference",
        "size=>50",
        "--json",
    ])
    .json();
    let terms2: Vec<String> = coefs(&j2).into_iter().map(|t| t.0).collect();
    assert!(terms2.contains(&"size=<=20".to_string()), "{terms2:?}");
    assert!(terms2.contains(&"size=20-50".to_string()), "{terms2:?}");
    assert_rel(
        num(&field(&j2, "loglik")[1], "ll1"),
        ROTTERDAM_EFRON_LOGLIK[1],
        1e-6,
        "loglik",
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Missing values
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_values_drop_rows_and_are_counted_per_column() {
    let dir = tempfile::tempdir().unwrap();
    let lines = bone_lines();
    let header = lines[0].clone();
    // the first 300 patients; blank out some covariates
    let mut rows: Vec<Vec<String>> = lines[1..=300]
        .iter()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let (age, liver, lung, pr) = (0, 2, 3, 4);
    rows[1][age] = String::new(); // empty field
    rows[6][age] = "NA".into();
    rows[6][lung] = "NA".into(); // same row: dropped once
    rows[9][liver] = "NA".into();
    rows[11][pr] = ".".into(); // a custom token, given with --na
    let dropped_rows = [1usize, 6, 9, 11];
    let mut with_missing = format!("{header}\n");
    let mut complete = format!("{header}\n");
    for (i, r) in rows.iter().enumerate() {
        let line = r.join(",");
        writeln!(with_missing, "{line}").unwrap();
        if !dropped_rows.contains(&i) {
            writeln!(complete, "{line}").unwrap();
        }
    }
    let missing_path = write(dir.path(), "missing.csv", &with_missing);
    let complete_path = write(dir.path(), "complete.csv", &complete);
    let fit = |path: &Path, json: bool| {
        let mut args = vec![
            "fit",
            s(path),
            "--time",
            "time",
            "--event",
            "status",
            "--covariates",
            BONE_COVARIATES,
            "--na",
            ".",
        ];
        if json {
            args.push("--json");
        }
        prognosis(&args)
    };
    let j = fit(&missing_path, true).json();
    assert_eq!(field(&j, "n").as_u64(), Some(296));
    assert_eq!(field(&j, "dropped").as_u64(), Some(4));
    let counts = field(&j, "rows");
    assert_eq!(field(counts, "read").as_u64(), Some(300));
    assert_eq!(field(counts, "used").as_u64(), Some(296));
    assert_eq!(field(counts, "dropped").as_u64(), Some(4));
    let per_column: Vec<(String, u64)> = field(counts, "missing")
        .as_array()
        .expect("rows.missing is an array")
        .iter()
        .map(|m| {
            (
                field(m, "column").as_str().unwrap().to_string(),
                field(m, "missing").as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("time", 0),
        ("status", 0),
        ("age", 2),
        ("brain", 0),
        ("liver", 1),
        ("lung", 1),
        ("pr", 1),
        ("surgery", 0),
        ("chemo", 0),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), *n))
    .collect();
    assert_eq!(per_column, expected);

    // the fit is the complete-case fit
    let jc = fit(&complete_path, true).json();
    assert_eq!(field(&jc, "dropped").as_u64(), Some(0));
    assert_eq!(field(&jc, "events"), field(&j, "events"));
    for ((t1, c1, s1), (t2, c2, s2)) in coefs(&j).iter().zip(coefs(&jc).iter()) {
        assert_eq!(t1, t2);
        assert_rel(*c1, *c2, 1e-10, &format!("coef {t1}"));
        assert_rel(*s1, *s2, 1e-10, &format!("se {t1}"));
    }

    // the text summary says the same
    let run = fit(&missing_path, false);
    let text = run.ok();
    assert!(
        text.contains(
            "rows read 300, used 296, dropped 4 (missing values: age 2, liver 1, lung 1, pr 1)"
        ),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Input errors: clean failure with file, line, column and value
// ---------------------------------------------------------------------------------------------

/// Writes `content` to a file in a new temporary directory and runs `fit` on it with
/// `--time t --event e` and `extra`; asserts a clean failure naming the file. Returns stderr.
fn fit_error(content: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cohort.csv", content);
    let mut args = vec!["fit", s(&path), "--time", "t", "--event", "e"];
    args.extend_from_slice(extra);
    let run = prognosis(&args);
    let err = run.fails().to_string();
    assert!(
        err.contains(s(&path)),
        "the message should name the file\n{}",
        run.context()
    );
    assert!(run.stdout.is_empty(), "{}", run.context());
    err
}

#[test]
fn error_missing_column_lists_columns() {
    let err = fit_error(
        "t,e,age\n1,1,2\n2,0,3\n3,1,4\n",
        &["--covariates", "age,sex"],
    );
    assert!(err.contains("column 'sex'"), "{err}");
    assert!(err.contains("there is no column 'sex'"), "{err}");
    assert!(err.contains("the columns are: t, e, age"), "{err}");
}

#[test]
fn error_missing_column_suggests_close_name() {
    let err = fit_error("t,e,Age\n1,1,2\n2,0,3\n3,1,4\n", &["--covariates", "age"]);
    assert!(err.contains("did you mean 'Age'?"), "{err}");
}

#[test]
fn error_non_number_in_time_column() {
    let err = fit_error("t,e,a\n1,1,2\nabc,0,3\n3,1,4\n", &["--covariates", "a"]);
    assert!(err.contains(", line 3,"), "{err}");
    assert!(err.contains("column 't'"), "{err}");
    assert!(err.contains("value 'abc'"), "{err}");
    assert!(err.contains("time column must hold numbers"), "{err}");
    assert!(err.contains("--na 'abc'"), "{err}");
}

#[test]
fn error_negative_time() {
    let err = fit_error("t,e,a\n1,1,2\n2,0,3\n-5,1,4\n", &["--covariates", "a"]);
    assert!(err.contains(", line 4,"), "{err}");
    assert!(err.contains("column 't'"), "{err}");
    assert!(err.contains("value '-5'"), "{err}");
    assert!(err.contains("negative"), "{err}");
}

#[test]
fn error_event_value_neither_0_nor_1() {
    let err = fit_error("t,e,a\n1,1,2\n2,0,3\n3,2,4\n", &["--covariates", "a"]);
    assert!(err.contains(", line 4,"), "{err}");
    assert!(err.contains("column 'e'"), "{err}");
    assert!(err.contains("value '2'"), "{err}");
    assert!(
        err.contains("neither an event (1) nor censoring (0)"),
        "{err}"
    );
    assert!(err.contains("--event-value"), "{err}");
}

#[test]
fn error_no_events() {
    let err = fit_error("t,e,a\n1,0,2\n2,0,3\n3,0,4\n", &["--covariates", "a"]);
    assert!(err.contains("column 'e'"), "{err}");
    assert!(err.contains("no events"), "{err}");
}

#[test]
fn error_fewer_rows_than_terms() {
    let err = fit_error(
        "t,e,a,b,c\n1,1,2,1,1\n2,0,3,2,4\n",
        &["--covariates", "a,b,c"],
    );
    assert!(
        err.contains("2 complete rows are too few for 3 model terms"),
        "{err}"
    );
}

#[test]
fn error_constant_covariate() {
    let err = fit_error(
        "t,e,a,b\n1,1,2,5\n2,0,3,5\n3,1,4,5\n4,1,1,5\n5,0,6,5\n",
        &["--covariates", "a,b"],
    );
    assert!(err.contains("column 'b'"), "{err}");
    assert!(err.contains("constant"), "{err}");
}

#[test]
fn error_constant_indicator() {
    // 0/1 columns are not centred (coxph's nocenter): a constant one must still be caught
    let data = "t,e,a,b,c\n1,1,2,1,0\n2,0,3,1,0\n3,1,4,1,0\n4,1,1,1,0\n5,0,6,1,0\n";
    let err = fit_error(data, &["--covariates", "a,b"]);
    assert!(
        err.contains("column 'b'") && err.contains("constant (1)"),
        "{err}"
    );
    let err = fit_error(data, &["--covariates", "a,c"]);
    assert!(
        err.contains("column 'c'") && err.contains("constant (0)"),
        "{err}"
    );
}

#[test]
fn error_collinear_indicators() {
    // b = 1 - a: collinear given the baseline hazard
    let err = fit_error(
        "t,e,a,b\n1,1,0,1\n2,0,1,0\n3,1,0,1\n4,1,1,0\n5,0,1,0\n6,1,0,1\n",
        &["--covariates", "a,b"],
    );
    assert!(err.contains("column 'b'"), "{err}");
    assert!(err.contains("linear combination of a"), "{err}");
}

#[test]
fn error_collinear_covariates() {
    // c = a + b
    let err = fit_error(
        "t,e,a,b,c\n1,1,2,1,3\n2,0,3,5,8\n3,1,4,2,6\n4,1,1,7,8\n5,0,6,3,9\n6,1,2,2,4\n",
        &["--covariates", "a,b,c"],
    );
    assert!(err.contains("column 'c'"), "{err}");
    assert!(err.contains("linear combination of a, b"), "{err}");
}

#[test]
fn error_malformed_csv_line() {
    let err = fit_error("t,e,a\n1,1,2\n2,0,3\n3,1\n4,0,5\n", &["--covariates", "a"]);
    assert!(err.contains(", line 4:"), "{err}");
    assert!(err.contains("2 fields where the header has 3"), "{err}");
}

#[test]
fn error_empty_file() {
    let err = fit_error("", &["--covariates", "a"]);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn error_header_without_rows() {
    let err = fit_error("t,e,a\n", &["--covariates", "a"]);
    assert!(err.contains("no data rows"), "{err}");
}

#[test]
fn error_non_existent_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.csv");
    let run = prognosis([
        "fit",
        s(&path),
        "--time",
        "t",
        "--event",
        "e",
        "--covariates",
        "a",
    ]);
    let err = run.fails();
    assert!(err.contains(s(&path)), "{err}");
    assert!(err.contains("cannot read the file"), "{err}");
}

#[test]
fn error_unknown_reference_level() {
    let err = fit_error(
        "t,e,g\n1,1,x\n2,0,y\n3,1,x\n4,1,y\n5,0,x\n",
        &["--covariates", "g", "--reference", "g=zz"],
    );
    assert!(err.contains("column 'g'"), "{err}");
    assert!(err.contains("value 'zz'"), "{err}");
    assert!(err.contains("the levels are: x, y"), "{err}");
}

#[test]
fn error_reference_on_rotterdam_lists_levels() {
    let data = dataset("rotterdam.csv");
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "os_days",
        "--event",
        "death",
        "--covariates",
        "age,size",
        "--reference",
        "size=small",
    ]);
    let err = run.fails();
    assert!(err.contains("value 'small'"), "{err}");
    assert!(err.contains("the levels are: 20-50, <=20, >50"), "{err}");
}

#[test]
fn error_bad_weight() {
    let err = fit_error(
        "t,e,a,w\n1,1,2,1\n2,0,3,0\n3,1,4,1\n4,1,1,1\n",
        &["--covariates", "a", "--weights", "w"],
    );
    assert!(err.contains(", line 3,"), "{err}");
    assert!(err.contains("column 'w'"), "{err}");
    assert!(err.contains("value '0'"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 7. predict
// ---------------------------------------------------------------------------------------------

#[test]
fn predict_csv_has_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36",
    ]);
    let out = run.ok();
    assert!(run.stderr.is_empty(), "{}", run.context());
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "row,lp,surv_12,se_12,lower_12,upper_12,surv_36,se_36,lower_36,upper_36,\
         median,median_lower,median_upper,problem"
    );
    let (header, rows) = parse_csv(out);
    assert_eq!(rows.len(), BONE_N as usize, "one line per input row");
    let (row, surv12, lo12, up12, surv36, problem) = (
        col(&header, "row"),
        col(&header, "surv_12"),
        col(&header, "lower_12"),
        col(&header, "upper_12"),
        col(&header, "surv_36"),
        col(&header, "problem"),
    );
    for (i, r) in rows.iter().enumerate() {
        // `row` is the line of the input file (the header is line 1)
        assert_eq!(r[row], (i + 2).to_string());
        assert!(r[problem].is_empty(), "{r:?}");
        let v = |k: usize| r[k].parse::<f64>().unwrap_or_else(|_| panic!("{r:?}"));
        assert!(v(lo12) <= v(surv12) && v(surv12) <= v(up12), "{r:?}");
        assert!(v(surv36) <= v(surv12), "{r:?}");
        assert!((0.0..=1.0).contains(&v(surv12)), "{r:?}");
    }
}

#[test]
fn predict_first_row_matches_r_profile() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let lines = bone_lines();
    let data = write(
        dir.path(),
        "first.csv",
        &format!("{}\n{}\n", lines[0], lines[1]),
    );
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36,60",
    ]);
    let (header, rows) = parse_csv(run.ok());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    for (k, t) in ["12", "36", "60"].iter().enumerate() {
        let v = |name: &str| -> f64 { r[col(&header, &format!("{name}_{t}"))].parse().unwrap() };
        assert_rel(v("surv"), PROFILE0_SURV[k], 1e-6, &format!("surv at {t}"));
        assert_rel(v("se"), PROFILE0_SE[k], 1e-6, &format!("se at {t}"));
        assert_rel(
            v("lower"),
            PROFILE0_LOWER[k],
            1e-6,
            &format!("lower at {t}"),
        );
        assert_rel(
            v("upper"),
            PROFILE0_UPPER[k],
            1e-6,
            &format!("upper at {t}"),
        );
    }
    // the median is a time on the curve, with limits around it
    let m = |name: &str| -> f64 { r[col(&header, name)].parse().unwrap() };
    assert!(m("median_lower") <= m("median") && m("median") <= m("median_upper"));
    assert!(
        (36.0..60.0).contains(&m("median")),
        "surv(36) > 0.5 > surv(60)"
    );
}

/// R's `predict(fit, type = "lp")` (centred at the means, 0/1 columns not centred: coxph's
/// `nocenter`) and survival for the first three rows, from
/// `../shared/reference/predictions_bone_mets_css.csv` (columns lp, surv_12, surv_36, surv_60).
const R_PREDICTIONS_FIRST_ROWS: [[f64; 4]; 3] = [
    [
        -0.160301781868822,
        0.81591407865513,
        0.559546339282742,
        0.369508577732127,
    ],
    [
        0.0914459017105995,
        0.76975186367937,
        0.473858550900684,
        0.277873909062923,
    ],
    [
        -0.376687232357056,
        0.848860316375497,
        0.626470911433414,
        0.44849135195922,
    ],
];

#[test]
fn predict_lp_and_survival_match_r_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36,60",
    ]);
    let (header, rows) = parse_csv(run.ok());
    let cols = ["lp", "surv_12", "surv_36", "surv_60"].map(|c| col(&header, c));
    let value = |r: &[String], k: usize| -> f64 { r[cols[k]].parse().unwrap() };
    for (i, expected) in R_PREDICTIONS_FIRST_ROWS.iter().enumerate() {
        for (k, e) in expected.iter().enumerate() {
            assert_rel(value(&rows[i], k), *e, 1e-6, &format!("row {i} column {k}"));
        }
    }
    // every row, when the shared reference is present
    let path = manifest_dir().join("../shared/reference/predictions_bone_mets_css.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{} is absent: only the first rows checked", path.display());
        return;
    };
    let (r_header, r_rows) = parse_csv(&text);
    assert_eq!(r_rows.len(), rows.len());
    let r_cols = ["lp", "surv_12", "surv_36", "surv_60"].map(|c| col(&r_header, c));
    for (i, (ours, theirs)) in rows.iter().zip(&r_rows).enumerate() {
        for k in 0..4 {
            let expected: f64 = theirs[r_cols[k]].parse().unwrap();
            let got = value(ours, k);
            // lp can be near 0: compare it absolutely
            if k == 0 {
                assert!(
                    (got - expected).abs() < 1e-8,
                    "row {i} lp: {got} vs {expected}"
                );
            } else {
                assert_rel(
                    got,
                    expected,
                    1e-6,
                    &format!("row {i} {}", r_header[r_cols[k]]),
                );
            }
        }
    }
}

#[test]
fn predict_keeps_unscorable_rows_with_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = write(
        dir.path(),
        "new.csv",
        "age,brain,liver,lung,pr,surgery,chemo\n\
         57,0,0,1,1,0,0\n\
         60,,0,1,1,0,0\n\
         old,0,0,0,1,0,0\n\
         70,1,1,0,0,1,1\n",
    );
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36",
    ]);
    let out = run.ok();
    assert!(
        run.stderr.contains("2 of 4 rows could not be scored"),
        "{}",
        run.context()
    );
    let (header, rows) = parse_csv(out);
    assert_eq!(rows.len(), 4);
    let (row, lp, surv, problem) = (
        col(&header, "row"),
        col(&header, "lp"),
        col(&header, "surv_12"),
        col(&header, "problem"),
    );
    let rows_col: Vec<&str> = rows.iter().map(|r| r[row].as_str()).collect();
    assert_eq!(rows_col, ["2", "3", "4", "5"]);
    for ok in [&rows[0], &rows[3]] {
        assert!(ok[problem].is_empty(), "{ok:?}");
        assert!(ok[surv].parse::<f64>().is_ok(), "{ok:?}");
    }
    for bad in [&rows[1], &rows[2]] {
        assert!(bad[lp].is_empty() && bad[surv].is_empty(), "{bad:?}");
    }
    assert!(
        rows[1][problem].contains("'brain' is missing"),
        "{:?}",
        rows[1]
    );
    assert!(rows[2][problem].contains("'age'"), "{:?}", rows[2]);
    assert!(rows[2][problem].contains("not a number"), "{:?}", rows[2]);
}

#[test]
fn predict_unknown_level_is_a_problem_row() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rotterdam.json");
    let train = dataset("rotterdam.csv");
    prognosis([
        "fit",
        s(&train),
        "--time",
        "os_days",
        "--event",
        "death",
        "--covariates",
        "age,size",
        "--out",
        s(&model),
    ])
    .ok();
    let data = write(
        dir.path(),
        "new.csv",
        "age,size\n50,<=20\n60,huge\n70,>50\n",
    );
    let run = prognosis(["predict", "--model", s(&model), s(&data), "--times", "365"]);
    let (header, rows) = parse_csv(run.ok());
    assert_eq!(rows.len(), 3);
    let problem = col(&header, "problem");
    assert!(rows[0][problem].is_empty());
    assert!(rows[2][problem].is_empty());
    let p = &rows[1][problem];
    assert!(p.contains("'size' = 'huge'"), "{p}");
    assert!(p.contains("unknown level"), "{p}");
    assert!(
        p.contains("<=20") && p.contains("20-50") && p.contains(">50"),
        "{p}"
    );

    // the same in JSON: the problem row has null numbers and a problem text
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "365",
        "--format",
        "json",
    ]);
    let j = run.json();
    let arr = j.as_array().expect("an array");
    assert_eq!(arr.len(), 3);
    assert!(arr[1]["lp"].is_null() && arr[1]["survival"].is_null() && arr[1]["median"].is_null());
    assert!(arr[1]["problem"]
        .as_str()
        .unwrap()
        .contains("unknown level"));
    assert!(arr[0].get("problem").is_none(), "{}", arr[0]);
}

#[test]
fn predict_json_has_rows_survival_and_median() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36,60",
        "--format",
        "json",
    ]);
    let j = run.json();
    let arr = j.as_array().expect("a JSON array");
    assert_eq!(arr.len(), BONE_N as usize);
    for (i, o) in arr.iter().enumerate() {
        assert_eq!(field(o, "row").as_u64(), Some(i as u64 + 2));
        assert!(field(o, "lp").is_f64());
        let surv = field(o, "survival").as_array().expect("survival array");
        assert_eq!(surv.len(), 3);
        for (pt, t) in surv.iter().zip([12.0, 36.0, 60.0]) {
            assert_eq!(num(field(pt, "time"), "time"), t);
            for key in ["surv", "se", "lower", "upper"] {
                num(field(pt, key), key);
            }
        }
        let median = field(o, "median");
        for key in ["median", "lower", "upper"] {
            let v = field(median, key);
            assert!(v.is_null() || v.is_f64(), "{median}");
        }
    }
    let first = &arr[0]["survival"];
    for k in 0..3 {
        assert_rel(
            num(&first[k]["surv"], "surv"),
            PROFILE0_SURV[k],
            1e-6,
            "json surv",
        );
        assert_rel(num(&first[k]["se"], "se"), PROFILE0_SE[k], 1e-6, "json se");
        assert_rel(
            num(&first[k]["lower"], "lower"),
            PROFILE0_LOWER[k],
            1e-6,
            "json lower",
        );
        assert_rel(
            num(&first[k]["upper"], "upper"),
            PROFILE0_UPPER[k],
            1e-6,
            "json upper",
        );
    }
}

#[test]
fn predict_out_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    let out_path = dir.path().join("pred.csv");
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12",
        "--out",
        s(&out_path),
    ]);
    assert!(run.ok().is_empty(), "nothing on stdout with --out");
    let text = std::fs::read_to_string(&out_path).unwrap();
    let stdout = prognosis(["predict", "--model", s(&model), s(&data), "--times", "12"]);
    assert_eq!(text, stdout.ok(), "the file holds what stdout would show");
    assert_eq!(text.lines().count(), BONE_N as usize + 1);

    // into a missing directory: an error, no file
    let bad = dir.path().join("nodir").join("pred.csv");
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12",
        "--out",
        s(&bad),
    ]);
    assert!(run.fails().contains(s(&bad)));
    assert!(!bad.exists());
}

#[test]
fn predict_rejects_negative_times() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    let run = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,-1",
    ]);
    assert!(run.fails().contains("--times"), "{}", run.context());
}

// ---------------------------------------------------------------------------------------------
// 8. score
// ---------------------------------------------------------------------------------------------

#[test]
fn score_text_shows_survival_and_median() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    let run = prognosis(&args);
    let out = run.ok();
    assert!(run.stderr.is_empty(), "{}", run.context());
    assert!(
        out.contains("Patient: age = 57, brain = 0, liver = 0, lung = 1"),
        "{out}"
    );
    assert!(out.contains("Linear predictor:"), "{out}");
    // R: 81.6%, 56.0%, 37.0% (bone_mets_css.efron.profiles[0].surv)
    for (t, pct) in [
        ("12 months", "81.6%"),
        ("36 months", "56.0%"),
        ("60 months", "37.0%"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(t))
            .unwrap_or_else(|| panic!("no line for {t} in\n{out}"));
        assert!(line.contains(pct), "{line}");
        // one interval style everywhere: 1.019–1.032
        assert!(line.contains('–') && !line.contains(" to "), "{line}");
    }
    assert!(out.contains("95% CI"), "{out}");
    let median = out
        .lines()
        .find(|l| l.starts_with("Median survival: "))
        .unwrap_or_else(|| panic!("no median in\n{out}"));
    assert!(median.contains("months (95% CI "), "{median}");
}

#[test]
fn score_json_fields() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    args.extend(["--times".into(), "12,36,60".into(), "--json".into()]);
    let j = prognosis(&args).json();
    let cov = field(&j, "covariates");
    assert_eq!(cov["age"].as_str(), Some("57"));
    assert_eq!(cov["lung"].as_str(), Some("1"));
    assert!(field(&j, "lp").is_f64());
    assert_eq!(field(&j, "time_unit").as_str(), Some("months"));
    assert_eq!(field(&j, "warnings").as_array().map(Vec::len), Some(0));
    let surv = field(&j, "survival").as_array().unwrap();
    assert_eq!(surv.len(), 3);
    for (k, pt) in surv.iter().enumerate() {
        assert_rel(
            num(field(pt, "surv"), "surv"),
            PROFILE0_SURV[k],
            1e-6,
            "score surv",
        );
        assert_rel(num(field(pt, "se"), "se"), PROFILE0_SE[k], 1e-6, "score se");
        assert_rel(
            num(field(pt, "lower"), "lower"),
            PROFILE0_LOWER[k],
            1e-6,
            "score lower",
        );
        assert_rel(
            num(field(pt, "upper"), "upper"),
            PROFILE0_UPPER[k],
            1e-6,
            "score upper",
        );
    }
    let m = field(&j, "median");
    for key in ["median", "lower", "upper"] {
        field(m, key);
    }
    let median = num(field(m, "median"), "median");
    assert!((36.0..60.0).contains(&median), "{m}");

    // score and predict agree on the same patient
    let lines = bone_lines();
    let data = write(
        dir.path(),
        "first.csv",
        &format!("{}\n{}\n", lines[0], lines[1]),
    );
    let pj = prognosis([
        "predict",
        "--model",
        s(&model),
        s(&data),
        "--times",
        "12,36,60",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(pj[0]["lp"], j["lp"]);
    assert_eq!(pj[0]["median"], j["median"]);
    assert_eq!(pj[0]["survival"], j["survival"]);
}

#[test]
fn score_missing_covariate_lists_expected_set() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    let sets = profile0_sets("57");
    args.extend(sets[..sets.len() - 2].iter().cloned()); // without chemo
    let run = prognosis(&args);
    let err = run.fails();
    assert!(err.contains("'chemo' is not set"), "{err}");
    assert!(err.contains("--set chemo=VALUE"), "{err}");
    assert!(run.stdout.is_empty());
}

#[test]
fn score_unknown_covariate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    args.extend(["--set".into(), "grade=3".into()]);
    let err = prognosis(&args).fails().to_string();
    assert!(err.contains("'grade' is not a covariate"), "{err}");
    assert!(
        err.contains("age, brain, liver, lung, pr, surgery, chemo"),
        "{err}"
    );
}

#[test]
fn score_invalid_values_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("old"));
    let err = prognosis(&args).fails().to_string();
    assert!(err.contains("'age' = 'old' is not valid"), "{err}");

    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    args.extend(["--set".into(), "age=60".into()]);
    let err = prognosis(&args).fails().to_string();
    assert!(err.contains("'age' twice"), "{err}");

    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    args.extend(["--set".into(), "nonsense".into()]);
    let err = prognosis(&args).fails().to_string();
    assert!(err.contains("expected COL=VALUE"), "{err}");
}

#[test]
fn score_categorical_model_lists_levels() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rotterdam.json");
    let train = dataset("rotterdam.csv");
    prognosis([
        "fit",
        s(&train),
        "--time",
        "os_days",
        "--event",
        "death",
        "--covariates",
        "age,size",
        "--time-unit",
        "days",
        "--out",
        s(&model),
    ])
    .ok();
    let err = prognosis(["score", "--model", s(&model), "--set", "age=60"])
        .fails()
        .to_string();
    assert!(
        err.contains("--set size=VALUE (one of: 20-50, <=20, >50)"),
        "{err}"
    );
    let err = prognosis([
        "score",
        "--model",
        s(&model),
        "--set",
        "age=60",
        "--set",
        "size=huge",
    ])
    .fails()
    .to_string();
    assert!(err.contains("expected one of: 20-50, <=20, >50"), "{err}");
    // days: 1, 3 and 5 years are 365, 1096 and 1826 days
    let j = prognosis([
        "score",
        "--model",
        s(&model),
        "--set",
        "age=60",
        "--set",
        "size=>50",
        "--json",
    ])
    .json();
    let times: Vec<f64> = j["survival"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time"].as_f64().unwrap())
        .collect();
    assert_eq!(times, [365.0, 1096.0, 1826.0]);
}

#[test]
fn score_out_of_range_value_warns_but_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("120"));
    let run = prognosis(&args);
    run.ok();
    // the text block carries the warning once; it is not repeated on stderr
    assert!(
        run.stdout
            .contains("warning: age = 120 is outside the training range"),
        "{}",
        run.context()
    );
    assert!(
        !run.stderr.contains("outside the training range"),
        "{}",
        run.context()
    );
    assert!(run.stdout.contains("extrapolates"), "{}", run.context());

    args.push("--json".into());
    let j = prognosis(&args).json();
    let w = j["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{j}");
    assert!(w[0].as_str().unwrap().contains("age = 120"), "{j}");
}

#[test]
fn score_default_times_from_months() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    args.push("--json".into());
    let j = prognosis(&args).json();
    let times: Vec<f64> = j["survival"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time"].as_f64().unwrap())
        .collect();
    assert_eq!(times, [12.0, 36.0, 60.0]);
}

#[test]
fn score_without_time_unit_needs_times() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    let err = prognosis(&args).fails().to_string();
    assert!(err.contains("no known time unit"), "{err}");
    assert!(err.contains("--times"), "{err}");

    // with --times it works, and the times are printed without a unit
    args.extend(["--times".into(), "12,24".into()]);
    let run = prognosis(&args);
    let out = run.ok();
    assert!(
        out.lines()
            .any(|l| l.starts_with("12 ") && l.contains("81.6%")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("24 ")), "{out}");
}

// ---------------------------------------------------------------------------------------------
// 9. Damaged model files
// ---------------------------------------------------------------------------------------------

/// Runs `score` and `predict` with the model at `path`; both must fail cleanly naming the file.
/// Returns the score error.
fn model_error(dir: &Path, path: &Path) -> String {
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(path).into()];
    args.extend(profile0_sets("57"));
    args.extend(["--times".into(), "12".into()]);
    let run = prognosis(&args);
    let err = run.fails().to_string();
    assert!(err.contains(s(path)), "{}", run.context());
    assert!(run.stdout.is_empty(), "{}", run.context());
    let lines = bone_lines();
    let data = write(dir, "one.csv", &format!("{}\n{}\n", lines[0], lines[1]));
    let run = prognosis(["predict", "--model", s(path), s(&data), "--times", "12"]);
    assert_eq!(run.fails(), err, "predict and score give the same error");
    assert!(run.stdout.is_empty(), "{}", run.context());
    err
}

#[test]
fn model_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let text = std::fs::read_to_string(&model).unwrap();
    let cut = write(dir.path(), "cut.json", &text[..text.len() / 2]);
    let err = model_error(dir.path(), &cut);
    assert!(err.contains("damaged or truncated"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn model_edited_number_fails_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let text = std::fs::read_to_string(&model).unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    let brain = m["fit"]["coef"][1].as_f64().unwrap();
    let old = format!("{brain}");
    assert_eq!(
        text.matches(&old).count(),
        1,
        "the brain coefficient appears once"
    );
    let new = format!("{}", brain + 0.1);
    let edited = write(dir.path(), "edited.json", &text.replacen(&old, &new, 1));
    let err = model_error(dir.path(), &edited);
    assert!(err.contains("checksum does not match"), "{err}");

    // the untouched file still loads
    let mut args: Vec<String> = vec!["score".into(), "--model".into(), s(&model).into()];
    args.extend(profile0_sets("57"));
    prognosis(&args).ok();
}

#[test]
fn model_newer_format_version() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), Some("months"));
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.contains("\"format_version\": 1,"));
    let newer = write(
        dir.path(),
        "newer.json",
        &text.replacen("\"format_version\": 1,", "\"format_version\": 999,", 1),
    );
    let err = model_error(dir.path(), &newer);
    assert!(err.contains("format version 999"), "{err}");
    assert!(err.contains("newer than this prognosis reads"), "{err}");
}

#[test]
fn model_not_a_model_json() {
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "other.json", "{\"hello\": [1, 2, 3]}\n");
    let err = model_error(dir.path(), &other);
    assert!(err.contains("not a prognosis model file"), "{err}");
    assert!(err.contains("prognosis fit --out"), "{err}");

    // a CSV given as the model
    let err = model_error(dir.path(), &bone_mets());
    assert!(
        err.contains("damaged") || err.contains("not a prognosis model"),
        "{err}"
    );
}

#[test]
fn model_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = model_error(dir.path(), &dir.path().join("absent.json"));
    assert!(err.contains("cannot read the model file"), "{err}");
}

#[test]
fn model_io_error_is_stated_once() {
    let dir = tempfile::tempdir().unwrap();
    let err = model_error(dir.path(), &dir.path().join("absent.json"));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    let data = bone_mets();
    let out = dir.path().join("nodir").join("m.json");
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age",
        "--out",
        s(&out),
    ]);
    let err = run.fails();
    assert_eq!(err.matches("does not exist").count(), 1, "{err}");
    assert!(!err.contains(".prognosis-"), "temporary path leaked: {err}");
}

// ---------------------------------------------------------------------------------------------
// 10. simulate
// ---------------------------------------------------------------------------------------------

#[test]
fn simulate_writes_a_cohort_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim.csv");
    let run = prognosis([
        "simulate",
        "--rows",
        "1000",
        "--seed",
        "1",
        "--out",
        s(&out),
    ]);
    run.ok();
    assert!(
        run.stderr.contains("wrote 1000 simulated patients"),
        "{}",
        run.context()
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let (header, rows) = parse_csv(&text);
    assert_eq!(
        header,
        ["age", "brain", "liver", "lung", "pr", "surgery", "chemo", "time", "status"]
    );
    assert_eq!(rows.len(), 1000);

    // the same seed gives the same file; another seed another
    let again = dir.path().join("again.csv");
    prognosis([
        "simulate",
        "--rows",
        "1000",
        "--seed",
        "1",
        "--out",
        s(&again),
    ])
    .ok();
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
    let other = dir.path().join("other.csv");
    prognosis([
        "simulate",
        "--rows",
        "1000",
        "--seed",
        "2",
        "--out",
        s(&other),
    ])
    .ok();
    assert_ne!(std::fs::read_to_string(&other).unwrap(), text);

    let j = prognosis([
        "fit",
        s(&out),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--json",
    ])
    .json();
    assert_eq!(field(&j, "n").as_u64(), Some(1000));
    assert_eq!(field(&j, "dropped").as_u64(), Some(0));
    assert_eq!(field(&j, "converged").as_bool(), Some(true));
    let events = field(&j, "events").as_u64().unwrap();
    assert!(events > 100 && events < 1000, "events {events}");
    let c = coefs(&j);
    assert_eq!(c.len(), 7);
    // the simulation follows the flagship study: the same directions of effect
    for (k, (term, coef, se)) in c.iter().enumerate() {
        assert!(se.is_finite() && *se > 0.0, "{term}");
        assert_eq!(
            coef.signum(),
            BONE_EFRON_COEF[k].signum(),
            "sign of {term}: {coef} vs {}",
            BONE_EFRON_COEF[k]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Strata and weights
// ---------------------------------------------------------------------------------------------

/// A copy of the bone-metastasis file with an extra column `w` holding `value` on every row.
fn bone_with_column(dir: &Path, value: &str) -> PathBuf {
    let mut text = String::new();
    for (i, line) in bone_lines().iter().enumerate() {
        let extra = if i == 0 { "\"w\"" } else { value };
        writeln!(text, "{line},{extra}").unwrap();
    }
    write(dir, &format!("bone_w{value}.csv"), &text)
}

#[test]
fn stratified_fit_runs_and_reports() {
    let data = bone_mets();
    let covariates = "age,brain,liver,lung,pr,chemo";
    let args = [
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        covariates,
        "--strata",
        "surgery",
    ];
    let j = prognosis(args.iter().chain(&["--json"])).json();
    assert_eq!(field(&j, "strata").as_str(), Some("surgery"));
    assert_eq!(field(&j, "n").as_u64(), Some(BONE_N));
    assert_eq!(field(&j, "events").as_u64(), Some(BONE_EVENTS));
    assert_eq!(field(&j, "converged").as_bool(), Some(true));
    let c = coefs(&j);
    let terms: Vec<&str> = c.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(terms, ["age", "brain", "liver", "lung", "pr", "chemo"]);
    assert_eq!(num(&j["tests"]["likelihood_ratio"]["df"], "df"), 6.0);
    let ll = &j["loglik"];
    let (ll0, ll1) = (num(&ll[0], "ll0"), num(&ll[1], "ll1"));
    assert!(ll1 > ll0);
    // stratified partial likelihood: fewer comparisons than the unstratified one
    assert!(ll0 > BONE_EFRON_LOGLIK[0], "{ll0}");
    // the other effects barely move when surgery becomes a stratum
    let unstratified = [0, 1, 2, 3, 4, 6];
    for ((term, coef, _), &k) in c.iter().zip(&unstratified) {
        assert!((coef - BONE_EFRON_COEF[k]).abs() < 0.05, "{term}: {coef}");
    }
    let run = prognosis(args);
    let text = run.ok();
    assert!(
        text.starts_with("Cox proportional-hazards model  (ties: efron, strata: surgery)"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("surgery ")), "{text}");
}

#[test]
fn stratified_model_scores_per_stratum() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("strat.json");
    let data = bone_mets();
    prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,liver,lung,pr,chemo",
        "--strata",
        "surgery",
        "--time-unit",
        "months",
        "--out",
        s(&model),
    ])
    .ok();
    let base = [
        "score",
        "--model",
        s(&model),
        "--set",
        "age=57",
        "--set",
        "brain=0",
        "--set",
        "liver=0",
        "--set",
        "lung=1",
        "--set",
        "pr=1",
        "--set",
        "chemo=0",
    ];
    let err = prognosis(base).fails().to_string();
    assert!(err.contains("stratum 'surgery' is not set"), "{err}");
    assert!(err.contains("--set surgery=VALUE (one of: 0, 1)"), "{err}");
    let surv12 = |stratum: &str| {
        let set = format!("surgery={stratum}");
        let j = prognosis(base.iter().chain(&["--set", set.as_str(), "--json"])).json();
        num(&j["survival"][0]["surv"], "surv")
    };
    let (no_surgery, surgery) = (surv12("0"), surv12("1"));
    assert!(
        surgery > no_surgery,
        "surgery {surgery} vs none {no_surgery}"
    );
    let err = prognosis(base.iter().chain(&["--set", "surgery=7"]))
        .fails()
        .to_string();
    assert!(
        err.contains("stratum 'surgery' = '7' is not valid"),
        "{err}"
    );
}

#[test]
fn stratifying_on_a_constant_column_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = bone_with_column(dir.path(), "1");
    let j = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--strata",
        "w",
        "--json",
    ])
    .json();
    for (k, (term, coef, se)) in coefs(&j).iter().enumerate() {
        assert_rel(*coef, BONE_EFRON_COEF[k], 1e-6, &format!("coef {term}"));
        assert_rel(*se, BONE_EFRON_SE[k], 1e-6, &format!("se {term}"));
    }
}

#[test]
fn weights_of_one_equal_the_unweighted_fit() {
    let dir = tempfile::tempdir().unwrap();
    let data = bone_with_column(dir.path(), "1");
    let weighted = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--weights",
        "w",
        "--json",
    ])
    .json();
    let plain = fit_bone_json(&[]);
    for key in [
        "n",
        "events",
        "dropped",
        "loglik",
        "iterations",
        "converged",
    ] {
        assert_eq!(weighted[key], plain[key], "{key}");
    }
    for ((t1, c1, s1), (t2, c2, s2)) in coefs(&weighted).iter().zip(&coefs(&plain)) {
        assert_eq!(t1, t2);
        assert_rel(*c1, *c2, 1e-12, &format!("coef {t1}"));
        assert_rel(*s1, *s2, 1e-12, &format!("se {t1}"));
    }
    assert_eq!(coefs(&weighted).len(), 7);
}

#[test]
fn weights_of_two_give_the_same_coefficients() {
    let dir = tempfile::tempdir().unwrap();
    let data = bone_with_column(dir.path(), "2");
    let j = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        BONE_COVARIATES,
        "--weights",
        "w",
        "--json",
    ])
    .json();
    assert_eq!(field(&j, "converged").as_bool(), Some(true));
    let c = coefs(&j);
    assert_eq!(c.len(), 7);
    for (k, (term, coef, se)) in c.iter().enumerate() {
        assert_rel(*coef, BONE_EFRON_COEF[k], 1e-6, &format!("coef {term}"));
        // case weights (as R's coxph): doubling every weight doubles the information
        assert_rel(
            *se,
            BONE_EFRON_SE[k] / 2f64.sqrt(),
            1e-6,
            &format!("se {term}"),
        );
    }
    // and the log-likelihood is 2 * (loglik - events * log 2)
    let ll = &j["loglik"];
    let events = BONE_EVENTS as f64;
    for k in 0..2 {
        let expected = 2.0 * (BONE_EFRON_LOGLIK[k] - events * 2f64.ln());
        assert_rel(num(&ll[k], "loglik"), expected, 1e-6, "weighted loglik");
    }
}

// ---------------------------------------------------------------------------------------------
// Other behaviour
// ---------------------------------------------------------------------------------------------

#[test]
fn event_labels_and_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    // semicolons, CRLF, a byte-order mark, quoted names and text event labels
    let mut text = String::from("\u{feff}\"t\";\"status\";\"x\"\r\n");
    for (t, e, x) in [
        (5, "Dead", 1),
        (3, "Alive", 0),
        (4, "Dead", 0),
        (7, "Dead", 1),
        (2, "Alive", 1),
        (9, "Dead", 0),
        (6, "Alive", 1),
        (8, "Dead", 1),
    ] {
        write!(text, "{t};{e};{x}\r\n").unwrap();
    }
    let path = write(dir.path(), "labels.csv", &text);
    let base = [
        "fit",
        s(&path),
        "--time",
        "t",
        "--event",
        "status",
        "--covariates",
        "x",
    ];
    let err = prognosis(base).fails().to_string();
    assert!(err.contains("value 'Dead'"), "{err}");
    let j = prognosis(base.iter().chain(&["--event-value", "Dead", "--json"])).json();
    assert_eq!(field(&j, "n").as_u64(), Some(8));
    assert_eq!(field(&j, "events").as_u64(), Some(5));
}

#[test]
fn duplicate_covariate_is_an_error() {
    let data = bone_mets();
    let run = prognosis([
        "fit",
        s(&data),
        "--time",
        "time",
        "--event",
        "status",
        "--covariates",
        "age,brain,age",
    ]);
    assert!(run.fails().contains("'age' twice"), "{}", run.context());
}

#[test]
fn usage_errors_do_not_panic() {
    let run = prognosis(["fit"]);
    assert_eq!(run.code, Some(2), "{}", run.context());
    run.assert_no_panic();
    let run = prognosis(["predict", "--model", "m.json", "x.csv"]);
    assert_eq!(run.code, Some(2), "--times is required\n{}", run.context());
    let run = prognosis(["--version"]);
    assert!(run.ok().starts_with("prognosis "));
}

#[cfg(unix)]
#[test]
fn closed_stdout_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let model = bone_model(dir.path(), None);
    let data = bone_mets();
    // the output (about 0.5 MB) is larger than a pipe's buffer, so the write must meet the closed
    // pipe whichever runs first
    let mut child = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args([
            "predict",
            "--model",
            s(&model),
            s(&data),
            "--times",
            "12,36,60",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
