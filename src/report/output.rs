//! Writing output files whole or not at all, and never over an input.
//!
//! A command renders every output in memory first, then [`write_all`] checks the paths (none an
//! input, none named twice, none a directory, every directory present), writes each file to a
//! temporary name in its target directory, and only when all are written renames them into place;
//! on any failure the temporaries are removed and no target is touched.

use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a command's outputs were not written.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("the output {output} is the input {input}: writing it would destroy the input\n  hint: choose another output file name")]
    IsInput { output: String, input: String },
    #[error("the output {path} is named twice{other}\n  hint: give each output its own file name")]
    Twice { path: String, other: String },
    #[error("cannot write {path}: a directory is in the way\n  hint: remove or rename the directory, or choose another output name")]
    IsDirectory { path: String },
    #[error("cannot write {path}: {error}\n  hint: check that the directory exists and is writable; nothing was written")]
    Io { path: String, error: std::io::Error },
    #[error("interrupted while writing the outputs")]
    Interrupted,
}

/// The canonical form of `path`, which need not exist: its directory canonicalised (when it
/// exists) joined with its file name.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(c) = path.canonicalize() {
        return c;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => path.to_path_buf(),
    }
}

/// Refuses an output that is one of the inputs or another output (comparing canonical paths, so
/// `./a.csv`, `a.csv` and a link to it are the same file), or an existing directory.
pub fn check_paths(inputs: &[&Path], outputs: &[&Path]) -> Result<(), OutputError> {
    let ins: Vec<PathBuf> = inputs.iter().map(|p| canonical(p)).collect();
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for &out in outputs {
        let c = canonical(out);
        if let Some(k) = ins.iter().position(|i| *i == c) {
            return Err(OutputError::IsInput {
                output: out.display().to_string(),
                input: inputs[k].display().to_string(),
            });
        }
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == c) {
            return Err(OutputError::Twice {
                path: out.display().to_string(),
                other: if *first == out {
                    String::new()
                } else {
                    format!(" (as {})", first.display())
                },
            });
        }
        if out.is_dir() {
            return Err(OutputError::IsDirectory {
                path: out.display().to_string(),
            });
        }
        seen.push((c, out));
    }
    Ok(())
}

/// Writes every file or none: paths checked by [`check_paths`], all contents written to
/// temporaries in the target directories, then all renamed into place. A failure before the
/// renames removes the temporaries and leaves every target as it was.
pub fn write_all(inputs: &[&Path], files: &[(PathBuf, Vec<u8>)]) -> Result<(), OutputError> {
    write_all_unless(inputs, files, &|| false)
}

/// [`write_all`], giving up ([`OutputError::Interrupted`], temporaries removed, no target
/// touched) when `stop` says so before a file is staged or before the renames.
pub fn write_all_unless(
    inputs: &[&Path],
    files: &[(PathBuf, Vec<u8>)],
    stop: &dyn Fn() -> bool,
) -> Result<(), OutputError> {
    let outputs: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    check_paths(inputs, &outputs)?;
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        if stop() {
            return Err(OutputError::Interrupted);
        }
        // dropped (and so deleted) on an early return
        let tmp = stage(path, bytes).map_err(|error| OutputError::Io {
            path: path.display().to_string(),
            error,
        })?;
        staged.push((tmp, path));
    }
    if stop() {
        return Err(OutputError::Interrupted);
    }
    for (tmp, path) in staged {
        tmp.persist(path).map_err(|e| OutputError::Io {
            path: path.display().to_string(),
            error: e.error,
        })?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed and
/// synced, then renamed over the target. A failure leaves any existing file untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(path, bytes)?.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `bytes` in a synced temporary file next to `path`, with the permissions of the file it will
/// replace (or 0644).
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("the directory {} does not exist", dir.display()),
        ));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".prognosis-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot create a file in {}: {}", dir.display(), e.kind()),
            )
        })?;
    tmp.write_all(bytes)?;
    // a temporary file is private (0600); give the result the permissions of the file it
    // replaces, or the usual 0644
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // no temporary files left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("no/such/dir/x"), b"x").is_err());
    }
}

#[cfg(test)]
mod all_or_nothing {
    use super::*;

    #[test]
    fn a_failing_file_leaves_no_output_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.svg");
        let b = dir.path().join("nodir/b.png");
        let e = write_all(&[], &[(a.clone(), b"a".to_vec()), (b, b"b".to_vec())]).unwrap_err();
        assert!(e.to_string().contains("nodir"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // a directory in the way of the second file
        std::fs::create_dir(dir.path().join("table.csv")).unwrap();
        let e = write_all(
            &[],
            &[
                (a.clone(), b"a".to_vec()),
                (dir.path().join("table.csv"), b"t".to_vec()),
            ],
        )
        .unwrap_err();
        assert!(matches!(e, OutputError::IsDirectory { .. }), "{e}");
        assert!(!a.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_stop_before_the_renames_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.svg");
        let b = dir.path().join("b.svg");
        let files = [(a.clone(), b"a".to_vec()), (b.clone(), b"b".to_vec())];
        // stop once both files are staged: the temporaries are gone, no target written
        let calls = std::cell::Cell::new(0);
        let stop = || {
            calls.set(calls.get() + 1);
            calls.get() > 2
        };
        let e = write_all_unless(&[], &files, &stop).unwrap_err();
        assert!(matches!(e, OutputError::Interrupted), "{e}");
        assert_eq!(calls.get(), 3);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_all_unless(&[], &files, &|| false).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"b");
    }

    #[test]
    fn an_input_or_a_repeated_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("data.csv");
        std::fs::write(&input, "x").unwrap();
        // the same file by another spelling
        let other = dir.path().join(".").join("data.csv");
        let e = write_all(&[&input], &[(other, b"model".to_vec())]).unwrap_err();
        assert!(matches!(e, OutputError::IsInput { .. }), "{e}");
        assert_eq!(std::fs::read(&input).unwrap(), b"x");
        let out = dir.path().join("out.csv");
        let e = write_all(&[], &[(out.clone(), vec![]), (out.clone(), vec![])]).unwrap_err();
        assert!(matches!(e, OutputError::Twice { .. }), "{e}");
        assert!(!out.exists());
        write_all(&[&input], &[(out.clone(), b"ok".to_vec())]).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"ok");
    }
}
