//! The prompt itself: the task, the facts of the checkout, the notes, and the steps and
//! patch that rebuild the local state in the cloud.

use std::fmt::Write as _;

use super::{
    cut_chars, cut_to_budget, fence_for, Composed, Delivery, Handoff, Manifest, RepoSummary,
    BUNDLE_NAME, PATCH_NAME,
};
use crate::git::{BaseSource, Head, LeftOut, RepoState};
use crate::scan::redact::RedactedFile;

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
            delivery: "none",
            prompt_bytes: p.len(),
            ..Manifest::default()
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
    push_facts(&mut p, state);
    push_notes(&mut p, h.context);
    push_secret_keys(&mut p, h.secret_keys);
    let mut left_out = state.changes.left_out.clone();
    // What does not travel as it is locally is said before the steps that rebuild it.
    let mut local = String::new();
    let delivery = push_local_state(&mut local, h, state, &mut left_out);
    push_left_out(&mut p, &left_out);
    push_redacted(&mut p, h.redacted);
    p.push_str(&local);
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
        files: state.changes.files.iter().map(|f| f.info.clone()).collect(),
        left_out,
        additions: state.changes.additions(),
        deletions: state.changes.deletions(),
        patch_bytes: state.changes.patch_len(),
        tree: state.expected_tree.clone(),
        delivery,
        prompt_bytes: p.len(),
        warnings: state.warnings.clone(),
        secrets: None,
    };
    Composed {
        prompt: p,
        manifest,
    }
}

/// The names of the secrets given to the session as session secrets (never their values).
fn push_secret_keys(p: &mut String, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    let names: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    let _ = write!(
        p,
        "\n### Secrets\n\nThese variables were given to this session as session secrets, not written here: {}. \
         Where the patch shows `[REDACTED:…]` for one of them, use the session secret of that name: recreate \
         `.env` (or the file it came from) from them, and never commit them.\n",
        names.join(", ")
    );
}

/// The facts of the checkout: repository, branch and upstream, base, unpushed commits, an
/// operation in progress, and the size of the change.
fn push_facts(p: &mut String, state: &RepoState) {
    match &state.remote {
        Some(r) => {
            let name = r.full_name();
            let _ = writeln!(p, "- Repository: {}/{name} (`{name}`)", r.host);
        }
        None => p.push_str("- Repository: not a hosted remote (no URL the cloud can reach)\n"),
    }
    let _ = match &state.head {
        Head::Branch { name, .. } => write!(p, "- Branch: {}", code_span(name)),
        Head::Detached { commit } => write!(p, "- Branch: none, detached HEAD at `{commit}`"),
        Head::Unborn { name } => write!(p, "- Branch: {} (no commits yet)", code_span(name)),
    };
    if let Some(up) = &state.upstream {
        let _ = if up.exists {
            write!(
                p,
                " (upstream {}: {} ahead, {} behind)",
                code_span(&up.name),
                up.ahead,
                up.behind
            )
        } else {
            write!(p, " (upstream {}, not fetched yet)", code_span(&up.name))
        };
    }
    p.push('\n');
    push_base(p, state);
    if state.unpushed_commits > 0 {
        // Where they travel: as commits in the bundle, or squashed into the patch.
        let how = match &state.history {
            Some(h) if !h.commits.is_empty() => "travelling as commits, with their IDs",
            _ => "squashed into the changes below",
        };
        let _ = writeln!(p, "- Unpushed commits: {} ({how})", state.unpushed_commits);
    }
    if let Some(op) = &state.operation_in_progress {
        let _ = writeln!(
            p,
            "- In progress locally: a {op} (the patch captures the working tree as it is)"
        );
    }
    let n = state.changes.files.len();
    let _ = writeln!(
        p,
        "- Local changes: {n} file{}, +{} -{}",
        if n == 1 { "" } else { "s" },
        state.changes.additions(),
        state.changes.deletions()
    );
}

