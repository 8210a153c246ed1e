//! The help that teaches: an EXAMPLES section for every command, the help topics
//! (`help exit-codes`, `help environment`, `help files`), and the man pages built from them.

use std::path::Path;

use clap::CommandFactory;
use roff::{bold, roman, Roff};

use crate::cli::Cli;
use crate::error::{Error, Result};

/// Examples per command path (`""` is the top level): a comment, then the command line.
const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    ("", &[
        ("See what would be sent, with no account", "devin-handoff create --dry-run \"fix the flaky test\""),
        ("Hand off this repository's work in progress", "devin-handoff \"finish the retry logic and add tests\""),
        ("Through git, with no alias", "git handoff \"continue the refactor\""),
        ("Follow the session it created", "devin-handoff sessions watch"),
    ]),
    ("create", &[
        ("Preview the prompt and the patch; nothing is sent", "devin-handoff create --dry-run \"fix the flaky test\""),
        ("Send unpushed commits as commits, wait for the result", "devin-handoff create --history --wait \"finish the migration\""),
        ("Redact secrets without asking, tag the session", "devin-handoff create --secrets redact --tag ci \"make the build green\""),
        ("A long task from a file, the patch as an attachment", "devin-handoff create --task-file task.md --via attachment"),
    ]),
    ("scan", &[
        ("What a handoff from here would send", "devin-handoff scan"),
        ("The staged changes, as a pre-commit hook", "devin-handoff scan --staged"),
        ("A patch from another tool", "git diff main... | devin-handoff scan -"),
        ("The rules it runs", "devin-handoff scan --list-rules"),
    ]),
    ("sessions", &[
        ("Your recent sessions", "devin-handoff sessions list"),
        ("The last session handed off from this branch", "devin-handoff sessions show"),
    ]),
    ("sessions list", &[
        ("Sessions handed off from this repository", "devin-handoff sessions list --mine"),
        ("Running sessions tagged ci, as JSON", "devin-handoff sessions list --status running --tag ci --json"),
    ]),
    ("sessions show", &[
        ("The last session handed off from this branch", "devin-handoff sessions show"),
        ("A session by ID or URL", "devin-handoff sessions show https://app.devin.ai/sessions/0123abcd"),
    ]),
    ("sessions watch", &[
        ("Follow a session until it is done", "devin-handoff sessions watch devin-0123abcd"),
        ("Give up after ten minutes (exit 7)", "devin-handoff sessions watch 0123abcd --wait-timeout 600"),
        ("One JSON object per event, for a script", "devin-handoff sessions watch 0123abcd --json"),
    ]),
    ("sessions messages", &[
        ("Everything said so far", "devin-handoff sessions messages devin-0123abcd"),
    ]),
    ("sessions send", &[
        ("Answer a question the session asked", "devin-handoff sessions send 0123abcd \"yes, keep the old API\""),
        ("A longer message from a file", "devin-handoff sessions send 0123abcd --file notes.md"),
    ]),
    ("sessions attachments", &[
        ("List what the session attached", "devin-handoff sessions attachments 0123abcd"),
        ("Download it all", "devin-handoff sessions attachments 0123abcd --download ./from-devin"),
    ]),
    ("sessions archive", &[
        ("Archive a finished session", "devin-handoff sessions archive 0123abcd"),
    ]),
    ("sessions pull", &[
        ("The session's pull request in a new worktree", "devin-handoff sessions pull 0123abcd"),
        ("In this working tree instead", "devin-handoff sessions pull 0123abcd --here"),
    ]),
    ("sessions terminate", &[
        ("Stop a session (asks first)", "devin-handoff sessions terminate 0123abcd"),
        ("From a script", "devin-handoff sessions terminate 0123abcd --yes"),
    ]),
    ("poll", &[
        ("Wait for a session, then archive it", "devin-handoff poll 0123abcd --archive"),
    ]),
    ("archive", &[
        ("Archive a session", "devin-handoff archive 0123abcd"),
    ]),
    ("hook", &[
        ("Claude Code UserPromptSubmit hook, acting on /handoff only", "devin-handoff hook --require-trigger --secrets redact"),
        ("Try it by hand", "echo '{\"prompt\":\"/handoff fix it\",\"cwd\":\".\"}' | devin-handoff hook --require-trigger"),
    ]),
    ("mcp", &[
        ("Register with Claude Code", "claude mcp add devin-handoff -- devin-handoff mcp"),
        ("Make redaction the default for agents' handoffs", "devin-handoff mcp --secrets redact"),
    ]),
    ("completions", &[
        ("bash (the folder must exist)", "devin-handoff completions bash > ~/.local/share/bash-completion/completions/devin-handoff"),
        ("zsh, into a folder on $fpath", "devin-handoff completions zsh > ~/.zfunc/_devin-handoff"),
        ("fish", "devin-handoff completions fish > ~/.config/fish/completions/devin-handoff.fish"),
    ]),
    ("man", &[
        ("The main page", "devin-handoff man > devin-handoff.1 && man -l devin-handoff.1"),
        ("One page per command", "devin-handoff man --dir ~/.local/share/man/man1"),
    ]),
    ("whoami", &[
        ("Which key and organization are in use", "devin-handoff whoami"),
    ]),
    ("doctor", &[
        ("Check the key, the organization, git and the config", "devin-handoff doctor"),
    ]),
    ("orgs", &[
        ("The organizations an enterprise key can see", "devin-handoff orgs list"),
    ]),
    ("orgs list", &[
        ("As JSON", "devin-handoff orgs list --json"),
    ]),
    ("knowledge", &[
        ("Notes pinned to this repository", "devin-handoff knowledge list --pinned-repo ."),
    ]),
    ("knowledge list", &[
        ("Notes mentioning a word", "devin-handoff knowledge list --search deploy"),
        ("Notes pinned to this repository", "devin-handoff knowledge list --pinned-repo ."),
    ]),
    ("knowledge show", &[
        ("A note's fields", "devin-handoff knowledge show note-0123"),
    ]),
    ("knowledge create", &[
        ("A note for this repository", "devin-handoff knowledge create --name Style --trigger \"when writing code\" --body-file STYLE.md --pinned-repo ."),
    ]),
    ("knowledge update", &[
        ("Change only the text", "devin-handoff knowledge update note-0123 --body-file STYLE.md"),
    ]),
    ("knowledge delete", &[
        ("Delete a note (asks first)", "devin-handoff knowledge delete note-0123"),
    ]),
    ("knowledge folders", &[
        ("The folders and how many notes each holds", "devin-handoff knowledge folders"),
    ]),
    ("playbooks", &[
        ("All playbooks", "devin-handoff playbooks list"),
    ]),
    ("playbooks list", &[
        ("As JSON", "devin-handoff playbooks list --json"),
    ]),
    ("playbooks show", &[
        ("A playbook's text", "devin-handoff playbooks show playbook-0123"),
    ]),
    ("playbooks create", &[
        ("A playbook invoked with !release", "devin-handoff playbooks create --title Release --body-file RELEASE.md --macro '!release'"),
    ]),
    ("playbooks update", &[
        ("Rename it", "devin-handoff playbooks update playbook-0123 --title \"Release v2\""),
    ]),
    ("playbooks delete", &[
        ("Delete a playbook (asks first)", "devin-handoff playbooks delete playbook-0123"),
    ]),
    ("schedules", &[
        ("All schedules", "devin-handoff schedules list"),
    ]),
    ("schedules list", &[
        ("As JSON", "devin-handoff schedules list --json"),
    ]),
    ("schedules show", &[
        ("A schedule's fields", "devin-handoff schedules show sched-0123"),
    ]),
    ("schedules create", &[
        ("Every weekday at 09:00 in Paris", "devin-handoff schedules create --name triage --prompt \"triage new issues\" --cron \"0 9 * * 1-5\" --timezone Europe/Paris"),
        ("Once", "devin-handoff schedules create --name bump --prompt \"bump deps\" --at 2026-12-01T09:00:00Z"),
    ]),
    ("schedules update", &[
        ("Move it to 07:30 UTC", "devin-handoff schedules update sched-0123 --cron \"30 7 * * *\""),
    ]),
    ("schedules enable", &[
        ("Turn it back on", "devin-handoff schedules enable sched-0123"),
    ]),
    ("schedules disable", &[
        ("Pause it", "devin-handoff schedules disable sched-0123"),
    ]),
    ("schedules delete", &[
        ("Delete a schedule (asks first)", "devin-handoff schedules delete sched-0123"),
    ]),
];

