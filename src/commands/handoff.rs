//! `create` (and the bare `devin-handoff TASK`): capture → compose → confirm → deliver.

use std::path::Path;

use crate::api::types::{CreateSessionRequest, Progress, Session};
use crate::api::Client;
use crate::cli::{CreateArgs, SecretsPolicy, Via};
use crate::config::{KeyFlavor, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, CaptureOptions, RepoState};
use crate::prompt::{self, Composed, Delivery, Handoff};
use crate::scan::{redact, Finding, Scanner, Scope};
use crate::{journal, ui};

use super::read_text_source;

/// Everything `create` needs, resolved from flags, files and the environment. These are the
/// texts that travel besides the repository's, so the guard scans (and may redact) them.
#[derive(Debug, Clone)]
struct Inputs {
    task: String,
    context: Option<String>,
    /// `--title`, when given (otherwise the title is the task's first line).
    title: Option<String>,
    /// `handoff`, then the configured tags, then `--tag`s, without repeats.
    tags: Vec<String>,
}

fn read_inputs(args: &CreateArgs) -> Result<Inputs> {
    let stdin_uses = [&args.task_file, &args.context_file]
        .iter()
        .filter(|p| p.as_deref().is_some_and(|p| p.as_os_str() == "-"))
        .count();
    if stdin_uses > 1 {
        return Err(Error::usage(
            "--task-file - and --context-file - cannot both read stdin",
        ));
    }
    let task = match (&args.task_arg, &args.task, &args.task_file) {
        (Some(t), _, _) | (None, Some(t), _) => t.clone(),
        (None, None, Some(f)) => read_text_source(f, "task")?,
        (None, None, None) => String::new(),
    };
    if task.trim().is_empty() {
        return Err(Error::usage("no task given: say what Devin should do")
            .hint("devin-handoff \"finish the refactor\" (or --task T, --task-file F|-)"));
    }
    let context = match (&args.context, &args.context_file) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(f)) => Some(read_text_source(f, "context")?),
        (None, None) => None,
    };
    Ok(Inputs {
        task,
        context,
        title: args.title.clone().filter(|t| !t.trim().is_empty()),
        tags: Vec::new(),
    })
}

fn merged_tags(args: &CreateArgs, settings: &Settings) -> Vec<String> {
    let mut tags = vec!["handoff".to_string()];
    for t in settings.default_tags.iter().chain(&args.tags) {
        let t = t.trim();
        if !t.is_empty() && !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    tags
}

/// Builds the request body fields from the flags and the composed prompt.
fn build_request(
    args: &CreateArgs,
    settings: &Settings,
    inputs: &Inputs,
    composed: &Composed,
    state: Option<&RepoState>,
) -> CreateSessionRequest {
    let repos = args
        .repo
        .clone()
        .or_else(|| state.and_then(|s| s.remote.as_ref()).map(|r| r.full_name()))
        .map(|r| vec![r]);
    CreateSessionRequest {
        prompt: composed.prompt.clone(),
        title: Some(
            inputs
                .title
                .clone()
                .unwrap_or_else(|| prompt::default_title(&inputs.task)),
        ),
        tags: inputs.tags.clone(),
        playbook_id: args.playbook.clone(),
        knowledge_ids: (!args.knowledge.is_empty()).then(|| args.knowledge.clone()),
        repos,
        attachment_urls: None,
        max_acu_limit: args.max_acu,
        devin_mode: args.mode.clone(),
        create_as_user_id: settings.user_id.clone(),
    }
}

fn validate(args: &CreateArgs) -> Result<()> {
    git::exclude_set(&args.exclude)?;
    if let Some(r) = &args.repo {
        let ok = r.split('/').count() >= 2
            && r.split('/')
                .all(|s| !s.is_empty() && !s.chars().any(char::is_whitespace));
        if !ok {
            return Err(Error::usage(format!(
                "--repo must look like OWNER/NAME, not {r:?}"
            )));
        }
    }
    if let Some(m) = &args.mode {
        if m.is_empty()
            || !m
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::usage(format!(
                "--mode {m:?} is not a mode name (e.g. normal, fast)"
            )));
        }
    }
    Ok(())
}

