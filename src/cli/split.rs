//! `prognosis split`: a seeded development/validation split of a CSV.

use super::args::stdout;
use crate::model::validation;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct SplitArgs {
    /// Cohort CSV file to split
    data: PathBuf,
    /// Fraction of rows for the development set
    #[arg(long, default_value_t = 0.7)]
    fraction: f64,
    /// Random seed
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Split within each value of this column (e.g. the event column), keeping its proportions
    #[arg(long, value_name = "COL")]
    stratify_by: Option<String>,
    /// Output CSV of the development set
    #[arg(long)]
    out_dev: PathBuf,
    /// Output CSV of the validation set
    #[arg(long)]
    out_val: PathBuf,
}

pub fn run(a: SplitArgs) -> Result<()> {
    if !(a.fraction > 0.0 && a.fraction < 1.0) {
        bail!("--fraction must be between 0 and 1 (exclusive), e.g. 0.7");
    }
    let label = a.data.display().to_string();
    super::args::check_outputs(&[&a.data], &[&a.out_dev, &a.out_val])?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&a.data)
        .with_context(|| format!("cannot read {label}"))?;
    let header = rdr.byte_headers()?.clone();
    let mut records = Vec::new();
    for r in rdr.byte_records() {
        records.push(r.with_context(|| format!("{label}: malformed CSV"))?);
    }
    if records.is_empty() {
        bail!("{label}: no data rows to split");
    }
    let labels: Vec<usize> = match &a.stratify_by {
        None => vec![0; records.len()],
        Some(col) => {
            let k = header
                .iter()
                .position(|h| String::from_utf8_lossy(h).trim() == col.as_str())
                .ok_or_else(|| anyhow!("{label}: there is no column '{col}'"))?;
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut values: Vec<Vec<u8>> =
                records.iter().map(|r| r[k].trim_ascii().to_vec()).collect();
            for v in &values {
                if !seen.contains(v) {
                    seen.push(v.clone());
                }
            }
            seen.sort();
            values
                .drain(..)
                .map(|v| seen.iter().position(|s| *s == v).expect("seen"))
                .collect()
        }
    };
    let (dev, val) = validation::split_labels(&labels, a.fraction, a.seed);
    for (rows, path, which) in [
        (&dev, &a.out_dev, "development"),
        (&val, &a.out_val, "validation"),
    ] {
        if rows.is_empty() {
            bail!(
                "{label}: --fraction {} of {} rows leaves the {which} file {} empty; nothing written\n  hint: choose a fraction that leaves rows on both sides (e.g. 0.7), or use more rows",
                a.fraction,
                records.len(),
                path.display()
            );
        }
    }
    let csv_of = |rows: &[usize]| -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_byte_record(&header)?;
        for &i in rows {
            w.write_byte_record(&records[i])?;
        }
        w.into_inner().map_err(|e| anyhow!("{e}"))
    };
    super::args::write_outputs(
        &[&a.data],
        vec![
            (a.out_dev.clone(), csv_of(&dev)?),
            (a.out_val.clone(), csv_of(&val)?),
        ],
    )?;
    stdout(&format!(
        "{} rows: {} to development ({}), {} to validation ({}); seed {}{}\n",
        records.len(),
        dev.len(),
        a.out_dev.display(),
        val.len(),
        a.out_val.display(),
        a.seed,
        a.stratify_by
            .as_ref()
            .map_or(String::new(), |c| format!(", stratified by {c}"))
    ))
}
