//! Long runs and Ctrl-C: the bootstrap, the study and `simulate` stop between resamples or chunks
//! on SIGINT, write nothing (no output, no temporary file) and exit with status 130 and
//! "interrupted"; the progress bar is drawn on a terminal only; a `Control` changes no number.

use prognosis::data::csv::{read_csv, ReadOptions};
use prognosis::model::file::ModelFile;
use prognosis::model::validation::{self, EvalData, ValidationError, ValidationOptions};
use prognosis::stats::control::{Control, Progress};
use prognosis::stats::cox::CoxOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_prognosis")
}

/// Every file and directory under `dir`, relative.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs `args` in `dir`, sends SIGINT after `after`, and returns the exit code and standard
/// error. The run must still be going when the signal is sent.
fn interrupt(dir: &Path, args: &[&str], after: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} ended before the signal: give it more work"
    );
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    // it stops between resamples, not at the end of the run
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{args:?} did not stop"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ctrl_c_stops_the_validation_bootstrap_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = root().join("models/bone_mets_cox.json");
    let data = root().join("datasets/bone_mets_synthetic.csv");
    let (code, stderr) = interrupt(
        dir.path(),
        &[
            "validate",
            "--model",
            model.to_str().unwrap(),
            data.to_str().unwrap(),
            "--times",
            "12,36,60",
            "--bootstrap",
            "100000",
            "--out-dir",
            "out",
        ],
        Duration::from_millis(3000),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted after") && stderr.contains("of 100000 bootstrap resamples"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn ctrl_c_stops_the_study_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = root().join("models/gbsg_rfs.toml");
    let (code, stderr) = interrupt(
        dir.path(),
        &[
            "study",
            "--spec",
            spec.to_str().unwrap(),
            "--out-dir",
            "out",
            "--bootstrap",
            "100000",
            "--formats",
            "svg",
        ],
        Duration::from_millis(2500),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn ctrl_c_stops_simulate_and_leaves_no_file_or_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = interrupt(
        dir.path(),
        &[
            "simulate", "--rows", "10000000", "--format", "seer", "--out", "s.csv",
        ],
        Duration::from_millis(800),
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

/// Counts what a computation reports.
#[derive(Default)]
struct Count {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Count {
    fn start(&self, _: &str, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

#[test]
fn a_control_changes_no_number_and_a_cancelled_one_stops() {
    let model = ModelFile::load(&root().join("models/bone_mets_cox.json")).unwrap();
    let table = read_csv(
        &root().join("datasets/bone_mets_synthetic.csv"),
        &model.spec.columns(),
        &ReadOptions::default(),
    )
    .unwrap();
    let d = prognosis::data::cohort::prepare_with_spec(&table, &model.spec).unwrap();
    let eval = EvalData {
        design: &d.design,
        surv: &d.surv,
        strata: &d.strata,
        weights: d.weights.as_deref(),
    };
    let opts = ValidationOptions {
        times: vec![12.0, 36.0, 60.0],
        bootstrap: 25,
        seed: 5,
        ..Default::default()
    };
    let fit_opts = CoxOptions {
        ties: model.spec.ties,
        ..Default::default()
    };
    let plain = validation::bootstrap(eval, &fit_opts, &opts).unwrap();
    let count = Count::default();
    let flag = AtomicBool::new(false);
    let control = Control {
        cancel: Some(&flag),
        progress: Some(&count),
    };
    let watched = validation::bootstrap_with(eval, &fit_opts, &opts, &control).unwrap();
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&watched).unwrap()
    );
    assert_eq!(count.total.load(Ordering::Relaxed), 25);
    assert_eq!(count.done.load(Ordering::Relaxed), 25);
    flag.store(true, Ordering::Relaxed);
    match validation::bootstrap_with(eval, &fit_opts, &opts, &control) {
        Err(ValidationError::Interrupted(e)) => {
            assert_eq!((e.done, e.total), (0, 25));
            assert_eq!(
                e.to_string(),
                "interrupted after 0 of 25 bootstrap resamples"
            );
        }
        other => panic!("{:?}", other.map(|r| r.resamples)),
    }
    // the simulated cohort: the same text with a control, none when cancelled
    use prognosis::data::simulate as sim;
    let free = AtomicBool::new(false);
    let count = Count::default();
    let c = Control {
        cancel: Some(&free),
        progress: Some(&count),
    };
    let n = 150_000; // three chunks
    assert_eq!(
        sim::bone_mets_seer_csv_with(n, 3, &c).unwrap(),
        sim::bone_mets_seer_csv(n, 3)
    );
    assert_eq!(count.done.load(Ordering::Relaxed), n as u64);
    assert_eq!(
        sim::bone_mets_csv_with(1000, 3, &c).unwrap(),
        sim::bone_mets_csv(1000, 3)
    );
    assert!(sim::bone_mets_competing_csv_with(1000, 3, &control).is_err());
}

/// Standard error of `validate --bootstrap 300` on the flagship cohort: piped, or through
/// `script` on a pseudo-terminal (`None` where `script` cannot be run).
fn validate_stderr(dir: &Path, through_script: bool) -> Option<String> {
    let model = root().join("models/bone_mets_cox.json");
    let data = root().join("datasets/bone_mets_synthetic.csv");
    let args = [
        "validate".to_string(),
        "--model".into(),
        model.display().to_string(),
        data.display().to_string(),
        "--times".into(),
        "12,36,60".into(),
        "--bootstrap".into(),
        "300".into(),
    ];
    let out = if through_script {
        // `script` gives the command a terminal (a pseudo-terminal) and copies what it draws
        let line = std::iter::once(bin().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        Command::new("script")
            .args(["-qec", &format!("{line} >/dev/null"), "/dev/null"])
            .current_dir(dir)
            .env_remove("CI")
            .stdin(Stdio::null())
            .output()
            .ok()?
    } else {
        Command::new(bin())
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap()
    };
    assert!(out.status.success());
    Some(
        String::from_utf8_lossy(if through_script {
            &out.stdout
        } else {
            &out.stderr
        })
        .into_owned(),
    )
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let piped = validate_stderr(dir.path(), false).unwrap();
    assert!(!piped.contains("bootstrap resamples"), "{piped}");
    assert!(
        !piped.contains('\u{1b}') && !piped.contains('\r'),
        "{piped:?}"
    );
    // on a terminal (where `script` is installed, as on Debian and macOS) the bar shows
    if let Some(tty) = validate_stderr(dir.path(), true) {
        assert!(tty.contains("bootstrap resamples"), "{tty:?}");
        assert!(tty.contains("/300"), "{tty:?}");
    }
}
