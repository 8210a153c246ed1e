//! Messages and checks people notice: each with the text it now says.

use crate::common::*;

#[test]
fn bad_list_filters_are_usage_errors() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    for args in [
        &["sessions", "list", "--status", "bogus"][..],
        &["sessions", "list", "--limit", "0"][..],
    ] {
        let out = run_api(&api, d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert!(api.requests().is_empty());
    let out = run_api(&api, d.path(), &["sessions", "list", "--status", "running"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_update_with_no_fields_is_refused() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    for args in [
        &["knowledge", "update", "note-1"][..],
        &["playbooks", "update", "playbook-1"][..],
        &["schedules", "update", "sched-1"][..],
    ] {
        let out = run_api(&api, d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing to update"),
            "{}",
            stderr(&out)
        );
    }
    assert!(api.requests().is_empty(), "no empty PUT or PATCH");
}

#[test]
fn a_missing_session_gets_one_hint_and_a_timeout_names_the_session() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let out = run_api(&api, d.path(), &["sessions", "show", "nosuch"]);
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert_eq!(err.matches("hint:").count(), 1, "{err}");
    assert!(err.contains("devin-nosuch was not found"), "{err}");
    api.add_session("devin-slow", &[serde_json::json!({"status": "running"})]);
    let out = run_api(
        &api,
        d.path(),
        &[
            "sessions",
            "watch",
            "slow",
            "--interval",
            "1",
            "--wait-timeout",
            "0.5",
        ],
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stderr(&out).contains("sessions watch devin-slow"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_config_takes_sizes_as_the_flag_does() {
    let fx = Fixture::new();
    let home = home_with_config("inline_budget = \"1K\"\n", 0o600);
    write(&fx.work.join("big.txt"), "a line of text\n".repeat(200));
    let out = bin_with_home(&fx.work, home.path())
        .args(["--json", "create", "--dry-run", "a big change"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    // Over the 1K budget: the patch would go as an attachment.
    assert!(
        stdout_json(&out).get("upload").is_some(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let home = home_with_config("inline_budget = \"lots\"\n", 0o600);
    let out = bin_with_home(&fx.work, home.path())
        .args(["create", "--dry-run", "a big change"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a size"), "{}", stderr(&out));
}

#[test]
fn declining_a_terminate_says_nothing_was_terminated() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session("devin-t1", &[serde_json::json!({"status": "running"})]);
    let mut p = pty_api(d.path(), &api, &["sessions", "terminate", "t1"]);
    p.exp_string("Terminate devin-t1?").expect("asks");
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send("n").expect("answer");
    p.flush().expect("flush");
    p.exp_string("nothing was terminated").expect("says so");
    assert!(api.requests().iter().all(|r| r.method != "DELETE"));
}

#[test]
fn a_bad_cron_or_date_says_what_is_wrong_and_shows_the_right_form() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let create = |when: &[&str]| {
        let mut args = vec![
            "schedules",
            "create",
            "--name",
            "nightly",
            "--prompt",
            "run it",
        ];
        args.extend_from_slice(when);
        run_api(&api, d.path(), &args)
    };
    let out = create(&["--cron", "0 25 * * *"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the hour field is \"25\", but hour must be 0-23"),
        "{}",
        stderr(&out)
    );
    let out = create(&["--cron", "0 9 * 13 *"]);
    assert!(
        stderr(&out).contains("month must be 1-12"),
        "{}",
        stderr(&out)
    );
    let out = create(&["--at", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("for example --at 2026-12-01T09:30:00+01:00"),
        "{}",
        stderr(&out)
    );
    assert!(api.create_requests().is_empty() && api.requests().iter().all(|r| r.method != "POST"));
}

#[test]
fn a_delete_names_what_it_deletes() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let out = run_api(
        &api,
        d.path(),
        &[
            "--json",
            "knowledge",
            "create",
            "--name",
            "Style",
            "--trigger",
            "when writing code",
            "--body",
            "use tabs",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout_json(&out)["note_id"]
        .as_str()
        .expect("note_id")
        .to_string();
    let mut p = pty_api(d.path(), &api, &["knowledge", "delete", &id]);
    p.exp_string(&format!("Delete knowledge note Style ({id})?"))
        .expect("names it");
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send("y").expect("answer");
    p.flush().expect("flush");
    p.exp_string(&format!("Deleted knowledge note Style ({id})"))
        .expect("says so");
}

#[test]
fn retries_are_announced_on_a_terminal() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    // At 60 and 120 columns, as the tables are.
    for cols in [60, 120] {
        api.push_fault(
            "GET",
            "/sessions",
            Fault::Status(429, Some("1".into()), "{}".into()),
        );
        let mut p = pty_api_cols(d.path(), &api, cols, &[], &["sessions", "list"]);
        p.exp_string("API busy, retrying in 1 s (1/4)")
            .expect("announced");
        p.exp_eof().expect("then finishes");
    }
    // Not into a pipe.
    api.push_fault(
        "GET",
        "/sessions",
        Fault::Status(429, Some("1".into()), "{}".into()),
    );
    let out = run_api(&api, d.path(), &["sessions", "list"]);
    assert!(out.status.success());
    assert!(!stderr(&out).contains("retrying"), "{}", stderr(&out));
}

#[test]
fn scan_from_a_terminal_says_it_waits_for_input() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let mut p = pty_api(d.path(), &api, &["scan", "-"]);
    p.exp_string("reading from stdin; end it with Ctrl-D")
        .expect("says so");
    std::thread::sleep(std::time::Duration::from_millis(100));
    p.send_control('d').expect("eof");
    p.exp_string("no secrets found").expect("then scans");
}

/// Everything a pty printed until the program ended, with the escape sequences of colour
/// removed, and whether any were there.
fn pty_lines(mut p: rexpect::session::PtySession) -> (Vec<String>, bool) {
    let raw = p.exp_eof().expect("ends");
    // The pty's bytes come back one char each: make them UTF-8 text again.
    let bytes: Vec<u8> = raw.chars().map(|c| c as u32 as u8).collect();
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    let colored = raw.contains('\u{1b}');
    let plain = console::strip_ansi_codes(&raw).replace('\r', "");
    (plain.lines().map(str::to_string).collect(), colored)
}

#[test]
fn lists_are_tables_on_a_terminal_and_tab_separated_in_a_pipe() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let long = "make the flaky integration test on the payments service deterministic again";
    api.add_session(
        "devin-aaa111",
        &[serde_json::json!({"status": "running", "title": long})],
    );
    api.add_session(
        "devin-bbb222",
        &[serde_json::json!({"status": "error", "title": "short"})],
    );
    let out = run_api(
        &api,
        d.path(),
        &[
            "schedules",
            "create",
            "--name",
            "nightly tidy of the whole monorepo and its docs",
            "--prompt",
            "tidy",
            "--cron",
            "0 3 * * *",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for cols in [60u16, 120] {
        for (args, header) in [
            (
                &["sessions", "list"][..],
                ["ID", "STATUS", "TITLE", "UPDATED"],
            ),
            (
                &["schedules", "list"][..],
                ["ID", "NAME", "FREQUENCY", "ENABLED"],
            ),
        ] {
            let p = pty_api_cols(d.path(), &api, cols, &[], args);
            let (lines, colored) = pty_lines(p);
            let head = lines
                .iter()
                .find(|l| l.starts_with("ID"))
                .unwrap_or_else(|| panic!("a header: {lines:?}"));
            for h in header {
                assert!(head.contains(h), "{cols}: {head}");
            }
            for l in &lines {
                assert!(
                    console::measure_text_width(l) <= cols as usize,
                    "{cols} columns, line of {}: {l:?}",
                    console::measure_text_width(l)
                );
            }
            assert!(colored, "the status is coloured on a terminal");
            if args[0] == "sessions" {
                let row = lines
                    .iter()
                    .find(|l| l.contains("devin-aaa111"))
                    .expect("row");
                assert!(row.contains("ago"), "relative time: {row}\n{lines:#?}");
                // Aligned: the status column starts at the same place in both rows.
                let other = lines
                    .iter()
                    .find(|l| l.contains("devin-bbb222"))
                    .expect("row");
                assert_eq!(row.find("working"), other.find("failed"), "{row}\n{other}");
                assert_eq!(head.find("STATUS"), row.find("working"));
                if cols == 60 {
                    assert!(row.contains('…') && !row.contains(long), "cut: {row}");
                } else {
                    assert!(row.contains(long), "{row}");
                }
            }
        }
    }
    // Into a pipe: the same rows, tab-separated, no header, no escape bytes.
    let out = run_api(&api, d.path(), &["sessions", "list"]);
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains("STATUS"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("devin-aaa111"))
        .expect("row");
    assert_eq!(
        row.split('\t').collect::<Vec<_>>(),
        ["devin-aaa111", "running", long, "-"]
    );
    let out = run_api(&api, d.path(), &["schedules", "list"]);
    assert_eq!(
        stdout(&out).lines().next().map(|l| l.split('\t').count()),
        Some(4)
    );
}

#[test]
fn long_output_goes_through_the_pager_on_a_terminal_only() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    api.add_session("devin-pg1", &[serde_json::json!({"status": "running"})]);
    api.add_message("devin-pg1", "devin", "first answer");
    let pager = [("DEVIN_HANDOFF_PAGER", "sed 's/^/paged: /'")];
    let messages = ["sessions", "messages", "pg1"];
    let no_pager = ["--no-pager", "sessions", "messages", "pg1"];
    // (environment, arguments, what the first line of the answer starts with); an empty
    // value unsets the variable.
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Env, &[&str], &str); 4] = [
        (&pager, &messages, "paged: devin: first answer"),
        // $PAGER when the tool's own variable is not set.
        (
            &[
                ("DEVIN_HANDOFF_PAGER", ""),
                ("PAGER", "sed 's/^/via-pager: /'"),
            ],
            &messages,
            "via-pager: devin: first answer",
        ),
        // Turned off: --no-pager, and DEVIN_HANDOFF_PAGER=cat over $PAGER.
        (&pager, &no_pager, "devin: first answer"),
        (
            &[
                ("DEVIN_HANDOFF_PAGER", "cat"),
                ("PAGER", "sed 's/^/paged: /'"),
            ],
            &messages,
            "devin: first answer",
        ),
    ];
    for (env, args, first) in cases {
        let (lines, _) = pty_lines(pty_api_cols(d.path(), &api, 100, env, args));
        assert!(
            lines.iter().any(|l| l.starts_with(first)),
            "{env:?} {args:?}: {lines:?}"
        );
    }
    // Never into a pipe.
    let out = checked(
        bin_api(d.path(), &api)
            .envs(pager)
            .args(["sessions", "messages", "pg1"])
            .output()
            .expect("run"),
    );
    assert_eq!(stdout(&out), "devin: first answer\n");

    // The dry run's prompt too; its notes speak of sizes as the summary does.
    let fx = Fixture::new();
    write(&fx.work.join("notes.txt"), "a change\n");
    let (lines, _) = pty_lines(pty_api_cols(
        &fx.work,
        &api,
        100,
        &pager,
        &["create", "--dry-run", "describe the change"],
    ));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("paged: describe the change")),
        "{lines:?}"
    );
    let note = lines
        .iter()
        .find(|l| l.contains("The prompt below"))
        .expect("note");
    assert!(
        regex::Regex::new(r"\(\d+(\.\d)? (B|KiB|MiB)\)")
            .expect("re")
            .is_match(note),
        "{note}"
    );
}

/// Ctrl-C at `at` (after `prepare` brought the program there): the program ends with 130 and
/// the last cursor sequence it wrote shows the cursor (none hides it for good).
fn ctrl_c_leaves_the_cursor_visible(
    mut p: rexpect::session::PtySession,
    prepare: impl FnOnce(&mut rexpect::session::PtySession),
    what: &str,
) {
    prepare(&mut p);
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send_control('c').expect("ctrl-c");
    let rest = p.exp_eof().expect("ends");
    let status = p.process.wait().expect("wait");
    let code = match status {
        rexpect::process::wait::WaitStatus::Exited(_, c) => c,
        rexpect::process::wait::WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
        other => panic!("{other:?}"),
    };
    assert_eq!(code, 130, "{what}: {rest}");
    let (hide, show) = ("\u{1b}[?25l", "\u{1b}[?25h");
    match rest.rfind(hide) {
        None => {}
        Some(h) => assert!(
            rest.rfind(show).is_some_and(|s| s > h),
            "{what}: the cursor is left hidden: {rest:?}"
        ),
    }
}

#[test]
fn ctrl_c_at_each_prompt_shows_the_cursor_again() {
    let token = Gen::new(401).github_token();
    let api = FakeApi::start();
    let leaky = Fixture::new();
    write(
        &leaky.work.join("notes.txt"),
        format!("token = \"{token}\"\n"),
    );
    let clean = Fixture::new();
    write(&clean.work.join("notes.txt"), "nothing secret\n");
    let d = tempfile::TempDir::new().expect("tempdir");
    let out = run_api(
        &api,
        d.path(),
        &[
            "--json",
            "playbooks",
            "create",
            "--title",
            "Release",
            "--body",
            "steps",
        ],
    );
    let id = stdout_json(&out)["playbook_id"]
        .as_str()
        .expect("id")
        .to_string();
    api.add_session("devin-spin", &[serde_json::json!({"status": "running"})]);
    let handoff = ["please continue"];
    let delete = ["playbooks", "delete", id.as_str()];
    let watch = ["sessions", "watch", "spin", "--interval", "1"];
    for cols in [60u16, 120] {
        let at = |dir: &std::path::Path, args: &[&str]| pty_api_cols(dir, &api, cols, &[], args);
        // The typed yes, reached through the menu.
        ctrl_c_leaves_the_cursor_visible(
            at(&leaky.work, &handoff),
            |p| {
                p.exp_string("Abort: send nothing").expect("menu");
                std::thread::sleep(std::time::Duration::from_millis(200));
                p.send("\x1b[A\r").expect("choose send anyway");
                p.flush().expect("flush");
                p.exp_string("Type yes").expect("asks");
            },
            "typed yes",
        );
        // Each other question, and a watch's spinner: (what, where, command, what it shows).
        let waits: [(&str, &std::path::Path, &[&str], &str); 4] = [
            ("secrets menu", &leaky.work, &handoff, "Abort: send nothing"),
            (
                "confirmation",
                &clean.work,
                &handoff,
                "Hand this off to Devin?",
            ),
            ("delete", d.path(), &delete, "Delete playbook"),
            ("watch", d.path(), &watch, "working"),
        ];
        for (what, dir, args, shown) in waits {
            ctrl_c_leaves_the_cursor_visible(
                at(dir, args),
                |p| {
                    p.exp_string(shown).expect(what);
                },
                what,
            );
        }
    }
    assert_eq!(api.sessions_created(), 0, "nothing was sent");
}

#[test]
fn a_watch_shows_the_time_elapsed_and_open_without_a_browser_says_so() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let api = FakeApi::start();
    let running = serde_json::json!({"status": "running"});
    api.add_session(
        "devin-el1",
        &[
            running.clone(),
            running.clone(),
            serde_json::json!({"status": "exit"}),
        ],
    );
    let mut p = pty_api(
        d.path(),
        &api,
        &["sessions", "watch", "el1", "--interval", "1"],
    );
    p.exp_regex(r"devin-el1: working \S+ \d+s elapsed")
        .expect("elapsed shown");
    p.exp_eof().expect("ends");

    // --open where no browser can be shown: a warning with the URL to open, not silence.
    let fx = Fixture::new();
    write(&fx.work.join("notes.txt"), "a change\n");
    let out = bin_api(&fx.work, &api)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["create", "--yes", "--open", "look at this change"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no browser here"), "{err}");
    assert!(err.contains("open https://app.devin.ai/sessions/"), "{err}");
}

#[test]
fn warnings_that_matter_are_in_the_summary_before_the_confirmation() {
    let api = FakeApi::start();
    // A repository with no remote, and a patch that goes as an attachment.
    let d = tempfile::TempDir::new().expect("tempdir");
    git(d.path(), &["init", "-q", "-b", "main"]);
    write(&d.path().join("a.txt"), "one\n");
    git(d.path(), &["add", "."]);
    git(
        d.path(),
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "one",
        ],
    );
    write(&d.path().join("a.txt"), "two\n");
    let mut p = pty_handoff_with(d.path(), &api, &["--via", "attachment"]);
    p.exp_string("About to hand off").expect("summary");
    let summary = p.exp_string("Hand this off to Devin?").expect("question");
    assert!(summary.contains("no remote"), "{summary}");
    assert!(summary.contains("uploaded attachment"), "{summary}");
    p.send_control('c').expect("ctrl-c");
    p.exp_eof().expect("ends");
    assert_eq!(api.sessions_created(), 0);
}

/// What bash's completion offers for `words` (the last one being completed), through the
/// script `DEVIN_HANDOFF_COMPLETE=bash` prints, run by bash itself.
fn bash_complete(home: &std::path::Path, api: &FakeApi, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(DEVIN_HANDOFF_COMPLETE=bash devin-handoff)\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         _clap_complete_devin_handoff devin-handoff '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let path = path_with_bins();
    let mut cmd = std::process::Command::new("bash");
    hermetic(&mut cmd, home);
    let out = cmd
        .env("PATH", path)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .arg("-c")
        .arg(script)
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn shell_completion_offers_live_ids() {
    let api = FakeApi::start();
    let home = home_with_config("", 0o600);
    // A handoff from this machine: its session is offered wherever a session ID goes.
    let fx = Fixture::new();
    write(&fx.work.join("notes.txt"), "a change\n");
    let out = bin_with_home(&fx.work, home.path())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["--json", "create", "--yes", "finish the change"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let session = stdout_json(&out)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    for words in [
        &["devin-handoff", "sessions", "show", ""][..],
        &["devin-handoff", "sessions", "send", ""][..],
        &["devin-handoff", "poll", ""][..],
    ] {
        let offered = bash_complete(home.path(), &api, words);
        assert!(offered.contains(&session), "{words:?}: {offered:?}");
    }
    // Notes and playbooks from the API.
    let out = run_api(
        &api,
        fx.work.as_path(),
        &[
            "--json",
            "knowledge",
            "create",
            "--name",
            "Style",
            "--trigger",
            "t",
            "--body",
            "b",
        ],
    );
    let note = stdout_json(&out)["note_id"]
        .as_str()
        .expect("id")
        .to_string();
    let offered = bash_complete(
        home.path(),
        &api,
        &["devin-handoff", "knowledge", "show", ""],
    );
    // The IDs first (clap adds the flags after them on an empty word).
    assert_eq!(offered.first(), Some(&note), "{offered:?}");
    assert!(
        !offered.iter().any(|o| o.starts_with("devin-")),
        "{offered:?}"
    );
    let offered = bash_complete(
        home.path(),
        &api,
        &["devin-handoff", "create", "--knowledge", ""],
    );
    assert!(offered.contains(&note), "{offered:?}");
    // Commands still complete as before.
    let offered = bash_complete(home.path(), &api, &["devin-handoff", "sess"]);
    assert_eq!(offered, ["sessions"]);
}
