//! Results for people and programs: text tables, JSON, Table 1, and writing files. Number
//! formatting for people lives here. [`crate::plot`] is the figure half of this layer.

pub mod calculator;
pub mod competing;
pub mod diagnostics;
pub mod doc;
pub mod docx;
pub mod format;
pub mod output;
pub mod table1;
pub mod text;
pub mod tripod;
