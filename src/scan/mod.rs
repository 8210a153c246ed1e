//! Guard: finds secrets in everything that would leave the machine. The scanner does no I/O
//! of its own beyond the reader handed to [`Scanner::scan_patch_reader`] and the blob lookup
//! a [`Scope`] may carry; `baseline.rs` reads and writes baseline and ignore files.
//!
//! Added lines are always scanned. Removed and context lines, old file names and the reverse
//! half of binary patches are scanned too unless the base commit is provably on the remote
//! (see [`Scope::old_side`]): only then are they already public to whoever gets the patch.
//! Binary patches are decoded and their content scanned in whatever encoding it has.

mod archive;
pub mod baseline;
mod decode;
mod entropy;
mod literals;
mod paths;
pub mod policy;
pub mod redact;
mod rules;
pub mod sarif;

use std::io::{BufRead, Read};

use crate::patch::binary;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

/// Markers that suppress findings on their line, as in gitleaks and detect-secrets.
const ALLOW_MARKERS: &[&str] = &[
    "gitleaks:allow",
    "pragma: allowlist secret",
    "handoff:allow",
];

/// Which part of a patch a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// An added line, or the new content of a binary file.
    #[default]
    Added,
    /// A removed line, an old file name, or the old content of a binary file.
    Removed,
    /// An unchanged line shown around a change.
    Context,
}

impl Side {
    fn is_added(&self) -> bool {
        *self == Side::Added
    }
}

/// One secret found. The value itself is never stored, only its masked form and a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    /// The file, or `<task>` / `<context>` / `<title>` … for the request's own text.
    pub path: String,
    /// Line number (1-based) in the new file, or in the old one for removed lines; absent for
    /// findings about a file's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column (1-based, in characters) where the secret starts on its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub masked: String,
    /// Where in the patch: absent for added lines.
    #[serde(skip_serializing_if = "Side::is_added")]
    pub side: Side,
    /// Stable identifier for the finding, for baselines: `rule:path:hash`, where the hash
    /// (16 hex digits of SHA-256) is of the rule and the secret. It holds no secret and
    /// stays the same when the line moves.
    pub fingerprint: String,
    /// Why a file as a whole is a finding, when it is not its name: its content could not be
    /// read (an encrypted archive, a compression bomb).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// 16 hex digits of SHA-256 over the rule and the value: identifies a secret without
/// holding it (too short to confirm a guess of a low-entropy value with certainty).
fn value_hash(rule: &str, value: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Finding {
    /// A finding of `rule` in `path` for `value` (empty for findings about a file as a
    /// whole, which the path identifies).
    fn new(rule: &'static str, path: &str, line: Option<usize>, value: &str) -> Finding {
        let masked = if value.is_empty() {
            String::new()
        } else {
            mask(value)
        };
        let fingerprint = format!("{rule}:{path}:{}", value_hash(rule, value));
        Finding {
            rule,
            path: path.to_string(),
            line,
            column: None,
            masked,
            side: Side::Added,
            fingerprint,
            reason: None,
        }
    }

    fn on(mut self, side: Side) -> Finding {
        self.side = side;
        self
    }

    fn because(mut self, reason: &'static str) -> Finding {
        self.reason = Some(reason);
        self
    }

    fn at_column(mut self, column: usize) -> Finding {
        self.column = Some(column);
        self
    }

    /// gitleaks' own fingerprint for this finding, `path:rule:line`, to match the entries of
    /// a `.gitleaksignore` once their rule is mapped onto ours.
    pub fn line_key(&self) -> Option<String> {
        self.line
            .map(|l| format!("{}:{}:{l}", self.path, self.rule))
    }
}

/// Finds a blob's content by its full object id.
pub type BlobLookup<'a> = dyn Fn(&str) -> Option<Vec<u8>> + 'a;

/// What of a patch to scan beyond its added lines.
#[derive(Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Also scan removed and context lines, old names and old binary content: set when the
    /// base commit is not reachable from any remote-tracking ref.
    pub old_side: bool,
    /// Old blobs by full object id, so a binary delta's whole new content can be rebuilt and
    /// scanned; without it only the bytes the delta inserts are scanned.
    pub blobs: Option<&'a BlobLookup<'a>>,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("old_side", &self.old_side)
            .finish_non_exhaustive()
    }
}

/// Every rule the guard runs: content rules and file-name rules, sorted, each once.
pub fn rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = rules::RULES.iter().map(|r| r.id).collect();
    ids.extend(paths::RULE_IDS);
    ids.push("undecodable-binary");
    ids.push("unscannable-archive");
    ids.sort_unstable();
    ids.dedup();
    ids
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
    /// Every rule's keywords.
    keywords: Keywords,
    allow: AhoCorasick,
    /// Scratch space for the rules a line fires.
    fired: std::cell::RefCell<Fired>,

    /// While a patch line is walked: the rules its keywords fire, found for the whole block
    /// at once (see `scan_block`).
    preset: std::cell::RefCell<Fired>,
    preset_on: std::cell::Cell<bool>,
    /// Whether that line holds any keyword (when not, `preset` is stale and unread).
    preset_any: std::cell::Cell<bool>,
    /// Set while scanning a line whose allow comment was inherited, not written: it is
    /// scanned as if it had none.
    ignore_allow: std::cell::Cell<bool>,
}

