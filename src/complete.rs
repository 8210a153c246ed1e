//! Shell completion of live values through clap_complete's dynamic engine: session IDs from
//! the local journal, and note, playbook and schedule IDs from the API (a short timeout;
//! nothing when there is no key or no answer). Registered with
//! `source <(DEVIN_HANDOFF_COMPLETE=bash devin-handoff)`.

use std::ffi::OsString;

use clap::Parser;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::api::org::Kind;
use crate::cli::Cli;

/// The variable that asks for completion (namespaced, so that a stray `COMPLETE` in the
/// environment of a hook can never turn a run into a completion script).
pub const VAR: &str = "DEVIN_HANDOFF_COMPLETE";

/// Answers a completion request if this run is one (the variable is set): prints the
/// registration script or the candidates and returns the exit code (2 for an unknown
/// shell). Returns `None` at once otherwise.
pub fn answer(args: &[OsString]) -> Option<std::process::ExitCode> {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return None;
    }
    let cwd = std::env::current_dir().ok();
    let done = clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .bin("devin-handoff")
        .try_complete(args.iter().cloned(), cwd.as_deref());
    match done {
        Ok(true) => Some(std::process::ExitCode::SUCCESS),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(std::process::ExitCode::from(2))
        }
    }
}

/// Adds `values` to the argument `id` of `cmd`, in place (`mut_arg` would move it last and
/// change the positions of the positional arguments).
fn with_values(cmd: clap::Command, id: &str, values: ArgValueCandidates) -> clap::Command {
    cmd.mut_args(|a| {
        if a.get_id() == id {
            a.add(values.clone())
        } else {
            a
        }
    })
}

/// The command line with a completer on every argument that takes a live ID.
fn command() -> clap::Command {
    let sessions = || ArgValueCandidates::new(session_ids);
    let mut cmd = crate::help::command("devin-handoff");
    for sub in [
        "show",
        "watch",
        "messages",
        "send",
        "attachments",
        "archive",
        "pull",
        "terminate",
    ] {
        cmd = cmd.mut_subcommand("sessions", |s| {
            s.mut_subcommand(sub, |c| with_values(c, "id", sessions()))
        });
    }
    for top in ["poll", "archive"] {
        cmd = cmd.mut_subcommand(top, |c| with_values(c, "id", sessions()));
    }
    for (group, kind, subs) in [
        ("knowledge", Kind::Note, &["show", "update", "delete"][..]),
        (
            "playbooks",
            Kind::Playbook,
            &["show", "update", "delete"][..],
        ),
        (
            "schedules",
            Kind::Schedule,
            &["show", "update", "enable", "disable", "delete"][..],
        ),
    ] {
        for sub in subs {
            cmd = cmd.mut_subcommand(group, |g| {
                g.mut_subcommand(sub, |c| {
                    with_values(c, "id", ArgValueCandidates::new(move || resource_ids(kind)))
                })
            });
        }
    }
    cmd.mut_subcommand("create", |c| {
        let c = with_values(
            c,
            "playbook",
            ArgValueCandidates::new(|| resource_ids(Kind::Playbook)),
        );
        with_values(
            c,
            "knowledge",
            ArgValueCandidates::new(|| resource_ids(Kind::Note)),
        )
    })
}

/// Sessions this machine handed off, newest first, each with its task as the description.
fn session_ids() -> Vec<CompletionCandidate> {
    let mut seen = std::collections::HashSet::new();
    let mut records = crate::journal::read();
    records.sort_by_key(|r| std::cmp::Reverse(r.time));
    records
        .into_iter()
        .filter(|r| r.is_known() && seen.insert(r.session_id.clone()))
        .map(|r| {
            let task = crate::ui::clean_line(r.task.lines().next().unwrap_or(""));
            // Inserted into the command line as it is: quoted (an ID is text from an API).
            CompletionCandidate::new(crate::shell::quote(&r.session_id)).help(Some(task.into()))
        })
        .collect()
}

/// The organization's notes, playbooks or schedules, asked of the API with a short timeout.
fn resource_ids(kind: Kind) -> Vec<CompletionCandidate> {
    let Ok(cli) = Cli::try_parse_from(["devin-handoff", "--timeout", "3", "whoami"]) else {
        return Vec::new();
    };
    let Ok(settings) = crate::settings::Settings::resolve(&cli.global.overrides(), None) else {
        return Vec::new();
    };
    if settings.require_key().is_err() {
        return Vec::new();
    }
    let items = crate::commands::block_on(async {
        let mut client = settings.client()?;
        client.list_resources(kind, &[]).await
    });
    let id_key = match kind {
        Kind::Note => "note_id",
        Kind::Playbook => "playbook_id",
        Kind::Schedule => "scheduled_session_id",
    };
    items
        .unwrap_or_default()
        .iter()
        .filter_map(|it| {
            let id = it.get(id_key)?.as_str()?.to_string();
            let name = ["name", "title"]
                .iter()
                .find_map(|k| it.get(*k).and_then(|v| v.as_str()))
                .map(crate::ui::clean_line);
            Some(CompletionCandidate::new(crate::shell::quote(&id)).help(name.map(Into::into)))
        })
        .collect()
}
