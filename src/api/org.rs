//! Organization resources: `/v3/self`, organizations, knowledge notes, playbooks, schedules.
//! Bodies stay `serde_json::Value`: these commands print the API's objects as they are, and
//! updates must carry fields this version does not know.

use reqwest::Method;
use serde_json::Value;

use super::client::{Client, Idempotency, Pages};
use super::routes::{self, encode_segment};
use crate::error::{Error, Result};
use crate::pipeline::Cleared;

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
        self.request(Method::GET, routes::SELF, None, Idempotency::Safe)
            .await
    }

    pub async fn list_orgs(&self) -> Result<Vec<Value>> {
        self.paginate(routes::ENTERPRISE_ORGS, &[], Pages::Cursor, None)
            .await
    }

    async fn org_path(&mut self, kind: Kind) -> Result<String> {
        let org = self.org_id().await?;
        Ok(routes::org_resource(&org, kind.route()))
    }

    /// Every item: cursor pages for notes and playbooks, `limit`/`offset` for schedules.
    pub async fn list_resources(
        &mut self,
        kind: Kind,
        query: &[(String, String)],
    ) -> Result<Vec<Value>> {
        let path = self.org_path(kind).await?;
        let pages = if kind == Kind::Schedule {
            Pages::Offset
        } else {
            Pages::Cursor
        };
        self.paginate(&path, query, pages, None).await
    }

    pub async fn get_resource(&mut self, kind: Kind, id: &str) -> Result<Value> {
        let path = format!("{}/{}", self.org_path(kind).await?, encode_segment(id));
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
            .map_err(|e| not_found(e, kind, id))
    }

    pub async fn create_resource(&mut self, kind: Kind, body: &Cleared<Value>) -> Result<Value> {
        let path = self.org_path(kind).await?;
        self.request(Method::POST, &path, Some(body), Idempotency::Unsafe)
            .await
    }

    /// PUT for notes and playbooks (whole object), PATCH for schedules (given fields).
    pub async fn update_resource(
        &mut self,
        kind: Kind,
        id: &str,
        body: &Cleared<Value>,
    ) -> Result<Value> {
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
        let path = routes::org_resource(&org, "knowledge/folders");
        self.request(Method::GET, &path, None, Idempotency::Safe)
            .await
    }
}

/// A 404 on a resource route names the resource, and keeps the status and hints.
fn not_found(e: Error, kind: Kind, id: &str) -> Error {
    if e.status() == Some(404) {
        let msg = format!("{} {id} was not found: {}", kind.noun(), e.message());
        e.reworded(msg)
    } else {
        e
    }
}
