//! The request context a session is scored on: IP, User-Agent and chosen headers,
//! normalised so that cosmetic differences (case, whitespace) never count as a change.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// Longest accepted User-Agent, in bytes. Real ones stay well under 1 KiB; the bound
/// keeps a hostile client from making every stored session huge.
pub const MAX_USER_AGENT_LEN: usize = 2048;
/// Longest accepted header value, in bytes.
pub const MAX_HEADER_VALUE_LEN: usize = 1024;
/// Most headers one context may carry.
pub const MAX_HEADERS: usize = 32;

/// Header names whose values are case-insensitive lists (`en-US, en;q=0.9`): their
/// values are lowercased and the spaces around commas removed.
const LIST_HEADERS: &[&str] = &["accept-language", "accept-encoding", "accept"];

/// What a request looked like: the client IP, its User-Agent, and the other headers
/// the host chose to fingerprint (typically `Accept-Language`, `Accept-Encoding`,
/// `Sec-CH-UA-Platform`).
///
/// Construction validates and normalises: the IP is parsed (an IPv4-mapped IPv6
/// address becomes IPv4), the User-Agent is trimmed with inner whitespace collapsed,
/// header names are lowercased, and values are trimmed and collapsed (list headers
/// such as `Accept-Language` are also lowercased). A header whose normalised value is
/// empty is the same as an absent one.
///
/// As JSON: `{"ip": "203.0.113.7", "user_agent": "...", "headers": {"accept-language": "en"}}`
/// (`user_agent` and `headers` may be omitted; unknown fields are rejected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawContext", into = "RawContext")]
pub struct RequestContext {
    ip: IpAddr,
    user_agent: String,
    headers: BTreeMap<String, String>,
}

/// The wire form of [`RequestContext`], validated by `TryFrom`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    ip: String,
    #[serde(default)]
    user_agent: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

impl TryFrom<RawContext> for RequestContext {
    type Error = Error;
    fn try_from(raw: RawContext) -> Result<Self> {
        let mut ctx = RequestContext::new(&raw.ip, &raw.user_agent)?;
        for (name, value) in &raw.headers {
            ctx.insert_header(name, value)?;
        }
        Ok(ctx)
    }
}

impl From<RequestContext> for RawContext {
    fn from(ctx: RequestContext) -> Self {
        RawContext {
            ip: ctx.ip.to_string(),
            user_agent: ctx.user_agent,
            headers: ctx.headers,
        }
    }
}

impl RequestContext {
    /// A context from a textual IP address and a User-Agent, with no other headers.
    ///
    /// Fails with `InvalidInput` when the IP is not a valid IPv4 or IPv6 address or the
    /// User-Agent is longer than [`MAX_USER_AGENT_LEN`].
    pub fn new(ip: &str, user_agent: &str) -> Result<Self> {
        Self::from_ip(parse_ip(ip)?, user_agent)
    }

    /// A context from an already parsed IP address.
    pub fn from_ip(ip: IpAddr, user_agent: &str) -> Result<Self> {
        if user_agent.len() > MAX_USER_AGENT_LEN {
            return Err(Error::InvalidInput(format!(
                "User-Agent is {} bytes, longer than the {MAX_USER_AGENT_LEN} accepted",
                user_agent.len()
            )));
        }
        Ok(RequestContext {
            ip: ip.to_canonical(),
            user_agent: collapse_whitespace(user_agent),
            headers: BTreeMap::new(),
        })
    }

    /// Adds (or replaces) a fingerprinted header; builder form of [`Self::insert_header`].
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self> {
        self.insert_header(name, value)?;
        Ok(self)
    }

    /// Adds (or replaces) a fingerprinted header.
    ///
    /// Fails with `InvalidInput` when the name is not an HTTP token, names the
    /// User-Agent (it has its own field and signal, and must not be counted twice),
    /// the value is too long or the context already has [`MAX_HEADERS`] headers.
    pub fn insert_header(&mut self, name: &str, value: &str) -> Result<()> {
        let name = normalise_header_name(name)?;
        if value.len() > MAX_HEADER_VALUE_LEN {
            return Err(Error::InvalidInput(format!(
                "value of header {name:?} is {} bytes, longer than the {MAX_HEADER_VALUE_LEN} accepted",
                value.len()
            )));
        }
        let value = normalise_header_value(&name, value);
        if value.is_empty() {
            self.headers.remove(&name);
            return Ok(());
        }
        if !self.headers.contains_key(&name) && self.headers.len() >= MAX_HEADERS {
            return Err(Error::InvalidInput(format!(
                "a request context holds at most {MAX_HEADERS} headers"
            )));
        }
        self.headers.insert(name, value);
        Ok(())
    }

