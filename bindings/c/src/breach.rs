//! `mgn_breach`: HaveIBeenPwned k-anonymity breach checks (online, offline index, or a
//! host-supplied transport), and building the offline index.

use std::ffi::{CString, c_char, c_void};
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachIndex, BreachStatus, BuildPhase, BuildProgress, HashKind,
    HttpResponse, Source, Transport, TransportError, retry_after_now,
};
use magnetar_core::{Error, Result};

use crate::boundary;
use crate::handle::{self, OptOut, Out};
use crate::status::mgn_status;
use crate::strings::{alloc_string, bytes_arg, limits, owned_cstring, str_arg};

/// Checks passwords against the offline index and/or the range API. Created by
/// `mgn_breach_new` or `mgn_breach_new_with_transport`, released with `mgn_breach_free`.
///
/// Thread safety: any number of threads may call `mgn_breach_check` on one checker at
/// once (its cache and circuit breaker are shared); share one per process.
#[allow(non_camel_case_types)]
pub struct mgn_breach {
    checker: BreachChecker,
    /// The configuration's strings, NUL-terminated, which `mgn_breach_get_options` lends
    /// to the host for the checker's lifetime.
    strings: ConfigStrings,
}

struct ConfigStrings {
    base_url: CString,
    user_agent: CString,
    offline_index: Option<CString>,
}

impl mgn_breach {
    fn new(checker: BreachChecker) -> mgn_breach {
        let c = checker.config();
        let strings = ConfigStrings {
            base_url: owned_cstring(&c.base_url),
            user_agent: owned_cstring(&c.user_agent),
            // The path came from the host's UTF-8 options, so nothing is lost.
            offline_index: c
                .offline_index
                .as_ref()
                .map(|p| owned_cstring(&p.to_string_lossy())),
        };
        mgn_breach { checker, strings }
    }
}

/// Breach checker settings. Fill with `mgn_breach_options_default`, then change what you
/// need. Durations are in milliseconds; string fields are NUL-terminated UTF-8, copied by
/// `mgn_breach_new*`, and NULL means core's default.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_breach_options {
    /// Ask the range API when the offline index (if any) does not know the password
    /// (default true).
    pub online: bool,
    /// Base URL of the range API without `/range/`; NULL for the public API
    /// (https://api.pwnedpasswords.com).
    pub base_url: *const c_char,
    /// `User-Agent` sent with every request; NULL for `magnetar-breach-check/<version>`.
    pub user_agent: *const c_char,
    /// Connect timeout of the built-in HTTPS transport (default 5000).
    pub connect_timeout_ms: u64,
    /// Total timeout of one request of the built-in HTTPS transport (default 10000).
    pub timeout_ms: u64,
    /// Most cached results; 0 disables the cache (default 10000).
    pub cache_size: usize,
    /// How long a cached result stays valid (default 86400000, 24 h).
    pub cache_ttl_ms: u64,
    /// Retries after a failed request within one check (default 2).
    pub retries: u32,
    /// Backoff before the first retry, doubled for each further one (default 200).
    pub backoff_ms: u64,
    /// Upper bound of one backoff sleep (default 2000).
    pub backoff_max_ms: u64,
    /// Longest `Retry-After` a check waits for; longer answers `UNKNOWN` at once (default
    /// 2000).
    pub max_retry_after_ms: u64,
    /// Consecutive failed checks that open the circuit breaker (default 5).
    pub breaker_threshold: u32,
    /// How long an open breaker refuses to call the API (default 30000).
    pub breaker_cooldown_ms: u64,
    /// Query the NTLM variant of the range API instead of SHA-1 (default false).
    pub ntlm: bool,
    /// Path of an offline index (from `mgn_breach_index_build`) consulted before the
    /// network; NULL for none (default). With `online` false, checks are fully offline.
    pub offline_index: *const c_char,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Writes core's default breach settings to `*out` (online, public API, no index; string
