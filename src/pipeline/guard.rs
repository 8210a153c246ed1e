//! The guard stage: scan everything that would leave the machine, let the policy decide
//! (`scan::policy`), ask through [`Interact`] only when it says so, then block, redact in
//! place, or let it go with a warning.

use super::HandoffRequest;
use super::{Inputs, Interact};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, RepoState};
use crate::prompt::SecretsReport;
use crate::scan::policy::{self, Policy, Refusal};
use crate::scan::{redact, Finding, Scanner, Scope};
use crate::settings::Settings;

/// What the guard decided. A choice at the secrets question does not replace the
/// confirmation: the person still sees what will go, after redaction, and confirms it.
pub(super) struct Guarded {
    pub report: Option<SecretsReport>,
    /// With `--secrets session`: the secrets that go as session secrets.
    pub session_secrets: Vec<crate::api::types::SessionSecret>,
}

/// The findings suppression files accept, and those a repository's own files listed but
/// could not accept.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Accepted, each with the file that accepted it.
    pub accepted: Vec<(Finding, String)>,
    /// Listed in the repository's own suppression files, but its secret is not in a commit
    /// a hosted remote has: still a finding.
    pub refused: Vec<Finding>,
}

/// Which of `findings` suppression files accept (`false` in the answer). A baseline the
/// user names (`--baseline`, `baseline` in the config file) accepts all it lists. What the
/// repository's author controls (`.handoff-baseline.json`, `.gitleaksignore`) accepts only a
/// secret already in the base commit, when a hosted remote has that commit: accepting what
/// is already public is their purpose, and a clone must not switch the guard off for
/// secrets written later. Each accepted finding is said, masked.
pub fn accept(
    scanner: &Scanner,
    state: &RepoState,
    user: Option<&std::path::Path>,
    findings: &[Finding],
    ui: &mut dyn Interact,
) -> Result<(Vec<bool>, Accepted)> {
    use crate::scan::baseline::Baseline;
    let mut out = Accepted::default();
    let mut keep = vec![true; findings.len()];
    if let Some(file) = user {
        let mut b = Baseline::default();
        b.add_file(file)?;
        let source = file.display().to_string();
        for (i, f) in findings.iter().enumerate() {
            if b.accepts(f) {
                keep[i] = false;
                out.accepted.push((f.clone(), source.clone()));
            }
        }
    }
    let repo = Baseline::for_repository(&state.workdir)?;
    if !repo.unmapped.is_empty() {
        ui.warn(&format!(
            "{} .gitleaksignore entr{} could not be mapped onto this scanner's findings (a commit's finding, or a rule it does not have)",
            repo.unmapped.len(),
            if repo.unmapped.len() == 1 { "y" } else { "ies" },
        ));
    }
    let public = PublicSecrets::new(scanner, state);
    let source = repo.sources.join(" and ");
    for (i, f) in findings.iter().enumerate() {
        if !keep[i] || !repo.accepts(f) {
            continue;
        }
        if public.holds(f) {
            keep[i] = false;
            out.accepted.push((f.clone(), source.clone()));
        } else {
            out.refused.push(f.clone());
        }
    }
    for (f, by) in &out.accepted {
        ui.note(&format!(
            "accepted by {by}: {} {} {}",
            place(f),
            f.rule,
            f.masked
        ));
    }
    if !out.refused.is_empty() {
        let n = out.refused.len();
        ui.warn(&format!(
            "{n} finding{} listed in {source} not accepted: {} secret is not in a commit the remote has (a repository's own suppression files accept only what is already public; a baseline you name with --baseline or in the config file accepts anything)",
            if n == 1 { "" } else { "s" },
            if n == 1 { "its" } else { "their" },
        ));
    }
    Ok((keep, out))
}

/// `path:line`, or the path alone.
fn place(f: &Finding) -> String {
    match f.line {
        Some(l) => format!("{}:{l}", f.path),
        None => f.path.clone(),
    }
}

/// The secrets of the base commit's files, when a hosted remote has that commit: a finding
/// whose secret (rule and value, by fingerprint hash) is in the same file there is public.
struct PublicSecrets<'a> {
    scanner: &'a Scanner,
    base: Option<String>,
    blobs: git::Blobs,
    cache: std::cell::RefCell<std::collections::HashMap<String, std::collections::HashSet<String>>>,
}

