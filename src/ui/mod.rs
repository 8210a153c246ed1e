//! Everything a person sees: colour, warnings and notes, findings and errors on stderr.
//! Results go through [`Printer`] (`output.rs`); questions through `prompt.rs`. Nothing
//! outside `ui/` asks a question or decides the output format.

use std::io::IsTerminal;

mod output;
mod progress;
pub mod prompt;
mod summary;

pub use output::{print_stdout, Printer};
pub use summary::{human_bytes, summary};

/// When to colour stderr (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Sets colour for stderr once, from `--color` and `NO_COLOR`.
pub fn init_color(when: Color) {
    let on = match when {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    console::set_colors_enabled_stderr(on);
    console::set_colors_enabled(on);
}

/// A debug line on stderr when `-v` is at least `level`. Callers pass no secrets.
pub fn debug(verbose: u8, level: u8, msg: &str) {
    if verbose >= level {
        eprintln!("{} {msg}", console::style("debug:").dim());
    }
}

pub fn warn(msg: &str) {
    eprintln!("{} {msg}", console::style("warning:").yellow().bold());
}

pub fn note(msg: &str) {
    eprintln!("{} {msg}", console::style("note:").cyan());
}

/// Findings as lines for people, masked: `path:line  rule  masked`.
pub fn format_findings(findings: &[crate::scan::Finding]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in findings {
        let place = match f.line {
            Some(l) => format!("{}:{l}", f.path),
            None => f.path.clone(),
        };
        let masked = if f.masked.is_empty() {
            "(sensitive file name)".to_string()
        } else {
            f.masked.clone()
        };
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            console::style(place).bold(),
            console::style(f.rule).red(),
            masked
        );
    }
    out
}

/// Lists findings on stderr, masked.
pub fn print_findings(findings: &[crate::scan::Finding]) {
    eprint!("{}", format_findings(findings));
}