/// Whether the start of an input is a unified diff: a `diff --git` header, or `---`/`+++`
/// file lines followed by a hunk header, at the start of a line.
fn looks_like_patch(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut minus = false;
    let mut plus = false;
    for line in text.lines() {
        if line.starts_with("diff --git ") {
            return true;
        }
        if line.starts_with("--- ") {
            minus = true;
        } else if minus && line.starts_with("+++ ") {
            plus = true;
        } else if plus && line.starts_with("@@ -") {
            return true;
        }
    }
    false
}

/// One bit per rule: the rules whose keywords a line holds. Sized from the table, so any
/// number of rules fits.
type Fired = Vec<u64>;

/// The keyword automaton: every rule's keywords in one case-insensitive pass, and for each
/// pattern the rules it triggers. Keywords of case-sensitive rules (`SK` must not fire on
/// every `task`) are checked for their exact bytes at each match.
struct Keywords {
    automaton: AhoCorasick,
    /// Per pattern: the bytes a match must equal exactly (`None`: any case), and the rules.
    patterns: Vec<(Option<Vec<u8>>, Vec<usize>)>,
}

impl Keywords {
    fn build() -> Keywords {
        // (text searched for, exact bytes) → rules
        let mut keys: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        let mut patterns: Vec<(Option<Vec<u8>>, Vec<usize>)> = Vec::new();
        for (i, r) in rules::RULES.iter().enumerate() {
            for k in r.keywords {
                let key = (
                    k.to_ascii_lowercase(),
                    (!r.folds_case()).then(|| k.as_bytes().to_vec()),
                );
                match keys.iter().position(|x| *x == key) {
                    Some(p) => patterns[p].1.push(i),
                    None => {
                        patterns.push((key.1.clone(), vec![i]));
                        keys.push(key);
                    }
                }
            }
        }
        // Built from constant keywords: a failure would be a bug that every test catches.
        // A dense DFA with standard semantics: hundreds of keywords are past what a SIMD
        // prefilter takes, a DFA costs one table lookup per byte (case folding included),
        // and standard semantics allow one overlapping pass that sees every keyword.
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(keys.iter().map(|k| k.0.as_str()))
            .expect("keyword automaton");
        Keywords {
            automaton,
            patterns,
        }
    }

    /// Calls `hit(start, rules)` for every keyword occurrence in `haystack`, in one pass.
    fn each<'s>(&'s self, haystack: &[u8], mut hit: impl FnMut(usize, &'s [usize])) {
        for m in self.automaton.find_overlapping_iter(haystack) {
            let (exact, rules) = &self.patterns[m.pattern().as_usize()];
            if exact
                .as_ref()
                .is_none_or(|e| haystack[m.start()..m.end()] == e[..])
            {
                hit(m.start(), rules);
            }
        }
    }