/// Runs `create` from the current directory.
pub async fn run(args: &CreateArgs, settings: &Settings) -> Result<()> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::other(format!("cannot read the current directory: {e}")))?;
    run_with(args, settings, &cwd).await
}

/// Runs `create` for the repository containing `dir` (the seam tests and hooks use).
pub async fn run_with(args: &CreateArgs, settings: &Settings, dir: &Path) -> Result<()> {
    match handoff(args, settings, dir).await? {
        Outcome::DryRun => Ok(()),
        Outcome::Created(c) => {
            let Created {
                mut client,
                session,
                composed,
                reused,
            } = *c;
            finish_created(args, settings, &mut client, &session, &composed, reused).await
        }
    }
}

/// What a handoff came to.
pub enum Outcome {
    /// A dry run, already printed.
    DryRun,
    /// A session, new or (for an identical handoff still running) reused.
    Created(Box<Created>),
}

/// A session handed off to, with what was sent.
pub struct Created {
    pub client: Client,
    pub session: Session,
    pub composed: Composed,
    pub reused: bool,
}

/// Captures, guards, composes and delivers; prints nothing but warnings and dry runs.
pub async fn handoff(args: &CreateArgs, settings: &Settings, dir: &Path) -> Result<Outcome> {
    validate(args)?;
    let mut inputs = read_inputs(args)?;
    inputs.tags = merged_tags(args, settings);
    if !args.dry_run {
        // Fail before any work when sending is impossible.
        settings.require_key()?;
    }
    let opts = CaptureOptions {
        include_untracked: !args.no_untracked,
        excludes: args.exclude.clone(),
        history: args.history,
        ..CaptureOptions::default()
    };
    let mut state = git::capture(dir, &opts)?;
    match &state {
        None => ui::note("not inside a git repository: handing off the task alone"),
        Some(s) => {
            for w in &s.warnings {
                ui::warn(w);
            }
        }
    }
    let guard = guard(args, settings, &mut inputs, state.as_mut())?;

    let budget = args
        .inline_budget
        .or(settings.default_inline_budget)
        .unwrap_or(prompt::DEFAULT_INLINE_BUDGET);
    let patch_len = state.as_ref().map_or(0, |s| s.changes.patch_len());
    let upload = patch_len > 0
        && match args.via {
            Via::Attachment => true,
            Via::Inline => false,
            Via::Auto => patch_len > budget,
        };
    let has_history = state.as_ref().is_some_and(|s| s.history.is_some());
    let compose =
        |url: Option<&str>, bundle: Option<&str>| -> Result<(Composed, CreateSessionRequest)> {
            let delivery = match url {
                Some(u) => Delivery::Attachment(u),
                None if args.via == Via::Inline => Delivery::InlineCut(budget),
                None => Delivery::Inline,
            };
            let mut composed = prompt::compose(&Handoff {
                task: &inputs.task,
                context: inputs.context.as_deref(),
                state: state.as_ref(),
                delivery,
                bundle_url: bundle,
            });
            composed.manifest.secrets = guard.report.clone();
            let mut req = build_request(args, settings, &inputs, &composed, state.as_ref());
            let urls: Vec<String> = url.into_iter().chain(bundle).map(str::to_string).collect();
            req.attachment_urls = (!urls.is_empty()).then_some(urls);
            Ok((composed, req))
        };
    // Until the uploads happen, the prompt names where their URLs will go.
    const PENDING_URL: &str = "(the uploaded patch's URL, assigned when sent)";
    const PENDING_BUNDLE: &str = "(the uploaded bundle's URL, assigned when sent)";
    let (composed, req) = compose(
        upload.then_some(PENDING_URL),
        has_history.then_some(PENDING_BUNDLE),
    )?;
    if settings.user_id.is_some()
        && settings
            .known_key()
            .is_some_and(|k| k.flavor() == KeyFlavor::V1)
    {
        ui::warn("--user-id and --mode apply to v3 keys only; the v1 route ignores them");
    }

    if args.dry_run {
        print_dry_run(settings, &req, &composed, upload.then_some(patch_len))?;
        return Ok(Outcome::DryRun);
    }

    if !args.yes && !guard.confirmed && ui::can_prompt(settings.json) {
        eprint!("{}", summary(&inputs, &composed));
        ui::confirm("Hand this off to Devin?", true)?;
    }
    let mut client = Client::new(settings)?;
    let fingerprint = handoff_fingerprint(state.as_ref(), &inputs.task);
    if !args.new {
        if let Some(existing) = running_duplicate(&mut client, &fingerprint).await {
            return Ok(Outcome::Created(Box::new(Created {
                client,
                session: existing,
                composed,
                reused: true,
            })));
        }
    }
    let bundle_url = match state.as_ref().and_then(|s| s.history.as_ref()) {
        Some(h) => {
            let bar = ui::upload_progress(h.bundle.len() as u64, settings.json);
            let data = bytes::Bytes::from(h.bundle.clone());
            Some(
                client
                    .upload(prompt::BUNDLE_NAME, data, bar.as_ref())
                    .await?,
            )
        }
        None => None,
    };
    let (composed, req) = match (&state, upload) {
        (Some(s), true) => {
            let bar = ui::upload_progress(patch_len as u64, settings.json);
            let url = client
                .upload(
                    prompt::PATCH_NAME,
                    bytes::Bytes::from(s.changes.patch()),
                    bar.as_ref(),
                )
                .await?;
            compose(Some(&url), bundle_url.as_deref())?
        }
        _ if bundle_url.is_some() => compose(None, bundle_url.as_deref())?,
        _ => (composed, req),
    };
    let session = client.create_session(&req).await?;
    let record = journal::Record {
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        workdir: state
            .as_ref()
            .map(|s| s.workdir.to_string_lossy().into_owned()),
        repo: state
            .as_ref()
            .and_then(|s| s.remote.as_ref())
            .map(|r| r.full_name()),
        branch: state.as_ref().map(|s| s.head.label()),
        base: state.as_ref().and_then(|s| s.base.commit.clone()),
        head: state
            .as_ref()
            .and_then(|s| s.head.commit().map(str::to_string)),
        fingerprint,
        task: prompt::default_title(&inputs.task),
        session_id: session.session_id.clone(),
        url: session.web_url(),
    };
    if let Err(e) = journal::append(&record) {
        ui::warn(&format!(
            "could not record the handoff in the local journal: {e}"
        ));
    }
    Ok(Outcome::Created(Box::new(Created {
        client,
        session,
        composed,
        reused: false,
    })))
}

