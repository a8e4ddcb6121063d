//! `prognosis study`: the whole registry study from a specification.

use super::args::stdout;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct StudyArgs {
    /// Study specification, TOML or JSON (docs/study-spec.md)
    #[arg(long)]
    spec: PathBuf,
    /// Registry export CSV (default: the specification's source.file)
    export: Option<PathBuf>,
    /// Directory for the report, tables, figures, model and manifest (created if needed)
    #[arg(long)]
    out_dir: PathBuf,
    /// Bootstrap resamples (default: the specification's [validation] bootstrap)
    #[arg(long)]
    bootstrap: Option<usize>,
    /// Write figures as SVG only (no 300-dpi PNG)
    #[arg(long)]
    no_png: bool,
    /// Formats of each figure, comma-separated: svg, png (300 dpi), pdf, tiff (600 dpi); SVG is
    /// always written
    #[arg(long, default_value = "svg,png,pdf")]
    formats: String,
}

pub fn run(a: StudyArgs) -> Result<()> {
    let (spec, export) = super::args::spec_and_export(&a.spec, a.export)?;
    // an output over an input is refused before the analysis
    let names = [
        "analysis.csv",
        "model.json",
        "report.md",
        "report.html",
        "manifest.json",
    ];
    let planned: Vec<PathBuf> = names.iter().map(|n| a.out_dir.join(n)).collect();
    let planned: Vec<&std::path::Path> = planned.iter().map(|p| p.as_path()).collect();
    super::args::check_outputs(&[&a.spec, &export], &planned)?;
    let t0 = std::time::Instant::now();
    let opts = crate::study::StudyOptions {
        bootstrap: a.bootstrap,
        formats: crate::plot::ImageFormat::parse_list(&a.formats)?
            .into_iter()
            .filter(|f| !a.no_png || *f != crate::plot::ImageFormat::Png)
            .collect(),
    };
    // Ctrl-C stops between steps and between resamples; a progress bar on a terminal
    let watch = super::interrupt::Watch::start();
    let bar = super::interrupt::Bar::new(false);
    let out = crate::study::run_with(&spec, &export, &opts, &bar.control())?;
    drop((bar, watch));
    let t_run = t0.elapsed();
    let files = out
        .files
        .iter()
        .map(|(name, bytes)| (a.out_dir.join(name), bytes.clone()))
        .collect();
    super::args::write_in_dir(&a.out_dir, &[&a.spec, &export], files)?;
    if std::env::var_os("PROGNOSIS_TIMING").is_some() {
        eprintln!(
            "timing: analysis and figures {:.3} s, writing {:.3} s",
            t_run.as_secs_f64(),
            (t0.elapsed() - t_run).as_secs_f64()
        );
    }
    stdout(&format!(
        "Study {}\n{}\nWrote {} files to {}: open {} first.\n",
        spec.study.name,
        out.summary.trim_end(),
        out.files.len(),
        a.out_dir.display(),
        a.out_dir.join("report.html").display()
    ))
}
