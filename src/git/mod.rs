//! Capture: opens the repository and produces an owned [`RepoState`]. No git2 type leaves here.

mod changes;
mod ignores;
pub mod remote;
mod scratch;
mod state;
mod ucache;
mod view;
mod workdir;

pub(crate) use changes::exclude_set;

/// Opens the repository containing `dir`, or the one git's environment names: run as `git
/// --git-dir=… --work-tree=… handoff` (a dotfiles setup), git passes `GIT_DIR` and
/// `GIT_WORK_TREE`, and `core.worktree` may name the working tree. What git would open is
/// what is handed off.
/// What libgit2 cannot read as it is (reftable refs) is opened through a view git fills.
fn open(dir: &std::path::Path) -> std::result::Result<view::Repo, git2::Error> {
    // libgit2 rehashes every object it reads to check its ID; the objects are the user's
    // own, which git wrote, and the bundle's pack walk reads every tree of the base (a
    // 100,000-file tree costs tens of milliseconds of hashing for nothing).
    git2::opts::strict_hash_verification(false);
    match open_direct(dir) {
        Ok(repo) => Ok(view::Repo::plain(repo)),
        Err(e) if view::needs_view(&e) => view::open(dir),
        Err(e) => Err(e),
    }
}

fn open_direct(dir: &std::path::Path) -> std::result::Result<git2::Repository, git2::Error> {
    if std::env::var_os("GIT_DIR").is_some_and(|v| !v.is_empty()) {
        let repo = git2::Repository::open_from_env()?;
        // A bare git directory (`git init --bare ~/.cfg`, the usual dotfiles setup) with a
        // working tree given: libgit2 keeps it bare where git does not.
        match std::env::var_os("GIT_WORK_TREE").filter(|v| !v.is_empty()) {
            Some(wt) if repo.is_bare() => {
                repo.set_workdir(std::path::Path::new(&wt), false)?;
                Ok(repo)
            }
            _ => Ok(repo),
        }
    } else {
        git2::Repository::discover(dir)
    }
}
pub use changes::{commit_patches, staged_patches};
pub use changes::{ChangeKind, ChangeSet, FileChange, FileInfo, LeftOut};
pub use remote::{parse_remote_url, RemoteRepo};
pub use state::short;
pub use state::{
    add_work_in_progress, capture, expected_tree, locate, remote_repo, Base, BaseSource, Blobs,
    CaptureOptions, CommitInfo, Head, History, RepoState, Upstream, WorkCommits, INDEX_REF,
    WORKTREE_REF,
};
