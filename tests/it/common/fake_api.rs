//! A fake Devin API on loopback: validates requests like the real one, records them, and can
//! inject faults (status codes, hangs, malformed bodies, redirects).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A scripted answer for the next request matching `method` and `path_suffix`.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, optional `Retry-After`, and body.
    Status(u16, Option<String>, String),
    /// Accept the request and never answer.
    Hang,
    /// 200 with a body that is not JSON.
    Malformed,
    /// 307 to this location.
    Redirect(String),
    /// 200 with a body of this many bytes, streamed (a runaway server).
    Huge(usize),
    /// 200 with this JSON body.
    Json(Value),
    /// 200 whose body breaks off after a few bytes (the connection is reset).
    Reset,
    /// 200 whose JSON body comes one byte at a time, this long apart (a slowloris).
    Drip(Duration),
    /// 200 with an empty body.
    Empty,
    /// Wait this long, then answer as usual.
    Slow(Duration),
    /// Carry the request out, then answer 502 (the answer is lost on the way back).
    LoseAnswer,
    /// Answer with this status and a problem body that echoes the request's headers, the
    /// `Authorization` header included (a hostile or broken API).
    EchoHeaders(u16),
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub url: String,
}

#[derive(Debug, Default)]
struct Inner {
    /// Repositories connected to the organization; `None`: any is accepted.
    connected_repos: Option<Vec<String>>,
    uploads: Vec<Upload>,
    base_url: String,
    requests: Vec<Recorded>,
    faults: VecDeque<(String, String, Fault)>,
    sessions_created: usize,
    /// Scripted states per session: each GET shows the next; the last one stays.
    sessions: std::collections::HashMap<String, VecDeque<Value>>,
    messages: std::collections::HashMap<String, Vec<Value>>,
    attachments: std::collections::HashMap<String, Vec<(String, Vec<u8>)>>,
    /// Where attachment downloads redirect to (another origin), if set.
    redirect_base: Option<String>,
    /// Org resources by route ("knowledge/notes", "playbooks", "schedules"), in creation order.
    resources: std::collections::HashMap<String, Vec<Value>>,
}

#[derive(Clone)]
struct AppState {
    inner: Arc<Mutex<Inner>>,
    org: String,
}

