//! The deliver stage: uploads (history bundle, then the patch when it travels as an
//! attachment), the create call, and the journal entry; or the session of an identical
//! handoff that is still running.

use super::Plan;
use crate::api::types::{CreateSessionRequest, Progress, Session};
use crate::api::Client;
use crate::api::KeyFlavor;
use crate::error::{Error, ErrorKind, Result};
use crate::git::RepoState;
use crate::journal;
use crate::prompt::{self, Composed};
use crate::settings::Settings;
use crate::ui::Printer;

/// A session handed off to, with what was sent.
pub struct Delivered {
    pub session: Session,
    pub composed: Composed,
    /// An identical handoff was still running: its session, and nothing new was created.
    pub reused: bool,
}

/// Sends a plan. `new` creates a session even when an identical handoff is still running.
pub async fn deliver(
    plan: Plan,
    client: &mut Client,
    out: &Printer,
    new: bool,
) -> Result<Delivered> {
    // Check and create under one lock per fingerprint (released on return).
    let _lock = journal::lock_fingerprint(&plan.fingerprint);
    if !new {
        refuse_after_unknown(&plan.fingerprint)?;
        if let Some(session) = running_duplicate(client, &plan.fingerprint).await {
            return Ok(Delivered {
                session,
                composed: plan.composed,
                reused: true,
            });
        }
    }
    let bundle = plan.state.as_ref().and_then(|s| s.history.as_ref());
    let bundle_url = match bundle {
        Some(h) => Some(
            upload(
                client,
                out,
                prompt::BUNDLE_NAME,
                h.bundle.clone(),
                "the history",
            )
            .await?,
        ),
        None => None,
    };
    let patch_url = match (&plan.state, plan.upload) {
        (Some(s), Some(_)) => {
            let patch = s.changes.patch().into_bytes();
            Some(upload(client, out, prompt::PATCH_NAME, patch, "the patch").await?)
        }
        _ => None,
    };
    let (composed, req) = if patch_url.is_some() || bundle_url.is_some() {
        plan.compose(patch_url.as_deref(), bundle_url.as_deref())
    } else {
        (plan.composed.clone(), plan.request.clone())
    };
    let created = tokio::select! {
        biased;
        r = create(client, &req) => r,
        // An interrupt while the create is on its way: it may have been carried out.
        _ = crate::ui::interrupt::stop_requested() => Err(Error::new(ErrorKind::Interrupted, "interrupted while creating the session").maybe_acted()),
    };
    let session = match created {
        Ok(s) => s,
        Err(e) if e.may_have_acted() => {
            let e = e.hint("the session may have been created all the same: check `devin-handoff sessions list --mine` before trying again");
            // Only a protection that was written down is promised.
            return Err(if record_unknown(&plan) {
                e.hint("a retry of this same handoff is refused until then; --new sends it anyway")
            } else {
                e.hint("the journal could not be written, so a retry is not stopped: check before sending again")
            });
        }
        Err(e) => return Err(e),
    };
    record(&plan, &session);
    Ok(Delivered {
        session,
        composed,
        reused: false,
    })
}

/// Uploads one file, with a progress bar on a terminal; returns its attachment URL.
async fn upload(
    client: &mut Client,
    out: &Printer,
    name: &str,
    data: Vec<u8>,
    what: &str,
) -> Result<String> {
    let bar = out.progress(data.len() as u64, &format!("uploading {what}"));
    // The guard scanned every byte of the history and the change set this was made from.
    let data = super::gate::after_guard(bytes::Bytes::from(data));
    client.upload(name, data, bar.as_ref()).await
}

/// The create call, and its one known retry: a 400 or 422 whose problem names `repos` (the
/// repository is not connected to the organization, or its path is not one the API knows)
/// created nothing, so it is sent again without `repos`, saying so.
async fn create(client: &mut Client, req: &CreateSessionRequest) -> Result<Session> {
    // Composed from what the guard scanned (and redacted), and the upload URLs the API gave.
    let cleared = super::gate::after_guard(req.clone());
    match client.create_session(&cleared).await {
        Err(e) if req.repos.is_some() && names_repos(&e) => {
            crate::ui::warn(&format!(
                "the API refused the repository ({}); creating the session without `repos` (--repo none does this at once)",
                e.message()
            ));
            let without = CreateSessionRequest {
                repos: None,
                ..req.clone()
            };
            client
                .create_session(&super::gate::after_guard(without))
                .await
        }
        other => other,
    }
}

/// Whether a refused create blames its `repos` field.
fn names_repos(e: &Error) -> bool {
    let refused = matches!(e.status(), Some(400 | 422));
    let in_fields = e.detail().is_some_and(|(k, v)| {
        *k == "field_errors"
            && v.as_array().into_iter().flatten().any(|f| {
                f["field"]
                    .as_str()
                    .is_some_and(|n| n == "repos" || n.starts_with("repos."))
            })
    });
    refused && (in_fields || e.message().contains("repos"))
}

