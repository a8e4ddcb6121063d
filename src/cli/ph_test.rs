//! `prognosis ph-test`: the proportional-hazards test of a saved model on its cohort, as
//! `survival::cox.zph`.

use super::args::{emit, model_and_data, MapArgs, ReadArgs};
use crate::report::diagnostics;
use crate::stats::zph::{self, ZphOptions, ZphTransform};
use anyhow::{anyhow, Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct PhTestArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// The cohort the model was fitted on (the test uses the model's coefficients and variance)
    data: PathBuf,
    /// Function of time the residuals are tested against: km (1 - Kaplan-Meier, as R), rank,
    /// identity or log
    #[arg(long, default_value = "km")]
    transform: String,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: PhTestArgs) -> Result<()> {
    let transform: ZphTransform = a
        .transform
        .parse()
        .map_err(|e| anyhow!("--transform: {e}"))?;
    let md = model_and_data(&a.model, &a.data, &a.read, &a.map)?;
    let d = &md.data;
    let opts = ZphOptions {
        transform,
        terms: Some(md.model.spec.zph_terms()),
    };
    let z = zph::zph(&d.design, &d.surv, md.extras(), &md.model.fit, &opts)
        .with_context(|| format!("proportional-hazards test on {}", md.table.path))?;
    let events = d.surv.event().iter().filter(|&&e| e).count();
    let text = if a.json {
        diagnostics::ph_test_json(&z, d.surv.len(), events)
    } else {
        diagnostics::ph_test_text(&z, &md.table.path, d.surv.len(), events)
    };
    emit(None, &text)
}
