//! The `prognosis` binary: parses the command line and hands it to [`prognosis::cli`].

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    prognosis::cli::run(prognosis::cli::Cli::parse())
}
