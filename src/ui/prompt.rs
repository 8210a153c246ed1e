//! Questions on the terminal (dialoguer), and the terminal's side of
//! [`crate::pipeline::Interact`]. Ctrl-C at any question is an interrupt (exit 130).

use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::SecretChoice;

/// A question that got no answer: Ctrl-C (an interrupt, exit 130) or a terminal error. A menu
/// hides the cursor while it is drawn and does not show it again when it is left this way:
/// show it, so that the shell gets its cursor back.
fn answer_error(e: dialoguer::Error) -> Error {
    restore_terminal();
    match e {
        dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            Error::new(ErrorKind::Interrupted, "interrupted: nothing was sent")
        }
        e => Error::other(format!("cannot read the answer: {e}")),
    }
}

/// Shows the cursor again on a terminal (after a menu, a spinner or an interrupt).
pub fn restore_terminal() {
    let term = console::Term::stderr();
    if term.is_term() {
        let _ = term.show_cursor();
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
        Err(e) => Err(answer_error(e)),
    }
}

/// Asks what to do about secrets. Abort is the default and Esc aborts; Ctrl-C interrupts.
pub fn choose_secret_action() -> Result<SecretChoice> {
    let theme = dialoguer::theme::SimpleTheme;
    let items = [
        "Redact the secrets and send the rest",
        "Pass NAME=value secrets to the session as session secrets, redact the rest",
        "Send anyway, secrets included",
        "Abort: send nothing",
    ];
    let answer = dialoguer::Select::with_theme(&theme)
        .with_prompt("Secrets found. What now?")
        .items(&items)
        .default(3)
        .interact_opt();
    match answer {
        Ok(Some(0)) => Ok(SecretChoice::Redact),
        Ok(Some(1)) => Ok(SecretChoice::Session),
        Ok(Some(2)) => Ok(SecretChoice::SendAnyway),
        Ok(_) => Ok(SecretChoice::Abort),
        Err(e) => Err(answer_error(e)),
    }
}

/// The go-ahead for something that cannot be undone (terminate, delete): `--yes`, or a
/// person's answer (declining is exit 3, "nothing was {done}"). Where no one can answer,
/// it is refused (exit 2) unless `--yes` was given, as `gh` does.
pub fn confirm_destructive(
    out: super::Printer,
    yes: bool,
    question: &str,
    done: &str,
) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !out.can_prompt() {
        return Err(
            Error::usage(format!("no one can confirm here, so nothing was {done}"))
                .hint("pass --yes to do it without asking"),
        );
    }
    match confirm(question, false) {
        Err(e) if e.kind() == ErrorKind::NotSent => Err(Error::new(
            ErrorKind::NotSent,
            format!("declined: nothing was {done}"),
        )),
        other => other,
    }
}

/// Sending secrets as they are takes a typed `yes`, not a key press.
fn typed_yes(n: usize) -> Result<bool> {
    let answer = dialoguer::Input::<String>::new()
        .with_prompt(format!(
            "Type yes to send {n} possible secret{} as they are",
            if n == 1 { "" } else { "s" }
        ))
        .allow_empty(true)
        .interact_text();
    match answer {
        Ok(a) => Ok(a.trim() == "yes"),
        Err(e) => Err(answer_error(e)),
    }
}

/// The terminal's side of the pipeline: questions through dialoguer, findings, warnings
/// and notes on stderr.
pub struct Terminal;

impl crate::pipeline::Interact for Terminal {
    fn can_ask(&self) -> bool {
        true
    }

    fn secrets(
        &mut self,
        headline: &str,
        findings: &[crate::scan::Finding],
    ) -> Result<SecretChoice> {
        self.show_findings(headline, findings);
        match choose_secret_action()? {
            SecretChoice::SendAnyway if !typed_yes(findings.len())? => Ok(SecretChoice::Abort),
            choice => Ok(choice),
        }
    }

    fn show_findings(&mut self, headline: &str, findings: &[crate::scan::Finding]) {
        eprintln!("{}:", super::clean_line(headline));
        super::print_findings(findings);
    }

    fn confirm(&mut self, summary: &str) -> Result<bool> {
        eprint!("{}", super::clean(summary));
        match confirm("Hand this off to Devin?", true) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotSent => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn warn(&mut self, msg: &str) {
        super::warn(msg);
    }

    fn note(&mut self, msg: &str) {
        super::note(msg);
    }
}

/// Where no one can answer (scripts, agents, `--json`, `--no-input`): never asks; findings
/// are listed for people and left to the JSON error object otherwise.
pub struct NeverAsk {
    pub out: super::Printer,
}

impl crate::pipeline::Interact for NeverAsk {
    fn can_ask(&self) -> bool {
        false
    }

    fn secrets(
        &mut self,
        _headline: &str,
        _findings: &[crate::scan::Finding],
    ) -> Result<SecretChoice> {
        // Unreachable by the policy (it never asks without a person); aborting is safe.
        Ok(SecretChoice::Abort)
    }

    fn show_findings(&mut self, headline: &str, findings: &[crate::scan::Finding]) {
        self.out.human(|| {
            eprintln!("{}:", super::clean_line(headline));
            super::print_findings(findings);
        });
    }

    fn confirm(&mut self, _summary: &str) -> Result<bool> {
        Ok(true)
    }

    fn warn(&mut self, msg: &str) {
        super::warn(msg);
    }

    fn note(&mut self, msg: &str) {
        super::note(msg);
    }
}

/// The interaction for this run: the terminal when a question may be asked, else none.
pub fn interaction(out: super::Printer) -> Box<dyn crate::pipeline::Interact> {
    if out.can_prompt() {
        Box::new(Terminal)
    } else {
        Box::new(NeverAsk { out })
    }
}