/// The base commit line: which commit, its subject, and how it was chosen.
fn push_base(p: &mut String, state: &RepoState) {
    let Some(c) = &state.base.commit else {
        p.push_str(if state.base.source == BaseSource::Head {
            "- Base commit: none (no remote-tracking branch shares history with the local \
             branch: its whole history travels)\n"
        } else {
            "- Base commit: none (the branch has no commits; start from an empty tree)\n"
        });
        return;
    };
    let how = match (state.base.source, &state.base.via) {
        (BaseSource::Upstream, Some(v))
        | (BaseSource::DefaultBranch, Some(v))
        | (BaseSource::RemoteBranch, Some(v)) => format!("merge-base with `{v}`"),
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

/// The steps that rebuild the local state, and the patch itself (inline, cut to the
/// budget, or as an attachment). Files cut away are added to `left_out`. Returns the
/// delivery's name for the manifest.
fn push_local_state(
    p: &mut String,
    h: &Handoff<'_>,
    state: &RepoState,
    left_out: &mut Vec<LeftOut>,
) -> &'static str {
    let full_len = state.changes.patch_len();
    if full_len == 0 {
        p.push_str("\n### Local state\n\nThe working tree matches the base commit: there are no local changes.\n");
        push_checkout(p, state, None, h.bundle_url, true, "");
        return "none";
    }
    p.push_str("\n### Reproduce the local state\n\n");
    if let (Some(history), Some(url)) = (&state.history, h.bundle_url) {
        if let Some(work) = &history.work {
            let except = exact_except(left_out, h.redacted);
            push_work_in_progress(p, state, history, work, url, &except);
            push_summary(p, &state.changes);
            push_preview(p, &state.changes);
            return "bundle";
        }
    }
    if let Delivery::Attachment(url) = h.delivery {
        let source = format!("the attached {PATCH_NAME} ({full_len} bytes), downloaded");
        let except = exact_except(left_out, h.redacted);
        push_checkout(p, state, Some(&source), h.bundle_url, true, &except);
        let _ = writeln!(p, "\nATTACHMENT:\"{url}\"");
        push_summary(p, &state.changes);
        return "attachment";
    }
    let (patch, name, whole) = match h.delivery {
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
            let files = &state.changes.files;
            let kept: String = kept.iter().map(|&i| files[i].patch.as_str()).collect();
            (kept, "inline_cut", false)
        }
        _ => (state.changes.patch(), "inline", true),
    };
    // A patch cut to the budget rebuilds part of the state: nothing to check it against.
    let except = exact_except(left_out, h.redacted);
    push_checkout(
        p,
        state,
        Some("the Patch block below"),
        h.bundle_url,
        whole,
        &except,
    );
    let fence = fence_for(&patch);
    let _ = write!(p, "\n### Patch\n\n{fence}diff\n{patch}");
    if !patch.ends_with('\n') {
        p.push('\n');
    }
    let _ = writeln!(p, "{fence}");
    name
}

