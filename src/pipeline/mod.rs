//! The handoff pipeline as a library: capture → guard → compose, synchronous, ending in a
//! [`Plan`] (exactly what would be sent); then [`deliver`] sends it. The CLI, the agent hook
//! and any later front end call the same functions with a [`HandoffRequest`] and an
//! [`Interact`]: the terminal, never-ask, or a script in tests.

mod deliver;
mod gate;
mod guard;

use crate::api::types::CreateSessionRequest;
use crate::error::{Error, Result};
use crate::git::{self, CaptureOptions, RepoState};
use crate::prompt::{self, Composed, Delivery, Handoff, SecretsReport, Via};
use crate::scan::policy::Policy;
use crate::scan::Finding;
use crate::settings::Settings;

/// A handoff as the pipeline sees it: what to send and how, with no flag parsing left.
#[derive(Debug, Clone, Default)]
pub struct HandoffRequest {
    /// The repository (any directory inside it); the task alone when it is in none.
    pub dir: std::path::PathBuf,
    /// The task as given (`TASK`, `--task`), or where to read it (`--task-file`, `-` is stdin).
    pub task: Option<String>,
    pub task_file: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub context_file: Option<std::path::PathBuf>,
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
    pub report_schema: Option<std::path::PathBuf>,
    pub via: Via,
    pub inline_budget: Option<usize>,
    pub exclude: Vec<String>,
    pub no_untracked: bool,
    pub history: bool,
    pub secrets: Option<Policy>,
    /// A baseline the user names (`--baseline`): accepted with full power.
    pub baseline: Option<std::path::PathBuf>,
    pub dry_run: bool,
    /// Send without the confirmation question.
    pub yes: bool,
    /// Create a session even when an identical handoff is still running.
    pub new: bool,
}

pub use deliver::{created_value, deliver, Delivered};
pub use gate::{clear_json, clear_message, Cleared};
pub use guard::{accept, Accepted};

/// The answers to "secrets were found".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChoice {
    Redact,
    /// Pass `NAME=value` secrets as session secrets, redact the rest.
    Session,
    SendAnyway,
    Abort,
}

impl SecretChoice {
    /// The policy a person chose; `None` for abort.
    pub fn policy(self) -> Option<Policy> {
        match self {
            SecretChoice::Redact => Some(Policy::Redact),
            SecretChoice::Session => Some(Policy::Session),
            SecretChoice::SendAnyway => Some(Policy::Allow),
            SecretChoice::Abort => None,
        }
    }
}

/// How the pipeline talks to whoever started it. Only implementations in `ui/` touch a
/// terminal; the pipeline itself never prints or asks directly.
pub trait Interact {
    /// Whether questions can be answered (a person at a terminal).
    fn can_ask(&self) -> bool;
    /// Secrets were found and the policy is to ask (the findings are shown first).
    fn secrets(&mut self, headline: &str, findings: &[Finding]) -> Result<SecretChoice>;
    /// Secrets block the handoff: list them (masked) for people; JSON carries them in the
    /// error object instead.
    fn show_findings(&mut self, headline: &str, findings: &[Finding]);
    /// Shows what will be sent, then asks whether to send it. `Ok(false)` declines.
    fn confirm(&mut self, summary: &str) -> Result<bool>;
    /// Something the user should know (a warning).
    fn warn(&mut self, msg: &str);
    /// Something worth saying (a note).
    fn note(&mut self, msg: &str);
}

/// The texts that travel besides the repository's, after reading files and merging tags.
/// The guard scans them, and may redact them in place.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub task: String,
    pub context: Option<String>,
    /// `--title`, when given (otherwise the title is the task's first line).
    pub title: Option<String>,
    /// `handoff`, then the configured tags, then `--tag`s, without repeats.
    pub tags: Vec<String>,
    /// The structured-output schema (`--report`, `--report-schema`); it travels too.
    pub report: Option<serde_json::Value>,
}

/// Everything a handoff will send, decided and composed, before any network call.
pub struct Plan {
    pub state: Option<RepoState>,
    pub inputs: Inputs,
    /// The prompt and manifest, with placeholders where upload URLs will go.
    pub composed: Composed,
    pub request: CreateSessionRequest,
    /// The patch's size when it travels as an attachment.
    pub upload: Option<usize>,
    pub secrets: Option<SecretsReport>,
    /// Identifies this exact handoff (tree, base, patch, task), for duplicate detection.
    pub fingerprint: String,
    budget: usize,
    via: Via,
    /// The request's own fields (`--playbook`, `--repo`, …), for recomposing.
    fields: RequestFields,
}

