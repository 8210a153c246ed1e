//! The session lifecycle against the fake API: watch, show, messages, send, attachments,
//! archive, terminate, poll, create --wait, and the duplicate-handoff rule.

use serde_json::json;

use crate::common::*;

fn tmp() -> tempfile::TempDir {
    tempfile::TempDir::new().expect("tempdir")
}

#[test]
fn watch_stops_with_0_and_the_pr_url_when_the_session_finishes() {
    let api = FakeApi::start();
    api.add_session("devin-w1", &[
        json!({"status": "new"}),
        json!({"status": "running", "status_detail": "working"}),
        json!({"status": "exit", "pull_requests": [{"pr_url": "https://github.com/acme/widget/pull/7", "pr_state": "open"}]}),
    ]);
    api.add_message("devin-w1", "devin", "On it.");
    api.add_message("devin-w1", "devin", "Tests pass.");
    api.add_message("devin-w1", "devin", "Opened a PR.");
    let d = tmp();
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "watch", "w1", "--interval", "1"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("devin: On it.") && stdout.contains("devin: Opened a PR."),
        "{stdout}"
    );
    assert_eq!(stdout.matches("On it.").count(), 1, "each message once");
    assert!(stdout
        .trim_end()
        .ends_with("https://github.com/acme/widget/pull/7"));

    // --json: NDJSON events, the last one "done".
    api.add_session(
        "devin-w2",
        &[json!({"status": "running", "status_detail": "waiting_for_user"})],
    );
    let out = run_api(
        &api,
        d.path(),
        &["--json", "sessions", "watch", "devin-w2", "--interval", "1"],
    );
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(events.last().expect("events")["outcome"], "needs_input");
}

