//! Every route of the API the tool uses, spelled once. Each ID is percent-encoded as one
//! path segment, so that no ID can change the route.

use super::KeyFlavor;

/// Characters left as they are in a path segment: IDs are `org-…`, `devin-…` and the like.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// Percent-encodes one path segment.
pub(crate) fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

pub(crate) const SELF: &str = "/v3/self";
pub(crate) const ENTERPRISE_ORGS: &str = "/v3/enterprise/organizations";
const V1_SESSIONS: &str = "/v1/sessions";
const V1_ATTACHMENTS: &str = "/v1/attachments";

/// `/v3/organizations/{org}`.
fn org(org: &str) -> String {
    format!("/v3/organizations/{}", encode_segment(org))
}

/// Where sessions are created (and, for v3, listed).
pub(crate) fn sessions(flavor: KeyFlavor, org_id: &str) -> String {
    match flavor {
        KeyFlavor::V1 => V1_SESSIONS.to_string(),
        KeyFlavor::V3 => format!("{}/sessions", org(org_id)),
    }
}

/// Where files are uploaded.
pub(crate) fn attachments(flavor: KeyFlavor, org_id: &str) -> String {
    match flavor {
        KeyFlavor::V1 => V1_ATTACHMENTS.to_string(),
        KeyFlavor::V3 => format!("{}/attachments", org(org_id)),
    }
}

/// One session under v1 (legacy `apk_` keys); `/message` sends to it.
pub(crate) fn v1_session(id: &str) -> String {
    format!("{V1_SESSIONS}/{}", encode_segment(id))
}

/// The v1 session list.
pub(crate) const V1_SESSION_LIST: &str = V1_SESSIONS;

/// One session; `/messages`, `/archive` and `/attachments` hang below it.
pub(crate) fn session(org_id: &str, id: &str) -> String {
    format!("{}/sessions/{}", org(org_id), encode_segment(id))
}

/// An org resource collection (`knowledge/notes`, `playbooks`, `schedules`, …).
pub(crate) fn org_resource(org_id: &str, collection: &str) -> String {
    format!("{}/{collection}", org(org_id))
}

/// How a route is shown in a dry run: the method, and `{org_id}` where the organization is
/// not known yet. Built from the same functions as the routes themselves.
pub(crate) fn shown(method: &str, route: impl Fn(&str) -> String, org_id: Option<&str>) -> String {
    // The placeholder must survive encoding: build with a marker, then put it back.
    const MARK: &str = "ORGIDPLACEHOLDER";
    let path = route(org_id.unwrap_or(MARK)).replace(MARK, "{org_id}");
    format!("{method} {path}")
}