/// The request's fields that come straight from the flags.
#[derive(Debug, Clone)]
struct RequestFields {
    repo: Option<String>,
    playbook: Option<String>,
    knowledge: Vec<String>,
    max_acu: Option<u64>,
    mode: Option<String>,
    user_id: Option<String>,
    report: Option<serde_json::Value>,
    session_secrets: Vec<crate::api::types::SessionSecret>,
    /// `--new`: no reuse of a running identical session, here or (v1) by the API.
    new: bool,
}

// Until the uploads happen, the prompt names where their URLs will go.
const PENDING_URL: &str = "(the uploaded patch's URL, assigned when sent)";
const PENDING_BUNDLE: &str = "(the uploaded bundle's URL, assigned when sent)";

/// Whether the state travels as git objects (the default), not as a patch: `--via
/// inline|attachment`, `--inline-budget` and the config's `inline_budget` ask for a patch.
fn wants_objects(req: &HandoffRequest, settings: &Settings) -> bool {
    req.via == Via::Auto && req.inline_budget.is_none() && settings.default_inline_budget.is_none()
}

/// The local state as a handoff with `req` carries it. By default everything travels as git
/// objects (the unpushed commits as they are, the work in progress as two commits); an
/// explicit `--via` asks for the patch carrier. Commits cannot be redacted without changing
/// their IDs: unpushed commits that hold a possible secret travel squashed into the work in
/// progress instead (still git objects, on top of the base), where the policy can act
/// (`--history` asked for commits: there the guard blocks, as it says).
fn capture(
    req: &HandoffRequest,
    settings: &Settings,
    ui: &mut dyn Interact,
) -> Result<Option<RepoState>> {
    let objects = wants_objects(req, settings);
    let by_default = !req.history && objects;
    let mut opts = CaptureOptions {
        include_untracked: !req.no_untracked,
        excludes: req.exclude.clone(),
        history: req.history || by_default,
        history_always: objects,
        ..CaptureOptions::default()
    };
    let state = git::capture(&req.dir, &opts)?;
    if by_default && guard::history_holds_secrets(state.as_ref())? {
        ui.note("the unpushed commits hold possible secrets: they travel squashed into the work in progress, where they can be redacted");
        opts.squash = true;
        return git::capture(&req.dir, &opts);
    }
    Ok(state)
}

/// Captures, guards and composes: everything short of sending. Asks (through `ui`) only
/// what the secret policy leaves to a person.
pub fn plan(req: &HandoffRequest, settings: &Settings, ui: &mut dyn Interact) -> Result<Plan> {
    validate(req)?;
    let mut inputs = read_inputs(req, settings, true)?;
    if !req.dry_run {
        // Fail before any work when sending is impossible.
        settings.require_key()?;
    }
    let mut state = capture(req, settings, ui)?;
    match &state {
        None => ui.note("not inside a git repository: handing off the task alone"),
        Some(s) => s.warnings.iter().for_each(|w| ui.warn(w)),
    }
    let guarded = guard::guard(req, settings, &mut inputs, state.as_mut(), ui)?;
    // The change set is final now (redacted where so decided): what the replay must give.
    if let Some(s) = state.as_mut() {
        if !(wants_objects(req, settings) && s.history.is_some()) {
            s.expected_tree = git::expected_tree(s);
        }
        // With the unpushed commits travelling as commits, the work in progress travels
        // with them, as two commits (index, working tree): no patch for the agent to copy.
        // An explicit `--via` keeps the patch carrier.
        if wants_objects(req, settings) && s.history.is_some() {
            let scanner = crate::scan::Scanner::new();
            // A staged version travels only when neither its content nor its name holds a
            // possible secret (a name the guard withheld is listed redacted, so the index
            // cannot be told it by name).
            let clean = |bytes: &[u8], path: &str| {
                let mut found = Vec::new();
                scanner.scan_bytes(bytes, path, crate::scan::Side::Added, &mut found);
                found.is_empty() && scanner.scan_path(path).is_empty()
            };
            let added = git::add_work_in_progress(s, &clean);
            // The names are shown, listed and put in the prompt: redacted like any other.
            if let Some(w) = s.history.as_mut().and_then(|h| h.work.as_mut()) {
                for p in &mut w.staging_dropped {
                    *p = crate::scan::redact::redact_text(&scanner, p, p).0;
                }
            }
            let dropped = s
                .history
                .as_ref()
                .and_then(|h| h.work.as_ref())
                .map_or(&[][..], |w| &w.staging_dropped[..]);
            for path in dropped {
                ui.warn(&format!(
                    "the staged version of {} holds a possible secret: it is not sent (the \
                     index commit holds the working tree's version there; the manifest lists \
                     it under history.work.staging_dropped)",
                    crate::ui::clean_line(path)
                ));
            }
            if let Err(e) = added {
                // Without a tip the bundle held only the work in progress: nothing is left
                // to travel in it.
                if s.history.as_ref().is_some_and(|h| h.tip.is_none()) {
                    s.history = None;
                }
                s.expected_tree = git::expected_tree(s);
                // The patch carrier still reproduces the state exactly.
                ui.warn(&format!(
                    "the work in progress travels as a patch ({})",
                    e.message()
                ));
            }
        }
    }
    let wip = state
        .as_ref()
        .and_then(|s| s.history.as_ref())
        .is_some_and(|h| h.work.is_some());
    let budget = req
        .inline_budget
        .or(settings.default_inline_budget)
        .unwrap_or(prompt::DEFAULT_INLINE_BUDGET);
    let patch_len = state.as_ref().map_or(0, |s| s.changes.patch_len());
    let upload = patch_len > 0
        && !wip
        && match req.via {
            Via::Attachment => true,
            Via::Inline => false,
            Via::Auto => patch_len > budget,
        };
    let fingerprint = deliver::fingerprint(state.as_ref(), &inputs.task);
    let report = inputs.report.clone();
    let mut plan = Plan {
        state,
        inputs,
        composed: Composed::default(),
        request: CreateSessionRequest::default(),
        upload: upload.then_some(patch_len),
        secrets: guarded.report,
        fingerprint,
        budget,
        via: req.via,
        fields: RequestFields {
            repo: req.repo.clone(),
            playbook: req.playbook.clone(),
            knowledge: req.knowledge.clone(),
            max_acu: req.max_acu,
            mode: req.mode.clone(),
            user_id: settings.user_id.clone(),
            report,
            session_secrets: guarded.session_secrets,
            new: req.new,
        },
    };
    let has_history = plan.state.as_ref().is_some_and(|s| s.history.is_some());
    (plan.composed, plan.request) = plan.compose(
        upload.then_some(PENDING_URL),
        has_history.then_some(PENDING_BUNDLE),
    );
    Ok(plan)
}