    /// Marks the rules whose keywords occur in `line`.
    fn fire(&self, line: &str, fired: &mut Fired) {
        self.each(line.as_bytes(), |_, rules| {
            for &r in rules {
                fired[r / 64] |= 1 << (r % 64);
            }
        });
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
            keywords: Keywords::build(),
            allow,
            fired: std::cell::RefCell::new(Vec::new()),

            preset: std::cell::RefCell::new(Vec::new()),
            preset_on: std::cell::Cell::new(false),
            preset_any: std::cell::Cell::new(false),
            ignore_allow: std::cell::Cell::new(false),
        }
    }

    /// The secrets in one line of `path`, earliest rule first, overlaps dropped.
    pub(crate) fn line_spans(&self, line: &str, path: &str, out: &mut Vec<Span>) {
        let mut fired = self.fired.borrow_mut();
        fired.clear();
        fired.resize(rules::RULES.len().div_ceil(64), 0);
        self.keywords.fire(line, &mut fired);
        self.spans_with(line, path, &fired, out);
    }

    /// The secrets in `line`, running only the rules marked in `fired`.
    fn spans_with(&self, line: &str, path: &str, fired: &Fired, out: &mut Vec<Span>) {
        out.clear();
        if fired.iter().all(|w| *w == 0) || (!self.ignore_allow.get() && self.allow.is_match(line))
        {
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

    /// The secrets in one line of a stream of lines, with what the line before it left: a
    /// secret's name alone on one line and its value on the next (a YAML `- name:` / `value:`
    /// pair, an XML element around a lone value, an HCL `variable` with its `default`).
    pub(crate) fn stream_spans(
        &self,
        line: &str,
        path: &str,
        carry: &mut Carry,
        out: &mut Vec<Span>,
    ) {
        self.own_spans(line, path, out);
        if let Some(name) = carry.name.take() {
            if let Some((start, end)) = carried_value(line) {
                let value = &line[start..end];
                let joined = format!("{name} = \"{value}\"");
                let at = joined.len() - value.len() - 1;
                let mut extra = Vec::new();
                self.line_spans(&joined, path, &mut extra);
                for s in extra {
                    let (s0, s1) = (s.start.wrapping_sub(at), s.end.wrapping_sub(at));
                    if s.start >= at
                        && s1 <= value.len()
                        && !out
                            .iter()
                            .any(|o| start + s0 < o.end && o.start < start + s1)
                    {
                        out.push(Span {
                            rule: s.rule,
                            start: start + s0,
                            end: start + s1,
                        });
                    }
                }
            }
        }
        carry.name = name_alone(line).map(str::to_string);
        carry.back = None;
        // A secret split across adjacent literals, on this line or from the line before: the
        // joined value's span covers its pieces in this line.
        if let Some(joined) = literals::join(line, carry.tail.as_deref()) {
            // Searched afresh: the keyword may be in the part carried from the line before.
            let mut extra = Vec::new();
            self.line_spans(&joined.text, path, &mut extra);
            for s in extra {
                if let Some((start, end, carried)) = joined.placed(s.start, s.end) {
                    out.retain(|o| !(start <= o.start && o.end <= end));
                    if !out.iter().any(|o| start < o.end && o.start < end) {
                        out.push(Span {
                            rule: s.rule,
                            start,
                            end,
                        });
                        if carried {
                            carry.back = Some(s.rule);
                        }
                    }
                }
            }
        }
        carry.tail = literals::tail(line);
    }

    /// The secrets in one line by the rules this scanner runs (all, or a preset's).
    fn own_spans(&self, line: &str, path: &str, out: &mut Vec<Span>) {
        if self.preset_on.get() {
            if self.preset_any.get() {
                self.spans_with(line, path, &self.preset.borrow(), out);
            } else {
                out.clear();
            }
        } else {
            self.line_spans(line, path, out);
        }
    }

    /// Findings in free text (the task, the context, a transcript), labelled `label`.
    pub fn scan_text(&self, text: &str, label: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut gate = KeyGate::default();
        let place = Place {
            path: label,
            shown: label,
            side: Side::Added,
        };
        for (i, line) in text.lines().enumerate() {
            self.line_findings(line, &place, i + 1, &mut gate, &mut spans, &mut out);
        }
        out
    }

    /// Findings in a file's name: a sensitive name, or a secret inside the name itself (then
    /// the path shown is masked too).
    pub fn scan_path(&self, path: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let shown = self.shown_path(path);
        let label = shown.as_deref().unwrap_or(path);
        if let Some(rule) = paths::sensitive_path(path) {
            out.push(Finding::new(rule, label, None, ""));
        }
        let mut spans = Vec::new();
        self.line_spans(path, path, &mut spans);
        for s in &spans {
            out.push(Finding::new(s.rule, label, None, &path[s.start..s.end]));
        }
        out
    }

    /// Findings in arbitrary bytes (a binary or non-UTF-8 file's content), in whatever
    /// encoding they hold text: see [`decode::text_runs`].
    pub fn scan_bytes(&self, bytes: &[u8], path: &str, side: Side, out: &mut Vec<Finding>) {
        let shown = self.shown_path(path);
        self.bytes_findings(bytes, path, shown.as_deref().unwrap_or(path), side, out);
    }

    fn bytes_findings(
        &self,
        bytes: &[u8],
        path: &str,
        shown: &str,
        side: Side,
        out: &mut Vec<Finding>,
    ) {
        let before = out.len();
        self.unpacked_findings(bytes, path, shown, side, 0, out);
        // A secret seen both in a member and in the archive's own bytes (a stored zip) is
        // reported once.
        keep_first(out, before, |f| f.fingerprint.clone());
    }

    /// A compressed or archived file is scanned by what it holds, `depth` archives down; one
    /// that cannot be unpacked within the bounds is a finding of its own, so that it is never
    /// passed unread.
    fn unpacked_findings(
        &self,
        bytes: &[u8],
        path: &str,
        shown: &str,
        side: Side,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        let unscannable = |why| {
            Finding::new("unscannable-archive", shown, None, "")
                .on(side)
                .because(why)
        };
        match archive::unpack(bytes) {
            archive::Unpacked::Plain => self.text_findings(bytes, path, shown, side, out),
            archive::Unpacked::Members(_) if depth >= archive::MAX_DEPTH => {
                out.push(unscannable("archives nested deeper than the scanner reads"))
            }
            archive::Unpacked::Members(members) => {
                for (name, data) in &members {
                    // A member's name is scanned too: a sensitive name (a `.env` inside a zip),
                    // or a secret in the name itself.
                    let inner = format!("{path}/{name}");
                    if let Some(rule) = paths::sensitive_path(&inner) {
                        out.push(Finding::new(rule, shown, None, "").on(side));
                    }
                    let mut spans = Vec::new();
                    self.line_spans(name, &inner, &mut spans);
                    for s in &spans {
                        out.push(Finding::new(s.rule, shown, None, &name[s.start..s.end]).on(side));
                    }
                    self.unpacked_findings(data, &inner, shown, side, depth + 1, out);
                }
                // And the archive's own bytes: comments, headers (link targets, pax records,
                // a gzip's stored name), and anything before or after the archive proper.
                self.text_findings(bytes, path, shown, side, out);
            }
            archive::Unpacked::Unscannable(why) => out.push(unscannable(why)),
        }
    }

    fn text_findings(
        &self,
        bytes: &[u8],
        path: &str,
        shown: &str,
        side: Side,
        out: &mut Vec<Finding>,
    ) {
        let mut spans = Vec::new();
        let before = out.len();
        let mut gate = KeyGate::default();
        let place = Place { path, shown, side };
        decode::text_runs(bytes, &mut |line, text| {
            self.line_findings(text, &place, line, &mut gate, &mut spans, out);
        });
        // The same run can be seen through two decodings; report it once.
        keep_first(out, before, |f| (f.rule, f.line, f.masked.clone()));
    }

    /// `path` with any secret in it masked, when it holds one: the name findings are shown
    /// under, so that not even a file's name prints a secret.
    pub fn shown_path(&self, path: &str) -> Option<String> {
        let mut spans = Vec::new();
        self.line_spans(path, path, &mut spans);
        if spans.is_empty() {
            return None;
        }
        let out = replace_spans(path, &spans, |s| mask(&path[s.start..s.end]));
        Some(out)
    }

    /// Findings in a unified diff read line by line: memory does not grow with the input
    /// (beyond one binary hunk, and a block of about a megabyte, at a time).
    pub fn scan_patch_reader<R: BufRead>(
        &self,
        mut reader: R,
        scope: Scope<'_>,
    ) -> std::io::Result<Vec<Finding>> {
        const BLOCK: usize = 1 << 20;
        let mut walker = PatchWalker::default();
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut buf = vec![0u8; BLOCK];
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                // One line longer than the buffer: let it grow rather than cut the line.
                buf.resize(buf.len() * 2, 0);
            }
            let n = match reader.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.scan_block(&buf[..filled], &mut walker, scope, &mut spans, &mut out);
                break;
            }
            filled += n;
            // Whole lines go now; a partial last line waits for the rest of it.
            if let Some(last) = memchr::memrchr(b'\n', &buf[..filled]) {
                self.scan_block(&buf[..=last], &mut walker, scope, &mut spans, &mut out);
                buf.copy_within(last + 1..filled, 0);
                filled -= last + 1;
            }
        }
        let last = walker.finish();
        self.on_step(&mut walker, last, scope, &mut spans, &mut out);
        Ok(out)
    }

    /// Findings in any input a person hands to `scan`: a unified diff is read as a patch
    /// (streamed); anything else is scanned as a file's content under `label`, in whatever
    /// encoding it holds text. Nothing is ever reported clean without being scanned.
    pub fn scan_input<R: Read>(&self, mut reader: R, label: &str) -> std::io::Result<Vec<Finding>> {
        const HEAD: u64 = 64 * 1024;
        let mut head = Vec::with_capacity(HEAD as usize);
        (&mut reader).take(HEAD).read_to_end(&mut head)?;
        // A short head was the whole input: reading again would wait for a second
        // end-of-file on a terminal.
        let ended = (head.len() as u64) < HEAD;
        if !ended {
            reader.read_to_end(&mut head)?;
        }
        if looks_like_patch(&head) {
            // Read as a patch (file names, binary hunks, line numbers in the new file), and
            // every byte as text too: a diff inside notes, a commit message, a removed or
            // context line are scanned as well. A secret found both ways is reported once.
            let mut out = self.scan_patch_reader(head.as_slice(), Scope::default())?;
            let hash = |f: &Finding| f.fingerprint.rsplit(':').next().unwrap_or("").to_string();
            let seen: std::collections::HashSet<String> = out.iter().map(hash).collect();
            let text = String::from_utf8_lossy(&head);
            out.extend(
                self.scan_text(&text, label)
                    .into_iter()
                    .filter(|f| !seen.contains(&hash(f))),
            );
            return Ok(out);
        }
        let mut out = Vec::new();
        match std::str::from_utf8(&head) {
            Ok(text) if !text.contains('\0') => {
                out.extend(
                    self.scan_path(label)
                        .into_iter()
                        .filter(|f| !f.masked.is_empty()),
                );
                out.extend(self.scan_text(text, label));
            }
            _ => self.scan_bytes(&head, label, Side::Added, &mut out),
        }
        Ok(out)
    }

    /// Findings in one file's patch text (as captured), including its name.
    pub fn scan_file_patch(&self, patch: &str, scope: Scope<'_>) -> Vec<Finding> {
        let mut walker = PatchWalker::default();
        let mut out = Vec::new();
        let mut spans = Vec::new();
        self.scan_block(patch.as_bytes(), &mut walker, scope, &mut spans, &mut out);
        let last = walker.finish();
        self.on_step(&mut walker, last, scope, &mut spans, &mut out);
        out
    }

    /// Walks whole lines of a patch. The keyword automata run once over the block, not once
    /// per line: for short lines the cost of starting a search dominates. Each line then runs
    /// only the rules its own keywords fired, and most lines fire none.
    fn scan_block(
        &self,
        block: &[u8],
        walker: &mut PatchWalker,
        scope: Scope<'_>,
        spans: &mut Vec<Span>,
        out: &mut Vec<Finding>,
    ) {
        // (position, rules to fire) for every keyword occurrence, in order.
        let mut hits: Vec<(usize, &[usize])> = Vec::new();
        self.keywords
            .each(block, |at, rules| hits.push((at, rules)));
        let words = rules::RULES.len().div_ceil(64);
        // Valid UTF-8 (nearly always) is checked once for the block, not once per line.
        let text = std::str::from_utf8(block).ok();
        let mut next_hit = 0;
        let mut start = 0;
        while start < block.len() {
            let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
            let any = next_hit < hits.len() && hits[next_hit].0 < end;
            if any {
                let mut fired = self.preset.borrow_mut();
                fired.clear();
                fired.resize(words, 0);
                while next_hit < hits.len() && hits[next_hit].0 < end {
                    for &r in hits[next_hit].1 {
                        fired[r / 64] |= 1 << (r % 64);
                    }
                    next_hit += 1;
                }
            }
            let lossy;
            let line = match text {
                Some(t) => &t[start..end],
                None => {
                    lossy = String::from_utf8_lossy(&block[start..end]);
                    &lossy
                }
            };
            let line = line.strip_suffix('\r').unwrap_or(line);
            let step = walker.step(line);
            // Only a patch line's own text takes the block's keywords; a binary hunk's
            // decoded content and file names are searched afresh.
            let own = matches!(
                step,
                Step::Added { .. } | Step::Removed { .. } | Step::Context { .. }
            );
            self.preset_on.set(own);
            self.preset_any.set(any);
            self.on_step(walker, step, scope, spans, out);
            self.preset_on.set(false);
            start = end + 1;
        }
    }

    /// Findings in one line of a stream (a text, a file's added lines, …). A private key's
    /// BEGIN line counts only with a key body after it, on the same line or the next one of
    /// the same stream: a bare marker line in documentation or a test is not a key.
    fn line_findings(
        &self,
        text: &str,
        place: &Place<'_>,
        line: usize,
        gate: &mut KeyGate,
        spans: &mut Vec<Span>,
        out: &mut Vec<Finding>,
    ) {
        resolve_key(&mut gate.pending, text, out);
        self.stream_spans(text, place.path, &mut gate.carry, spans);
        for s in spans.iter() {
            let value = &text[s.start..s.end];
            let column = text[..s.start].chars().count() + 1;
            let f = Finding::new(s.rule, place.shown, Some(line), value)
                .on(place.side)
                .at_column(column);
            if s.rule == "private-key" && !value.contains("-----END") {
                if looks_like_key_body(&text[s.end..]) {
                    out.push(f);
                } else {
                    gate.pending = Some(f);
                }
            } else {
                out.push(f);
            }
        }
    }

    fn on_step(
        &self,
        w: &mut PatchWalker,
        step: Step<'_>,
        scope: Scope<'_>,
        spans: &mut Vec<Span>,
        out: &mut Vec<Finding>,
    ) {
        match step {
            Step::NewFile(path) => {
                out.extend(self.scan_path(&path));
                w.shown = self.shown_path(&path);
            }
            Step::OldFile(path) if scope.old_side => {
                out.extend(
                    self.scan_path(&path)
                        .into_iter()
                        .filter(|f| !f.masked.is_empty())
                        .map(|f| f.on(Side::Removed)),
                );
                if w.shown.is_none() {
                    w.shown = self.shown_path(&w.path);
                }
            }
            Step::Added { text, line_no } => {
                if w.key_in_context && !w.in_key_block && looks_like_key_body(text) {
                    // A key body added under a BEGIN line that was already there (a template
                    // `-----BEGIN … PRIVATE KEY-----` / `<paste here>` / END, filled in).
                    w.key_in_context = false;
                    w.in_key_block = !ends_key_block(text);
                    let shown = w.shown.as_deref().unwrap_or(&w.path);
                    out.push(
                        Finding::new("private-key", shown, Some(line_no), text.trim()).at_column(1),
                    );
                    return;
                }
                if w.in_key_block {
                    // The body of a key whose BEGIN line was seen: it confirms the key (see
                    // `line_findings`), and is not reported again.
                    resolve_key(&mut w.new_gate.pending, text, out);
                    w.in_key_block = !ends_key_block(text);
                    return;
                }
                let place = Place {
                    path: &w.path,
                    shown: w.shown.as_deref().unwrap_or(&w.path),
                    side: Side::Added,
                };
                // A line changed under an allow comment that was already there (a committed
                // template `key = ""  # pragma: allowlist secret`, filled in) does not take
                // the comment's word for the new value: the comment was not written for it.
                self.ignore_allow.set(w.allow_removed);
                self.line_findings(text, &place, line_no, &mut w.new_gate, spans, out);
                self.ignore_allow.set(false);
                w.in_key_block = opens_key_block(spans, text);
            }
            Step::Removed { text, .. } if !scope.old_side => {
                w.allow_removed |= self.allow.is_match(text);
            }
            Step::Removed { text, line_no } => {
                w.allow_removed |= self.allow.is_match(text);
                let place = Place {
                    path: &w.path,
                    shown: w.shown.as_deref().unwrap_or(&w.path),
                    side: Side::Removed,
                };
                self.line_findings(text, &place, line_no, &mut w.old_gate, spans, out);
            }
            Step::Context { text, line_no } => {
                w.allow_removed = false;
                if text.contains("-----BEGIN") && text.contains("PRIVATE KEY") {
                    w.key_in_context = true;
                } else if ends_key_block(text) {
                    w.key_in_context = false;
                }
                w.new_gate.carry.follow(text);
                if scope.old_side {
                    let place = Place {
                        path: &w.path,
                        shown: w.shown.as_deref().unwrap_or(&w.path),
                        side: Side::Context,
                    };
                    self.line_findings(text, &place, line_no, &mut w.old_gate, spans, out);
                }
            }
            Step::Binary { hunk, forward } => self.scan_binary(w, &hunk, forward, scope, out),
            _ => {}
        }
    }

    /// A binary hunk: the new content (forward) always, the old (reverse) with the old side.
    fn scan_binary(
        &self,
        w: &PatchWalker,
        hunk: &binary::Hunk,
        forward: bool,
        scope: Scope<'_>,
        out: &mut Vec<Finding>,
    ) {
        if !forward && !scope.old_side {
            return;
        }
        let side = if forward { Side::Added } else { Side::Removed };
        let shown = w.shown.as_deref().unwrap_or(&w.path);
        let Some(data) = hunk.inflate() else {
            // Undecodable data cannot be vouched for: say so rather than pass it silently.
            out.push(
                Finding::new("undecodable-binary", shown, None, "")
                    .on(side)
                    .because("its binary patch could not be decoded"),
            );
            return;
        };
        match hunk.kind {
            binary::HunkKind::Literal => self.bytes_findings(&data, &w.path, shown, side, out),
            binary::HunkKind::Delta => {
                let rebuilt = forward
                    .then(|| scope.blobs.and_then(|get| get(&w.old_oid)))
                    .flatten()
                    .and_then(|base| binary::apply_delta(&base, &data));
                match rebuilt {
                    Some(content) => self.bytes_findings(&content, &w.path, shown, side, out),
                    None => {
                        for piece in binary::delta_inserts(&data) {
                            self.bytes_findings(piece, &w.path, shown, side, out);
                        }
                    }
                }
            }
        }
    }
}

