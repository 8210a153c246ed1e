//! The config file and the API key: where they are read from, and how they are checked.
//! [`crate::settings`] resolves them with the flags and the environment.

use std::path::Path;

use serde::Deserialize;

use crate::api::ApiKey;

use crate::error::{Error, Result};
use crate::scan::policy::Policy;

/// A size in bytes, with an optional K, M or G suffix (binary: 1K = 1024): the same syntax
/// for flags and the config file.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (num, mult) = if let Some(n) = lower
        .strip_suffix("kib")
        .or_else(|| lower.strip_suffix('k'))
    {
        (n, 1024)
    } else if let Some(n) = lower
        .strip_suffix("gib")
        .or_else(|| lower.strip_suffix('g'))
    {
        (n, 1024 * 1024 * 1024)
    } else if let Some(n) = lower
        .strip_suffix("mib")
        .or_else(|| lower.strip_suffix('m'))
    {
        (n, 1024 * 1024)
    } else {
        (lower.as_str(), 1)
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size: use bytes, or a K, M or G suffix"))?;
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("{s:?} is out of range"))
}

pub const DEFAULT_API_URL: &str = "https://api.devin.ai";

/// `$XDG_CONFIG_HOME/devin-handoff/config.toml`. Unknown keys are errors, so that a typo
/// does not silently do nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub api_url: Option<String>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    /// Tags added to every handoff.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Default secret policy: ask, block, redact or allow.
    pub secrets: Option<String>,
    /// Default inline budget: bytes, or a size such as "64K" (as `--inline-budget` takes).
    #[serde(default, deserialize_with = "size_or_bytes")]
    pub inline_budget: Option<usize>,
    /// Default seconds between checks when watching a session.
    pub watch_interval: Option<f64>,
    /// A command whose standard output is the API key (a password manager, say).
    pub api_key_command: Option<String>,
    /// The key itself: read only from a file that only its owner can read (mode 0600).
    pub api_key: Option<String>,
    /// Allow a plain-http API URL that is not on this machine.
    pub allow_http: Option<bool>,
    /// A baseline (`scan --write-baseline`) the user keeps: its findings are accepted in
    /// every repository, with full power (unlike a repository's own suppression files).
    pub baseline: Option<std::path::PathBuf>,
}

/// Where the config file lives.
/// `inline_budget = 65536` or `inline_budget = "64K"`.
fn size_or_bytes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(usize),
        Text(String),
    }
    match Option::<Size>::deserialize(d)? {
        None => Ok(None),
        Some(Size::Bytes(n)) => Ok(Some(n)),
        Some(Size::Text(t)) => parse_size(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Reads and checks the config file; a missing file is an empty config.
pub fn load_file(path: &Path) -> Result<FileConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", path.display()))),
    };
    // toml's own message quotes the offending line, which may hold the key: only its
    // position and the bare reason are shown.
    let cfg: FileConfig = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
        let reason = e
            .message()
            .lines()
            .next()
            .unwrap_or("not valid TOML")
            .trim();
        let reason = if reason.contains("cog_") || reason.contains("apk_") {
            "not valid TOML"
        } else {
            reason
        };
        Error::usage(format!(
            "invalid config file {}: {at}{reason}",
            path.display()
        ))
    })?;
    if let Some(p) = &cfg.secrets {
        parse_policy(p).map_err(|e| {
            Error::usage(format!(
                "invalid config file {}: secrets: {e}",
                path.display()
            ))
        })?;
    }
    if cfg.inline_budget == Some(0) {
        return Err(Error::usage(format!(
            "invalid config file {}: inline_budget must be positive",
            path.display()
        )));
    }
    if cfg
        .watch_interval
        .is_some_and(|w| !(1.0..=3600.0).contains(&w))
    {
        return Err(Error::usage(format!(
            "invalid config file {}: watch_interval must be between 1 and 3600 seconds",
            path.display()
        )));
    }
    Ok(cfg)
}

pub(crate) fn parse_policy(p: &str) -> std::result::Result<Policy, String> {
    match p {
        "ask" => Ok(Policy::Ask),
        "block" => Ok(Policy::Block),
        "redact" => Ok(Policy::Redact),
        "allow" => Ok(Policy::Allow),
        "session" => Ok(Policy::Session),
        other => Err(format!(
            "{other:?} is not one of ask, block, redact, allow, session"
        )),
    }
}

