//! Capture: opens the repository and produces an owned [`RepoState`]. No git2 type leaves here.

mod changes;
mod ignores;
pub mod remote;
mod state;
mod ucache;
mod workdir;

pub(crate) use changes::exclude_set;
pub use changes::{commit_patches, staged_patches};
pub use changes::{ChangeKind, ChangeSet, FileChange, FileInfo, LeftOut};
pub use remote::{parse_remote_url, RemoteRepo};
pub use state::short;
pub use state::{
    add_work_in_progress, capture, expected_tree, locate, remote_repo, Base, BaseSource, Blobs,
    CaptureOptions, CommitInfo, Head, History, RepoState, Upstream, WorkCommits, INDEX_REF,
    WORKTREE_REF,
};
