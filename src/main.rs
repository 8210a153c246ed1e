//! The `devin-handoff` and `git-handoff` binaries: parse, then hand over to the library.

fn main() -> std::process::ExitCode {
    devin_handoff::run_args(std::env::args_os())
}
