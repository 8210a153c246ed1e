//! Compose: turns the task, the context and the captured state into the prompt
//! (`compose.rs`) and the manifest of what it carries (`manifest.rs`).

mod compose;
mod manifest;
pub mod report;

use crate::git::RepoState;

pub use compose::compose;
pub use manifest::{Composed, Manifest, RepoSummary, SecretsReport};

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
    /// With `--secrets session`: the names of the secrets the session gets as session secrets.
    pub secret_keys: &'a [String],
    /// The files sent with possible secrets replaced by `[REDACTED:…]` markers.
    pub redacted: &'a [crate::scan::redact::RedactedFile],
}

/// How the user asked the patch to travel (`--via`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Via {
    /// In the prompt when it fits the inline budget, else as an attachment.
    #[default]
    Auto,
    /// Always in the prompt; over budget, cut at file boundaries.
    Inline,
    /// Always as an uploaded attachment.
    Attachment,
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

/// The default title: the task's first non-empty line, cut at a character boundary.
pub fn default_title(task: &str) -> String {
    let line = task
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Handoff");
    cut_chars(line, TITLE_MAX_CHARS)
}

pub(crate) fn cut_chars(s: &str, max: usize) -> String {
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
