//! The `prognosis` command line: one file per subcommand (its clap arguments and its `run`), and
//! [`args`] for what several share. `src/main.rs` parses and calls [`run`].

mod args;
mod calculator;
mod cohort;
mod competing_model;
mod cuminc;
mod fit;
mod fit_competing;
mod interrupt;
mod km;
mod nomogram;
mod ph_test;
mod plot;
mod predict;
mod residuals;
mod risk_groups;
mod score;
mod simulate;
mod split;
mod study;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "prognosis",
    version,
    about = "Survival nomograms and prognosis: Cox models exact as R, from the shell"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// parsed once per run: the size difference between variants does not matter
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Fit a Cox proportional-hazards model to a cohort CSV and print its summary
    Fit(fit::FitArgs),
    /// Predict survival for every row of a CSV with a saved model
    Predict(predict::PredictArgs),
    /// Score one patient with a saved model: survival at horizons and median survival
    Score(score::ScoreArgs),
    /// Validate a saved model on a cohort: C-index, time-dependent AUC, Brier score, calibration,
    /// bootstrap optimism correction
    Validate(validate::ValidateArgs),
    /// Cumulative incidence of competing events (Aalen-Johansen), by group with Gray's test
    Cuminc(cuminc::CumincArgs),
    /// Kaplan-Meier survival curves (optionally by group) with the log-rank test
    Km(km::KmArgs),
    /// Draw a model's nomogram (SVG or PNG) and print its points table
    Nomogram(nomogram::NomogramArgs),
    /// Risk groups by nomogram points or linear predictor: Kaplan-Meier curves, medians, hazard
    /// ratios and the log-rank test
    RiskGroups(risk_groups::RiskGroupsArgs),
    /// Test proportional hazards of a saved model on its cohort (as R's cox.zph): per term and
    /// global
    PhTest(ph_test::PhTestArgs),
    /// Residuals of a saved model on its cohort (as R's residuals.coxph): martingale, deviance,
    /// dfbeta, score per row; Schoenfeld and scaled Schoenfeld per event
    Residuals(residuals::ResidualsArgs),
    /// Run a whole registry study from a specification: cohort, Table 1, Cox tables, nomogram,
    /// validation, risk groups, figures and report
    Study(study::StudyArgs),
    /// Figures that no other command draws: predicted survival curves of patient profiles
    #[command(subcommand)]
    Plot(plot::PlotCommand),
    /// Split a cohort CSV at random into development and validation files (seeded)
    Split(split::SplitArgs),
    /// Write a simulated cohort shaped like the flagship study (for benchmarks)
    Simulate(simulate::SimulateArgs),
    /// Apply a study specification to a registry export: inclusion rules, attrition table,
    /// analysis-ready CSV
    Cohort(cohort::CohortArgs),
    /// Write the clinician calculator of a saved model: one offline HTML file with the numbers
    /// of `score`
    Calculator(calculator::CalculatorArgs),
}

/// Runs a parsed command line: prints errors with their causes and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    interrupt::install();
    let result = match cli.command {
        Command::Fit(a) => fit::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Score(a) => score::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Nomogram(a) => nomogram::run(a),
        Command::RiskGroups(a) => risk_groups::run(a),
        Command::PhTest(a) => ph_test::run(a),
        Command::Residuals(a) => residuals::run(a),
        Command::Plot(plot::PlotCommand::Survival(a)) => plot::run(a),
        Command::Study(a) => study::run(a),
        Command::Split(a) => split::run(a),
        Command::Km(a) => km::run(a),
        Command::Cuminc(a) => cuminc::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Cohort(a) => cohort::run(a),
        Command::Calculator(a) => calculator::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if interrupt::interrupted() => {
            let text = error_text(&e);
            match text.find("interrupted") {
                Some(k) => eprintln!("error: {}: nothing was written", &text[k..]),
                None => eprintln!("error: interrupted: nothing was written"),
            }
            ExitCode::from(interrupt::EXIT_INTERRUPTED)
        }
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// Parses `prognosis score ARGS...` and computes what it would print with `model`, writing
/// nothing: the entry of the `score` command-line fuzz target. `None` when the arguments do not
/// parse as a `score` command line; the error text when scoring fails.
#[doc(hidden)]
pub fn fuzz_score(args: &[String], model: &crate::model::file::ModelFile) -> Option<String> {
    let argv = ["prognosis", "score"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    let Command::Score(a) = Cli::try_parse_from(argv).ok()?.command else {
        return None;
    };
    Some(match score::render(model, &a) {
        Ok(out) => out.stdout,
        Err(e) => error_text(&e),
    })
}

/// The error and its causes joined by ": ", as anyhow's `{:#}`, leaving out a cause whose text
/// the message already holds (typed errors that show their source in their own message).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("validation: {0}")]
    struct Shows(#[from] std::num::ParseIntError);

    #[test]
    fn error_text_does_not_repeat_a_cause_the_message_shows() {
        let inner = "x".parse::<i32>().unwrap_err();
        let e = anyhow::Error::from(Shows(inner.clone())).context("study");
        assert_eq!(
            error_text(&e),
            format!("study: validation: {inner}"),
            "{e:#}"
        );
        let plain = anyhow::Error::from(inner.clone()).context("reading x.csv");
        assert_eq!(error_text(&plain), format!("reading x.csv: {inner}"));
    }
}
