//! Git binary patches: decoding them so that what they carry can be scanned, and encoding a
//! file's content as one (a forward-only `literal` hunk) so that redaction can replace a
//! file whose old lines must not travel.
//!
//! The format is git's own (`Documentation/gitformat-pack.txt` for deltas, `base85.c` and
//! `apply.c` for the framing): each hunk is `literal N` or `delta N`, then lines of base85
//! whose first character gives the line's byte count, then a blank line. The data is
//! zlib-compressed; a delta is git's copy/insert instruction stream against the old blob.

use std::io::{Read, Write};

/// git's base85 alphabet (RFC 1924's).
const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// The largest inflated hunk decoded: a bound on memory for hostile input.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HunkKind {
    Literal,
    Delta,
}

/// One hunk of a binary patch, still compressed.
#[derive(Debug, Clone)]
pub(crate) struct Hunk {
    pub kind: HunkKind,
    /// The inflated size the header announces.
    pub size: u64,
    pub deflated: Vec<u8>,
}

impl Hunk {
    /// The hunk's header line (`literal 12`), if `line` is one.
    pub(crate) fn parse_header(line: &str) -> Option<Hunk> {
        let (kind, n) = if let Some(n) = line.strip_prefix("literal ") {
            (HunkKind::Literal, n)
        } else if let Some(n) = line.strip_prefix("delta ") {
            (HunkKind::Delta, n)
        } else {
            return None;
        };
        Some(Hunk {
            kind,
            size: n.trim().parse().ok()?,
            deflated: Vec::new(),
        })
    }

    /// Appends one base85 data line; false if it is not one.
    pub(crate) fn push_line(&mut self, line: &str) -> bool {
        decode_line(line, &mut self.deflated)
    }

    /// The inflated data: the file's content (literal) or the delta's instructions.
    pub(crate) fn inflate(&self) -> Option<Vec<u8>> {
        let limit = self.size.min(MAX_INFLATED);
        let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1 << 20));
        flate2::read::ZlibDecoder::new(self.deflated.as_slice())
            .take(limit + 1)
            .read_to_end(&mut out)
            .ok()?;
        (out.len() as u64 == self.size).then_some(out)
    }
}

fn digit(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// Decodes one line of git's base85 framing into `out`.
fn decode_line(line: &str, out: &mut Vec<u8>) -> bool {
    let bytes = line.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let len = match first {
        b'A'..=b'Z' => usize::from(first - b'A') + 1,
        b'a'..=b'z' => usize::from(first - b'a') + 27,
        _ => return false,
    };
    let data = &bytes[1..];
    if data.len() != len.div_ceil(4) * 5 {
        return false;
    }
    let mut left = len;
    for group in data.chunks(5) {
        let mut acc: u64 = 0;
        for &c in group {
            let Some(d) = digit(c) else { return false };
            acc = acc * 85 + u64::from(d);
        }
        if acc > u64::from(u32::MAX) {
            return false;
        }
        let word = (acc as u32).to_be_bytes();
        let take = left.min(4);
        out.extend_from_slice(&word[..take]);
        left -= take;
    }
    true
}

fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = *data.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// One step of a delta.
enum Op<'a> {
    Copy { offset: usize, size: usize },
    Insert(&'a [u8]),
}

/// Walks a delta's instructions; `None` if it is malformed.
fn delta_ops(delta: &[u8]) -> Option<(u64, Vec<Op<'_>>)> {
    let mut at = 0;
    let _source = varint(delta, &mut at)?;
    let target = varint(delta, &mut at)?;
    let mut ops = Vec::new();
    while at < delta.len() {
        let cmd = delta[at];
        at += 1;
        if cmd & 0x80 != 0 {
            let mut offset = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    offset |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            let mut size = 0usize;
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    size |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            ops.push(Op::Copy { offset, size });
        } else if cmd != 0 {
            let n = usize::from(cmd);
            ops.push(Op::Insert(delta.get(at..at + n)?));
            at += n;
        } else {
            return None;
        }
    }
    Some((target, ops))
}

/// The bytes a delta inserts itself (not copied from the old blob), one slice per instruction.
pub(crate) fn delta_inserts(delta: &[u8]) -> Vec<&[u8]> {
    delta_ops(delta).map_or_else(Vec::new, |(_, ops)| {
        ops.into_iter()
            .filter_map(|op| match op {
                Op::Insert(b) => Some(b),
                Op::Copy { .. } => None,
            })
            .collect()
    })
}

/// The new content a delta makes of `base`; `None` if it does not fit.
pub(crate) fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let (target, ops) = delta_ops(delta)?;
    if target > MAX_INFLATED {
        return None;
    }
    let mut out = Vec::with_capacity(target as usize);
    for op in ops {
        match op {
            Op::Copy { offset, size } => out.extend_from_slice(base.get(offset..offset + size)?),
            Op::Insert(b) => out.extend_from_slice(b),
        }
    }
    (out.len() as u64 == target).then_some(out)
}

