//! Request and response shapes. Responses parse leniently: the schema grows often.

use serde::{Deserialize, Serialize};

/// `SessionCreateRequest` (v3); the v1 body is the subset v1 knows.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CreateSessionRequest {
    pub prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playbook_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repos: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_urls: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_acu_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devin_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_as_user_id: Option<String>,
    /// v1 only: reuse a matching open session instead of creating one (not with `--new`).
    /// Dropped from v3 bodies, which have no such field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    /// Secrets for this session only (`--secrets session`): never in the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_secrets: Option<Vec<SessionSecret>>,
    /// The report the session fills in when done (`--report`, `--report-schema`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_output_schema: Option<serde_json::Value>,
}

/// A session-only secret (`session_secrets`): its value is serialized for the request and
/// nowhere else; `Debug` does not show it.
#[derive(Clone, Serialize)]
pub struct SessionSecret {
    pub key: String,
    #[serde(serialize_with = "expose")]
    pub value: secrecy::SecretString,
    pub sensitive: bool,
}

fn expose<S: serde::Serializer>(v: &secrecy::SecretString, s: S) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret;
    s.serialize_str(v.expose_secret())
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionSecret({}, redacted)", self.key)
    }
}

impl PartialEq for SessionSecret {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.key == other.key && self.value.expose_secret() == other.value.expose_secret()
    }
}

/// A session as returned by create (v3 `SessionResponse`, or v1's smaller answer).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Session {
    pub session_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// v1 only: false when an idempotent create returned an existing session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_new_session: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub pull_requests: Vec<PullRequest>,
    /// What the session reported in the shape its `structured_output_schema` asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_output: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acus_consumed: Option<f64>,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PullRequest {
    pub pr_url: String,
    #[serde(default)]
    pub pr_state: Option<String>,
}

/// Where a session stands, for people and for `watch`'s exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Still working (or new, claimed, resuming).
    Working,
    /// Done: `exit`, or `running` with `finished`.
    Finished,
    /// `running` and waiting for the user (or for approval).
    NeedsInput,
    /// `error`.
    Failed,
    /// `suspended`, with the reason in `status_detail`.
    Suspended,
}

impl Session {
    pub fn progress(&self) -> Progress {
        match (self.status.as_deref(), self.status_detail.as_deref()) {
            (Some("exit"), _) => Progress::Finished,
            (Some("error"), _) => Progress::Failed,
            // Suspended for inactivity after its work was done (a pull request or a report
            // shows it): finished, not failed.
            (Some("suspended"), Some("inactivity"))
                if !self.pull_requests.is_empty() || self.structured_output.is_some() =>
            {
                Progress::Finished
            }
            (Some("suspended"), _) => Progress::Suspended,
            (Some("running"), Some("finished")) => Progress::Finished,
            (Some("running"), Some("waiting_for_user" | "waiting_for_approval")) => {
                Progress::NeedsInput
            }
            _ => Progress::Working,
        }
    }

    /// The first pull request's URL, if Devin opened one.
    pub fn pr_url(&self) -> Option<&str> {
        self.pull_requests.first().map(|p| p.pr_url.as_str())
    }
}

/// A message in a session (`SessionMessage`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Message {
    #[serde(default)]
    pub event_id: String,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub source: Option<String>,
}

/// A file sent during a session (`SessionAttachment`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Attachment {
    #[serde(default)]
    pub attachment_id: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// The envelope of v3 lists: cursor pages (`end_cursor`) or offset pages (schedules).
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(default)]
    pub end_cursor: Option<String>,
    /// Absent on some offset-paged lists: then a full page means there may be more.
    #[serde(default)]
    pub has_next_page: Option<bool>,
}

impl Session {
    /// The web URL, derived from the ID when the API did not send one.
    /// Only an `https://` URL on the Devin web app's domain is used as it came: it is printed,
    /// stored in the journal and handed to the browser by `--open`, so anything else (another
    /// scheme, another host, an argument in disguise) is replaced by the derived one.
    pub fn web_url(&self) -> String {
        match &self.url {
            Some(u) if is_web_app_url(u) => u.clone(),
            _ => format!(
                "https://app.devin.ai/sessions/{}",
                self.session_id.trim_start_matches("devin-")
            ),
        }
    }
}

/// An `https://` URL on `devin.ai` or one of its subdomains, with nothing odd in it.
pub fn is_web_app_url(raw: &str) -> bool {
    let Ok(u) = url::Url::parse(raw) else {
        return false;
    };
    let host_ok = u
        .host_str()
        .is_some_and(|h| h == "devin.ai" || h.ends_with(".devin.ai"));
    u.scheme() == "https"
        && host_ok
        && u.username().is_empty()
        && u.password().is_none()
        && u.as_str() == raw
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `GET /v3/self`, reduced to what the client needs.
#[derive(Debug, Clone, Deserialize)]
pub struct SelfInfo {
    #[serde(default)]
    pub principal_type: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
}

/// An RFC 9457 problem, or FastAPI's `{"detail": ...}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProblemBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
    /// RFC 9457's field errors (422): shapes vary, so they are read leniently.
    #[serde(default)]
    pub errors: Option<Vec<serde_json::Value>>,
}

/// One field error of a problem: where, and what.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl ProblemBody {
    /// One line for people: the detail, else the title.
    pub fn summary(&self) -> Option<String> {
        let detail = match &self.detail {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                Some(s.trim().to_string())
            }
            Some(serde_json::Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| {
                        let msg = i.get("msg")?.as_str()?;
                        let loc = i
                            .get("loc")
                            .and_then(|l| l.as_array())
                            .map(|l| {
                                l.iter()
                                    .map(|p| {
                                        p.as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| p.to_string())
                                    })
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default();
                        Some(if loc.is_empty() {
                            msg.to_string()
                        } else {
                            format!("{loc}: {msg}")
                        })
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            _ => None,
        };
        let head = detail.or_else(|| self.title.clone().filter(|t| !t.trim().is_empty()));
        let fields: Vec<String> = self
            .field_errors()
            .iter()
            .map(|f| match f.field.as_str() {
                "" => f.message.clone(),
                name => format!("{name}: {}", f.message),
            })
            .collect();
        match (head, fields.is_empty()) {
            (h, true) => h,
            (None, false) => Some(fields.join("; ")),
            (Some(h), false) => Some(format!("{h} ({})", fields.join("; "))),
        }
    }

    /// The `errors[]` entries as field and message, whatever their shape: `loc`/`field`/
    /// `pointer`/`name` for where, `msg`/`message`/`detail`/`reason` for what.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(parts) => parts
                .iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("."),
            other => other.to_string(),
        };
        let pick = |e: &serde_json::Value, keys: &[&str]| {
            keys.iter()
                .find_map(|k| e.get(*k).map(text))
                .unwrap_or_default()
        };
        self.errors
            .iter()
            .flatten()
            .map(|e| FieldError {
                field: pick(e, &["loc", "field", "pointer", "name"])
                    .trim_start_matches('/')
                    .trim_start_matches("body.")
                    .to_string(),
                message: pick(e, &["msg", "message", "detail", "reason"]),
            })
            .filter(|f| !f.message.is_empty() || !f.field.is_empty())
            .collect()
    }
}
