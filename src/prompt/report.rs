//! Structured reports: the schema a session fills in when it is done (`--report`, or a
//! custom `--report-schema`), checked here before anything is sent.

use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The API's limit on a schema's size.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// The built-in report: what a calling agent needs to carry on without parsing prose.
pub fn builtin() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Handoff report",
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "What was done, in a few sentences"},
            "branch": {"type": "string", "description": "The branch the work is on"},
            "pull_request_url": {"type": ["string", "null"], "description": "The pull request opened, if any"},
            "tests": {
                "type": "object",
                "properties": {
                    "ran": {"type": "boolean"},
                    "command": {"type": "string"},
                    "passed": {"type": "boolean"},
                    "details": {"type": "string"}
                },
                "required": ["ran"]
            },
            "open_questions": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["summary", "branch", "tests", "open_questions"]
    })
}

/// A custom schema from `--report-schema`: JSON, at most 64 KiB, a valid draft-7 schema,
/// and self-contained (every `$ref` points inside it). Each failure is a usage error.
pub fn custom(text: &str, shown: &str) -> Result<Value> {
    if text.len() > MAX_SCHEMA_BYTES {
        return Err(Error::usage(format!(
            "{shown} is {} bytes; a report schema may have at most {MAX_SCHEMA_BYTES}",
            text.len()
        )));
    }
    let schema: Value = serde_json::from_str(text)
        .map_err(|e| Error::usage(format!("{shown} is not JSON: {e}")))?;
    if !schema.is_object() {
        return Err(Error::usage(format!(
            "{shown} must hold a JSON object (a schema)"
        )));
    }
    if let Some(r) = external_ref(&schema) {
        return Err(Error::usage(format!(
            "{shown} refers outside itself ($ref {r:?}): the schema must be self-contained"
        )));
    }
    jsonschema::draft7::meta::validate(&schema).map_err(|e| {
        Error::usage(format!(
            "{shown} is not a valid JSON Schema (draft 7): {e} at {}",
            e.instance_path()
        ))
    })?;
    jsonschema::draft7::new(&schema)
        .map_err(|e| Error::usage(format!("{shown} cannot be used as a schema: {e}")))?;
    Ok(schema)
}

/// The first `$ref` that does not point inside the document.
fn external_ref(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => map.iter().find_map(|(k, x)| match (k.as_str(), x) {
            ("$ref", Value::String(r)) if !r.starts_with('#') => Some(r.clone()),
            _ => external_ref(x),
        }),
        Value::Array(items) => items.iter().find_map(external_ref),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_schema_is_valid_draft_7() {
        let s = builtin();
        assert!(jsonschema::draft7::meta::is_valid(&s));
        assert!(custom(&s.to_string(), "builtin").is_ok());
        assert!(s.to_string().len() < MAX_SCHEMA_BYTES);
    }

    #[test]
    fn bad_schemas_are_refused() {
        assert!(custom("not json", "f").is_err());
        assert!(custom("[1]", "f").is_err());
        assert!(custom(r#"{"type": 5}"#, "f").is_err());
        assert!(custom(r#"{"$ref": "https://example.com/s.json"}"#, "f").is_err());
        assert!(custom(
            r##"{"definitions": {"a": {"type": "string"}}, "$ref": "#/definitions/a"}"##,
            "f"
        )
        .is_ok());
        let big = format!(r#"{{"description": "{}"}}"#, "x".repeat(MAX_SCHEMA_BYTES));
        assert!(custom(&big, "f").is_err());
    }
}
