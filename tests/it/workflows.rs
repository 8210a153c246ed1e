//! `scan` in scanner users' workflows: SARIF checked against the SARIF 2.1.0 schema (kept in
//! fixtures/, as OASIS publishes it), baselines that survive moved lines, a handoff that
//! honours the repository's baseline and a `.gitleaksignore`, and the pre-commit hook.

use crate::common::*;

fn scan(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    checked(bin(dir).arg("scan").args(args).output().expect("run"))
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_with_locations_and_no_secret() {
    let fx = Fixture::new();
    let token = Gen::new(700).github_token();
    let aws = Gen::new(701).aws_key_id();
    write(
        &fx.work.join("src/config.py"),
        format!("# settings\nNAME = \"x\"\n    TOKEN = \"{token}\"\n"),
    );
    write(
        &fx.work.join("deploy/env.sh"),
        format!("export AWS_ACCESS_KEY_ID={aws}\n"),
    );
    let out = scan(&fx.work, &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains(&token) && !text.contains(&aws),
        "a secret in the SARIF"
    );
    let log: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let text_schema = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sarif/sarif-schema-2.1.0.json"),
    )
    .expect("schema");
    // The published schema's one pattern with an unbalanced `]` (run.language), which a
    // strict regex engine refuses, is read as it evidently means (see fixtures/sarif/README.md).
    let text_schema = text_schema.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&text_schema).expect("schema JSON");
    let validator = jsonschema::draft7::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    // One rule per detector: as many as `scan --list-rules` names.
    let listed = stdout(
        &bin(&fx.work)
            .args(["scan", "--list-rules"])
            .output()
            .expect("run"),
    );
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), listed.lines().count());
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{results:#?}");
    // The GitHub token: line 3, after four spaces and `TOKEN = "` (column 14).
    let gh = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/config.py"
        })
        .expect("the token's result");
    let region = &gh["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 3);
    assert_eq!(region["startColumn"], 14);
    assert!(gh["message"]["text"]
        .as_str()
        .expect("text")
        .contains("****"));
    assert!(gh["partialFingerprints"]
        .as_object()
        .is_some_and(|o| !o.is_empty()));
    let idx = gh["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[idx]["id"], gh["ruleId"]);
    // And with nothing found, a valid log with no results, exit 0.
    let clean = Fixture::new();
    let out = scan(&clean.work, &["--format", "sarif"]);
    assert!(out.status.success());
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(validator.is_valid(&log));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn a_baseline_round_trips_survives_moved_lines_and_still_catches_new_secrets() {
    let fx = Fixture::new();
    let token = Gen::new(702).github_token();
    let file = fx.work.join("app.env");
    write(&file, format!("A=1\nGITHUB_TOKEN={token}\n"));
    let b = fx.root.path().join("b.json");
    let out = scan(&fx.work, &["--write-baseline", b.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Wrote 1 finding"), "{}", stderr(&out));
    // With --json, one JSON object says what was written.
    let again = scan(
        &fx.work,
        &["--json", "--write-baseline", b.to_str().expect("utf8")],
    );
    assert_eq!(stdout_json(&again)["findings"], 1);
    let saved = std::fs::read_to_string(&b).expect("baseline");
    assert!(
        !saved.contains(&token) && !saved.contains(&token[..8]),
        "{saved}"
    );
    let with_base = ["--baseline", b.to_str().expect("utf8")];
    let out = scan(&fx.work, &with_base);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("accepted by"), "{}", stderr(&out));
    // Lines move: the finding is the same one.
    write(
        &file,
        format!("# moved down\n\n\nA=1\nB=2\nGITHUB_TOKEN={token}\n"),
    );
    let out = scan(&fx.work, &with_base);
    assert!(out.status.success(), "moved lines: {}", stderr(&out));
    // A new secret is still caught, and only it is reported.
    let other = Gen::new(703).github_token();
    write(&fx.work.join("more.env"), format!("TOKEN2={other}\n"));
    let out = scan(
        &fx.work,
        &["--json", "--baseline", b.to_str().expect("utf8")],
    );
    assert_eq!(out.status.code(), Some(3));
    let findings = stdout_json(&out)["findings"]
        .as_array()
        .expect("findings")
        .clone();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["path"], "more.env");
    // Not a baseline: a usage error.
    write(&fx.root.path().join("bad.json"), "[1, 2]");
    let out = scan(
        &fx.work,
        &[
            "--baseline",
            fx.root.path().join("bad.json").to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_repositorys_own_suppression_files_accept_only_what_its_remote_has() {
    let fx = Fixture::new();
    let token = Gen::new(704).github_token();
    write(&fx.work.join("ci.env"), format!("GITHUB_TOKEN={token}\n"));
    let blocked = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(blocked.status.code(), Some(3), "blocked without a baseline");
    // A baseline in the repository (a clone's author could have written it) does not accept
    // a secret that is only here.
    let out = scan(&fx.work, &["--write-baseline", ".handoff-baseline.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(sent.status.code(), Some(3), "{}", stderr(&sent));
    assert!(stderr(&sent).contains("not accepted"), "{}", stderr(&sent));
    let out = scan(&fx.work, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "scan says the same: {}",
        stderr(&out)
    );
    // The same file named by the user keeps its full power, and each acceptance is listed.
    let own = fx.root.path().join("mine.json");
    std::fs::rename(fx.work.join(".handoff-baseline.json"), &own).expect("mv");
    let mine = ["--baseline", own.to_str().expect("utf8")];
    let sent = dry_run_output(&fx.work, "block", &mine);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let err = stderr(&sent);
    assert!(
        err.contains("accepted by") && err.contains("ci.env:1 github-pat ghp_"),
        "{err}"
    );
    assert!(!err.contains(&token), "{err}");
    let mut json_args = vec!["--json"];
    json_args.extend(mine);
    let out = scan(&fx.work, &json_args);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v["accepted"][0]["path"], "ci.env", "{v}");
    assert!(
        v["accepted"][0]["masked"]
            .as_str()
            .expect("masked")
            .starts_with("ghp_"),
        "{v}"
    );
    assert!(!v.to_string().contains(&token));
    // gitleaks' file, as gitleaks writes it (`path:rule-id:line`), with gitleaks' rule ID;
    // an entry naming a commit and one with a rule we do not have are said to be unmapped.
    write(
        &fx.work.join(".gitleaksignore"),
        "# accepted\nci.env:github-pat:1\n0123456789abcdef0123456789abcdef01234567:old.env:github-pat:4\nci.env:some-unknown-rule:9\n",
    );
    let sent = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(sent.status.code(), Some(3), "{}", stderr(&sent));
    let out = scan(&fx.work, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("2 .gitleaksignore entries could not be mapped"),
        "{err}"
    );
    // Once the secret is in a commit the hosted remote has, the entry accepts it there.
    git(&fx.work, &["add", "ci.env"]);
    git(&fx.work, &["commit", "-q", "-m", "ci settings"]);
    let remote = fx.remote.to_str().expect("utf8");
    git(&fx.work, &["push", "-q", remote, "HEAD:main"]);
    git(
        &fx.work,
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    write(
        &fx.work.join("ci.env"),
        format!("export GITHUB_TOKEN={token}\n"),
    );
    let sent = dry_run_output(&fx.work, "block", &[]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stderr(&sent).contains("accepted by .gitleaksignore"),
        "{}",
        stderr(&sent)
    );
    // A new value on the same line is not.
    let other = Gen::new(705).github_token();
    write(
        &fx.work.join("ci.env"),
        format!("export GITHUB_TOKEN={other}\n"),
    );
    let sent = dry_run_output(&fx.work, "block", &[]);
    assert_eq!(sent.status.code(), Some(3), "{}", stderr(&sent));
}

/// A tool from the Python virtual environment `.ci/run` makes (`.ci/venv`), or from `PATH`.
/// Where it is missing the test says so and passes, unless `DEVIN_HANDOFF_REQUIRE_TOOLS` is
/// set, as `.ci/run` sets it: there a missing tool fails.
pub fn python_tool(name: &str) -> Option<std::path::PathBuf> {
    let found = candidates(name).into_iter().next();
    if found.is_none() {
        missing(name);
    }
    found
}

/// A Python interpreter (from `.ci/venv`, then `PATH`) that can import `module`; as
/// [`python_tool`], a missing one skips the test, saying so, except where tools are required.
/// A Python without the module is as good as none: the test would fail on an ordinary machine.
pub fn python_with(module: &str) -> Option<std::path::PathBuf> {
    let found = candidates("python").into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        missing(&format!("python with the `{module}` module"));
    }
    found
}

fn candidates(name: &str) -> Vec<std::path::PathBuf> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/venv/bin")
        .join(name);
    let on_path: Vec<_> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .filter(|c| c.is_file())
                .collect()
        })
        .unwrap_or_default();
    std::iter::once(venv)
        .filter(|v| v.is_file())
        .chain(on_path)
        .collect()
}

fn missing(what: &str) {
    assert!(
        std::env::var_os("DEVIN_HANDOFF_REQUIRE_TOOLS").is_none(),
        "{what} is required here (.ci/run installs it into .ci/venv)"
    );
    eprintln!("skipped: {what} is not installed (.ci/run installs it into .ci/venv)");
}

#[test]
fn the_pre_commit_hook_fails_on_a_staged_secret_and_passes_when_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("manifest");
    // The fields pre-commit requires of a hook, and ours.
    for field in [
        "- id: devin-handoff-scan",
        "name:",
        "entry: devin-handoff scan --staged",
        "language:",
    ] {
        assert!(manifest.contains(field), "{field}");
    }
    let Some(pre_commit) = python_tool("pre-commit") else {
        return;
    };
    let cache = tempfile::TempDir::new().expect("tempdir");
    let run = |dir: &std::path::Path, args: &[&str]| {
        let mut cmd = std::process::Command::new(&pre_commit);
        hermetic(&mut cmd, home());
        cmd.current_dir(dir)
            .env("PATH", path_with_bins())
            .env("PRE_COMMIT_HOME", cache.path())
            .args(args)
            .output()
            .expect("pre-commit")
    };
    let out = run(root, &["validate-manifest", ".pre-commit-hooks.yaml"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let fx = Fixture::new();
    let project = root.to_str().expect("utf8");
    write(&fx.work.join("notes.txt"), "nothing secret\n");
    git(&fx.work, &["add", "notes.txt"]);
    let out = run(&fx.work, &["try-repo", project, "devin-handoff-scan"]);
    assert!(
        out.status.success(),
        "clean: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let token = Gen::new(705).github_token();
    write(
        &fx.work.join("deploy.env"),
        format!("GITHUB_TOKEN={token}\n"),
    );
    git(&fx.work, &["add", "deploy.env"]);
    let out = run(&fx.work, &["try-repo", project, "devin-handoff-scan"]);
    assert!(!out.status.success(), "a staged secret must fail the hook");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("deploy.env") && !text.contains(&token),
        "{text}"
    );
}

/// The README's plain git hooks, as written there: the pre-push one stops a push whose new
/// commits hold a secret, and lets a clean one through; the pre-commit one-liner stops a commit.
#[test]
fn the_readme_git_hooks_work_as_written() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README");
    let start = readme
        .find("cat > .git/hooks/pre-push <<'HOOK'\n")
        .expect("the pre-push hook")
        + 35;
    let body = &readme[start..];
    let pre_push = &body[..body.find("\nHOOK\n").expect("its end") + 1];
    let fx = Fixture::new();
    let hooks = fx.work.join(".git/hooks");
    write(&hooks.join("pre-push"), pre_push);
    let exec = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755);
    std::fs::set_permissions(hooks.join("pre-push"), exec.clone()).expect("chmod");
    let git_with_bins = |args: &[&str]| {
        let mut cmd = std::process::Command::new("git");
        hermetic(&mut cmd, home());
        cmd.current_dir(&fx.work)
            .env("PATH", path_with_bins())
            .args(args)
            .output()
            .expect("git")
    };
    write(&fx.work.join("clean.txt"), "fine\n");
    git(&fx.work, &["add", "."]);
    git(&fx.work, &["commit", "-qm", "clean"]);
    // To the bare repository by its path: origin's URL names a hosted one.
    let remote = fx.remote.to_str().expect("utf8").to_string();
    let out = git_with_bins(&["push", "-q", &remote, "HEAD:refs/heads/main"]);
    assert!(out.status.success(), "a clean push: {}", stderr(&out));
    let token = Gen::new(706).github_token();
    write(
        &fx.work.join("deploy.env"),
        format!("GITHUB_TOKEN={token}\n"),
    );
    git(&fx.work, &["add", "."]);
    git(&fx.work, &["commit", "-qm", "oops"]);
    let out = git_with_bins(&["push", "-q", &remote, "HEAD:refs/heads/main"]);
    assert!(!out.status.success(), "the secret was pushed");
    assert!(stdout(&out).contains("deploy.env") || stderr(&out).contains("deploy.env"));
    // The pre-commit one-liner.
    let line = readme
        .lines()
        .find(|l| l.starts_with("printf '#!/bin/sh\\nexec devin-handoff scan --staged"))
        .expect("the one-liner");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(&fx.work)
        .output()
        .expect("sh");
    assert!(out.status.success());
    write(
        &fx.work.join("more.env"),
        format!("TOKEN={}\n", Gen::new(707).github_token()),
    );
    git(&fx.work, &["add", "more.env"]);
    let out = git_with_bins(&["commit", "-qm", "again"]);
    assert!(!out.status.success(), "the pre-commit hook let a secret in");
}
