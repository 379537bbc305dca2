//! User-Agent family, OS and version detection.
//!
//! Browsers are recognised by `woothee` (Chrome, Firefox, Safari, Edge, Opera, IE,
//! Vivaldi, mobile variants and crawlers). Native apps send agents woothee does not
//! know (`MyApp/2.3.1 (iPhone; iOS 17.2; Scale/3.00)`, `okhttp/4.12.0`,
//! `Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)`): for those the leading
//! `Product/Version` token is the family and version, and the OS is read from the
//! comment.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use serde::{Deserialize, Serialize};

/// What kind of client sent the User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A web browser (or an in-app web view).
    Browser,
    /// A native app or HTTP library identifying itself as `Product/Version`.
    NativeApp,
    /// A crawler, feed reader or other automated agent.
    Crawler,
    /// Nothing recognisable.
    Unknown,
}

/// The detected family, version and OS of a User-Agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAgentInfo {
    /// Browser or app name (`Chrome`, `Firefox`, `Safari`, `Edge`, `MyApp`...);
    /// empty when unknown.
    pub family: String,
    /// Browser or app version (`120.0.6099.71`); empty when unknown.
    pub version: String,
    /// Operating system (`Windows 10`, `Mac OSX`, `iOS`, `Android`, `Linux`...);
    /// empty when unknown.
    pub os: String,
    /// OS version when the agent states one; empty otherwise.
    pub os_version: String,
    /// The kind of client.
    pub kind: ClientKind,
}

static PARSER: LazyLock<woothee::parser::Parser> = LazyLock::new(woothee::parser::Parser::new);

const UNKNOWN: &str = woothee::woothee::VALUE_UNKNOWN;

fn known(value: &str) -> String {
    if value == UNKNOWN {
        String::new()
    } else {
        value.to_string()
    }
}

/// Detects the family, version and OS of a User-Agent. Never fails: an agent nothing
/// recognises comes back with kind [`ClientKind::Unknown`] and empty fields.
pub fn parse(user_agent: &str) -> UserAgentInfo {
    if let Some(found) = PARSER.parse(user_agent)
        && found.name != UNKNOWN
    {
        let kind = match found.category {
            "crawler" => ClientKind::Crawler,
            _ => ClientKind::Browser,
        };
        // woothee names the new Edge "Edge" too; an in-app web view is "Webview".
        return UserAgentInfo {
            family: found.name.to_string(),
            version: known(found.version),
            os: known(found.os),
            os_version: known(&found.os_version),
            kind,
        };
    }
    parse_native(user_agent)
}

/// Most distinct agents the parse cache keeps. Real traffic repeats a few hundred
/// agents; when the cache is full it is emptied and refilled, so hostile random agents
/// cost only uncached parses and at most this many entries of memory
/// (`MAX_USER_AGENT_LEN` bytes each at worst: about 1 MiB).
const CACHE_CAPACITY: usize = 512;

static CACHE: LazyLock<Mutex<HashMap<String, Arc<UserAgentInfo>>>> =
    LazyLock::new(|| Mutex::new(HashMap::with_capacity(CACHE_CAPACITY)));

/// [`parse`], memoised: scoring a changed User-Agent parses two agents, and a full
/// parse costs microseconds while a cache hit costs a hash lookup.
pub(crate) fn parse_cached(user_agent: &str) -> Arc<UserAgentInfo> {
    if let Some(hit) = CACHE.lock().get(user_agent) {
        return hit.clone();
    }
    let info = Arc::new(parse(user_agent));
    let mut cache = CACHE.lock();
    if cache.len() >= CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(user_agent.to_string(), info.clone());
    info
}

/// `Product/Version (comment)` agents of native apps and HTTP libraries.
fn parse_native(user_agent: &str) -> UserAgentInfo {
    let mut info = UserAgentInfo {
        family: String::new(),
        version: String::new(),
        os: String::new(),
        os_version: String::new(),
        kind: ClientKind::Unknown,
    };
    let first = user_agent.split([' ', '(']).next().unwrap_or("");
    if let Some((product, version)) = first.split_once('/') {
        // Every browser starts with "Mozilla/5.0": it names no app.
        let product_ok = !product.is_empty()
            && product != "Mozilla"
            && product
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
        let version_ok = version.chars().next().is_some_and(|c| c.is_ascii_digit());
        if product_ok && version_ok {
            info.family = product.to_string();
            info.version = version.to_string();
            info.kind = ClientKind::NativeApp;
        }
    }
    let (os, os_version) = native_os(user_agent);
    info.os = os.to_string();
    info.os_version = os_version;
    info
}

