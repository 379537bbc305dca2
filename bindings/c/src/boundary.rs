//! The panic boundary every exported function goes through.
//!
//! A panic unwinding out of an `extern "C"` function aborts the host process, and an error
//! that is not recorded leaves the host guessing. [`call`] runs an export's body under
//! `catch_unwind`, maps a core error to its `mgn_status` and message, and turns a caught
//! panic into `MGN_PANIC`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use magnetar_core::Result;

use crate::error;
use crate::status::mgn_status;

/// Runs the body of the exported function `name` and returns its status.
///
/// Bodies validate every argument before acting and write their out-parameters last, so
/// on any error nothing has been written.
pub(crate) fn call(name: &str, body: impl FnOnce() -> Result<()>) -> mgn_status {
    error::clear();
    // AssertUnwindSafe: after a caught panic the body's state is dropped, and shared state
    // in core is behind `parking_lot` locks, which do not poison; the host is told the call
    // failed and may continue.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            // A nested call (a host callback calling back into the library) may have
            // left a message; a successful call leaves none.
            error::clear();
            mgn_status::MGN_OK
        }
        Ok(Err(err)) => {
            error::set(&err);
            mgn_status::from_kind(err.kind())
        }
        Err(_) => {
            // The panic payload is not included: it could quote data the call was given.
            error::set_message(format!(
                "internal error: a panic was caught in {name} (a bug in Magnetar; please report it)"
            ));
            mgn_status::MGN_PANIC
        }
    }
}

/// Runs the body of a function that returns nothing (the `*_free` functions): a panic is
/// swallowed, since there is no way to report it, rather than aborting the host.
pub(crate) fn call_void(body: impl FnOnce()) {
    error::clear();
    let _ = catch_unwind(AssertUnwindSafe(body));
}

#[cfg(test)]
mod tests {
    use super::*;
    use magnetar_core::Error;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: the pointer is valid until the next call on this thread.
        unsafe { CStr::from_ptr(error::mgn_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn errors_set_the_message_and_success_clears_it() {
        let s = call("t", || {
            Err(Error::WrongKey("the audit key does not match".into()))
        });
        assert_eq!(s, mgn_status::MGN_WRONG_KEY);
        assert!(last().contains("does not match"));
        assert_eq!(call("t", || Ok(())), mgn_status::MGN_OK);
        assert_eq!(last(), "");
    }

    #[test]
    fn panics_are_caught_and_reported() {
        let s = call("mgn_test", || panic!("secret-ish payload"));
        assert_eq!(s, mgn_status::MGN_PANIC);
        let msg = last();
        assert!(
            msg.contains("mgn_test") && !msg.contains("payload"),
            "{msg}"
        );
    }
}
