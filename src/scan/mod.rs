//! Guard: finds secrets in everything that would leave the machine. No I/O here except the
//! reader handed to [`Scanner::scan_patch_reader`].
//!
//! Only added lines are findings: removed and context lines are already on the remote.

mod entropy;
mod paths;
pub mod redact;
mod rules;

use std::io::BufRead;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

/// Markers that suppress findings on their line, as in gitleaks and detect-secrets.
const ALLOW_MARKERS: &[&str] = &[
    "gitleaks:allow",
    "pragma: allowlist secret",
    "handoff:allow",
];

/// One secret found. The value itself is never stored, only its masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    /// The file, or `<task>` / `<context>` for the prompt's own text.
    pub path: String,
    /// Line number in the new file (1-based); absent for findings about a file's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub masked: String,
    /// Stable identifier for the finding: `path:rule:line`.
    pub fingerprint: String,
}

impl Finding {
    fn new(rule: &'static str, path: &str, line: Option<usize>, masked: String) -> Finding {
        let fingerprint = format!("{path}:{rule}:{}", line.unwrap_or(0));
        Finding {
            rule,
            path: path.to_string(),
            line,
            masked,
            fingerprint,
        }
    }
}

/// Shows at most the first four characters of a secret, and only of a long one.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let shown: String = if n >= 16 {
        secret.chars().take(4).collect()
    } else {
        String::new()
    };
    format!("{shown}****({n} chars)")
}

/// The scanner: a keyword prefilter (aho-corasick) in front of the rule regexes, so that most
/// lines touch no regex at all.
pub struct Scanner {
    /// Keywords of case-insensitive rules, lower-cased, matched against the lower-cased line.
    folded: Prefilter,
    /// Keywords of case-sensitive rules, matched exactly.
    exact: Prefilter,
    allow: AhoCorasick,
    /// Scratch space for the lower-cased line, reused so that no line allocates.
    lowered: std::cell::RefCell<String>,
}

/// One keyword automaton and, for each of its patterns, the rules it triggers.
struct Prefilter {
    automaton: AhoCorasick,
    triggers: Vec<Vec<usize>>,
}

impl Prefilter {
    fn build(fold: bool) -> Prefilter {
        let mut words: Vec<&str> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules::RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.folds_case() == fold)
        {
            for k in r.keywords {
                match words.iter().position(|w| w == k) {
                    Some(p) => triggers[p].push(i),
                    None => {
                        words.push(k);
                        triggers.push(vec![i]);
                    }
                }
            }
        }
        // A keyword found implies every keyword inside it: fold their rules in, so that the
        // search below can report only the longest keyword at each position.
        let expanded: Vec<Vec<usize>> = words
            .iter()
            .map(|w| {
                let mut rules: Vec<usize> = Vec::new();
                for (v, t) in words.iter().zip(&triggers) {
                    let inside = if fold {
                        w.to_ascii_lowercase().contains(&v.to_ascii_lowercase())
                    } else {
                        w.contains(v)
                    };
                    if inside {
                        rules.extend(t);
                    }
                }
                rules.sort_unstable();
                rules.dedup();
                rules
            })
            .collect();
        // Built from constant keywords: a failure would be a bug that every test catches.
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            // Case folding is done on the line instead (see `line_spans`): an automaton
            // that ignores case cannot use the SIMD prefilter that makes clean lines cheap.
            .build(words.iter().map(|w| {
                if fold {
                    w.to_ascii_lowercase()
                } else {
                    w.to_string()
                }
            }))
            .expect("keyword automaton");
        Prefilter {
            automaton,
            triggers: expanded,
        }
    }

    /// Marks the rules whose keywords occur in `line`; true if any.
    ///
    /// Overlapping search would find every keyword but cannot use the automaton's SIMD
    /// prefilter, and it dominated the scan. Instead: the longest keyword at each position,
    /// restarting one byte after each match's start, so that keywords that begin inside
    /// another one are still seen (and the ones wholly inside are implied, see `build`).
    fn fire(&self, line: &str, fired: &mut [u64; 2]) -> bool {
        let mut any = false;
        let mut at = 0;
        while at < line.len() {
            let input = aho_corasick::Input::new(line).span(at..line.len());
            let Some(m) = self.automaton.find(input) else {
                break;
            };
            for &r in &self.triggers[m.pattern().as_usize()] {
                fired[r / 64] |= 1 << (r % 64);
                any = true;
            }
            at = m.start() + 1;
        }
        any
    }
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scanner")
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// A secret's place in one line: rule and byte span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub rule: &'static str,
    pub start: usize,
    pub end: usize,
}

