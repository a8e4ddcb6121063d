//! prognosis: Cox proportional-hazards models, survival prediction and validation, competing
//! risks and nomograms, with results equal to R's `survival`, `rms` and `cmprsk`.
//!
//! The source is in layers, lowest first; a module imports only from its own layer or lower ones:
//! [`stats`] (the numerical core: plain types in, `Result` out; no I/O, no printing, no number
//! formatting for people) < [`model`] (a fitted model and what derives from it: model file,
//! specification, nomogram, validation, risk groups, selection) < [`data`] (CSV, cohort and design
//! matrix, registry specification) < [`report`] and [`plot`] (text, JSON, Markdown/HTML, figures,
//! writing files) < [`study`] (the whole study pipeline) < [`cli`] (one file per subcommand; the
//! binary only parses and dispatches). `docs/architecture.md` says where new code goes.

// Input errors carry the file, line, column, value and a hint for people; they are returned on
// cold paths only, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod plot;
pub mod report;
pub mod stats;
pub mod study;
