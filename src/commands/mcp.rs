//! `mcp`: a Model Context Protocol server over stdio (the official Rust SDK, rmcp), so that
//! any agent can hand off, scan and follow sessions through tools. It runs the same pipeline
//! as the CLI and never asks anything; stdout is the protocol's, so nothing else is printed
//! there. A blocked handoff is a tool result with `isError` (the masked findings and the
//! exact retry that would redact), not a protocol error.

use std::path::PathBuf;

use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{session_id, Client, SessionFilter};
use crate::cli::{McpArgs, McpSecrets};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::pipeline::HandoffRequest;
use crate::prompt::Via;
use crate::scan::policy::Policy;
use crate::scan::Scanner;
use crate::settings::Settings;
use crate::ui;

/// How secrets in a handoff are handled: never `allow` (sending them as they are), which no
/// agent can ask for; only a person changing the server's command line can make `redact` or
/// `session` the default.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum SecretsParam {
    /// Send nothing and report the masked findings.
    Block,
    /// Replace each secret with a placeholder and withhold sensitive files.
    Redact,
    /// `NAME=value` secrets go to the session as session secrets; the rest are redacted.
    Session,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ViaParam {
    /// In the prompt when it fits the inline budget, else as an attachment.
    Auto,
    /// Always in the prompt, cut at file boundaries when over budget.
    Inline,
    /// Always as an uploaded attachment.
    Attachment,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct HandoffParams {
    /// The task for the cloud session, in the user's words.
    task: String,
    /// Extra context: what was tried, what is left.
    context: Option<String>,
    /// Tags for the session (`handoff` is always added).
    tags: Option<Vec<String>>,
    /// What to do when secrets are found [default: block, unless the server was started with
    /// another policy].
    secrets: Option<SecretsParam>,
    /// Only compose: return the prompt and the patch that would be sent, send nothing.
    dry_run: Option<bool>,
    /// How the patch travels.
    via: Option<ViaParam>,
    /// Send unpushed commits as commits (a git bundle) rather than one patch.
    history: Option<bool>,
    /// The repository to hand off (any folder inside it) [default: the server's folder].
    cwd: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ScanParams {
    /// A folder (what a handoff from its repository would send) or a unified diff file.
    path: Option<String>,
    /// A unified diff given as text.
    patch: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SessionParams {
    /// Session ID (with or without `devin-`) or its web URL.
    session_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SendParams {
    /// Session ID (with or without `devin-`) or its web URL.
    session_id: String,
    /// The message; scanned for secrets first (blocked if any are found).
    message: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ListParams {
    /// Only sessions with all these tags.
    tags: Option<Vec<String>>,
    /// At most this many [default: 20].
    limit: Option<u32>,
}

/// The server: the settings resolved at start, read-only after.
#[derive(Debug, Clone)]
pub struct Server {
    settings: Settings,
    default_secrets: Policy,
    /// One handoff at a time: delivery takes a blocking per-fingerprint file lock, which two
    /// identical calls on this one-thread runtime would otherwise wait on forever.
    handoffs: std::sync::Arc<tokio::sync::Mutex<()>>,
    tool_router: ToolRouter<Server>,
}

/// A failure as a tool result with `isError`: the same object `--json` prints.
fn failure(e: &Error) -> CallToolResult {
    let mut v = e.to_json();
    crate::keymask::mask_json(&mut v);
    CallToolResult::structured_error(v)
}

/// A tool's answer, with any key masked: the agent's model reads it.
fn done(r: Result<Value>) -> std::result::Result<CallToolResult, ErrorData> {
    Ok(match r {
        Ok(mut v) => {
            crate::keymask::mask_json(&mut v);
            CallToolResult::structured(v)
        }
        Err(e) => failure(&e),
    })
}

#[tool_router]
impl Server {
    fn new(settings: Settings, default_secrets: Policy) -> Server {
        Server {
            settings,
            default_secrets,
            handoffs: std::sync::Arc::default(),
            tool_router: Self::tool_router(),
        }
    }

    /// Hands the exact local state of a git repository (remote, branch, unpushed commits,
    /// staged, unstaged and untracked changes) to a new cloud Devin session, after a secret
    /// scan. Returns the session's ID and URL, or with dry_run the prompt and patch that
    /// would go. When secrets are found it sends nothing and returns the masked findings
    /// with the exact retry that would redact them: ask the user before retrying.
    #[tool(name = "handoff")]
    async fn handoff(
        &self,
        Parameters(p): Parameters<HandoffParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        let retry = json!({
            "tool": "handoff",
            "arguments": {
                "task": p.task, "context": p.context, "tags": p.tags, "cwd": p.cwd,
                "via": p.via, "history": p.history, "dry_run": p.dry_run, "secrets": "redact",
            }
        });
        Ok(match self.run_handoff(p).await {
            Ok(v) => CallToolResult::structured(v),
            Err(e) => {
                let mut v = e.to_json();
                // Blocked on secrets: say how to redact them, once the user agrees.
                if e.detail().is_some_and(|(k, _)| *k == "findings") {
                    v["retry"] = retry;
                }
                CallToolResult::structured_error(v)
            }
        })
    }

    /// Scans for secrets, as the handoff guard does: a folder (what a handoff from its
    /// repository would send), a file (a unified diff is read as a patch, anything else as
    /// the file's content), or text. Values are masked.
    #[tool(name = "scan")]
    async fn scan(
        &self,
        Parameters(p): Parameters<ScanParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        let settings = self.settings.clone();
        done(
            tokio::task::spawn_blocking(move || scan(p, &settings))
                .await
                .unwrap_or_else(|e| Err(Error::other(format!("the scan stopped: {e}")))),
        )
    }

    /// A session's status, title, pull request and structured report.
    #[tool(name = "session_status")]
    async fn session_status(
        &self,
        Parameters(p): Parameters<SessionParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        done(
            async {
                let (id, mut client) = self.session(&p.session_id)?;
                let s = client.get_session(&id).await?;
                Ok(json!({"session": s, "url": s.web_url(), "progress": s.progress()}))
            }
            .await,
        )
    }

    /// A session's messages, oldest first.
    #[tool(name = "session_messages")]
    async fn session_messages(
        &self,
        Parameters(p): Parameters<SessionParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        done(
            async {
                let (id, mut client) = self.session(&p.session_id)?;
                let msgs = client.list_messages(&id).await?;
                Ok(json!({"session_id": id, "messages": msgs}))
            }
            .await,
        )
    }

    /// Sends a follow-up message to a session. It is scanned for secrets first and not sent
    /// when any are found.
    #[tool(name = "send_message")]
    async fn send_message(
        &self,
        Parameters(p): Parameters<SendParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        done(
            async {
                if p.message.trim().is_empty() {
                    return Err(Error::usage("the message is empty"));
                }
                let mut never = ui::prompt::NeverAsk {
                    out: self.settings.out,
                };
                // Scanned before the key is needed: a message holding a secret is a block.
                let body = pipeline::clear_message(
                    &p.message,
                    Some(Policy::Block),
                    &self.settings,
                    &mut never,
                )?;
                let (id, mut client) = self.session(&p.session_id)?;
                let s = client.send_message(&id, &body).await?;
                Ok(json!({"session_id": id, "sent": true, "status": s.and_then(|s| s.status)}))
            }
            .await,
        )
    }

    /// Lists sessions, newest first.
    #[tool(name = "list_sessions")]
    async fn list_sessions(
        &self,
        Parameters(p): Parameters<ListParams>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        done(
            async {
                let limit = p.limit.unwrap_or(20).clamp(1, 200) as usize;
                let filter = SessionFilter {
                    tags: p.tags.unwrap_or_default(),
                    ..SessionFilter::default()
                };
                let mut client = self.settings.client()?;
                let sessions = client.list_sessions(&filter, Some(limit)).await?;
                Ok(json!({"sessions": sessions}))
            }
            .await,
        )
    }
}

impl Server {
    /// The session a tool names, and a client to ask about it.
    fn session(&self, raw: &str) -> Result<(String, Client)> {
        Ok((session_id(raw)?, self.settings.client()?))
    }

    async fn run_handoff(&self, p: HandoffParams) -> Result<Value> {
        let _one_at_a_time = self.handoffs.lock().await;
        let dir = match &p.cwd {
            Some(d) => PathBuf::from(d),
            None => std::env::current_dir().map_err(|e| Error::other(e.to_string()))?,
        };
        if !dir.is_dir() {
            return Err(Error::usage(format!("{} is not a folder", dir.display())));
        }
        let secrets = match p.secrets {
            Some(SecretsParam::Block) => Policy::Block,
            Some(SecretsParam::Redact) => Policy::Redact,
            Some(SecretsParam::Session) => Policy::Session,
            None => self.default_secrets,
        };
        let req = HandoffRequest {
            dir,
            task: Some(p.task),
            context: p.context,
            tags: p.tags.unwrap_or_default(),
            via: match p.via {
                Some(ViaParam::Inline) => Via::Inline,
                Some(ViaParam::Attachment) => Via::Attachment,
                _ => Via::Auto,
            },
            history: p.history.unwrap_or(false),
            secrets: Some(secrets),
            dry_run: p.dry_run.unwrap_or(false),
            yes: true,
            ..HandoffRequest::default()
        };
        let settings = self.settings.clone();
        let dry_run = req.dry_run;
        let plan = tokio::task::spawn_blocking(move || {
            let mut never = ui::prompt::NeverAsk { out: settings.out };
            pipeline::plan(&req, &settings, &mut never)
        })
        .await
        .map_err(|e| Error::other(format!("the handoff stopped: {e}")))??;
        if dry_run {
            let mut v = plan.dry_run_value(&self.settings)?;
            v["prompt"] = json!(plan.composed.prompt);
            return Ok(v);
        }
        let mut client = self.settings.client()?;
        let d = pipeline::deliver(plan, &mut client, &self.settings.out, false).await?;
        Ok(pipeline::created_value(&d.session, &d.composed, d.reused))
    }
}

fn scan(p: ScanParams, settings: &Settings) -> Result<Value> {
    let scanner = Scanner::new();
    let findings = match (p.path, p.patch) {
        (_, Some(text)) => scanner
            .scan_input(text.as_bytes(), "<patch>")
            .map_err(|e| Error::usage(format!("cannot read the patch: {e}")))?,
        (Some(path), None) => {
            let path = PathBuf::from(path);
            if path.is_dir() {
                // The same front door as a handoff from there.
                let req = HandoffRequest {
                    dir: path.clone(),
                    ..Default::default()
                };
                let mut never = ui::prompt::NeverAsk { out: settings.out };
                pipeline::guard_only(&req, settings, &mut never)?
                    .ok_or_else(|| {
                        Error::usage(format!("{} is not inside a git repository", path.display()))
                    })?
                    .findings
            } else {
                let f = std::fs::File::open(&path)
                    .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
                scanner
                    .scan_input(f, &path.display().to_string())
                    .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?
            }
        }
        (None, None) => return Err(Error::usage("give a path or a patch to scan")),
    };
    Ok(json!({"findings": findings, "clean": findings.is_empty()}))
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "devin-handoff",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Hand the exact local state of a git repository to a cloud Devin session \
                 (handoff), scan for secrets (scan), and follow sessions (session_status, \
                 session_messages, send_message, list_sessions). Secrets are never sent as \
                 they are: a blocked handoff returns masked findings; ask the user before \
                 retrying with secrets=redact.",
            )
    }

    /// The one request of ours: the stand-in [`filter_input`] sends for a message too large
    /// to read, answered with an error under that message's ID.
    async fn on_custom_request(
        &self,
        request: rmcp::model::CustomRequest,
        _context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> std::result::Result<rmcp::model::CustomResult, ErrorData> {
        if request.method == TOO_LARGE {
            let bytes = request
                .params
                .as_ref()
                .and_then(|p| p.get("bytes"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            return Err(ErrorData::invalid_request(
                format!(
                    "the request is {bytes} bytes or more; this server reads at most {MAX_MESSAGE} bytes per message"
                ),
                None,
            ));
        }
        Err(ErrorData::new(
            rmcp::model::ErrorCode::METHOD_NOT_FOUND,
            request.method,
            None,
        ))
    }
}

/// The largest message read; a larger one is answered with an error, never dropped unanswered.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;
/// The stand-in method for a message over [`MAX_MESSAGE`].
const TOO_LARGE: &str = "devin-handoff/request-too-large";

/// Copies the client's lines to the server, each at most [`MAX_MESSAGE`] bytes. A longer
/// line is not held in memory: its ID (read from its first and last few KiB) goes on in a
/// small stand-in request, which the server answers with a JSON-RPC error.
async fn filter_input(
    mut input: impl tokio::io::AsyncBufRead + Unpin,
    mut out: impl tokio::io::AsyncWrite + Unpin,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    const EDGE: usize = 4096;
    let mut line: Vec<u8> = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    let mut total = 0usize;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            return Ok(());
        }
        let newline = memchr::memchr(b'\n', available);
        let take = newline.map_or(available.len(), |i| i + 1);
        let chunk = &available[..take];
        total += take;
        if total <= MAX_MESSAGE {
            line.extend_from_slice(chunk);
        } else {
            // Keep the head (already in `line`, cut to EDGE) and a sliding tail.
            line.truncate(EDGE);
            tail.extend_from_slice(chunk);
            if tail.len() > 2 * EDGE {
                tail.drain(..tail.len() - EDGE);
            }
        }
        input.consume(take);
        if newline.is_none() {
            continue;
        }
        if total <= MAX_MESSAGE {
            out.write_all(&line).await?;
        } else if let Some(id) = message_id(&line).or_else(|| message_id(&tail)) {
            let stand_in = json!({"jsonrpc": "2.0", "id": id, "method": TOO_LARGE, "params": {"bytes": total}});
            out.write_all(format!("{stand_in}\n").as_bytes()).await?;
        }
        out.flush().await?;
        line.clear();
        tail.clear();
        total = 0;
    }
}

/// A JSON-RPC `"id"` (a number or a string) found in a piece of a message.
fn message_id(piece: &[u8]) -> Option<Value> {
    static ID: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r#""id"\s*:\s*(-?[0-9]+|"(?:[^"\\]|\\.)*")"#).expect("id pattern")
    });
    let m = ID.captures(piece)?.get(1)?;
    serde_json::from_slice(m.as_bytes()).ok()
}

/// Serves MCP on stdin and stdout until the client goes away.
pub fn run(args: &McpArgs, settings: &Settings) -> Result<()> {
    let mut settings = settings.clone();
    // No person, and stdout is the protocol's.
    settings.out = ui::Printer::machine();
    let default_secrets = match args.secrets {
        McpSecrets::Block => Policy::Block,
        McpSecrets::Redact => Policy::Redact,
        McpSecrets::Session => Policy::Session,
    };
    // `api_key_command` is a blocking child process: run it before the runtime starts.
    let _ = settings.require_key();
    let server = Server::new(settings, default_secrets);
    super::block_on(async move {
        let (to_server, from_filter) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            let stdin = tokio::io::BufReader::with_capacity(1 << 16, tokio::io::stdin());
            let _ = filter_input(stdin, to_server).await;
        });
        let running = server
            .serve((from_filter, tokio::io::stdout()))
            .await
            .map_err(|e| Error::other(format!("the MCP session did not start: {e}")))?;
        running
            .waiting()
            .await
            .map_err(|e| Error::other(format!("the MCP session ended badly: {e}")))?;
        Ok(())
    })
}