impl Scanner {
    pub fn new() -> Scanner {
        let allow = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(ALLOW_MARKERS)
            .expect("allow automaton");
        Scanner {
            folded: Prefilter::build(true),
            exact: Prefilter::build(false),
            allow,
            lowered: std::cell::RefCell::new(String::new()),
        }
    }

    /// The secrets in one line of `path`, earliest rule first, overlaps dropped.
    pub(crate) fn line_spans(&self, line: &str, path: &str, out: &mut Vec<Span>) {
        out.clear();
        let mut fired = [0u64; 2];
        let folded = {
            let mut lowered = self.lowered.borrow_mut();
            lowered.clear();
            lowered.push_str(line);
            lowered.make_ascii_lowercase();
            self.folded.fire(&lowered, &mut fired)
        };
        let exact = self.exact.fire(line, &mut fired);
        if !(folded || exact) || self.allow.is_match(line) {
            return;
        }
        for (i, rule) in rules::RULES.iter().enumerate() {
            if fired[i / 64] & (1 << (i % 64)) == 0 {
                continue;
            }
            rule.find(line, path, &mut |start, end| {
                if !out.iter().any(|s| start < s.end && s.start < end) {
                    out.push(Span {
                        rule: rule.id,
                        start,
                        end,
                    });
                }
            });
        }
    }

    /// Findings in free text (the task, the context, a transcript), labelled `label`.
    pub fn scan_text(&self, text: &str, label: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        for (i, line) in text.lines().enumerate() {
            self.line_spans(line, label, &mut spans);
            for s in &spans {
                out.push(Finding::new(
                    s.rule,
                    label,
                    Some(i + 1),
                    mask(&line[s.start..s.end]),
                ));
            }
        }
        out
    }

    /// Findings in a file's name: a sensitive name, or a secret inside the name itself.
    pub fn scan_path(&self, path: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(rule) = paths::sensitive_path(path) {
            out.push(Finding::new(rule, path, None, String::new()));
        }
        let mut spans = Vec::new();
        self.line_spans(path, path, &mut spans);
        for s in &spans {
            out.push(Finding::new(
                s.rule,
                path,
                None,
                mask(&path[s.start..s.end]),
            ));
        }
        out
    }

    /// Findings in a unified diff read line by line: memory does not grow with the input.
    pub fn scan_patch_reader<R: BufRead>(&self, mut reader: R) -> std::io::Result<Vec<Finding>> {
        let mut walker = PatchWalker::default();
        let mut out = Vec::new();
        let mut buf = Vec::with_capacity(4096);
        let mut spans = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches(['\n', '\r']);
            self.walk_line(&mut walker, line, &mut spans, &mut out);
        }
        Ok(out)
    }

    /// Findings in one file's patch text (as captured), including its name.
    pub fn scan_file_patch(&self, patch: &str) -> Vec<Finding> {
        let mut walker = PatchWalker::default();
        let mut out = Vec::new();
        let mut spans = Vec::new();
        for line in patch.lines() {
            self.walk_line(&mut walker, line, &mut spans, &mut out);
        }
        out
    }

    fn walk_line(
        &self,
        w: &mut PatchWalker,
        line: &str,
        spans: &mut Vec<Span>,
        out: &mut Vec<Finding>,
    ) {
        match w.step(line) {
            Step::NewFile(path) => out.extend(self.scan_path(&path)),
            Step::Added { text, line_no } => {
                if w.in_key_block {
                    // The body of a key whose BEGIN line was reported: not reported again.
                    w.in_key_block = !ends_key_block(text);
                    return;
                }
                self.line_spans(text, &w.path, spans);
                for s in spans.iter() {
                    out.push(Finding::new(
                        s.rule,
                        &w.path,
                        Some(line_no),
                        mask(&text[s.start..s.end]),
                    ));
                }
                w.in_key_block = opens_key_block(spans, text);
            }
            Step::Other => {}
        }
    }
}

