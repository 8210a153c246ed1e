//! The patch format, shared by capture, the scanner and redaction: git's binary patches
//! (`binary.rs`: decoding them to scan what they carry, and encoding a file's content as
//! one). It depends on nothing else in the crate, so capture (`git`) and the guard (`scan`)
//! both build on it without depending on each other.

pub mod binary;
