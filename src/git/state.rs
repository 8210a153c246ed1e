//! The repository's identity: remote, branch, upstream and base commit, plus the change set.

use std::path::{Path, PathBuf};

use git2::{BranchType, ErrorCode, Oid, Repository, RepositoryState};
use serde::Serialize;

use super::changes::{collect_changes, ChangeSet};
use super::remote::{parse_remote_url, RemoteRepo};
use crate::error::{Error, ErrorKind, Result};

/// What a capture should include.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Include untracked files that are not ignored.
    pub include_untracked: bool,
    /// Glob patterns (gitignore-like, matched on the repo-relative path) to leave out.
    pub excludes: Vec<String>,
    /// Binary files larger than this are listed as left out instead of being sent.
    pub max_binary_bytes: u64,
    /// Any file larger than this is listed as left out: memory stays bounded whatever the
    /// repository holds (a patch is built in memory, several times the file's size).
    pub max_file_bytes: u64,
    /// Use libgit2's full working-tree diff instead of the parallel fast path. Slower; the
    /// two must agree, and tests check that they do.
    pub full_scan: bool,
    /// Unpushed commits travel as commits (a git bundle), and the patch starts at HEAD.
    pub history: bool,
    /// With `history`: a bundle even when there is no unpushed commit (the work in progress
    /// will travel in it as commits on top of `HEAD`).
    pub history_always: bool,
    /// With `history`: the unpushed commits do not travel as commits but squashed into the
    /// change set, which starts at the base (they hold a possible secret, which a commit
    /// cannot have redacted); the work in progress travels in the bundle on top of the base.
    pub squash: bool,
}

/// The largest file a handoff carries: 32 MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Why a file is left out for its size, if it is: a binary over `max_binary`, or any file
/// over `max_file`. The one rule for every capture path.
pub(crate) fn too_large(
    len: u64,
    max_binary: u64,
    max_file: u64,
    binary: impl FnOnce() -> bool,
) -> Option<String> {
    if len > max_file {
        return Some(format!(
            "file of {len} bytes, over the {max_file} byte limit of a handoff"
        ));
    }
    (len > max_binary && binary())
        .then(|| format!("binary file of {len} bytes, over the {max_binary} byte limit"))
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            include_untracked: true,
            excludes: Vec::new(),
            max_binary_bytes: 1024 * 1024,
            max_file_bytes: MAX_FILE_BYTES,
            full_scan: false,
            history: false,
            history_always: false,
            squash: false,
        }
    }
}

/// Where HEAD points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Head {
    /// On a branch with at least one commit.
    Branch { name: String, commit: String },
    /// Detached: named by its commit.
    Detached { commit: String },
    /// On a branch that has no commit yet.
    Unborn { name: String },
}

impl Head {
    pub fn commit(&self) -> Option<&str> {
        match self {
            Head::Branch { commit, .. } | Head::Detached { commit } => Some(commit),
            Head::Unborn { .. } => None,
        }
    }

    /// The branch name, or for a detached HEAD its commit.
    pub fn label(&self) -> String {
        match self {
            Head::Branch { name, .. } => name.clone(),
            Head::Detached { commit } => format!("detached at {commit}"),
            Head::Unborn { name } => format!("{name} (no commits yet)"),
        }
    }
}

/// The branch's upstream and how far the branch is from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upstream {
    /// Short name, e.g. `origin/main`.
    pub name: String,
    /// Whether the remote-tracking ref exists locally (it may not, before a first fetch).
    pub exists: bool,
    pub ahead: usize,
    pub behind: usize,
}

/// How the base commit was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseSource {
    /// Merge-base with the upstream's remote-tracking ref.
    Upstream,
    /// Merge-base with the remote's default branch.
    DefaultBranch,
    /// Merge-base with another remote-tracking branch: the one that shares the most history.
    RemoteBranch,
    /// HEAD itself, because nothing shows what the remote has.
    Head,
    /// No commit at all (unborn branch): the patch starts from an empty tree.
    Empty,
}

/// The newest commit the remote is known to have; the patch applies on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Base {
    pub commit: Option<String>,
    pub source: BaseSource,
    /// The remote-tracking ref it was derived from, e.g. `origin/main`.
    pub via: Option<String>,
    /// The commit's summary line, for people reading the prompt.
    pub summary: Option<String>,
    /// Whether a remote-tracking ref contains the base: only then are the patch's removed and
    /// context lines already on the remote, and exempt from the secret guard.
    pub on_remote: bool,
}

/// Everything captured about a repository, owned and free of git2 types.
#[derive(Debug, Clone, Serialize)]
pub struct RepoState {
    /// The working tree on this machine (never sent).
    #[serde(skip)]
    pub workdir: PathBuf,
    /// The remote's name, e.g. `origin`.
    pub remote_name: Option<String>,
    /// The remote's host and `owner/name`, when it is a hosted repository.
    pub remote: Option<RemoteRepo>,
    pub head: Head,
    pub upstream: Option<Upstream>,
    pub base: Base,
    /// Commits between the base and HEAD, which the cloud cannot fetch.
    pub unpushed_commits: usize,
    /// A merge, rebase, cherry-pick or similar in progress, if any.
    pub operation_in_progress: Option<String>,
    pub changes: ChangeSet,
    /// With `--history`: the unpushed commits, which travel as a bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
    /// Things a person should know (shown on stderr and recorded in the manifest).
    pub warnings: Vec<String>,
    /// The tree the replay must end with (see [`expected_tree`]), once the change set is
    /// final (after any redaction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_tree: Option<String>,
}