/// Whether only the owner can read the file (no group or other bits).
#[cfg(unix)]
pub(crate) fn owner_only(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

/// Without mode bits nothing proves the file private, so a key written in it is not used
/// (`api_key_command` and the environment still are).
#[cfg(not(unix))]
pub(crate) fn owner_only(_path: &Path) -> bool {
    false
}

/// The longest `api_key_command` may take (a password manager waiting for a touch, say).
const KEY_COMMAND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);
/// The most of its output that is read: a key is a line, not a file.
const KEY_COMMAND_MAX_OUTPUT: u64 = 64 * 1024;

/// `cmd` for the platform's shell. On Unix it runs in a process group of its own, so that a
/// deadline ends everything it started.
#[cfg(unix)]
fn shell_command(cmd: &str) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(cmd).process_group(0);
    c
}

/// `cmd` for the platform's shell (`cmd /C`); a deadline ends the command itself.
#[cfg(not(unix))]
fn shell_command(cmd: &str) -> std::process::Command {
    let mut c = std::process::Command::new("cmd");
    c.arg("/C").arg(cmd);
    c
}

/// Runs `api_key_command` with the shell; its trimmed stdout is the key. The command's output
/// is never shown, even in errors; it is read up to 64 KiB, and the command is killed after
/// a minute.
pub(crate) fn run_key_command(cmd: &str) -> std::result::Result<ApiKey, String> {
    use std::io::Read;
    let mut command = shell_command(cmd);
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| format!("api_key_command could not run: {e}"))?;
    let stdout = child.stdout.take().ok_or("api_key_command has no output")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = stdout
            .take(KEY_COMMAND_MAX_OUTPUT + 1)
            .read_to_end(&mut out);
        let _ = tx.send(r.map(|_| out));
    });
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < KEY_COMMAND_DEADLINE => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Ok(None) => {
                #[cfg(unix)]
                if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
                    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "api_key_command did not finish within {} s",
                    KEY_COMMAND_DEADLINE.as_secs()
                ));
            }
            Err(e) => return Err(format!("api_key_command could not run: {e}")),
        }
    };
    // A process it left behind may hold the pipe open: wait a little, not forever.
    let out = rx.recv_timeout(std::time::Duration::from_secs(5));
    if let Ok(Ok(out)) = &out {
        if out.len() as u64 > KEY_COMMAND_MAX_OUTPUT {
            return Err("api_key_command printed more than 64 KiB: that is not a key".into());
        }
    }
    if !status.success() {
        return Err(format!("api_key_command failed ({status})"));
    }
    let out = out
        .map_err(|_| "api_key_command's output did not end".to_string())?
        .map_err(|e| format!("api_key_command's output could not be read: {e}"))?;
    let key = String::from_utf8(out)
        .map_err(|_| "api_key_command printed something that is not text".to_string())?;
    let key = key.trim();
    if key.is_empty() {
        return Err("api_key_command printed nothing".into());
    }
    Ok(ApiKey::new(key.to_string()))
}

/// The API base URL, checked: http(s) with a host and no credentials, and plain http only
/// to this machine unless `allow_http` (the key would otherwise cross the network in clear).
pub(crate) fn parse_api_url(raw: &str, allow_http: bool) -> Result<url::Url> {
    let url =
        url::Url::parse(raw).map_err(|e| Error::usage(format!("invalid API URL {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::usage(format!(
            "invalid API URL {raw:?}: expected http(s)://host"
        )));
    }
    if url.scheme() == "http" && !allow_http && !crate::api::is_loopback(&url) {
        return Err(Error::usage(format!(
            "refusing to send the API key in clear to {raw}: use https"
        ))
        .hint("--allow-http (or allow_http = true in the config file) allows plain http anyway"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(
            "the API URL must not carry credentials; set DEVIN_API_KEY instead",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_validation() {
        assert!(parse_api_url("https://api.devin.ai", false).is_ok());
        assert!(parse_api_url("http://127.0.0.1:9/", false).is_ok());
        assert!(parse_api_url("http://[::1]:9/", false).is_ok());
        assert!(parse_api_url("http://localhost:9/", false).is_ok());
        assert!(parse_api_url("http://api.devin.example", false).is_err());
        assert!(parse_api_url("http://api.devin.example", true).is_ok());
        assert!(parse_api_url("ftp://x", false).is_err());
        assert!(parse_api_url("not a url", false).is_err());
        assert!(parse_api_url("https://u:p@host", false).is_err());
    }
}
