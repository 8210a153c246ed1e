//! The streaming unified-diff reader behind `scan`, on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scanner = devin_handoff::scan::Scanner::new();
    // Old sides too: the removed-line and old-name paths of the reader get fuzzed as well.
    let scope = devin_handoff::scan::Scope {
        old_side: true,
        blobs: None,
    };
    let _ = scanner.scan_patch_reader(data, scope);
});