/// fields NULL).
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_options_default(out: *mut mgn_breach_options) -> mgn_status {
    boundary::call("mgn_breach_options_default", || {
        let out = Out::new(out, "out")?;
        // NULL strings: core's defaults, which `mgn_breach_new` fills in.
        out.write(mgn_breach_options::from_config(
            &BreachConfig::default(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
        ));
        Ok(())
    })
}

impl mgn_breach_options {
    fn from_config(
        c: &BreachConfig,
        base_url: *const c_char,
        user_agent: *const c_char,
        offline_index: *const c_char,
    ) -> mgn_breach_options {
        mgn_breach_options {
            online: c.online,
            base_url,
            user_agent,
            connect_timeout_ms: ms(c.connect_timeout),
            timeout_ms: ms(c.timeout),
            cache_size: c.cache_size,
            cache_ttl_ms: ms(c.cache_ttl),
            retries: c.retries,
            backoff_ms: ms(c.backoff),
            backoff_max_ms: ms(c.backoff_max),
            max_retry_after_ms: ms(c.max_retry_after),
            breaker_threshold: c.breaker_threshold,
            breaker_cooldown_ms: ms(c.breaker_cooldown),
            ntlm: c.ntlm,
            offline_index,
        }
    }
}

/// Writes the settings `checker` runs with to `*out`. Its string fields point into the
/// checker (`offline_index` is NULL without an index): do not free them; they stay valid
/// until `mgn_breach_free`. Passing `*out` to `mgn_breach_new` makes an equivalent
/// checker.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_get_options(
    checker: *const mgn_breach,
    out: *mut mgn_breach_options,
) -> mgn_status {
    boundary::call("mgn_breach_get_options", || {
        // SAFETY: the host passes NULL or a live checker.
        let b = unsafe { handle::borrow(checker, "checker") }?;
        let out = Out::new(out, "out")?;
        let strings = &b.strings;
        out.write(mgn_breach_options::from_config(
            b.checker.config(),
            strings.base_url.as_ptr(),
            strings.user_agent.as_ptr(),
            strings
                .offline_index
                .as_ref()
                .map_or(ptr::null(), |p| p.as_ptr()),
        ));
        Ok(())
    })
}

/// Core's configuration from the host's options (NULL for the defaults).
///
/// # Safety
/// `options` is NULL or points to an `mgn_breach_options` whose strings are NULL or
/// NUL-terminated.
unsafe fn config_arg(options: *const mgn_breach_options) -> Result<BreachConfig> {
    let mut c = BreachConfig::default();
    // SAFETY: forwarded contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(c);
    };
    c.online = o.online;
    // SAFETY: forwarded contract (each string is NULL or NUL-terminated).
    unsafe {
        if !o.base_url.is_null() {
            c.base_url = str_arg(o.base_url, "options.base_url")?.to_owned();
        }
        if !o.user_agent.is_null() {
            c.user_agent = str_arg(o.user_agent, "options.user_agent")?.to_owned();
        }
        if !o.offline_index.is_null() {
            c.offline_index = Some(str_arg(o.offline_index, "options.offline_index")?.into());
        }
    }
    c.connect_timeout = Duration::from_millis(o.connect_timeout_ms);
    c.timeout = Duration::from_millis(o.timeout_ms);
    c.cache_size = o.cache_size;
    c.cache_ttl = Duration::from_millis(o.cache_ttl_ms);
    c.retries = o.retries;
    c.backoff = Duration::from_millis(o.backoff_ms);
    c.backoff_max = Duration::from_millis(o.backoff_max_ms);
    c.max_retry_after = Duration::from_millis(o.max_retry_after_ms);
    c.breaker_threshold = o.breaker_threshold;
    c.breaker_cooldown = Duration::from_millis(o.breaker_cooldown_ms);
    c.ntlm = o.ntlm;
    Ok(c)
}

