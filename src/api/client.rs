//! The HTTP client: auth header, timeouts, bounded retries, bounded reads, error mapping.

use std::time::Duration;

use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::{ApiKey, KeyFlavor};
use crate::error::{Error, Result};
use crate::pipeline::Cleared;

use super::types::ProblemBody;

/// Responses larger than this are refused rather than read into memory.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Attempts per request, the first included.
const MAX_ATTEMPTS: u32 = 5;
/// The longest `Retry-After` honoured; a server asking for more is treated as failing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether a request may be repeated when its outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Reads: retry 429, 5xx and connection failures.
    Safe,
    /// Creates: retry only answers that say the request was not processed (429, 503).
    /// A timeout or a reset after sending may have created the session: never repeat it.
    Unsafe,
}

/// How a list route pages: `first`/`after` cursors, or `limit`/`offset` (schedules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pages {
    Cursor,
    Offset,
}

/// Items asked for per page.
const PAGE: usize = 100;

/// Where and how to reach the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub url: url::Url,
    pub key: ApiKey,
    /// For v3 routes; the key's own organization (`/v3/self`) when none.
    pub org_id: Option<String>,
    /// Connect and read timeout, and the bound on each whole request.
    pub timeout: Duration,
}

/// What the client has to say while it works; the caller decides whether and how to show
/// it (the client itself prints nothing).
#[derive(Debug)]
pub enum Event<'a> {
    /// A detail for `-v` (level 1) or `-vv` (level 2). Never holds the key.
    Debug { level: u8, message: &'a str },
    /// A request is retried after `wait`: attempt `attempt` of `of` retries.
    Retry {
        wait: Duration,
        attempt: u32,
        of: u32,
    },
}

