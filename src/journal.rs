//! The local journal: one JSON line per handoff, under `$XDG_STATE_HOME/devin-handoff/`.
//! It answers "which session did I hand off from this branch" and "is this handoff a repeat".

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One handoff, as recorded after the session was created.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub time: u64,
    /// The working tree it was handed off from.
    pub workdir: Option<String>,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub base: Option<String>,
    /// HEAD's commit when handed off, to tell later whether the branch moved.
    #[serde(default)]
    pub head: Option<String>,
    /// Identifies the exact handoff: repository, base, patch and task.
    pub fingerprint: String,
    pub task: String,
    pub session_id: String,
    pub url: String,
    /// `unknown` when the create got no clear answer (a timeout after sending, a 5xx, an
    /// unreadable answer, an interrupt): a session may exist that no record names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// The outcome of a create whose answer was lost.
pub const UNKNOWN: &str = "unknown";

impl Record {
    /// Whether this record names a session for sure.
    pub fn is_known(&self) -> bool {
        self.outcome.is_none() && !self.session_id.is_empty()
    }
}

/// Holds the lock for one handoff fingerprint (`locks/FINGERPRINT.lock` in the state
/// directory) until dropped: identical handoffs started at once take turns, so that the
/// second finds the first's session instead of creating another.
pub fn lock_fingerprint(fingerprint: &str) -> Option<std::fs::File> {
    let dir = crate::paths::state_dir()?.join("locks");
    if crate::paths::through_symlink(&dir) {
        return None;
    }
    crate::paths::private_dir(&dir).ok()?;
    let name: String = fingerprint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let f = open_for_append(&dir.join(format!("{name}.lock"))).ok()?;
    f.lock().ok()?;
    Some(f)
}

fn path() -> Option<PathBuf> {
    crate::paths::state_dir().map(|d| d.join("journal.jsonl"))
}

/// FNV-1a over the parts, each followed by a separator byte: stable across runs and
/// versions, which anything kept on disk needs.
pub fn stable_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(std::iter::once(&0xffu8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Appends a record: one `write` of one line, under an exclusive lock (`File::lock`), to a
/// file opened for appending, so that concurrent handoffs can neither interleave nor lose a
/// line.
pub fn append(record: &Record) -> std::io::Result<()> {
    let Some(p) = path() else {
        return Err(std::io::Error::other(
            "no state folder: neither XDG_STATE_HOME nor HOME is set",
        ));
    };
    let mut f = open_for_append(&p)?;
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    // An advisory lock (flock on Unix), released when `f` is dropped: a reader that takes
    // the shared lock never sees half a line, and writers take turns.
    f.lock()?;
    // A line cut short earlier (a full disk, a kill) would swallow this record: end it first.
    let len = f.metadata()?.len();
    if len > 0 {
        use std::io::{Read, Seek, SeekFrom};
        let mut last = [0u8; 1];
        let mut r = &f;
        r.seek(SeekFrom::Start(len - 1))?;
        r.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    // One write of the whole line.
    f.write_all(line.as_bytes())
}

/// Opens the journal for appending, never through a symlink (the file or its directory):
/// a link planted there would make the tool write wherever it points.
fn open_for_append(p: &std::path::Path) -> std::io::Result<std::fs::File> {
    let refuse = || std::io::Error::other(format!("{} is reached through a symlink", p.display()));
    if let Some(dir) = p.parent() {
        if crate::paths::is_symlink(dir) {
            return Err(refuse());
        }
        crate::paths::private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true).read(true);
    // Private from the start, and never through a link (the open itself refuses one).
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    // Without `O_NOFOLLOW`, a link is refused when seen before the open.
    #[cfg(not(unix))]
    if crate::paths::is_symlink(p) {
        return Err(refuse());
    }
    let f = options.open(p).map_err(|e| {
        if crate::paths::is_symlink(p) {
            refuse()
        } else {
            e
        }
    })?;
    // A journal an older version left readable by others is made private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if f.metadata()?.permissions().mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(f)
}

/// Every readable record, oldest first; damaged lines are skipped.
pub fn read() -> Vec<Record> {
    let Some(p) = path() else { return Vec::new() };
    let Ok(mut f) = std::fs::File::open(p) else {
        return Vec::new();
    };
    // Shared with other readers, exclusive of a writer mid-line.
    let _ = f.lock_shared();
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut f, &mut text).is_err() {
        return Vec::new();
    }
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_separate_their_parts() {
        let h = |p: &[&[u8]]| stable_hash(p.iter().copied());
        assert_eq!(h(&[b"a", b"b"]), h(&[b"a", b"b"]));
        assert_ne!(h(&[b"ab", b""]), h(&[b"a", b"b"]));
    }
}
