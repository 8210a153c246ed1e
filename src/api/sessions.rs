//! Session routes: create (v3 org route, or v1 for legacy keys).

use reqwest::Method;

use super::client::{Client, Idempotency};
use super::types::{CreateSessionRequest, Session};
use crate::config::KeyFlavor;
use crate::error::{Error, Result};

impl Client {
    /// The route a create would use, for dry runs and messages.
    pub fn create_route(flavor: KeyFlavor, org: Option<&str>) -> String {
        match flavor {
            KeyFlavor::V1 => "POST /v1/sessions".to_string(),
            KeyFlavor::V3 => format!(
                "POST /v3/organizations/{}/sessions",
                org.unwrap_or("{org_id}")
            ),
        }
    }

    /// The body exactly as it will be sent for this key's API generation.
    pub fn create_body(flavor: KeyFlavor, req: &CreateSessionRequest) -> Result<serde_json::Value> {
        let mut v = serde_json::to_value(req)
            .map_err(|e| Error::other(format!("cannot encode the request: {e}")))?;
        if flavor == KeyFlavor::V1 {
            // v1 knows only these fields; v3-only ones would be rejected or silently dropped.
            if let Some(obj) = v.as_object_mut() {
                obj.retain(|k, _| {
                    matches!(
                        k.as_str(),
                        "prompt"
                            | "title"
                            | "tags"
                            | "playbook_id"
                            | "knowledge_ids"
                            | "max_acu_limit"
                    )
                });
            }
        }
        Ok(v)
    }

    /// Creates a session. Retried only when the API said it did not act (429, 503).
    pub async fn create_session(&mut self, req: &CreateSessionRequest) -> Result<Session> {
        let flavor = self.flavor();
        let body = Self::create_body(flavor, req)?;
        let path = match flavor {
            KeyFlavor::V1 => "/v1/sessions".to_string(),
            KeyFlavor::V3 => {
                let org = self.org_id().await?;
                format!("/v3/organizations/{}/sessions", encode_segment(&org))
            }
        };
        self.request(Method::POST, &path, Some(&body), Idempotency::Unsafe)
            .await
    }
}

impl Client {
    /// Whether this key may create sessions: an empty create is answered 422 (invalid) when
    /// the permission check passed, 403 when it did not. No session is ever created.
    pub async fn probe_create(&mut self) -> Result<bool> {
        let org = self.org_id().await?;
        let path = format!("/v3/organizations/{}/sessions", encode_segment(&org));
        match self
            .request::<serde_json::Value>(
                Method::POST,
                &path,
                Some(&serde_json::json!({})),
                Idempotency::Unsafe,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(403) => Ok(false),
            Err(e) if matches!(e.status(), Some(400 | 422)) => Ok(true),
            Err(e) => Err(e),
        }
    }
}

/// Characters left as they are in a path segment: IDs are `org-…`, `devin-…` and the like.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// Percent-encodes one path segment so that an ID cannot change the route.
pub(crate) fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}
