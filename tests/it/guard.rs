//! The secret guard end to end: refusal, redaction, allow, suppression, prompts, `scan`.

use std::time::Duration;

use crate::common::*;

/// A fixture with an AWS key in a tracked file and a new `.env`, plus a clean change.
fn leaky(g: &mut Gen) -> (Fixture, String, String) {
    let fx = Fixture::new();
    let aws = g.aws_key_id();
    let env_secret = g.s(B62, 32);
    write(
        &fx.work.join("src/lib.rs"),
        format!("pub fn one() -> u32 {{\n    1\n}}\n\nconst KEY: &str = \"{aws}\";\n"),
    );
    write(
        &fx.work.join(".env"),
        format!("DATABASE_PASSWORD={env_secret}\n"),
    );
    write(&fx.work.join("clean.txt"), "nothing to hide here\n");
    (fx, aws, env_secret)
}

#[test]
fn without_a_terminal_secrets_block_and_nothing_is_sent() {
    let mut g = Gen::new(100);
    let (fx, aws, env_secret) = leaky(&mut g);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args(["--yes", "fix it"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(api.requests().is_empty(), "no request at all");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("src/lib.rs:5"), "{err}");
    assert!(err.contains(".env"), "{err}");
    assert!(err.contains("aws-access-key-id"));
    assert!(err.contains("AKIA****"), "masked: {err}");
    assert!(
        !err.contains(&aws) && !err.contains(&env_secret),
        "never the values"
    );

    // --json: one object with the masked findings.
    let out = bin_api(&fx.work, &api)
        .args(["--yes", "--json", "fix it"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let json = stdout_json(&out);
    assert_eq!(json["error"]["kind"], "not_sent");
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        paths.contains(&"src/lib.rs") && paths.contains(&".env"),
        "{paths:?}"
    );
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(!all.contains(&aws));
    assert!(api.requests().is_empty());

    // --dry-run applies the same guard.
    let out = bin(&fx.work)
        .args(["--dry-run", "fix it"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn redact_sends_the_clean_part_and_no_secret() {
    let mut g = Gen::new(101);
    let (fx, aws, env_secret) = leaky(&mut g);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args([
            "--yes",
            "--json",
            "--via",
            "inline",
            "--secrets",
            "redact",
            "fix it",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api.sessions_created(), 1);
    let body = api.create_requests()[0].json();
    let raw = String::from_utf8_lossy(&api.create_requests()[0].body).into_owned();
    assert!(
        !raw.contains(&aws) && !raw.contains(&env_secret),
        "no secret in the request"
    );
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(prompt.contains("[REDACTED:aws-access-key-id]"));
    assert!(
        prompt.contains("nothing to hide here"),
        "the clean part travels"
    );
    assert!(
        prompt.contains("- `.env`: withheld"),
        "the withheld file is listed"
    );
    let manifest = &stdout_json(&out)["manifest"];
    assert_eq!(manifest["secrets"]["policy"], "redact");
    assert_eq!(manifest["secrets"]["withheld"][0]["path"], ".env");

    // The redacted patch still applies, and everything but the secret is reproduced.
    let patch = extract_patch(prompt);
    let replayed = fx.replay(&fx.head(), &patch);
    let lib = std::fs::read_to_string(replayed.join("src/lib.rs")).expect("lib");
    assert!(lib.contains("const KEY: &str = \"[REDACTED:aws-access-key-id]\";"));
    assert!(!replayed.join(".env").exists());
    assert_eq!(
        std::fs::read_to_string(replayed.join("clean.txt")).expect("clean"),
        "nothing to hide here\n"
    );
}

#[test]
fn allow_sends_as_is_with_a_warning() {
    let mut g = Gen::new(102);
    let (fx, aws, env_secret) = leaky(&mut g);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args(["--yes", "--secrets", "allow", "fix it"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--secrets allow"));
    let raw = String::from_utf8_lossy(&api.create_requests()[0].body).into_owned();
    assert!(
        raw.contains(&aws) && raw.contains(&env_secret),
        "sent as is"
    );
}

#[test]
fn a_secret_in_the_task_blocks_too() {
    let mut g = Gen::new(103);
    let fx = Fixture::new();
    let tok = g.github_token();
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args(["--yes", &format!("use the token {tok} to deploy")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<task>"));
    assert!(api.requests().is_empty());

    let out = bin_api(&fx.work, &api)
        .args([
            "--yes",
            "--secrets",
            "redact",
            "--context",
            &format!("token is {tok}"),
            "deploy it",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let raw = String::from_utf8_lossy(&api.create_requests()[0].body).into_owned();
    assert!(!raw.contains(&tok));
    assert!(raw.contains("[REDACTED:github-pat]"));
}

#[test]
fn inline_allow_comments_and_handoffignore_suppress() {
    let mut g = Gen::new(104);
    let fx = Fixture::new();
    let aws = g.aws_key_id();
    write(
        &fx.work.join("src/lib.rs"),
        format!("const KEY: &str = \"{aws}\"; // gitleaks:allow\n"),
    );
    write(
        &fx.work.join("secrets/prod.txt"),
        format!("{}\n", g.github_token()),
    );
    write(&fx.work.join(".handoffignore"), "secrets/\n");
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args(["create", "--yes", "--json", "go"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = api.create_requests()[0].json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    assert!(prompt.contains(&aws), "an allowed line travels as written");
    assert!(
        !prompt.contains("ghp_"),
        ".handoffignore'd files never travel"
    );
    assert!(prompt.contains("- `secrets/prod.txt`: listed in .handoffignore"));
}

#[test]
fn on_a_terminal_findings_are_shown_masked_and_escape_aborts() {
    let mut g = Gen::new(105);
    let (fx, aws, _) = leaky(&mut g);
    let api = FakeApi::start();
    let mut p = pty_handoff(&fx.work, &api);
    let before = p.exp_string("Secrets found. What now?").expect("asks");
    assert!(
        before.contains("AKIA****"),
        "masked finding shown: {before}"
    );
    assert!(before.contains(".env"));
    assert!(!before.contains(&aws));
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

#[test]
fn on_a_terminal_ctrl_c_aborts_and_sends_nothing() {
    let mut g = Gen::new(106);
    let (fx, _, _) = leaky(&mut g);
    let api = FakeApi::start();
    let mut p = pty_handoff(&fx.work, &api);
    p.exp_string("Secrets found. What now?").expect("asks");
    std::thread::sleep(Duration::from_millis(200));
    p.send_control('c').expect("ctrl-c");
    let status = p.process.wait().expect("wait");
    let code = match status {
        rexpect::process::wait::WaitStatus::Exited(_, c) => c,
        rexpect::process::wait::WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
        other => panic!("{other:?}"),
    };
    // An interrupt, as at every other question: exit 130, not "declined" (3).
    assert_eq!(code, 130);
    assert!(api.requests().is_empty());
}

#[test]
fn on_a_terminal_choosing_redact_sends_a_redacted_session() {
    let mut g = Gen::new(107);
    let (fx, aws, _) = leaky(&mut g);
    let api = FakeApi::start();
    let mut p = pty_handoff(&fx.work, &api);
    p.exp_string("Abort: send nothing").expect("menu");
    std::thread::sleep(Duration::from_millis(200));
    // The cursor starts on Abort; three steps up is Redact.
    p.send("\x1b[A\x1b[A\x1b[A\r").expect("choose");
    p.flush().expect("flush");
    // Then what will actually go, after redaction, and the confirmation.
    let summary = p.exp_string("Hand this off to Devin?").expect("confirms");
    assert!(summary.contains("About to hand off"), "{summary}");
    assert!(summary.contains("redacted"), "{summary}");
    assert!(api.requests().is_empty(), "nothing before the confirmation");
    std::thread::sleep(Duration::from_millis(200));
    p.send("\r").expect("confirm");
    p.flush().expect("flush");
    p.exp_string("https://app.devin.ai/sessions/")
        .expect("created");
    let status = p.process.wait().expect("wait");
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    let raw = String::from_utf8_lossy(&api.create_requests()[0].body).into_owned();
    assert!(!raw.contains(&aws));
}

#[test]
fn scan_reads_files_stdin_the_index_and_the_handoff() {
    let mut g = Gen::new(108);
    let (fx, aws, _) = leaky(&mut g);
    // What a handoff would send.
    let out = bin(&fx.work)
        .args(["scan", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let json = stdout_json(&out);
    let f = json["findings"].as_array().expect("findings");
    assert!(f
        .iter()
        .any(|x| x["rule"] == "aws-access-key-id" && x["path"] == "src/lib.rs" && x["line"] == 5));
    assert!(f.iter().any(|x| x["path"] == ".env"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&aws));

    // A patch from a file and from stdin.
    let patch = git(&fx.work, &["diff"]);
    let pf = fx.root.path().join("change.patch");
    std::fs::write(&pf, &patch).expect("write");
    let out = bin(&fx.work).arg("scan").arg(&pf).output().expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("src/lib.rs:5"));
    let out = bin(&fx.work)
        .args(["scan", "-"])
        .write_stdin(patch)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));

    // --staged: nothing staged yet is clean; staging the key makes it a finding.
    let out = bin(&fx.work)
        .args(["scan", "--staged"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&fx.work, &["add", "src/lib.rs"]);
    let out = bin(&fx.work)
        .args(["scan", "--staged", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout_json(&out)["findings"].as_array().expect("f").len(),
        1
    );

    // A clean patch exits 0; an unreadable one exits 2.
    let out = bin(&fx.work)
        .args(["scan", "-"])
        .write_stdin("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let out = bin(&fx.work)
        .args(["scan", "/nonexistent.patch"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Runs an archiver (gzip, tar, zip: outside tools, not this project's code) in `dir`.
fn archiver(dir: &std::path::Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required by this test (.ci/run installs it): {e}")
        });
    assert!(out.status.success(), "{program} {args:?}: {}", stderr(&out));
}

#[test]
fn secrets_inside_compressed_files_and_archives_are_found_and_unreadable_ones_block() {
    let mut g = Gen::new(2701);
    let aws = g.aws_key_id();
    let dir = tempfile::TempDir::new().expect("tempdir");
    let d = dir.path();
    write(
        &d.join("pack/app.env"),
        format!("AWS_ACCESS_KEY_ID={aws}\n"),
    );
    write(&d.join("pack/README"), "build notes\n".repeat(50));
    write(
        &d.join("clean/notes.txt"),
        "nothing to hide here\n".repeat(50),
    );
    std::fs::copy(d.join("pack/app.env"), d.join("app.env")).expect("copy");
    archiver(d, "gzip", &["-k", "app.env"]);
    archiver(d, "tar", &["-cf", "plain.tar", "pack"]);
    archiver(d, "tar", &["-czf", "packed.tar.gz", "pack"]);
    archiver(d, "zip", &["-q", "-0", "-r", "stored.zip", "pack"]);
    archiver(d, "zip", &["-q", "-9", "-r", "deflated.zip", "pack"]);
    // A zip inside a tar.gz: three levels down.
    archiver(d, "tar", &["-czf", "nested.tgz", "deflated.zip"]);
    archiver(d, "tar", &["-czf", "clean.tar.gz", "clean"]);
    archiver(d, "zip", &["-q", "-r", "clean.zip", "clean"]);
    archiver(
        d,
        "zip",
        &["-q", "-P", "hunter2x", "-r", "encrypted.zip", "clean"],
    );
    write(&d.join("zeros"), vec![0u8; 16 * 1024 * 1024]);
    archiver(d, "gzip", &["-k", "zeros"]);
    // A secret in a member's name, not its content.
    write(&d.join(format!("named/{aws}.txt")), "nothing here\n");
    archiver(d, "tar", &["-cf", "named.tar", "named"]);
    // A compression the scanner does not unpack.
    archiver(d, "xz", &["-k", "app.env"]);

    for file in [
        "app.env.gz",
        "plain.tar",
        "packed.tar.gz",
        "stored.zip",
        "deflated.zip",
        "nested.tgz",
        "named.tar",
    ] {
        let out = bin(d).args(["scan", file]).output().expect("scan");
        assert_eq!(out.status.code(), Some(3), "{file}: {}", stdout(&out));
        let text = stdout(&out);
        assert!(text.contains("aws-access-key-id"), "{file}: {text}");
        assert!(!text.contains(&aws), "{file}: never the value");
    }
    for file in ["clean.tar.gz", "clean.zip"] {
        let out = bin(d).args(["scan", file]).output().expect("scan");
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stdout(&out));
    }
    // What cannot be read is a finding, with its reason: never passed unread.
    for (file, why) in [
        ("encrypted.zip", "encrypted"),
        ("zeros.gz", "bomb"),
        ("app.env.xz", "xz"),
    ] {
        let out = bin(d)
            .args(["scan", "--json", file])
            .output()
            .expect("scan");
        assert_eq!(out.status.code(), Some(3), "{file}: {}", stdout(&out));
        let json = stdout_json(&out);
        let f = &json["findings"][0];
        assert_eq!(f["rule"], "unscannable-archive", "{file}: {json}");
        assert!(
            f["reason"].as_str().is_some_and(|r| r.contains(why)),
            "{json}"
        );
    }

    // Through a handoff: under block nothing is sent; under redact the archive stays behind.
    let fx = Fixture::new();
    std::fs::copy(d.join("packed.tar.gz"), fx.work.join("packed.tar.gz")).expect("copy");
    std::fs::copy(d.join("encrypted.zip"), fx.work.join("encrypted.zip")).expect("copy");
    std::fs::copy(d.join("clean.zip"), fx.work.join("clean.zip")).expect("copy");
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = dry_run_output(&fx.work, "redact", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = stdout_json(&out);
    let withheld: Vec<&str> = json["manifest"]["secrets"]["withheld"]
        .as_array()
        .expect("withheld")
        .iter()
        .map(|w| w["path"].as_str().expect("path"))
        .collect();
    assert!(withheld.contains(&"packed.tar.gz"), "{withheld:?}");
    assert!(withheld.contains(&"encrypted.zip"), "{withheld:?}");
    assert!(!withheld.contains(&"clean.zip"), "{withheld:?}");
}

#[test]
fn a_secret_split_across_string_literals_is_found_and_redacted_whole() {
    let mut g = Gen::new(2702);
    let token = g.github_token();
    let fx = Fixture::new();
    let (a, c) = token.split_at(18);
    write(
        &fx.work.join("src/split.py"),
        format!("TOKEN = (\"{a}\"\n         \"{c}\")\n"),
    );
    let (head, tail) = token.split_at(20);
    write(
        &fx.work.join("src/split.c"),
        format!("static const char *t = \"{head}\" \"{tail}\";\n"),
    );
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json = stdout_json(&out);
    let places: Vec<(String, u64)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert!(places.contains(&("src/split.c".into(), 1)), "{json}");
    assert!(places.contains(&("src/split.py".into(), 2)), "{json}");
    let out = dry_run_output(&fx.work, "redact", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = stdout(&out);
    assert!(
        !sent.contains(&format!("{head}\" \"{tail}")),
        "the C pieces travel redacted"
    );
    assert!(
        !sent.contains(tail),
        "no piece after the prefix survives in the C file"
    );
    assert!(
        !sent.contains(&format!("\\\"{c}\\\"")),
        "the Python line with the join is redacted"
    );
    // The piece on the line before is taken back too: neither half of the token travels.
    assert!(
        !sent.contains(a),
        "the first piece of the Python token was sent"
    );
}

#[test]
fn a_base64_wrapped_private_key_is_redacted_on_every_line() {
    let mut g = Gen::new(2703);
    let body: Vec<String> = (0..8).map(|_| g.s(B62, 64)).collect();
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        body.join("\n")
    );
    let fx = Fixture::new();
    write(&fx.work.join("key.pem.txt"), &pem);
    // coreutils' base64 wraps at 76 columns, as people paste it into a manifest.
    let out = std::process::Command::new("base64")
        .arg("key.pem.txt")
        .current_dir(&fx.work)
        .output()
        .expect("base64");
    std::fs::remove_file(fx.work.join("key.pem.txt")).expect("rm");
    let wrapped = String::from_utf8(out.stdout).expect("ascii");
    let lines: Vec<&str> = wrapped.lines().collect();
    assert!(lines.len() > 3, "wrapped over several lines");
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\ndata:\n  tls.key: {}\n{}\n  other: value\n",
        lines[0],
        lines[1..]
            .iter()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    write(&fx.work.join("k8s/secret.yaml"), manifest);
    let out = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = dry_run_output(&fx.work, "redact", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = stdout(&out);
    for l in &lines {
        assert!(!sent.contains(l), "a line of the wrapped key was sent: {l}");
    }
    assert!(
        sent.contains("other: value"),
        "the rest of the file travels"
    );
}
