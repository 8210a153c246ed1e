//! Compose: turns the task, the context and the captured state into the prompt and manifest.

use std::fmt::Write as _;

use serde::Serialize;

use crate::git::{BaseSource, ChangeKind, Head, LeftOut, RepoState};

/// Session titles longer than this are cut (at a character boundary).
pub const TITLE_MAX_CHARS: usize = 100;

/// The default inline budget: patches larger than this travel as an attachment.
pub const DEFAULT_INLINE_BUDGET: usize = 64 * 1024;

/// The name the patch is uploaded under.
pub const PATCH_NAME: &str = "handoff.patch";
/// The name of the uploaded bundle of unpushed commits (`--history`).
pub const BUNDLE_NAME: &str = "handoff.bundle";

/// What the user asked for, before composition.
#[derive(Debug, Clone)]
pub struct Handoff<'a> {
    pub task: &'a str,
    pub context: Option<&'a str>,
    pub state: Option<&'a RepoState>,
    pub delivery: Delivery<'a>,
    /// With `--history`: where the uploaded bundle is (a placeholder in a dry run).
    pub bundle_url: Option<&'a str>,
}

/// How the patch travels.
#[derive(Debug, Clone, Copy)]
pub enum Delivery<'a> {
    /// In the prompt, whole.
    Inline,
    /// In the prompt, cut at file boundaries to fit this many bytes; the rest is listed.
    InlineCut(usize),
    /// As an uploaded file at this URL; the prompt carries a summary.
    Attachment(&'a str),
}

/// Files kept when a patch is cut to `budget` bytes: whole files, in order, skipping any that
/// no longer fit, so that what is kept still applies.
pub fn cut_to_budget(changes: &crate::git::ChangeSet, budget: usize) -> (Vec<usize>, Vec<usize>) {
    let mut used = 0;
    let (mut kept, mut omitted) = (Vec::new(), Vec::new());
    for (i, f) in changes.files.iter().enumerate() {
        if used + f.patch.len() <= budget {
            used += f.patch.len();
            kept.push(i);
        } else {
            omitted.push(i);
        }
    }
    (kept, omitted)
}

/// The composed prompt and the record of what it carries.
#[derive(Debug, Clone, Serialize)]
pub struct Composed {
    #[serde(skip)]
    pub prompt: String,
    pub manifest: Manifest,
}

