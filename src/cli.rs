//! Command-line definitions (clap). Only what was typed lives here; doc comments are the help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::parse_size;
use crate::pipeline::HandoffRequest;
use crate::scan::policy::Policy;
use crate::settings::Overrides;

/// Hand the exact local state of a git repository to a cloud Devin session
///
/// Run inside a git repository: devin-handoff captures the remote, branch, unpushed commits,
/// staged, unstaged and untracked changes, builds a prompt that reproduces them, and creates a
/// Devin session. `devin-handoff "task"` is the same as `devin-handoff create "task"`.
///
/// Start with `devin-handoff create --dry-run "task"`: it needs no account and sends nothing.
#[derive(Debug, Parser)]
#[command(name = "devin-handoff", version, subcommand_negates_reqs = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Arguments of the implied `create` when no subcommand is given
    #[command(flatten)]
    pub create: CreateArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags accepted by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print exactly one JSON object on stdout (never prompts)
    #[arg(long, global = true)]
    pub json: bool,

    /// Devin API base URL [env: DEVIN_API_URL] [default: https://api.devin.ai]
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,

    /// Organization ID for v3 routes [env: DEVIN_ORG_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub org_id: Option<String>,

    /// Connect and read timeout for API calls, in seconds
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// More output on stderr (-v requests, -vv details); secrets stay redacted
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colour on stderr
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Never ask a question, even on a terminal: act as scripts and agents do (--json implies it)
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Never send long output (the dry run's prompt, messages) through a pager
    /// [env: DEVIN_HANDOFF_PAGER=cat does the same]
    #[arg(long, global = true)]
    pub no_pager: bool,

    /// Allow a plain-http API URL on another machine (the key then crosses the network in clear)
    #[arg(long, global = true)]
    pub allow_http: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture this repository's state and hand it to a new Devin session
    Create(Box<CreateArgs>),
    /// Scan a patch, the staged changes, or what a handoff would send, for secrets
    ///
    /// Exits 3 when there are findings and 0 when clean, so it works as a pre-commit hook
    /// (`devin-handoff scan --staged`). Values are always shown masked.
    Scan(ScanArgs),
    /// Follow, talk to, collect from and end sessions
    #[command(subcommand)]
    Sessions(SessionsCmd),
    /// Watch a session until it is done, like `sessions watch` (the shell plugin's verb)
    Poll(PollArgs),
    /// Archive a session, like `sessions archive` (the shell plugin's verb)
    Archive(IdArg),
    /// For coding agents' hooks: read the hook event JSON on stdin and hand off its repository
    ///
    /// Never prompts; prints one JSON object in the agent's hook-output format; exits 0 even
    /// when nothing was sent (unless --block-on-failure), so that the agent is never blocked.
    Hook(HookArgs),
    /// Serve the Model Context Protocol on stdin and stdout, for agents (see the README)
    ///
    /// Tools: handoff, scan, session_status, session_messages, send_message, list_sessions.
    /// Never prompts; a handoff that finds secrets sends nothing unless the server allows
    /// redaction. `allow` (sending secrets as they are) is never available here.
    Mcp(McpArgs),
    /// Print shell completions
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder
    Man {
        /// Write devin-handoff.1 and a page per command (devin-handoff-create.1, …) here,
        /// creating the folder if needed
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Who the API key belongs to: principal type, name and organization
    Whoami,
    /// Check the key, the organization, permissions, git and settings, and say how to fix them
    Doctor,
    /// Organizations (enterprise keys)
    #[command(subcommand)]
    Orgs(OrgsCmd),
    /// Knowledge notes that shape every session
    #[command(subcommand)]
    Knowledge(KnowledgeCmd),
    /// Playbooks
    #[command(subcommand)]
    Playbooks(PlaybooksCmd),
    /// Scheduled sessions
    #[command(subcommand)]
    Schedules(SchedulesCmd),
}

#[derive(Debug, Clone, Args)]
pub struct HookArgs {
    /// The task [default: the event's prompt without its trigger, else "continue the work in progress"]
    #[arg(long, value_name = "T")]
    pub task: Option<String>,
    /// What to do when secrets are found (never asks)
    #[arg(long, value_enum, default_value_t = SecretsPolicy::Block, value_name = "POLICY")]
    pub secrets: SecretsPolicy,
    /// Exit 2 when nothing was sent, which blocks the agent's turn
    #[arg(long)]
    pub block_on_failure: bool,
    /// Act only on prompts that start with a trigger (`/handoff`, `handoff:`); let others pass
    #[arg(long)]
    pub require_trigger: bool,
    /// Largest transcript tail sent as context, in bytes (K and M suffixes allowed)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16K")]
    pub context_budget: usize,
    /// Hand off the task alone when the event's folder is in no git repository (by default
    /// nothing is sent)
    #[arg(long)]
    pub allow_no_repo: bool,
}

#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// The secrets policy of a handoff that does not name one; a tool call may still ask
    /// for any of these three
    #[arg(long, value_enum, default_value_t = McpSecrets::Block, value_name = "POLICY")]
    pub secrets: McpSecrets,
}

