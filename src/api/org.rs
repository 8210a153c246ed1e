//! Organization resources: `/v3/self`, organizations, knowledge notes, playbooks, schedules.
//! Bodies stay `serde_json::Value`: these commands print the API's objects as they are, and
//! updates must carry fields this version does not know.

use reqwest::Method;
use serde_json::Value;

use super::client::{Client, Idempotency};
use super::sessions::encode_segment;
use crate::error::{Error, Result};

/// A kind of org resource: its route under the org and how people call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Note,
    Playbook,
    Schedule,
}

impl Kind {
    fn route(self) -> &'static str {
        match self {
            Kind::Note => "knowledge/notes",
            Kind::Playbook => "playbooks",
            Kind::Schedule => "schedules",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Note => "knowledge note",
            Kind::Playbook => "playbook",
            Kind::Schedule => "schedule",
        }
    }
}

impl Client {
    pub async fn whoami(&self) -> Result<Value> {
        self.request(Method::GET, "/v3/self", None, Idempotency::Safe)
            .await
    }

    pub async fn list_orgs(&self) -> Result<Vec<Value>> {
        self.paginate("/v3/enterprise/organizations", &[], None)
            .await
    }

    async fn org_path(&mut self, kind: Kind) -> Result<String> {
        let org = self.org_id().await?;
        Ok(format!(
            "/v3/organizations/{}/{}",
            encode_segment(&org),
            kind.route()
        ))
    }

    /// Every item: cursor pages for notes and playbooks, `limit`/`offset` for schedules.
    pub async fn list_resources(
        &mut self,
        kind: Kind,
        query: &[(String, String)],
    ) -> Result<Vec<Value>> {
        let path = self.org_path(kind).await?;
        if kind != Kind::Schedule {
            return self.paginate(&path, query, None).await;
        }
        const LIMIT: usize = 100;
        let mut out = Vec::new();
        loop {
            let mut q = query.to_vec();
            q.push(("limit".into(), LIMIT.to_string()));
            q.push(("offset".into(), out.len().to_string()));
            let url = Self::with_query(&path, &q);
            let page: Value = self
                .request(Method::GET, &url, None, Idempotency::Safe)
                .await?;
            let items = page
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let n = items.len();
            out.extend(items);
            let more = page
                .get("has_next_page")
                .and_then(Value::as_bool)
                .unwrap_or(n == LIMIT);
            if n == 0 || !more {
                return Ok(out);
            }
        }
    }

    pub async fn get_resource(&mut self, kind: Kind, id: &str) -> Result<Value> {
        let path = format!("{}/{}", self.org_path(kind).await?, encode_segment(id));
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, kind, id))
    }

    pub async fn create_resource(&mut self, kind: Kind, body: &Value) -> Result<Value> {
        let path = self.org_path(kind).await?;
        self.request(Method::POST, &path, Some(body), Idempotency::Unsafe)
            .await
    }

    /// PUT for notes and playbooks (whole object), PATCH for schedules (given fields).
    pub async fn update_resource(&mut self, kind: Kind, id: &str, body: &Value) -> Result<Value> {
        let path = format!("{}/{}", self.org_path(kind).await?, encode_segment(id));
        let method = if kind == Kind::Schedule {
            Method::PATCH
        } else {
            Method::PUT
        };
        self.request(method, &path, Some(body), Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, kind, id))
    }

    pub async fn delete_resource(&mut self, kind: Kind, id: &str) -> Result<Value> {
        let path = format!("{}/{}", self.org_path(kind).await?, encode_segment(id));
        self.request(Method::DELETE, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, kind, id))
    }

    pub async fn knowledge_folders(&mut self) -> Result<Value> {
        let org = self.org_id().await?;
        let path = format!(
            "/v3/organizations/{}/knowledge/folders",
            encode_segment(&org)
        );
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
    }
}

fn not_found(e: Error, kind: Kind, id: &str) -> Error {
    if e.message().contains(" 404 ") {
        Error::api(format!(
            "{} {id} was not found: {}",
            kind.noun(),
            e.message()
        ))
    } else {
        e
    }
}