/// `line` with each span replaced by what `with` makes of it.
pub(crate) fn replace_spans(line: &str, spans: &[Span], with: impl Fn(&Span) -> String) -> String {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for s in sorted {
        out.push_str(&line[at..s.start]);
        out.push_str(&with(s));
        at = s.end;
    }
    out.push_str(&line[at..]);
    out
}

/// Drops the findings from `from` on whose `key` an earlier one of them already had.
fn keep_first<K: std::hash::Hash + Eq>(
    out: &mut Vec<Finding>,
    from: usize,
    key: impl Fn(&Finding) -> K,
) {
    let mut seen = std::collections::HashSet::new();
    let tail = out.split_off(from);
    out.extend(tail.into_iter().filter(|f| seen.insert(key(f))));
}

/// Where a line's findings are reported: the path rules see, the path shown, the side.
struct Place<'a> {
    path: &'a str,
    shown: &'a str,
    side: Side,
}

/// What one line of a stream leaves for the next: a private key's BEGIN line waiting for
/// its body, and a secret's name waiting for its value.
#[derive(Default)]
pub(crate) struct KeyGate {
    pending: Option<Finding>,
    carry: Carry,
}

/// What a line leaves for the next: a name seen alone (its value may be on the next line), and
/// a literal it ends with (the next may continue it).
#[derive(Default)]
pub(crate) struct Carry {
    name: Option<String>,
    /// The line before, up to the end of the literal it ends with.
    tail: Option<String>,
    /// Set when this line's secret began in the line before's last literal: the rule, so that
    /// redaction can take that piece too.
    back: Option<&'static str>,
}

