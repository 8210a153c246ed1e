//! The fast listing of the working tree, on Unix: the index is read with gix-index and every
//! tracked directory is listed, and its files' stat data checked, on all cores (libgit2 reads
//! a 100,000-entry index slowly and stats every file on one thread). Only the paths that can
//! differ from the base (changed on disk, untracked, staged, or changed by unpushed commits)
//! go into two sparse trees in an in-memory object store layered over the repository's: their
//! state at the base, and their state now. The caller diffs the two trees with libgit2. It
//! returns `None` wherever git's own answer ([`super::git_snapshot`]) could differ.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{build::TreeUpdateBuilder, AttrCheckFlags, FileMode, Oid, Repository};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::{disk_differs, looks_binary, present_files_are_tracked, Snapshot, HIDDEN_EDIT};
use crate::git::changes::LeftOut;
use crate::git::ucache::{self, Cache, Listed, Stamp};

/// Hash maps keyed by paths: SipHash was a visible share of a 100,000-file capture.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

type PathSet<'a> = std::collections::HashSet<&'a [u8], foldhash::fast::RandomState>;

/// One tracked file, with what the index recorded for it.
struct Tracked<'a> {
    name: &'a [u8],
    path: &'a [u8],
    id: Oid,
    mtime: (u32, u32),
    ctime: (u32, u32),
    size: u32,
    ino: u32,
    mode: u32,
    /// Skip-worktree (sparse), assume-valid or a submodule: git does not look at the file.
    skip: bool,
}

/// What listing the tracked directories found.
#[derive(Default)]
struct Listing {
    /// Tracked files that may differ, with what the index has for them.
    changed: Vec<(Vec<u8>, Blob)>,
    /// Names not in the index: (relative path, is a directory).
    unknown: Vec<(Vec<u8>, bool)>,
    /// A tracked file replaced by something only the full diff models (a directory, a fifo).
    odd: bool,
    /// Every directory's listing, for the untracked cache.
    listed: Vec<(Vec<u8>, Listed)>,
    /// Whether any directory had to be read again (so the cache needs writing).
    relisted: bool,
    /// Files marked assume-unchanged or skip-worktree that are on disk with other stat data:
    /// git does not look at them, so their edits are listed, not lost in silence.
    hidden: Vec<(Vec<u8>, Oid)>,
}

/// A path's state in one of the two trees.
#[derive(Clone, Copy)]
struct Blob {
    id: Oid,
    mode: FileMode,
}

impl Tracked<'_> {
    fn blob(&self) -> Blob {
        Blob {
            id: self.id,
            mode: file_mode(self.mode),
        }
    }
}

fn file_mode(bits: u32) -> FileMode {
    match bits {
        0o100755 => FileMode::BlobExecutable,
        0o120000 => FileMode::Link,
        0o160000 => FileMode::Commit,
        _ => FileMode::Blob,
    }
}

