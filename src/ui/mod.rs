//! Everything a person sees: output (human or `--json`), colour, and confirmation prompts.

use std::io::{IsTerminal, Write};

use crate::cli::ColorWhen;
use crate::error::{Error, ErrorKind, Result};

/// Sets colour for stderr once, from `--color` and `NO_COLOR`.
pub fn init_color(when: ColorWhen) {
    let on = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    console::set_colors_enabled_stderr(on);
    console::set_colors_enabled(on);
}

/// Whether a confirmation may be asked: never with `--json`, never without a terminal.
pub fn can_prompt(json: bool) -> bool {
    !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
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

/// A progress bar for an upload of `len` bytes, shown only on a terminal and never with
/// `--json`.
pub fn upload_progress(len: u64, json: bool) -> Option<indicatif::ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "uploading the patch {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Writes `value` to stdout as the single JSON document of this run.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::other(format!("cannot encode output: {e}")))?;
    print_stdout(&format!("{text}\n"))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Asks a yes/no question on the terminal. Esc or "no" declines (exit 3); Ctrl-C interrupts.
pub fn confirm(question: &str, default: bool) -> Result<()> {
    let theme = dialoguer::theme::SimpleTheme;
    let answer = dialoguer::Confirm::with_theme(&theme)
        .with_prompt(question)
        .default(default)
        .interact_opt();
    match answer {
        Ok(Some(true)) => Ok(()),
        Ok(Some(false)) | Ok(None) => {
            Err(Error::new(ErrorKind::NotSent, "declined: nothing was sent"))
        }
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => Err(
            Error::new(ErrorKind::Interrupted, "interrupted: nothing was sent"),
        ),
        Err(e) => Err(Error::other(format!("cannot read the answer: {e}"))),
    }
}

/// The three answers to "secrets were found".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChoice {
    Redact,
    SendAnyway,
    Abort,
}

/// Asks what to do about secrets. Abort is the default; Esc and Ctrl-C abort.
pub fn choose_secret_action() -> Result<SecretChoice> {
    let theme = dialoguer::theme::SimpleTheme;
    let items = [
        "Redact the secrets and send the rest",
        "Send anyway, secrets included",
        "Abort: send nothing",
    ];
    let answer = dialoguer::Select::with_theme(&theme)
        .with_prompt("Secrets found. What now?")
        .items(&items)
        .default(2)
        .interact_opt();
    match answer {
        Ok(Some(0)) => Ok(SecretChoice::Redact),
        Ok(Some(1)) => Ok(SecretChoice::SendAnyway),
        Ok(_) => Ok(SecretChoice::Abort),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            Ok(SecretChoice::Abort)
        }
        Err(e) => Err(Error::other(format!("cannot read the answer: {e}"))),
    }
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

/// Prints an error the way people and scripts expect: one line, then hints.
pub fn report_error(err: &Error, json: bool) {
    if err.is_silent() {
        return;
    }
    if json {
        let mut v = serde_json::json!({
            "error": {
                "kind": err.kind().name(),
                "exit_code": err.kind().exit_code(),
                "message": err.message(),
                "hints": err.hints(),
            }
        });
        if let (Some((key, value)), Some(obj)) = (err.detail(), v.as_object_mut()) {
            obj.insert((*key).to_string(), value.clone());
        }
        // The one JSON object of the run; stdout may be gone, and that is fine.
        let _ = print_json(&v);
    }
    eprintln!(
        "{} {}",
        console::style("error:").red().bold(),
        err.message()
    );
    for h in err.hints() {
        eprintln!("  {} {h}", console::style("hint:").cyan());
    }
}