/// Unpushed commits, as they travel with `--history`: a git bundle whose one ref points at
/// HEAD and whose prerequisite is the base.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// Oldest first.
    pub commits: Vec<CommitInfo>,
    /// The ref the bundle carries `HEAD` under: `refs/handoff/head` (never the branch's
    /// name, which may hold a secret; the steps name the branch).
    pub refname: String,
    /// The commit the work in progress builds on: `HEAD`, or the base when the commits
    /// travel squashed. None when there is none (an unborn branch, or local-only history
    /// squashed): the work-in-progress commits are then root commits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tip: Option<String>,
    /// The commits that record the work in progress on top of `tip`, when they travel in
    /// the bundle too: the index (what was staged), then the working tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work: Option<WorkCommits>,
    /// The bundle file (git's v2 format); not part of the manifest.
    #[serde(skip)]
    pub bundle: Vec<u8>,
    pub bundle_bytes: usize,
}

/// The work in progress as two commits: `index` (parent: `HEAD`) holds what was staged,
/// `worktree` (parent: `index`) the working tree as the handoff carries it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkCommits {
    pub index: String,
    pub worktree: String,
    /// Paths whose staged version was not kept (it is the working tree's there): a staged
    /// version that holds a possible secret never travels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub staging_dropped: Vec<String>,
    /// Paths added with `git add -N` (intent to add): tracked, with nothing staged. A tree
    /// cannot record that, so the steps say it again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intent_to_add: Vec<String>,
    /// Changed `.gitattributes` paths that are symbolic links in the working tree: git
    /// reads none of them there (it falls back to the index's), so the replay writes them
    /// after the files they govern.
    #[serde(skip)]
    pub attribute_links: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    /// The whole message (scanned by the guard; shown as its first line).
    #[serde(skip)]
    pub message: String,
    pub summary: String,
    /// The commit's header as it travels (author, committer, encoding and any extra header a
    /// tool added), without the tree, parents and signatures: scanned by the guard too.
    #[serde(skip)]
    pub header: String,
}

/// Opens the repository containing `dir` and captures its state. Returns `Ok(None)` when
/// `dir` is not inside a git repository.
pub fn capture(dir: &Path, opts: &CaptureOptions) -> Result<Option<RepoState>> {
    let repo = match super::open(dir) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::other(format!(
                "cannot open the repository: {}",
                e.message()
            )))
        }
    };
    let Some(workdir) = repo.workdir().map(|p| p.components().collect::<PathBuf>()) else {
        return Err(Error::new(
            ErrorKind::Usage,
            "this is a bare repository: there is no working tree to hand off",
        )
        .hint("run devin-handoff inside a checkout (or a worktree) of the repository"));
    };
    let mut warnings = Vec::new();

    let head = read_head(&repo)?;
    let branch_ref = match &head {
        Head::Branch { name, .. } | Head::Unborn { name } => Some(format!("refs/heads/{name}")),
        Head::Detached { .. } => None,
    };

    let remote_name = pick_remote(&repo, branch_ref.as_deref());
    let remote = remote_name.as_deref().and_then(|name| {
        let r = repo.find_remote(name).ok()?;
        let url = String::from_utf8_lossy(r.url_bytes()).into_owned();
        parse_remote_url(&url)
    });
    if let Some(name) = &remote_name {
        if remote.is_none() {
            warnings.push(format!(
                "remote '{name}' is not a hosted repository URL; the cloud session will not know which repository this is"
            ));
        }
    } else {
        warnings.push(
            "this repository has no remote; the cloud session cannot fetch any of its history"
                .to_string(),
        );
    }

    let head_oid = head.commit().and_then(|c| Oid::from_str(c).ok());
    let upstream = branch_ref
        .as_deref()
        .and_then(|r| read_upstream(&repo, r, head_oid));

    let base = choose_base(&repo, head_oid, upstream.as_ref(), remote_name.as_deref())?;
    if base.source == BaseSource::Head {
        let n = head_oid.map_or(0, |h| count_commits(&repo, h));
        let how = if opts.squash {
            "travels squashed into the work in progress"
        } else if opts.history {
            "travels whole, from the first commit"
        } else {
            "stays behind: the change starts from an empty tree"
        };
        warnings.push(format!(
            "no remote-tracking branch shares history with HEAD: its local-only history \
             ({n} commit{}) {how}. Push the branch (or fetch) first to send less",
            if n == 1 { "" } else { "s" }
        ));
    }

    let unpushed_commits = match (head_oid, base.commit.as_deref()) {
        (Some(h), Some(b)) => {
            let b = Oid::from_str(b)?;
            if h == b {
                0
            } else {
                repo.graph_ahead_behind(h, b).map(|(a, _)| a).unwrap_or(0)
            }
        }
        (Some(h), None) => count_commits(&repo, h),
        _ => 0,
    };

    let base_oid = base.commit.as_deref().map(Oid::from_str).transpose()?;
    let history = match (opts.history, base_oid, head_oid) {
        (true, b, Some(_)) if opts.squash => Some(bundle(&repo, b, b)?),
        (true, b, Some(h)) if b != Some(h) || opts.history_always => {
            Some(bundle(&repo, b, Some(h))?)
        }
        // An unborn branch: the work in progress alone, as root commits.
        (true, None, None) if opts.history_always => Some(bundle(&repo, None, None)?),
        _ => None,
    };
    // With history, the commits carry everything up to HEAD; the patch starts there.
    let patch_from = if history.is_some() && !opts.squash {
        head_oid
    } else {
        base_oid
    };
    // `status.showUntrackedFiles=no` (a dotfiles repository over a whole home folder): git
    // shows no untracked file, and none is handed off.
    let hide_untracked = repo
        .config()
        .and_then(|c| c.get_string("status.showUntrackedFiles"))
        .is_ok_and(|v| v.eq_ignore_ascii_case("no") || v == "false");
    let changes = if hide_untracked && opts.include_untracked {
        let mut narrowed = opts.clone();
        narrowed.include_untracked = false;
        collect_changes(&repo, &workdir, patch_from, &narrowed)?
    } else {
        collect_changes(&repo, &workdir, patch_from, opts)?
    };

    let mut operation_in_progress = describe_state(repo.state());
    if let Some(op) = &mut operation_in_progress {
        // Name what is being merged, and which paths still hold conflict markers: the
        // cloud gets the working tree as it is, and must know it is mid-merge.
        let merge_head = std::fs::read_to_string(repo.path().join("MERGE_HEAD"))
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string));
        if let Some(h) = merge_head {
            op.push_str(&format!(" of {h} (MERGE_HEAD)"));
        }
        if !changes.unmerged.is_empty() {
            op.push_str(&format!(
                ", with unmerged paths holding conflict markers: {}",
                changes.unmerged.join(", ")
            ));
        }
        warnings.push(format!(
            "a {op} is in progress; the patch captures the working tree as it is"
        ));
    }

    Ok(Some(RepoState {
        workdir,
        remote_name,
        remote,
        head,
        upstream,
        base,
        unpushed_commits,
        operation_in_progress,
        changes,
        history,
        warnings,
        expected_tree: None,
    }))
}

