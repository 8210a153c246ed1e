//! `scan --format sarif`: findings as SARIF 2.1.0, the format GitHub code scanning and other
//! viewers read. One rule per detector; the message carries the masked value, never the
//! secret; `partialFingerprints` carry the baseline fingerprint (stable when lines move).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Value};

use super::Finding;

/// What a path may not hold unescaped in a URI reference (a `/` stays: it separates).
const URI_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The SARIF log of one run of the scanner.
pub fn log(findings: &[Finding]) -> Value {
    let ids = super::rule_ids();
    let rules: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": format!("Possible secret: {id}")},
                "fullDescription": {"text": rule_text(id)},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["security", "secret"]},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, ids.iter().position(|r| *r == f.rule)))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "devin-handoff",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn rule_text(id: &str) -> String {
    match id {
        "undecodable-binary" => {
            "A changed file whose content could not be decoded for scanning".to_string()
        }
        "unscannable-archive" => "A compressed file or archive that could not be unpacked within \
            the scanner's bounds (encrypted, damaged, too large, nested too deep, or a \
            compression bomb)"
            .to_string(),
        _ => format!("A value in the format of {id}: a credential that must not leave the machine"),
    }
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let shown = if f.masked.is_empty() {
        String::new()
    } else {
        format!(": {}", f.masked)
    };
    let mut physical = json!({
        "artifactLocation": {"uri": utf8_percent_encode(&f.path, URI_UNSAFE).to_string()},
    });
    if let Some(line) = f.line {
        let mut region = json!({"startLine": line});
        if let Some(col) = f.column {
            region["startColumn"] = json!(col);
        }
        physical["region"] = region;
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": "error",
        "message": {"text": format!("Possible secret ({}){shown}", f.rule)},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"devinHandoffFingerprint/v1": f.fingerprint},
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    r
}
