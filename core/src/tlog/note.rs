//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 signatures.
//!
//! ```text
//! <text, ending in a newline>
//! <blank line>
//! — <key name> base64(key ID (4 bytes, big-endian) || Ed25519 signature (64 bytes))
//! ```
//!
//! The key ID is `SHA-256(key name || 0x0A || 0x01 || public key)[:4]`, as the spec
//! recommends. Keys are written as Go's `golang.org/x/mod/sumdb/note` writes them, so the
//! tools that check transparency logs read them unchanged:
//!
//! - verifier key: `<name>+<key ID, 8 hex digits>+base64(0x01 || public key)`;
//! - signer key: `PRIVATE+KEY+<name>+<key ID>+base64(0x01 || 32-byte seed)`.
//!
//! Opening a note follows the spec: signatures by unknown keys are ignored, a signature
//! by a known key that fails to verify rejects the whole note, and a note with no
//! verified signature by a known key is rejected.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The signature type byte of Ed25519 in signed notes.
const ED25519: u8 = 0x01;

/// At most this many signature lines are read (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// At most this many bytes of note are read: a checkpoint is a few hundred.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(Error::InvalidKey(format!(
            "key name {name:?} must be non-empty, without spaces or '+'"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidKey(
            "key name contains control characters".into(),
        ));
    }
    Ok(())
}

fn key_id(name: &str, public: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(public.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits `<prefix><name>+<8 hex>+<base64>` into name, id and decoded key bytes.
fn split_key<'a>(text: &'a str, what: &str) -> Result<(&'a str, u32, Zeroizing<Vec<u8>>)> {
    let bad = |why: &str| Error::InvalidKey(format!("malformed {what}: {why}"));
    let mut parts = text.trim_end_matches(['\n', '\r']).splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected NAME+KEYID+KEY"));
    };
    check_name(name)?;
    if id.len() != 8
        || !id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(bad("the key ID must be 8 lowercase hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| bad("the key ID is not hex"))?;
    let key = Zeroizing::new(B64.decode(key).map_err(|_| bad("the key is not base64"))?);
    if key.len() != 33 || key[0] != ED25519 {
        return Err(bad("not an Ed25519 key (type 0x01 and 32 bytes)"));
    }
    Ok((name, id, key))
}

/// A public key that checks signatures on notes.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses a verifier key (`name+keyid+base64(0x01 || key)`), checking that the key
    /// ID is the one the name and key give.
    pub fn parse(text: &str) -> Result<Self> {
        let (name, id, key) = split_key(text, "verifier key")?;
        let bytes: [u8; 32] = key[1..].try_into().expect("33 bytes checked");
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| Error::InvalidKey("verifier key is not a valid Ed25519 point".into()))?;
        if key.is_weak() {
            return Err(Error::InvalidKey(
                "verifier key is a small-order point".into(),
            ));
        }
        if key_id(name, &key) != id {
            return Err(Error::InvalidKey(format!(
                "verifier key for {name:?}: the key ID does not match the name and key"
            )));
        }
        Ok(NoteVerifier {
            name: name.to_string(),
            id,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.id
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = vec![ED25519];
        key.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(key))
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

/// A private key that signs notes. Its seed is zeroized on drop and never printed.
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// A new signer named `name` with a fresh key from the OS.
    pub fn generate(name: &str) -> Result<Self> {
        let seed = Zeroizing::new(crate::random::bytes::<32>()?);
        Self::from_seed(name, &seed[..])
    }

    /// The signer named `name` with the 32-byte Ed25519 seed `seed`.
    pub fn from_seed(name: &str, seed: &[u8]) -> Result<Self> {
        check_name(name)?;
        let seed: &[u8; 32] = seed.try_into().map_err(|_| {
            Error::InvalidKey(format!("an Ed25519 seed is 32 bytes, not {}", seed.len()))
        })?;
        let key = SigningKey::from_bytes(seed);
        Ok(NoteSigner {
            name: name.to_string(),
            id: key_id(name, &key.verifying_key()),
            key,
        })
    }

    /// Parses a signer key (`PRIVATE+KEY+name+keyid+base64(0x01 || seed)`).
    pub fn parse(text: &str) -> Result<Self> {
        let rest = text.strip_prefix("PRIVATE+KEY+").ok_or_else(|| {
            Error::InvalidKey("malformed signer key: expected PRIVATE+KEY+NAME+KEYID+KEY".into())
        })?;
        let (name, id, key) = split_key(rest, "signer key")?;
        let signer = Self::from_seed(name, &key[1..])?;
        if signer.id != id {
            return Err(Error::InvalidKey(format!(
                "signer key for {name:?}: the key ID does not match the name and key"
            )));
        }
        Ok(signer)
    }

    /// The signer key in the form [`parse`](Self::parse) reads. A secret: store it like
    /// one.
    pub fn to_private_text(&self) -> Zeroizing<String> {
        let mut key = Zeroizing::new(vec![ED25519]);
        key.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(&*key)
        ))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The signature line for `text`, without its newline.
    fn signature_line(&self, text: &str) -> String {
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("{SIGNATURE_PREFIX}{} {}", self.name, B64.encode(blob))
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSigner({} {:08x}, [redacted])", self.name, self.id)
    }
}

fn check_text(text: &str) -> Result<()> {
    if !text.ends_with('\n') {
        return Err(Error::InvalidInput(
            "note text must end with a newline".into(),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::InvalidInput(
            "note text must not contain control characters other than newline".into(),
        ));
    }
    if text.contains("\n\n\u{2014} ") || text.starts_with(SIGNATURE_PREFIX) {
        return Err(Error::InvalidInput(
            "note text must not contain signature lines".into(),
        ));
    }
    Ok(())
}

/// Signs `text` (which must end in a newline) with every signer; returns the note.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(Error::InvalidInput(
            "a note needs at least one signer".into(),
        ));
    }
    let mut note = format!("{text}\n");
    for signer in signers {
        note.push_str(&signer.signature_line(text));
        note.push('\n');
    }
    Ok(note)
}

