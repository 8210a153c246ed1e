//! Progress on stderr while the tool waits: bars for transfers, a spinner for `watch`.
//! Shown only on a terminal, never with `--json`.

use std::io::IsTerminal;

use super::Printer;

impl Printer {
    /// Whether people watch stderr on a terminal (for notices such as a retry's).
    pub fn on_terminal(&self) -> bool {
        !self.json && std::io::stderr().is_terminal()
    }

    /// A progress bar for a transfer of `len` bytes: on a terminal, never with `--json`.
    pub fn progress(&self, len: u64, what: &str) -> Option<indicatif::ProgressBar> {
        if self.json || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = indicatif::ProgressBar::new(len);
        let template = format!("{what} {{bar:30}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Some(bar)
    }

    /// A spinner on stderr while waiting: on a terminal, never with `--json`.
    pub fn spinner(&self) -> Option<indicatif::ProgressBar> {
        (!self.json && std::io::stderr().is_terminal()).then(|| {
            let s = indicatif::ProgressBar::new_spinner();
            // How long the wait has lasted, ticking: a watch can take an hour.
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} · {elapsed} elapsed")
            {
                s.set_style(style);
            }
            s.enable_steady_tick(std::time::Duration::from_millis(120));
            s
        })
    }
}
