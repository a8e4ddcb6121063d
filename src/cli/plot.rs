//! `prognosis plot`: figures no other command draws.

use super::args::{parse_pairs, write_figure};
use crate::model::file::ModelFile;
use crate::plot;
use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PlotCommand {
    /// Predicted survival curves with 95% bands for one or more patient profiles
    Survival(PlotSurvivalArgs),
}

#[derive(Args)]
pub struct PlotSurvivalArgs {
    /// Model file written by `prognosis fit --out`
    #[arg(long)]
    model: PathBuf,
    /// A patient profile: "COL=VALUE,COL=VALUE,..." with every covariate, optionally preceded by
    /// a name and a colon ("Low risk: age=45,brain=0,..."); repeat for more curves
    #[arg(long, required = true)]
    profile: Vec<String>,
    /// Write the figure here (.svg, .png, .pdf or .tiff; repeatable)
    #[arg(long, required = true)]
    out: Vec<PathBuf>,
    /// Leave out the 95% bands
    #[arg(long)]
    no_bands: bool,
}

pub fn run(a: PlotSurvivalArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let mut curves = Vec::new();
    for (k, profile) in a.profile.iter().enumerate() {
        let (name, pairs) = match profile.split_once(':') {
            Some((n, rest)) if !n.contains('=') => (Some(n.trim().to_string()), rest),
            _ => (None, profile.as_str()),
        };
        let items: Vec<String> = pairs
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect();
        let values = parse_pairs(&items, "--profile")?;
        let (x, stratum) = crate::model::spec::encode_patient(&model.spec, &values)
            .map_err(|e| anyhow!("--profile {}: {e}", k + 1))?;
        for w in model.range_warnings(&values) {
            eprintln!("warning: profile {}: {w}", k + 1);
        }
        let label = name.unwrap_or_else(|| {
            values
                .iter()
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let curve = model.fit.patient_curve(&x, stratum);
        curves.push(plot::curves::StepCurve::from_prediction(&label, &curve));
    }
    let mut fig = plot::curves::SurvivalFigure::predictions(curves, model.spec.time_unit.clone());
    fig.bands = !a.no_bands;
    write_figure(&fig, &a.out, "profiles", &[&a.model])
}