/// A running fake API. Dropping it stops the server.
pub struct FakeApi {
    pub addr: SocketAddr,
    pub org: String,
    inner: Arc<Mutex<Inner>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl FakeApi {
    pub fn start() -> FakeApi {
        Self::start_with_org("org-test123")
    }

    pub fn start_with_org(org: &str) -> FakeApi {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = AppState {
            inner: inner.clone(),
            org: org.to_string(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind loopback");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                let app = axum::Router::new()
                    .fallback(handle)
                    .layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024))
                    .with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("server started");
        inner.lock().expect("lock").base_url = format!("http://{addr}");
        FakeApi {
            addr,
            org: org.to_string(),
            inner,
            _shutdown: tx,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Scripts the next request whose method matches and whose path ends with `path_suffix`.
    pub fn push_fault(&self, method: &str, path_suffix: &str, fault: Fault) {
        self.inner.lock().expect("lock").faults.push_back((
            method.to_string(),
            path_suffix.to_string(),
            fault,
        ));
    }

    /// Only these repositories are connected to the organization: a create naming another
    /// in `repos` is refused (422, field errors).
    pub fn connect_repos(&self, repos: &[&str]) {
        self.inner.lock().expect("lock").connected_repos =
            Some(repos.iter().map(|r| r.to_string()).collect());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().expect("lock").requests.clone()
    }

    /// A session that exists, shown as each of `states` in turn (fields merged over a default).
    pub fn add_session(&self, id: &str, states: &[Value]) {
        let base = session_json(id, &self.org, &json!({}));
        let states: VecDeque<Value> = states
            .iter()
            .map(|st| {
                let mut b = base.clone();
                if let (Some(o), Some(add)) = (b.as_object_mut(), st.as_object()) {
                    for (k, v) in add {
                        o.insert(k.clone(), v.clone());
                    }
                }
                b
            })
            .collect();
        self.inner
            .lock()
            .expect("lock")
            .sessions
            .insert(id.to_string(), states);
    }

    pub fn add_message(&self, id: &str, source: &str, text: &str) {
        let mut inner = self.inner.lock().expect("lock");
        let list = inner.messages.entry(id.to_string()).or_default();
        let n = list.len() + 1;
        list.push(json!({"event_id": format!("evt_{n}"), "created_at": 1767225700 + n as i64, "message": text, "source": source}));
    }

    pub fn add_attachment(&self, id: &str, name: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .expect("lock")
            .attachments
            .entry(id.to_string())
            .or_default()
            .push((name.to_string(), bytes.to_vec()));
    }

    /// Attachment downloads answer 307 to this other server, as the real API does.
    pub fn redirect_downloads_to(&self, other: &FakeApi) {
        self.inner.lock().expect("lock").redirect_base = Some(other.url());
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.inner.lock().expect("lock").uploads.clone()
    }

    pub fn sessions_created(&self) -> usize {
        self.inner.lock().expect("lock").sessions_created
    }

    /// The bodies of successful-or-not session creates, in order.
    pub fn create_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/sessions"))
            .collect()
    }
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    (
        status,
        [("content-type", "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let rec = Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    };
    let fault = {
        let mut inner = state.inner.lock().expect("lock");
        inner.requests.push(rec.clone());
        let pos = inner
            .faults
            .iter()
            .position(|(m, p, _)| *m == rec.method && path.ends_with(p.as_str()));
        pos.and_then(|i| inner.faults.remove(i)).map(|(_, _, f)| f)
    };
    if let Some(Fault::Slow(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let lose_answer = matches!(fault, Some(Fault::LoseAnswer));
    if let Some(f) = fault.filter(|f| !matches!(f, Fault::Slow(_) | Fault::LoseAnswer)) {
        return match f {
            Fault::Status(code, retry_after, body) => {
                let mut resp = (
                    StatusCode::from_u16(code).expect("status"),
                    [("content-type", "application/json")],
                    body,
                )
                    .into_response();
                if let Some(ra) = retry_after {
                    resp.headers_mut()
                        .insert("retry-after", ra.parse().expect("header"));
                }
                resp
            }
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::GATEWAY_TIMEOUT.into_response()
            }
            Fault::Malformed => (StatusCode::OK, "{\"session_id\": ").into_response(),
            Fault::Redirect(loc) => {
                (StatusCode::TEMPORARY_REDIRECT, [("location", loc)], "").into_response()
            }
            Fault::Huge(n) => {
                let chunk = Bytes::from(vec![b' '; 1 << 20]);
                let count = n.div_ceil(1 << 20);
                let stream = futures_util::stream::iter(
                    (0..count).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response()
            }
            Fault::Json(v) => axum::Json(v).into_response(),
            Fault::Drip(every) => {
                const BODY: &[u8] = b"{\"session_id\": \"devin-drip\", \"status\": \"running\"}";
                let stream = futures_util::stream::unfold(0usize, move |i| async move {
                    if i >= BODY.len() {
                        return None;
                    }
                    tokio::time::sleep(every).await;
                    Some((
                        Ok::<_, std::io::Error>(Bytes::from_static(&BODY[i..=i])),
                        i + 1,
                    ))
                });
                (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response()
            }
            Fault::Empty => StatusCode::OK.into_response(),
            Fault::EchoHeaders(code) => {
                let auth = rec.authorization.clone().unwrap_or_default();
                let body = serde_json::json!({
                    "detail": format!("rejected request with Authorization: {auth}"),
                    "session_id": "devin-echo",
                    "title": auth,
                    "status": "running",
                });
                (
                    StatusCode::from_u16(code).expect("status"),
                    axum::Json(body),
                )
                    .into_response()
            }
            Fault::Slow(_) | Fault::LoseAnswer => unreachable!("handled above"),
            Fault::Reset => {
                let parts: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(Bytes::from_static(b"{\"session_id\": \"devin-")),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "reset",
                    )),
                ];
                (
                    StatusCode::OK,
                    [("content-length", "500")],
                    axum::body::Body::from_stream(futures_util::stream::iter(parts)),
                )
                    .into_response()
            }
        };
    }

    // Authentication, as the real API does it: v3 takes only cog_ keys, v1 only apk_ keys.
    let token = rec
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("");
    let v1 = path.starts_with("/v1/");
    let key_ok = if v1 {
        token.starts_with("apk_") && token.len() > 8
    } else {
        token.starts_with("cog_") && token.len() > 8
    };
    // The presigned download host takes no Authorization at all.
    if path.starts_with("/blob/") {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        if let ["blob", uuid, name] = segments.as_slice() {
            return blob(&state, uuid, name);
        }
    }
    if token.contains("invalid") || !key_ok {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Invalid or expired API key",
        );
    }
    if token.contains("noperm") {
        return problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Missing permission ManageOrgSessions",
        );
    }

    let resp = route(state.clone(), method, path.clone(), rec.clone()).await;
    if lose_answer {
        // Done, but the answer is lost on the way back.
        return problem(StatusCode::BAD_GATEWAY, "Bad Gateway", "upstream went away");
    }
    resp
}

async fn route(state: AppState, method: Method, path: String, rec: Recorded) -> Response {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["v3", "self"]) => axum::Json(json!({
            "principal_type": "service_user",
            "service_user_id": "service-user-1",
            "service_user_name": "ci-bot",
            "org_id": state.org,
        }))
        .into_response(),
        ("POST", ["v3", "organizations", org, "sessions"]) => {
            if *org != state.org {
                return problem(StatusCode::NOT_FOUND, "Not Found", "Organization not found");
            }
            create_session(&state, &rec, false)
        }
        ("POST", ["v1", "sessions"]) => create_session(&state, &rec, true),
        ("GET", ["v1", "sessions", id]) => v1_session(&state, id),
        ("GET", ["v1", "sessions"]) => v1_list(&state),
        ("POST", ["v1", "sessions", id, "message"]) => v1_message(&state, id, &rec),
        (_, ["v3", "organizations", org, "sessions", rest @ ..]) if !rest.is_empty() => {
            if *org != state.org {
                return problem(StatusCode::NOT_FOUND, "Not Found", "Organization not found");
            }
            session_route(&state, &method, rest, &rec)
        }
        ("GET", ["v3", "organizations", org, "sessions"]) if *org == state.org => {
            list_sessions(&state, &rec)
        }
        ("GET", ["v3", "enterprise", "organizations"]) => {
            let orgs = vec![
                json!({"org_id": "org-a", "name": "Alpha", "created_at": 1, "updated_at": 1}),
                json!({"org_id": "org-b", "name": "Beta", "created_at": 1, "updated_at": 1}),
                json!({"org_id": "org-c", "name": "Gamma", "created_at": 1, "updated_at": 1}),
            ];
            page(&orgs, &rec)
        }
        ("GET", ["v3", "organizations", org, "knowledge", "folders"]) if *org == state.org => {
            axum::Json(json!({
                "folders": [{"folder_id": "folder-1", "name": "Backend", "note_count": 1, "path": "/Backend", "parent_folder_id": null}],
                "root_note_count": 0
            }))
            .into_response()
        }
        (m, ["v3", "organizations", org, "knowledge", "notes", rest @ ..]) if *org == state.org => {
            resource(&state, m, "knowledge/notes", rest, &rec)
        }
        (m, ["v3", "organizations", org, "playbooks", rest @ ..]) if *org == state.org => {
            resource(&state, m, "playbooks", rest, &rec)
        }
        (m, ["v3", "organizations", org, "schedules", rest @ ..]) if *org == state.org => {
            resource(&state, m, "schedules", rest, &rec)
        }
        ("GET", ["v3", "organizations", _, "attachments", uuid, name]) => {
            download(&state, uuid, name)
        }
        ("GET", ["blob", uuid, name]) => blob(&state, uuid, name),
        ("POST", ["v3", "organizations", org, "attachments"]) => {
            if *org != state.org {
                return problem(StatusCode::NOT_FOUND, "Not Found", "Organization not found");
            }
            upload(&state, &rec, false).await
        }
        ("POST", ["v1", "attachments"]) => upload(&state, &rec, true).await,
        _ => problem(StatusCode::NOT_FOUND, "Not Found", "No such route"),
    }
}

fn session_json(id: &str, org: &str, body: &Value) -> Value {
    let n = id.trim_start_matches("devin-");
    json!({
        "session_id": id,
        "url": format!("https://app.devin.ai/sessions/{n}"),
        "status": "new",
        "tags": body.get("tags").cloned().unwrap_or(json!([])),
        "org_id": org,
        "created_at": 1767225600,
        "updated_at": 1767225600,
        "acus_consumed": 0.0,
        "pull_requests": [],
        "title": body.get("title").cloned().unwrap_or(Value::Null),
        "is_archived": false,
        "origin": "api",
    })
}

/// A session in v1's shape (§13 of the reference): `status_enum`, ISO-8601 times, one
/// `pull_request`, messages embedded.
fn v1_shape(inner: &Inner, v3: &Value) -> Value {
    let id = v3["session_id"].as_str().unwrap_or_default();
    let status_enum = match (v3["status"].as_str(), v3["status_detail"].as_str()) {
        (Some("running"), Some("waiting_for_user" | "waiting_for_approval")) => "blocked",
        (Some("running"), Some("finished")) | (Some("exit"), _) => "finished",
        (Some("error"), _) => "error",
        (Some("suspended"), Some("inactivity")) => "expired",
        (Some("suspended"), _) => "suspend_requested",
        _ => "working",
    };
    let iso = |t: &Value| {
        t.as_i64()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
    };
    let messages: Vec<Value> = inner
        .messages
        .get(id)
        .into_iter()
        .flatten()
        .map(|m| {
            let user = m["source"] == "user";
            json!({
                "type": if user { "user_message" } else { "devin_message" },
                "message": m["message"],
                "timestamp": iso(&m["created_at"]),
                "origin": if user { "web" } else { "devin" },
            })
        })
        .collect();
    json!({
        "session_id": id,
        "status": status_enum,
        "status_enum": status_enum,
        "title": v3["title"],
        "created_at": iso(&v3["created_at"]),
        "updated_at": iso(&v3["updated_at"]),
        "pull_request": v3["pull_requests"].get(0).map(|p| json!({"url": p["pr_url"]})),
        "structured_output": v3.get("structured_output").cloned().unwrap_or(Value::Null),
        "messages": messages,
    })
}

fn v1_session(state: &AppState, id: &str) -> Response {
    let mut inner = state.inner.lock().expect("lock");
    match current(&mut inner, id) {
        Some(v3) => axum::Json(v1_shape(&inner, &v3)).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Not Found", "Session not found"),
    }
}

fn v1_list(state: &AppState) -> Response {
    let inner = state.inner.lock().expect("lock");
    let sessions: Vec<Value> = inner
        .sessions
        .values()
        .filter_map(|q| q.front())
        .map(|v3| v1_shape(&inner, v3))
        .collect();
    axum::Json(json!({ "sessions": sessions })).into_response()
}

fn v1_message(state: &AppState, id: &str, rec: &Recorded) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&rec.body) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable",
            "invalid JSON",
        );
    };
    let Some(text) = body["message"].as_str() else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable",
            "message required",
        );
    };
    let mut inner = state.inner.lock().expect("lock");
    if !inner.sessions.contains_key(id) {
        return problem(StatusCode::NOT_FOUND, "Not Found", "Session not found");
    }
    let list = inner.messages.entry(id.to_string()).or_default();
    let n = list.len() + 1;
    list.push(json!({"event_id": format!("evt_{n}"), "created_at": 1767225700 + n as i64, "message": text, "source": "user"}));
    // v1 answers with a bare acknowledgement, not a session.
    axum::Json(json!({"detail": "Message sent"})).into_response()
}

