//! Where users work: git handoff, agent hooks, packaged integrations, the config file,
//! completions and the man page.

use std::path::Path;

use clap::Parser;
use devin_handoff::cli::Cli;

use crate::common::*;

fn event(name: &str, cwd: &Path, transcript: &Path) -> String {
    hook_fixture(name)
        .replace("{{CWD}}", cwd.to_str().expect("utf8"))
        .replace("{{TRANSCRIPT}}", transcript.to_str().expect("utf8"))
}

#[test]
fn a_claude_code_prompt_hook_hands_off_with_the_transcript() {
    let fx = Fixture::new();
    write(
        &fx.work.join("src/lib.rs"),
        "pub fn one() -> u32 {\n    1\n}\n// retry loop\n",
    );
    let transcript = fx.root.path().join("transcript.jsonl");
    std::fs::write(&transcript, hook_fixture("transcript.jsonl")).expect("write");
    let api = FakeApi::start();
    let elsewhere = tempfile::TempDir::new().expect("tempdir");
    let out = bin_api(elsewhere.path(), &api)
        .args(["hook"])
        .write_stdin(event(
            "claude-code-user-prompt-submit.json",
            &fx.work,
            &transcript,
        ))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api.sessions_created(), 1);
    let body = api.create_requests()[0].json();
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(
        prompt.starts_with("finish the retry logic and add tests"),
        "trigger stripped: {prompt}"
    );
    assert!(
        prompt.contains("the tests are not written yet"),
        "the last assistant text"
    );
    assert!(
        !prompt.contains("tool_result") && !prompt.contains("\"Edit\""),
        "tool noise dropped"
    );
    assert!(prompt.contains("`acme/widget`"), "the repository at cwd");
    let json = stdout_json(&out);
    let msg = json["systemMessage"].as_str().expect("message");
    assert!(
        msg.contains("https://app.devin.ai/sessions/0001abcd"),
        "{msg}"
    );
    assert_eq!(
        json["hookSpecificOutput"]["hookEventName"],
        "UserPromptSubmit"
    );
    assert_eq!(json["continue"], true);
}

#[test]
fn other_agents_events_work_too() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let api = FakeApi::start();
    let none = fx.root.path().join("none.jsonl");
    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin(event("codex-stop.json", &fx.work, &none))
        .output()
        .expect("run");
    assert!(out.status.success());
    let prompt = api.create_requests()[0].json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    assert!(prompt.starts_with("Continue the work in progress."));
    assert!(
        prompt.contains("the retry tests still fail"),
        "last_assistant_message as context"
    );
    assert!(
        stdout_json(&out).get("hookSpecificOutput").is_none(),
        "only prompt hooks add context"
    );

    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin(event("copilot-user-prompt-submitted.json", &fx.work, &none))
        .output()
        .expect("run");
    assert!(out.status.success());
    let prompt = api.create_requests()[1].json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    assert!(prompt.starts_with("run the end-to-end suite in a browser"));
}

#[test]
fn a_hook_with_secrets_sends_nothing_exits_0_and_explains() {
    let fx = Fixture::new();
    write(&fx.work.join(".env"), "DB_PASSWORD=hunter2hunter2\n");
    let api = FakeApi::start();
    let none = fx.root.path().join("none.jsonl");
    let ev = event("claude-code-user-prompt-submit.json", &fx.work, &none);
    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin(ev.clone())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(api.requests().is_empty(), "nothing sent");
    let json = stdout_json(&out);
    let msg = json["systemMessage"].as_str().expect("message");
    assert!(
        msg.contains("nothing was sent") && msg.contains(".env"),
        "{msg}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));

    let out = bin_api(&fx.work, &api)
        .args(["hook", "--block-on-failure"])
        .write_stdin(ev)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "blocks only when asked");

    // Without a trigger, --require-trigger lets the prompt pass and does nothing.
    let plain = r#"{"hook_event_name":"UserPromptSubmit","prompt":"what does this function do?","cwd":"/"}"#;
    let out = bin_api(&fx.work, &api)
        .args(["hook", "--require-trigger"])
        .write_stdin(plain)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["continue"], true);
    assert!(api.requests().is_empty());

    // A broken event is reported in the same shape, exit 0.
    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin("not json")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .contains("not valid JSON"));
}