impl Carry {
    /// Follows a line that is not scanned itself (context), so that its name and a literal
    /// it ends with still count.
    pub(crate) fn follow(&mut self, line: &str) {
        self.name = name_alone(line).map(str::to_string);
        self.tail = literals::tail(line);
        self.back = None;
    }

    /// The rule of a secret on the line just scanned that began in the line before.
    pub(crate) fn took_back(&self) -> Option<&'static str> {
        self.back
    }
}

/// Lines that name a value without holding it.
static NAME_ALONE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // A constant pattern: a failure is a bug every test catches.
    regex::Regex::new(
        r#"^\s*(?:-\s*)?(?:(?i:name|key)\s*:\s*["']?([A-Za-z0-9_.\-]+)["']?|"(?i:name|key)"\s*:\s*"([A-Za-z0-9_.\-]+)"|<([A-Za-z0-9_.:\-]+)>|variable\s+"([A-Za-z0-9_\-]+)"\s*\{|([A-Za-z0-9_.\-]+)\s*:\s*[|>][-+]?)\s*,?\s*$"#,
    )
    .expect("name pattern")
});

/// Lines that hold a value without naming it.
static VALUE_ALONE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r#"^\s*(?:(?:(?i:value|default)|"(?i:value|default)")\s*[:=]\s*["']?([^\s"',]{8,})["']?\s*,?|([^\s<>"'=:]{8,}))\s*$"#,
    )
    .expect("value pattern")
});