/// A commit ID as people read it: its first 12 hex digits (the one shortening in the tool).
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// A branch name as text. Git allows any bytes; the API's request is UTF-8 text, and a name
/// replaced by another (`HEAD`) would check out the wrong branch: refused, with the way out.
fn utf8_branch(name: &[u8]) -> Result<String> {
    String::from_utf8(name.to_vec()).map_err(|_| {
        Error::usage(format!(
            "the branch name {} is not valid UTF-8: a handoff names the branch in text",
            crate::shell::quote_bytes(name)
        ))
        .hint(
            "rename it first: git branch -m NEW-NAME (or check out a commit: git switch --detach)",
        )
    })
}

fn read_head(repo: &Repository) -> Result<Head> {
    match repo.head() {
        Ok(r) => {
            let commit = r.peel_to_commit()?.id().to_string();
            if r.is_branch() {
                let name = utf8_branch(r.shorthand_bytes())?;
                Ok(Head::Branch { name, commit })
            } else {
                Ok(Head::Detached { commit })
            }
        }
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
            let target = match repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target_bytes().map(<[u8]>::to_vec))
            {
                Some(t) => utf8_branch(&t)?,
                None => "refs/heads/main".to_string(),
            };
            let name = target
                .strip_prefix("refs/heads/")
                .unwrap_or(&target)
                .to_string();
            Ok(Head::Unborn { name })
        }
        Err(e) => Err(e.into()),
    }
}

/// The branch's upstream remote first, then `origin`, then the only remote.
fn pick_remote(repo: &Repository, branch_ref: Option<&str>) -> Option<String> {
    if let Some(r) = branch_ref {
        if let Ok(buf) = repo.branch_upstream_remote(r) {
            if let Some(name) = buf.as_str() {
                if !name.is_empty() && name != "." {
                    return Some(name.to_string());
                }
            }
        }
    }
    let remotes = repo.remotes().ok()?;
    let names: Vec<&str> = remotes.iter().flatten().collect();
    if names.contains(&"origin") {
        return Some("origin".to_string());
    }
    if names.len() == 1 {
        return Some(names[0].to_string());
    }
    None
}

fn read_upstream(repo: &Repository, branch_ref: &str, head: Option<Oid>) -> Option<Upstream> {
    let up_ref = repo.branch_upstream_name(branch_ref).ok()?;
    let up_ref = up_ref.as_str()?.to_string();
    let name = up_ref
        .strip_prefix("refs/remotes/")
        .or_else(|| up_ref.strip_prefix("refs/heads/"))
        .unwrap_or(&up_ref)
        .to_string();
    let target = repo
        .find_reference(&up_ref)
        .ok()
        .and_then(|r| r.peel_to_commit().ok())
        .map(|c| c.id());
    let (ahead, behind) = match (head, target) {
        (Some(h), Some(t)) => repo.graph_ahead_behind(h, t).unwrap_or((0, 0)),
        (None, _) => (0, 0),
        (Some(h), None) => (count_commits(repo, h), 0),
    };
    Some(Upstream {
        name,
        exists: target.is_some(),
        ahead,
        behind,
    })
}

