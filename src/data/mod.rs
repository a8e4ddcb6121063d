//! Reading inputs: CSV files, the cohort and design matrix of a fit, the registry study
//! specification with its label readers, inclusion rules and attrition, and simulated cohorts.
//! Imports [`crate::model`] and [`crate::stats`].

pub mod cohort;
pub mod competing;
pub mod csv;
pub mod mapping;
pub mod registry;
pub mod simulate;