/// The receiver of a client's [`Event`]s.
#[derive(Clone)]
pub struct Events(std::sync::Arc<dyn Fn(Event<'_>) + Send + Sync>);

impl Events {
    pub fn new(f: impl Fn(Event<'_>) + Send + Sync + 'static) -> Events {
        Events(std::sync::Arc::new(f))
    }

    /// Events nobody hears.
    pub fn none() -> Events {
        Events::new(|_| {})
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Events")
    }
}

/// A Devin API client bound to one key, base URL and (for v3) organization.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    key: ApiKey,
    org_id: Option<String>,
    /// Bounds each whole API request, its answer's body included (`--timeout`).
    pub(crate) timeout: Duration,
    events: Events,
}

impl Client {
    pub fn new(config: ApiConfig, events: Events) -> Result<Client> {
        let ApiConfig {
            url,
            key,
            org_id,
            timeout,
        } = config;
        let mut builder = reqwest::Client::builder();
        if super::is_loopback(&url) {
            // This machine is never reached through a proxy: `HTTP_PROXY` would otherwise
            // carry a local API's requests, key included, to whoever runs the proxy.
            builder = builder.no_proxy();
        }
        let http = builder
            .connect_timeout(timeout)
            .read_timeout(timeout)
            // API calls never follow redirects: a redirect to another host would carry the key.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("devin-handoff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: url,
            key,
            org_id,
            timeout,
            events,
        })
    }

    /// A `-v` (level 1) or `-vv` (level 2) detail, to whoever listens.
    fn debug(&self, level: u8, message: &str) {
        (self.events.0)(Event::Debug { level, message });
    }

    pub fn flavor(&self) -> KeyFlavor {
        self.key.flavor()
    }

    /// Every item of a list route, page after page, or the first `limit` items. Stops when
    /// the API says there is no next page, or repeats a cursor.
    pub(crate) async fn paginate<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
        pages: Pages,
        limit: Option<usize>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut q: Vec<(String, String)> = query.to_vec();
            match pages {
                Pages::Cursor => {
                    q.push(("first".into(), PAGE.to_string()));
                    q.extend(after.iter().map(|a| ("after".to_string(), a.clone())));
                }
                Pages::Offset => {
                    q.push(("limit".into(), PAGE.to_string()));
                    q.push(("offset".into(), out.len().to_string()));
                }
            }
            let page: super::types::Page<T> = self
                .request(
                    Method::GET,
                    &Self::with_query(path, &q),
                    None,
                    Idempotency::Safe,
                )
                .await?;
            let n = page.items.len();
            out.extend(page.items);
            if let Some(l) = limit.filter(|l| out.len() >= *l) {
                out.truncate(l);
                return Ok(out);
            }
            let more = match pages {
                Pages::Cursor => match (page.has_next_page, page.end_cursor) {
                    (Some(true), Some(c)) if after.as_deref() != Some(c.as_str()) => {
                        after = Some(c);
                        true
                    }
                    _ => false,
                },
                Pages::Offset => n > 0 && page.has_next_page.unwrap_or(n == PAGE),
            };
            if !more {
                return Ok(out);
            }
        }
    }

    /// The organization for v3 routes: the configured one, else the key's own (`/v3/self`).
    pub(crate) async fn org_id(&mut self) -> Result<String> {
        if let Some(org) = &self.org_id {
            return Ok(org.clone());
        }
        let me: super::types::SelfInfo = self
            .request(Method::GET, super::routes::SELF, None, Idempotency::Safe)
            .await?;
        match me.org_id.filter(|o| !o.is_empty()) {
            Some(org) => {
                self.debug(1, &format!("using the key's organization {org}"));
                self.org_id = Some(org.clone());
                Ok(org)
            }
            None => Err(Error::usage(
                "no organization ID: this key is not tied to one organization",
            )
            .hint("set DEVIN_ORG_ID (or pass --org-id) to the org-… ID to hand off to")),
        }
    }

    pub(crate) fn base_origin(&self) -> url::Origin {
        self.base.origin()
    }

    /// One GET, redirects not followed; the key only when `with_key`.
    pub(crate) async fn raw_get(
        &self,
        url: &url::Url,
        with_key: bool,
    ) -> Result<reqwest::Response> {
        let mut req = self.http.get(url.clone());
        if with_key {
            req = req.header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.key.expose()),
            );
        }
        self.debug(1, &format!("GET {url} (key sent: {with_key})"));
        req.send()
            .await
            .map_err(|e| self.network_error(e, Idempotency::Safe))
    }

    /// `path?k=v&…`, each pair form-encoded; repeated keys stay repeated (`tags=a&tags=b`).
    pub(crate) fn with_query(path: &str, query: &[(String, String)]) -> String {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter())
            .finish();
        format!("{path}?{q}")
    }

    pub(crate) fn url(&self, path: &str) -> Result<url::Url> {
        let base = self.base.as_str().trim_end_matches('/');
        url::Url::parse(&format!("{base}{path}"))
            .map_err(|e| Error::usage(format!("invalid API URL for {path}: {e}")))
    }

    /// Sends one JSON request and decodes the answer, retrying as `idem` allows. A body is
    /// only ever one the guard cleared.
    pub(super) async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Cleared<serde_json::Value>>,
        idem: Idempotency,
    ) -> Result<T> {
        let attach = |rb: reqwest::RequestBuilder| match body {
            Some(b) => rb.json(b.get()),
            None => rb,
        };
        self.execute(method, path, idem, &attach).await
    }

    /// Sends a request whose body `attach` adds (again on each attempt), with auth, bounded
    /// retries and error mapping, and decodes the JSON answer.
    pub(super) async fn execute<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        idem: Idempotency,
        attach: &(dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Sync),
    ) -> Result<T> {
        let url = self.url(path)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", self.key.expose()),
                )
                .header(header::ACCEPT, "application/json")
                // The whole exchange, not each read: a server dripping a byte at a time
                // cannot hold the command past it. An upload's `attach` allows more.
                .timeout(self.timeout);
            req = attach(req);
            self.debug(1, &format!("{method} {url} (attempt {attempt})"));
            let outcome = req.send().await;
            let resp = match outcome {
                Ok(r) => r,
                Err(e) => {
                    // A failure to connect means nothing was sent; anything later is unknown.
                    let retryable = e.is_connect() || idem == Idempotency::Safe;
                    if retryable && attempt < MAX_ATTEMPTS && !e.is_timeout() {
                        let wait = backoff(attempt);
                        self.debug(1, &format!("retrying in {wait:?}: {}", network_reason(&e)));
                        self.notice_retry(wait, attempt);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(self.network_error(e, idem));
                }
            };
            let status = resp.status();
            self.debug(1, &format!("{method} {path} -> {status}"));
            let unsafe_req = idem == Idempotency::Unsafe;
            let acted = |e: Error| if unsafe_req { e.maybe_acted() } else { e };
            if status.is_success() {
                // The API acted; only its answer is lost when it cannot be read.
                let bytes = read_bounded(resp).await.map_err(acted)?;
                // An empty answer reads as `null`: fine where nothing is expected of it.
                let bytes = if bytes.is_empty() {
                    b"null".to_vec()
                } else {
                    bytes
                };
                return serde_json::from_slice(&bytes).map_err(|e| {
                    acted(Error::api(format!(
                        "the Devin API sent an answer this version cannot read ({method} {path}: {e})"
                    )))
                });
            }
            let retry_after = parse_retry_after(resp.headers());
            let retryable = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => true,
                StatusCode::INTERNAL_SERVER_ERROR
                | StatusCode::BAD_GATEWAY
                | StatusCode::GATEWAY_TIMEOUT => idem == Idempotency::Safe,
                _ => false,
            };
            if retryable && attempt < MAX_ATTEMPTS {
                let wait = match retry_after {
                    Some(d) if d <= MAX_RETRY_AFTER => d,
                    Some(_) => return Err(self.status_error(status, path, resp).await),
                    None => backoff(attempt),
                };
                self.debug(1, &format!("{status}: retrying in {wait:?}"));
                self.notice_retry(wait, attempt);
                tokio::time::sleep(wait).await;
                continue;
            }
            let err = self.status_error(status, path, resp).await;
            // A 5xx other than 503 ("not processed") leaves a create's outcome unknown.
            let unknown = status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE;
            return Err(if unknown { acted(err) } else { err });
        }
    }

    /// A retry, to whoever listens (people at a terminal see "API busy, retrying in 4 s (2/5)").
    fn notice_retry(&self, wait: Duration, attempt: u32) {
        (self.events.0)(Event::Retry {
            wait,
            attempt,
            of: MAX_ATTEMPTS - 1,
        });
    }

    pub(crate) fn network_error(&self, e: reqwest::Error, idem: Idempotency) -> Error {
        let base = self.base.as_str().trim_end_matches('/');
        let mut err = if e.is_connect() {
            Error::api(format!(
                "cannot reach the Devin API at {base}: connection failed"
            ))
        } else if e.is_timeout() {
            Error::api(format!("the Devin API at {base} timed out"))
        } else {
            Error::api(format!(
                "the connection to the Devin API at {base} broke off: {}",
                network_reason(&e)
            ))
        };
        if idem == Idempotency::Unsafe && !e.is_connect() {
            err = err.maybe_acted();
            err = err.hint("the request may have reached the API: check before trying again, so as not to do it twice");
        }
        if e.is_timeout() {
            err = err.hint("--timeout SECS allows more time");
        } else {
            err = err.hint("check the network, or DEVIN_API_URL / --api-url");
        }
        // reqwest names the URL (never a key: that travels in a header) and the cause.
        err.with_source(e)
    }

    async fn status_error(&self, status: StatusCode, path: &str, resp: reqwest::Response) -> Error {
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = read_bounded(resp).await.unwrap_or_default();
        let problem = serde_json::from_slice::<ProblemBody>(&bytes).ok();
        let fields = problem
            .as_ref()
            .map(ProblemBody::field_errors)
            .unwrap_or_default();
        let detail = problem
            .and_then(|p| p.summary())
            .or_else(|| plain_excerpt(&bytes));
        let reason = status.canonical_reason().unwrap_or("");
        let mut msg = format!("the Devin API answered {} {reason}", status.as_u16());
        if let Some(d) = detail {
            msg.push_str(": ");
            // An answer may echo the request, its `Authorization` header included.
            msg.push_str(&crate::keymask::mask(&d));
        }
        let org_route = path.starts_with("/v3/organizations/");
        let err = match status {
            StatusCode::UNAUTHORIZED => Error::auth(msg)
                .hint("DEVIN_API_KEY was rejected: check that it is current and complete"),
            StatusCode::FORBIDDEN => {
                let mut e = Error::auth(msg);
                if org_route && path.ends_with("/sessions") {
                    e = e.hint("this key lacks ManageOrgSessions in that organization (or DEVIN_ORG_ID names another org)");
                } else {
                    e = e.hint("this key lacks the permission for this action");
                }
                e
            }
            StatusCode::NOT_FOUND if org_route => {
                Error::api(msg).hint("check DEVIN_ORG_ID / --org-id and the ID you gave")
            }
            s if s.is_redirection() => Error::api(format!(
                "{msg} (redirect to {} not followed)",
                location.as_deref().unwrap_or("nowhere")
            ))
            .hint("check DEVIN_API_URL: it should be the API's base URL"),
            _ => Error::api(msg),
        };
        let err = if fields.is_empty() {
            err
        } else {
            err.with_detail(
                "field_errors",
                serde_json::to_value(&fields).unwrap_or_default(),
            )
        };
        err.with_status(status.as_u16())
    }
}