/// The help topics: `devin-handoff help TOPIC`.
pub const TOPICS: &[(&str, &str, &str)] = &[
    ("exit-codes", "What each exit status means", EXIT_CODES),
    ("environment", "The environment variables read", ENVIRONMENT),
    ("files", "The files read and written", FILES),
];

const EXIT_CODES: &str = "\
0    done
1    any other failure
2    usage or invalid input: a bad flag or value, an unreadable task file, a bad --exclude glob,
     a one-word task that looks like a mistyped command
3    nothing was sent: secrets were found (for `scan`: findings exist), or you declined
4    authentication: no key, an invalid key, or a forbidden action
5    API or network failure: an HTTP error, not found, a timeout, unreachable
6    a watched session ended in error or was suspended
7    waiting for a session timed out (--wait-timeout)
130  interrupted (Ctrl-C)

With --json, a failure also prints {\"error\": {\"kind\", \"exit_code\", \"message\", \"hints\"}}
on stdout. Requests answered 429 or 503 are retried a bounded number of times; a create
whose outcome is unknown is never repeated.";

const ENVIRONMENT: &str = "\
DEVIN_API_KEY        The API key (cog_… for v3, apk_… for the v1 API). Removed from the
                     environment once read, so no child process sees it. Or: api_key_command
                     in the config file.
DEVIN_ORG_ID         The organization for v3 routes [default: the key's own]
DEVIN_API_URL        The API base URL [default: https://api.devin.ai]
DEVIN_USER_ID        Create sessions as this user (needs ImpersonateOrgSessions)
DEVIN_HANDOFF_COMPLETE  bash, zsh or fish: print the dynamic completion script (see the
                     README's Completion)
DEVIN_HANDOFF_PAGER  The pager for long output [default: $PAGER, else less -FRX]; `cat` turns
                     paging off, as --no-pager does
PAGER                The pager, when DEVIN_HANDOFF_PAGER is not set
NO_COLOR             Set and not empty: no colour (as --color never)
XDG_CONFIG_HOME      Where the config file is [default: ~/.config]
XDG_STATE_HOME       Where the journal is [default: ~/.local/state]
BROWSER              What --open starts [default: the system's opener]";

const FILES: &str = "\
$XDG_CONFIG_HOME/devin-handoff/config.toml
    Settings: api_url, org_id, user_id, tags, secrets, inline_budget, watch_interval,
    api_key_command, allow_http, and api_key, read only when the file is its owner's alone
    (mode 0600).
$XDG_STATE_HOME/devin-handoff/journal.jsonl
    One line per handoff: session, repository, branch, task; read by `sessions show`,
    `sessions list --mine` and `sessions pull`. Never holds the key or the patch.
.handoffignore (repository root)
    Paths never sent and never scanned, in gitignore syntax.
.handoff-baseline.json, .gitleaksignore (repository root)
    Findings accepted once and not stopped for again (see scan --write-baseline).";

/// Every command path with its examples, for tests and the man pages.
pub fn examples(path: &str) -> Option<&'static [(&'static str, &'static str)]> {
    EXAMPLES.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

fn examples_text(ex: &[(&str, &str)]) -> String {
    let mut out = String::from("Examples:\n");
    for (what, cmd) in ex {
        out.push_str(&format!("  # {what}\n  $ {cmd}\n"));
    }
    out
}

/// The command line definition with every command's examples attached, as `--help` shows
/// them. `bin` is the name the user typed (`git handoff` for the git subcommand).
pub fn command(bin: &str) -> clap::Command {
    let topics: Vec<String> = TOPICS
        .iter()
        .map(|(name, what, _)| format!("  devin-handoff help {name:<12} {what}"))
        .chain(std::iter::once(format!(
            "  devin-handoff help {:<12} A command's help, as COMMAND --help",
            "COMMAND"
        )))
        .collect();
    let root = Cli::command().bin_name(bin).after_help(format!(
        "{}\nLearn more:\n{}",
        examples_text(examples("").unwrap_or_default()),
        topics.join("\n")
    ));
    attach(root, "")
}

fn attach(cmd: clap::Command, path: &str) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut cmd = cmd;
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |sub| {
            let sub = match examples(&sub_path) {
                Some(ex) => sub.after_help(examples_text(ex)),
                None => sub,
            };
            attach(sub, &sub_path)
        });
    }
    cmd
}

/// The error for `help WORD` when WORD is neither a topic nor a command: the nearest topic or
/// command, and the list of topics.
pub fn unknown_topic(word: &str) -> Error {
    let lower = word.to_ascii_lowercase();
    let nearest = TOPICS
        .iter()
        .map(|t| t.0.to_string())
        .chain(
            Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string()),
        )
        .map(|name| (strsim::damerau_levenshtein(&lower, &name), name))
        .filter(|(d, name)| *d <= if name.len() <= 4 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name);
    let message = match nearest {
        Some(n) => format!("unknown topic `{word}`; did you mean `{n}`?"),
        None => format!("unknown topic `{word}`"),
    };
    let topics: Vec<&str> = TOPICS.iter().map(|t| t.0).collect();
    Error::usage(message).hint(format!(
        "topics: {}; devin-handoff help COMMAND shows a command's help",
        topics.join(", ")
    ))
}

/// A help topic's text, if `name` is one.
pub fn topic(name: &str) -> Option<&'static str> {
    TOPICS.iter().find(|(n, _, _)| *n == name).map(|t| t.2)
}

