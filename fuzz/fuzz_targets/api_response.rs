//! API response parsing: sessions, pages, problems; lenient, never panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

use devin_handoff::api::types::{Message, Page, ProblemBody, Session};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = serde_json::from_slice::<Session>(data) {
        let _ = s.web_url();
        let _ = s.progress();
        let _ = s.pr_url();
    }
    let _ = serde_json::from_slice::<Page<Message>>(data);
    if let Ok(p) = serde_json::from_slice::<ProblemBody>(data) {
        let _ = p.summary();
    }
});
