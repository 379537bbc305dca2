//! Reading the downloadable Pwned Passwords corpus: `HASH:COUNT` lines, plain or gzip.
//!
//! Defined behaviour: lines end in LF or CRLF; empty lines (including after a final
//! newline) are skipped; hex digits may be either case; a count of 0 (a padding row) is
//! skipped; anything else that is not `HASH:COUNT` with a hash of the expected length is
//! an error naming the line. The corpus has no comment syntax.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::breach::HashKind;
use crate::breach::range::parse_count;
use crate::error::{Error, Result};

/// A streaming reader of corpus lines.
pub(crate) struct CorpusReader {
    reader: Box<dyn BufRead>,
    line: Vec<u8>,
    line_no: u64,
    kind: Option<HashKind>,
    source: String,
}

const HEX_INVALID: u8 = 0xFF;
const HEX: [u8; 256] = {
    let mut t = [HEX_INVALID; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

impl CorpusReader {
    /// Opens `path`, decompressing when it starts with the gzip magic. `kind` None means
    /// "decide from the first line" (40 hex digits: SHA-1, 32: NTLM).
    pub(crate) fn open(path: &Path, kind: Option<HashKind>) -> Result<Self> {
        let name = path.display().to_string();
        let mut file = BufReader::with_capacity(
            1 << 20,
            File::open(path).map_err(|e| Error::io(format!("opening corpus {name}"), e))?,
        );
        let head = file
            .fill_buf()
            .map_err(|e| Error::io(format!("reading corpus {name}"), e))?;
        let reader: Box<dyn BufRead> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::with_capacity(
                1 << 20,
                flate2::read::MultiGzDecoder::new(file),
            ))
        } else {
            Box::new(file)
        };
        Ok(Self::from_reader(reader, kind, name))
    }

    pub(crate) fn from_reader(
        reader: Box<dyn BufRead>,
        kind: Option<HashKind>,
        source: String,
    ) -> Self {
        CorpusReader {
            reader,
            line: Vec::with_capacity(128),
            line_no: 0,
            kind,
            source,
        }
    }

    /// The hash kind (known after the first row when auto-detected).
    pub(crate) fn kind(&self) -> Option<HashKind> {
        self.kind
    }

    /// Lines read so far (including skipped ones).
    pub(crate) fn lines(&self) -> u64 {
        self.line_no
    }

    /// The next row as (digest padded to 20 bytes, count), skipping empty lines and
    /// count-0 rows; `None` at the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<([u8; 20], u64)>> {
        loop {
            self.line.clear();
            let n = self
                .reader
                .by_ref()
                .take(4096)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| Error::io(format!("reading corpus {}", self.source), e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let mut line = self.line.as_slice();
            if let Some(l) = line.strip_suffix(b"\n") {
                line = l;
            } else if n == 4096 {
                return Err(self.bad("line longer than 4096 bytes"));
            }
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if line.is_empty() {
                continue;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Err(self.bad("expected HASH:COUNT"));
            };
            let (hash, count) = (&line[..colon], &line[colon + 1..]);
            let kind = match self.kind {
                Some(k) => k,
                None => {
                    let k = match hash.len() {
                        40 => HashKind::Sha1,
                        32 => HashKind::Ntlm,
                        _ => {
                            return Err(
                                self.bad("hash is neither 40 (SHA-1) nor 32 (NTLM) hex digits")
                            );
                        }
                    };
                    self.kind = Some(k);
                    k
                }
            };
            if hash.len() != kind.hex_len() {
                return Err(self.bad(&format!(
                    "hash has {} characters, expected {}",
                    hash.len(),
                    kind.hex_len()
                )));
            }
            let mut digest = [0u8; 20];
            for (out, pair) in digest.iter_mut().zip(hash.chunks_exact(2)) {
                let (h, l) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
                if h == HEX_INVALID || l == HEX_INVALID {
                    return Err(self.bad("hash is not hex"));
                }
                *out = (h << 4) | l;
            }
            let Some(count) = parse_count(count) else {
                return Err(self.bad("count is not a decimal number"));
            };
            if count == 0 {
                continue;
            }
            return Ok(Some((digest, count)));
        }
    }

    fn bad(&self, what: &str) -> Error {
        Error::InvalidInput(format!(
            "corpus {} line {}: {what}",
            self.source, self.line_no
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, kind: Option<HashKind>) -> Result<Vec<([u8; 20], u64)>> {
        let mut r = CorpusReader::from_reader(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            kind,
            "t".into(),
        );
        let mut out = Vec::new();
        while let Some(row) = r.next_row()? {
            out.push(row);
        }
        Ok(out)
    }

    #[test]
    fn reads_lf_crlf_blank_and_padding() {
        let text = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10\r\n\n7c4a8d09ca3762af61e59520943dc26494f8941b:5\n0000000000000000000000000000000000000000:0\n";
        let got = rows(text, None).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0[0], 0x5B);
        assert_eq!(
            got[1],
            (
                {
                    let mut d = [0u8; 20];
                    hex::decode_to_slice("7C4A8D09CA3762AF61E59520943DC26494F8941B", &mut d)
                        .unwrap();
                    d
                },
                5
            )
        );
        let no_final_newline = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10";
        assert_eq!(rows(no_final_newline, None).unwrap().len(), 1);
        assert!(rows("", None).unwrap().is_empty());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let mut r = CorpusReader::from_reader(Box::new(std::io::Cursor::new(bytes)), None, "t".into());
            while let Ok(Some(_)) = r.next_row() {}
        }
    }

    #[test]
    fn bad_lines_name_the_line() {
        for (text, needle) in [
            (
                "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n# comment\n",
                "line 2",
            ),
            ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:x\n", "count"),
            ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FDG:1\n", "not hex"),
            ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68F:1\n", "neither"),
            (
                "8846F7EAEE8FB117AD06BDD830B7586C:1\n5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n",
                "expected 32",
            ),
        ] {
            let err = rows(text, None).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
        let err = rows("8846F7EAEE8FB117AD06BDD830B7586C:1\n", Some(HashKind::Sha1)).unwrap_err();
        assert!(err.to_string().contains("expected 40"), "{err}");
    }
}
