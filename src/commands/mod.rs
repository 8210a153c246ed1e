//! Commands: parse → pipeline or API → output. The dispatch from the parsed command line
//! to each command, and the one place the async runtime is started.

pub mod create;
pub mod hook;
pub mod mcp;
pub mod org;
pub mod pull;
pub mod scan;
pub mod sessions;
mod typo;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::{Error, ErrorKind, Result};
use crate::settings::Settings;
use crate::ui;

/// Parses `args` (the process's own, in the binaries) and runs them. A command line clap
/// refuses is a usage error (exit 2), as JSON under `--json`, with a suggestion when the
/// first word looks like a mistyped command.
pub fn run_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some(code) = crate::complete::answer(&args) {
        return code;
    }
    if let [_, help, name] = &args[..] {
        if let (Some("help"), Some(text)) =
            (help.to_str(), name.to_str().and_then(crate::help::topic))
        {
            return match ui::print_stdout(&format!("{text}\n")) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        // `help WORD` where WORD is neither a topic nor a command: say so, with the nearest
        // topic, rather than clap's word about `help` itself.
        if let (Some("help"), Some(word)) = (help.to_str(), name.to_str()) {
            let command = crate::help::command(bin_name(&args));
            if !command.get_subcommands().any(|c| c.get_name() == word) {
                let json = args.iter().any(|a| a == "--json");
                let err = crate::help::unknown_topic(word);
                ui::Printer::new(json, true).report_error(&err, 0);
                return ExitCode::from(err.kind().exit_code());
            }
        }
    }
    let parsed = crate::help::command(bin_name(&args))
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let e = match parsed {
        Ok(cli) => return run(cli),
        Err(e) => e,
    };
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        let _ = e.print();
        return ExitCode::from(e.exit_code() as u8);
    }
    let json = args.iter().any(|a| a == "--json");
    let out = ui::Printer::new(json, true);
    let guess = typo::first_word(&args).and_then(|w| typo::suggestion(&w).map(|s| (w, s)));
    let err = match guess {
        Some((word, s)) => Error::usage(format!("`{word}` is not a command: did you mean `{s}`?"))
            .hint("devin-handoff --help lists the commands"),
        None if json => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            Error::usage(first.trim_start_matches("error: ").to_string())
        }
        None => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    out.report_error(&err, 0);
    ExitCode::from(err.kind().exit_code())
}

