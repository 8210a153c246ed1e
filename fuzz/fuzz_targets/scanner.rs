//! The scanner and redaction on arbitrary text: findings are masked, redaction leaves none.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let scanner = devin_handoff::scan::Scanner::new();
    let _ = scanner.scan_text(&text, "<task>");
    let _ = scanner.scan_path(&text);
    let _ = scanner.scan_file_patch(&text, devin_handoff::scan::Scope::default());
    let (redacted, _) = devin_handoff::scan::redact::redact_text(&scanner, &text, "<task>");
    assert!(scanner.scan_text(&redacted, "<task>").is_empty(), "redaction left a finding");
});