fn current(inner: &mut Inner, id: &str) -> Option<Value> {
    let q = inner.sessions.get_mut(id)?;
    if q.len() > 1 {
        q.pop_front()
    } else {
        q.front().cloned()
    }
}

fn session_route(state: &AppState, method: &Method, rest: &[&str], rec: &Recorded) -> Response {
    let mut inner = state.inner.lock().expect("lock");
    let id = rest[0].to_string();
    if !inner.sessions.contains_key(&id) {
        return problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("Session {id} not found"),
        );
    }
    match (method.as_str(), &rest[1..]) {
        ("GET", []) => axum::Json(current(&mut inner, &id).unwrap_or(Value::Null)).into_response(),
        ("DELETE", []) | ("POST", ["archive"]) => {
            let mut s = inner.sessions[&id].back().cloned().unwrap_or(Value::Null);
            if method.as_str() == "DELETE" {
                s["status"] = json!("exit");
            } else {
                s["is_archived"] = json!(true);
            }
            inner.sessions.insert(id, VecDeque::from([s.clone()]));
            axum::Json(s).into_response()
        }
        ("GET", ["messages"]) => {
            let all = inner.messages.get(&id).cloned().unwrap_or_default();
            // Two per page, to make clients walk the cursor.
            let q: std::collections::HashMap<String, String> = rec
                .query
                .as_deref()
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default();
            let start: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
            let Some(size) = page_size(&q) else {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Unprocessable Entity",
                    "first must be between 1 and 200",
                );
            };
            let end = (start + size).min(all.len());
            let more = end < all.len();
            axum::Json(json!({"items": all[start.min(end)..end], "end_cursor": more.then(|| end.to_string()), "has_next_page": more, "total": null})).into_response()
        }
        ("POST", ["messages"]) => {
            let Ok(body) = serde_json::from_slice::<Value>(&rec.body) else {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Unprocessable",
                    "invalid JSON",
                );
            };
            if body
                .get("message")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Unprocessable",
                    "message is required",
                );
            }
            let list = inner.messages.entry(id.clone()).or_default();
            let n = list.len() + 1;
            list.push(json!({"event_id": format!("evt_{n}"), "created_at": 1767225700, "message": body["message"], "source": "user"}));
            let s = inner.sessions[&id].back().cloned().unwrap_or(Value::Null);
            axum::Json(s).into_response()
        }
        ("GET", ["attachments"]) => {
            let base = inner.base_url.clone();
            let items: Vec<Value> = inner
                .attachments
                .get(&id)
                .map(|v| {
                    v.iter()
                        .enumerate()
                        .map(|(i, (name, _))| json!({"attachment_id": format!("att-{i}"), "name": name, "url": format!("{base}/v3/organizations/{}/attachments/{id}~{i}/{}", state.org, url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()), "source": "devin", "content_type": "text/plain"}))
                        .collect()
                })
                .unwrap_or_default();
            axum::Json(Value::Array(items)).into_response()
        }
        _ => problem(StatusCode::NOT_FOUND, "Not Found", "No such route"),
    }
}

