//! `whoami`, `doctor`, `orgs`, `knowledge`, `playbooks` and `schedules`.

use serde_json::{json, Map, Value};

use crate::api::org::Kind;
use crate::api::Client;
use crate::cli::{
    Agent, DeleteArgs, KnowledgeCmd, NoteFields, Notify, OrgsCmd, PlaybookFields, PlaybooksCmd,
    ScheduleFields, SchedulesCmd, SecretsPolicy,
};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{self, Cleared};
use crate::settings::Settings;
use crate::{cron, git, ui};

use crate::pipeline::read_text_source;

/// A field of an API object for a table cell: one line, cleaned of control characters.
fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => ui::clean_line(x),
        Some(Value::Null) | None => "-".into(),
        Some(other) => ui::clean_line(&other.to_string()),
    }
}

/// One row per item: the fields that identify it, as `(key, column name)`. On a terminal a
/// table with a header and, when the API gives one, the time of the last change.
fn print_rows(settings: &Settings, items: &[Value], cols: &[(&str, &'static str)]) -> Result<()> {
    settings.out.result(items, || {
        if items.is_empty() {
            eprintln!("none");
            return Ok(());
        }
        let mut header: Vec<&'static str> = cols.iter().map(|c| c.1).collect();
        let updated = items.iter().any(|it| it.get("updated_at").is_some());
        if updated {
            header.push("updated");
        }
        let mut t = ui::table::Table::new(&header)
            .piped_columns(cols.len())
            .whole(&[0, cols.len()]);
        let now = ui::table::now();
        for it in items {
            let mut row: Vec<(String, ui::table::Tone)> = cols
                .iter()
                .map(|(key, _)| {
                    let text = s(it, key);
                    let tone = match *key {
                        "enabled" | "is_enabled" => ui::table::status_tone(&text),
                        _ => ui::table::Tone::Plain,
                    };
                    (text, tone)
                })
                .collect();
            if updated {
                let when = it.get("updated_at").and_then(Value::as_i64);
                row.push((ui::table::ago(when, now), ui::table::Tone::Dim));
            }
            t.row(row);
        }
        t.print()
    })
}

/// An object's scalar fields, one per line; the whole object with --json.
fn print_object(settings: &Settings, v: &Value) -> Result<()> {
    settings.out.result(v, || {
        let mut out = String::new();
        for (k, val) in v.as_object().into_iter().flatten() {
            let text = match val {
                Value::String(x) if x.contains('\n') => format!("\n{}", ui::clean(x)),
                Value::String(x) => ui::clean_line(x),
                Value::Null => continue,
                other => ui::clean_line(&other.to_string()),
            };
            out.push_str(&format!("{:<22} {text}\n", ui::clean_line(k)));
        }
        ui::print_stdout(&out)
    })
}

/// `update ID` with no field would send an empty change.
/// A body through the guard (`pipeline::clear_json`): asks on a terminal, blocks elsewhere.
fn cleared(
    settings: &Settings,
    body: Value,
    prefix: &str,
    current: Option<&Value>,
    flag: Option<SecretsPolicy>,
) -> Result<Cleared<Value>> {
    let mut ui = ui::prompt::interaction(settings.out);
    pipeline::clear_json(
        body,
        prefix,
        current,
        flag.map(Into::into),
        settings,
        ui.as_mut(),
    )
}

fn nothing_to_update() -> Error {
    Error::usage("nothing to update: give at least one field to change")
        .hint("see --help for the fields")
}

/// Deletes a resource named by its ID: the question and the result name it too.
async fn delete(
    settings: &Settings,
    client: &mut Client,
    kind: Kind,
    d: &DeleteArgs,
) -> Result<()> {
    if !d.yes && !settings.out.can_prompt() {
        // Refused before any request: no one can confirm.
        return ui::prompt::confirm_destructive(settings.out, false, "", "deleted");
    }
    let current = client.get_resource(kind, &d.id).await?;
    let name = ["name", "title"]
        .iter()
        .find_map(|k| current.get(*k).and_then(Value::as_str))
        .map(ui::clean_line)
        .unwrap_or_else(|| "(unnamed)".into());
    let what = format!("{} {name} ({})", kind.noun(), ui::clean_line(&d.id));
    ui::prompt::confirm_destructive(settings.out, d.yes, &format!("Delete {what}?"), "deleted")?;
    let gone = client.delete_resource(kind, &d.id).await?;
    settings.out.result(&gone, || {
        eprintln!("{} Deleted {what}", console::style("✓").green());
        Ok(())
    })
}

fn text_arg(
    inline: &Option<String>,
    file: &Option<std::path::PathBuf>,
    what: &str,
) -> Result<Option<String>> {
    match (inline, file) {
        (Some(t), _) => Ok(Some(t.clone())),
        (None, Some(f)) => Ok(Some(read_text_source(f, what)?)),
        _ => Ok(None),
    }
}

/// `.` names this repository, as its remote's OWNER/NAME.
fn resolve_repo(r: &str) -> Result<String> {
    if r != "." {
        return Ok(r.to_string());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::other(e.to_string()))?;
    git::remote_repo(&cwd)?
        .map(|r| r.full_name())
        .ok_or_else(|| Error::usage("--pinned-repo . needs a git repository with a hosted remote"))
}

pub async fn whoami(settings: &Settings) -> Result<()> {
    let client = settings.client()?;
    let me = client.whoami().await?;
    settings.out.result(&me, || whoami_text(settings, &me))
}

fn whoami_text(settings: &Settings, me: &Value) -> Result<()> {
    let name = me
        .get("service_user_name")
        .or_else(|| me.get("user_name"))
        .and_then(Value::as_str)
        .unwrap_or("-");
    let org = me
        .get("org_id")
        .and_then(Value::as_str)
        .or(settings.org_id.as_deref())
        .unwrap_or("(none: an enterprise key)");
    let key = settings
        .known_key()
        .map_or("(from api_key_command)".to_string(), |k| k.masked());
    ui::print_stdout(&format!(
        "{} {}\norg {} (from {})\nkey {key} (from {})\napi {}\n",
        s(me, "principal_type"),
        ui::clean_line(name),
        ui::clean_line(org),
        settings.org_source,
        settings.key_source,
        settings.api_url
    ))
}

pub async fn orgs(cmd: &OrgsCmd, settings: &Settings) -> Result<()> {
    match cmd {
        OrgsCmd::List => {
            let client = settings.client()?;
            let orgs = client.list_orgs().await?;
            print_rows(settings, &orgs, &[("org_id", "id"), ("name", "name")])
        }
    }
}

pub async fn knowledge(cmd: &KnowledgeCmd, settings: &Settings) -> Result<()> {
    let mut client = settings.client()?;
    let kind = Kind::Note;
    match cmd {
        KnowledgeCmd::List {
            search,
            folder,
            pinned_repo,
        } => {
            let mut q = Vec::new();
            if let Some(x) = search {
                q.push(("search".to_string(), x.clone()));
            }
            if let Some(x) = folder {
                q.push(("folder_path".to_string(), x.clone()));
            }
            if let Some(x) = pinned_repo {
                q.push(("pinned_repo".to_string(), resolve_repo(x)?));
            }
            let items = client.list_resources(kind, &q).await?;
            print_rows(
                settings,
                &items,
                &[
                    ("note_id", "id"),
                    ("name", "name"),
                    ("pinned_repo", "pinned repo"),
                ],
            )
        }
        KnowledgeCmd::Show { id } => print_object(settings, &client.get_resource(kind, id).await?),
        KnowledgeCmd::Create(f) => {
            let body = cleared(settings, note_body(f, None)?, "note ", None, f.secrets)?;
            print_object(settings, &client.create_resource(kind, &body).await?)
        }
        KnowledgeCmd::Update { fields, .. } if !fields.any() => Err(nothing_to_update()),
        KnowledgeCmd::Update { id, fields } => {
            // PUT replaces the note: start from what it is, change what was given.
            let current = client.get_resource(kind, id).await?;
            let body = note_body(fields, Some(&current))?;
            let body = cleared(settings, body, "note ", Some(&current), fields.secrets)?;
            print_object(settings, &client.update_resource(kind, id, &body).await?)
        }
        KnowledgeCmd::Delete(d) => delete(settings, &mut client, kind, d).await,
        KnowledgeCmd::Folders => {
            let v = client.knowledge_folders().await?;
            let folders = v
                .get("folders")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            settings.out.result(&v, || {
                print_rows(
                    settings,
                    &folders,
                    &[
                        ("folder_id", "id"),
                        ("path", "path"),
                        ("note_count", "notes"),
                    ],
                )
            })
        }
    }
}

fn note_body(f: &NoteFields, current: Option<&Value>) -> Result<Value> {
    let body_text = text_arg(&f.body, &f.body_file, "note body")?;
    let keep = |k: &str| {
        current
            .and_then(|c| c.get(k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let pick = |given: Option<String>, k: &str| given.map(Value::String).unwrap_or_else(|| keep(k));
    let pinned = f.pinned_repo.as_deref().map(resolve_repo).transpose()?;
    let body = json!({
        "name": pick(f.name.clone(), "name"),
        "trigger": pick(f.trigger.clone(), "trigger"),
        "body": pick(body_text, "body"),
        "pinned_repo": pick(pinned, "pinned_repo"),
        "folder_id": pick(f.folder.clone(), "folder_id"),
        "is_enabled": keep("is_enabled"),
    });
    for k in ["name", "trigger", "body"] {
        if body[k].as_str().is_none_or(|x| x.trim().is_empty()) {
            return Err(Error::usage(format!(
                "--{k} is required for a knowledge note"
            )));
        }
    }
    Ok(strip_nulls(body))
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, x)| !x.is_null())
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

fn validate_macro(m: &str) -> Result<()> {
    let ok = m.len() > 1
        && m.starts_with('!')
        && m[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "invalid macro {m:?}: use ! followed by letters, digits, _ or -, e.g. !deploy"
        )))
    }
}

pub async fn playbooks(cmd: &PlaybooksCmd, settings: &Settings) -> Result<()> {
    let kind = Kind::Playbook;
    let body_of = |f: &PlaybookFields, current: Option<&Value>| -> Result<Value> {
        if let Some(m) = &f.macro_name {
            validate_macro(m)?;
        }
        let text = text_arg(&f.body, &f.body_file, "playbook body")?;
        let keep = |k: &str| {
            current
                .and_then(|c| c.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let body = json!({
            "title": f.title.clone().map(Value::String).unwrap_or_else(|| keep("title")),
            "body": text.map(Value::String).unwrap_or_else(|| keep("body")),
            "macro": f.macro_name.clone().map(Value::String).unwrap_or_else(|| keep("macro")),
        });
        for k in ["title", "body"] {
            if body[k].as_str().is_none_or(|x| x.trim().is_empty()) {
                return Err(Error::usage(format!("--{k} is required for a playbook")));
            }
        }
        Ok(strip_nulls(body))
    };
    // Validate before any request: a bad macro is a usage error, not an API one.
    if let PlaybooksCmd::Create(f) | PlaybooksCmd::Update { fields: f, .. } = cmd {
        if let Some(m) = &f.macro_name {
            validate_macro(m)?;
        }
    }
    let mut client = settings.client()?;
    match cmd {
        PlaybooksCmd::List => {
            let items = client.list_resources(kind, &[]).await?;
            print_rows(
                settings,
                &items,
                &[
                    ("playbook_id", "id"),
                    ("title", "title"),
                    ("macro", "macro"),
                ],
            )
        }
        PlaybooksCmd::Show { id } => print_object(settings, &client.get_resource(kind, id).await?),
        PlaybooksCmd::Create(f) => {
            let body = cleared(settings, body_of(f, None)?, "playbook ", None, f.secrets)?;
            print_object(settings, &client.create_resource(kind, &body).await?)
        }
        PlaybooksCmd::Update { fields, .. } if !fields.any() => Err(nothing_to_update()),
        PlaybooksCmd::Update { id, fields } => {
            let current = client.get_resource(kind, id).await?;
            let body = body_of(fields, Some(&current))?;
            let body = cleared(settings, body, "playbook ", Some(&current), fields.secrets)?;
            print_object(settings, &client.update_resource(kind, id, &body).await?)
        }
        PlaybooksCmd::Delete(d) => delete(settings, &mut client, kind, d).await,
    }
}

/// A cron expression as the API evaluates it, in UTC: converted from `--timezone` at its
/// current offset (said on stderr), with a warning where daylight saving time will shift it.
fn utc_frequency(expr: &str, timezone: Option<&str>, out: ui::Printer) -> Result<String> {
    cron::validate(expr)?;
    let Some(tz) = timezone else {
        return Ok(expr.to_string());
    };
    let now = chrono::Utc::now();
    let zone = cron::parse_tz(tz)?;
    let utc = cron::to_utc(expr, zone, now)?;
    out.human(|| eprintln!("frequency (UTC): {utc}   ({expr} in {tz}, at its current offset)"));
    if cron::observes_dst(zone, cron::year_of(now)) {
        ui::warn(&format!(
            "{tz} observes daylight saving time: the API runs cron in UTC, so this schedule will run an hour off local time for part of the year"
        ));
    }
    Ok(utc)
}

/// The schedule body for the fields given; everything is checked before any request.
fn schedule_body(f: &ScheduleFields, creating: bool, out: ui::Printer) -> Result<Value> {
    let mut body = Map::new();
    if let Some(n) = &f.name {
        body.insert("name".into(), json!(n));
    }
    if let Some(p) = text_arg(&f.prompt, &f.prompt_file, "prompt")? {
        body.insert("prompt".into(), json!(p));
    }
    if let Some(expr) = &f.cron {
        body.insert("schedule_type".into(), json!("recurring"));
        body.insert(
            "frequency".into(),
            json!(utc_frequency(expr, f.timezone.as_deref(), out)?),
        );
    }
    if let Some(at) = &f.at {
        let when = chrono::DateTime::parse_from_rfc3339(at).map_err(|e| {
            Error::usage(format!("--at {at:?} is not an RFC 3339 date and time: {e}"))
                .hint("for example --at 2026-12-01T09:30:00+01:00 (or ...Z for UTC)")
        })?;
        if when <= chrono::Utc::now() {
            return Err(Error::usage(format!("--at {at} is in the past")));
        }
        body.insert("schedule_type".into(), json!("one_time"));
        body.insert("scheduled_at".into(), json!(when.to_rfc3339()));
    }
    if let Some(p) = &f.playbook {
        body.insert("playbook_id".into(), json!(p));
    }
    if !f.tags.is_empty() {
        body.insert("tags".into(), json!(f.tags));
    }
    if let Some(n) = f.notify {
        let v = match n {
            Notify::Always => "always",
            Notify::Failure => "failure",
            Notify::Never => "never",
        };
        body.insert("notify_on".into(), json!(v));
    }
    if let Some(a) = f.agent {
        let v = match a {
            Agent::Devin => "devin",
            Agent::DataAnalyst => "data_analyst",
            Agent::Advanced => "advanced",
        };
        body.insert("agent".into(), json!(v));
    }
    if creating {
        for k in ["name", "prompt"] {
            if !body.contains_key(k) {
                return Err(Error::usage(format!(
                    "--{k} is required to create a schedule"
                )));
            }
        }
        if !body.contains_key("schedule_type") {
            return Err(Error::usage(
                "a schedule needs --cron EXPR (recurring) or --at WHEN (one time)",
            ));
        }
    } else if body.is_empty() {
        return Err(Error::usage("nothing to change: give at least one field"));
    }
    Ok(Value::Object(body))
}

pub async fn schedules(cmd: &SchedulesCmd, settings: &Settings) -> Result<()> {
    let kind = Kind::Schedule;
    // Bodies first: a bad cron or date exits 2 before anything is sent.
    let body = match cmd {
        SchedulesCmd::Update { fields, .. } if !fields.any() => return Err(nothing_to_update()),
        SchedulesCmd::Create(f) => Some((schedule_body(f, true, settings.out)?, f.secrets)),
        SchedulesCmd::Update { fields, .. } => {
            Some((schedule_body(fields, false, settings.out)?, fields.secrets))
        }
        SchedulesCmd::Enable { .. } => Some((json!({"enabled": true}), None)),
        SchedulesCmd::Disable { .. } => Some((json!({"enabled": false}), None)),
        _ => None,
    };
    // Scanned before any request: a body holding a secret sends nothing at all.
    let body = match body {
        Some((b, flag)) => Some(cleared(settings, b, "schedule ", None, flag)?),
        None => None,
    };
    let mut client = settings.client()?;
    match (cmd, body) {
        (SchedulesCmd::List, _) => {
            let items = client.list_resources(kind, &[]).await?;
            print_rows(
                settings,
                &items,
                &[
                    ("scheduled_session_id", "id"),
                    ("name", "name"),
                    ("frequency", "frequency"),
                    ("enabled", "enabled"),
                ],
            )
        }
        (SchedulesCmd::Show { id }, _) => {
            print_object(settings, &client.get_resource(kind, id).await?)
        }
        (SchedulesCmd::Create(_), Some(b)) => {
            print_object(settings, &client.create_resource(kind, &b).await?)
        }
        (
            SchedulesCmd::Update { id, .. }
            | SchedulesCmd::Enable { id }
            | SchedulesCmd::Disable { id },
            Some(b),
        ) => print_object(settings, &client.update_resource(kind, id, &b).await?),
        (SchedulesCmd::Delete(d), _) => delete(settings, &mut client, kind, d).await,
        _ => Err(Error::other(
            "internal: a schedule command without its body",
        )),
    }
}

/// One check's verdict for `doctor`.
struct Check {
    ok: bool,
    what: String,
    fix: Option<String>,
}

/// The doctor's findings, and the first failure's kind (its exit code).
#[derive(Default)]
struct Checks {
    list: Vec<Check>,
    worst: Option<ErrorKind>,
}

impl Checks {
    fn pass(&mut self, what: impl Into<String>) {
        self.list.push(Check {
            ok: true,
            what: what.into(),
            fix: None,
        });
    }

    fn fail(&mut self, kind: ErrorKind, what: impl Into<String>, fix: impl Into<String>) {
        self.worst.get_or_insert(kind);
        self.list.push(Check {
            ok: false,
            what: what.into(),
            fix: Some(fix.into()),
        });
    }
}

pub async fn doctor(settings: &Settings) -> Result<()> {
    let mut checks = Checks::default();
    let git_ok = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if git_ok {
        checks.pass("git is installed");
    } else {
        checks.fail(
            ErrorKind::Other,
            "git is not usable",
            "install git and put it on PATH",
        );
    }
    match crate::paths::config_file().filter(|p| p.exists()) {
        Some(p) => checks.pass(format!(
            "{} is read (it was checked when loading)",
            p.display()
        )),
        None => checks.pass("no config file; settings come from flags and the environment"),
    }
    checks.pass(format!("API: {}", settings.api_url));
    match settings.require_key() {
        Err(e) => checks.fail(
            ErrorKind::Auth,
            format!("no usable API key: {}", e.message()),
            match settings.key_source {
                "api_key_command in the config file" => "fix api_key_command, or set DEVIN_API_KEY",
                _ => "export DEVIN_API_KEY=cog_… (Settings > Service users)",
            },
        ),
        Ok(key) => {
            let kind = match key.flavor() {
                crate::api::KeyFlavor::V3 => "a v3 key",
                crate::api::KeyFlavor::V1 => "a legacy v1 key",
            };
            checks.pass(format!(
                "key {} from {} ({kind})",
                key.masked(),
                settings.key_source
            ));
            if let Ok(mut client) = settings.client() {
                check_api(settings, &mut client, &mut checks).await;
            }
        }
    }
    check_repository(&mut checks);
    let v: Vec<Value> = checks
        .list
        .iter()
        .map(|c| json!({"ok": c.ok, "check": c.what, "fix": c.fix}))
        .collect();
    settings.out.result(&json!({"checks": v}), || {
        let mut out = String::new();
        for c in &checks.list {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            out.push_str(&format!("{mark} {}\n", c.what));
            if let Some(f) = &c.fix {
                out.push_str(&format!("     fix: {f}\n"));
            }
        }
        ui::print_stdout(&out)
    })?;
    match checks.worst {
        None => Ok(()),
        Some(kind) => Err(Error::silent(kind)),
    }
}

/// The key, the organization, and the create permission, each asked of the API. A key
/// the API refuses stops here: every later check would fail for the same reason.
async fn check_api(settings: &Settings, client: &mut Client, checks: &mut Checks) {
    if client.flavor() == crate::api::KeyFlavor::V1 {
        match client
            .list_sessions(&crate::api::SessionFilter::default(), Some(1))
            .await
        {
            Ok(_) => checks.pass("the key works on the v1 API (sessions readable)"),
            Err(e) => checks.fail(
                e.kind(),
                format!("the key does not work: {}", e.message()),
                "check DEVIN_API_KEY: the key may be revoked",
            ),
        }
        return;
    }
    let me = match client.whoami().await {
        Ok(me) => me,
        Err(e) => {
            let fix = if e.kind() == ErrorKind::Auth {
                "the key was refused: create a new one in Settings > Service users"
            } else {
                "check the network and DEVIN_API_URL / --api-url"
            };
            checks.fail(
                e.kind(),
                format!("the key does not work: {}", e.message()),
                fix,
            );
            return;
        }
    };
    checks.pass(format!(
        "the key is valid ({} {})",
        s(&me, "principal_type"),
        s(&me, "service_user_name")
    ));
    let key_org = me.get("org_id").and_then(Value::as_str);
    match (&settings.org_id, key_org) {
        (Some(set), Some(own)) if set != own => checks.fail(
            ErrorKind::Usage,
            format!(
                "the organization {set} (from {}) is not the key's ({own})",
                settings.org_source
            ),
            format!("set it to {own}, or remove it to use the key's own"),
        ),
        (Some(set), _) => checks.pass(format!("organization {set} (from {})", settings.org_source)),
        (None, Some(own)) => checks.pass(format!("organization {own} ({})", settings.org_source)),
        (None, None) => checks.fail(
            ErrorKind::Usage,
            "no organization: the key is not tied to one and none is set",
            "set DEVIN_ORG_ID (or --org-id) to an org-… ID",
        ),
    }
    // A diagnostic only reads: the read permission is checked by listing one session. The
    // create permission (ManageOrgSessions) cannot be seen without writing, so a handoff is
    // what reports it (403, exit 4).
    match client.probe_read().await {
        Ok(true) => checks.pass(
            "the key may read sessions (ViewOrgSessions); creating them needs ManageOrgSessions, \
             which only a handoff can show",
        ),
        Ok(false) => checks.fail(
            ErrorKind::Auth,
            "the key may not read sessions",
            "give the service user a role with ViewOrgSessions and ManageOrgSessions",
        ),
        Err(e) => checks.fail(
            e.kind(),
            format!("could not check the read permission: {}", e.message()),
            "try again; check the network",
        ),
    }
}

/// Whether this repository can be handed off: a remote the cloud can clone, and a base
/// commit that remote already has.
fn check_repository(checks: &mut Checks) {
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    let opts = git::CaptureOptions {
        include_untracked: false,
        ..git::CaptureOptions::default()
    };
    let state = match git::capture(&cwd, &opts) {
        Ok(Some(state)) => state,
        Ok(None) => {
            checks.pass("not in a git repository: a handoff from here sends the task alone");
            return;
        }
        Err(e) => {
            checks.fail(
                ErrorKind::Other,
                format!("this repository cannot be read: {}", e.message()),
                "run git status to see why",
            );
            return;
        }
    };
    match &state.remote {
        Some(r) => checks.pass(format!(
            "remote {}/{} (the cloud clones it from there)",
            r.host,
            r.full_name()
        )),
        None => checks.fail(
            ErrorKind::Usage,
            "this repository has no hosted remote: the cloud cannot clone it",
            "git remote add origin https://github.com/OWNER/NAME.git, and push",
        ),
    }
    if state.base.commit.is_none() && state.base.source == git::BaseSource::Head {
        checks.fail(
            ErrorKind::Usage,
            "HEAD's history is on no remote-tracking branch: a handoff sends all of it, from \
             the first commit",
            "git push the branch (or git fetch, if the remote has it)",
        );
    } else if state.base.on_remote {
        let base = state.base.commit.as_deref().map_or("(none)", git::short);
        checks.pass(format!("the base commit {base} is on the remote"));
    } else {
        checks.fail(
            ErrorKind::Usage,
            "the base commit is on no remote-tracking branch: the cloud cannot check it out",
            "git push the branch (or --history sends the commits along)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros() {
        assert!(validate_macro("!deploy").is_ok());
        assert!(validate_macro("!a_b-9").is_ok());
        for bad in ["deploy", "!", "!de ploy", "!dé"] {
            assert!(validate_macro(bad).is_err(), "{bad}");
        }
    }
}
