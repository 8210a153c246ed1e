//! A view of a repository libgit2 cannot open as it is (reftable refs): a throwaway git
//! directory in the files format that git itself fills, over the repository's own objects.
//!
//! libgit2 reads refs only from loose files and `packed-refs`; git ≥ 2.45 may keep them in a
//! reftable (`git init --ref-format=reftable`, git 3's default). Rather than a second capture
//! engine, git lists what the capture reads (HEAD, every ref, the remote-tracking reflogs,
//! config, index, info files and the state of an operation in progress) into a folder that
//! libgit2 opens, whose objects are the repository's (an alternate). The capture then runs
//! unchanged, and nothing is written to the repository.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Repository;

/// What git says about the repository it would open from `dir`.
struct Located {
    git_dir: PathBuf,
    common_dir: PathBuf,
    workdir: Option<PathBuf>,
}

/// The repository libgit2 opens, and the view folder it may be reading (kept while it is).
pub(crate) struct Repo {
    repo: Repository,
    _view: Option<tempfile::TempDir>,
}

impl Repo {
    pub fn plain(repo: Repository) -> Repo {
        Repo { repo, _view: None }
    }
}

impl std::ops::Deref for Repo {
    type Target = Repository;
    fn deref(&self) -> &Repository {
        &self.repo
    }
}

fn failed(what: &str, detail: impl std::fmt::Display) -> git2::Error {
    git2::Error::from_str(&format!("{what}: {detail}"))
}

/// Runs git in `dir` (with the caller's environment: `GIT_DIR` and the like are git's to
/// read) and returns its stdout, or `None` when it fails.
fn git(dir: &Path, args: &[&OsStr], input: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut child = Command::new("git")
        .current_dir(dir)
        .arg("--no-optional-locks")
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        // A writer thread: git may fill its stdout before it has read all of its input.
        let data = data.to_vec();
        std::thread::spawn(move || stdin.write_all(&data));
    }
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn text(dir: &Path, args: &[&str]) -> Option<String> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    git(dir, &args, None).map(|o| String::from_utf8_lossy(&o).trim_end().to_string())
}

fn locate(dir: &Path) -> Result<Located, git2::Error> {
    let dirs = text(
        dir,
        &[
            "rev-parse",
            "--path-format=absolute",
            "--git-dir",
            "--git-common-dir",
        ],
    )
    .ok_or_else(|| failed("git cannot read the repository", dir.display()))?;
    let mut lines = dirs.lines().map(PathBuf::from);
    let (Some(git_dir), Some(common_dir)) = (lines.next(), lines.next()) else {
        return Err(failed("git cannot read the repository", dir.display()));
    };
    let workdir = text(dir, &["rev-parse", "--show-toplevel"])
        .filter(|t| !t.is_empty())
        .map(PathBuf::from);
    let format = text(dir, &["rev-parse", "--show-object-format"]).unwrap_or_default();
    if format != "sha1" {
        return Err(git2::Error::from_str(&format!(
            "this repository names its objects by {format}, which the capture cannot read yet \
             (SHA-1 repositories hand off, whatever their ref format)"
        )));
    }
    Ok(Located {
        git_dir,
        common_dir,
        workdir,
    })
}

/// Builds the view of the repository git opens from `dir`, and opens it.
pub(crate) fn open(dir: &Path) -> Result<Repo, git2::Error> {
    let found = locate(dir)?;
    let view = tempfile::Builder::new()
        .prefix("handoff-view")
        .tempdir()
        .map_err(|e| failed("cannot make a view of the repository", e))?;
    fill(dir, &found, view.path())
        .map_err(|e| failed("cannot make a view of the repository", e))?;
    let repo = Repository::open(view.path())?;
    if let Some(wt) = &found.workdir {
        repo.set_workdir(wt, false)?;
    }
    Ok(Repo {
        repo,
        _view: Some(view),
    })
}