fn list_sessions(state: &AppState, rec: &Recorded) -> Response {
    let mut inner = state.inner.lock().expect("lock");
    let q: Vec<(String, String)> = rec
        .query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let tags: Vec<&String> = q
        .iter()
        .filter(|(k, _)| k == "tags")
        .map(|(_, v)| v)
        .collect();
    let mut ids: Vec<String> = inner.sessions.keys().cloned().collect();
    ids.sort();
    let all: Vec<Value> = ids
        .iter()
        .filter_map(|id| inner.sessions.get(id).and_then(|q| q.back().cloned()))
        .filter(|s| {
            tags.iter().all(|t| {
                s["tags"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(t.as_str())))
            })
        })
        .collect();
    let start: usize = q
        .iter()
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let end = (start + 2).min(all.len());
    let more = end < all.len();
    let _ = &mut inner;
    axum::Json(json!({"items": all[start.min(end)..end], "end_cursor": more.then(|| end.to_string()), "has_next_page": more})).into_response()
}

fn download(state: &AppState, uuid: &str, name: &str) -> Response {
    let inner = state.inner.lock().expect("lock");
    match &inner.redirect_base {
        Some(base) => (
            StatusCode::TEMPORARY_REDIRECT,
            [("location", format!("{base}/blob/{uuid}/{name}"))],
            "",
        )
            .into_response(),
        None => {
            drop(inner);
            blob(state, uuid, name)
        }
    }
}

