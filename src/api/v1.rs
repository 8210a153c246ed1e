//! The legacy v1 session routes, for `apk_` keys (v3 refuses them): their shapes, mapped onto
//! the same domain types as v3's, so that every command works with either key.

use serde::Deserialize;
use serde_json::Value;

use super::types::{Message, PullRequest, Session};

/// `GET /v1/sessions/{id}` (and each item of `GET /v1/sessions`), read leniently: the
/// published v1 pages disagree on names and types, and a field missing, unexpected or of
/// another type never makes a session unreadable (an unreadable session would make `watch`
/// loop and a retry create a second one). Only the ID is required.
#[derive(Debug, Clone, Deserialize)]
pub struct V1Session {
    pub session_id: String,
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    status_enum: Option<Value>,
    #[serde(default)]
    title: Option<Value>,
    #[serde(default)]
    tags: Option<Value>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    updated_at: Option<Value>,
    #[serde(default)]
    pull_request: Option<Value>,
    #[serde(default)]
    pub structured_output: Option<Value>,
    #[serde(default)]
    messages: Option<Value>,
}

/// A field's text, when it is text.
fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// `GET /v1/sessions`.
#[derive(Debug, Clone, Deserialize)]
pub struct V1List {
    #[serde(default)]
    pub sessions: Vec<V1Session>,
}

/// An ISO-8601 time (v1) or seconds (v3) as seconds since the epoch.
fn seconds(v: &Option<Value>) -> Option<i64> {
    match v.as_ref()? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp())
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc().timestamp())
            }),
        _ => None,
    }
}

impl V1Session {
    /// The v1 vocabulary onto v3's `status` / `status_detail`, so that progress (working,
    /// waiting for the user, finished, failed, suspended) reads the same for both.
    pub fn into_session(self) -> Session {
        let v1 = text(self.status_enum.as_ref()).or_else(|| text(self.status.as_ref()));
        let (status, detail) = match v1.map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("working" | "running" | "resumed" | "claimed") => ("running", Some("working")),
            Some("blocked" | "waiting_for_user") => ("running", Some("waiting_for_user")),
            Some("finished" | "stopped" | "exit") => ("exit", None),
            Some("expired") => ("suspended", Some("inactivity")),
            Some("suspend_requested" | "suspend_requested_frontend" | "suspended") => {
                ("suspended", None)
            }
            Some("error" | "failed") => ("error", None),
            Some(_) | None => ("new", None),
        };
        Session {
            url: text(self.url.as_ref()),
            status: Some(status.to_string()),
            status_detail: detail.map(str::to_string),
            title: text(self.title.as_ref()),
            tags: self
                .tags
                .as_ref()
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(|x| text(Some(x))).collect())
                .unwrap_or_default(),
            pull_requests: text(self.pull_request.as_ref().and_then(|p| p.get("url")))
                .map(|pr_url| {
                    vec![PullRequest {
                        pr_url,
                        pr_state: None,
                    }]
                })
                .unwrap_or_default(),
            structured_output: self.structured_output,
            created_at: seconds(&self.created_at),
            updated_at: seconds(&self.updated_at),
            session_id: self.session_id,
            ..Session::default()
        }
    }

    /// The embedded messages, as v3's message list would give them. The sender goes by
    /// several names across the v1 pages (`source`, `type`, `username`, `origin`, `sender`);
    /// any of them, or several at once, is read.
    pub fn messages(&self) -> Vec<Message> {
        let items = self.messages.as_ref().and_then(Value::as_array);
        items
            .into_iter()
            .flatten()
            .filter(|m| m.is_object())
            .enumerate()
            .map(|(i, m)| {
                // Who sent it: `source` when given; else the message `type`
                // (`user_message`, `devin_message`); else a `username` means a person, and
                // `origin` / `sender` (where it came from) are kept as they are.
                let by_type = text(m.get("type"))
                    .map(|k| if k.contains("user") { "user" } else { "devin" }.to_string());
                let source = text(m.get("source"))
                    .or(by_type)
                    .or_else(|| text(m.get("username")).map(|_| "user".to_string()))
                    .or_else(|| text(m.get("origin")))
                    .or_else(|| text(m.get("sender")));
                Message {
                    event_id: text(m.get("event_id")).unwrap_or_else(|| format!("v1-{i}")),
                    created_at: seconds(&m.get("timestamp").cloned()),
                    message: text(m.get("message")).unwrap_or_default(),
                    source,
                }
            })
            .collect()
    }
}