fn name_alone(line: &str) -> Option<&str> {
    // A comment after the name is not part of it: `password: |  # pragma: allowlist secret`
    // still names the value on the next line (and an allow comment covers its own line only).
    // Most lines are none of the forms below; tell them from their first byte before
    // looking for a comment to cut.
    let first = *line.as_bytes().iter().find(|c| !c.is_ascii_whitespace())?;
    if !matches!(first, b'n' | b'N' | b'k' | b'K' | b'-' | b'"' | b'<' | b'v')
        && memchr::memchr(b':', line.as_bytes()).is_none()
    {
        return None;
    }
    let line = without_trailing_comment(line);
    // Every form starts with `name`, `key`, `-` or `"`, is `<…>`, is `variable "…" {`, or
    // ends a YAML key with a block scalar (`|`, `>`, with `-`/`+`): byte tests keep the
    // regex off almost every line (code lines often end in `{`).
    let b = line.as_bytes();
    let first = *b.iter().find(|c| !c.is_ascii_whitespace())?;
    let last = *b.iter().rev().find(|c| !c.is_ascii_whitespace())?;
    let named = matches!(first, b'n' | b'N' | b'k' | b'K' | b'-' | b'"');
    let tag = first == b'<' && last == b'>';
    let variable = first == b'v' && last == b'{';
    let block = matches!(last, b'|' | b'>' | b'-' | b'+') && line.contains(':');
    if !(named || tag || variable || block) {
        return None;
    }
    let c = NAME_ALONE.captures(line)?;
    (1..c.len()).find_map(|i| c.get(i)).map(|m| m.as_str())
}