/// Creates a checker with the built-in HTTPS transport (rustls) when `online`, and the
/// offline index when configured (opened and fully verified now); writes it to `*out`.
/// `options` may be NULL for the defaults. Release with `mgn_breach_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `out`, invalid UTF-8), `MGN_INVALID_CONFIG` (a
/// value out of range, or neither online nor an index), `MGN_IO` / `MGN_INVALID_INDEX`
/// (the index cannot be read or is corrupt). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_new(
    options: *const mgn_breach_options,
    out: *mut *mut mgn_breach,
) -> mgn_status {
    boundary::call("mgn_breach_new", || {
        let out = Out::new(out, "out")?;
        // SAFETY: forwarded contract.
        let config = unsafe { config_arg(options) }?;
        let checker = BreachChecker::new(config)?;
        out.write(handle::into_raw(mgn_breach::new(checker)));
        Ok(())
    })
}

/// One HTTP header of a range request, as given to a host transport.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_http_header {
    /// The header name, e.g. "Add-Padding" (NUL-terminated).
    pub name: *const c_char,
    /// The header value, e.g. "true" (NUL-terminated).
    pub value: *const c_char,
}

/// The response a host transport fills in during its callback, through
/// `mgn_http_response_set_status`, `mgn_http_response_set_body`,
/// `mgn_http_response_set_retry_after` and `mgn_http_response_set_error`. Owned by the
/// library and valid only during the callback.
#[allow(non_camel_case_types)]
pub struct mgn_http_response {
    status: Option<u16>,
    retry_after: Option<Duration>,
    body: String,
    error: Option<String>,
}

/// A host transport: sends `GET url` with the `n_headers` headers and fills `response`.
///
/// Called from the thread that called `mgn_breach_check`, possibly from several threads
/// at once, with the `userdata` given to `mgn_breach_new_with_transport`. `url`,
/// `headers` and `response` are valid only during the call. Send exactly the headers
/// given and no other request (the URL carries only the 5-character hash prefix).
///
/// Return `MGN_OK` (0) when an HTTP response arrived (any status, including 429 and 5xx:
/// set it with `mgn_http_response_set_status`); return any other value (`MGN_TRANSPORT`
/// is the natural one) when none did (timeout, DNS or TLS failure), optionally after
/// `mgn_http_response_set_error`. The check then retries or answers `UNKNOWN`. The return
/// type is a plain integer so that any value a callback returns is safe.
#[allow(non_camel_case_types)]
pub type mgn_transport_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        url: *const c_char,
        headers: *const mgn_http_header,
        n_headers: usize,
        response: *mut mgn_http_response,
    ) -> u32,
>;

/// A host's transport callback with its context.
struct HostTransport {
    callback: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const mgn_http_header,
        usize,
        *mut mgn_http_response,
    ) -> u32,
    userdata: *mut c_void,
}

// SAFETY: `mgn_breach_new_with_transport` documents that the callback and `userdata` must
// be safe to use from any thread, concurrently; the library never dereferences userdata.
unsafe impl Send for HostTransport {}
// SAFETY: as above.
unsafe impl Sync for HostTransport {}

