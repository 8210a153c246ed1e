//! Session routes: create (v3, or v1 for legacy keys), get, list, messages, send,
//! archive, terminate, attachments and downloads.

use reqwest::Method;

use super::client::{Client, Idempotency, Pages};
use super::routes;
use super::types::{Attachment, CreateSessionRequest, Message, Session};
use super::KeyFlavor;
use crate::error::{Error, Result};
use crate::pipeline::Cleared;

impl Client {
    /// The route a create would use, for dry runs and messages.
    pub fn create_route(flavor: KeyFlavor, org: Option<&str>) -> String {
        routes::shown("POST", |o| routes::sessions(flavor, o), org)
    }

    /// The body exactly as it will be sent for this key's API generation.
    pub fn create_body(flavor: KeyFlavor, req: &CreateSessionRequest) -> Result<serde_json::Value> {
        let mut v = serde_json::to_value(req)
            .map_err(|e| Error::other(format!("cannot encode the request: {e}")))?;
        if flavor == KeyFlavor::V3 {
            if let Some(obj) = v.as_object_mut() {
                obj.remove("idempotent");
            }
        }
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
                            | "idempotent"
                    )
                });
            }
        }
        Ok(v)
    }

    /// Creates a session. Retried only when the API said it did not act (429, 503).
    pub async fn create_session(&mut self, req: &Cleared<CreateSessionRequest>) -> Result<Session> {
        let flavor = self.flavor();
        let body = req.create_body(flavor)?;
        let org = match flavor {
            KeyFlavor::V1 => String::new(),
            KeyFlavor::V3 => self.org_id().await?,
        };
        let path = routes::sessions(flavor, &org);
        self.request(Method::POST, &path, Some(&body), Idempotency::Unsafe)
            .await
    }
}

impl Client {
    /// Whether the key may read the organization's sessions, by listing at most one: a
    /// diagnostic only reads. `false` on 403.
    pub async fn probe_read(&mut self) -> Result<bool> {
        match self.list_sessions(&SessionFilter::default(), Some(1)).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(403) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Normalises a session reference: bare, `devin-` prefixed, or the web URL.
pub fn session_id(input: &str) -> Result<String> {
    let t = input.trim().trim_end_matches('/');
    let last = if t.contains("://") {
        let url = url::Url::parse(t).map_err(|_| bad_id(input))?;
        url.path_segments()
            .and_then(|mut s| s.rfind(|x| !x.is_empty()))
            .ok_or_else(|| bad_id(input))?
            .to_string()
    } else {
        t.to_string()
    };
    let bare = last.strip_prefix("devin-").unwrap_or(&last);
    if bare.is_empty()
        || !bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad_id(input));
    }
    Ok(format!("devin-{bare}"))
}

fn bad_id(input: &str) -> Error {
    Error::usage(format!("{input:?} is not a session ID"))
        .hint("give the ID (devin-…, or without the prefix) or the session's web URL")
}

/// Filters for `sessions list`.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub tags: Vec<String>,
    pub repos: Vec<String>,
    pub session_ids: Vec<String>,
}

impl Client {
    async fn session_path(&mut self, id: &str) -> Result<String> {
        let org = self.org_id().await?;
        Ok(routes::session(&org, id))
    }

