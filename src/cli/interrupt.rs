//! Ctrl-C and progress bars for long runs.
//!
//! [`install`] (called once, before any command runs) catches SIGINT. While a command is inside a
//! stretch that looks at the flag between units of work ([`Watch`]: the bootstrap, a simulated
//! cohort, the study, writing the outputs), Ctrl-C only sets the flag, the computation stops at
//! the next resample or chunk, nothing is written (temporary files are removed) and the command
//! exits with status 130 and "interrupted". Anywhere else, where nothing has been written yet,
//! Ctrl-C ends the process at once with the same status and message; so does a second Ctrl-C.
//!
//! [`Bar`] draws a progress bar on standard error, only when standard error is a terminal.

use crate::stats::control::{Control, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The exit status of an interrupted run (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static WATCHERS: AtomicUsize = AtomicUsize::new(0);

/// Catches Ctrl-C (SIGINT) for the rest of the process. A failure to install leaves the default
/// (the process ends at once), which writes nothing either.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let again = INTERRUPTED.swap(true, Ordering::SeqCst);
        if again || WATCHERS.load(Ordering::SeqCst) == 0 {
            eprintln!("error: interrupted: nothing was written");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
}

/// Whether Ctrl-C has been pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The flag that Ctrl-C sets.
pub fn flag() -> &'static AtomicBool {
    &INTERRUPTED
}

/// A stretch of work that looks at the flag: while one lives, Ctrl-C sets the flag instead of
/// ending the process.
pub struct Watch(());

impl Watch {
    /// Begins a watched stretch (ends when the value is dropped).
    pub fn start() -> Self {
        WATCHERS.fetch_add(1, Ordering::SeqCst);
        Watch(())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A progress bar on standard error, drawn only when standard error is a terminal (never in a
/// pipe, a file, CI or a test) and the command is not asked for JSON; cleared when done.
pub struct Bar {
    shown: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    /// A bar, hidden unless standard error is a terminal; `quiet` hides it too (JSON output).
    pub fn new(quiet: bool) -> Self {
        Bar {
            shown: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    /// The control of a computation: the Ctrl-C flag and this bar.
    pub fn control(&self) -> Control<'_> {
        Control {
            cancel: Some(flag()),
            progress: Some(self),
        }
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        if !self.shown {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{wide_bar}] {human_pos}/{human_len} (about {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        if let Ok(mut b) = self.bar.lock() {
            if let Some(old) = b.replace(bar) {
                old.finish_and_clear();
            }
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(bar) = b.as_ref() {
                bar.inc(n);
            }
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(bar) = b.take() {
                bar.finish_and_clear();
            }
        }
    }
}
