//! The guard stage: scan everything that would leave the machine, let the policy decide
//! (`scan::policy`), ask through [`Interact`] only when it says so, then block, redact in
//! place, or let it go with a warning.

use super::{Inputs, Interact, SecretChoice};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, RepoState};
use crate::prompt::SecretsReport;
use crate::scan::policy::{self, Decision, Policy};
use crate::scan::{redact, Finding, Scanner, Scope};
use crate::settings::{HandoffRequest, Settings};

/// What the guard decided. A choice at the secrets question does not replace the
/// confirmation: the person still sees what will go, after redaction, and confirms it.
pub(super) struct Guarded {
    pub report: Option<SecretsReport>,
    /// With `--secrets session`: the secrets that go as session secrets.
    pub session_secrets: Vec<crate::api::types::SessionSecret>,
}

/// Leaves out the findings a person accepted for this repository (`.handoff-baseline.json`,
/// or a `.gitleaksignore` entry that maps onto them): they are not secrets to stop for. Says
/// how many, and which gitleaks entries could not be mapped.
fn accepted(
    workdir: &std::path::Path,
    findings: Vec<Finding>,
    in_history: Vec<Finding>,
    ui: &mut dyn Interact,
) -> Result<(Vec<Finding>, Vec<Finding>)> {
    let base = crate::scan::baseline::Baseline::for_repository(workdir)?;
    if !base.unmapped.is_empty() {
        ui.warn(&format!(
            "{} .gitleaksignore entries could not be mapped onto this scanner's findings",
            base.unmapped.len()
        ));
    }
    let (kept, a) = base.filter(findings);
    let (kept_history, b) = base.filter(in_history);
    if a + b > 0 {
        ui.note(&format!(
            "{} finding{} accepted by {}",
            a + b,
            if a + b == 1 { "" } else { "s" },
            base.sources.join(" and ")
        ));
    }
    Ok((kept, kept_history))
}

/// Scans everything that would leave the machine and applies the policy.
///
/// What is scanned: the request's texts (task, context, title, tags, IDs), the branch, and
/// every file's patch: added lines always, and removed and context lines, old names and old
/// binary content too when the base is not on a remote (see [`crate::scan::Scope`]). With
/// `--history`, every commit's message, author and own change.
pub(super) fn guard(
    req: &HandoffRequest,
    settings: &Settings,
    inputs: &mut Inputs,
    state: Option<&mut RepoState>,
    ui: &mut dyn Interact,
) -> Result<Guarded> {
    let scanner = Scanner::new();
    let blobs = state.as_deref().map(|s| git::Blobs::open(&s.workdir));
    let get = |id: &str| blobs.as_ref().and_then(|b| b.get(id));
    let scope = Scope {
        old_side: state.as_deref().is_some_and(|s| !s.base.on_remote),
        blobs: Some(&get),
    };
    let mut findings = scan_all(&scanner, req, inputs, state.as_deref(), scope);
    let mut in_history = history_findings(&scanner, state.as_deref(), scope)?;
    if let Some(s) = state.as_deref() {
        (findings, in_history) = accepted(&s.workdir, findings, in_history, ui)?;
    }
    let history_hits = in_history.len();
    findings.extend(in_history);
    if findings.is_empty() {
        return Ok(Guarded {
            report: None,
            session_secrets: Vec::new(),
        });
    }
    let headline = headline(&findings);
    let policy = choose(req, settings, &headline, &findings, ui)?;
    let mut report = SecretsReport {
        policy: policy.name(),
        findings: findings.clone(),
        withheld: Vec::new(),
        redacted: Vec::new(),
        session_secrets: Vec::new(),
    };
    // Taken before redaction replaces them.
    let passed = match (&state, policy) {
        (Some(s), Policy::Session) => redact::assigned_secrets(&scanner, &s.changes),
        _ => Vec::new(),
    };
    match policy {
        Policy::Block | Policy::Ask => {
            ui.show_findings(&headline, &findings);
            Err(blocked(&headline, &findings))
        }
        Policy::Allow => {
            ui.warn(&format!(
                "{headline}: sending them as they are (--secrets allow)"
            ));
            Ok(Guarded {
                report: Some(report),
                session_secrets: Vec::new(),
            })
        }
        Policy::Redact | Policy::Session if history_hits > 0 => {
            Err(history_blocks(&headline, &findings))
        }
        Policy::Redact | Policy::Session => {
            let n = redact_all(&scanner, inputs, state, scope, &findings, &mut report)?;
            let w = report.withheld.len();
            let session_secrets = to_session_secrets(passed);
            report.session_secrets = session_secrets.iter().map(|s| s.key.clone()).collect();
            let how = match policy {
                Policy::Session => format!("; {} passed as session secrets", session_secrets.len()),
                _ => String::new(),
            };
            let s = if w == 1 { "" } else { "s" };
            let flag = policy.name();
            ui.warn(&format!(
                "{headline}: {n} redacted, {w} file{s} withheld{how} (--secrets {flag})"
            ));
            Ok(Guarded {
                report: Some(report),
                session_secrets,
            })
        }
    }
}