impl Transport for HostTransport {
    fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> std::result::Result<HttpResponse, TransportError> {
        let other = |m: &str| TransportError::Other(m.to_owned());
        let c_url = CString::new(url).map_err(|_| other("the range URL contains a NUL byte"))?;
        let owned: Vec<(CString, CString)> = headers
            .iter()
            .map(|(n, v)| Ok((CString::new(n.as_str())?, CString::new(v.as_str())?)))
            .collect::<std::result::Result<_, std::ffi::NulError>>()
            .map_err(|_| other("a request header contains a NUL byte"))?;
        let c_headers: Vec<mgn_http_header> = owned
            .iter()
            .map(|(n, v)| mgn_http_header {
                name: n.as_ptr(),
                value: v.as_ptr(),
            })
            .collect();
        let mut response = mgn_http_response {
            status: None,
            retry_after: None,
            body: String::new(),
            error: None,
        };
        // SAFETY: every pointer is valid for the duration of the call, as documented on
        // `mgn_transport_fn`; the host owns `userdata`.
        let status = unsafe {
            (self.callback)(
                self.userdata,
                c_url.as_ptr(),
                c_headers.as_ptr(),
                c_headers.len(),
                &mut response,
            )
        };
        if status != mgn_status::MGN_OK as u32 {
            let name = crate::status::name_of(status);
            return Err(TransportError::Other(match response.error {
                Some(message) => format!("host transport failed ({name}): {message}"),
                None => format!("host transport failed ({name})"),
            }));
        }
        let status = response
            .status
            .ok_or_else(|| other("host transport returned MGN_OK without setting a status"))?;
        Ok(HttpResponse {
            status,
            retry_after: response.retry_after,
            body: response.body,
        })
    }
}

/// Creates a checker that sends its range requests through the host's `transport`
/// (called with `userdata` first) instead of the built-in HTTPS client, and writes it to
/// `*out`. `options` may be NULL for the defaults; its timeouts are then the transport's
/// business.
///
/// `transport` and `userdata` must stay valid until `mgn_breach_free`, and must be safe to
/// call from several threads at once if the checker is. Errors: as `mgn_breach_new`, and
/// `MGN_INVALID_ARGUMENT` if `transport` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_new_with_transport(
    options: *const mgn_breach_options,
    transport: mgn_transport_fn,
    userdata: *mut c_void,
    out: *mut *mut mgn_breach,
) -> mgn_status {
    boundary::call("mgn_breach_new_with_transport", || {
        let out = Out::new(out, "out")?;
        let callback = transport.ok_or_else(|| handle::null("transport"))?;
        // SAFETY: forwarded contract.
        let config = unsafe { config_arg(options) }?;
        let transport = Arc::new(HostTransport { callback, userdata });
        let checker = BreachChecker::with_transport(config, transport)?;
        out.write(handle::into_raw(mgn_breach::new(checker)));
        Ok(())
    })
}

/// Borrows the response a transport callback was given.
///
/// # Safety
/// `response` is NULL or the pointer passed to a running transport callback.
unsafe fn response_arg<'a>(response: *mut mgn_http_response) -> Result<&'a mut mgn_http_response> {
    // SAFETY: forwarded contract.
    unsafe { response.as_mut() }.ok_or_else(|| handle::null("response"))
}

/// Sets the HTTP status code of the response (required when the callback returns
/// `MGN_OK`). Only call from inside the transport callback.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `response` is NULL or `status` is not 100..=599.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_http_response_set_status(
    response: *mut mgn_http_response,
    status: u16,
) -> mgn_status {
    boundary::call("mgn_http_response_set_status", || {
        // SAFETY: forwarded contract.
        let response = unsafe { response_arg(response) }?;
        if !(100..=599).contains(&status) {
            return Err(Error::InvalidInput(format!(
                "HTTP status {status} is not between 100 and 599"
            )));
        }
        response.status = Some(status);
        Ok(())
    })
}

/// Copies `len` bytes at `body` as the response body (replacing any earlier body); the
/// host may free its buffer as soon as this returns. Bytes that are not UTF-8 are replaced
/// (a range body is ASCII; the checker reports a garbled one as `UNKNOWN`). Only call from
/// inside the transport callback.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `response` is NULL, or `body` is NULL with `len` > 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_http_response_set_body(
    response: *mut mgn_http_response,
    body: *const u8,
    len: usize,
) -> mgn_status {
    boundary::call("mgn_http_response_set_body", || {
        // SAFETY: forwarded contract.
        let response = unsafe { response_arg(response) }?;
        // SAFETY: `body` points to `len` bytes per the contract.
        let bytes = unsafe { bytes_arg(body, len, limits::MAX_BODY_BYTES, "body") }?;
        response.body = String::from_utf8_lossy(bytes).into_owned();
        Ok(())
    })
}

