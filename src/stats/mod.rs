//! The numerical core: plain types in, `Result` with a typed error out; no I/O, no printing and no
//! formatting of numbers for people. Every statistic follows the R function it names.

pub mod calibration;
pub mod competing;
pub mod concordance;
pub mod control;
pub mod cox;
pub mod decision;
pub mod dist;
pub mod hypothesis;
pub mod km;
pub mod linalg;
pub mod metrics;
pub mod pretty;
pub mod residuals;
pub mod smooth;
pub mod surv;
pub mod zph;