fn blob(state: &AppState, uuid: &str, _name: &str) -> Response {
    // Downloads are looked up in this server's own store, keyed `session~index`.
    let inner = state.inner.lock().expect("lock");
    let Some((id, i)) = uuid.split_once('~') else {
        return problem(StatusCode::NOT_FOUND, "Not Found", "no such blob");
    };
    let i: usize = i.parse().unwrap_or(usize::MAX);
    match inner.attachments.get(id).and_then(|v| v.get(i)) {
        Some((_, bytes)) => (StatusCode::OK, bytes.clone()).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Not Found", "no such blob"),
    }
}

/// `SessionCreateRequest`'s fields, from the reference (§3.1), not from the client.
const V3_CREATE_FIELDS: &[&str] = &[
    "prompt",
    "title",
    "tags",
    "playbook_id",
    "child_playbook_id",
    "knowledge_ids",
    "secret_ids",
    "session_secrets",
    "repos",
    "attachment_urls",
    "session_links",
    "max_acu_limit",
    "bypass_approval",
    "create_as_user_id",
    "devin_mode",
    "platform",
    "structured_output_schema",
    "structured_output_required",
    "resumable",
    "devin_id",
];

/// A 422 in the newer problem format: `detail: null` and the field errors in `errors[]`.
fn field_problem(errors: Value) -> Response {
    let body = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": null, "errors": errors});
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [("content-type", "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// What the reference says a v3 create must satisfy: known fields only, and `repos` naming
/// repositories connected to the organization (when the test connected any).
fn check_v3_create(state: &AppState, body: &Value) -> Option<Response> {
    let unknown: Vec<Value> = body
        .as_object()?
        .keys()
        .filter(|k| !V3_CREATE_FIELDS.contains(&k.as_str()))
        .map(|k| json!({"loc": ["body", k], "msg": "Extra inputs are not permitted"}))
        .collect();
    if !unknown.is_empty() {
        return Some(field_problem(Value::Array(unknown)));
    }
    // `structured_output_schema`: an object of at most 64 KB (§3.1).
    if let Some(schema) = body
        .get("structured_output_schema")
        .filter(|s| !s.is_null())
    {
        if !schema.is_object() || schema.to_string().len() > 64 * 1024 {
            return Some(field_problem(
                json!([{"loc": ["body", "structured_output_schema"], "msg": "must be a JSON Schema object of at most 64 KB"}]),
            ));
        }
    }
    // `session_secrets`: `[{key (1-256 chars), value (at most 65536), sensitive?}]` (§3.1).
    if let Some(secrets) = body.get("session_secrets").filter(|s| !s.is_null()) {
        let ok = secrets.as_array().is_some_and(|items| {
            items.iter().all(|i| {
                let key = i["key"].as_str().map_or(0, |k| k.chars().count());
                let value = i["value"].as_str().map(|v| v.chars().count());
                (1..=256).contains(&key)
                    && value.is_some_and(|v| v <= 65536)
                    && (i.get("sensitive").is_none() || i["sensitive"].is_boolean())
            })
        });
        if !ok {
            return Some(field_problem(
                json!([{"loc": ["body", "session_secrets"], "msg": "invalid session secret"}]),
            ));
        }
    }
    let connected = state.inner.lock().expect("lock").connected_repos.clone();
    if let (Some(connected), Some(repos)) = (connected, body.get("repos").and_then(Value::as_array))
    {
        let bad: Vec<Value> = repos
            .iter()
            .filter_map(Value::as_str)
            .filter(|r| !connected.iter().any(|c| c == r))
            .map(|r| json!({"pointer": "/repos", "detail": format!("{r} is not connected to this organization")}))
            .collect();
        if !bad.is_empty() {
            return Some(field_problem(Value::Array(bad)));
        }
    }
    None
}

fn create_session(state: &AppState, rec: &Recorded, v1: bool) -> Response {
    if rec
        .content_type
        .as_deref()
        .is_none_or(|c| !c.starts_with("application/json"))
    {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported",
            "expected JSON",
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(&rec.body) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"detail": [{"loc": ["body"], "msg": "invalid JSON", "type": "json_invalid"}]})),
        )
            .into_response();
    };
    if !v1 {
        if let Some(resp) = check_v3_create(state, &body) {
            return resp;
        }
    }
    let prompt_ok = body
        .get("prompt")
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty());
    if !prompt_ok {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"detail": [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]})),
        )
            .into_response();
    }
    let n = {
        let mut inner = state.inner.lock().expect("lock");
        inner.sessions_created += 1;
        inner.sessions_created
    };
    let id = format!("devin-{n:04}abcd");
    {
        let mut inner = state.inner.lock().expect("lock");
        // A created session goes new -> running -> exit with a PR, one step per GET.
        let s = session_json(&id, &state.org, &body);
        let mut running = s.clone();
        running["status"] = json!("running");
        running["status_detail"] = json!("working");
        let mut done = s.clone();
        done["status"] = json!("exit");
        done["pull_requests"] =
            json!([{"pr_url": "https://github.com/acme/widget/pull/1", "pr_state": "open"}]);
        inner
            .sessions
            .entry(id.clone())
            .or_insert_with(|| VecDeque::from([s, running, done]));
    }
    if v1 {
        return axum::Json(json!({
            "session_id": id,
            "url": format!("https://app.devin.ai/sessions/{n:04}abcd"),
            "is_new_session": true,
        }))
        .into_response();
    }
    axum::Json(json!({
        "session_id": id,
        "url": format!("https://app.devin.ai/sessions/{n:04}abcd"),
        "status": "new",
        "tags": body.get("tags").cloned().unwrap_or(json!([])),
        "org_id": state.org,
        "created_at": 1767225600,
        "updated_at": 1767225600,
        "acus_consumed": 0.0,
        "pull_requests": [],
        "title": body.get("title").cloned().unwrap_or(Value::Null),
        "is_archived": false,
        "origin": "api",
    }))
    .into_response()
}

