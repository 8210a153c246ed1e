//! `sessions …`, `poll` and `archive`: follow, talk to, collect from and end sessions.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::api::types::{Progress, Session};
use crate::api::{session_id, Client, SessionFilter};
use crate::cli::{PollArgs, SecretsPolicy, SessionsCmd, WatchArgs};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline;
use crate::settings::Settings;
use crate::{git, journal, ui};

use crate::pipeline::read_text_source;

pub async fn run(cmd: &SessionsCmd, settings: &Settings) -> Result<()> {
    match cmd {
        SessionsCmd::List {
            tags,
            repo,
            mine,
            status,
            limit,
        } => {
            let limit = *limit as usize;
            list(
                settings,
                tags,
                repo.as_deref(),
                *mine,
                status.as_deref(),
                limit,
            )
            .await
        }
        SessionsCmd::Pull { id, here, path } => {
            super::pull::run(settings, id, *here, path.as_deref()).await
        }
        SessionsCmd::Show { id } => show(settings, id.as_deref()).await,
        SessionsCmd::Watch(w) => {
            let mut client = settings.client()?;
            watch(&mut client, settings, &Watch::from(w))
                .await
                .map(|_| ())
        }
        SessionsCmd::Messages(a) => messages(settings, &a.id).await,
        SessionsCmd::Send {
            id,
            message,
            file,
            secrets,
        } => send(settings, id, message.as_deref(), file.as_deref(), *secrets).await,
        SessionsCmd::Attachments {
            id,
            download,
            max_size,
        } => attachments(settings, id, download.as_deref(), *max_size as u64).await,
        SessionsCmd::Archive(a) => archive(settings, &a.id).await,
        SessionsCmd::Terminate { id, yes } => terminate(settings, id, *yes).await,
    }
}

/// `poll ID [--archive]`: the shell plugin's verb, `watch` then optionally archive.
pub async fn poll(args: &PollArgs, settings: &Settings) -> Result<()> {
    let mut client = settings.client()?;
    let outcome = watch(&mut client, settings, &Watch::from(&args.watch)).await;
    if args.archive {
        let id = session_id(&args.watch.id)?;
        // Archive whatever the outcome (the plugin does), then report the outcome.
        client.archive_session(&id).await?;
        settings.out.note(&format!("archived {id}"));
    }
    outcome.map(|_| ())
}

/// The status as people read it: what the session is doing, not the API's pair of raw values
/// (`running (finished)` is finished, `exit` is finished too). JSON keeps the raw fields.
fn describe(s: &Session) -> String {
    use crate::api::types::Progress;
    let detail = s.status_detail.as_deref();
    let text = match s.progress() {
        Progress::Finished => "finished".to_string(),
        Progress::Failed => "failed".to_string(),
        Progress::NeedsInput if detail == Some("waiting_for_approval") => {
            "waiting for approval".to_string()
        }
        Progress::NeedsInput => "waiting for you".to_string(),
        Progress::Suspended => match detail {
            Some(d) => format!("suspended ({})", d.replace('_', " ")),
            None => "suspended".to_string(),
        },
        Progress::Working => match s.status.as_deref() {
            Some("new" | "claimed") => "starting".to_string(),
            Some("resuming") => "resuming".to_string(),
            Some("running") | None => "working".to_string(),
            // A status this version does not know: shown as the API says it.
            Some(other) => other.to_string(),
        },
    };
    ui::clean_line(&text)
}

/// What `watch` follows, and for how long.
#[derive(Debug, Clone)]
pub struct Watch {
    pub id: String,
    /// Seconds between checks (default: the config's `watch_interval`, else 15).
    pub interval: Option<f64>,
    /// Give up after this many seconds (exit 7).
    pub wait_timeout: Option<f64>,
}

impl From<&WatchArgs> for Watch {
    fn from(a: &WatchArgs) -> Watch {
        Watch {
            id: a.id.clone(),
            interval: a.interval,
            wait_timeout: a.wait_timeout,
        }
    }
}

/// Seconds between checks: not so often that it floods the API, not so seldom that it
/// overflows a timer.
pub const MIN_INTERVAL: f64 = 1.0;
pub const MAX_INTERVAL: f64 = 3600.0;
/// The longest wait: 30 days.
const MAX_WAIT: f64 = 30.0 * 86_400.0;

