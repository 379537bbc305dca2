//! Strings and buffers across the boundary.
//!
//! In: strings are NUL-terminated UTF-8 (`const char *`), binary data is pointer + length.
//! Out: strings the library allocates are NUL-terminated UTF-8 released with
//! `mgn_string_free`, which wipes them first (they may hold a hash or a decrypted field).

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use magnetar_core::{Error, Result};
use zeroize::Zeroize;

use crate::boundary;
use crate::handle::null;

/// Ceilings on every count and length a host passes. A count or length sizes a slice
/// over host memory or an allocation, so it is checked before either is made: a wrong
/// or hostile value is then `MGN_INVALID_ARGUMENT`, not a read past the host's buffer
/// or an allocation that aborts the process (which no unwind guard can catch).
pub(crate) mod limits {
    /// Parameters of one statement: SQLite's default `SQLITE_MAX_VARIABLE_NUMBER`.
    pub(crate) const MAX_PARAMS: usize = 32_766;
    /// Parameter sets in one `mgn_pool_execute_many`, and values across all of them.
    pub(crate) const MAX_PARAM_SETS: usize = 1 << 20;
    pub(crate) const MAX_BATCH_VALUES: usize = 1 << 22;
    /// Bytes of one text or blob value: SQLite's default `SQLITE_MAX_LENGTH`.
    pub(crate) const MAX_VALUE_BYTES: usize = 1_000_000_000;
    /// Bytes of a host transport's response body: what the built-in client accepts (a
    /// padded range response is about 40 KB).
    pub(crate) const MAX_BODY_BYTES: usize = 4 << 20;
    /// Entries of a configuration array (legacy digests, old peppers, previous keys).
    pub(crate) const MAX_CONFIG_ITEMS: usize = 256;
    /// Bytes of a key or a pepper secret.
    pub(crate) const MAX_SECRET_BYTES: usize = 1024;
    /// Events a batched audit writer queues, writes per transaction or re-encrypts per
    /// call (its queue is allocated up front).
    pub(crate) const MAX_AUDIT_BATCH: usize = 1 << 20;
    /// Signers of one audit checkpoint: the signature lines core reads in a note.
    pub(crate) const MAX_CHECKPOINT_SIGNERS: usize = magnetar_core::tlog::note::MAX_SIGNATURES;
    /// Hashes of an inclusion or consistency proof: no proof over a tree of up to 2^63
    /// leaves is longer (one hash per level, and one more for a consistency proof).
    pub(crate) const MAX_PROOF_HASHES: usize = crate::tlog::MGN_MAX_PROOF_HASHES;
    /// Bytes of one leaf given to a proof verifier (an audit leaf is 49).
    pub(crate) const MAX_LEAF_BYTES: usize = 1 << 16;
}

/// Checks a count or length the host passed against its ceiling.
pub(crate) fn bounded(n: usize, max: usize, what: &str) -> Result<usize> {
    if n > max {
        return Err(Error::InvalidInput(format!(
            "{what} is {n}, above the limit {max}"
        )));
    }
    Ok(n)
}

/// Borrows the NUL-terminated UTF-8 string `ptr`; `what` names the argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::InvalidInput(format!(
            "{what} is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Borrows `len` bytes at `ptr`, at most `max` (a [`limits`] ceiling); NULL is accepted
/// only with `len == 0`.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive the call.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    max: usize,
    what: &str,
) -> Result<&'a [u8]> {
    bounded(len, max, &format!("{what} length"))?;
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::InvalidInput(format!(
                "{what} is NULL but its length is {len}"
            )))
        };
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller's contract; every ceiling in
    // `limits` is far below isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Like [`bytes_arg`] for text given as pointer + length: checks it is UTF-8.
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn text_arg<'a>(
    ptr: *const u8,
    len: usize,
    max: usize,
    what: &str,
) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(ptr, len, max, what) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Error::InvalidInput(format!(
            "{what} is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Converts a string for the host; the host releases it with `mgn_string_free`.
pub(crate) fn alloc_string(s: impl Into<Vec<u8>>) -> Result<*mut c_char> {
    let c = CString::new(s).map_err(|e| {
        let mut bytes = e.into_vec();
        bytes.zeroize();
        Error::Internal("a string returned to C contains a NUL byte".into())
    })?;
    Ok(c.into_raw())
}

/// A NUL-terminated string that lives as long as the value holding it (column names,
/// labels); handed out as a borrowed `const char *`.
pub(crate) fn owned_cstring(s: &str) -> CString {
    // SQLite text and names may contain NUL; replace rather than fail (the pointer+length
    // accessors give the exact bytes where that matters).
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Frees a string returned by the library (wiping its bytes first). NULL is a no-op.
///
/// Only pass strings this library documents as "free with `mgn_string_free`", exactly
/// once. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_string_free(s: *mut c_char) {
    boundary::call_void(|| {
        if !s.is_null() {
            // SAFETY: the host returns a pointer made by `CString::into_raw` in
            // `alloc_string`, once.
            let mut bytes = unsafe { CString::from_raw(s) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

/// Allocates strings as an array for the host (NULL when empty) and its length, released
/// with `mgn_string_list_free`. Nothing is left allocated on failure.
pub(crate) fn alloc_string_list(items: Vec<String>) -> Result<(*mut *mut c_char, usize)> {
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        match alloc_string(item) {
            Ok(s) => list.push(s),
            Err(e) => {
                // SAFETY: each was made by `alloc_string` just above and not handed out.
                list.into_iter().for_each(|s| unsafe { mgn_string_free(s) });
                return Err(e);
            }
        }
    }
    let count = list.len();
    if count == 0 {
        return Ok((ptr::null_mut(), 0));
    }
    Ok((
        Box::into_raw(list.into_boxed_slice()).cast::<*mut c_char>(),
        count,
    ))
}

/// Frees an array of strings returned by the library (`count` as it wrote it), wiping
/// and freeing each string first. NULL is a no-op.
///
/// Only pass arrays this library documents as "release with `mgn_string_list_free`",
/// exactly once. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_string_list_free(list: *mut *mut c_char, count: usize) {
    boundary::call_void(|| {
        if list.is_null() {
            return;
        }
        // SAFETY: made by `alloc_string_list` as a boxed slice of `count` strings, freed
        // once.
        let list = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(list, count)) };
        for s in list.iter() {
            // SAFETY: each was made by `alloc_string`.
            unsafe { mgn_string_free(*s) };
        }
    })
}

/// Borrows `n` NUL-terminated UTF-8 strings at `ptr`, at most `max`; NULL is accepted
/// only with `n == 0`.
///
/// # Safety
/// `ptr` is NULL or points to `n` pointers, each NULL or a NUL-terminated string.
pub(crate) unsafe fn str_array_arg<'a>(
    ptr: *const *const c_char,
    n: usize,
    max: usize,
    what: &str,
) -> Result<Vec<&'a str>> {
    bounded(n, max, &format!("{what} count"))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(Error::InvalidInput(format!(
            "{what} is NULL but its count is {n}"
        )));
    }
    // SAFETY: `n` pointers per the caller's contract.
    let items = unsafe { std::slice::from_raw_parts(ptr, n) };
    items
        .iter()
        .enumerate()
        // SAFETY: each item is NULL or NUL-terminated per the contract.
        .map(|(i, s)| unsafe { str_arg(*s, &format!("{what}[{i}]")) })
        .collect()
}
