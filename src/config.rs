//! Settings: flags > environment > config file > defaults, resolved once into [`Settings`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;

use secrecy::{ExposeSecret, SecretString};

use crate::cli::{ColorWhen, GlobalArgs, SecretsPolicy};
use crate::error::{Error, Result};

pub const DEFAULT_API_URL: &str = "https://api.devin.ai";

/// A Devin API key. It cannot be printed: `Debug` shows `(redacted)` and there is no
/// `Display`; the only way to read it is [`ApiKey::expose`], used for the auth header.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(redacted)")
    }
}

/// Which API generation a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFlavor {
    /// `cog_` keys: v3 organization routes.
    V3,
    /// Legacy `apk_` / `apk_user_` keys: `POST /v1/sessions`.
    V1,
}

impl ApiKey {
    pub fn new(raw: String) -> Self {
        ApiKey(SecretString::from(raw))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn flavor(&self) -> KeyFlavor {
        if self.expose().starts_with("apk_") {
            KeyFlavor::V1
        } else {
            KeyFlavor::V3
        }
    }
}

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
    /// Default inline budget in bytes.
    pub inline_budget: Option<usize>,
    /// Default seconds between checks when watching a session.
    pub watch_interval: Option<f64>,
    /// A command whose standard output is the API key (a password manager, say).
    pub api_key_command: Option<String>,
    /// The key itself: read only from a file that only its owner can read (mode 0600).
    pub api_key: Option<String>,
}

/// Where the config file lives.
pub fn config_path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("devin-handoff").join("config.toml"))
}

/// Reads and checks the config file; a missing file is an empty config.
pub fn load_file(path: &Path) -> Result<FileConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", path.display()))),
    };
    let cfg: FileConfig = toml::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "invalid config file {}: {}",
            path.display(),
            e.to_string().trim()
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
        .is_some_and(|w| !(w.is_finite() && w > 0.0))
    {
        return Err(Error::usage(format!(
            "invalid config file {}: watch_interval must be a positive number",
            path.display()
        )));
    }
    Ok(cfg)
}

fn parse_policy(p: &str) -> std::result::Result<SecretsPolicy, String> {
    match p {
        "ask" => Ok(SecretsPolicy::Ask),
        "block" => Ok(SecretsPolicy::Block),
        "redact" => Ok(SecretsPolicy::Redact),
        "allow" => Ok(SecretsPolicy::Allow),
        other => Err(format!("{other:?} is not one of ask, block, redact, allow")),
    }
}

