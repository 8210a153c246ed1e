//! Readable text in arbitrary bytes: UTF-8, UTF-16 (with or without a byte-order mark),
//! 8-bit text (Latin-1 / Windows-1252), and the printable runs of binary files, the way
//! `strings` and `strings -el` find them. Whatever the encoding a file travels in, the
//! scanner sees its text.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Runs shorter than this hold no secret any rule accepts.
const MIN_RUN: usize = 8;

/// Calls `f(line, text)` for each stretch of readable text in `bytes`, with the 1-based line
/// it starts on (counting `\n` in the decoded text).
pub(crate) fn text_runs(bytes: &[u8], f: &mut dyn FnMut(usize, &str)) {
    if let Some((le, marked)) = utf32(bytes) {
        let body = if marked { &bytes[4..] } else { bytes };
        let text: String = body
            .chunks_exact(4)
            .map(|c| {
                let v = if le {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                };
                char::from_u32(v).unwrap_or('\u{fffd}')
            })
            .collect();
        runs_of_text(&text, f);
        if marked {
            return;
        }
    }
    let wide = utf16(bytes);
    if let Some(le) = wide {
        let (body, enc, marked) = match bytes {
            [0xff, 0xfe, rest @ ..] => (rest, UTF_16LE, true),
            [0xfe, 0xff, rest @ ..] => (rest, UTF_16BE, true),
            _ if le => (bytes, UTF_16LE, false),
            _ => (bytes, UTF_16BE, false),
        };
        let (text, _) = enc.decode_without_bom_handling(body);
        runs_of_text(&text, f);
        if marked {
            return;
        }
        // Without a mark it is a guess: binary data with wide strings in it looks the same,
        // so its 8-bit text is read too.
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => runs_of_text(text, f),
        Err(_) => {
            let (text, _, _) = WINDOWS_1252.decode(bytes);
            runs_of_text(&text, f);
        }
    }
    if bytes.contains(&0) {
        wide_runs(bytes, f);
    }
}

/// Splits decoded text into lines, and lines into runs between control characters.
fn runs_of_text(text: &str, f: &mut dyn FnMut(usize, &str)) {
    for (i, line) in text.split('\n').enumerate() {
        for run in line.split(|c: char| (c.is_control() && c != '\t') || c == '\u{fffd}') {
            if run.len() >= MIN_RUN {
                f(i + 1, run);
            }
        }
    }
}

/// `Some((little_endian, marked))` when `bytes` look like UTF-32 text: a byte-order mark, or
/// (ASCII-range text) three zero bytes in nearly every four, the one non-zero lane first
/// (little-endian) or last (big-endian).
fn utf32(bytes: &[u8]) -> Option<(bool, bool)> {
    match bytes {
        [0xff, 0xfe, 0, 0, ..] => return Some((true, true)),
        [0, 0, 0xfe, 0xff, ..] => return Some((false, true)),
        _ => {}
    }
    let sample = &bytes[..bytes.len().min(4096) & !3];
    if sample.len() < 16 {
        return None;
    }
    let units = sample.len() / 4;
    let zero_in = |lane: usize| {
        sample
            .iter()
            .skip(lane)
            .step_by(4)
            .filter(|b| **b == 0)
            .count()
    };
    let (z0, z1, z2, z3) = (zero_in(0), zero_in(1), zero_in(2), zero_in(3));
    let mostly = |z: usize| z * 10 >= units * 9;
    let rarely = |z: usize| z * 10 <= units;
    if mostly(z1) && mostly(z2) && mostly(z3) && rarely(z0) {
        Some((true, false))
    } else if mostly(z0) && mostly(z1) && mostly(z2) && rarely(z3) {
        Some((false, false))
    } else {
        None
    }
}

/// `Some(little_endian)` when `bytes` look like UTF-16 text: a byte-order mark, or zeros in
/// most of one byte lane and almost none in the other (ASCII-range text as UTF-16).
fn utf16(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xff, 0xfe, 0, 0, ..] => return None,
        [0xff, 0xfe, ..] => return Some(true),
        [0xfe, 0xff, ..] => return Some(false),
        _ => {}
    }
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if odd * 10 >= pairs * 4 && even * 10 <= pairs {
        Some(true)
    } else if even * 10 >= pairs * 4 && odd * 10 <= pairs {
        Some(false)
    } else {
        None
    }
}

/// UTF-16LE runs of printable ASCII inside binary data (`strings -el`), at either alignment.
fn wide_runs(bytes: &[u8], f: &mut dyn FnMut(usize, &str)) {
    for start in 0..2 {
        let mut run = String::new();
        let mut line = 1;
        let mut run_line = 1;
        let mut i = start;
        while i + 1 < bytes.len() {
            let (lo, hi) = (bytes[i], bytes[i + 1]);
            if hi == 0 && (lo == b'\t' || (0x20..0x7f).contains(&lo)) {
                if run.is_empty() {
                    run_line = line;
                }
                run.push(char::from(lo));
            } else {
                if run.len() >= MIN_RUN {
                    f(run_line, &run);
                }
                run.clear();
            }
            if lo == b'\n' && hi == 0 {
                line += 1;
            }
            i += 2;
        }
        if run.len() >= MIN_RUN {
            f(run_line, &run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        text_runs(bytes, &mut |l, t| out.push((l, t.to_string())));
        out
    }

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xff, 0xfe] } else { Vec::new() };
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    #[test]
    fn utf16_with_and_without_a_mark() {
        let text = "first line\nTOKEN=abcdefgh12345678\n";
        for bom in [true, false] {
            let runs = all(&utf16le(text, bom));
            assert!(
                runs.contains(&(2, "TOKEN=abcdefgh12345678".to_string())),
                "{runs:?}"
            );
        }
        let mut be = vec![0xfe, 0xff];
        for u in text.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert!(all(&be).iter().any(|(_, t)| t.starts_with("TOKEN=")));
    }

    #[test]
    fn latin1_text_keeps_its_lines() {
        let bytes = b"caf\xe9 = 1\npassword = \"s3cr3tValue99\"\n";
        let runs = all(bytes);
        assert!(runs.contains(&(2, "password = \"s3cr3tValue99\"".to_string())));
        assert!(runs[0].1.contains('é'));
    }

    #[test]
    fn binary_runs_narrow_and_wide() {
        let mut bytes = vec![0u8, 1, 2, 0xff];
        bytes.extend_from_slice(b"narrow-run-of-text");
        bytes.extend_from_slice(&[0, 0, 7]);
        bytes.extend_from_slice(&utf16le("wide-run-of-text", false));
        bytes.extend_from_slice(&[0, 0, 9, 9]);
        let runs: Vec<String> = all(&bytes).into_iter().map(|(_, t)| t).collect();
        assert!(
            runs.iter().any(|t| t.ends_with("narrow-run-of-text")),
            "{runs:?}"
        );
        assert!(runs.iter().any(|t| t == "wide-run-of-text"), "{runs:?}");
    }
}