/// Multipart upload, as the real API takes it: one part named `file`.
async fn upload(state: &AppState, rec: &Recorded, v1: bool) -> Response {
    let Some(boundary) = rec
        .content_type
        .as_deref()
        .and_then(|c| multer::parse_boundary(c).ok())
    else {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported",
            "expected multipart/form-data",
        );
    };
    let body = rec.body.clone();
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(body)) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut found = None;
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return problem(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "broken multipart body",
            );
        };
        if name == "file" {
            found = Some((name, file_name, bytes.to_vec()));
        }
    }
    let Some((field, file_name, bytes)) = found else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"detail": [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]})),
        )
            .into_response();
    };
    let mut inner = state.inner.lock().expect("lock");
    let n = inner.uploads.len() + 1;
    let url = format!(
        "{}/v3/organizations/{}/attachments/uuid-{n}/{file_name}",
        inner.base_url, state.org
    );
    inner.uploads.push(Upload {
        field,
        file_name: file_name.clone(),
        bytes,
        url: url.clone(),
    });
    if v1 {
        return axum::Json(json!(url)).into_response();
    }
    axum::Json(json!({"attachment_id": format!("att-{n}"), "name": file_name, "url": url}))
        .into_response()
}

/// The page size: `first` (1 to 200, §0), at most two here so that clients must walk the
/// cursor; a `first` out of range is refused.
fn page_size(q: &std::collections::HashMap<String, String>) -> Option<usize> {
    match q.get("first") {
        None => Some(2),
        Some(f) => f
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .map(|n| n.min(2)),
    }
}