/// The man page of `cmd` (the top level or a subcommand), with EXAMPLES and, on the top
/// level, EXIT STATUS, ENVIRONMENT and FILES.
pub fn man_page(cmd: &clap::Command, path: &str) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone().after_help(""));
    let mut out = Vec::new();
    let io = |e: std::io::Error| Error::other(format!("cannot render the man page: {e}"));
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(io)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out).map_err(io)?;
    }
    let mut roff = Roff::new();
    if let Some(ex) = examples(path) {
        roff.control("SH", ["EXAMPLES"]);
        for (what, line) in ex {
            roff.control("TP", []);
            roff.text([roman(*what)]);
            roff.text([bold(*line)]);
        }
    }
    if path.is_empty() {
        for (name, heading) in [
            ("exit-codes", "EXIT STATUS"),
            ("environment", "ENVIRONMENT"),
            ("files", "FILES"),
        ] {
            roff.control("SH", [heading]);
            roff.control("nf", []);
            for line in topic(name).unwrap_or_default().lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []);
        }
    }
    // Each page points back to the one above it, which exists in the same folder.
    if let Some((parent, _)) = path
        .rsplit_once(' ')
        .or((!path.is_empty()).then_some(("", "")))
    {
        let name = match parent {
            "" => "devin-handoff".to_string(),
            p => format!("devin-handoff-{}", p.replace(' ', "-")),
        };
        roff.control("SH", ["SEE ALSO"]);
        roff.text([bold(name), roman("(1)")]);
    }
    out.extend_from_slice(roff.to_roff().as_bytes());
    Ok(out)
}

