//! Git's ignore rules, evaluated the way git does: the `.gitignore` nearest a path decides
//! first (so a nested `!keep.tmp` re-includes what a parent's `*.tmp` ignored), then the
//! parents' files, then `$GIT_DIR/info/exclude`, then `core.excludesFile`; and nothing under
//! an ignored directory can be re-included. libgit2's `is_path_ignored` gets the nested
//! negation wrong, which silently dropped files that `git status` shows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::Repository;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

pub(crate) struct Ignores {
    workdir: PathBuf,
    /// `.gitignore` per directory (relative), read on first use.
    per_dir: RefCell<HashMap<PathBuf, Option<Gitignore>>>,
    exclude: Option<Gitignore>,
    global: Option<Gitignore>,
}

fn load(root: &Path, file: &Path) -> Option<Gitignore> {
    if !file.is_file() {
        return None;
    }
    let mut b = GitignoreBuilder::new(root);
    // A malformed line is skipped, as git skips it.
    let _ = b.add(file);
    b.build().ok()
}

impl Ignores {
    pub(crate) fn new(repo: &Repository, workdir: &Path) -> Ignores {
        let exclude = load(workdir, &repo.path().join("info/exclude"));
        let global_file = repo
            .config()
            .ok()
            .and_then(|c| c.get_path("core.excludesFile").ok())
            .or_else(|| crate::paths::config_home().map(|d| d.join("git/ignore")));
        let global = global_file.and_then(|f| load(workdir, &f));
        Ignores {
            workdir: workdir.to_path_buf(),
            per_dir: RefCell::new(HashMap::new()),
            exclude,
            global,
        }
    }

    /// The decision of the files that apply to `rel` alone (its own name, not its parents).
    fn decide(&self, rel: &Path, is_dir: bool) -> bool {
        let abs = self.workdir.join(rel);
        let mut dir = rel.parent();
        while let Some(d) = dir {
            let mut cache = self.per_dir.borrow_mut();
            let gi = cache.entry(d.to_path_buf()).or_insert_with(|| {
                let root = self.workdir.join(d);
                load(&root, &root.join(".gitignore"))
            });
            if let Some(gi) = gi {
                match gi.matched(&abs, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            dir = d.parent();
        }
        for gi in [&self.exclude, &self.global].into_iter().flatten() {
            match gi.matched(&abs, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Whether git ignores `rel` (relative to the working tree): it or any parent directory.
    pub(crate) fn is_ignored(&self, rel: &Path, is_dir: bool) -> bool {
        let mut parents: Vec<&Path> = rel.ancestors().skip(1).collect();
        parents.pop(); // the empty path: the working tree itself
        parents.iter().rev().any(|p| self.decide(p, true)) || self.decide(rel, is_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_negation_re_includes() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        std::fs::write(dir.path().join(".gitignore"), "*.tmp\nbuild/\n").expect("write");
        std::fs::create_dir_all(dir.path().join("pkg")).expect("mkdir");
        std::fs::write(dir.path().join("pkg/.gitignore"), "!keep.tmp\n").expect("write");
        let ig = Ignores::new(&repo, dir.path());
        assert!(ig.is_ignored(Path::new("a.tmp"), false));
        assert!(ig.is_ignored(Path::new("pkg/other.tmp"), false));
        assert!(!ig.is_ignored(Path::new("pkg/keep.tmp"), false));
        assert!(ig.is_ignored(Path::new("build/x.txt"), false));
        assert!(ig.is_ignored(Path::new("build"), true));
        assert!(!ig.is_ignored(Path::new("src/main.rs"), false));
    }
}
