//! Deliver: one typed client for the Devin API (v3, and v1 for legacy `apk_` keys).

mod attachments;
mod client;
mod key;
pub mod org;
mod routes;
mod sessions;
pub mod types;
mod v1;

pub use client::{ApiConfig, Client, Event, Events};
pub(crate) use key::is_loopback;
pub use key::{ApiKey, KeyFlavor};
pub use sessions::{session_id, SessionFilter};

#[cfg(test)]
mod tests {
    /// Every API write the client has, found in its source (each function that names a
    /// writing HTTP method), and how it meets the gate: its body is a `Cleared` value, or it
    /// carries no body at all. A new write fails this test until it is listed here, and it
    /// cannot carry a body without a `Cleared` one: `request` and `execute` take no other.
    #[test]
    fn every_write_takes_a_cleared_body_or_none() {
        const WRITES: &[(&str, &str)] = &[
            ("upload", "Cleared<Bytes>"),
            ("create_resource", "Cleared<Value>"),
            ("update_resource", "Cleared<Value>"),
            ("delete_resource", "no body"),
            ("create_session", "Cleared<CreateSessionRequest>"),
            ("send_message", "Cleared<serde_json::Value>"),
            ("archive_session", "no body"),
            ("terminate_session", "no body"),
        ];
        let sources = [
            include_str!("attachments.rs"),
            include_str!("org.rs"),
            include_str!("sessions.rs"),
            include_str!("client.rs"),
            include_str!("v1.rs"),
        ];
        let mut found = Vec::new();
        for src in sources {
            for chunk in src.split("async fn ").skip(1) {
                let name: String = chunk
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let body = chunk.split("\n    }\n").next().unwrap_or(chunk);
                let writes = ["POST", "PUT", "PATCH", "DELETE"]
                    .iter()
                    .any(|m| body.contains(&format!("Method::{m}")));
                if writes && name != "execute" && name != "request" {
                    found.push((name, body.to_string()));
                }
            }
        }
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        let mut listed: Vec<&str> = WRITES.iter().map(|(n, _)| *n).collect();
        let mut seen = names.clone();
        listed.sort_unstable();
        seen.sort_unstable();
        assert_eq!(seen, listed, "the client's writes changed: list each here");
        for (name, body) in &found {
            let (_, how) = WRITES.iter().find(|(n, _)| n == name).expect("listed");
            if *how == "no body" {
                assert!(body.contains(", None,"), "{name} sends no body");
            } else {
                assert!(body.contains(how), "{name} takes {how}");
            }
        }
    }
}
