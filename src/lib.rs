//! prognosis: Cox proportional-hazards models, survival prediction and validation, with results
//! equal to R's `survival` and `rms`.
//!
//! The numerical core ([`surv`], [`cox`], [`km`], [`linalg`], [`dist`]) takes plain types and does
//! no I/O. [`data`] reads CSV files, [`cohort`] turns them into fit inputs, [`model`] is the model
//! file, [`report`] renders results, [`output`] writes files atomically. [`nomogram`] scales a
//! model as `rms::nomogram`, [`riskgroups`] compares risk groups, [`table1`] and [`selection`] make
//! a study's tables, and [`plot`] draws the figures (SVG and PNG, DejaVu Sans built in).

// Input errors carry the file, line, column, value and a hint for people; they are returned on
// cold paths only, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod calculator;
pub mod calibration;
pub mod cohort;
pub mod concordance;
pub mod cox;
pub mod data;
pub mod decision;
pub mod dist;
pub mod km;
pub mod linalg;
pub mod metrics;
pub mod model;
pub mod model_card;
pub mod nomogram;
pub mod output;
pub mod plot;
pub mod pretty;
pub mod registry;
pub mod report;
pub mod riskgroups;
pub mod selection;
pub mod simulate;
pub mod study;
pub mod surv;
pub mod table1;
pub mod validation;
