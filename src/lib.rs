//! devin-handoff: hand the exact local state of a git repository to a cloud Devin session.
//!
//! The pipeline is capture ([`git`]) → guard (`scan`) → compose ([`prompt`]) → deliver
//! ([`api`]) → follow ([`commands`]). Each stage owns its data; [`commands`] wires them;
//! [`ui`] owns what people see. [`run`] is the whole program behind `main`.

pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod git;
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
    match command {
        Some(Command::Scan(args)) => {
            let settings = Settings::resolve(&global, None)?;
            commands::scan::run(&args, &settings)
        }
        Some(Command::Create(create)) => run_create(*create, &global, rt()?),
        None => run_create(create, &global, rt()?),
    }
}

fn run_create(
    create: cli::CreateArgs,
    global: &cli::GlobalArgs,
    rt: tokio::runtime::Runtime,
) -> Result<()> {
    let settings = Settings::resolve(global, create.user_id.as_deref())?;
    rt.block_on(async {
        tokio::select! {
            r = commands::handoff::run(&create, &settings) => r,
            _ = tokio::signal::ctrl_c() => Err(Error::new(ErrorKind::Interrupted, "interrupted: nothing more was sent")),
        }
    })
}
