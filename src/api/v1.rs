//! The legacy v1 session routes, for `apk_` keys (v3 refuses them): their shapes, mapped onto
//! the same domain types as v3's, so that every command works with either key.

use serde::Deserialize;
use serde_json::Value;

use super::types::{Message, PullRequest, Session};

/// `GET /v1/sessions/{id}` (and each item of `GET /v1/sessions`), read leniently: the
/// published v1 pages disagree on some names.
#[derive(Debug, Clone, Deserialize)]
pub struct V1Session {
    pub session_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_enum: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub created_at: Option<Value>,
    #[serde(default)]
    pub updated_at: Option<Value>,
    #[serde(default)]
    pub pull_request: Option<V1PullRequest>,
    #[serde(default)]
    pub structured_output: Option<Value>,
    #[serde(default)]
    pub messages: Option<Vec<V1Message>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct V1PullRequest {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct V1Message {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub timestamp: Option<Value>,
    /// The sender, under whichever name the page uses.
    #[serde(default, alias = "origin", alias = "username", alias = "sender")]
    pub source: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
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
        let v1 = self.status_enum.as_deref().or(self.status.as_deref());
        let (status, detail) = match v1.map(str::to_ascii_lowercase).as_deref() {
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
            url: self.url,
            status: Some(status.to_string()),
            status_detail: detail.map(str::to_string),
            title: self.title,
            tags: self.tags.unwrap_or_default(),
            pull_requests: self
                .pull_request
                .and_then(|p| p.url)
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

    /// The embedded messages, as v3's message list would give them.
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, m)| Message {
                event_id: m.event_id.clone().unwrap_or_else(|| format!("v1-{i}")),
                created_at: seconds(&m.timestamp),
                message: m.message.clone(),
                source: m.source.clone().or_else(|| {
                    m.kind
                        .as_deref()
                        .map(|k| if k.contains("user") { "user" } else { "devin" }.to_string())
                }),
            })
            .collect()
    }
}