fn choose_base(
    repo: &Repository,
    head_oid: Option<Oid>,
    upstream: Option<&Upstream>,
    remote: Option<&str>,
) -> Result<Base> {
    let Some(head_oid) = head_oid else {
        return Ok(Base {
            commit: None,
            source: BaseSource::Empty,
            via: None,
            summary: None,
            on_remote: true,
        });
    };
    let make = |oid: Oid, source, via: Option<String>| -> Result<Base> {
        let summary = repo
            .find_commit(oid)
            .ok()
            .and_then(|c| c.summary().map(str::to_string));
        Ok(Base {
            commit: Some(oid.to_string()),
            source,
            via,
            summary,
            on_remote: on_a_remote(repo, oid),
        })
    };
    if let Some(up) = upstream.filter(|u| u.exists) {
        let up_oid = repo
            .find_branch(&up.name, BranchType::Remote)
            .ok()
            .and_then(|b| b.get().peel_to_commit().ok())
            .map(|c| c.id())
            .or_else(|| {
                repo.find_branch(&up.name, BranchType::Local)
                    .ok()
                    .and_then(|b| b.get().peel_to_commit().ok())
                    .map(|c| c.id())
            });
        if let Some(up_oid) = up_oid {
            if let Ok(mb) = repo.merge_base(head_oid, up_oid) {
                return make(mb, BaseSource::Upstream, Some(up.name.clone()));
            }
        }
    }
    if let Some(remote) = remote {
        if let Some((name, oid)) = default_branch(repo, remote) {
            if let Ok(mb) = repo.merge_base(head_oid, oid) {
                return make(mb, BaseSource::DefaultBranch, Some(name));
            }
        }
    }
    // No upstream, and no default branch that shares history (none named main or master,
    // no `origin/HEAD`): any remote-tracking branch that does, the nearest to HEAD first.
    if let Some((name, mb)) = nearest_remote_branch(repo, head_oid) {
        return make(mb, BaseSource::RemoteBranch, Some(name));
    }
    // A shallow clone whose remote moved on: the new tip's history is cut off, so no
    // merge-base exists, but an earlier value of a remote-tracking ref, still in its reflog,
    // may be HEAD or an ancestor of it.
    if let Some((name, old)) = earlier_remote_tip(repo, head_oid) {
        return make(old, BaseSource::RemoteBranch, Some(name));
    }
    // Nothing the remote is known to have: the whole history is local, and travels.
    Ok(Base {
        commit: None,
        source: BaseSource::Head,
        via: None,
        summary: None,
        on_remote: true,
    })
}

/// A commit header's lines worth scanning: all but `tree`, `parent`, and the signature
/// blocks (`gpgsig`, `gpgsig-sha256`, `mergetag`, with their continuation lines), which are
/// object IDs and public signatures.
fn scanned_header(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(' ') {
            if !skipping {
                out.push_str(rest);
                out.push('\n');
            }
            continue;
        }
        let key = line.split(' ').next().unwrap_or("");
        skipping = matches!(
            key,
            "tree" | "parent" | "gpgsig" | "gpgsig-sha256" | "mergetag"
        );
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The commits from `base` (excluded) to `head` as a git v2 bundle (`gitformat-bundle`): a
/// header naming the prerequisite (none without a base: the bundle needs nothing in the
/// clone) and the one ref, then a pack of the new objects. Without `head` the bundle is only
/// a header: the work in progress fills it in.
fn bundle(repo: &Repository, base: Option<Oid>, head: Option<Oid>) -> Result<History> {
    // Never the branch's own name: a name may hold a secret, and the steps name the branch
    // themselves (as redacted, when it was).
    let refname = "refs/handoff/head".to_string();
    let mut out = b"# v2 git bundle\n".to_vec();
    if let Some(base) = base {
        let base_summary = repo
            .find_commit(base)
            .ok()
            .and_then(|c| c.summary().map(str::to_string))
            .unwrap_or_default();
        out.extend_from_slice(format!("-{base} {base_summary}\n").as_bytes());
    }
    let Some(head) = head else {
        out.push(b'\n');
        return Ok(History {
            commits: Vec::new(),
            refname,
            tip: None,
            work: None,
            bundle_bytes: out.len(),
            bundle: out,
        });
    };
    let walk_from_head = || -> Result<git2::Revwalk<'_>> {
        let mut walk = repo.revwalk()?;
        walk.push(head)?;
        if let Some(base) = base {
            walk.hide(base)?;
        }
        Ok(walk)
    };
    let mut walk = walk_from_head()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    let mut commits = Vec::new();
    for id in walk {
        let c = repo.find_commit(id?)?;
        commits.push(CommitInfo {
            id: c.id().to_string(),
            header: scanned_header(c.raw_header_bytes()),
            author: String::from_utf8_lossy(c.author().name_bytes()).into_owned(),
            message: String::from_utf8_lossy(c.message_bytes()).into_owned(),
            summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
        });
    }
    let mut pb = repo.packbuilder()?;
    pb.insert_walk(&mut walk_from_head()?)?;
    let mut pack = git2::Buf::new();
    pb.write_buf(&mut pack)?;
    out.extend_from_slice(format!("{head} {refname}\n\n").as_bytes());
    out.extend_from_slice(&pack);
    Ok(History {
        commits,
        refname,
        tip: Some(head.to_string()),
        work: None,
        bundle_bytes: out.len(),
        bundle: out,
    })
}

