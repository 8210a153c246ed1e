//! The change set: one diff from the base tree to the working tree, as per-file git patches.
//!
//! The diff is generated with explicit options so that the user's git configuration (prefixes,
//! rename limits, colour, external tools) cannot change what is captured.

use std::path::Path;

use git2::{Delta, Diff, DiffFindOptions, DiffOptions, FileMode, Oid, Patch, Repository};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use super::state::CaptureOptions;
use crate::error::{Error, Result};

/// What happened to a file between the base and the working tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
    Renamed,
    Copied,
    /// A file git does not track yet (and does not ignore).
    Untracked,
    /// Only the file mode changed (e.g. the exec bit).
    ModeChanged,
}

/// What the manifest says of one changed file: everything but its patch text.
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    pub path: String,
    /// The old path, for renames and copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
}

/// One file in the change set: its [`FileInfo`] (reached through `Deref`, so `f.path` reads
/// as before) and its complete patch text.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    #[serde(flatten)]
    pub info: FileInfo,
    /// The `diff --git` section for this file; always valid UTF-8 (non-UTF-8 text is sent as a
    /// git binary patch).
    #[serde(skip)]
    pub patch: String,
}

impl std::ops::Deref for FileChange {
    type Target = FileInfo;
    fn deref(&self) -> &FileInfo {
        &self.info
    }
}

impl std::ops::DerefMut for FileChange {
    fn deref_mut(&mut self) -> &mut FileInfo {
        &mut self.info
    }
}

/// A path that is not in the patch, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub path: String,
    pub reason: String,
}

/// Everything from the base commit to the working tree.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeSet {
    pub files: Vec<FileChange>,
    pub left_out: Vec<LeftOut>,
    /// Paths with merge conflicts: sent as the working tree has them, markers included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmerged: Vec<String>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The whole patch: every file's section, in order.
    pub fn patch(&self) -> String {
        let mut out = String::with_capacity(self.patch_len());
        for f in &self.files {
            out.push_str(&f.patch);
        }
        out
    }

    pub fn patch_len(&self) -> usize {
        self.files.iter().map(|f| f.patch.len()).sum()
    }

    pub fn additions(&self) -> usize {
        self.files.iter().map(|f| f.additions).sum()
    }

    pub fn deletions(&self) -> usize {
        self.files.iter().map(|f| f.deletions).sum()
    }
}

pub(crate) fn exclude_set(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches("./").trim_start_matches('/');
        // Like .gitignore: a pattern without a slash matches at any depth.
        let pattern = if p.contains('/') {
            p.trim_end_matches('/').to_string()
        } else {
            format!("**/{p}")
        };
        for pat in [pattern.clone(), format!("{pattern}/**")] {
            let glob = GlobBuilder::new(&pat)
                .literal_separator(true)
                .build()
                .map_err(|e| Error::usage(format!("invalid --exclude pattern {p:?}: {e}")))?;
            b.add(glob);
        }
    }
    b.build()
        .map_err(|e| Error::usage(format!("invalid --exclude pattern: {e}")))
}

/// The repository's `.handoffignore` (gitignore syntax): paths never sent, never scanned.
fn handoffignore(workdir: &Path) -> Result<Option<ignore::gitignore::Gitignore>> {
    let file = workdir.join(".handoffignore");
    if !file.exists() {
        return Ok(None);
    }
    let mut b = ignore::gitignore::GitignoreBuilder::new(workdir);
    if let Some(e) = b.add(&file) {
        return Err(Error::usage(format!("cannot read {}: {e}", file.display())));
    }
    let ig = b
        .build()
        .map_err(|e| Error::usage(format!("invalid pattern in {}: {e}", file.display())))?;
    Ok(Some(ig))
}

fn base_diff_options(opts: &CaptureOptions) -> DiffOptions {
    let mut d = DiffOptions::new();
    d.include_untracked(opts.include_untracked)
        .recurse_untracked_dirs(opts.include_untracked)
        // libgit2 takes this flag to mean "include untracked" as well, so it follows the option.
        .show_untracked_content(opts.include_untracked)
        .include_ignored(false)
        .show_binary(true)
        // Full object ids: `git apply` needs them for binary patches.
        .id_abbrev(40)
        .context_lines(3)
        .interhunk_lines(0)
        // Explicit prefixes, so `diff.noprefix` and `diff.mnemonicPrefix` cannot apply.
        .old_prefix("a/")
        .new_prefix("b/");
    d
}

