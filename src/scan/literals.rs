//! Adjacent string literals joined the way the language joins them (`"ab" "cd"`, `'ab' + 'cd'`,
//! `"ab" . "cd"`, and a literal that ends one line continued by one that starts the next), so
//! that a secret split across literals is scanned as one value.

/// A line rewritten with its adjacent literals joined, and where each byte came from.
pub(crate) struct Joined {
    pub text: String,
    /// For each byte of `text`, its offset in the scanned line; [`CARRIED`] for bytes that
    /// came from the line before.
    from: Vec<usize>,
}

/// The origin of a byte carried over from the previous line.
const CARRIED: usize = usize::MAX;

/// Longest line whose literals are joined; longer ones are data, not code.
const MAX_LINE: usize = 8 * 1024;

/// A literal: the offsets of its opening and closing quote.
#[derive(Clone, Copy)]
struct Literal {
    open: usize,
    close: usize,
}

/// The string literals of `line`, in order. A quote with no closing quote on the line ends
/// the list (it is an apostrophe, or a literal that goes on).
fn literals(line: &[u8]) -> Vec<Literal> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let q = line[i];
        if q == b'"' || q == b'\'' || q == b'`' {
            let mut j = i + 1;
            while j < line.len() && line[j] != q {
                j += if line[j] == b'\\' { 2 } else { 1 };
            }
            if j >= line.len() {
                break;
            }
            out.push(Literal { open: i, close: j });
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether the bytes between two literals join them: white space and the concatenation
/// operators of the usual languages (`+`, PHP's `.`, Lua's `..`, VB's `&`, SQL's `||`).
fn joins(between: &[u8]) -> bool {
    between
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'+' | b'.' | b'&' | b'|'))
}

/// Whether a line's end after its last literal continues it on the next line.
fn continues(rest: &[u8]) -> bool {
    rest.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'+' | b'.' | b'&' | b'|' | b'\\'))
}

/// What a line leaves for the next: itself up to the end of its last literal's content, when
/// it ends with a literal (and maybe an operator).
pub(crate) fn tail(line: &str) -> Option<String> {
    let b = line.as_bytes();
    // Most lines end otherwise: only a quote or an operator can end one that goes on.
    let last = b
        .iter()
        .rev()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r'))?;
    if b.len() > MAX_LINE
        || !matches!(
            last,
            b'"' | b'\'' | b'`' | b'+' | b'.' | b'&' | b'|' | b'\\'
        )
    {
        return None;
    }
    let last = *literals(b).last()?;
    continues(&b[last.close + 1..]).then(|| line[..last.close].to_string())
}

/// Where the content of the literal `line` ends with lies, when it ends with one that goes on
/// (see [`tail`]): the piece a secret continued on the next line starts in.
pub(crate) fn last_content(line: &str) -> Option<(usize, usize)> {
    let prefix = tail(line)?;
    let open = literals(line.as_bytes()).last()?.open;
    Some((open + 1, prefix.len()))
}

/// `line` with its adjacent literals joined, and `carried` (the line before's [`tail`])
/// joined to a literal that opens it. `None` when nothing joins.
pub(crate) fn join(line: &str, carried: Option<&str>) -> Option<Joined> {
    let b = line.as_bytes();
    // Two literals take four quotes; one continuing the line before takes two.
    let quotes = memchr::memchr3_iter(b'"', b'\'', b'`', b).take(4).count();
    if b.len() > MAX_LINE || quotes < if carried.is_some() { 2 } else { 4 } {
        return None;
    }
    let lits = literals(b);
    // A literal opening the line, after white space and perhaps an operator.
    let opens = lits.first().filter(|l| joins(&b[..l.open]));
    let carried = carried.filter(|_| opens.is_some());
    let adjacent = lits
        .windows(2)
        .any(|w| joins(&b[w[0].close + 1..w[1].open]));
    if carried.is_none() && !adjacent {
        return None;
    }
    let mut text = String::with_capacity(line.len() + carried.map_or(0, str::len));
    let mut from = Vec::with_capacity(text.capacity());
    let mut at = 0;
    let copy = |text: &mut String, from: &mut Vec<usize>, start: usize, end: usize| {
        text.push_str(&line[start..end]);
        from.extend(start..end);
    };
    let mut k = 0;
    if let (Some(prev), Some(first)) = (carried, opens) {
        text.push_str(prev);
        from.extend(std::iter::repeat_n(CARRIED, prev.len()));
        // Skip this line's lead-in and opening quote: the content follows the carried one.
        at = first.open + 1;
        // The first literal's content, then any literals joined to it.
        copy(&mut text, &mut from, at, first.close);
        at = first.close;
        k = 1;
        while k < lits.len() && joins(&b[lits[k - 1].close + 1..lits[k].open]) {
            copy(&mut text, &mut from, lits[k].open + 1, lits[k].close);
            at = lits[k].close;
            k += 1;
        }
    }
    while k < lits.len() {
        let start = k;
        while k + 1 < lits.len() && joins(&b[lits[k].close + 1..lits[k + 1].open]) {
            k += 1;
        }
        if k > start {
            // Up to and including the first literal's content.
            copy(&mut text, &mut from, at, lits[start].close);
            for l in &lits[start + 1..=k] {
                copy(&mut text, &mut from, l.open + 1, l.close);
            }
            at = lits[k].close;
        }
        k += 1;
    }
    copy(&mut text, &mut from, at, line.len());
    Some(Joined { text, from })
}