/// Records the response's `Retry-After` header value as received: seconds ("3") or an
/// HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT", taken relative to now). Other values are
/// ignored (the checker then uses its backoff). Only call from inside the transport
/// callback.
///
/// Errors: `MGN_INVALID_ARGUMENT` if an argument is NULL or not UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_http_response_set_retry_after(
    response: *mut mgn_http_response,
    value: *const c_char,
) -> mgn_status {
    boundary::call("mgn_http_response_set_retry_after", || {
        // SAFETY: forwarded contract.
        let response = unsafe { response_arg(response) }?;
        // SAFETY: NULL or NUL-terminated.
        let value = unsafe { str_arg(value, "value") }?;
        response.retry_after = retry_after_now(value);
        Ok(())
    })
}

/// Records why no response arrived, for the `UNKNOWN` reason, before the callback returns
/// an error status. Must not contain secrets. Only call from inside the transport
/// callback.
///
/// Errors: `MGN_INVALID_ARGUMENT` if an argument is NULL or not UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_http_response_set_error(
    response: *mut mgn_http_response,
    message: *const c_char,
) -> mgn_status {
    boundary::call("mgn_http_response_set_error", || {
        // SAFETY: forwarded contract.
        let response = unsafe { response_arg(response) }?;
        // SAFETY: NULL or NUL-terminated.
        let message = unsafe { str_arg(message, "message") }?;
        response.error = Some(message.to_owned());
        Ok(())
    })
}

/// The verdict of a breach check.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_breach_verdict {
    /// The password appears in the corpus `count` times.
    MGN_BREACH_BREACHED = 1,
    /// The password is not in the corpus (or, offline, in the index's subset of it).
    MGN_BREACH_NOT_FOUND = 2,
    /// The check could not be completed (network down, rate limited, bad response);
    /// `reason` says why. Never treat as "safe": the caller's policy decides.
    MGN_BREACH_UNKNOWN = 3,
}

/// Where a breach answer came from.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_breach_source {
    /// The local index.
    MGN_SOURCE_OFFLINE = 1,
    /// The cache of earlier online answers.
    MGN_SOURCE_CACHE = 2,
    /// The range API (including failed attempts to reach it).
    MGN_SOURCE_ONLINE = 3,
}

/// The answer of `mgn_breach_check`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_breach_result {
    /// The verdict.
    pub verdict: mgn_breach_verdict,
    /// Times seen in breaches when `MGN_BREACH_BREACHED`, otherwise 0.
    pub count: u64,
    /// Where the answer came from.
    pub source: mgn_breach_source,
    /// Why the answer is `MGN_BREACH_UNKNOWN` (never the password or its hash), or NULL
    /// for other verdicts. Free with `mgn_string_free`.
    pub reason: *mut c_char,
}

