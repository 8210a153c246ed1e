//! The API as its reference describes it, not as the client assumes it: a fake that refuses
//! unknown create fields and unconnected repositories in the newer problem format, answers a
//! send with something other than a session, and suspends finished sessions for inactivity.

use crate::common::*;

/// Gap 2: a create refused for its `repos` is sent once more without them, saying so;
/// `--repo none` leaves them out from the start.
#[test]
fn a_create_refused_for_its_repository_is_retried_without_repos() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    api.connect_repos(&["acme/other"]);
    let out = run_api(&api, &fx.work, &["create", "--yes", "hand this off"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("without `repos`"), "{}", stderr(&out));
    let creates = api.create_requests();
    assert_eq!(creates.len(), 2, "one retry");
    assert_eq!(
        creates[0].json()["repos"],
        serde_json::json!(["acme/widget"])
    );
    assert!(
        creates[1].json().get("repos").is_none(),
        "{}",
        creates[1].json()
    );
    assert_eq!(api.sessions_created(), 1);

    let out = run_api(
        &api,
        &fx.work,
        &["create", "--yes", "--new", "--repo", "none", "again"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let creates = api.create_requests();
    assert_eq!(creates.len(), 3, "no retry needed");
    assert!(creates[2].json().get("repos").is_none());
}

/// Gap 3: a problem with `detail: null` and `errors[]` shows each field error.
#[test]
fn field_errors_are_shown_one_by_one() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(
            422,
            None,
            serde_json::json!({"title": "Unprocessable Entity", "status": 422, "detail": null, "errors": [
                {"loc": ["body", "max_acu_limit"], "msg": "must be at most 100"},
                {"pointer": "/tags/0", "detail": "too long"}
            ]})
            .to_string(),
        ),
    );
    let out = run_api(
        &api,
        &fx.work,
        &["create", "--yes", "--new", "--repo", "none", "field errors"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("max_acu_limit: must be at most 100"), "{err}");
    assert!(err.contains("tags/0: too long"), "{err}");
    // And as data under --json.
    api.push_fault(
        "POST",
        "/sessions",
        Fault::Status(
            422,
            None,
            serde_json::json!({"title": "Unprocessable Entity", "status": 422, "detail": null, "errors": [
                {"field": "title", "message": "too long"}
            ]})
            .to_string(),
        ),
    );
    let out = run_api(
        &api,
        &fx.work,
        &[
            "--json", "create", "--yes", "--new", "--repo", "none", "x y",
        ],
    );
    let v = stdout_json(&out);
    assert_eq!(v["field_errors"][0]["field"], "title", "{v}");
    assert_eq!(v["field_errors"][0]["message"], "too long");
}

/// Gap 5: finished, then suspended for inactivity, is success.
#[test]
fn a_finished_session_suspended_for_inactivity_is_success() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session(
        "devin-idle",
        &[serde_json::json!({
            "status": "suspended",
            "status_detail": "inactivity",
            "pull_requests": [{"pr_url": "https://github.com/acme/widget/pull/3", "pr_state": "open"}]
        })],
    );
    let out = run_api(&api, d.path(), &["sessions", "watch", "idle"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/pull/3"));
    // Suspended for inactivity with nothing done: still a failure (exit 6).
    api.add_session(
        "devin-idle2",
        &[serde_json::json!({"status": "suspended", "status_detail": "inactivity"})],
    );
    let out = run_api(&api, d.path(), &["sessions", "watch", "idle2"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
}

/// Gap 6: any 2xx to a send means it was sent, whatever the answer holds.
#[test]
fn a_send_answered_with_anything_2xx_is_sent() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session("devin-s1", &[serde_json::json!({"status": "running"})]);
    for fault in [
        Fault::Json(serde_json::json!({"ok": true})),
        Fault::Empty,
        Fault::Json(serde_json::json!(["not", "a", "session"])),
    ] {
        api.push_fault("POST", "/messages", fault);
        let out = run_api(&api, d.path(), &["sessions", "send", "s1", "please go on"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("sent to devin-s1"),
            "{}",
            stderr(&out)
        );
    }
}

/// Gap 1: a legacy `apk_` key works end to end on v1 routes, and never asks v3.
#[test]
fn legacy_keys_work_end_to_end_on_v1_routes() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let legacy = |args: &[&str]| {
        bin(&fx.work)
            .env("DEVIN_API_KEY", "apk_user_legacykey123")
            .env("DEVIN_API_URL", api.url())
            .args(args)
            .output()
            .expect("run")
    };
    // create --wait: v1 create, then v1 gets until finished (with its pull request).
    let out = legacy(&[
        "--json",
        "create",
        "--yes",
        "--wait",
        "--interval",
        "1",
        "legacy key task",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("\"outcome\":\"finished\""), "{text}");
    assert!(text.contains("/pull/1"), "{text}");
    assert_eq!(
        api.create_requests()[0].json()["idempotent"],
        true,
        "v1 reuses an open match"
    );
    let id = api
        .requests()
        .iter()
        .find_map(|r| r.path.strip_prefix("/v1/sessions/").map(str::to_string))
        .expect("a v1 get");
    let short = id.trim_start_matches("devin-").to_string();
    // show, messages, send, poll.
    api.add_message(&id, "devin", "all done");
    let out = legacy(&["sessions", "show", &short]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/pull/1"));
    let out = legacy(&["sessions", "messages", &short]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("devin: all done"),
        "{}",
        stderr(&out)
    );
    let out = legacy(&["sessions", "send", &short, "thanks, one more thing"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = api
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/message"))
        .expect("v1 send");
    assert_eq!(sent.path, format!("/v1/sessions/{id}/message"));
    let out = legacy(&["poll", &short, "--interval", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Duplicate detection asks v1 too: a running identical handoff is reused.
    let out = legacy(&["create", "--yes", "second legacy task"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(api.sessions_created(), 2);
    let out = legacy(&["create", "--yes", "second legacy task"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("still running"), "{}", stderr(&out));
    assert_eq!(api.sessions_created(), 2, "reused, not created again");
    assert!(
        api.requests().iter().all(|r| !r.path.starts_with("/v3/")),
        "no v3 request: {:?}",
        api.requests()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    );
}

/// Gap 4: `watch` resumes the message list from its last cursor instead of reading every
/// page on each poll.
#[test]
fn watch_resumes_messages_from_the_last_cursor() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session(
        "devin-pages",
        &[
            serde_json::json!({"status": "running", "status_detail": "working"}),
            serde_json::json!({"status": "running", "status_detail": "working"}),
            serde_json::json!({"status": "exit"}),
        ],
    );
    for i in 1..=5 {
        api.add_message("devin-pages", "devin", &format!("step {i}"));
    }
    let out = run_api(
        &api,
        d.path(),
        &["sessions", "watch", "pages", "--interval", "1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for i in 1..=5 {
        assert_eq!(text.matches(&format!("step {i}\n")).count(), 1, "{text}");
    }
    let pages: Vec<Option<String>> = api
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .map(|r| r.query)
        .collect();
    // Two messages a page: three requests on the first poll, then one per poll from the
    // last page's cursor (three polls in all), not three every time.
    assert_eq!(pages.len(), 5, "{pages:?}");
    assert!(
        pages[3].as_deref().is_some_and(|q| q.contains("after=4")),
        "{pages:?}"
    );
}

/// Beyond, 10: a structured report is asked for (built in or custom, checked locally) and
/// printed when the session has one.
#[test]
fn a_structured_report_is_asked_for_and_printed() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let out = run_api(
        &api,
        &fx.work,
        &["create", "--yes", "--report", "report back"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let body = api.create_requests()[0].json();
    let schema = &body["structured_output_schema"];
    assert_eq!(schema["type"], "object", "{body}");
    for field in [
        "summary",
        "branch",
        "pull_request_url",
        "tests",
        "open_questions",
    ] {
        assert!(
            schema["properties"].get(field).is_some(),
            "{field}: {schema}"
        );
    }
    // A custom schema goes as written.
    let custom = serde_json::json!({"type": "object", "properties": {"verdict": {"enum": ["ship", "hold"]}}, "required": ["verdict"]});
    let file = fx.root.path().join("schema.json");
    write(&file, custom.to_string());
    let f = file.to_str().expect("utf8");
    let out = run_api(
        &api,
        &fx.work,
        &[
            "create",
            "--yes",
            "--new",
            "--report-schema",
            f,
            "custom report",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        api.create_requests()[1].json()["structured_output_schema"],
        custom
    );
    // Invalid ones are refused before anything is sent (exit 2).
    let before = api.create_requests().len();
    for (bad, says) in [
        (r#"{"type": 5}"#, "not a valid JSON Schema"),
        (
            r#"{"$ref": "https://example.com/other.json"}"#,
            "self-contained",
        ),
        ("{ not json", "not JSON"),
    ] {
        write(&file, bad);
        let out = run_api(
            &api,
            &fx.work,
            &[
                "create",
                "--yes",
                "--new",
                "--report-schema",
                f,
                "bad report",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{bad}: {}", stderr(&out));
    }
    assert_eq!(api.create_requests().len(), before);
    // Printed by show and watch, and in watch's --json done event.
    let report = serde_json::json!({"summary": "fixed the parser", "branch": "devin/parser", "tests": {"ran": true, "passed": true}, "open_questions": []});
    api.add_session(
        "devin-rep",
        &[serde_json::json!({"status": "exit", "structured_output": report})],
    );
    let out = run_api(&api, &fx.work, &["sessions", "show", "rep"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("fixed the parser"),
        "{}",
        stderr(&out)
    );
    let out = run_api(&api, &fx.work, &["sessions", "watch", "rep"]);
    assert!(
        stderr(&out).contains("fixed the parser"),
        "{}",
        stderr(&out)
    );
    let out = run_api(&api, &fx.work, &["--json", "sessions", "watch", "rep"]);
    let done: serde_json::Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &serde_json::Value| v["event"] == "done")
        .expect("a done event");
    assert_eq!(done["structured_output"], report);
}

/// Gap 8: `doctor` says where the key and the organization came from (masked), the API URL,
/// the read permission (by reading), and whether this repository can be handed off; a refused key is
/// one failure with the right fix, not three.
#[test]
fn doctor_reports_sources_mismatches_and_the_repository() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let doctor = |env: &[(&str, &str)], home: Option<&std::path::Path>| {
        let mut cmd = match home {
            Some(h) => bin_with_home(&fx.work, h),
            None => bin(&fx.work),
        };
        cmd.env("DEVIN_API_URL", api.url());
        for (k, v) in env {
            cmd.env(k, v);
        }
        checked(cmd.args(["--json", "doctor"]).output().expect("run"))
    };
    let checks = |out: &std::process::Output| -> Vec<(bool, String)> {
        stdout_json(out)["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .map(|c| {
                (
                    c["ok"] == true,
                    c["check"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let has = |cs: &[(bool, String)], ok: bool, text: &str| {
        cs.iter().any(|(o, t)| *o == ok && t.contains(text))
    };
    // From the environment, org from DEVIN_ORG_ID: all well, and the repository can go.
    let out = doctor(&[("DEVIN_API_KEY", KEY), ("DEVIN_ORG_ID", &api.org)], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let cs = checks(&out);
    assert!(has(&cs, true, &format!("API: {}", api.url())), "{cs:?}");
    assert!(
        has(
            &cs,
            true,
            "key cog_****cdef from the environment (DEVIN_API_KEY)"
        ),
        "{cs:?}"
    );
    assert!(
        has(
            &cs,
            true,
            &format!("organization {} (from DEVIN_ORG_ID)", api.org)
        ),
        "{cs:?}"
    );
    assert!(has(&cs, true, "may read sessions"), "{cs:?}");
    assert!(has(&cs, true, "remote github.com/acme/widget"), "{cs:?}");
    assert!(has(&cs, true, "is on the remote"), "{cs:?}");
    // No org set: the key's own.
    let out = doctor(&[("DEVIN_API_KEY", KEY)], None);
    assert!(
        has(&checks(&out), true, "the key's own organization"),
        "{:?}",
        checks(&out)
    );
    // From the config file's api_key.
    let home = home_with_config(&format!("api_key = \"{KEY}\"\n"), 0o600);
    let out = doctor(&[], Some(home.path()));
    assert!(
        has(&checks(&out), true, "from the config file (api_key)"),
        "{:?}",
        checks(&out)
    );
    // From api_key_command, org from the config file, and a mismatch.
    let home = home_with_config(
        &format!("org_id = \"org-other\"\napi_key_command = \"echo {KEY}\"\n"),
        0o600,
    );
    let out = doctor(&[], Some(home.path()));
    assert_eq!(out.status.code(), Some(2));
    let cs = checks(&out);
    assert!(
        has(&cs, true, "from api_key_command in the config file"),
        "{cs:?}"
    );
    assert!(
        has(
            &cs,
            false,
            "org-other (from the config file (org_id)) is not the key's"
        ),
        "{cs:?}"
    );
    // A refused key: one failure, with a fix about the key.
    let out = doctor(&[("DEVIN_API_KEY", "cog_invalid_key_123")], None);
    assert_eq!(out.status.code(), Some(4));
    let failed: Vec<_> = checks(&out).into_iter().filter(|(ok, _)| !ok).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    // A base commit the remote does not have.
    write(&fx.work.join("new.txt"), "x\n");
    git(&fx.work, &["checkout", "-q", "-b", "local-only"]);
    git(&fx.work, &["add", "new.txt"]);
    git(&fx.work, &["commit", "-q", "-m", "local"]);
    git(&fx.work, &["update-ref", "-d", "refs/remotes/origin/main"]);
    let out = doctor(&[("DEVIN_API_KEY", KEY)], None);
    assert!(
        has(&checks(&out), false, "on no remote-tracking branch"),
        "{:?}",
        checks(&out)
    );
}

/// Beyond, 9: `--secrets session` passes `NAME=value` secrets as session secrets; their values
/// are nowhere else in the request, the output, the journal or an upload.
#[test]
fn session_secrets_travel_only_as_session_secrets() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let mut g = Gen::new(1500);
    let db = g.s(B62, 32);
    let token = g.github_token();
    write(
        &fx.work.join(".env"),
        format!("DATABASE_PASSWORD={db}\nexport GITHUB_TOKEN={token}\nDEBUG=true\n"),
    );
    // A dry run shows the names, not the values.
    let out = dry_run_output(&fx.work, "session", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(!all.contains(&db) && !all.contains(&token), "{all}");
    let v = stdout_json(&out);
    assert_eq!(
        v["manifest"]["secrets"]["session_secrets"],
        serde_json::json!(["DATABASE_PASSWORD", "GITHUB_TOKEN"])
    );
    assert_eq!(
        v["request"]["session_secrets"][0]["key"],
        "DATABASE_PASSWORD"
    );
    // For real: the request carries them as session secrets, and nowhere else.
    let out = run_api(
        &api,
        &fx.work,
        &[
            "--json",
            "create",
            "--yes",
            "--secrets",
            "session",
            "use the db",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(!all.contains(&db) && !all.contains(&token), "{all}");
    let body = api.create_requests()[0].json();
    let secrets = body["session_secrets"]
        .as_array()
        .expect("session_secrets")
        .clone();
    assert_eq!(secrets.len(), 2, "{secrets:?}");
    assert_eq!(
        secrets[0],
        serde_json::json!({"key": "DATABASE_PASSWORD", "value": db, "sensitive": true})
    );
    assert_eq!(secrets[1]["key"], "GITHUB_TOKEN");
    assert_eq!(secrets[1]["value"], token.as_str());
    let mut rest = body.clone();
    rest.as_object_mut()
        .expect("object")
        .remove("session_secrets");
    let rest = rest.to_string();
    assert!(
        !rest.contains(&db) && !rest.contains(&token),
        "a value outside session_secrets"
    );
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(
        prompt.contains("`DATABASE_PASSWORD`, `GITHUB_TOKEN`"),
        "{prompt}"
    );
    assert!(prompt.contains("recreate"), "{prompt}");
    for u in api.uploads() {
        let text = String::from_utf8_lossy(&u.bytes);
        assert!(!text.contains(&db) && !text.contains(&token));
    }
    let journal = std::fs::read_to_string(home().join(".state/devin-handoff/journal.jsonl"))
        .unwrap_or_default();
    assert!(!journal.contains(&db) && !journal.contains(&token));
}
