//! The one gate for what leaves: the API client's write methods take only a [`Cleared`]
//! value, and only this module makes one, after the guard scanned it and the secrets policy
//! let it go. A new command cannot forget the guard: without it, it has nothing to send.

use serde_json::Value;

use super::Interact;
use crate::api::types::CreateSessionRequest;
use crate::api::Client;
use crate::api::KeyFlavor;
use crate::error::Result;
use crate::scan::policy::{self, Policy};
use crate::scan::{redact, Finding, Scanner};
use crate::settings::Settings;

/// A request body or upload the guard cleared. Its field is private to this module, so the
/// only ways to hold one are [`clear_json`] and the handoff pipeline's own guard.
#[derive(Debug, Clone)]
pub struct Cleared<T>(T);

impl<T> Cleared<T> {
    /// What goes on the wire.
    pub fn get(&self) -> &T {
        &self.0
    }
}

impl Cleared<CreateSessionRequest> {
    /// The body exactly as sent for this key's API generation: fields are only dropped.
    pub fn create_body(&self, flavor: KeyFlavor) -> Result<Cleared<Value>> {
        Client::create_body(flavor, &self.0).map(Cleared)
    }
}

/// A follow-up message's body, `{"message": …}`, through the gate (findings say `<message>`).
pub fn clear_message(
    text: &str,
    flag: Option<Policy>,
    settings: &Settings,
    ui: &mut dyn Interact,
) -> Result<Cleared<Value>> {
    let body = serde_json::json!({ "message": text });
    clear_json(body, "", None, flag, settings, ui)
}

/// The handoff pipeline's guard scanned the request's texts, the change set and the history
/// before composing them (`guard::guard`): what it composed from them is cleared.
pub(super) fn after_guard<T>(value: T) -> Cleared<T> {
    Cleared(value)
}

/// Scans every string of a request body (keys and values, nested ones too) and applies the
/// secrets policy: blocked (exit 3, nothing sent), redacted string by string, or let go
/// with a warning. `prefix` names the fields in findings: `note ` makes `<note body>`.
/// Top-level fields equal to those of `current` (what the API already holds, kept by an
/// update that replaces the whole object) are not the user's to answer for again.
pub fn clear_json(
    body: Value,
    prefix: &str,
    current: Option<&Value>,
    flag: Option<Policy>,
    settings: &Settings,
    ui: &mut dyn Interact,
) -> Result<Cleared<Value>> {
    let scanner = Scanner::new();
    let mut findings = Vec::new();
    let kept = |k: &str, v: &Value| current.and_then(|c| c.get(k)) == Some(v);
    let mut scan = |label: &str, text: &str| {
        findings.extend(scanner.scan_text(text, &format!("<{prefix}{label}>")));
    };
    match &body {
        Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !kept(k, v))
            .for_each(|(k, v)| walk(&serde_json::json!({ k: v }), &mut scan)),
        other => walk(other, &mut scan),
    }
    if findings.is_empty() {
        return Ok(Cleared(body));
    }
    let headline = super::guard::headline(&findings);
    match decide(flag, settings, &headline, &findings, ui)? {
        Policy::Allow => {
            ui.warn(&format!(
                "{headline}: sending them as they are (--secrets allow)"
            ));
            Ok(Cleared(body))
        }
        Policy::Redact | Policy::Session => {
            let body = redact_strings(body, &mut |label, text| {
                redact::redact_text(&scanner, text, &format!("<{prefix}{label}>")).0
            });
            ui.warn(&format!(
                "{headline}: sending them redacted (--secrets redact)"
            ));
            Ok(Cleared(body))
        }
        Policy::Block | Policy::Ask => {
            ui.show_findings(&headline, &findings);
            Err(super::guard::blocked(&headline, &findings))
        }
    }
}

/// The policy for one body's findings: a person's answer where one is asked, else the flag
/// or config, as [`policy::decide`] rules (a body has no session secrets to carry, so
/// `session` redacts).
fn decide(
    flag: Option<Policy>,
    settings: &Settings,
    headline: &str,
    findings: &[Finding],
    ui: &mut dyn Interact,
) -> Result<Policy> {
    let mut situation = policy::Situation {
        can_ask: ui.can_ask(),
        ..policy::Situation::default()
    };
    let mut asked = policy::requested(flag, settings.default_secrets);
    loop {
        match policy::decide(asked, &situation) {
            Ok(Some(p)) => return Ok(p),
            Ok(None) => {
                asked = super::guard::ask(headline, findings, ui)?;
                situation.can_ask = false;
            }
            // Neither applies to a body (no session secrets, no commits).
            Err(_) => return Ok(Policy::Block),
        }
    }
}

/// Calls `f` with each string of `v` and the name of the field it sits in (object keys are
/// scanned as text of their own object).
fn walk(v: &Value, f: &mut dyn FnMut(&str, &str)) {
    fn go(v: &Value, field: &str, f: &mut dyn FnMut(&str, &str)) {
        match v {
            Value::String(s) => f(field, s),
            Value::Array(items) => items.iter().for_each(|i| go(i, field, f)),
            Value::Object(map) => {
                for (k, item) in map {
                    f(field, k);
                    go(item, k, f);
                }
            }
            _ => {}
        }
    }
    go(v, "body", f);
}

/// `v` with each string value passed through `f` (keys are the API's field names and stay).
fn redact_strings(v: Value, f: &mut dyn FnMut(&str, &str) -> String) -> Value {
    fn go(v: Value, field: &str, f: &mut dyn FnMut(&str, &str) -> String) -> Value {
        match v {
            Value::String(s) => Value::String(f(field, &s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| go(i, field, f)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, item)| {
                        let item = go(item, &k, f);
                        (k, item)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    go(v, "body", f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_is_visited_with_its_field() {
        let v = serde_json::json!({"name": "n", "tags": ["a", "b"], "x": {"deep": "d"}, "k": 1});
        let mut seen = Vec::new();
        walk(&v, &mut |field, text| seen.push(format!("{field}={text}")));
        for want in [
            "name=n",
            "tags=a",
            "tags=b",
            "deep=d",
            "body=name",
            "x=deep",
        ] {
            assert!(seen.contains(&want.to_string()), "{want} not in {seen:?}");
        }
        let out = redact_strings(v, &mut |_, s| s.to_uppercase());
        assert_eq!(out["x"]["deep"], "D");
        assert_eq!(out["tags"][1], "B");
        assert_eq!(out["k"], 1);
    }
}
