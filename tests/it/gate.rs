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
