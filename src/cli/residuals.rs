//! `prognosis residuals`: residuals of a saved model on its cohort, as R's `residuals.coxph`.

use super::args::{emit, model_and_data, MapArgs, ReadArgs};
use crate::report::diagnostics::{residual_table, ResidualKind, ResidualRows};
use crate::stats::residuals;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct ResidualsArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// The cohort the model was fitted on (residuals use the model's coefficients and variance)
    data: PathBuf,
    /// Residuals, comma-separated: per row martingale, deviance, dfbeta, score; or per event
    /// schoenfeld, scaled (not both kinds in one run)
    #[arg(
        long = "type",
        value_delimiter = ',',
        default_value = "martingale,deviance"
    )]
    types: Vec<String>,
    /// Print a JSON array (one object per row) instead of CSV
    #[arg(long)]
    json: bool,
    /// Write to this file instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: ResidualsArgs) -> Result<()> {
    let mut kinds: Vec<ResidualKind> = Vec::new();
    for t in &a.types {
        let k: ResidualKind = t.parse().map_err(|e| anyhow!("--type: {e}"))?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() {
        bail!("--type: name at least one residual");
    }
    if kinds.iter().any(|k| k.per_event()) && kinds.iter().any(|k| !k.per_event()) {
        bail!(
            "--type: {} are per row and {} per event; ask for them in two runs",
            kinds
                .iter()
                .filter(|k| !k.per_event())
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            kinds
                .iter()
                .filter(|k| k.per_event())
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let md = model_and_data(&a.model, &a.data, &a.read, &a.map)?;
    let d = &md.data;
    let res = residuals::residuals(&d.design, &d.surv, md.extras(), &md.model.fit)
        .with_context(|| format!("residuals on {}", md.table.path))?;
    let lines = md.lines();
    let terms = md.model.spec.terms();
    let rows = ResidualRows {
        lines: &lines,
        time: d.surv.time(),
        event: d.surv.event(),
        strata: md
            .model
            .spec
            .strata
            .as_ref()
            .map(|s| (d.strata.as_slice(), s.levels.as_slice())),
        terms: &terms,
    };
    let t = residual_table(&res, &rows, &kinds);
    emit(
        a.out.as_deref(),
        &if a.json { t.json() } else { t.csv() },
        &[&a.model, &a.data],
    )
}
