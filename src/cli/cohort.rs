//! `prognosis cohort`: a study specification applied to a registry export.

use super::args::stdout;
use crate::report::text as report;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CohortArgs {
    /// Study specification, TOML or JSON (docs/study-spec.md)
    #[arg(long)]
    spec: PathBuf,
    /// Registry export CSV (default: the specification's source.file)
    export: Option<PathBuf>,
    /// Analysis-ready CSV to write
    #[arg(long)]
    out: PathBuf,
    /// Print the attrition table as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(a: CohortArgs) -> Result<()> {
    use crate::data::registry;
    let (spec, export) = super::args::spec_and_export(&a.spec, a.export)?;
    let inputs = [a.spec.as_path(), export.as_path()];
    super::args::check_outputs(&inputs, &[&a.out])?;
    let t0 = std::time::Instant::now();
    let table = registry::read_export(&spec, &export)?;
    let t_read = t0.elapsed();
    let cohort = registry::derive_cohort(&spec, &table)?;
    drop(table);
    let t_derive = t0.elapsed();
    let attrition = &cohort.attrition;
    if cohort.n() == 0 {
        eprint!("{}", report::attrition_text(attrition));
        bail!(
            "no rows remain after the inclusion rules; {} not written",
            a.out.display()
        );
    }
    super::args::write_outputs(&inputs, vec![(a.out.clone(), cohort.to_csv())])?;
    if std::env::var_os("PROGNOSIS_TIMING").is_some() {
        eprintln!(
            "timing: read {:.3} s, derive {:.3} s, write {:.3} s",
            t_read.as_secs_f64(),
            (t_derive - t_read).as_secs_f64(),
            (t0.elapsed() - t_derive).as_secs_f64()
        );
    }
    if a.json {
        let j = serde_json::json!({
            "study": spec.study.name,
            "spec": a.spec.display().to_string(),
            "export": cohort.export,
            "export_sha256": cohort.sha256,
            "out": a.out.display().to_string(),
            "columns": cohort.header(),
            "attrition": attrition,
        });
        stdout(&(serde_json::to_string_pretty(&j)? + "\n"))
    } else {
        stdout(&format!(
            "Study {}{}\n{}Analysis file written to {} ({} rows, {} events; columns: {})\n",
            spec.study.name,
            spec.study
                .title
                .as_ref()
                .map_or(String::new(), |t| format!(": {t}")),
            report::attrition_text(attrition),
            a.out.display(),
            cohort.n(),
            cohort.events(),
            cohort.header().join(", ")
        ))
    }
}
