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
}

/// A session as returned by create (v3 `SessionResponse`, or v1's smaller answer).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Session {
    pub session_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// v1 only: false when an idempotent create returned an existing session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_new_session: Option<bool>,
}

impl Session {
    /// The web URL, derived from the ID when the API did not send one.
    pub fn web_url(&self) -> String {
        match &self.url {
            Some(u) if !u.is_empty() => u.clone(),
            _ => format!(
                "https://app.devin.ai/sessions/{}",
                self.session_id.trim_start_matches("devin-")
            ),
        }
    }
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
        detail.or_else(|| self.title.clone().filter(|t| !t.trim().is_empty()))
    }
}
