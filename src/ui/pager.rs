//! Long human output (the dry run's prompt, a session's messages) through a pager on a
//! terminal, as git and gh do: `DEVIN_HANDOFF_PAGER`, else `$PAGER`, else `less -FRX`.
//! `--no-pager`, `DEVIN_HANDOFF_PAGER=cat` (or empty), a pipe and `--json` all turn it off.

use std::io::{IsTerminal, Write};
#[cfg(unix)]
use std::os::fd::{AsFd, OwnedFd};
use std::process::Child;
#[cfg(unix)]
use std::process::{Command, Stdio};

use super::Printer;

/// While alive, stdout goes into the pager; dropping it closes the pager's input and waits
/// for the person to leave it.
#[derive(Debug)]
pub struct Paging {
    child: Option<Child>,
    #[cfg(unix)]
    saved: Option<OwnedFd>,
}

/// The pager command to run, if paging is on for this run's environment.
fn pager_command() -> Option<String> {
    let chosen = match std::env::var("DEVIN_HANDOFF_PAGER") {
        Ok(p) => p,
        Err(_) => std::env::var("PAGER").unwrap_or_else(|_| "less -FRX".into()),
    };
    let chosen = chosen.trim().to_string();
    (!chosen.is_empty() && chosen != "cat").then_some(chosen)
}

impl Printer {
    /// Starts the pager for long output, when people read stdout on a terminal and paging is
    /// not turned off. Output printed while the returned guard lives goes through it.
    pub fn page(&self) -> Paging {
        if self.json || !self.pager || !std::io::stdout().is_terminal() {
            return Paging::off();
        }
        match pager_command() {
            Some(cmd) => start(&cmd),
            None => Paging::off(),
        }
    }
}

impl Paging {
    fn off() -> Paging {
        Paging {
            child: None,
            #[cfg(unix)]
            saved: None,
        }
    }
}

/// Starts `cmd` and makes stdout its input (Unix: the pager gets our stdout's descriptor,
/// as git does). Elsewhere output is not paged.
#[cfg(unix)]
fn start(cmd: &str) -> Paging {
    let _ = std::io::stdout().flush();
    // Through the shell, as git does, so that `less -R` or a quoted path work as typed.
    // `LESS` gets git's defaults when the user has none.
    let mut command = Command::new("sh");
    command.arg("-c").arg(cmd).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    let Ok(mut child) = command.spawn() else {
        // No pager to be had: print as usual.
        return Paging::off();
    };
    let (Some(input), Ok(saved)) = (
        child.stdin.take(),
        std::io::stdout().as_fd().try_clone_to_owned(),
    ) else {
        let _ = child.kill();
        let _ = child.wait();
        return Paging::off();
    };
    if rustix::stdio::dup2_stdout(&input).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Paging::off();
    }
    // Our stdout is now the pager's only input: the `input` handle closes here.
    drop(input);
    Paging {
        child: Some(child),
        saved: Some(saved),
    }
}

#[cfg(not(unix))]
fn start(_cmd: &str) -> Paging {
    Paging::off()
}

impl Drop for Paging {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        #[cfg(unix)]
        if let Some(saved) = self.saved.take() {
            // Putting the terminal back as stdout closes the pager's input: it sees the end.
            let _ = rustix::stdio::dup2_stdout(&saved);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}
