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

/// One file in the change set, with its complete patch text.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    /// The old path, for renames and copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
    /// The `diff --git` section for this file; always valid UTF-8 (non-UTF-8 text is sent as a
    /// git binary patch).
    #[serde(skip)]
    pub patch: String,
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
                opts.max_binary_bytes,
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
                if meta.is_file()
                    && meta.len() > opts.max_binary_bytes
                    && super::workdir::looks_binary(&abs)
                {
                    let renamed = delta.status() == Delta::Renamed;
                    set.left_out.push(LeftOut {
                        path,
                        reason: format!(
                            "binary file of {} bytes, over the {} byte limit{}",
                            meta.len(),
                            opts.max_binary_bytes,
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
        // a file the working tree has. Diff its base blob against the file on disk instead.
        if delta.status() == Delta::Deleted && matches!(source, Source::Workdir { .. }) {
            let abs = workdir.join(&old_path);
            if opts.include_untracked
                && std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_file())
                && !repo.is_path_ignored(&old_path).unwrap_or(false)
            {
                match kept_on_disk(repo, &delta, &abs, &old_path)? {
                    Kept::Same => {}
                    Kept::Changed(fc) => set.files.push(*fc),
                    Kept::NotText => set.left_out.push(LeftOut {
                        path: old_path.clone(),
                        reason:
                            "removed from the index but kept on disk, changed, and not UTF-8 text"
                                .into(),
                    }),
                }
                continue;
            }
        }
        let mut patch = match Patch::from_diff(&diff, idx) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
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
    for f in &mut set.files {
        pure_rename(f);
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
    // two halves of a typechange).
    set.files
        .sort_by_key(|f| u8::from(f.kind != ChangeKind::Deleted));
    Ok(set)
}

/// A rename with unchanged content is headers alone, as git writes it. libgit2 adds a
/// `Binary files … differ` line for binary files, which `git apply` refuses.
fn pure_rename(f: &mut FileChange) {
    if f.kind != ChangeKind::Renamed || !f.patch.contains("\nsimilarity index 100%\n") {
        return;
    }
    let mut kept = String::with_capacity(f.patch.len());
    for line in f.patch.split_inclusive('\n') {
        if line.starts_with("Binary files ")
            || line.starts_with("GIT binary patch")
            || line.starts_with("index ")
        {
            break;
        }
        kept.push_str(line);
    }
    f.patch = kept;
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
        path: path.to_string(),
        old_path: None,
        kind: ChangeKind::Deleted,
        binary: true,
        additions: 0,
        deletions: 0,
        patch,
    }
}

/// A file deleted from the index but present on disk: its base blob against its content now.
/// `None` when they are the same (nothing changes in the working tree).
fn kept_on_disk(
    repo: &Repository,
    delta: &git2::DiffDelta<'_>,
    abs: &Path,
    path: &str,
) -> Result<Kept> {
    let old = repo.find_blob(delta.old_file().id())?;
    let now = std::fs::read(abs).map_err(|e| Error::other(format!("cannot read {path}: {e}")))?;
    let mut d = DiffOptions::new();
    d.show_binary(true)
        .id_abbrev(40)
        .context_lines(3)
        .old_prefix("a/")
        .new_prefix("b/");
    let mut patch = Patch::from_blob_and_buffer(
        &old,
        Some(Path::new(path)),
        &now,
        Some(Path::new(path)),
        Some(&mut d),
    )?;
    if old.content() == now.as_slice() {
        return Ok(Kept::Same);
    }
    match file_change(&mut patch, path, path, true)? {
        FileText::Utf8(mut fc) => {
            fc.kind = ChangeKind::Modified;
            Ok(Kept::Changed(Box::new(fc)))
        }
        FileText::NotUtf8(_) => Ok(Kept::NotText),
    }
}

/// What became of a file deleted from the index but still on disk.
enum Kept {
    Same,
    Changed(Box<FileChange>),
    NotText,
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
            path: f.path,
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
    let (_, additions, deletions) = patch.line_stats()?;
    let mut fc = FileChange {
        path: path.to_string(),
        old_path: (old_path != path && !old_path.is_empty()).then(|| old_path.to_string()),
        kind: kind_of(delta.status(), &delta, untracked),
        binary: delta.flags().is_binary(),
        additions,
        deletions,
        patch: String::new(),
    };
    match String::from_utf8(patch.to_buf()?.to_vec()) {
        Ok(text) => {
            fc.patch = text;
            Ok(FileText::Utf8(fc))
        }
        Err(_) => {
            fc.binary = true;
            Ok(FileText::NotUtf8(fc))
        }
    }
}

/// The staged changes (HEAD against the index) as per-file patch text, for scanning before a
/// commit. `Ok(None)` outside a repository. Text is decoded lossily: it is only scanned.
pub fn staged_patches(dir: &Path) -> Result<Option<Vec<String>>> {
    let repo = match Repository::discover(dir) {
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
