//! Hostile repositories, runaway servers, concurrency and interrupts: clear messages and the
//! documented exit codes, never a panic (exit 101).

use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use serde_json::json;

use crate::common::*;

fn no_panic(out: &std::process::Output, what: &str) {
    assert_ne!(
        out.status.code(),
        Some(101),
        "{what} panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.code().is_some(), "{what} was killed");
}

/// Every kind of odd repository, each made by a closure on a fresh fixture.
fn hostile_repos() -> Vec<(&'static str, Fixture)> {
    let mut out = Vec::new();
    let make = |name: &'static str, f: &dyn Fn(&Fixture)| {
        let fx = Fixture::new();
        f(&fx);
        (name, fx)
    };
    out.push(make(
        "non-UTF-8 names and contents, NUL bytes, an 8 MB line",
        &|fx| {
            let name = std::ffi::OsStr::from_bytes(b"bad-\xff\xfe-name.txt");
            std::fs::write(fx.work.join(name), b"caf\xe9\n").expect("write");
            write(&fx.work.join("nul.dat"), b"a\0b\0c".as_slice());
            write(&fx.work.join("long.txt"), "x".repeat(8 * 1024 * 1024));
        },
    ));
    out.push(make("a corrupt index", &|fx| {
        write(
            &fx.work.join(".git/index"),
            "DIRC garbage that is not an index",
        );
    }));
    out.push(make("a remote URL that is not a URL", &|fx| {
        git(
            &fx.work,
            &["remote", "set-url", "origin", ":::: not a url ::::"],
        );
        write(&fx.work.join("x.txt"), "x\n");
    }));
    out.push(make("a submodule", &|fx| {
        let sub = fx.root.path().join("subrepo");
        git(fx.root.path(), &["init", "-q", sub.to_str().expect("utf8")]);
        write(&sub.join("s.txt"), "sub\n");
        git(&sub, &["add", "."]);
        git(&sub, &["commit", "-q", "-m", "sub"]);
        git(
            &fx.work,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "-q",
                sub.to_str().expect("utf8"),
                "vendor/sub",
            ],
        );
    }));
    out.push(make("a sparse checkout", &|fx| {
        git(&fx.work, &["sparse-checkout", "set", "src"]);
        write(&fx.work.join("src/new.rs"), "// new\n");
    }));
    out.push(make("a merge in progress with conflicts", &|fx| {
        git(&fx.work, &["checkout", "-q", "-b", "other"]);
        write(&fx.work.join("README.md"), "other side\n");
        git(&fx.work, &["commit", "-q", "-am", "other"]);
        git(&fx.work, &["checkout", "-q", "main"]);
        write(&fx.work.join("README.md"), "main side\n");
        git(&fx.work, &["commit", "-q", "-am", "main"]);
        let _ = std::process::Command::new("git")
            .current_dir(&fx.work)
            .env("HOME", home())
            .args(["merge", "-q", "other"])
            .output();
    }));
    out.push(make("a case-only rename", &|fx| {
        git(&fx.work, &["mv", "README.md", "readme.md"]);
    }));
    out.push(make("a file that became a directory", &|fx| {
        std::fs::remove_file(fx.work.join("doomed.txt")).expect("rm");
        write(&fx.work.join("doomed.txt/inside.txt"), "now a dir\n");
    }));
    out
}

#[test]
fn no_command_panics_on_a_hostile_repository() {
    let api = FakeApi::start();
    for (name, fx) in hostile_repos() {
        for args in [
            &["create", "--dry-run", "--json", "t"][..],
            &[
                "create",
                "--yes",
                "--json",
                "--secrets",
                "redact",
                "--new",
                "t",
            ][..],
            &["scan", "--json"][..],
            &["scan", "--staged"][..],
            &["sessions", "show"][..],
        ] {
            let out = bin_api(&fx.work, &api).args(args).output().expect("run");
            no_panic(&out, &format!("{name}: {args:?}"));
        }
        // Inside .git, too.
        let out = bin_api(&fx.work.join(".git"), &api)
            .args(["create", "--dry-run", "t"])
            .output()
            .expect("run");
        no_panic(&out, &format!("{name}: inside .git"));
    }
}

