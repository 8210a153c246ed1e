//! The remote URL parser: any string parses or is refused, without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(r) = devin_handoff::git::parse_remote_url(s) {
            let _ = r.full_name();
        }
    }
});
