//! Ownership helpers for opaque handles and out-parameters.
//!
//! A handle is a `Box<T>` given to the host as a raw pointer by a `*_new`/`*_open`
//! function and taken back exactly once by the matching `*_free`. Functions that only use a
//! handle borrow it through [`borrow`], which rejects NULL.

use std::ptr::NonNull;

use magnetar_core::{Error, Result};

/// Moves `value` to the heap and hands ownership to the host.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Borrows the handle `ptr` for the duration of a call; `what` names the argument.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by [`into_raw`] and not yet freed.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: non-NULL pointers are live handles per the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(what))
}

/// Takes back and drops a handle made by [`into_raw`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by [`into_raw`], freed only once.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: per the caller's contract the box is ours again.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The error for a NULL argument.
pub(crate) fn null(what: &str) -> Error {
    Error::InvalidInput(format!("{what} is NULL"))
}

/// An out-parameter checked for NULL when the call starts and written when it succeeds.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Checks `ptr`; `what` names the argument.
    pub(crate) fn new(ptr: *mut T, what: &str) -> Result<Out<T>> {
        NonNull::new(ptr).map(Out).ok_or_else(|| null(what))
    }

    /// Writes the result. The previous contents are not dropped (they are the host's,
    /// possibly uninitialised, memory).
    pub(crate) fn write(self, value: T) {
        // SAFETY: the host passed a pointer to writable, suitably aligned memory for a `T`
        // (the documented contract of every out-parameter).
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// An optional out-parameter: NULL means the caller does not want the value.
pub(crate) struct OptOut<T>(Option<Out<T>>);

impl<T> OptOut<T> {
    /// Wraps `ptr`, which may be NULL.
    pub(crate) fn new(ptr: *mut T) -> OptOut<T> {
        OptOut(NonNull::new(ptr).map(Out))
    }

    /// Whether the caller asked for the value.
    pub(crate) fn wanted(&self) -> bool {
        self.0.is_some()
    }

    /// Writes the value if it was asked for.
    pub(crate) fn write(self, value: T) {
        if let Some(out) = self.0 {
            out.write(value);
        }
    }
}