/// Remote-tracking branches by full ref name; their symbolic `HEAD`s are left out (each
/// names a branch that is listed anyway).
fn remote_branches(repo: &Repository) -> Vec<String> {
    let Ok(refs) = repo.references_glob("refs/remotes/*") else {
        return Vec::new();
    };
    refs.flatten()
        .filter_map(|r| r.name().map(str::to_string))
        .filter(|n| !n.ends_with("/HEAD"))
        .collect()
}

fn short_remote(name: &str) -> &str {
    name.strip_prefix("refs/remotes/").unwrap_or(name)
}

/// Of candidate bases (a label and a commit HEAD is or descends from), the one that leaves
/// the fewest local commits; ties go to the first label in order.
fn fewest_ahead(
    repo: &Repository,
    head: Oid,
    candidates: impl IntoIterator<Item = (String, Oid)>,
) -> Option<(String, Oid)> {
    candidates
        .into_iter()
        .map(|(label, oid)| {
            let ahead = repo
                .graph_ahead_behind(head, oid)
                .map_or(usize::MAX, |(a, _)| a);
            (ahead, label, oid)
        })
        .min_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
        .map(|(_, label, oid)| (label, oid))
}

/// The remote-tracking branch whose merge-base with HEAD leaves the fewest local commits.
fn nearest_remote_branch(repo: &Repository, head: Oid) -> Option<(String, Oid)> {
    let candidates = remote_branches(repo).into_iter().filter_map(|name| {
        let tip = repo.find_reference(&name).ok()?.peel_to_commit().ok()?;
        let mb = repo.merge_base(head, tip.id()).ok()?;
        Some((short_remote(&name).to_string(), mb))
    });
    fewest_ahead(repo, head, candidates)
}

/// Whether any remote-tracking branch contains `oid`, now or at an earlier tip its reflog
/// remembers (what was fetched from the remote was on it).
fn on_a_remote(repo: &Repository, oid: Oid) -> bool {
    let contains = |tip: Oid| tip == oid || repo.graph_descendant_of(tip, oid).unwrap_or(false);
    // Only a hosted repository makes a commit public: a remote that is a local path or a
    // `file://` URL is another folder on this machine (or one a repository's author chose).
    let hosted: Vec<String> = repo
        .remotes()
        .map(|names| {
            names
                .iter()
                .flatten()
                .filter(|n| {
                    repo.find_remote(n).is_ok_and(|r| {
                        r.url()
                            .is_some_and(|u| super::remote::parse_remote_url(u).is_some())
                    })
                })
                .map(|n| format!("refs/remotes/{n}/"))
                .collect()
        })
        .unwrap_or_default();
    let is_hosted = |name: &String| hosted.iter().any(|p| name.starts_with(p.as_str()));
    remote_branches(repo)
        .iter()
        .filter(|n| is_hosted(n))
        .any(|name| {
            let now = repo
                .find_reference(name)
                .and_then(|r| r.peel_to_commit())
                .is_ok_and(|tip| contains(tip.id()));
            now || repo.reflog(name).is_ok_and(|log| {
                log.iter()
                    .any(|e| contains(e.id_new()) || contains(e.id_old()))
            })
        })
}

/// The newest earlier tip of a remote-tracking ref (from its reflog) that HEAD is or descends
/// from, with the fewest commits between it and HEAD.
fn earlier_remote_tip(repo: &Repository, head: Oid) -> Option<(String, Oid)> {
    let candidates = remote_branches(repo).into_iter().filter_map(|name| {
        let log = repo.reflog(&name).ok()?;
        // Each entry remembers the tip before and after an update: both were on the remote.
        log.iter()
            .enumerate()
            .flat_map(|(i, e)| [(i, e.id_new()), (i, e.id_old())])
            .find(|(_, old)| {
                !old.is_zero()
                    && (*old == head || repo.graph_descendant_of(head, *old).unwrap_or(false))
            })
            .map(|(i, old)| (format!("{}@{{{i}}}", short_remote(&name)), old))
    });
    fewest_ahead(repo, head, candidates)
}

/// The remote's default branch as this clone knows it: `<remote>/HEAD`, else `main`/`master`.
fn default_branch(repo: &Repository, remote: &str) -> Option<(String, Oid)> {
    let head_ref = format!("refs/remotes/{remote}/HEAD");
    let mut candidates = Vec::new();
    if let Ok(r) = repo.find_reference(&head_ref) {
        if let Some(t) = r.symbolic_target() {
            candidates.push(t.to_string());
        }
    }
    candidates.push(format!("refs/remotes/{remote}/main"));
    candidates.push(format!("refs/remotes/{remote}/master"));
    candidates.into_iter().find_map(|name| {
        let oid = repo.find_reference(&name).ok()?.peel_to_commit().ok()?.id();
        let short = name
            .strip_prefix("refs/remotes/")
            .unwrap_or(&name)
            .to_string();
        Some((short, oid))
    })
}

