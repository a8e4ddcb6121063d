//! Arguments and helpers shared by several subcommands: CSV reading options, COL=VALUE pairs,
//! horizons, standard output, and writing figures.

use crate::data::csv::ReadOptions;
use crate::model::file::ModelFile;
use crate::plot;
use crate::report::output::{check_paths, write_all};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ReadArgs {
    /// A value that means "missing" (repeatable); empty fields and NA always do
    #[arg(long = "na", value_name = "TOKEN")]
    na: Vec<String>,
    /// Field delimiter (default: detected from the header: comma, semicolon or tab)
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<char>,
}

impl ReadArgs {
    pub fn options(&self) -> Result<ReadOptions> {
        let mut o = ReadOptions::default();
        o.na_tokens.extend(self.na.iter().cloned());
        if let Some(d) = self.delimiter {
            if !d.is_ascii() {
                bail!("--delimiter must be a single ASCII character");
            }
            o.delimiter = Some(d as u8);
        }
        Ok(o)
    }
}

pub fn parse_pairs(items: &[String], flag: &str) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("{flag} {item}: expected COL=VALUE"))?;
        if map
            .insert(k.trim().to_string(), v.trim().to_string())
            .is_some()
        {
            bail!("{flag} names '{}' twice", k.trim());
        }
    }
    Ok(map)
}

/// Horizons are finite times >= 0, each given once.
pub fn check_times(times: &[f64]) -> Result<()> {
    if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
        bail!("--times: {t} is not a time >= 0");
    }
    if let Some((i, t)) = times
        .iter()
        .enumerate()
        .find(|(i, t)| times[..*i].contains(t))
    {
        bail!(
            "--times: {t} is given twice (positions {} and {}): give each horizon once",
            times.iter().position(|x| x == t).unwrap_or(0) + 1,
            i + 1
        );
    }
    Ok(())
}

/// As [`check_times`], and in increasing order.
pub fn check_increasing_times(times: &[f64]) -> Result<()> {
    check_times(times)?;
    if let Some(w) = times.windows(2).find(|w| w[1] <= w[0]) {
        bail!(
            "--times must be in increasing order: {} follows {}\n  hint: e.g. --times 12,36,60",
            w[1],
            w[0]
        );
    }
    Ok(())
}

/// Writes to standard output; a reader that went away (`| head`) is not an error.
pub fn stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// Writes `text` to `out`, which must not be one of `inputs`, or to standard output.
pub fn emit(out: Option<&Path>, text: &str, inputs: &[&Path]) -> Result<()> {
    match out {
        Some(p) => write_outputs(inputs, vec![(p.to_path_buf(), text.as_bytes().to_vec())]),
        None => stdout(text),
    }
}

/// Refuses, before any work, outputs that are inputs or named twice (see [`write_outputs`]).
pub fn check_outputs(inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    Ok(check_paths(inputs, outputs)?)
}

/// Writes a command's output files whole or not at all, none of them over one of its inputs.
pub fn write_outputs(inputs: &[&Path], files: Vec<(PathBuf, Vec<u8>)>) -> Result<()> {
    Ok(write_all(inputs, &files)?)
}

pub fn horizons_or_default(model: &ModelFile, times: &[f64]) -> Result<Vec<f64>> {
    let times = if times.is_empty() {
        crate::model::spec::default_horizons(model.spec.time_unit.as_deref()).ok_or_else(|| {
            anyhow!("the model has no known time unit: give the horizons with --times T1,T2,...")
        })?
    } else {
        times.to_vec()
    };
    check_times(&times)?;
    Ok(times)
}

/// Writes `files` into `dir` whole or not at all, creating `dir` if needed and removing it again
/// if it was created and the files could not be written.
pub fn write_in_dir(dir: &Path, inputs: &[&Path], files: Vec<(PathBuf, Vec<u8>)>) -> Result<()> {
    let refs: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    check_outputs(inputs, &refs)?;
    let created = !dir.exists();
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow!("cannot create the directory {}: {e}", dir.display()))?;
    let result = write_outputs(inputs, files);
    if result.is_err() && created {
        let _ = std::fs::remove_dir(dir);
    }
    result
}

/// Writes a figure to each path (format from the extension): all rendered first, then written
/// whole or not at all, none over one of `inputs`.
pub fn write_figure<F: plot::Figure>(
    fig: &F,
    paths: &[PathBuf],
    id: &str,
    inputs: &[&Path],
) -> Result<()> {
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    check_outputs(inputs, &refs)?;
    let formats = paths
        .iter()
        .map(|p| plot::ImageFormat::of_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = Vec::with_capacity(paths.len());
    for (path, format) in paths.iter().zip(formats) {
        files.push((path.clone(), plot::render(fig, format, id)?));
    }
    write_outputs(inputs, files)?;
    for path in paths {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The study specification at `spec`, and the export to read: `export` when given, else the
/// specification's `source.file`.
pub fn spec_and_export(
    spec: &Path,
    export: Option<PathBuf>,
) -> Result<(crate::data::registry::StudySpec, PathBuf)> {
    let loaded = crate::data::registry::StudySpec::load(spec)?;
    match export.or_else(|| loaded.source_file()) {
        Some(p) => Ok((loaded, p)),
        None => bail!(
            "no export file: name it after the options, or give source.file in {}",
            spec.display()
        ),
    }
}
