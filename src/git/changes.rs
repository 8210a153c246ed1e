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

/// Where the diff comes from: libgit2's full working-tree diff, or the fast snapshot.
enum Source<'r> {
    Workdir {
        repo: &'r Repository,
        base: Option<git2::Tree<'r>>,
    },
    Snapshot(super::workdir::Snapshot),
}

impl Source<'_> {
    fn diff(&self, opts: &mut DiffOptions) -> Result<Diff<'_>> {
        let mut diff = match self {
            Source::Workdir { repo, base } => {
                repo.diff_tree_to_workdir_with_index(base.as_ref(), Some(opts))?
            }
            Source::Snapshot(snap) => {
                let old = snap.mem.find_tree(snap.old_tree)?;
                let new = snap.mem.find_tree(snap.new_tree)?;
                snap.mem
                    .diff_tree_to_tree(Some(&old), Some(&new), Some(opts))?
            }
        };
        find_renames(&mut diff)?;
        Ok(diff)
    }

    fn is_untracked(&self, status: Delta, path: &str) -> bool {
        match self {
            Source::Workdir { .. } => status == Delta::Untracked,
            Source::Snapshot(snap) => status == Delta::Added && snap.untracked.contains(path),
        }
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
    let source = match snapshot {
        Some(mut snap) => {
            set.left_out.append(&mut snap.left_out);
            Source::Snapshot(snap)
        }
        None => Source::Workdir {
            repo,
            base: base_tree,
        },
    };
    let diff = source.diff(&mut base_diff_options(opts))?;

    let mut needs_binary: Vec<usize> = Vec::new();
    // The index, on the full-diff path only: which deleted paths it no longer holds.
    let unindexed_paths = match source {
        Source::Workdir { .. } => Some(repo.index()?),
        Source::Snapshot(_) => None,
    };
    let mut unmerged: Vec<String> = Vec::new();
    for (idx, delta) in diff.deltas().enumerate() {
        let new_path = path_str(delta.new_file().path());
        let old_path = path_str(delta.old_file().path());
        // A conflicted path's index holds three versions, none of them the working tree's:
        // it is settled against the disk below (conflict markers and all).
        if delta.status() == Delta::Conflicted {
            let p = if new_path.is_empty() {
                &old_path
            } else {
                &new_path
            };
            if !unmerged.contains(p) {
                unmerged.push(p.clone());
            }
            continue;
        }
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
        if delta.new_file().mode() == FileMode::Commit
            || delta.old_file().mode() == FileMode::Commit
        {
            set.left_out.push(LeftOut {
                path,
                reason: "submodule (its contents are not captured)".into(),
            });
            continue;
        }
        if delta.status() == Delta::Untracked && delta.new_file().mode() == FileMode::Tree {
            set.left_out.push(LeftOut {
                path: path.trim_end_matches('/').to_string(),
                reason: "nested git repository (not captured)".into(),
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
        // libgit2's full diff reports a file removed from the index but still on disk
        // (`git rm --cached`) as deleted, and drops it as untracked: the replay would delete
        // a file the working tree has. Such paths are settled after the loop, by comparing
        // the base with the disk directly (see `unindexed`).
        // Outside a sparse checkout's cone, files are absent by design: git marks them
        // skip-worktree and sees no change; libgit2's full diff reports them deleted.
        if delta.status() == Delta::Deleted
            && unindexed_paths.as_ref().is_some_and(|idx| {
                idx.get_path(Path::new(&old_path), 0)
                    .is_some_and(|e| e.flags_extended & 0x4000 != 0)
            })
        {
            continue;
        }
        if delta.status() == Delta::Deleted
            && opts.include_untracked
            && unindexed_paths
                .as_ref()
                .is_some_and(|idx| idx.get_path(Path::new(&old_path), 0).is_none())
            && std::fs::symlink_metadata(workdir.join(&old_path)).is_ok()
        {
            continue;
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
    if let (
        Source::Workdir {
            base: Some(base), ..
        },
        true,
    ) = (&source, opts.include_untracked)
    {
        unindexed(repo, workdir, Some(base), &unmerged, opts, &mut set)?;
    } else if !unmerged.is_empty() {
        unindexed(repo, workdir, None, &unmerged, opts, &mut set)?;
    }
    set.unmerged = unmerged;
    if let Some(index) = &unindexed_paths {
        hidden_edits(index, workdir, &mut set);
    }
    // The full diff has the index loaded already; the fast path loads it only when its
    // snapshot saw a `.gitattributes` turned directory.
    match (&unindexed_paths, &source) {
        (Some(index), _) => shadowed_attributes(index, workdir, &mut set),
        (None, Source::Snapshot(snap)) if snap.attributes_shadowed => {
            shadowed_attributes(&repo.index()?, workdir, &mut set)
        }
        _ => {}
    }
    if matches!(source, Source::Workdir { .. }) && opts.include_untracked {
        for path in re_included(repo, workdir)? {
            let excluded = !opts.excludes.is_empty() && excludes.is_match(&path);
            let never = never_sent
                .as_ref()
                .is_some_and(|ig| ig.matched_path_or_any_parents(&path, false).is_ignore());
            if excluded || never {
                set.left_out.push(LeftOut {
                    path,
                    reason: "excluded by --exclude or .handoffignore".into(),
                });
                continue;
            }
            match new_file(workdir, &path, opts.max_binary_bytes, opts.max_file_bytes) {
                Ok(fc) => set.files.push(fc),
                Err(reason) => set.left_out.push(LeftOut { path, reason }),
            }
        }
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
fn hidden_edits(index: &git2::Index, workdir: &Path, set: &mut ChangeSet) {
    const ASSUME_VALID: u16 = 0x8000;
    const SKIP_WORKTREE: u16 = 0x4000;
    for e in index.iter() {
        let hidden = e.flags & ASSUME_VALID != 0 || e.flags_extended & SKIP_WORKTREE != 0;
        if !hidden || e.mode == 0o160000 {
            continue;
        }
        let path = String::from_utf8_lossy(&e.path).into_owned();
        if super::workdir::disk_differs(&workdir.join(&path), e.id) {
            set.left_out.push(LeftOut {
                path,
                reason: super::workdir::HIDDEN_EDIT.into(),
            });
        }
    }
}

/// Untracked files libgit2 calls ignored but git does not (a nested `.gitignore` negation
/// re-including them): libgit2's full diff leaves them out, so they are added here.
fn re_included(repo: &Repository, workdir: &Path) -> Result<Vec<String>> {
    let mut so = git2::StatusOptions::new();
    so.include_ignored(true)
        .recurse_ignored_dirs(false)
        .include_untracked(false)
        .exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut so))?;
    let ignores = super::ignores::Ignores::new(repo, workdir);
    let mut out = Vec::new();
    for e in statuses.iter() {
        if !e.status().contains(git2::Status::IGNORED) {
            continue;
        }
        let Some(path) = e.path() else { continue };
        if path.ends_with('/') {
            continue;
        }
        let meta = std::fs::symlink_metadata(workdir.join(path));
        let is_file = meta.is_ok_and(|m| m.is_file() || m.file_type().is_symlink());
        if is_file && !ignores.is_ignored(Path::new(path), false) {
            out.push(path.to_string());
        }
    }
    out.sort();
    Ok(out)
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
        use std::os::unix::fs::PermissionsExt;
        if let Some(why) = super::state::too_large(meta.len(), max_binary, max_file, || {
            super::workdir::looks_binary(&abs)
        }) {
            return Err(why);
        }
        let c = std::fs::read(&abs).map_err(|e| format!("unreadable: {e}"))?;
        let exec = meta.permissions().mode() & 0o100 != 0;
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
        crate::scan::binary::literal_hunk(b"")
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

/// Why a file under a `.gitattributes` that became a directory is not sent.
const SHADOWED_ATTRIBUTES: &str = "its line endings follow a .gitattributes that is now a \
     directory: git then reads no attributes there, libgit2 reads the index's copy, so the \
     change cannot be captured the way git sees it";

/// A tracked `.gitattributes` replaced by a directory: git reads no attributes from it, but
/// libgit2 (both engines) falls back to the index's copy and may see a file whose line
/// endings differ as unchanged. Such files are found by their raw bytes and listed as left
/// out, never silently dropped.
fn shadowed_attributes(index: &git2::Index, workdir: &Path, set: &mut ChangeSet) {
    let dirs: Vec<String> = index
        .iter()
        .filter_map(|e| {
            let p = String::from_utf8_lossy(&e.path).into_owned();
            let dir = p.strip_suffix(".gitattributes")?;
            (dir.is_empty() || dir.ends_with('/'))
                .then_some(())
                .filter(|_| workdir.join(&p).is_dir())
                .map(|_| dir.to_string())
        })
        .collect();
    if dirs.is_empty() {
        return;
    }
    let known: std::collections::HashSet<String> = set
        .files
        .iter()
        .map(|f| f.path.clone())
        .chain(set.left_out.iter().map(|l| l.path.clone()))
        .collect();
    for e in index.iter() {
        let path = String::from_utf8_lossy(&e.path).into_owned();
        if known.contains(&path) || !dirs.iter().any(|d| path.starts_with(d.as_str())) {
            continue;
        }
        let abs = workdir.join(&path);
        let is_file = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_file());
        if is_file && super::workdir::disk_differs(&abs, e.id) {
            set.left_out.push(LeftOut {
                path,
                reason: SHADOWED_ATTRIBUTES.into(),
            });
        }
    }
}

/// Paths of the base that the index no longer has (`git rm --cached`, or removed outright):
/// libgit2's full diff gets these wrong when the file is still on disk (a deletion, or
/// nothing at all when its ignore rules misjudge the file). Each is settled here the way
/// git sees it: the base's entry against what is on disk, unless git ignores it there, in
/// which case it is a deletion.
fn unindexed(
    repo: &Repository,
    workdir: &Path,
    base: Option<&git2::Tree<'_>>,
    unmerged: &[String],
    opts: &CaptureOptions,
    set: &mut ChangeSet,
) -> Result<()> {
    let index = repo.index()?;
    let mut gone: Vec<(String, Oid, i32)> = Vec::new();
    if let Some(base) = base {
        base.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() != Some(git2::ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let path = format!("{root}{}", String::from_utf8_lossy(entry.name_bytes()));
            let in_index = (0..=3).any(|stage| index.get_path(Path::new(&path), stage).is_some());
            if !in_index || unmerged.contains(&path) {
                gone.push((path, entry.id(), entry.filemode()));
            }
            git2::TreeWalkResult::Ok
        })?;
    }
    // Unmerged paths the base does not have (added on both sides): new files from disk.
    for path in unmerged {
        if gone.iter().any(|g| &g.0 == path) {
            continue;
        }
        if std::fs::symlink_metadata(workdir.join(path)).is_ok() {
            match new_file(workdir, path, opts.max_binary_bytes, opts.max_file_bytes) {
                Ok(fc) => set.files.push(fc),
                Err(reason) => set.left_out.push(LeftOut {
                    path: path.clone(),
                    reason,
                }),
            }
        }
    }
    if gone.is_empty() {
        return Ok(());
    }
    let ignores = super::ignores::Ignores::new(repo, workdir);
    let listed: std::collections::HashSet<String> = set
        .files
        .iter()
        .flat_map(|f| std::iter::once(f.path.clone()).chain(f.old_path.clone()))
        .chain(set.left_out.iter().map(|l| l.path.clone()))
        .collect();
    let odb = git2::Odb::new()?;
    odb.add_new_mempack_backend(1000)?;
    if let Some(objects) = repo.commondir().join("objects").to_str() {
        odb.add_disk_alternate(objects)?;
    }
    let mem = Repository::from_odb(odb)?;
    let empty_id = mem.treebuilder(None)?.write()?;
    let mut old_up = git2::build::TreeUpdateBuilder::new();
    let mut new_up = git2::build::TreeUpdateBuilder::new();
    let mut any = false;
    for (path, id, mode) in gone {
        // A file (or symlink) still at the path; a directory there now does not count.
        let kept = std::fs::symlink_metadata(workdir.join(&path)).is_ok_and(|m| !m.is_dir());
        // A deletion the diff already carries stands; a rename's old side too.
        if listed.contains(&path) && !kept {
            continue;
        }
        set.files
            .retain(|f| !(f.path == path && f.kind == ChangeKind::Deleted));
        // Rename detection may have paired this path, still on disk, with a new file: the
        // new file is then an addition of its own, and this path is settled below.
        if kept {
            for f in set.files.iter_mut() {
                if f.kind == ChangeKind::Renamed && f.old_path.as_deref() == Some(path.as_str()) {
                    if let Ok(mut fresh) =
                        new_file(workdir, &f.path, opts.max_binary_bytes, opts.max_file_bytes)
                    {
                        fresh.kind = ChangeKind::Added;
                        *f = fresh;
                    }
                }
            }
        }
        let mode = match mode {
            0o100755 => FileMode::BlobExecutable,
            0o120000 => FileMode::Link,
            _ => FileMode::Blob,
        };
        old_up.upsert(path.as_str(), id, mode);
        any = true;
        let abs = workdir.join(&path);
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            continue;
        };
        if !unmerged.contains(&path) && ignores.is_ignored(Path::new(&path), false) {
            continue;
        }
        let now = if meta.file_type().is_symlink() {
            let t = std::fs::read_link(&abs).map_err(|e| Error::other(e.to_string()))?;
            Some((mem.blob(t.as_os_str().as_encoded_bytes())?, FileMode::Link))
        } else if meta.is_file() {
            use std::os::unix::fs::PermissionsExt;
            let mut c = std::fs::read(&abs).map_err(|e| Error::other(e.to_string()))?;
            if normalizes_line_endings(repo, &path, &c) {
                c = crlf_to_lf(&c);
            }
            let exec = meta.permissions().mode() & 0o100 != 0;
            let m = if exec {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            };
            Some((mem.blob(&c)?, m))
        } else {
            None
        };
        if let Some((nid, nmode)) = now {
            new_up.upsert(path.as_str(), nid, nmode);
        }
    }
    if !any {
        return Ok(());
    }
    let empty = mem.find_tree(empty_id)?;
    let old = old_up.create_updated(&mem, &empty)?;
    let new = new_up.create_updated(&mem, &empty)?;
    let (a, b) = (mem.find_tree(old)?, mem.find_tree(new)?);
    let mut d = base_diff_options(opts);
    let diff = mem.diff_tree_to_tree(Some(&a), Some(&b), Some(&mut d))?;
    for idx in 0..diff.deltas().len() {
        let Some(mut patch) = Patch::from_diff(&diff, idx)? else {
            continue;
        };
        let (path, status) = {
            let delta = patch.delta();
            (
                path_str(delta.new_file().path().or(delta.old_file().path())),
                delta.status(),
            )
        };
        // A base path the index dropped that is still on disk is untracked, as git says.
        let untracked = status == Delta::Added
            && !unmerged.contains(&path)
            && index.get_path(Path::new(&path), 0).is_none();
        match file_change(&mut patch, &path, &path, untracked)? {
            FileText::Utf8(fc) => set.files.push(fc),
            FileText::NotUtf8(mut fc) => {
                // Redo as a binary patch, as the main diff does.
                let mut bd = base_diff_options(opts);
                bd.force_binary(true);
                let bdiff = mem.diff_tree_to_tree(Some(&a), Some(&b), Some(&mut bd))?;
                let text = (0..bdiff.deltas().len()).find_map(|i| {
                    let mut p = Patch::from_diff(&bdiff, i).ok()??;
                    let dl = p.delta();
                    let same = path_str(dl.new_file().path().or(dl.old_file().path())) == path
                        && dl.status() == status;
                    if !same {
                        return None;
                    }
                    String::from_utf8(p.to_buf().ok()?.to_vec()).ok()
                });
                match text {
                    Some(t) => {
                        fc.patch = t;
                        set.files.push(fc);
                    }
                    None => set.left_out.push(LeftOut {
                        path,
                        reason: "its contents cannot be represented in the prompt".into(),
                    }),
                }
            }
        }
    }
    Ok(())
}

/// Whether git's clean filter would turn this file's CRLF line endings into LF: a `text`
/// attribute (`text=auto` for text content), or `core.autocrlf` set to true or input. The
/// attributes are the working tree's: those the replayed tree will have.
fn normalizes_line_endings(repo: &Repository, path: &str, content: &[u8]) -> bool {
    if content.contains(&0) || !content.windows(2).any(|w| w == b"\r\n") {
        return false;
    }
    // libgit2 falls back to the index's `.gitattributes` when the working tree has none; the
    // replayed tree will have the working tree's, so only those count.
    let in_tree = repo.path().join("info/attributes").exists()
        || Path::new(path).ancestors().skip(1).any(|d| {
            repo.workdir()
                .is_some_and(|w| w.join(d).join(".gitattributes").is_file())
        });
    let attr = in_tree
        .then(|| {
            repo.get_attr(
                Path::new(path),
                "text",
                git2::AttrCheckFlags::FILE_THEN_INDEX,
            )
            .ok()
            .flatten()
        })
        .flatten();
    match attr {
        Some("auto") => true,
        Some(v) if git2::AttrValue::from_string(Some(v)) == git2::AttrValue::True => true,
        Some(v) if git2::AttrValue::from_string(Some(v)) == git2::AttrValue::False => false,
        _ => {
            let autocrlf = repo
                .config()
                .and_then(|c| c.get_string("core.autocrlf"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            matches!(autocrlf.as_str(), "true" | "input")
        }
    }
}

fn crlf_to_lf(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    let mut i = 0;
    while i < content.len() {
        if content[i] == b'\r' && content.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(content[i]);
        i += 1;
    }
    out
}

/// Text that is not valid UTF-8 cannot travel in a JSON prompt, so those files are
/// regenerated as git binary patches (base85, plain ASCII), which `git apply` restores exactly.
fn fill_binary(
    source: &Source<'_>,
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
