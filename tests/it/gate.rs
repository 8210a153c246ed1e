//! The one gate: every API write the tool has carries only what the guard scanned. Each write
//! is tried with a live-looking token in what the user gives it; without a terminal the
//! default policy refuses (exit 3) and no write reaches the fake API.

use crate::common::*;

/// Whether the fake API saw a request that writes (anything but GET).
fn writes(api: &FakeApi) -> Vec<String> {
    api.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Runs `args` in `dir` and asserts the refusal: exit 3, the token masked, nothing written.
fn refused(api: &FakeApi, dir: &std::path::Path, args: &[&str], token: &str, env: &[(&str, &str)]) {
    let mut cmd = bin_api(dir, api);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = checked(cmd.args(args).output().expect("run"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
    assert!(
        !err.contains(token) && !stdout(&out).contains(token),
        "{args:?}: the value shows: {err}"
    );
    assert!(err.contains("nothing was sent"), "{args:?}: {err}");
    assert_eq!(writes(api), Vec::<String>::new(), "{args:?} wrote");
}

/// Every write of the client, one command each: notes, playbooks, schedules (create,
/// update), messages, the create's report schema and user ID. (Uploads and the create
/// itself are the handoff's, covered by the guard's tests; they take the same type.)
#[test]
fn every_api_write_goes_through_the_guard() {
    let mut g = Gen::new(2401);
    let token = g.github_token();
    let dir = tempfile::TempDir::new().expect("tempdir");
    let d = dir.path();
    let file = d.join("body.md");
    write(
        &file,
        format!("Deploy with\n\nexport GITHUB_TOKEN={token}\n"),
    );
    let f = file.to_str().expect("utf-8 path");
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "running"})]);

    let cases: Vec<Vec<&str>> = vec![
        vec![
            "knowledge",
            "create",
            "--name",
            "n",
            "--trigger",
            "t",
            "--body-file",
            f,
        ],
        vec!["playbooks", "create", "--title", "t", "--body-file", f],
        vec![
            "schedules",
            "create",
            "--name",
            "n",
            "--prompt-file",
            f,
            "--cron",
            "0 9 * * *",
        ],
        vec!["schedules", "update", "sched-1", "--prompt-file", f],
        vec!["sessions", "send", "devin-abc", "--file", f],
    ];
    for args in &cases {
        refused(&api, d, args, &token, &[]);
    }

    // Updates replace the object: the fields the user gives are scanned, not the API's own.
    let out = run_api(
        &api,
        d,
        &[
            "--json",
            "knowledge",
            "create",
            "--name",
            "n",
            "--trigger",
            "t",
            "--body",
            "clean",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let note = stdout_json(&out)["note_id"]
        .as_str()
        .expect("note_id")
        .to_string();
    let out = run_api(
        &api,
        d,
        &[
            "--json",
            "playbooks",
            "create",
            "--title",
            "t",
            "--body",
            "clean",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let playbook = stdout_json(&out)["playbook_id"]
        .as_str()
        .expect("playbook_id")
        .to_string();
    let before = writes(&api);
    for args in [
        vec!["knowledge", "update", note.as_str(), "--body-file", f],
        vec!["playbooks", "update", playbook.as_str(), "--body-file", f],
    ] {
        let out = checked(bin_api(d, &api).args(&args).output().expect("run"));
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert_eq!(writes(&api), before, "{args:?} wrote");
    }
    let out = run_api(
        &api,
        d,
        &["knowledge", "update", &note, "--name", "renamed"],
    );
    assert!(
        out.status.success(),
        "an unrelated update goes: {}",
        stderr(&out)
    );

    // The create's own fields: a report schema read from a file, and the user ID from the
    // flag or the environment.
    let fx = Fixture::new();
    let schema = fx.root.path().join("schema.json");
    write(
        &schema,
        format!(
            r#"{{"type": "object", "properties": {{"x": {{"type": "string", "description": "use {token}"}}}}}}"#
        ),
    );
    let s = schema.to_str().expect("utf-8 path");
    let api = FakeApi::start();
    refused(
        &api,
        &fx.work,
        &["create", "--yes", "--report-schema", s, "fix it"],
        &token,
        &[],
    );
    refused(
        &api,
        &fx.work,
        &["create", "--yes", "--user-id", &token, "fix it"],
        &token,
        &[],
    );
    refused(
        &api,
        &fx.work,
        &["create", "--yes", "fix it"],
        &token,
        &[("DEVIN_USER_ID", &token)],
    );
    // Neither can be redacted: still nothing is sent.
    refused(
        &api,
        &fx.work,
        &[
            "create",
            "--yes",
            "--secrets",
            "redact",
            "--user-id",
            &token,
            "fix it",
        ],
        &token,
        &[],
    );
}

/// The same gate redacts where asked: the body goes with the token replaced.
#[test]
fn a_body_can_go_redacted_or_as_it_is_when_the_user_says_so() {
    let mut g = Gen::new(2402);
    let token = g.github_token();
    let dir = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let body = format!("token={token}\nkeep this line");
    let out = run_api(
        &api,
        dir.path(),
        &[
            "playbooks",
            "create",
            "--title",
            "t",
            "--body",
            &body,
            "--secrets",
            "redact",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = api
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .expect("the create");
    let sent = String::from_utf8_lossy(&sent.body).into_owned();
    assert!(!sent.contains(&token), "redacted: {sent}");
    assert!(sent.contains("keep this line"), "{sent}");

    let out = run_api(
        &api,
        dir.path(),
        &[
            "playbooks",
            "create",
            "--title",
            "t",
            "--body",
            &body,
            "--secrets",
            "allow",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("as they are"), "{}", stderr(&out));
}

/// Makes the fixture's hosted remote have `HEAD`: pushed to the bare repository behind it,
/// and its tracking ref moved, as a fetch would.
fn publish(fx: &Fixture) {
    let remote = fx.remote.to_str().expect("utf8");
    git(&fx.work, &["push", "-q", remote, "HEAD:main"]);
    git(
        &fx.work,
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
}

/// A hostile repository ships suppression files that match secrets the user writes later:
/// a file-level fingerprint for `.env`, `path:rule:line` entries, an allow comment on a
/// template line. None of them accepts a value the remote does not have.
#[test]
fn a_repositorys_suppression_files_do_not_accept_secrets_written_later() {
    let mut g = Gen::new(2403);
    let fx = Fixture::new();
    // The author computes the baseline of a `.env` in advance and commits it.
    write(
        &fx.work.join(".env"),
        format!("AWS_ACCESS_KEY_ID={}\n", g.aws_key_id()),
    );
    checked(
        bin(&fx.work)
            .args(["scan", "--write-baseline", ".handoff-baseline.json"])
            .output()
            .expect("run"),
    );
    std::fs::remove_file(fx.work.join(".env")).expect("rm");
    write(&fx.work.join(".gitignore"), "*.log\ntarget/\n");
    write(
        &fx.work.join(".gitleaksignore"),
        "app.py:github-pat:1\n.env:aws-access-token:1\n",
    );
    write(
        &fx.work.join("settings.py"),
        "aws_secret_access_key = \"\"  # pragma: allowlist secret\n",
    );
    git(&fx.work, &["add", "-A"]);
    git(&fx.work, &["commit", "-q", "-m", "hostile"]);
    publish(&fx);

    // The user then writes real secrets where the files point.
    let aws = g.aws_key_id();
    let token = g.github_token();
    let secret = g.s(B62, 40);
    write(&fx.work.join(".env"), format!("AWS_ACCESS_KEY_ID={aws}\n"));
    write(&fx.work.join("app.py"), format!("TOKEN = \"{token}\"\n"));
    write(
        &fx.work.join("settings.py"),
        format!("aws_secret_access_key = \"{secret}\"  # pragma: allowlist secret\n"),
    );
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json = stdout_json(&out);
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for p in [".env", "app.py", "settings.py"] {
        assert!(paths.contains(&p), "{p} not in {paths:?}");
    }
    let out = checked(bin(&fx.work).arg("scan").output().expect("run"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for v in [&aws, &token, &secret] {
        assert!(!stderr(&out).contains(v.as_str()) && !stdout(&out).contains(v.as_str()));
    }

    // An allow comment the user writes on a new line is the user's own word: honoured.
    let fx = Fixture::new();
    let token = g.github_token();
    write(
        &fx.work.join("test_fixture.py"),
        format!("EXAMPLE = \"{token}\"  # pragma: allowlist secret\n"),
    );
    let out = dry_run_output(&fx.work, "block", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// An API that echoes the request's headers puts the key in its answers: neither stderr, the
/// `--json` error, a printed field, nor the hook's messages (which the agent's model reads)
/// ever show it. `checked` fails the run on the key anywhere in stdout or stderr.
#[test]
fn the_key_never_shows_even_when_the_api_echoes_it() {
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "running"})]);
    let d = tempfile::TempDir::new().expect("tempdir");
    for json in [false, true] {
        api.push_fault("GET", "/sessions/devin-abc", Fault::EchoHeaders(400));
        let mut args = vec!["sessions", "show", "devin-abc"];
        if json {
            args.insert(0, "--json");
        }
        let out = run_api(&api, d.path(), &args);
        assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
        let shown = if json { stdout(&out) } else { stderr(&out) };
        assert!(
            shown.contains("Bearer cog_****"),
            "masked, still useful: {shown}"
        );
    }
    // In an answer's fields (a title), printed or as JSON.
    for args in [
        vec!["sessions", "show", "devin-abc"],
        vec!["--json", "sessions", "show", "devin-abc"],
    ] {
        api.push_fault("GET", "/sessions/devin-abc", Fault::EchoHeaders(200));
        let out = run_api(&api, d.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // A legacy key, by shape and by value.
    let legacy = "apk_user_bGVnYWN5a2V5MDEyMzQ1Njc4OQ";
    api.push_fault("GET", "/v1/sessions/devin-abc", Fault::EchoHeaders(400));
    let out = bin_api(d.path(), &api)
        .env("DEVIN_API_KEY", legacy)
        .args(["--json", "sessions", "show", "devin-abc"])
        .output()
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains(legacy) && !all.contains("bGVnYWN5a2V5"),
        "{all}"
    );

    // The hook: its systemMessage and additionalContext reach the agent's model.
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let transcript = fx.root.path().join("transcript.jsonl");
    std::fs::write(&transcript, hook_fixture("transcript.jsonl")).expect("write");
    let event = hook_fixture("claude-code-user-prompt-submit.json")
        .replace("{{CWD}}", fx.work.to_str().expect("utf8"))
        .replace("{{TRANSCRIPT}}", transcript.to_str().expect("utf8"));
    api.push_fault("POST", "/sessions", Fault::EchoHeaders(400));
    let out = checked(
        bin_api(&fx.work, &api)
            .arg("hook")
            .write_stdin(event)
            .output()
            .expect("run"),
    );
    assert!(stdout(&out).contains("cog_****"), "{}", stdout(&out));
}

/// The binary with its own state folder (under `home`), pointed at `api`.
fn bin_home(dir: &std::path::Path, home: &std::path::Path, api: &FakeApi) -> assert_cmd::Command {
    let mut cmd = bin_with_home(dir, home);
    cmd.env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url());
    cmd
}

fn journal(home: &std::path::Path) -> std::path::PathBuf {
    home.join(".state/devin-handoff/journal.jsonl")
}

/// `--secrets allow` sends a secret on purpose; the journal still never keeps it, and the
/// state folder is the user's alone.
#[cfg(unix)]
#[test]
fn the_journal_holds_no_secret_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let mut g = Gen::new(2404);
    let token = g.github_token();
    let home = tempfile::TempDir::new().expect("home");
    let fx = Fixture::new();
    let api = FakeApi::start();
    let branch = format!("fix/{token}");
    git(&fx.work, &["checkout", "-q", "-b", &branch]);
    write(&fx.work.join("x.txt"), "x\n");
    let task = format!("deploy with {token}");
    let out = checked(
        bin_home(&fx.work, home.path(), &api)
            .args(["--yes", "--secrets", "allow", &task])
            .output()
            .expect("run"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(journal(home.path())).expect("journal");
    assert!(!text.is_empty() && !text.contains(&token), "{text}");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&journal(home.path())), 0o600);
    assert_eq!(mode(&home.path().join(".state/devin-handoff")), 0o700);
}

/// SIGTERM and SIGHUP (what agent and CI timeouts send) during a create end it as Ctrl-C
/// does: said, journaled, and the identical retry is refused.
#[cfg(unix)]
#[test]
fn terminate_and_hangup_during_a_create_are_journaled_like_an_interrupt() {
    for sig in ["TERM", "HUP"] {
        let home = tempfile::TempDir::new().expect("home");
        let fx = Fixture::new();
        write(&fx.work.join("x.txt"), format!("{sig}\n"));
        let api = FakeApi::start();
        api.push_fault("POST", "/sessions", Fault::Hang);
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
        hermetic(&mut cmd, home.path());
        let child = cmd
            .current_dir(&fx.work)
            .env("DEVIN_API_KEY", KEY)
            .env("DEVIN_ORG_ID", &api.org)
            .env("DEVIN_API_URL", api.url())
            .args(["--yes", "stop me now"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while api.create_requests().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::process::Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .expect("kill");
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(130), "{sig}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("refused until then"),
            "{}",
            stderr(&out)
        );
        let text = std::fs::read_to_string(journal(home.path())).expect("journal");
        assert!(text.contains("\"outcome\":\"unknown\""), "{sig}: {text}");
        let again = checked(
            bin_home(&fx.work, home.path(), &api)
                .args(["--yes", "stop me now"])
                .output()
                .expect("run"),
        );
        assert_eq!(again.status.code(), Some(3), "{sig}: {}", stderr(&again));
        assert_eq!(api.sessions_created(), 0);
    }
}

/// A full or unwritable state folder: the tool does not promise the retry protection it
/// could not write. A record dated in the future (another clock) does not refuse the
/// identical handoff until that date.
#[test]
fn journal_claims_hold_and_future_records_do_not_block() {
    let home = tempfile::TempDir::new().expect("home");
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let api = FakeApi::start();
    // The state folder cannot be made: its parent is a file.
    write(&home.path().join(".state"), "not a folder");
    api.push_fault("POST", "/sessions", Fault::LoseAnswer);
    let out = checked(
        bin_home(&fx.work, home.path(), &api)
            .args(["--yes", "lose it"])
            .output()
            .expect("run"),
    );
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(!err.contains("refused until then"), "{err}");
    assert!(err.contains("journal could not be written"), "{err}");

    std::fs::remove_file(home.path().join(".state")).expect("rm");
    api.push_fault("POST", "/sessions", Fault::LoseAnswer);
    let out = checked(
        bin_home(&fx.work, home.path(), &api)
            .args(["--yes", "lose it"])
            .output()
            .expect("run"),
    );
    assert!(
        stderr(&out).contains("refused until then"),
        "{}",
        stderr(&out)
    );
    // Ten years ahead: as if made now, not lasting until then.
    let path = journal(home.path());
    let text = std::fs::read_to_string(&path).expect("journal");
    let mut rec: serde_json::Value = serde_json::from_str(text.trim()).expect("record");
    rec["time"] = serde_json::json!(rec["time"].as_u64().expect("time") + 10 * 365 * 86_400);
    std::fs::write(&path, format!("{rec}\n")).expect("write");
    let out = checked(
        bin_home(&fx.work, home.path(), &api)
            .args(["--yes", "lose it"])
            .output()
            .expect("run"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A host trickling an attachment a byte at a time is stopped by `--timeout`, and leaves no
/// file behind.
#[test]
fn a_trickling_download_is_stopped_and_leaves_nothing() {
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "finished"})]);
    api.add_attachment("devin-abc", "result.txt", b"the result\n");
    api.push_fault(
        "GET",
        "/result.txt",
        Fault::Drip(std::time::Duration::from_millis(300)),
    );
    let d = tempfile::TempDir::new().expect("tempdir");
    let dest = d.path().join("out");
    let out = run_api(
        &api,
        d.path(),
        &[
            "--timeout",
            "1",
            "sessions",
            "attachments",
            "devin-abc",
            "--download",
            dest.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("stalled"), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(&dest).expect("dir").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A loopback API is never reached through a proxy: the proxy would receive the key.
#[test]
fn a_loopback_api_bypasses_any_proxy() {
    // A proxy that records whatever reaches it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = proxy.local_addr().expect("addr");
    proxy.set_nonblocking(true).expect("nonblocking");
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "running"})]);
    let d = tempfile::TempDir::new().expect("tempdir");
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let out = checked(
            bin_api(d.path(), &api)
                .env(var, format!("http://{addr}"))
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .args(["--timeout", "5", "sessions", "show", "devin-abc"])
                .output()
                .expect("run"),
        );
        assert!(out.status.success(), "{var}: {}", stderr(&out));
        assert!(proxy.accept().is_err(), "{var}: the proxy was contacted");
    }
}

/// Branch names are the repository author's text: with `--history` the steps fetch and check
/// out the branch by name. Each hostile name is replayed in bash in a fresh clone: the branch
/// arrives exactly, and nothing in a name runs.
#[cfg(unix)]
#[test]
fn hostile_branch_names_replay_exactly_and_run_nothing() {
    let names = [
        "feat/x$(touch${IFS}PWNED)",
        "feat/`touch${IFS}PWNED`",
        "quote\"d",
        "it's",
        "bang!{a,b}&amp=1",
        "caf\u{e9}/\u{1f600}",
        "semi;touch${IFS}PWNED",
        "dollar$HOME",
    ];
    for name in names {
        let fx = Fixture::new();
        git(&fx.work, &["checkout", "-q", "-b", name]);
        write(&fx.work.join("c.txt"), "committed\n");
        git(&fx.work, &["add", "-A"]);
        git(&fx.work, &["commit", "-q", "-m", "local"]);
        write(&fx.work.join("c.txt"), "and edited\n");
        let api = FakeApi::start();
        let out = run_api(
            &api,
            &fx.work,
            &["--yes", "--history", "--via", "attachment", "go on"],
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let prompt = api.create_requests()[0].json()["prompt"]
            .as_str()
            .expect("prompt")
            .to_string();
        let dest = tempfile::TempDir::new().expect("tempdir");
        git(
            dest.path(),
            &["clone", "-q", fx.remote.to_str().expect("utf8"), "replay"],
        );
        let replay = dest.path().join("replay");
        let at = |n: &str| replay.join(git(&replay, &["rev-parse", "--git-path", n]).trim());
        for u in api.uploads() {
            std::fs::write(at(&u.file_name), &u.bytes).expect("save upload");
        }
        let start = prompt.rfind("```sh\n").expect("steps") + 6;
        let steps = &prompt[start..start + prompt[start..].find("```").expect("end")];
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(steps)
            .current_dir(&replay)
            .env("HOME", home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .expect("bash");
        assert!(status.success(), "{name}: {steps}");
        assert!(
            !replay.join("PWNED").exists() && !fx.work.join("PWNED").exists(),
            "{name} ran a command"
        );
        let branch = git(&replay, &["symbolic-ref", "--short", "HEAD"]);
        assert_eq!(branch.trim_end_matches('\n'), name, "{steps}");
        assert_eq!(
            git(&replay, &["rev-parse", "HEAD"]),
            git(&fx.work, &["rev-parse", "HEAD"])
        );
        assert_eq!(
            std::fs::read_to_string(replay.join("c.txt")).expect("c.txt"),
            "and edited\n"
        );
    }
}

/// A branch name that is not UTF-8 is refused clearly (not handed off as `HEAD`).
#[cfg(unix)]
#[test]
fn a_branch_name_that_is_not_utf8_is_refused_clearly() {
    use std::os::unix::ffi::OsStrExt;
    let fx = Fixture::new();
    let name = std::ffi::OsStr::from_bytes(b"feat/caf\xe9");
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(&fx.work)
        .arg("checkout")
        .arg("-q")
        .arg("-b")
        .arg(name);
    hermetic(&mut cmd, home());
    assert!(cmd.status().expect("git").success());
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("not valid UTF-8") && err.contains(r"$'feat/caf\xe9'"),
        "{err}"
    );
}

/// IDs from the API go onto the command line through completion: quoted, so that pressing
/// Enter runs the command with that ID, and nothing inside it.
#[cfg(unix)]
#[test]
fn completion_quotes_ids_from_the_api() {
    let api = FakeApi::start();
    let home = home_with_config("", 0o600);
    let hostile = "note-1$(touch PWNED)";
    api.push_fault(
        "GET",
        "/knowledge/notes",
        Fault::Json(serde_json::json!({"items": [{"note_id": hostile, "name": "n"}], "end_cursor": null, "has_next_page": false})),
    );
    let d = tempfile::TempDir::new().expect("tempdir");
    let script = "source <(DEVIN_HANDOFF_COMPLETE=bash devin-handoff)\n\
         COMP_WORDS=(devin-handoff knowledge show ''); COMP_CWORD=3; COMP_TYPE=9\n\
         _clap_complete_devin_handoff devin-handoff '' show\n\
         for c in \"${COMPREPLY[@]}\"; do eval \"printf '%s\\n' $c\"; done\n";
    let mut cmd = std::process::Command::new("bash");
    hermetic(&mut cmd, home.path());
    let out = cmd
        .current_dir(d.path())
        .env("PATH", path_with_bins())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .arg("-c")
        .arg(script)
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", stderr(&out));
    // What the shell makes of the inserted word is the ID itself.
    assert!(
        stdout(&out).lines().any(|l| l == hostile),
        "{}",
        stdout(&out)
    );
    assert!(
        !d.path().join("PWNED").exists(),
        "the completed ID ran a command"
    );
}

/// `sessions pull` on the user's own repository: the PR is fetched from its own repository
/// (never `origin`'s PR of the same number), a local branch holding the user's commits is
/// never reset, and no remote name is read as an option.
#[test]
fn pull_fetches_the_prs_own_repository_and_keeps_the_users_commits() {
    let fx = Fixture::new();
    let w = &fx.work;
    let remote = fx.remote.to_str().expect("utf8").to_string();
    // origin's own PR 7: someone else's change.
    git(w, &["checkout", "-q", "-b", "theirs"]);
    write(&w.join("unrelated.txt"), "not this one\n");
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "unrelated"]);
    git(w, &["push", "-q", &remote, "HEAD:refs/pull/7/head"]);
    git(w, &["checkout", "-q", "main"]);
    git(
        w,
        &[
            "config",
            &format!("url.{remote}.insteadOf"),
            &format!("https://x-access-token:{URL_TOKEN}@github.com/acme/widget.git"),
        ],
    );
    // The PR's repository is a fork, reached (in this test) through the user's insteadOf.
    let fork = fx.root.path().join("fork.git");
    git(
        fx.root.path(),
        &["clone", "-q", "--bare", &remote, "fork.git"],
    );
    git(w, &["checkout", "-q", "-b", "devin-work"]);
    write(&w.join("from-devin.txt"), "done by devin\n");
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "devin"]);
    git(
        w,
        &[
            "push",
            "-q",
            fork.to_str().expect("utf8"),
            "HEAD:refs/pull/7/head",
        ],
    );
    git(w, &["checkout", "-q", "main"]);
    git(w, &["branch", "-q", "-D", "devin-work", "theirs"]);
    git(
        w,
        &[
            "config",
            &format!("url.{}.insteadOf", fork.display()),
            "https://github.com/forker/widget.git",
        ],
    );
    let api = FakeApi::start();
    api.add_session("devin-pr7", &[serde_json::json!({"status": "exit", "pull_requests": [{"pr_url": "https://github.com/forker/widget/pull/7", "pr_state": "open"}]})]);
    let out = run_api(&api, w, &["sessions", "pull", "pr7", "--here"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        w.join("from-devin.txt").exists() && !w.join("unrelated.txt").exists(),
        "the fork's PR"
    );
    let pr_tip = git(w, &["rev-parse", "HEAD"]);

    // The user commits on that branch; a second pull must not throw the commit away.
    write(&w.join("mine.txt"), "my own work\n");
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "mine"]);
    let mine = git(w, &["rev-parse", "HEAD"]);
    git(w, &["checkout", "-q", "main"]);
    for args in [
        &["sessions", "pull", "pr7", "--here"][..],
        &["sessions", "pull", "pr7"][..],
    ] {
        let out = run_api(&api, w, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not in the pull request"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            git(w, &["rev-parse", "devin/pr-7"]),
            mine,
            "the branch was reset"
        );
    }
    assert_ne!(pr_tip, mine);

    // A remote whose name is an option, and whose URL names the PR's repository.
    git(w, &["branch", "-q", "-D", "devin/pr-7"]);
    let evil = "--upload-pack=touch PWNED;false #";
    git(
        w,
        &[
            "config",
            &format!("remote.{evil}.url"),
            "https://github.com/forker/widget.git",
        ],
    );
    let out = run_api(&api, w, &["sessions", "pull", "pr7", "--here"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !w.join("PWNED").exists() && !fx.root.path().join("PWNED").exists(),
        "a remote name ran a command"
    );
}

/// An MCP message over the size limit is answered with a JSON-RPC error under its ID, not
/// dropped: a client waiting for that ID would wait forever. The server goes on serving.
#[test]
fn an_oversize_mcp_request_is_answered_with_an_error() {
    use std::io::{BufRead, Write};
    let d = tempfile::TempDir::new().expect("tempdir");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    hermetic(&mut cmd, home());
    let mut child = cmd
        .current_dir(d.path())
        .arg("mcp")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
        writeln!(stdin, "{init}").expect("write");
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .expect("write");
        let huge = "x".repeat(17 * 1024 * 1024);
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"scan","arguments":{{"patch":"{huge}"}}}}}}"#
        )
        .expect("write");
        // The ID last, as some clients order their keys.
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","method":"tools/call","params":{{"name":"scan","arguments":{{"patch":"{huge}"}}}},"id":"late"}}"#
        )
        .expect("write");
        writeln!(stdin, r#"{{"jsonrpc":"2.0","id":8,"method":"ping"}}"#).expect("write");
        stdin
    });
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut answers = std::collections::HashMap::new();
    for line in stdout.lines() {
        let line = line.expect("line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        let id = v["id"].to_string();
        answers.insert(id.clone(), v);
        if id == "8" {
            break;
        }
    }
    drop(writer.join().expect("writer"));
    let _ = child.kill();
    let _ = child.wait();
    for id in ["7", "\"late\""] {
        let a = answers
            .get(id)
            .unwrap_or_else(|| panic!("no answer for {id}: {answers:?}"));
        assert_eq!(a["error"]["code"], -32600, "{a}");
        assert!(
            a["error"]["message"]
                .as_str()
                .expect("message")
                .contains("bytes"),
            "{a}"
        );
    }
    assert!(
        answers["8"].get("result").is_some(),
        "served on: {:?}",
        answers["8"]
    );
}

