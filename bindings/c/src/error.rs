//! The thread-local "last error message" behind `mgn_last_error_message()`.
//!
//! Every `mgn_` function that returns an `mgn_status` clears the message on entry and sets
//! it on failure, so after a failed call the message describes that failure and stays
//! valid until the next `mgn_` call on the same thread. Messages come from core errors,
//! which never contain secrets.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use magnetar_core::Error;

thread_local! {
    static LAST: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Forgets the message of the previous call.
pub(crate) fn clear() {
    // `try_with`: during thread teardown the slot may already be gone; then there is
    // nothing to clear.
    let _ = LAST.try_with(|last| last.borrow_mut().take());
}

/// Records `message` as this thread's last error.
pub(crate) fn set_message(message: String) {
    // An interior NUL would truncate the C string; it cannot come from core's messages in
    // practice, but the replacement keeps the conversion infallible.
    let message = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    let _ = LAST.try_with(|last| *last.borrow_mut() = Some(message));
}

/// Records a core error as this thread's last error.
pub(crate) fn set(err: &Error) {
    set_message(err.to_string());
}

/// The message describing why the last failed `mgn_` call on this thread failed.
///
/// Returns "" when the last call succeeded (or none was made). The string is owned by the
/// library and stays valid until the next `mgn_` function call on the same thread (other
/// than `mgn_last_error_message`, `mgn_status_name` and `mgn_version`); copy it to keep
/// it. Never free it. Each thread has its own message. Messages name what was wrong and
/// never contain a secret (password, key, token or decrypted field).
#[unsafe(no_mangle)]
pub extern "C" fn mgn_last_error_message() -> *const c_char {
    LAST.try_with(|last| last.borrow().as_ref().map(|m| m.as_ptr()))
        .ok()
        .flatten()
        .unwrap_or(c"".as_ptr())
}