#[test]
fn hostile_repositories_still_hand_off_what_can_travel() {
    let repos = hostile_repos();
    let find = |n: &str| {
        &repos
            .iter()
            .find(|(name, _)| name.starts_with(n))
            .expect("repo")
            .1
    };

    let fx = find("non-UTF-8");
    let out = bin(&fx.work)
        .args([
            "create",
            "--dry-run",
            "--json",
            "--inline-budget",
            "64K",
            "t",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    let files = json["manifest"]["files"].as_array().expect("files");
    assert!(
        files.iter().any(|f| f["path"] == "long.txt"),
        "the 8 MB line travels (as an attachment)"
    );
    assert_eq!(json["manifest"]["delivery"], "attachment");

    let fx = find("a merge");
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--json", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = stdout_json(&out)["request"]["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    assert!(
        prompt.contains("In progress locally: a merge"),
        "the prompt says so"
    );

    let fx = find("a submodule");
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--json", "t"])
        .output()
        .expect("run");
    let json = stdout_json(&out);
    assert!(json["manifest"]["left_out"]
        .as_array()
        .expect("left out")
        .iter()
        .any(|l| l["path"] == "vendor/sub"));

    let fx = find("a remote URL");
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "t"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a hosted repository URL"));

    let fx = find("a corrupt index");
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("index"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bare = tempfile::TempDir::new().expect("tempdir");
    git(bare.path(), &["init", "-q", "--bare"]);
    let out = bin(bare.path())
        .args(["create", "--dry-run", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
}

#[test]
fn runaway_and_odd_answers_are_handled() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "x\n");
    let api = FakeApi::start();
    api.push_fault("POST", "/sessions", Fault::Huge(300 * 1024 * 1024));
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--new", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 16 MiB"));

    // A connection reset in the middle of the answer.
    let api = FakeApi::start();
    api.push_fault("POST", "/sessions", Fault::Reset);
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--new", "t"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broke"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Missing and unexpected fields are tolerated: the URL is derived from the ID.
    let api = FakeApi::start();
    api.push_fault("POST", "/sessions", Fault::Json(json!({"session_id": "devin-odd1", "status": "brand_new_status", "future_field": {"x": 1}})));
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--json", "--new", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout_json(&out)["url"],
        "https://app.devin.ai/sessions/odd1"
    );

    // 500s on reads are retried; the watch goes on.
    api.add_session("devin-r5", &[json!({"status": "exit"})]);
    api.push_fault(
        "GET",
        "/sessions/devin-r5",
        Fault::Status(500, None, "oops".into()),
    );
    api.push_fault(
        "GET",
        "/sessions/devin-r5",
        Fault::Status(503, None, "busy".into()),
    );
    let out = bin_api(&fx.work, &api)
        .args(["sessions", "show", "r5"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn eight_handoffs_at_once_all_succeed_and_the_journal_stays_whole() {
    let fx = Fixture::new();
    write(&fx.work.join("x.txt"), "concurrent\n");
    let api = FakeApi::start();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = bin_api(&fx.work, &api);
            cmd.args(["--yes", "--json", &format!("task number {i}")]);
            std::thread::spawn(move || cmd.output().expect("run"))
        })
        .collect();
    for h in handles {
        let out = h.join().expect("thread");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(api.sessions_created(), 8);
    let journal = std::fs::read_to_string(home().join(".state/devin-handoff/journal.jsonl"))
        .expect("journal");
    let workdir = fx.work.to_string_lossy().into_owned();
    let mine: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is whole JSON"))
        .filter(|r: &serde_json::Value| r["workdir"].as_str() == Some(workdir.as_str()))
        .collect();
    assert_eq!(mine.len(), 8, "no record lost");
}

#[test]
fn ctrl_c_during_a_watch_exits_130() {
    let api = FakeApi::start();
    api.add_session("devin-int1", &[json!({"status": "running"})]);
    let d = tempfile::TempDir::new().expect("tempdir");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"))
        .current_dir(d.path())
        .env("HOME", home())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["sessions", "watch", "int1", "--interval", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until it is watching, then interrupt it.
    let start = std::time::Instant::now();
    while api.requests().len() < 2 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
}

#[test]
fn no_output_of_any_command_holds_the_key_or_a_secret() {
    let mut g = Gen::new(900);
    let fx = Fixture::new();
    let aws = g.aws_key_id();
    let gh = g.github_token();
    write(
        &fx.work.join("src/lib.rs"),
        format!("const K: &str = \"{aws}\";\n"),
    );
    write(&fx.work.join(".env"), format!("TOKEN={gh}\n"));
    let api = FakeApi::start();
    api.add_session("devin-h1", &[json!({"status": "exit"})]);
    let none = fx.root.path().join("none.jsonl");
    let event = format!(
        r#"{{"hook_event_name":"UserPromptSubmit","prompt":"/handoff use {gh}","cwd":"{}","transcript_path":"{}"}}"#,
        fx.work.display(),
        none.display()
    );
    let runs: Vec<(Vec<&str>, Option<String>)> = vec![
        (vec!["-vv", "create", "--dry-run", "t"], None),
        (vec!["-vv", "--json", "create", "--yes", "t"], None),
        (
            vec!["-vv", "create", "--yes", "--secrets", "redact", "t"],
            None,
        ),
        (vec!["-vv", "scan"], None),
        (vec!["-vv", "--json", "scan"], None),
        (vec!["-vv", "sessions", "show", "h1"], None),
        (
            vec!["-vv", "sessions", "watch", "h1", "--interval", "1"],
            None,
        ),
        (vec!["-vv", "sessions", "send", "h1", &gh], None),
        (vec!["-vv", "whoami"], None),
        (vec!["-vv", "doctor"], None),
        (vec!["-vv", "knowledge", "list"], None),
        (vec!["-vv", "hook"], Some(event)),
    ];
    for (args, stdin) in runs {
        let mut cmd = bin_api(&fx.work, &api);
        cmd.args(&args);
        if let Some(s) = stdin {
            cmd.write_stdin(s);
        }
        let out = cmd.output().expect("run");
        no_panic(&out, &format!("{args:?}"));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in [KEY, aws.as_str(), gh.as_str()] {
            assert!(!all.contains(secret), "{args:?} printed a secret: {all}");
        }
    }
}
