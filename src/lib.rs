//! prognosis: Cox proportional-hazards models, survival prediction and validation, with results
//! equal to R's `survival` and `rms`.
//!
//! The numerical core ([`surv`], [`cox`], [`linalg`], [`dist`]) takes plain types and does no I/O.

pub mod cox;
pub mod dist;
pub mod linalg;
pub mod surv;