/// Files changed with their line counts, as `git diff --stat` would list them.
fn push_summary(p: &mut String, changes: &crate::git::ChangeSet) {
    const MAX_LISTED: usize = 500;
    p.push_str("\n### Files changed\n\n");
    let mut body = String::new();
    for f in changes.files.iter().take(MAX_LISTED) {
        let name = match &f.old_path {
            Some(old) => format!("{} => {}", shown_path(old), shown_path(&f.path)),
            None => shown_path(&f.path),
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
fn push_checkout(
    p: &mut String,
    state: &RepoState,
    patch: Option<&str>,
    bundle: Option<&str>,
    check: bool,
    except: &str,
) {
    let mut steps = String::new();
    let check = state.expected_tree.as_deref().filter(|_| check);
    if let (Some(history), Some(url)) = (&state.history, bundle) {
        if history.tip.is_some() {
            return push_history_checkout(p, state, history, url, patch, check, except);
        }
    }
    match (&state.base.commit, &state.head) {
        (Some(base), Head::Branch { name, .. }) => {
            let _ = writeln!(
                steps,
                "git checkout -B {} {base}",
                crate::shell::quote(name)
            );
        }
        (Some(base), _) => {
            let _ = writeln!(steps, "git checkout --detach {base}");
        }
        (None, head) => {
            let name = match head {
                Head::Unborn { name } | Head::Branch { name, .. } => name.as_str(),
                Head::Detached { .. } => "handoff",
            };
            // A branch with no commits, as `git checkout --orphan` makes one, but also where
            // the clone has a branch of that name already (its default branch, often): it
            // goes (`update-ref -d` is quiet when there is none), `HEAD` names it, and its
            // files leave the index. `--ignore-unmatch`: on an empty remote there is nothing
            // to remove, and a plain `git rm` would fail the steps.
            let r = crate::shell::quote(&format!("refs/heads/{name}"));
            let _ = writeln!(steps, "git update-ref -d {r}");
            let _ = writeln!(steps, "git symbolic-ref HEAD {r}");
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
         the local working tree, byte for byte",
    );
    p.push_str(except);
    p.push_str(
        ". The patch holds unpushed commits and uncommitted \
         work alike; commit as you see fit.",
    );
    push_check(p, &mut steps, check);
    p.push_str("\n\n");
    let fence = fence_for(&steps);
    let _ = write!(p, "{fence}sh\n{steps}{fence}\n");
}

/// The steps with `--history`: fetch the unpushed commits from the bundle (same IDs, messages
/// and authors), check out the branch at HEAD, then apply the uncommitted work on top.
fn push_history_checkout(
    p: &mut String,
    state: &RepoState,
    history: &crate::git::History,
    url: &str,
    patch: Option<&str>,
    check: Option<&str>,
    except: &str,
) {
    // The caller checked: a history without a tip travels only with the work in progress.
    let tip = history.tip.as_deref().unwrap_or_default();
    let mut steps = String::new();
    let _ = writeln!(
        steps,
        "git fetch --quiet \"$(git rev-parse --git-path {BUNDLE_NAME})\" {}   # the attached {BUNDLE_NAME}, downloaded there",
        crate::shell::quote(&format!("+{}:refs/handoff/tip", history.refname))
    );
    match &state.head {
        Head::Branch { name, .. } => {
            let _ = writeln!(steps, "git checkout -B {} {tip}", crate::shell::quote(name),);
        }
        _ => {
            let _ = writeln!(steps, "git checkout --detach {tip}");
        }
    }
    if let Some(source) = patch {
        let _ = writeln!(
            steps,
            "git apply --whitespace=nowarn \"$(git rev-parse --git-path {PATCH_NAME})\"   # {source}, saved there"
        );
    }
    let (what, them) = match history.commits.len() {
        1 => (
            "The 1 unpushed commit travels as a commit".to_string(),
            "it",
        ),
        n => (
            format!("The {n} unpushed commits travel as commits"),
            "them",
        ),
    };
    let _ = writeln!(
        p,
        "{what}, in the attached git bundle ({needs}): fetch {them}, check out the branch at \
         `{tip}`, then apply the patch of the uncommitted work on top. The result is the local \
         branch, with the same commit IDs, and the local working tree, byte for \
         byte{except}.",
        needs = bundle_needs(state),
    );
    push_check(p, &mut steps, check);
    p.push_str("\n\n");
    for c in &history.commits {
        let _ = writeln!(
            p,
            "- `{}` {} ({})",
            crate::git::short(&c.id),
            c.summary,
            c.author
        );
    }
    let fence = fence_for(&steps);
    let _ = write!(p, "\n{fence}sh\n{steps}{fence}\n");
    let _ = writeln!(p, "\nATTACHMENT:\"{url}\"");
}

/// What the bundle needs in the clone: the base commit, or nothing when there is none.
fn bundle_needs(state: &RepoState) -> String {
    match &state.base.commit {
        Some(_) => "its one prerequisite is the base commit".to_string(),
        None => "it needs nothing in the clone: the history it holds starts at the first commit"
            .to_string(),
    }
}

/// The steps when everything travels as commits in the bundle: the unpushed commits, then
/// the index and the working tree as two work-in-progress commits on top of `HEAD`. No patch,
/// no binary data, no CR byte for the agent to copy: git moves the objects.
fn push_work_in_progress(
    p: &mut String,
    state: &RepoState,
    history: &crate::git::History,
    work: &crate::git::WorkCommits,
    url: &str,
    except: &str,
) {
    use crate::shell::quote;
    let mut steps = String::new();
    // Without a tip (no commit to build on) the bundle carries only the two commits.
    let refspecs: Vec<String> = history
        .tip
        .iter()
        .map(|_| format!("+{}:refs/handoff/tip", history.refname))
        .chain([
            format!("+{0}:{0}", crate::git::INDEX_REF),
            format!("+{0}:{0}", crate::git::WORKTREE_REF),
        ])
        .collect();
    let _ = writeln!(
        steps,
        "git fetch --quiet \"$(git rev-parse --git-path {BUNDLE_NAME})\" {}   # the attached {BUNDLE_NAME}, downloaded there",
        refspecs.iter().map(|r| quote(r)).collect::<Vec<_>>().join(" ")
    );
    // The index commit first, then the working tree's files over it with `restore`, which
    // leaves the index alone: each file is written with the attribute files it was hashed
    // with locally (the working tree's, or the index's where the working tree has none),
    // since a checkout reads the index's first. Checking out the working-tree commit would
    // write a file under a `.gitattributes` deleted only in the working tree unconverted.
    let _ = writeln!(steps, "git checkout --quiet --detach {}", work.index);
    // A `.gitattributes` that is a symbolic link is not read in the working tree (git falls
    // back to the index's); `restore` would put the link in the index it reads first, so it
    // is written after the files it governs.
    let links: Vec<String> = work
        .attribute_links
        .iter()
        .map(|l| quote(&format!(":(exclude,literal){l}")))
        .collect();
    let _ = writeln!(
        steps,
        "git restore --quiet --source={} --worktree -- .{}",
        work.worktree,
        links.iter().map(|l| format!(" {l}")).collect::<String>()
    );
    if !work.attribute_links.is_empty() {
        let _ = writeln!(
            steps,
            "git --literal-pathspecs restore --quiet --source={} --worktree -- {}",
            work.worktree,
            work.attribute_links
                .iter()
                .map(|l| quote(l))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let branch = match &state.head {
        Head::Branch { name, .. } | Head::Unborn { name } => Some(name.as_str()),
        Head::Detached { .. } => None,
    };
    match (&history.tip, branch) {
        (Some(tip), branch) => {
            let _ = writeln!(steps, "git reset --quiet --soft {tip}");
            if let Some(name) = branch {
                let _ = writeln!(steps, "git checkout --quiet -B {}", quote(name));
            }
        }
        // No commit to put the branch at: it is left with none, as it is locally (a
        // branch of that name in the clone goes; `update-ref -d` is quiet when there is
        // none). A detached `HEAD` whose history stays behind gets a name of its own.
        (None, branch) => {
            let r = quote(&format!("refs/heads/{}", branch.unwrap_or("handoff")));
            let _ = writeln!(steps, "git update-ref -d {r}");
            let _ = writeln!(steps, "git symbolic-ref HEAD {r}");
        }
    }
    // `--force`, `--sparse`: a path intended to be added may be ignored too, or outside a
    // sparse checkout's patterns, and git keeps it so.
    // A name with a control character would need bash's `$'…'` quoting, which `sh` lacks:
    // such a file arrives untracked instead.
    let intended: Vec<String> = work
        .intent_to_add
        .iter()
        .filter(|p| !p.chars().any(char::is_control))
        .map(|p| quote(p))
        .collect();
    if !intended.is_empty() {
        let paths = intended;
        let _ = writeln!(
            steps,
            "git --literal-pathspecs add --intent-to-add --force --sparse -- {}",
            paths.join(" ")
        );
    }
    let n = history.commits.len();
    let commits = match n {
        0 => String::new(),
        1 => "the 1 unpushed commit, with its ID, and ".to_string(),
        n => format!("the {n} unpushed commits, with their IDs, and "),
    };
    let (on_top, back) = match &history.tip {
        Some(tip) => (
            format!("on top of `{tip}`"),
            format!("put the branch back at `{tip}`"),
        ),
        None => (
            "(root commits: there is no commit to build on)".to_string(),
            "leave the branch with no commits".to_string(),
        ),
    };
    let _ = write!(
        p,
        "Everything travels as git objects in the attached bundle ({needs}): {commits}the work \
         in progress as two commits {on_top}, one holding the index (what was staged) and one \
         the working tree. The steps fetch them, check out the index commit, write the working \
         tree's files over it, and {back}: `git diff --cached` and `git diff` then show what \
         they show locally{except}. The two work-in-progress commits are only the carrier; they \
         stay off the branch.",
        needs = bundle_needs(state),
    );
    push_check(p, &mut steps, state.expected_tree.as_deref());
    p.push_str("\n\n");
    for c in &history.commits {
        let _ = writeln!(
            p,
            "- `{}` {} ({})",
            crate::git::short(&c.id),
            c.summary,
            c.author
        );
    }
    if !work.staging_dropped.is_empty() {
        let _ = writeln!(
            p,
            "\nThe staged version of {} was not sent (it held a possible secret): there the index holds the working tree's version.",
            work.staging_dropped
                .iter()
                .map(|p| format!("`{}`", shown_path(p)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let fence = fence_for(&steps);
    let _ = write!(p, "\n{fence}sh\n{steps}{fence}\n");
    let _ = writeln!(p, "\nATTACHMENT:\"{url}\"");
}

/// The largest preview of the change shown in the prompt.
const PREVIEW_BYTES: usize = 16 * 1024;

/// The change to read, not to apply: the text files' diffs (no binary data, no CR byte), whole
/// files up to [`PREVIEW_BYTES`]; once the steps ran, `git diff` shows all of it.
fn push_preview(p: &mut String, changes: &crate::git::ChangeSet) {
    let mut body = String::new();
    let mut shown = 0;
    let mut deletions = 0;
    for f in &changes.files {
        // A deleted file's old text tells the agent nothing it needs and is already on the
        // remote: its headers say it goes.
        let text = if f.kind == crate::git::ChangeKind::Deleted {
            let end = f.patch.find("\n@@").map_or(f.patch.len(), |i| i + 1);
            &f.patch[..end]
        } else {
            f.patch.as_str()
        };
        let readable = !f.binary && !text.contains('\r') && !text.contains("GIT binary patch");
        if readable && body.len() + text.len() <= PREVIEW_BYTES {
            body.push_str(text);
            if !text.ends_with('\n') {
                body.push('\n');
            }
            shown += 1;
            deletions += usize::from(text.len() < f.patch.len());
        }
    }
    if shown == 0 {
        return;
    }
    let rest = changes.files.len() - shown;
    let _ = write!(
        p,
        "\n### Preview of the change\n\nFor reading only: the steps above restore the state; after them `git diff HEAD` shows {}.\n\n",
        if rest == 0 {
            "the same".to_string()
        } else {
            format!(
                "all of it ({rest} more file{} than here)",
                if rest == 1 { "" } else { "s" }
            )
        }
    );
    let fence = fence_for(&body);
    let _ = write!(p, "{fence}diff\n{body}{fence}\n");
    if deletions > 0 {
        let _ = writeln!(
            p,
            "\nThe old text of {} is not shown here.",
            if deletions == 1 {
                "the deleted file".to_string()
            } else {
                format!("the {deletions} deleted files")
            }
        );
    }
}

/// The steps' last line: it checks that the working tree is exactly the handed-off state,
/// and changes nothing (it hashes the working tree into a throwaway index inside `.git` and
/// compares the tree with the expected one). On a mismatch it names every path that differs
/// (content, mode, missing or extra) and exits 1.
///
/// It records the tree as the capture defines it, in the same three passes: tracked files
/// (their attribute files: the working tree's, or the index's where it has none readable,
/// as `git status` reads them), then the untracked files named one by one, then the
/// attribute files. One `git add -A` would stage a `.gitattributes` deletion first and then
/// rehash a racily clean tracked file without it: the result would depend on the clock.
/// Named paths are added only when there are some (an empty list to `git add` says "Nothing
/// specified"), and literally. Every untracked file counts, ignored or not (`-f`): a file the
/// handoff carries may be one a `.gitignore` ignores (tracked or intent-to-add locally, or
/// untracked once the patch is applied), and right after the steps a fresh clone holds no
/// other. `--sparse`: a sparse checkout's untracked file outside its patterns is part of the
/// state.
fn push_check(p: &mut String, steps: &mut String, tree: Option<&str>) {
    let Some(tree) = tree else {
        return;
    };
    let _ = write!(
        p,
        " The last step checks the result: it prints `verified` when the working tree is \
         exactly the handed-off state (tree `{tree}`), and otherwise names each path that \
         differs and fails. If it fails, say so and do not go on as if the state were right."
    );
    let script = format!(
        "i=\"$(git rev-parse --git-path handoff-check.index)\"; \
         l=\"$(git rev-parse --git-path handoff-check.list)\"; \
         cp -p \"$(git rev-parse --git-path index)\" \"$i\" 2>/dev/null || rm -f \"$i\"; \
         named() {{ [ ! -s \"$l\" ] || git --literal-pathspecs add -f --sparse --pathspec-file-nul --pathspec-from-file=\"$l\"; }}; \
         t=\"$(export GIT_INDEX_FILE=\"$i\"; \
         git add -u -f --ignore-errors --sparse -- . ':(exclude,glob)**/.gitattributes' \
         && git ls-files -z -o >\"$l\" && named \
         && git ls-files -z -m -- ':(glob)**/.gitattributes' >\"$l\" && named \
         && git write-tree)\"; \
         rm -f \"$i\" \"$l\"; \
         if [ \"$t\" = {tree} ]; then echo \"verified: the working tree is the handed-off state (tree {tree})\"; \
         else echo \"MISMATCH: the working tree differs from the handed-off state (tree {tree}):\" >&2; \
         git diff --no-renames --name-status {tree} $t >&2; exit 1; fi"
    );
    let _ = writeln!(steps, "sh -c {}", crate::shell::quote(&script));
}

/// `text` as an inline code span that holds it whole: git allows backticks in a branch name,
/// and one would end a single-backtick span (CommonMark: a longer run of backticks opens the
/// span, and a space pads a text that starts or ends with one).
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        return format!("`{text}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}

/// A path as the prompt shows it: a name holding a control character, a quote or a
/// backslash is quoted as git quotes it (`"cr\rname"`, `"esc\033[m"`), so that no name can
/// forge a line or a fence in a list the agent reads; a backtick (which would end the code
/// span around it) becomes `'`.
fn shown_path(path: &str) -> String {
    let path = path.replace('`', "'");
    if !path
        .chars()
        .any(|c| c.is_ascii_control() || c == '"' || c == '\\')
    {
        return path;
    }
    let mut out = String::from("\"");
    for c in path.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What "byte for byte" does not cover: the paths the prompt lists as left out (withheld
/// files among them), and the files sent redacted.
fn exact_except(left_out: &[LeftOut], redacted: &[RedactedFile]) -> String {
    let mut parts = Vec::new();
    if !left_out.is_empty() {
        parts.push("the paths listed under \"Left out of the patch\"");
    }
    if !redacted.is_empty() {
        parts.push("the files listed under \"Redacted\"");
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" except {}", parts.join(" and "))
    }
}

/// The files sent with possible secrets replaced by markers, and how many in each.
fn push_redacted(p: &mut String, redacted: &[RedactedFile]) {
    if redacted.is_empty() {
        return;
    }
    p.push_str(
        "\n### Redacted\n\nIn these files each possible secret was replaced by \
         `[REDACTED:<rule>]` before the handoff left the machine; the rest of each file is as \
         it is locally:\n\n",
    );
    for f in redacted.iter().take(LEFT_OUT_LISTED) {
        let n = f.secrets;
        let _ = writeln!(p, "- `{}` ({n} replaced)", shown_path(&f.path));
    }
    if redacted.len() > LEFT_OUT_LISTED {
        let _ = writeln!(
            p,
            "\n{} files in all; the handoff's manifest (`--json`) lists each one.",
            redacted.len()
        );
    }
}

fn push_left_out(p: &mut String, left_out: &[LeftOut]) {
    if left_out.is_empty() {
        return;
    }
    p.push_str("\n### Left out of the patch\n\n");
    // A long list (a vendored tree, build output) is summarised by top folder and reason;
    // the manifest keeps every path.
    if left_out.len() <= LEFT_OUT_LISTED {
        for l in left_out {
            let _ = writeln!(p, "- `{}`: {}", shown_path(&l.path), l.reason);
        }
        return;
    }
    let mut groups: Vec<(String, &str, usize)> = Vec::new();
    for l in left_out {
        let key = match l.path.split_once('/') {
            Some((top, _)) => format!("{top}/"),
            None => l.path.clone(),
        };
        match groups
            .iter_mut()
            .find(|(k, r, _)| *k == key && *r == l.reason)
        {
            Some(g) => g.2 += 1,
            None => groups.push((key, &l.reason, 1)),
        }
    }
    for (key, reason, n) in groups {
        let key = shown_path(&key);
        if n == 1 {
            let _ = writeln!(p, "- `{key}`: {reason}");
        } else {
            let _ = writeln!(p, "- `{key}` ({n} files): {reason}");
        }
    }
    let _ = writeln!(
        p,
        "\n{} paths in all; the handoff's manifest (`--json`) lists each one.",
        left_out.len()
    );
}

/// Up to this many left-out paths are listed one by one in the prompt.
const LEFT_OUT_LISTED: usize = 20;

#[cfg(test)]
mod tests {
    use super::{code_span, shown_path};

    /// CommonMark's code spans: "`` foo ` bar ``" holds "foo ` bar" (a run of backticks
    /// longer than any inside opens the span, one space of padding on each side is removed).
    #[test]
    fn a_code_span_holds_backticks() {
        assert_eq!(code_span("main"), "`main`");
        assert_eq!(code_span("foo ` bar"), "`` foo ` bar ``");
        assert_eq!(code_span("a``b"), "``` a``b ```");
    }

    /// git's quoting of names with control characters (`git status` prints `"cr\rname"`).
    #[test]
    fn paths_are_quoted_as_git_quotes_them() {
        assert_eq!(shown_path("plain/name.rs"), "plain/name.rs");
        assert_eq!(shown_path("cr\rname"), r#""cr\rname""#);
        assert_eq!(shown_path("esc\u{1b}[m"), r#""esc\033[m""#);
        assert_eq!(shown_path("q\"b\\"), r#""q\"b\\""#);
    }
}