fn find_renames(diff: &mut Diff<'_>) -> Result<()> {
    let mut f = DiffFindOptions::new();
    // Set every flag explicitly so that `diff.renames` and `diff.renameLimit` do not apply.
    f.renames(true)
        .for_untracked(true)
        .copies(false)
        .rename_limit(1000)
        .rename_threshold(50);
    diff.find_similar(Some(&mut f))?;
    Ok(())
}

fn path_str(p: Option<&Path>) -> String {
    p.map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Where the diff comes from: two trees, the base's and the working tree's, found by the
/// fast listing or, whenever it cannot vouch for git's view, built by git itself.
struct Source {
    snap: super::workdir::Snapshot,
}

impl Source {
    fn diff(&self, opts: &mut DiffOptions) -> Result<Diff<'_>> {
        let snap = &self.snap;
        let old = snap.mem.find_tree(snap.old_tree)?;
        let new = snap.mem.find_tree(snap.new_tree)?;
        let mut diff = snap
            .mem
            .diff_tree_to_tree(Some(&old), Some(&new), Some(opts))?;
        find_renames(&mut diff)?;
        Ok(diff)
    }

    fn is_untracked(&self, status: Delta, path: &str) -> bool {
        status == Delta::Added && self.snap.untracked.contains(path)
    }
}