impl<'a> PublicSecrets<'a> {
    fn new(scanner: &'a Scanner, state: &RepoState) -> PublicSecrets<'a> {
        PublicSecrets {
            scanner,
            base: state.base.commit.clone().filter(|_| state.base.on_remote),
            blobs: git::Blobs::open(&state.workdir),
            cache: Default::default(),
        }
    }

    fn holds(&self, f: &Finding) -> bool {
        // A finding about a file's name (a sensitive file) holds no value to look for.
        let (Some(base), Some(_)) = (&self.base, f.line) else {
            return false;
        };
        let hash = |fp: &str| fp.rsplit(':').next().unwrap_or_default().to_string();
        let mut cache = self.cache.borrow_mut();
        let known = cache.entry(f.path.clone()).or_insert_with(|| {
            let Some(bytes) = self.blobs.at(base, &f.path) else {
                return Default::default();
            };
            let mut found = self
                .scanner
                .scan_text(&String::from_utf8_lossy(&bytes), &f.path);
            self.scanner
                .scan_bytes(&bytes, &f.path, crate::scan::Side::Added, &mut found);
            found.iter().map(|x| hash(&x.fingerprint)).collect()
        });
        known.contains(&hash(&f.fingerprint))
    }
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
    let (mut findings, in_history, _) =
        scan_handoff(&scanner, req, settings, inputs, state.as_deref(), ui)?;
    let history_hits = in_history.len();
    findings.extend(in_history);
    if findings.is_empty() {
        return Ok(Guarded {
            report: None,
            session_secrets: Vec::new(),
        });
    }
    let headline = headline(&findings);
    let policy = choose(req, settings, (&headline, &findings, history_hits > 0), ui)?;
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
        Policy::Redact | Policy::Session => {
            let blobs = state.as_deref().map(|s| git::Blobs::open(&s.workdir));
            let get = |id: &str| blobs.as_ref().and_then(|b| b.get(id));
            let scope = Scope {
                old_side: state.as_deref().is_some_and(|s| !s.base.on_remote),
                blobs: Some(&get),
            };
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

/// The policy for these findings: the flag, the config, or a person's answer, as
/// [`policy::decide`] rules.
fn choose(
    req: &HandoffRequest,
    settings: &Settings,
    (headline, findings, in_history): (&str, &[Finding], bool),
    ui: &mut dyn Interact,
) -> Result<Policy> {
    let mut situation = policy::Situation {
        can_ask: ui.can_ask(),
        carries_session_secrets: true,
        v1_key: settings
            .known_key()
            .is_some_and(|k| k.flavor() == crate::api::KeyFlavor::V1),
        in_history,
    };
    let mut asked = policy::requested(req.secrets, settings.default_secrets);
    loop {
        match policy::decide(asked, &situation) {
            Ok(Some(p)) => return Ok(p),
            Ok(None) => {
                asked = ask(headline, findings, ui)?;
                situation.can_ask = false;
            }
            Err(Refusal::SessionNeedsV3) => {
                return Err(Error::usage(
                    "--secrets session needs a v3 key: the v1 API has no session secrets",
                )
                .hint("--secrets redact sends the change with each secret replaced"))
            }
            Err(Refusal::HistoryCannotBeRedacted) => {
                return Err(history_blocks(headline, findings))
            }
        }
    }
}

/// Everything a handoff would send, scanned, less what suppression files accept: the
/// findings in the request and the change set, and those in the history (which cannot be
/// redacted). `scan` runs this too, so it reports exactly what would stop a handoff.
pub(crate) fn scan_handoff(
    scanner: &Scanner,
    req: &HandoffRequest,
    settings: &Settings,
    inputs: &Inputs,
    state: Option<&RepoState>,
    ui: &mut dyn Interact,
) -> Result<(Vec<Finding>, Vec<Finding>, Accepted)> {
    let blobs = state.map(|s| git::Blobs::open(&s.workdir));
    let get = |id: &str| blobs.as_ref().and_then(|b| b.get(id));
    let scope = Scope {
        old_side: state.is_some_and(|s| !s.base.on_remote),
        blobs: Some(&get),
    };
    let findings = scan_all(scanner, req, settings, inputs, state, scope);
    let in_history = history_findings(scanner, state, scope)?;
    let Some(s) = state else {
        return Ok((findings, in_history, Accepted::default()));
    };
    let n = findings.len();
    let all: Vec<Finding> = findings.into_iter().chain(in_history).collect();
    let user = req.baseline.as_deref().or(settings.baseline.as_deref());
    let (keep, accepted) = accept(scanner, s, user, &all, ui)?;
    let (mut kept, mut hist) = (Vec::new(), Vec::new());
    for (i, f) in all.into_iter().enumerate() {
        match (keep[i], i < n) {
            (false, _) => {}
            (true, true) => kept.push(f),
            (true, false) => hist.push(f),
        }
    }
    Ok((kept, hist, accepted))
}

/// The findings in the request's texts and in every file's patch.
fn scan_all(
    scanner: &Scanner,
    req: &HandoffRequest,
    settings: &Settings,
    inputs: &Inputs,
    state: Option<&RepoState>,
    scope: Scope<'_>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for (label, text) in metadata(req, settings, inputs, state) {
        findings.extend(scanner.scan_text(&text, &label));
    }
    for f in state.into_iter().flat_map(|s| &s.changes.files) {
        findings.extend(scanner.scan_file_patch(&f.patch, scope));
    }
    findings
}

/// Whether the unpushed commits that would travel as commits hold a possible secret.
pub(super) fn history_holds_secrets(state: Option<&RepoState>) -> Result<bool> {
    let Some(s) = state.filter(|s| s.history.as_ref().is_some_and(|h| !h.commits.is_empty()))
    else {
        return Ok(false);
    };
    let blobs = git::Blobs::open(&s.workdir);
    let get = |id: &str| blobs.get(id);
    let scope = Scope {
        old_side: !s.base.on_remote,
        blobs: Some(&get),
    };
    Ok(!history_findings(&Scanner::new(), Some(s), scope)?.is_empty())
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
        findings.extend(scanner.scan_text(&c.header, &label));
    }
    let ids: Vec<String> = h.commits.iter().map(|c| c.id.clone()).collect();
    for patch in git::commit_patches(&s.workdir, &ids)? {
        findings.extend(scanner.scan_file_patch(&patch, scope));
    }
    Ok(findings)
}

/// A redacted branch name that git accepts: each `[REDACTED:rule]` becomes
/// `REDACTED-rule`.
fn ref_safe(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find("[REDACTED:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "[REDACTED:".len()..];
        match after.find(']') {
            Some(j) => {
                out.push_str("REDACTED-");
                out.push_str(&after[..j]);
                rest = &after[j + 1..];
            }
            None => {
                out.push_str("REDACTED-");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// "3 possible secrets in a.env, <task>".
pub(super) fn headline(findings: &[Finding]) -> String {
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
pub(super) fn ask(headline: &str, findings: &[Finding], ui: &mut dyn Interact) -> Result<Policy> {
    ui.secrets(headline, findings)?
        .policy()
        .ok_or_else(|| Error::new(ErrorKind::NotSent, "aborted: nothing was sent"))
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
pub(super) fn blocked(headline: &str, findings: &[Finding]) -> Error {
    Error::new(ErrorKind::NotSent, format!("{headline}: nothing was sent"))
        .hint("remove them, mark false alarms with a `handoff:allow` comment, or list paths in .handoffignore")
        .hint("--secrets redact sends the change with each secret replaced and sensitive files withheld")
        .with_detail("findings", serde_json::to_value(findings).unwrap_or_default())
}

/// The texts of a handoff besides the patch, each with the label its findings carry: the
/// request's own fields and what the prompt says of the repository.
fn metadata(
    req: &HandoffRequest,
    settings: &Settings,
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
        ("<user-id>", &settings.user_id),
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
    if let Some(schema) = &inputs.report {
        // One line per field: the scanner reads `"key": "value"` pairs as assignments.
        let text = serde_json::to_string_pretty(schema).unwrap_or_default();
        out.push(("<report schema>".into(), text));
    }
    if let Some(s) = state {
        if let git::Head::Branch { name, .. } | git::Head::Unborn { name } = &s.head {
            out.push(("<branch>".into(), name.clone()));
        }
        // Ref names travel as words of the prompt and manifest even when the commits they
        // name are on the remote: a name is not content the remote is known to publish.
        if let Some(up) = &s.upstream {
            out.push(("<upstream>".into(), up.name.clone()));
        }
        if let Some(via) = s
            .base
            .via
            .as_ref()
            .filter(|v| s.upstream.as_ref().map(|u| &u.name) != Some(*v))
        {
            out.push(("<base ref>".into(), via.clone()));
        }
        if !s.base.on_remote {
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
            "<playbook>" | "<repo>" | "<mode>" | "<knowledge>" | "<user-id>" | "<report schema>"
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
            // The steps create the branch under this name: `[` and `:` are not allowed in
            // one.
            *name = ref_safe(name);
        }
        if let Some(up) = &mut s.upstream {
            fix(&mut up.name, "<upstream>");
        }
        if let Some(via) = &mut s.base.via {
            fix(via, "<base ref>");
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

#[cfg(test)]
mod tests {
    use super::ref_safe;

    /// What comes out is a branch name by git's rules (`git check-ref-format --branch`).
    #[test]
    fn a_redacted_branch_name_is_one_git_accepts() {
        for (name, want) in [
            ("leak-[REDACTED:github-pat]", "leak-REDACTED-github-pat"),
            ("a/[REDACTED:x]/[REDACTED:y]z", "a/REDACTED-x/REDACTED-yz"),
            ("plain", "plain"),
        ] {
            let got = ref_safe(name);
            assert_eq!(got, want);
            let ok = std::process::Command::new("git")
                .args(["check-ref-format", "--branch", &got])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "{got}");
        }
    }
}