/// The interval and deadline of a watch, checked.
fn watch_times(settings: &Settings, args: &Watch) -> Result<(Duration, Option<Instant>)> {
    let interval = args.interval.or(settings.watch_interval).unwrap_or(15.0);
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(Error::usage(format!(
            "--interval must be between {MIN_INTERVAL} and {MAX_INTERVAL} seconds, not {interval}"
        )));
    }
    let deadline = match args.wait_timeout {
        Some(t) if t > 0.0 && t <= MAX_WAIT => Some(Instant::now() + Duration::from_secs_f64(t)),
        Some(t) => {
            return Err(Error::usage(format!(
            "--wait-timeout must be more than 0 and at most {MAX_WAIT} seconds (30 days), not {t}"
        )))
        }
        None => None,
    };
    Ok((Duration::from_secs_f64(interval), deadline))
}

/// Follows a session until it is done: new messages and status changes as they come.
/// Exit codes: 0 finished or waiting for input, 6 error or suspended, 7 timeout.
pub async fn watch(client: &mut Client, settings: &Settings, args: &Watch) -> Result<Session> {
    let id = session_id(&args.id)?;
    let (interval, deadline) = watch_times(settings, args)?;
    let spinner = settings.out.spinner();
    if let Some(s) = &spinner {
        s.set_message(format!("{id}: checking"));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut last_status = String::new();
    loop {
        let session = match client.get_session(&id).await {
            Ok(s) => s,
            // A blip in the API does not end a watch; a wrong ID, key or org does.
            Err(e) if e.kind() == ErrorKind::Api && e.status() != Some(404) => {
                ui::warn(&format!("{} (still watching)", e.message()));
                sleep_or_timeout(deadline, interval, &id).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let status = describe(&session);
        if status != last_status {
            let event = serde_json::json!({"event": "status", "session_id": id, "status": session.status, "status_detail": session.status_detail});
            settings.out.event(&event, || {
                match &spinner {
                    Some(s) => s.set_message(format!("{id}: {status}")),
                    None => eprintln!("{id}: {status}"),
                }
                Ok(())
            })?;
            last_status = status;
        }
        match client.messages_from(&id, cursor.clone()).await {
            Ok((msgs, at)) => {
                cursor = at;
                let new = msgs.iter().filter(|m| seen.insert(m.event_id.clone()));
                for m in new {
                    print_message(settings, &id, m, spinner.as_ref())?;
                }
            }
            Err(e) if e.kind() == ErrorKind::Api => {
                ui::warn(&format!("{} (still watching)", e.message()))
            }
            Err(e) => return Err(e),
        }
        let progress = session.progress();
        if progress != Progress::Working {
            if let Some(s) = &spinner {
                s.finish_and_clear();
            }
            return finish(settings, &id, session, progress);
        }
        sleep_or_timeout(deadline, interval, &id).await?;
    }
}

/// One new message of a watched session: an NDJSON event, or a line for people.
fn print_message(
    settings: &Settings,
    id: &str,
    m: &crate::api::types::Message,
    spinner: Option<&indicatif::ProgressBar>,
) -> Result<()> {
    let event = serde_json::json!({"event": "message", "session_id": id, "source": m.source, "message": m.message, "created_at": m.created_at});
    settings.out.event(&event, || {
        let who = ui::clean_line(m.source.as_deref().unwrap_or("devin"));
        let text = format!("{who}: {}\n", ui::clean(&m.message));
        match spinner {
            Some(s) => s.suspend(|| ui::print_stdout(&text)),
            None => ui::print_stdout(&text),
        }
    })
}

async fn sleep_or_timeout(deadline: Option<Instant>, interval: Duration, id: &str) -> Result<()> {
    let now = Instant::now();
    if let Some(d) = deadline {
        if now >= d {
            return Err(Error::new(
                ErrorKind::WaitTimeout,
                format!("gave up waiting for {id}: it is still running"),
            )
            .hint(format!(
                "watch it again later with `devin-handoff sessions watch {id}`"
            )));
        }
        tokio::time::sleep(interval.min(d - now)).await;
    } else {
        tokio::time::sleep(interval).await;
    }
    Ok(())
}

fn finish(settings: &Settings, id: &str, session: Session, progress: Progress) -> Result<Session> {
    let pr = session.pr_url().map(str::to_string);
    let url = session.web_url();
    let outcome = match progress {
        Progress::Finished => "finished",
        Progress::NeedsInput => "needs_input",
        Progress::Failed => "error",
        Progress::Suspended => "suspended",
        Progress::Working => "working",
    };
    let report = session.structured_output.clone();
    let event = serde_json::json!({"event": "done", "session_id": id, "outcome": outcome, "status": session.status, "status_detail": session.status_detail, "pr_url": pr, "url": url, "structured_output": report});
    settings.out.event(&event, || {
        match progress {
            Progress::NeedsInput => eprintln!("{id} is waiting for your input: {url}"),
            Progress::Finished => eprintln!("{id} finished: {url}"),
            _ => {}
        }
        // The report goes to stderr with the rest of the story; stdout keeps the PR URL.
        if let Some(r) = &report {
            ui::say(&format!("report:\n{}", report_text(r)));
        }
        match &pr {
            Some(pr) => ui::print_stdout(&format!("{}\n", ui::clean_line(pr))),
            None => Ok(()),
        }
    })?;
    match progress {
        Progress::Failed => Err(Error::new(
            ErrorKind::SessionFailed,
            format!("session {id} ended in error"),
        )
        .hint(format!("see {url}"))),
        Progress::Suspended => Err(Error::new(
            ErrorKind::SessionFailed,
            format!(
                "session {id} was suspended: {}",
                session
                    .status_detail
                    .as_deref()
                    .unwrap_or("no reason given")
            ),
        )
        .hint("send it a message to resume it: devin-handoff sessions send ID \"…\"")),
        _ => Ok(session),
    }
}

async fn list(
    settings: &Settings,
    tags: &[String],
    repo: Option<&str>,
    mine: bool,
    status: Option<&str>,
    limit: usize,
) -> Result<()> {
    let mut client = settings.client()?;
    let mut filter = SessionFilter {
        tags: tags.to_vec(),
        repos: repo.map(|r| vec![r.to_string()]).unwrap_or_default(),
        ..SessionFilter::default()
    };
    let mut lost = Vec::new();
    if mine {
        let cwd = std::env::current_dir().map_err(|e| Error::other(e.to_string()))?;
        let (workdir, _) = git::locate(&cwd)?
            .ok_or_else(|| Error::usage("--mine needs to run inside a git repository"))?;
        let wd = workdir.to_string_lossy().into_owned();
        let (known, unknown): (Vec<_>, Vec<_>) = journal::read()
            .into_iter()
            .filter(|r| r.workdir.as_deref() == Some(wd.as_str()))
            .partition(journal::Record::is_known);
        filter.session_ids = known.into_iter().map(|r| r.session_id).collect();
        lost = lost_sessions(&mut client, &unknown).await?;
        if filter.session_ids.is_empty() {
            return print_sessions(settings, &lost);
        }
    }
    // The API has no status filter: filter here, reading pages until enough match.
    let fetch = if status.is_some() { None } else { Some(limit) };
    let mut sessions = client.list_sessions(&filter, fetch).await?;
    for s in lost {
        if !sessions.iter().any(|x| x.session_id == s.session_id) {
            sessions.push(s);
        }
    }
    if let Some(st) = status {
        sessions.retain(|s| s.status.as_deref() == Some(st));
    }
    sessions.truncate(limit);
    print_sessions(settings, &sessions)
}

/// Sessions a create whose answer was lost may have made: among the 100 most recent handoff
/// sessions, those with the attempt's title. The journal cannot name them, so they are
/// found; an earlier session with the same title may show too, which is the safe side.
async fn lost_sessions(client: &mut Client, unknown: &[journal::Record]) -> Result<Vec<Session>> {
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let filter = SessionFilter {
        tags: vec!["handoff".into()],
        ..SessionFilter::default()
    };
    let recent = client.list_sessions(&filter, Some(100)).await?;
    Ok(recent
        .into_iter()
        .filter(|s| {
            unknown
                .iter()
                .any(|r| s.title.as_deref() == Some(r.task.as_str()))
        })
        .collect())
}

fn print_sessions(settings: &Settings, sessions: &[Session]) -> Result<()> {
    use ui::table::{ago, now, status_tone, Table, Tone};
    settings.out.result(sessions, || {
        if sessions.is_empty() {
            eprintln!("no sessions");
            return Ok(());
        }
        let mut t = Table::new(&["id", "status", "title", "pr", "updated"])
            .piped_columns(4)
            .whole(&[0, 1, 4]);
        let now = now();
        // Into a pipe the status stays the API's word: scripts match on it (the TSV contract).
        let people = std::io::IsTerminal::is_terminal(&std::io::stdout());
        for s in sessions {
            let status = if people {
                describe(s)
            } else {
                ui::clean_line(s.status.as_deref().unwrap_or("unknown"))
            };
            let tone = status_tone(&status);
            t.row(vec![
                (s.session_id.clone(), Tone::Plain),
                (status, tone),
                (s.title.clone().unwrap_or_else(|| "-".into()), Tone::Plain),
                (s.pr_url().unwrap_or("-").to_string(), Tone::Dim),
                (ago(s.updated_at.or(s.created_at), now), Tone::Dim),
            ]);
        }
        t.print()
    })
}

/// The last session handed off from this repository's current branch.
fn last_from_here() -> Result<String> {
    let cwd = std::env::current_dir().map_err(|e| Error::other(e.to_string()))?;
    let (workdir, head) = git::locate(&cwd)?.ok_or_else(|| {
        Error::usage("no session ID given, and not inside a git repository")
            .hint("give a session ID or URL")
    })?;
    let wd = workdir.to_string_lossy().into_owned();
    let branch = head.label();
    journal::read()
        .into_iter()
        .rev()
        .find(|r| {
            r.is_known()
                && r.workdir.as_deref() == Some(wd.as_str())
                && r.branch.as_deref() == Some(branch.as_str())
        })
        .map(|r| r.session_id)
        .ok_or_else(|| {
            Error::usage(format!("no handoff from {branch} here yet"))
                .hint("give a session ID or URL")
        })
}

async fn show(settings: &Settings, id: Option<&str>) -> Result<()> {
    let id = match id {
        Some(i) => session_id(i)?,
        None => last_from_here()?,
    };
    let mut client = settings.client()?;
    let s = client.get_session(&id).await?;
    settings.out.result(&s, || ui::print_stdout(&show_text(&s)))
}

/// A session as people read it: one field a line.
fn show_text(s: &Session) -> String {
    let mut out = format!("{}  {}\n", ui::clean_line(&s.session_id), describe(s));
    if let Some(t) = &s.title {
        out.push_str(&format!("title    {}\n", ui::clean_line(t)));
    }
    for pr in &s.pull_requests {
        out.push_str(&format!(
            "pr       {} ({})\n",
            ui::clean_line(&pr.pr_url),
            ui::clean_line(pr.pr_state.as_deref().unwrap_or("unknown"))
        ));
    }
    if let Some(a) = s.acus_consumed {
        out.push_str(&format!("acus     {a}\n"));
    }
    if s.is_archived {
        out.push_str("archived yes\n");
    }
    out.push_str(&format!("url      {}\n", s.web_url()));
    if let Some(r) = &s.structured_output {
        out.push_str(&format!("report\n{}\n", report_text(r)));
    }
    out
}

/// A structured report for people: indented JSON, cleaned of control characters.
fn report_text(r: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(r).unwrap_or_default();
    let indented: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
    ui::clean(&indented.join("\n")).into_owned()
}

async fn messages(settings: &Settings, id: &str) -> Result<()> {
    let id = session_id(id)?;
    let mut client = settings.client()?;
    let msgs = client.list_messages(&id).await?;
    settings.out.result(&msgs, || {
        let mut out = String::new();
        for m in &msgs {
            out.push_str(&format!(
                "{}: {}\n",
                ui::clean_line(m.source.as_deref().unwrap_or("devin")),
                ui::clean(&m.message)
            ));
        }
        let _paging = settings.out.page();
        ui::print_stdout(&out)
    })
}

async fn send(
    settings: &Settings,
    id: &str,
    message: Option<&str>,
    file: Option<&Path>,
    policy: Option<SecretsPolicy>,
) -> Result<()> {
    let id = session_id(id)?;
    let text = match (message, file) {
        (Some(m), _) => m.to_string(),
        (None, Some(f)) => read_text_source(f, "message")?,
        (None, None) => {
            return Err(Error::usage("no message given")
                .hint("devin-handoff sessions send ID \"message\" (or --file F|-)"))
        }
    };
    if text.trim().is_empty() {
        return Err(Error::usage("the message is empty"));
    }
    let mut ui = ui::prompt::interaction(settings.out);
    let body = pipeline::clear_message(&text, policy.map(Into::into), settings, ui.as_mut())?;
    let mut client = settings.client()?;
    let s = client.send_message(&id, &body).await?;
    let status = s.and_then(|s| s.status);
    let v = serde_json::json!({"session_id": id, "sent": true, "status": status});
    settings.out.result(&v, || {
        eprintln!("sent to {id}");
        Ok(())
    })
}

async fn archive(settings: &Settings, id: &str) -> Result<()> {
    let id = session_id(id)?;
    let mut client = settings.client()?;
    let s = client.archive_session(&id).await?;
    settings.out.result(&s, || {
        eprintln!("archived {id}");
        Ok(())
    })
}

async fn terminate(settings: &Settings, id: &str, yes: bool) -> Result<()> {
    let id = session_id(id)?;
    ui::prompt::confirm_destructive(
        settings.out,
        yes,
        &format!("Terminate {id}? A terminated session cannot be resumed."),
        "terminated",
    )?;
    let mut client = settings.client()?;
    let s = client.terminate_session(&id).await?;
    settings.out.result(&s, || {
        eprintln!("terminated {id}");
        Ok(())
    })
}

/// A file name from an attachment's name: its last component, nothing that climbs.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".to_string()
    } else {
        cleaned
    }
}

async fn attachments(
    settings: &Settings,
    id: &str,
    dir: Option<&Path>,
    max_size: u64,
) -> Result<()> {
    let id = session_id(id)?;
    let mut client = settings.client()?;
    let list = client.list_attachments(&id).await?;
    let Some(dir) = dir else {
        return settings.out.result(&list, || {
            use ui::table::Tone;
            let mut t = ui::table::Table::new(&["name", "source", "url"]).whole(&[0]);
            for a in &list {
                t.row(vec![
                    (a.name.clone(), Tone::Plain),
                    (a.source.clone().unwrap_or_else(|| "-".into()), Tone::Plain),
                    (a.url.clone(), Tone::Dim),
                ]);
            }
            t.print()
        });
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::usage(format!("cannot create {}: {e}", dir.display())))?;
    let mut saved = Vec::new();
    for a in &list {
        let mut resp = client.download(&a.url).await?;
        // Written beside its destination, then renamed: never a half-written file.
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let bar = settings
            .out
            .progress(resp.content_length().unwrap_or(0), "downloading");
        // `--timeout` bounds each wait for data, and each window of that length must bring
        // at least `MIN_PACE` bytes: a host trickling a byte at a time cannot hold the
        // command forever.
        const MIN_PACE: u64 = 16 * 1024;
        let window = settings.timeout;
        let too_slow = || {
            Error::api(format!(
                "the download of {} stalled (less than {} KiB in {} s): stopped, nothing saved",
                ui::clean_line(&a.name),
                MIN_PACE / 1024,
                window.as_secs_f64()
            ))
            .hint("--timeout SECS allows a slower host")
        };
        let mut started = std::time::Instant::now();
        let mut in_window = 0u64;
        while let Some(chunk) = tokio::time::timeout(window, resp.chunk())
            .await
            .map_err(|_| too_slow())?
            .map_err(|e| Error::api(format!("the download of {} broke off: {e}", a.name)))?
        {
            in_window += chunk.len() as u64;
            if started.elapsed() >= window {
                if in_window < MIN_PACE {
                    return Err(too_slow());
                }
                started = std::time::Instant::now();
                in_window = 0;
            }
            // The temp file is removed when this returns early (or is interrupted).
            if tmp.as_file().metadata()?.len() + chunk.len() as u64 > max_size {
                return Err(Error::api(format!(
                    "{} is larger than {max_size} bytes (--max-size): not saved",
                    ui::clean_line(&a.name)
                ))
                .hint("--max-size SIZE allows more, e.g. --max-size 4G"));
            }
            tmp.write_all(&chunk)?;
            if let Some(b) = &bar {
                b.inc(chunk.len() as u64);
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let name = safe_name(&a.name);
        let path = persist_new(tmp, dir, &name)?;
        settings.out.human(|| eprintln!("saved {}", path.display()));
        saved.push(serde_json::json!({"name": a.name, "path": path}));
    }
    let v = serde_json::json!({"session_id": id, "saved": saved});
    settings.out.result(&v, || Ok(()))
}

/// Renames the temp file to `name`, or `name (1)`, `name (2)`…: an existing file is never
/// replaced.
fn persist_new(
    mut tmp: tempfile::NamedTempFile,
    dir: &Path,
    name: &str,
) -> Result<std::path::PathBuf> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    for n in 0..1000 {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match tmp.persist_noclobber(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(e.error.into()),
        }
    }
    Err(Error::other(format!(
        "no free file name for {name} in {}",
        dir.display()
    )))
}