pub(crate) fn collect_changes(
    repo: &Repository,
    workdir: &Path,
    base: Option<Oid>,
    opts: &CaptureOptions,
) -> Result<ChangeSet> {
    let excludes = exclude_set(&opts.excludes)?;
    let never_sent = handoffignore(workdir)?;
    let mut set = ChangeSet::default();
    let base_tree = match base {
        Some(oid) => Some(repo.find_commit(oid)?.tree()?),
        None => None,
    };
    let snapshot = (!opts.full_scan)
        .then(|| {
            super::workdir::snapshot(
                repo,
                workdir,
                base_tree.as_ref().map(|t| t.id()),
                opts.include_untracked,
                (opts.max_binary_bytes, opts.max_file_bytes),
            )
        })
        .flatten();
    let by_git = snapshot.is_none();
    let mut snap = match snapshot {
        Some(snap) => snap,
        None => super::workdir::git_snapshot(
            repo,
            workdir,
            base_tree.as_ref().map(|t| t.id()),
            opts.include_untracked,
        )?,
    };
    set.left_out.append(&mut snap.left_out);
    let source = Source { snap };
    let diff = source.diff(&mut base_diff_options(opts))?;

    let mut needs_binary: Vec<usize> = Vec::new();
    // The index, when git built the tree (the fast listing has read it already): conflicted
    // paths, and edits git does not look at.
    let index = if by_git { repo.index().ok() } else { None };
    // A conflicted path travels as its file on disk (conflict markers and all), which is
    // what `git add` recorded; the prompt names it.
    let mut unmerged: Vec<String> = Vec::new();
    if let Some(index) = &index {
        for c in index.conflicts()?.flatten() {
            let entry = c.our.or(c.their).or(c.ancestor);
            if let Some(e) = entry {
                let p = String::from_utf8_lossy(&e.path).into_owned();
                if !unmerged.contains(&p) {
                    unmerged.push(p);
                }
            }
        }
    }
    for (idx, delta) in diff.deltas().enumerate() {
        let new_path = path_str(delta.new_file().path());
        let old_path = path_str(delta.old_file().path());
        let path = if delta.status() == Delta::Deleted {
            old_path.clone()
        } else {
            new_path.clone()
        };
        if !opts.excludes.is_empty() && (excludes.is_match(&path) || excludes.is_match(&old_path)) {
            set.left_out.push(LeftOut {
                path,
                reason: "excluded by --exclude".into(),
            });
            continue;
        }
        if let Some(ig) = &never_sent {
            let hit =
                |p: &str| !p.is_empty() && ig.matched_path_or_any_parents(p, false).is_ignore();
            if hit(&path) || hit(&old_path) {
                set.left_out.push(LeftOut {
                    path,
                    reason: "listed in .handoffignore".into(),
                });
                continue;
            }
        }
        // git records an untracked repository inside the working tree as a gitlink.
        if delta.new_file().mode() == FileMode::Commit && source.is_untracked(delta.status(), &path)
        {
            set.left_out.push(LeftOut {
                path: path.trim_end_matches('/').to_string(),
                reason: "nested git repository (not captured)".into(),
            });
            continue;
        }
        if delta.new_file().mode() == FileMode::Commit
            || delta.old_file().mode() == FileMode::Commit
        {
            set.left_out.push(LeftOut {
                path,
                reason: "submodule (its contents are not captured)".into(),
            });
            continue;
        }
        if delta.status() != Delta::Deleted {
            let abs = workdir.join(&new_path);
            if let Ok(meta) = std::fs::symlink_metadata(&abs) {
                let large = meta
                    .is_file()
                    .then(|| {
                        super::state::too_large(
                            meta.len(),
                            opts.max_binary_bytes,
                            opts.max_file_bytes,
                            || super::workdir::looks_binary(&abs),
                        )
                    })
                    .flatten();
                if let Some(why) = large {
                    let renamed = delta.status() == Delta::Renamed;
                    set.left_out.push(LeftOut {
                        path,
                        reason: format!(
                            "{why}{}",
                            if renamed {
                                format!(" (moved from {old_path}, which the patch deletes)")
                            } else {
                                String::new()
                            }
                        ),
                    });
                    // A move still deletes its old path: otherwise the replay keeps it.
                    if renamed {
                        set.files.push(binary_deletion(&old_path, &delta));
                    }
                    continue;
                }
            }
        }
        let mut patch = match Patch::from_diff(&diff, idx) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            // libgit2 reads the new side of a typechange whose file is gone by now (a
            // staged file→symlink, then removed): the diff's deletion of it carries it.
            Err(_)
                if std::fs::symlink_metadata(workdir.join(&path)).is_err()
                    && diff.deltas().any(|d| {
                        d.status() == Delta::Deleted && path_str(d.old_file().path()) == path
                    }) =>
            {
                continue;
            }
            Err(e) => {
                set.left_out.push(LeftOut {
                    path,
                    reason: format!("unreadable: {}", e.message()),
                });
                continue;
            }
        };
        let untracked = source.is_untracked(delta.status(), &path);
        match file_change(&mut patch, &path, &old_path, untracked) {
            Ok(FileText::Utf8(fc)) => set.files.push(fc),
            Ok(FileText::NotUtf8(placeholder)) => {
                // Keep the file's place in the order; the binary pass below fills it in.
                needs_binary.push(set.files.len());
                set.files.push(placeholder);
            }
            Err(e) => set.left_out.push(LeftOut {
                path,
                reason: format!("unreadable: {e}"),
            }),
        }
    }
    if !needs_binary.is_empty() {
        fill_binary(&source, opts, &mut set, &needs_binary)?;
    }
    set.unmerged = unmerged;
    if let Some(index) = &index {
        hidden_edits(repo, index, workdir, &mut set);
    }
    // A patch that still says only `Binary files … differ` (libgit2 gives no data for an
    // intent-to-add entry with a binary attribute) cannot apply: a new file is written
    // from disk; anything else is listed, never sent broken.
    let mut broken = Vec::new();
    // A file libgit2 lists though nothing changed (stat data only: same content, same mode,
    // same path) is a header alone; git lists nothing, and nothing is sent.
    set.files
        .retain(|f| f.patch.lines().skip(1).any(|l| !l.starts_with("index ")));
    for (i, f) in set.files.iter_mut().enumerate() {
        if !f.patch.contains("\nBinary files ") || f.patch.contains("\nGIT binary patch\n") {
            continue;
        }
        let fresh = matches!(f.kind, ChangeKind::Added | ChangeKind::Untracked)
            .then(|| new_file(workdir, &f.path, opts.max_binary_bytes, opts.max_file_bytes).ok())
            .flatten();
        match fresh {
            Some(mut fc) => {
                fc.kind = f.kind;
                *f = fc;
            }
            None => broken.push(i),
        }
    }
    for i in broken.into_iter().rev() {
        let f = set.files.remove(i);
        set.left_out.push(LeftOut {
            path: f.info.path,
            reason: "git gives no binary data for this change, so no patch could carry it".into(),
        });
    }
    // Both capture stages may leave out one path (the snapshot and the size check here):
    // list it once, with the later, fuller reason.
    let mut seen = std::collections::HashSet::new();
    let mut deduped: Vec<LeftOut> = std::mem::take(&mut set.left_out)
        .into_iter()
        .rev()
        .filter(|l| seen.insert(l.path.clone()))
        .collect();
    deduped.reverse();
    set.left_out = deduped;
    // `git apply` writes files in the patch's order: every deletion must come before an
    // addition that needs its place (a file replaced by a directory or a symlink, or the
    // two halves of a typechange), and a rename before a new file at its old path. Within
    // each class the order is by path, so both capture engines give the same bytes
    // whatever order their corrections were found in.
    set.files.sort_by(|a, b| {
        let class = |f: &FileChange| match f.kind {
            ChangeKind::Deleted => 0u8,
            ChangeKind::Renamed => 1,
            _ => 2,
        };
        (class(a), a.path.as_bytes()).cmp(&(class(b), b.path.as_bytes()))
    });
    Ok(set)
}

