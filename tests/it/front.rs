//! The front end: dry runs, missing keys, odd HEADs, no repository, usage errors, help, prompts.

use std::time::Duration;

use crate::common::*;

#[test]
fn dry_run_needs_no_key_and_sends_nothing() {
    let fx = Fixture::new();
    write(&fx.work.join("src/lib.rs"), "changed\n");
    let api = FakeApi::start();
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--api-url", &api.url(), "try it"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("try it\n"));
    assert!(stdout.contains("+changed"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was sent"));

    let out = bin(&fx.work)
        .args([
            "--dry-run",
            "--json",
            "--api-url",
            &api.url(),
            "--tag",
            "x",
            "try it",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let json = stdout_json(&out);
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["request"]["tags"], serde_json::json!(["handoff", "x"]));
    assert!(json["request"]["prompt"]
        .as_str()
        .expect("prompt")
        .contains("+changed"));
    assert_eq!(json["manifest"]["files"][0]["path"], "src/lib.rs");
    // By default the state travels as git objects in a bundle, with a preview to read.
    assert_eq!(json["manifest"]["delivery"], "bundle");
    assert!(api.requests().is_empty(), "a dry run sends nothing");
}

#[test]
fn a_real_run_without_a_key_exits_4_and_says_what_to_set() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let out = bin(&fx.work)
        .args(["create", "--yes", "--api-url", &api.url(), "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEVIN_API_KEY"));
    assert!(api.requests().is_empty());
}

#[test]
fn a_detached_head_is_named_by_its_commit() {
    let fx = Fixture::new();
    let head = fx.head();
    git(&fx.work, &["checkout", "-q", "--detach", "HEAD"]);
    write(&fx.work.join("detached.txt"), "work on a detached head\n");
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--json", "--via", "inline", "t"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let json = stdout_json(&out);
    assert_eq!(json["manifest"]["head"]["kind"], "detached");
    assert_eq!(json["manifest"]["head"]["commit"], head.as_str());
    let prompt = json["request"]["prompt"].as_str().expect("prompt");
    assert!(prompt.contains(&format!("detached HEAD at `{head}`")));
    let replayed = fx.replay(&head, &extract_patch(prompt));
    assert_same_tree(&fx.work, &replayed, &[]);
}

#[test]
fn an_unborn_branch_with_staged_files_works() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "fresh"]);
    write(&dir.path().join("a.txt"), "first file\n");
    write(&dir.path().join("sub/b.txt"), "second\n");
    git(dir.path(), &["add", "a.txt", "sub/b.txt"]);
    write(&dir.path().join("untracked.txt"), "also\n");
    // The patch carrier, asked for (the default carrier is replayed in `replay.rs`).
    let out = bin(dir.path())
        .args(["create", "--dry-run", "--json", "--via", "inline", "start"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    assert_eq!(json["manifest"]["head"]["kind"], "unborn");
    assert_eq!(json["manifest"]["head"]["name"], "fresh");
    assert_eq!(json["manifest"]["base"]["source"], "empty");
    let prompt = json["request"]["prompt"].as_str().expect("prompt");
    assert!(prompt.contains("git symbolic-ref HEAD refs/heads/fresh"));
    let patch = extract_patch(prompt);
    // Apply to an empty repository: the result is the working tree.
    let target = tempfile::TempDir::new().expect("tempdir");
    git(target.path(), &["init", "-q"]);
    let pf = target.path().join("../unborn.patch");
    std::fs::write(&pf, patch).expect("write");
    git(target.path(), &["apply", pf.to_str().expect("utf8")]);
    assert_same_tree(dir.path(), target.path(), &[]);
}

#[test]
fn outside_a_repository_the_task_alone_goes() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let out = bin_api(dir.path(), &api)
        .args(["--yes", "--json", "research the options"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
    let body = api.create_requests()[0].json();
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(prompt.starts_with("research the options"));
    assert!(!prompt.contains("```diff"));
    assert!(body.get("repos").is_none());
    assert_eq!(stdout_json(&out)["manifest"]["in_repository"], false);
}

#[test]
fn a_branch_without_upstream_uses_the_default_branch_and_local_only_history_warns() {
    let fx = Fixture::new();
    let pushed = fx.head();
    git(&fx.work, &["checkout", "-q", "-b", "topic"]);
    write(&fx.work.join("topic.txt"), "topic\n");
    git(&fx.work, &["add", "topic.txt"]);
    git(&fx.work, &["commit", "-q", "-m", "topic work"]);
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--json", "t"])
        .output()
        .expect("run");
    let json = stdout_json(&out);
    assert_eq!(json["manifest"]["base"]["source"], "default_branch");
    assert_eq!(json["manifest"]["base"]["commit"], pushed.as_str());
    assert_eq!(json["manifest"]["unpushed_commits"], 1);

    // No remote at all: HEAD is the base, with a warning.
    let dir = tempfile::TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    write(&dir.path().join("a.txt"), "a\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "local only"]);
    let out = bin(dir.path())
        .args(["create", "--dry-run", "--json", "t"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no remote"), "{err}");
    assert!(err.contains("local-only history"), "{err}");
    assert_eq!(stdout_json(&out)["manifest"]["base"]["source"], "head");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let cases: &[&[&str]] = &[
        &["create", "--dry-run"],
        &["create", "--dry-run", "   "],
        &["create", "--dry-run", "--task-file", "/nonexistent/task.md"],
        &["create", "--dry-run", "--repo", "not-a-repo", "t"],
        &["create", "--dry-run", "--max-acu", "0", "t"],
        &["create", "--dry-run", "--timeout", "-1", "t"],
        &["create", "--dry-run", "--api-url", "ftp://x", "t"],
        &["create", "--dry-run", "--task", "a", "b"],
        &["create", "--dry-run", "--exclude", "a/[", "t"],
        &["--no-such-flag"],
    ];
    for args in cases {
        let out = bin(dir.path()).args(*args).output().expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn task_and_context_come_from_files_and_stdin() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let task = dir.path().join("task.md");
    std::fs::write(&task, "Task from a file\nwith detail\n").expect("write");
    let out = bin(dir.path())
        .args(["create", "--dry-run", "--json", "--task-file"])
        .arg(&task)
        .args(["--context-file", "-"])
        .write_stdin("context from stdin")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    let prompt = json["request"]["prompt"].as_str().expect("prompt");
    assert!(prompt.starts_with("Task from a file\nwith detail"));
    assert!(prompt.contains("context from stdin"));
    assert_eq!(json["request"]["title"], "Task from a file");
}

#[test]
fn help_and_version_need_no_repo_or_key() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let out = bin(dir.path()).arg("--version").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("devin-handoff "));
    let help = bin(dir.path()).arg("--help").output().expect("run");
    assert!(help.status.success());
    // Every command's help is a snapshot in help.rs.
    assert!(stdout(&help).contains("Usage: devin-handoff"));
}

#[test]
fn git_handoff_is_the_same_program() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let path = path_with_bins();
    let out = std::process::Command::new("git")
        .current_dir(&fx.work)
        .env("PATH", path)
        .env("HOME", home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("DEVIN_API_KEY")
        .args(["handoff", "create", "--dry-run", "--json", "via git"])
        .output()
        .expect("run git handoff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout_json(&out)["request"]["prompt"]
        .as_str()
        .expect("prompt")
        .contains("x.txt"));
}

#[test]
fn on_a_terminal_the_summary_is_confirmed_first() {
    let fx = Fixture::new();
    write(&fx.work.join("src/lib.rs"), "changed\n");
    let api = FakeApi::start();
    let mut p = pty_handoff(&fx.work, &api);
    p.exp_string("github.com/acme/widget")
        .expect("summary names the repo");
    p.exp_string("1 files").expect("summary counts files");
    p.exp_string("Hand this off to Devin?").expect("asks");
    std::thread::sleep(Duration::from_millis(200));
    p.send("y").expect("answer");
    p.flush().expect("flush");
    p.exp_string("https://app.devin.ai/sessions/0001abcd")
        .expect("prints the URL");
    let status = p.process.wait().expect("wait");
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert_eq!(api.sessions_created(), 1);
}

#[test]
fn on_a_terminal_escape_declines_and_sends_nothing() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    let mut p = pty_handoff(&fx.work, &api);
    p.exp_string("Hand this off to Devin?").expect("asks");
    std::thread::sleep(Duration::from_millis(200));
    p.send("\x1b").expect("escape");
    p.flush().expect("flush");
    p.exp_string("nothing was sent").expect("says so");
    let status = p.process.wait().expect("wait");
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 3)),
        "{status:?}"
    );
    assert!(api.requests().is_empty());
}