fn network_reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    }
}

/// Exponential backoff with jitter: 0.5 s, 1 s, 2 s, … plus up to 25%.
fn backoff(attempt: u32) -> Duration {
    let base = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    let jitter = jitter_ms(base / 4);
    Duration::from_millis(base + jitter)
}

fn jitter_ms(max: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    if max == 0 {
        return 0;
    }
    // RandomState is seeded randomly per process: enough entropy for jitter.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(max);
    h.finish() % max
}

fn parse_retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(Error::api(format!(
                        "the Devin API's answer is larger than {} MiB; refusing to read it",
                        MAX_RESPONSE_BYTES / (1024 * 1024)
                    )));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(Error::api(format!(
                    "the connection to the Devin API broke while reading its answer: {}",
                    network_reason(&e)
                ))
                .with_source(e))
            }
        }
    }
}

/// A short, single-line excerpt of a non-JSON error body (an HTML error page, say).
fn plain_excerpt(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.starts_with('<') {
        return Some("(an HTML page instead of a JSON error)".into());
    }
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    Some(one_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = header::HeaderMap::new();
        h.insert(header::RETRY_AFTER, "3".parse().expect("header"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(header::RETRY_AFTER, "soon".parse().expect("header"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) >= Duration::from_millis(500));
        assert!(backoff(1) < Duration::from_millis(626));
        assert!(backoff(3) >= Duration::from_millis(2000));
        assert!(backoff(50) <= Duration::from_millis(32_000 + 8_000));
    }

    #[test]
    fn html_bodies_are_summarised() {
        assert_eq!(
            plain_excerpt(b"<html><body>502</body></html>").as_deref(),
            Some("(an HTML page instead of a JSON error)")
        );
        assert_eq!(plain_excerpt(b"  ").as_deref(), None);
    }
}