/// A change that leaves the content as it was (a pure rename, a mode change) is headers
/// alone, as git writes it. libgit2 adds a `Binary files … differ` line for binary files,
/// which `git apply` refuses.
fn headers_only(f: &mut FileChange) {
    let mut kept = String::with_capacity(f.patch.len());
    for line in f.patch.split_inclusive('\n') {
        if line.starts_with("Binary files ")
            || line.starts_with("GIT binary patch")
            || line.starts_with("index ")
            || line.starts_with("--- ")
        {
            break;
        }
        kept.push_str(line);
    }
    f.patch = kept;
}

/// Files marked assume-unchanged or skip-worktree whose content on disk differs from the
/// index: git (and libgit2's diff) does not look at them, so they are listed as left out.
fn hidden_edits(repo: &Repository, index: &git2::Index, workdir: &Path, set: &mut ChangeSet) {
    const ASSUME_VALID: u16 = 0x8000;
    const SKIP_WORKTREE: u16 = 0x4000;
    let sparse_present = super::workdir::present_files_are_tracked(repo);
    for e in index.iter() {
        let skip = e.flags_extended & SKIP_WORKTREE != 0;
        let hidden = e.flags & ASSUME_VALID != 0 || skip;
        if !hidden || e.mode == 0o160000 {
            continue;
        }
        let path = String::from_utf8_lossy(&e.path).into_owned();
        // Back in a sparse checkout's working tree: git clears the bit and sends its edits.
        if skip
            && e.flags & ASSUME_VALID == 0
            && sparse_present
            && std::fs::symlink_metadata(workdir.join(&path)).is_ok()
        {
            continue;
        }
        if super::workdir::disk_differs(&workdir.join(&path), e.id) {
            set.left_out.push(LeftOut {
                path,
                reason: super::workdir::HIDDEN_EDIT.into(),
            });
        }
    }
}

/// Whether git would record the file as executable: its owner's execute bit.
#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