fn query_map(rec: &Recorded) -> std::collections::HashMap<String, String> {
    rec.query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// Cursor pages of two items, to make clients walk them.
fn page(items: &[Value], rec: &Recorded) -> Response {
    let q = query_map(rec);
    let start: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let Some(size) = page_size(&q) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "first must be between 1 and 200",
        );
    };
    let end = (start + size).min(items.len());
    let more = end < items.len();
    axum::Json(json!({"items": items[start.min(end)..end], "end_cursor": more.then(|| end.to_string()), "has_next_page": more, "total": items.len()})).into_response()
}

fn unprocessable(field: &str, msg: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(
            json!({"detail": [{"loc": ["body", field], "msg": msg, "type": "value_error"}]}),
        ),
    )
        .into_response()
}

/// Validates a resource body like the schema does; `full` for POST and PUT.
fn check_body(route: &str, body: &Value, full: bool) -> Option<Response> {
    let required: &[&str] = match route {
        "knowledge/notes" => &["name", "body", "trigger"],
        "playbooks" => &["title", "body"],
        _ if full => &["name", "prompt"],
        _ => &[],
    };
    for f in required {
        if body
            .get(*f)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Some(unprocessable(f, "Field required"));
        }
    }
    if route == "playbooks" {
        if let Some(m) = body.get("macro").and_then(Value::as_str) {
            let ok = m.starts_with('!')
                && m.len() > 1
                && m[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Some(unprocessable("macro", "invalid macro"));
            }
        }
    }
    if route == "schedules" {
        for bad in ["cron_schedule", "timezone", "is_enabled"] {
            if body.get(bad).is_some() {
                return Some(unprocessable(bad, "Extra inputs are not permitted"));
            }
        }
        if full
            && body.get("schedule_type").and_then(Value::as_str) != Some("one_time")
            && body.get("frequency").is_none()
        {
            return Some(unprocessable(
                "frequency",
                "required for recurring schedules",
            ));
        }
    }
    None
}

