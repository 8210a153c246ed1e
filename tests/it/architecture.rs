//! The architecture step's promises, through the real binary and the library's own seam:
//! the pipeline runs with any [`Interact`], `--no-input` is separate from `--json`, `-v`
//! shows an error's causes, and the journal really locks.

use std::time::Duration;

use devin_handoff::pipeline::HandoffRequest;
use devin_handoff::pipeline::{self, Interact, SecretChoice};
use devin_handoff::scan::Finding;
use devin_handoff::settings::Settings;

use crate::common::*;

/// An `Interact` that answers from a script and records what it was told.
#[derive(Default)]
struct Scripted {
    choice: Option<SecretChoice>,
    asked: Vec<String>,
    warnings: Vec<String>,
}

impl Interact for Scripted {
    fn can_ask(&self) -> bool {
        self.choice.is_some()
    }
    fn secrets(
        &mut self,
        headline: &str,
        _: &[Finding],
    ) -> devin_handoff::error::Result<SecretChoice> {
        self.asked.push(headline.to_string());
        Ok(self.choice.expect("asked only when it can answer"))
    }
    fn show_findings(&mut self, _: &str, _: &[Finding]) {}
    fn confirm(&mut self, summary: &str) -> devin_handoff::error::Result<bool> {
        self.asked.push(summary.to_string());
        Ok(true)
    }
    fn warn(&mut self, msg: &str) {
        self.warnings.push(msg.to_string());
    }
    fn note(&mut self, _: &str) {}
}

fn settings() -> Settings {
    let cli = <devin_handoff::cli::Cli as clap::Parser>::parse_from(["devin-handoff", "--json"]);
    Settings::resolve(&cli.global.overrides(), None).expect("settings")
}

#[test]
fn the_pipeline_asks_through_the_interaction_it_is_given() {
    let fx = Fixture::new();
    let token = Gen::new(300).github_token();
    write(&fx.work.join("notes.txt"), format!("token = \"{token}\"\n"));
    let req = HandoffRequest {
        dir: fx.work.clone(),
        task: Some("carry on".into()),
        dry_run: true,
        ..HandoffRequest::default()
    };
    // Nobody to ask: `ask` blocks, with exit 3.
    let mut silent = Scripted::default();
    let err = pipeline::plan(&req, &settings(), &mut silent)
        .err()
        .expect("blocked");
    assert_eq!(err.kind().exit_code(), 3);
    assert!(silent.asked.is_empty());

    // A person who chooses to redact: asked once, and the plan holds no token.
    let mut person = Scripted {
        choice: Some(SecretChoice::Redact),
        ..Scripted::default()
    };
    let plan = pipeline::plan(&req, &settings(), &mut person).expect("plan");
    assert_eq!(person.asked.len(), 1, "{:?}", person.asked);
    assert!(person.asked[0].contains("notes.txt"));
    assert!(!plan.composed.prompt.contains(&token));
    assert!(plan.composed.prompt.contains("notes.txt"));
    assert!(person.warnings.iter().any(|w| w.contains("redacted")));
}

#[test]
fn no_input_on_a_terminal_never_asks() {
    let fx = Fixture::new();
    let token = Gen::new(301).github_token();
    write(&fx.work.join("notes.txt"), format!("token = \"{token}\"\n"));
    let api = FakeApi::start();
    let mut p = pty_handoff_with(&fx.work, &api, &["--no-input"]);
    let out = p.exp_eof().expect("runs to the end without a question");
    assert!(!out.contains("What now?"), "{out}");
    assert!(out.contains("nothing was sent"), "{out}");
    assert!(!out.contains(&token), "{out}");
    let status = p.process.wait().expect("wait");
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 3)),
        "{status:?}"
    );
    assert!(api.requests().is_empty());

    // Without secrets, --no-input sends without the confirmation question.
    std::fs::remove_file(fx.work.join("notes.txt")).expect("rm");
    let mut p = pty_handoff_with(&fx.work, &api, &["--no-input"]);
    let out = p.exp_eof().expect("runs to the end");
    assert!(!out.contains("Hand this off"), "{out}");
    assert!(out.contains("https://app.devin.ai/sessions/"), "{out}");
    assert_eq!(api.sessions_created(), 1);
}

#[test]
fn verbose_errors_show_their_causes() {
    let fx = Fixture::new();
    // A port nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = |verbose: bool| {
        let mut cmd = bin(&fx.work);
        cmd.env("DEVIN_API_KEY", KEY)
            .env("DEVIN_ORG_ID", "org-test")
            .env("DEVIN_API_URL", &url)
            .args(["sessions", "list"]);
        if verbose {
            cmd.arg("-v");
        }
        cmd.output().expect("run")
    };
    let plain = run(false);
    assert_eq!(plain.status.code(), Some(5));
    let plain_err = String::from_utf8_lossy(&plain.stderr);
    assert!(!plain_err.contains("caused by:"), "{plain_err}");
    let verbose = run(true);
    assert_eq!(verbose.status.code(), Some(5));
    let err = String::from_utf8_lossy(&verbose.stderr);
    assert!(err.contains("caused by:"), "{err}");
    // reqwest's own account of the failure, naming the URL it tried.
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains(KEY), "the key never appears");
}

