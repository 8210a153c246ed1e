//! devin-handoff: hand the exact local state of a git repository to a cloud Devin session.
//!
//! The pipeline is capture ([`git`]) → guard (`scan`) → compose ([`prompt`]) → deliver
//! ([`api`]) → follow ([`commands`]). Each stage owns its data; [`commands`] wires them;
//! [`ui`] owns what people see. [`run`] is the whole program behind `main`.

pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cron;
pub mod error;
pub mod git;
pub mod journal;
pub mod prompt;
pub mod scan;
pub mod ui;

use std::process::ExitCode;

use cli::{Cli, Command};
use config::Settings;
use error::{Error, ErrorKind, Result};

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    ui::init_color(cli.global.color);
    let json = cli.global.json;
    match run_inner(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::report_error(&e, json);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

fn run_inner(cli: Cli) -> Result<()> {
    let Cli {
        command,
        create,
        global,
    } = cli;
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))
    };
    if command.is_some() && create.any_given() {
        return Err(Error::usage(
            "handoff options (the task, --tag, --dry-run, …) go after `create`, not before another command",
        ));
    }
    // Commands that need no settings, or resolve them their own way.
    let command = match command {
        None => return run_create(create, &global, rt()?),
        Some(Command::Create(create)) => return run_create(*create, &global, rt()?),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "devin-handoff", &mut out);
            return ui::print_stdout(&String::from_utf8_lossy(&out));
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|e| Error::other(format!("cannot render the man page: {e}")))?;
            return ui::print_stdout(&String::from_utf8_lossy(&out));
        }
        Some(Command::Hook(args)) => {
            return match Settings::resolve(&global, None) {
                Ok(settings) => {
                    block_on_interruptible(rt()?, commands::hook::run(&args, &settings))
                }
                // Even a broken config must not block the agent: answer in the hook's format.
                Err(e) => commands::hook::report_failure(&args, None, &e),
            };
        }
        Some(Command::Scan(args)) => {
            let settings = Settings::resolve(&global, None)?;
            return commands::scan::run(&args, &settings);
        }
        Some(other) => other,
    };
    let settings = Settings::resolve(&global, None)?;
    let s = &settings;
    block_on_interruptible(rt()?, async move {
        match command {
            Command::Sessions(cmd) => commands::sessions::run(&cmd, s).await,
            Command::Poll(args) => commands::sessions::poll(&args, s).await,
            Command::Archive(a) => commands::sessions::run(&cli::SessionsCmd::Archive(a), s).await,
            Command::Whoami => commands::org::whoami(s).await,
            Command::Doctor => commands::org::doctor(s).await,
            Command::Orgs(cmd) => commands::org::orgs(&cmd, s).await,
            Command::Knowledge(cmd) => commands::org::knowledge(&cmd, s).await,
            Command::Playbooks(cmd) => commands::org::playbooks(&cmd, s).await,
            Command::Schedules(cmd) => commands::org::schedules(&cmd, s).await,
            Command::Create(_)
            | Command::Completions { .. }
            | Command::Man
            | Command::Hook(_)
            | Command::Scan(_) => Err(Error::other("internal: command dispatched twice")),
        }
    })
}

fn run_create(
    create: cli::CreateArgs,
    global: &cli::GlobalArgs,
    rt: tokio::runtime::Runtime,
) -> Result<()> {
    let settings = Settings::resolve(global, create.user_id.as_deref())?;
    block_on_interruptible(rt, commands::handoff::run(&create, &settings))
}

/// Runs a command to completion; Ctrl-C ends it with exit 130.
fn block_on_interruptible(
    rt: tokio::runtime::Runtime,
    f: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    rt.block_on(async {
        tokio::select! {
            r = f => r,
            _ = tokio::signal::ctrl_c() => Err(Error::new(ErrorKind::Interrupted, "interrupted")),
        }
    })
}