/// Writes one man page per command into `dir` (created if missing), each named as the
/// pages refer to it (`devin-handoff-sessions-list.1`); returns the files written.
pub fn write_man_dir(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::usage(format!("cannot create {}: {e}", dir.display())))?;
    let mut root = command("devin-handoff").disable_help_subcommand(true);
    root.build();
    let mut written = Vec::new();
    write_tree(&root, "", dir, &mut written)?;
    Ok(written)
}

fn write_tree(
    cmd: &clap::Command,
    path: &str,
    dir: &Path,
    written: &mut Vec<std::path::PathBuf>,
) -> Result<()> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    let file = dir.join(format!("{name}.1"));
    let page = man_page(cmd, path)?;
    // Beside its destination, then renamed: never a half-written page.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &page)?;
    tmp.persist(&file)
        .map_err(|e| Error::other(format!("cannot write {}: {e}", file.display())))?;
    written.push(file);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_path = if path.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{path} {}", sub.get_name())
        };
        write_tree(sub, &sub_path, dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let p = if path.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{path} {}", sub.get_name())
            };
            out.push(p.clone());
            paths(sub, &p, out);
        }
    }

    #[test]
    fn every_command_has_examples_and_every_example_names_a_command() {
        let mut all = vec![String::new()];
        paths(&Cli::command(), "", &mut all);
        for p in &all {
            assert!(examples(p).is_some(), "no examples for `{p}`");
        }
        for (p, _) in EXAMPLES {
            assert!(all.iter().any(|a| a == p), "examples for unknown `{p}`");
        }
    }
}
