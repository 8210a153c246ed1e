//! The `devin-handoff` and `git-handoff` binaries: parse, then hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    devin_handoff::run(devin_handoff::cli::Cli::parse())
}