/// The policies an MCP client may use: never `allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum McpSecrets {
    /// Send nothing and return the masked findings
    Block,
    /// Replace each secret with a placeholder
    Redact,
    /// Pass `NAME=value` secrets as session secrets, redact the rest
    Session,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCmd {
    /// List the organizations an enterprise key can see
    List,
}

/// `ID` and `--yes` for deletes.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    #[arg(value_name = "ID")]
    pub id: String,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

/// The fields of a knowledge note; on `update`, only the ones given change.
#[derive(Debug, Clone, Args)]
pub struct NoteFields {
    /// The note's name
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// When Devin should use it
    #[arg(long, value_name = "T")]
    pub trigger: Option<String>,
    /// The note's text
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the text from a file, or stdin with `-`
    #[arg(long, value_name = "F")]
    pub body_file: Option<PathBuf>,
    /// Pin to a repository (OWNER/NAME, or `.` for this repository's)
    #[arg(long, value_name = "REPO")]
    pub pinned_repo: Option<String>,
    /// Folder ID
    #[arg(long, value_name = "ID")]
    pub folder: Option<String>,
    /// What to do when secrets are found [default: ask on a terminal, block elsewhere]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub secrets: Option<SecretsPolicy>,
}

impl NoteFields {
    /// Whether any field was given (an update with none would change nothing).
    pub fn any(&self) -> bool {
        self.name.is_some()
            || self.trigger.is_some()
            || self.body.is_some()
            || self.body_file.is_some()
            || self.pinned_repo.is_some()
            || self.folder.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum KnowledgeCmd {
    /// List notes
    List {
        /// Only notes matching this text
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only notes in this folder (path)
        #[arg(long, value_name = "PATH")]
        folder: Option<String>,
        /// Only notes pinned to this repository (OWNER/NAME, or `.`)
        #[arg(long, value_name = "REPO")]
        pinned_repo: Option<String>,
    },
    /// Show a note
    Show {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Create a note (needs --name, --trigger and --body or --body-file)
    Create(NoteFields),
    /// Change the given fields of a note; the others are kept
    Update {
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        fields: NoteFields,
    },
    /// Delete a note (asks first on a terminal)
    Delete(DeleteArgs),
    /// List the knowledge folders
    Folders,
}

/// The fields of a playbook; on `update`, only the ones given change.
#[derive(Debug, Clone, Args)]
pub struct PlaybookFields {
    /// The playbook's title
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// The playbook's text
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the text from a file, or stdin with `-`
    #[arg(long, value_name = "F")]
    pub body_file: Option<PathBuf>,
    /// A macro to invoke it with, e.g. `!deploy`
    #[arg(long = "macro", value_name = "MACRO")]
    pub macro_name: Option<String>,
    /// What to do when secrets are found [default: ask on a terminal, block elsewhere]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub secrets: Option<SecretsPolicy>,
}

impl PlaybookFields {
    /// Whether any field was given.
    pub fn any(&self) -> bool {
        self.title.is_some()
            || self.body.is_some()
            || self.body_file.is_some()
            || self.macro_name.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum PlaybooksCmd {
    /// List playbooks
    List,
    /// Show a playbook
    Show {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Create a playbook (needs --title and --body or --body-file)
    Create(PlaybookFields),
    /// Change the given fields of a playbook; the others are kept
    Update {
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        fields: PlaybookFields,
    },
    /// Delete a playbook (asks first on a terminal)
    Delete(DeleteArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Notify {
    Always,
    Failure,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Agent {
    Devin,
    DataAnalyst,
    Advanced,
}

/// The fields of a schedule; on `update`, only the ones given are sent.
#[derive(Debug, Clone, Args)]
pub struct ScheduleFields {
    /// The schedule's name
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The prompt each run starts with
    #[arg(long, value_name = "TEXT", conflicts_with = "prompt_file")]
    pub prompt: Option<String>,
    /// Read the prompt from a file, or stdin with `-`
    #[arg(long, value_name = "F")]
    pub prompt_file: Option<PathBuf>,
    /// A recurring schedule: five-field cron (minute hour day month weekday)
    #[arg(long, value_name = "EXPR", conflicts_with = "at")]
    pub cron: Option<String>,
    /// The time zone --cron is meant in (converted to UTC, which the API uses) [default: UTC]
    #[arg(long, value_name = "TZ", requires = "cron")]
    pub timezone: Option<String>,
    /// A one-time run at this date and time (RFC 3339, e.g. 2026-12-01T09:00:00Z)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Playbook for each run
    #[arg(long, value_name = "ID")]
    pub playbook: Option<String>,
    /// Tag each run's session (repeatable)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// When to notify
    #[arg(long, value_enum, value_name = "WHEN")]
    pub notify: Option<Notify>,
    /// Which agent runs it
    #[arg(long, value_enum, value_name = "AGENT")]
    pub agent: Option<Agent>,
    /// What to do when secrets are found [default: ask on a terminal, block elsewhere]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub secrets: Option<SecretsPolicy>,
}

impl ScheduleFields {
    /// Whether any field was given.
    pub fn any(&self) -> bool {
        self.name.is_some()
            || self.prompt.is_some()
            || self.prompt_file.is_some()
            || self.cron.is_some()
            || self.timezone.is_some()
            || self.at.is_some()
            || self.playbook.is_some()
            || !self.tags.is_empty()
            || self.notify.is_some()
            || self.agent.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum SchedulesCmd {
    /// List schedules
    List,
    /// Show a schedule
    Show {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Create a schedule (needs --name, --prompt, and --cron or --at)
    Create(ScheduleFields),
    /// Change the given fields of a schedule
    Update {
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        fields: ScheduleFields,
    },
    /// Turn a schedule on
    Enable {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Turn a schedule off
    Disable {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Delete a schedule (asks first on a terminal)
    Delete(DeleteArgs),
}

/// A session, by ID (bare or `devin-…`) or web URL.
#[derive(Debug, Clone, Args)]
pub struct IdArg {
    /// Session ID (with or without `devin-`) or its web URL
    #[arg(value_name = "ID")]
    pub id: String,
}

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Session ID (with or without `devin-`) or its web URL
    #[arg(value_name = "ID")]
    pub id: String,
    /// Seconds between checks [default: 15, or watch_interval from the config file]
    #[arg(long, value_name = "S")]
    pub interval: Option<f64>,
    /// Give up after this many seconds (exit 7) [default: no limit]
    #[arg(long = "wait-timeout", value_name = "S")]
    pub wait_timeout: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct PollArgs {
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Archive the session once it is done
    #[arg(long)]
    pub archive: bool,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCmd {
    /// List sessions (newest first as the API returns them)
    List {
        /// Only sessions with this tag (repeatable)
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
        /// Only sessions on this repository (OWNER/NAME)
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Only sessions handed off from this repository (from the local journal)
        #[arg(long)]
        mine: bool,
        /// Only sessions in this status
        #[arg(long, value_name = "S", value_parser = ["new", "claimed", "running", "exit", "error", "suspended", "resuming"])]
        status: Option<String>,
        /// At most this many (1 or more)
        #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Show a session [default: the last one handed off from this branch]
    Show {
        /// Session ID (with or without `devin-`) or its web URL
        #[arg(value_name = "ID")]
        id: Option<String>,
    },
    /// Follow a session: new messages and status changes, until it is done
    ///
    /// Exits 0 when the session finished or waits for input, 6 when it failed or was
    /// suspended, 7 on --wait-timeout. With --json, one JSON object per event (NDJSON).
    Watch(WatchArgs),
    /// Print a session's messages
    Messages(IdArg),
    /// Send a message to a session (scanned for secrets like a handoff)
    Send {
        /// Session ID (with or without `devin-`) or its web URL
        #[arg(value_name = "ID")]
        id: String,
        /// The message (or use --file)
        #[arg(value_name = "MESSAGE", conflicts_with = "file")]
        message: Option<String>,
        /// Read the message from a file, or from stdin with `-`
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
        /// What to do when secrets are found [default: block]
        #[arg(long, value_enum, value_name = "POLICY")]
        secrets: Option<SecretsPolicy>,
    },
    /// List a session's attachments, or download them
    Attachments {
        /// Session ID (with or without `devin-`) or its web URL
        #[arg(value_name = "ID")]
        id: String,
        /// Download every attachment into this directory (existing files are never replaced)
        #[arg(long, value_name = "DIR")]
        download: Option<PathBuf>,
        /// Largest attachment downloaded; a larger one stops the download, leaving no file
        #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G")]
        max_size: usize,
    },
    /// Archive a session
    Archive(IdArg),
    /// Check out the session's pull request: into a new worktree, or here with --here
    ///
    /// Fetches with your own git (your credentials and remotes) into a branch named
    /// `devin/pr-N`. Warns when this branch moved since the handoff.
    Pull {
        /// Session ID (with or without `devin-`) or its web URL
        #[arg(value_name = "ID")]
        id: String,
        /// Check out in this working tree (which must be clean) instead of a new worktree
        #[arg(long)]
        here: bool,
        /// Where to create the worktree [default: ../<repo>-devin-pr-N]
        #[arg(long, value_name = "DIR", conflicts_with = "here")]
        path: Option<PathBuf>,
    },
    /// Terminate a session (asks first on a terminal)
    Terminate {
        /// Session ID (with or without `devin-`) or its web URL
        #[arg(value_name = "ID")]
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
}

impl CreateArgs {
    /// Whether any `create` flag was typed (they mean nothing before another subcommand).
    pub fn any_given(&self) -> bool {
        self.task_arg.is_some()
            || self.task.is_some()
            || self.task_file.is_some()
            || self.context.is_some()
            || self.context_file.is_some()
            || !self.tags.is_empty()
            || self.title.is_some()
            || self.playbook.is_some()
            || !self.knowledge.is_empty()
            || self.max_acu.is_some()
            || self.mode.is_some()
            || self.user_id.is_some()
            || self.repo.is_some()
            || !self.exclude.is_empty()
            || self.no_untracked
            || self.dry_run
            || self.yes
            || self.secrets.is_some()
            || self.wait
            || self.open
            || self.new
            || self.inline_budget.is_some()
            || self.via != Via::Auto
            || self.report
            || self.report_schema.is_some()
    }
}

/// What `scan` reads.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// A file or unified diff to scan (`-` for stdin): a diff is read as a patch, anything
    /// else as a file's content [default: everything a handoff from here would send]
    #[arg(value_name = "PATCH", conflicts_with = "staged")]
    pub patch: Option<PathBuf>,

    /// Scan the staged changes (the index against HEAD), as a pre-commit hook would
    #[arg(long)]
    pub staged: bool,

    /// Leave out paths matching this glob (repeatable), as `create --exclude` does
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not scan untracked files
    #[arg(long)]
    pub no_untracked: bool,

    /// Scan the unpushed commits as commits (messages, authors, each change), as `create
    /// --history` sends them even when they hold a secret
    #[arg(long, conflicts_with_all = ["patch", "staged"])]
    pub history: bool,

    /// Scan this task text too, as a handoff with it would
    #[arg(long, value_name = "T", conflicts_with_all = ["patch", "staged"])]
    pub task: Option<String>,

    /// List the rules the scanner runs, one per line (with --json, an array), and exit
    #[arg(long, conflicts_with_all = ["patch", "staged"])]
    pub list_rules: bool,

    /// Output format: text for people, json (as --json), or sarif (SARIF 2.1.0, for code
    /// scanning) [default: text, or json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ScanFormat>,

    /// Ignore the findings listed in this baseline file (see --write-baseline)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write every finding to FILE as a baseline (fingerprints, no secret values) and exit 0
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
}

/// How `scan` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

/// How the state travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// Git objects in an uploaded bundle; with --inline-budget (or the config's), a patch in
    /// the prompt when it fits, else as an attachment
    #[default]
    Auto,
    /// Always in the prompt; over budget, cut at file boundaries and list what was omitted
    Inline,
    /// Always as an uploaded attachment, with a summary in the prompt
    Attachment,
}

/// What to do when secrets are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretsPolicy {
    /// Ask on a terminal (redact, send anyway, abort); block everywhere else
    Ask,
    /// Send nothing and exit 3
    Block,
    /// Replace each secret with a placeholder and withhold sensitive files
    Redact,
    /// Send as is, with a warning
    Allow,
    /// Pass `NAME=value` secrets to the session as session secrets (v3), not in the prompt;
    /// redact the rest
    Session,
}

/// What to hand off and how.
#[derive(Debug, Clone, Default, Args)]
pub struct CreateArgs {
    /// The task for Devin (or use --task / --task-file)
    #[arg(value_name = "TASK", conflicts_with_all = ["task", "task_file"])]
    pub task_arg: Option<String>,

    /// The task for Devin
    #[arg(long, value_name = "T", conflicts_with = "task_file")]
    pub task: Option<String>,

    /// Read the task from a file, or from stdin with `-`
    #[arg(long, value_name = "F")]
    pub task_file: Option<PathBuf>,

    /// Extra context for Devin, e.g. what was tried so far
    #[arg(long, value_name = "T", conflicts_with = "context_file")]
    pub context: Option<String>,

    /// Read the extra context from a file, or from stdin with `-`
    #[arg(long, value_name = "F")]
    pub context_file: Option<PathBuf>,

    /// Add a tag to the session (repeatable); `handoff` is always added
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,

    /// Session title [default: the task's first line]
    #[arg(long, value_name = "T")]
    pub title: Option<String>,

    /// Playbook to run the session with
    #[arg(long, value_name = "ID")]
    pub playbook: Option<String>,

    /// Restrict the session's knowledge to these notes (repeatable); without it, the session
    /// gets all of the organization's knowledge, as the API does when the list is absent
    #[arg(long = "knowledge", value_name = "ID")]
    pub knowledge: Vec<String>,

    /// Ask the session for a structured report when done: summary, branch, pull request,
    /// tests and their result, open questions (`sessions show` and `watch` print it)
    #[arg(long)]
    pub report: bool,

    /// Ask for a report in this JSON Schema (draft 7, at most 64 KiB, self-contained)
    #[arg(long, value_name = "FILE", conflicts_with = "report")]
    pub report_schema: Option<PathBuf>,

    /// Cap on the session's ACUs
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_acu: Option<u64>,

    /// Devin mode, e.g. `normal` or `fast` [default: the org's]
    #[arg(long, value_name = "M")]
    pub mode: Option<String>,

    /// Create the session as this user (needs ImpersonateOrgSessions) [env: DEVIN_USER_ID]
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// Repository to name in the session [default: the remote's owner/name]
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,

    /// Leave out paths matching this glob (repeatable, gitignore-like)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not send untracked files
    #[arg(long)]
    pub no_untracked: bool,

    /// Send unpushed commits as commits even when they hold possible secrets (which then
    /// block: commits cannot be redacted). By default they travel as commits unless they hold
    /// one, and are squashed into the work in progress then
    #[arg(long)]
    pub history: bool,

    /// How the state travels: auto (git objects in an uploaded bundle: the unpushed commits,
    /// and the index and working tree as two commits), or a patch: inline (in the prompt) or
    /// attachment (uploaded)
    #[arg(long, value_enum, default_value_t = Via::Auto, value_name = "HOW")]
    pub via: Via,

    /// Send a patch, in the prompt when it is at most this many bytes (K and M suffixes
    /// allowed), else uploaded [default: a bundle; 64K for --via inline]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub inline_budget: Option<usize>,

    /// What to do when secrets are found [default: ask on a terminal, block elsewhere]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub secrets: Option<SecretsPolicy>,

    /// Accept the findings listed in this baseline (`scan --write-baseline`), in full; a
    /// repository's own suppression files accept only secrets already on its remote
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// After creating the session, watch it until it is done (as `sessions watch`)
    #[arg(long)]
    pub wait: bool,

    /// With --wait: seconds between checks [default: 15, or watch_interval from the config]
    #[arg(long, value_name = "S", requires = "wait")]
    pub interval: Option<f64>,

    /// Open the session in the browser
    #[arg(long)]
    pub open: bool,

    /// Create a new session even if an identical handoff is still running
    #[arg(long)]
    pub new: bool,

    /// Print what would be sent and send nothing (needs no key)
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

impl GlobalArgs {
    /// The flags every command shares, as plain values for [`Settings`](crate::settings).
    pub fn overrides(&self) -> Overrides {
        Overrides {
            json: self.json,
            api_url: self.api_url.clone(),
            org_id: self.org_id.clone(),
            timeout: self.timeout,
            verbose: self.verbose,
            no_input: self.no_input,
            no_pager: self.no_pager,
            allow_http: self.allow_http,
        }
    }
}

impl CreateArgs {
    /// These flags as the front door's request, for the repository containing `dir`.
    pub fn request(&self, dir: std::path::PathBuf) -> HandoffRequest {
        let args = self;
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

impl From<Via> for crate::prompt::Via {
    fn from(v: Via) -> crate::prompt::Via {
        match v {
            Via::Auto => crate::prompt::Via::Auto,
            Via::Inline => crate::prompt::Via::Inline,
            Via::Attachment => crate::prompt::Via::Attachment,
        }
    }
}

impl From<ColorWhen> for crate::ui::Color {
    fn from(c: ColorWhen) -> crate::ui::Color {
        match c {
            ColorWhen::Auto => crate::ui::Color::Auto,
            ColorWhen::Always => crate::ui::Color::Always,
            ColorWhen::Never => crate::ui::Color::Never,
        }
    }
}