/// Identifies a handoff: the same working tree, base, patch and task.
fn handoff_fingerprint(state: Option<&RepoState>, task: &str) -> String {
    let workdir = state
        .map(|s| s.workdir.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = state
        .and_then(|s| s.base.commit.clone())
        .unwrap_or_default();
    // Hash the files' patches in place: joining a multi-megabyte patch just to hash it is waste.
    let patches = state
        .into_iter()
        .flat_map(|s| s.changes.files.iter().map(|f| f.patch.as_bytes()));
    let parts = [workdir.as_bytes(), base.as_bytes()]
        .into_iter()
        .chain(patches)
        .chain([task.as_bytes()]);
    format!("{:016x}", journal::stable_hash(parts))
}

/// The session of an identical earlier handoff that is still running, if any. Agents retry
/// their hooks; a retry must not start a second session.
async fn running_duplicate(client: &mut Client, fingerprint: &str) -> Option<Session> {
    let record = journal::read()
        .into_iter()
        .rev()
        .find(|r| r.fingerprint == fingerprint)?;
    let session = client.get_session(&record.session_id).await.ok()?;
    let running = matches!(session.progress(), Progress::Working | Progress::NeedsInput);
    (running && !session.is_archived).then_some(session)
}

/// Reports the session, then opens it and waits for it as asked.
async fn finish_created(
    args: &CreateArgs,
    settings: &Settings,
    client: &mut Client,
    session: &Session,
    composed: &Composed,
    reused: bool,
) -> Result<()> {
    if reused {
        ui::note(&format!(
            "an identical handoff is still running as {}; not creating another (--new forces one)",
            session.session_id
        ));
    }
    print_created(settings, session, composed, reused)?;
    if args.open {
        if let Err(e) = opener::open_browser(session.web_url()) {
            ui::warn(&format!("could not open the browser: {e}"));
        }
    }
    if args.wait {
        let watch = crate::cli::WatchArgs {
            id: session.session_id.clone(),
            interval: args.interval,
            wait_timeout: None,
        };
        super::sessions::watch(client, settings, &watch).await?;
    }
    Ok(())
}

fn print_dry_run(
    settings: &Settings,
    req: &CreateSessionRequest,
    composed: &Composed,
    upload: Option<usize>,
) -> Result<()> {
    let flavor = settings.known_key().map_or(KeyFlavor::V3, |k| k.flavor());
    let route = Client::create_route(flavor, settings.org_id.as_deref());
    let body = Client::create_body(flavor, req)?;
    let upload_route = Client::upload_route(flavor, settings.org_id.as_deref());
    if settings.json {
        let mut v = serde_json::json!({
            "dry_run": true,
            "route": route,
            "request": body,
            "manifest": composed.manifest,
        });
        if let (Some(bytes), Some(obj)) = (upload, v.as_object_mut()) {
            obj.insert(
                "upload".into(),
                serde_json::json!({"route": upload_route, "name": prompt::PATCH_NAME, "bytes": bytes}),
            );
        }
        return ui::print_json(&v);
    }
    if let Some(bytes) = upload {
        ui::note(&format!(
            "dry run: the {bytes} byte patch would be uploaded first ({upload_route})"
        ));
    }
    ui::note(&format!(
        "dry run: nothing was sent. The prompt below ({} bytes) would go to {route}.",
        composed.prompt.len()
    ));
    ui::print_stdout(&composed.prompt)
}

fn print_created(
    settings: &Settings,
    session: &Session,
    composed: &Composed,
    reused: bool,
) -> Result<()> {
    let url = session.web_url();
    if settings.json {
        let mut v = serde_json::json!({
            "session_id": session.session_id,
            "url": url,
            "status": session.status,
            "reused": reused,
            "manifest": composed.manifest,
        });
        if let (Some(new), Some(obj)) = (session.is_new_session, v.as_object_mut()) {
            obj.insert("is_new_session".into(), new.into());
        }
        return ui::print_json(&v);
    }
    if !reused {
        eprintln!(
            "{} Created Devin session {}",
            console::style("✓").green(),
            session.session_id
        );
    }
    ui::print_stdout(&format!("{url}\n"))
}

/// What the secret guard decided.
struct Guarded {
    report: Option<prompt::SecretsReport>,
    /// The user already chose to send (at the secrets prompt): no second question.
    confirmed: bool,
}

/// The texts of a handoff besides the patch, each with the label its findings carry: the
/// request's own fields and what the prompt says of the repository.
fn metadata(
    args: &CreateArgs,
    inputs: &Inputs,
    state: Option<&RepoState>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    out.push(("<task>".into(), inputs.task.clone()));
    if let Some(c) = &inputs.context {
        out.push(("<context>".into(), c.clone()));
    }
    if let Some(t) = &inputs.title {
        out.push(("<title>".into(), t.clone()));
    }
    for t in &inputs.tags {
        out.push(("<tag>".into(), t.clone()));
    }
    let ids = [
        ("<playbook>", args.playbook.as_deref()),
        ("<repo>", args.repo.as_deref()),
        ("<mode>", args.mode.as_deref()),
    ];
    for (label, v) in ids {
        if let Some(v) = v {
            out.push((label.into(), v.to_string()));
        }
    }
    for k in &args.knowledge {
        out.push(("<knowledge>".into(), k.clone()));
    }
    if let Some(s) = state {
        if let git::Head::Branch { name, .. } | git::Head::Unborn { name } = &s.head {
            out.push(("<branch>".into(), name.clone()));
        }
        if !s.base.on_remote {
            if let Some(up) = &s.upstream {
                out.push(("<upstream>".into(), up.name.clone()));
            }
            if let Some(summary) = &s.base.summary {
                out.push(("<base commit>".into(), summary.clone()));
            }
        }
        for l in &s.changes.left_out {
            out.push(("<left-out path>".into(), l.path.clone()));
        }
    }
    out
}

/// Redacts the handoff's own texts in place; returns how many secrets were replaced, or an
/// error for texts that cannot be redacted (IDs).
fn redact_metadata(
    scanner: &Scanner,
    inputs: &mut Inputs,
    state: Option<&mut RepoState>,
    findings: &[Finding],
) -> Result<usize> {
    if let Some(f) = findings.iter().find(|f| {
        matches!(
            f.path.as_str(),
            "<playbook>" | "<repo>" | "<mode>" | "<knowledge>"
        )
    }) {
        return Err(Error::new(
            ErrorKind::NotSent,
            format!(
                "{} holds a possible secret ({}): nothing was sent",
                f.path, f.rule
            ),
        ));
    }
    let mut n = 0;
    let mut fix = |text: &mut String, label: &str| {
        let (t, k) = redact::redact_text(scanner, text, label);
        *text = t;
        n += k;
    };
    fix(&mut inputs.task, "<task>");
    if let Some(c) = &mut inputs.context {
        fix(c, "<context>");
    }
    if let Some(t) = &mut inputs.title {
        fix(t, "<title>");
    }
    for t in &mut inputs.tags {
        fix(t, "<tag>");
    }
    if let Some(s) = state {
        if let git::Head::Branch { name, .. } | git::Head::Unborn { name } = &mut s.head {
            fix(name, "<branch>");
        }
        if let Some(up) = &mut s.upstream {
            fix(&mut up.name, "<upstream>");
        }
        if let Some(summary) = &mut s.base.summary {
            fix(summary, "<base commit>");
        }
        for l in &mut s.changes.left_out {
            fix(&mut l.path, "<left-out path>");
        }
    }
    Ok(n)
}

/// Scans everything that would leave the machine and applies the policy: block (exit 3),
/// ask, redact in place, or allow with a warning.
///
/// What is scanned: the request's texts (task, context, title, tags, IDs), the branch, and
/// every file's patch: added lines always, and removed and context lines, old names and old
/// binary content too when the base is not on a remote (see [`crate::scan::Scope`]).
fn guard(
    args: &CreateArgs,
    settings: &Settings,
    inputs: &mut Inputs,
    mut state: Option<&mut RepoState>,
) -> Result<Guarded> {
    let scanner = Scanner::new();
    let mut findings: Vec<Finding> = Vec::new();
    for (label, text) in metadata(args, inputs, state.as_deref()) {
        findings.extend(scanner.scan_text(&text, &label));
    }
    let blobs = state.as_deref().map(|s| git::Blobs::open(&s.workdir));
    let get = |id: &str| blobs.as_ref().and_then(|b| b.get(id));
    let scope = Scope {
        old_side: state.as_deref().is_some_and(|s| !s.base.on_remote),
        blobs: Some(&get),
    };
    if let Some(s) = state.as_deref() {
        for f in &s.changes.files {
            findings.extend(scanner.scan_file_patch(&f.patch, scope));
        }
    }
    // With `--history` every commit travels: its message, and its own change.
    let mut history_findings = 0;
    if let Some((s, h)) = state
        .as_deref()
        .and_then(|s| s.history.as_ref().map(|h| (s, h)))
    {
        let before = findings.len();
        for c in &h.commits {
            let label = format!("<commit {}>", c.id.get(..12).unwrap_or(&c.id));
            findings.extend(scanner.scan_text(&c.message, &label));
            findings.extend(scanner.scan_text(&c.author, &label));
        }
        let ids: Vec<String> = h.commits.iter().map(|c| c.id.clone()).collect();
        for patch in git::commit_patches(&s.workdir, &ids)? {
            findings.extend(scanner.scan_file_patch(&patch, scope));
        }
        history_findings = findings.len() - before;
    }
    if findings.is_empty() {
        return Ok(Guarded {
            report: None,
            confirmed: false,
        });
    }
    let interactive = ui::can_prompt(settings.json);
    let policy = match args.secrets.or(settings.default_secrets) {
        Some(SecretsPolicy::Ask) | None if interactive => SecretsPolicy::Ask,
        Some(SecretsPolicy::Ask) | None => SecretsPolicy::Block,
        Some(p) => p,
    };
    let files: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.path.as_str()).collect();
    let headline = format!(
        "{} possible secret{} in {}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        files.into_iter().collect::<Vec<_>>().join(", ")
    );
    let mut confirmed = false;
    let policy = if policy == SecretsPolicy::Ask {
        eprintln!("{headline}:");
        ui::print_findings(&findings);
        confirmed = true;
        match ui::choose_secret_action()? {
            ui::SecretChoice::Redact => SecretsPolicy::Redact,
            ui::SecretChoice::SendAnyway => SecretsPolicy::Allow,
            ui::SecretChoice::Abort => {
                return Err(Error::new(ErrorKind::NotSent, "aborted: nothing was sent"))
            }
        }
    } else {
        policy
    };
    let mut report = prompt::SecretsReport {
        policy: match policy {
            SecretsPolicy::Redact => "redact",
            SecretsPolicy::Allow => "allow",
            _ => "block",
        },
        findings: findings.clone(),
        withheld: Vec::new(),
        redacted: Vec::new(),
    };
    match policy {
        SecretsPolicy::Block | SecretsPolicy::Ask => {
            if !settings.json {
                eprintln!("{headline}:");
                ui::print_findings(&findings);
            }
            Err(Error::new(ErrorKind::NotSent, format!("{headline}: nothing was sent"))
                .hint("remove them, mark false alarms with a `handoff:allow` comment, or list paths in .handoffignore")
                .hint("--secrets redact sends the change with each secret replaced and sensitive files withheld")
                .with_detail("findings", serde_json::to_value(&findings).unwrap_or_default()))
        }
        SecretsPolicy::Allow => {
            ui::warn(&format!(
                "{headline}: sending them as they are (--secrets allow)"
            ));
            Ok(Guarded {
                report: Some(report),
                confirmed,
            })
        }
        SecretsPolicy::Redact if history_findings > 0 => Err(Error::new(
            ErrorKind::NotSent,
            format!("{headline}: the unpushed commits hold secrets, and redacting them would change their IDs: nothing was sent"),
        )
        .hint("send without --history (the patch can be redacted), or rewrite the commits first")
        .with_detail("findings", serde_json::to_value(&findings).unwrap_or_default())),
        SecretsPolicy::Redact => {
            let mut redacted = redact_metadata(&scanner, inputs, state.as_deref_mut(), &findings)?;
            if let Some(s) = state {
                let r = redact::redact_changes(&scanner, &mut s.changes, scope);
                redacted += r.redacted.iter().map(|f| f.secrets).sum::<usize>();
                report.withheld = r.withheld;
                report.redacted = r.redacted;
            }
            ui::warn(&format!(
                "{headline}: {redacted} redacted, {} file{} withheld (--secrets redact)",
                report.withheld.len(),
                if report.withheld.len() == 1 { "" } else { "s" }
            ));
            Ok(Guarded {
                report: Some(report),
                confirmed,
            })
        }
    }
}