fn fill(dir: &Path, found: &Located, view: &Path) -> std::io::Result<()> {
    let missing = || std::io::Error::other("git did not answer");
    for d in [
        "objects/info",
        "objects/pack",
        "refs/heads",
        "refs/tags",
        "info",
    ] {
        std::fs::create_dir_all(view.join(d))?;
    }
    let mut alternates = found.common_dir.join("objects").into_os_string();
    alternates.push("\n");
    std::fs::write(
        view.join("objects/info/alternates"),
        alternates.as_encoded_bytes(),
    )?;

    // HEAD: the branch it names (born or not), else the commit.
    let head = match text(dir, &["symbolic-ref", "-q", "HEAD"]) {
        Some(r) => format!("ref: {r}\n"),
        None => format!(
            "{}\n",
            text(dir, &["rev-parse", "-q", "--verify", "HEAD"]).ok_or_else(missing)?
        ),
    };
    std::fs::write(view.join("HEAD"), head)?;

    // Every ref: direct ones into `packed-refs`, symbolic ones (`origin/HEAD`) as files.
    let refs = git(
        dir,
        &[
            OsStr::new("for-each-ref"),
            OsStr::new("--format=%(refname)%00%(objectname)%00%(symref)"),
        ],
        None,
    )
    .ok_or_else(missing)?;
    let mut packed = b"# pack-refs with: peeled \n".to_vec();
    let mut remote_refs = Vec::new();
    for line in refs.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut parts = line.split(|b| *b == 0);
        let (Some(name), Some(id), Some(target)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !target.is_empty() {
            if let Ok(name) = std::str::from_utf8(name) {
                let file = view.join(name);
                std::fs::create_dir_all(file.parent().unwrap_or(view))?;
                let mut content = b"ref: ".to_vec();
                content.extend_from_slice(target);
                content.push(b'\n');
                std::fs::write(file, content)?;
            }
            continue;
        }
        packed.extend_from_slice(id);
        packed.push(b' ');
        packed.extend_from_slice(name);
        packed.push(b'\n');
        if name.starts_with(b"refs/remotes/") {
            remote_refs.push(name.to_vec());
        }
    }
    std::fs::write(view.join("packed-refs"), packed)?;
    reflogs(dir, view, &remote_refs)?;

    // The config as git reads it from the repository's file, with the refs extension that
    // this view does not use, and the working tree given apart (a relative `core.worktree`
    // would point elsewhere from here).
    let config = view.join("config");
    std::fs::copy(found.common_dir.join("config"), &config)?;
    for key in ["extensions.refstorage", "core.worktree"] {
        let _ = git(
            dir,
            &[
                OsStr::new("config"),
                OsStr::new("--file"),
                config.as_os_str(),
                OsStr::new("--unset-all"),
                OsStr::new(key),
            ],
            None,
        );
    }
    copy_if_there(
        &found.git_dir.join("config.worktree"),
        &view.join("config.worktree"),
    )?;

    // The index (a split one's shared part beside it), with its time: git tells a racily
    // clean entry by it.
    for entry in std::fs::read_dir(&found.git_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "index" || name.starts_with("sharedindex.") {
            copy_if_there(&entry.path(), &view.join(&*name))?;
        }
    }
    // Ignore, attribute and sparse patterns (shared, then the worktree's own), a shallow
    // clone's boundary, and the state of an operation in progress.
    for from in [&found.common_dir, &found.git_dir] {
        if let Ok(files) = std::fs::read_dir(from.join("info")) {
            for f in files.flatten() {
                if f.file_type().is_ok_and(|t| t.is_file()) {
                    copy_if_there(&f.path(), &view.join("info").join(f.file_name()))?;
                }
            }
        }
    }
    copy_if_there(&found.common_dir.join("shallow"), &view.join("shallow"))?;
    for name in [
        "MERGE_HEAD",
        "MERGE_MSG",
        "MERGE_MODE",
        "CHERRY_PICK_HEAD",
        "REVERT_HEAD",
        "BISECT_LOG",
        "ORIG_HEAD",
        "rebase-merge",
        "rebase-apply",
        "sequencer",
    ] {
        copy_tree(&found.git_dir.join(name), &view.join(name))?;
    }
    Ok(())
}

/// The reflogs of the remote-tracking refs (the base is chosen from where they have been),
/// in the files format: oldest first, each entry's old value the one before it.
fn reflogs(dir: &Path, view: &Path, refs: &[Vec<u8>]) -> std::io::Result<()> {
    if refs.is_empty() {
        return Ok(());
    }
    let mut input = Vec::new();
    for r in refs {
        input.extend_from_slice(r);
        input.push(b'\n');
    }
    // `%gD` is `<ref>@{n}`, newest first per ref; `%H` the value it was set to.
    let Some(out) = git(
        dir,
        &[
            OsStr::new("log"),
            OsStr::new("-g"),
            OsStr::new("--stdin"),
            OsStr::new("--format=%gD%x00%H"),
        ],
        Some(&input),
    ) else {
        // Without reflogs the base is chosen from the refs' tips alone.
        return Ok(());
    };
    let mut by_ref: std::collections::BTreeMap<Vec<u8>, Vec<Vec<u8>>> = Default::default();
    for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut parts = line.split(|b| *b == 0);
        let (Some(sel), Some(id)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(at) = sel.windows(2).rposition(|w| w == b"@{") else {
            continue;
        };
        by_ref
            .entry(sel[..at].to_vec())
            .or_default()
            .push(id.to_vec());
    }
    let zero = "0".repeat(40);
    for (name, newest_first) in by_ref {
        let Ok(name) = String::from_utf8(name) else {
            continue;
        };
        let mut log = Vec::new();
        let mut old = zero.as_bytes().to_vec();
        for id in newest_first.iter().rev() {
            log.extend_from_slice(&old);
            log.push(b' ');
            log.extend_from_slice(id);
            log.extend_from_slice(b" devin-handoff <devin-handoff@localhost> 0 +0000\tview\n");
            old = id.clone();
        }
        let file = view.join("logs").join(&name);
        std::fs::create_dir_all(file.parent().unwrap_or(view))?;
        std::fs::write(file, log)?;
    }
    Ok(())
}

fn copy_if_there(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::metadata(from) {
        Ok(meta) if meta.is_file() => {
            std::fs::copy(from, to)?;
            std::fs::File::options()
                .write(true)
                .open(to)?
                .set_modified(meta.modified()?)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(from) else {
        return Ok(());
    };
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        copy_if_there(from, to)
    }
}

/// Whether libgit2 refused the repository for something git reads and it does not.
pub(crate) fn needs_view(e: &git2::Error) -> bool {
    let m = e.message();
    m.contains("unsupported extension")
        || m.contains("unsupported repository version")
        || m.contains("unknown object format")
}
