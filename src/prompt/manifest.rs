//! The manifest: what a handoff includes, what it left out and why, and what the secret
//! guard did. Shown by `--dry-run --json` and returned by `create --json`.

use serde::Serialize;

use crate::git::{Head, LeftOut};

/// The composed prompt and the record of what it carries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Composed {
    #[serde(skip)]
    pub prompt: String,
    pub manifest: Manifest,
}

/// What is included and what was left out, and why. Shown by `--dry-run --json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Manifest {
    /// `false` when the handoff was made outside a repository: the task alone goes.
    pub in_repository: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepoSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<crate::git::Upstream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<crate::git::Base>,
    pub unpushed_commits: usize,
    /// With `--history`: the commits the bundle carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::git::History>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_in_progress: Option<String>,
    pub files: Vec<crate::git::FileInfo>,
    pub left_out: Vec<LeftOut>,
    pub additions: usize,
    pub deletions: usize,
    /// Size of the patch in bytes.
    pub patch_bytes: usize,
    /// The tree ID the replay must end with, which the steps' last line checks (`git add` of
    /// the replayed working tree gives it); absent when no check could be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// `inline` (in the prompt), `inline_cut` (in the prompt, cut to the budget),
    /// `attachment` (uploaded), or `none` (nothing to send).
    pub delivery: &'static str,
    pub prompt_bytes: usize,
    pub warnings: Vec<String>,
    /// What the secret guard found and did; absent when nothing was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsReport>,
}

/// The secret guard's part of the manifest. Findings are masked.
#[derive(Debug, Clone, Serialize)]
pub struct SecretsReport {
    /// `redact` or `allow` (a blocked handoff has no manifest).
    pub policy: &'static str,
    pub findings: Vec<crate::scan::Finding>,
    /// Files withheld whole.
    pub withheld: Vec<LeftOut>,
    /// Files sent with their secrets replaced.
    pub redacted: Vec<crate::scan::redact::RedactedFile>,
    /// With `--secrets session`: the names passed as session secrets (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session_secrets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoSummary {
    pub host: String,
    pub full_name: String,
    pub remote: Option<String>,
}
