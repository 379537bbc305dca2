//! How range requests reach the network.
//!
//! [`Transport`] is deliberately tiny so that hosts can implement it from foreign code:
//! one blocking GET that returns status, `Retry-After` and body, or a classified error.
//! The built-in [`HttpsTransport`] (feature `https`, on by default) uses ureq with rustls.

use std::fmt;
use std::time::{Duration, SystemTime};

/// The part of an HTTP response the breach check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code (200, 429, 503...).
    pub status: u16,
    /// The `Retry-After` header as a delay (see [`parse_retry_after`]).
    pub retry_after: Option<Duration>,
    /// The response body (for 200: `SUFFIX:COUNT` lines).
    pub body: String,
}

impl HttpResponse {
    /// A 200 response with `body`; what a host transport returns for a plain success.
    pub fn ok(body: impl Into<String>) -> Self {
        HttpResponse {
            status: 200,
            retry_after: None,
            body: body.into(),
        }
    }
}

/// Why a request produced no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A connect or total timeout expired.
    Timeout(String),
    /// The connection could not be made (refused, DNS failure, TLS failure, reset).
    Connect(String),
    /// Anything else (a host callback failed, a protocol error, an oversized body).
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout(m) => write!(f, "timed out: {m}"),
            TransportError::Connect(m) => write!(f, "connection failed: {m}"),
            TransportError::Other(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// A blocking HTTP GET. Implementations must be callable from many threads at once.
///
/// The checker passes the full URL and the headers to send (`Add-Padding: true` and the
/// `User-Agent`); the transport must send them as given and must not follow the request
/// with others (the URL carries only the 5-character prefix; nothing else may leave).
/// Non-2xx statuses are returned as responses, not errors.
pub trait Transport: Send + Sync {
    /// Sends `GET url` with `headers` and returns the response.
    fn get(&self, url: &str, headers: &[(String, String)]) -> Result<HttpResponse, TransportError>;
}

/// Parses a `Retry-After` header value (RFC 9110 §10.2.3) received at `now`: a number
/// of seconds (what the Pwned Passwords API sends) or an HTTP date (IMF-fixdate, or the
/// obsolete RFC 850 and asctime forms), which gives the time left until it; a date in the
/// past gives zero. Anything else gives `None` (the checker then uses its backoff).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More than ten digits (over 300 years) is not a delay anyone means.
        return (value.len() <= 10)
            .then(|| value.parse::<u64>().ok())
            .flatten()
            .map(Duration::from_secs);
    }
    let due = httpdate::parse_http_date(value).ok()?;
    Some(due.duration_since(now).unwrap_or(Duration::ZERO))
}

/// [`parse_retry_after`] for a header received just now: what a [`Transport`] calls.
pub fn retry_after_now(value: &str) -> Option<Duration> {
    parse_retry_after(value, SystemTime::now())
}

/// Largest body accepted from the API (a padded range response is about 40 KB).
#[cfg(feature = "https")]
const MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;

/// The built-in transport: ureq over rustls, with connect and total timeouts,
/// no redirects followed (a redirect is reported as its 3xx status).
#[cfg(feature = "https")]
pub struct HttpsTransport {
    agent: ureq::Agent,
}

#[cfg(feature = "https")]
impl fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsTransport").finish_non_exhaustive()
    }
}

#[cfg(feature = "https")]
impl HttpsTransport {
    /// A client with the given connect and total (per request) timeouts.
    pub fn new(connect_timeout: Duration, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        HttpsTransport {
            agent: ureq::Agent::new_with_config(config),
        }
    }
}

#[cfg(feature = "https")]
impl Transport for HttpsTransport {
    fn get(&self, url: &str, headers: &[(String, String)]) -> Result<HttpResponse, TransportError> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request.call().map_err(classify)?;
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after_now);
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(classify)?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}

#[cfg(feature = "https")]
fn classify(err: ureq::Error) -> TransportError {
    use std::io::ErrorKind as Io;
    match err {
        ureq::Error::Timeout(t) => TransportError::Timeout(t.to_string()),
        ureq::Error::Io(e) if matches!(e.kind(), Io::TimedOut | Io::WouldBlock) => {
            TransportError::Timeout(e.to_string())
        }
        ureq::Error::Io(e) => TransportError::Connect(e.to_string()),
        e @ (ureq::Error::ConnectionFailed | ureq::Error::HostNotFound) => {
            TransportError::Connect(e.to_string())
        }
        other => TransportError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        for bad in ["-1", "99999999999", "", "3.5", "soon", "3 s"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_as_an_http_date() {
        // RFC 9110's example date, in its three accepted forms.
        let date = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let now = date - Duration::from_secs(120);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now),
                Some(Duration::from_secs(120)),
                "{form}"
            );
        }
        // Already due: retry at once.
        let later = date + Duration::from_secs(5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", now),
            None
        );
    }

    #[test]
    fn retry_after_now_is_relative_to_the_clock() {
        assert_eq!(retry_after_now("7"), Some(Duration::from_secs(7)));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let wait = retry_after_now(&in_a_minute).unwrap();
        assert!(
            wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert_eq!(
            retry_after_now("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
    }
}