/// `content` as a `literal` hunk: header, base85 lines and the closing blank line.
pub(crate) fn literal_hunk(content: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(content);
    let deflated = z.finish().unwrap_or_default();
    let mut out = format!("literal {}\n", content.len());
    for chunk in deflated.chunks(52) {
        let n = chunk.len();
        out.push(if n <= 26 {
            char::from(b'A' + n as u8 - 1)
        } else {
            char::from(b'a' + n as u8 - 27)
        });
        for group in chunk.chunks(4) {
            let mut word = [0u8; 4];
            word[..group.len()].copy_from_slice(group);
            let mut acc = u32::from_be_bytes(word);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = ALPHABET[(acc % 85) as usize];
                acc /= 85;
            }
            out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk_of(text: &str) -> Hunk {
        let mut lines = text.lines();
        let mut h = Hunk::parse_header(lines.next().expect("header")).expect("hunk header");
        for l in lines.take_while(|l| !l.is_empty()) {
            assert!(h.push_line(l), "{l}");
        }
        h
    }

    #[test]
    fn literal_round_trips() {
        for content in [
            &b""[..],
            b"a",
            b"bin\0ary",
            &[0xffu8; 300][..],
            b"exactly fifty-two bytes of text, and some more here!",
        ] {
            let text = literal_hunk(content);
            let h = hunk_of(&text);
            assert_eq!(h.kind, HunkKind::Literal);
            assert_eq!(h.inflate().expect("inflate"), content);
        }
    }

    /// Produced by `git diff --binary` (git 2.47) for `printf 'bin\0ary'`: the reference the
    /// decoder is checked against, not output of this module.
    #[test]
    fn decodes_what_git_writes() {
        let h = hunk_of("literal 7\nOcmYew%wtF_sssQD(E^45\n\n");
        assert_eq!(h.inflate().expect("inflate"), b"bin\0ary");
    }

    #[test]
    fn deltas_copy_and_insert() {
        // source 5, target 8: copy 0..5 of the base, then insert "xyz".
        let delta = [5u8, 8, 0x80 | 0x10, 5, 3, b'x', b'y', b'z'];
        assert_eq!(apply_delta(b"hello", &delta).expect("apply"), b"helloxyz");
        assert_eq!(delta_inserts(&delta), vec![&b"xyz"[..]]);
        assert!(apply_delta(b"hi", &delta).is_none(), "copy past the base");
        assert!(delta_inserts(&[5, 8, 0]).is_empty(), "malformed");
    }

    #[test]
    fn bad_lines_are_refused() {
        let mut out = Vec::new();
        assert!(!decode_line("", &mut out));
        assert!(!decode_line("Z0", &mut out));
        assert!(!decode_line("A\"\"\"\"\"", &mut out));
    }
}
