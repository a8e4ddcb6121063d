//! Running the real binary: its exit status and output, and a scratch directory that is removed
//! when the test ends.

use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::Path;
use std::process::Command;

/// Runs `prognosis ARGS` in the package root: (success, stdout, stderr).
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .args(args)
        .current_dir(super::root())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `prognosis ARGS`, which must succeed; its standard output.
#[track_caller]
pub fn ok<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let (success, stdout, stderr) = run(args);
    assert!(success, "prognosis {args:?} failed: {stderr}");
    stdout
}

/// Runs `prognosis ARGS`, which must fail; its standard error.
#[track_caller]
pub fn fails<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let (success, stdout, stderr) = run(args);
    assert!(!success, "prognosis {args:?} succeeded: {stdout}");
    stderr
}

/// A fresh temporary directory, removed on drop.
pub struct Dir(tempfile::TempDir);

impl Dir {
    pub fn new(tag: &str) -> Dir {
        Dir(tempfile::Builder::new()
            .prefix(&format!("prognosis-{tag}-"))
            .tempdir()
            .unwrap())
    }
    /// The path of `name` in the directory, as a command-line argument.
    pub fn path(&self, name: &str) -> String {
        self.0.path().join(name).display().to_string()
    }
    pub fn dir(&self) -> &Path {
        self.0.path()
    }
}
