//! `create`: request bodies, routes, uploads, retries and the exit codes of every failure.

use std::time::Duration;

use crate::common::*;

fn fixture_with_change() -> Fixture {
    let fx = Fixture::new();
    write(
        &fx.work.join("src/lib.rs"),
        "pub fn one() -> u32 {\n    42\n}\n",
    );
    fx
}

#[test]
fn request_body_carries_task_repo_branch_base_title_and_tag() {
    let fx = fixture_with_change();
    git(&fx.work, &["checkout", "-q", "-b", "feature/answer"]);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args([
            "create",
            "--yes",
            "--json",
            "--task",
            "Make one() return 42\nand explain why",
            "--tag",
            "cli",
            "--tag",
            "handoff",
            "--playbook",
            "playbook-1",
            "--knowledge",
            "note-1",
            "--knowledge",
            "note-2",
            "--max-acu",
            "7",
            "--mode",
            "fast",
            "--user-id",
            "user-9",
            "--context",
            "we tried 41 first",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = api.create_requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, format!("/v3/organizations/{}/sessions", api.org));
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = r.json();
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(
        prompt.starts_with("Make one() return 42\nand explain why"),
        "task first"
    );
    assert!(prompt.contains("github.com/acme/widget"));
    assert!(prompt.contains("`acme/widget`"));
    assert!(prompt.contains("- Branch: `feature/answer`"));
    assert!(prompt.contains(&format!("- Base commit: `{}`", fx.head())));
    assert!(prompt.contains("we tried 41 first"));
    assert_eq!(body["title"], "Make one() return 42");
    assert_eq!(body["tags"], serde_json::json!(["handoff", "cli"]));
    assert_eq!(body["repos"], serde_json::json!(["acme/widget"]));
    assert_eq!(body["playbook_id"], "playbook-1");
    assert_eq!(
        body["knowledge_ids"],
        serde_json::json!(["note-1", "note-2"])
    );
    assert_eq!(body["max_acu_limit"], 7);
    assert_eq!(body["devin_mode"], "fast");
    assert_eq!(body["create_as_user_id"], "user-9");

    let json = stdout_json(&out);
    assert_eq!(json["session_id"], "devin-0001abcd");
    assert_eq!(json["url"], "https://app.devin.ai/sessions/0001abcd");
}

#[test]
fn human_output_prints_the_session_url() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args(["--yes", "fix it"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "https://app.devin.ai/sessions/0001abcd\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("devin-0001abcd"));
}

#[test]
fn the_url_token_goes_nowhere() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    for args in [
        &["--yes", "--json", "a task"][..],
        &["--yes", "a task"][..],
        &["--dry-run", "a task"][..],
        &["--dry-run", "--json", "a task"][..],
    ] {
        let out = bin_api(&fx.work, &api).args(args).output().expect("run");
        assert!(out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(URL_TOKEN), "token printed for {args:?}");
        assert!(!all.contains("x-access-token"), "user printed for {args:?}");
    }
    for r in api.requests() {
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains(URL_TOKEN));
        assert!(!body.contains("x-access-token"));
    }
    // The second real run is the same handoff while the first still runs: it is reused.
    assert_eq!(api.sessions_created(), 1);
}