impl Joined {
    /// The span of `line` that `start..end` of the joined text covers: from its first byte in
    /// this line to its last. `None` when it lies wholly in the carried text, or does not
    /// cross a join (the line's own scan has it already).
    #[cfg(test)]
    pub(crate) fn span_in_line(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        self.placed(start, end).map(|(a, b, _)| (a, b))
    }

    /// As [`Joined::span_in_line`], and whether the span begins on the line before.
    pub(crate) fn placed(&self, start: usize, end: usize) -> Option<(usize, usize, bool)> {
        let own: Vec<usize> = self.from[start..end]
            .iter()
            .copied()
            .filter(|&o| o != CARRIED)
            .collect();
        let (&first, &last) = (own.first()?, own.last()?);
        let carried = own.len() < end - start;
        let contiguous = own.windows(2).all(|w| w[1] == w[0] + 1);
        (carried || !contiguous).then_some((first, last + 1, carried))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(line: &str, carried: Option<&str>) -> String {
        join(line, carried).map(|j| j.text).unwrap_or_default()
    }

    #[test]
    fn adjacent_literals_join_and_others_do_not() {
        assert_eq!(joined(r#"k = "ab" "cd";"#, None), r#"k = "abcd";"#);
        assert_eq!(joined("k = 'ab' + 'cd' + 'ef'", None), "k = 'abcdef'");
        assert_eq!(joined(r#"$k = "ab" . "cd";"#, None), r#"$k = "abcd";"#);
        // A call's arguments are not joined.
        assert!(join(r#"f("ab", "cd")"#, None).is_none());
        assert!(join("no literals here", None).is_none());
        assert!(join(r#"one "literal" only"#, None).is_none());
    }

    #[test]
    fn a_literal_ending_a_line_joins_the_one_opening_the_next() {
        let prev = tail(r#"key = ("ghp_abc""#).expect("tail");
        assert_eq!(prev, r#"key = ("ghp_abc"#);
        assert_eq!(
            joined(r#"       "def")"#, Some(&prev)),
            r#"key = ("ghp_abcdef")"#
        );
        assert!(tail(r#"f("a", x)"#).is_none());
        assert!(tail(r#"s = "a" +"#).is_some());
    }

    #[test]
    fn spans_map_back_to_the_line() {
        let line = r#"k = "ab" "cd";"#;
        let j = join(line, None).expect("joins");
        // "abcd" in the joined text covers `ab" "cd` in the line.
        let at = j.text.find("abcd").expect("joined");
        assert_eq!(j.span_in_line(at, at + 4), Some((5, 12)));
        // A span within one literal is the line's own.
        assert_eq!(j.span_in_line(at, at + 2), None);
        let j = join(r#"  "def")"#, Some("k = (\"abc")).expect("joins");
        let at = j.text.find("abcdef").expect("joined");
        assert_eq!(j.span_in_line(at, at + 6), Some((3, 6)));
        assert_eq!(j.span_in_line(at, at + 3), None);
    }
}
