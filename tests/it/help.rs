//! The help that teaches: every command's `--help` (snapshots, each with examples that
//! parse), the help topics, the man pages `man --dir` writes, and `git handoff -h`.

use std::collections::BTreeSet;

use crate::common::*;

/// The subcommands a `--help` lists under `Commands:` (clap's layout: two spaces, a name).
fn listed_commands(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nCommands:\n") else {
        return Vec::new();
    };
    help[start + 11..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect()
}

fn help_of(dir: &std::path::Path, path: &[String]) -> String {
    let out = bin(dir)
        .args(path)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("run");
    assert!(out.status.success(), "{path:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn every_commands_help_has_examples_that_parse() {
    let d = tempfile::TempDir::new().expect("tempdir");
    // Walk the tree as a user would: from the top-level help down through each `Commands:`.
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        let help = help_of(d.path(), &path);
        let name = if path.is_empty() {
            "help_top".to_string()
        } else {
            format!("help_{}", path.join("_"))
        };
        insta::assert_snapshot!(name, help);
        let examples = help
            .split("\nExamples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{path:?} --help has no examples:\n{help}"));
        let mut lines = 0;
        for line in examples.lines().filter_map(|l| l.trim().strip_prefix("$ ")) {
            // The devin-handoff part of a shell line: after a pipe or `&&`, before `>`.
            let part = line.rsplit(" | ").next().unwrap_or(line);
            let part = part.rsplit(" && ").next().unwrap_or(part);
            let part = part.split(" > ").next().unwrap_or(part);
            let Some(args) = part.strip_prefix("devin-handoff ") else {
                continue;
            };
            lines += 1;
            let mut words = shell_words::split(args).expect("shell words");
            // Parse only: ask for the help of what the example runs.
            words.push("--help".into());
            let out = bin(d.path()).args(&words).output().expect("run");
            assert!(
                out.status.success(),
                "example `{line}` of {path:?} does not parse: {}",
                stderr(&out)
            );
        }
        assert!(
            lines > 0 || path.is_empty(),
            "{path:?}: no runnable example"
        );
        for sub in listed_commands(&help) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        seen += 1;
    }
    assert!(seen >= 40, "only {seen} commands found");
}

#[test]
fn help_topics_exit_codes_environment_files() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let out = bin(d.path())
        .args(["help", "exit-codes"])
        .output()
        .expect("run");
    assert!(out.status.success());
    // The codes the README's table documents, each on its own line.
    for code in ["0", "1", "2", "3", "4", "5", "6", "7", "130"] {
        assert!(
            stdout(&out)
                .lines()
                .any(|l| l.split_whitespace().next() == Some(code)),
            "{code}: {}",
            stdout(&out)
        );
    }
    let out = bin(d.path())
        .args(["help", "environment"])
        .output()
        .expect("run");
    for var in [
        "DEVIN_API_KEY",
        "DEVIN_ORG_ID",
        "DEVIN_API_URL",
        "NO_COLOR",
        "DEVIN_HANDOFF_PAGER",
    ] {
        assert!(stdout(&out).contains(var), "{var}");
    }
    let out = bin(d.path()).args(["help", "files"]).output().expect("run");
    assert!(stdout(&out).contains("config.toml") && stdout(&out).contains("journal.jsonl"));
    // The top-level help points to them.
    let top = help_of(d.path(), &[]);
    assert!(top.contains("devin-handoff help exit-codes"), "{top}");
    // A command's help still works through `help`.
    let out = bin(d.path()).args(["help", "scan"]).output().expect("run");
    assert!(out.status.success() && stdout(&out).contains("--staged"));
}

#[test]
fn an_unknown_help_topic_names_the_nearest_and_lists_the_topics() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let out = bin(dir.path())
        .args(["help", "exit-code"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown topic `exit-code`; did you mean `exit-codes`?"),
        "{err}"
    );
    assert!(err.contains("exit-codes, environment, files"), "{err}");
    assert!(!err.contains("is not a command"), "{err}");
    // A misspelt command is the nearest too; a command spelt right still shows its help.
    let out = bin(dir.path())
        .args(["help", "sesions"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `sessions`?"));
    let out = bin(dir.path())
        .args(["help", "sessions"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage: devin-handoff sessions"));
}

#[test]
fn man_dir_writes_a_page_per_command_and_every_named_page_exists() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let dir = d.path().join("man/man1");
    let out = bin(d.path())
        .args(["man", "--dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let pages: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.len() >= 40, "{pages:?}");
    // roff writes a hyphen as `\-`.
    let refs =
        regex::Regex::new(r"(devin\\?-handoff(?:\\?-[a-z]+)*)(?:\\f[RP])?\((\d)\)").expect("re");
    let mut named = 0;
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).expect("read");
        assert!(text.contains(".SH EXAMPLES"), "{page} has no EXAMPLES");
        for c in refs.captures_iter(&text) {
            let file = format!("{}.{}", c[1].replace('\\', ""), &c[2]);
            assert!(
                pages.contains(&file),
                "{page} names {file}, which was not written"
            );
            named += 1;
        }
    }
    assert!(named > 40, "the pages name each other ({named})");
    let main = std::fs::read_to_string(dir.join("devin-handoff.1")).expect("main page");
    for section in [
        ".SH EXAMPLES",
        ".SH ENVIRONMENT",
        ".SH FILES",
        "EXIT STATUS",
    ] {
        assert!(main.contains(section), "{section}");
    }
    // man(1) itself reads the page, when it is installed.
    if let Ok(out) = std::process::Command::new("man")
        .arg("-l")
        .arg(dir.join("devin-handoff-sessions-list.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("EXAMPLES") && text.contains("SEE ALSO"),
                "{text}"
            );
        }
    }
}

#[test]
fn git_handoff_help_says_git_handoff() {
    let d = tempfile::TempDir::new().expect("tempdir");
    let git_handoff = assert_cmd::cargo::cargo_bin!("git-handoff");
    for args in [&["-h"][..], &["sessions", "list", "-h"][..]] {
        let out = std::process::Command::new(git_handoff)
            .args(args)
            .current_dir(d.path())
            .output()
            .expect("run");
        let text = stdout(&out);
        assert!(text.contains("Usage: git handoff"), "{text}");
        assert!(!text.contains("git-handoff"), "{text}");
    }
    // Through git itself, with the binary on PATH.
    let path = path_with_bins();
    let out = std::process::Command::new("git")
        .args(["handoff", "-h"])
        .env("PATH", path)
        .current_dir(d.path())
        .output()
        .expect("run git");
    assert!(
        stdout(&out).contains("Usage: git handoff"),
        "{}",
        stdout(&out)
    );
}