/// No execute bit to read: git (with `core.fileMode` false, its default there) records a new
/// file as not executable.
#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// An untracked file as a new-file patch, made by libgit2 exactly as the main diff makes
/// one (same headers, same hunk format, a binary patch where the main diff would need one),
/// so that both capture engines give the same bytes.
fn new_file(
    workdir: &Path,
    path: &str,
    max_binary: u64,
    max_file: u64,
) -> std::result::Result<FileChange, String> {
    let abs = workdir.join(path);
    let meta = std::fs::symlink_metadata(&abs).map_err(|e| format!("unreadable: {e}"))?;
    let (content, mode) = if meta.file_type().is_symlink() {
        let t = std::fs::read_link(&abs).map_err(|e| format!("unreadable: {e}"))?;
        (t.as_os_str().as_encoded_bytes().to_vec(), FileMode::Link)
    } else {
        if let Some(why) = super::state::too_large(meta.len(), max_binary, max_file, || {
            super::workdir::looks_binary(&abs)
        }) {
            return Err(why);
        }
        let c = std::fs::read(&abs).map_err(|e| format!("unreadable: {e}"))?;
        let exec = executable(&meta);
        (
            c,
            if exec {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            },
        )
    };
    let render = |force_binary: bool| -> std::result::Result<(Vec<u8>, usize, bool), git2::Error> {
        let odb = git2::Odb::new()?;
        odb.add_new_mempack_backend(1000)?;
        let mem = Repository::from_odb(odb)?;
        let id = mem.blob(&content)?;
        let empty = mem.find_tree(mem.treebuilder(None)?.write()?)?;
        let mut up = git2::build::TreeUpdateBuilder::new();
        up.upsert(path, id, mode);
        let tree = mem.find_tree(up.create_updated(&mem, &empty)?)?;
        let mut d = base_diff_options(&CaptureOptions::default());
        d.force_binary(force_binary);
        let diff = mem.diff_tree_to_tree(Some(&empty), Some(&tree), Some(&mut d))?;
        let mut p = Patch::from_diff(&diff, 0)?
            .ok_or_else(|| git2::Error::from_str("no patch for a new file"))?;
        let (_, additions, _) = p.line_stats()?;
        let binary = p.delta().flags().is_binary();
        Ok((p.to_buf()?.to_vec(), additions, binary))
    };
    let failed = |e: git2::Error| format!("unreadable: {}", e.message());
    let (mut bytes, mut additions, mut binary) = render(false).map_err(failed)?;
    let text = String::from_utf8(bytes.clone()).ok();
    if text.as_ref().is_none_or(|t| t.contains("\nBinary files ")) {
        (bytes, _, _) = render(true).map_err(failed)?;
        (additions, binary) = (0, true);
    }
    let patch = String::from_utf8(bytes)
        .map_err(|_| "its name cannot be represented in the prompt".to_string())?;
    Ok(FileChange {
        info: FileInfo {
            path: path.to_string(),
            old_path: None,
            kind: ChangeKind::Untracked,
            binary,
            additions,
            deletions: 0,
        },
        patch,
    })
}

/// The deletion of a binary file, without its content: `git apply` checks the old blob's id
/// and needs no reverse hunk.
fn binary_deletion(path: &str, delta: &git2::DiffDelta<'_>) -> FileChange {
    let mode = u32::from(delta.old_file().mode());
    let id = delta.old_file().id();
    let patch = format!(
        "diff --git a/{path} b/{path}\ndeleted file mode {mode:o}\nindex {id}..{}\nGIT binary patch\n{}",
        git2::Oid::zero(),
        crate::patch::binary::literal_hunk(b"")
    );
    FileChange {
        info: FileInfo {
            path: path.to_string(),
            old_path: None,
            kind: ChangeKind::Deleted,
            binary: true,
            additions: 0,
            deletions: 0,
        },
        patch,
    }
}

/// Text that is not valid UTF-8 cannot travel in a JSON prompt, so those files are
/// regenerated as git binary patches (base85, plain ASCII), which `git apply` restores exactly.
fn fill_binary(
    source: &Source,
    opts: &CaptureOptions,
    set: &mut ChangeSet,
    slots: &[usize],
) -> Result<()> {
    let mut d = base_diff_options(opts);
    d.force_binary(true).disable_pathspec_match(true);
    for &i in slots {
        d.pathspec(&set.files[i].path);
        if let Some(old) = &set.files[i].old_path {
            d.pathspec(old);
        }
    }
    let diff = source.diff(&mut d)?;
    let mut failed = Vec::new();
    for &i in slots {
        let want = set.files[i].path.clone();
        let found = diff.deltas().enumerate().find(|(_, delta)| {
            let p = if delta.status() == Delta::Deleted {
                delta.old_file().path()
            } else {
                delta.new_file().path()
            };
            path_str(p) == want
        });
        let text = found.and_then(|(idx, _)| {
            let mut patch = Patch::from_diff(&diff, idx).ok()??;
            let buf = patch.to_buf().ok()?;
            String::from_utf8(buf.to_vec()).ok()
        });
        match text {
            Some(t) => set.files[i].patch = t,
            None => failed.push(i),
        }
    }
    for i in failed.into_iter().rev() {
        let f = set.files.remove(i);
        set.left_out.push(LeftOut {
            path: f.info.path,
            reason: "its name or contents cannot be represented in the prompt".into(),
        });
    }
    Ok(())
}