pub(crate) fn snapshot(
    repo: &Repository,
    workdir: &Path,
    base_tree: Option<Oid>,
    include_untracked: bool,
    (max_binary_bytes, max_file_bytes): (u64, u64),
) -> Option<Snapshot> {
    if !plain_content_config(repo) {
        return None;
    }
    let index_path = repo.path().join("index");
    let index = if index_path.exists() {
        gix_index::File::at(
            &index_path,
            gix_index::hash::Kind::Sha1,
            true,
            gix_index::decode::Options::default(),
        )
        .ok()?
    } else {
        gix_index::File::from_state(
            gix_index::State::new(gix_index::hash::Kind::Sha1),
            index_path.clone(),
        )
    };
    if index.link().is_some() {
        return None;
    }
    let index_mtime = std::fs::metadata(&index_path).ok().map(|m| {
        use std::os::unix::fs::MetadataExt;
        (m.mtime() as u32, m.mtime_nsec() as u32)
    });

    // Group the tracked files by directory; any unusual entry sends us to the full diff.
    let mut dirs: HashMap<&[u8], Vec<Tracked<'_>>> = HashMap::default();
    let mut tracked_dirs: PathSet<'_> = PathSet::default();
    tracked_dirs.insert(b"");
    let mut attributes = false;
    let mut attributes_shadowed = false;
    let sparse_present = present_files_are_tracked(repo);
    for e in index.entries() {
        use gix_index::entry::{Flags, Mode as IMode};
        if e.stage_raw() != 0 || e.flags.contains(Flags::INTENT_TO_ADD) || e.mode == IMode::DIR {
            return None;
        }
        let path: &[u8] = e.path(&index);
        let (dir, name) = match path.iter().rposition(|b| *b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&path[..0], path),
        };
        // A skip-worktree file that is back in the working tree of a sparse checkout is an
        // ordinary tracked file to git: git itself describes it.
        if e.flags.contains(Flags::SKIP_WORKTREE)
            && sparse_present
            && std::fs::symlink_metadata(workdir.join(OsStr::from_bytes(e.path(&index)))).is_ok()
        {
            return None;
        }
        // git reads an ignore or attribute file that a sparse checkout keeps out of the
        // working tree from the index; the listing reads the disk only.
        if (name == b".gitignore" || name == b".gitattributes")
            && e.flags.contains(Flags::SKIP_WORKTREE)
        {
            return None;
        }
        if name == b".gitattributes" {
            attributes = true;
            attributes_shadowed |= workdir.join(OsStr::from_bytes(path)).is_dir();
        }
        for (i, b) in path.iter().enumerate() {
            if *b == b'/' {
                tracked_dirs.insert(&path[..i]);
            }
        }
        dirs.entry(dir).or_default().push(Tracked {
            name,
            path,
            id: Oid::from_bytes(e.id.as_bytes()).ok()?,
            mtime: (e.stat.mtime.secs, e.stat.mtime.nsecs),
            ctime: (e.stat.ctime.secs, e.stat.ctime.nsecs),
            size: e.stat.size,
            ino: e.stat.ino,
            mode: e.mode.bits(),
            skip: e
                .flags
                .intersects(Flags::SKIP_WORKTREE | Flags::ASSUME_VALID)
                || e.mode == IMode::COMMIT,
        });
    }
    // A `.gitattributes` turned directory: git reads the index's copy there (it cannot read
    // the working tree's); git itself describes the state.
    if attributes_shadowed {
        return None;
    }
    for d in &tracked_dirs {
        dirs.entry(d).or_default();
    }
    let work: Vec<(&[u8], &Vec<Tracked<'_>>)> = dirs.iter().map(|(d, t)| (*d, t)).collect();
    let cache = if include_untracked {
        Cache::load(repo.path())
    } else {
        Cache::default()
    };
    let listing = list_dirs(
        workdir,
        &work,
        &tracked_dirs,
        index_mtime,
        include_untracked.then_some(&cache),
    );
    if listing.odd {
        return None;
    }
    if listing.relisted {
        // Only an optimisation: a read-only gitdir or a full disk must not fail the capture.
        let _ = Cache::save(repo.path(), &listing.listed);
    }

    // Untracked: ignore rules need the repository, so they are checked here, on one thread,
    // and only for names the index does not know.
    let mut left_out = Vec::new();
    let untracked_paths = if include_untracked {
        untracked(repo, workdir, listing.unknown, &mut left_out)?
    } else {
        Vec::new()
    };
    attributes |= untracked_paths
        .iter()
        .any(|p| p.ends_with(b".gitattributes"));
    attributes |= has_attribute_files(repo);

    let odb = git2::Odb::new().ok()?;
    odb.add_new_mempack_backend(1000).ok()?;
    odb.add_disk_alternate(repo.commondir().join("objects").to_str()?)
        .ok()?;
    let mem = Repository::from_odb(odb).ok()?;

    // Staged changes and unpushed commits: the base tree against the index's tree (from the
    // cache-tree when it is valid, else built in memory).
    let cached = index
        .tree()
        .filter(|t| t.num_entries.is_some())
        .and_then(|t| Oid::from_bytes(t.id.as_bytes()).ok())
        .filter(|oid| mem.find_tree(*oid).is_ok());
    let index_tree = match cached {
        Some(oid) => oid,
        None => repo.index().ok()?.write_tree_to(&mem).ok()?,
    };
    let mut old: HashMap<Vec<u8>, Option<Blob>> = HashMap::default();
    let mut new: HashMap<Vec<u8>, Option<Blob>> = HashMap::default();
    if Some(index_tree) != base_tree {
        let a = base_tree.map(|b| mem.find_tree(b)).transpose().ok()?;
        let b = mem.find_tree(index_tree).ok()?;
        let diff = mem.diff_tree_to_tree(a.as_ref(), Some(&b), None).ok()?;
        for d in diff.deltas() {
            let side = |f: git2::DiffFile<'_>| {
                (!f.id().is_zero()).then(|| Blob {
                    id: f.id(),
                    mode: f.mode(),
                })
            };
            let path = d.new_file().path().or(d.old_file().path())?;
            let path = path.as_os_str().as_bytes().to_vec();
            // A typechange comes as a deletion and an addition of one path: keep both sides.
            let before = old.get(&path).copied().flatten();
            let after = new.get(&path).copied().flatten();
            old.insert(path.clone(), side(d.old_file()).or(before));
            new.insert(path, side(d.new_file()).or(after));
        }
    }

    // Edits git does not look at: listed when the content really differs.
    for (rel, id) in &listing.hidden {
        if disk_differs(&workdir.join(OsStr::from_bytes(rel)), *id) {
            left_out.push(LeftOut {
                path: String::from_utf8_lossy(rel).into_owned(),
                reason: HIDDEN_EDIT.into(),
            });
        }
    }

    // Paths that changed on disk: the base side is the index's (they agree unless staged).
    let mut untracked = HashSet::new();
    let changed = listing.changed.iter().map(|(p, b)| (p, Some(*b)));
    let added = untracked_paths.iter().map(|p| (p, None));
    for (rel, before) in changed.chain(added) {
        if !old.contains_key(rel) {
            old.insert(rel.clone(), before);
        }
        let abs = workdir.join(OsStr::from_bytes(rel));
        let now = match std::fs::symlink_metadata(&abs) {
            Err(_) => None,
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&abs).ok()?;
                let id = mem.blob(target.as_os_str().as_bytes()).ok()?;
                Some(Blob {
                    id,
                    mode: FileMode::Link,
                })
            }
            Ok(meta) if meta.is_file() => {
                if attributes && converts_content(repo, rel)? {
                    return None;
                }
                let shown = String::from_utf8_lossy(rel).into_owned();
                if let Some(reason) = crate::git::state::too_large(
                    meta.len(),
                    max_binary_bytes,
                    max_file_bytes,
                    || looks_binary(&abs),
                ) {
                    left_out.push(LeftOut {
                        path: shown,
                        reason,
                    });
                    old.remove(rel);
                    continue;
                }
                let Ok(bytes) = std::fs::read(&abs) else {
                    left_out.push(LeftOut {
                        path: shown,
                        reason: "unreadable (permission denied or removed while reading)".into(),
                    });
                    old.remove(rel);
                    continue;
                };
                let mode = if meta.permissions().mode() & 0o100 != 0 {
                    FileMode::BlobExecutable
                } else {
                    FileMode::Blob
                };
                Some(Blob {
                    id: mem.blob(&bytes).ok()?,
                    mode,
                })
            }
            Ok(_) => return None,
        };
        new.insert(rel.clone(), now);
    }
    for rel in &untracked_paths {
        untracked.insert(String::from_utf8_lossy(rel).into_owned());
    }

    // A `diff` attribute (`binary`, `-diff`, `diff=python`) changes the patch text: binary
    // output, or hunk headers from a driver. The in-memory repository sees no attributes, so
    // such a change is left to the full diff, which reads them as git does.
    if attributes && old.keys().chain(new.keys()).any(|p| has_diff_attr(repo, p)) {
        return None;
    }
    let old_tree = sparse_tree(&mem, &old)?;
    let new_tree = sparse_tree(&mem, &new)?;
    Some(Snapshot {
        mem,
        old_tree,
        new_tree,
        untracked,
        left_out,
        _scratch: None,
    })
}