/// What a handoff from `req.dir` would be stopped for: `scan`'s front door. The same
/// capture, the same texts (task and context when given, title, tags, IDs, branch, upstream,
/// base summary, left-out paths), the same history and the same suppression files as
/// [`plan`]; nothing is asked, redacted or sent.
pub struct Scanned {
    /// What would stop the handoff, history included.
    pub findings: Vec<Finding>,
    /// What suppression files accepted (for `scan --write-baseline`, which lists all).
    pub accepted: Vec<Finding>,
}

/// Scans everything a handoff with `req` would send, as [`plan`] does, and stops there.
/// `None` outside a git repository.
pub fn guard_only(
    req: &HandoffRequest,
    settings: &Settings,
    ui: &mut dyn Interact,
) -> Result<Option<Scanned>> {
    validate(req)?;
    let inputs = read_inputs(req, settings, false)?;
    let Some(state) = capture(req, settings, ui)? else {
        return Ok(None);
    };
    state.warnings.iter().for_each(|w| ui.warn(w));
    let scanner = crate::scan::Scanner::new();
    let (mut findings, history, accepted) =
        guard::scan_handoff(&scanner, req, settings, &inputs, Some(&state), ui)?;
    findings.extend(history);
    Ok(Some(Scanned {
        findings,
        accepted: accepted.accepted.into_iter().map(|(f, _)| f).collect(),
    }))
}

impl Plan {
    /// The prompt and request, with the patch at `url` (an attachment) and the history
    /// bundle at `bundle`, or the patch inline.
    pub fn compose(
        &self,
        url: Option<&str>,
        bundle: Option<&str>,
    ) -> (Composed, CreateSessionRequest) {
        let delivery = match url {
            Some(u) => Delivery::Attachment(u),
            None if self.via == Via::Inline => Delivery::InlineCut(self.budget),
            None => Delivery::Inline,
        };
        let keys: Vec<String> = self
            .fields
            .session_secrets
            .iter()
            .map(|s| s.key.clone())
            .collect();
        let mut composed = prompt::compose(&Handoff {
            task: &self.inputs.task,
            context: self.inputs.context.as_deref(),
            state: self.state.as_ref(),
            delivery,
            bundle_url: bundle,
            secret_keys: &keys,
            redacted: self.secrets.as_ref().map_or(&[], |r| &r.redacted),
        });
        composed.manifest.secrets = self.secrets.clone();
        let mut req = self.request_for(&composed);
        let urls: Vec<String> = url.into_iter().chain(bundle).map(str::to_string).collect();
        req.attachment_urls = (!urls.is_empty()).then_some(urls);
        (composed, req)
    }

