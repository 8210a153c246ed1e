//! devin-handoff: hand the exact local state of a git repository to a cloud Devin session.
//!
//! The pipeline ([`pipeline`]) is capture ([`git`]) → guard ([`scan`]) → compose
//! ([`prompt`]), then deliver ([`api`]); [`patch`] owns the patch format both capture and
//! the guard build on; [`commands`] are thin verbs over it and the API;
//! [`ui`] owns what people see; [`settings`] turns flags, environment and config into
//! [`settings::Settings`]. [`run`] is the whole program behind both binaries.

/// `eprintln!` that never panics: stderr closed early (`2>&1 | head -c1`) must not turn a
/// documented exit code into a crash (101). Shadows the standard macro in this crate.
#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

pub mod api;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod config;
pub mod cron;
pub mod error;
pub mod git;
pub mod help;
pub mod journal;
pub mod keymask;
pub mod patch;
pub mod paths;
pub mod pipeline;
pub mod prompt;
pub mod scan;
pub mod settings;
pub mod shell;
#[doc(hidden)]
pub mod testkit;
pub mod transcript;
pub mod ui;

pub use commands::{run, run_args};