/// A tree holding just these paths (absent ones left out).
fn sparse_tree(mem: &Repository, entries: &HashMap<Vec<u8>, Option<Blob>>) -> Option<Oid> {
    let empty_id = mem.treebuilder(None).ok()?.write().ok()?;
    let empty = mem.find_tree(empty_id).ok()?;
    let mut update = TreeUpdateBuilder::new();
    for (path, blob) in entries {
        if let Some(b) = blob {
            update.upsert(path.as_slice(), b.id, b.mode);
        }
    }
    update.create_updated(mem, &empty).ok()
}

/// Walks the unknown names: drops ignored ones, descends into untracked directories.
fn untracked(
    repo: &Repository,
    workdir: &Path,
    unknown: Vec<(Vec<u8>, bool)>,
    left_out: &mut Vec<LeftOut>,
) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut queue = unknown;
    let ignores = crate::git::ignores::Ignores::new(repo, workdir);
    while let Some((rel, is_dir)) = queue.pop() {
        let path = Path::new(OsStr::from_bytes(&rel));
        if !is_dir {
            if !ignores.is_ignored(path, false) {
                out.push(rel);
            }
            continue;
        }
        if ignores.is_ignored(path, true) {
            continue;
        }
        let abs = workdir.join(path);
        if abs.join(".git").exists() {
            left_out.push(LeftOut {
                path: String::from_utf8_lossy(&rel).into_owned(),
                reason: "nested git repository (not captured)".into(),
            });
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&abs) else {
            continue;
        };
        for entry in rd.flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let mut child = rel.clone();
            child.push(b'/');
            child.extend_from_slice(entry.file_name().as_bytes());
            if ft.is_dir() {
                queue.push((child, true));
            } else if ft.is_file() || ft.is_symlink() {
                queue.push((child, false));
            }
        }
    }
    Some(out)
}