/// Bidirectional controls reorder what a terminal shows; from the API or a file name they
/// are shown escaped, as the other controls are.
#[test]
fn bidi_controls_are_shown_not_obeyed() {
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "running", "title": "fix \u{202e}gnp.exe\u{202c} now \u{2067}x\u{2069}"})]);
    let d = tempfile::TempDir::new().expect("tempdir");
    let out = run_api(&api, d.path(), &["sessions", "show", "devin-abc"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    for c in ['\u{202e}', '\u{202c}', '\u{2067}', '\u{2069}'] {
        assert!(!all.contains(c), "{c:?} reached the terminal: {all}");
    }
    assert!(all.contains("\\u{202e}"), "{all}");

    let fx = Fixture::new();
    let token = Gen::new(2418).github_token();
    write(
        &fx.work.join("notes\u{202e}txt.env"),
        format!("T={token}\n"),
    );
    let out = checked(bin(&fx.work).arg("scan").output().expect("run"));
    assert_eq!(out.status.code(), Some(3));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains('\u{202e}') && all.contains("\\u{202e}"),
        "{all}"
    );
}

/// A legacy (v1) session read leniently: a message carrying both `origin` and `username`
/// (names the v1 pages use for its sender), fields of unexpected types or unknown ones never
/// make it unreadable.
#[test]
fn a_v1_session_with_every_documented_field_stays_readable() {
    let api = FakeApi::start();
    let d = tempfile::TempDir::new().expect("tempdir");
    let legacy = "apk_user_bGVnYWN5a2V5MDEyMzQ1Njc4OQ";
    let odd = serde_json::json!({
        "session_id": "devin-abc",
        "status_enum": "finished",
        "title": 42,
        "tags": "not-a-list",
        "pull_request": null,
        "something_new": {"x": 1},
        "messages": [
            {"type": "user_message", "message": "hello", "origin": "web", "username": "alice", "timestamp": "2026-01-01T00:00:00Z"},
            {"type": "devin_message", "message": "done", "origin": "api", "username": null},
            "not an object",
            {"message": 7}
        ]
    });
    for args in [
        ["--json", "sessions", "show", "devin-abc"],
        ["--json", "sessions", "messages", "devin-abc"],
    ] {
        api.push_fault("GET", "/v1/sessions/devin-abc", Fault::Json(odd.clone()));
        let out = checked(
            bin_api(d.path(), &api)
                .env("DEVIN_API_KEY", legacy)
                .args(args)
                .output()
                .expect("run"),
        );
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let v = stdout_json(&out);
        if args[2] == "show" {
            assert_eq!(v["status"], "exit", "{v}");
        } else {
            let msgs = v.as_array().expect("messages");
            assert_eq!(msgs[0]["source"], "user", "{v}");
            assert_eq!(msgs[1]["source"], "devin", "{v}");
        }
    }
}