    /// The request body's fields for a composed prompt.
    fn request_for(&self, composed: &Composed) -> CreateSessionRequest {
        let f = &self.fields;
        let remote = self.state.as_ref().and_then(|s| s.remote.as_ref());
        CreateSessionRequest {
            prompt: composed.prompt.clone(),
            title: Some(
                self.inputs
                    .title
                    .clone()
                    .unwrap_or_else(|| prompt::default_title(&self.inputs.task)),
            ),
            tags: self.inputs.tags.clone(),
            playbook_id: f.playbook.clone(),
            knowledge_ids: (!f.knowledge.is_empty()).then(|| f.knowledge.clone()),
            // `--repo none` leaves the field out; without `--repo`, the remote names it.
            repos: match f.repo.as_deref() {
                Some("none") => None,
                Some(r) => Some(vec![r.to_string()]),
                None => remote.map(|r| vec![r.full_name()]),
            },
            attachment_urls: None,
            max_acu_limit: f.max_acu,
            devin_mode: f.mode.clone(),
            create_as_user_id: f.user_id.clone(),
            structured_output_schema: f.report.clone(),
            session_secrets: (!f.session_secrets.is_empty()).then(|| f.session_secrets.clone()),
            idempotent: Some(!f.new),
        }
    }

    /// Asks for the go-ahead where a person is there and has not given it with `--yes`:
    /// the summary of what will actually go (after any redaction), then the question.
    /// Declining sends nothing (exit 3).
    pub fn approve(&self, yes: bool, ui: &mut dyn Interact) -> Result<()> {
        if yes || !ui.can_ask() {
            return Ok(());
        }
        let summary = crate::ui::summary(&self.inputs.task, &self.composed.manifest);
        if ui.confirm(&summary)? {
            Ok(())
        } else {
            Err(Error::new(
                crate::error::ErrorKind::NotSent,
                "declined: nothing was sent",
            ))
        }
    }
}

/// The report schema asked for, checked: built in, or read from `--report-schema`.
fn report_schema(req: &HandoffRequest) -> Result<Option<serde_json::Value>> {
    if req.report {
        return Ok(Some(prompt::report::builtin()));
    }
    let Some(path) = &req.report_schema else {
        return Ok(None);
    };
    let text = read_text_source(path, "report schema")?;
    prompt::report::custom(&text, &path.display().to_string()).map(Some)
}

/// Checks the flags that can be checked before any work.
fn validate(req: &HandoffRequest) -> Result<()> {
    git::exclude_set(&req.exclude)?;
    if let Some(r) = req.repo.as_deref().filter(|r| *r != "none") {
        let ok = r.split('/').count() >= 2
            && r.split('/')
                .all(|s| !s.is_empty() && !s.chars().any(char::is_whitespace));
        if !ok {
            return Err(Error::usage(format!(
                "--repo must look like OWNER/NAME, not {r:?}"
            )));
        }
    }
    if let Some(m) = &req.mode {
        let name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if m.is_empty() || !m.chars().all(name) {
            return Err(Error::usage(format!(
                "--mode {m:?} is not a mode name (e.g. normal, fast)"
            )));
        }
    }
    Ok(())
}

/// The task, context and title from flags or files, and the tags merged with the config's.
fn read_inputs(req: &HandoffRequest, settings: &Settings, need_task: bool) -> Result<Inputs> {
    let stdin = |p: &Option<std::path::PathBuf>| p.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if stdin(&req.task_file) && stdin(&req.context_file) {
        return Err(Error::usage(
            "--task-file - and --context-file - cannot both read stdin",
        ));
    }
    let task = match (&req.task, &req.task_file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => read_text_source(f, "task")?,
        (None, None) => String::new(),
    };
    if need_task && task.trim().is_empty() {
        return Err(Error::usage("no task given: say what Devin should do")
            .hint("devin-handoff \"finish the refactor\" (or --task T, --task-file F|-)"));
    }
    let context = match (&req.context, &req.context_file) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(f)) => Some(read_text_source(f, "context")?),
        (None, None) => None,
    };
    let mut tags = vec!["handoff".to_string()];
    for t in settings.default_tags.iter().chain(&req.tags) {
        let t = t.trim();
        if !t.is_empty() && !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    Ok(Inputs {
        task,
        context,
        title: req.title.clone().filter(|t| !t.trim().is_empty()),
        tags,
        report: report_schema(req)?,
    })
}

/// Reads text given as a file path, or stdin for `-`. Refuses non-UTF-8 input.
pub fn read_text_source(path: &std::path::Path, what: &str) -> Result<String> {
    use std::io::Read;
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| Error::usage(format!("cannot read the {what} from stdin: {e}")))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the {what} file {}: {e}",
                path.display()
            ))
        })?
    };
    String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "the {what} in {} is not valid UTF-8",
            if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            }
        ))
    })
}
