//! The streaming unified-diff reader behind `scan`, on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scanner = devin_handoff::scan::Scanner::new();
    let _ = scanner.scan_patch_reader(data);
});
