//! Settings: flags > environment > defaults, resolved once into [`Settings`].

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::cli::{ColorWhen, GlobalArgs};
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

/// Everything a command needs to know about where and how to talk to the API.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_url: url::Url,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub api_key: Option<ApiKey>,
    pub timeout: Duration,
    pub json: bool,
    pub verbose: u8,
    pub color: ColorWhen,
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Resolves flags against the environment. Never touches the network or a repository.
    pub fn resolve(global: &GlobalArgs, user_id_flag: Option<&str>) -> Result<Settings> {
        let raw_url = global
            .api_url
            .clone()
            .or_else(|| env_nonempty("DEVIN_API_URL"))
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let api_url = parse_api_url(&raw_url)?;
        if !global.timeout.is_finite() || global.timeout <= 0.0 || global.timeout > 86_400.0 {
            return Err(Error::usage(format!(
                "--timeout must be a number of seconds between 0 and 86400, not {}",
                global.timeout
            )));
        }
        Ok(Settings {
            api_url,
            org_id: global
                .org_id
                .clone()
                .or_else(|| env_nonempty("DEVIN_ORG_ID")),
            user_id: user_id_flag
                .map(str::to_string)
                .or_else(|| env_nonempty("DEVIN_USER_ID")),
            api_key: env_nonempty("DEVIN_API_KEY").map(ApiKey::new),
            timeout: Duration::from_secs_f64(global.timeout),
            json: global.json,
            verbose: global.verbose,
            color: global.color,
        })
    }

    /// The key, or the documented "no key" error (exit 4).
    pub fn require_key(&self) -> Result<&ApiKey> {
        self.api_key.as_ref().ok_or_else(|| {
            Error::auth("no API key: DEVIN_API_KEY is not set")
                .hint("set DEVIN_API_KEY to a Devin API key (Settings > Service users), e.g. export DEVIN_API_KEY=cog_...")
                .hint("or try it first with --dry-run, which needs no key")
        })
    }
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
