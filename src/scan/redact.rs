//! Redaction: a transformation of the change set (and of free text), not of the final prompt.
//! Secrets become `[REDACTED:rule]`, sensitive files are withheld whole, and every patch still
//! applies, because only added lines change and never their number.

use serde::Serialize;

use super::{ends_key_block, opens_key_block, PatchWalker, Scanner, Step};
use crate::git::{ChangeSet, LeftOut};

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

fn placeholder(rule: &str) -> String {
    format!("[REDACTED:{rule}]")
}

/// Replaces every secret in `text`; returns the new text and how many were replaced.
pub fn redact_text(scanner: &Scanner, text: &str, label: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut spans = Vec::new();
    let mut in_key = false;
    for piece in text.split_inclusive('\n') {
        let (line, eol) = split_eol(piece);
        if in_key {
            in_key = !ends_key_block(line);
            out.push_str(&placeholder("private-key"));
            out.push_str(eol);
            continue;
        }
        scanner.line_spans(line, label, &mut spans);
        count += spans.len();
        in_key = opens_key_block(&spans, line);
        out.push_str(&replace_spans(line, &spans));
        out.push_str(eol);
    }
    (out, count)
}

/// Withholds sensitive files and replaces secrets in the rest of the change set.
pub fn redact_changes(scanner: &Scanner, changes: &mut ChangeSet) -> Redaction {
    let mut result = Redaction::default();
    let mut kept = Vec::with_capacity(changes.files.len());
    for mut file in std::mem::take(&mut changes.files) {
        if let Some(f) = scanner.scan_path(&file.path).first() {
            result.withheld.push(LeftOut {
                path: file.path.clone(),
                reason: format!("withheld: {} (--secrets redact)", f.rule),
            });
            continue;
        }
        let (patch, n) = redact_patch(scanner, &file.patch);
        if n > 0 {
            file.patch = patch;
            result.redacted.push(RedactedFile {
                path: file.path.clone(),
                secrets: n,
            });
        }
        kept.push(file);
    }
    changes.files = kept;
    changes.left_out.extend(result.withheld.iter().cloned());
    result
}

/// One file's patch with the secrets on its added lines replaced.
fn redact_patch(scanner: &Scanner, patch: &str) -> (String, usize) {
    let mut walker = PatchWalker::default();
    let mut out = String::with_capacity(patch.len());
    let mut count = 0;
    let mut spans = Vec::new();
    for piece in patch.split_inclusive('\n') {
        let (line, eol) = split_eol(piece);
        match walker.step(line) {
            Step::Added { text, .. } => {
                out.push('+');
                if walker.in_key_block {
                    walker.in_key_block = !ends_key_block(text);
                    out.push_str(&placeholder("private-key"));
                } else {
                    scanner.line_spans(text, &walker.path, &mut spans);
                    count += spans.len();
                    walker.in_key_block = opens_key_block(&spans, text);
                    out.push_str(&replace_spans(text, &spans));
                }
            }
            _ => out.push_str(line),
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
    if spans.is_empty() {
        return line.to_string();
    }
    let mut sorted: Vec<_> = spans.to_vec();
    sorted.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for s in sorted {
        out.push_str(&line[at..s.start]);
        out.push_str(&placeholder(s.rule));
        at = s.end;
    }
    out.push_str(&line[at..]);
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
            let _ = s.scan_patch_reader(bytes.as_slice());
            let _ = s.scan_file_patch(&String::from_utf8_lossy(&bytes));
        }
    }
}