/// Whether a line's findings open a private key block that continues on the next lines.
pub(crate) fn opens_key_block(spans: &[Span], text: &str) -> bool {
    spans
        .iter()
        .any(|s| s.rule == "private-key" && !text[s.start..s.end].contains("-----END"))
}

pub(crate) fn ends_key_block(text: &str) -> bool {
    text.contains("-----END") && text.contains("PRIVATE KEY")
}

/// What one line of a unified diff is.
pub(crate) enum Step<'a> {
    /// A file whose new side exists begins (path as in the new tree).
    NewFile(String),
    /// An added line, with its number in the new file.
    Added {
        text: &'a str,
        line_no: usize,
    },
    Other,
}

/// A line-at-a-time reader of unified diffs (git's and plain ones). It tracks hunk sizes so
/// that an added line starting with `++ ` is never mistaken for a header.
#[derive(Default)]
pub(crate) struct PatchWalker {
    pub path: String,
    old_left: usize,
    new_left: usize,
    next_new: usize,
    binary: bool,
    announced: bool,
    deleted: bool,
    /// Inside a private key block whose BEGIN line was a finding: the rest of it is secret.
    pub in_key_block: bool,
}

impl PatchWalker {
    pub(crate) fn step<'a>(&mut self, line: &'a str) -> Step<'a> {
        if self.old_left > 0 || self.new_left > 0 {
            match line.as_bytes().first() {
                Some(b'+') => {
                    let n = self.next_new;
                    self.next_new += 1;
                    self.new_left = self.new_left.saturating_sub(1);
                    return Step::Added {
                        text: &line[1..],
                        line_no: n,
                    };
                }
                Some(b'-') => {
                    self.old_left = self.old_left.saturating_sub(1);
                    return Step::Other;
                }
                Some(b' ') | None => {
                    self.old_left = self.old_left.saturating_sub(1);
                    self.new_left = self.new_left.saturating_sub(1);
                    self.next_new += 1;
                    return Step::Other;
                }
                Some(b'\\') => return Step::Other,
                // Anything else ends the hunk early (a truncated or hand-edited patch).
                _ => {
                    self.old_left = 0;
                    self.new_left = 0;
                }
            }
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            self.start_file(git_new_path(rest));
            return Step::Other;
        }
        if line.starts_with("deleted file mode") {
            self.deleted = true;
            return Step::Other;
        }
        if line == "GIT binary patch" || line.starts_with("Binary files ") {
            self.binary = true;
            return self.announce();
        }
        if let Some(rest) = line.strip_prefix("+++ ") {
            let p = rest.split('\t').next().unwrap_or(rest).trim_end();
            if p == "/dev/null" {
                self.deleted = true;
            } else {
                let p = unquote(p);
                let p = p.strip_prefix("b/").map(str::to_string).unwrap_or(p);
                if self.path.is_empty() || !self.announced {
                    self.path = p;
                }
            }
            return self.announce();
        }
        if let Some(rest) = line.strip_prefix("@@ ") {
            if self.binary {
                return Step::Other;
            }
            if let Some((old, new)) = parse_hunk(rest) {
                self.old_left = old.1;
                self.new_left = new.1;
                self.next_new = new.0.max(1);
                if new.1 == 0 {
                    self.next_new = new.0;
                }
            }
            return Step::Other;
        }
        if line.starts_with("rename to ")
            || line.starts_with("new file mode")
            || line.starts_with("similarity index")
        {
            return Step::Other;
        }
        Step::Other
    }

    fn start_file(&mut self, path: String) {
        *self = PatchWalker {
            path,
            ..PatchWalker::default()
        };
    }

    fn announce<'a>(&mut self) -> Step<'a> {
        if self.announced || self.deleted || self.path.is_empty() {
            return Step::Other;
        }
        self.announced = true;
        Step::NewFile(self.path.clone())
    }
}