/// What is included and what was left out, and why. Shown by `--dry-run --json`.
#[derive(Debug, Clone, Serialize)]
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
    pub files: Vec<ManifestFile>,
    pub left_out: Vec<LeftOut>,
    pub additions: usize,
    pub deletions: usize,
    /// Size of the patch in bytes.
    pub patch_bytes: usize,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoSummary {
    pub host: String,
    pub full_name: String,
    pub remote: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestFile {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
}

/// The default title: the task's first non-empty line, cut at a character boundary.
pub fn default_title(task: &str) -> String {
    let line = task
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Handoff");
    cut_chars(line, TITLE_MAX_CHARS)
}

fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A code fence longer than any run of backticks in `body` (at least three), so that no line
/// of the patch can close it.
pub fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for b in body.bytes() {
        if b == b'`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Builds the prompt: the task, then the context block, then the patch.
pub fn compose(h: &Handoff<'_>) -> Composed {
    let mut p = String::new();
    p.push_str(h.task.trim_end());
    p.push_str("\n\n---\n\n## Handoff context\n\n");

    let Some(state) = h.state else {
        p.push_str(
            "This task was handed off with devin-handoff from outside any git repository: \
             there is no local code state to reproduce.\n",
        );
        push_notes(&mut p, h.context);
        let manifest = Manifest {
            in_repository: false,
            repository: None,
            head: None,
            upstream: None,
            base: None,
            unpushed_commits: 0,
            history: None,
            operation_in_progress: None,
            files: Vec::new(),
            left_out: Vec::new(),
            additions: 0,
            deletions: 0,
            patch_bytes: 0,
            delivery: "none",
            prompt_bytes: p.len(),
            warnings: Vec::new(),
            secrets: None,
        };
        return Composed {
            prompt: p,
            manifest,
        };
    };

    p.push_str(
        "This task was handed off with devin-handoff from a local checkout. \
         Continue from exactly the local state described here.\n\n",
    );
    match &state.remote {
        Some(r) => {
            let _ = writeln!(
                p,
                "- Repository: {}/{} (`{}`)",
                r.host,
                r.full_name(),
                r.full_name()
            );
        }
        None => p.push_str("- Repository: not a hosted remote (no URL the cloud can reach)\n"),
    }
    match &state.head {
        Head::Branch { name, .. } => {
            let _ = write!(p, "- Branch: `{name}`");
        }
        Head::Detached { commit } => {
            let _ = write!(p, "- Branch: none, detached HEAD at `{commit}`");
        }
        Head::Unborn { name } => {
            let _ = write!(p, "- Branch: `{name}` (no commits yet)");
        }
    }
    if let Some(up) = &state.upstream {
        if up.exists {
            let _ = write!(
                p,
                " (upstream `{}`: {} ahead, {} behind)",
                up.name, up.ahead, up.behind
            );
        } else {
            let _ = write!(p, " (upstream `{}`, not fetched yet)", up.name);
        }
    }
    p.push('\n');
    match (&state.base.commit, state.base.source) {
        (Some(c), source) => {
            let how = match (source, &state.base.via) {
                (BaseSource::Upstream, Some(v))
                | (BaseSource::DefaultBranch, Some(v))
                | (BaseSource::RemoteBranch, Some(v)) => {
                    format!("merge-base with `{v}`")
                }
                _ => "local HEAD: no remote-tracking branch shows what the remote has".to_string(),
            };
            let summary = state
                .base
                .summary
                .as_deref()
                .map(|s| format!(" \"{}\"", cut_chars(s, 80)))
                .unwrap_or_default();
            let _ = writeln!(p, "- Base commit: `{c}`{summary} ({how})");
        }
        (None, _) => p.push_str(
            "- Base commit: none (the branch has no commits; start from an empty tree)\n",
        ),
    }
    if state.unpushed_commits > 0 {
        let _ = writeln!(
            p,
            "- Unpushed commits: {} (included in the patch)",
            state.unpushed_commits
        );
    }
    if let Some(op) = &state.operation_in_progress {
        let _ = writeln!(
            p,
            "- In progress locally: a {op} (the patch captures the working tree as it is)"
        );
    }
    let files = &state.changes.files;
    let _ = writeln!(
        p,
        "- Local changes: {} file{}, +{} -{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        state.changes.additions(),
        state.changes.deletions()
    );

    push_notes(&mut p, h.context);

    let full_len = state.changes.patch_len();
    let mut left_out = state.changes.left_out.clone();
    let delivery_name;
    if full_len == 0 {
        delivery_name = "none";
        p.push_str("\n### Local state\n\nThe working tree matches the base commit: there are no local changes.\n");
        push_checkout(&mut p, state, None, h.bundle_url);
    } else if let Delivery::Attachment(url) = h.delivery {
        delivery_name = "attachment";
        p.push_str("\n### Reproduce the local state\n\n");
        push_checkout(
            &mut p,
            state,
            Some(&format!(
                "the attached {PATCH_NAME} ({full_len} bytes), downloaded"
            )),
            h.bundle_url,
        );
        let _ = writeln!(p, "\nATTACHMENT:\"{url}\"");
        push_summary(&mut p, &state.changes);
    } else {
        let patch = match h.delivery {
            Delivery::InlineCut(budget) if full_len > budget => {
                let (kept, omitted) = cut_to_budget(&state.changes, budget);
                for i in omitted {
                    let f = &state.changes.files[i];
                    left_out.push(LeftOut {
                        path: f.path.clone(),
                        reason: format!(
                            "omitted to fit the inline budget of {budget} bytes ({} byte patch; --via attachment sends everything)",
                            f.patch.len()
                        ),
                    });
                }
                delivery_name = "inline_cut";
                kept.iter()
                    .map(|&i| state.changes.files[i].patch.as_str())
                    .collect::<String>()
            }
            _ => {
                delivery_name = "inline";
                state.changes.patch()
            }
        };
        p.push_str("\n### Reproduce the local state\n\n");
        push_checkout(&mut p, state, Some("the Patch block below"), h.bundle_url);
        let fence = fence_for(&patch);
        let _ = write!(p, "\n### Patch\n\n{fence}diff\n{patch}");
        if !patch.ends_with('\n') {
            p.push('\n');
        }
        let _ = writeln!(p, "{fence}");
    }
    push_left_out(&mut p, &left_out);

    let manifest = Manifest {
        in_repository: true,
        repository: state.remote.as_ref().map(|r| RepoSummary {
            host: r.host.clone(),
            full_name: r.full_name(),
            remote: state.remote_name.clone(),
        }),
        head: Some(state.head.clone()),
        upstream: state.upstream.clone(),
        base: Some(state.base.clone()),
        unpushed_commits: state.unpushed_commits,
        history: state.history.clone(),
        operation_in_progress: state.operation_in_progress.clone(),
        files: files
            .iter()
            .map(|f| ManifestFile {
                path: f.path.clone(),
                old_path: f.old_path.clone(),
                kind: f.kind,
                binary: f.binary,
                additions: f.additions,
                deletions: f.deletions,
            })
            .collect(),
        left_out,
        additions: state.changes.additions(),
        deletions: state.changes.deletions(),
        patch_bytes: full_len,
        delivery: delivery_name,
        prompt_bytes: p.len(),
        warnings: state.warnings.clone(),
        secrets: None,
    };
    Composed {
        prompt: p,
        manifest,
    }
}

/// Files changed with their line counts, as `git diff --stat` would list them.
fn push_summary(p: &mut String, changes: &crate::git::ChangeSet) {
    const MAX_LISTED: usize = 500;
    p.push_str("\n### Files changed\n\n");
    let mut body = String::new();
    for f in changes.files.iter().take(MAX_LISTED) {
        let name = match &f.old_path {
            Some(old) => format!("{old} => {}", f.path),
            None => f.path.clone(),
        };
        if f.binary {
            let _ = writeln!(body, "{name} | binary");
        } else {
            let _ = writeln!(body, "{name} | +{} -{}", f.additions, f.deletions);
        }
    }
    if changes.files.len() > MAX_LISTED {
        let _ = writeln!(
            body,
            "... and {} more files (all in the attachment)",
            changes.files.len() - MAX_LISTED
        );
    }
    let fence = fence_for(&body);
    let _ = write!(p, "{fence}\n{body}{fence}\n");
}

fn push_notes(p: &mut String, context: Option<&str>) {
    if let Some(ctx) = context.map(str::trim).filter(|c| !c.is_empty()) {
        p.push_str("\n### Notes from the local session\n\n");
        p.push_str(ctx);
        p.push('\n');
    }
}

/// The commands that rebuild the local state; `patch` says where the patch comes from.
fn push_checkout(p: &mut String, state: &RepoState, patch: Option<&str>, bundle: Option<&str>) {
    let mut steps = String::new();
    if let (Some(history), Some(url)) = (&state.history, bundle) {
        return push_history_checkout(p, state, history, url, patch);
    }
    match (&state.base.commit, &state.head) {
        (Some(base), Head::Branch { name, .. }) => {
            let _ = writeln!(steps, "git checkout -B {} {base}", shell_word(name));
        }
        (Some(base), _) => {
            let _ = writeln!(steps, "git checkout --detach {base}");
        }
        (None, head) => {
            let name = match head {
                Head::Unborn { name } | Head::Branch { name, .. } => name.as_str(),
                Head::Detached { .. } => "handoff",
            };
            // `--ignore-unmatch`: on an empty remote there is nothing to remove, and a plain
            // `git rm` would fail the steps.
            let _ = writeln!(steps, "git checkout --orphan {}", shell_word(name));
            steps.push_str("git rm -rf --quiet --ignore-unmatch .\n");
        }
    }
    if let Some(source) = patch {
        // The patch lives inside .git, never in the work tree: a tracked file of the same
        // name cannot collide with it, and it cannot end up in a commit.
        let _ = writeln!(
            steps,
            "git apply --whitespace=nowarn \"$(git rev-parse --git-path {PATCH_NAME})\"   # {source}, saved there"
        );
    }
    p.push_str(
        "Check out the base commit, then apply the patch with `git apply`: the result is \
         the local working tree, byte for byte. The patch holds unpushed commits and uncommitted \
         work alike; commit as you see fit.\n\n",
    );
    let fence = fence_for(&steps);
    let _ = write!(p, "{fence}sh\n{steps}{fence}\n");
    if state.base.source == BaseSource::Head {
        p.push_str("\nNote: the base is the local HEAD; if the remote does not have that commit, ask for the branch to be pushed.\n");
    }
}

/// The steps with `--history`: fetch the unpushed commits from the bundle (same IDs, messages
/// and authors), check out the branch at HEAD, then apply the uncommitted work on top.
fn push_history_checkout(
    p: &mut String,
    state: &RepoState,
    history: &crate::git::History,
    url: &str,
    patch: Option<&str>,
) {
    let mut steps = String::new();
    let _ = writeln!(
        steps,
        "git fetch --quiet \"$(git rev-parse --git-path {BUNDLE_NAME})\" \"+{}:refs/handoff/tip\"   # the attached {BUNDLE_NAME}, downloaded there",
        history.refname
    );
    match &state.head {
        Head::Branch { name, .. } => {
            let _ = writeln!(
                steps,
                "git checkout -B {} {}",
                shell_word(name),
                history.tip
            );
        }
        _ => {
            let _ = writeln!(steps, "git checkout --detach {}", history.tip);
        }
    }
    if let Some(source) = patch {
        let _ = writeln!(
            steps,
            "git apply --whitespace=nowarn \"$(git rev-parse --git-path {PATCH_NAME})\"   # {source}, saved there"
        );
    }
    let _ = writeln!(
        p,
        "The {} unpushed commit{} travel as commits, in the attached git bundle (its one \
         prerequisite is the base commit): fetch them, check out the branch at `{}`, then \
         apply the patch of the uncommitted work on top. The result is the local branch, with \
         the same commit IDs, and the local working tree, byte for byte.\n",
        history.commits.len(),
        if history.commits.len() == 1 { "" } else { "s" },
        history.tip
    );
    for c in &history.commits {
        let _ = writeln!(p, "- `{}` {} ({})", short_id(&c.id), c.summary, c.author);
    }
    let fence = fence_for(&steps);
    let _ = write!(p, "\n{fence}sh\n{steps}{fence}\n");
    let _ = writeln!(p, "\nATTACHMENT:\"{url}\"");
}

fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn push_left_out(p: &mut String, left_out: &[LeftOut]) {
    if left_out.is_empty() {
        return;
    }
    p.push_str("\n### Left out of the patch\n\n");
    for l in left_out {
        let _ = writeln!(p, "- `{}`: {}", l.path.replace('`', "'"), l.reason);
    }
}

/// Quotes a branch name for the shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("+`````\n"), "``````");
    }

    #[test]
    fn title_is_first_line_cut_at_char_boundary() {
        assert_eq!(default_title("\n  fix it \nmore"), "fix it");
        let long = "é".repeat(150);
        let t = default_title(&long);
        assert_eq!(t.chars().count(), TITLE_MAX_CHARS);
        assert!(t.ends_with('…'));
        assert_eq!(default_title("   "), "Handoff");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("feature/x-1"), "feature/x-1");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::api::types::CreateSessionRequest;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No run of backticks inside the body can close its fence.
        #[test]
        fn the_fence_always_closes_the_patch(body in "[`a-z\n ]{0,200}") {
            let fence = fence_for(&body);
            prop_assert!(fence.len() >= 3);
            prop_assert!(!body.contains(&fence));
        }

        /// Any task, title and tags make a request body that is valid JSON and round-trips.
        #[test]
        fn request_bodies_are_valid_json(task in "\\PC{0,200}", raw in proptest::collection::vec(any::<u8>(), 0..200), tag in "\\PC{0,20}") {
            let lossy = String::from_utf8_lossy(&raw).into_owned();
            let req = CreateSessionRequest {
                prompt: format!("{task}\n{lossy}"),
                title: Some(default_title(&task)),
                tags: vec!["handoff".into(), tag],
                ..CreateSessionRequest::default()
            };
            let text = serde_json::to_string(&req).expect("encodes");
            let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            prop_assert_eq!(back["prompt"].as_str(), Some(req.prompt.as_str()));
        }

        /// Titles are cut at character boundaries and never exceed the limit.
        #[test]
        fn titles_fit(task in "\\PC{0,300}") {
            prop_assert!(default_title(&task).chars().count() <= TITLE_MAX_CHARS);
        }
    }
}