    /// Parses a context from JSON (see the type's documentation for the shape).
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| Error::InvalidInput(format!("invalid request context JSON: {e}")))
    }

    /// The context as JSON, in the shape [`Self::from_json`] reads.
    pub fn to_json(&self) -> String {
        // Serialising a struct of strings and a string map cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The client IP (IPv4-mapped IPv6 addresses are stored as IPv4).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The normalised User-Agent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The normalised fingerprinted headers, by lowercase name.
    pub fn headers(&self) -> &BTreeMap<String, String> {
        &self.headers
    }

    /// The keyed fingerprint of this context's fingerprinted headers.
    ///
    /// The IP and User-Agent are deliberately not part of it: they are stored and
    /// compared on their own (a subnet or browser-version comparison needs the
    /// values, not a hash), and a change in them must not be counted twice.
    pub fn fingerprint(&self, key: &FingerprintKey) -> Fingerprint {
        let mut mac = crate::mac::hmac_sha256(&key.0);
        mac.update(b"magnetar.session.fingerprint.v1");
        for (name, value) in &self.headers {
            // Length-prefixed so that no two header sets share an encoding.
            mac.update(&(name.len() as u64).to_be_bytes());
            mac.update(name.as_bytes());
            mac.update(&(value.len() as u64).to_be_bytes());
            mac.update(value.as_bytes());
        }
        Fingerprint(mac.finalize().into_bytes().into())
    }
}

/// Parses an IP address, naming the bad input on failure. Surrounding whitespace is
/// ignored; IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) become IPv4 so that a
/// dual-stack proxy reporting either form does not look like an IP change.
pub fn parse_ip(text: &str) -> Result<IpAddr> {
    let trimmed = text.trim();
    trimmed
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| {
            let shown: String = trimmed.chars().take(64).collect();
            Error::InvalidInput(format!(
                "invalid IP address {shown:?}: expected an IPv4 (203.0.113.7) or IPv6 (2001:db8::1) address"
            ))
        })
}

fn normalise_header_name(name: &str) -> Result<String> {
    let name = name.trim();
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_token_char) {
        let shown: String = name.chars().take(64).collect();
        return Err(Error::InvalidInput(format!(
            "invalid header name {shown:?}: expected an HTTP token such as \"Accept-Language\""
        )));
    }
    let name = name.to_ascii_lowercase();
    if name == "user-agent" {
        return Err(Error::InvalidInput(
            "User-Agent is not a fingerprinted header: pass it as the user_agent field".into(),
        ));
    }
    Ok(name)
}

fn normalise_header_value(name: &str, value: &str) -> String {
    let collapsed = collapse_whitespace(value);
    if LIST_HEADERS.contains(&name) {
        collapsed
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect::<Vec<_>>()
            .join(",")
            .to_lowercase()
    } else {
        collapsed
    }
}

/// Trims and replaces each run of whitespace (and control characters) by one space.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The 32-byte key of the fingerprint HMAC. Zeroized on drop; `Debug` prints
/// `[redacted]`. There is no default key: the host supplies one (or a master key to
/// derive it from), so fingerprints cannot be precomputed by anyone without it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FingerprintKey([u8; 32]);

impl FingerprintKey {
    /// A key from exactly 32 bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        FingerprintKey(bytes)
    }

    /// A key from a slice, which must be exactly 32 bytes (`InvalidKey` otherwise).
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::InvalidKey(format!(
                "a fingerprint key is 32 bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(FingerprintKey(array))
    }

    /// Derives the fingerprint key from a host master key (at least 32 bytes) with
    /// HKDF-SHA256, so one host secret can serve several purposes without reuse.
    pub fn derive(master_key: &[u8]) -> Result<Self> {
        if master_key.len() < 32 {
            return Err(Error::InvalidKey(format!(
                "a master key to derive the fingerprint key from must be at least 32 bytes, got {}",
                master_key.len()
            )));
        }
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"magnetar.session"), master_key);
        let mut out = [0u8; 32];
        hk.expand(b"magnetar.session.fingerprint-key.v1", &mut out)
            .map_err(|_| Error::Internal("HKDF refused a 32-byte output".into()))?;
        Ok(FingerprintKey(out))
    }

    /// A fresh random key (for tests and for hosts that keep the key themselves).
    pub fn generate() -> Result<Self> {
        Ok(FingerprintKey(crate::random::bytes::<32>()?))
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey([redacted])")
    }
}

