//! `scan`: the secret guard on its own, for a patch file, stdin, the index, or a handoff.

use crate::cli::{ScanArgs, ScanFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, CaptureOptions};
use crate::pipeline;
use crate::pipeline::HandoffRequest;
use crate::scan::baseline::{self, Baseline};
use crate::scan::{sarif, Finding, Scanner, Scope};
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
    let mut ui = ui::prompt::NeverAsk { out: settings.out };
    let (findings, accepted) = match (&args.patch, args.staged) {
        (Some(path), _) => user_accepted(args, settings, scan_source(&scanner, path)?)?,
        (None, true) => {
            let dir = cwd()?;
            let patches = git::staged_patches(&dir)?.ok_or_else(not_in_repo)?;
            let found: Vec<Finding> = patches
                .iter()
                .flat_map(|p| scanner.scan_file_patch(p, Scope::default()))
                .collect();
            // The same suppression rules as a handoff: the repository's own files accept
            // only what its remote already has.
            let state = git::capture(&dir, &CaptureOptions::default())?.ok_or_else(not_in_repo)?;
            let user = args.baseline.as_deref().or(settings.baseline.as_deref());
            let (keep, acc) = pipeline::accept(&scanner, &state, user, &found, &mut ui)?;
            let mut keep = keep.into_iter();
            let kept = found
                .into_iter()
                .filter(|_| keep.next().unwrap_or(true))
                .collect();
            (kept, acc.accepted.into_iter().map(|(f, _)| f).collect())
        }
        (None, false) => {
            let req = HandoffRequest {
                dir: cwd()?,
                task: args.task.clone(),
                exclude: args.exclude.clone(),
                no_untracked: args.no_untracked,
                history: args.history,
                baseline: args.baseline.clone(),
                ..HandoffRequest::default()
            };
            let scanned = pipeline::guard_only(&req, settings, &mut ui)?.ok_or_else(not_in_repo)?;
            (scanned.findings, scanned.accepted)
        }
    };
    if let Some(file) = &args.write_baseline {
        let all: Vec<Finding> = findings.iter().chain(&accepted).cloned().collect();
        baseline::write(file, &all)?;
        let v = serde_json::json!({"baseline": file, "findings": all.len()});
        return settings.out.result(&v, || {
            ui::say(&format!(
                "✓ Wrote {} finding{} to {} (fingerprints only, no secret values)",
                all.len(),
                if all.len() == 1 { "" } else { "s" },
                file.display()
            ));
            Ok(())
        });
    }
    report(args, settings, &findings, &accepted)?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::silent(ErrorKind::NotSent))
    }
}

/// For input that is not a repository's state: only a baseline the user names applies.
fn user_accepted(
    args: &ScanArgs,
    settings: &Settings,
    found: Vec<Finding>,
) -> Result<(Vec<Finding>, Vec<Finding>)> {
    let Some(file) = args.baseline.as_deref().or(settings.baseline.as_deref()) else {
        return Ok((found, Vec::new()));
    };
    let mut base = Baseline::default();
    base.add_file(file)?;
    let (kept, accepted) = base.split(found);
    for f in &accepted {
        settings.out.note(&format!(
            "accepted by {}: {} {} {}",
            file.display(),
            f.path,
            f.rule,
            f.masked
        ));
    }
    Ok((kept, accepted))
}

fn cwd() -> Result<std::path::PathBuf> {
    std::env::current_dir()
        .map_err(|e| Error::other(format!("cannot read the current directory: {e}")))
}

fn not_in_repo() -> Error {
    Error::usage("not inside a git repository: nothing to scan")
        .hint("give a patch file, or - to read one from stdin: git diff | devin-handoff scan -")
}

/// A file or stdin (`-`): a patch when it is one, else the file's own content.
fn scan_source(scanner: &Scanner, path: &std::path::Path) -> Result<Vec<Finding>> {
    let cannot = |e: std::io::Error| Error::usage(format!("cannot read {}: {e}", path.display()));
    if path.as_os_str() == "-" {
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            // Not hung: waiting for the input to be typed or pasted.
            crate::ui::note("reading from stdin; end it with Ctrl-D");
        }
        return scanner
            .scan_input(std::io::stdin().lock(), "<stdin>")
            .map_err(cannot);
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    scanner
        .scan_input(file, &path.display().to_string())
        .map_err(cannot)
}

fn report(
    args: &ScanArgs,
    settings: &Settings,
    findings: &[Finding],
    accepted: &[Finding],
) -> Result<()> {
    let format = match args.format {
        Some(f) => f,
        None if settings.out.is_json() => ScanFormat::Json,
        None => ScanFormat::Text,
    };
    match format {
        ScanFormat::Sarif => crate::ui::print_json(&sarif::log(findings)),
        // What suppression files accepted is listed too (masked): never only counted.
        ScanFormat::Json => crate::ui::print_json(
            &serde_json::json!({ "findings": findings, "accepted": accepted }),
        ),
        ScanFormat::Text => {
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
        }
    }
}
