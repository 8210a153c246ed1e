//! The working tree as git defines it, as two small trees: what the handoff sends is the
//! difference between the base and what `git add` would record now.
//!
//! The definition is git's own ([`git_snapshot`]): `git add` into a copy of the index and a
//! throwaway object store, then `git write-tree`. On Unix a faster listing ([`snapshot`], in
//! `unix.rs`) finds the same answer without hashing every file, by checking the index's stat
//! data on all cores; it defers to git whenever git would transform contents (filters,
//! line-ending conversion, `working-tree-encoding`) or the index is unusual (conflicts,
//! intent-to-add, a split or sparse index). Elsewhere git's answer is the only one. Nothing
//! is written to the repository.

use std::collections::HashSet;
use std::path::Path;

use git2::{Oid, Repository};

use super::changes::LeftOut;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::snapshot;

/// Without the Unix listing, git's own answer is the only one: the caller asks git.
#[cfg(not(unix))]
pub(crate) fn snapshot(
    _repo: &Repository,
    _workdir: &Path,
    _base_tree: Option<Oid>,
    _include_untracked: bool,
    _limits: (u64, u64),
) -> Option<Snapshot> {
    None
}

/// The change set as two sparse trees in an in-memory repository.
pub(crate) struct Snapshot {
    /// An object store over the repository's, holding the new blobs and the two trees.
    pub mem: Repository,
    /// The candidate paths as they are at the base.
    pub old_tree: Oid,
    /// The candidate paths as they are in the working tree.
    pub new_tree: Oid,
    /// Paths that git does not track yet (reported as untracked, not added).
    pub untracked: HashSet<String>,
    pub left_out: Vec<LeftOut>,
    /// Where git wrote the new tree's objects, when git built it: kept while `mem` reads it.
    pub _scratch: Option<super::scratch::Scratch>,
}

/// The change set as git itself records it: `git add` (`-A`, or `-u` without untracked
/// files) into a copy of the index and a scratch object store, then `git write-tree`. This
/// is the definition of "the working tree" that the fast listing above must agree with, and
/// the one used whenever git would transform contents or the index is unusual: filters,
/// line endings and `working-tree-encoding` are git's own, sparse entries keep their index
/// version, ignore rules (nested re-includes too) are git's, a conflicted path is its file
/// on disk, and `core.filemode`/`core.symlinks` are honoured. Files git cannot read are
/// listed as left out.
pub(crate) fn git_snapshot(
    repo: &Repository,
    workdir: &Path,
    base_tree: Option<Oid>,
    include_untracked: bool,
) -> crate::error::Result<Snapshot> {
    let scratch = super::scratch::Scratch::new(repo, workdir)?;
    scratch.copy_index()?;
    // What `git status` does first: entries whose stat data is stale are rehashed while
    // the index still has every attribute file. It exits 1 when files need updating, which
    // is the normal case here.
    scratch.run_lenient(&["update-index", "-q", "--refresh"])?;
    // Three passes, so that every file is hashed with the attribute files git's own view
    // reads (the working tree's, or the index's where the working tree has none readable:
    // `git status` and `git diff` for tracked files), and so that the replay can write each
    // file back with the same ones (a checkout reads the index's first): tracked files,
    // then untracked files, then the attribute files themselves. A single `git add -A`
    // would stage the deletion of a `.gitattributes` first and then rehash a racily clean
    // file without it: the result would depend on the clock.
    let mut left_out = Vec::new();
    // A tracked file left outside a sparse checkout's patterns (it was modified when they
    // were set) is still in the working tree, and git status lists it: `--sparse`.
    git_add(
        &scratch,
        &[
            "add",
            "-u",
            "--ignore-errors",
            "--sparse",
            "--",
            ".",
            ":(exclude,glob)**/.gitattributes",
        ],
        &mut left_out,
    )?;
    let listed = if include_untracked {
        scratch.run(&["ls-files", "-z", "--others", "--exclude-standard"])?
    } else {
        Vec::new()
    };
    git_add_named(&scratch, &listed, &mut left_out)?;
    // The attribute files git sees changed (modified or deleted); a new one was untracked.
    // Named, because `:(glob)**/.gitattributes` given to `git add` misses the top one in a
    // sparse checkout.
    let attrs = scratch.run(&["ls-files", "-z", "-m", "--", ":(glob)**/.gitattributes"])?;
    git_add_named(&scratch, &attrs, &mut left_out)?;
    let new_tree = Oid::from_str(&scratch.text(&["write-tree"])?)?;
    // Untracked: what git listed as such before adding it.
    let untracked: HashSet<String> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        // A repository inside the working tree is listed as `dir/`; git adds it as `dir`.
        .map(|p| String::from_utf8_lossy(p).trim_end_matches('/').to_string())
        .collect();
    let odb = git2::Odb::new()?;
    odb.add_new_mempack_backend(1000)?;
    odb.add_disk_alternate(&scratch.objects().to_string_lossy())?;
    odb.add_disk_alternate(&repo.commondir().join("objects").to_string_lossy())?;
    let mem = Repository::from_odb(odb)?;
    let old_tree = match base_tree {
        Some(t) => t,
        None => mem.treebuilder(None)?.write()?,
    };
    Ok(Snapshot {
        mem,
        old_tree,
        new_tree,
        untracked,
        left_out,
        _scratch: Some(scratch),
    })
}

