//! Arguments and helpers shared by several subcommands: CSV reading options, COL=VALUE pairs,
//! horizons, standard output, and writing figures.

use crate::data::csv::ReadOptions;
use crate::data::mapping::{ColumnMap, LevelMap};
use crate::model::file::ModelFile;
use crate::model::spec::ModelSpec;
use crate::plot;
use crate::report::output::{check_paths, write_all_unless};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How a command prints p-values for people (`--p-style`); its JSON and CSV keep full precision.
#[derive(Args)]
pub struct PStyleArgs {
    /// How p-values are printed: journal (<0.001, 3 decimals below 0.01, else 2), three_decimals
    /// (<0.001, else 3 decimals) or four_decimals (<0.0001, else 4); JSON and CSV keep full
    /// precision
    #[arg(long = "p-style", value_name = "STYLE", default_value = "journal",
          value_parser = crate::report::format::PStyle::NAMES)]
    p_style: String,
}

impl PStyleArgs {
    /// Makes the chosen style the one of the command's text while the guard lives.
    pub fn enter(&self) -> crate::report::format::PStyleGuard {
        crate::report::format::PStyle::named(&self.p_style)
            .unwrap_or_default()
            .enter()
    }
}

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
/// Ctrl-C while writing stops before the files are put in place: nothing is written.
pub fn write_outputs(inputs: &[&Path], files: Vec<(PathBuf, Vec<u8>)>) -> Result<()> {
    let _watch = super::interrupt::Watch::start();
    Ok(write_all_unless(
        inputs,
        &files,
        &super::interrupt::interrupted,
    )?)
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

/// How DATA names and codes the model's columns, for a model validated or applied on another
/// cohort (one implementation for `validate`, `predict`, `risk-groups`, `ph-test` and `residuals`).
#[derive(Args, Default)]
pub struct MapArgs {
    /// DATA's column of follow-up times, when it is not named as in the model
    #[arg(long, value_name = "COL")]
    time: Option<String>,
    /// DATA's column of event status, when it is not named as in the model
    #[arg(long, value_name = "COL")]
    event: Option<String>,
    /// Value of DATA's event column that means the event (repeatable; every other value then
    /// means censoring). Default: the model's coding
    #[arg(long, value_name = "V")]
    event_value: Vec<String>,
    /// DATA's name of a model column, MODEL_NAME=DATA_COLUMN (repeatable)
    #[arg(long, value_name = "MODEL_NAME=DATA_COLUMN")]
    map: Vec<String>,
    /// A category DATA codes differently, COL:DATA_LEVEL=MODEL_LEVEL (COL: the model's name;
    /// repeatable; several DATA_LEVELs may map to one MODEL_LEVEL)
    #[arg(long, value_name = "COL:DATA_LEVEL=MODEL_LEVEL")]
    level: Vec<String>,
}

impl MapArgs {
    /// The column map for `spec`; `outcome` is false for commands that read no outcome.
    pub fn column_map(&self, spec: &ModelSpec, outcome: bool) -> Result<ColumnMap> {
        if !outcome && (self.time.is_some() || self.event.is_some() || !self.event_value.is_empty())
        {
            bail!("--time, --event and --event-value name the outcome, which this command does not read");
        }
        let mut columns = parse_pairs(&self.map, "--map")?;
        for (flag, given, model_name) in [
            ("--time", &self.time, &spec.time),
            ("--event", &self.event, &spec.event),
        ] {
            if let Some(col) = given {
                if columns.insert(model_name.clone(), col.clone()).is_some() {
                    bail!("{flag} and --map {model_name}=... both name the data's '{model_name}'");
                }
            }
        }
        let mut levels = Vec::new();
        for item in &self.level {
            let parsed = item.split_once(':').and_then(|(c, rest)| {
                rest.split_once('=')
                    .map(|(d, m)| (c.trim(), d.trim(), m.trim()))
            });
            let Some((column, data_level, model_level)) = parsed else {
                bail!("--level {item}: expected COL:DATA_LEVEL=MODEL_LEVEL");
            };
            if column.is_empty() || data_level.is_empty() {
                bail!("--level {item}: expected COL:DATA_LEVEL=MODEL_LEVEL");
            }
            levels.push(LevelMap {
                column: column.to_string(),
                data_level: data_level.to_string(),
                model_level: model_level.to_string(),
            });
        }
        Ok(ColumnMap {
            columns,
            event_values: self.event_value.clone(),
            levels,
        })
    }
}

/// Reads `data` for `model` with the column map of `map`: the model's columns `wanted` (its names)
/// and the model's specification naming DATA's columns.
pub fn read_for_model(
    model: &ModelFile,
    data: &Path,
    wanted: &[&str],
    read: &ReadArgs,
    map: &MapArgs,
    outcome: bool,
) -> Result<(crate::data::csv::Table, ModelSpec)> {
    let cmap = map.column_map(&model.spec, outcome)?;
    Ok(crate::data::mapping::read_for_model(
        data,
        &model.spec,
        wanted,
        &cmap,
        &read.options()?,
    )?)
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

/// Loads the model at `model` and reads `data` with its specification and the column map; rows
/// with a level the model does not know are left out with a note on standard error.
pub fn model_and_data(
    model: &Path,
    data: &Path,
    read: &ReadArgs,
    map: &MapArgs,
) -> Result<ModelData> {
    let model = ModelFile::load(model)?;
    let (table, spec) = read_for_model(&model, data, &model.spec.columns(), read, map, true)?;
    let d = crate::data::cohort::prepare_with_spec(&table, &spec)?;
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