#[test]
fn the_journal_is_written_under_a_lock() {
    let fx = Fixture::new();
    let api = FakeApi::start();
    // A state directory of this test's own: no other test writes this journal.
    let state_home = tempfile::TempDir::new().expect("tempdir");
    let journal = state_home.path().join("devin-handoff/journal.jsonl");
    std::fs::create_dir_all(journal.parent().expect("dir")).expect("mkdir");
    let held = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal)
        .expect("open");
    held.lock().expect("lock");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    hermetic(&mut cmd, home());
    let mut child = cmd
        .current_dir(&fx.work)
        .env("XDG_STATE_HOME", state_home.path())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["create", "--yes", "--new", "journal lock"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // The session is created; the journal line waits for the lock.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while api.sessions_created() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(api.sessions_created(), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "it waits for the lock"
    );
    assert_eq!(std::fs::read_to_string(&journal).expect("read"), "");
    held.unlock().expect("unlock");
    assert!(child.wait().expect("wait").success());
    let after = std::fs::read_to_string(&journal).expect("read");
    assert_eq!(after.lines().count(), 1, "{after}");
    assert!(after.contains("journal lock"), "{after}");
}

/// The crate's non-test sources, as (path relative to `src/`, text without its test module).
fn crate_sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read src") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("read");
                let text = match text.find("#[cfg(test)]\nmod tests") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                };
                let rel = p.strip_prefix(&root).expect("under src");
                out.push((rel.to_string_lossy().into_owned(), text));
            }
        }
    }
    out.sort();
    out
}

/// Whether line `at` of `lines` sits under a `#[cfg(unix)]` (or a Unix-only `target_os`): on
/// the item or statement itself, or on any block or item that encloses it (found by
/// rustfmt's indentation: each enclosing line is indented less).
fn under_cfg_unix(lines: &[&str], at: usize) -> bool {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let unix_attr = |l: &str| {
        let l = l.trim();
        l.starts_with("#[cfg(")
            && !l.contains("not(unix)")
            && (l.contains("unix")
                || l.contains("target_os = \"linux\"")
                || l.contains("target_os = \"macos\""))
    };
    // The attributes (and doc comments) directly above line `i`.
    let attributed = |i: usize| {
        lines[..i]
            .iter()
            .rev()
            .take_while(|l| {
                let t = l.trim_start();
                t.starts_with("#[") || t.starts_with("///") || t.starts_with("//")
            })
            .any(|l| unix_attr(l))
    };
    let mut i = at;
    loop {
        if attributed(i) {
            return true;
        }
        let level = indent(lines[i]);
        if level == 0 {
            return false;
        }
        // The nearest line above, indented less: what encloses line `i`.
        match (0..i).rev().find(|&j| {
            let t = lines[j].trim_start();
            !t.is_empty()
                && !t.starts_with("//")
                && !t.starts_with("#[")
                && indent(lines[j]) < level
        }) {
            Some(j) => i = j,
            None => return false,
        }
    }
}

/// The crate builds beyond Unix: every Unix-only API in its non-test code is behind
/// `#[cfg(unix)]` (with a portable fallback beside it), or in a `unix.rs` module that its
/// parent declares under `#[cfg(unix)]`. A new unguarded use fails here, on Linux, before a
/// Windows build would.
#[test]
fn unix_only_code_is_behind_cfg_unix() {
    const UNIX_ONLY: &[&str] = &[
        "std::os::unix",
        "std::os::fd",
        "rustix::",
        "libc::",
        "signal_hook::",
        "tokio::signal::unix",
    ];
    let sources = crate_sources();
    let mut unguarded = Vec::new();
    for (path, text) in &sources {
        if path.ends_with("/unix.rs") || path == "unix.rs" {
            let parent_dir = path.trim_end_matches("unix.rs");
            let declared = sources.iter().any(|(p, t)| {
                let parent = p == &format!("{parent_dir}mod.rs")
                    || (parent_dir.is_empty() && p == "lib.rs")
                    || p == &format!("{}.rs", parent_dir.trim_end_matches('/'));
                parent && t.contains("#[cfg(unix)]\nmod unix;")
            });
            assert!(
                declared,
                "{path}: its parent must declare it under #[cfg(unix)]"
            );
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if UNIX_ONLY.iter().any(|u| code.contains(u)) && !under_cfg_unix(&lines, i) {
                unguarded.push(format!("src/{path}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        unguarded.is_empty(),
        "Unix-only code outside #[cfg(unix)]:\n{}",
        unguarded.join("\n")
    );
    // The checker itself: it tells the two apart.
    let sample = "fn f() {\n    #[cfg(unix)]\n    {\n        use std::os::unix::fs::X;\n    }\n    use std::os::unix::fs::Y;\n}";
    let lines: Vec<&str> = sample.lines().collect();
    assert!(under_cfg_unix(&lines, 3));
    assert!(!under_cfg_unix(&lines, 5));
}

/// Every file in `tests/it/` is a module of the test binary: a file left out of `main.rs`
/// would compile nowhere and its tests would silently never run.
#[test]
fn every_test_file_is_in_the_module_list() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("main.rs");
    let declared: std::collections::BTreeSet<&str> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&dir).expect("tests/it") {
        let p = e.expect("entry").path();
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let module = p.extension().is_some_and(|x| x == "rs") || p.join("mod.rs").exists();
        if module && name != "main" && !declared.contains(name.as_str()) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "not in tests/it/main.rs: {missing:?}");
    assert!(declared.contains("architecture"), "the list was read");
}