/// A keyed hash (HMAC-SHA256) of a context's fingerprinted headers.
#[derive(Clone, Copy)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A fingerprint from stored bytes (`InvalidInput` unless exactly 32 bytes).
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::InvalidInput(format!("a fingerprint is 32 bytes, got {}", bytes.len()))
        })?;
        Ok(Fingerprint(array))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl PartialEq for Fingerprint {
    /// Constant time: a fingerprint is a MAC.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Fingerprint {}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_parsing_accepts_v4_v6_and_mapped() {
        assert_eq!(
            parse_ip(" 203.0.113.7 ").unwrap().to_string(),
            "203.0.113.7"
        );
        assert_eq!(parse_ip("2001:DB8::1").unwrap().to_string(), "2001:db8::1");
        assert_eq!(
            parse_ip("::ffff:192.0.2.1").unwrap().to_string(),
            "192.0.2.1"
        );
        for bad in [
            "",
            "256.1.1.1",
            "1.2.3",
            "example.com",
            "fe80::1%eth0",
            "[::1]",
            "1.2.3.4:80",
        ] {
            let err = parse_ip(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains("invalid IP address"), "{err}");
        }
    }

    #[test]
    fn normalisation_ignores_cosmetic_differences() {
        let a = RequestContext::new("10.0.0.1", "  Mozilla/5.0   (X11)\t")
            .unwrap()
            .with_header("Accept-Language", "en-US, en;q=0.9")
            .unwrap()
            .with_header("X-Empty", "   ")
            .unwrap();
        let b = RequestContext::new("10.0.0.1", "Mozilla/5.0 (X11)")
            .unwrap()
            .with_header("accept-language", "EN-us,en;Q=0.9")
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.user_agent(), "Mozilla/5.0 (X11)");
        assert_eq!(a.headers()["accept-language"], "en-us,en;q=0.9");
    }

    #[test]
    fn header_validation() {
        let ctx = RequestContext::new("10.0.0.1", "ua").unwrap();
        assert!(ctx.clone().with_header("Bad Name", "x").is_err());
        assert!(ctx.clone().with_header("", "x").is_err());
        let err = ctx.clone().with_header("User-Agent", "x").unwrap_err();
        assert!(err.to_string().contains("user_agent field"), "{err}");
        assert!(ctx.clone().with_header("a", &"x".repeat(2000)).is_err());
        assert!(RequestContext::new("10.0.0.1", &"x".repeat(5000)).is_err());
        let mut many = ctx;
        for i in 0..MAX_HEADERS {
            many.insert_header(&format!("h{i}"), "v").unwrap();
        }
        assert!(many.insert_header("one-more", "v").is_err());
        many.insert_header("h0", "replaced").unwrap();
    }

    #[test]
    fn json_round_trip_and_errors() {
        let ctx = RequestContext::from_json(
            r#"{"ip":"2001:db8::7","user_agent":"curl/8.0","headers":{"Accept-Language":"de"}}"#,
        )
        .unwrap();
        assert_eq!(ctx.headers()["accept-language"], "de");
        assert_eq!(RequestContext::from_json(&ctx.to_json()).unwrap(), ctx);
        let minimal = RequestContext::from_json(r#"{"ip":"10.1.2.3"}"#).unwrap();
        assert_eq!(minimal.user_agent(), "");
        for (bad, needle) in [
            (r#"{"ip":"nope"}"#, "invalid IP address"),
            (r#"{"user_agent":"x"}"#, "missing field `ip`"),
            (r#"{"ip":"10.0.0.1","extra":1}"#, "unknown field `extra`"),
            (
                r#"{"ip":"10.0.0.1","headers":{"user-agent":"x"}}"#,
                "user_agent field",
            ),
            ("[", "invalid request context JSON"),
        ] {
            let err = RequestContext::from_json(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn fingerprint_is_keyed_and_covers_headers_only() {
        let k1 = FingerprintKey::new([1; 32]);
        let k2 = FingerprintKey::new([2; 32]);
        let a = RequestContext::new("10.0.0.1", "ua1")
            .unwrap()
            .with_header("accept-language", "en")
            .unwrap();
        let b = RequestContext::new("192.0.2.9", "ua2")
            .unwrap()
            .with_header("accept-language", "en")
            .unwrap();
        let c = a.clone().with_header("accept-language", "fr").unwrap();
        assert_eq!(a.fingerprint(&k1), b.fingerprint(&k1));
        assert_ne!(a.fingerprint(&k1), c.fingerprint(&k1));
        assert_ne!(a.fingerprint(&k1), a.fingerprint(&k2));
        // Header boundaries are unambiguous.
        let x = RequestContext::new("10.0.0.1", "")
            .unwrap()
            .with_header("ab", "c")
            .unwrap();
        let y = RequestContext::new("10.0.0.1", "")
            .unwrap()
            .with_header("a", "bc")
            .unwrap();
        assert_ne!(x.fingerprint(&k1), y.fingerprint(&k1));
    }

    #[test]
    fn keys_fail_closed_and_are_redacted() {
        assert_eq!(
            FingerprintKey::from_slice(&[0; 16]).unwrap_err().kind(),
            crate::ErrorKind::InvalidKey
        );
        assert_eq!(
            FingerprintKey::derive(b"short").unwrap_err().kind(),
            crate::ErrorKind::InvalidKey
        );
        let k = FingerprintKey::derive(&[7; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "FingerprintKey([redacted])");
        assert_ne!(k.0, [7; 32]);
    }
}