/// Every `devin-handoff …` command line a packaged integration runs.
fn command_lines() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for f in [
        ".claude-plugin/plugin.json",
        ".claude-plugin/marketplace.json",
        ".codex-plugin/plugin.json",
        ".mcp.json",
        "integrations/claude-code-settings.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(f)).expect("read"))
                .unwrap_or_else(|e| panic!("{f}: {e}"));
        fn walk(v: &serde_json::Value, file: &str, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        if k == "command" {
                            // An MCP server entry: the command and its `args`.
                            let args = m.get("args").and_then(|a| a.as_array());
                            let args = args.into_iter().flatten().filter_map(|a| a.as_str());
                            let line = std::iter::once(x.as_str().expect("command string"))
                                .chain(args)
                                .collect::<Vec<_>>()
                                .join(" ");
                            out.push((file.to_string(), line));
                        }
                        walk(x, file, out);
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, file, out)),
                _ => {}
            }
        }
        walk(&v, f, &mut out);
    }
    for f in [
        "SKILL.md",
        "skills/handoff-to-devin/SKILL.md",
        "commands/handoff.md",
        "integrations/AGENTS.md",
    ] {
        let text = std::fs::read_to_string(root.join(f)).expect("read");
        assert!(
            text.contains("--secrets block"),
            "{f} blocks on secrets by default"
        );
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("devin-handoff "))
        {
            out.push((
                f.to_string(),
                line.split("<<").next().unwrap_or(line).trim().to_string(),
            ));
        }
    }
    out
}

#[test]
fn packaged_manifests_parse_and_their_command_lines_are_valid() {
    let lines = command_lines();
    assert!(lines.len() >= 6, "{lines:?}");
    for (file, line) in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], "devin-handoff", "{file}");
        if let Err(e) = Cli::try_parse_from(&words) {
            panic!("{file}: {line:?} is not accepted: {e}");
        }
    }
    let skill = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SKILL.md"))
        .expect("skill");
    assert!(
        skill.starts_with("---\nname: devin-handoff\ndescription: "),
        "skill front matter"
    );
}

#[test]
fn the_config_file_sets_defaults_and_the_environment_wins() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let api = FakeApi::start();
    let home = home_with_config(
        &format!(
            "api_url = \"{}\"\norg_id = \"{}\"\ntags = [\"team-a\"]\n",
            api.url(),
            api.org
        ),
        0o644,
    );
    let out = bin_with_home(&fx.work, home.path())
        .env("DEVIN_API_KEY", KEY)
        .args(["--yes", "--json", "from config"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let req = &api.create_requests()[0];
    assert_eq!(req.path, format!("/v3/organizations/{}/sessions", api.org));
    assert_eq!(req.json()["tags"], serde_json::json!(["handoff", "team-a"]));

    // The environment overrides the file.
    let other = FakeApi::start_with_org("org-env");
    let out = bin_with_home(&fx.work, home.path())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_API_URL", other.url())
        .env("DEVIN_ORG_ID", "org-env")
        .args(["--yes", "--json", "--new", "from env"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        other.create_requests()[0].path,
        "/v3/organizations/org-env/sessions"
    );
    assert_eq!(api.create_requests().len(), 1);
}

#[test]
fn config_errors_name_the_file_and_line_and_keys_stay_safe() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let home = home_with_config("org_id = \"org-x\"\napi_urll = \"https://x\"\n", 0o600);
    let out = bin_with_home(d.path(), home.path())
        .args(["create", "--dry-run", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml") && err.contains("line 2") && err.contains("api_urll"),
        "{err}"
    );

    // A key in a file others can read is ignored, with a warning.
    let api = FakeApi::start();
    let cfg = format!(
        "api_url = \"{}\"\norg_id = \"{}\"\napi_key = \"{KEY}\"\n",
        api.url(),
        api.org
    );
    let home = home_with_config(&cfg, 0o644);
    let out = bin_with_home(d.path(), home.path())
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    let home = home_with_config(&cfg, 0o600);
    let out = bin_with_home(d.path(), home.path())
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // api_key_command: the key from a command, which is never printed.
    let cfg = format!(
        "api_url = \"{}\"\norg_id = \"{}\"\napi_key_command = \"echo {KEY}\"\n",
        api.url(),
        api.org
    );
    let home = home_with_config(&cfg, 0o644);
    let out = bin_with_home(d.path(), home.path())
        .args(["create", "-vv", "--yes", "t2"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
    assert_eq!(
        api.create_requests()
            .last()
            .expect("req")
            .authorization
            .as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn a_hook_answers_in_its_format_even_with_a_broken_config() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let home = home_with_config("not toml at all = = =\n", 0o600);
    let out = bin_with_home(d.path(), home.path())
        .arg("hook")
        .write_stdin(r#"{"hook_event_name":"Stop","cwd":"/"}"#)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "never blocks the agent");
    assert!(stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .contains("config"));
}

#[test]
fn completions_and_the_man_page() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let out = bin(d.path())
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let script = d.path().join("completions.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish", "powershell"] {
        let out = bin(d.path())
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
    let out = bin(d.path()).arg("man").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH devin-handoff"));
}
