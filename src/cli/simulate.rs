//! `prognosis simulate`: a simulated cohort shaped like the flagship study.

use super::args::emit;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args)]
pub struct SimulateArgs {
    /// Number of patients
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Random seed
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Output CSV file
    #[arg(long)]
    out: PathBuf,
    /// Layout: `analysis` (0/1 columns as datasets/bone_mets_synthetic.csv) or `seer` (a SEER*Stat
    /// case listing as datasets/bone_mets_synthetic_seer.csv, with unknowns) or `competing`
    /// (the analysis columns with `cause`: 0 censored, 1 cancer death, 2 death from another
    /// cause, about 30% of rows)
    #[arg(long, value_enum, default_value = "analysis")]
    format: SimFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SimFormat {
    Analysis,
    Seer,
    Competing,
}

/// The most rows `simulate` writes: the file is made in memory (up to 260 bytes a row).
const MAX_ROWS: usize = 10_000_000;

pub fn run(a: SimulateArgs) -> Result<()> {
    if a.rows == 0 || a.rows > MAX_ROWS {
        anyhow::bail!(
            "--rows {}: simulate writes 1 to {MAX_ROWS} rows (the file is made in memory)",
            a.rows
        );
    }
    use crate::data::simulate as sim;
    // Ctrl-C stops between chunks of rows; a progress bar on a terminal
    let _watch = super::interrupt::Watch::start();
    let bar = super::interrupt::Bar::new(false);
    let control = bar.control();
    let text = match a.format {
        SimFormat::Analysis => sim::bone_mets_csv_with(a.rows, a.seed, &control),
        SimFormat::Seer => sim::bone_mets_seer_csv_with(a.rows, a.seed, &control),
        SimFormat::Competing => sim::bone_mets_competing_csv_with(a.rows, a.seed, &control),
    }?;
    drop(bar);
    emit(Some(&a.out), &text, &[])?;
    eprintln!("wrote {} simulated patients to {}", a.rows, a.out.display());
    Ok(())
}
