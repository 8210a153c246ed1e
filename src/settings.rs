//! Overrides (what the command line said, as plain values), environment and config file,
//! resolved once into [`Settings`] for every command. No clap type comes here: the CLI maps
//! its flags onto [`Overrides`] at the edge.

use std::sync::OnceLock;
use std::time::Duration;

use crate::api::ApiKey;
use crate::config::{load_file, owner_only, parse_api_url, parse_policy, run_key_command};
use crate::config::{FileConfig, DEFAULT_API_URL};
use crate::error::{Error, Result};
use crate::scan::policy::Policy;
use crate::ui::Printer;

/// What the command line says about settings every command shares; unset values come from
/// the environment and the config file.
#[derive(Debug, Clone)]
pub struct Overrides {
    pub json: bool,
    pub api_url: Option<String>,
    pub org_id: Option<String>,
    /// Seconds.
    pub timeout: f64,
    pub verbose: u8,
    pub no_input: bool,
    pub no_pager: bool,
    pub allow_http: bool,
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides {
            json: false,
            api_url: None,
            org_id: None,
            timeout: 30.0,
            verbose: 0,
            no_input: false,
            no_pager: false,
            allow_http: false,
        }
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
    /// Where results go and whether a person may be asked: the one reading of `--json`.
    pub out: Printer,
    pub verbose: u8,
    /// Defaults from the config file.
    pub default_tags: Vec<String>,
    pub default_secrets: Option<Policy>,
    pub default_inline_budget: Option<usize>,
    pub watch_interval: Option<f64>,
    /// The user's own baseline (`baseline` in the config file).
    pub baseline: Option<std::path::PathBuf>,
    /// Where the key and the organization came from, for `doctor`.
    pub key_source: &'static str,
    pub org_source: &'static str,
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
    pub fn resolve(global: &Overrides, user_id_flag: Option<&str>) -> Result<Settings> {
        let file = match crate::paths::config_file() {
            Some(p) => load_file(&p)?,
            None => FileConfig::default(),
        };
        let raw_url = global
            .api_url
            .clone()
            .or_else(|| env_nonempty("DEVIN_API_URL"))
            .or(file.api_url.clone())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let api_url = parse_api_url(&raw_url, global.allow_http || file.allow_http == Some(true))?;
        if !global.timeout.is_finite() || global.timeout <= 0.0 || global.timeout > 86_400.0 {
            return Err(Error::usage(format!(
                "--timeout must be a number of seconds above 0 and at most 86400, not {}",
                global.timeout
            )));
        }
        let file_key = match (&file.api_key, crate::paths::config_file()) {
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
            org_source: match (&global.org_id, env_nonempty("DEVIN_ORG_ID"), &file.org_id) {
                (Some(_), _, _) => "--org-id",
                (None, Some(_), _) => "DEVIN_ORG_ID",
                (None, None, Some(_)) => "the config file (org_id)",
                (None, None, None) => "the key's own organization (/v3/self)",
            },
            org_id: global
                .org_id
                .clone()
                .or_else(|| env_nonempty("DEVIN_ORG_ID"))
                .or(file.org_id.clone()),
            user_id: user_id_flag
                .map(str::to_string)
                .or_else(|| env_nonempty("DEVIN_USER_ID"))
                .or(file.user_id.clone()),
            key_source: match (
                env_key().is_some(),
                file_key.is_some(),
                file.api_key_command.is_some(),
            ) {
                (true, _, _) => "the environment (DEVIN_API_KEY)",
                (false, true, _) => "the config file (api_key)",
                (false, false, true) => "api_key_command in the config file",
                (false, false, false) => "nowhere",
            },
            api_key: env_key().or(file_key),
            key_command: file.api_key_command.clone(),
            key_from_command: OnceLock::new(),
            timeout: Duration::from_secs_f64(global.timeout),
            out: printer(global),
            verbose: global.verbose,
            default_tags: file.tags.clone(),
            default_secrets: file.secrets.as_deref().and_then(|p| parse_policy(p).ok()),
            default_inline_budget: file.inline_budget,
            watch_interval: file.watch_interval,
            baseline: file.baseline.clone(),
        })
    }

    /// An API client for these settings (running `api_key_command` if the key comes from
    /// it), whose events are shown as `-v` and the terminal say.
    pub fn client(&self) -> Result<crate::api::Client> {
        let config = crate::api::ApiConfig {
            url: self.api_url.clone(),
            key: self.require_key()?.clone(),
            org_id: self.org_id.clone(),
            timeout: self.timeout,
        };
        crate::api::Client::new(
            config,
            crate::ui::api_events(self.verbose, self.out.on_terminal()),
        )
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

/// `DEVIN_API_KEY`, read once and then removed from this process's environment, so that no
/// child (git and the repository hooks it runs, the browser, `api_key_command`) inherits it.
fn env_key() -> Option<ApiKey> {
    static KEY: OnceLock<Option<ApiKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = env_nonempty("DEVIN_API_KEY").map(ApiKey::new);
        // Single-threaded here: settings are resolved before any thread or runtime starts.
        std::env::remove_var("DEVIN_API_KEY");
        key
    })
    .clone()
}

/// The output layer for these flags: the one place `--json` and `--no-input` are read.
pub fn printer(global: &Overrides) -> Printer {
    let p = Printer::new(global.json, global.no_input);
    if global.no_pager {
        p.without_pager()
    } else {
        p
    }
}
