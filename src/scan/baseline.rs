//! Baselines: findings accepted once and ignored after, by fingerprint (the rule, the path
//! and a hash of the secret, so that moving lines keeps them), and gitleaks'
//! `.gitleaksignore`, whose `path:rule:line` entries are honoured where their rule maps onto
//! one of ours. A baseline file holds no secret values, not even masked ones.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Finding;
use crate::error::{Error, Result};

/// The baseline a handoff honours, at the repository's root.
pub const REPO_BASELINE: &str = ".handoff-baseline.json";
/// gitleaks' list of accepted findings, at the repository's root.
pub const GITLEAKSIGNORE: &str = ".gitleaksignore";

/// One accepted finding as written to a baseline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    /// What wrote it, so that a person opening it knows.
    tool: String,
    version: u32,
    findings: Vec<Entry>,
}

/// gitleaks rule IDs whose name differs from ours (the same detector, named otherwise).
const GITLEAKS_RULES: &[(&str, &str)] = &[
    ("aws-access-token", "aws-access-key-id"),
    ("generic-api-key", "generic-secret"),
    ("gcp-api-key", "google-api-key"),
    ("slack-webhook-url", "slack-webhook"),
    ("stripe-access-token", "stripe-key"),
    ("npm-access-token", "npm-token"),
    ("pypi-upload-token", "pypi-token"),
    ("openai-api-key", "openai-key"),
    ("anthropic-api-key", "anthropic-key"),
    ("anthropic-admin-api-key", "anthropic-key"),
    ("sendgrid-api-token", "sendgrid-key"),
    ("heroku-api-key", "heroku-key"),
    ("huggingface-access-token", "huggingface-token"),
    ("mailgun-private-api-token", "mailgun-key"),
    ("rubygems-api-token", "rubygems-token"),
    ("shopify-access-token", "shopify-token"),
    ("twilio-api-key", "twilio-api-key"),
    ("gitlab-ptt", "gitlab-pipeline-trigger-token"),
    ("gitlab-rrt", "gitlab-runner-registration-token"),
    ("github-app-token", "github-app-token"),
    ("jwt-base64", "jwt-base64"),
];

/// Our rule for a gitleaks rule ID (`ours` being [`super::rule_ids`]): the same name, or
/// the known renaming.
fn map_gitleaks_rule(id: &str, ours: &[&'static str]) -> Option<&'static str> {
    if let Some(same) = ours.iter().find(|r| **r == id) {
        return Some(same);
    }
    GITLEAKS_RULES
        .iter()
        .find(|(g, _)| *g == id)
        .and_then(|(_, o)| ours.iter().find(|r| **r == *o).copied())
}

/// Accepted findings: fingerprints from baselines, and `path:rule:line` keys from a
/// `.gitleaksignore`. `unmapped` lists the gitleaks entries that match nothing we report.
#[derive(Debug, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
    line_keys: HashSet<String>,
    pub unmapped: Vec<String>,
    /// The files read, for messages.
    pub sources: Vec<String>,
}

impl Baseline {
    /// Whether nothing is accepted.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.line_keys.is_empty()
    }

    /// Adds a baseline file written by `scan --write-baseline`.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::usage(format!("cannot read the baseline {}: {e}", path.display()))
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!("{} is not a baseline file: {e}", path.display()))
                .hint("write one with: devin-handoff scan --write-baseline FILE")
        })?;
        self.fingerprints
            .extend(file.findings.into_iter().map(|e| e.fingerprint));
        self.sources.push(path.display().to_string());
        Ok(())
    }

    /// Adds a `.gitleaksignore`: each `path:rule:line` entry whose rule maps onto ours.
    /// Entries that name a commit (findings in history), or a rule we do not have, are kept
    /// in `unmapped` to be reported.
    pub fn add_gitleaksignore(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        let ours = super::rule_ids();
        for raw in text.lines() {
            let entry = raw.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match map_gitleaks_entry(entry, &ours) {
                Some(key) => {
                    self.line_keys.insert(key);
                }
                None => self.unmapped.push(entry.to_string()),
            }
        }
        self.sources.push(path.display().to_string());
        Ok(())
    }

    /// The baselines at a repository's root, those that exist.
    pub fn for_repository(workdir: &Path) -> Result<Baseline> {
        let mut b = Baseline::default();
        let own = workdir.join(REPO_BASELINE);
        if own.is_file() {
            b.add_file(&own)?;
        }
        let gl = workdir.join(GITLEAKSIGNORE);
        if gl.is_file() {
            b.add_gitleaksignore(&gl)?;
        }
        // Named as the repository names them, not by this machine's folders.
        b.sources = [REPO_BASELINE, GITLEAKSIGNORE]
            .into_iter()
            .filter(|n| workdir.join(n).is_file())
            .map(str::to_string)
            .collect();
        Ok(b)
    }

    /// Whether `f` is accepted.
    pub fn accepts(&self, f: &Finding) -> bool {
        self.fingerprints.contains(&f.fingerprint)
            || f.line_key().is_some_and(|k| self.line_keys.contains(&k))
    }

    /// Splits findings into those still to report and those accepted.
    pub fn split(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
        findings.into_iter().partition(|f| !self.accepts(f))
    }
}

/// `path:rule:line` with the rule mapped onto ours; `None` for an entry that names a commit
/// (`commit:path:rule:line`), has no line, or a rule we do not have.
fn map_gitleaks_entry(entry: &str, ours: &[&'static str]) -> Option<String> {
    let mut parts = entry.rsplitn(3, ':');
    let line: usize = parts.next()?.parse().ok()?;
    let rule = map_gitleaks_rule(parts.next()?, ours)?;
    let path = parts.next()?;
    let names_commit = path
        .split_once(':')
        .is_some_and(|(c, _)| c.len() >= 7 && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    if names_commit || path.is_empty() {
        return None;
    }
    Some(format!("{path}:{rule}:{line}"))
}

/// Writes `findings` as a baseline to `path`, whole or not at all.
pub fn write(path: &Path, findings: &[Finding]) -> Result<()> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.to_string(),
            path: f.path.clone(),
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
    });
    entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    let file = File {
        tool: "devin-handoff".into(),
        version: 1,
        findings: entries,
    };
    let text = serde_json::to_string_pretty(&file)
        .map_err(|e| Error::other(format!("cannot encode the baseline: {e}")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut tmp, format!("{text}\n").as_bytes())?;
    tmp.persist(path)
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn gitleaks_entries_map_by_rule_and_commits_do_not() {
        let ours = crate::scan::rule_ids();
        let map_gitleaks_entry = |e: &str| super::map_gitleaks_entry(e, &ours);
        assert_eq!(
            map_gitleaks_entry("src/a.rs:aws-access-token:12").as_deref(),
            Some("src/a.rs:aws-access-key-id:12")
        );
        assert_eq!(
            map_gitleaks_entry("dir/with:colon/b.py:github-pat:3").as_deref(),
            Some("dir/with:colon/b.py:github-pat:3")
        );
        assert_eq!(
            map_gitleaks_entry("0123abcd4567ef:src/a.rs:github-pat:1"),
            None
        );
        assert_eq!(map_gitleaks_entry("src/a.rs:no-such-rule:1"), None);
        assert_eq!(map_gitleaks_entry("src/a.rs:github-pat"), None);
    }
}