#[test]
fn watch_exits_6_on_error_and_suspension_and_7_on_timeout() {
    let api = FakeApi::start();
    let d = tmp();
    api.add_session("devin-e1", &[json!({"status": "error"})]);
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "watch", "e1", "--interval", "1"],
    );
    assert_eq!(out.status.code(), Some(6));
    api.add_session(
        "devin-s1",
        &[json!({"status": "suspended", "status_detail": "out_of_credits"})],
    );
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "watch", "s1", "--interval", "1"],
    );
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out_of_credits"));
    api.add_session(
        "devin-t1",
        &[json!({"status": "running", "status_detail": "working"})],
    );
    let out = run_api(
        &api,
        d.path(),
        &[
            "sessions",
            "watch",
            "t1",
            "--interval",
            "1",
            "--wait-timeout",
            "0.3",
        ],
    );
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn transient_errors_during_a_watch_are_retried() {
    let api = FakeApi::start();
    let d = tmp();
    api.add_session(
        "devin-r1",
        &[json!({"status": "running"}), json!({"status": "exit"})],
    );
    for _ in 0..5 {
        api.push_fault(
            "GET",
            "/sessions/devin-r1",
            Fault::Status(502, None, "<html>bad gateway</html>".into()),
        );
    }
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "watch", "r1", "--interval", "1"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn show_by_url_and_a_missing_session_exits_5() {
    let api = FakeApi::start();
    let d = tmp();
    api.add_session("devin-abc123", &[json!({"status": "running", "status_detail": "working", "title": "fix it", "acus_consumed": 1.5, "pull_requests": [{"pr_url": "https://github.com/acme/widget/pull/9", "pr_state": "open"}]})]);
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "show", "https://app.devin.ai/sessions/abc123"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["devin-abc123", "working", "fix it", "pull/9 (open)", "1.5"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let out = run_api(&api, d.path(), &["sessions", "show", "devin-nope"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("devin-nope was not found"));
    let out = run_api(&api, d.path(), &["sessions", "show", "not a session!"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn show_without_an_id_finds_the_last_handoff_from_this_branch() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let api = FakeApi::start();
    let out = run_api(&api, &fx.work, &["create", "--yes", "--json", "first"]);
    assert!(out.status.success());
    let id = stdout_json(&out)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    let out = run_api(&api, &fx.work, &["--json", "sessions", "show"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out)["session_id"], id.as_str());
}

#[test]
fn messages_and_send_with_their_exact_requests() {
    let api = FakeApi::start();
    let d = tmp();
    api.add_session("devin-m1", &[json!({"status": "running"})]);
    for i in 0..5 {
        api.add_message("devin-m1", "devin", &format!("message {i}"));
    }
    let out = run_api(&api, d.path(), &["--json", "sessions", "messages", "m1"]);
    assert!(out.status.success());
    assert_eq!(
        stdout_json(&out).as_array().expect("array").len(),
        5,
        "every page walked"
    );
    let gets: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .collect();
    assert_eq!(gets.len(), 3, "three pages of two");
    assert!(gets[1]
        .query
        .as_deref()
        .is_some_and(|q| q.contains("after=2")));

    let out = run_api(
        &api,
        d.path(),
        &["sessions", "send", "devin-m1", "please add tests"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let post = api
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .expect("post");
    assert_eq!(
        post.path,
        format!("/v3/organizations/{}/sessions/devin-m1/messages", api.org)
    );
    assert_eq!(post.json(), json!({"message": "please add tests"}));

    let out = bin_api(d.path(), &api)
        .args(["sessions", "send", "m1", "--file", "-"])
        .write_stdin("from stdin")
        .output()
        .expect("run");
    assert!(out.status.success());
    let post = api
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .expect("post");
    assert_eq!(post.json(), json!({"message": "from stdin"}));

    // Secrets in a message are guarded like a handoff.
    let tok = Gen::new(500).github_token();
    let before = api.requests().len();
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "send", "m1", &format!("use {tok}")],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(api.requests().len(), before, "nothing sent");
    let out = run_api(
        &api,
        d.path(),
        &[
            "sessions",
            "send",
            "m1",
            "--secrets",
            "redact",
            &format!("use {tok}"),
        ],
    );
    assert!(out.status.success());
    let post = api
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .expect("post");
    assert_eq!(post.json(), json!({"message": "use [REDACTED:github-pat]"}));
}

#[test]
fn attachments_download_without_forwarding_the_key_and_never_clobber() {
    let api = FakeApi::start();
    let storage = FakeApi::start();
    api.redirect_downloads_to(&storage);
    api.add_session("devin-a1", &[json!({"status": "exit"})]);
    for server in [&api, &storage] {
        server.add_attachment("devin-a1", "report.txt", b"the report\n");
        server.add_attachment("devin-a1", "../../evil.sh", b"echo no\n");
    }
    let d = tmp();
    let out = run_api(&api, d.path(), &["--json", "sessions", "attachments", "a1"]);
    assert!(out.status.success());
    assert_eq!(stdout_json(&out).as_array().expect("list").len(), 2);

    let dest = d.path().join("out");
    std::fs::create_dir_all(&dest).expect("mkdir");
    std::fs::write(dest.join("report.txt"), "mine, keep it").expect("write");
    let out = run_api(
        &api,
        d.path(),
        &[
            "sessions",
            "attachments",
            "a1",
            "--download",
            dest.to_str().expect("utf8"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("report.txt")).expect("kept"),
        "mine, keep it"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("report (1).txt")).expect("new"),
        "the report\n"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("evil.sh")).expect("flattened"),
        "echo no\n"
    );
    assert!(!d.path().join("evil.sh").exists());
    let blob_requests: Vec<_> = storage
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/blob/"))
        .collect();
    assert_eq!(blob_requests.len(), 2, "followed the redirects");
    assert!(
        blob_requests.iter().all(|r| r.authorization.is_none()),
        "no key to the other host"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dest)
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left");
}

#[test]
fn archive_terminate_and_the_shell_plugin_verbs() {
    let api = FakeApi::start();
    let d = tmp();
    api.add_session("devin-x1", &[json!({"status": "running"})]);
    let out = run_api(&api, d.path(), &["sessions", "archive", "x1"]);
    assert!(out.status.success());
    let out = run_api(&api, d.path(), &["archive", "devin-x1"]);
    assert!(out.status.success());
    let out = run_api(&api, d.path(), &["sessions", "terminate", "x1", "--yes"]);
    assert!(out.status.success());
    let routes: Vec<(String, String)> = api
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    let base = format!("/v3/organizations/{}/sessions/devin-x1", api.org);
    assert!(routes.contains(&("POST".into(), format!("{base}/archive"))));
    assert!(routes.contains(&("DELETE".into(), base.clone())));

    api.add_session(
        "devin-p1",
        &[json!({"status": "running"}), json!({"status": "exit"})],
    );
    let out = run_api(
        &api,
        d.path(),
        &["poll", "p1", "--interval", "1", "--archive"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(api
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with("devin-p1/archive")));
}

#[test]
fn sessions_list_walks_every_page_and_filters_by_tag() {
    let api = FakeApi::start();
    let d = tmp();
    for i in 0..5 {
        api.add_session(&format!("devin-l{i}"), &[json!({"status": "running", "tags": if i % 2 == 0 { json!(["handoff"]) } else { json!(["other"]) }})]);
    }
    let out = run_api(&api, d.path(), &["--json", "sessions", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out).as_array().expect("array").len(), 5);
    let out = run_api(
        &api,
        d.path(),
        &["--json", "sessions", "list", "--tag", "handoff"],
    );
    assert_eq!(stdout_json(&out).as_array().expect("array").len(), 3);
    assert!(api.requests().iter().any(|r| r
        .query
        .as_deref()
        .is_some_and(|q| q.contains("tags=handoff"))));
}

#[test]
fn create_wait_watches_until_done() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "wait for me\n");
    let api = FakeApi::start();
    let out = run_api(
        &api,
        &fx.work,
        &["--yes", "--wait", "--interval", "1", "wait for it"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("https://app.devin.ai/sessions/0001abcd\n"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("https://github.com/acme/widget/pull/1"),
        "the PR at the end"
    );
    let gets = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/devin-0001abcd"))
        .count();
    assert_eq!(gets, 3, "watched until exit");
}

#[test]
fn an_identical_handoff_while_the_first_runs_returns_the_same_session() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "same change\n");
    let api = FakeApi::start();
    let first = stdout_json(&run_api(&api, &fx.work, &["--yes", "--json", "same task"]));
    let second_out = run_api(&api, &fx.work, &["--yes", "--json", "same task"]);
    let second = stdout_json(&second_out);
    assert_eq!(first["session_id"], second["session_id"]);
    assert_eq!(second["reused"], true);
    assert!(String::from_utf8_lossy(&second_out.stderr).contains("still running"));
    assert_eq!(api.sessions_created(), 1);
    // --new forces another; a different task is a different handoff.
    let third = stdout_json(&run_api(
        &api,
        &fx.work,
        &["--yes", "--json", "--new", "same task"],
    ));
    assert_ne!(third["session_id"], first["session_id"]);
    let fourth = stdout_json(&run_api(
        &api,
        &fx.work,
        &["--yes", "--json", "another task"],
    ));
    assert_eq!(fourth["reused"], false);
    assert_eq!(api.sessions_created(), 3);
}

#[test]
fn pull_checks_out_the_pull_request_in_a_worktree_or_here() {
    let fx = Fixture::new();
    let w = &fx.work;
    // Devin's work, published the way GitHub publishes a pull request's head.
    git(w, &["checkout", "-q", "-b", "devin/work"]);
    write(&w.join("from-devin.txt"), "done by devin\n");
    git(w, &["add", "from-devin.txt"]);
    git(w, &["commit", "-q", "-m", "devin's change"]);
    let remote = fx.remote.to_str().expect("utf8").to_string();
    git(w, &["push", "-q", &remote, "HEAD:refs/pull/7/head"]);
    git(w, &["checkout", "-q", "main"]);
    git(w, &["branch", "-q", "-D", "devin/work"]);
    // The user's remote URL is a hosted one; their git config maps it here, as a mirror would.
    git(
        w,
        &[
            "config",
            &format!("url.{remote}.insteadOf"),
            &format!("https://x-access-token:{URL_TOKEN}@github.com/acme/widget.git"),
        ],
    );

    let api = FakeApi::start();
    api.add_session("devin-pr1", &[json!({"status": "exit", "pull_requests": [{"pr_url": "https://github.com/acme/widget/pull/7", "pr_state": "open"}]})]);
    let out = run_api(&api, w, &["sessions", "pull", "pr1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = fx.root.path().join("work-devin-pr-7");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        tree.to_str().expect("utf8")
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("from-devin.txt")).expect("checked out"),
        "done by devin\n"
    );
    assert_eq!(
        git(&tree, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "devin/pr-7"
    );
    assert!(
        !w.join("from-devin.txt").exists(),
        "the main tree is untouched"
    );

    // --here refuses a dirty tree, then works in a clean one.
    write(&w.join("README.md"), "dirty\n");
    let out = run_api(&api, w, &["sessions", "pull", "pr1", "--here"]);
    assert_eq!(out.status.code(), Some(2));
    git(w, &["checkout", "-q", "--", "README.md"]);
    git(
        w,
        &[
            "worktree",
            "remove",
            "--force",
            tree.to_str().expect("utf8"),
        ],
    );
    let out = run_api(&api, w, &["sessions", "pull", "pr1", "--here"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(w.join("from-devin.txt").exists());

    // A session without a pull request says so.
    api.add_session("devin-nopr", &[json!({"status": "running"})]);
    let out = run_api(&api, w, &["sessions", "pull", "nopr"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pull request yet"));
}

#[test]
fn pull_warns_when_the_branch_moved_since_the_handoff() {
    let fx = Fixture::new();
    let w = &fx.work;
    let remote = fx.remote.to_str().expect("utf8").to_string();
    git(w, &["push", "-q", &remote, "HEAD:refs/pull/1/head"]);
    git(
        w,
        &[
            "config",
            &format!("url.{remote}.insteadOf"),
            &format!("https://x-access-token:{URL_TOKEN}@github.com/acme/widget.git"),
        ],
    );
    write(&w.join("wip.txt"), "work in progress\n");
    let api = FakeApi::start();
    let out = run_api(&api, w, &["--yes", "--json", "finish it"]);
    assert!(out.status.success());
    // The user goes on committing locally after the handoff.
    git(w, &["add", "wip.txt"]);
    git(w, &["commit", "-q", "-m", "local work after the handoff"]);
    // The fake session reaches `exit` with pull/1 on its third look.
    for _ in 0..2 {
        run_api(&api, w, &["sessions", "show", "devin-0001abcd"]);
    }
    let out = run_api(&api, w, &["sessions", "pull", "devin-0001abcd"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("main moved since the handoff"));
}

/// The API's status pairs (API reference: `status` and `status_detail`) read as what the
/// session is doing: a finished session is `finished` whether the API says `exit` or
/// `running` + `finished`; JSON keeps the raw fields.
#[test]
fn statuses_read_as_what_the_session_is_doing() {
    let api = FakeApi::start();
    let cases = [
        (
            "devin-s1",
            json!({"status": "running", "status_detail": "finished"}),
            "finished",
        ),
        ("devin-s2", json!({"status": "exit"}), "finished"),
        (
            "devin-s3",
            json!({"status": "running", "status_detail": "waiting_for_user"}),
            "waiting for you",
        ),
        (
            "devin-s4",
            json!({"status": "running", "status_detail": "waiting_for_approval"}),
            "waiting for approval",
        ),
        ("devin-s5", json!({"status": "error"}), "failed"),
        (
            "devin-s6",
            json!({"status": "suspended", "status_detail": "usage_limit_exceeded"}),
            "suspended (usage limit exceeded)",
        ),
        (
            "devin-s7",
            json!({"status": "running", "status_detail": "working"}),
            "working",
        ),
        ("devin-s8", json!({"status": "new"}), "starting"),
    ];
    for (id, state, _) in &cases {
        api.add_session(id, std::slice::from_ref(state));
    }
    let d = tmp();
    for (id, _, want) in &cases {
        let out = run_api(&api, d.path(), &["sessions", "show", id]);
        assert!(out.status.success(), "{}", stderr(&out));
        let first = stdout(&out).lines().next().unwrap_or("").to_string();
        assert_eq!(first, format!("{id}  {want}"), "{id}");
    }
    let out = run_api(&api, d.path(), &["--json", "sessions", "show", "devin-s1"]);
    let json = stdout_json(&out);
    assert_eq!(json["status"], "running");
    assert_eq!(json["status_detail"], "finished");
}
