//! Progress and cancellation of long computations (the bootstrap, simulated cohorts): a
//! [`Control`] passed in by the caller, checked between resamples or chunks. The numerical core
//! only reads an atomic flag and calls a callback; what a person sees (a progress bar) and how
//! the flag is set (Ctrl-C) is the command line's business.

use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

/// Told how far a long computation has got. Called from worker threads, so `Sync`.
pub trait Progress: Sync {
    /// A stage of `total` units (`what`: "bootstrap resamples", "rows") begins.
    fn start(&self, what: &str, total: u64);
    /// `n` more units of the current stage are done.
    fn advance(&self, n: u64);
}

/// How a long computation reports progress and learns that it should stop.
///
/// The default reports nothing and never stops: results are those of a run without it. A
/// computation stops between two units of work (a resample, a chunk of rows), never inside one,
/// so a run that is not stopped gives the same numbers with or without a `Control`.
#[derive(Clone, Copy, Default)]
pub struct Control<'a> {
    /// Set (by anyone, at any time) to ask the computation to stop. Default: none.
    pub cancel: Option<&'a AtomicBool>,
    /// Told of the progress. Default: none.
    pub progress: Option<&'a dyn Progress>,
}

impl std::fmt::Debug for Control<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("cancel", &self.cancel.map(|c| c.load(Ordering::Relaxed)))
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A computation stopped on request, after `done` of `total` units.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("interrupted after {done} of {total} {what}")]
pub struct Interrupted {
    pub what: String,
    pub done: u64,
    pub total: u64,
}

impl Control<'_> {
    /// Whether the computation has been asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Tells the progress that a stage of `total` units begins.
    pub fn start(&self, what: &str, total: u64) {
        if let Some(p) = self.progress {
            p.start(what, total);
        }
    }

    /// Tells the progress that `n` more units are done.
    pub fn advance(&self, n: u64) {
        if let Some(p) = self.progress {
            p.advance(n);
        }
    }

    /// `Err` when asked to stop, naming how far the stage got.
    pub fn check(&self, what: &str, done: u64, total: u64) -> Result<(), Interrupted> {
        if self.cancelled() {
            Err(Interrupted {
                what: what.to_string(),
                done,
                total,
            })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    struct Count(AtomicU64, AtomicU64);
    impl Progress for Count {
        fn start(&self, _: &str, total: u64) {
            self.0.store(total, Ordering::Relaxed);
        }
        fn advance(&self, n: u64) {
            self.1.fetch_add(n, Ordering::Relaxed);
        }
    }

    #[test]
    fn the_default_never_stops_and_a_flag_stops() {
        let c = Control::default();
        assert!(!c.cancelled());
        assert!(c.check("rows", 0, 10).is_ok());
        let flag = AtomicBool::new(false);
        let count = Count(AtomicU64::new(0), AtomicU64::new(0));
        let c = Control {
            cancel: Some(&flag),
            progress: Some(&count),
        };
        c.start("rows", 10);
        c.advance(3);
        assert!(c.check("rows", 3, 10).is_ok());
        flag.store(true, Ordering::Relaxed);
        let e = c.check("rows", 3, 10).unwrap_err();
        assert_eq!(e.to_string(), "interrupted after 3 of 10 rows");
        assert_eq!(count.0.load(Ordering::Relaxed), 10);
        assert_eq!(count.1.load(Ordering::Relaxed), 3);
    }
}
