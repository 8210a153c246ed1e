//! Prompt composition: any task and context make a prompt and a valid JSON body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    let (task, context) = text.split_at(mid);
    let composed = devin_handoff::prompt::compose(&devin_handoff::prompt::Handoff {
        task,
        context: Some(context),
        state: None,
        delivery: devin_handoff::prompt::Delivery::Inline,
        bundle_url: None,
        secret_keys: &[],
        redacted: &[],
    });
    let fence = devin_handoff::prompt::fence_for(&text);
    assert!(!text.contains(&fence));
    let req = devin_handoff::api::types::CreateSessionRequest {
        prompt: composed.prompt,
        title: Some(devin_handoff::prompt::default_title(task)),
        ..Default::default()
    };
    let json = serde_json::to_string(&req).expect("encodes");
    let _: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
});
