//! Commands: the only place that wires capture, guard, compose and deliver together.

pub mod handoff;
pub mod hook;
pub mod org;
pub mod pull;
pub mod scan;
pub mod sessions;

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads text given as a file path, or stdin for `-`. Refuses non-UTF-8 input.
pub(crate) fn read_text_source(path: &Path, what: &str) -> Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| Error::usage(format!("cannot read the {what} from stdin: {e}")))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the {what} file {}: {e}",
                path.display()
            ))
        })?
    };
    String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "the {what} in {} is not valid UTF-8",
            if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            }
        ))
    })
}
