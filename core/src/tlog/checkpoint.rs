//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the note text that
//! commits a log to a tree size and root hash.
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeros>
//! <root hash, base64>
//! [<extension line>...]
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::merkle::Hash;
use super::note::{self, NoteSigner, NoteVerifier, VerifiedSignature};
use crate::error::{Error, Result};

/// A tree head: which log, how many leaves, and the root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, for example `magnetar.example/audit/0123abcd`.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 9162 root over the first `size` leaves.
    pub root: Hash,
    /// Optional non-empty extension lines (not auditable by monitors; avoid).
    pub extensions: Vec<String>,
}

fn check_line(line: &str, what: &str) -> Result<()> {
    if line.is_empty() || line.contains('\n') || line.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "checkpoint {what} must be one non-empty line without control characters"
        )));
    }
    Ok(())
}

impl Checkpoint {
    /// The note text of the checkpoint.
    pub fn to_text(&self) -> Result<String> {
        check_line(&self.origin, "origin")?;
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for line in &self.extensions {
            check_line(line, "extension line")?;
            text.push_str(line);
            text.push('\n');
        }
        Ok(text)
    }

    /// Parses checkpoint note text (no signatures: see [`open`]).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Tampered(format!("malformed checkpoint: {why}"));
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("the text must end with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("fewer than three lines"));
        };
        if origin.is_empty() {
            return Err(bad("empty origin"));
        }
        let canonical = size.bytes().all(|b| b.is_ascii_digit())
            && !size.is_empty()
            && (size == "0" || !size.starts_with('0'));
        let size: u64 =
            size.parse().ok().filter(|_| canonical).ok_or_else(|| {
                bad("the tree size is not a decimal number without leading zeros")
            })?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root hash is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint as a signed note, signed by every signer.
    pub fn sign(&self, signers: &[&NoteSigner]) -> Result<String> {
        note::sign(&self.to_text()?, signers)
    }
}

/// Opens a signed checkpoint: checks its signatures against `verifiers` (see
/// [`note::open`]) and parses its text.
pub fn open(
    signed: &str,
    verifiers: &[NoteVerifier],
) -> Result<(Checkpoint, Vec<VerifiedSignature>)> {
    let (text, signatures) = note::open(signed, verifiers)?;
    Ok((Checkpoint::parse(text)?, signatures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example_and_round_trips() {
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(text).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20_852_163);
        assert_eq!(cp.to_text().unwrap(), text);
    }

    #[test]
    fn signed_checkpoints_open_only_with_the_right_key() {
        let signer = NoteSigner::generate("magnetar.test/audit").unwrap();
        let cp = Checkpoint {
            origin: "magnetar.test/audit".into(),
            size: 7,
            root: [7; 32],
            extensions: vec!["ext one".into()],
        };
        let signed = cp.sign(&[&signer]).unwrap();
        let (opened, sigs) = open(&signed, &[signer.verifier()]).unwrap();
        assert_eq!(opened, cp);
        assert_eq!(sigs.len(), 1);
        let other = NoteSigner::generate("magnetar.test/audit").unwrap();
        assert!(open(&signed, &[other.verifier()]).is_err());
    }

    #[test]
    fn malformed_text_is_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for text in [
            String::new(),
            "o\n1\n".to_string(),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("\n1\n{root}\n"),
            "o\n1\nAAAA\n".to_string(),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}"),
        ] {
            assert!(Checkpoint::parse(&text).is_err(), "{text:?}");
        }
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\n")).is_ok());
    }
}