/// Checks `password` (NUL-terminated UTF-8): the offline index first, then the cache, then
/// the range API (only the first 5 hex digits of its SHA-1 leave the process). Writes the
/// answer to `*out`; free `out->reason` with `mgn_string_free` (it is NULL unless the
/// verdict is `MGN_BREACH_UNKNOWN`).
///
/// A network failure is not an error: it is `MGN_OK` with `MGN_BREACH_UNKNOWN`. Errors:
/// `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8). Thread-safe; may block for the
/// network (timeouts, retries and backoff in the options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_check(
    breach: *const mgn_breach,
    password: *const c_char,
    out: *mut mgn_breach_result,
) -> mgn_status {
    boundary::call("mgn_breach_check", || {
        // SAFETY: NULL or live.
        let breach = unsafe { handle::borrow(breach, "breach") }?;
        // SAFETY: NULL or NUL-terminated.
        let password = unsafe { str_arg(password, "password") }?;
        let out = Out::new(out, "out")?;
        let result = breach.checker.check(password);
        let source = match result.source {
            Source::Offline => mgn_breach_source::MGN_SOURCE_OFFLINE,
            Source::Cache => mgn_breach_source::MGN_SOURCE_CACHE,
            Source::Online => mgn_breach_source::MGN_SOURCE_ONLINE,
        };
        let (verdict, count, reason) = match result.status {
            BreachStatus::Breached { count } => (
                mgn_breach_verdict::MGN_BREACH_BREACHED,
                count,
                ptr::null_mut(),
            ),
            BreachStatus::NotFound => {
                (mgn_breach_verdict::MGN_BREACH_NOT_FOUND, 0, ptr::null_mut())
            }
            BreachStatus::Unknown { reason } => (
                mgn_breach_verdict::MGN_BREACH_UNKNOWN,
                0,
                alloc_string(reason.replace('\0', "\u{FFFD}"))?,
            ),
        };
        out.write(mgn_breach_result {
            verdict,
            count,
            source,
            reason,
        });
        Ok(())
    })
}

/// Releases a checker. NULL is a no-op. Call once, after every other call using it
/// returned; the transport callback is not called afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_free(breach: *mut mgn_breach) {
    // SAFETY: NULL or a live checker, freed once.
    boundary::call_void(|| unsafe { handle::free(breach) })
}

/// The offline index a checker answers from (`mgn_breach_index_info_get`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_breach_index_info {
    /// Whether the checker has an offline index; the other fields are 0 otherwise.
    pub present: bool,
    /// Whether it is keyed by NTLM (otherwise SHA-1).
    pub ntlm: bool,
    /// Entries in the index.
    pub entries: u64,
    /// Distinct corpus hashes it was built from.
    pub distinct_hashes: u64,
    /// Size of the index file in bytes.
    pub file_bytes: u64,
}

/// Describes the offline index `breach` answers from (its path is the one the host put in
/// `options.offline_index`) and writes it to `*out`; `out->present` is false when the
/// checker has none.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_index_info_get(
    breach: *const mgn_breach,
    out: *mut mgn_breach_index_info,
) -> mgn_status {
    boundary::call("mgn_breach_index_info_get", || {
        // SAFETY: NULL or a live checker.
        let b = unsafe { handle::borrow(breach, "breach") }?;
        let out = Out::new(out, "out")?;
        out.write(match b.checker.index() {
            Some(index) => mgn_breach_index_info {
                present: true,
                ntlm: index.hash_kind() == HashKind::Ntlm,
                entries: index.len(),
                distinct_hashes: index.distinct_hashes(),
                file_bytes: index.file_bytes(),
            },
            None => mgn_breach_index_info::default(),
        });
        Ok(())
    })
}

/// What `mgn_breach_index_build` produced.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_breach_index_stats {
    /// Corpus rows read (non-empty, non-padding lines).
    pub rows: u64,
    /// Distinct hashes kept (after `top_n`).
    pub distinct_hashes: u64,
    /// Entries in the index (distinct hashes minus fingerprint merges).
    pub entries: u64,
    /// Sorted runs spilled to temporary files (0 when everything fit in memory).
    pub spilled_runs: u64,
    /// Size of the index file in bytes.
    pub file_bytes: u64,
}

/// Reading the corpus: `done` counts corpus rows (`mgn_breach_index_progress_fn`).
pub const MGN_INDEX_PHASE_READING: u32 = 0;
/// Merging sorted runs into the index: `done` counts records out of `total`.
pub const MGN_INDEX_PHASE_MERGING: u32 = 1;