/// Redacts the request's texts and the change set in place, recording in `report` what
/// was done; returns how many secrets were replaced in all.
fn redact_all(
    scanner: &Scanner,
    inputs: &mut Inputs,
    mut state: Option<&mut RepoState>,
    scope: Scope<'_>,
    findings: &[Finding],
    report: &mut SecretsReport,
) -> Result<usize> {
    let mut n = redact_metadata(scanner, inputs, state.as_deref_mut(), findings)?;
    if let Some(s) = state {
        let r = redact::redact_changes(scanner, &mut s.changes, scope);
        n += r.redacted.iter().map(|f| f.secrets).sum::<usize>();
        report.withheld = r.withheld;
        report.redacted = r.redacted;
    }
    Ok(n)
}

/// Name and value pairs as the API's session secrets, sensitive, within its limits (a key of
/// 1 to 256 characters, a value of at most 65536).
fn to_session_secrets(pairs: Vec<(String, String)>) -> Vec<crate::api::types::SessionSecret> {
    pairs
        .into_iter()
        .filter(|(k, v)| k.chars().count() <= 256 && v.chars().count() <= 65536)
        .map(|(key, value)| crate::api::types::SessionSecret {
            key,
            value: secrecy::SecretString::from(value),
            sensitive: true,
        })
        .collect()
}

/// The policy for these findings: the flag, the config, or a person's answer; `session`
/// only where session secrets exist (v3 keys).
fn choose(
    req: &HandoffRequest,
    settings: &Settings,
    headline: &str,
    findings: &[Finding],
    ui: &mut dyn Interact,
) -> Result<Policy> {
    let policy = match policy::decide(req.secrets, settings.default_secrets, ui.can_ask()) {
        Decision::Ask => ask(headline, findings, ui)?,
        Decision::Block => Policy::Block,
        Decision::Redact => Policy::Redact,
        Decision::Allow => Policy::Allow,
        Decision::Session => Policy::Session,
    };
    let v1 = settings
        .known_key()
        .is_some_and(|k| k.flavor() == crate::config::KeyFlavor::V1);
    if policy == Policy::Session && v1 {
        return Err(Error::usage(
            "--secrets session needs a v3 key: the v1 API has no session secrets",
        )
        .hint("--secrets redact sends the change with each secret replaced"));
    }
    Ok(policy)
}

/// The findings in the request's texts and in every file's patch.
fn scan_all(
    scanner: &Scanner,
    req: &HandoffRequest,
    inputs: &Inputs,
    state: Option<&RepoState>,
    scope: Scope<'_>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for (label, text) in metadata(req, inputs, state) {
        findings.extend(scanner.scan_text(&text, &label));
    }
    for f in state.into_iter().flat_map(|s| &s.changes.files) {
        findings.extend(scanner.scan_file_patch(&f.patch, scope));
    }
    findings
}

/// With `--history` every commit travels: its message, its author, and its own change.
fn history_findings(
    scanner: &Scanner,
    state: Option<&RepoState>,
    scope: Scope<'_>,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let Some((s, h)) = state.and_then(|s| s.history.as_ref().map(|h| (s, h))) else {
        return Ok(findings);
    };
    for c in &h.commits {
        let label = format!("<commit {}>", git::short(&c.id));
        findings.extend(scanner.scan_text(&c.message, &label));
        findings.extend(scanner.scan_text(&c.author, &label));
    }
    let ids: Vec<String> = h.commits.iter().map(|c| c.id.clone()).collect();
    for patch in git::commit_patches(&s.workdir, &ids)? {
        findings.extend(scanner.scan_file_patch(&patch, scope));
    }
    Ok(findings)
}

