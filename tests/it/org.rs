//! Org resources against the fake API: whoami, doctor, orgs, knowledge, playbooks, schedules.

use serde_json::json;

use crate::common::*;

fn last(api: &FakeApi, method: &str) -> Recorded {
    api.requests()
        .into_iter()
        .rfind(|r| r.method == method)
        .expect("a request")
}

#[test]
fn whoami_orgs_and_doctor() {
    let api = FakeApi::start();
    let d = tempfile::TempDir::new().expect("tempdir");
    let out = run_api(&api, d.path(), &["whoami"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("service_user ci-bot") && text.contains(&api.org),
        "{text}"
    );

    let out = run_api(&api, d.path(), &["--json", "orgs", "list"]);
    assert!(out.status.success());
    assert_eq!(
        stdout_json(&out).as_array().expect("orgs").len(),
        3,
        "every page"
    );

    let before = api.requests().len();
    let out = run_api(&api, d.path(), &["doctor"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok   the key may read sessions"));
    assert_eq!(api.sessions_created(), 0, "doctor creates nothing");
    // A diagnostic only reads: not even an empty POST to probe a permission.
    let writes: Vec<String> = api.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "doctor wrote: {writes:?}");

    let out = bin(d.path()).args(["doctor"]).output().expect("run");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("fix: export DEVIN_API_KEY"));
    let out = run_api(
        &api,
        d.path(),
        &["--org-id", "org-elsewhere", "--json", "doctor"],
    );
    // A configured organization that is not the key's is invalid input (exit 2), named.
    assert_eq!(out.status.code(), Some(2));
    let checks = stdout_json(&out)["checks"].clone();
    assert!(
        checks
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["ok"] == false
                && c["check"]
                    .as_str()
                    .is_some_and(|t| t.contains("org-elsewhere (from --org-id) is not the key's"))),
        "{checks}"
    );
}