/// Progress of `mgn_breach_index_build`, called on the building thread every million rows
/// or records and at the end of each phase (then `done == total`). `phase` is
/// `MGN_INDEX_PHASE_READING` or `MGN_INDEX_PHASE_MERGING`; `total` is meaningful only when
/// `has_total` (records to merge, or rows read once reading ends). `userdata` is what the
/// caller passed. The callback must not call back into the build.
#[allow(non_camel_case_types)]
pub type mgn_breach_index_progress_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, phase: u32, done: u64, total: u64, has_total: bool),
>;

/// The host's progress callback with its context; used only on the building thread,
/// during the build call.
struct HostProgress {
    callback: unsafe extern "C" fn(*mut c_void, u32, u64, u64, bool),
    userdata: *mut c_void,
}

impl HostProgress {
    fn report(&self, p: BuildProgress) {
        let phase = match p.phase {
            BuildPhase::Reading => MGN_INDEX_PHASE_READING,
            BuildPhase::Merging => MGN_INDEX_PHASE_MERGING,
        };
        let total = p.total.unwrap_or(0);
        // SAFETY: the host's callback with its own userdata, on the building thread,
        // during the build, as documented.
        unsafe { (self.callback)(self.userdata, phase, p.done, total, p.total.is_some()) };
    }
}

// SAFETY: the build runs on the calling thread and the callback is only called during
// `mgn_breach_index_build`, as its documentation says; the library never dereferences
// userdata. `Send` is what core's builder asks of a callback in general.
unsafe impl Send for HostProgress {}

/// Builds an offline index at `index_path` from the Pwned Passwords corpus file
/// `corpus_path` (`HASH:COUNT` lines, SHA-1 or NTLM, plain or gzip), keeping only the
/// `top_n` most frequent hashes (0 keeps all). Reports progress to `progress` (may be
/// NULL) with `userdata`. Writes statistics to `*out_stats` (may be NULL). The file is
/// written under a temporary name and renamed into place.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL path, invalid UTF-8, a malformed corpus line,
/// named with its number), `MGN_IO`. Thread-safe; takes minutes and up to 128 MiB for
/// the full corpus.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_index_build(
    corpus_path: *const c_char,
    index_path: *const c_char,
    top_n: u64,
    progress: mgn_breach_index_progress_fn,
    userdata: *mut c_void,
    out_stats: *mut mgn_breach_index_stats,
) -> mgn_status {
    boundary::call("mgn_breach_index_build", || {
        // SAFETY: NULL or NUL-terminated.
        let corpus = unsafe { str_arg(corpus_path, "corpus_path") }?;
        // SAFETY: NULL or NUL-terminated.
        let index = unsafe { str_arg(index_path, "index_path") }?;
        let out = OptOut::new(out_stats);
        let mut builder = magnetar_core::breach::IndexBuilder::new();
        if top_n > 0 {
            builder = builder.top_n(top_n);
        }
        if let Some(callback) = progress {
            let host = HostProgress { callback, userdata };
            builder = builder.progress(move |p: BuildProgress| host.report(p));
        }
        let stats = builder.build(corpus, index)?;
        out.write(mgn_breach_index_stats {
            rows: stats.rows,
            distinct_hashes: stats.distinct_hashes,
            entries: stats.entries,
            spilled_runs: stats.spilled_runs,
            file_bytes: stats.file_bytes,
        });
        Ok(())
    })
}

/// Opens and fully verifies the offline index at `index_path` (header, length, tables and
/// entry checksums) and writes its number of entries to `*out_entries` (may be NULL).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL path, invalid UTF-8), `MGN_IO` (cannot read),
/// `MGN_INVALID_INDEX` (corrupt, truncated or unknown version). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_breach_index_verify(
    index_path: *const c_char,
    out_entries: *mut u64,
) -> mgn_status {
    boundary::call("mgn_breach_index_verify", || {
        // SAFETY: NULL or NUL-terminated.
        let path = unsafe { str_arg(index_path, "index_path") }?;
        let out = OptOut::new(out_entries);
        let index = BreachIndex::open(path)?;
        out.write(index.len());
        Ok(())
    })
}
