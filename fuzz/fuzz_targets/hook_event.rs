//! The hook event reader and the transcript tail, on arbitrary input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = devin_handoff::commands::hook::parse_event(data) {
        let _ = devin_handoff::commands::hook::task_of(&ev, None);
    }
    let text = String::from_utf8_lossy(data);
    let tail = devin_handoff::transcript::tail(&text, 256);
    assert!(tail.len() <= 256 + 4);
});