/// The short summary shown before confirming: repo, branch, base, files, size, left out.
fn summary(inputs: &Inputs, composed: &Composed) -> String {
    use std::fmt::Write as _;
    let m = &composed.manifest;
    let mut s = String::from("About to hand off:\n");
    let _ = writeln!(s, "  task        {}", prompt::default_title(&inputs.task));
    if !m.in_repository {
        s.push_str("  repository  none (the task alone)\n");
        return s;
    }
    let repo = m
        .repository
        .as_ref()
        .map_or("(no hosted remote)".to_string(), |r| {
            format!("{}/{}", r.host, r.full_name)
        });
    let _ = writeln!(s, "  repository  {repo}");
    if let Some(h) = &m.head {
        let _ = writeln!(s, "  branch      {}", h.label());
    }
    if let Some(b) = &m.base {
        let _ = writeln!(
            s,
            "  base        {}",
            b.commit.as_deref().map_or("none (empty tree)", git_short)
        );
    }
    let _ = writeln!(
        s,
        "  changes     {} files, +{} -{}, {} patch{}",
        m.files.len(),
        m.additions,
        m.deletions,
        human_bytes(m.patch_bytes),
        if m.unpushed_commits > 0 {
            format!(", {} unpushed commits", m.unpushed_commits)
        } else {
            String::new()
        }
    );
    if !m.left_out.is_empty() {
        let _ = writeln!(s, "  left out    {} paths:", m.left_out.len());
        for l in m.left_out.iter().take(5) {
            let _ = writeln!(s, "                {} ({})", l.path, l.reason);
        }
        if m.left_out.len() > 5 {
            let _ = writeln!(s, "                … and {} more", m.left_out.len() - 5);
        }
    }
    s
}

fn git_short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

pub(crate) fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}