fn utf32(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |c: u32| out.extend(if le { c.to_le_bytes() } else { c.to_be_bytes() });
    if bom {
        push(0xfeff);
    }
    s.chars().for_each(|c| push(c as u32));
    out
}

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |c: u16| out.extend(if le { c.to_le_bytes() } else { c.to_be_bytes() });
    if bom {
        push(0xfeff);
    }
    s.encode_utf16().for_each(&mut push);
    out
}

/// Text in any Unicode encoding is text: UTF-32 and UTF-16, either byte order, with or
/// without a byte-order mark. And under `--history`, a commit's extra headers travel in the
/// bundle, so they are scanned too.
#[test]
fn wide_encodings_and_commit_headers_are_scanned() {
    let mut g = Gen::new(2417);
    let fx = Fixture::new();
    let mut files = Vec::new();
    for (i, (wide32, le, bom)) in [
        (true, true, true),
        (true, true, false),
        (true, false, false),
        (true, false, true),
        (false, false, false),
    ]
    .into_iter()
    .enumerate()
    {
        let text = format!("# settings\nGITHUB_TOKEN={}\n", g.github_token());
        let bytes = if wide32 {
            utf32(&text, le, bom)
        } else {
            utf16(&text, le, bom)
        };
        let name = format!("wide{i}.cfg");
        write(&fx.work.join(&name), bytes);
        files.push(name);
    }
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json = stdout_json(&out);
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for f in &files {
        assert!(paths.contains(&f.as_str()), "{f} not in {paths:?}");
    }

    // A commit with an extra header, as some tools write them.
    let fx = Fixture::new();
    let token = g.github_token();
    let tree = git(&fx.work, &["rev-parse", "HEAD^{tree}"]);
    let parent = git(&fx.work, &["rev-parse", "HEAD"]);
    let raw = format!(
        "tree {}\nparent {}\nauthor Test <test@example.com> 1767225600 +0000\ncommitter Test <test@example.com> 1767225600 +0000\nx-token {token}\n\nlocal commit\n",
        tree.trim(),
        parent.trim()
    );
    let obj = fx.root.path().join("commit.txt");
    write(&obj, raw);
    let id = git(
        &fx.work,
        &[
            "hash-object",
            "-t",
            "commit",
            "-w",
            obj.to_str().expect("utf8"),
        ],
    );
    git(&fx.work, &["reset", "-q", "--hard", id.trim()]);
    let out = dry_run_output(&fx.work, "block", &["--history"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains("<commit "), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&token) && !stderr(&out).contains(&token));
    // Without --history the commit does not travel as it is (its change is in the patch).
    let out = dry_run_output(&fx.work, "block", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A file too large to carry (an untracked 40 MiB text file, a tracked one grown as large)
/// is left out with its reason, and the rest of the change still travels: memory does not
/// grow with what the repository holds (measured in `benches/memory.sh`).
#[test]
fn a_huge_file_is_left_out_with_its_reason() {
    let fx = Fixture::new();
    let line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
    let big = line.repeat(40 * 1024 * 1024 / line.len());
    write(&fx.work.join("dump.sql"), &big);
    write(&fx.work.join("README.md"), &big);
    write(&fx.work.join("small.txt"), "small\n");
    let out = dry_run_output(&fx.work, "block", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout_json(&out);
    let left = json["manifest"]["left_out"].to_string();
    for name in ["dump.sql", "README.md"] {
        assert!(left.contains(name), "{name}: {left}");
    }
    assert!(left.contains("byte limit of a handoff"), "{left}");
    let prompt = json["request"]["prompt"].as_str().expect("prompt");
    assert!(
        prompt.contains("small.txt") && prompt.len() < 1024 * 1024,
        "{}",
        prompt.len()
    );
}

/// SIGTERM in the middle of a download ends it like Ctrl-C: exit 130, no partial file left.
#[cfg(unix)]
#[test]
fn terminate_mid_download_leaves_no_partial_file() {
    let api = FakeApi::start();
    api.add_session("devin-abc", &[serde_json::json!({"status": "finished"})]);
    api.add_attachment("devin-abc", "result.txt", b"the result\n");
    api.push_fault(
        "GET",
        "/result.txt",
        Fault::Drip(std::time::Duration::from_millis(200)),
    );
    let d = tempfile::TempDir::new().expect("tempdir");
    let dest = d.path().join("out");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    hermetic(&mut cmd, home());
    let child = cmd
        .current_dir(d.path())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["sessions", "attachments", "devin-abc", "--download"])
        .arg(&dest)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the partial file exists, then stop the run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir(&dest).map_or(true, |mut d| d.next().is_none())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(&dest).expect("dir").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Found from outside (second round): a key body pasted under a committed BEGIN line, a
/// value on the line after a committed allow comment, a secret in a branch name under
/// `redact`, a secret next to a diff inside a notes file.
#[test]
fn committed_templates_and_neighbours_do_not_hide_a_secret() {
    let fx = Fixture::new();
    let w = &fx.work;
    write(
        &w.join("deploy_key.txt"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\n<paste here>\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    write(
        &w.join("config.yaml"),
        "db:\n  password: |  # pragma: allowlist secret\n",
    );
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "templates"]);
    publish(&fx);
    // A real-looking OpenSSH key body (base64 of the format's magic and fields).
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBMq8Vwq4kPh1VQXUXcTqK8nq0n0mZcYHk2pC9r6k3qEwAAAJgF0vXxBdL1\n";
    write(
        &w.join("deploy_key.txt"),
        format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----\n"),
    );
    write(
        &w.join("config.yaml"),
        "db:\n  password: |  # pragma: allowlist secret\n    ORS+6ilI8ihN5KXSc7Tvo+hBKqFYY+kv5ZJr3J1T\n",
    );
    let out = dry_run_output(w, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json = stdout_json(&out);
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"deploy_key.txt") && paths.contains(&"config.yaml"),
        "{paths:?}"
    );
    // Redacted, neither value travels.
    for flags in [&["--via", "inline"][..], &[][..]] {
        let api = FakeApi::start();
        let mut args = vec!["--yes", "--secrets", "redact"];
        args.extend(flags);
        args.push("go on");
        let out = run_api(&api, w, &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let sent = format!(
            "{}{}",
            api.create_requests()[0].json(),
            api.uploads()
                .iter()
                .map(|u| String::from_utf8_lossy(&u.bytes).into_owned())
                .collect::<String>()
        );
        assert!(
            !sent.contains("ORS+6ilI8ihN5KXSc7Tvo") && !sent.contains("QyNTUxOQAAACBMq8Vwq4"),
            "{flags:?}"
        );
    }

    // A branch named after a token, under redact: the steps never carry the raw name.
    let fx = Fixture::new();
    let token = Gen::new(2419).github_token();
    git(&fx.work, &["checkout", "-q", "-b", &format!("fix/{token}")]);
    write(&fx.work.join("x.txt"), "x\n");
    assert_redacted_on_every_carrier(&fx.work, &token);

    // A notes file holding a diff: every byte is scanned, not only the hunk.
    let d = tempfile::TempDir::new().expect("tempdir");
    let notes = d.path().join("notes.md");
    write(
        &notes,
        format!("# Notes\nGITHUB_TOKEN={token}\n```diff\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\n"),
    );
    let out = checked(bin(d.path()).arg("scan").arg(&notes).output().expect("run"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

/// An upstream branch on the remote named after a token: the base is on the remote, but the
/// name still travels (manifest, prompt, bundle preview), so it is scanned like the branch.
#[test]
fn an_upstream_name_holding_a_token_is_scanned_even_when_the_base_is_on_the_remote() {
    let fx = Fixture::new();
    let token = Gen::new(2431).github_token();
    let upstream = format!("fix/{token}");
    let remote = fx.remote.to_str().expect("utf8");
    git(
        &fx.work,
        &["push", "-q", remote, &format!("main:{upstream}")],
    );
    git(
        &fx.work,
        &[
            "update-ref",
            &format!("refs/remotes/origin/{upstream}"),
            "main",
        ],
    );
    git(
        &fx.work,
        &[
            "checkout",
            "-q",
            "-b",
            "work",
            "--track",
            &format!("origin/{upstream}"),
        ],
    );
    write(&fx.work.join("x.txt"), "x\n");
    let out = checked(
        bin(&fx.work)
            .args(["create", "--dry-run", "--json", "go on"])
            .output()
            .expect("run"),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!stdout(&out).contains(&token) && !stderr(&out).contains(&token));
    assert_redacted_on_every_carrier(&fx.work, &token);
    let out = checked(
        bin(&fx.work)
            .args(["scan", "--json"])
            .output()
            .expect("run"),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

/// Under `--secrets redact`, a dry run on every carrier (bundle, `--history`, the inline
/// patch) succeeds and its JSON never holds `token`.
fn assert_redacted_on_every_carrier(work: &std::path::Path, token: &str) {
    for flags in [&[][..], &["--history"][..], &["--via", "inline"][..]] {
        let out = checked(
            bin(work)
                .args(["create", "--dry-run", "--json", "--secrets", "redact"])
                .args(flags)
                .arg("go on")
                .output()
                .expect("run"),
        );
        assert!(out.status.success(), "{flags:?}: {}", stderr(&out));
        assert!(!stdout(&out).contains(token), "{flags:?}: {}", stdout(&out));
    }
}
