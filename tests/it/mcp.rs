//! `devin-handoff mcp`, driven by a client this project did not write: the official MCP
//! Python SDK (`tests/mcp/client.py`, in the virtual environment `.ci/run` makes).

use serde_json::{json, Value};

use crate::common::*;
use crate::workflows::{python_tool, python_with};

/// Runs the SDK client against `devin-handoff mcp` in `cwd`, pointed at `api`, making `calls`.
fn client(api: &FakeApi, cwd: &std::path::Path, calls: Value) -> Option<Value> {
    let python = python_with("mcp")?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let mut cmd = std::process::Command::new(python);
    hermetic(&mut cmd, home());
    let out = cmd
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .env("NO_COLOR", "1")
        .arg(script)
        .arg(assert_cmd::cargo::cargo_bin!("devin-handoff"))
        .arg(cwd)
        .arg(calls.to_string())
        .output()
        .expect("python");
    assert!(out.status.success(), "the client failed: {}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains(KEY), "the key in a tool result");
    Some(serde_json::from_str(&text).expect("the client's JSON"))
}

#[test]
fn an_independent_mcp_client_hands_off_scans_and_follows() {
    let api = FakeApi::start();
    let fx = Fixture::new();
    write(
        &fx.work.join("src/parse.rs"),
        "fn parse() {}\n// trailing commas\n",
    );
    let leaky = Fixture::new();
    let token = Gen::new(900).github_token();
    write(
        &leaky.work.join("deploy.env"),
        format!("GITHUB_TOKEN={token}\n"),
    );
    let leaky_dir = leaky.work.to_str().expect("utf8");
    let calls = json!([
        ["handoff", {"task": "make the parser accept trailing commas", "dry_run": true}],
        ["handoff", {"task": "deploy it", "cwd": leaky_dir}],
        ["scan", {"path": leaky_dir}],
        ["handoff", {"task": "make the parser accept trailing commas", "tags": ["mcp"]}],
        ["session_status", {"session_id": "$SESSION"}],
        ["send_message", {"session_id": "$SESSION", "message": "also add a test"}],
        ["session_messages", {"session_id": "$SESSION"}],
        ["list_sessions", {"tags": ["mcp"]}],
    ]);
    let Some(out) = client(&api, &fx.work, calls) else {
        return;
    };
    assert_eq!(out["server"], "devin-handoff");
    // Tools and their schemas.
    let tools = out["tools"].as_object().expect("tools");
    for name in [
        "handoff",
        "scan",
        "session_status",
        "session_messages",
        "send_message",
        "list_sessions",
    ] {
        let t = &tools[name];
        assert!(
            t["description"].as_str().is_some_and(|d| d.len() > 20),
            "{name}: {t}"
        );
        assert_eq!(t["inputSchema"]["type"], "object", "{name}");
    }
    let handoff = &tools["handoff"]["inputSchema"];
    assert_eq!(handoff["required"], json!(["task"]), "{handoff}");
    let policies = serde_json::to_string(&handoff).expect("schema");
    assert!(
        policies.contains("redact") && !policies.contains("\"allow\""),
        "{policies}"
    );
    let calls = out["calls"].as_array().expect("calls");
    let ok = |i: usize| {
        let c = &calls[i];
        assert_ne!(c["isError"], true, "call {i}: {c}");
        &c["structuredContent"]
    };
    // 1. A dry run: the patch, in the prompt, and nothing sent.
    let dry = ok(0);
    assert_eq!(dry["dry_run"], true);
    let prompt = dry["prompt"].as_str().expect("prompt");
    assert!(
        prompt.contains("+// trailing commas") && prompt.contains("src/parse.rs"),
        "{prompt}"
    );
    // 2. Blocked on a secret: an error result, masked findings, the retry that would redact.
    let blocked = &calls[1];
    assert_eq!(blocked["isError"], true, "{blocked}");
    let b = &blocked["structuredContent"];
    assert_eq!(b["error"]["exit_code"], 3, "{b}");
    let findings = b["findings"].as_array().expect("findings");
    assert!(findings
        .iter()
        .any(|f| f["path"] == "deploy.env"
            && f["masked"].as_str().is_some_and(|m| m.contains("****"))));
    assert_eq!(b["retry"]["arguments"]["secrets"], "redact");
    assert_eq!(b["retry"]["arguments"]["task"], "deploy it");
    assert!(
        !blocked.to_string().contains(&token),
        "the secret in a tool result"
    );
    // 3. scan of the same folder.
    assert_eq!(ok(2)["clean"], false);
    // 4. A real handoff against the fake API.
    let made = ok(3);
    let id = made["session_id"].as_str().expect("session_id");
    assert!(made["url"]
        .as_str()
        .expect("url")
        .starts_with("https://app.devin.ai/sessions/"));
    assert_eq!(
        api.sessions_created(),
        1,
        "only the real handoff created a session"
    );
    let body = api.create_requests()[0].json();
    assert!(body["tags"]
        .as_array()
        .expect("tags")
        .contains(&json!("mcp")));
    // 5-8. Following it.
    assert_eq!(ok(4)["session"]["session_id"], id);
    assert_eq!(ok(4)["progress"], "working", "a new session is working");
    assert_eq!(ok(5)["sent"], true);
    assert!(ok(6)["messages"].is_array());
    let listed = ok(7)["sessions"].as_array().expect("sessions");
    assert!(listed.iter().any(|s| s["session_id"] == id));
}

#[test]
fn identical_handoffs_at_once_make_one_session_and_neither_hangs() {
    let api = FakeApi::start();
    let fx = Fixture::new();
    write(&fx.work.join("notes.txt"), "twice at once\n");
    let call = json!(["handoff", {"task": "finish the notes"}]);
    let Some(out) = client(&api, &fx.work, json!([["parallel", [call.clone(), call]]])) else {
        return;
    };
    let calls = out["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 2);
    for c in calls {
        assert_ne!(c["isError"], true, "{c}");
    }
    assert_eq!(
        api.sessions_created(),
        1,
        "the second is the first's session"
    );
    let reused: Vec<bool> = calls
        .iter()
        .map(|c| c["structuredContent"]["reused"].as_bool().expect("reused"))
        .collect();
    assert_eq!(reused.iter().filter(|r| **r).count(), 1, "{reused:?}");
    assert_eq!(
        calls[0]["structuredContent"]["session_id"],
        calls[1]["structuredContent"]["session_id"]
    );
}

/// The Claude Code CLI (`@anthropic-ai/claude-code`, which `.ci/run` installs into
/// `.ci/node`), or from `PATH`; as [`python_tool`], required where `.ci/run` runs.
fn claude_cli() -> Option<std::path::PathBuf> {
    let local =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node/node_modules/.bin/claude");
    if local.is_file() {
        return Some(local);
    }
    python_tool("claude")
}

/// The names after a `  Kind (n)  a, b` line of `claude plugin details`.
fn listed(details: &str, kind: &str) -> Vec<String> {
    let line = details
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{kind} (")))
        .unwrap_or_else(|| panic!("no {kind} line in:\n{details}"));
    let rest = line.split_once(')').map_or("", |(_, r)| r);
    let rest = rest.split("  (").next().unwrap_or(rest);
    rest.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn claude_codes_validator_accepts_the_plugin_and_no_two_components_share_a_name() {
    let Some(claude) = claude_cli() else {
        return;
    };
    // The plugin as a clone has it: the tracked files only (installing copies the folder,
    // and a build's target/ is no part of the plugin).
    let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = tempfile::TempDir::new().expect("tempdir");
    let root = copy.path();
    for f in git(checkout, &["ls-files", "-z"])
        .split('\0')
        .filter(|f| !f.is_empty())
    {
        let (from, to) = (checkout.join(f), root.join(f));
        if from.is_file() {
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&from, &to).expect("copy");
        }
    }
    let home = tempfile::TempDir::new().expect("tempdir");
    let run = |args: &[&str]| {
        std::process::Command::new(&claude)
            .args(args)
            .current_dir(root)
            .env("HOME", home.path())
            .env("DISABLE_AUTOUPDATER", "1")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .output()
            .expect("claude")
    };
    for target in [".", ".claude-plugin/plugin.json"] {
        let out = run(&["plugin", "validate", "--strict", target]);
        assert!(
            out.status.success(),
            "{target}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let out = run(&["plugin", "marketplace", "add", root.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = run(&["plugin", "install", "devin-handoff@devin-handoff"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = run(&["plugin", "details", "devin-handoff"]);
    let details = stdout(&out);
    let mut names = listed(&details, "Skills");
    let servers = listed(&details, "MCP servers");
    assert_eq!(
        servers,
        ["devin-handoff"],
        "the MCP server is registered once:\n{details}"
    );
    names.extend(servers);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "two components share a name: {names:?}"
    );
    // The README's one-line registration, then Claude Code's own health check, which starts
    // the server and speaks MCP to it.
    let readme = std::fs::read_to_string(checkout.join("README.md")).expect("README");
    let line = readme
        .lines()
        .find(|l| l.starts_with("claude mcp add "))
        .expect("the registration line");
    let words = shell_words::split(line).expect("words");
    let out = std::process::Command::new(&claude)
        .args(&words[1..])
        .current_dir(root)
        .env("HOME", home.path())
        .env("PATH", path_with_bins())
        .output()
        .expect("claude");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = std::process::Command::new(&claude)
        .args(["mcp", "list"])
        .current_dir(root)
        .env("HOME", home.path())
        .env("PATH", path_with_bins())
        .output()
        .expect("claude");
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("devin-handoff:") && l.contains("Connected")),
        "{text}{}",
        stderr(&out)
    );
}
