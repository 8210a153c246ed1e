//! Compressed and archived content: gzip streams, zip archives (stored and deflated), tar
//! archives and their compressed forms, unpacked within bounds so that the scanner reads what
//! they hold. What cannot be read within the bounds is reported as unscannable, never passed.

use std::io::Read;

/// Most bytes unpacked from one file, all members and levels together.
const MAX_TOTAL: u64 = 64 * 1024 * 1024;
/// Most members read from one archive.
const MAX_MEMBERS: usize = 10_000;
/// Archives inside archives: a tar.gz is two levels.
pub(crate) const MAX_DEPTH: usize = 3;
/// Unpacked bytes per packed byte beyond which a file is a bomb, once it is past
/// [`RATIO_FLOOR`] (text compresses about 4–10 times, a run of zeros 1,000 times).
const MAX_RATIO: u64 = 100;
const RATIO_FLOOR: u64 = 1024 * 1024;

/// What a file is, read as an archive.
pub(crate) enum Unpacked {
    /// Not compressed or archived (or not a format read here): scan the bytes themselves.
    Plain,
    /// The members, each with its name inside the archive and its bytes.
    Members(Vec<(String, Vec<u8>)>),
    /// An archive whose content cannot be read within the bounds, and why.
    Unscannable(&'static str),
}

/// Unpacks `bytes` one level, when they are a gzip stream, a zip archive or a tar archive.
pub(crate) fn unpack(bytes: &[u8]) -> Unpacked {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let reader = flate2::read::MultiGzDecoder::new(bytes);
        return match bounded(reader, bytes.len(), &mut 0) {
            Ok(out) => Unpacked::Members(vec![(String::new(), out)]),
            Err(why) => Unpacked::Unscannable(why),
        };
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip(bytes);
    }
    if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        return tar(bytes);
    }
    // Compressions read nowhere here: a finding, so that what they hold never goes unread.
    const UNREAD: &[(&[u8], &str)] = &[
        (b"BZh", "a bzip2 stream, which the scanner does not unpack"),
        (
            b"\xfd7zXZ\x00",
            "an xz stream, which the scanner does not unpack",
        ),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd stream, which the scanner does not unpack",
        ),
        (
            b"7z\xbc\xaf\x27\x1c",
            "a 7z archive, which the scanner does not unpack",
        ),
        (
            b"Rar!\x1a\x07",
            "a RAR archive, which the scanner does not unpack",
        ),
    ];
    for (magic, why) in UNREAD {
        // bzip2's three letters are text too: its block header follows them.
        let sure = *magic != b"BZh" || bytes.get(4..10) == Some(b"1AY&SY".as_slice());
        if bytes.starts_with(magic) && sure {
            return Unpacked::Unscannable(why);
        }
    }
    Unpacked::Plain
}

/// Reads all of `reader`, refusing more than the bounds allow for `packed` bytes once `used`
/// bytes of the same file have been read; adds what it read to `used`.
fn bounded(reader: impl Read, packed: usize, used: &mut u64) -> Result<Vec<u8>, &'static str> {
    let limit = MAX_TOTAL
        .min((packed as u64).saturating_mul(MAX_RATIO).max(RATIO_FLOOR))
        .saturating_sub(*used);
    let mut out = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|_| "a damaged compressed stream")?;
    if out.len() as u64 > limit {
        return Err("it unpacks to more than the scanner reads (a compression bomb, or too large)");
    }
    *used += out.len() as u64;
    Ok(out)
}

fn zip(bytes: &[u8]) -> Unpacked {
    let Ok(mut archive) = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Unpacked::Unscannable("a damaged zip archive");
    };
    if archive.len() > MAX_MEMBERS {
        return Unpacked::Unscannable("a zip archive with too many members");
    }
    let mut members = Vec::new();
    let mut used = 0;
    for i in 0..archive.len() {
        // The central directory says whether a member is encrypted without reading it.
        if archive.by_index_raw(i).is_ok_and(|f| f.encrypted()) {
            return Unpacked::Unscannable("an encrypted zip archive");
        }
        let mut file = match archive.by_index(i) {
            Ok(file) => file,
            Err(::zip::result::ZipError::UnsupportedArchive(why)) if why.contains("ncrypt") => {
                return Unpacked::Unscannable("an encrypted zip archive");
            }
            Err(::zip::result::ZipError::UnsupportedArchive(_)) => {
                return Unpacked::Unscannable(
                    "a zip member in a compression the scanner cannot read",
                );
            }
            Err(_) => return Unpacked::Unscannable("a damaged zip archive"),
        };
        if file.encrypted() {
            return Unpacked::Unscannable("an encrypted zip archive");
        }
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_string();
        match bounded(&mut file, bytes.len(), &mut used) {
            Ok(data) => members.push((name, data)),
            Err(why) => return Unpacked::Unscannable(why),
        }
    }
    Unpacked::Members(members)
}

fn tar(bytes: &[u8]) -> Unpacked {
    let mut archive = ::tar::Archive::new(bytes);
    let Ok(entries) = archive.entries() else {
        return Unpacked::Unscannable("a damaged tar archive");
    };
    let mut members = Vec::new();
    let mut used = 0;
    for (n, entry) in entries.enumerate() {
        if n >= MAX_MEMBERS {
            return Unpacked::Unscannable("a tar archive with too many members");
        }
        let Ok(mut entry) = entry else {
            return Unpacked::Unscannable("a damaged tar archive");
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        match bounded(&mut entry, bytes.len(), &mut used) {
            Ok(data) => members.push((name, data)),
            Err(why) => return Unpacked::Unscannable(why),
        }
    }
    Unpacked::Members(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    #[test]
    fn a_gzip_stream_unpacks_and_a_bomb_does_not() {
        match unpack(&gzip(b"hello\n")) {
            Unpacked::Members(m) => assert_eq!(m[0].1, b"hello\n"),
            _ => panic!("a gzip stream"),
        }
        let zeros = vec![0u8; 8 * 1024 * 1024];
        assert!(matches!(unpack(&gzip(&zeros)), Unpacked::Unscannable(_)));
        assert!(matches!(unpack(b"plain text"), Unpacked::Plain));
    }
}