fn count_commits(repo: &Repository, head: Oid) -> usize {
    let Ok(mut walk) = repo.revwalk() else {
        return 0;
    };
    if walk.push(head).is_err() {
        return 0;
    }
    walk.count()
}

fn describe_state(state: RepositoryState) -> Option<String> {
    let s = match state {
        RepositoryState::Clean => return None,
        RepositoryState::Merge => "merge",
        RepositoryState::Revert | RepositoryState::RevertSequence => "revert",
        RepositoryState::CherryPick | RepositoryState::CherryPickSequence => "cherry-pick",
        RepositoryState::Bisect => "bisect",
        RepositoryState::Rebase
        | RepositoryState::RebaseInteractive
        | RepositoryState::RebaseMerge => "rebase",
        RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => "git am",
    };
    Some(s.to_string())
}

/// The working tree and HEAD of the repository containing `dir`, without capturing changes.
pub fn locate(dir: &Path) -> Result<Option<(PathBuf, Head)>> {
    let repo = match super::open(dir) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(workdir) = repo.workdir().map(|p| p.components().collect::<PathBuf>()) else {
        return Ok(None);
    };
    Ok(Some((workdir, read_head(&repo)?)))
}

/// The hosted repository the remote of the repository containing `dir` names, if any.
pub fn remote_repo(dir: &Path) -> Result<Option<RemoteRepo>> {
    let repo = match super::open(dir) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let branch_ref = match read_head(&repo)? {
        Head::Branch { name, .. } | Head::Unborn { name } => Some(format!("refs/heads/{name}")),
        Head::Detached { .. } => None,
    };
    Ok(pick_remote(&repo, branch_ref.as_deref()).and_then(|name| {
        let r = repo.find_remote(&name).ok()?;
        parse_remote_url(&String::from_utf8_lossy(r.url_bytes()))
    }))
}

/// Reads blobs of the repository containing `dir` by full object id: what the secret guard
/// needs to rebuild a binary delta or a redacted file. Opened once, read many times.
pub struct Blobs(Option<super::view::Repo>);

impl Blobs {
    pub fn open(dir: &Path) -> Blobs {
        Blobs(super::open(dir).ok())
    }

    /// The content of `path` in `commit`'s tree, when it is a blob there.
    pub fn at(&self, commit: &str, path: &str) -> Option<Vec<u8>> {
        let repo = self.0.as_ref()?;
        let tree = repo
            .find_commit(Oid::from_str(commit).ok()?)
            .ok()?
            .tree()
            .ok()?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        Some(blob.content().to_vec())
    }

    pub fn get(&self, id: &str) -> Option<Vec<u8>> {
        let repo = self.0.as_ref()?;
        let blob = repo.find_blob(Oid::from_str(id).ok()?).ok()?;
        Some(blob.content().to_vec())
    }
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blobs")
    }
}

/// The tree a replay ends with: the tree the steps start from (the base, or `HEAD` when the
/// unpushed commits travel as commits), with the change set's patch applied by git itself
/// (`git apply --cached`, the same parser the agent's `git apply` uses) into a throwaway
/// index and object store: nothing is written to the repository. It is what `git add -A -f`
/// gives in the agent's clone once the steps ran, so the steps' last line can check it.
/// `None` when it cannot be computed (the check is then left out, never a wrong one given).
pub fn expected_tree(state: &RepoState) -> Option<String> {
    let repo = super::open(&state.workdir).ok()?;
    applied_tree(state, &repo).ok().map(|t| t.id.to_string())
}

/// A tree made by applying the change set, and the object store that holds its objects
/// (removed when dropped).
struct Applied {
    id: Oid,
    store: super::scratch::Scratch,
}

/// `repo` is the caller's: the scratch store reads through its git directory, which must
/// outlive it (a reftable repository's is a throwaway view).
fn applied_tree(state: &RepoState, repo: &Repository) -> Result<Applied> {
    let store = super::scratch::Scratch::new(repo, &state.workdir)?;
    let patch_file = store.file("change.patch");
    std::fs::write(&patch_file, state.changes.patch())?;
    let start = match &state.history {
        Some(h) => h.tip.clone(),
        None => state.base.commit.clone(),
    };
    match &start {
        Some(c) => store.run(&["read-tree", c])?,
        None => store.run(&["read-tree", "--empty"])?,
    };
    if !state.changes.files.is_empty() {
        store.run(&[
            std::ffi::OsStr::new("apply"),
            "--cached".as_ref(),
            "--whitespace=nowarn".as_ref(),
            patch_file.as_os_str(),
        ])?;
    }
    let id = Oid::from_str(&store.text(&["write-tree"])?)?;
    Ok(Applied { id, store })
}

