//! A fitted model and what derives from it: the model file, the nomogram scale, validation with the
//! bootstrap, risk groups and factor selection. Imports only [`crate::stats`].

pub mod card;
pub mod file;
pub mod nomogram;
pub mod riskgroups;
pub mod selection;
pub mod spec;
pub mod validation;
pub mod validation_competing;
