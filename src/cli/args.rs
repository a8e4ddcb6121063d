//! Arguments and helpers shared by several subcommands: CSV reading options, COL=VALUE pairs,
//! horizons, standard output, and writing figures.

use crate::data::csv::ReadOptions;
use crate::model::file::ModelFile;
use crate::plot;
use crate::report::output::write_atomic;
use anyhow::{anyhow, bail, Context, Result};
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

pub fn check_times(times: &[f64]) -> Result<()> {
    if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
        bail!("--times: {t} is not a time >= 0");
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

pub fn emit(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => write_atomic(p, text.as_bytes())
            .with_context(|| format!("cannot write {}", p.display())),
        None => stdout(text),
    }
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

/// Writes a figure to each path (format from the extension), atomically.
pub fn write_figure<F: plot::Figure>(fig: &F, paths: &[PathBuf], id: &str) -> Result<()> {
    let formats = paths
        .iter()
        .map(|p| plot::ImageFormat::of_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    for (path, format) in paths.iter().zip(formats) {
        let bytes = plot::render(fig, format, id)?;
        write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
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

/// A saved model and a data file read with its specification: the outcome, covariates, strata and
/// weights of the rows that can be used.
pub struct ModelData {
    pub model: ModelFile,
    pub table: crate::data::csv::Table,
    pub data: crate::data::cohort::SpecData,
}

impl ModelData {
    /// File line of each used row.
    pub fn lines(&self) -> Vec<u64> {
        self.data
            .rows
            .iter()
            .map(|&i| self.table.lines[i])
            .collect()
    }

    /// The fit's weights and strata for this data.
    pub fn extras(&self) -> crate::stats::cox::FitExtras<'_> {
        crate::stats::cox::FitExtras {
            weights: self.data.weights.as_deref(),
            strata: self
                .model
                .spec
                .strata
                .as_ref()
                .map(|_| self.data.strata.as_slice()),
        }
    }
}

/// Loads the model at `model` and reads `data` with its specification; rows with a level the
/// model does not know are left out with a note on standard error.
pub fn model_and_data(model: &Path, data: &Path, read: &ReadArgs) -> Result<ModelData> {
    let model = ModelFile::load(model)?;
    let table = crate::data::csv::read_csv(data, &model.spec.columns(), &read.options()?)?;
    let d = crate::data::cohort::prepare_with_spec(&table, &model.spec)?;
    if !d.problems.is_empty() {
        eprintln!(
            "note: {} rows have a level the model does not know and were left out (first: line {}: {})",
            d.problems.len(),
            d.problems[0].0,
            d.problems[0].1
        );
    }
    Ok(ModelData {
        model,
        table,
        data: d,
    })
}
