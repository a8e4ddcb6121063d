//! `prognosis ph-test`: the proportional-hazards test of a saved model on its cohort, as
//! `survival::cox.zph`.

use super::args::{
    check_outputs, model_and_data, stdout, write_outputs, MapArgs, ModelData, ReadArgs,
};
use crate::plot::diagnostics::{self as figs, ResidualFigure};
use crate::report::diagnostics;
use crate::stats::residuals;
use crate::stats::zph::{self, ZphOptions, ZphTransform};
use anyhow::{anyhow, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

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
    /// Draw the scaled Schoenfeld residuals against time, one panel per term, here (.svg, .png,
    /// .pdf or .tiff; repeatable), and the martingale residuals against each continuous covariate
    /// beside it as STEM_martingale.EXT
    #[arg(long, value_name = "FIG")]
    out: Vec<PathBuf>,
    #[command(flatten)]
    map: MapArgs,
    #[command(flatten)]
    p_style: super::args::PStyleArgs,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(a: PhTestArgs) -> Result<()> {
    let _p_style = a.p_style.enter();
    let transform: ZphTransform = a
        .transform
        .parse()
        .map_err(|e| anyhow!("--transform: {e}"))?;
    let outs: Vec<PathBuf> = a
        .out
        .iter()
        .flat_map(|p| [p.clone(), martingale_path(p)])
        .collect();
    let refs: Vec<&Path> = outs.iter().map(PathBuf::as_path).collect();
    check_outputs(&[&a.model, &a.data], &refs)?;
    let md = model_and_data(&a.model, &a.data, &a.read, &a.map)?;
    let d = &md.data;
    let opts = ZphOptions {
        transform,
        terms: Some(md.model.spec.zph_terms()),
    };
    let z = zph::zph(&d.design, &d.surv, md.extras(), &md.model.fit, &opts)
        .with_context(|| format!("proportional-hazards test on {}", md.table.path))?;
    let events = d.surv.event().iter().filter(|&&e| e).count();
    if !a.out.is_empty() {
        let (zph_fig, mart_fig) = figures(&md, &z)?;
        // both figures rendered first, then written whole or not at all
        let mut files = Vec::new();
        for path in &a.out {
            let format = crate::plot::ImageFormat::of_path(path)?;
            files.push((path.clone(), crate::plot::render(&zph_fig, format, "zph")?));
            if !mart_fig.panels.is_empty() {
                let bytes = crate::plot::render(&mart_fig, format, "martingale")?;
                files.push((martingale_path(path), bytes));
            }
        }
        if mart_fig.panels.is_empty() {
            eprintln!("note: no continuous covariate (4 or more distinct values): no martingale residual figure");
        }
        let written: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
        write_outputs(&[&a.model, &a.data], files)?;
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    let text = if a.json {
        diagnostics::ph_test_json(&z, d.surv.len(), events)
    } else {
        diagnostics::ph_test_text(&z, &md.table.path, d.surv.len(), events)
    };
    stdout(&text)
}

/// `dir/stem_martingale.ext` beside `dir/stem.ext`.
fn martingale_path(p: &Path) -> PathBuf {
    let stem = p
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let ext = p
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    p.with_file_name(format!("{stem}_martingale{ext}"))
}

/// The scaled Schoenfeld and martingale residual figures of the model on this data.
fn figures(md: &ModelData, z: &zph::Zph) -> Result<(ResidualFigure, ResidualFigure)> {
    let d = &md.data;
    let res = residuals::residuals(&d.design, &d.surv, md.extras(), &md.model.fit)?;
    Ok(figs::model_figures(
        &md.model.spec,
        &md.model.fit,
        &d.design,
        z,
        &res.martingale,
    ))
}
