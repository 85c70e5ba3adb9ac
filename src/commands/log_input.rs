//! What `analyze-log` is given, before the log engine sees it. People pass what they
//! downloaded: a gzip-compressed log, GitHub's zip of a run's logs, a file PowerShell wrote in
//! UTF-16. Those are opened as what they are (gzip decompressed and UTF-16 transcoded while
//! streamed) or refused with what to do; a binary file is never analysed as "passed".

use std::io::{Chain, Cursor, Read};

use super::UsageError;

/// Bytes looked at to tell what the input is.
const SNIFF: usize = 8 * 1024;

/// What the first bytes say the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Gzip,
    Zip,
    Utf16WithBom,
    Utf16WithoutBom,
    Binary,
}

fn kind_of(head: &[u8]) -> Kind {
    match head {
        [0x1f, 0x8b, ..] => Kind::Gzip,
        [b'P', b'K', 3, 4, ..] => Kind::Zip,
        [0xff, 0xfe, ..] | [0xfe, 0xff, ..] => Kind::Utf16WithBom,
        _ if !head.contains(&0) => Kind::Text,
        // ASCII text in UTF-16: every other byte is zero.
        _ if looks_like_utf16(head) => Kind::Utf16WithoutBom,
        _ => Kind::Binary,
    }
}

fn looks_like_utf16(head: &[u8]) -> bool {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return false;
    }
    let zero_at = |parity: usize| {
        head.chunks_exact(2)
            .filter(|pair| pair[parity] == 0 && pair[1 - parity] != 0)
            .count()
    };
    zero_at(0).max(zero_at(1)) * 10 >= pairs * 9
}

/// Compressions opened inside one another, at most (a gzip of a gzip is still a download).
const MAX_NESTING: usize = 2;

/// The input as text to analyse, or why it is not a job log (a usage error, exit 2).
pub(crate) fn open(reader: Box<dyn Read>, name: &str) -> anyhow::Result<Box<dyn Read>> {
    open_nested(reader, name, 0)
}

/// [`open`], `depth` compressions deep: what a gzip holds is told apart like the file itself.
fn open_nested(
    mut reader: Box<dyn Read>,
    name: &str,
    depth: usize,
) -> anyhow::Result<Box<dyn Read>> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut reader)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| UsageError(format!("cannot read {name}: {e}")))?;
    let kind = kind_of(&head);
    let whole: Chain<Cursor<Vec<u8>>, Box<dyn Read>> = Cursor::new(head).chain(reader);
    match kind {
        Kind::Text => Ok(Box::new(whole)),
        Kind::Gzip if depth < MAX_NESTING => open_nested(
            Box::new(flate2::read::MultiGzDecoder::new(whole)),
            &format!("{name} (decompressed)"),
            depth + 1,
        ),
        Kind::Gzip => Err(UsageError(format!(
            "{name} is compressed again: decompress it before passing it"
        ))
        .into()),
        Kind::Utf16WithBom => Ok(Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .build(whole),
        )),
        Kind::Zip => Err(UsageError(format!(
            "{name} is a zip archive (GitHub's download of a run's logs): unzip it and pass one file"
        ))
        .into()),
        Kind::Utf16WithoutBom => Err(UsageError(format!(
            "{name} looks like UTF-16 text without a byte-order mark: convert it to UTF-8 (iconv -f UTF-16LE -t UTF-8)"
        ))
        .into()),
        Kind::Binary => Err(UsageError(format!(
            "{name} looks like a binary file (it holds NUL bytes), not a job log"
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: Vec<u8>) -> anyhow::Result<String> {
        let mut out = String::new();
        open(Box::new(Cursor::new(bytes)), "x.log")?.read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn gzip_and_utf16_with_a_bom_are_read_as_the_text_they_hold() {
        let text = "2026-11-24T01:00:00Z ##[error]Process completed with exit code 1.\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        assert_eq!(read_all(gz.finish().unwrap()).unwrap(), text);

        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_all(utf16).unwrap(), text);

        assert_eq!(read_all(text.as_bytes().to_vec()).unwrap(), text);
        assert_eq!(read_all(Vec::new()).unwrap(), "");
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, bytes).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn what_a_gzip_holds_is_told_apart_like_a_file() {
        let text = "2026-11-24T01:00:00Z ##[error]Process completed with exit code 1.\n";
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_all(gzip(&utf16)).unwrap(), text);
        assert_eq!(read_all(gzip(&gzip(text.as_bytes()))).unwrap(), text);
        let binary = [b"\x7fELF".as_slice(), &[0u8; 64], &[7u8; 64]].concat();
        let err = read_all(gzip(&binary)).unwrap_err().to_string();
        assert!(
            err.contains("x.log (decompressed) looks like a binary file"),
            "{err}"
        );
        let err = read_all(gzip(&gzip(&gzip(text.as_bytes()))))
            .unwrap_err()
            .to_string();
        assert!(err.contains("compressed again"), "{err}");
        let err = read_all(vec![0x1f, 0x8b, 8, 0, 1, 2, 3])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read x.log (decompressed)"), "{err}");
    }

    #[test]
    fn zip_bom_less_utf16_and_binary_input_are_refused_saying_what_they_look_like() {
        let err = |bytes: Vec<u8>| read_all(bytes).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04rest".to_vec()).contains("unzip it and pass one file"));
        let bomless: Vec<u8> = "plain text log\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(err(bomless).contains("UTF-16 text without a byte-order mark"));
        let elf = [
            b"\x7fELF\x02\x01\x01\x00".as_slice(),
            &[0u8; 64],
            &[7u8; 64],
        ]
        .concat();
        assert!(err(elf).contains("binary file"));
    }
}
