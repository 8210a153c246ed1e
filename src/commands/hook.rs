//! `hook`: a coding agent's hook event on stdin in, one JSON object out. It never prompts and
//! never blocks the agent unless asked to (`--block-on-failure`).

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::HookArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline;
use crate::pipeline::HandoffRequest;
use crate::scan::policy::Policy;
use crate::settings::Settings;
use crate::ui;

/// The fields of the hook events this reads: Claude Code's, Codex's and Copilot CLI's
/// (`cwd`, `prompt`, `transcript_path`, `last_assistant_message`), Cursor's
/// (`beforeSubmitPrompt`, `stop`: `workspace_roots` instead of `cwd`) and Gemini CLI's
/// (`BeforeAgent`, `AfterAgent`: `prompt_response` for the assistant's last words).
#[derive(Debug, Default, Deserialize)]
pub struct HookEvent {
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Cursor: the open workspace folders; the first is the one handed off.
    #[serde(default)]
    pub workspace_roots: Vec<PathBuf>,
    /// Gemini CLI's `AfterAgent`: the assistant's answer to the prompt.
    #[serde(default)]
    pub prompt_response: Option<String>,
    #[serde(default)]
    pub hook_event_name: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub transcript_path: Option<PathBuf>,
    #[serde(default)]
    pub last_assistant_message: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
}

const MAX_EVENT: u64 = 16 * 1024 * 1024;
const DEFAULT_TASK: &str = "Continue the work in progress.";

/// Parses an event; anything that is not a JSON object is an error.
pub fn parse_event(bytes: &[u8]) -> Result<HookEvent> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::usage(format!("the hook event on stdin is not valid JSON: {e}")))
}

const TRIGGERS: &[&str] = &[
    "/devin-handoff",
    "/handoff",
    "handoff:",
    "devin-handoff:",
    "handoff to devin:",
];

/// Whether the prompt asks for a handoff.
pub fn is_triggered(event: &HookEvent) -> bool {
    let p = event
        .prompt
        .as_deref()
        .unwrap_or("")
        .trim_start()
        .to_ascii_lowercase();
    TRIGGERS.iter().any(|t| p.starts_with(t))
}

/// The task: `--task`, else the prompt without a leading `/handoff` or `handoff:`.
pub fn task_of(event: &HookEvent, flag: Option<&str>) -> String {
    if let Some(t) = flag.filter(|t| !t.trim().is_empty()) {
        return t.to_string();
    }
    let prompt = event.prompt.as_deref().unwrap_or("").trim();
    let lower = prompt.to_ascii_lowercase();
    let mut rest = prompt;
    for trigger in TRIGGERS {
        if lower.starts_with(trigger) {
            rest = prompt[trigger.len()..].trim_start_matches([':', ' ', '\t', '\n']);
            break;
        }
    }
    if rest.trim().is_empty() {
        DEFAULT_TASK.to_string()
    } else {
        rest.trim().to_string()
    }
}

pub fn run(args: &HookArgs, settings: &Settings) -> Result<()> {
    let mut settings = settings.clone();
    // An agent's hook has no person at a terminal: never ask, answer in JSON.
    settings.out = ui::Printer::machine();
    let out = settings.out;
    match handle(args, &settings) {
        // Not for us (no trigger): let the prompt through untouched.
        Ok((_, msg)) if msg.is_empty() => out.result(
            &json!({"continue": true, "suppressOutput": true}),
            || Ok(()),
        ),
        Ok((event, msg)) => out.result(&hook_output(event.as_deref(), &msg, true), || Ok(())),
        Err((event, e)) => report_failure(args, event.as_deref(), &e),
    }
}

/// Answers a hook that sent nothing (or could not even start: a bad config file, say) in the
/// hook's format; exit 0 unless `--block-on-failure`.
pub fn report_failure(args: &HookArgs, event: Option<&str>, e: &Error) -> Result<()> {
    let what = if e.may_have_acted() {
        "Devin handoff may have created a session, but its answer was lost (check `devin-handoff sessions list --mine` before retrying)"
    } else {
        "Devin handoff did not run, and nothing was sent"
    };
    let out = hook_output(event, &format!("{what}: {}", e.message()), false);
    ui::Printer::machine().result(&out, || Ok(()))?;
    if args.block_on_failure {
        eprintln!("{}", ui::clean_line(e.message()));
        return Err(Error::silent(ErrorKind::Usage));
    }
    Ok(())
}

type Handled = std::result::Result<(Option<String>, String), (Option<String>, Error)>;

/// How long the hook waits for its event on stdin: an agent writes it at once.
const STDIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// The event from stdin, never hanging: not from a terminal (no agent is there), and not
/// past [`STDIN_DEADLINE`] from a pipe that stays open.
fn read_event() -> Result<Vec<u8>> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "the hook reads the agent's event as JSON on stdin, and stdin is a terminal",
        )
        .hint("echo '{\"hook_event_name\":\"Stop\"}' | devin-handoff hook"));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut raw = Vec::new();
        let r = std::io::stdin()
            .lock()
            .take(MAX_EVENT)
            .read_to_end(&mut raw)
            .map(|_| raw);
        let _ = tx.send(r);
    });
    match rx.recv_timeout(STDIN_DEADLINE) {
        Ok(Ok(raw)) => Ok(raw),
        Ok(Err(e)) => Err(Error::usage(format!("cannot read the hook event: {e}"))),
        Err(_) => Err(Error::usage(format!(
            "no hook event arrived on stdin within {} s",
            STDIN_DEADLINE.as_secs()
        ))),
    }
}

