//! `git-handoff`: lets `git handoff ...` work with no alias; the same entry as `devin-handoff`.

fn main() -> std::process::ExitCode {
    devin_handoff::run_args(std::env::args_os())
}