fn plain_content_config(repo: &Repository) -> bool {
    let Ok(cfg) = repo.config() else { return false };
    let autocrlf = cfg
        .get_string("core.autocrlf")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if matches!(autocrlf.as_str(), "true" | "input" | "yes" | "on" | "1") {
        return false;
    }
    if cfg.get_string("core.eol").is_ok() {
        return false;
    }
    // Without file modes or symlinks git keeps the index's modes; only the full diff does that.
    cfg.get_bool("core.filemode").unwrap_or(true)
        && cfg.get_bool("core.symlinks").unwrap_or(true)
        && !cfg.get_bool("core.ignorecase").unwrap_or(false)
        && !cfg.get_bool("core.precomposeunicode").unwrap_or(false)
}

/// Attribute files outside the tree: the repository's own and the user's.
fn has_attribute_files(repo: &Repository) -> bool {
    if repo.commondir().join("info/attributes").exists()
        || repo.path().join("info/attributes").exists()
    {
        return true;
    }
    if repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.attributesFile").ok())
        .is_some()
    {
        return true;
    }
    crate::paths::config_home().is_some_and(|x| x.join("git/attributes").exists())
}

/// Whether any `diff` attribute applies to this path (set, unset or a driver name).
fn has_diff_attr(repo: &Repository, rel: &[u8]) -> bool {
    let path = Path::new(OsStr::from_bytes(rel));
    repo.get_attr_bytes(path, "diff", AttrCheckFlags::FILE_THEN_INDEX)
        .map_or(true, |v| {
            !matches!(git2::AttrValue::from_bytes(v), git2::AttrValue::Unspecified)
        })
}

/// Whether git would run this file through a filter or convert its line endings.
fn converts_content(repo: &Repository, rel: &[u8]) -> Option<bool> {
    let path = Path::new(OsStr::from_bytes(rel));
    let flags = AttrCheckFlags::FILE_THEN_INDEX;
    for attr in [
        "filter",
        "ident",
        "working-tree-encoding",
        "eol",
        "crlf",
        "text",
    ] {
        let value = repo.get_attr_bytes(path, attr, flags).ok()?;
        if !matches!(
            git2::AttrValue::from_bytes(value),
            git2::AttrValue::Unspecified | git2::AttrValue::False
        ) {
            return Some(true);
        }
    }
    Some(false)
}

/// Lists every tracked directory on all cores: stats its tracked files against the index and
/// collects the names the index does not know.
fn list_dirs(
    workdir: &Path,
    work: &[(&[u8], &Vec<Tracked<'_>>)],
    tracked_dirs: &PathSet<'_>,
    index_mtime: Option<(u32, u32)>,
    untracked: Option<&Cache>,
) -> Listing {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let listed_at = (now.as_secs() as i64, now.subsec_nanos());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let next = AtomicUsize::new(0);
    let parts: Vec<Listing> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Listing::default();
                    while let Some((dir, files)) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let ctx = DirCtx {
                            workdir,
                            dir,
                            tracked_dirs,
                            index_mtime,
                            untracked,
                            listed_at,
                        };
                        list_one(&ctx, files, &mut out);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or(Listing {
                    odd: true,
                    ..Listing::default()
                })
            })
            .collect()
    });
    let mut all = Listing::default();
    for p in parts {
        all.odd |= p.odd;
        all.changed.extend(p.changed);
        all.unknown.extend(p.unknown);
        all.listed.extend(p.listed);
        all.relisted |= p.relisted;
        all.hidden.extend(p.hidden);
    }
    all
}

