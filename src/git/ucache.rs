//! The untracked cache: for each tracked directory, the names in it that git did not track
//! when it was last listed. A directory's listing is reused while its own stat data is
//! unchanged (adding, removing or renaming an entry changes its mtime) and the set of tracked
//! files in it is the same; git's own untracked cache works the same way. Listing every
//! directory was a third of a capture on a 100,000-file repository.
//!
//! It lives in `<gitdir>/devin-handoff/untracked-cache`, is replaced atomically, and is only
//! ever a hint: an unreadable, foreign or damaged file is ignored and rewritten.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &str = concat!(
    "devin-handoff untracked cache 1 ",
    env!("CARGO_PKG_VERSION")
);

/// A directory's stat data and a hash of the tracked file names in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
    pub ino: u64,
    pub tracked: u64,
}

/// One directory's listing: names not tracked at the time (files) and every subdirectory.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub stamp: Stamp,
    /// When the listing was made; it is trusted only if the directory changed before that.
    pub listed_at: (i64, u32),
    pub names: Vec<(Vec<u8>, bool)>,
}

impl Listed {
    /// Git's answer to racy timestamps: a directory whose stat time is not strictly older
    /// than the listing, in whole seconds, may have changed right after it was listed, on
    /// a filesystem that keeps only seconds (HFS+, old ext4, some network mounts) as on one
    /// that keeps nanoseconds. Such a listing is not trusted, and the directory is read again.
    fn valid_for(&self, stamp: &Stamp) -> bool {
        self.stamp == *stamp && stamp.mtime.0 < self.listed_at.0 && stamp.ctime.0 < self.listed_at.0
    }
}

#[derive(Debug, Default)]
pub(crate) struct Cache {
    dirs: HashMap<Vec<u8>, Listed>,
}

/// A hash of a directory's tracked names, stable across runs as a cache on disk needs.
pub(crate) fn hash_names<'a>(names: impl Iterator<Item = &'a [u8]>) -> u64 {
    crate::journal::stable_hash(names)
}

