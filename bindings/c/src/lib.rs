//! Magnetar's C API, exported from `libmagnetar` and declared in `include/magnetar.h`
//! (generated from this crate with cbindgen by `bindings/c/generate-header.sh`).
//!
//! Conventions, modelled on rustls-ffi and SQLite:
//! - opaque handles created by `*_new`/`*_open` and released by `*_free` (NULL-safe);
//! - every fallible function returns an `mgn_status` and writes results through
//!   out-parameters, only on success; details in the thread-local
//!   `mgn_last_error_message()`;
//! - strings in are NUL-terminated UTF-8, binary data is pointer + length; every string or
//!   buffer the library allocates has one documented free function;
//! - no panic crosses the boundary: every export runs inside `boundary::call`;
//! - callbacks take `void *userdata` first.
//!
//! This crate only converts types and errors; every rule lives in `magnetar-core`.

#![warn(missing_docs)]
// Each export's safety contract is its header documentation (what may be NULL, what a
// pointer must point to, who frees what); a separate `# Safety` section would repeat it.
#![allow(clippy::missing_safety_doc)]

// Declared in the order the header presents them (cbindgen follows it; rustfmt only
// sorts within a group): conventions first, then the components.
mod boundary;
mod handle;

pub mod status;

pub mod error;

pub mod strings;

pub mod value;

pub mod pool;

pub mod password;

pub mod breach;

pub mod session;

pub mod audit;

pub mod store;
pub mod tlog;

use std::ffi::c_char;

/// Magnetar's version as a static NUL-terminated string (for example "1.0.0").
///
/// The string is owned by the library and valid for the life of the process; do not free
/// it. Thread-safe; does not touch the thread's last error message.
#[unsafe(no_mangle)]
pub extern "C" fn mgn_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