struct DirCtx<'a> {
    workdir: &'a Path,
    dir: &'a [u8],
    tracked_dirs: &'a PathSet<'a>,
    index_mtime: Option<(u32, u32)>,
    /// The untracked cache, when untracked files are wanted at all.
    untracked: Option<&'a Cache>,
    listed_at: (i64, u32),
}

/// Opens a tracked directory without following a symlink anywhere below the working tree:
/// git does not descend through links, and neither may the capture.
#[cfg(target_os = "linux")]
fn open_dir_no_links(
    workdir: &Path,
    rel: &[u8],
    abs: &Path,
) -> rustix::io::Result<rustix::fd::OwnedFd> {
    let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    if rel.is_empty() {
        return rustix::fs::open(abs, flags, Mode::empty());
    }
    let root = rustix::fs::open(
        workdir,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let how = rustix::fs::ResolveFlags::NO_SYMLINKS | rustix::fs::ResolveFlags::BENEATH;
    match rustix::fs::openat2(&root, OsStr::from_bytes(rel), flags, Mode::empty(), how) {
        // Kernels before 5.6 have no openat2: check each component instead.
        Err(rustix::io::Errno::NOSYS) => open_dir_checked(workdir, rel, abs, flags),
        other => other,
    }
}

#[cfg(not(target_os = "linux"))]
fn open_dir_no_links(
    workdir: &Path,
    rel: &[u8],
    abs: &Path,
) -> rustix::io::Result<rustix::fd::OwnedFd> {
    let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    open_dir_checked(workdir, rel, abs, flags)
}

/// The portable form: every component below the working tree must be a real directory.
fn open_dir_checked(
    workdir: &Path,
    rel: &[u8],
    abs: &Path,
    flags: OFlags,
) -> rustix::io::Result<rustix::fd::OwnedFd> {
    let mut at = workdir.to_path_buf();
    for part in rel.split(|b| *b == b'/') {
        at.push(OsStr::from_bytes(part));
        let st = rustix::fs::lstat(&at)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
            return Err(rustix::io::Errno::LOOP);
        }
    }
    rustix::fs::open(abs, flags, Mode::empty())
}