fn resource(
    state: &AppState,
    method: &str,
    route: &str,
    rest: &[&str],
    rec: &Recorded,
) -> Response {
    let id_key = match route {
        "knowledge/notes" => "note_id",
        "playbooks" => "playbook_id",
        _ => "scheduled_session_id",
    };
    let prefix = match route {
        "knowledge/notes" => "note",
        "playbooks" => "playbook",
        _ => "sched",
    };
    let body: Value = serde_json::from_slice(&rec.body).unwrap_or(Value::Null);
    let mut inner = state.inner.lock().expect("lock");
    let list = inner.resources.entry(route.to_string()).or_default();
    match (method, rest) {
        ("GET", []) => {
            if route == "schedules" {
                let q = query_map(rec);
                let limit: usize = q
                    .get("limit")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(50)
                    .clamp(1, 100)
                    // Pages of at most two, so that clients must walk the offsets.
                    .min(2);
                let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
                let end = (offset + limit).min(list.len());
                let items = &list[offset.min(end)..end];
                return axum::Json(json!({"items": items, "end_cursor": null, "has_next_page": end < list.len(), "total": list.len()})).into_response();
            }
            let items = list.clone();
            page(&items, rec)
        }
        ("POST", []) => {
            if let Some(r) = check_body(route, &body, true) {
                return r;
            }
            let mut obj = body.clone();
            obj[id_key] = json!(format!("{prefix}-{}", list.len() + 1));
            obj["org_id"] = json!(state.org);
            obj["created_at"] = json!(1767225600);
            if route == "schedules" {
                obj["enabled"] = json!(true);
            }
            list.push(obj.clone());
            axum::Json(obj).into_response()
        }
        (m, [id]) => {
            let Some(pos) = list.iter().position(|o| o[id_key].as_str() == Some(id)) else {
                return problem(
                    StatusCode::NOT_FOUND,
                    "Not Found",
                    &format!("{id} not found"),
                );
            };
            match m {
                "GET" => axum::Json(list[pos].clone()).into_response(),
                "DELETE" => axum::Json(list.remove(pos)).into_response(),
                "PUT" if route != "schedules" => {
                    if let Some(r) = check_body(route, &body, true) {
                        return r;
                    }
                    let mut obj = body.clone();
                    obj[id_key] = json!(id);
                    obj["org_id"] = json!(state.org);
                    list[pos] = obj.clone();
                    axum::Json(obj).into_response()
                }
                "PATCH" if route == "schedules" => {
                    if let Some(r) = check_body(route, &body, false) {
                        return r;
                    }
                    if let (Some(target), Some(changes)) =
                        (list[pos].as_object_mut(), body.as_object())
                    {
                        for (k, v) in changes {
                            target.insert(k.clone(), v.clone());
                        }
                    }
                    axum::Json(list[pos].clone()).into_response()
                }
                _ => problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method Not Allowed",
                    "no such method",
                ),
            }
        }
        _ => problem(StatusCode::NOT_FOUND, "Not Found", "No such route"),
    }
}