/// Runs `git add --ignore-errors …` in the scratch index: a file git cannot read, or a
/// nested repository without a commit, is listed as left out; any other failure is an error.
fn git_add(
    scratch: &super::scratch::Scratch,
    args: &[&str],
    left_out: &mut Vec<LeftOut>,
) -> crate::error::Result<()> {
    let (ok, stderr) = scratch.run_lenient(args)?;
    if ok {
        return Ok(());
    }
    // `--ignore-errors` adds every file it can and names each it cannot.
    let mut named = false;
    for line in stderr.lines() {
        if let Some(path) = unreadable_path(line) {
            named = true;
            left_out.push(LeftOut {
                path,
                reason: format!("unreadable: {}", line.trim_start_matches("error: ")),
            });
        } else if let Some(path) = line
            .strip_prefix("error: '")
            .and_then(|r| r.strip_suffix("' does not have a commit checked out"))
        {
            named = true;
            left_out.push(LeftOut {
                path: path.trim_end_matches('/').to_string(),
                reason: "nested git repository (not captured)".into(),
            });
        }
    }
    if named {
        Ok(())
    } else {
        Err(crate::error::Error::other(format!(
            "git add failed: {}",
            stderr.trim()
        )))
    }
}

/// `git add` of NUL-separated paths, named one by one: literally (a file named `*.txt` or
/// `:!x` means itself), and with `--sparse` (an untracked file outside a sparse checkout's
/// patterns is untracked all the same, and git status lists it; the entries git keeps
/// outside the patterns stay as they are either way). Nothing to add, nothing run.
fn git_add_named(
    scratch: &super::scratch::Scratch,
    names: &[u8],
    left_out: &mut Vec<LeftOut>,
) -> crate::error::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let list = scratch.file("paths");
    std::fs::write(&list, names)?;
    git_add(
        scratch,
        &[
            "--literal-pathspecs",
            "add",
            "--ignore-errors",
            "--sparse",
            "--pathspec-file-nul",
            "--pathspec-from-file",
            list.to_str().unwrap_or_default(),
        ],
        left_out,
    )
}

/// The path in one of `git add --ignore-errors`'s complaints about a file it could not read.
fn unreadable_path(line: &str) -> Option<String> {
    let quoted = |s: &str, open: char, close: char| -> Option<String> {
        let start = s.find(open)? + 1;
        let end = start + s[start..].find(close)?;
        Some(s[start..end].to_string())
    };
    if let Some(rest) = line.strip_prefix("error: open(") {
        return quoted(rest, '"', '"');
    }
    if let Some(rest) = line.strip_prefix("error: unable to index file ") {
        return quoted(rest, '\'', '\'');
    }
    if let Some(rest) = line.strip_prefix("error: readlink(") {
        return quoted(rest, '"', '"');
    }
    None
}

/// Whether the file (or symlink) at `abs` holds other content than the blob `id`; false when
/// it is not there at all.
pub(crate) fn disk_differs(abs: &Path, id: Oid) -> bool {
    let content = match std::fs::symlink_metadata(abs) {
        Ok(m) if m.file_type().is_symlink() => std::fs::read_link(abs)
            .ok()
            .map(|t| t.as_os_str().as_encoded_bytes().to_vec()),
        Ok(m) if m.is_file() => std::fs::read(abs).ok(),
        _ => None,
    };
    content.is_some_and(|c| Oid::hash_object(git2::ObjectType::Blob, &c).is_ok_and(|now| now != id))
}

/// Why an assume-unchanged or skip-worktree file's edits are not sent.
pub(crate) const HIDDEN_EDIT: &str =
    "edited, but marked assume-unchanged or skip-worktree, so git does not look at it; \
     `git update-index --no-assume-unchanged --no-skip-worktree PATH` sends it";

/// True when git's configuration leaves file contents and modes as they are on disk, which
/// is what reading files directly assumes.
/// Whether git treats a skip-worktree file that is present in the working tree as an ordinary
/// tracked file: in a sparse checkout it clears the bit of such files when it reads the index
/// (unless `sparse.expectFilesOutsideOfPatterns` says they belong there), so `git status`
/// shows their edits.
pub(crate) fn present_files_are_tracked(repo: &Repository) -> bool {
    let Ok(cfg) = repo.config() else { return false };
    cfg.get_bool("core.sparseCheckout").unwrap_or(false)
        && !cfg
            .get_bool("sparse.expectFilesOutsideOfPatterns")
            .unwrap_or(false)
}

/// Git's own heuristic: a NUL byte in the first 8000 bytes means binary.
pub(crate) fn looks_binary(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = [0u8; 8000];
    let n = f.read(&mut buf).unwrap_or(0);
    buf[..n].contains(&0)
}
