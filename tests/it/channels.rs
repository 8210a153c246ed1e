//! Every channel a secret can leave through: file content in any encoding, binary files,
//! removed and context lines, file names, symlink targets, commit messages, branch, title and
//! tags. Under `block` each one stops the handoff (exit 3); under `redact` the secret is in
//! neither the request nor the upload, and the patch still applies to the base.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

/// A repository with one commit, pushed to a remote that is a folder on this machine: its
/// base is on no hosted remote (such a remote publishes nothing), so removed and context
/// lines must be scanned.
fn local_only(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::TempDir::new().expect("tempdir");
    git(root.path(), &["init", "-q", "--bare", "remote.git"]);
    git(root.path(), &["clone", "-q", "remote.git", "work"]);
    let work = root.path().join("work");
    for (p, c) in files {
        write(&work.join(p), c);
    }
    write(&work.join("README.md"), "# app\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    (root, work)
}

/// A clone of a local bare repository with one pushed commit: its base is on the remote.
fn with_remote() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::TempDir::new().expect("tempdir");
    git(root.path(), &["init", "-q", "--bare", "remote.git"]);
    git(root.path(), &["clone", "-q", "remote.git", "work"]);
    let work = root.path().join("work");
    write(&work.join("README.md"), "# app\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    (root, work)
}

fn dry(dir: &Path, policy: &str, extra: &[&str]) -> Output {
    dry_run_output(dir, policy, extra)
}

/// Under `block`: exit 3, findings named, the secret itself never printed.
fn assert_blocked(dir: &Path, extra: &[&str], secret: &str) -> serde_json::Value {
    let out = dry(dir, "block", extra);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(secret), "the secret was printed: {all}");
    stdout_json(&out)
}

/// Under `redact`: exit 0, the secret nowhere in what would be sent, and the patch applies
/// to the base in a clone of the repository. Returns the replayed tree.
fn assert_redacted(dir: &Path, extra: &[&str], secret: &str) -> (serde_json::Value, PathBuf) {
    let out = dry(dir, "redact", extra);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(secret), "the secret would travel: {all}");
    let DryRun {
        json,
        prompt,
        base,
        patch,
    } = parse_dry_run(stdout_json(&out));
    let clone = tempfile::TempDir::new().expect("tempdir").keep();
    git(
        &clone,
        &["clone", "-q", dir.to_str().expect("utf8"), "replay"],
    );
    let replay = clone.join("replay");
    git(&replay, &["checkout", "-q", "--detach", &base]);
    if prompt.contains("\n### Patch\n") {
        let patch_file = clone.join("handoff.patch");
        std::fs::write(&patch_file, &patch).expect("write patch");
        git(&replay, &["apply", patch_file.to_str().expect("utf8")]);
    }
    (json, replay)
}

fn token(g: &mut Gen) -> String {
    g.github_token()
}

fn utf16le(s: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xff, 0xfe] } else { Vec::new() };
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[test]
fn hole_1_text_that_is_not_utf8_and_binary_files_are_scanned() {
    let mut g = Gen::new(1101);
    for name in ["latin1.txt", "nul.dat", "wide.txt", "wide-nobom.txt"] {
        let (_root, work) = with_remote();
        let t = token(&mut g);
        let bytes = match name {
            "latin1.txt" => {
                let mut b = b"caf\xe9\nTOKEN=".to_vec();
                b.extend_from_slice(t.as_bytes());
                b.push(b'\n');
                b
            }
            "nul.dat" => format!("bin\0TOKEN={t}\0").into_bytes(),
            "wide.txt" => utf16le(&format!("x\r\nTOKEN={t}\r\n"), true),
            _ => utf16le(&format!("TOKEN={t}\n"), false),
        };
        write(&work.join(name), &bytes);
        write(&work.join("clean.txt"), "keep me\n");
        let json = assert_blocked(&work, &[], &t);
        let findings = json["findings"].as_array().expect("findings");
        assert!(
            findings
                .iter()
                .any(|f| f["path"] == name && f["rule"] == "github-pat"),
            "{name}: {findings:?}"
        );
        let (json, replay) = assert_redacted(&work, &[], &t);
        let withheld = &json["manifest"]["secrets"]["withheld"];
        assert!(
            withheld.to_string().contains(name),
            "{name} withheld and listed: {withheld}"
        );
        assert!(!replay.join(name).exists());
        assert_eq!(
            std::fs::read(replay.join("clean.txt")).expect("clean"),
            b"keep me\n"
        );
    }
}