/// Everything a command needs to know about where and how to talk to the API.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_url: url::Url,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    /// The key from the environment or the config file (no command run yet).
    api_key: Option<ApiKey>,
    /// `api_key_command`, run only when a key is needed.
    key_command: Option<String>,
    key_from_command: OnceLock<std::result::Result<ApiKey, String>>,
    pub timeout: Duration,
    pub json: bool,
    pub verbose: u8,
    pub color: ColorWhen,
    /// Defaults from the config file.
    pub default_tags: Vec<String>,
    pub default_secrets: Option<SecretsPolicy>,
    pub default_inline_budget: Option<usize>,
    pub watch_interval: Option<f64>,
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Resolves flags against the environment and the config file. Never touches the
    /// network or a repository, and runs no `api_key_command`.
    pub fn resolve(global: &GlobalArgs, user_id_flag: Option<&str>) -> Result<Settings> {
        let file = match config_path() {
            Some(p) => load_file(&p)?,
            None => FileConfig::default(),
        };
        let raw_url = global
            .api_url
            .clone()
            .or_else(|| env_nonempty("DEVIN_API_URL"))
            .or(file.api_url.clone())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let api_url = parse_api_url(&raw_url)?;
        if !global.timeout.is_finite() || global.timeout <= 0.0 || global.timeout > 86_400.0 {
            return Err(Error::usage(format!(
                "--timeout must be a number of seconds between 0 and 86400, not {}",
                global.timeout
            )));
        }
        let file_key = match (&file.api_key, config_path()) {
            (Some(k), Some(p)) if owner_only(&p) => Some(ApiKey::new(k.clone())),
            (Some(_), Some(p)) => {
                crate::ui::warn(&format!(
                    "ignoring api_key in {}: the file can be read by others (chmod 600 it, or use api_key_command)",
                    p.display()
                ));
                None
            }
            _ => None,
        };
        Ok(Settings {
            api_url,
            org_id: global
                .org_id
                .clone()
                .or_else(|| env_nonempty("DEVIN_ORG_ID"))
                .or(file.org_id.clone()),
            user_id: user_id_flag
                .map(str::to_string)
                .or_else(|| env_nonempty("DEVIN_USER_ID"))
                .or(file.user_id.clone()),
            api_key: env_nonempty("DEVIN_API_KEY").map(ApiKey::new).or(file_key),
            key_command: file.api_key_command.clone(),
            key_from_command: OnceLock::new(),
            timeout: Duration::from_secs_f64(global.timeout),
            json: global.json,
            verbose: global.verbose,
            color: global.color,
            default_tags: file.tags.clone(),
            default_secrets: file.secrets.as_deref().and_then(|p| parse_policy(p).ok()),
            default_inline_budget: file.inline_budget,
            watch_interval: file.watch_interval,
        })
    }

    /// The key if it is already known (environment or file), without running a command.
    pub fn known_key(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }

    /// The key, or the documented "no key" error (exit 4). Runs `api_key_command` once.
    pub fn require_key(&self) -> Result<&ApiKey> {
        if let Some(k) = &self.api_key {
            return Ok(k);
        }
        if let Some(cmd) = &self.key_command {
            return match self.key_from_command.get_or_init(|| run_key_command(cmd)) {
                Ok(k) => Ok(k),
                Err(m) => Err(Error::auth(m.clone())
                    .hint("fix api_key_command in the config file, or set DEVIN_API_KEY")),
            };
        }
        Err(Error::auth("no API key: DEVIN_API_KEY is not set")
            .hint("set DEVIN_API_KEY to a Devin API key (Settings > Service users), e.g. export DEVIN_API_KEY=cog_...")
            .hint("or try it first with --dry-run, which needs no key"))
    }
}

/// Whether only the owner can read the file (no group or other bits).
fn owner_only(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

/// Runs `api_key_command` with the shell; its trimmed stdout is the key. The command's output
/// is never shown, even in errors.
fn run_key_command(cmd: &str) -> std::result::Result<ApiKey, String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("api_key_command could not run: {e}"))?;
    if !out.status.success() {
        return Err(format!("api_key_command failed ({})", out.status));
    }
    let key = String::from_utf8(out.stdout)
        .map_err(|_| "api_key_command printed something that is not text".to_string())?;
    let key = key.trim();
    if key.is_empty() {
        return Err("api_key_command printed nothing".into());
    }
    Ok(ApiKey::new(key.to_string()))
}

fn parse_api_url(raw: &str) -> Result<url::Url> {
    let url =
        url::Url::parse(raw).map_err(|e| Error::usage(format!("invalid API URL {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::usage(format!(
            "invalid API URL {raw:?}: expected http(s)://host"
        )));
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
    fn key_debug_is_redacted() {
        let k = ApiKey::new("cog_supersecretvalue".into());
        assert_eq!(format!("{k:?}"), "ApiKey(redacted)");
        assert_eq!(k.flavor(), KeyFlavor::V3);
        assert_eq!(ApiKey::new("apk_user_x".into()).flavor(), KeyFlavor::V1);
    }

    #[test]
    fn api_url_validation() {
        assert!(parse_api_url("https://api.devin.ai").is_ok());
        assert!(parse_api_url("http://127.0.0.1:9/").is_ok());
        assert!(parse_api_url("ftp://x").is_err());
        assert!(parse_api_url("not a url").is_err());
        assert!(parse_api_url("https://u:p@host").is_err());
    }
}