/// `line` without a trailing `# …`, `// …` or `<!-- … -->` comment (one that follows white
/// space, so that a `#` inside a value is kept).
fn without_trailing_comment(line: &str) -> &str {
    // One pass over the bytes: this runs on every scanned line, and a substring search per
    // comment marker cost more than the rules themselves.
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let rest = &b[i + 1..];
        let cut = match c {
            b' ' | b'\t' => {
                rest.starts_with(b"#") || rest.starts_with(b"//") || rest.starts_with(b"<!--")
            }
            b'>' => rest.starts_with(b"<!--"),
            _ => false,
        };
        if cut {
            let at = if c == b'>' { i + 1 } else { i };
            return line[..at].trim_end();
        }
    }
    line
}

/// Where the value is in a line that holds only a value.
fn carried_value(line: &str) -> Option<(usize, usize)> {
    let c = VALUE_ALONE.captures(line)?;
    (1..c.len())
        .find_map(|i| c.get(i))
        .map(|m| (m.start(), m.end()))
}

/// Reports a waiting BEGIN line if `text` is its key's body; an armor's blank line waits.
fn resolve_key(pending: &mut Option<Finding>, text: &str, out: &mut Vec<Finding>) {
    if pending.is_none() || text.trim().is_empty() {
        return;
    }
    if let Some(f) = pending.take() {
        if looks_like_key_body(text) {
            out.push(f);
        }
    }
}

/// Whether `text` starts like the body of a PEM or PuTTY key: base64, or a PEM header.
fn looks_like_key_body(text: &str) -> bool {
    let t = text
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '+' | ','))
        .trim_start_matches("\\n")
        .trim_start_matches("\\r\\n")
        .trim_start();
    if [
        "Proc-Type:",
        "Comment:",
        "Version:",
        "Encryption:",
        "Key-Derivation:",
    ]
    .iter()
    .any(|h| t.starts_with(h))
    {
        return true;
    }
    let run = t
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    run >= 16
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
    /// A file's old name, when it differs from the new one or the file is deleted.
    OldFile(String),
    /// An added line, with its number in the new file.
    Added {
        text: &'a str,
        line_no: usize,
    },
    /// A removed line, with its number in the old file.
    Removed {
        text: &'a str,
        line_no: usize,
    },
    /// A context line, with its number in the new file.
    Context {
        text: &'a str,
        line_no: usize,
    },
    /// A whole hunk of a binary patch: the first (forward) or second (reverse) one.
    Binary {
        hunk: binary::Hunk,
        forward: bool,
    },
    Other,
}