#[test]
fn hole_1_a_modified_binary_file_sent_as_a_delta_is_scanned() {
    let mut g = Gen::new(1102);
    let (_root, work) = with_remote();
    // A large binary that changes a little: git encodes the change as a delta.
    let mut big: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    write(&work.join("blob.bin"), &big);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "blob"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    let t = token(&mut g);
    big.splice(10_000..10_000, format!("\0TOKEN={t}\0").into_bytes());
    write(&work.join("blob.bin"), &big);
    assert_blocked(&work, &[], &t);
    assert_redacted(&work, &[], &t);
}

#[test]
fn hole_2_removed_and_context_lines_are_scanned_when_the_base_is_local() {
    let mut g = Gen::new(1103);
    let t = token(&mut g);
    let before = format!("import os\nTOKEN = \"{t}\"\nDEBUG = False\nprint(1)\n");
    let (_root, work) = local_only(&[("app.py", before.as_bytes())]);
    // The committed token is replaced: the old line goes out as `-TOKEN = ...`.
    write(
        &work.join("app.py"),
        "import os\nTOKEN = os.environ[\"T\"]\nDEBUG = False\nprint(1)\n",
    );
    let json = assert_blocked(&work, &[], &t);
    let f = &json["findings"][0];
    assert_eq!(f["side"], "removed", "{json}");
    assert_eq!(f["line"], 2);
    let (_, replay) = assert_redacted(&work, &[], &t);
    assert_eq!(
        std::fs::read_to_string(replay.join("app.py")).expect("app.py"),
        "import os\nTOKEN = os.environ[\"T\"]\nDEBUG = False\nprint(1)\n"
    );

    // A line next to an edit travels as context.
    let t2 = token(&mut g);
    let before = format!("a = 1\nKEY = \"{t2}\"\nb = 2\n");
    let (_root, work) = local_only(&[("ctx.py", before.as_bytes())]);
    write(
        &work.join("ctx.py"),
        format!("a = 1\nKEY = \"{t2}\"\nb = 3\n"),
    );
    let json = assert_blocked(&work, &[], &t2);
    assert_eq!(json["findings"][0]["side"], "context", "{json}");
    let (_, replay) = assert_redacted(&work, &[], &t2);
    assert_eq!(
        std::fs::read_to_string(replay.join("ctx.py")).expect("ctx.py"),
        "a = 1\nKEY = \"[REDACTED:github-pat]\"\nb = 3\n"
    );

    // No remote at all: there is no base, and the patch holds the files as they are now, so
    // the token the working tree no longer has does not travel.
    let t3 = token(&mut g);
    let dir = tempfile::TempDir::new().expect("tempdir");
    let work = dir.path();
    git(work, &["init", "-q"]);
    write(&work.join("app.py"), format!("TOKEN = \"{t3}\"\n"));
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", "initial"]);
    write(&work.join("app.py"), "TOKEN = os.environ[\"T\"]\n");
    let out = dry(work, "block", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(&t3), "{all}");
    assert_eq!(
        stdout_json(&out)["manifest"]["base"]["commit"],
        serde_json::Value::Null
    );
}