/// The end of the transcript, enough for a `budget`-byte tail: read from a regular file
/// only (a FIFO or a device would block), and only its last part, however big the file.
fn read_transcript_tail(path: &std::path::Path, budget: usize) -> Option<String> {
    use std::io::{Seek, SeekFrom};
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    // Whole turns are JSON lines, often far longer than what is kept of them.
    let window = (budget as u64 * 64).clamp(1 << 20, 32 << 20);
    let mut f = std::fs::File::open(path).ok()?;
    let start = meta.len().saturating_sub(window);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    f.take(window).read_to_end(&mut bytes).ok()?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        // The first line is cut: drop it.
        text = text
            .split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
    }
    Some(text)
}

fn handle(args: &HookArgs, settings: &Settings) -> Handled {
    let raw = read_event().map_err(|e| (None, e))?;
    let event = parse_event(&raw).map_err(|e| (None, e))?;
    let name = event.hook_event_name.clone();
    if args.require_trigger && !is_triggered(&event) {
        return Ok((name, String::new()));
    }
    let fail = |e: Error| (name.clone(), e);
    let dir = match event.cwd.as_ref().or(event.workspace_roots.first()) {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| fail(Error::other(e.to_string())))?,
    };
    // A hook fired from a folder that is gone, or outside any repository, would hand off the
    // task alone: almost never what the agent's user meant.
    if !dir.is_dir() {
        return Err(fail(Error::usage(format!(
            "the event's folder {} does not exist",
            dir.display()
        ))));
    }
    if !args.allow_no_repo && crate::git::locate(&dir).ok().flatten().is_none() {
        return Err(fail(
            Error::usage(format!("{} is not inside a git repository", dir.display()))
                .hint("--allow-no-repo hands off the task alone"),
        ));
    }
    let mut context = event
        .transcript_path
        .as_ref()
        .and_then(|p| read_transcript_tail(p, args.context_budget))
        .map(|t| crate::transcript::tail(&t, args.context_budget))
        .unwrap_or_default();
    if context.is_empty() {
        if let Some(last) = event
            .last_assistant_message
            .as_ref()
            .or(event.prompt_response.as_ref())
        {
            context = format!("Assistant: {}", last.trim());
        }
    }
    let req = HandoffRequest {
        dir,
        task: Some(task_of(&event, args.task.as_deref())),
        context: (!context.is_empty())
            .then(|| format!("The local agent's conversation, most recent last:\n\n{context}")),
        yes: true,
        // No one can be asked: `ask` blocks.
        secrets: Some(match Policy::from(args.secrets) {
            Policy::Ask => Policy::Block,
            p => p,
        }),
        ..HandoffRequest::default()
    };
    let mut ui = ui::prompt::NeverAsk { out: settings.out };
    let plan = pipeline::plan(&req, settings, &mut ui).map_err(fail)?;
    let delivered = super::block_on(async {
        let mut client = settings.client()?;
        pipeline::deliver(plan, &mut client, &settings.out, false).await
    })
    .map_err(fail)?;
    let (session, url) = (&delivered.session, delivered.session.web_url());
    let msg = if delivered.reused {
        format!(
            "This work is already handed off to Devin (session {}, still running): {url}",
            session.session_id
        )
    } else {
        format!(
            "Handed off to Devin (session {}): {url}",
            session.session_id
        )
    };
    Ok((name, msg))
}

/// The hook-output object: `systemMessage` for the person, and for a prompt hook the same
/// text as context for the agent.
fn hook_output(event: Option<&str>, message: &str, ok: bool) -> Value {
    // Cursor reads `continue` and `user_message` from a prompt hook, and nothing we would
    // say from `stop` (its `followup_message` would be sent to the agent as the user).
    match event {
        Some("beforeSubmitPrompt") => {
            return json!({"continue": true, "user_message": message});
        }
        Some("stop") => return json!({}),
        _ => {}
    }
    let mut out = json!({
        "continue": true,
        "suppressOutput": false,
        "systemMessage": message,
    });
    if let (Some(ev @ ("UserPromptSubmit" | "SessionStart" | "BeforeAgent")), Some(obj)) =
        (event, out.as_object_mut())
    {
        let context = if ok {
            format!(
                "{message}. Tell the user the session URL; the cloud session continues the work."
            )
        } else {
            message.to_string()
        };
        obj.insert(
            "hookSpecificOutput".into(),
            json!({"hookEventName": ev, "additionalContext": context}),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_triggers_are_stripped() {
        let ev = |p: &str| HookEvent {
            prompt: Some(p.into()),
            ..HookEvent::default()
        };
        assert_eq!(
            task_of(&ev("/handoff finish the parser"), None),
            "finish the parser"
        );
        assert_eq!(
            task_of(&ev("handoff: write the docs"), None),
            "write the docs"
        );
        assert_eq!(task_of(&ev("/handoff"), None), DEFAULT_TASK);
        assert_eq!(task_of(&HookEvent::default(), None), DEFAULT_TASK);
        assert_eq!(
            task_of(&ev("anything"), Some("from the flag")),
            "from the flag"
        );
        assert_eq!(task_of(&ev("fix the bug"), None), "fix the bug");
    }
}