/// The OS named in a native agent, with its version when one follows the name.
fn native_os(user_agent: &str) -> (&'static str, String) {
    // Order matters: "iPhone OS" agents also mention "Mac OS X", and Android agents
    // also say "Linux".
    const MARKERS: &[(&str, &str)] = &[
        ("iOS ", "iOS"),
        ("iPhone OS ", "iOS"),
        ("iPadOS ", "iPadOS"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("watchOS ", "watchOS"),
        ("tvOS ", "tvOS"),
        ("Android ", "Android"),
        ("Android", "Android"),
        ("macOS ", "macOS"),
        ("Mac OS X ", "macOS"),
        ("Macintosh", "macOS"),
        ("Windows NT ", "Windows"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
        ("Darwin/", "Darwin"),
    ];
    for (marker, os) in MARKERS {
        if let Some(at) = user_agent.find(marker) {
            let rest = &user_agent[at + marker.len()..];
            let version: String = if marker.ends_with([' ', '/']) {
                rest.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
                    .map(|c| if c == '_' { '.' } else { c })
                    .collect()
            } else {
                String::new()
            };
            return (os, version);
        }
    }
    ("", String::new())
}

/// The User-Agent with its version numbers masked: every run of digits, dots and
/// underscores directly after `/`, `rv:` or an OS name (`iPhone OS 17_2`,
/// `Android 14`, `Mac OS X 10_15_7`, `iOS 17.2`) becomes `#`. Two agents with the same
/// skeleton differ only in versions; anything else (device model, a different
/// product token, language tag) keeps them apart.
pub(crate) fn version_skeleton(user_agent: &str) -> String {
    const VERSION_PREFIXES: &[&str] = &["/", "rv:", " OS ", "iOS ", "Android ", "OS X "];
    let bytes = user_agent.as_bytes();
    let mut out = String::with_capacity(user_agent.len());
    let mut copied = 0; // start of the input not yet copied to `out`
    let mut i = 0;
    while i < bytes.len() {
        // Every prefix ends in '/', ':' or ' ': test the prefixes only there. `i` is at
        // an ASCII digit, so slicing at it is on a character boundary.
        let at_version = bytes[i].is_ascii_digit()
            && i > 0
            && matches!(bytes[i - 1], b'/' | b':' | b' ')
            && VERSION_PREFIXES
                .iter()
                .any(|p| user_agent[..i].ends_with(p));
        if at_version {
            out.push_str(&user_agent[copied..i]);
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            out.push('#');
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&user_agent[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36";
    const EDGE_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";

    #[test]
    fn browsers() {
        for (ua, family, version_prefix, os) in [
            (CHROME_WIN, "Chrome", "120.0", "Windows 10"),
            (EDGE_WIN, "Edge", "120.0", "Windows 10"),
            (FIREFOX_LINUX, "Firefox", "121.0", "Linux"),
            (SAFARI_IOS, "Safari", "17.2", "iPhone"),
            (SAFARI_MAC, "Safari", "17.2", "Mac OSX"),
        ] {
            let info = parse(ua);
            assert_eq!(info.family, family, "{ua}");
            assert!(info.version.starts_with(version_prefix), "{ua}: {info:?}");
            assert_eq!(info.os, os, "{ua}");
            assert_eq!(info.kind, ClientKind::Browser);
        }
    }

    #[test]
    fn native_apps() {
        let app = parse("MyApp/2.3.1 (iPhone; iOS 17.2; Scale/3.00)");
        assert_eq!(
            (
                app.family.as_str(),
                app.version.as_str(),
                app.os.as_str(),
                app.os_version.as_str()
            ),
            ("MyApp", "2.3.1", "iOS", "17.2")
        );
        assert_eq!(app.kind, ClientKind::NativeApp);
        let ok = parse("okhttp/4.12.0");
        assert_eq!((ok.family.as_str(), ok.os.as_str()), ("okhttp", ""));
        let dalvik = parse("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240105.004)");
        assert_eq!(
            (dalvik.family.as_str(), dalvik.os.as_str()),
            ("Dalvik", "Android")
        );
        assert_eq!(dalvik.os_version, "14");
        let cf = parse("MyApp/1 CFNetwork/1490.0.4 Darwin/23.2.0");
        assert_eq!(
            (cf.family.as_str(), cf.os.as_str(), cf.os_version.as_str()),
            ("MyApp", "Darwin", "23.2.0")
        );
    }

    #[test]
    fn edge_cases_never_fail() {
        for ua in [
            "",
            " ",
            "/",
            "/1.0",
            "App/",
            "App/x",
            "()",
            "Mozilla/5.0",
            "\u{1F600}/1.0",
            "ü/é",
        ] {
            let info = parse(ua);
            assert_ne!(info.kind, ClientKind::NativeApp, "{ua}: {info:?}");
        }
        assert_eq!(parse("").kind, ClientKind::Unknown);
        let bot = parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert_eq!(bot.kind, ClientKind::Crawler);
    }

    #[test]
    fn cached_parse_agrees_and_stays_bounded() {
        assert_eq!(*parse_cached(CHROME_WIN), parse(CHROME_WIN));
        assert_eq!(*parse_cached(CHROME_WIN), parse(CHROME_WIN));
        for i in 0..(CACHE_CAPACITY * 2) {
            let ua = format!("App{i}/1.0");
            assert_eq!(parse_cached(&ua).family, format!("App{i}"));
        }
        assert!(CACHE.lock().len() <= CACHE_CAPACITY);
    }

    #[test]
    fn skeleton_masks_versions_only() {
        let newer_chrome = CHROME_WIN.replace("120.0.6099.71", "121.0.6167.85");
        assert_eq!(
            version_skeleton(CHROME_WIN),
            version_skeleton(&newer_chrome)
        );
        let newer_ios = SAFARI_IOS.replace("17_2", "17_3").replace("17.2", "17.3");
        assert_eq!(version_skeleton(SAFARI_IOS), version_skeleton(&newer_ios));
        let ff = FIREFOX_LINUX.replace("121.0", "122.0");
        assert_eq!(version_skeleton(FIREFOX_LINUX), version_skeleton(&ff));
        // A different device or OS is not a version change.
        let mac = CHROME_WIN.replace(
            "Windows NT 10.0; Win64; x64",
            "Macintosh; Intel Mac OS X 10_15_7",
        );
        assert_ne!(version_skeleton(CHROME_WIN), version_skeleton(&mac));
        assert_ne!(
            version_skeleton("Mozilla/5.0 (Linux; Android 14; Pixel 7) Chrome/120.0"),
            version_skeleton("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120.0")
        );
        assert_eq!(version_skeleton("ü/1.2 é"), "ü/# é");
    }
}