#[test]
fn hole_2_removed_lines_already_on_the_remote_are_not_findings() {
    let mut g = Gen::new(1104);
    let (_root, work) = with_remote();
    let t = token(&mut g);
    write(&work.join("app.py"), format!("TOKEN = \"{t}\"\n"));
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "token"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    write(&work.join("app.py"), "TOKEN = os.environ[\"T\"]\n");
    // A remote that is a folder on this machine publishes nothing: the removed line counts.
    let out = dry(&work, "block", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["findings"][0]["side"], "removed", "{json}");
    // A hosted remote that has the commit: the line is public already.
    git(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            "https://github.com/acme/app.git",
        ],
    );
    let out = dry(&work, "block", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn hole_3_title_tags_branch_and_a_local_base_commit_are_scanned() {
    let mut g = Gen::new(1105);
    let (_root, work) = local_only(&[("a.txt", b"a\n")]);
    write(&work.join("a.txt"), "b\n");

    let t = token(&mut g);
    let title = format!("deploy with {t}");
    let json = assert_blocked(&work, &["--title", &title], &t);
    assert_eq!(json["findings"][0]["path"], "<title>");
    let (json, _) = assert_redacted(&work, &["--title", &title], &t);
    assert!(json["request"]["title"]
        .as_str()
        .expect("title")
        .contains("[REDACTED:github-pat]"));

    let json = assert_blocked(&work, &["--tag", &t], &t);
    assert_eq!(json["findings"][0]["path"], "<tag>");
    assert_redacted(&work, &["--tag", &t], &t);

    git(&work, &["checkout", "-q", "-b", &format!("wip/{t}")]);
    let json = assert_blocked(&work, &[], &t);
    assert_eq!(json["findings"][0]["path"], "<branch>");
    assert_redacted(&work, &[], &t);
    git(&work, &["checkout", "-q", "-"]);

    // The base commit's summary goes into the prompt; this one is on no remote.
    let t2 = token(&mut g);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", &format!("use {t2} for now")]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    write(&work.join("a.txt"), "c\n");
    let json = assert_blocked(&work, &[], &t2);
    assert_eq!(json["findings"][0]["path"], "<base commit>");
    assert_redacted(&work, &[], &t2);
}

#[test]
fn hole_3_a_secret_in_a_name_or_a_symlink_target_is_found() {
    let mut g = Gen::new(1106);
    let (_root, work) = with_remote();
    let t = token(&mut g);
    std::os::unix::fs::symlink(format!("/vault/{t}"), work.join("current")).expect("symlink");
    let json = assert_blocked(&work, &[], &t);
    assert_eq!(json["findings"][0]["path"], "current");
    assert_redacted(&work, &[], &t);
    std::fs::remove_file(work.join("current")).expect("rm");

    // Renamed away from a secret name, with a local base: the old name travels.
    let t2 = token(&mut g);
    let name = format!("notes-{t2}.txt");
    let (_root, work) = local_only(&[(name.as_str(), b"one\ntwo\nthree\n")]);
    git(&work, &["mv", &name, "notes.txt"]);
    let json = assert_blocked(&work, &[], &t2);
    assert_eq!(json["findings"][0]["side"], "removed", "{json}");
}

#[test]
fn hole_4_a_token_after_an_underscore_or_inside_a_file_name_is_found() {
    let mut g = Gen::new(1107);
    let (_root, work) = with_remote();
    let t = token(&mut g);
    write(&work.join("notes.txt"), format!("backup_{t}\n"));
    let json = assert_blocked(&work, &[], &t);
    assert_eq!(json["findings"][0]["rule"], "github-pat");
    assert_redacted(&work, &[], &t);
    std::fs::remove_file(work.join("notes.txt")).expect("rm");

    let t2 = token(&mut g);
    write(&work.join(format!("backup_{t2}.txt")), "hello\n");
    let json = assert_blocked(&work, &[], &t2);
    assert_eq!(json["findings"][0]["rule"], "github-pat");
    assert!(json["findings"][0]["line"].is_null());
}

/// Where the property test puts its secret.
#[derive(Debug, Clone, Copy)]
enum Channel {
    Utf8,
    Latin1,
    Utf16Bom,
    Utf16Be,
    Binary,
    BinaryDelta,
    FileName,
    SymlinkTarget,
    BaseCommitMessage,
    Branch,
    Title,
    Tag,
    RemovedLine,
    ContextLine,
}

const CHANNELS: [Channel; 14] = [
    Channel::Utf8,
    Channel::Latin1,
    Channel::Utf16Bom,
    Channel::Utf16Be,
    Channel::Binary,
    Channel::BinaryDelta,
    Channel::FileName,
    Channel::SymlinkTarget,
    Channel::BaseCommitMessage,
    Channel::Branch,
    Channel::Title,
    Channel::Tag,
    Channel::RemovedLine,
    Channel::ContextLine,
];

/// A token in one of several providers' documented shapes.
fn any_token(g: &mut Gen, pick: u64) -> String {
    const HEX: &str = "0123456789abcdef";
    match pick % 6 {
        0 => g.github_token(),
        1 => g.aws_key_id(),
        2 => format!(
            "xoxb-{}-{}-{}",
            g.s("0123456789", 12),
            g.s("0123456789", 13),
            g.s(B62, 24)
        ),
        3 => format!("sk_live_{}", g.s(B62, 40)),
        4 => format!("glpat-{}", g.s(B62, 20)),
        _ => format!("dop_v1_{}", g.s(HEX, 64)),
    }
}

/// The bytes of `text` in UTF-16, little- or big-endian.
fn utf16(text: &str, bom: bool, big: bool) -> Vec<u8> {
    let mut out = match (bom, big) {
        (false, _) => Vec::new(),
        (true, false) => vec![0xff, 0xfe],
        (true, true) => vec![0xfe, 0xff],
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// One random repository with one secret in one channel, and clean changes around it.
/// Returns the working tree, extra flags, and the secret.
fn plant(seed: u64, root: &Path) -> (PathBuf, Vec<String>, String, Channel) {
    let mut g = Gen::new(seed);
    let roll = |g: &mut Gen, n: usize| -> usize {
        g.s("0123456789", 6).parse::<usize>().expect("digits") % n
    };
    let channel = CHANNELS[roll(&mut g, CHANNELS.len())];
    let kind = roll(&mut g, 6) as u64;
    let token = any_token(&mut g, kind);
    // Removed and context lines, and a base commit's message, travel only from a base that
    // is on no hosted remote: the remote is a folder on this machine, which publishes
    // nothing. (With no remote at all there is no base, and none of them travels.)
    let work = root.join("work");
    git(root, &["init", "-q", "--bare", "remote.git"]);
    git(root, &["clone", "-q", "remote.git", "work"]);
    let noise = g.s("abcdefghij ", 40);
    write(&work.join("README.md"), format!("# project\n\n{noise}\n"));
    write(&work.join("src/lib.rs"), "pub fn f() -> u32 {\n    1\n}\n");
    let blob: Vec<u8> = (0..9000u32).map(|i| (i * 31 % 253) as u8).collect();
    write(&work.join("assets/blob.bin"), &blob);
    match channel {
        Channel::RemovedLine => write(&work.join("app.cfg"), format!("a=1\ntoken={token}\nb=2\n")),
        Channel::ContextLine => write(&work.join("app.cfg"), format!("a=1\ntoken={token}\nb=2\n")),
        _ => {}
    }
    git(&work, &["add", "-A"]);
    let message = if matches!(channel, Channel::BaseCommitMessage) {
        format!("temporary {token}")
    } else {
        "initial".to_string()
    };
    git(&work, &["commit", "-q", "-m", &message]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    // Clean changes every run carries.
    write(&work.join("src/lib.rs"), "pub fn f() -> u32 {\n    2\n}\n");
    write(
        &work.join(format!("notes/{}.txt", g.s("abcdef", 6))),
        "plain\n",
    );
    let mut flags = Vec::new();
    match channel {
        Channel::Utf8 => write(&work.join("config.py"), format!("TOKEN = \"{token}\"\n")),
        Channel::Latin1 => {
            let mut b = b"# r\xe9glages\nTOKEN=".to_vec();
            b.extend_from_slice(token.as_bytes());
            b.push(b'\n');
            write(&work.join("legacy.ini"), b);
        }
        Channel::Utf16Bom => write(
            &work.join("win.reg"),
            utf16(
                &format!("REGEDIT4\r\n\"Token\"=\"{token}\"\r\n"),
                true,
                false,
            ),
        ),
        Channel::Utf16Be => write(
            &work.join("be.txt"),
            utf16(&format!("token: {token}\n"), true, true),
        ),
        Channel::Binary => {
            let mut b: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
            b.splice(1500..1500, format!("\0{token}\0").into_bytes());
            write(&work.join("data.db"), b);
        }
        Channel::BinaryDelta => {
            let mut b = blob.clone();
            b.splice(4000..4000, format!("\0{token}\0").into_bytes());
            write(&work.join("assets/blob.bin"), b);
        }
        Channel::FileName => write(&work.join(format!("keys/{token}.txt")), "x\n"),
        Channel::SymlinkTarget => {
            std::os::unix::fs::symlink(format!("../vault/{token}"), work.join("current"))
                .expect("symlink");
        }
        Channel::BaseCommitMessage => {}
        Channel::Branch => {
            git(&work, &["checkout", "-q", "-b", &format!("fix/{token}")]);
        }
        Channel::Title => flags.extend(["--title".to_string(), format!("rotate {token}")]),
        Channel::Tag => flags.extend(["--tag".to_string(), token.clone()]),
        Channel::RemovedLine => write(&work.join("app.cfg"), "a=1\ntoken=${TOKEN}\nb=2\n"),
        Channel::ContextLine => {
            write(&work.join("app.cfg"), format!("a=1\ntoken={token}\nb=3\n"));
        }
    }
    (work, flags, token, channel)
}

/// The property of the guard, over random repositories: for every byte of the request body
/// and of every upload, either it was scanned or it is already on the remote. Operationally:
/// under `block` every planted secret stops the handoff (exit 3, nothing printed of it); under
/// `redact` the secret appears neither in the request nor in the upload, and the patch still
/// applies to the base. `DEVIN_HANDOFF_GUARD_SEEDS=N` runs more seeds than the default.
#[test]
fn property_every_channel_is_scanned_or_on_the_remote() {
    let seeds: u64 = std::env::var("DEVIN_HANDOFF_GUARD_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    let api = FakeApi::start();
    for seed in 0..seeds {
        let root = tempfile::TempDir::new().expect("tempdir");
        let (work, flags, token, channel) = plant(seed, root.path());
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let why = format!("seed {seed}, channel {channel:?}");

        let out = dry(&work, "block", &flags);
        assert_eq!(out.status.code(), Some(3), "{why}: {}", stderr(&out));
        let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(!printed.contains(&token), "{why}: printed");

        assert_redacted(&work, &flags, &token);

        // Through the fake API, as an upload: neither the session request nor the upload
        // holds the secret.
        let before = api.requests().len();
        let out = bin_api(&work, &api)
            .args([
                "create",
                "--yes",
                "--json",
                "--via",
                "attachment",
                "--secrets",
                "redact",
            ])
            .args(&flags)
            .arg("carry on")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{why}: {}", stderr(&out));
        for r in &api.requests()[before..] {
            assert!(
                !String::from_utf8_lossy(&r.body).contains(&token),
                "{why}: {} {} holds the secret",
                r.method,
                r.path
            );
        }
        for u in api.uploads() {
            assert!(
                !String::from_utf8_lossy(&u.bytes).contains(&token),
                "{why}: upload"
            );
        }
    }
}