#[test]
fn knowledge_notes_with_exact_routes_and_bodies() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let base = format!("/v3/organizations/{}/knowledge/notes", api.org);
    let out = run_api(
        &api,
        &fx.work,
        &[
            "--json",
            "knowledge",
            "create",
            "--name",
            "Style",
            "--trigger",
            "when editing Rust",
            "--body",
            "Use rustfmt.",
            "--pinned-repo",
            ".",
            "--folder",
            "folder-1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let post = last(&api, "POST");
    assert_eq!(post.path, base);
    assert_eq!(
        post.json(),
        json!({"name": "Style", "trigger": "when editing Rust", "body": "Use rustfmt.", "pinned_repo": "acme/widget", "folder_id": "folder-1"})
    );
    let id = stdout_json(&out)["note_id"]
        .as_str()
        .expect("id")
        .to_string();

    // update changes the given field and PUTs the whole note.
    let out = bin_api(&fx.work, &api)
        .args(["knowledge", "update", &id, "--body-file", "-"])
        .write_stdin("Use rustfmt and clippy.")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let put = last(&api, "PUT");
    assert_eq!(put.path, format!("{base}/{id}"));
    assert_eq!(put.json()["body"], "Use rustfmt and clippy.");
    assert_eq!(put.json()["name"], "Style", "unchanged fields kept");
    assert_eq!(put.json()["trigger"], "when editing Rust");
    assert_eq!(put.json()["pinned_repo"], "acme/widget");

    for i in 0..4 {
        run_api(
            &api,
            &fx.work,
            &[
                "knowledge",
                "create",
                "--name",
                &format!("n{i}"),
                "--trigger",
                "t",
                "--body",
                "b",
            ],
        );
    }
    let out = run_api(
        &api,
        &fx.work,
        &[
            "--json",
            "knowledge",
            "list",
            "--search",
            "rust",
            "--pinned-repo",
            ".",
        ],
    );
    assert_eq!(
        stdout_json(&out).as_array().expect("notes").len(),
        5,
        "every page"
    );
    assert!(api.requests().iter().any(|r| r
        .query
        .as_deref()
        .is_some_and(|q| q.contains("search=rust") && q.contains("pinned_repo=acme%2Fwidget"))));
    let out = run_api(&api, &fx.work, &["knowledge", "folders"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("/Backend"));

    let out = run_api(&api, &fx.work, &["knowledge", "delete", &id, "--yes"]);
    assert!(out.status.success());
    assert_eq!(last(&api, "DELETE").path, format!("{base}/{id}"));
    let out = run_api(&api, &fx.work, &["knowledge", "show", &id]);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&id),
        "the ID is in the message"
    );
    let out = run_api(&api, &fx.work, &["knowledge", "create", "--name", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn playbooks_validate_the_macro_and_keep_fields() {
    let api = FakeApi::start();
    let d = tempfile::TempDir::new().expect("tempdir");
    let before = api.requests().len();
    let out = run_api(
        &api,
        d.path(),
        &[
            "playbooks",
            "create",
            "--title",
            "Deploy",
            "--body",
            "steps",
            "--macro",
            "deploy",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(api.requests().len(), before, "no request for a bad macro");
    let out = run_api(
        &api,
        d.path(),
        &[
            "--json",
            "playbooks",
            "create",
            "--title",
            "Deploy",
            "--body",
            "steps",
            "--macro",
            "!deploy",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        last(&api, "POST").json(),
        json!({"title": "Deploy", "body": "steps", "macro": "!deploy"})
    );
    let id = stdout_json(&out)["playbook_id"]
        .as_str()
        .expect("id")
        .to_string();
    let out = run_api(
        &api,
        d.path(),
        &["playbooks", "update", &id, "--title", "Deploy safely"],
    );
    assert!(out.status.success());
    let put = last(&api, "PUT");
    assert_eq!(
        put.path,
        format!("/v3/organizations/{}/playbooks/{id}", api.org)
    );
    assert_eq!(
        put.json(),
        json!({"title": "Deploy safely", "body": "steps", "macro": "!deploy"})
    );
    let out = run_api(
        &api,
        d.path(),
        &["playbooks", "delete", "playbook-404", "--yes"],
    );
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn schedules_convert_time_zones_and_patch_only_what_changed() {
    let api = FakeApi::start();
    let d = tempfile::TempDir::new().expect("tempdir");
    let base = format!("/v3/organizations/{}/schedules", api.org);

    let out = run_api(
        &api,
        d.path(),
        &[
            "--json",
            "schedules",
            "create",
            "--name",
            "nightly",
            "--prompt",
            "run the tests",
            "--cron",
            "0 9 * * 1-5",
            "--timezone",
            "America/New_York",
            "--notify",
            "failure",
            "--tag",
            "ci",
            "--playbook",
            "playbook-1",
            "--agent",
            "devin",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let post = last(&api, "POST");
    assert_eq!(post.path, base);
    let body = post.json();
    let freq = body["frequency"].as_str().expect("frequency");
    assert!(freq == "0 13 * * 1-5" || freq == "0 14 * * 1-5", "{freq}");
    assert_eq!(body["schedule_type"], "recurring");
    assert_eq!(body["notify_on"], "failure");
    assert_eq!(body["tags"], json!(["ci"]));
    assert!(body.get("timezone").is_none() && body.get("cron_schedule").is_none());
    assert!(String::from_utf8_lossy(&out.stderr).contains("daylight saving"));

    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "create",
            "--name",
            "utc",
            "--prompt",
            "p",
            "--cron",
            "0 9 * * 1-5",
            "--timezone",
            "UTC",
        ],
    );
    assert!(out.status.success());
    assert_eq!(last(&api, "POST").json()["frequency"], "0 9 * * 1-5");

    // An invalid cron is refused before any request.
    let before = api.requests().len();
    for bad in ["0 25 * * *", "every day", "0 9 * *"] {
        let out = run_api(
            &api,
            d.path(),
            &[
                "schedules",
                "create",
                "--name",
                "x",
                "--prompt",
                "p",
                "--cron",
                bad,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "create",
            "--name",
            "x",
            "--prompt",
            "p",
            "--cron",
            "0 9 * * *",
            "--timezone",
            "Mars/Base",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(api.requests().len(), before, "nothing sent");

    let out = run_api(&api, d.path(), &["schedules", "disable", "sched-1"]);
    assert!(out.status.success());
    let patch = last(&api, "PATCH");
    assert_eq!(patch.path, format!("{base}/sched-1"));
    assert_eq!(
        String::from_utf8_lossy(&patch.body),
        r#"{"enabled":false}"#,
        "exactly enabled:false"
    );
    run_api(&api, d.path(), &["schedules", "enable", "sched-1"]);
    assert_eq!(last(&api, "PATCH").json(), json!({"enabled": true}));
    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "update",
            "sched-1",
            "--prompt",
            "run all tests",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        last(&api, "PATCH").json(),
        json!({"prompt": "run all tests"}),
        "only what changed"
    );

    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "create",
            "--name",
            "once",
            "--prompt",
            "p",
            "--at",
            "2099-01-01T09:00:00Z",
        ],
    );
    assert!(out.status.success());
    assert_eq!(last(&api, "POST").json()["schedule_type"], "one_time");
    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "create",
            "--name",
            "past",
            "--prompt",
            "p",
            "--at",
            "2001-01-01T09:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(2));

    let out = run_api(&api, d.path(), &["--json", "schedules", "list"]);
    assert_eq!(stdout_json(&out).as_array().expect("list").len(), 3);
    let queries: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == base)
        .filter_map(|r| r.query.clone())
        .collect();
    assert!(
        queries.iter().any(|q| q.contains("offset=0"))
            && queries.iter().any(|q| q.contains("offset=2")),
        "walked the offsets: {queries:?}"
    );
    let out = run_api(&api, d.path(), &["schedules", "show", "sched-99"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sched-99"));
    let out = run_api(&api, d.path(), &["schedules", "delete", "sched-2", "--yes"]);
    assert!(out.status.success());
    assert_eq!(last(&api, "DELETE").path, format!("{base}/sched-2"));
}
