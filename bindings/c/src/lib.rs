//! Magnetar's C API.
//!
//! Conventions (see `include/magnetar.h`): opaque handles, every function returns an
//! `mgn_status`, results go through out-parameters written only on success, and no panic
//! crosses the boundary.

use std::ffi::c_char;

/// Magnetar's version as a static NUL-terminated string (for example "1.0.0").
///
/// The string is owned by the library and valid for the life of the process; do not free
/// it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn mgn_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