/// "3 possible secrets in a.env, <task>".
fn headline(findings: &[Finding]) -> String {
    let files: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.path.as_str()).collect();
    format!(
        "{} possible secret{} in {}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        files.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// Puts the choice to a person; the answer becomes the policy.
fn ask(headline: &str, findings: &[Finding], ui: &mut dyn Interact) -> Result<Policy> {
    match ui.secrets(headline, findings)? {
        SecretChoice::Redact => Ok(Policy::Redact),
        SecretChoice::SendAnyway => Ok(Policy::Allow),
        SecretChoice::Session => Ok(Policy::Session),
        SecretChoice::Abort => Err(Error::new(ErrorKind::NotSent, "aborted: nothing was sent")),
    }
}

/// Secrets in unpushed commits under `--history`: redacting them would change the commits'
/// IDs, so nothing goes.
fn history_blocks(headline: &str, findings: &[Finding]) -> Error {
    Error::new(
        ErrorKind::NotSent,
        format!("{headline}: the unpushed commits hold secrets, and redacting them would change their IDs: nothing was sent"),
    )
    .hint("send without --history (the patch can be redacted), or rewrite the commits first")
    .with_detail("findings", serde_json::to_value(findings).unwrap_or_default())
}

/// The blocked handoff's error (exit 3), with the masked findings for `--json`.
fn blocked(headline: &str, findings: &[Finding]) -> Error {
    Error::new(ErrorKind::NotSent, format!("{headline}: nothing was sent"))
        .hint("remove them, mark false alarms with a `handoff:allow` comment, or list paths in .handoffignore")
        .hint("--secrets redact sends the change with each secret replaced and sensitive files withheld")
        .with_detail("findings", serde_json::to_value(findings).unwrap_or_default())
}

/// A follow-up message's guard: the same policy as a handoff's, for one text. Returns the
/// text to send (redacted when so decided).
pub fn guard_message(
    text: &str,
    flag: Option<Policy>,
    settings: &Settings,
    ui: &mut dyn Interact,
) -> Result<String> {
    let scanner = Scanner::new();
    let findings = scanner.scan_text(text, "<message>");
    if findings.is_empty() {
        return Ok(text.to_string());
    }
    let headline = headline(&findings);
    let policy = match policy::decide(flag, settings.default_secrets, ui.can_ask()) {
        Decision::Ask => ask(&headline, &findings, ui)?,
        Decision::Block => Policy::Block,
        // A follow-up message has no session secrets to carry: redact.
        Decision::Redact | Decision::Session => Policy::Redact,
        Decision::Allow => Policy::Allow,
    };
    match policy {
        Policy::Redact | Policy::Session => Ok(redact::redact_text(&scanner, text, "<message>").0),
        Policy::Allow => {
            ui.warn(&format!(
                "{headline}: sending the message with them (--secrets allow)"
            ));
            Ok(text.to_string())
        }
        Policy::Block | Policy::Ask => {
            ui.show_findings(&headline, &findings);
            Err(blocked(&headline, &findings))
        }
    }
}

/// The texts of a handoff besides the patch, each with the label its findings carry: the
/// request's own fields and what the prompt says of the repository.
fn metadata(
    req: &HandoffRequest,
    inputs: &Inputs,
    state: Option<&RepoState>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![("<task>".into(), inputs.task.clone())];
    let texts = [("<context>", &inputs.context), ("<title>", &inputs.title)];
    for (label, v) in texts {
        if let Some(v) = v {
            out.push((label.into(), v.clone()));
        }
    }
    out.extend(inputs.tags.iter().map(|t| ("<tag>".into(), t.clone())));
    let ids = [
        ("<playbook>", &req.playbook),
        ("<repo>", &req.repo),
        ("<mode>", &req.mode),
    ];
    for (label, v) in ids {
        if let Some(v) = v {
            out.push((label.into(), v.clone()));
        }
    }
    out.extend(
        req.knowledge
            .iter()
            .map(|k| ("<knowledge>".into(), k.clone())),
    );
    if let Some(s) = state {
        if let git::Head::Branch { name, .. } | git::Head::Unborn { name } = &s.head {
            out.push(("<branch>".into(), name.clone()));
        }
        if !s.base.on_remote {
            if let Some(up) = &s.upstream {
                out.push(("<upstream>".into(), up.name.clone()));
            }
            if let Some(summary) = &s.base.summary {
                out.push(("<base commit>".into(), summary.clone()));
            }
        }
        for l in &s.changes.left_out {
            out.push(("<left-out path>".into(), l.path.clone()));
        }
    }
    out
}

/// Redacts the handoff's own texts in place; returns how many secrets were replaced, or an
/// error for texts that cannot be redacted (IDs).
fn redact_metadata(
    scanner: &Scanner,
    inputs: &mut Inputs,
    state: Option<&mut RepoState>,
    findings: &[Finding],
) -> Result<usize> {
    let is_id = |f: &&Finding| {
        matches!(
            f.path.as_str(),
            "<playbook>" | "<repo>" | "<mode>" | "<knowledge>"
        )
    };
    if let Some(f) = findings.iter().find(is_id) {
        return Err(Error::new(
            ErrorKind::NotSent,
            format!(
                "{} holds a possible secret ({}): nothing was sent",
                f.path, f.rule
            ),
        ));
    }
    let mut n = 0;
    let mut fix = |text: &mut String, label: &str| {
        let (t, k) = redact::redact_text(scanner, text, label);
        *text = t;
        n += k;
    };
    fix(&mut inputs.task, "<task>");
    if let Some(c) = &mut inputs.context {
        fix(c, "<context>");
    }
    if let Some(t) = &mut inputs.title {
        fix(t, "<title>");
    }
    for t in &mut inputs.tags {
        fix(t, "<tag>");
    }
    if let Some(s) = state {
        if let git::Head::Branch { name, .. } | git::Head::Unborn { name } = &mut s.head {
            fix(name, "<branch>");
        }
        if let Some(up) = &mut s.upstream {
            fix(&mut up.name, "<upstream>");
        }
        if let Some(summary) = &mut s.base.summary {
            fix(summary, "<base commit>");
        }
        for l in &mut s.changes.left_out {
            fix(&mut l.path, "<left-out path>");
        }
    }
    Ok(n)
}
