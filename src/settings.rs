//! Flags, environment and config file, resolved once: [`Settings`] for every command, and
//! [`HandoffRequest`], the domain form of `create`'s flags, for the pipeline. This is where
//! clap's types end: nothing past this file (and `commands/`) sees them.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::cli::{ColorWhen, CreateArgs, GlobalArgs, SecretsPolicy, Via as CliVia};
use crate::config::{load_file, owner_only, parse_api_url, parse_policy, run_key_command};
use crate::config::{ApiKey, FileConfig, DEFAULT_API_URL};
use crate::error::{Error, Result};
use crate::prompt::Via;
use crate::scan::policy::Policy;
use crate::ui::{Color, Printer};

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
    pub fn resolve(global: &GlobalArgs, user_id_flag: Option<&str>) -> Result<Settings> {
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

impl From<SecretsPolicy> for Policy {
    fn from(p: SecretsPolicy) -> Policy {
        match p {
            SecretsPolicy::Ask => Policy::Ask,
            SecretsPolicy::Block => Policy::Block,
            SecretsPolicy::Redact => Policy::Redact,
            SecretsPolicy::Allow => Policy::Allow,
            SecretsPolicy::Session => Policy::Session,
        }
    }
}

impl From<CliVia> for Via {
    fn from(v: CliVia) -> Via {
        match v {
            CliVia::Auto => Via::Auto,
            CliVia::Inline => Via::Inline,
            CliVia::Attachment => Via::Attachment,
        }
    }
}

impl From<ColorWhen> for Color {
    fn from(c: ColorWhen) -> Color {
        match c {
            ColorWhen::Auto => Color::Auto,
            ColorWhen::Always => Color::Always,
            ColorWhen::Never => Color::Never,
        }
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
pub fn printer(global: &GlobalArgs) -> Printer {
    let p = Printer::new(global.json, global.no_input);
    if global.no_pager {
        p.without_pager()
    } else {
        p
    }
}

/// A handoff as the pipeline sees it: what to send and how, with no flag parsing left.
#[derive(Debug, Clone, Default)]
pub struct HandoffRequest {
    /// The repository (any directory inside it); the task alone when it is in none.
    pub dir: PathBuf,
    /// The task as given (`TASK`, `--task`), or where to read it (`--task-file`, `-` is stdin).
    pub task: Option<String>,
    pub task_file: Option<PathBuf>,
    pub context: Option<String>,
    pub context_file: Option<PathBuf>,
    pub title: Option<String>,
    /// `--tag`s (the config's tags and `handoff` are added by the pipeline).
    pub tags: Vec<String>,
    pub playbook: Option<String>,
    pub knowledge: Vec<String>,
    pub repo: Option<String>,
    pub mode: Option<String>,
    pub max_acu: Option<u64>,
    /// `--report`: the built-in report schema.
    pub report: bool,
    /// `--report-schema FILE`: a custom one.
    pub report_schema: Option<PathBuf>,
    pub via: Via,
    pub inline_budget: Option<usize>,
    pub exclude: Vec<String>,
    pub no_untracked: bool,
    pub history: bool,
    pub secrets: Option<Policy>,
    /// A baseline the user names (`--baseline`): accepted with full power.
    pub baseline: Option<PathBuf>,
    pub dry_run: bool,
    /// Send without the confirmation question.
    pub yes: bool,
    /// Create a session even when an identical handoff is still running.
    pub new: bool,
}

impl HandoffRequest {
    /// `create`'s flags, for the repository containing `dir`.
    pub fn from_args(args: &CreateArgs, dir: PathBuf) -> HandoffRequest {
        HandoffRequest {
            dir,
            task: args.task_arg.clone().or_else(|| args.task.clone()),
            task_file: args.task_file.clone(),
            context: args.context.clone(),
            context_file: args.context_file.clone(),
            title: args.title.clone(),
            tags: args.tags.clone(),
            playbook: args.playbook.clone(),
            knowledge: args.knowledge.clone(),
            repo: args.repo.clone(),
            mode: args.mode.clone(),
            max_acu: args.max_acu,
            report: args.report,
            report_schema: args.report_schema.clone(),
            via: args.via.into(),
            inline_budget: args.inline_budget,
            exclude: args.exclude.clone(),
            no_untracked: args.no_untracked,
            history: args.history,
            secrets: args.secrets.map(Policy::from),
            baseline: args.baseline.clone(),
            dry_run: args.dry_run,
            yes: args.yes,
            new: args.new,
        }
    }
}
