//! The k-anonymity range protocol: which URL to ask, and how to read the answer.
//!
//! `GET {base}/range/{PREFIX}` answers with one `SUFFIX:COUNT` line per known hash that
//! starts with the 5-hex-digit prefix (SHA-1: 35-digit suffix; NTLM with `?mode=ntlm`:
//! 27-digit suffix). With `Add-Padding: true` the server adds random rows with count 0
//! so that the response size does not reveal the prefix; those are ignored.

use crate::error::{Error, Result};

/// Hex digits of the hash prefix sent to the API (20 bits: about a million buckets).
pub const PREFIX_LEN: usize = 5;

/// The request URL for `prefix` (5 uppercase hex digits).
pub fn range_url(base_url: &str, prefix: &str, ntlm: bool) -> String {
    let base = base_url.trim_end_matches('/');
    if ntlm {
        format!("{base}/range/{prefix}?mode=ntlm")
    } else {
        format!("{base}/range/{prefix}")
    }
}

/// The request headers: padding on, and the configured `User-Agent`.
pub fn range_headers(user_agent: &str) -> Vec<(String, String)> {
    vec![
        ("Add-Padding".to_string(), "true".to_string()),
        ("User-Agent".to_string(), user_agent.to_string()),
    ]
}

/// Reads a range response and returns the count of `suffix` (hex digits after the
/// prefix, either case), `None` when it is absent or only present as padding (count 0).
///
/// The whole body is validated, not just searched: a truncated or foreign body (an HTML
/// error page from a captive portal, a proxy's message) must become an error, never a
/// "not found". Lines end in LF or CRLF; empty lines (such as after a final newline) are
/// skipped; a body with no rows at all is an error, since a padded response is never
/// empty. If a suffix appears more than once, the largest count wins.
pub fn find_in_range(body: &str, suffix: &str) -> Result<Option<u64>> {
    let want = suffix.as_bytes();
    if want.is_empty() || !want.iter().all(u8::is_ascii_hexdigit) {
        return Err(Error::InvalidInput(
            "range suffix must be hex digits".to_string(),
        ));
    }
    let mut found: Option<u64> = None;
    let mut rows = 0usize;
    // `str::split` with a char finds newlines with memchr; per row the checks are
    // branch-light (fixed colon position, table-driven hex check), since this runs over
    // ~1,000 rows for every online check.
    for (number, line) in body.split('\n').enumerate() {
        let line = line.as_bytes();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let malformed = |what: &str| {
            Error::Transport(format!(
                "malformed range response: line {}: {what}",
                number + 1
            ))
        };
        if line.get(want.len()) != Some(&b':') {
            return Err(malformed(&format!(
                "expected {} hex digits, ':' and a count",
                want.len()
            )));
        }
        let (hash, count) = (&line[..want.len()], &line[want.len() + 1..]);
        let not_hex = hash
            .iter()
            .fold(0u8, |acc, &b| acc | NOT_HEX[usize::from(b)]);
        if not_hex != 0 {
            return Err(malformed("suffix is not hex"));
        }
        let count = parse_count(count).ok_or_else(|| malformed("count is not a number"))?;
        rows += 1;
        if count > 0 && hash.eq_ignore_ascii_case(want) {
            found = Some(found.map_or(count, |c| c.max(count)));
        }
    }
    if rows == 0 {
        return Err(Error::Transport(
            "malformed range response: no rows".to_string(),
        ));
    }
    Ok(found)
}

/// 0 for ASCII hex digits, 1 for every other byte.
const NOT_HEX: [u8; 256] = {
    let mut t = [1u8; 256];
    let mut i = 0;
    while i < 256 {
        if (i as u8).is_ascii_hexdigit() {
            t[i] = 0;
        }
        i += 1;
    }
    t
};

/// A decimal count: ASCII digits only, no sign, no overflow.
pub(crate) fn parse_count(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SUFFIX: &str = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"; // SHA-1("password")

    #[test]
    fn finds_suffix_and_ignores_padding() {
        let body = format!(
            "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{SUFFIX}:10434004\r\nFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0\r\n"
        );
        assert_eq!(find_in_range(&body, SUFFIX).unwrap(), Some(10434004));
        let padded = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:0\n0018A45C4D1DEF81644B54AB7F969B88D65:3";
        assert_eq!(find_in_range(padded, SUFFIX).unwrap(), None);
        let lower = format!("{}:7\n", SUFFIX.to_lowercase());
        assert_eq!(find_in_range(&lower, SUFFIX).unwrap(), Some(7));
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [
            "",
            "\r\n\n",
            "<html>Service unavailable</html>",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD:1",
            "1E4C9B93F3F0682250B6CF8331B7EE68FDZ:1",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8:",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8:-1",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8:99999999999999999999999",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8:1\nok",
        ] {
            let err = find_in_range(body, SUFFIX).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Transport, "{body:?}");
        }
    }

    #[test]
    fn urls_and_headers() {
        assert_eq!(
            range_url("https://api.pwnedpasswords.com/", "5BAA6", false),
            "https://api.pwnedpasswords.com/range/5BAA6"
        );
        assert_eq!(
            range_url("http://h", "8846F", true),
            "http://h/range/8846F?mode=ntlm"
        );
        assert!(range_headers("ua").contains(&("Add-Padding".into(), "true".into())));
    }

    proptest! {
        #[test]
        fn never_panics(body in ".{0,300}") {
            let _ = find_in_range(&body, SUFFIX);
        }

        #[test]
        fn finds_any_listed_row(rows in proptest::collection::vec(("[0-9A-F]{35}", 0u64..1_000_000), 1..50), pick in 0usize..50) {
            let body: String = rows.iter().map(|(s, c)| format!("{s}:{c}\r\n")).collect();
            let (suffix, _) = &rows[pick % rows.len()];
            let expected = rows.iter().filter(|(s, c)| s == suffix && *c > 0).map(|(_, c)| *c).max();
            prop_assert_eq!(find_in_range(&body, suffix).unwrap(), expected);
        }
    }
}
