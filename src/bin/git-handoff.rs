//! `git-handoff`: lets `git handoff ...` work with no alias; the same entry as `devin-handoff`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    devin_handoff::run(devin_handoff::cli::Cli::parse())
}