/// A line-at-a-time reader of unified diffs (git's and plain ones). It tracks hunk sizes so
/// that an added line starting with `++ ` is never mistaken for a header.
#[derive(Default)]
pub(crate) struct PatchWalker {
    pub path: String,
    /// The old path from the `diff --git` line.
    old_path: String,
    /// The path findings are shown under, when the name itself holds a secret.
    pub shown: Option<String>,
    /// Private key BEGIN lines waiting for a body: among added lines, and among old ones.
    new_gate: KeyGate,
    old_gate: KeyGate,
    /// The old blob's id from the `index` line (full with `--full-index`, as captured).
    pub old_oid: String,
    old_left: usize,
    new_left: usize,
    next_new: usize,
    next_old: usize,
    binary: bool,
    /// The binary hunk being read, and how many were read before it.
    hunk: Option<binary::Hunk>,
    hunks_done: u8,
    announced: bool,
    deleted: bool,
    /// Inside a private key block whose BEGIN line was a finding: the rest of it is secret.
    pub in_key_block: bool,
    /// A removed line of the change being read (since the last context line) held an
    /// allow comment.
    allow_removed: bool,
    /// A private key's BEGIN line went by as context: added lines may be its new body.
    key_in_context: bool,
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
                    let n = self.next_old;
                    self.next_old += 1;
                    self.old_left = self.old_left.saturating_sub(1);
                    return Step::Removed {
                        text: &line[1..],
                        line_no: n,
                    };
                }
                Some(b' ') | None => {
                    let n = self.next_new;
                    self.old_left = self.old_left.saturating_sub(1);
                    self.new_left = self.new_left.saturating_sub(1);
                    self.next_new += 1;
                    self.next_old += 1;
                    return Step::Context {
                        text: line.get(1..).unwrap_or(""),
                        line_no: n,
                    };
                }
                Some(b'\\') => return Step::Other,
                // Anything else ends the hunk early (a truncated or hand-edited patch).
                _ => {
                    self.old_left = 0;
                    self.new_left = 0;
                }
            }
        }
        if self.binary && !line.starts_with("diff --git ") {
            return self.binary_line(line);
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let (old, new) = git_paths(rest);
            self.start_file(new, old);
            return Step::Other;
        }
        if line.starts_with("deleted file mode") {
            self.deleted = true;
            return Step::OldFile(self.old_path.clone());
        }
        if let Some(rest) = line.strip_prefix("rename from ") {
            self.old_path = unquote(rest);
            return Step::OldFile(self.old_path.clone());
        }
        if let Some(rest) = line.strip_prefix("index ") {
            let ids = rest.split(' ').next().unwrap_or("");
            self.old_oid = ids.split("..").next().unwrap_or("").to_string();
            return Step::Other;
        }
        if line == "GIT binary patch" || line.starts_with("Binary files ") {
            self.binary = line == "GIT binary patch";
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
            if let Some((old, new)) = parse_hunk(rest) {
                self.allow_removed = false;
                self.key_in_context = false;
                self.old_left = old.1;
                self.new_left = new.1;
                self.next_old = old.0.max(1);
                self.next_new = new.0.max(1);
                if new.1 == 0 {
                    self.next_new = new.0;
                }
            }
            return Step::Other;
        }
        Step::Other
    }

    /// A line after `GIT binary patch`: a hunk header, a data line, or the blank line that
    /// closes a hunk.
    fn binary_line<'a>(&mut self, line: &str) -> Step<'a> {
        match &mut self.hunk {
            None => {
                self.hunk = binary::Hunk::parse_header(line);
                Step::Other
            }
            Some(_) if line.is_empty() => self.finish(),
            Some(h) => {
                if !h.push_line(line) {
                    // Not base85: the patch is damaged; keep what was read for the check.
                    return self.finish();
                }
                Step::Other
            }
        }
    }

    /// Ends the binary hunk being read, if any (at its blank line or the patch's end).
    pub(crate) fn finish<'a>(&mut self) -> Step<'a> {
        match self.hunk.take() {
            Some(hunk) => {
                let forward = self.hunks_done == 0;
                self.hunks_done += 1;
                Step::Binary { hunk, forward }
            }
            None => Step::Other,
        }
    }

    fn start_file(&mut self, path: String, old_path: String) {
        *self = PatchWalker {
            path,
            old_path,
            ..PatchWalker::default()
        };
    }

    /// Whether the current file is deleted (so far as its headers have said).
    pub(crate) fn deleted_file(&self) -> bool {
        self.deleted
    }

    fn announce<'a>(&mut self) -> Step<'a> {
        if self.announced || self.deleted || self.path.is_empty() {
            return Step::Other;
        }
        self.announced = true;
        Step::NewFile(self.path.clone())
    }
}

/// `a/x b/y` (possibly quoted) from a `diff --git` line: the old and new paths.
fn git_paths(rest: &str) -> (String, String) {
    let new = git_new_path(rest);
    let old = if let Some(inner) = rest.strip_prefix('"') {
        let end = inner.find("\" ").map_or(inner.len(), |i| i + 1);
        unquote(&rest[..=end.min(rest.len() - 1)])
    } else {
        let cut = rest.len().saturating_sub(new.len() + 3);
        rest.get(..cut).unwrap_or("").to_string()
    };
    (old.trim_start_matches("a/").to_string(), new)
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
pub(crate) fn parse_hunk(rest: &str) -> Option<((usize, usize), (usize, usize))> {
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
        let f = s.scan_file_patch(&patch, Scope::default());
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].path, "src/a.py");
        assert_eq!(f[0].line, Some(2));
        assert_eq!(f[1].line, Some(3));
        assert!(f.iter().all(|x| !x.masked.contains(&tok[4..])));
        let streamed = s
            .scan_patch_reader(patch.as_bytes(), Scope::default())
            .expect("read");
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
        let f = s.scan_file_patch(added, Scope::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "env-file");
        assert_eq!(f[0].line, None);
        let deleted = "diff --git a/.env b/.env\ndeleted file mode 100644\n--- a/.env\n+++ /dev/null\n@@ -1 +0,0 @@\n-DEBUG=1\n";
        assert!(s.scan_file_patch(deleted, Scope::default()).is_empty());
    }

    #[test]
    fn a_private_key_needs_its_body() {
        let s = Scanner::new();
        let mut g = Gen::new(42);
        let body = g.s(B62, 64);
        assert!(s.scan_text("-----BEGIN PRIVATE KEY-----", "<t>").is_empty());
        assert!(s
            .scan_text(
                "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
                "<t>"
            )
            .is_empty());
        let pem =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
        assert_eq!(s.scan_text(&pem, "<t>").len(), 1);
        let json = format!(
            "{{\"key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n\"}}"
        );
        assert_eq!(s.scan_text(&json, "<t>").len(), 1, "{json}");
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n";
        assert_eq!(s.scan_text(encrypted, "<t>").len(), 1);
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