fn kind_of(status: Delta, delta: &git2::DiffDelta<'_>, untracked: bool) -> ChangeKind {
    match status {
        _ if untracked => ChangeKind::Untracked,
        Delta::Added => ChangeKind::Added,
        Delta::Deleted => ChangeKind::Deleted,
        Delta::Renamed => ChangeKind::Renamed,
        Delta::Copied => ChangeKind::Copied,
        Delta::Untracked => ChangeKind::Untracked,
        _ if delta.old_file().id() == delta.new_file().id()
            && delta.old_file().mode() != delta.new_file().mode() =>
        {
            ChangeKind::ModeChanged
        }
        _ => ChangeKind::Modified,
    }
}

enum FileText {
    Utf8(FileChange),
    /// The patch text is not UTF-8: the change without its patch, to be redone as binary.
    NotUtf8(FileChange),
}

/// Builds the file's change from its patch.
fn file_change(
    patch: &mut Patch<'_>,
    path: &str,
    old_path: &str,
    untracked: bool,
) -> Result<FileText> {
    let delta = patch.delta();
    let (a, b) = (delta.old_file().id(), delta.new_file().id());
    let same_content = a == b && !a.is_zero();
    let (_, additions, deletions) = patch.line_stats()?;
    let mut fc = FileChange {
        info: FileInfo {
            path: path.to_string(),
            old_path: (old_path != path && !old_path.is_empty()).then(|| old_path.to_string()),
            kind: kind_of(delta.status(), &delta, untracked),
            binary: delta.flags().is_binary(),
            additions,
            deletions,
        },
        patch: String::new(),
    };
    match String::from_utf8(patch.to_buf()?.to_vec()) {
        // `Binary files … differ` carries no data, and `git apply` refuses it: redone as a
        // git binary patch, like text that is not UTF-8.
        Ok(text) if !same_content && text.contains("\nBinary files ") => {
            fc.binary = true;
            Ok(FileText::NotUtf8(fc))
        }
        Ok(text) => {
            fc.patch = text;
            if same_content {
                headers_only(&mut fc);
            }
            Ok(FileText::Utf8(fc))
        }
        Err(_) => {
            fc.binary = true;
            Ok(FileText::NotUtf8(fc))
        }
    }
}

/// Each commit's own change (against its first parent) as patch text, for the guard: with
/// `--history` the bundle carries every one of them, not only their sum.
pub fn commit_patches(dir: &Path, commits: &[String]) -> Result<Vec<String>> {
    let repo = super::open(dir)?;
    let opts = CaptureOptions::default();
    let mut out = Vec::with_capacity(commits.len());
    for id in commits {
        let c = repo.find_commit(Oid::from_str(id)?)?;
        let parent = c.parents().next().map(|p| p.tree()).transpose()?;
        let mut d = base_diff_options(&opts);
        d.force_binary(false);
        let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&c.tree()?), Some(&mut d))?;
        let mut text = String::new();
        for idx in 0..diff.deltas().len() {
            if let Ok(Some(mut p)) = Patch::from_diff(&diff, idx) {
                text.push_str(&String::from_utf8_lossy(&p.to_buf()?));
            }
        }
        out.push(text);
    }
    Ok(out)
}

/// The staged changes (HEAD against the index) as per-file patch text, for scanning before a
/// commit. `Ok(None)` outside a repository. Text is decoded lossily: it is only scanned.
pub fn staged_patches(dir: &Path) -> Result<Option<Vec<String>>> {
    let repo = match super::open(dir) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let head = match repo.head() {
        Ok(h) => Some(h.peel_to_tree()?),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let opts = CaptureOptions::default();
    let mut d = base_diff_options(&opts);
    let mut diff = repo.diff_tree_to_index(head.as_ref(), None, Some(&mut d))?;
    find_renames(&mut diff)?;
    let mut out = Vec::with_capacity(diff.deltas().len());
    for idx in 0..diff.deltas().len() {
        if let Ok(Some(mut p)) = Patch::from_diff(&diff, idx) {
            out.push(String::from_utf8_lossy(&p.to_buf()?).into_owned());
        }
    }
    Ok(Some(out))
}
