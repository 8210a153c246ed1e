//! Where the tool keeps things outside a repository: the XDG config and state directories,
//! resolved once, the same way for every caller.

use std::path::{Path, PathBuf};

/// An XDG base directory: `$VAR` when set and not empty, else `$HOME/<fallback>`.
fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
}

/// `$XDG_CONFIG_HOME` (or `~/.config`): also where git looks for its user-level
/// `git/ignore` and `git/attributes`.
pub fn config_home() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_CONFIG_HOME/devin-handoff/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    config_home().map(|d| d.join("devin-handoff").join("config.toml"))
}

/// Whether `path` itself is a symlink (not followed).
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether the file or the directory holding it is a symlink: state the tool writes is never
/// written (or trusted) through one, since a planted link would redirect it.
pub fn through_symlink(path: &Path) -> bool {
    is_symlink(path) || path.parent().is_some_and(is_symlink)
}

/// Creates `dir` (and its parents) and makes `dir` and every folder from the state folder
/// down to it private to the user (0700): what the tool keeps there is nobody else's to read.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let root = state_dir();
        let mut at = Some(dir);
        while let Some(d) = at {
            let meta = std::fs::symlink_metadata(d)?;
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))?;
            }
            if root.as_deref().is_none_or(|r| r == d) {
                break;
            }
            at = d.parent();
        }
    }
    Ok(())
}

/// `$XDG_STATE_HOME/devin-handoff` (or `~/.local/state/devin-handoff`): the journal and
/// its locks.
pub fn state_dir() -> Option<PathBuf> {
    xdg("XDG_STATE_HOME", ".local/state").map(|d| d.join("devin-handoff"))
}