/// Adds the work in progress to the history bundle: a commit of the index and one of the
/// working tree on top of `HEAD`, made in memory (nothing is written to the repository). The
/// working tree's tree is the expected one (`HEAD` with the final, guarded patch applied);
/// the index's is that tree with each path whose staged version differs put back to it,
/// when `clean(bytes, path)` says that version holds no secret (else the path is listed in
/// `staging_dropped` and keeps the working tree's version). Does nothing without a history
/// bundle.
pub fn add_work_in_progress(
    state: &mut RepoState,
    clean: &dyn Fn(&[u8], &str) -> bool,
) -> Result<()> {
    let Some(history) = state.history.as_mut() else {
        return Ok(());
    };
    let tip = history.tip.as_deref().map(Oid::from_str).transpose()?;
    let repo = super::open(&state.workdir)?;
    let applied = applied_tree(state, &repo)?;
    let Some(history) = state.history.as_mut() else {
        return Ok(());
    };
    let odb = repo.odb()?;
    // New commits go to memory; the applied tree's objects are read from the throwaway store.
    odb.add_new_mempack_backend(1000)?;
    odb.add_disk_alternate(&applied.store.objects().to_string_lossy())?;
    let head = tip.map(|t| repo.find_commit(t)).transpose()?;
    let head_tree = head.as_ref().map(git2::Commit::tree).transpose()?;
    let work_tree = applied.id;
    let store = &applied.store;
    // The index commit is the index itself (git writes its tree from a copy, reusing the
    // index's cached trees: fast on any size), with each staged version that must not travel
    // put back to the working tree's: a left-out path, or one that holds a possible secret.
    store.copy_index()?;
    // A conflicted path has no staged version to record: it travels as the working tree's.
    // `<mode> <id> <stage>\t<path>`
    let unmerged = store.run(&["ls-files", "-u", "-z"])?;
    if !unmerged.is_empty() {
        let mut paths: Vec<&[u8]> = unmerged
            .split(|b| *b == 0)
            .filter_map(|r| r.iter().position(|b| *b == b'\t').map(|t| &r[t + 1..]))
            .collect();
        paths.dedup();
        set_entries(store, &repo, work_tree, &paths)?;
    }
    let staged_tree = store.text(&["write-tree"])?;
    let left_out: std::collections::HashSet<&str> = state
        .changes
        .left_out
        .iter()
        .map(|l| l.path.as_str())
        .collect();
    let mut dropped = Vec::new();
    let mut put_back: Vec<Vec<u8>> = Vec::new();
    // `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0`, the index's side first.
    let raw = store.run(&[
        "diff-tree",
        "-r",
        "-z",
        "--no-renames",
        &staged_tree,
        &work_tree.to_string(),
    ])?;
    let mut fields = raw.split(|b| *b == 0);
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        let meta = String::from_utf8_lossy(meta);
        let mut parts = meta.trim_start_matches(':').split(' ');
        let (Some(_), Some(_), Some(staged_id), Some(_), Some(status)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            continue;
        };
        // Only in the working tree (untracked, or staged for deletion): nothing staged.
        if status.starts_with('A') {
            continue;
        }
        let Ok(name) = std::str::from_utf8(path) else {
            put_back.push(path.to_vec());
            continue;
        };
        let Ok(id) = Oid::from_str(staged_id) else {
            continue;
        };
        if left_out.contains(name) {
            put_back.push(path.to_vec());
            continue;
        }
        let same_as_head = head_tree
            .as_ref()
            .is_some_and(|t| t.get_path(Path::new(name)).is_ok_and(|e| e.id() == id));
        if same_as_head || repo.find_blob(id).is_ok_and(|b| clean(b.content(), name)) {
            continue;
        }
        put_back.push(path.to_vec());
        dropped.push(name.to_string());
    }
    let index_tree = if put_back.is_empty() {
        Oid::from_str(&staged_tree)?
    } else {
        let paths: Vec<&[u8]> = put_back.iter().map(Vec::as_slice).collect();
        set_entries(store, &repo, work_tree, &paths)?;
        Oid::from_str(&store.text(&["write-tree"])?)?
    };
    // Fixed names and the time of `HEAD` (or of the epoch, with none): the same state makes
    // the same commits.
    let when = head
        .as_ref()
        .map_or(git2::Time::new(0, 0), |h| h.committer().when());
    let sig = git2::Signature::new("devin-handoff", "devin-handoff@localhost", &when)?;
    let index_commit = repo.commit(
        None,
        &sig,
        &sig,
        "devin-handoff: the index (what was staged)",
        &repo.find_tree(index_tree)?,
        &head.iter().collect::<Vec<_>>(),
    )?;
    let index_c = repo.find_commit(index_commit)?;
    let work_commit = repo.commit(
        None,
        &sig,
        &sig,
        "devin-handoff: the working tree",
        &repo.find_tree(work_tree)?,
        &[&index_c],
    )?;
    // The bundle again, with both commits and the refs that name them.
    let base = history_base(&history.bundle)?;
    if history.commits.is_empty() {
        // Only the work in progress: each path has one new version in the pack and its
        // earlier one is the base's, outside it, so a delta search finds nothing to gain
        // (measured: the same bytes) and costs more than all the rest.
        no_deltas(&repo, store)?;
    }
    let mut pb = repo.packbuilder()?;
    // The delta search, where it runs, on every core.
    pb.set_threads(0);
    let mut walk = repo.revwalk()?;
    // One walk from the working-tree commit (its parents: the index commit, then `HEAD` and
    // the unpushed commits) down to the base: only what the base lacks goes in the pack.
    walk.push(work_commit)?;
    if let Some(base) = base {
        walk.hide(base)?;
    }
    pb.insert_walk(&mut walk)?;
    let mut pack = git2::Buf::new();
    pb.write_buf(&mut pack)?;
    let header_end = history
        .bundle
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| Error::other("internal: a bundle without a header"))?;
    let mut out = history.bundle[..=header_end].to_vec();
    out.extend_from_slice(
        format!("{index_commit} {INDEX_REF}\n{work_commit} {WORKTREE_REF}\n\n").as_bytes(),
    );
    out.extend_from_slice(&pack);
    history.bundle_bytes = out.len();
    history.bundle = out;
    let worktree_tree = repo.find_tree(work_tree)?;
    let attribute_links = state
        .changes
        .files
        .iter()
        .filter(|f| f.path == ".gitattributes" || f.path.ends_with("/.gitattributes"))
        .filter(|f| {
            worktree_tree
                .get_path(Path::new(&f.path))
                .is_ok_and(|e| e.filemode() == i32::from(git2::FileMode::Link))
        })
        .map(|f| f.path.clone())
        .collect();
    let in_tree = |p: &String| worktree_tree.get_path(Path::new(p)).is_ok();
    let intent_to_add = intent_to_add(&repo, store)?
        .into_iter()
        .filter(in_tree)
        .collect();
    history.work = Some(WorkCommits {
        index: index_commit.to_string(),
        worktree: work_commit.to_string(),
        staging_dropped: dropped,
        intent_to_add,
        attribute_links,
    });
    state.expected_tree = Some(work_tree.to_string());
    Ok(())
}