/// An identical handoff whose create got no clear answer, in the last day, stops a retry:
/// it may have created a session.
fn refuse_after_unknown(fingerprint: &str) -> Result<()> {
    let now = now();
    let earlier = journal::read().into_iter().rev().find(|r| {
        r.fingerprint == fingerprint
            && r.outcome.as_deref() == Some(journal::UNKNOWN)
            // A record dated ahead of this clock (another clock, a clock set back) counts
            // as made now, not as lasting until its date.
            && now.abs_diff(r.time) < 86_400
    });
    match earlier {
        None => Ok(()),
        Some(r) => Err(Error::new(
            ErrorKind::NotSent,
            format!(
                "an identical handoff {} min ago may have created a session (its answer was lost): nothing was sent",
                now.saturating_sub(r.time) / 60
            ),
        )
        .hint("check `devin-handoff sessions list --mine`; --new sends it anyway")),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Records a create whose outcome is unknown, so that a retry finds it; whether it was
/// written.
fn record_unknown(plan: &Plan) -> bool {
    append(plan, None)
}

/// Appends the handoff to the local journal; a failure there is only a warning.
fn record(plan: &Plan, session: &Session) {
    append(plan, Some(session));
}

fn append(plan: &Plan, session: Option<&Session>) -> bool {
    let state = plan.state.as_ref();
    let record = journal::Record {
        time: now(),
        workdir: state.map(|s| s.workdir.to_string_lossy().into_owned()),
        repo: state.and_then(|s| s.remote.as_ref()).map(|r| r.full_name()),
        branch: state.map(|s| kept(&s.head.label(), "<branch>")),
        base: state.and_then(|s| s.base.commit.clone()),
        head: state.and_then(|s| s.head.commit().map(str::to_string)),
        fingerprint: plan.fingerprint.clone(),
        task: kept(&prompt::default_title(&plan.inputs.task), "<task>"),
        session_id: session.map(|s| s.session_id.clone()).unwrap_or_default(),
        url: session.map(Session::web_url).unwrap_or_default(),
        outcome: session.is_none().then(|| journal::UNKNOWN.to_string()),
    };
    match journal::append(&record) {
        Ok(()) => true,
        Err(e) => {
            crate::ui::warn(&format!(
                "could not record the handoff in the local journal: {e}"
            ));
            false
        }
    }
}

/// A text as the journal keeps it: any secret in it (sent under `--secrets allow`) is
/// replaced by its rule's placeholder, so nothing in the state folder holds one.
fn kept(text: &str, label: &str) -> String {
    crate::scan::redact::redact_text(&crate::scan::Scanner::new(), text, label).0
}

/// Identifies a handoff: the same working tree, base, patch and task.
pub(super) fn fingerprint(state: Option<&RepoState>, task: &str) -> String {
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
        .find(|r| r.fingerprint == fingerprint && r.is_known())?;
    let session = client.get_session(&record.session_id).await.ok()?;
    let running = matches!(session.progress(), Progress::Working | Progress::NeedsInput);
    (running && !session.is_archived).then_some(session)
}

impl Plan {
    /// What a dry run reports (`--dry-run --json`, and the MCP server's dry run): the route,
    /// the request body as it would go (session secrets' values withheld), the manifest, and
    /// the upload that would come first.
    pub fn dry_run_value(&self, settings: &Settings) -> Result<serde_json::Value> {
        let plan = self;
        let flavor = settings.known_key().map_or(KeyFlavor::V3, |k| k.flavor());
        let route = Client::create_route(flavor, settings.org_id.as_deref());
        let mut body = Client::create_body(flavor, &plan.request)?;
        // Session secrets' values go only with the real request: a dry run shows their names.
        for s in body["session_secrets"].as_array_mut().into_iter().flatten() {
            s["value"] = serde_json::json!("(withheld: sent only with the real request)");
        }
        let upload_route = Client::upload_route(flavor, settings.org_id.as_deref());
        let composed = &plan.composed;
        let mut v = serde_json::json!({
            "dry_run": true,
            "route": route,
            "request": body,
            "manifest": composed.manifest,
        });
        if let (Some(bytes), Some(obj)) = (plan.upload, v.as_object_mut()) {
            obj.insert(
            "upload".into(),
            serde_json::json!({"route": upload_route, "name": prompt::PATCH_NAME, "bytes": bytes}),
        );
        }
        Ok(v)
    }
}

/// What a create reports (`--json`, and the MCP server's handoff).
pub fn created_value(session: &Session, composed: &Composed, reused: bool) -> serde_json::Value {
    let url = session.web_url();
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
    v
}
