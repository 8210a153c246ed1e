//! The one error type of the crate: a kind that picks the exit code, a message, and hints.

use std::fmt;

/// What went wrong, coarsely: each kind maps to one documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Any other failure (exit 1).
    Other,
    /// Usage or invalid input (exit 2).
    Usage,
    /// Nothing was sent: secrets found, or the user declined (exit 3).
    NotSent,
    /// Authentication: no key, invalid key, forbidden (exit 4).
    Auth,
    /// API or network failure (exit 5).
    Api,
    /// A watched session ended in `error` or was suspended (exit 6).
    SessionFailed,
    /// Waiting for a session timed out (exit 7).
    WaitTimeout,
    /// Interrupted by the user (exit 130).
    Interrupted,
}

impl ErrorKind {
    /// The process exit code for this kind, as documented in the README.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotSent => 3,
            ErrorKind::Auth => 4,
            ErrorKind::Api => 5,
            ErrorKind::SessionFailed => 6,
            ErrorKind::WaitTimeout => 7,
            ErrorKind::Interrupted => 130,
        }
    }

    /// A stable machine-readable name, used in `--json` error objects.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Other => "error",
            ErrorKind::Usage => "usage",
            ErrorKind::NotSent => "not_sent",
            ErrorKind::Auth => "auth",
            ErrorKind::Api => "api",
            ErrorKind::SessionFailed => "session_failed",
            ErrorKind::WaitTimeout => "wait_timeout",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

/// An error with a kind, a one-line message, and optional hints on how to fix it.
///
/// Messages must never contain a secret: callers build them from masked values only.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hints: Vec<String>,
    /// Extra fields for the `--json` error object (e.g. masked findings).
    details: Option<Box<(&'static str, serde_json::Value)>>,
    /// Already reported on stdout/stderr by the command: print nothing more.
    silent: bool,
    /// The HTTP status the API answered with, when the error is an API answer.
    status: Option<u16>,
    /// A request that creates something got no clear answer: it may have acted.
    maybe_acted: bool,
    /// What caused it (a git, I/O or network error), shown by `-v` as a chain.
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hints: Vec::new(),
            details: None,
            silent: false,
            status: None,
            maybe_acted: false,
            source: None,
        }
    }

    /// Marks an error whose request (a create) may have been carried out all the same: a
    /// timeout or a reset after sending, a 5xx, an answer that could not be read.
    pub fn maybe_acted(mut self) -> Self {
        self.maybe_acted = true;
        self
    }

    /// Whether the request may have been carried out despite this error.
    pub fn may_have_acted(&self) -> bool {
        self.maybe_acted
    }

    /// Keeps the underlying error, so that `-v` can show the whole chain.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The message of each cause, outermost first.
    pub fn causes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }

    pub fn api(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Api, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, message)
    }

    /// Drops the hints (a caller that knows better gives its own).
    pub fn without_hints(mut self) -> Self {
        self.hints.clear();
        self
    }

    /// Adds a hint shown under the message ("hint: ...").
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Attaches a field to the `--json` output of this error. Never pass unmasked secrets.
    pub fn with_detail(mut self, key: &'static str, value: serde_json::Value) -> Self {
        self.details = Some(Box::new((key, value)));
        self
    }

    pub fn detail(&self) -> Option<&(&'static str, serde_json::Value)> {
        self.details.as_deref()
    }

    /// Records the HTTP status the API answered with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The HTTP status of an API answer that failed, if this error is one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Keeps the kind, hints and status, with a new message.
    pub fn reworded(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// An exit code whose explanation the command has printed itself.
    pub fn silent(kind: ErrorKind) -> Self {
        let mut e = Self::new(kind, "");
        e.silent = true;
        e
    }

    pub fn is_silent(&self) -> bool {
        self.silent
    }

    /// The error as the JSON object `--json` prints and MCP tool results carry:
    /// `{"error": {kind, exit_code, message, hints}}`, plus its detail (the masked
    /// `findings` of a blocked handoff, say).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "error": {
                "kind": self.kind().name(),
                "exit_code": self.kind().exit_code(),
                "message": self.message(),
                "hints": self.hints(),
            }
        });
        if let (Some((key, value)), Some(obj)) = (self.detail(), v.as_object_mut()) {
            obj.insert((*key).to_string(), value.clone());
        }
        v
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hints(&self) -> &[String] {
        &self.hints
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::other(format!("git: {}", e.message())).with_source(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::other(format!("I/O error: {e}")).with_source(e)
    }
}
