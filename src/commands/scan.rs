//! `scan`: the secret guard on its own, for a patch file, stdin, the index, or a handoff.

use std::io::BufReader;

use crate::cli::ScanArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, CaptureOptions};
use crate::scan::{Finding, Scanner, Scope};
use crate::settings::Settings;
use crate::ui::{self, format_findings};

pub fn run(args: &ScanArgs, settings: &Settings) -> Result<()> {
    if args.list_rules {
        let ids = crate::scan::rule_ids();
        return settings.out.result(&ids, || {
            ui::print_stdout(&ids.iter().map(|i| format!("{i}\n")).collect::<String>())
        });
    }
    let scanner = Scanner::new();
    let findings = match (&args.patch, args.staged) {
        (Some(path), _) => scan_patch_source(&scanner, path)?,
        (None, true) => {
            let patches = git::staged_patches(&cwd()?)?.ok_or_else(not_in_repo)?;
            patches
                .iter()
                .flat_map(|p| scanner.scan_file_patch(p, Scope::default()))
                .collect()
        }
        (None, false) => {
            git::exclude_set(&args.exclude)?;
            let opts = CaptureOptions {
                include_untracked: !args.no_untracked,
                excludes: args.exclude.clone(),
                ..CaptureOptions::default()
            };
            let state = git::capture(&cwd()?, &opts)?.ok_or_else(not_in_repo)?;
            // What a handoff would scan: the old side too when the base is not on a remote.
            let blobs = git::Blobs::open(&state.workdir);
            let get = |id: &str| blobs.get(id);
            let scope = Scope {
                old_side: !state.base.on_remote,
                blobs: Some(&get),
            };
            state
                .changes
                .files
                .iter()
                .flat_map(|f| scanner.scan_file_patch(&f.patch, scope))
                .collect()
        }
    };
    report(settings, &findings)?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::silent(ErrorKind::NotSent))
    }
}

fn cwd() -> Result<std::path::PathBuf> {
    std::env::current_dir()
        .map_err(|e| Error::other(format!("cannot read the current directory: {e}")))
}

fn not_in_repo() -> Error {
    Error::usage("not inside a git repository: nothing to scan")
        .hint("give a patch file, or - to read one from stdin: git diff | devin-handoff scan -")
}

fn scan_patch_source(scanner: &Scanner, path: &std::path::Path) -> Result<Vec<Finding>> {
    let result = if path.as_os_str() == "-" {
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            // Not hung: waiting for the patch to be typed or pasted.
            crate::ui::note("reading a patch from stdin; end it with Ctrl-D");
        }
        scanner.scan_patch_reader(std::io::stdin().lock(), Scope::default())
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::usage(format!("cannot read the patch {}: {e}", path.display())))?;
        scanner.scan_patch_reader(BufReader::with_capacity(256 * 1024, file), Scope::default())
    };
    result.map_err(|e| Error::usage(format!("cannot read the patch {}: {e}", path.display())))
}

fn report(settings: &Settings, findings: &[Finding]) -> Result<()> {
    let v = serde_json::json!({ "findings": findings });
    settings.out.result(&v, || {
        if findings.is_empty() {
            eprintln!("no secrets found");
            return Ok(());
        }
        ui::print_stdout(&format_findings(findings))?;
        eprintln!(
            "{} possible secret{} found",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
        Ok(())
    })
}