/// The paths the index marks as intended to be added (`git add -N`). Read by libgit2 where it
/// can read the index; else (a split index) git lists them from the scratch copy: `diff-files`
/// shows such a path as added, and nothing else that way.
fn intent_to_add(repo: &Repository, store: &super::scratch::Scratch) -> Result<Vec<String>> {
    // An index of version 2 has no extended flags, so no entry is intended to be added; git
    // writes one unless it needs them. Its header says so without reading 100,000 entries.
    let mut header = [0u8; 8];
    let version = std::fs::File::open(repo.path().join("index"))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .map(|()| u32::from_be_bytes([header[4], header[5], header[6], header[7]]));
    if matches!(version, Ok(2)) || version.is_err() {
        return Ok(Vec::new());
    }
    if let Ok(index) = repo.index() {
        let flag = git2::IndexEntryExtendedFlag::INTENT_TO_ADD.bits();
        return Ok(index
            .iter()
            .filter(|e| e.flags_extended & flag != 0)
            .filter_map(|e| String::from_utf8(e.path).ok())
            .collect());
    }
    let listed = store.run(&["diff-files", "-z", "--name-only", "--diff-filter=A"])?;
    Ok(listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| String::from_utf8(p.to_vec()).ok())
        .collect())
}

/// The ref the index commit travels under in the bundle.
pub const INDEX_REF: &str = "refs/handoff/index";
/// The ref the working-tree commit travels under in the bundle.
pub const WORKTREE_REF: &str = "refs/handoff/worktree";

/// Turns off the delta search of `repo`'s pack builder, through a configuration file in the
/// scratch store added to the in-memory configuration (the repository's files are not
/// touched). Every object counts as too big to delta: libgit2 1.9 reads that threshold under
/// `pack.deltaCacheSize` (git names it `core.bigFileThreshold`; both are set).
fn no_deltas(repo: &Repository, store: &super::scratch::Scratch) -> Result<()> {
    let file = store.file("pack.config");
    std::fs::write(
        &file,
        "[pack]\n\tdeltaCacheSize = 1\n[core]\n\tbigFileThreshold = 1\n",
    )?;
    repo.config()?
        .add_file(&file, git2::ConfigLevel::App, true)?;
    Ok(())
}

/// Sets `paths` in the scratch index to their entries in `tree` (removing the paths it lacks,
/// and any conflict stage they had).
fn set_entries(
    store: &super::scratch::Scratch,
    repo: &Repository,
    tree: Oid,
    paths: &[&[u8]],
) -> Result<()> {
    let tree = repo.find_tree(tree)?;
    let mut info = Vec::new();
    for p in paths {
        let zero = Oid::zero();
        // A zero mode removes the path (every stage); then its entry, if the tree has one.
        info.extend_from_slice(format!("0 {zero}\t").as_bytes());
        info.extend_from_slice(p);
        info.push(0);
        let Ok(name) = std::str::from_utf8(p) else {
            continue;
        };
        if let Ok(e) = tree.get_path(Path::new(name)) {
            info.extend_from_slice(format!("{:o} {}\t", e.filemode(), e.id()).as_bytes());
            info.extend_from_slice(p);
            info.push(0);
        }
    }
    store
        .run_input(&["update-index", "-z", "--index-info"], &info)
        .map(|_| ())
}

/// The prerequisite commit a bundle's header names (`-<id> <summary>`), if it names one.
fn history_base(bundle: &[u8]) -> Result<Option<Oid>> {
    let text = String::from_utf8_lossy(&bundle[..bundle.len().min(4096)]);
    let header = text.split("\n\n").next().unwrap_or("");
    header
        .lines()
        .find_map(|l| l.strip_prefix('-'))
        .map(|line| Ok(Oid::from_str(line.split(' ').next().unwrap_or(""))?))
        .transpose()
}
