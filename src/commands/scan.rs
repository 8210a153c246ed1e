//! `scan`: the secret guard on its own, for a patch file, stdin, the index, or a handoff.

use std::io::BufReader;

use crate::cli::{ScanArgs, ScanFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, CaptureOptions};
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
    let (findings, workdir) = match (&args.patch, args.staged) {
        (Some(path), _) => (scan_patch_source(&scanner, path)?, None),
        (None, true) => {
            let dir = cwd()?;
            let patches = git::staged_patches(&dir)?.ok_or_else(not_in_repo)?;
            let found = patches
                .iter()
                .flat_map(|p| scanner.scan_file_patch(p, Scope::default()))
                .collect();
            (found, git::locate(&dir)?.map(|(w, _)| w))
        }
        (None, false) => {
            let (found, workdir) =
                handoff_findings(&scanner, &cwd()?, &args.exclude, !args.no_untracked)?;
            (found, Some(workdir))
        }
    };
    if let Some(file) = &args.write_baseline {
        baseline::write(file, &findings)?;
        let v = serde_json::json!({"baseline": file, "findings": findings.len()});
        return settings.out.result(&v, || {
            ui::say(&format!(
                "✓ Wrote {} finding{} to {} (fingerprints only, no secret values)",
                findings.len(),
                if findings.len() == 1 { "" } else { "s" },
                file.display()
            ));
            Ok(())
        });
    }
    let base = accepted(args, workdir.as_deref())?;
    let (findings, ignored) = base.filter(findings);
    if ignored > 0 {
        settings.out.note(&format!(
            "{ignored} finding{} accepted by {}",
            if ignored == 1 { "" } else { "s" },
            base.sources.join(" and ")
        ));
    }
    report(args, settings, &findings)?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::silent(ErrorKind::NotSent))
    }
}

/// The baselines that apply: `--baseline`, and the repository's own (`.handoff-baseline.json`,
/// `.gitleaksignore`) when a repository was scanned. Unmapped gitleaks entries are said.
fn accepted(args: &ScanArgs, workdir: Option<&std::path::Path>) -> Result<Baseline> {
    let mut base = match workdir {
        Some(w) => Baseline::for_repository(w)?,
        None => Baseline::default(),
    };
    if let Some(file) = &args.baseline {
        base.add_file(file)?;
    }
    warn_unmapped(&base);
    Ok(base)
}

/// Says which `.gitleaksignore` entries could not be matched to a finding of ours.
pub fn warn_unmapped(base: &Baseline) {
    if base.unmapped.is_empty() {
        return;
    }
    ui::warn(&format!(
        "{} .gitleaksignore entr{} could not be mapped (a commit's finding, or a rule this scanner does not have): {}",
        base.unmapped.len(),
        if base.unmapped.len() == 1 { "y" } else { "ies" },
        base.unmapped.iter().map(|e| ui::clean_line(e)).collect::<Vec<_>>().join(", ")
    ));
}

/// What a handoff from `dir` would scan: the change set (the old side too when the base is
/// not on a remote). Returns the findings and the repository's working tree.
pub fn handoff_findings(
    scanner: &Scanner,
    dir: &std::path::Path,
    exclude: &[String],
    untracked: bool,
) -> Result<(Vec<Finding>, std::path::PathBuf)> {
    git::exclude_set(exclude)?;
    let opts = CaptureOptions {
        include_untracked: untracked,
        excludes: exclude.to_vec(),
        ..CaptureOptions::default()
    };
    let state = git::capture(dir, &opts)?.ok_or_else(not_in_repo)?;
    let blobs = git::Blobs::open(&state.workdir);
    let get = |id: &str| blobs.get(id);
    let scope = Scope {
        old_side: !state.base.on_remote,
        blobs: Some(&get),
    };
    let found = state
        .changes
        .files
        .iter()
        .flat_map(|f| scanner.scan_file_patch(&f.patch, scope))
        .collect();
    Ok((found, state.workdir.clone()))
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

fn report(args: &ScanArgs, settings: &Settings, findings: &[Finding]) -> Result<()> {
    let format = match args.format {
        Some(f) => f,
        None if settings.out.is_json() => ScanFormat::Json,
        None => ScanFormat::Text,
    };
    match format {
        ScanFormat::Sarif => crate::ui::print_json(&sarif::log(findings)),
        ScanFormat::Json => crate::ui::print_json(&serde_json::json!({ "findings": findings })),
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