/// Adds signatures (a witness cosigning, say) to a note that already verifies with
/// `verifiers`.
pub fn cosign(note: &str, verifiers: &[NoteVerifier], signers: &[&NoteSigner]) -> Result<String> {
    open(note, verifiers)?;
    let mut out = note.to_string();
    let text = &note[..split(note)?.0];
    for signer in signers {
        out.push_str(&signer.signature_line(text));
        out.push('\n');
    }
    Ok(out)
}

/// The text of `note` (up to and including its last newline before the signatures),
/// **without** checking any signature: only for a note the caller stored itself and
/// checks otherwise (see [`open`] for notes from anyone else).
pub fn unverified_text(note: &str) -> Result<&str> {
    Ok(&note[..split(note)?.0])
}

/// The byte length of the text and the signature block of `note`.
fn split(note: &str) -> Result<(usize, &str)> {
    let bad = |why: &str| Error::Tampered(format!("malformed signed note: {why}"));
    if note.len() > MAX_NOTE_BYTES {
        return Err(bad("larger than 1 MiB"));
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad("contains control characters other than newline"));
    }
    let at = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let signatures = &note[at + 2..];
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(bad("the signature block must end with a newline"));
    }
    Ok((at + 1, signatures))
}

/// A signature on a note that verified with a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key's name.
    pub name: String,
    /// The key ID.
    pub key_id: u32,
}