#[test]
fn apk_keys_use_the_v1_route() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_API_KEY", "apk_user_legacykey123")
        .env_remove("DEVIN_ORG_ID")
        .args(["create", "--yes", "--json", "--mode", "fast", "legacy"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = api.create_requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/sessions");
    let body = reqs[0].json();
    assert!(body["prompt"]
        .as_str()
        .expect("prompt")
        .starts_with("legacy"));
    assert_eq!(body["tags"], serde_json::json!(["handoff"]));
    assert!(
        body.get("devin_mode").is_none(),
        "v1 body has only v1 fields"
    );
    assert!(body.get("repos").is_none());
}

#[test]
fn the_org_comes_from_the_key_when_not_set() {
    let fx = fixture_with_change();
    let api = FakeApi::start_with_org("org-fromself");
    let out = bin_api(&fx.work, &api)
        .env_remove("DEVIN_ORG_ID")
        .args(["create", "--yes", "--json", "--via", "inline", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paths: Vec<String> = api.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/v3/self", "/v3/organizations/org-fromself/sessions"]
    );
}

#[test]
fn a_401_exits_4() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_API_KEY", "cog_invalid_key_123")
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401"), "{err}");
    assert!(
        err.contains("Invalid or expired API key"),
        "shows the API's detail: {err}"
    );
    assert!(
        !err.contains("cog_invalid_key_123"),
        "the key is never printed"
    );
    assert_eq!(api.sessions_created(), 0);
}

#[test]
fn a_403_exits_4_with_a_permission_hint() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_API_KEY", "cog_noperm_key_123")
        .args(["create", "--yes", "--json", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ManageOrgSessions"), "{err}");
    let json = stdout_json(&out);
    assert_eq!(json["error"]["kind"], "auth");
    assert_eq!(json["error"]["exit_code"], 4);
}

#[test]
fn a_wrong_org_exits_5_with_a_hint() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_ORG_ID", "org-other")
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEVIN_ORG_ID"));
}

#[test]
fn an_unreachable_api_exits_5() {
    let fx = fixture_with_change();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = bin(&fx.work)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", "org-x")
        .args([
            "--yes",
            "--timeout",
            "2",
            "--api-url",
            &format!("http://127.0.0.1:{port}"),
            "a task",
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the Devin API"));
}

#[test]
fn a_server_that_never_answers_exits_5_within_the_timeout() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault("POST", "/sessions", Fault::Hang);
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--timeout", "1", "t"])
        // Far above --timeout 1: only a client that ignores its timeout gets killed here.
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timed out"), "{err}");
    assert!(
        err.contains("may have reached the API"),
        "unknown outcome is said: {err}"
    );
    // A create whose outcome is unknown is never repeated.
    assert_eq!(api.create_requests().len(), 1);
}

#[test]
fn two_429s_then_success_create_exactly_one_session() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(429, Some("0".into()), r#"{"detail":"slow down"}"#.into()),
    );
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(429, None, r#"{"detail":"slow down"}"#.into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--json", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api.create_requests().len(), 3);
    assert_eq!(api.sessions_created(), 1);
    assert_eq!(stdout_json(&out)["session_id"], "devin-0001abcd");
}

#[test]
fn a_503_is_retried_but_a_500_on_create_is_not() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(503, Some("0".into()), "{}".into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(api.sessions_created(), 1);

    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(500, None, "<html><body>oops</body></html>".into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        api.create_requests().len(),
        1,
        "a create with an unknown outcome is not repeated"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTML page"));
}

#[test]
fn malformed_answers_and_redirects_exit_5() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault("POST", "/sessions", Fault::Malformed);
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--new", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Redirect("http://127.0.0.2:9/elsewhere".into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--new", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not followed"));
    // One create, not followed and not repeated (the bundle's upload comes before it).
    assert_eq!(api.create_requests().len(), 1);
}

#[test]
fn a_422_shows_the_validation_detail() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(
            422,
            None,
            r#"{"detail":[{"loc":["body","max_acu_limit"],"msg":"too large","type":"x"}]}"#.into(),
        ),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("body.max_acu_limit: too large"));
}

#[test]
fn flags_win_over_the_environment() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    let out = bin(&fx.work)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", "org-from-env")
        .env("DEVIN_API_URL", "http://127.0.0.1:9")
        .args([
            "create",
            "--yes",
            "--api-url",
            &api.url(),
            "--org-id",
            &api.org,
            "t",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        api.create_requests()[0].path,
        format!("/v3/organizations/{}/sessions", api.org)
    );
}

#[test]
fn verbose_output_never_contains_the_key() {
    let fx = fixture_with_change();
    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(429, Some("0".into()), "{}".into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["create", "-vv", "--yes", "t"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("debug:"), "-vv logs requests: {err}");
    assert!(!err.contains(KEY) && !String::from_utf8_lossy(&out.stdout).contains(KEY));
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_API_KEY", "cog_invalid_key_abcdef")
        .args(["create", "-vv", "--json", "--yes", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("cog_invalid_key_abcdef"));
}