fn cache_path(gitdir: &Path) -> PathBuf {
    gitdir.join("devin-handoff").join("untracked-cache")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Cache {
    /// The cache of this gitdir, or an empty one.
    pub(crate) fn load(gitdir: &Path) -> Cache {
        // A cache reached through a symlink could be anyone's: it could hide files.
        if crate::paths::through_symlink(&cache_path(gitdir)) {
            return Cache::default();
        }
        std::fs::read_to_string(cache_path(gitdir))
            .ok()
            .and_then(|t| Self::parse(&t))
            .unwrap_or_default()
    }

    fn parse(text: &str) -> Option<Cache> {
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let mut dirs = HashMap::new();
        let mut current: Option<(Vec<u8>, Listed)> = None;
        for line in lines {
            let f: Vec<&str> = line.split(' ').collect();
            match f.as_slice() {
                ["D", dir, ms, mn, cs, cn, ino, tracked, ls, ln] => {
                    if let Some((d, l)) = current.take() {
                        dirs.insert(d, l);
                    }
                    let stamp = Stamp {
                        mtime: (ms.parse().ok()?, mn.parse().ok()?),
                        ctime: (cs.parse().ok()?, cn.parse().ok()?),
                        ino: ino.parse().ok()?,
                        tracked: tracked.parse().ok()?,
                    };
                    let listed = Listed {
                        stamp,
                        listed_at: (ls.parse().ok()?, ln.parse().ok()?),
                        names: Vec::new(),
                    };
                    current = Some((if *dir == "-" { Vec::new() } else { unhex(dir)? }, listed));
                }
                ["N", kind, name] => {
                    current.as_mut()?.1.names.push((unhex(name)?, *kind == "d"));
                }
                _ => return None,
            }
        }
        if let Some((d, l)) = current {
            dirs.insert(d, l);
        }
        Some(Cache { dirs })
    }

    pub(crate) fn get(&self, dir: &[u8], stamp: &Stamp) -> Option<&[(Vec<u8>, bool)]> {
        self.dirs
            .get(dir)
            .filter(|l| l.valid_for(stamp))
            .map(|l| l.names.as_slice())
    }

    /// When a directory was listed, for carrying a reused listing over.
    pub(crate) fn listed_at(&self, dir: &[u8]) -> Option<(i64, u32)> {
        self.dirs.get(dir).map(|l| l.listed_at)
    }

    /// Writes the listings made this run beside the still-valid old ones, atomically. Errors
    /// are returned for the caller to ignore: the cache is an optimisation.
    pub(crate) fn save(gitdir: &Path, entries: &[(Vec<u8>, Listed)]) -> std::io::Result<()> {
        let path = cache_path(gitdir);
        let dir = path.parent().unwrap_or(gitdir);
        if crate::paths::through_symlink(&path) {
            return Err(std::io::Error::other(
                "refusing to write the untracked cache through a symlink",
            ));
        }
        std::fs::create_dir_all(dir)?;
        let mut out = String::with_capacity(64 * entries.len());
        out.push_str(MAGIC);
        out.push('\n');
        for (d, l) in entries {
            let s = &l.stamp;
            out.push_str(&format!(
                "D {} {} {} {} {} {} {} {} {}\n",
                if d.is_empty() {
                    "-".to_string()
                } else {
                    hex(d)
                },
                s.mtime.0,
                s.mtime.1,
                s.ctime.0,
                s.ctime.1,
                s.ino,
                s.tracked,
                l.listed_at.0,
                l.listed_at.1
            ));
            for (name, is_dir) in &l.names {
                out.push_str(&format!(
                    "N {} {}\n",
                    if *is_dir { "d" } else { "f" },
                    hex(name)
                ));
            }
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(out.as_bytes())?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(m: i64) -> Stamp {
        Stamp {
            mtime: (m, 5),
            ctime: (m, 5),
            ino: 42,
            tracked: 7,
        }
    }

    #[test]
    fn round_trip_and_validity() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let listed = Listed {
            stamp: stamp(100),
            listed_at: (200, 0),
            names: vec![(b"new file.txt".to_vec(), false), (b"sub".to_vec(), true)],
        };
        Cache::save(
            dir.path(),
            &[(b"src".to_vec(), listed.clone()), (Vec::new(), listed)],
        )
        .expect("save");
        let c = Cache::load(dir.path());
        assert_eq!(c.get(b"src", &stamp(100)).map(<[_]>::len), Some(2));
        assert!(c.get(b"", &stamp(100)).is_some(), "the root directory");
        assert!(c.get(b"src", &stamp(101)).is_none(), "changed directory");
        let racy = Listed {
            stamp: stamp(300),
            listed_at: (300, 5),
            names: Vec::new(),
        };
        Cache::save(dir.path(), &[(b"src".to_vec(), racy)]).expect("save");
        assert!(
            Cache::load(dir.path()).get(b"src", &stamp(300)).is_none(),
            "changed as it was listed"
        );
        // A filesystem with one-second timestamps: the directory changed at 300.7, after the
        // listing at 300.5, yet records 300.0. Within the same second nothing is trusted.
        let coarse = Listed {
            stamp: stamp(300),
            listed_at: (300, 500_000_000),
            names: Vec::new(),
        };
        Cache::save(dir.path(), &[(b"src".to_vec(), coarse)]).expect("save");
        assert!(
            Cache::load(dir.path()).get(b"src", &stamp(300)).is_none(),
            "the same second is racy"
        );
    }

    #[test]
    fn damaged_files_are_ignored() {
        assert!(Cache::parse("not a cache").is_none());
        assert!(Cache::parse(&format!("{MAGIC}\nD zz 1 2 3 4 5 6 7 8\n")).is_none());
        assert!(Cache::parse(&format!("{MAGIC}\nN f 00\n")).is_none());
        assert_eq!(
            hash_names([b"a".as_slice(), b"b"].into_iter()),
            hash_names([b"a".as_slice(), b"b"].into_iter())
        );
        assert_ne!(
            hash_names([b"ab".as_slice()].into_iter()),
            hash_names([b"a".as_slice(), b"b"].into_iter())
        );
    }
}
