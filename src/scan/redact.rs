//! Redaction: a transformation of the change set (and of free text), not of the final prompt.
//! Secrets become `[REDACTED:rule]`, sensitive files are withheld whole, and every patch still
//! applies:
//! - a secret only on added lines is replaced in place (only added lines change, never their
//!   number);
//! - a secret on a removed or context line (sent only when the base is not on the remote)
//!   cannot be edited out of a text patch, which must match the base: such a file travels as
//!   a forward-only git binary patch of its redacted new content instead;
//! - a binary file with a finding is withheld whole.

use serde::Serialize;

use super::{ends_key_block, opens_key_block, parse_hunk, PatchWalker, Scanner, Scope};
use super::{Side, Step};
use crate::git::{ChangeSet, LeftOut};
use crate::patch::binary;

/// What redaction changed, for the manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Redaction {
    /// Files withheld entirely (sensitive names).
    pub withheld: Vec<LeftOut>,
    /// Files sent with secrets replaced, and how many.
    pub redacted: Vec<RedactedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedactedFile {
    pub path: String,
    pub secrets: usize,
}

/// How a redaction marker opens: `[REDACTED:rule]`.
pub(crate) const MARKER_OPEN: &str = "[REDACTED:";

fn placeholder(rule: &str) -> String {
    format!("{MARKER_OPEN}{rule}]")
}

/// Replaces every secret in `text`; returns the new text and how many were replaced.
pub fn redact_text(scanner: &Scanner, text: &str, label: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut spans = Vec::new();
    let mut carry = super::Carry::default();
    let mut in_key = false;
    let mut in_b64 = false;
    let mut last: Option<Last> = None;
    for piece in text.split_inclusive('\n') {
        let (line, eol) = split_eol(piece);
        if in_key {
            in_key = !ends_key_block(line);
            out.push_str(&placeholder("private-key"));
            out.push_str(eol);
            continue;
        }
        if in_b64 && base64_line(line) {
            out.push_str(&placeholder("private-key-base64"));
            out.push_str(eol);
            continue;
        }
        scanner.stream_spans(line, label, &mut carry, &mut spans);
        count += spans.len();
        in_key = opens_key_block(&spans, line);
        in_b64 = opens_base64_block(&spans, line);
        if let Some(rule) = carry.took_back() {
            redact_back(&mut out, &last, rule);
        }
        last = Some(Last::new(out.len(), "", line, &spans, eol));
        out.push_str(&replace_spans(line, &spans));
        out.push_str(eol);
    }
    (out, count)
}

/// Whether a line's findings include a base64-wrapped key that runs to the line's end, and so
/// may go on over the next lines.
fn opens_base64_block(spans: &[super::Span], text: &str) -> bool {
    spans
        .iter()
        .any(|s| s.rule == "private-key-base64" && s.end == text.trim_end().len())
}