/// `a/x b/y` (possibly quoted) from a `diff --git` line: the new path.
fn git_new_path(rest: &str) -> String {
    if let Some(i) = rest.rfind(" \"b/") {
        return unquote(&rest[i + 1..]).trim_start_matches("b/").to_string();
    }
    match rest.rfind(" b/") {
        Some(i) => rest[i + 3..].to_string(),
        None => String::new(),
    }
}

/// Undoes git's C-style quoting of paths (`"a/\303\251.txt"`).
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return s.to_string();
    };
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let c = bytes[i + 1];
            if (b'0'..=b'7').contains(&c) && i + 3 < bytes.len() {
                let oct = &inner[i + 1..i + 4];
                if let Ok(v) = u8::from_str_radix(oct, 8) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
            out.push(match c {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'a' => 7,
                b'b' => 8,
                b'f' => 12,
                b'v' => 11,
                other => other,
            });
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `-a,b +c,d @@ ...` → ((a, b), (c, d)); a missing count is 1.
fn parse_hunk(rest: &str) -> Option<((usize, usize), (usize, usize))> {
    let mut parts = rest.split(' ');
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    Some((range(old)?, range(new)?))
}

#[cfg(test)]
mod tests {
    use super::rules::tests::{Gen, B62};
    use super::*;

    #[test]
    fn masking_reveals_at_most_four_characters() {
        assert_eq!(
            mask("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            "ghp_****(40 chars)"
        );
        assert_eq!(mask("short-secret"), "****(12 chars)");
        assert_eq!(mask(""), "****(0 chars)");
    }

    #[test]
    fn only_added_lines_are_findings_with_new_file_line_numbers() {
        let mut g = Gen::new(40);
        let tok = format!("ghp_{}", g.s(B62, 36));
        let patch = format!(
            "diff --git a/src/a.py b/src/a.py\nindex 1..2 100644\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,3 +1,4 @@\n x = 1\n-old = \"{tok}\"\n+new = \"{tok}\"\n+++ not a header = \"{tok}\"\n y = 2\n"
        );
        let s = Scanner::new();
        let f = s.scan_file_patch(&patch);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].path, "src/a.py");
        assert_eq!(f[0].line, Some(2));
        assert_eq!(f[1].line, Some(3));
        assert!(f.iter().all(|x| !x.masked.contains(&tok[4..])));
        let streamed = s.scan_patch_reader(patch.as_bytes()).expect("read");
        assert_eq!(streamed, f);
    }

    #[test]
    fn allow_markers_suppress_the_line() {
        let mut g = Gen::new(41);
        let tok = format!("ghp_{}", g.s(B62, 36));
        let s = Scanner::new();
        for marker in [
            "# gitleaks:allow",
            "// pragma: allowlist secret",
            "# handoff:allow",
        ] {
            assert!(s
                .scan_text(&format!("t = \"{tok}\" {marker}"), "<task>")
                .is_empty());
        }
        assert_eq!(s.scan_text(&format!("t = \"{tok}\""), "<task>").len(), 1);
    }

    #[test]
    fn new_sensitive_files_are_findings_but_deleted_ones_are_not() {
        let s = Scanner::new();
        let added = "diff --git a/.env b/.env\nnew file mode 100644\n--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+DEBUG=1\n";
        let f = s.scan_file_patch(added);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "env-file");
        assert_eq!(f[0].line, None);
        let deleted = "diff --git a/.env b/.env\ndeleted file mode 100644\n--- a/.env\n+++ /dev/null\n@@ -1 +0,0 @@\n-DEBUG=1\n";
        assert!(s.scan_file_patch(deleted).is_empty());
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        assert_eq!(
            git_new_path("\"a/r\\303\\251.txt\" \"b/r\\303\\251.txt\""),
            "ré.txt"
        );
        assert_eq!(git_new_path("a/x y.txt b/x y.txt"), "x y.txt");
    }
}