/// Checks `note` against the known `verifiers`; returns its text and the signatures
/// that verified.
pub fn open<'a>(
    note: &'a str,
    verifiers: &[NoteVerifier],
) -> Result<(&'a str, Vec<VerifiedSignature>)> {
    let (text_len, block) = split(note)?;
    let text = &note[..text_len];
    let bad = |why: String| Error::Tampered(format!("malformed signed note: {why}"));
    let mut verified = Vec::new();
    for (i, line) in block.lines().enumerate() {
        if i >= MAX_SIGNATURES {
            return Err(bad(format!("more than {MAX_SIGNATURES} signatures")));
        }
        let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
            bad(format!(
                "signature line {} does not start with an em dash",
                i + 1
            ))
        })?;
        let (name, blob) = rest
            .split_once(' ')
            .ok_or_else(|| bad(format!("signature line {} has no signature", i + 1)))?;
        let blob = B64
            .decode(blob)
            .map_err(|_| bad(format!("signature line {} is not base64", i + 1)))?;
        if name.is_empty() || blob.len() < 4 {
            return Err(bad(format!("signature line {} is too short", i + 1)));
        }
        let id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        let Some(verifier) = verifiers.iter().find(|v| v.name == name && v.id == id) else {
            continue;
        };
        let signature = <[u8; 64]>::try_from(&blob[4..])
            .map(|b| Signature::from_bytes(&b))
            .map_err(|_| bad(format!("signature by {name:?} is not 64 bytes")))?;
        verifier
            .key
            .verify_strict(text.as_bytes(), &signature)
            .map_err(|_| Error::Tampered(format!("the signature by {name:?} does not verify")))?;
        verified.push(VerifiedSignature {
            name: name.to_string(),
            key_id: id,
        });
    }
    if verified.is_empty() {
        return Err(Error::Tampered(
            "the note carries no signature by a known key".into(),
        ));
    }
    Ok((text, verified))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of golang.org/x/mod/sumdb/note.
    const PETER_SIGNER: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VERIFIER: &str =
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const SIGNATURE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn signs_and_opens_the_go_example_byte_for_byte() {
        let signer = NoteSigner::parse(PETER_SIGNER).unwrap();
        assert_eq!(signer.verifier().to_string(), PETER_VERIFIER);
        assert_eq!(&*signer.to_private_text(), PETER_SIGNER);
        let note = sign(TEXT, &[&signer]).unwrap();
        assert_eq!(note, format!("{TEXT}\n{SIGNATURE}"));
        let verifier = NoteVerifier::parse(PETER_VERIFIER).unwrap();
        let (text, sigs) = open(&note, &[verifier]).unwrap();
        assert_eq!(text, TEXT);
        assert_eq!(sigs[0].key_id, 0xc74f20a3);
    }

    #[test]
    fn unknown_keys_are_ignored_and_a_bad_known_signature_rejects() {
        let peter = NoteVerifier::parse(PETER_VERIFIER).unwrap();
        let witness = NoteSigner::generate("witness.example/w1").unwrap();
        let note = format!("{TEXT}\n{SIGNATURE}");
        let cosigned = cosign(&note, std::slice::from_ref(&peter), &[&witness]).unwrap();
        let (_, sigs) = open(&cosigned, &[peter.clone(), witness.verifier()]).unwrap();
        assert_eq!(sigs.len(), 2);
        // Only the witness known: Peter's signature is skipped.
        assert_eq!(open(&cosigned, &[witness.verifier()]).unwrap().1.len(), 1);
        // No known key at all.
        let stranger = NoteSigner::generate("stranger").unwrap().verifier();
        assert!(open(&note, &[stranger]).is_err());
        // Edited text.
        let edited = note.replace("answer", "answers");
        let err = open(&edited, std::slice::from_ref(&peter)).unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
    }

    #[test]
    fn malformed_keys_and_notes_are_errors() {
        for key in [
            "",
            "PeterNeumann",
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+!!!",
        ] {
            assert!(NoteVerifier::parse(key).is_err(), "{key:?}");
        }
        assert!(NoteSigner::parse(PETER_VERIFIER).is_err());
        let peter = NoteVerifier::parse(PETER_VERIFIER).unwrap();
        for note in [
            TEXT.to_string(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", SIGNATURE.trim_end()),
            format!("{TEXT}\n- PeterNeumann x08go/ZJ\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n"),
            format!("a\u{7}b\n\n{SIGNATURE}"),
            format!("{TEXT}\n{}", SIGNATURE.repeat(MAX_SIGNATURES + 1)),
        ] {
            assert!(
                open(&note, std::slice::from_ref(&peter)).is_err(),
                "{note:?}"
            );
        }
        assert!(sign("no newline", &[&NoteSigner::parse(PETER_SIGNER).unwrap()]).is_err());
    }

    #[test]
    fn debug_never_prints_the_seed() {
        let signer = NoteSigner::parse(PETER_SIGNER).unwrap();
        let debug = format!("{signer:?}");
        assert!(
            debug.contains("[redacted]") && !debug.contains("AYEK"),
            "{debug}"
        );
    }
}
