//! Everything a person sees: colour, warnings and notes, findings and errors on stderr.
//! Results go through [`Printer`] (`output.rs`); questions through `prompt.rs`. Nothing
//! outside `ui/` asks a question or decides the output format.

use std::io::IsTerminal;

pub mod interrupt;
mod output;
mod pager;
mod progress;
pub mod prompt;
mod summary;
pub mod table;

pub use output::{print_json, print_stdout, Printer};
pub use pager::Paging;
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
        eprintln!("{} {}", console::style("debug:").dim(), clean(msg));
    }
}

/// How the API client's events are shown: details at `-v`/`-vv`, and retries on a terminal.
pub fn api_events(verbose: u8, on_terminal: bool) -> crate::api::Events {
    crate::api::Events::new(move |e| match e {
        crate::api::Event::Debug { level, message } => debug(verbose, level, message),
        crate::api::Event::Retry { wait, attempt, of } => {
            if on_terminal {
                let secs = wait.as_secs_f64().ceil().max(1.0);
                eprintln!("API busy, retrying in {secs} s ({attempt}/{of})");
            }
        }
    })
}

/// Text from the API or a repository made safe for a terminal: every C0 and C1 control
/// character but newline and tab, and DEL, is shown as `\xNN` instead of being obeyed (no
/// cleared screens, window titles or clipboard writes from a session title or file name).
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let text = crate::keymask::mask(text);
    let bad = |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    if !text.chars().any(|c| bad(c) || is_bidi(c)) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if is_bidi(c) {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The bidirectional controls (embeddings, overrides, isolates and marks): they reorder what
/// a terminal shows (a name that reads `txt.exe` is `exe.txt`), so they are shown, not obeyed.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// [`clean`], and kept on one line: a newline or tab becomes a space, so that a field can
/// neither break a table row nor forge a line of its own (a fake `hint:`).
pub fn clean_line(text: &str) -> String {
    clean(text).replace(['\n', '\r', '\t'], " ")
}

/// Prints a line on stderr for people, cleaned of control characters.
pub fn say(msg: &str) {
    eprintln!("{}", clean(msg));
}

pub fn warn(msg: &str) {
    eprintln!(
        "{} {}",
        console::style("warning:").yellow().bold(),
        clean_line(msg)
    );
}

pub fn note(msg: &str) {
    eprintln!("{} {}", console::style("note:").cyan(), clean_line(msg));
}

/// Findings as lines for people, masked: `path:line  rule  masked`.
pub fn format_findings(findings: &[crate::scan::Finding]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in findings {
        let place = match f.line {
            Some(l) => format!("{}:{l}", clean_line(&f.path)),
            None => clean_line(&f.path),
        };
        let masked = if let Some(why) = f.reason {
            format!("(unscannable: {why})")
        } else if f.masked.is_empty() {
            "(sensitive file name)".to_string()
        } else {
            clean_line(&f.masked)
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

/// Opens `url` in the browser for `--open`, or says why it could not and what to do: the
/// system opener starts in the background and fails silently where there is no display, so
/// that case is told apart first.
pub fn open_in_browser(url: &str) {
    let headless = std::env::var_os("BROWSER").is_none()
        && cfg!(all(unix, not(target_os = "macos")))
        && ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .all(|v| std::env::var_os(v).is_none_or(|x| x.is_empty()));
    let failure = if headless {
        Some("no browser here (no display, and BROWSER is not set)".to_string())
    } else {
        opener::open_browser(url)
            .err()
            .map(|e| format!("could not open the browser: {e}"))
    };
    if let Some(why) = failure {
        warn(&format!("{why}; open {} yourself", clean_line(url)));
    }
}