/// The name the user typed: `git handoff` when git ran us as its subcommand, so that the
/// help's usage lines read as the user would type them.
fn bin_name(args: &[OsString]) -> &'static str {
    let invoked = args
        .first()
        .and_then(|a| Path::new(a).file_stem())
        .and_then(|s| s.to_str());
    match invoked {
        Some("git-handoff") => "git handoff",
        _ => "devin-handoff",
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    ui::init_color(cli.global.color.into());
    ui::interrupt::install();
    let (out, verbose) = (
        crate::settings::printer(&cli.global.overrides()),
        cli.global.verbose,
    );
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.kind() == ErrorKind::Interrupted {
                // Ctrl-C may come while a menu or a spinner has hidden the cursor.
                ui::prompt::restore_terminal();
            }
            out.report_error(&e, verbose);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let Cli {
        command,
        create,
        global,
    } = cli;
    if command.is_some() && create.any_given() {
        return Err(Error::usage(
            "handoff options (the task, --tag, --dry-run, …) go after `create`, not before another command",
        ));
    }
    let settings = |user: Option<&str>| Settings::resolve(&global.overrides(), user);
    let command = match command {
        None => {
            implied_create(&create, &global)?;
            return create::run(&create, &settings(create.user_id.as_deref())?);
        }
        Some(Command::Create(c)) => return create::run(&c, &settings(c.user_id.as_deref())?),
        Some(Command::Completions { shell }) => {
            let mut cmd = crate::help::command("devin-handoff");
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "devin-handoff", &mut out);
            return ui::print_stdout(&String::from_utf8_lossy(&out));
        }
        Some(Command::Man { dir: Some(dir) }) => {
            let written = crate::help::write_man_dir(&dir)?;
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            let out = crate::settings::printer(&global.overrides());
            return out.result(&serde_json::json!({ "written": names }), || {
                ui::say(&format!(
                    "✓ Wrote {} man pages into {}",
                    names.len(),
                    dir.display()
                ));
                Ok(())
            });
        }
        Some(Command::Man { dir: None }) => {
            let mut cmd = crate::help::command("devin-handoff");
            cmd.build();
            let page = crate::help::man_page(&cmd, "")?;
            return ui::print_stdout(&String::from_utf8_lossy(&page));
        }
        Some(Command::Hook(args)) => {
            return match settings(None) {
                Ok(s) => hook::run(&args, &s),
                // Even a broken config must not block the agent: answer in the hook's format.
                Err(e) => hook::report_failure(&args, None, &e),
            };
        }
        Some(Command::Scan(args)) => return scan::run(&args, &settings(None)?),
        Some(Command::Mcp(args)) => return mcp::run(&args, &settings(None)?),
        Some(other) => other,
    };
    let s = &settings(None)?;
    // `api_key_command` is a blocking child process: run it (once; the key is kept) before
    // the runtime starts. A failure is reported by the command that needs the key.
    let _ = s.require_key();
    block_on(async move {
        match command {
            Command::Sessions(cmd) => sessions::run(&cmd, s).await,
            Command::Poll(args) => sessions::poll(&args, s).await,
            Command::Archive(a) => sessions::run(&crate::cli::SessionsCmd::Archive(a), s).await,
            Command::Whoami => org::whoami(s).await,
            Command::Doctor => org::doctor(s).await,
            Command::Orgs(cmd) => org::orgs(&cmd, s).await,
            Command::Knowledge(cmd) => org::knowledge(&cmd, s).await,
            Command::Playbooks(cmd) => org::playbooks(&cmd, s).await,
            Command::Schedules(cmd) => org::schedules(&cmd, s).await,
            Command::Create(_)
            | Command::Completions { .. }
            | Command::Man { .. }
            | Command::Hook(_)
            | Command::Scan(_)
            | Command::Mcp(_) => Err(Error::other("internal: command dispatched twice")),
        }
    })
}

/// `devin-handoff TASK` without `create`: bare, it shows the short help (exit 2); a one-word
/// task that looks like a command, or any one-word task where no one can confirm, is refused
/// (exit 2), since a typo would otherwise start a billable session. `--task` and a quoted
/// sentence still allow any task.
fn implied_create(create: &crate::cli::CreateArgs, global: &crate::cli::GlobalArgs) -> Result<()> {
    let out = crate::settings::printer(&global.overrides());
    if !create.any_given() {
        if out.can_prompt() || !global.json {
            let help = crate::help::command("devin-handoff").render_help();
            eprint!("{help}");
            return Err(Error::silent(ErrorKind::Usage));
        }
        return Err(Error::usage("no command and no task")
            .hint("devin-handoff \"describe the task\" hands off this repository; devin-handoff --help lists the commands"));
    }
    let Some(word) = create
        .task_arg
        .as_deref()
        .filter(|t| !t.trim().contains(char::is_whitespace))
    else {
        return Ok(());
    };
    let word = word.trim();
    if let Some(s) = typo::suggestion(word) {
        return Err(
            Error::usage(format!("`{word}` is not a command: did you mean `{s}`?")).hint(format!(
                "to hand off the task itself: devin-handoff --task {word:?}"
            )),
        );
    }
    if !out.can_prompt() {
        return Err(Error::usage(format!(
            "a one-word task ({word:?}) with no one to confirm it looks like a mistyped command: nothing was sent"
        ))
        .hint(format!("to hand it off anyway: devin-handoff --task {word:?}, or describe the task in a sentence")));
    }
    Ok(())
}

/// Runs API work on a single-threaded runtime started here, and only for it; Ctrl-C ends it
/// with exit 130.
pub fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")).with_source(e))?;
    let _owned = ui::interrupt::AsyncOwnsInterrupts::claim();
    rt.block_on(async {
        tokio::select! {
            // The work first: an interrupt it catches itself (a create on its way) is
            // reported by it, with what may have happened.
            biased;
            r = f => r,
            _ = ui::interrupt::stop_requested() => Err(Error::new(ErrorKind::Interrupted, "interrupted")),
        }
    })
}
