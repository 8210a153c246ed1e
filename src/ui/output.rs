//! The one output layer: every command's result goes through [`Printer`], so `--json` has one
//! meaning (one JSON document on stdout, errors too) and is read in one place.

use std::io::{IsTerminal, Write};

use crate::error::{Error, Result};

/// How results are printed, and whether a person may be asked anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    pub(super) json: bool,
    interactive: bool,
    /// Whether long output may go through a pager (`--no-pager` turns it off).
    pub(super) pager: bool,
}

impl Printer {
    /// `--json` (one JSON document on stdout) and `--no-input` (never ask). Questions need a
    /// terminal on both stdin and stderr, and are never asked with `--json`.
    pub fn new(json: bool, no_input: bool) -> Printer {
        Printer {
            json,
            interactive: !json
                && !no_input
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
            pager: true,
        }
    }

    /// The same, with long output never paged (`--no-pager`).
    pub fn without_pager(self) -> Printer {
        Printer {
            pager: false,
            ..self
        }
    }

    /// JSON output, never asking: what hooks and agents get.
    pub fn machine() -> Printer {
        Printer {
            json: true,
            interactive: false,
            pager: false,
        }
    }

    /// Whether results are one JSON document (`--json`).
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Whether a question may be asked.
    pub fn can_prompt(&self) -> bool {
        self.interactive
    }

    /// A command's result: `value` as the run's JSON document, or `human` for people.
    pub fn result<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        human: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if self.json {
            print_json(value)
        } else {
            human()
        }
    }

    /// One event of a stream (`watch`): a compact JSON line on stdout, flushed at once
    /// (NDJSON), or `human` for people.
    pub fn event<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        human: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if !self.json {
            return human();
        }
        let line = serde_json::to_string(value)
            .map_err(|e| Error::other(format!("cannot encode output: {e}")))?;
        print_stdout(&format!("{line}\n"))
    }

    /// A note for people on stderr; nothing with `--json`, where stderr stays for warnings
    /// and errors.
    pub fn note(&self, msg: &str) {
        if !self.json {
            super::note(msg);
        }
    }

    /// Runs `f` only for people (human output).
    pub fn human(&self, f: impl FnOnce()) {
        if !self.json {
            f();
        }
    }

    /// Prints an error the way people and scripts expect: one line, then hints; with
    /// `--json`, also the error object on stdout.
    pub fn report_error(&self, err: &Error, verbose: u8) {
        if err.is_silent() {
            return;
        }
        if self.json {
            let mut v = err.to_json();
            if verbose > 0 {
                v["error"]["causes"] = serde_json::json!(err.causes());
            }
            // The one JSON object of the run; stdout may be gone, and that is fine.
            let _ = print_json(&v);
        }
        // An API's problem detail may hold anything: one line each, no control characters.
        eprintln!(
            "{} {}",
            console::style("error:").red().bold(),
            super::clean_line(err.message())
        );
        for h in err.hints() {
            eprintln!(
                "  {} {}",
                console::style("hint:").cyan(),
                super::clean_line(h)
            );
        }
        // The chain of causes is for whoever debugs: `-v` shows it.
        if verbose > 0 {
            for cause in err.causes() {
                let cause = super::clean_line(&cause);
                eprintln!("  {} {cause}", console::style("caused by:").dim());
            }
        }
    }
}

/// Writes `value` to stdout as the single JSON document of this run.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::other(format!("cannot encode output: {e}")))?;
    print_stdout(&format!("{text}\n"))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error. On a terminal, control
/// characters are shown, not obeyed; into a pipe or file the text goes exactly.
pub fn print_stdout(text: &str) -> Result<()> {
    if std::io::stdout().is_terminal() {
        print_stdout_clean(&super::clean(text))
    } else {
        print_stdout_clean(&crate::keymask::mask(text))
    }
}

/// Writes text already made safe (each field cleaned, escapes only our own colours) to
/// stdout as it is.
pub(super) fn print_stdout_clean(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
