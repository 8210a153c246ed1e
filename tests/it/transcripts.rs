//! Hooks with the transcripts and events agents really write (fixtures from each agent's
//! documented format; see fixtures/hooks/README.md): exactly the user's and the assistant's
//! text turns reach the prompt, newest kept within the budget.

use std::path::Path;

use crate::common::*;

/// Runs `hook` (with `flags`) on `event` against `api`; returns its JSON answer and the
/// prompt of the session it created.
fn hook(api: &FakeApi, dir: &Path, event: &str, flags: &[&str]) -> (serde_json::Value, String) {
    let before = api.sessions_created();
    let out = checked(
        bin_api(dir, api)
            .arg("hook")
            .args(flags)
            .write_stdin(event.to_string())
            .output()
            .expect("run"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(api.sessions_created(), before + 1, "{}", stdout(&out));
    let prompt = api.create_requests().last().expect("a create").json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    (stdout_json(&out), prompt)
}

/// The markers of `wanted` appear in this order, and none of `unwanted` appears.
fn turns_are(prompt: &str, wanted: &[&str], unwanted: &[&str]) {
    let mut at = 0;
    for w in wanted {
        let i = prompt[at..]
            .find(w)
            .unwrap_or_else(|| panic!("{w} missing or out of order in:\n{prompt}"));
        at += i + w.len();
    }
    for u in unwanted {
        assert!(!prompt.contains(u), "{u} reached the prompt:\n{prompt}");
    }
}

fn stop_event(cwd: &Path, transcript: &Path) -> String {
    serde_json::json!({
        "session_id": "s-1",
        "transcript_path": transcript,
        "cwd": cwd,
        "hook_event_name": "Stop",
    })
    .to_string()
}

const CODEX_SKIPPED: &[&str] = &[
    "CODEX-DUPLICATE",
    "CODEX-REASONING",
    "CODEX-TOOL-OUTPUT",
    "environment_context",
    "AGENTS.md",
    "permissions instructions",
];

const CLAUDE_SKIPPED: &[&str] = &[
    "CLAUDE-SUMMARY",
    "CLAUDE-SYSTEM",
    "CLAUDE-COMMAND-OUTPUT",
    "command-name",
    "Caveat:",
    "CLAUDE-SIDECHAIN",
    "CLAUDE-TOOL-RESULT",
    "CLAUDE-THINKING",
];

#[test]
fn a_codex_rollout_gives_exactly_its_text_turns_newest_kept() {
    let fx = Fixture::new();
    write(&fx.work.join("src/parse.rs"), "// trailing commas\n");
    let rollout = fx
        .root
        .path()
        .join("rollout-2026-11-20T10-00-00-0199a1b2.jsonl");
    std::fs::write(&rollout, hook_fixture("codex-rollout.jsonl")).expect("write");
    let api = FakeApi::start();
    let (_, prompt) = hook(&api, &fx.work, &stop_event(&fx.work, &rollout), &[]);
    turns_are(
        &prompt,
        &[
            "User: CODEX-USER-1",
            "Assistant: CODEX-ASSISTANT-1",
            "User: CODEX-USER-2",
            "Assistant: CODEX-ASSISTANT-2",
        ],
        CODEX_SKIPPED,
    );
    // A budget that holds only the last two turns keeps the newest.
    write(&fx.work.join("src/parse.rs"), "// trailing commas, again\n");
    let (_, prompt) = hook(
        &api,
        &fx.work,
        &stop_event(&fx.work, &rollout),
        &["--context-budget", "160"],
    );
    turns_are(
        &prompt,
        &["User: CODEX-USER-2", "Assistant: CODEX-ASSISTANT-2"],
        &["CODEX-USER-1", "CODEX-ASSISTANT-1"],
    );
}

#[test]
fn a_rich_claude_code_transcript_gives_exactly_its_text_turns() {
    let fx = Fixture::new();
    write(&fx.work.join("src/lex.rs"), "// lexer\n");
    let transcript = fx.root.path().join("session.jsonl");
    std::fs::write(&transcript, hook_fixture("claude-code-rich.jsonl")).expect("write");
    let api = FakeApi::start();
    let event = hook_fixture("claude-code-user-prompt-submit.json")
        .replace("{{CWD}}", fx.work.to_str().expect("utf8"))
        .replace("{{TRANSCRIPT}}", transcript.to_str().expect("utf8"));
    let (json, prompt) = hook(&api, &fx.work, &event, &[]);
    turns_are(
        &prompt,
        &[
            "User: CLAUDE-USER-1",
            "Assistant: CLAUDE-ASSISTANT-1",
            "Assistant: CLAUDE-ASSISTANT-2",
            "User: CLAUDE-USER-2",
        ],
        CLAUDE_SKIPPED,
    );
    assert_eq!(
        json["hookSpecificOutput"]["hookEventName"],
        "UserPromptSubmit"
    );
}

#[test]
fn the_format_is_found_per_line_whichever_agent_wrote_it() {
    let fx = Fixture::new();
    write(&fx.work.join("notes.txt"), "both\n");
    let mixed = fx.root.path().join("mixed.jsonl");
    std::fs::write(
        &mixed,
        format!(
            "{}{}",
            hook_fixture("claude-code-rich.jsonl"),
            hook_fixture("codex-rollout.jsonl")
        ),
    )
    .expect("write");
    let api = FakeApi::start();
    let (_, prompt) = hook(&api, &fx.work, &stop_event(&fx.work, &mixed), &[]);
    let mut skipped = CLAUDE_SKIPPED.to_vec();
    skipped.extend(CODEX_SKIPPED);
    turns_are(
        &prompt,
        &[
            "User: CLAUDE-USER-1",
            "User: CLAUDE-USER-2",
            "User: CODEX-USER-1",
            "Assistant: CODEX-ASSISTANT-2",
        ],
        &skipped,
    );
}

#[test]
fn cursor_and_gemini_cli_events_produce_handoffs() {
    let api = FakeApi::start();
    let none = Path::new("/nonexistent/transcript.jsonl");
    let fill = |name: &str, cwd: &Path| {
        hook_fixture(name)
            .replace("{{CWD}}", cwd.to_str().expect("utf8"))
            .replace("{{TRANSCRIPT}}", none.to_str().expect("utf8"))
    };
    // Cursor: the folder is the first workspace root; the answer is Cursor's shape.
    let cursor = Fixture::new();
    write(&cursor.work.join("a.txt"), "cursor\n");
    let (json, prompt) = hook(
        &api,
        &cursor.work,
        &fill("cursor-before-submit-prompt.json", &cursor.work),
        &["--require-trigger"],
    );
    assert!(
        prompt.starts_with("make the parser accept trailing commas"),
        "{prompt}"
    );
    assert_eq!(json["continue"], true);
    assert!(
        json["user_message"]
            .as_str()
            .expect("user_message")
            .contains("https://app.devin.ai/sessions/"),
        "{json}"
    );
    let elsewhere = tempfile::TempDir::new().expect("tempdir");
    write(&cursor.work.join("a.txt"), "cursor, stopped\n");
    let (json, prompt) = hook(
        &api,
        elsewhere.path(),
        &fill("cursor-stop.json", &cursor.work),
        &[],
    );
    assert!(
        prompt.starts_with("Continue the work in progress."),
        "{prompt}"
    );
    assert_eq!(
        json,
        serde_json::json!({}),
        "no followup_message: it would be sent as the user"
    );
    // Gemini CLI.
    let gemini = Fixture::new();
    write(&gemini.work.join("b.txt"), "gemini\n");
    let (json, prompt) = hook(
        &api,
        &gemini.work,
        &fill("gemini-before-agent.json", &gemini.work),
        &["--require-trigger"],
    );
    assert!(
        prompt.starts_with("finish the nested array case"),
        "{prompt}"
    );
    assert_eq!(json["hookSpecificOutput"]["hookEventName"], "BeforeAgent");
    assert!(json["systemMessage"]
        .as_str()
        .expect("message")
        .contains("https://app.devin.ai/sessions/"));
    write(&gemini.work.join("b.txt"), "gemini, after\n");
    let (json, prompt) = hook(
        &api,
        &gemini.work,
        &fill("gemini-after-agent.json", &gemini.work),
        &[],
    );
    assert!(
        prompt.contains("GEMINI-RESPONSE: nested arrays still fail"),
        "{prompt}"
    );
    assert!(json.get("hookSpecificOutput").is_none());
    // An untriggered Cursor prompt passes through untouched.
    let out = bin_api(&cursor.work, &api)
        .args(["hook", "--require-trigger"])
        .write_stdin(
            fill("cursor-before-submit-prompt.json", &cursor.work).replace("/handoff ", ""),
        )
        .output()
        .expect("run");
    assert_eq!(stdout_json(&out)["continue"], true);
}