/// A line of nothing but base64: the next piece of a wrapped value.
fn base64_line(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// The last line written, so that a secret found to go on from it (a string literal
/// continued on the next line) is redacted there too, not only in its second piece.
struct Last {
    at: usize,
    prefix: &'static str,
    text: String,
    spans: Vec<super::Span>,
    eol: String,
}

impl Last {
    fn new(at: usize, prefix: &'static str, text: &str, spans: &[super::Span], eol: &str) -> Last {
        Last {
            at,
            prefix,
            text: text.to_string(),
            spans: spans.to_vec(),
            eol: eol.to_string(),
        }
    }
}

/// Writes the last line again with its final literal's content redacted as `rule`.
fn redact_back(out: &mut String, last: &Option<Last>, rule: &'static str) {
    let Some(l) = last else { return };
    let Some((start, end)) = super::literals::last_content(&l.text) else {
        return;
    };
    let mut spans = l.spans.clone();
    if !spans.iter().any(|o| start < o.end && o.start < end) {
        spans.push(super::Span { rule, start, end });
    }
    out.truncate(l.at);
    out.push_str(l.prefix);
    out.push_str(&replace_spans(&l.text, &spans));
    out.push_str(&l.eol);
}

/// Withholds sensitive files and replaces secrets in the rest of the change set.
pub fn redact_changes(scanner: &Scanner, changes: &mut ChangeSet, scope: Scope<'_>) -> Redaction {
    let mut result = Redaction::default();
    let mut kept = Vec::with_capacity(changes.files.len());
    for mut file in std::mem::take(&mut changes.files) {
        let withhold = |result: &mut Redaction, why: &str| {
            result.withheld.push(LeftOut {
                // The name may be the secret: it is listed redacted, like everything else.
                path: redact_text(scanner, &file.path, &file.path).0,
                reason: format!("withheld: {why} (--secrets redact)"),
            });
        };
        if let Some(f) = scanner.scan_path(&file.path).first() {
            withhold(&mut result, f.rule);
            continue;
        }
        let findings = scanner.scan_file_patch(&file.patch, scope);
        if findings.is_empty() {
            kept.push(file);
            continue;
        }
        if let Some(f) = findings.iter().find(|f| f.line.is_none()) {
            // A secret in an old file name: the name itself would travel.
            withhold(&mut result, f.rule);
            continue;
        }
        if file.patch.contains("\nGIT binary patch\n") {
            withhold(&mut result, "binary content holds a secret");
            continue;
        }
        let n = findings.len();
        let patch = if findings.iter().all(|f| f.side == Side::Added) {
            Some(redact_patch(scanner, &file.patch).0)
        } else {
            scope
                .blobs
                .and_then(|blobs| as_redacted_binary(scanner, &file.patch, &file.path, blobs))
        };
        // Redaction is checked, not trusted: a redacted patch the scanner still finds
        // something in (a finding redaction cannot place, such as a key body under a BEGIN
        // line that travels as context) is withheld whole.
        let patch = patch.filter(|p| scanner.scan_file_patch(p, scope).is_empty());
        match patch {
            Some(p) => {
                file.patch = p;
                result.redacted.push(RedactedFile {
                    path: file.path.clone(),
                    secrets: n,
                });
                kept.push(file);
            }
            None => withhold(&mut result, "a secret redaction cannot replace in place"),
        }
    }
    changes.files = kept;
    changes.left_out.extend(result.withheld.iter().cloned());
    result
}

/// The file's patch as a forward-only binary patch of its redacted new content, so that no
/// old line travels. `None` when the new content cannot be rebuilt exactly.
fn as_redacted_binary(
    scanner: &Scanner,
    patch: &str,
    path: &str,
    blobs: &super::BlobLookup<'_>,
) -> Option<String> {
    let mut walker = PatchWalker::default();
    let mut head = String::new();
    let mut ids = None;
    for piece in patch.split_inclusive('\n') {
        let line = piece.trim_end_matches('\n');
        if line.starts_with("--- ") || line.starts_with("@@ ") || line == "GIT binary patch" {
            break;
        }
        if let Some(rest) = line.strip_prefix("index ") {
            let (pair, mode) = rest.split_once(' ').unwrap_or((rest, ""));
            let (old, new) = pair.split_once("..")?;
            ids = Some((old.to_string(), new.to_string(), mode.to_string()));
            continue;
        }
        walker.step(line);
        head.push_str(line);
        head.push('\n');
    }
    let (old_id, new_id, mode) = ids?;
    let zero = |id: &str| id.bytes().all(|b| b == b'0');
    let old = if zero(&old_id) {
        Vec::new()
    } else {
        blobs(&old_id)?
    };
    let new = apply_hunks(&old, patch)?;
    if !zero(&new_id) && blob_id(&new) != new_id {
        return None;
    }
    let deleted = walker.deleted_file();
    let text = String::from_utf8(new).ok()?;
    let (redacted, _) = redact_text(scanner, &text, path);
    let new_id = if deleted {
        "0".repeat(old_id.len())
    } else {
        blob_id(redacted.as_bytes())
    };
    let mode = if mode.is_empty() {
        String::new()
    } else {
        format!(" {mode}")
    };
    Some(format!(
        "{head}index {old_id}..{new_id}{mode}\nGIT binary patch\n{}",
        binary::literal_hunk(redacted.as_bytes())
    ))
}

/// Git's object id of a blob with this content.
fn blob_id(content: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, content)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

/// The new content a text patch makes of `old`; `None` unless every context and removed line
/// matches exactly (the patch was made from this very blob).
fn apply_hunks(old: &[u8], patch: &str) -> Option<Vec<u8>> {
    let old_lines: Vec<&[u8]> = old.split_inclusive(|b| *b == b'\n').collect();
    let mut out = Vec::with_capacity(old.len() + patch.len());
    let mut at = 0;
    let mut lines = patch.split_inclusive('\n').peekable();
    while let Some(l) = lines.next() {
        let Some(rest) = l.trim_end_matches('\n').strip_prefix("@@ ") else {
            continue;
        };
        let ((start, old_count), (_, new_count)) = parse_hunk(rest)?;
        let first = if old_count == 0 {
            start
        } else {
            start.checked_sub(1)?
        };
        for line in old_lines.get(at..first)? {
            out.extend_from_slice(line);
        }
        at = first;
        let (mut old_left, mut new_left) = (old_count, new_count);
        while old_left > 0 || new_left > 0 {
            let l = lines.next()?;
            let (tag, body) = match l.as_bytes().first() {
                Some(b'\n') | None => (b' ', "\n"),
                Some(&t) => (t, &l[1..]),
            };
            // "\ No newline at end of file" belongs to the line before it.
            let body = if lines.peek().is_some_and(|n| n.starts_with('\\')) {
                lines.next();
                body.strip_suffix('\n').unwrap_or(body)
            } else {
                body
            };
            match tag {
                b' ' | b'-' => {
                    if *old_lines.get(at)? != body.as_bytes() {
                        return None;
                    }
                    at += 1;
                    old_left = old_left.checked_sub(1)?;
                    if tag == b' ' {
                        out.extend_from_slice(body.as_bytes());
                        new_left = new_left.checked_sub(1)?;
                    }
                }
                b'+' => {
                    out.extend_from_slice(body.as_bytes());
                    new_left = new_left.checked_sub(1)?;
                }
                _ => return None,
            }
        }
    }
    for line in old_lines.get(at..)? {
        out.extend_from_slice(line);
    }
    Some(out)
}

/// One file's patch with the secrets on its added lines replaced.
fn redact_patch(scanner: &Scanner, patch: &str) -> (String, usize) {
    let mut walker = PatchWalker::default();
    let mut out = String::with_capacity(patch.len());
    let mut count = 0;
    let mut spans = Vec::new();
    let mut carry = super::Carry::default();
    let mut last: Option<Last> = None;
    // A base64-wrapped key goes on over the next lines (`base64` wraps at 76 columns).
    let mut in_b64 = false;
    for piece in patch.split_inclusive('\n') {
        let (line, eol) = split_eol(piece);
        match walker.step(line) {
            Step::Context { text, .. } => {
                carry.follow(text);
                in_b64 = false;
                // A piece already in the base cannot be taken back.
                last = None;
                out.push_str(line);
            }
            Step::Added { text, .. } => {
                if walker.in_key_block {
                    out.push('+');
                    walker.in_key_block = !ends_key_block(text);
                    out.push_str(&placeholder("private-key"));
                    last = None;
                } else if in_b64 && base64_line(text) {
                    out.push('+');
                    out.push_str(&placeholder("private-key-base64"));
                    last = None;
                } else {
                    scanner.stream_spans(text, &walker.path, &mut carry, &mut spans);
                    count += spans.len();
                    walker.in_key_block = opens_key_block(&spans, text);
                    in_b64 = opens_base64_block(&spans, text);
                    if let Some(rule) = carry.took_back() {
                        redact_back(&mut out, &last, rule);
                    }
                    last = Some(Last::new(out.len(), "+", text, &spans, eol));
                    out.push('+');
                    out.push_str(&replace_spans(text, &spans));
                }
            }
            _ => {
                last = None;
                out.push_str(line);
            }
        }
        out.push_str(eol);
    }
    (out, count)
}

/// Splits off the line ending, keeping a `\r` that belongs to the content.
fn split_eol(piece: &str) -> (&str, &str) {
    match piece.strip_suffix('\n') {
        Some(line) => (line, "\n"),
        None => (piece, ""),
    }
}

fn replace_spans(line: &str, spans: &[super::Span]) -> String {
    super::replace_spans(line, spans, |s| placeholder(s.rule))
}

/// `NAME=value` secrets on the added lines of the change set, for `--secrets session`: a
/// finding inside the value of an assignment to a name (`NAME=…`, `export NAME=…`,
/// `NAME: …`, `"NAME": "…"`). The first value of each name is kept; a secret with no name
/// to key it by is only redacted.
pub fn assigned_secrets(scanner: &Scanner, changes: &ChangeSet) -> Vec<(String, String)> {
    static ASSIGN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*"#)
            .expect("a valid pattern")
    });
    let mut out: Vec<(String, String)> = Vec::new();
    let mut spans = Vec::new();
    for f in &changes.files {
        for line in f.patch.lines() {
            let Some(content) = line.strip_prefix('+').filter(|_| !line.starts_with("+++ ")) else {
                continue;
            };
            let Some(m) = ASSIGN.captures(content) else {
                continue;
            };
            scanner.line_spans(content, &f.path, &mut spans);
            let value_at = m.get(0).map_or(0, |g| g.end());
            let name = m[1].to_string();
            if let Some(s) = spans.iter().find(|s| s.start >= value_at) {
                if !out.iter().any(|(k, _)| *k == name) {
                    out.push((name, content[s.start..s.end].to_string()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::rules::tests::{Gen, B62, UPPER32};
    use super::*;

    #[test]
    fn redaction_leaves_no_flagged_value_and_keeps_line_count() {
        let mut g = Gen::new(77);
        let aws = format!("AKIA{}", g.s(UPPER32, 16));
        let gh = format!("ghp_{}", g.s(B62, 36));
        let text = format!("use {aws}\r\nand {gh} here\n-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretbody\n-----END RSA PRIVATE KEY-----\nplain\n");
        let s = Scanner::new();
        let (out, n) = redact_text(&s, &text, "<task>");
        assert_eq!(n, 3);
        assert!(apply_hunks(b"a\n", "@@ -1 +1 @@\n-b\n+c\n").is_none());
        assert!(!out.contains(&aws) && !out.contains(&gh) && !out.contains("MIIEsecretbody"));
        assert!(
            out.contains("[REDACTED:aws-access-key-id]\r\n"),
            "keeps CR: {out:?}"
        );
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(s.scan_text(&out, "<task>").is_empty());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::super::rules::tests::{Gen, B62, UPPER32};
    use super::super::{mask, Scanner};
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever surrounds it, a redacted secret is gone and nothing flagged remains.
        #[test]
        fn redaction_never_leaves_a_flagged_value(before in "[ -~\n]{0,80}", after in "[ -~\n]{0,80}", seed in any::<u64>(), kind in 0usize..3) {
            let mut g = Gen::new(seed);
            let secret = match kind {
                0 => format!("AKIA{}", g.s(UPPER32, 16)),
                1 => format!("ghp_{}", g.s(B62, 36)),
                _ => format!("sk_live_{}", g.s(B62, 30)),
            };
            let text = format!("{before} {secret} {after}");
            let s = Scanner::new();
            // Only what the scanner flags is redacted; a draw it would not flag alone is
            // not this property's concern.
            prop_assume!(!s.scan_text(&secret, "<task>").is_empty());
            let (out, _) = redact_text(&s, &text, "<task>");
            prop_assert!(!out.contains(&secret));
            prop_assert!(s.scan_text(&out, "<task>").is_empty(), "flagged after redaction: {out:?}");
            prop_assert_eq!(out.lines().count(), text.lines().count());
        }

        /// A mask shows at most the first four characters, and only of a long value.
        #[test]
        fn masking_reveals_at_most_four_characters(secret in "\\PC{0,64}") {
            let m = mask(&secret);
            let n = secret.chars().count();
            let shown: String = secret.chars().take(if n >= 16 { 4 } else { 0 }).collect();
            prop_assert_eq!(m, format!("{shown}****({n} chars)"));
        }

        /// The scanner never panics, whatever the bytes of a patch.
        #[test]
        fn scanning_arbitrary_patches_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let s = Scanner::new();
            let all = crate::scan::Scope { old_side: true, blobs: None };
            let _ = s.scan_patch_reader(bytes.as_slice(), all);
            let _ = s.scan_file_patch(&String::from_utf8_lossy(&bytes), all);
        }
    }
}