// stat field types differ between platforms; the casts are not all no-ops everywhere.
#[allow(clippy::unnecessary_cast)]
fn list_one(ctx: &DirCtx<'_>, files: &[Tracked<'_>], out: &mut Listing) {
    let abs = if ctx.dir.is_empty() {
        ctx.workdir.to_path_buf()
    } else {
        ctx.workdir.join(OsStr::from_bytes(ctx.dir))
    };
    // One descriptor per directory: each file is then stat'ed by name, without resolving
    // the whole path again.
    let fd = match open_dir_no_links(ctx.workdir, ctx.dir, &abs) {
        Ok(fd) => fd,
        // Gone, a file now, or a symlink (to a directory or not): git sees none of its
        // tracked files there any more, so each one is a deletion. Reading through a link
        // would report them unchanged and lose the deletions.
        Err(rustix::io::Errno::NOENT)
        | Err(rustix::io::Errno::NOTDIR)
        | Err(rustix::io::Errno::LOOP)
        | Err(rustix::io::Errno::XDEV) => {
            // The whole directory is gone (or became a file): every tracked file in it changed.
            out.changed.extend(
                files
                    .iter()
                    .filter(|t| !t.skip)
                    .map(|t| (t.path.to_vec(), t.blob())),
            );
            if rustix::fs::lstat(&abs)
                .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) != FileType::Directory)
            {
                out.unknown.push((ctx.dir.to_vec(), false));
            }
            return;
        }
        Err(_) => {
            out.odd = true;
            return;
        }
    };
    for t in files.iter().filter(|t| t.skip && t.mode != 0o160000) {
        let on_disk = rustix::fs::statat(&fd, t.name, AtFlags::SYMLINK_NOFOLLOW).is_ok();
        if on_disk && stat_differs(&fd, t, ctx.index_mtime) != Some(false) {
            out.hidden.push((t.path.to_vec(), t.id));
        }
    }
    for t in files.iter().filter(|t| !t.skip) {
        match stat_differs(&fd, t, ctx.index_mtime) {
            Some(true) => out.changed.push((t.path.to_vec(), t.blob())),
            Some(false) => {}
            None => out.odd = true,
        }
    }
    let Some(cache) = ctx.untracked else {
        return;
    };
    // The index sorts a directory's files by name: a binary search needs no set per directory.
    let known = |name: &[u8]| files.binary_search_by(|t| t.name.cmp(name)).is_ok();
    let Ok(st) = rustix::fs::fstat(&fd) else {
        out.odd = true;
        return;
    };
    let stamp = Stamp {
        mtime: (st.st_mtime as i64, st.st_mtime_nsec as u32),
        ctime: (st.st_ctime as i64, st.st_ctime_nsec as u32),
        ino: st.st_ino as u64,
        tracked: ucache::hash_names(files.iter().map(|t| t.name)),
    };
    let (names, listed_at) = match cache.get(ctx.dir, &stamp) {
        Some(names) => (names.to_vec(), None),
        None => match read_names(&fd, &known) {
            Some(names) => (names, Some(ctx.listed_at)),
            None => {
                out.odd = true;
                return;
            }
        },
    };
    for (name, is_dir) in &names {
        let mut rel = Vec::with_capacity(ctx.dir.len() + 1 + name.len());
        if !ctx.dir.is_empty() {
            rel.extend_from_slice(ctx.dir);
            rel.push(b'/');
        }
        rel.extend_from_slice(name);
        if *is_dir {
            if !ctx.tracked_dirs.contains(rel.as_slice()) {
                out.unknown.push((rel, true));
            }
        } else if !known(name) {
            out.unknown.push((rel, false));
        }
    }
    out.relisted |= listed_at.is_some();
    out.listed.push((
        ctx.dir.to_vec(),
        Listed {
            stamp,
            // A reused listing keeps the time it was made: that is what it is valid against.
            listed_at: listed_at
                .or_else(|| cache.listed_at(ctx.dir))
                .unwrap_or(ctx.listed_at),
            names,
        },
    ));
}

/// A directory's subdirectories and the files in it that the index does not know.
fn read_names(
    fd: &rustix::fd::OwnedFd,
    known: &dyn Fn(&[u8]) -> bool,
) -> Option<Vec<(Vec<u8>, bool)>> {
    let entries = rustix::fs::Dir::read_from(fd).ok()?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." || name == b".git" {
            continue;
        }
        let ft = match entry.file_type() {
            FileType::Unknown => rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .map(|s| FileType::from_raw_mode(s.st_mode))
                .unwrap_or(FileType::Unknown),
            ft => ft,
        };
        match ft {
            FileType::Directory => names.push((name.to_vec(), true)),
            FileType::RegularFile | FileType::Symlink if !known(name) => {
                names.push((name.to_vec(), false))
            }
            _ => {}
        }
    }
    Some(names)
}

/// `Some(true)` when the file may differ from the index (libgit2 then decides), `None` when
/// a tracked file became something only the full diff models (a directory, a fifo).
fn stat_differs(
    dir: &rustix::fd::OwnedFd,
    t: &Tracked<'_>,
    index_mtime: Option<(u32, u32)>,
) -> Option<bool> {
    let st = match rustix::fs::statat(dir, t.name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) | Err(rustix::io::Errno::NOTDIR) => return Some(true),
        Err(_) => return None,
    };
    let mode = match FileType::from_raw_mode(st.st_mode) {
        FileType::Symlink => 0o120000,
        FileType::RegularFile if st.st_mode & 0o100 != 0 => 0o100755,
        FileType::RegularFile => 0o100644,
        _ => return None,
    };
    let mtime = (st.st_mtime as u32, st.st_mtime_nsec as u32);
    let ctime = (st.st_ctime as u32, st.st_ctime_nsec as u32);
    if t.mode != mode
        || mtime != t.mtime
        || ctime != t.ctime
        || st.st_size as u32 != t.size
        || st.st_ino as u32 != t.ino
    {
        return Some(true);
    }
    // Racily clean: written in the same instant as the index, so the stat data proves nothing.
    Some(index_mtime.is_none_or(|im| mtime >= im))
}
