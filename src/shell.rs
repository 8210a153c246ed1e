//! Shell words: the one function that quotes every word the tool writes for a shell to run
//! (the prompt's steps, hints, printed commands). Names come from repositories and APIs; a
//! name must arrive as the same bytes and never run anything.

/// `s` as one POSIX shell word: as it is when it holds only characters no shell treats
/// specially, else in single quotes (inside which nothing is special; a `'` is written as
/// `'\''`).
pub fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./+@=:,%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    if s.chars().any(char::is_control) {
        return quote_bytes(s.as_bytes());
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Any bytes as one bash word: [`quote`] for printable UTF-8, else ANSI-C quoting
/// (`$'…'`, bash, zsh and ksh; POSIX sh since 2024) with every other byte as `\xNN`, so
/// that a name that is not UTF-8 still arrives exactly.
pub fn quote_bytes(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        if !s.chars().any(char::is_control) {
            return quote(s);
        }
    }
    let mut out = String::from("$'");
    for &byte in b {
        match byte {
            b'\\' => out.push_str(r"\\"),
            b'\'' => out.push_str(r"\'"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_and_the_rest_is_quoted() {
        assert_eq!(quote("feature/x-1"), "feature/x-1");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote_bytes(b"a\xffb"), r"$'a\xffb'");
    }

    /// Every kind of name, as bytes: what bash receives is exactly them, and nothing runs.
    #[cfg(unix)]
    #[test]
    fn bash_receives_every_name_exactly_and_runs_nothing() {
        use std::os::unix::ffi::OsStrExt;
        let Ok(bash) = which_bash() else {
            eprintln!("skipped: no bash");
            return;
        };
        let dir = tempfile::TempDir::new().expect("tempdir");
        let pieces: &[&[u8]] = &[
            b"$(touch PWNED)",
            b"`touch PWNED`",
            b"${IFS}",
            b"\"",
            b"'",
            b"\\",
            b" ",
            b"\t",
            b"\n",
            b"!",
            b"*",
            b"?",
            b"~",
            b"#",
            b";touch PWNED;",
            b"&",
            b"|",
            b"<>",
            "caf\u{e9}".as_bytes(),
            "\u{202e}".as_bytes(),
            b"\xff\xfe",
            b"\x80",
            b"\x01",
            b"feat/x",
            b"-n",
            b"%",
            b"{a,b}",
            b"[x]",
        ];
        let mut seed: u64 = 0x2400_0006;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut names: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        for _ in 0..300 {
            let mut n = Vec::new();
            for _ in 0..(1 + next() % 5) {
                n.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            names.push(n);
        }
        // One script: each name printed between markers, in one bash run.
        let mut script = String::new();
        for n in &names {
            script.push_str(&format!("printf '%s\\0' {}\n", quote_bytes(n)));
        }
        let out = std::process::Command::new(bash)
            .current_dir(dir.path())
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(script.as_bytes()))
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(got[i], n.as_slice(), "name {i}: {}", quote_bytes(n));
        }
        assert!(!dir.path().join("PWNED").exists(), "a name ran a command");
        assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
    }

    #[cfg(unix)]
    fn which_bash() -> Result<std::path::PathBuf, ()> {
        ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"]
            .iter()
            .map(std::path::PathBuf::from)
            .find(|p| p.is_file())
            .ok_or(())
    }
}