    pub async fn get_session(&mut self, id: &str) -> Result<Session> {
        if self.flavor() == KeyFlavor::V1 {
            return Ok(self.get_v1(id).await?.into_session());
        }
        let path = self.session_path(id).await?;
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, id))
    }

    pub async fn list_sessions(
        &mut self,
        filter: &SessionFilter,
        limit: Option<usize>,
    ) -> Result<Vec<Session>> {
        if self.flavor() == KeyFlavor::V1 {
            return self.list_v1(filter, limit).await;
        }
        let org = self.org_id().await?;
        let mut q = Vec::new();
        for t in &filter.tags {
            q.push(("tags".to_string(), t.clone()));
        }
        for r in &filter.repos {
            q.push(("repo_names".to_string(), r.clone()));
        }
        for s in &filter.session_ids {
            q.push(("session_ids".to_string(), s.clone()));
        }
        let path = routes::sessions(KeyFlavor::V3, &org);
        self.paginate(&path, &q, Pages::Cursor, limit).await
    }

    pub async fn list_messages(&mut self, id: &str) -> Result<Vec<Message>> {
        if self.flavor() == KeyFlavor::V1 {
            return Ok(self.get_v1(id).await?.messages());
        }
        let path = format!("{}/messages", self.session_path(id).await?);
        self.paginate(&path, &[], Pages::Cursor, None)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// The messages from the page at cursor `after` on (all of them from `None`), and the
    /// cursor of the last page read: the API gives no cursor past the last page, so the next
    /// call resumes there, reading that one page again and whatever came after it.
    pub async fn messages_from(
        &mut self,
        id: &str,
        after: Option<String>,
    ) -> Result<(Vec<Message>, Option<String>)> {
        if self.flavor() == KeyFlavor::V1 {
            return Ok((self.get_v1(id).await?.messages(), None));
        }
        let path = format!("{}/messages", self.session_path(id).await?);
        let mut out = Vec::new();
        let mut at = after;
        loop {
            let mut q = vec![("first".to_string(), "100".to_string())];
            q.extend(at.iter().map(|a| ("after".to_string(), a.clone())));
            let url = Self::with_query(&path, &q);
            let page: super::types::Page<Message> = self
                .request(Method::GET, &url, None, Idempotency::Safe)
                .await
                .map_err(|e| not_found(e, id))?;
            out.extend(page.items);
            match (page.has_next_page, page.end_cursor) {
                (Some(true), Some(c)) if at.as_deref() != Some(c.as_str()) => at = Some(c),
                _ => return Ok((out, at)),
            }
        }
    }

    /// Sends a message. Any 2xx means it was sent, whatever the answer's shape: decoding it
    /// as a session and failing would make the user send it again.
    pub async fn send_message(
        &mut self,
        id: &str,
        message: &Cleared<serde_json::Value>,
    ) -> Result<Option<Session>> {
        let path = match self.flavor() {
            KeyFlavor::V1 => format!("{}/message", routes::v1_session(id)),
            KeyFlavor::V3 => format!("{}/messages", self.session_path(id).await?),
        };
        let answer: serde_json::Value = self
            .request(Method::POST, &path, Some(message), Idempotency::Unsafe)
            .await
            .map_err(|e| not_found(e, id))?;
        Ok(serde_json::from_value(answer).ok())
    }

    /// `GET /v1/sessions/{id}`: the session with its messages embedded.
    async fn get_v1(&mut self, id: &str) -> Result<super::v1::V1Session> {
        let path = routes::v1_session(id);
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// `GET /v1/sessions` (`limit`/`offset` pages of `{sessions}`), filtered here by the
    /// filters v1 does not take.
    async fn list_v1(
        &mut self,
        filter: &SessionFilter,
        limit: Option<usize>,
    ) -> Result<Vec<Session>> {
        const PAGE: usize = 100;
        let mut out: Vec<Session> = Vec::new();
        for page in 0.. {
            let mut q = vec![
                ("limit".to_string(), PAGE.to_string()),
                ("offset".to_string(), (page * PAGE).to_string()),
            ];
            q.extend(filter.tags.iter().map(|t| ("tags".to_string(), t.clone())));
            let path = Self::with_query(routes::V1_SESSION_LIST, &q);
            let list: super::v1::V1List = self
                .request(Method::GET, &path, None, Idempotency::Safe)
                .await?;
            let n = list.sessions.len();
            out.extend(
                list.sessions
                    .into_iter()
                    .map(super::v1::V1Session::into_session)
                    .filter(|s| {
                        filter.session_ids.is_empty() || filter.session_ids.contains(&s.session_id)
                    }),
            );
            if n < PAGE || limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        if let Some(l) = limit {
            out.truncate(l);
        }
        Ok(out)
    }

    /// Routes v1 does not have: say so (exit 2) instead of failing on `/v3/self`.
    fn v3_only(&self, what: &str) -> Result<()> {
        if self.flavor() == KeyFlavor::V1 {
            return Err(Error::usage(format!(
                "{what} needs a v3 key: the legacy v1 API (apk_ keys) has no such route"
            ))
            .hint("create a service-user key (cog_…) in Settings > Service users"));
        }
        Ok(())
    }

    pub async fn archive_session(&mut self, id: &str) -> Result<Session> {
        self.v3_only("archiving a session")?;
        let path = format!("{}/archive", self.session_path(id).await?);
        self.request(Method::POST, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, id))
    }

    pub async fn terminate_session(&mut self, id: &str) -> Result<Session> {
        self.v3_only("terminating a session")?;
        let path = self.session_path(id).await?;
        self.request(Method::DELETE, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// The session's attachments; the API answers a bare array (the guide shows `items`).
    pub async fn list_attachments(&mut self, id: &str) -> Result<Vec<Attachment>> {
        self.v3_only("listing attachments")?;
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Bare(Vec<Attachment>),
            Wrapped { items: Vec<Attachment> },
        }
        let path = format!("{}/attachments", self.session_path(id).await?);
        let e: Either = self
            .request(Method::GET, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, id))?;
        Ok(match e {
            Either::Bare(v) | Either::Wrapped { items: v } => v,
        })
    }
}

/// A 404 on a session route names the session.
fn not_found(e: Error, id: &str) -> Error {
    if e.status() == Some(404) {
        let msg = format!("session {id} was not found: {}", e.message());
        // One hint, about the session, in place of the route's generic one.
        e.without_hints()
            .reworded(msg)
            .hint("check the ID, and that DEVIN_ORG_ID is the organization it belongs to")
    } else {
        e
    }
}

impl Client {
    /// Starts downloading an attachment. The key is sent only to the API's own origin; the
    /// 307 it answers with goes to a presigned URL elsewhere, fetched without it.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response> {
        let target = url::Url::parse(url)
            .map_err(|e| Error::api(format!("the attachment URL {url:?} is not valid: {e}")))?;
        let ours = target.origin() == self.base_origin();
        let mut resp = if ours {
            self.raw_get(&target, true).await?
        } else {
            self.raw_get(&target, false).await?
        };
        let mut hops = 0;
        while resp.status().is_redirection() {
            hops += 1;
            if hops > 5 {
                return Err(Error::api(format!("too many redirects downloading {url}")));
            }
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| target.join(l).ok())
                .ok_or_else(|| {
                    Error::api(format!("a redirect without a location downloading {url}"))
                })?;
            let with_key = next.origin() == self.base_origin();
            resp = self.raw_get(&next, with_key).await?;
        }
        if !resp.status().is_success() {
            return Err(Error::api(format!(
                "downloading {url} failed: {}",
                resp.status()
            )));
        }
        Ok(resp)
    }
}
